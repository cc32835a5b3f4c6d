"""Load YAML configuration, validated against a schema, with errors that name file, key and line.

Every YAML file a researcher edits (pipeline, manifest, instruments, codebook,
vocabulary, coders, ingest settings, diary form, joint displays) is read through
:func:`load_config`: the file is parsed once into a node tree (which keeps the line of
every key), validated with :mod:`jsonschema` against ``analysis/schemas/<name>.schema.yaml``
and the first problem in document order is raised as a
:class:`~analysis.errors.ConfigError` such as::

    pipeline.yaml, line 7, stages[0].runs[1]: missing required key 'notebook'. Add 'notebook:' there.

A schema may say how to report a problem: ``x-hint`` on any subschema is the hint of the
errors below it, ``x-message`` the message (``{value}``, ``{name}`` and ``{extra}`` are
filled in; a mapping gives one message per JSON Schema keyword). Find a file with
:meth:`analysis.workspace.Workspace.config_path`.

Checks a schema cannot express (cross-references: a scale naming an unknown item, a run
needing an unknown run) stay as small functions next to the loader. Run them inside
``with located(node):`` (the node from ``load_config(..., with_node=True)``) and a
:class:`~analysis.errors.ConfigError` raised with ``location="scales[2].items[1]"`` gets
its line too.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "x.yaml").write_text("name: a\\nsize: big\\n", encoding="utf-8")
>>> schema = {"type": "object", "properties": {"name": {"type": "string"}, "size": {"type": "integer"}}}
>>> load_config(folder / "x.yaml", schema)
Traceback (most recent call last):
...
analysis.errors.ConfigError: ...x.yaml, line 2, size: 'size' must be an integer, got str ('big').
"""

from __future__ import annotations

import re
import reprlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import sys

import yaml

# jsonschema imports rfc3987_syntax when it is installed (Jupyter's jsonschema[format-nongpl] brings
# it) only to check the "iri" formats, and that import compiles its grammars: about 1.3 s of CPU in
# every kernel and CLI call. The schemas here use no "format", so it is not imported.
if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)
from jsonschema.exceptions import best_match  # noqa: E402

from analysis.errors import ConfigError

#: The folder of the schema files (``<name>.schema.yaml``).
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"


#: libyaml's parser when PyYAML was built with it (the wheels are): 5–10 times faster, with
#: the same node tree and line marks.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _NoDatesSafeLoader(_SafeLoader):
    """A safe loader that keeps dates as strings (as papermill does).

    Dates are parsed where they are used, with an error that names the key.
    """


_NoDatesSafeLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _read(path: Path) -> tuple[Any, yaml.Node | None]:
    """Parse a file into (data, node tree); errors name the file and line."""
    if not path.is_file():
        raise ConfigError("file not found", file=path, hint="Check the path, relative to the project folder.")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=path, hint="Save the file as UTF-8."
        ) from None
    loader = _NoDatesSafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        location = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            f"invalid YAML: {problem}", file=path, location=location, hint="Fix the indentation or quoting there."
        ) from None
    finally:
        loader.dispose()
    return ({} if data is None else data), node


def load_yaml(path: str | Path) -> Any:
    """Read one YAML file without a schema (data files that are not configuration).

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    object
        The parsed document (``{}`` for an empty file).

    Raises
    ------
    ConfigError
        When the file is missing or is not valid YAML; the message gives the line.
    """
    return _read(Path(path))[0]


@lru_cache(maxsize=None)
def _schema_file(name: str) -> dict:
    file = SCHEMA_DIR / f"{name}.schema.yaml"
    if not file.is_file():
        known = sorted(p.name.removesuffix(".schema.yaml") for p in SCHEMA_DIR.glob("*.schema.yaml"))
        raise ConfigError(f"no schema named '{name}'", file=file, hint=f"Known schemas: {', '.join(known)}.")
    return yaml.load(file.read_text(encoding="utf-8"), Loader=_SafeLoader)


def schema(name: str) -> dict:
    """Return the schema ``analysis/schemas/<name>.schema.yaml`` (a JSON Schema written in YAML).

    Examples
    --------
    >>> schema("pipeline")["type"]
    'object'
    """
    return _schema_file(name)


def key_path(path: Iterable[str | int]) -> str:
    """Write a key path the way a researcher reads it.

    Examples
    --------
    >>> key_path(["stages", 0, "runs", 1, "name"])
    'stages[0].runs[1].name'
    >>> key_path([])
    'top level'
    """
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "top level"


def _node_at(node: yaml.Node | None, path: Sequence[str | int]) -> tuple[yaml.Node | None, yaml.Node | None]:
    """Follow ``path`` through a composed tree: (value node, key node of the last step)."""
    key_node = None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == str(part) or (isinstance(part, int) and k.value == part):
                    key_node, node = k, v
                    break
            else:
                return node, key_node
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node, key_node = node.value[part], None
        else:
            return node, key_node
    return node, key_node


def key_line(node: yaml.Node | None, path: Sequence[str | int]) -> int | None:
    """The 1-based line of the key (or item) at ``path`` in a composed YAML tree."""
    value, key = _node_at(node, path)
    target = key or value
    return None if target is None else target.start_mark.line + 1


_TYPE_NAMES = {"string": "a string (text)", "integer": "an integer", "number": "a number", "boolean": "true or false",
               "object": "a mapping (key: value)", "array": "a list", "null": "empty"}  # fmt: skip


def _expected(types: str | list[str]) -> str:
    names = [_TYPE_NAMES.get(t, t) for t in ([types] if isinstance(types, str) else types)]
    return " or ".join(dict.fromkeys(names))


def _hint(spec: Mapping, error) -> str | None:
    """The deepest ``x-hint`` on the schema path of an error (following local ``$ref``)."""
    hint, node = spec.get("x-hint"), spec
    for part in error.absolute_schema_path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return hint
        if isinstance(node, dict):
            while isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
                target = spec
                for step in node["$ref"][2:].split("/"):
                    target = target[step]
                hint = node.get("x-hint", hint)
                node = target
            hint = node.get("x-hint", hint)
    return hint


def _branch_types(branches: list) -> list[str]:
    out: list[str] = []
    for branch in branches:
        kinds = branch.get("type", []) if isinstance(branch, dict) else []
        if "const" in branch:
            out.append(repr(branch["const"]))
        out.extend([kinds] if isinstance(kinds, str) else kinds)
    return out


def _describe(error, spec: Mapping) -> tuple[str, str | None, list[str | int]]:
    """(message, hint, path of the offending key) for one jsonschema error."""
    path = list(error.absolute_path)
    hint = _hint(spec, error)
    name = str(path[-1]) if path and not isinstance(path[-1], int) else "the value"
    kind = error.validator
    value = error.instance
    subject = f"'{name}'" if name != "the value" else "the value"
    got = type(value).__name__ if value is not None else "nothing"
    shown = reprlib.repr(value)
    custom = error.schema.get("x-message") if isinstance(error.schema, dict) else None
    if isinstance(custom, dict):
        custom = custom.get(kind)
    if custom:
        extra = sorted(k for k in value if k not in (error.schema.get("properties") or {})) if isinstance(value, dict) else []
        if kind == "additionalProperties" and extra:
            path = [*path, extra[0]]
        return custom.format(value=value, name=name, extra=extra[0] if extra else ""), hint, path
    if kind in ("anyOf", "oneOf") and error.context:
        # the one branch whose type fits the value explains the problem best
        branches: dict[int, list] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        fitting = [errs for errs in branches.values()
                   if not any(e.validator in ("type", "const", "enum") and len(e.relative_path) == 0 for e in errs)]
        if len(fitting) == 1 and len(branches) == len(error.validator_value):
            return _describe(best_match(fitting[0]), spec)
    if kind in ("anyOf", "oneOf") and all(set(b) == {"required"} for b in error.validator_value):
        keys = [k for b in error.validator_value for k in b["required"]]
        return f"missing required key '{keys[0]}'", hint or f"Add '{keys[0]}:' there.", path
    if kind in ("anyOf", "oneOf"):
        types = _branch_types(error.validator_value)
        if hint or not error.context:
            expected = _expected(types) if types else "of another form"
            return f"{subject} must be {expected}, got {got} ({shown})", hint, path
        return _describe(best_match(error.context), spec)
    if "propertyNames" in error.absolute_schema_path:
        return f"unknown key '{value}'", hint, [*path, value]
    if kind == "required":
        missing = [k for k in error.validator_value if not isinstance(value, dict) or k not in value][0]
        return f"missing required key '{missing}'", f"Add '{missing}:' there.", path
    if kind == "additionalProperties":
        allowed = sorted((error.schema.get("properties") or {}).keys())
        extra = sorted(k for k in value if k not in allowed) if isinstance(value, dict) else []
        if extra:
            path = [*path, extra[0]]
        message = f"unknown key(s) {', '.join(repr(k) for k in extra)}"
        return message, hint or (f"Allowed keys: {', '.join(allowed)}." if allowed else "Remove it."), path
    if kind == "type":
        return f"{subject} must be {_expected(error.validator_value)}, got {got} ({shown})", hint, path
    if kind == "enum":
        options = ", ".join(repr(v) for v in error.validator_value)
        return f"{value!r} is not allowed for '{name}'", hint or f"Use one of {options}.", path
    if kind in ("minItems", "minProperties") and not value:
        return f"'{name}' must not be empty", hint, path
    if kind == "pattern":
        return f"{value!r} does not match the pattern {error.validator_value!r} of '{name}'", hint, path
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"'{name}' is {value!r}: {error.message.split(' is ', 1)[-1]}", hint, path
    return error.message, hint, path


def validate(data: Any, schema_: Mapping | str, *, file: str | Path, node: yaml.Node | None = None,
             at: str | None = None) -> None:
    """Validate parsed YAML against a schema; raise the first problem in document order.

    Parameters
    ----------
    data : object
        The parsed document.
    schema_ : mapping or str
        A JSON Schema, or the name of one in ``analysis/schemas``.
    file : str or Path
        The file, for the message.
    node : yaml.Node, optional
        The composed tree of the file (from :func:`load_config`), for the line.
    at : str, optional
        Where ``data`` sits in a larger document (``"mood.rules"``), prefixed to the key path.

    Raises
    ------
    ConfigError
        Naming the file, the line (when ``node`` is given), the key path and a hint.
    """
    from jsonschema import Draft202012Validator

    spec = schema(schema_) if isinstance(schema_, str) else schema_
    errors = list(Draft202012Validator(spec).iter_errors(data))
    if not errors:
        return

    def order(err) -> tuple[int, int]:
        line = key_line(node, list(err.absolute_path)) or 0
        return line, -len(err.absolute_path)

    message, hint, path = _describe(min(errors, key=order), spec)
    line = key_line(node, path)
    where = key_path(path)
    if at:
        where = at if not path else (f"{at}{where}" if where.startswith("[") else f"{at}.{where}")
    location = f"line {line}, {where}" if line else where
    raise ConfigError(message, file=file, location=location, hint=hint)


_KEY_PATH = re.compile(r"^[^\s.\[\]',]+(\[\d+\]|\.[^.\[\]]+)*$")


def parse_key_path(text: str) -> list[str | int] | None:
    """The parts of a key path written by :func:`key_path` (None when ``text`` is not one).

    Examples
    --------
    >>> parse_key_path("scales[2].items[1]")
    ['scales', 2, 'items', 1]
    >>> parse_key_path("top level")
    []
    >>> parse_key_path("row 12") is None
    True
    """
    if text == "top level":
        return []
    if not _KEY_PATH.match(text):
        return None
    return [int(index) if index else key for index, key in re.findall(r"\[(\d+)\]|\.?([^.\[\]]+)", text)]


@contextmanager
def located(node: yaml.Node | None) -> Iterator[None]:
    """Add the line to a :class:`ConfigError` raised by a semantic check inside the block.

    A check that a schema cannot express (an unknown cross-reference) raises with
    ``location="scales[2].items[1]"``; inside ``with located(node):`` the error becomes
    ``line 40, scales[2].items[1]``.
    """
    try:
        yield
    except ConfigError as exc:
        parts = parse_key_path(exc.location) if exc.location else None
        line = key_line(node, parts) if parts else None
        if line is not None:
            exc.location = f"line {line}, {exc.location}"
            exc.args = (str(exc),)
        raise


def load_config(path: str | Path, schema_: Mapping | str, *, with_node: bool = False) -> Any:
    """Read one YAML configuration file and validate it against its schema.

    Parameters
    ----------
    path : str or Path
        The file.
    schema_ : mapping or str
        The schema, or its name in ``analysis/schemas`` (``"pipeline"`` reads
        ``analysis/schemas/pipeline.schema.yaml``).
    with_node : bool
        Also return the composed YAML node tree, so later semantic checks can name a
        line with :func:`key_line`.

    Returns
    -------
    object or (object, yaml.Node)
        The parsed document (``{}`` for an empty file), valid against the schema.

    Raises
    ------
    ConfigError
        When the file is missing, is not YAML or does not match the schema: names the
        file, the line, the key path and what to do.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> file = pathlib.Path(tempfile.mkdtemp()) / "pipeline.yaml"
    >>> _ = file.write_text("stages:\\n  - name: a\\n    runs:\\n      - name: x\\n", encoding="utf-8")
    >>> load_config(file, "pipeline")
    Traceback (most recent call last):
    ...
    analysis.errors.ConfigError: ...pipeline.yaml, line 4, stages[0].runs[0]: missing required key 'notebook'. Add 'notebook:' there.
    """
    path = Path(path)
    data, node = _read(path)
    validate(data, schema_, file=path, node=node)
    return (data, node) if with_node else data


def require(mapping: Any, key: str, *, file: str | Path, where: str, kind: type | tuple[type, ...] | None = None) -> Any:
    """Return ``mapping[key]`` or raise a ConfigError naming ``where.key``.

    For values built in code (not read from a file); files go through :func:`load_config`.

    Examples
    --------
    >>> require({"a": 1}, "a", file="x.yaml", where="stages[0]", kind=int)
    1
    """
    if not isinstance(mapping, dict):
        raise ConfigError(f"expected a mapping (key: value), got {type(mapping).__name__}", file=file, location=where)
    if key not in mapping or mapping[key] is None:
        raise ConfigError(f"missing required key '{key}'", file=file, location=where, hint=f"Add '{key}:' there.")
    value = mapping[key]
    if kind is not None and not isinstance(value, kind):
        expected = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ConfigError(
            f"'{key}' must be {expected}, got {type(value).__name__} ({value!r})", file=file, location=f"{where}.{key}"
        )
    return value


def check_keys(mapping: dict, allowed: set[str], *, file: str | Path, where: str) -> None:
    """Raise a ConfigError for keys that are not in ``allowed`` (catches typos)."""
    unknown = sorted(set(mapping) - allowed)
    if unknown:
        raise ConfigError(
            f"unknown key(s) {', '.join(repr(k) for k in unknown)}",
            file=file,
            location=where,
            hint=f"Allowed keys: {', '.join(sorted(allowed))}.",
        )

"""Load YAML configuration with errors that name the file and the key.

Every YAML file a researcher edits (manifest, instruments, codebook, pipeline) is read
through :func:`load_yaml`; the small helpers below check a value and raise a
:class:`~analysis.errors.ConfigError` that says where it is and what was expected.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from analysis.errors import ConfigError


class _NoDatesSafeLoader(yaml.SafeLoader):
    """A safe loader that keeps dates as strings (as papermill does).

    Dates are parsed where they are used, with an error that names the key.
    """


_NoDatesSafeLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(path: str | Path) -> Any:
    """Read one YAML file.

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
    path = Path(path)
    if not path.is_file():
        raise ConfigError("file not found", file=path, hint="Check the path, relative to the project folder.")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=path, hint="Save the file as UTF-8."
        ) from None
    try:
        data = yaml.load(text, Loader=_NoDatesSafeLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        location = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            f"invalid YAML: {problem}", file=path, location=location, hint="Fix the indentation or quoting there."
        ) from None
    return {} if data is None else data


def require(mapping: Any, key: str, *, file: str | Path, where: str, kind: type | tuple[type, ...] | None = None) -> Any:
    """Return ``mapping[key]`` or raise a ConfigError naming ``where.key``.

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

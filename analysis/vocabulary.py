"""The one vocabulary of the workspace: labels, colours and orders from ``config/vocabulary.yaml``.

Every label a reader sees (table headers, category values, legend entries, axis
labels, methods phrases) is looked up here, so renaming a role or relabelling a
column is one edit in one YAML file. The file is read once per process and cached
(re-read when it changes on disk).

Examples
--------
>>> from analysis.vocabulary import vocabulary
>>> v = vocabulary()
>>> v.label("social_counsellor", "fi")
'sosiaaliohjaaja'
>>> v.label("followup", "en")
'follow-up'
>>> v.column("alpha", "fi", table="coding_quality/coder_agreement")
'Krippendorffin α'
>>> v.colour("baseline")
'#56B4E9'
>>> v.label("not_a_code", "fi")
'not_a_code'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from analysis.config import load_yaml
from analysis.errors import ConfigError

__all__ = ["Vocabulary", "vocabulary", "vocabulary_path", "GROUPS"]

LANGUAGES = ("fi", "en")

#: Groups of coded values, in the order a value is looked up by :meth:`Vocabulary.label`.
GROUPS = ("roles", "waves", "work_packages", "municipalities", "categories")

_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")


def vocabulary_path() -> Path:
    """The vocabulary file of the current workspace (``config/vocabulary.yaml``)."""
    from analysis.workspace import PACKAGE_PROJECT_DIR, Workspace

    try:
        path = Workspace.discover().resolve_config("config/vocabulary.yaml")
    except Exception:  # pragma: no cover - discovery never fails in the repository
        path = PACKAGE_PROJECT_DIR / "config" / "vocabulary.yaml"
    if not path.is_file():
        path = PACKAGE_PROJECT_DIR / "config" / "vocabulary.yaml"
    return path


def _text(value: object, file: Path, where: str, allowed: tuple[str, ...] = LANGUAGES) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(value.get(l), str) and value.get(l).strip() for l in LANGUAGES):
        raise ConfigError("expected Finnish and English texts", file=file, location=where, hint="Write {fi: ..., en: ...}.")
    unknown = sorted(str(k) for k in set(value) - set(allowed))
    if unknown:
        raise ConfigError(
            f"unknown key(s) {unknown}", file=file, location=where,
            hint='A text with a comma must be quoted: {fi: "α, LV alaraja", en: "α, CI lower"}.',
        )
    return {l: value[l] for l in LANGUAGES}


@dataclass(frozen=True)
class Vocabulary:
    """Labels, colours and orders of every coded value, and column headers.

    Attributes
    ----------
    groups : dict
        ``{group: {id: {"fi", "en", "colour"?, "order"?, "prefix"?, "title"?}}}`` for
        :data:`GROUPS`.
    columns : dict
        ``{column id: {"fi", "en"}}``.
    tables : dict
        ``{"run/table id": {column id: {"fi", "en"}}}``: headers of one table only.
    project : dict
        ``name`` (fi/en), ``start``, ``end``, ``area`` (fi/en).
    path : Path
        The file read.
    """

    groups: dict
    columns: dict
    tables: dict
    project: dict
    path: Path
    _lookup: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_file(cls, path: str | Path) -> "Vocabulary":
        """Read and check a vocabulary file.

        Raises
        ------
        ConfigError
            When a label lacks fi/en, a colour is not ``#RRGGBB`` or an order is not a number.
        """
        path = Path(path)
        data = load_yaml(path)
        if not isinstance(data, dict):
            raise ConfigError("expected a mapping at the top level", file=path)
        groups: dict = {}
        lookup: dict = {}
        for group in GROUPS:
            entries = data.get(group) or {}
            if not isinstance(entries, dict):
                raise ConfigError(f"'{group}' must be a mapping", file=path, location=group)
            clean = {}
            for key, entry in entries.items():
                where = f"{group}.{key}"
                entry = dict(entry) if isinstance(entry, dict) else entry
                labels = _text(entry, path, where, allowed=(*LANGUAGES, "colour", "order", "prefix", "title"))
                item = dict(labels)
                colour = entry.get("colour")
                if colour is not None:
                    if not isinstance(colour, str) or not _COLOUR.match(colour):
                        raise ConfigError(f"colour {colour!r} is not #RRGGBB", file=path, location=where)
                    item["colour"] = colour.upper()
                if entry.get("order") is not None:
                    if not isinstance(entry["order"], (int, float)) or isinstance(entry["order"], bool):
                        raise ConfigError("order must be a number", file=path, location=where)
                    item["order"] = entry["order"]
                if entry.get("prefix") is not None:
                    item["prefix"] = str(entry["prefix"])
                if entry.get("title") is not None:
                    item["title"] = _text(entry["title"], path, f"{where}.title")
                clean[str(key)] = item
                lookup.setdefault(str(key), item)
            groups[group] = clean
        columns = {}
        for key, text in (data.get("columns") or {}).items():
            columns[str(key)] = _text(text, path, f"columns.{key}")
        tables = {}
        for table, headers in (data.get("tables") or {}).items():
            if not isinstance(headers, dict):
                raise ConfigError("expected {column: {fi, en}}", file=path, location=f"tables.{table}")
            tables[str(table)] = {str(c): _text(t, path, f"tables.{table}.{c}") for c, t in headers.items()}
        project = dict(data.get("project") or {})
        for key in ("name", "area"):
            if key in project:
                project[key] = _text(project[key], path, f"project.{key}")
        return cls(groups=groups, columns=columns, tables=tables, project=project, path=path, _lookup=lookup)

    # -- lookups ---------------------------------------------------------------
    def entry(self, value: object, group: str | None = None) -> dict | None:
        """The entry of a coded value (in ``group``, or the first group that has it)."""
        key = str(value)
        if group is not None:
            return self.groups.get(group, {}).get(key)
        return self._lookup.get(key)

    def has(self, value: object, group: str | None = None) -> bool:
        """Whether the vocabulary knows ``value``."""
        return self.entry(value, group) is not None

    def label(self, value: object, language: str = "fi", group: str | None = None) -> str:
        """The fi/en label of a coded value; an unknown value is returned as text."""
        _check(language)
        entry = self.entry(value, group)
        return entry[language] if entry else str(value)

    def title(self, value: object, language: str = "fi") -> str:
        """A work package with its title, e.g. ``"TP2C (tuettu asuminen)"``."""
        entry = self.entry(value, "work_packages")
        if not entry:
            return self.label(value, language)
        return f"{entry[language]} ({entry['title'][language]})" if "title" in entry else entry[language]

    def colour(self, value: object, group: str | None = None) -> str | None:
        """The fixed colour of a coded value, or None."""
        entry = self.entry(value, group)
        return entry.get("colour") if entry else None

    def colours(self, group: str | None = None) -> dict[str, str]:
        """``{id: colour}`` of every value with a colour (in ``group`` or in all groups)."""
        groups = [group] if group else list(GROUPS)
        out: dict[str, str] = {}
        for g in groups:
            for key, entry in self.groups.get(g, {}).items():
                if "colour" in entry:
                    out.setdefault(key, entry["colour"])
        return out

    def labels(self, group: str) -> dict[str, dict[str, str]]:
        """``{id: {"fi": ..., "en": ...}}`` of one group."""
        return {k: {l: e[l] for l in LANGUAGES} for k, e in self.groups.get(group, {}).items()}

    def order(self, values, group: str | None = None) -> list:
        """``values`` sorted by their ``order`` (unknown values last, by name)."""
        def key(value):
            entry = self.entry(value, group)
            rank = entry.get("order") if entry else None
            return (0, rank, "") if rank is not None else (1, 0, str(value))

        return sorted(dict.fromkeys(values), key=key)

    def prefix(self, role: str) -> str | None:
        """The pseudonym prefix of a role (``ST``, ``SO``, ``Nuori``)."""
        entry = self.entry(role, "roles")
        return entry.get("prefix") if entry else None

    def column(self, column: str, language: str = "fi", table: str | None = None) -> str | None:
        """The header of ``column`` (in ``table`` = ``"run/id"`` if it has its own); None if unknown."""
        _check(language)
        if table is not None and column in self.tables.get(table, {}):
            return self.tables[table][column][language]
        text = self.columns.get(column)
        return text[language] if text else None


def _check(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"language must be 'fi' or 'en', got {language!r}")


@lru_cache(maxsize=8)
def _cached(path: str, mtime_ns: int, size: int) -> Vocabulary:
    return Vocabulary.from_file(path)


def vocabulary(path: str | Path | None = None) -> Vocabulary:
    """The vocabulary (default ``config/vocabulary.yaml`` of the workspace), read once and cached.

    The cache is keyed on the file's modification time and size, so an edited file is
    read again without restarting the kernel.
    """
    path = Path(path) if path is not None else vocabulary_path()
    try:
        stat = path.stat()
    except OSError:
        raise ConfigError("file not found", file=path, hint="config/vocabulary.yaml holds every label of the report.") from None
    return _cached(str(path.resolve()), stat.st_mtime_ns, stat.st_size)

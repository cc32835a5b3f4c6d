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

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from analysis.config import load_config
from analysis.errors import ConfigError

__all__ = ["Vocabulary", "vocabulary", "vocabulary_path", "GROUPS", "WORK_PACKAGES"]

LANGUAGES = ("fi", "en")

#: Groups of coded values, in the order a value is looked up by :meth:`Vocabulary.label`.
GROUPS = ("roles", "waves", "work_packages", "municipalities", "categories")

#: The project's work packages: the codes a source, a diary entry or a theme may name. The
#: shipped ``config/vocabulary.yaml`` labels exactly these (a test checks).
WORK_PACKAGES = ("TP1", "TP2A", "TP2B", "TP2C", "TP3", "TP4")


def vocabulary_path() -> Path:
    """The vocabulary file of the current workspace (``config/vocabulary.yaml``)."""
    from analysis.workspace import Workspace

    return Workspace.discover().config_path("vocabulary.yaml")


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
        data = load_config(path, "vocabulary")
        groups: dict = {}
        lookup: dict = {}
        for group in GROUPS:
            clean = {}
            for key, entry in (data.get(group) or {}).items():
                item = {l: entry[l] for l in LANGUAGES}
                if entry.get("colour") is not None:
                    item["colour"] = entry["colour"].upper()
                for extra in ("order", "title"):
                    if entry.get(extra) is not None:
                        item[extra] = entry[extra]
                if entry.get("prefix") is not None:
                    item["prefix"] = str(entry["prefix"])
                clean[str(key)] = item
                lookup.setdefault(str(key), item)
            groups[group] = clean
        columns = {str(k): dict(t) for k, t in (data.get("columns") or {}).items()}
        tables = {str(t): {str(c): dict(x) for c, x in h.items()} for t, h in (data.get("tables") or {}).items()}
        project = dict(data.get("project") or {})
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

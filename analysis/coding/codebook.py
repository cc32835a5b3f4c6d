"""The deductive codebook: a researcher-edited YAML file turned into validated codes and rules.

The codebook (``config/codebook.yaml``) holds hierarchical themes tied to the project's
work packages. Each theme has an id, Finnish and English names, a colour, a definition,
include/exclude notes and *rules* that work on **lemmas** (base forms), never on raw
words: Finnish inflection (``lapsi``/``lasten``, ``kunta``/``kunnan``) defeats raw-word
patterns, and a raw pattern ``kun*`` would also match the conjunction *kun*.

Rule types (all optional; a code fires when any positive rule fires and no exclude
rule does):

``lemmas``
    Any of these lemma patterns. A pattern is a lemma (``asunto``), a lemma with ``*``
    wildcards inside one word (``*asunto`` matches ``tukiasunto`` and
    ``vuokra-asunto``; ``huol*`` matches ``huoli``, ``huolestunut``), or a phrase of
    consecutive lemmas (``tuettu asuminen``).
``all`` (alias ``lemma_pairs``)
    Co-occurrence within the segment. A list of groups; a group is a list of slots and
    fires when every slot is present. A slot is a pattern or a list of alternative
    patterns: ``[[huol*, pelätä], [asunto, vuokra]]``.
``regex``
    Python regular expressions searched in the segment's *lemma text*: its lemmas in
    lower case joined by single spaces (``"nuori ei saada asunto"``).
``exclude``
    A mapping with the same three keys. When any of them fires, the code is not given.

A code may nest its sub-themes under ``children:`` or name its ``parent:``; a parent
code is present in a segment whenever any of its children is.

Examples
--------
>>> cb = Codebook.from_dict({
...     "version": "1",
...     "themes": [{"id": "housing", "name": {"fi": "Asuminen", "en": "Housing"},
...                 "colour": "#44AA99", "rules": {"lemmas": ["*asunto"]},
...                 "children": [{"id": "housing_worries",
...                               "name": {"fi": "Asumisen huolet", "en": "Housing worries"},
...                               "colour": "#88CCEE",
...                               "rules": {"all": [[["huol*"], ["asunto"]]]}}]}]})
>>> cb.codes[["code", "parent", "level"]].to_dict("records")
[{'code': 'housing', 'parent': None, 'level': 1}, {'code': 'housing_worries', 'parent': 'housing', 'level': 2}]
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Iterable

import pandas as pd

from analysis.config import load_config, located, schema, validate
from analysis.errors import ConfigError
from analysis.vocabulary import WORK_PACKAGES  # the work packages a theme may be tied to


CODE_COLUMNS = [
    "code", "parent", "name_fi", "name_en", "colour", "definition", "include", "exclude",
    "work_package", "level", "order",
]


# --------------------------------------------------------------------------- patterns
def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """Compile one lemma pattern (``*`` = any letters within a word) into a full-match regex."""
    parts = [re.escape(part) for part in pattern.split("*")]
    return re.compile(r"[\w\-:]*".join(parts))


@dataclass(frozen=True)
class LemmaPattern:
    """One lemma pattern: exact lemma, wildcard lemma or multi-word phrase."""

    text: str
    words: tuple[re.Pattern[str], ...]
    exact: bool

    @classmethod
    def parse(cls, text: str) -> "LemmaPattern":
        words = text.lower().split()
        return cls(text=" ".join(words), words=tuple(_pattern_regex(w) for w in words),
                   exact=len(words) == 1 and "*" not in words[0])

    def find(self, lemmas: list[str], lemma_set: frozenset[str]) -> list[str]:
        """Return the matched lemma (or phrase) strings in a segment, first occurrence order."""
        if self.exact:
            return [self.text] if self.text in lemma_set else []
        if len(self.words) == 1:
            word = self.words[0]
            return sorted({lemma for lemma in lemma_set if word.fullmatch(lemma)})
        n = len(self.words)
        found: list[str] = []
        for start in range(len(lemmas) - n + 1):
            if all(self.words[i].fullmatch(lemmas[start + i]) for i in range(n)):
                phrase = " ".join(lemmas[start:start + n])
                if phrase not in found:
                    found.append(phrase)
        return found


@dataclass(frozen=True)
class RuleSet:
    """Compiled positive or exclude rules of one code."""

    lemmas: tuple[LemmaPattern, ...] = ()
    groups: tuple[tuple[tuple[LemmaPattern, ...], ...], ...] = ()
    regex: tuple[re.Pattern[str], ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.lemmas or self.groups or self.regex)

    def hits(self, lemmas: list[str], lemma_set: frozenset[str], lemma_text: str,
             find: Callable[[LemmaPattern, list[str], frozenset[str]], list[str]] | None = None) -> list[str]:
        """Describe every rule that fires on one segment (empty list: none fires).

        Lemma hits are the matched lemmas (``tukiasunto``), co-occurrence hits join the
        matched lemmas with ``+`` (``huoli+asunto``), regex hits show the matched lemma
        text in ``re"…"``. ``find(pattern, lemmas, lemma_set)`` matches one lemma pattern
        (default :meth:`LemmaPattern.find`; the auto-coder passes a precomputed matcher).
        """
        if find is None:
            def find(pattern: LemmaPattern, lemmas: list[str], lemma_set: frozenset[str]) -> list[str]:
                return pattern.find(lemmas, lemma_set)

        out: list[str] = []
        for pattern in self.lemmas:
            out.extend(find(pattern, lemmas, lemma_set))
        for group in self.groups:
            found = []
            for slot in group:
                matched = [m for alt in slot for m in find(alt, lemmas, lemma_set)]
                if not matched:
                    break
                found.append(matched[0])
            else:
                out.append("+".join(found))
        for rx in self.regex:
            m = rx.search(lemma_text)
            if m:
                out.append(f're"{m.group(0)}"')
        return list(dict.fromkeys(out))


@dataclass(frozen=True)
class Code:
    """One code (theme or sub-theme) of the codebook."""

    id: str
    parent: str | None
    name_fi: str
    name_en: str
    colour: str
    definition: str
    include: str
    exclude: str
    work_package: str | None
    level: int
    order: int
    rules: RuleSet = field(default_factory=RuleSet)
    exclude_rules: RuleSet = field(default_factory=RuleSet)

    def name(self, language: str = "fi") -> str:
        """The code's name in ``language`` (``"fi"`` or ``"en"``)."""
        return self.name_en if language == "en" else self.name_fi


# --------------------------------------------------------------------------- codebook
class Codebook:
    """A validated, flattened codebook.

    Build it with :func:`load_codebook` (from YAML) or :meth:`Codebook.from_dict`.

    Attributes
    ----------
    version : str
        The ``version:`` written in the file.
    source : str or None
        The file it was read from.
    hash : str
        SHA-256 of the canonical JSON of the parsed document (stable across
        re-indentation and comments), recorded in outputs for provenance.
    """

    def __init__(self, codes: list[Code], *, version: str, source: str | None, digest: str,
                 title: dict[str, str] | None = None) -> None:
        self._codes = {code.id: code for code in codes}
        self._order = [code.id for code in codes]
        self.version = version
        self.source = source
        self.hash = digest
        self.title = title or {}

    # -- construction
    @classmethod
    def from_dict(cls, data: Any, *, source: str | Path | None = None) -> "Codebook":
        """Validate a parsed codebook document and build the codebook.

        Parameters
        ----------
        data : dict
            The parsed YAML document.
        source : str or Path, optional
            The file name, used in error messages.

        Raises
        ------
        ConfigError
            For a missing key, an unknown key, a bad id, a duplicate id, an unknown or
            circular parent, a bad colour, a bad work package or an invalid regex; the
            message names the file and the key (``themes[2].children[0].colour``).
        """
        file = str(source) if source is not None else "codebook"
        validate(data, "codebook", file=file)
        version = str(data["version"])
        themes = data["themes"]

        raw: list[tuple[dict, str, str | None]] = []  # (theme, where, nesting parent)

        def walk(items: list, where: str, parent: str | None) -> None:
            for i, item in enumerate(items):
                loc = f"{where}[{i}]"
                theme_id = item["id"]
                if "parent" in item and parent is not None and item["parent"] != parent:
                    raise ConfigError(f"theme '{theme_id}' is nested under '{parent}' but names parent "
                                      f"'{item['parent']}'", file=file, location=f"{loc}.parent",
                                      hint="Remove 'parent:' from nested themes.")
                raw.append((item, loc, parent))
                if "children" in item and item["children"] is not None:
                    walk(item["children"], f"{loc}.children", theme_id)

        walk(themes, "themes", None)

        seen: dict[str, str] = {}
        for item, loc, _ in raw:
            theme_id = item["id"]
            if theme_id in seen:
                raise ConfigError(f"duplicate id '{theme_id}' (first at {seen[theme_id]})", file=file,
                                  location=f"{loc}.id", hint="Give every theme its own id.")
            seen[theme_id] = loc

        parents: dict[str, str | None] = {}
        for item, loc, nest_parent in raw:
            parent = item.get("parent", nest_parent)
            if parent is not None:
                if parent not in seen:
                    raise ConfigError(f"unknown parent '{parent}' of theme '{item['id']}'", file=file,
                                      location=f"{loc}.parent",
                                      hint=f"Use one of the ids: {', '.join(seen)}.")
                if parent == item["id"]:
                    raise ConfigError(f"theme '{parent}' names itself as parent", file=file, location=f"{loc}.parent")
            parents[item["id"]] = parent

        def level_of(theme_id: str) -> int:
            level, node, visited = 1, theme_id, {theme_id}
            while parents[node] is not None:
                node = parents[node]
                if node in visited:
                    raise ConfigError(f"circular parents around '{theme_id}'", file=file,
                                      location=f"{seen[theme_id]}.parent", hint="Break the cycle of 'parent:' keys.")
                visited.add(node)
                level += 1
            return level

        codes_unordered: list[tuple[Code, str]] = []
        for order, (item, loc, _) in enumerate(raw):
            theme_id = item["id"]
            name = item["name"]
            colour = item["colour"] if "colour" in item else item["color"]
            wp = item.get("work_package")
            rules, exclude_rules = _parse_rules(item.get("rules"), file=file, where=f"{loc}.rules")
            texts = {key: " ".join((item.get(key) or "").split()) for key in ("definition", "include", "exclude")}
            code = Code(
                id=theme_id, parent=parents[theme_id], name_fi=name["fi"].strip(), name_en=name["en"].strip(),
                colour=colour.upper(), definition=texts["definition"], include=texts["include"],
                exclude=texts["exclude"], work_package=wp, level=level_of(theme_id), order=order,
                rules=rules, exclude_rules=exclude_rules,
            )
            codes_unordered.append((code, loc))

        # depth-first order: each parent followed by its children, in file order
        by_parent: dict[str | None, list[Code]] = {}
        for code, _ in codes_unordered:
            by_parent.setdefault(code.parent, []).append(code)
        ordered: list[Code] = []

        def visit(parent: str | None) -> None:
            for code in by_parent.get(parent, []):
                ordered.append(code)
                visit(code.id)

        visit(None)
        ordered = [replace(code, order=i) for i, code in enumerate(ordered)]
        # inherit work package from the parent when a sub-theme leaves it out
        by_id = {c.id: c for c in ordered}
        final = []
        for code in ordered:
            wp, node = code.work_package, code
            while wp is None and node.parent is not None:
                node = by_id[node.parent]
                wp = node.work_package
            final.append(replace(code, work_package=wp))

        digest = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
                                .encode("utf-8")).hexdigest()
        title = data.get("title") if isinstance(data.get("title"), dict) else None
        return cls(final, version=version, source=str(source) if source is not None else None,
                   digest=digest, title=title)

    # -- access
    def __len__(self) -> int:
        return len(self._order)

    def __contains__(self, code: object) -> bool:
        return code in self._codes

    def __iter__(self):
        return (self._codes[c] for c in self._order)

    def __getitem__(self, code: str) -> Code:
        try:
            return self._codes[code]
        except KeyError:
            raise KeyError(f"no code '{code}' in codebook {self.source or ''} (codes: {', '.join(self._order)})") from None

    def __repr__(self) -> str:
        return f"Codebook(version={self.version!r}, codes={len(self)}, source={self.source!r})"

    @property
    def ids(self) -> list[str]:
        """All code ids, depth-first in file order."""
        return list(self._order)

    @property
    def top_level(self) -> list[str]:
        """Ids of the top-level themes."""
        return [c for c in self._order if self._codes[c].parent is None]

    def children(self, code: str) -> list[str]:
        """Direct sub-themes of ``code``."""
        return [c for c in self._order if self._codes[c].parent == code]

    def ancestors(self, code: str) -> list[str]:
        """Parents of ``code``, nearest first."""
        out, node = [], self[code].parent
        while node is not None:
            out.append(node)
            node = self._codes[node].parent
        return out

    def label(self, code: str, language: str = "fi") -> str:
        """Name of ``code`` in ``language``; unknown codes are returned as they are."""
        return self._codes[code].name(language) if code in self._codes else code

    def labels(self, language: str = "fi") -> dict[str, str]:
        """``{code: name}`` in ``language``."""
        return {c: self._codes[c].name(language) for c in self._order}

    def colours(self) -> dict[str, str]:
        """``{code: '#RRGGBB'}``."""
        return {c: self._codes[c].colour for c in self._order}

    @cached_property
    def codes(self) -> pd.DataFrame:
        """One row per code: code, parent, name_fi, name_en, colour, definition, include,
        exclude, work_package, level, order (depth-first file order)."""
        rows = [{col: getattr(code, "id" if col == "code" else col) for col in CODE_COLUMNS} for code in self]
        frame = pd.DataFrame(rows, columns=CODE_COLUMNS)
        frame["level"] = frame["level"].astype("int64")
        frame["order"] = frame["order"].astype("int64")
        frame["parent"] = frame["parent"].astype(object).where(frame["parent"].notna(), None)
        frame["work_package"] = frame["work_package"].astype(object).where(frame["work_package"].notna(), None)
        return frame


def _as_str_list(value: str | list[str]) -> list[str]:
    return [v.strip() for v in ([value] if isinstance(value, str) else value)]


def _parse_patterns(value: Any, *, file: str, where: str) -> tuple[LemmaPattern, ...]:
    return tuple(LemmaPattern.parse(v) for v in _as_str_list(value))


def _parse_groups(value: Any, *, file: str, where: str) -> tuple[tuple[tuple[LemmaPattern, ...], ...], ...]:
    groups = []
    for i, group in enumerate(value):
        loc = f"{where}[{i}]"
        slots = tuple(_parse_patterns(slot, file=file, where=f"{loc}[{j}]") for j, slot in enumerate(group))
        groups.append(slots)
    return tuple(groups)


def _parse_regex(value: Any, *, file: str, where: str) -> tuple[re.Pattern[str], ...]:
    out = []
    for i, pattern in enumerate(_as_str_list(value)):
        try:
            out.append(re.compile(pattern))
        except re.error as exc:
            raise ConfigError(f"invalid regular expression {pattern!r}: {exc}", file=file, location=f"{where}[{i}]",
                              hint="Quote the pattern in single quotes and check brackets and escapes.") from None
    return tuple(out)


def _parse_ruleset(rules: dict, *, file: str, where: str) -> RuleSet:
    groups: tuple = ()
    for key in ("all", "lemma_pairs"):
        if rules.get(key) is not None:
            groups = groups + _parse_groups(rules[key], file=file, where=f"{where}.{key}")
    return RuleSet(
        lemmas=_parse_patterns(rules["lemmas"], file=file, where=f"{where}.lemmas") if rules.get("lemmas") else (),
        groups=groups,
        regex=_parse_regex(rules["regex"], file=file, where=f"{where}.regex") if rules.get("regex") else (),
    )


def _rules_schema() -> dict:
    """The ``rules:`` part of the codebook schema, for rules given outside a codebook file."""
    defs = schema("codebook")["$defs"]
    return {"$ref": "#/$defs/rules", "$defs": defs}


def _parse_rules(rules: Any, *, file: str, where: str) -> tuple[RuleSet, RuleSet]:
    if rules is None:
        return RuleSet(), RuleSet()
    validate(rules, _rules_schema(), file=file, at=where)
    positive = _parse_ruleset(rules, file=file, where=where)
    exclude = rules.get("exclude")
    if exclude is None:
        return positive, RuleSet()
    return positive, _parse_ruleset(exclude, file=file, where=f"{where}.exclude")


def load_codebook(path: str | Path) -> Codebook:
    """Read and validate a codebook YAML file.

    Parameters
    ----------
    path : str or Path
        The codebook, e.g. ``config/codebook.yaml`` (resolve notebook parameters with
        :meth:`analysis.workspace.Workspace.resolve_config`).

    Returns
    -------
    Codebook

    Raises
    ------
    ConfigError
        When the file is missing, is not YAML or does not validate; the message names the
        file and the key.

    Examples
    --------
    >>> from analysis.workspace import Workspace
    >>> cb = load_codebook(Workspace.discover().resolve_config("config/codebook.yaml"))
    >>> "housing_worries" in cb.children("housing")
    True
    """
    path = Path(path)
    data, node = load_config(path, "codebook", with_node=True)
    with located(node):
        return Codebook.from_dict(data, source=path)


def as_codebook(codebook: "Codebook | str | Path") -> Codebook:
    """Accept a :class:`Codebook` or a path to one."""
    if isinstance(codebook, Codebook):
        return codebook
    return load_codebook(codebook)


def iter_codes(codebook: Codebook, codes: Iterable[str] | None = None) -> list[str]:
    """Validate a selection of code ids against ``codebook`` (None = all, in codebook order)."""
    if codes is None:
        return codebook.ids
    codes = list(codes)
    unknown = [c for c in codes if c not in codebook]
    if unknown:
        raise KeyError(f"unknown code(s) {', '.join(unknown)}; codebook has {', '.join(codebook.ids)}")
    return codes

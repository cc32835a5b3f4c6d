"""Instrument files: a questionnaire described in YAML, loaded into typed objects.

An *instrument* maps the columns of a survey export (Webropol, Forms, LimeSurvey, SPSS)
to items, answer sets, scales (*summamuuttujat*), background variables and open
questions, so that a new questionnaire plugs in by editing YAML only.

The YAML format (see ``config/instrument_professionals.yaml``)::

    id: professionals
    title: {fi: ..., en: ...}
    respondent_id: {match: {header: "Vastaajatunnus"}}   # optional
    answer_sets:
      likert5:
        labels: {"Täysin eri mieltä": 1, ..., "Täysin samaa mieltä": 5}
        labels_en: {1: Strongly disagree, ...}           # optional
        missing: ["En osaa sanoa", 9]                    # text -> dont_know, number -> missing_code
        # or explicitly: missing: {"En osaa sanoa": dont_know, 9: missing_code}
        min: 1
        max: 5
        empty_is: null                                   # e.g. 0 for unticked check boxes
        numeric: true                                    # accept bare codes min..max
    items:
      - {id: rc1, match: {header: "..."}, text: {fi: ..., en: ...}, answers: likert5, reverse: false}
    scales:
      - {id: role_clarity, label: {fi: ..., en: ...}, items: [rc1, rc2], min_answered: 0.75}
    background:
      - id: role
        label: {fi: ..., en: ...}
        match: {header: "Ammattinimike"}
        type: category                                   # category | number | text
        recode: {"Sosiaalityöntekijä": social_worker, "Muu, mikä?": other}
        other_text: {header: "Ammattinimike: Muu, mikä?"}
        categories: {social_worker: {fi: ..., en: ...}}
        bands: {"18–20": [18, 20]}                       # number only
    open_items:
      - {id: works_well, match: {header: "..."}, text: {fi: ..., en: ...}}
    population: {social_worker: 24}                      # optional, for response rates

Column matching (``match``) is one of

* ``{header: "text"}`` - the exact column header; when no column is exactly equal, the
  tolerant comparison of ``normalized`` is tried as a fallback;
* ``{normalized: "text"}`` - equal after :func:`analysis.io.tables.normalise_header`
  (case, whitespace, line breaks, punctuation and symbols ignored);
* ``{regex: "pattern"}`` - :func:`re.search` on the header (exactly one column must match);
* ``{position: N}`` - the N-th column of the export, 1-based.

Every problem raises :class:`~analysis.errors.ConfigError` naming the file and the key,
e.g. ``scales[2].items[1]: item 'cp9' is not defined``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Mapping

from analysis.config import load_config, located, validate
from analysis.errors import ConfigError, DataError
from analysis.io.tables import normalise_header

__all__ = [
    "Match",
    "AnswerSet",
    "Item",
    "Scale",
    "BackgroundVariable",
    "OpenItem",
    "Instrument",
    "ColumnMatch",
    "MISSING_KINDS",
    "normalize_label",
    "parse_number",
    "load_instrument",
    "instrument_from_dict",
    "match_columns",
]

#: The values of the ``missing`` column of ``survey_responses`` (besides None).
MISSING_KINDS = ("dont_know", "missing_code", "empty")

#: Columns added by the readers that are never questionnaire columns.
RESERVED_COLUMNS = ("source_row",)


# --------------------------------------------------------------------------- helpers
def normalize_label(text: Any) -> str:
    """Return an answer label in the form used to look it up.

    Whitespace (including non-breaking spaces and line breaks) is collapsed and case is
    folded; punctuation is kept, because ``"Muu, mikä?"`` and ``"Muu mikä"`` are
    normally the same option but a label such as ``"1-2"`` must stay distinct from
    ``"12"``.

    Examples
    --------
    >>> normalize_label("  jokseenkin\\u00a0SAMAA  mieltä ")
    'jokseenkin samaa mieltä'
    """
    text = unicodedata.normalize("NFKC", str(text)).casefold()
    return " ".join(text.split())


def parse_number(value: Any) -> float | None:
    """Read a number written as ``4``, ``4.0``, ``"4"``, ``"4,0"`` or ``" 4 "``.

    Returns None when ``value`` is not a number (a label, an empty cell).

    Examples
    --------
    >>> parse_number("4,0"), parse_number(4), parse_number("Täysin samaa mieltä")
    (4.0, 4.0, None)
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return None if isinstance(value, float) and math.isnan(value) else float(value)
    try:
        import numpy as np

        if isinstance(value, np.number):
            number = float(value)
            return None if math.isnan(number) else number
    except ImportError:  # pragma: no cover - numpy is a dependency
        pass
    text = unicodedata.normalize("NFKC", str(value)).strip().replace("\u2212", "-")
    if re.fullmatch(r"[-+]?\d+([.,]\d+)?", text):
        return float(text.replace(",", "."))
    return None


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return True
    except ImportError:  # pragma: no cover
        pass
    return isinstance(value, str) and not value.strip()


def _text(mapping: Any) -> dict[str, str]:
    """Read a ``{fi: ..., en: ...}`` pair (a plain string is used for both; None gives ``{}``)."""
    if mapping is None:
        return {}
    if isinstance(mapping, str):
        return {"fi": mapping, "en": mapping}
    out = {str(k): str(v) for k, v in mapping.items()}
    out.setdefault("en", out["fi"])
    return out


# --------------------------------------------------------------------------- matching
@dataclass(frozen=True)
class Match:
    """How a column is found in an export.

    Parameters
    ----------
    kind : {"header", "normalized", "regex", "position"}
        The matching rule (see the module docstring).
    value : str or int
        The header text, the pattern or the 1-based position.
    """

    kind: str
    value: str | int

    KINDS = ("header", "normalized", "regex", "position")

    @classmethod
    def parse(cls, spec: Any, *, file: Path | str, where: str) -> "Match":
        """Build a Match from ``{header: ...}`` (or the other kinds) in YAML."""
        if isinstance(spec, str):  # shorthand: a plain string is an exact header
            return cls("header", spec)
        (kind, value), = spec.items()  # one of KINDS (the instrument schema checks it)
        if kind == "regex":
            try:
                re.compile(value)
            except re.error as exc:
                raise ConfigError(
                    f"invalid regular expression: {exc}", file=file, location=f"{where}.regex",
                    hint="Escape special characters such as ? ( ) with a backslash.",
                ) from None
        return cls(kind, value)

    def candidates(self, columns: list[str]) -> list[str]:
        """Return the columns this rule matches (exact header wins over tolerant)."""
        if self.kind == "position":
            index = int(self.value) - 1
            return [columns[index]] if index < len(columns) else []
        if self.kind == "regex":
            pattern = re.compile(str(self.value))
            return [c for c in columns if pattern.search(str(c))]
        if self.kind == "header":
            exact = [c for c in columns if str(c) == self.value]
            if exact:
                return exact
            stripped = [c for c in columns if str(c).strip() == str(self.value).strip()]
            if stripped:
                return stripped
        target = normalise_header(self.value)
        return [c for c in columns if normalise_header(c) == target]

    def describe(self) -> str:
        """A short human-readable description for error messages."""
        return f"{self.kind} {self.value!r}"


# --------------------------------------------------------------------------- dataclasses
@dataclass(frozen=True)
class AnswerSet:
    """Answer labels and codes shared by a group of items.

    ``missing_written`` keeps the missing codes as written in the YAML (for messages).

    Parameters
    ----------
    id : str
        The answer-set id (``likert5``).
    labels : dict
        Normalised label (see :func:`normalize_label`) → value.
    labels_en : dict
        Value → English label, for figures.
    labels_fi : dict
        Value → Finnish label as written in the instrument.
    missing : dict
        Normalised label or number (as float) → missing kind (``dont_know`` or
        ``missing_code``).
    min, max : float
        The valid range of answer values.
    empty_is : float or None
        Value an empty cell stands for (check boxes); None means "empty" missing.
    numeric : bool
        Whether bare numeric codes ``min..max`` are accepted besides the labels.
    """

    id: str
    labels: dict[str, float]
    labels_en: dict[float, str]
    labels_fi: dict[float, str]
    missing: dict[str | float, str]
    min: float
    max: float
    empty_is: float | None = None
    numeric: bool = True
    missing_written: tuple[str, ...] = ()

    @cached_property
    def allowed_values(self) -> list[float]:
        """The answer values, sorted (labels' values plus integers min..max if numeric)."""
        values = set(self.labels.values())
        if self.numeric:
            values |= {float(v) for v in range(int(math.ceil(self.min)), int(math.floor(self.max)) + 1)}
        return sorted(values)

    def describe_allowed(self) -> str:
        """Text listing what a cell may hold, for error messages."""
        parts = [f"{_fmt(v)}" for v in self.allowed_values]
        labels = [self.labels_fi[v] for v in sorted(self.labels_fi) if parse_number(self.labels_fi[v]) is None]
        text = f"values {', '.join(parts)}"
        if labels:
            text += f" or labels {', '.join(repr(label) for label in labels)}"
        if self.missing_written:
            text += f"; missing: {', '.join(repr(m) for m in self.missing_written)}"
        return text

    def parse(self, cell: Any) -> tuple[float, str | None, str | None]:
        """Interpret one cell.

        Returns
        -------
        (value, label, missing)
            ``value`` is a float (NaN when missing), ``label`` the cell as written
            (None for an empty cell), ``missing`` None or one of :data:`MISSING_KINDS`.

        Raises
        ------
        ValueError
            When the cell is neither an allowed value, a label nor a missing code.
        """
        if _is_blank(cell):
            if self.empty_is is not None:
                return float(self.empty_is), None, None
            return math.nan, None, "empty"
        label = _cell_text(cell)
        key = normalize_label(cell)
        if key in self.labels:
            return float(self.labels[key]), label, None
        if key in self.missing:
            return math.nan, label, self.missing[key]
        number = parse_number(cell)
        if number is not None:
            if number in self.missing:
                return math.nan, label, self.missing[number]
            if number in self.allowed_values:
                return float(number), label, None
            raise ValueError(f"value {label!r} is out of range: allowed are {self.describe_allowed()}")
        raise ValueError(f"unknown answer {label!r}: allowed are {self.describe_allowed()}")


@dataclass(frozen=True)
class Item:
    """One closed question (one column)."""

    id: str
    match: Match
    text: dict[str, str]
    answers: str
    reverse: bool = False


@dataclass(frozen=True)
class Scale:
    """A summed scale (*summamuuttuja*): the mean of its items."""

    id: str
    label: dict[str, str]
    items: tuple[str, ...]
    min_answered: float = 1.0


@dataclass(frozen=True)
class BackgroundVariable:
    """A background question: a category to recode, a number or free text."""

    id: str
    label: dict[str, str]
    match: Match
    type: str = "category"
    recode: dict[str, str] = field(default_factory=dict)
    recode_labels: dict[str, str] = field(default_factory=dict)
    other_text: Match | None = None
    categories: dict[str, dict[str, str]] = field(default_factory=dict)
    bands: dict[str, tuple[float, float]] = field(default_factory=dict)
    optional: bool = False

    def recode_value(self, cell: Any) -> str | None:
        """Return the category id for a cell (None if blank); ValueError if unknown."""
        if _is_blank(cell):
            return None
        key = normalize_label(cell)
        if key in self.recode:
            return self.recode[key]
        number = parse_number(cell)
        if number is not None and normalize_label(_fmt(number)) in self.recode:
            return self.recode[normalize_label(_fmt(number))]
        allowed = ", ".join(repr(v) for v in self.recode_labels.values())
        raise ValueError(f"unknown category {_cell_text(cell)!r}: allowed are {allowed}")

    def band_of(self, value: float) -> str | None:
        """Return the band label holding ``value`` (inclusive bounds), or None."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        for label, (low, high) in self.bands.items():
            if low <= value <= high:
                return label
        return None

    def category_label(self, category: str, language: str = "fi") -> str:
        """Label of a category in the given language (the id if none is given)."""
        return self.categories.get(category, {}).get(language, category)


@dataclass(frozen=True)
class OpenItem:
    """An open (free-text) question."""

    id: str
    match: Match
    text: dict[str, str]
    optional: bool = False


@dataclass(frozen=True)
class Instrument:
    """A questionnaire: answer sets, items, scales, background and open questions.

    Build one with :func:`load_instrument`. Look-ups: :meth:`item`, :meth:`scale`,
    :meth:`answer_set_of`.
    """

    id: str
    title: dict[str, str]
    answer_sets: dict[str, AnswerSet]
    items: tuple[Item, ...]
    scales: tuple[Scale, ...] = ()
    background: tuple[BackgroundVariable, ...] = ()
    open_items: tuple[OpenItem, ...] = ()
    respondent_id: Match | None = None
    population: dict[str, int] = field(default_factory=dict)
    path: str | None = None

    def item(self, item_id: str) -> Item:
        """Return the item with id ``item_id`` (KeyError if none)."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def scale(self, scale_id: str) -> Scale:
        """Return the scale with id ``scale_id`` (KeyError if none)."""
        for scale in self.scales:
            if scale.id == scale_id:
                return scale
        raise KeyError(scale_id)

    def answer_set_of(self, item_id: str) -> AnswerSet:
        """The answer set of an item."""
        return self.answer_sets[self.item(item_id).answers]

    def background_variable(self, var_id: str) -> BackgroundVariable:
        """Return the background variable with id ``var_id`` (KeyError if none)."""
        for var in self.background:
            if var.id == var_id:
                return var
        raise KeyError(var_id)

    @property
    def item_ids(self) -> list[str]:
        """Item ids in instrument order."""
        return [item.id for item in self.items]

    @property
    def scale_ids(self) -> list[str]:
        """Scale ids in instrument order."""
        return [scale.id for scale in self.scales]

    def item_text(self, item_id: str, language: str = "fi") -> str:
        """Question text of an item in ``language``."""
        return self.item(item_id).text.get(language, item_id)

    def scale_label(self, scale_id: str, language: str = "fi") -> str:
        """Label of a scale in ``language``."""
        return self.scale(scale_id).label.get(language, scale_id)


# --------------------------------------------------------------------------- loading
def load_instrument(path: str | Path) -> Instrument:
    """Load and validate an instrument YAML file.

    Parameters
    ----------
    path : str or Path
        The instrument file (e.g. ``config/instrument_professionals.yaml``).

    Returns
    -------
    Instrument

    Raises
    ------
    ConfigError
        For a missing file, invalid YAML or an invalid instrument; the message names
        the file and the key (``scales[2].items[1]: item 'cp9' is not defined``).

    Examples
    --------
    >>> from analysis.workspace import PACKAGE_PROJECT_DIR
    >>> inst = load_instrument(PACKAGE_PROJECT_DIR / "config" / "instrument_professionals.yaml")
    >>> inst.scale("role_clarity").items
    ('rc1', 'rc2', 'rc3', 'rc4')
    """
    data, node = load_config(path, "instrument", with_node=True)
    with located(node):
        return instrument_from_dict(data, file=path)


def instrument_from_dict(data: Any, *, file: str | Path = "<instrument>") -> Instrument:
    """Validate a parsed instrument document (see :func:`load_instrument`).

    The structure is checked by ``analysis/schemas/instrument.schema.yaml``; the
    cross-references (answer sets, scale items, unique ids, ranges) here.
    """
    file = str(file)
    validate(data, "instrument", file=file)
    inst_id = data["id"]
    title = _text(data.get("title")) or {"fi": inst_id, "en": inst_id}

    respondent = None
    if data.get("respondent_id") is not None:
        spec = data["respondent_id"]
        respondent = Match.parse(spec["match"], file=file, where="respondent_id.match")

    answer_sets = _parse_answer_sets(data.get("answer_sets"), file)
    items = _parse_items(data.get("items"), answer_sets, file)
    item_ids = {item.id for item in items}
    scales = _parse_scales(data.get("scales") or [], item_ids, items, answer_sets, file)
    background = _parse_background(data.get("background") or [], file)
    open_items = _parse_open_items(data.get("open_items") or [], file)

    seen: dict[str, str] = {}
    for kind, ids in (("items", [i.id for i in items]), ("background", [b.id for b in background]),
                      ("open_items", [o.id for o in open_items])):
        for index, some_id in enumerate(ids):
            if some_id in seen:
                raise ConfigError(
                    f"id '{some_id}' is used twice (also in {seen[some_id]})", file=file, location=f"{kind}[{index}].id",
                    hint="Give every item, background variable and open question its own id.",
                )
            seen[some_id] = kind

    population = data.get("population") or {}

    return Instrument(
        id=inst_id, title=title, answer_sets=answer_sets, items=tuple(items), scales=tuple(scales),
        background=tuple(background), open_items=tuple(open_items), respondent_id=respondent,
        population={str(k): int(v) for k, v in population.items()}, path=file,
    )


def _parse_answer_sets(spec: Any, file: str) -> dict[str, AnswerSet]:
    out: dict[str, AnswerSet] = {}
    for set_id, body in spec.items():
        where = f"answer_sets.{set_id}"
        labels_raw = body.get("labels") or {}
        labels: dict[str, float] = {}
        labels_fi: dict[float, str] = {}
        for label, value in labels_raw.items():
            number = float(value)
            key = normalize_label(label)
            if key in labels:
                raise ConfigError(f"label {label!r} is given twice", file=file, location=f"{where}.labels.{label}")
            labels[key] = number
            if parse_number(label) is None or number not in labels_fi:
                labels_fi[number] = str(label) if parse_number(label) is None else labels_fi.get(number, str(label))
        if "min" not in body or "max" not in body:
            values = list(labels.values())
            if not values:
                raise ConfigError("needs 'min' and 'max' or 'labels'", file=file, location=where)
        low = float(body["min"]) if "min" in body else min(labels.values())
        high = float(body["max"]) if "max" in body else max(labels.values())
        if low >= high:
            raise ConfigError(f"min ({_fmt(low)}) must be below max ({_fmt(high)})", file=file, location=where)
        for key, value in labels.items():
            if not low <= value <= high:
                raise ConfigError(
                    f"label value {_fmt(value)} is outside min..max ({_fmt(low)}..{_fmt(high)})",
                    file=file, location=f"{where}.labels",
                )
        missing: dict[str | float, str] = {}
        missing_raw = body.get("missing") or []
        if isinstance(missing_raw, dict):
            pairs = list(missing_raw.items())
        else:
            pairs = [(m, "missing_code" if parse_number(m) is not None else "dont_know") for m in missing_raw]
        for code, kind in pairs:
            number = parse_number(code)
            if number is not None:
                if low <= number <= high and number in set(labels.values()) | (
                    set(range(int(low), int(high) + 1)) if body.get("numeric", True) else set()
                ):
                    raise ConfigError(
                        f"missing code {code!r} is also a valid answer value", file=file, location=f"{where}.missing",
                        hint="Use a code outside min..max (e.g. 9 or -1).",
                    )
                missing[number] = kind
            missing[normalize_label(code)] = kind
        for key in labels:
            if key in missing:
                raise ConfigError(f"{key!r} is both an answer label and a missing code", file=file, location=f"{where}.missing")
        labels_en_raw = body.get("labels_en") or {}
        labels_en: dict[float, str] = {}
        for value, label in labels_en_raw.items():
            number = parse_number(value)
            if number is None:
                raise ConfigError(f"key {value!r} must be an answer value", file=file, location=f"{where}.labels_en")
            labels_en[number] = str(label)
        empty_is = float(body["empty_is"]) if body.get("empty_is") is not None else None
        numeric = body.get("numeric", True)
        out[set_id] = AnswerSet(
            id=set_id, labels=labels, labels_en=labels_en, labels_fi=labels_fi, missing=missing,
            min=low, max=high, empty_is=empty_is, numeric=numeric,
            missing_written=tuple(_fmt(code) for code, _ in pairs),
        )
    return out


def _parse_items(spec: Any, answer_sets: dict[str, AnswerSet], file: str) -> list[Item]:
    items = []
    for index, body in enumerate(spec):
        where = f"items[{index}]"
        item_id = body["id"]
        if any(item.id == item_id for item in items):
            raise ConfigError(f"item id '{item_id}' is used twice", file=file, location=f"{where}.id",
                              hint="Give every item its own id.")
        if body["answers"] not in answer_sets:
            raise ConfigError(
                f"answer set {body['answers']!r} is not defined", file=file, location=f"{where}.answers",
                hint=f"Defined answer sets: {', '.join(answer_sets)}.",
            )
        reverse = body.get("reverse", False)
        text = _text(body.get("text")) or {"fi": item_id, "en": item_id}
        items.append(Item(item_id, Match.parse(body["match"], file=file, where=f"{where}.match"), text,
                          body["answers"], reverse))
    return items


def _parse_scales(spec: Any, item_ids: set[str], items: list[Item], answer_sets: dict[str, AnswerSet],
                  file: str) -> list[Scale]:
    scales = []
    seen = set()
    by_id = {item.id: item for item in items}
    for index, body in enumerate(spec):
        where = f"scales[{index}]"
        scale_id = body["id"]
        if scale_id in seen:
            raise ConfigError(f"scale id '{scale_id}' is used twice", file=file, location=f"{where}.id")
        seen.add(scale_id)
        members = body["items"]
        for j, member in enumerate(members):
            if member not in item_ids:
                raise ConfigError(
                    f"item '{member}' is not defined", file=file, location=f"{where}.items[{j}]",
                    hint="Add it under items: or correct the id.",
                )
        if len(set(members)) != len(members):
            raise ConfigError("an item is listed twice", file=file, location=f"{where}.items")
        ranges = {(answer_sets[by_id[m].answers].min, answer_sets[by_id[m].answers].max) for m in members}
        if len(ranges) > 1:
            raise ConfigError(
                "the items of a scale must share one answer range", file=file, location=f"{where}.items",
                hint="Put items with different answer sets into different scales.",
            )
        min_answered = body.get("min_answered", 1.0)
        label = _text(body.get("label")) or {"fi": scale_id, "en": scale_id}
        scales.append(Scale(scale_id, label, tuple(members), float(min_answered)))
    return scales


def _parse_background(spec: Any, file: str) -> list[BackgroundVariable]:
    out = []
    for index, body in enumerate(spec):
        where = f"background[{index}]"
        var_id = body["id"]
        recode_raw = body.get("recode") or {}
        kind = body.get("type", "category" if recode_raw else "text")
        if kind == "category" and not recode_raw:
            raise ConfigError("a category variable needs 'recode' (answer text: category id)", file=file,
                              location=f"{where}.recode")
        recode: dict[str, str] = {}
        recode_labels: dict[str, str] = {}
        for label, target in recode_raw.items():
            key = normalize_label(label if not isinstance(label, float) else _fmt(label))
            recode[key] = target
            recode_labels[key] = str(label)
        categories = {str(k): _text(v) for k, v in (body.get("categories") or {}).items()}
        for cat in categories:
            if cat not in recode.values():
                raise ConfigError(f"category '{cat}' is not a recode target", file=file, location=f"{where}.categories.{cat}")
        bands_raw = body.get("bands") or {}
        if bands_raw and kind != "number":
            raise ConfigError("bands need type: number", file=file, location=f"{where}.bands")
        bands: dict[str, tuple[float, float]] = {}
        for label, bounds in bands_raw.items():
            low, high = float(bounds[0]), float(bounds[1])
            if low > high:
                raise ConfigError("low is above high", file=file, location=f"{where}.bands.{label}")
            for other, (olow, ohigh) in bands.items():
                if low <= ohigh and olow <= high:
                    raise ConfigError(f"band overlaps band {other!r}", file=file, location=f"{where}.bands.{label}")
            bands[str(label)] = (low, high)
        other = None
        if body.get("other_text") is not None:
            other = Match.parse(body["other_text"], file=file, where=f"{where}.other_text")
        optional = body.get("optional", False)
        label = _text(body.get("label")) or {"fi": var_id, "en": var_id}
        out.append(BackgroundVariable(
            var_id, label, Match.parse(body["match"], file=file, where=f"{where}.match"), kind, recode,
            recode_labels, other, categories, bands, optional,
        ))
    return out


def _parse_open_items(spec: Any, file: str) -> list[OpenItem]:
    out = []
    for index, body in enumerate(spec):
        where = f"open_items[{index}]"
        open_id = body["id"]
        text = _text(body.get("text")) or {"fi": open_id, "en": open_id}
        out.append(OpenItem(open_id, Match.parse(body["match"], file=file, where=f"{where}.match"), text,
                            bool(body.get("optional", False))))
    return out


# --------------------------------------------------------------------------- column matching
@dataclass(frozen=True)
class ColumnMatch:
    """The result of matching an instrument to the columns of one export.

    Attributes
    ----------
    columns : dict
        Instrument id → column header. Keys are item ids, background ids, open-item ids,
        ``"<background id>_other"`` for "Muu, mikä?" text columns and
        ``"respondent_id"``.
    unmatched : list of str
        Descriptions of required entries no column matched (empty when all matched).
    extra : list of str
        Columns of the export that no entry uses (listed, reported, never used).
    """

    columns: dict[str, str]
    unmatched: list[str]
    extra: list[str]

    def column(self, key: str) -> str | None:
        """The column matched for ``key``, or None."""
        return self.columns.get(key)


def _entries(instrument: Instrument) -> Iterable[tuple[str, str, Match, bool]]:
    """(key, description, match, optional) for every column the instrument uses."""
    if instrument.respondent_id is not None:
        yield "respondent_id", "respondent_id", instrument.respondent_id, False
    for item in instrument.items:
        yield item.id, f"item '{item.id}'", item.match, False
    for var in instrument.background:
        yield var.id, f"background '{var.id}'", var.match, var.optional
        if var.other_text is not None:
            yield f"{var.id}_other", f"background '{var.id}' other_text", var.other_text, True
    for open_item in instrument.open_items:
        yield open_item.id, f"open item '{open_item.id}'", open_item.match, open_item.optional


def match_columns(instrument: Instrument, columns: Iterable[Any], file: str | Path | None = None, *,
                  strict: bool = True) -> ColumnMatch:
    """Find the column of every item, background variable and open question.

    Parameters
    ----------
    instrument : Instrument
        The loaded instrument.
    columns : iterable of str
        The headers of the export, in order (``source_row`` is ignored).
    file : str or Path, optional
        The export's file name, for error messages.
    strict : bool, default True
        Raise :class:`DataError` when a required entry is unmatched or matched
        ambiguously; with False the problems are only listed in ``unmatched``.

    Returns
    -------
    ColumnMatch

    Raises
    ------
    DataError
        Naming every unmatched or ambiguous entry and the file, in one message.

    Examples
    --------
    >>> from analysis.survey.examples import example_export
    >>> from analysis.workspace import PACKAGE_PROJECT_DIR
    >>> inst = load_instrument(PACKAGE_PROJECT_DIR / "config" / "instrument_professionals.yaml")
    >>> m = match_columns(inst, example_export(inst, 5).columns, "kysely.xlsx")
    >>> m.extra  # columns the instrument does not describe
    ['Aloitusaika', 'Hyväksyn tietojeni käytön tutkimuksessa']
    """
    all_columns = [str(c) for c in columns if str(c) not in RESERVED_COLUMNS]
    mapping: dict[str, str] = {}
    problems: list[str] = []
    used_by: dict[str, str] = {}
    for key, description, match, optional in _entries(instrument):
        found = match.candidates(all_columns)
        if len(found) == 1:
            column = found[0]
            if column in used_by:
                problems.append(f"{description} ({match.describe()}) matches column {column!r}, "
                                f"already used by {used_by[column]}")
                continue
            mapping[key] = column
            used_by[column] = description
        elif len(found) > 1:
            problems.append(f"{description} ({match.describe()}) matches {len(found)} columns: "
                            f"{', '.join(repr(c) for c in found)}")
        elif not optional:
            problems.append(f"{description} ({match.describe()}) matches no column")
    extra = [c for c in all_columns if c not in used_by]
    if problems and strict:
        raise DataError(
            f"{len(problems)} instrument column(s) not found or ambiguous in the export "
            f"(instrument {instrument.path or instrument.id}): " + "; ".join(problems),
            file=file,
            location="header row",
            hint="Correct the 'match' of these entries in the instrument YAML or check that this is the right file"
            + (f". Unused columns in the file: {', '.join(repr(c) for c in extra)}" if extra else ""),
        )
    return ColumnMatch(columns=mapping, unmatched=problems, extra=extra)


def _fmt(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _cell_text(cell: Any) -> str:
    """The cell as written: numbers without a spurious ``.0``; text stripped."""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()

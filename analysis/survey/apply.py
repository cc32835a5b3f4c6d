"""Apply an instrument to one raw survey export: raw sheet → tidy tables + quarantine.

The reader (``analysis.io.tables``) returns the sheet as it is: original headers,
strings and numbers, plus a ``source_row`` column (1-based, as Excel shows it).
:func:`apply_instrument` matches the columns, interprets every answer and returns the
tidy tables of ``docs/architecture.md``. It does not read files and does not
pseudonymise: ``respondent_code`` holds the code as written (normalised), and the
lead's ingestion replaces it with the pseudonym ``respondent`` and redacts open text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.errors import ConfigError, DataError
from analysis.survey.instrument import (
    BackgroundVariable,
    ColumnMatch,
    Instrument,
    _cell_text,
    _is_blank,
    match_columns,
    parse_number,
)

__all__ = ["SurveyTables", "apply_instrument", "normalize_code", "WAVES",
           "RESPONDENT_COLUMNS", "RESPONSE_COLUMNS", "OPEN_COLUMNS", "QUARANTINE_COLUMNS"]

#: Waves a survey source can have (as in the data manifest).
WAVES = ("baseline", "followup", "single")

RESPONSE_COLUMNS = ["survey_id", "instrument", "wave", "respondent_code", "item", "value", "label", "missing"]
OPEN_COLUMNS = ["survey_id", "wave", "respondent_code", "item", "text", "source_id", "source_file", "source_row"]
QUARANTINE_COLUMNS = ["source_id", "source_file", "source_row", "location", "reason", "content"]
RESPONDENT_COLUMNS = ["survey_id", "instrument", "wave", "respondent_code"]  # + background + source columns


@dataclass
class SurveyTables:
    """The tidy tables made from one export.

    Attributes
    ----------
    respondents : DataFrame
        One row per usable respondent: ``survey_id, instrument, wave, respondent_code``,
        the background ids (``<id>_other`` free text, ``<id>_band`` age bands), then
        ``source_id, source_file, source_row``.
    responses : DataFrame
        Long: ``survey_id, instrument, wave, respondent_code, item, value, label,
        missing`` (``value`` float, NaN when missing; ``label`` as written; ``missing``
        None or ``dont_know`` / ``missing_code`` / ``empty``).
    open_answers : DataFrame
        ``survey_id, wave, respondent_code, item, text, source_id, source_file,
        source_row`` (raw text; redact before writing).
    quarantine : DataFrame
        ``source_id, source_file, source_row, location, reason, content``: one line per
        problem; the rows named there are left out of the other tables.
    column_match : ColumnMatch
        Which column each entry came from and the unused extra columns.
    """

    respondents: pd.DataFrame
    responses: pd.DataFrame
    open_answers: pd.DataFrame
    quarantine: pd.DataFrame
    column_match: ColumnMatch

    @property
    def extra_columns(self) -> list[str]:
        """Columns of the export the instrument does not use."""
        return list(self.column_match.extra)


def normalize_code(value: Any) -> str | None:
    """Normalise a respondent's own code for linking waves.

    Whitespace is removed at the ends and collapsed inside, letters are upper-cased and
    a number read as ``12.0`` becomes ``"12"``; a blank cell gives None.

    Examples
    --------
    >>> normalize_code(" ab 12 "), normalize_code(12.0), normalize_code("")
    ('AB 12', '12', None)
    """
    if _is_blank(value):
        return None
    return " ".join(_cell_text(value).split()).upper()


def apply_instrument(
    raw: pd.DataFrame,
    instrument: Instrument,
    *,
    source_id: str,
    source_file: str | Path,
    wave: str,
) -> SurveyTables:
    """Turn one raw export into the tidy survey tables, quarantining unusable rows.

    Parameters
    ----------
    raw : DataFrame
        The sheet as read: original headers, cells as strings or numbers, and a
        ``source_row`` column (1-based row number as in Excel).
    instrument : Instrument
        From :func:`~analysis.survey.instrument.load_instrument`.
    source_id : str
        The source's id in the data manifest (becomes ``survey_id`` too).
    source_file : str or Path
        The file, relative to ``data/raw`` (for messages and provenance).
    wave : {"baseline", "followup", "single"}
        The measurement wave.

    Returns
    -------
    SurveyTables

    Raises
    ------
    DataError
        When ``raw`` lacks ``source_row`` or instrument columns cannot be found (all
        unmatched entries are listed in one message).
    ConfigError
        For an unknown wave.

    Notes
    -----
    A row is quarantined (left out, with one quarantine line per problem) when an
    answer is out of range or an unknown label, a category or number cannot be read,
    its respondent code occurs more than once in the export (all rows with that
    code are quarantined: the researcher decides which one is valid), or none of its
    items and open questions has an answer. A row without a respondent code is kept
    with the code ``"<source_id>-row<source_row>"``; it cannot be linked across waves.

    Examples
    --------
    >>> from analysis.survey.examples import example_export
    >>> from analysis.survey.instrument import load_instrument
    >>> from analysis.workspace import PACKAGE_PROJECT_DIR
    >>> inst = load_instrument(PACKAGE_PROJECT_DIR / "config" / "instrument_professionals.yaml")
    >>> raw = example_export(inst, 5, seed=1)
    >>> tables = apply_instrument(raw, inst, source_id="professionals_baseline",
    ...                           source_file="surveys/alku.xlsx", wave="baseline")
    >>> tables.responses.columns.tolist()
    ['survey_id', 'instrument', 'wave', 'respondent_code', 'item', 'value', 'label', 'missing']
    """
    source_file = str(source_file)
    if wave not in WAVES:
        raise ConfigError(f"unknown wave {wave!r}", file=source_file, location="wave",
                          hint=f"Use one of {', '.join(WAVES)}.")
    if not isinstance(raw, pd.DataFrame):
        raise DataError(f"expected a DataFrame, got {type(raw).__name__}", file=source_file)
    if "source_row" not in raw.columns:
        raise DataError("the table has no 'source_row' column", file=source_file,
                        hint="Read the file with analysis.io.tables, which adds the 1-based row numbers.")
    match = match_columns(instrument, raw.columns, source_file)
    cols = match.columns

    quarantine: list[dict[str, Any]] = []

    def problem(row: int, column: str | None, reason: str, content: Any) -> None:
        location = f"row {row}" + (f", column {column!r}" if column else "")
        quarantine.append({"source_id": source_id, "source_file": source_file, "source_row": row,
                           "location": location, "reason": reason,
                           "content": None if _is_blank(content) else _cell_text(content)})

    rows = raw.to_dict("records")
    parsed: list[dict[str, Any]] = []
    for record in rows:
        source_row = int(record["source_row"])
        bad = False
        code = normalize_code(record.get(cols["respondent_id"])) if "respondent_id" in cols else None
        answers = []
        any_answer = False
        for item in instrument.items:
            column = cols[item.id]
            cell = record.get(column)
            if not _is_blank(cell):
                any_answer = True
            try:
                value, label, missing = instrument.answer_sets[item.answers].parse(cell)
            except ValueError as exc:
                problem(source_row, column, f"item '{item.id}': {exc}", cell)
                bad = True
                continue
            answers.append((item.id, value, label, missing))
        background: dict[str, Any] = {}
        for var in instrument.background:
            column = cols.get(var.id)
            cell = record.get(column) if column else None
            try:
                background.update(_background_values(var, cell, record.get(cols.get(f"{var.id}_other"))
                                                      if f"{var.id}_other" in cols else None,
                                                      has_other=var.other_text is not None))
            except ValueError as exc:
                problem(source_row, column, f"background '{var.id}': {exc}", cell)
                bad = True
        opens = []
        for open_item in instrument.open_items:
            column = cols.get(open_item.id)
            cell = record.get(column) if column else None
            if not _is_blank(cell):
                any_answer = True
                opens.append((open_item.id, str(cell).strip()))
        if not any_answer:
            problem(source_row, None, "the row has no answers at all (every item and open question is empty)", None)
            bad = True
        parsed.append({"row": source_row, "code": code, "bad": bad, "answers": answers,
                       "background": background, "opens": opens})

    # duplicate respondent codes within this export (= one wave of one survey)
    codes = pd.Series([p["code"] for p in parsed], dtype=object)
    duplicated = codes[codes.notna() & codes.duplicated(keep=False)]
    for code, group in duplicated.groupby(duplicated, sort=True):
        where = [parsed[i]["row"] for i in group.index]
        for i in group.index:
            problem(parsed[i]["row"], cols.get("respondent_id"),
                    f"respondent code {code!r} occurs in rows {', '.join(map(str, where))} of wave '{wave}'; "
                    "keep one row and remove or correct the others", code)
            parsed[i]["bad"] = True

    respondent_rows, response_rows, open_rows = [], [], []
    for p in parsed:
        if p["bad"]:
            continue
        code = p["code"] or f"{source_id}-row{p['row']}"
        respondent_rows.append({"survey_id": source_id, "instrument": instrument.id, "wave": wave,
                                "respondent_code": code, **p["background"], "source_id": source_id,
                                "source_file": source_file, "source_row": p["row"]})
        for item_id, value, label, missing in p["answers"]:
            response_rows.append((source_id, instrument.id, wave, code, item_id, value, label, missing))
        for item_id, text in p["opens"]:
            open_rows.append((source_id, wave, code, item_id, text, source_id, source_file, p["row"]))

    bg_columns = _background_columns(instrument)
    respondents = pd.DataFrame(respondent_rows, columns=RESPONDENT_COLUMNS + bg_columns
                               + ["source_id", "source_file", "source_row"])
    for var in instrument.background:
        if var.type == "number":
            respondents[var.id] = pd.to_numeric(respondents[var.id], errors="coerce").astype(float)
    respondents["source_row"] = respondents["source_row"].astype("int64")
    responses = pd.DataFrame(response_rows, columns=RESPONSE_COLUMNS)
    responses["value"] = responses["value"].astype(float)
    responses["missing"] = responses["missing"].astype(object).where(responses["missing"].notna(), None)
    open_answers = pd.DataFrame(open_rows, columns=OPEN_COLUMNS)
    quarantine_df = pd.DataFrame(quarantine, columns=QUARANTINE_COLUMNS).sort_values(
        ["source_row", "location"], kind="stable").reset_index(drop=True)
    return SurveyTables(respondents=respondents, responses=responses, open_answers=open_answers,
                        quarantine=quarantine_df, column_match=match)


def _background_columns(instrument: Instrument) -> list[str]:
    out = []
    for var in instrument.background:
        out.append(var.id)
        if var.other_text is not None:
            out.append(f"{var.id}_other")
        if var.bands:
            out.append(f"{var.id}_band")
    return out


def _background_values(var: BackgroundVariable, cell: Any, other_cell: Any, *, has_other: bool) -> dict[str, Any]:
    """Values of one background variable (and its ``_other`` / ``_band`` columns)."""
    out: dict[str, Any] = {}
    if var.type == "category":
        out[var.id] = var.recode_value(cell)
    elif var.type == "number":
        if _is_blank(cell):
            number = math.nan
        else:
            number = parse_number(cell)
            if number is None:
                raise ValueError(f"{_cell_text(cell)!r} is not a number")
        out[var.id] = number
        if var.bands:
            out[f"{var.id}_band"] = var.band_of(number)
    else:
        out[var.id] = None if _is_blank(cell) else str(cell).strip()
    if has_other:
        out[f"{var.id}_other"] = None if _is_blank(other_cell) else " ".join(str(other_cell).split())
    return out


"""A published table as the reader sees it: cells rounded and in words, headers from the vocabulary.

The registry publishes tables as text cells (``reports/tables/<run>/<id>.csv``). For the
report they are shown in the report's language: numbers rounded with a decimal comma in
Finnish (:func:`format_cell`), p-values and shares in their own form, coded values such as
``social_worker`` in words from ``config/vocabulary.yaml`` and the codebook's and
instruments' own names (:func:`translate_value`, :func:`translate_words`), headers from
the vocabulary (:func:`header_text`) and only the columns a reader needs
(:func:`display_columns`, ``hide_columns`` and ``label_columns`` of ``config/report.yaml``).
For ``tables.xlsx`` the cells stay numbers (:func:`typed_cell`).

Examples
--------
>>> format_cell("p_adjusted", "0.0004", "fi", share_table=False)
'< 0,001'
>>> format_cell("effect", "-0.1432", "en", share_table=False)
'−0.14'
>>> typed_cell("40"), typed_cell("0.52"), typed_cell("<5"), typed_cell("")
(40, 0.52, '<5', None)
"""

from __future__ import annotations

import re
from contextlib import contextmanager

import pandas as pd

from analysis.config import load_config
from analysis.findings import style
from analysis.workspace import Workspace

_INT = re.compile(r"^-?\d+$")
_FLOAT = re.compile(r"^-?(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][-+]?\d+)$")


def typed_cell(text: str) -> object:
    """A published cell as a spreadsheet value: int, float, text or empty."""
    stripped = "" if text is None else str(text).strip()
    if stripped == "":
        return None
    if _INT.match(stripped) and len(stripped.lstrip("-")) <= 15:
        return int(stripped)
    if _FLOAT.match(stripped):
        return float(stripped)
    return text


#: The vocabulary of the report being built (:func:`reading_vocabulary_once`). Looked up for
#: every cell of every table, finding the file anew each time (a workspace discovery and
#: a few ``stat`` calls) took most of the assembly's time: some 15,000 look-ups, 2 s.
_IN_BUILD: list = []


def project_vocabulary():
    """The project's vocabulary (``config/vocabulary.yaml``), imported when first needed.

    While a report is built (inside :func:`reading_vocabulary_once`), the one read when
    the build started.
    """
    if _IN_BUILD:
        return _IN_BUILD[-1]
    from analysis.vocabulary import vocabulary

    return vocabulary()


@contextmanager
def reading_vocabulary_once():
    """Read the vocabulary once for everything inside the ``with`` block (one report build).

    Examples
    --------
    >>> with reading_vocabulary_once() as vocab:
    ...     project_vocabulary() is vocab
    True
    """
    from analysis.vocabulary import vocabulary

    _IN_BUILD.append(vocabulary())
    try:
        yield _IN_BUILD[-1]
    finally:
        _IN_BUILD.pop()


_PARTS = re.compile(r"^(?P<code>[A-Za-z][A-Za-z0-9_]*)(?P<rest>\s*\(n\s*=\s*\d+\))?$")
_P_COLUMNS = re.compile(r"^p$|^p_|_p$")
_SHARE_COLUMNS = re.compile(r"^share|^prevalence$|^percent_agreement$")
_CI_OF_SHARE = {"ci_low", "ci_high"}


#: Labels of the codebook's themes and the instruments' scales, read by :func:`~analysis.findings.report.assemble.build_report`.
EXTRA_LABELS: dict[str, dict[str, str]] = {}


def load_extra_labels(workspace: Workspace) -> dict[str, dict[str, str]]:
    """Theme ids of the codebook and scale ids of the instruments → their fi/en names.

    Read with the checked loaders (:func:`analysis.coding.codebook.load_codebook`, the
    instrument schema), so a broken file stops the report naming file, line and key
    instead of leaving its ids untranslated.
    """
    from analysis.coding.codebook import load_codebook

    labels: dict[str, dict[str, str]] = {}

    def add(key, text):
        if isinstance(key, str) and isinstance(text, dict) and all(isinstance(text.get(l), str) for l in style.LANGUAGES):
            labels.setdefault(key, {l: text[l] for l in style.LANGUAGES})

    path = workspace.resolve_config("config/codebook.yaml")
    if path.is_file():
        for row in load_codebook(path).codes.itertuples(index=False):
            add(row.code, {l: getattr(row, f"name_{l}") for l in style.LANGUAGES})
    for path in sorted(workspace.config.glob("instrument_*.yaml")):
        for scale in load_config(path, "instrument").get("scales") or []:
            add(scale.get("id"), scale.get("label"))
    return labels


def _known(text: str) -> bool:
    return project_vocabulary().has(text) or text in EXTRA_LABELS


def _label_of(text: str, language: str) -> str:
    if project_vocabulary().has(text):
        return project_vocabulary().label(text, language)
    return EXTRA_LABELS[text][language] if text in EXTRA_LABELS else text


def translate_value(text: str, language: str) -> str:
    """A coded cell value in words (``social_worker`` → ``sosiaalityöntekijä``).

    Lists such as ``"other (n=8), social_worker (n=15)"`` are translated part by part.
    """
    if _known(text):
        return _label_of(text, language)
    if "," in text:
        parts = [p.strip() for p in text.split(",")]
        shown = []
        for part in parts:
            m = _PARTS.match(part)
            if not m or not _known(m.group("code")):
                return text
            shown.append(_label_of(m.group("code"), language) + (m.group("rest") or ""))
        return ", ".join(shown)
    m = _PARTS.match(text)
    if m and m.group("rest") and _known(m.group("code")):
        return _label_of(m.group("code"), language) + m.group("rest")
    return text


def format_cell(column: str, text: str, language: str, share_table: bool) -> str:
    """A published cell for reading: rounded, decimal comma in Finnish, codes in words."""
    text = "" if text is None else str(text)
    stripped = text.strip()
    if stripped == "":
        return ""
    if _INT.match(stripped):
        return style.format_number(int(stripped), language)
    if _FLOAT.match(stripped):
        value = float(stripped)
        if _P_COLUMNS.search(column):
            if value < 0.001:
                return "< " + style.format_number(0.001, language, 3)
            return style.format_number(value, language, 3)
        if _SHARE_COLUMNS.search(column) or (share_table and column in _CI_OF_SHARE):
            return style.format_percent(value, language, 1)
        if value.is_integer() and abs(value) >= 1:
            return style.format_number(int(value), language)
        return style.format_number(value, language, 2).replace("-", "−")
    return translate_value(text, language)


def header_text(column: str, table_key: str, item: dict, config: dict, language: str, share_table: bool) -> str:
    labels = item.get("column_labels") or {}
    if column in labels:
        return labels[column][language]
    if column in config["columns"]:
        return config["columns"][column][language]
    vocab = project_vocabulary()
    base = re.sub(r"_(fi|en)$", "", column)
    run, table_id = table_key.split("/", 1)
    for key in (f"{run}/{table_id}", f"*/{table_id}"):
        text = vocab.column(column, language, table=key) if key in vocab.tables else None
        if text:
            break
    else:
        text = vocab.column(column, language) or vocab.column(base, language)
    if text is None:  # a column the vocabulary lacks: readable, and the scanner of the tests reports it
        text = column.replace("_", " ")
    return text


def display_columns(df: pd.DataFrame, config: dict, language: str, wanted: list[str] | None) -> list[str]:
    columns = list(df.columns)
    if config["hide_other_language_columns"]:
        other = "en" if language == "fi" else "fi"
        columns = [c for c in columns if not (c.endswith(f"_{other}") and f"{c[: -len(other)]}{language}" in df.columns)]
    # an id column is shown through its label column (scale -> label_fi)
    replaced: dict[str, str] = {}
    for id_column, prefix in config["label_columns"].items():
        label = f"{prefix}_{language}"
        if id_column in columns and label in columns:
            replaced[id_column] = label
    if wanted:
        chosen = []
        for c in wanted:
            c = replaced.get(c, c)
            if c in df.columns and c not in chosen:
                chosen.append(c)
        return chosen
    hidden = set(config["hide_columns"])
    out = []
    for c in columns:
        if c in hidden:
            continue
        if c in replaced:
            c = replaced[c]
        elif c in replaced.values():
            continue
        if c not in out:
            out.append(c)
    return out


def table_block(df: pd.DataFrame, item: dict, config: dict, language: str, table_key: str = "run/table",
                 columns: list[str] | None = None) -> tuple[list[str], list[list[str]], list[list[object]]]:
    """Headers, shown rows and typed values of a published table in ``language``."""
    columns = display_columns(df, config, language, columns)
    share_table = any(_SHARE_COLUMNS.search(c) for c in columns)
    # a label column shown for its id column keeps the id column's header (label_fi for scale: "Summamuuttuja")
    header_of = {f"{prefix}_{language}": id_column for id_column, prefix in config["label_columns"].items()
                 if id_column in df.columns}
    header = [header_text(header_of.get(c, c), table_key, item, config, language, share_table) for c in columns]
    rows, values = [], []
    for record in df[columns].itertuples(index=False, name=None):
        shown, typed = [], []
        for column, cell in zip(columns, record):
            text = format_cell(column, cell, language, share_table)
            shown.append(text)
            value = typed_cell(cell)
            typed.append(value if isinstance(value, (int, float)) else (text if text != "" else None))
        rows.append(shown)
        values.append(typed)
    return header, rows, values


_WORD = re.compile(r"(?<![\w/.])[a-z]+(?:_[a-z0-9]+)+(?![\w/.])|\b(?:increasing|decreasing|stable)\b")


def translate_words(text: str, language: str) -> str:
    """Coded words inside a sentence (``increasing (p = 0,04)``, ``p_adj``) in the vocabulary's words."""
    return _WORD.sub(lambda m: _label_of(m.group(0), language) if _known(m.group(0)) else m.group(0), str(text))

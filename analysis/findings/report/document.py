"""The assembled publication draft: one format-neutral document that every renderer reads.

:func:`~analysis.findings.report.assemble.build_report` builds a :class:`ReportDocument`;
the renderers (:mod:`~analysis.findings.report.to_markdown`,
:mod:`~analysis.findings.report.to_html`, :mod:`~analysis.findings.report.to_docx`,
:mod:`~analysis.findings.report.to_xlsx`) only read it. The document holds the title
page, the table of contents and the body as a list of blocks in document order, each a
dict with a ``type``:

* ``heading`` – ``level`` (2 a chapter, 3 a section, 4 a subsection), ``text`` (numbered:
  ``"2.1 Työpajat"``), ``anchor``; ``appendix`` (not numbered) and ``landscape`` flags.
* ``paragraph`` – ``text``; ``style="note"`` for a note in italics.
* ``list`` – ``items``.
* ``quote`` – ``text`` (the speaker's words) and ``attribution``.
* ``figure`` – ``number``, ``label`` (``"Kuvio 1."``), ``word`` (the Word ``SEQ`` field),
  ``caption``, ``alt``, ``source``, ``png`` (the file), ``width`` (``"full"``/``"half"``).
* ``table`` – ``number``, ``label``, ``word``, ``caption``, ``header``, ``rows`` (the shown
  texts), ``values`` (typed cells for the workbook), ``notes``; optionally ``xlsx_header`` /
  ``xlsx_values`` (the full table for ``tables.xlsx``), ``appendix_table``, ``wide``,
  ``small`` and ``sheet_id``.

A block that shows a finding carries ``key = (run, kind, id)``.

Examples
--------
>>> doc = ReportDocument(language="en", title="Findings", subtitle=None, authors=[])
>>> doc.blocks.append({"type": "table", "number": 1, "label": "Table 1.", "caption": "Scales",
...                    "header": ["Scale", "n"], "rows": [["Role clarity", "40"]], "key": ("survey", "table", "scales")})
>>> [b["label"] for b in doc.numbered("table")]
['Table 1.']
>>> numeric_columns(doc.blocks[0])
[False, True]
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

#: Date written into the docx/xlsx properties (no run timestamps: reproducible files).
FIXED_DATE = _dt.datetime(2024, 3, 1, 0, 0, 0)

_NUMERIC_TEXT = re.compile(r"^[<>≥≤−\-–]?\s?[\d\u00a0 ]*[\d][\d\u00a0 ,.]*\s?%?$|^–$|^x$")


@dataclass
class ReportDocument:
    """The assembled publication draft in one language, ready for the writers.

    Attributes
    ----------
    language : {"fi", "en"}
    title, subtitle : str
    authors : list of str
        Authors and organisations, in the report's language.
    blocks : list of dict
        ``heading``, ``paragraph``, ``list``, ``figure``, ``table`` and ``quote``
        blocks in document order (see the module docstring); findings carry
        ``key = (run, kind, id)``.
    period : str, optional
        The project period shown on the title page.
    toc, toc_title : list of dict, str
        The table of contents (``level``, ``text``, ``anchor`` of the headings of levels
        2–3) and its title (``sections.contents`` of ``config/report.yaml``).
    xlsx_only : list of dict
        Table blocks published only in ``tables.xlsx`` (long tables, the full provenance).
    verbatim : set of str
        Cell values that are the data's own words (``verbatim_columns``): the language
        check of a rendered report leaves them alone.
    word_template : Path, optional
        A publisher's reference ``.docx`` whose styles the Word file takes.
    """

    language: str
    title: str
    subtitle: str | None
    authors: list[str]
    blocks: list[dict] = field(default_factory=list)
    period: str | None = None
    toc: list[dict] = field(default_factory=list)
    toc_title: str = ""
    xlsx_only: list[dict] = field(default_factory=list)
    verbatim: set = field(default_factory=set)
    word_template: Path | None = None

    def numbered(self, block_type: str) -> list[dict]:
        """Numbered blocks in order: ``"figure"``, ``"table"`` (the body's) or ``"appendix_table"``."""
        if block_type == "appendix_table":
            return [b for b in self.blocks if b["type"] == "table" and b.get("appendix_table") and b.get("number") is not None]
        return [b for b in self.blocks if b["type"] == block_type and b.get("number") is not None and not b.get("appendix_table")]

    def summary(self) -> pd.DataFrame:
        """What was assembled: one row per finding (label, kind, run, id, text)."""
        rows = []
        for block in self.blocks:
            key = block.get("key")
            if not key:
                continue
            text = block.get("caption") or block.get("text") or ""
            rows.append(
                {
                    "label": (block.get("label") or "").rstrip("."),
                    "kind": key[1],
                    "run": key[0],
                    "id": key[2],
                    "text": text if len(text) <= 80 else text[:77] + "...",
                }
            )
        return pd.DataFrame(rows, columns=["label", "kind", "run", "id", "text"])


def quoted(text: str, language: str) -> str:
    """Put quotation marks around ``text``: ”…” in Finnish, “…” in English.

    Examples
    --------
    >>> quoted("Hyvä", "fi"), quoted("Good", "en")
    ('”Hyvä”', '“Good”')
    """
    return f"”{text}”" if language == "fi" else f"“{text}”"


def numeric_columns(block: dict) -> list[bool]:
    """Columns whose shown cells are all numbers (or "<5", "–", empty): right-aligned.

    Examples
    --------
    >>> numeric_columns({"header": ["code", "n", "share"], "rows": [["roles", "42", "21,0 %"], ["housing", "<5", "–"]]})
    [False, True, True]
    """
    width = len(block["header"])
    out = []
    for j in range(width):
        cells = [str(row[j]).strip() for row in block["rows"] if j < len(row)]
        cells = [c for c in cells if c and c != "–"]
        out.append(bool(cells) and all(_NUMERIC_TEXT.match(c) for c in cells))
    return out

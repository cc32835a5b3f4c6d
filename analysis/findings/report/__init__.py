"""Assemble the publication draft from every run's registry and write it in four formats.

:func:`build_report` reads the registries (:func:`analysis.findings.load_registries`),
numbers figures and tables consecutively across runs (``Kuvio 1.``, ``Taulukko 1.``),
quotes the key numbers in text, adds the quotations, a methods section generated from
what was run (:mod:`analysis.findings.methods`), the joint displays
(:mod:`analysis.findings.joint`) and a provenance appendix from
``reports/provenance.json``. The writers turn that one document into

* ``findings.html`` – self-contained: images as base64 data URIs, inline CSS;
* ``findings.md`` – figures referenced by relative path;
* ``findings.docx`` – Word captions (``Caption`` style + ``SEQ`` field), table style,
  figures at print size (16 cm / 8 cm);
* ``tables.xlsx`` – one sheet per numbered table, the caption in the first row.

All four pass the leak gate before they reach ``reports/``; the docx and xlsx files have
fixed dates so that two runs give the same bytes.

The package has one module per concern; everything public is re-exported here, so
``from analysis.findings.report import write_report`` is the way to use it:

* :mod:`~analysis.findings.report.config` reads and validates ``config/report.yaml``, the
  one source of titles, texts and layout rules (:func:`load_report_config`).
* :mod:`~analysis.findings.report.document` is the format-neutral document model
  (:class:`ReportDocument` and its blocks) every renderer reads.
* :mod:`~analysis.findings.report.assemble` builds it from the registries (:func:`build_report`),
  with :mod:`~analysis.findings.report.cells` (published cells and headers in words) and
  :mod:`~analysis.findings.report.provenance` (the provenance appendix).
* One renderer per format: :mod:`~analysis.findings.report.to_markdown` (:func:`render_markdown`),
  :mod:`~analysis.findings.report.to_html` (:func:`render_html`),
  :mod:`~analysis.findings.report.to_docx` (:func:`render_docx`) and
  :mod:`~analysis.findings.report.to_xlsx` (:func:`render_xlsx`).
* :mod:`~analysis.findings.report.write` writes the four files through the leak gate
  (:func:`write_report`).

Examples
--------
>>> paths = write_report("/path/to/workspace", language="en")   # doctest: +SKIP
>>> sorted(paths)                                              # doctest: +SKIP
['docx', 'html', 'md', 'xlsx']
"""

from __future__ import annotations

from analysis.findings.report.assemble import build_report
from analysis.findings.report.config import check_report_config, load_report_config
from analysis.findings.report.document import FIXED_DATE, ReportDocument
from analysis.findings.report.provenance import APPENDIX
from analysis.findings.report.to_docx import DOCX_LANGUAGES, NOTE_STYLE, SOURCE_STYLE, TABLE_STYLE, render_docx
from analysis.findings.report.to_html import render_html
from analysis.findings.report.to_markdown import render_markdown
from analysis.findings.report.to_xlsx import render_xlsx
from analysis.findings.report.write import write_report

__all__ = [
    "FIXED_DATE",
    "DOCX_LANGUAGES",
    "TABLE_STYLE",
    "NOTE_STYLE",
    "SOURCE_STYLE",
    "APPENDIX",
    "ReportDocument",
    "load_report_config",
    "check_report_config",
    "build_report",
    "render_markdown",
    "render_html",
    "render_docx",
    "render_xlsx",
    "write_report",
]

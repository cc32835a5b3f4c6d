"""Write the four files of the draft: ``findings.md``, ``findings.html``, ``findings.docx`` and ``tables.xlsx``.

The files are rendered in memory, scanned by the leak gate in a staging folder
(:func:`analysis.privacy.gate.publish_gated`) and moved into ``reports/`` only when clean.

Examples
--------
>>> paths = write_report("/path/to/workspace", language="en")   # doctest: +SKIP
>>> sorted(paths)                                              # doctest: +SKIP
['docx', 'html', 'md', 'xlsx']
"""

from __future__ import annotations

from pathlib import Path

from analysis.findings.report.assemble import build_report
from analysis.findings.report.document import ReportDocument
from analysis.findings.report.to_docx import render_docx
from analysis.findings.report.to_html import render_html
from analysis.findings.report.to_markdown import render_markdown
from analysis.findings.report.to_xlsx import render_xlsx
from analysis.workspace import Workspace


def write_report(
    root: str | Path | None = None,
    language: str | None = "fi",
    out_dir: str | Path | None = None,
    report_config: str | Path | dict | None = None,
    joint_config: str | Path | dict | None = None,
    document: ReportDocument | None = None,
    include_runs: list[str] | None = None,
) -> dict[str, Path]:
    """Write ``findings.md``, ``findings.html``, ``findings.docx`` and ``tables.xlsx``.

    Parameters
    ----------
    root : str or Path, optional
        Workspace root (default: discovered).
    language : {"fi", "en"}, optional
        Report language; ``None`` takes it from ``config/report.yaml``.
    out_dir : str or Path, optional
        Output folder; default ``<root>/reports``. Relative paths are below ``root``
        (e.g. ``"reports/en"`` for the English report).
    report_config, joint_config : path or dict, optional
        See :func:`build_report`.
    document : ReportDocument, optional
        An already assembled document (skips :func:`build_report`).
    include_runs : list of str, optional
        A subset draft of these runs only (see :func:`build_report`).

    Returns
    -------
    dict
        ``{"md": Path, "html": Path, "docx": Path, "xlsx": Path}``.
    """
    workspace = Workspace.discover(root=root)
    if out_dir is None:
        out = workspace.reports
    else:
        out = Path(out_dir)
        out = out if out.is_absolute() else workspace.root / out
    if document is None:
        document = build_report(workspace.root, language, report_config, joint_config, include_runs=include_runs)
    rendered = {
        "md": render_markdown(document, out).encode("utf-8"),
        "html": render_html(document).encode("utf-8"),
        "docx": render_docx(document),
        "xlsx": render_xlsx(document),
    }
    names = {"md": "findings.md", "html": "findings.html", "docx": "findings.docx", "xlsx": "tables.xlsx"}
    # written to a staging folder and scanned by the leak gate first: reports/ gets them only when clean
    from analysis.privacy.gate import publish_gated

    published = publish_gated({names[fmt]: data for fmt, data in rendered.items()}, out, workspace.keys)
    return {fmt: published[names[fmt]] for fmt in rendered}

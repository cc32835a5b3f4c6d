"""Render the tables as a workbook (``tables.xlsx``): one sheet per numbered table.

The caption is in the first row and the headers in the second; cells stay numbers where
they are numbers. The appendix tables, the long tables published only here (``xlsx_only``
of ``config/report.yaml``) and the full provenance follow the body's tables. The file has
fixed dates (:data:`~analysis.findings.report.document.FIXED_DATE`): two runs give the same bytes.

Examples
--------
>>> used = set()
>>> _sheet_name("Taulukko 1.", "scale_change", used), _sheet_name("Taulukko 1.", "scale_change", used)
('Taulukko 1 scale_change', 'Taulukko 1 scale_change (2)')
"""

from __future__ import annotations

import io
import re

from analysis.findings._files import normalise_zip
from analysis.findings.report.document import FIXED_DATE, ReportDocument

_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(label: str, table_id: str, used: set[str]) -> str:
    base = _SHEET_BAD.sub("_", f"{label.rstrip('.')} {table_id}")[:31].strip() or "Sheet"
    name, i = base, 2
    while name.lower() in used:
        suffix = f" ({i})"
        name = base[: 31 - len(suffix)] + suffix
        i += 1
    used.add(name.lower())
    return name


def render_xlsx(doc: ReportDocument) -> bytes:
    """Render every numbered table on its own sheet (caption in row 1, headers in row 2)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    props = workbook.properties
    props.creator = ", ".join(doc.authors) or "Jäkälä"
    props.lastModifiedBy = "analysis.findings"
    props.title = doc.title
    props.language = doc.language
    props.created = props.modified = FIXED_DATE
    used: set[str] = set()
    extra = {"fi": "Lisätaulukko", "en": "Extra table"}[doc.language]
    sheets = doc.numbered("table") + [b for b in doc.numbered("appendix_table") if b.get("key") is not None]
    sheets += [{**b, "label": f"{extra} {i}.", "number": i} for i, b in enumerate(doc.xlsx_only, start=1)]
    for block in sheets:
        header = block.get("xlsx_header") or block["header"]
        values_rows = block.get("xlsx_values") or block["values"]
        sheet = workbook.create_sheet(_sheet_name(block["label"], block.get("sheet_id", ""), used))
        sheet.append([f"{block['label']} {block['caption']}"])
        sheet["A1"].font = Font(bold=True)
        sheet.append(list(header))
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for values in values_rows:
            sheet.append(list(values))
        if block.get("notes"):
            sheet.append([])
            sheet.append([block["notes"]])
            sheet.cell(row=sheet.max_row, column=1).font = Font(italic=True)
        sheet.freeze_panes = "A3"
        for j, head in enumerate(header, start=1):
            lengths = [len(str(head))] + [max((len(p) for p in str(r[j - 1]).split("\n")), default=0) for r in values_rows]
            sheet.column_dimensions[get_column_letter(j)].width = min(max(lengths) + 2, 60)
            if block.get("wide"):
                for row in sheet.iter_rows(min_row=3, min_col=j, max_col=j):
                    row[0].alignment = Alignment(wrap_text=True, vertical="top")
    if not workbook.sheetnames:
        sheet = workbook.create_sheet("-")
        sheet.append(["ei taulukoita" if doc.language == "fi" else "no tables"])
    # ExcelWriter directly: openpyxl's save_workbook() stamps the current time as "modified".
    import zipfile

    from openpyxl.writer.excel import ExcelWriter

    buffer = io.BytesIO()
    ExcelWriter(workbook, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True)).save()
    return normalise_zip(buffer.getvalue())

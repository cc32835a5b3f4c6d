"""Byte-reproducible writers for the office formats (.xlsx, .docx) and text files.

openpyxl stamps ``docProps/core.xml`` with the current time on every save and
:mod:`zipfile` stamps each entry with the current time. Both are rewritten here to
a fixed moment (the document's own date), so two runs with the same seed give
identical bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

_CORE_TIME = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def normalise_zip(data: bytes, when: dt.datetime) -> bytes:
    """Rewrite an OOXML zip with fixed entry dates and fixed core-property times.

    Parameters
    ----------
    data : bytes
        The zip as written by openpyxl or python-docx.
    when : datetime
        The moment to stamp (naive, read as UTC).

    Returns
    -------
    bytes
        The same entries, in the same order, deterministically compressed.
    """
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            payload = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                payload = _CORE_TIME.sub(lambda m: m.group(1) + stamp + m.group(3), payload)
            entry = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, payload)
    return out.getvalue()


def write_xlsx(
    path: Path,
    rows: Iterable[Sequence[object]],
    *,
    when: dt.datetime,
    sheet: str = "Sheet1",
    bold_rows: Sequence[int] = (),
    number_formats: dict[int, str] | None = None,
    title: str | None = None,
) -> Path:
    """Write rows to a one-sheet workbook (write-only mode: fast and memory-light).

    Parameters
    ----------
    path : Path
        Output file.
    rows : iterable of sequences
        Cell values, row by row (``None`` = empty cell).
    when : datetime
        Creation/modification time stamped into the file.
    sheet : str
        Sheet name.
    bold_rows : sequence of int
        0-based row indices written in bold (title, header).
    number_formats : dict, optional
        0-based column index → Excel number format for date/datetime values.
    title : str, optional
        Document title property.
    """
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    formats = number_formats or {}
    bold = Font(bold=True)
    bold_set = set(bold_rows)
    for index, row in enumerate(rows):
        if index in bold_set:
            out = []
            for value in row:
                cell = WriteOnlyCell(ws, value=value)
                cell.font = bold
                out.append(cell)
            ws.append(out)
            continue
        out_row: list[object] = []
        for col, value in enumerate(row):
            if col in formats and isinstance(value, (dt.date, dt.datetime)):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = formats[col]
                out_row.append(cell)
            else:
                out_row.append(value)
        ws.append(out_row)
    wb.properties.creator = "Webropol"
    wb.properties.lastModifiedBy = "Webropol"
    wb.properties.created = when
    wb.properties.modified = when
    if title:
        wb.properties.title = title
    buffer = io.BytesIO()
    wb.save(buffer)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(normalise_zip(buffer.getvalue(), when))
    return path


def save_docx(document, path: Path, *, when: dt.datetime, author: str, title: str) -> Path:
    """Save a python-docx ``Document`` with fixed core properties and zip dates."""
    props = document.core_properties
    props.author = author
    props.last_modified_by = author
    props.title = title
    props.created = when
    props.modified = when
    props.last_printed = when
    props.revision = 1
    buffer = io.BytesIO()
    document.save(buffer)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(normalise_zip(buffer.getvalue(), when))
    return path


def write_text(path: Path, lines: Iterable[str], *, encoding: str = "utf-8", newline: str = "\n") -> Path:
    """Write lines joined by ``newline`` (plus a final newline) in the given encoding."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((newline.join(lines) + newline).encode(encoding))
    return path

"""Reading survey and form exports: ``.xlsx``, ``.csv``/``.txt``/``.tsv`` and SPSS ``.sav``.

:func:`read_table` turns one file into a :class:`RawTable`: a DataFrame whose columns
are the header texts exactly as the user wrote them (BOM removed, duplicates made
unique) plus ``source_row``, the row number the user sees in Excel or an editor.
The reader does not judge content: Likert ranges, respondent codes and the
instrument mapping are checked later (``analysis.survey.instrument``).

Conventions
-----------
* Empty and whitespace-only cells are missing (``None``/``NaN``); other text is kept as
  written.
* A column whose every non-empty value is numeric (``3``, ``-2``, ``3.5``, ``3,5`` or
  an Excel number) becomes ``float64``. Columns holding a value with a leading zero
  (``007``) stay text, so respondent codes keep their zeros.
* Rows that are completely empty are skipped and counted in ``notes``.
* CSV rows with *fewer* fields than the header are padded with empty cells (noted);
  rows with *more* non-empty fields raise :class:`DataError` naming the line. Extra
  trailing *empty* fields (``1;2;3;``) are dropped and noted.
* ``.sav``: value labels are applied (answers arrive as their labels, like a Webropol
  export); user-missing values (e.g. ``9 = En osaa sanoa``) arrive as their label, or as
  their code when they have no label; system-missing is ``NaN``. Headers are the
  variable labels when present (``sav_headers="labels"``), else the variable names.

Examples
--------
>>> normalise_header("  Ikä\\n(vuotta) ")
'ikä vuotta'
>>> parse_date("5.3.2024", file="x.csv", location="row 2")
datetime.date(2024, 3, 5)
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import DataError
from analysis.io.detect import check_file, decode_bytes, sniff_delimiter, split_rows

__all__ = [
    "RawTable",
    "TABLE_EXTENSIONS",
    "find_header_row",
    "make_unique",
    "normalise_header",
    "parse_date",
    "read_table",
]

TABLE_EXTENSIONS = (".xlsx", ".xlsm", ".csv", ".txt", ".tsv", ".sav")
_EXCEL_EPOCH = dt.date(1899, 12, 30)
# Excel serials from 1.1.1950 to 31.12.2099: everything a project diary or survey uses.
_SERIAL_MIN, _SERIAL_MAX = 18264, 73415
_NUMBER_RE = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
_LEADING_ZERO_RE = re.compile(r"^[+-]?0\d")


@dataclass
class RawTable:
    """One table as read from a file.

    Attributes
    ----------
    data : DataFrame
        One column per header (texts as written, unique) plus ``source_row`` (int,
        1-based row in Excel/an editor; for ``.sav`` the case number).
    file : str
        The path that was read.
    format : str
        ``"xlsx"``, ``"csv"`` or ``"sav"``.
    encoding : str or None
        Text encoding detected (CSV only).
    delimiter : str or None
        Field delimiter detected (CSV only).
    sheet : str or None
        Sheet name (xlsx only).
    header_row : int or None
        1-based row of the header (None for ``.sav``).
    notes : list of str
        Everything the reader changed or noticed (duplicate headers renamed, padded
        rows, skipped empty rows, ...), for the data-quality report.
    variables : dict
        ``.sav`` only: header → SPSS variable name.
    """

    data: pd.DataFrame
    file: str
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    header_row: int | None = None
    notes: list[str] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)

    @property
    def headers(self) -> list[str]:
        """The header texts (every column except ``source_row``)."""
        return [c for c in self.data.columns if c != "source_row"]


# --------------------------------------------------------------------------- helpers
def normalise_header(text: Any) -> str:
    """Fold a header text for tolerant matching: the one rule every header comparison uses.

    Unicode NFKC (a decomposed ``ä`` equals the composed one, a non-breaking space is a
    space), case folded, every run of characters that are not letters or digits
    (whitespace, line breaks, the BOM, punctuation, dashes, symbols, ``_``) becomes one
    space, and the ends are stripped. Letters such as ä/ö/å are kept. Pure function;
    ``None``/NaN give ``""``. Used by the survey instruments' ``match`` rules
    (:mod:`analysis.survey.instrument`) and the diary form's field aliases
    (:mod:`analysis.io.diaries`).

    Parameters
    ----------
    text : object
        A header cell.

    Returns
    -------
    str

    Examples
    --------
    >>> normalise_header("Tiedän, mitkä tehtävät\\r\\njälkihuollossa kuuluvat  minulle.")
    'tiedän mitkä tehtävät jälkihuollossa kuuluvat minulle'
    >>> normalise_header("\\ufeffAmmattinimike: Muu, mikä?")
    'ammattinimike muu mikä'
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", str(text)).casefold())
    return " ".join(_NOT_WORD.sub(" ", folded).split())


#: What :func:`normalise_header` turns into spaces: anything but letters and digits.
_NOT_WORD = re.compile(r"[\W_]+")


def make_unique(headers: list[str]) -> tuple[list[str], list[str]]:
    """Make header texts unique with a `` (2)``, `` (3)`` suffix; empty headers get ``column_<n>``.

    Returns
    -------
    headers : list of str
    notes : list of str
        One note per renamed header.

    Examples
    --------
    >>> headers, notes = make_unique(["Ikä", "Ikä", ""])
    >>> headers
    ['Ikä', 'Ikä (2)', 'column_3']
    >>> notes[0]
    "duplicate header 'Ikä' in column 2 renamed to 'Ikä (2)'"
    """
    out: list[str] = []
    notes: list[str] = []
    seen: set[str] = {"source_row"}
    for i, header in enumerate(headers, start=1):
        name = header
        if not name:
            name = f"column_{i}"
            notes.append(f"empty header in column {i} named '{name}'")
        if name in seen:
            k = 2
            while f"{name} ({k})" in seen:
                k += 1
            new = f"{name} ({k})"
            if name == "source_row":
                notes.append(f"header 'source_row' in column {i} renamed to '{new}' (reserved name)")
            else:
                notes.append(f"duplicate header '{name}' in column {i} renamed to '{new}'")
            name = new
        seen.add(name)
        out.append(name)
    return out, notes


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str) and not value.strip():
        return True
    return False


def _header_text(value: Any) -> str:
    if _is_empty(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\ufeff", "").strip()


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def parse_date(value: Any, *, file: str | Path | None = None, location: str | None = None) -> dt.date:
    """Parse a date as it appears in Finnish exports.

    Accepted: ``5.3.2024``, ``05.03.2024``, ``5.3.24`` (20xx), ``5.3.2024 klo 12.30``,
    ``2024-03-05`` (also with a time), ``20240305``, Excel serial numbers
    (``45356``, also as text), :class:`datetime.date`/``datetime``/``pandas.Timestamp``
    and ``numpy.datetime64``. Slash dates (``3/5/2024``) are refused because US and
    Finnish orders cannot be told apart.

    Parameters
    ----------
    value : object
        A cell value.
    file, location : optional
        Used in the error message.

    Returns
    -------
    datetime.date

    Raises
    ------
    DataError
        Empty or unreadable dates, impossible dates (31.2.2024), serials outside
        1950–2099.

    Examples
    --------
    >>> parse_date(45356)
    datetime.date(2024, 3, 5)
    >>> parse_date("2024-03-05T10:15:00")
    datetime.date(2024, 3, 5)
    """
    def fail(why: str) -> DataError:
        return DataError(
            f"{why}: {str(value)[:60]!r}",
            file=file,
            location=location,
            hint="Write dates as 5.3.2024 or 2024-03-05 (or keep Excel's date cells).",
        )

    if isinstance(value, (pd.Timestamp, dt.datetime)):
        if pd.isna(value):
            raise fail("the date is empty")
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            raise fail("the date is empty")
        return pd.Timestamp(value).date()
    if isinstance(value, bool):
        raise fail("not a date")
    if isinstance(value, (int, float, np.integer, np.floating)):
        if isinstance(value, (float, np.floating)) and math.isnan(value):
            raise fail("the date is empty")
        if float(value).is_integer() and 19500101 <= value <= 20991231:
            return parse_date(str(int(value)), file=file, location=location)
        return _from_serial(float(value), fail)
    if value is None:
        raise fail("the date is empty")
    text = unicodedata.normalize("NFC", str(value)).strip().strip("#*").strip()
    if not text:
        raise fail("the date is empty")
    m = re.fullmatch(r"(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4}|\d{2})\.?(?:\s*(?:klo\.?\s*)?\d{1,2}[.:]\d{2}(?:[.:]\d{2})?)?", text, re.I)
    if m:
        day, month, year = int(m[1]), int(m[2]), int(m[3])
        if len(m[3]) == 2:
            year += 2000
        return _make(year, month, day, fail)
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?", text)
    if m:
        return _make(int(m[1]), int(m[2]), int(m[3]), fail)
    m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
    if m and 1950 <= int(m[1]) <= 2099:
        return _make(int(m[1]), int(m[2]), int(m[3]), fail)
    m = re.fullmatch(r"\d{5}(?:[.,]\d+)?", text)
    if m:
        return _from_serial(float(text.replace(",", ".")), fail)
    if "/" in text:
        raise fail("ambiguous date with slashes (day/month or month/day?)")
    raise fail("not a recognised date")


def _make(year: int, month: int, day: int, fail) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise fail("impossible date") from None


def _from_serial(serial: float, fail) -> dt.date:
    if not (_SERIAL_MIN <= serial <= _SERIAL_MAX):
        raise fail("number is not an Excel date serial between 1950 and 2099")
    return _EXCEL_EPOCH + dt.timedelta(days=int(serial))


def find_header_row(rows: list[list[Any]], *, max_scan: int = 30) -> int | None:
    """Return the 0-based index of the header among ``rows``, or ``None``.

    The header is the first row whose non-empty cells cover at least half of the
    widest row among the first ``max_scan`` rows and are mostly (≥ 2/3) text. Title
    rows ("Kysely 2024"), empty rows and Webropol's info rows above the header are
    skipped.

    Examples
    --------
    >>> find_header_row([["Alkukartoitus 2024"], [], ["Vastaajatunnus", "Ikä", "Kunta"], ["R1", 34, "Kemi"]])
    2
    """
    scan = rows[:max_scan]
    width = max((sum(not _is_empty(v) for v in r) for r in scan), default=0)
    if width == 0:
        return None
    for i, row in enumerate(scan):
        cells = [v for v in row if not _is_empty(v)]
        if not cells or len(cells) * 2 < width:
            continue
        texts = sum(isinstance(v, str) and not _NUMBER_RE.match(v.strip()) for v in cells)
        if texts * 3 >= len(cells) * 2:
            return i
    return None


def _finish(values: dict[str, list[Any]], source_rows: list[int]) -> pd.DataFrame:
    """Build the DataFrame: empty → None, numeric columns → float64."""
    columns: dict[str, Any] = {}
    for name, column in values.items():
        cleaned = [None if _is_empty(v) else v for v in column]
        columns[name] = _numeric_column(cleaned)
    frame = pd.DataFrame(columns, index=pd.RangeIndex(len(source_rows)))
    frame["source_row"] = pd.Series(source_rows, dtype="int64")
    return frame


def _numeric_column(column: list[Any]) -> Any:
    present = [v for v in column if v is not None]
    if not present:
        return pd.Series(column, dtype="object")
    numbers: list[float] = []
    for v in present:
        if isinstance(v, bool):
            return pd.Series(column, dtype="object")
        if isinstance(v, (int, float, np.integer, np.floating)):
            numbers.append(float(v))
            continue
        if isinstance(v, str):
            s = v.strip().replace("\u00a0", "").replace("\u2212", "-")
            if _NUMBER_RE.match(s) and not _LEADING_ZERO_RE.match(s) and not (s.count(",") and s.count(".")):
                numbers.append(float(s.replace(",", ".")))
                continue
        return pd.Series(column, dtype="object")
    out = []
    it = iter(numbers)
    for v in column:
        out.append(np.nan if v is None else next(it))
    return pd.Series(out, dtype="float64")


# --------------------------------------------------------------------------- readers
def read_table(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    header_row: int | None = None,
    sav_headers: str = "labels",
) -> RawTable:
    """Read a survey/form export into a :class:`RawTable`.

    Parameters
    ----------
    path : str or Path
        ``.xlsx``/``.xlsm``, ``.csv``/``.txt``/``.tsv`` or ``.sav``.
    sheet : str or int, optional
        xlsx sheet name, or 0-based index; the first sheet by default.
    header_row : int, optional
        1-based row of the header as shown in Excel/an editor; detected when ``None``
        (see :func:`find_header_row`).
    sav_headers : {"labels", "names"}
        ``.sav`` only: use variable labels (when present) or variable names as headers.

    Returns
    -------
    RawTable

    Raises
    ------
    DataError
        Missing/empty/corrupt file, unsupported extension, binary data with a text
        extension, header row not found, unknown sheet, ragged CSV rows with extra
        values.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "kysely.csv"
    >>> _ = p.write_bytes("Vastaajatunnus;Ikä;Tyytyväisyys\\nA1;34;3,5\\n".encode("cp1252"))
    >>> t = read_table(p)
    >>> t.encoding, t.delimiter, t.data.loc[0, "Tyytyväisyys"], int(t.data.loc[0, "source_row"])
    ('cp1252', ';', np.float64(3.5), 2)
    """
    path = check_file(path, TABLE_EXTENSIONS)
    if header_row is not None and (not isinstance(header_row, int) or isinstance(header_row, bool) or header_row < 1):
        raise DataError(f"header_row must be a positive row number, not {header_row!r}", file=path,
                        hint="Give the 1-based row number shown by Excel, or leave header_row empty.")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, sheet=sheet, header_row=header_row)
    if suffix == ".sav":
        return _read_sav(path, sav_headers=sav_headers)
    return _read_csv(path, header_row=header_row)


def _rows_to_table(
    rows: list[tuple[int, list[Any]]],
    *,
    path: Path,
    header_row: int | None,
    ragged: bool,
) -> tuple[pd.DataFrame, int, list[str]]:
    """Shared by CSV and xlsx: find the header, build columns, handle short/long rows.

    ``rows`` are ``(row number, cells)``. Returns the frame, the header row number and notes.
    """
    notes: list[str] = []
    if header_row is None:
        idx = find_header_row([cells for _, cells in rows])
        if idx is None:
            raise DataError(
                "no header row found (a row whose cells are mostly text)",
                file=path,
                location=f"rows 1-{min(len(rows), 30)}" if rows else None,
                hint="Check that the file holds a table with question texts as headers, or give "
                "`header_row:` (1-based) in data/raw/manifest.yaml.",
            )
    else:
        matches = [i for i, (n, _) in enumerate(rows) if n == header_row]
        if not matches:
            raise DataError(
                f"header_row {header_row} is beyond the end of the data",
                file=path,
                location=f"row {header_row}",
                hint="Correct `header_row:` in data/raw/manifest.yaml or remove it to detect the header.",
            )
        idx = matches[0]
        if all(_is_empty(v) for v in rows[idx][1]):
            raise DataError(
                "the header row is empty",
                file=path,
                location=f"row {header_row}",
                hint="Correct `header_row:` in data/raw/manifest.yaml or remove it to detect the header.",
            )
    header_number, header_cells = rows[idx]
    raw_headers = [_header_text(v) for v in header_cells]
    while raw_headers and not raw_headers[-1]:
        raw_headers.pop()
    if idx > 0:
        skipped = [n for n, cells in rows[:idx] if any(not _is_empty(v) for v in cells)]
        if skipped:
            notes.append(f"row(s) {', '.join(map(str, skipped))} above the header row {header_number} skipped (title or info rows)")
    headers, rename_notes = make_unique(raw_headers)
    notes.extend(rename_notes)
    width = len(headers)
    values: dict[str, list[Any]] = {h: [] for h in headers}
    source_rows: list[int] = []
    empty_rows: list[int] = []
    padded: list[str] = []
    trimmed: list[int] = []
    for number, cells in rows[idx + 1:]:
        cells = list(cells)
        if all(_is_empty(v) for v in cells):
            empty_rows.append(number)
            continue
        if len(cells) > width:
            extra = cells[width:]
            if any(not _is_empty(v) for v in extra):
                if ragged:
                    raise DataError(
                        f"the row has {len(cells)} fields but the header (row {header_number}) has {width}",
                        file=path,
                        location=f"line {number}",
                        hint="A value probably contains the delimiter without quotes, or a column "
                        "header is missing; fix the line or export the file again.",
                    )
                col = width + next(i for i, v in enumerate(extra) if not _is_empty(v))
                raise DataError(
                    f"a value is in column {_column_letter(col)}, which has no header",
                    file=path,
                    location=f"row {number}",
                    hint="Add a header for the column or delete the stray value.",
                )
            trimmed.append(number)
            cells = cells[:width]
        elif len(cells) < width:
            if ragged:
                padded.append(f"{number} ({len(cells)} of {width})")
            cells = cells + [None] * (width - len(cells))
        for h, v in zip(headers, cells):
            values[h].append(v)
        source_rows.append(number)
    if empty_rows:
        notes.append(f"{len(empty_rows)} empty row(s) skipped: {_ranges(empty_rows)}")
    if padded:
        notes.append(f"{len(padded)} row(s) had fewer fields than the header and were padded with "
                     f"empty cells: line(s) {', '.join(padded[:20])}{' …' if len(padded) > 20 else ''}")
    if trimmed and ragged:
        notes.append(f"{len(trimmed)} row(s) ended with extra empty fields (trailing delimiters), removed: {_ranges(trimmed)}")
    return _finish(values, source_rows), header_number, notes


def _ranges(numbers: list[int]) -> str:
    parts: list[str] = []
    start = prev = numbers[0]
    for n in numbers[1:] + [None]:  # type: ignore[list-item]
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(parts)


def _read_csv(path: Path, *, header_row: int | None) -> RawTable:
    data = path.read_bytes()
    text, encoding = decode_bytes(data, file=path)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else sniff_delimiter(text, file=path)
    try:
        records = split_rows(text, delimiter)
    except DataError as exc:
        raise DataError(exc.message, file=path, location=exc.location, hint=exc.hint) from None
    # Record numbers = rows in Excel; line numbers differ only with multi-line quoted cells.
    rows = [(i, [f.replace("\r\n", "\n").replace("\r", "\n") for f in fields])
            for i, (_, fields) in enumerate(records, start=1)]
    lines = {i: line for i, (line, _) in enumerate(records, start=1)}
    try:
        frame, header_number, notes = _rows_to_table(rows, path=path, header_row=header_row, ragged=True)
    except DataError as exc:
        loc = exc.location or ""
        m = re.fullmatch(r"line (\d+)", loc)
        if m and lines.get(int(m[1])) != int(m[1]):
            loc = f"row {m[1]} (line {lines[int(m[1])]} in a text editor)"
        raise DataError(exc.message, file=exc.file, location=loc or None, hint=exc.hint) from None
    if any(lines[i] != i for i in lines):
        notes.append("some cells span several lines; source_row counts rows as Excel shows them")
    return RawTable(frame, str(path), "csv", encoding=encoding, delimiter=delimiter,
                    header_row=header_number, notes=notes)


def _read_xlsx(path: Path, *, sheet: str | int | None, header_row: int | None) -> RawTable:
    import openpyxl  # local import: slow to import

    if not zipfile.is_zipfile(path):
        raise DataError(
            "the file is not a valid .xlsx workbook (not a zip archive; truncated, damaged or "
            "another format renamed to .xlsx)",
            file=path,
            hint="Open it in Excel and save it again as .xlsx, or export the data again.",
        )
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged packages
        raise DataError(
            f"the workbook cannot be opened ({type(exc).__name__}: {str(exc)[:120]})",
            file=path,
            hint="The file is damaged or truncated; open it in Excel and save it again, or export it again.",
        ) from None
    try:
        names = wb.sheetnames
        if not names:
            raise DataError("the workbook has no sheets", file=path, hint="Export the data again.")
        if sheet is None:
            name = names[0]
        elif isinstance(sheet, int) and not isinstance(sheet, bool):
            if not 0 <= sheet < len(names):
                raise DataError(f"there is no sheet number {sheet} (0-based); the workbook has {len(names)}: "
                                + ", ".join(repr(n) for n in names), file=path,
                                hint="Correct `sheet:` in data/raw/manifest.yaml.")
            name = names[sheet]
        else:
            wanted = str(sheet)
            candidates = [n for n in names if n == wanted] or [n for n in names if n.strip().casefold() == wanted.strip().casefold()]
            if not candidates:
                raise DataError(f"there is no sheet {wanted!r}; sheets: " + ", ".join(repr(n) for n in names),
                                file=path, hint="Correct `sheet:` in data/raw/manifest.yaml.")
            name = candidates[0]
        ws = wb[name]
        if not hasattr(ws, "iter_rows"):
            raise DataError(f"sheet {name!r} is a chart sheet, not a table", file=path,
                            hint="Choose a worksheet with `sheet:` in data/raw/manifest.yaml.")
        try:
            rows = [(i, list(r)) for i, r in enumerate(ws.iter_rows(values_only=True), start=1)]
        except DataError:
            raise
        except Exception as exc:
            raise DataError(
                f"sheet {name!r} cannot be read ({type(exc).__name__}: {str(exc)[:120]})",
                file=path,
                hint="The file is damaged; open it in Excel and save it again.",
            ) from None
    finally:
        wb.close()
    if not any(any(not _is_empty(v) for v in cells) for _, cells in rows):
        raise DataError(f"sheet {name!r} is empty", file=path,
                        hint="Choose the sheet holding the answers with `sheet:` in data/raw/manifest.yaml.")
    rows = [(n, [_excel_value(v) for v in cells]) for n, cells in rows]
    frame, header_number, notes = _rows_to_table(rows, path=path, header_row=header_row, ragged=False)
    return RawTable(frame, str(path), "xlsx", sheet=name, header_row=header_number, notes=notes)


def _excel_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time(0) else value
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return value


def _read_sav(path: Path, *, sav_headers: str) -> RawTable:
    import pyreadstat

    if sav_headers not in ("labels", "names"):
        raise DataError(f"sav_headers must be 'labels' or 'names', not {sav_headers!r}", file=path)
    try:
        df, meta = pyreadstat.read_sav(str(path), apply_value_formats=True, user_missing=True,
                                       formats_as_category=False)
    except Exception as exc:  # pyreadstat.ReadstatError and friends
        raise DataError(
            f"the SPSS file cannot be read ({type(exc).__name__}: {str(exc)[:120]})",
            file=path,
            hint="The file is damaged or not an SPSS .sav file; export it again from SPSS/Webropol.",
        ) from None
    names = list(df.columns)
    labels = meta.column_names_to_labels or {}
    raw_headers = []
    for n in names:
        label = labels.get(n)
        raw_headers.append(str(label).strip() if sav_headers == "labels" and label and str(label).strip() else n)
    headers, notes = make_unique(raw_headers)
    values = {h: [_sav_value(v) for v in df[n].tolist()] for h, n in zip(headers, names)}
    if meta.missing_ranges:
        notes.append("user-missing values kept (as their value label, or their code when unlabelled) in: "
                     + ", ".join(sorted(meta.missing_ranges)))
    frame = _finish(values, list(range(1, len(df) + 1)))
    return RawTable(frame, str(path), "sav", notes=notes, variables=dict(zip(headers, names)))


def _sav_value(value: Any) -> Any:
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return None if pd.isna(value) else value
    if isinstance(value, float) and math.isnan(value):
        return None
    return value

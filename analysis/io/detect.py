"""Sniffing raw files: existence, emptiness, binary content, text encoding, delimiter.

Everything a reader needs to know about a file *before* parsing it. Each function
raises :class:`analysis.errors.DataError` naming the file and what to do, never a
``UnicodeDecodeError`` or ``csv.Error``.

Encodings recognised, in this order:

1. a byte-order mark: UTF-8 with BOM (Excel "CSV UTF-8"), UTF-16 LE/BE (Excel
   "Unicode text"), UTF-32 LE/BE;
2. UTF-16 without BOM when every other byte is NUL (some exporters);
3. strict UTF-8;
4. cp1252 (Finnish Excel "CSV (semicolon delimited)", Windows Notepad "ANSI").

Examples
--------
>>> decode_bytes("Päivämäärä;Ikä\\n".encode("cp1252"), file="a.csv")
('Päivämäärä;Ikä\\n', 'cp1252')
>>> sniff_delimiter("a;b;c\\n1,5;2;3\\n4;5,5;6\\n", file="a.csv")
';'
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from pathlib import Path

from analysis.errors import DataError

__all__ = [
    "TEXT_EXTENSIONS",
    "check_file",
    "decode_bytes",
    "read_text",
    "sniff_delimiter",
    "split_rows",
]

#: Extensions read as plain text.
TEXT_EXTENSIONS = (".csv", ".txt", ".tsv", ".md", ".vtt", ".srt")

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls / .doc
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32 LE"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32 BE"),
    (codecs.BOM_UTF8, "utf-8", "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16-be"),
)
# Control characters that never appear in a real text export.
_BAD_CONTROL_RE = re.compile("[\x00-\x08\x0e-\x1f]")


def check_file(path: str | Path, extensions: tuple[str, ...] | None = None) -> Path:
    """Return ``path`` as a :class:`Path` after checking it exists, is a file and is not empty.

    Parameters
    ----------
    path : str or Path
        The file to check.
    extensions : tuple of str, optional
        Allowed lower-case extensions (with the dot). ``None`` allows any.

    Returns
    -------
    Path

    Raises
    ------
    DataError
        Missing file, a folder, an empty file or an unsupported extension.

    Examples
    --------
    >>> check_file("no/such/file.csv")
    Traceback (most recent call last):
    ...
    analysis.errors.DataError: no/such/file.csv: the file does not exist. Check the path in data/raw/manifest.yaml (paths are relative to data/raw/) or copy the file there.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(
            "the file does not exist",
            file=path,
            hint="Check the path in data/raw/manifest.yaml (paths are relative to data/raw/) "
            "or copy the file there.",
        )
    if path.is_dir():
        raise DataError(
            "this is a folder, not a file",
            file=path,
            hint="Point the manifest entry to a file, or use `kind: folder` for a diary folder.",
        )
    suffix = path.suffix.lower()
    if extensions is not None and suffix not in extensions:
        hint = "Supported: " + ", ".join(extensions) + "."
        if suffix in (".xls", ".doc"):
            hint = (
                f"This is an old binary Office format; open it and save it as "
                f"{'.xlsx' if suffix == '.xls' else '.docx'}. " + hint
            )
        elif suffix in (".ods", ".odt", ".rtf", ".pdf"):
            hint = "Save or export it as .xlsx, .csv, .docx or .txt. " + hint
        raise DataError(f"unsupported file type '{suffix or '(none)'}'", file=path, hint=hint)
    if path.stat().st_size == 0:
        raise DataError(
            "the file is empty (0 bytes)",
            file=path,
            hint="Export the data again; the copy may have been interrupted.",
        )
    return path


def decode_bytes(data: bytes, *, file: str | Path) -> tuple[str, str]:
    """Decode the bytes of a text file, detecting the encoding.

    Parameters
    ----------
    data : bytes
        The whole file.
    file : str or Path
        Used in error messages.

    Returns
    -------
    text : str
        The decoded text, without byte-order mark.
    encoding : str
        One of ``"utf-8"``, ``"utf-8-sig"``, ``"utf-16-le"``, ``"utf-16-be"``,
        ``"UTF-32 LE"``, ``"UTF-32 BE"``, ``"cp1252"``.

    Raises
    ------
    DataError
        Binary content (NUL bytes, control characters, a zip/Office file renamed to
        a text extension) or bytes that no supported encoding can decode.

    Examples
    --------
    >>> decode_bytes(codecs.BOM_UTF16_LE + "Ikä".encode("utf-16-le"), file="x.csv")
    ('Ikä', 'utf-16-le')
    """
    if data.startswith(_ZIP_MAGIC) or data.startswith(_OLE_MAGIC):
        raise DataError(
            "this is an Excel/Word (Office) file, not a text file",
            file=file,
            location="byte 1",
            hint="Give the file its real extension (.xlsx or .docx) or export it as text/CSV.",
        )
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom):].decode(codec)
            except UnicodeDecodeError as exc:
                raise DataError(
                    f"the file starts with a {name} byte-order mark but is not valid {name}",
                    file=file,
                    location=f"byte {exc.start + len(bom) + 1}",
                    hint="The file is damaged or truncated; export it again.",
                ) from None
            _check_text(text, file=file, encoding=name)
            return text, name
    text: str | None = None
    encoding = ""
    if b"\x00" in data and len(data) >= 4 and len(data) % 2 == 0:
        # UTF-16 without BOM: NULs in every odd (LE) or even (BE) position of ASCII text.
        odd_nul = data[1::2].count(0) / (len(data) // 2)
        even_nul = data[0::2].count(0) / (len(data) // 2)
        for ratio, codec in ((odd_nul, "utf-16-le"), (even_nul, "utf-16-be")):
            if ratio > 0.9:
                try:
                    text, encoding = data.decode(codec), codec
                except UnicodeDecodeError:
                    text = None
                break
    if text is None:
        if b"\x00" in data:
            raise DataError(
                "the file contains binary data (NUL bytes), it is not a text file",
                file=file,
                location=f"byte {data.index(0) + 1}",
                hint="Check that this is the right file; export it again as text/CSV "
                "(UTF-8 or UTF-16) or give it its real extension.",
            )
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            try:
                text, encoding = data.decode("cp1252"), "cp1252"
            except UnicodeDecodeError as exc:
                raise DataError(
                    "the bytes cannot be decoded as UTF-8, UTF-16 or Windows-1252 (cp1252) text",
                    file=file,
                    location=f"byte {exc.start + 1}",
                    hint="Save the file as 'CSV UTF-8' / 'UTF-8 text', or check that it is not "
                    "a binary file with a text extension.",
                ) from None
    _check_text(text, file=file, encoding=encoding)
    return text, encoding


def _check_text(text: str, *, file: str | Path, encoding: str) -> None:
    """Reject decoded text that is really binary data (control characters)."""
    first = _BAD_CONTROL_RE.search(text)
    if first:
        line = text.count("\n", 0, first.start()) + 1
        n_bad = len(_BAD_CONTROL_RE.findall(text))
        raise DataError(
            f"the file contains {n_bad} control character(s) that do not occur in text "
            f"(read as {encoding}); it looks like binary data",
            file=file,
            location=f"line {line}",
            hint="Check that this is the right file and export it again as text/CSV.",
        )
    if not text.strip():
        raise DataError(
            "the file has no text (only white space)",
            file=file,
            hint="Export the data again; the copy may have been interrupted.",
        )


def read_text(path: str | Path, extensions: tuple[str, ...] | None = None) -> tuple[str, str]:
    """Check and read a text file, returning ``(text, encoding)``.

    Line ends are normalised to ``"\\n"`` (CRLF and CR from Windows and old Mac files).

    Examples
    --------
    >>> import tempfile, os
    >>> p = Path(tempfile.mkdtemp()) / "a.txt"
    >>> _ = p.write_bytes("ST1: Moi\\r\\nSO2: Hei\\r\\n".encode("cp1252"))
    >>> read_text(p)
    ('ST1: Moi\\nSO2: Hei\\n', 'utf-8')
    """
    path = check_file(path, extensions)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"the file cannot be read ({exc.strerror})", file=path,
                        hint="Check the file permissions.") from None
    text, encoding = decode_bytes(data, file=path)
    return text.replace("\r\n", "\n").replace("\r", "\n"), encoding


def split_rows(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """Parse delimited text into ``(line number, fields)`` records with :mod:`csv`.

    Quoted fields may hold delimiters and line breaks; the line number is the line the
    record starts on (1-based).

    Examples
    --------
    >>> split_rows('a;b\\n"x\\ny";2\\n', ";")
    [(1, ['a', 'b']), (2, ['x\\ny', '2'])]
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"',
                        doublequote=True, skipinitialspace=False, strict=False)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for fields in reader:
            rows.append((start, fields))
            start = reader.line_num + 1
    except csv.Error as exc:  # pragma: no cover - csv with strict=False rarely raises
        raise DataError(f"the text cannot be parsed as delimited data ({exc})",
                        location=f"line {start}",
                        hint="Check the quotes (\") around this line.") from None
    return rows


def sniff_delimiter(text: str, *, file: str | Path, candidates: str = ",;\t") -> str:
    """Detect the field delimiter of CSV text: ``,`` ``;`` or tab.

    :class:`csv.Sniffer` proposes a delimiter; every candidate is then scored by how
    consistently it splits the first 50 records into the same number (> 1) of fields,
    which is robust to decimal commas and title rows. The sniffer's guess wins ties.

    Parameters
    ----------
    text : str
        The decoded file.
    file : str or Path
        Used in error messages.
    candidates : str
        Delimiters to consider.

    Returns
    -------
    str
        The delimiter; ``","`` when the file has a single column.

    Examples
    --------
    >>> sniff_delimiter("Ikä\\tKunta\\n23\\tKemi\\n", file="a.txt")
    '\\t'
    """
    sample = "\n".join(line for line in text.split("\n")[:200])
    try:
        guess = csv.Sniffer().sniff(sample[:20000], delimiters=candidates).delimiter
    except csv.Error:
        guess = None
    best, best_score = ",", (0.0, 0, 0)
    for delim in candidates:
        records = [fields for _, fields in split_rows(sample, delim) if any(f.strip() for f in fields)]
        records = records[:50]
        if not records:
            continue
        counts = Counter(len(fields) for fields in records)
        width, n_width = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
        if width < 2:
            continue
        consistency = n_width / len(records)
        score = (round(consistency, 2), int(delim == guess), width)
        if score > best_score:
            best, best_score = delim, score
    return best

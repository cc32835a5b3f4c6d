"""The leak gate: scan outputs for identifiers before anything leaves the workspace.

:func:`scan_paths` walks files and folders and reports every valid personal identity
code, Finnish phone number, e-mail address and original name in the pseudonym key
(inflected forms included) found in:

* executed notebooks (``.ipynb``: every cell source, every text/HTML/SVG/JSON output,
  error tracebacks, notebook and cell metadata such as papermill parameters);
* figures with text (``.svg``; matplotlib writes the text of labels as comments);
* tables and text (``.csv .tsv .txt .md .html .json .yaml .vtt .srt .tex .log`` …);
* Excel workbooks (``.xlsx``: every cell, sheet names, comments);
* Word documents (``.docx``: paragraphs, tables, headers, footers, document
  properties such as the author);
* Parquet files (every string column and the column names);
* the names of the files themselves (``haastattelu_Aino_Korhonen.docx``: ``_ - .`` and
  camel case separate words).

Names are found in any case and inflected (``AINO KORHONEN``, ``korhoselle``); see
:class:`analysis.privacy.redact.Redactor`.

Images and other binaries (``.png``, ``.jpg``, ``.pdf``, ``.zip`` …) are skipped. Base64
blobs inside text files (embedded images) are ignored. The key files themselves
(``pseudonym_key.json``, ``names.yaml`` in the key's folder) are never scanned.

The identifier is masked in each finding (``13****-***T``, ``a***@***.fi``,
``040 *** **67``, ``A***``), so a report of findings is itself safe to show.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "t.csv").write_text("id;text\\n1;soita 040 123 4567\\n", encoding="utf-8")
>>> [(f.location, f.kind, f.masked) for f in scan_paths([folder])]
[('line 2', 'phone', '040 *** **67')]
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Mapping

from analysis.errors import DataError, LeakError
from analysis.privacy.hetu import mask_hetu
from analysis.privacy.redact import Redactor

if TYPE_CHECKING:  # pragma: no cover
    from analysis.privacy.keys import PseudonymKey

__all__ = ["LeakFinding", "scan_paths", "scan_text", "format_findings", "assert_no_leaks",
           "mask_identifier", "SCAN_KINDS", "PLACE_NAMES"]

#: What the gate looks for by default (street addresses are redacted at ingestion but
#: not gated: the project's own publications legitimately carry office addresses).
SCAN_KINDS = ("hetu", "email", "phone", "name")

_TEXT_SUFFIXES = {
    ".csv", ".tsv", ".txt", ".md", ".markdown", ".html", ".htm", ".xml", ".svg", ".json",
    ".yaml", ".yml", ".vtt", ".srt", ".tex", ".log", ".rst", ".py", ".r", ".bib", ".qde",
    ".qdc", ".ini", ".cfg", ".toml",
}
_BINARY_SUFFIXES = {
    ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".ico", ".pdf",
    ".zip", ".gz", ".bz2", ".xz", ".7z", ".tar", ".sav", ".pkl", ".pickle", ".npy", ".npz",
    ".so", ".pyc", ".mp3", ".mp4", ".wav", ".m4a", ".eps", ".ps", ".woff", ".woff2", ".ttf",
    ".otf", ".feather", ".h5", ".db", ".sqlite",
}
#: Lapland municipalities. A key name equal to one of them (*Simo*, *Inari*, *Salla*) is
#: flagged by the gate only inside a full name, or every municipality table would fail.
#: The redactor at ingestion still replaces it everywhere in free text.
PLACE_NAMES = frozenset({
    "Enontekiö", "Inari", "Kemi", "Kemijärvi", "Keminmaa", "Kittilä", "Kolari", "Lappi",
    "Muonio", "Pelkosenniemi", "Pello", "Posio", "Ranua", "Rovaniemi", "Salla", "Savukoski",
    "Simo", "Sodankylä", "Tervola", "Tornio", "Utsjoki", "Ylitornio",
})
_SKIP_DIRS = {".git", "__pycache__", ".venv", "node_modules", ".pytest_cache", ".hypothesis"}
_BASE64 = re.compile(r"(?:data:[\w/+.-]+;base64,)?[A-Za-z0-9+/]{120,}={0,2}")


@dataclass(frozen=True, order=True)
class LeakFinding:
    """One identifier found in an output.

    Attributes
    ----------
    file : str
        The file, as given or found below a given folder.
    location : str
        Where in it: ``"line 40"``, ``"cell 12 output"``, ``"sheet 'T3' cell B4"``,
        ``"row 7 column 'text'"``, ``"paragraph 3"``.
    kind : str
        ``"hetu"``, ``"phone"``, ``"email"``, ``"name"`` (or ``"address"``).
    masked : str
        The identifier with most characters replaced by ``*``.
    """

    file: str
    location: str
    kind: str
    masked: str

    def __str__(self) -> str:
        return f"{self.file}, {self.location}: {self.kind} {self.masked}"


def mask_identifier(kind: str, value: str) -> str:
    """Mask an identifier for messages.

    Examples
    --------
    >>> mask_identifier("hetu", "131052-308T")
    '13****-***T'
    >>> mask_identifier("email", "aino.korhonen@lapha.fi")
    'a***@***.fi'
    >>> mask_identifier("phone", "040 123 4567")
    '040 *** **67'
    >>> mask_identifier("name", "Ainolle")
    'A***'
    """
    value = value.strip()
    if kind == "hetu":
        return mask_hetu(value)
    if kind == "email":
        at = re.search(r"@|\s?[(\[]at[)\]]\s?", value)
        local, domain = (value[:at.start()], value[at.end():]) if at else (value, "")
        tld = domain.rsplit(".", 1)[-1] if "." in domain else ""
        return f"{local[:1]}***@***.{tld}"
    if kind == "phone":
        digits_seen = 0
        total = sum(ch.isdigit() for ch in value)
        out = []
        for ch in value:
            if ch.isdigit():
                digits_seen += 1
                keep = digits_seen <= 3 or digits_seen > total - 2
                out.append(ch if keep else "*")
            else:
                out.append(ch)
        return "".join(out)
    return f"{value[:1]}***"


def _blank_base64(text: str) -> str:
    """Replace each embedded base64 blob by two spaces.

    Two spaces, not one: no detector bridges more than one separator character
    (phones ``[ -]?``, e-mail ``\\s?``), so text either side of a blob cannot join into
    a match, exactly as when the blob was blanked space for space; names joined by
    ``\\s+`` match across it as before. The scan does not use offsets, and a figure
    embedded in an HTML draft (megabytes of base64) is no longer scanned character by
    character.

    Examples
    --------
    >>> _blank_base64("Aino " + "QUJD" * 40 + " 040")
    'Aino    040'
    """
    if len(text) < 120:
        return text
    return _BASE64.sub("  ", text)


class _Scanner:
    def __init__(self, key, kinds: Iterable[str]) -> None:
        names = key if key is not None else None
        self.redactor = Redactor(names, kinds=kinds, ignore_names=PLACE_NAMES)
        self.key = key

    def text(self, text: str) -> list[tuple[str, str]]:
        if not text:
            return []
        text = _blank_base64(text)
        return [(m.kind, mask_identifier(m.kind, text[m.start:m.end]))
                for m in self.redactor.find(text)]


def scan_text(text: str, key: "PseudonymKey | Mapping[str, str] | None" = None,
              kinds: Iterable[str] = SCAN_KINDS) -> list[tuple[str, str]]:
    """Scan one string; return ``(kind, masked)`` pairs.

    Examples
    --------
    >>> scan_text("Aino soitti: 040 123 4567", key={"Aino": "Nuori 1"})
    [('phone', '040 *** **67'), ('name', 'A***')]
    """
    found = _Scanner(key, kinds).text(text)
    order = {k: i for i, k in enumerate(("hetu", "email", "phone", "address", "name"))}
    return sorted(found, key=lambda f: order[f[0]])


def scan_paths(paths: Iterable[str | Path] | str | Path,
               key: "PseudonymKey | Mapping[str, str] | None" = None, *,
               kinds: Iterable[str] = SCAN_KINDS) -> list[LeakFinding]:
    """Scan files and folders (recursively) for identifiers.

    Parameters
    ----------
    paths : path or iterable of paths
        Files and folders to scan.
    key : PseudonymKey or mapping, optional
        Its original names (with inflected forms) are searched for too.
    kinds : iterable of str, default :data:`SCAN_KINDS`
        Detectors: any of ``"hetu", "email", "phone", "address", "name"``.

    Returns
    -------
    list of LeakFinding
        Sorted by file, then in order of appearance within the file.

    Raises
    ------
    DataError
        If a given path does not exist.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    scanner = _Scanner(key, kinds)
    skip = _key_files(key)
    findings: list[LeakFinding] = []
    for file in _walk(paths):
        if file.resolve() in skip:
            continue
        # the file's own name: "haastattelu_Aino_Korhonen.docx", "AinoKorhonen.txt"
        for kind, masked in scanner.text(file.name):
            findings.append(LeakFinding(str(file), "file name", kind, masked))
        for location, kind, masked in _scan_file(file, scanner):
            findings.append(LeakFinding(str(file), location, kind, masked))
    return findings


def _key_files(key) -> set[Path]:
    keys_dir = getattr(key, "keys_dir", None)
    if keys_dir is None:
        return set()
    return {(Path(keys_dir) / name).resolve() for name in ("pseudonym_key.json", "names.yaml")}


def _walk(paths: Iterable[str | Path]) -> Iterator[Path]:
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise DataError("path to scan does not exist", file=path,
                            hint="Check the path given to 'jakala scan'.")
        files = [path] if path.is_file() else sorted(
            p for p in path.rglob("*")
            if p.is_file() and not any(part in _SKIP_DIRS for part in p.relative_to(path).parts))
        for file in files:
            resolved = file.resolve()
            if resolved not in seen:
                seen.add(resolved)
                yield file


def _scan_file(file: Path, scanner: _Scanner) -> Iterator[tuple[str, str, str]]:
    suffix = file.suffix.lower()
    if suffix in _BINARY_SUFFIXES:
        return
    if suffix == ".ipynb":
        yield from _scan_notebook(file, scanner)
    elif suffix in (".xlsx", ".xlsm"):
        yield from _scan_xlsx(file, scanner)
    elif suffix == ".docx":
        yield from _scan_docx(file, scanner)
    elif suffix == ".parquet":
        yield from _scan_parquet(file, scanner)
    elif suffix == ".json":
        yield from _scan_json_file(file, scanner)
    elif suffix in _TEXT_SUFFIXES:
        yield from _scan_lines(file, _read_text(file), scanner)
    else:
        raw = file.read_bytes()
        if b"\x00" in raw[:8192]:
            return  # binary of an unknown kind
        yield from _scan_lines(file, _decode(raw), scanner)


def _decode(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _read_text(file: Path) -> str:
    return _decode(file.read_bytes())


def _scan_lines(file: Path, text: str, scanner: _Scanner, prefix: str = "") -> Iterator[tuple[str, str, str]]:
    import html

    unescape = file.suffix.lower() in (".html", ".htm", ".svg", ".xml", ".qde")
    for number, line in enumerate(text.splitlines(), start=1):
        if unescape and "&" in line:
            line = html.unescape(line)
        for kind, masked in scanner.text(line):
            yield f"{prefix}line {number}", kind, masked


def _scan_strings(value, path: str) -> Iterator[tuple[str, str]]:
    """Yield (json path, string) for every string (and key) in a JSON value."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield f"{path}.{k}" if path else str(k), str(k)
            yield from _scan_strings(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _scan_strings(v, f"{path}[{i}]")


def _scan_json_file(file: Path, scanner: _Scanner) -> Iterator[tuple[str, str, str]]:
    text = _read_text(file)
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        yield from _scan_lines(file, text, scanner)
        return
    for path, string in _scan_strings(data, ""):
        for kind, masked in scanner.text(string):
            yield f"key '{path}'", kind, masked


def _scan_notebook(file: Path, scanner: _Scanner) -> Iterator[tuple[str, str, str]]:
    text = _read_text(file)
    try:
        nb = json.loads(text)
    except json.JSONDecodeError:
        yield from _scan_lines(file, text, scanner)
        return
    for path, string in _scan_strings(nb.get("metadata", {}), ""):
        for kind, masked in scanner.text(string):
            yield "notebook metadata", kind, masked
    for number, cell in enumerate(nb.get("cells", []), start=1):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        for kind, masked in scanner.text(source):
            yield f"cell {number} source", kind, masked
        for path, string in _scan_strings(cell.get("metadata", {}), ""):
            for kind, masked in scanner.text(string):
                yield f"cell {number} metadata", kind, masked
        for output in cell.get("outputs", []) or []:
            for string in _output_strings(output):
                for kind, masked in scanner.text(string):
                    yield f"cell {number} output", kind, masked


def _output_strings(output: dict) -> Iterator[str]:
    def joined(value) -> str:
        return "".join(value) if isinstance(value, list) else str(value)

    if "text" in output:
        yield joined(output["text"])
    for mime, value in (output.get("data") or {}).items():
        if mime.startswith("image/") and mime != "image/svg+xml":
            continue  # base64 raster images
        if isinstance(value, (dict, list)) and mime.endswith("json"):
            for _, string in _scan_strings(value, ""):
                yield string
        else:
            yield joined(value)
    for field in ("ename", "evalue"):
        if field in output:
            yield str(output[field])
    if "traceback" in output:
        yield "\n".join(output["traceback"])


def _scan_xlsx(file: Path, scanner: _Scanner) -> Iterator[tuple[str, str, str]]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(file, read_only=False, data_only=False)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise DataError(f"cannot open the workbook to scan it ({exc.__class__.__name__})",
                        file=file, hint="A file that cannot be scanned cannot be released.") from None
    try:
        for sheet in workbook.worksheets:
            for kind, masked in scanner.text(sheet.title):
                yield f"sheet '{sheet.title}' name", kind, masked
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.value is not None and not isinstance(cell.value, (int, float, bool)):
                        for kind, masked in scanner.text(str(cell.value)):
                            yield f"sheet '{sheet.title}' cell {cell.coordinate}", kind, masked
                    if cell.comment is not None:
                        for kind, masked in scanner.text(cell.comment.text or ""):
                            yield f"sheet '{sheet.title}' comment {cell.coordinate}", kind, masked
        props = workbook.properties
        for name in ("creator", "lastModifiedBy", "title", "subject", "description", "keywords"):
            for kind, masked in scanner.text(str(getattr(props, name, "") or "")):
                yield f"document property '{name}'", kind, masked
    finally:
        workbook.close()


def _scan_docx(file: Path, scanner: _Scanner) -> Iterator[tuple[str, str, str]]:
    import docx

    try:
        document = docx.Document(str(file))
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise DataError(f"cannot open the document to scan it ({exc.__class__.__name__})",
                        file=file, hint="A file that cannot be scanned cannot be released.") from None
    for number, paragraph in enumerate(document.paragraphs, start=1):
        for kind, masked in scanner.text(paragraph.text):
            yield f"paragraph {number}", kind, masked
    for t, table in enumerate(document.tables, start=1):
        for r, row in enumerate(table.rows, start=1):
            for c, cell in enumerate(row.cells, start=1):
                for kind, masked in scanner.text(cell.text):
                    yield f"table {t} row {r} cell {c}", kind, masked
    for s, section in enumerate(document.sections, start=1):
        for part_name in ("header", "footer"):
            part = getattr(section, part_name)
            text = "\n".join(p.text for p in part.paragraphs)
            for kind, masked in scanner.text(text):
                yield f"section {s} {part_name}", kind, masked
    props = document.core_properties
    for name in ("author", "last_modified_by", "title", "subject", "comments", "keywords"):
        for kind, masked in scanner.text(str(getattr(props, name, "") or "")):
            yield f"document property '{name}'", kind, masked


def _scan_parquet(file: Path, scanner: _Scanner) -> Iterator[tuple[str, str, str]]:
    import pandas as pd

    try:
        frame = pd.read_parquet(file)
    except Exception as exc:  # pyarrow raises several types for broken files
        raise DataError(f"cannot read the Parquet file to scan it ({exc.__class__.__name__})",
                        file=file, hint="A file that cannot be scanned cannot be released.") from None
    for column in frame.columns:
        for kind, masked in scanner.text(str(column)):
            yield f"column name {str(column)!r}", kind, masked
    for column in frame.columns:
        series = frame[column]
        if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)
                or isinstance(series.dtype, pd.CategoricalDtype)):
            continue
        rows_of: dict[str, list[int]] = {}
        for position, value in enumerate(series.tolist(), start=1):
            if isinstance(value, str) and value:
                rows_of.setdefault(value, []).append(position)
        hits = []  # scan each distinct value once (token tables repeat values a lot)
        for value, positions in rows_of.items():
            found = scanner.text(value)
            if found:
                hits.append((positions, found))
        for positions, found in sorted(hits, key=lambda h: h[0][0]):
            more = f" (and {len(positions) - 1} more rows)" if len(positions) > 1 else ""
            for kind, masked in found:
                yield f"row {positions[0]} column {str(column)!r}{more}", kind, masked


def format_findings(findings: list[LeakFinding]) -> str:
    """One line per finding plus a summary line (identifiers masked; safe to print).

    Examples
    --------
    >>> print(format_findings([LeakFinding("out/t.csv", "line 2", "hetu", "13****-***T")]))
    out/t.csv, line 2: hetu 13****-***T
    1 possible identifier in 1 file.
    """
    if not findings:
        return "No identifiers found."
    n_files = len({f.file for f in findings})
    lines = [str(f) for f in findings]
    noun = "identifier" if len(findings) == 1 else "identifiers"
    files = "file" if n_files == 1 else "files"
    lines.append(f"{len(findings)} possible {noun} in {n_files} {files}.")
    return "\n".join(lines)


def assert_no_leaks(paths: Iterable[str | Path] | str | Path,
                    key: "PseudonymKey | Mapping[str, str] | None" = None, *,
                    kinds: Iterable[str] = SCAN_KINDS) -> None:
    """Run :func:`scan_paths` and raise :class:`LeakError` if anything is found.

    The error names the first file and location; its hint lists every finding, masked.
    """
    findings = scan_paths(paths, key, kinds=kinds)
    if findings:
        first = findings[0]
        raise LeakError(f"{len(findings)} possible identifier(s) found in outputs, first a "
                        f"{first.kind} ({first.masked})", file=first.file, location=first.location,
                        hint="Remove them at the source (redaction, names.yaml) and re-run.\n"
                             + format_findings(findings))

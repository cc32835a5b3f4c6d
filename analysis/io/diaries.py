"""Reading project diaries (hankepäiväkirjat): form exports and folders of documents.

Two shapes arrive in practice:

* a **form export** (``.xlsx``/``.csv`` from Webropol, Microsoft Forms, …), one row per
  entry: :func:`read_diary_form`;
* a **folder of one document per entry** (``.docx``, ``.md``, ``.txt``), the date in the
  file name (``2024-03-05_tp2c.docx``, ``20240305.txt``, ``5.3.2024 tiimi.md``) or on the
  first line: :func:`read_diary_folder`.

Which column or heading holds which field is set in ``config/diary_form.yaml``.

Both return a DataFrame with :data:`DIARY_COLUMNS`. Entries that cannot be used are not
dropped silently: they are left out of the frame and listed in
``frame.attrs["problems"]`` (a list of dicts with :data:`PROBLEM_COLUMNS`), read it as a
DataFrame with :func:`diary_problems`. Reasons: a date that cannot be parsed, an entry
with no text, a duplicate entry (same date, writer and text as an earlier one; the first
stays), and in a folder a file that cannot be read. ``frame.attrs["notes"]`` holds what
the reader noticed (renamed headers, skipped files, …).

Examples
--------
>>> import tempfile
>>> p = Path(tempfile.mkdtemp()) / "paivakirja.csv"
>>> _ = p.write_text("Päivämäärä;Kirjoittajan tunnus;Mitä tapahtui?\\n5.3.2024;ST1;Ryhmä kokoontui.\\n"
...                  "31.2.2024;SO2;Väärä päivä.\\n", encoding="utf-8")
>>> df = read_diary_form(p)
>>> df[["date", "writer_code", "happened"]].values.tolist()
[[Timestamp('2024-03-05 00:00:00'), 'ST1', 'Ryhmä kokoontui.']]
>>> diary_problems(df)[["source_row", "reason"]].values.tolist()[0][0]
3
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from analysis.config import load_config, validate
from analysis.errors import ConfigError, DataError
from analysis.io.detect import read_text
from analysis.io.tables import _is_empty, normalise_header, parse_date, read_table
from analysis.workspace import PACKAGE_PROJECT_DIR, Workspace

__all__ = [
    "DEFAULT_DIARY_FORM",
    "DIARY_COLUMNS",
    "FIELDS",
    "PROBLEM_COLUMNS",
    "TEXT_FIELDS",
    "diary_problems",
    "load_diary_form",
    "read_diary_folder",
    "read_diary_form",
]

#: The project's default mapping file.
DEFAULT_DIARY_FORM = PACKAGE_PROJECT_DIR / "config" / "diary_form.yaml"  #: the shipped form mapping
FIELDS = ["date", "writer_code", "role", "work_package", "happened", "worked", "did_not_work", "next_steps"]
TEXT_FIELDS = ["happened", "worked", "did_not_work", "next_steps"]
DIARY_COLUMNS = FIELDS + ["source_file", "source_row"]
PROBLEM_COLUMNS = ["source_file", "source_row", "location", "reason", "content"]
DIARY_EXTENSIONS = (".docx", ".md", ".txt")


# --------------------------------------------------------------------------- mapping
def load_diary_form(mapping: str | Path | Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Load the field → aliases mapping.

    Parameters
    ----------
    mapping : path, mapping or None
        ``None``: ``config/diary_form.yaml`` of the project. A path: a YAML file with a
        ``fields:`` key. A mapping: either the same structure, or ``{field: header}`` /
        ``{field: [header, ...]}``.

    Returns
    -------
    dict
        ``{field: {"aliases": [str, ...], "required": bool, "text": bool}}`` for every
        field in :data:`FIELDS`.

    Raises
    ------
    ConfigError
        Missing/invalid YAML, unknown field names, aliases that are not text.

    Examples
    --------
    >>> load_diary_form({"date": "Pvm", "happened": ["Teksti"]})["date"]["aliases"]
    ['Pvm']
    """
    if mapping is None or isinstance(mapping, (str, Path)):
        source = Path(mapping) if mapping is not None else Workspace.discover().config_path("diary_form.yaml")
        if not source.is_file():
            raise ConfigError("the diary form mapping file does not exist", file=source,
                              hint="Create it from the example in docs/bring_your_own_data.md.")
        fields = load_config(source, "diary_form").get("fields") or {}
    else:
        source = "diary form mapping"
        fields = mapping.get("fields", mapping) if isinstance(mapping, Mapping) else mapping
        validate({"fields": fields}, "diary_form", file=source)
    out: dict[str, dict[str, Any]] = {}
    for name in FIELDS:
        spec = fields.get(name, {})
        if isinstance(spec, (str, int)):
            spec = {"aliases": [spec]}
        elif isinstance(spec, list):
            spec = {"aliases": spec}
        aliases = spec.get("aliases", []) or []
        out[name] = {
            "aliases": [str(a) for a in aliases],
            "required": bool(spec.get("required", name == "date")),
            "text": bool(spec.get("text", name in TEXT_FIELDS)),
        }
    if not out["date"]["aliases"]:
        raise ConfigError("the `date` field needs at least one alias", file=source, location="key 'fields.date'",
                          hint="Add the header of the date column, e.g. Päivämäärä.")
    return out


def _match_columns(headers: list[str], form: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Field → header. Exact normalised match first, then 'header starts with alias' for long aliases."""
    norm = {h: normalise_header(h) for h in headers}
    used: set[str] = set()
    found: dict[str, str] = {}
    for exact in (True, False):
        for name in FIELDS:
            if name in found:
                continue
            for alias in form[name]["aliases"]:
                a = normalise_header(alias)
                if not a:
                    continue
                hit = next((h for h in headers if h not in used and (
                    norm[h] == a if exact else (len(a.split()) >= 2 and norm[h].startswith(a + " ")))), None)
                if hit is not None:
                    found[name] = hit
                    used.add(hit)
                    break
    return found


# --------------------------------------------------------------------------- values
def _text(value: Any) -> str | None:
    if _is_empty(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _problem(source_file: str, source_row: Any, location: str, reason: str, entry: Mapping[str, Any]) -> dict:
    content = " | ".join(str(entry[f]) for f in TEXT_FIELDS if entry.get(f))
    return {"source_file": source_file, "source_row": source_row, "location": location,
            "reason": reason, "content": content[:300]}


def _finish(entries: list[dict[str, Any]], problems: list[dict[str, Any]], notes: list[str]) -> pd.DataFrame:
    """Flag duplicates, build the frame with stable column order and dtypes."""
    kept: list[dict[str, Any]] = []
    seen: dict[tuple, dict[str, Any]] = {}
    for e in entries:
        key = (e["date"], (e["writer_code"] or "").casefold(),
               " ".join(" ".join(e[f] or "" for f in TEXT_FIELDS).split()).casefold())
        if key in seen:
            first = seen[key]
            where = (f"row {first['source_row']}" if first["source_row"] is not None
                     else f"file {first['source_file']}")
            problems.append(_problem(e["source_file"], e["source_row"], e["_location"],
                                     f"duplicate entry: same date, writer and text as {where}", e))
            continue
        seen[key] = e
        kept.append(e)
    columns: dict[str, Any] = {
        "date": pd.Series([pd.Timestamp(e["date"]) for e in kept], dtype="datetime64[ns]"),
    }
    for c in FIELDS[1:] + ["source_file"]:
        columns[c] = pd.Series([e[c] for e in kept], dtype=object)  # text as written, None when empty
    columns["source_row"] = pd.Series(pd.array([e["source_row"] for e in kept], dtype="Int64"))
    frame = pd.DataFrame(columns, columns=DIARY_COLUMNS)
    problems.sort(key=lambda p: (str(p["source_file"]), p["source_row"] if p["source_row"] is not None else -1))
    frame.attrs["problems"] = problems
    frame.attrs["notes"] = notes
    return frame


def diary_problems(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows a diary reader left out, as a DataFrame with :data:`PROBLEM_COLUMNS`.

    ``source_row`` is the row in the form export (``<NA>`` for a folder, where
    ``source_file`` names the document); ``reason`` says what is wrong; ``content`` is an
    excerpt of the entry's text (not yet redacted).

    Examples
    --------
    >>> diary_problems(pd.DataFrame()).columns.tolist()
    ['source_file', 'source_row', 'location', 'reason', 'content']
    """
    records = frame.attrs.get("problems", []) if hasattr(frame, "attrs") else []
    out = pd.DataFrame(list(records), columns=PROBLEM_COLUMNS)
    out["source_row"] = pd.array([r.get("source_row") for r in records], dtype="Int64")
    return out


# --------------------------------------------------------------------------- form
def read_diary_form(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    mapping: str | Path | Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Read a diary form export (``.xlsx``/``.csv``), one row per entry.

    Parameters
    ----------
    path : str or Path
        The export.
    sheet : str or int, optional
        xlsx sheet (name or 0-based index).
    mapping : path or mapping, optional
        Field → header aliases (see :func:`load_diary_form`); default
        ``config/diary_form.yaml``.

    Returns
    -------
    DataFrame
        :data:`DIARY_COLUMNS`: ``date`` (datetime64), ``writer_code``, ``role``,
        ``work_package``, the four text fields (str or None), ``source_file`` (the file
        name), ``source_row`` (Excel row). Left-out rows are in ``attrs["problems"]``.

    Raises
    ------
    DataError
        Everything :func:`analysis.io.tables.read_table` raises, plus a missing date
        column or no text column (listing the headers found).
    ConfigError
        A bad mapping.
    """
    form = load_diary_form(mapping)
    table = read_table(path, sheet=sheet)
    headers = table.headers
    found = _match_columns(headers, form)
    missing = [n for n in FIELDS if form[n]["required"] and n not in found]
    if not any(n in found for n in TEXT_FIELDS):
        missing.append("a text field (" + ", ".join(TEXT_FIELDS) + ")")
    if missing:
        raise DataError(
            f"no column for {', '.join(missing)}; the headers are: " + ", ".join(repr(h) for h in headers[:30]),
            file=table.file,
            location=f"row {table.header_row}" if table.header_row else None,
            hint="Add the header text to the field's `aliases` in config/diary_form.yaml, or rename the column.",
        )
    notes = list(table.notes)
    unused = [h for h in headers if h not in found.values()]
    if unused:
        notes.append("columns not used: " + ", ".join(repr(h) for h in unused))
    absent = [n for n in FIELDS if n not in found]
    if absent:
        notes.append("fields without a column (left empty): " + ", ".join(absent))
    source_file = Path(table.file).name
    entries: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    date_col = found["date"]
    for record in table.data.to_dict("records"):
        row = int(record["source_row"])
        entry: dict[str, Any] = {n: _text(record[found[n]]) if n in found else None for n in FIELDS[1:]}
        for f in TEXT_FIELDS:
            if entry[f] is not None and entry[f].casefold() in _EMPTY_MARKS:
                entry[f] = None
        entry.update(source_file=source_file, source_row=row, _location=f"row {row}")
        try:
            entry["date"] = parse_date(record[date_col], file=source_file, location=f"row {row}")
        except DataError as exc:
            problems.append(_problem(source_file, row, f"row {row}, column {date_col!r}", exc.message, entry))
            continue
        if not any(entry[f] for f in TEXT_FIELDS):
            problems.append(_problem(source_file, row, f"row {row}", "the entry has no text in any field", entry))
            continue
        entries.append(entry)
    return _finish(entries, problems, notes)


# --------------------------------------------------------------------------- folder
_NAME_DATES = (
    (re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)"), lambda m: f"{m[1]}-{m[2]}-{m[3]}"),
    (re.compile(r"(?<!\d)(\d{1,2})\.(\d{1,2})\.(\d{4})(?!\d)"), lambda m: f"{m[1]}.{m[2]}.{m[3]}"),
    (re.compile(r"(?<!\d)((?:19|20)\d{2})(\d{2})(\d{2})(?!\d)"), lambda m: f"{m[1]}-{m[2]}-{m[3]}"),
    (re.compile(r"(?<!\d)(\d{4})_(\d{1,2})_(\d{1,2})(?!\d)"), lambda m: f"{m[1]}-{m[2]}-{m[3]}"),
)


def _date_in_name(name: str) -> str | None:
    for pattern, fmt in _NAME_DATES:
        m = pattern.search(name)
        if m:
            return fmt(m)
    return None


def _first_line_date(line: str) -> str | None:
    """The date on a diary's first line: the whole line, or a date inside a short title."""
    try:
        parse_date(line)
        return line
    except DataError:
        pass
    if len(line) <= 80:
        return _date_in_name(line)
    return None


_WRITER_RE = re.compile(r"^(?P<code>[^,(]+?)\s*(?:\((?P<role>[^)]*)\)|,\s*(?P<role2>.+))?$")
_EMPTY_MARKS = {"-", "–", "—", "--", "x", "ei", "ei mitään", "."}


def _document_lines(path: Path) -> list[str]:
    if path.suffix.lower() != ".docx":
        text, _ = read_text(path)
        return text.split("\n")
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    if not zipfile.is_zipfile(path):
        raise DataError("the file is not a valid .docx document (truncated, damaged or renamed)", file=path,
                        hint="Open it in Word and save it again as .docx.")
    try:
        document = docx.Document(str(path))
        lines: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Paragraph):
                lines.append(block.text)
            elif isinstance(block, Table):
                for row in block.rows:
                    cells = [c.text.strip() for c in row.cells]
                    cells = [c for i, c in enumerate(cells) if c and (i == 0 or c != cells[i - 1])]
                    if cells:
                        lines.append(": ".join(cells) if len(cells) == 2 else " ".join(cells))
        return lines
    except Exception as exc:
        raise DataError(f"the document cannot be opened ({type(exc).__name__}: {str(exc)[:120]})", file=path,
                        hint="The file is damaged or truncated; open it in Word and save it again as .docx.") from None


def _heading(line: str, aliases: dict[str, str]) -> tuple[str, str] | None:
    """``(field, rest)`` when ``line`` is a field heading (``Mitä tapahtui?``, ``## Kuvaus``,
    ``Kirjoittaja: ST1``)."""
    stripped = line.strip().lstrip("#").strip().strip("*_").strip()
    norm = normalise_header(stripped)
    if not norm:
        return None
    if norm in aliases:
        return aliases[norm], ""
    m = re.match(r"^(.{1,60}?[:?])\s*(.*)$", stripped)
    if m:
        head = normalise_header(m[1])
        if head in aliases:
            return aliases[head], m[2].strip().strip("*_").strip()
    return None


def read_diary_folder(
    path: str | Path,
    *,
    mapping: str | Path | Mapping[str, Any] | None = None,
    work_package: str | None = None,
) -> pd.DataFrame:
    """Read a folder holding one diary entry per document (``.docx``, ``.md``, ``.txt``).

    The date comes from the file name (``2024-03-05``, ``20240305``, ``5.3.2024``,
    ``2024_03_05``) or, failing that, the first non-empty line (``5.3.2024``,
    ``# 2024-03-05``, ``Päivämäärä: 5.3.2024``, ``# Hankepäiväkirja 5.3.2024``); a first
    line holding a date is a title and not part of the text. Lines equal to a field alias of
    ``config/diary_form.yaml`` (``Mitä tapahtui?``, ``## Mikä toimi hyvin?``, optionally
    followed by text after ``:``/``?``) start that field; ``Kirjoittaja: ST1``,
    ``Rooli: …``, ``Työpaketti: TP2C`` lines fill the metadata fields
    (``Kirjoittaja: ST1 (sosiaalityöntekijä)`` gives writer and role). A document
    without headings goes whole into ``happened``; a field holding only ``-`` is empty.

    Parameters
    ----------
    path : str or Path
        The folder (sub-folders are read too, in sorted order).
    mapping : path or mapping, optional
        See :func:`load_diary_form`.
    work_package : str, optional
        Work package for entries that do not name one (the manifest's ``work_package``).

    Returns
    -------
    DataFrame
        :data:`DIARY_COLUMNS`; ``source_file`` is the path relative to the folder and
        ``source_row`` is ``<NA>``. Left-out documents (no date, no text, unreadable,
        duplicate) are in ``attrs["problems"]``; hidden files, Word lock files (``~$``)
        and other extensions are skipped and listed in ``attrs["notes"]``.

    Raises
    ------
    DataError
        The folder does not exist, is a file, or holds no diary documents.
    """
    folder = Path(path)
    if not folder.exists():
        raise DataError("the folder does not exist", file=folder,
                        hint="Check the path in data/raw/manifest.yaml (relative to data/raw/).")
    if not folder.is_dir():
        raise DataError("this is a file, not a folder", file=folder,
                        hint="Use `kind: form` in data/raw/manifest.yaml for a form export, or point to the folder.")
    form = load_diary_form(mapping)
    aliases: dict[str, str] = {}
    for name in FIELDS:
        for alias in form[name]["aliases"]:
            aliases.setdefault(normalise_header(alias), name)
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    notes: list[str] = []
    skipped = [p for p in files if p.name.startswith(("~$", ".")) or p.suffix.lower() not in DIARY_EXTENSIONS]
    if skipped:
        notes.append("files skipped (not .docx/.md/.txt, hidden or Word lock files): "
                     + ", ".join(p.relative_to(folder).as_posix() for p in skipped[:20]))
    documents = [p for p in files if p not in skipped]
    if not documents:
        raise DataError("the folder holds no diary documents (.docx, .md, .txt)", file=folder,
                        hint="Put one document per entry in the folder, with the date in the file name "
                        "(e.g. 2024-03-05_tiimipalaveri.docx).")
    entries: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    for doc in documents:
        rel = doc.relative_to(folder).as_posix()
        entry: dict[str, Any] = {n: None for n in FIELDS}
        entry.update(source_file=rel, source_row=None, _location=f"file {rel}")
        try:
            lines = _document_lines(doc)
        except DataError as exc:
            problems.append(_problem(rel, None, f"file {rel}", f"{exc.message}. {exc.hint or ''}".strip(), entry))
            continue
        date_text = _date_in_name(doc.stem)
        body_start = 0
        first = next((i for i, line in enumerate(lines) if line.strip()), None)
        if first is not None:
            # The first line is the entry's date/title line when it holds a date:
            # "5.3.2024", "Päivämäärä: 5.3.2024", "# Hankepäiväkirja 5.3.2024".
            candidate = lines[first].strip().lstrip("#").strip().strip("*_").strip()
            head = _heading(candidate, aliases)
            if head is not None and head[0] == "date":
                candidate = head[1]
            found = _first_line_date(candidate)
            if found is not None:
                body_start = first + 1
                date_text = date_text or found
        sections: dict[str, list[str]] = {f: [] for f in TEXT_FIELDS}
        current = "happened"
        for line in lines[body_start:]:
            if not line.strip():
                if sections[current]:
                    sections[current].append("")
                continue
            head = _heading(line, aliases)
            if head is not None:
                name, rest = head
                if name in TEXT_FIELDS:
                    current = name
                    if rest:
                        sections[current].append(rest)
                    continue
                if rest:
                    if name == "date":
                        date_text = date_text or rest
                    elif name == "writer_code" and entry[name] is None:
                        # "Kirjoittaja: ST1 (sosiaalityöntekijä)" / "Kirjoittaja: ST1, sosiaaliohjaaja"
                        m = _WRITER_RE.match(rest)
                        entry[name] = m["code"].strip() if m else rest
                        role = m and (m["role"] or m["role2"])
                        if role and entry["role"] is None:
                            entry["role"] = role.strip()
                    elif entry[name] is None:
                        entry[name] = rest
                    continue
            sections[current].append(line.strip())
        for f in TEXT_FIELDS:
            value = re.sub(r"\n{3,}", "\n\n", "\n".join(sections[f])).strip()
            entry[f] = None if value.casefold() in _EMPTY_MARKS else (value or None)
        if entry["work_package"] is None:
            entry["work_package"] = work_package
        if date_text is None:
            problems.append(_problem(rel, None, f"file {rel}",
                                     "no date in the file name or on the first line", entry))
            continue
        try:
            entry["date"] = parse_date(date_text, file=rel)
        except DataError as exc:
            problems.append(_problem(rel, None, f"file {rel}", exc.message, entry))
            continue
        if not any(entry[f] for f in TEXT_FIELDS):
            problems.append(_problem(rel, None, f"file {rel}", "the entry has no text", entry))
            continue
        entries.append(entry)
    return _finish(entries, problems, notes)

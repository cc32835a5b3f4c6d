"""Locating and reading the editable text-analysis data files in ``config/text/``.

The files are looked up in the workspace project (``config/text/``) first, so a
researcher's edits win, and then in the repository the package was installed from.
Override the folder with ``$JAKALA_TEXT_CONFIG``.
"""

from __future__ import annotations

import os
from pathlib import Path

from analysis.errors import ConfigError
from analysis.workspace import PACKAGE_PROJECT_DIR, find_project_dir


def text_config_dir() -> Path:
    """The folder holding ``spoken_forms.tsv``, ``lexicon.tsv``, stopword lists etc."""
    env = os.environ.get("JAKALA_TEXT_CONFIG")
    if env:
        return Path(env)
    for base in (find_project_dir(), PACKAGE_PROJECT_DIR):
        folder = base / "config" / "text"
        if folder.is_dir():
            return folder
    return PACKAGE_PROJECT_DIR / "config" / "text"


def config_file(name: str | Path) -> Path:
    """Resolve a data file name (relative names below :func:`text_config_dir`)."""
    path = Path(name)
    if not path.is_absolute() and len(path.parts) == 1:
        path = text_config_dir() / path
    if not path.is_file():
        raise ConfigError(
            "text-analysis data file not found",
            file=path,
            hint="Restore it from the repository (config/text/) or pass an existing path.",
        )
    return path


def read_lines(path: Path) -> list[tuple[int, str]]:
    """Non-empty, non-comment lines of a UTF-8 text file, with 1-based line numbers."""
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"file is not UTF-8 ({exc.reason} at byte {exc.start})",
            file=path,
            hint="Save the file as UTF-8 in your editor.",
        ) from exc
    out = []
    for number, line in enumerate(raw.splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            out.append((number, line.rstrip("\r\n")))
    return out


def read_tsv(path: Path, columns: tuple[str, ...], required: int) -> list[tuple[int, list[str]]]:
    """Rows of a tab-separated data file with a header naming ``columns``.

    Parameters
    ----------
    path : Path
    columns : tuple of str
        Expected header (the first non-comment line); later columns are optional.
    required : int
        How many leading columns must be non-empty on every row.
    """
    lines = read_lines(path)
    if not lines:
        raise ConfigError("file has no header line", file=path, hint=f"Start it with: {chr(9).join(columns)}")
    number, header = lines[0]
    names = [h.strip().lower() for h in header.split("\t")]
    if names[: len(columns)] != list(columns)[: len(names)] or len(names) < required:
        raise ConfigError(
            f"header is {names!r}, expected tab-separated {list(columns)!r}",
            file=path,
            location=f"line {number}",
            hint="Separate the columns with a TAB character, not spaces.",
        )
    rows = []
    for number, line in lines[1:]:
        cells = [c.strip() for c in line.split("\t")]
        if len(cells) < required or not all(cells[:required]):
            raise ConfigError(
                f"row needs {required} tab-separated values ({', '.join(columns[:required])}), got {line!r}",
                file=path,
                location=f"line {number}",
                hint="Separate the columns with a TAB character, or comment the line out with #.",
            )
        if len(cells) > len(columns):
            raise ConfigError(
                f"row has {len(cells)} columns, at most {len(columns)} allowed",
                file=path,
                location=f"line {number}",
                hint="Remove the extra TAB characters.",
            )
        rows.append((number, cells + [""] * (len(columns) - len(cells))))
    return rows


def file_signature(path: Path) -> tuple[str, int, int]:
    """(path, mtime_ns, size): changes when the file is edited, for cache keys."""
    stat = path.stat()
    return (str(path.resolve()), stat.st_mtime_ns, stat.st_size)

"""Small file helpers shared by the findings modules: atomic writes, byte hashes, zips."""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zipfile
from pathlib import Path

#: The timestamp written into every zip member (docx/xlsx), so two runs give equal bytes.
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)


def sha256_bytes(data: bytes) -> str:
    """Return the hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder.

    The temporary file is flushed and then moved over ``path`` with :func:`os.replace`,
    so a reader (or a crash) never sees a half-written file.

    Parameters
    ----------
    path : str or Path
        Destination; parent folders are created.
    data : bytes
        The complete content.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 text with ``\\n`` line ends atomically (see :func:`atomic_write_bytes`)."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def normalise_zip(data: bytes) -> bytes:
    """Rewrite a zip archive (docx, xlsx) with fixed member timestamps and order kept.

    python-docx and openpyxl stamp every member with the current time; rewriting them
    with :data:`ZIP_DATE_TIME` makes two writes of the same content byte-identical.
    """
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            member.create_system = 0
            target.writestr(member, source.read(info.filename))
    return out.getvalue()

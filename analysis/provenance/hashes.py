"""Hashes the caches key on: a file's bytes and the source of the ``analysis`` package.

Examples
--------
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as folder:
...     path = Path(folder) / "a.txt"
...     _ = path.write_bytes(b"abc")
...     sha256_file(path)[:16]
'ba7816bf8f01cfea'
>>> len(package_source_hash())
64
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=1)
def package_source_hash() -> str:
    """Hash of every ``.py`` file and bundled data file of the ``analysis`` package."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for file in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        if file.suffix in {".pyc"}:
            continue
        digest.update(str(file.relative_to(root)).encode())
        digest.update(sha256_file(file).encode())
    return digest.hexdigest()


__all__ = ["package_source_hash", "sha256_file"]

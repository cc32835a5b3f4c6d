"""Provenance shared by the ingestion and the batch: file hashes and the read recorder.

:mod:`analysis.provenance.hashes` hashes files and the ``analysis`` package source (both
caches key on them); :mod:`analysis.provenance.reads` records which workspace files a
process actually reads. Neither :mod:`analysis.ingest` nor :mod:`analysis.pipeline`
imports the other: both import this package, which imports neither. It imports nothing
heavy, so a notebook kernel can start the read recorder cheaply.
"""

from analysis.provenance.hashes import package_source_hash, sha256_file

__all__ = ["package_source_hash", "sha256_file"]

"""Provenance shared by the ingestion and the batch: file hashes, the read recorder, the record.

:mod:`analysis.provenance.hashes` hashes files and the ``analysis`` package source (both
caches key on them); :mod:`analysis.provenance.reads` records which workspace files a
process actually reads; :mod:`analysis.provenance.record` reads and writes the batch's
provenance record (``reports/provenance.json``). Neither :mod:`analysis.ingest` nor :mod:`analysis.pipeline`
imports the other: both import this package, which imports neither. The package itself imports only
the hashes, so a notebook kernel can start the read recorder cheaply.
"""

from analysis.provenance.hashes import package_source_hash, sha256_file

__all__ = ["package_source_hash", "sha256_file"]

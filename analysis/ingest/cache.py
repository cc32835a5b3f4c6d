"""The per-source cache of the ingestion and what its key covers.

Each source's results are kept in ``data/processed/cache/<source>-<hash>/``
(:func:`source_cache_name`, :func:`load_cached`, :func:`store_cached`); the hash covers the
file's bytes, its manifest entry, the instrument (surveys), every file of ``config/text/``
(workshops and diaries), ``config/diary_form.yaml`` (diaries), the names to redact, the
lemmatiser backend with its version (:func:`lemmatiser_info`) and the ``analysis``
package source. Every other workspace file the ingestion opens is recorded
(:func:`start_read_recording`, :func:`finish_read_recording`, with
:mod:`analysis.provenance.reads`); when one of them changes the next ingestion ignores
the cache (:func:`analysis.ingest.state.recorded_reads_changed`).

Examples
--------
>>> _hash_bytes(b"a", b"b") == _hash_bytes(b"a", b"b") != _hash_bytes(b"ab")
True
>>> len(_hash_bytes(b"a"))
20
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from analysis.ingest.manifest import Manifest, Source
from analysis.provenance import reads
from analysis.provenance.hashes import sha256_file
from analysis.workspace import Workspace


def _hash_bytes(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:20]


def _file_bytes(path: Path) -> bytes:
    if path.is_dir():
        digest = hashlib.sha256()
        for f in sorted(p for p in path.rglob("*") if p.is_file()):
            digest.update(str(f.relative_to(path)).encode())
            digest.update(f.read_bytes())
        return digest.digest()
    return path.read_bytes()


def source_cache_name(src: Source, ws: Workspace, *salts: bytes) -> str:
    """The name of a source's cache folder: ``<source id>-<hash>``.

    The hash covers the file's bytes (a folder's files with their names), its manifest
    entry, the instrument (surveys) and ``salts``: the names to redact, the package
    source with the lemmatiser, and the configuration of the source's kind
    (:func:`config_states`).
    """
    instrument_bytes = b""
    if src.kind == "survey":
        instrument_bytes = ws.resolve_config(src.spec["instrument"]).read_bytes()
    digest = _hash_bytes(_file_bytes(src.path), json.dumps(src.spec, sort_keys=True, default=str).encode(),
                         instrument_bytes, *salts)  # fmt: skip
    return f"{src.id}-{digest}"


def load_cached(cached_dir: Path, target_dir: Path, known_pseudonyms: set[str]) -> dict[str, pd.DataFrame] | None:
    """A source's tables from the last ingestion's cache, linked into the new one; ``None`` when there are none.

    The cache counts only when complete (its ``_done`` marker) and while the key still
    holds every pseudonym it used.
    """
    if not (cached_dir / "_done").is_file():
        return None
    used = json.loads((cached_dir / "_done").read_text(encoding="utf-8")).get("pseudonyms", [])
    if not set(used) <= known_pseudonyms:
        return None
    target_dir.mkdir()
    for f in cached_dir.iterdir():
        os.link(f, target_dir / f.name)
    return {f.stem: pd.read_parquet(f) for f in target_dir.glob("*.parquet")}


def store_cached(target_dir: Path, frames: dict[str, pd.DataFrame], source_id: str,
                 used: Iterable[Any]) -> dict[str, pd.DataFrame]:  # fmt: skip
    """Write a source's tables to its new cache folder, marked complete with the pseudonyms ``used``.

    Returns the tables as the cache gives them back, so a fresh and a cached ingestion
    write byte-identical tables (otherwise dtypes differ once and every reader re-runs).
    """
    target_dir.mkdir()
    for name, frame in frames.items():
        frame.to_parquet(target_dir / f"{name}.parquet", index=False)
    marker = {"source": source_id, "pseudonyms": sorted(set(map(str, used)))}
    (target_dir / "_done").write_text(json.dumps(marker), encoding="utf-8")
    return {f.stem: pd.read_parquet(f) for f in target_dir.glob("*.parquet")}


def lemmatiser_info() -> dict[str, str]:
    """The lemmatiser backend the text pipeline uses here, with its version.

    :func:`analysis.text.lemmatise.backend_info` without ``set_in`` (where the backend was
    set): the name and the versions of the analyser, dictionary, simplemma and prior.
    """
    from analysis.text import lemmatise

    # what gives the lemmas, not where it was set: ``set_in`` names a path (the config
    # folder may move; the config file's content is in the key through config/text/*)
    info = dict(lemmatise.backend_info())
    return {str(k): str(v) for k, v in info.items() if k != "set_in"}


def _text_config_files() -> list[Path]:
    from analysis.text._resources import text_config_dir

    folder = text_config_dir()
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


def config_states(ws: Workspace) -> dict[str, bytes]:
    """The configuration each kind of source depends on, as bytes for the cache key.

    Workshops and diaries: every file of ``config/text/`` (normalisation, lexicon,
    compounds, stopwords: the tokens are lemmatised at ingestion); diaries also
    ``config/diary_form.yaml`` (fields, roles, work packages). A survey's instrument is
    hashed with the survey itself.
    """
    digest = hashlib.sha256()
    for f in _text_config_files():
        digest.update(f.name.encode() + b"\0" + f.read_bytes() + b"\1")
    text = digest.digest()
    form = ws.config_path("diary_form.yaml")
    form_bytes = form.read_bytes() if form.is_file() else b""
    return {"survey": b"", "workshop": text, "diary": text + hashlib.sha256(form_bytes).digest()}


def declared_ingest_files(ws: Workspace, man: Manifest) -> set[Path]:
    files = {p.resolve() for p in _text_config_files()}
    files.add(ws.config_path("diary_form.yaml").resolve())
    files.add(ws.config_path("ingest.yaml").resolve())
    files.add(man.file.resolve())
    for src in man.sources:
        if src.kind == "survey":
            files.add(ws.resolve_config(src.spec["instrument"]).resolve())
    return files


def start_read_recording(ws: Workspace) -> Path:
    """Record every workspace file this ingestion opens (see :mod:`analysis.provenance.reads`)."""
    handle, name = tempfile.mkstemp(prefix="jakala-ingest-reads-", suffix=".txt")
    os.close(handle)
    roots = {str(ws.root), str(ws.project)}
    roots.update(str(p.parent) for p in _text_config_files()[:1])
    reads.install(name, sorted(roots))
    return Path(name)


def stop_read_recording(record: Path) -> None:
    reads.stop()
    record.unlink(missing_ok=True)


def finish_read_recording(record: Path, ws: Workspace, man: Manifest) -> dict[str, str]:
    """Files the ingestion read beyond its sources, keys, cache and declared config: label → SHA-256.

    They go into ``ingest_state.json`` (``reads``); when one of them changes, the next
    ingestion ignores the cache (:func:`analysis.ingest.state.recorded_reads_changed`). So a configuration
    file some reader starts to use is part of the cache key without anyone listing it.
    """
    declared = declared_ingest_files(ws, man)
    skip = [ws.root / "data", ws.project / "analysis", ws.project / "notebooks", ws.reports]
    out = {}
    for path in reads.read_record(record):
        resolved = path.resolve()
        if resolved in declared or not resolved.is_file():
            continue
        if any(resolved.is_relative_to(p.resolve()) for p in skip):
            continue
        label = reads.label_of(resolved, ws.root, ws.project)
        if label is None or set(label.split("/")) & reads.IGNORED_PARTS:
            continue
        out[label] = sha256_file(resolved)
    return dict(sorted(out.items()))


def cached_tokens(segments: pd.DataFrame, new_cache: Path, old_cache: Path, force: bool,
                  salt: bytes = b"") -> pd.DataFrame:  # fmt: skip
    """Tokens of the diary segments, cached by the hash of the segments' texts, the text config and lemmatiser."""
    from analysis.text.pipeline import tokens_table

    if segments.empty:
        return tokens_table(segments[["segment_id", "text"]]) if "segment_id" in segments else pd.DataFrame()
    digest = hashlib.sha256(salt + "\0".join(segments["segment_id"] + "\1" + segments["text"]).encode()).hexdigest()[:20]
    name = f"diary_tokens-{digest}.parquet"
    if (old_cache / name).is_file() and not force:
        os.link(old_cache / name, new_cache / name)
        return pd.read_parquet(new_cache / name)
    tokens = tokens_table(segments[["segment_id", "text"]])
    tokens.to_parquet(new_cache / name, index=False)
    return pd.read_parquet(new_cache / name)  # as a cached ingestion reads it (byte-identical output)

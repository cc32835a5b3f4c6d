"""One ingestion: every source through its cache into a staging folder, swapped in at once.

Every table is written to ``data/.processed-staging-<pid>/``, the key is saved, and the
staging folder replaces ``data/processed/`` in one rename (:func:`_swap_in`). A failed
ingestion leaves ``data/processed/`` exactly as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.errors import DataError
from analysis.ingest.cache import (
    cached_tokens,
    config_states,
    finish_read_recording,
    lemmatiser_info,
    load_cached,
    source_cache_name,
    start_read_recording,
    stop_read_recording,
    store_cached,
)
from analysis.ingest.manifest import load_manifest
from analysis.ingest.report import IngestReport, quarantine_share_limit, quarantine_warnings
from analysis.ingest.sources import (
    dedupe_diaries,
    ingest_diary,
    ingest_survey,
    ingest_workshop,
    quarantine_frame,
    speaker_original,
)
from analysis.ingest.state import (
    STATE_FILE,
    SURVEYS_FILE,
    TABLES,
    config_hashes,
    file_state_of,
    manifest_state,
    recorded_reads_changed,
    write_survey_list,
)
from analysis.provenance.hashes import package_source_hash
from analysis.workspace import Workspace


def ingest(ws: Workspace, *, manifest: Path | None = None, force: bool = False) -> IngestReport:
    """Read every source of the manifest into ``data/processed/`` (see module docstring).

    Parameters
    ----------
    ws : Workspace
        The workspace.
    manifest : Path, optional
        Another manifest than ``data/raw/manifest.yaml``.
    force : bool
        Ignore the per-file cache.

    Returns
    -------
    IngestReport

    Raises
    ------
    DataError, ConfigError
        With file, location and what to do; ``data/processed/`` is then unchanged.
    """
    from analysis.privacy import PseudonymKey, Redactor
    from analysis.text.pipeline import segments_from_diaries, segments_from_turns, tokens_table

    started = time.perf_counter()
    manifest_path = Path(manifest) if manifest else ws.manifest
    if not manifest_path.is_file():
        raise DataError("no data manifest", file=manifest_path,
                        hint="Run `jakala demo-data` for synthetic data, or write a manifest (docs/bring_your_own_data.md).")  # fmt: skip
    man = load_manifest(manifest_path, ws)
    key = PseudonymKey.load(ws.keys)
    for name in man.known_names:
        key.add_name(name)
    # Every speaker of every workshop gets its pseudonym before any text is redacted, so a
    # voice name from one transcript is redacted in all the others (and in the diaries).
    for src in man.sources:
        if src.kind == "workshop":
            for label, role in src.spec["speakers"].items():
                key.pseudonym("speaker", speaker_original(src.id, label), role=role, avoid=src.spec["speakers"])
    redactor = Redactor(key)
    # The cache of a source is valid while the names to redact are the same.
    names_state = json.dumps(sorted(key.known_names().items()), ensure_ascii=False).encode()
    lemmatiser = lemmatiser_info()
    backend = lemmatiser["name"]
    package = package_source_hash().encode() + json.dumps(lemmatiser, sort_keys=True).encode()
    config_state = config_states(ws)
    if recorded_reads_changed(ws):  # a file the last ingestion read (beyond the declared ones) has changed
        force = True
    recorder = start_read_recording(ws)

    staging = ws.root / "data" / f".processed-staging-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    (staging / "cache").mkdir(parents=True)
    old_cache = ws.processed / "cache"
    report = IngestReport(processed=ws.processed)
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES}
    source_states: list[dict[str, Any]] = []
    try:
        known_pseudonyms = set(key.pseudonyms())
        for src in man.sources:
            cache_name = source_cache_name(src, ws, names_state, package, config_state[src.kind])
            cached_dir = old_cache / cache_name
            target_dir = staging / "cache" / cache_name
            frames = None if force else load_cached(cached_dir, target_dir, known_pseudonyms)
            cached = frames is not None
            if frames is None:
                if src.kind == "survey":
                    frames = ingest_survey(src, ws, key, redactor.redact_text)
                    used = frames["respondents"]["respondent"]
                elif src.kind == "workshop":
                    frames = ingest_workshop(src, ws, key, redactor.redact_text)
                    segs = segments_from_turns(frames["transcript_turns"], unit="turn")
                    frames["workshop_segments"] = segs
                    frames["workshop_tokens"] = tokens_table(segs[["segment_id", "text"]])
                    used = frames["transcript_turns"]["speaker"]
                else:
                    frames = ingest_diary(src, ws, key, redactor.redact_text)
                    used = frames["diary_entries"]["writer"]
                frames = store_cached(target_dir, frames, src.id, used)
            for name, frame in frames.items():
                if name.startswith("_"):
                    continue
                parts[name].append(frame)
            main = {"survey": "survey_responses", "workshop": "transcript_turns", "diary": "diary_entries"}[src.kind]
            rows = len(frames.get("respondents", frames[main])) if src.kind == "survey" else len(frames[main])
            notes = list(frames["_notes"]["note"]) if "_notes" in frames else []
            entry = {"id": src.id, "kind": src.kind, "file": redactor.redact_text(src.relpath), "rows": int(rows),
                     "quarantined": int(len(frames.get("quarantine", []))), "cached": cached, "notes": notes}
            if src.kind == "survey":
                entry["instrument"] = str(src.spec["instrument"])
            report.sources.append(entry)
            source_states.append({"id": src.id, "file": src.relpath, "cached": cached, **file_state_of(src, ws)})

        tables: dict[str, pd.DataFrame] = {}
        for name in TABLES:
            frames = [f for f in parts[name] if f is not None and len(f.columns)]
            tables[name] = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

        # diaries: duplicates across sources, then segments and tokens for all entries at once
        diaries = tables["diary_entries"]
        if not diaries.empty:
            diaries = diaries.sort_values(["date", "source_id", "source_row"], kind="stable").reset_index(drop=True)
            diaries, dup_rows = dedupe_diaries(diaries)
            if dup_rows:
                tables["quarantine"] = pd.concat([tables["quarantine"], quarantine_frame(dup_rows)], ignore_index=True)
            diaries = diaries.drop(columns=["_location"]).reset_index(drop=True)
            diaries.insert(0, "entry_id", [f"D{i:04d}" for i in range(1, len(diaries) + 1)])
            tables["diary_entries"] = diaries
            segs = segments_from_diaries(diaries)
            tables["diary_segments"] = segs
            tables["diary_tokens"] = cached_tokens(segs, staging / "cache", old_cache, force,
                                                   salt=package + config_state["diary"])  # fmt: skip
        if tables["quarantine"].empty:
            tables["quarantine"] = quarantine_frame([])

        for name, frame in tables.items():
            frame.to_parquet(staging / f"{name}.parquet", index=False)
            report.tables[name] = int(len(frame))
        report.seconds = time.perf_counter() - started
        report.lemmatiser = f"{backend} {lemmatiser.get('version') or ''}".strip()
        report.warnings = quarantine_warnings(report.sources, quarantine_share_limit(ws))
        # what the notebooks read: determined by the data and config alone (no times, no cache flags)
        summary = [{k: v for k, v in source.items() if k != "cached"} for source in report.sources]
        (staging / "ingest_report.json").write_text(
            json.dumps({"sources": summary, "tables": report.tables, "lemmatiser": lemmatiser,
                        "warnings": report.warnings, "data": man.data}, indent=2, ensure_ascii=False),
            encoding="utf-8",
        )
        # what `jakala run` checks before any kernel starts (check_ingested); no notebook reads it
        (staging / STATE_FILE).write_text(
            json.dumps({"manifest": manifest_state(manifest_path, ws), "sources": source_states,
                        "config": config_hashes(ws, man), "reads": finish_read_recording(recorder, ws, man)},
                       indent=2, ensure_ascii=False),
            encoding="utf-8",
        )
        write_survey_list(staging / SURVEYS_FILE, man, ws)
        key.save()
        _swap_in(staging, ws.processed)
    finally:
        stop_read_recording(recorder)
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return report


def _swap_in(staging: Path, processed: Path) -> None:
    """Replace ``processed`` by ``staging`` with renames (keeps ``.gitkeep``)."""
    keep = processed / ".gitkeep"
    if keep.exists():
        shutil.copy2(keep, staging / ".gitkeep")
    old = processed.with_name(f".processed-old-{os.getpid()}")
    if processed.exists():
        os.replace(processed, old)
    os.replace(staging, processed)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)

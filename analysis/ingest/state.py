"""What ``data/processed/`` holds, and the check ``jakala run`` makes before any kernel starts.

:data:`TABLES` are the processed tables. ``ingest_state.json`` (:data:`STATE_FILE`)
records the data manifest's and the config files' SHA-256, each raw file's size and
time and the files the ingestion read; :func:`check_ingested` compares them with the
workspace. ``surveys.json`` (:data:`SURVEYS_FILE`, read by :func:`survey_instruments`)
says which instrument each survey source has.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from analysis.errors import DataError
from analysis.ingest.cache import declared_ingest_files
from analysis.ingest.manifest import Manifest, Source
from analysis.provenance import reads
from analysis.provenance.hashes import sha256_file
from analysis.workspace import Workspace

TABLES = (
    "respondents", "survey_responses", "survey_open_answers", "workshops", "transcript_turns", "diary_entries",
    "quarantine", "workshop_segments", "workshop_tokens", "diary_segments", "diary_tokens",
)  # fmt: skip


#: The runner's record of an ingestion (``data/processed/ingest_state.json``): manifest and
#: config hashes, raw file states, recorded reads. Not for notebooks.
STATE_FILE = "ingest_state.json"


#: The survey sources with their instruments, for the notebooks (``data/processed/surveys.json``).
SURVEYS_FILE = "surveys.json"


def _file_state(path: Path) -> dict[str, int]:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        stats = [f.stat() for f in files]
        return {"size": sum(s.st_size for s in stats), "mtime_ns": max((s.st_mtime_ns for s in stats), default=0),
                "n_files": len(files)}  # fmt: skip
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def file_state_of(src: Source, ws: Workspace) -> dict[str, Any]:
    """What the pre-run check compares for a source: the raw file's path (below the root), size and time."""
    return {"path": _root_label(src.path, ws), **_file_state(src.path)}


def _root_label(path: Path, ws: Workspace) -> str:
    """A path relative to the workspace root (so a copied workspace checks its own files), else absolute."""
    try:
        return Path(path).resolve().relative_to(ws.root.resolve()).as_posix()
    except ValueError:
        return str(Path(path).resolve())


def write_survey_list(path: Path, man: Manifest, ws: Workspace) -> None:
    """Write which instrument each survey source has (the notebooks take theirs from here).

    A file of its own, so that it changes only when the surveys or their instruments do
    (``ingest_report.json`` changes with every ingestion, and reading it would re-run the
    survey notebooks after any change to, say, a stopword list).
    """
    from analysis.survey.instrument import load_instrument

    rows = []
    for src in man.sources:
        if src.kind != "survey":
            continue
        inst = load_instrument(ws.resolve_config(src.spec["instrument"]))
        rows.append({"id": src.id, "file": src.relpath, "instrument": str(src.spec["instrument"]),
                     "instrument_id": inst.id, "wave": src.spec["wave"], "scales": bool(inst.scales)})  # fmt: skip
    path.write_text(json.dumps(rows, indent=2, ensure_ascii=False), encoding="utf-8")


def config_hashes(ws: Workspace, man: Manifest) -> dict[str, str]:
    """SHA-256 of every configuration file the ingestion depends on (checked before a batch runs)."""
    out = {}
    for path in sorted(declared_ingest_files(ws, man) - {man.file.resolve()}):
        if path.is_file():
            out[reads.label_of(path, ws.root, ws.project) or str(path)] = sha256_file(path)
    return out


def manifest_state(path: Path, ws: Workspace) -> dict[str, str]:
    return {"path": _root_label(path, ws), "sha256": sha256_file(path)}


def recorded_reads_changed(ws: Workspace) -> bool:
    """Whether a file the last ingestion read (``reads`` in ``ingest_state.json``) has changed or gone."""
    report = ws.processed / STATE_FILE
    try:
        recorded = json.loads(report.read_text(encoding="utf-8")).get("reads") or {}
    except (OSError, json.JSONDecodeError):
        return False
    for label, digest in recorded.items():
        path = next((b / label for b in (ws.root, ws.project) if (b / label).is_file()), None)
        if path is None or sha256_file(path) != digest:
            return True
    return False


def check_ingested(ws: Workspace) -> str | None:
    """Whether ``data/processed/`` holds an ingestion of the current raw data; ``None`` when it does.

    Checked by ``jakala run`` before any kernel starts: the ingestion report exists,
    the data manifest is the one ingested (SHA-256), and every raw source file has the
    size and modification time it had then.

    Returns
    -------
    str or None
        What is wrong and what to do.
    """
    report_file = ws.processed / STATE_FILE
    if not report_file.is_file():
        if not ws.manifest.is_file():
            return ("there is no data yet: run `jakala demo-data` for synthetic data (or put your files and "
                    "data/raw/manifest.yaml in place), then run `jakala ingest` first")  # fmt: skip
        return f"{ws.processed} holds no ingested data: run `jakala ingest` first"
    try:
        report = json.loads(report_file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return f"{report_file} cannot be read: run `jakala ingest` again"
    state = report.get("manifest") or {}
    if not state.get("sha256"):
        return "the processed data were written by an older version of the workspace: run `jakala ingest`"
    manifest = ws.root / state["path"] if state.get("path") else ws.manifest
    if not manifest.is_file():
        return f"the data manifest {manifest} that was ingested is gone: restore it and run `jakala ingest`"
    if sha256_file(manifest) != state["sha256"]:
        return (f"{manifest} changed after the last ingestion, so data/processed/ does not match it: "
                "run `jakala ingest`")  # fmt: skip
    for src in report.get("sources", []):
        if not src.get("path"):
            continue
        path = ws.root / src["path"]
        if not path.exists():
            return f"the raw file {src['file']} of source '{src['id']}' is gone: restore it or edit the manifest, then run `jakala ingest`"
        now = _file_state(path)
        if any(now.get(k) != src.get(k) for k in ("size", "mtime_ns")):
            return f"the raw file {src['file']} of source '{src['id']}' changed after the last ingestion: run `jakala ingest`"
    for label, digest in (report.get("config") or {}).items():
        path = next((b / label for b in (ws.root, ws.project) if (b / label).is_file()), Path(label))
        if not path.is_file():
            return f"{label}, which the last ingestion used, is gone: restore it, or edit the manifest, and run `jakala ingest`"
        if sha256_file(path) != digest:
            return (f"{label} changed after the last ingestion, so data/processed/ does not match it: "
                    "run `jakala ingest`")  # fmt: skip
    missing = [t for t in TABLES if not (ws.processed / f"{t}.parquet").is_file()]
    if missing:
        return f"data/processed/ lacks {', '.join(missing)}: run `jakala ingest`"
    return None


def survey_instruments(ws: Workspace) -> list[dict[str, Any]]:
    """The surveys of the last ingestion with their instruments (``data/processed/surveys.json``).

    Each item: ``id``, ``file``, ``instrument`` (path as in the manifest),
    ``instrument_id``, ``wave``, ``scales`` (whether the instrument has scales).
    """
    path = ws.processed / SURVEYS_FILE
    if not path.is_file():
        raise DataError("no list of ingested surveys", file=path, hint="Run `jakala ingest` first.")
    return list(json.loads(path.read_text(encoding="utf-8")))

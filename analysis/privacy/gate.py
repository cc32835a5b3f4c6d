"""The leak gate run at the end of every batch, incremental.

:func:`leak_gate` scans the outputs with :func:`analysis.privacy.scan.scan_paths`, but
only the files that changed since they were last found clean: a file is skipped when its
size and modification time are those recorded at its last clean scan *and* the key
(``data/keys/``) is unchanged, since the key decides which names are searched for. A
file with a finding is never recorded, so it is scanned again every time until fixed.
The record lives in ``reports/.cache/leak_gate.json`` and holds file paths, sizes and
times only.

Nothing heavy is imported when no file changed, so a no-op batch stays fast.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

#: Folders below the scanned roots that hold caches, not outputs: ``reports/.cache`` (this
#: record, the notebook-parameter cache) and ``data/processed/cache`` (the per-source
#: ingestion cache, whose rows are exactly those of the processed tables, which are scanned).
SKIP_DIRS = {".cache", "cache"}


def _key_state(keys_dir: Path) -> list[Any]:
    state = []
    for name in ("pseudonym_key.json", "names.yaml"):
        path = keys_dir / name
        st = path.stat() if path.is_file() else None
        state.append([name, st.st_size if st else None, st.st_mtime_ns if st else None])
    return state


def _files(paths: list[Path]) -> list[Path]:
    found = []
    for root in paths:
        if root.is_file():
            found.append(root)
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
            found.extend(Path(dirpath) / f for f in sorted(filenames))
    return found


def _read_state(state_file: Path, key_state: list[Any]) -> dict[str, list[int]]:
    try:
        state = json.loads(state_file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        state = {}
    return dict(state.get("clean", {})) if state.get("key") == key_state else {}


def _write_state(state_file: Path, key_state: list[Any], record: dict[str, list[int]]) -> None:
    try:
        state_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = state_file.with_name(f".{state_file.name}.tmp")
        tmp.write_text(json.dumps({"key": key_state, "clean": record}), encoding="utf-8")
        os.replace(tmp, state_file)
    except OSError:
        pass


def prescan(files: list[Path], keys_dir: Path, state_file: Path) -> list[Path]:
    """Scan ``files`` ahead of the gate and record the clean ones; return the files scanned.

    The batch calls this for a run's outputs as soon as the run has finished (while
    other runs still execute), so the gate at the end of the batch finds them unchanged
    and skips them. Nothing else in the record changes; a file with a finding is taken
    out of it, so the gate scans it again and reports it. The gate decides: a file
    changed after this scan (size or time) is scanned again there.

    Parameters
    ----------
    files : list of Path
        Files (not folders).
    keys_dir, state_file : Path
        As for :func:`leak_gate`.

    Returns
    -------
    list of Path
        The files this call scanned (those not already recorded clean as they are).
    """
    key_state = _key_state(keys_dir)
    clean = _read_state(state_file, key_state)
    stats = {str(f): f.stat() for f in files if f.is_file()}
    changed = [Path(f) for f, st in stats.items() if clean.get(f) != [st.st_size, st.st_mtime_ns]]
    if not changed:
        return []
    from analysis.privacy.keys import PseudonymKey
    from analysis.privacy.scan import scan_paths

    findings = scan_paths(changed, key=PseudonymKey.load(keys_dir))
    dirty = {str(Path(f.file)) for f in findings}
    for f in map(str, changed):
        if f in dirty:
            clean.pop(f, None)
        else:
            clean[f] = [stats[f].st_size, stats[f].st_mtime_ns]
    _write_state(state_file, key_state, clean)
    return changed


def leak_gate(paths: list[Path], keys_dir: Path, state_file: Path) -> tuple[list[Any], int, int]:
    """Scan what changed under ``paths``; return (findings, files scanned, files skipped).

    Parameters
    ----------
    paths : list of Path
        Output folders (reports, figures, processed data) or files.
    keys_dir : Path
        ``data/keys``: the key's names are searched for.
    state_file : Path
        Where the clean files are recorded.

    Returns
    -------
    findings : list of LeakFinding
    scanned, skipped : int
    """
    key_state = _key_state(keys_dir)
    clean = _read_state(state_file, key_state)
    stats = {str(f): f.stat() for f in _files([Path(p) for p in paths]) if f.is_file()}
    changed = [Path(f) for f, st in stats.items() if clean.get(f) != [st.st_size, st.st_mtime_ns]]
    findings: list[Any] = []
    if changed:
        from analysis.privacy.keys import PseudonymKey
        from analysis.privacy.scan import scan_paths

        findings = scan_paths(changed, key=PseudonymKey.load(keys_dir))
    dirty = {str(Path(f.file)) for f in findings}
    record = {f: [st.st_size, st.st_mtime_ns] for f, st in stats.items() if f not in dirty}
    _write_state(state_file, key_state, record)
    return findings, len(changed), len(stats) - len(changed)


def publish_gated(files: dict[str, bytes], out_dir: Path, keys_dir: Path) -> dict[str, Path]:
    """Write report files to a staging folder, scan them, and move them into ``out_dir`` only when clean.

    Parameters
    ----------
    files : dict
        File name → content (``{"findings.md": b"...", ...}``).
    out_dir : Path
        Where the files are published (``reports/``).
    keys_dir : Path
        ``data/keys``: the key's names are searched for (any case, inflected).

    Returns
    -------
    dict
        File name → published path.

    Raises
    ------
    LeakError
        When the scan finds an identifier; nothing is written to ``out_dir`` then and
        the earlier report stays as it was.
    """
    import shutil
    import tempfile

    from analysis.errors import LeakError
    from analysis.privacy.keys import PseudonymKey
    from analysis.privacy.scan import format_findings, scan_paths

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".report-staging-", dir=out_dir))
    try:
        for name, data in files.items():
            (staging / name).write_bytes(data)
        from analysis.provenance.reads import not_recorded

        with not_recorded():  # the gate's own read of the key's names is no input of the run
            key = PseudonymKey.load(keys_dir)
        findings = scan_paths([staging], key=key)
        if findings:
            first = findings[0]
            raise LeakError(f"the report would publish {len(findings)} possible identifier(s), first a "
                            f"{first.kind} ({first.masked}); nothing was written to {out_dir}",
                            file=Path(first.file).name, location=first.location,
                            hint="Fix the redaction (names.yaml, the speaker map) and re-run.\n"
                                 + format_findings(findings).replace(str(staging) + os.sep, ""))
        published = {}
        for name in files:
            target = out_dir / name
            os.replace(staging / name, target)
            published[name] = target
        return published
    finally:
        shutil.rmtree(staging, ignore_errors=True)

"""A run's outputs: which files they are, whether they are intact, and parking them while it runs.

Before a run executes, its previous outputs are moved aside to ``reports/.previous/<run>``
(:func:`stage_aside`); on failure the partial new outputs are removed and the previous
ones put back (:func:`restore`), so a failed run never overwrites what an earlier
successful run produced. Outputs a killed batch left parked are put back by
:func:`recover_interrupted` at the start of the next batch.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from analysis.provenance import reads as read_recorder
from analysis.pipeline.plan import Pipeline, Run
from analysis.provenance.hashes import sha256_file
from analysis.workspace import Workspace


def output_files(run: Run, ws: Workspace) -> dict[str, Path]:
    """Files a run has written (figures, tables, registry), keyed by path relative to root."""
    paths = run.output_paths(ws)
    files: list[Path] = []
    for key in ("figures", "tables"):
        if paths[key].is_dir():
            files.extend(sorted(p for p in paths[key].rglob("*") if p.is_file()))
    if paths["registry"].is_file():
        files.append(paths["registry"])
    for pattern in run.outputs:
        files.extend(sorted(p for p in ws.root.glob(pattern) if p.is_file()))
    return {str(p.relative_to(ws.root)): p for p in files}


def outputs_intact(record: dict[str, Any], ws: Workspace) -> str | None:
    """``None`` when every recorded output still exists with its hash, else the first problem."""
    for label, digest in (record.get("outputs") or {}).items():
        path = ws.root / label
        if not path.is_file():
            return f"output missing: {label}"
        if sha256_file(path) != digest:
            return f"output changed: {label}"
    if not record.get("outputs"):
        return "no outputs recorded"
    return None


def stage_aside(run: Run, ws: Workspace) -> Path:
    """Move a run's previous outputs aside; return the backup folder."""
    backup = ws.reports / ".previous" / run.name
    if backup.exists():
        shutil.rmtree(backup)
    backup.mkdir(parents=True)
    for key, path in run.output_paths(ws).items():
        if key == "notebook":
            continue
        if path.exists():
            shutil.move(str(path), str(backup / key))
    return backup


def recover_interrupted(pipeline: Pipeline, ws: Workspace) -> list[str]:
    """Put back the outputs a killed or interrupted batch left parked in ``reports/.previous``.

    Returns the names of the runs whose earlier outputs were restored.
    """
    parked = ws.reports / ".previous"
    restored = []
    if parked.is_dir():
        names = {r.name: r for r in pipeline.runs}
        for backup in sorted(p for p in parked.iterdir() if p.is_dir() and p.name in names):
            restore(names[backup.name], ws, backup)
            restored.append(backup.name)
    return restored


def restore(run: Run, ws: Workspace, backup: Path) -> None:
    """Remove a failed run's partial outputs and put the previous ones back."""
    for key, path in run.output_paths(ws).items():
        if key == "notebook":
            continue
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
        saved = backup / key
        if saved.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(saved), str(path))
    shutil.rmtree(backup, ignore_errors=True)


def output_labels(run: Run, ws: Workspace) -> list[str]:
    """A run's output folders, files and patterns, relative to the workspace root."""
    labels = []
    for path in run.output_paths(ws).values():
        labels.append(read_recorder.label_of(path, ws.root, ws.root) or str(path))
    return labels + list(run.outputs)


__all__ = ["output_files", "output_labels", "outputs_intact", "recover_interrupted", "restore", "stage_aside"]

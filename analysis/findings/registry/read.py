"""The reader of the findings registry: the registries a batch published, loaded for the report."""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.errors import DataError
from analysis.provenance.hashes import sha256_file
from analysis.findings.registry._common import KINDS, SCRATCH_DIR, SCRATCH_PREFIX
from analysis.workspace import Workspace


class UnrecordedRunWarning(UserWarning):
    """A registry in ``reports/registry/`` that the batch's provenance record does not record."""

@dataclass
class RunFindings:
    """One run's saved registry, as read by the report assembler.

    Attributes
    ----------
    run : str
    path : Path
        The registry JSON file.
    items : list of dict
        Findings in registration order (each with ``kind`` and ``id``).
    min_cell_size : int
    status : str or None
        The run's status in ``reports/provenance.json`` (``"succeeded"``, ``"failed"``…).
    """

    run: str
    path: Path
    items: list[dict]
    min_cell_size: int = 5
    status: str | None = None

    def of_kind(self, kind: str) -> list[dict]:
        """Items of one kind, in order."""
        return [item for item in self.items if item["kind"] == kind]

    def get(self, kind: str, item_id: str) -> dict | None:
        """The item of ``kind`` with ``item_id``, or ``None``."""
        for item in self.items:
            if item["kind"] == kind and item["id"] == item_id:
                return item
        return None


def read_registry(path: str | Path, root: str | Path | None = None, verify: bool = True) -> RunFindings:
    """Read one registry JSON file.

    Parameters
    ----------
    path : str or Path
    root : str or Path, optional
        Workspace root the file paths are relative to (default: two folders up).
    verify : bool
        Check that every listed file exists and has the recorded SHA-256.

    Raises
    ------
    DataError
        When the file is not a registry, or a listed file is missing or changed.
    """
    path = Path(path)
    root = Path(root) if root is not None else path.resolve().parent.parent.parent
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"cannot read the findings registry ({exc})", file=path, hint="Re-run its notebook.") from None
    if not isinstance(data, dict) or not isinstance(data.get("items"), list) or "run" not in data:
        raise DataError("not a findings registry (no 'run' and 'items')", file=path, hint="Re-run its notebook.")
    for position, item in enumerate(data["items"], start=1):
        if not isinstance(item, dict) or item.get("kind") not in KINDS or not item.get("id"):
            raise DataError("invalid item (no kind or id)", file=path, location=f"item {position}")
        if not verify:
            continue
        for fmt, rel in (item.get("files") or {}).items():
            file = root / rel
            if not file.is_file():
                raise DataError(
                    f"{item['kind']} '{item['id']}' lists a missing file {rel}",
                    file=path,
                    location=f"item {position}",
                    hint=f"Re-run the notebook of run '{data['run']}'.",
                )
            expected = (item.get("sha256") or {}).get(fmt)
            if expected and sha256_file(file) != expected:
                raise DataError(
                    f"{item['kind']} '{item['id']}': {rel} has changed since the registry was saved",
                    file=path,
                    location=f"item {position}",
                    hint=f"Re-run the notebook of run '{data['run']}'; outputs are never edited by hand.",
                )
    return RunFindings(
        run=str(data["run"]),
        path=path,
        items=data["items"],
        min_cell_size=int(data.get("min_cell_size", 5)),
    )


def read_provenance(root: str | Path) -> dict:
    """Read ``reports/provenance.json`` of the workspace, or ``{}`` when there is none."""
    path = Path(root) / "reports" / "provenance.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"cannot read the provenance record ({exc})", file=path, hint="Re-run the batch.") from None
    if not isinstance(data, dict):
        raise DataError("the provenance record is not a JSON object", file=path, hint="Re-run the batch.")
    return data


def load_registries(
    root: str | Path | None = None,
    exclude: tuple[str, ...] = ("findings",),
    verify: bool = True,
    recorded_only: bool = True,
) -> list[RunFindings]:
    """Read the registries the batch published, in pipeline order.

    With the batch's provenance record (``reports/provenance.json``) only the registries
    of runs it records are read, in its order; each carries the run's recorded status. A
    registry the record does not know (written outside ``jakala run``, e.g. from JupyterLab with
    a hand-set ``run_name``, or left by a run no longer in ``pipeline.yaml``) is left
    out with an :class:`UnrecordedRunWarning`. A registry whose bytes differ from the
    hash the batch recorded was overwritten after the batch: that stops the assembly,
    because the draft would mix two analyses (e.g. "7 työpajaa" and "1 työpajaa").
    Without a provenance record every registry is read, by file name, with a warning. Scratch
    runs (``scratch/``) are never read.

    Parameters
    ----------
    root : str or Path, optional
        Workspace root (default: discovered).
    exclude : tuple of str
        Run names to leave out (the assembling run itself).
    verify : bool
        Check file hashes (see :func:`read_registry`).
    recorded_only : bool
        ``False`` reads every registry in ``reports/registry/`` (the old behaviour,
        for inspecting a workspace by hand); nothing is checked against the provenance record.

    Returns
    -------
    list of RunFindings

    Raises
    ------
    DataError
        When a registry differs from what the batch recorded.
    """
    root = Workspace.discover(root=root).root
    folder = root / "reports" / "registry"
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    provenance = read_provenance(root)
    recorded_runs = provenance.get("runs") or {}
    # pipeline order (the batch finishes runs in whatever order its workers free up)
    names = [*(provenance.get("pipeline") or []), *recorded_runs]
    order = {name: i for i, name in enumerate(dict.fromkeys(names))}
    if recorded_only and not recorded_runs and files:
        warnings.warn(
            "no provenance record of the batch (reports/provenance.json): using every registry in reports/registry/ as it is; "
            "run `jakala run` for a draft the batch vouches for.",
            UnrecordedRunWarning,
            stacklevel=2,
        )
    found, unrecorded = [], []
    for file in files:
        if file.stem in exclude:
            continue
        if recorded_only and recorded_runs and file.stem not in recorded_runs:
            unrecorded.append(file.name)
            continue
        run_info = recorded_runs.get(file.stem) or {}
        run_info = run_info if isinstance(run_info, dict) else {}
        label = file.relative_to(root).as_posix()
        recorded = (run_info.get("outputs") or {}).get(label)
        if recorded_only and recorded and sha256_file(file) != recorded:
            raise DataError(
                f"the registry of run '{file.stem}' is not the one the batch recorded: it was overwritten "
                "after the batch (e.g. by running its notebook in JupyterLab with the batch's run_name)",
                file=file,
                hint=f"Re-run it with `jakala run --only {file.stem}` (or `jakala run`); explore with "
                f"run_name = '{SCRATCH_PREFIX}…', which writes to {SCRATCH_DIR}/ only.",
            )
        findings = read_registry(file, root=root, verify=verify)
        if findings.run in exclude:
            continue
        findings.status = run_info.get("status")
        found.append(findings)
    if unrecorded:
        warnings.warn(
            f"left out {len(unrecorded)} registr{'y' if len(unrecorded) == 1 else 'ies'} the batch did not record "
            f"(reports/registry/{', '.join(unrecorded)}): written outside `jakala run`. Remove them, or add the run "
            "to pipeline.yaml and run the batch.",
            UnrecordedRunWarning,
            stacklevel=2,
        )
    found.sort(key=lambda f: (order.get(f.run, len(order)), f.path.name))
    return found


def read_published_table(root: str | Path, item: dict) -> pd.DataFrame:
    """Read a published table (a registry ``table`` item) exactly as written: all text.

    Cells stay strings (``"<5"``, ``"0.123"``, empty for blanks), so a report shows
    what the CSV holds and nothing is re-computed.
    """
    rel = (item.get("files") or {}).get("csv")
    if not rel:
        raise DataError(f"table '{item.get('id')}' has no CSV file in its registry")
    path = Path(root) / rel
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"cannot read the published table ({exc})", file=path, hint="Re-run its notebook.") from None

"""The batch's provenance record: what ran, on what, with which code, and what it wrote.

``reports/provenance.json`` records per run the notebook, parameters, input and output
files with SHA-256, times and status, plus git commit (dirty flag), Python and package
versions. The batch (:mod:`analysis.pipeline.run`) rewrites it atomically after every run.
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from analysis.workspace import Workspace

#: Packages whose versions the provenance records.
KEY_PACKAGES = (
    "pandas", "numpy", "scipy", "statsmodels", "scikit-posthocs", "scikit-learn", "seaborn", "matplotlib",
    "nltk", "simplemma", "papermill", "nbclient", "ipykernel", "openpyxl", "python-docx", "pyarrow",
    "pyreadstat", "krippendorff", "lxml",
)  # fmt: skip


def provenance_path(ws: Workspace) -> Path:
    """Where the batch records its provenance."""
    return ws.reports / "provenance.json"


def load_provenance(ws: Workspace) -> dict[str, Any]:
    """The provenance record of earlier runs (empty structure when there is none)."""
    path = provenance_path(ws)
    if path.is_file():
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            pass
    return {"runs": {}}


def git_state(project: Path) -> dict[str, Any]:
    """The project's git commit and whether tracked files differ from it (``None`` outside git)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=project, capture_output=True, text=True, timeout=10,
        ).stdout.strip()  # fmt: skip
        return {"commit": commit or None, "dirty": bool(dirty)}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def package_versions() -> dict[str, str]:
    """Installed versions of :data:`KEY_PACKAGES` (those not installed are left out)."""
    versions = {}
    for name in KEY_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON through a temporary file and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False, default=str), encoding="utf-8")
    os.replace(tmp, path)


def now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


__all__ = ["KEY_PACKAGES", "git_state", "load_provenance", "provenance_path", "now", "package_versions",
           "write_json_atomic"]  # fmt: skip

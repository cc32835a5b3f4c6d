"""Names shared by the writer and the reader of the findings registry: JSON layout, scratch runs."""

from __future__ import annotations

from pathlib import Path

#: Version of the registry JSON layout.
SCHEMA_VERSION = 1

#: Kinds of findings, in the words used in the JSON file.
KINDS = ("figure", "table", "number", "quote", "methods", "note")

#: A run named ``lab-…`` is a scratch run: interactive, written below :data:`SCRATCH_DIR`.
SCRATCH_PREFIX = "lab-"

#: Folder (below the workspace root) of the scratch runs; never read by the report.
SCRATCH_DIR = "scratch"


def is_scratch_run(run_name: str) -> bool:
    """Whether ``run_name`` names a scratch run (``lab-…``) rather than a batch run.

    Examples
    --------
    >>> is_scratch_run("lab-10_survey"), is_scratch_run("survey")
    (True, False)
    """
    return isinstance(run_name, str) and run_name.startswith(SCRATCH_PREFIX)


def scratch_dir(run_name: str, root: str | Path) -> Path | None:
    """``<root>/scratch/<run>`` for a scratch run, ``None`` for a batch run.

    The ``90_findings`` notebook writes its draft here when run from JupyterLab.

    Examples
    --------
    >>> scratch_dir("lab-90_findings", "/ws").as_posix(), scratch_dir("findings", "/ws")
    ('/ws/scratch/lab-90_findings', None)
    """
    return Path(root) / SCRATCH_DIR / run_name if is_scratch_run(run_name) else None

"""Where things live: one object that knows every folder of a workspace.

A workspace has a *project* directory (code-side: ``pipeline.yaml``, ``config/``,
``notebooks/``) and a *root* directory (data-side: ``data/``, ``figures/``,
``reports/``). They are the same folder in normal use; tests and students' runs can
point the root elsewhere so nothing in the repository is touched.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

#: The repository this package was installed from (editable install), if any.
PACKAGE_PROJECT_DIR = Path(__file__).resolve().parent.parent


def find_project_dir(start: Path | None = None) -> Path:
    """Return the nearest folder at or above ``start`` holding ``pipeline.yaml``.

    Falls back to the repository the package lives in, then to ``start``.
    """
    start = Path(start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / "pipeline.yaml").is_file():
            return folder
    if (PACKAGE_PROJECT_DIR / "pipeline.yaml").is_file():
        return PACKAGE_PROJECT_DIR
    return start


@dataclass(frozen=True)
class Workspace:
    """Folders of one workspace.

    Parameters
    ----------
    root : Path
        Data-side root: ``data/raw``, ``data/processed``, ``data/keys``, ``figures``,
        ``reports`` live below it.
    project : Path
        Code-side root: ``pipeline.yaml``, ``config/``, ``notebooks/``.

    Examples
    --------
    >>> ws = Workspace.discover()
    >>> ws.processed.name
    'processed'
    """

    root: Path
    project: Path

    @classmethod
    def discover(cls, root: str | Path | None = None, project: str | Path | None = None) -> "Workspace":
        """Build a workspace from explicit folders, ``$JAKALA_ROOT`` or the current folder."""
        project_dir = Path(project).resolve() if project else find_project_dir()
        root_dir = root or os.environ.get("JAKALA_ROOT") or project_dir
        return cls(root=Path(root_dir).resolve(), project=project_dir)

    @property
    def raw(self) -> Path:
        return self.root / "data" / "raw"

    @property
    def processed(self) -> Path:
        return self.root / "data" / "processed"

    @property
    def keys(self) -> Path:
        return self.root / "data" / "keys"

    @property
    def figures(self) -> Path:
        return self.root / "figures"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def config(self) -> Path:
        return self.project / "config"

    @property
    def notebooks(self) -> Path:
        return self.project / "notebooks"

    @property
    def manifest(self) -> Path:
        """The data manifest describing every raw file."""
        return self.raw / "manifest.yaml"

    def resolve_config(self, path: str | Path) -> Path:
        """Resolve a config path as written in a manifest or a notebook parameter."""
        path = Path(path)
        if path.is_absolute():
            return path
        for base in (self.project, self.root):
            if (base / path).exists():
                return base / path
        return self.project / path

    def config_path(self, name: str) -> Path:
        """The configuration file ``config/<name>`` of this workspace: the one place config files are found.

        Looked up below the project folder, then the data root (see
        :meth:`resolve_config`); a workspace without its own copy uses the file the
        package ships. Read it with :func:`analysis.config.load_config`.

        Examples
        --------
        >>> Workspace.discover().config_path("vocabulary.yaml").name
        'vocabulary.yaml'
        """
        path = self.resolve_config(Path("config") / name)
        shipped = PACKAGE_PROJECT_DIR / "config" / name
        return path if path.exists() or not shipped.exists() else shipped


# --------------------------------------------------------------------------- lock
def lock_path(ws: Workspace) -> Path:
    """The lock file of a workspace (below ``reports/.cache``, never in git)."""
    return ws.reports / ".cache" / "workspace.lock"


@contextmanager
def workspace_lock(ws: Workspace, command: str, *, wait: bool = False, say: Callable[[str], None] = print,
                   poll: float = 0.5) -> Iterator[None]:  # fmt: skip
    """Hold the workspace lock while a batch or an ingestion writes into the workspace.

    Two batches (or a batch and an ingestion) on one workspace folder must never
    interleave their outputs. The lock is a :mod:`filelock` lock on
    ``reports/.cache/workspace.lock``; the holder's command, process id and start time
    are written next to it, so the second command can say who holds it.

    Parameters
    ----------
    ws : Workspace
    command : str
        What takes the lock (``"jakala run"``, ``"jakala ingest"``), for the message.
    wait : bool
        Wait until the holder finishes (saying so once) instead of refusing.
    say : callable
        Where the waiting message goes.

    Raises
    ------
    PipelineError
        When the lock is held and ``wait`` is false: names the holder and ``--wait``.
    """
    from filelock import FileLock, Timeout

    from analysis.errors import PipelineError

    path = lock_path(ws)
    path.parent.mkdir(parents=True, exist_ok=True)
    holder_file = path.with_suffix(".holder")
    lock = FileLock(str(path))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        holder = holder_file.read_text(encoding="utf-8").strip() if holder_file.is_file() else "another jakala command"
        if not wait:
            raise PipelineError(
                f"the workspace {ws.root} is in use by {holder}",
                hint="Two batches or ingestions on one workspace would mix their outputs. Wait until it finishes, "
                "or add --wait to start as soon as it has.",
            ) from None
        say(f"Waiting for {holder} to finish (workspace {ws.root}) …")
        lock.acquire(poll_interval=poll)
    try:
        holder_file.write_text(f"{command} (process {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')})",
                               encoding="utf-8")  # fmt: skip
        yield
    finally:
        holder_file.unlink(missing_ok=True)
        lock.release()

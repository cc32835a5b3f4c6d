"""Where things live: one object that knows every folder of a workspace.

A workspace has a *project* directory (code-side: ``pipeline.yaml``, ``config/``,
``notebooks/``) and a *root* directory (data-side: ``data/``, ``figures/``,
``reports/``). They are the same folder in normal use; tests and students' runs can
point the root elsewhere so nothing in the repository is touched.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

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

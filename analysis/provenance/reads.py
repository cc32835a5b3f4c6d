"""Record which workspace files a notebook kernel (or the ingestion) actually reads.

The batch must never publish something stale: every file a run reads has to be part of
its fingerprint. Instead of hand-kept input lists, the runner starts each kernel with
:func:`install` (ipykernel ``exec_lines``, before the first cell). It adds a
:func:`sys.addaudithook` hook for the ``open`` event, and wraps the pyarrow Parquet
readers (they open files in C++, without Python's ``open``), and appends the absolute
path of every file below the workspace folders that the kernel opens for reading to a
record file. After the run, :func:`classify_reads` sorts the recorded paths:

* **derivable** reads are ignored: the run's own outputs, the ``analysis`` package
  (its source is in the fingerprint already), the notebook folder, caches,
  version-control or environment folders, and ``reports/provenance.json`` (a run re-runs
  whenever a run it needs ran, so the records it reads there are never stale);
* reads of **data/raw/** or **data/keys/** that the run did not declare are
  **errors** (notebooks read processed, pseudonymised data only);
* reads of another run's outputs are errors unless the run ``needs`` that run (or the
  order of the batch would decide the result);
* every other read is **auto-declared**: it joins the run's inputs in
  ``reports/provenance.json`` (``reads``) and in the fingerprint, so the next
  ``jakala list`` / ``jakala run`` re-runs the run when any of these files changes.

Auto-declaring is sound: a run's result depends only on its code, parameters and the
files it read; if it would read a different file next time, that can only be because
code, parameters or a file it read changed, and each of those re-runs it already.

Examples
--------
>>> code = startup_code("/tmp/reads.txt", ["/work/ws"])
>>> code.startswith("import analysis.provenance.reads")
True
"""

from __future__ import annotations

import contextlib
import fnmatch
import glob
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Iterable, Iterator, Sequence

#: Folder names whose files are never inputs (environments, version control, caches).
IGNORED_PARTS = frozenset({".git", ".venv", "venv", ".ipynb_checkpoints", "__pycache__", "node_modules",
                           ".pytest_cache", ".mypy_cache", ".ruff_cache"})  # fmt: skip

#: Files the runner itself keeps: caches, executed notebooks, parked outputs, and the provenance
#: record (a run reads only the records of runs it needs, and re-runs whenever one of them ran).
DERIVED = ("reports/.cache", "reports/notebooks", "reports/.previous", "reports/provenance.json")

#: Workspace folders (relative to the root) a notebook must not read unless it declares them.
FORBIDDEN = ("data/raw", "data/keys")

_STATE: dict[str, Any] = {"handle": None, "roots": (), "excluded": (), "seen": set(), "hooked": False, "paused": 0}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


@contextlib.contextmanager
def not_recorded() -> Iterator[None]:
    """Reads inside this block are not recorded (nor judged) as the run's reads.

    For one reader only: the leak gate inside the findings run, which loads the pseudonym
    key's names to scan the draft before it is published (:func:`analysis.privacy.gate.publish_gated`).
    Nothing it reads reaches an output, so it is not an input of the run; every other read
    of ``data/keys/`` by a notebook still fails the run.
    """
    _STATE["paused"] += 1
    try:
        yield
    finally:
        _STATE["paused"] -= 1


def startup_code(record: str | Path, roots: Sequence[str | Path]) -> str:
    """The Python line a kernel runs at start-up to record its reads into ``record``."""
    return (f"import analysis.provenance.reads as _jakala_reads; "
            f"_jakala_reads.install({str(record)!r}, {[str(r) for r in roots]!r}); del _jakala_reads")  # fmt: skip


def _is_read(mode: Any, flags: Any) -> bool:
    if isinstance(mode, str):
        return not any(ch in mode for ch in "wax+")
    if isinstance(flags, int):
        return not flags & _WRITE_FLAGS
    return True


def _note(path: Any) -> None:
    """Record one opened path if it lies below a watched root (never raises)."""
    handle = _STATE["handle"]
    if handle is None or _STATE["paused"]:
        return
    try:
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        elif not isinstance(path, str):
            path = os.fspath(path)
    except TypeError:
        return
    if not os.path.isabs(path):
        path = os.path.join(os.getcwd(), path)
    path = os.path.normpath(path)
    if path in _STATE["seen"]:
        return
    if not any(path.startswith(root) for root in _STATE["roots"]):
        return
    if any(path.startswith(prefix) for prefix in _STATE["excluded"]):
        return
    _STATE["seen"].add(path)
    handle.write(path + "\n")
    handle.flush()


def _hook(event: str, args: tuple) -> None:
    if event != "open":
        return
    try:
        path, mode, flags = (tuple(args) + (None, None, None))[:3]
        if isinstance(path, int) or not _is_read(mode, flags):
            return
        _note(path)
    except Exception:  # noqa: BLE001 - an audit hook must never break the kernel
        pass


def _wrap_pyarrow() -> None:
    """Record Parquet files opened through pyarrow (pandas.read_parquet), which bypass ``open``."""
    try:
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return
    if getattr(pq, "_jakala_reads_wrapped", False):
        return

    def note_source(source: Any) -> None:
        if isinstance(source, (str, os.PathLike)):
            target = os.fspath(source)
            if os.path.isdir(target):
                for name in sorted(glob.glob(os.path.join(target, "**", "*"), recursive=True)):
                    if os.path.isfile(name):
                        _note(name)
            else:
                _note(target)
        elif isinstance(source, (list, tuple)):
            for item in source:
                note_source(item)

    for cls_name in ("ParquetFile", "ParquetDataset"):
        cls = getattr(pq, cls_name, None)
        if cls is None:
            continue
        original = cls.__init__

        def init(self, *args, __original=original, **kwargs):  # type: ignore[no-untyped-def]
            note_source(args[0] if args else kwargs.get("path_or_paths", kwargs.get("source")))
            return __original(self, *args, **kwargs)

        cls.__init__ = init
    original_read_table = pq.read_table

    def read_table(*args, **kwargs):  # type: ignore[no-untyped-def]
        note_source(args[0] if args else kwargs.get("source"))
        return original_read_table(*args, **kwargs)

    pq.read_table = read_table
    pq._jakala_reads_wrapped = True


def install(record: str | Path, roots: Sequence[str | Path]) -> None:
    """Start recording reads below ``roots`` into the file ``record`` (one path a line).

    Calling it again (a re-used kernel) switches to a new record file and forgets what
    was seen; the audit hook itself is added once per process (it cannot be removed).
    """
    if _STATE["handle"] is not None:
        try:
            _STATE["handle"].close()
        except OSError:
            pass
    record = Path(record)
    record.parent.mkdir(parents=True, exist_ok=True)
    handle: IO[str] = open(record, "a", encoding="utf-8")  # noqa: SIM115 - kept open for the process
    package = Path(__file__).resolve().parents[1]
    excluded = {str(package) + os.sep, str(record)}
    for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix}:
        excluded.add(os.path.normpath(prefix) + os.sep)
    _STATE.update(
        handle=handle,
        roots=tuple(sorted({os.path.normpath(str(r)) + os.sep for r in roots})),
        excluded=tuple(sorted(excluded)),
        seen=set(),
    )
    if not _STATE["hooked"]:
        sys.addaudithook(_hook)
        _STATE["hooked"] = True
    _wrap_pyarrow()


def stop() -> None:
    """Stop writing to the record file (the hook stays, idle)."""
    if _STATE["handle"] is not None:
        _STATE["handle"].close()
    _STATE["handle"] = None


def read_record(record: str | Path) -> list[Path]:
    """The paths recorded in ``record`` (empty when the file does not exist)."""
    record = Path(record)
    if not record.is_file():
        return []
    lines = record.read_text(encoding="utf-8").splitlines()
    return sorted({Path(line) for line in lines if line.strip()})


# --------------------------------------------------------------------------- classification
@dataclass
class ReadCheck:
    """What a run read, sorted (see the module docstring).

    Attributes
    ----------
    inputs : dict
        Label (path relative to the root, else the project) → absolute path of every
        read that joins the fingerprint.
    problems : list of str
        One line per read that fails the run.
    """

    inputs: dict[str, Path] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def label_of(path: Path, root: Path, project: Path) -> str | None:
    """Path of a file relative to the workspace root, else the project folder (``None``: neither)."""
    for base in (root, project):
        try:
            return Path(path).resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return None


def _under(label: str, folder: str) -> bool:
    return label == folder or label.startswith(folder.rstrip("/") + "/")


def classify_reads(
    paths: Iterable[Path],
    *,
    root: Path,
    project: Path,
    own_outputs: Sequence[str],
    declared: Sequence[str],
    other_outputs: dict[str, Sequence[str]],
    needs: Sequence[str],
) -> ReadCheck:
    """Sort recorded reads into fingerprint inputs and problems.

    Parameters
    ----------
    paths : iterable of Path
        Absolute paths from :func:`read_record`.
    root, project : Path
        The workspace root (data side) and project folder (code side).
    own_outputs : sequence of str
        Labels of the run's own output folders and files (and glob patterns).
    declared : sequence of str
        The run's declared input patterns (``inputs:`` of pipeline.yaml).
    other_outputs : dict
        Run name → output labels/patterns of every other run of the batch.
    needs : sequence of str
        The runs this run depends on.

    Paths that no longer exist are left out (a file the run wrote and removed).
    ``tests/test_pipeline.py`` runs notebooks that read declared, undeclared and
    forbidden files through the batch.
    """
    check = ReadCheck()
    for path in paths:
        if not Path(path).is_file():
            continue
        # a file outside root and project (the repository's own config/, when the project is elsewhere)
        # is kept under its absolute path
        label = label_of(path, root, project) or Path(path).resolve().as_posix()
        parts = set(label.split("/"))
        if (parts & IGNORED_PARTS or _under(label, "analysis") or _under(label, "notebooks")
                or any(part.endswith((".egg-info", ".dist-info")) for part in parts)):  # package metadata of the install
            continue
        if any(_under(label, folder) for folder in DERIVED):
            continue
        if any(_under(label, o) or fnmatch.fnmatch(label, o) for o in own_outputs):
            continue
        is_declared = any(_under(label, d.rstrip("/*")) or fnmatch.fnmatch(label, d) for d in declared)
        forbidden = next((f for f in FORBIDDEN if _under(label, f)), None)
        if forbidden and not is_declared:
            check.problems.append(
                f"read {label}: notebooks must not read {forbidden}/ (raw data and keys stay out of the analyses); "
                "read data/processed/ instead, or declare the file in the run's inputs in pipeline.yaml"
            )
            continue
        owner = next((name for name, outs in other_outputs.items()
                      if any(_under(label, o) or fnmatch.fnmatch(label, o) for o in outs)), None)  # fmt: skip
        if owner is not None and owner not in needs:
            check.problems.append(
                f"read {label}, an output of run '{owner}', without needing it: add '{owner}' to this run's "
                "needs in pipeline.yaml (otherwise the order of the batch decides the result)"
            )
            continue
        check.inputs[label] = Path(path)
    return check


__all__ = ["ReadCheck", "classify_reads", "install", "label_of", "read_record", "startup_code", "stop"]

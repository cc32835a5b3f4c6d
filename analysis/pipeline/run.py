"""Execute the batch with papermill: incremental, parallel within a stage, safe on failure.

* A run is **skipped** when its fingerprint (notebook source, resolved parameters,
  declared inputs, ``analysis`` package source) equals the one recorded at its last
  successful run and the outputs recorded then are intact.
* Runs of one stage execute in parallel (``jobs`` worker processes, each with its own
  kernel). A run whose ``needs`` failed is **blocked**; independent runs keep going.
* Before a run executes, its previous outputs are moved aside; on failure the partial
  new outputs are removed and the previous ones restored, so a failed run never
  overwrites what an earlier successful run produced. The executed notebook of a
  failed run is kept at ``reports/notebooks/failed/<run>.ipynb``.
* ``reports/manifest.json`` records per run the notebook, parameters, input and output
  files with SHA-256, times and status, plus git commit (dirty flag), Python and
  package versions. It is rewritten atomically after every run.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

from analysis.errors import PipelineError
from analysis.pipeline import reads as read_recorder
from analysis.pipeline.plan import (
    Pipeline,
    Run,
    notebook_source_hash,
    package_source_hash,
    resolve_inputs,
    run_fingerprint,
    sha256_file,
    validate_parameters,
)
from analysis.workspace import PACKAGE_PROJECT_DIR, Workspace

KEY_PACKAGES = (
    "pandas", "numpy", "scipy", "statsmodels", "scikit-posthocs", "scikit-learn", "seaborn", "matplotlib",
    "nltk", "simplemma", "papermill", "nbclient", "ipykernel", "openpyxl", "python-docx", "pyarrow",
    "pyreadstat", "krippendorff", "lxml",
)  # fmt: skip

#: Exceptions (by class name) that mean the kernel did not start; such a run is retried once.
KERNEL_START_ERRORS = ("DeadKernelError", "ZMQError", "TimeoutError", "RuntimeError", "CellTimeoutError")


@dataclass
class RunResult:
    """What happened to one run."""

    name: str
    status: str  # succeeded | failed | skipped | blocked
    reason: str = ""
    seconds: float = 0.0
    message: str = ""
    executed_notebook: str | None = None


@dataclass
class BatchResult:
    """What happened to the whole batch."""

    results: list[RunResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(r.status in ("succeeded", "skipped") for r in self.results)

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)


@dataclass(frozen=True)
class PlannedRun:
    """What the batch would do with one run, and why (a row of :func:`explain`).

    Attributes
    ----------
    run : Run
        The run, with its resolved parameters.
    action : str
        ``"run"``, ``"skip"`` or ``"not selected"``.
    reason : str
        Why, e.g. ``"input changed: data/input.txt"`` or ``"up to date"``.
    """

    run: Run
    action: str
    reason: str


@dataclass(frozen=True)
class PendingRun:
    """A run of a stage the batch decided to execute, with the input hashes it decided on."""

    run: Run
    reason: str
    inputs: dict[str, str]


@dataclass(frozen=True)
class Execution:
    """One run being executed: what it was decided on and where its files are while it runs.

    Attributes
    ----------
    run : Run
    reason : str
        Why it runs (recorded in the provenance).
    inputs : dict
        Path → SHA-256 of its inputs when it started.
    backup : Path
        The folder its previous outputs are parked in (``reports/.previous/<run>``).
    running_notebook : Path
        Where papermill writes the executed notebook while it runs.
    spec : dict
        What the worker process gets (:func:`_execute`).
    started : str
        ISO time it started.
    """

    run: Run
    reason: str
    inputs: dict[str, str]
    backup: Path
    running_notebook: Path
    spec: dict[str, Any]
    started: str


@dataclass(frozen=True)
class SettledReads:
    """What an executed run read, folded into its inputs (:func:`_settle_reads`).

    Attributes
    ----------
    inputs : dict
        All input hashes (declared + read), sorted by path.
    reads : list of str
        The labels of the auto-declared reads.
    problems : list of str
        The reads that fail the run (one line each).
    """

    inputs: dict[str, str]
    reads: list[str]
    problems: list[str]


# --------------------------------------------------------------------------- manifest
def manifest_path(ws: Workspace) -> Path:
    return ws.reports / "manifest.json"


def load_manifest(ws: Workspace) -> dict[str, Any]:
    """The provenance manifest of earlier runs (empty structure when there is none)."""
    path = manifest_path(ws)
    if path.is_file():
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            pass
    return {"runs": {}}


def _git_state(project: Path) -> dict[str, Any]:
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


def _package_versions() -> dict[str, str]:
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


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# --------------------------------------------------------------------------- outputs
def _output_files(run: Run, ws: Workspace) -> dict[str, Path]:
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


def _outputs_intact(record: dict[str, Any], ws: Workspace) -> str | None:
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


def _stage_aside(run: Run, ws: Workspace) -> Path:
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
            _restore(names[backup.name], ws, backup)
            restored.append(backup.name)
    return restored


def _restore(run: Run, ws: Workspace, backup: Path) -> None:
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


# --------------------------------------------------------------------------- kernel
def resolve_kernel(preferred: str | None = None) -> str:
    """The kernel to run notebooks with: ``$JAKALA_KERNEL``, ``jakala`` if installed, else ``python3``.

    ``python3`` is ipykernel's native kernel, i.e. the interpreter running the batch,
    so papermill always uses the workspace's own environment.
    """
    name = preferred or os.environ.get("JAKALA_KERNEL")
    if name:
        return name
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        specs = KernelSpecManager().find_kernel_specs()
        if "jakala" in specs:
            spec = KernelSpecManager().get_kernel_spec("jakala")
            if spec.argv and Path(spec.argv[0]).resolve() == Path(sys.executable).resolve():
                return "jakala"
    except Exception:  # noqa: BLE001 - any kernelspec problem → the native kernel
        pass
    return "python3"


def _kernel_arguments(spec: dict[str, Any]) -> list[str]:
    """Kernel command-line options: quiet log, and the read recorder when the spec asks for one."""
    arguments = ["--IPKernelApp.log_level=ERROR"]
    if spec.get("record"):
        arguments.append("--IPKernelApp.exec_lines=" + read_recorder.startup_code(spec["record"], spec["watch"]))
    return arguments


def _execute(spec: dict[str, Any]) -> dict[str, Any]:
    """Execute one notebook (in a worker process). Retries once if the kernel fails to start."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    started = time.perf_counter()
    last: dict[str, Any] = {}
    for attempt in (1, 2):
        try:
            warm = {}
            if spec.get("warm_kernels"):  # opt-in: this worker's kernel, reset for the run (pipeline/pool.py)
                from analysis.pipeline.pool import warm_kernel

                warm["km"] = warm_kernel(spec)
            nb = pm.execute_notebook(
                spec["notebook"],
                spec["output"],
                parameters=spec["parameters"],
                kernel_name=spec["kernel"],
                cwd=spec["cwd"],
                progress_bar=False,
                start_timeout=spec["start_timeout"],
                execution_timeout=spec["execution_timeout"],
                # keeps the batch log readable: ipykernel otherwise warns about TCP transport on every start;
                # the start-up line records every workspace file the kernel reads (analysis.pipeline.reads)
                extra_arguments=_kernel_arguments(spec),
                **warm,
            )
            if nb.metadata.get("papermill", {}).get("exception"):
                return {"status": "failed", "ename": "Exception", "evalue": "the notebook recorded an exception",
                        "seconds": time.perf_counter() - started, "attempts": attempt}  # fmt: skip
            return {"status": "succeeded", "seconds": time.perf_counter() - started, "attempts": attempt}
        except PapermillExecutionError as exc:
            return {
                "status": "failed",
                "cell_index": exc.cell_index,
                "exec_count": exc.exec_count,
                "ename": exc.ename,
                "evalue": exc.evalue,
                "traceback": [str(line) for line in (exc.traceback or [])][-60:],
                "seconds": time.perf_counter() - started,
                "attempts": attempt,
            }
        except Exception as exc:  # noqa: BLE001 - kernel start and engine problems
            last = {"status": "failed", "ename": type(exc).__name__, "evalue": str(exc)[:500],
                    "seconds": time.perf_counter() - started, "attempts": attempt}  # fmt: skip
            if attempt == 1 and type(exc).__name__ in KERNEL_START_ERRORS:
                time.sleep(0.5)
                continue
            return last
    return last


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CELL_FRAME = re.compile(r"Cell In\[(\d+)\], line (\d+)")
_FILE_FRAME = re.compile(r"File (\S+?\.py):(\d+)")


def failing_line(traceback: list[str] | None, exec_count: int | None) -> tuple[int | None, str | None, str | None]:
    """Where a notebook cell failed, from its IPython traceback.

    Returns ``(line number in the cell, text of that line, "file.py:line" of the
    deepest frame outside the notebook)``; each is ``None`` when the traceback does not
    say. IPython numbers the lines after dropping the cell's leading blank lines.

    Examples
    --------
    >>> tb = ["\x1b[0;31mZeroDivisionError\x1b[0m", "Cell \x1b[0;32mIn[3], line 2\x1b[0m",
    ...       "      1 x = 0", "----> 2 1/x"]
    >>> failing_line(tb, 3)
    (2, '1/x', None)
    """
    text = _ANSI.sub("", "\n".join(traceback or []))
    number = code = None
    blocks = re.split(r"(?=Cell In\[\d+\], line \d+)", text)
    for block in blocks:
        match = _CELL_FRAME.match(block)
        if not match or (exec_count is not None and int(match.group(1)) != exec_count):
            continue
        number = int(match.group(2))
        arrow = re.search(r"^-+> *\d+ ?(.*)$", block, flags=re.MULTILINE)
        code = arrow.group(1).strip() if arrow else None
    deepest = None
    files = _FILE_FRAME.findall(text)
    if files:
        path, line = files[-1]
        parts = Path(path).parts
        if "analysis" in parts:
            path = "/".join(parts[parts.index("analysis"):])
        deepest = f"{path}:{line}"
    return number, code, deepest


def _failing_cell(executed: Path, exec_count: int | None, traceback: list[str] | None = None) -> str:
    """The cell that raised and the line in it that failed (from the traceback), from the executed notebook."""
    number, code, deepest = failing_line(traceback, exec_count)
    try:
        import nbformat

        nb = nbformat.read(executed, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code" and exec_count is not None and cell.get("execution_count") == exec_count:
                source = cell.source.lstrip("\n").splitlines()  # IPython drops leading blank lines
                if number is not None and 1 <= number <= len(source):
                    code = code or source[number - 1].strip()
                    where = f"cell [{exec_count}] line {number} `{code[:100]}`"
                else:
                    first = next((line for line in source if line.strip()), "")
                    where = f"cell [{exec_count}] `{first.strip()[:80]}`"
                return where + (f" (raised in {deepest})" if deepest else "")
    except Exception:  # noqa: BLE001
        pass
    return f"cell [{exec_count}]" if exec_count is not None else "before any cell ran (kernel start)"


# --------------------------------------------------------------------------- planning
def explain(pipeline: Pipeline, ws: Workspace, *, force: bool = False, only: list[str] | None = None) -> list[PlannedRun]:
    """Say for each run whether it would run and why (``jakala list``).

    A run also runs when a run it ``needs`` runs, exactly as :func:`run_batch` decides,
    so the list names the runs the batch will execute.

    Returns
    -------
    list of PlannedRun
        One per run, in pipeline order; ``action`` is ``"run"``, ``"skip"`` or ``"not selected"``.
    """
    manifest = load_manifest(ws)
    rows: list[PlannedRun] = []
    will_run: set[str] = set()
    for run in pipeline.runs:
        if only and run.name not in only:
            rows.append(PlannedRun(run, "not selected", "--only"))
            continue
        inputs = input_hashes(run, ws, recorded_reads(manifest, run))
        action, reason = _decide(run, ws, manifest, inputs, force=force or bool(only))
        upstream = sorted(will_run & set(run.needs))
        if action == "skip" and upstream:
            action, reason = "run", f"needs {', '.join(upstream)}, which will run"
        if action == "run":
            will_run.add(run.name)
        rows.append(PlannedRun(run, action, reason))
    return rows


def recorded_reads(manifest: dict[str, Any], run: Run) -> list[str]:
    """Files the last successful execution of ``run`` read beyond its declared inputs (auto-declared)."""
    record = (manifest.get("runs") or {}).get(run.name) or {}
    return list(record.get("reads") or [])


def input_hashes(run: Run, ws: Workspace, reads: list[str] | tuple[str, ...] = ()) -> dict[str, str]:
    """SHA-256 of each declared input of a run and of each file it read last time, keyed by path.

    A recorded read that no longer exists hashes as ``"missing"`` (so the run re-runs).
    """
    hashes = {label: sha256_file(path) for label, path in resolve_inputs(run, ws)}
    for label in reads:
        if label in hashes:
            continue
        path = next((base / label for base in (ws.root, ws.project) if (base / label).is_file()), None)
        hashes[label] = sha256_file(path) if path is not None else "missing"
    return dict(sorted(hashes.items()))


def _output_labels(run: Run, ws: Workspace) -> list[str]:
    """A run's output folders, files and patterns, relative to the workspace root."""
    labels = []
    for path in run.output_paths(ws).values():
        labels.append(read_recorder.label_of(path, ws.root, ws.root) or str(path))
    return labels + list(run.outputs)


def _settle_reads(
    run: Run, ws: Workspace, inputs: dict[str, str], record_file: Path, others: dict[str, list[str]]
) -> SettledReads:
    """Fold what an executed run read into its inputs (see :mod:`analysis.pipeline.reads`)."""
    declared = {label: path for label, path in resolve_inputs(run, ws)}
    check = read_recorder.classify_reads(
        read_recorder.read_record(record_file), root=ws.root, project=ws.project,
        own_outputs=_output_labels(run, ws), declared=run.inputs,
        other_outputs={name: labels for name, labels in others.items() if name != run.name}, needs=run.needs,
    )  # fmt: skip
    hashes = {label: inputs.get(label) or sha256_file(path) for label, path in declared.items()}
    reads = sorted(label for label in check.inputs if label not in declared)
    for label in reads:
        hashes[label] = inputs.get(label) or sha256_file(check.inputs[label])
    return SettledReads(dict(sorted(hashes.items())), reads, list(check.problems))


def _decide(run: Run, ws: Workspace, manifest: dict[str, Any], inputs: dict[str, str], *, force: bool) -> tuple[str, str]:
    if force:
        return "run", "forced"
    record = (manifest.get("runs") or {}).get(run.name)
    if not record or record.get("status") != "succeeded":
        return "run", "no successful run recorded" if not record else f"last run {record.get('status')}"
    if record.get("fingerprint") == run_fingerprint(run, ws, inputs):
        problem = _outputs_intact(record, ws)
        return ("run", problem) if problem else ("skip", "up to date")
    if record.get("notebook_hash") != notebook_source_hash(ws.project / run.notebook):
        return "run", "notebook changed"
    if record.get("parameters") != run.parameters:
        return "run", "parameters changed"
    old_inputs = record.get("inputs") or {}
    changed = sorted(k for k in set(old_inputs) | set(inputs) if old_inputs.get(k) != inputs.get(k))
    if changed:
        more = f" (+{len(changed) - 1} more)" if len(changed) > 1 else ""
        return "run", f"input changed: {changed[0]}{more}"
    if record.get("package_hash") != package_source_hash():
        return "run", "analysis package changed"
    return "run", "fingerprint changed"


def check_before_kernels(pipeline: Pipeline, ws: Workspace, only: list[str] | None = None) -> None:
    """Stop before any kernel starts when the processed data are missing or do not match the raw data.

    Applies when a selected run declares an input below ``data/processed/``; see
    :func:`analysis.ingest.check_ingested` for what is compared.

    Raises
    ------
    PipelineError
        Saying what is wrong and to run ``jakala ingest``.
    """
    selected = [r for r in pipeline.runs if not only or r.name in only]
    if not any(p.startswith("data/processed") for r in selected for p in r.inputs):
        return
    from analysis.ingest import check_ingested

    problem = check_ingested(ws)
    if problem:
        raise PipelineError(problem, hint="Nothing was run.")


# --------------------------------------------------------------------------- the batch
def run_batch(
    pipeline: Pipeline,
    ws: Workspace,
    *,
    only: list[str] | None = None,
    force: bool = False,
    jobs: int | None = None,
    kernel: str | None = None,
    start_timeout: int = 120,
    execution_timeout: int = 1800,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    warm_kernels: bool = False,
) -> BatchResult:
    """Run the batch (see the module docstring for the rules).

    Parameters
    ----------
    pipeline : Pipeline
        From :func:`analysis.pipeline.plan.load_pipeline`.
    ws : Workspace
        Where data, figures and reports live.
    only : list of str, optional
        Run just these runs (always executed, upstream outputs taken as they are).
    force : bool
        Execute every selected run even when it is up to date.
    jobs : int, optional
        Worker processes per stage; default the number of cores.
    kernel : str, optional
        Jupyter kernel name; see :func:`resolve_kernel`.
    start_timeout, execution_timeout : int
        Seconds to wait for the kernel to start, and for one cell.
    progress : bool
        Show a tqdm progress bar.
    log : callable, optional
        Where to write one line per finished run (default: through tqdm).
    warm_kernels : bool
        Reuse each worker's kernel for its next runs, reset to a fresh namespace before
        each (:mod:`analysis.pipeline.pool`); default: a fresh kernel per run.

    Returns
    -------
    BatchResult
    """
    from tqdm.auto import tqdm

    if only:
        for name in only:
            pipeline.run(name)  # raises for an unknown name
    validate_parameters(pipeline, ws, only=only)
    check_before_kernels(pipeline, ws, only=only)
    restored = recover_interrupted(pipeline, ws)
    jobs = max(1, jobs or os.cpu_count() or 1)
    kernel_name: str | None = None  # resolved when the first run executes (jupyter_client is slow to import)
    manifest = load_manifest(ws)
    manifest.setdefault("runs", {})
    manifest.update(
        {
            "project": str(ws.project),
            "root": str(ws.root),
            "git": _git_state(ws.project),
            "python": platform.python_version(),
            "packages": _package_versions(),
            "pipeline": [r.name for r in pipeline.runs],
        }
    )
    selected = [r for r in pipeline.runs if not only or r.name in only]
    others = {r.name: _output_labels(r, ws) for r in pipeline.runs}
    batch = BatchResult()
    status: dict[str, str] = {}
    started_batch = time.perf_counter()
    bar = tqdm(total=len(selected), desc="jakala run", unit="run", disable=not progress, dynamic_ncols=True)
    say = log or (lambda line: tqdm.write(line))
    for name in restored:
        say(f"  restored the outputs of '{name}' left parked by an interrupted batch")
    (ws.reports / "notebooks").mkdir(parents=True, exist_ok=True)

    def finish(result: RunResult) -> None:
        batch.results.append(result)
        status[result.name] = result.status
        symbol = {"succeeded": "ok  ", "skipped": "skip", "failed": "FAIL", "blocked": "BLCK"}[result.status]
        detail = f"{result.seconds:6.1f} s" if result.status in ("succeeded", "failed") else "        "
        say(f"  {symbol} {result.name:<28} {detail}  {result.reason if result.status != 'failed' else result.message}")
        bar.update(1)

    ctx = multiprocessing.get_context("spawn")
    executor: ProcessPoolExecutor | None = None
    try:
        for stage in pipeline.stages:
            stage_runs = [r for r in selected if r.stage == stage]
            to_execute: list[PendingRun] = []
            for run in stage_runs:
                blocked = [n for n in run.needs if status.get(n) in ("failed", "blocked")]
                if blocked:
                    finish(RunResult(run.name, "blocked", reason=f"needs {', '.join(blocked)}, which did not succeed"))
                    continue
                inputs = input_hashes(run, ws, recorded_reads(manifest, run))
                action, reason = _decide(run, ws, manifest, inputs, force=force or bool(only))
                reran = [n for n in run.needs if status.get(n) == "succeeded"]
                if action == "skip" and reran:
                    action, reason = "run", f"needs {', '.join(reran)}, which ran"
                if action == "skip":
                    finish(RunResult(run.name, "skipped", reason=reason))
                    continue
                to_execute.append(PendingRun(run, reason, inputs))
            if not to_execute:
                continue
            executions: dict[str, Execution] = {}
            kernel_name = kernel_name or resolve_kernel(kernel)
            for pending in to_execute:
                run = pending.run
                backup = _stage_aside(run, ws)
                tmp_nb = ws.reports / "notebooks" / f".{run.name}.running.ipynb"
                record_file = ws.reports / ".cache" / "reads" / f"{run.name}.txt"
                record_file.unlink(missing_ok=True)
                spec = {
                    "notebook": str(ws.project / run.notebook),
                    "output": str(tmp_nb),
                    "parameters": {"project_root": str(ws.root), "run_name": run.name, **run.parameters},
                    "kernel": kernel_name,
                    "cwd": str((ws.project / run.notebook).parent),
                    "start_timeout": start_timeout,
                    "execution_timeout": execution_timeout,
                    "warm_kernels": warm_kernels,
                    "record": str(record_file),
                    "watch": sorted({str(ws.root), str(ws.project), str(PACKAGE_PROJECT_DIR)}),
                }
                executions[run.name] = Execution(run, pending.reason, pending.inputs, backup, tmp_nb, spec, _now())
            if jobs > 1 and len(executions) > 1:
                if executor is None:
                    executor = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx)
                futures: dict[Future, str] = {executor.submit(_execute, e.spec): name for name, e in executions.items()}
                pending = set(futures)
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in sorted(done, key=lambda f: futures[f]):
                        name = futures[future]
                        try:
                            outcome = future.result()
                        except Exception as exc:  # noqa: BLE001 - a worker that died
                            outcome = {"status": "failed", "ename": type(exc).__name__, "evalue": str(exc), "seconds": 0.0}
                        finish(_complete(ws, manifest, executions[name], outcome, others=others))
            else:
                for execution in executions.values():
                    outcome = _execute(execution.spec)
                    finish(_complete(ws, manifest, execution, outcome, others=others))
    finally:
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        bar.close()
        batch.seconds = time.perf_counter() - started_batch
        manifest["finished"] = _now()
        write_json_atomic(manifest_path(ws), manifest)
    return batch


def _complete(
    ws: Workspace,
    manifest: dict[str, Any],
    execution: Execution,
    outcome: dict[str, Any],
    *,
    others: dict[str, list[str]] | None = None,
) -> RunResult:
    """Settle one executed run: check what it read, keep or roll back outputs, record provenance."""
    run, reason, inputs, started = execution.run, execution.reason, execution.inputs, execution.started
    backup, tmp_nb = execution.backup, execution.running_notebook
    seconds = float(outcome.get("seconds", 0.0))
    reads: list[str] = []
    record_file = ws.reports / ".cache" / "reads" / f"{run.name}.txt"
    if outcome["status"] == "succeeded" and others is not None:
        settled = _settle_reads(run, ws, inputs, record_file, others)
        inputs, reads = settled.inputs, settled.reads
        if settled.problems:
            outcome = {**outcome, "status": "failed", "ename": "UndeclaredRead", "evalue": "; ".join(settled.problems),
                       "where": "what it read"}  # fmt: skip
    final_nb = run.output_paths(ws)["notebook"]
    record: dict[str, Any] = {
        "notebook": run.notebook,
        "stage": run.stage,
        "parameters": run.parameters,
        "needs": list(run.needs),
        "inputs": inputs,
        "reads": reads,
        "notebook_hash": notebook_source_hash(ws.project / run.notebook),
        "package_hash": package_source_hash(),
        "started": started,
        "ended": _now(),
        "seconds": round(seconds, 2),
        "reason": reason,
    }
    if outcome["status"] == "succeeded":
        shutil.rmtree(backup, ignore_errors=True)
        os.replace(tmp_nb, final_nb)
        outputs = _output_files(run, ws)
        record.update(
            status="succeeded",
            fingerprint=run_fingerprint(run, ws, inputs),
            outputs={label: sha256_file(path) for label, path in outputs.items()},
            executed_notebook=str(final_nb.relative_to(ws.root)),
        )
        manifest["runs"][run.name] = record
        write_json_atomic(manifest_path(ws), manifest)
        return RunResult(run.name, "succeeded", reason=reason, seconds=seconds,
                         executed_notebook=record["executed_notebook"])  # fmt: skip
    _restore(run, ws, backup)
    failed_nb = ws.reports / "notebooks" / "failed" / f"{run.name}.ipynb"
    failed_nb.parent.mkdir(parents=True, exist_ok=True)
    if tmp_nb.exists():
        os.replace(tmp_nb, failed_nb)
    where = outcome.get("where") or _failing_cell(failed_nb, outcome.get("exec_count"), outcome.get("traceback"))
    message = (
        f"run '{run.name}' failed in {where}: {outcome.get('ename')}: {outcome.get('evalue')}. "
        f"Executed notebook: {failed_nb.relative_to(ws.root) if failed_nb.exists() else 'not written'}"
    )
    previous = manifest["runs"].get(run.name)
    if previous and previous.get("status") == "succeeded":
        previous["last_failure"] = {"ended": _now(), "message": message}
    else:
        record.update(status="failed", error=message, executed_notebook=str(failed_nb.relative_to(ws.root)))
        manifest["runs"][run.name] = record
    write_json_atomic(manifest_path(ws), manifest)
    return RunResult(run.name, "failed", reason=reason, seconds=seconds, message=message,
                     executed_notebook=str(failed_nb.relative_to(ws.root)))  # fmt: skip


def summary_lines(batch: BatchResult, ws: Workspace) -> list[str]:
    """The closing summary: counts, wall time per run, where the outputs are."""
    lines = [
        f"Batch: {batch.count('succeeded')} ran, {batch.count('skipped')} up to date, "
        f"{batch.count('failed')} failed, {batch.count('blocked')} blocked — {batch.seconds:.1f} s",
    ]
    for r in batch.results:
        lines.append(f"  {r.name:<28} {r.status:<10} {r.seconds:6.1f} s")
    for r in batch.results:
        if r.status == "failed":
            lines.append(f"  ✗ {r.message}")
    lines += [
        f"Executed notebooks: {ws.reports / 'notebooks'}",
        f"Figures:            {ws.figures}",
        f"Tables:             {ws.reports / 'tables'}",
        f"Provenance:         {manifest_path(ws)}",
    ]
    return lines


__all__ = ["BatchResult", "PlannedRun", "RunResult", "explain", "load_manifest", "resolve_kernel", "run_batch", "summary_lines",
           "write_json_atomic"]  # fmt: skip

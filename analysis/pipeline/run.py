"""Execute the batch with papermill: incremental, parallel as far as ``needs`` allow, safe on failure.

* A run is **skipped** when its fingerprint (notebook source, resolved parameters,
  declared inputs, ``analysis`` package source) equals the one recorded at its last
  successful run and the outputs recorded then are intact.
* A run starts as soon as the runs it ``needs`` have finished (``jobs`` worker
  processes, each with its own kernel); stages order the pipeline and give the default
  ``needs``, but a run does not wait for runs it does not need. Among the runs ready to
  start, the one heading the longest chain of runs goes first (:func:`critical_path`).
  A run whose ``needs`` failed is **blocked**; independent runs keep going.
* Before a run executes, its previous outputs are moved aside; on failure the partial
  new outputs are removed and the previous ones restored, so a failed run never
  overwrites what an earlier successful run produced (:mod:`analysis.pipeline.outputs`).
  The executed notebook of a failed run is kept at ``reports/notebooks/failed/<run>.ipynb``.
* ``reports/provenance.json`` records per run the notebook, parameters, input and output
  files with SHA-256, times and status, plus git commit (dirty flag), Python and
  package versions (:mod:`analysis.provenance.record`). It is rewritten atomically
  after every run.

One notebook is executed by :func:`analysis.pipeline.execute.run_notebook`.
"""

from __future__ import annotations

import multiprocessing
import os
import platform
import shutil
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from analysis.errors import LeakError, PipelineError
from analysis.background import ENV as RENDER_ENV
from analysis.pipeline.checks import AUDIT_EXCLUDE, OutputChecks, Prescanner, audit_ahead, check_outputs
from analysis.pipeline.execute import failing_cell, resolve_kernel, run_notebook
from analysis.pipeline.outputs import output_files, output_labels, outputs_intact, recover_interrupted, restore, stage_aside
from analysis.pipeline.plan import (
    Pipeline,
    Run,
    notebook_source_hash,
    resolve_inputs,
    run_fingerprint,
    validate_parameters,
)
from analysis.provenance.record import (
    git_state,
    load_provenance,
    provenance_path,
    now,
    package_versions,
    write_json_atomic,
)
from analysis.provenance import reads as read_recorder
from analysis.provenance.hashes import package_source_hash, sha256_file
from analysis.workspace import PACKAGE_PROJECT_DIR, Workspace


@dataclass
class RunResult:
    """What happened to one run."""

    name: str
    status: str  # succeeded | failed | skipped | blocked
    reason: str = ""
    seconds: float = 0.0
    message: str = ""
    executed_notebook: str | None = None
    kernel: str = ""  # "started" (a new kernel) or "reused" (a warm kernel, reset); "" when not executed
    kernel_note: str = ""  # why a warm kernel could not be reused, when it could not


@dataclass
class BatchResult:
    """What happened to the whole batch.

    Attributes
    ----------
    results : list of RunResult
        One per selected run, in the order they finished.
    seconds : float
        Wall time of the runs (without the checks).
    checks : OutputChecks or None
        The leak gate and the disclosure audit run after the batch
        (:mod:`analysis.pipeline.checks`); ``None`` when the batch ran with ``scan=False``.
    """

    results: list[RunResult] = field(default_factory=list)
    seconds: float = 0.0
    checks: OutputChecks | None = None

    @property
    def runs_ok(self) -> bool:
        """Every run succeeded or was up to date."""
        return all(r.status in ("succeeded", "skipped") for r in self.results)

    @property
    def ok(self) -> bool:
        """Every run succeeded or was up to date, and the checks (when run) passed."""
        return self.runs_ok and (self.checks is None or self.checks.ok)

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    def raise_for_status(self) -> None:
        """Raise unless the batch is :attr:`ok`: the runs first, then the checks.

        Raises
        ------
        PipelineError
            Naming the runs that failed or were blocked.
        LeakError
            When the leak gate or the disclosure audit failed (their reports are in
            :func:`summary_lines`).
        """
        if not self.runs_ok:
            failed = [r.name for r in self.results if r.status in ("failed", "blocked")]
            raise PipelineError(f"the batch did not finish: {', '.join(failed)} did not succeed",
                                hint="See the messages above; earlier outputs were left as they were.")  # fmt: skip
        if self.checks is not None and not self.checks.ok:
            raise LeakError("the leak gate or the disclosure audit failed (listed above)",
                            hint="Fix the redaction (names.yaml, the speaker map) and re-run; "
                                 "do not publish these files.")  # fmt: skip


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
    provenance = load_provenance(ws)
    rows: list[PlannedRun] = []
    will_run: set[str] = set()
    for run in pipeline.runs:
        if only and run.name not in only:
            rows.append(PlannedRun(run, "not selected", "--only"))
            continue
        inputs = input_hashes(run, ws, recorded_reads(provenance, run))
        action, reason = _decide(run, ws, provenance, inputs, force=force or bool(only))
        upstream = sorted(will_run & set(run.needs))
        if action == "skip" and upstream:
            action, reason = "run", f"needs {', '.join(upstream)}, which will run"
        if action == "run":
            will_run.add(run.name)
        rows.append(PlannedRun(run, action, reason))
    return rows


def recorded_reads(provenance: dict[str, Any], run: Run) -> list[str]:
    """Files the last successful execution of ``run`` read beyond its declared inputs (auto-declared)."""
    record = (provenance.get("runs") or {}).get(run.name) or {}
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


def _settle_reads(
    run: Run, ws: Workspace, inputs: dict[str, str], record_file: Path, others: dict[str, list[str]]
) -> SettledReads:
    """Fold what an executed run read into its inputs (see :mod:`analysis.provenance.reads`)."""
    declared = {label: path for label, path in resolve_inputs(run, ws)}
    check = read_recorder.classify_reads(
        read_recorder.read_record(record_file), root=ws.root, project=ws.project,
        own_outputs=output_labels(run, ws), declared=run.inputs,
        other_outputs={name: labels for name, labels in others.items() if name != run.name}, needs=run.needs,
    )  # fmt: skip
    hashes = {label: inputs.get(label) or sha256_file(path) for label, path in declared.items()}
    reads = sorted(label for label in check.inputs if label not in declared)
    for label in reads:
        hashes[label] = inputs.get(label) or sha256_file(check.inputs[label])
    return SettledReads(dict(sorted(hashes.items())), reads, list(check.problems))


def _decide(run: Run, ws: Workspace, provenance: dict[str, Any], inputs: dict[str, str], *, force: bool) -> tuple[str, str]:
    if force:
        return "run", "forced"
    record = (provenance.get("runs") or {}).get(run.name)
    if not record or record.get("status") != "succeeded":
        return "run", "no successful run recorded" if not record else f"last run {record.get('status')}"
    if record.get("fingerprint") == run_fingerprint(run, ws, inputs):
        problem = outputs_intact(record, ws)
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
def critical_path(runs: list[Run], provenance: dict[str, Any] | None = None) -> dict[str, float]:
    """Seconds from each run's start to the end of the longest chain of runs that need it.

    The batch starts, among the runs whose needs are done, the one with the longest
    such chain first (the thesis subsets and the assembly wait on the main survey run,
    so it starts before the independent analyses). A run's own time is the one recorded
    at its last execution in the provenance record, 1 s when none is recorded.

    Parameters
    ----------
    runs : list of Run
        The selected runs; ``needs`` outside them are ignored.
    provenance : dict, optional
        The provenance record (:func:`analysis.provenance.record.load_provenance`).

    Returns
    -------
    dict
        Run name → seconds.

    Examples
    --------
    >>> a, b, c = Run("a", "s1", "a.ipynb"), Run("b", "s1", "b.ipynb"), Run("c", "s2", "c.ipynb", needs=("a",))
    >>> critical_path([a, b, c], {"runs": {"a": {"seconds": 2.0}, "b": {"seconds": 5.0}, "c": {"seconds": 4.0}}})
    {'a': 6.0, 'b': 5.0, 'c': 4.0}
    """
    records = (provenance or {}).get("runs") or {}
    own = {r.name: float((records.get(r.name) or {}).get("seconds") or 1.0) for r in runs}
    dependents: dict[str, list[str]] = {r.name: [] for r in runs}
    for r in runs:
        for need in r.needs:
            if need in dependents:
                dependents[need].append(r.name)
    longest: dict[str, float] = {}
    for r in reversed(runs):  # pipeline order lists a run after what it needs
        longest[r.name] = own[r.name] + max((longest.get(d, own[d]) for d in dependents[r.name]), default=0.0)
    return {r.name: longest[r.name] for r in runs}


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
    scan: bool = True,
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
        Worker processes per stage; default the number of cores. Each run may also draw
        its figures' other language in ``jobs - 1`` forked processes
        (:mod:`analysis.background`; ``JAKALA_RENDER_PROCESSES``, when set, wins).
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
    scan : bool
        After the runs, run the leak gate and the disclosure audit
        (:mod:`analysis.pipeline.checks`) into ``BatchResult.checks``; they run whether
        or not every run succeeded. ``False`` skips them (never before publishing).

    Returns
    -------
    BatchResult
        ``.ok`` is false when a run or a check failed; ``.raise_for_status()`` raises then.
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
    provenance = load_provenance(ws)
    provenance.setdefault("runs", {})
    provenance.update(
        {
            "project": str(ws.project),
            "root": str(ws.root),
            "git": git_state(ws.project),
            "python": platform.python_version(),
            "packages": package_versions(),
            "pipeline": [r.name for r in pipeline.runs],
        }
    )
    selected = [r for r in pipeline.runs if not only or r.name in only]
    others = {r.name: output_labels(r, ws) for r in pipeline.runs}
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
    names = {r.name for r in selected}
    position = {r.name: i for i, r in enumerate(selected)}
    priority = critical_path(selected, provenance)
    undecided = list(selected)  # in pipeline order
    ready: list[PendingRun] = []
    running: dict[Future, Execution] = {}
    prescanner = Prescanner(ws) if scan else None
    audit_future: Future | None = None

    def settle(execution: Execution, outcome: dict[str, Any]) -> None:
        """Record a finished run; queue its outputs for the leak gate's scan."""
        result = _complete(ws, provenance, execution, outcome, others=others)
        finish(result)
        if prescanner is not None and result.status == "succeeded":
            prescanner.submit([*output_files(execution.run, ws).values(), execution.run.output_paths(ws)["notebook"]])

    def decide_settled() -> None:
        """Decide every run whose selected needs have all finished: blocked, skipped or ready."""
        for run in list(undecided):
            if any(n in names and n not in status for n in run.needs):
                continue
            undecided.remove(run)
            blocked = [n for n in run.needs if status.get(n) in ("failed", "blocked")]
            if blocked:
                finish(RunResult(run.name, "blocked", reason=f"needs {', '.join(blocked)}, which did not succeed"))
                continue
            inputs = input_hashes(run, ws, recorded_reads(provenance, run))
            action, reason = _decide(run, ws, provenance, inputs, force=force or bool(only))
            reran = [n for n in run.needs if status.get(n) == "succeeded"]
            if action == "skip" and reran:
                action, reason = "run", f"needs {', '.join(reran)}, which ran"
            if action == "skip":
                finish(RunResult(run.name, "skipped", reason=reason))
                continue
            ready.append(PendingRun(run, reason, inputs))

    def start(pending: PendingRun) -> Execution:
        """Park the run's previous outputs and build what its worker gets."""
        nonlocal kernel_name
        kernel_name = kernel_name or resolve_kernel(kernel)
        run = pending.run
        backup = stage_aside(run, ws)
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
        return Execution(run, pending.reason, pending.inputs, backup, tmp_nb, spec, now())

    def next_ready() -> PendingRun:
        """The ready run on the longest remaining path (ties: pipeline order)."""
        best = min(ready, key=lambda p: (-priority[p.run.name], position[p.run.name]))
        ready.remove(best)
        return best

    # the figures' other language is drawn in forked copies of a kernel (analysis.background):
    # as many as the cores --jobs leaves to each run (none with --jobs 1), unless the user set it
    render_processes = os.environ.get(RENDER_ENV)
    if render_processes is None:
        os.environ[RENDER_ENV] = str(jobs - 1)
    try:
        decide_settled()
        while ready or running:
            if jobs == 1:
                execution = start(next_ready())
                settle(execution, run_notebook(execution.spec))
            else:
                if executor is None:
                    executor = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx)
                while ready and len(running) < jobs:
                    execution = start(next_ready())
                    running[executor.submit(run_notebook, execution.spec)] = execution
                left = [p.run.name for p in ready] + [e.run.name for e in running.values()] + [r.name for r in undecided]
                if scan and audit_future is None and left and set(left) <= set(AUDIT_EXCLUDE):
                    # only the assembly is left, which the audit does not read: audit now, beside it
                    audit_future = executor.submit(audit_ahead, str(ws.root), str(ws.project))
                done, _ = wait(set(running), return_when=FIRST_COMPLETED)
                for future in sorted(done, key=lambda f: position[running[f].run.name]):
                    execution = running.pop(future)
                    try:
                        outcome = future.result()
                    except Exception as exc:  # noqa: BLE001 - a worker that died
                        outcome = {"status": "failed", "ename": type(exc).__name__, "evalue": str(exc), "seconds": 0.0}
                    settle(execution, outcome)
            decide_settled()
        if undecided:  # needs that can never finish (load_pipeline refuses cycles; a guard all the same)
            raise PipelineError(f"runs {', '.join(r.name for r in undecided)} wait on each other through 'needs'",
                                hint="Make every run need only runs of earlier stages in pipeline.yaml.")
    finally:
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        if render_processes is None:
            os.environ.pop(RENDER_ENV, None)
        bar.close()
        batch.seconds = time.perf_counter() - started_batch
        provenance["finished"] = now()
        _write_provenance(ws, provenance)
        prescanned = prescanner.close() if prescanner is not None else set()
    if audit_future is not None:
        try:
            audit_future.result()  # kept when it passed; the check below decides either way
        except Exception:  # noqa: BLE001 - the check below audits again and reports
            pass
    if scan:
        batch.checks = check_outputs(ws, prescanned)
    return batch


def _write_provenance(ws: Workspace, provenance: dict[str, Any]) -> None:
    """Write the provenance record with its runs in pipeline order, whatever order they finished in.

    The draft lists runs, and their sections, in the record's order; with several workers
    the runs finish in an order that depends on the machine.
    """
    position = {name: i for i, name in enumerate(provenance.get("pipeline") or [])}
    runs = provenance.get("runs") or {}
    provenance["runs"] = dict(sorted(runs.items(), key=lambda kv: (position.get(kv[0], len(position)), kv[0])))
    write_json_atomic(provenance_path(ws), provenance)


def _complete(
    ws: Workspace,
    provenance: dict[str, Any],
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
        "ended": now(),
        "seconds": round(seconds, 2),
        "reason": reason,
    }
    if outcome["status"] == "succeeded":
        shutil.rmtree(backup, ignore_errors=True)
        os.replace(tmp_nb, final_nb)
        outputs = output_files(run, ws)
        record.update(
            status="succeeded",
            fingerprint=run_fingerprint(run, ws, inputs),
            outputs={label: sha256_file(path) for label, path in outputs.items()},
            executed_notebook=str(final_nb.relative_to(ws.root)),
        )
        provenance["runs"][run.name] = record
        _write_provenance(ws, provenance)
        return RunResult(run.name, "succeeded", reason=reason, seconds=seconds,
                         executed_notebook=record["executed_notebook"], kernel=outcome.get("kernel", ""),
                         kernel_note=outcome.get("reset_error", ""))  # fmt: skip
    restore(run, ws, backup)
    failed_nb = ws.reports / "notebooks" / "failed" / f"{run.name}.ipynb"
    failed_nb.parent.mkdir(parents=True, exist_ok=True)
    if tmp_nb.exists():
        os.replace(tmp_nb, failed_nb)
    where = outcome.get("where") or failing_cell(failed_nb, outcome.get("exec_count"), outcome.get("traceback"))
    message = (
        f"run '{run.name}' failed in {where}: {outcome.get('ename')}: {outcome.get('evalue')}. "
        f"Executed notebook: {failed_nb.relative_to(ws.root) if failed_nb.exists() else 'not written'}"
    )
    previous = provenance["runs"].get(run.name)
    if previous and previous.get("status") == "succeeded":
        previous["last_failure"] = {"ended": now(), "message": message}
    else:
        record.update(status="failed", error=message, executed_notebook=str(failed_nb.relative_to(ws.root)))
        provenance["runs"][run.name] = record
    _write_provenance(ws, provenance)
    return RunResult(run.name, "failed", reason=reason, seconds=seconds, message=message,
                     executed_notebook=str(failed_nb.relative_to(ws.root)), kernel=outcome.get("kernel", ""),
                     kernel_note=outcome.get("reset_error", ""))  # fmt: skip


def kernel_lines(batch: BatchResult) -> list[str]:
    """How many kernels the batch started and how many runs reused a warm one.

    A warm kernel that could not be reset for a run is replaced by a new one, so the run
    still runs as it should; but it pays a kernel start, and when that happens on every
    run the batch is several seconds a run slower with nothing to show why. Each such
    reason is listed.

    Examples
    --------
    >>> batch = BatchResult([RunResult("a", "succeeded", kernel="started"),
    ...                      RunResult("b", "succeeded", kernel="reused")], 1.0)
    >>> kernel_lines(batch)
    ['Kernels: 1 started, 1 run(s) on a warm kernel']
    """
    executed = [r for r in batch.results if r.kernel]
    if not executed:
        return []
    started = sum(r.kernel == "started" for r in executed)
    lines = [f"Kernels: {started} started, {len(executed) - started} run(s) on a warm kernel"]
    for r in executed:
        if r.kernel_note:
            lines.append(f"  ! {r.name}: the warm kernel could not be reused ({r.kernel_note}); a new kernel ran it")
    return lines


def summary_lines(batch: BatchResult, ws: Workspace) -> list[str]:
    """The closing summary: counts, wall time per run, where the outputs are, then the checks' reports."""
    lines = [
        f"Batch: {batch.count('succeeded')} ran, {batch.count('skipped')} up to date, "
        f"{batch.count('failed')} failed, {batch.count('blocked')} blocked — {batch.seconds:.1f} s",
    ]
    for r in batch.results:
        lines.append(f"  {r.name:<28} {r.status:<10} {r.seconds:6.1f} s")
    for r in batch.results:
        if r.status == "failed":
            lines.append(f"  ✗ {r.message}")
    lines += kernel_lines(batch)
    lines += [
        f"Executed notebooks: {ws.reports / 'notebooks'}",
        f"Figures:            {ws.figures}",
        f"Tables:             {ws.reports / 'tables'}",
        f"Provenance:         {provenance_path(ws)}",
    ]
    if batch.checks is not None:
        lines += batch.checks.lines()
    return lines


__all__ = ["BatchResult", "PlannedRun", "RunResult", "critical_path", "explain", "kernel_lines", "load_provenance", "resolve_kernel", "run_batch", "summary_lines",
           "write_json_atomic"]  # fmt: skip

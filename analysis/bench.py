"""Benchmark the workspace at several data scales (``jakala bench``).

Only the project's own commands are timed (``jakala demo-data``, ``ingest``, ``run``),
each in a fresh subprocess, with :func:`time.perf_counter`; peak memory is the largest
resident set size of any finished child process (``resource.getrusage``), which covers
papermill's kernels. The text pipeline is timed in-process on the ingested workshop
segments, first with an empty word-type cache (cold), then again (cached).

Measured per scale:

* ingestion (cold: empty ``data/processed``), and a no-op re-ingestion (cache);
* the full batch cold with ``--jobs 1`` and with ``--jobs 2`` (outputs removed between),
  and a grid of 8 equal runs with each (the speed-up target is about such a grid), all
  with a fresh kernel per run (``--no-warm-kernels``);
* a no-op re-run of the whole batch (everything up to date);
* the re-run after one diary document changed: which runs re-ran, and the time of
  ``ingest`` + ``run``;
* text pipeline tokens per second, cold and cached;
* peak memory of the largest process;
* the **kernel floor**: the same runs, each notebook cut down to its ``parameters`` cell
  and the standard imports (pandas, numpy, matplotlib, scipy.stats, seaborn), executed
  with papermill stage by stage with the same ``--jobs`` (:func:`floor_notebook`,
  :func:`papermill_batch`); the cold ``--jobs 2`` batch is reported against it;
* a **bare papermill loop**: the same runs, one after the other, with nothing of
  ``jakala run`` around them (no fingerprints, provenance or leak gate);
* the cold batch with ``--warm-kernels`` (:mod:`analysis.pipeline.pool`; ``jakala run``'s
  default), and whether its figures and tables are byte-identical to the fresh-kernel
  batch's; the no-op re-run and the re-run after a diary change use the default;
* each run's **cell time** (the sum of its cells' execution times, from the executed
  notebook of the ``--jobs 1`` batch, :func:`cell_times`) and its slowest cells, and its
  cell time in the warm-kernel batch (imports already paid by the kernel, two runs at a time).

The result is a Markdown table written to ``<out>/benchmark.md`` with the machine's core
count; README quotes the latest one.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from analysis.workspace import find_project_dir


@dataclass
class ScaleResult:
    scale: int
    seconds: dict[str, float] = field(default_factory=dict)
    rerun_after_diary: list[str] = field(default_factory=list)
    tokens: int = 0
    tokens_per_second_cold: float = 0.0
    tokens_per_second_cached: float = 0.0
    peak_rss_mib: float = 0.0
    failures: list[str] = field(default_factory=list)
    cell_seconds: dict[str, float] = field(default_factory=dict)
    cell_seconds_warm: dict[str, float] = field(default_factory=dict)  # the same, in the warm-kernel batch
    warm_differs: list[str] | None = None
    slow_cells: dict[str, list[tuple[int, float, str]]] = field(default_factory=dict)
    load: list[float] = field(default_factory=list)
    warm_kernels: str = ""  # the warm-kernel batch's "Kernels: …" line (how many runs reused a kernel)
    survey_alone_cells: float | None = None  # cell time of `jakala run --only survey` (what a researcher waits)


def _jakala(root: Path, *args: str, log: Path) -> tuple[float, int]:
    """Run one ``jakala`` command in a subprocess; return (seconds, exit code)."""
    cmd = [sys.executable, "-m", "analysis", "--root", str(root), "--project", str(find_project_dir()), *args]
    started = time.perf_counter()
    with open(log, "a", encoding="utf-8") as out:
        out.write(f"\n$ {' '.join(cmd)}\n")
        out.flush()
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=False)
    return time.perf_counter() - started, proc.returncode


def _clear_outputs(root: Path) -> None:
    for sub in ("reports", "figures"):
        shutil.rmtree(root / sub, ignore_errors=True)


def _output_hashes(root: Path) -> dict[str, str]:
    """SHA-256 of every figure and table a batch wrote (to compare two batches' results)."""
    import hashlib

    out = {}
    for folder in (root / "figures", root / "reports" / "tables"):
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if path.is_file():
                out[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _touch_one_diary(root: Path) -> Path:
    """Change one diary document (append a sentence) so its content hash changes."""
    entries = sorted((root / "data" / "raw" / "diaries" / "entries").glob("*.md")) or sorted(
        (root / "data" / "raw" / "diaries" / "entries").glob("*.txt")
    )
    if not entries:
        raise FileNotFoundError("no diary document (.md/.txt) under data/raw/diaries/entries to change")
    target = entries[0]
    with open(target, "a", encoding="utf-8") as handle:  # a housing worry: changes the diary results
        handle.write("\nLisäys: nuoren vuokravakuus puuttuu ja häätö uhkaa, huoli asunnosta kasvaa.\n")
    return target


#: A grid of 8 equal runs of one notebook, for the --jobs speed-up (the whole batch ends in a
#: serial findings stage, which caps its speed-up).
GRID_PIPELINE = """
stages:
  - name: grid
    runs:
      - name: "grid-{min_cell_size}"
        notebook: notebooks/00_data_quality.ipynb
        grid: {min_cell_size: [3, 4, 5, 6, 7, 8, 9, 10]}
        needs: []
"""


#: The imports every notebook pays at least (the kernel floor's one code cell).
FLOOR_IMPORTS = "import pandas as pd\nimport numpy as np\nimport matplotlib\nimport matplotlib.pyplot as plt\n" \
    "import scipy.stats\nimport seaborn as sns"


def floor_notebook(notebook: dict) -> dict:
    """The notebook cut down to its ``parameters`` cell and the standard imports.

    Parameters
    ----------
    notebook : dict
        A notebook (nbformat 4 JSON).

    Returns
    -------
    dict
        A new notebook: the ``parameters`` cell (so papermill injects the same
        parameters) and one cell of :data:`FLOOR_IMPORTS`.

    Raises
    ------
    ValueError
        When the notebook has no cell tagged ``parameters``.
    """
    cells = [c for c in notebook.get("cells", [])
             if c.get("cell_type") == "code" and "parameters" in c.get("metadata", {}).get("tags", [])]
    if not cells:
        raise ValueError("the notebook has no cell tagged 'parameters'")
    imports = {"cell_type": "code", "execution_count": None, "id": "floor-imports", "metadata": {},
               "outputs": [], "source": FLOOR_IMPORTS}
    return {**notebook, "cells": [json.loads(json.dumps(cells[0])), imports]}


def cell_times(path: str | Path) -> list[tuple[int, float, str]]:
    """Execution time of each code cell of an executed notebook.

    From the kernel's own time stamps (``execution`` metadata: ``iopub.execute_input``
    to ``shell.execute_reply``), which papermill records; its ``papermill.duration``
    when those are missing.

    Returns
    -------
    list of (cell index, seconds, first source line)
    """
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    out = []
    for index, cell in enumerate(notebook.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {})
        stamps = meta.get("execution", {})
        if "iopub.execute_input" in stamps and "shell.execute_reply" in stamps:
            seconds = (datetime.fromisoformat(stamps["shell.execute_reply"].replace("Z", "+00:00"))
                       - datetime.fromisoformat(stamps["iopub.execute_input"].replace("Z", "+00:00"))).total_seconds()
        elif meta.get("papermill", {}).get("duration") is not None:
            seconds = float(meta["papermill"]["duration"])
        else:
            continue
        source = "".join(cell.get("source", "")).strip().splitlines()
        out.append((index, round(seconds, 3), source[0][:80] if source else ""))
    return out


def _execute_one(spec: dict) -> float:
    import papermill as pm

    started = time.perf_counter()
    pm.execute_notebook(spec["notebook"], spec["output"], parameters=spec["parameters"], kernel_name=spec["kernel"],
                        cwd=spec["cwd"], progress_bar=False, extra_arguments=["--IPKernelApp.log_level=ERROR"])
    return time.perf_counter() - started


def papermill_batch(root: Path, out: Path, *, jobs: int, floor: bool) -> float:
    """Execute the pipeline's runs with papermill alone; return the seconds taken.

    Parameters
    ----------
    root : Path
        The workspace root (its ``data/processed`` must exist).
    out : Path
        Folder for the executed (and, for the floor, the cut-down) notebooks.
    jobs : int
        Worker processes per stage (``1``: one run after the other, in pipeline order).
    floor : bool
        Run :func:`floor_notebook` versions of the notebooks (the kernel floor) instead
        of the notebooks themselves (the bare papermill loop).
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from analysis.pipeline.plan import load_pipeline
    from analysis.pipeline.run import resolve_kernel
    from analysis.workspace import Workspace

    ws = Workspace.discover(root=root, project=find_project_dir())
    pipeline = load_pipeline(ws)
    kernel = resolve_kernel(None)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=multiprocessing.get_context("spawn")) as pool:
        for stage in pipeline.stages:
            specs = []
            for run in (r for r in pipeline.runs if r.stage == stage):
                notebook = ws.project / run.notebook
                if floor:
                    cut = out / f"{run.name}.floor-input.ipynb"
                    cut.write_text(json.dumps(floor_notebook(json.loads(notebook.read_text(encoding="utf-8")))),
                                   encoding="utf-8")
                    notebook = cut
                specs.append({"notebook": str(notebook), "output": str(out / f"{run.name}.ipynb"),
                              "parameters": {"project_root": str(ws.root), "run_name": run.name, **run.parameters},
                              "kernel": kernel, "cwd": str((ws.project / run.notebook).parent)})
            if jobs > 1:
                list(pool.map(_execute_one, specs))
            else:
                for spec in specs:
                    _execute_one(spec)
    return time.perf_counter() - started


def _papermill(root: Path, out: Path, *, jobs: int, floor: bool, log: Path) -> tuple[float, int]:
    """:func:`papermill_batch` in a fresh subprocess (as ``jakala run`` is); (seconds, exit code)."""
    cmd = [sys.executable, "-m", "analysis.bench", "papermill", str(root), str(out), str(jobs), "floor" if floor else "full"]
    started = time.perf_counter()
    with open(log, "a", encoding="utf-8") as handle:
        handle.write(f"\n$ {' '.join(cmd)}\n")
        handle.flush()
        proc = subprocess.run(cmd, stdout=handle, stderr=subprocess.STDOUT, check=False,
                              env={**os.environ, "PYTHONPATH": os.pathsep.join(
                                  filter(None, [str(find_project_dir()), os.environ.get("PYTHONPATH")]))})
    return time.perf_counter() - started, proc.returncode


def _text_rate(root: Path) -> tuple[int, float, float]:
    import pandas as pd

    from analysis.text import lemmatise as lem
    from analysis.text.pipeline import tokens_table

    segs = pd.read_parquet(root / "data" / "processed" / "workshop_segments.parquet")[["segment_id", "text"]]
    lem.clear_cache()  # cold: an empty word-type cache
    started = time.perf_counter()
    tokens = tokens_table(segs)
    cold = time.perf_counter() - started
    started = time.perf_counter()
    tokens_table(segs)
    warm = time.perf_counter() - started
    n = len(tokens)
    return n, n / cold if cold else float("inf"), n / warm if warm else float("inf")


def bench_scale(scale: int, base: Path, jobs: int = 2) -> ScaleResult:
    """Measure one scale in a fresh workspace ``base/scale-N``."""
    root = base / f"scale-{scale}"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    log = base / f"scale-{scale}.log"
    log.write_text("", encoding="utf-8")
    res = ScaleResult(scale)

    def step(label: str, *args: str, where: Path = root) -> None:
        res.load.append(round(os.getloadavg()[0], 2))  # the machine may be shared: say how busy it was
        seconds, code = _jakala(where, *args, log=log)
        res.seconds[label] = round(seconds, 2)
        if code != 0:
            res.failures.append(f"{label} (exit {code}, see {log})")

    step("demo_data", "demo-data", "--scale", str(scale), "--seed", "2024")
    step("ingest_cold", "ingest")
    step("ingest_noop", "ingest")
    if res.failures:  # nothing after this would measure anything: say so and stop this scale
        res.failures.append("the synthetic data or their ingestion failed, so nothing else was measured at this scale")
        return res
    for label, n, floor in (("kernel_floor", jobs, True), ("papermill_loop", 1, False)):
        seconds, code = _papermill(root, base / f"scale-{scale}-{label}", jobs=n, floor=floor, log=log)
        res.seconds[label] = round(seconds, 2)
        if code != 0:
            res.failures.append(f"{label} (exit {code}, see {log})")
        shutil.rmtree(base / f"scale-{scale}-{label}", ignore_errors=True)
        _clear_outputs(root)  # the loop's notebooks wrote figures and registries
    step("batch_cold_jobs1", "run", "--jobs", "1", "--no-progress", "--no-warm-kernels")
    for executed in sorted((root / "reports" / "notebooks").glob("*.ipynb")):
        cells = cell_times(executed)
        res.cell_seconds[executed.stem] = round(sum(c[1] for c in cells), 2)
        res.slow_cells[executed.stem] = [c for c in cells if c[1] > 1.0]
    _clear_outputs(root)
    step("batch_cold_jobs2", "run", "--jobs", str(jobs), "--no-progress", "--no-warm-kernels")
    step("batch_noop", "run", "--jobs", str(jobs), "--no-progress")
    cold_outputs = _output_hashes(root)
    _clear_outputs(root)
    step("batch_cold_warm", "run", "--jobs", str(jobs), "--no-progress", "--warm-kernels")
    kernel_lines = [line.strip() for line in log.read_text(encoding="utf-8").splitlines() if line.startswith("Kernels:")]
    res.warm_kernels = kernel_lines[-1].removeprefix("Kernels:").strip() if kernel_lines else "not reported"
    warm_outputs = _output_hashes(root)
    for executed in sorted((root / "reports" / "notebooks").glob("*.ipynb")):  # imports already paid, 2 at a time
        res.cell_seconds_warm[executed.stem] = round(sum(c[1] for c in cell_times(executed)), 2)
    res.warm_differs = sorted(k for k in cold_outputs.keys() | warm_outputs.keys()
                              if cold_outputs.get(k) != warm_outputs.get(k))
    # the survey run on its own, as a researcher re-runs it: a warm kernel, the other cores idle (the
    # figures' other language drawn beside it, analysis.background)
    step("survey_alone", "run", "--only", "survey", "--jobs", str(jobs), "--no-progress", "--no-scan")
    alone = root / "reports" / "notebooks" / "survey.ipynb"
    res.survey_alone_cells = round(sum(c[1] for c in cell_times(alone)), 2) if alone.is_file() else None
    _clear_outputs(root)
    step("batch_warm_jobs1", "run", "--jobs", "1", "--no-progress", "--warm-kernels")
    grid_root = base / f"scale-{scale}-grid"  # its own workspace: the grid's outputs stay out of the batch's report
    shutil.rmtree(grid_root, ignore_errors=True)
    shutil.copytree(root / "data" / "processed", grid_root / "data" / "processed")
    grid = grid_root / "grid_pipeline.yaml"
    grid.write_text(GRID_PIPELINE, encoding="utf-8")
    for label, n in (("grid_jobs1", "1"), ("grid_jobs2", str(jobs))):
        step(label, "run", "--pipeline", str(grid), "--jobs", n, "--no-progress", "--no-scan", "--force",
             "--no-warm-kernels", where=grid_root)
    shutil.rmtree(grid_root, ignore_errors=True)
    diary_started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    _touch_one_diary(root)
    started = time.perf_counter()
    step("diary_ingest", "ingest")
    step("diary_run", "run", "--jobs", str(jobs), "--no-progress")
    res.seconds["diary_total"] = round(time.perf_counter() - started, 2)
    provenance = json.loads((root / "reports" / "provenance.json").read_text(encoding="utf-8"))
    res.rerun_after_diary = sorted(
        name for name, rec in provenance["runs"].items()
        if rec.get("status") == "succeeded" and rec.get("started", "") >= diary_started
    )  # fmt: skip
    try:
        res.tokens, res.tokens_per_second_cold, res.tokens_per_second_cached = _text_rate(root)
    except Exception as exc:  # noqa: BLE001 - reported in the table
        res.failures.append(f"text rate: {exc}")
    res.peak_rss_mib = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    return res


def format_table(results: list[ScaleResult], jobs: int) -> str:
    """The Markdown benchmark table."""
    cores = os.cpu_count()
    lines = [
        f"Machine: {cores} cores, Python {platform.python_version()}, {platform.system()} {platform.machine()}.",
        "",
        "Batch rows without `--warm-kernels` start a fresh kernel for every run (`--no-warm-kernels`).",
        "",
        "| measure | " + " | ".join(f"scale {r.scale}" for r in results) + " |",
        "|---|" + "---|" * len(results),
    ]

    def row(label: str, values: list[str]) -> None:
        lines.append(f"| {label} | " + " | ".join(values) + " |")

    def sec(key: str) -> list[str]:
        return [f"{r.seconds.get(key, float('nan')):.1f} s" for r in results]

    row("generate synthetic data", sec("demo_data"))
    row("ingestion, cold", sec("ingest_cold"))
    row("ingestion, no change (cache)", sec("ingest_noop"))
    row("batch cold, --jobs 1", sec("batch_cold_jobs1"))
    row(f"batch cold, --jobs {jobs}", sec(f"batch_cold_jobs{jobs}") if jobs != 2 else sec("batch_cold_jobs2"))
    row(f"speed-up --jobs {jobs} vs 1", [
        f"{r.seconds['batch_cold_jobs1'] / r.seconds['batch_cold_jobs2']:.2f}×" if r.seconds.get("batch_cold_jobs2") else "–"
        for r in results
    ])  # fmt: skip
    row("grid of 8 runs, --jobs 1", sec("grid_jobs1"))
    row(f"grid of 8 runs, --jobs {jobs}", sec("grid_jobs2"))
    row(f"grid speed-up --jobs {jobs} vs 1", [
        f"{r.seconds['grid_jobs1'] / r.seconds['grid_jobs2']:.2f}×" if r.seconds.get("grid_jobs2") else "–"
        for r in results
    ])  # fmt: skip
    row(f"kernel floor, --jobs {jobs}", sec("kernel_floor"))
    row(f"batch cold --jobs {jobs} / kernel floor", [
        f"{r.seconds['batch_cold_jobs2'] / r.seconds['kernel_floor']:.2f}×" if r.seconds.get("kernel_floor") else "–"
        for r in results
    ])  # fmt: skip
    row(f"batch cold, --jobs {jobs} --warm-kernels", sec("batch_cold_warm"))
    row("  warm-kernel batch / kernel floor", [
        f"{r.seconds['batch_cold_warm'] / r.seconds['kernel_floor']:.2f}×"
        if r.seconds.get("batch_cold_warm") and r.seconds.get("kernel_floor") else "–" for r in results
    ])  # fmt: skip
    row("  kernels of the warm-kernel batch", [r.warm_kernels or "–" for r in results])
    row("batch cold, --jobs 1 --warm-kernels", sec("batch_warm_jobs1"))
    row(f"  speed-up --jobs {jobs} vs 1, both with warm kernels (the default)", [
        f"{r.seconds['batch_warm_jobs1'] / r.seconds['batch_cold_warm']:.2f}×"
        if r.seconds.get("batch_warm_jobs1") and r.seconds.get("batch_cold_warm") else "–" for r in results
    ])  # fmt: skip
    row("  figures and tables identical to the cold batch", [
        "–" if r.warm_differs is None else ("yes" if not r.warm_differs else f"no: {len(r.warm_differs)} differ")
        for r in results
    ])  # fmt: skip
    row("bare papermill loop (one after the other)", sec("papermill_loop"))
    runs = sorted({name for r in results for name in r.cell_seconds})
    row("cell time, all runs (--jobs 1 batch)", [f"{sum(r.cell_seconds.values()):.1f} s" for r in results])
    for name in runs:
        row(f"  cell time: {name}", [f"{r.cell_seconds[name]:.1f} s" if name in r.cell_seconds else "–" for r in results])
    if any(r.cell_seconds_warm for r in results):
        row(f"cell time, all runs (warm-kernel batch, --jobs {jobs})",
            [f"{sum(r.cell_seconds_warm.values()):.1f} s" if r.cell_seconds_warm else "–" for r in results])
        for name in runs:
            row(f"  warm cell time: {name}", [f"{r.cell_seconds_warm[name]:.1f} s" if name in r.cell_seconds_warm else "–"
                                              for r in results])
    row("the survey run alone (`jakala run --only survey`, warm kernel), cell time", [
        "–" if r.survey_alone_cells is None else f"{r.survey_alone_cells:.1f} s" for r in results])
    row("no-op re-run of the batch", sec("batch_noop"))
    row("cold batch / no-op re-run", [
        f"{r.seconds['batch_cold_jobs2'] / r.seconds['batch_noop']:.0f}×" if r.seconds.get("batch_noop") else "–"
        for r in results
    ])  # fmt: skip
    row("one diary file changed: ingest + run", sec("diary_total"))
    row("  runs re-run then", [", ".join(r.rerun_after_diary) or "–" for r in results])
    row("text pipeline tokens", [f"{r.tokens:,}" for r in results])
    row("text pipeline, cold (tokens/s)", [f"{r.tokens_per_second_cold:,.0f}" for r in results])
    row("text pipeline, cached (tokens/s)", [f"{r.tokens_per_second_cached:,.0f}" for r in results])
    row("peak memory, largest process", [f"{r.peak_rss_mib:,.0f} MiB" for r in results])
    row("load average (1 min) before the steps, min–max", [
        f"{min(r.load):.1f}–{max(r.load):.1f}" if r.load else "–" for r in results
    ])  # fmt: skip
    failures = [f"scale {r.scale}: {f}" for r in results for f in r.failures]
    if len(results) >= 2:
        by = {r.scale: r for r in results}
        if 10 in by and 100 in by:
            t10 = by[10].seconds.get("ingest_cold", 0) + by[10].seconds.get("batch_cold_jobs2", 0)
            t100 = by[100].seconds.get("ingest_cold", 0) + by[100].seconds.get("batch_cold_jobs2", 0)
            if t10:
                lines.append("")
                lines.append(f"Scale 10 → 100 (ingestion + batch, --jobs {jobs}): {t10:.1f} s → {t100:.1f} s, "
                             f"ratio {t100 / t10:.1f} (≤ 12 means no worse than linear).")  # fmt: skip
    slow = [(r.scale, name, cell) for r in results for name, cells in sorted(r.slow_cells.items()) for cell in cells]
    if slow:
        lines += ["", "Cells over 1 s (--jobs 1 batch):", ""]
        lines += [f"- scale {scale}, {name}, cell {index}: {seconds:.1f} s — `{first}`"
                  for scale, name, (index, seconds, first) in slow]
    if failures:
        lines += ["", "Failures:"] + [f"- {f}" for f in failures]
    return "\n".join(lines)


def run_benchmark(scales: list[int], out: Path, jobs: int = 2, keep: bool = False) -> str:
    """Run the benchmark at each scale and write ``out/benchmark.md``; return the table."""
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    results = []
    command = f"jakala bench --scales {' '.join(str(s) for s in scales)} --jobs {jobs}"
    table = ""
    for scale in scales:
        results.append(bench_scale(scale, out, jobs))
        if not keep:
            shutil.rmtree(out / f"scale-{scale}", ignore_errors=True)
        # written after every scale: a benchmark stopped at a large scale keeps the smaller ones
        table = format_table(results, jobs)
        done = "" if len(results) == len(scales) else (
            f" (scales done so far: {', '.join(str(r.scale) for r in results)})")
        (out / "benchmark.md").write_text(f"Command: `{command}`{done}\n\n{table}\n", encoding="utf-8")
    return table


if __name__ == "__main__":  # python -m analysis.bench papermill ROOT OUT JOBS floor|full (used by bench_scale)
    if len(sys.argv) != 6 or sys.argv[1] != "papermill" or sys.argv[5] not in ("floor", "full"):
        sys.exit("usage: python -m analysis.bench papermill ROOT OUT JOBS floor|full")
    seconds = papermill_batch(Path(sys.argv[2]), Path(sys.argv[3]), jobs=int(sys.argv[4]), floor=sys.argv[5] == "floor")
    print(f"{sys.argv[5]}: {seconds:.1f} s")

"""Benchmark the workspace at several data scales (``jakala bench``).

Only the project's own commands are timed (``jakala demo-data``, ``ingest``, ``run``),
each in a fresh subprocess, with :func:`time.perf_counter`; peak memory is the largest
resident set size of any finished child process (``resource.getrusage``), which covers
papermill's kernels. The text pipeline is timed in-process on the ingested workshop
segments, first with an empty word-type cache (cold), then again (cached).

Measured per scale:

* ingestion (cold: empty ``data/processed``), and a no-op re-ingestion (cache);
* the full batch cold with ``--jobs 1`` and with ``--jobs 2`` (outputs removed between),
  and a grid of 8 equal runs with each (the speed-up target is about such a grid);
* a no-op re-run of the whole batch (everything up to date);
* the re-run after one diary document changed: which runs re-ran, and the time of
  ``ingest`` + ``run``;
* text pipeline tokens per second, cold and cached;
* peak memory of the largest process.

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
        seconds, code = _jakala(where, *args, log=log)
        res.seconds[label] = round(seconds, 2)
        if code != 0:
            res.failures.append(f"{label} (exit {code}, see {log})")

    step("demo_data", "demo-data", "--scale", str(scale), "--seed", "2024")
    step("ingest_cold", "ingest")
    step("ingest_noop", "ingest")
    step("batch_cold_jobs1", "run", "--jobs", "1", "--no-progress")
    _clear_outputs(root)
    step("batch_cold_jobs2", "run", "--jobs", str(jobs), "--no-progress")
    step("batch_noop", "run", "--jobs", str(jobs), "--no-progress")
    grid_root = base / f"scale-{scale}-grid"  # its own workspace: the grid's outputs stay out of the batch's report
    shutil.rmtree(grid_root, ignore_errors=True)
    shutil.copytree(root / "data" / "processed", grid_root / "data" / "processed")
    grid = grid_root / "grid_pipeline.yaml"
    grid.write_text(GRID_PIPELINE, encoding="utf-8")
    for label, n in (("grid_jobs1", "1"), ("grid_jobs2", str(jobs))):
        step(label, "run", "--pipeline", str(grid), "--jobs", n, "--no-progress", "--no-scan", "--force", where=grid_root)
    shutil.rmtree(grid_root, ignore_errors=True)
    diary_started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    _touch_one_diary(root)
    started = time.perf_counter()
    step("diary_ingest", "ingest")
    step("diary_run", "run", "--jobs", str(jobs), "--no-progress")
    res.seconds["diary_total"] = round(time.perf_counter() - started, 2)
    manifest = json.loads((root / "reports" / "manifest.json").read_text(encoding="utf-8"))
    res.rerun_after_diary = sorted(
        name for name, rec in manifest["runs"].items()
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
    if failures:
        lines += ["", "Failures:"] + [f"- {f}" for f in failures]
    return "\n".join(lines)


def run_benchmark(scales: list[int], out: Path, jobs: int = 2, keep: bool = False) -> str:
    """Run the benchmark at each scale and write ``out/benchmark.md``; return the table."""
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    results = []
    for scale in scales:
        results.append(bench_scale(scale, out, jobs))
        if not keep:
            shutil.rmtree(out / f"scale-{scale}", ignore_errors=True)
    table = format_table(results, jobs)
    command = f"jakala bench --scales {' '.join(str(s) for s in scales)} --jobs {jobs}"
    (out / "benchmark.md").write_text(f"Command: `{command}`\n\n{table}\n", encoding="utf-8")
    return table

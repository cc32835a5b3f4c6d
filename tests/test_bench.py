"""Benchmark helpers: the kernel-floor notebook, cell times, and the table rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.bench import FLOOR_IMPORTS, ScaleResult, cell_times, floor_notebook, format_table

PROJECT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", sorted(p.name for p in (PROJECT / "notebooks").glob("*.ipynb")))
def test_floor_notebook_keeps_only_the_parameters_and_the_standard_imports(name):
    notebook = json.loads((PROJECT / "notebooks" / name).read_text(encoding="utf-8"))
    params = next(c for c in notebook["cells"] if "parameters" in c["metadata"].get("tags", []))
    floor = floor_notebook(notebook)
    assert [c["cell_type"] for c in floor["cells"]] == ["code", "code"]
    assert floor["cells"][0]["source"] == params["source"]
    assert floor["cells"][0]["metadata"]["tags"] == ["parameters"]
    assert floor["cells"][1]["source"] == FLOOR_IMPORTS
    assert floor["metadata"] == notebook["metadata"]  # same kernel spec
    assert len(notebook["cells"]) > 2  # the original is untouched
    compile(FLOOR_IMPORTS, "floor", "exec")


def test_floor_notebook_needs_a_parameters_cell():
    with pytest.raises(ValueError, match="parameters"):
        floor_notebook({"cells": [{"cell_type": "code", "metadata": {}, "source": "x = 1"}]})


def test_cell_times_from_kernel_time_stamps_or_papermill_duration(tmp_path):
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": "# Title"},
        {"cell_type": "code", "metadata": {"execution": {"iopub.execute_input": "2026-12-02T18:41:55.000000Z",
                                                         "shell.execute_reply": "2026-12-02T18:41:57.250000Z"}},
         "source": ["scores = scale_scores(responses)\n", "more()"]},
        {"cell_type": "code", "metadata": {"papermill": {"duration": 0.5}}, "source": "x = 1"},
        {"cell_type": "code", "metadata": {}, "source": "never executed"},
    ]
    path = tmp_path / "run.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}), encoding="utf-8")
    assert cell_times(path) == [(1, 2.25, "scores = scale_scores(responses)"), (2, 0.5, "x = 1")]


def test_table_reports_floor_ratio_loop_and_cell_times():
    res = ScaleResult(1, seconds={"batch_cold_jobs1": 80.0, "batch_cold_jobs2": 45.0, "kernel_floor": 30.0,
                                  "papermill_loop": 90.0, "batch_noop": 0.5, "grid_jobs1": 10.0, "grid_jobs2": 6.0},
                      cell_seconds={"survey": 4.2, "needs": 1.0},
                      slow_cells={"survey": [(12, 2.5, "role_tables = []")], "needs": []})
    table = format_table([res], jobs=2)
    assert "| kernel floor, --jobs 2 | 30.0 s |" in table
    assert "| batch cold --jobs 2 / kernel floor | 1.50× |" in table
    assert "| bare papermill loop (one after the other) | 90.0 s |" in table
    assert "|   cell time: survey | 4.2 s |" in table
    assert "| cell time, all runs (--jobs 1 batch) | 5.2 s |" in table
    assert "scale 1, survey, cell 12: 2.5 s" in table


def test_table_reports_the_warm_kernel_batch_and_whether_its_outputs_match():
    same = ScaleResult(1, seconds={"batch_cold_jobs1": 80.0, "batch_cold_jobs2": 45.0, "kernel_floor": 30.0, "batch_cold_warm": 33.0},
                       warm_differs=[], warm_kernels="2 started, 7 run(s) on a warm kernel",
                       cell_seconds={"survey": 6.0}, cell_seconds_warm={"survey": 4.5})
    differ = ScaleResult(10, seconds={"batch_cold_jobs1": 99.0, "batch_cold_jobs2": 60.0, "kernel_floor": 40.0, "batch_cold_warm": 44.0},
                         warm_differs=["figures/survey/a.png"])
    table = format_table([same, differ], jobs=2)
    assert "| batch cold, --jobs 2 --warm-kernels | 33.0 s | 44.0 s |" in table
    assert "|   warm-kernel batch / kernel floor | 1.10× | 1.10× |" in table
    assert "|   figures and tables identical to the cold batch | yes | no: 1 differ |" in table
    assert "|   kernels of the warm-kernel batch | 2 started, 7 run(s) on a warm kernel | – |" in table
    assert "|   cell time: survey | 6.0 s | – |" in table and "|   warm cell time: survey | 4.5 s | – |" in table


def test_the_table_is_written_after_every_scale(tmp_path, monkeypatch):
    import pytest

    import analysis.bench as bench

    def fake(scale, base, jobs=2):
        if scale == 100:
            raise RuntimeError("stopped")  # e.g. by a timeout at the largest scale
        return ScaleResult(scale, seconds={"batch_cold_jobs1": 2.0 * scale, "batch_cold_jobs2": float(scale),
                                           "kernel_floor": 1.0})

    monkeypatch.setattr(bench, "bench_scale", fake)
    with pytest.raises(RuntimeError):
        bench.run_benchmark([1, 10, 100], tmp_path)
    written = (tmp_path / "benchmark.md").read_text(encoding="utf-8")
    assert "(scales done so far: 1, 10)" in written and "| batch cold, --jobs 2 | 1.0 s | 10.0 s |" in written


def test_a_scale_whose_ingestion_fails_measures_nothing_more(tmp_path, monkeypatch):
    """Timing a batch on data that were never ingested would give numbers of nothing."""
    import analysis.bench as bench

    calls = []

    def fake_jakala(root, *args, log):
        calls.append(args[0])
        return 0.1, (1 if args[0] == "ingest" else 0)

    monkeypatch.setattr(bench, "_jakala", fake_jakala)
    monkeypatch.setattr(bench, "_papermill", lambda *a, **k: (_ for _ in ()).throw(AssertionError("not to be run")))
    res = bench.bench_scale(1, tmp_path)
    assert calls == ["demo-data", "ingest", "ingest"]
    assert res.failures[-1].startswith("the synthetic data or their ingestion failed")
    assert "Failures:" in bench.format_table([res], jobs=2)

"""The batch's scheduler (runs start when their needs are done, longest chain first),
the leak gate's scan during the batch and the disclosure audit run ahead of the assembly.

The scheduler tests replace the notebook execution with a function that writes what a
run writes, so they need no Jupyter kernel.
"""

from __future__ import annotations

import json
import os
import shutil
import textwrap
from pathlib import Path

import pytest

from analysis.errors import ConfigError
from analysis.pipeline import load_pipeline, run_batch
from analysis.pipeline import run as run_module
from analysis.pipeline.run import critical_path
from analysis.workspace import Workspace

from tests.test_pipeline import _notebook

PARAMS = 'project_root = ".."\nrun_name = "x"\n'


def _workspace(tmp_path: Path, stages: str) -> Workspace:
    (tmp_path / "notebooks").mkdir()
    _notebook(tmp_path / "notebooks" / "write.ipynb", PARAMS, "pass")
    (tmp_path / "pipeline.yaml").write_text(textwrap.dedent(stages))
    return Workspace(root=tmp_path, project=tmp_path)


@pytest.fixture()
def executed(monkeypatch) -> list[str]:
    """Replace the kernel with a writer; the list fills with run names in execution order."""
    order: list[str] = []

    def fake_run_notebook(spec: dict) -> dict:
        name = spec["parameters"]["run_name"]
        order.append(name)
        root = Path(spec["parameters"]["project_root"])
        out = root / "figures" / name
        out.mkdir(parents=True, exist_ok=True)
        (out / "value.txt").write_text(name)
        shutil.copyfile(spec["notebook"], spec["output"])
        return {"status": "failed" if name.startswith("broken") else "succeeded", "seconds": 0.01,
                **({"ename": "ZeroDivisionError", "evalue": "planned", "where": "cell 2"}
                   if name.startswith("broken") else {})}  # fmt: skip

    monkeypatch.setattr(run_module, "run_notebook", fake_run_notebook)
    return order


CHAIN = """
    stages:
      - name: first
        runs:
          - {name: quick, notebook: notebooks/write.ipynb, needs: []}
          - {name: head, notebook: notebooks/write.ipynb, needs: []}
          - {name: long, notebook: notebooks/write.ipynb, needs: []}
      - name: second
        runs:
          - {name: tail, notebook: notebooks/write.ipynb, needs: [head]}
    """


def _record_seconds(ws: Workspace, seconds: dict[str, float]) -> None:
    (ws.reports).mkdir(parents=True, exist_ok=True)
    (ws.reports / "provenance.json").write_text(json.dumps({"runs": {n: {"seconds": s} for n, s in seconds.items()}}))


def test_critical_path_adds_the_longest_chain_of_dependants(tmp_path):
    pipeline = load_pipeline(_workspace(tmp_path, CHAIN))
    seconds = {"quick": 1.0, "head": 2.0, "long": 4.0, "tail": 3.0}
    paths = critical_path(list(pipeline.runs), {"runs": {n: {"seconds": s} for n, s in seconds.items()}})
    assert paths == {"quick": 1.0, "head": 5.0, "long": 4.0, "tail": 3.0}
    assert critical_path(list(pipeline.runs)) == {"quick": 1.0, "head": 2.0, "long": 1.0, "tail": 1.0}  # 1 s each


def test_the_head_of_the_longest_chain_starts_first_and_a_later_stage_need_not_wait(tmp_path, executed):
    ws = _workspace(tmp_path, CHAIN)
    _record_seconds(ws, {"quick": 1.0, "head": 2.0, "long": 4.0, "tail": 3.0})
    batch = run_batch(load_pipeline(ws), ws, jobs=1, progress=False, scan=False)
    assert batch.runs_ok
    # head (2 s + its dependant's 3 s) before long (4 s) before tail (3 s) before quick (1 s):
    # tail, of the second stage, runs before quick of the first stage has started
    assert executed == ["head", "long", "tail", "quick"]
    assert [r.name for r in batch.results] == executed


def test_without_recorded_times_pipeline_order_breaks_ties(tmp_path, executed):
    ws = _workspace(tmp_path, CHAIN)
    run_batch(load_pipeline(ws), ws, jobs=1, progress=False, scan=False)
    assert executed == ["head", "quick", "long", "tail"]  # head's chain is 2 s, the others 1 s: pipeline order


def test_a_failed_run_blocks_its_dependants_as_soon_as_it_fails(tmp_path, executed):
    ws = _workspace(tmp_path, """
        stages:
          - name: first
            runs:
              - {name: broken, notebook: notebooks/write.ipynb, needs: []}
              - {name: other, notebook: notebooks/write.ipynb, needs: []}
          - name: second
            runs:
              - {name: after, notebook: notebooks/write.ipynb, needs: [broken]}
              - {name: fine, notebook: notebooks/write.ipynb, needs: [other]}
    """)
    batch = run_batch(load_pipeline(ws), ws, jobs=1, progress=False, scan=False)
    status = {r.name: r.status for r in batch.results}
    assert status == {"broken": "failed", "other": "succeeded", "after": "blocked", "fine": "succeeded"}
    assert "after" not in executed
    assert not (tmp_path / "figures" / "broken").exists()  # a failed run's outputs are rolled back


@pytest.mark.parametrize("needs, stage", [("[head]", "first"), ("[tail]", "first")])
def test_a_run_may_need_only_runs_of_earlier_stages(tmp_path, needs, stage):
    ws = _workspace(tmp_path, f"""
        stages:
          - name: first
            runs:
              - {{name: head, notebook: notebooks/write.ipynb, needs: []}}
              - {{name: quick, notebook: notebooks/write.ipynb, needs: {needs}}}
          - name: second
            runs:
              - {{name: tail, notebook: notebooks/write.ipynb, needs: [head]}}
    """)
    with pytest.raises(ConfigError, match=r"run 'quick' \(stage 'first'\) needs .*not in an earlier stage"):
        load_pipeline(ws)


# --------------------------------------------------------------------------- the scan during the batch
def test_prescan_records_clean_files_and_leaves_a_leaking_one_for_the_gate(tmp_path):
    from analysis.pipeline.checks import GATE_STATE, leak_gate
    from analysis.privacy.gate import prescan

    ws = Workspace(root=tmp_path, project=tmp_path)
    (tmp_path / "figures" / "a").mkdir(parents=True)
    clean, leaky = tmp_path / "figures" / "a" / "clean.txt", tmp_path / "figures" / "a" / "leaky.txt"
    clean.write_text("ok")
    leaky.write_text("yhteys: matti.meikalainen@example.fi")
    state = ws.reports / ".cache" / GATE_STATE
    assert sorted(prescan([clean, leaky], ws.keys, state)) == [clean, leaky]
    recorded = json.loads(state.read_text())["clean"]
    assert str(clean) in recorded and str(leaky) not in recorded
    assert prescan([clean], ws.keys, state) == []  # unchanged since its clean scan

    gate = leak_gate(ws, prescanned=[clean, leaky])
    assert [Path(f.file) for f in gate.findings] == [leaky] and [f.kind for f in gate.findings] == ["email"]
    assert (gate.scanned, gate.skipped, gate.prescanned) == (2, 0, 1)  # leaky scanned again, clean by the prescan
    clean.write_text("changed after the prescan: yhteys matti.meikalainen@example.fi")
    gate = leak_gate(ws, prescanned=[clean])
    assert {Path(f.file) for f in gate.findings} == {clean, leaky}  # the gate scans what changed since


def test_prescanner_scans_in_the_background_and_reports_what_it_scanned(tmp_path):
    from analysis.pipeline.checks import Prescanner

    ws = Workspace(root=tmp_path, project=tmp_path)
    (tmp_path / "figures").mkdir()
    files = [tmp_path / "figures" / f"{i}.txt" for i in range(3)]
    for f in files:
        f.write_text("ok")
    scanner = Prescanner(ws)
    scanner.submit(files[:2])
    scanner.submit(files[2:])
    assert scanner.close() == set(files)


def test_prescanner_error_leaves_everything_to_the_gate(tmp_path, monkeypatch):
    from analysis.pipeline.checks import Prescanner
    from analysis.privacy import gate

    def broken(*args, **kwargs):
        raise OSError("disk gone")

    monkeypatch.setattr(gate, "prescan", broken)
    scanner = Prescanner(Workspace(root=tmp_path, project=tmp_path))
    scanner.submit([tmp_path / "x.txt"])
    assert scanner.close() == set() and isinstance(scanner.error, OSError)


def test_the_audit_ahead_is_kept_for_the_batch_and_ignores_the_assembly(tmp_path, monkeypatch):
    from analysis.pipeline import checks
    from analysis.privacy import audit

    ws = Workspace(root=tmp_path, project=tmp_path)
    (tmp_path / "reports" / "registry").mkdir(parents=True)
    (tmp_path / "reports" / "registry" / "survey.json").write_text('{"run": "survey", "items": []}')
    findings = tmp_path / "reports" / "registry" / "findings.json"
    calls: list = []
    monkeypatch.setattr(audit, "audit_registries", lambda root, exclude=(): calls.append(exclude) or [])
    assert checks.audit_ahead(str(ws.root), str(ws.project)) is True
    findings.write_text('{"run": "findings", "items": []}')  # the assembly finishes after the audit
    assert checks.disclosure_audit(ws).ok
    assert calls == [checks.AUDIT_EXCLUDE]  # one audit, kept; the assembly's registry is not read
    (tmp_path / "reports" / "registry" / "survey.json").write_text('{"run": "survey", "items": [], "min_cell_size": 5}')
    checks.disclosure_audit(ws)
    assert len(calls) == 2


@pytest.mark.parametrize("preset, seen", [(None, "0"), ("2", "2")])
def test_the_batch_gives_its_kernels_the_render_processes_jobs_leave(tmp_path, monkeypatch, preset, seen):
    """--jobs 1: no forked figure copies (one process computing); a value the user set is kept."""
    from analysis.background import ENV

    if preset is None:
        monkeypatch.delenv(ENV, raising=False)
    else:
        monkeypatch.setenv(ENV, preset)
    values = []

    def fake_run_notebook(spec: dict) -> dict:
        values.append(os.environ.get(ENV))
        shutil.copyfile(spec["notebook"], spec["output"])
        return {"status": "succeeded", "seconds": 0.01}

    monkeypatch.setattr(run_module, "run_notebook", fake_run_notebook)
    ws = _workspace(tmp_path, CHAIN)
    run_batch(load_pipeline(ws), ws, jobs=1, progress=False, scan=False)
    assert values == [seen] * 4
    assert os.environ.get(ENV) == preset  # restored after the batch

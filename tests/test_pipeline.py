"""The batch runner: planning, parameter checks, failure handling, incremental runs."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from analysis.cli import main
from analysis.errors import ConfigError, PipelineError
from analysis.pipeline import explain, load_pipeline, run_batch
from analysis.pipeline.plan import parse_override, run_fingerprint
from analysis.workspace import Workspace

WRITER = """
from pathlib import Path
out = Path(project_root) / "figures" / run_name
out.mkdir(parents=True, exist_ok=True)
(out / "value.txt").write_text(f"{run_name}:{x}:{label}")
reg = Path(project_root) / "reports" / "registry"
reg.mkdir(parents=True, exist_ok=True)
(reg / f"{run_name}.json").write_text('{"items": []}')
"""


def _notebook(path: Path, params: str, body: str) -> None:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cell = new_code_cell(textwrap.dedent(params))
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [new_markdown_cell("# test"), cell, new_code_cell(textwrap.dedent(body))]
    nbformat.write(nb, path)


@pytest.fixture()
def project(tmp_path: Path) -> Workspace:
    (tmp_path / "notebooks").mkdir()
    params = 'project_root = ".."\nrun_name = "x"\nx = 1\nlabel = "a"\n'
    _notebook(tmp_path / "notebooks" / "write.ipynb", params, WRITER)
    _notebook(tmp_path / "notebooks" / "fail.ipynb", params + "fail = False\n",
              WRITER + "\nif fail:\n    raise ZeroDivisionError('planned failure')\n")  # fmt: skip
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "input.txt").write_text("one")
    (tmp_path / "pipeline.yaml").write_text(textwrap.dedent("""
        defaults: {label: "b"}
        stages:
          - name: first
            runs:
              - name: alpha
                notebook: notebooks/write.ipynb
                needs: []
                inputs: [data/input.txt]
              - name: "grid-{x}"
                notebook: notebooks/write.ipynb
                needs: []
                grid: {x: [1, 2]}
              - name: broken
                notebook: notebooks/fail.ipynb
                needs: []
                parameters: {fail: true}
          - name: second
            runs:
              - name: after_alpha
                notebook: notebooks/write.ipynb
                needs: [alpha]
                inputs: [reports/registry/*.json]
              - name: after_broken
                notebook: notebooks/write.ipynb
                needs: [broken]
    """))  # fmt: skip
    return Workspace(root=tmp_path, project=tmp_path)


def test_grid_expands_and_defaults_apply(project):
    plan = load_pipeline(project)
    names = [r.name for r in plan.runs]
    assert names == ["alpha", "grid-1", "grid-2", "broken", "after_alpha", "after_broken"]
    assert plan.run("grid-2").parameters == {"label": "b", "x": 2}
    assert plan.run("after_broken").needs == ("broken",)


def test_overrides_are_typed_and_targeted(project):
    assert parse_override("alpha.x=3") == ("alpha", "x", 3)
    plan = load_pipeline(project, overrides=["label=c", "alpha.x=7"])
    assert plan.run("alpha").parameters == {"label": "c", "x": 7}
    assert plan.run("grid-1").parameters["label"] == "c"
    with pytest.raises(ConfigError, match="no notebook in the batch has a parameter 'nope'"):
        load_pipeline(project, overrides=["nope=1"])
    with pytest.raises(ConfigError, match="no run named 'ghost'"):
        load_pipeline(project, overrides=["ghost.x=1"])


def test_explain_names_action_and_reason_of_every_run(project):
    from analysis.pipeline import PlannedRun

    rows = explain(load_pipeline(project), project, only=["alpha", "after_alpha"])
    assert all(isinstance(row, PlannedRun) for row in rows)
    assert [(row.run.name, row.action, row.reason) for row in rows] == [
        ("alpha", "run", "forced"), ("grid-1", "not selected", "--only"), ("grid-2", "not selected", "--only"),
        ("broken", "not selected", "--only"), ("after_alpha", "run", "forced"),
        ("after_broken", "not selected", "--only"),
    ]  # fmt: skip
    fresh = {row.run.name: (row.action, row.reason) for row in explain(load_pipeline(project), project)}
    assert fresh["alpha"] == ("run", "no successful run recorded")
    with pytest.raises(AttributeError):
        rows[0].action = "skip"  # frozen


def test_bad_parameter_fails_before_anything_runs(project):
    plan = load_pipeline(project, overrides=["alpha.x=not-a-number"])
    with pytest.raises(PipelineError, match=r"parameter 'x' = 'not-a-number' is str"):
        run_batch(plan, project, progress=False, jobs=1)
    assert not (project.root / "figures").exists()


def test_unknown_parameter_in_pipeline_is_an_error(project):
    text = (project.project / "pipeline.yaml").read_text().replace("parameters: {fail: true}",
                                                                     "parameters: {fail: true, colour: red}")  # fmt: skip
    (project.project / "pipeline.yaml").write_text(text)
    plan = load_pipeline(project)
    with pytest.raises(PipelineError, match="unknown parameter 'colour'"):
        run_batch(plan, project, progress=False, jobs=1)


@pytest.mark.slow  # runs notebooks in Jupyter kernels
def test_failure_blocks_only_dependants_and_keeps_earlier_outputs(project):
    plan = load_pipeline(project)
    first = run_batch(plan, project, progress=False, jobs=2)
    status = {r.name: r.status for r in first.results}
    assert status == {"alpha": "succeeded", "grid-1": "succeeded", "grid-2": "succeeded", "broken": "failed",
                      "after_alpha": "succeeded", "after_broken": "blocked"}  # fmt: skip
    failed = next(r for r in first.results if r.name == "broken")
    assert "ZeroDivisionError" in failed.message and "cell [" in failed.message
    assert "reports/notebooks/failed/broken.ipynb" in failed.message
    assert (project.root / failed.executed_notebook).is_file()
    # the failed run's partial outputs are rolled back
    assert not (project.root / "figures" / "broken").exists()
    assert (project.root / "figures" / "grid-2" / "value.txt").read_text() == "grid-2:2:b"

    provenance = json.loads((project.root / "reports" / "provenance.json").read_text())
    alpha = provenance["runs"]["alpha"]
    assert alpha["status"] == "succeeded" and alpha["inputs"] == {"data/input.txt": alpha["inputs"]["data/input.txt"]}
    assert "figures/alpha/value.txt" in alpha["outputs"]
    assert set(provenance["git"]) == {"commit", "dirty"} and "pandas" in provenance["packages"]

    # a run that succeeded once and then fails keeps its earlier outputs untouched
    before = (project.root / "figures" / "alpha" / "value.txt").read_bytes()
    nb = project.project / "notebooks" / "write.ipynb"
    nb.write_text(nb.read_text().replace('(out / \\"value.txt\\")', '1/0; (out / \\"value.txt\\")'))
    second = run_batch(load_pipeline(project), project, progress=False, jobs=1, only=["alpha"])
    assert [r.status for r in second.results] == ["failed"]
    assert (project.root / "figures" / "alpha" / "value.txt").read_bytes() == before
    provenance = json.loads((project.root / "reports" / "provenance.json").read_text())
    assert provenance["runs"]["alpha"]["status"] == "succeeded" and "last_failure" in provenance["runs"]["alpha"]


@pytest.mark.slow  # runs notebooks in Jupyter kernels
def test_incremental_runs_skip_what_is_up_to_date(project):
    text = (project.project / "pipeline.yaml").read_text().replace("parameters: {fail: true}", "parameters: {fail: false}")
    (project.project / "pipeline.yaml").write_text(text)
    plan = load_pipeline(project)
    assert all(r.status == "succeeded" for r in run_batch(plan, project, progress=False, jobs=1).results)

    again = run_batch(plan, project, progress=False, jobs=1)
    assert {r.status for r in again.results} == {"skipped"}

    (project.root / "data" / "input.txt").write_text("two")
    rows = {row.run.name: (row.action, row.reason) for row in explain(plan, project)}
    assert rows["alpha"] == ("run", "input changed: data/input.txt")
    assert rows["grid-1"][0] == "skip"
    # a run re-runs when a run it needs runs: `jakala list` names exactly what the batch executes
    assert rows["after_alpha"] == ("run", "needs alpha, which will run")
    listed = sorted(name for name, (action, _) in rows.items() if action == "run")
    third = run_batch(plan, project, progress=False, jobs=1)
    ran = sorted(r.name for r in third.results if r.status == "succeeded")
    assert ran == listed == ["after_alpha", "alpha"]

    (project.root / "figures" / "grid-1" / "value.txt").unlink()
    rows = {row.run.name: (row.action, row.reason) for row in explain(plan, project)}
    assert rows["grid-1"] == ("run", "output missing: figures/grid-1/value.txt")
    assert run_fingerprint(plan.run("alpha"), project) != run_fingerprint(plan.run("grid-1"), project)


@pytest.mark.slow  # runs notebooks in Jupyter kernels
def test_cli_exits_non_zero_and_names_the_run(project, capsys):
    code = main(["--root", str(project.root), "--project", str(project.project), "run", "--jobs", "1",
                 "--no-progress", "--no-scan"])  # fmt: skip
    captured = capsys.readouterr()
    assert code != 0
    assert "run 'broken' failed in cell [" in captured.out
    assert "the batch did not finish: broken, after_broken did not succeed" in captured.err
    assert "Traceback" not in captured.err


def test_demo_data_if_empty_never_mixes_with_existing_raw_data(tmp_path, capsys):
    raw = tmp_path / "data" / "raw"
    raw.mkdir(parents=True)
    (raw / "oma_kysely.xlsx").write_bytes(b"real data stand-in")
    assert main(["--root", str(tmp_path), "demo-data", "--if-empty"]) == 0
    assert "not generating demo data" in capsys.readouterr().out
    assert sorted(p.name for p in raw.iterdir()) == ["oma_kysely.xlsx"]


def test_kernel_start_failure_is_retried_once(monkeypatch, tmp_path):
    import papermill
    from nbclient.exceptions import DeadKernelError

    from analysis.pipeline.execute import run_notebook

    calls = []

    def flaky(*args, **kwargs):
        calls.append(kwargs["extra_arguments"])
        if len(calls) == 1:
            raise DeadKernelError("Kernel died before replying to kernel_info")
        return type("ExecutedNotebook", (), {"metadata": {}})()

    monkeypatch.setattr(papermill, "execute_notebook", flaky)
    spec = {"notebook": "a.ipynb", "output": str(tmp_path / "b.ipynb"), "parameters": {}, "kernel": "python3",
            "cwd": str(tmp_path), "start_timeout": 5, "execution_timeout": 5}
    outcome = run_notebook(spec)
    assert outcome["status"] == "succeeded" and outcome["attempts"] == 2 and len(calls) == 2

    def always_dead(*args, **kwargs):
        raise DeadKernelError("dead")

    monkeypatch.setattr(papermill, "execute_notebook", always_dead)
    outcome = run_notebook(spec)
    assert outcome["status"] == "failed" and outcome["ename"] == "DeadKernelError" and outcome["attempts"] == 2


@pytest.mark.slow  # runs notebooks in Jupyter kernels
def test_outputs_parked_by_an_interrupted_batch_are_restored(project):
    from analysis.pipeline.outputs import stage_aside

    plan = load_pipeline(project, overrides=["broken.fail=false"])
    run_batch(plan, project, progress=False, jobs=1, only=["alpha"])
    original = (project.root / "figures" / "alpha" / "value.txt").read_bytes()
    stage_aside(plan.run("alpha"), project)  # as if the batch was killed while alpha ran
    (project.root / "figures" / "alpha").mkdir(parents=True)
    (project.root / "figures" / "alpha" / "partial.txt").write_text("half-written")
    lines = []
    run_batch(plan, project, progress=False, jobs=1, only=["grid-1"], log=lines.append)
    assert any("restored the outputs of 'alpha'" in line for line in lines)
    assert (project.root / "figures" / "alpha" / "value.txt").read_bytes() == original
    assert not (project.root / "figures" / "alpha" / "partial.txt").exists()


READER = """
from pathlib import Path
import pandas as pd
root = Path(project_root)
extra = (root / "data" / "extra.txt").read_text()          # not declared: auto-declared
frame = pd.read_parquet(root / "data" / "table.parquet")  # parquet goes through pyarrow, not open()
if secret:
    (root / "data" / "keys" / "key.txt").read_text()
out = root / "figures" / run_name
out.mkdir(parents=True, exist_ok=True)
(out / "value.txt").write_text(extra + str(len(frame)))
reg = root / "reports" / "registry"
reg.mkdir(parents=True, exist_ok=True)
(reg / f"{run_name}.json").write_text('{"items": []}')
"""


@pytest.fixture()
def reader(tmp_path: Path) -> Workspace:
    import pandas as pd

    (tmp_path / "notebooks").mkdir()
    _notebook(tmp_path / "notebooks" / "read.ipynb", 'project_root = ".."\nrun_name = "x"\nsecret = False\n', READER)
    (tmp_path / "data" / "keys").mkdir(parents=True)
    (tmp_path / "data" / "extra.txt").write_text("one")
    (tmp_path / "data" / "keys" / "key.txt").write_text("k")
    pd.DataFrame({"a": [1, 2]}).to_parquet(tmp_path / "data" / "table.parquet")
    (tmp_path / "pipeline.yaml").write_text(textwrap.dedent("""
        stages:
          - name: first
            runs:
              - {name: reads, notebook: notebooks/read.ipynb, needs: []}
              - {name: sneaky, notebook: notebooks/read.ipynb, needs: [], parameters: {secret: true}}
    """))  # fmt: skip
    return Workspace(root=tmp_path, project=tmp_path)


@pytest.mark.slow  # runs notebooks in Jupyter kernels
def test_files_a_run_reads_join_its_fingerprint_and_forbidden_reads_fail(reader):
    plan = load_pipeline(reader)
    results = {r.name: r for r in run_batch(plan, reader, progress=False, jobs=1).results}
    assert results["reads"].status == "succeeded"
    provenance = json.loads((reader.root / "reports" / "provenance.json").read_text())
    record = provenance["runs"]["reads"]
    assert record["reads"] == ["data/extra.txt", "data/table.parquet"]
    assert set(record["inputs"]) == {"data/extra.txt", "data/table.parquet"}
    # reading the pseudonym key (data/keys) without declaring it fails the run, naming the file
    assert results["sneaky"].status == "failed"
    assert "read data/keys/key.txt" in results["sneaky"].message
    assert not (reader.root / "figures" / "sneaky").exists()

    rows = {row.run.name: (row.action, row.reason) for row in explain(plan, reader)}
    assert rows["reads"] == ("skip", "up to date")
    (reader.root / "data" / "extra.txt").write_text("two")       # an undeclared file the run read
    rows = {row.run.name: (row.action, row.reason) for row in explain(plan, reader)}
    assert rows["reads"] == ("run", "input changed: data/extra.txt")
    import pandas as pd

    (reader.root / "data" / "extra.txt").write_text("one")
    pd.DataFrame({"a": [1, 2, 3]}).to_parquet(reader.root / "data" / "table.parquet")
    rows = {row.run.name: (row.action, row.reason) for row in explain(plan, reader)}
    assert rows["reads"] == ("run", "input changed: data/table.parquet")


@pytest.mark.slow  # runs notebooks in Jupyter kernels
def test_failing_cell_is_reported_with_the_line_that_failed(project):
    plan = load_pipeline(project)
    results = {r.name: r for r in run_batch(plan, project, progress=False, jobs=1, only=["broken"]).results}
    message = results["broken"].message
    # the cell starts with "from pathlib import Path"; the failing line is the raise, line 10 of the cell
    assert "cell [3] line 10 `raise ZeroDivisionError('planned failure')`" in message
    assert "from pathlib" not in message


def test_failing_line_from_a_traceback_inside_the_package():
    from analysis.pipeline.execute import failing_line

    tb = ["\x1b[0;31mDataError\x1b[0m", "Cell \x1b[0;32mIn[4], line 7\x1b[0m", "----> 7 prevalence(x)",
          "File \x1b[0;32m/work/x/analysis/survey/needs.py:88\x1b[0m, in \x1b[0;36mprevalence\x1b[0m"]
    assert failing_line(tb, 4) == (7, "prevalence(x)", "analysis/survey/needs.py:88")
    assert failing_line([], 4) == (None, None, None)


# --------------------------------------------------------------------------- the checks after the batch
def _audit(run: str, exposed: list) -> "RunAudit":  # noqa: F821
    from analysis.privacy.audit import AuditResult, RunAudit

    return RunAudit(run, AuditResult(n_cells=12, n_primary=2, n_secondary=1, n_relations=4, exposed=exposed,
                                     intervals={}), 1, 3.0, 9)  # fmt: skip


def test_batch_result_raises_for_failed_runs_first_then_for_failed_checks(tmp_path):
    from analysis.errors import LeakError
    from analysis.pipeline import BatchResult, RunResult
    from analysis.pipeline.checks import DisclosureAuditResult, LeakGateResult, OutputChecks
    from analysis.privacy.audit import Exposure
    from analysis.privacy.scan import LeakFinding

    leak = LeakGateResult([LeakFinding("figures/a/value.txt", "line 1", "email", "m****@example.fi")], 1, 0, [tmp_path])
    clean = LeakGateResult([], 3, 5, [tmp_path / "reports", tmp_path / "figures"])
    audited = DisclosureAuditResult([_audit("survey", [])])
    unaudited = DisclosureAuditResult([_audit("survey", [])], ["survey/missingness"])
    exposed = DisclosureAuditResult([_audit("survey", [Exposure("survey/t", "Kemi", "n", 2, 2, 5)])])

    batch = BatchResult([RunResult("alpha", "succeeded"), RunResult("beta", "skipped")], checks=OutputChecks(clean, audited))
    assert batch.ok and batch.runs_ok
    batch.raise_for_status()
    assert batch.checks.lines() == [
        "", f"Leak gate: passed (3 changed file(s) scanned, 5 unchanged since a clean scan; {tmp_path / 'reports'}, "
            f"{tmp_path / 'figures'})",
        "Disclosure audit: passed (12 count cells of 1 run(s) checked by linear programming: 2 '<k' cells keep their "
        "whole interval; 1 secondary 'x' cells, 1 of them added by the audit, hiding 3 counted units)",
    ]  # fmt: skip
    assert unaudited.lines() == [
        "", "Disclosure audit: FAILED", "  Figures registered without what they draw (1): survey/missingness",
        "  Pass Registry.figure(..., data=<the counts it draws, or the id of the table it draws>) "
        "or no_counts=\"<why it draws no counts>\".",
    ]  # fmt: skip

    for checks in (OutputChecks(leak, audited), OutputChecks(clean, exposed), OutputChecks(clean, unaudited)):
        batch = BatchResult([RunResult("alpha", "succeeded")], checks=checks)
        assert batch.runs_ok and not batch.ok
        with pytest.raises(LeakError, match=r"the leak gate or the disclosure audit failed \(listed above\)"):
            batch.raise_for_status()
    assert OutputChecks(leak, exposed).lines() == [
        "", "Leak gate: FAILED", "figures/a/value.txt, line 1: email m****@example.fi\n1 possible identifier in 1 file.",
        "", "Disclosure audit: FAILED",
        "  table 'survey/t', row Kemi, column 'n': a count below 5 is exactly 2 (interval 2…2, needs one at least as "
        "wide as 1…4)",
    ]  # fmt: skip

    failed = BatchResult([RunResult("alpha", "failed"), RunResult("beta", "blocked")], checks=OutputChecks(leak, audited))
    with pytest.raises(PipelineError, match="the batch did not finish: alpha, beta did not succeed"):
        failed.raise_for_status()  # a failed run is said before a failed check
    assert BatchResult([RunResult("alpha", "succeeded")]).ok  # scan=False: no checks


def test_check_outputs_scans_reports_figures_and_processed(tmp_path):
    from analysis.pipeline.checks import check_outputs

    ws = Workspace(root=tmp_path, project=tmp_path)
    (tmp_path / "figures" / "alpha").mkdir(parents=True)
    (tmp_path / "figures" / "alpha" / "value.txt").write_text("ok")
    checks = check_outputs(ws)
    assert checks.ok and checks.leak_gate.targets == [ws.figures] and checks.leak_gate.scanned == 1
    assert check_outputs(ws).leak_gate.skipped == 1  # unchanged since its clean scan
    (tmp_path / "figures" / "alpha" / "value.txt").write_text("yhteys: matti.meikalainen@example.fi")
    checks = check_outputs(ws)
    assert not checks.ok and [f.kind for f in checks.leak_gate.findings] == ["email"]
    assert checks.disclosure.ok and checks.disclosure.audits == []


def test_a_passed_audit_is_kept_until_anything_it_read_changes(tmp_path, monkeypatch):
    from analysis.pipeline import checks
    from analysis.privacy import audit
    from analysis.privacy.audit import Exposure

    ws = Workspace(root=tmp_path, project=tmp_path)
    (tmp_path / "reports" / "registry").mkdir(parents=True)
    (tmp_path / "data" / "processed").mkdir(parents=True)
    registry, table = tmp_path / "reports" / "registry" / "survey.json", tmp_path / "data" / "processed" / "r.parquet"
    registry.write_text('{"run": "survey", "items": []}')
    table.write_bytes(b"one")
    calls, found = [], [[]]
    monkeypatch.setattr(audit, "audit_registries", lambda root, **kw: calls.append(root) or [_audit("survey", found[0])])

    first = checks.disclosure_audit(ws)
    assert len(calls) == 1 and checks.disclosure_audit(ws).lines() == first.lines() and len(calls) == 1
    registry.write_text('{"run": "survey", "items": [], "min_cell_size": 5}')
    checks.disclosure_audit(ws)
    assert len(calls) == 2  # a registry changed
    table.write_bytes(b"two")
    checks.disclosure_audit(ws)
    assert len(calls) == 3  # the processed data changed (the methods numbers)
    checks.disclosure_audit(ws)
    assert len(calls) == 3
    found[0] = [Exposure("survey/t", "Kemi", "n", 2, 2, 5)]
    registry.write_text('{"run": "survey", "items": [], "min_cell_size": 3}')
    assert not checks.disclosure_audit(ws).ok and not checks.disclosure_audit(ws).ok
    assert len(calls) == 5  # a failed audit is never kept


@pytest.mark.slow  # runs a notebook in a Jupyter kernel
def test_the_batch_from_python_is_gated_as_jakala_run_is(project, capsys):
    from analysis.errors import LeakError

    leaky = ["alpha.label=matti.meikalainen@example.fi"]
    batch = run_batch(load_pipeline(project, overrides=leaky), project, progress=False, jobs=1, only=["alpha"])
    assert batch.runs_ok and not batch.ok and not batch.checks.leak_gate.ok
    found = {Path(f.file).relative_to(project.root).as_posix() for f in batch.checks.leak_gate.findings}
    assert {"figures/alpha/value.txt", "reports/notebooks/alpha.ipynb"} <= found  # the output, the parameter
    from analysis.pipeline import summary_lines

    assert "Leak gate: FAILED" in summary_lines(batch, project)
    with pytest.raises(LeakError):
        batch.raise_for_status()
    unscanned = run_batch(load_pipeline(project, overrides=leaky), project, progress=False, jobs=1, only=["alpha"],
                          scan=False)  # fmt: skip
    assert unscanned.ok and unscanned.checks is None

    capsys.readouterr()
    code = main(["--root", str(project.root), "--project", str(project.project), "run", "--jobs", "1",
                 "--no-progress", "--only", "alpha", "--set", leaky[0]])  # fmt: skip
    captured = capsys.readouterr()
    assert code == LeakError.exit_code
    assert "\nLeak gate: FAILED\n" in captured.out and "Disclosure audit: passed" in captured.out
    assert "the leak gate or the disclosure audit failed (listed above)" in captured.err

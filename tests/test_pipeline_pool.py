"""Warm kernels: reused across runs, yet every run starts from a fresh namespace."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from analysis.pipeline import pool
from analysis.pipeline.execute import resolve_kernel, run_notebook

pytestmark = pytest.mark.slow  # starts Jupyter kernels


def _notebook(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("marker = 'default'")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, *(nbformat.v4.new_code_cell(c) for c in cells)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


FIRST = [
    "import sys, os, json\n"
    "state = {'seaborn_before': 'seaborn' in sys.modules}\n"
    "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
    "plt.figure(); matplotlib.rcParams['lines.linewidth'] = 9.0\n"
    "import analysis.findings.style as style\nstyle._LEFT_BY_RUN_ONE = marker\n"
    "leaked = 'from run one'\nos.chdir('/')\n"
    "import warnings, numpy, pandas\nos.environ['JAKALA_LEFT_BY_RUN_ONE'] = '1'\nsys.path.append('/left-by-run-one')\n"
    "warnings.simplefilter('error')\nnumpy.seterr(all='raise')\npandas.set_option('display.max_rows', 3)\n"
    "json.dump({**state, 'pid': os.getpid()}, open(out_file, 'w'))",
]
SECOND = [
    "import sys, os, json\n"
    "import matplotlib\n"
    "import analysis.findings.style as style\n"
    "json.dump({'seaborn_before': 'seaborn' in sys.modules, 'pid': os.getpid(), 'leaked': 'leaked' in globals(),\n"
    "           'module_state': hasattr(style, '_LEFT_BY_RUN_ONE'), 'cwd': os.getcwd(),\n"
    "           'linewidth': matplotlib.rcParams['lines.linewidth'], 'backend': matplotlib.get_backend(),\n"
    "           'figures': len(__import__('matplotlib.pyplot').pyplot.get_fignums()), 'marker': marker,\n"
    "           'process': ['JAKALA_LEFT_BY_RUN_ONE' in os.environ, '/left-by-run-one' in sys.path,\n"
    "                       any(f[0] == 'error' for f in __import__('warnings').filters), __import__('numpy').geterr()['divide'],\n"
    "                       __import__('pandas').get_option('display.max_rows')]},\n"
    "          open(out_file, 'w'))",
]


@pytest.fixture
def specs(tmp_path):
    pool.discard_kernel()  # a kernel an earlier in-process batch left warm is not this test's
    kernel = resolve_kernel(None)
    folder = tmp_path / "notebooks"
    folder.mkdir()

    def spec(name: str, cells: list[str], warm: bool) -> dict:
        nb = _notebook(folder / f"{name}.ipynb", "out_file = " + repr(str(tmp_path / f"{name}.json")), *cells)
        return {"notebook": str(nb), "output": str(tmp_path / f"{name}.out.ipynb"),
                "parameters": {"marker": name}, "kernel": kernel, "cwd": str(folder),
                "start_timeout": 120, "execution_timeout": 120, "warm_kernels": warm}

    yield spec, tmp_path, folder
    pool.discard_kernel()


def test_a_warm_kernel_is_reused_with_a_fresh_namespace(specs):
    spec, tmp, folder = specs
    cold = run_notebook(spec("cold", SECOND, warm=False))
    assert cold["status"] == "succeeded", cold
    fresh = json.loads((tmp / "cold.json").read_text())

    assert run_notebook(spec("one", FIRST, warm=True))["status"] == "succeeded"
    assert run_notebook(spec("two", SECOND, warm=True))["status"] == "succeeded"
    one = json.loads((tmp / "one.json").read_text())
    two = json.loads((tmp / "two.json").read_text())
    assert two["pid"] == one["pid"] != fresh["pid"]          # the same kernel served both runs
    assert two["seaborn_before"] and not fresh["seaborn_before"]  # imports were already paid
    assert not two["leaked"] and not two["module_state"]     # fresh namespace, fresh project modules
    assert two["cwd"] == str(folder) == fresh["cwd"]           # the notebook's folder again
    assert two["linewidth"] == fresh["linewidth"] != 9.0       # rcParams as in a fresh kernel
    assert two["backend"] == fresh["backend"] and two["figures"] == 0
    assert two["process"] == fresh["process"] and two["process"][:2] == [False, False]  # env, path, filters, options
    assert two["marker"] == "two"                             # its own parameters
    executed = nbformat.read(tmp / "two.out.ipynb", as_version=4)  # its own executed notebook
    assert executed.cells[1].metadata["tags"] == ["injected-parameters"]
    assert pool._KERNEL is not None and pool._KERNEL.runs == 2


def test_a_failing_run_does_not_leak_into_the_next(specs):
    spec, tmp, _ = specs
    failed = run_notebook(spec("bad", ["leaked = 1\nraise ValueError('boom')"], warm=True))
    assert failed["status"] == "failed" and failed["ename"] == "ValueError" and failed["kernel"] == "started"
    after = run_notebook(spec("after", SECOND, warm=True))
    assert after["status"] == "succeeded" and after["kernel"] == "reused"
    assert json.loads((tmp / "after.json").read_text())["leaked"] is False


def test_a_dead_kernel_is_replaced(specs):
    spec, tmp, _ = specs
    assert run_notebook(spec("first", SECOND, warm=True))["status"] == "succeeded"
    pid = json.loads((tmp / "first.json").read_text())["pid"]
    pool._KERNEL.km.shutdown_kernel(now=True)
    assert run_notebook(spec("second", SECOND, warm=True))["status"] == "succeeded"
    assert json.loads((tmp / "second.json").read_text())["pid"] != pid


def test_a_warm_kernel_is_reused_when_the_batch_records_reads(specs):
    """The batch always records each run's reads; the recorder must survive the reset.

    Before, the reset dropped the ``analysis`` packages but kept the recorder module, so
    the recorder's start-up line failed in the reset kernel and every run silently got a
    new kernel (a kernel start and all imports again, about 3 s a run).
    """
    spec, tmp, folder = specs
    data = tmp / "data"
    data.mkdir()
    outcomes, records = [], []
    for name in ("one", "two", "three"):
        (data / f"{name}.txt").write_text(name)
        run = spec(name, [f"open({str(data / (name + '.txt'))!r}).read()\n" + SECOND[0]], warm=True)
        record = tmp / "reads" / f"{name}.txt"
        run.update(record=str(record), watch=[str(data)])
        outcomes.append(run_notebook(run))
        records.append(record)
    assert [o["status"] for o in outcomes] == ["succeeded"] * 3, outcomes
    assert [o["kernel"] for o in outcomes] == ["started", "reused", "reused"], outcomes
    assert not any("reset_error" in o for o in outcomes)
    pids = {json.loads((tmp / f"{n}.json").read_text())["pid"] for n in ("one", "two", "three")}
    assert len(pids) == 1
    for name, record in zip(("one", "two", "three"), records):  # each run's reads in its own record only
        assert record.read_text().split() == [str(data / f"{name}.txt")]


def test_a_kernel_that_cannot_be_reset_is_replaced_and_said(specs, monkeypatch):
    spec, tmp, _ = specs
    assert run_notebook(spec("first", SECOND, warm=True))["kernel"] == "started"
    original, calls = pool.WarmKernel.prepare, []

    def fails_once(self, cwd, *, record_line="", timeout=30):
        calls.append(cwd)
        if len(calls) == 1:
            raise RuntimeError("warm kernel: ImportError: no")
        return original(self, cwd, record_line=record_line, timeout=timeout)

    monkeypatch.setattr(pool.WarmKernel, "prepare", fails_once)
    outcome = run_notebook(spec("second", SECOND, warm=True))
    assert outcome["status"] == "succeeded" and outcome["kernel"] == "started"
    assert "ImportError: no" in outcome["reset_error"]

    from analysis.pipeline.run import BatchResult, RunResult, kernel_lines

    batch = BatchResult([RunResult("first", "succeeded", kernel="started"),
                         RunResult("second", "succeeded", kernel="started", kernel_note=outcome["reset_error"])])
    lines = kernel_lines(batch)
    assert lines[0] == "Kernels: 2 started, 0 run(s) on a warm kernel"
    assert lines[1].startswith("  ! second: the warm kernel could not be reused (RuntimeError: warm kernel: ImportError")

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
    assert failed["status"] == "failed" and failed["ename"] == "ValueError"
    assert run_notebook(spec("after", SECOND, warm=True))["status"] == "succeeded"
    assert json.loads((tmp / "after.json").read_text())["leaked"] is False


def test_a_dead_kernel_is_replaced(specs):
    spec, tmp, _ = specs
    assert run_notebook(spec("first", SECOND, warm=True))["status"] == "succeeded"
    pid = json.loads((tmp / "first.json").read_text())["pid"]
    pool._KERNEL.km.shutdown_kernel(now=True)
    assert run_notebook(spec("second", SECOND, warm=True))["status"] == "succeeded"
    assert json.loads((tmp / "second.json").read_text())["pid"] != pid

"""Warm kernels: a batch worker keeps its Jupyter kernel and reuses it for its next runs.

Opt-in (``jakala run --warm-kernels``). Without it every run starts a fresh kernel and
pays the kernel start and the imports of pandas, numpy, matplotlib, scipy and the
notebook's own libraries again: on a small data set that is most of a run's time (the
benchmark's *kernel floor*). With it, each batch worker process starts one kernel on its
first run, pre-imports :data:`PRELOAD`, and hands the same kernel to papermill for every
later run it executes (``papermill.execute_notebook(..., km=...)``).

Each run stays isolated:

* **a fresh namespace** — before each run the kernel's user namespace is reset
  (``InteractiveShell.reset(new_session=True)``), every ``analysis`` module is dropped
  from ``sys.modules`` (so module-level state of the project's code starts afresh; it is
  re-imported from source, which is cheap), open matplotlib figures are closed, the
  backend a fresh kernel has is restored (a notebook may have switched to Agg) and so are
  the ``rcParams`` a fresh kernel starts with (``matplotlib.rc_file_defaults``), and the
  working directory is set to the notebook's folder as for a fresh kernel;
* **the process state a fresh kernel has** — ``os.environ``, ``sys.path``, the warning
  filters and NumPy's floating-point error settings as they were right after the
  kernel started (snapshot taken with :data:`PRELOAD`), and pandas' options at their
  defaults;
* **its own outputs and provenance** — papermill still writes the run's own executed
  notebook; figures, tables, the registry and the provenance record are written exactly
  as with a fresh kernel (the batch runner does not know the difference);
* a kernel that died, or that does not answer the reset (still busy with a cell that
  timed out), is replaced by a fresh one; a kernel is retired after
  :data:`MAX_RUNS_PER_KERNEL` runs.

Third-party modules stay imported between runs: that is the saving. A notebook that
relies on a third-party module's global state being pristine (beyond matplotlib's
``rcParams``) should not be run warm.
"""

from __future__ import annotations

import atexit
import json
from typing import Any

__all__ = ["PRELOAD", "MAX_RUNS_PER_KERNEL", "WarmKernel", "warm_kernel", "discard_kernel", "reset_code", "last_start"]

#: Imported once per kernel, before its first run (what the notebooks import anyway).
PRELOAD = """
import matplotlib
matplotlib._jakala_fresh_backend = matplotlib.get_backend()
import pandas, numpy, scipy.stats, matplotlib.pyplot, seaborn, pyarrow.parquet
import statsmodels.stats.multitest, statsmodels.genmod.generalized_linear_model, sklearn.decomposition
import os as _os, sys as _sys, warnings as _warnings
_sys.modules.setdefault("rfc3987_syntax", None)  # as analysis.config does: its grammars are never needed
import yaml, jsonschema, jsonschema.exceptions
_sys._jakala_fresh = {"environ": dict(_os.environ), "path": list(_sys.path), "warnings": list(_warnings.filters),
                      "numpy_err": numpy.geterr()}
del _os, _sys, _warnings
"""

#: A kernel is replaced after this many runs (bounds any slow growth of its memory).
MAX_RUNS_PER_KERNEL = 20


def reset_code(cwd: str, record_line: str = "") -> str:
    """The code run in a warm kernel before each run: a fresh namespace, in ``cwd``.

    Parameters
    ----------
    cwd : str
        The notebook's folder (papermill's ``cwd``; a fresh kernel is started there).
    record_line : str
        Python line that points the read recorder (:mod:`analysis.provenance.reads`) at this
        run's record file; a fresh kernel runs the same line at start-up. The recorder's
        module stays loaded across resets, so its one audit hook writes to the current run.

    Returns
    -------
    str
        Python source for the kernel.
    """
    return f"""
get_ipython().reset(new_session=True)
import os as _os, sys as _sys
_KEEP = {{"analysis.provenance.reads"}}  # the read recorder (its one audit hook) lives on
if "analysis.background" in _sys.modules:  # figures a failed run left drawing: ended, never written
    _sys.modules["analysis.background"].abandon()
if "analysis.provenance.reads" in _sys.modules:  # the last run's record ends here
    _sys.modules["analysis.provenance.reads"].stop()
for _name in [n for n in _sys.modules if (n == "analysis" or n.startswith("analysis.")) and n not in _KEEP]:
    del _sys.modules[_name]
if "analysis.provenance.reads" in _sys.modules:
    # the kept recorder under fresh parent packages: `import analysis.provenance.reads as x` looks
    # it up through them, and a module already in sys.modules is not bound to its new parent
    import analysis.provenance as _provenance
    _provenance.reads = _sys.modules["analysis.provenance.reads"]
import matplotlib as _mpl
if "matplotlib.pyplot" in _sys.modules:
    _sys.modules["matplotlib.pyplot"].close("all")
    if _mpl.get_backend() != getattr(_mpl, "_jakala_fresh_backend", _mpl.get_backend()):
        _sys.modules["matplotlib.pyplot"].switch_backend(_mpl._jakala_fresh_backend)
_mpl.rc_file_defaults()
_fresh = getattr(_sys, "_jakala_fresh", None)
if _fresh is not None:  # what a fresh kernel has: environment, import path, warning filters, options
    _os.environ.clear(); _os.environ.update(_fresh["environ"])
    _sys.path[:] = _fresh["path"]
    import warnings as _warnings
    _warnings.filters[:] = _fresh["warnings"]
    if "numpy" in _sys.modules:
        _sys.modules["numpy"].seterr(**_fresh["numpy_err"])
    if "pandas" in _sys.modules:
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore")
            _sys.modules["pandas"].reset_option("all")
_os.chdir({json.dumps(str(cwd))})
{record_line}
get_ipython().reset(new_session=True)
"""


class WarmKernel:
    """One running kernel, reused for several notebook runs.

    Parameters
    ----------
    kernel_name : str
        Jupyter kernel name (as for papermill).
    start_timeout : int
        Seconds to wait for the kernel to answer.
    preload : str
        Code executed once after start (:data:`PRELOAD`).
    """

    def __init__(self, kernel_name: str, *, start_timeout: int = 120, preload: str = PRELOAD) -> None:
        from jupyter_client.manager import KernelManager

        self.kernel_name = kernel_name
        self.runs = 0
        self.km = KernelManager(kernel_name=kernel_name)
        self.km.start_kernel(extra_arguments=["--IPKernelApp.log_level=ERROR"])
        try:
            self.run_code(preload if preload.strip() else "pass", timeout=start_timeout)
        except Exception:
            self.shutdown()
            raise

    def run_code(self, code: str, *, timeout: float = 120) -> None:
        """Execute ``code`` in the kernel; raise ``RuntimeError`` when it fails.

        Each call uses its own short-lived client: a client kept open stops receiving
        replies once papermill has driven the kernel through a client of its own.
        """
        kc = self.km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=timeout)
            reply = kc.execute_interactive(code, store_history=False, timeout=timeout, output_hook=lambda msg: None)
        finally:
            kc.stop_channels()
        content = reply.get("content", {})
        if content.get("status") != "ok":
            raise RuntimeError(f"warm kernel: {content.get('ename', 'error')}: {content.get('evalue', '')}")

    def prepare(self, cwd: str, *, record_line: str = "", timeout: float = 30) -> None:
        """Reset the kernel for the next run (see :func:`reset_code`)."""
        self.run_code(reset_code(cwd, record_line), timeout=timeout)

    def alive(self) -> bool:
        return bool(self.km.is_alive())

    def shutdown(self) -> None:
        """Stop the kernel."""
        if self.km.has_kernel:
            self.km.shutdown_kernel(now=True)


_KERNEL: WarmKernel | None = None
_LAST: dict[str, Any] = {}


def last_start() -> dict[str, Any]:
    """How :func:`warm_kernel` got the kernel for this process's latest run.

    ``{"kernel": "reused"}`` when a warm kernel was reset and reused, ``{"kernel":
    "started"}`` when a new one was started (the first run of a worker, a kernel
    retired after :data:`MAX_RUNS_PER_KERNEL` runs or of another kernel name), with
    ``"reset_error"`` naming why a warm kernel could not be reused, when that was the
    reason. The batch reports these (a reset that always fails makes every run pay a
    kernel start, which is otherwise invisible).
    """
    return dict(_LAST)


def warm_kernel(spec: dict[str, Any]) -> Any:
    """The kernel manager of this process's warm kernel, reset for the run in ``spec``.

    Called by the batch runner (``analysis.pipeline.execute.run_notebook``) when
    ``spec["warm_kernels"]`` is set; the returned manager goes to papermill as ``km=``.

    Parameters
    ----------
    spec : dict
        The run's execution spec: ``kernel``, ``cwd``, ``start_timeout``.

    Returns
    -------
    jupyter_client.KernelManager
    """
    global _KERNEL
    _LAST.clear()
    if _KERNEL is not None and not _KERNEL.alive():
        _LAST["reset_error"] = "the warm kernel had died"
        discard_kernel()
    if _KERNEL is not None and (_KERNEL.kernel_name != spec["kernel"] or _KERNEL.runs >= MAX_RUNS_PER_KERNEL):
        discard_kernel()
    for attempt in (1, 2):
        started = _KERNEL is None
        if started:
            _KERNEL = WarmKernel(spec["kernel"], start_timeout=int(spec.get("start_timeout", 120)))
        try:
            record_line = ""
            if spec.get("record"):
                from analysis.provenance.reads import startup_code

                record_line = startup_code(spec["record"], spec["watch"])
            _KERNEL.prepare(spec["cwd"], record_line=record_line)
            _LAST["kernel"] = "started" if started else "reused"
            break
        except Exception as exc:  # a kernel still busy with a timed-out cell, or broken: start a fresh one
            if not started:
                _LAST["reset_error"] = f"{type(exc).__name__}: {exc}"[:300]
            discard_kernel()
            if attempt == 2:
                raise
    _KERNEL.runs += 1
    return _KERNEL.km


def discard_kernel() -> None:
    """Shut this process's warm kernel down (when it is replaced, and at exit)."""
    global _KERNEL
    kernel, _KERNEL = _KERNEL, None
    if kernel is not None:
        try:
            kernel.shutdown()
        except Exception:  # noqa: BLE001 - a kernel that is already gone
            pass


atexit.register(discard_kernel)

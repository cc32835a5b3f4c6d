"""Execute one notebook of the batch with papermill, in a worker process, and say where it failed.

:func:`run_notebook` takes the run's spec (notebook, parameters, kernel, timeouts, the
read recorder's file) and returns a plain outcome dict, so it can run in a worker of a
``ProcessPoolExecutor``; a kernel that fails to start is retried once. :func:`failing_cell`
turns a failure into "cell [3] line 10 `…` (raised in analysis/…py:88)".
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path
from typing import Any

from analysis.provenance import reads as read_recorder

#: Exceptions (by class name) that mean the kernel did not start; such a run is retried once.
KERNEL_START_ERRORS = ("DeadKernelError", "ZMQError", "TimeoutError", "RuntimeError", "CellTimeoutError")


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


def kernel_arguments(spec: dict[str, Any]) -> list[str]:
    """Kernel command-line options: quiet log, and the read recorder when the spec asks for one."""
    arguments = ["--IPKernelApp.log_level=ERROR"]
    if spec.get("record"):
        arguments.append("--IPKernelApp.exec_lines=" + read_recorder.startup_code(spec["record"], spec["watch"]))
    return arguments


def run_notebook(spec: dict[str, Any]) -> dict[str, Any]:
    """Execute one notebook (in a worker process). Retries once if the kernel fails to start."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    started = time.perf_counter()
    last: dict[str, Any] = {}
    for attempt in (1, 2):
        kernel: dict[str, Any] = {}  # how the run got its kernel (pipeline/pool.py last_start), once it has one
        try:
            warm: dict[str, Any] = {}
            kernel = {"kernel": "started"}
            if spec.get("warm_kernels"):  # opt-in: this worker's kernel, reset for the run (pipeline/pool.py)
                from analysis.pipeline.pool import last_start, warm_kernel

                warm["km"] = warm_kernel(spec)
                kernel = last_start()
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
                # the start-up line records every workspace file the kernel reads (analysis.provenance.reads)
                extra_arguments=kernel_arguments(spec),
                **warm,
            )
            if nb.metadata.get("papermill", {}).get("exception"):
                return {"status": "failed", "ename": "Exception", "evalue": "the notebook recorded an exception",
                        "seconds": time.perf_counter() - started, "attempts": attempt, **kernel}  # fmt: skip
            return {"status": "succeeded", "seconds": time.perf_counter() - started, "attempts": attempt, **kernel}
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
                **kernel,
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


def failing_cell(executed: Path, exec_count: int | None, traceback: list[str] | None = None) -> str:
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


__all__ = ["KERNEL_START_ERRORS", "failing_cell", "failing_line", "kernel_arguments", "resolve_kernel", "run_notebook"]

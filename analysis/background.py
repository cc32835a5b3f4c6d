"""Work done in a forked process while the notebook goes on: the figures of a registry.

Drawing a figure at 300 dpi and writing its SVG, in two languages, is most of the time of a
figure-heavy notebook (the survey run: 14 renders, about 5 of its 8 seconds). None of it
changes what the notebook computes next, so :meth:`Registry.figure
<analysis.findings.registry.Registry.figure>` hands it to a copy of the kernel made with
:func:`os.fork`, which renders while the notebook's next cells run on another core, and
collects the bytes when the registry is saved. The copy has the kernel's memory as it was at
the call (the figure, the data, the drawing function), so it renders exactly the bytes the
kernel would have (tests compare both ways).

A copy is started only when a core is idle at that moment (:func:`may_start`): a copy
competing with busy cores only adds its own cost (its first writes copy the kernel's
memory pages: a render in a copy takes about 1.5 times the CPU of one in the kernel), so
then the kernel renders itself. How many copies may render at once is :data:`ENV`
(``JAKALA_RENDER_PROCESSES``): ``0`` renders in the kernel itself. Unset, it is one less
than the machine's cores, at most :data:`MAX_PROCESSES`; ``jakala run --jobs N`` sets it to
``N - 1`` for its kernels (``--jobs 1``: one process computing at a time). Forking is used on
Linux only (macOS does not support fork in a process with threads of its system
frameworks; Windows has none).

A copy never writes a file and never touches the kernel's streams: it sends its result
(or its error, with the traceback) back through an anonymous in-memory file, and exits with
:func:`os._exit`. The kernel writes the files, as it would have, when it collects the result
(:meth:`Job.result`); a run that fails before that writes nothing of those figures.
:func:`abandon` ends every copy still running (the batch calls it before reusing a kernel
for the next run).
"""

from __future__ import annotations

import gc
import io
import os
import pickle
import signal
import sys
import traceback
import warnings
from dataclasses import dataclass
from typing import Any, Callable

from analysis.errors import PipelineError

__all__ = ["ENV", "MAX_PROCESSES", "Job", "abandon", "idle_cores", "may_start", "processes", "start"]

#: Environment variable: how many forked processes may render at once (0: none).
ENV = "JAKALA_RENDER_PROCESSES"

#: The default's upper bound (more copies of a large kernel gain little on a laptop).
MAX_PROCESSES = 2

#: The jobs started in this process and not yet collected, by process id.
_LIVE: dict[int, "Job"] = {}


def can_fork() -> bool:
    """Whether this platform forks safely here (Linux with :func:`os.fork`)."""
    return hasattr(os, "fork") and sys.platform.startswith("linux")


def idle_cores() -> int:
    """Cores of this process with nothing to run right now (Linux ``procs_running``); 0 if unknown.

    ``procs_running`` of ``/proc/stat`` counts the threads running or ready to run on the
    machine at this instant, the caller included.

    Examples
    --------
    >>> 0 <= idle_cores() < (os.cpu_count() or 1)
    True
    """
    try:
        cores = len(os.sched_getaffinity(0))
        with open("/proc/stat", "rb") as handle:
            for line in handle:
                if line.startswith(b"procs_running "):
                    return max(0, cores - int(line.split()[1]))
    except (OSError, ValueError, AttributeError):
        pass
    return 0


def may_start(running: int) -> bool:
    """Whether a job may start now: fewer than :func:`processes` are ``running`` and a core is idle.

    A copy started while every core is busy only takes time from the others (and costs
    its own copying of memory), so then the caller does the work itself.
    """
    return running < processes() and idle_cores() > 0


def processes() -> int:
    """How many figure renders may run in forked processes at once; 0 means in this process.

    Reads :data:`ENV`; unset or empty, one less than the machine's cores (at most
    :data:`MAX_PROCESSES`).

    Raises
    ------
    ValueError
        When :data:`ENV` is not a whole number of at least 0.

    Examples
    --------
    >>> os.environ[ENV] = "0"; processes()
    0
    >>> os.environ[ENV] = "many"; processes()
    Traceback (most recent call last):
    ...
    ValueError: JAKALA_RENDER_PROCESSES must be a whole number of at least 0 (0: draw figures in the kernel itself), got 'many'
    >>> del os.environ[ENV]
    """
    value = os.environ.get(ENV, "").strip()
    if not value:
        wanted = min(MAX_PROCESSES, (os.cpu_count() or 1) - 1)
    else:
        try:
            wanted = int(value)
        except ValueError:
            wanted = -1
        if wanted < 0:
            raise ValueError(f"{ENV} must be a whole number of at least 0 (0: draw figures in the kernel itself), "
                             f"got {value!r}")
    return max(0, wanted) if can_fork() else 0


@dataclass
class Job:
    """A forked process computing ``work()``; :meth:`result` waits for it and returns the value."""

    pid: int
    fd: int
    label: str  # where, for errors: e.g. "run 'survey', figure 'survey_likert_competence'"
    done: bool = False
    status: int | None = None  # the wait status, once the process has ended

    def running(self) -> bool:
        """Whether the process is still computing (it is reaped, without waiting, once ended)."""
        if self.status is None and not self.done:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
        return self.status is None and not self.done

    def result(self) -> Any:
        """Wait for the process; return what ``work()`` returned, or raise what went wrong.

        Raises
        ------
        PipelineError
            When ``work()`` raised (the message names the exception; the traceback follows
            in the hint), or the process ended without a result (killed, out of memory).
        """
        if self.done:
            raise PipelineError("the result was already collected", location=self.label)
        try:
            status = self.status if self.status is not None else os.waitpid(self.pid, 0)[1]
            os.lseek(self.fd, 0, os.SEEK_SET)
            chunks = []
            while chunk := os.read(self.fd, 1 << 20):
                chunks.append(chunk)
        finally:
            self._close()
        data = b"".join(chunks)
        if not data:
            how = (f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status)
                   else f"exit code {os.waitstatus_to_exitcode(status)}")
            raise PipelineError(f"the process drawing it ended without a result ({how})", location=self.label,
                                hint=f"Run again; if it repeats, set {ENV}=0 to draw in the kernel and see the error.")
        payload = pickle.loads(data)
        for message, category in payload.get("warnings", []):
            warnings.warn(message, _warning_class(category), stacklevel=2)
        if payload.get("output"):
            sys.stdout.write(payload["output"])
        if "error" in payload:
            raise PipelineError(payload["error"], location=self.label,
                                hint=f"(With {ENV}=0 it is raised where it happens.) The drawing process "
                                     f"said:\n{payload['traceback']}")
        return payload["value"]

    def abandon(self) -> None:
        """End the process without its result."""
        if self.done:
            return
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
        self._close()

    def _close(self) -> None:
        self.done = True
        _LIVE.pop(self.pid, None)
        try:
            os.close(self.fd)
        except OSError:
            pass


def _warning_class(name: str) -> type[Warning]:
    import builtins

    found = getattr(builtins, name, None)
    return found if isinstance(found, type) and issubclass(found, Warning) else UserWarning


def _anonymous_file() -> int:
    """A file descriptor of an unnamed file (in memory on Linux): nothing is left on disk."""
    if hasattr(os, "memfd_create"):
        return os.memfd_create("jakala-render", os.MFD_CLOEXEC)
    import tempfile

    return os.dup(tempfile.TemporaryFile().fileno())


def start(work: Callable[[], Any], label: str) -> Job:
    """Fork a copy of this process that computes ``work()``; return its :class:`Job`.

    ``work`` must return something picklable and must not write files (the caller writes
    them from the result). Its warnings and printed output are passed back and shown by
    :meth:`Job.result`.

    Examples
    --------
    >>> job = start(lambda: sum(range(10)), "a sum")
    >>> job.result()
    45
    >>> try:
    ...     start(lambda: 1 / 0, "a division").result()
    ... except PipelineError as exc:
    ...     print(exc.message)
    ZeroDivisionError: division by zero
    """
    for earlier in list(_LIVE.values()):  # reap the copies that have ended (no zombies left behind)
        earlier.running()
    fd = _anonymous_file()
    with warnings.catch_warnings():
        # Python 3.12+ warns that a multi-threaded process forks (ipykernel has threads): the copy
        # runs only `work` in this thread and touches none of their locks or streams
        warnings.filterwarnings("ignore", message=".*multi-threaded.*fork", category=DeprecationWarning)
        pid = os.fork()  # the kernel's unflushed output stays its own: the copy never flushes it
    if pid == 0:  # the copy: compute, write the result, leave without running any cleanup
        status = 0
        try:
            gc.disable()  # a collection would touch (and so copy) every page shared with the kernel
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            captured = io.StringIO()
            sys.stdout = sys.stderr = captured  # never the kernel's streams (their threads are not here)
            payload: dict[str, Any]
            try:
                with warnings.catch_warnings(record=True) as caught:
                    value = work()
                payload = {"value": value, "output": captured.getvalue(),
                           "warnings": [(str(w.message), w.category.__name__) for w in caught]}
            except BaseException as exc:  # noqa: BLE001 - passed to the caller
                payload = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc(),
                           "output": captured.getvalue()}
            data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        except BaseException:  # noqa: BLE001 - nothing to report to: no result means failure
            status = 1
        finally:
            os._exit(status)
    job = Job(pid, fd, label)
    _LIVE[pid] = job
    return job


def abandon() -> int:
    """End every job of this process that is still running; return how many there were."""
    jobs = list(_LIVE.values())
    for job in jobs:
        job.abandon()
    return len(jobs)

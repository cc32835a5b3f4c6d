"""Two commands on one workspace folder never interleave: the second refuses, or waits with --wait."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analysis.errors import PipelineError
from analysis.workspace import Workspace, lock_path, workspace_lock

PROJECT = Path(__file__).resolve().parents[1]
HOLD = """
import sys, time
from pathlib import Path
from analysis.workspace import Workspace, workspace_lock
ws = Workspace(root=Path(sys.argv[1]), project=Path(sys.argv[2]))
with workspace_lock(ws, "jakala run"):
    Path(sys.argv[3]).write_text("holding")
    time.sleep(float(sys.argv[4]))
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(PROJECT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _hold(root: Path, seconds: float) -> subprocess.Popen:
    flag = root / "holding.txt"
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(root), str(PROJECT), str(flag), str(seconds)], env=_env())
    deadline = time.monotonic() + 60
    while not flag.exists():
        assert proc.poll() is None and time.monotonic() < deadline, "the holder did not start"
        time.sleep(0.05)
    return proc


def _jakala(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis.cli", "--root", str(root), "--project", str(PROJECT), *args],
                          env=_env(), capture_output=True, text=True, timeout=120)  # fmt: skip


@pytest.mark.slow  # runs jakala in subprocesses
def test_second_command_refuses_while_a_batch_holds_the_workspace(tmp_path):
    holder = _hold(tmp_path, 20)
    try:
        started = time.monotonic()
        result = _jakala(tmp_path, "ingest")
        assert time.monotonic() - started < 20  # refused at once, did not wait for the holder
        assert result.returncode != 0
        assert "is in use by jakala run (process" in result.stderr and "--wait" in result.stderr
        with pytest.raises(PipelineError, match="in use by jakala run"):
            with workspace_lock(Workspace(root=tmp_path, project=PROJECT), "jakala ingest"):
                pass
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.slow  # runs jakala in subprocesses
def test_with_wait_the_second_command_starts_when_the_first_ends(tmp_path):
    holder = _hold(tmp_path, 4)
    started = time.monotonic()
    result = _jakala(tmp_path, "ingest", "--wait")  # no manifest here: fails, but only after the holder is done
    elapsed = time.monotonic() - started
    holder.wait()
    assert "Waiting for jakala run (process" in result.stdout
    assert elapsed >= 2.5 and holder.returncode == 0
    assert "no data manifest" in result.stderr
    assert lock_path(Workspace(root=tmp_path, project=PROJECT)).exists()
    assert not lock_path(Workspace(root=tmp_path, project=PROJECT)).with_suffix(".holder").exists()

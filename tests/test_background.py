"""Figures drawn in forked copies of the kernel (analysis.background) give the same files and records."""

from __future__ import annotations

import os
import time
import warnings

import matplotlib

matplotlib.use("Agg")
import pytest

from analysis import background
from analysis.errors import PipelineError
from analysis.findings import Registry, style

pytestmark = pytest.mark.skipif(not background.can_fork(), reason="forked rendering needs Linux (os.fork)")

CAPTION = {"fi": "Pylväät", "en": "Bars"}


@pytest.fixture
def forking(monkeypatch):
    """A copy may always start (one at a time), whatever the load of the machine."""
    monkeypatch.setenv(background.ENV, "1")
    monkeypatch.setattr(background, "idle_cores", lambda: 1)
    started = []
    real_start = background.start

    def start(work, label):
        job = real_start(work, label)
        started.append(job)
        return job

    monkeypatch.setattr(background, "start", start)
    return started


def _draw(language):
    fig, ax = style.new_figure("half")
    ax.bar(["a", "b", "c"], [0.25, 0.5, 0.125])
    ax.set_ylabel("Osuus" if language == "fi" else "Share")
    ax.set_title("Kolme ryhmää" if language == "fi" else "Three groups")
    return fig


def test_a_job_returns_its_value_and_passes_warnings_and_output_back(capsys):
    def work():
        print("drawn")
        warnings.warn("a warning from the copy", UserWarning)
        return {"bytes": b"\x89PNG", "n": 3}

    job = background.start(work, "run 'demo', figure 'x'")
    with pytest.warns(UserWarning, match="a warning from the copy"):
        assert job.result() == {"bytes": b"\x89PNG", "n": 3}
    assert "drawn" in capsys.readouterr().out
    assert not job.running()


def test_an_error_in_the_copy_is_raised_with_where_and_the_traceback():
    def work():
        raise KeyError("role")

    with pytest.raises(PipelineError) as info:
        background.start(work, "run 'demo', figure 'roles'").result()
    assert info.value.message == "KeyError: 'role'"
    assert info.value.location == "run 'demo', figure 'roles'"
    assert "Traceback" in info.value.hint and "JAKALA_RENDER_PROCESSES=0" in info.value.hint


def test_a_copy_that_ends_without_a_result_is_an_error():
    with pytest.raises(PipelineError, match=r"ended without a result \(exit code 3\)"):
        background.start(lambda: os._exit(3), "run 'demo', figure 'roles'").result()


def test_abandon_ends_a_running_copy():
    job = background.start(lambda: time.sleep(60), "a long one")
    assert job.running()
    assert background.abandon() == 1
    assert job.done and job.pid not in background._LIVE
    with pytest.raises(ChildProcessError):
        os.waitpid(job.pid, os.WNOHANG)  # reaped: no zombie left


@pytest.mark.parametrize("value, expected", [("0", 0), ("1", 1), ("3", 3)])
def test_processes_reads_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv(background.ENV, value)
    assert background.processes() == expected


@pytest.mark.parametrize("value", ["-1", "two", "1.5"])
def test_processes_refuses_what_is_not_a_count(monkeypatch, value):
    monkeypatch.setenv(background.ENV, value)
    with pytest.raises(ValueError, match="JAKALA_RENDER_PROCESSES must be a whole number"):
        background.processes()


def test_no_copy_without_an_idle_core_or_a_free_slot(monkeypatch):
    monkeypatch.setenv(background.ENV, "1")
    monkeypatch.setattr(background, "idle_cores", lambda: 0)
    assert not background.may_start(0)
    monkeypatch.setattr(background, "idle_cores", lambda: 1)
    assert background.may_start(0) and not background.may_start(1)
    monkeypatch.setenv(background.ENV, "0")
    assert not background.may_start(0)


def _figures(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "figures").rglob("*")) if p.is_file()}


def test_a_figure_drawn_in_a_copy_equals_one_drawn_in_the_kernel(tmp_path, monkeypatch, forking):
    drawn = {}
    for mode in ("kernel", "copy"):
        monkeypatch.setenv(background.ENV, "0" if mode == "kernel" else "2")  # 2: the second need not wait
        root = tmp_path / mode
        reg = Registry.for_run("demo", root=root)
        reg.figure("bars", _draw, caption=CAPTION, no_counts="shares of a made-up example")
        reg.figure("bars_again", _draw, caption=CAPTION, no_counts="shares of a made-up example")
        if mode == "copy":
            assert len(forking) == 2
            assert (root / "figures" / "demo" / "bars.png").is_file()  # the run's language: written at once
        reg.save()
        drawn[mode] = (_figures(root), reg.to_dict())
    assert drawn["copy"][0] == drawn["kernel"][0]
    assert list(drawn["copy"][0]) == ["figures/demo/bars.en.png", "figures/demo/bars.en.svg", "figures/demo/bars.png",
                                      "figures/demo/bars.svg", "figures/demo/bars_again.en.png",
                                      "figures/demo/bars_again.en.svg", "figures/demo/bars_again.png",
                                      "figures/demo/bars_again.svg"]
    assert drawn["copy"][1] == drawn["kernel"][1]
    assert list(drawn["copy"][1]["items"][0]["files"]) == ["png", "svg", "png_en", "svg_en"]


def test_a_drawing_that_fails_in_the_copy_fails_the_save(tmp_path, forking):
    reg = Registry.for_run("demo", root=tmp_path)

    def draw(language):
        if language == "en":
            raise ValueError("no English label for 'muu'")
        return _draw(language)

    reg.figure("bars", draw, caption=CAPTION, no_counts="shares of a made-up example")
    with pytest.raises(PipelineError, match="no English label") as info:
        reg.save()
    assert info.value.location == "run 'demo', figure 'bars'"
    assert not reg.path.exists()  # nothing published of a failed run's registry
    assert not (tmp_path / "figures" / "demo" / "bars.en.png").exists()


def test_registering_a_figure_again_writes_the_earlier_drawing_first(tmp_path, forking):
    reg = Registry.for_run("demo", root=tmp_path)
    reg.figure("bars", _draw, caption=CAPTION, no_counts="shares of a made-up example")
    reg.figure("bars", _draw, caption={"fi": "Pylväät taas", "en": "Bars again"}, no_counts="the same shares")
    reg.wait()
    assert [i["caption"]["en"] for i in reg.items] == ["Bars again"]
    assert set(reg.items[0]["files"]) == {"png", "svg", "png_en", "svg_en"}
    assert not any(job.running() for job in forking)


def test_a_registry_dropped_unsaved_ends_its_drawings(tmp_path, forking):
    import gc

    reg = Registry.for_run("demo", root=tmp_path)
    reg.figure("bars", _draw, caption=CAPTION, no_counts="shares of a made-up example")
    (job,) = forking
    del reg
    gc.collect()
    assert job.done and job.pid not in background._LIVE

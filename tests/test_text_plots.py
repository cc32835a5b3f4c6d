"""Figures of the text analysis: Axes (``ax=``) or Figures of panels (``axes=``), fi/en labels, never shown."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from analysis.errors import DataError
from analysis.text.plots import plot_keyness, plot_share_trend, plot_talk_share, plot_top_lemmas


@pytest.fixture
def part():
    rows = []
    for wid, young in [("W01", 0.1), ("W02", 0.3)]:
        rows += [dict(workshop_id=wid, speaker_role="young_person", share_words=young, share_turns=young),
                 dict(workshop_id=wid, speaker_role="social_worker", share_words=1 - young - 0.2, share_turns=0.5),
                 dict(workshop_id=wid, speaker_role="facilitator", share_words=0.2, share_turns=0.5 - young)]
    return pd.DataFrame(rows)


def test_talk_share_plot(part):
    shares = pd.DataFrame({"workshop_id": ["W01", "W02"], "share": [0.1, 0.3], "ci_low": [0.05, 0.2],
                           "ci_high": [0.15, 0.4], "date": pd.to_datetime(["2024-05-01", "2024-10-01"])})
    ax = plot_talk_share(part, shares)
    assert isinstance(ax, Axes)
    assert ax.get_ylabel() == "Osuus puheen sanoista"
    assert "nuori" in [t.get_text() for t in ax.get_legend().get_texts()]
    ax_en = plot_talk_share(part, language="en")
    assert ax_en.get_xlabel() == "Workshop"
    assert "young person" in [t.get_text() for t in ax_en.get_legend().get_texts()]
    trend = plot_share_trend(shares, language="en")
    assert trend.get_ylabel() == "Young people's share of words"
    with pytest.raises(ValueError):
        plot_talk_share(part, language="sv")
    with pytest.raises(DataError):
        plot_talk_share(part.iloc[0:0])


def test_keyness_and_top_lemma_plots():
    kd = pd.DataFrame({"lemma": ["asunto", "vuokra", "yhteistyö", "kunta"], "g2": [20.0, 5.0, 15.0, 1.0],
                       "log_ratio": [2.0, 1.0, -1.5, -0.5], "p": [1e-5, 0.03, 1e-4, 0.3],
                       "direction": ["target", "target", "reference", "reference"],
                       "target": "young_person", "reference": "other"})
    ax = plot_keyness(kd, top=2)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["yhteistyö", "kunta", "vuokra", "asunto"]
    widths = sorted(p.get_width() for p in ax.patches)
    assert widths == [-15.0, -1.0, 5.0, 20.0]
    freq = pd.DataFrame({"speaker_role": ["young_person"] * 3 + ["social_worker"] * 2,
                         "lemma": ["asunto", "vuokra", "raha", "yhteistyö", "kunta"],
                         "per_1000": [50.0, 30.0, 10.0, 40.0, 20.0], "count": [5, 3, 1, 4, 2]})
    fig2 = plot_top_lemmas(freq, "speaker_role", top=2, language="en")
    titles = sorted(a.get_title() for a in fig2.axes if a.get_visible())
    assert titles == ["social worker", "young person"]
    young_ax = [a for a in fig2.axes if a.get_title() == "young person"][0]
    assert [t.get_text() for t in young_ax.get_yticklabels()] == ["vuokra", "asunto"]


def test_axes_level_plots_draw_into_a_given_axes(part):
    """``ax=`` is drawn into and returned; its figure keeps its size; panels go into ``axes=``."""
    shares = pd.DataFrame({"workshop_id": ["W01", "W02"], "share": [0.1, 0.3], "ci_low": [0.05, 0.2],
                           "ci_high": [0.15, 0.4], "date": pd.to_datetime(["2024-05-01", "2024-10-01"])})
    kd = pd.DataFrame({"lemma": ["asunto", "kunta"], "g2": [20.0, 4.0], "log_ratio": [2.0, -0.5], "p": [1e-5, 0.01],
                       "direction": ["target", "reference"]})
    fig, axes = plt.subplots(1, 3, figsize=(9, 3))
    assert plot_talk_share(part, shares, ax=axes[0]) is axes[0]
    assert plot_share_trend(shares, ax=axes[1]) is axes[1]
    assert plot_keyness(kd, ax=axes[2]) is axes[2]
    assert len(fig.axes) == 3 and tuple(fig.get_size_inches()) == (9.0, 3.0)
    assert axes[0].get_ylabel() == "Osuus puheen sanoista" and len(axes[2].patches) == 2
    freq = pd.DataFrame({"speaker_role": ["young_person", "social_worker"], "lemma": ["asunto", "kunta"],
                         "per_1000": [5.0, 4.0], "count": [5, 4]})
    fig2, panels = plt.subplots(2, 1)
    assert plot_top_lemmas(freq, "speaker_role", language="en", axes=panels) is fig2
    assert [a.get_title() for a in panels] == ["social worker", "young person"]
    with pytest.raises(ValueError, match="2 groups need 2 Axes"):
        plot_top_lemmas(freq, "speaker_role", axes=panels[:1])
    plt.close("all")


def test_many_workshops_give_a_legible_figure_with_bars_as_collections():
    """A national data set (hundreds of workshops): every k-th name on the axis, no point labels, no overlaps."""
    from matplotlib.collections import PolyCollection

    from analysis.findings.style import render_and_check
    from analysis.text.plots import MAX_LABELS

    ids = [f"W{i:03d}" for i in range(1, 61)]
    rows = []
    for i, wid in enumerate(ids):
        young = 0.1 + 0.3 * i / len(ids)
        rows += [dict(workshop_id=wid, speaker_role="young_person", share_words=young, share_turns=young),
                 dict(workshop_id=wid, speaker_role="social_worker", share_words=0.8 - young, share_turns=0.5),
                 dict(workshop_id=wid, speaker_role="facilitator", share_words=0.2, share_turns=0.5 - young)]
    part = pd.DataFrame(rows)
    young = part[part["speaker_role"] == "young_person"]["share_words"].to_numpy()
    shares = pd.DataFrame({"workshop_id": ids, "share": young, "ci_low": young - 0.05, "ci_high": young + 0.05,
                           "date": pd.date_range("2024-05-01", periods=len(ids), freq="W")})
    ax = plot_talk_share(part, shares)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert 1 < len(labels) <= MAX_LABELS and labels == ids[::3] and labels[0] == "W001"
    bars = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bars) == 3 and all(len(c.get_paths()) == len(ids) for c in bars) and not ax.patches
    tops = np.sum([[p.vertices[2, 1] - p.vertices[1, 1] for p in c.get_paths()] for c in bars], axis=0)
    assert np.allclose(tops, 1.0)  # the roles' shares of each workshop stack up to the whole
    assert render_and_check(ax.figure, "fi")[1] == []
    trend = plot_share_trend(shares)
    assert not trend.texts and render_and_check(trend.figure, "fi")[1] == []
    few = plot_share_trend(shares.head(5))
    assert [t.get_text() for t in few.texts] == ids[:5]  # a few workshops: each point named

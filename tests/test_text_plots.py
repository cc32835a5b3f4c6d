"""Figures of the text analysis: return Figures with fi/en labels, never show."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
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
    fig = plot_talk_share(part, shares)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "Osuus puheen sanoista"
    assert "nuori" in [t.get_text() for t in ax.get_legend().get_texts()]
    fig_en = plot_talk_share(part, language="en")
    assert fig_en.axes[0].get_xlabel() == "Workshop"
    assert "young person" in [t.get_text() for t in fig_en.axes[0].get_legend().get_texts()]
    trend = plot_share_trend(shares, language="en")
    assert trend.axes[0].get_ylabel() == "Young people's share of words"
    with pytest.raises(ValueError):
        plot_talk_share(part, language="sv")
    with pytest.raises(DataError):
        plot_talk_share(part.iloc[0:0])


def test_keyness_and_top_lemma_plots():
    kd = pd.DataFrame({"lemma": ["asunto", "vuokra", "yhteistyö", "kunta"], "g2": [20.0, 5.0, 15.0, 1.0],
                       "log_ratio": [2.0, 1.0, -1.5, -0.5], "p": [1e-5, 0.03, 1e-4, 0.3],
                       "direction": ["target", "target", "reference", "reference"],
                       "target": "young_person", "reference": "other"})
    fig = plot_keyness(kd, top=2)
    ax = fig.axes[0]
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

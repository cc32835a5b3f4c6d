"""Turns and words per role, young people's share with a cluster-bootstrap CI, and the trend."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.text.participation import participation, share_trend, talk_share


def _workshop(wid: str, young_share: float, rng: np.random.Generator, n_turns: int = 60) -> pd.DataFrame:
    roles = np.where(rng.random(n_turns) < young_share, "young_person", "social_worker")
    texts = [" ".join(["sana"] * int(rng.integers(3, 25))) + " [naurua]" for _ in range(n_turns)]
    speakers = ["Nuori 1" if r == "young_person" else "ST 1" for r in roles]
    return pd.DataFrame({"workshop_id": wid, "turn": np.arange(1, n_turns + 1), "speaker": speakers,
                         "speaker_role": roles, "text": texts})


@pytest.fixture(scope="module")
def turns():
    rng = np.random.default_rng(3)
    return pd.concat([_workshop(f"W0{i + 1}", s, rng) for i, s in enumerate([0.1, 0.25, 0.4, 0.55])],
                     ignore_index=True)


@pytest.fixture(scope="module")
def workshops():
    return pd.DataFrame({"workshop_id": ["W01", "W02", "W03", "W04"],
                         "date": ["2024-05-14", "2024-11-20", "2025-05-06", "2025-11-11"],
                         "work_package": ["TP1", "TP1", "TP2B", "TP2B"]})


def test_participation_counts(turns):
    part = participation(turns)
    w1 = part[part.workshop_id == "W01"].set_index("speaker_role")
    raw = turns[turns.workshop_id == "W01"]
    words = raw.text.str.count("sana")
    assert w1.n_turns.sum() == len(raw)
    assert w1.loc["young_person", "n_words"] == words[raw.speaker_role == "young_person"].sum()
    assert part.groupby("workshop_id").share_words.sum().round(10).eq(1).all()
    assert part.groupby("workshop_id").share_turns.sum().round(10).eq(1).all()


def test_talk_share_ci_is_deterministic_and_covers(turns, workshops):
    s1 = talk_share(turns, workshops=workshops, n_boot=500)
    s2 = talk_share(turns, workshops=workshops, n_boot=500)
    pd.testing.assert_frame_equal(s1, s2)
    assert list(s1.workshop_id) == ["W01", "W02", "W03", "W04"] and "work_package" in s1
    assert ((s1.ci_low <= s1.share) & (s1.share <= s1.ci_high)).all()
    assert ((s1.ci_high - s1.ci_low) > 0.02).all()
    # a workshop's CI does not depend on which other workshops are analysed
    alone = talk_share(turns[turns.workshop_id == "W03"], n_boot=500)
    assert alone.ci_low.iloc[0] == s1.set_index("workshop_id").loc["W03", "ci_low"]


def test_cluster_bootstrap_wider_than_wilson(turns):
    """Words are clustered in turns: the turn bootstrap is wider than a Wilson CI on words."""
    from statsmodels.stats.proportion import proportion_confint

    s = talk_share(turns, n_boot=1000).iloc[2]
    lo, hi = proportion_confint(s.n_words_role, s.n_words, method="wilson")
    assert (s.ci_high - s.ci_low) > 1.5 * (hi - lo)


def test_trend_detects_rising_share(turns, workshops):
    shares = talk_share(turns, workshops=workshops, n_boot=200)
    trend = share_trend(shares).set_index("method")
    assert trend.loc["spearman", "statistic"] == pytest.approx(1.0)
    assert trend.loc["glm_quasibinomial", "statistic"] > 0
    assert trend.loc["glm_quasibinomial", "direction"] == "increasing"
    assert trend.loc["glm_quasibinomial", "ci_low"] > 0
    flat = share_trend(shares.head(2))
    assert set(flat.direction) == {"no clear trend"}


def test_bad_input(turns):
    with pytest.raises(DataError, match="lacks column"):
        talk_share(turns.drop(columns="speaker_role"))
    with pytest.raises(ValueError):
        talk_share(turns, n_boot=10)

"""The Kruskal–Wallis bootstrap counts instead of ranking: the same ε² CIs, bit for bit."""

import numpy as np
import pytest

from analysis.survey import compare as C


def _ranked(groups, **kw):
    """kruskal_wallis with the bootstrap statistic that ranks every resample (the definition)."""
    saved = C._epsilon_squared_by_counts
    C._epsilon_squared_by_counts = lambda values: C._epsilon_squared
    try:
        return C.kruskal_wallis(groups, **kw)
    finally:
        C._epsilon_squared_by_counts = saved


@pytest.mark.parametrize("kind", ["likert", "means of items", "continuous", "uneven grid"])
def test_bootstrap_by_counts_gives_the_ranked_definitions_results(kind):
    rng = np.random.default_rng(11)
    for _ in range(8):
        sizes = rng.integers(2, 80, rng.integers(2, 6))
        if kind == "likert":
            groups = [rng.integers(1, 6, n).astype(float) for n in sizes]
        elif kind == "means of items":
            groups = [rng.integers(4, 21, n) / 4 for n in sizes]
        elif kind == "continuous":
            groups = [rng.normal(size=n) for n in sizes]
        else:
            groups = [rng.choice([0.1, 0.25, 0.7, 3.0, 10.5], n) for n in sizes]
        counted, ranked = C.kruskal_wallis(groups, n_boot=300), _ranked(groups, n_boot=300)
        assert counted.keys() == ranked.keys()
        for key, value in counted.items():
            assert value == ranked[key] or (value != value and ranked[key] != ranked[key]), key


def test_the_counting_statistic_matches_the_ranking_one_on_resamples():
    rng = np.random.default_rng(3)
    a, b, c = (rng.integers(0, 9, (50, n)) / 2 for n in (30, 12, 41))
    statistic = C._epsilon_squared_by_counts(np.concatenate([a.ravel(), b.ravel(), c.ravel()]))
    assert np.array_equal(statistic(a, b, c), C._epsilon_squared(a, b, c))
    outside = np.full((50, 12), 99.0)  # a value the data lack: ranked as before, still right
    assert np.array_equal(statistic(a, outside, c), C._epsilon_squared(a, outside, c))

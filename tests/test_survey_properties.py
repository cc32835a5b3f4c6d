"""Property tests (hypothesis): invariants of reverse coding, reliability and effect sizes."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.survey.compare import rank_biserial_independent, rank_biserial_paired, wilcoxon_paired
from analysis.survey.reliability import cronbach_alpha
from analysis.survey.scores import reverse_code

likert = st.integers(min_value=1, max_value=5)


@given(st.lists(st.one_of(likert, st.just(float("nan"))), min_size=1, max_size=30),
       st.integers(0, 3), st.integers(1, 6))
def test_reverse_coding_twice_is_identity(values, low, width):
    high = low + width
    series = pd.Series(values, dtype=float)
    twice = reverse_code(reverse_code(series, low, high), low, high)
    pd.testing.assert_series_equal(twice, series)


@given(st.lists(likert, min_size=3, max_size=30).filter(lambda v: len(set(v)) > 1), st.integers(2, 6))
def test_alpha_of_identical_items_is_one(values, k):
    data = pd.DataFrame({f"i{j}": values for j in range(k)})
    assert abs(cronbach_alpha(data)["alpha"] - 1.0) < 1e-12


@settings(max_examples=60, deadline=None)
@given(st.lists(likert, min_size=1, max_size=25), st.lists(likert, min_size=1, max_size=25))
def test_independent_rank_biserial_in_bounds(x, y):
    r, low, high = rank_biserial_independent(x, y)
    assert -1 <= r <= 1
    assert -1 <= low <= r <= high <= 1


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(likert, likert), min_size=1, max_size=25),
       st.sampled_from(["pratt", "wilcox", "zsplit"]))
def test_paired_rank_biserial_in_bounds(pairs, zero_method):
    before = [p[0] for p in pairs]
    after = [p[1] for p in pairs]
    r, low, high = rank_biserial_paired(before, after, zero_method=zero_method)
    if np.isnan(r):
        assert zero_method == "wilcox" and before == after
        return
    assert -1 <= r <= 1
    if not np.isnan(low):
        assert -1 <= low <= r <= high <= 1
    res = wilcoxon_paired(before, after, zero_method=zero_method)
    assert np.isnan(res["p"]) or 0 <= res["p"] <= 1


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(likert, likert), min_size=2, max_size=20))
def test_swapping_waves_flips_the_sign(pairs):
    before = [p[0] for p in pairs]
    after = [p[1] for p in pairs]
    r1 = rank_biserial_paired(before, after)[0]
    r2 = rank_biserial_paired(after, before)[0]
    assert np.isclose(r1, -r2, equal_nan=True)

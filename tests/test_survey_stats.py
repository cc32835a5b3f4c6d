"""Survey statistics against independently computed reference values (R and published examples).

Every constant below names its source. R outputs are from the R documentation examples
whose data are printed in the help pages (``?wilcox.test``, ``?kruskal.test``,
``?chisq.test``, ``?fisher.test``) and from the test suites of R ``effectsize`` and
Python ``pingouin`` (whose values were checked against ``psych::alpha``).
"""

import io

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.survey import apa
from analysis.survey.compare import (
    adjust_pvalues,
    categorical_test,
    dunn_posthoc,
    kruskal_wallis,
    mann_whitney,
    rank_biserial_independent,
    rank_biserial_paired,
    wilcoxon_paired,
)
from analysis.survey.needs import wilson_ci
from analysis.survey.reliability import alpha_ci_feldt, cronbach_alpha, item_statistics, omega_total

# Hollander & Wolfe (1973), p. 29 — R ?wilcox.test, depression scores (first x, second y).
DEPRESSION_X = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]
DEPRESSION_Y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]
# Hollander & Wolfe (1973), p. 69 — R ?wilcox.test, permeability constants.
PERM_X = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46]
PERM_Y = [1.15, 0.88, 0.90, 0.74, 1.21]
# Hollander & Wolfe (1973), p. 116 — R ?kruskal.test, mucociliary efficiency.
KW_X = [2.9, 3.0, 2.5, 2.6, 3.2]
KW_Y = [3.8, 2.7, 4.0, 2.4]
KW_Z = [2.8, 3.4, 3.7, 2.2, 2.0]
# Agresti (2007), p. 39 — R ?chisq.test, gender × party identification.
AGRESTI_M = [[762, 327, 468], [484, 239, 477]]
# Agresti (2002), p. 57 — R ?fisher.test, job satisfaction by income (4 × 4), and TeaTasting.
JOB = np.array([[1, 2, 1, 0], [3, 3, 6, 1], [10, 10, 14, 9], [6, 7, 12, 11]]).T
TEA = [[3, 1], [1, 3]]
# pingouin dataset "cronbach_wide_missing" (from real-statistics.com), used in pingouin's
# tests against psych::alpha.
CRONBACH_CSV = """Q1,Q2,Q3,Q4,Q5,Q6,Q7,Q8,Q9,Q10,Q11
1,1,1,1,1,1,1,1,1,1,1
1,1,1,1,1,1,1,1,0,1,0
,0,1,1,,1,1,1,1,0,0
1,1,1,0,1,1,0,1,1,0,0
1,1,1,1,1,0,0,0,1,0,0
0,1,,0,1,1,1,1,0,0,0
1,1,1,1,0,0,1,0,0,0,0
1,1,1,1,1,0,0,0,0,0,0
0,1,0,1,1,0,0,0,0,1,0
1,0,0,1,0,1,0,0,,0,0
1,1,1,0,0,0,0,0,0,0,0
1,0,0,1,0,0,0,0,0,0,0
"""
# R datasets::mtcars, mpg by am (0 = automatic, 1 = manual).
MTCARS_MPG = [21, 21, 22.8, 21.4, 18.7, 18.1, 14.3, 24.4, 22.8, 19.2, 17.8, 16.4, 17.3, 15.2, 10.4, 10.4,
              14.7, 32.4, 30.4, 33.9, 21.5, 15.5, 15.2, 13.3, 19.2, 27.3, 26, 30.4, 15.8, 19.7, 15, 21.4]
MTCARS_AM = [1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1]


def test_wilcoxon_signed_rank_matches_r_depression_example():
    # R: wilcox.test(x, y, paired = TRUE, alternative = "greater") -> V = 40, p-value = 0.01953;
    # two-sided p = 2 * 0.01953 = 0.03906.
    res = wilcoxon_paired(DEPRESSION_Y, DEPRESSION_X)  # after - before = x - y
    assert res["statistic"] == 40
    assert res["p"] == pytest.approx(0.0390625, abs=1e-6)
    assert res["n_pairs"] == 9 and res["n_zero"] == 0


def test_matched_pairs_rank_biserial_matches_effectsize():
    # R effectsize tests/testthat/test-rankES.R: rank_biserial(x, y, paired = TRUE)
    # -> 0.777, CI [0.2953631, 0.9441559].
    r, low, high = rank_biserial_paired(DEPRESSION_Y, DEPRESSION_X)
    assert r == pytest.approx(0.7777778, abs=1e-6)
    assert low == pytest.approx(0.2953631, abs=1e-6)
    assert high == pytest.approx(0.9441559, abs=1e-6)


def test_mann_whitney_matches_r_permeability_example():
    # R: wilcox.test(x, y, alternative = "g") -> W = 35, p-value = 0.1272 (exact);
    # two-sided exact p = 0.2544.
    res = mann_whitney(PERM_X, PERM_Y)
    assert res["statistic"] == 35
    assert res["p"] == pytest.approx(0.2544, abs=1e-4)


def test_rank_biserial_independent_matches_effectsize():
    # effectsize test-rankES.R: rank_biserial(A, B) = 0.6071429
    assert rank_biserial_independent([48, 48, 77, 86, 85, 85, 16], [14, 34, 34, 77])[0] == pytest.approx(
        0.6071429, abs=1e-6)
    # effectsize ?rank_biserial: rank_biserial(mpg ~ am, data = mtcars) -> -0.66, 95% CI [-0.84, -0.36]
    auto = [m for m, a in zip(MTCARS_MPG, MTCARS_AM) if a == 0]
    manual = [m for m, a in zip(MTCARS_MPG, MTCARS_AM) if a == 1]
    r, low, high = rank_biserial_independent(auto, manual)
    assert (round(r, 2), round(low, 2), round(high, 2)) == (-0.66, -0.84, -0.36)


def test_kruskal_wallis_matches_r_and_effectsize():
    # R: kruskal.test(list(x, y, z)) -> chi-squared = 0.77143, df = 2, p-value = 0.68
    # effectsize test-rankES.R: rank_epsilon_squared(x, g) = 0.05934066
    res = kruskal_wallis([KW_X, KW_Y, KW_Z], n_boot=300, seed=1)
    assert res["statistic"] == pytest.approx(0.77143, abs=1e-5)
    assert res["df"] == 2
    assert res["p"] == pytest.approx(0.68, abs=0.005)
    assert res["effect"] == pytest.approx(0.05934066, abs=1e-7)
    assert 0 <= res["ci_low"] <= res["effect"] <= res["ci_high"] <= 1
    again = kruskal_wallis([KW_X, KW_Y, KW_Z], n_boot=300, seed=1)
    assert (again["ci_low"], again["ci_high"]) == (res["ci_low"], res["ci_high"])  # fixed seed


def test_dunn_posthoc_matches_hand_computed_dunn_1964():
    # Dunn (1964) z for groups i, j: (mean rank_i - mean rank_j) / sqrt(N(N+1)/12 * (1/n_i + 1/n_j))
    # with no ties here (all 14 values distinct); two-sided normal p; Holm across 3 pairs.
    from scipy import stats

    values = KW_X + KW_Y + KW_Z
    groups = ["x"] * 5 + ["y"] * 4 + ["z"] * 5
    ranks = stats.rankdata(values)
    n = len(values)
    mean_rank = {g: np.mean([r for r, gg in zip(ranks, groups) if gg == g]) for g in "xyz"}
    size = {g: groups.count(g) for g in "xyz"}
    expected = {}
    for a, b in (("x", "y"), ("x", "z"), ("y", "z")):
        z = (mean_rank[a] - mean_rank[b]) / np.sqrt(n * (n + 1) / 12 * (1 / size[a] + 1 / size[b]))
        expected[(a, b)] = 2 * stats.norm.sf(abs(z))
    table = dunn_posthoc(pd.DataFrame({"v": values, "g": groups}), "v", "g")
    got = {(r.group_a, r.group_b): r.p for r in table.itertuples()}
    for key, p in expected.items():
        assert got[key] == pytest.approx(p, rel=1e-9)
    holm = adjust_pvalues(list(expected.values()), "holm")
    assert table["p_adjusted"].to_numpy() == pytest.approx(holm)


def test_chi_square_matches_r_agresti_example():
    # R: chisq.test(M) -> X-squared = 30.07, df = 2, p-value = 2.954e-07
    res = categorical_test(AGRESTI_M)
    assert res["test"] == "chi2"
    assert res["statistic"] == pytest.approx(30.07, abs=0.005)
    assert res["df"] == 2
    assert res["p"] == pytest.approx(2.954e-07, rel=1e-3)
    # Cramér's V = sqrt(X² / (N (min(r, c) - 1))) with the R statistic
    assert res["effect"] == pytest.approx(np.sqrt(30.070149 / 2757), abs=1e-6)


def test_fisher_exact_matches_r_examples():
    # R: fisher.test(TeaTasting) two-sided p-value = 0.4857
    res = categorical_test(TEA)
    assert res["test"] == "fisher"
    assert res["p"] == pytest.approx(0.4857, abs=1e-4)
    # R: fisher.test(Job) -> p-value = 0.7827 (exact network algorithm); ours is the
    # Monte Carlo p of 20 000 tables: within Monte Carlo error (SE ≈ 0.003).
    res = categorical_test(JOB)
    assert res["test"] == "fisher_mc"
    assert res["p"] == pytest.approx(0.7827, abs=0.012)


def test_cronbach_alpha_matches_psych():
    data = pd.read_csv(io.StringIO(CRONBACH_CSV))
    # pingouin docs: psych::alpha(data, use = "pairwise") -> 0.732661, Feldt CI [0.435, 0.909]
    res = cronbach_alpha(data, missing="pairwise")
    assert res["alpha"] == pytest.approx(0.732661, abs=1e-6)
    assert (round(res["ci_low"], 3), round(res["ci_high"], 3)) == (0.435, 0.909)
    # pingouin docs: psych::alpha(data, use = "complete.obs") -> 0.801695
    res = cronbach_alpha(data, missing="listwise")
    assert res["alpha"] == pytest.approx(0.801695, abs=1e-6)
    assert res["n"] == 9
    # pingouin reports the Feldt CI [0.581, 0.933] with n = 12 (rows before deletion);
    # we use the 9 complete rows, and the formula reproduces pingouin's numbers at n = 12.
    assert [round(v, 3) for v in alpha_ci_feldt(0.801695, 12, 11)] == [0.581, 0.933]
    assert res["ci_low"] < 0.581 and res["ci_high"] > 0.933  # fewer rows -> wider CI


def test_item_statistics_match_definitions():
    data = pd.DataFrame({"a": [1, 2, 3, 4, 5, 2], "b": [2, 2, 3, 5, 4, 1], "c": [1, 3, 2, 4, 5, 2]})
    stats_ = item_statistics(data, scale="s").set_index("item")
    rest = data["b"] + data["c"]
    assert stats_.loc["a", "item_rest_r"] == pytest.approx(np.corrcoef(data["a"], rest)[0, 1])
    assert stats_.loc["a", "alpha_if_deleted"] == pytest.approx(cronbach_alpha(data[["b", "c"]])["alpha"])


def _exact_sample(loadings, n=300, seed=0):
    """Data whose sample correlation matrix equals the one-factor model exactly."""
    lam = np.asarray(loadings)
    target = np.outer(lam, lam)
    np.fill_diagonal(target, 1.0)
    x = np.random.default_rng(seed).normal(size=(n, len(lam)))
    x -= x.mean(axis=0)
    x = x @ np.linalg.cholesky(np.linalg.inv(np.cov(x, rowvar=False, ddof=0)))  # whiten
    return x @ np.linalg.cholesky(target).T


def test_omega_total_recovers_known_one_factor_model():
    # For a congeneric model with standardised loadings λ the population
    # ω = (Σλ)² / ((Σλ)² + Σ(1 − λ²)) (McDonald 1999, eq. 6.20b).
    for lam in ([0.8, 0.7, 0.6, 0.5], [0.9, 0.4, 0.6], [0.7, 0.7, 0.7, 0.7, 0.7]):
        lam = np.asarray(lam)
        expected = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())
        assert omega_total(_exact_sample(lam)) == pytest.approx(expected, abs=1e-4)
    # tau-equivalent items: ω equals standardised α
    lam = np.full(5, 0.7)
    r = 0.49
    std_alpha = 5 * r / (1 + 4 * r)
    assert omega_total(_exact_sample(lam)) == pytest.approx(std_alpha, abs=1e-4)


def test_wilson_interval_matches_newcombe_1998():
    # Newcombe (1998), Stat Med 17:857, Table I: 81/263 -> 0.2553 to 0.3662; 15/148 -> 0.0624 to 0.1605.
    assert [round(v, 4) for v in wilson_ci(81, 263)] == [0.2553, 0.3662]
    assert [round(v, 4) for v in wilson_ci(15, 148)] == [0.0624, 0.1605]


def test_holm_and_bh_match_r_p_adjust():
    # R: p.adjust(c(0.01, 0.02, 0.03, 0.04, 0.05), "holm") -> 0.05 0.08 0.09 0.09 0.09
    #    p.adjust(..., "BH") -> 0.05 0.05 0.05 0.05 0.05
    p = [0.01, 0.02, 0.03, 0.04, 0.05]
    assert adjust_pvalues(p, "holm") == pytest.approx([0.05, 0.08, 0.09, 0.09, 0.09])
    assert adjust_pvalues(p, "bh") == pytest.approx([0.05] * 5)
    assert np.isnan(adjust_pvalues([0.01, np.nan], "holm")[1])


def test_zero_methods_are_explicit_and_differ():
    before = [3, 3, 3, 2, 4, 3, 2, 3]
    after = [3, 4, 3, 4, 5, 3, 3, 4]
    pratt = wilcoxon_paired(before, after, zero_method="pratt")
    wilcox = wilcoxon_paired(before, after, zero_method="wilcox")
    assert pratt["n_zero"] == 3
    assert wilcox["effect"] == pytest.approx(1.0)  # all non-zero differences positive
    assert 0 < pratt["effect"] < 1  # zeros pull r towards 0
    with pytest.raises(ValueError, match="zero_method"):
        wilcoxon_paired(before, after, zero_method="nope")


def test_apa_strings_in_both_languages():
    assert apa.apa_test("U", 123, 0.034, effect_name="r", effect=0.32, ci=(0.05, 0.55)) == \
        "U = 123, p = .034, r = 0.32 [0.05, 0.55]"
    assert apa.apa_test("U", 123, 0.034, effect_name="r", effect=0.32, ci=(0.05, 0.55), language="fi") == \
        "U = 123, p = 0,034, r = 0,32 [0,05; 0,55]"
    assert apa.format_p(0.00001) == "p < .001"
    assert apa.format_p(0.00001, "fi") == "p < 0,001"
    assert apa.format_decimal(-0.001, "en", 2) == "0.00"
    assert apa.apa_test("H", 5.2, 0.07, df=2, language="fi").startswith("H(2) = 5,20")


def test_categorical_input_validation():
    with pytest.raises(DataError):
        categorical_test([[1, 2, 3]])
    with pytest.raises(DataError):
        categorical_test([[1.5, 2], [3, 4]])


# ----------------------------------------------------------------------------- degenerate input, validation


def test_wilson_ci_validates_its_arguments():
    for count, n in ((5, 3), (-1, 4), (1.5, 4), (0, 0), (2, -3)):
        with pytest.raises(DataError):
            wilson_ci(count, n)
    with pytest.raises(DataError):
        wilson_ci(1, 4, confidence=1.5)
    assert wilson_ci(0, 4)[0] == 0.0 and wilson_ci(4, 4)[1] == pytest.approx(1.0)


def test_kruskal_wallis_identical_values_is_a_stated_result():
    res = kruskal_wallis([[3, 3, 3], [3, 3], [3, 3, 3, 3]], n_boot=200)
    assert (res["statistic"], res["p"], res["effect"], res["df"]) == (0.0, 1.0, 0.0, 2)
    assert "identical" in res["note"]
    text = apa.apa_test("H", res["statistic"], res["p"], df=res["df"], effect_name="ε²", effect=res["effect"],
                        ci=(res["ci_low"], res["ci_high"]))
    assert "–" not in text and text.startswith("H(2) = 0.00, p = 1.000")


def test_kruskal_wallis_empty_group_raises_instead_of_changing_df():
    with pytest.raises(DataError, match="no values"):
        kruskal_wallis([[1, 2, 3], [np.nan, np.nan], [2, 3, 4]], n_boot=0)


def test_kruskal_wallis_bootstrap_is_vectorised_and_unchanged():
    # the vectorised ε² gives the same CI as the per-resample scipy.stats.kruskal loop did
    from scipy import stats

    groups = [np.sort(KW_X), np.sort(KW_Y), np.sort(KW_Z)]  # the function resamples each group sorted

    def slow(*samples):
        n = sum(len(s) for s in samples)
        return stats.kruskal(*samples).statistic / ((n**2 - 1) / (n + 1))

    ref = stats.bootstrap(tuple(groups), slow, n_resamples=300, vectorized=False, method="percentile",
                          rng=np.random.default_rng(7))
    res = kruskal_wallis(groups, n_boot=300, seed=7)
    assert res["ci_low"] == pytest.approx(ref.confidence_interval.low, abs=1e-12)
    assert res["ci_high"] == pytest.approx(ref.confidence_interval.high, abs=1e-12)


def test_kruskal_wallis_ci_does_not_depend_on_the_order_of_the_answers():
    # the order of the rows follows the pseudonymous codes, which another key file changes
    rng = np.random.default_rng(3)
    groups = [np.array(KW_X), np.array(KW_Y), np.array(KW_Z)]
    first = kruskal_wallis(groups, n_boot=500, seed=11)
    shuffled = kruskal_wallis([rng.permutation(g) for g in groups], n_boot=500, seed=11)
    assert (shuffled["ci_low"], shuffled["ci_high"]) == (first["ci_low"], first["ci_high"])


def test_compare_groups_names_groups_left_out_and_degenerate_results():
    from analysis.survey.compare import compare_groups

    data = pd.DataFrame({"scale": "s", "role": ["a"] * 4 + ["b"] * 5 + ["c"] * 3 + ["d"],
                         "score": [3.0] * 13})
    out = compare_groups(data, "role", n_boot=100).iloc[0]
    assert out["test"] == "kruskal_wallis" and out["df"] == 2
    assert "fewer than 2 answers): d" in out["note"] and "identical" in out["note"]
    assert out["p"] == 1.0 and "–" not in out["apa_en"]


def test_mann_whitney_p_follows_r_defaults():
    # R: wilcox.test(1:9, 1:9 + 3.5) -> exact p = 0.02443 (no ties, both n < 50)
    res = mann_whitney(np.arange(9.0), np.arange(9.0) + 3.5)
    assert res["p_method"] == "exact" and res["p"] == pytest.approx(0.0244343891, abs=1e-9)
    # with ties: normal approximation with continuity correction
    assert mann_whitney([1, 2, 2, 3], [2, 3, 4, 4, 5])["p_method"] == "normal, continuity-corrected"


def test_wilcoxon_all_zero_differences_is_stated():
    res = wilcoxon_paired([2, 3, 4], [2, 3, 4])
    assert (res["statistic"], res["p"], res["effect"]) == (0.0, 1.0, 0.0)
    assert "zero" in res["note"]


def _responses(values: dict[str, list[float]]) -> pd.DataFrame:
    rows = [{"instrument": "professionals", "wave": "baseline", "respondent": f"r{i}", "item": item, "value": v}
            for item, column in values.items() for i, v in enumerate(column)]
    return pd.DataFrame(rows)


def test_reliability_table_leaves_out_constant_and_empty_items_with_a_note():
    from analysis.survey import load_instrument
    from analysis.survey.reliability import reliability_table

    inst = load_instrument("config/instrument_professionals.yaml")
    rng = np.random.default_rng(3)
    base = rng.integers(1, 6, size=30).astype(float)
    noisy = lambda: np.clip(base + rng.integers(-1, 2, size=30), 1, 5).tolist()  # noqa: E731
    responses = _responses({"rc1": noisy(), "rc2": noisy(), "rc3": [3.0] * 30, "rc4": [np.nan] * 30})
    scales, items = reliability_table(responses.dropna(subset=["value"]), inst, ["role_clarity"])
    row = scales.iloc[0]
    assert row["n_items"] == 2 and np.isfinite(row["alpha"])
    assert "rc3" in row["note"] and "rc4" in row["note"]
    assert set(items["item"]) == {"rc1", "rc2"}


def test_reliability_table_is_the_same_to_the_last_digit_under_other_codes():
    # another key file gives the respondents other codes, so their rows come in another order
    from analysis.survey import load_instrument
    from analysis.survey.reliability import reliability_table

    inst = load_instrument("config/instrument_professionals.yaml")
    rng = np.random.default_rng(5)
    base = rng.normal(3, 1, size=40)
    responses = _responses({f"rc{i}": np.clip(np.round(base + rng.normal(0, 0.8, size=40)), 1, 5).tolist()
                            for i in range(1, 5)})
    recoded = responses.assign(respondent=responses["respondent"].map(lambda r: f"z{99 - int(r[1:])}"))
    first, again = (reliability_table(r, inst, ["role_clarity"]) for r in (responses, recoded))
    pd.testing.assert_frame_equal(first[0], again[0], check_exact=True)
    pd.testing.assert_frame_equal(first[1], again[1], check_exact=True)


def test_reliability_table_hints_at_reverse_coding_for_negative_alpha():
    from analysis.survey import load_instrument
    from analysis.survey.reliability import reliability_table

    inst = load_instrument("config/instrument_professionals.yaml")
    x = np.array([1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 2, 4], dtype=float)
    other = np.array([3, 2, 4, 3, 3, 2, 4, 3, 2, 3, 4, 3], dtype=float)
    # rc3 is reverse-coded by the instrument: answered like rc1, it cancels rc1 and α < 0
    responses = _responses({"rc1": x.tolist(), "rc2": other.tolist(), "rc3": x.tolist(),
                            "rc4": other[::-1].tolist()})
    row = reliability_table(responses, inst, ["role_clarity"])[0].iloc[0]
    assert row["alpha"] < 0 and "reverse" in row["note"]

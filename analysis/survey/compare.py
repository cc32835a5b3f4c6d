"""Group and wave comparisons with effect sizes, CIs, corrected p values and APA strings.

Methods (what the methods section should say)
---------------------------------------------
* **Two groups**: Mann–Whitney *U* (``scipy.stats.mannwhitneyu``, two-sided, exact
  p for small samples without ties, otherwise the normal approximation with tie and
  continuity correction, as ``wilcox.test``). *U* is reported for the first group.
  Effect: Glass's rank-biserial correlation r = 2U₁/(n₁n₂) − 1 (positive = the first
  group has higher values), 95 % CI by Fisher's z with SE = √((n₁ + n₂ + 1)/(3n₁n₂))
  (as R ``effectsize::rank_biserial``).
* **Three or more groups**: Kruskal–Wallis *H* (``scipy.stats.kruskal``, tie-corrected)
  with ε²_R = H/((n² − 1)/(n + 1)) (Tomczak & Tomczak 2014; ``effectsize::
  rank_epsilon_squared``); 95 % percentile bootstrap CI (groups resampled separately,
  fixed seed). Post hoc: Dunn's test with Holm adjustment (``scikit_posthocs``).
* **Categorical**: χ² test of independence (``scipy.stats.chi2_contingency``, Yates'
  correction for 2 × 2 as in ``chisq.test``) unless any expected count is < 1 or more
  than 20 % are < 5 (Cochran's rule); then Fisher's exact test — exact for 2 × 2, and
  for larger tables the Monte Carlo p of ``scipy.stats.fisher_exact`` (SciPy ≥ 1.15)
  with 20 000 random tables and a fixed seed (as ``fisher.test(simulate.p.value =
  TRUE)``). Effect: Cramér's V (``scipy.stats.contingency.association``).
* **Baseline vs follow-up**: for respondents present in both waves, the Wilcoxon
  signed-rank test on follow-up − baseline (``scipy.stats.wilcoxon``). Zero
  differences are handled by ``zero_method``: ``"pratt"`` (default; zeros are ranked
  and then dropped from the statistic, Pratt 1959), ``"wilcox"`` (zeros dropped before
  ranking) or ``"zsplit"``. *W* is the sum of ranks of positive differences (as
  ``V`` of R's ``wilcox.test(followup, baseline, paired = TRUE)`` and *W* of jamovi).
  Effect: matched-pairs rank-biserial r = (R⁺ − R⁻)/(m(m + 1)/2), where ranks and m
  include the zero differences for ``pratt``/``zsplit`` (so "no change" pulls r towards
  0; identical to ``effectsize::rank_biserial(paired = TRUE)``) and exclude them for
  ``wilcox``; 95 % CI by Fisher's z with SE = √((2d³ + 3d² + d)/6)/(d(d + 1)/2),
  d = number of non-zero differences (as effectsize). Respondents present in one wave
  only are compared with a Mann–Whitney test (follow-up-only vs baseline-only).
* **Multiple comparisons**: Holm (default) or Benjamini–Hochberg across the family of
  scales (``statsmodels.stats.multitest.multipletests``).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from analysis.errors import DataError
from analysis.survey.apa import apa_test
from analysis.survey.instrument import Instrument

__all__ = [
    "rank_biserial_independent",
    "rank_biserial_paired",
    "mann_whitney",
    "kruskal_wallis",
    "wilcoxon_paired",
    "categorical_test",
    "dunn_posthoc",
    "adjust_pvalues",
    "compare_groups",
    "compare_waves",
    "CORRECTIONS",
    "CHANGE_COLUMNS",
]

CORRECTIONS = {"holm": "holm", "bh": "fdr_bh", "fdr_bh": "fdr_bh", "bonferroni": "bonferroni", "none": None}

#: Columns of the ``scale_change`` table other notebooks rely on (plus extras after them).
CHANGE_COLUMNS = ["scale", "label_fi", "label_en", "n_pairs", "statistic", "p", "p_adjusted", "effect",
                  "ci_low", "ci_high", "apa_fi", "apa_en"]

GROUP_COLUMNS = ["scale", "label_fi", "label_en", "test", "groups", "n", "n_groups", "statistic", "df", "p",
                 "p_adjusted", "effect_name", "effect", "ci_low", "ci_high", "apa_fi", "apa_en"]


def _clean(values) -> np.ndarray:
    arr = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=float)
    return arr[~np.isnan(arr)]


def _fisher_z_ci(r: float, se: float, confidence: float) -> tuple[float, float]:
    if not np.isfinite(r) or not np.isfinite(se):
        return float("nan"), float("nan")
    zcrit = stats.norm.ppf(1 - (1 - confidence) / 2)
    if abs(r) >= 1.0:  # complete dominance: the Fisher-z interval degenerates to the point
        return float(r), float(r)
    rz = np.arctanh(r)
    return float(np.tanh(rz - zcrit * se)), float(np.tanh(rz + zcrit * se))


# --------------------------------------------------------------------------- effect sizes
def rank_biserial_independent(x, y, confidence: float = 0.95) -> tuple[float, float, float]:
    """Glass's rank-biserial correlation of two independent samples with its CI.

    Parameters
    ----------
    x, y : array-like
        The two samples (NaN dropped). Positive r: ``x`` tends to be larger.
    confidence : float, default 0.95

    Returns
    -------
    (r, ci_low, ci_high)

    Examples
    --------
    >>> round(rank_biserial_independent([48, 48, 77, 86, 85, 85, 16], [14, 34, 34, 77])[0], 4)
    0.6071
    """
    x, y = _clean(x), _clean(y)
    n1, n2 = len(x), len(y)
    if n1 == 0 or n2 == 0:
        return float("nan"), float("nan"), float("nan")
    u1 = stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic").statistic
    r = float(2 * u1 / (n1 * n2) - 1)
    se = np.sqrt((n1 + n2 + 1) / (3 * n1 * n2))
    return (r, *_fisher_z_ci(r, se, confidence))


def _signed_ranks(d: np.ndarray, zero_method: str) -> tuple[np.ndarray, int]:
    """Signed ranks of differences under a zero method; returns (signed ranks, m)."""
    if zero_method == "wilcox":
        d = d[d != 0]
    elif zero_method not in ("pratt", "zsplit"):
        raise ValueError(f"zero_method must be 'pratt', 'wilcox' or 'zsplit', got {zero_method!r}")
    ranks = stats.rankdata(np.abs(d))
    return np.sign(d) * ranks, len(d)


def rank_biserial_paired(before, after, *, zero_method: str = "pratt",
                         confidence: float = 0.95) -> tuple[float, float, float]:
    """Matched-pairs rank-biserial correlation of ``after − before`` with its CI.

    Parameters
    ----------
    before, after : array-like of equal length
        Paired values (pairs with a NaN are dropped).
    zero_method : {"pratt", "wilcox", "zsplit"}, default "pratt"
        How zero differences enter (see the module docstring).
    confidence : float, default 0.95

    Returns
    -------
    (r, ci_low, ci_high)
        Positive r: values increased from ``before`` to ``after``.

    Examples
    --------
    >>> x = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]
    >>> y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]
    >>> round(rank_biserial_paired(y, x)[0], 3)
    0.778
    """
    d = _paired_differences(before, after)
    signed, m = _signed_ranks(d, zero_method)
    nd = int(np.count_nonzero(d))
    if m == 0 or nd == 0:
        return (0.0 if m else float("nan")), float("nan"), float("nan")
    total = m * (m + 1) / 2
    r = float((signed[signed > 0].sum() + signed[signed < 0].sum()) / total)
    maxw = nd * (nd + 1) / 2
    se = np.sqrt((2 * nd**3 + 3 * nd**2 + nd) / 6) / maxw
    return (r, *_fisher_z_ci(r, se, confidence))


def _paired_differences(before, after) -> np.ndarray:
    b = np.asarray(pd.to_numeric(pd.Series(before), errors="coerce"), dtype=float)
    a = np.asarray(pd.to_numeric(pd.Series(after), errors="coerce"), dtype=float)
    if b.shape != a.shape:
        raise DataError(f"paired samples differ in length ({len(b)} vs {len(a)})", location="pairs")
    keep = ~(np.isnan(a) | np.isnan(b))
    return a[keep] - b[keep]


# --------------------------------------------------------------------------- tests
def mann_whitney(x, y, *, confidence: float = 0.95) -> dict:
    """Mann–Whitney U test (two-sided) with the rank-biserial r and its CI.

    Returns
    -------
    dict
        ``test, n1, n2, statistic (U of x), p, effect (r), ci_low, ci_high``.

    Examples
    --------
    >>> res = mann_whitney([0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46],
    ...                    [1.15, 0.88, 0.90, 0.74, 1.21])
    >>> res["statistic"], round(res["p"], 4)
    (35.0, 0.2544)
    """
    x, y = _clean(x), _clean(y)
    if len(x) == 0 or len(y) == 0:
        raise DataError(f"Mann–Whitney needs two non-empty groups (n = {len(x)}, {len(y)})", location="groups")
    res = stats.mannwhitneyu(x, y, alternative="two-sided", method="auto")
    r, low, high = rank_biserial_independent(x, y, confidence)
    return {"test": "mann_whitney", "n1": len(x), "n2": len(y), "statistic": float(res.statistic),
            "p": float(res.pvalue), "effect": r, "ci_low": low, "ci_high": high}


def _epsilon_squared(*samples) -> float:
    n = sum(len(s) for s in samples)
    try:
        h = stats.kruskal(*samples).statistic
    except ValueError:  # all values identical
        return 0.0
    if not np.isfinite(h):
        return 0.0
    return float(h / ((n**2 - 1) / (n + 1)))


def kruskal_wallis(samples: Sequence, *, confidence: float = 0.95, n_boot: int = 2000, seed: int = 20240301) -> dict:
    """Kruskal–Wallis H test with ε² and its bootstrap CI.

    Parameters
    ----------
    samples : sequence of array-like
        One sample per group (NaN dropped).
    confidence : float, default 0.95
    n_boot : int, default 2000
        Bootstrap resamples for the CI of ε² (0 = no CI).
    seed : int
        Seed of the bootstrap (results are reproducible).

    Returns
    -------
    dict
        ``test, n, df, statistic (H), p, effect (ε²), ci_low, ci_high``.

    Examples
    --------
    >>> res = kruskal_wallis([[2.9, 3.0, 2.5, 2.6, 3.2], [3.8, 2.7, 4.0, 2.4], [2.8, 3.4, 3.7, 2.2, 2.0]], n_boot=0)
    >>> round(res["statistic"], 4), round(res["p"], 2), round(res["effect"], 4)
    (0.7714, 0.68, 0.0593)
    """
    groups = [_clean(s) for s in samples]
    groups = [g for g in groups if len(g)]
    if len(groups) < 2:
        raise DataError("Kruskal–Wallis needs at least two non-empty groups", location="groups")
    n = sum(len(g) for g in groups)
    try:
        res = stats.kruskal(*groups)
        h, p = float(res.statistic), float(res.pvalue)
    except ValueError:
        h, p = 0.0, 1.0
    eps = _epsilon_squared(*groups)
    low = high = float("nan")
    if n_boot and all(len(g) >= 2 for g in groups):
        boot = stats.bootstrap(tuple(groups), _epsilon_squared, n_resamples=n_boot, vectorized=False,
                               paired=False, confidence_level=confidence, method="percentile",
                               rng=np.random.default_rng(seed))
        low, high = float(boot.confidence_interval.low), float(boot.confidence_interval.high)
    return {"test": "kruskal_wallis", "n": n, "df": len(groups) - 1, "statistic": h, "p": p,
            "effect": eps, "ci_low": low, "ci_high": high}


def wilcoxon_paired(before, after, *, zero_method: str = "pratt", confidence: float = 0.95) -> dict:
    """Wilcoxon signed-rank test of ``after − before`` with the matched-pairs r.

    Parameters
    ----------
    before, after : array-like, equal length
        Paired values; pairs with a missing value are dropped.
    zero_method : {"pratt", "wilcox", "zsplit"}, default "pratt"
    confidence : float, default 0.95

    Returns
    -------
    dict
        ``test, n_pairs, n_zero, statistic (W = sum of positive ranks), p, effect (r),
        ci_low, ci_high, zero_method``.

    Examples
    --------
    >>> x = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]
    >>> y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]
    >>> res = wilcoxon_paired(y, x)
    >>> res["statistic"], round(res["p"], 5)
    (40.0, 0.03906)
    """
    d = _paired_differences(before, after)
    n_pairs, n_zero = len(d), int(np.sum(d == 0))
    signed, _ = _signed_ranks(d, zero_method)
    w_plus = float(signed[signed > 0].sum())
    if zero_method == "zsplit":
        w_plus += float(stats.rankdata(np.abs(d))[d == 0].sum() / 2)
    if n_pairs == 0 or n_zero == n_pairs:
        p = float("nan") if n_pairs == 0 else 1.0
    else:
        p = float(stats.wilcoxon(d, zero_method=zero_method, alternative="two-sided").pvalue)
    r, low, high = rank_biserial_paired(np.zeros_like(d), d, zero_method=zero_method, confidence=confidence)
    return {"test": "wilcoxon", "n_pairs": n_pairs, "n_zero": n_zero, "statistic": w_plus, "p": p,
            "effect": r, "ci_low": low, "ci_high": high, "zero_method": zero_method}


def categorical_test(table, *, n_resamples: int = 20000, seed: int = 20240301) -> dict:
    """χ² test or Fisher's exact test (chosen by expected counts) with Cramér's V.

    Parameters
    ----------
    table : array-like or DataFrame (r × c counts)
        Empty rows and columns are dropped.
    n_resamples : int, default 20000
        Monte Carlo tables for Fisher's test of tables larger than 2 × 2.
    seed : int
        Seed of the Monte Carlo test.

    Returns
    -------
    dict
        ``test ("chi2" | "fisher" | "fisher_mc"), n, df, statistic, p, effect
        (Cramér's V), min_expected, share_expected_below_5``.

    Examples
    --------
    >>> res = categorical_test([[762, 327, 468], [484, 239, 477]])
    >>> res["test"], round(res["statistic"], 2), res["df"]
    ('chi2', 30.07, 2)
    """
    counts = np.asarray(table, dtype=float)
    if counts.ndim != 2 or np.any(counts < 0) or np.any(counts != np.round(counts)):
        raise DataError("a contingency table must be a 2-D table of whole, non-negative counts", location="table")
    counts = counts[counts.sum(axis=1) > 0][:, counts.sum(axis=0) > 0].astype(int)
    if counts.shape[0] < 2 or counts.shape[1] < 2:
        raise DataError(f"a contingency table needs at least 2 × 2 non-empty cells, got {counts.shape}",
                        location="table")
    n = int(counts.sum())
    expected = stats.contingency.expected_freq(counts)
    share_low = float(np.mean(expected < 5))
    dof = (counts.shape[0] - 1) * (counts.shape[1] - 1)
    v = float(stats.contingency.association(counts, method="cramer"))
    out = {"n": n, "df": dof, "effect": v, "min_expected": float(expected.min()), "share_expected_below_5": share_low}
    if expected.min() < 1 or share_low > 0.2:
        if counts.shape == (2, 2):
            res = stats.fisher_exact(counts)
            out.update(test="fisher", statistic=float(res.statistic), p=float(res.pvalue))
        else:
            method = stats.MonteCarloMethod(n_resamples=n_resamples, rng=np.random.default_rng(seed))
            res = stats.fisher_exact(counts, method=method)
            out.update(test="fisher_mc", statistic=float(res.statistic), p=float(res.pvalue))
    else:
        res = stats.chi2_contingency(counts, correction=True)
        out.update(test="chi2", statistic=float(res.statistic), p=float(res.pvalue))
    return out


def dunn_posthoc(data: pd.DataFrame, value: str, group: str, *, p_adjust: str = "holm") -> pd.DataFrame:
    """Dunn's pairwise post-hoc test after Kruskal–Wallis (scikit-posthocs).

    Returns
    -------
    DataFrame
        ``group_a, group_b, p, p_adjusted`` for every pair (sorted group order).
    """
    import scikit_posthocs as sp

    sub = data[[value, group]].dropna()
    sub = sub.assign(**{group: sub[group].astype(str)})
    raw = sp.posthoc_dunn(sub, val_col=value, group_col=group, p_adjust=None)
    adj = sp.posthoc_dunn(sub, val_col=value, group_col=group, p_adjust=CORRECTIONS.get(p_adjust, p_adjust))
    names = sorted(raw.index)
    rows = [{"group_a": a, "group_b": b, "p": float(raw.loc[a, b]), "p_adjusted": float(adj.loc[a, b])}
            for i, a in enumerate(names) for b in names[i + 1:]]
    return pd.DataFrame(rows, columns=["group_a", "group_b", "p", "p_adjusted"])


def adjust_pvalues(pvalues, method: str = "holm") -> np.ndarray:
    """Adjust a family of p values (NaN kept as NaN).

    Parameters
    ----------
    pvalues : array-like
    method : {"holm", "bh", "fdr_bh", "bonferroni", "none"}

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, 0.03], "holm").round(3).tolist()
    [0.03, 0.06, 0.06]
    """
    from statsmodels.stats.multitest import multipletests

    if method not in CORRECTIONS:
        raise ValueError(f"correction must be one of {', '.join(CORRECTIONS)}, got {method!r}")
    p = np.asarray(pvalues, dtype=float)
    out = p.copy()
    ok = ~np.isnan(p)
    if CORRECTIONS[method] is None or ok.sum() == 0:
        return out
    out[ok] = multipletests(p[ok], method=CORRECTIONS[method])[1]
    return out


# --------------------------------------------------------------------------- tidy drivers
def _labels(instrument: Instrument | None, scale_id: str) -> tuple[str, str]:
    if instrument is not None and scale_id in instrument.scale_ids:
        label = instrument.scale(scale_id).label
        return label.get("fi", scale_id), label.get("en", scale_id)
    return str(scale_id), str(scale_id)


def _apa_pair(name: str, res: dict, effect_name: str, *, df=None, p_adjusted=None) -> dict[str, str]:
    return {lang: apa_test(name, res["statistic"], res["p"], df=df, effect_name=effect_name, effect=res["effect"],
                           ci=(res["ci_low"], res["ci_high"]), language=lang, p_adjusted=p_adjusted)
            for lang in ("fi", "en")}


def compare_groups(
    data: pd.DataFrame,
    group: str,
    *,
    value: str = "score",
    by: str = "scale",
    instrument: Instrument | None = None,
    correction: str = "holm",
    min_group_size: int = 2,
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 20240301,
) -> pd.DataFrame:
    """Compare groups on each scale: Mann–Whitney (2 groups) or Kruskal–Wallis (≥ 3).

    Parameters
    ----------
    data : DataFrame
        Long scores with the grouping column, e.g. :func:`scale_scores` merged with
        ``respondents[["respondent", "wave", "role"]]``.
    group : str
        The grouping column (``role``, ``municipality``).
    value : str, default "score"
    by : str, default "scale"
        One test per value of this column; the family for the p-value correction.
    instrument : Instrument, optional
        For the fi/en scale labels.
    correction : {"holm", "bh", "bonferroni", "none"}, default "holm"
    min_group_size : int, default 2
        Groups with fewer answers are left out of the test (listed in ``groups``).
    confidence, n_boot, seed
        CI level, bootstrap resamples and seed (Kruskal–Wallis ε² CI).

    Returns
    -------
    DataFrame
        ``scale, label_fi, label_en, test, groups, n, n_groups, statistic, df, p,
        p_adjusted, effect_name, effect, ci_low, ci_high, apa_fi, apa_en``; for two
        groups r > 0 means the first group (sorted order) scored higher.
    """
    for column in (group, value, by):
        if column not in data.columns:
            raise DataError(f"the data have no column {column!r}", location="columns")
    rows = []
    for key, sub in data.dropna(subset=[value, group]).groupby(by, sort=False):
        sizes = sub.groupby(group)[value].size().sort_index()
        kept = [g for g, size in sizes.items() if size >= min_group_size]
        label_fi, label_en = _labels(instrument, key)
        samples = [sub.loc[sub[group] == g, value].to_numpy(float) for g in kept]
        base = {"scale": key, "label_fi": label_fi, "label_en": label_en,
                "groups": ", ".join(f"{g} (n={sizes[g]})" for g in kept), "n": int(sum(len(s) for s in samples)),
                "n_groups": len(kept)}
        if len(kept) == 2:
            res = mann_whitney(samples[0], samples[1], confidence=confidence)
            rows.append({**base, "test": "mann_whitney", "statistic": res["statistic"], "df": np.nan, "p": res["p"],
                         "effect_name": "r", "effect": res["effect"], "ci_low": res["ci_low"],
                         "ci_high": res["ci_high"], "_res": res})
        elif len(kept) >= 3:
            res = kruskal_wallis(samples, confidence=confidence, n_boot=n_boot, seed=seed)
            rows.append({**base, "test": "kruskal_wallis", "statistic": res["statistic"], "df": res["df"],
                         "p": res["p"], "effect_name": "ε²", "effect": res["effect"], "ci_low": res["ci_low"],
                         "ci_high": res["ci_high"], "_res": res})
        else:
            rows.append({**base, "test": "not_tested", "statistic": np.nan, "df": np.nan, "p": np.nan,
                         "effect_name": None, "effect": np.nan, "ci_low": np.nan, "ci_high": np.nan, "_res": None})
    out = pd.DataFrame(rows)
    if out.empty:
        return pd.DataFrame(columns=GROUP_COLUMNS)
    out["p_adjusted"] = adjust_pvalues(out["p"], correction)
    apa_fi, apa_en = [], []
    for row, res in zip(out.itertuples(), out["_res"]):
        if res is None:
            apa_fi.append("ei testattu (liian vähän vastaajia)")
            apa_en.append("not tested (too few respondents)")
            continue
        name = "U" if row.test == "mann_whitney" else "H"
        df = None if row.test == "mann_whitney" else row.df
        pair = _apa_pair(name, res, row.effect_name, df=df,
                         p_adjusted=row.p_adjusted if correction != "none" else None)
        apa_fi.append(pair["fi"])
        apa_en.append(pair["en"])
    out["apa_fi"], out["apa_en"] = apa_fi, apa_en
    return out[GROUP_COLUMNS].reset_index(drop=True)


def compare_waves(
    scores: pd.DataFrame,
    *,
    before: str = "baseline",
    after: str = "followup",
    value: str = "score",
    by: str = "scale",
    instrument: Instrument | None = None,
    zero_method: str = "pratt",
    correction: str = "holm",
    confidence: float = 0.95,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Baseline vs follow-up on each scale: paired (linked) and independent (unlinked).

    Parameters
    ----------
    scores : DataFrame
        Long: ``wave``, ``respondent``, ``by`` (scale) and ``value`` (score).
    before, after : str
        The two waves.
    instrument : Instrument, optional
        For the fi/en scale labels.
    zero_method : {"pratt", "wilcox", "zsplit"}, default "pratt"
        Zero differences in the Wilcoxon test (see module docstring).
    correction : {"holm", "bh", "bonferroni", "none"}, default "holm"
        Across the family of scales, separately for the paired and unlinked tables.
    confidence : float, default 0.95

    Returns
    -------
    (paired, unlinked)
        ``paired``: ``scale, label_fi, label_en, n_pairs, statistic, p, p_adjusted,
        effect, ci_low, ci_high, apa_fi, apa_en, n_zero, median_before,
        median_after, median_change, zero_method, test`` (the registry table
        ``scale_change``); positive effect = higher at follow-up.
        ``unlinked``: ``scale, label_fi, label_en, n_before, n_after, statistic, p,
        p_adjusted, effect, ci_low, ci_high, apa_fi, apa_en, test`` (Mann–Whitney,
        follow-up-only vs baseline-only respondents; U of the follow-up group).
    """
    for column in ("wave", "respondent", by, value):
        if column not in scores.columns:
            raise DataError(f"the scores have no column {column!r}", location="columns")
    paired_rows, unlinked_rows = [], []
    data = scores.dropna(subset=[value])
    for key, sub in data.groupby(by, sort=False):
        wide = sub.pivot_table(index="respondent", columns="wave", values=value, aggfunc="first")
        b = wide[before] if before in wide else pd.Series(dtype=float)
        a = wide[after] if after in wide else pd.Series(dtype=float)
        both = wide.index[b.reindex(wide.index).notna() & a.reindex(wide.index).notna()] if len(wide) else []
        label_fi, label_en = _labels(instrument, key)
        base = {"scale": key, "label_fi": label_fi, "label_en": label_en}
        if len(both):
            res = wilcoxon_paired(b[both].to_numpy(), a[both].to_numpy(), zero_method=zero_method,
                                  confidence=confidence)
            paired_rows.append({**base, "n_pairs": res["n_pairs"], "statistic": res["statistic"], "p": res["p"],
                                "effect": res["effect"], "ci_low": res["ci_low"], "ci_high": res["ci_high"],
                                "n_zero": res["n_zero"], "median_before": float(b[both].median()),
                                "median_after": float(a[both].median()),
                                "median_change": float((a[both] - b[both]).median()),
                                "zero_method": zero_method, "test": "wilcoxon", "_res": res})
        only_b = b.drop(index=both, errors="ignore").dropna()
        only_a = a.drop(index=both, errors="ignore").dropna()
        if len(only_a) and len(only_b):
            res = mann_whitney(only_a.to_numpy(), only_b.to_numpy(), confidence=confidence)
            unlinked_rows.append({**base, "n_before": len(only_b), "n_after": len(only_a),
                                  "statistic": res["statistic"], "p": res["p"], "effect": res["effect"],
                                  "ci_low": res["ci_low"], "ci_high": res["ci_high"], "test": "mann_whitney",
                                  "_res": res})
    paired = _finish(paired_rows, "W", correction, CHANGE_COLUMNS + ["n_zero", "median_before", "median_after",
                                                                    "median_change", "zero_method", "test"])
    unlinked = _finish(unlinked_rows, "U", correction, ["scale", "label_fi", "label_en", "n_before", "n_after",
                                                        "statistic", "p", "p_adjusted", "effect", "ci_low",
                                                        "ci_high", "apa_fi", "apa_en", "test"])
    return paired, unlinked


def _finish(rows: list[dict], name: str, correction: str, columns: list[str]) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame(columns=columns)
    out = pd.DataFrame(rows)
    out["p_adjusted"] = adjust_pvalues(out["p"], correction)
    pairs = [_apa_pair(name, res, "r", p_adjusted=p_adj if correction != "none" else None)
             for res, p_adj in zip(out["_res"], out["p_adjusted"])]
    out["apa_fi"] = [p["fi"] for p in pairs]
    out["apa_en"] = [p["en"] for p in pairs]
    return out[columns].reset_index(drop=True)

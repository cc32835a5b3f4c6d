"""Group and wave comparisons with effect sizes, CIs, corrected p values and APA strings.

Every number here is cross-checked against R in ``tests/test_r_crosscheck.py``; the
README section "Statistics and their R equivalents" gives the R call for each.

Methods (what the methods section should say)
---------------------------------------------
* **Two groups**: Mann–Whitney *U* (``scipy.stats.mannwhitneyu``, two-sided), with R's
  ``wilcox.test`` defaults chosen explicitly: the exact p when both groups have fewer
  than 50 values and there are no ties, otherwise the normal approximation with tie
  and continuity correction. *U* is reported for the first group (= R's *W*).
  Effect: Glass's rank-biserial correlation r = 2U₁/(n₁n₂) − 1 (positive = the first
  group has higher values), 95 % CI by Fisher's z with SE = √((n₁ + n₂ + 1)/(3n₁n₂))
  (= ``effectsize::rank_biserial``).
* **Three or more groups**: Kruskal–Wallis *H* (tie-corrected, = ``kruskal.test``)
  with ε²_R = H/((n² − 1)/(n + 1)) (Tomczak & Tomczak 2014; =
  ``effectsize::rank_epsilon_squared``); 95 % percentile bootstrap CI (groups resampled
  separately, fixed seed, computed on all resamples at once). Identical values in all
  groups give the stated result H = 0, p = 1, ε² = 0 (and a ``note``). An empty group is
  an error; groups left out for size are named in ``note``. Post hoc: Dunn's test with
  Holm adjustment (``scikit_posthocs``; = ``rstatix::dunn_test``).
* **Categorical**: χ² test of independence (``scipy.stats.chi2_contingency``, Yates'
  correction for 2 × 2 as in ``chisq.test``) unless any expected count is < 1 or more
  than 20 % are < 5 (Cochran's rule); then Fisher's exact test — for 2 × 2 the
  conditional exact test, for larger tables the exact p by enumerating every table with
  the observed margins (= ``fisher.test``; tables whose enumeration would exceed
  ``max_tables`` (about n > 60 in a 3 × 3 table) fall back to the Monte Carlo p of
  20 000 tables with a fixed seed, =
  ``fisher.test(simulate.p.value = TRUE)``, and ``test`` says ``fisher_mc``).
  Effect: Cramér's V without bias correction (``scipy.stats.contingency.association``;
  = ``effectsize::cramers_v(adjust = FALSE)``).
* **Baseline vs follow-up**: for respondents present in both waves, the Wilcoxon
  signed-rank test on follow-up − baseline. The reported statistic *V* is always the
  sum of the ranks of the positive differences after dropping zero differences — R's
  ``V`` of ``wilcox.test(followup, baseline, paired = TRUE)`` and jamovi's *W*. Zero
  differences enter the p value and the effect size by ``zero_method``:

  - ``"pratt"`` (default; Pratt 1959): zeros are ranked with the other differences and
    then left out of the sums, so "no change" pulls r towards 0. p is the exact
    permutation p of the Pratt statistic (conditional on ties and zeros) when fewer than
    50 differences are non-zero, otherwise the normal approximation without continuity
    correction: both = ``coin::wilcoxsign_test(followup ~ baseline, zero.method =
    "Pratt", distribution = "exact" | "asymptotic")``. ``"zsplit"`` gives the same p and
    r (splitting the zeros' ranks shifts the statistic and its mean alike).
  - ``"wilcox"``: zeros dropped before ranking; p exactly as R's ``wilcox.test``
    default (exact when n < 50 with no ties and no zeros, otherwise the normal
    approximation with tie and continuity correction).

  Effect: matched-pairs rank-biserial r = (R⁺ − R⁻)/(N(N + 1)/2) with the ranks of the
  chosen method (N = all pairs for Pratt, the non-zero pairs for ``wilcox``; the
  latter = ``effectsize::rank_biserial(paired = TRUE)``, which drops zeros). 95 % CI by
  Fisher's z with SE = √(Σ rᵢ²)/(N(N + 1)/2), rᵢ the ranks of the non-zero
  differences: the null SD of R⁺ − R⁻ on the scale of r, so r/SE is the test's z
  (tie-corrected, without continuity correction) and the CI agrees with the p. Without
  ties and zeros this is effectsize's SE √((2n³ + 3n² + n)/6)/(n(n + 1)/2) exactly;
  with them effectsize 0.8 keeps that no-ties formula and counts n over all pairs
  (zeros included) although its r drops the zeros, so its CI is too narrow there.
  Respondents present in one wave only are compared with a Mann–Whitney test
  (follow-up-only vs baseline-only).
* **Multiple comparisons**: Holm (default) or Benjamini–Hochberg across the family of
  scales (``statsmodels.stats.multitest.multipletests``; = ``p.adjust``).
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
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
                 "p_adjusted", "effect_name", "effect", "ci_low", "ci_high", "apa_fi", "apa_en", "p_method", "note"]


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


_ZERO_METHODS = ("pratt", "wilcox", "zsplit")
#: Below this many (non-zero) values the exact p is used, as R's ``wilcox.test``.
EXACT_BELOW = 50


def _signed_ranks(d: np.ndarray, zero_method: str) -> tuple[np.ndarray, int]:
    """Signed ranks of differences under a zero method; returns (signed ranks, N).

    ``N`` is the number of differences the ranks were computed over (all for
    ``pratt``/``zsplit``, the non-zero ones for ``wilcox``); zero differences have a
    signed rank of 0.
    """
    if zero_method not in _ZERO_METHODS:
        raise ValueError(f"zero_method must be 'pratt', 'wilcox' or 'zsplit', got {zero_method!r}")
    if zero_method == "wilcox":
        d = d[d != 0]
    ranks = stats.rankdata(np.abs(d)) if len(d) else np.zeros(0)
    return np.sign(d) * ranks, len(d)


def _paired_se(signed: np.ndarray) -> float:
    """SE of the matched-pairs r: √(Σ rᵢ²)/(N(N + 1)/2) over the non-zero signed ranks."""
    m = len(signed)
    return float(np.sqrt(np.sum(signed[signed != 0] ** 2)) / (m * (m + 1) / 2))


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
        Positive r: values increased from ``before`` to ``after``. When every difference
        is zero, r = 0 for ``pratt``/``zsplit`` and NaN for ``wilcox`` (no pairs left),
        with a NaN CI; :func:`wilcoxon_paired` states it in its ``note``.

    Examples
    --------
    >>> x = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]
    >>> y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]
    >>> round(rank_biserial_paired(y, x)[0], 3)
    0.778
    """
    d = _paired_differences(before, after)
    signed, m = _signed_ranks(d, zero_method)
    nd = int(np.count_nonzero(signed))
    if m == 0 or nd == 0:
        return (0.0 if m else float("nan")), float("nan"), float("nan")
    total = m * (m + 1) / 2
    r = float(signed.sum() / total)
    return (r, *_fisher_z_ci(r, _paired_se(signed), confidence))


def _paired_differences(before, after) -> np.ndarray:
    b = np.asarray(pd.to_numeric(pd.Series(before), errors="coerce"), dtype=float)
    a = np.asarray(pd.to_numeric(pd.Series(after), errors="coerce"), dtype=float)
    if b.shape != a.shape:
        raise DataError(f"paired samples differ in length ({len(b)} vs {len(a)})", location="pairs")
    keep = ~(np.isnan(a) | np.isnan(b))
    return a[keep] - b[keep]


def _exact_signed_rank_p(ranks: np.ndarray, t_plus: float) -> float:
    """Exact two-sided p of the signed-rank sum T⁺ given the |d| ranks (ties allowed).

    Under H0 each rank is positive with probability 1/2, independently. Midranks are
    multiples of 1/2, so the doubled ranks are integers and the distribution of 2T⁺ is
    found by convolution. p = P(|T⁺ − E| ≥ |t⁺ − E|), which for this symmetric
    distribution equals R's ``2 · min(P(T⁺ ≤ t), P(T⁺ ≥ t))`` (capped at 1).
    """
    scores = np.rint(2 * ranks).astype(np.int64)
    dist = np.zeros(int(scores.sum()) + 1)
    dist[0] = 1.0
    top = 0
    for s in scores:
        new = dist.copy()
        new[s:top + s + 1] += dist[:top + 1]
        dist = new / 2
        top += int(s)
    centre = scores.sum() / 2
    dev = abs(2 * t_plus - centre)
    values = np.arange(len(dist))
    p = float(dist[np.abs(values - centre) >= dev - 1e-7].sum())
    return min(1.0, p)


def _signed_rank_test(d: np.ndarray, zero_method: str) -> tuple[float, float, str]:
    """(z, p, p_method) of the signed-rank test on the differences ``d``."""
    signed, _ = _signed_ranks(d, zero_method)
    nonzero = signed[signed != 0]
    if len(nonzero) == 0:
        return 0.0, 1.0, "none"
    ranks = np.abs(nonzero)
    t_plus = float(nonzero[nonzero > 0].sum())
    mean = ranks.sum() / 2
    sd = float(np.sqrt(np.sum(ranks**2) / 4))
    z_raw = (t_plus - mean) / sd
    if zero_method == "wilcox":
        ties = len(np.unique(ranks)) < len(ranks)
        zeros = bool(np.any(d == 0))
        if len(ranks) < EXACT_BELOW and not ties and not zeros:
            return float(z_raw), _exact_signed_rank_p(ranks, t_plus), "exact"
        z = (t_plus - mean - 0.5 * np.sign(t_plus - mean)) / sd
        return float(z), float(min(1.0, 2 * stats.norm.sf(abs(z)))), "normal, continuity-corrected"
    if len(ranks) < EXACT_BELOW:
        return float(z_raw), _exact_signed_rank_p(ranks, t_plus), "exact"
    return float(z_raw), float(min(1.0, 2 * stats.norm.sf(abs(z_raw)))), "normal"


# --------------------------------------------------------------------------- tests
def mann_whitney(x, y, *, confidence: float = 0.95) -> dict:
    """Mann–Whitney U test (two-sided) with the rank-biserial r and its CI.

    The p value follows R's ``wilcox.test(x, y)`` defaults: exact when both groups have
    fewer than 50 values and there are no ties, otherwise the normal approximation with
    tie and continuity correction.

    Returns
    -------
    dict
        ``test, n1, n2, statistic (U of x = R's W), p, p_method, effect (r), ci_low,
        ci_high``.

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
    pooled = np.concatenate([x, y])
    ties = len(np.unique(pooled)) < len(pooled)
    exact = len(x) < EXACT_BELOW and len(y) < EXACT_BELOW and not ties
    if len(np.unique(pooled)) == 1:  # every value identical: no evidence of a difference
        statistic, p, method = len(x) * len(y) / 2, 1.0, "none (all values identical)"
    else:
        res = stats.mannwhitneyu(x, y, alternative="two-sided", method="exact" if exact else "asymptotic",
                                 use_continuity=True)
        statistic, p = float(res.statistic), float(res.pvalue)
        method = "exact" if exact else "normal, continuity-corrected"
    r, low, high = rank_biserial_independent(x, y, confidence)
    return {"test": "mann_whitney", "n1": len(x), "n2": len(y), "statistic": float(statistic),
            "p": float(p), "p_method": method, "effect": r, "ci_low": low, "ci_high": high}


def _tie_sum(data: np.ndarray) -> np.ndarray:
    """Σ (t³ − t) over the groups of tied values along the last axis (one sort, no ranking).

    Examples
    --------
    >>> _tie_sum(np.array([[1.0, 2.0, 2.0, 3.0, 3.0, 3.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]]))
    array([30.,  0.])
    """
    values = np.sort(data, axis=-1).reshape(-1, data.shape[-1])
    starts = np.ones(values.shape, dtype=bool)
    starts[:, 1:] = values[:, 1:] != values[:, :-1]
    flat = np.flatnonzero(starts.ravel())
    sizes = np.diff(np.append(flat, starts.size)).astype(float)
    sums = np.bincount(flat // values.shape[1], weights=sizes**3 - sizes, minlength=values.shape[0])
    return sums.reshape(data.shape[:-1]) if data.ndim > 1 else sums[0]


def _kruskal_h(*samples, axis: int = -1) -> np.ndarray:
    """Tie-corrected Kruskal–Wallis H, vectorised over leading axes (0 when all values tie)."""
    samples = [np.moveaxis(np.asarray(s, dtype=float), axis, -1) for s in samples]
    data = np.concatenate(samples, axis=-1)
    n = data.shape[-1]
    ranks = stats.rankdata(data, axis=-1)
    total = 0.0
    start = 0
    for s in samples:
        k = s.shape[-1]
        total = total + ranks[..., start:start + k].sum(axis=-1) ** 2 / k
        start += k
    return _h_of(total, _tie_sum(data), n)


def _h_of(total, tie_sum, n: int) -> np.ndarray:
    """Tie-corrected H from Σ R²/n of the groups and Σ (t³ − t) of the ties (0 when all values tie)."""
    correction = 1 - tie_sum / (n**3 - n)
    h = 12 / (n * (n + 1)) * total - 3 * (n + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(correction > 0, h / np.where(correction > 0, correction, 1), 0.0)


def _epsilon_squared(*samples, axis: int = -1) -> np.ndarray | float:
    """ε²_R = H/((n² − 1)/(n + 1)); vectorised over leading axes like :func:`_kruskal_h`."""
    n = sum(np.shape(s)[axis] for s in samples)
    eps = _kruskal_h(*samples, axis=axis) / ((n**2 - 1) / (n + 1))
    return float(eps) if np.ndim(eps) == 0 else eps


def _epsilon_squared_by_counts(values: np.ndarray):
    """ε² of resamples drawn from ``values``, by counting the distinct values instead of ranking.

    Scale scores take few distinct values (means of a few Likert items), so each
    resample's rank sums follow from how often it draws each value: the midrank of a value
    is the number of smaller draws plus half its ties, and a group's rank sum is the sum of
    its counts times those midranks. Ranks and rank sums are whole or half numbers, exact in
    floating point either way, so this gives bit for bit what :func:`_epsilon_squared`
    gives (a test compares them), in time linear in the resamples instead of a sort of each
    (the bootstrap of a national survey, 2,000 resamples of 6,000 scores, took 1 s a scale).
    Data that hold a value ``values`` lack, or more distinct values than a tenth of the
    draws, are ranked as before.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> a, b = rng.integers(1, 6, (3, 40)) / 2, rng.integers(2, 8, (3, 25)) / 2
    >>> statistic = _epsilon_squared_by_counts(np.concatenate([a.ravel(), b.ravel()]))
    >>> bool(np.array_equal(statistic(a, b), _epsilon_squared(a, b)))
    True
    """
    uniques = np.unique(np.asarray(values, dtype=float))
    k = len(uniques)
    lookup = None  # values on an even grid (j/m for means of m items): their index by arithmetic, not a search
    if 1 < k and np.isfinite(uniques).all():
        step = float(np.diff(uniques).min())
        grid = (uniques - uniques[0]) / step
        if np.allclose(grid, np.rint(grid), rtol=0, atol=1e-6) and grid[-1] < 20 * k:
            lookup = np.full(int(np.rint(grid[-1])) + 1, -1, dtype=np.intp)
            lookup[np.rint(grid).astype(np.intp)] = np.arange(k)

    def index_of(sample: np.ndarray) -> np.ndarray:
        if lookup is not None:
            at = np.clip(np.rint((sample - uniques[0]) / step), 0, len(lookup) - 1).astype(np.intp)
            return lookup[at]
        return np.minimum(np.searchsorted(uniques, sample), k - 1)

    def statistic(*samples, axis: int = -1):
        samples = [np.moveaxis(np.asarray(s, dtype=float), axis, -1) for s in samples]
        n = sum(s.shape[-1] for s in samples)
        lead = samples[0].shape[:-1]
        rows = int(np.prod(lead, dtype=int))
        codes = [index_of(s).reshape(rows, -1) for s in samples]
        if k > max(n // 10, 1) or any(c.min(initial=0) < 0 for c in codes) or not all(
                np.array_equal(uniques[c], s.reshape(rows, -1)) for c, s in zip(codes, samples)):
            return _epsilon_squared(*samples, axis=-1)  # a value outside the data's: rank as before
        offsets = (np.arange(rows) * k)[:, None]
        counts = [np.bincount((c + offsets).ravel(), minlength=rows * k).reshape(rows, k).astype(float)
                  for c in codes]
        pooled = np.sum(counts, axis=0)
        midranks = np.cumsum(pooled, axis=1) - (pooled - 1) / 2
        total = 0.0
        for c, s in zip(counts, samples):
            total = total + (c * midranks).sum(axis=1) ** 2 / s.shape[-1]
        h = _h_of(total, (pooled**3 - pooled).sum(axis=1), n)
        eps = (h / ((n**2 - 1) / (n + 1))).reshape(lead)
        return float(eps) if np.ndim(eps) == 0 else eps

    return statistic


def kruskal_wallis(samples: Sequence, *, confidence: float = 0.95, n_boot: int = 2000, seed: int = 20240301) -> dict:
    """Kruskal–Wallis H test with ε² and its bootstrap CI.

    Parameters
    ----------
    samples : sequence of array-like
        One sample per group (NaN dropped). Every group must keep at least one value:
        an empty group would silently change the degrees of freedom, so it raises.
    confidence : float, default 0.95
    n_boot : int, default 2000
        Bootstrap resamples for the CI of ε² (0 = no CI). The groups are resampled
        separately and ε² is computed on all resamples at once (percentile CI).
    seed : int
        Seed of the bootstrap (results are reproducible).

    Returns
    -------
    dict
        ``test, n, df, statistic (H), p, effect (ε²), ci_low, ci_high, note``. When every
        value is identical the result is H = 0, p = 1, ε² = 0 and ``note`` says so.

    Examples
    --------
    >>> res = kruskal_wallis([[2.9, 3.0, 2.5, 2.6, 3.2], [3.8, 2.7, 4.0, 2.4], [2.8, 3.4, 3.7, 2.2, 2.0]], n_boot=0)
    >>> round(res["statistic"], 4), round(res["p"], 2), round(res["effect"], 4)
    (0.7714, 0.68, 0.0593)
    >>> kruskal_wallis([[3, 3], [3, 3, 3], [3]], n_boot=0)["p"]
    1.0
    """
    groups = [_clean(s) for s in samples]
    empty = [i + 1 for i, g in enumerate(groups) if len(g) == 0]
    if empty:
        raise DataError(f"Kruskal–Wallis group(s) {', '.join(map(str, empty))} have no values",
                        location="groups", hint="Leave empty groups out explicitly; they would change df.")
    if len(groups) < 2:
        raise DataError("Kruskal–Wallis needs at least two non-empty groups", location="groups")
    n = sum(len(g) for g in groups)
    df = len(groups) - 1
    note = ""
    if len(np.unique(np.concatenate(groups))) == 1:
        h, p = 0.0, 1.0
        note = "all values identical: H = 0, p = 1"
    else:
        h = float(_kruskal_h(*groups))
        p = float(stats.chi2.sf(h, df))
    eps = float(h / ((n**2 - 1) / (n + 1)))
    low = high = float("nan")
    if n_boot and all(len(g) >= 2 for g in groups):
        # each group sorted: ε² does not depend on the order, the resamples would (it follows the
        # pseudonymous codes, which differ between key files), so the CI is the same on every machine
        statistic = _epsilon_squared_by_counts(np.concatenate(groups))  # = _epsilon_squared, without ranking
        boot = stats.bootstrap(tuple(np.sort(g) for g in groups), statistic, n_resamples=n_boot, vectorized=True,
                               paired=False, confidence_level=confidence, method="percentile",
                               rng=np.random.default_rng(seed))
        low, high = float(boot.confidence_interval.low), float(boot.confidence_interval.high)
    elif n_boot:
        note = "; ".join(filter(None, [note, "no CI: a group has fewer than 2 values"]))
    return {"test": "kruskal_wallis", "n": n, "df": df, "statistic": h, "p": p,
            "effect": eps, "ci_low": low, "ci_high": high, "note": note}


def wilcoxon_paired(before, after, *, zero_method: str = "pratt", confidence: float = 0.95) -> dict:
    """Wilcoxon signed-rank test of ``after − before`` with the matched-pairs r.

    Parameters
    ----------
    before, after : array-like, equal length
        Paired values; pairs with a missing value are dropped.
    zero_method : {"pratt", "wilcox", "zsplit"}, default "pratt"
        How zero differences enter p and r (see the module docstring).
    confidence : float, default 0.95

    Returns
    -------
    dict
        ``test, n_pairs, n_zero, statistic (V = sum of the ranks of the positive
        differences with zeros dropped: R's V, jamovi's W), z, p, p_method, effect (r),
        ci_low, ci_high, zero_method, note``.

    Examples
    --------
    >>> x = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]
    >>> y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]
    >>> res = wilcoxon_paired(y, x)
    >>> res["statistic"], round(res["p"], 5)
    (40.0, 0.03906)
    """
    if zero_method not in _ZERO_METHODS:
        raise ValueError(f"zero_method must be 'pratt', 'wilcox' or 'zsplit', got {zero_method!r}")
    d = _paired_differences(before, after)
    n_pairs, n_zero = len(d), int(np.sum(d == 0))
    nonzero = d[d != 0]
    v = float(stats.rankdata(np.abs(nonzero))[nonzero > 0].sum()) if len(nonzero) else 0.0
    note = ""
    if n_pairs == 0:
        raise DataError("the Wilcoxon test needs at least one complete pair", location="pairs")
    if n_zero == n_pairs:
        z, p, method = 0.0, 1.0, "none"
        note = "all differences are zero: V = 0, p = 1"
    else:
        z, p, method = _signed_rank_test(d, zero_method)
    r, low, high = rank_biserial_paired(np.zeros_like(d), d, zero_method=zero_method, confidence=confidence)
    return {"test": "wilcoxon", "n_pairs": n_pairs, "n_zero": n_zero, "statistic": v, "z": z, "p": p,
            "p_method": method, "effect": r, "ci_low": low, "ci_high": high, "zero_method": zero_method,
            "note": note}


def _compositions(total: int, caps: np.ndarray) -> np.ndarray:
    """All vectors x (rows of the result) with sum ``total`` and ``0 <= x <= caps``."""
    parts = np.zeros((1, 0), dtype=np.int64)
    for i in range(len(caps) - 1):
        left = total - parts.sum(axis=1)
        rest = caps[i + 1:].sum()
        lo, hi = np.maximum(0, left - rest), np.minimum(caps[i], left)
        counts = np.maximum(hi - lo + 1, 0)
        base = np.repeat(parts, counts, axis=0)
        offsets = np.concatenate([np.arange(c) for c in counts]) if len(counts) else np.zeros(0, dtype=np.int64)
        parts = np.column_stack([base, np.repeat(lo, counts) + offsets])
    return np.column_stack([parts, total - parts.sum(axis=1)])


def _fisher_exact_rxc(counts: np.ndarray, max_tables: int) -> float | None:
    """Exact two-sided p of Fisher's test for an r × c table (None if too many tables).

    Every table with the observed margins is enumerated column by column (all partial
    tables at once in NumPy); p sums the probabilities of the tables no more probable
    than the observed one, with R's relative tolerance 1e-7 (as ``fisher.test``). Returns
    None when more than ``max_tables`` partial tables would be needed.
    """
    from scipy.special import gammaln

    rows = counts.sum(axis=1).astype(np.int64)
    cols = counts.sum(axis=0).astype(np.int64)
    n = int(counts.sum())
    const = gammaln(rows + 1).sum() + gammaln(cols + 1).sum() - gammaln(n + 1)
    observed = const - gammaln(counts + 1).sum()
    remaining = rows[None, :]
    logp = np.full(1, const)
    from math import comb

    for c in cols[:-1]:
        if comb(int(c) + len(rows) - 1, len(rows) - 1) > max_tables:  # bound before building them
            return None
        comp = _compositions(int(c), rows)
        if len(remaining) * len(comp) > max_tables:
            return None
        fits = np.all(comp[None, :, :] <= remaining[:, None, :], axis=2)
        state, which = np.nonzero(fits)
        remaining = remaining[state] - comp[which]
        logp = logp[state] - gammaln(comp + 1).sum(axis=1)[which]
    logp = logp - gammaln(remaining + 1).sum(axis=1)  # the last column is what remains
    keep = logp <= observed + np.log1p(1e-7)
    return float(min(1.0, np.exp(logp[keep]).sum()))


def _table_probability(counts: np.ndarray) -> float:
    """Probability of the table under independence with fixed margins (scipy's r × c statistic)."""
    from scipy.special import gammaln

    rows, cols, n = counts.sum(axis=1), counts.sum(axis=0), counts.sum()
    return float(np.exp(gammaln(rows + 1).sum() + gammaln(cols + 1).sum() - gammaln(n + 1)
                        - gammaln(counts + 1).sum()))


def categorical_test(table, *, n_resamples: int = 20000, seed: int = 20240301, max_tables: int = 5_000_000) -> dict:
    """χ² test or Fisher's exact test (chosen by expected counts) with Cramér's V.

    Parameters
    ----------
    table : array-like or DataFrame (r × c counts)
        Empty rows and columns are dropped.
    n_resamples : int, default 20000
        Monte Carlo tables for Fisher's test when exact enumeration is too large.
    seed : int
        Seed of the Monte Carlo test.
    max_tables : int, default 5 000 000
        Largest number of (partial table × column) combinations enumerated for the exact
        r × c test; larger problems use the Monte Carlo p (``test = "fisher_mc"``).

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
            p = _fisher_exact_rxc(counts if counts.shape[0] <= counts.shape[1] else counts.T, max_tables)
            if p is not None:
                out.update(test="fisher", statistic=float(_table_probability(counts)), p=p)
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
    names = sorted(raw.index)
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
    # the family scikit-posthocs adjusts (p_adjust=...): every pair once, adjusted here in one call
    p = np.array([float(raw.loc[a, b]) for a, b in pairs])
    method = CORRECTIONS.get(p_adjust, p_adjust)  # ours ("holm", "bh") or a statsmodels name ("sidak")
    adjusted = p
    if method and len(p):
        from statsmodels.stats.multitest import multipletests

        with _gc_frozen():
            adjusted = multipletests(p, method=method)[1]
    rows = [{"group_a": a, "group_b": b, "p": float(pa), "p_adjusted": float(adj)}
            for (a, b), pa, adj in zip(pairs, p, adjusted)]
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
    with _gc_frozen():
        out[ok] = multipletests(p[ok], method=CORRECTIONS[method])[1]
    return out


@contextmanager
def _gc_frozen():
    """Hold the objects that exist now out of garbage collection for the block.

    ``multipletests(method="holm")`` calls ``gc.collect()`` on every call (statsmodels
    0.14–0.15); in a kernel holding pandas, SciPy and a dozen matplotlib figures one full
    collection takes about 0.1 s, which a notebook adjusting a family per scale, wave
    and role paid dozens of times. Frozen objects are skipped by the collection; they
    are unfrozen (back to the oldest generation) afterwards, so nothing leaks.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


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
        Groups with fewer answers are left out of the test (named in ``note``).
    confidence, n_boot, seed
        CI level, bootstrap resamples and seed (Kruskal–Wallis ε² CI).

    Returns
    -------
    DataFrame
        ``scale, label_fi, label_en, test, groups, n, n_groups, statistic, df, p,
        p_adjusted, effect_name, effect, ci_low, ci_high, apa_fi, apa_en, p_method,
        note``; for two groups r > 0 means the first group (sorted order) scored higher.
        ``note`` names groups left out for size and degenerate results (all values
        identical: H = 0, p = 1), so they reach the report.
    """
    for column in (group, value, by):
        if column not in data.columns:
            raise DataError(f"the data have no column {column!r}", location="columns")
    rows = []
    for key, sub in data.dropna(subset=[value, group]).groupby(by, sort=False):
        sizes = sub.groupby(group)[value].size().sort_index()
        kept = [g for g, size in sizes.items() if size >= min_group_size]
        left_out = [str(g) for g, size in sizes.items() if size < min_group_size]  # no small counts in print
        label_fi, label_en = _labels(instrument, key)
        samples = [sub.loc[sub[group] == g, value].to_numpy(float) for g in kept]
        notes = [f"left out (fewer than {min_group_size} answers): {', '.join(left_out)}"] if left_out else []
        base = {"scale": key, "label_fi": label_fi, "label_en": label_en,
                "groups": ", ".join(f"{g} (n={sizes[g]})" for g in kept), "n": int(sum(len(s) for s in samples)),
                "n_groups": len(kept)}
        if len(kept) == 2:
            res = mann_whitney(samples[0], samples[1], confidence=confidence)
            if res["p_method"].startswith("none"):
                notes.append("all values identical: p = 1")
            rows.append({**base, "test": "mann_whitney", "statistic": res["statistic"], "df": np.nan, "p": res["p"],
                         "effect_name": "r", "effect": res["effect"], "ci_low": res["ci_low"],
                         "ci_high": res["ci_high"], "p_method": res["p_method"], "note": "; ".join(notes),
                         "_res": res})
        elif len(kept) >= 3:
            res = kruskal_wallis(samples, confidence=confidence, n_boot=n_boot, seed=seed)
            if res["note"]:
                notes.append(res["note"])
            rows.append({**base, "test": "kruskal_wallis", "statistic": res["statistic"], "df": res["df"],
                         "p": res["p"], "effect_name": "ε²", "effect": res["effect"], "ci_low": res["ci_low"],
                         "ci_high": res["ci_high"], "p_method": "chi-square approximation",
                         "note": "; ".join(notes), "_res": res})
        else:
            notes.insert(0, f"not tested: {len(kept)} group(s) with at least {min_group_size} answers")
            rows.append({**base, "test": "not_tested", "statistic": np.nan, "df": np.nan, "p": np.nan,
                         "effect_name": None, "effect": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                         "p_method": "", "note": "; ".join(notes), "_res": None})
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
        median_after, median_change, zero_method, test, p_method, note`` (the
        registry table ``scale_change``); ``statistic`` is R's V (zeros dropped), the
        APA strings name it *V*; positive effect = higher at follow-up.
        ``unlinked``: ``scale, label_fi, label_en, n_before, n_after, statistic, p,
        p_adjusted, effect, ci_low, ci_high, apa_fi, apa_en, test, p_method``
        (Mann–Whitney, follow-up-only vs baseline-only respondents; U of the
        follow-up group).
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
                                "n_zero": res["n_zero"], "z": res["z"], "p_method": res["p_method"],
                                "note": res["note"], "median_before": float(b[both].median()),
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
                                  "p_method": res["p_method"], "_res": res})
    paired = _finish(paired_rows, "V", correction, CHANGE_COLUMNS + ["n_zero", "median_before", "median_after",
                                                                    "median_change", "zero_method", "test",
                                                                    "p_method", "note"])
    unlinked = _finish(unlinked_rows, "U", correction, ["scale", "label_fi", "label_en", "n_before", "n_after",
                                                        "statistic", "p", "p_adjusted", "effect", "ci_low",
                                                        "ci_high", "apa_fi", "apa_en", "test", "p_method"])
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

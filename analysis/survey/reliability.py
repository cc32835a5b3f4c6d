"""Scale reliability: Cronbach's α (Feldt CI), McDonald's ω total, item–rest r, α if deleted.

Methods
-------
* **Cronbach's α** = k/(k−1)·(1 − Σσ²ᵢ/σ²ₓ) from the item covariance matrix, as in
  ``psych::alpha`` (raw_alpha). Missing answers: ``"listwise"`` (default; rows with
  any missing item are dropped, as ``psych::alpha(use = "complete.obs")``) or
  ``"pairwise"`` (pairwise covariances, as the default of ``psych::alpha``).
* **95 % CI of α** by Feldt, Woodruff & Salih (1987):
  ``1 − (1 − α)·F(1 − γ/2; n − 1, (n − 1)(k − 1))`` and
  ``1 − (1 − α)·F(γ/2; n − 1, (n − 1)(k − 1))`` (the same as ``pingouin.cronbach_alpha``).
* **McDonald's ω total** from a one-factor model fitted by maximum likelihood to the
  correlation matrix of the items (the ``factanal`` objective minimised with SciPy):
  ω = (Σλ)² / ((Σλ)² + Σψ), with loadings λ and uniquenesses ψ = 1 − λ² (on the
  correlation metric, i.e. ω of the sum of the standardised items). No scipy/
  statsmodels function gives ω; this is the congeneric one-factor ω of McDonald
  (1999). It equals (to 1e-6) the same formula on the loadings of ``factanal(covmat =
  cor(na.omit(x)), factors = 1)`` and on ``lavaan::cfa("f =~ …", std.lv = TRUE)``'s
  ``standardizedSolution`` of the complete cases (except in a Heywood case, where
  lavaan lets a residual variance go negative and factanal, like this function, bounds
  the uniquenesses at 0.005). ``psych::omega(x,
  nfactors = 1)$omega.tot`` differs slightly by design: psych fits by minres and
  divides by the sum of the observed correlation matrix instead of the model-implied.
* **Degenerate items**: an item that is constant or has no answers in the data cannot
  enter α or ω (its variance is 0 or undefined); :func:`reliability_table` leaves it
  out and says so in ``note``, and a negative α gets the hint that an item may need
  reverse coding.
* **Item–rest correlation** (corrected item–total, ``r.drop`` in psych): Pearson r of
  an item with the sum of the other items. **α if item deleted** recomputes α without
  the item.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from analysis.errors import DataError
from analysis.survey.instrument import Instrument
from analysis.survey.scores import item_matrix

__all__ = [
    "cronbach_alpha",
    "alpha_ci_feldt",
    "omega_total",
    "item_statistics",
    "reliability_table",
    "ItemStatsColumns",
]

ItemStatsColumns = ["scale", "item", "n", "mean", "sd", "item_rest_r", "alpha_if_deleted"]
RELIABILITY_COLUMNS = ["scale", "label_fi", "label_en", "wave", "n", "n_items", "alpha", "alpha_ci_low",
                       "alpha_ci_high", "omega_total", "mean_inter_item_r", "note"]


def _as_matrix(data: pd.DataFrame | np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame(data).astype(float)
    if frame.shape[1] < 2:
        raise DataError(f"reliability needs at least two items, got {frame.shape[1]}", location="items")
    return frame


def _alpha_from_cov(cov: np.ndarray) -> float:
    k = cov.shape[0]
    total = cov.sum()
    if not np.isfinite(total) or total <= 0:
        return float("nan")
    return float(k / (k - 1) * (1 - np.trace(cov) / total))


def alpha_ci_feldt(alpha: float, n: int, k: int, confidence: float = 0.95) -> tuple[float, float]:
    """Feldt (1987) confidence interval of Cronbach's α.

    Parameters
    ----------
    alpha : float
        The sample α.
    n : int
        Number of respondents.
    k : int
        Number of items.
    confidence : float, default 0.95

    Returns
    -------
    (low, high)

    Examples
    --------
    >>> [round(v, 3) for v in alpha_ci_feldt(0.8016949, 12, 11)]
    [0.581, 0.933]
    """
    if n < 2 or k < 2 or not np.isfinite(alpha):
        return float("nan"), float("nan")
    df1, df2 = n - 1, (n - 1) * (k - 1)
    gamma = 1 - confidence
    low = 1 - (1 - alpha) * stats.f.isf(gamma / 2, df1, df2)
    high = 1 - (1 - alpha) * stats.f.isf(1 - gamma / 2, df1, df2)
    return float(low), float(high)


def cronbach_alpha(
    data: pd.DataFrame | np.ndarray,
    *,
    missing: str = "listwise",
    confidence: float = 0.95,
) -> dict[str, float]:
    """Cronbach's α with its Feldt confidence interval.

    Parameters
    ----------
    data : DataFrame or array (respondents × items)
        Item values (already reverse-coded), NaN for missing.
    missing : {"listwise", "pairwise"}, default "listwise"
        Drop respondents with any missing item, or use pairwise covariances
        (then ``n`` is the number of respondents with at least one answer).
    confidence : float, default 0.95

    Returns
    -------
    dict
        ``alpha``, ``ci_low``, ``ci_high``, ``n``, ``k``.

    Examples
    --------
    >>> x = pd.DataFrame({"a": [1, 2, 3, 4], "b": [1, 2, 3, 4], "c": [2, 2, 3, 5]})
    >>> round(cronbach_alpha(x)["alpha"], 3)
    0.978
    """
    frame = _as_matrix(data)
    k = frame.shape[1]
    if missing == "listwise":
        frame = frame.dropna()
        n = len(frame)
        cov = np.cov(frame.to_numpy(), rowvar=False, ddof=1) if n > 1 else np.full((k, k), np.nan)
    elif missing == "pairwise":
        frame = frame.dropna(how="all")
        n = len(frame)
        cov = frame.cov(min_periods=2).to_numpy()
    else:
        raise ValueError(f"missing must be 'listwise' or 'pairwise', got {missing!r}")
    alpha = _alpha_from_cov(cov) if n > 1 else float("nan")
    low, high = alpha_ci_feldt(alpha, n, k, confidence)
    return {"alpha": alpha, "ci_low": low, "ci_high": high, "n": int(n), "k": int(k)}


def _one_factor_ml(corr: np.ndarray) -> np.ndarray:
    """Standardised loadings of the maximum-likelihood one-factor model of a correlation matrix.

    Minimises the ML discrepancy over the uniquenesses ψ with the loadings concentrated
    out (Jöreskog 1967; the objective and gradient of R's ``factanal``), by L-BFGS-B with
    tight tolerances, so the solution is the ML solution to ~1e-9 (lavaan's and
    factanal's, whatever the start).
    """
    from scipy.optimize import minimize

    p = corr.shape[0]

    def parts(psi):
        sc = 1 / np.sqrt(psi)
        values, vectors = np.linalg.eigh(corr * np.outer(sc, sc))
        return values[::-1], vectors[:, ::-1]

    def objective(psi):
        values, _ = parts(psi)
        rest = np.maximum(values[1:], 1e-12)  # a singular correlation matrix (identical items)
        return -(np.sum(np.log(rest) - rest) - 1 + p)

    def gradient(psi):
        values, vectors = parts(psi)
        load = np.sqrt(psi) * vectors[:, 0] * np.sqrt(max(values[0] - 1, 0.0))
        return (load**2 + psi - np.diag(corr)) / psi**2

    start = (1 - 0.5 / p) / np.diag(np.linalg.pinv(corr))
    res = minimize(objective, np.clip(start, 0.005, 1.0), jac=gradient, method="L-BFGS-B",
                   bounds=[(0.005, 1.0)] * p, options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 5000})
    psi = res.x
    values, vectors = parts(psi)
    return np.sqrt(psi) * vectors[:, 0] * np.sqrt(max(values[0] - 1, 0.0))


def omega_total(data: pd.DataFrame | np.ndarray, *, random_state: int = 0) -> float:
    """McDonald's ω total from a one-factor maximum-likelihood model.

    The correlation matrix of the complete cases is fitted by a one-factor model by
    maximum likelihood (:func:`_one_factor_ml`, the ML solution of ``factanal`` and
    ``lavaan::cfa``); with standardised loadings λ and uniquenesses ψ = 1 − λ²,
    ω = (Σλ)² / ((Σλ)² + Σψ). The sign of the factor is chosen so that Σλ is positive.

    Parameters
    ----------
    data : DataFrame or array (respondents × items)
        Item values, reverse-coded; rows with missing values are dropped.
    random_state : int, default 0
        Kept for compatibility; the fit is deterministic.

    Returns
    -------
    float
        ω total (NaN with fewer than 3 complete rows or a constant item; the
        reliability table says why in its ``note``).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=500)
    >>> x = np.column_stack([0.8 * f + 0.6 * rng.normal(size=500) for _ in range(4)])
    >>> 0.8 < omega_total(x) < 0.9
    True
    """
    frame = _as_matrix(data).dropna()
    if len(frame) < 3:
        return float("nan")
    values = frame.to_numpy()
    if np.any(values.std(axis=0, ddof=0) == 0):
        return float("nan")
    corr = np.corrcoef(values, rowvar=False)
    loadings = _one_factor_ml(corr)
    if loadings.sum() < 0:
        loadings = -loadings
    loadings = np.clip(loadings, -1.0, 1.0)
    uniqueness = 1.0 - loadings**2
    common = loadings.sum() ** 2
    return float(common / (common + uniqueness.sum()))


def item_statistics(data: pd.DataFrame, *, scale: str | None = None) -> pd.DataFrame:
    """Item statistics of one scale: n, mean, sd, item–rest r, α if item deleted.

    Complete cases (listwise) are used, as in SPSS RELIABILITY and
    ``psych::alpha(use = "complete.obs")``.

    Parameters
    ----------
    data : DataFrame (respondents × items)
        Reverse-coded item values.
    scale : str, optional
        Written into the ``scale`` column.

    Returns
    -------
    DataFrame
        ``scale, item, n, mean, sd, item_rest_r, alpha_if_deleted``, one row per item.
    """
    frame = _as_matrix(data).dropna()
    rows = []
    for item in frame.columns:
        rest = frame.drop(columns=item)
        rest_sum = rest.sum(axis=1)
        if len(frame) > 2 and frame[item].std() > 0 and rest_sum.std() > 0:
            r = float(np.corrcoef(frame[item], rest_sum)[0, 1])
        else:
            r = float("nan")
        if rest.shape[1] >= 2 and len(frame) > 1:
            a_drop = _alpha_from_cov(np.cov(rest.to_numpy(), rowvar=False, ddof=1))
        else:
            a_drop = float("nan")
        rows.append({"scale": scale, "item": str(item), "n": int(len(frame)), "mean": float(frame[item].mean()),
                     "sd": float(frame[item].std(ddof=1)), "item_rest_r": r, "alpha_if_deleted": a_drop})
    return pd.DataFrame(rows, columns=ItemStatsColumns)


def _usable_items(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Drop items without answers or without variation; return the rest and notes."""
    notes = []
    empty = [str(c) for c in frame.columns if frame[c].notna().sum() == 0]
    constant = [str(c) for c in frame.columns if str(c) not in empty and frame[c].nunique(dropna=True) == 1]
    if empty:
        notes.append(f"left out, no answers: {', '.join(empty)}")
    if constant:
        notes.append(f"left out, the same answer from everyone: {', '.join(constant)}")
    keep = [c for c in frame.columns if str(c) not in empty and str(c) not in constant]
    return frame[keep], notes


def reliability_table(
    responses: pd.DataFrame,
    instrument: Instrument,
    scales: Sequence[str] | None = None,
    *,
    by_wave: bool = False,
    missing: str = "listwise",
    confidence: float = 0.95,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reliability of every scale: a scale table and an item table.

    Parameters
    ----------
    responses : DataFrame
        Long survey responses.
    instrument : Instrument
    scales : list of str, optional
        Scale ids (default: all).
    by_wave : bool, default False
        One row per scale and wave; otherwise all waves pooled (``wave = "all"``).
    missing : {"listwise", "pairwise"}
        Missing-data handling for α (ω and item statistics always use complete cases).
    confidence : float, default 0.95

    Returns
    -------
    (scales_table, items_table)
        ``scale, label_fi, label_en, wave, n, n_items, alpha, alpha_ci_low,
        alpha_ci_high, omega_total, mean_inter_item_r, note`` (``note``: items left
        out because they had no answers or no variation, a negative α, …) and
        ``scale, wave, item, n, mean, sd, item_rest_r, alpha_if_deleted``.
    """
    scale_ids = list(scales) if scales is not None else instrument.scale_ids
    scale_rows, item_frames = [], []
    for scale_id in scale_ids:
        scale = instrument.scale(scale_id)
        wide = item_matrix(responses, instrument, scale.items)
        # rows in an order of the answers, not of the pseudonymous codes (another key file orders
        # them otherwise): the sums behind α and ω, to the last digit, are the same on every machine
        wide = wide.sort_values(list(wide.columns), kind="mergesort", na_position="last")
        groups = wide.groupby(level="wave", sort=True) if by_wave else [("all", wide)]
        for wave, sub in groups:
            sub = sub.dropna(how="all")
            sub, notes = _usable_items(sub)
            if sub.shape[1] < 2 or len(sub.dropna()) < 2:
                notes.append("fewer than two usable items or complete answers: reliability not computed")
                scale_rows.append({
                    "scale": scale_id, "label_fi": scale.label.get("fi", scale_id),
                    "label_en": scale.label.get("en", scale_id), "wave": wave, "n": int(len(sub.dropna())),
                    "n_items": int(sub.shape[1]), "alpha": np.nan, "alpha_ci_low": np.nan, "alpha_ci_high": np.nan,
                    "omega_total": np.nan, "mean_inter_item_r": np.nan, "note": "; ".join(notes)})
                continue
            res = cronbach_alpha(sub, missing=missing, confidence=confidence)
            if np.isfinite(res["alpha"]) and res["alpha"] < 0:
                notes.append("negative α: are reverse-coded items marked in the instrument?")
            complete = sub.dropna()
            k = sub.shape[1]
            corr = complete.corr().to_numpy() if len(complete) > 2 else np.full((k, k), np.nan)
            mean_r = float(np.nanmean(corr[np.triu_indices_from(corr, k=1)])) if len(complete) > 2 else float("nan")
            omega = omega_total(sub)
            if not np.isfinite(omega):
                notes.append("ω not computed: fewer than 3 complete answers or an item constant among them")
            scale_rows.append({
                "scale": scale_id, "label_fi": scale.label.get("fi", scale_id), "label_en": scale.label.get("en", scale_id),
                "wave": wave, "n": res["n"], "n_items": res["k"], "alpha": res["alpha"], "alpha_ci_low": res["ci_low"],
                "alpha_ci_high": res["ci_high"], "omega_total": omega, "mean_inter_item_r": mean_r,
                "note": "; ".join(notes),
            })
            items = item_statistics(sub, scale=scale_id)
            items.insert(1, "wave", wave)
            item_frames.append(items)
    scale_table = pd.DataFrame(scale_rows, columns=RELIABILITY_COLUMNS)
    item_table = (pd.concat(item_frames, ignore_index=True) if item_frames
                  else pd.DataFrame(columns=["scale", "wave"] + ItemStatsColumns[1:]))
    return scale_table, item_table

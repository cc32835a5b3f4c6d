"""Who speaks how much: turns and words per role, young people's share of talk, trend.

Words are the tokens of the analysed text (:func:`analysis.text.tokenize.tokenize`,
transcription marks removed).

Confidence interval of a share
    The words of one turn are not independent (a long turn is many words by one
    person), so a binomial (Wilson) interval on words is far too narrow. The share's
    95% CI is a **cluster bootstrap over turns**: the turns of a workshop are resampled
    with replacement (``n_boot`` times, fixed seed derived from the workshop id) and the
    share of words recomputed; the percentile interval is reported.

Trend over the workshops
    :func:`share_trend` gives Spearman's rho between workshop date and share (p from
    the t approximation, = R ``cor.test(x, y, method = "spearman", exact = FALSE)``),
    and a quasi-binomial GLM (logit link, words of the role out of all words) with the
    change in log-odds per year. Its dispersion is the Pearson χ²/df but never below 1:
    words within a workshop are clustered, so the data can be no less variable than
    binomial, and a dispersion below 1 (seen: 0.018) would make the CI ten times too
    narrow. The SE is the binomial SE × √dispersion, the p and the 95 % CI use the t
    distribution with the residual df (as R's ``summary.glm`` for quasi families):
    ``phi <- max(1, summary(fit)$dispersion); se <- coef(summary(fit, dispersion =
    phi))[2, 2]; est + c(-1, 1) * qt(0.975, df.residual(fit)) * se``.

Examples
--------
>>> import pandas as pd
>>> turns = pd.DataFrame({"workshop_id": ["W01"] * 4, "turn": [1, 2, 3, 4],
...     "speaker": ["Fasilitaattori 1", "Nuori 1", "ST 1", "Nuori 1"],
...     "speaker_role": ["facilitator", "young_person", "social_worker", "young_person"],
...     "text": ["Mitä ajattelette tästä?", "Mä en tiiä [naurua]", "No me ollaan mietitty", "Asunto on tärkee"]})
>>> talk_share(turns)[["workshop_id", "n_words", "n_words_role", "share"]].values.tolist()
[['W01', 13, 6, 0.46153846153846156]]
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
from scipy import stats

from analysis.errors import DataError
from analysis.text.tokenize import tokenize

__all__ = ["turn_words", "participation", "talk_share", "share_trend"]

_REQUIRED = ("workshop_id", "turn", "speaker", "speaker_role", "text")


def _check(turns: pd.DataFrame) -> None:
    if not isinstance(turns, pd.DataFrame):
        raise DataError(f"turns must be a pandas DataFrame, got {type(turns).__name__}")
    missing = [c for c in _REQUIRED if c not in turns.columns]
    if missing:
        raise DataError(f"transcript_turns lacks column(s) {', '.join(missing)}",
                        location=f"columns {list(turns.columns)}",
                        hint="Use the transcript_turns table from data/processed/.")


def turn_words(turns: pd.DataFrame) -> pd.DataFrame:
    """``turns`` with a ``n_words`` column (tokens of the text without marks).

    A table that already has ``n_words`` (what this function returned) is returned as it
    is, so :func:`participation` and :func:`talk_share` of one ``turn_words`` table count
    the words once (55,530 turns tokenised twice took 4.8 s at scale 100).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"workshop_id": ["W01"], "turn": [1], "speaker": ["Nuori 1"],
    ...                   "speaker_role": ["young_person"], "text": ["[00:01:02] Joo (.) 18-vuotiaana muutin."]})
    >>> words = turn_words(t)
    >>> int(words["n_words"][0]), turn_words(words) is words
    (3, True)
    """
    _check(turns)
    if "n_words" in turns.columns:
        return turns
    out = turns.copy()
    out["n_words"] = [len(tokenize(t)) if isinstance(t, str) else 0 for t in out["text"]]
    return out


def participation(turns: pd.DataFrame) -> pd.DataFrame:
    """Speakers, turns and words per role per workshop, with shares within the workshop.

    Parameters
    ----------
    turns : DataFrame
        ``transcript_turns`` (``workshop_id``, ``turn``, ``speaker``, ``speaker_role``, ``text``).

    Returns
    -------
    DataFrame
        ``workshop_id``, ``speaker_role``, ``n_speakers``, ``n_turns``, ``n_words``,
        ``share_turns``, ``share_words``; sorted by workshop then role.
    """
    t = turn_words(turns)
    out = (t.groupby(["workshop_id", "speaker_role"], sort=True)
           .agg(n_speakers=("speaker", "nunique"), n_turns=("turn", "size"), n_words=("n_words", "sum"))
           .reset_index())
    totals = out.groupby("workshop_id")[["n_turns", "n_words"]].transform("sum")
    out["share_turns"] = out["n_turns"] / totals["n_turns"]
    out["share_words"] = np.where(totals["n_words"] > 0, out["n_words"] / totals["n_words"].where(totals["n_words"] > 0), np.nan)
    return out


def _seed_for(seed: int, key: str) -> np.random.Generator:
    digest = int.from_bytes(hashlib.sha256(str(key).encode("utf-8")).digest()[:8], "big")
    return np.random.default_rng([seed, digest])


def _cluster_bootstrap(words: np.ndarray, in_role: np.ndarray, n_boot: int, rng: np.random.Generator,
                       confidence: float) -> tuple[float, float]:
    n = len(words)
    if n == 0 or words.sum() == 0:
        return (np.nan, np.nan)
    role_words = words * in_role
    shares = np.empty(n_boot)
    chunk = max(1, 2_000_000 // n)  # bound memory
    for lo in range(0, n_boot, chunk):
        hi = min(n_boot, lo + chunk)
        idx = rng.integers(0, n, size=(hi - lo, n))
        total = words[idx].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            shares[lo:hi] = role_words[idx].sum(axis=1) / total
    alpha = (1.0 - confidence) / 2.0
    return tuple(np.nanquantile(shares, [alpha, 1.0 - alpha]).tolist())


def talk_share(turns: pd.DataFrame, role: str | list[str] = "young_person", *, workshops: pd.DataFrame | None = None,
               n_boot: int = 2000, seed: int = 20240301, confidence: float = 0.95) -> pd.DataFrame:
    """Share of words spoken by a role in each workshop, with a cluster-bootstrap CI.

    Parameters
    ----------
    turns : DataFrame
        ``transcript_turns``.
    role : str or list of str, default "young_person"
        The role(s) whose share is computed (e.g. ``["young_person", "expert_by_experience"]``).
    workshops : DataFrame, optional
        ``workshops`` table; adds ``date``, ``work_package`` and ``method``.
    n_boot : int, default 2000
        Bootstrap resamples of turns.
    seed : int, default 20240301
        Base seed; each workshop's stream is derived from it and the workshop id, so a
        workshop's CI does not depend on which other workshops are analysed.
    confidence : float, default 0.95

    Returns
    -------
    DataFrame
        ``workshop_id`` (+ ``date``, ``work_package``, ``method``), ``n_turns``,
        ``n_turns_role``, ``n_speakers_role``, ``n_words``, ``n_words_role``, ``share``
        (words of the role / all words), ``ci_low``, ``ci_high``; ordered by date when
        known, else by workshop id.
    """
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    if n_boot < 100:
        raise ValueError("n_boot must be at least 100 for a percentile interval")
    roles = [role] if isinstance(role, str) else list(role)
    t = turn_words(turns)
    rows = []
    for workshop_id, group in t.groupby("workshop_id", sort=True):
        words = group["n_words"].to_numpy(dtype=float)
        in_role = group["speaker_role"].isin(roles).to_numpy()
        total = words.sum()
        role_words = words[in_role].sum()
        low, high = _cluster_bootstrap(words, in_role.astype(float), n_boot, _seed_for(seed, workshop_id), confidence)
        rows.append({
            "workshop_id": workshop_id,
            "n_turns": len(group),
            "n_turns_role": int(in_role.sum()),
            "n_speakers_role": int(group.loc[in_role, "speaker"].nunique()),
            "n_words": int(total),
            "n_words_role": int(role_words),
            "share": role_words / total if total > 0 else np.nan,
            "ci_low": low,
            "ci_high": high,
        })
    out = pd.DataFrame(rows)
    if workshops is not None and not out.empty:
        if "workshop_id" not in workshops.columns:
            raise DataError("workshops lacks column workshop_id", hint="Use the workshops table from data/processed/.")
        meta = [c for c in ("date", "work_package", "method") if c in workshops.columns]
        out = out.merge(workshops[["workshop_id", *meta]].drop_duplicates("workshop_id"), on="workshop_id", how="left")
        if "date" in out:
            out["date"] = pd.to_datetime(out["date"], errors="coerce")
            out = out.sort_values(["date", "workshop_id"], kind="stable", na_position="last")
        out = out[["workshop_id", *meta, *[c for c in out.columns if c not in ("workshop_id", *meta)]]]
    return out.reset_index(drop=True)


def share_trend(shares: pd.DataFrame, *, time: str = "date") -> pd.DataFrame:
    """Does the share change over the workshops? Spearman and a quasi-binomial GLM.

    Parameters
    ----------
    shares : DataFrame
        Output of :func:`talk_share` (``n_words``, ``n_words_role``, ``share`` and the
        ``time`` column).
    time : str, default "date"
        Dates (the GLM slope is per year) or a numeric order (slope per unit). If the
        column is missing, workshops are numbered 1, 2, ... in row order.

    Returns
    -------
    DataFrame
        One row per method: ``method`` (``"spearman"``, ``"glm_quasibinomial"``),
        ``n_workshops``, ``statistic`` (rho; slope in log-odds per year/unit), ``ci_low``,
        ``ci_high`` (GLM only), ``p``, ``direction`` (``"increasing"``,
        ``"decreasing"``, ``"no clear trend"`` at p < 0.05), ``dispersion`` (GLM only:
        the dispersion used, at least 1).

    Examples
    --------
    >>> s = pd.DataFrame({"date": pd.to_datetime(["2024-05-01", "2024-11-01", "2025-05-01", "2025-11-01"]),
    ...                   "n_words": [1000, 1000, 1000, 1000], "n_words_role": [100, 180, 260, 340]})
    >>> share_trend(s.assign(share=s.n_words_role / s.n_words))["direction"].tolist()
    ['increasing', 'increasing']
    """
    # the GLM modules only: statsmodels.api imports every model (seconds per kernel)
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM
    from statsmodels.tools.tools import add_constant

    need = [c for c in ("n_words", "n_words_role") if c not in shares.columns]
    if need:
        raise DataError(f"shares lacks column(s) {', '.join(need)}", hint="Pass the output of talk_share().")
    data = shares[shares["n_words"] > 0].copy()
    if time in data.columns:
        x = data[time]
        if np.issubdtype(x.dtype, np.datetime64) or x.dtype == object:
            x = pd.to_datetime(x, errors="coerce")
            x = (x - x.min()).dt.days / 365.25
        x = x.astype(float)
    else:
        x = pd.Series(np.arange(1, len(data) + 1, dtype=float), index=data.index)
    ok = x.notna()
    data, x = data[ok], x[ok]
    n = len(data)
    share = data["n_words_role"] / data["n_words"]
    rows = []

    def _direction(stat: float, p: float) -> str:
        if not np.isfinite(p) or p >= 0.05:
            return "no clear trend"
        return "increasing" if stat > 0 else "decreasing"

    if n >= 3 and x.nunique() > 1:
        rho, p = stats.spearmanr(x, share)
        rows.append(dict(method="spearman", n_workshops=n, statistic=float(rho), ci_low=np.nan, ci_high=np.nan,
                         p=float(p), direction=_direction(rho, p)))
        endog = np.column_stack([data["n_words_role"].to_numpy(float), (data["n_words"] - data["n_words_role"]).to_numpy(float)])
        exog = add_constant(x.to_numpy(float))
        fit = GLM(endog, exog, family=families.Binomial()).fit(tol=1e-13, maxiter=200)
        df_resid = float(fit.df_resid)
        pearson = float(np.sum(fit.resid_pearson**2))
        dispersion = max(1.0, pearson / df_resid) if df_resid > 0 else 1.0
        slope = float(fit.params[1])
        se = float(fit.bse[1]) * np.sqrt(dispersion)
        dist = stats.t(df_resid) if df_resid > 0 else stats.norm()
        p_glm = float(2 * dist.sf(abs(slope / se)))
        crit = float(dist.ppf(0.975))
        rows.append(dict(method="glm_quasibinomial", n_workshops=n, statistic=slope, ci_low=slope - crit * se,
                         ci_high=slope + crit * se, p=p_glm, direction=_direction(slope, p_glm),
                         dispersion=dispersion))
        rows[0]["dispersion"] = np.nan
    else:
        for method in ("spearman", "glm_quasibinomial"):
            rows.append(dict(method=method, n_workshops=n, statistic=np.nan, ci_low=np.nan, ci_high=np.nan,
                             p=np.nan, direction="no clear trend", dispersion=np.nan))
    return pd.DataFrame(rows, columns=["method", "n_workshops", "statistic", "ci_low", "ci_high", "p", "direction",
                                       "dispersion"])

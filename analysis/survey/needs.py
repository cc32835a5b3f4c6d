"""Young people's needs survey: prevalence with Wilson CIs, needs by group, co-occurrence.

The needs are 0/1 items (a Webropol multiple-choice question exported as one column
per option; see ``config/instrument_needs.yaml``). A rating item (e.g. 1–5) counts as a
need from a cut-off up (:func:`need_items`; by default its top two answers). Prevalence is the share of
respondents who answered the item and selected the need; its 95 % CI is Wilson's score
interval (``statsmodels.stats.proportion.proportion_confint(method="wilson")``;
Newcombe 1998 recommends it over the Wald interval for small n and shares near 0 or 1).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from analysis.errors import DataError
from analysis.survey.instrument import Instrument
from analysis.survey.scores import item_matrix

__all__ = ["wilson_ci", "need_items", "prevalence", "needs_by_group", "need_cooccurrence", "need_cooccurrence_matrix"]


def wilson_ci(count: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion (= R ``prop.test(count, n, correct = FALSE)$conf.int``).

    Parameters
    ----------
    count : int
        Number of successes, ``0 <= count <= n``.
    n : int
        Number of trials, ``n >= 1``.
    confidence : float, default 0.95
        Strictly between 0 and 1.

    Raises
    ------
    DataError
        For a count outside 0…n, a non-whole count or n, n < 1 or a bad confidence.

    Examples
    --------
    >>> [round(v, 4) for v in wilson_ci(81, 263)]
    [0.2553, 0.3662]
    """
    for name, value in (("count", count), ("n", n)):
        if isinstance(value, bool) or not np.isfinite(float(value)) or float(value) != int(float(value)):
            raise DataError(f"wilson_ci: {name} must be a whole number, got {value!r}", location=name)
    count, n = int(count), int(n)
    if n < 1:
        raise DataError(f"wilson_ci: n must be at least 1, got {n}", location="n",
                        hint="A share of nobody has no confidence interval; leave the row out or report n = 0.")
    if not 0 <= count <= n:
        raise DataError(f"wilson_ci: count must be between 0 and n = {n}, got {count}", location="count")
    if not 0 < confidence < 1:
        raise DataError(f"wilson_ci: confidence must be between 0 and 1, got {confidence!r}", location="confidence")
    low, high = proportion_confint(count, n, alpha=1 - confidence, method="wilson")
    return float(low), float(high)


#: Items the needs functions take: ids (every item must be 0/1) or id → answer from which it counts as a need.
NeedItems = Sequence[str] | Mapping[str, float] | None


def need_items(
    instrument: Instrument,
    items: Sequence[str] | None = None,
    *,
    exclude: Sequence[str] = (),
    rating_at_least: float | None = None,
) -> dict[str, float]:
    """The need items of an instrument, each with the answer from which it counts as a need.

    A 0/1 item (selected / not selected) is a need at 1. A rating item (e.g. 1–5, "how
    much support do you need with …") is a need from ``rating_at_least`` up; by default
    its top two answers (4 and 5 on a 1–5 item). Set the cut-off, or leave items out with
    ``exclude``, through the needs notebook's parameters in ``pipeline.yaml``.

    Parameters
    ----------
    instrument : Instrument
    items : list of str, optional
        Items to use (default: every item of the instrument).
    exclude : list of str
        Items to leave out.
    rating_at_least : float, optional
        Cut-off for every rating item.

    Returns
    -------
    dict
        Item id → cut-off, in instrument order.

    Raises
    ------
    DataError
        Unknown ids in ``exclude``, a cut-off outside an item's answers, or no items left.

    Examples
    --------
    >>> from analysis.survey.instrument import load_instrument
    >>> from analysis.workspace import PACKAGE_PROJECT_DIR
    >>> inst = load_instrument(PACKAGE_PROJECT_DIR / "tests/data/instrument_needs_user.yaml")
    >>> need_items(inst)["n_coping"]
    4.0
    """
    known = instrument.item_ids
    unknown = [i for i in exclude if i not in known]
    if unknown:
        raise DataError(f"exclude_items names unknown item(s) {unknown}", location="parameters",
                        hint=f"Items of instrument '{instrument.id}': {', '.join(known)}.")  # fmt: skip
    chosen = [i for i in (list(items) if items is not None else known) if i not in set(exclude)]
    out: dict[str, float] = {}
    for item_id in chosen:
        answers = instrument.answer_set_of(item_id)
        low, high = float(answers.min), float(answers.max)
        if (low, high) == (0.0, 1.0):
            out[item_id] = 1.0
            continue
        cutoff = float(rating_at_least) if rating_at_least is not None else high - 1.0
        if not low < cutoff <= high:
            raise DataError(
                f"item '{item_id}' is answered {low:g}–{high:g}; the cut-off {cutoff:g} for counting it as a need "
                "is outside that range",
                location="parameters",
                hint="Set rating_need_at_least for the needs run in pipeline.yaml, or list the item in exclude_items.",
            )
        out[item_id] = cutoff
    if not out:
        raise DataError(f"no need items left in instrument '{instrument.id}'", location="parameters",
                        hint="Check exclude_items in pipeline.yaml.")  # fmt: skip
    return out


def _need_items(instrument: Instrument, items: NeedItems) -> dict[str, float]:
    if isinstance(items, Mapping):
        return {str(k): float(v) for k, v in items.items()}
    items = list(items) if items is not None else instrument.item_ids
    for item_id in items:
        answers = instrument.answer_set_of(item_id)
        if (answers.min, answers.max) != (0.0, 1.0):
            raise DataError(f"item '{item_id}' is not a 0/1 (selected / not selected) item", location="items",
                            hint="Give its cut-off (need_items(..., rating_at_least=...)) or leave it out.")
    return dict.fromkeys(items, 1.0)


def _binary(responses: pd.DataFrame, instrument: Instrument, items: NeedItems) -> pd.DataFrame:
    """Wide 0/1 need matrix: a rating item is 1 from its cut-off up (missing stays missing)."""
    cutoffs = _need_items(instrument, items)
    wide = item_matrix(responses, instrument, list(cutoffs), reverse=False)
    for item_id, cutoff in cutoffs.items():
        answers = instrument.answer_set_of(item_id)
        if (float(answers.min), float(answers.max)) != (0.0, 1.0):
            values = wide[item_id]
            wide[item_id] = (values >= cutoff).astype(float).where(values.notna())
    return wide


def prevalence(
    responses: pd.DataFrame,
    instrument: Instrument,
    items: NeedItems = None,
    *,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Prevalence of each need with its Wilson confidence interval.

    Parameters
    ----------
    responses : DataFrame
        Long survey responses of the needs survey.
    instrument : Instrument
        The needs instrument (for item texts and to check the items are 0/1).
    items : list of str or dict, optional
        Need items (default: all items, which must be 0/1), or item → cut-off from
        :func:`need_items` (rating items included).
    confidence : float, default 0.95

    Returns
    -------
    DataFrame
        ``need, label_fi, label_en, n, count, share, ci_low, ci_high``, sorted by share
        (descending) then item order.
    """
    wide = _binary(responses, instrument, items)
    rows = []
    for order, need in enumerate(wide.columns):
        col = wide[need].dropna()
        n, count = int(len(col)), int((col == 1).sum())
        low, high = wilson_ci(count, n, confidence) if n else (np.nan, np.nan)
        rows.append({"need": need, "label_fi": instrument.item_text(need, "fi"),
                     "label_en": instrument.item_text(need, "en"), "n": n, "count": count,
                     "share": count / n if n else np.nan, "ci_low": low, "ci_high": high, "_order": order})
    out = pd.DataFrame(rows)
    out = out.sort_values(["share", "_order"], ascending=[False, True], kind="stable")
    return out.drop(columns="_order").reset_index(drop=True)


def needs_by_group(
    responses: pd.DataFrame,
    respondents: pd.DataFrame,
    instrument: Instrument,
    group: str,
    items: NeedItems = None,
    *,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Needs by a background group (living situation, age band): counts and shares.

    Parameters
    ----------
    responses, respondents : DataFrame
        Long responses and the respondents table (with ``group``).
    instrument : Instrument
    group : str
        Column of ``respondents`` (e.g. ``living_situation``, ``age_band``).
    items : list of str, optional
    confidence : float, default 0.95

    Returns
    -------
    DataFrame
        ``group, need, n, count, share, ci_low, ci_high`` (respondents with a missing
        group are counted under ``"missing"``).
    """
    from analysis.survey.scores import respondent_column

    if group not in respondents.columns:
        raise DataError(f"the respondents table has no column {group!r}", location="columns")
    wide = _binary(responses, instrument, items).reset_index()
    rcol = respondent_column(respondents)
    groups = respondents[[rcol, "wave", group]].rename(columns={rcol: "respondent"})
    merged = wide.merge(groups, on=["respondent", "wave"], how="left")
    merged[group] = merged[group].astype(object).where(merged[group].notna(), "missing")
    rows = []
    needs = [c for c in wide.columns if c not in ("wave", "respondent")]
    for value, sub in merged.groupby(group, sort=True):
        for need in needs:
            col = sub[need].dropna()
            n, count = int(len(col)), int((col == 1).sum())
            low, high = wilson_ci(count, n, confidence) if n else (np.nan, np.nan)
            rows.append({"group": value, "need": need, "n": n, "count": count,
                         "share": count / n if n else np.nan, "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows, columns=["group", "need", "n", "count", "share", "ci_low", "ci_high"])


def need_cooccurrence(responses: pd.DataFrame, instrument: Instrument, items: NeedItems = None) -> pd.DataFrame:
    """How needs occur together: counts and Jaccard index for every pair of needs.

    Jaccard(A, B) = |A ∩ B| / |A ∪ B| among respondents who answered both items.

    Returns
    -------
    DataFrame
        ``need_a, need_b, n, count_a, count_b, count_both, jaccard`` for every
        unordered pair (instrument order), including ``need_a == need_b`` (diagonal).
    """
    wide = _binary(responses, instrument, items)
    needs = list(wide.columns)
    rows = []
    for i, a in enumerate(needs):
        for b in needs[i:]:
            pair = wide[[a, b]].dropna() if a != b else wide[[a]].dropna()
            xa = pair[a] == 1
            xb = pair[b] == 1
            both = int((xa & xb).sum())
            union = int((xa | xb).sum())
            rows.append({"need_a": a, "need_b": b, "n": int(len(pair)), "count_a": int(xa.sum()),
                         "count_b": int(xb.sum()), "count_both": both,
                         "jaccard": both / union if union else np.nan})
    return pd.DataFrame(rows, columns=["need_a", "need_b", "n", "count_a", "count_b", "count_both", "jaccard"])


def need_cooccurrence_matrix(pairs: pd.DataFrame, kind: str = "count_both") -> pd.DataFrame:
    """Square matrix (needs × needs) from :func:`need_cooccurrence` (``count_both`` or ``jaccard``)."""
    if kind not in ("count_both", "jaccard"):
        raise ValueError("kind must be 'count_both' or 'jaccard'")
    order = list(dict.fromkeys(list(pairs["need_a"]) + list(pairs["need_b"])))
    mat = pd.DataFrame(np.nan, index=order, columns=order)
    for row in pairs.itertuples():
        mat.loc[row.need_a, row.need_b] = getattr(row, kind)
        mat.loc[row.need_b, row.need_a] = getattr(row, kind)
    return mat

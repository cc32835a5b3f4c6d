"""Reverse coding, item matrices and scale scores (*summamuuttujat*).

All functions take the long ``survey_responses`` table (``respondent`` or, before
pseudonymisation, ``respondent_code``; ``wave``; ``item``; ``value``) and return tidy
frames whose respondent column is always called ``respondent``.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from analysis.errors import DataError
from analysis.validation import require_columns
from analysis.survey.instrument import Instrument

__all__ = ["reverse_code", "respondent_column", "item_matrix", "scale_scores", "SCORE_COLUMNS"]

SCORE_COLUMNS = ["wave", "respondent", "scale", "score", "n_items", "n_answered"]


def reverse_code(values, minimum: float, maximum: float):
    """Reverse a rating: ``minimum + maximum - x`` (NaN stays NaN).

    Parameters
    ----------
    values : float, array-like or Series
    minimum, maximum : float
        The ends of the answer scale (1 and 5 for a 5-point Likert item).

    Returns
    -------
    Same type as ``values``.

    Examples
    --------
    >>> reverse_code(pd.Series([1, 2, 5, None]), 1, 5).tolist()
    [5.0, 4.0, 1.0, nan]
    """
    if isinstance(values, (pd.Series, pd.DataFrame)):
        return (minimum + maximum) - values.astype(float)
    if np.isscalar(values):
        return minimum + maximum - float(values)
    return minimum + maximum - np.asarray(values, dtype=float)


def respondent_column(df: pd.DataFrame) -> str:
    """Return ``"respondent"`` (processed data) or ``"respondent_code"`` (before ingestion).

    Raises
    ------
    DataError
        When neither column is present.
    """
    for name in ("respondent", "respondent_code"):
        if name in df.columns:
            return name
    raise DataError("the table has neither a 'respondent' nor a 'respondent_code' column",
                    location="columns", hint="Pass the survey_responses table from data/processed.")


def _check_columns(df: pd.DataFrame, needed: Iterable[str], what: str) -> None:
    require_columns(df, needed, what)


def item_matrix(
    responses: pd.DataFrame,
    instrument: Instrument,
    items: Sequence[str] | None = None,
    *,
    reverse: bool = True,
) -> pd.DataFrame:
    """Wide matrix of item values: one row per (wave, respondent), one column per item.

    Parameters
    ----------
    responses : DataFrame
        Long survey responses (``wave``, respondent, ``item``, ``value``).
    instrument : Instrument
        Gives the answer range and which items are reverse-coded.
    items : list of str, optional
        Items to include, in this order (default: all items of the instrument).
    reverse : bool, default True
        Reverse-code the items marked ``reverse: true``.

    Returns
    -------
    DataFrame
        Index ``(wave, respondent)``, float columns in item order; NaN when missing.

    Examples
    --------
    >>> item_matrix(responses, inst, ["rc1", "rc3"]).columns.tolist()  # doctest: +SKIP
    ['rc1', 'rc3']
    """
    rcol = respondent_column(responses)
    _check_columns(responses, ["wave", "item", "value"], "the responses table")
    items = list(items) if items is not None else instrument.item_ids
    unknown = [i for i in items if i not in instrument.item_ids]
    if unknown:
        raise DataError(f"item(s) {', '.join(unknown)} are not in instrument '{instrument.id}'", location="items")
    sub = responses[responses["item"].isin(items)]
    dup = sub.duplicated(["wave", rcol, "item"])
    if dup.any():
        first = sub[dup].iloc[0]
        raise DataError(f"respondent {first[rcol]!r} has item {first['item']!r} twice in wave {first['wave']!r}",
                        location="survey_responses", hint="Each respondent answers each item once per wave.")
    wide = sub.pivot(index=["wave", rcol], columns="item", values="value")
    wide = wide.reindex(columns=items).astype(float)
    wide.index = wide.index.set_names(["wave", "respondent"])
    wide.columns.name = None
    if reverse:
        for item_id in items:
            item = instrument.item(item_id)
            if item.reverse:
                answers = instrument.answer_sets[item.answers]
                wide[item_id] = reverse_code(wide[item_id], answers.min, answers.max)
    return wide.sort_index()


def scale_scores(
    responses: pd.DataFrame,
    instrument: Instrument,
    scales: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Scale scores: the mean of the answered (reverse-coded) items of each scale.

    A score is NaN when the share of answered items is below the scale's
    ``min_answered`` (e.g. 0.75: three of four items).

    Parameters
    ----------
    responses : DataFrame
        Long survey responses.
    instrument : Instrument
    scales : list of str, optional
        Scale ids (default: all scales of the instrument).

    Returns
    -------
    DataFrame
        Long: ``wave, respondent, scale, score, n_items, n_answered``, sorted by scale
        (instrument order), wave and respondent.

    Examples
    --------
    >>> scale_scores(responses, inst, ["role_clarity"]).head(1)  # doctest: +SKIP
           wave respondent         scale  score  n_items  n_answered
    0  baseline       R001  role_clarity   3.75        4           4
    """
    scale_ids = list(scales) if scales is not None else instrument.scale_ids
    chosen = []
    for scale_id in scale_ids:
        try:
            chosen.append(instrument.scale(scale_id))
        except KeyError:
            raise DataError(f"scale '{scale_id}' is not in instrument '{instrument.id}'", location="scales",
                            hint=f"Scales: {', '.join(instrument.scale_ids)}.") from None
    if not chosen:
        return pd.DataFrame(columns=SCORE_COLUMNS)
    # one item matrix for every item of the chosen scales; each scale is then a column slice
    items = list(dict.fromkeys(item for scale in chosen for item in scale.items))
    wide = item_matrix(responses, instrument, items)
    values = wide.to_numpy(dtype=float)
    answered = ~np.isnan(values)
    # a respondent belongs to a scale's rows when they have a row (even an empty answer) for one of its items
    rcol = respondent_column(responses)
    sub = responses.loc[responses["item"].isin(items), ["wave", rcol, "item"]]
    present = np.zeros(values.shape, dtype=bool)
    rows = wide.index.get_indexer(pd.MultiIndex.from_arrays([sub["wave"], sub[rcol]]))
    present[rows, pd.Index(items).get_indexer(sub["item"])] = True
    column = {item: i for i, item in enumerate(items)}
    waves = wide.index.get_level_values("wave").to_numpy()
    respondents = wide.index.get_level_values("respondent").to_numpy()
    frames = []
    for scale in chosen:
        cols = [column[item] for item in scale.items]
        keep = present[:, cols].any(axis=1)
        n_items = len(scale.items)
        n_answered = answered[keep][:, cols].sum(axis=1)
        total = np.zeros(int(keep.sum()))
        for col in cols:  # item by item, in item order: the same sums as DataFrame.mean(axis=1)
            total += np.where(answered[keep, col], values[keep, col], 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            score = total / n_answered
        enough = n_answered / n_items >= scale.min_answered - 1e-9
        score = np.where(enough & (n_answered > 0), score, np.nan)
        frames.append(pd.DataFrame({
            "wave": waves[keep],
            "respondent": respondents[keep],
            "scale": scale.id,
            "score": score.astype(float),
            "n_items": n_items,
            "n_answered": n_answered.astype(int),
        }))
    # wide is sorted by (wave, respondent): scale order, then wave and respondent
    return pd.concat(frames, ignore_index=True)[SCORE_COLUMNS]

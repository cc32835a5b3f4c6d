"""Response summary: n by wave × role × municipality, response rates, item distributions, missingness."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from analysis.errors import DataError
from analysis.survey.instrument import Instrument
from analysis.survey.scores import respondent_column

__all__ = ["response_counts", "response_rates", "item_distributions", "missingness", "linked_respondents",
           "filter_respondents"]


def response_counts(respondents: pd.DataFrame, by: Sequence[str] = ("wave", "role", "municipality")) -> pd.DataFrame:
    """Number of respondents per combination of ``by`` (missing values shown as ``"missing"``).

    Returns
    -------
    DataFrame
        The ``by`` columns and ``n``, sorted.
    """
    by = [c for c in by]
    absent = [c for c in by if c not in respondents.columns]
    if absent:
        raise DataError(f"the respondents table lacks column(s) {', '.join(absent)}", location="columns")
    frame = respondents[by].astype(object).where(respondents[by].notna(), "missing")
    return frame.value_counts(sort=False).rename("n").reset_index().sort_values(by, kind="stable").reset_index(drop=True)


def response_rates(respondents: pd.DataFrame, instrument: Instrument, group: str = "role") -> pd.DataFrame:
    """Response rate per wave and group where the instrument gives ``population`` counts.

    Returns
    -------
    DataFrame
        ``wave, group, n, population, rate`` (rate NaN where no population is given).
    """
    if group not in respondents.columns:
        raise DataError(f"the respondents table has no column {group!r}", location="columns")
    counts = respondents.groupby(["wave", group]).size().rename("n").reset_index().rename(columns={group: "group"})
    counts["population"] = counts["group"].map(instrument.population).astype(float)
    counts["rate"] = counts["n"] / counts["population"]
    return counts.sort_values(["wave", "group"], kind="stable").reset_index(drop=True)


def item_distributions(responses: pd.DataFrame, instrument: Instrument, items: Sequence[str] | None = None,
                       *, by: str | None = None, respondents: pd.DataFrame | None = None) -> pd.DataFrame:
    """Distribution of answers per item (and wave, and optionally a background group).

    Reverse-coded items are shown as answered (not reversed).

    Returns
    -------
    DataFrame
        ``wave, [by,] item, value, label_fi, label_en, n, share`` where ``share`` is of
        the valid answers of that item; missing answers are not included (see
        :func:`missingness`).
    """
    items = list(items) if items is not None else instrument.item_ids
    data = responses[responses["item"].isin(items) & responses["value"].notna()].copy()
    keys = ["wave"]
    if by is not None:
        if respondents is None or by not in respondents.columns:
            raise DataError(f"grouping by {by!r} needs the respondents table with that column", location="by")
        rcol = respondent_column(data)
        rr = respondent_column(respondents)
        groups = respondents[[rr, "wave", by]].rename(columns={rr: rcol})
        data = data.merge(groups, on=[rcol, "wave"], how="left")
        data[by] = data[by].astype(object).where(data[by].notna(), "missing")
        keys.append(by)
    counts = data.groupby(keys + ["item", "value"]).size().rename("n").reset_index()
    counts["share"] = counts["n"] / counts.groupby(keys + ["item"])["n"].transform("sum")
    counts["label_fi"] = [instrument.answer_set_of(i).labels_fi.get(v, f"{v:g}") for i, v in
                          zip(counts["item"], counts["value"])]
    counts["label_en"] = [instrument.answer_set_of(i).labels_en.get(v, f"{v:g}") for i, v in
                          zip(counts["item"], counts["value"])]
    order = {item: k for k, item in enumerate(items)}
    counts["_o"] = counts["item"].map(order)
    counts = counts.sort_values(keys + ["_o", "value"], kind="stable").drop(columns="_o")
    return counts[keys + ["item", "value", "label_fi", "label_en", "n", "share"]].reset_index(drop=True)


def missingness(responses: pd.DataFrame, items: Sequence[str] | None = None, *,
                by: Sequence[str] = ("wave",)) -> pd.DataFrame:
    """Missing answers per group and item, by kind.

    Parameters
    ----------
    responses : DataFrame
        The long ``survey_responses`` table (``missing`` is None for a valid answer, else
        ``dont_know``, ``missing_code`` or ``empty``).
    items : sequence of str, optional
        Only these items (default: all).
    by : sequence of str, default ``("wave",)``
        The grouping columns before ``item`` (``("survey_id", "wave")`` for several
        surveys at once).

    Returns
    -------
    DataFrame
        ``*by, item, n, n_valid, n_dont_know, n_missing_code, n_empty, share_missing``
        (``share_missing`` a share 0–1 of ``n``), sorted by ``by`` and item.

    Examples
    --------
    >>> r = pd.DataFrame({"wave": ["baseline"] * 4, "item": ["rc1", "rc1", "rc2", "rc2"],
    ...                   "value": [4.0, None, 2.0, 3.0], "missing": [None, "dont_know", None, None]})
    >>> missingness(r)[["item", "n", "n_dont_know", "share_missing"]].to_dict("records")
    [{'item': 'rc1', 'n': 2, 'n_dont_know': 1, 'share_missing': 0.5}, {'item': 'rc2', 'n': 2, 'n_dont_know': 0, 'share_missing': 0.0}]
    """
    keys = [*by, "item"]
    counts = ["n", "n_valid", "n_dont_know", "n_missing_code", "n_empty"]
    data = responses if items is None else responses[responses["item"].isin(list(items))]
    kinds = data["missing"].astype(object).where(data["missing"].notna(), "valid")
    table = pd.crosstab([data[k] for k in keys], kinds)
    for kind in ("valid", "dont_know", "missing_code", "empty"):
        if kind not in table.columns:
            table[kind] = 0
    out = table.reset_index()
    out.columns.name = None
    out["n"] = out[["valid", "dont_know", "missing_code", "empty"]].sum(axis=1)
    out = out.rename(columns={"valid": "n_valid", "dont_know": "n_dont_know", "missing_code": "n_missing_code",
                              "empty": "n_empty"})
    out["share_missing"] = np.where(out["n"] > 0, 1 - out["n_valid"] / out["n"].where(out["n"] > 0), np.nan)
    return out[[*keys, *counts, "share_missing"]]


def linked_respondents(respondents: pd.DataFrame, waves: Sequence[str] = ("baseline", "followup")) -> pd.Series:
    """Respondents present in every one of ``waves`` (sorted)."""
    rcol = respondent_column(respondents)
    present = respondents[respondents["wave"].isin(waves)].groupby(rcol)["wave"].nunique()
    return pd.Series(sorted(present[present == len(set(waves))].index), name="respondent")


def filter_respondents(respondents: pd.DataFrame, responses: pd.DataFrame, *, waves: Sequence[str] = (),
                       roles: Sequence[str] = (), municipalities: Sequence[str] = ()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep the respondents (and their responses) of the given waves, roles and municipalities.

    Empty lists mean "all". Returns ``(respondents, responses)``.
    """
    keep = pd.Series(True, index=respondents.index)
    for column, values in (("wave", waves), ("role", roles), ("municipality", municipalities)):
        if values:
            if column not in respondents.columns:
                raise DataError(f"cannot filter by {column!r}: no such column", location="parameters")
            keep &= respondents[column].isin(list(values))
    kept = respondents[keep]
    rcol, rr = respondent_column(responses), respondent_column(kept)
    keys = kept[[rr, "wave"]].rename(columns={rr: rcol})
    return kept.reset_index(drop=True), responses.merge(keys, on=[rcol, "wave"], how="inner")

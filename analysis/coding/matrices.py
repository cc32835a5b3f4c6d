"""Counting codings: frequencies, code × group matrices, co-occurrence, timelines, quotations.

All functions take the long codings table of :func:`analysis.coding.autocode.autocode`
(``segment_id, code, …``) and the ``segments`` table it was made from, and return tidy
(long) DataFrames with counts next to every share, so that small cells can be
suppressed when a table is published.

The *unit of counting* is the segment: a code counts once per segment however many
rules fired in it. Codings of segments that are not in ``segments`` are ignored, so a
subset (one work package, one period) is analysed by filtering ``segments`` only.

Examples
--------
>>> import pandas as pd
>>> segments = pd.DataFrame({"segment_id": ["a", "b", "c", "d"],
...                          "speaker_role": ["young_person", "young_person", "social_worker", "social_worker"]})
>>> codings = pd.DataFrame({"segment_id": ["a", "a", "b", "c"],
...                         "code": ["housing", "money", "housing", "money"]})
>>> code_cooccurrence(codings, segments).query("code_a == 'housing' and code_b == 'money'")[
...     ["n_a", "n_b", "n_both", "jaccard"]].to_dict("records")
[{'n_a': 2, 'n_b': 2, 'n_both': 1, 'jaccard': 0.3333333333333333}]
"""

from __future__ import annotations

import hashlib
import math
import re
import warnings
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from analysis.coding.codebook import Codebook, as_codebook
from analysis.errors import DataError

MISSING_GROUP = "unknown"


# --------------------------------------------------------------------------- helpers
def _check(frame: pd.DataFrame, columns: list[str], name: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}", file=name)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"missing column(s) {', '.join(missing)}", file=name,
                        location=f"columns {list(frame.columns)}",
                        hint=f"Pass the {name} table with {', '.join(columns)}.")


def _as_list(by: str | list[str] | None) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def _codes_order(codings: pd.DataFrame, codebook: Codebook | str | Path | None, codes: list[str] | None) -> list[str]:
    if codes is not None:
        return list(codes)
    if codebook is not None:
        return as_codebook(codebook).ids
    return sorted(codings["code"].astype(str).unique())


def _groups(segments: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    frame = segments[["segment_id", *by]].copy()
    frame["segment_id"] = frame["segment_id"].astype(str)
    for col in by:
        values = frame[col]
        if isinstance(values.dtype, pd.CategoricalDtype):
            continue
        frame[col] = values.astype(object).where(values.notna(), MISSING_GROUP)
    return frame


def _codings_in(codings: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    _check(codings, ["segment_id", "code"], "codings")
    frame = codings[["segment_id", "code"]].astype({"segment_id": str, "code": str}).drop_duplicates()
    ids = set(segments["segment_id"].astype(str))
    return frame[frame["segment_id"].isin(ids)]


def _names(codebook: Codebook | str | Path | None) -> pd.DataFrame | None:
    if codebook is None:
        return None
    return as_codebook(codebook).codes[["code", "name_fi", "name_en", "parent", "level"]]


def coding_matrix(codings: pd.DataFrame, segments: pd.DataFrame, codes: list[str] | None = None) -> pd.DataFrame:
    """Wide 0/1 table: one row per segment (in ``segments`` order), one column per code.

    Parameters
    ----------
    codings : DataFrame
        ``segment_id, code``.
    segments : DataFrame
        ``segment_id``.
    codes : list of str, optional
        Columns, in this order; default every coded code, sorted.

    Returns
    -------
    DataFrame
        Index ``segment_id``, integer 0/1 columns.
    """
    _check(segments, ["segment_id"], "segments")
    coded = _codings_in(codings, segments)
    codes = list(codes) if codes is not None else sorted(coded["code"].unique())
    ids = segments["segment_id"].astype(str)
    matrix = pd.DataFrame(0, index=pd.Index(ids, name="segment_id"), columns=pd.Index(codes, name="code"),
                          dtype="int64")
    coded = coded[coded["code"].isin(codes)]
    for code, group in coded.groupby("code", sort=False):
        matrix.loc[matrix.index.isin(group["segment_id"]), code] = 1
    return matrix


# --------------------------------------------------------------------------- frequencies
def code_frequencies(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    codebook: Codebook | str | Path | None = None,
    *,
    by: str | list[str] | None = None,
    codes: list[str] | None = None,
) -> pd.DataFrame:
    """Number and share of segments carrying each code, overall or per group.

    Parameters
    ----------
    codings : DataFrame
        ``segment_id, code`` from :func:`~analysis.coding.autocode.autocode`.
    segments : DataFrame
        The segments analysed (``segment_id`` and the ``by`` columns).
    codebook : Codebook or path, optional
        Gives the code order and the ``name_fi``/``name_en``/``parent``/``level`` columns;
        every code of the codebook gets a row, also when it never occurs.
    by : str or list of str, optional
        Group columns of ``segments``, e.g. ``"speaker_role"`` (code × role) or
        ``"work_package"`` (code × work package). Missing values become ``"unknown"``.
    codes : list of str, optional
        Restrict to these codes, in this order.

    Returns
    -------
    DataFrame
        ``[by…], code, [name_fi, name_en, parent, level], n_segments, n_total, share``
        where ``n_total`` is the number of segments in the group and ``share`` =
        ``n_segments / n_total`` (NaN for an empty group). Every code × group
        combination is present (zeros included), ordered by group, then codebook order.

    Examples
    --------
    >>> import pandas as pd
    >>> seg = pd.DataFrame({"segment_id": ["a", "b", "c"], "speaker_role": ["young_person", "social_worker", "social_worker"]})
    >>> cod = pd.DataFrame({"segment_id": ["a", "c"], "code": ["housing", "housing"]})
    >>> code_frequencies(cod, seg, by="speaker_role")[["speaker_role", "n_segments", "n_total", "share"]].values.tolist()
    [['social_worker', 1, 2, 0.5], ['young_person', 1, 1, 1.0]]
    """
    by = _as_list(by)
    _check(segments, ["segment_id", *by], "segments")
    codes = _codes_order(codings, codebook, codes)
    groups = _groups(segments, by)
    coded = _codings_in(codings, segments).merge(groups, on="segment_id", how="left")
    coded = coded[coded["code"].isin(codes)]

    if by:
        totals = groups.groupby(by, sort=True, observed=True).size().rename("n_total").reset_index()
        counts = coded.groupby([*by, "code"], sort=False, observed=True).size().rename("n_segments").reset_index()
    else:
        totals = pd.DataFrame({"n_total": [len(groups)]})
        counts = coded.groupby("code", sort=False).size().rename("n_segments").reset_index()
    grid = totals.merge(pd.DataFrame({"code": codes}), how="cross")
    out = grid.merge(counts, on=[*by, "code"], how="left")
    out["n_segments"] = out["n_segments"].fillna(0).astype("int64")
    out["n_total"] = out["n_total"].astype("int64")
    out["share"] = np.where(out["n_total"] > 0, out["n_segments"] / out["n_total"].where(out["n_total"] > 0, 1), np.nan)
    order = {code: i for i, code in enumerate(codes)}
    out["_order"] = out["code"].map(order)
    out = out.sort_values([*by, "_order"], kind="stable").drop(columns="_order").reset_index(drop=True)
    names = _names(codebook)
    columns = [*by, "code"]
    if names is not None:
        out = out.merge(names, on="code", how="left")
        columns += ["name_fi", "name_en", "parent", "level"]
    return out[columns + ["n_segments", "n_total", "share"]]


def code_matrix(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    codebook: Codebook | str | Path | None = None,
    *,
    by: str = "speaker_role",
    value: str = "n_segments",
    codes: list[str] | None = None,
) -> pd.DataFrame:
    """Code × group matrix (wide), e.g. code × role or code × work package.

    Parameters
    ----------
    codings, segments, codebook, codes
        As in :func:`code_frequencies`.
    by : str
        The group column of ``segments``.
    value : {"n_segments", "share"}
        Counts, or the share of the group's segments that carry the code.

    Returns
    -------
    DataFrame
        Index ``code`` (codebook order), one column per group (sorted).
    """
    if value not in ("n_segments", "share"):
        raise ValueError(f"value must be 'n_segments' or 'share', got {value!r}")
    long = code_frequencies(codings, segments, codebook, by=by, codes=codes)
    codes_order = list(dict.fromkeys(long["code"]))
    wide = long.pivot(index="code", columns=by, values=value).reindex(codes_order)
    wide.columns.name = by
    return wide


# --------------------------------------------------------------------------- co-occurrence
def code_cooccurrence(
    codings: pd.DataFrame,
    segments: pd.DataFrame | None = None,
    codebook: Codebook | str | Path | None = None,
    *,
    codes: list[str] | None = None,
) -> pd.DataFrame:
    """Code co-occurrence within segments: counts and Jaccard similarity.

    Parameters
    ----------
    codings : DataFrame
        ``segment_id, code``.
    segments : DataFrame, optional
        Restrict to these segments (default: all coded segments).
    codebook : Codebook or path, optional
        Code order (all codebook codes get rows).
    codes : list of str, optional
        Restrict to these codes (e.g. ``codebook.top_level``: a sub-theme always
        co-occurs with its parent, which says nothing).

    Returns
    -------
    DataFrame
        Long, every ordered pair including the diagonal: ``code_a, code_b, n_a, n_b,
        n_both, jaccard`` with Jaccard = ``n_both / (n_a + n_b − n_both)`` (NaN when
        neither code occurs; 1 on the diagonal of an occurring code).
    """
    if segments is None:
        segments = pd.DataFrame({"segment_id": codings["segment_id"].astype(str).drop_duplicates()})
    codes = _codes_order(codings, codebook, codes)
    matrix = coding_matrix(codings, segments, codes)
    values = matrix.to_numpy(dtype=np.int64)
    both = values.T @ values
    n = np.diag(both)
    rows = []
    for i, a in enumerate(codes):
        for j, b in enumerate(codes):
            union = n[i] + n[j] - both[i, j]
            rows.append({"code_a": a, "code_b": b, "n_a": int(n[i]), "n_b": int(n[j]),
                         "n_both": int(both[i, j]), "jaccard": float(both[i, j] / union) if union else math.nan})
    return pd.DataFrame(rows, columns=["code_a", "code_b", "n_a", "n_b", "n_both", "jaccard"])


# --------------------------------------------------------------------------- timeline
def _quarter(values: pd.Series, name: str = "date") -> pd.PeriodIndex:
    dates = pd.to_datetime(values, errors="coerce")
    bad = values.notna() & dates.isna()
    if bad.any():
        first = bad[bad].index[0]
        raise DataError(f"unreadable date {values.loc[first]!r}", file="segments", location=f"column '{name}'",
                        hint="Dates must be ISO (2025-03-31).")
    return pd.PeriodIndex(dates, freq="Q")


def code_timeline(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    codebook: Codebook | str | Path | None = None,
    *,
    date_column: str = "date",
    by: str | list[str] | None = None,
    codes: list[str] | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
) -> pd.DataFrame:
    """Code prevalence per calendar quarter (diary theme timeline).

    Parameters
    ----------
    codings : DataFrame
        ``segment_id, code``.
    segments : DataFrame
        ``segment_id``, ``date_column`` and the ``by`` columns, typically diary entries.
    codebook : Codebook or path, optional
        Code order; every code gets a row per quarter.
    date_column : str
        Column with the date of each segment.
    by : str or list of str, optional
        Extra group columns, e.g. ``"work_package"``.
    codes : list of str, optional
        Restrict to these codes.
    date_from, date_to : str, optional
        Keep segments dated within ``[date_from, date_to]`` and list every quarter of
        that range (also quarters without entries). Default: the data's range.

    Returns
    -------
    DataFrame
        ``[by…], code, quarter, n_entries, n_coded, share``: ``quarter`` is a string
        such as ``"2025Q1"``; ``n_entries`` counts the segments dated in the quarter
        (and group), ``n_coded`` those carrying the code; ``share`` is NaN when a
        quarter has no entries. Segments without a date are left out.

    Examples
    --------
    >>> import pandas as pd
    >>> seg = pd.DataFrame({"segment_id": ["a", "b", "c"], "date": ["2025-01-10", "2025-02-01", "2025-07-01"]})
    >>> cod = pd.DataFrame({"segment_id": ["a", "c"], "code": ["housing", "housing"]})
    >>> code_timeline(cod, seg)[["quarter", "n_entries", "n_coded"]].values.tolist()
    [['2025Q1', 2, 1], ['2025Q2', 0, 0], ['2025Q3', 1, 1]]
    """
    by = _as_list(by)
    _check(segments, ["segment_id", date_column, *by], "segments")
    frame = _groups(segments, by)
    frame["quarter"] = _quarter(segments[date_column], date_column).astype("period[Q-DEC]")
    frame["_date"] = pd.to_datetime(segments[date_column], errors="coerce").to_numpy()
    frame = frame[frame["_date"].notna()]
    if date_from is not None:
        frame = frame[frame["_date"] >= pd.Timestamp(date_from)]
    if date_to is not None:
        frame = frame[frame["_date"] <= pd.Timestamp(date_to)]
    codes = _codes_order(codings, codebook, codes)
    if frame.empty:
        columns = [*by, "code", "quarter", "n_entries", "n_coded", "share"]
        return pd.DataFrame(columns=columns)
    start = pd.Period(date_from, freq="Q") if date_from is not None else frame["quarter"].min()
    end = pd.Period(date_to, freq="Q") if date_to is not None else frame["quarter"].max()
    quarters = pd.period_range(start, end, freq="Q")

    coded = _codings_in(codings, frame).merge(frame[["segment_id", "quarter", *by]], on="segment_id")
    coded = coded[coded["code"].isin(codes)]
    keys = [*by, "quarter"]
    totals = frame.groupby(keys, observed=True).size().rename("n_entries").reset_index()
    counts = coded.groupby([*keys, "code"], observed=True).size().rename("n_coded").reset_index()
    grid = pd.DataFrame({"quarter": quarters})
    if by:
        grid = frame[by].drop_duplicates().sort_values(by).merge(grid, how="cross")
    grid = grid.merge(pd.DataFrame({"code": codes}), how="cross")
    out = grid.merge(totals, on=keys, how="left").merge(counts, on=[*keys, "code"], how="left")
    out["n_entries"] = out["n_entries"].fillna(0).astype("int64")
    out["n_coded"] = out["n_coded"].fillna(0).astype("int64")
    out["share"] = out["n_coded"] / out["n_entries"].where(out["n_entries"] > 0)
    out["_order"] = out["code"].map({c: i for i, c in enumerate(codes)})
    out = out.sort_values([*by, "_order", "quarter"], kind="stable").drop(columns="_order")
    out["quarter"] = out["quarter"].astype(str)
    return out[[*by, "code", "quarter", "n_entries", "n_coded", "share"]].reset_index(drop=True)


def code_trend(timeline: pd.DataFrame, *, by: str | list[str] | None = None) -> pd.DataFrame:
    """Test each code's prevalence over the quarters for a linear trend.

    The test is the Cochran–Armitage chi-square test for trend in proportions
    (statsmodels' linear-by-linear association test on the 2 × quarters table, scores =
    the quarter's position in time, so gaps count; its z² = R ``prop.trend.test(n_coded,
    n_entries, score)``'s X² × (N − 1)/N, the linear-by-linear M² = (N − 1)r²). As an
    effect size, a logistic regression of coded/not coded on time (in years) gives the
    odds ratio per year with a 95 % interval; the entries of a quarter come from the
    same few diarists, so the binomial SE is multiplied by √dispersion with the
    dispersion = Pearson χ²/df but never below 1 (a quasi-binomial model that is never
    more confident than the binomial one), and the interval uses the t distribution with
    the residual df (R: ``glm(cbind(coded, entries - coded) ~ years, quasibinomial)``
    with ``summary(fit, dispersion = max(1, summary(fit)$dispersion))`` and ``qt``).

    Parameters
    ----------
    timeline : DataFrame
        Output of :func:`code_timeline` (``code, quarter, n_entries, n_coded``).
    by : str or list of str, optional
        Group columns of the timeline to test separately (e.g. ``"work_package"``).

    Returns
    -------
    DataFrame
        ``[by…], code, n_entries, n_coded, n_quarters, statistic, df, z, p, direction,
        odds_ratio_year, or_ci_low, or_ci_high, dispersion``. ``statistic`` is the trend chi-square
        (1 df, = z²); ``direction`` is ``"increasing"`` or ``"decreasing"`` by the sign
        of z whatever p (read it together with p), ``"none"`` when the test cannot be
        computed (no coded or no uncoded entries, or a single quarter with entries).

    Examples
    --------
    >>> import pandas as pd
    >>> tl = pd.DataFrame({"code": "housing", "quarter": ["2024Q1", "2024Q2", "2024Q3"],
    ...                    "n_entries": [20, 20, 20], "n_coded": [2, 6, 12]})
    >>> row = code_trend(tl).iloc[0]
    >>> row["direction"], bool(row["p"] < 0.001)
    ('increasing', True)
    """
    from statsmodels.stats.contingency_tables import Table

    by = _as_list(by)
    _check(timeline, [*by, "code", "quarter", "n_entries", "n_coded"], "timeline")
    rows = []
    for key, group in timeline.groupby([*by, "code"], sort=False, observed=True):
        key = key if isinstance(key, tuple) else (key,)
        periods = pd.PeriodIndex(group["quarter"].astype(str), freq="Q")
        position = np.asarray([(p.year - periods.min().year) * 4 + (p.quarter - periods.min().quarter)
                               for p in periods], dtype=float)
        entries = group["n_entries"].to_numpy(dtype=float)
        coded = group["n_coded"].to_numpy(dtype=float)
        keep = entries > 0
        position, entries, coded = position[keep], entries[keep], coded[keep]
        row = dict(zip([*by, "code"], key))
        row.update(n_entries=int(entries.sum()), n_coded=int(coded.sum()), n_quarters=int(keep.sum()),
                   statistic=math.nan, df=1, z=math.nan, p=math.nan, direction="none",
                   odds_ratio_year=math.nan, or_ci_low=math.nan, or_ci_high=math.nan, dispersion=math.nan)
        testable = len(position) >= 2 and 0 < coded.sum() < entries.sum()
        if testable:
            table = np.vstack([entries - coded, coded]).T  # rows = quarters, columns = not coded / coded
            result = Table(table).test_ordinal_association(row_scores=position, col_scores=np.array([0.0, 1.0]))
            z = float(result.zscore)
            row.update(statistic=z * z, z=z, p=float(result.pvalue),
                       direction="increasing" if z > 0 else "decreasing" if z < 0 else "none")
            row.update(_logistic_or(position / 4.0, coded, entries))
        rows.append(row)
    columns = [*by, "code", "n_entries", "n_coded", "n_quarters", "statistic", "df", "z", "p", "direction",
               "odds_ratio_year", "or_ci_low", "or_ci_high", "dispersion"]
    return pd.DataFrame(rows, columns=columns)


def _logistic_or(years: np.ndarray, coded: np.ndarray, entries: np.ndarray) -> dict:
    """Odds ratio per year from a quasi-binomial GLM on grouped counts (dispersion ≥ 1; {} when it fails)."""
    # the GLM modules only: statsmodels.api imports every model (seconds per kernel)
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM
    from statsmodels.tools.tools import add_constant

    endog = np.column_stack([coded, entries - coded])
    exog = add_constant(years, has_constant="add")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = GLM(endog, exog, family=families.Binomial()).fit(tol=1e-13, maxiter=200)
        beta, se = float(fit.params[1]), float(fit.bse[1])
        df_resid = float(fit.df_resid)
        pearson = float(np.sum(fit.resid_pearson**2))
    except Exception:  # noqa: BLE001 - perfect separation or singular design: report no effect size
        return {}
    if not (math.isfinite(beta) and math.isfinite(se)):
        return {}
    dispersion = max(1.0, pearson / df_resid) if df_resid > 0 and math.isfinite(pearson) else 1.0
    se *= math.sqrt(dispersion)
    crit = float(stats.t.ppf(0.975, df_resid)) if df_resid > 0 else float(stats.norm.ppf(0.975))
    return {"odds_ratio_year": math.exp(beta), "or_ci_low": math.exp(beta - crit * se),
            "or_ci_high": math.exp(beta + crit * se), "dispersion": dispersion}


# --------------------------------------------------------------------------- project years
def _year_month(start: str) -> tuple[int, int]:
    try:
        when = pd.Timestamp(start)
    except (ValueError, TypeError) as exc:
        raise DataError(f"unreadable project start {start!r}", location="start",
                        hint="Give the first day of the project as an ISO date (2024-03-01).") from exc
    return when.year, when.month


def project_year(dates: pd.Series, start: str) -> pd.Series:
    """The project year of each date: 1 for the twelve months from the month of ``start``, then 2, 3 …

    Parameters
    ----------
    dates : Series
        Dates (anything :func:`pandas.to_datetime` reads); every one must be readable.
    start : str
        The project's first day (``config/vocabulary.yaml``: ``project.start``); only its
        month counts. Dates before it get year 0 or less.

    Returns
    -------
    Series of int64
        Same index as ``dates``.

    Raises
    ------
    DataError
        A missing or unreadable date (naming the row).

    Examples
    --------
    >>> project_year(pd.Series(["2024-03-01", "2025-02-28", "2025-03-01"]), "2024-03-01").tolist()
    [1, 1, 2]
    """
    year0, month0 = _year_month(start)
    when = pd.to_datetime(dates, errors="coerce")
    bad = when.isna()
    if bad.any():
        first = bad[bad].index[0]
        raise DataError(f"missing or unreadable date {dates.loc[first]!r}", location=f"row {first}",
                        hint="Every segment needs a date to be counted in a project year (ISO: 2025-03-31).")
    return (((when.dt.year - year0) * 12 + when.dt.month - month0) // 12 + 1).astype("int64")


def project_year_period(year: int, start: str) -> str:
    """The months of project year ``year`` as ``"3/2024–2/2025"``.

    Examples
    --------
    >>> project_year_period(1, "2024-03-01"), project_year_period(3, "2024-03-01"), project_year_period(1, "2024-01-15")
    ('3/2024–2/2025', '3/2026–2/2027', '1/2024–12/2024')
    """
    year0, month0 = _year_month(start)
    first = year0 + int(year) - 1
    if month0 == 1:
        return f"1/{first}–12/{first}"
    return f"{month0}/{first}–{month0 - 1}/{first + 1}"


def code_by_project_year(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    codes: Mapping[str, str] | Sequence[str],
    *,
    start: str,
    date_column: str = "date",
) -> pd.DataFrame:
    """Segments carrying each code per project year (the year runs from the month of ``start``).

    Parameters
    ----------
    codings : DataFrame
        ``segment_id, code``.
    segments : DataFrame
        ``segment_id`` and ``date_column``, typically the diary entries of one work package.
    codes : mapping or sequence of str
        The codes, in column order; a mapping gives each code the name used in its
        columns (``{"housing_worries": "worries"}`` → ``n_worries``, ``share_worries``).
    start : str
        The project's first day (see :func:`project_year`).
    date_column : str
        The date of a segment.

    Returns
    -------
    DataFrame
        ``year, period, n_entries, n_<name>…, share_<name>…`` for every project year with
        segments, in year order; ``share_<name>`` is ``n_<name> / n_entries``. Small counts
        are not hidden here: publish through the registry, and leave out numbers of the
        years :func:`analysis.privacy.suppress.groups_below_k` names.

    Examples
    --------
    >>> seg = pd.DataFrame({"segment_id": ["a", "b", "c"], "date": ["2024-04-02", "2024-12-01", "2025-05-05"]})
    >>> cod = pd.DataFrame({"segment_id": ["a", "c", "c"], "code": ["housing", "housing", "housing_worries"]})
    >>> table = code_by_project_year(cod, seg, {"housing": "housing", "housing_worries": "worries"}, start="2024-03-01")
    >>> list(table.columns)
    ['year', 'period', 'n_entries', 'n_housing', 'n_worries', 'share_housing', 'share_worries']
    >>> table.values.tolist()
    [[1, '3/2024–2/2025', 2, 1, 0, 0.5, 0.0], [2, '3/2025–2/2026', 1, 1, 1, 1.0, 1.0]]
    """
    _check(segments, ["segment_id", date_column], "segments")
    names = dict(codes) if isinstance(codes, Mapping) else {str(c): str(c) for c in codes}
    coded = coding_matrix(codings, segments, list(names)).rename(columns=names)
    years = project_year(segments[date_column], start)
    yearly = (segments[["segment_id"]].assign(year=years.to_numpy())
              .join(coded, on="segment_id").groupby("year")
              .agg(n_entries=("segment_id", "size"), **{f"n_{n}": (n, "sum") for n in names.values()})
              .reset_index())
    for name in names.values():
        yearly[f"share_{name}"] = yearly[f"n_{name}"] / yearly["n_entries"]
    yearly["period"] = [project_year_period(y, start) for y in yearly["year"]]
    return yearly[["year", "period", "n_entries", *(f"n_{n}" for n in names.values()),
                   *(f"share_{n}" for n in names.values())]]


# --------------------------------------------------------------------------- quotations
#: Bracketed marks that record a redaction and stay visible in a quotation:
#: ``[nimi]``, ``[puhelinnumero]``, ``[Nuori 2]``, ``[nimi poistettu]``, ``[kunta]`` …
_REDACTION_MARK = re.compile(
    r"\[\[?(?:nimi[^\[\]]{0,20}|henkilötunnus|sähköposti|puhelinnumero|osoite|kunta[^\[\]]{0,20}|tunnus|"
    r"[A-ZÅÄÖ][A-Za-zÅÄÖåäö]*\s?\d+)\]\]?")
#: A quotation is not chosen when more than this share of its words are redaction marks.
MAX_REDACTED_SHARE = 1 / 3


def _clean_text(text: str) -> str:
    """Time stamps and transcription marks removed; redaction marks kept (the reader sees them)."""
    text = str(text)
    kept: list[str] = []

    def hold(match: re.Match) -> str:
        kept.append(match.group())
        return f" QREDACTIONMARK{len(kept) - 1}Q "

    held = _REDACTION_MARK.sub(hold, text)
    try:
        from analysis.text.tokenize import strip_marks
    except ImportError:  # pragma: no cover - the text package is part of the workspace
        cleaned = " ".join(held.split())
    else:
        cleaned = " ".join(strip_marks(held).split())
    cleaned = re.sub(r"QREDACTIONMARK(\d+)Q", lambda m: kept[int(m.group(1))], cleaned)
    return re.sub(r"\s+([.,;:!?)])", r"\1", cleaned).replace("( ", "(")


def _redacted_share(text: str) -> float:
    """Share of the words of a (cleaned) quotation that are redaction marks."""
    marks = _REDACTION_MARK.findall(text)
    words = len(_REDACTION_MARK.sub(" ", text).split()) + len(marks)
    return len(marks) / words if words else 0.0


def _source_label(row: pd.Series) -> str:
    parts = []
    doc_type = row.get("doc_type")
    if doc_type == "diary":
        if isinstance(row.get("work_package"), str):
            parts.append(row["work_package"])
    elif isinstance(row.get("doc_id"), str):
        parts.append(row["doc_id"])
    date = row.get("date")
    if date is not None and not (isinstance(date, float) and math.isnan(date)) and date is not pd.NaT:
        try:
            parts.append(pd.Timestamp(date).strftime("%Y-%m-%d"))
        except (ValueError, TypeError):
            parts.append(str(date))
    return ", ".join(parts)


def quotations(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    codebook: Codebook | str | Path | None = None,
    *,
    codes: list[str] | None = None,
    per_code: int = 3,
    min_chars: int = 40,
    max_chars: int = 400,
    unique: bool = True,
    exclude_roles: tuple[str, ...] = ("facilitator", "researcher"),
) -> pd.DataFrame:
    """Select example quotations per code, deterministically.

    Candidates are the segments carrying the code whose cleaned text (time stamps and
    transcription marks removed) is ``min_chars``–``max_chars`` characters long. They
    Redaction marks (``[nimi]``, ``[puhelinnumero]``, ``[Nuori 2]``) stay in the text, so
    a reader sees that something was removed; a segment whose words are more than
    :data:`MAX_REDACTED_SHARE` redaction marks is not quoted. Candidates
    are ranked by the number of rule hits (most first), then by length (shortest
    first), then by ``segment_id``. With ``unique=True`` a segment is quoted for one
    code only (codes take turns in codebook order), so the report does not repeat
    itself; the same words are never quoted twice. The facilitators' and researchers'
    turns are not quoted by default (their questions are not findings). Speakers are the
    pseudonyms of the segments table.

    Parameters
    ----------
    codings : DataFrame
        ``segment_id, code`` and, when present, ``n_hits`` and ``matched``.
    segments : DataFrame
        ``segment_id, text`` and, when present, ``doc_id, doc_type, speaker,
        speaker_role, work_package, date``.
    codebook : Codebook or path, optional
        Code order and names.
    codes : list of str, optional
        Restrict to these codes.
    per_code : int
        Quotations per code.
    min_chars, max_chars : int
        Length window of a quotable segment.
    unique : bool
        Quote each segment for one code at most.
    exclude_roles : tuple of str
        Speaker roles whose segments are not quoted.

    Returns
    -------
    DataFrame
        ``code, [name_fi, name_en], rank, segment_id, speaker, speaker_role, source,
        text, n_hits, matched``; ``source`` is ``"W03, 2025-03-12"`` for a workshop
        and ``"TP2C, 2025-04-03"`` for a diary entry.
    """
    _check(segments, ["segment_id", "text"], "segments")
    if per_code < 1:
        raise ValueError("per_code must be at least 1")
    codes = _codes_order(codings, codebook, codes)
    seg = segments.copy()
    seg["segment_id"] = seg["segment_id"].astype(str)
    seg["clean"] = seg["text"].fillna("").map(_clean_text)
    seg["length"] = seg["clean"].str.len()
    cod = codings.copy()
    cod["segment_id"] = cod["segment_id"].astype(str)
    if "n_hits" not in cod.columns:
        cod["n_hits"] = 1
    if "matched" not in cod.columns:
        cod["matched"] = ""
    cod = cod[cod["code"].isin(codes)].merge(seg, on="segment_id", how="inner")
    cod = cod[(cod["length"] >= min_chars) & (cod["length"] <= max_chars)]
    # a quotation that is mostly redactions says nothing and points at what was removed
    cod = cod[cod["clean"].map(_redacted_share) <= MAX_REDACTED_SHARE]
    if exclude_roles and "speaker_role" in cod.columns:
        cod = cod[~cod["speaker_role"].isin(exclude_roles)]
    cod = cod.sort_values(["n_hits", "length", "segment_id"], ascending=[False, True, True], kind="stable")
    candidates = {code: list(group.itertuples(index=False)) for code, group in cod.groupby("code", sort=False)}
    chosen: dict[str, list] = {code: [] for code in codes}
    used: set[str] = set()
    quoted_texts: set[str] = set()
    for _round in range(per_code):
        for code in codes:
            for row in candidates.get(code, []):
                if len(chosen[code]) > _round:
                    break
                if row.segment_id in used or any(r.segment_id == row.segment_id for r in chosen[code]):
                    continue
                if (unique and row.clean in quoted_texts) or any(r.clean == row.clean for r in chosen[code]):
                    continue  # the same words said twice are quoted once
                chosen[code].append(row)
                quoted_texts.add(row.clean)
                if unique:
                    used.add(row.segment_id)
                break
    rows = []
    for code in codes:
        for rank, row in enumerate(chosen[code], start=1):
            record = row._asdict()
            rows.append({
                "code": code, "rank": rank, "segment_id": row.segment_id,
                "speaker": record.get("speaker"), "speaker_role": record.get("speaker_role"),
                "source": _source_label(pd.Series(record)), "text": row.clean,
                "n_hits": int(row.n_hits), "matched": row.matched,
            })
    columns = ["code", "rank", "segment_id", "speaker", "speaker_role", "source", "text", "n_hits", "matched"]
    out = pd.DataFrame(rows, columns=columns)
    names = _names(codebook)
    if names is not None:
        out = out.merge(names[["code", "name_fi", "name_en"]], on="code", how="left")
        out = out[["code", "name_fi", "name_en", *columns[1:]]]
    return out


# --------------------------------------------------------------------------- coverage
def coverage(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    *,
    by: str | list[str] | None = None,
    codes: list[str] | None = None,
) -> pd.DataFrame:
    """Coding coverage: the share of segments with at least one code, overall or per group.

    Parameters
    ----------
    codings : DataFrame
        ``segment_id, code``.
    segments : DataFrame
        ``segment_id`` and the ``by`` columns.
    by : str or list of str, optional
        Group columns, e.g. ``"speaker_role"`` or ``"doc_id"``.
    codes : list of str, optional
        Count only these codes (default: any code).

    Returns
    -------
    DataFrame
        ``[by…], n_segments, n_coded, n_uncoded, share``.

    Examples
    --------
    >>> import pandas as pd
    >>> seg = pd.DataFrame({"segment_id": ["a", "b", "c", "d"]})
    >>> coverage(pd.DataFrame({"segment_id": ["a", "a", "c"], "code": ["x", "y", "x"]}), seg).to_dict("records")
    [{'n_segments': 4, 'n_coded': 2, 'n_uncoded': 2, 'share': 0.5}]
    """
    by = _as_list(by)
    _check(segments, ["segment_id", *by], "segments")
    frame = _groups(segments, by)
    coded = _codings_in(codings, segments)
    if codes is not None:
        coded = coded[coded["code"].isin(codes)]
    frame["coded"] = frame["segment_id"].isin(set(coded["segment_id"]))
    if by:
        out = frame.groupby(by, sort=True, observed=True).agg(n_segments=("coded", "size"),
                                                               n_coded=("coded", "sum")).reset_index()
    else:
        out = pd.DataFrame({"n_segments": [len(frame)], "n_coded": [int(frame["coded"].sum())]})
    out["n_segments"] = out["n_segments"].astype("int64")
    out["n_coded"] = out["n_coded"].astype("int64")
    out["n_uncoded"] = out["n_segments"] - out["n_coded"]
    out["share"] = out["n_coded"] / out["n_segments"].where(out["n_segments"] > 0)
    return out[[*by, "n_segments", "n_coded", "n_uncoded", "share"]]


def uncoded_sample(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    *,
    n: int = 20,
    seed: int = 20240301,
    min_chars: int = 40,
) -> pd.DataFrame:
    """A deterministic sample of segments no code caught, for inductive review.

    Segments are ordered by a keyed hash of ``seed`` and ``segment_id`` (SHA-256), so
    the sample does not depend on row order, and adding segments does not reshuffle
    those already sampled. Segments shorter than ``min_chars`` (after removing
    transcription marks) are skipped: "joo", "okei" say nothing to review.

    Parameters
    ----------
    codings : DataFrame
        ``segment_id, code``.
    segments : DataFrame
        ``segment_id, text`` (plus any context columns, which are kept).
    n : int
        Sample size (fewer when fewer uncoded segments qualify).
    seed : int
        Changes the sample.
    min_chars : int
        Minimum length of a sampled segment.

    Returns
    -------
    DataFrame
        The sampled rows of ``segments`` with ``text`` cleaned, in sample order.
    """
    _check(segments, ["segment_id", "text"], "segments")
    coded = set(_codings_in(codings, segments)["segment_id"])
    frame = segments.copy()
    frame["segment_id"] = frame["segment_id"].astype(str)
    frame = frame[~frame["segment_id"].isin(coded)].copy()
    frame["text"] = frame["text"].fillna("").map(_clean_text)
    frame = frame[frame["text"].str.len() >= min_chars]
    key = frame["segment_id"].map(lambda s: hashlib.sha256(f"{seed}:{s}".encode("utf-8")).hexdigest())
    frame = frame.assign(_key=key).sort_values("_key", kind="stable").drop(columns="_key")
    keep = [c for c in ("segment_id", "unit", "doc_id", "doc_type", "speaker", "speaker_role", "work_package",
                        "date", "text") if c in frame.columns]
    return frame[keep].head(n).reset_index(drop=True)

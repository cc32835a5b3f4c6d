"""Small-cell control: the one function every published table goes through.

Rules (statistical disclosure control, cf. Statistics Finland's output checking):

1. **Primary suppression** – a count ``1 <= n < k`` (default ``k = 5``) is shown as the
   string ``"<k"`` (``"<5"``). Zeros are shown.
2. **Derived values** – percentages, means, standard deviations or test statistics
   computed from a suppressed count are blanked (NaN).
3. **Secondary suppression** – along every additive line (a row with its row total, a
   column with its column total; the totals may be shown in the table or be known from
   elsewhere) a suppressed cell must never be the *only* hidden entry, or it could be
   recovered as *total − visible cells*. While a line has exactly one hidden entry, the
   smallest other non-zero cell of that line is hidden as well (ties: first in table
   order); if there is none, the line's total; zeros only as a last resort. This repeats
   until no line changes. Secondary cells are shown as ``"x"``.

Examples
--------
>>> import pandas as pd
>>> ct = pd.DataFrame({"ST": [12, 3, 15], "SO": [9, 8, 17], "All": [21, 11, 32]},
...                   index=["Kemi", "Simo", "All"])
>>> suppress_small_cells(ct, k=5, row_total="All", col_total="All")
      ST  SO  All
Kemi   x   x   21
Simo  <5   x   11
All   15  17   32
"""

from __future__ import annotations

import re
from typing import Any, Hashable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.errors import DataError

__all__ = [
    "SECONDARY_MARKER",
    "suppress_small_cells",
    "has_small_cells",
    "groups_below_k",
    "suppression_note",
    "suppress_small_statistics",
    "mask_small_n_text",
]

#: Shown in secondarily suppressed cells.
SECONDARY_MARKER = "x"

_Cell = tuple[int, int]  # (row position, column position)


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def _is_marker(value: Any, k: int, secondary_marker: str) -> bool:
    return isinstance(value, str) and (value.strip() == secondary_marker
                                       or value.strip().startswith("<"))


def suppress_small_cells(
    df: pd.DataFrame,
    k: int = 5,
    *,
    count_columns: str | Sequence[str] | None = None,
    derived_columns: Sequence[str] | Mapping[str, str | Sequence[str]] | None = None,
    row_total: str | None = None,
    col_total: Hashable | tuple[str, Any] | None = None,
    secondary: bool | str = True,
    secondary_marker: str = SECONDARY_MARKER,
) -> pd.DataFrame:
    """Suppress small counts (and what could reveal them) in a table for publication.

    Works on (a) a long table with count columns and derived columns per row
    (``group, n, percent, mean``) and (b) a 2-D crosstab, with or without margins.

    Parameters
    ----------
    df : DataFrame
        The table. Count cells must be non-negative whole numbers or missing; cells
        that are already ``"<k"``/``"x"`` strings count as suppressed (running the
        function twice changes nothing).
    k : int, default 5
        Smallest count that may be shown; counts ``1 … k-1`` are suppressed.
    count_columns : str or list of str, optional
        Columns holding counts. Default: every numeric column not in
        ``derived_columns`` (right for a crosstab of counts).
    derived_columns : list of str or dict, optional
        Columns computed from counts (percent, mean, sd, statistic). A list: each is
        blanked when *any* count in its row is hidden. A dict ``{derived: count column
        or list}``: blanked when one of its own source counts is hidden.
    row_total : str, optional
        The count column holding each row's total (a crosstab's ``"All"`` column). Rows
        are then protected against recovery from this total.
    col_total : label or (column, value), optional
        The row holding each column's total: an index label (``"All"``) or a
        ``(column, value)`` pair such as ``("municipality", "Yhteensä")``. Columns are
        then protected against recovery from this total row.
    secondary : bool or {"rows", "columns", "both"}, default True
        ``True``: protect along the margins given by ``row_total``/``col_total``.
        ``"rows"``/``"columns"``/``"both"``: in addition assume those totals are
        public even though the table does not show them (e.g. the number of
        respondents is reported in the text). ``False``: primary suppression only.
    secondary_marker : str, default "x"
        Text shown in secondarily suppressed count cells.

    Returns
    -------
    DataFrame
        A copy; suppressed count cells hold ``"<k"`` or ``"x"`` (those columns become
        ``object``), derived cells of hidden counts are NaN. ``result.attrs
        ["suppression"]`` records ``k`` and the primary and secondary cells as
        ``(index label, column)`` pairs.

    Raises
    ------
    DataError
        If a column or the total row does not exist, or a count is negative or not a
        whole number.

    Examples
    --------
    >>> long = pd.DataFrame({"role": ["ST", "SO", "muu"], "n": [12, 3, 7],
    ...                      "mean": [3.4, 4.1, 2.9]})
    >>> suppress_small_cells(long, count_columns="n", derived_columns=["mean"])
      role   n  mean
    0   ST  12   3.4
    1   SO  <5   NaN
    2  muu   7   2.9
    """
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"expected a DataFrame, got {type(df).__name__}",
                        location="suppress_small_cells()")
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        raise DataError(f"k must be a positive whole number, got {k!r}",
                        location="suppress_small_cells()", hint="Use e.g. k=5.")
    if secondary not in (True, False, "rows", "columns", "both"):
        raise DataError(f"secondary must be True, False, 'rows', 'columns' or 'both', "
                        f"got {secondary!r}", location="suppress_small_cells()")
    k = int(k)
    derived_map = _derived_map(df, derived_columns)
    counts = _count_columns(df, count_columns, derived_map)
    if row_total is not None:
        if row_total not in df.columns:
            raise DataError(f"row_total column {row_total!r} not in table",
                            location=f"columns {list(df.columns)!r}")
        if row_total not in counts:
            counts.append(row_total)
    total_pos = _total_row_position(df, col_total)

    columns = list(df.columns)
    col_pos = [columns.index(c) for c in counts]
    values = np.full((len(df), len(counts)), np.nan)
    hidden = np.zeros_like(values, dtype=bool)       # already suppressed in the input
    for j, column in enumerate(counts):
        for i, value in enumerate(df.iloc[:, col_pos[j]].tolist()):
            if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
                continue
            if _is_marker(value, k, secondary_marker):
                hidden[i, j] = True
                continue
            number = pd.to_numeric(value, errors="coerce")
            if pd.isna(number) or number < 0 or float(number) != int(number):
                raise DataError(f"count {value!r} is not a non-negative whole number",
                                location=f"row {df.index[i]!r}, column {column!r}",
                                hint="Pass only count columns in count_columns and "
                                     "percentages or means in derived_columns.")
            values[i, j] = float(number)

    primary = (values >= 1) & (values < k)
    suppressed = primary | hidden
    secondary_cells = np.zeros_like(primary)
    if secondary is not False:
        lines = _lines(len(df), counts, row_total, total_pos, secondary)
        secondary_cells = _secondary(values, suppressed, lines)
        suppressed = suppressed | secondary_cells

    out = df.copy()
    marker = f"<{k}"
    for j, column in enumerate(counts):
        if not suppressed[:, j].any():
            continue
        series = out[column].astype(object)
        series.iloc[np.flatnonzero(primary[:, j])] = marker
        series.iloc[np.flatnonzero(secondary_cells[:, j])] = secondary_marker
        out[column] = series
    for derived, sources in derived_map.items():
        source_idx = [counts.index(s) for s in sources if s in counts]
        if not source_idx:
            continue
        blank = suppressed[:, source_idx].any(axis=1)
        if blank.any():
            column = out[derived]
            if not pd.api.types.is_float_dtype(column):
                column = column.astype(object)
            column.iloc[np.flatnonzero(blank)] = np.nan
            out[derived] = column
    out.attrs = dict(df.attrs)
    out.attrs["suppression"] = {
        "k": k,
        "primary": [(out.index[i], counts[j]) for i, j in zip(*np.nonzero(primary))],
        "secondary": [(out.index[i], counts[j]) for i, j in zip(*np.nonzero(secondary_cells))],
    }
    return out


def _derived_map(df: pd.DataFrame, derived) -> dict[str, list[str]]:
    if derived is None:
        return {}
    if isinstance(derived, Mapping):
        result = {str(d): _as_list(s) for d, s in derived.items()}
    else:
        result = {d: ["*"] for d in _as_list(derived)}
    for column in result:
        if column not in df.columns:
            raise DataError(f"derived column {column!r} not in table",
                            location=f"columns {list(df.columns)!r}",
                            hint="Check the names given in derived_columns.")
    return result


def _count_columns(df, count_columns, derived_map) -> list[str]:
    if count_columns is None:
        counts = [c for c in df.columns if c not in derived_map
                  and pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])]
    else:
        counts = _as_list(count_columns)
    for column in counts:
        if column not in df.columns:
            raise DataError(f"count column {column!r} not in table",
                            location=f"columns {list(df.columns)!r}",
                            hint="Check the names given in count_columns.")
    for derived, sources in derived_map.items():
        if sources == ["*"]:
            derived_map[derived] = list(counts)
        for source in derived_map[derived]:
            if source not in df.columns:
                raise DataError(f"derived column {derived!r} refers to missing count column "
                                f"{source!r}", location=f"columns {list(df.columns)!r}")
    return list(counts)


def _total_row_position(df: pd.DataFrame, col_total) -> int | None:
    if col_total is None:
        return None
    if isinstance(col_total, tuple) and len(col_total) == 2 and col_total[0] in df.columns:
        hits = np.flatnonzero((df[col_total[0]] == col_total[1]).to_numpy())
    else:
        try:
            hits = np.flatnonzero(df.index == col_total) if col_total in df.index else []
        except TypeError:
            hits = []
    if len(hits) != 1:
        raise DataError(f"the total row {col_total!r} was found {len(hits)} times, expected once",
                        location="col_total",
                        hint="Give the index label of the total row, or a (column, value) pair.")
    return int(hits[0])


def _lines(n_rows: int, counts: list[str], row_total: str | None, total_pos: int | None,
           secondary: bool | str) -> list[tuple[list[_Cell], _Cell | None]]:
    """Additive lines: (member cells, total cell or None when the total is public but unshown)."""
    inner_cols = [j for j, c in enumerate(counts) if c != row_total]
    total_col = counts.index(row_total) if row_total is not None else None
    inner_rows = [i for i in range(n_rows) if i != total_pos]
    protect_rows = total_col is not None or secondary in ("rows", "both")
    protect_cols = total_pos is not None or secondary in ("columns", "both")
    lines: list[tuple[list[_Cell], _Cell | None]] = []
    if protect_rows and len(inner_cols) > 0:
        for i in range(n_rows):
            total = (i, total_col) if total_col is not None else None
            lines.append(([(i, j) for j in inner_cols], total))
    if protect_cols and len(inner_rows) > 0:
        all_cols = inner_cols + ([total_col] if total_col is not None else [])
        for j in all_cols:
            total = (total_pos, j) if total_pos is not None else None
            lines.append(([(i, j) for i in inner_rows], total))
    return lines


def _secondary(values: np.ndarray, suppressed: np.ndarray,
               lines: list[tuple[list[_Cell], _Cell | None]]) -> np.ndarray:
    """Hide further cells until no line has exactly one hidden entry."""
    hidden = suppressed | np.isnan(values)
    added = np.zeros_like(suppressed)
    changed = True
    while changed:
        changed = False
        for members, total in lines:
            entries = members + ([total] if total is not None else [])
            n_hidden = sum(hidden[cell] for cell in entries)
            if n_hidden != 1:
                continue
            visible = [cell for cell in members if not hidden[cell]]
            nonzero = [c for c in visible if values[c] > 0]
            zeros = [c for c in visible if values[c] == 0]
            if nonzero:
                choice = min(nonzero, key=lambda c: (values[c], c))
            elif total is not None and not hidden[total]:
                choice = total
            elif zeros:
                choice = zeros[0]
            else:
                continue
            hidden[choice] = True
            added[choice] = True
            changed = True
    return added


def has_small_cells(df: pd.DataFrame, k: int = 5, count_columns: Sequence[str] | None = None) -> bool:
    """Return True if any count cell shows a value ``1 … k-1``.

    Parameters
    ----------
    df : DataFrame
        A table (suppressed or not). Strings such as ``"<5"`` are not counts.
    k : int, default 5
    count_columns : list of str, optional
        Default: every column whose numbers are all whole numbers.

    Examples
    --------
    >>> has_small_cells(pd.DataFrame({"n": [12, 3]}))
    True
    >>> has_small_cells(suppress_small_cells(pd.DataFrame({"n": [12, 3]})))
    False
    """
    columns = list(count_columns) if count_columns is not None else list(df.columns)
    for column in columns:
        if pd.api.types.is_bool_dtype(df[column]):
            continue
        numbers = pd.to_numeric(
            df[column].map(lambda v: None if isinstance(v, (str, bool)) else v),
            errors="coerce").dropna()
        if count_columns is None and not (numbers == numbers.round()).all():
            continue  # default: only columns of whole numbers are counts
        if ((numbers >= 1) & (numbers < k)).any():
            return True
    return False


def groups_below_k(counts: pd.Series | pd.DataFrame, k: int = 5, *,
                   by: str | Sequence[str] | None = None, count_column: str | None = None,
                   unit: str | None = None) -> list:
    """Groups with fewer than ``k`` members, so their plots and statistics are not shown.

    Parameters
    ----------
    counts : Series or DataFrame
        * a Series ``group → n`` (e.g. ``value_counts()``);
        * a DataFrame of counts with ``by`` columns and a ``count_column``;
        * a DataFrame of observations with ``by`` columns (``count_column=None``):
          rows are counted, or distinct values of ``unit`` (e.g. ``"respondent"``).
    k : int, default 5
    by : str or list of str, optional
        Grouping columns (DataFrame input).
    count_column : str, optional
        Column holding the counts.
    unit : str, optional
        Count distinct values of this column instead of rows.

    Returns
    -------
    list
        Group labels (tuples for several ``by`` columns) with ``n < k``, sorted.

    Examples
    --------
    >>> groups_below_k(pd.Series({"Kemi": 14, "Simo": 2, "Tervola": 0}))
    ['Simo', 'Tervola']
    >>> obs = pd.DataFrame({"municipality": ["Kemi"] * 6 + ["Simo"] * 2})
    >>> groups_below_k(obs, by="municipality")
    ['Simo']
    """
    if isinstance(counts, pd.Series):
        sizes = counts
    elif isinstance(counts, pd.DataFrame):
        keys = _as_list(by)
        missing = [c for c in [*keys, count_column, unit] if c and c not in counts.columns]
        if not keys or missing:
            raise DataError(f"groups_below_k needs existing 'by' columns; missing {missing or 'by'}",
                            location=f"columns {list(counts.columns)!r}")
        grouped = counts.groupby(keys if len(keys) > 1 else keys[0], observed=True, dropna=False)
        if count_column is not None:
            sizes = grouped[count_column].sum()
        elif unit is not None:
            sizes = grouped[unit].nunique()
        else:
            sizes = grouped.size()
    else:
        raise DataError(f"expected a Series or DataFrame, got {type(counts).__name__}",
                        location="groups_below_k()")
    small = sizes[pd.to_numeric(sizes, errors="coerce") < k]
    return sorted(small.index.tolist(), key=lambda g: str(g))


def suppression_note(k: int = 5) -> dict[str, str]:
    """Table note explaining the markers, in Finnish and English.

    Examples
    --------
    >>> suppression_note(5)["en"].split(";")[0]
    '<5 = fewer than 5 (1–4)'
    """
    return {
        "fi": f"<{k} = alle {k} (1–{k - 1}); {SECONDARY_MARKER} = salattu, jotta pienet "
              "luvut eivät paljastu summista; tyhjä = pienestä ryhmästä laskettu arvo jätetty pois.",
        "en": f"<{k} = fewer than {k} (1–{k - 1}); {SECONDARY_MARKER} = hidden so that small "
              "counts cannot be derived from totals; blank = value of a small group not shown.",
    }


# ------------------------------------------------------------------ statistics
#: Columns of statistical results computed from the persons of a row.
STATISTIC_COLUMNS = ("statistic", "df", "p", "p_adjusted", "effect", "ci_low", "ci_high", "median_before",
                     "median_after", "median_change", "mean", "sd", "mean_before", "mean_after", "W", "U", "H")
#: Columns holding how many persons a result rests on.
N_COLUMNS = ("n_pairs", "n_before", "n_after", "n")
_N_IN_TEXT = re.compile(r"(?<![\w])(n|N)(\s*)=(\s*)(\d+)(?![\d,.]\d)")


def mask_small_n_text(text: str, k: int = 5) -> str:
    """Replace group sizes ``n = 1 … k-1`` in a text by ``n < k``.

    Examples
    --------
    >>> mask_small_n_text("other (n=2), social_worker (n=29)")
    'other (n<5), social_worker (n=29)'
    >>> mask_small_n_text("H(2) = 1,76, p = 0,415 (n = 3)")
    'H(2) = 1,76, p = 0,415 (n < 5)'
    """
    if not isinstance(text, str):
        return text

    def repl(m: re.Match) -> str:
        value = int(m.group(4))
        if 1 <= value < k:
            return f"{m.group(1)}{m.group(2)}<{m.group(3)}{k}"
        return m.group()

    return _N_IN_TEXT.sub(repl, text)


def _group_sizes(text: Any) -> list[int]:
    if not isinstance(text, str):
        return []
    return [int(m.group(4)) for m in _N_IN_TEXT.finditer(text)]


def suppress_small_statistics(results: pd.DataFrame, k: int = 5, *,
                              n_columns: Sequence[str] | None = None,
                              group_column: str = "groups") -> pd.DataFrame:
    """Withhold tests, effect sizes and CIs computed from fewer than ``k`` persons.

    A row is withheld when one of its person counts (``n_pairs``, ``n_before``,
    ``n_after``, ``n``; a ``"<k"`` string counts as small) is below ``k``, or a group
    size in its ``groups`` text (``"other (n=2), …"``) is. Its statistics
    (:data:`STATISTIC_COLUMNS`) become NaN, its APA strings (``apa_fi``, ``apa_en``)
    become ``"n < k"``, group sizes below ``k`` in text become ``n<k``, and the column
    ``withheld`` is True. Use it on the results of :mod:`analysis.survey.compare` before
    sentences, figures or numbers are made of them.

    Examples
    --------
    >>> r = pd.DataFrame({"scale": ["a", "b"], "n_pairs": [12, 3], "effect": [0.4, 1.0],
    ...                   "apa_en": ["W = 50, r = 0.40", "W = 1, r = 1.00"]})
    >>> suppress_small_statistics(r)[["n_pairs", "effect", "apa_en", "withheld"]].values.tolist()
    [[12, 0.4, 'W = 50, r = 0.40', False], [3, nan, 'n < 5', True]]
    """
    out = results.copy()
    columns = [c for c in (n_columns or N_COLUMNS) if c in out.columns]
    small = np.zeros(len(out), dtype=bool)
    for column in columns:
        for i, value in enumerate(out[column].tolist()):
            if isinstance(value, str):
                small[i] |= value.strip().startswith("<")
            elif value is not None and not (isinstance(value, float) and np.isnan(value)):
                small[i] |= float(value) < k
    if group_column in out.columns:
        small |= np.array([any(n < k for n in _group_sizes(v)) for v in out[group_column]], dtype=bool)
        out[group_column] = out[group_column].map(lambda v: mask_small_n_text(v, k))
    positions = np.flatnonzero(small)
    if len(positions):
        for column in STATISTIC_COLUMNS:
            if column in out.columns:
                series = out[column].astype(float) if pd.api.types.is_numeric_dtype(out[column]) \
                    else out[column].astype(object)
                series.iloc[positions] = np.nan
                out[column] = series
        for column in [c for c in out.columns if str(c).startswith("apa")]:
            series = out[column].astype(object)
            series.iloc[positions] = f"n < {k}"
            out[column] = series
    out["withheld"] = small
    return out

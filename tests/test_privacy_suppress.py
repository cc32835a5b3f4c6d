"""Small-cell control: primary, derived and secondary suppression."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.errors import DataError
from analysis.privacy.suppress import (
    groups_below_k,
    has_small_cells,
    suppress_small_cells,
    suppression_note,
)


def test_primary_long_table_with_derived_columns():
    df = pd.DataFrame({"municipality": ["Kemi", "Simo", "Tornio", "Tervola"],
                       "n": [14, 2, 9, 0], "percent": [56.0, 8.0, 36.0, 0.0],
                       "mean": [3.1, 4.5, 2.8, np.nan]})
    out = suppress_small_cells(df, k=5, count_columns=["n"], derived_columns=["percent", "mean"])
    assert out["n"].tolist() == [14, "<5", 9, 0]           # zeros allowed
    assert out.loc[1, ["percent", "mean"]].isna().all()
    assert out.loc[0, "percent"] == 56.0 and out.loc[2, "mean"] == 2.8
    assert out["municipality"].tolist() == df["municipality"].tolist()
    assert df["n"].tolist() == [14, 2, 9, 0]               # input untouched
    assert out.attrs["suppression"]["primary"] == [(1, "n")]
    assert not has_small_cells(out) and has_small_cells(df)


def test_k_is_configurable_and_marker_follows():
    df = pd.DataFrame({"n": [2, 9, 3]})
    assert suppress_small_cells(df, k=3)["n"].tolist() == ["<3", 9, 3]
    assert suppress_small_cells(df, k=10)["n"].tolist() == ["<10", "<10", "<10"]


def test_secondary_suppression_in_crosstab_with_margins():
    # Simo's 3 could be recovered as 11 - 8 from the row total and as 15 - 12 from the
    # column total: secondary suppression must hide more.
    ct = pd.DataFrame({"ST": [12, 3, 15], "SO": [9, 8, 17], "All": [21, 11, 32]},
                      index=["Kemi", "Simo", "All"])
    out = suppress_small_cells(ct, row_total="All", col_total="All")
    assert out.loc["Simo", "ST"] == "<5"
    assert out.loc["Simo", "SO"] == "x"          # row: smallest other cell
    assert out.loc["Kemi", "ST"] == "x"          # column ST
    assert out.loc["Kemi", "SO"] == "x"          # then column SO / row Kemi
    assert out.loc["All"].tolist() == [15, 17, 32]
    assert _no_line_recovers(out, ct, "All", "All")


def test_primary_only_leaves_recoverable_value_and_secondary_false_keeps_it():
    ct = pd.DataFrame({"a": [12, 3], "b": [9, 8], "All": [21, 11]}, index=["x", "y"])
    out = suppress_small_cells(ct, row_total="All", secondary=False)
    assert out.loc["y"].tolist() == ["<5", 8, 11]
    protected = suppress_small_cells(ct, row_total="All")
    assert protected.loc["y"].tolist() == ["<5", "x", 11]


def test_margins_known_from_elsewhere():
    # the table shows no totals but n per municipality is published in the text
    ct = pd.DataFrame({"ST": [12, 3], "SO": [9, 8]}, index=["Kemi", "Simo"])
    assert suppress_small_cells(ct, secondary=False).loc["Simo"].tolist() == ["<5", 8]
    assert suppress_small_cells(ct, secondary="rows").loc["Simo"].tolist() == ["<5", "x"]
    both = suppress_small_cells(ct, secondary="both")
    assert both.loc["Kemi"].tolist() == ["x", "x"]


def test_line_without_other_nonzero_cell_hides_its_total():
    ct = pd.DataFrame({"a": [3, 10, 13], "b": [0, 7, 7], "All": [3, 17, 20]},
                      index=["r1", "r2", "All"])
    out = suppress_small_cells(ct, row_total="All", col_total="All")
    assert out.loc["r1", "a"] == "<5" and out.loc["r1", "All"] == "<5"
    assert out.loc["r1", "b"] == 0
    assert _no_line_recovers(out, ct, "All", "All")


def test_total_row_by_column_value_and_derived_mapping():
    df = pd.DataFrame({"role": ["ST", "SO", "muu", "Yhteensä"], "n": [12, 3, 9, 24],
                       "yes": [10, 1, 5, 16], "share_yes": [83.3, 33.3, 55.6, 66.7]})
    out = suppress_small_cells(df, count_columns=["n", "yes"], derived_columns={"share_yes": "yes"},
                               col_total=("role", "Yhteensä"))
    assert out["n"].tolist() == [12, "<5", "x", 24]
    assert out["yes"].tolist() == [10, "<5", "x", 16]
    assert out["share_yes"].isna().tolist() == [False, True, True, False]


def test_idempotent_on_already_suppressed_table():
    ct = pd.DataFrame({"ST": [12, 3, 15], "SO": [9, 8, 17], "All": [21, 11, 32]},
                      index=["Kemi", "Simo", "All"])
    once = suppress_small_cells(ct, row_total="All", col_total="All")
    twice = suppress_small_cells(once, row_total="All", col_total="All")
    pd.testing.assert_frame_equal(once, twice)


@pytest.mark.parametrize("kwargs, message", [
    ({"count_columns": ["nope"]}, "count column 'nope'"),
    ({"derived_columns": ["nope"]}, "derived column 'nope'"),
    ({"row_total": "nope"}, "row_total column 'nope'"),
    ({"col_total": "nope"}, "total row"),
    ({"k": 0}, "k must be"),
    ({"secondary": "diagonal"}, "secondary must be"),
])
def test_bad_arguments_raise_data_error(kwargs, message):
    df = pd.DataFrame({"n": [1, 2]})
    with pytest.raises(DataError, match=message):
        suppress_small_cells(df, **kwargs)


@pytest.mark.parametrize("value", [-1, 2.5, "kolme"])
def test_bad_counts_name_row_and_column(value):
    df = pd.DataFrame({"n": [10, value]}, index=["Kemi", "Simo"])
    with pytest.raises(DataError, match=r"row 'Simo', column 'n'"):
        suppress_small_cells(df, count_columns=["n"])


def test_groups_below_k():
    assert groups_below_k(pd.Series({"Kemi": 14, "Simo": 2, "Tervola": 0})) == ["Simo", "Tervola"]
    obs = pd.DataFrame({"municipality": ["Kemi"] * 6 + ["Simo"] * 8,
                        "respondent": [f"R{i}" for i in range(6)] + ["R90", "R91"] * 4})
    assert groups_below_k(obs, by="municipality") == []
    assert groups_below_k(obs, by="municipality", unit="respondent") == ["Simo"]
    counts = pd.DataFrame({"role": ["ST", "SO", "ST"], "wave": ["b", "b", "f"], "n": [7, 4, 3]})
    assert groups_below_k(counts, by=["role", "wave"], count_column="n") == [("SO", "b"), ("ST", "f")]
    with pytest.raises(DataError):
        groups_below_k(counts, by="nope")


def test_note_mentions_markers():
    note = suppression_note(5)
    assert "<5" in note["fi"] and "x" in note["en"]


# ---------------------------------------------------------------- property test
def _no_line_recovers(out, original, row_total, col_total):
    """No hidden cell equals its line total minus the visible cells of the line."""
    def hidden(v):
        return isinstance(v, str)

    inner_rows = [r for r in out.index if r != col_total]
    inner_cols = [c for c in out.columns if c != row_total]
    lines = [[(r, c) for c in inner_cols] + [(r, row_total)] for r in out.index]
    lines += [[(r, c) for r in inner_rows] + [(col_total, c)] for c in out.columns]
    for line in lines:
        *members, total = line
        n_hidden = sum(hidden(out.loc[cell]) for cell in line)
        if n_hidden == 0:
            continue
        if n_hidden == 1:
            return False
        if not hidden(out.loc[total]):
            visible = sum(out.loc[cell] for cell in members if not hidden(out.loc[cell]))
            rest = original.loc[total] - visible
            for cell in members:
                if hidden(out.loc[cell]) and original.loc[cell] == rest:
                    return False
    return True


@settings(max_examples=120, deadline=None)
@given(st.integers(1, 5).flatmap(lambda r: st.integers(1, 5).flatmap(
    lambda c: st.lists(st.lists(st.integers(0, 30), min_size=c, max_size=c),
                       min_size=r, max_size=r))),
       st.integers(2, 6))
def test_property_no_small_count_visible_and_nothing_recoverable(rows, k):
    inner = pd.DataFrame(rows, index=[f"r{i}" for i in range(len(rows))],
                         columns=[f"c{j}" for j in range(len(rows[0]))])
    ct = inner.copy()
    ct["All"] = inner.sum(axis=1)
    ct.loc["All"] = ct.sum(axis=0)
    out = suppress_small_cells(ct, k=k, row_total="All", col_total="All")
    values = out.to_numpy().ravel()
    assert not any(isinstance(v, (int, np.integer)) and 1 <= v < k for v in values)
    assert not has_small_cells(out, k)
    # every primary cell is marked "<k"
    for r in ct.index:
        for c in ct.columns:
            if 1 <= ct.loc[r, c] < k:
                assert out.loc[r, c] == f"<{k}"
            elif not isinstance(out.loc[r, c], str):
                assert out.loc[r, c] == ct.loc[r, c]
    assert _no_line_recovers(out, ct, "All", "All")

"""Missing answers: one count (survey.summary.missingness), two views of it."""

import math

import pandas as pd

from analysis import quality
from analysis.survey.summary import missingness


def _responses() -> pd.DataFrame:
    rows = [
        # survey_id, wave, item, value, missing
        ("pro", "baseline", "rc1", 4.0, None),
        ("pro", "baseline", "rc1", math.nan, "dont_know"),
        ("pro", "baseline", "rc1", math.nan, "empty"),
        ("pro", "baseline", "rc2", 2.0, None),
        ("pro", "followup", "rc1", math.nan, "missing_code"),
        ("pro", "followup", "rc1", 5.0, None),
        ("needs", "baseline", "rc1", 1.0, None),  # another survey, same wave and item id
    ]
    return pd.DataFrame(rows, columns=["survey_id", "wave", "item", "value", "missing"])


def test_missingness_counts_every_kind_per_wave_and_item():
    table = missingness(_responses()[lambda d: d["survey_id"] == "pro"]).set_index(["wave", "item"])
    base = table.loc[("baseline", "rc1")]
    assert (base["n"], base["n_valid"], base["n_dont_know"], base["n_empty"], base["n_missing_code"]) == (3, 1, 1, 1, 0)
    assert math.isclose(base["share_missing"], 2 / 3)
    assert table.loc[("followup", "rc1"), "n_missing_code"] == 1
    assert table.loc[("baseline", "rc2"), "share_missing"] == 0
    only = missingness(_responses(), ["rc2"])
    assert only["item"].tolist() == ["rc2"]


def test_missingness_by_survey_keeps_surveys_apart():
    table = missingness(_responses(), by=("survey_id", "wave"))
    assert list(table.columns[:3]) == ["survey_id", "wave", "item"]
    pooled = missingness(_responses()).set_index(["wave", "item"])
    assert pooled.loc[("baseline", "rc1"), "n"] == 4  # without survey_id the two surveys' rc1 are one row
    apart = table.set_index(["survey_id", "wave", "item"])
    assert apart.loc[("needs", "baseline", "rc1"), "n"] == 1 and apart.loc[("pro", "baseline", "rc1"), "n"] == 3


def test_data_quality_view_sums_the_kinds_as_a_percentage():
    view = quality.missingness_by_survey(_responses())
    assert view.columns.tolist() == ["survey_id", "wave", "item", "n", "missing", "dont_know", "missing_share"]
    row = view.set_index(["survey_id", "wave", "item"]).loc[("pro", "baseline", "rc1")]
    assert (row["n"], row["missing"], row["dont_know"], row["missing_share"]) == (3, 2, 1, 66.7)
    counts = missingness(_responses(), by=("survey_id", "wave"))
    assert view["missing"].tolist() == (counts["n"] - counts["n_valid"]).tolist()
    # a missing answer is one whose value is NaN, whatever its kind
    assert view["missing"].sum() == _responses()["value"].isna().sum()


def test_no_responses_give_an_empty_table_with_the_columns():
    view = quality.missingness_by_survey(_responses().iloc[:0])
    assert view.empty and "missing_share" in view.columns

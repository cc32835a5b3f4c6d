"""Frequencies, code × group matrices, co-occurrence, timelines, trend, quotations, coverage."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.coding.codebook import Codebook
from analysis.coding.matrices import (
    code_by_project_year, code_frequencies, code_matrix, code_timeline, code_trend, coding_matrix, code_cooccurrence,
    coverage, project_year, project_year_period, quotations, uncoded_sample,
)
from analysis.errors import DataError

CB = Codebook.from_dict({"version": 1, "themes": [
    {"id": "housing", "name": {"fi": "Asuminen", "en": "Housing"}, "colour": "#DDCC77", "rules": {"lemmas": ["asunto"]},
     "children": [{"id": "housing_worries", "name": {"fi": "Huolet", "en": "Worries"}, "colour": "#EE8866",
                   "rules": {"lemmas": ["huoli"]}}]},
    {"id": "money", "name": {"fi": "Raha", "en": "Money"}, "colour": "#CC6677", "rules": {"lemmas": ["raha"]}},
    {"id": "peer_support", "name": {"fi": "Vertaistuki", "en": "Peer support"}, "colour": "#117733",
     "rules": {"lemmas": ["vertainen"]}},
]})

# Six segments, hand-coded:     housing  worries  money  peer
#   s1 young_person  W01          1        1        1     0
#   s2 young_person  W01          1        0        0     0
#   s3 social_worker W01          0        0        1     0
#   s4 social_worker W02          1        0        1     0
#   s5 young_person  W02          0        0        0     0
#   s6 facilitator   W02          0        0        0     0
SEGMENTS = pd.DataFrame({
    "segment_id": ["s1", "s2", "s3", "s4", "s5", "s6"],
    "unit": "turn", "doc_id": ["W01", "W01", "W01", "W02", "W02", "W02"], "doc_type": "workshop",
    "speaker": ["Nuori 1", "Nuori 2", "ST 1", "ST 1", "Nuori 1", "Fasilitaattori 1"],
    "speaker_role": ["young_person", "young_person", "social_worker", "social_worker", "young_person", "facilitator"],
    "work_package": ["TP2C", "TP2C", "TP2C", "TP4", "TP4", None],
    "date": ["2024-05-14"] * 3 + ["2024-09-02"] * 3,
    "text": [
        "[00:01:02] Mua huolettaa se asunto ja raha, kun vuokra nousee koko ajan eikä tuet riitä.",
        "Asunto löytyi lopulta, mutta se on tosi kaukana koulusta ja kaupoista.",
        "Raha-asioissa nuoret tarvii enemmän tukea kuin me pystytään antamaan.",
        "Asunto ja raha, ne kaksi asiaa nousee esiin melkein jokaisessa tapaamisessa.",
        "Joo.",
        "No niin, siirrytäänpä seuraavaan kysymykseen tästä aiheesta, eli mitä seuraavaksi?",
    ],
})
CODINGS = pd.DataFrame({
    "segment_id": ["s1", "s1", "s1", "s2", "s3", "s4", "s4", "x9"],
    "code": ["housing", "housing_worries", "money", "housing", "money", "housing", "money", "money"],
    "matched": ["asunto; via housing_worries", "huoli", "raha", "asunto", "raha", "asunto", "raha", "raha"],
    "n_hits": [2, 1, 1, 1, 1, 1, 1, 1],
})


def test_coding_matrix_ignores_codings_outside_segments():
    m = coding_matrix(CODINGS, SEGMENTS, ["housing", "money"])
    assert m.index.tolist() == ["s1", "s2", "s3", "s4", "s5", "s6"]
    assert m["housing"].tolist() == [1, 1, 0, 1, 0, 0]
    assert m["money"].tolist() == [1, 0, 1, 1, 0, 0]


def test_code_frequencies_overall_and_by_role():
    overall = code_frequencies(CODINGS, SEGMENTS, CB).set_index("code")
    assert overall.index.tolist() == ["housing", "housing_worries", "money", "peer_support"]
    assert overall["n_segments"].tolist() == [3, 1, 3, 0]
    assert overall["n_total"].unique().tolist() == [6]
    assert overall.loc["housing", "share"] == pytest.approx(0.5)
    assert overall.loc["money", "name_en"] == "Money"

    by_role = code_frequencies(CODINGS, SEGMENTS, CB, by="speaker_role")
    assert len(by_role) == 3 * 4  # every role × code, zeros included
    yp = by_role[by_role["speaker_role"] == "young_person"].set_index("code")
    assert yp["n_total"].iloc[0] == 3
    assert yp.loc["housing", "n_segments"] == 2 and yp.loc["housing", "share"] == pytest.approx(2 / 3)
    sw = by_role[by_role["speaker_role"] == "social_worker"].set_index("code")
    assert sw.loc["money", "n_segments"] == 2 and sw.loc["money", "share"] == 1.0
    assert sw.loc["housing", "share"] == 0.5


def test_code_matrix_by_work_package_with_missing_group():
    counts = code_matrix(CODINGS, SEGMENTS, CB, by="work_package")
    assert counts.columns.tolist() == ["TP2C", "TP4", "unknown"]
    assert counts.loc["housing"].tolist() == [2, 1, 0]
    assert counts.loc["money"].tolist() == [2, 1, 0]
    shares = code_matrix(CODINGS, SEGMENTS, CB, by="work_package", value="share")
    assert shares.loc["money", "TP2C"] == pytest.approx(2 / 3)
    assert shares.loc["money", "TP4"] == pytest.approx(1 / 2)


def test_code_cooccurrence_counts_and_jaccard_by_hand():
    co = code_cooccurrence(CODINGS, SEGMENTS, CB, codes=["housing", "money", "peer_support"]).set_index(["code_a", "code_b"])
    # housing {s1,s2,s4}, money {s1,s3,s4}: both {s1,s4}, union {s1,s2,s3,s4}
    assert co.loc[("housing", "money"), ["n_a", "n_b", "n_both"]].tolist() == [3, 3, 2]
    assert co.loc[("housing", "money"), "jaccard"] == pytest.approx(2 / 4)
    assert co.loc[("money", "housing"), "jaccard"] == pytest.approx(0.5)  # symmetric
    assert co.loc[("housing", "housing"), "jaccard"] == 1.0
    assert co.loc[("housing", "peer_support"), "jaccard"] == 0.0
    assert math.isnan(co.loc[("peer_support", "peer_support"), "jaccard"])
    assert len(co) == 9


def test_timeline_per_quarter_with_empty_quarters():
    seg = pd.DataFrame({"segment_id": [f"e{i}" for i in range(7)],
                        "date": ["2024-03-05", "2024-03-30", "2024-04-01", "2024-10-10", "2024-12-31",
                                 "2025-01-02", None],
                        "work_package": ["TP2C", "TP2C", "TP3", "TP2C", "TP2C", "TP3", "TP2C"]})
    cod = pd.DataFrame({"segment_id": ["e0", "e2", "e3", "e4", "e4", "e6"],
                        "code": ["housing", "housing", "housing", "housing", "money", "housing"]})
    tl = code_timeline(cod, seg, CB, codes=["housing", "money"])
    housing = tl[tl["code"] == "housing"]
    assert housing["quarter"].tolist() == ["2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1"]
    assert housing["n_entries"].tolist() == [2, 1, 0, 2, 1]
    assert housing["n_coded"].tolist() == [1, 1, 0, 2, 0]
    assert housing["share"].tolist()[:2] == [0.5, 1.0] and math.isnan(housing["share"].iloc[2])
    assert tl[tl["code"] == "money"]["n_coded"].tolist() == [0, 0, 0, 1, 0]
    assert list(tl.columns) == ["code", "quarter", "n_entries", "n_coded", "share"]

    by_wp = code_timeline(cod, seg, CB, codes=["housing"], by="work_package",
                          date_from="2024-01-01", date_to="2024-06-30")
    assert by_wp[by_wp["work_package"] == "TP2C"]["n_entries"].tolist() == [2, 0]
    assert by_wp[by_wp["work_package"] == "TP3"]["n_coded"].tolist() == [0, 1]


def test_timeline_rejects_bad_dates():
    seg = pd.DataFrame({"segment_id": ["a"], "date": ["31.13.2024"]})
    with pytest.raises(DataError, match="unreadable date"):
        code_timeline(pd.DataFrame({"segment_id": ["a"], "code": ["housing"]}), seg)


def test_trend_matches_hand_computed_cochran_armitage():
    tl = pd.DataFrame({"code": "housing", "quarter": ["2024Q1", "2024Q2", "2024Q4", "2025Q1"],
                       "n_entries": [10, 12, 9, 11], "n_coded": [1, 3, 4, 8]})
    row = code_trend(tl).iloc[0]
    # expand to individual entries: score = quarter position (Q3 2024 missing → 0, 1, 3, 4)
    scores = np.repeat([0, 1, 3, 4], tl["n_entries"])
    outcome = np.concatenate([np.r_[np.ones(c), np.zeros(n - c)] for n, c in zip(tl["n_entries"], tl["n_coded"])])
    r = np.corrcoef(scores, outcome)[0, 1]
    m2 = (len(scores) - 1) * r ** 2  # linear-by-linear association statistic (Agresti 2007, 2.9.1)
    assert row["statistic"] == pytest.approx(m2, rel=1e-9)
    from scipy import stats
    assert row["p"] == pytest.approx(stats.chi2.sf(m2, 1), rel=1e-9)
    assert row["direction"] == "increasing" and row["n_entries"] == 42 and row["n_coded"] == 16
    assert row["odds_ratio_year"] > 1 and row["or_ci_low"] < row["odds_ratio_year"] < row["or_ci_high"]

    flat = code_trend(tl.assign(n_coded=0)).iloc[0]
    assert flat["direction"] == "none" and math.isnan(flat["p"])
    down = code_trend(tl.assign(n_coded=[8, 4, 3, 1])).iloc[0]
    assert down["direction"] == "decreasing"


def test_quotations_are_deterministic_and_pseudonymous():
    q = quotations(CODINGS, SEGMENTS, CB, per_code=2)
    assert set(q.columns) >= {"code", "name_fi", "rank", "segment_id", "speaker", "speaker_role", "source", "text"}
    housing = q[q["code"] == "housing"]
    # s1 has most hits (2) → first; then the shorter of s2/s4 that is not already quoted
    assert housing["segment_id"].tolist() == ["s1", "s2"]
    assert housing["source"].iloc[0] == "W01, 2024-05-14"
    assert "[00:01:02]" not in housing["text"].iloc[0]
    money = q[q["code"] == "money"]
    assert money["segment_id"].tolist() == ["s3", "s4"]  # s1 already quoted for housing (unique)
    assert "s5" not in set(q["segment_id"])  # "Joo." is too short
    again = quotations(CODINGS.sample(frac=1, random_state=3), SEGMENTS.sample(frac=1, random_state=4), CB,
                       per_code=2)
    pd.testing.assert_frame_equal(q.reset_index(drop=True), again.reset_index(drop=True))
    shared = quotations(CODINGS, SEGMENTS, CB, per_code=3, unique=False)
    assert shared[shared["code"] == "money"]["segment_id"].tolist() == ["s3", "s4", "s1"]  # equal hits: shortest first


def test_quotations_skip_facilitators_and_repeated_words():
    segs = pd.DataFrame({
        "segment_id": ["a", "b", "c", "d"],
        "text": ["Miten asuminen on järjestynyt teidän kunnassa nyt?"] * 2
                + ["Mä asun tukiasunnossa ja se on ollu tosi hyvä juttu mulle.",
                   "Mä asun tukiasunnossa ja se on ollu tosi hyvä juttu mulle."],
        "speaker": ["Fasilitaattori 1", "Fasilitaattori 1", "Nuori 1", "Nuori 2"],
        "speaker_role": ["facilitator", "facilitator", "young_person", "young_person"],
    })  # fmt: skip
    codings = pd.DataFrame({"segment_id": list("abcd"), "code": ["housing"] * 4})
    q = quotations(codings, segs, CB, per_code=3)
    assert q["segment_id"].tolist() == ["c"]  # no facilitator question, and the repeated words once
    assert quotations(codings, segs, CB, per_code=3, exclude_roles=())["segment_id"].tolist() == ["a", "c"]


def test_coverage_and_uncoded_sample():
    cov = coverage(CODINGS, SEGMENTS)
    assert cov.iloc[0].tolist() == [6, 4, 2, pytest.approx(4 / 6)]
    by = coverage(CODINGS, SEGMENTS, by="speaker_role").set_index("speaker_role")
    assert by.loc["young_person", ["n_segments", "n_coded"]].tolist() == [3, 2]
    assert by.loc["facilitator", "share"] == 0.0
    sample = uncoded_sample(CODINGS, SEGMENTS, n=5, min_chars=10)
    assert sample["segment_id"].tolist() == ["s6"]  # s5 "Joo." is too short
    many = pd.DataFrame({"segment_id": [f"u{i}" for i in range(50)], "text": ["Tämä on ihan tavallinen lause."] * 50})
    empty = CODINGS.iloc[0:0]
    a = uncoded_sample(empty, many, n=10, min_chars=5)
    b = uncoded_sample(empty, many.iloc[::-1], n=10, min_chars=5)
    assert a["segment_id"].tolist() == b["segment_id"].tolist() and len(a) == 10
    assert uncoded_sample(empty, many, n=10, min_chars=5, seed=1)["segment_id"].tolist() != a["segment_id"].tolist()


def test_missing_columns_raise_data_error():
    with pytest.raises(DataError, match="speaker_role"):
        code_frequencies(CODINGS, SEGMENTS.drop(columns="speaker_role"), by="speaker_role")
    with pytest.raises(DataError, match="code"):
        coverage(CODINGS.drop(columns="code"), SEGMENTS)


def test_project_years_run_from_the_start_month():
    dates = pd.Series(["2024-03-01", "2025-02-28", "2025-03-01", "2027-02-28", "2024-02-29"])
    assert project_year(dates, "2024-03-01").tolist() == [1, 1, 2, 3, 0]
    assert [project_year_period(y, "2024-03-01") for y in (1, 2, 3)] == ["3/2024–2/2025", "3/2025–2/2026", "3/2026–2/2027"]
    with pytest.raises(DataError, match="row 1"):
        project_year(pd.Series(["2024-05-01", None]), "2024-03-01")
    with pytest.raises(DataError, match="project start"):
        project_year(dates, "maaliskuu")


def test_code_by_project_year_counts_entries_and_codes_per_year():
    segments = SEGMENTS.assign(date=["2024-03-10", "2025-02-27", "2025-03-02", "2025-06-01", "2026-03-01", "2026-12-24"])
    table = code_by_project_year(CODINGS, segments, {"housing": "housing", "housing_worries": "worries"},
                                 start="2024-03-01")
    assert table.columns.tolist() == ["year", "period", "n_entries", "n_housing", "n_worries", "share_housing",
                                      "share_worries"]
    #           s1, s2 in year 1; s3, s4 in year 2; s5, s6 in year 3 (housing: s1, s2, s4; worries: s1)
    assert table[["year", "n_entries", "n_housing", "n_worries"]].values.tolist() == [[1, 2, 2, 1], [2, 2, 1, 0],
                                                                                       [3, 2, 0, 0]]
    assert table["share_housing"].tolist() == [1.0, 0.5, 0.0] and table["period"].iloc[2] == "3/2026–2/2027"
    plain = code_by_project_year(CODINGS, segments, ["money"], start="2024-03-01")
    assert plain["n_money"].tolist() == [1, 2, 0]  # a list of codes names the columns by the codes

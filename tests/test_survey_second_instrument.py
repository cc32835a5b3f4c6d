"""A second, different instrument runs through by editing YAML only.

Different items, numeric codes (0–4) instead of labels, explicit missing codes (-1, 99),
matching by position / regex / normalised header, another scale with a reverse item,
and a numerically coded background variable.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.survey import apply_instrument, load_instrument, scale_scores
from analysis.survey.compare import compare_groups
from analysis.survey.reliability import reliability_table

WELLBEING = Path(__file__).parent / "data" / "instrument_wellbeing.yaml"


def _export(n=40, seed=5):
    rng = np.random.default_rng(seed)
    trait = rng.normal(0, 0.9, n)
    team = rng.integers(1, 3, n)
    def item(sign=1, bonus=0.0):
        raw = 2 + sign * (trait + bonus * (team == 2)) + rng.normal(0, 0.6, n)
        return np.clip(np.rint(raw), 0, 4).astype(int)
    cells = {
        "ID": [f"r{i}" for i in range(n)],
        "Q1_jaksaminen": item(),
        "Q2_merkitys": [str(v) for v in item()],
        "Q3: Tunnen itseni\nuupuneeksi.": [f"{v},0" for v in item(-1)],
        "Q4_esihenkilo": item(bonus=1.5),
        "Q5_kollegat": item(bonus=1.5),
        "TEAM": team,
        "submitdate": "2025-03-01",
    }
    frame = pd.DataFrame(cells).astype(object)
    frame.loc[0, "Q1_jaksaminen"] = -1
    frame.loc[1, "Q2_merkitys"] = "99"
    frame["source_row"] = np.arange(2, n + 2)
    return frame


def test_second_instrument_runs_through():
    inst = load_instrument(WELLBEING)
    tables = apply_instrument(_export(), inst, source_id="wellbeing", source_file="surveys/wb.csv", wave="single")
    assert tables.quarantine.empty
    assert tables.extra_columns == ["submitdate"]
    r = tables.responses.set_index(["respondent_code", "item"])
    assert r.loc[("R0", "wb1"), "missing"] == "missing_code"
    assert r.loc[("R1", "wb2"), "missing"] == "dont_know"
    assert set(tables.respondents["team"]) == {"north", "south"}

    scores = scale_scores(tables.responses, inst)
    assert set(scores["scale"]) == {"wellbeing", "support"}
    assert scores["score"].dropna().between(0, 4).all()
    # support needs both items (min_answered 1.0); wellbeing allows one of three missing
    assert scores[(scores.scale == "wellbeing") & (scores.respondent == "R0")]["score"].notna().all()

    scales, items = reliability_table(tables.responses, inst)
    wb = scales.set_index("scale").loc["wellbeing"]
    assert wb["alpha"] > 0.6  # the reversed item correlates positively after reverse coding
    assert (items[items.scale == "wellbeing"]["item_rest_r"] > 0).all()

    data = scores.merge(tables.respondents.rename(columns={"respondent_code": "respondent"})[
        ["respondent", "wave", "team"]], on=["respondent", "wave"])
    result = compare_groups(data, "team", instrument=inst).set_index("scale")
    assert result.loc["support", "test"] == "mann_whitney"
    assert result.loc["support", "effect"] < -0.3  # planted: the southern team gets more support
    assert result.loc["support", "label_en"] == "Support received"


def test_out_of_range_code_is_quarantined():
    inst = load_instrument(WELLBEING)
    raw = _export(6)
    raw.loc[2, "Q4_esihenkilo"] = 5
    tables = apply_instrument(raw, inst, source_id="wellbeing", source_file="surveys/wb.csv", wave="single")
    assert tables.quarantine["source_row"].tolist() == [4]
    assert "values 0, 1, 2, 3, 4" in tables.quarantine["reason"].iloc[0]
    assert len(tables.respondents) == 5

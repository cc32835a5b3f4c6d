"""What a notebook analyses: the instrument from the manifest, non-empty selections, needs items."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.pipeline.data import check_selection, survey_instrument
from analysis.survey.instrument import load_instrument
from analysis.survey.needs import need_items, prevalence
from analysis.workspace import Workspace

PROJECT = Path(__file__).resolve().parents[1]
USER_NEEDS = Path(__file__).parent / "data" / "instrument_needs_user.yaml"


def _surveys(tmp_path: Path, rows: list[dict]) -> Workspace:
    ws = Workspace(root=tmp_path, project=PROJECT)
    ws.processed.mkdir(parents=True)
    (ws.processed / "surveys.json").write_text(json.dumps(rows), encoding="utf-8")
    return ws


def test_the_instrument_comes_from_the_manifest(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "needs.yaml").write_text(USER_NEEDS.read_text(encoding="utf-8"), encoding="utf-8")
    ws = _surveys(tmp_path, [
        {"id": "b", "instrument": "config/instrument_professionals.yaml", "scales": True, "wave": "baseline"},
        {"id": "n", "instrument": "mine/needs.yaml", "scales": False, "wave": "single"},
    ])  # fmt: skip
    assert survey_instrument(ws, analysis="scales") == PROJECT / "config" / "instrument_professionals.yaml"
    assert survey_instrument(ws, analysis="needs") == tmp_path / "mine" / "needs.yaml"
    with pytest.raises(DataError, match="parameter instrument = 'config/instrument_needs.yaml': no survey"):
        survey_instrument(ws, "config/instrument_needs.yaml", analysis="needs")


def test_no_fitting_or_several_instruments_are_errors(tmp_path):
    ws = _surveys(tmp_path, [{"id": "b", "instrument": "config/instrument_professionals.yaml", "scales": True}])
    with pytest.raises(DataError, match="no survey of the data manifest has an instrument without scales"):
        survey_instrument(ws, analysis="needs")
    ws = _surveys(tmp_path / "two", [
        {"id": "a", "instrument": "config/instrument_professionals.yaml", "scales": True},
        {"id": "b", "instrument": "tests/data/instrument_wellbeing.yaml", "scales": True},
    ])  # fmt: skip
    with pytest.raises(DataError, match="2 instruments with scales.*Choose one with the parameter 'instrument'"):
        survey_instrument(ws, analysis="scales")


def test_an_empty_selection_names_the_parameter():
    people = pd.DataFrame({"wave": ["baseline", "followup"], "municipality": ["Kemi", "Tornio"], "role": ["a", "b"]})
    with pytest.raises(DataError, match=r"parameter municipalities = \['Tronio'\] leaves no respondents"):
        check_selection(people, people.iloc[0:0], {"waves": [], "municipalities": ["Tronio"]})
    with pytest.raises(DataError, match=r"waves = \['baseline'\], municipalities = \['Tornio'\] together"):
        check_selection(people, people.iloc[0:0], {"waves": ["baseline"], "municipalities": ["Tornio"]})
    with pytest.raises(DataError, match="there are no young people to analyse"):
        check_selection(people.iloc[0:0], people.iloc[0:0], {"instrument": "needs"}, what="young people")
    check_selection(people, people, {"municipalities": ["Kemi"]})  # rows left: no error


def test_a_rating_item_counts_as_a_need_from_its_cut_off_or_is_excluded():
    inst = load_instrument(USER_NEEDS)
    cutoffs = need_items(inst)
    assert cutoffs["n_coping"] == 4.0 and cutoffs["n_home"] == 1.0
    assert "n_coping" not in need_items(inst, exclude=["n_coping"])
    assert need_items(inst, rating_at_least=3)["n_coping"] == 3.0
    with pytest.raises(DataError, match="cut-off 6 .* outside"):
        need_items(inst, rating_at_least=6)
    with pytest.raises(DataError, match="unknown item"):
        need_items(inst, exclude=["n_nothing"])
    values = [1, 2, 3, 4, 5, 5, None]
    responses = pd.DataFrame({"respondent": [f"R{i}" for i in range(7)], "wave": "single", "instrument": inst.id,
                              "item": "n_coping", "value": values, "label": None,
                              "missing": [None] * 6 + ["dont_know"]})  # fmt: skip
    table = prevalence(responses, inst, {"n_coping": 4.0}).set_index("need")
    assert (table.loc["n_coping", "n"], table.loc["n_coping", "count"]) == (6, 3)
    with pytest.raises(DataError, match="not a 0/1"):
        prevalence(responses, inst)  # without a cut-off a rating item is refused, not read as 0/1

"""apply_instrument: a Webropol-like raw sheet → respondents, responses, open answers, quarantine."""

import math

import numpy as np
import pandas as pd
import pytest

from analysis.errors import ConfigError, DataError
from analysis.survey import apply_instrument, load_instrument, scale_scores
from analysis.survey.examples import example_export
from analysis.workspace import PACKAGE_PROJECT_DIR

PROFESSIONALS = PACKAGE_PROJECT_DIR / "config" / "instrument_professionals.yaml"
NEEDS = PACKAGE_PROJECT_DIR / "config" / "instrument_needs.yaml"


@pytest.fixture(scope="module")
def inst():
    return load_instrument(PROFESSIONALS)


def _raw(inst, rows):
    """A raw sheet with the instrument's headers; ``rows`` override cells by item/column id."""
    headers = {"respondent_id": "Vastaajatunnus"}
    headers.update({i.id: str(i.match.value) for i in inst.items})
    headers.update({b.id: str(b.match.value) for b in inst.background})
    headers["role_other"] = "Ammattinimike: Muu, mikä?"
    headers.update({o.id: str(o.match.value) for o in inst.open_items})
    records = []
    for k, overrides in enumerate(rows):
        record = {h: "Jokseenkin samaa mieltä" for key, h in headers.items() if key in inst.item_ids}
        record.update({"Vastaajatunnus": f"k{k + 1:03d}", "Ammattinimike": "Sosiaalityöntekijä",
                       "Kunta, jossa pääosin työskentelet": "Kemi", "Työkokemus jälkihuollossa (vuotta)": "3,5",
                       "Ammattinimike: Muu, mikä?": None, "Mikä jälkihuollossa toimii mielestäsi hyvin?": None,
                       "Mitä jälkihuollossa pitäisi kehittää?": None})
        for key, value in overrides.items():
            record[headers.get(key, key)] = value
        records.append(record)
    frame = pd.DataFrame(records, dtype=object)
    frame.insert(0, "Aloitusaika", "2024-05-14 09:00")
    frame["source_row"] = np.arange(2, len(frame) + 2)
    return frame


def _apply(inst, raw, wave="baseline"):
    return apply_instrument(raw, inst, source_id="professionals_baseline",
                            source_file="surveys/alkukartoitus_2024.xlsx", wave=wave)


def test_tidy_tables_and_value_variants(inst):
    raw = _raw(inst, [
        {"rc1": "4", "rc2": 4, "rc3": 4.0, "rc4": "4,0"},
        {"rc1": "  täysin SAMAA\nmieltä ", "rc2": "En osaa sanoa", "rc3": 9, "rc4": None,
         "works_well": "Yhteistyö koulun kanssa toimii."},
    ])
    t = _apply(inst, raw)
    assert t.quarantine.empty
    assert list(t.responses.columns) == ["survey_id", "instrument", "wave", "respondent_code", "item", "value",
                                         "label", "missing"]
    r = t.responses.set_index(["respondent_code", "item"])
    assert [r.loc[("K001", i), "value"] for i in ("rc1", "rc2", "rc3", "rc4")] == [4.0] * 4
    assert r.loc[("K002", "rc1"), "value"] == 5.0
    assert r.loc[("K002", "rc1"), "label"] == "täysin SAMAA\nmieltä"
    assert (r.loc[("K002", "rc2"), "missing"], r.loc[("K002", "rc3"), "missing"],
            r.loc[("K002", "rc4"), "missing"]) == ("dont_know", "missing_code", "empty")
    assert math.isnan(r.loc[("K002", "rc2"), "value"])
    assert r.loc[("K001", "rc1"), "missing"] is None
    assert len(t.responses) == 2 * len(inst.items)
    resp = t.respondents.set_index("respondent_code")
    assert resp.loc["K001", "role"] == "social_worker"
    assert resp.loc["K001", "experience_years"] == 3.5
    assert resp.loc["K001", "source_row"] == 2
    assert t.open_answers[["respondent_code", "item", "text"]].values.tolist() == [
        ["K002", "works_well", "Yhteistyö koulun kanssa toimii."]]
    assert t.extra_columns == ["Aloitusaika"]


def test_other_category_keeps_free_text(inst):
    raw = _raw(inst, [{"role": "Muu, mikä?", "role_other": "  perhe-\ntyöntekijä "}, {"role": "sosiaaliohjaaja"}])
    resp = _apply(inst, raw).respondents.set_index("respondent_code")
    assert resp.loc["K001", "role"] == "other"
    assert resp.loc["K001", "role_other"] == "perhe- työntekijä"
    assert resp.loc["K002", "role"] == "social_counsellor"


def test_quarantine_names_row_column_value_and_what_is_allowed(inst):
    raw = _raw(inst, [
        {"rc1": 7},                                   # out of range
        {"co2": "Melko samaa mieltä"},               # unknown label
        {"respondent_id": "K004"},                    # duplicate of the next row (after normalising)
        {"respondent_id": " k004 "},
        {**{i.id: None for i in inst.items}},         # no answers at all
        {"municipality": "Rovaniemi"},                # unknown category
        {},                                           # fine
    ])
    t = _apply(inst, raw)
    q = t.quarantine
    assert sorted(q["source_row"].unique()) == [2, 3, 4, 5, 6, 7]
    first = q[q["source_row"] == 2].iloc[0]
    header = str(inst.item("rc1").match.value)
    assert first["location"] == f"row 2, column {header!r}"
    assert "'7' is out of range" in first["reason"] and "values 1, 2, 3, 4, 5" in first["reason"]
    assert "'En osaa sanoa'" in first["reason"]
    assert "unknown answer 'Melko samaa mieltä'" in q[q["source_row"] == 3].iloc[0]["reason"]
    dup = q[q["source_row"].isin([4, 5])]
    assert len(dup) == 2 and all("rows 4, 5" in reason for reason in dup["reason"])
    assert "no answers" in q[q["source_row"] == 6].iloc[0]["reason"]
    assert "unknown category 'Rovaniemi'" in q[q["source_row"] == 7].iloc[0]["reason"]
    assert t.respondents["source_row"].tolist() == [8]
    assert set(t.responses["respondent_code"]) == {"K007"}
    assert list(q.columns) == ["source_id", "source_file", "source_row", "location", "reason", "content"]


def test_missing_source_row_and_bad_wave(inst):
    raw = _raw(inst, [{}])
    with pytest.raises(DataError, match="source_row"):
        _apply(inst, raw.drop(columns="source_row"))
    with pytest.raises(ConfigError, match="wave"):
        _apply(inst, raw, wave="alku")


def test_unmatched_column_stops_with_file_name(inst):
    raw = _raw(inst, [{}]).drop(columns=[str(inst.item("cp2").match.value)])
    with pytest.raises(DataError, match="alkukartoitus_2024.xlsx.*item 'cp2'"):
        _apply(inst, raw)


def test_row_without_code_is_kept_unlinked(inst):
    raw = _raw(inst, [{"respondent_id": None}])
    t = _apply(inst, raw)
    assert t.respondents["respondent_code"].tolist() == ["professionals_baseline-row2"]


def test_example_export_round_trip_and_scores(inst):
    raw = example_export(inst, 30, seed=3)
    t = _apply(inst, raw)
    assert t.quarantine.empty and len(t.respondents) == 30
    scores = scale_scores(t.responses, inst)
    assert set(scores["scale"]) == set(inst.scale_ids)
    assert scores["score"].between(1, 5).all() or scores["score"].isna().any()


def test_scale_scores_min_answered_and_reverse(inst):
    raw = _raw(inst, [
        {"rc1": 5, "rc2": 4, "rc3": 1, "rc4": None},             # 3/4 answered >= 0.75; rc3 reversed -> 5
        {"rc1": 5, "rc2": None, "rc3": "En osaa sanoa", "rc4": 3},  # 2/4 < 0.75 -> NaN
    ])
    scores = scale_scores(_apply(inst, raw).responses, inst, ["role_clarity"]).set_index("respondent")
    assert scores.loc["K001", "score"] == pytest.approx((5 + 4 + 5) / 3)
    assert scores.loc["K001", "n_answered"] == 3 and scores.loc["K001", "n_items"] == 4
    assert math.isnan(scores.loc["K002", "score"])


def test_needs_instrument_bands_and_checkboxes():
    needs = load_instrument(NEEDS)
    prefix = "Missä asioissa tarvitset tukea? - "
    options = ["Asuminen", "Raha-asiat ja toimeentulo", "Opiskelu tai työ", "Mielenterveys ja jaksaminen",
               "Vertaistuki", "Tieto oikeuksistani jälkihuollossa", "Ihmissuhteet ja läheiset"]
    raw = pd.DataFrame({
        "Vastaajan numero": [1, 2, 3],
        **{prefix + o: ["1", None, "Valittu"] for o in options[1:]},
        prefix + options[0]: ["1", "1", "Valittu"],
        "Ikä": [19, "23", 30],
        "Miten asut tällä hetkellä?": ["Tuetussa asumisessa", "Muu, mikä?", "Omassa vuokra-asunnossa"],
        "Miten asut tällä hetkellä?: Muu, mikä?": [None, "kaverin sohvalla", None],
        "Asuinkunta": ["Kemi", "Tornio", "Muu Lapin kunta"],
        "Mitä muuta haluaisit sanoa jälkihuollosta?": [None, None, "Kiitos"],
        "source_row": [2, 3, 4],
    }, dtype=object)
    t = apply_instrument(raw, needs, source_id="needs", source_file="surveys/tarve.csv", wave="single")
    resp = t.respondents.set_index("respondent_code")
    assert resp["age_band"].tolist()[:2] == ["18–20", "21–25"] and pd.isna(resp["age_band"].iloc[2])
    assert resp.loc["2", "living_situation"] == "other" and resp.loc["2", "living_situation_other"] == "kaverin sohvalla"
    values = t.responses[t.responses["item"] == "need_money"].set_index("respondent_code")["value"]
    assert values.tolist() == [1.0, 0.0, 1.0]  # empty check box = 0 (empty_is)

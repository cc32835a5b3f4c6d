"""Instrument YAML: loading, validation errors that name file and key, column matching."""

import copy

import pytest
import yaml

from analysis.errors import ConfigError, DataError
from analysis.io import tables
from analysis.survey import instrument
from analysis.survey.instrument import (
    instrument_from_dict,
    load_instrument,
    match_columns,
    parse_number,
)
from analysis.workspace import PACKAGE_PROJECT_DIR

PROFESSIONALS = PACKAGE_PROJECT_DIR / "config" / "instrument_professionals.yaml"
NEEDS = PACKAGE_PROJECT_DIR / "config" / "instrument_needs.yaml"


@pytest.fixture(scope="module")
def doc():
    return yaml.safe_load(PROFESSIONALS.read_text(encoding="utf-8"))


def test_project_instruments_load():
    inst = load_instrument(PROFESSIONALS)
    assert inst.scale_ids == ["role_clarity", "collaboration", "competence", "participation", "service_paths"]
    assert inst.item("rc3").reverse and not inst.item("rc1").reverse
    likert = inst.answer_sets["likert5"]
    assert likert.parse("Täysin samaa mieltä") == (5.0, "Täysin samaa mieltä", None)
    needs = load_instrument(NEEDS)
    assert needs.background_variable("age").bands == {"18–20": (18.0, 20.0), "21–25": (21.0, 25.0)}
    assert needs.answer_sets["selected"].parse(None) == (0.0, None, None)  # unticked box


@pytest.mark.parametrize("cell, expected", [
    ("4", 4.0), (4, 4.0), (4.0, 4.0), ("4,0", 4.0), (" 4 ", 4.0), ("Jokseenkin samaa mieltä", None),
])
def test_parse_number(cell, expected):
    assert parse_number(cell) == expected


def test_answer_parsing_variants():
    likert = load_instrument(PROFESSIONALS).answer_sets["likert5"]
    assert likert.parse("  jokseenkin\u00a0SAMAA mieltä ")[0] == 4.0
    assert likert.parse("4,0")[0] == 4.0
    assert likert.parse("En osaa sanoa")[2] == "dont_know"
    assert likert.parse(9)[2] == "missing_code"
    assert likert.parse("9")[2] == "missing_code"
    assert likert.parse("")[2] == "empty"
    with pytest.raises(ValueError, match="out of range"):
        likert.parse(7)
    with pytest.raises(ValueError, match="unknown answer"):
        likert.parse("Melko samaa mieltä")


def _error(doc, tmp_path, mutate):
    bad = copy.deepcopy(doc)
    mutate(bad)
    path = tmp_path / "bad_instrument.yaml"
    path.write_text(yaml.safe_dump(bad, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_instrument(path)
    assert "bad_instrument.yaml" in str(info.value)
    return str(info.value)


def test_undefined_scale_item_names_the_key(doc, tmp_path):
    msg = _error(doc, tmp_path, lambda d: d["scales"][2]["items"].__setitem__(1, "cp9"))
    assert "scales[2].items[1]: item 'cp9' is not defined" in msg


@pytest.mark.parametrize("mutate, fragment", [
    (lambda d: d["items"][0].__setitem__("answers", "likert7"), "items[0].answers"),
    (lambda d: d["items"][1].__setitem__("match", {"regex": "(unclosed"}), "items[1].match.regex"),
    (lambda d: d["items"][1].__setitem__("match", {"column": "x"}), "unknown match kind"),
    (lambda d: d["items"][2].__setitem__("reverse", "yes"), "items[2].reverse"),
    (lambda d: d["items"][3].__setitem__("id", "rc1"), "used twice"),
    (lambda d: d["scales"][0].__setitem__("min_answered", 1.5), "scales[0].min_answered"),
    (lambda d: d["answer_sets"]["likert5"].__setitem__("missing", ["En osaa sanoa", 3]), "also a valid answer"),
    (lambda d: d["background"][0].__setitem__("type", "categorical"), "background[0].type"),
    (lambda d: d.__setitem__("scale", []), "unknown key(s) 'scale'"),
    (lambda d: d["items"][0].__setitem__("match", {"position": 0}), "items[0].match.position"),
])
def test_invalid_instruments_raise_config_error(doc, tmp_path, mutate, fragment):
    assert fragment in _error(doc, tmp_path, mutate)


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError):
        load_instrument(tmp_path / "nope.yaml")
    path = tmp_path / "broken.yaml"
    path.write_text("items: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="broken.yaml"):
        load_instrument(path)


def test_normalised_match_uses_the_one_header_rule():
    # the instruments' tolerant matching and the readers fold headers with the same function
    assert instrument.normalise_header is tables.normalise_header
    assert not hasattr(instrument, "normalize_header")
    assert tables.normalise_header("Tiedän, keneen ottaa\nyhteyttä  muissa palveluissa.") == \
        tables.normalise_header("TIEDÄN KENEEN OTTAA YHTEYTTÄ MUISSA PALVELUISSA")


def _small(match):
    return instrument_from_dict({
        "id": "mini",
        "answer_sets": {"l": {"labels": {"Ei": 1, "Kyllä": 2}, "min": 1, "max": 2}},
        "items": [{"id": "q1", "match": match, "answers": "l"},
                  {"id": "q2", "match": {"header": "Toinen kysymys?"}, "answers": "l"}],
    }, file="mini.yaml")


@pytest.mark.parametrize("match, columns, expected", [
    ({"header": "Onko sinulla avain?"}, ["Onko sinulla avain?", "Toinen kysymys?"], "Onko sinulla avain?"),
    ({"header": "Onko sinulla avain?"}, ["onko  sinulla\navain", "Toinen kysymys?"], "onko  sinulla\navain"),
    ({"normalized": "ONKO SINULLA AVAIN"}, ["Onko sinulla avain?", "Toinen kysymys?"], "Onko sinulla avain?"),
    ({"regex": "^Q1\\b"}, ["Q1 Onko sinulla avain?", "Toinen kysymys?"], "Q1 Onko sinulla avain?"),
    ({"position": 2}, ["Aika", "Mikä tahansa", "Toinen kysymys?"], "Mikä tahansa"),
])
def test_match_kinds(match, columns, expected):
    result = match_columns(_small(match), columns + ["source_row"], "kysely.xlsx")
    assert result.columns["q1"] == expected
    assert "source_row" not in result.extra


def test_unmatched_items_are_all_listed_with_file():
    inst = load_instrument(PROFESSIONALS)
    columns = [str(i.match.value) for i in inst.items][2:] + ["Vastaajatunnus", "Ammattinimike", "Extra"]
    with pytest.raises(DataError) as info:
        match_columns(inst, columns, "surveys/alkukartoitus_2024.xlsx")
    msg = str(info.value)
    assert msg.startswith("surveys/alkukartoitus_2024.xlsx")
    for missing in ("item 'rc1'", "item 'rc2'", "background 'municipality'", "open item 'works_well'"):
        assert missing in msg
    assert "'Extra'" in msg  # unused columns are named in the hint
    lenient = match_columns(inst, columns, "x.xlsx", strict=False)
    assert len(lenient.unmatched) == 6 and lenient.extra == ["Extra"]


def test_ambiguous_regex_is_an_error():
    inst = _small({"regex": "kysymys"})
    with pytest.raises(DataError, match="matches 2 columns"):
        match_columns(inst, ["Eka kysymys", "Toinen kysymys?"], "x.csv")

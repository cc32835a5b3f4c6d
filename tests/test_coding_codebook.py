"""Codebook loading and validation (config/codebook.yaml and broken variants)."""

from __future__ import annotations

import copy
import textwrap
from pathlib import Path

import pytest
import yaml

from analysis.coding.codebook import CODE_COLUMNS, Codebook, load_codebook
from analysis.errors import ConfigError

PROJECT = Path(__file__).resolve().parents[1]
CODEBOOK = PROJECT / "config" / "codebook.yaml"
SHARED_TOP_LEVEL = ["roles", "collaboration", "service_paths", "peer_support", "participation", "housing",
                    "money", "competence", "mental_health", "distances_digital"]

MINIMAL = {
    "version": "0.1",
    "themes": [
        {"id": "housing", "name": {"fi": "Asuminen", "en": "Housing"}, "colour": "#DDCC77",
         "work_package": "TP2C", "rules": {"lemmas": ["*asunto"]},
         "children": [{"id": "housing_worries", "name": {"fi": "Huolet", "en": "Worries"}, "colour": "#EE8866",
                       "rules": {"all": [["huoli", "asunto"]]}}]},
        {"id": "money", "name": {"fi": "Raha", "en": "Money"}, "colour": "#CC6677", "rules": {"lemmas": ["raha"]}},
    ],
}


def write(tmp_path: Path, data) -> Path:
    path = tmp_path / "codebook.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_project_codebook_loads_with_shared_ids():
    cb = load_codebook(CODEBOOK)
    assert [c for c in cb.top_level] == SHARED_TOP_LEVEL
    assert cb.children("housing") == ["housing_worries", "finding_housing", "independent_living"]
    frame = cb.codes
    assert list(frame.columns) == CODE_COLUMNS
    assert frame["code"].is_unique
    assert frame["colour"].str.fullmatch(r"#[0-9A-F]{6}").all()
    assert frame["colour"].is_unique, "every theme needs its own colour"
    assert (frame["name_fi"].str.len() > 0).all() and (frame["name_en"].str.len() > 0).all()
    assert (frame["definition"].str.len() > 20).all(), "every theme needs a definition"
    # sub-themes inherit the parent's work package
    assert frame.set_index("code").loc["housing_worries", "work_package"] == "TP2C"
    assert frame.set_index("code").loc["housing_worries", "level"] == 2
    # every code has rules or children, so each can fire
    for code in cb:
        assert not code.rules.empty or cb.children(code.id), code.id


def test_flatten_parent_key_and_nesting_agree(tmp_path):
    nested = Codebook.from_dict(MINIMAL)
    flat = copy.deepcopy(MINIMAL)
    child = flat["themes"][0].pop("children")[0]
    child["parent"] = "housing"
    flat["themes"].append(child)  # declared after money: order is still depth-first
    flat_cb = load_codebook(write(tmp_path, flat))
    assert flat_cb.ids == ["housing", "housing_worries", "money"]
    assert nested.ids == flat_cb.ids
    assert flat_cb.codes[["code", "parent", "level"]].values.tolist() == [
        ["housing", None, 1], ["housing_worries", "housing", 2], ["money", None, 1]]
    assert flat_cb.ancestors("housing_worries") == ["housing"]
    assert flat_cb.label("money", "en") == "Money"


def test_hash_ignores_formatting_but_not_content(tmp_path):
    a = load_codebook(write(tmp_path, MINIMAL))
    text = (tmp_path / "codebook.yaml").read_text(encoding="utf-8")
    (tmp_path / "codebook.yaml").write_text("# a comment\n" + text, encoding="utf-8")
    b = load_codebook(tmp_path / "codebook.yaml")
    assert a.hash == b.hash and len(a.hash) == 64
    changed = copy.deepcopy(MINIMAL)
    changed["themes"][1]["rules"]["lemmas"].append("velka")
    assert load_codebook(write(tmp_path, changed)).hash != a.hash
    assert a.version == "0.1"


def broken(mutate):
    data = copy.deepcopy(MINIMAL)
    mutate(data)
    return data


@pytest.mark.parametrize(
    "mutate, location, words",
    [
        (lambda d: d["themes"][1].__setitem__("parent", "hosuing"), "themes[1].parent", "unknown parent 'hosuing'"),
        (lambda d: d["themes"][1].__setitem__("id", "housing"), "themes[1].id", "duplicate id 'housing'"),
        (lambda d: d["themes"][0]["children"][0].__setitem__("id", "money"), "themes[1].id",
         "duplicate id 'money' (first at themes[0].children[0])"),
        (lambda d: d["themes"][1]["rules"].__setitem__("regex", ["(raha"]), "themes[1].rules.regex[0]",
         "invalid regular expression"),
        (lambda d: d["themes"][1].__setitem__("colour", "red"), "themes[1].colour", "bad colour"),
        (lambda d: d["themes"][1].__setitem__("colour", "#12345"), "themes[1].colour", "bad colour"),
        (lambda d: d["themes"][0]["children"][0].__setitem__("colour", "#GG0000"), "themes[0].children[0].colour",
         "bad colour"),
        (lambda d: d["themes"][1].__setitem__("work_package", "TP9"), "themes[1].work_package", "unknown work package"),
        (lambda d: d["themes"][1]["rules"].__setitem__("lemma", ["raha"]), "themes[1].rules", "unknown key(s) 'lemma'"),
        (lambda d: d["themes"][1].pop("name"), "themes[1]", "missing required key 'name'"),
        (lambda d: d["themes"][1]["name"].pop("en"), "themes[1].name", "missing required key 'en'"),
        (lambda d: d["themes"][1].__setitem__("id", "Raha Asiat"), "themes[1].id", "invalid id"),
        (lambda d: d["themes"][1]["rules"].__setitem__("all", [["raha"]]), "themes[1].rules.all[0]",
         "at least two slots"),
        (lambda d: d["themes"][1]["rules"].__setitem__("exclude", ["x"]), "themes[1].rules.exclude", "mapping"),
        (lambda d: d.pop("version"), "top level", "missing required key 'version'"),
        (lambda d: d.__setitem__("themes", []), "themes", "empty"),
    ],
)
def test_validation_errors_name_file_and_key(tmp_path, mutate, location, words):
    path = write(tmp_path, broken(mutate))
    with pytest.raises(ConfigError) as info:
        load_codebook(path)
    message = str(info.value)
    assert str(path) in message
    assert location in message
    assert words in message


def test_circular_parents(tmp_path):
    data = {"version": 1, "themes": [
        {"id": "a", "parent": "b", "name": {"fi": "A", "en": "A"}, "colour": "#000000"},
        {"id": "b", "parent": "a", "name": {"fi": "B", "en": "B"}, "colour": "#111111"}]}
    with pytest.raises(ConfigError, match="circular"):
        load_codebook(write(tmp_path, data))


def test_invalid_yaml_gives_line(tmp_path):
    path = tmp_path / "codebook.yaml"
    path.write_text(textwrap.dedent("""\
        version: 1
        themes:
          - id: a
            name: {fi: A, en: A
            colour: "#000000"
        """), encoding="utf-8")
    with pytest.raises(ConfigError, match="line"):
        load_codebook(path)

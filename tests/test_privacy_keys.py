"""The pseudonym key: stable pseudonyms, numbering, names, names.yaml, atomic save."""

import json
import os
import re
import subprocess

import pytest

from analysis.errors import ConfigError, DataError, LeakError
from analysis.privacy.keys import PseudonymKey, names_from_original


def test_speaker_pseudonyms_by_role_and_stable(tmp_path):
    key = PseudonymKey.load(tmp_path)
    given = {original: key.pseudonym("speaker", original, role=role) for original, role in [
        ("Fasilitaattori", "facilitator"), ("ST1", "social_worker"), ("SO2", "social_counsellor"),
        ("Aino Korhonen", "young_person"), ("Jere Virtanen", "young_person"), ("Liisa", "expert_by_experience"),
        ("Kumppani", "partner"), ("Tutkija", "researcher")]}
    prefixes = {"Fasilitaattori": "Fasilitaattori", "ST1": "ST", "SO2": "SO", "Aino Korhonen": "Nuori",
                "Jere Virtanen": "Nuori", "Liisa": "KA", "Kumppani": "Kumppani", "Tutkija": "Tutkija"}
    for original, pseudonym in given.items():
        assert re.fullmatch(rf"{prefixes[original]} \d{{2}}", pseudonym), (original, pseudonym)
    assert given["Aino Korhonen"] != given["Jere Virtanen"]
    assert given["ST1"] != "ST 1" and given["SO2"] != "SO 2"
    # case- and whitespace-insensitive lookup, a later role does not change it
    aino = given["Aino Korhonen"]
    assert key.pseudonym("speaker", "  aino   KORHONEN ", role="expert_by_experience") == aino
    assert key.lookup("speaker", "AINO KORHONEN") == aino
    assert key.lookup("speaker", "Nobody") is None


def test_respondents_and_writers(tmp_path):
    key = PseudonymKey.load(tmp_path)
    codes = [key.pseudonym("respondent", c) for c in ("17", "4711", "17")]
    assert codes[0] == codes[2] != codes[1]
    assert all(re.fullmatch(r"R\d{4}", c) for c in codes)
    writer = key.pseudonym("writer", "Aino Korhonen")
    assert re.fullmatch(r"K\d{3}", writer) and key.pseudonym("writer", "SO-tiimi Kemi") != writer
    # a writer's name is redacted in text with the writer pseudonym …
    assert key.known_names()["Korhonen"] == writer
    # … unless the same person is also a speaker: then the speaker pseudonym
    speaker = key.pseudonym("speaker", "aino korhonen", role="social_worker")
    assert speaker.startswith("ST ") and key.known_names()["Korhonen"] == speaker


def test_stable_across_save_and_reload_new_ones_are_new(tmp_path):
    key = PseudonymKey.load(tmp_path)
    aino = key.pseudonym("speaker", "Aino Korhonen", role="young_person")
    nuori3 = key.pseudonym("speaker", "Nuori 3", role="young_person")
    first = key.pseudonym("respondent", "A-12")
    key.save()
    again = PseudonymKey.load(tmp_path)
    assert again.pseudonym("speaker", "nuori 3", role="young_person") == nuori3
    assert again.pseudonym("speaker", "Matti Meikäläinen", role="young_person") not in (aino, nuori3)
    assert again.pseudonym("respondent", "B-7") != first
    assert again.pseudonym("respondent", "a-12") == first


def test_new_files_added_in_any_order_keep_pseudonyms(tmp_path):
    first = PseudonymKey.load(tmp_path)
    given = {name: first.pseudonym("speaker", name, role="young_person") for name in ("Aino Korhonen", "Jere Virtanen")}
    first.save()
    second = PseudonymKey.load(tmp_path)
    assert second.pseudonym("speaker", "Pekka Mäki", role="young_person") not in given.values()
    assert second.pseudonym("speaker", "Jere Virtanen", role="young_person") == given["Jere Virtanen"]


def test_voice_names_become_known_names(tmp_path):
    key = PseudonymKey.load(tmp_path)
    aino = key.pseudonym("speaker", "Korhonen Aino (LapHA)", role="young_person")
    jere = key.pseudonym("speaker", "jere.virtanen@lapha.fi", role="social_worker")
    key.pseudonym("speaker", "ST1", role="social_worker")
    names = key.known_names()
    assert names["Aino"] == names["Korhonen"] == aino
    assert names["Jere"] == names["Virtanen"] == jere
    assert "ST1" not in names and "LapHA" not in names


@pytest.mark.parametrize("original, expected", [
    ("Aino Korhonen", ["Aino Korhonen", "Aino", "Korhonen"]),
    ("Aino K.", ["Aino"]),
    ("Mari-Liis Lahti", ["Mari-Liis Lahti", "Mari-Liis", "Lahti"]),
    ("Nuori 3", []), ("SO2", []), ("H", []), ("Fasilitaattori", []), ("4711", []),
    ("Sosiaaliohjaaja Kemi", []),
])
def test_names_from_original(original, expected):
    assert names_from_original(original) == expected


def test_shared_first_name_becomes_nimi(tmp_path):
    key = PseudonymKey.load(tmp_path)
    korhonen = key.pseudonym("speaker", "Aino Korhonen", role="young_person")
    maki = key.pseudonym("speaker", "Aino Mäki", role="social_worker")
    names = key.known_names()
    assert names["Aino"] == "nimi"
    assert names["Mäki"] == maki and names["Korhonen"] == korhonen


def test_names_yaml(tmp_path):
    (tmp_path / "names.yaml").write_text(
        "names:\n  - Matti Meikäläinen\n  - Liisa\n  - {name: Pekka Pouta, pseudonym: '[Opettaja]'}\n",
        encoding="utf-8")
    names = PseudonymKey.load(tmp_path).known_names()
    assert names["Matti Meikäläinen"] == names["Meikäläinen"] == names["Liisa"] == "nimi"
    assert names["Pouta"] == "Opettaja"


@pytest.mark.parametrize("content, location", [
    ("names: [Liisa, 12]\n", "names[1]"),
    ("names: Liisa\n", "names"),
    ("names: [Liisa\n", "line"),
    ("names:\n  - {pseudonym: X}\n", "names[0]"),
])
def test_bad_names_yaml_names_file_and_key(tmp_path, content, location):
    (tmp_path / "names.yaml").write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        PseudonymKey.load(tmp_path)
    assert "names.yaml" in str(err.value) and location in str(err.value)


def test_unknown_role_kind_and_empty(tmp_path):
    key = PseudonymKey.load(tmp_path)
    with pytest.raises(DataError, match="unknown role"):
        key.pseudonym("speaker", "X", role="boss")
    with pytest.raises(DataError, match="unknown pseudonym kind"):
        key.pseudonym("person", "X")
    with pytest.raises(DataError, match="empty"):
        key.pseudonym("respondent", "  ")


def test_save_is_atomic_private_and_only_in_keys_dir(tmp_path):
    keys = tmp_path / "data" / "keys"
    key = PseudonymKey.load(keys)
    key.pseudonym("speaker", "Aino Korhonen", role="young_person")
    path = key.save()
    assert path == keys / "pseudonym_key.json"
    assert sorted(p.name for p in keys.iterdir()) == ["pseudonym_key.json"]  # no temp left
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["entries"][0]["original"] == "Aino Korhonen"
    assert "Aino" not in repr(key)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files == [path]


def test_corrupt_key_is_a_data_error(tmp_path):
    (tmp_path / "pseudonym_key.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(DataError, match="pseudonym_key.json"):
        PseudonymKey.load(tmp_path)


def test_refuses_key_in_tracked_git_folder(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    if subprocess.run(["git", "init", "-q", str(repo)], capture_output=True).returncode != 0:
        pytest.skip("git not available")
    key = PseudonymKey.load(repo / "data" / "keys")
    key.pseudonym("respondent", "1")
    with pytest.raises(LeakError, match="not ignored"):
        key.save()
    assert not (repo / "data" / "keys" / "pseudonym_key.json").exists()
    (repo / ".gitignore").write_text("data/keys/\n", encoding="utf-8")
    assert key.save().is_file()


def test_revision_changes_only_on_new_information(tmp_path):
    key = PseudonymKey.load(tmp_path)
    key.pseudonym("respondent", "1")
    revision = key.revision
    key.pseudonym("respondent", "1")
    assert key.revision == revision
    key.pseudonym("respondent", "1", names=["Aino"])
    assert key.revision == revision + 1
    assert key.known_names()["Aino"] == key.lookup("respondent", "1")
    assert os.path.basename(key.path) == "pseudonym_key.json"


def test_ingestion_helpers_ensure_add_name_entries(tmp_path):
    key = PseudonymKey.load(tmp_path)
    st1 = key.pseudonym("speaker", "ST1", role="social_worker")
    assert key.ensure("ST1", st1) == st1
    assert key.ensure("Aino Korhonen", "Nuori 4") == "Nuori 4"
    assert key.known_names()["Korhonen"] == "Nuori 4"
    other = "ST 99" if st1 != "ST 99" else "ST 98"
    with pytest.raises(DataError, match=f"'{st1}', not '{other}'"):
        key.ensure("st1", other)
    with pytest.raises(DataError, match="already belongs"):
        key.ensure("Jere", "Nuori 4")
    # a new pseudonym never takes a restored one
    jere = key.pseudonym("speaker", "Jere", role="young_person")
    assert jere != "Nuori 4"
    assert key.entries("speaker") == sorted([("Aino Korhonen", "Nuori 4"), ("Jere", jere), ("ST1", st1)],
                                            key=lambda pair: (pair[1], pair[0]))
    key.add_name("Matti Meikäläinen")
    assert key.known_names()["Matti"] == "nimi"
    key.save()
    assert "Matti" not in PseudonymKey.load(tmp_path).known_names()   # session only


def test_respondent_pseudonyms_share_nothing_with_raw_codes_or_their_order(tmp_path):
    key = PseudonymKey.load(tmp_path)
    raw = [f"R{i:03d}" for i in range(1, 201)] + [f"R{i:04d}" for i in range(1000, 1200)]
    codes = [key.pseudonym("respondent", c, avoid=raw) for c in raw]
    assert not set(codes) & set(raw)                       # R001 is never R001
    assert len(set(codes)) == len(raw)
    assert codes != sorted(codes)                          # sorted raw codes do not give sorted pseudonyms
    key.save()
    again = PseudonymKey.load(tmp_path)                    # stable across re-ingestion
    assert [again.pseudonym("respondent", c) for c in raw] == codes


def test_pseudonyms_share_nothing_with_raw_codes(tmp_path):
    """Speaker labels (ST1, Nuori 3, SO2), voice names, respondent and writer codes: no pseudonym
    carries the number of its raw label or of another label of the same export, and re-ingestion
    (a new key object read from the saved key) gives every one the same pseudonym."""
    from analysis.privacy.keys import _raw_numbers

    labels = {"ST1": "social_worker", "ST2": "social_worker", "SO2": "social_counsellor", "Nuori 3": "young_person",
              "Nuori 12": "young_person", "N4": "young_person", "H": "facilitator", "Fasilitaattori 1": "facilitator",
              "KA 7": "expert_by_experience", "Aino Korhonen": "young_person", "jere.virtanen@lapha.fi": "social_worker",
              "Korhonen Aino (LapHA) 2": "partner", "Tutkija 10": "researcher"}
    numbers = set().union(*(_raw_numbers(label.casefold()) for label in labels))
    for attempt in range(20):  # random pseudonyms: many draws, none may share a number
        keys = tmp_path / f"keys{attempt}"
        key = PseudonymKey.load(keys)
        given = {label: key.pseudonym("speaker", f"W01:{label}", role=role, avoid=labels) for label, role in labels.items()}
        respondents = [f"R{i:03d}" for i in range(1, 40)]
        given.update({code: key.pseudonym("respondent", f"professionals:{code}", avoid=respondents) for code in respondents})
        writers = ["K01", "K02", "SO 3"]
        given.update({code: key.pseudonym("writer", code, avoid=writers) for code in writers})
        for label, pseudonym in given.items():
            number = re.search(r"\d+", pseudonym).group().lstrip("0")
            own = _raw_numbers(label.casefold())
            assert number not in own, (label, pseudonym)
            if label in labels:
                assert number not in numbers, (label, pseudonym)   # nor the number of another label
                assert pseudonym.casefold() not in {lab.casefold() for lab in labels}
        assert len(set(given.values())) == len(given)
        key.save()
        again = PseudonymKey.load(keys)
        assert {label: again.pseudonym("speaker", f"W01:{label}", role=labels[label], avoid=labels)
                for label in labels} == {label: given[label] for label in labels}
        assert all(again.pseudonym("respondent", f"professionals:{c}") == given[c] for c in respondents)
        assert all(again.pseudonym("writer", c) == given[c] for c in writers)


def test_speaker_range_grows_when_half_is_used(tmp_path):
    key = PseudonymKey.load(tmp_path)
    given = [key.pseudonym("speaker", f"W01:Nuori {i}", role="young_person") for i in range(60)]
    assert len(set(given)) == 60
    assert any(len(p.split()[1]) == 3 for p in given)   # more than 45 of 90 two-digit numbers: three digits
    assert all(len(p.split()[1]) == 2 for p in given[:45])

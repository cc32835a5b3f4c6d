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
    assert key.pseudonym("speaker", "Fasilitaattori", role="facilitator") == "Fasilitaattori 1"
    assert key.pseudonym("speaker", "ST1", role="social_worker") == "ST 1"
    assert key.pseudonym("speaker", "SO2", role="social_counsellor") == "SO 1"
    assert key.pseudonym("speaker", "Aino Korhonen", role="young_person") == "Nuori 1"
    assert key.pseudonym("speaker", "Jere Virtanen", role="young_person") == "Nuori 2"
    assert key.pseudonym("speaker", "Liisa", role="expert_by_experience") == "KA 1"
    assert key.pseudonym("speaker", "Kumppani", role="partner") == "Kumppani 1"
    assert key.pseudonym("speaker", "Tutkija", role="researcher") == "Tutkija 1"
    # case- and whitespace-insensitive lookup, a later role does not change it
    assert key.pseudonym("speaker", "  aino   KORHONEN ", role="expert_by_experience") == "Nuori 1"
    assert key.lookup("speaker", "AINO KORHONEN") == "Nuori 1"
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
    key.pseudonym("speaker", "aino korhonen", role="social_worker")
    assert key.known_names()["Korhonen"] == "ST 1"


def test_stable_across_save_and_reload_numbering_continues(tmp_path):
    key = PseudonymKey.load(tmp_path)
    key.pseudonym("speaker", "Aino Korhonen", role="young_person")
    key.pseudonym("speaker", "Nuori 3", role="young_person")
    first = key.pseudonym("respondent", "A-12")
    key.save()
    again = PseudonymKey.load(tmp_path)
    assert again.pseudonym("speaker", "nuori 3", role="young_person") == "Nuori 2"
    assert again.pseudonym("speaker", "Matti Meikäläinen", role="young_person") == "Nuori 3"
    assert again.pseudonym("respondent", "B-7") != first
    assert again.pseudonym("respondent", "a-12") == first


def test_new_files_added_in_any_order_keep_pseudonyms(tmp_path):
    first = PseudonymKey.load(tmp_path)
    for name in ("Aino Korhonen", "Jere Virtanen"):
        first.pseudonym("speaker", name, role="young_person")
    first.save()
    second = PseudonymKey.load(tmp_path)
    assert second.pseudonym("speaker", "Pekka Mäki", role="young_person") == "Nuori 3"
    assert second.pseudonym("speaker", "Jere Virtanen", role="young_person") == "Nuori 2"


def test_voice_names_become_known_names(tmp_path):
    key = PseudonymKey.load(tmp_path)
    key.pseudonym("speaker", "Korhonen Aino (LapHA)", role="young_person")
    key.pseudonym("speaker", "jere.virtanen@lapha.fi", role="social_worker")
    key.pseudonym("speaker", "ST1", role="social_worker")
    names = key.known_names()
    assert names["Aino"] == names["Korhonen"] == "Nuori 1"
    assert names["Jere"] == names["Virtanen"] == "ST 1"
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
    key.pseudonym("speaker", "Aino Korhonen", role="young_person")
    key.pseudonym("speaker", "Aino Mäki", role="social_worker")
    names = key.known_names()
    assert names["Aino"] == "nimi"
    assert names["Mäki"] == "ST 1" and names["Korhonen"] == "Nuori 1"


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
    key.pseudonym("speaker", "ST1", role="social_worker")
    assert key.ensure("ST1", "ST 1") == "ST 1"
    assert key.ensure("Aino Korhonen", "Nuori 4") == "Nuori 4"
    assert key.known_names()["Korhonen"] == "Nuori 4"
    with pytest.raises(DataError, match="'ST 1', not 'ST 2'"):
        key.ensure("st1", "ST 2")
    with pytest.raises(DataError, match="already belongs"):
        key.ensure("Jere", "Nuori 4")
    # numbering continues after restored pseudonyms
    assert key.pseudonym("speaker", "Jere", role="young_person") == "Nuori 5"
    assert key.entries("speaker") == [("Aino Korhonen", "Nuori 4"), ("Jere", "Nuori 5"), ("ST1", "ST 1")]
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

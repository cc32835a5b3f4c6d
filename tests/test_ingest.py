"""Ingestion: manifest validation, pseudonyms, quarantine, cache, atomic writes."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml

from analysis.errors import ConfigError, DataError
from analysis.ingest import ingest
from analysis.privacy import PseudonymKey, scan_paths
from analysis.synthetic import generate, planted_identifiers
from analysis.workspace import Workspace

PROJECT = Path(__file__).resolve().parents[1]


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}  # fmt: skip


@pytest.fixture(scope="module")
def ingested(tmp_path_factory) -> Workspace:
    root = tmp_path_factory.mktemp("ingested")
    ws = Workspace(root=root, project=PROJECT)
    generate(ws.raw, seed=2024, scale=1)
    ingest(ws)
    return ws


@pytest.fixture()
def copy_of(ingested, tmp_path) -> Workspace:
    shutil.copytree(ingested.root / "data", tmp_path / "data")
    return Workspace(root=tmp_path, project=PROJECT)


def _manifest(ws: Workspace) -> dict:
    return yaml.safe_load(ws.manifest.read_text(encoding="utf-8"))


def _write_manifest(ws: Workspace, doc: dict) -> None:
    ws.manifest.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_tables_are_tidy_and_pseudonymised(ingested):
    turns = pd.read_parquet(ingested.processed / "transcript_turns.parquet")
    assert list(turns.columns[:7]) == ["workshop_id", "turn", "speaker", "speaker_role", "start_time", "text",
                                       "source_line"]  # fmt: skip
    assert turns["speaker"].str.fullmatch(r"(Fasilitaattori|ST|SO|Nuori|KA|Kumppani|Tutkija) \d+").all()
    responses = pd.read_parquet(ingested.processed / "survey_responses.parquet")
    assert {"respondent", "wave", "item", "value", "label", "missing"} <= set(responses.columns)
    assert responses["respondent"].str.fullmatch(r"R\d{3,}").all()
    assert "respondent_code" not in responses.columns
    respondents = pd.read_parquet(ingested.processed / "respondents.parquet")
    pro = respondents[respondents["instrument"] == "professionals"]
    linked = set(pro.loc[pro.wave == "baseline", "respondent"]) & set(pro.loc[pro.wave == "followup", "respondent"])
    assert 25 <= len(linked) <= 30  # half of the follow-up reuse their code, one in CAPITALS
    diaries = pd.read_parquet(ingested.processed / "diary_entries.parquet")
    assert diaries["writer"].str.fullmatch(r"K\d+").all()
    assert set(diaries["writer_role"]) <= {"social_worker", "social_counsellor", "expert_by_experience", "partner",
                                           "researcher", "other"}  # fmt: skip
    assert pd.api.types.is_datetime64_any_dtype(diaries["date"])
    tokens = pd.read_parquet(ingested.processed / "workshop_tokens.parquet")
    assert {"segment_id", "token", "lemma", "is_stopword"} <= set(tokens.columns)


def test_no_planted_identifier_leaves_ingestion(ingested):
    planted = planted_identifiers(seed=2024, scale=1)
    blob = []
    for file in ingested.processed.rglob("*.parquet"):
        frame = pd.read_parquet(file)
        for col in frame.columns:
            if frame[col].dtype == object or str(frame[col].dtype).startswith("string"):
                blob.append("\n".join(frame[col].dropna().astype(str)))
    text = "\n".join(blob)
    survivors = [(r.kind, r.value) for r in planted.itertuples() if r.kind != "key_name" and r.value in text]
    assert survivors == []
    key = PseudonymKey.load(ingested.keys)
    assert scan_paths([ingested.processed], key=key) == []
    # the key holds the originals, and nothing under data/processed names them
    assert (ingested.keys / "pseudonym_key.json").is_file()
    key_text = (ingested.keys / "pseudonym_key.json").read_text(encoding="utf-8")
    assert "Aino Korhonen" in key_text
    for file in ingested.processed.rglob("*"):
        if file.is_file() and file.suffix != ".parquet":
            assert "Korhonen" not in file.read_text(encoding="utf-8", errors="ignore"), file


def test_reingest_uses_the_cache_and_keeps_pseudonyms(copy_of):
    before = pd.read_parquet(copy_of.processed / "transcript_turns.parquet")
    report = ingest(copy_of)
    assert all(s["cached"] for s in report.sources)
    after = pd.read_parquet(copy_of.processed / "transcript_turns.parquet")
    pd.testing.assert_frame_equal(before, after)

    # a changed diary document re-processes that source only
    doc = next((copy_of.raw / "diaries" / "entries").glob("*.md"))
    doc.write_text(doc.read_text(encoding="utf-8") + "\nLisäys: sovimme jatkosta.\n", encoding="utf-8")
    report = ingest(copy_of)
    recomputed = [s["id"] for s in report.sources if not s["cached"]]
    assert recomputed == ["diary_docs"]
    diaries = pd.read_parquet(copy_of.processed / "diary_entries.parquet")
    assert diaries["text"].str.contains("sovimme jatkosta").any()


def test_new_workshop_keeps_earlier_pseudonyms(copy_of):
    key_before = PseudonymKey.load(copy_of.keys)
    before = pd.read_parquet(copy_of.processed / "transcript_turns.parquet")
    doc = _manifest(copy_of)
    extra = dict(doc["workshops"][0], id="W99", date="2026-12-01")
    doc["workshops"].append(extra)
    _write_manifest(copy_of, doc)
    ingest(copy_of, force=True)
    after = pd.read_parquet(copy_of.processed / "transcript_turns.parquet")
    old = after[after.workshop_id != "W99"].reset_index(drop=True)
    pd.testing.assert_frame_equal(before.reset_index(drop=True), old)
    assert set(after.loc[after.workshop_id == "W99", "speaker"]).isdisjoint(set(key_before.pseudonyms()) - set(
        before.loc[before.workshop_id == "W01", "speaker"]))  # fmt: skip


def test_failed_ingestion_leaves_processed_exactly_as_it_was(copy_of):
    snapshot = _snapshot(copy_of.processed)
    key_snapshot = _snapshot(copy_of.keys)
    target = copy_of.raw / "diaries" / "hankepaivakirja.xlsx"
    target.write_bytes(target.read_bytes()[:2000])  # truncated download
    with pytest.raises(DataError) as err:
        ingest(copy_of)
    assert "hankepaivakirja.xlsx" in str(err.value)
    assert _snapshot(copy_of.processed) == snapshot
    assert _snapshot(copy_of.keys) == key_snapshot
    assert not list((copy_of.root / "data").glob(".processed-*"))


def test_manifest_pointing_to_a_missing_file(copy_of):
    doc = _manifest(copy_of)
    doc["workshops"][1]["file"] = "workshops/puuttuu.txt"
    _write_manifest(copy_of, doc)
    with pytest.raises(DataError, match=r"manifest.yaml, workshops\[1\].file: the manifest points to a missing file"):
        ingest(copy_of)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["surveys"][0].update(wave="middle"), r"surveys\[0\].wave: wave 'middle' is not one of"),
        (lambda d: d["workshops"][0].update(work_package="TP9"), r"work package 'TP9'"),
        (lambda d: d["workshops"][0]["speakers"].update({"ST1": "boss"}), r"speakers.ST1: speaker 'ST1' has role 'boss'"),
        (lambda d: d["diaries"][0].update(colour="red"), r"diaries\[0\]: unknown key\(s\) 'colour'"),
        (lambda d: d["workshops"][1].update(id="W01"), r"duplicate id 'W01'"),
        (lambda d: d["workshops"][0].update(date="14.13.2024"), r"workshops\[0\].date"),
    ],
)
def test_manifest_errors_name_the_key(copy_of, change, message):
    doc = _manifest(copy_of)
    change(doc)
    _write_manifest(copy_of, doc)
    with pytest.raises(ConfigError, match=message):
        ingest(copy_of)


def test_unknown_speaker_label_is_listed_with_lines(copy_of):
    doc = _manifest(copy_of)
    entry = next(w for w in doc["workshops"] if w["file"].endswith(".txt"))
    removed = sorted(entry["speakers"])[-1]
    del entry["speakers"][removed]
    _write_manifest(copy_of, doc)
    with pytest.raises(DataError) as err:
        ingest(copy_of)
    assert removed in str(err.value) and "line" in str(err.value) and "speakers" in str(err.value)


def test_bad_rows_are_quarantined_with_their_reason(copy_of):
    path = copy_of.raw / "surveys" / "alkukartoitus_2024.xlsx"
    wb = openpyxl.load_workbook(path)
    ws_ = wb.active
    header_row = 3
    headers = [c.value for c in ws_[header_row]]
    col = headers.index("Tiedän, mitkä tehtävät jälkihuollossa kuuluvat minulle.") + 1
    ws_.cell(row=header_row + 5, column=col, value="7")
    wb.save(path)
    doc = copy_of.raw / "diaries" / "entries"
    first = sorted(doc.glob("*.md"))[0]
    shutil.copy(first, doc / first.name.replace(".md", "_kopio.md"))  # the same entry saved twice
    ingest(copy_of)
    quarantine = pd.read_parquet(copy_of.processed / "quarantine.parquet")
    survey_row = quarantine[quarantine.source_id == "professionals_baseline"]
    assert len(survey_row) == 1
    assert survey_row.iloc[0]["location"].startswith(f"row {header_row + 5}")
    assert "7" in survey_row.iloc[0]["reason"]
    duplicate = quarantine[quarantine.reason.str.contains("duplicate", case=False)]
    assert len(duplicate) == 1 and "_kopio.md" in duplicate.iloc[0]["source_file"] + duplicate.iloc[0]["location"]
    respondents = pd.read_parquet(copy_of.processed / "respondents.parquet")
    assert (header_row + 5) not in set(respondents.loc[respondents.source_id == "professionals_baseline", "source_row"])

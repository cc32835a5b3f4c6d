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
from analysis.ingest import ingest, load_manifest
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
        (lambda d: d["diaries"][0].update(colour="red"), r"line \d+, diaries\[0\]\.colour: unknown key\(s\) 'colour'"),
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


# --------------------------------------------------------------------------- cache key, checks, warnings
@pytest.fixture()
def own_config(copy_of, tmp_path, monkeypatch) -> Workspace:
    """The ingested copy with a project folder of its own (config/ copied), text config included."""
    project = tmp_path / "project"
    shutil.copytree(PROJECT / "config", project / "config")
    shutil.copy(PROJECT / "pipeline.yaml", project / "pipeline.yaml")
    monkeypatch.setenv("JAKALA_TEXT_CONFIG", str(project / "config" / "text"))
    return Workspace(root=copy_of.root, project=project)


def _recomputed(report) -> list[str]:
    return sorted(s["id"] for s in report.sources if not s["cached"])


@pytest.mark.slow  # ingests the demo data several times
def test_cache_key_covers_every_text_config_file_and_the_diary_form(own_config):
    from analysis.ingest import check_ingested

    ws = own_config
    assert _recomputed(ingest(ws)) == []  # the same config, only in another folder: everything cached
    text_sources = sorted(s.id for s in load_manifest(ws.manifest, ws).sources if s.kind in ("workshop", "diary"))
    stopwords = ws.config / "text" / "stopwords_fi.txt"
    tokens = pd.read_parquet(ws.processed / "workshop_tokens.parquet")
    assert tokens.loc[tokens.lemma == "ihan", "is_stopword"].all()
    stopwords.write_text("\n".join(line for line in stopwords.read_text(encoding="utf-8").splitlines()
                                   if line.strip() != "ihan") + "\n", encoding="utf-8")  # fmt: skip
    # the batch refuses to run on tokens made with the old list
    assert "config/text/stopwords_fi.txt changed after the last ingestion" in check_ingested(ws)
    assert _recomputed(ingest(ws)) == text_sources  # surveys stay cached
    tokens = pd.read_parquet(ws.processed / "workshop_tokens.parquet")
    assert not tokens.loc[tokens.lemma == "ihan", "is_stopword"].any()
    assert check_ingested(ws) is None
    for name in ("lexicon.tsv", "compounds.txt", "spoken_forms.tsv", "fillers.txt", "stopwords_project.txt"):
        path = ws.config / "text" / name
        path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
        assert _recomputed(ingest(ws)) == text_sources, name
    form = ws.config / "diary_form.yaml"
    form.write_text(form.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert _recomputed(ingest(ws)) == ["diary_docs", "diary_form"]
    instrument = ws.config / "instrument_needs.yaml"
    instrument.write_text(instrument.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert "config/instrument_needs.yaml changed after the last ingestion" in check_ingested(ws)
    assert _recomputed(ingest(ws)) == ["needs"]


def test_lemmatiser_backend_and_version_are_in_the_key_and_the_report(copy_of, monkeypatch):
    import json

    from analysis.text import lemmatise

    real = lemmatise.default_backend()
    monkeypatch.setattr(lemmatise, "backend_info", lambda: {"name": real, "version": "0.0-test"}, raising=False)
    report = ingest(copy_of)
    assert _recomputed(report) == sorted(s["id"] for s in report.sources)  # the package hash covers all kinds
    written = json.loads((copy_of.processed / "ingest_report.json").read_text(encoding="utf-8"))
    assert written["lemmatiser"] == {"name": real, "version": "0.0-test"}
    assert "0.0-test" in report.summary_lines()[0]


def test_run_checks_that_processed_data_match_the_manifest(copy_of, tmp_path):
    from analysis.ingest import check_ingested

    fresh = Workspace(root=tmp_path / "fresh", project=PROJECT)
    assert "jakala demo-data" in check_ingested(fresh) and "jakala ingest" in check_ingested(fresh)
    generate(fresh.raw, seed=2024, scale=1)
    assert check_ingested(fresh).endswith("run `jakala ingest` first")
    assert check_ingested(copy_of) is None
    doc = _manifest(copy_of)
    doc["workshops"][0]["method"] = "Toinen menetelmä"
    _write_manifest(copy_of, doc)
    assert "manifest.yaml changed after the last ingestion" in check_ingested(copy_of)
    ingest(copy_of)
    assert check_ingested(copy_of) is None
    raw = copy_of.raw / "surveys" / "nuorten_tarvekysely.csv"
    raw.write_bytes(raw.read_bytes() + b"\n")
    assert "nuorten_tarvekysely.csv of source 'needs' changed" in check_ingested(copy_of)


def test_diary_work_packages_are_mapped_through_config_and_unknown_ones_quarantined(copy_of):
    path = copy_of.raw / "diaries" / "hankepaivakirja.xlsx"
    wb = openpyxl.load_workbook(path)
    sheet = wb.active
    headers = [c.value for c in sheet[1]]
    col = headers.index("Työpaketti") + 1
    sheet.cell(row=2, column=col, value="2C")
    sheet.cell(row=3, column=col, value="tp 2a")
    sheet.cell(row=4, column=col, value="Tuettu asuminen")
    sheet.cell(row=5, column=col, value="TP9")
    wb.save(path)
    ingest(copy_of)
    entries = pd.read_parquet(copy_of.processed / "diary_entries.parquet")
    form = entries[entries.source_id == "diary_form"].set_index("source_row")
    assert form.loc[2, "work_package"] == "TP2C" and form.loc[3, "work_package"] == "TP2A"
    assert form.loc[4, "work_package"] == "TP2C"
    assert 5 not in form.index
    assert set(entries["work_package"]) <= {"TP1", "TP2A", "TP2B", "TP2C", "TP3", "TP4", ""}
    quarantine = pd.read_parquet(copy_of.processed / "quarantine.parquet")
    row = quarantine[(quarantine.source_id == "diary_form") & (quarantine.location == "row 5")]
    assert len(row) == 1 and "work package 'TP9' is not known" in row.iloc[0]["reason"]
    assert "config/diary_form.yaml" in row.iloc[0]["reason"]


def test_a_large_quarantine_share_warns_in_the_summary_and_the_report(copy_of):
    import json

    path = copy_of.raw / "surveys" / "alkukartoitus_2024.xlsx"
    wb = openpyxl.load_workbook(path)
    sheet = wb.active
    header_row = 3
    headers = [c.value for c in sheet[header_row]]
    col = headers.index("Vastaajatunnus") + 1
    n_rows = sheet.max_row - header_row
    for r in range(header_row + 1, header_row + 1 + (n_rows * 51) // 100 + 1, 2):
        sheet.cell(row=r + 1, column=col, value=sheet.cell(row=r, column=col).value)  # repeated codes
    wb.save(path)
    report = ingest(copy_of)
    source = next(s for s in report.sources if s["id"] == "professionals_baseline")
    assert source["quarantined"] / (source["quarantined"] + source["rows"]) > 0.2
    assert any("professionals_baseline" in w and "quarantine_warning_share" in w for w in report.warnings)
    assert any(line.startswith("WARNING: source professionals_baseline") for line in report.summary_lines())
    written = json.loads((copy_of.processed / "ingest_report.json").read_text(encoding="utf-8"))
    assert written["warnings"] == report.warnings
    assert not any("professionals_followup" in w for w in report.warnings)

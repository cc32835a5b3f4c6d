"""Archive export: anonymised FSD package, refused when an identifier would leak."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis.errors import ConfigError, DataError, LeakError
from analysis.privacy.archive import write_archive
from analysis.privacy.keys import PseudonymKey
from analysis.privacy.redact import Redactor
from analysis.workspace import Workspace

CONFIG = Path(__file__).resolve().parents[1] / "config"


def _workspace(tmp_path, turn_text=None):
    ws = Workspace(root=tmp_path / "ws", project=tmp_path / "ws")
    ws.processed.mkdir(parents=True)
    key = PseudonymKey.load(ws.keys)
    speaker = key.pseudonym("speaker", "Aino Korhonen", role="young_person")
    facilitator = key.pseudonym("speaker", "Fasilitaattori", role="facilitator")
    respondents = [key.pseudonym("respondent", code) for code in ("1001", "1002", "1003")]
    key.save()
    redactor = Redactor(key)
    raw_turns = ["Tervetuloa, soittakaa 040 123 4567 jos tulee kysyttävää.",
                 "Ainolle sanottiin että hetu 131052-308T tarvitaan, asun Valtakatu 5 B 12."]
    texts = [redactor(t) for t in raw_turns] if turn_text is None else [turn_text, "ok"]
    pd.DataFrame({"workshop_id": ["W01", "W01"], "turn": [1, 2], "speaker": [facilitator, speaker],
                  "speaker_role": ["facilitator", "young_person"], "start_time": [0.0, 12.5],
                  "text": texts, "source_id": ["W01", "W01"],
                  "source_file": ["workshops/aino_korhonen.txt"] * 2, "source_line": [3, 5]}
                 ).to_parquet(ws.processed / "transcript_turns.parquet")
    pd.DataFrame({"survey_id": ["professionals_baseline"] * 3, "respondent": respondents,
                  "role": ["social_worker", "social_counsellor", "other"],
                  "municipality": ["Kemi", "Simo", "Tornio"], "experience_years": [3, 12, 7],
                  "source_row": [2, 3, 4]}).to_parquet(ws.processed / "respondents.parquet")
    pd.DataFrame({"source_id": ["needs"], "location": ["row 9"], "reason": ["bad age"],
                  "content": ["Aino Korhonen 040 123 4567"]}).to_parquet(ws.processed / "quarantine.parquet")
    return ws, key


def test_writes_package(tmp_path):
    ws, key = _workspace(tmp_path)
    out = write_archive(ws, tmp_path / "fsd", instruments=[CONFIG / "instrument_professionals.yaml"])
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert files == ["README.md", "data/respondents.csv", "data/respondents.parquet",
                     "data/transcript_turns.csv", "data/transcript_turns.parquet",
                     "documentation/instrument_professionals.yaml", "variables.csv"]
    turns = pd.read_csv(out / "data" / "transcript_turns.csv")
    assert "source_file" not in turns.columns
    assert f"[{key.lookup('speaker', 'Aino Korhonen')}]" in turns.loc[1, "text"]
    assert "[henkilötunnus]" in turns.loc[1, "text"]
    assert sorted(pd.read_parquet(out / "data" / "respondents.parquet")["respondent"]) == sorted(
        pd.read_parquet(ws.processed / "respondents.parquet")["respondent"])
    variables = pd.read_csv(out / "variables.csv")
    assert list(variables.columns) == ["table", "name", "label", "label_en", "type", "values"]
    row = variables.set_index(["table", "name"]).loc[("respondents", "municipality")]
    assert row["label"] == "Kunta" and row["values"] == "Kemi; Simo; Tornio"
    text_row = variables.set_index(["table", "name"]).loc[("transcript_turns", "text")]
    assert "free text" in text_row["values"]
    rc1 = variables.set_index(["table", "name"]).loc[("instrument:professionals", "rc3")]
    assert rc1["type"] == "Likert" and "1=Täysin eri mieltä" in rc1["values"]
    assert "reverse" in rc1["values"]
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "Miten aineisto on pseudonymisoitu" in readme and "How the data were pseudonymised" in readme
    assert "`[henkilötunnus]`: 1" in readme and "`[puhelinnumero]`: 1" in readme
    assert "`[osoite]`: 1" in readme and "`[sähköposti]`: 0" in readme
    assert "e.g. `[Nuori 2]`: 1" in readme
    # never the key, never the quarantine, nothing left next to the package
    assert not list(out.rglob("pseudonym_key*")) and not list(out.rglob("quarantine*"))
    assert sorted(p.name for p in (tmp_path).iterdir()) == ["fsd", "ws"]
    for file in out.rglob("*"):
        if file.is_file() and file.suffix != ".parquet":
            content = file.read_text(encoding="utf-8")
            for secret in ("Aino", "Korhonen", "131052-308T", "040 123 4567", "Valtakatu"):
                assert secret not in content, (file, secret)


def test_refuses_when_an_identifier_would_leak(tmp_path):
    ws, _ = _workspace(tmp_path, turn_text="Korhosen numero on 040 123 4567")
    with pytest.raises(LeakError) as err:
        write_archive(ws, tmp_path / "fsd")
    message = str(err.value)
    assert "transcript_turns" in message and "040 123 4567" not in message
    assert not (tmp_path / "fsd").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ws"]   # no staging left


def test_checks_arguments(tmp_path):
    ws, _ = _workspace(tmp_path)
    with pytest.raises(ConfigError, match="not found"):
        write_archive(ws, tmp_path / "a", instruments=[tmp_path / "missing.yaml"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("items: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="bad.yaml"):
        write_archive(ws, tmp_path / "b", codebooks=[bad])
    with pytest.raises(DataError, match="inside the data folders"):
        write_archive(ws, ws.keys / "archive")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.txt").write_text("x", encoding="utf-8")
    with pytest.raises(DataError, match="not empty"):
        write_archive(ws, tmp_path / "full")
    assert write_archive(ws, tmp_path / "full", overwrite=True).joinpath("README.md").is_file()
    assert not (tmp_path / "full" / "x.txt").exists()
    shutil.rmtree(ws.processed)
    ws.processed.mkdir()
    with pytest.raises(DataError, match="no processed tables"):
        write_archive(ws, tmp_path / "c")


def test_config_files_are_sorted_into_instruments_and_codebooks(tmp_path):
    ws, _ = _workspace(tmp_path)
    codebook = tmp_path / "codebook.yaml"
    codebook.write_text("codes:\n  - id: housing\n    label: {fi: Asuminen, en: Housing}\n",
                        encoding="utf-8")
    out = write_archive(ws, tmp_path / "fsd",
                        config_files=[CONFIG / "instrument_needs.yaml", codebook])
    assert (out / "documentation" / "instrument_needs.yaml").is_file()
    assert (out / "documentation" / "codebooks" / "codebook.yaml").is_file()
    variables = pd.read_csv(out / "variables.csv")
    assert "need_housing" in set(variables.loc[variables.table == "instrument:needs", "name"])


def test_archive_keeps_no_row_numbers_or_export_order(tmp_path):
    ws, key = _workspace(tmp_path)
    out = write_archive(ws, tmp_path / "fsd", instruments=[CONFIG / "instrument_professionals.yaml"])
    respondents = pd.read_parquet(out / "data" / "respondents.parquet")
    turns = pd.read_parquet(out / "data" / "transcript_turns.parquet")
    assert "source_row" not in respondents.columns and "source_line" not in turns.columns
    assert respondents["respondent"].tolist() == sorted(respondents["respondent"])

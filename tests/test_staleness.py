"""Nothing published is stale, and a user's own instruments run the whole batch (slow: full batches).

* For each config file, an edit reaches every run that read it (the read recorder puts
  the files a kernel opened into its fingerprint) and nothing else re-runs; `jakala list`
  names exactly the runs `jakala run` then executes.
* A workspace whose manifest points at user instruments only (in its own folder, not
  config/) runs the whole batch green.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from analysis.cli import main

pytestmark = pytest.mark.integration

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))


def _jakala(root: Path, project: Path, *args: str) -> int:
    return main(["--root", str(root), "--project", str(project), *args])


def _listed(root: Path, project: Path, capsys) -> set[str]:
    capsys.readouterr()
    assert _jakala(root, project, "list") == 0
    out = capsys.readouterr().out
    return {line.split()[1] for line in out.splitlines() if line.startswith("  run ")}


def _ran(root: Path, project: Path, capsys) -> set[str]:
    capsys.readouterr()
    assert _jakala(root, project, "run", "--jobs", "2", "--no-progress", "--no-scan") == 0
    out = capsys.readouterr().out
    return {line.split()[1] for line in out.splitlines() if line.startswith("  ok ")}


def _readers(root: Path, label: str) -> set[str]:
    provenance = json.loads((root / "reports" / "provenance.json").read_text(encoding="utf-8"))
    return {name for name, record in provenance["runs"].items() if any(
        key == label or key.startswith(label.rstrip("/") + "/") for key in record["inputs"])}  # fmt: skip


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    base = tmp_path_factory.mktemp("stale")
    project, root = base / "project", base / "root"
    for folder in ("config", "notebooks"):
        shutil.copytree(PROJECT / folder, project / folder)
    shutil.copy(PROJECT / "pipeline.yaml", project / "pipeline.yaml")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JAKALA_TEXT_CONFIG", str(project / "config" / "text"))
        assert _jakala(root, project, "demo-data") == 0
        assert _jakala(root, project, "ingest") == 0
        assert _jakala(root, project, "run", "--jobs", "2", "--no-progress", "--no-scan") == 0
        yield root, project


def test_every_config_edit_reaches_exactly_the_runs_that_read_it(batch, capsys, monkeypatch):
    root, project = batch
    monkeypatch.setenv("JAKALA_TEXT_CONFIG", str(project / "config" / "text"))
    provenance = json.loads((root / "reports" / "provenance.json").read_text(encoding="utf-8"))
    for name, record in provenance["runs"].items():  # every read is a workspace file, none from the repository
        assert all(not Path(label).is_absolute() for label in record["inputs"]), name
    surveys = {"survey", "survey-kemi-keminmaa-simo", "survey-tornio-tervola-ylitornio"}
    expected = {
        "config/report.yaml": {"findings"},
        "config/joint_displays.yaml": {"findings"},
        "config/codebook.yaml": {"workshops", "diaries", "coding_quality", "findings"},
        "config/instrument_professionals.yaml": surveys | {"findings"},
        "config/instrument_needs.yaml": {"needs", "findings"},
    }
    for label, runs in expected.items():
        # the runs that read the file, plus the runs that need them (findings): nothing else
        assert _readers(root, label) | ({"findings"} if _readers(root, label) else set()) == runs, label
        path = project / label
        original = path.read_text(encoding="utf-8")
        path.write_text(original + "\n# edited\n", encoding="utf-8")
        if label.startswith("config/instrument_"):
            assert _jakala(root, project, "ingest") == 0  # the batch refuses stale processed data
        assert _listed(root, project, capsys) == runs, label
        path.write_text(original, encoding="utf-8")
        if label.startswith("config/instrument_"):
            assert _jakala(root, project, "ingest") == 0
        assert _listed(root, project, capsys) == set(), label

    # a real edit: the needs instrument's title reaches needs and the findings' methods text, nothing else runs
    path = project / "config" / "instrument_needs.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("fi: Jälkihuollon nuorten tarvekysely", "fi: Nuorten tarvekysely 2025"),
                    encoding="utf-8")  # fmt: skip
    capsys.readouterr()
    assert _jakala(root, project, "run", "--no-progress", "--no-scan") != 0  # not ingested since the edit
    assert "instrument_needs.yaml changed after the last ingestion" in capsys.readouterr().err
    assert _jakala(root, project, "ingest") == 0
    listed = _listed(root, project, capsys)
    assert listed == {"needs", "findings"}
    assert _ran(root, project, capsys) == listed
    assert "Nuorten tarvekysely 2025" in (root / "reports" / "findings.md").read_text(encoding="utf-8")

    # the text config reaches the ingestion and, through the tokens, the runs that read them
    stopwords = project / "config" / "text" / "stopwords_fi.txt"
    stopwords.write_text("\n".join(line for line in stopwords.read_text(encoding="utf-8").splitlines()
                                   if line.strip() != "ihan") + "\n", encoding="utf-8")  # fmt: skip
    assert _jakala(root, project, "ingest") == 0
    assert _listed(root, project, capsys) == {"workshops", "diaries", "coding_quality", "findings"}
    # the report text follows its config
    report = project / "config" / "report.yaml"
    report.write_text(report.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert {"findings"} <= _listed(root, project, capsys)


def test_user_instruments_from_the_manifest_run_the_whole_batch_green(tmp_path, capsys):
    from user_workspace import build_user_workspace

    build_user_workspace(tmp_path, PROJECT)
    assert _jakala(tmp_path, PROJECT, "ingest") == 0
    assert _jakala(tmp_path, PROJECT, "run", "--jobs", "2", "--no-progress") == 0
    findings = (tmp_path / "reports" / "findings.md").read_text(encoding="utf-8")
    assert "Työhyvinvointi" in findings and "Tarvekyselyyn vastasi 45 nuorta" in findings
    assert "Roolien selkeys" not in findings and "Jälkihuollon nuorten tarvekysely" not in findings
    assert "vastauksesta 4 alkaen" in findings  # the 1–5 item counts as a need from 4 up, and the methods say so
    provenance = json.loads((tmp_path / "reports" / "provenance.json").read_text(encoding="utf-8"))
    assert "instruments/wellbeing.yaml" in provenance["runs"]["survey"]["inputs"]
    assert "instruments/youth_needs.yaml" in provenance["runs"]["needs"]["inputs"]

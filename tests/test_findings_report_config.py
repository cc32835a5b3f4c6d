"""``config/report.yaml`` is the one source of the report's texts and rules: the schema requires
every key, errors name file, line and key, and what the file says is what the draft shows."""

from __future__ import annotations

import copy
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import yaml  # noqa: E402

from analysis.config import schema  # noqa: E402
from analysis.errors import ConfigError  # noqa: E402
from analysis.findings.report import build_report, check_report_config, load_report_config  # noqa: E402
from tests.test_findings_report import make_workspace  # noqa: E402

SHIPPED = Path(__file__).resolve().parents[1] / "config" / "report.yaml"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    return make_workspace(tmp_path_factory.mktemp("ws"))


def _shipped() -> dict:
    return yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))


def _write(folder: Path, data: dict) -> Path:
    path = folder / "config" / "report.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_every_key_is_required_so_the_code_needs_no_default():
    spec = schema("report")
    assert set(spec["required"]) == set(spec["properties"])
    for group in ("labels", "sections", "body"):
        part = spec["properties"][group]
        assert set(part["required"]) == set(part["properties"]), group
        assert part["additionalProperties"] is False, group
    assert load_report_config(SHIPPED) == _shipped()


@pytest.mark.parametrize("path, expected", [
    (("body", "max_rows"), "body: missing required key 'max_rows'. Add 'max_rows:' there."),
    (("labels", "and"), "labels: missing required key 'and'. Add 'and:' there."),
    (("sections", "contents"), "sections: missing required key 'contents'. Add 'contents:' there."),
    (("hide_other_language_columns",), "top level: missing required key 'hide_other_language_columns'."),
])
def test_a_missing_key_names_file_line_and_key(tmp_path, path, expected):
    data = _shipped()
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    file = _write(tmp_path, data)
    with pytest.raises(ConfigError) as info:
        load_report_config(file)
    message = str(info.value)
    assert message.startswith(f"{file}, ") and expected in message
    if len(path) > 1:
        assert "line " in message


def test_a_misspelt_or_wrong_value_is_an_error(tmp_path):
    data = _shipped()
    data["labels"]["figgure"] = data["labels"].pop("figure")
    with pytest.raises(ConfigError, match=r"line \d+, labels\.figgure: unknown key\(s\) 'figgure'"):
        load_report_config(_write(tmp_path, data))
    data = _shipped()
    data["language"] = "sv"
    with pytest.raises(ConfigError, match=r"line \d+, language: 'sv' is not allowed for 'language'\. The report language is fi or en\."):
        load_report_config(_write(tmp_path, data))
    data = _shipped()
    data["runs"]["survey"] = "Kysely"
    with pytest.raises(ConfigError, match=r"runs\.survey: 'survey' must be a mapping"):
        load_report_config(_write(tmp_path, data))


def test_a_mapping_given_in_code_is_checked_and_never_changed(workspace):
    data = _shipped()
    del data["body"]["appendix_max_rows"]
    with pytest.raises(ConfigError, match=r"report_config, body: missing required key 'appendix_max_rows'"):
        build_report(workspace, "fi", report_config=data)
    data = _shipped()
    before = copy.deepcopy(data)
    build_report(workspace, "fi", report_config=data)
    assert data == before
    assert check_report_config(data) == data and check_report_config(data) is not data


def test_what_the_file_says_is_what_the_draft_shows(workspace):
    data = _shipped()
    data["sections"]["contents"]["fi"] = "SISÄLLYSLUETTELO"
    data["labels"]["and"]["fi"] = "SEKÄ"
    data["labels"]["period"]["fi"] = "AIKAVÄLI"
    data["body"]["max_rows"] = 2  # the 3-row tables move to the appendix
    document = build_report(workspace, "fi", report_config=data)
    assert document.toc_title == "SISÄLLYSLUETTELO"
    assert document.period.startswith("AIKAVÄLI: ")
    texts = [b.get("text", "") for b in document.blocks if b["type"] == "paragraph"]
    assert any(" SEKÄ " in t for t in texts)
    shipped = build_report(workspace, "fi")
    assert len(document.numbered("appendix_table")) > len(shipped.numbered("appendix_table"))


def test_a_file_named_by_path_is_used(tmp_path):
    root = make_workspace(tmp_path / "ws")
    data = _shipped()
    data["title"]["en"] = "Own title"
    file = _write(tmp_path / "elsewhere", data)
    assert build_report(root, "en", report_config=file).title == "Own title"
    assert build_report(root, "en").title == _shipped()["title"]["en"]  # by default the project's config/report.yaml
    with pytest.raises(ConfigError, match="file not found"):
        build_report(root, "en", report_config=tmp_path / "none.yaml")

"""The config layer: one loader, schemas as files, errors naming file, line, key path and a fix."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from analysis.config import SCHEMA_DIR, key_line, load_config, located, parse_key_path, schema
from analysis.errors import ConfigError
from analysis.workspace import Workspace

PROJECT = Path(__file__).resolve().parents[1]

SHIPPED = {
    "pipeline.yaml": "pipeline",
    "config/codebook.yaml": "codebook",
    "config/coders.yaml": "coders",
    "config/diary_form.yaml": "diary_form",
    "config/ingest.yaml": "ingest",
    "config/instrument_needs.yaml": "instrument",
    "config/instrument_professionals.yaml": "instrument",
    "config/joint_displays.yaml": "joint_displays",
    "config/report.yaml": "report",
    "config/vocabulary.yaml": "vocabulary",
    "tests/data/instrument_wellbeing.yaml": "instrument",
    "tests/data/instrument_needs_user.yaml": "instrument",
}


@pytest.mark.parametrize("path", sorted(SCHEMA_DIR.glob("*.schema.yaml")), ids=lambda p: p.stem)
def test_schema_files_are_valid_json_schema(path):
    Draft202012Validator.check_schema(yaml.safe_load(path.read_text(encoding="utf-8")))


def test_every_schema_is_used_by_a_shipped_file():
    assert {p.name.removesuffix(".schema.yaml") for p in SCHEMA_DIR.glob("*.schema.yaml")} == set(SHIPPED.values()) | {
        "manifest"}


@pytest.mark.parametrize("rel, name", sorted(SHIPPED.items()))
def test_shipped_files_validate(rel, name):
    assert load_config(PROJECT / rel, name)


def test_generated_manifest_validates(tmp_path):
    from analysis.synthetic import generate

    assert load_config(generate(tmp_path / "raw", seed=2024, scale=1), "manifest")["surveys"]


def _write(tmp_path, text: str) -> Path:
    path = tmp_path / "pipeline.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text, expected", [
    ("stages:\n  - name: a\n    runs:\n      - name: x\n", "line 4, stages[0].runs[0]: missing required key 'notebook'. "
     "Add 'notebook:' there."),
    ("stages:\n  - name: a\n    runz: []\n", "line 3, stages[0].runz: unknown key(s) 'runz'. Allowed keys: description, "
     "name, runs."),
    ("stages:\n  - name: a\n    runs:\n      - {name: x, notebook: n.ipynb, grid: {k: []}}\n",
     "line 4, stages[0].runs[0].grid.k: 'k' must not be empty. Give the grid values as a non-empty list."),
    ("stages:\n  - name: a\n    runs:\n      - {name: x, notebook: n.ipynb, needs: some}\n",
     "line 4, stages[0].runs[0].needs: 'needs' must be 'all' or a list, got str ('some'). "
     "'needs' is a list of run names (or 'all')."),
    ("defaults: [1]\nstages: []\n", "line 1, defaults: 'defaults' must be a mapping (key: value), got list ([1])."),
])
def test_errors_name_file_line_key_and_fix(tmp_path, text, expected):
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, "pipeline")
    assert str(info.value).startswith(f"{path}, {expected}")


def test_first_problem_in_the_file_is_reported(tmp_path):
    path = _write(tmp_path, "stages:\n  - name: a\n    runs:\n      - {name: x}\n  - name: b\n    bad: 1\n    runs: []\n")
    with pytest.raises(ConfigError, match=r"line 4, stages\[0\]\.runs\[0\]"):
        load_config(path, "pipeline")


def test_yaml_syntax_error_gives_line_and_column(tmp_path):
    with pytest.raises(ConfigError, match=r"pipeline.yaml, line \d+, column \d+: invalid YAML"):
        load_config(_write(tmp_path, "stages:\n  - [a\n"), "pipeline")


def test_missing_file_and_unknown_schema(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "none.yaml", "pipeline")
    with pytest.raises(ConfigError, match="no schema named 'nope'"):
        schema("nope")


def test_dates_stay_text(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("workshops:\n  - {id: W1, file: a.txt, date: 2024-05-14, work_package: TP1, speakers: {}}\n",
                    encoding="utf-8")
    assert load_config(path, "manifest")["workshops"][0]["date"] == "2024-05-14"


def test_semantic_errors_get_their_line(tmp_path):
    path = _write(tmp_path, "stages:\n  - name: a\n    runs:\n      - name: x\n        notebook: n.ipynb\n")
    data, node = load_config(path, "pipeline", with_node=True)
    assert key_line(node, ["stages", 0, "runs", 0, "notebook"]) == 5
    assert parse_key_path("stages[0].runs[0].notebook") == ["stages", 0, "runs", 0, "notebook"]
    with pytest.raises(ConfigError) as info, located(node):
        raise ConfigError("no such notebook", file=path, location="stages[0].runs[0].notebook")
    assert str(info.value) == f"{path}, line 5, stages[0].runs[0].notebook: no such notebook."


def test_the_vocabulary_error_names_the_colour(tmp_path):
    from analysis.vocabulary import Vocabulary

    doc = yaml.safe_load((PROJECT / "config" / "vocabulary.yaml").read_text(encoding="utf-8"))
    bad = copy.deepcopy(doc)
    bad["waves"]["baseline"]["colour"] = "blue"
    path = tmp_path / "vocabulary.yaml"
    path.write_text(yaml.safe_dump(bad, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line \d+, waves\.baseline\.colour: .*Write the colour as #RRGGBB"):
        Vocabulary.from_file(path)


def test_workspace_finds_config_files_in_the_workspace_first(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "pipeline.yaml").write_text("stages: []\n", encoding="utf-8")
    ws = Workspace.discover(project=tmp_path, root=tmp_path)
    assert ws.config_path("vocabulary.yaml") == PROJECT / "config" / "vocabulary.yaml"  # the shipped copy
    (tmp_path / "config" / "vocabulary.yaml").write_text("{}\n", encoding="utf-8")
    assert ws.config_path("vocabulary.yaml") == tmp_path / "config" / "vocabulary.yaml"


def test_the_work_packages_constant_is_the_shipped_vocabulary():
    """The manifest, the diaries and the codebook check work packages against one tuple."""
    from analysis.coding import codebook
    from analysis.ingest import manifest
    from analysis.vocabulary import WORK_PACKAGES

    doc = yaml.safe_load((PROJECT / "config" / "vocabulary.yaml").read_text(encoding="utf-8"))
    assert tuple(doc["work_packages"]) == WORK_PACKAGES
    assert manifest.WORK_PACKAGES is WORK_PACKAGES and codebook.WORK_PACKAGES is WORK_PACKAGES


def test_loading_the_config_module_skips_the_iri_grammars_of_jsonschema():
    """rfc3987_syntax (installed with Jupyter) compiles grammars at import: 1.3 s per kernel; no schema needs it."""
    import subprocess
    import sys

    code = ("import sys, analysis.config, jsonschema; "
            "print(sys.modules.get('rfc3987_syntax', 'absent') in (None, 'absent'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"

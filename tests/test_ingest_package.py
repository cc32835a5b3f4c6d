"""The layout of analysis.ingest: public API unchanged, one concern a module, no import of analysis.pipeline.

The ingestion and the batch share file hashes and the read recorder through
``analysis.provenance``, which imports neither of them; ``analysis.ingest`` imports
nothing of ``analysis.pipeline`` (the batch imports the ingestion, not the other way round).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
PACKAGE = PROJECT / "analysis" / "ingest"

#: What ``analysis.ingest`` offered as one module, and still offers as a package.
PUBLIC = {
    "IngestReport", "Manifest", "SPEAKER_ROLES", "STATE_FILE", "SURVEYS_FILE", "Source", "TABLES", "WAVES",
    "WORK_PACKAGES", "check_ingested", "ingest", "lemmatiser_info", "load_manifest", "quarantine_warnings",
    "survey_instruments",
}  # fmt: skip


def _imported_modules(file: Path) -> set[str]:
    """Every module an ``import`` statement of ``file`` names, function-level imports included."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out.update(f"{node.module}.{alias.name}" for alias in node.names)
    return out


def _names(modules: set[str], package: str) -> set[str]:
    return {m for m in modules if m == package or m.startswith(package + ".")}


def test_the_public_api_is_re_exported_from_the_package():
    import analysis.ingest as ingest

    assert set(ingest.__all__) == PUBLIC
    for name in PUBLIC:
        obj = getattr(ingest, name)
        if callable(obj) and hasattr(obj, "__module__"):
            assert obj.__module__.startswith("analysis.ingest."), name  # defined in a submodule, re-exported
    assert ingest.ingest.__module__ == "analysis.ingest.staging"


def test_the_package_has_one_module_a_concern():
    modules = sorted(p.stem for p in PACKAGE.glob("*.py"))
    assert modules == ["__init__", "cache", "manifest", "report", "sources", "staging", "state"]


def test_no_module_of_the_ingestion_imports_the_pipeline():
    for file in sorted(PACKAGE.rglob("*.py")):
        found = _names(_imported_modules(file), "analysis.pipeline")
        assert not found, f"{file.relative_to(PROJECT)} imports {sorted(found)}"


def test_provenance_imports_neither_the_ingestion_nor_the_pipeline():
    for file in sorted((PROJECT / "analysis" / "provenance").rglob("*.py")):
        found = _names(_imported_modules(file), "analysis.pipeline") | _names(_imported_modules(file), "analysis.ingest")
        assert not found, f"{file.relative_to(PROJECT)} imports {sorted(found)}"


def test_the_check_sees_function_level_imports(tmp_path):
    file = tmp_path / "m.py"
    file.write_text("def f():\n    from analysis.pipeline import reads\n    import analysis.pipeline.plan\n")
    assert _names(_imported_modules(file), "analysis.pipeline") == {
        "analysis.pipeline", "analysis.pipeline.reads", "analysis.pipeline.plan"}  # fmt: skip
    file.write_text("from analysis.text.pipeline import tokens_table\n")
    assert not _names(_imported_modules(file), "analysis.pipeline")


def test_the_submodules_import_no_sibling_that_imports_them():
    """The import graph inside the package has no cycle (staging on top, manifest at the bottom)."""
    graph = {p.stem: {m.split(".")[2] for m in _names(_imported_modules(p), "analysis.ingest") if m.count(".") >= 2}
             for p in PACKAGE.glob("*.py") if p.stem != "__init__"}  # fmt: skip
    graph = {k: {m for m in v if m in graph} for k, v in graph.items()}
    order: list[str] = []
    while graph:
        free = sorted(k for k, deps in graph.items() if deps <= set(order))
        assert free, f"an import cycle among {sorted(graph)}"
        order.extend(free)
        for k in free:
            del graph[k]
    assert order[0] == "manifest" and order[-1] == "staging"


def test_the_read_recorder_starts_without_importing_the_batch():
    """A kernel runs the recorder's start-up line before its first cell: it loads analysis.provenance only."""
    from analysis.provenance.reads import startup_code

    code = startup_code("/tmp/jakala-test-reads.txt", ["/nowhere"]) + (
        "\nimport sys; print(sorted(m for m in sys.modules if m.startswith('analysis')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PROJECT)
    loaded = ast.literal_eval(out.stdout.strip().splitlines()[-1])
    assert "analysis.provenance.reads" in loaded
    assert not [m for m in loaded if m.startswith(("analysis.pipeline", "analysis.ingest"))]


def test_a_warm_kernel_keeps_the_recorder_module_its_start_up_line_imports():
    """A warm kernel drops the analysis modules between runs but the recorder (its one audit hook)."""
    from analysis.pipeline.pool import reset_code
    from analysis.provenance.reads import startup_code

    module = startup_code("/tmp/r.txt", []).split()[1]
    assert module == "analysis.provenance.reads"
    assert f'_KEEP = {{"{module}"}}' in reset_code("/tmp")


_INGEST_IN_A_FRESH_PROCESS = """
import json, sys
from pathlib import Path
import yaml
from analysis.synthetic import generate
from analysis.workspace import Workspace
from analysis.ingest import check_ingested, ingest, survey_instruments

ws = Workspace(root=Path(sys.argv[1]), project=Path(sys.argv[2]))
generate(ws.raw, seed=2024, scale=1)
doc = yaml.safe_load(ws.manifest.read_text(encoding="utf-8"))
for section in ("surveys", "workshops", "diaries"):  # one source of each kind: every code path, less time
    doc[section] = doc[section][:1]
ws.manifest.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
report = ingest(ws)
print(json.dumps({"check": check_ingested(ws), "surveys": len(survey_instruments(ws)),
                  "kinds": sorted({s["kind"] for s in report.sources}),
                  "modules": sorted(m for m in sys.modules if m.startswith("analysis"))}))
"""


@pytest.mark.slow  # generates and ingests a small workspace in a fresh process
def test_an_ingestion_runs_without_loading_the_pipeline(tmp_path):
    out = subprocess.run([sys.executable, "-c", _INGEST_IN_A_FRESH_PROCESS, str(tmp_path), str(PROJECT)],
                         capture_output=True, text=True, cwd=PROJECT, timeout=600)  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["check"] is None and result["surveys"] == 1
    assert result["kinds"] == ["diary", "survey", "workshop"]
    assert "analysis.ingest.staging" in result["modules"] and "analysis.provenance.reads" in result["modules"]
    assert not [m for m in result["modules"] if m.startswith("analysis.pipeline")]

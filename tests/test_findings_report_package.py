"""The layout of the ``analysis.findings.report`` package: the public API stays where it was,
the modules import each other without cycles, the document model and the renderers know
nothing of the registries, and each renderer imports no other renderer."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import analysis.findings.report as report

PACKAGE = Path(report.__file__).parent

#: The public names of ``analysis/findings/report.py`` before the split (the notebook 90_findings,
#: the CLI and the tests import them from the package).
PUBLIC = {
    "FIXED_DATE", "DOCX_LANGUAGES", "TABLE_STYLE", "NOTE_STYLE", "SOURCE_STYLE", "APPENDIX", "ReportDocument",
    "load_report_config", "build_report", "render_markdown", "render_html", "render_docx", "render_xlsx",
    "write_report",
}

RENDERERS = {"to_markdown", "to_html", "to_docx", "to_xlsx"}


def _imports() -> dict[str, set[str]]:
    """Module name → every module it imports (``analysis.findings.report.X`` kept in full)."""
    graph = {}
    for file in sorted(PACKAGE.glob("*.py")):
        if file.stem == "__init__":
            continue
        found = set()
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                raise AssertionError(f"{file.name}: use absolute imports (from analysis.findings.report.X import ...)")
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
        graph[file.stem] = found
    return graph


def _siblings(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    prefix = "analysis.findings.report."
    return {m: {d[len(prefix):] for d in deps if d.startswith(prefix)} for m, deps in graph.items()}


def test_public_api_is_unchanged():
    assert PUBLIC <= set(report.__all__)
    for name in report.__all__:
        assert getattr(report, name) is not None


def test_every_public_function_lives_in_one_submodule():
    for name in report.__all__:
        obj = getattr(report, name)
        module = getattr(obj, "__module__", None)
        if module is None or not callable(obj):
            continue
        assert module.startswith("analysis.findings.report."), (name, module)
        assert getattr(importlib.import_module(module), name) is obj


def test_modules_import_each_other_without_cycles():
    graph = _siblings(_imports())
    assert {"config", "document", "assemble", "cells", "provenance", "write"} | RENDERERS <= set(graph)
    for module, deps in graph.items():
        assert deps <= set(graph), (module, deps - set(graph))
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, f"import cycle: {' -> '.join((*path, module))}"
        if module in done:
            return
        for dep in sorted(graph[module]):
            visit(dep, (*path, module))
        done.add(module)

    for module in graph:
        visit(module, ())


def test_the_model_and_the_renderers_read_only_the_document():
    graph = _imports()
    siblings = _siblings(graph)
    assert siblings["document"] == set()
    for renderer in RENDERERS:
        assert siblings[renderer] == {"document"}, renderer  # no renderer imports another, or the assembly
        assert not any(d.startswith(("analysis.findings.registry", "analysis.workspace")) for d in graph[renderer]), renderer

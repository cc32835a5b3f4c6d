"""The layout of the ``analysis.coding.refi`` package: the public API stays where it was, the
modules import each other without cycles, and the shared base imports no sibling."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import analysis.coding.refi as refi

PACKAGE = Path(refi.__file__).parent

#: The public names of ``analysis/coding/refi.py`` before the split (notebooks, the CLI and
#: coding_sheet import them from the package).
PUBLIC = {
    "NS_PROJECT", "NS_CODEBOOK", "GUID_NAMESPACE", "DEFAULT_VARIABLES", "QdaProject", "stable_guid",
    "normalise_text", "project_xml", "codebook_xml", "export_qdpx", "export_qdc", "import_qdpx", "import_qdc",
    "map_codings_to_segments", "workspace_documents", "export_workspace_qdpx", "CoderConfig", "load_coders",
    "coder_id",
}


def _sibling_imports() -> dict[str, set[str]]:
    """Module name → the sibling modules of the package it imports (``from analysis.coding.refi.X``)."""
    graph = {}
    for file in sorted(PACKAGE.glob("*.py")):
        if file.stem == "__init__":
            continue
        found = set()
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("analysis.coding.refi."):
                found.add(node.module.rsplit(".", 1)[1])
            elif isinstance(node, ast.ImportFrom) and node.level:
                raise AssertionError(f"{file.name}: use absolute imports (from analysis.coding.refi.X import ...)")
        graph[file.stem] = found
    return graph


def test_public_api_is_unchanged():
    assert set(refi.__all__) == PUBLIC
    for name in PUBLIC:
        assert getattr(refi, name) is not None


def test_every_public_function_lives_in_one_submodule():
    for name in PUBLIC:
        obj = getattr(refi, name)
        module = getattr(obj, "__module__", None)
        if module is None or not callable(obj):
            continue
        assert module.startswith("analysis.coding.refi."), (name, module)
        assert getattr(importlib.import_module(module), name) is obj


def test_modules_import_each_other_without_cycles():
    graph = _sibling_imports()
    assert {"_common", "coders", "export", "import_", "offsets", "mapping", "workspace"} <= set(graph)
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


def test_the_shared_base_and_the_offsets_import_no_sibling():
    graph = _sibling_imports()
    assert graph["_common"] == set()
    assert graph["offsets"] == set()
    assert graph["coders"] == set()

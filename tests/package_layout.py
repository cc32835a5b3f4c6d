"""Checks of a package split into modules (test helper): the public API is re-exported from the
package, each public function is defined in one submodule, and the modules import each other
with absolute imports and without cycles."""

from __future__ import annotations

import ast
import importlib
from graphlib import TopologicalSorter
from pathlib import Path
from types import ModuleType


def module_imports(package: ModuleType) -> dict[str, set[str]]:
    """Submodule name → every module it imports (dotted names in full).

    Raises AssertionError for a relative import (the packages use absolute ones only).
    """
    graph = {}
    for file in sorted(Path(package.__file__).parent.glob("*.py")):
        if file.stem == "__init__":
            continue
        found = set()
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                raise AssertionError(f"{file.name}: use absolute imports (from {package.__name__}.X import ...)")
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
        graph[file.stem] = found
    return graph


def sibling_imports(package: ModuleType) -> dict[str, set[str]]:
    """Submodule name → the sibling submodules it imports (``from <package>.X import ...``)."""
    prefix = package.__name__ + "."
    return {module: {d[len(prefix):].split(".")[0] for d in deps if d.startswith(prefix)}
            for module, deps in module_imports(package).items()}


def import_order(graph: dict[str, set[str]]) -> list[str]:
    """The submodules in an order that imports each after what it needs; AssertionError on a cycle."""
    unknown = set().union(*graph.values()) - set(graph) if graph else set()
    assert not unknown, f"imports of modules that are not in the package: {sorted(unknown)}"
    try:
        return list(TopologicalSorter(graph).static_order())
    except Exception as exc:  # graphlib.CycleError names the cycle
        raise AssertionError(f"import cycle: {exc.args[1] if len(exc.args) > 1 else exc}") from None


def check_public_api(package: ModuleType, public: set[str]) -> None:
    """Every name of ``public`` is in ``package.__all__``; each function is defined in one submodule."""
    assert set(public) <= set(package.__all__), sorted(set(public) - set(package.__all__))
    for name in package.__all__:
        obj = getattr(package, name)
        assert obj is not None, name
        module = getattr(obj, "__module__", None)
        if module is None or not callable(obj):
            continue
        assert module.startswith(package.__name__ + "."), (name, module)
        assert getattr(importlib.import_module(module), name) is obj

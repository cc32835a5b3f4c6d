"""The two dependency declarations agree, and the repository tracks no outputs."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    """Normalised distribution name of a requirement string (PEP 503)."""
    name = re.split(r"[<>=!~\[; ]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def test_environment_yml_and_pyproject_declare_the_same_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {_name(r) for r in project["dependencies"]}
    declared |= {_name(r) for r in project["optional-dependencies"]["test"]}

    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert "conda-forge" in env["channels"]
    conda, pip = set(), set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip |= {_name(r) for r in dep["pip"] if not r.startswith("-e")}
            assert any(r.startswith("-e .") for r in dep["pip"]), "environment.yml must install the package with pip -e ."
        else:
            conda.add(_name(dep))
    assert "python" in conda and any(str(d).startswith("python=3.11") for d in env["dependencies"])
    conda -= {"python", "pip"}
    assert conda | pip == declared, (
        f"only in environment.yml: {sorted((conda | pip) - declared)}; only in pyproject.toml: {sorted(declared - (conda | pip))}"
    )


def _tracked(pattern: str = "") -> list[str]:
    try:
        out = subprocess.run(["git", "ls-files", pattern] if pattern else ["git", "ls-files"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [line for line in out.splitlines() if line]


def test_notebooks_are_committed_without_outputs_and_with_a_parameters_cell():
    notebooks = [p for p in _tracked() if p.endswith(".ipynb")] or [
        str(p.relative_to(ROOT)) for p in (ROOT / "notebooks").glob("*.ipynb")
    ]
    assert notebooks, "no notebooks found"
    for rel in notebooks:
        nb = json.loads((ROOT / rel).read_text(encoding="utf-8"))
        for i, cell in enumerate(nb["cells"]):
            if cell["cell_type"] == "code":
                assert not cell.get("outputs"), f"{rel}: cell {i} has outputs"
                assert cell.get("execution_count") is None, f"{rel}: cell {i} has an execution count"
        tags = [c.get("metadata", {}).get("tags", []) for c in nb["cells"]]
        assert any("parameters" in t for t in tags), f"{rel}: no cell tagged 'parameters'"


def test_no_data_keys_or_outputs_are_tracked():
    tracked = _tracked()
    if not tracked:
        pytest.skip("nothing committed yet")
    allowed = {"data/raw/.gitkeep", "data/processed/.gitkeep", "figures/.gitkeep", "data/raw/README.md"}
    offending = [
        p for p in tracked
        if p.startswith(("data/raw/", "data/processed/", "data/keys/", "reports/", "figures/")) and p not in allowed
    ]  # fmt: skip
    assert not offending, f"tracked data or outputs: {offending}"

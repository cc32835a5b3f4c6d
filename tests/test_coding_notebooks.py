"""Notebooks 20_workshops and 30_diaries: structure, and a run on the mini workspace."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from conftest import notebook_parameters

PROJECT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ["20_workshops", "30_diaries"]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_structure(name):
    nb = nbformat.read(PROJECT / "notebooks" / f"{name}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", []), "first code cell must be tagged 'parameters'"
    params = notebook_parameters(name)
    assert (PROJECT / params["codebook"]).is_file() and params["work_packages"] == []  # all work packages by default
    for cell in code:
        ast.parse(cell.source)
        assert "plt.show" not in cell.source and "to_csv" not in cell.source and "savefig" not in cell.source
    source = "\n".join(c.source for c in code)
    assert "Registry.for_run(run_name" in source and "reg.save()" in source
    assert sum(c.cell_type == "markdown" for c in nb.cells) >= 5


@pytest.mark.integration
def test_notebooks_run_on_small_workspace(mini_workspace, run_notebook):
    tmp_path = mini_workspace
    for name, run in (("20_workshops", "workshops"), ("30_diaries", "diaries")):
        run_notebook(name, tmp_path)
        registry = json.loads((tmp_path / "reports" / "registry" / f"{run}.json").read_text(encoding="utf-8"))
        text = json.dumps(registry, ensure_ascii=False)
        assert "code_frequencies" in text or run == "diaries"
    timeline = pd.read_csv(tmp_path / "reports" / "tables" / "diaries" / "housing_tp2c_by_year.csv")
    by_year = timeline.set_index("year")  # project years: 1 = 3/2024–2/2025, 2 = 3/2025–2/2026
    assert by_year.loc[2, "share_housing"] > 0.5
    assert not by_year.loc[1, "share_housing"] > 0.5  # low, or hidden because fewer than k entries

"""The survey notebooks: structure (parameters cell) and an in-process run on the mini workspace."""

import json

import matplotlib

matplotlib.use("Agg")

import nbformat  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from conftest import notebook_parameters, survey_list  # noqa: E402

from analysis.survey import load_instrument  # noqa: E402
from analysis.workspace import PACKAGE_PROJECT_DIR  # noqa: E402

NOTEBOOKS = PACKAGE_PROJECT_DIR / "notebooks"
CONFIG = PACKAGE_PROJECT_DIR / "config"


@pytest.mark.parametrize("name", ["10_survey", "11_needs"])
def test_notebook_structure(name):
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert notebook_parameters(name)["project_root"] == ".."


def test_survey_notebook_recovers_planted_change(mini_workspace, run_notebook):
    root = mini_workspace
    ns = run_notebook("10_survey", root, n_boot=100, language="en", scales=["role_clarity", "competence"])
    record = json.loads((root / "reports" / "registry" / "survey.json").read_text(encoding="utf-8"))
    text = json.dumps(record, ensure_ascii=False)
    for table_id in ("scale_change", "reliability", "response_counts", "role_comparisons", "scale_change_by_role"):
        assert f'"{table_id}"' in text
    for figure_id in ("survey_change_forest", "survey_scales_by_wave", "survey_likert_role_clarity"):
        assert f'"{figure_id}"' in text
    paired = ns["paired"].set_index("scale")
    assert paired.loc["role_clarity", "p_adjusted"] < 0.05 and paired.loc["role_clarity", "effect"] > 0.3
    assert paired.loc["role_clarity", "n_pairs"] == 30
    assert list(ns["paired"].columns[:12]) == ["scale", "label_fi", "label_en", "n_pairs", "statistic", "p",
                                               "p_adjusted", "effect", "ci_low", "ci_high", "apa_fi", "apa_en"]


def test_needs_notebook_and_tables(tmp_path, run_notebook):
    needs = load_instrument(CONFIG / "instrument_needs.yaml")
    rows = []
    for i in range(30):
        for j, item in enumerate(needs.item_ids):
            rows.append({"survey_id": "needs", "instrument": "needs", "wave": "single", "respondent": f"N{i:02d}",
                         "item": item, "value": float((i + j) % 3 == 0 or (j == 0 and i % 2 == 0)),
                         "label": None, "missing": None})
    responses = pd.DataFrame(rows)
    respondents = pd.DataFrame({"survey_id": "needs", "instrument": "needs", "wave": "single",
                                "respondent": [f"N{i:02d}" for i in range(30)],
                                "living_situation": ["own_rental", "supported_housing", "with_family"] * 10,
                                "age_band": ["18–20", "21–25"] * 15})
    processed = tmp_path / "data" / "processed"
    processed.mkdir(parents=True)
    respondents.to_parquet(processed / "respondents.parquet")
    responses.to_parquet(processed / "survey_responses.parquet")
    survey_list(processed, "config/instrument_needs.yaml", scales=False)
    ns = run_notebook("11_needs", tmp_path)
    prev = ns["prev"].set_index("need")
    assert prev.loc["need_housing", "count"] == 20 and prev.loc["need_housing", "n"] == 30  # i%3==0 or i even
    pairs = ns["pairs"].set_index(["need_a", "need_b"])
    both = pairs.loc[("need_housing", "need_money")]
    assert both["count_both"] == 5  # housing & (i+1)%3==0 -> i in {2, 8, 14, 20, 26} (even) = 5
    assert both["jaccard"] == pytest.approx(5 / (20 + 10 - 5))
    assert (tmp_path / "reports" / "registry" / "needs.json").is_file()

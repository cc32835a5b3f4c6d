"""The survey notebooks: structure (parameters cell, no outputs) and an in-process run on a small workspace."""

import json

import matplotlib

matplotlib.use("Agg")

import nbformat  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from analysis.survey import apply_instrument, load_instrument  # noqa: E402
from analysis.survey.examples import example_export  # noqa: E402
from analysis.workspace import PACKAGE_PROJECT_DIR  # noqa: E402

NOTEBOOKS = PACKAGE_PROJECT_DIR / "notebooks"
CONFIG = PACKAGE_PROJECT_DIR / "config"


@pytest.mark.parametrize("name, run_name", [("10_survey.ipynb", "lab-10_survey"), ("11_needs.ipynb", "lab-11_needs")])
def test_notebook_structure(name, run_name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert f'run_name = "{run_name}"' in code[0].source
    assert 'project_root = ".."' in code[0].source
    assert all(not c.outputs and c.execution_count is None for c in code)


def _workspace(tmp_path):
    inst = load_instrument(CONFIG / "instrument_professionals.yaml")
    base = apply_instrument(example_export(inst, 40, seed=11), inst, source_id="professionals_baseline",
                            source_file="surveys/alku.xlsx", wave="baseline")
    follow = apply_instrument(example_export(inst, 40, seed=12, codes=[f"K{i:03d}" for i in range(10, 50)],
                                             shift={"role_clarity": 1.2}),
                              inst, source_id="professionals_followup", source_file="surveys/loppu.xlsx", wave="followup")
    respondents = pd.concat([base.respondents, follow.respondents], ignore_index=True)
    responses = pd.concat([base.responses, follow.responses], ignore_index=True)
    processed = tmp_path / "data" / "processed"
    processed.mkdir(parents=True)
    respondents.rename(columns={"respondent_code": "respondent"}).to_parquet(processed / "respondents.parquet")
    responses.rename(columns={"respondent_code": "respondent"}).to_parquet(processed / "survey_responses.parquet")
    _survey_list(processed, "config/instrument_professionals.yaml", scales=True)
    return tmp_path


def _survey_list(processed, instrument, *, scales):
    """The list of surveys and their instruments the ingestion writes (the notebooks take theirs from it)."""
    rows = [{"id": "survey", "file": "x.xlsx", "instrument": instrument, "wave": "single", "scales": scales}]
    (processed / "surveys.json").write_text(json.dumps(rows), encoding="utf-8")


def _run(name, overrides):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    namespace = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        exec(compile(cell.source, name, "exec"), namespace)  # noqa: S102 - our own notebook
        if "parameters" in cell.metadata.get("tags", []):
            namespace.update({"run_name": {"10_survey.ipynb": "survey", "11_needs.ipynb": "needs"}[name], **overrides})
    return namespace


def test_survey_notebook_recovers_planted_change(tmp_path):
    pytest.importorskip("IPython")
    root = _workspace(tmp_path)
    ns = _run("10_survey.ipynb", {"project_root": str(root), "n_boot": 100, "language": "en",
                                    "scales": ["role_clarity", "competence"]})
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


def test_needs_notebook_and_tables(tmp_path):
    pytest.importorskip("IPython")
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
    _survey_list(processed, "config/instrument_needs.yaml", scales=False)
    ns = _run("11_needs.ipynb", {"project_root": str(tmp_path)})
    prev = ns["prev"].set_index("need")
    assert prev.loc["need_housing", "count"] == 20 and prev.loc["need_housing", "n"] == 30  # i%3==0 or i even
    pairs = ns["pairs"].set_index(["need_a", "need_b"])
    both = pairs.loc[("need_housing", "need_money")]
    assert both["count_both"] == 5  # housing & (i+1)%3==0 -> i in {2, 8, 14, 20, 26} (even) = 5
    assert both["jaccard"] == pytest.approx(5 / (20 + 10 - 5))
    assert (tmp_path / "reports" / "registry" / "needs.json").is_file()

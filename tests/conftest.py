"""Shared test fixtures: one mini workspace and one in-process notebook runner.

``mini_workspace``
    A fresh copy (per test) of a small processed workspace: professionals' surveys at
    baseline and follow-up with a planted change in ``role_clarity`` (40 respondents
    each, 30 pairs), six workshops and a year of diary entries with their segments and
    tokens, written below ``data/processed`` as the ingestion writes them. Build extra
    tables on top of it in the test.
``run_notebook``
    ``run_notebook(name, root, **parameters)`` executes ``notebooks/<name>.ipynb`` in
    this process, the way papermill runs it in the batch: the parameters cell as
    written, then ``project_root=root``, the batch's run name and ``parameters``. It
    returns the notebook's namespace, so a test can look at the frames it built.
``notebook_parameters(name)`` (a plain function)
    The parameters cell of a notebook as a dict: tests read defaults from the notebook
    instead of copying them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Callable

import matplotlib

matplotlib.use("Agg")

import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

PROJECT = Path(__file__).resolve().parents[1]
NOTEBOOKS = PROJECT / "notebooks"


def pytest_collection_modifyitems(items) -> None:
    """A test that runs a notebook (the ``run_notebook`` fixture) is ``slow``: ``make test-fast`` skips it."""
    for item in items:
        if "run_notebook" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


# --------------------------------------------------------------------------- notebooks
def _code_cells(name: str) -> list:
    nb = nbformat.read(NOTEBOOKS / f"{name.removesuffix('.ipynb')}.ipynb", as_version=4)
    return [c for c in nb.cells if c.cell_type == "code"]


def notebook_parameters(name: str) -> dict[str, Any]:
    """The parameters cell of ``notebooks/<name>.ipynb`` (plain assignments) as a dict."""
    cell = next(c for c in _code_cells(name) if "parameters" in c.metadata.get("tags", []))
    namespace: dict[str, Any] = {}
    exec(compile(cell.source, f"<{name} parameters>", "exec"), namespace)  # noqa: S102 - our own notebook
    return {k: v for k, v in namespace.items() if not k.startswith("__")}


def batch_run_name(name: str) -> str:
    """The run name ``pipeline.yaml`` gives the notebook (the first run that executes it)."""
    import yaml

    doc = yaml.safe_load((PROJECT / "pipeline.yaml").read_text(encoding="utf-8"))
    for stage in doc["stages"]:
        for run in stage["runs"]:
            if Path(run["notebook"]).stem == name.removesuffix(".ipynb"):
                return str(run["name"]).split("{")[0].rstrip("-_")
    raise KeyError(f"no run of pipeline.yaml executes {name}")


def execute_notebook(name: str, root: Path, **parameters: Any) -> dict[str, Any]:
    """Run a notebook's code cells in this process with injected parameters; return its namespace."""
    cells = _code_cells(name)
    namespace: dict[str, Any] = {"display": lambda *args, **kwargs: None}
    for cell in cells:
        exec(compile(cell.source, f"<{name}>", "exec"), namespace)  # noqa: S102 - our own notebook
        if "parameters" in cell.metadata.get("tags", []):
            namespace.update({"project_root": str(root), "run_name": batch_run_name(name), **parameters})
    return namespace


@pytest.fixture
def run_notebook(monkeypatch) -> Callable[..., dict[str, Any]]:
    """``run_notebook(name, root, **parameters)``: see :func:`execute_notebook` (cwd is ``notebooks/``)."""
    pytest.importorskip("IPython")
    monkeypatch.chdir(NOTEBOOKS)
    yield execute_notebook
    import matplotlib.pyplot as plt

    plt.close("all")


# --------------------------------------------------------------------------- the mini workspace
YOUNG = ["Mä oon tosi huolissaan siitä et saanko mä tukiasunnon ennen kun sijoitus loppuu.",
         "Mulla ei oo rahaa vuokraan ja itsenäistymisvaroista ei kukaan kertonu.",
         "Vertaisryhmässä oli kiva kun muutkin oli samassa tilanteessa.",
         "Mua ei kuunneltu siinä palaverissa ollenkaan."]
WORKER = ["Sosiaalityöntekijän ja sosiaaliohjaajan työnjako jälkihuollossa on vielä epäselvä.",
          "Yhteistyö aikuissosiaalityön kanssa vaatii yhteisen palvelupolun kuvauksen.",
          "Tarvitaan koulutusta lainsäädännöstä ja perehdytystä uusille työntekijöille.",
          "Päihdepalveluihin on pitkä matka, Teams-yhteys auttaa vähän.",
          "Asumisen tuki ja tukiasunnot pitäisi kartoittaa koko alueelta."]


def survey_list(processed: Path, instrument: str, *, scales: bool) -> None:
    """The list of surveys and their instruments the ingestion writes (the notebooks take theirs from it)."""
    rows = [{"id": "survey", "file": "x.xlsx", "instrument": instrument, "wave": "single", "scales": scales}]
    (processed / "surveys.json").write_text(json.dumps(rows), encoding="utf-8")


def _surveys(processed: Path) -> None:
    from analysis.survey import apply_instrument, load_instrument
    from analysis.survey.examples import example_export

    inst = load_instrument(PROJECT / "config" / "instrument_professionals.yaml")
    base = apply_instrument(example_export(inst, 40, seed=11), inst, source_id="professionals_baseline",
                            source_file="surveys/alku.xlsx", wave="baseline")
    follow = apply_instrument(example_export(inst, 40, seed=12, codes=[f"K{i:03d}" for i in range(10, 50)],
                                             shift={"role_clarity": 1.2}),
                              inst, source_id="professionals_followup", source_file="surveys/loppu.xlsx", wave="followup")
    respondents = pd.concat([base.respondents, follow.respondents], ignore_index=True)
    responses = pd.concat([base.responses, follow.responses], ignore_index=True)
    respondents.rename(columns={"respondent_code": "respondent"}).to_parquet(processed / "respondents.parquet")
    responses.rename(columns={"respondent_code": "respondent"}).to_parquet(processed / "survey_responses.parquet")
    survey_list(processed, "config/instrument_professionals.yaml", scales=True)


def _texts(processed: Path) -> None:
    from analysis.text.pipeline import segments_from_diaries, segments_from_turns, tokens_table

    rng = np.random.default_rng(7)
    workshops, turns = [], []
    for w, date in enumerate(pd.date_range("2024-05-01", periods=6, freq="90D"), start=1):
        wid = f"W{w:02d}"
        workshops.append({"workshop_id": wid, "date": date.strftime("%Y-%m-%d"), "work_package": ["TP1", "TP3"][w % 2],
                          "method": "Tulevaisuuden muistelu", "place": "Kemi", "source_file": f"workshops/{wid}.txt",
                          "n_turns": 0, "n_speakers": 0})
        p_young = 0.15 + 0.1 * w
        for t in range(1, 31):
            role = "young_person" if rng.random() < p_young else rng.choice(["social_worker", "social_counsellor"])
            bank = YOUNG if role == "young_person" else WORKER
            speaker = {"young_person": "Nuori 1", "social_worker": "ST 1", "social_counsellor": "SO 1"}[role]
            turns.append({"workshop_id": wid, "turn": t, "speaker": speaker, "speaker_role": role,
                          "start_time": float(t * 30), "text": bank[int(rng.integers(len(bank)))], "source_line": t})
    workshops, turns = pd.DataFrame(workshops), pd.DataFrame(turns)
    entries = []
    for i, date in enumerate(pd.date_range("2024-03-15", "2026-12-15", freq="4D")):
        wp = ["TP2C", "TP3", "TP2A"][i % 3]
        worried = wp == "TP2C" and date.year == 2025
        text = ("Nuoren vuokra on rästissä ja häätö uhkaa, huoli asunnosta kasvaa." if worried
                else "Ryhmä kokoontui ja keskusteltiin yhteistyöstä koulun kanssa.")
        entries.append({"entry_id": f"D{i:04d}", "date": date.strftime("%Y-%m-%d"), "writer": "SO 2",
                        "writer_role": "social_counsellor", "work_package": wp, "happened": text, "worked": "",
                        "did_not_work": "", "next_steps": "", "text": text, "source_id": "diary_form",
                        "source_file": "diaries/x.xlsx", "source_row": i + 2})
    entries = pd.DataFrame(entries)
    segments = pd.concat([segments_from_turns(turns, unit="turn", workshops=workshops),
                          segments_from_diaries(entries)], ignore_index=True)
    workshops.to_parquet(processed / "workshops.parquet")
    turns.to_parquet(processed / "transcript_turns.parquet")
    entries.to_parquet(processed / "diary_entries.parquet")
    for kind in ("workshop", "diary"):
        part = segments[segments["doc_type"] == kind]
        part.to_parquet(processed / f"{kind}_segments.parquet")
        tokens_table(part).to_parquet(processed / f"{kind}_tokens.parquet")


@pytest.fixture(scope="session")
def _mini_workspace_template(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("mini_workspace")
    processed = root / "data" / "processed"
    processed.mkdir(parents=True)
    _surveys(processed)
    _texts(processed)
    return root


@pytest.fixture
def mini_workspace(_mini_workspace_template, tmp_path) -> Path:
    """A fresh copy of the mini workspace (its data root); see the module docstring."""
    root = tmp_path / "workspace"
    shutil.copytree(_mini_workspace_template, root)
    return root


@pytest.fixture()
def lemma_tables(tmp_path, monkeypatch):
    """Empty prior, pair and reading tables for the lemmatiser (each test writes the rows it needs).

    Yields ``{"PRIOR_FILE": path, "PAIRS_FILE": path, "READINGS_FILE": path}``; the
    lemmatiser's caches are cleared before and after, so the committed tables are back for
    the next test.
    """
    from analysis.text import lemmatise as lem

    files = {}
    for name, header in (("PRIOR_FILE", "form\tlemma\tcount"), ("PAIRS_FILE", "winner\tloser\tcount"),
                         ("READINGS_FILE", "winner\tloser\tcount")):
        path = tmp_path / f"{name}.tsv"
        path.write_text(header + "\n", encoding="utf-8")
        monkeypatch.setattr(lem, name, path)
        files[name] = path
    lem._prior.cache_clear()
    lem.clear_cache()
    yield files
    monkeypatch.undo()
    lem._prior.cache_clear()
    lem.clear_cache()

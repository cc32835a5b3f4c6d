"""Notebooks 20_workshops and 30_diaries: structure, and a run on a small generated workspace."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

PROJECT = Path(__file__).resolve().parents[1]
NOTEBOOKS = {
    "20_workshops": {"project_root": "..", "run_name": "lab-20_workshops", "work_packages": [], "workshops": [],
                     "keyness_groups": ["young_person", "social_worker"], "kwic_terms": ["asuminen", "tukiasunto"],
                     "codebook": "config/codebook.yaml", "segment_unit": "turn", "language": "fi",
                     "min_cell_size": 5},
    "30_diaries": {"project_root": "..", "run_name": "lab-30_diaries", "work_packages": [], "date_from": "2024-03-01",
                   "date_to": "2027-02-28", "codebook": "config/codebook.yaml", "language": "fi", "min_cell_size": 5},
}


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_notebook_structure(name):
    nb = nbformat.read(PROJECT / "notebooks" / f"{name}.ipynb", as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", []), "first code cell must be tagged 'parameters'"
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), "commit without outputs"
    params = {}
    exec(compile(code[0].source, "parameters", "exec"), {}, params)
    assert params == NOTEBOOKS[name]
    for cell in code:
        ast.parse(cell.source)
        assert "plt.show" not in cell.source and "to_csv" not in cell.source and "savefig" not in cell.source
    source = "\n".join(c.source for c in code)
    assert "Registry.for_run(run_name" in source and "reg.save()" in source
    assert sum(c.cell_type == "markdown" for c in nb.cells) >= 5


# ---------------------------------------------------------------- small workspace
YOUNG = ["Mä oon tosi huolissaan siitä et saanko mä tukiasunnon ennen kun sijoitus loppuu.",
         "Mulla ei oo rahaa vuokraan ja itsenäistymisvaroista ei kukaan kertonu.",
         "Vertaisryhmässä oli kiva kun muutkin oli samassa tilanteessa.",
         "Mua ei kuunneltu siinä palaverissa ollenkaan."]
WORKER = ["Sosiaalityöntekijän ja sosiaaliohjaajan työnjako jälkihuollossa on vielä epäselvä.",
          "Yhteistyö aikuissosiaalityön kanssa vaatii yhteisen palvelupolun kuvauksen.",
          "Tarvitaan koulutusta lainsäädännöstä ja perehdytystä uusille työntekijöille.",
          "Päihdepalveluihin on pitkä matka, Teams-yhteys auttaa vähän.",
          "Asumisen tuki ja tukiasunnot pitäisi kartoittaa koko alueelta."]


def small_workspace(root: Path) -> None:
    from analysis.text.pipeline import segments_from_diaries, segments_from_turns, tokens_table

    rng = np.random.default_rng(7)
    workshops, turns = [], []
    dates = pd.date_range("2024-05-01", periods=6, freq="90D")
    for w, date in enumerate(dates, start=1):
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
    workshops = pd.DataFrame(workshops)
    turns = pd.DataFrame(turns)
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
    processed = root / "data" / "processed"
    processed.mkdir(parents=True)
    workshops.to_parquet(processed / "workshops.parquet")
    turns.to_parquet(processed / "transcript_turns.parquet")
    entries.to_parquet(processed / "diary_entries.parquet")
    for kind in ("workshop", "diary"):
        part = segments[segments["doc_type"] == kind]
        part.to_parquet(processed / f"{kind}_segments.parquet")
        tokens_table(part).to_parquet(processed / f"{kind}_tokens.parquet")


@pytest.mark.integration
def test_notebooks_run_on_small_workspace(tmp_path):
    papermill = pytest.importorskip("papermill")
    small_workspace(tmp_path)
    for name, run in (("20_workshops", "workshops"), ("30_diaries", "diaries")):
        out = tmp_path / f"{name}.out.ipynb"
        papermill.execute_notebook(str(PROJECT / "notebooks" / f"{name}.ipynb"), str(out),
                                   parameters={"project_root": str(tmp_path), "run_name": run},
                                   cwd=str(PROJECT / "notebooks"),
                                   progress_bar=False, kernel_name="python3")
        registry = json.loads((tmp_path / "reports" / "registry" / f"{run}.json").read_text(encoding="utf-8"))
        text = json.dumps(registry, ensure_ascii=False)
        assert "code_frequencies" in text or run == "diaries"
    timeline = pd.read_csv(tmp_path / "reports" / "tables" / "diaries" / "housing_tp2c_by_year.csv")
    by_year = timeline.set_index("year")  # project years: 1 = 3/2024–2/2025, 2 = 3/2025–2/2026
    assert by_year.loc[2, "share_housing"] > 0.5
    assert not by_year.loc[1, "share_housing"] > 0.5  # low, or hidden because fewer than k entries

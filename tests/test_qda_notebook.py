"""Notebook 40_coding_quality: committed clean, parameterised, and runs on a small workspace."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import nbformat
import pandas as pd
from conftest import notebook_parameters

from analysis.coding.codebook import load_codebook
from analysis.coding.coding_sheet import simulate_human_codings, write_coding_sheet
from analysis.coding.refi import export_qdpx, workspace_documents
from test_qda_refi import W07_TURNS, W08_TURNS, sample_workspace

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "40_coding_quality.ipynb"
CODEBOOK = REPO / "config" / "codebook.yaml"


def _notebook():
    return nbformat.read(NOTEBOOK, as_version=4)


def test_notebook_is_parameterised():
    nb = _notebook()
    first = [c for c in nb.cells if c.cell_type == "code"][0]
    assert "parameters" in first.metadata.get("tags", [])
    params = notebook_parameters("40_coding_quality")
    assert (REPO / params["codings"]).parent.name == "raw" and params["coders"] == [] and params["codes"] == []


def _run(run_notebook, root: Path, **parameters) -> dict:
    """The notebook in-process with the test's codebook and a short bootstrap."""
    return run_notebook("40_coding_quality", root, codebook=str(CODEBOOK), n_boot=200, **parameters)


def _workspace(tmp_path: Path, *, with_codings: bool) -> Path:
    documents, segments = sample_workspace()
    # repeat the two workshops so agreement has something to chew on
    frames, texts = [], {}
    for k in range(12):
        for doc_id in ("W07", "W08"):
            new_id = f"W{k:02d}{doc_id[1:]}"
            part = segments[segments["doc_id"] == doc_id].assign(
                doc_id=new_id, segment_id=lambda d: d["segment_id"].str.replace(doc_id, new_id))
            frames.append(part)
            texts[new_id] = documents[doc_id]
    frames.append(segments[segments["doc_type"] == "diary"])
    segs = pd.concat(frames, ignore_index=True)
    processed = tmp_path / "data" / "processed"
    processed.mkdir(parents=True)
    (processed / "ingest_report.json").write_text(json.dumps({"sources": [], "data": {"synthetic": True}}), encoding="utf-8")
    from analysis.text.pipeline import tokens_table

    for kind, part in (("workshop", segs[segs["doc_type"] == "workshop"]), ("diary", segs[segs["doc_type"] == "diary"])):
        part.to_parquet(processed / f"{kind}_segments.parquet")
        tokens_table(part[["segment_id", "text"]]).to_parquet(processed / f"{kind}_tokens.parquet")
    turns = pd.DataFrame([
        {"workshop_id": doc_id, "turn": i, "speaker": s, "speaker_role": r, "text": t, "start_time": float("nan"),
         "source_line": i}
        for doc_id in texts for i, (s, r, t) in enumerate(W07_TURNS if doc_id.endswith("07") else W08_TURNS, 1)])
    turns.to_parquet(processed / "transcript_turns.parquet")
    keywords = {"roles": "vastaa", "housing": "asun", "money": "varat", "peer_support": "ryhmä",
                "participation": "kuunnel"}
    autocodes = pd.DataFrame([(sid, code) for sid, text in zip(segs["segment_id"], segs["text"])
                              for code, word in keywords.items() if word in text.lower()],
                             columns=["segment_id", "code"])
    autocodes.to_parquet(processed / "autocodes.parquet")
    if with_codings:
        turns_only = segs[segs["unit"] == "turn"]
        human = simulate_human_codings(turns_only, autocodes, seed=3, auto_miss=0.2)
        cb = load_codebook(CODEBOOK).codes
        folder = tmp_path / "data" / "raw" / "codings"
        rebuilt = workspace_documents(segs, turns=turns)
        assert set(rebuilt) >= set(texts)
        export_qdpx(folder / "K1.qdpx", cb, {d: rebuilt[d] for d in texts}, turns_only,
                    human[(human["coder"] == "K1") & human["code"].notna()])
        write_coding_sheet(folder / "K2.xlsx", turns_only, cb, coders=["K2"], codings=human[human["coder"] == "K2"])
    return tmp_path


def test_notebook_publishes_agreement_and_precision_recall(tmp_path, run_notebook):
    root = _workspace(tmp_path, with_codings=True)
    ns = _run(run_notebook, root)
    assert ns["human_coders"] == ["K1", "K2"]
    assert ns["unmapped"].empty
    agreement = ns["agreement"].set_index("code")
    assert 0.3 < agreement.loc["overall", "alpha"] <= 1
    registry = json.loads((root / "reports" / "registry" / "coding_quality.json").read_text(encoding="utf-8"))
    published = {(item["kind"], item["id"]) for item in registry["items"]}
    assert {("table", "coder_agreement"), ("table", "autocode_scores"),
            ("figure", "autocode_precision_recall"), ("methods", "coding_quality")} <= published
    assert (root / "reports" / "tables" / "coding_quality" / "coder_agreement.csv").is_file()


def test_notebook_without_manual_codings_publishes_nothing(tmp_path, run_notebook):
    root = _workspace(tmp_path, with_codings=False)
    ns = _run(run_notebook, root)
    assert not ns["has_manual"]
    registry = json.loads((root / "reports" / "registry" / "coding_quality.json").read_text(encoding="utf-8"))
    assert registry["items"] == []


def test_export_workspace_qdpx_round_trips_the_autocodes(tmp_path):
    from analysis.coding.refi import export_workspace_qdpx, import_qdpx, map_codings_to_segments

    root = _workspace(tmp_path, with_codings=False)
    out = export_workspace_qdpx(root / "out" / "jakala.qdpx", root=root, codebook=CODEBOOK)
    from analysis.coding.autocode import autocode, workspace_segments

    segments, tokens = workspace_segments(root / "data" / "processed", unit="turn", include_diaries=True)
    autocodes = pd.concat([autocode(part, tokens, load_codebook(CODEBOOK)) for _, part in segments.groupby("unit")])
    project = import_qdpx(out, codebook_table=load_codebook(CODEBOOK).codes)
    assert len(project.sources) == 26  # 24 workshops and 2 diary entries
    mapped, unmapped = map_codings_to_segments(project, segments)
    assert unmapped.empty
    key = ["segment_id", "code"]
    assert sorted(map(tuple, mapped[key].to_numpy().tolist())) == sorted(map(tuple, autocodes[key].to_numpy().tolist()))

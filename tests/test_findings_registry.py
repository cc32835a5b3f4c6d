"""Tests of the findings registry: files, suppression, validation, atomic writes, loading."""

from __future__ import annotations

import json
import os

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from analysis.errors import DataError  # noqa: E402
from analysis.findings import Registry, load_registries, read_registry, style  # noqa: E402
from analysis.provenance.hashes import sha256_file  # noqa: E402

CAPTION = {"fi": "Vastaajat ammattinimikkeittäin", "en": "Respondents by role"}


def _small_figure():
    fig, ax = style.new_figure("half", height_cm=4)
    ax.bar(["ST", "SO"], [12, 9])
    return fig


def _roles_table():
    return pd.DataFrame(
        {"role": ["social_worker", "social_counsellor", "other"], "n": [12, 9, 3], "mean": [3.42, 3.9, 2.5]}
    )


def test_figure_writes_png_svg_and_closes(tmp_path):
    reg = Registry.for_run("survey", root=tmp_path)
    fig = _small_figure()
    paths = reg.figure("roles", fig, caption=CAPTION, source={"fi": "Kysely 2024", "en": "Survey 2024"}, width="half")
    reg.wait()  # drawn in the background (analysis.findings.background): written once collected
    assert paths["png"] == tmp_path / "figures" / "survey" / "roles.png"
    assert paths["svg"].is_file() and paths["png"].is_file()
    assert not plt.fignum_exists(fig.number)
    item = reg.items[0]
    assert item["files"] == {"png": "figures/survey/roles.png", "svg": "figures/survey/roles.svg"}
    assert item["sha256"]["png"] == sha256_file(paths["png"])
    assert item["width"] == "half"


def test_table_suppresses_small_cells_with_the_privacy_function(tmp_path):
    reg = Registry.for_run("survey", root=tmp_path, min_cell_size=5)
    published = reg.table("roles", _roles_table(), caption=CAPTION, count_columns=["n"], derived_columns=["mean"])
    assert published.loc[2, "n"] == "<5"
    assert pd.isna(published.loc[2, "mean"])
    csv = (tmp_path / "reports" / "tables" / "survey" / "roles.csv").read_text(encoding="utf-8")
    # the column total (24) is taken as public, so a second cell is hidden: 24 − 12 − 9 would give 3
    assert csv.splitlines() == [
        "role,n,mean",
        "social_worker,12,3.42",
        "social_counsellor,x,",
        "other,<5,",
    ]
    item = reg.items[0]
    assert item["suppressed"] is True
    assert {k: item["n_suppressed"][k] for k in ("primary", "secondary")} == {"primary": 1, "secondary": 1}
    assert item["suppression_note"]["fi"].startswith("<5")


def test_table_protects_group_totals_given_by_totals_by(tmp_path):
    reg = Registry.for_run("survey", root=tmp_path, min_cell_size=5)
    counts = pd.DataFrame({"wave": ["baseline"] * 3 + ["followup"] * 3,
                           "role": ["social_worker", "social_counsellor", "other"] * 2,
                           "n": [20, 30, 10, 25, 32, 3]})  # fmt: skip
    published = reg.table("by_wave", counts, caption=CAPTION, count_columns=["n"], totals_by=["wave"])
    assert published["n"].tolist() == [20, 30, 10, "x", 32, "<5"]  # 60 − 25 − 32 would reveal the 3
    assert list(published.index) == list(range(6))
    assert {k: reg.items[0]["n_suppressed"][k] for k in ("primary", "secondary")} == {"primary": 1, "secondary": 1}


def test_table_detects_count_columns_when_not_given(tmp_path):
    reg = Registry.for_run("survey", root=tmp_path, min_cell_size=4)
    published = reg.table("roles", _roles_table(), caption=CAPTION)
    assert published.loc[2, "n"] == "<4"
    assert reg.items[0]["count_columns"] == ["n"]
    # an explicit empty list declares a table without counts: nothing is suppressed
    published = reg.table("roles_raw", _roles_table(), caption=CAPTION, count_columns=[])
    assert published.loc[2, "n"] == 3 and reg.items[1]["suppressed"] is False


def test_table_csv_is_deterministic(tmp_path):
    df = pd.DataFrame({"scale": ["a", "b"], "effect": [0.1 + 0.2, 1 / 3], "n_pairs": [40, 41]})
    first = Registry.for_run("one", root=tmp_path)
    first.table("t", df, caption=CAPTION)
    second = Registry.for_run("two", root=tmp_path)
    second.table("t", df.copy(), caption=CAPTION)
    one = (tmp_path / "reports/tables/one/t.csv").read_bytes()
    assert one == (tmp_path / "reports/tables/two/t.csv").read_bytes()
    assert b"0.3," in one and b"0.3333333333" in one and b"\r" not in one


def test_number_template_and_formatting(tmp_path):
    reg = Registry.for_run("survey", root=tmp_path)
    text = reg.number("share_sw", 0.375, template={"fi": "Osuus oli {value}.", "en": "The share was {value}."}, fmt=".1%")
    assert text == "Osuus oli 37,5\u00a0%."
    assert reg.items[0]["text"]["en"] == "The share was 37.5%."
    with pytest.raises(DataError, match="placeholder"):
        reg.number("bad", 1, template={"fi": "Ei paikkaa.", "en": "{value}"})


def test_bilingual_texts_are_required(tmp_path):
    reg = Registry.for_run("survey", root=tmp_path)
    with pytest.raises(DataError, match="English"):
        reg.methods("tests", {"fi": "Wilcoxonin testi."})
    with pytest.raises(DataError, match="caption"):
        reg.figure("f", _small_figure(), caption="vain teksti")
    plt.close("all")


def test_quote_requires_pseudonym_and_known_role(tmp_path):
    reg = Registry.for_run("workshops", root=tmp_path)
    item = reg.quote("q1", "No  mä en tiedä\nkuka hoitaa", speaker="Nuori 3", role="young_person", source="W03, 14.5.2024", code="roles")
    assert item["text"] == "No mä en tiedä kuka hoitaa"
    with pytest.raises(DataError, match="pseudonym"):
        reg.quote("q2", "Teksti", speaker="Aino Korhonen", role="young_person", source="W03")
    with pytest.raises(DataError, match="role"):
        reg.quote("q3", "Teksti", speaker="ST 1", role="boss", source="W03")


def test_ids_replace_in_place_and_conflict_across_kinds(tmp_path):
    reg = Registry.for_run("survey", root=tmp_path)
    reg.methods("m", {"fi": "A", "en": "A"})
    reg.note({"fi": "Huomio", "en": "Note"})
    reg.methods("m", {"fi": "B", "en": "B"})
    assert [i["id"] for i in reg.items] == ["m", "note_1"] and reg.items[0]["text"]["fi"] == "B"
    with pytest.raises(DataError, match="already used"):
        reg.number("m", 1, template={"fi": "{value}", "en": "{value}"})
    with pytest.raises(DataError, match="invalid"):
        reg.methods("../escape", {"fi": "x", "en": "x"})
    with pytest.raises(DataError, match="run name"):
        Registry.for_run("bad name", root=tmp_path)


def test_save_writes_ordered_json_with_relative_paths(tmp_path):
    reg = Registry.for_run("survey", root=tmp_path)
    reg.figure("fig", _small_figure(), caption=CAPTION)
    reg.table("roles", _roles_table(), caption=CAPTION, count_columns=["n"], derived_columns=["mean"])
    reg.number("n", 118, template={"fi": "Vastaajia {value}.", "en": "{value} respondents."})
    path = reg.save()
    assert path == tmp_path / "reports" / "registry" / "survey.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["run"] == "survey" and [i["kind"] for i in data["items"]] == ["figure", "table", "number"]
    assert data["items"][1]["files"]["csv"] == "reports/tables/survey/roles.csv"
    assert reg.save().read_bytes() == path.read_bytes()  # no timestamps


def test_save_is_atomic(tmp_path, monkeypatch):
    reg = Registry.for_run("survey", root=tmp_path)
    reg.methods("m", {"fi": "Vanha", "en": "Old"})
    path = reg.save()
    before = path.read_bytes()
    reg.methods("m2", {"fi": "Uusi", "en": "New"})

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        reg.save()
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["survey.json"]  # no temp file left


def test_load_registries_orders_by_manifest_and_verifies_hashes(tmp_path):
    for run in ("workshops", "survey", "diaries", "findings"):
        reg = Registry.for_run(run, root=tmp_path)
        reg.methods("m", {"fi": f"{run} fi", "en": f"{run} en"})
        reg.save()
    assert [r.run for r in load_registries(tmp_path)] == ["diaries", "survey", "workshops"]
    manifest = {"runs": {"survey": {"status": "succeeded"}, "workshops": {"status": "failed"}, "diaries": {}}}
    (tmp_path / "reports" / "provenance.json").write_text(json.dumps(manifest), encoding="utf-8")
    runs = load_registries(tmp_path)
    assert [r.run for r in runs] == ["survey", "workshops", "diaries"]
    assert runs[1].status == "failed"

    reg = Registry.for_run("tables", root=tmp_path)
    reg.table("roles", _roles_table(), caption=CAPTION, count_columns=[])
    path = reg.save()
    (tmp_path / "reports/tables/tables/roles.csv").write_text("edited by hand\n", encoding="utf-8")
    with pytest.raises(DataError, match="changed"):
        read_registry(path, root=tmp_path)

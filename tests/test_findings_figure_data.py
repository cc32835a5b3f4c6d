"""What a figure draws goes through the disclosure audit (``Registry.figure(data=...)``)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from analysis.coding import plots as cplots  # noqa: E402
from analysis.errors import DataError, PipelineError  # noqa: E402
from analysis.findings import Registry, style  # noqa: E402

CAPTION = {"fi": "Segmentit rooleittain", "en": "Segments by role"}


def _figure():
    fig, ax = style.new_figure("half", height_cm=4)
    ax.bar(["Nuoret", "ST", "SO"], [40, 12, 3])
    return fig


def _segments():
    return pd.DataFrame({"speaker_role": ["young_person", "social_worker", "social_counsellor"],
                         "n_segments": [40, 12, 3]})


def test_a_drawn_count_below_k_fails_naming_figure_and_column(tmp_path):
    reg = Registry.for_run("workshops", root=tmp_path, min_cell_size=5)
    with pytest.raises(DataError, match=r"figure 'bars'.*below the small-cell limit 5 in column 'n_segments'"):
        reg.figure("bars", _figure(), caption=CAPTION, data=_segments(), count_columns=["n_segments"])
    assert not (tmp_path / "figures" / "workshops" / "bars.png").exists()


def test_a_count_hidden_in_a_table_and_drawn_in_a_figure_is_caught(tmp_path):
    """The recovery pattern: the table hides a cell, the figure draws what gives it away (total − coded)."""
    reg = Registry.for_run("diaries", root=tmp_path, min_cell_size=5)
    table = pd.DataFrame({"wp": ["TP1", "TP2C"], "n_segments": [22, 33], "n_coded": [22, 31], "n_uncoded": [0, 2]})
    ids = {"n_segments": "seg/{wp}", "n_coded": "coded/{wp}", "n_uncoded": "uncoded/{wp}"}
    published = reg.table("coverage", table, caption=CAPTION, cell_ids=ids)
    row = published[published["wp"] == "TP2C"].iloc[0]
    assert row["n_uncoded"] == "<5" and "x" in {row["n_segments"], row["n_coded"]}
    drawn = table[["wp", "n_segments", "n_coded"]]  # bars of all and of coded entries, drawn exactly
    with pytest.raises(PipelineError, match=r"disclosure audit: the figure lets a reader recover.*n_uncoded"):
        reg.figure("coded_bars", _figure(), caption=CAPTION, data=drawn, count_columns=["n_segments", "n_coded"],
                   cell_ids={"n_segments": "seg/{wp}", "n_coded": "coded/{wp}"})
    assert not (tmp_path / "figures" / "diaries" / "coded_bars.png").exists()
    # drawn from the published table, nothing is recovered
    reg.figure("coded_bars", _figure(), caption=CAPTION, data="coverage")
    assert reg.items[-1]["data"] == {"table": "coverage"}


def test_figure_data_records_and_other_forms(tmp_path):
    reg = Registry.for_run("workshops", root=tmp_path, min_cell_size=5)
    drawn = pd.DataFrame({"speaker_role": ["young_person", "social_worker"], "n_segments": [40, 12]})
    reg.figure("audited", _figure(), caption=CAPTION, data=drawn)
    item = reg.items[-1]
    assert item["data"] == {"audited": True, "count_columns": ["n_segments"]}
    assert [c[1] for c in item["audit"]["cells"]] == [40.0, 12.0]
    reg.figure("statistics", _figure(), caption=CAPTION, no_counts="medians of groups of at least k")
    assert reg.items[-1]["data"] == {"no_counts": "medians of groups of at least k"}
    reg.figure("unaudited", _figure(), caption=CAPTION)
    assert reg.items[-1]["data"] == {"audited": False}
    with pytest.raises(DataError, match="not both"):
        reg.figure("both", _figure(), caption=CAPTION, data=drawn, no_counts="x")
    with pytest.raises(DataError, match="has not published"):
        reg.figure("unknown", _figure(), caption=CAPTION, data="no_such_table")


def test_heatmap_data_hides_what_the_heatmap_does_not_draw():
    freqs = pd.DataFrame({"speaker_role": ["young_person", "young_person", "social_worker"],
                          "code": ["a", "b", "a"], "n_segments": [3, 12, 0], "n_total": [40, 40, 20],
                          "share": [0.075, 0.3, 0.0]})
    drawn = cplots.heatmap_data(freqs, min_cell_size=5)
    assert drawn["n_segments"].tolist() == ["<5", 12, 0]
    ax = cplots.code_heatmap(freqs, min_cell_size=5)
    texts = [t.get_text() for t in ax.texts]
    assert not any("(3)" in t for t in texts)


def test_theme_timeline_draws_a_published_table_without_its_hidden_cells():
    published = pd.DataFrame({"code": ["a", "a"], "quarter": ["2024Q1", "2024Q2"],
                              "n_entries": ["x", 12], "n_coded": ["<5", 7], "share": [None, 7 / 12]})
    fig = cplots.theme_timeline(published)
    top = fig.axes[0]
    heights = [bar.get_height() for bar in top.patches]
    assert heights == [0.0, 12.0]
    assert [t.get_text() for t in top.texts][:2] == ["x", "12"]


def _survey():
    from analysis.survey import apply_instrument, load_instrument
    from analysis.survey.examples import example_export
    from analysis.workspace import PACKAGE_PROJECT_DIR

    inst = load_instrument(PACKAGE_PROJECT_DIR / "config" / "instrument_professionals.yaml")
    waves = [apply_instrument(example_export(inst, 24, seed=seed), inst, source_id=wave, source_file=f"{wave}.xlsx",
                              wave=wave) for seed, wave in ((1, "baseline"), (2, "followup"))]
    return (inst, pd.concat([w.responses for w in waves], ignore_index=True),
            pd.concat([w.respondents for w in waves], ignore_index=True))


def test_likert_bars_are_audited_with_the_item_totals(tmp_path):
    """The Likert bars register their counts; one hidden count per item would be its valid answers minus the rest."""
    from analysis.survey import plots as splots
    from analysis.survey.summary import missingness

    inst, responses, _ = _survey()
    reg = Registry.for_run("survey", root=tmp_path, min_cell_size=5)
    items = inst.scale("role_clarity").items
    valid = [{"column": "n_valid", "by": ["item"], "total": "valid/{item}"}]
    answers = missingness(responses, items)[["wave", "item", "n_valid"]]  # the valid answers of each wave, shown
    assert answers["n_valid"].min() >= 5
    reg.table("valid_answers", answers, caption=CAPTION, count_columns=["n_valid"], sums=valid)
    drawn = splots.likert_counts(responses, inst, "role_clarity", by=None, min_n=5)  # one group: none left out
    assert drawn["n"].eq("<5").any() and drawn["n"].eq("x").any()
    sums = [{"column": "n", "by": ["item"], "total": "valid/{item}"}]

    def draw(lang):
        return splots.likert_diverging(responses, inst, "role_clarity", by=None, language=lang, min_n=5).figure

    # the "x" cells drawn after all: the item's valid answers minus the drawn ones give a "<5" away
    true = splots.likert_counts(responses, inst, "role_clarity", by=None)
    planted = drawn.merge(true, on=["item", "group", "value"], how="left", suffixes=("", "_true"))
    planted = planted.assign(n=planted["n"].where(planted["n"].ne("x"), planted["n_true"]))[list(drawn.columns)]
    with pytest.raises(PipelineError, match=r"figure 'likert'.*recover"):
        reg.figure("likert", draw, caption=CAPTION, data=planted, count_columns=["n"], sums=sums)
    reg.figure("likert", draw, caption=CAPTION, data=drawn, count_columns=["n"], sums=sums)
    item = reg.wait().items[-1]
    assert item["data"] == {"audited": True, "count_columns": ["n"]}
    assert (tmp_path / "figures" / "survey" / "likert.png").is_file()


def test_the_missingness_figure_registers_what_it_draws(tmp_path):
    """Shares of missing answers with the wave's n are counts: 1…k-1 are not drawn, and a drawn one fails."""
    from analysis import quality

    _, responses, _ = _survey()
    miss = quality.missingness_by_survey(responses.assign(survey_id="professionals"))
    assert ((miss["missing"] > 0) & (miss["missing"] < 5)).any()
    reg = Registry.for_run("data_quality", root=tmp_path, min_cell_size=5)
    with pytest.raises(DataError, match="below the small-cell limit 5 in column 'n_missing'"):
        reg.figure("missingness", quality.plot_missingness(miss).figure, caption=CAPTION,
                   data=quality.missingness_figure_data(miss), count_columns=["n", "n_missing"])
    drawn = quality.missingness_figure_data(miss, min_n=5)
    ax = quality.plot_missingness(miss, min_n=5)
    small = drawn["n_missing"].eq("<5")
    assert sum(t.get_text() == "<5" for t in ax.texts) == int(small.sum())  # the marker stands in for the bar
    widths = [p.get_width() for p in ax.patches]
    assert sum(w > 0 for w in widths) == int((pd.to_numeric(drawn["n_missing"], errors="coerce") > 0).sum())
    reg.figure("missingness", ax.figure, caption=CAPTION, data=drawn, count_columns=["n", "n_missing"])
    assert reg.items[-1]["data"]["audited"] is True

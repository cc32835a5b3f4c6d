"""Survey figures: Axes (one panel, ``ax=``) or Figures (panels), Finnish (default) or English labels."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from analysis.survey import apply_instrument, load_instrument, scale_scores  # noqa: E402
from analysis.survey.compare import compare_waves  # noqa: E402
from analysis.survey.examples import example_export  # noqa: E402
from analysis.survey.needs import prevalence  # noqa: E402
from analysis.survey.plots import (forest_plot, likert_counts, likert_diverging, likert_omitted_groups,  # noqa: E402
                                   prevalence_plot, scale_scores_omitted, scale_scores_plot)
from analysis.workspace import PACKAGE_PROJECT_DIR  # noqa: E402

CONFIG = PACKAGE_PROJECT_DIR / "config"


@pytest.fixture(scope="module")
def data():
    inst = load_instrument(CONFIG / "instrument_professionals.yaml")
    b = apply_instrument(example_export(inst, 24, seed=1), inst, source_id="b", source_file="b.xlsx", wave="baseline")
    f = apply_instrument(example_export(inst, 24, seed=2, codes=[f"K{i:03d}" for i in range(8, 32)],
                                        shift={"role_clarity": 1.0}),
                         inst, source_id="f", source_file="f.xlsx", wave="followup")
    responses = pd.concat([b.responses, f.responses], ignore_index=True)
    respondents = pd.concat([b.respondents, f.respondents], ignore_index=True)
    return inst, responses, respondents


def _texts(fig):
    fig = fig.figure if isinstance(fig, Axes) else fig
    out = []
    for ax in fig.axes:
        out += [t.get_text() for t in ax.get_yticklabels() + ax.get_xticklabels() + ax.texts]
        out += [ax.get_xlabel(), ax.get_ylabel(), ax.get_title()]
        if ax.get_legend():
            out += [t.get_text() for t in ax.get_legend().get_texts()]
    for legend in fig.legends:
        out += [t.get_text() for t in legend.get_texts()]
    return " ".join(out)


def test_likert_diverging_fi_and_en(data):
    inst, responses, respondents = data
    fig = likert_diverging(responses, inst, "role_clarity", respondents=respondents, by="role").figure
    assert isinstance(fig, Figure)
    text = _texts(fig)
    assert "Roolien selkeys" in text and "Täysin samaa mieltä" in text and "(käänteinen)" in text
    assert "sosiaalityöntekijä" in text
    plt.close(fig)
    fig = likert_diverging(responses, inst, "role_clarity", respondents=respondents, by="role", language="en").figure
    text = _texts(fig)
    assert "Role clarity" in text and "Strongly agree" in text and "social worker" in text
    plt.close(fig)


def test_scale_scores_plot_has_paired_lines(data):
    inst, responses, respondents = data
    scores = scale_scores(responses, inst)
    fig = scale_scores_plot(scores, respondents.rename(columns={"respondent_code": "respondent"}),
                            instrument=inst, language="en")
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_title()]
    assert len(panels) == 5  # the sixth, empty place holds the legend
    first = fig.axes[0]
    # 16 respondents are in both waves: one paired line per linked respondent with a score, in one collection
    lines = [c for c in first.collections if c.get_label() == "_paired"]
    assert len(lines) == 1
    people = respondents.rename(columns={"respondent_code": "respondent"})
    linked = scores[scores["scale"] == scores["scale"].iloc[0]].dropna(subset=["score"]).merge(people)
    linked = linked.groupby("respondent")["wave"].nunique()
    segments = lines[0].get_segments()
    assert len(segments) == int((linked == 2).sum()) >= 10
    for segment in segments:  # from the baseline column of a group to its follow-up column
        assert segment[0][0] < 0.5 < segment[1][0]
    assert "Role clarity" in _texts(fig)
    plt.close(fig)


def test_scale_scores_plot_is_the_same_under_other_pseudonyms(data):
    # another key file gives the same people other codes, in another order: the figure stays the same
    from analysis.findings.style import render_figure

    inst, responses, respondents = data
    codes = sorted(set(respondents["respondent_code"]))
    other = {c: f"R{9000 - i}" for i, c in enumerate(codes)}  # the codes' order reversed

    def png(mapping):
        resp = responses.assign(respondent_code=responses["respondent_code"].map(mapping))
        people = respondents.assign(respondent_code=respondents["respondent_code"].map(mapping))
        fig = scale_scores_plot(scale_scores(resp, inst), people.rename(columns={"respondent_code": "respondent"}),
                                instrument=inst)
        out = render_figure(fig)["png"]
        plt.close(fig)
        return out

    assert png(other) == png({c: c for c in codes})


def test_forest_and_prevalence_plots(data):
    inst, responses, _ = data
    paired, _ = compare_waves(scale_scores(responses, inst).rename(columns={}), instrument=inst)
    ax = forest_plot(paired)
    assert isinstance(ax, Axes) and len(ax.figure.axes) == 2  # the estimates and, at the right, the annotations
    assert "Roolien selkeys" in _texts(ax)
    plt.close(ax.figure)
    needs = load_instrument(CONFIG / "instrument_needs.yaml")
    long = pd.DataFrame({"wave": "single", "respondent": [f"N{i}" for i in range(10) for _ in needs.item_ids],
                         "item": needs.item_ids * 10,
                         "value": [float((i + j) % 3 == 0) for i in range(10) for j in range(len(needs.item_ids))]})
    prev = prevalence(long, needs)
    ax = prevalence_plot(prev, language="en")
    assert isinstance(ax, Axes) and "Housing" in _texts(ax)
    plt.close(ax.figure)


def test_groups_below_the_small_cell_limit_are_not_drawn(data):
    inst, responses, respondents = data
    respondents = respondents.rename(columns={"respondent_code": "respondent"})
    sizes = respondents.groupby(["role", "wave"]).size()
    k = int(sizes.min()) + 1  # the smallest role × wave group falls below the limit
    scores = scale_scores(responses.rename(columns={"respondent_code": "respondent"}), inst)
    fig = scale_scores_plot(scores, respondents, instrument=inst, language="en", min_n=k)
    assert not hasattr(fig, "omitted_groups")  # results are returned by their own function, not attached
    assert scale_scores_omitted(scores, respondents, min_n=k) == sorted(key for key, n in sizes.items() if n < k)
    assert scale_scores_omitted(scores, respondents) == []
    answers = responses[responses["item"] == "rc1"].dropna(subset=["value"]).merge(
        respondents.rename(columns={"respondent": "respondent_code"})[["respondent_code", "wave", "role"]])
    per_wave = answers.groupby(["role", "wave"]).size()
    k_items = int(per_wave.min()) + 1  # k applies to each wave, not to both waves pooled
    by_role = {"respondents": respondents.rename(columns={"respondent": "respondent_code"}), "min_n": k_items}
    likert = likert_diverging(responses, inst, "role_clarity", language="en", **by_role)
    counts = likert_counts(responses, inst, "role_clarity", **by_role)
    omitted = likert_omitted_groups(counts)
    assert omitted == sorted({role for (role, _), n in per_wave.items() if n < k_items})
    left_out = counts[counts["role"].isin(omitted)]  # one row per item: counted in the item's total, not drawn
    assert len(left_out) == len(inst.scale("role_clarity").items) and left_out["n"].eq("x").all()
    pooled = answers.groupby("role").size()
    assert any(pooled[role] >= k_items for role in omitted)  # pooled it would have been drawn
    drawn = {t.get_text() for t in likert.get_yticklabels()}
    for role in omitted:
        assert all(role.replace("_", " ") not in label for label in drawn)
    plt.close("all")


def test_one_panel_plots_draw_into_a_given_axes(data):
    """``ax=`` is drawn into and returned, the figure keeps its size; the panels go into ``axes=``."""
    inst, responses, respondents = data
    scores = scale_scores(responses, inst)
    paired, _ = compare_waves(scores, instrument=inst)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    assert likert_diverging(responses, inst, "role_clarity", respondents=respondents, ax=left) is left
    assert forest_plot(paired, ax=right) is right
    assert len(fig.axes) == 2 and tuple(fig.get_size_inches()) == (10.0, 4.0)
    assert left.get_legend() is not None and not fig.legends  # the legend below the given Axes
    assert any("W = " in t.get_text() or "r = " in t.get_text() for t in right.texts)  # annotations at its right
    panels = plt.subplots(1, 6)[1]
    out = scale_scores_plot(scores, respondents.rename(columns={"respondent_code": "respondent"}), instrument=inst,
                            language="en", axes=panels)
    assert out is panels[0].figure and panels[5].get_legend() is not None
    with pytest.raises(ValueError, match="5 scales need 5 Axes"):
        scale_scores_plot(scores, axes=panels[:2])
    plt.close("all")


def test_likert_counts_are_what_the_bars_draw(data):
    """Answer values of 1…k-1 answers are not drawn ("<k"), nor one more of the item ("x"), nor small groups."""
    inst, responses, respondents = data
    k = 4
    counts = likert_counts(responses, inst, "role_clarity", respondents=respondents, by="role", min_n=k)
    assert list(counts.columns) == ["item", "role", "value", "n"]
    numbers = pd.to_numeric(counts["n"], errors="coerce")
    assert not ((numbers > 0) & (numbers < k)).any()  # nothing drawn is a small count
    raw = (responses[responses["item"].isin(inst.scale("role_clarity").items)].dropna(subset=["value"])
           .merge(respondents[["respondent_code", "wave", "role"]]).groupby(["item", "role", "value"]).size())
    drawn = counts[counts["value"].notna()].set_index(["item", "role", "value"])["n"]
    for key, n in drawn.items():
        assert n == (f"<{k}" if 0 < raw[key] < k else "x") if isinstance(n, str) else n == raw[key]
    for item, part in counts.groupby("item"):  # a hidden count never stands alone: the item total is published
        assert part["n"].eq(f"<{k}").sum() == 0 or part["n"].eq("x").any()
    omitted = likert_omitted_groups(counts)
    # the bars: the shares of the drawn answers of each group, hidden values take no room
    ax = likert_diverging(responses, inst, "role_clarity", respondents=respondents, by="role", min_n=k)
    assert "not drawn" in likert_diverging(responses, inst, "role_clarity", respondents=respondents, by="role",
                                           min_n=k, language="en").get_xlabel()
    n_levels = len(inst.answer_set_of(inst.scale("role_clarity").items[0]).allowed_values)
    by_value = [c for c in ax.collections if isinstance(c, PolyCollection)]  # one collection per answer value
    assert len(by_value) == n_levels and not ax.patches
    widths = [[float(np.ptp(path.vertices[:4, 0])) for path in c.get_paths()] for c in by_value]
    bars = [list(bar) for bar in zip(*widths)]  # the segments of each bar, one per answer value
    rows = [(item, role) for item in inst.scale("role_clarity").items
            for role in sorted(set(counts["role"]) - set(omitted)) if (item, role) in drawn.index.droplevel(2)]
    assert len(bars) == len(rows)
    for (item, role), bar in zip(rows, bars):
        shown = pd.to_numeric(drawn.loc[(item, role)], errors="coerce")
        assert sum(bar) == pytest.approx(100.0)
        expected = (shown.reindex(inst.answer_set_of(item).allowed_values).fillna(0) / shown.sum() * 100).tolist()
        assert bar == pytest.approx(expected)
    # without the limit everything is drawn, as before
    plain = likert_counts(responses, inst, "role_clarity", respondents=respondents, by="role")
    assert pd.to_numeric(plain["n"]).sum() == raw.sum()
    plt.close("all")


def test_a_limit_that_hides_nothing_draws_the_same_bytes(data):
    """The limit changes a Likert figure only where it hides something."""
    from analysis.findings.style import render_figure

    inst, responses, respondents = data
    figures = [likert_diverging(responses, inst, "role_clarity", respondents=respondents, min_n=k).figure
               for k in (0, 1)]
    assert render_figure(figures[0]) == render_figure(figures[1])
    plt.close("all")


def test_counts_given_draw_the_same_bytes_and_wrong_counts_are_refused(data):
    """``counts=`` (what the notebook registers) saves counting again; it must be the same counts."""
    from analysis.findings.style import render_figure

    inst, responses, respondents = data
    k = 5
    args = dict(respondents=respondents, by="role", min_n=k)
    counts = likert_counts(responses, inst, "role_clarity", **args)
    counted = likert_diverging(responses, inst, "role_clarity", **args).figure
    given = likert_diverging(responses, inst, "role_clarity", counts=counts, **args).figure
    assert render_figure(counted) == render_figure(given)
    wrong = counts[counts["item"] != counts["item"].iloc[0]]  # an item left out
    with pytest.raises(ValueError, match="not the likert_counts"):
        likert_diverging(responses, inst, "role_clarity", counts=wrong, **args)
    plt.close("all")

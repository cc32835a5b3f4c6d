"""Survey figures return matplotlib Figures with Finnish (default) or English labels."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from analysis.survey import apply_instrument, load_instrument, scale_scores  # noqa: E402
from analysis.survey.compare import compare_waves  # noqa: E402
from analysis.survey.examples import example_export  # noqa: E402
from analysis.survey.needs import prevalence  # noqa: E402
from analysis.survey.plots import forest_plot, likert_diverging, prevalence_plot, scale_scores_plot  # noqa: E402
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
    fig = likert_diverging(responses, inst, "role_clarity", respondents=respondents, by="role")
    assert isinstance(fig, Figure)
    text = _texts(fig)
    assert "Roolien selkeys" in text and "Täysin samaa mieltä" in text and "(käänteinen)" in text
    assert "sosiaalityöntekijä" in text
    plt.close(fig)
    fig = likert_diverging(responses, inst, "role_clarity", respondents=respondents, by="role", language="en")
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
    # 16 respondents are in both waves: at least one paired line per linked respondent with a score
    assert len(first.lines) >= 10
    assert "Role clarity" in _texts(fig)
    plt.close(fig)


def test_forest_and_prevalence_plots(data):
    inst, responses, _ = data
    paired, _ = compare_waves(scale_scores(responses, inst).rename(columns={}), instrument=inst)
    fig = forest_plot(paired)
    assert "Roolien selkeys" in _texts(fig)
    plt.close(fig)
    needs = load_instrument(CONFIG / "instrument_needs.yaml")
    long = pd.DataFrame({"wave": "single", "respondent": [f"N{i}" for i in range(10) for _ in needs.item_ids],
                         "item": needs.item_ids * 10,
                         "value": [float((i + j) % 3 == 0) for i in range(10) for j in range(len(needs.item_ids))]})
    prev = prevalence(long, needs)
    fig = prevalence_plot(prev, language="en")
    assert "Housing" in _texts(fig)
    plt.close(fig)


def test_groups_below_the_small_cell_limit_are_not_drawn(data):
    inst, responses, respondents = data
    respondents = respondents.rename(columns={"respondent_code": "respondent"})
    sizes = respondents.groupby(["role", "wave"]).size()
    k = int(sizes.min()) + 1  # the smallest role × wave group falls below the limit
    scores = scale_scores(responses.rename(columns={"respondent_code": "respondent"}), inst)
    fig = scale_scores_plot(scores, respondents, instrument=inst, language="en", min_n=k)
    assert fig.omitted_groups == sorted(key for key, n in sizes.items() if n < k)
    assert scale_scores_plot(scores, respondents, instrument=inst).omitted_groups == []
    answers = responses[responses["item"] == "rc1"].dropna(subset=["value"]).merge(
        respondents.rename(columns={"respondent": "respondent_code"})[["respondent_code", "wave", "role"]])
    per_wave = answers.groupby(["role", "wave"]).size()
    k_items = int(per_wave.min()) + 1  # k applies to each wave, not to both waves pooled
    likert = likert_diverging(responses, inst, "role_clarity", language="en", min_n=k_items,
                              respondents=respondents.rename(columns={"respondent": "respondent_code"}))
    assert likert.omitted_groups == sorted({role for (role, _), n in per_wave.items() if n < k_items})
    pooled = answers.groupby("role").size()
    assert any(pooled[role] >= k_items for role in likert.omitted_groups)  # pooled it would have been drawn
    drawn = {t.get_text() for t in likert.axes[0].get_yticklabels()}
    for role in likert.omitted_groups:
        assert all(role.replace("_", " ") not in label for label in drawn)
    plt.close("all")

"""Exploratory topic model and the coding figures."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from analysis.coding import plots
from analysis.coding.codebook import Codebook
from analysis.coding.matrices import code_frequencies, code_timeline, code_cooccurrence
from analysis.coding.topics import EXPLORATION_NOTE, fit_topics, representative_segments, topic_weights_by_group
from analysis.errors import DataError

HOUSING = ["asunto", "vuokra", "kämppä", "muutto", "vuokranantaja", "tukiasunto"]
PEERS = ["vertaisryhmä", "tavata", "kahvi", "ryhmä", "jutella", "ilta"]


def corpus() -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, segs = [], []
    for i in range(12):
        bank = HOUSING if i % 2 == 0 else PEERS
        lemmas = [bank[(i + k) % len(bank)] for k in range(4)] + ["olla", "nuori"]
        segs.append({"segment_id": f"s{i:02d}", "speaker_role": "young_person" if i < 6 else "social_worker",
                     "text": "Tämä on esimerkkisegmentti, jossa puhutaan " + " ja ".join(lemmas) + "."})
        for pos, lemma in enumerate(lemmas):
            rows.append({"segment_id": f"s{i:02d}", "position": pos, "lemma": lemma,
                         "is_stopword": lemma in ("olla",)})
    return pd.DataFrame(segs), pd.DataFrame(rows)


def test_topics_separate_two_themes_and_are_deterministic():
    segments, tokens = corpus()
    model = fit_topics(tokens, n_topics=2, n_terms=5, min_df=2, max_df=0.9)
    again = fit_topics(tokens.sample(frac=1, random_state=1), n_topics=2, n_terms=5, min_df=2, max_df=0.9)
    pd.testing.assert_frame_equal(model.terms, again.terms)
    tops = [set(g["term"]) for _, g in model.terms.groupby("topic")]
    assert any(t <= set(HOUSING) for t in tops) and any(t <= set(PEERS) for t in tops)
    assert "olla" not in set(model.terms["term"])  # stopword
    assert "nuori" not in set(model.terms["term"])  # in every segment: above max_df
    summary = model.summary()
    assert summary["n_segments"].sum() == 12 and list(summary.columns) == ["topic", "label", "terms", "n_segments"]
    reps = representative_segments(model, segments, n=2, min_chars=10)
    assert reps.groupby("topic").size().tolist() == [2, 2]
    by_role = topic_weights_by_group(model, segments, "speaker_role")
    assert set(by_role["speaker_role"]) == {"young_person", "social_worker"}
    assert model.note == EXPLORATION_NOTE and "exploratory" in model.note["en"].lower()


def test_topics_refuse_too_little_text():
    _, tokens = corpus()
    with pytest.raises(DataError, match="topics"):
        fit_topics(tokens[tokens["segment_id"] == "s00"], n_topics=3)


CB = Codebook.from_dict({"version": 1, "themes": [
    {"id": "housing", "name": {"fi": "Tuettu asuminen", "en": "Supported housing"}, "colour": "#DDCC77",
     "rules": {"lemmas": ["asunto"]}},
    {"id": "money", "name": {"fi": "Raha", "en": "Money"}, "colour": "#CC6677", "rules": {"lemmas": ["raha"]}}]})
SEG = pd.DataFrame({"segment_id": list("abcdef"), "speaker_role": ["young_person"] * 3 + ["social_worker"] * 3,
                    "date": ["2024-03-01", "2024-05-01", "2024-08-01", "2025-01-01", "2025-02-01", "2025-06-01"]})
COD = pd.DataFrame({"segment_id": list("abde"), "code": ["housing", "money", "housing", "housing"]})


@pytest.mark.parametrize("language, role, theme", [("fi", "nuori", "Tuettu asuminen"),
                                                   ("en", "young person", "Supported housing")])
def test_heatmaps_use_labels_of_the_language(language, role, theme):
    freqs = code_frequencies(COD, SEG, CB, by="speaker_role")
    ax = plots.code_heatmap(freqs, by="speaker_role", codebook=CB, language=language, min_cell_size=2)
    assert isinstance(ax, Axes) and len(ax.figure.axes) == 2  # the heatmap and its colour bar
    assert role in [t.get_text() for t in ax.get_xticklabels()]
    assert [t.get_text() for t in ax.get_yticklabels()][0] == theme
    texts = [t.get_text() for t in ax.texts]
    assert any("(2)" in t for t in texts)  # housing among social workers: 2 of 3
    assert not any("(1)" in t for t in texts)  # 1 < min_cell_size: greyed, not labelled
    cooc = code_cooccurrence(COD, SEG, CB)
    ax2 = plots.cooccurrence_heatmap(cooc, codebook=CB, language=language)
    assert theme in [t.get_text() for t in ax2.get_yticklabels()]
    matplotlib.pyplot.close("all")


def test_theme_timeline_shows_counts_per_quarter():
    tl = code_timeline(COD, SEG, CB)
    fig = plots.theme_timeline(tl, codebook=CB, language="en")
    top, bottom = fig.axes[0], fig.axes[1]
    assert [round(p.get_height()) for p in top.patches] == [1, 1, 1, 0, 2, 1]
    assert [t.get_text() for t in bottom.get_legend().get_texts()] == ["Supported housing", "Money"]
    housing_line = bottom.get_lines()[0]
    assert list(housing_line.get_ydata()) == [1, 0, 0, 0, 2, 0]
    fig_share = plots.theme_timeline(tl, codebook=CB, value="share", language="fi")
    assert fig_share.axes[1].get_ylim() == (0.0, 1.0)
    with pytest.raises(DataError):
        plots.theme_timeline(tl.drop(columns="n_entries"))
    matplotlib.pyplot.close("all")


def test_topic_terms_plot():
    _, tokens = corpus()
    fig = plots.topic_terms_plot(fit_topics(tokens, n_topics=2, min_df=2, max_df=0.9).terms, language="fi")
    assert sum(ax.get_visible() for ax in fig.axes) == 2
    matplotlib.pyplot.close("all")


def test_coding_plots_draw_into_given_axes():
    """The heatmaps draw into ``ax=`` and return it; the timeline and the topics into ``axes=``."""
    freqs = code_frequencies(COD, SEG, CB, by="speaker_role")
    fig, (left, right) = matplotlib.pyplot.subplots(1, 2, figsize=(8, 3))
    assert plots.code_heatmap(freqs, by="speaker_role", codebook=CB, ax=left) is left
    assert plots.cooccurrence_heatmap(code_cooccurrence(COD, SEG, CB), codebook=CB, ax=right) is right
    assert len(fig.axes) == 4 and tuple(fig.get_size_inches()) == (8.0, 3.0)  # two heatmaps, two colour bars
    fig2, (top, bottom) = matplotlib.pyplot.subplots(2, 1)
    assert plots.theme_timeline(code_timeline(COD, SEG, CB), codebook=CB, axes=(top, bottom)) is fig2
    assert [round(p.get_height()) for p in top.patches] == [1, 1, 1, 0, 2, 1] and bottom.get_legend() is not None
    _, tokens = corpus()
    terms = fit_topics(tokens, n_topics=2, min_df=2, max_df=0.9).terms
    fig3, panels = matplotlib.pyplot.subplots(1, 2)
    assert plots.topic_terms_plot(terms, axes=panels) is fig3 and [a.get_title() for a in panels] == ["T1", "T2"]
    with pytest.raises(ValueError, match="2 topics need 2 Axes"):
        plots.topic_terms_plot(terms, axes=panels[:1])
    matplotlib.pyplot.close("all")

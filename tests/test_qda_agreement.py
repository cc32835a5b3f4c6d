"""Inter-coder agreement: published worked examples, cross-checks with NLTK, krippendorff and
scikit-learn, the bootstrap, coverage, and the auto-coder against humans."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import krippendorff
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure
from nltk.metrics.agreement import AnnotationTask
from sklearn.metrics import cohen_kappa_score, precision_recall_fscore_support

from analysis.coding.agreement import (
    MEAN,
    OVERALL,
    agreement_table,
    auto_vs_human,
    cohen_kappa,
    coverage_table,
    disagreements,
    krippendorff_alpha,
    percent_agreement,
    plot_precision_recall,
    reliability_data,
)
from analysis.errors import DataError

nan = np.nan

#: Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability. Annenberg School for
#: Communication, University of Pennsylvania, section C ("nominal data, any number of
#: observers, missing data"): 4 observers x 12 units, alpha (nominal) = 0.743.
KRIPPENDORFF_2011_DATA = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
]
KRIPPENDORFF_2011_ALPHA_NOMINAL = 0.743

#: Wikipedia, "Cohen's kappa", worked example: 50 grant proposals, readers A and B;
#: yes/yes 20, A yes & B no 5, A no & B yes 10, no/no 15 -> p_o = 0.70, p_e = 0.50, kappa = 0.40.
COHEN_WIKIPEDIA_TABLE = {("yes", "yes"): 20, ("yes", "no"): 5, ("no", "yes"): 10, ("no", "no"): 15}
COHEN_WIKIPEDIA_KAPPA = 0.40


def _wikipedia_pairs():
    a, b = [], []
    for (x, y), n in COHEN_WIKIPEDIA_TABLE.items():
        a += [x] * n
        b += [y] * n
    return a, b


def test_krippendorff_2011_worked_example():
    assert round(krippendorff_alpha(KRIPPENDORFF_2011_DATA), 3) == KRIPPENDORFF_2011_ALPHA_NOMINAL
    assert krippendorff_alpha(KRIPPENDORFF_2011_DATA) == pytest.approx(
        krippendorff.alpha(reliability_data=KRIPPENDORFF_2011_DATA, level_of_measurement="nominal"))


def test_cohen_wikipedia_worked_example():
    a, b = _wikipedia_pairs()
    assert cohen_kappa(a, b) == pytest.approx(COHEN_WIKIPEDIA_KAPPA)
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))
    assert percent_agreement([a, b]) == pytest.approx(0.70)


def test_cohen_example_through_the_codings_table():
    """The same 50 units as segments coded with one binary code by two coders."""
    a, b = _wikipedia_pairs()
    units = [f"s{i:02d}" for i in range(50)]
    rows = [(u, "money", "A") for u, x in zip(units, a) if x == "yes"]
    rows += [(u, "money", "B") for u, y in zip(units, b) if y == "yes"]
    codings = pd.DataFrame(rows, columns=["segment_id", "code", "coder"])
    table = agreement_table(codings, units, n_boot=0).set_index("code")
    assert table.loc["money", "kappa"] == pytest.approx(0.40)
    assert table.loc["money", "percent_agreement"] == pytest.approx(0.70)
    assert table.loc["money", "n_units"] == 50 and table.loc["money", "n_positive"] == 25 + 30


def _simulated(n_units=120, coders=("K1", "K2", "K3"), codes=("housing", "money", "roles"), seed=5, missing=0.0):
    rng = np.random.default_rng(seed)
    units = [f"W01-t{i:04d}" for i in range(1, n_units + 1)]
    rows, seen = [], []
    truth = {(u, c): rng.random() < 0.3 for u in units for c in codes}
    for coder in coders:
        for u in units:
            if rng.random() < missing:
                continue
            seen.append((u, coder))
            for c in codes:
                value = truth[(u, c)] if rng.random() > 0.12 else not truth[(u, c)]
                if value:
                    rows.append((u, c, coder))
    return (pd.DataFrame(rows, columns=["segment_id", "code", "coder"]), units,
            pd.DataFrame(seen, columns=["segment_id", "coder"]))


@pytest.mark.parametrize("coders", [("K1", "K2"), ("K1", "K2", "K3")])
def test_agrees_with_nltk_annotation_task(coders):
    codings, units, _ = _simulated(coders=coders)
    table = agreement_table(codings, units, n_boot=0).set_index("code")
    data = reliability_data(codings, units)
    for code in ("housing", "money", "roles"):
        part = data[data["code"] == code]
        task = AnnotationTask(data=[(r.coder, r.segment_id, int(r.value)) for r in part.itertuples()])
        assert table.loc[code, "alpha"] == pytest.approx(task.alpha())
        assert table.loc[code, "kappa"] == pytest.approx(task.kappa())
    pooled = AnnotationTask(data=[(r.coder, f"{r.segment_id}|{r.code}", int(r.value)) for r in data.itertuples()])
    assert table.loc[OVERALL, "alpha"] == pytest.approx(pooled.alpha())
    assert table.loc[OVERALL, "kappa"] == pytest.approx(pooled.kappa())


def test_agrees_with_krippendorff_package_with_missing_codings():
    codings, units, seen = _simulated(missing=0.25, seed=11)
    table = agreement_table(codings, units, coverage=seen, n_boot=0).set_index("code")
    data = reliability_data(codings, units, coverage=seen)
    for code in ("housing", "money", "roles"):
        matrix = data[data["code"] == code].pivot(index="coder", columns="segment_id", values="value")
        assert np.isnan(matrix.to_numpy()).any()
        expected = krippendorff.alpha(reliability_data=matrix.to_numpy(), level_of_measurement="nominal")
        assert table.loc[code, "alpha"] == pytest.approx(expected)
    pooled = data.pivot_table(index="coder", columns=["segment_id", "code"], values="value", dropna=False)
    assert table.loc[OVERALL, "alpha"] == pytest.approx(
        krippendorff.alpha(reliability_data=pooled.to_numpy(), level_of_measurement="nominal"))
    assert table.loc[MEAN, "alpha"] == pytest.approx(table.loc[["housing", "money", "roles"], "alpha"].mean())


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=6, max_size=6), min_size=2, max_size=4))
def test_alpha_matches_krippendorff_package_on_random_data(rows):
    data = np.array([[nan if v is None else v for v in row] for row in rows], dtype=float)
    ours = krippendorff_alpha(data)
    counts = [(~np.isnan(col)).sum() for col in data.T]
    values = set(data[~np.isnan(data)].tolist())
    pairable = sum(c for c in counts if c >= 2)
    if len(values) < 2 or pairable < 2:
        return  # the package raises or divides by zero where alpha is undefined
    pairable_values = set(data[:, [c >= 2 for c in counts]][~np.isnan(data[:, [c >= 2 for c in counts]])].tolist())
    if len(pairable_values) < 2:
        assert np.isnan(ours)
        return
    assert ours == pytest.approx(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def test_bootstrap_is_deterministic_and_brackets_the_estimate():
    codings, units, _ = _simulated(n_units=150)
    first = agreement_table(codings, units, n_boot=400, seed=42)
    second = agreement_table(codings, units, n_boot=400, seed=42)
    other = agreement_table(codings, units, n_boot=400, seed=43)
    pd.testing.assert_frame_equal(first, second)
    assert not np.allclose(first["alpha_ci_low"], other["alpha_ci_low"])
    assert (first["alpha_ci_low"] < first["alpha"]).all() and (first["alpha"] < first["alpha_ci_high"]).all()
    assert (first["kappa_ci_low"] < first["kappa"]).all() and (first["kappa"] < first["kappa_ci_high"]).all()
    width = (first["alpha_ci_high"] - first["alpha_ci_low"]).set_axis(first["code"])
    assert width[OVERALL] < width["housing"]  # pooling three codes narrows the interval


def test_undefined_statistics_for_unused_code_and_labels():
    codings = pd.DataFrame({"segment_id": ["s1", "s1", "s2"], "code": ["roles", "roles", "roles"],
                            "coder": ["K1", "K2", "K1"]})
    codebook_table = pd.DataFrame({"code": ["roles", "money"], "parent": [None, None], "name_fi": ["Roolit", "Raha"],
                             "name_en": ["Roles", "Money"]})
    table = agreement_table(codings, ["s1", "s2", "s3"], codes=["roles", "money"], codebook_table=codebook_table,
                            n_boot=50).set_index("code")
    assert table.loc["money", "percent_agreement"] == 1.0
    assert np.isnan(table.loc["money", "alpha"]) and np.isnan(table.loc["money", "kappa"])
    assert table.loc["money", "name_fi"] == "Raha" and table.loc[OVERALL, "name_en"] == "All codes pooled"
    assert table.loc["roles", "percent_agreement"] == pytest.approx(2 / 3)


def test_coverage_rows_and_document():
    segments = pd.DataFrame({"segment_id": ["a1", "a2", "b1", "b2"], "doc_id": ["A", "A", "B", "B"]})
    codings = pd.DataFrame({"segment_id": ["a1", "b2", "a2"], "code": ["roles", "roles", None],
                            "coder": ["K1", "K2", "K2"]})
    by_doc = coverage_table(codings, segments["segment_id"], coders=["K1", "K2"], how="document", segments=segments)
    assert sorted(map(tuple, by_doc.to_numpy().tolist())) == [("a1", "K1"), ("a1", "K2"), ("a2", "K1"), ("a2", "K2"),
                                                             ("b1", "K2"), ("b2", "K2")]
    by_rows = coverage_table(codings, segments["segment_id"], coders=["K1", "K2"], how="rows")
    assert len(by_rows) == 3
    data = reliability_data(codings, segments["segment_id"], coverage="rows").set_index(["segment_id", "coder"])
    assert data.loc[("a2", "K2"), "value"] == 0 and np.isnan(data.loc[("a2", "K1"), "value"])
    with pytest.raises(DataError, match="needs the segments table"):
        coverage_table(codings, ["a1"], coders=["K1"], how="document")
    with pytest.raises(DataError, match="unknown coverage"):
        coverage_table(codings, ["a1"], coders=["K1"], how="some")


def test_rollup_counts_sub_themes_for_their_parent():
    codebook_table = pd.DataFrame({"code": ["housing", "finding_housing"], "parent": [None, "housing"]})
    codings = pd.DataFrame({"segment_id": ["s1", "s1"], "code": ["finding_housing", "housing"], "coder": ["K1", "K2"]})
    plain = agreement_table(codings, ["s1", "s2"], n_boot=0).set_index("code")
    rolled = agreement_table(codings, ["s1", "s2"], codebook_table=codebook_table, rollup=True, n_boot=0).set_index("code")
    assert plain.loc["housing", "percent_agreement"] == 0.5
    assert rolled.loc["housing", "percent_agreement"] == 1.0


def test_needs_two_coders():
    codings = pd.DataFrame({"segment_id": ["s1"], "code": ["roles"], "coder": ["K1"]})
    with pytest.raises(DataError, match="at least two coders"):
        agreement_table(codings, ["s1"])


# ----------------------------------------------------------------------------- auto vs human


def _auto_and_humans():
    codings, units, _ = _simulated(coders=("auto", "K1", "K2"), seed=8)
    segments = pd.DataFrame({"segment_id": units, "doc_id": "W01", "text": [f"Puheenvuoro {i}" for i in range(len(units))]})
    return codings, units, segments


def test_precision_recall_agree_with_scikit_learn():
    codings, units, _ = _auto_and_humans()
    scores = auto_vs_human(codings, units=units).set_index(["coder", "code"])
    data = reliability_data(codings, units).pivot_table(index=["code", "segment_id"], columns="coder", values="value")
    for coder in ("K1", "K2"):
        for code in ("housing", "money", "roles"):
            part = data.loc[code]
            p, r, f, _ = precision_recall_fscore_support(part[coder], part["auto"], average="binary")
            row = scores.loc[(coder, code)]
            assert (row["precision"], row["recall"], row["f1"]) == pytest.approx((p, r, f))
            assert row["kappa"] == pytest.approx(cohen_kappa_score(part[coder], part["auto"]))
            assert row["tp"] + row["fp"] + row["fn"] + row["tn"] == len(units)
        micro = precision_recall_fscore_support(data[coder], data["auto"], average="binary")
        assert scores.loc[(coder, OVERALL), "f1"] == pytest.approx(micro[2])


def test_disagreements_list_the_segments():
    codings, units, segments = _auto_and_humans()
    scores = auto_vs_human(codings, units=units).set_index(["coder", "code"])
    table = disagreements(codings, segments, coders=["K1"])
    assert list(table.columns) == ["segment_id", "code", "coder", "auto", "human", "kind", "text"]
    for code in ("housing", "money", "roles"):
        part = table[table["code"] == code]
        assert (part["kind"] == "auto_only").sum() == scores.loc[("K1", code), "fp"]
        assert (part["kind"] == "human_only").sum() == scores.loc[("K1", code), "fn"]
    assert (table["auto"] != table["human"]).all()
    assert table["text"].str.startswith("Puheenvuoro").all()
    # ordered by code (as found), then by segment
    first_code = table[table["code"] == table["code"].iloc[0]]
    assert first_code["segment_id"].tolist() == sorted(first_code["segment_id"])


def test_auto_vs_human_only_counts_segments_the_human_judged():
    codings = pd.DataFrame({"segment_id": ["s1", "s2", "s3", "s1", "s2"], "code": ["money"] * 4 + [None],
                            "coder": ["auto", "auto", "auto", "K1", "K1"]})
    scores = auto_vs_human(codings, units=["s1", "s2", "s3", "s4"], coverage="rows").set_index("code")
    assert scores.loc["money", "n_units"] == 2
    assert (scores.loc["money", "tp"], scores.loc["money", "fp"]) == (1, 1)
    with pytest.raises(DataError, match="no human coder"):
        auto_vs_human(codings[codings["coder"] == "auto"], units=["s1"])


@pytest.mark.parametrize("language", ["fi", "en"])
def test_plot_precision_recall_returns_its_axes(language):
    codings, units, _ = _auto_and_humans()
    scores = auto_vs_human(codings, units=units)
    ax = plot_precision_recall(scores, language=language)
    assert isinstance(ax.figure, Figure) and ax.figure.axes == [ax]
    given = Figure().subplots(1, 2)[1]
    assert plot_precision_recall(scores, language=language, ax=given) is given  # seaborn style: draws where told
    labels = {t.get_text(): t.get_position()[1] for t in ax.get_yticklabels()}
    pooled = "Kaikki koodit yhdessä" if language == "fi" else "All codes pooled"
    assert set(labels) == {"housing", "money", "roles", pooled}
    assert labels["housing"] > labels["roles"] > labels[pooled]  # codes top-down, the pooled row last
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:2] == (["Tarkkuus", "Saanti"] if language == "fi" else ["Precision", "Recall"])

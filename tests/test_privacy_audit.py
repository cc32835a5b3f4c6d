"""The disclosure audit: every recovery pattern is caught; secondary suppression fixes it."""

from __future__ import annotations

import json

import matplotlib
import pandas as pd
import pytest

from analysis.errors import DataError, PipelineError
from analysis.findings import Registry
from analysis.privacy.audit import AuditProblem, audit_registries, infer_row_relations

matplotlib.use("Agg")

CAPTION = {"fi": "Taulukko", "en": "Table"}


@pytest.fixture()
def reg(tmp_path):
    return Registry.for_run("demo", root=tmp_path)


def _audit_only(table: pd.DataFrame, k: int = 5, **relations) -> list[str]:
    """Audit a table exactly as published (no secondary suppression)."""
    problem = AuditProblem(k)
    for i, row in table.iterrows():
        for column in table.columns:
            if column != "label":
                problem.cell(f"{i}.{column}", row[column], table="t", row=i, column=column)
    for i in table.index:
        for total, parts in relations.get("rows", []):
            problem.relation(f"{i}.{total}", [f"{i}.{p}" for p in parts])
    return [str(e) for e in problem.audit().exposed]


# ------------------------------------------------------------------ planted patterns
def test_complement_in_a_row_is_caught():
    # the "En osaa sanoa" count of the report: n − n_valid − n_missing_code − n_empty
    table = pd.DataFrame({"n": [60], "n_valid": [55], "n_dont_know": ["<5"], "n_missing_code": [0],
                          "n_empty": [3]})
    found = _audit_only(table, rows=[("n", ["n_valid", "n_dont_know", "n_missing_code", "n_empty"])])
    assert found == ["table 't', row 0, column 'n_dont_know': a count below 5 is exactly 2 "
                     "(interval 2…2, needs one at least as wide as 1…4)"]


def test_two_small_cells_of_a_row_that_sum_to_little_are_caught():
    table = pd.DataFrame({"n": [60], "n_valid": [57], "a": ["<5"], "b": ["<5"]})
    found = _audit_only(table, rows=[("n", ["n_valid", "a", "b"])])
    assert len(found) == 2 and "lie in 1…2" in found[0]


def test_the_same_cell_in_two_tables_is_caught(reg):
    # a segment count shown as <5 in one table and as 3 in another
    reg.table("by_role", pd.DataFrame({"speaker_role": ["partner", "young_person"], "n_segments": [3, 40]}),
              caption=CAPTION, cell_ids={"n_segments": "segments/{speaker_role}"})
    assert reg.items[-1]["n_suppressed"]["primary"] == 1
    with pytest.raises(PipelineError, match=r"by_role', row 1 \(partner\), column 'n_segments'.*exactly 3"):
        reg.table("timeline", pd.DataFrame({"speaker_role": ["partner"], "n_entries": [3]}), caption=CAPTION,
                  count_columns=["n_entries"], suppress=False, cell_ids={"n_entries": "segments/{speaker_role}"})
    # suppressed by the same rule, the second table is consistent with the first
    reg.table("timeline", pd.DataFrame({"speaker_role": ["partner"], "n_entries": [3]}), caption=CAPTION,
              count_columns=["n_entries"], cell_ids={"n_entries": "segments/{speaker_role}"})


def test_a_total_minus_coded_in_another_table_is_caught_and_fixed(reg):
    # the uncoded count is <5 here …
    reg.table("coverage", pd.DataFrame({"wp": ["TP1", "TP2C"], "n_segments": [22, 33], "n_coded": [22, 31],
                                        "n_uncoded": [0, 2]}), caption=CAPTION,
              cell_ids={"n_segments": "seg/{wp}", "n_coded": "coded/{wp}", "n_uncoded": "uncoded/{wp}"})
    first = reg.items[-1]
    assert first["n_suppressed"]["audit_secondary"] == 1  # 33 = x + <5 is protected
    # … and another table shows total and coded: the audit hides one of them there too
    out = reg.table("totals", pd.DataFrame({"wp": ["TP2C"], "n_segments": [33], "n_coded": [31]}),
                    caption=CAPTION, cell_ids={"n_segments": "seg/{wp}", "n_coded": "coded/{wp}"})
    assert "x" in out.iloc[0].tolist()


def test_a_number_in_the_text_is_caught_and_withheld(reg):
    # "20 % of 5 entries" under a table that hides the 1
    reg.table("by_year", pd.DataFrame({"year": [1, 2], "n_entries": [5, 13], "n_worries": [1, 9]}),
              caption=CAPTION)
    sentence = reg.number("share_year1", 20.0, {"fi": "{value} %", "en": "{value} %"},
                          reveals={"table": "by_year", "row": {"year": 1}, "share": "n_worries",
                                   "of": "n_entries", "scale": 100})
    assert sentence == "– %"
    assert reg.items[-1]["withheld"] == "would expose a suppressed cell"
    # year 2's 9 is hidden as "x" only by the margin heuristic; nothing published links it to year 1
    assert reg.number("share_year2", 69.2, {"fi": "{value} %", "en": "{value} %"}, fmt=".0f",
                      reveals={"table": "by_year", "row": {"year": 2}, "share": "n_worries", "of": "n_entries",
                               "scale": 100}) == "69 %"
    # a number that reveals nothing hidden is published
    assert reg.number("entries_year2", 13, {"fi": "{value} merkintää", "en": "{value} entries"},
                      reveals={"table": "by_year", "row": {"year": 2}, "cell": "n_entries"}) == "13 merkintää"


def test_a_subset_statistic_is_caught(reg):
    # municipalities are published with Simo hidden; a subset's total (Kemi + Simo) gives it away
    reg.table("by_municipality", pd.DataFrame({"municipality": ["Kemi", "Simo", "Tornio"], "n": [20, 3, 17]}),
              caption=CAPTION, cell_ids={"n": "n/{municipality}"}, secondary=False)
    subset = pd.DataFrame({"subset": ["Kemi ja Simo"], "n_kemi": [20], "n_simo": [3], "n_subset": [23]})
    spec = dict(caption=CAPTION, count_columns=["n_kemi", "n_simo", "n_subset"],
                additive=[{"total": "n_subset", "parts": ["n_kemi", "n_simo"]}],
                cell_ids={"n_kemi": "n/Kemi", "n_simo": "n/Simo", "n_subset": "n/kemi+simo"})
    with pytest.raises(PipelineError, match=r"row 2 \(Simo\), column 'n'"):
        reg.table("subset", subset.assign(n_simo=["<5"]), suppress=False, **spec)
    out = reg.table("subset", subset, secondary=False, **spec)
    assert out.iloc[0]["n_subset"] == "x" and out.iloc[0]["n_kemi"] == 20   # Kemi is public anyway


def test_paired_statistic_of_few_persons_is_withheld(reg):
    table = pd.DataFrame({"scale": ["a", "b"], "n_pairs": [12, 2], "statistic": [50.0, 1.0],
                          "effect": [0.4, 1.0], "apa_fi": ["W = 50, r = 0,40", "W = 1, r = 1,00 [1,00; 1,00]"],
                          "groups": ["ST (n=12)", "ST (n=2)"]})
    out = reg.table("paired", table, caption=CAPTION, count_columns=["n_pairs"])
    assert out.loc[1, "apa_fi"] == "n < 5" and pd.isna(out.loc[1, "effect"]) and out.loc[1, "groups"] == "ST (n<5)"
    assert out.loc[0, "apa_fi"] == "W = 50, r = 0,40"


# ------------------------------------------------------------------ secondary suppression
def test_secondary_suppression_makes_the_item_missingness_table_pass(reg):
    miss = pd.DataFrame({"item": ["co1", "co2", "co3", "co4"], "n": [60] * 4, "n_valid": [55, 59, 58, 52],
                         "n_dont_know": [2, 0, 1, 5], "n_missing_code": [0] * 4, "n_empty": [3, 1, 1, 3]})
    out = reg.table("item_missingness", miss, caption=CAPTION,
                    count_columns=["n", "n_valid", "n_dont_know", "n_missing_code", "n_empty"])
    assert (out == "<5").sum().sum() == 6
    record = reg.items[-1]["n_suppressed"]
    assert record["audit_secondary"] >= 2 and record["audit_cost"] > 0
    # what was published passes the audit, also when read back from the registry file
    reg.save()
    (audit,) = audit_registries(reg.root)
    assert audit.result.ok and audit.result.n_primary == 6


def test_inferred_relations_need_no_declaration():
    t = pd.DataFrame({"n_segments": [22, 33], "n_coded": [20, 31], "n_uncoded": [2, 2]})
    assert infer_row_relations(t, list(t.columns)) == [{"total": "n_segments", "parts": ["n_coded", "n_uncoded"]}]


def test_batch_audit_fails_on_a_registry_edited_to_expose_a_cell(reg):
    reg.table("cov", pd.DataFrame({"wp": ["TP1", "TP2"], "n_segments": [22, 33], "n_coded": [20, 31],
                                   "n_uncoded": [2, 2]}), caption=CAPTION)
    path = reg.save()
    data = json.loads(path.read_text(encoding="utf-8"))
    true = {c[0]: c[4] for c in reg._audit["cov"]["cells"]}
    for cell in data["items"][0]["audit"]["cells"]:  # undo the secondary suppression by hand
        if cell[1] == "x":
            cell[1] = true[cell[0]]
    path.write_text(json.dumps(data), encoding="utf-8")
    (audit,) = audit_registries(reg.root)
    assert not audit.result.ok and "n_uncoded" in str(audit.result.exposed[0])


def test_a_code_total_in_another_table_exposes_a_role_count_and_is_fixed(reg):
    reg.table("code_frequencies", pd.DataFrame({"code": ["roles"], "n_segments": [51]}), caption=CAPTION,
              cell_ids={"n_segments": "segments/code/{code}"})
    by_role = pd.DataFrame({"speaker_role": ["partner", "social_worker", "young_person"], "code": ["roles"] * 3,
                            "n_segments": [3, 30, 18]})
    spec = dict(caption=CAPTION, count_columns=["n_segments"], secondary=False,
                sums=[{"column": "n_segments", "by": ["code"], "total": "segments/code/{code}"}])
    with pytest.raises(PipelineError, match=r"row 1 \(partner, roles\).*exactly 3"):
        reg.table("code_by_role", by_role.assign(n_segments=["<5", 30, 18]), suppress=False, **spec)
    out = reg.table("code_by_role", by_role, **spec)
    assert out["n_segments"].tolist() == ["<5", 30, "x"]   # the smaller of the two others is hidden
    assert reg.items[-1]["n_suppressed"]["audit_cost"] == 18


def test_a_small_total_of_small_cells_is_published_as_x(reg):
    # three work packages with 1 entry each in a quarter; the quarter's total (3) in another table
    reg.table("per_quarter", pd.DataFrame({"quarter": ["2024Q1"] * 3 + ["2024Q2"] * 2,
                                           "work_package": ["TP1", "TP2C", "TP4", "TP1", "TP2C"],
                                           "n_entries": [1, 1, 1, 9, 12]}), caption=CAPTION,
              cell_ids={"n_entries": "entries/{quarter}/{work_package}"}, secondary=False,
              sums=[{"column": "n_entries", "by": ["quarter"], "total": "entries/{quarter}"}])
    out = reg.table("timeline", pd.DataFrame({"code": ["roles", "roles"], "quarter": ["2024Q1", "2024Q2"],
                                              "n_entries": [3, 21]}), caption=CAPTION, secondary=False,
                    cell_ids={"n_entries": "entries/{quarter}"})
    # "<5" would say 3 or 4, so each work package 1 or 2: shown as "x", which says nothing of its size
    assert out["n_entries"].tolist() == ["x", 21]
    reg.save()
    (audit,) = audit_registries(reg.root)
    assert audit.result.ok and audit.result.n_primary == 4   # the x is still audited as a small count


def test_a_share_equal_to_one_is_not_read_backwards():
    """share = n_coded / n_entries; where every entry is coded the ratio also reads n_entries / n_coded,
    but rows with nothing coded show that this is not the share (the audit must not equate n_entries to 0)."""
    import pandas as pd

    from analysis.privacy.audit import infer_share_columns

    raw = pd.DataFrame({"n_entries": [2, 7, 8, 7], "n_coded": [0, 0, 8, 7], "share": [0.0, 0.0, 1.0, 1.0]})
    found = infer_share_columns(raw, ["n_entries", "n_coded"], ["share"])
    assert found == [{"share": "share", "numerator": "n_coded", "denominator": "n_entries", "scale": 1.0}]


# ------------------------------------------------------------------ main run and subset runs together
def _family(tmp_path, main_rows, subset_rows, k=5):
    """A main run and thesis subset runs of the same notebook, saved as a batch would."""
    runs = {"survey": {"notebook": "notebooks/10_survey.ipynb", "parameters": {"language": "fi"}}}
    for name, rows in [("survey", main_rows), *subset_rows.items()]:
        reg = Registry.for_run(name, root=tmp_path, min_cell_size=k)
        reg.table("item_missingness", pd.DataFrame(rows), caption=CAPTION, count_columns=["n", "n_dont_know"],
                  secondary=False)
        reg.save()
    for name, municipalities in [("survey-kemi", ["Kemi", "Simo"]), ("survey-tornio", ["Tornio"])]:
        if name in subset_rows:
            runs[name] = {"notebook": "notebooks/10_survey.ipynb",
                          "parameters": {"language": "fi", "municipalities": municipalities}}
    return {a.run: a for a in audit_registries(tmp_path, runs=runs)}


def test_main_minus_subset_is_caught(tmp_path):
    # each run alone is fine; the main run's 9 minus the Tornio subset's 5 gives the Kemi subset's <5: 4
    audits = _family(tmp_path,
                     {"item": ["co1", "co2"], "n": [30, 30], "n_dont_know": [9, 12]},
                     {"survey-kemi": {"item": ["co1", "co2"], "n": [18, 18], "n_dont_know": [4, 6]},
                      "survey-tornio": {"item": ["co1", "co2"], "n": [12, 12], "n_dont_know": [5, 6]}})
    assert audits["survey"].result.ok and audits["survey-tornio"].result.ok
    assert audits["survey-kemi"].joint_with == ("survey", "survey-tornio")
    found = [str(e) for e in audits["survey-kemi"].result.exposed]
    assert found == ["table 'survey-kemi/item_missingness', row 1 (co1), column 'n_dont_know': a count below 5 "
                     "is exactly 4 (interval 4…4, needs one at least as wide as 1…4)"]


def test_a_subset_count_is_at_most_the_main_count(tmp_path):
    # one subset only: its <5 is at most the main run's <5, and main − subset is not known
    audits = _family(tmp_path, {"item": ["co1"], "n": [30], "n_dont_know": [3]},
                     {"survey-kemi": {"item": ["co1"], "n": [18], "n_dont_know": [2]}})
    assert all(a.result.ok for a in audits.values()) and audits["survey"].n_joint_relations == 2
    # the subsets do not add up to the main run (other municipalities exist): only Σ subsets ≤ main
    audits = _family(tmp_path / "b", {"item": ["co1", "co2"], "n": [40, 40], "n_dont_know": [9, 12]},
                     {"survey-kemi": {"item": ["co1", "co2"], "n": [18, 18], "n_dont_know": [4, 6]},
                      "survey-tornio": {"item": ["co1", "co2"], "n": [12, 12], "n_dont_know": [5, 6]}})
    assert all(a.result.ok for a in audits.values())
    # … but 7 − 5 leaves at most 2 for the <5: exposed even so
    audits = _family(tmp_path / "c", {"item": ["co1", "co2"], "n": [40, 40], "n_dont_know": [7, 12]},
                     {"survey-kemi": {"item": ["co1", "co2"], "n": [18, 18], "n_dont_know": [2, 6]},
                      "survey-tornio": {"item": ["co1", "co2"], "n": [12, 12], "n_dont_know": [5, 6]}})
    assert "lie in 1…2" in str(audits["survey-kemi"].result.exposed[0])


def test_subset_families_from_parameters():
    from analysis.privacy.audit import subset_families

    runs = {"survey": {"notebook": "a", "parameters": {"language": "fi"}},
            "survey-x": {"notebook": "a", "parameters": {"language": "fi", "municipalities": ["Kemi", "Simo"]}},
            "survey-y": {"notebook": "a", "parameters": {"language": "fi", "municipalities": ["Simo"]}},
            "survey-en": {"notebook": "a", "parameters": {"language": "en"}},
            "needs": {"notebook": "b", "parameters": {"language": "fi"}}}
    # survey-y is a subset of survey-x too, but survey-x is a subset itself; the values overlap
    assert subset_families(runs) == [("survey", ["survey-x", "survey-y"], False)]


# ------------------------------------------------------------------ numbers in the methods text
def _diary_workspace(tmp_path, per_cell, left_out=0, run_sees_methods=True):
    """Processed diary entries and the diaries run's table of entries per quarter and work package.

    ``left_out`` entries more are in the processed table than in the run's table (e.g.
    dated outside the period the run covers). ``run_sees_methods=False``: the run's own
    audit does not know the methods text's total (as before it did), so only the batch's
    audit can find what the total gives away.
    """
    from unittest import mock

    processed = tmp_path / "data" / "processed"
    processed.mkdir(parents=True)
    rows = [(q, wp) for (q, wp), n in per_cell.items() for _ in range(n)] + [("2023Q4", "TP1")] * left_out
    writers = ["K101", "K202", "K303"]
    pd.DataFrame({"entry_id": [f"D{i}" for i in range(len(rows))], "date": ["2024-06-01"] * len(rows),
                  "writer": [writers[i % 3] for i in range(len(rows))]}).to_parquet(processed / "diary_entries.parquet")
    reg = Registry.for_run("diaries", root=tmp_path)
    table = pd.DataFrame([{"quarter": q, "work_package": wp, "n_entries": n} for (q, wp), n in per_cell.items()])
    blind = mock.patch.object(Registry, "_methods_records", lambda self, structures: [])
    with blind if not run_sees_methods else mock.MagicMock():
        reg.table("entries_per_quarter", table, caption=CAPTION, secondary=False,
                  cell_ids={"n_entries": "entries/{quarter}/{work_package}"})
    reg.save()
    return tmp_path


def test_a_methods_number_that_reveals_a_suppressed_cell_fails_the_audit(tmp_path):
    from analysis.findings.methods import data_sources, methods_numbers

    cells = {("2024Q1", "TP1"): 3, ("2024Q1", "TP2C"): 10, ("2024Q2", "TP1"): 12}
    # the run's own audit knows the printed total and hides one more cell: the batch's audit passes
    assert all(a.result.ok for a in audit_registries(_diary_workspace(tmp_path / "seen", cells)))
    root = _diary_workspace(tmp_path, cells, run_sees_methods=False)
    # "Hankepäiväkirjat: 25 merkintää" is the sum of the published cells: 25 − 10 − 12 = 3
    assert any("25 merkintää" in line for line in data_sources(root, "fi", k=5))
    entries = next(n for n in methods_numbers(root, 5) if n["id"] == "diary_entries")
    assert entries["reveals"] == ("diaries", "entries/*/*") and entries["published"] == 25
    audits = {a.run: a for a in audit_registries(root)}
    found = [str(e) for e in audits["diaries"].result.exposed]
    assert found == ["table 'diaries/entries_per_quarter', row 1 (2024Q1, TP1), column 'n_entries': a count below 5 "
                     "is exactly 3 (interval 3…3, needs one at least as wide as 1…4)"]
    # with the cell hidden as x too, the same sentence reveals nothing
    root = _diary_workspace(tmp_path / "b", cells, run_sees_methods=False)
    path = root / "reports" / "registry" / "diaries.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    for cell in data["items"][0]["audit"]["cells"]:
        if cell[1] == 12.0:
            cell[1] = "x"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert all(a.result.ok for a in audit_registries(root))


def test_entries_a_run_leaves_out_are_published_as_part_of_the_methods_total(tmp_path):
    """The diaries run covers the project period: the entries outside it join the total's relation.

    The methods text prints the total of the processed entries; the run's cells sum to
    fewer when it leaves some out. Without those published too, the audit finds the
    published values contradicting the total (as it did at scale 100).
    """
    cells = {("2024Q1", "TP1"): 10, ("2024Q2", "TP1"): 12}
    root = _diary_workspace(tmp_path, cells, left_out=6)
    with pytest.raises(DataError, match="contradict the relation"):
        audit_registries(root)
    root = _diary_workspace(tmp_path / "b", cells, left_out=6)
    reg = Registry.for_run("diaries", root=root)  # the run again, with the left-out entries published
    table = pd.DataFrame([{"quarter": q, "work_package": wp, "n_entries": n} for (q, wp), n in cells.items()])
    reg.table("entries_per_quarter", table, caption=CAPTION, secondary=False,
              cell_ids={"n_entries": "entries/{quarter}/{work_package}"})
    reg.table("entries_left_out", pd.DataFrame({"reason": ["period"], "n_entries": [6]}), caption=CAPTION,
              secondary=False, cell_ids={"n_entries": "entries/left_out/{reason}"})
    reg.save()
    assert all(a.result.ok for a in audit_registries(root))


def test_a_methods_sentence_printing_a_small_count_fails_the_audit(tmp_path):
    from analysis.findings.methods import data_sources, methods_numbers

    root = _diary_workspace(tmp_path, {("2024Q1", "TP1"): 10, ("2024Q2", "TP1"): 12})
    # three writers: printed as <5 with k, and audited as printed
    assert "Hankepäiväkirjat: 22 merkintää (1.6.2024–1.6.2024), <5 kirjoittajaa." in data_sources(root, "fi", k=5)
    audits = {a.run: a for a in audit_registries(root)}
    assert audits["methods"].result.ok and audits["methods"].result.n_cells == len(methods_numbers(root, 5))
    # a methods sentence that printed the 3 would fail
    printed = [{**n, "published": n["value"]} for n in methods_numbers(root, 5)]
    audits = {a.run: a for a in audit_registries(root, methods=printed)}
    assert [str(e) for e in audits["methods"].result.exposed] == [
        "table 'methods', row diary_writers, column 'value': a count below 5 is exactly 3 "
        "(interval 3…3, needs one at least as wide as 1…4)"]


def test_extra_records_in_the_registry_format_join_the_run(tmp_path):
    # e.g. the counts drawn in a figure: the same cell shown there exposes the table's <5
    root = _diary_workspace(tmp_path, {("2024Q1", "TP1"): 3, ("2024Q1", "TP2C"): 10})
    drawn = {"cells": [["entries/2024Q1/TP1", 3.0, "bar 1", "n_entries", False]], "relations": [], "equations": []}
    audits = {a.run: a for a in audit_registries(root, methods=[], extra={"diaries": [("diaries/figure f", drawn)]})}
    assert "exactly 3" in str(audits["diaries"].result.exposed[0])


# ------------------------------------------------------------------ the batch audit reads every pattern back
PLANTED = {
    # n − n_valid − n_empty in a row
    "complement in a row": [{"kind": "table", "id": "miss", "audit": {
        "cells": [["t.n", 60.0, "1 (co1)", "n", False], ["t.valid", 55.0, "1 (co1)", "n_valid", False],
                  ["t.dk", "<5", "1 (co1)", "n_dont_know", False], ["t.empty", 3.0, "1 (co1)", "n_empty", False]],
        "relations": [["t.n", ["t.valid", "t.dk", "t.empty"]]], "equations": []}}],
    # the same segment count hidden in one table and shown in another
    "same cell in two tables": [
        {"kind": "table", "id": "by_role", "audit": {"cells": [["segments/role/partner", "<5", "1 (partner)",
                                                                  "n_segments", False]], "relations": [], "equations": []}},
        {"kind": "table", "id": "coverage", "audit": {"cells": [["segments/role/partner", 3.0, "2 (partner)",
                                                                   "n_total", False]], "relations": [], "equations": []}}],
    # "20 % of 5 entries" under a table that hides the 1
    "n in text": [
        {"kind": "table", "id": "by_year", "audit": {"cells": [["y1.entries", 5.0, "1", "n_entries", False],
                                                                ["y1.worries", "<5", "1", "n_worries", False]],
                                                      "relations": [], "equations": []}},
        {"kind": "number", "id": "share_year1", "audit": {"cells": [], "relations": [],
                                                           "equations": [[{"y1.worries": 1.0, "y1.entries": -0.2}, 0.0]]}}],
    # a sub-total of a subset: Kemi + Simo published next to Kemi
    "subset statistic": [
        {"kind": "table", "id": "by_municipality", "audit": {"cells": [["n/Kemi", 20.0, "1 (Kemi)", "n", False],
                                                                        ["n/Simo", "<5", "2 (Simo)", "n", False]],
                                                              "relations": [], "equations": []}},
        {"kind": "table", "id": "subset", "audit": {"cells": [["n/kemi+simo", 23.0, "1", "n_subset", False]],
                                                     "relations": [["n/kemi+simo", ["n/Kemi", "n/Simo"]]], "equations": []}}],
}


@pytest.mark.parametrize("pattern", sorted(PLANTED))
def test_the_batch_audit_catches_every_planted_pattern(tmp_path, pattern):
    folder = tmp_path / "reports" / "registry"
    folder.mkdir(parents=True)
    (folder / "demo.json").write_text(json.dumps({"run": "demo", "min_cell_size": 5, "items": PLANTED[pattern]}),
                                      encoding="utf-8")
    (audit,) = audit_registries(tmp_path, methods=[])
    assert not audit.result.ok, pattern
    assert all(e.high - e.low < 2 for e in audit.result.exposed)
    # the same publications with the giveaway hidden pass
    items = json.loads(json.dumps(PLANTED[pattern]))
    for item in items:
        for cell in item["audit"]["cells"]:
            if isinstance(cell[1], float) and cell[0] in {"t.empty", "segments/role/partner", "y1.entries", "n/kemi+simo"}:
                cell[1] = "x"
    (folder / "demo.json").write_text(json.dumps({"run": "demo", "min_cell_size": 5, "items": items}), encoding="utf-8")
    (audit,) = audit_registries(tmp_path, methods=[])
    assert audit.result.ok, pattern


def test_a_subset_run_hides_what_main_minus_subset_would_give_away(tmp_path, monkeypatch):
    """Run after the main run (needs:), a subset run audits its tables with the main run's: the
    main run's 9 minus this run's 5 would give the rest of the area 4, so the 5 is hidden; the
    next subset's <5 then stays 1…4, and the batch audit of the three runs passes."""
    import analysis.privacy.audit as audit_module

    plan = {"survey": {"notebook": "10.ipynb", "parameters": {}, "needs": []},
            "survey-a": {"notebook": "10.ipynb", "parameters": {"municipalities": ["Kemi"]}, "needs": ["survey"]},
            "survey-b": {"notebook": "10.ipynb", "parameters": {"municipalities": ["Simo"]},
                         "needs": ["survey", "survey-a"]}}
    real = audit_module.joint_context
    monkeypatch.setattr(audit_module, "joint_context", lambda root, run: real(root, run, plan))
    published = {}
    for name, n, dont_know in [("survey", [30, 30], [9, 12]), ("survey-a", [18, 18], [5, 6]),
                               ("survey-b", [12, 12], [4, 6])]:
        reg = Registry.for_run(name, root=tmp_path)
        published[name] = reg.table("item_missingness", pd.DataFrame({"item": ["co1", "co2"], "n": n,
                                                                      "n_dont_know": dont_know}),
                                    caption=CAPTION, count_columns=["n", "n_dont_know"], secondary=False)
        reg.save()
    assert published["survey"]["n_dont_know"].tolist() == [9, 12]
    assert published["survey-a"]["n_dont_know"].tolist() == ["x", 6]      # 9 − 5 = 4 people elsewhere
    assert published["survey-b"]["n_dont_know"].tolist()[0] == "<5"
    audits = audit_registries(tmp_path, runs=plan, methods=[])
    assert all(a.result.ok for a in audits), [str(e) for a in audits for e in a.result.exposed]
    assert {a.run: a.joint_with for a in audits}["survey-b"] == ("survey", "survey-a")


def test_a_total_the_methods_text_prints_is_audited_with_the_run_s_own_tables(tmp_path, monkeypatch):
    """The methods section prints the number of diary entries; the run's audit must protect its small cells from it.

    Two "<5" cells are the only hidden ones: with the printed total their sum is known
    (here 6, so each lies in 2…4). Only the batch's audit added the methods numbers; now
    the run's own audit does too and hides one more cell, so the batch's audit passes.
    """
    import analysis.findings.methods as methods

    per_quarter = pd.DataFrame({"quarter": ["2024Q1"] * 4, "work_package": ["TP1", "TP2", "TP3", "TP4"],
                                "n_entries": [8, 3, 9, 3]})
    printed = [{"id": "diary_entries", "value": 23, "published": 23, "persons": False,
                "reveals": ("diaries", "entries/*/*")}]
    monkeypatch.setattr(methods, "methods_numbers", lambda root=None, k=5: printed)
    reg = Registry.for_run("diaries", root=tmp_path, min_cell_size=5)
    shown = reg.table("entries_per_quarter", per_quarter, count_columns=["n_entries"],
                      cell_ids={"n_entries": "entries/{quarter}/{work_package}"}, caption=CAPTION)
    assert shown["n_entries"].tolist().count("<5") == 2 and "x" in shown["n_entries"].tolist()
    reg.save()
    audits = audit_registries(tmp_path, methods=printed, runs={})
    assert all(a.result.ok for a in audits), [str(e) for a in audits for e in a.result.exposed]


def test_the_last_subset_of_a_grid_is_audited_with_the_subsets_adding_up_to_the_main_run(tmp_path, monkeypatch):
    """Where every count shown in all subsets adds up to the main run, a reader knows they partition it.

    Then main − the other subsets is the last subset's count exactly: the batch's audit
    models it so; the subset run's own audit did not (only "at most"), and at scale 10 the
    batch failed on two "<5" cells of the subsets whose sum the main run showed (3…4).
    """
    from analysis.privacy.audit import joint_context

    plan = {"survey": {"notebook": "10.ipynb", "parameters": {}, "needs": []},
            "survey-a": {"notebook": "10.ipynb", "parameters": {"municipalities": ["A"]}, "needs": ["survey"]},
            "survey-b": {"notebook": "10.ipynb", "parameters": {"municipalities": ["B"]},
                         "needs": ["survey", "survey-a"]}}
    monkeypatch.setattr(Registry, "_joint_context", lambda self: joint_context(self.root, self.run, plan=plan))
    tables = {"survey": [7, 12, 20], "survey-a": [3, 6, 11], "survey-b": [4, 6, 9]}
    for run, n_empty in tables.items():
        reg = Registry.for_run(run, root=tmp_path, min_cell_size=5)
        reg.table("item_missingness", pd.DataFrame({"item": ["co2", "co3", "co4"], "n_empty": n_empty}),
                  count_columns=["n_empty"], caption=CAPTION)
        reg.save()
    shown_b = json.loads((tmp_path / "reports" / "registry" / "survey-b.json").read_text(encoding="utf-8"))
    cells = [c[1] for c in shown_b["items"][0]["audit"]["cells"]]
    assert cells[0] != "<5"  # 4 = 7 − 3: a "<5" would say 3 or 4; published so that it does not
    runs = {name: {"notebook": spec["notebook"], "parameters": spec["parameters"]} for name, spec in plan.items()}
    audits = audit_registries(tmp_path, runs=runs, methods=[])
    assert all(a.result.ok for a in audits), [str(e) for a in audits for e in a.result.exposed]

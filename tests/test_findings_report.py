"""Tests of the assembled report: every finding once per format, numbering, Word captions,
self-contained HTML, reproducible files, language switch, joint displays, provenance."""

from __future__ import annotations

import json
import re
import time
import zipfile

import matplotlib

matplotlib.use("Agg")

import docx  # noqa: E402
import openpyxl  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from analysis.findings import Registry, style  # noqa: E402
from analysis.findings.joint import build_joint_display  # noqa: E402
from analysis.findings.report import build_report, write_report  # noqa: E402
from analysis.findings.registry import load_registries  # noqa: E402

FIG_CAPTION = {"fi": "Summamuuttujien keskiarvot mittauskerroittain", "en": "Scale means by wave"}
TAB_CAPTION = {"fi": "Summamuuttujien muutos alku- ja loppukartoituksen välillä", "en": "Change of the scales from baseline to follow-up"}
FREQ_CAPTION = {"fi": "Teemojen esiintyminen työpajoissa", "en": "Themes in the workshop transcripts"}
TREND_CAPTION = {"fi": "Teemojen suunta päiväkirjoissa", "en": "Direction of themes in the diaries"}
TIMELINE_CAPTION = {"fi": "Työnjako-teeman osuus vuosineljänneksittäin", "en": "Share of the roles theme by quarter"}
NUMBER = {"fi": "Alkukartoitukseen vastasi {value} ammattilaista.", "en": "{value} professionals answered the baseline survey."}
METHODS = {
    "fi": "Muutosta testattiin Wilcoxonin merkittyjen sijalukujen testillä ja p-arvot korjattiin Holmin menetelmällä.",
    "en": "Change was tested with the Wilcoxon signed-rank test and p-values were adjusted with Holm's method.",
}
NOTE = {"fi": "Muiden ammattiryhmien kuviota ei piirretty pienen ryhmän vuoksi.", "en": "No plot was drawn for other professions: the group is small."}
QUOTE_ROLES = "No siis mä en oikeesti tiedä kuka meistä hoitaa ton asumisasian [naurua]"
QUOTE_OTHER = "Tää on ihan hyvä et tässä istutaan yhessä miettimässä"


def _scale_change() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "scale": ["role_clarity", "collaboration", "competence"],
            "label_fi": ["Roolien selkeys", "Yhteistyö", "Osaaminen"],
            "label_en": ["Role clarity", "Collaboration", "Competence"],
            "n_pairs": [40, 38, 3],
            "statistic": [120.5, 200.0, 1.0],
            "p": [0.0012, 0.2, 0.5],
            "p_adjusted": [0.0036, 0.4, 0.5],
            "effect": [0.52, 0.15, 0.1],
            "ci_low": [0.25, -0.14, -0.5],
            "ci_high": [0.72, 0.42, 0.6],
            "apa_fi": ["W = 120,5; p (korj.) = 0,004; r = 0,52", "W = 200,0; p (korj.) = 0,40; r = 0,15", "–"],
            "apa_en": ["W = 120.5, p (adj.) = .004, r = .52", "W = 200.0, p (adj.) = .40, r = .15", "–"],
        }
    )


def make_workspace(root, with_provenance: bool = True):
    """Three small runs publishing figures, tables, numbers, quotes, methods and a note."""
    survey = Registry.for_run("survey", root=root)
    fig, ax = style.new_figure("half", height_cm=4)
    ax.bar(["alku", "loppu"], [3.1, 3.6], color=[style.ROLE_COLOURS["baseline"], style.ROLE_COLOURS["followup"]])
    survey.figure("scales_by_wave", fig, caption=FIG_CAPTION, source={"fi": "Ammattilaiskysely", "en": "Professionals' survey"}, width="half")
    survey.table(
        "scale_change",
        _scale_change(),
        caption=TAB_CAPTION,
        count_columns=["n_pairs"],
        derived_columns=["statistic", "p", "p_adjusted", "effect", "ci_low", "ci_high", "apa_fi", "apa_en"],
    )
    survey.number("n_respondents", 118, template=NUMBER)
    survey.methods("tests", METHODS)
    survey.note(NOTE)
    survey.save()

    workshops = Registry.for_run("workshops", root=root)
    workshops.table(
        "code_frequencies",
        pd.DataFrame(
            {
                "code": ["roles", "collaboration", "housing_worries", "finding_housing"],
                "name_fi": ["Työnjako", "Yhteistyö", "Asumisen huolet", "Asunnon löytäminen"],
                "name_en": ["Roles", "Collaboration", "Housing worries", "Finding housing"],
                "n_segments": [42, 30, 12, 3],
                "share": [0.21, 0.15, 0.06, 0.015],
            }
        ),
        caption=FREQ_CAPTION,
        count_columns=["n_segments"],
        derived_columns=["share"],
    )
    workshops.quote("roles_1", QUOTE_ROLES, speaker="SO 2", role="social_counsellor", source="W01, 14.5.2024", code="roles")
    workshops.quote("other_1", QUOTE_OTHER, speaker="ST 1", role="social_worker", source="W02, 2.10.2024")
    workshops.save()

    diaries = Registry.for_run("diaries", root=root)
    diaries.table(
        "code_timeline",
        pd.DataFrame({"code": ["roles"] * 3, "quarter": ["2024Q2", "2024Q3", "2024Q4"], "n_entries": [10, 12, 9], "n_coded": [5, 6, 6], "share": [0.5, 0.5, 0.67]}),
        caption=TIMELINE_CAPTION,
        count_columns=["n_entries", "n_coded"],
        derived_columns=["share"],
    )
    diaries.table(
        "code_trend",
        pd.DataFrame({"code": ["roles"], "statistic": [1.9], "p": [0.04], "direction": ["increasing"]}),
        caption=TREND_CAPTION,
        count_columns=[],
    )
    diaries.save()

    if with_provenance:
        provenance = {
            "project": "jakala",
            "created": "2026-02-01T10:00:00",
            "git": {"commit": "0123456789abcdef0123456789abcdef01234567", "dirty": False},
            "python": "3.11.7",
            "packages": {"pandas": "3.1.1", "scipy": "1.17.1", "simplemma": "1.1.2"},
            "runs": {
                name: {
                    "notebook": f"notebooks/{nb}.ipynb",
                    "parameters": {"language": "fi", "min_cell_size": 5},
                    "stage": "analysis",
                    "inputs": {f"data/processed/{name}.parquet": "ab" * 32},
                    "outputs": {},
                    "status": "succeeded",
                    "fingerprint": "cd" * 32,
                }
                for name, nb in (("survey", "10_survey"), ("workshops", "20_workshops"), ("diaries", "30_diaries"))
            },
        }
        (root / "reports" / "provenance.json").write_text(json.dumps(provenance), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    return make_workspace(tmp_path_factory.mktemp("ws"))


@pytest.fixture(scope="module")
def written(workspace):
    return {
        "fi": write_report(workspace, language="fi"),
        "en": write_report(workspace, language="en", out_dir="reports/en"),
    }


def _docx_text(path) -> str:
    """Every paragraph and table cell of a Word file, in document order."""
    from analysis.findings.check import report_texts

    return "\n".join(report_texts(path))


def _findings_texts(language: str) -> list[str]:
    """Texts of every registered finding (quotes: the one not in the joint display too)."""
    number = NUMBER[language].format(value="118")
    return [
        FIG_CAPTION[language],
        TAB_CAPTION[language],
        FREQ_CAPTION[language],
        TREND_CAPTION[language],
        TIMELINE_CAPTION[language],
        number,
        METHODS[language],
        NOTE[language],
        QUOTE_ROLES,
        QUOTE_OTHER,
    ]


@pytest.mark.parametrize("language", ["fi", "en"])
def test_every_finding_appears_exactly_once_in_each_format(written, language):
    paths = written[language]
    texts = {
        "md": paths["md"].read_text(encoding="utf-8"),
        "html": paths["html"].read_text(encoding="utf-8"),
        "docx": _docx_text(paths["docx"]),
    }
    appendices = "Liitteet" if language == "fi" else "Appendices"
    for fmt, text in texts.items():
        text = re.sub(r"!\[[^\]]*\]", "", re.sub(r'alt="[^"]*"', "", text))  # alt text repeats the caption
        body = text[: text.rindex(appendices)]  # the appendix repeats compact tables in full
        for finding in _findings_texts(language):
            assert body.count(finding) == 1, (fmt, finding, body.count(finding))
    # every table once in the workbook, caption in the first row
    workbook = openpyxl.load_workbook(paths["xlsx"])
    first_rows = [sheet["A1"].value for sheet in workbook.worksheets]
    for caption in (TAB_CAPTION, FREQ_CAPTION, TREND_CAPTION, TIMELINE_CAPTION):
        assert sum(caption[language] in row for row in first_rows) == 1
    assert all(len(name) <= 31 for name in workbook.sheetnames)
    assert len(set(workbook.sheetnames)) == len(workbook.sheetnames) == 7  # 4 tables + joint display + runs + inputs


def test_numbering_is_consecutive_across_runs(written, workspace):
    document = build_report(workspace, "fi")
    assert [b["number"] for b in document.numbered("figure")] == [1]
    assert [b["number"] for b in document.numbered("table")] == [1, 2, 3, 4, 5]
    # the compact body tables are repeated in full in Appendix 1
    assert [b["number"] for b in document.numbered("appendix_table")] == [1, 2, 3]
    md = written["fi"]["md"].read_text(encoding="utf-8")
    assert re.findall(r"\*\*Taulukko (\d+)\.\*\*", md) == ["1", "2", "3", "4", "5"]
    assert re.findall(r"\*\*Kuvio (\d+)\.\*\*", md) == ["1"]
    # runs in provenance (pipeline) order: survey, workshops, diaries
    assert md.index(TAB_CAPTION["fi"]) < md.index(FREQ_CAPTION["fi"]) < md.index(TIMELINE_CAPTION["fi"])
    summary = document.summary()
    assert list(summary.columns) == ["label", "kind", "run", "id", "text"]
    assert set(summary["kind"]) == {"figure", "table", "number", "quote", "methods", "note"}


def test_docx_has_word_captions_tables_and_print_size_figures(written):
    path = written["fi"]["docx"]
    document = docx.Document(path)
    captions = [p for p in document.paragraphs if p.style.name == "Caption"]
    assert len(captions) == 9  # 1 figure, 5 tables, 3 appendix tables
    xml = [p._p.xml for p in captions]
    assert sum("SEQ Kuvio" in x for x in xml) == 1 and sum("SEQ Taulukko " in x for x in xml) == 5
    assert sum("SEQ Liitetaulukko" in x for x in xml) == 3
    assert all("fldSimple" in x for x in xml)
    assert captions[0].text.startswith("Kuvio ")
    assert document.inline_shapes[0].width.cm == pytest.approx(8.0, abs=0.01)
    styled = [t for t in document.tables if t.style is not None and t.style.name in ("Light Grid Accent 1", "Table Grid")]
    assert len(styled) == len(document.tables) >= 5
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "1 Aineistot ja menetelmät" in headings and "3 Yhdistetty tarkastelu" in headings
    assert "2 Tulokset" in headings and "Liitteet" in headings
    english = docx.Document(written["en"]["docx"])
    assert any("SEQ Figure" in p._p.xml for p in english.paragraphs if p.style.name == "Caption")


def test_html_is_self_contained(written):
    text = written["fi"]["html"].read_text(encoding="utf-8")
    references = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']*)', text, flags=re.I)
    assert references and all(ref.startswith(("data:", "#")) for ref in references)  # images inline, contents links
    assert not re.search(r'src="http|src="\.|<link|@import|url\(', text)
    assert text.count('src="data:image/png;base64,') == 1


def test_markdown_links_figures_relative_to_the_file(written, workspace):
    for language in ("fi", "en"):
        md_path = written[language]["md"]
        links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md_path.read_text(encoding="utf-8"))
        assert len(links) == 1 and not links[0].startswith("/")
        assert (md_path.parent / links[0]).resolve() == (workspace / "figures" / "survey" / "scales_by_wave.png").resolve()


@pytest.mark.slow  # writes the whole report twice
def test_two_writes_are_byte_identical(workspace, tmp_path):
    first = write_report(workspace, language="fi", out_dir=tmp_path / "a")
    time.sleep(1.05)  # a clock tick between the writes: no timestamp may leak into the files
    second = write_report(workspace, language="fi", out_dir=tmp_path / "b")
    for fmt in ("xlsx", "docx", "html"):
        assert first[fmt].read_bytes() == second[fmt].read_bytes(), fmt
    with zipfile.ZipFile(first["xlsx"]) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    # the figures of the registry are reproducible too
    fig1, ax1 = style.new_figure("half", height_cm=4)
    ax1.bar(["alku", "loppu"], [3.1, 3.6])
    fig2, ax2 = style.new_figure("half", height_cm=4)
    ax2.bar(["alku", "loppu"], [3.1, 3.6])
    a = style.save_figure(fig1, tmp_path / "f1")
    b = style.save_figure(fig2, tmp_path / "f2")
    assert a["png"].read_bytes() == b["png"].read_bytes() and a["svg"].read_bytes() == b["svg"].read_bytes()


def test_english_report_has_english_captions_and_headers(written):
    md = written["en"]["md"].read_text(encoding="utf-8")
    assert "**Figure 1.**" in md and "**Table 1.**" in md and "Kuvio" not in md and "Taulukko" not in md
    assert "| Scale | Pairs (n) | Effect size | CI lower | CI upper | p (adjusted) |" in md  # every header in English
    assert "## 1 Data and methods" in md and "## 3 Joint displays" in md
    assert "Summamuuttuja" not in md and "Roolien selkeys" not in md  # Finnish label column hidden
    workbook = openpyxl.load_workbook(written["en"]["xlsx"])
    sheet = workbook.worksheets[0]
    assert sheet["A1"].value.startswith("Table 1.") and sheet["A2"].value == "Scale"
    header = [c.value for c in sheet[2]]
    pairs = header.index("Pairs (n)") + 1
    assert sheet.cell(3, pairs).value == 40 and sheet.cell(5, pairs).value == "<5"  # numbers stay numbers, suppressed stays text
    fi_md = written["fi"]["md"].read_text(encoding="utf-8")
    assert "| Summamuuttuja | Pareja (n) |" in fi_md and "0,52" in fi_md


def test_joint_display_combines_sources_and_tolerates_missing(workspace):
    runs = load_registries(workspace)
    display = build_joint_display(runs, workspace)
    roles = display.set_index("theme").loc["roles"]
    assert roles["survey_en"] == "W = 120.5, p (adj.) = .004, r = .52"
    assert roles["prevalence_fi"] == "42 segmenttiä (21\u00a0%)"
    assert roles["trend_en"].startswith("increasing (p = 0.040)") and "(2024Q2)" in roles["trend_en"]
    assert roles["quotes"] == [("workshops", "roles_1")]
    competence = display.set_index("theme").loc["competence"]
    assert "peitetty" in competence["survey_fi"]  # n_pairs < 5 in the published table
    housing = display.set_index("theme").loc["housing"]
    assert housing["survey_fi"] == "ei kyselymittaria" and housing["prevalence_en"] == "≥1 segments"  # 12 became "x": the column total is public
    participation = display.set_index("theme").loc["participation"]
    assert participation["survey_en"] == "no data" and participation["trend_fi"] == "ei aineistoa"
    # without any survey run
    no_survey = build_joint_display([r for r in runs if r.run != "survey"], workspace)
    assert (no_survey.loc[no_survey["scale"].notna(), "survey_fi"] == "ei aineistoa").all()


def test_methods_and_provenance_come_from_what_was_run(written):
    md = written["fi"]["md"].read_text(encoding="utf-8")
    assert "Summamuuttujat: Roolien selkeys (4 väittämää; käännetty: rc3)" in md
    assert "Python 3.11.7; pandas 3.1.1, scipy 1.17.1, simplemma 1.1.2." in md
    assert "0123456789abcdef0123456789abcdef01234567" in md
    assert "koodikirja, versio" in md
    # the full provenance (every input with its SHA-256, the parameters) is in tables.xlsx
    workbook = openpyxl.load_workbook(written["fi"]["xlsx"])
    cells = [str(c.value) for sheet in workbook.worksheets for row in sheet.iter_rows() for c in row]
    assert "data/processed/survey.parquet" in cells and "ab" * 32 in cells


def test_failed_run_is_reported_not_published(tmp_path):
    root = make_workspace(tmp_path, with_provenance=True)
    provenance_file = root / "reports" / "provenance.json"
    provenance = json.loads(provenance_file.read_text(encoding="utf-8"))
    provenance["runs"]["workshops"]["status"] = "failed"
    provenance_file.write_text(json.dumps(provenance), encoding="utf-8")
    paths = write_report(root, language="en")
    md = paths["md"].read_text(encoding="utf-8")
    assert "Run Workshops failed" in md and FREQ_CAPTION["en"] not in md
    assert re.findall(r"\*\*Table (\d+)\.\*\*", md) == ["1", "2", "3", "4"]


def test_report_without_provenance_or_registries(tmp_path):
    paths = write_report(tmp_path, language="fi")
    assert all(p.is_file() for p in paths.values())
    md = paths["md"].read_text(encoding="utf-8")
    assert "Jäljitettävyystietoja (reports/provenance.json) ei löytynyt" in md
    assert openpyxl.load_workbook(paths["xlsx"]).sheetnames == ["Taulukko 1 joint_display"]


def test_methods_data_sources_from_processed_tables(tmp_path):
    from analysis.findings.methods import data_sources

    processed = tmp_path / "data" / "processed"
    processed.mkdir(parents=True)
    pd.DataFrame(
        {
            "survey_id": ["professionals_baseline"] * 3 + ["professionals_followup"] * 2,
            "wave": ["baseline"] * 3 + ["followup"] * 2,
            "respondent": ["R001", "R002", "R003", "R001", "R003"],
        }
    ).to_parquet(processed / "respondents.parquet")
    pd.DataFrame(
        {"workshop_id": ["W01", "W02"], "date": ["2024-05-14", "2025-03-12"], "work_package": ["TP1", "TP2C"], "n_turns": [120, 80]}
    ).to_parquet(processed / "workshops.parquet")
    pd.DataFrame({"entry_id": ["D1", "D2", "D3"], "date": ["2024-06-01", "2024-09-30", "2025-01-15"], "writer": ["SO 1", "SO 1", "ST 2"]}).to_parquet(
        processed / "diary_entries.parquet"
    )
    lines = data_sources(tmp_path, "fi")
    assert "Kysely professionals_baseline (alkukartoitus): 3 vastaajaa." in lines
    assert "Alku- ja loppukartoitukseen vastanneita (parit): 2." in lines
    assert "Työpajat: 2 litteroitua työpajaa (14.5.2024–12.3.2025), yhteensä 200 puheenvuoroa; työpaketit TP1, TP2C." in lines
    assert "Hankepäiväkirjat: 3 merkintää (1.6.2024–15.1.2025), 2 kirjoittajaa." in lines
    english = data_sources(tmp_path, "en")
    assert "Survey professionals_followup (follow-up): 2 respondents." in english


def test_notebook_is_clean_and_parameterised():
    import nbformat

    from analysis.workspace import PACKAGE_PROJECT_DIR

    nb = nbformat.read(PACKAGE_PROJECT_DIR / "notebooks" / "90_findings.ipynb", as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    namespace: dict = {}
    exec(code[0].source, namespace)  # noqa: S102 - the parameters cell is plain assignments
    assert namespace["project_root"] == ".." and namespace["run_name"] == "lab-90_findings"
    assert namespace["language"] == "fi" and namespace["report_config"] == "config/report.yaml"
    assert "out_dir" in namespace
    assert any("write_report" in c.source for c in code)


def test_notebook_runs(workspace, tmp_path, run_notebook):
    from conftest import notebook_parameters

    run_notebook("90_findings", workspace, language="en", out_dir=str(tmp_path / "en"),
                 run_name=notebook_parameters("90_findings")["run_name"])
    assert (tmp_path / "en" / "findings.docx").is_file() and (tmp_path / "en" / "tables.xlsx").is_file()
    md = (tmp_path / "en" / "findings.md").read_text(encoding="utf-8")
    assert "**Figure 1.**" in md and FIG_CAPTION["en"] in md


def test_a_broken_codebook_stops_the_report_naming_the_file(tmp_path):
    """Theme names come through the checked loader: a broken file is not skipped silently."""
    from analysis.errors import ConfigError
    from analysis.findings.report.cells import load_extra_labels
    from analysis.workspace import Workspace

    workspace = Workspace(root=tmp_path, project=tmp_path)
    (tmp_path / "config").mkdir()
    assert load_extra_labels(workspace) == {}
    (tmp_path / "config" / "codebook.yaml").write_text("themes:\n  - id: asuminen\n    name: [", encoding="utf-8")
    with pytest.raises(ConfigError, match="codebook.yaml"):
        load_extra_labels(workspace)
    shipped = load_extra_labels(Workspace.discover(root=tmp_path))  # the shipped codebook and instruments, named
    assert shipped["roles"] == {"fi": "Työnjako ja roolit", "en": "Division of work and roles"}



def test_docx_table_cells_copied_from_a_formatted_one_are_the_cells_python_docx_writes():
    """Long tables: a column's plain cells are copies of its first formatted cell; the XML is the same."""
    import docx

    from analysis.findings.report.to_docx import _docx_table

    rows = [[f"W{i:03d}", f"{i * 0.5:.1f}".replace(".", ","), "" if i % 7 == 0 else f"r {i}",
             " lead" if i == 3 else "x\ny" if i == 4 else "a\tb" if i == 5 else "z"] for i in range(40)]
    block = {"header": ["Työpaja", "Osuus", "Huom.", "Muu"], "rows": rows, "small": True}
    fast, slow = docx.Document(), docx.Document()
    _docx_table(fast, block, 16.0)
    _docx_table(slow, block, 16.0, copy_cells=False)
    assert fast.element.body.xml == slow.element.body.xml
    assert [[c.text for c in r.cells] for r in fast.tables[0].rows][1:4] == [[str(c) for c in r] for r in rows[:3]]

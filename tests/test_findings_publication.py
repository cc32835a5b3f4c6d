"""The publication draft as an editor reads it: one vocabulary, no internal ids, no other
language, a Word file in the report's language with right-aligned numbers and tables within
the page, the page count in LibreOffice, subset drafts and the data description."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile

import matplotlib

matplotlib.use("Agg")

import docx  # noqa: E402
import pandas as pd  # noqa: E402
import json

import pytest  # noqa: E402
import yaml  # noqa: E402

from analysis.errors import ConfigError  # noqa: E402
from analysis.findings import Registry, style  # noqa: E402
from analysis.findings.check import language_problems, report_texts  # noqa: E402
from analysis.findings.methods import source_note  # noqa: E402
from analysis.findings.registry import format_value  # noqa: E402
from analysis.findings.report import build_report, write_report  # noqa: E402
from analysis.vocabulary import Vocabulary, vocabulary  # noqa: E402
from tests.test_findings_report import make_workspace  # noqa: E402

AGREEMENT = {"fi": "Koodaajien yhteneväisyys", "en": "Inter-coder agreement"}
CHANGE_BY_ROLE = {"fi": "Muutos ammattiryhmittäin", "en": "Change by role"}
NEEDS = {"fi": "Tuen tarpeet asumismuodon mukaan", "en": "Needs by living situation"}


def _publication_workspace(root):
    """The report tests' workspace plus tables full of codes: roles, needs, zero methods, α."""
    make_workspace(root)
    needs = Registry.for_run("needs", root=root)
    needs.table(
        "change_by_role",
        pd.DataFrame({"role": ["social_worker", "social_counsellor"], "n_pairs": [12, 9], "zero_method": ["pratt", "pratt"],
                      "n_zero": [2, 0], "effect": [0.41, 0.2], "p_adjusted": [0.0004, 0.31]}),
        caption=CHANGE_BY_ROLE, count_columns=["n_pairs"], derived_columns=["effect", "p_adjusted"], suppress=False,
    )
    needs.table(
        "needs_by_living_situation",
        pd.DataFrame({"group": ["no_fixed_home", "own_rental"], "need": ["need_housing", "need_money"],
                      "n": [13, 20], "count": [9, 11], "share": [9 / 13, 11 / 20]}),
        caption=NEEDS, count_columns=[], suppress=False,
    )
    def draw(language):
        fig, ax = style.new_figure("half")
        ax.bar(["a", "b"], [0.25, 0.5])
        ax.set_ylabel("Osuus" if language == "fi" else "Share")
        return fig

    needs.figure("shares", draw, caption={"fi": "Osuudet (n = 33)", "en": "Shares (n = 33)"})
    needs.number("worries", round(100 * 9 / 13, 1), template={"fi": "Huolia oli {value} %:ssa.", "en": "Worries in {value}%."})
    needs.save()
    coding = Registry.for_run("coding_quality", root=root)
    coding.table(
        "coder_agreement",
        pd.DataFrame({"code": ["roles"], "n_units": [181], "alpha": [0.94], "alpha_ci_low": [0.88], "alpha_ci_high": [0.99]}),
        caption=AGREEMENT, count_columns=[],
    )
    coding.save()
    # the batch's manifest records these runs too (the report reads only recorded runs)
    manifest_file = root / "reports" / "provenance.json"
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    for name, notebook in (("needs", "11_needs"), ("coding_quality", "40_coding_quality")):
        manifest["runs"][name] = dict(manifest["runs"]["survey"], notebook=f"notebooks/{notebook}.ipynb")
    manifest_file.write_text(json.dumps(manifest), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def drafts(tmp_path_factory):
    root = _publication_workspace(tmp_path_factory.mktemp("pub"))
    out = {}
    for language, folder in (("fi", "reports"), ("en", "reports/en")):
        document = build_report(root, language)
        out[language] = (document, write_report(root, language, out_dir=folder, document=document))
    return root, out


# ---------------------------------------------------------------------------- vocabulary
def test_vocabulary_holds_labels_colours_orders_and_per_table_headers():
    v = vocabulary()
    assert v is vocabulary()  # read once
    assert v.label("social_counsellor", "fi") == "sosiaaliohjaaja" and v.label("followup", "en") == "follow-up"
    assert v.prefix("social_worker") == "ST" and v.colour("baseline") == "#56B4E9"
    assert v.order(["facilitator", "social_worker", "young_person", "zzz"], "roles") == ["young_person", "social_worker", "facilitator", "zzz"]
    assert v.column("alpha", "fi") == "Cronbachin α"
    assert v.column("alpha", "fi", table="coding_quality/coder_agreement") == "Krippendorffin α"
    assert v.title("TP2C", "fi") == "TP2C (tuettu asuminen)" and v.label("TP2C", "en") == "WP2C"
    assert v.project["start"] == "2024-03-01"
    # the figures' style reads the same file
    assert style.role_label("young_person", "en") == "young person"
    assert style.palette_for(["social_worker"])["social_worker"] == v.colour("social_worker")


def test_vocabulary_prefixes_match_the_pseudonym_key():
    from analysis.privacy.keys import ROLE_PREFIXES

    v = vocabulary()
    assert {role: v.prefix(role) for role in ROLE_PREFIXES} == ROLE_PREFIXES


def test_vocabulary_errors_name_the_key_and_an_edit_is_read_again(tmp_path):
    path = tmp_path / "vocabulary.yaml"
    path.write_text(yaml.safe_dump({"roles": {"nurse": {"fi": "hoitaja"}}}), encoding="utf-8")
    with pytest.raises(ConfigError, match="roles.nurse"):
        Vocabulary.from_file(path)
    path.write_text(yaml.safe_dump({"roles": {"nurse": {"fi": "hoitaja", "en": "nurse", "colour": "red"}}}), encoding="utf-8")
    with pytest.raises(ConfigError, match="RRGGBB"):
        Vocabulary.from_file(path)
    path.write_text('columns:\n  ci_low: {fi: α, LV alaraja, en: α, CI lower}\n', encoding="utf-8")  # unquoted comma
    with pytest.raises(ConfigError, match="must be quoted"):
        Vocabulary.from_file(path)
    path.write_text(yaml.safe_dump({"roles": {"nurse": {"fi": "hoitaja", "en": "nurse"}}}), encoding="utf-8")
    assert vocabulary(path).label("nurse", "fi") == "hoitaja"
    path.write_text(yaml.safe_dump({"roles": {"nurse": {"fi": "sairaanhoitaja", "en": "nurse"}}}), encoding="utf-8")
    assert vocabulary(path).label("nurse", "fi") == "sairaanhoitaja"


def test_numbers_are_formatted_from_their_value():
    assert format_value(round(100 * 9 / 13, 1), "fi") == "69,2"
    assert format_value(47.0, "fi") == "47" and format_value(5.1, "en") == "5.1"
    assert format_value(0.6923, "fi", ".1%") == "69,2\u00a0%"


# ---------------------------------------------------------------------------- rendered text
@pytest.mark.parametrize("language", ["fi", "en"])
@pytest.mark.parametrize("fmt", ["md", "html", "docx"])
def test_rendered_report_has_no_internal_ids_and_no_other_language(drafts, language, fmt):
    _, out = drafts
    document, paths = out[language]
    texts = report_texts(paths[fmt])
    assert len(texts) > 50
    problems = language_problems(texts, language, verbatim=tuple(document.verbatim))
    assert problems == [], problems[:5]


def test_the_scanner_finds_what_an_editor_would_send_back():
    found = language_problems(["Ryhmä: social_worker", "Nollaerot: pratt", "Kuvio: young person vs. social worker"], "fi")
    assert {p["token"] for p in found} >= {"social_worker", "pratt", "young person", "social worker"}
    english = language_problems(["Share of sosiaaliohjaaja answers", "Jäkälä in Tornio", "A file surveys/alku_2024.xlsx"], "en")
    assert [p["token"] for p in english] == ["sosiaaliohjaaja"]


def test_headers_and_values_are_in_words_per_table(drafts):
    _, out = drafts
    md = out["fi"][1]["md"].read_text(encoding="utf-8")
    agreement = md[md.index(AGREEMENT["fi"]):]
    agreement = agreement[: agreement.index("\n\n", agreement.index("|"))]
    assert "Krippendorffin α" in agreement and "Cronbachin" not in agreement
    assert "| Ammattinimike | Pareja (n) | Nollaerojen käsittely |" in md
    assert "Prattin menetelmä" in md and "< 0,001" in md
    assert "ilman vakituista asuntoa" in md and "69,2\u00a0%" in md
    assert "Huolia oli 69,2 %:ssa." in md
    en = out["en"][1]["md"].read_text(encoding="utf-8")
    assert "| Role | Pairs (n) | Zero differences |" in en and "Pratt method" in en and "no fixed home" in en


def test_report_structure_title_contents_numbered_sections_methods_before_results(drafts):
    _, out = drafts
    document, paths = out["fi"]
    headings = [b["text"] for b in document.blocks if b["type"] == "heading"]
    assert headings[0] == "1 Aineistot ja menetelmät" and "2 Tulokset" in headings
    assert [e["text"] for e in document.toc][:2] == ["1 Aineistot ja menetelmät", "1.1 Aineistot"]
    methods_end = headings.index("2 Tulokset")
    assert any(h.endswith("Tietosuoja") for h in headings[:methods_end])
    assert any("Koodauksen luotettavuus" in h for h in headings[:methods_end])  # a methods run
    html = paths["html"].read_text(encoding="utf-8")
    assert '<nav class="toc">' in html and 'alt="Kuvio 1. ' in html
    # every figure and table of the body is named in the text
    body = "\n".join(b["text"] for b in document.blocks if b["type"] == "paragraph")
    for block in document.numbered("figure"):
        assert re.search(rf"kuvio(ssa|issa) [^.]*\b{block['number']}\b", body), block["label"]
    for block in document.numbered("table"):
        assert re.search(rf"taulukoi?ssa [^.]*\b{block['number']}\b", body), block["label"]


# ---------------------------------------------------------------------------- Word
def _styles_xml(path) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read("word/styles.xml").decode("utf-8")


def test_docx_language_alignment_header_rows_and_styles(drafts):
    _, out = drafts
    fi_path, en_path = out["fi"][1]["docx"], out["en"][1]["docx"]
    assert 'w:lang w:val="fi-FI"' in _styles_xml(fi_path) and 'w:lang w:val="en-GB"' in _styles_xml(en_path)
    assert "en-US" not in _styles_xml(fi_path)
    document = docx.Document(fi_path)
    assert document.core_properties.language == "fi-FI"
    for table in document.tables:
        assert "w:tblHeader" in table.rows[0]._tr.xml
    # numbers right-aligned: the "Pareja (n)" column of the change-by-role table
    table = next(t for t in document.tables if t.rows[0].cells[0].text == "Ammattinimike")
    assert [c.paragraphs[0].alignment for c in table.columns[1].cells[1:]] == [docx.enum.text.WD_ALIGN_PARAGRAPH.RIGHT] * 2
    assert table.columns[0].cells[1].paragraphs[0].alignment is None
    styles = {p.style.name for p in document.paragraphs}
    assert {"Title", "Heading 1", "Heading 2", "Caption"} <= styles


def test_docx_tables_fit_their_page(drafts):
    _, out = drafts
    document = docx.Document(out["fi"][1]["docx"])
    body = document.element.body
    section_of = {}
    sections = list(document.sections)
    index = 0
    for child in body.iterchildren():
        if child.tag.endswith("}tbl"):
            section_of[child] = sections[index]
        if child.tag.endswith("}p") and child.find(".//" + docx.oxml.ns.qn("w:sectPr")) is not None:
            index += 1
    assert section_of
    for table in document.tables:
        section = section_of[table._tbl]
        text_width = section.page_width - section.left_margin - section.right_margin
        width = sum(cell.width or 0 for cell in table.rows[0].cells)
        assert width <= text_width * 1.001, (width, text_width)
    assert any(s.orientation == docx.enum.section.WD_ORIENT.LANDSCAPE for s in sections)  # the joint display


@pytest.mark.slow  # runs LibreOffice
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_docx_renders_in_libreoffice(drafts, tmp_path):
    _, out = drafts
    path = out["fi"][1]["docx"]
    profile = f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}"  # its own: another soffice may be running
    subprocess.run(["soffice", profile, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                   check=True, capture_output=True, timeout=240)
    pdf = (tmp_path / "findings.pdf").read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert 4 <= pages <= 40, pages
    assert re.search(rb"/Lang\s*\(fi-FI\)", pdf)


# ---------------------------------------------------------------------------- subsets, description
def test_subset_draft_has_its_own_methods_and_the_same_suppression(tmp_path):
    root = make_workspace(tmp_path)
    document = build_report(root, "fi", include_runs=["survey"])
    keys = {b["key"][0] for b in document.blocks if b.get("key")}
    assert keys == {"survey"}
    assert "Opinnäytetyön luonnos" in document.subtitle
    assert not any(b.get("key") == ("joint", "table", "joint_display") for b in document.blocks)
    notes = " ".join(b.get("notes") or "" for b in document.blocks if b["type"] == "table")
    assert "<5" in notes  # the suppressed n_pairs of the published table keeps its note
    with pytest.raises(ConfigError, match="no run matches"):
        build_report(root, "fi", include_runs=["no-such-run"])


def test_data_description_comes_from_the_manifest(tmp_path):
    """The manifest's description reaches the report through the ingestion report (no notebook reads data/raw/)."""
    from analysis.ingest import load_manifest
    from analysis.workspace import Workspace

    root = make_workspace(tmp_path)
    raw = root / "data" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    ws = Workspace.discover(root=root)

    def ingest_manifest(doc):
        (raw / "manifest.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
        ws.processed.mkdir(parents=True, exist_ok=True)
        data = load_manifest(raw / "manifest.yaml", ws).data
        (ws.processed / "ingest_report.json").write_text(json.dumps({"sources": [], "data": data}), encoding="utf-8")

    ingest_manifest({"description": {"fi": "Kuvitteellinen aineisto", "en": "Made-up data"}, "synthetic": True})
    text = "\n".join(b.get("text", "") for b in build_report(root, "fi").blocks)
    assert "Kuvitteellinen aineisto." in text and "synteettistä" in text
    assert source_note({"fi": "Kyselyt", "en": "Surveys"}, root=root)["fi"] == "Kyselyt, synteettinen aineisto"
    ingest_manifest({"description": "Oma aineisto"})
    text = "\n".join(b.get("text", "") for b in build_report(root, "fi").blocks)
    assert "Oma aineisto." in text and "synteettis" not in text
    assert source_note({"fi": "Kyselyt", "en": "Surveys"}, root=root)["fi"] == "Kyselyt"
    with pytest.raises(ConfigError, match="synthetic"):
        ingest_manifest({"synthetic": "yes"})


def test_english_draft_shows_figures_drawn_in_english(drafts):
    _, out = drafts
    figures = {language: [b for b in out[language][0].blocks if b["type"] == "figure" and b["key"][2] == "shares"]
               for language in ("fi", "en")}
    assert figures["fi"][0]["png"].name == "shares.png" and figures["en"][0]["png"].name == "shares.en.png"
    assert figures["en"][0]["alt"] == "Figure 2. Shares (n = 33)" or figures["en"][0]["alt"].endswith("Shares (n = 33)")


def test_word_template_gives_the_styles(tmp_path):
    from docx.shared import Pt

    template = docx.Document()
    template.styles["Heading 1"].font.size = Pt(23)
    template.add_paragraph("template text that must not appear")
    template.save(tmp_path / "template.docx")
    root = make_workspace(tmp_path / "ws")
    config = yaml.safe_load((__import__("pathlib").Path(__file__).parents[1] / "config" / "report.yaml").read_text(encoding="utf-8"))
    config["word_template"] = str(tmp_path / "template.docx")
    paths = write_report(root, "fi", report_config=config)
    document = docx.Document(paths["docx"])
    assert document.styles["Heading 1"].font.size == Pt(23)
    assert not any("template text" in p.text for p in document.paragraphs)


def test_jakala_report_runs_writes_a_thesis_draft(tmp_path, capsys):
    from analysis.cli import main

    root = make_workspace(tmp_path)
    assert main(["--root", str(root), "report", "--runs", "survey"]) == 0
    out = root / "reports" / "drafts" / "survey"
    assert {p.name for p in out.iterdir()} >= {"findings.md", "findings.html", "findings.docx", "tables.xlsx"}
    md = (out / "findings.md").read_text(encoding="utf-8")
    assert "Opinnäytetyön luonnos osa-aineistosta: Ammattilaisten kysely." in md
    assert "Teemojen esiintyminen työpajoissa" not in md  # the other runs stay out
    assert main(["--root", str(root), "report", "--runs", "nothing-like-this"]) != 0


def test_methods_name_the_lemmatiser_and_its_version(tmp_path):
    from analysis.findings.methods import text_processing

    processed = tmp_path / "data" / "processed"
    processed.mkdir(parents=True)
    (processed / "ingest_report.json").write_text(json.dumps({"sources": [], "lemmatiser": {
        "name": "pyvoikko", "version": "x", "analyser": "pyvoikko 0.6", "simplemma": "2.0.0"}}), encoding="utf-8")
    fi = " ".join(text_processing(tmp_path, "fi"))
    en = " ".join(text_processing(tmp_path, "en"))
    assert "menetelmällä pyvoikko (pyvoikko 0.6, simplemma 2.0.0" in fi
    assert "with the pyvoikko backend (pyvoikko 0.6, simplemma 2.0.0" in en


def test_docx_columns_are_wide_enough_for_every_body_word_and_headers_wrap_first():
    """Measured on the rendered draft: with 8 columns, "105" broke into "10/5"; now headers give way."""
    from docx.shared import Cm

    from analysis.findings.report.to_docx import _docx_table

    header = ["Summamuuttuja", "Mittauskerta", "n", "Väittämiä", "Cronbachin α", "α, LV alaraja", "α, LV yläraja",
              "McDonaldin ω"]
    rows = [["Palvelupolkujen toimivuus", "kaikki", "105", "3", "0,83", "0,76", "0,88", "0,83"]]
    document = docx.Document()
    _docx_table(document, {"header": header, "rows": rows}, 16.0)
    widths = [column.width for column in document.tables[0].columns]
    char_cm = 0.19 * 1.05
    for j, cell in enumerate(rows[0]):
        longest = max(len(w) for w in cell.split())
        assert widths[j] >= Cm(longest * char_cm + 0.5), (header[j], widths[j].cm)
    assert abs(sum(w.cm for w in widths) - 16.0) < 0.01
    assert widths[0] > widths[2]  # a long row label gets more than a count column


def test_docx_headers_that_would_break_inside_a_word_are_set_smaller():
    """Measured on the rendered draft: "Vaikutuskoko" printed as "Vaikutusko/o" in a 16 cm table."""
    from docx.shared import Cm, Pt

    from analysis.findings.report.to_docx import HEADER_MIN_PT, _docx_table

    header = ["Mittauskerta", "Summamuuttuja", "n", "Testisuure", "df", "p (korjattu)", "Vaikutuskoko"]
    rows = [["alkukartoitus", "Palvelupolkujen toimivuus", "58", "1,76", "2", "0,627", "0,03"]]

    def header_sizes(width_cm):
        document = docx.Document()
        _docx_table(document, {"header": header, "rows": rows}, width_cm)
        table = document.tables[0]
        sizes = {run.font.size for cell in table.rows[0].cells for p in cell.paragraphs for run in p.runs}
        body = {run.font.size for cell in table.rows[1].cells for p in cell.paragraphs for run in p.runs}
        return sizes, body, [c.width for c in table.columns]

    sizes, body, widths = header_sizes(16.0)
    assert body == {Pt(9)} and len(sizes) == 1
    (size,) = sizes
    assert Pt(HEADER_MIN_PT) <= size < Pt(9)
    char_cm = 0.19 * 1.05
    for j, head in enumerate(header):  # every header word now has its width
        longest = max(len(w) for w in head.split())
        assert widths[j] >= Cm(longest * char_cm * 1.15 * size.pt / 9 + 0.5), (head, widths[j].cm)
    assert header_sizes(30.0)[0] == {Pt(9)}  # room enough: the header keeps the body's size

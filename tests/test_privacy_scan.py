"""The leak gate: identifiers planted in every output type are found, named and masked."""

import base64
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import openpyxl  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from docx import Document  # noqa: E402

from analysis.errors import DataError, LeakError  # noqa: E402
from analysis.privacy.keys import PseudonymKey  # noqa: E402
from analysis.privacy.scan import (  # noqa: E402
    LeakFinding,
    assert_no_leaks,
    format_findings,
    mask_identifier,
    scan_paths,
    scan_text,
)

HETU = "131052-308T"
PHONE = "040 123 4567"
EMAIL = "aino.korhonen@lapha.fi"

CLEAN_TEXT = (
    "Kuvio 3.2: Roolien selkeys mittauskerroittain (n = 118). Versio 0.1.0, ajettu "
    "2025-03-12 klo 12:30. SHA-256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855. "
    "Taulukko 4; p = 0,012; 1 200 euroa; R001, R002; [Nuori 2] sanoi [nimi poistettu]. "
    "Simossa ja Kemissä; lähde: W03, 2025-03-12; git@github.com; jakala-analysis==0.1.0"
)


@pytest.fixture()
def key(tmp_path):
    k = PseudonymKey.load(tmp_path / "keys")
    k.pseudonym("speaker", "Aino Korhonen", role="young_person")
    k.pseudonym("speaker", "Simo Mäki", role="social_worker")
    return k


def _notebook(path, source_extra="", output_extra=""):
    nb = nbformat.v4.new_notebook()
    nb.metadata["papermill"] = {"parameters": {"wave": "baseline", "min_cell_size": 5}}
    code = nbformat.v4.new_code_cell("x = 1\n" + source_extra, execution_count=1)
    png = base64.b64encode(b"\x89PNG\r\n" + bytes(range(256)) * 40).decode()
    code.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text=CLEAN_TEXT + output_extra),
        nbformat.v4.new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"}),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# Otsikko\n" + CLEAN_TEXT), code]
    nbformat.write(nb, str(path))


def _xlsx(path, cell_text):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "T3"
    ws.append(["kunta", "n", "huom"])
    ws.append(["Kemi", 14, "Kuvio 3.2"])
    ws.append(["Simo", "<5", cell_text])
    wb.save(path)


def _docx(path, paragraph="", cell=""):
    doc = Document()
    doc.add_paragraph("Tulokset")
    doc.add_paragraph(CLEAN_TEXT + paragraph)
    table = doc.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "kunta"
    table.cell(1, 1).text = "14" + cell
    doc.save(path)


def _svg(path, title):
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.bar(["Kemi", "Tornio"], [14, 9])
    ax.set_title(title)
    fig.savefig(path, format="svg")
    plt.close(fig)


def _write_clean_outputs(folder):
    folder.mkdir(parents=True, exist_ok=True)
    _notebook(folder / "01.ipynb")
    _xlsx(folder / "tables.xlsx", "—")
    _docx(folder / "findings.docx")
    _svg(folder / "fig1.svg", "Kuvio 1. Roolien selkeys 2024–2026")
    pd.DataFrame({"segment": ["s1", "s2"], "text": [CLEAN_TEXT, "[Nuori 1] kertoi asumisesta"],
                  "n": [3, 4]}).to_parquet(folder / "segments.parquet")
    (folder / "t1.csv").write_text("kunta;n\nKemi;14\nSimo;<5\n", encoding="utf-8")
    (folder / "report.md").write_text(f"# Raportti\n\n{CLEAN_TEXT}\n", encoding="utf-8")
    (folder / "report.html").write_text(f"<html><body><p>{CLEAN_TEXT}</p></body></html>",
                                        encoding="utf-8")
    (folder / "registry.json").write_text(json.dumps({"numbers": {"n": 118}, "text": CLEAN_TEXT},
                                                     ensure_ascii=True), encoding="utf-8")
    (folder / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n" + EMAIL.encode() + b"\x00" * 20)


def test_clean_outputs_give_no_findings(tmp_path, key):
    _write_clean_outputs(tmp_path / "out")
    findings = scan_paths([tmp_path / "out"], key)
    assert findings == [], format_findings(findings)
    assert format_findings([]) == "No identifiers found."
    assert_no_leaks(tmp_path / "out", key)


@pytest.mark.parametrize("kind, planted, masked", [
    ("hetu", HETU, "13****-***T"), ("phone", PHONE, "040 *** **67"),
    ("email", EMAIL, "a***@***.fi"), ("name", "Ainolle", "A***"), ("name", "Korhosen", "K***"),
])
def test_plant_in_every_format(tmp_path, key, kind, planted, masked):
    out = tmp_path / "out"
    _write_clean_outputs(out)
    text = f"Viesti {planted} tänään"
    _notebook(out / "02_source.ipynb", source_extra=f"# {text}\n")
    _notebook(out / "03_output.ipynb", output_extra=f"\n{text}")
    _xlsx(out / "t_planted.xlsx", text)
    _docx(out / "p_planted.docx", paragraph=" " + text)
    _docx(out / "c_planted.docx", cell=" " + text)
    _svg(out / "f_planted.svg", text)
    pd.DataFrame({"id": [1, 2, 3, 4, 5, 6, 7], "text": ["ok"] * 6 + [text]}).to_parquet(
        out / "q_planted.parquet")
    for suffix in ("csv", "tsv", "txt", "md", "html", "vtt"):
        (out / f"l_planted.{suffix}").write_text("otsikko\n" * 39 + text + "\n", encoding="utf-8")
    (out / "j_planted.json").write_text(json.dumps({"quotes": [{"text": text}]}), encoding="utf-8")

    findings = scan_paths([out], key)
    where = {(f.file.split("/")[-1], f.location) for f in findings}
    expected = {
        ("02_source.ipynb", "cell 2 source"), ("03_output.ipynb", "cell 2 output"),
        ("t_planted.xlsx", "sheet 'T3' cell C3"), ("p_planted.docx", "paragraph 2"),
        ("c_planted.docx", "table 1 row 2 cell 2"), ("q_planted.parquet", "row 7 column 'text'"),
        ("j_planted.json", "key 'quotes[0].text'"),
        *((f"l_planted.{s}", "line 40") for s in ("csv", "tsv", "txt", "md", "html", "vtt")),
    }
    assert expected <= where, format_findings(findings)
    svg = [f for f in findings if f.file.endswith("f_planted.svg")]
    assert svg and svg[0].location.startswith("line ")
    assert {f.kind for f in findings} == {kind}
    assert {f.masked for f in findings} == {masked}
    assert not any(f.file.endswith(".png") for f in findings)
    report = format_findings(findings)
    assert planted not in report and planted[2:] not in report
    with pytest.raises(LeakError) as err:
        assert_no_leaks([out], key)
    assert "l_planted" in str(err.value) or "planted" in str(err.value)
    assert planted not in str(err.value)


def test_full_name_and_metadata_and_docx_author(tmp_path, key):
    out = tmp_path / "out"
    out.mkdir()
    nb_path = out / "run.ipynb"
    _notebook(nb_path)
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    nb["metadata"]["papermill"]["parameters"]["speaker"] = "Simo Mäki"
    nb_path.write_text(json.dumps(nb), encoding="utf-8")
    doc = Document()
    doc.add_paragraph("Tulokset")
    doc.core_properties.author = "Aino Korhonen"
    doc.save(out / "report.docx")
    findings = scan_paths(out, key)
    assert {(f.file.split("/")[-1], f.location) for f in findings} == {
        ("run.ipynb", "notebook metadata"), ("report.docx", "document property 'author'")}


def test_place_names_only_flagged_in_full_names(key):
    assert scan_text("Simossa ja Simo: 4 vastaajaa", key) == []
    assert scan_text("Simo Mäelle soitettiin", key) == [("name", "S***")]


def test_key_files_are_not_scanned_but_other_copies_are(tmp_path, key):
    key.save()
    assert scan_paths([key.keys_dir], key) == []
    copy = tmp_path / "reports" / "copy.json"
    copy.parent.mkdir()
    copy.write_text(key.path.read_text(encoding="utf-8"), encoding="utf-8")
    assert {f.kind for f in scan_paths([copy], key)} == {"name"}


def test_missing_path_and_broken_files(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        scan_paths([tmp_path / "nope"])
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="cannot open"):
        scan_paths([tmp_path / "broken.xlsx"])


def test_mask_and_format():
    assert mask_identifier("hetu", HETU) == "13****-***T"
    assert mask_identifier("email", "jere(at)gmail.com") == "j***@***.com"
    assert mask_identifier("phone", "+358401234567") == "+358*******67"
    finding = LeakFinding("reports/t.csv", "line 2", "phone", "040 *** **67")
    assert format_findings([finding, finding]) == (
        "reports/t.csv, line 2: phone 040 *** **67\n"
        "reports/t.csv, line 2: phone 040 *** **67\n"
        "2 possible identifiers in 1 file.")


def test_encodings_cp1252_and_utf16(tmp_path):
    (tmp_path / "a.csv").write_bytes("kunta;teksti\nKemi;Jäi 040 123 4567\n".encode("cp1252"))
    (tmp_path / "b.csv").write_bytes("kunta;teksti\nKemi;hetu 131052-308T\n".encode("utf-16"))
    kinds = sorted(f.kind for f in scan_paths(tmp_path))
    assert kinds == ["hetu", "phone"]


@pytest.mark.parametrize("text", ["AINO KORHONEN soitti", "aino korhonen soitti", "Soitin KORHOSELLE",
                                  "soitin korhoselle eilen", "MÄELLE soitettiin"])
def test_gate_finds_names_in_any_case_and_inflected(tmp_path, key, text):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "t.md").write_text(f"# Otsikko\n{text}\n", encoding="utf-8")
    found = scan_paths([tmp_path / "out"], key=key)
    assert [f.kind for f in found] and all(f.kind == "name" for f in found)


@pytest.mark.parametrize("name", ["haastattelu_Aino_Korhonen.docx.csv", "litterointi-korhonen-2024.txt",
                                  "haastatteluAinoKorhonen.md", "nauhoite.KORHONEN.txt"])
def test_gate_finds_names_inside_file_names(tmp_path, key, name):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / name).write_text("kunta;n\nKemi;14\n", encoding="utf-8")
    found = scan_paths([tmp_path / "out"], key=key)
    assert [f.location for f in found] == ["file name"] * len(found) and found

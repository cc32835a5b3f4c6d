"""Synthetic inputs in every format with planted identifiers → redacted outputs without any.

The readers here are minimal stand-ins for analysis.io (which the ingestion uses); the
point is the privacy chain: key → redactor → written outputs → leak gate.
"""

import csv
import re
import doctest

import openpyxl
import pandas as pd
import pytest
from docx import Document

import analysis.privacy.archive
import analysis.privacy.hetu
import analysis.privacy.keys
import analysis.privacy.redact
import analysis.privacy.scan
import analysis.privacy.suppress
from analysis.privacy import PseudonymKey, Redactor, assert_no_leaks, scan_paths

PLANTED = {
    "hetu": ["131052-308T", "010594Y9032", "020516C903K", "020504B904H"],
    "phone": ["040 123 4567", "+358 50 765 4321", "016-123456"],
    "email": ["aino.korhonen@lapha.fi", "jere(at)gmail.com"],
    "name": ["Ainolle", "Korhosen", "Jeren", "Virtaselle", "Matille", "Meikäläisen"],
    "address": ["Valtakatu 5 B 12", "Keskikatu 14 as. 3"],
}
TURNS = [
    ("Fasilitaattori", "Tervetuloa [naurua]. Jos tulee kysyttävää, soittakaa 040 123 4567."),
    ("Aino Korhonen", "Mä kerroin Jeren kanssa, et Virtaselle pitää soittaa +358 50 765 4321."),
    ("Jere Virtanen", "Joo [epäselvä] Ainolle tuli kirje osoitteeseen Valtakatu 5 B 12 (.) --"),
    ("SO2", "Korhosen hetu 131052-308T ja toinen 010594Y9032, sähköposti aino.korhonen@lapha.fi."),
    ("ST1", "Matille ja Meikäläisen perheelle 020516C903K, 020504B904H, jere(at)gmail.com."),
    ("SO2", "Keskikatu 14 as. 3 on tuettu asunto, numero 016-123456. [nimi poistettu] tuli myös."),
]
ROLES = {"Fasilitaattori": "facilitator", "Aino Korhonen": "young_person",
         "Jere Virtanen": "young_person", "SO2": "social_counsellor", "ST1": "social_worker"}


def _write_inputs(raw):
    raw.mkdir()
    (raw / "tp1.txt").write_text("\n".join(f"{s}: {t}" for s, t in TURNS), encoding="utf-8")
    vtt = ["WEBVTT", ""]
    for i, (speaker, text) in enumerate(TURNS):
        vtt += [f"00:00:{i * 5:02d}.000 --> 00:00:{i * 5 + 4:02d}.000", f"<v {speaker}>{text}</v>", ""]
    (raw / "teams.vtt").write_text("\n".join(vtt), encoding="utf-8")
    doc = Document()
    for speaker, text in TURNS:
        doc.add_paragraph(f"{speaker}: {text}")
    doc.save(raw / "tp3.docx")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Kirjoittaja", "Mitä tapahtui?"])
    for speaker, text in TURNS:
        ws.append([speaker, text])
    wb.save(raw / "paivakirja.xlsx")
    with open(raw / "kysely.csv", "w", encoding="cp1252", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Vastaajatunnus", "Mitä muuta haluaisit sanoa jälkihuollosta?"])
        for i, (_, text) in enumerate(TURNS):
            writer.writerow([f"{1000 + i}", text])


def _read_inputs(raw):
    """(source, who, text) from every format."""
    rows = []
    for line in (raw / "tp1.txt").read_text(encoding="utf-8").splitlines():
        who, text = line.split(": ", 1)
        rows.append(("tp1.txt", who, text))
    for line in (raw / "teams.vtt").read_text(encoding="utf-8").splitlines():
        if line.startswith("<v "):
            who, text = line[3:].removesuffix("</v>").split(">", 1)
            rows.append(("teams.vtt", who, text))
    for paragraph in Document(raw / "tp3.docx").paragraphs:
        who, text = paragraph.text.split(": ", 1)
        rows.append(("tp3.docx", who, text))
    sheet = openpyxl.load_workbook(raw / "paivakirja.xlsx").active
    rows += [("paivakirja.xlsx", w, t) for w, t in sheet.iter_rows(min_row=2, values_only=True)]
    frame = pd.read_csv(raw / "kysely.csv", sep=";", encoding="cp1252", dtype=str)
    rows += [("kysely.csv", code, text) for code, text in frame.itertuples(index=False)]
    return rows


def test_every_planted_identifier_is_gone_from_every_output(tmp_path):
    raw = tmp_path / "raw"
    _write_inputs(raw)
    rows = _read_inputs(raw)
    assert len(rows) == 5 * len(TURNS)
    keys = tmp_path / "data" / "keys"
    keys.mkdir(parents=True)
    (keys / "names.yaml").write_text("names:\n  - Matti Meikäläinen\n", encoding="utf-8")
    key = PseudonymKey.load(keys)
    out = []
    for source, who, text in rows:   # pseudonymise every speaker first …
        kind = "respondent" if source == "kysely.csv" else "writer" if source.endswith("xlsx") else "speaker"
        out.append((source, key.pseudonym(kind, who, role=ROLES.get(who)), text))
    redactor = Redactor(key)         # … then redact all texts with one compiled redactor
    result = pd.DataFrame([(s, p, redactor(t)) for s, p, t in out], columns=["source", "who", "text"])
    key.save()

    outputs = tmp_path / "outputs"
    outputs.mkdir()
    result.to_parquet(outputs / "turns.parquet")
    result.to_csv(outputs / "turns.csv", index=False)
    result.to_excel(outputs / "turns.xlsx", index=False)
    report = Document()
    for row in result.itertuples():
        report.add_paragraph(f"{row.who}: {row.text}")
    report.save(outputs / "report.docx")
    (outputs / "quotes.md").write_text("\n".join(result["text"]), encoding="utf-8")

    # nothing planted survives anywhere, checked on the raw bytes of text outputs too
    for kind, values in PLANTED.items():
        for value in values:
            assert not result["text"].str.contains(value, regex=False).any(), (kind, value)
            for file in ("turns.csv", "quotes.md"):
                assert value not in (outputs / file).read_text(encoding="utf-8"), (file, value)
    assert scan_paths(outputs, key, kinds=["hetu", "email", "phone", "address", "name"]) == []
    assert_no_leaks([outputs], key)
    # the marks and pseudonyms are what is left
    text = " ".join(result["text"])
    speakers = {who: key.lookup("speaker", who) for who in ROLES}
    for mark in ("[henkilötunnus]", "[puhelinnumero]", "[sähköposti]", "[osoite]", "[nimi]",
                 f"[{speakers['Aino Korhonen']}]", f"[{speakers['Jere Virtanen']}]", "[nimi poistettu]", "[naurua]",
                 "[epäselvä]"):
        assert mark in text, mark
    assert set(result.loc[result.source == "tp1.txt", "who"]) == set(speakers.values())
    # random numbers by role, none the number of a raw label (ST1 is not ST 1, SO2 not SO 2)
    assert all(re.fullmatch(r"(Fasilitaattori|Nuori|SO|ST) \d{2}", p) for p in speakers.values())
    assert speakers["ST1"] != "ST 1" and speakers["SO2"] != "SO 2"
    respondents = set(result.loc[result.source == "kysely.csv", "who"])
    assert len(respondents) == 6 and all(re.fullmatch(r"R\d{4}", r) for r in respondents)
    assert not {r[1:] for r in respondents} & {str(1000 + i) for i in range(len(TURNS))}  # raw codes 1000…
    # the same people keep their pseudonyms on re-ingestion
    again = PseudonymKey.load(keys)
    assert again.pseudonym("speaker", "Jere Virtanen", role="young_person") == speakers["Jere Virtanen"]
    # the key is the only file holding originals
    assert {f.file.split("/")[-1] for f in scan_paths(tmp_path / "data", None)} == set()
    planting = outputs / "turns.csv"
    planting.write_text(planting.read_text(encoding="utf-8") + "x,y,Ainolle soitettiin\n", encoding="utf-8")
    assert [f.file for f in scan_paths(outputs, key)] == [str(planting)]


@pytest.mark.parametrize("module", [analysis.privacy.hetu, analysis.privacy.keys,
                                    analysis.privacy.redact, analysis.privacy.suppress,
                                    analysis.privacy.scan, analysis.privacy.archive])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0

"""Tests for analysis.io.transcripts: txt, docx, vtt (Teams, Zoom), srt, speaker maps, bad input."""

from __future__ import annotations

import codecs
import math

import docx
import pytest

from analysis.errors import DataError
from analysis.io.transcripts import parse_timestamp, read_transcript

TXT = """Työpaja: TP1 Tulevaisuuden muistelu
Päivämäärä: 14.5.2024
Paikka: Kemi
Menetelmä: Tulevaisuuden muistelu
Työpaketti: TP1

[00:00:05] Fasilitaattori: No niin, tervetuloa kaikki. [naurua]
Kerrotaan ensin vähän taustaa.
ST1: Joo, mä voin aloittaa (.) meillä on ollu aika -- aika kiireistä.
Huom: tässä kohtaa nauhoite katkesi hetkeksi.
(12:31)
SO 2: Niin ja klo 12:30 meillä alkaa toi toinen palaveri.
00:13:02 Nuori 3: Mä en oikein tiennyt kehen pitää ottaa yhteyttä [epäselvä].
**H1:** Kiitos, tää oli tärkeä.
N3 [00:14:10]: Niin oli.
KA: Kokemusasiantuntijana sanoisin että [nimi poistettu] auttoi.
Haastattelija: Mennään eteenpäin.
"""


def expected_labels():
    return ["Fasilitaattori", "ST1", "SO 2", "Nuori 3", "H1", "N3", "KA", "Haastattelija"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_txt_crlf_every_encoding(tmp_path, encoding):
    path = tmp_path / "tp1_tyopaja_2024-05-14.txt"
    path.write_bytes(TXT.replace("\n", "\r\n").encode(encoding))
    t = read_transcript(path)
    turns = t.turns
    assert t.format == "txt"
    assert turns.columns.tolist() == ["turn", "label", "start_time", "text", "source_line"]
    assert turns["label"].tolist() == expected_labels()
    assert turns["turn"].tolist() == list(range(1, 9))
    assert turns["source_line"].tolist() == [7, 9, 12, 13, 14, 15, 16, 17]
    assert t.metadata == {"workshop": "TP1 Tulevaisuuden muistelu", "date": "14.5.2024", "place": "Kemi",
                          "method": "Tulevaisuuden muistelu", "work_package": "TP1"}
    first = turns.iloc[0]
    assert first["start_time"] == 5.0
    assert first["text"] == "No niin, tervetuloa kaikki. [naurua]\nKerrotaan ensin vähän taustaa."
    st1 = turns.iloc[1]["text"]
    assert "(.)" in st1 and "--" in st1 and "Huom: tässä kohtaa" in st1  # Huom continues the turn
    assert math.isnan(turns.iloc[1]["start_time"])
    assert turns.iloc[2]["start_time"] == 751.0  # (12:31) on the line before the label
    assert "klo 12:30" in turns.iloc[2]["text"]
    assert turns.iloc[3]["start_time"] == 13 * 60 + 2
    assert turns.iloc[4]["text"] == "Kiitos, tää oli tärkeä."
    assert turns.iloc[5]["start_time"] == 14 * 60 + 10 and turns.iloc[5]["text"] == "Niin oli."
    assert "[nimi poistettu]" in turns.iloc[6]["text"]


def test_speaker_map_matches_tolerantly_and_returns_map_spelling(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("so2: Moi\nSO 2: Hei taas\nFasilitaattori: Jatketaan\n", encoding="utf-8")
    t = read_transcript(path, speaker_map={"SO2": "social_counsellor", "Fasilitaattori": "facilitator"})
    assert t.turns["label"].tolist() == ["SO2", "SO2", "Fasilitaattori"]


def test_speaker_map_unknown_labels_one_error_with_lines(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text(
        "Päivämäärä: 1.6.2024\nFasilitaattori: Aloitetaan.\nST3: Hei.\nHuom: ei puhuja.\n"
        "Nuori 5: Moi.\nST3: Uudestaan.\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError) as err:
        read_transcript(path, speaker_map={"Fasilitaattori": "facilitator"})
    msg = str(err.value)
    assert msg.startswith(f"{path}, line 3: 2 speaker label(s) not in the speaker map")
    assert "'ST3' (lines 3, 6)" in msg and "'Nuori 5' (line 5)" in msg
    assert "Huom" not in msg
    assert "speakers:" in msg and "manifest.yaml" in msg


def test_speaker_map_recognises_unusual_labels(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("Pekka: Moi.\nLaura: Hei.\nLisätieto ilman puhujaa.\n", encoding="utf-8")
    t = read_transcript(path, speaker_map={"Pekka": "partner", "Laura": "researcher"})
    assert t.turns["label"].tolist() == ["Pekka", "Laura"]
    assert t.turns["text"].tolist()[1] == "Hei.\nLisätieto ilman puhujaa."


def test_metadata_key_that_is_also_a_code_label(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("TP: TP3\nST1: Joo.\nTP: tämä on nyt puhuja?\n", encoding="utf-8")
    t = read_transcript(path)
    assert t.metadata["work_package"] == "TP3"
    assert t.turns["label"].tolist() == ["ST1", "TP"]


def test_preamble_text_is_kept(tmp_path):
    path = tmp_path / "t.md"
    path.write_text("# Työpajan litterointi\n\nH: Moi.\n", encoding="utf-8")
    t = read_transcript(path)
    assert t.metadata["preamble"] == "# Työpajan litterointi"


# ----------------------------------------------------------------------------- docx
def write_docx(path, *, bold=True, table=True, header_lines=False):
    d = docx.Document()
    d.add_heading("Työpajan litterointi", level=1)
    if table:
        tbl = d.add_table(rows=0, cols=2)
        for key, value in [("Päivämäärä", "12.3.2025"), ("Työpaketti", "TP2C"), ("Paikka", "Teams"),
                           ("Menetelmä", "Learning cafe")]:
            cells = tbl.add_row().cells
            cells[0].text, cells[1].text = key, value
    if header_lines:
        d.add_paragraph("Päivämäärä: 12.3.2025")
        d.add_paragraph("Paikka: Tornio")
    for label, text in [("Fasilitaattori:", " Tervetuloa, aloitetaan."), ("Nuori 3", " Asunnon löytäminen oli vaikeaa."),
                        ("SO2:", " [00:05:01] Mä voin kertoa.")]:
        p = d.add_paragraph()
        run = p.add_run(label)
        run.bold = bold
        p.add_run(text)
        if label.startswith("Nuori"):
            d.add_paragraph("Vuokranantajat ei vastannu ollenkaan. [huokaus]")
            d.add_paragraph("")
            d.add_paragraph("Sitten sain lopulta kämpän.")
    d.save(path)


def test_docx_bold_labels_metadata_table_multi_paragraph_turns(tmp_path):
    path = tmp_path / "tp2c.docx"
    write_docx(path)
    t = read_transcript(path)
    assert t.format == "docx"
    assert t.metadata["date"] == "12.3.2025" and t.metadata["work_package"] == "TP2C"
    assert t.metadata["method"] == "Learning cafe" and t.metadata["place"] == "Teams"
    assert t.metadata["preamble"] == "Työpajan litterointi"
    assert t.turns["label"].tolist() == ["Fasilitaattori", "Nuori 3", "SO2"]  # bold label without colon too
    nuori = t.turns.iloc[1]["text"]
    assert nuori == ("Asunnon löytäminen oli vaikeaa.\nVuokranantajat ei vastannu ollenkaan. [huokaus]\n"
                     "Sitten sain lopulta kämpän.")
    assert t.turns.iloc[2]["start_time"] == 301.0 and t.turns.iloc[2]["text"] == "Mä voin kertoa."
    assert t.turns["source_line"].tolist() == [2, 3, 7]  # paragraph numbers (heading = 1)


def test_docx_plain_labels_and_header_lines(tmp_path):
    path = tmp_path / "plain.docx"
    write_docx(path, bold=False, table=False, header_lines=True)
    t = read_transcript(path)
    assert t.metadata["place"] == "Tornio"
    # "Nuori 3" without colon and not bold is not a label: its text continues the facilitator's turn.
    assert t.turns["label"].tolist() == ["Fasilitaattori", "SO2"]
    assert "Nuori 3 Asunnon" in t.turns.iloc[0]["text"]


def test_docx_corrupt_and_truncated(tmp_path):
    good = tmp_path / "good.docx"
    write_docx(good)
    data = good.read_bytes()
    bad = tmp_path / "katkennut.docx"
    bad.write_bytes(data[: len(data) // 3])
    with pytest.raises(DataError, match="katkennut.docx.*save it again"):
        read_transcript(bad)
    renamed = tmp_path / "teksti.docx"
    renamed.write_text("ST1: moi", encoding="utf-8")
    with pytest.raises(DataError, match="not a valid .docx"):
        read_transcript(renamed)
    import zipfile

    notdoc = tmp_path / "zip.docx"
    with zipfile.ZipFile(notdoc, "w") as zf:
        zf.writestr("word/document.xml", "<not-xml")
    with pytest.raises(DataError, match="cannot be opened"):
        read_transcript(notdoc)


# ----------------------------------------------------------------------------- vtt / srt
TEAMS = """WEBVTT

0b1c2d3e-aaaa-bbbb-cccc-1234567890ab/12-0
00:00:03.120 --> 00:00:06.480
<v Aino Korhonen>Hyvää huomenta kaikille.</v>

0b1c2d3e-aaaa-bbbb-cccc-1234567890ab/12-1
00:00:06.480 --> 00:00:09.000
<v Aino Korhonen>Aloitetaan &amp; esittäydytään.</v>

NOTE tämä on kommentti

0b1c2d3e-aaaa-bbbb-cccc-1234567890ab/13-0
00:00:09.500 --> 00:00:12.000
<v Mikko Virtanen>Joo, mä oon Mikko Torniosta.</v>

00:00:12.100 --> 00:00:14.000
<v Aino Korhonen>Kiitos.</v>
"""

ZOOM = """WEBVTT

1
00:00:01.000 --> 00:00:04.000
Sanna Niemi: Tervetuloa työpajaan.

2
00:00:04.000 --> 00:00:07.500
Sanna Niemi: Aloitetaan kierroksella.

3
00:01:02.250 --> 00:01:05.000
Lapin hyvinvointialue - Kokoushuone: Me ollaan täällä kolmestaan.
"""

SRT = """1
00:00:01,000 --> 00:00:04,000
ST1: Tää on ensimmäinen
repliikki kahdella rivillä.

2
00:00:04,500 --> 00:00:06,000
SO2: Ja tää toinen.

3
00:00:06,100 --> 00:00:08,000
ilman puhujaa jatkuu.
"""


def test_vtt_teams_voice_tags_merge_consecutive_cues(tmp_path):
    path = tmp_path / "teams.vtt"
    path.write_bytes(codecs.BOM_UTF8 + TEAMS.replace("\n", "\r\n").encode("utf-8"))
    t = read_transcript(path)
    assert t.format == "vtt"
    assert t.turns["label"].tolist() == ["Aino Korhonen", "Mikko Virtanen", "Aino Korhonen"]
    assert t.turns["start_time"].tolist() == [3.12, 9.5, 12.1]
    assert t.turns.iloc[0]["text"] == "Hyvää huomenta kaikille. Aloitetaan & esittäydytään."
    assert t.turns["source_line"].tolist() == [5, 15, 18]


def test_vtt_zoom_name_prefix(tmp_path):
    path = tmp_path / "zoom.vtt"
    path.write_text(ZOOM, encoding="utf-8")
    t = read_transcript(path)
    assert t.turns["label"].tolist() == ["Sanna Niemi", "Lapin hyvinvointialue - Kokoushuone"]
    assert t.turns.iloc[0]["text"] == "Tervetuloa työpajaan. Aloitetaan kierroksella."
    assert t.turns.iloc[1]["start_time"] == 62.25
    with pytest.raises(DataError, match="'Sanna Niemi' \\(lines 5, 9\\)"):
        read_transcript(path, speaker_map={"Lapin hyvinvointialue - Kokoushuone": "partner"})


def test_srt_labels_and_unlabelled_cue(tmp_path):
    path = tmp_path / "a.srt"
    path.write_text(SRT, encoding="utf-8")
    t = read_transcript(path)
    assert t.format == "srt"
    assert t.turns["label"].tolist() == ["ST1", "SO2"]
    assert t.turns.iloc[0]["text"] == "Tää on ensimmäinen repliikki kahdella rivillä."
    assert t.turns.iloc[1]["text"] == "Ja tää toinen. ilman puhujaa jatkuu."
    assert any("without a speaker" in n for n in t.notes)


def test_vtt_without_header_or_with_bad_timing(tmp_path):
    path = tmp_path / "a.vtt"
    path.write_text("00:00:01.000 --> 00:00:02.000\nmoi\n", encoding="utf-8")
    with pytest.raises(DataError, match="line 1: a WebVTT file must start"):
        read_transcript(path)
    path.write_text("WEBVTT\n\n1\n00:00:01 -> 00:00:02\nmoi\n", encoding="utf-8")
    with pytest.raises(DataError, match="without a valid timing line"):
        read_transcript(path)


# ----------------------------------------------------------------------------- bad input
def test_no_turns_empty_binary_missing(tmp_path):
    path = tmp_path / "muistio.txt"
    path.write_text("Tässä vain tekstiä ilman puhujia.\nToinen rivi.\n", encoding="utf-8")
    with pytest.raises(DataError, match="no speaker turns found.*ST1"):
        read_transcript(path)
    empty = tmp_path / "tyhja.txt"
    empty.write_bytes(b"")
    with pytest.raises(DataError, match="empty"):
        read_transcript(empty)
    binary = tmp_path / "bin.txt"
    binary.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(DataError, match="binary"):
        read_transcript(binary)
    with pytest.raises(DataError, match="does not exist"):
        read_transcript(tmp_path / "ei_ole.vtt")
    with pytest.raises(DataError, match="unsupported file type '.pdf'"):
        (tmp_path / "a.pdf").write_bytes(b"%PDF-1.4")
        read_transcript(tmp_path / "a.pdf")


def test_speaker_map_must_be_mapping(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("H: moi\n", encoding="utf-8")
    with pytest.raises(DataError, match="mapping"):
        read_transcript(path, speaker_map=["H"])


@pytest.mark.parametrize("stamp, seconds", [("00:12:31", 751.0), ("12:31", 751.0), ("1:02:03.5", 3723.5),
                                            ("[00:00:07]", 7.0), ("(01:05)", 65.0), ("00:00:01,250", 1.25)])
def test_parse_timestamp(stamp, seconds):
    assert parse_timestamp(stamp) == seconds


def test_teams_docx_transcript_name_and_time_lines(tmp_path):
    d = docx.Document()
    d.add_paragraph("Jäkälä TP3 työpaja")
    d.add_paragraph("Aino Korhonen started transcription")
    d.add_paragraph("Aino Korhonen   0:03")
    d.add_paragraph("Hyvää huomenta, aloitetaan.")
    d.add_paragraph("Mikko Virtanen   1:02:09")
    d.add_paragraph("Joo, palveluohjaus on ollut hajanaista.")
    d.add_paragraph("Palaveri jatkuu 12:30")  # a sentence ending in a time is not a speaker line
    path = tmp_path / "teams.docx"
    d.save(path)
    t = read_transcript(path)
    assert t.turns["label"].tolist() == ["Aino Korhonen", "Mikko Virtanen"]
    assert t.turns["start_time"].tolist() == [3.0, 3729.0]
    assert t.turns.iloc[1]["text"] == "Joo, palveluohjaus on ollut hajanaista.\nPalaveri jatkuu 12:30"
    assert t.metadata["preamble"] == "Jäkälä TP3 työpaja\nAino Korhonen started transcription"


def test_old_teams_transcript_arrow_lines(tmp_path):
    path = tmp_path / "teams_old.txt"
    path.write_text("0:0:0.0 --> 0:0:3.640\nAino Korhonen\nHei kaikki.\n\n0:0:4.100 --> 0:0:6.0\n"
                    "Mikko Virtanen\nMoi.\n", encoding="utf-8")
    t = read_transcript(path, speaker_map={"Aino Korhonen": "facilitator", "Mikko Virtanen": "partner"})
    assert t.turns[["label", "start_time", "text", "source_line"]].values.tolist() == [
        ["Aino Korhonen", 0.0, "Hei kaikki.", 2], ["Mikko Virtanen", 4.1, "Moi.", 6]]

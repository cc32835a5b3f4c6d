"""Tests for analysis.io.diaries: form exports (xlsx/csv), folders of documents, problems list."""

from __future__ import annotations

import datetime as dt

import docx
import openpyxl
import pandas as pd
import pytest

from analysis.errors import ConfigError, DataError
from analysis.io.diaries import (
    DEFAULT_DIARY_FORM,
    DIARY_COLUMNS,
    PROBLEM_COLUMNS,
    diary_problems,
    load_diary_form,
    read_diary_folder,
    read_diary_form,
)

HEADERS = ["Päivämäärä", "Kirjoittajan tunnus", "Ammattinimike", "Työpaketti", "Mitä tapahtui?",
           "Mikä toimi hyvin?", "Mikä ei toiminut?", "Mitä seuraavaksi?"]


def form_rows():
    return [
        ["5.3.2024", "ST1", "Sosiaalityöntekijä", "TP2C", "Asumisvalmennus alkoi.", "Nuoret tulivat.", "", "Jatketaan."],
        ["2024-03-12", "SO2", "Sosiaaliohjaaja", "TP2A", "Vertaisryhmä kokoontui Teamsissa.", "Keskustelu.",
         "Yhteys katkesi.", ""],
        [45370, "ST1", "Sosiaalityöntekijä", "TP2C", "Asuntoa etsittiin.", "", "", ""],  # serial: 19.3.2024
        ["31.2.2024", "SO2", "Sosiaaliohjaaja", "TP2A", "Väärä päivämäärä.", "", "", ""],
        ["5.3.2024", "ST1", "Sosiaalityöntekijä", "TP2C", "Asumisvalmennus alkoi.", "Nuoret tulivat.", "", "Jatketaan."],
        ["6.3.2024", "ST1", "", "", "", "", "", ""],
    ]


def check_form(df, rows):
    assert df.columns.tolist() == DIARY_COLUMNS
    assert df["date"].dtype == "datetime64[ns]"
    assert df["date"].dt.date.tolist() == [dt.date(2024, 3, 5), dt.date(2024, 3, 12), dt.date(2024, 3, 19)]
    assert df["writer_code"].tolist() == ["ST1", "SO2", "ST1"]
    assert df["work_package"].tolist() == ["TP2C", "TP2A", "TP2C"]
    assert df["did_not_work"].tolist() == [None, "Yhteys katkesi.", None]
    assert df["source_row"].tolist() == rows[:3]
    problems = diary_problems(df)
    assert problems.columns.tolist() == PROBLEM_COLUMNS
    assert problems["source_row"].tolist() == rows[3:]
    reasons = problems["reason"].tolist()
    assert "impossible date" in reasons[0] and "'31.2.2024'" in reasons[0]
    assert reasons[1] == f"duplicate entry: same date, writer and text as row {rows[0]}"
    assert reasons[2] == "the entry has no text in any field"
    assert problems["content"].tolist()[0] == "Väärä päivämäärä."


def test_form_xlsx_with_title_row_and_mixed_dates(tmp_path):
    path = tmp_path / "hankepaivakirja.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Hankepäiväkirja – Webropol-raportti"])
    ws.append(HEADERS)
    for row in form_rows():
        ws.append([None if v == "" else v for v in row])
    ws["A5"] = dt.datetime(2024, 3, 19)  # a real Excel date cell in row 5
    wb.save(path)
    df = read_diary_form(path)
    check_form(df, [3, 4, 5, 6, 7, 8])
    assert (df["source_file"] == "hankepaivakirja.xlsx").all()


def test_form_csv_cp1252_semicolon_aliases(tmp_path):
    headers = ["Pvm", "Nimimerkki", "Rooli", "TP", "Kuvaus", "Onnistumiset", "Haasteet", "Jatkotoimet", "Ylimääräinen"]
    lines = [";".join(headers)] + [";".join(str(v) for v in row) + ";x" for row in form_rows()]
    path = tmp_path / "paivakirja.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    df = read_diary_form(path)
    check_form(df, [2, 3, 4, 5, 6, 7])
    assert any("columns not used: 'Ylimääräinen'" in n for n in df.attrs["notes"])


def test_form_missing_date_column_lists_headers(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("Kirjoittaja;Mitä tapahtui?\nST1;Jotain\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_diary_form(path)
    msg = str(err.value)
    assert "a.csv, row 1: no column for date" in msg and "'Kirjoittaja'" in msg and "diary_form.yaml" in msg


def test_form_custom_mapping_dict_and_yaml(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("Milloin;Teksti kirjoitettuna\n2024-04-01;Hei\n", encoding="utf-8")
    df = read_diary_form(path, mapping={"date": "Milloin", "happened": ["Teksti kirjoitettuna"]})
    assert df["happened"].tolist() == ["Hei"]
    assert df["writer_code"].tolist() == [None]
    yaml_file = tmp_path / "form.yaml"
    yaml_file.write_text("fields:\n  date: {aliases: [Milloin]}\n  happened: {aliases: [Teksti kirjoitettuna]}\n",
                         encoding="utf-8")
    assert read_diary_form(path, mapping=yaml_file)["happened"].tolist() == ["Hei"]


def test_mapping_errors(tmp_path):
    with pytest.raises(ConfigError, match="fields.paiva: unknown key 'paiva'"):
        load_diary_form({"paiva": "Pvm"})
    bad = tmp_path / "bad.yaml"
    bad.write_text("fields:\n  date: [Pvm\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="bad.yaml, line"):
        load_diary_form(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        load_diary_form(tmp_path / "none.yaml")
    with pytest.raises(ConfigError, match="aliases"):
        load_diary_form({"date": {"aliases": "Pvm"}})


def test_default_mapping_has_generator_headers():
    form = load_diary_form()
    assert DEFAULT_DIARY_FORM.name == "diary_form.yaml"
    for field, header in zip(["date", "writer_code", "role", "work_package", "happened", "worked",
                              "did_not_work", "next_steps"], HEADERS):
        assert header in form[field]["aliases"]


# ----------------------------------------------------------------------------- folder
def make_folder(tmp_path):
    folder = tmp_path / "entries"
    folder.mkdir()
    (folder / "2024-03-05_tiimi.md").write_text(
        "# Tiimipalaveri\n\nKirjoittaja: ST1\nTyöpaketti: TP3\n\n## Mitä tapahtui?\nPalaveri pidettiin.\n"
        "Sovittiin työnjaosta.\n\n## Mikä toimi hyvin?\nKaikki paikalla.\n\n## Mitä seuraavaksi?\nUusi tapaaminen.\n",
        encoding="utf-8",
    )
    (folder / "20240312 ryhmä.txt").write_bytes(
        "Mitä tapahtui? Vertaisryhmä kokoontui.\r\nMikä ei toiminut: Yhteys pätki.\r\n".encode("cp1252"))
    (folder / "muistiinpano.txt").write_text("19.3.2024\nKoko teksti ilman otsikoita.\nToinen rivi.\n",
                                            encoding="utf-8")
    d = docx.Document()
    d.add_paragraph("Päivämäärä: 2.4.2024")
    d.add_heading("Mitä tapahtui?", level=2)
    d.add_paragraph("Nuori sai asunnon.")
    d.add_heading("Mikä toimi hyvin?", level=2)
    d.add_paragraph("Yhteistyö vuokranantajan kanssa.")
    d.save(folder / "asuminen.docx")
    (folder / "ei_paivaa.txt").write_text("Tässä ei ole päivämäärää.\n", encoding="utf-8")
    (folder / "5.3.2024 kopio.md").write_text(
        "# Tiimipalaveri\n\nKirjoittaja: ST1\nTyöpaketti: TP3\n\n## Mitä tapahtui?\nPalaveri pidettiin.\n"
        "Sovittiin työnjaosta.\n\n## Mikä toimi hyvin?\nKaikki paikalla.\n\n## Mitä seuraavaksi?\nUusi tapaaminen.\n",
        encoding="utf-8",
    )
    (folder / "~$asuminen.docx").write_bytes(b"lock")
    (folder / "kuva.png").write_bytes(b"\x89PNG")
    (folder / "rikki.docx").write_bytes(b"PK\x03\x04 truncated")
    return folder


def test_folder_of_documents(tmp_path):
    df = read_diary_folder(make_folder(tmp_path), work_package="TP2C")
    assert df.columns.tolist() == DIARY_COLUMNS
    assert df["source_file"].tolist() == ["2024-03-05_tiimi.md", "20240312 ryhmä.txt", "asuminen.docx",
                                          "muistiinpano.txt"]
    assert df["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-03-05", "2024-03-12", "2024-04-02", "2024-03-19"]
    first = df.iloc[0]
    assert first["writer_code"] == "ST1" and first["work_package"] == "TP3"
    assert first["happened"] == "# Tiimipalaveri\n\nPalaveri pidettiin.\nSovittiin työnjaosta."  # title kept
    assert first["worked"] == "Kaikki paikalla." and first["next_steps"] == "Uusi tapaaminen."
    second = df.iloc[1]
    assert second["happened"] == "Vertaisryhmä kokoontui." and second["did_not_work"] == "Yhteys pätki."
    assert second["work_package"] == "TP2C"  # from the manifest default
    assert df.iloc[2]["worked"] == "Yhteistyö vuokranantajan kanssa."
    assert df.iloc[3]["happened"] == "Koko teksti ilman otsikoita.\nToinen rivi."
    assert df["source_row"].isna().all()
    problems = diary_problems(df)
    by_file = dict(zip(problems["source_file"], problems["reason"]))
    assert by_file["ei_paivaa.txt"] == "no date in the file name or on the first line"
    assert by_file["5.3.2024 kopio.md"].startswith("duplicate entry") and "2024-03-05_tiimi.md" in by_file["5.3.2024 kopio.md"]
    assert "not a valid .docx" in by_file["rikki.docx"]
    assert any("~$asuminen.docx" in n and "kuva.png" in n for n in df.attrs["notes"])


def test_folder_errors(tmp_path):
    with pytest.raises(DataError, match="folder does not exist"):
        read_diary_folder(tmp_path / "ei")
    f = tmp_path / "a.txt"
    f.write_text("x", encoding="utf-8")
    with pytest.raises(DataError, match="not a folder"):
        read_diary_folder(f)
    empty = tmp_path / "tyhja"
    empty.mkdir()
    with pytest.raises(DataError, match="no diary documents"):
        read_diary_folder(empty)


def test_problems_survive_concat_and_empty_frames(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("Päivämäärä;Mitä tapahtui?\nhuomenna;x\n", encoding="utf-8")
    df = read_diary_form(path)
    assert df.empty and df.columns.tolist() == DIARY_COLUMNS
    assert diary_problems(df)["source_row"].tolist() == [2]
    both = pd.concat([df, df])  # attrs hold plain lists, so pandas can compare them
    assert len(both) == 0


def test_folder_title_line_writer_with_role_and_dash_fields(tmp_path):
    folder = tmp_path / "entries"
    folder.mkdir()
    (folder / "viikko.txt").write_text(
        "HANKEPÄIVÄKIRJA 5.3.2024\nKirjoittaja: ML, sosiaaliohjaaja\nTyöpaketti: TP2C\n\nMitä tapahtui?\n"
        "Nuoren kanssa käytiin kaupassa.\n\nMikä toimi hyvin?\n-\n", encoding="utf-8")
    (folder / "2024-03-06_tp1.md").write_text(
        "# Hankepäiväkirja 6.3.2024\n\nKirjoittaja: ST1 (sosiaalityöntekijä)\n\n## Mitä tapahtui?\n\nPalaveri.\n",
        encoding="utf-8")
    df = read_diary_folder(folder)
    assert df["source_file"].tolist() == ["2024-03-06_tp1.md", "viikko.txt"]
    assert df["date"].dt.day.tolist() == [6, 5]
    assert df["writer_code"].tolist() == ["ST1", "ML"]
    assert df["role"].tolist() == ["sosiaalityöntekijä", "sosiaaliohjaaja"]
    assert df["happened"].tolist() == ["Palaveri.", "Nuoren kanssa käytiin kaupassa."]  # title line is not text
    assert df["worked"].tolist() == [None, None]  # "-" means an empty field


def test_form_dash_means_empty(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("Pvm;Mitä tapahtui?;Mikä toimi hyvin?\n5.3.2024;Ryhmä;-\n6.3.2024;–;–\n", encoding="utf-8")
    df = read_diary_form(path)
    assert df["worked"].tolist() == [None]
    assert diary_problems(df)["reason"].tolist() == ["the entry has no text in any field"]

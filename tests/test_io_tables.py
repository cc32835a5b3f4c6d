"""Tests for analysis.io.tables and analysis.io.detect: every survey export format and bad input."""

from __future__ import annotations

import codecs
import datetime as dt
import math
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pyreadstat
import pytest

from analysis.errors import DataError
from analysis.io.detect import decode_bytes, sniff_delimiter
from analysis.io.tables import find_header_row, normalise_header, parse_date, read_table

HEADERS = ["Vastaajatunnus", "Ammattinimike", "Työnjako on selkeä.", "Työkokemus (vuotta)", "Mikä toimii hyvin?"]
ROWS = [
    ["R001", "Sosiaalityöntekijä", "Täysin samaa mieltä", "3,5", "Yhteistyö, kun se toimii"],
    ["R002", "Sosiaaliohjaaja", "En osaa sanoa", "12", "Ei mikään; kaikki on hukassa"],
    ["R003", "Muu, mikä?", "Jokseenkin eri mieltä", "", "Nuorten ääni – kuuluu"],
]


def csv_text(delimiter: str) -> str:
    def quote(v: str) -> str:
        return f'"{v}"' if (delimiter in v or '"' in v) else v

    lines = [delimiter.join(quote(h) for h in HEADERS)]
    lines += [delimiter.join(quote(v) for v in row) for row in ROWS]
    return "\r\n".join(lines) + "\r\n"


def check_survey(table, rows=(2, 3, 4)) -> None:
    df = table.data
    assert table.headers == HEADERS
    assert df["source_row"].tolist() == list(rows)
    assert df["Vastaajatunnus"].tolist() == ["R001", "R002", "R003"]
    assert df["Ammattinimike"].tolist()[0] == "Sosiaalityöntekijä"
    years = df["Työkokemus (vuotta)"]
    assert years.dtype == "float64"
    assert years.iloc[0] == 3.5 and years.iloc[1] == 12.0 and math.isnan(years.iloc[2])
    assert df["Mikä toimii hyvin?"].tolist()[1] == "Ei mikään; kaikki on hukassa"


# ----------------------------------------------------------------------------- encodings & delimiters
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize(
    "encoding, expected",
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252"),
     ("utf-16-le-bom", "utf-16-le"), ("utf-16-be-bom", "utf-16-be")],
)
def test_csv_every_encoding_and_delimiter(tmp_path, delimiter, encoding, expected):
    text = csv_text(delimiter)
    if encoding == "utf-16-le-bom":
        data = codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    elif encoding == "utf-16-be-bom":
        data = codecs.BOM_UTF16_BE + text.encode("utf-16-be")
    else:
        data = text.encode(encoding)
    path = tmp_path / ("kysely.txt" if delimiter == "\t" else "kysely.csv")
    path.write_bytes(data)
    table = read_table(path)
    assert table.format == "csv"
    assert table.encoding == expected
    assert table.delimiter == delimiter
    assert table.header_row == 1
    check_survey(table)
    assert not table.headers[0].startswith("\ufeff")


def test_cp1252_finnish_letters(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("Päivämäärä;Ikä;Asuinkunta\n5.3.2024;19;Ylitornio\n6.3.2024;22;Tervola\n".encode("cp1252"))
    table = read_table(path)
    assert table.encoding == "cp1252"
    assert table.headers == ["Päivämäärä", "Ikä", "Asuinkunta"]
    assert table.data["Ikä"].tolist() == [19.0, 22.0]


def test_decimal_comma_only_in_all_numeric_columns(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("Tunnus;Arvo;Sekalainen\n007;3,5;2,5\n010;4;ei tietoa\n", encoding="utf-8")
    df = read_table(path).data
    assert df["Arvo"].tolist() == [3.5, 4.0]
    assert df["Sekalainen"].tolist() == ["2,5", "ei tietoa"]  # mixed column stays text
    assert df["Tunnus"].tolist() == ["007", "010"]  # leading zeros keep codes as text


def test_sniff_delimiter_decimal_commas_and_semicolons():
    text = "a;b;c\n1,5;2,25;3\n4;5,5;6,75\n"
    assert sniff_delimiter(text, file="x.csv") == ";"
    assert sniff_delimiter("yksi sarake\nrivi\n", file="x.csv") == ","


def test_quoted_multiline_cell_keeps_excel_row_numbers(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text('Tunnus;Vastaus\nR1;"Rivi yksi\nrivi kaksi"\nR2;Toinen\n', encoding="utf-8")
    table = read_table(path)
    assert table.data["Vastaus"].tolist() == ["Rivi yksi\nrivi kaksi", "Toinen"]
    assert table.data["source_row"].tolist() == [2, 3]
    assert any("several lines" in n for n in table.notes)


def test_duplicate_and_empty_headers_are_renamed_and_reported(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("\ufeffIkä;Ikä;;source_row\n1;2;3;4\n", encoding="utf-8")
    table = read_table(path)
    assert table.headers == ["Ikä", "Ikä (2)", "column_3", "source_row (2)"]
    assert table.data["source_row"].tolist() == [2]
    assert len([n for n in table.notes if "renamed" in n or "named" in n]) == 3


def test_csv_title_rows_and_explicit_header_row(tmp_path):
    path = tmp_path / "webropol.csv"
    path.write_text("Alkukartoitus 2024\n\nVastaajatunnus;Ikä;Kunta\nR1;34;Kemi\n\nR2;41;Simo\n", encoding="utf-8")
    table = read_table(path)
    assert table.header_row == 3
    assert table.data["source_row"].tolist() == [4, 6]
    assert any("empty row" in n for n in table.notes)
    assert any("above the header" in n for n in table.notes)
    same = read_table(path, header_row=3)
    pd.testing.assert_frame_equal(same.data, table.data)


# ----------------------------------------------------------------------------- ragged rows
def test_ragged_short_rows_are_padded_and_noted(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("A;B;C\n1;2;3\n4;5\n", encoding="utf-8")
    table = read_table(path)
    assert table.data["C"].isna().tolist() == [False, True]
    assert any("line(s) 3 (2 of 3)" in n for n in table.notes)


def test_ragged_long_row_names_the_line(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("A;B;C\n1;2;3\n4;5;6;7;8\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_table(path)
    msg = str(err.value)
    assert "a.csv" in msg and "line 3" in msg and "5 fields" in msg and "has 3" in msg


def test_trailing_empty_fields_are_trimmed(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("A;B\n1;2;\n3;4;;\n", encoding="utf-8")
    table = read_table(path)
    assert table.data[["A", "B"]].values.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert any("trailing" in n for n in table.notes)


# ----------------------------------------------------------------------------- xlsx
def write_xlsx(path, rows, *, title=None, sheet_name="Vastaukset", extra_sheet=False):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet_name
    if title is not None:
        ws.append([title])
        ws.append([])
    for row in rows:
        ws.append(row)
    if extra_sheet:
        other = wb.create_sheet("Tiedot")
        other.append(["Raportti", "Luotu"])
        other.append(["Alkukartoitus", dt.datetime(2024, 3, 5, 10, 0)])
    wb.save(path)


def test_xlsx_with_title_row_detects_header(tmp_path):
    path = tmp_path / "alkukartoitus.xlsx"
    rows = [HEADERS] + [[r[0], r[1], r[2], float(r[3].replace(",", ".")) if r[3] else None, r[4]] for r in ROWS]
    write_xlsx(path, rows, title="Jälkihuollon ammattilaisten kysely – alkukartoitus")
    table = read_table(path)
    assert table.format == "xlsx" and table.sheet == "Vastaukset"
    assert table.header_row == 3
    check_survey(table, rows=(4, 5, 6))


def test_xlsx_named_and_indexed_sheet_and_dates(tmp_path):
    path = tmp_path / "a.xlsx"
    write_xlsx(path, [["Tunnus", "Pvm"], ["A", dt.datetime(2024, 3, 5)]], extra_sheet=True)
    first = read_table(path)
    assert first.data["Pvm"].tolist() == [dt.date(2024, 3, 5)]
    by_name = read_table(path, sheet="tiedot")  # case-insensitive fallback
    assert by_name.sheet == "Tiedot" and by_name.headers == ["Raportti", "Luotu"]
    assert read_table(path, sheet=1).sheet == "Tiedot"
    with pytest.raises(DataError, match="no sheet 'Puuttuu'.*'Vastaukset', 'Tiedot'"):
        read_table(path, sheet="Puuttuu")
    with pytest.raises(DataError, match="no sheet number 5"):
        read_table(path, sheet=5)


def test_xlsx_text_numbers_with_decimal_comma(tmp_path):
    path = tmp_path / "a.xlsx"
    write_xlsx(path, [["Tunnus", "Arvo"], ["A", "3,5"], ["B", 4], ["C", None]])
    df = read_table(path).data
    assert df["Arvo"].dtype == "float64"
    assert df["Arvo"].tolist()[:2] == [3.5, 4.0]


def test_xlsx_value_without_header_is_an_error(tmp_path):
    path = tmp_path / "a.xlsx"
    write_xlsx(path, [["A", "B"], [1, 2, None, "hukassa"]])
    with pytest.raises(DataError, match=r"row 2.*column D, which has no header"):
        read_table(path)


def test_xlsx_empty_sheet_and_no_header(tmp_path):
    path = tmp_path / "tyhja.xlsx"
    write_xlsx(path, [])
    with pytest.raises(DataError, match="is empty"):
        read_table(path)
    numbers = tmp_path / "numerot.xlsx"
    write_xlsx(numbers, [[1, 2, 3], [4, 5, 6]])
    with pytest.raises(DataError, match="no header row found.*header_row"):
        read_table(numbers)
    assert read_table(numbers, header_row=1).headers == ["1", "2", "3"]
    with pytest.raises(DataError, match="beyond the end"):
        read_table(numbers, header_row=40)


def test_truncated_and_corrupt_xlsx(tmp_path):
    good = tmp_path / "good.xlsx"
    write_xlsx(good, [HEADERS, ROWS[0]])
    data = good.read_bytes()
    truncated = tmp_path / "katkennut.xlsx"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError) as err:
        read_table(truncated)
    assert "katkennut.xlsx" in str(err.value) and "save it again" in str(err.value)
    # A valid zip that is not a workbook.
    fake = tmp_path / "fake.xlsx"
    with zipfile.ZipFile(fake, "w") as zf:
        zf.writestr("hello.txt", "moi")
    with pytest.raises(DataError, match="cannot be opened"):
        read_table(fake)
    text = tmp_path / "renamed.xlsx"
    text.write_text("A;B\n1;2\n", encoding="utf-8")
    with pytest.raises(DataError, match="not a valid .xlsx"):
        read_table(text)


# ----------------------------------------------------------------------------- sav
def test_sav_value_labels_user_missing_and_variable_labels(tmp_path):
    path = tmp_path / "kysely.sav"
    df = pd.DataFrame({
        "tunnus": ["R1", "R2", "R3", "R4"],
        "q1": [1.0, 5.0, 9.0, np.nan],
        "q2": [2.0, 8.0, 3.0, 4.0],
        "ika": [34.0, 41.0, 29.0, 55.0],
    })
    pyreadstat.write_sav(
        df, str(path),
        column_labels={"tunnus": "Vastaajatunnus", "q1": "Työnjako on selkeä.", "q2": "Työnjako on selkeä."},
        variable_value_labels={
            "q1": {1.0: "Täysin eri mieltä", 5.0: "Täysin samaa mieltä", 9.0: "En osaa sanoa"},
            "q2": {2.0: "Jokseenkin eri mieltä", 3.0: "Ei samaa eikä eri mieltä"},
        },
        missing_ranges={"q1": [9.0], "q2": [8.0]},
    )
    table = read_table(path)
    assert table.format == "sav"
    assert table.headers == ["Vastaajatunnus", "Työnjako on selkeä.", "Työnjako on selkeä. (2)", "ika"]
    assert table.variables["Työnjako on selkeä. (2)"] == "q2"
    q1 = table.data["Työnjako on selkeä."].tolist()
    assert q1[:3] == ["Täysin eri mieltä", "Täysin samaa mieltä", "En osaa sanoa"]  # user-missing as label
    assert pd.isna(q1[3])  # system missing
    q2 = table.data["Työnjako on selkeä. (2)"].tolist()
    assert q2[0] == "Jokseenkin eri mieltä" and q2[1] == 8.0 and q2[3] == 4.0  # unlabelled codes stay numbers
    assert table.data["ika"].dtype == "float64"
    assert table.data["source_row"].tolist() == [1, 2, 3, 4]
    assert any("user-missing" in n for n in table.notes)
    names = read_table(path, sav_headers="names")
    assert names.headers == ["tunnus", "q1", "q2", "ika"]


def test_corrupt_sav(tmp_path):
    path = tmp_path / "rikki.sav"
    path.write_bytes(b"$FL2@(#) not really spss" + bytes(range(256)))
    with pytest.raises(DataError, match="rikki.sav.*SPSS file cannot be read"):
        read_table(path)


# ----------------------------------------------------------------------------- bad input
def test_missing_empty_unsupported(tmp_path):
    with pytest.raises(DataError, match="does not exist.*manifest"):
        read_table(tmp_path / "puuttuu.csv")
    empty = tmp_path / "tyhja.csv"
    empty.write_bytes(b"")
    with pytest.raises(DataError, match="tyhja.csv: the file is empty"):
        read_table(empty)
    blank = tmp_path / "blank.csv"
    blank.write_text("\r\n  \r\n", encoding="utf-8")
    with pytest.raises(DataError, match="no text"):
        read_table(blank)
    old = tmp_path / "vanha.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    with pytest.raises(DataError, match=r"unsupported file type '\.xls'.*save it as \.xlsx"):
        read_table(old)
    with pytest.raises(DataError, match="folder"):
        read_table(tmp_path)


def test_binary_data_with_text_extension(tmp_path):
    path = tmp_path / "kuva.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(DataError, match="binary data"):
        read_table(path)
    zipped = tmp_path / "oikeasti_excel.csv"
    zipped.write_bytes(b"PK\x03\x04" + b"\x14" * 40)
    with pytest.raises(DataError, match="Excel/Word.*real extension"):
        read_table(zipped)
    controls = tmp_path / "ohjaus.csv"
    controls.write_bytes(b"A;B\n1;\x01\x02\x03\n")
    with pytest.raises(DataError, match="control character"):
        read_table(controls)


def test_decode_bytes_variants():
    assert decode_bytes("Ikä".encode("utf-16-le"), file="x") == ("Ikä", "utf-16-le")  # no BOM, NUL pattern
    assert decode_bytes(codecs.BOM_UTF8 + "Ikä".encode(), file="x") == ("Ikä", "utf-8-sig")
    with pytest.raises(DataError, match="byte 2"):
        decode_bytes(b"A\x81\x8d", file="x")  # bytes undefined in cp1252, invalid utf-8


# ----------------------------------------------------------------------------- helpers
@pytest.mark.parametrize(
    "value, expected",
    [
        ("5.3.2024", dt.date(2024, 3, 5)),
        ("05.03.2024", dt.date(2024, 3, 5)),
        ("5.3.24", dt.date(2024, 3, 5)),
        (" 5.3.2024 klo 12.30 ", dt.date(2024, 3, 5)),
        ("2024-03-05", dt.date(2024, 3, 5)),
        ("2024-03-05 14:02:11", dt.date(2024, 3, 5)),
        ("20240305", dt.date(2024, 3, 5)),
        (20240305, dt.date(2024, 3, 5)),
        (45356, dt.date(2024, 3, 5)),
        (45356.75, dt.date(2024, 3, 5)),
        ("45356", dt.date(2024, 3, 5)),
        (dt.datetime(2024, 3, 5, 23, 59), dt.date(2024, 3, 5)),
        (dt.date(2024, 3, 5), dt.date(2024, 3, 5)),
        (pd.Timestamp("2024-03-05"), dt.date(2024, 3, 5)),
        (np.datetime64("2024-03-05"), dt.date(2024, 3, 5)),
        ("1.1.1900", dt.date(1900, 1, 1)),
    ],
)
def test_parse_date_accepts(value, expected):
    assert parse_date(value, file="f.csv", location="row 2") == expected


@pytest.mark.parametrize("value", ["31.2.2024", "3/5/2024", "maaliskuu", "", None, float("nan"), 12, True, pd.NaT])
def test_parse_date_rejects_with_location(value):
    with pytest.raises(DataError) as err:
        parse_date(value, file="f.csv", location="row 7")
    assert str(err.value).startswith("f.csv, row 7:")
    assert "5.3.2024" in str(err.value)


def test_parse_date_known_serials():
    # Excel: 1 Jan 2024 is serial 45292; 29 Feb 2024 is 45351.
    assert parse_date(45292) == dt.date(2024, 1, 1)
    assert parse_date(45351) == dt.date(2024, 2, 29)


def test_normalise_header_folds_case_space_punctuation():
    a = normalise_header("Tiedän, keneen ottaa yhteyttä\r\nmuissa  palveluissa.")
    b = normalise_header("  TIEDÄN keneen ottaa yhteyttä muissa palveluissa ")
    assert a == b == "tiedän keneen ottaa yhteyttä muissa palveluissa"
    assert normalise_header(None) == "" and normalise_header(float("nan")) == ""
    assert normalise_header("Mielenterveys- ja päihdepalvelut") == "mielenterveys ja päihdepalvelut"
    assert normalise_header("A\u0308") == "ä"  # decomposed ä (macOS) equals composed
    # symbols, underscores and compatibility forms fold too (the instruments' `normalized:` rule)
    assert normalise_header("Ikä_vuosina (+/−)") == "ikä vuosina"
    assert normalise_header("\ufb01losoﬁa\u00a0²") == "filosofia 2"


def test_find_header_row():
    assert find_header_row([["Kysely"], [None, None], ["A", "B", "C"], [1, 2, 3]]) == 2
    assert find_header_row([[1, 2], [3, 4]]) is None
    assert find_header_row([]) is None

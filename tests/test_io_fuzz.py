"""Fuzzing the readers: random bytes, text and tables end in correct output or DataError, never another exception."""

from __future__ import annotations

import atexit
import io
import shutil
import tempfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.errors import DataError
from analysis.io.diaries import DIARY_COLUMNS, read_diary_folder, read_diary_form
from analysis.io.tables import normalise_header, parse_date, read_table
from analysis.io.transcripts import read_transcript

pytestmark = pytest.mark.slow  # hundreds of random files

FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SLOW_FUZZ = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

_TMP = Path(tempfile.mkdtemp(prefix="jakala_fuzz_"))
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)


def _write(name: str, data: bytes) -> Path:
    path = _TMP / name
    path.write_bytes(data)
    return path


def _check_table(table) -> None:
    df = table.data
    assert isinstance(df, pd.DataFrame)
    assert "source_row" in df.columns
    assert df["source_row"].dtype == "int64"
    assert df["source_row"].is_monotonic_increasing
    assert len(set(df.columns)) == len(df.columns)


def _check_transcript(t) -> None:
    turns = t.turns
    assert turns.columns.tolist() == ["turn", "label", "start_time", "text", "source_line"]
    assert turns["turn"].tolist() == list(range(1, len(turns) + 1))
    assert len(turns) > 0
    assert (turns["source_line"] >= 1).all()


_PIECES = list("abcdefghijklmnopqrstuvwxyzåäöÅÄÖABCSTHN0123456789 ;,.:\t\n\"'[]()*-–?!") + [
    "\r\n", "ST1: ", "Nuori 3: ", "[00:01:02] ", "Huom: ", "klo 12:30", "3,5", ";;", "WEBVTT\n",
    "00:00:01.000 --> 00:00:02.000\n", "<v Aino Korhonen>", "</v>", "Päivämäärä: ", "5.3.2024", "\x00",
]
finnish_text = st.lists(st.sampled_from(_PIECES), max_size=120).map("".join)


@FUZZ
@given(data=st.binary(max_size=400), ext=st.sampled_from([".csv", ".txt", ".xlsx", ".sav", ".tsv"]))
def test_read_table_random_bytes(data, ext):
    path = _write("fuzz" + ext, data)
    try:
        _check_table(read_table(path))
    except DataError as exc:
        assert str(path) in str(exc)


@FUZZ
@given(text=finnish_text, encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
def test_read_table_random_text(text, encoding):
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    path = _write("fuzz_text.csv", data)
    try:
        _check_table(read_table(path))
    except DataError as exc:
        assert str(path) in str(exc)


cells = st.one_of(st.none(), st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False, width=32),
                  st.text(alphabet="abcåäöST 0123456789,.;:-", max_size=12))


@FUZZ
@given(rows=st.lists(st.lists(cells, min_size=0, max_size=6), min_size=0, max_size=8),
       delimiter=st.sampled_from([",", ";", "\t"]))
def test_read_table_random_csv_tables(rows, delimiter):
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    path = _write("fuzz_table.csv", buffer.getvalue().encode("utf-8"))
    try:
        table = read_table(path)
    except DataError as exc:
        assert str(path) in str(exc)
        return
    _check_table(table)
    assert len(table.data) <= len(rows)


@SLOW_FUZZ
@given(rows=st.lists(st.lists(cells, min_size=0, max_size=5), min_size=0, max_size=6),
       title=st.booleans())
def test_read_table_random_xlsx_tables(rows, title):
    wb = openpyxl.Workbook()
    ws = wb.active
    if title:
        ws.append(["Otsikko"])
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    path = _write("fuzz_table.xlsx", buffer.getvalue())
    try:
        table = read_table(path)
    except DataError as exc:
        assert str(path) in str(exc)
        return
    _check_table(table)


@SLOW_FUZZ
@given(cut=st.integers(min_value=0, max_value=4000), flip=st.integers(min_value=0, max_value=255))
def test_damaged_xlsx_and_docx(cut, flip):
    import docx

    wb = openpyxl.Workbook()
    wb.active.append(["Vastaajatunnus", "Ikä"])
    wb.active.append(["R1", 30])
    buffer = io.BytesIO()
    wb.save(buffer)
    good_xlsx = bytearray(buffer.getvalue())
    d = docx.Document()
    d.add_paragraph("ST1: moi")
    buffer = io.BytesIO()
    d.save(buffer)
    good_docx = bytearray(buffer.getvalue())
    for data, ext, reader in ((good_xlsx, ".xlsx", read_table), (good_docx, ".docx", read_transcript)):
        damaged = bytearray(data)
        position = cut % len(damaged)
        damaged[position] = flip
        for variant, blob in (("flip", bytes(damaged)), ("cut", bytes(data[: cut % len(data)]))):
            path = _write(f"damaged_{variant}{ext}", blob)
            try:
                reader(path)
            except DataError as exc:
                assert str(path) in str(exc)


@FUZZ
@given(data=st.binary(max_size=400), ext=st.sampled_from([".txt", ".vtt", ".srt", ".docx", ".md"]))
def test_read_transcript_random_bytes(data, ext):
    path = _write("fuzz" + ext, data)
    try:
        _check_transcript(read_transcript(path))
    except DataError as exc:
        assert str(path) in str(exc)


@FUZZ
@given(text=finnish_text, ext=st.sampled_from([".txt", ".vtt", ".srt"]), header=st.booleans(),
       speaker_map=st.one_of(st.none(), st.just({"ST1": "social_worker", "Nuori 3": "young_person"})))
def test_read_transcript_random_text(text, ext, header, speaker_map):
    if header and ext == ".vtt":
        text = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n" + text
    path = _write("fuzz_text" + ext, text.encode("utf-8"))
    try:
        t = read_transcript(path, speaker_map=speaker_map)
    except DataError as exc:
        assert str(path) in str(exc)
        return
    _check_transcript(t)
    if speaker_map is not None and ext == ".txt":
        assert set(t.turns["label"]) <= set(speaker_map)


@FUZZ
@given(text=finnish_text)
def test_read_diary_form_random_text(text):
    path = _write("fuzz_diary.csv", ("Päivämäärä;Mitä tapahtui?\n" + text).encode("utf-8"))
    try:
        df = read_diary_form(path)
    except DataError as exc:
        assert str(path) in str(exc)
        return
    assert df.columns.tolist() == DIARY_COLUMNS


@SLOW_FUZZ
@given(files=st.lists(st.tuples(st.sampled_from(["2024-03-05_a", "20240306", "muistio", "5.3.2024 x"]),
                                st.sampled_from([".txt", ".md", ".docx"]), st.binary(max_size=200)),
                      min_size=1, max_size=4))
def test_read_diary_folder_random_files(files):
    folder = Path(tempfile.mkdtemp(dir=_TMP))
    for i, (stem, ext, data) in enumerate(files):
        (folder / f"{stem}_{i}{ext}").write_bytes(data)
    try:
        df = read_diary_folder(folder)
    except DataError as exc:
        assert str(folder) in str(exc)
        return
    problems = df.attrs["problems"]
    assert len(df) + len(problems) == len(files)  # nothing lost silently


@FUZZ
@given(value=st.one_of(st.text(max_size=30), st.integers(), st.floats(), st.none(), st.dates(), st.datetimes()))
def test_parse_date_random_values(value):
    try:
        parse_date(value, file="f.csv", location="row 2")
    except DataError as exc:
        assert str(exc).startswith("f.csv, row 2:")


@FUZZ
@given(text=st.text(max_size=80))
def test_normalise_header_is_idempotent(text):
    once = normalise_header(text)
    assert normalise_header(once) == once
    assert once == once.strip()


"""Nothing raw in derived text: quarantine reasons, contents, file names and notes."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from analysis.ingest import ingest
from analysis.privacy import PseudonymKey, scan_paths
from analysis.synthetic import generate
from analysis.workspace import Workspace

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> tuple[Workspace, list[str]]:
    root = tmp_path_factory.mktemp("derived")
    ws = Workspace(root=root, project=PROJECT)
    generate(ws.raw, seed=2024, scale=1)
    path = ws.raw / "surveys" / "alkukartoitus_2024.xlsx"
    wb = openpyxl.load_workbook(path)
    sheet = wb.active
    header_row = 3
    headers = [c.value for c in sheet[header_row]]
    col = next(i for i, h in enumerate(headers, start=1) if h and "tunnus" in str(h).lower())
    raw_codes = [sheet.cell(row=r, column=col).value for r in range(header_row + 1, header_row + 6)]
    # two respondents typed a name as their code, two others an identity code
    for row in (header_row + 1, header_row + 2):
        sheet.cell(row=row, column=col, value="Sanna Kettunen")
    for row in (header_row + 3, header_row + 4):
        sheet.cell(row=row, column=col, value="131052-308T")
    wb.save(path)
    ingest(ws)
    return ws, [str(c) for c in raw_codes]


def test_repeated_codes_are_named_by_pseudonym_in_the_quarantine(planted):
    ws, _ = planted
    quarantine = pd.read_parquet(ws.processed / "quarantine.parquet")
    repeated = quarantine[quarantine.reason.str.startswith("respondent code")]
    assert len(repeated) == 4
    text = " ".join(repeated.reason) + " ".join(repeated.content.fillna(""))
    for raw in ("Sanna", "Kettunen", "SANNA", "131052-308T", "131052"):
        assert raw.casefold() not in text.casefold()
    key = PseudonymKey.load(ws.keys)
    pseudonyms = {p for o, p in key.entries("respondent") if o.casefold().endswith(("sanna kettunen", "131052-308t"))}
    assert len(pseudonyms) == 2 and all(any(p in r for r in repeated.reason) for p in pseudonyms)


def test_processed_data_pass_the_gate_with_planted_codes(planted):
    ws, _ = planted
    assert scan_paths([ws.processed], key=PseudonymKey.load(ws.keys)) == []


def test_no_pseudonym_equals_a_raw_code(planted):
    ws, raw_codes = planted
    respondents = pd.read_parquet(ws.processed / "respondents.parquet")
    assert not set(respondents["respondent"]) & set(raw_codes)
    assert respondents["respondent"].str.fullmatch(r"R\d{4,}").all()

"""Coding sheets (CSV/XLSX), the folder of manual codings, and simulated human coders."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook

from analysis.coding.agreement import agreement_table, auto_vs_human
from analysis.coding.coding_sheet import (
    read_coding_sheet,
    read_codings_folder,
    simulate_human_codings,
    write_coding_sheet,
)
from analysis.coding.refi import export_qdpx
from analysis.errors import DataError
from test_qda_refi import sample_codebook, sample_codings, sample_workspace


def _turns():
    documents, segments = sample_workspace()
    return documents, segments


def test_template_xlsx_has_rows_per_coder_and_codebook_sheet(tmp_path):
    _, segments = _turns()
    path = write_coding_sheet(tmp_path / "koodaus.xlsx", segments, sample_codebook(), coders=["K1", "K2"])
    wb = load_workbook(path)
    assert wb.sheetnames == ["koodaus", "koodikirja"]
    sheet = wb["koodaus"]
    assert [c.value for c in sheet[1]] == ["segment_id", "doc_id", "puhuja", "teksti", "koodaaja", "koodi"]
    assert sheet.max_row == 1 + 2 * len(segments)
    assert sheet.data_validations.dataValidation[0].formula1 == "'koodikirja'!$A$2:$A$7"
    assert wb["koodikirja"]["C5"].value == "Asuminen"
    # an untouched template holds no codings, only "judged, no code" rows
    read = read_coding_sheet(path, segments=segments, codebook_table=sample_codebook())
    assert read["code"].isna().all() and len(read) == 2 * len(segments)


def test_blank_coder_template_rows_are_skipped(tmp_path):
    _, segments = _turns()
    path = write_coding_sheet(tmp_path / "tyhja.csv", segments, sample_codebook())
    assert read_coding_sheet(path, segments=segments).empty
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_filled_sheet_round_trip(tmp_path, suffix):
    _, segments = _turns()
    codings = sample_codings()
    humans = codings[codings["coder"] != "auto"]
    path = write_coding_sheet(tmp_path / f"koodaus{suffix}", segments, sample_codebook(), coders=["K1", "K2"],
                              codings=humans, language="en")
    read = read_coding_sheet(path, segments=segments, codebook_table=sample_codebook())
    coded = read.dropna(subset=["code"])
    key = ["segment_id", "coder", "code"]
    assert sorted(map(tuple, coded[key].to_numpy().tolist())) == sorted(map(tuple, humans[key].to_numpy().tolist()))
    assert read["source_file"].eq(path.name).all()
    assert read["source_row"].min() == 2


def test_reads_finnish_headers_names_and_several_codes(tmp_path):
    path = tmp_path / "koodaus.csv"
    path.write_bytes(
        "segmentti;koodaaja;koodi\r\n"
        "W07-t0003;K1;\"Asuminen; raha\"\r\n"
        "W07-t0004;K1;\"Raha, roles\"\r\n"
        "W07-t0005;K1;\r\n"
        "W07-t0002;;\r\n".encode("cp1252"))
    _, segments = _turns()
    read = read_coding_sheet(path, segments=segments, codebook_table=sample_codebook())
    assert read[["segment_id", "code"]].to_numpy().tolist() == [
        ["W07-t0003", "housing"], ["W07-t0003", "money"], ["W07-t0004", "money"], ["W07-t0004", "roles"],
        ["W07-t0005", None]]


def test_errors_name_file_and_row(tmp_path):
    _, segments = _turns()
    path = tmp_path / "virhe.csv"
    path.write_text("segment_id,coder,code\nW07-t0002,K1,roles\nW07-t0003,K1,asuntoasiat\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"virhe.csv, row 3, column 'code': code 'asuntoasiat' is not in the codebook"):
        read_coding_sheet(path, segments=segments, codebook_table=sample_codebook())
    path.write_text("segment_id,coder,code\nW07-t0099,K1,roles\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"row 2: segment 'W07-t0099' is not in the segments table"):
        read_coding_sheet(path, segments=segments, codebook_table=sample_codebook())
    path.write_text("segment_id,code\nW07-t0002,roles\n", encoding="utf-8")
    with pytest.raises(DataError, match="no column 'coder'"):
        read_coding_sheet(path)
    assert read_coding_sheet(path, coder="K3")["coder"].tolist() == ["K3"]
    with pytest.raises(DataError, match="unsupported"):
        read_coding_sheet(tmp_path / "koodaus.ods")


def test_simulated_coders_are_realistic_and_deterministic():
    _, segments = _turns()
    rng_segments = pd.concat([segments.assign(segment_id=segments["segment_id"] + f"-{k}") for k in range(40)],
                             ignore_index=True)
    auto = sample_codings()
    auto = auto[auto["coder"] == "auto"]
    autocodes = pd.concat([auto.assign(segment_id=auto["segment_id"] + f"-{k}") for k in range(40)],
                          ignore_index=True)[["segment_id", "code"]]
    first = simulate_human_codings(rng_segments, autocodes, seed=7)
    again = simulate_human_codings(rng_segments, autocodes, seed=7)
    other = simulate_human_codings(rng_segments, autocodes, seed=8)
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other)
    assert set(first["coder"]) == {"K1", "K2"}
    human_agreement = agreement_table(first, rng_segments["segment_id"], n_boot=0).set_index("code")
    assert 0.6 < human_agreement.loc["overall", "alpha"] < 0.98
    scores = auto_vs_human(pd.concat([first, autocodes.assign(coder="auto")]),
                           units=rng_segments["segment_id"]).set_index(["coder", "code"])
    assert 0.6 < scores.loc[("K1", "overall"), "f1"] < 0.97
    # humans agree with each other more than with the rules
    assert human_agreement.loc["overall", "kappa"] > scores.loc[("K1", "overall"), "kappa"] - 0.05


def test_simulation_can_sample_whole_documents():
    _, segments = _turns()
    autocodes = sample_codings().query("coder == 'auto'")[["segment_id", "code"]]
    sim = simulate_human_codings(segments, autocodes, seed=1, share_documents=0.5)
    docs = segments.set_index("segment_id").loc[sim["segment_id"], "doc_id"].unique()
    assert len(docs) == 2
    per_doc = segments.groupby("doc_id").size()
    for coder in ("K1", "K2"):
        judged = sim[sim["coder"] == coder]["segment_id"].nunique()
        assert judged == per_doc[docs].sum()


def test_read_codings_folder_mixes_projects_and_sheets(tmp_path):
    documents, segments = _turns()
    codings = sample_codings()
    folder = tmp_path / "codings"
    export_qdpx(folder / "k1.qdpx", sample_codebook(), documents, segments,
                codings[codings["coder"].isin(["auto", "K1"])])
    write_coding_sheet(folder / "k2.xlsx", segments, sample_codebook(), coders=["K2"],
                       codings=codings[codings["coder"] == "K2"])
    (folder / "~$k2.xlsx").write_bytes(b"lock file of Excel")
    manual, coverage, unmapped = read_codings_folder(folder, segments, sample_codebook(), documents=documents)
    assert set(manual["coder"]) == {"K1", "K2"}  # the auto-codings inside the project are dropped
    expected = codings[codings["coder"] != "auto"]
    key = ["segment_id", "code", "coder"]
    assert sorted(map(tuple, manual.dropna(subset=["code"])[key].to_numpy().tolist())) == \
        sorted(map(tuple, expected[key].to_numpy().tolist()))
    assert unmapped.empty
    # K1 coded in W07 and W08 (document coverage), K2 judged every row of the sheet
    k1 = set(coverage[coverage["coder"] == "K1"]["segment_id"])
    assert k1 == set(segments[segments["doc_id"].isin(["W07", "W08"])]["segment_id"])
    assert set(coverage[coverage["coder"] == "K2"]["segment_id"]) == set(segments["segment_id"])
    empty = read_codings_folder(tmp_path / "none", segments, sample_codebook())
    assert all(frame.empty for frame in empty)

"""Synthetic data generator: formats, determinism, scale, manifest, errors."""

from __future__ import annotations

import csv
import hashlib
import re
import shutil
from pathlib import Path

import docx
import openpyxl
import pytest
import yaml

from analysis.errors import ConfigError, DataError
from analysis.synthetic import generate
from analysis.synthetic.identifiers import hetu_check_char, is_valid_hetu, make_hetu
from analysis.synthetic.text_bank import fill, lower_first, stream

PROJECT = Path(__file__).resolve().parent.parent
INSTRUMENT = yaml.safe_load((PROJECT / "config/instrument_professionals.yaml").read_text(encoding="utf-8"))
NEEDS = yaml.safe_load((PROJECT / "config/instrument_needs.yaml").read_text(encoding="utf-8"))


def _files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("raw")
    generate(out, seed=2024, scale=1)
    return out


@pytest.fixture(scope="module")
def manifest(raw) -> dict:
    return yaml.safe_load((raw / "manifest.yaml").read_text(encoding="utf-8"))


def test_same_seed_gives_identical_bytes(raw, tmp_path):
    generate(tmp_path / "again", seed=2024, scale=1)
    assert _files(raw) == _files(tmp_path / "again")


def test_other_seed_gives_other_data(raw, tmp_path):
    generate(tmp_path / "other", seed=7, scale=1)
    first, other = _files(raw), _files(tmp_path / "other")
    common = set(first) & set(other)
    assert "surveys/alkukartoitus_2024.xlsx" in common
    assert all(first[f] != other[f] for f in common if f != "manifest.yaml" and f.endswith(("xlsx", "csv", "txt", "vtt")))


def test_professionals_xlsx_is_a_webropol_export(raw):
    headers_expected = [it["match"]["header"] for it in INSTRUMENT["items"]]
    for name, wave in (("alkukartoitus_2024", "alkukartoitus"), ("loppukartoitus_2026", "loppukartoitus")):
        wb = openpyxl.load_workbook(raw / f"surveys/{name}.xlsx")
        rows = list(wb.active.iter_rows(values_only=True))
        assert rows[0][0].startswith("Jäkälä – ") and rows[0][0].endswith(wave)
        assert all(v is None for v in rows[1])
        header = list(rows[2])
        assert header[:2] == ["Vastausaika", "Vastaajatunnus"]
        for h in headers_expected + [o["match"]["header"] for o in INSTRUMENT["open_items"]]:
            assert h in header
        data = rows[3:]
        assert len(data) == 60
        labels = set(INSTRUMENT["answer_sets"]["likert5"]["labels"]) | {"En osaa sanoa", None}
        likert = [header.index(h) for h in headers_expected]
        seen = {r[i] for r in data for i in likert}
        assert seen <= labels and "En osaa sanoa" in seen and None in seen
        roles = {r[header.index("Ammattinimike")] for r in data}
        assert roles == set(INSTRUMENT["background"][0]["recode"])
        munis = {r[header.index("Kunta, jossa pääosin työskentelet")] for r in data}
        assert munis == {"Kemi", "Keminmaa", "Simo", "Tervola", "Tornio", "Ylitornio"}
        others = [r[header.index("Ammattinimike: Muu, mikä?")] for r in data if r[2] == "Muu, mikä?"]
        assert others and all(others)
        assert all(re.fullmatch(r"[a-z]{2}\d{2}[a-z]{2}", r[1], re.I) for r in data)


def test_about_half_of_followup_is_linked(raw):
    def codes(name):
        rows = list(openpyxl.load_workbook(raw / f"surveys/{name}.xlsx").active.iter_rows(min_row=4, values_only=True))
        return [r[1] for r in rows]

    base, follow = codes("alkukartoitus_2024"), codes("loppukartoitus_2026")
    linked = {c.lower() for c in follow} & {c.lower() for c in base}
    assert len(linked) == 30
    assert len(set(base)) == len(base)


def test_needs_csv_has_bom_semicolons_and_webropol_columns(raw):
    data = (raw / "surveys/nuorten_tarvekysely.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.reader(data.decode("utf-8-sig").splitlines(), delimiter=";"))
    header, body = rows[0], rows[1:]
    assert len(body) == 40 and all(len(r) == len(header) for r in body)
    for item in NEEDS["items"]:
        matches = [h for h in header if re.search(item["match"]["regex"], h)]
        assert len(matches) == 1
        assert {r[header.index(matches[0])] for r in body} <= {"1", ""}
    ages = [int(r[header.index("Ikä")]) for r in body]
    assert min(ages) >= 18 and max(ages) <= 25
    assert {r[header.index("Miten asut tällä hetkellä?")] for r in body} <= set(NEEDS["background"][1]["recode"])


def test_transcript_formats(raw, manifest):
    files = {w["id"]: raw / w["file"] for w in manifest["workshops"]}
    assert len(files) == 7
    kinds = sorted(p.suffix for p in files.values())
    assert kinds == [".docx", ".docx", ".txt", ".txt", ".txt", ".txt", ".vtt"]
    cp1252 = files["W04"].read_bytes()
    assert b"\r\n" in cp1252
    with pytest.raises(UnicodeDecodeError):
        cp1252.decode("utf-8")
    assert "ä" in cp1252.decode("cp1252")
    vtt = files["W03"].read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT\n") and "<v Aino Korhonen>" in vtt and " --> " in vtt
    w01 = files["W01"].read_text(encoding="utf-8")
    assert re.search(r"^\[\d\d:\d\d:\d\d\] Fasilitaattori: ", w01, re.M)
    for mark in ("[naurua]", "(.)", "--", "[epäselvä]"):
        assert any(mark in p.read_bytes().decode("cp1252" if k == "W04" else "utf-8", errors="replace")
                   for k, p in files.items() if p.suffix != ".docx")
    doc = docx.Document(files["W02"])
    assert doc.tables and doc.tables[0].rows[1].cells[0].text == "Päivämäärä"
    labelled = [p for p in doc.paragraphs if p.runs and p.runs[0].bold]
    assert len(labelled) > 30 and all(p.runs[0].text.endswith(":") for p in labelled)


def test_manifest_lists_every_file_and_speaker(raw, manifest):
    listed = set()
    for section in ("surveys", "workshops", "codings"):
        listed |= {e["file"] for e in manifest[section]}
    for entry in manifest["diaries"]:
        if entry["kind"] == "folder":
            listed |= {p.relative_to(raw).as_posix() for p in (raw / entry["file"]).iterdir()}
        else:
            listed.add(entry["file"])
    on_disk = {p for p in _files(raw) if p != "manifest.yaml"}
    assert listed == on_disk
    roles = {"facilitator", "social_worker", "social_counsellor", "young_person", "expert_by_experience", "partner", "researcher"}
    for w in manifest["workshops"]:
        assert set(w) >= {"id", "file", "date", "work_package", "method", "place", "speakers"}
        assert set(w["speakers"].values()) <= roles and "young_person" in w["speakers"].values()
        path = raw / w["file"]
        if path.suffix == ".vtt":
            labels = set(re.findall(r"<v ([^>]+)>", path.read_text(encoding="utf-8")))
        elif path.suffix == ".docx":
            labels = {p.runs[0].text.rstrip(":") for p in docx.Document(path).paragraphs if p.runs and p.runs[0].bold}
        else:
            text = path.read_bytes().decode("cp1252" if b"\r\n" in path.read_bytes() else "utf-8")
            labels = set(re.findall(r"^(?:\[[\d:]+\] )?([A-Za-zÄÖäö]+(?: ?\d)?):", text, re.M))
            labels -= {"Puhujat"}
        assert labels == set(w["speakers"]), w["id"]


@pytest.mark.slow  # generates the demo data at scale 2
def test_scale_two_doubles_the_counts(tmp_path):
    out = tmp_path / "x2"
    man = yaml.safe_load(generate(out, seed=3, scale=2).read_text(encoding="utf-8"))
    assert len(man["workshops"]) == 14
    assert len({w["id"] for w in man["workshops"]}) == 14
    base = list(openpyxl.load_workbook(out / "surveys/alkukartoitus_2024.xlsx").active.iter_rows(min_row=4, values_only=True))
    assert len(base) == 120
    diary = list(openpyxl.load_workbook(out / "diaries/hankepaivakirja.xlsx").active.iter_rows(min_row=2, values_only=True))
    assert len(diary) == 240
    assert len(list((out / "diaries/entries").iterdir())) == 8
    needs = (out / "surveys/nuorten_tarvekysely.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(needs) == 81
    dates = [w["date"].isoformat() for w in man["workshops"]]
    assert min(dates) >= "2024-05-01" and max(dates) <= "2026-11-30"


@pytest.mark.slow  # generates the demo data twice
def test_regenerating_with_smaller_scale_removes_old_files(tmp_path):
    out = tmp_path / "raw"
    generate(out, seed=1, scale=2)
    generate(out, seed=1, scale=1)
    man = yaml.safe_load((out / "manifest.yaml").read_text(encoding="utf-8"))
    assert len(list((out / "workshops").iterdir())) == len(man["workshops"]) == 7
    assert len(list((out / "diaries/entries").iterdir())) == 4


def test_refuses_to_overwrite_real_data(tmp_path):
    (tmp_path / "manifest.yaml").write_text("surveys: []\n", encoding="utf-8")
    with pytest.raises(DataError, match="did not write"):
        generate(tmp_path, seed=1)


@pytest.mark.parametrize("scale", [0, -1, 1.5, True])
def test_bad_scale_is_a_config_error(tmp_path, scale):
    with pytest.raises(ConfigError, match="scale"):
        generate(tmp_path, seed=1, scale=scale)


def test_instrument_with_inconsistent_regex_is_reported(tmp_path):
    config = tmp_path / "config"
    shutil.copytree(PROJECT / "config", config, ignore=shutil.ignore_patterns("*.ipynb"))
    needs = yaml.safe_load((config / "instrument_needs.yaml").read_text(encoding="utf-8"))
    needs["items"][0]["match"]["regex"] = "^Missä asioissa tarvitset tukea\\?.*Kodittomuus"
    (config / "instrument_needs.yaml").write_text(yaml.safe_dump(needs, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        generate(tmp_path / "raw", seed=1, config_dir=config)
    assert "instrument_needs.yaml" in str(err.value) and "need_housing" in str(err.value)


def test_hetu_helpers():
    assert hetu_check_char("131052", "308") == "T"
    assert is_valid_hetu("131052-308T") and is_valid_hetu("010594Y9032") and is_valid_hetu("020504B904H")
    assert not is_valid_hetu("131052-308U") and not is_valid_hetu("310252-308Y") and not is_valid_hetu("131052/308T")
    rng = stream(1, "hetu-test")
    import datetime as dt
    for _ in range(200):
        code = make_hetu(rng, dt.date(1999, 1, 1), dt.date(2006, 12, 31))
        assert is_valid_hetu(code) and 2 <= int(code[7:10]) <= 899


def test_fill_and_lower_first():
    rng = stream(0, "t")
    assert fill("{x} on {y}", rng, {"x": ["tukiasunto"]}, {"y": "hyvä"}) == "Tukiasunto on hyvä"
    with pytest.raises(ConfigError, match="unknown slot"):
        fill("{missing}", rng, {})
    assert lower_first("Keminmaalta on pitkä matka") == "Keminmaalta on pitkä matka"
    assert lower_first("Kelan lomakkeet") == "Kelan lomakkeet"
    assert lower_first("Tuettu asuminen") == "tuettu asuminen"

"""Synthetic data: planted signal, planted identifiers, codings and text quality."""

from __future__ import annotations

import re
from pathlib import Path

import docx
import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml

from analysis.synthetic import PLANTED_IDENTIFIERS, generate, is_valid_hetu
from analysis.synthetic.generator import CODED_WORKSHOPS, _workshops_iter
from analysis.synthetic.identifiers import PlantLog

PROJECT = Path(__file__).resolve().parent.parent
INSTRUMENT = yaml.safe_load((PROJECT / "config/instrument_professionals.yaml").read_text(encoding="utf-8"))
THEMES = {"roles", "collaboration", "service_paths", "peer_support", "participation", "housing", "money",
          "competence", "mental_health", "distances_digital"}
SEED = 2024


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("raw")
    generate(out, seed=SEED, scale=1)
    return out


@pytest.fixture(scope="module")
def manifest(raw) -> dict:
    return yaml.safe_load((raw / "manifest.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def workshops() -> dict:
    return {w.workshop_id: w for w in _workshops_iter(SEED, 1, PlantLog())}


def _text_of(path: Path) -> str:
    if path.suffix == ".docx":
        d = docx.Document(path)
        return "\n".join([p.text for p in d.paragraphs] + [c.text for t in d.tables for r in t.rows for c in r.cells])
    if path.suffix == ".xlsx":
        wb = openpyxl.load_workbook(path)
        return "\n".join(str(v) for ws in wb for row in ws.iter_rows(values_only=True) for v in row if v is not None)
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def _survey(raw: Path, name: str) -> pd.DataFrame:
    rows = list(openpyxl.load_workbook(raw / f"surveys/{name}.xlsx").active.iter_rows(values_only=True))
    return pd.DataFrame(rows[3:], columns=rows[2])


def _scored(df: pd.DataFrame) -> pd.DataFrame:
    labels = INSTRUMENT["answer_sets"]["likert5"]["labels"]
    out = {}
    for it in INSTRUMENT["items"]:
        v = df[it["match"]["header"]].map(labels).astype(float)
        out[it["id"]] = 6 - v if it.get("reverse") else v
    return pd.DataFrame(out)


def _alpha(x: pd.DataFrame) -> float:
    x = x.dropna()
    k = x.shape[1]
    return k / (k - 1) * (1 - x.var(ddof=1).sum() / x.sum(axis=1).var(ddof=1))


def test_scales_are_reliable(raw):
    for name in ("alkukartoitus_2024", "loppukartoitus_2026"):
        scored = _scored(_survey(raw, name))
        for scale in INSTRUMENT["scales"]:
            assert 0.7 <= _alpha(scored[scale["items"]]) <= 0.92, (name, scale["id"])


def test_role_clarity_rises_more_for_social_counsellors(raw):
    base, follow = _survey(raw, "alkukartoitus_2024"), _survey(raw, "loppukartoitus_2026")
    sb, sf = _scored(base), _scored(follow)
    items = next(s["items"] for s in INSTRUMENT["scales"] if s["id"] == "role_clarity")
    pb = pd.DataFrame({"code": base["Vastaajatunnus"].str.lower(), "role": base["Ammattinimike"], "b": sb[items].mean(axis=1)})
    pf = pd.DataFrame({"code": follow["Vastaajatunnus"].str.lower(), "f": sf[items].mean(axis=1)})
    change = pb.merge(pf, on="code").assign(d=lambda d: d.f - d.b).groupby("role").d.mean()
    assert change["Sosiaaliohjaaja"] > change["Sosiaalityöntekijä"] + 0.25
    assert change["Sosiaaliohjaaja"] > 0.4
    comp = next(s["items"] for s in INSTRUMENT["scales"] if s["id"] == "competence")
    assert abs(sf[comp].mean(axis=1).mean() - sb[comp].mean(axis=1).mean()) < 0.3


def test_reverse_items_run_against_their_scale(raw):
    s = _survey(raw, "alkukartoitus_2024")
    labels = INSTRUMENT["answer_sets"]["likert5"]["labels"]
    raw_rc1 = s[INSTRUMENT["items"][0]["match"]["header"]].map(labels).astype(float)
    raw_rc3 = s[INSTRUMENT["items"][2]["match"]["header"]].map(labels).astype(float)
    assert raw_rc1.corr(raw_rc3) < -0.3


def test_youth_share_of_words_grows(workshops):
    shares = []
    for w in sorted(workshops.values(), key=lambda w: w.date):
        words = pd.Series({t.number: len(t.text.split()) for t in w.turns})
        young = sum(len(t.text.split()) for t in w.turns if t.role == "young_person")
        shares.append(young / words.sum())
    assert shares[0] < 0.16 and shares[-1] > 0.25
    assert np.corrcoef(range(len(shares)), shares)[0, 1] > 0.8


def test_housing_worries_rise_in_tp2c_diaries_2025(raw):
    rows = list(openpyxl.load_workbook(raw / "diaries/hankepaivakirja.xlsx").active.iter_rows(values_only=True))
    df = pd.DataFrame(rows[1:], columns=rows[0])
    assert 80 <= len(df) <= 150

    def year(v):
        return v.year if hasattr(v, "year") else int(re.search(r"(20\d\d)", str(v)).group(1))

    df["year"] = df["Päivämäärä"].map(year)
    kinds = {type(v).__name__ for v in df["Päivämäärä"]}
    assert {"datetime", "str"} <= kinds
    assert any(re.fullmatch(r"\d{1,2}\.\d{1,2}\.20\d\d", str(v)) for v in df["Päivämäärä"])
    assert any(re.fullmatch(r"20\d\d-\d\d-\d\d", str(v)) for v in df["Päivämäärä"])
    text = df[["Mitä tapahtui?", "Mikä toimi hyvin?", "Mikä ei toiminut?", "Mitä seuraavaksi?"]].fillna("").agg(" ".join, axis=1)
    df["worry"] = text.str.contains(r"asumi|asun|vuokra|tukiasun|häätö|häädö", case=False)
    tp2c = df[df["Työpaketti"] == "TP2C"].groupby("year").worry.mean()
    assert tp2c[2025] > tp2c[2024] + 0.3
    assert set(df["Työpaketti"]) == {"TP1", "TP2A", "TP2B", "TP2C", "TP3", "TP4"}


def test_needs_survey_signal(raw):
    df = pd.read_csv(raw / "surveys/nuorten_tarvekysely.csv", sep=";", encoding="utf-8-sig")
    needs = df.filter(like="Missä asioissa").notna().mean().sort_values(ascending=False)
    top = {needs.index[0].split(" - ")[1], needs.index[1].split(" - ")[1]}
    assert top == {"Asuminen", "Raha-asiat ja toimeentulo"}
    peer = df["Missä asioissa tarvitset tukea? - Vertaistuki"].notna()
    supported = df["Miten asut tällä hetkellä?"] == "Tuetussa asumisessa"
    assert peer[supported].mean() > peer[~supported].mean() + 0.2


def test_planted_identifiers_are_in_the_raw_files(raw, manifest):
    planted = PLANTED_IDENTIFIERS(SEED, 1)
    assert set(planted["kind"]) == {"hetu", "phone", "email", "address", "name", "key_name"}
    sources = {"surveys": set(), "workshops": set(), "diaries": set()}
    for section in sources:
        for e in manifest[section]:
            sources[section].add(e["id"])
    for section, ids in sources.items():
        kinds = set(planted.loc[planted.source_id.isin(ids), "kind"])
        assert {"phone", "name"} <= kinds, section
    assert planted.loc[planted.kind == "hetu", "source_id"].isin(sources["workshops"]).any()
    assert planted.loc[planted.kind == "hetu", "source_id"].isin(sources["diaries"]).any()
    texts: dict[str, str] = {}
    for row in planted.itertuples():
        if row.kind == "key_name":
            continue
        if row.file not in texts:
            texts[row.file] = _text_of(raw / row.file)
        assert row.value in texts[row.file], (row.kind, row.value, row.file)
    assert all(is_valid_hetu(h) for h in planted.loc[planted.kind == "hetu", "value"])
    assert len(planted.loc[planted.kind == "hetu"]) >= 3


def test_every_name_in_a_text_is_a_speaker_or_a_known_name(raw, manifest):
    planted = PLANTED_IDENTIFIERS(SEED, 1)
    entries = {e["id"]: e for section in ("surveys", "workshops", "diaries") for e in manifest[section]}
    for row in planted[planted.kind == "name"].itertuples():
        entry = entries[row.source_id]
        names = list(entry.get("known_names", [])) + list(entry.get("speakers", {}))
        parts = {p for n in names for p in n.split()}
        stem_ok = any(row.value.startswith(p[:3]) for p in parts)
        assert stem_ok, (row.value, row.source_id)
    for row in planted[planted.kind == "key_name"].itertuples():
        assert row.value in entries[row.source_id]["known_names"]
    vtt = next(e for e in manifest["workshops"] if e["file"].endswith(".vtt"))
    assert {"Aino Korhonen", "Jere Mäkelä"} <= set(vtt["speakers"])
    names_in_vtt = set(planted.loc[(planted.source_id == vtt["id"]) & (planted.kind == "name"), "value"])
    assert names_in_vtt  # voices are addressed by name in other turns


def test_codings_follow_ground_truth_with_some_disagreement(raw, workshops):
    df = pd.read_csv(raw / "codings/koodaus_K1_K2.csv", encoding="utf-8")
    assert list(df.columns) == ["segment_id", "coder", "code"]
    assert set(df.coder) == {"K1", "K2"} and set(df.code) <= THEMES
    ids = df.segment_id.str.extract(r"^(W\d\d)-t(\d{4})$")
    assert ids.notna().all().all()
    assert set(ids[0]) == set(CODED_WORKSHOPS)
    for wid, turn in ids.drop_duplicates().itertuples(index=False):
        t = workshops[wid].turns[int(turn) - 1]
        assert t.number == int(turn) and t.themes and t.role != "facilitator"
    sets = df.groupby(["segment_id", "coder"]).code.apply(frozenset).unstack()
    agree = (sets["K1"] == sets["K2"]).mean()
    assert 0.75 <= agree <= 0.95


def test_text_quality(raw, manifest, workshops):
    spoken = re.compile(r"\b(mä|sä|oon|et|niinku|joo|tota|sit|nii|ei oo|tehään|mennään)\b", re.I)
    for w in workshops.values():
        texts = [t.text for t in w.turns]
        assert 40 <= len(texts) <= 120
        assert len(set(texts)) / len(texts) >= 0.7
        joined = " ".join(texts)
        assert re.search("[äö]", joined) and len(spoken.findall(joined)) > 20
        sentences = re.split(r"(?<=[.?!]) ", joined)
        most = pd.Series(sentences).value_counts().iloc[0]
        assert most <= max(6, len(sentences) // 15)
    for w in manifest["workshops"]:
        assert re.search("[äöÄÖ]", _text_of(raw / w["file"]))
    diary = _text_of(raw / "diaries/hankepaivakirja.xlsx")
    assert "jälkihuol" in diary and "lorem" not in diary.lower()


def test_folder_diaries(raw, manifest):
    folder = next(e for e in manifest["diaries"] if e["kind"] == "folder")
    files = sorted((raw / folder["file"]).iterdir())
    assert 3 <= len(files) <= 5
    assert {p.suffix for p in files} == {".md", ".txt", ".docx"}
    for p in files:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}_tp\w+\.(md|txt|docx)", p.name)
        assert "Mitä tapahtui?" in _text_of(p)

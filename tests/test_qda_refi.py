"""REFI-QDA export and import: schema validity, stable output, round trip, real-tool quirks."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lxml import etree

from analysis.coding.refi import (
    NS_CODEBOOK,
    NS_PROJECT,
    export_qdc,
    export_qdpx,
    import_qdc,
    import_qdpx,
    map_codings_to_segments,
    normalise_text,
    project_xml,
    stable_guid,
)
from analysis.errors import DataError

HERE = Path(__file__).parent
FIXTURES = HERE / "data" / "qda"
#: The official REFI-QDA material lives beside the repository, never inside it.
REFI_DIR = Path(__file__).resolve().parents[2] / "shared" / "refi-qda"
PROJECT_XSD = REFI_DIR / "Project-mrt2019.xsd"

W07_TURNS = [
    ("Fasilitaattori 1", "facilitator", "Mitä teille tulee mieleen jälkihuollon työnjaosta?"),
    ("ST 1", "social_worker", "No meillä on se ongelma et kuka vastaa mistäkin, sosiaaliohjaaja vai minä."),
    ("Nuori 3", "young_person", "Mä en tienny kehen mun pitäis olla yhteydessä ku asunto meni alta."),
    ("SO 2", "social_counsellor", "Joo ja itsenäistymisvarat, niistä ei kukaan kertonu nuorelle ajoissa."),
    ("Nuori 3", "young_person", "[naurua] Niin, rahat loppu heti ekana kuukautena."),
]
W08_TURNS = [
    ("Fasilitaattori 1", "facilitator", "Miten vertaisryhmä on lähteny käyntiin?"),
    ("KA 1", "expert_by_experience", "Hyvin, nuoret on tykänny ku saa puhua toisten samassa tilanteessa olevien kanssa."),
    ("Nuori 5", "young_person", "Mulle se ryhmä oli eka paikka missä mua oikeesti kuunneltiin. 😊"),
]
DIARIES = {
    "D0001": ("2024-09-02", "Tuetun asumisen pilotissa kartoitettiin kolmen nuoren asumisen tarpeet. Vuokranantajan kanssa sovittiin tapaaminen."),
    "D0002": ("2024-10-15", "Itsenäistymisvarojen ohje lähetettiin nuorille. Kaksi nuorta kysyi, miten varoja haetaan."),
}


def sample_codebook() -> pd.DataFrame:
    """A small codebook with the team's shared ids (config/codebook.yaml has more)."""
    rows = [
        ("roles", None, "Työnjako ja roolit", "Division of work and roles", "#332288", "Kuka tekee mitäkin."),
        ("peer_support", None, "Vertaistuki", "Peer support", "#117733", "Vertaisryhmät."),
        ("participation", None, "Osallisuus", "Participation", "#88CCEE", "Nuoren kuulluksi tuleminen."),
        ("housing", None, "Asuminen", "Housing", "#44AA99", "Tuettu asuminen ja asunnot."),
        ("finding_housing", "housing", "Asunnon löytäminen", "Finding housing", "#999933", None),
        ("money", None, "Raha", "Money", "#DDCC77", "Raha-asiat ja itsenäistymisvarat."),
    ]
    return pd.DataFrame(rows, columns=["code", "parent", "name_fi", "name_en", "colour", "definition"])


def sample_workspace() -> tuple[dict[str, str], pd.DataFrame]:
    """Documents and turn/diary segments shaped like analysis.text.pipeline's output."""
    documents, records = {}, []
    for doc_id, date, wp, turns in (("W07", "2025-03-12", "TP1", W07_TURNS), ("W08", "2025-04-02", "TP2A", W08_TURNS)):
        text, pos = "", 0
        for k, (speaker, role, said) in enumerate(turns, start=1):
            start = pos + len(speaker) + 2
            records.append({"segment_id": f"{doc_id}-t{k:04d}", "unit": "turn", "doc_id": doc_id,
                            "doc_type": "workshop", "speaker": speaker, "speaker_role": role, "work_package": wp,
                            "date": pd.Timestamp(date), "text": said, "start": start, "end": start + len(said)})
            text += f"{speaker}: {said}\n"
            pos = len(text)
        documents[doc_id] = text
    for entry_id, (date, text) in DIARIES.items():
        documents[entry_id] = text
        records.append({"segment_id": entry_id, "unit": "diary_entry", "doc_id": entry_id, "doc_type": "diary",
                        "speaker": "SO 4", "speaker_role": "social_counsellor", "work_package": "TP2C",
                        "date": pd.Timestamp(date), "text": text, "start": 0, "end": len(text)})
    return documents, pd.DataFrame(records)


def sample_codings() -> pd.DataFrame:
    rows = [
        ("W07-t0002", "roles", "auto"), ("W07-t0003", "housing", "auto"), ("W07-t0003", "finding_housing", "auto"),
        ("W07-t0004", "money", "auto"), ("W07-t0005", "money", "auto"), ("W08-t0002", "peer_support", "auto"),
        ("W08-t0003", "peer_support", "auto"), ("W08-t0003", "participation", "auto"),
        ("D0001", "housing", "auto"), ("D0002", "money", "auto"),
        ("W07-t0002", "roles", "K1"), ("W07-t0003", "housing", "K1"), ("W08-t0003", "participation", "K1"),
        ("W07-t0002", "roles", "K2"), ("W07-t0004", "money", "K2"), ("D0002", "money", "K2"),
    ]
    return pd.DataFrame(rows, columns=["segment_id", "code", "coder"])


def test_sample_offsets_match_text():
    documents, segments = sample_workspace()
    for row in segments.itertuples():
        assert documents[row.doc_id][row.start:row.end] == row.text


# ----------------------------------------------------------------------------- export


@pytest.fixture()
def exported(tmp_path):
    documents, segments = sample_workspace()
    path = export_qdpx(tmp_path / "jakala.qdpx", sample_codebook(), documents, segments, sample_codings(),
                       project_name="Jäkälä testi")
    return path, documents, segments


@pytest.mark.skipif(not PROJECT_XSD.is_file(), reason="REFI-QDA schema not available beside the repository")
def test_export_validates_against_refi_schema(exported):
    path, _, _ = exported
    schema = etree.XMLSchema(etree.parse(str(PROJECT_XSD)))
    with zipfile.ZipFile(path) as archive:
        document = etree.fromstring(archive.read("project.qde"))
    assert schema.validate(document), schema.error_log


@pytest.mark.skipif(not PROJECT_XSD.is_file(), reason="REFI-QDA schema not available beside the repository")
def test_schema_rejects_an_empty_container():
    """The validator used above is strict enough to catch what the exporter must avoid."""
    schema = etree.XMLSchema(etree.parse(str(PROJECT_XSD)))
    bad = etree.fromstring(f'<Project xmlns="{NS_PROJECT}" name="x"><Cases/></Project>'.encode())
    assert not schema.validate(bad)


def test_export_structure(exported):
    path, documents, _ = exported
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        root = etree.fromstring(archive.read("project.qde"))
        texts = {n: archive.read(n) for n in names if n.startswith("sources/")}
    assert names[0] == "project.qde"
    assert len(texts) == len(documents)
    ns = {"q": NS_PROJECT}
    assert [etree.QName(c).localname for c in root] == ["Users", "CodeBook", "Variables", "Cases", "Sources"]
    # hierarchy, colour and definition of the codebook
    sub = root.find(".//q:Code[@name='Asuminen']/q:Code", ns)
    assert sub.get("name") == "Asunnon löytäminen" and sub.get("color") == "#999933"
    assert root.find(".//q:Code[@name='Raha']/q:Description", ns).text == "Raha-asiat ja itsenäistymisvarat."
    # text sources: internal path, no BOM, \n only
    for source in root.iterfind(".//q:TextSource", ns):
        guid = source.get("guid")
        assert source.get("plainTextPath") == f"internal://{guid}.txt"
        data = texts[f"sources/{guid}.txt"]
        assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data
        assert data.decode("utf-8") == documents[source.get("name")]
    # selections are code-point offsets with an exclusive end
    w07 = root.find(".//q:TextSource[@name='W07']", ns)
    selection = w07.find("q:PlainTextSelection[@name='W07-t0004']", ns)
    start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
    assert documents["W07"][start:end] == W07_TURNS[3][2]
    # variables: speaker role on speaker cases, work package and date on document cases
    variables = {v.get("name"): v.get("typeOfVariable") for v in root.iterfind(".//q:Variable", ns)}
    assert variables == {"speaker_role": "Text", "work_package": "Text", "workshop": "Text", "date": "Date"}
    case = root.find(".//q:Case[@name='Nuori 5']", ns)
    assert case.find(".//q:TextValue", ns).text == "young_person"
    assert root.find(".//q:Case[@name='D0002']//q:DateValue", ns).text == "2024-10-15"
    users = {u.get("id"): u.get("name") for u in root.iterfind(".//q:User", ns)}
    assert users == {"auto": "Jäkälä auto-coder", "K1": "K1", "K2": "K2"}


def test_export_is_byte_identical_and_guids_stable(tmp_path):
    documents, segments = sample_workspace()
    first = export_qdpx(tmp_path / "a.qdpx", sample_codebook(), documents, segments, sample_codings())
    # same data in another row order gives the same bytes
    shuffled = sample_codings().sample(frac=1, random_state=3)
    second = export_qdpx(tmp_path / "b.qdpx", sample_codebook(), documents, segments.iloc[::-1], shuffled)
    assert first.read_bytes() == second.read_bytes()
    xml, _ = project_xml(sample_codebook().iloc[[0]], {"W07": documents["W07"]},
                         segments[segments["doc_id"] == "W07"], sample_codings().iloc[[0]])
    root = etree.fromstring(xml)
    code = root.find(f".//{{{NS_PROJECT}}}Code")
    assert code.get("guid") == stable_guid("code", "roles")
    assert root.find(f".//{{{NS_PROJECT}}}TextSource").get("guid") == stable_guid("source", "W07")


def test_export_normalises_crlf_and_bom_and_moves_offsets(tmp_path):
    text = "\ufeffST 1: Moi.\r\nNuori 2: Mä tarviin asunnon.\r\n"
    start = text.index("Mä")
    segments = pd.DataFrame({"segment_id": ["X-t0002"], "doc_id": ["X"], "start": [start],
                             "end": [start + len("Mä tarviin asunnon.")]})
    codings = pd.DataFrame({"segment_id": ["X-t0002"], "code": ["housing"], "coder": ["auto"]})
    path = export_qdpx(tmp_path / "x.qdpx", sample_codebook(), {"X": text}, segments, codings, variables=[])
    project = import_qdpx(path, codebook_table=sample_codebook())
    assert project.sources.loc[0, "text"] == normalise_text(text)
    assert project.codings.loc[0, "text"] == "Mä tarviin asunnon."
    mapped, unmapped = map_codings_to_segments(project, segments, {"X": text})
    assert mapped.to_dict("records") == [{"segment_id": "X-t0002", "code": "housing", "coder": "auto"}]
    assert unmapped.empty


def test_export_qdc(tmp_path):
    path = export_qdc(tmp_path / "koodikirja.qdc", sample_codebook(), language="en")
    root = etree.parse(str(path)).getroot()
    assert root.tag == f"{{{NS_CODEBOOK}}}CodeBook"
    names = [c.get("name") for c in root.iter(f"{{{NS_CODEBOOK}}}Code")]
    assert names == ["Division of work and roles", "Peer support", "Participation", "Housing", "Finding housing", "Money"]
    back = import_qdc(path, codebook_table=sample_codebook())
    assert back["code"].tolist() == sample_codebook()["code"].tolist()
    assert back["matched"].all()
    assert back.set_index("code").loc["finding_housing", "parent"] == "housing"


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda cb, seg, cod: (cb, seg, pd.concat([cod, pd.DataFrame([{"segment_id": "W07-t0002", "code": "nope", "coder": "K1"}])])), "not in the codebook"),
        (lambda cb, seg, cod: (cb, seg, pd.concat([cod, pd.DataFrame([{"segment_id": "W99-t0001", "code": "roles", "coder": "K1"}])])), "not in the segments table"),
        (lambda cb, seg, cod: (cb.assign(colour=cb["colour"].where(cb["code"] != "money", "keltainen")), seg, cod), "not #RRGGBB"),
        (lambda cb, seg, cod: (cb.assign(parent=cb["parent"].where(cb["code"] != "roles", "missing")), seg, cod), "not in the codebook"),
        (lambda cb, seg, cod: (cb, seg.assign(end=seg["end"] + 1000), cod), "outside document"),
    ],
)
def test_export_rejects_bad_input(tmp_path, change, message):
    documents, segments = sample_workspace()
    codebook, segments, codings = change(sample_codebook(), segments, sample_codings())
    with pytest.raises(DataError, match=message):
        export_qdpx(tmp_path / "bad.qdpx", codebook, documents, segments, codings)


# ----------------------------------------------------------------------------- round trip


def test_round_trip_reproduces_codings_exactly(exported):
    path, documents, segments = exported
    project = import_qdpx(path, codebook_table=sample_codebook())
    assert project.offset_scheme == "codepoint"
    assert (project.codings["status"] == "ok").all()
    assert project.codebook_table["matched"].all()
    mapped, unmapped = map_codings_to_segments(project, segments, documents, codebook_table=sample_codebook())
    assert unmapped.empty
    key = ["segment_id", "code", "coder"]
    expected = sample_codings().sort_values(key).reset_index(drop=True)
    assert mapped.sort_values(key).reset_index(drop=True).equals(expected)
    # the cases come back too
    roles = project.cases[project.cases["variable"] == "speaker_role"].set_index("case_name")["value"]
    assert roles["KA 1"] == "expert_by_experience"


def test_round_trip_without_workspace_codebook_keeps_slugs(exported):
    path, _, segments = exported
    project = import_qdpx(path)
    assert set(project.codebook_table["code"]) == {"tyonjako_ja_roolit", "vertaistuki", "osallisuus", "asuminen",
                                             "asunnon_loytaminen", "raha"}
    assert not project.codebook_table["matched"].any()
    mapped, _ = map_codings_to_segments(project, segments)
    assert len(mapped) == len(sample_codings())


# ----------------------------------------------------------------------------- real-tool quirks


def _zip_folder(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(folder).as_posix())
    return target


W07_EXPECTED = [
    ("W07-t0002", "roles", "K1"), ("W07-t0002", "roles", "K2"), ("W07-t0003", "finding_housing", "K1"),
    ("W07-t0003", "housing", "K2"), ("W07-t0004", "money", "K1"), ("W07-t0004", "money", "K2"),
    ("W07-t0005", "money", "K1"),
]


def _w07():
    documents, segments = sample_workspace()
    return {"W07": documents["W07"]}, segments[segments["doc_id"] == "W07"]


def test_hand_made_atlas_project_with_crlf_and_bom(tmp_path):
    path = _zip_folder(FIXTURES / "crlf_bom_atlas", tmp_path / "atlas.qdpx")
    project = import_qdpx(path, codebook_table=sample_codebook())
    assert project.offset_scheme == "codepoint"  # CRLF counted once, BOM not counted
    source = project.sources.iloc[0]
    assert source["available"] and source["has_bom"] and source["has_crlf"]
    assert "\r" not in source["text"] and not source["text"].startswith("\ufeff")
    matched = project.codebook_table.set_index("name")["matched"]
    assert matched["Asunnon löytäminen"] and not matched["Muu"]
    assert set(project.users["name"]) == {"K1", "K2"}
    documents, segments = _w07()
    mapped, unmapped = map_codings_to_segments(project, segments, documents, codebook_table=sample_codebook())
    got = sorted(map(tuple, mapped[["segment_id", "code", "coder"]].to_numpy().tolist()))
    assert got == sorted(W07_EXPECTED)
    reasons = unmapped.set_index("selection_guid")["reason"]
    assert reasons.size == 2
    assert "not in the workspace codebook" in reasons["D4000000-0000-4000-8000-000000000008"]
    assert "do not fit the text" in reasons["D4000000-0000-4000-8000-000000000009"]


def _rewrite_offsets(folder: Path, tmp_path: Path, convert, *, drop_names: bool = False) -> Path:
    """Copy the ATLAS.ti fixture with its offsets recomputed by ``convert(text, start, end)``."""
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    tree = etree.parse(str(copy / "project.qde"))
    raw = next((copy / "Sources").iterdir()).read_bytes()[3:].decode("utf-8")  # without the BOM
    norm = raw.replace("\r\n", "\n")
    for selection in tree.iter(f"{{{NS_PROJECT}}}PlainTextSelection"):
        start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
        if end <= len(norm):
            new_start, new_end = convert(norm, start, end)
            selection.set("startPosition", str(new_start))
            selection.set("endPosition", str(new_end))
        if drop_names:
            selection.attrib.pop("name", None)
    tree.write(str(copy / "project.qde"), xml_declaration=True, encoding="utf-8")
    return _zip_folder(copy, tmp_path / "variant.qdpx")


def _crlf2(norm: str, start: int, end: int) -> tuple[int, int]:
    return start + norm[:start].count("\n"), end + norm[:end].count("\n")


def _utf8(norm: str, start: int, end: int) -> tuple[int, int]:
    raw = norm.replace("\n", "\r\n")
    return len(raw[:_crlf2(norm, start, end)[0]].encode()), len(raw[:_crlf2(norm, start, end)[1]].encode())


@pytest.mark.parametrize("drop_names", [False, True])
@pytest.mark.parametrize("convert, scheme", [(_crlf2, "codepoint+crlf2"), (_utf8, "utf8+crlf2")])
def test_detects_crlf_as_two_and_utf8_byte_offsets(tmp_path, convert, scheme, drop_names):
    path = _rewrite_offsets(FIXTURES / "crlf_bom_atlas", tmp_path, convert, drop_names=drop_names)
    project = import_qdpx(path, codebook_table=sample_codebook())
    assert project.offset_scheme == scheme
    documents, segments = _w07()
    mapped, _ = map_codings_to_segments(project, segments, documents, codebook_table=sample_codebook())
    assert sorted(map(tuple, mapped.to_numpy().tolist())) == sorted(W07_EXPECTED)
    # forcing the scheme gives the same answer, forcing a wrong one does not
    forced = import_qdpx(path, codebook_table=sample_codebook(), offsets=scheme)
    assert forced.codings["start"].equals(project.codings["start"])
    wrong = import_qdpx(path, codebook_table=sample_codebook(), offsets="codepoint")
    assert not wrong.codings["text"].equals(project.codings["text"])


def test_utf8_offsets_of_a_taguette_style_inline_project(tmp_path):
    """Inline PlainTextContent, lower-case GUIDs in braces, UTF-8 byte offsets (Taguette counts bytes)."""
    text = "Nuori 5: Mulle se ryhmä oli eka paikka missä mua oikeesti kuunneltiin.\n"
    phrase = "eka paikka missä mua oikeesti kuunneltiin"
    start = text.index(phrase)
    b_start, b_end = len(text[:start].encode()), len(text[:start + len(phrase)].encode())
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="{NS_PROJECT}" name="taguette">
  <Users><User guid="{{aaaaaaaa-0000-4000-8000-000000000001}}" name="tutkija"/></Users>
  <CodeBook><Codes><Code guid="{{bbbbbbbb-0000-4000-8000-000000000001}}" name="participation" isCodable="true"/></Codes></CodeBook>
  <Sources><TextSource guid="{{cccccccc-0000-4000-8000-000000000001}}" name="W08">
    <PlainTextContent>{text}</PlainTextContent>
    <PlainTextSelection guid="{{dddddddd-0000-4000-8000-000000000001}}" startPosition="{b_start}" endPosition="{b_end}">
      <Coding guid="{{eeeeeeee-0000-4000-8000-000000000001}}" creatingUser="{{aaaaaaaa-0000-4000-8000-000000000001}}">
        <CodeRef targetGUID="{{bbbbbbbb-0000-4000-8000-000000000001}}"/></Coding>
    </PlainTextSelection>
  </TextSource></Sources>
</Project>"""
    path = tmp_path / "taguette.qde"
    path.write_text(qde, encoding="utf-8")
    project = import_qdpx(path, codebook_table=sample_codebook())
    assert project.offset_scheme == "utf8"
    assert project.codings.loc[0, "text"] == phrase
    assert project.codings.loc[0, "coder"] == "tutkija"
    segments = pd.DataFrame({"segment_id": ["W08-t0003"], "doc_id": ["W08"], "start": [9], "end": [len(text) - 1]})
    mapped, _ = map_codings_to_segments(project, segments, {"W08": text})
    assert mapped.to_dict("records") == [{"segment_id": "W08-t0003", "code": "participation", "coder": "tutkija"}]


def test_lower_case_sources_folder_and_renamed_source(tmp_path, exported):
    """MAXQDA writes 'sources', NVivo 'Sources'; tools may rename a source ('W07.txt')."""
    path, documents, segments = exported
    with zipfile.ZipFile(path) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    qde = members.pop("project.qde").replace(b'name="W07"', b'name="W07.txt"')
    qde = qde.replace(stable_guid("source", "W07").encode(), b"11111111-2222-4333-8444-555555555555")
    target = tmp_path / "renamed.qdpx"
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("project.qde", qde)
        for name, data in members.items():
            name = name.replace(stable_guid("source", "W07"), "11111111-2222-4333-8444-555555555555")
            archive.writestr(name.replace("sources/", "Sources/"), data)
    project = import_qdpx(target, codebook_table=sample_codebook())
    assert project.sources["available"].all()
    mapped, unmapped = map_codings_to_segments(project, segments, documents)
    assert unmapped.empty and len(mapped) == len(sample_codings())


def test_edited_source_text_is_reanchored(tmp_path, exported):
    """A coder added a word before a selection: the selection is found again by its text."""
    path, documents, segments = exported
    edited = dict(documents)
    edited["W07"] = documents["W07"].replace("Fasilitaattori 1: Mitä", "Fasilitaattori 1: No niin, mitä")
    shift = len(edited["W07"]) - len(documents["W07"])
    seg = segments.copy()
    later = (seg["doc_id"] == "W07") & (seg["start"] > 20)
    seg.loc[later, ["start", "end"]] += shift
    project = import_qdpx(path, codebook_table=sample_codebook())
    mapped, unmapped = map_codings_to_segments(project, seg, edited)
    assert unmapped.empty
    assert len(mapped) == len(sample_codings())


def test_majority_rule():
    text = "A: " + "x" * 40 + "\nB: " + "y" * 10 + "\n"
    segments = pd.DataFrame({"segment_id": ["t1", "t2"], "doc_id": ["D", "D"], "start": [3, 47], "end": [43, 57]})
    codings = pd.DataFrame({
        "source_guid": [stable_guid("source", "D")] * 4, "source_name": ["D"] * 4, "selection_guid": list("abcd"),
        "start": [3, 10, 40, 44], "end": [50, 20, 52, 46], "code": ["roles"] * 4, "code_name": ["Roolit"] * 4,
        "coder": ["K1"] * 4, "text": [None] * 4, "status": ["ok"] * 4})
    mapped, unmapped = map_codings_to_segments(codings, segments)
    # a: all of t1 + 3 of t2's 10 chars -> t1 only; b: inside t1 -> t1; c: 3 of t1, half of t2 -> t2
    assert mapped["segment_id"].tolist() == ["t1", "t2"]
    assert unmapped["selection_guid"].tolist() == ["d"]  # d lies between the turns
    mapped_all, _ = map_codings_to_segments(codings, segments, min_share=0.05)
    assert set(mapped_all["segment_id"]) == {"t1", "t2"}


def test_unknown_offset_scheme_and_broken_files(tmp_path):
    documents, segments = sample_workspace()
    path = export_qdpx(tmp_path / "ok.qdpx", sample_codebook(), documents, segments, sample_codings())
    with pytest.raises(DataError, match="unknown offset scheme"):
        import_qdpx(path, offsets="utf32")
    broken = tmp_path / "broken.qdpx"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("project.qde", "<Project name='x'")
    with pytest.raises(DataError, match="broken.qdpx"):
        import_qdpx(broken)
    empty = tmp_path / "empty.qdpx"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("readme.txt", "no project")
    with pytest.raises(DataError, match="no project.qde"):
        import_qdpx(empty)


def test_missing_source_file_is_reported(tmp_path, exported):
    path, documents, segments = exported
    with zipfile.ZipFile(path) as archive:
        members = {n: archive.read(n) for n in archive.namelist() if not n.endswith(f"{stable_guid('source', 'W08')}.txt")}
    target = tmp_path / "partial.qdpx"
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    project = import_qdpx(target, codebook_table=sample_codebook())
    assert not project.sources.set_index("source_name").loc["W08", "available"]
    mapped, unmapped = map_codings_to_segments(project, segments, documents)
    assert set(unmapped["reason"]) == {"source text missing from the project"}
    assert len(unmapped) == 4 and len(mapped) == len(sample_codings()) - 4


def test_import_hand_made_qualcoder_codebook():
    table = import_qdc(FIXTURES / "qualcoder_codebook.qdc", codebook_table=sample_codebook())
    by_name = table.set_index("name")
    assert by_name.loc["Vertaistuki", "code"] == "peer_support" and by_name.loc["Vertaistuki", "matched"]
    assert by_name.loc["Housing", "code"] == "housing"
    assert by_name.loc["Uusi teema", "code"] == "uusi_teema" and not by_name.loc["Uusi teema", "matched"]
    assert by_name.loc["Uusi teema", "parent"] == "nuorten_teemat"
    assert not by_name.loc["Nuorten teemat", "is_codable"]
    assert by_name.loc["Vertaistuki", "guid"] == "F1000000-0000-4000-8000-000000000002"
    project = import_qdpx(FIXTURES / "qualcoder_codebook.qdc")
    assert project.codings.empty and len(project.codebook_table) == 4


ATLAS_SAMPLE = REFI_DIR / "target-atlas-project.qdpx"


@pytest.mark.skipif(not ATLAS_SAMPLE.is_file(), reason="ATLAS.ti sample not available beside the repository")
def test_import_atlas_ti_sample():
    project = import_qdpx(ATLAS_SAMPLE)
    assert project.name == "target-atlas-project"
    assert len(project.users) == 2
    tree = project.codebook_table
    assert "Commits" in set(tree["name"])
    children = tree[tree["parent"] == tree.set_index("name").loc["Commits", "code"]]
    assert len(children) == 2
    assert project.codings.empty


def test_normalisation_keeps_astral_characters(tmp_path):
    """An emoji is one code point (two UTF-16 units): offsets after it stay right."""
    documents, segments = sample_workspace()
    w08 = segments[segments["doc_id"] == "W08"]
    path = export_qdpx(tmp_path / "w08.qdpx", sample_codebook(), {"W08": documents["W08"]}, w08,
                       pd.DataFrame({"segment_id": ["W08-t0003"], "code": ["participation"], "coder": ["K1"]}))
    project = import_qdpx(path)
    assert project.codings.loc[0, "text"].endswith("😊")
    assert np.int64(project.codings.loc[0, "end"]) == len(documents["W08"]) - 1

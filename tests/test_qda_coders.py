"""Coder identity survives a REFI-QDA round trip through a tool that drops ``User@id``.

QualCoder exports ``<User guid=… name=…/>`` without the ``id`` attribute the workspace
writes, so the auto-coder's codings come back under its display name. They must map back
to ``auto`` (and stay out of the human coders), and ``config/coders.yaml`` maps other
display names and lists coders to exclude.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from analysis.coding.coding_sheet import read_codings_folder
from analysis.coding.refi import NS_PROJECT, CoderConfig, coder_id, export_qdpx, import_qdpx, load_coders
from analysis.errors import ConfigError
from test_qda_refi import sample_codebook, sample_codings, sample_workspace

ROOT = Path(__file__).resolve().parents[1]


def _strip_user_ids(source: Path, target: Path, *, rename: dict[str, str] | None = None,
                    drop_creators: bool = False) -> Path:
    """Rewrite an exported project as QualCoder does: no ``User@id`` (and optionally no creatingUser)."""
    with zipfile.ZipFile(source) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    root = etree.fromstring(members["project.qde"])
    ns = {"q": NS_PROJECT}
    for user in root.iterfind(".//q:Users/q:User", ns):
        user.attrib.pop("id", None)
        if rename and user.get("name") in rename:
            user.set("name", rename[user.get("name")])
    if drop_creators:
        for element in root.iter():
            element.attrib.pop("creatingUser", None)
    members["project.qde"] = etree.tostring(root, xml_declaration=True, encoding="utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    target.write_bytes(buffer.getvalue())
    return target


@pytest.fixture()
def qualcoder_project(tmp_path):
    documents, segments = sample_workspace()
    codings = sample_codings()
    codings = codings[codings["coder"].isin(["auto", "K1"])]
    exported = export_qdpx(tmp_path / "export.qdpx", sample_codebook(), documents, segments, codings)
    folder = tmp_path / "codings"
    folder.mkdir()
    path = _strip_user_ids(exported, folder / "qualcoder.qdpx", rename={"K1": "Liisa Koodaaja"})
    return path, documents, segments, codings


def test_exported_project_really_lacks_user_ids(qualcoder_project):
    path, *_ = qualcoder_project
    project = import_qdpx(path)
    assert project.users["id"].isna().all()
    assert set(project.users["name"]) == {"Jäkälä auto-coder", "Liisa Koodaaja"}


def test_auto_coder_display_name_maps_back_to_auto(qualcoder_project):
    path, *_ = qualcoder_project
    project = import_qdpx(path, codebook_table=sample_codebook())
    assert set(project.codings["coder"]) == {"auto", "Liisa Koodaaja"}
    assert dict(zip(project.users["name"], project.users["coder"]))["Jäkälä auto-coder"] == "auto"


def test_auto_coder_is_not_counted_as_a_second_human_coder(qualcoder_project):
    path, documents, segments, codings = qualcoder_project
    manual, coverage, _ = read_codings_folder(path.parent, segments, sample_codebook(), documents=documents)
    assert sorted(manual["coder"].unique()) == ["Liisa Koodaaja"]  # one human coder, not two
    assert set(coverage["coder"]) == {"Liisa Koodaaja"}


def test_config_maps_display_names_and_excludes_coders(qualcoder_project, tmp_path):
    path, documents, segments, codings = qualcoder_project
    config = tmp_path / "coders.yaml"
    config.write_text('names:\n  "liisa  koodaaja": K1\nexclude_from_agreement: [auto]\n', encoding="utf-8")
    coders = load_coders(config)
    manual, _, _ = read_codings_folder(path.parent, segments, sample_codebook(), documents=documents,
                                       **coders.as_kwargs())
    key = ["segment_id", "code", "coder"]
    expected = codings[codings["coder"] == "K1"]
    assert sorted(map(tuple, manual.dropna(subset=["code"])[key].to_numpy().tolist())) == \
        sorted(map(tuple, expected[key].to_numpy().tolist()))
    # a coder listed in exclude_from_agreement is left out
    config.write_text('names:\n  "Liisa Koodaaja": K1\nexclude_from_agreement: [auto, K1]\n', encoding="utf-8")
    manual, _, _ = read_codings_folder(path.parent, segments, sample_codebook(), documents=documents,
                                       **load_coders(config).as_kwargs())
    assert manual.empty


def test_codings_without_creating_user_belong_to_the_only_user(tmp_path):
    documents, segments = sample_workspace()
    codings = sample_codings()
    codings = codings[codings["coder"] == "K1"]
    exported = export_qdpx(tmp_path / "export.qdpx", sample_codebook(), documents, segments, codings)
    path = _strip_user_ids(exported, tmp_path / "nouser.qdpx", rename={"K1": "Liisa Koodaaja"}, drop_creators=True)
    project = import_qdpx(path, codebook_table=sample_codebook(), coder_names={"Liisa Koodaaja": "K1"})
    assert set(project.codings["coder"]) == {"K1"}


def test_coder_id_and_the_shipped_config():
    assert coder_id("Jäkälä auto-coder") == "auto"
    assert coder_id(" JÄKÄLÄ   auto-coder") == "auto"
    assert coder_id("K2", {"Liisa": "K1"}) == "K2"
    shipped = load_coders(ROOT / "config" / "coders.yaml")
    assert shipped == CoderConfig(names={"Jäkälä auto-coder": "auto"}, exclude=("auto",))


@pytest.mark.parametrize("text, message", [
    ("nimet: {}\n", "unknown key"),
    ("names: [a, b]\n", r"line 1, names: 'names' must be a mapping"),
    ("exclude_from_agreement: {auto: 1}\n", "list of coder ids"),
])
def test_bad_coders_config_names_the_key(tmp_path, text, message):
    path = tmp_path / "coders.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_coders(path)

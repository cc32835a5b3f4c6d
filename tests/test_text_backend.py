"""The lemmatiser backend is an explicit setting: same lemmas on every machine, no silent switch."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.errors import ConfigError, JakalaError
from analysis.text import lemmatise as lem

SRC = Path(lem.__file__).resolve().parents[2] / "config" / "text"


@pytest.fixture
def text_config(tmp_path, monkeypatch):
    folder = tmp_path / "text"
    folder.mkdir()
    for path in SRC.iterdir():
        (folder / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("JAKALA_TEXT_CONFIG", str(folder))
    monkeypatch.delenv("JAKALA_LEMMATISER", raising=False)
    lem.clear_cache()
    yield folder
    lem.clear_cache()


def test_repository_default_is_pip_only(text_config):
    assert lem.DEFAULT_BACKEND == "pyvoikko"
    assert lem.configured_backend()[0] == "pyvoikko"
    assert "backend: pyvoikko" in (SRC / "lemmatiser.yaml").read_text(encoding="utf-8")


def test_setting_is_followed_even_when_voikko_is_installed(text_config):
    (text_config / "lemmatiser.yaml").write_text("backend: simplemma\n", encoding="utf-8")
    lem.clear_cache()
    assert lem.default_backend() == "simplemma"
    info = lem.backend_info()
    assert info["name"] == "simplemma" and info["set_in"].endswith("lemmatiser.yaml")
    assert lem.lemmatise("nuorille") == lem.lemmatise("nuorille", backend="simplemma")


def test_missing_backend_is_an_error_naming_the_setting(text_config, monkeypatch):
    monkeypatch.setitem(lem._AVAILABLE, "voikko", lambda: False)
    (text_config / "lemmatiser.yaml").write_text("backend: voikko\n", encoding="utf-8")
    lem.clear_cache()
    with pytest.raises(JakalaError, match=r"backend 'voikko' \(set in .*lemmatiser.yaml\) is not installed"):
        lem.lemmatise("talo")
    (text_config / "lemmatiser.yaml").write_text("backend: stanza\n", encoding="utf-8")
    lem.clear_cache()
    with pytest.raises(ConfigError, match=r"lemmatiser.yaml, key 'backend': unknown lemmatiser backend 'stanza'"):
        lem.default_backend()
    (text_config / "lemmatiser.yaml").write_text("# nothing\n", encoding="utf-8")
    lem.clear_cache()
    with pytest.raises(ConfigError, match="needs a 'backend:' setting"):
        lem.default_backend()


def test_env_override_is_explicit_and_recorded(text_config, monkeypatch):
    monkeypatch.setenv("JAKALA_LEMMATISER", "snowball")
    assert lem.default_backend() == "snowball"
    assert lem.backend_info()["set_in"] == "environment variable JAKALA_LEMMATISER"
    monkeypatch.setenv("JAKALA_LEMMATISER", "stanza")
    with pytest.raises(ConfigError, match="environment variable JAKALA_LEMMATISER"):
        lem.default_backend()


@pytest.mark.parametrize("backend", ["simplemma", "snowball",
                                     pytest.param("pyvoikko", marks=pytest.mark.skipif(
                                         "pyvoikko" not in lem.available_backends(), reason="pyvoikko not installed"))])
def test_backend_info_names_versions(backend):
    info = lem.backend_info(backend)
    assert info["name"] == backend and info["version"]
    assert "analyser" in info
    if backend != "snowball":
        assert info["simplemma"] == lem._version("simplemma") and len(info["prior"]) == 16
    if backend == "pyvoikko":
        assert "pyvoikko" in info["analyser"] and info["dictionary"].startswith("voikko.kfst sha256:")


def test_setting_edit_is_seen_after_clear_cache(text_config):
    assert lem.default_backend() == "pyvoikko" or "pyvoikko" not in lem.available_backends()
    (text_config / "lemmatiser.yaml").write_text("backend: snowball\n", encoding="utf-8")
    lem.clear_cache()
    assert lem.lemmatise("nuorten") == "nuort"

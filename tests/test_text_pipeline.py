"""Segments (turn / sentence / diary entry), document text, the tokens table and its cache."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.text.pipeline import (SEGMENT_COLUMNS, cached_tokens_table, document_text, segments_from_diaries,
                                    segments_from_turns, tokens_table)


@pytest.fixture
def turns():
    return pd.DataFrame({
        "workshop_id": ["W02", "W01", "W01", "W01"],
        "turn": [1, 2, 1, 3],
        "speaker": ["Fasilitaattori 1", "Nuori 3", "Fasilitaattori 1", "ST 1"],
        "speaker_role": ["facilitator", "young_person", "facilitator", "social_worker"],
        "start_time": [np.nan] * 4,
        "text": ["Tervetuloa.", "[00:01:02] Mä oon asunu tukiasunnossa. Se oli niinku ihan ok [naurua].",
                 "Mitä mietitte jälkihuollosta?", "Et sä oo yksin -- me autetaan."],
        "source_line": [1, 3, 1, 5],
    })


@pytest.fixture
def workshops():
    return pd.DataFrame({"workshop_id": ["W01", "W02"], "date": ["2024-05-14", "2024-09-10"],
                         "work_package": ["TP1", "TP2C"]})


def test_document_text_and_turn_offsets(turns, workshops):
    seg = segments_from_turns(turns, unit="turn", workshops=workshops)
    assert list(seg.columns) == SEGMENT_COLUMNS
    assert list(seg.segment_id) == ["W01-t0001", "W01-t0002", "W01-t0003", "W02-t0001"]
    assert seg.loc[0, "work_package"] == "TP1" and seg.loc[3, "date"] == pd.Timestamp("2024-09-10")
    for doc_id, group in seg.groupby("doc_id"):
        doc = document_text(turns, doc_id)
        for row in group.itertuples():
            assert doc[row.start:row.end] == row.text
            assert doc[row.start - len(row.speaker) - 2:row.start] == f"{row.speaker}: "
    assert document_text(turns, "W01").startswith("Fasilitaattori 1: Mitä mietitte jälkihuollosta?\nNuori 3: ")


def test_sentence_segments(turns):
    seg = segments_from_turns(turns, unit="sentence")
    young = seg[seg.speaker_role == "young_person"]
    assert list(young.segment_id) == ["W01-t0002-s01", "W01-t0002-s02"]
    assert list(young.text) == ["[00:01:02] Mä oon asunu tukiasunnossa.", "Se oli niinku ihan ok [naurua]."]
    doc = document_text(turns, "W01")
    assert all(doc[s:e] == t for s, e, t in zip(young.start, young.end, young.text))
    assert set(seg.unit) == {"sentence"} and set(seg.doc_type) == {"workshop"}


def test_diary_segments():
    diaries = pd.DataFrame({"entry_id": ["D0002", "D0001"], "date": ["2025-02-01", "2024-11-05"],
                            "writer": ["SO 1", "ST 2"], "writer_role": ["social_counsellor", "social_worker"],
                            "work_package": ["TP2C", "TP2A"],
                            "text": ["Asuntoa ei löytynyt. Nuori on huolissaan vuokrasta.", "Vertaisryhmä kokoontui."]})
    seg = segments_from_diaries(diaries)
    assert list(seg.segment_id) == ["D0001", "D0002"]  # date order
    assert (seg.start == 0).all() and list(seg.end) == [len(t) for t in seg.text]
    assert list(seg.speaker) == ["ST 2", "SO 1"] and set(seg.doc_type) == {"diary"}
    sent = segments_from_diaries(diaries, unit="sentence")
    assert list(sent.segment_id) == ["D0001-s01", "D0002-s01", "D0002-s02"]
    assert sent.loc[2, "text"] == "Nuori on huolissaan vuokrasta." and sent.loc[2, "start"] == 21


def test_bad_inputs(turns):
    with pytest.raises(DataError, match="lacks column"):
        segments_from_turns(turns.drop(columns="speaker"))
    dup = pd.concat([turns, turns.iloc[[1]]])
    with pytest.raises(DataError, match="turn number 2 twice"):
        segments_from_turns(dup)
    with pytest.raises(ValueError):
        segments_from_turns(turns, unit="paragraph")
    with pytest.raises(DataError, match="appears twice"):
        tokens_table(pd.DataFrame({"segment_id": ["a", "a"], "text": ["x", "y"]}))


def test_tokens_table(turns):
    seg = segments_from_turns(turns, unit="turn")
    tok = tokens_table(seg, backend="simplemma", stem=True)
    assert list(tok.columns) == ["segment_id", "position", "token", "normalised", "lemma", "is_stopword", "start",
                                 "end", "stem"]
    young = tok[tok.segment_id == "W01-t0002"]
    assert young.token.tolist() == ["Mä", "oon", "asunu", "tukiasunnossa", "Se", "oli", "niinku", "niinku", "ihan", "ok"]
    assert young.normalised.tolist()[:4] == ["minä", "olen", "asunut", "tukiasunnossa"]
    assert young.normalised.tolist()[6:8] == ["niin", "kuin"]
    assert young.lemma.tolist()[:4] == ["minä", "olla", "asua", "tukiasunto"]
    assert young.position.tolist() == list(range(1, 11))
    assert not young.set_index("token").loc["tukiasunnossa", "is_stopword"]
    assert young.set_index("normalised").loc["minä", "is_stopword"]
    text = seg.set_index("segment_id").loc["W01-t0002", "text"]
    assert all(text[s:e] == t for s, e, t in zip(young.start, young.end, young.token))
    sw = tok[tok.segment_id == "W01-t0003"]
    assert sw.normalised.tolist()[:3] == ["että", "sinä", "oo"]
    assert "naurua" not in set(tok.token)


def test_tokens_table_empty_and_missing_text():
    empty = tokens_table(pd.DataFrame({"segment_id": ["a", "b"], "text": ["[naurua]", None]}))
    assert empty.empty and "lemma" in empty.columns and empty["position"].dtype == "int64"


def test_cached_tokens_table(tmp_path, turns):
    seg = segments_from_turns(turns)
    path = tmp_path / "processed" / "tokens.parquet"
    first = cached_tokens_table(seg, path, backend="simplemma")
    stamp = path.stat().st_mtime_ns
    again = cached_tokens_table(seg, path, backend="simplemma")
    assert path.stat().st_mtime_ns == stamp
    pd.testing.assert_frame_equal(first.reset_index(drop=True), again.reset_index(drop=True), check_dtype=False)
    changed = seg.assign(text=seg.text.str.replace("tukiasunnossa", "asunnossa"))
    third = cached_tokens_table(changed, path, backend="simplemma")
    assert "asunto" in set(third.lemma) and "tukiasunto" not in set(third.lemma)

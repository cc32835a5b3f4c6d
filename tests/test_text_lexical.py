"""Frequencies by group, keyness (hand-computed G² and log ratio), collocations, KWIC."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.text.lexical import collocations, frequencies, keyness, keyness_from_counts, kwic
from analysis.text.pipeline import segments_from_turns, tokens_table


@pytest.fixture(scope="module")
def corpus():
    turns = pd.DataFrame({
        "workshop_id": ["W01"] * 4 + ["W02"] * 4,
        "turn": [1, 2, 3, 4] * 2,
        "speaker": ["Nuori 1", "ST 1", "Nuori 2", "SO 1"] * 2,
        "speaker_role": ["young_person", "social_worker", "young_person", "social_counsellor"] * 2,
        "text": [
            "Mä etin asuntoa Kemistä. Asunnon löytäminen oli vaikeeta, vuokra oli kallis.",
            "Palvelupolku ja yhteistyö kunnan kanssa toimii. Yhteistyö on tärkeää.",
            "Tukiasunnossa oli hyvä asua. Asunto oli pieni mut oma [naurua].",
            "Sosiaaliohjaajan työ on ohjausta. Yhteistyö sosiaalityöntekijän kanssa.",
            "Asuntoa oli vaikee löytää, vuokra on kallis ja rahaa ei oo.",
            "Palvelupolun pitäis olla selkeä. Yhteistyö kunnan kanssa.",
            "Mulla on nyt oma asunto ja vuokra maksettu.",
            "Palvelupolku ja yhteistyö, yhteistyö on meidän työtä.",
        ],
    })
    workshops = pd.DataFrame({"workshop_id": ["W01", "W02"], "date": ["2024-05-14", "2025-02-03"],
                              "work_package": ["TP2C", "TP3"]})
    seg = segments_from_turns(turns, workshops=workshops)
    return seg, tokens_table(seg, backend="simplemma")


def test_keyness_hand_computed():
    # a=10 of c=1000 vs b=2 of d=1000: E1=E2=6;
    # G2 = 2*(10 ln(10/6) + 2 ln(2/6)) = 5.822063..., log ratio = log2(5) = 2.321928...
    g2 = 2 * (10 * math.log(10 / 6) + 2 * math.log(2 / 6))
    out = keyness_from_counts(pd.Series({"asunto": 10, "ryhmä": 2, "harvinainen": 1}),
                              pd.Series({"asunto": 2, "ryhmä": 10, "uusi": 4}),
                              size_target=1000, size_reference=1000, min_freq=5)
    row = out.set_index("lemma").loc["asunto"]
    assert row.g2 == pytest.approx(g2, rel=1e-12) and row.g2 == pytest.approx(5.822063, abs=1e-6)
    assert row.log_ratio == pytest.approx(math.log2(5))
    assert row.p == pytest.approx(0.015827, abs=1e-5)  # chi2(1) upper tail of 5.822
    assert row.direction == "target"
    assert out.set_index("lemma").loc["ryhmä", "direction"] == "reference"
    assert set(out.lemma) == {"asunto", "ryhmä"}  # min_freq drops harvinainen (1) and uusi (4)


def test_keyness_unequal_corpora_and_zero_frequency():
    # a=20 of c=5000, b=0 of d=10000: E1 = 5000*20/15000, G2 = 2*20*ln(20/E1); log ratio with b -> 0.5
    out = keyness_from_counts(pd.Series({"x": 20}), pd.Series({"y": 30}), size_target=5000, size_reference=10000,
                              min_freq=1).set_index("lemma")
    e1 = 5000 * 20 / 15000
    assert out.loc["x", "g2"] == pytest.approx(2 * 20 * math.log(20 / e1))
    assert out.loc["x", "log_ratio"] == pytest.approx(math.log2((20 / 5000) / (0.5 / 10000)))
    with pytest.raises(DataError):
        keyness_from_counts(pd.Series({"x": 2}), pd.Series({"y": 3}), size_target=1, size_reference=10)


def test_keyness_on_tokens(corpus):
    seg, tok = corpus
    out = keyness(tok, "speaker_role", "young_person", segments=seg, min_freq=3)
    top = out.set_index("lemma")
    assert top.loc["asunto", "direction"] == "target" and top.loc["asunto", "freq_target"] == 5
    assert top.loc["yhteistyö", "direction"] == "reference"
    assert out.g2.is_monotonic_decreasing
    with pytest.raises(DataError, match="no tokens"):
        keyness(tok, "speaker_role", "researcher", segments=seg)
    with pytest.raises(DataError, match="both keyness groups"):
        keyness(tok, "speaker_role", "young_person", "young_person", segments=seg)


def test_frequencies_by_group(corpus):
    seg, tok = corpus
    freq = frequencies(tok, "speaker_role", segments=seg)
    young = freq[freq.speaker_role == "young_person"].set_index("lemma")
    assert young.loc["asunto", "count"] == 5 and young.loc["asunto", "rank"] == 1
    assert young.loc["vuokra", "count"] == 3
    assert "olla" not in young.index  # stopword
    assert young["count"].sum() == young["total"].iloc[0]
    by_period = frequencies(tok, ["work_package", "period"], segments=seg, top=3)
    assert set(by_period.period) == {"2024Q2", "2025Q1"} and by_period.groupby("period").size().max() <= 3
    by_ws = frequencies(tok, "workshop", segments=seg)
    assert set(by_ws.doc_id) == {"W01", "W02"}
    overall = frequencies(tok)
    assert overall.iloc[0].lemma in {"asunto", "yhteistyö"} and overall["rank"].iloc[0] == 1
    with pytest.raises(DataError, match="lack group column"):
        frequencies(tok, "speaker_role")


def test_collocations(corpus):
    _, tok = corpus
    ll = collocations(tok, measure="likelihood", min_freq=2)
    pairs = set(zip(ll.w1, ll.w2))
    assert ("yhteistyö", "kunta") in pairs
    # "Palvelupolku ja yhteistyö": pairs with the stopword "ja" are filtered, nothing is bridged
    assert ("palvelupolku", "yhteistyö") not in pairs and ("palvelupolku", "ja") not in pairs
    assert ("kunta", "kanssa") not in pairs  # kanssa is a stopword
    wide = collocations(tok, measure="likelihood", min_freq=2, window_size=3)
    assert ("palvelupolku", "yhteistyö") in set(zip(wide.w1, wide.w2))
    assert (ll.freq >= 2).all() and ll.score.is_monotonic_decreasing
    pmi = collocations(tok, measure="pmi", min_freq=2, top=3)
    assert len(pmi) <= 3 and set(pmi.measure) == {"pmi"}
    with pytest.raises(ValueError):
        collocations(tok, measure="dice")


def test_collocations_do_not_cross_segments():
    tok = pd.DataFrame({"segment_id": ["a", "a", "b", "b"], "position": [1, 2, 1, 2],
                        "lemma": ["x", "y", "z", "w"], "is_stopword": [False] * 4})
    pairs = set(zip(*collocations(tok, min_freq=1, top=None)[["w1", "w2"]].values.T))
    assert ("y", "z") not in pairs and ("x", "y") in pairs
    wide = collocations(tok, min_freq=1, top=None, window_size=3)
    assert ("y", "z") not in set(zip(wide.w1, wide.w2))


def test_kwic(corpus):
    seg, tok = corpus
    conc = kwic(tok, "asunto", width=2, segments=seg)
    assert len(conc) == 5
    first = conc.iloc[0]
    assert first.segment_id == "W01-t0001" and first.keyword == "asuntoa"
    assert first.left == "Mä etin" and first.right == "Kemistä. Asunnon"
    assert conc.iloc[1].keyword == "Asunnon" and conc.iloc[1].left == "asuntoa Kemistä."
    assert {"speaker", "speaker_role", "doc_id"} <= set(conc.columns)
    marks = conc[conc.segment_id == "W01-t0003"]
    assert "[naurua]" not in " ".join(marks.right)
    plain = kwic(tok, ["asunto"], width=1)
    assert plain.iloc[0].left == "etin" and plain.iloc[0].right == "Kemistä"
    assert kwic(tok, "ei-ole").empty


def test_kwic_limit_gives_the_first_lines_of_the_whole_concordance():
    tok = pd.DataFrame({"segment_id": ["a"] * 4 + ["b"] * 3 + ["c"] * 2, "position": [1, 2, 3, 4, 1, 2, 3, 1, 2],
                        "token": ["asunto", "ja", "asuntoa", "x", "Asunnon", "y", "z", "w", "asunnot"],
                        "lemma": ["asunto", "ja", "asunto", "x", "asunto", "y", "z", "w", "asunto"]})
    whole = kwic(tok, "asunto", width=1)
    assert len(whole) == 4
    for n in range(1, 6):
        assert kwic(tok, "asunto", width=1, limit=n).equals(whole.head(n).reset_index(drop=True)), n
    none = kwic(tok, "asunto", width=1, limit=0)
    assert none.empty and list(none.columns) == list(whole.columns)
    with pytest.raises(ValueError, match="limit"):
        kwic(tok, "asunto", limit=-1)

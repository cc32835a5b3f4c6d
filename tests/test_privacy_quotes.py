"""Quotations keep visible redaction marks; mostly-redacted segments are not quoted."""

from __future__ import annotations

import pandas as pd

from analysis.coding.matrices import quotations
from analysis.privacy import Redactor


def test_phone_redaction_keeps_the_opening_parenthesis():
    text = Redactor({}).redact("Kela-hakemus nuorelle (040 123 4567), osoite.").text
    assert text == "Kela-hakemus nuorelle ([puhelinnumero]), osoite."
    assert Redactor({}).redact("Soita (016) 123 456.").text == "Soita [puhelinnumero]."


def _segments(texts):
    return pd.DataFrame({"segment_id": [f"s{i}" for i in range(len(texts))], "text": texts,
                         "speaker": "Nuori 1", "speaker_role": "young_person", "doc_id": "W01",
                         "doc_type": "workshop", "date": pd.Timestamp("2025-03-12")})


def test_quotations_keep_redaction_marks_and_drop_transcription_marks():
    seg = _segments(["[00:01:02] Kela-hakemus nuorelle ([puhelinnumero]), osoite [osoite] (.) -- "
                     "soitin [nimi] ja [Nuori 2] kanssa [naurua] asunnosta."])
    quotes = quotations(pd.DataFrame({"segment_id": ["s0"], "code": ["housing"]}), seg, per_code=1)
    text = quotes.iloc[0]["text"]
    assert text == ("Kela-hakemus nuorelle ([puhelinnumero]), osoite [osoite] soitin [nimi] ja [Nuori 2] "
                    "kanssa asunnosta.")
    assert "[naurua]" not in text and "00:01:02" not in text and "()" not in text


def test_a_mostly_redacted_segment_is_not_quoted():
    seg = _segments(["[nimi] [nimi] [puhelinnumero] [osoite] ja [sähköposti] kävi eilen.",
                     "Asunnon saaminen oli vaikeaa, mutta ohjaaja auttoi hakemuksessa."])
    codings = pd.DataFrame({"segment_id": ["s0", "s1"], "code": ["housing", "housing"], "n_hits": [5, 1]})
    quotes = quotations(codings, seg, per_code=2, min_chars=20)
    assert quotes["segment_id"].tolist() == ["s1"]

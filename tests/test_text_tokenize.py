"""Tokenizer, mark stripping and Punkt sentence splitting for Finnish transcripts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.text.tokenize import blank_marks, sentence_spans, sentences, strip_marks, token_spans, tokenize


@pytest.mark.parametrize("text, expected", [
    ("EU:n rahoitus", ["EU:n", "rahoitus"]),
    ("18-vuotiaat nuoret", ["18-vuotiaat", "nuoret"]),
    ("sosiaali- ja terveyspalvelut", ["sosiaali-", "ja", "terveyspalvelut"]),
    ("sosiaali-, terveys- ja opetustoimi", ["sosiaali-", "terveys-", "ja", "opetustoimi"]),
    ("Tavattiin 5.3.2024 klo 12.30 Kemissä.", ["Tavattiin", "5.3.2024", "klo", "12.30", "Kemissä"]),
    ("Jäkälä-hanke ja TP2C", ["Jäkälä-hanke", "ja", "TP2C"]),
    ("Åbo, Öljy ja äiti", ["Åbo", "Öljy", "ja", "äiti"]),
    ("n. 1,5 vuotta, 2024:n lopussa", ["n", "1,5", "vuotta", "2024:n", "lopussa"]),
    ("no -- en mä tiiä", ["no", "en", "mä", "tiiä"]),
    ("sosiaali-ja", ["sosiaali-ja"]),
])
def test_tokenize_cases(text, expected):
    assert tokenize(text) == expected


def test_marks_are_not_tokens_but_kept_when_asked():
    text = "[00:12:31] Mä [naurua] oon (.) [nimi poistettu] (12:31) [Nuori 2] ((epäselvä)) 00:12:40 joo"
    assert tokenize(text) == ["Mä", "oon", "joo"]
    assert "naurua" in tokenize(text, marks=True)


@pytest.mark.parametrize("text, expected", [
    ("[00:12:31] No mä (.) en tiiä [naurua].", "No mä en tiiä."),
    ("Se (..) oli -- [epäselvä] hyvä", "Se oli hyvä"),
    ("[nimi] sano et (12:31) joo (2.5) no", "sano et joo no"),
    ("00:12:31 alkaa ja (naurua) loppuu (...)", "alkaa ja loppuu"),
    ("Klo 12:30 alkoi.", "Klo 12:30 alkoi."),  # a clock time is not a time stamp
    ("Rivi [naurua]\n[Nuori 2] toinen", "Rivi\ntoinen"),
    ("Normaali (suluissa) teksti", "Normaali (suluissa) teksti"),
])
def test_strip_marks(text, expected):
    assert strip_marks(text) == expected


def test_strip_marks_rejects_non_text():
    with pytest.raises(TypeError):
        strip_marks(None)  # type: ignore[arg-type]


def test_token_spans_index_the_original_text():
    text = "[00:01:02] Mä oon 18-vuotias [naurua] EU:n nuori."
    spans = token_spans(text)
    assert [text[s:e] for s, e in spans] == ["Mä", "oon", "18-vuotias", "EU:n", "nuori"]


@given(st.text(alphabet="abcäöå [](.):-0123456789\n", max_size=80))
@settings(max_examples=150, deadline=None)
def test_blank_marks_keeps_length_and_tokens_align(text):
    blank = blank_marks(text)
    assert len(blank) == len(text)
    for s, e in token_spans(text):
        assert text[s:e] == blank[s:e]
        assert text[s:e].strip() == text[s:e]


def test_sentence_split_with_finnish_abbreviations():
    text = ("Esim. klo 12.30 alkoi ryhmä, mm. Kemistä ja Torniosta tuli n. 20 nuorta. "
            "Ks. liite, vrt. viime vuosi jne. Sit mentiin kotiin!\nToinen rivi ilman pistettä")
    got = sentences(text)
    assert got == [
        "Esim. klo 12.30 alkoi ryhmä, mm. Kemistä ja Torniosta tuli n. 20 nuorta.",
        "Ks. liite, vrt. viime vuosi jne.",
        "Sit mentiin kotiin!",
        "Toinen rivi ilman pistettä",
    ]


def test_sentence_spans_are_offsets_and_marks_do_not_split():
    text = "[00:12:31] Mä en (.) tiiä (..) ihan oikeesti. Se oli 5.3.2024 kivaa [naurua]. Joo."
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == [
        "[00:12:31] Mä en (.) tiiä (..) ihan oikeesti.",
        "Se oli 5.3.2024 kivaa [naurua].",
        "Joo.",
    ]
    assert all(0 <= s < e <= len(text) for s, e in spans)


def test_sentence_spans_empty_text():
    assert sentence_spans("") == []
    assert sentence_spans("  \n ") == []

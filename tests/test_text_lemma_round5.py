"""Round-5 lemmatiser rules (issue 16): a participle's verb from the end of its derivation
chain, compounds with their first parts as written, class-level reading preferences,
plural-only nouns and adverbs with a possessive suffix. Forms are from the UD tuning halves
or made up, never from the held-out halves."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.text import evaluate as ev
from analysis.text import lemmatise as lem

UD = Path(__file__).resolve().parents[1].parent / "shared" / "ud-finnish"
needs_ud = pytest.mark.skipif(not (UD / "fi_tdt-ud-dev.conllu").is_file(), reason=f"UD Finnish dev sets not in {UD}")
needs_pyvoikko = pytest.mark.skipif("pyvoikko" not in lem.available_backends(), reason="pyvoikko not installed")


def _reload():
    lem._prior.cache_clear()
    lem.clear_cache()


def test_participle_verb_is_the_last_verb_of_the_chain():
    """Made-up FSTOUTPUT strings of the shape Voikko gives: derivations after the root."""
    chain = "[Lt][Xp]valmistaa[X]valmistel[Xj]la[X]e[Ln]m[Xj]a[X][Rm]a[Sine][Ny]ssa"
    assert lem._participle_verb(chain) == "valmistella"
    assert lem._participle_verb("[Lt][Xp]tehdä[X]teh[Ll][Ru]n[Xj]yt[X][Sn][Ny]nyt") == "tehdä"
    assert lem._participle_verb("[Ln][Xp]talo[X]talo[Sn][Ny]") is None


@needs_pyvoikko
@pytest.mark.parametrize("form, verb", [
    ("kiristynyt", "kiristyä"),             # tuning-data forms
    ("osoittautunut", "osoittautua"),
    ("haastatelluista", "haastatella"),
    ("allekirjoittamansa", "allekirjoittaa"),  # no '=' left from the compound mark
    ("tehnyt", "tehdä"),
])
def test_participle_candidates_name_the_derived_verb(form, verb):
    assert lem.candidate_lemmas(form)[0] == verb
    assert all("=" not in c for c in lem.candidate_lemmas(form))


def test_compound_base_keeps_first_parts_as_written():
    fst = "[Lep][Xp]Turkki[X]turkki[Ll][Dg]lai[Xj]nen[X]s[Bh][Bc][Ln][Xp]tyttö[X]tyttö[Sn][Ny]"
    assert lem._compound_base("turkkilainentyttö", fst) == "turkkilaistyttö"
    kept = "[Ln][Xp]lapsi[X]la[Sg][Nm]sten[Bh][Bc][Ln][Xp]klinikka[X]klinik[Sg][Ny]an"
    assert lem._compound_base("lastenklinikka", kept) == "lastenklinikka"  # Voikko kept it already
    assert lem._compound_base("talo", "[Ln][Xp]talo[X]talo[Sn][Ny]") == "talo"  # not a compound


@needs_pyvoikko
def test_compound_candidates_from_the_tuning_data():
    assert lem.candidate_lemmas("todennäköistä") == ["todennäköinen"]
    assert lem.candidate_lemmas("varsinaissuomalaisia")[0] == "varsinaissuomalainen"
    assert lem.candidate_lemmas("ison-britannian") == ["iso-britannia"]  # both parts inflect: Voikko's


@needs_pyvoikko
def test_reading_preference_overrules_the_ranking_for_unseen_lemma_pairs(lemma_tables):
    """tajusi (tuning data): a verb's past tense or a noun with the 2nd-person possessive.
    Without a prior the fixed ranking says the noun; a reading table in which the verb
    reading beat the noun reading often enough makes it the verb; too few wins, too small a
    ratio, or a lemma-pair count for the two lemmas do not."""
    ranked = lem.candidate_readings("tajusi")
    assert [lemma for lemma, _ in ranked] == ["taju", "tajuta"]
    noun, verb = ranked[0][1], ranked[1][1]
    assert verb.startswith("teonsana.") and noun.startswith("nimisana.") and "2s" in noun
    assert lem.lemmatise("tajusi", backend="pyvoikko") == "taju"

    def readings(win, lose):
        lemma_tables["READINGS_FILE"].write_text(f"winner\tloser\tcount\n{verb}\t{noun}\t{win}\n{noun}\t{verb}\t{lose}\n",
                                           encoding="utf-8")
        _reload()
        return lem.lemmatise("tajusi", backend="pyvoikko")

    assert readings(5, 2) == "tajuta"
    assert readings(6, 3) == "taju"  # not more than twice as many wins
    assert readings(2, 0) == "taju"  # fewer than READING_MIN wins
    lemma_tables["PAIRS_FILE"].write_text("winner\tloser\tcount\ntaju\ttajuta\t1\n", encoding="utf-8")
    assert readings(9, 0) == "taju"  # the lemma pair decides


@needs_pyvoikko
def test_reading_rows_count_the_rankings_pick_against_the_gold(lemma_tables):
    """Made-up gold: a word whose ranking pick was wrong counts gold-reading over pick-reading;
    one whose pick was right counts the pick over the others; repeats count once."""
    (_, noun), (_, verb) = lem.candidate_readings("tajusi")  # the ranking picks the noun here
    words = [ev.Word("a1", "tajusi", "tajuta", "VERB", "_"), ev.Word("a2", "tajusi", "tajuta", "VERB", "_"),
             ev.Word("a3", "Tajusi", "taju", "NOUN", "_")]
    rows = {(a, b): n for a, b, n in ev.reading_rows_of(words)}
    assert rows == {(verb, noun): 1, (noun, verb): 1}


@needs_pyvoikko
def test_plural_only_nouns_from_the_prior(lemma_tables):
    """markkinat is a gold lemma of the (made-up) prior, commoner than markkina: plural forms
    of markkina, also as a compound's last part, get it; singular forms and numerals do not."""
    lemma_tables["PRIOR_FILE"].write_text("form\tlemma\tcount\nmarkkinat\tmarkkinat\t3\ntuhat\ttuhat\t2\n", encoding="utf-8")
    _reload()
    assert lem._plural_lemmas("pyvoikko") == {"markkina": "markkinat"}
    assert lem.lemmatise("markkinoilla", backend="pyvoikko") == "markkinat"
    assert lem.lemmatise("sisämarkkinoiden", backend="pyvoikko") == "sisämarkkinat"
    assert lem.lemmatise("markkinan", backend="pyvoikko") == "markkina"  # singular reading
    lemma_tables["PRIOR_FILE"].write_text("form\tlemma\tcount\n", encoding="utf-8")
    _reload()
    assert lem.lemmatise("markkinoilla", backend="pyvoikko") == "markkina"


@needs_pyvoikko
def test_adverb_with_possessive_suffix(lemma_tables):
    lemma_tables["PRIOR_FILE"].write_text("form\tlemma\tcount\nmukana\tmukana\t4\nmielellään\tmielellään\t2\n"
                                    "vika\tvika\t1\nvikaan\tvikaan\t1\nvasta\tvasta\t3\n", encoding="utf-8")
    _reload()
    assert lem.lemmatise("mukanaan", backend="pyvoikko") == "mukana"
    assert lem.lemmatise("mielellämme", backend="pyvoikko") == "mielellään"
    assert lem.lemmatise("vikansa", backend="pyvoikko") == "vika"  # vika + -nsa: no case before it
    assert lem._possessive_adverb("vastasi", "pyvoikko") is None  # -si: the past tense (vastata)
    assert lem._possessive_adverb("talomme", "pyvoikko") is None  # no case before the suffix


@needs_ud
@needs_pyvoikko
def test_reading_table_comes_from_the_tune_halves_only():
    """The committed reading table equals a rebuild from the tune halves with pyvoikko."""
    committed = lem.READINGS_FILE.read_text(encoding="utf-8")
    body = [line for line in committed.splitlines() if line and not line.startswith("#")][1:]
    assert body == ["\t".join(map(str, row)) for row in ev.reading_rows(sorted(UD.glob("*-dev.conllu")))]
    assert "CC BY-SA 4.0" in committed and "TUNING halves only" in committed

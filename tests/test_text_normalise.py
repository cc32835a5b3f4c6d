"""Spoken-form normalisation table and stopword lists."""

from __future__ import annotations

import pytest

from analysis.errors import ConfigError
from analysis.text.normalise import spoken_candidates
from analysis.text.normalise import load_spoken_forms, normalise_token, normalise_tokens, normalise_word
from analysis.text.stopwords import fillers, is_stopword, load_word_list, stopword_set


def test_table_has_required_entries():
    table = load_spoken_forms()
    assert len(table) >= 60
    expected = {"mä": ("minä",), "sä": ("sinä",), "se": ("se",), "me": ("me",), "mun": ("minun",),
                "mulle": ("minulle",), "oon": ("olen",), "oot": ("olet",), "ollaan": ("olemme",),
                "et": ("että",), "niinku": ("niin", "kuin"), "tota": ("tuota",), "sit": ("sitten",),
                "nii": ("niin",), "kans": ("kanssa",), "vähä": ("vähän",), "semmonen": ("sellainen",),
                "tommonen": ("tuollainen",), "kattoo": ("katsoa",), "tehään": ("tehdään",)}
    for spoken, standard in expected.items():
        assert table.forms[spoken] == standard, spoken


def test_multiword_and_context_rule():
    # väsyny is not in the table: the -nu/-ny participle rule gives väsynyt (issue 16)
    assert normalise_tokens(["Mä", "oon", "niinku", "väsyny"]) == ["minä", "olen", "niin", "kuin", "väsynyt"]
    # "et" = että, except after sä/sinä where it is the negation verb
    assert normalise_tokens(["sanoin", "et", "sä", "et", "tuu"]) == ["sanoin", "että", "sinä", "et", "tule"]
    assert normalise_token("ET", previous="Sinä") == ("et",)
    assert normalise_token("Tukiasunto") == ("tukiasunto",)


def test_bad_table_names_file_and_line(tmp_path):
    path = tmp_path / "forms.tsv"
    path.write_text("spoken\tstandard\texcept_after\nmä\tminä\nsä sinä\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_spoken_forms(path)
    assert f"{path}, line 3" in str(err.value)
    path.write_text("spoken\tstandard\nmä\tminä\nmä\tmie\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="line 3: spoken form 'mä' appears twice"):
        load_spoken_forms(path)
    path.write_text("spoken standard\nmä\tminä\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="line 1: header"):
        load_spoken_forms(path)


def test_table_reloads_after_edit(tmp_path):
    path = tmp_path / "forms.tsv"
    path.write_text("spoken\tstandard\nmä\tminä\n", encoding="utf-8")
    assert len(load_spoken_forms(path)) == 1
    path.write_text("spoken\tstandard\nmä\tminä\nsä\tsinä\n", encoding="utf-8")
    assert load_spoken_forms(path).forms["sä"] == ("sinä",)


def test_stopwords_are_function_words_not_content_words():
    sw = stopword_set()
    for word in ("olla", "ja", "että", "minä", "se", "kun", "niin", "joo", "öö"):
        assert word in sw, word
    for word in ("aika", "asia", "vuosi", "yksin", "yhdessä", "nuori", "työ", "asunto", "raha", "tuki"):
        assert word not in sw, word
    assert len(load_word_list("stopwords_fi.txt")) < 150
    assert {"joo", "niinku", "tota", "sit", "nii", "hmm", "no"} <= fillers()
    assert is_stopword("Että") and not is_stopword("kunta")
    assert "jäkälä" in stopword_set() and "jäkälä" not in stopword_set(project=False)
    assert "extra" in stopword_set(extra=["Extra"])


@pytest.mark.parametrize("spoken, standard", [
    ("yhen", "yhden"), ("kahen", "kahden"), ("vuojen", "vuoden"),    # d-loss
    ("tullu", "tullut"), ("menny", "mennyt"),                        # -nu/-ny participles
    ("kattoo", "katsoo"), ("semmosii", "sellaisia"), ("vaikee", "vaikea"),  # assimilation
    ("onks", "onko"), ("pärjääks", "pärjääkö"),                      # clitics
    ("mentii", "mentiin"), ("tehtii", "tehtiin"),                    # passive -ii
    ("pitäis", "pitäisi"), ("sais", "saisi"), ("tehtäis", "tehtäisiin"),  # conditional -is
    ("meil", "meillä"), ("siel", "siellä"), ("kaverilt", "kaverilta"),    # shortened cases
])
def test_spoken_rules_generalise(spoken, standard):
    """The rule finds the standard form, and the pipeline lemma equals the standard form's lemma.

    (A form already known to the lemmatiser, e.g. from the UD prior, may keep its spelling;
    its lemma must still be right.)"""
    from analysis.text.lemmatise import lemmatise

    assert standard in spoken_candidates(spoken)
    got = normalise_token(spoken)
    assert [lemmatise(w) for w in got] == [lemmatise(standard)]


def test_rules_never_change_standard_words():
    for word in ("talo", "tuli", "voi", "kaksi", "meillä", "siellä", "sellainen", "tulla", "mennyt", "ihmisiä"):
        assert normalise_token(word) == (word,)


def test_original_form_kept_in_tokens_table():
    import pandas as pd

    from analysis.text.pipeline import tokens_table

    table = tokens_table(pd.DataFrame({"segment_id": ["s1"], "text": ["Meil oli kiva, ku tultii kahella autolla"]}))
    row = table.set_index("token").loc["tultii"]
    assert row["normalised"] in ("tultiin", "tultii") and row["lemma"] == "tulla"
    row = table.set_index("token").loc["Meil"]
    assert row["normalised"] == "meillä" and (row["start"], row["end"]) == (0, 4)
    assert table.set_index("token").loc["kahella", "lemma"] == "kaksi"
    assert table.set_index("token").loc["Meil", "lemma"] == "me"


@pytest.mark.parametrize("spoken, standard", [
    ("nähä", "nähdä"),            # final-n loss only after a long vowel: not nähä + n
    ("mullakin", "minullakin"),   # clitic split off, the rest from the table
    ("mäkin", "minäkin"),         # ... before the weak final-vowel rule (mäkinä)
    ("lopuks", "lopuksi"),        # -ks is -ksi when the rest is no verb form
    ("ensiks", "ensiksi"),
])
def test_spoken_rule_order(spoken, standard):
    assert normalise_token(spoken) == (standard,)


def test_ks_is_a_question_after_a_verb_form():
    """tuliks = tuliko (tuli is a verb form), though tuliksi (translative of tuli, fire) exists."""
    from analysis.text import lemmatise as lem

    if "pyvoikko" not in lem.available_backends():
        pytest.skip("needs the pyvoikko analyser (POS of the rest)")
    table = load_spoken_forms()
    known = lambda w: lem.is_known(w, "pyvoikko")  # noqa: E731
    verb = lambda w: lem.is_verb_form(w, "pyvoikko")  # noqa: E731
    assert normalise_word("tuliks", table, known, verb) == ("tuliko",)
    assert normalise_word("jäiks", table, known, verb) == ("jäikö",)
    assert normalise_word("lopuks", table, known, verb) == ("lopuksi",)
    assert lem.is_verb_form("tuli", "pyvoikko") and not lem.is_verb_form("talo", "pyvoikko")


def test_unfamiliar_reading_gives_way_to_a_sound_change_rewrite():
    """A word Voikko knows only through a reading the UD tuning data never had is rewritten
    by a sound-change rule (d-loss, ts -> tt, stem vowel before -is) when the rewrite's lemma
    is familiar; familiar words, names and ending-rule rewrites are left alone."""
    from analysis.text.normalise import FAMILIAR_MIN, sound_change_candidates

    table = load_spoken_forms()
    known = {"voijaan", "voidaan", "kattomassa", "katsomassa", "yksin", "yksinä", "haluisin", "haluaisin"}.__contains__
    counts = {"voidaan": 50, "katsomassa": 20, "yksinä": 30, "haluaisin": 9}
    familiar = lambda w: counts.get(w, 0)  # noqa: E731
    assert normalise_word("voijaan", table, known, familiar=familiar) == ("voidaan",)
    assert normalise_word("kattomassa", table, known, familiar=familiar) == ("katsomassa",)
    assert normalise_word("haluisin", table, known, familiar=familiar) == ("haluaisin",)
    assert normalise_word("yksin", table, known, familiar=familiar) == ("yksin",)  # an ending rule: no
    assert normalise_word("voijaan", table, known) == ("voijaan",)  # without the counts: as before
    counts["voijaan"] = FAMILIAR_MIN
    assert normalise_word("voijaan", table, known, familiar=familiar) == ("voijaan",)
    assert "todistetaan" not in sound_change_candidates("toistetaan")  # no d inside a diphthong
    assert "lähdetään" in sound_change_candidates("lähetään")


def test_familiar_standard_words_and_names_are_kept():
    from analysis.text.lemmatise import LISTED, available_backends, lemma_count

    if "pyvoikko" not in available_backends():
        pytest.skip("pyvoikko not installed")
    assert lemma_count("talossa", backend="pyvoikko") > 0
    assert lemma_count("tehyn", backend="pyvoikko") == LISTED  # a proper-name reading
    for word in ("talo", "hallitus", "toistetaan", "häistä"):
        assert normalise_token(word) == (word,)

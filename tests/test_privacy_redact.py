"""Redaction of identifiers in Finnish free text."""

import pytest

from analysis.privacy.keys import PseudonymKey
from analysis.privacy.redact import (
    Redactor,
    find_addresses,
    find_emails,
    find_phones,
    name_stems,
    redact_text,
)

PHONES = ["040 123 4567", "0401234567", "+358 40 123 4567", "+358401234567", "050-1234567",
          "050 1234567", "016 123 456", "016-123456", "+358 (0)40 123 4567", "00358 16 123456",
          "040-123 4567"]


@pytest.mark.parametrize("phone", PHONES)
def test_phone_numbers_found_whole(phone):
    text = f"Soita numeroon {phone}, kiitos."
    assert find_phones(text) == [(15, 15 + len(phone))]
    assert redact_text(text).text == "Soita numeroon [puhelinnumero], kiitos."


@pytest.mark.parametrize("text", [
    "Vuonna 2024 ja 2025", "14.5.2024", "2024-05-14", "klo 12:30", "09:30–10.15",
    "1 200 euroa", "12 000 €", "R001", "versio 0.1.0", "[00:12:31]", "p = 0,0401",
    "0.0401234567", "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "Kuvio 3.2", "taulukko 4", "05 10 15 20", "postinumero 94100", "n = 118 (41 %)",
    "hetu 131052-308T",
])
def test_not_phones(text):
    assert find_phones(text) == []


def test_phone_followed_by_a_number_still_found():
    assert find_phones("soitin 040 123 4567 15 kertaa") == [(7, 19)]


@pytest.mark.parametrize("address", ["Valtakatu 5 B 12", "Keskikatu 14 as. 3", "Rovaniementie 12",
                                     "Pohjoisranta 3 A", "Koivukuja 7", "Ratapolku 2 C 5",
                                     "Meriväylä 11", "Valtakatu 5, 94100 Kemi", "Kauppatori 2"])
def test_addresses(address):
    text = f"Asuu osoitteessa {address}."
    assert find_addresses(text) == [(17, 17 + len(address))]
    assert redact_text(text).text == "Asuu osoitteessa [osoite]."


@pytest.mark.parametrize("text", ["Tie 4 on auki", "valtakatu 5", "Kemi 2024", "Katu on pitkä",
                                  "Sosiaalityö 3 kertaa",
                                  "Fasilitaattori 1 aloitti", "Koordinaattori 2"])
def test_not_addresses(text):
    assert find_addresses(text) == []


def test_inflected_street_address():
    assert redact_text("Asun Valtakadulla 5 B 12.").text == "Asun [osoite]."


@pytest.mark.parametrize("text, n", [
    ("aino.korhonen@lapha.fi", 1), ("Aino.Korhonen@ulapland.fi", 1), ("jere(at)gmail.com", 1),
    ("matti.meikalainen [at] lapinamk.fi", 1), ("git@github.com", 0), ("user@example.com", 1),
    ("pandas@2.1", 0), ("@property", 0), ("versio 1.2.3", 0),
])
def test_emails(text, n):
    assert len(find_emails(text)) == n


def test_every_hetu_century_is_redacted_invalid_left():
    text = "131052-308T 010594Y9032 020516C903K 020504B904H 131052-308U 131052/308T"
    result = redact_text(text)
    assert result.text == ("[henkilötunnus] [henkilötunnus] [henkilötunnus] [henkilötunnus] "
                           "131052-308U 131052/308T")
    assert result.counts() == {"hetu": 4}


KEY = {"Aino Korhonen": "Nuori 2", "Aino": "Nuori 2", "Korhonen": "Nuori 2",
       "Jere": "Nuori 1", "Virtanen": "SO 1", "Mäki": "ST 1", "Lahti": "nimi",
       "Tuomas": "KA 1", "Niklas": "Kumppani 1", "Pekka": "ST 2", "Laine": "nimi"}


@pytest.mark.parametrize("word, label", [
    ("Aino", "Nuori 2"), ("Ainolle", "Nuori 2"), ("Ainon", "Nuori 2"), ("Ainoa", "Nuori 2"),
    ("Ainolta", "Nuori 2"), ("Ainonkin", "Nuori 2"), ("Ainoonkin", "Nuori 2"),
    ("Jere", "Nuori 1"), ("Jeren", "Nuori 1"), ("Jerelle", "Nuori 1"), ("Jereä", "Nuori 1"),
    ("Korhosen", "Nuori 2"), ("Korhoselle", "Nuori 2"), ("Korhosta", "Nuori 2"),
    ("Korhoset", "Nuori 2"), ("Korhosille", "Nuori 2"), ("Korhonenkin", "Nuori 2"),
    ("Virtasen", "SO 1"), ("Mäen", "ST 1"), ("Mäkeä", "ST 1"), ("Lahden", "nimi"),
    ("Lahdessa", "nimi"), ("Tuomaksen", "KA 1"), ("Tuomasta", "KA 1"), ("Niklasille", "Kumppani 1"),
    ("Pekan", "ST 2"), ("Pekalle", "ST 2"), ("Laineen", "nimi"), ("Jere'n", "Nuori 1"),
    ("Aino Korhoselle", "Nuori 2"), ("Aino  Korhosen", "Nuori 2"),
])
def test_inflected_names(word, label):
    result = Redactor(KEY).redact(f"Sanoin {word} eilen.")
    assert result.text == f"Sanoin [{label}] eilen."
    assert result.counts() == {"name": 1}


@pytest.mark.parametrize("text", [
    "Ainoastaan yksi tuli.", "aino ja mäen rinne pienellä", "Mäkinen tuli", "Jeremias soitti",
    "Korhoslainen", "Lainehtii ranta", "Pekkanen on eri", "Ainonen", "Jereneksi", "Lahtinen ei ole avaimessa",
    "[nimi poistettu] sanoi", "KORHOSLAINEN isolla", "jeremias pienellä",
])
def test_names_not_overmatched(text):
    assert Redactor(KEY).redact(text).text == text


def test_full_name_is_one_replacement_and_marks_are_kept():
    redactor = Redactor(KEY)
    text = "[00:12:31] Aino Korhoselle [naurua] soitti [nimi poistettu] (.) -- Jeren kaveri."
    assert redactor.redact(text).text == (
        "[00:12:31] [Nuori 2] [naurua] soitti [nimi poistettu] (.) -- [Nuori 1] kaveri.")


def test_replacement_positions_point_at_labels_and_no_original_is_returned():
    text = "Aino (040 123 4567, aino.korhonen@lapha.fi, 131052-308T) asuu Valtakatu 5 B 12."
    result = Redactor(KEY).redact(text)
    assert [r.kind for r in result.replacements] == ["name", "phone", "email", "hetu", "address"]
    for kind, start, end in result.replacements:
        assert result.text[start] == "[" and result.text[end - 1] == "]"
    for secret in ("Aino", "123 4567", "korhonen", "308T", "Valtakatu"):
        assert secret not in result.text
        assert secret not in repr(result)


def test_redacting_twice_changes_nothing():
    redactor = Redactor(KEY)
    once = redactor.redact("Ainolle 0401234567 ja Mäen osoite Keskikatu 14 as. 3").text
    assert redactor.redact(once).text == once
    assert redactor.redact(once).replacements == []


def test_redactor_follows_key_changes(tmp_path):
    key = PseudonymKey.load(tmp_path)
    redactor = Redactor(key)
    assert redactor.redact("Ainolle").text == "Ainolle"
    aino = key.pseudonym("speaker", "Aino Korhonen", role="young_person")
    assert redactor.redact("Ainolle ja Korhoselle").text == f"[{aino}] ja [{aino}]"
    (tmp_path / "names.yaml").write_text("names: [Matti Meikäläinen]\n", encoding="utf-8")
    key2 = PseudonymKey.load(tmp_path)
    assert Redactor(key2).redact("Matille ja Meikäläiselle").text == "[nimi] ja [nimi]"


def test_missing_values_pass_through_and_wrong_types_fail():
    redactor = Redactor()
    assert redactor.redact(None).text is None
    nan = float("nan")
    assert redactor.redact(nan).text is nan
    with pytest.raises(TypeError):
        redactor.redact(42)


def test_double_brackets_option_and_kinds():
    redactor = Redactor(KEY, brackets=("[[", "]]"), kinds=["name"])
    assert redactor("Jerelle 0401234567") == "[[Nuori 1]] 0401234567"
    with pytest.raises(ValueError):
        Redactor(kinds=["face"])


def test_example_domains_are_skipped_only_on_request():
    text = "osoite joonas.korhonen@example.fi, kiitos"
    assert find_emails(text) == [(7, 33)]
    assert find_emails(text, allow_examples=True) == []


def test_name_stems_examples():
    assert name_stems("Korhonen")[:2] == ["Korhonen", "Korhose"]
    assert "Mäe" in name_stems("Mäki") and "Lahde" in name_stems("Lahti")
    assert "Mati" in name_stems("Matti") and "Peka" in name_stems("Pekka")
    assert "Tuomakse" in name_stems("Tuomas") and "Niklasi" in name_stems("Niklas")


def test_many_turns_fast():
    import time

    redactor = Redactor({f"Nimi{i}": f"Nuori {i}" for i in range(200)} | KEY)
    turns = ["Ainolle soitettiin eilen ja Korhosen kanssa puhuttiin asumisesta. " * 3] * 3000
    start = time.perf_counter()
    out = [redactor(t) for t in turns]
    assert time.perf_counter() - start < 10
    assert "Ainolle" not in out[-1]


def test_redact_text_method_returns_string():
    assert Redactor(KEY).redact_text("Jerelle 0401234567") == "[Nuori 1] [puhelinnumero]"


@pytest.mark.parametrize("text, expected", [
    ("AINO KORHONEN soitti", "[Nuori 2] soitti"),
    ("aino korhonen soitti", "[Nuori 2] soitti"),
    ("Soitin KORHOSELLE eilen", "Soitin [Nuori 2] eilen"),
    ("soitin korhoselle ja jerelle", "soitin [Nuori 2] ja [Nuori 1]"),
    ("JEREN kaveri", "[Nuori 1] kaveri"),
    ("AINO tuli", "[Nuori 2] tuli"),            # capitals: a name, not the word "only"
    ("aino tuli", "aino tuli"),                 # lower case: the common word
    ("haastattelu_Aino_Korhonen.docx", "haastattelu_[Nuori 2]_[Nuori 2].docx"),
    ("litterointi-jere-2024.txt", "litterointi-[Nuori 1]-2024.txt"),
    ("haastatteluAinoKorhonen.docx", "haastattelu[Nuori 2][Nuori 2].docx"),
    ("nauhoite.korhonen.m4a", "nauhoite.[Nuori 2].m4a"),
])
def test_names_in_any_case_and_inside_file_names(text, expected):
    assert Redactor(KEY).redact(text).text == expected


def test_the_name_pattern_as_a_prefix_tree_finds_exactly_what_the_plain_alternation_finds():
    """The stems are compiled as a prefix tree (fast with thousands of names); the matches must not change."""
    import random
    import re

    from analysis.privacy import redact as R

    rng = random.Random(7)
    first = ["Aino", "Anna", "Anni", "Anna-Maria", "Eero", "Eetu", "Jere", "Jerry", "Mäki", "Mäkinen", "Onni", "Satu",
             "Sanna", "Santeri", "Ville", "Vilja", "Pekka", "Pekko", "Kivi", "Kivelä", "Laine", "Lahti"]
    last = ["Korhonen", "Korpela", "Koskinen", "Mäkelä", "Virtanen", "Virta", "Niemi", "Nieminen", "Ranta"]
    key = {f"{f} {l}": f"Nuori {i}" for i, (f, l) in enumerate(zip(first, last * 3))}
    key.update({n: f"SO {i}" for i, n in enumerate(first + last)})
    new = R.Redactor(key)
    old = R.Redactor(key)
    parts = [r"\s+".join(re.escape(w) for w in s.split()) for s in sorted(old._stem_labels, key=lambda s: (-len(s), s))]
    old._names_re = re.compile(rf"{R._NAME_START}(?i:(?P<stem>{'|'.join(parts)}){R._NAME_TAIL}){R._NAME_END}")
    assert new._names_re.pattern != old._names_re.pattern
    tails = ["", "lle", "n", "sta", "ssa", "kin", "llekin", "'n", "hän", "nsa", "x", "-", "ä"]
    texts = []
    for _ in range(2000):
        name = rng.choice(list(key))
        form = rng.choice([name, name.lower(), name.upper(), name.replace(" ", "  "), name[:-1], name + name[-1]])
        texts.append(f"{rng.choice(['Sitten', 'ja', 'NYT', ''])} {form}{rng.choice(tails)} sanoi "
                     f"{rng.choice(first)}{rng.choice(tails)} että{rng.choice(['', 'Aino', ' aino', 'Mäen'])}.")
    found = [new.find(t) for t in texts]
    assert sum(bool(f) for f in found) > 1500
    assert found == [old.find(t) for t in texts]

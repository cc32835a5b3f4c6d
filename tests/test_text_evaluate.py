"""UD evaluation of the lemmatiser: scoring rules, deterministic splits, and a fast floor on
a sample of the UD Finnish dev sets (skipped when ``<repo>/../shared/ud-finnish`` is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.errors import DataError
from analysis.text import evaluate as ev
from analysis.text import lemmatise as lem

UD = Path(__file__).resolve().parents[1].parent / "shared" / "ud-finnish"
needs_ud = pytest.mark.skipif(not (UD / "fi_tdt-ud-dev.conllu").is_file(), reason=f"UD Finnish dev sets not in {UD}")
needs_pyvoikko = pytest.mark.skipif("pyvoikko" not in lem.available_backends(), reason="pyvoikko not installed")

CONLLU = """# sent_id = b001.1
# text = Meillä oli kansaneläke.
1-2\tMeillähän\t_\t_\t_\t_\t_\t_\t_\t_
1\tMeillä\tminä\tPRON\t_\tCase=Ade|Number=Plur|Person=1|PronType=Prs\t2\tobl\t_\t_
2\toli\tolla\tAUX\t_\t_\t0\troot\t_\t_
3\tkansaneläke\tkansan#eläke\tNOUN\t_\t_\t2\tnsubj\t_\t_
4\t.\t.\tPUNCT\t_\t_\t2\tpunct\t_\t_

# sent_id = b002.1
1\tNe\tse\tPRON\t_\tCase=Nom|Number=Plur|PronType=Dem\t0\troot\t_\t_
"""


def test_read_and_score_follow_the_documented_rules(tmp_path):
    path = tmp_path / "x.conllu"
    path.write_text(CONLLU, encoding="utf-8")
    words = ev.read_conllu(path)
    assert [w.form for w in words] == ["Meillä", "oli", "kansaneläke", ".", "Ne"]  # range line skipped
    assert [w.form for w in ev.scored(words)] == ["Meillä", "oli", "kansaneläke", "Ne"]  # PUNCT left out
    assert [ev.gold_lemma(w) for w in ev.scored(words)] == ["me", "olla", "kansaneläke", "ne"]  # deviations
    fixed = {"Meillä": "me", "oli": "olla", "kansaneläke": "kansan#eläke", "Ne": "se"}
    res = ev.score(words, lambda forms: {f: fixed[f] for f in forms}, name="t")
    assert (res.correct, res.n) == (3, 4)
    assert res.by_upos["PRON"] == [1, 2]
    assert res.errors.most_common(1)[0][0] == ("ne", "se", "ne")
    assert res.by_source == {"b": [3, 4]}
    assert "PRON" in ev.format_result(res)


def test_bad_conllu_line_names_file_and_line(tmp_path):
    path = tmp_path / "bad.conllu"
    path.write_text("# sent_id = a\n1\tsana\tsana\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"bad.conllu, line 2"):
        ev.read_conllu(path)


def test_split_is_deterministic_and_by_document():
    assert ev.split_of("b104.1") == ev.split_of("b104.9")
    ids = [f"w{i:03d}.1" for i in range(200)]
    halves = [ev.split_of(i) for i in ids]
    assert 60 < halves.count("heldout") < 140
    assert halves == [ev.split_of(i) for i in ids]


@needs_ud
def test_prior_comes_from_the_tune_halves_only():
    """The committed frequency prior equals a rebuild from the tune halves (never the held-out)."""
    _assert_committed_table(lem.PRIOR_FILE, ev.prior_rows(sorted(UD.glob("*-dev.conllu"))), "Turku Dependency Treebank")


def _assert_committed_table(path, rows, mention: str) -> None:
    """The committed TSV (comment lines, a header) holds exactly ``rows``, with the licence and ``mention``."""
    committed = path.read_text(encoding="utf-8")
    body = [line for line in committed.splitlines() if line and not line.startswith("#")][1:]
    assert body == ["\t".join(map(str, row)) for row in rows]
    assert "CC BY-SA 4.0" in committed and mention in committed


@needs_ud
@needs_pyvoikko
@pytest.mark.parametrize("name", ["fi_tdt-ud-dev.conllu", "fi_ftb-ud-dev.conllu"])
def test_heldout_sample_accuracy_floor(name, capsys):
    """First 2000 scored held-out words; the full figures come from the benchmark script."""
    words = [w for w in ev.scored(ev.read_conllu(UD / name)) if ev.split_of(w.sent_id) == "heldout"][:2000]
    res = ev.score(words, lambda forms: ev.workspace_lemmas(forms, "pyvoikko"), name=name)
    with capsys.disabled():
        print(f"\n[ud sample] {name} held-out first 2000: {res.accuracy:.2%}")
    assert res.accuracy >= 0.92, ev.format_result(res)


def _w(sid, form, lemma, upos="ADV"):
    return ev.Word(sid, form, lemma, upos, "_")


def test_context_rules_are_learned_and_applied():
    """A form seen with two lemmas gets the lemma its neighbour predicts; unambiguous forms,
    excluded forms and unseen contexts keep their lemma."""
    sents = []
    for k in range(3):
        sents.append([_w(f"a{k}", "tässä", "tämä", "PRON"), _w(f"a{k}", "talossa", "talo", "NOUN")])
        sents.append([_w(f"b{k}", "olen", "olla", "AUX"), _w(f"b{k}", "tässä", "tässä")])
        sents.append([_w(f"c{k}", "et", "ei", "AUX"), _w(f"c{k}", "tule", "tulla", "VERB")])
        sents.append([_w(f"d{k}", "sanoi", "sanoa", "VERB"), _w(f"d{k}", "et", "että", "SCONJ")])
    rules = ev.learn_context(sents, exclude={"et"})
    assert rules[("tässä", ("next", "talossa"))] == "tämä"
    assert rules[("tässä", ("prev", "olen"))] == "tässä"
    assert not any(form == "et" for form, _ in rules)
    assert ev.apply_context(["tässä", "talossa"], ["tässä", "talo"], rules) == ["tämä", "talo"]
    assert ev.apply_context(["olen", "tässä"], ["olla", "tämä"], rules) == ["olla", "tässä"]
    assert ev.apply_context(["sinä", "et"], ["sinä", "ei"], rules) == ["sinä", "ei"]
    assert [len(s) for s in ev.sentences_of([_w("x", "a", "a"), _w("x", ".", ".", "PUNCT"), _w("y", "b", "b")])] == [1, 1]


@needs_ud
@needs_pyvoikko
def test_pair_table_comes_from_the_tune_halves_only():
    """The committed lemma-pair table equals a rebuild from the tune halves with pyvoikko."""
    _assert_committed_table(lem.PAIRS_FILE, ev.pair_rows(sorted(UD.glob("*-dev.conllu"))), "TUNING halves only")


@needs_pyvoikko
def test_pair_rows_count_the_gold_candidate_against_the_others():
    words = [_w("a1", "merkittävä", "merkittävä", "ADJ"), _w("a2", "merkittävän", "merkittävä", "ADJ"),
             _w("a3", "talossa", "talo", "NOUN"),  # one candidate: no pair
             _w("a4", "merkittävä", "xyz", "ADJ")]  # gold not a candidate: no pair
    rows = {(a, b): n for a, b, n in ev.pair_rows_of(words)}
    assert rows[("merkittävä", "merkitä")] == 2
    assert not any("talo" in (a, b) or "xyz" in (a, b) for a, b in rows)


def test_cross_validation_folds_stay_inside_the_tune_half():
    ids = [f"w{i:03d}.1" for i in range(400)]
    tune = [i for i in ids if ev.split_of(i) == "tune"]
    folds = [ev.fold_of(i) for i in tune]
    assert 0.3 < sum(folds) / len(folds) < 0.7  # both folds used
    assert ev.fold_of("b104.1") == ev.fold_of("b104.9")  # by document, like the split


@needs_pyvoikko
def test_pair_preference_overrules_the_fixed_ranking(tmp_path, monkeypatch):
    """seuraavan: the ranking says the verb (UD participle rule); a table in which the
    adjective won the pair more often makes it seuraava, and an empty table does not."""
    lem.clear_cache()
    assert lem.candidate_lemmas("seuraavan")[:2] == ["seurata", "seuraava"]
    table = tmp_path / "pairs.tsv"
    table.write_text("winner\tloser\tcount\nseuraava\tseurata\t3\nseurata\tseuraava\t1\n", encoding="utf-8")
    monkeypatch.setattr(lem, "PAIRS_FILE", table)
    monkeypatch.setattr(lem, "PRIOR_FILE", tmp_path / "empty_prior.tsv")
    (tmp_path / "empty_prior.tsv").write_text("form\tlemma\tcount\n", encoding="utf-8")
    lem._prior.cache_clear()
    lem.clear_cache()
    try:
        assert lem.lemmatise("seuraavan", backend="pyvoikko") == "seuraava"
        table.write_text("winner\tloser\tcount\n", encoding="utf-8")
        lem.clear_cache()
        assert lem.lemmatise("seuraavan", backend="pyvoikko") == "seurata"
    finally:
        monkeypatch.undo()
        lem._prior.cache_clear()
        lem.clear_cache()

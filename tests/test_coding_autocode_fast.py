"""The set-based auto-coder gives exactly what the rule-by-rule definition gives.

:func:`analysis.coding.autocode.autocode` resolves the lemma patterns once over the
vocabulary and skips codes whose trigger lemmas a segment lacks. The reference here is
the definition: every code's :meth:`RuleSet.hits` on every segment, children before
parents. They are compared on the synthetic workshop transcripts (generated, not written
for this test) with the project's codebook and with a codebook using every rule type.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.coding.autocode import CODING_COLUMNS, _VocabularyMatcher, autocode, segment_lemmas
from analysis.coding.codebook import Codebook, LemmaPattern, load_codebook

PROJECT = Path(__file__).resolve().parents[1]


def reference_autocode(segments: pd.DataFrame, tokens: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Every rule of every code on every segment (the definition of the coding)."""
    lemmas_by_segment = segment_lemmas(tokens)
    codes = list(codebook)
    bottom_up = sorted(codes, key=lambda c: -c.level)
    rows = []
    for segment_id in segments["segment_id"].astype(str):
        lemmas = lemmas_by_segment.get(segment_id, [])
        if not lemmas:
            continue
        lemma_set, text = frozenset(lemmas), " ".join(lemmas)
        found: dict[str, tuple[list[str], int]] = {}
        for code in bottom_up:
            own = code.rules.hits(lemmas, lemma_set, text) if not code.rules.empty else []
            if own and not code.exclude_rules.empty and code.exclude_rules.hits(lemmas, lemma_set, text):
                own = []
            via = [child for child in codebook.children(code.id) if child in found]
            if own or via:
                found[code.id] = (own + [f"via {c}" for c in via], len(own) + sum(found[c][1] for c in via))
        for code in codes:
            if code.id in found:
                rows.append({"segment_id": segment_id, "code": code.id, "matched": "; ".join(found[code.id][0]),
                             "n_hits": found[code.id][1]})
    out = pd.DataFrame(rows, columns=CODING_COLUMNS)
    out["segment_id"] = out["segment_id"].astype(object)
    out["n_hits"] = out["n_hits"].astype("int64")
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every non-empty line of the synthetic workshop transcripts (.txt, any encoding) as one segment."""
    from analysis.io.detect import read_text
    from analysis.synthetic.generator import generate
    from analysis.text.pipeline import tokens_table

    raw = tmp_path_factory.mktemp("raw")
    generate(raw, seed=2024, scale=1)
    lines = [line.strip() for path in sorted((raw / "workshops").glob("*.txt"))
             for line in read_text(path)[0].splitlines() if line.strip()]
    assert len(lines) > 100
    segments = pd.DataFrame({"segment_id": [f"s{i}" for i in range(len(lines))], "text": lines})
    return segments, tokens_table(segments)


RULE_TYPES = {"version": 1, "themes": [
    {"id": "housing", "name": {"fi": "Asuminen", "en": "Housing"}, "colour": "#DDCC77",
     "rules": {"lemmas": ["*asunto", "asua", "tuettu asuminen", "oma * asunto"],
               "exclude": {"lemmas": ["asuntomessut"]}},
     "children": [
         {"id": "worries", "name": {"fi": "Huolet", "en": "Worries"}, "colour": "#EE8866",
          "rules": {"all": [[["huol*", "pelätä"], ["*asunto", "vuokra*"]], ["häätö", "uhata"]]}},
         {"id": "money", "name": {"fi": "Raha", "en": "Money"}, "colour": "#44BB99",
          "rules": {"lemmas": ["raha", "*tuki"], "regex": [r"\bkela\w*", r"toimeentulo\w* tuki"],
                    "exclude": {"regex": [r"\bopintotuki\b"]}}}]},
    {"id": "talk", "name": {"fi": "Puhe", "en": "Talk"}, "colour": "#332288",
     "rules": {"regex": [r"\bmitä \w+ \w+"], "lemmas": ["*"]},
     "children": [{"id": "nothing", "name": {"fi": "Ei", "en": "No"}, "colour": "#88CCEE",
                   "rules": {"lemmas": ["ei-esiintyvä-lemma"], "all": [["zzz", "yyy"]]}}]},
]}


@pytest.mark.parametrize("codebook", ["project", "rule_types"])
def test_autocode_equals_the_rule_by_rule_definition(corpus, codebook):
    segments, tokens = corpus
    cb = load_codebook(PROJECT / "config" / "codebook.yaml") if codebook == "project" else Codebook.from_dict(RULE_TYPES)
    fast = autocode(segments, tokens, cb)
    reference = reference_autocode(segments, tokens, cb)
    assert len(reference) > 50  # the corpus is coded at all
    pd.testing.assert_frame_equal(fast, reference)


def test_vocabulary_matcher_finds_what_the_pattern_finds():
    lemmas = ["oma", "uusi", "asunto", "ja", "tukiasunto", "oma", "vuokra-asunto", "asunto"]
    lemma_set = frozenset(lemmas)
    matcher = _VocabularyMatcher(set(lemmas) | {"muu", "asuntola"})
    for text in ["asunto", "*asunto", "oma * asunto", "oma asunto", "uusi asunto", "asunto*", "puuttuu", "*"]:
        pattern = LemmaPattern.parse(text)
        assert matcher.find(pattern, lemmas, lemma_set) == pattern.find(lemmas, lemma_set), text
    assert matcher.triggers(Codebook.from_dict(RULE_TYPES)["housing"].rules) >= {"asunto", "tukiasunto", "asua"}


def test_segment_lemmas_equal_the_groupby_definition():
    """Slicing the sorted lemmas gives what one groupby group a segment gave (NaN ids dropped)."""
    import numpy as np
    import pandas as pd

    from analysis.coding.autocode import _WORD_RE, segment_lemmas

    rng = np.random.default_rng(3)
    n = 400
    tokens = pd.DataFrame({"segment_id": rng.choice(["s10", "s2", "s1", "a", None], size=n),
                           "position": rng.permutation(n),
                           "lemma": rng.choice(["Asunto", "uusi", ".", "tuki", None, " Koti "], size=n)})
    frame = tokens.loc[tokens["lemma"].notna(), ["segment_id", "position", "lemma"]]
    frame = frame.assign(lemma=frame["lemma"].astype(str).str.lower().str.strip())
    frame = frame[frame["lemma"].str.contains(_WORD_RE)].sort_values(["segment_id", "position"], kind="stable")
    expected = {str(seg): list(group) for seg, group in frame.groupby("segment_id", sort=False)["lemma"]}
    got = segment_lemmas(tokens)
    assert got == expected and list(got) == list(expected)
    assert segment_lemmas(tokens.iloc[:0]) == {}


def test_required_literals_pass_over_only_texts_the_expression_cannot_be_found_in():
    """The substring prefilter of the regex rules: texts kept = texts the expression is found in, or more."""
    import random
    import re

    from analysis.coding.autocode import required_literals
    from analysis.coding.codebook import load_codebook
    from analysis.workspace import PACKAGE_PROJECT_DIR

    codebook = load_codebook(PACKAGE_PROJECT_DIR / "config" / "codebook.yaml")
    patterns = [rx for code in codebook for rx in code.rules.regex]
    n_codebook = len(patterns)
    patterns += [re.compile(p) for p in (r"a(?:bc|bd)e", r"(?i)Asunto", r"x{3}", r"(ab)+c", r"kela|kelan", r"^ei\b",
                                         r"(?=asun)asunto", r"[aä]siakas", r"asia(?i:KAS)")]
    rng = random.Random(3)
    words = sorted({w for rx in patterns for w in re.findall(r"[a-zäö]{3,}", rx.pattern)} | {"ei", "ole", "ja", "x"})
    texts = [" ".join(rng.choice(words) + rng.choice(["", "", "n", "ssa", "kin", "x"]) for _ in range(rng.randint(1, 12)))
             for _ in range(3000)]
    checked = 0
    for rx in patterns:
        needles = required_literals(rx)
        found = {t for t in texts if rx.search(t)}
        if needles is None:
            continue
        checked += 1
        kept = {t for t in texts if any(n in t for n in needles)}
        assert found <= kept, rx.pattern
    assert checked >= n_codebook  # every expression of the project's codebook has a needle
    assert required_literals(re.compile(r"(?i)Asunto")) is None and required_literals(re.compile(r"x{3}")) is None
    assert required_literals(re.compile(r"asia(?i:KAS)")) == {"asia"}

"""Measure the lemmatiser on Universal Dependencies gold lemmas (CoNLL-U).

Scoring (word by word, as the workspace lemmatises)
---------------------------------------------------
* Every syntactic word of the CoNLL-U file is one item, except multiword-token ranges
  (``3-4``), empty nodes (``3.1``) and words whose UPOS is ``PUNCT`` or ``SYM``.
* The lemmatiser sees **only the word form** (no UPOS, no features, no sentence): the
  workspace has no tagger. UPOS and features are used only to *report* per class and to
  apply the documented deviations below.
* Gold and prediction are compared in lower case with the compound marks ``#`` removed
  (TDT writes ``kansan#eläke``); hyphens are removed on both sides too, because TDT
  writes ``1980#luku`` for ``1980-luvun`` and ``raaka#aine`` for ``raaka-aineiden``. FTB's homonym numbers and ``|``-separated alternatives are
  not special-cased: the gold lemma is compared as written.
* UD conventions are followed (participles are lemmatised to the verb, comparatives and
  superlatives to the positive, adverbs are their own lemma), with one documented,
  scored deviation, :data:`DEVIATIONS`: personal and demonstrative pronouns keep their
  number (``me``, not UD's ``minä``; ``te`` not ``sinä``; ``he`` not ``hän``; ``ne`` not
  TDT's ``se``), because who speaks as "we" and about "them" matters in the workshop
  analysis (spoken ``ne`` is the everyday "they"). The gold lemma is rewritten accordingly
  before comparison (from ``PronType=Prs|Dem`` + ``Number=Plur``).

Splits
------
Only the UD *development* sets are available (no test sets, no informal-text treebank).
Each file is split deterministically into a ``tune`` half and a ``heldout`` half
(:func:`split_of`): TDT by document (the ``sent_id`` before the dot, e.g. ``b104``), FTB by
sentence; a unit goes to ``heldout`` when the CRC-32 of its id is odd. The lemmatiser's
frequency prior is learned from the ``tune`` halves only; the ``heldout`` halves are never
looked at while tuning.

Command line
------------
``python -m analysis.text.evaluate [FILE.conllu ...] [--backend NAME] [--split all|tune|heldout]
[--lemmatiser-only] [--context]`` scores the workspace path (spoken-form normaliser, then lemmatiser,
:func:`workspace_lemmas`; with ``--lemmatiser-only`` the lemmatiser alone) and prints overall and per-UPOS accuracy, the top error types, and words/s (cold and warm).
Without files it evaluates ``<repo>/../shared/ud-finnish/*-dev.conllu``. ``--context`` runs
the sentence-context experiment (:func:`context_experiment`): previous/next-word preferences
learned on the tune halves, held-out accuracy without and with them. They are not used by the
tokens table, because they did not help (README, "Finnish text").

Examples
--------
>>> w = Word("s1", "Meillä", "minä", "PRON", "Case=Ade|Number=Plur|Person=1|PronType=Prs")
>>> gold_lemma(w)
'me'
>>> gold_lemma(Word("s1", "kansaneläke", "kansan#eläke", "NOUN", "_"))
'kansaneläke'
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import time
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from analysis.errors import DataError

__all__ = [
    "DEVIATIONS",
    "SKIP_UPOS",
    "Word",
    "Result",
    "read_conllu",
    "split_of",
    "gold_lemma",
    "score",
    "default_ud_dir",
    "format_result",
    "iter_split",
    "workspace_lemmas",
    "prior_rows",
    "write_prior",
    "source_of",
    "sentences_of",
    "learn_context",
    "apply_context",
    "context_experiment",
    "fold_of",
    "prior_rows_of",
    "pair_rows",
    "pair_rows_of",
    "write_pairs",
    "reading_rows",
    "reading_rows_of",
    "write_readings",
    "cross_validate",
    "main",
]

SKIP_UPOS = frozenset({"PUNCT", "SYM"})

#: Deviations from UD, applied to the gold lemma before scoring:
#: (UD lemma, PronType) of a PRON/DET with ``Number=Plur`` -> the lemma scored.
#: Personal and demonstrative pronouns keep their number (FTB already does so for ne/nämä).
DEVIATIONS: dict[tuple[str, str], str] = {
    ("minä", "Prs"): "me",
    ("sinä", "Prs"): "te",
    ("hän", "Prs"): "he",
    ("se", "Dem"): "ne",
    ("tämä", "Dem"): "nämä",
    ("tuo", "Dem"): "nuo",
}

#: TDT sent_id prefixes (document sources), after the TDT documentation. Blogs are the
#: closest thing to informal written text in these files.
TDT_SOURCES = {
    "b": "blogs", "e": "EU texts", "f": "fiction", "fC": "fiction", "fD": "fiction",
    "h": "other (h)", "j": "legal texts (JRC-Acquis)", "s": "student magazine",
    "t": "financial news", "u": "university news", "w": "Wikipedia", "wn": "Wikinews",
}


@dataclass(frozen=True)
class Word:
    """One scored word of a CoNLL-U file (columns 2-4 and 6, plus its sentence id)."""

    sent_id: str
    form: str
    lemma: str
    upos: str
    feats: str


def read_conllu(path: str | Path) -> list[Word]:
    """Syntactic words of a CoNLL-U file (ranges and empty nodes skipped, PUNCT/SYM kept).

    Raises
    ------
    DataError
        If a token line does not have 10 tab-separated columns (names file and line).
    """
    path = Path(path)
    words: list[Word] = []
    sent_id = ""
    number = 0
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            line = line.rstrip("\n")
            if not line:
                continue
            if line.startswith("#"):
                if line.startswith("# sent_id"):
                    sent_id = line.split("=", 1)[1].strip()
                continue
            cols = line.split("\t")
            if len(cols) != 10:
                raise DataError(f"token line has {len(cols)} columns, CoNLL-U needs 10", file=path,
                                location=f"line {number}", hint="Use a CoNLL-U file (tab-separated).")
            if "-" in cols[0] or "." in cols[0]:
                continue
            words.append(Word(sent_id, cols[1], cols[2], cols[3], cols[5]))
    return words


def _unit(sent_id: str) -> str:
    """Document of a TDT sentence (``b104.3`` -> ``b104``); FTB ids are their own unit."""
    return sent_id.split(".", 1)[0] if "." in sent_id else sent_id


def split_of(sent_id: str) -> str:
    """``"tune"`` or ``"heldout"`` for a sentence id (deterministic, see module docs).

    Examples
    --------
    >>> split_of("b104.1") == split_of("b104.7")
    True
    """
    return "heldout" if zlib.crc32(_unit(sent_id).encode()) % 2 else "tune"


def source_of(sent_id: str) -> str:
    """TDT source prefix of a sentence id (``wn004.2`` -> ``wn``), ``""`` for FTB ids."""
    match = re.match(r"^([a-zA-Z]+)\d+\.\d+$", sent_id)
    return match.group(1) if match else ""


def gold_lemma(word: Word, *, written: bool = False) -> str:
    """The gold lemma as scored: lower case, ``#`` and ``-`` removed, :data:`DEVIATIONS` applied.

    With ``written=True`` the lemma as the workspace should write it (for the frequency
    prior): a ``#`` standing where the form has a hyphen becomes the hyphen
    (``raaka#aine`` for ``raaka-aineiden`` -> ``raaka-aine``), other ``#`` are removed.
    """
    if written:
        lemma = word.lemma.lower()
        form = word.form.lower()
        if "#" in lemma and "-" in form:
            hyphened = lemma.replace("#", "-")
            head = hyphened.rsplit("-", 1)[0] + "-"
            lemma = hyphened if form.startswith(head) else lemma
        lemma = lemma.replace("#", "") if lemma != "#" else lemma
    else:
        lemma = _plain(word.lemma)
    if word.upos in ("PRON", "DET") and "Number=Plur" in word.feats:
        feats = word.feats.split("|")
        for (ud, kind), ours in DEVIATIONS.items():
            if lemma == ud and f"PronType={kind}" in feats:
                return ours
    return lemma


def _plain(lemma: str) -> str:
    """Lower case, compound marks removed: ``#`` and the hyphen (TDT writes ``1980#luku`` for
    ``1980-luvun`` and ``raaka#aine`` for ``raaka-aineiden``; the hyphen is dropped on both sides)."""
    return lemma.replace("#", "").replace("-", "").lower() if lemma not in ("-", "#") else lemma


def scored(words: Iterable[Word]) -> list[Word]:
    """The words that are scored (PUNCT and SYM left out)."""
    return [w for w in words if w.upos not in SKIP_UPOS]


@dataclass
class Result:
    """Accuracy of one lemmatiser on one set of words."""

    name: str
    n: int = 0
    correct: int = 0
    by_upos: dict[str, list[int]] = field(default_factory=dict)  # upos -> [correct, n]
    by_source: dict[str, list[int]] = field(default_factory=dict)
    errors: Counter = field(default_factory=Counter)  # (form lower, predicted, gold) -> count
    error_types: Counter = field(default_factory=Counter)
    words_per_s_cold: float = 0.0
    words_per_s_warm: float = 0.0

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else float("nan")


def error_type(form: str, predicted: str, word: Word) -> str:
    """A coarse, reportable class of one error (for the 'top error types' table)."""
    gold = gold_lemma(word)
    low = form.lower()
    if "VerbForm=Part" in word.feats:
        return f"{word.upos} participle"
    if "Degree=Cmp" in word.feats or "Degree=Sup" in word.feats:
        return f"{word.upos} comparative/superlative"
    if predicted == low and gold != low:
        return f"{word.upos} returned unchanged"
    if gold.startswith(predicted) and len(predicted) < len(gold):
        return f"{word.upos} compound cut short"
    if word.upos == "PROPN":
        return "PROPN other"
    return f"{word.upos} other lemma"


def score(words: Iterable[Word], lemmatise_many: Callable[[list[str]], dict[str, str]],
          name: str = "") -> Result:
    """Score a lemmatiser on CoNLL-U words.

    Parameters
    ----------
    words : iterable of Word
        PUNCT/SYM words are left out here.
    lemmatise_many : callable
        list of word forms -> dict form -> lemma (e.g. :func:`analysis.text.lemmatise.lemmatise_many`
        with a fixed backend). Called twice: once cold and once warm, to time it.
    name : str

    Returns
    -------
    Result
    """
    items = scored(words)
    forms = [w.form for w in items]
    started = time.perf_counter()
    predicted = lemmatise_many(forms)
    cold = time.perf_counter() - started
    started = time.perf_counter()
    lemmatise_many(forms)
    warm = time.perf_counter() - started
    res = Result(name=name, words_per_s_cold=len(forms) / cold if cold else float("inf"),
                 words_per_s_warm=len(forms) / warm if warm else float("inf"))
    by_upos: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_source: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for w in items:
        got = _plain(predicted[w.form])
        ok = got == gold_lemma(w)
        res.n += 1
        res.correct += ok
        by_upos[w.upos][0] += ok
        by_upos[w.upos][1] += 1
        src = source_of(w.sent_id)
        if src:
            by_source[src][0] += ok
            by_source[src][1] += 1
        if not ok:
            res.errors[(w.form.lower(), got, gold_lemma(w))] += 1
            res.error_types[error_type(w.form, got, w)] += 1
    res.by_upos = dict(sorted(by_upos.items(), key=lambda kv: -kv[1][1]))
    res.by_source = dict(sorted(by_source.items()))
    return res


def format_result(res: Result, top: int = 12) -> str:
    """A plain-text report of one :class:`Result`."""
    lines = [f"== {res.name}: {res.correct}/{res.n} words = {res.accuracy:.2%}  "
             f"({res.words_per_s_cold:,.0f} words/s cold, {res.words_per_s_warm:,.0f} words/s warm)"]
    lines.append("   per UPOS: " + ", ".join(f"{u} {c / n:.1%} (n={n})" for u, (c, n) in res.by_upos.items()))
    if res.by_source:
        lines.append("   per TDT source: " + ", ".join(
            f"{s} [{TDT_SOURCES.get(s, '?')}] {c / n:.1%} (n={n})" for s, (c, n) in res.by_source.items()))
    lines.append("   top error types: " + ", ".join(f"{t} {k}" for t, k in res.error_types.most_common(top)))
    lines.append("   top errors (form -> got / gold): " + ", ".join(
        f"{f}->{g}/{e} x{k}" for (f, g, e), k in res.errors.most_common(top)))
    return "\n".join(lines)


def workspace_lemmas(forms: Iterable[str], backend: str | None = None) -> dict[str, str]:
    """Lemmas as the workspace's tokens table makes them: the spoken-form normaliser
    (table, then rules) first, then the lemmatiser; a multi-word standard form
    (``niinku`` -> ``niin kuin``) gives its lemmas joined by a space.

    Parameters
    ----------
    forms : iterable of str
    backend : str, optional

    Returns
    -------
    dict
        form -> lemma, for each distinct form.
    """
    from analysis.text import lemmatise as lem
    from analysis.text.normalise import load_spoken_forms, normalise_cached

    table = load_spoken_forms()
    backend = backend or lem.default_backend()
    distinct = list(dict.fromkeys(forms))
    normal = {f: normalise_cached(f.strip().lower(), table, backend) for f in distinct}
    lemma_of = lem.lemmatise_many([p for parts in normal.values() for p in parts], backend=backend)
    return {f: " ".join(lemma_of[p] for p in parts) for f, parts in normal.items()}


def default_ud_dir() -> Path:
    """``<repo>/../shared/ud-finnish`` (where CI and the workspace keep the UD dev sets)."""
    return Path(__file__).resolve().parents[2].parent / "shared" / "ud-finnish"


def iter_split(words: list[Word], split: str) -> Iterator[Word]:
    """Words of one split (``"all"``, ``"tune"`` or ``"heldout"``)."""
    for w in words:
        if split == "all" or split_of(w.sent_id) == split:
            yield w


PRIOR_HEADER = """\
# Frequency prior of the Jäkälä lemmatiser: word form, gold lemma, count.
# DERIVED DATA, not written by hand. Built by `python -m analysis.text.evaluate --write-prior`
# from the TUNING halves only (analysis.text.evaluate.split_of) of the development sets of
#   * UD_Finnish-TDT (Turku Dependency Treebank; Haverinen et al., University of Turku),
#     licensed CC BY-SA 4.0 <https://creativecommons.org/licenses/by-sa/4.0/>, and
#   * UD_Finnish-FTB (FinnTreeBank 1, FIN-CLARIN, University of Helsinki), CC BY 4.0 / LGPLv3+,
# <https://universaldependencies.org>. Lemmas lower-cased, '#' removed, the workspace's
# pronoun-number deviation applied, PUNCT/SYM left out.
# This file (only this file) is therefore licensed CC BY-SA 4.0, unlike the MIT code.
"""


def prior_rows(files: Iterable[str | Path]) -> list[tuple[str, str, int]]:
    """(form, gold lemma, count) over the ``tune`` halves of CoNLL-U files, sorted."""
    counts: Counter = Counter()
    for path in files:
        for w in scored(read_conllu(path)):
            if split_of(w.sent_id) == "tune" and not w.form.startswith("#"):  # '#' starts a comment
                counts[(w.form.lower(), gold_lemma(w, written=True))] += 1
    return sorted(((f, lemma, n) for (f, lemma), n in counts.items()), key=lambda r: (r[0], r[1]))


def write_prior(files: Iterable[str | Path], out: str | Path) -> int:
    """Write the lemmatiser's frequency prior (see :data:`PRIOR_HEADER`); returns the row count."""
    return _write_rows(out, PRIOR_HEADER, ("form", "lemma", "count"), prior_rows(files))


def _write_rows(out: str | Path, header: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> int:
    lines = [header + "\t".join(columns)] + ["\t".join(map(str, r)) for r in rows
                                               if not any("\t" in str(x) for x in r)]
    Path(out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines) - 1


PAIRS_HEADER = PRIOR_HEADER.replace(
    "# Frequency prior of the Jäkälä lemmatiser: word form, gold lemma, count.",
    "# Lemma-pair preferences of the Jäkälä lemmatiser: winner, loser, count = how often the winner\n"
    "# was the gold lemma of a word whose Voikko candidates (analysis.text.lemmatise.candidate_lemmas,\n"
    "# pyvoikko) included both.").replace("--write-prior`", "--write-prior` (with pyvoikko)")


def pair_rows_of(words: Iterable[Word], backend: str = "pyvoikko") -> list[tuple[str, str, int]]:
    """(winner, loser, count) over words: for each word whose gold lemma is one of two or
    more Voikko candidates (:func:`analysis.text.lemmatise.candidate_lemmas`), the gold
    lemma beats each other candidate once. The lemmatiser lets a candidate overrule the
    fixed ranking's choice when it won that pair more often than it lost."""
    from analysis.text import lemmatise as lem

    counts: Counter = Counter()
    for w in scored(words):
        low = w.form.strip().lower()
        if not low or low.startswith("#"):
            continue
        cands = lem.candidate_lemmas(low, backend)
        if len(cands) < 2:
            continue
        gold = gold_lemma(w, written=True)
        if gold not in cands:
            continue
        for other in cands:
            if other != gold:
                counts[(gold, other)] += 1
    return sorted(((a, b, n) for (a, b), n in counts.items()), key=lambda r: (r[0], r[1]))


def pair_rows(files: Iterable[str | Path], backend: str = "pyvoikko") -> list[tuple[str, str, int]]:
    """:func:`pair_rows_of` over the ``tune`` halves of CoNLL-U files."""
    return pair_rows_of((w for path in files for w in read_conllu(path) if split_of(w.sent_id) == "tune"),
                        backend)


def write_pairs(files: Iterable[str | Path], out: str | Path, backend: str = "pyvoikko") -> int:
    """Write the lemma-pair preferences (see :data:`PAIRS_HEADER`); returns the row count."""
    return _write_rows(out, PAIRS_HEADER, ("winner", "loser", "count"), pair_rows(files, backend))


READINGS_HEADER = PRIOR_HEADER.replace(
    "# Frequency prior of the Jäkälä lemmatiser: word form, gold lemma, count.",
    "# Class-level reading preferences of the Jäkälä lemmatiser: winner, loser, count = how often\n"
    "# the gold lemma of a word came from a Voikko reading of the first kind (word class and\n"
    "# inflection, analysis.text.lemmatise.candidate_readings, pyvoikko) while another candidate\n"
    "# lemma came from one of the second.").replace("--write-prior`", "--write-prior` (with pyvoikko)")


def reading_rows_of(words: Iterable[Word], backend: str = "pyvoikko") -> list[tuple[str, str, int]]:
    """(winning reading, losing reading, count) over words: as :func:`pair_rows_of`, but for
    the readings (word class and inflection, :func:`analysis.text.lemmatise.candidate_readings`)
    the candidates come from instead of the lemmas, counted once per distinct (form, gold
    lemma). The lemmatiser uses them for pairs of lemmas the pair table never compared."""
    from analysis.text import lemmatise as lem

    counts: Counter = Counter()
    seen: set[tuple[str, str]] = set()
    for w in scored(words):
        low = w.form.strip().lower()
        if not low or low.startswith("#"):
            continue
        gold = gold_lemma(w, written=True)
        if (low, gold) in seen:
            continue
        seen.add((low, gold))
        ranked = lem.candidate_readings(low, backend)
        cands = dict(ranked)
        if len(cands) < 2 or gold not in cands:
            continue
        pick, pick_reading = ranked[0]
        if pick != gold:
            if cands[gold] != pick_reading:
                counts[(cands[gold], pick_reading)] += 1
            continue
        for other, reading in ranked[1:]:
            if reading != pick_reading:
                counts[(pick_reading, reading)] += 1
    return sorted(((a, b, n) for (a, b), n in counts.items()), key=lambda r: (r[0], r[1]))


def reading_rows(files: Iterable[str | Path], backend: str = "pyvoikko") -> list[tuple[str, str, int]]:
    """:func:`reading_rows_of` over the ``tune`` halves of CoNLL-U files."""
    return reading_rows_of((w for path in files for w in read_conllu(path) if split_of(w.sent_id) == "tune"),
                           backend)


def write_readings(files: Iterable[str | Path], out: str | Path, backend: str = "pyvoikko") -> int:
    """Write the reading preferences (see :data:`READINGS_HEADER`); returns the row count."""
    return _write_rows(out, READINGS_HEADER, ("winner", "loser", "count"), reading_rows(files, backend))


# --------------------------------------------------------------------------- inner cross-validation
def fold_of(sent_id: str) -> int:
    """Fold (0 or 1) of a *tuning-half* sentence for the inner cross-validation
    (:func:`cross_validate`): the same units as :func:`split_of`, by the parity of their SHA-1
    (a salted CRC-32 would not do: CRC is linear, so its parity would follow the split's)."""
    return hashlib.sha1(_unit(sent_id).encode()).digest()[0] % 2


def prior_rows_of(words: Iterable[Word]) -> list[tuple[str, str, int]]:
    """(form, gold lemma, count) of the given words (as :func:`prior_rows`, without the split)."""
    counts: Counter = Counter()
    for w in scored(words):
        if not w.form.startswith("#"):
            counts[(w.form.lower(), gold_lemma(w, written=True))] += 1
    return sorted(((f, lemma, n) for (f, lemma), n in counts.items()), key=lambda r: (r[0], r[1]))


def cross_validate(files: Iterable[str | Path], backend: str | None = None,
                   how: str = "workspace", use_pairs: bool = True) -> list[Result]:
    """Inner two-fold cross-validation on the **tuning halves only** (never the held-out).

    The tuning half of every file is cut into two folds (:func:`fold_of`); the frequency
    prior is rebuilt from one fold of all files and the other fold is scored, and the other
    way round (the lemma-pair table, :func:`pair_rows_of`, too, unless ``use_pairs`` is False).
    This is the estimate to develop rules on: the tuning-half figure itself is
    inflated by the words the prior memorised, and the held-out half must not be studied.

    Returns
    -------
    list of Result
        One per file and fold (names say which).
    """
    import tempfile

    from analysis.text import lemmatise as lem

    tune = {Path(f).name: list(iter_split(read_conllu(f), "tune")) for f in files}
    saved, saved_pairs, saved_readings = lem.PRIOR_FILE, lem.PAIRS_FILE, lem.READINGS_FILE
    out = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for fold in (0, 1):
                train = [w for ws in tune.values() for w in ws if fold_of(w.sent_id) != fold]
                path = Path(tmp) / f"prior{fold}.tsv"
                _write_rows(path, PRIOR_HEADER, ("form", "lemma", "count"), prior_rows_of(train))
                pairs = Path(tmp) / f"pairs{fold}.tsv"
                lem.PRIOR_FILE = path
                lem._prior.cache_clear()
                lem.clear_cache()
                _write_rows(pairs, PAIRS_HEADER, ("winner", "loser", "count"), pair_rows_of(train))
                lem.PAIRS_FILE = pairs if use_pairs else Path(tmp) / "none.tsv"
                readings = Path(tmp) / f"readings{fold}.tsv"
                lem.READINGS_FILE = Path(tmp) / "none.tsv"  # learned with the fixed ranking alone
                lem.clear_cache()
                _write_rows(readings, READINGS_HEADER, ("winner", "loser", "count"), reading_rows_of(train))
                lem.READINGS_FILE = readings if use_pairs else Path(tmp) / "none.tsv"
                for name, words in tune.items():
                    lem.clear_cache()
                    fn = ((lambda forms: lem.lemmatise_many(forms, backend=backend)) if how == "lemmatiser"
                          else (lambda forms: workspace_lemmas(forms, backend)))
                    out.append(score([w for w in words if fold_of(w.sent_id) == fold], fn,
                                     name=f"{name} [tune, fold {fold} scored, prior from fold {1 - fold}]"))
    finally:
        lem.PRIOR_FILE, lem.PAIRS_FILE, lem.READINGS_FILE = saved, saved_pairs, saved_readings
        lem._prior.cache_clear()
        lem.clear_cache()
    return out


# --------------------------------------------------------------------------- context experiment
def sentences_of(words: Iterable[Word]) -> list[list[Word]]:
    """Scored words grouped by sentence, in order (the neighbours the tokens table would see:
    PUNCT/SYM left out, as the tokeniser keeps no punctuation tokens)."""
    out: list[list[Word]] = []
    sid = None
    for w in words:
        if w.sent_id != sid:
            out.append([])
            sid = w.sent_id
        if w.upos not in SKIP_UPOS:
            out[-1].append(w)
    return [s for s in out if s]


def _context_keys(tokens: list[str], i: int) -> list[tuple[str, str]]:
    prev = tokens[i - 1] if i else "<s>"
    nxt = tokens[i + 1] if i + 1 < len(tokens) else "</s>"
    return [("prev", prev), ("next", nxt), ("prev3", prev[-3:]), ("next3", nxt[-3:]),
            ("prev2", prev[-2:]), ("next2", nxt[-2:])]


def learn_context(sentences: Iterable[list[Word]], exclude: Iterable[str] = (), min_count: int = 2,
                  min_ratio: float = 3.0) -> dict[tuple[str, tuple[str, str]], str]:
    """A decision list of sentence-context preferences (the experiment of :func:`context_experiment`).

    For every form seen with two or more gold lemmas in ``sentences``: for each neighbour
    feature (previous/next word, their last two or three letters), the lemma seen with it at
    least ``min_count`` times and ``min_ratio`` times as often as all others together.

    Returns
    -------
    dict
        (form, (feature, value)) -> lemma.
    """
    sentences = list(sentences)
    skip = set(exclude)
    by_form: dict[str, Counter] = defaultdict(Counter)
    for sent in sentences:
        for w in sent:
            by_form[w.form.lower()][gold_lemma(w)] += 1
    ambiguous = {f for f, c in by_form.items() if len(c) > 1 and f not in skip}
    seen: dict[tuple[str, tuple[str, str]], Counter] = defaultdict(Counter)
    for sent in sentences:
        tokens = [w.form.lower() for w in sent]
        for i, w in enumerate(sent):
            if tokens[i] in ambiguous:
                for key in _context_keys(tokens, i):
                    seen[(tokens[i], key)][gold_lemma(w)] += 1
    rules = {}
    for key, counts in sorted(seen.items()):
        (lemma, k), total = min(counts.items(), key=lambda kv: (-kv[1], kv[0])), sum(counts.values())
        if k >= min_count and k >= min_ratio * (total - k):
            rules[key] = lemma
    return rules


def apply_context(tokens: list[str], lemmas: list[str], rules: dict) -> list[str]:
    """Lemmas with the first matching context rule of :func:`learn_context` applied."""
    out = list(lemmas)
    for i, low in enumerate(tokens):
        for key in _context_keys(tokens, i):
            lemma = rules.get((low, key))
            if lemma is not None:
                out[i] = lemma
                break
    return out


def context_experiment(files: Iterable[str | Path], backend: str | None = None) -> dict[str, tuple[int, int, int]]:
    """Does sentence context help? Learned on the tune halves, scored on the held-out halves.

    The decision list of :func:`learn_context` (forms the spoken-form table rewrites, such as
    *et*, left out: in workshop speech they mean something else than in written text) is
    applied on top of the workspace lemmas (:func:`workspace_lemmas`).

    Returns
    -------
    dict
        file name -> (correct without context, correct with context, words) on its held-out half.
    """
    from analysis.text.normalise import load_spoken_forms

    files = list(files)
    all_words = {Path(f).name: read_conllu(f) for f in files}
    tune = [s for words in all_words.values() for s in sentences_of(iter_split(words, "tune"))]
    rules = learn_context(tune, exclude=load_spoken_forms().forms)
    out = {}
    for name, words in all_words.items():
        held = sentences_of(iter_split(words, "heldout"))
        base_of = workspace_lemmas([w.form for s in held for w in s], backend)
        before = after = n = 0
        for sent in held:
            base = [base_of[w.form] for w in sent]
            new = apply_context([w.form.lower() for w in sent], base, rules)
            for w, b, c in zip(sent, base, new):
                gold = gold_lemma(w)
                before += _plain(b) == gold
                after += _plain(c) == gold
                n += 1
        out[name] = (before, after, n)
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line: see the module docstring."""
    from analysis.text import lemmatise as lem

    parser = argparse.ArgumentParser(prog="python -m analysis.text.evaluate", description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="CoNLL-U files (default: ../shared/ud-finnish/*-dev.conllu)")
    parser.add_argument("--backend", action="append", help="backend(s) to score (default: the configured one)")
    parser.add_argument("--split", choices=("all", "tune", "heldout", "both"), default="both")
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--lemmatiser-only", action="store_true",
                        help="score lemmatise_many alone, without the spoken-form normaliser in front")
    parser.add_argument("--context", action="store_true",
                        help="the sentence-context experiment: rules learned on the tune halves, "
                             "held-out accuracy without and with them")
    parser.add_argument("--cv", action="store_true",
                        help="inner two-fold cross-validation inside the tune halves (prior from one fold, "
                             "the other scored); the estimate to develop rules on")
    parser.add_argument("--write-prior", action="store_true",
                        help="rebuild analysis/text/data/ud_fi_prior.tsv from the tune halves and stop")
    args = parser.parse_args(argv)
    files = args.files or sorted(default_ud_dir().glob("*-dev.conllu"))
    if not files:
        print(f"no CoNLL-U files given and none in {default_ud_dir()}", file=sys.stderr)
        return 2
    if args.write_prior:
        lem.PRIOR_FILE.parent.mkdir(parents=True, exist_ok=True)
        print(f"wrote {write_prior(files, lem.PRIOR_FILE)} rows to {lem.PRIOR_FILE}")
        lem._prior.cache_clear()
        lem.clear_cache()
        print(f"wrote {write_pairs(files, lem.PAIRS_FILE)} rows to {lem.PAIRS_FILE}")
        print(f"wrote {write_readings(files, lem.READINGS_FILE)} rows to {lem.READINGS_FILE}")
        return 0
    backends = args.backend or [lem.default_backend()]
    if args.cv:
        for backend in backends:
            results = cross_validate(files, backend, "lemmatiser" if args.lemmatiser_only else "workspace")
            for res in results:
                print(format_result(res, args.top))
            total, n = sum(r.correct for r in results), sum(r.n for r in results)
            print(f"== cross-validation total: {total}/{n} = {total / n:.2%}")
        return 0
    if args.context:
        for backend in backends:
            for name, (before, after, n) in context_experiment(files, backend).items():
                print(f"== context experiment, {name} [heldout] backend={backend}: {before}/{n} = {before / n:.2%} "
                      f"without, {after}/{n} = {after / n:.2%} with the context rules ({after - before:+d} words)")
        return 0
    splits = ("tune", "heldout") if args.split == "both" else (args.split,)
    for backend in backends:
        info = lem.backend_info(backend)
        print(f"# backend {backend}: " + ", ".join(f"{k}={v}" for k, v in info.items() if k != "name"))
        for path in files:
            words = read_conllu(path)
            for split in splits:
                lem.clear_cache()
                how = "lemmatiser only" if args.lemmatiser_only else "normalise + lemmatise"
                res = score(list(iter_split(words, split)),
                            (lambda forms, b=backend: lem.lemmatise_many(forms, backend=b)) if args.lemmatiser_only
                            else (lambda forms, b=backend: workspace_lemmas(forms, b)),
                            name=f"{path.name} [{split}] backend={backend}, {how}")
                print(format_result(res, args.top))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

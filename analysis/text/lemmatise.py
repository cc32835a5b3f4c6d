"""Finnish lemmatisation behind one memoised function, with a project lexicon.

Backends
--------
``"simplemma"`` (default without Voikko; pip only)
    :func:`simplemma.lemmatize` with ``lang="fi"``, corrected by the project files:

    * ``config/text/lexicon.tsv``: exact form → lemma overrides (checked first, for every
      backend), e.g. ``työ → työ`` (simplemma says "sinä"), ``me → me``.
    * ``config/text/compounds.txt``: domain compounds written ``tuki|asunto``. A word is
      the compound when it starts with the prefix and the rest lemmatises to the head
      (``tukiasunnossa`` = ``tuki`` + ``asunnossa`` → ``asunto`` ⇒ ``tukiasunto``), so every
      inflected form is recognised without listing it.
    * a general rule for the failure "unknown compound cut to its first part": when the
      lemma is a proper prefix of the word and the rest is a known word of at least three
      letters, the rest is lemmatised and the compound kept whole
      (``tukihenkilöille`` → ``tukihenkilö``, not ``tuki``).

``"voikko"`` (used automatically when :mod:`libvoikko` and a Finnish dictionary exist)
    Chooses among Voikko's analyses: fewest compound parts (``=`` in ``STRUCTURE``), then
    the base form equal to the word, then nouns over verbs; ``-minen`` nouns are rebuilt
    (``asumisen → asuminen``, not ``asua``). Words Voikko does not know fall back to the
    simplemma chain.

``"snowball"``
    NLTK's Snowball Finnish stemmer (a stem, not a lemma); also the last fallback if
    simplemma cannot be imported. :func:`stem` gives the optional ``stem`` column.

Examples
--------
>>> [lemmatise(w, backend="simplemma") for w in ["nuorten", "tukiasunnossa", "työ", "palvelupolun"]]
['nuori', 'tukiasunto', 'työ', 'palvelupolku']
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from analysis.errors import ConfigError
from analysis.text._resources import config_file, file_signature, read_lines, read_tsv

__all__ = [
    "BACKENDS",
    "Lexicon",
    "available_backends",
    "default_backend",
    "lemmatise",
    "lemmatise_many",
    "load_lexicon",
    "stem",
    "clear_cache",
]

BACKENDS = ("voikko", "simplemma", "snowball")
LEXICON_FILE = "lexicon.tsv"
COMPOUNDS_FILE = "compounds.txt"

_MIN_REST = 3  # shortest compound head the general rule accepts


# --------------------------------------------------------------------------- lexicon
@dataclass(frozen=True, eq=False)  # hashed by identity: one object per file version
class Lexicon:
    """Project corrections: exact forms and domain compounds.

    Attributes
    ----------
    forms : dict
        form (lower case) → lemma.
    compounds : tuple of (prefix, head, lemma)
        Sorted longest prefix first.
    """

    forms: dict[str, str]
    compounds: tuple[tuple[str, str, str], ...]


@lru_cache(maxsize=8)
def _load_lexicon(forms_sig: tuple, compounds_sig: tuple) -> Lexicon:
    forms_path, compounds_path = Path(forms_sig[0]), Path(compounds_sig[0])
    forms: dict[str, str] = {}
    for number, (form, lemma) in read_tsv(forms_path, ("form", "lemma"), 2):
        form = form.lower()
        if form in forms and forms[form] != lemma.lower():
            raise ConfigError(
                f"form {form!r} has two lemmas ({forms[form]!r} and {lemma!r})",
                file=forms_path,
                location=f"line {number}",
                hint="Keep one row per form.",
            )
        forms[form] = lemma.lower()
    compounds = []
    for number, line in read_lines(compounds_path):
        entry = line.strip().lower()
        if entry.count("|") < 1 or entry.startswith("|") or entry.endswith("|") or " " in entry:
            raise ConfigError(
                f"compound {entry!r} must be written prefix|head, e.g. tuki|asunto",
                file=compounds_path,
                location=f"line {number}",
                hint="Put one '|' before the last part of the compound (the part that inflects).",
            )
        prefix, head = entry.rsplit("|", 1)
        prefix = prefix.replace("|", "")
        compounds.append((prefix, head, prefix + head))
    compounds.sort(key=lambda c: (-len(c[0]), c[0], c[1]))
    return Lexicon(forms=forms, compounds=tuple(compounds))


def load_lexicon(forms: str | Path | None = None, compounds: str | Path | None = None) -> Lexicon:
    """Read ``lexicon.tsv`` and ``compounds.txt`` (cached; re-read when edited).

    Parameters
    ----------
    forms, compounds : str or Path, optional
        Default to the files in ``config/text/``.

    Returns
    -------
    Lexicon

    Examples
    --------
    >>> ("tuki", "asunto", "tukiasunto") in load_lexicon().compounds
    True
    """
    return _load_lexicon(
        file_signature(config_file(forms or LEXICON_FILE)),
        file_signature(config_file(compounds or COMPOUNDS_FILE)),
    )


# --------------------------------------------------------------------------- backends
@lru_cache(maxsize=1)
def _simplemma():
    try:
        import simplemma
    except ImportError:  # pragma: no cover - simplemma is a dependency
        return None
    return simplemma


@lru_cache(maxsize=1)
def _snowball():
    from nltk.stem.snowball import SnowballStemmer

    return SnowballStemmer("finnish")


@lru_cache(maxsize=1)
def _voikko():
    """A libvoikko handle for Finnish, or None when the module or dictionary is missing."""
    if os.environ.get("JAKALA_NO_VOIKKO"):
        return None
    try:
        import libvoikko
    except (ImportError, OSError):
        return None
    path = os.environ.get("JAKALA_VOIKKO_PATH")
    try:
        return libvoikko.Voikko("fi", path) if path else libvoikko.Voikko("fi")
    except Exception:  # libvoikko raises OSError/VoikkoException when libvoikko1 or the dictionary is absent
        return None


def available_backends() -> list[str]:
    """Backends that work on this machine, best first.

    Examples
    --------
    >>> "simplemma" in available_backends() and "snowball" in available_backends()
    True
    """
    out = []
    if _voikko() is not None:
        out.append("voikko")
    if _simplemma() is not None:
        out.append("simplemma")
    out.append("snowball")
    return out


def default_backend() -> str:
    """The backend :func:`lemmatise` uses when none is given (Voikko when available).

    Set ``$JAKALA_LEMMATISER`` to force one, e.g. for reproducing a run.
    """
    forced = os.environ.get("JAKALA_LEMMATISER")
    if forced:
        _check_backend(forced)
        return forced
    return available_backends()[0]


def _check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise ValueError(f"unknown lemmatiser backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if backend not in available_backends():
        hint = (
            "Install Voikko: apt-get install libvoikko1 voikko-fi && pip install libvoikko."
            if backend == "voikko"
            else "Install the package into the environment."
        )
        raise ValueError(f"lemmatiser backend {backend!r} is not available here. {hint}")


def stem(word: str) -> str:
    """Snowball Finnish stem of a word (lower case).

    Examples
    --------
    >>> stem("nuorten"), stem("nuorille")
    ('nuort', 'nuor')
    """
    return _snowball().stem(word.lower())


# --------------------------------------------------------------------------- simplemma chain
def _simplemma_raw(word: str) -> str:
    sm = _simplemma()
    if sm is None:
        return _snowball().stem(word)
    return sm.lemmatize(word, lang="fi").lower()


#: Unknown derived nouns in -uus/-yys (asiantuntijuutta -> asiantuntijuus).
_UUS = re.compile(r"^(.{3,}(?:uu|yy))(?:den|tta|ttä|dessa|dessä|desta|destä|teen|delle|della|dellä|delta|deltä|tena|tenä|deksi)$")
#: -minen partitive read as the rare -ma participle (asumista -> asuma): prefer -minen.
_MISTA = re.compile(r"^(.{2,}mi)st[aä]$")


def _simplemma_lemma(word: str) -> str:
    """simplemma's lemma with three general corrections (each tested):

    * a plural lemma (palveluista -> "palvelut") is lemmatised once more (-> palvelu);
    * ``-mista/-mistä`` read as the ``-ma`` participle (asumista -> asuma) becomes the
      ``-minen`` noun (asuminen);
    * an unknown ``-uuden/-uutta ...`` form becomes ``-uus`` (asiantuntijuutta).
    """
    lemma = _simplemma_raw(word)
    if lemma != word and lemma.endswith("t") and len(lemma) > 4:
        again = _simplemma_raw(lemma)
        if again != lemma:
            lemma = again
    match = _MISTA.match(word)
    if match and lemma[-2:] in ("ma", "mä") and word.startswith(lemma[:-1]):
        return match.group(1) + "nen"
    if not _is_known(word):
        match = _UUS.match(word)
        if match:
            return match.group(1) + "s"
    return lemma


def _is_known(word: str) -> bool:
    sm = _simplemma()
    return bool(sm is not None and sm.is_known(word, lang="fi"))


def _head_candidates(rest: str, lexicon: Lexicon, backend: str) -> set[str]:
    """Every lemma the word ``rest`` could have (lexicon, simplemma, Voikko analyses)."""
    if rest in lexicon.forms:
        return {lexicon.forms[rest]}
    out = {_simplemma_lemma(rest)}
    if backend == "voikko":
        out.update(_voikko_candidates(rest))
    return out


def _compound_lemma(word: str, lexicon: Lexicon, backend: str) -> str | None:
    for prefix, head, lemma in lexicon.compounds:
        if word.startswith(prefix) and len(word) > len(prefix):
            rest = word[len(prefix):]
            if rest == head or (rest[:1] == head[:1] and head in _head_candidates(rest, lexicon, backend)):
                return lemma
    return None


def _simplemma_chain(word: str, lexicon: Lexicon) -> str:
    lemma = _simplemma_lemma(word)
    # unknown compound cut to its first part: tukihenkilöille -> tuki
    if len(lemma) < len(word) and word.startswith(lemma):
        rest = word[len(lemma):]
        if len(rest) >= _MIN_REST and _is_known(rest):
            rest_lemma = lexicon.forms.get(rest) or _simplemma_lemma(rest)
            if len(rest_lemma) >= _MIN_REST:
                return lemma + rest_lemma
    return lemma


# --------------------------------------------------------------------------- voikko
_MINEN = re.compile(r"^(.*mi)(?:nen|s[a-zåäö]*)$")
_NOUN_LIKE = {"nimisana", "nimisana_laatusana", "laatusana", "asemosana", "seikkasana", "suhdesana", "lukusana"}


def _voikko_candidate(word: str, analysis: dict) -> str:
    """The lemma one Voikko analysis stands for.

    -minen nouns are rebuilt (asumisen -> asuminen, Voikko says "asua"); adverbs in
    -sti are their own lemma (oikeasti, Voikko says "oikea").
    """
    base = analysis.get("BASEFORM", word).lower()
    if analysis.get("SIJAMUOTO") == "kerrontosti":
        return word
    if analysis.get("MOOD") == "MINEN-infinitive":
        match = _MINEN.match(word)
        if match:
            return match.group(1) + "nen"
    return base


def _voikko_candidates(word: str) -> list[str]:
    voikko = _voikko()
    if voikko is None:
        return []
    return [_voikko_candidate(word, a) for a in voikko.analyze(word)]


def _voikko_key(word: str, analysis: dict, reference: str) -> tuple:
    """Sort key of an analysis: smaller is better.

    1. fewest compound parts (``=`` in STRUCTURE);
    2. the lemma equal to the word itself (or to simplemma's lemma, which breaks
       ties such as nuorille = nuori/nuora, varoja = vara/varoja);
    3. agreement with simplemma;
    4. -minen nouns before the verbs they come from;
    5. nouns, adjectives, pronouns and adverbs before verbs; then alphabetical.
    """
    lemma = _voikko_candidate(word, analysis)
    parts = analysis.get("STRUCTURE", "").count("=")
    return (
        parts,
        lemma != word and lemma != reference,
        lemma != reference,
        analysis.get("MOOD") != "MINEN-infinitive",
        analysis.get("CLASS") not in _NOUN_LIKE,
        lemma,
    )


def _voikko_lemma(word: str) -> str | None:
    voikko = _voikko()
    if voikko is None:
        return None
    analyses = voikko.analyze(word)
    if not analyses:
        return None
    reference = _simplemma_lemma(word)
    best = min(analyses, key=lambda a: _voikko_key(word, a, reference))
    return _voikko_candidate(word, best)


# --------------------------------------------------------------------------- public
def _split_affix(word: str) -> tuple[str, str, str]:
    """(prefix kept as is, part to lemmatise, suffix) for EU:n, 18-vuotiaat, Jäkälä-hanke."""
    if ":" in word:  # EU:n, 2024:n -> EU, 2024
        return "", word.split(":", 1)[0], ""
    if "-" in word:
        head_start = word.rfind("-") + 1
        return word[:head_start], word[head_start:], ""
    return "", word, ""


@lru_cache(maxsize=None)
def _lemmatise_cached(word: str, backend: str, lexicon: Lexicon) -> str:
    if word in lexicon.forms:
        return lexicon.forms[word]
    if backend == "voikko" and ("-" in word or ":" in word):  # Voikko knows 18-vuotiaat, EU:n
        lemma = _voikko_lemma(word)
        if lemma is not None:
            return lemma
    prefix, core, _ = _split_affix(word)
    if prefix or core != word:
        if not core or core[0].isdigit() or core.endswith("-"):
            return prefix + core
        return prefix + _lemmatise_cached(core, backend, lexicon)
    if word[:1].isdigit() or word.endswith("-"):  # numbers, dates, suspended hyphen (sosiaali-)
        return word
    if backend == "snowball":
        return _snowball().stem(word)
    compound = _compound_lemma(word, lexicon, backend)
    if compound is not None:
        return compound
    if backend == "voikko":
        lemma = _voikko_lemma(word)
        if lemma is not None:
            return lemma
    return _simplemma_chain(word, lexicon)


def lemmatise(word: str, backend: str | None = None) -> str:
    """Lemma of one Finnish word (memoised per word type and backend).

    Parameters
    ----------
    word : str
        One token, ideally already normalised (:mod:`analysis.text.normalise`).
        Matching is case-insensitive; the lemma is lower case.
    backend : {"voikko", "simplemma", "snowball"}, optional
        Defaults to :func:`default_backend` (Voikko when available, else simplemma).

    Returns
    -------
    str
        The lemma. Numbers and dates come back unchanged; ``EU:n`` → ``eu``;
        hyphenated words keep their first parts (``18-vuotiaat`` → ``18-vuotias``).

    Raises
    ------
    ValueError
        For an unknown or unavailable backend.

    Examples
    --------
    >>> lemmatise("Hyvinvointialueella", backend="simplemma")
    'hyvinvointialue'
    >>> lemmatise("18-vuotiaat", backend="simplemma")
    '18-vuotias'
    """
    if backend is None:
        backend = default_backend()
    elif backend not in ("simplemma", "snowball"):
        _check_backend(backend)
    if not isinstance(word, str):
        raise TypeError(f"lemmatise expects a str, got {type(word).__name__}")
    word = word.strip().lower()
    if not word:
        return word
    return _lemmatise_cached(word, backend, load_lexicon())


def lemmatise_many(words, backend: str | None = None) -> dict[str, str]:
    """Lemmas of many words, each distinct word processed once.

    Parameters
    ----------
    words : iterable of str
    backend : str, optional

    Returns
    -------
    dict
        word → lemma, for each distinct word.
    """
    backend = backend or default_backend()
    lexicon = load_lexicon()
    out = {}
    for word in dict.fromkeys(words):
        low = word.strip().lower()
        out[word] = _lemmatise_cached(low, backend, lexicon) if low else low
    return out


def clear_cache() -> None:
    """Forget memoised lemmas (after editing the lexicon in a running session)."""
    _lemmatise_cached.cache_clear()
    _load_lexicon.cache_clear()

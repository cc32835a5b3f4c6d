"""Finnish lemmatisation behind one memoised function, with a project lexicon.

Which backend
-------------
The backend is an explicit setting, ``backend:`` in ``config/text/lemmatiser.yaml``, so every
machine that runs the README's commands gives the same lemmas. There is no automatic
switch: asking for a backend that is not installed is a :class:`~analysis.errors.ConfigError`
naming the setting. ``$JAKALA_LEMMATISER`` overrides the file explicitly (and
:func:`backend_info` records that it did). :func:`backend_info` gives the name and the
versions of the analyser, its dictionary and simplemma, for cache keys and the Methods.

Backends
--------
``"pyvoikko"`` (the default; pip only)
    Candidates from the Voikko morphological analyser as shipped on PyPI by ``pyvoikko``
    (the voikko-fi transducer, run by ``kfst``/``kfst-rs``), plus simplemma's lemma. The
    candidates follow the Universal Dependencies conventions (participles -> the verb,
    ``-minen`` nouns kept, ``-sti`` adverbs their own lemma); the choice among them uses:

    1. the project lexicon (``config/text/lexicon.tsv``, ``compounds.txt``), first;
    2. a frequency prior from the tuning halves of the UD Finnish development sets
       (``analysis/text/data/ud_fi_prior.tsv``, CC BY-SA 4.0, see its header): the
       commonest lemma of a form seen there (this is how ``paljon``, ``esimerkiksi``,
       ``näin`` stay adverbs) and, for unseen forms, the commoner lemma;
    3. fewest compound parts, -minen nouns before their verbs, agreement with simplemma,
       nouns/adjectives/pronouns/adverbs before verbs, then alphabetical.
    4. the lemma-pair table (``ud_fi_pairs.tsv``) and, for lemma pairs it never compared, the
       class-level reading table (``ud_fi_readings.tsv``; when a pair of readings was seen too
       rarely, summed over coarser word classes: nouns with adjectives, names together), both
       learned on the tuning halves, may overrule 2-3; plural-only nouns keep their plural
       lemma (``markkinat``).

    Words Voikko does not know go to the simplemma chain below.
``"voikko"`` (optional; Debian ``libvoikko1`` + ``voikko-fi`` and pip ``libvoikko``)
    The same rules with the Debian analyser (faster on cold caches; the dictionary version
    is Debian's, so lemmas may differ slightly from ``pyvoikko``).
``"simplemma"`` (pip only, no GPL code)
    :func:`simplemma.lemmatize` with ``lang="fi"``, corrected by the project files and the
    frequency prior:

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
``"snowball"``
    NLTK's Snowball Finnish stemmer (a stem, not a lemma). :func:`stem` gives the optional
    ``stem`` column.

Accuracy is measured with :mod:`analysis.text.evaluate` (README, "Finnish text").

Examples
--------
>>> [lemmatise(w, backend="simplemma") for w in ["nuorten", "tukiasunnossa", "työ", "palvelupolun"]]
['nuori', 'tukiasunto', 'työ', 'palvelupolku']
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from time import monotonic

from analysis.errors import ConfigError
from analysis.text._resources import config_file, file_signature, read_lines, read_tsv

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "Lexicon",
    "available_backends",
    "backend_info",
    "candidate_lemmas",
    "candidate_readings",
    "configured_backend",
    "default_backend",
    "is_known",
    "is_verb_form",
    "lemma_count",
    "lemmatise",
    "lemmatise_many",
    "load_lexicon",
    "stem",
    "clear_cache",
]

BACKENDS = ("pyvoikko", "voikko", "simplemma", "snowball")
DEFAULT_BACKEND = "pyvoikko"
SETTINGS_FILE = "lemmatiser.yaml"
ENV_BACKEND = "JAKALA_LEMMATISER"
LEXICON_FILE = "lexicon.tsv"
COMPOUNDS_FILE = "compounds.txt"
PRIOR_FILE = Path(__file__).with_name("data") / "ud_fi_prior.tsv"
PAIRS_FILE = Path(__file__).with_name("data") / "ud_fi_pairs.tsv"
READINGS_FILE = Path(__file__).with_name("data") / "ud_fi_readings.tsv"

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


# --------------------------------------------------------------------------- prior
@dataclass(frozen=True, eq=False)
class Prior:
    """Lemma frequencies learned from the tuning halves of the UD Finnish dev sets.

    Attributes
    ----------
    forms : dict
        form → its commonest gold lemma there.
    lemmas : dict
        lemma → count (summed over its forms).
    """

    forms: dict[str, str]
    lemmas: dict[str, int]
    rules: dict[tuple[str, str], int] = None  # type: ignore[assignment]


def edit_rule(form: str, lemma: str) -> tuple[str, str]:
    """How a lemma is made from a form: (ending removed, ending added) after their common start.

    Examples
    --------
    >>> edit_rule("vaikuttavat", "vaikuttaa"), edit_rule("talossa", "talo")
    (('vat', 'a'), ('ssa', ''))
    """
    i = 0
    for a, b in zip(form, lemma):
        if a != b:
            break
        i += 1
    return form[i:], lemma[i:]


@lru_cache(maxsize=1)
def _prior() -> Prior:
    counts: dict[str, dict[str, int]] = {}
    lemmas: dict[str, int] = {}
    for _, (form, lemma, count) in read_tsv(PRIOR_FILE, ("form", "lemma", "count"), 3):
        n = int(count)
        counts.setdefault(form, {})[lemma] = n
        lemmas[lemma] = lemmas.get(lemma, 0) + n
    forms = {f: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for f, c in counts.items()}
    rules: dict[tuple[str, str], int] = {}
    for form, by_lemma in counts.items():
        for lemma, n in by_lemma.items():
            rule = edit_rule(form, lemma)
            rules[rule] = rules.get(rule, 0) + n
    return Prior(forms=forms, lemmas=lemmas, rules=rules)


@lru_cache(maxsize=1)
def _pairs() -> dict[tuple[str, str], int]:
    """Lemma-pair preferences learned from the tuning halves (``ud_fi_pairs.tsv``):
    (winner, loser) -> how often ``winner`` was the gold lemma of a word whose Voikko
    candidates (:func:`candidate_lemmas`) included both. Empty when the file is absent."""
    if not PAIRS_FILE.is_file():
        return {}
    out: dict[tuple[str, str], int] = {}
    for _, (winner, loser, count) in read_tsv(PAIRS_FILE, ("winner", "loser", "count"), 3):
        out[(winner, loser)] = int(count)
    return out


@lru_cache(maxsize=1)
def _readings() -> dict[tuple[str, str], int]:
    """Class-level preferences learned from the tuning halves (``ud_fi_readings.tsv``):
    (winning reading, losing reading) -> how often a word's gold lemma came from the first
    (:func:`candidate_readings`) while another candidate came from the second. Empty when the
    file is absent."""
    if not READINGS_FILE.is_file():
        return {}
    out: dict[tuple[str, str], int] = {}
    for _, (winner, loser, count) in read_tsv(READINGS_FILE, ("winner", "loser", "count"), 3):
        out[(winner, loser)] = int(count)
    return out


#: Word classes merged by :func:`_coarse`: nouns and adjectives, and the kinds of names.
_COARSE_CLASS = {"nimisana": "nomini", "laatusana": "nomini", "nimisana_laatusana": "nomini",
                 "etunimi": "nimi", "sukunimi": "nimi", "paikannimi": "nimi"}


def _coarse(reading: str) -> str:
    """A reading (:func:`_reading`) with its word class coarsened (:data:`_COARSE_CLASS`):
    ``nimisana_laatusana.1p.nimento.singular.2s`` -> ``nomini.1p.nimento.singular.2s``."""
    cls, _, rest = reading.partition(".")
    return f"{_COARSE_CLASS.get(cls, cls)}.{rest}"


@lru_cache(maxsize=1)
def _coarse_readings() -> dict[tuple[str, str], int]:
    """:func:`_readings` summed over coarsened readings (:func:`_coarse`), the back-off when a
    pair of exact readings was seen too rarely (*totesi*: the past tense against an
    adjective-noun with the 2nd-person possessive, seen once, but against a noun with it 11
    times)."""
    out: dict[tuple[str, str], int] = {}
    for (winner, loser), n in _readings().items():
        key = (_coarse(winner), _coarse(loser))
        out[key] = out.get(key, 0) + n
    return out


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
    """A Debian libvoikko handle for Finnish, or None when the module or dictionary is missing."""
    try:
        import libvoikko
    except (ImportError, OSError):
        return None
    path = os.environ.get("JAKALA_VOIKKO_PATH")
    try:
        return libvoikko.Voikko("fi", path) if path else libvoikko.Voikko("fi")
    except Exception:  # libvoikko raises OSError/VoikkoException when libvoikko1 or the dictionary is absent
        return None


@lru_cache(maxsize=1)
def _pyvoikko():
    """The pyvoikko module (pure-pip Voikko), or None when it is not installed."""
    try:
        import pyvoikko
    except ImportError:
        return None
    return pyvoikko


_AVAILABLE = {
    "pyvoikko": lambda: _pyvoikko() is not None,
    "voikko": lambda: _voikko() is not None,
    "simplemma": lambda: _simplemma() is not None,
    "snowball": lambda: True,
}
_INSTALL_HINT = {
    "pyvoikko": "Install it: pip install pyvoikko kfst-rs (both are in pyproject.toml).",
    "voikko": "Install Voikko: apt-get install libvoikko1 voikko-fi && pip install libvoikko.",
    "simplemma": "Install it: pip install simplemma.",
    "snowball": "Install nltk.",
}


def available_backends() -> list[str]:
    """Backends that work on this machine (for information only: nothing switches to them).

    Examples
    --------
    >>> "simplemma" in available_backends() and "snowball" in available_backends()
    True
    """
    return [b for b in BACKENDS if _AVAILABLE[b]()]


@lru_cache(maxsize=16)
def _settings(signature: tuple) -> str:
    from analysis.config import load_yaml

    path = Path(signature[0])
    data = load_yaml(path) or {}
    if not isinstance(data, dict) or "backend" not in data:
        raise ConfigError("needs a 'backend:' setting", file=path, location="key 'backend'",
                          hint=f"Write e.g. 'backend: {DEFAULT_BACKEND}' (one of {', '.join(BACKENDS)}).")
    unknown = set(data) - {"backend"}
    if unknown:
        raise ConfigError(f"unknown setting(s) {sorted(unknown)}", file=path,
                          hint="The file holds only 'backend:'.")
    backend = str(data["backend"]).strip()
    if backend not in BACKENDS:
        raise ConfigError(f"unknown lemmatiser backend {backend!r}", file=path, location="key 'backend'",
                          hint=f"Choose one of {', '.join(BACKENDS)}.")
    return backend


def configured_backend() -> tuple[str, str]:
    """(backend, where it was set): ``$JAKALA_LEMMATISER`` if set, else ``config/text/lemmatiser.yaml``.

    Raises
    ------
    ConfigError
        For an unknown backend, naming the setting.
    """
    forced = os.environ.get(ENV_BACKEND)
    if forced:
        if forced not in BACKENDS:
            raise ConfigError(f"unknown lemmatiser backend {forced!r}", location=f"environment variable {ENV_BACKEND}",
                              hint=f"Choose one of {', '.join(BACKENDS)}, or unset it to use {SETTINGS_FILE}.")
        return forced, f"environment variable {ENV_BACKEND}"
    path = config_file(SETTINGS_FILE)
    return _settings(file_signature(path)), str(path)


def default_backend() -> str:
    """The configured backend (see :func:`configured_backend`), checked to be installed.

    Raises
    ------
    ConfigError
        When it is unknown or not installed here; the message names the setting.
    """
    backend, where = configured_backend()
    _check_backend(backend, where)
    return backend


def _check_backend(backend: str, where: str | None = None) -> None:
    if backend not in BACKENDS:
        raise ConfigError(f"unknown lemmatiser backend {backend!r}", location=where,
                          hint=f"Choose one of {', '.join(BACKENDS)}.")
    if not _AVAILABLE[backend]():
        setting = where or "the backend argument"
        raise ConfigError(f"lemmatiser backend {backend!r} (set in {setting}) is not installed here",
                          hint=_INSTALL_HINT[backend] + f" Or set 'backend:' in config/text/{SETTINGS_FILE}.")


def _version(pkg: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(pkg)
    except PackageNotFoundError:
        return "none"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.is_file() else "none"


@lru_cache(maxsize=8)
def _backend_versions(backend: str) -> tuple[tuple[str, str], ...]:
    out = {"simplemma": _version("simplemma"), "prior": _sha(PRIOR_FILE)}
    if backend in _ANALYSERS:
        out["pairs"] = _sha(PAIRS_FILE)
        out["readings"] = _sha(READINGS_FILE)
    if backend == "pyvoikko":
        mod = _pyvoikko()
        out["analyser"] = f"pyvoikko {_version('pyvoikko')} (kfst {_version('kfst')}, kfst-rs {_version('kfst-rs')})"
        out["dictionary"] = ("voikko.kfst sha256:" + _sha(Path(mod.__file__).with_name("voikko.kfst"))) if mod else "none"
    elif backend == "voikko":
        handle = _voikko()
        import libvoikko

        out["analyser"] = f"libvoikko {libvoikko.Voikko.getVersion()} (python binding {_version('libvoikko')})"
        dicts = libvoikko.Voikko.listDicts() if handle is not None else []
        out["dictionary"] = "; ".join(f"{d.language}-{d.variant}: {d.description}" for d in dicts) or "none"
        out["dictionary"] += f" (voikko-fi {_dpkg_version('voikko-fi')})"
    elif backend == "snowball":
        out = {"analyser": f"nltk {_version('nltk')} Snowball finnish"}
    else:
        out["analyser"] = f"simplemma {out['simplemma']}"
    return tuple(out.items())


def _dpkg_version(package: str) -> str:
    import shutil
    import subprocess

    if shutil.which("dpkg-query") is None:
        return "unknown"
    done = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True, check=False)
    return done.stdout.strip() or "unknown"


def backend_info(backend: str | None = None) -> dict[str, str]:
    """Name and versions of a lemmatiser backend (default: the configured one).

    For cache keys, ``ingest_report.json`` and the Methods text.

    Returns
    -------
    dict
        ``name``, ``version`` (one string naming analyser, dictionary, simplemma and the
        prior table), ``analyser``, ``dictionary`` (absent for snowball), ``simplemma``,
        ``prior`` (sha256 prefix of the frequency table), ``set_in`` (the config file or the
        environment variable).

    Examples
    --------
    >>> info = backend_info("simplemma")
    >>> info["name"], sorted(info)[:3]
    ('simplemma', ['analyser', 'name', 'prior'])
    """
    if backend is None:
        backend, where = configured_backend()
    else:
        where = "argument"
    _check_backend(backend, where)
    versions = dict(_backend_versions(backend))
    return {"name": backend, "version": "; ".join(f"{k} {v}" for k, v in versions.items()), **versions,
            "set_in": where}


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
    if backend in ("pyvoikko", "voikko"):
        out.update(_voikko_candidates(rest, backend))
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
_NOUN_LIKE = {"nimisana", "nimisana_laatusana", "laatusana", "asemosana", "seikkasana", "suhdesana", "lukusana",
              "nimi", "etunimi", "sukunimi", "paikannimi"}
_NAMES = {"nimi", "etunimi", "sukunimi", "paikannimi"}
_UNINFLECTED = {"seikkasana", "suhdesana", "sidesana", "huudahdussana"}
_TAG_SPAN = re.compile(r"\[X[a-z]\][^\[]*\[X\]")
_TAG = re.compile(r"\[[^\]]*\]")
_VERB_OF_PART = re.compile(r"\[Lt\](?:\[I[^\]]*\])*\[Xp\]([^\[]+)\[X\]")
_PARTICIPLES = {"past_active", "past_passive", "present_active", "present_passive", "agent", "negation"}


@lru_cache(maxsize=200_000)
def _analyses(word: str, backend: str) -> tuple[dict, ...]:
    """Voikko analyses of a word as dicts (Debian libvoikko or pyvoikko), memoised."""
    if backend == "voikko":
        handle = _voikko()
        return tuple(handle.analyze(word)) if handle is not None else ()
    mod = _pyvoikko()
    if mod is None:
        return ()
    # only the string fields: small dicts of atomic values the garbage collector can skip
    return tuple({k: v for k, v in a._asdict().items() if isinstance(v, str)} for a in mod.analyse(word))


def is_known(word: str, backend: str | None = None) -> bool:
    """Whether the backend's analyser (or simplemma's dictionary) knows a lower-case word form.

    Used by the spoken-Finnish rules (:mod:`analysis.text.normalise`) to accept a rewrite.

    Examples
    --------
    >>> is_known("tehdä", backend="simplemma"), is_known("tehä", backend="simplemma")
    (True, False)
    """
    name, lexicon = _current(backend)
    return _is_known_cached(word, name, lexicon)


@lru_cache(maxsize=200_000)
def _is_known_cached(word: str, backend: str, lexicon: Lexicon) -> bool:
    if word in lexicon.forms or word in _prior().forms:
        return True
    if backend in _ANALYSERS:
        return bool(_analyses(word, backend))
    return _is_known(word)


#: :func:`lemma_count` of a word the prior or the lexicon lists as a form.
LISTED = 10**9


def lemma_count(word: str, backend: str | None = None) -> int:
    """How familiar a lower-case word is: :data:`LISTED` when the project lexicon or the UD
    tuning prior lists the form itself, else how often its lemma occurs in the prior (0 for
    a lemma the tuning data never had, e.g. Voikko's rare readings of spoken forms:
    *voijaan* = voija, *lähetään* = lähetä, *kattomaan* = katto + maa). A word with a
    proper-name reading counts as listed, and so does an adverb or adposition reading that
    is the word's lemma (*ajoissa*).

    Used by the spoken-Finnish rules (:mod:`analysis.text.normalise`) to rewrite a word that
    is known only through such an unfamiliar reading.

    Examples
    --------
    >>> lemma_count("talossa") > 0
    True
    """
    name, lexicon = _current(backend)
    if word in lexicon.forms or word in _prior().forms:
        return LISTED
    if name in _ANALYSERS and any(a.get("CLASS") in _NAMES for a in _analyses(word, name)):
        return LISTED  # a proper name (Tehyn) is never taken for a spoken form
    lemma = _lemmatise_cached(word, name, lexicon)
    if lemma == word and name in _ANALYSERS and any(a.get("CLASS") in _UNINFLECTED for a in _analyses(word, name)):
        return LISTED  # nor an adverb that is its own lemma (ajoissa is no adoissa)
    return _prior().lemmas.get(lemma, 0)


def is_verb_form(word: str, backend: str | None = None) -> bool:
    """Whether the backend's analyser reads a lower-case word form as a verb (any reading).

    Used by the spoken-Finnish rules to tell the question clitic from the translative
    (``tuliks`` = tuliko, ``lopuks`` = lopuksi). Backends without an analyser
    (``simplemma``, ``snowball``) say False.

    Examples
    --------
    >>> is_verb_form("tuli", backend="simplemma")
    False
    """
    name, _ = _current(backend)
    return name in _ANALYSERS and any(a.get("CLASS") == "teonsana" for a in _analyses(word, name))


_FST_PIECE = re.compile(r"\[X([a-z])\]([^\[]*)\[X\]|\[([^\]]*)\]|([^\[]+)")


def _participle_verb(segment: str) -> str | None:
    """The verb a participle is made from, in one part of a Voikko FSTOUTPUT: the *last* verb
    of its derivation chain, not the root (``valmistelema`` -> valmistella, not valmistaa;
    ``kiristynyt`` -> kiristyä, not kiristää; ``osoittautunut`` -> osoittautua). None when the
    part has no verb (class ``[Lt]``) reading.

    Examples
    --------
    >>> _participle_verb("[Lt][Xp]kiristää[X]kirist[Xj]yä[X]y[Ll][Ru]n[Xj]yt[X][Sn][Ny]yt")
    'kiristyä'
    >>> _participle_verb("[Lt][Xp]tehdä[X]teh[Ll][Ru]n[Xj]yt[X][Sn][Ny]nyt")
    'tehdä'
    """
    if not _VERB_OF_PART.search(segment):
        return None
    cls, surface, verb = "", "", None
    for m in _FST_PIECE.finditer(segment):
        kind, content, tag, text = m.groups()
        if kind is not None:
            if cls == "Lt" and kind == "p":
                verb, surface = content, ""
            elif cls == "Lt" and kind == "j":
                verb = surface + content
        elif tag is not None:
            if tag.startswith("L"):
                cls = tag
        else:
            surface += text
    return verb


_LAST_BASE = re.compile(r"^(?:\[[^\]X]*\])*\[Xp\]([^\[]+)\[X\]")


def _compound_base(base: str, fst: str) -> str:
    """A compound's lemma with its first parts as written, where Voikko's base form rebuilt
    them: *todennäköistä* -> todennäköinen (Voikko: tosinäköinen), *turkkilaistyttö* ->
    turkkilaistyttö (Voikko: turkkilainentyttö). Only when the base form ends in the last
    part's own base and does not start with the first parts as written (so *lastenklinikka*,
    which Voikko already keeps, is unchanged), and not across a hyphen (*Ison-Britannian*:
    both parts inflect).

    Examples
    --------
    >>> _compound_base("turkkilainentyttö",
    ...     "[Lep][Xp]Turkki[X]turkki[Ll][Dg]lai[Xj]nen[X]s[Bh][Bc][Ln][Xp]tyttö[X]tyttö[Sn][Ny]")
    'turkkilaistyttö'
    """
    if "[Bc]" not in fst:
        return base
    parts = fst.split("[Bc]")
    first = "".join(_surface(p) for p in parts[:-1]).lower()
    match = _LAST_BASE.match(parts[-1])
    if not first or "-" in first or base.startswith(first) or match is None:  # Ison-Britannian: Iso-Britannia
        return base
    last = match.group(1).lower().replace("=", "")
    return first + last if base.endswith(last) and "[Xj]" not in parts[-1] else base


def _surface(segment: str) -> str:
    """The written letters of one part of a Voikko FSTOUTPUT."""
    return _TAG.sub("", _TAG_SPAN.sub("", segment))


#: (case, number) of a noun with the 3rd-person possessive that UD has as an adverb, its own
#: lemma: the plural inessive (huolissaan, iloissaan) and the essive (kokonaan, aikanaan).
_POSSESSIVE_ADVERBS = {("sisaolento", "plural"), ("olento", "singular"), ("olento", "plural")}

_CLITIC_PRONOUNS = {("joka", "kin"): "jokin", ("kuka", "kaan"): "kukaan", ("mikä", "kaan"): "mikään",
                    ("kuka", "kin"): "kukin", ("ken", "kaan"): "kukaan",
                    ("kumpi", "kin"): "kumpikin", ("kumpi", "kaan"): "kumpikaan"}
_DERIVED = re.compile(r"\[L[a-z]*\]\[Xj\]")
#: Clitics Voikko leaves out of an adverb's base form without naming them in FOCUS.
_CLITICS = frozenset({"han", "hän", "ka", "kä", "s"})  # not -pa: jopa, ehkäpä are UD lemmas


def _without_clitic(word: str, focus: str | None) -> str:
    """The word without its clitic (sinnekin -> sinne, lähelläkään -> lähellä)."""
    if not focus:
        return word
    for clitic in (focus, focus.replace("a", "ä").replace("o", "ö")):
        if word.endswith(clitic) and len(word) > len(clitic) + 1:
            return word[: -len(clitic)]
    return word


def _voikko_candidate(word: str, analysis: dict, as_verb: bool = True) -> str:
    """The lemma one Voikko analysis stands for, by UD conventions.

    * participles are lemmatised to their verb (``tehnyt``/``tehty`` -> ``tehdä``; in a
      compound the first parts are kept: ``aikaansaanut`` -> ``aikaansaada``);
    * -minen nouns are rebuilt (asumisen -> asuminen, Voikko says "asua");
    * adverbs in -sti and instructive forms are their own lemma (oikeasti, usein, paremmin;
      Voikko says "oikea", "usea", "hyvä"), as the UD tuning data have them most often, except
      a simple noun's instructive without a clitic (silmin -> silmä, tavoin -> tapa; but
      pääosin, varsinkaan); a -sti adverb loses its clitic (selvästikin -> selvästi), and so
      does an adverb whose Voikko base form is the word without -han/-ka/-s (huomennahan ->
      huomenna, mitenkä -> miten); a comparative's genitive is its positive (pahemman ->
      paha; enemmän has its own adverb reading); a simple noun with the 3rd-person
      possessive in the plural inessive or the essive (huolissaan, kokonaan, sellaisenaan),
      or a superlative one in the plural adessive (pahimmillaan), is an adverb, its own
      lemma; a nominative superlative is its positive
      (vanhin -> vanha; the -in adverbs such as usein, kovin have their own instructive
      reading, which is a second candidate);
    * a pronoun's illative in -nne is an adverb, its own lemma (minne, tuonne);
    * negative participles are adjectives (olematon);
    * ``as_verb=False`` gives a participle's own (adjective) lemma, e.g. ``seuraava``, the
      second candidate of every participle reading.
    """
    base = _compound_base(analysis.get("BASEFORM", word).lower().replace("=", "").replace("--", "-"),
                          analysis.get("FSTOUTPUT") or "")
    if analysis.get("CLASS") in ("seikkasana", "suhdesana") and not analysis.get("POSSESSIVE"):
        # UD: every adverb/adposition form is its own lemma (sinne, sieltä, alle, luona), clitic off
        stripped = _without_clitic(word, analysis.get("FOCUS"))
        if stripped == word and len(base) < len(word) and word.startswith(base) and word[len(base):] in _CLITICS:
            return base  # huomennahan, kylläpä, mitenkä: Voikko's base is the word without -han/-pa/-kä
        return stripped
    case = analysis.get("SIJAMUOTO")
    if analysis.get("CLASS") == "asemosana" and case == "sisatulento":
        stripped = _without_clitic(word, analysis.get("FOCUS"))
        if stripped.endswith("nne"):  # minne, tuonne: adverbs (UD), not the illative of mikä, tuo
            return stripped
    if case == "kerrontosti":  # oikeasti: an adverb; selvästikin -> selvästi
        return _without_clitic(word, analysis.get("FOCUS"))
    if case == "keinonto" and (analysis.get("CLASS") != "nimisana" or analysis.get("FOCUS")
                               or "[Bc]" in (analysis.get("FSTOUTPUT") or "")):
        return word  # usein, paremmin, varsinkaan, pääosin: adverbs; silmin, tavoin: the noun
    if (analysis.get("POSSESSIVE") == "3" and not analysis.get("PARTICIPLE")
            and ((case, analysis.get("NUMBER")) in _POSSESSIVE_ADVERBS
                 or (case, analysis.get("NUMBER"), analysis.get("COMPARISON")) == ("ulkoolento", "plural", "superlative"))
            and "[Bc]" not in (analysis.get("FSTOUTPUT") or "")):
        return word  # huolissaan, innoissaan, kokonaan, sellaisenaan, pahimmillaan: adverbs in UD
    if analysis.get("PARTICIPLE") == "negation":  # olematon: an adjective in UD
        return base
    if base == "ken":  # Voikko's archaic ken: kenelle -> kuka, kenenkään -> kukaan
        return "kukaan" if word.endswith(("kaan", "kään")) else "kuka"
    if analysis.get("MOOD") == "MINEN-infinitive":
        match = _MINEN.match(word)
        if match:
            return match.group(1) + "nen"
    focus = analysis.get("FOCUS")
    if focus and (base, focus) in _CLITIC_PRONOUNS:  # jotakin = jokin, not joka + -kin
        return _CLITIC_PRONOUNS[(base, focus)]
    if as_verb and analysis.get("PARTICIPLE") in _PARTICIPLES:
        parts = (analysis.get("FSTOUTPUT") or "").split("[Bc]")
        verb = _participle_verb(parts[-1])
        if verb is not None and not _DERIVED.search(parts[-1]):  # ulottuvuus is a noun, not ulottua
            return ("".join(_surface(p) for p in parts[:-1]) + verb).lower().replace("=", "")
    return base


def _voikko_candidates(word: str, backend: str = "pyvoikko") -> list[str]:
    return [_voikko_candidate(word, a) for a in _analyses(word, backend)]


def _parts(analysis: dict) -> int:
    """How many compound parts an analysis has (``[Bc]`` in FSTOUTPUT, ``=`` in STRUCTURE)."""
    if "FSTOUTPUT" in analysis and analysis["FSTOUTPUT"]:
        return analysis["FSTOUTPUT"].count("[Bc]") + 1
    return analysis.get("STRUCTURE", "").count("=")


def _voikko_key(word: str, analysis: dict, reference: str, prior: dict[str, int] | None = None,
                as_verb: bool = True, rules: dict | None = None) -> tuple:
    """Sort key of an analysis: smaller is better.

    1. fewest compound parts (``[Bc]`` in FSTOUTPUT, ``=`` in STRUCTURE);
    2. -minen nouns before the verbs they come from (ottamista -> ottaminen, not ottaa),
       unless with a possessive suffix (saamistaan -> saada: the agent participle);
    2b. no clitic before a clitic (jotakin = jokin, not joka + -kin);
    3. an adverb or adposition that is its own lemma (näin, not nähdä; pariin, not pari;
       toisin, not tuoda), before the commoner lemma;
    4. the commoner lemma in the UD tuning data (``prior``; absent lemmas count 0);
    4b. a participle's verb before its adjective lemma (UD: tehnyt -> tehdä);
    5. the lemma equal to the word itself (or to simplemma's lemma, which breaks
       ties such as nuorille = nuori/nuora, varoja = vara/varoja);
    6. agreement with simplemma;
    7. nouns, adjectives, pronouns and adverbs before verbs;
    8. the commoner way of making a lemma from a form in the UD tuning data
       (:func:`edit_rule`, e.g. ``-ssa -> ""``); then alphabetical.
    """
    lemma = _voikko_candidate(word, analysis, as_verb)
    parts = _parts(analysis)
    return (
        parts,
        analysis.get("MOOD") != "MINEN-infinitive" or bool(analysis.get("POSSESSIVE")),
        bool(analysis.get("FOCUS")),
        not (lemma == word and analysis.get("CLASS") in _UNINFLECTED),
        -(prior or {}).get(lemma, 0),
        not as_verb,
        lemma != word and lemma != reference,
        lemma != reference,
        analysis.get("CLASS") not in _NOUN_LIKE,
        -(rules or {}).get(edit_rule(word, lemma), 0),
        lemma,
    )


_READING_KEYS = ("SIJAMUOTO", "NUMBER", "POSSESSIVE", "MOOD", "PERSON", "TENSE", "PARTICIPLE", "COMPARISON")


def _reading(analysis: dict, as_verb: bool = True) -> str:
    """The class-level signature of one reading: word class and inflection, no lemma
    (``nimisana.sisatulento.singular`` for *pariin* = pari, ``seikkasana.sisatulento.singular``
    for *pariin* the adverb, ``teonsana.indicative.3.past_imperfective.singular`` for *tajusi*)."""
    out = [analysis.get("CLASS") or "?", f"{_parts(analysis)}p"] + [analysis[k] for k in _READING_KEYS if analysis.get(k)]
    if analysis.get("PARTICIPLE") in _PARTICIPLES:
        out.append("verb" if as_verb else "own")
    return ".".join(out)


def _ranked(word: str, backend: str = "pyvoikko") -> list[tuple[str, str]]:
    """The distinct candidate lemmas of a word, best first by :func:`_voikko_key`, each with
    the reading (:func:`_reading`) of its best analysis."""
    analyses = _analyses(word, backend)
    if not analyses:
        return []
    reference = _simplemma_lemma(word)
    prior = _prior()
    if any(a.get("CLASS") in ("seikkasana", "suhdesana") for a in analyses):  # väärin, oikein: the adverb,
        analyses = tuple(a for a in analyses  # not the superlative of väärä, oikea
                         if (a.get("COMPARISON"), a.get("SIJAMUOTO")) != ("superlative", "nimento")) or analyses
    options = [(a, True) for a in analyses] + [(a, False) for a in analyses if a.get("PARTICIPLE") in _PARTICIPLES]
    options.sort(key=lambda o: _voikko_key(word, o[0], reference, prior.lemmas, o[1], prior.rules))
    out: dict[str, str] = {}
    for a, as_verb in options:
        out.setdefault(_voikko_candidate(word, a, as_verb), _reading(a, as_verb))
    return list(out.items())


def _ranked_lemmas(word: str, backend: str = "pyvoikko") -> list[str]:
    """The distinct candidate lemmas of a word, best first by :func:`_voikko_key`."""
    return [lemma for lemma, _ in _ranked(word, backend)]


def candidate_lemmas(word: str, backend: str = "pyvoikko") -> list[str]:
    """Every lemma Voikko's analyses of a lower-case word stand for (UD conventions, see
    :func:`_voikko_candidate`; a participle gives its verb and its own lemma), best first
    by the fixed ranking. Empty when Voikko does not know the word.

    Examples
    --------
    >>> candidate_lemmas("seuraavan")[:2] if "pyvoikko" in available_backends() else ["seurata", "seuraava"]
    ['seurata', 'seuraava']
    """
    return _ranked_lemmas(word, backend)


def candidate_readings(word: str, backend: str = "pyvoikko") -> list[tuple[str, str]]:
    """:func:`candidate_lemmas` with the reading each stands for (word class and inflection,
    see :func:`_reading`), for the class-level preference table (:func:`_readings`).

    Examples
    --------
    >>> [r.split(".")[0] for _, r in candidate_readings("tajusi")] if "pyvoikko" in available_backends() \\
    ...     else ["teonsana", "nimisana"]
    ['teonsana', 'nimisana']
    """
    return _ranked(word, backend)


#: A reading overrules the ranking's choice only with at least this many wins in the tuning
#: data, and more than :data:`READING_RATIO` times as many wins as losses.
READING_MIN = 3
READING_RATIO = 2.0


def _voikko_lemma(word: str, backend: str = "pyvoikko") -> str | None:
    """The best candidate: the fixed ranking's first, unless another candidate beat it more
    often than it lost in the tuning data (:func:`_pairs`, e.g. ``merkittävä`` over
    ``merkitä``, ``vastata`` over ``vasta``), or, for a pair of lemmas the tuning data never
    compared, unless the other's *reading* beat the first's clearly more often
    (:func:`_readings`: a word class and inflection against another, e.g. the past tense of a
    verb against a noun with the 2nd-person possessive, *tajusi*)."""
    ranked = _ranked(word, backend)
    if not ranked:
        return None
    best, best_reading = ranked[0]
    if len(ranked) > 1:
        pairs, readings = _pairs(), _readings()
        for other, reading in ranked[1:]:
            won, lost = pairs.get((other, best), 0), pairs.get((best, other), 0)
            if not (won or lost) and reading.split(".", 1)[0] != best_reading.split(".", 1)[0]:
                won, lost = readings.get((reading, best_reading), 0), readings.get((best_reading, reading), 0)
                if won < READING_MIN or won <= READING_RATIO * lost:
                    coarse = _coarse_readings()
                    a, b = _coarse(reading), _coarse(best_reading)
                    won, lost = coarse.get((a, b), 0), coarse.get((b, a), 0)
                    if a.split(".", 1)[0] == b.split(".", 1)[0] or won < READING_MIN or won <= READING_RATIO * lost:
                        continue
            if won > lost:
                best, best_reading = other, reading
    if ".plural" in best_reading:
        return _plural_lemma(best, backend)
    return best


@lru_cache(maxsize=4)
def _plural_lemmas(backend: str) -> dict[str, str]:
    """Plural-only nouns of the tuning data: singular lemma -> the plural lemma UD gives it
    (*markkina* -> markkinat, *olosuhde* -> olosuhteet), for every gold lemma of the prior
    that Voikko reads as the nominative plural of another lemma, when the plural was the
    commoner gold lemma there (numerals left out: *tuhat* is not the plural of *tuhka*)."""
    lemmas = _prior().lemmas
    out: dict[str, str] = {}
    for plural, n in sorted(lemmas.items()):
        analyses = _analyses(plural, backend) if plural.endswith("t") and len(plural) >= 4 else ()
        if any(a.get("CLASS") == "lukusana" for a in analyses):  # tuhat is a numeral, not tuhka's plural
            continue
        for a in analyses:
            if (a.get("SIJAMUOTO"), a.get("NUMBER")) == ("nimento", "plural") and a.get("CLASS") in _NOUN_LIKE:
                single = _voikko_candidate(plural, a)
                if single != plural and n > lemmas.get(single, 0):
                    out.setdefault(single, plural)
    return out


def _plural_lemma(lemma: str, backend: str) -> str:
    """A plural-only noun's plural lemma (:func:`_plural_lemmas`), also as the last part of
    a compound (*sisämarkkinoilla* -> sisämarkkinat); else, when Voikko does not know the
    singular lemma as a word at all (*hää*, *avajainen*, *bikini*), the nominative plural
    it knows (:func:`_unknown_singular_plural`); else the lemma."""
    table = _plural_lemmas(backend)
    if lemma in table:
        return table[lemma]
    for i in range(3, len(lemma) - 3):
        head = table.get(lemma[i:])
        if head is not None:
            return lemma[:i] + head
    return _unknown_singular_plural(lemma, backend) or lemma


def _unknown_singular_plural(lemma: str, backend: str) -> str | None:
    """The nominative plural of a noun whose singular Voikko cannot analyse (a plural-only
    entry of its dictionary: *hää* -> häät, *avajainen* -> avajaiset, *bikini* -> bikinit):
    ``lemma + t`` or, for ``-nen``, ``-set``, when Voikko reads that as the nominative plural
    of the lemma. None when the singular is a known word or no such plural is found."""
    if len(lemma) < 3 or lemma in _prior().lemmas or _analyses(lemma, backend):
        return None  # a lemma of the tuning data is decided by _plural_lemmas (and is fast)
    options = [lemma[:-3] + "set"] if lemma.endswith("nen") else [lemma + "t"]
    for option in options:
        if any((a.get("SIJAMUOTO"), a.get("NUMBER")) == ("nimento", "plural")
               and a.get("BASEFORM", "").lower().replace("=", "") == lemma for a in _analyses(option, backend)):
            return option
    return None


_CASE_FORM = re.compile(r"(?:lla|llä|ssa|ssä|sta|stä|lta|ltä|lle|na|nä|([aeiouyäö])\1n)$")
_POSSESSIVE = re.compile(r"^(.{3,}?)(?:ni|mme|nne|nsa|nsä)$|^(.{3,}([aeiouyäö]))\3n$")


def _possessive_adverb(word: str, backend: str) -> str | None:
    """An adverb or adposition with a possessive suffix, as UD lemmatises it: the form of the
    tuning data that is its own lemma, either without the suffix (*mukanaan* -> mukana,
    *edellään* -> edellä, *peräänsä* -> perään) or with the 3rd-person one (*mielellämme* ->
    mielellään, *varuillamme* -> varuillaan). Only for words Voikko reads with a possessive
    suffix (not -si, the past tense: *vastasi*) whose rest ends in a local case, the essive or
    the illative (so *vikansa* = vika + -nsa stays a noun). None otherwise."""
    match = _POSSESSIVE.match(word)
    if match is None or not any(a.get("POSSESSIVE") for a in _analyses(word, backend)):
        return None
    stem = match.group(1) or match.group(2)
    if not _CASE_FORM.search(stem):  # vikansa is vika + -nsa, not the adverb vikaan; vastasi a verb
        return None
    forms = _prior().forms
    for option in (stem + stem[-1] + "n", stem):
        if option != word and forms.get(option) == option:
            return option
    return None


_CLITIC_END = re.compile(r"^(.{3,}?)(?:kin|kaan|kään|han|hän)$")


def _clitic_adverb(word: str, backend: str) -> str | None:
    """A word with a clitic whose rest is a form the tuning data have as its own lemma, an
    adverb (*kotonakin* -> kotona, *varmaankin* -> varmaan, *todellakaan* -> todella; Voikko
    reads them as nouns + clitic: koto, varma, tosi). Not when a Voikko candidate is the word
    itself (*varsinkaan*, an instructive adverb with its clitic). None otherwise."""
    match = _CLITIC_END.match(word)
    if match is None:
        return None
    rest = match.group(1)
    if _prior().forms.get(rest) != rest or word in _voikko_candidates(word, backend):
        return None
    return rest


# --------------------------------------------------------------------------- unknown words
_CASE_ENDINGS = "lle|ssa|ssä|sta|stä|lla|llä|lta|ltä|na|nä|ksi|n|a|ä"
_GUESS = (
    (re.compile(rf"^(.{{3,}}[aeiouyäö])ks(?:e(?:{_CASE_ENDINGS}|en)|i(?:a|ä|in|ssa|ssä|sta|stä|lle|lla|llä|lta|ltä))$"),
     "s"),                                                                     # iglesiaksen -> iglesias
    (re.compile(r"^(.{3,}[^aeiouyäö])ee(?:n|seen|lle|lla|llä|lta|ltä|ssa|ssä|sta|stä|ksi|na|nä)$"),
     "es"),                                                                    # simonideelle -> simonides
    (re.compile(rf"^(.{{2,}}[^aeiouyäö'])i(?:{_CASE_ENDINGS}|in)$"), ""),     # leafin -> leaf, theronille -> theron
    (re.compile(r"^(.{2,}([aeiouyäö]))\2n$"), ""),                            # johnnyyn -> johnny (illative)
    (re.compile(r"^(.{2,}([aeiouyäö]))\2$"), ""),                             # hypatiaa -> hypatia (partitive)
    (re.compile(r"^(.{3,}[aeiouyäö])(?:lle|ssa|ssä|sta|stä|lla|llä|lta|ltä|ksi|n)$"), ""),  # hypatian -> hypatia
    (re.compile(r"^(.{3,}(?:a(?=na$)|ä(?=nä$)))n[aä]$"), ""),             # hiekottajana -> hiekottaja (essive)
)


_MIN_TAIL = 5  # shortest last part of an unknown compound (:func:`_unknown_compound`)


def _unknown_compound(word: str, backend: str) -> str | None:
    """A word Voikko does not know, split before its longest last part that Voikko knows (at
    least :data:`_MIN_TAIL` letters, its lemma at least three), when the first part is a word
    too and neither is only a name: the first part as written and the last part's lemma
    (*takaisintuontiin* -> takaisintuonti, *astumataudista* -> astumatauti; not
    *showroomilla*: *roomilla* is only Rooma). None when there is no such split."""
    for i in range(3, len(word) - _MIN_TAIL + 1):
        rest = word[i:]
        tail = _analyses(rest, backend)
        if tail:
            head = _analyses(word[:i], backend)
            if not _common_word(head) or not _common_word(tail):
                return None
            lemma = _voikko_lemma(rest, backend)
            return word[:i] + lemma if lemma and len(lemma) >= 3 else None
    return None


def _common_word(analyses: tuple[dict, ...]) -> bool:
    """Whether some analysis is not a proper name."""
    return any(a.get("CLASS") not in _NAMES for a in analyses)


def _guess_unknown(word: str) -> str | None:
    """A lemma for a word neither Voikko nor simplemma knows (mostly foreign names with
    Finnish case endings): strip the case ending by the patterns of :data:`_GUESS`, or None."""
    if word.endswith(("tion", "sion")):  # collection, liberation: a foreign nominative, not a genitive
        return None
    for pattern, add in _GUESS:
        match = pattern.match(word)
        if match:
            return match.group(1) + add
    return None


# --------------------------------------------------------------------------- public
_ANALYSERS = ("pyvoikko", "voikko")


def _split_affix(word: str) -> tuple[str, str, str]:
    """(prefix kept as is, part to lemmatise, suffix) for EU:n, 18-vuotiaat, Jäkälä-hanke,
    touko-/kesäkuun."""
    if ":" in word:  # EU:n, 2024:n -> EU, 2024
        return "", word.split(":", 1)[0], ""
    if "-" in word or "/" in word:  # touko-/kesäkuun: the part after the last hyphen or slash
        head_start = max(word.rfind("-"), word.rfind("/")) + 1
        return word[:head_start], word[head_start:], ""
    return "", word, ""


_DIGIT = re.compile(r"\d")


@lru_cache(maxsize=None)
def _lemmatise_cached(word: str, backend: str, lexicon: Lexicon) -> str:
    if ("–" in word or "—" in word) and not _DIGIT.search(word):  # a dash joins words like a hyphen
        return _lemmatise_cached(word.replace("–", "-").replace("—", "-"), backend, lexicon)  # (not 2007–2013)
    if word in lexicon.forms:
        return lexicon.forms[word]
    if backend != "snowball":
        seen = _prior().forms.get(word)
        if seen is not None:
            return seen
    if backend in _ANALYSERS and ("-" in word or ":" in word):  # Voikko knows 18-vuotiaat, EU:n
        lemma = _voikko_lemma(word, backend)
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
    if backend in _ANALYSERS:
        adverb = _possessive_adverb(word, backend) or _clitic_adverb(word, backend)
        if adverb is not None:
            return adverb
        lemma = _voikko_lemma(word, backend)
        if lemma is not None:
            return lemma
        if not _is_known(word):  # unknown to both: a compound of known words, a case ending stripped,
            guess = _unknown_compound(word, backend) or _guess_unknown(word)  # or the word itself
            return guess if guess is not None else word
    return _simplemma_chain(word, lexicon)


class _Current:
    """The configured backend and lexicon, re-checked cheaply.

    The resolved file paths are kept per (``$JAKALA_TEXT_CONFIG``, ``$JAKALA_LEMMATISER``,
    working folder); the three files (``lexicon.tsv``, ``compounds.txt``,
    ``lemmatiser.yaml``) are ``stat``-ed again at most once per :data:`RECHECK_S` seconds, so
    an edit is picked up by the next call a second later (or at once after
    :func:`clear_cache`) without the cost of locating the files on every word.
    """

    key: tuple | None = None
    paths: tuple[str, str, str] = ("", "", "")
    stats: tuple = ()
    checked: float = 0.0
    backend: str = ""
    error: ConfigError | None = None
    lexicon: Lexicon | None = None


RECHECK_S = 1.0


def _stat(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_mtime_ns, st.st_size


def _current(backend: str | None) -> tuple[str, Lexicon]:
    cur = _Current
    environ = os.environ
    key = (environ.get("JAKALA_TEXT_CONFIG"), environ.get(ENV_BACKEND))
    now = monotonic()
    if cur.key is None or key != cur.key[:2] or now - cur.checked > RECHECK_S:
        _refresh(key, now)
    if backend is None:
        if cur.error is not None:
            raise cur.error
        return cur.backend, cur.lexicon
    if backend == cur.backend:
        return cur.backend, cur.lexicon
    _check_cached(backend)
    return backend, cur.lexicon


def _refresh(key: tuple, now: float) -> None:
    cur = _Current
    full_key = (*key, os.getcwd())
    try:
        if full_key != cur.key or tuple(_stat(p) for p in cur.paths) != cur.stats:
            raise LookupError
    except (LookupError, OSError):
        lex_path, comp_path = config_file(LEXICON_FILE), config_file(COMPOUNDS_FILE)
        cur.key = None
        cur.lexicon = load_lexicon(lex_path, comp_path)
        try:
            settings = config_file(SETTINGS_FILE) if not os.environ.get(ENV_BACKEND) else lex_path
            cur.backend, cur.error = default_backend(), None
        except ConfigError as exc:  # raised when the configured backend is needed, not before
            settings, cur.backend, cur.error = lex_path, "", exc
        cur.paths = (str(lex_path), str(comp_path), str(settings))
        cur.stats = tuple(_stat(p) for p in cur.paths)
    cur.key = full_key
    cur.checked = now


@lru_cache(maxsize=8)
def _check_cached_ok(backend: str) -> bool:
    _check_backend(backend)
    return True


def _check_cached(backend: str) -> None:
    if backend not in BACKENDS or not _AVAILABLE[backend]():
        _check_backend(backend)
    _check_cached_ok(backend)


def lemmatise(word: str, backend: str | None = None) -> str:
    """Lemma of one Finnish word (memoised per word type and backend).

    Parameters
    ----------
    word : str
        One token, ideally already normalised (:mod:`analysis.text.normalise`).
        Matching is case-insensitive; the lemma is lower case.
    backend : {"pyvoikko", "voikko", "simplemma", "snowball"}, optional
        Defaults to the configured backend (:func:`default_backend`).

    Returns
    -------
    str
        The lemma. Numbers and dates come back unchanged; ``EU:n`` → ``eu``;
        hyphenated words keep their first parts (``18-vuotiaat`` → ``18-vuotias``).

    Raises
    ------
    ConfigError
        For an unknown or uninstalled backend (naming the setting).

    Examples
    --------
    >>> lemmatise("Hyvinvointialueella", backend="simplemma")
    'hyvinvointialue'
    >>> lemmatise("18-vuotiaat", backend="simplemma")
    '18-vuotias'
    """
    if not isinstance(word, str):
        raise TypeError(f"lemmatise expects a str, got {type(word).__name__}")
    name, lexicon = _current(backend)
    word = word.strip().lower()
    if not word:
        return word
    return _lemmatise_cached(word, name, lexicon)


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
    name, lexicon = _current(backend)
    out = {}
    cached = _lemmatise_cached
    for word in dict.fromkeys(words):
        low = word.strip().lower()
        out[word] = cached(low, name, lexicon) if low else low
    return out


def clear_cache() -> None:
    """Forget memoised lemmas and settings (the next call starts cold)."""
    _lemmatise_cached.cache_clear()
    _is_known_cached.cache_clear()
    _analyses.cache_clear()
    _pairs.cache_clear()
    _readings.cache_clear()
    _coarse_readings.cache_clear()
    _plural_lemmas.cache_clear()
    from analysis.text.normalise import normalise_cached

    normalise_cached.cache_clear()
    _load_lexicon.cache_clear()
    _settings.cache_clear()
    _Current.key = None

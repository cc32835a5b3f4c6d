"""Spoken Finnish to standard written forms, from an editable table.

The table ``config/text/spoken_forms.tsv`` maps lower-cased spoken forms to one or more
standard words (``mä → minä``, ``oon → olen``, ``niinku → niin kuin``). It is applied to
tokens *before* lemmatisation, so that ``mä`` and ``minä`` count as the same lemma.
A row may name previous words after which it is not applied (``et`` is ``että`` except
after ``sä``/``sinä``, where it is the negation verb).

Words the table does not list go through general rules for the regular patterns of spoken
Finnish (:func:`spoken_candidates`): d-loss (``tehä``, ``yhen``), ``-nu/-ny`` participles
(``tullu``), vowel assimilation (``kattoo``, ``semmonen``, ``vaikee``), clitics (``onks``,
``pärjääks``), passive ``-ii`` (``mentii``), conditional ``-is`` (``pitäis``, ``tehtäis``) and
shortened cases (``meil``, ``siel``, ``töis``). A rewrite is accepted only when the word as
written is unknown to the lemmatiser's analyser and the rewrite is known
(:func:`analysis.text.lemmatise.is_known`), so standard words are never changed. Competing
rules are ordered by grammar: final-n loss only after a long vowel (``tehä`` is ``tehdä``, not
``te`` + ``-hän``); ``-ks`` is the question clitic after a verb form (``tuliks`` -> ``tuliko``,
:func:`analysis.text.lemmatise.is_verb_form`) and ``-ksi`` otherwise (``lopuks``); a clitic
``-kin/-kaan/-han`` is split off and the rest normalised before the weak rules (``mäkin`` ->
``minäkin``). The token as written is always kept beside its normalised form (``token`` and
``normalised`` columns of the tokens table).

Examples
--------
>>> normalise_tokens(["Mä", "oon", "niinku", "sit", "kattonu", "et", "sä", "et", "tuu"])
['minä', 'olen', 'niin', 'kuin', 'sitten', 'katsonut', 'että', 'sinä', 'et', 'tule']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

from analysis.errors import ConfigError
from analysis.text._resources import config_file, file_signature, read_tsv

__all__ = ["SpokenForms", "load_spoken_forms", "normalise_token", "normalise_tokens", "normalise_word",
           "spoken_candidates", "sound_change_candidates", "normalise_cached"]

DEFAULT_FILE = "spoken_forms.tsv"


@dataclass(frozen=True, eq=False)  # hashed by identity: one object per file version
class SpokenForms:
    """A loaded normalisation table.

    Attributes
    ----------
    forms : dict
        spoken form → tuple of standard words.
    except_after : dict
        spoken form → frozenset of previous words (spoken or standard) that block it.
    path : Path
        The file it came from.
    """

    forms: dict[str, tuple[str, ...]]
    except_after: dict[str, frozenset[str]]
    path: Path

    def __len__(self) -> int:
        return len(self.forms)

    def lookup(self, token: str, previous: str | None = None) -> tuple[str, ...]:
        """Standard form(s) of one token (lower-cased), given the previous token."""
        low = token.lower()
        standard = self.forms.get(low)
        if standard is None:
            return (low,)
        if previous is not None and previous.lower() in self.except_after.get(low, ()):
            return (low,)
        return standard


@lru_cache(maxsize=8)
def _load(signature: tuple[str, int, int]) -> SpokenForms:
    path = Path(signature[0])
    forms: dict[str, tuple[str, ...]] = {}
    blockers: dict[str, frozenset[str]] = {}
    for number, (spoken, standard, after) in read_tsv(path, ("spoken", "standard", "except_after"), 2):
        spoken = spoken.lower()
        if " " in spoken:
            raise ConfigError(
                f"spoken form {spoken!r} has a space; only single tokens can be normalised",
                file=path,
                location=f"line {number}",
                hint="Write the spoken form as one word (e.g. 'niinku'); the standard side may have several words.",
            )
        if spoken in forms:
            raise ConfigError(
                f"spoken form {spoken!r} appears twice",
                file=path,
                location=f"line {number}",
                hint="Keep one row per spoken form; put all blocking previous words in its except_after column.",
            )
        forms[spoken] = tuple(standard.lower().split())
        if after:
            blockers[spoken] = frozenset(after.lower().split())
    return SpokenForms(forms=forms, except_after=blockers, path=path)


def load_spoken_forms(path: str | Path | None = None) -> SpokenForms:
    """Read the normalisation table (cached; re-read when the file changes).

    Parameters
    ----------
    path : str or Path, optional
        A TSV with columns ``spoken``, ``standard`` and optional ``except_after``.
        Defaults to ``config/text/spoken_forms.tsv``.

    Returns
    -------
    SpokenForms

    Raises
    ------
    ConfigError
        If the file is missing or a row is malformed (names file and line).

    Examples
    --------
    >>> load_spoken_forms().forms["niinku"]
    ('niin', 'kuin')
    """
    return _load(file_signature(config_file(path or DEFAULT_FILE)))


# --------------------------------------------------------------------------- rules
_VOWELS = "aeiouyäö"
_BACK = re.compile("[aou]")
_SUCH = (("semmo", "sellai"), ("tämmö", "tällai"), ("tommo", "tuollai"), ("mimmo", "millai"), ("sellane", "sellaine"),
         ("tällane", "tällaine"), ("millane", "millaine"))
_TO_BACK = str.maketrans("äöy", "aou")
_NEN = re.compile(r"^(.{2,}[aäoöuy])(nen|s(?:ta|tä|en|et|ia|iä|ten|een|eksi|ella|ellä|elle|essa|essä))$")
_DIPHTHONG_D = (("iiä", "iedä"), ("iia", "ieda"), ("iie", "iede"), ("uua", "uoda"), ("yyä", "yödä"))
_UIS = re.compile(r"^(.{2,}[uy])is(in|it|i|imme|itte|ivat|ivät)?$")
_SUCH_PREFIXES = ("semmo", "tämmö", "tommo", "mimmo")
_SUCH_STANDARD = ("sellai", "tällai", "tuollai", "millai")


def _harmony(word: str, back: str, front: str) -> str:
    return back if _BACK.search(word) else front


def spoken_candidates(word: str) -> list[str]:
    """Standard forms a spoken word could stand for, by rule, most likely first.

    Each rule undoes one regular pattern of spoken Finnish; :func:`normalise_word` keeps
    the first candidate the analyser knows.

    Examples
    --------
    >>> "pitäisi" in spoken_candidates("pitäis")
    True
    >>> "tehdä" in spoken_candidates("tehä")
    True
    """
    w = word
    a = _harmony(w, "a", "ä")
    o = _harmony(w, "o", "ö")
    out: list[str] = []
    add = out.append
    # clitics: onks -> onko, pärjääks -> pärjääkö; ainaki -> ainakin; -ks as a shortened -ksi
    # (-ksi first: a noun or adverb + -ksi is known as such, a verb + -ksi almost never is:
    # lopuks -> lopuksi, not lopu; miks -> miksi; onks -> onko)
    if w.endswith("ks") and len(w) > 3:
        add(w + "i")
        add(w[:-2] + "k" + o)
        add(w[:-2])
    if w.endswith("ki") and len(w) > 4:
        add(w + "n")
    # conditional: tehtäis -> tehtäisiin (passive), pitäis -> pitäisi
    if w.endswith(("ttäis", "ttais", "täis", "tais")):
        add(w + "iin")
    if w.endswith("is") and len(w) > 3:
        add(w + "i")
    # the stem vowel of -ua/-yä verbs dropped before -is: haluis -> haluaisi, haluisin -> haluaisin
    match = _UIS.match(w)
    if match:
        add(match.group(1) + a + "is" + (match.group(2) or "i"))
    # passive and illative final-n loss, after a long vowel only: mentii -> mentiin,
    # mennää -> mennään, kotii -> kotiin (tehä is tehdä, not te + -hän)
    if len(w) > 2 and w[-1] in _VOWELS and w[-2] == w[-1]:
        add(w + "n")
    # -nu/-ny (-lu, -ssy ...) participles: tullu -> tullut
    if w[-1:] in "uy" and len(w) > 3:
        add(w + "t")
    # shortened adessive/ablative/inessive/elative: meil -> meillä, kaverilt -> kaverilta, töis -> töissä
    if w.endswith("l") and len(w) > 2:
        add(w + "l" + a if not w.endswith("ll") else w + a)
    if w.endswith("lt"):
        add(w + a)
    if w.endswith("st"):
        add(w + a)
    if w.endswith("s") and len(w) > 3:
        add(w + "s" + a)
    # such-words: semmonen -> sellainen, tämmöstä -> tällaista
    for spoken, standard in _SUCH:
        if w.startswith(spoken):
            rest = w[len(spoken):]
            rest = rest[1:] if rest[:1] in "ia" else rest
            add(standard + rest.translate(_TO_BACK).replace("ii", "ia"))  # semmosii -> sellaisia
            add(standard + rest.translate(_TO_BACK))
    # -nen adjectives lose their i: punanen -> punainen, erilasta -> erilaista, tavallisen stays
    match = _NEN.match(w)
    if match:
        add(match.group(1) + "i" + match.group(2))
    # ts -> tt: kattoo -> katsoo, mettässä -> metsässä
    if "tt" in w:
        i = w.find("tt")
        add(w[:i] + "ts" + w[i + 2:])
    # vowel assimilation: vaikee -> vaikea, tärkee -> tärkeä, ihmisii -> ihmisiä, juttui -> juttuja
    for pair, repl in (("ee", "e" + a), ("oo", "o" + a), ("öö", "ö" + a), ("ii", "i" + a)):
        i = w.rfind(pair)
        if i > 0:
            add(w[:i] + repl + w[i + 2:])
    if w[-2:] in ("ui", "yi", "oi", "öi", "ei"):  # tyyppei -> tyyppejä
        add(w[:-1] + "j" + a)
    # d-loss: tehä -> tehdä, yhen -> yhden, tieän -> tiedän, voijaan -> voidaan
    for i in range(1, len(w)):
        if w[i] in _VOWELS and (w[i - 1] in _VOWELS or w[i - 1] == "h"):
            if w[i - 1] != w[i]:
                add(w[:i] + "d" + w[i:])
    for i in range(1, len(w) - 1):
        if w[i] == "j" and w[i - 1] in _VOWELS and w[i + 1] in _VOWELS:
            add(w[:i] + "d" + w[i + 1:])
    if "uue" in w:  # vuuen -> vuoden
        add(w.replace("uue", "uode", 1))
    for spoken, standard in _DIPHTHONG_D:  # a diphthong made long by d-loss: tiiät -> tiedät, viiään -> viedään
        if spoken in w:
            add(w.replace(spoken, standard, 1))
    # final vowel drop (last: the weakest rule): asioit -> asioita
    if w[-1:] not in _VOWELS:
        add(w + a)
        add(w + "i")
    return list(dict.fromkeys(c for c in out if c != w))


#: Smallest :func:`analysis.text.lemmatise.lemma_count` of a rewrite that replaces a word
#: known only through an unfamiliar reading (see :func:`normalise_word`).
FAMILIAR_MIN = 1


def sound_change_candidates(word: str) -> list[str]:
    """The rewrites of :func:`spoken_candidates` that undo a sound change inside the word:
    d-loss (``voijaan`` -> ``voidaan``, ``lähetään`` -> ``lähdetään``), ``ts`` -> ``tt``
    (``kattomaan`` -> ``katsomaan``) and the stem vowel lost before the conditional
    (``haluisin`` -> ``haluaisin``), not the changed or dropped endings. Only these may
    replace a word the analyser knows through an unfamiliar reading (:func:`normalise_word`):
    an ending rule would turn rare standard words into common ones (yksin -> yksinä).

    Examples
    --------
    >>> sound_change_candidates("voijaan")
    ['voidaan']
    """
    w = word
    out: list[str] = []
    match = _UIS.match(w)  # the stem vowel lost before the conditional: haluisin -> haluaisin
    if match:
        out.append(match.group(1) + _harmony(w, "a", "ä") + "is" + (match.group(2) or "i"))
    if "tt" in w:
        i = w.find("tt")
        out.append(w[:i] + "ts" + w[i + 2:])
    for i in range(1, len(w)):  # not inside a diphthong: häistä is no hädistä, toistetaan no todistetaan
        if (w[i] in _VOWELS and w[i - 1] != w[i]
                and (w[i - 1] == "h" or (w[i - 1] in _VOWELS and w[i] not in "iuy"))):
            out.append(w[:i] + "d" + w[i:])
    for i in range(1, len(w) - 1):
        if w[i] == "j" and w[i - 1] in _VOWELS and w[i + 1] in _VOWELS:
            out.append(w[:i] + "d" + w[i + 1:])
    return list(dict.fromkeys(c for c in out if c != w))


def normalise_word(word: str, table: SpokenForms, known: Callable[[str], bool],
                   verb: Callable[[str], bool] | None = None,
                   familiar: Callable[[str], int] | None = None) -> tuple[str, ...]:
    """Standard form(s) of one lower-case word without context: the table, then the rules.

    Parameters
    ----------
    word : str
        Lower case.
    table : SpokenForms
    known : callable
        word -> bool: whether the lemmatiser's analyser knows the form
        (e.g. :func:`analysis.text.lemmatise.is_known`).
    verb : callable, optional
        word -> bool: whether the analyser reads the form as a verb
        (:func:`analysis.text.lemmatise.is_verb_form`). A word in ``-ks`` whose rest is a
        verb form is a question first (``tuliks`` -> ``tuliko``, not the translative
        ``tuliksi``); otherwise ``-ksi`` comes first (``lopuks`` -> ``lopuksi``).
    familiar : callable, optional
        word -> int (:func:`analysis.text.lemmatise.lemma_count`): how often the word's lemma
        occurs in the UD tuning data. A known word whose lemma never occurs there is
        rewritten all the same when a rule gives a known form whose lemma does occur
        (at least :data:`FAMILIAR_MIN` times): *voijaan* (Voikko: the noun *voija*) ->
        *voidaan*, *kattomaan* (*katto* + *maa*) -> *katsomaan*.

    Returns
    -------
    tuple of str
        The table's standard form(s); else the first rule rewrite that is known (looked up
        in the table again, so ``mul`` -> ``mulla`` -> ``minulla``); else the word itself.
        A word the analyser knows is not rewritten, unless only through an unfamiliar
        reading (``familiar``).
    """
    standard = table.forms.get(word)
    if standard is not None:
        return standard
    if len(word) < 3 or not word.isalpha():
        return (word,)
    first = spoken_candidates(word)
    if word.endswith("ks") and verb is not None and len(word) > 3 and verb(word[:-2]):
        question = word[:-2] + "k" + _harmony(word, "o", "ö")
        first = [question] + [c for c in first if c != question]
    if word.startswith(_SUCH_PREFIXES):  # semmoinen is in the dictionary, but it is sellainen
        for cand in first:
            if cand.startswith(_SUCH_STANDARD) and known(cand):
                return (cand,)
    if known(word):
        if familiar is None or familiar(word) > 0:
            return (word,)
        # known only through a reading the tuning data never had (voijaan = voija, lähetään =
        # lähetä, kattomaan = katto + maa): a rule rewrite whose lemma is familiar wins
        for cand in sound_change_candidates(word):
            if cand not in table.forms and known(cand) and familiar(cand) >= FAMILIAR_MIN:
                return (cand,)
        return (word,)
    clitic = _with_clitic(word, table, known)  # before the weak rules: mäkin is minäkin, not mäkinä
    if clitic is not None:
        return clitic
    for cand in first:
        if cand in table.forms:
            return table.forms[cand]
        if known(cand):
            return (cand,)
    for step in first[:3]:  # two patterns at once: tiiäks -> tiiä -> tiedä (first rules only, for speed)
        for cand in spoken_candidates(step):
            if cand in table.forms:
                return table.forms[cand]
            if known(cand):
                return (cand,)
    return (word,)


_CLITICS = ("kin", "kaan", "kään", "han", "hän")


def _with_clitic(word: str, table: SpokenForms, known: Callable[[str], bool]) -> tuple[str, ...] | None:
    """A spoken word with a clitic: the rest normalised (table, then one rule), the clitic put
    back, kept when the whole is known (kotonkin -> kotonakin, mullakin -> minullakin)."""
    for clitic in _CLITICS:
        if word.endswith(clitic) and len(word) >= len(clitic) + 2:
            rest = word[: -len(clitic)]
            standard = table.forms.get(rest)
            options = [standard[0]] if standard is not None and len(standard) == 1 else []
            options += spoken_candidates(rest) if standard is None else []
            for cand in options:
                if known(cand + clitic):
                    return (cand + clitic,)
            return None
    return None


@lru_cache(maxsize=200_000)
def normalise_cached(word: str, table: SpokenForms, backend: str) -> tuple[str, ...]:
    """:func:`normalise_word` with the lemmatiser ``backend``'s analyser as ``known``, memoised
    (the tokens table calls this once per distinct word type)."""
    from analysis.text.lemmatise import is_known, is_verb_form, lemma_count

    return normalise_word(word, table, lambda w: is_known(w, backend), lambda w: is_verb_form(w, backend),
                          lambda w: lemma_count(w, backend))


def _default_known(word: str) -> bool:
    from analysis.text.lemmatise import is_known

    return is_known(word)


def _default_verb(word: str) -> bool:
    from analysis.text.lemmatise import is_verb_form

    return is_verb_form(word)


def _default_familiar(word: str) -> int:
    from analysis.text.lemmatise import lemma_count

    return lemma_count(word)


def normalise_token(token: str, previous: str | None = None, *, table: SpokenForms | None = None) -> tuple[str, ...]:
    """Standard form(s) of one spoken token, lower-cased.

    Parameters
    ----------
    token : str
        A token as written.
    previous : str, optional
        The previous token (as written or normalised), for ``except_after`` rules.
    table : SpokenForms, optional
        Defaults to :func:`load_spoken_forms`.

    Returns
    -------
    tuple of str
        One or more standard words; the lower-cased token if the table lacks it.

    Examples
    --------
    >>> normalise_token("Mulle")
    ('minulle',)
    >>> normalise_token("et", previous="sä")
    ('et',)
    """
    table = table or load_spoken_forms()
    low = token.lower()
    if low in table.forms:
        return table.lookup(low, previous)
    return normalise_word(low, table, _default_known, _default_verb, _default_familiar)


def normalise_tokens(tokens: list[str], *, table: SpokenForms | None = None) -> list[str]:
    """Normalise a token sequence; multi-word standard forms become several tokens.

    Parameters
    ----------
    tokens : list of str
        Tokens of one segment in order.
    table : SpokenForms, optional

    Returns
    -------
    list of str
        Lower-cased standard tokens (may be longer than ``tokens``).
    """
    table = table or load_spoken_forms()
    out: list[str] = []
    previous: str | None = None
    for token in tokens:
        low = token.lower()
        if low in table.forms:
            standard = table.lookup(low, previous)
        else:
            standard = normalise_word(low, table, _default_known, _default_verb, _default_familiar)
        out.extend(standard)
        previous = low
    return out

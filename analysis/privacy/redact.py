"""Identifier detection and redaction in free text (transcripts, diaries, open answers).

Replacements are marked in brackets, as the Finnish Social Science Data Archive (FSD)
recommends for anonymised qualitative data:

==================  ====================================================  ==================
kind                what                                                  replacement
==================  ====================================================  ==================
``hetu``            valid personal identity codes (any century sign)      ``[henkilötunnus]``
``email``           e-mail addresses, also ``nimi(at)domain.fi``           ``[sähköposti]``
``phone``           Finnish phone numbers, mobile and landline, +358      ``[puhelinnumero]``
``address``         street addresses (``Valtakatu 5 B 12``)               ``[osoite]``
``name``            names in the pseudonym key, inflected forms included  ``[Nuori 2]`` / ``[nimi]``
==================  ====================================================  ==================

Names are matched whatever their case (``Aino``, ``AINO KORHONEN``, ``korhoselle``,
``SANNALLE``), except that a lower-case word is left alone when the name is also a
common Finnish word (:data:`COMMON_WORD_NAMES`: *aino* "only", *mäki* "hill", *onni*
"luck"), and inside file names and identifiers: ``_``, ``-`` and ``.`` separate words
and so does a camel-case step (``haastatteluAinoKorhonen``). Finnish inflection: stems are
generated for *-nen* surnames (Korhonen → Korhose-/Korhos-), consonant gradation
(Mäki → Mäe-, Lahti → Lahde-, Pekka → Peka-), *i → e* stems, *-s* names
(Tuomas → Tuomakse-) and consonant-final loan names (Niklas → Niklasi-), followed by
any Finnish case ending, plural case ending, possessive suffix or clitic.

Existing bracketed replacement marks (``[nimi poistettu]``, ``[Nuori 2]``,
``[puhelinnumero]``) are left as they are, so redacting twice changes nothing.

Examples
--------
>>> redact_text("Soita Ainolle 040 123 4567.", key={"Aino": "Nuori 2"}).text
'Soita [Nuori 2] [puhelinnumero].'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Mapping, NamedTuple

from analysis.privacy.hetu import find_hetus

if TYPE_CHECKING:  # pragma: no cover
    from analysis.privacy.keys import PseudonymKey

__all__ = [
    "KINDS",
    "LABELS",
    "Match",
    "Replacement",
    "RedactionResult",
    "Redactor",
    "redact_text",
    "name_stems",
    "find_phones",
    "find_emails",
    "find_addresses",
]

#: Detector kinds in priority order (an earlier kind wins an overlap).
KINDS: tuple[str, ...] = ("hetu", "email", "phone", "address", "name")

#: Bracket label of each kind (names use the pseudonym or ``nimi``).
LABELS: dict[str, str] = {
    "hetu": "henkilötunnus",
    "email": "sähköposti",
    "phone": "puhelinnumero",
    "address": "osoite",
    "name": "nimi",
}

# --------------------------------------------------------------------------- e-mail
_EMAIL = re.compile(
    r"(?<![\w.+-])"
    r"(?P<local>[\w](?:[\w.+-]{0,62}[\w])?)"
    r"(?:@|\s?[(\[]at[)\]]\s?)"
    r"(?P<domain>[\w](?:[\w-]{0,62})(?:\.[\w-]{1,63})*\.[A-Za-z]{2,24})"
    r"(?![\w@]|\.[A-Za-z])"
)
#: Documentation examples (skipped only on request) and machine accounts (always skipped).
_EMAIL_ALLOWED_DOMAINS = re.compile(r"(?:^|\.)example\.(?:com|org|net|fi)$", re.IGNORECASE)
_EMAIL_ALLOWED_LOCALS = {"git", "noreply", "no-reply"}


def find_emails(text: str, *, allow_examples: bool = False) -> list[tuple[int, int]]:
    """Return ``(start, end)`` of e-mail addresses in ``text``.

    Accepts the Finnish habit of writing ``(at)`` or ``[at]`` for ``@``; ignores
    ``git@``/``noreply@`` accounts. ``example.*`` domains are found too, because in a
    participant's text ``aino.korhonen@example.fi`` still carries a name; pass
    ``allow_examples=True`` to skip them (documentation, code).

    Examples
    --------
    >>> find_emails("aino.korhonen@lapha.fi tai aino(at)ulapland.fi")
    [(0, 22), (27, 46)]
    """
    found = []
    for m in _EMAIL.finditer(text):
        if allow_examples and _EMAIL_ALLOWED_DOMAINS.search(m.group("domain")):
            continue
        if m.group("local").casefold() in _EMAIL_ALLOWED_LOCALS:
            continue
        found.append((m.start(), m.end()))
    return found


# --------------------------------------------------------------------------- phones
_PHONE = re.compile(
    r"(?<![\w+/.,:;@#=-])"
    r"(?:(?:\+|00)358[ -]?(?:\(0\)[ -]?)?\d{1,3}|\(0\d{1,3}\)|0\d{1,3})"  # "(016)" only when closed
    r"(?:[ -]?\d{2,4}){1,4}"
    r"(?![\w@]|[.,:/-]\d)"
)


def _is_phone(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    if candidate.startswith("+358"):
        nsn = digits[3:]
    elif candidate.startswith("00358"):
        nsn = digits[5:]
    else:
        nsn = digits[1:]  # domestic: drop the trunk 0
    if nsn.startswith("0") and "(0)" in candidate:
        nsn = nsn[1:]
    if not 7 <= len(nsn) <= 10 or nsn.startswith("0"):
        return False
    # runs of two-digit groups ("05 10 15 20") are lists of numbers, not phones
    groups = re.findall(r"\d+", candidate)
    return not (len(groups) > 2 and all(len(g) <= 2 for g in groups))


def find_phones(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` of Finnish phone numbers in ``text``.

    Mobile (``040 123 4567``, ``0401234567``, ``050-1234567``), landline
    (``016 123 456``, ``016-123456``) and international (``+358 40 123 4567``,
    ``+358401234567``, ``00358 16 123456``) forms. The national significant number
    must have 7–10 digits and start with 1–9, and the number must not be glued to
    other digits, dots, colons or slashes, so years, dates (``14.5.2024``,
    ``2024-05-14``), times (``12:30``), sums (``1 200 euroa``), decimals, versions,
    hashes and codes (``R001``) are not matched.

    Examples
    --------
    >>> find_phones("Soita 040 123 4567 klo 12:30, vuonna 2024.")
    [(6, 18)]
    """
    found = []
    for m in _PHONE.finditer(text):
        candidate = m.group()
        # try the whole run, then shorter runs ending at a group boundary, so that
        # "040 123 4567 15 kertaa" still yields the number
        ends = [len(candidate)] + [b.start() for b in re.finditer(r"(?<=\d)[ -](?=\d)", candidate)][::-1]
        for end in ends:
            if _is_phone(candidate[:end]):
                found.append((m.start(), m.start() + end))
                break
    return found


# ------------------------------------------------------------------------ addresses
_STREET_WORDS = (
    "katu|kadu|tie|kuja|polku|polu|ranta|rann|väylä|raitti|raiti|kaari|kaare|rinne|rintee|"
    "tanhua|(?<!t)tori|aukio|piha|kaarre|kaartee|mutka|mutk|penger|pengere|puistikko|kenttä|kentä"
)
_ADDRESS = re.compile(
    r"(?<![\w-])"
    r"[A-ZÅÄÖ][a-zåäö]*(?:-[A-ZÅÄÖa-zåäö][a-zåäö]*)*"
    rf"(?:{_STREET_WORDS})[a-zåäö]{{0,4}}"
    r"\s+\d{1,4}(?:\s?[a-h](?![\w]))?(?:\s?[-–]\s?\d{1,4})?"
    r"(?:\s+[A-K](?![\w])(?:\s*\d{1,3}(?![\w]|[.,:]\d))?"
    r"|\s+(?:as\.?|asunto|huoneisto|bst\.?)\s*\d{1,3}(?![\w]))?"
    r"(?:,?\s+\d{5}(?:\s+[A-ZÅÄÖ][a-zåäö]+)?(?![\w]))?"
)


def find_addresses(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` of Finnish street addresses in ``text``.

    A capitalised street name ending in a street word (*-katu, -tie, -kuja, -polku,
    -ranta, -väylä, -raitti, -kaari, -rinne, -tanhua, -tori, -aukio* …, also inflected:
    *Valtakadulla*) followed by a house number, an optional staircase letter and
    apartment number (``B 12``, ``as. 3``) and an optional postcode and town.

    Examples
    --------
    >>> find_addresses("Asun osoitteessa Valtakatu 5 B 12, Kemi.")
    [(17, 33)]
    """
    return [(m.start(), m.end()) for m in _ADDRESS.finditer(text)]


# ---------------------------------------------------------------------------- names
_VOWELS = "aeiouyäöAEIOUYÄÖ"
_CASE_ENDINGS = (
    # singular cases
    "n", "a", "ä", "ta", "tä", "tta", "ttä", "lle", "lla", "llä", "lta", "ltä", "ssa", "ssä",
    "sta", "stä", "ksi", "na", "nä", "t", "ne", "nne", "tse", "seen", "hin", "hen", "han",
    "hon", "hun", "hyn", "hän", "hön", "an", "en", "in", "on", "un", "yn", "än", "ön",
    "aan", "een", "iin", "oon", "uun", "yyn", "ään", "öön",
    # plural cases (the Korhoset, Virtasille)
    "ille", "illa", "illä", "ilta", "iltä", "issa", "issä", "ista", "istä", "ien", "ia",
    "iä", "ihin", "iin", "ina", "inä", "iksi", "ineen", "ine", "ten", "jen", "ja", "jä",
    "et", "ot", "at", "ät", "it",
)
_POSSESSIVES = ("ni", "si", "nsa", "nsä", "mme", "nne")
_CLITICS = ("kin", "kaan", "kään", "han", "hän", "ko", "kö", "pa", "pä", "kaan")


def _alternation(options: Iterable[str]) -> str:
    return "|".join(re.escape(o) for o in sorted(set(options), key=lambda o: (-len(o), o)))


def _trie_alternation(options: Iterable[str]) -> str:
    r"""A regular expression for ``options`` as a prefix tree; a space matches any whitespace (``\s+``).

    It matches what ``_alternation`` of the same options matches (with ``\s+`` for
    their spaces), and prefers the same option at a position: the longest first, since
    every optional continuation is tried before the shorter option ends. But the engine
    follows one path of the tree instead of trying every option in turn, so a key of
    thousands of names costs a few character tests a word instead of thousands (the leak
    gate of a scale-100 workspace spent 140 s in the name pattern).

    Examples
    --------
    >>> _trie_alternation(["anna", "anni", "ann", "bo k"])
    '(?:ann(?:(?:a|i))?|bo\\s+k)'
    >>> pattern = re.compile(rf"(?:{_trie_alternation(['anna', 'ann', 'anna maria'])})")
    >>> [pattern.match(t).group() for t in ("annamaria", "anna  maria", "annx")]
    ['anna', 'anna  maria', 'ann']
    """
    trie: dict = {}
    for option in set(options):
        node = trie
        for char in " ".join(option.split()):
            node = node.setdefault(char, {})
        node[None] = {}  # an option ends here

    def emit(node: dict) -> str:
        branches = [(r"\s+" if char == " " else re.escape(char)) + emit(child)
                    for char, child in sorted((k, v) for k, v in node.items() if k is not None)]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if None in node else body  # greedy: the longer option first

    return emit(trie)


#: Names that are also common Finnish words: in lower case (``aino`` "only", ``mäen``
#: "of the hill") they are not redacted or flagged on their own; capitalised, in capitals
#: or inside a full name they are.
COMMON_WORD_NAMES = frozenset({
    "aino", "onni", "toivo", "usko", "into", "ilo", "lumi", "tuuli", "satu", "valo", "sini",
    "rauha", "lempi", "suvi", "taimi", "tähti", "helmi", "lilja", "ruusu", "kukka", "armas",
    "kivi", "mäki", "lahti", "niemi", "salo", "koski", "laine", "virta", "harju", "aho",
    "järvi", "nurmi", "ranta", "vuori", "saari", "linna", "kallio", "laakso", "mäkelä", "oja",
    "kari", "kaski", "leino", "sointu", "onerva", "tyyne", "kielo", "sade", "meri", "pilvi",
    "aalto", "aamu", "ilta", "kaisla", "sara", "kataja", "koivu", "haapa", "paju", "halla",
    "rinne", "lehto", "metsä", "suo", "heinä", "pelto", "kangas", "vaara", "mela", "raita",
})

_LOWER = "a-zåäöüé"
_UPPER = "A-ZÅÄÖÜÉ"
#: A name starts where no letter or digit precedes it (``_ - .`` and spaces separate
#: words in file names), or at a camel-case step (``haastatteluAino``).
_NAME_START = rf"(?:(?<![^\W_])|(?<=[{_LOWER}])(?=[{_UPPER}]))"
_NAME_END = rf"(?:(?![^\W_])|(?<=[{_LOWER}])(?=[{_UPPER}]))"

_NAME_TAIL = (
    rf"(?:'?(?:{_alternation(_CASE_ENDINGS)}))?"
    rf"(?:{_alternation(_POSSESSIVES)})?"
    rf"(?:{_alternation(_CLITICS)})?"
)

_GRADATION = (  # strong → weak, applied to the consonants before the final vowel(s)
    ("kk", "k"), ("pp", "p"), ("tt", "t"), ("nk", "ng"), ("mp", "mm"), ("nt", "nn"),
    ("lt", "ll"), ("rt", "rr"), ("ht", "hd"), ("lk", "l"), ("rk", "r"), ("hk", "h"),
    ("t", "d"), ("p", "v"), ("k", ""),
)


def _weaken(word: str) -> str | None:
    """Weak-grade stem of a vowel-final word (Mäki → Mäi, Pekka → Peka), or None."""
    m = re.fullmatch(rf"(.*?[{_VOWELS}])([^{_VOWELS}]+)([{_VOWELS}]+)", word)
    if m is None:
        return None
    head, consonants, vowels = m.groups()
    for strong, weak in _GRADATION:
        if len(strong) == 1 and consonants != strong:
            continue  # single-consonant gradation only between vowels (Mäki, Satu)
        if consonants.endswith(strong):
            return head + consonants[: -len(strong)] + weak + vowels
    return None


def name_stems(name: str) -> list[str]:
    """Stems to which Finnish case endings attach, for one single-word name.

    Parameters
    ----------
    name : str
        A first name or surname, e.g. ``"Korhonen"``.

    Returns
    -------
    list of str
        The name itself first, then inflection stems, longest first; stems shorter
        than three letters are dropped.

    Examples
    --------
    >>> name_stems("Korhonen")
    ['Korhonen', 'Korhose', 'Korhosi', 'Korhos']
    >>> name_stems("Mäki")
    ['Mäki', 'Mäke', 'Mäe', 'Mäi']
    >>> name_stems("Tuomas")
    ['Tuomas', 'Tuomakse', 'Tuomasi']
    """
    stems = {name}
    last = name[-1:]
    if name.endswith("nen") and len(name) > 4:
        base = name[:-3]
        stems |= {base + "se", base + "s", base + "si"}
    elif last and last in _VOWELS:
        weak = _weaken(name)
        if weak:
            stems.add(weak)
        if last in "iI":
            e_stem = name[:-1] + "e"
            stems.add(e_stem)
            weak_e = _weaken(e_stem)
            if weak_e:
                stems.add(weak_e)
        if last in "eE":  # Laine → Lainee-n
            stems.add(name + "e")
    elif last:
        stems.add(name + "i")  # Niklasin, Mikaelille
        if re.search(rf"[{_VOWELS}]s$", name):
            stems.add(name[:-1] + "kse")  # Tuomaksen, Markukselle
    ordered = sorted((s for s in stems if len(s) >= 3), key=lambda s: (-len(s), s))
    if name in ordered:  # the name itself first
        ordered.remove(name)
        ordered.insert(0, name)
    return ordered


def _name_forms(name: str) -> list[str]:
    """Stems of a (possibly multi-word) name: only the last word inflects."""
    words = name.split()
    if len(words) == 1:
        return name_stems(name)
    head = " ".join(words[:-1])
    return [f"{head} {stem}" for stem in name_stems(words[-1])]


# --------------------------------------------------------------------- the redactor
class Match(NamedTuple):
    """A detected identifier in the *input* text (used by the leak scanner)."""

    kind: str
    start: int
    end: int
    label: str


class Replacement(NamedTuple):
    """A replacement in the *redacted* text: ``text[start:end]`` is the bracket label."""

    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class RedactionResult:
    """Redacted text and where its replacements are.

    Attributes
    ----------
    text : str
        The redacted text; contains no detected identifier.
    replacements : list of Replacement
        ``(kind, start, end)`` of each bracket label in :attr:`text`, in text order.
        The originals are not kept anywhere (they live only in the key).
    """

    text: str
    replacements: list[Replacement] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Number of replacements per kind, e.g. ``{"name": 2, "phone": 1}``."""
        out: dict[str, int] = {}
        for r in self.replacements:
            out[r.kind] = out.get(r.kind, 0) + 1
        return out


_TIMESTAMP_MARK = re.compile(r"\[\[?\s*\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?\s*\]\]?")
_BRACKETED = re.compile(r"\[\[?([^\[\]\n]{1,60})\]\]?")


class Redactor:
    """Detect and replace identifiers; compiled once, reused over thousands of texts.

    Parameters
    ----------
    key : PseudonymKey or mapping, optional
        The pseudonym key (its :meth:`~PseudonymKey.known_names` are redacted; the
        redactor recompiles by itself when the key gains names), or a plain mapping
        ``name → label`` such as ``{"Aino Korhonen": "Nuori 2", "Liisa": "nimi"}``.
    kinds : iterable of str, optional
        Detectors to use, a subset of :data:`KINDS` (default all).
    brackets : (str, str), default ("[", "]")
        Marks around replacements; FSD suggests ``("[[", "]]")`` when the material
        already uses single brackets for something else.
    ignore_names : iterable of str, optional
        Single-word names not to match on their own (they still match inside a full
        name), e.g. first names that are also place names (*Simo*, *Inari*, *Salla*).

    Examples
    --------
    >>> r = Redactor({"Jere": "Nuori 1", "Korhonen": "SO 2"})
    >>> r.redact("Jerelle soitti Korhosen tiimi, hetu 131052-308T.").text
    '[Nuori 1] soitti [SO 2] tiimi, hetu [henkilötunnus].'
    """

    def __init__(self, key: "PseudonymKey | Mapping[str, str] | None" = None, *,
                 kinds: Iterable[str] | None = None,
                 brackets: tuple[str, str] = ("[", "]"),
                 ignore_names: Iterable[str] = ()) -> None:
        self.kinds = tuple(k for k in KINDS if kinds is None or k in set(kinds))
        unknown = set(kinds or ()) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown detector kinds {sorted(unknown)}; use {list(KINDS)}")
        self.brackets = brackets
        self.ignore_names = frozenset(ignore_names)
        self._key = key
        self._revision: int | None = None
        self._names_re: re.Pattern[str] | None = None
        self._stem_labels: dict[str, str] = {}
        self._common_stems: set[str] = set()
        self._protected_labels: set[str] = set()
        self._compile()

    # ------------------------------------------------------------------ compile
    def _current_names(self) -> dict[str, str]:
        if self._key is None:
            return {}
        if isinstance(self._key, Mapping):
            return {" ".join(str(k).split()): str(v).strip().strip("[]")
                    for k, v in self._key.items() if str(k).strip()}
        return self._key.known_names()

    def _compile(self) -> None:
        names = self._current_names()
        stem_labels: dict[str, set[str]] = {}
        common: dict[str, bool] = {}
        ignored = {n.casefold() for n in self.ignore_names}
        for name, label in names.items():
            if name.casefold() in ignored:
                continue
            is_common = len(name.split()) == 1 and name.casefold() in COMMON_WORD_NAMES
            for form in _name_forms(name):
                folded = form.casefold()
                stem_labels.setdefault(folded, set()).add(label)
                common[folded] = common.get(folded, True) and is_common
        self._stem_labels = {stem: (next(iter(labels)) if len(labels) == 1 else "nimi")
                             for stem, labels in stem_labels.items()}
        self._common_stems = {stem for stem, flag in common.items() if flag}
        if stem_labels and "name" in self.kinds:
            self._names_re = re.compile(  # the stems as a prefix tree: one path a word, not every name in turn
                rf"{_NAME_START}(?i:(?P<stem>{_trie_alternation(stem_labels)}){_NAME_TAIL}){_NAME_END}")
        else:
            self._names_re = None
        self._protected_labels = {v.casefold() for v in LABELS.values()}
        self._protected_labels |= {label.casefold() for label in names.values()}
        if self._key is not None and not isinstance(self._key, Mapping):
            self._protected_labels |= {p.casefold() for p in self._key.pseudonyms()}
            self._revision = self._key.revision

    def _refresh(self) -> None:
        if self._key is not None and not isinstance(self._key, Mapping):
            if self._key.revision != self._revision:
                self._compile()

    # ------------------------------------------------------------------- detect
    def _protected(self, text: str) -> list[tuple[int, int]]:
        spans = [(m.start(), m.end()) for m in _TIMESTAMP_MARK.finditer(text)]
        for m in _BRACKETED.finditer(text):
            inner = m.group(1).strip().casefold()
            if inner in self._protected_labels or inner.startswith("nimi"):
                spans.append((m.start(), m.end()))
        return spans

    def find(self, text: str) -> list[Match]:
        """Return the identifiers in ``text`` (non-overlapping, in text order).

        Parameters
        ----------
        text : str
            Any text.

        Returns
        -------
        list of Match
            ``(kind, start, end, label)`` with offsets into ``text``; ``label`` is the
            replacement without brackets (``"puhelinnumero"``, ``"Nuori 2"``).
        """
        self._refresh()
        candidates: list[Match] = []
        if "hetu" in self.kinds:
            candidates += [Match("hetu", s, e, LABELS["hetu"]) for s, e, _ in find_hetus(text)]
        if "email" in self.kinds:
            candidates += [Match("email", s, e, LABELS["email"]) for s, e in find_emails(text)]
        if "phone" in self.kinds:
            candidates += [Match("phone", s, e, LABELS["phone"]) for s, e in find_phones(text)]
        if "address" in self.kinds:
            candidates += [Match("address", s, e, LABELS["address"])
                           for s, e in find_addresses(text)]
        if self._names_re is not None:
            for m in self._names_re.finditer(text):
                stem = " ".join(m.group("stem").split()).casefold()
                word = m.group()
                if stem in self._common_stems and word == word.lower():
                    continue  # "aino" (only), "mäen" (of the hill): a common word
                candidates.append(Match("name", m.start(), m.end(),
                                        self._stem_labels.get(stem, "nimi")))
        if not candidates:
            return []
        taken = self._protected(text)
        accepted: list[Match] = []
        priority = {kind: i for i, kind in enumerate(KINDS)}
        for cand in sorted(candidates, key=lambda c: (priority[c.kind], c.start, -c.end)):
            if any(cand.start < e and s < cand.end for s, e in taken):
                continue
            accepted.append(cand)
            taken.append((cand.start, cand.end))
        return sorted(accepted, key=lambda c: c.start)

    # ------------------------------------------------------------------- redact
    def redact(self, text: str) -> RedactionResult:
        """Replace every identifier in ``text`` by its bracket label.

        Parameters
        ----------
        text : str
            Free text. ``None`` and NaN (empty cells) are returned unchanged.

        Returns
        -------
        RedactionResult
            The redacted text and the positions of the labels in it.

        Raises
        ------
        TypeError
            If ``text`` is neither a string nor missing.
        """
        if text is None or (isinstance(text, float) and text != text):
            return RedactionResult(text, [])  # type: ignore[arg-type]
        if not isinstance(text, str):
            raise TypeError(f"redact() expects a string, got {type(text).__name__}")
        matches = self.find(text)
        if not matches:
            return RedactionResult(text, [])
        opening, closing = self.brackets
        pieces: list[str] = []
        replacements: list[Replacement] = []
        position = 0
        length = 0
        for m in matches:
            pieces.append(text[position:m.start])
            length += m.start - position
            label = f"{opening}{m.label}{closing}"
            replacements.append(Replacement(m.kind, length, length + len(label)))
            pieces.append(label)
            length += len(label)
            position = m.end
        pieces.append(text[position:])
        return RedactionResult("".join(pieces), replacements)

    def __call__(self, text: str) -> str:
        """Shorthand for ``redact(text).text`` (handy with ``Series.map``)."""
        return self.redact(text).text

    def redact_text(self, text: str) -> str:
        """Redacted text only: ``redact(text).text``."""
        return self.redact(text).text


def redact_text(text: str, key: "PseudonymKey | Mapping[str, str] | None" = None) -> RedactionResult:
    """Redact one text (builds a :class:`Redactor`; reuse one for many texts).

    Parameters
    ----------
    text : str
        Free text.
    key : PseudonymKey or mapping, optional
        Known names (see :class:`Redactor`).

    Returns
    -------
    RedactionResult

    Examples
    --------
    >>> redact_text("Virtasen sähköposti on jere.virtanen@gmail.com", {"Virtanen": "ST 1"}).text
    '[ST 1] sähköposti on [sähköposti]'
    """
    return Redactor(key).redact(text)

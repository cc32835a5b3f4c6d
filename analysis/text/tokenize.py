"""Finnish tokenisation, transcription-mark stripping and sentence splitting.

Built on NLTK without downloaded data: the Finnish word pattern as
:class:`nltk.tokenize.RegexpTokenizer` applies it (``findall``; done with :mod:`re`
directly so that counting words does not import NLTK) and
:class:`nltk.tokenize.punkt.PunktSentenceTokenizer` with a hand-written list of Finnish
abbreviations.

Transcripts keep their marks (time stamps, ``[naurua]``, ``(.)``, ``--``, redaction
markers such as ``[nimi poistettu]``); the *analysed* text does not. The functions here
never change the transcript itself: :func:`strip_marks` returns a cleaned copy and
:func:`token_spans` reports offsets into the text as given.

Examples
--------
>>> tokenize("[00:12:31] Mä en (.) tiiä [naurua] -- EU:n sosiaali- ja terveyspalvelut 5.3.2024")
['Mä', 'en', 'tiiä', 'EU:n', 'sosiaali-', 'ja', 'terveyspalvelut', '5.3.2024']
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # NLTK is imported on first use: importing it takes about a second
    from nltk.tokenize.punkt import PunktSentenceTokenizer

__all__ = [
    "ABBREVIATIONS",
    "TOKEN_PATTERN",
    "MARK_PATTERN",
    "tokenize",
    "token_spans",
    "strip_marks",
    "blank_marks",
    "sentence_spans",
    "sentences",
]

# --------------------------------------------------------------------------- tokens
_L = r"[^\W\d_]"        # any letter (å, ä, ö, é, ... included), no digits, no underscore
_A = r"[^\W_]"          # letter or digit
_SUSPENDED_NEXT = r"(?:ja|tai|sekä|eli|taikka|ynnä|tahi|että)"

#: The Finnish token pattern (verbose regex), in order of precedence.
TOKEN_PATTERN = rf"""
    \d{{1,2}}\.\d{{1,2}}\.(?:\d{{4}}|\d{{2}}(?!\d))?       # dates: 5.3.2024, 5.3.24, 5.3.
  | \d+(?:-{_L}+)+                                  # 18-vuotiaat, 2-vuotiaana
  | \d+(?:[.,:]\d+)*(?::{_L}+)?                     # 12.30, 1,5, 2024, 2024:n, 100:lla
  | {_L}{_A}*(?:-{_A}+)*-(?=\s*,|\s+{_SUSPENDED_NEXT}\b)  # suspended hyphen: sosiaali- ja
  | {_L}{_A}*(?:[-'’]{_A}+)*(?::{_L}+)?              # words, EU:n, Jäkälä-hanke, TP2C
"""


#: Word tokens: exactly what ``nltk.tokenize.RegexpTokenizer(TOKEN_PATTERN, flags=...)``
#: returns (its ``tokenize`` is ``findall`` with the compiled pattern; a test compares the
#: two), without importing NLTK, which takes about a second per kernel.
_TOKEN_FINDALL = re.compile(TOKEN_PATTERN, re.UNICODE | re.MULTILINE | re.DOTALL | re.VERBOSE).findall


_TOKEN_RE = re.compile(TOKEN_PATTERN, re.UNICODE | re.VERBOSE)

# --------------------------------------------------------------------------- marks
_MARK_WORDS = (
    r"naurua|naurahdus|naurahtaa|nauraa|epäselvä|epäselvää|tauko|yskäisy|yskii|huokaus|"
    r"huokaisee|päällekkäistä\ puhetta|päällekkäin|hiljaisuus|taustahälyä|keskeytys"
)
#: Transcription marks removed from the analysed text (never from the transcript).
MARK_PATTERN = re.compile(
    rf"""
      \[[^\[\]\n]*\]                                   # any [...]: [00:12:31], [naurua], [nimi], [Nuori 2]
    | \(\(?[^()\n]*?\d{{1,2}}:\d{{2}}(?:[.,]\d+)?\)?\)   # (12:31), (00:12:31.5)
    | (?<![\d.:])\d{{1,2}}:\d{{2}}:\d{{2}}(?:[.,]\d+)?(?![\d:])   # bare 00:12:31
    | \((?:\.+|\d+(?:[.,]\d+)?\s*s?)\)                 # pauses: (.), (..), (...), (2.5), (2 s)
    | \(\((?:{_MARK_WORDS}|[^()\n]*)\)\)               # ((epäselvä)), ((anything))
    | \((?:{_MARK_WORDS})\)                            # (naurua), (tauko)
    | -{{2,}}|—                                        # --, --- and em dash (cut-off speech)
    """,
    re.UNICODE | re.VERBOSE | re.IGNORECASE,
)
_SPACES = re.compile(r"[ \t\u00a0]+")
_SPACE_BEFORE_PUNCT = re.compile(r"[ \t]+([.,;:!?)])")


def blank_marks(text: str) -> str:
    """Replace every transcription mark by spaces of the same length.

    Offsets stay valid: ``blank_marks(text)[i:j]`` is aligned with ``text[i:j]``.

    Parameters
    ----------
    text : str
        Transcript text with marks.

    Returns
    -------
    str
        Same length as ``text``, marks replaced by spaces.

    Examples
    --------
    >>> blank_marks("mä [naurua] en")
    'mä          en'
    """
    return MARK_PATTERN.sub(lambda m: " " * (m.end() - m.start()), text)


def strip_marks(text: str) -> str:
    """Remove time stamps and transcription marks, tidying the spaces they leave.

    Removes any ``[...]`` bracket (``[00:12:31]``, ``[naurua]``, ``[epäselvä]``,
    ``[nimi poistettu]``, ``[Nuori 2]``), parenthesised time stamps ``(12:31)``, bare
    ``00:12:31``, pauses ``(.)``/``(..)``/``(2 s)``, ``((...))``, ``(naurua)``-style marks
    and ``--``.

    Parameters
    ----------
    text : str
        One turn, sentence or entry as transcribed.

    Returns
    -------
    str
        The text to analyse: marks removed, runs of spaces collapsed, no space before
        punctuation, stripped at both ends. Line breaks are kept.

    Examples
    --------
    >>> strip_marks("[00:12:31] No mä (.) en tiiä [naurua]. Se oli -- [nimi poistettu] sano (12:40) et joo")
    'No mä en tiiä. Se oli sano et joo'
    """
    if not isinstance(text, str):
        raise TypeError(f"strip_marks expects a str, got {type(text).__name__}")
    out = MARK_PATTERN.sub(" ", text)
    out = _SPACES.sub(" ", out)
    out = _SPACE_BEFORE_PUNCT.sub(r"\1", out)
    return "\n".join(line.strip() for line in out.split("\n")).strip()


def tokenize(text: str, *, marks: bool = False) -> list[str]:
    """Split Finnish text into word tokens (no punctuation).

    Parameters
    ----------
    text : str
        Text to tokenise.
    marks : bool, default False
        If False, transcription marks are removed first (:func:`strip_marks`), so
        ``[naurua]`` gives no token ``naurua``. Set True to tokenise the text as is.

    Returns
    -------
    list of str
        Tokens as written (case kept): words with Finnish letters, numbers, dates
        (``5.3.2024``), times (``12.30``), ``EU:n``, ``18-vuotiaat``, hyphenated
        compounds and suspended hyphens (``sosiaali-`` in ``sosiaali- ja terveys...``).

    Examples
    --------
    >>> tokenize("Klo 12.30 18-vuotiaat nuoret, esim. Jäkälä-hanke.")
    ['Klo', '12.30', '18-vuotiaat', 'nuoret', 'esim', 'Jäkälä-hanke']
    """
    if not isinstance(text, str):
        raise TypeError(f"tokenize expects a str, got {type(text).__name__}")
    if not marks:
        text = blank_marks(text)
    return _TOKEN_FINDALL(text)


def token_spans(text: str, *, marks: bool = False) -> list[tuple[int, int]]:
    """Code-point spans ``[start, end)`` of the tokens of :func:`tokenize` in ``text``.

    Parameters
    ----------
    text : str
        Text as stored (marks included); spans index into this string.
    marks : bool, default False
        If False, tokens inside transcription marks are skipped.

    Returns
    -------
    list of (int, int)

    Examples
    --------
    >>> text = "mä [naurua] oon"
    >>> [text[s:e] for s, e in token_spans(text)]
    ['mä', 'oon']
    """
    if not marks:
        text = blank_marks(text)
    return [m.span() for m in _TOKEN_RE.finditer(text)]


# --------------------------------------------------------------------------- sentences
#: Finnish abbreviations that end with a period but do not end a sentence (lower case,
#: without the final period, as Punkt stores them).
ABBREVIATIONS: frozenset[str] = frozenset(
    """
    esim mm ns klo ym jne yms tms n ks vrt s v os ts etc kts
    jms tjsp tmv tm tj pj pvm nro puh p ap ip vs vt ns yht ma ti ke to pe la su
    tammik helmik maalisk huhtik toukok kesäk heinäk elok syysk lokak marrask jouluk
    milj mrd t e eaa jkr ekr kk vk vrk h min sek mrd kpl prof dos toht maist fil
    yo lk alk ed em emt ibid huom ks l lis liitt s.o v.a
    ao eo kok sos sosiaalineuvos ry oy ab
    """.split()
)


@lru_cache(maxsize=1)
def _punkt() -> PunktSentenceTokenizer:
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    params = PunktParameters()
    params.abbrev_types = set(ABBREVIATIONS)
    return PunktSentenceTokenizer(params)


#: Abbreviations that often END a sentence (lists): split after them when the next
#: word starts with a capital letter.
LIST_ENDINGS: frozenset[str] = frozenset({"jne", "yms", "tms", "ym", "jms", "tjsp", "tmv", "etc"})
_LIST_END_SPLIT = re.compile(
    r"\b(?:" + "|".join(sorted(LIST_ENDINGS)) + r")\.(?=\s+[\"'”»(\[]?[A-ZÅÄÖ])", re.IGNORECASE
)
_PUNCT_IN_MARK = str.maketrans({".": "_", "!": "_", "?": "_"})


def _protect_marks(text: str) -> str:
    """Same-length copy of ``text`` whose marks hold no sentence punctuation ((.) pauses)."""
    return MARK_PATTERN.sub(lambda m: m.group(0).translate(_PUNCT_IN_MARK), text)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence boundaries as code-point spans ``[start, end)`` into ``text``.

    Uses NLTK Punkt with :data:`ABBREVIATIONS` (no downloaded model). Pause marks such
    as ``(.)`` never end a sentence; line breaks always do, so one transcript line
    never spans two segments; a list ending (``jne.``, ``yms.``, ``ym.``) ends a
    sentence when the next word is capitalised.

    Parameters
    ----------
    text : str
        A turn or a diary entry, marks included (offsets index into it).

    Returns
    -------
    list of (int, int)
        Spans in order; whitespace between sentences belongs to no span.

    Examples
    --------
    >>> text = "Esim. klo 12.30 alkoi ryhmä. Nuoret tuli n. 20 min myöhässä! Sit mentiin."
    >>> [text[s:e] for s, e in sentence_spans(text)]
    ['Esim. klo 12.30 alkoi ryhmä.', 'Nuoret tuli n. 20 min myöhässä!', 'Sit mentiin.']
    """
    if not isinstance(text, str):
        raise TypeError(f"sentence_spans expects a str, got {type(text).__name__}")
    tokenizer = _punkt()
    protected = _protect_marks(text)
    spans: list[tuple[int, int]] = []
    offset = 0
    for line in protected.split("\n"):
        if line.strip():
            for start, end in tokenizer.span_tokenize(line):
                cuts = [m.end() for m in _LIST_END_SPLIT.finditer(line, start, end)]
                for piece_start, piece_end in zip([start, *cuts], [*cuts, end]):
                    piece = line[piece_start:piece_end]
                    if piece.strip():
                        lead = len(piece) - len(piece.lstrip())
                        trail = len(piece) - len(piece.rstrip())
                        spans.append((offset + piece_start + lead, offset + piece_end - trail))
        offset += len(line) + 1
    return spans


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` (see :func:`sentence_spans`).

    Examples
    --------
    >>> sentences("Mm. Kemi ja Tornio. Ne on mukana.")
    ['Mm. Kemi ja Tornio.', 'Ne on mukana.']
    """
    return [text[s:e] for s, e in sentence_spans(text)]

"""Finnish personal identity codes (henkilötunnus, HETU): validation and detection.

A code is ``DDMMYYCZZZQ``: date of birth, a century sign ``C``, an individual number
``ZZZ`` and a check character ``Q``.

* Century signs: ``+`` = 1800s; ``-`` and (since 2023) ``Y X W V U`` = 1900s;
  ``A`` and (since 2023) ``B C D E F`` = 2000s.
* Individual numbers 002–899 are ordinary, 900–999 temporary codes (both accepted by
  default: a temporary code identifies a person just as well).
* ``Q = "0123456789ABCDEFHJKLMNPRSTUVWXY"[int(DDMMYYZZZ) % 31]``; the century sign does
  not enter the checksum.

A code is valid only with a real calendar date, checked *after* the century has been
resolved (``290200+`` is 29 February 1800, which did not exist).

Examples
--------
>>> is_valid_hetu("131052-308T")
True
>>> is_valid_hetu("131052-308U")          # wrong check character
False
>>> find_hetus("Hetu 010594Y9032 ja 131052/308T.")
[(5, 16, '010594Y9032')]
"""

from __future__ import annotations

import datetime as _dt
import re

__all__ = ["CHECK_CHARACTERS", "CENTURY_SIGNS", "is_valid_hetu", "find_hetus", "mask_hetu"]

#: The 31 check characters, indexed by ``int(DDMMYYZZZ) % 31``.
CHECK_CHARACTERS = "0123456789ABCDEFHJKLMNPRSTUVWXY"

#: Century sign → first year of the century.
CENTURY_SIGNS: dict[str, int] = {
    "+": 1800,
    "-": 1900, "Y": 1900, "X": 1900, "W": 1900, "V": 1900, "U": 1900,
    "A": 2000, "B": 2000, "C": 2000, "D": 2000, "E": 2000, "F": 2000,
}

_SIGN_CLASS = "[-+ABCDEFUVWXY]"  # explicit: no ranges that would let '/' or digits in
_HETU_FULL = re.compile(rf"(\d{{2}})(\d{{2}})(\d{{2}})({_SIGN_CLASS})(\d{{3}})([0-9A-Y])")
# Candidates in running text: not glued to other letters or digits.
_HETU_IN_TEXT = re.compile(
    rf"(?<![0-9A-Za-zÅÄÖåäö])\d{{6}}{_SIGN_CLASS}\d{{3}}[0-9A-Za-z](?![0-9A-Za-zÅÄÖåäö])",
    re.IGNORECASE,
)


def is_valid_hetu(code: str, *, allow_temporary: bool = True) -> bool:
    """Return True if ``code`` is a valid Finnish personal identity code.

    Parameters
    ----------
    code : str
        The candidate, e.g. ``"131052-308T"``. Surrounding whitespace is ignored and
        letters are compared in upper case.
    allow_temporary : bool, default True
        Accept temporary individual numbers 900–999.

    Returns
    -------
    bool
        True when the century sign is known, the date exists in the resolved century,
        the individual number is 002–899 (or 900–999 when temporary codes are allowed)
        and the check character matches.

    Examples
    --------
    >>> is_valid_hetu("020516C903K")
    True
    >>> is_valid_hetu("290200+123A")      # 1800 was not a leap year
    False
    """
    if not isinstance(code, str):
        return False
    match = _HETU_FULL.fullmatch(code.strip().upper())
    if match is None:
        return False
    day, month, year2, sign, individual, check = match.groups()
    year = CENTURY_SIGNS[sign] + int(year2)
    try:
        _dt.date(year, int(month), int(day))
    except ValueError:
        return False
    number = int(individual)
    if number < 2 or (number >= 900 and not allow_temporary):
        return False
    return CHECK_CHARACTERS[int(day + month + year2 + individual) % 31] == check


def find_hetus(text: str, *, allow_temporary: bool = True) -> list[tuple[int, int, str]]:
    """Find valid personal identity codes in running text.

    Only candidates that pass :func:`is_valid_hetu` are returned, so dates, case numbers
    and other digit runs are not reported.

    Parameters
    ----------
    text : str
        Any text.
    allow_temporary : bool, default True
        Accept temporary individual numbers 900–999.

    Returns
    -------
    list of (start, end, code)
        Character offsets into ``text`` (``text[start:end] == code``), in text order.

    Examples
    --------
    >>> find_hetus("hetu: 020504B904H.")
    [(6, 17, '020504B904H')]
    """
    found: list[tuple[int, int, str]] = []
    for match in _HETU_IN_TEXT.finditer(text):
        if is_valid_hetu(match.group(), allow_temporary=allow_temporary):
            found.append((match.start(), match.end(), match.group()))
    return found


def mask_hetu(code: str) -> str:
    """Mask an identity code for messages: ``"131052-308T"`` → ``"13****-***T"``.

    Examples
    --------
    >>> mask_hetu("131052-308T")
    '13****-***T'
    """
    code = code.strip()
    if len(code) != 11:
        return code[:1] + "*" * max(len(code) - 1, 0)
    return f"{code[:2]}****{code[6]}***{code[10]}"

"""Spoken Finnish to standard written forms, from an editable table.

The table ``config/text/spoken_forms.tsv`` maps lower-cased spoken forms to one or more
standard words (``mä → minä``, ``oon → olen``, ``niinku → niin kuin``). It is applied to
tokens *before* lemmatisation, so that ``mä`` and ``minä`` count as the same lemma.
A row may name previous words after which it is not applied (``et`` is ``että`` except
after ``sä``/``sinä``, where it is the negation verb).

Examples
--------
>>> normalise_tokens(["Mä", "oon", "niinku", "sit", "kattonu", "et", "sä", "et", "tuu"])
['minä', 'olen', 'niin', 'kuin', 'sitten', 'katsonut', 'että', 'sinä', 'et', 'tuu']
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from analysis.errors import ConfigError
from analysis.text._resources import config_file, file_signature, read_tsv

__all__ = ["SpokenForms", "load_spoken_forms", "normalise_token", "normalise_tokens"]

DEFAULT_FILE = "spoken_forms.tsv"


@dataclass(frozen=True)
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
    return table.lookup(token, previous)


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
        standard = table.lookup(low, previous)
        out.extend(standard)
        previous = low
    return out

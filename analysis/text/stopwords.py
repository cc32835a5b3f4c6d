"""Finnish stopwords, spoken fillers and project words, read from ``config/text/``.

* ``stopwords_fi.txt`` — a short curated list of function words, applied to LEMMAS
  (content words such as aika, asia, vuosi, yksin, yhdessä are deliberately absent);
* ``fillers.txt`` — spoken fillers (joo, niinku, tota, sit, nii, öö, hmm, no ...),
  matched on the token as written, its normalised form and its lemma;
* ``stopwords_project.txt`` — setting words of this project.

Examples
--------
>>> sw = stopword_set()
>>> "olla" in sw, "joo" in sw, "aika" in sw, "yhdessä" in sw
(True, True, False, False)
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from analysis.text._resources import config_file, file_signature, read_lines

__all__ = ["load_word_list", "stopword_set", "fillers", "is_stopword"]

FILES = {"function": "stopwords_fi.txt", "fillers": "fillers.txt", "project": "stopwords_project.txt"}


@lru_cache(maxsize=16)
def _load(signature: tuple[str, int, int]) -> frozenset[str]:
    return frozenset(line.strip().lower() for _, line in read_lines(Path(signature[0])))


def load_word_list(path: str | Path) -> frozenset[str]:
    """Read a one-word-per-line list (``#`` comments, blank lines ignored), lower-cased.

    Parameters
    ----------
    path : str or Path
        A file name in ``config/text/`` or a path.

    Returns
    -------
    frozenset of str
    """
    return _load(file_signature(config_file(path)))


def fillers() -> frozenset[str]:
    """Spoken fillers from ``config/text/fillers.txt``."""
    return load_word_list(FILES["fillers"])


def stopword_set(*, function_words: bool = True, fillers: bool = True, project: bool = True,
                 extra: tuple[str, ...] | list[str] = ()) -> frozenset[str]:
    """The union of the chosen lists, lower-cased.

    Parameters
    ----------
    function_words, fillers, project : bool, default True
        Which lists to include.
    extra : sequence of str
        More words (e.g. a notebook parameter).

    Returns
    -------
    frozenset of str
    """
    words: set[str] = set()
    if function_words:
        words |= load_word_list(FILES["function"])
    if fillers:
        words |= load_word_list(FILES["fillers"])
    if project:
        words |= load_word_list(FILES["project"])
    words |= {w.strip().lower() for w in extra if w and w.strip()}
    return frozenset(words)


def is_stopword(lemma: str) -> bool:
    """Whether a lemma (or filler) is in the default stopword set.

    Examples
    --------
    >>> is_stopword("että"), is_stopword("asia")
    (True, False)
    """
    return lemma.lower() in stopword_set()

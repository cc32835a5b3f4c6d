"""Deductive auto-coding: codebook rules applied to the lemmas of each segment.

The unit of coding is whatever the ``segments`` table holds: speaker turns, sentences or
diary entries (its ``unit`` column). Each segment is coded from its lemmas (the ``tokens``
table built by :func:`analysis.text.pipeline.tokens_table`), never from raw words.

The result is long and transparent: one row per segment and code, with the lemmas or
rule that fired in ``matched`` so that a researcher can check every coding decision.

Examples
--------
>>> import pandas as pd
>>> from analysis.coding.codebook import Codebook
>>> cb = Codebook.from_dict({"version": 1, "themes": [
...     {"id": "housing", "name": {"fi": "Asuminen", "en": "Housing"}, "colour": "#DDCC77",
...      "rules": {"lemmas": ["*asunto"]},
...      "children": [{"id": "housing_worries", "name": {"fi": "Huolet", "en": "Worries"},
...                    "colour": "#EE8866", "rules": {"all": [["huoli", "*asunto"]]}}]}]})
>>> segments = pd.DataFrame({"segment_id": ["s1", "s2"], "unit": "turn",
...                          "text": ["Mua huolettaa se tukiasunto.", "Ihan hyvä päivä."]})
>>> tokens = pd.DataFrame({"segment_id": ["s1"] * 4 + ["s2"] * 3,
...                        "position": [0, 1, 2, 3, 0, 1, 2],
...                        "lemma": ["minä", "huoli", "se", "tukiasunto", "ihan", "hyvä", "päivä"]})
>>> autocode(segments, tokens, cb)[["segment_id", "code", "matched"]].values.tolist()
[['s1', 'housing', 'tukiasunto; via housing_worries'], ['s1', 'housing_worries', 'huoli+tukiasunto']]
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from analysis.coding.codebook import Codebook, LemmaPattern, RuleSet, as_codebook
from analysis.errors import DataError
from analysis.validation import require_columns

CODING_COLUMNS = ["segment_id", "code", "matched", "n_hits"]
_WORD_RE = re.compile(r"\w")


def _require_columns(frame: pd.DataFrame, columns: list[str], name: str) -> None:
    require_columns(frame, columns, f"the {name} table",
                    hint=f"The {name} table needs {', '.join(columns)} (see docs/architecture.md).")


def segment_lemmas(tokens: pd.DataFrame) -> dict[str, list[str]]:
    """Lemmas of each segment in reading order, lower case, punctuation dropped.

    Parameters
    ----------
    tokens : DataFrame
        The tokens table: ``segment_id``, ``position``, ``lemma``.

    Returns
    -------
    dict
        ``{segment_id: [lemma, ...]}``.

    Examples
    --------
    >>> import pandas as pd
    >>> segment_lemmas(pd.DataFrame({"segment_id": ["a", "a", "a"], "position": [1, 0, 2],
    ...                              "lemma": ["Asunto", "uusi", "."]}))
    {'a': ['uusi', 'asunto']}
    """
    _require_columns(tokens, ["segment_id", "position", "lemma"], "tokens")
    frame = tokens.loc[tokens["lemma"].notna(), ["segment_id", "position", "lemma"]]
    frame = frame.assign(lemma=frame["lemma"].astype(str).str.lower().str.strip())
    frame = frame[frame["lemma"].str.contains(_WORD_RE)]
    frame = frame[frame["segment_id"].notna()].sort_values(["segment_id", "position"], kind="stable")
    # one slice of the sorted lemmas per segment (as groupby would give them, without a group a segment)
    segment_ids = frame["segment_id"].to_numpy()
    lemmas = frame["lemma"].to_numpy()
    if not len(segment_ids):
        return {}
    starts = np.flatnonzero(np.r_[True, segment_ids[1:] != segment_ids[:-1]])
    ends = np.r_[starts[1:], len(segment_ids)]
    return {str(segment_ids[a]): lemmas[a:b].tolist() for a, b in zip(starts, ends)}


class _VocabularyMatcher:
    """The codebook's lemma patterns resolved once over the vocabulary of a token table.

    :meth:`analysis.coding.codebook.LemmaPattern.find` tests every wildcard pattern
    against every lemma of every segment. Here each pattern is matched once against the
    distinct lemmas (the vocabulary); a segment's hits are then a set intersection, and a
    code whose trigger lemmas are disjoint from a segment's lemmas is not evaluated at all.
    :meth:`hits` gives exactly what :meth:`analysis.coding.codebook.RuleSet.hits` gives
    (the tests compare the two on the whole demo corpus).

    Parameters
    ----------
    vocabulary : set of str
        Every lemma that occurs in the segments to code.
    """

    def __init__(self, vocabulary: set[str]) -> None:
        self.vocabulary = frozenset(vocabulary)
        self._words: dict[str, frozenset[str]] = {}

    def word_matches(self, word: re.Pattern[str]) -> frozenset[str]:
        """Vocabulary lemmas that one pattern word full-matches (computed once per word)."""
        key = word.pattern
        if key not in self._words:
            self._words[key] = frozenset(lemma for lemma in self.vocabulary if word.fullmatch(lemma))
        return self._words[key]

    def pattern_triggers(self, pattern: LemmaPattern) -> frozenset[str]:
        """Lemmas of which a segment must hold at least one for ``pattern`` to match."""
        if pattern.exact:
            return frozenset([pattern.text])
        return self.word_matches(pattern.words[0])

    def triggers(self, rules: RuleSet) -> frozenset[str]:
        """Lemmas of which a segment must hold one for any lemma or co-occurrence rule to fire.

        Regex rules are not covered (they search the joined lemma text): test them apart.
        """
        out: set[str] = set()
        for pattern in rules.lemmas:
            out |= self.pattern_triggers(pattern)
        for group in rules.groups:
            if group:  # every slot must match: the first slot's alternatives suffice as triggers
                for alt in group[0]:
                    out |= self.pattern_triggers(alt)
        return frozenset(out)

    def find(self, pattern: LemmaPattern, lemmas: list[str], lemma_set: frozenset[str]) -> list[str]:
        """As :meth:`LemmaPattern.find`, by set intersection with the precomputed matches."""
        if pattern.exact:
            return [pattern.text] if pattern.text in lemma_set else []
        if len(pattern.words) == 1:
            return sorted(lemma_set & self.word_matches(pattern.words[0]))
        if any(lemma_set.isdisjoint(self.word_matches(word)) for word in pattern.words):
            return []
        n = len(pattern.words)
        matches = [self.word_matches(word) for word in pattern.words]
        found: list[str] = []
        for start in range(len(lemmas) - n + 1):
            if all(lemmas[start + i] in matches[i] for i in range(n)):
                phrase = " ".join(lemmas[start:start + n])
                if phrase not in found:
                    found.append(phrase)
        return found

    def hits(self, rules: RuleSet, lemmas: list[str], lemma_set: frozenset[str], lemma_text: str) -> list[str]:
        """As :meth:`RuleSet.hits` (same hits, same order), with :meth:`find`."""
        return rules.hits(lemmas, lemma_set, lemma_text, find=self.find)


def required_literals(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Strings of which a text must contain one for ``pattern`` to be found in it, or None.

    Read from the parsed expression: a run of literal characters that every match
    contains, or, for an alternation every match goes through, one such run of each
    alternative. A substring test (``needle in text``) is a fraction of a regular
    expression search (``\\b\\w*yhteistyö\\w*`` tries every word), so the segments
    without any needle are passed over: the same segments fire. Case-insensitive
    expressions, and runs shorter than three characters, give None (search everything).

    Examples
    --------
    >>> sorted(required_literals(re.compile(r"\\b\\w*yhteistyö\\w*")))
    ['yhteistyö']
    >>> sorted(required_literals(re.compile(r"\\b(toimeentulo|asumis|opinto|perus)tu(ki|en)\\w*")))
    ['asumis', 'opinto', 'perus', 'toimeentulo']
    >>> required_literals(re.compile(r"\\bkelan?\\b")), required_literals(re.compile(r"(?i)asunto"))
    (frozenset({'kela'}), None)
    """
    try:
        from re import _parser as parser  # Python 3.11+
        from re._constants import BRANCH, LITERAL, SRE_FLAG_IGNORECASE as IGNORECASE, SUBPATTERN
    except ImportError:  # pragma: no cover - older Pythons: no prefilter, the same results
        return None
    try:
        parsed = parser.parse(pattern.pattern, pattern.flags)
    except Exception:  # noqa: BLE001 - an expression the parser reads otherwise: search everything
        return None
    if parsed.state.flags & IGNORECASE:
        return None

    def of_sequence(items) -> frozenset[str] | None:
        best: frozenset[str] | None = None
        run: list[str] = []
        options: list[frozenset[str]] = []
        for op, arg in list(items) + [(None, None)]:
            if op is LITERAL:
                run.append(chr(arg))
                continue
            if len(run) >= 3:
                options.append(frozenset(["".join(run)]))
            run = []
            if op is SUBPATTERN and not (arg[1] & IGNORECASE):  # a group every match goes through
                found = of_sequence(arg[3])
                if found:
                    options.append(found)
            elif op is BRANCH:  # one alternative matches: a needle of each
                alternatives = [of_sequence(alternative) for alternative in arg[1]]
                if all(alternatives):
                    options.append(frozenset().union(*alternatives))
        for option in options:  # the one whose shortest needle is longest
            if best is None or min(map(len, option)) > min(map(len, best)):
                best = option
        return best

    return of_sequence(parsed)


def select_unit(segments: pd.DataFrame, unit: str | None) -> pd.DataFrame:
    """Keep the segments of one coding unit (``turn``, ``sentence``, ``diary_entry``).

    Raises
    ------
    DataError
        When ``unit`` is not in the table, or when it is None and the table mixes
        units (coding turns and their sentences together would count talk twice).
    """
    if "unit" not in segments.columns:
        return segments
    units = list(dict.fromkeys(segments["unit"].dropna().astype(str)))
    if unit is None:
        if len(units) > 1:
            raise DataError(f"the segments mix units {units}", file="segments", location="column 'unit'",
                            hint="Pass unit='turn', 'sentence' or 'diary_entry'.")
        return segments
    if unit not in units:
        raise DataError(f"no segments with unit '{unit}' (found {units})", file="segments",
                        location="column 'unit'",
                        hint="Build the segments at that unit with analysis.text.pipeline.segments_from_turns.")
    return segments[segments["unit"] == unit]


def autocode(
    segments: pd.DataFrame,
    tokens: pd.DataFrame,
    codebook: Codebook | str | Path,
    *,
    unit: str | None = None,
) -> pd.DataFrame:
    """Code every segment with the codebook's lemma rules.

    Parameters
    ----------
    segments : DataFrame
        The segments table (``segment_id``; ``unit`` when several units are present).
    tokens : DataFrame
        The tokens table (``segment_id``, ``position``, ``lemma``) of those segments.
    codebook : Codebook or path
        The codebook, or the path of its YAML file.
    unit : str, optional
        Code only segments of this unit (``"turn"``, ``"sentence"``, ``"diary_entry"``).

    Returns
    -------
    DataFrame
        Long table ``segment_id, code, matched, n_hits``: one row per segment and code
        present. ``matched`` lists the lemmas, co-occurrences (``huoli+asunto``) and regex
        matches (``re"…"``) that fired, and ``via <child>`` when a parent code is present
        because a sub-theme is. ``n_hits`` counts the distinct hits (own and children's).
        Rows follow the segments' order, then the codebook's order.

    Raises
    ------
    DataError
        Missing columns, duplicate segment ids or mixed units.

    Examples
    --------
    See the module docstring.
    """
    codebook = as_codebook(codebook)
    _require_columns(segments, ["segment_id"], "segments")
    segments = select_unit(segments, unit)
    ids = segments["segment_id"].astype(str)
    duplicated = ids[ids.duplicated()]
    if len(duplicated):
        raise DataError(f"duplicate segment_id {duplicated.iloc[0]!r}", file="segments",
                        location=f"row {int(duplicated.index[0]) + 1}" if isinstance(duplicated.index[0], int) else None,
                        hint="Each segment needs its own id; rebuild the segments table.")
    lemmas_by_segment = segment_lemmas(tokens)
    matcher = _VocabularyMatcher({lemma for lemmas in lemmas_by_segment.values() for lemma in lemmas})

    codes = list(codebook)
    # children before parents, so a parent can inherit from its sub-themes
    bottom_up = sorted(codes, key=lambda c: -c.level)
    children = {code.id: codebook.children(code.id) for code in codes}
    # codes whose positive rules can fire on a segment: set operations over the vocabulary
    triggers = {code.id: matcher.triggers(code.rules) for code in codes}
    # segments on which a regex rule of a code fires (regex rules are not tied to lemmas)
    texts = {segment_id: " ".join(lemmas) for segment_id, lemmas in lemmas_by_segment.items()}
    regex_fires: dict[str, set[str]] = {}
    for code in codes:
        for rx in code.rules.regex:  # a segment fires when any of the code's expressions is found in it
            search, needles = rx.search, required_literals(rx)
            candidates = texts.items() if needles is None else [  # only texts holding a string every match holds
                (segment_id, text) for segment_id, text in texts.items() if any(n in text for n in needles)]
            regex_fires.setdefault(code.id, set()).update({segment_id for segment_id, text in candidates
                                                           if search(text)})
    rows: list[dict] = []
    for segment_id in ids:
        lemmas = lemmas_by_segment.get(segment_id, [])
        if not lemmas:
            continue
        lemma_set = frozenset(lemmas)
        lemma_text = texts[segment_id]
        found: dict[str, tuple[list[str], int]] = {}
        for code in bottom_up:
            own: list[str] = []
            if not lemma_set.isdisjoint(triggers[code.id]) or segment_id in regex_fires.get(code.id, ()):
                own = matcher.hits(code.rules, lemmas, lemma_set, lemma_text)
            if own and not code.exclude_rules.empty and matcher.hits(code.exclude_rules, lemmas, lemma_set, lemma_text):
                own = []
            via = [child for child in children[code.id] if child in found]
            if own or via:
                n_hits = len(own) + sum(found[child][1] for child in via)
                found[code.id] = (own + [f"via {child}" for child in via], n_hits)
        for code in codes:
            if code.id in found:
                matched, n_hits = found[code.id]
                rows.append({"segment_id": segment_id, "code": code.id, "matched": "; ".join(matched),
                             "n_hits": n_hits})
    result = pd.DataFrame(rows, columns=CODING_COLUMNS)
    result["segment_id"] = result["segment_id"].astype(object)
    result["n_hits"] = result["n_hits"].astype("int64")
    return result


def autocode_texts(texts: list[str] | pd.Series, codebook: Codebook | str | Path) -> pd.DataFrame:
    """Code a few free texts (tokenised and lemmatised with :mod:`analysis.text`).

    Handy for trying out a new rule in a notebook. Segment ids are ``t1``, ``t2`` ….

    Parameters
    ----------
    texts : list of str
        The texts.
    codebook : Codebook or path

    Returns
    -------
    DataFrame
        As :func:`autocode`, plus the ``text`` column.

    Examples
    --------
    >>> autocode_texts(["Mä en löydä kämppää mistään."], "config/codebook.yaml")  # doctest: +SKIP
    """
    from analysis.text.pipeline import tokens_table

    texts = [str(t) for t in texts]
    segments = pd.DataFrame({"segment_id": [f"t{i + 1}" for i in range(len(texts))], "text": texts})
    codings = autocode(segments, tokens_table(segments), codebook)
    return codings.merge(segments, on="segment_id", how="left")


def workspace_segments(
    processed: str | Path,
    *,
    unit: str = "turn",
    include_diaries: bool = False,
    workshop_ids: Iterable[str] | None = None,
    entry_ids: Iterable[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Segments and their tokens from the ingestion cache in ``data/processed/``.

    The one way notebooks and exports load segments. Turns and diary entries come from
    the cached ``*_segments``/``*_tokens`` tables (the lemmas computed at ingestion);
    sentences are cut from the turns and tokenised here. When the cache holds no
    segments of the unit (a cache written before segments were cached), they are cut
    from ``transcript_turns``/``diary_entries`` and tokenised here. Nothing is written.

    Parameters
    ----------
    processed : str or Path
        The ``data/processed`` folder.
    unit : {"turn", "sentence", "diary_entry"}
        Workshop turns or sentences, or diary entries.
    include_diaries : bool
        Add the diary entries to workshop segments.
    workshop_ids : iterable of str, optional
        Only the segments of these workshops (``workshop_id``, the segments' ``doc_id``);
        default all.
    entry_ids : iterable of str, optional
        Only these diary entries (``entry_id``); default all.

    Returns
    -------
    (segments, tokens) : tuple of DataFrame
        ``segments`` in cache order with a fresh index; ``tokens`` of those segments only.

    Raises
    ------
    DataError
        An unknown unit, or a table of the cache that does not exist (run ``jakala ingest``).
    """
    from analysis.text.pipeline import segments_from_diaries, segments_from_turns, tokens_table

    processed = Path(processed)
    if unit not in ("turn", "sentence", "diary_entry"):
        raise DataError(f"unknown segment unit {unit!r}", hint="Use 'turn', 'sentence' or 'diary_entry'.")

    def read(name: str) -> pd.DataFrame:
        path = processed / f"{name}.parquet"
        if not path.is_file():
            raise DataError("the table does not exist", file=path, hint="Run `jakala ingest` first.")
        return pd.read_parquet(path)

    def chosen(frame: pd.DataFrame, column: str, ids: Iterable[str] | None) -> pd.DataFrame:
        if ids is None or column not in frame.columns:
            return frame
        return frame[frame[column].astype(str).isin({str(i) for i in ids})]

    def cut(segments: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        return segments, tokens_table(segments[["segment_id", "text"]])

    def cached(kind: str, ids: Iterable[str] | None, source: str, key: str, of_unit: str, make) -> tuple:
        """The cached segments of ``of_unit`` (those of ``ids``), else cut from the ``source`` rows."""
        segments = chosen(read(f"{kind}_segments"), "doc_id", ids)
        if "unit" in segments.columns:
            segments = segments[segments["unit"] == of_unit]
        if len(segments) == 0:
            rows = chosen(read(source), key, ids)
            if len(rows):
                return cut(make(rows))
            return segments, read(f"{kind}_tokens").iloc[:0]
        tokens = read(f"{kind}_tokens")
        return segments, tokens[tokens["segment_id"].isin(segments["segment_id"])]

    parts: list[tuple[pd.DataFrame, pd.DataFrame]] = []
    if unit == "turn":
        parts.append(cached("workshop", workshop_ids, "transcript_turns", "workshop_id", "turn",
                            lambda turns: segments_from_turns(turns, unit="turn", workshops=read("workshops"))))
    elif unit == "sentence":
        turns = chosen(read("transcript_turns"), "workshop_id", workshop_ids)
        parts.append(cut(segments_from_turns(turns, unit="sentence", workshops=read("workshops"))))
    if unit == "diary_entry" or include_diaries:
        parts.append(cached("diary", entry_ids, "diary_entries", "entry_id", "diary_entry",
                            lambda entries: segments_from_diaries(entries, unit="diary_entry")))
    segments = pd.concat([p[0] for p in parts], ignore_index=True)
    tokens = pd.concat([p[1] for p in parts], ignore_index=True)
    return segments, tokens

"""Lexical analysis on lemmas: frequencies by group, keyness, collocations, KWIC.

All functions take the ``tokens`` table of :func:`analysis.text.pipeline.tokens_table`,
optionally with the ``segments`` table to attach group columns (speaker role,
workshop = ``doc_id``, work package, date → period).

Keyness follows Rayson & Garside (2000): for a lemma with frequencies ``a`` (target)
and ``b`` (reference) in corpora of ``c`` and ``d`` tokens,
``E1 = c(a+b)/(c+d)``, ``E2 = d(a+b)/(c+d)``, ``G² = 2(a ln(a/E1) + b ln(b/E2))``
(a term is 0 when its frequency is 0), ``p`` from χ²(1). The effect size is Hardie's
(2014) log ratio ``log2((a/c)/(b/d))`` with a zero frequency replaced by 0.5.

Examples
--------
>>> counts_a = pd.Series({"asunto": 10, "ryhmä": 2})
>>> counts_b = pd.Series({"asunto": 2, "ryhmä": 10})
>>> keyness_from_counts(counts_a, counts_b, size_target=1000, size_reference=1000, min_freq=1)[
...     ["lemma", "g2", "log_ratio"]].round(4).values.tolist()
[['asunto', 5.8221, 2.3219], ['ryhmä', 5.8221, -2.3219]]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analysis.errors import DataError
from analysis.validation import require_columns
from analysis.text.tokenize import blank_marks

__all__ = [
    "attach_groups",
    "frequencies",
    "keyness",
    "keyness_from_counts",
    "collocations",
    "kwic",
]

_GROUP_ALIASES = {"workshop": "doc_id", "workshop_id": "doc_id", "role": "speaker_role", "wp": "work_package"}


def _require(df: pd.DataFrame, columns, what: str) -> None:
    require_columns(df, columns, what, hint="Build it with analysis.text.pipeline (tokens_table / segments_from_*).")


def attach_groups(tokens: pd.DataFrame, segments: pd.DataFrame | None, by: str | list[str], *,
                  period: str = "Q") -> tuple[pd.DataFrame, list[str]]:
    """Add group columns from ``segments`` to ``tokens`` (by ``segment_id``).

    Parameters
    ----------
    tokens : DataFrame
    segments : DataFrame or None
        Needed when a group column is not already in ``tokens``.
    by : str or list of str
        Column names; aliases ``workshop`` → ``doc_id``, ``role`` → ``speaker_role``,
        ``wp`` → ``work_package``; ``"period"`` is derived from ``date`` (quarters such
        as ``2025Q1`` by default).
    period : str, default "Q"
        pandas period frequency for ``"period"`` ("Q", "M", "Y").

    Returns
    -------
    (DataFrame, list of str)
        Tokens with the group columns and the resolved column names.
    """
    cols = [by] if isinstance(by, str) else list(by)
    cols = [_GROUP_ALIASES.get(c, c) for c in cols]
    need = [c for c in cols if c not in tokens.columns]
    if need:
        if segments is None:
            raise DataError(f"tokens lack group column(s) {', '.join(need)}",
                            hint="Pass the segments table (segments=...) so groups can be attached.")
        _require(segments, ["segment_id"], "segments")
        seg = segments.copy()
        if "period" in need and "period" not in seg.columns:
            _require(seg, ["date"], "segments")
            seg["period"] = pd.to_datetime(seg["date"], errors="coerce").dt.to_period(period).astype(str)
        missing = [c for c in need if c not in seg.columns]
        if missing:
            raise DataError(f"segments lack group column(s) {', '.join(missing)}",
                            location=f"columns {list(seg.columns)}", hint="Choose another grouping column.")
        tokens = tokens.merge(seg[["segment_id", *need]], on="segment_id", how="left", validate="many_to_one")
    return tokens, cols


def frequencies(tokens: pd.DataFrame, by: str | list[str] | None = None, *, segments: pd.DataFrame | None = None,
                drop_stopwords: bool = True, min_count: int = 1, top: int | None = None,
                period: str = "Q") -> pd.DataFrame:
    """Lemma frequencies, overall or per group, in long format.

    Parameters
    ----------
    tokens : DataFrame
        ``tokens`` table (``segment_id``, ``lemma``, ``is_stopword``).
    by : str or list of str, optional
        Grouping (``speaker_role``, ``doc_id``/``workshop``, ``work_package``,
        ``period``, ...). None counts the whole corpus.
    segments : DataFrame, optional
        Source of group columns absent from ``tokens``.
    drop_stopwords : bool, default True
        Leave out stopword/filler tokens from counts (the group size ``total`` still
        counts only the kept tokens, so shares add up to 1).
    min_count : int, default 1
        Keep lemmas with at least this count in the group.
    top : int, optional
        Keep the ``top`` most frequent lemmas per group.
    period : str, default "Q"
        Period frequency when grouping by ``"period"``.

    Returns
    -------
    DataFrame
        group columns, ``lemma``, ``count``, ``n_segments`` (segments with the lemma),
        ``total`` (tokens in the group), ``per_1000``, ``rank`` (1 = most frequent);
        sorted by group, descending count, then lemma.

    Examples
    --------
    >>> tok = pd.DataFrame({"segment_id": ["a", "a", "b"], "lemma": ["nuori", "olla", "nuori"],
    ...                     "is_stopword": [False, True, False], "speaker_role": ["x", "x", "y"]})
    >>> frequencies(tok, "speaker_role")[["speaker_role", "lemma", "count", "total"]].values.tolist()
    [['x', 'nuori', 1, 1], ['y', 'nuori', 1, 1]]
    """
    _require(tokens, ["segment_id", "lemma"], "tokens")
    cols: list[str] = []
    if by is not None:
        tokens, cols = attach_groups(tokens, segments, by, period=period)
    if drop_stopwords and "is_stopword" in tokens.columns:
        tokens = tokens[~tokens["is_stopword"].astype(bool)]
    keys = cols + ["lemma"]
    if tokens.empty:
        return pd.DataFrame(columns=keys + ["count", "n_segments", "total", "per_1000", "rank"])
    grouped = tokens.groupby(keys, sort=False, dropna=False)
    out = grouped.size().rename("count").to_frame()
    out["n_segments"] = grouped["segment_id"].nunique()
    out = out.reset_index()
    if cols:
        totals = tokens.groupby(cols, dropna=False).size().rename("total").reset_index()
        out = out.merge(totals, on=cols, how="left")
    else:
        out["total"] = len(tokens)
    out["per_1000"] = 1000.0 * out["count"] / out["total"]
    out = out[out["count"] >= min_count]
    out = out.sort_values(cols + ["count", "lemma"], ascending=[True] * len(cols) + [False, True], kind="stable")
    out["rank"] = out.groupby(cols, dropna=False).cumcount() + 1 if cols else np.arange(1, len(out) + 1)
    if top is not None:
        out = out[out["rank"] <= top]
    return out.reset_index(drop=True)


def keyness_from_counts(counts_target: pd.Series, counts_reference: pd.Series, *, size_target: int | None = None,
                        size_reference: int | None = None, min_freq: int = 5) -> pd.DataFrame:
    """Log-likelihood keyness (G²) and log ratio from two frequency lists.

    Parameters
    ----------
    counts_target, counts_reference : Series
        Lemma → frequency in the target and reference corpus.
    size_target, size_reference : int, optional
        Corpus sizes in tokens; default to the sums of the counts.
    min_freq : int, default 5
        Keep lemmas whose combined frequency ``a + b`` is at least this.

    Returns
    -------
    DataFrame
        ``lemma``, ``freq_target``, ``freq_reference``, ``per_1000_target``,
        ``per_1000_reference``, ``g2``, ``p``, ``log_ratio``, ``direction``
        (``"target"`` when relatively more frequent in the target, else
        ``"reference"``); sorted by descending G², then lemma.
    """
    a = counts_target.astype(float)
    b = counts_reference.astype(float)
    index = a.index.union(b.index)
    a = a.reindex(index, fill_value=0.0)
    b = b.reindex(index, fill_value=0.0)
    c = float(size_target if size_target is not None else a.sum())
    d = float(size_reference if size_reference is not None else b.sum())
    if c <= 0 or d <= 0:
        raise DataError("a keyness corpus is empty (0 tokens)", hint="Check the two groups chosen for keyness.")
    if (a > c).any() or (b > d).any():
        raise DataError("a frequency exceeds its corpus size", hint="Pass the corpus sizes in tokens.")
    keep = (a + b) >= min_freq
    a, b = a[keep].to_numpy(), b[keep].to_numpy()
    lemmas = index[keep]
    e1 = c * (a + b) / (c + d)
    e2 = d * (a + b) / (c + d)
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = np.where(a > 0, a * np.log(a / e1), 0.0)
        t2 = np.where(b > 0, b * np.log(b / e2), 0.0)
    g2 = 2.0 * (t1 + t2)
    log_ratio = np.log2((np.where(a > 0, a, 0.5) / c) / (np.where(b > 0, b, 0.5) / d))
    out = pd.DataFrame({
        "lemma": lemmas.astype(str),
        "freq_target": a.astype("int64"),
        "freq_reference": b.astype("int64"),
        "per_1000_target": 1000.0 * a / c,
        "per_1000_reference": 1000.0 * b / d,
        "g2": g2,
        "p": stats.chi2.sf(g2, df=1),
        "log_ratio": log_ratio,
    })
    out["direction"] = np.where(a / c >= b / d, "target", "reference")
    return out.sort_values(["g2", "lemma"], ascending=[False, True], kind="stable").reset_index(drop=True)


def keyness(tokens: pd.DataFrame, by: str, target, reference=None, *, segments: pd.DataFrame | None = None,
            min_freq: int = 5, drop_stopwords: bool = True, period: str = "Q") -> pd.DataFrame:
    """Keywords of one group against another (or against all other groups).

    Parameters
    ----------
    tokens : DataFrame
        ``tokens`` table.
    by : str
        Group column (``speaker_role``, ``doc_id``/``workshop``, ``work_package``, ``period``).
    target : scalar or list
        Value(s) of ``by`` forming the target corpus.
    reference : scalar or list, optional
        Value(s) forming the reference corpus; default: every other value.
    segments : DataFrame, optional
        Source of ``by`` when it is not in ``tokens``.
    min_freq : int, default 5
        Minimum combined frequency.
    drop_stopwords : bool, default True
        Remove stopword tokens before counting (also from the corpus sizes).

    Returns
    -------
    DataFrame
        As :func:`keyness_from_counts`, plus ``target`` and ``reference`` labels and
        the corpus sizes ``size_target``/``size_reference``.
    """
    _require(tokens, ["segment_id", "lemma"], "tokens")
    tokens, (col,) = attach_groups(tokens, segments, by, period=period)
    if drop_stopwords and "is_stopword" in tokens.columns:
        tokens = tokens[~tokens["is_stopword"].astype(bool)]
    targets = list(target) if isinstance(target, (list, tuple, set)) else [target]
    in_target = tokens[col].isin(targets)
    if reference is None:
        in_reference = ~in_target & tokens[col].notna()
        reference_label = "other"
    else:
        refs = list(reference) if isinstance(reference, (list, tuple, set)) else [reference]
        overlap = set(refs) & set(targets)
        if overlap:
            raise DataError(f"value(s) {sorted(map(str, overlap))} are in both keyness groups",
                            hint="Choose two different groups.")
        in_reference = tokens[col].isin(refs)
        reference_label = "+".join(map(str, refs))
    if not in_target.any():
        raise DataError(f"no tokens where {col} is {targets}", hint=f"Values present: {sorted(map(str, tokens[col].dropna().unique()))}.")
    if not in_reference.any():
        raise DataError(f"no tokens in the reference group of {col}", hint="Choose another reference group.")
    ta, rb = tokens.loc[in_target, "lemma"], tokens.loc[in_reference, "lemma"]
    out = keyness_from_counts(ta.value_counts(), rb.value_counts(), size_target=len(ta), size_reference=len(rb),
                              min_freq=min_freq)
    out.insert(0, "reference", reference_label)
    out.insert(0, "target", "+".join(map(str, targets)))
    out["size_target"] = len(ta)
    out["size_reference"] = len(rb)
    return out


def collocations(tokens: pd.DataFrame, *, measure: str = "likelihood", min_freq: int = 3, window_size: int = 2,
                 top: int | None = 20, drop_stopwords: bool = True, column: str = "lemma") -> pd.DataFrame:
    """Bigram collocations of lemmas with NLTK's ``BigramCollocationFinder``.

    Bigrams never cross segment boundaries. Stopwords are removed with the finder's
    word filter, so pairs are counted only where the two lemmas really stood within
    the window.

    Parameters
    ----------
    tokens : DataFrame
        ``tokens`` table.
    measure : {"likelihood", "pmi"}
        ``BigramAssocMeasures.likelihood_ratio`` (Dunning's G²) or ``.pmi``.
    min_freq : int, default 3
        Frequency filter (``apply_freq_filter``).
    window_size : int, default 2
        2 = adjacent lemmas; larger values count pairs within the window.
    top : int, optional
        Keep the best ``top`` pairs.
    drop_stopwords : bool, default True
    column : str, default "lemma"

    Returns
    -------
    DataFrame
        ``w1``, ``w2``, ``freq``, ``score``, ``measure``; sorted by score then pair.
    """
    from nltk.collocations import BigramAssocMeasures, BigramCollocationFinder

    _require(tokens, ["segment_id", column], "tokens")
    measures = {"likelihood": BigramAssocMeasures.likelihood_ratio, "pmi": BigramAssocMeasures.pmi}
    if measure not in measures:
        raise ValueError(f"measure must be one of {sorted(measures)}, got {measure!r}")
    docs = tokens.sort_values(["segment_id", "position"], kind="stable") if "position" in tokens else tokens
    documents = docs.groupby("segment_id", sort=True)[column].apply(list).tolist()
    finder = BigramCollocationFinder.from_documents(documents) if window_size == 2 else None
    if finder is None:
        # from_documents supports only adjacent pairs; pad between documents instead
        words: list = []
        for doc in documents:
            words.extend(doc)
            words.extend([None] * (window_size - 1))
        finder = BigramCollocationFinder.from_words(words, window_size=window_size)
        finder.apply_ngram_filter(lambda w1, w2: w1 is None or w2 is None)
    if drop_stopwords and "is_stopword" in tokens.columns:
        stop = set(tokens.loc[tokens["is_stopword"].astype(bool), column])
        finder.apply_word_filter(lambda w: w is None or w in stop)
    finder.apply_freq_filter(min_freq)
    scored = finder.score_ngrams(measures[measure])
    rows = [(w1, w2, finder.ngram_fd[(w1, w2)], score) for (w1, w2), score in scored]
    out = pd.DataFrame(rows, columns=["w1", "w2", "freq", "score"])
    out["measure"] = measure
    out = out.sort_values(["score", "w1", "w2"], ascending=[False, True, True], kind="stable")
    if top is not None:
        out = out.head(top)
    return out.reset_index(drop=True)


def kwic(tokens: pd.DataFrame, lemma: str | list[str], *, width: int = 5, segments: pd.DataFrame | None = None,
         column: str = "lemma", limit: int | None = None) -> pd.DataFrame:
    """Keyword-in-context concordance by lemma.

    Parameters
    ----------
    tokens : DataFrame
        ``tokens`` table.
    lemma : str or list of str
        The lemma(s) to find (lower case), e.g. ``"asunto"`` finds asunnon, asuntoa.
    width : int, default 5
        Number of words on each side.
    segments : DataFrame, optional
        With ``segment_id`` and ``text``: the context is cut from the segment text
        (punctuation kept, transcription marks blanked) and the group columns of the
        segments (speaker, role, document, date) are added. Without it the context is
        the tokens as written, joined by spaces.
    column : str, default "lemma"
    limit : int, optional
        Only the first ``limit`` lines (what ``.head(limit)`` of all of them gives): the
        segments after them are not cut, which a published excerpt of a large corpus
        does not need (2,300 hits at scale 100 for a table of 60).

    Returns
    -------
    DataFrame
        ``segment_id``, ``position``, ``lemma``, ``left``, ``keyword`` (as written),
        ``right`` (+ segment columns); in segment and position order.

    Examples
    --------
    >>> tok = pd.DataFrame({"segment_id": ["a"] * 4, "position": [1, 2, 3, 4],
    ...                     "token": ["Mä", "etin", "asuntoa", "Kemistä"],
    ...                     "lemma": ["minä", "etsiä", "asunto", "kemi"], "start": [0, 3, 8, 16],
    ...                     "end": [2, 7, 15, 23]})
    >>> kwic(tok, "asunto", width=1)[["left", "keyword", "right"]].values.tolist()
    [['etin', 'asuntoa', 'Kemistä']]
    """
    _require(tokens, ["segment_id", "token", column], "tokens")
    if width < 0:
        raise ValueError("width must be >= 0")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValueError(f"limit must be a whole number >= 0 or None, got {limit!r}")
    targets = {lemma.lower()} if isinstance(lemma, str) else {x.lower() for x in lemma}
    tok = tokens.sort_values(["segment_id", "position"], kind="stable") if "position" in tokens else tokens
    hits_mask = tok[column].isin(targets)
    cols_out = ["segment_id", "position", "lemma", "left", "keyword", "right"]
    if not hits_mask.any():
        return pd.DataFrame(columns=cols_out)
    texts = None
    if segments is not None:
        _require(segments, ["segment_id", "text"], "segments")
        texts = dict(zip(segments["segment_id"].astype(str), segments["text"].astype(str)))
    has_offsets = {"start", "end"} <= set(tok.columns)
    rows = []
    hit_segments = set(tok.loc[hits_mask, "segment_id"])
    for sid, group in tok[tok["segment_id"].isin(hit_segments)].groupby("segment_id", sort=True):
        if limit is not None and len(rows) >= limit:
            break
        # one entry per written token (a multi-word normalisation repeats the token)
        written = group.drop_duplicates(["start", "end"]) if has_offsets else group
        w_tokens = written["token"].tolist()
        w_index = {key: i for i, key in enumerate(zip(written["start"], written["end"]))} if has_offsets else None
        text = texts.get(str(sid)) if texts is not None else None
        blank = blank_marks(text) if text is not None else None
        seen = set()
        for i, row in enumerate(group.itertuples(index=False)):
            if getattr(row, column) not in targets:
                continue
            k = w_index[(row.start, row.end)] if has_offsets else i
            if k in seen:
                continue
            seen.add(k)
            lo, hi = max(0, k - width), min(len(w_tokens), k + width + 1)
            if blank is not None and has_offsets:
                starts, ends = written["start"].tolist(), written["end"].tolist()
                left = _squash(blank[starts[lo]:starts[k]]) if k > lo else ""
                right = _squash(blank[ends[k]:ends[hi - 1]]) if hi - 1 > k else ""
                keyword = text[starts[k]:ends[k]]
            else:
                left, keyword, right = " ".join(w_tokens[lo:k]), w_tokens[k], " ".join(w_tokens[k + 1:hi])
            rows.append((sid, getattr(row, "position", i + 1), getattr(row, column), left, keyword, right))
    out = pd.DataFrame(rows[:limit] if limit is not None else rows, columns=cols_out)
    if segments is not None:
        extra = [c for c in segments.columns if c not in ("text", "start", "end") and c not in out.columns]
        out = out.merge(segments[["segment_id", *extra]], on="segment_id", how="left")
    return out.reset_index(drop=True)


def _squash(text: str) -> str:
    return " ".join(text.split())

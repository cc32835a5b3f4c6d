"""Inductive aid: topics from lemma TF-IDF with non-negative matrix factorisation (NMF).

This is **exploration, not findings**. A topic is a list of lemmas that tend to occur
together; it has no meaning until a researcher reads the representative segments and
decides whether it points to a theme the codebook misses. Results depend on the number
of topics, the stopword list and the vocabulary filters, so report them, if at all, as
"exploratory topic modelling suggested…", together with these settings.

Method: one document per segment, its non-stopword lemmas (the tokens table), weighted
with TF-IDF (scikit-learn ``TfidfVectorizer``, sublinear term frequency, l2 norm) and
factorised with ``NMF`` (``init="nndsvda"``, fixed ``random_state``), which is
deterministic for the same input.

Examples
--------
>>> import pandas as pd
>>> tokens = pd.DataFrame({"segment_id": ["a"] * 3 + ["b"] * 3 + ["c"] * 3 + ["d"] * 3,
...                        "position": [0, 1, 2] * 4,
...                        "lemma": ["asunto", "vuokra", "kämppä", "asunto", "vuokra", "muutto",
...                                  "ryhmä", "vertainen", "tavata", "ryhmä", "vertainen", "kahvi"]})
>>> model = fit_topics(tokens, n_topics=2, min_df=1)
>>> sorted(model.terms.query("rank <= 2").groupby("topic")["term"].apply(tuple).tolist())
[('asunto', 'vuokra'), ('ryhmä', 'vertainen')]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from analysis.coding.autocode import _require_columns
from analysis.coding.matrices import _clean_text
from analysis.errors import DataError

#: The label every topic table and figure carries.
EXPLORATION_NOTE = {
    "fi": ("Tutkiva aihemallinnus (NMF, lemmojen TF-IDF): aiheet ovat lukemisen apuväline "
           "induktiiviseen analyysiin, eivät tuloksia."),
    "en": ("Exploratory topic modelling (NMF over lemma TF-IDF): topics are an aid to reading "
           "for inductive analysis, not findings."),
}


def _identity(doc: list[str]) -> list[str]:
    return doc


@dataclass
class TopicModel:
    """A fitted exploratory topic model.

    Attributes
    ----------
    terms : DataFrame
        ``topic, label, rank, term, weight``: the top lemmas of each topic.
    document_topics : DataFrame
        ``segment_id, topic, weight``: every segment's weight on every topic (long).
    params : dict
        The settings used (report them with the topics).
    note : dict
        :data:`EXPLORATION_NOTE`.
    """

    terms: pd.DataFrame
    document_topics: pd.DataFrame
    params: dict
    reconstruction_error: float
    note: dict = field(default_factory=lambda: dict(EXPLORATION_NOTE))

    @property
    def labels(self) -> dict[int, str]:
        """``{topic: "T1: asunto · vuokra · kämppä"}``."""
        return dict(self.terms.drop_duplicates("topic")[["topic", "label"]].itertuples(index=False, name=None))

    def summary(self) -> pd.DataFrame:
        """One row per topic: ``topic, label, terms, n_segments`` (segments whose strongest topic it is)."""
        dominant = (self.document_topics.sort_values(["segment_id", "weight", "topic"], ascending=[True, False, True])
                    .drop_duplicates("segment_id"))
        dominant = dominant[dominant["weight"] > 0]
        counts = dominant.groupby("topic").size()
        rows = []
        for topic, group in self.terms.groupby("topic", sort=True):
            rows.append({"topic": int(topic), "label": group["label"].iloc[0],
                         "terms": ", ".join(group.sort_values("rank")["term"]),
                         "n_segments": int(counts.get(topic, 0))})
        return pd.DataFrame(rows, columns=["topic", "label", "terms", "n_segments"])


def lemma_documents(tokens: pd.DataFrame, *, drop_stopwords: bool = True, min_length: int = 2) -> pd.Series:
    """Each segment's content lemmas, in reading order.

    Parameters
    ----------
    tokens : DataFrame
        ``segment_id, position, lemma`` and optionally ``is_stopword``.
    drop_stopwords : bool
        Leave out tokens flagged ``is_stopword``.
    min_length : int
        Leave out lemmas shorter than this and lemmas without letters (numbers).

    Returns
    -------
    Series
        Index ``segment_id`` (sorted), values lists of lemmas.
    """
    _require_columns(tokens, ["segment_id", "position", "lemma"], "tokens")
    frame = tokens[tokens["lemma"].notna()].copy()
    if drop_stopwords and "is_stopword" in frame.columns:
        frame = frame[~frame["is_stopword"].fillna(False).astype(bool)]
    frame["lemma"] = frame["lemma"].astype(str).str.lower()
    frame = frame[frame["lemma"].str.len() >= min_length]
    frame = frame[frame["lemma"].str.contains(r"[^\W\d_]", regex=True)]
    frame["segment_id"] = frame["segment_id"].astype(str)
    frame = frame.sort_values(["segment_id", "position"], kind="stable")
    return frame.groupby("segment_id", sort=True)["lemma"].apply(list)


def fit_topics(
    tokens: pd.DataFrame,
    *,
    n_topics: int = 6,
    n_terms: int = 10,
    min_df: int = 2,
    max_df: float = 0.5,
    min_lemmas: int = 3,
    drop_stopwords: bool = True,
    random_state: int = 0,
) -> TopicModel:
    """Fit an exploratory NMF topic model on lemma TF-IDF.

    Parameters
    ----------
    tokens : DataFrame
        The tokens table (``segment_id, position, lemma``, ``is_stopword``).
    n_topics : int
        Number of topics.
    n_terms : int
        Top lemmas listed per topic.
    min_df : int
        A lemma must occur in at least this many segments.
    max_df : float
        …and in at most this share of segments (drops words present everywhere).
    min_lemmas : int
        Segments with fewer content lemmas are left out (short back-channel turns).
    drop_stopwords : bool
        Use only lemmas not flagged as stopwords.
    random_state : int
        Seed of NMF (results are reproducible for the same input).

    Returns
    -------
    TopicModel

    Raises
    ------
    DataError
        When fewer segments or lemmas remain than topics requested.
    """
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    if n_topics < 1 or n_terms < 1:
        raise ValueError("n_topics and n_terms must be at least 1")
    docs = lemma_documents(tokens, drop_stopwords=drop_stopwords)
    docs = docs[docs.map(len) >= min_lemmas]
    if len(docs) < max(n_topics, 2):
        raise DataError(f"only {len(docs)} segments with at least {min_lemmas} content lemmas for {n_topics} topics",
                        file="tokens", hint="Use fewer topics, a lower min_lemmas, or more segments.")
    vectorizer = TfidfVectorizer(analyzer=_identity, min_df=min_df, max_df=max_df if len(docs) > 2 else 1.0,
                                 sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform(list(docs))
    except ValueError as exc:
        raise DataError(f"no lemmas left after filtering ({exc})", file="tokens",
                        hint="Lower min_df or raise max_df.") from None
    vocabulary = vectorizer.get_feature_names_out()
    if len(vocabulary) < n_topics:
        raise DataError(f"only {len(vocabulary)} lemmas left for {n_topics} topics", file="tokens",
                        hint="Use fewer topics or lower min_df.")
    nmf = NMF(n_components=n_topics, init="nndsvda", random_state=random_state, max_iter=1000)
    weights = nmf.fit_transform(matrix)
    components = nmf.components_

    rows = []
    for topic in range(n_topics):
        # stable ordering: weight descending, then lemma alphabetically
        order = sorted(range(len(vocabulary)), key=lambda j: (-components[topic, j], vocabulary[j]))[:n_terms]
        order = [j for j in order if components[topic, j] > 0]
        top = [str(vocabulary[j]) for j in order]
        label = f"T{topic + 1}: " + " · ".join(top[:3])
        for rank, j in enumerate(order, start=1):
            rows.append({"topic": topic + 1, "label": label, "rank": rank, "term": str(vocabulary[j]),
                         "weight": float(components[topic, j])})
    terms = pd.DataFrame(rows, columns=["topic", "label", "rank", "term", "weight"])
    doc_topics = pd.DataFrame(weights, index=docs.index, columns=range(1, n_topics + 1))
    doc_topics = (doc_topics.rename_axis(index="segment_id", columns="topic").stack()
                  .rename("weight").reset_index())
    doc_topics["topic"] = doc_topics["topic"].astype("int64")
    params = {"n_topics": n_topics, "n_terms": n_terms, "min_df": min_df, "max_df": max_df,
              "min_lemmas": min_lemmas, "drop_stopwords": drop_stopwords, "random_state": random_state,
              "n_segments": int(len(docs)), "n_lemmas": int(len(vocabulary))}
    return TopicModel(terms=terms, document_topics=doc_topics, params=params,
                      reconstruction_error=float(nmf.reconstruction_err_))


def representative_segments(
    model: TopicModel,
    segments: pd.DataFrame,
    *,
    n: int = 3,
    min_chars: int = 40,
    max_chars: int = 400,
) -> pd.DataFrame:
    """The segments that load most on each topic, for reading.

    Only segments whose strongest topic is the topic are used, ranked by weight (ties by
    ``segment_id``), within the length window.

    Parameters
    ----------
    model : TopicModel
    segments : DataFrame
        ``segment_id, text`` (and context columns such as ``speaker``, ``speaker_role``).
    n : int
        Segments per topic.
    min_chars, max_chars : int
        Length window of the cleaned text.

    Returns
    -------
    DataFrame
        ``topic, label, rank, segment_id, weight, [speaker, speaker_role, doc_id], text``.
    """
    _require_columns(segments, ["segment_id", "text"], "segments")
    dt = model.document_topics
    dominant = (dt.sort_values(["segment_id", "weight", "topic"], ascending=[True, False, True])
                .drop_duplicates("segment_id"))
    dominant = dominant[dominant["weight"] > 0]
    seg = segments.copy()
    seg["segment_id"] = seg["segment_id"].astype(str)
    seg["text"] = seg["text"].fillna("").map(_clean_text)
    seg = seg[seg["text"].str.len().between(min_chars, max_chars)]
    merged = dominant.merge(seg, on="segment_id", how="inner")
    merged = merged.sort_values(["topic", "weight", "segment_id"], ascending=[True, False, True], kind="stable")
    merged["rank"] = merged.groupby("topic").cumcount() + 1
    merged = merged[merged["rank"] <= n]
    merged["label"] = merged["topic"].map(model.labels)
    context = [c for c in ("speaker", "speaker_role", "doc_id") if c in merged.columns]
    return merged[["topic", "label", "rank", "segment_id", "weight", *context, "text"]].reset_index(drop=True)


def topic_weights_by_group(model: TopicModel, segments: pd.DataFrame, by: str) -> pd.DataFrame:
    """Mean topic weight per group (e.g. per speaker role), long.

    Returns
    -------
    DataFrame
        ``by, topic, label, n_segments, mean_weight``.
    """
    _require_columns(segments, ["segment_id", by], "segments")
    seg = segments[["segment_id", by]].astype({"segment_id": str})
    merged = model.document_topics.merge(seg, on="segment_id", how="inner")
    out = (merged.groupby([by, "topic"], sort=True)
           .agg(n_segments=("segment_id", "nunique"), mean_weight=("weight", "mean")).reset_index())
    out["label"] = out["topic"].map(model.labels)
    out["mean_weight"] = out["mean_weight"].astype(float)
    return out[[by, "topic", "label", "n_segments", "mean_weight"]]


__all__ = ["EXPLORATION_NOTE", "TopicModel", "fit_topics", "lemma_documents", "representative_segments",
           "topic_weights_by_group"]

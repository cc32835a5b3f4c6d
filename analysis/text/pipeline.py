"""From transcripts and diaries to segments and token tables.

* :func:`document_text` — the text of a workshop document: its turns joined as
  ``"{speaker}: {text}\\n"``; every ``start``/``end`` offset of a workshop segment indexes
  into it (the REFI-QDA exporter writes the same text).
* :func:`segments_from_turns`, :func:`segments_from_diaries` — the ``segments`` table of
  ``docs/architecture.md`` at the unit chosen (turn, sentence, diary entry).
* :func:`tokens_table` — one row per token: as written, normalised, lemma, stopword flag.
  Each distinct word type is lemmatised once (memoised), so a warm run handles
  hundreds of thousands of tokens per second.
* :func:`cached_tokens_table` — the token table stored in ``data/processed/`` and reused
  while the segments, the lemmatiser and the ``config/text`` files are unchanged.

Examples
--------
>>> import pandas as pd
>>> turns = pd.DataFrame({"workshop_id": ["W01", "W01"], "turn": [1, 2],
...                       "speaker": ["Fasilitaattori 1", "Nuori 3"],
...                       "speaker_role": ["facilitator", "young_person"],
...                       "text": ["Mitä mietitte?", "Mä en tiiä [naurua]. Tukiasunto oli hyvä."]})
>>> seg = segments_from_turns(turns, unit="sentence")
>>> list(seg.segment_id)
['W01-t0001-s01', 'W01-t0002-s01', 'W01-t0002-s02']
>>> doc = document_text(turns, "W01")
>>> doc[seg.start[2]:seg.end[2]]
'Tukiasunto oli hyvä.'
>>> tokens_table(seg, backend="simplemma")[["token", "lemma"]].tail(3).values.tolist()
[['Tukiasunto', 'tukiasunto'], ['oli', 'olla'], ['hyvä', 'hyvä']]
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.errors import DataError
from analysis.validation import require_columns
from analysis.text import lemmatise as _lem
from analysis.text._resources import config_file
from analysis.text.normalise import SpokenForms, load_spoken_forms, normalise_cached
from analysis.text.stopwords import fillers as _fillers
from analysis.text.stopwords import stopword_set
from analysis.text.tokenize import _TOKEN_RE, blank_marks, sentence_spans

__all__ = [
    "SEGMENT_COLUMNS",
    "TOKEN_COLUMNS",
    "document_text",
    "segments_from_turns",
    "segments_from_diaries",
    "tokens_table",
    "cached_tokens_table",
]

SEGMENT_COLUMNS = [
    "segment_id", "unit", "doc_id", "doc_type", "speaker", "speaker_role",
    "work_package", "date", "text", "start", "end",
]
TOKEN_COLUMNS = ["segment_id", "position", "token", "normalised", "lemma", "is_stopword", "start", "end"]

_TURN_COLUMNS = ("workshop_id", "turn", "speaker", "speaker_role", "text")
_DIARY_COLUMNS = ("entry_id", "text")


def _require(df: pd.DataFrame, columns, what: str) -> None:
    require_columns(df, columns, what, hint="Read the processed table from data/processed/ (see docs/architecture.md).")


def _as_text(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value)


def _ordered_turns(turns: pd.DataFrame, workshop_id) -> pd.DataFrame:
    part = turns[turns["workshop_id"] == workshop_id]
    if part.empty:
        raise DataError(f"workshop {workshop_id!r} has no turns", hint="Check the workshop_id.")
    dup = part["turn"].duplicated()
    if dup.any():
        raise DataError(
            f"workshop {workshop_id!r} has turn number {part['turn'][dup].iloc[0]} twice",
            location="table transcript_turns",
            hint="Turn numbers must be unique within a workshop; re-run the ingestion.",
        )
    return part.sort_values("turn", kind="stable")


def document_text(turns: pd.DataFrame, workshop_id: str) -> str:
    """The document text of one workshop: ``"{speaker}: {text}\\n"`` per turn, in turn order.

    Parameters
    ----------
    turns : DataFrame
        ``transcript_turns`` (``workshop_id``, ``turn``, ``speaker``, ``text``).
    workshop_id : str

    Returns
    -------
    str
        Segment offsets from :func:`segments_from_turns` index into this string.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"workshop_id": ["W01"] * 2, "turn": [2, 1], "speaker": ["ST 1", "Nuori 2"],
    ...                   "speaker_role": ["social_worker", "young_person"], "text": ["Joo.", "Moi!"]})
    >>> document_text(t, "W01")
    'Nuori 2: Moi!\\nST 1: Joo.\\n'
    """
    _require(turns, _TURN_COLUMNS, "transcript_turns")
    part = _ordered_turns(turns, workshop_id)
    return "".join(f"{_as_text(s)}: {_as_text(t)}\n" for s, t in zip(part["speaker"], part["text"]))


def _column_or_none(df: pd.DataFrame, name: str) -> pd.Series:
    return df[name] if name in df.columns else pd.Series([None] * len(df), index=df.index, dtype=object)


def segments_from_turns(turns: pd.DataFrame, unit: str = "turn", workshops: pd.DataFrame | None = None) -> pd.DataFrame:
    """Segments of workshop transcripts, one per turn or per sentence.

    Parameters
    ----------
    turns : DataFrame
        ``transcript_turns``: ``workshop_id``, ``turn``, ``speaker``, ``speaker_role``,
        ``text`` (marks kept); ``work_package`` and ``date`` are taken from here if
        present, else from ``workshops``.
    unit : {"turn", "sentence"}
    workshops : DataFrame, optional
        ``workshops`` table (``workshop_id``, ``date``, ``work_package``).

    Returns
    -------
    DataFrame
        :data:`SEGMENT_COLUMNS`; ``segment_id`` is ``W01-t0012`` (turn) or
        ``W01-t0012-s02`` (sentence), ``doc_id`` the workshop id, ``doc_type``
        ``"workshop"``; ``start``/``end`` are code-point offsets into
        :func:`document_text`. Sorted by workshop and turn.
    """
    if unit not in ("turn", "sentence"):
        raise ValueError(f"unit must be 'turn' or 'sentence', got {unit!r}")
    _require(turns, _TURN_COLUMNS, "transcript_turns")
    meta = turns.copy()
    if workshops is not None:
        _require(workshops, ("workshop_id",), "workshops")
        extra = [c for c in ("work_package", "date") if c in workshops.columns and c not in meta.columns]
        if extra:
            meta = meta.merge(workshops[["workshop_id", *extra]].drop_duplicates("workshop_id"), on="workshop_id", how="left")
    meta["work_package"] = _column_or_none(meta, "work_package")
    meta["date"] = pd.to_datetime(_column_or_none(meta, "date"), errors="coerce")

    meta["workshop_id"] = meta["workshop_id"].astype(str)
    records = []
    for workshop_id, group in meta.groupby("workshop_id", sort=True):
        part = _ordered_turns(group, workshop_id)
        pos = 0
        for row in part.itertuples(index=False):
            speaker, text = _as_text(row.speaker), _as_text(row.text)
            try:
                turn_no = int(row.turn)
            except (TypeError, ValueError) as exc:
                raise DataError(f"turn number {row.turn!r} is not an integer", location=f"workshop {workshop_id}",
                                hint="Re-run the ingestion of this transcript.") from exc
            text_start = pos + len(speaker) + 2
            base = dict(unit=unit, doc_id=workshop_id, doc_type="workshop", speaker=speaker,
                        speaker_role=row.speaker_role, work_package=row.work_package, date=row.date)
            turn_id = f"{workshop_id}-t{turn_no:04d}"
            if unit == "turn":
                records.append(dict(segment_id=turn_id, text=text, start=text_start,
                                    end=text_start + len(text), **base))
            else:
                for k, (s, e) in enumerate(sentence_spans(text), start=1):
                    records.append(dict(segment_id=f"{turn_id}-s{k:02d}", text=text[s:e],
                                        start=text_start + s, end=text_start + e, **base))
            pos = text_start + len(text) + 1
    return _segments_frame(records)


def _segments_frame(records: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame.from_records(records, columns=SEGMENT_COLUMNS)
    out["start"] = out["start"].astype("int64")
    out["end"] = out["end"].astype("int64")
    out["date"] = pd.to_datetime(out["date"], errors="coerce")
    return out.reset_index(drop=True)


def _entry_id(value) -> str:
    if isinstance(value, (int, np.integer)):
        return f"D{int(value):04d}"
    return str(value)


def segments_from_diaries(diaries: pd.DataFrame, unit: str = "diary_entry") -> pd.DataFrame:
    """Segments of project diaries, one per entry (or per sentence of an entry).

    Parameters
    ----------
    diaries : DataFrame
        ``diary_entries``: ``entry_id``, ``text`` and, when present, ``date``,
        ``writer``, ``writer_role``, ``work_package``.
    unit : {"diary_entry", "sentence"}

    Returns
    -------
    DataFrame
        :data:`SEGMENT_COLUMNS`; ``segment_id`` is the entry id (``D0042``; integer ids
        are formatted so) or ``D0042-s03``; ``doc_id`` the entry id, ``doc_type``
        ``"diary"``; offsets index into the entry ``text``. Sorted by date, then id.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"entry_id": [42], "date": ["2025-03-01"], "writer": ["SO 1"],
    ...                   "writer_role": ["social_counsellor"], "work_package": ["TP2C"],
    ...                   "text": ["Asuntoa ei löytynyt. Huoli kasvaa."]})
    >>> segments_from_diaries(d, unit="sentence")[["segment_id", "start", "end"]].values.tolist()
    [['D0042-s01', 0, 20], ['D0042-s02', 21, 34]]
    """
    if unit not in ("diary_entry", "sentence"):
        raise ValueError(f"unit must be 'diary_entry' or 'sentence', got {unit!r}")
    _require(diaries, _DIARY_COLUMNS, "diary_entries")
    ids = diaries["entry_id"].map(_entry_id)
    dup = ids.duplicated()
    if dup.any():
        raise DataError(f"entry_id {ids[dup].iloc[0]!r} appears twice", location="table diary_entries",
                        hint="Entry ids must be unique; re-run the ingestion.")
    frame = pd.DataFrame({
        "doc_id": ids,
        "speaker": _column_or_none(diaries, "writer"),
        "speaker_role": _column_or_none(diaries, "writer_role"),
        "work_package": _column_or_none(diaries, "work_package"),
        "date": pd.to_datetime(_column_or_none(diaries, "date"), errors="coerce"),
        "text": diaries["text"].map(_as_text),
    }).sort_values(["date", "doc_id"], kind="stable", na_position="last")
    records = []
    for row in frame.itertuples(index=False):
        base = dict(unit=unit, doc_id=row.doc_id, doc_type="diary", speaker=row.speaker,
                    speaker_role=row.speaker_role, work_package=row.work_package, date=row.date)
        if unit == "diary_entry":
            records.append(dict(segment_id=row.doc_id, text=row.text, start=0, end=len(row.text), **base))
        else:
            for k, (s, e) in enumerate(sentence_spans(row.text), start=1):
                records.append(dict(segment_id=f"{row.doc_id}-s{k:02d}", text=row.text[s:e], start=s, end=e, **base))
    return _segments_frame(records)


# --------------------------------------------------------------------------- tokens
def tokens_table(
    segments: pd.DataFrame,
    *,
    backend: str | None = None,
    stem: bool = False,
    stopwords: frozenset[str] | set[str] | None = None,
    spoken_forms: SpokenForms | None = None,
) -> pd.DataFrame:
    """Tokenise, normalise and lemmatise segments: one row per (normalised) token.

    Parameters
    ----------
    segments : DataFrame
        At least ``segment_id`` (unique) and ``text`` (transcription marks are skipped).
    backend : str, optional
        Lemmatiser backend (see :func:`analysis.text.lemmatise.lemmatise`).
    stem : bool, default False
        Add a ``stem`` column (Snowball Finnish stem of the normalised token).
    stopwords : set of str, optional
        Lemmas to flag; defaults to :func:`analysis.text.stopwords.stopword_set`.
        Fillers (``fillers.txt``) are also matched on the token as written.
    spoken_forms : SpokenForms, optional
        Normalisation table; defaults to ``config/text/spoken_forms.tsv``.

    Returns
    -------
    DataFrame
        ``segment_id``, ``position`` (1-based, per segment), ``token`` (as written),
        ``normalised`` (lower case, standard form), ``lemma``, ``is_stopword``,
        ``start``/``end`` (offsets of the written token in the segment ``text``) and,
        when asked, ``stem``. A spoken form with a multi-word standard form
        (``niinku`` → ``niin kuin``) gives one row per standard word, each with the
        same ``token``, ``start`` and ``end``.

    Raises
    ------
    DataError
        If a column is missing or a ``segment_id`` is repeated.
    """
    _require(segments, ("segment_id", "text"), "segments")
    seg_ids = segments["segment_id"].astype(str)
    dup = seg_ids.duplicated()
    if dup.any():
        raise DataError(f"segment_id {seg_ids[dup].iloc[0]!r} appears twice", location="table segments",
                        hint="Build segments with segments_from_turns/segments_from_diaries, one unit at a time.")
    backend = backend or _lem.default_backend()
    table = spoken_forms or load_spoken_forms()
    stop = frozenset(stopwords) if stopwords is not None else stopword_set()
    fill = _fillers()

    sid_out: list[str] = []
    tok_out: list[str] = []
    start_out: list[int] = []
    end_out: list[int] = []
    for sid, text in zip(seg_ids.tolist(), segments["text"].tolist()):
        text = _as_text(text)
        if not text:
            continue
        blank = blank_marks(text) if ("[" in text or "(" in text or "-" in text or ":" in text or "—" in text) else text
        for m in _TOKEN_RE.finditer(blank):
            s, e = m.span()
            sid_out.append(sid)
            tok_out.append(text[s:e])
            start_out.append(s)
            end_out.append(e)

    columns = TOKEN_COLUMNS + (["stem"] if stem else [])
    if not tok_out:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        empty["position"] = empty["position"].astype("int64")
        empty["is_stopword"] = empty["is_stopword"].astype(bool)
        empty["start"] = empty["start"].astype("int64")
        empty["end"] = empty["end"].astype("int64")
        return empty

    lower = [t.lower() for t in tok_out]
    forms, blockers = table.forms, table.except_after
    # spoken forms the table lacks: the general rules, once per distinct word type
    ruled = {}
    for low in dict.fromkeys(lower):
        if low not in forms:
            std = normalise_cached(low, table, backend)
            if std != (low,):
                ruled[low] = std
    normal: list = []
    prev_sid, prev = None, None
    for sid, low in zip(sid_out, lower):
        std = forms.get(low)
        if std is None:
            std = ruled.get(low)
            normal.append(low if std is None else (std[0] if len(std) == 1 else std))
        elif sid == prev_sid and low in blockers and prev in blockers[low]:
            normal.append(low)
        else:
            normal.append(std[0] if len(std) == 1 else std)
        prev_sid, prev = sid, low

    frame = pd.DataFrame({"segment_id": sid_out, "token": tok_out, "normalised": normal,
                          "start": start_out, "end": end_out, "_lower": lower})
    if any(isinstance(n, tuple) for n in normal):
        frame = frame.explode("normalised", ignore_index=True)
    frame["position"] = frame.groupby("segment_id", sort=False).cumcount() + 1

    types = pd.unique(frame["normalised"])
    lemma_of = _lem.lemmatise_many(types, backend=backend)
    frame["lemma"] = frame["normalised"].map(lemma_of)
    frame["is_stopword"] = (
        frame["lemma"].isin(stop) | frame["normalised"].isin(fill) | frame["_lower"].isin(fill)
    )
    if stem:
        stems = {t: _lem.stem(t) for t in types}
        frame["stem"] = frame["normalised"].map(stems)
    frame["start"] = frame["start"].astype("int64")
    frame["end"] = frame["end"].astype("int64")
    return frame[columns]


# --------------------------------------------------------------------------- cache
_CONFIG_FILES = ("spoken_forms.tsv", "lexicon.tsv", "compounds.txt", "stopwords_fi.txt", "fillers.txt",
                 "stopwords_project.txt", "lemmatiser.yaml")


def tokens_fingerprint(segments: pd.DataFrame, *, backend: str | None = None, stem: bool = False) -> str:
    """SHA-256 of everything a token table depends on: segment ids and texts, the
    lemmatiser backend and its versions (:func:`analysis.text.lemmatise.backend_info`, which
    includes the hash of the frequency prior), and the ``config/text`` files."""
    from importlib.metadata import PackageNotFoundError, version

    h = hashlib.sha256()
    backend = backend or _lem.default_backend()
    h.update(f"backend={backend};stem={stem};".encode())
    info = _lem.backend_info(backend)
    h.update(";".join(f"{k}={v}" for k, v in sorted(info.items()) if k != "set_in").encode())
    for pkg in ("simplemma", "nltk", "libvoikko", "pyvoikko"):
        try:
            h.update(f"{pkg}={version(pkg)};".encode())
        except PackageNotFoundError:
            h.update(f"{pkg}=none;".encode())
    for name in _CONFIG_FILES:
        h.update(name.encode())
        h.update(config_file(name).read_bytes())
    for sid, text in zip(segments["segment_id"].astype(str), segments["text"].map(_as_text)):
        h.update(sid.encode())
        h.update(b"\x00")
        h.update(text.encode("utf-8"))
        h.update(b"\x01")
    return h.hexdigest()


def cached_tokens_table(segments: pd.DataFrame, path: str | Path, *, backend: str | None = None,
                        stem: bool = False) -> pd.DataFrame:
    """:func:`tokens_table`, stored as Parquet and reused while nothing it depends on changed.

    Parameters
    ----------
    segments : DataFrame
    path : str or Path
        Where to keep the table, e.g. ``ws.processed / "tokens_workshops_turn.parquet"``.
        The fingerprint (:func:`tokens_fingerprint`) is stored in the Parquet metadata.
    backend, stem
        As in :func:`tokens_table`.

    Returns
    -------
    DataFrame
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    fingerprint = tokens_fingerprint(segments, backend=backend, stem=stem)
    if path.is_file():
        try:
            meta = pq.read_schema(path).metadata or {}
            if meta.get(b"jakala_fingerprint", b"").decode() == fingerprint:
                return pd.read_parquet(path)
        except (OSError, pa.ArrowInvalid):
            pass  # unreadable cache: rebuild
    table = tokens_table(segments, backend=backend, stem=stem)
    arrow = pa.Table.from_pandas(table, preserve_index=False)
    arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}), b"jakala_fingerprint": fingerprint.encode()})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(arrow, tmp)
    os.replace(tmp, path)
    return table

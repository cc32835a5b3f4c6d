"""Map imported REFI-QDA selections to the workspace's segments (the majority-overlap rule).

A QDA tool codes free selections of a document; the workspace counts codings per segment
(turn, sentence, diary entry). :func:`map_codings_to_segments` matches each imported source
to a workspace document (stable GUID, name or text), re-anchors selections when the coder
edited the text, and assigns each selection to the segments it overlaps by majority;
whatever cannot be mapped is returned with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import PurePosixPath

import numpy as np
import pandas as pd

from analysis.coding.refi._common import _as_documents, _check_codebook, _normalisation_map, normalise_text, stable_guid
from analysis.coding.refi.import_ import QdaProject
from analysis.errors import DataError


_UNMAPPED_COLUMNS = ["source_guid", "source_name", "selection_guid", "start", "end", "code", "code_name",
                     "coder", "text", "reason"]


def map_codings_to_segments(
    codings: pd.DataFrame | QdaProject,
    segments: pd.DataFrame,
    documents: Mapping[str, str] | pd.Series | None = None,
    *,
    codebook_table: pd.DataFrame | None = None,
    min_share: float = 0.5,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Map imported selections to the workspace's segments.

    The rule (majority overlap): a selection ``[s, e)`` codes a segment ``[a, b)`` of the same
    document when they overlap and the overlap is at least ``min_share`` of the segment **or**
    at least ``min_share`` of the selection. So a selection of a whole turn that spills a few
    characters into the next turn codes only the first turn, and a one-sentence selection in a
    long turn codes that turn. Pass segments of one ``unit`` (turns, sentences or diary
    entries); with several units a selection codes matching segments of each.

    A source is matched to a workspace document by its stable GUID, else by its name
    (``W01`` or ``W01.txt``), else (when the project is passed) by identical text. When
    ``documents`` is given and the imported text differs from the workspace text (the coder
    edited the transcript), each selection is re-anchored at the nearest occurrence of its
    selected text; if that text is not found the selection is reported.

    Parameters
    ----------
    codings : DataFrame or QdaProject
        ``QdaProject.codings`` (or the project itself, to allow matching sources by text).
    segments : DataFrame
        ``segment_id, doc_id, start, end`` (code points into the document text).
    documents : dict or Series, optional
        ``doc_id`` → workspace document text, to check the imported text.
    codebook_table : DataFrame, optional
        The workspace codebook: codings with codes outside it are reported.
    min_share : float
        The majority threshold (0 < min_share ≤ 1).

    Returns
    -------
    (DataFrame, DataFrame)
        ``segment_codings`` with columns ``segment_id, code, coder`` (unique, ordered as the
        segments), and ``unmapped`` with columns ``source_guid, source_name, selection_guid,
        start, end, code, code_name, coder, text, reason``.

    Examples
    --------
    A selection of characters 2–23 covers most of turn ``t1`` (0–20) and spills three
    characters into ``t2`` (20–40): it codes ``t1`` only.

    >>> import pandas as pd
    >>> segments = pd.DataFrame({"segment_id": ["t1", "t2"], "doc_id": ["W01", "W01"],
    ...                          "start": [0, 20], "end": [20, 40]})
    >>> codings = pd.DataFrame({"source_guid": [stable_guid("source", "W01")], "source_name": ["W01"],
    ...                         "selection_guid": ["S1"], "start": [2], "end": [23], "code": ["housing"],
    ...                         "code_name": ["Asuminen"], "coder": ["K1"], "text": [""], "status": ["ok"]})
    >>> mapped, unmapped = map_codings_to_segments(codings, segments)
    >>> mapped.values.tolist(), len(unmapped)
    ([['t1', 'housing', 'K1']], 0)
    """
    if not 0 < min_share <= 1:
        raise DataError(f"min_share must be in (0, 1], got {min_share}", file="map_codings_to_segments",
                        hint="Use 0.5 for the majority rule.")
    source_texts: dict[str, str] = {}
    if isinstance(codings, QdaProject):
        source_texts = {g: t for g, t in zip(codings.sources["source_guid"], codings.sources["text"]) if t is not None}
        codings = codings.codings
    docs = _as_documents(documents) if documents is not None else {}
    for column in ("segment_id", "doc_id", "start", "end"):
        if column not in segments.columns:
            raise DataError(f"the segments table lacks column '{column}'", file="segments",
                            hint="Pass data/processed/segments.parquet.")
    seg = segments[["segment_id", "doc_id", "start", "end"]].reset_index(drop=True).copy()
    seg["segment_id"] = seg["segment_id"].astype(str)
    seg["doc_id"] = seg["doc_id"].astype(str)
    seg["order"] = np.arange(len(seg))
    doc_ids = set(seg["doc_id"]) | set(docs)
    guid_to_doc = {stable_guid("source", d): d for d in doc_ids}
    norm_docs = {d: normalise_text(t) for d, t in docs.items()}
    text_to_doc = {t: d for d, t in norm_docs.items()}
    known_codes = set(_check_codebook(codebook_table)["code"]) if codebook_table is not None else None

    def find_doc(guid: str, name: str) -> str | None:
        if guid in guid_to_doc:
            return guid_to_doc[guid]
        if name is not None:
            for candidate in (name, PurePosixPath(str(name).replace("\\", "/")).name):
                stem = candidate.rsplit(".", 1)[0] if "." in candidate else candidate
                for key in (candidate, stem):
                    if key in doc_ids:
                        return key
        text = source_texts.get(guid)
        if text is not None and text in text_to_doc:
            return text_to_doc[text]
        return None

    groups = {d: g for d, g in seg.groupby("doc_id")}
    mapped, unmapped = [], []
    for row in codings.itertuples(index=False):
        base = {c: getattr(row, c, None) for c in _UNMAPPED_COLUMNS if c != "reason"}
        status = getattr(row, "status", "ok")
        if status != "ok":
            unmapped.append({**base, "reason": status})
            continue
        if known_codes is not None and row.code not in known_codes:
            unmapped.append({**base, "reason": f"code '{row.code_name}' is not in the workspace codebook"})
            continue
        doc = find_doc(row.source_guid, row.source_name)
        if doc is None:
            unmapped.append({**base, "reason": "the source matches no workspace document (by GUID, name or text)"})
            continue
        start, end = int(row.start), int(row.end)
        if doc in norm_docs:
            doc_text = norm_docs[doc]
            imported = source_texts.get(row.source_guid)
            selected = getattr(row, "text", None)
            selected = selected if isinstance(selected, str) and selected else None
            differs = (imported != doc_text) if imported is not None else \
                (selected is not None and doc_text[start:end] != selected)
            if differs and selected:
                hits = [m.start() for m in re.finditer(re.escape(selected), doc_text)]
                if not hits:
                    unmapped.append({**base, "reason": "the source text differs from the workspace document "
                                                       "and the selected text was not found in it"})
                    continue
                start = min(hits, key=lambda h: abs(h - start))
                end = start + len(selected)
            # workspace offsets refer to the original text: map back from the normalised one
            original = docs[doc]
            if original != doc_text:
                nmap = _normalisation_map(original)
                start = int(np.searchsorted(nmap, start, side="left"))
                end = int(np.searchsorted(nmap, end, side="left"))
        group = groups.get(doc)
        if group is None:
            unmapped.append({**base, "reason": f"document '{doc}' has no segments"})
            continue
        a, b = group["start"].to_numpy(dtype=np.int64), group["end"].to_numpy(dtype=np.int64)
        overlap = np.minimum(b, end) - np.maximum(a, start)
        seg_len, sel_len = b - a, max(end - start, 0)
        hit = (overlap > 0) & ((overlap >= min_share * seg_len) | (overlap >= min_share * sel_len))
        if not hit.any():
            unmapped.append({**base, "reason": "the selection overlaps no segment by the majority rule"})
            continue
        for segment_id, order in zip(group["segment_id"].to_numpy()[hit], group["order"].to_numpy()[hit]):
            mapped.append({"segment_id": segment_id, "code": row.code, "coder": row.coder, "order": order})
    result = pd.DataFrame(mapped, columns=["segment_id", "code", "coder", "order"])
    result = (result.drop_duplicates(["segment_id", "code", "coder"])
              .sort_values(["order", "code", "coder"], kind="stable")
              .drop(columns="order").reset_index(drop=True))
    return result, pd.DataFrame(unmapped, columns=_UNMAPPED_COLUMNS)

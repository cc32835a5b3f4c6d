"""REFI-QDA glue to the workspace: the document texts and ``jakala qdpx``.

:func:`workspace_documents` rebuilds the document texts the segment offsets refer to from
the processed tables; :func:`export_workspace_qdpx` auto-codes the workspace's segments and
exports texts, codebook and codings as one REFI-QDA project.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.coding.refi._common import _is_missing
from analysis.coding.refi.export import export_qdpx


def workspace_documents(
    segments: pd.DataFrame,
    turns: pd.DataFrame | None = None,
    diaries: pd.DataFrame | None = None,
) -> dict[str, str]:
    """The document texts the segment offsets refer to, rebuilt from the processed tables.

    Workshops: :func:`analysis.text.pipeline.document_text` of ``transcript_turns``
    (``"{speaker}: {text}\\n"`` per turn). Diaries: the entry text (from a ``diary_entry``
    segment when the segments hold one, else from ``diary_entries``).

    Parameters
    ----------
    segments : DataFrame
        ``segment_id, unit, doc_id, doc_type, text, start, end``.
    turns : DataFrame, optional
        ``transcript_turns``.
    diaries : DataFrame, optional
        ``diary_entries`` (``entry_id, text``).

    Returns
    -------
    dict
        ``doc_id`` → text, for the documents that could be rebuilt; each is checked against
        the segments' offsets and left out if it does not fit them.
    """
    documents: dict[str, str] = {}
    doc_types = segments.groupby("doc_id")["doc_type"].first() if "doc_type" in segments.columns else pd.Series(dtype=str)
    if turns is not None and len(turns):
        from analysis.text.pipeline import document_text

        # each workshop's turns found once (not one scan of all turns a workshop: 700 workshops at scale 100)
        by_workshop = dict(list(turns.groupby(turns["workshop_id"].astype(str), sort=False)))
        for doc_id in doc_types[doc_types == "workshop"].index:
            if str(doc_id) in by_workshop:
                documents[str(doc_id)] = document_text(by_workshop[str(doc_id)], str(doc_id))
    diary_ids = doc_types[doc_types == "diary"].index
    if len(diary_ids):
        whole = segments[(segments.get("unit") == "diary_entry") & (segments["start"] == 0)] \
            if "unit" in segments.columns else segments.iloc[0:0]
        for doc_id, text in zip(whole["doc_id"].astype(str), whole["text"]):
            documents[doc_id] = str(text)
        if diaries is not None and len(diaries):
            wanted = set(map(str, diary_ids))
            for entry_id, text in zip(diaries["entry_id"], diaries["text"]):
                key = f"D{int(entry_id):04d}" if isinstance(entry_id, (int, np.integer)) else str(entry_id)
                if key in wanted:
                    documents.setdefault(key, "" if _is_missing(text) else str(text))
    checked = {}
    none = segments.iloc[0:0]
    by_document = dict(list(segments.groupby(segments["doc_id"].astype(str), sort=False))) if len(segments) else {}
    for doc_id, text in documents.items():
        part = by_document.get(doc_id, none)
        if all(text[int(a):int(b)] == str(t) for a, b, t in zip(part["start"], part["end"], part["text"])):
            checked[doc_id] = text
    return checked


def export_workspace_qdpx(
    path: str | Path,
    *,
    root: str | Path | None = None,
    codebook: str | Path = "config/codebook.yaml",
    unit: str = "turn",
    include_diaries: bool = True,
    language: str = "fi",
    project_name: str = "Jäkälä",
) -> Path:
    """Export the workspace's processed texts and auto-codings as a ``.qdpx`` (``jakala qdpx``).

    Reads the cached segments and tokens of ``data/processed/`` (workshops and,
    optionally, diaries), auto-codes them with the codebook YAML and exports texts,
    codebook and codings.

    Parameters
    ----------
    path : str or Path
        Output ``.qdpx``.
    root : str or Path, optional
        Workspace root (default: :meth:`Workspace.discover`).
    codebook : str or Path
        Codebook YAML, resolved with :meth:`Workspace.resolve_config`.
    unit : {"turn", "sentence"}
        Unit of the workshop selections.
    include_diaries : bool
        Also export diary entries (unit ``diary_entry``).
    language : {"fi", "en"}
    project_name : str

    Returns
    -------
    Path
    """
    from analysis.coding.autocode import autocode, workspace_segments
    from analysis.coding.codebook import load_codebook
    from analysis.workspace import Workspace

    ws = Workspace.discover(root=root)
    segments, tokens = workspace_segments(ws.processed, unit=unit, include_diaries=include_diaries)

    def optional(name: str) -> pd.DataFrame | None:
        file = ws.processed / name
        return pd.read_parquet(file) if file.is_file() else None

    documents = workspace_documents(segments, turns=optional("transcript_turns.parquet"),
                                    diaries=optional("diary_entries.parquet"))
    missing = sorted(set(segments["doc_id"].astype(str)) - set(documents))
    if missing:
        warnings.warn(f"{len(missing)} document(s) could not be rebuilt and are left out: {', '.join(missing[:5])}",
                      stacklevel=2)
    segments = segments[segments["doc_id"].astype(str).isin(documents)]
    book = load_codebook(ws.resolve_config(codebook))
    tokens = tokens[tokens["segment_id"].isin(segments["segment_id"])]
    codings = pd.concat([autocode(part, tokens, book) for _, part in segments.groupby("unit", sort=True)],
                        ignore_index=True)[["segment_id", "code"]].assign(coder="auto")  # one unit at a time
    return export_qdpx(path, book.codes, documents, segments, codings, project_name=project_name, language=language)

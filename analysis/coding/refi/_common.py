"""What the REFI-QDA writer, reader and mapping share.

* The namespaces of REFI-QDA 1.5: ``urn:QDA-XML:project:1.0`` (``project.qde``, schema
  ``Project-mrt2019.xsd``) and ``urn:QDA-XML:codebook:1.0`` (``.qdc``).
* Stable GUIDs (:func:`stable_guid`): ``uuid5`` of a fixed namespace and a key, so a code or
  document keeps its GUID across exports and a re-export can be merged in the QDA tool; the
  reader matches codes and sources back by them.
* Text normalisation (:func:`normalise_text`): no byte-order mark, ``\\n`` line ends only,
  the text that REFI-QDA offsets (code points, end exclusive; section 10.2) count in; and
  the map from original to normalised positions.
* Namespace-agnostic XML helpers (tools disagree on prefixes), missing-value helpers, and the
  input checks of the workspace codebook and documents.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping

import numpy as np
import pandas as pd
from lxml import etree

from analysis.errors import DataError


NS_PROJECT = "urn:QDA-XML:project:1.0"
NS_CODEBOOK = "urn:QDA-XML:codebook:1.0"
#: Fixed namespace of every GUID this workspace writes (never change it: GUIDs must stay stable).
GUID_NAMESPACE = uuid.UUID("6f1d4c52-8a0e-5b7e-9a43-4a2f0e6b1c3d")
_CODEBOOK_COLUMNS = ("code", "parent", "name_fi", "name_en", "colour", "definition")
_COLOUR = re.compile(r"^#([A-Fa-f0-9]{6}|[A-Fa-f0-9]{3})$")
_BOM = "\ufeff"


def stable_guid(kind: str, key: str) -> str:
    """Return the stable, upper-case GUID of one object of the exchange.

    Parameters
    ----------
    kind : str
        Object kind: ``"code"``, ``"source"``, ``"user"``, ``"selection"``, …
    key : str
        A key that identifies the object across runs (a code id, a document id …).

    Returns
    -------
    str
        ``8-4-4-4-12`` hex GUID (uuid5 of :data:`GUID_NAMESPACE` and ``"kind:key"``).

    Examples
    --------
    >>> stable_guid("code", "housing") == stable_guid("code", "housing")
    True
    >>> len(stable_guid("source", "W01"))
    36
    """
    return str(uuid.uuid5(GUID_NAMESPACE, f"{kind}:{key}")).upper()


def _guid_key(guid: str | None) -> str | None:
    if guid is None:
        return None
    return guid.strip().strip("{}").upper()


def normalise_text(text: str) -> str:
    """Return ``text`` without a byte-order mark and with ``\\n`` line ends only.

    Examples
    --------
    >>> normalise_text("\\ufeffH: moi\\r\\nST 1: no moi\\r")
    'H: moi\\nST 1: no moi\\n'
    """
    if text.startswith(_BOM):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _normalisation_map(text: str) -> np.ndarray:
    """Index map original position → position in :func:`normalise_text` (length ``len+1``)."""
    if not text:
        return np.zeros(1, dtype=np.int64)
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    keep = np.ones(len(codes), dtype=np.int64)
    if codes[0] == 0xFEFF:
        keep[0] = 0
    keep[:-1][(codes[:-1] == 13) & (codes[1:] == 10)] = 0
    return np.concatenate([[0], np.cumsum(keep)])


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _text_or_none(value: object) -> str | None:
    return None if _is_missing(value) or str(value).strip() == "" else str(value)


def _qn(tag: str, ns: str = NS_PROJECT) -> str:
    return f"{{{ns}}}{tag}"


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _kids(el: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in el if _local(child) == name]


def _kid(el: etree._Element, name: str) -> etree._Element | None:
    found = _kids(el, name)
    return found[0] if found else None


def _check_codebook(codebook_table: pd.DataFrame, where: str = "codebook") -> pd.DataFrame:
    if not isinstance(codebook_table, pd.DataFrame):
        raise DataError("the codebook must be a DataFrame", file=where,
                        hint="Pass Codebook.codes or a DataFrame with columns code, parent, name_fi, name_en, colour, definition.")
    if "code" not in codebook_table.columns:
        raise DataError("the codebook has no column 'code'", file=where,
                        hint=f"Expected columns: {', '.join(_CODEBOOK_COLUMNS)}.")
    cb = codebook_table.copy()
    for column in _CODEBOOK_COLUMNS[1:]:
        if column not in cb.columns:
            cb[column] = None
    cb["code"] = cb["code"].astype(str)
    duplicated = cb["code"][cb["code"].duplicated()]
    if len(duplicated):
        row = int(duplicated.index[0])
        raise DataError(f"code '{duplicated.iloc[0]}' appears twice", file=where, location=f"row {row + 1}",
                        hint="Give every code a unique id.")
    known = set(cb["code"])
    for position, (code, parent) in enumerate(zip(cb["code"], cb["parent"])):
        parent = _text_or_none(parent)
        if parent is not None and parent not in known:
            raise DataError(f"code '{code}' has parent '{parent}', which is not in the codebook",
                            file=where, location=f"row {position + 1}", hint="Add the parent code or fix the id.")
        colour = _text_or_none(cb["colour"].iloc[position])
        if colour is not None and not _COLOUR.match(colour):
            raise DataError(f"code '{code}' has colour '{colour}', not #RRGGBB", file=where,
                            location=f"row {position + 1}", hint="Write colours as #RRGGBB, e.g. #1B9E77.")
    parents = {c: _text_or_none(p) for c, p in zip(cb["code"], cb["parent"])}
    for code in parents:
        seen, current = set(), code
        while current is not None:
            if current in seen:
                raise DataError(f"the parents of code '{code}' form a cycle", file=where,
                                hint="Make every chain of parents end at a top-level code.")
            seen.add(current)
            current = parents.get(current)
    return cb.reset_index(drop=True)


def _as_documents(documents: Mapping[str, str] | pd.Series) -> dict[str, str]:
    if isinstance(documents, pd.Series):
        documents = documents.to_dict()
    if not isinstance(documents, Mapping):
        raise DataError("documents must be a mapping doc_id → text", file="documents",
                        hint="Pass a dict or a pandas Series indexed by doc_id.")
    out = {}
    for doc_id, text in documents.items():
        if not isinstance(text, str):
            raise DataError(f"the text of document '{doc_id}' is not a string", file="documents",
                            location=f"doc_id '{doc_id}'", hint="Pass the full document text.")
        out[str(doc_id)] = text
    return out

"""REFI-QDA exchange: export coded documents to ATLAS.ti / NVivo / MAXQDA / QualCoder and read
their manual codings back.

A ``.qdpx`` project is a zip holding ``project.qde`` (XML in the namespace
``urn:QDA-XML:project:1.0``, schema ``Project-mrt2019.xsd``) and a flat ``sources/`` folder
of ``<GUID>.txt`` plain texts. A ``.qdc`` file is a bare codebook
(``urn:QDA-XML:codebook:1.0``).

Export rules (what this module writes)
--------------------------------------
* Text is normalised: no byte-order mark, ``\\n`` line ends only; UTF-8.
* ``PlainTextSelection`` offsets are Unicode code points from 0 into that normalised text,
  end exclusive (``text[start:end]`` in Python), as in REFI-QDA 1.5, section 10.2.
* GUIDs are ``uuid5`` of a fixed namespace and a stable key (``"code:housing"``,
  ``"source:W01"``…), so the same code or document keeps its GUID across runs and a
  re-export can be merged in the QDA tool. No wall-clock time is written: the project's
  ``creationDateTime`` is the latest date found in the data, and zip members carry a fixed
  timestamp, so two exports of the same data are byte-identical.
* Child elements follow the schema order (Users, CodeBook, Variables, Cases, Sources, …)
  and empty containers are left out (an empty ``<Cases/>`` is invalid).
* One selection per (segment, coder); each code on it is a ``Coding`` whose
  ``creatingUser`` is the coder's ``User`` (``User@id`` holds the workspace coder id).
* Cases: one per document (document-level variables: work package, workshop, date) with a
  ``SourceRef``, and one per speaker pseudonym (speaker role) with ``SelectionRef`` to the
  coded selections of that speaker. Document-level values are repeated on the
  ``TextSource`` because some tools read source variables, others case variables.

Import tolerance (what real tools write)
----------------------------------------
* A BOM in ``sources/*.txt`` (QualCoder writes ``utf-8-sig``) is removed.
* CRLF may count as one character (ATLAS.ti) or two (a tool reading the file raw);
  Taguette counts UTF-8 **bytes**; JavaScript/Qt tools count UTF-16 units; a BOM may have
  been counted. :func:`import_qdpx` tries every such offset scheme, and keeps the one under
  which the selections fit best: selection names/descriptions that equal the selected
  text (ATLAS.ti and QualCoder name a quotation by its text), offsets that land on
  character boundaries and inside the text, and selections that do not cut words. The
  spec's own scheme wins ties. Pass ``offsets=`` to force one.
* ``sources/`` or ``Sources/`` (MAXQDA vs NVivo), ``internal://``, ``relative://`` and
  ``absolute://`` paths, and texts inline as ``PlainTextContent``.
* Codes map to the workspace codebook by GUID (this module's stable GUIDs) and else by
  name (code id, Finnish or English name, case-insensitive).
* Coders: a coding's ``creatingUser`` is looked up in ``<Users>``; the coder id is the
  ``User@id`` this module writes. Tools that drop ``User@id`` on export (QualCoder keeps
  only guid and name) return the display name: it is mapped back to the coder id by the
  built-in names (``"Jäkälä auto-coder"`` → ``auto``) and the ``names:`` of
  ``config/coders.yaml`` (:func:`load_coders`), case- and space-insensitively, so the
  auto-coder's codings are not counted as another human coder. Codings with no
  ``creatingUser`` belong to the project's only user when there is exactly one, else to
  ``"unknown"``.

The mapping rule from selections to segments is in :func:`map_codings_to_segments`.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import unicodedata
import uuid
import warnings
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd
from lxml import etree

from analysis.errors import DataError

__all__ = [
    "NS_PROJECT",
    "NS_CODEBOOK",
    "GUID_NAMESPACE",
    "DEFAULT_VARIABLES",
    "QdaProject",
    "stable_guid",
    "normalise_text",
    "project_xml",
    "codebook_xml",
    "export_qdpx",
    "export_qdc",
    "import_qdpx",
    "import_qdc",
    "map_codings_to_segments",
    "workspace_documents",
    "export_workspace_qdpx",
    "CoderConfig",
    "load_coders",
    "coder_id",
]

NS_PROJECT = "urn:QDA-XML:project:1.0"
NS_CODEBOOK = "urn:QDA-XML:codebook:1.0"
#: Fixed namespace of every GUID this workspace writes (never change it: GUIDs must stay stable).
GUID_NAMESPACE = uuid.UUID("6f1d4c52-8a0e-5b7e-9a43-4a2f0e6b1c3d")
#: Segment columns exported as REFI-QDA variables by default ("workshop" is derived).
DEFAULT_VARIABLES: tuple[str, ...] = ("speaker_role", "work_package", "workshop", "date")
#: Display names of well-known coders.
_USER_NAMES = {"auto": "Jäkälä auto-coder"}
_ORIGIN = "Jäkälä analysis workspace (analysis.coding.refi)"
_ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
_CODEBOOK_COLUMNS = ("code", "parent", "name_fi", "name_en", "colour", "definition")
_COLOUR = re.compile(r"^#([A-Fa-f0-9]{6}|[A-Fa-f0-9]{3})$")
_BOM = "\ufeff"


# ----------------------------------------------------------------------------- helpers


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


@dataclass(frozen=True)
class CoderConfig:
    """Who the coders are (``config/coders.yaml``).

    Attributes
    ----------
    names : dict
        Display name in a QDA tool → workspace coder id (adds to the built-in names).
    exclude : tuple of str
        Coder ids left out of the manual codings and the inter-coder agreement (the
        auto-coder; a trainee's test coding …).
    """

    names: dict[str, str] = field(default_factory=dict)
    exclude: tuple[str, ...] = ("auto",)

    def as_kwargs(self) -> dict:
        """Keyword arguments of :func:`analysis.coding.coding_sheet.read_codings_folder`."""
        return {"coder_names": dict(self.names), "exclude_coders": tuple(self.exclude)}


def load_coders(path: str | Path) -> CoderConfig:
    """Read ``config/coders.yaml``: ``names`` (display name → coder id) and ``exclude_from_agreement``.

    Raises
    ------
    ConfigError
        For an unknown key or values of the wrong type (the message names the key).

    Examples
    --------
    >>> from analysis.workspace import PACKAGE_PROJECT_DIR
    >>> load_coders(PACKAGE_PROJECT_DIR / "config" / "coders.yaml").exclude
    ('auto',)
    """
    from analysis.config import load_config

    data = load_config(path, "coders")
    names = data.get("names") or {}
    exclude = data.get("exclude_from_agreement", ["auto"])
    exclude = [exclude] if isinstance(exclude, str) else (exclude or [])
    return CoderConfig(names={str(k): str(v) for k, v in names.items()}, exclude=tuple(exclude))


def _name_key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", str(name)).split()).casefold()


def coder_id(name: str | None, names: Mapping[str, str] | None = None) -> str | None:
    """The workspace coder id of a display name (built-in names and ``names``), else the name.

    Examples
    --------
    >>> coder_id("Jäkälä auto-coder"), coder_id("  jäkälä  AUTO-coder "), coder_id("Liisa")
    ('auto', 'auto', 'Liisa')
    """
    if name is None:
        return None
    lookup = {_name_key(display): cid for cid, display in _USER_NAMES.items()}
    lookup.update({_name_key(display): str(cid) for display, cid in (names or {}).items()})
    return lookup.get(_name_key(name), name)


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


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^0-9a-zA-Z]+", "_", ascii_name).strip("_").lower()
    return slug or "code"


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _text_or_none(value: object) -> str | None:
    return None if _is_missing(value) or str(value).strip() == "" else str(value)


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _qn(tag: str, ns: str = NS_PROJECT) -> str:
    return f"{{{ns}}}{tag}"


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _kids(el: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in el if _local(child) == name]


def _kid(el: etree._Element, name: str) -> etree._Element | None:
    found = _kids(el, name)
    return found[0] if found else None


# ----------------------------------------------------------------------------- validation


def _check_codebook(codebook: pd.DataFrame, where: str = "codebook") -> pd.DataFrame:
    if not isinstance(codebook, pd.DataFrame):
        raise DataError("the codebook must be a DataFrame", file=where,
                        hint="Pass Codebook.codes or a DataFrame with columns code, parent, name_fi, name_en, colour, definition.")
    if "code" not in codebook.columns:
        raise DataError("the codebook has no column 'code'", file=where,
                        hint=f"Expected columns: {', '.join(_CODEBOOK_COLUMNS)}.")
    cb = codebook.copy()
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


def _check_segments(segments: pd.DataFrame, documents: dict[str, str]) -> pd.DataFrame:
    missing = [c for c in ("segment_id", "doc_id", "start", "end") if c not in segments.columns]
    if missing:
        raise DataError(f"the segments table lacks column(s) {', '.join(missing)}", file="segments",
                        hint="Pass data/processed/segments.parquet (see docs/architecture.md).")
    seg = segments.reset_index(drop=True).copy()
    seg["segment_id"] = seg["segment_id"].astype(str)
    seg["doc_id"] = seg["doc_id"].astype(str)
    dup = seg["segment_id"][seg["segment_id"].duplicated()]
    if len(dup):
        raise DataError(f"segment_id '{dup.iloc[0]}' appears twice", file="segments",
                        location=f"row {int(dup.index[0]) + 1}", hint="Segment ids must be unique.")
    for row in seg.itertuples(index=True):
        text = documents.get(row.doc_id)
        if text is None:
            raise DataError(f"segment '{row.segment_id}' refers to document '{row.doc_id}', which was not given",
                            file="segments", location=f"row {row.Index + 1}",
                            hint="Pass the text of every document that has segments.")
        if _is_missing(row.start) or _is_missing(row.end) or not 0 <= int(row.start) <= int(row.end) <= len(text):
            raise DataError(f"segment '{row.segment_id}' has offsets {row.start}–{row.end} outside document "
                            f"'{row.doc_id}' (length {len(text)})", file="segments",
                            location=f"row {row.Index + 1}", hint="Rebuild the segments from the same document text.")
    seg["start"] = seg["start"].astype(int)
    seg["end"] = seg["end"].astype(int)
    return seg


def _check_codings(codings: pd.DataFrame, segment_ids: set[str], codes: set[str]) -> pd.DataFrame:
    for column in ("segment_id", "code"):
        if column not in codings.columns:
            raise DataError(f"the codings table has no column '{column}'", file="codings",
                            hint="Pass a DataFrame with columns segment_id, code, coder.")
    cod = codings.reset_index(drop=True).copy()
    if "coder" not in cod.columns:
        cod["coder"] = "auto"
    cod = cod.dropna(subset=["code"])
    cod["segment_id"] = cod["segment_id"].astype(str)
    cod["code"] = cod["code"].astype(str)
    cod["coder"] = cod["coder"].fillna("auto").astype(str)
    for row in cod.itertuples(index=True):
        if row.segment_id not in segment_ids:
            raise DataError(f"coding refers to segment '{row.segment_id}', which is not in the segments table",
                            file="codings", location=f"row {row.Index + 1}", hint="Code only segments being exported.")
        if row.code not in codes:
            raise DataError(f"coding uses code '{row.code}', which is not in the codebook", file="codings",
                            location=f"row {row.Index + 1}", hint="Add the code to the codebook or drop the coding.")
    return cod.drop_duplicates(["segment_id", "code", "coder"])


# ----------------------------------------------------------------------------- export


def _code_name(row: pd.Series, language: str) -> str:
    for column in (f"name_{language}", "name_fi", "name_en", "code"):
        value = _text_or_none(row.get(column))
        if value is not None:
            return value
    return str(row["code"])


def _add_codes(parent_el: etree._Element, cb: pd.DataFrame, language: str, ns: str) -> None:
    children: dict[str | None, list[int]] = {}
    for index, parent in enumerate(cb["parent"]):
        children.setdefault(_text_or_none(parent), []).append(index)

    def add(container: etree._Element, index: int) -> None:
        row = cb.iloc[index]
        attrs = {"guid": stable_guid("code", row["code"]), "name": _code_name(row, language), "isCodable": "true"}
        colour = _text_or_none(row["colour"])
        if colour is not None:
            attrs["color"] = colour.upper()
        el = etree.SubElement(container, _qn("Code", ns), attrs)
        definition = _text_or_none(row["definition"])
        if definition is not None:
            etree.SubElement(el, _qn("Description", ns)).text = normalise_text(definition.strip())
        for child in children.get(row["code"], []):
            add(el, child)

    for index in children.get(None, []):
        add(parent_el, index)


def codebook_xml(codebook: pd.DataFrame, *, language: str = "fi", origin: str = _ORIGIN) -> bytes:
    """Return a REFI-QDA codebook (``.qdc`` content) as UTF-8 XML bytes.

    Parameters
    ----------
    codebook : DataFrame
        Columns ``code``, ``parent`` (None for top level), ``name_fi``, ``name_en``,
        ``colour`` (#RRGGBB), ``definition``.
    language : {"fi", "en"}
        Which name becomes ``Code@name``.
    origin : str
        Written to ``CodeBook@origin``.

    Returns
    -------
    bytes
    """
    cb = _check_codebook(codebook)
    root = etree.Element(_qn("CodeBook", NS_CODEBOOK), {"origin": origin}, nsmap={None: NS_CODEBOOK})
    if len(cb):
        codes = etree.SubElement(root, _qn("Codes", NS_CODEBOOK))
        _add_codes(codes, cb, language, NS_CODEBOOK)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def _variable_type(values: pd.Series, name: str) -> str:
    non_null = values.dropna()
    if name == "date" or pd.api.types.is_datetime64_any_dtype(values):
        return "Date"
    if pd.api.types.is_bool_dtype(non_null):
        return "Boolean"
    if pd.api.types.is_integer_dtype(non_null):
        return "Integer"
    if pd.api.types.is_float_dtype(non_null):
        return "Float"
    return "Text"


def _format_value(value: object, kind: str) -> tuple[str, str] | None:
    if _is_missing(value):
        return None
    if kind == "Date":
        stamp = pd.to_datetime(value, errors="coerce")
        if pd.isna(stamp):
            return "TextValue", str(value)
        return "DateValue", stamp.strftime("%Y-%m-%d")
    if kind == "Boolean":
        return "BooleanValue", "true" if bool(value) else "false"
    if kind == "Integer":
        return "IntegerValue", str(int(value))
    if kind == "Float":
        return "FloatValue", repr(float(value))
    return "TextValue", str(value)


def _plan_variables(seg: pd.DataFrame, variables: Sequence[str] | Mapping[str, str]) -> list[dict]:
    """Decide the level (document or speaker) and type of every exported variable."""
    labels = dict(variables) if isinstance(variables, Mapping) else {v: v for v in variables}
    planned = []
    for column, label in labels.items():
        if column not in seg.columns:
            continue
        values = seg[column]
        if values.isna().all():
            continue
        level = None
        if seg.groupby("doc_id")[column].nunique(dropna=True).max() <= 1:
            level = "document"
        elif "speaker" in seg.columns and seg.dropna(subset=["speaker"]).groupby("speaker")[column].nunique(dropna=True).max() <= 1:
            level = "speaker"
        if level is None:
            warnings.warn(f"variable '{column}' varies within documents and within speakers; it is not exported",
                          stacklevel=3)
            continue
        planned.append({"column": column, "label": str(label), "level": level,
                        "type": _variable_type(values, column), "guid": stable_guid("variable", column)})
    return planned


def _add_variable_values(el: etree._Element, planned: list[dict], values: Mapping[str, object]) -> None:
    for var in planned:
        formatted = _format_value(values.get(var["column"]), var["type"])
        if formatted is None:
            continue
        vv = etree.SubElement(el, _qn("VariableValue"))
        etree.SubElement(vv, _qn("VariableRef"), {"targetGUID": var["guid"]})
        etree.SubElement(vv, _qn(formatted[0])).text = formatted[1]


def project_xml(
    codebook: pd.DataFrame,
    documents: Mapping[str, str] | pd.Series,
    segments: pd.DataFrame,
    codings: pd.DataFrame,
    *,
    project_name: str = "Jäkälä",
    users: Sequence[str] | Mapping[str, str] | None = None,
    variables: Sequence[str] | Mapping[str, str] = DEFAULT_VARIABLES,
    language: str = "fi",
    origin: str = _ORIGIN,
) -> tuple[bytes, dict[str, str]]:
    """Build ``project.qde`` and the normalised source texts (see :func:`export_qdpx`).

    Returns
    -------
    (bytes, dict)
        The XML and ``{"<GUID>.txt": normalised text}`` for the ``sources/`` folder.
    """
    cb = _check_codebook(codebook)
    docs = _as_documents(documents)
    seg = _check_segments(segments, docs)
    cod = _check_codings(codings, set(seg["segment_id"]), set(cb["code"]))
    if "doc_type" in seg.columns and "workshop" not in seg.columns:
        seg["workshop"] = seg["doc_id"].where(seg["doc_type"].astype(str) == "workshop")

    # users: workspace coder id -> display name
    if users is None:
        user_names: dict[str, str] = {}
    elif isinstance(users, Mapping):
        user_names = {str(k): str(v) for k, v in users.items()}
    else:
        user_names = {str(u): _USER_NAMES.get(str(u), str(u)) for u in users}
    for coder in sorted(cod["coder"].unique(), key=lambda c: (c != "auto", c)):
        user_names.setdefault(coder, _USER_NAMES.get(coder, coder))
    user_guid = {coder: stable_guid("user", coder) for coder in user_names}

    attrs = {"name": project_name, "origin": origin}
    if user_names:
        attrs["creatingUserGUID"] = next(iter(user_guid.values()))
    if "date" in seg.columns:
        dates = pd.to_datetime(seg["date"], errors="coerce").dropna()
        if len(dates):
            attrs["creationDateTime"] = dates.max().strftime("%Y-%m-%dT00:00:00Z")
    root = etree.Element(_qn("Project"), attrs, nsmap={None: NS_PROJECT})

    if user_names:
        users_el = etree.SubElement(root, _qn("Users"))
        for coder, name in user_names.items():
            etree.SubElement(users_el, _qn("User"), {"guid": user_guid[coder], "name": name, "id": coder})
    if len(cb):
        codebook_el = etree.SubElement(root, _qn("CodeBook"))
        _add_codes(etree.SubElement(codebook_el, _qn("Codes")), cb, language, NS_PROJECT)

    planned = _plan_variables(seg, variables)
    if planned:
        variables_el = etree.SubElement(root, _qn("Variables"))
        for var in planned:
            etree.SubElement(variables_el, _qn("Variable"),
                             {"guid": var["guid"], "name": var["label"], "typeOfVariable": var["type"]})
    doc_vars = [v for v in planned if v["level"] == "document"]
    speaker_vars = [v for v in planned if v["level"] == "speaker"]

    def first_values(frame: pd.DataFrame, columns: list[str]) -> dict[str, object]:
        out = {}
        for column in columns:
            non_null = frame[column].dropna()
            out[column] = non_null.iloc[0] if len(non_null) else None
        return out

    doc_ids = sorted(docs)
    doc_values = {d: first_values(seg[seg["doc_id"] == d], [v["column"] for v in doc_vars]) for d in doc_ids}

    # selections: one per (segment, coder)
    seg_by_id = seg.set_index("segment_id")
    code_order = {code: i for i, code in enumerate(cb["code"])}
    norm_maps = {d: _normalisation_map(docs[d]) for d in doc_ids}
    selections: dict[str, list[dict]] = {d: [] for d in doc_ids}
    for (segment_id, coder), group in cod.groupby(["segment_id", "coder"], sort=True):
        s = seg_by_id.loc[segment_id]
        nmap = norm_maps[s["doc_id"]]
        selections[s["doc_id"]].append({
            "guid": stable_guid("selection", f"{s['doc_id']}|{segment_id}|{coder}"),
            "segment_id": segment_id, "coder": coder,
            "speaker": _text_or_none(s["speaker"]) if "speaker" in seg.columns else None,
            "start": int(nmap[int(s["start"])]), "end": int(nmap[int(s["end"])]),
            "codes": sorted(group["code"], key=code_order.__getitem__),
        })
    for doc in selections.values():
        doc.sort(key=lambda sel: (sel["start"], sel["end"], sel["coder"], sel["segment_id"]))

    cases = []
    for d in doc_ids:
        if doc_vars:
            cases.append({"guid": stable_guid("case", f"document|{d}"), "name": d,
                          "values": doc_values[d], "vars": doc_vars, "sources": [d], "selections": []})
    if "speaker" in seg.columns:
        for speaker in sorted(seg["speaker"].dropna().astype(str).unique()):
            sel_guids = [sel["guid"] for d in doc_ids for sel in selections[d] if sel["speaker"] == speaker]
            values = first_values(seg[seg["speaker"].astype(str) == speaker], [v["column"] for v in speaker_vars])
            if sel_guids or any(not _is_missing(v) for v in values.values()):
                cases.append({"guid": stable_guid("case", f"speaker|{speaker}"), "name": speaker, "values": values,
                              "vars": speaker_vars, "sources": [], "selections": sel_guids})
    if cases:
        cases_el = etree.SubElement(root, _qn("Cases"))
        for case in cases:
            case_el = etree.SubElement(cases_el, _qn("Case"), {"guid": case["guid"], "name": case["name"]})
            _add_variable_values(case_el, case["vars"], case["values"])
            for d in case["sources"]:
                etree.SubElement(case_el, _qn("SourceRef"), {"targetGUID": stable_guid("source", d)})
            for guid in case["selections"]:
                etree.SubElement(case_el, _qn("SelectionRef"), {"targetGUID": guid})

    texts: dict[str, str] = {}
    if doc_ids:
        sources_el = etree.SubElement(root, _qn("Sources"))
        for d in doc_ids:
            guid = stable_guid("source", d)
            texts[f"{guid}.txt"] = normalise_text(docs[d])
            src = etree.SubElement(sources_el, _qn("TextSource"),
                                   {"guid": guid, "name": d, "plainTextPath": f"internal://{guid}.txt"})
            for sel in selections[d]:
                sel_el = etree.SubElement(src, _qn("PlainTextSelection"), {
                    "guid": sel["guid"], "name": sel["segment_id"], "startPosition": str(sel["start"]),
                    "endPosition": str(sel["end"]), "creatingUser": user_guid[sel["coder"]]})
                for code in sel["codes"]:
                    coding_el = etree.SubElement(sel_el, _qn("Coding"), {
                        "guid": stable_guid("coding", f"{sel['segment_id']}|{sel['coder']}|{code}"),
                        "creatingUser": user_guid[sel["coder"]]})
                    etree.SubElement(coding_el, _qn("CodeRef"), {"targetGUID": stable_guid("code", code)})
            _add_variable_values(src, doc_vars, doc_values[d])
    xml = etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)
    return xml, texts


def _write_zip(path: Path, members: dict[str, bytes]) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(members, key=lambda n: (n != "project.qde", n)):
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, members[name])
    _atomic_write(path, buffer.getvalue())


def export_qdpx(
    path: str | Path,
    codebook: pd.DataFrame,
    documents: Mapping[str, str] | pd.Series,
    segments: pd.DataFrame,
    codings: pd.DataFrame,
    *,
    project_name: str = "Jäkälä",
    users: Sequence[str] | Mapping[str, str] | None = None,
    variables: Sequence[str] | Mapping[str, str] = DEFAULT_VARIABLES,
    language: str = "fi",
) -> Path:
    """Write a REFI-QDA project (``.qdpx``) for ATLAS.ti, NVivo, MAXQDA or QualCoder.

    Parameters
    ----------
    path : str or Path
        Output file, conventionally ``*.qdpx``.
    codebook : DataFrame
        ``code, parent, name_fi, name_en, colour, definition`` (``Codebook.codes``).
    documents : dict or Series
        ``doc_id`` → full pseudonymised document text the segment offsets refer to.
    segments : DataFrame
        The ``segments`` table (``segment_id, doc_id, start, end`` required; ``speaker``,
        ``speaker_role``, ``work_package``, ``doc_type``, ``date`` used for cases/variables).
    codings : DataFrame
        ``segment_id, code, coder`` (``coder`` defaults to ``"auto"``).
    project_name : str
        ``Project@name``.
    users : list or dict, optional
        Coder ids (or coder id → display name). Coders found in ``codings`` are added.
    variables : list or dict
        Segment columns exported as variables (or column → variable name in the file).
        A variable constant within each document becomes a document variable, one constant
        within each speaker a speaker variable; ``"workshop"`` is ``doc_id`` of workshops.
    language : {"fi", "en"}
        Language of code names.

    Returns
    -------
    Path
        The file written (atomically; byte-identical for identical input).

    Examples
    --------
    >>> import pandas as pd
    >>> cb = pd.DataFrame({"code": ["housing"], "parent": [None], "name_fi": ["Asuminen"],
    ...                    "name_en": ["Housing"], "colour": ["#1B9E77"], "definition": ["Asuminen."]})
    >>> seg = pd.DataFrame({"segment_id": ["W01-t1"], "doc_id": ["W01"], "start": [7], "end": [21]})
    >>> cod = pd.DataFrame({"segment_id": ["W01-t1"], "code": ["housing"], "coder": ["auto"]})
    >>> out = export_qdpx(tmp / "demo.qdpx", cb, {"W01": "Nuori 1: oma asunto on tärkeä\\n"}, seg, cod)  # doctest: +SKIP
    """
    xml, texts = project_xml(codebook, documents, segments, codings, project_name=project_name,
                             users=users, variables=variables, language=language)
    members = {"project.qde": xml}
    members.update({f"sources/{name}": text.encode("utf-8") for name, text in texts.items()})
    path = Path(path)
    _write_zip(path, members)
    return path


def export_qdc(path: str | Path, codebook: pd.DataFrame, *, language: str = "fi") -> Path:
    """Write the codebook alone as a REFI-QDA ``.qdc`` file (``urn:QDA-XML:codebook:1.0``).

    Parameters
    ----------
    path : str or Path
        Output file, conventionally ``*.qdc``.
    codebook : DataFrame
        ``code, parent, name_fi, name_en, colour, definition``.
    language : {"fi", "en"}
        Language of code names.

    Returns
    -------
    Path
    """
    path = Path(path)
    _atomic_write(path, codebook_xml(codebook, language=language))
    return path


# ----------------------------------------------------------------------------- import


@dataclass
class QdaProject:
    """A REFI-QDA project as tidy tables.

    Attributes
    ----------
    name : str
        ``Project@name``.
    codebook : DataFrame
        ``guid, code, parent, name, colour, definition, is_codable, matched``; ``code`` is the
        workspace code id when ``matched`` (by GUID or name), else a slug of the name.
    sources : DataFrame
        ``source_guid, source_name, path, text, available, has_bom, has_crlf`` (``text``
        normalised: no BOM, ``\\n`` line ends).
    codings : DataFrame
        ``source_guid, source_name, selection_guid, start, end, code, code_guid, code_name,
        coder, text, raw_start, raw_end, status``. ``start``/``end`` are code-point offsets
        into the normalised source text (end exclusive); ``status`` is ``"ok"`` or why the
        selection could not be located.
    users : DataFrame
        ``guid, name, id, coder`` (``coder``: the coder id the codings carry).
    cases : DataFrame
        Long: ``case_guid, case_name, variable, value, source_guids``.
    offset_scheme : str
        How the file counted offsets (``"codepoint"``, ``"codepoint+crlf2"``, ``"utf8"``…).
    file : str
    """

    name: str
    codebook: pd.DataFrame
    sources: pd.DataFrame
    codings: pd.DataFrame
    users: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["guid", "name", "id", "coder"]))
    cases: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["case_guid", "case_name", "variable", "value", "source_guids"]))
    offset_scheme: str = "codepoint"
    file: str = ""


_CODING_COLUMNS = ["source_guid", "source_name", "selection_guid", "start", "end", "code", "code_guid",
                   "code_name", "coder", "text", "raw_start", "raw_end", "status"]


def _parse_xml(data: bytes, file: str) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_blank_text=True)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise DataError(f"the XML cannot be parsed ({exc})", file=file,
                        hint="Export the project again from the QDA tool; the file may be truncated.") from exc


def _workspace_code_lookup(codebook: pd.DataFrame | None) -> tuple[dict[str, str], dict[str, str]]:
    by_guid: dict[str, str] = {}
    by_name: dict[str, str] = {}
    if codebook is None:
        return by_guid, by_name
    cb = _check_codebook(codebook)
    for row in cb.itertuples(index=False):
        by_guid[stable_guid("code", row.code)] = row.code
    # names after ids, so an id never loses to another code's name
    for column in ("name_en", "name_fi", "code"):
        for code, name in zip(cb["code"], cb[column]):
            name = _text_or_none(name)
            if name is not None:
                by_name[name.strip().casefold()] = code
    return by_guid, by_name


def _read_codes(codes_el: etree._Element | None, codebook: pd.DataFrame | None) -> pd.DataFrame:
    by_guid, by_name = _workspace_code_lookup(codebook)
    rows: list[dict] = []
    used: set[str] = set(by_guid.values())

    def walk(el: etree._Element, parent: str | None) -> None:
        for code_el in _kids(el, "Code"):
            guid = _guid_key(code_el.get("guid"))
            name = code_el.get("name") or ""
            code = by_guid.get(guid) or by_name.get(name.strip().casefold())
            matched = code is not None
            if code is None:
                code = base = _slug(name)
                suffix = 2
                while code in used:
                    code, suffix = f"{base}_{suffix}", suffix + 1
            used.add(code)
            description = _kid(code_el, "Description")
            rows.append({"guid": guid, "code": code, "parent": parent, "name": name,
                         "colour": code_el.get("color"),
                         "definition": description.text if description is not None else None,
                         "is_codable": (code_el.get("isCodable", "true").strip().lower() in ("true", "1")),
                         "matched": matched})
            walk(code_el, code)

    if codes_el is not None:
        walk(codes_el, None)
    return pd.DataFrame(rows, columns=["guid", "code", "parent", "name", "colour", "definition",
                                       "is_codable", "matched"])


def import_qdc(path: str | Path, *, codebook: pd.DataFrame | None = None) -> pd.DataFrame:
    """Read a REFI-QDA codebook (``.qdc``) into a tidy DataFrame.

    Parameters
    ----------
    path : str or Path
        A ``.qdc`` file (root ``CodeBook``).
    codebook : DataFrame, optional
        The workspace codebook; codes are matched to it by GUID or name.

    Returns
    -------
    DataFrame
        ``guid, code, parent, name, colour, definition, is_codable, matched``.
    """
    path = Path(path)
    root = _parse_xml(path.read_bytes(), str(path))
    if _local(root) != "CodeBook":
        raise DataError(f"the root element is <{_local(root)}>, not <CodeBook>", file=str(path),
                        hint="Pass a .qdc codebook file; read projects with import_qdpx.")
    return _read_codes(_kid(root, "Codes"), codebook)


def _decode(data: bytes) -> tuple[str, bool]:
    """Decode a source text file; return (text without BOM, had BOM)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), True
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), True
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), False


@dataclass(frozen=True)
class _Scheme:
    unit: str  # codepoint | utf8 | utf16
    crlf: int  # characters a CRLF counts for
    bom: bool  # whether a BOM was counted

    @property
    def name(self) -> str:
        parts = [self.unit]
        if self.crlf == 2:
            parts.append("crlf2")
        if self.bom:
            parts.append("bom")
        return "+".join(parts)


_SCHEMES = [_Scheme(u, c, b) for b in (False, True) for u in ("codepoint", "utf8", "utf16") for c in (1, 2)]
_SCHEME_BY_NAME = {s.name: s for s in _SCHEMES}
_SCHEME_BY_NAME.update({"utf-8": _Scheme("utf8", 1, False), "bytes": _Scheme("utf8", 1, False),
                        "codepoints": _Scheme("codepoint", 1, False)})


def _unit_positions(raw: str, had_bom: bool, scheme: _Scheme) -> tuple[np.ndarray, np.ndarray]:
    """Unit offset and normalised index at every raw character boundary (both length n+1)."""
    if not raw:
        shift = (3 if scheme.unit == "utf8" else 1) if (scheme.bom and had_bom) else 0
        return np.array([shift]), np.array([0])
    codes = np.frombuffer(raw.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    if scheme.unit == "utf8":
        width = 1 + (codes >= 0x80) + (codes >= 0x800) + (codes >= 0x10000)
    elif scheme.unit == "utf16":
        width = 1 + (codes >= 0x10000)
    else:
        width = np.ones(len(codes), dtype=np.int64)
    width = width.astype(np.int64)
    cr_of_crlf = np.zeros(len(codes), dtype=bool)
    cr_of_crlf[:-1] = (codes[:-1] == 13) & (codes[1:] == 10)
    if scheme.crlf == 1:
        width = np.where(cr_of_crlf, 0, width)
    out = np.where(cr_of_crlf, 0, 1)
    units = np.concatenate([[0], np.cumsum(width)])
    if scheme.bom and had_bom:
        units = units + (3 if scheme.unit == "utf8" else 1)
    norm = np.concatenate([[0], np.cumsum(out)])
    return units, norm


def _convert(units: np.ndarray, norm: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Map unit offsets to normalised indices; -1 where an offset falls inside a character."""
    idx = np.searchsorted(units, offsets, side="left")
    inside = idx < len(units)
    ok = inside.copy()
    ok[inside] = units[idx[inside]] == offsets[inside]
    result = np.full(len(offsets), -1, dtype=np.int64)
    result[ok] = norm[idx[ok]]
    return result


def _squash(text: str) -> str:
    return " ".join(text.split())


def _evidence_matches(evidence: str | None, selected: str) -> bool:
    if not evidence:
        return False
    ev, sel = _squash(evidence), _squash(selected)
    if not ev or not sel:
        return False
    if ev == sel:
        return True
    ev = ev.rstrip(".… ")
    return len(ev) >= 8 and sel.startswith(ev)


def _clean_boundary(text: str, pos: int) -> bool:
    if pos <= 0 or pos >= len(text):
        return True
    return not (text[pos - 1].isalnum() and text[pos].isalnum())


def _score(sources: dict[str, dict], selections: list[dict], scheme: _Scheme) -> tuple[int, int, int]:
    text_hits = valid = clean = 0
    by_source: dict[str, list[dict]] = {}
    for sel in selections:
        by_source.setdefault(sel["source_guid"], []).append(sel)
    for guid, sels in by_source.items():
        src = sources.get(guid)
        if src is None or src["raw"] is None:
            continue
        units, norm = _unit_positions(src["raw"], src["had_bom"], scheme)
        starts = _convert(units, norm, np.array([s["raw_start"] for s in sels], dtype=np.int64))
        ends = _convert(units, norm, np.array([s["raw_end"] for s in sels], dtype=np.int64))
        text = src["text"]
        for sel, start, end in zip(sels, starts, ends):
            if start < 0 or end < 0 or end < start:
                continue
            valid += 1
            clean += _clean_boundary(text, int(start)) + _clean_boundary(text, int(end))
            text_hits += _evidence_matches(sel["evidence"], text[start:end])
    return text_hits, valid, clean


def _distinct_schemes(sources: dict[str, dict]) -> list[_Scheme]:
    has_crlf = any(s["raw"] and "\r\n" in s["raw"] for s in sources.values())
    has_bom = any(s["had_bom"] for s in sources.values())
    raws = [s["raw"] or "" for s in sources.values()]
    non_ascii = any(not r.isascii() for r in raws)
    astral = any(any(ord(ch) > 0xFFFF for ch in r) for r in raws if not r.isascii())
    out = []
    for scheme in _SCHEMES:
        if scheme.crlf == 2 and not has_crlf:
            continue
        if scheme.bom and not has_bom:
            continue
        if scheme.unit == "utf8" and not non_ascii:
            continue
        if scheme.unit == "utf16" and not astral:
            continue
        out.append(scheme)
    return out


def _zip_lookup(archive: zipfile.ZipFile) -> dict[str, str]:
    return {name.replace("\\", "/").lower(): name for name in archive.namelist()}


def _source_bytes(archive: zipfile.ZipFile | None, lookup: dict[str, str], path_attr: str, base_path: str | None,
                  folder: Path) -> bytes | None:
    scheme, _, rest = path_attr.partition("://")
    scheme = scheme.lower()
    candidates: list[str] = []
    if scheme == "internal":
        candidates = [f"sources/{rest}", rest]
    elif scheme == "relative":
        if base_path:
            base_scheme, _, base_rest = base_path.partition("://")
            base = Path(base_rest if base_scheme else base_path)
            if (base / rest).is_file():
                return (base / rest).read_bytes()
        if (folder / rest).is_file():
            return (folder / rest).read_bytes()
        candidates = [f"sources/{rest}", rest, f"sources/{PurePosixPath(rest).name}"]
    elif scheme == "absolute":
        if Path(rest).is_file():
            return Path(rest).read_bytes()
        candidates = [f"sources/{PurePosixPath(rest.replace(chr(92), '/')).name}"]
    else:
        candidates = [f"sources/{path_attr}", path_attr]
    if archive is not None:
        for candidate in candidates:
            member = lookup.get(candidate.replace("\\", "/").lower())
            if member is not None:
                return archive.read(member)
    return None


def import_qdpx(
    path: str | Path,
    *,
    codebook: pd.DataFrame | None = None,
    offsets: str = "auto",
    coder_names: Mapping[str, str] | None = None,
) -> QdaProject:
    """Read a REFI-QDA project (``.qdpx`` zip, or a bare ``.qde``/``.qdc`` file).

    Parameters
    ----------
    path : str or Path
        The exchange file.
    codebook : DataFrame, optional
        The workspace codebook; codes are matched to it by GUID, else by name (code id,
        ``name_fi``, ``name_en``; case-insensitive). Unmatched codes keep a slug id and
        ``matched=False``.
    offsets : str
        ``"auto"`` (detect, see the module docstring) or a scheme: ``"codepoint"``,
        ``"codepoint+crlf2"``, ``"utf8"``, ``"utf8+crlf2"``, ``"utf16"`` (+ ``"+bom"`` when the
        tool counted the byte-order mark).
    coder_names : mapping, optional
        Display name → coder id, for users without ``User@id`` (see the module
        docstring; ``config/coders.yaml`` via :func:`load_coders`).

    Returns
    -------
    QdaProject
        Tables of codebook, sources, codings (offsets in normalised code points), users
        (``guid, name, id, coder``: ``coder`` is the coder id the codings carry), cases;
        ``offset_scheme`` tells which scheme was used.

    Raises
    ------
    DataError
        The file is not a zip with ``project.qde``, the XML is broken, or ``offsets`` is
        unknown.
    """
    path = Path(path)
    if offsets != "auto" and offsets not in _SCHEME_BY_NAME:
        raise DataError(f"unknown offset scheme '{offsets}'", file=str(path),
                        hint=f"Use 'auto' or one of {', '.join(s.name for s in _SCHEMES)}.")
    if not path.is_file():
        raise DataError("the file does not exist", file=str(path), hint="Check the path.")
    data = path.read_bytes()
    archive: zipfile.ZipFile | None = None
    lookup: dict[str, str] = {}
    if zipfile.is_zipfile(io.BytesIO(data)):
        archive = zipfile.ZipFile(io.BytesIO(data))
        lookup = _zip_lookup(archive)
        qde = next((lookup[n] for n in lookup if n.endswith(".qde")), None)
        if qde is None:
            raise DataError("the archive holds no project.qde", file=str(path),
                            hint="Export a REFI-QDA project (.qdpx) from the QDA tool.")
        root = _parse_xml(archive.read(qde), f"{path}:{qde}")
    else:
        root = _parse_xml(data, str(path))
    if _local(root) == "CodeBook":
        return QdaProject(name=path.stem, codebook=_read_codes(_kid(root, "Codes"), codebook),
                          sources=pd.DataFrame(columns=["source_guid", "source_name", "path", "text", "available",
                                                        "has_bom", "has_crlf"]),
                          codings=pd.DataFrame(columns=_CODING_COLUMNS), file=str(path))
    if _local(root) != "Project":
        raise DataError(f"the root element is <{_local(root)}>, not <Project>", file=str(path),
                        hint="Pass a REFI-QDA project (.qdpx/.qde) or codebook (.qdc).")

    codebook_el = _kid(root, "CodeBook")
    cb = _read_codes(_kid(codebook_el, "Codes") if codebook_el is not None else None, codebook)
    code_by_guid = {g: (c, n) for g, c, n in zip(cb["guid"], cb["code"], cb["name"])}

    users_rows = []
    users_el = _kid(root, "Users")
    for user in (_kids(users_el, "User") if users_el is not None else []):
        uid, name, guid = user.get("id"), user.get("name"), _guid_key(user.get("guid"))
        users_rows.append({"guid": guid, "name": name, "id": uid,
                           "coder": uid or coder_id(name, coder_names) or guid})
    users = pd.DataFrame(users_rows, columns=["guid", "name", "id", "coder"])
    coder_by_guid = {u["guid"]: u["coder"] for u in users_rows}
    if len(users_rows) == 1:  # a one-user project: codings without a creatingUser are that user's
        coder_by_guid[None] = users_rows[0]["coder"]

    base_path = root.get("basePath")
    sources: dict[str, dict] = {}
    selections: list[dict] = []
    sources_el = _kid(root, "Sources")
    for src in (_kids(sources_el, "TextSource") if sources_el is not None else []):
        guid = _guid_key(src.get("guid"))
        name = src.get("name") or guid
        inline = _kid(src, "PlainTextContent")
        path_attr = src.get("plainTextPath")
        raw, had_bom = None, False
        if inline is not None:
            raw = inline.text or ""
            had_bom = raw.startswith(_BOM)
            raw = raw[1:] if had_bom else raw
        elif path_attr:
            blob = _source_bytes(archive, lookup, path_attr, base_path, path.parent)
            if blob is not None:
                raw, had_bom = _decode(blob)
        text = normalise_text(raw) if raw is not None else None
        sources[guid] = {"guid": guid, "name": name, "path": path_attr or "(inline)", "raw": raw, "text": text,
                         "had_bom": had_bom}
        for sel in _kids(src, "PlainTextSelection"):
            description = _kid(sel, "Description")
            evidence = sel.get("name") or (description.text if description is not None else None)
            for coding in _kids(sel, "Coding"):
                selections.append(_selection_row(guid, name, sel, coding, evidence))
        for coding in _kids(src, "Coding"):  # a coding of the whole source
            selections.append(_selection_row(guid, name, None, coding, None))

    # offsets: choose the scheme
    if offsets != "auto":
        scheme = _SCHEME_BY_NAME[offsets]
    else:
        candidates = _distinct_schemes(sources) or [_SCHEMES[0]]
        scored = [(_score(sources, [s for s in selections if not s["whole"]], sch), -i, sch)
                  for i, sch in enumerate(candidates)]
        scheme = max(scored, key=lambda item: (item[0], item[1]))[2]

    rows = []
    by_source: dict[str, list[dict]] = {}
    for sel in selections:
        by_source.setdefault(sel["source_guid"], []).append(sel)
    for guid, sels in by_source.items():
        src = sources[guid]
        if src["raw"] is None:
            for sel in sels:
                rows.append(_coding_row(sel, None, None, "", "source text missing from the project",
                                        code_by_guid, coder_by_guid))
            continue
        text = src["text"]
        units, norm = _unit_positions(src["raw"], src["had_bom"], scheme)
        part = [s for s in sels if not s["whole"]]
        starts = _convert(units, norm, np.array([s["raw_start"] for s in part], dtype=np.int64))
        ends = _convert(units, norm, np.array([s["raw_end"] for s in part], dtype=np.int64))
        converted = iter(zip(starts, ends))
        for sel in sels:
            if sel["whole"]:
                start, end = 0, len(text)
            else:
                start, end = (int(v) for v in next(converted))
            if start < 0 or end < 0 or end < start:
                rows.append(_coding_row(sel, None, None, "",
                                        f"offsets {sel['raw_start']}–{sel['raw_end']} do not fit the text "
                                        f"under the offset scheme '{scheme.name}'", code_by_guid, coder_by_guid))
            else:
                rows.append(_coding_row(sel, start, end, text[start:end], "ok", code_by_guid, coder_by_guid))
    codings = pd.DataFrame(rows, columns=_CODING_COLUMNS)
    codings["start"] = codings["start"].astype("Int64")
    codings["end"] = codings["end"].astype("Int64")

    source_table = pd.DataFrame(
        [{"source_guid": s["guid"], "source_name": s["name"], "path": s["path"], "text": s["text"],
          "available": s["raw"] is not None, "has_bom": s["had_bom"],
          "has_crlf": bool(s["raw"] and "\r\n" in s["raw"])} for s in sources.values()],
        columns=["source_guid", "source_name", "path", "text", "available", "has_bom", "has_crlf"])
    return QdaProject(name=root.get("name", path.stem), codebook=cb, sources=source_table, codings=codings,
                      users=users, cases=_read_cases(root), offset_scheme=scheme.name, file=str(path))


def _selection_row(source_guid: str, source_name: str, sel: etree._Element | None, coding: etree._Element,
                   evidence: str | None) -> dict:
    code_ref = _kid(coding, "CodeRef")
    creator = coding.get("creatingUser") or (sel.get("creatingUser") if sel is not None else None)

    def as_int(value: str | None) -> int:
        try:
            return int(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return -1

    return {
        "source_guid": source_guid, "source_name": source_name,
        "selection_guid": _guid_key(sel.get("guid")) if sel is not None else None,
        "raw_start": as_int(sel.get("startPosition")) if sel is not None else 0,
        "raw_end": as_int(sel.get("endPosition")) if sel is not None else -1,
        "code_guid": _guid_key(code_ref.get("targetGUID")) if code_ref is not None else None,
        "creator": _guid_key(creator), "evidence": evidence, "whole": sel is None,
    }


def _coding_row(sel: dict, start: int | None, end: int | None, text: str, status: str,
                code_by_guid: dict, coder_by_guid: dict) -> dict:
    code, code_name = code_by_guid.get(sel["code_guid"], (None, None))
    if code is None and status == "ok":
        status = f"code GUID {sel['code_guid']} is not in the project's codebook"
    coder = (coder_by_guid.get(sel["creator"], sel["creator"]) if sel["creator"]
             else coder_by_guid.get(None, "unknown"))
    return {"source_guid": sel["source_guid"], "source_name": sel["source_name"],
            "selection_guid": sel["selection_guid"], "start": start, "end": end, "code": code,
            "code_guid": sel["code_guid"], "code_name": code_name, "coder": coder, "text": text,
            "raw_start": sel["raw_start"], "raw_end": sel["raw_end"] if not sel["whole"] else None,
            "status": status}


def _read_cases(root: etree._Element) -> pd.DataFrame:
    names = {}
    variables_el = _kid(root, "Variables")
    for var in (_kids(variables_el, "Variable") if variables_el is not None else []):
        names[_guid_key(var.get("guid"))] = var.get("name")
    rows = []
    cases_el = _kid(root, "Cases")
    for case in (_kids(cases_el, "Case") if cases_el is not None else []):
        sources = ";".join(_guid_key(ref.get("targetGUID")) or "" for ref in _kids(case, "SourceRef"))
        for vv in _kids(case, "VariableValue"):
            ref = _kid(vv, "VariableRef")
            value_el = next((child for child in vv if _local(child).endswith("Value")), None)
            rows.append({"case_guid": _guid_key(case.get("guid")), "case_name": case.get("name"),
                         "variable": names.get(_guid_key(ref.get("targetGUID")) if ref is not None else None),
                         "value": value_el.text if value_el is not None else None, "source_guids": sources})
    return pd.DataFrame(rows, columns=["case_guid", "case_name", "variable", "value", "source_guids"])


# ----------------------------------------------------------------------------- mapping


_UNMAPPED_COLUMNS = ["source_guid", "source_name", "selection_guid", "start", "end", "code", "code_name",
                     "coder", "text", "reason"]


def map_codings_to_segments(
    codings: pd.DataFrame | QdaProject,
    segments: pd.DataFrame,
    documents: Mapping[str, str] | pd.Series | None = None,
    *,
    codebook: pd.DataFrame | None = None,
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
    codebook : DataFrame, optional
        The workspace codebook: codings with codes outside it are reported.
    min_share : float
        The majority threshold (0 < min_share ≤ 1).

    Returns
    -------
    (DataFrame, DataFrame)
        ``segment_codings`` with columns ``segment_id, code, coder`` (unique, ordered as the
        segments), and ``unmapped`` with columns ``source_guid, source_name, selection_guid,
        start, end, code, code_name, coder, text, reason``.
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
    known_codes = set(_check_codebook(codebook)["code"]) if codebook is not None else None

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

        for doc_id in doc_types[doc_types == "workshop"].index:
            if (turns["workshop_id"].astype(str) == str(doc_id)).any():
                documents[str(doc_id)] = document_text(turns, str(doc_id))
    diary_ids = doc_types[doc_types == "diary"].index
    if len(diary_ids):
        whole = segments[(segments.get("unit") == "diary_entry") & (segments["start"] == 0)] \
            if "unit" in segments.columns else segments.iloc[0:0]
        for doc_id, text in zip(whole["doc_id"].astype(str), whole["text"]):
            documents[doc_id] = str(text)
        if diaries is not None and len(diaries):
            for entry_id, text in zip(diaries["entry_id"], diaries["text"]):
                key = f"D{int(entry_id):04d}" if isinstance(entry_id, (int, np.integer)) else str(entry_id)
                if key in set(map(str, diary_ids)):
                    documents.setdefault(key, "" if _is_missing(text) else str(text))
    checked = {}
    for doc_id, text in documents.items():
        part = segments[segments["doc_id"].astype(str) == doc_id]
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

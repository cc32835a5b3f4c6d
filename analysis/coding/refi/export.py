"""Write REFI-QDA projects (``.qdpx``) and codebooks (``.qdc``).

Export rules (what this module writes)
--------------------------------------
* A ``.qdpx`` is a zip holding ``project.qde`` (``urn:QDA-XML:project:1.0``, valid against
  ``Project-mrt2019.xsd``) and ``sources/<GUID>.txt``; a ``.qdc`` is the codebook alone
  (``urn:QDA-XML:codebook:1.0``).
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
"""

from __future__ import annotations

import io
import os
import tempfile
import warnings
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
from lxml import etree

from analysis.coding.refi._common import (
    NS_CODEBOOK,
    NS_PROJECT,
    _as_documents,
    _check_codebook,
    _is_missing,
    _normalisation_map,
    _qn,
    _text_or_none,
    normalise_text,
    stable_guid,
)
from analysis.coding.refi.coders import _USER_NAMES
from analysis.errors import DataError


#: Segment columns exported as REFI-QDA variables by default ("workshop" is derived).
DEFAULT_VARIABLES: tuple[str, ...] = ("speaker_role", "work_package", "workshop", "date")
_ORIGIN = "Jäkälä analysis workspace (analysis.coding.refi)"
_ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)


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


def codebook_xml(codebook_table: pd.DataFrame, *, language: str = "fi", origin: str = _ORIGIN) -> bytes:
    """Return a REFI-QDA codebook (``.qdc`` content) as UTF-8 XML bytes.

    Parameters
    ----------
    codebook_table : DataFrame
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
    cb = _check_codebook(codebook_table)
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
    codebook_table: pd.DataFrame,
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
    cb = _check_codebook(codebook_table)
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
    codebook_table: pd.DataFrame,
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
    codebook_table : DataFrame
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
    xml, texts = project_xml(codebook_table, documents, segments, codings, project_name=project_name,
                             users=users, variables=variables, language=language)
    members = {"project.qde": xml}
    members.update({f"sources/{name}": text.encode("utf-8") for name, text in texts.items()})
    path = Path(path)
    _write_zip(path, members)
    return path


def export_qdc(path: str | Path, codebook_table: pd.DataFrame, *, language: str = "fi") -> Path:
    """Write the codebook alone as a REFI-QDA ``.qdc`` file (``urn:QDA-XML:codebook:1.0``).

    Parameters
    ----------
    path : str or Path
        Output file, conventionally ``*.qdc``.
    codebook_table : DataFrame
        ``code, parent, name_fi, name_en, colour, definition``.
    language : {"fi", "en"}
        Language of code names.

    Returns
    -------
    Path
    """
    path = Path(path)
    _atomic_write(path, codebook_xml(codebook_table, language=language))
    return path

"""Read REFI-QDA projects (``.qdpx``, ``.qde``) and codebooks (``.qdc``) into tidy tables.

Import tolerance (what real tools write)
----------------------------------------
* A ``.qdpx`` zip with ``project.qde`` (``urn:QDA-XML:project:1.0``), a bare ``.qde``, or a
  ``.qdc`` codebook (``urn:QDA-XML:codebook:1.0``); elements are matched by local name, so
  any namespace prefix is read.
* A BOM in ``sources/*.txt`` (QualCoder writes ``utf-8-sig``) is removed.
* Offsets: CRLF counted as one or two, UTF-8 bytes, UTF-16 units, a counted BOM —
  :func:`import_qdpx` detects the scheme (:mod:`analysis.coding.refi.offsets`). Pass
  ``offsets=`` to force one.
* ``sources/`` or ``Sources/`` (MAXQDA vs NVivo), ``internal://``, ``relative://`` and
  ``absolute://`` paths, and texts inline as ``PlainTextContent``.
* Codes map to the workspace codebook by GUID (the stable GUIDs of the writer) and else by
  name (code id, Finnish or English name, case-insensitive).
* Coders: a coding's ``creatingUser`` is looked up in ``<Users>``; the coder id is the
  ``User@id`` the writer puts there, else the display name mapped back by
  :func:`analysis.coding.refi.coders.coder_id`. Codings with no ``creatingUser`` belong to
  the project's only user when there is exactly one, else to ``"unknown"``.

The mapping rule from selections to segments is in
:func:`analysis.coding.refi.mapping.map_codings_to_segments`.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd
from lxml import etree

from analysis.coding.refi._common import (
    _BOM,
    _check_codebook,
    _guid_key,
    _kid,
    _kids,
    _local,
    _text_or_none,
    normalise_text,
    stable_guid,
)
from analysis.coding.refi.coders import coder_id
from analysis.coding.refi.offsets import _SCHEME_BY_NAME, _SCHEMES, _choose_scheme, _convert, _unit_positions
from analysis.errors import DataError


@dataclass
class QdaProject:
    """A REFI-QDA project as tidy tables.

    Attributes
    ----------
    name : str
        ``Project@name``.
    codebook_table : DataFrame
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
    codebook_table: pd.DataFrame
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


def _workspace_code_lookup(codebook_table: pd.DataFrame | None) -> tuple[dict[str, str], dict[str, str]]:
    by_guid: dict[str, str] = {}
    by_name: dict[str, str] = {}
    if codebook_table is None:
        return by_guid, by_name
    cb = _check_codebook(codebook_table)
    for row in cb.itertuples(index=False):
        by_guid[stable_guid("code", row.code)] = row.code
    # names after ids, so an id never loses to another code's name
    for column in ("name_en", "name_fi", "code"):
        for code, name in zip(cb["code"], cb[column]):
            name = _text_or_none(name)
            if name is not None:
                by_name[name.strip().casefold()] = code
    return by_guid, by_name


def _read_codes(codes_el: etree._Element | None, codebook_table: pd.DataFrame | None) -> pd.DataFrame:
    by_guid, by_name = _workspace_code_lookup(codebook_table)
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


def import_qdc(path: str | Path, *, codebook_table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Read a REFI-QDA codebook (``.qdc``) into a tidy DataFrame.

    Parameters
    ----------
    path : str or Path
        A ``.qdc`` file (root ``CodeBook``).
    codebook_table : DataFrame, optional
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
    return _read_codes(_kid(root, "Codes"), codebook_table)


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
    codebook_table: pd.DataFrame | None = None,
    offsets: str = "auto",
    coder_names: Mapping[str, str] | None = None,
) -> QdaProject:
    """Read a REFI-QDA project (``.qdpx`` zip, or a bare ``.qde``/``.qdc`` file).

    Parameters
    ----------
    path : str or Path
        The exchange file.
    codebook_table : DataFrame, optional
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
        return QdaProject(name=path.stem, codebook_table=_read_codes(_kid(root, "Codes"), codebook_table),
                          sources=pd.DataFrame(columns=["source_guid", "source_name", "path", "text", "available",
                                                        "has_bom", "has_crlf"]),
                          codings=pd.DataFrame(columns=_CODING_COLUMNS), file=str(path))
    if _local(root) != "Project":
        raise DataError(f"the root element is <{_local(root)}>, not <Project>", file=str(path),
                        hint="Pass a REFI-QDA project (.qdpx/.qde) or codebook (.qdc).")

    codebook_el = _kid(root, "CodeBook")
    cb = _read_codes(_kid(codebook_el, "Codes") if codebook_el is not None else None, codebook_table)
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

    scheme = _choose_scheme(sources, selections, offsets)

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
    return QdaProject(name=root.get("name", path.stem), codebook_table=cb, sources=source_table, codings=codings,
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


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^0-9a-zA-Z]+", "_", ascii_name).strip("_").lower()
    return slug or "code"

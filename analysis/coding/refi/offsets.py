"""Guess how a QDA tool counted the offsets of its selections.

REFI-QDA 1.5 (section 10.2) counts ``PlainTextSelection`` offsets in Unicode code points of
the plain text, end exclusive. Real tools differ:

* CRLF may count as one character (ATLAS.ti) or two (a tool reading the file raw);
* Taguette counts UTF-8 **bytes**; JavaScript/Qt tools count UTF-16 units;
* a byte-order mark may have been counted.

An offset scheme (:class:`_Scheme`) is one such way of counting. :func:`_choose_scheme`
tries every scheme the source texts can tell apart and keeps the one under which the
selections fit best: selection names/descriptions that equal the selected text (ATLAS.ti
and QualCoder name a quotation by its text), offsets that land on character boundaries and
inside the text, and selections that do not cut words. The spec's own scheme wins ties.
:func:`_unit_positions` and :func:`_convert` turn a scheme's offsets into code points of the
normalised text (no BOM, ``\\n`` line ends).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class _Scheme:
    """One way of counting offsets: the unit, what a CRLF counts for, whether a BOM counts.

    Examples
    --------
    >>> _Scheme("utf8", 2, True).name
    'utf8+crlf2+bom'
    >>> _SCHEME_BY_NAME["bytes"] == _Scheme("utf8", 1, False)
    True
    """

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
    """Unit offset and normalised index at every raw character boundary (both length n+1).

    Examples
    --------
    UTF-8 bytes with CRLF counted as one: ``ä`` is two bytes, the CR of a CRLF none.

    >>> units, norm = _unit_positions("ä\\r\\nb", False, _Scheme("utf8", 1, False))
    >>> units.tolist(), norm.tolist()
    ([0, 2, 2, 3, 4], [0, 1, 1, 2, 3])
    """
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
    """Map unit offsets to normalised indices; -1 where an offset falls inside a character.

    Examples
    --------
    >>> units, norm = _unit_positions("ä\\r\\nb", False, _Scheme("utf8", 1, False))
    >>> _convert(units, norm, np.array([0, 1, 3, 4, 9])).tolist()
    [0, -1, 2, 3, -1]
    """
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


def _choose_scheme(sources: dict[str, dict], selections: list[dict], offsets: str = "auto") -> _Scheme:
    """The scheme named by ``offsets``, or for ``"auto"`` the one the selections fit best.

    Parameters
    ----------
    sources : dict
        Source GUID → ``{"raw": text as read (BOM removed) or None, "had_bom": bool,
        "text": normalised text}``.
    selections : list of dict
        ``{"source_guid", "raw_start", "raw_end", "evidence", "whole"}`` per coding
        (``evidence``: the selection's name or description; ``whole``: codes the whole source).
    offsets : str
        ``"auto"`` or a name of :data:`_SCHEME_BY_NAME` (checked by the caller).

    Returns
    -------
    _Scheme
        Best by (text hits, offsets that fit, clean word boundaries); ties go to the
        earlier scheme, the spec's code points first.

    Examples
    --------
    A Taguette-style selection in UTF-8 bytes: ``"Tämä "`` is seven bytes but five code points.

    >>> raw = "Tämä on koe."
    >>> sources = {"S": {"raw": raw, "had_bom": False, "text": raw}}
    >>> sel = [{"source_guid": "S", "raw_start": 7, "raw_end": 13, "evidence": "on koe", "whole": False}]
    >>> _choose_scheme(sources, sel).name
    'utf8'
    >>> _choose_scheme(sources, sel, "codepoint").name
    'codepoint'
    """
    if offsets != "auto":
        scheme = _SCHEME_BY_NAME[offsets]
    else:
        candidates = _distinct_schemes(sources) or [_SCHEMES[0]]
        scored = [(_score(sources, [s for s in selections if not s["whole"]], sch), -i, sch)
                  for i, sch in enumerate(candidates)]
        scheme = max(scored, key=lambda item: (item[0], item[1]))[2]
    return scheme

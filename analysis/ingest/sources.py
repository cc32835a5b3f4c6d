"""One raw source → its processed tables: surveys, workshop transcripts, diaries.

Each ``ingest_<kind>`` reads one manifest entry with its reader (:mod:`analysis.io`),
replaces identifiers by pseudonyms from the key and redacts free text
(:mod:`analysis.privacy`), and returns the source's tables by name, the rows that
cannot be used in ``quarantine`` with their reason (nothing is dropped). What spans
sources (diaries repeated across sources, segments, tokens) is done in
:mod:`analysis.ingest.staging`.

Examples
--------
>>> derived = _derived_text({"AB12": "R001"}, redact=str.upper)
>>> derived("respondent code ab12 repeated (also row 4)")
'RESPONDENT CODE R001 REPEATED (ALSO ROW 4)'
>>> _excerpt("x" * 200, str)[-3:], len(_excerpt("x" * 200, str))
('xx…', 160)
>>> speaker_original("W01", "Maija Mäkinen"), speaker_original("W01", "Nuori 3")
('Maija Mäkinen', 'W01:Nuori 3')
>>> _wp_key("TP 2C") == _wp_key("tp2c")
True
>>> [_blank(v) for v in (None, float("nan"), " ", "nan", "K1")]
[True, True, True, True, False]
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from analysis.config import load_config
from analysis.errors import ConfigError
from analysis.ingest.manifest import SPEAKER_ROLES, WORK_PACKAGES, Source
from analysis.workspace import Workspace


def quarantine_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    cols = ["source_id", "source_file", "location", "reason", "content"]
    return pd.DataFrame(rows, columns=cols).astype({"location": "string", "reason": "string", "content": "string"})


def _derived_text(codes: dict[str, str], redact: Callable[[str], str]) -> Callable[[str], str]:
    """A function building derived text (quarantine reasons, contents) from raw text.

    Every raw respondent code in ``codes`` is replaced by its pseudonym (longest first,
    whole tokens only), then the text is redacted: nothing raw reaches a reason.
    """
    ordered = sorted((c for c in codes if c), key=len, reverse=True)
    pattern = (re.compile(r"(?<![^\W_])(?:" + "|".join(re.escape(c) for c in ordered) + r")(?![^\W_])", re.IGNORECASE)
               if ordered else None)  # fmt: skip
    folded = {c.casefold(): p for c, p in codes.items()}

    def build(text: str) -> str:
        if pattern is not None:
            text = pattern.sub(lambda m: folded.get(m.group().casefold(), "[tunnus]"), text)
        return redact(text)

    return build


def _excerpt(value: Any, redact: Callable[[str], str], limit: int = 160) -> str:
    text = "" if value is None else str(value)
    text = redact(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def ingest_survey(src: Source, ws: Workspace, key: Any, redact: Callable[[str], str]) -> dict[str, pd.DataFrame]:
    from analysis.io.tables import read_table
    from analysis.survey.apply import apply_instrument
    from analysis.survey.instrument import load_instrument

    instrument = load_instrument(ws.resolve_config(src.spec["instrument"]))
    raw = read_table(src.path, sheet=src.spec.get("sheet"), header_row=src.spec.get("header_row"))
    tables = apply_instrument(raw.data, instrument, source_id=src.id, source_file=src.relpath, wave=src.spec["wave"])

    # The same code in baseline and follow-up is the same person: key by instrument + code.
    codes = pd.concat([tables.respondents["respondent_code"], tables.responses["respondent_code"],
                       tables.open_answers["respondent_code"]]).dropna().unique()  # fmt: skip
    # codes of quarantined rows (a repeated code) get a pseudonym too, so the quarantine
    # reason names the pseudonym, never the raw code (which may be a name or an identity code)
    repeated = [str(q.content) for q in tables.quarantine.itertuples()
                if str(q.reason).startswith("respondent code ") and not pd.isna(q.content)]
    all_codes = sorted({*map(str, codes), *repeated})
    pseudonym = {code: key.pseudonym("respondent", f"{instrument.id}:{code}", avoid=all_codes) for code in all_codes}
    derived = _derived_text(pseudonym, redact)

    def pseudonymise(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        frame.insert(frame.columns.get_loc("respondent_code"), "respondent",
                     frame.pop("respondent_code").astype(str).map(pseudonym))  # fmt: skip
        return frame

    respondents = pseudonymise(tables.respondents)
    for col in [c for c in respondents.columns if c.endswith("_other")]:
        respondents[col] = respondents[col].map(lambda v: redact(v) if isinstance(v, str) else v)
    open_answers = pseudonymise(tables.open_answers)
    open_answers["text"] = open_answers["text"].map(lambda v: redact(v) if isinstance(v, str) else v)
    quarantine = quarantine_frame([
        {"source_id": src.id, "source_file": redact(src.relpath), "location": derived(str(q.location)),
         "reason": derived(str(q.reason)), "content": _excerpt(q.content, derived)}
        for q in tables.quarantine.itertuples()
    ])  # fmt: skip
    notes = [redact(str(n)) for n in list(raw.notes) + [f"column not in the instrument (not used): {c}"
                                                        for c in tables.extra_columns]]
    return {
        "respondents": respondents,
        "survey_responses": pseudonymise(tables.responses),
        "survey_open_answers": open_answers,
        "quarantine": quarantine,
        "_notes": pd.DataFrame({"note": notes}, dtype="string"),
    }


def speaker_original(workshop_id: str, label: str) -> str:
    # Full names (Teams/Zoom voices) identify a person across workshops; short labels
    # such as "ST1" or "Nuori 3" are only unique within one transcript.
    words = label.split()
    if len(words) >= 2 and all(w[:1].isupper() and w[1:].islower() for w in words if w.isalpha()) and not any(
        ch.isdigit() for ch in label
    ):
        return label
    return f"{workshop_id}:{label}"


def ingest_workshop(src: Source, ws: Workspace, key: Any, redact: Callable[[str], str]) -> dict[str, pd.DataFrame]:
    from analysis.io.transcripts import read_transcript

    speakers: dict[str, str] = src.spec["speakers"]
    raw = read_transcript(src.path, speaker_map=speakers)
    turns = raw.turns.copy()
    pseudonym_of: dict[str, str] = {}
    for label in turns["label"].unique():
        role = speakers[label]
        pseudonym_of[label] = key.pseudonym("speaker", speaker_original(src.id, label), role=role, avoid=speakers)
    out = pd.DataFrame({
        "workshop_id": src.id,
        "turn": turns["turn"].astype("int64"),
        "speaker": turns["label"].map(pseudonym_of),
        "speaker_role": turns["label"].map(speakers),
        "start_time": pd.to_numeric(turns["start_time"], errors="coerce").astype("float64"),
        "text": turns["text"].map(redact),
        "source_line": turns["source_line"].astype("int64"),
    })  # fmt: skip
    workshop = pd.DataFrame([{
        "workshop_id": src.id,
        "date": pd.Timestamp(src.spec["date"]),
        "work_package": src.spec["work_package"],
        "method": str(src.spec.get("method") or ""),
        "place": str(src.spec.get("place") or ""),
        "source_file": redact(src.relpath),
        "n_turns": int(len(out)),
        "n_speakers": int(out["speaker"].nunique()),
    }])  # fmt: skip
    return {"workshops": workshop, "transcript_turns": out,
            "_notes": pd.DataFrame({"note": [redact(str(n)) for n in getattr(raw, "notes", [])]})}


_DIARY_FIELDS = ("happened", "worked", "did_not_work", "next_steps")


def ingest_diary(src: Source, ws: Workspace, key: Any, redact: Callable[[str], str]) -> dict[str, pd.DataFrame]:
    from analysis.io.diaries import diary_problems, read_diary_folder, read_diary_form

    if src.spec["kind"] == "form":
        entries = read_diary_form(src.path, sheet=src.spec.get("sheet"))
    else:
        entries = read_diary_folder(src.path, work_package=src.spec.get("work_package"))
    problems = diary_problems(entries)
    entries = entries.reset_index(drop=True)
    if src.spec.get("work_package"):
        wp = entries["work_package"].fillna("").astype(str).str.strip()
        entries["work_package"] = wp.where(wp != "", src.spec["work_package"])
    entries, wp_problems = _map_diary_work_packages(entries, src, str(ws.config_path("diary_form.yaml")),
                                                    redact)  # fmt: skip
    for f in _DIARY_FIELDS:
        entries[f] = entries[f].fillna("").astype(str).map(redact)
    roles = _diary_roles(str(ws.config_path("diary_form.yaml")))
    writers = [
        key.pseudonym("writer", f"{code:g}" if isinstance(code, float) else str(code).strip())
        if not _blank(code) else "K?"
        for code in entries["writer_code"]
    ]
    # writers are in the key before the quarantine text is built, so their names are redacted
    quarantine = quarantine_frame([
        {"source_id": src.id, "source_file": redact(_diary_file(src, p.source_file)), "location": redact(str(p.location)),
         "reason": redact(str(p.reason)), "content": _excerpt(p.content, redact)}
        for p in problems.itertuples()
    ])  # fmt: skip
    if len(wp_problems):
        quarantine = pd.concat([quarantine, wp_problems], ignore_index=True)
    rows = entries["source_row"]
    out = pd.DataFrame({
        "date": pd.to_datetime(entries["date"]),
        "writer": writers,
        "writer_role": entries["role"].map(lambda title: roles.get(" ".join(str(title or "").lower().split()), "other")),
        "writer_title": entries["role"].fillna("").astype(str).str.strip().str.lower(),
        "work_package": entries["work_package"],
        **{f: entries[f] for f in _DIARY_FIELDS},
        "text": entries[list(_DIARY_FIELDS)].apply(lambda r: "\n".join(v for v in r if v), axis=1)
        if len(entries) else pd.Series(dtype="string"),
        "source_id": src.id,
        "source_file": [redact(_diary_file(src, f)) for f in entries["source_file"]],
        "source_row": rows.astype("Int64"),
        "_location": [f"row {r}" if not pd.isna(r) else f"file {redact(str(f))}" for r, f in zip(rows, entries["source_file"])],
    })  # fmt: skip
    return {"diary_entries": out, "quarantine": quarantine}


@lru_cache(maxsize=4)
def _diary_roles(path: str) -> dict[str, str]:
    """Job title (lower case) → role code, from ``roles:`` in config/diary_form.yaml."""
    doc = load_config(path, "diary_form") if Path(path).is_file() else {}
    roles = doc.get("roles") or {}
    allowed = {*SPEAKER_ROLES, "other"}
    for title, role in roles.items():
        if role not in allowed:
            raise ConfigError(f"role '{role}' of '{title}' is not one of {', '.join(sorted(allowed))}", file=path,
                              location=f"roles.{title}")  # fmt: skip
    return {" ".join(str(t).lower().split()): str(r) for t, r in roles.items()}


@lru_cache(maxsize=4)
def _diary_work_package_map(path: str) -> dict[str, str]:
    """Work package as written (normalised) → code, from ``work_packages:`` in config/diary_form.yaml.

    The codes themselves (TP1 … TP4, TP2A–TP2C) are always known; the config adds the
    other spellings a form uses (``2C``, ``TP 2C``, ``Tuettu asuminen``).
    """
    doc = load_config(path, "diary_form") if Path(path).is_file() else {}
    mapping = doc.get("work_packages") or {}
    out = {_wp_key(code): code for code in WORK_PACKAGES}
    for written, code in mapping.items():
        if str(code) not in WORK_PACKAGES:
            raise ConfigError(f"work package '{code}' of '{written}' is not one of {', '.join(WORK_PACKAGES)}",
                              file=path, location=f"work_packages.{written}")  # fmt: skip
        out[_wp_key(written)] = str(code)
    return out


def _wp_key(value: Any) -> str:
    return "".join(ch for ch in str(value).casefold() if ch.isalnum())


def _map_diary_work_packages(
    entries: pd.DataFrame, src: Source, config: str, redact: Callable[[str], str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Map each entry's work package to its code; quarantine entries whose value is unknown.

    A blank value stays blank (the entry counts for no work package). An unknown value
    (``TP5``, a typo) is never passed on as a work package the analyses do not know, which
    would drop the entry from every work-package section without a word.
    """
    known = _diary_work_package_map(config)
    if src.spec.get("work_package") and _wp_key(src.spec["work_package"]) not in known:
        raise ConfigError(f"work package '{src.spec['work_package']}' of diary source '{src.id}' is not known",
                          location=f"diaries[{src.id}].work_package",
                          hint=f"Use one of {', '.join(WORK_PACKAGES)} or add the spelling under work_packages: "
                               f"in {config}.")  # fmt: skip
    written = entries["work_package"].fillna("").astype(str).str.strip() if len(entries) else pd.Series(dtype=str)
    codes = written.map(lambda v: known.get(_wp_key(v), None) if v else "")
    bad = codes.isna()
    rows = []
    for i in entries.index[bad]:
        entry = entries.loc[i]
        row = entry.get("source_row")
        rows.append({"source_id": src.id, "source_file": redact(_diary_file(src, entry.get("source_file"))),
                     "location": redact(f"row {row}" if not pd.isna(row) else f"file {entry.get('source_file')}"),
                     "reason": redact(f"work package '{written[i]}' is not known: use one of {', '.join(WORK_PACKAGES)}, "
                                      f"or add this spelling under work_packages: in config/diary_form.yaml"),
                     "content": _excerpt(" ".join(str(entry.get(f) or "") for f in _DIARY_FIELDS), redact)})  # fmt: skip
    entries = entries[~bad].copy()
    entries["work_package"] = codes[~bad].astype(str)
    return entries.reset_index(drop=True), quarantine_frame(rows)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value)) or str(value).strip() in ("", "nan", "None")


def _diary_file(src: Source, name: Any) -> str:
    """Path of a diary source file relative to data/raw (a folder's document included)."""
    if src.spec["kind"] == "folder" and isinstance(name, str) and name:
        return f"{src.relpath.rstrip('/')}/{name}"
    return src.relpath


def dedupe_diaries(entries: pd.DataFrame) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Quarantine repeated diary entries (same date, writer and text); keep the first."""
    if entries.empty:
        return entries, []
    dup = entries.duplicated(subset=["date", "writer", "text"], keep="first")
    rows = []
    for r in entries[dup].itertuples():
        first = entries[(entries["date"] == r.date) & (entries["writer"] == r.writer) & (entries["text"] == r.text)].iloc[0]
        rows.append({"source_id": r.source_id, "source_file": r.source_file, "location": r._location,
                     "reason": f"duplicate diary entry: same date, writer and text as {first['_location']} "
                               f"of {first['source_file']}; the first one is kept",
                     "content": r.text[:160]})  # fmt: skip
    return entries[~dup], rows

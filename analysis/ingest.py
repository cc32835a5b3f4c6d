"""Raw → processed: read, validate, pseudonymise, quarantine, write atomically.

Driven by the data manifest (``data/raw/manifest.yaml``, see ``docs/architecture.md``):

1. every source is read by its reader (:mod:`analysis.io`), which reads and does not judge;
2. surveys are matched to their instrument (:mod:`analysis.survey.instrument`); rows that
   cannot be used go to the ``quarantine`` table with the reason, nothing is dropped;
3. respondent codes, speaker labels, voice names and diary writers become stable
   pseudonyms from the key in ``data/keys/`` (:mod:`analysis.privacy`); identity codes,
   phone numbers, e-mail addresses, street addresses and known names in free text are
   replaced by bracketed markers;
4. transcripts and diaries are segmented, tokenised and lemmatised once
   (:mod:`analysis.text.pipeline`) so no notebook re-lemmatises the corpus;
5. every table is written to a staging folder, the key is saved, and the staging
   folder replaces ``data/processed/`` in one rename. A failed ingestion leaves
   ``data/processed/`` exactly as it was.

Each source's results are cached in ``data/processed/cache/<source>-<hash>/``; the hash
covers the file's bytes, its manifest entry, the instrument (surveys), every file of
``config/text/`` (workshops and diaries), ``config/diary_form.yaml`` (diaries), the names
to redact, the lemmatiser backend with its version and the ``analysis`` package source,
so only changed inputs are recomputed. Every other workspace file the ingestion opens is
recorded (:mod:`analysis.provenance.reads`) in ``ingest_state.json`` (``reads``); when one
of them changes the next ingestion ignores the cache. That file also records the data
manifest's and the config files' SHA-256 and each raw file's size and time, which
``jakala run`` checks before any kernel starts (:func:`check_ingested`).
``ingest_report.json`` (read by the data-quality notebook) holds only what the data and
config determine, and warns when the quarantine takes more than
``quarantine_warning_share`` (``config/ingest.yaml``) of a source.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from analysis.config import load_config
from analysis.errors import ConfigError, DataError
from analysis.privacy.keys import ROLE_PREFIXES
from analysis.workspace import Workspace

WORK_PACKAGES = ("TP1", "TP2A", "TP2B", "TP2C", "TP3", "TP4")
SPEAKER_ROLES = tuple(ROLE_PREFIXES)  # the roles the pseudonym key knows
WAVES = ("baseline", "followup", "single")

TABLES = (
    "respondents", "survey_responses", "survey_open_answers", "workshops", "transcript_turns", "diary_entries",
    "quarantine", "workshop_segments", "workshop_tokens", "diary_segments", "diary_tokens",
)  # fmt: skip



# --------------------------------------------------------------------------- manifest
@dataclass(frozen=True)
class Source:
    """One manifest entry."""

    kind: str  # survey | workshop | diary
    id: str
    path: Path
    relpath: str
    spec: dict[str, Any]


@dataclass
class Manifest:
    file: Path
    sources: list[Source]
    known_names: list[str]
    codings: list[dict[str, Any]]
    #: The data description for the report: ``description`` (text, or fi/en texts) and
    #: ``synthetic`` (bool). Written to ``ingest_report.json`` so that no notebook reads data/raw/.
    data: dict[str, Any] = field(default_factory=dict)


def _parse_iso_date(value: Any, *, file: Path, where: str) -> str:
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        try:
            from analysis.io.tables import parse_date

            return parse_date(value, file=file, location=where).isoformat()
        except DataError:
            raise ConfigError(f"'{value}' is not a date", file=file, location=where,
                              hint="Write dates as 2024-05-14 or 14.5.2024.") from None  # fmt: skip


def load_manifest(path: Path, ws: Workspace) -> Manifest:
    """Read and validate the data manifest.

    Raises
    ------
    ConfigError
        For unknown keys, missing ids, duplicate ids, bad dates, work packages or roles.
    DataError
        When an entry points to a file that does not exist.
    """
    doc = load_config(path, "manifest")
    base = path.parent
    sources: list[Source] = []
    seen: dict[str, str] = {}
    for section, kind in (("surveys", "survey"), ("workshops", "workshop"), ("diaries", "diary")):
        for i, entry in enumerate(doc.get(section) or []):
            where = f"{section}[{i}]"
            sid, rel = str(entry["id"]), entry["file"]
            if sid in seen:
                raise ConfigError(f"duplicate id '{sid}' (also in {seen[sid]})", file=path, location=f"{where}.id",
                                  hint="Give every source a unique id.")  # fmt: skip
            seen[sid] = where
            file = (base / rel).resolve()
            if not file.exists():
                raise DataError(f"the manifest points to a missing file '{rel}'", file=path, location=f"{where}.file",
                                hint=f"Put the file at {file} or correct the path (relative to {base}).")  # fmt: skip
            spec = dict(entry)
            if kind == "survey":
                wave = str(entry.get("wave", "single"))
                if wave not in WAVES:
                    raise ConfigError(f"wave '{wave}' is not one of {', '.join(WAVES)}", file=path, location=f"{where}.wave")
                spec["wave"] = wave
            elif kind == "workshop":
                spec["date"] = _parse_iso_date(entry["date"], file=path, where=f"{where}.date")
                wp = entry["work_package"]
                if wp not in WORK_PACKAGES:
                    raise ConfigError(f"work package '{wp}' is not one of {', '.join(WORK_PACKAGES)}", file=path,
                                      location=f"{where}.work_package")  # fmt: skip
                speakers = entry["speakers"]
                for label, role in speakers.items():
                    if role not in SPEAKER_ROLES:
                        raise ConfigError(f"speaker '{label}' has role '{role}'", file=path,
                                          location=f"{where}.speakers.{label}",
                                          hint=f"Use one of: {', '.join(SPEAKER_ROLES)}.")  # fmt: skip
                spec["speakers"] = {str(k).strip(): str(v) for k, v in speakers.items()}
            else:
                diary_kind = str(entry.get("kind", "folder" if file.is_dir() else "form"))
                if diary_kind not in ("form", "folder"):
                    raise ConfigError(f"diary kind '{diary_kind}' is not form or folder", file=path,
                                      location=f"{where}.kind")  # fmt: skip
                spec["kind"] = diary_kind
            sources.append(Source(kind, sid, file, rel, spec))
    names = [str(n) for n in (doc.get("known_names") or [])]
    for s in sources:
        names.extend(str(n) for n in (s.spec.get("known_names") or []))
    data = {"description": doc.get("description"), "synthetic": doc.get("synthetic", False)}
    return Manifest(path, sources, names, list(doc.get("codings") or []), data)


# --------------------------------------------------------------------------- report
@dataclass
class IngestReport:
    """What ingestion did: per source rows and quarantine, table sizes, time."""

    processed: Path
    sources: list[dict[str, Any]] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    lemmatiser: str = ""
    warnings: list[str] = field(default_factory=list)

    def summary_lines(self, max_sources: int = 30) -> list[str]:
        """Readable summary: one line per source (at most ``max_sources``), notes grouped."""
        lines = [f"Ingested {len(self.sources)} source(s) in {self.seconds:.1f} s (lemmatiser: {self.lemmatiser}):"]
        for s in self.sources[:max_sources]:
            cached = " (cached)" if s.get("cached") else ""
            q = f", {s['quarantined']} quarantined" if s.get("quarantined") else ""
            lines.append(f"  {s['id']:<26} {s['kind']:<9} {s['rows']:>6} rows{q}{cached}  {s['file']}")
        if len(self.sources) > max_sources:
            rest = self.sources[max_sources:]
            lines.append(f"  … and {len(rest)} more source(s): {sum(s['rows'] for s in rest)} rows, "
                         f"{sum(s.get('quarantined', 0) for s in rest)} quarantined")  # fmt: skip
        notes: dict[str, list[str]] = {}
        for s in self.sources:
            for note in s.get("notes", []):
                notes.setdefault(note, []).append(s["id"])
        for note, ids in notes.items():
            where = ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
            lines.append(f"  note ({where}): {note}")
        total_q = self.tables.get("quarantine", 0)
        lines.append(f"Tables in {self.processed}: " + ", ".join(f"{k} {v}" for k, v in self.tables.items()))
        if total_q:
            lines.append(f"{total_q} row(s) quarantined with their reason: see notebooks/00_data_quality.ipynb")
        for warning in self.warnings:
            lines.append(f"WARNING: {warning}")
        return lines


# --------------------------------------------------------------------------- helpers
def _hash_bytes(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:20]


def _file_bytes(path: Path) -> bytes:
    if path.is_dir():
        digest = hashlib.sha256()
        for f in sorted(p for p in path.rglob("*") if p.is_file()):
            digest.update(str(f.relative_to(path)).encode())
            digest.update(f.read_bytes())
        return digest.digest()
    return path.read_bytes()


def _quarantine_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
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


# --------------------------------------------------------------------------- sources
def _ingest_survey(src: Source, ws: Workspace, key: Any, redact: Callable[[str], str]) -> dict[str, pd.DataFrame]:
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
    quarantine = _quarantine_frame([
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


def _speaker_original(workshop_id: str, label: str) -> str:
    # Full names (Teams/Zoom voices) identify a person across workshops; short labels
    # such as "ST1" or "Nuori 3" are only unique within one transcript.
    words = label.split()
    if len(words) >= 2 and all(w[:1].isupper() and w[1:].islower() for w in words if w.isalpha()) and not any(
        ch.isdigit() for ch in label
    ):
        return label
    return f"{workshop_id}:{label}"


def _ingest_workshop(src: Source, ws: Workspace, key: Any, redact: Callable[[str], str]) -> dict[str, pd.DataFrame]:
    from analysis.io.transcripts import read_transcript

    speakers: dict[str, str] = src.spec["speakers"]
    raw = read_transcript(src.path, speaker_map=speakers)
    turns = raw.turns.copy()
    pseudonym_of: dict[str, str] = {}
    for label in turns["label"].unique():
        role = speakers[label]
        pseudonym_of[label] = key.pseudonym("speaker", _speaker_original(src.id, label), role=role, avoid=speakers)
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


def _ingest_diary(src: Source, ws: Workspace, key: Any, redact: Callable[[str], str]) -> dict[str, pd.DataFrame]:
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
    quarantine = _quarantine_frame([
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
    return entries.reset_index(drop=True), _quarantine_frame(rows)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value)) or str(value).strip() in ("", "nan", "None")


def _diary_file(src: Source, name: Any) -> str:
    """Path of a diary source file relative to data/raw (a folder's document included)."""
    if src.spec["kind"] == "folder" and isinstance(name, str) and name:
        return f"{src.relpath.rstrip('/')}/{name}"
    return src.relpath


def _dedupe_diaries(entries: pd.DataFrame) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
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


# --------------------------------------------------------------------------- main
def ingest(ws: Workspace, *, manifest: Path | None = None, force: bool = False) -> IngestReport:
    """Read every source of the manifest into ``data/processed/`` (see module docstring).

    Parameters
    ----------
    ws : Workspace
        The workspace.
    manifest : Path, optional
        Another manifest than ``data/raw/manifest.yaml``.
    force : bool
        Ignore the per-file cache.

    Returns
    -------
    IngestReport

    Raises
    ------
    DataError, ConfigError
        With file, location and what to do; ``data/processed/`` is then unchanged.
    """
    from analysis.provenance.hashes import package_source_hash
    from analysis.privacy import PseudonymKey, Redactor
    from analysis.text.pipeline import segments_from_diaries, segments_from_turns, tokens_table

    started = time.perf_counter()
    manifest_path = Path(manifest) if manifest else ws.manifest
    if not manifest_path.is_file():
        raise DataError("no data manifest", file=manifest_path,
                        hint="Run `jakala demo-data` for synthetic data, or write a manifest (docs/bring_your_own_data.md).")  # fmt: skip
    man = load_manifest(manifest_path, ws)
    key = PseudonymKey.load(ws.keys)
    for name in man.known_names:
        key.add_name(name)
    # Every speaker of every workshop gets its pseudonym before any text is redacted, so a
    # voice name from one transcript is redacted in all the others (and in the diaries).
    for src in man.sources:
        if src.kind == "workshop":
            for label, role in src.spec["speakers"].items():
                key.pseudonym("speaker", _speaker_original(src.id, label), role=role, avoid=src.spec["speakers"])
    redactor = Redactor(key)
    # The cache of a source is valid while the names to redact are the same.
    names_state = json.dumps(sorted(key.known_names().items()), ensure_ascii=False).encode()
    lemmatiser = lemmatiser_info()
    backend = lemmatiser["name"]
    package = package_source_hash().encode() + json.dumps(lemmatiser, sort_keys=True).encode()
    config_state = _config_states(ws)
    if _recorded_reads_changed(ws):  # a file the last ingestion read (beyond the declared ones) has changed
        force = True
    recorder = _start_read_recording(ws)

    staging = ws.root / "data" / f".processed-staging-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    (staging / "cache").mkdir(parents=True)
    old_cache = ws.processed / "cache"
    report = IngestReport(processed=ws.processed)
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES}
    source_states: list[dict[str, Any]] = []
    try:
        known_pseudonyms = set(key.pseudonyms())
        for src in man.sources:
            instrument_bytes = b""
            if src.kind == "survey":
                instrument_bytes = ws.resolve_config(src.spec["instrument"]).read_bytes()
            digest = _hash_bytes(_file_bytes(src.path), json.dumps(src.spec, sort_keys=True, default=str).encode(),
                                 instrument_bytes, names_state, package, config_state[src.kind])  # fmt: skip
            cache_name = f"{src.id}-{digest}"
            cached_dir = old_cache / cache_name
            target_dir = staging / "cache" / cache_name
            frames = None
            if not force and (cached_dir / "_done").is_file():
                used = json.loads((cached_dir / "_done").read_text(encoding="utf-8")).get("pseudonyms", [])
                if set(used) <= known_pseudonyms:  # the key still holds every pseudonym it used
                    target_dir.mkdir()
                    for f in cached_dir.iterdir():
                        os.link(f, target_dir / f.name)
                    frames = {f.stem: pd.read_parquet(f) for f in target_dir.glob("*.parquet")}
            cached = frames is not None
            if frames is None:
                if src.kind == "survey":
                    frames = _ingest_survey(src, ws, key, redactor.redact_text)
                    used = frames["respondents"]["respondent"]
                elif src.kind == "workshop":
                    frames = _ingest_workshop(src, ws, key, redactor.redact_text)
                    segs = segments_from_turns(frames["transcript_turns"], unit="turn")
                    frames["workshop_segments"] = segs
                    frames["workshop_tokens"] = tokens_table(segs[["segment_id", "text"]])
                    used = frames["transcript_turns"]["speaker"]
                else:
                    frames = _ingest_diary(src, ws, key, redactor.redact_text)
                    used = frames["diary_entries"]["writer"]
                target_dir.mkdir()
                for name, frame in frames.items():
                    frame.to_parquet(target_dir / f"{name}.parquet", index=False)
                marker = {"source": src.id, "pseudonyms": sorted(set(map(str, used)))}
                (target_dir / "_done").write_text(json.dumps(marker), encoding="utf-8")
                # use the frames as the cache gives them back, so a fresh and a cached ingestion write
                # byte-identical tables (otherwise dtypes differ once and every reader re-runs)
                frames = {f.stem: pd.read_parquet(f) for f in target_dir.glob("*.parquet")}
            rows = 0
            for name, frame in frames.items():
                if name.startswith("_"):
                    continue
                parts[name].append(frame)
            main = {"survey": "survey_responses", "workshop": "transcript_turns", "diary": "diary_entries"}[src.kind]
            rows = len(frames.get("respondents", frames[main])) if src.kind == "survey" else len(frames[main])
            notes = list(frames["_notes"]["note"]) if "_notes" in frames else []
            entry = {"id": src.id, "kind": src.kind, "file": redactor.redact_text(src.relpath), "rows": int(rows),
                     "quarantined": int(len(frames.get("quarantine", []))), "cached": cached, "notes": notes}
            if src.kind == "survey":
                entry["instrument"] = str(src.spec["instrument"])
            report.sources.append(entry)
            source_states.append({"id": src.id, "file": src.relpath, "cached": cached, **_file_state_of(src, ws)})

        tables: dict[str, pd.DataFrame] = {}
        for name in TABLES:
            frames = [f for f in parts[name] if f is not None and len(f.columns)]
            tables[name] = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

        # diaries: duplicates across sources, then segments and tokens for all entries at once
        diaries = tables["diary_entries"]
        if not diaries.empty:
            diaries = diaries.sort_values(["date", "source_id", "source_row"], kind="stable").reset_index(drop=True)
            diaries, dup_rows = _dedupe_diaries(diaries)
            if dup_rows:
                tables["quarantine"] = pd.concat([tables["quarantine"], _quarantine_frame(dup_rows)], ignore_index=True)
            diaries = diaries.drop(columns=["_location"]).reset_index(drop=True)
            diaries.insert(0, "entry_id", [f"D{i:04d}" for i in range(1, len(diaries) + 1)])
            tables["diary_entries"] = diaries
            segs = segments_from_diaries(diaries)
            tables["diary_segments"] = segs
            tables["diary_tokens"] = _cached_tokens(segs, staging / "cache", old_cache, force,
                                                    salt=package + config_state["diary"])  # fmt: skip
        if tables["quarantine"].empty:
            tables["quarantine"] = _quarantine_frame([])

        for name, frame in tables.items():
            frame.to_parquet(staging / f"{name}.parquet", index=False)
            report.tables[name] = int(len(frame))
        report.seconds = time.perf_counter() - started
        report.lemmatiser = f"{backend} {lemmatiser.get('version') or ''}".strip()
        report.warnings = quarantine_warnings(report.sources, _quarantine_share_limit(ws))
        # what the notebooks read: determined by the data and config alone (no times, no cache flags)
        summary = [{k: v for k, v in source.items() if k != "cached"} for source in report.sources]
        (staging / "ingest_report.json").write_text(
            json.dumps({"sources": summary, "tables": report.tables, "lemmatiser": lemmatiser,
                        "warnings": report.warnings, "data": man.data}, indent=2, ensure_ascii=False),
            encoding="utf-8",
        )
        # what `jakala run` checks before any kernel starts (check_ingested); no notebook reads it
        (staging / STATE_FILE).write_text(
            json.dumps({"manifest": _manifest_state(manifest_path, ws), "sources": source_states,
                        "config": _config_hashes(ws, man), "reads": _finish_read_recording(recorder, ws, man)},
                       indent=2, ensure_ascii=False),
            encoding="utf-8",
        )
        _write_survey_list(staging / SURVEYS_FILE, man, ws)
        key.save()
        _swap_in(staging, ws.processed)
    finally:
        _stop_read_recording(recorder)
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return report


def _cached_tokens(segments: pd.DataFrame, new_cache: Path, old_cache: Path, force: bool,
                   salt: bytes = b"") -> pd.DataFrame:  # fmt: skip
    """Tokens of the diary segments, cached by the hash of the segments' texts, the text config and lemmatiser."""
    from analysis.text.pipeline import tokens_table

    if segments.empty:
        return tokens_table(segments[["segment_id", "text"]]) if "segment_id" in segments else pd.DataFrame()
    digest = hashlib.sha256(salt + "\0".join(segments["segment_id"] + "\1" + segments["text"]).encode()).hexdigest()[:20]
    name = f"diary_tokens-{digest}.parquet"
    if (old_cache / name).is_file() and not force:
        os.link(old_cache / name, new_cache / name)
        return pd.read_parquet(new_cache / name)
    tokens = tokens_table(segments[["segment_id", "text"]])
    tokens.to_parquet(new_cache / name, index=False)
    return pd.read_parquet(new_cache / name)  # as a cached ingestion reads it (byte-identical output)


def _swap_in(staging: Path, processed: Path) -> None:
    """Replace ``processed`` by ``staging`` with renames (keeps ``.gitkeep``)."""
    keep = processed / ".gitkeep"
    if keep.exists():
        shutil.copy2(keep, staging / ".gitkeep")
    old = processed.with_name(f".processed-old-{os.getpid()}")
    if processed.exists():
        os.replace(processed, old)
    os.replace(staging, processed)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


# --------------------------------------------------------------------------- cache key, reads, checks
def lemmatiser_info() -> dict[str, str]:
    """The lemmatiser backend the text pipeline uses here, with its version.

    :func:`analysis.text.lemmatise.backend_info` without ``set_in`` (where the backend was
    set): the name and the versions of the analyser, dictionary, simplemma and prior.
    """
    from analysis.text import lemmatise

    # what gives the lemmas, not where it was set: ``set_in`` names a path (the config
    # folder may move; the config file's content is in the key through config/text/*)
    info = dict(lemmatise.backend_info())
    return {str(k): str(v) for k, v in info.items() if k != "set_in"}


def _text_config_files() -> list[Path]:
    from analysis.text._resources import text_config_dir

    folder = text_config_dir()
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


def _config_states(ws: Workspace) -> dict[str, bytes]:
    """The configuration each kind of source depends on, as bytes for the cache key.

    Workshops and diaries: every file of ``config/text/`` (normalisation, lexicon,
    compounds, stopwords: the tokens are lemmatised at ingestion); diaries also
    ``config/diary_form.yaml`` (fields, roles, work packages). A survey's instrument is
    hashed with the survey itself.
    """
    digest = hashlib.sha256()
    for f in _text_config_files():
        digest.update(f.name.encode() + b"\0" + f.read_bytes() + b"\1")
    text = digest.digest()
    form = ws.config_path("diary_form.yaml")
    form_bytes = form.read_bytes() if form.is_file() else b""
    return {"survey": b"", "workshop": text, "diary": text + hashlib.sha256(form_bytes).digest()}


def _declared_ingest_files(ws: Workspace, man: Manifest) -> set[Path]:
    files = {p.resolve() for p in _text_config_files()}
    files.add(ws.config_path("diary_form.yaml").resolve())
    files.add(ws.config_path("ingest.yaml").resolve())
    files.add(man.file.resolve())
    for src in man.sources:
        if src.kind == "survey":
            files.add(ws.resolve_config(src.spec["instrument"]).resolve())
    return files


def _start_read_recording(ws: Workspace) -> Path:
    """Record every workspace file this ingestion opens (see :mod:`analysis.provenance.reads`)."""
    import tempfile

    from analysis.provenance import reads

    handle, name = tempfile.mkstemp(prefix="jakala-ingest-reads-", suffix=".txt")
    os.close(handle)
    roots = {str(ws.root), str(ws.project)}
    roots.update(str(p.parent) for p in _text_config_files()[:1])
    reads.install(name, sorted(roots))
    return Path(name)


def _stop_read_recording(record: Path) -> None:
    from analysis.provenance import reads

    reads.stop()
    record.unlink(missing_ok=True)


def _finish_read_recording(record: Path, ws: Workspace, man: Manifest) -> dict[str, str]:
    """Files the ingestion read beyond its sources, keys, cache and declared config: label → SHA-256.

    They go into ``ingest_state.json`` (``reads``); when one of them changes, the next
    ingestion ignores the cache (:func:`_recorded_reads_changed`). So a configuration
    file some reader starts to use is part of the cache key without anyone listing it.
    """
    from analysis.provenance import reads
    from analysis.provenance.hashes import sha256_file

    declared = _declared_ingest_files(ws, man)
    skip = [ws.root / "data", ws.project / "analysis", ws.project / "notebooks", ws.reports]
    out = {}
    for path in reads.read_record(record):
        resolved = path.resolve()
        if resolved in declared or not resolved.is_file():
            continue
        if any(resolved.is_relative_to(p.resolve()) for p in skip):
            continue
        label = reads.label_of(resolved, ws.root, ws.project)
        if label is None or set(label.split("/")) & reads.IGNORED_PARTS:
            continue
        out[label] = sha256_file(resolved)
    return dict(sorted(out.items()))


def _recorded_reads_changed(ws: Workspace) -> bool:
    """Whether a file the last ingestion read (``reads`` in ``ingest_state.json``) has changed or gone."""
    from analysis.provenance.hashes import sha256_file

    report = ws.processed / STATE_FILE
    try:
        recorded = json.loads(report.read_text(encoding="utf-8")).get("reads") or {}
    except (OSError, json.JSONDecodeError):
        return False
    for label, digest in recorded.items():
        path = next((b / label for b in (ws.root, ws.project) if (b / label).is_file()), None)
        if path is None or sha256_file(path) != digest:
            return True
    return False


def _file_state(path: Path) -> dict[str, int]:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        stats = [f.stat() for f in files]
        return {"size": sum(s.st_size for s in stats), "mtime_ns": max((s.st_mtime_ns for s in stats), default=0),
                "n_files": len(files)}  # fmt: skip
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _file_state_of(src: Source, ws: Workspace) -> dict[str, Any]:
    """What the pre-run check compares for a source: the raw file's path (below the root), size and time."""
    return {"path": _root_label(src.path, ws), **_file_state(src.path)}


def _root_label(path: Path, ws: Workspace) -> str:
    """A path relative to the workspace root (so a copied workspace checks its own files), else absolute."""
    try:
        return Path(path).resolve().relative_to(ws.root.resolve()).as_posix()
    except ValueError:
        return str(Path(path).resolve())


#: The runner's record of an ingestion (``data/processed/ingest_state.json``): manifest and
#: config hashes, raw file states, recorded reads. Not for notebooks.
STATE_FILE = "ingest_state.json"


#: The survey sources with their instruments, for the notebooks (``data/processed/surveys.json``).
SURVEYS_FILE = "surveys.json"


def _write_survey_list(path: Path, man: Manifest, ws: Workspace) -> None:
    """Write which instrument each survey source has (the notebooks take theirs from here).

    A file of its own, so that it changes only when the surveys or their instruments do
    (``ingest_report.json`` changes with every ingestion, and reading it would re-run the
    survey notebooks after any change to, say, a stopword list).
    """
    from analysis.survey.instrument import load_instrument

    rows = []
    for src in man.sources:
        if src.kind != "survey":
            continue
        inst = load_instrument(ws.resolve_config(src.spec["instrument"]))
        rows.append({"id": src.id, "file": src.relpath, "instrument": str(src.spec["instrument"]),
                     "instrument_id": inst.id, "wave": src.spec["wave"], "scales": bool(inst.scales)})  # fmt: skip
    path.write_text(json.dumps(rows, indent=2, ensure_ascii=False), encoding="utf-8")


def _config_hashes(ws: Workspace, man: Manifest) -> dict[str, str]:
    """SHA-256 of every configuration file the ingestion depends on (checked before a batch runs)."""
    from analysis.provenance import reads
    from analysis.provenance.hashes import sha256_file

    out = {}
    for path in sorted(_declared_ingest_files(ws, man) - {man.file.resolve()}):
        if path.is_file():
            out[reads.label_of(path, ws.root, ws.project) or str(path)] = sha256_file(path)
    return out


def _manifest_state(path: Path, ws: Workspace) -> dict[str, str]:
    from analysis.provenance.hashes import sha256_file

    return {"path": _root_label(path, ws), "sha256": sha256_file(path)}


def _quarantine_share_limit(ws: Workspace) -> float:
    """``quarantine_warning_share`` from ``config/ingest.yaml`` (default 0.2)."""
    path = ws.config_path("ingest.yaml")
    doc = (load_config(path, "ingest") if path.is_file() else None) or {}
    return float(doc.get("quarantine_warning_share", 0.2))


def quarantine_warnings(sources: list[dict[str, Any]], limit: float) -> list[str]:
    """A warning for each source whose quarantined share of rows is above ``limit``.

    The share is quarantined / (kept + quarantined) rows of the source.

    Examples
    --------
    >>> quarantine_warnings([{"id": "baseline", "file": "a.xlsx", "rows": 49, "quarantined": 51}], 0.2)[0][:52]
    'source baseline (a.xlsx): 51 of 100 rows (51%) were '
    """
    out = []
    for s in sources:
        q, kept = int(s.get("quarantined") or 0), int(s.get("rows") or 0)
        total = q + kept
        if total and q / total > limit:
            share = q / total
            s["quarantine_share"] = round(share, 4)
            out.append(f"source {s['id']} ({s['file']}): {q} of {total} rows ({share:.0%}) were quarantined, more "
                       f"than {limit:.0%}: the analyses use only the rest. See the reasons in the quarantine table "
                       "(notebooks/00_data_quality.ipynb); the limit is quarantine_warning_share in "
                       "config/ingest.yaml")  # fmt: skip
    return out


def check_ingested(ws: Workspace) -> str | None:
    """Whether ``data/processed/`` holds an ingestion of the current raw data; ``None`` when it does.

    Checked by ``jakala run`` before any kernel starts: the ingestion report exists,
    the data manifest is the one ingested (SHA-256), and every raw source file has the
    size and modification time it had then.

    Returns
    -------
    str or None
        What is wrong and what to do.
    """
    report_file = ws.processed / STATE_FILE
    if not report_file.is_file():
        if not ws.manifest.is_file():
            return ("there is no data yet: run `jakala demo-data` for synthetic data (or put your files and "
                    "data/raw/manifest.yaml in place), then run `jakala ingest` first")  # fmt: skip
        return f"{ws.processed} holds no ingested data: run `jakala ingest` first"
    try:
        report = json.loads(report_file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return f"{report_file} cannot be read: run `jakala ingest` again"
    state = report.get("manifest") or {}
    if not state.get("sha256"):
        return "the processed data were written by an older version of the workspace: run `jakala ingest`"
    from analysis.provenance.hashes import sha256_file

    manifest = ws.root / state["path"] if state.get("path") else ws.manifest
    if not manifest.is_file():
        return f"the data manifest {manifest} that was ingested is gone: restore it and run `jakala ingest`"
    if sha256_file(manifest) != state["sha256"]:
        return (f"{manifest} changed after the last ingestion, so data/processed/ does not match it: "
                "run `jakala ingest`")  # fmt: skip
    for src in report.get("sources", []):
        if not src.get("path"):
            continue
        path = ws.root / src["path"]
        if not path.exists():
            return f"the raw file {src['file']} of source '{src['id']}' is gone: restore it or edit the manifest, then run `jakala ingest`"
        now = _file_state(path)
        if any(now.get(k) != src.get(k) for k in ("size", "mtime_ns")):
            return f"the raw file {src['file']} of source '{src['id']}' changed after the last ingestion: run `jakala ingest`"
    for label, digest in (report.get("config") or {}).items():
        path = next((b / label for b in (ws.root, ws.project) if (b / label).is_file()), Path(label))
        if not path.is_file():
            return f"{label}, which the last ingestion used, is gone: restore it, or edit the manifest, and run `jakala ingest`"
        if sha256_file(path) != digest:
            return (f"{label} changed after the last ingestion, so data/processed/ does not match it: "
                    "run `jakala ingest`")  # fmt: skip
    missing = [t for t in TABLES if not (ws.processed / f"{t}.parquet").is_file()]
    if missing:
        return f"data/processed/ lacks {', '.join(missing)}: run `jakala ingest`"
    return None


def survey_instruments(ws: Workspace) -> list[dict[str, Any]]:
    """The surveys of the last ingestion with their instruments (``data/processed/surveys.json``).

    Each item: ``id``, ``file``, ``instrument`` (path as in the manifest),
    ``instrument_id``, ``wave``, ``scales`` (whether the instrument has scales).
    """
    path = ws.processed / SURVEYS_FILE
    if not path.is_file():
        raise DataError("no list of ingested surveys", file=path, hint="Run `jakala ingest` first.")
    return list(json.loads(path.read_text(encoding="utf-8")))

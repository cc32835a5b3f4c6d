"""Synthetic project diaries (hankepäiväkirja): a form export (.xlsx) and a folder of documents.

Entries are written Finnish professional notes composed from ``data/diary_bank.yaml``.
Housing worries in TP2C entries are planted with a probability that depends on the
year (:data:`HOUSING_WORRY_PROBABILITY`): rare in 2024, common in 2025.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

import docx

from analysis.synthetic.identifiers import NamePool, PlantLog, make_address, make_email, make_hetu, make_phone
from analysis.synthetic.text_bank import fill, load_bank, placeholders, stream
from analysis.synthetic.writers import save_docx, write_text, write_xlsx

WORK_PACKAGE_WEIGHTS = {"TP1": 0.14, "TP2A": 0.15, "TP2B": 0.12, "TP2C": 0.30, "TP3": 0.17, "TP4": 0.12}
WRITERS = {
    "TP1": [("JR", "Sosiaalityöntekijä"), ("PH", "Projektipäällikkö")],
    "TP2A": [("MK", "Sosiaaliohjaaja"), ("EV", "Kokemusasiantuntija")],
    "TP2B": [("SL", "Sosiaaliohjaaja"), ("TK", "Projektisuunnittelija")],
    "TP2C": [("AK", "Asumisohjaaja"), ("ML", "Sosiaaliohjaaja")],
    "TP3": [("PH", "Projektipäällikkö"), ("RN", "Sosiaalityöntekijä")],
    "TP4": [("TK", "Projektisuunnittelija"), ("PH", "Projektipäällikkö")],
}
#: Probability that a TP2C entry voices housing worries, by year.
HOUSING_WORRY_PROBABILITY = {2024: 0.15, 2025: 0.75, 2026: 0.45, 2027: 0.45}
FORM_HEADER = ["Päivämäärä", "Kirjoittajan tunnus", "Ammattinimike", "Työpaketti",
               "Mitä tapahtui?", "Mikä toimi hyvin?", "Mikä ei toiminut?", "Mitä seuraavaksi?"]
FIELDS = ("happened", "worked", "did_not_work", "next_steps")
START, END = dt.date(2024, 3, 1), dt.date(2027, 2, 26)
#: Documents of scale 1 in diaries/entries/: (date, work package, extension).
FOLDER_PLAN = ((dt.date(2024, 11, 5), "TP2A", "txt"), (dt.date(2025, 4, 10), "TP2C", "md"),
               (dt.date(2025, 9, 22), "TP2C", "docx"), (dt.date(2026, 2, 3), "TP3", "md"))


@dataclass
class DiaryEntry:
    """One diary entry; ``date_cell`` is the date as it appears in the form export."""

    date: dt.date
    date_cell: object
    writer: str
    role: str
    work_package: str
    happened: str
    worked: str
    did_not_work: str
    next_steps: str
    housing_worry: bool


def _sentences(rng: random.Random, options: list[str], slots: dict, k: int) -> str:
    picked = rng.sample(options, min(k, len(options)))
    return " ".join(fill(s, rng, slots) for s in picked)


def _entry(rng: random.Random, bank: dict, date: dt.date, wp: str) -> DiaryEntry:
    slots = bank["slots"]
    block = bank["work_packages"][wp]
    writer, role = rng.choice(WRITERS[wp])
    worry = wp == "TP2C" and rng.random() < HOUSING_WORRY_PROBABILITY.get(date.year, 0.3)
    two = lambda: rng.choice([1, 1, 1, 2])  # noqa: E731
    if wp == "TP2C":
        happened = _sentences(rng, block["general"], slots, two())
        worked = _sentences(rng, block["worked"], slots, 1)
        did_not = _sentences(rng, block["did_not_work"], slots, 1)
        if worry:
            worries = rng.sample(block["housing_worries"], 2)
            happened = f"{happened} {fill(worries[0], rng, slots)}"
            did_not = fill(worries[1], rng, slots)
    else:
        happened = _sentences(rng, block["happened"], slots, two())
        worked = _sentences(rng, block["worked"], slots, two())
        did_not = _sentences(rng, block["did_not_work"], slots, 1)
    nxt = _sentences(rng, block["next_steps"], slots, two())
    if rng.random() < 0.1:
        did_not = ""
    if rng.random() < 0.05:
        nxt = ""
    u = rng.random()
    cell: object = date if u < 0.7 else (f"{date.day}.{date.month}.{date.year}" if u < 0.95 else date.isoformat())
    return DiaryEntry(date, cell, writer, role, wp, happened, worked, did_not, nxt, worry)


def _plant(rng: random.Random, bank: dict, entries: list[DiaryEntry], kinds: list[str], pool: NamePool,
           log: PlantLog, source_id: str, file: str) -> None:
    for kind in kinds:
        entry = rng.choice(entries)
        person = pool.draw(rng, 1)[0]
        values = {**person.slots(), "phone": make_phone(rng), "email": make_email(person.first, person.last, rng),
                  "address": make_address(rng, pool.streets), "hetu": make_hetu(rng, dt.date(1999, 1, 1), dt.date(2006, 12, 31))}
        template = rng.choice(bank["pii"][kind])
        sentence = fill(template, rng, bank["slots"], values)
        fieldname = "happened" if rng.random() < 0.6 else "next_steps"
        setattr(entry, fieldname, f"{getattr(entry, fieldname)} {sentence}".strip())
        used = placeholders(template)
        where = file
        for ident in ("phone", "email", "address", "hetu"):
            if ident in used:
                log.add(ident, values[ident], source_id, where)
        if any(u.startswith(("first_", "last_")) for u in used) or "email" in used:
            log.add_name(person, used, source_id, where)


def form_entries(seed: int, scale: int, log: PlantLog, file: str, source_id: str) -> list[DiaryEntry]:
    """The form export's entries (120 × ``scale``), in date order, with planted identifiers."""
    rng = stream(seed, "diary-form")
    bank = load_bank("diary_bank")
    span = (END - START).days
    n = 120 * scale
    dates = sorted(START + dt.timedelta(days=rng.randrange(span + 1)) for _ in range(n))
    wps, weights = list(WORK_PACKAGE_WEIGHTS), list(WORK_PACKAGE_WEIGHTS.values())
    entries = [_entry(rng, bank, d, rng.choices(wps, weights)[0]) for d in dates]
    kinds = ["hetu", "hetu", "phone", "phone", "email", "address", "address", "name", "name", "name"] * scale
    _plant(rng, bank, entries, kinds, NamePool(), log, source_id, file)
    return entries


def write_form(entries: list[DiaryEntry], path: Path) -> Path:
    """Write the entries as a Microsoft Forms–style export (header in row 1)."""
    rows: list[list[object]] = [FORM_HEADER]
    rows += [[e.date_cell, e.writer, e.role, e.work_package, e.happened, e.worked, e.did_not_work or None,
              e.next_steps or None] for e in entries]
    when = dt.datetime(2027, 3, 1, 9, 0)
    return write_xlsx(path, rows, when=when, sheet="Vastaukset", bold_rows=(0,), number_formats={0: "d.m.yyyy"},
                      title="Hankepäiväkirja")


def _folder_file(entry: DiaryEntry, ext: str, suffix: str = "") -> str:
    return f"diaries/entries/{entry.date.isoformat()}_{entry.work_package.lower()}{suffix}.{ext}"


def folder_entries(seed: int, scale: int, log: PlantLog, source_id: str) -> list[tuple[str, DiaryEntry]]:
    """One-document-per-entry diaries: 4 × ``scale`` files named ``YYYY-MM-DD_tpX.ext``."""
    rng = stream(seed, "diary-folder")
    bank = load_bank("diary_bank")
    out: list[tuple[str, DiaryEntry]] = []
    seen: set[str] = set()
    for replica in range(scale):
        for date, wp, ext in FOLDER_PLAN:
            date = date + dt.timedelta(days=7 * replica)
            entry = _entry(rng, bank, date, wp)
            name, k = _folder_file(entry, ext), 1
            while name in seen:
                k += 1
                name = _folder_file(entry, ext, f"-{k}")
            seen.add(name)
            out.append((name, entry))
    for replica in range(scale):
        chunk = out[replica * len(FOLDER_PLAN):(replica + 1) * len(FOLDER_PLAN)]
        name, entry = chunk[1]
        _plant(rng, bank, [entry], ["hetu", "name"], NamePool(), log, source_id, name)
    return out


def write_folder_entry(name: str, entry: DiaryEntry, out_dir: Path) -> Path:
    """Write one diary document (.md, .txt or .docx)."""
    path = out_dir / name
    date = f"{entry.date.day}.{entry.date.month}.{entry.date.year}"
    bank = load_bank("diary_bank")
    titles = bank["fields"]
    texts = {f: getattr(entry, f) for f in FIELDS}
    ext = path.suffix
    if ext == ".md":
        lines = [f"# Hankepäiväkirja {date}", "", f"Kirjoittaja: {entry.writer} ({entry.role.lower()})",
                 f"Työpaketti: {entry.work_package}", ""]
        for f in FIELDS:
            lines += [f"## {titles[f]}", "", texts[f] or "-", ""]
        return write_text(path, lines[:-1])
    if ext == ".txt":
        lines = [f"HANKEPÄIVÄKIRJA {date}", f"Kirjoittaja: {entry.writer}, {entry.role.lower()}",
                 f"Työpaketti: {entry.work_package}", ""]
        for f in FIELDS:
            lines += [titles[f], texts[f] or "-", ""]
        return write_text(path, lines[:-1])
    document = docx.Document()
    document.add_heading(f"Hankepäiväkirja {date}", level=1)
    document.add_paragraph(f"Kirjoittaja: {entry.writer} ({entry.role.lower()})")
    for f in FIELDS:
        document.add_heading(titles[f], level=2)
        document.add_paragraph(texts[f] or "-")
    when = dt.datetime.combine(entry.date, dt.time(16, 0))
    return save_docx(document, path, when=when, author=entry.writer, title=f"Hankepäiväkirja {date}")

"""Synthetic workshop transcripts in spoken Finnish (.txt, .docx, Teams .vtt).

Each turn is composed from theme-specific sentence banks (``data/workshop_bank.yaml``)
with fillers, transcription marks and recombination, and remembers the themes its
sentences came from: that is the ground truth of the simulated manual codings.
Young people's share of the turns grows with the workshop's date (see
:func:`youth_turn_share`).
"""

from __future__ import annotations

import datetime as dt
import random
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import docx
from docx.shared import Pt

from analysis.synthetic.identifiers import NamePool, Person, PlantLog, make_address, make_email, make_hetu, make_phone
from analysis.synthetic.text_bank import fill, load_bank, lower_first, placeholders, stream
from analysis.synthetic.writers import save_docx, write_text

FACILITATOR, YOUNG, EXPERT = "facilitator", "young_person", "expert_by_experience"
YOUTH_VOICES = {YOUNG, EXPERT}


@dataclass(frozen=True)
class WorkshopPlan:
    """One kind of workshop: metadata, file format, speakers and themes."""

    work_package: str
    method: str
    place: str
    date: dt.date
    fmt: str  # txt | txt_cp1252 | txt_continued | docx_table | docx_header | vtt
    speakers: tuple[tuple[str, str], ...]  # (label, role); for vtt the label is replaced by a voice name
    primary: tuple[str, ...]
    secondary: tuple[str, ...]
    plants: tuple[str, ...]
    timestamps: bool = False


#: The seven workshops of scale 1 (TP1, TP3 and the pilots 2A, 2B, 2C over 2024-05 … 2026-11).
BASE_PLANS: tuple[WorkshopPlan, ...] = (
    WorkshopPlan("TP1", "Tulevaisuuden muistelu", "Kemi", dt.date(2024, 5, 14), "txt",
                 (("Fasilitaattori", FACILITATOR), ("ST1", "social_worker"), ("ST2", "social_worker"),
                  ("SO1", "social_counsellor"), ("SO2", "social_counsellor"), ("Nuori 1", YOUNG)),
                 ("roles",), ("collaboration", "competence", "service_paths"), ("address_first", "address_last", "phone"), True),
    WorkshopPlan("TP3", "Palvelupolkutyöpaja", "Tornio", dt.date(2024, 9, 17), "docx_table",
                 (("H", FACILITATOR), ("ST1", "social_worker"), ("SO1", "social_counsellor"), ("SO2", "social_counsellor"),
                  ("Kumppani 1", "partner"), ("Nuori 1", YOUNG), ("Nuori 2", YOUNG)),
                 ("service_paths", "collaboration"), ("mental_health", "housing", "distances_digital"),
                 ("address_first", "third_party", "email")),
    WorkshopPlan("TP2A", "Vertaisryhmän suunnittelu", "Teams", dt.date(2025, 1, 22), "vtt",
                 ((None, FACILITATOR), (None, YOUNG), (None, YOUNG), (None, "social_counsellor"),
                  (None, EXPERT), (None, "social_worker")),
                 ("peer_support",), ("distances_digital", "participation", "mental_health"),
                 ("address_first", "address_first", "address_last", "phone"), True),
    WorkshopPlan("TP2C", "Palvelupolkutyöpaja", "Keminmaa", dt.date(2025, 3, 12), "txt_cp1252",
                 (("H", FACILITATOR), ("ST1", "social_worker"), ("SO1", "social_counsellor"), ("SO2", "social_counsellor"),
                  ("Nuori 1", YOUNG), ("Nuori 2", YOUNG)),
                 ("housing",), ("money", "service_paths", "mental_health"),
                 ("address_first", "third_party", "address", "phone", "hetu"), True),
    WorkshopPlan("TP2B", "Kehittäjäasiakastyöpaja", "Tornio", dt.date(2025, 9, 9), "txt_continued",
                 (("Fasilitaattori", FACILITATOR), ("KA", EXPERT), ("Nuori 1", YOUNG), ("Nuori 2", YOUNG),
                  ("Nuori 3", YOUNG), ("SO1", "social_counsellor"), ("Tutkija", "researcher")),
                 ("participation",), ("roles", "peer_support", "money"), ("address_first", "address_last", "email")),
    WorkshopPlan("TP3", "Learning cafe", "Ylitornio", dt.date(2026, 3, 18), "docx_header",
                 (("Fasilitaattori", FACILITATOR), ("ST1", "social_worker"), ("ST2", "social_worker"), ("SO1", "social_counsellor"),
                  ("Kumppani 2", "partner"), ("Nuori 1", YOUNG), ("KA", EXPERT)),
                 ("collaboration", "service_paths"), ("competence", "distances_digital", "mental_health"),
                 ("address_first", "third_party", "phone")),
    WorkshopPlan("TP1", "Tulevaisuuden muistelu", "Kemi", dt.date(2026, 11, 4), "txt",
                 (("Fasilitaattori", FACILITATOR), ("ST1", "social_worker"), ("SO1", "social_counsellor"), ("SO2", "social_counsellor"),
                  ("SO3", "social_counsellor"), ("Nuori 1", YOUNG), ("Nuori 2", YOUNG), ("Nuori 3", YOUNG)),
                 ("roles",), ("money", "competence", "participation"), ("address_first", "address_last", "third_party"), True),
)

_SENTENCE_END = re.compile(r"(?<=[.?!]) (?=[A-ZÄÖ])")
EXTENSIONS = {"txt": "txt", "txt_cp1252": "txt", "txt_continued": "txt", "docx_table": "docx", "docx_header": "docx", "vtt": "vtt"}
#: Young people's share of turns in the earliest and the latest workshop.
YOUTH_SHARE_RANGE = (0.11, 0.35)


def youth_turn_share(rank: int, n: int) -> float:
    """Planned share of young people's turns for the ``rank``-th workshop by date (0-based)."""
    low, high = YOUTH_SHARE_RANGE
    return low if n <= 1 else low + (high - low) * rank / (n - 1)


@dataclass
class Turn:
    """One speaker turn as written in the file (numbered 1.. in file order)."""

    number: int
    label: str
    role: str
    text: str
    themes: tuple[str, ...]
    start: float
    end: float


@dataclass
class Workshop:
    """A generated workshop: metadata, speakers and turns."""

    workshop_id: str
    plan: WorkshopPlan
    date: dt.date
    file: str
    speakers: dict[str, str]
    turns: list[Turn] = field(default_factory=list)


def workshop_schedule(scale: int) -> list[tuple[str, WorkshopPlan, dt.date]]:
    """Ids, plans and dates of all workshops: 7 × ``scale`` between 2024-05 and 2026-11."""
    out = []
    for replica in range(scale):
        for k, plan in enumerate(BASE_PLANS):
            date = plan.date + dt.timedelta(days=(replica * 5) % 25)
            out.append((f"W{replica * len(BASE_PLANS) + k + 1:02d}", plan, date))
    return out


def file_name(workshop_id: str, plan: WorkshopPlan, date: dt.date) -> str:
    kind = "teams" if plan.fmt == "vtt" else "tyopaja"
    return f"workshops/{workshop_id}_{plan.work_package.lower()}_{kind}_{date.isoformat()}.{EXTENSIONS[plan.fmt]}"


# ---------------------------------------------------------------- text composition
def _spoken(sentence: str, rng: random.Random, bank: dict, first: bool) -> str:
    """Vary a bank sentence the way people speak: openers, fillers, pauses, cut-offs."""
    text = sentence
    words = text.split(" ")
    if len(words) > 5 and rng.random() < 0.25:
        pos = rng.randrange(2, min(5, len(words) - 1))
        words.insert(pos, rng.choice(bank["inserts"]))
    if len(words) > 6 and rng.random() < 0.08:
        words.insert(rng.randrange(3, len(words) - 1), "(.)")
    if len(words) > 6 and rng.random() < 0.04:
        pos = rng.randrange(2, len(words) - 2)
        if "{" not in words[pos] and words[pos][:1].islower():
            words[pos] = "[epäselvä]"
    text = " ".join(words)
    if len(words) > 6 and rng.random() < 0.05:
        cut = " ".join(words[: rng.randrange(2, 4)])
        text = f"{cut} -- {lower_first(text)}"
    if first and rng.random() < 0.45:
        text = rng.choice(bank["openers"]) + lower_first(text)
    if rng.random() < 0.14:
        text = text.rstrip() + rng.choice(bank["tags"])
    if rng.random() < 0.04:
        text += " [naurua]"
    if rng.random() < 0.03:
        text += " Niinku [nimi poistettu] sano viimeks."
    return text


def _pick_theme(rng: random.Random, plan: WorkshopPlan, avoid: str | None = None) -> str:
    pool = plan.primary if rng.random() < 0.65 else plan.secondary
    choices = [t for t in pool if t != avoid] or [t for t in plan.primary + plan.secondary if t != avoid]
    return rng.choice(choices)


def _plan_roles(rng: random.Random, n: int, roles: list[str], youth_share: float) -> list[str]:
    middle = n - 2
    counts = {FACILITATOR: max(1, round(0.17 * n) - 2), YOUNG: max(1, round(youth_share * n))}
    if EXPERT in roles:
        counts[EXPERT] = max(1, round(0.07 * n))
    others = [r for r in dict.fromkeys(roles) if r not in counts]
    seq = [r for r, c in counts.items() for _ in range(c)]
    rest = middle - len(seq)
    seq += [others[i % len(others)] for i in range(max(rest, 0))]
    seq = seq[:middle]
    rng.shuffle(seq)
    return [FACILITATOR, *seq, FACILITATOR]


def _assign_speakers(rng: random.Random, roles_seq: list[str], by_role: dict[str, list[str]]) -> list[str]:
    labels: list[str] = []
    seq = list(roles_seq)
    for i in range(len(seq)):
        previous = labels[-1] if labels else None
        options = [lab for lab in by_role[seq[i]] if lab != previous]
        if not options:
            for j in range(i + 1, len(seq) - 1):
                if seq[j] != seq[i] and [lab for lab in by_role[seq[j]] if lab != previous]:
                    seq[i], seq[j] = seq[j], seq[i]
                    break
            options = [lab for lab in by_role[seq[i]] if lab != previous] or by_role[seq[i]]
        labels.append(rng.choice(options))
    return labels


def build_workshop(seed: int, workshop_id: str, plan: WorkshopPlan, date: dt.date, youth_share: float,
                   log: PlantLog, replica: int = 0) -> Workshop:
    """Compose one workshop transcript in memory.

    Parameters
    ----------
    seed : int
        Generator seed.
    workshop_id : str
        ``W01`` …
    plan : WorkshopPlan
        Kind of workshop.
    date : date
        Workshop date.
    youth_share : float
        Planned share of young people's turns.
    log : PlantLog
        Receives the planted identifiers.
    replica : int
        0 for the first copy of the plan (uses the documented example names).

    Returns
    -------
    Workshop
    """
    rng = stream(seed, "workshop", workshop_id)
    bank = load_bank("workshop_bank")
    pool = NamePool()
    file = file_name(workshop_id, plan, date)
    people = pool.draw(rng, len(plan.speakers) + 2)
    if plan.fmt == "vtt" and replica == 0:
        fixed = [pool.person("Aino", "Korhonen"), pool.person("Jere", "Mäkelä")]
        rest = [p for p in people if p.first not in {"Aino", "Jere"} and p.last not in {"Korhonen", "Mäkelä"}]
        people = fixed + rest
    persons: dict[str, Person] = {}
    speakers: dict[str, str] = {}
    for (label, role), person in zip(plan.speakers, people):
        label = person.full if plan.fmt == "vtt" else label
        persons[label] = person
        speakers[label] = role
    third_parties = people[len(plan.speakers):]
    by_role: dict[str, list[str]] = defaultdict(list)
    for label, role in speakers.items():
        by_role[role].append(label)

    n = rng.randint(45, 115)
    labels = _assign_speakers(rng, _plan_roles(rng, n, list(speakers.values()), youth_share), by_role)
    theme = rng.choice(plan.primary)
    usage: dict[str, int] = defaultdict(int)
    clock = float(rng.randint(3, 40))
    turns: list[Turn] = []
    for i, label in enumerate(labels):
        role = speakers[label]
        themes: list[str] = []
        if i == 0:
            text = rng.choice(bank["facilitator_open"])
        elif i == len(labels) - 1:
            text = rng.choice(bank["facilitator_close"])
        elif role == FACILITATOR:
            u = rng.random()
            if u < 0.65:
                theme = _pick_theme(rng, plan, avoid=theme if rng.random() < 0.5 else None)
                question = rng.choice(bank["themes"][theme]["ask"])
                text = (rng.choice(["Kiitos. ", "Joo. ", "Hyvä. ", ""]) + question) if rng.random() < 0.4 else question
            elif u < 0.9:
                text = rng.choice(bank["facilitator_moves"])
            else:
                text = rng.choice(bank["backchannel"])
        elif rng.random() < 0.09:
            text = rng.choice(bank["backchannel"])
        else:
            if rng.random() < 0.12:
                theme = _pick_theme(rng, plan, avoid=theme)
            voice = "youth" if role in YOUTH_VOICES else "pro"
            k = rng.choice([1, 1, 2, 2, 3] if voice == "youth" else [1, 1, 2, 2, 2, 3])
            sentences, used = [], set()
            for j in range(k):
                t = theme if j == 0 or rng.random() < 0.85 else _pick_theme(rng, plan, avoid=theme)
                options = [s for s in bank["themes"][t].get(voice) or bank["themes"][t]["pro"] if s not in used]
                if not options:
                    continue
                fewest = min(usage[s] for s in options)  # spread the bank: least-used sentences first
                template = rng.choice([s for s in options if usage[s] == fewest])
                usage[template] += 1
                used.add(template)
                sentences.append(_spoken(fill(template, rng, bank["slots"]), rng, bank, first=j == 0))
                if t not in themes:
                    themes.append(t)
            text = " ".join(sentences)
        words = len(text.split())
        duration = 0.42 * words + rng.uniform(0.6, 2.5)
        if turns and turns[-1].label == label:
            # the same speaker again: one turn (readers merge consecutive cues/lines of a speaker)
            last = turns[-1]
            last.text = f"{last.text} {text}"
            last.themes = tuple(dict.fromkeys(last.themes + tuple(themes)))
            last.end = last.end + duration
        else:
            turns.append(Turn(len(turns) + 1, label, role, text, tuple(themes), clock, clock + duration))
        clock += duration + rng.uniform(0.2, 2.0)

    _plant(rng, plan, turns, persons, third_parties, bank, pool, log, workshop_id, file)
    return Workshop(workshop_id, plan, date, file, speakers, turns)


def _plant(rng: random.Random, plan: WorkshopPlan, turns: list[Turn], persons: dict[str, Person],
           third_parties: list[Person], bank: dict, pool: NamePool, log: PlantLog, source_id: str, file: str) -> None:
    """Append sentences with invented identifiers to some turns and log them."""
    middle = list(range(1, len(turns) - 1))
    taken: set[int] = set()
    for kind in plan.plants:
        if kind == "address_first":
            options = [i for i in middle if turns[i].role == FACILITATOR and i not in taken] or [i for i in middle if i not in taken]
        else:
            options = [i for i in middle if turns[i].themes and i not in taken] or [i for i in middle if i not in taken]
        index = rng.choice(options)
        taken.add(index)
        turn = turns[index]
        if kind in ("address_first", "address_last"):
            person = persons[rng.choice([lab for lab in persons if lab != turn.label])]
        else:
            person = third_parties[0]
        values = {**person.slots(), "phone": make_phone(rng), "email": make_email(person.first, person.last, rng),
                  "address": make_address(rng, pool.streets),
                  "hetu": make_hetu(rng, dt.date(1999, 1, 1), dt.date(2006, 12, 31))}
        template = rng.choice(bank["pii"][kind])
        sentence = fill(template, rng, bank["slots"], values)
        turn.text = f"{turn.text} {sentence}" if kind != "address_first" else f"{sentence} {turn.text}"
        used = placeholders(template)
        for ident in ("phone", "email", "address", "hetu"):
            if ident in used:
                log.add(ident, values[ident], source_id, file)
        if plan.fmt == "vtt" and kind in ("address_first", "address_last"):
            # the voice name is a speaker label; log the surface forms only
            for slot in used:
                if slot in person.slots():
                    log.add("name", person.slots()[slot], source_id, file)
        elif any(u.startswith(("first_", "last_")) for u in used) or "email" in used:
            log.add_name(person, used, source_id, file)


# ---------------------------------------------------------------- writers
def _stamp(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _vtt_time(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    return f"{ms // 3600000:02d}:{ms % 3600000 // 60000:02d}:{ms % 60000 // 1000:02d}.{ms % 1000:03d}"


def _fi_date(date: dt.date) -> str:
    return f"{date.day}.{date.month}.{date.year}"


def write_workshop(ws: Workshop, out_dir: Path, seed: int) -> Path:
    """Write a workshop in its planned format under ``out_dir``; return the path."""
    plan, path = ws.plan, out_dir / ws.file
    rng = stream(seed, "workshop-format", ws.workshop_id)
    when = dt.datetime.combine(ws.date + dt.timedelta(days=3), dt.time(12, 0))
    stamp = (lambda t: f"[{_stamp(t.start)}] ") if plan.timestamps else (lambda t: "")
    if plan.fmt == "vtt":
        base = uuid.UUID(int=rng.getrandbits(128), version=4)
        lines = ["WEBVTT", ""]
        for t in ws.turns:
            lines += [f"{base}/{t.number + 11}-0", f"{_vtt_time(t.start)} --> {_vtt_time(t.end)}", f"<v {t.label}>{t.text}</v>", ""]
        return write_text(path, lines[:-1])
    if plan.fmt.startswith("txt"):
        if plan.fmt == "txt_cp1252":
            lines = [f"LITTEROINTI – {plan.work_package}, {plan.place} {_fi_date(ws.date)}", ""]
            lines += [f"{stamp(t)}{t.label}: {t.text}" for t in ws.turns]
            return write_text(path, lines, encoding="cp1252", newline="\r\n")
        if plan.fmt == "txt_continued":
            lines = [f"{plan.method} {_fi_date(ws.date)} {plan.place}", ""]
            for t in ws.turns:
                parts = _SENTENCE_END.split(t.text)
                if len(parts) > 2 and rng.random() < 0.35:
                    cut = rng.randrange(1, len(parts))
                    lines += [f"{t.label}: {' '.join(parts[:cut])}", " ".join(parts[cut:]), ""]
                else:
                    lines += [f"{t.label}: {t.text}", ""]
            return write_text(path, lines[:-1])
        legend = "Puhujat: " + ", ".join(dict.fromkeys(lab.rstrip("0123456789 ") for lab in ws.speakers))
        lines = [f"Jäkälä-hanke / {plan.work_package} työpaja, {plan.place} {_fi_date(ws.date)} ({plan.method})", legend, ""]
        for t in ws.turns:
            lines += [f"{stamp(t)}{t.label}: {t.text}", ""]
        return write_text(path, lines[:-1])
    document = docx.Document()
    document.styles["Normal"].font.name = "Calibri"
    document.styles["Normal"].font.size = Pt(11)
    if plan.fmt == "docx_table":
        document.add_heading(f"Litterointi – {plan.method}", level=1)
        table = document.add_table(rows=0, cols=2)
        table.style = "Table Grid"
        meta = [("Työpaja", f"{plan.method} ({plan.work_package})"), ("Päivämäärä", _fi_date(ws.date)), ("Paikka", plan.place),
                ("Kesto", f"{int(ws.turns[-1].end // 60)} min"), ("Litteroija", "Litterointipalvelu, tarkkuustaso 2"),
                ("Puhujat", ", ".join(ws.speakers))]
        for key, value in meta:
            cells = table.add_row().cells
            cells[0].text, cells[1].text = key, value
        document.add_paragraph("")
    else:
        document.add_paragraph(f"Jäkälä-hanke – {plan.method}, {plan.work_package}")
        document.add_paragraph(f"{plan.place} {_fi_date(ws.date)}")
        document.add_paragraph("Litteroinnin tarkkuus: puhekielinen, täytesanat mukana")
        document.add_paragraph("")
    for t in ws.turns:
        para = document.add_paragraph()
        para.add_run(f"{t.label}:").bold = True
        para.add_run(f" {t.text}")
    return save_docx(document, path, when=when, author="Litteroija", title=f"{plan.method} {_fi_date(ws.date)}")

"""Synthetic surveys: the professionals' baseline/follow-up (.xlsx) and the needs survey (.csv).

Header texts, answer labels, missing codes, role and municipality categories come
from the instrument YAML files in ``config/`` (read, never duplicated here). Likert
answers are driven by one latent trait per scale and respondent, so the scales have
realistic reliability (Cronbach's alpha about .7–.85); reverse-coded items are
answered consistently in reverse. The planted change is in :data:`SCALE_MEANS`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from analysis.config import load_config
from analysis.errors import ConfigError
from analysis.synthetic.identifiers import NamePool, PlantLog, make_address, make_email, make_phone
from analysis.synthetic.text_bank import fill, load_bank, stream

#: Latent mean of each scale (positively keyed metric 1–5): baseline by role, and the
#: change from baseline to follow-up by role. Role clarity rises much more for social
#: counsellors; collaboration and service paths rise modestly; competence is stable.
SCALE_MEANS: dict[str, dict[str, dict[str, float]]] = {
    "role_clarity": {"baseline": {"social_worker": 3.3, "social_counsellor": 2.8, "other": 3.0},
                     "change": {"social_worker": 0.3, "social_counsellor": 0.8, "other": 0.3}},
    "collaboration": {"baseline": {"social_worker": 3.0, "social_counsellor": 3.0, "other": 3.1},
                      "change": {"social_worker": 0.5, "social_counsellor": 0.5, "other": 0.5}},
    "competence": {"baseline": {"social_worker": 3.5, "social_counsellor": 3.3, "other": 3.2},
                   "change": {"social_worker": 0.0, "social_counsellor": 0.0, "other": 0.0}},
    "participation": {"baseline": {"social_worker": 2.9, "social_counsellor": 3.0, "other": 2.9},
                      "change": {"social_worker": 0.2, "social_counsellor": 0.2, "other": 0.2}},
    "service_paths": {"baseline": {"social_worker": 2.7, "social_counsellor": 2.7, "other": 2.8},
                      "change": {"social_worker": 0.5, "social_counsellor": 0.5, "other": 0.5}},
}
#: Spread of answers around the latent trait: item = mean + LOADING * (trait + noise).
LOADING, NOISE_SD = 0.7, 0.8
#: Correlation of a linked respondent's trait between the waves.
TRAIT_STABILITY = 0.8
ROLE_WEIGHTS = {"social_worker": 0.4, "social_counsellor": 0.4, "other": 0.2}
MUNICIPALITY_WEIGHTS = {"Kemi": 0.27, "Keminmaa": 0.13, "Simo": 0.08, "Tervola": 0.09, "Tornio": 0.32, "Ylitornio": 0.11}
P_DONT_KNOW, P_EMPTY, P_DROPOUT = 0.04, 0.02, 0.03

NEEDS_PROBABILITY = {"need_housing": 0.62, "need_money": 0.6, "need_study_work": 0.33, "need_mental_health": 0.33,
                     "need_peer_support": 0.18, "need_rights_info": 0.28, "need_relationships": 0.22}
#: Peer support is needed far more often by those in supported housing.
PEER_SUPPORT_IN_SUPPORTED_HOUSING = 0.55
LIVING_WEIGHTS = {"own_rental": 0.38, "supported_housing": 0.27, "with_family": 0.15, "no_fixed_home": 0.1, "other": 0.1}
NEEDS_QUESTION = "Missä asioissa tarvitset tukea?"


def _header(entry: dict[str, Any], path: Path, where: str) -> str:
    try:
        return str(entry["match"]["header"])
    except (KeyError, TypeError) as exc:
        raise ConfigError("entry has no 'match: {header: ...}'", file=path, location=f"key '{where}'",
                          hint="The generator writes columns with exactly these header texts.") from exc


def _background(instrument: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    for entry in instrument.get("background", []):
        if entry.get("id") == key:
            return entry
    raise ConfigError(f"background variable '{key}' is missing", file=path, location="key 'background'",
                      hint=f"Add a background entry with id: {key}.")


def _choice(rng: np.random.Generator, weights: dict[str, float]) -> str:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


@dataclass
class SurveyTable:
    """A survey export in memory: title lines, header and rows."""

    title: str | None
    header: list[str]
    rows: list[list[object]]


def _respondent_code(rng: np.random.Generator, used: set[str]) -> str:
    letters = "abcdefghijklmnoprstuvy"
    while True:
        parts = [letters[i] for i in rng.integers(0, len(letters), 4)]
        digits = rng.integers(10, 100)
        code = f"{parts[0]}{parts[1]}{digits}{parts[2]}{parts[3]}"
        if code not in used:
            used.add(code)
            return code


def professionals_surveys(instrument_path: Path, *, seed: int, scale: int, log: PlantLog,
                          files: tuple[str, str], source_ids: tuple[str, str]) -> tuple[SurveyTable, SurveyTable]:
    """Build the baseline and follow-up exports of the professionals' survey.

    Parameters
    ----------
    instrument_path : Path
        ``config/instrument_professionals.yaml``.
    seed, scale : int
        Randomness and size (60 respondents per wave × scale).
    log : PlantLog
        Receives the identifiers planted in open answers.
    files, source_ids : tuple of str
        Relative file names and manifest ids of the two waves (for the log).

    Returns
    -------
    (SurveyTable, SurveyTable)
        Baseline and follow-up.
    """
    inst = load_config(instrument_path, "instrument")
    rng = np.random.default_rng([seed, 101])
    text_rng = stream(seed, "professionals-open")
    bank = load_bank("survey_bank")
    pool = NamePool()
    items = {it["id"]: it for it in inst["items"]}
    answers = inst["answer_sets"]
    scales = [(s["id"], list(s["items"])) for s in inst.get("scales", [])]
    for scale_id, _ in scales:
        if scale_id not in SCALE_MEANS:
            raise ConfigError(f"the generator has no planted means for scale '{scale_id}'", file=instrument_path,
                              location="key 'scales'", hint="Add the scale to SCALE_MEANS in analysis/synthetic/surveys.py.")
    role = _background(inst, "role", instrument_path)
    muni = _background(inst, "municipality", instrument_path)
    exper = _background(inst, "experience_years", instrument_path)
    role_label = {code: label for label, code in role["recode"].items()}
    muni_label = {code: label for label, code in muni["recode"].items()}
    other_header = _header({"match": role["other_text"]}, instrument_path, "background.role.other_text")
    likert_ids = [iid for _, ids in scales for iid in ids]
    for iid in likert_ids:
        if iid not in items:
            raise ConfigError(f"scale item '{iid}' is not among the items", file=instrument_path, location="key 'scales'",
                              hint="List only item ids defined under 'items:'.")
    open_items = [(o["id"], _header(o, instrument_path, f"open_items.{o['id']}")) for o in inst.get("open_items", [])]
    header = ["Vastausaika", _header(inst["respondent_id"], instrument_path, "respondent_id"),
              _header(role, instrument_path, "background.role"), other_header,
              _header(muni, instrument_path, "background.municipality"), _header(exper, instrument_path, "background.experience_years")]
    header += [_header(items[i], instrument_path, f"items.{i}") for i in likert_ids] + [h for _, h in open_items]

    def label_of(item_id: str, value: int) -> str:
        spec = answers[items[item_id]["answers"]]
        inverse = {v: k for k, v in spec["labels"].items()}
        return inverse[value]

    def dont_know(item_id: str) -> str:
        spec = answers[items[item_id]["answers"]]
        return next((m for m in spec.get("missing", []) if isinstance(m, str)), "En osaa sanoa")

    n = 60 * scale
    used: set[str] = set()
    people = []
    for _ in range(n):
        r = _choice(rng, ROLE_WEIGHTS)
        people.append({"code": _respondent_code(rng, used), "role": r, "municipality": _choice(rng, MUNICIPALITY_WEIGHTS),
                       "experience": int(min(30, rng.gamma(1.6, 4.0))), "other": None,
                       "g": rng.normal()})
        if r == "other":
            people[-1]["other"] = text_rng.choice(bank["role_other"])
    n_linked = n // 2
    linked = sorted(rng.choice(n, n_linked, replace=False).tolist())
    follow = []
    for index in linked:
        p = dict(people[index])
        p["experience"] = p["experience"] + 2
        p["linked_from"] = index
        follow.append(p)
    for _ in range(n - n_linked):
        r = _choice(rng, ROLE_WEIGHTS)
        follow.append({"code": _respondent_code(rng, used), "role": r, "municipality": _choice(rng, MUNICIPALITY_WEIGHTS),
                       "experience": int(min(30, rng.gamma(1.6, 4.0))), "g": rng.normal(),
                       "other": text_rng.choice(bank["role_other"]) if r == "other" else None})
    order = rng.permutation(len(follow))
    follow = [follow[i] for i in order]
    if follow:
        # one linked respondent typed the code in capitals (real exports have this)
        for p in follow:
            if "linked_from" in p:
                p["code"] = p["code"].upper()
                break

    traits_base = {s: 0.4 * np.array([p["g"] for p in people]) + np.sqrt(0.84) * rng.normal(size=n) for s, _ in scales}

    def wave_rows(group: list[dict], wave: str, start: dt.datetime, traits: dict[str, np.ndarray],
                  file: str, source_id: str, n_plants: int) -> list[list[object]]:
        rows = []
        offsets = np.sort(rng.integers(0, 42 * 24 * 60, len(group)))
        dropouts = rng.random(len(group)) < P_DROPOUT
        for k, p in enumerate(group):
            when = start + dt.timedelta(minutes=int(offsets[k]))
            when = when.replace(hour=8 + when.hour % 9, second=int(rng.integers(0, 60)))
            exp: object = p["experience"]
            if rng.random() < 0.03:
                exp = None
            elif rng.random() < 0.04:
                exp = f"{p['experience']},5"
            row: list[object] = [when, p["code"], role_label[p["role"]], p["other"], muni_label[p["municipality"]], exp]
            for scale_id, ids in scales:
                mean = SCALE_MEANS[scale_id]["baseline"][p["role"]]
                if wave == "followup":
                    mean += SCALE_MEANS[scale_id]["change"][p["role"]]
                theta = traits[scale_id][k]
                for iid in ids:
                    latent = mean + LOADING * (theta + rng.normal(0, NOISE_SD))
                    value = int(np.clip(np.rint(latent), 1, 5))
                    if items[iid].get("reverse"):
                        value = 6 - value
                    u = rng.random()
                    if dropouts[k] or u < P_EMPTY:
                        row.append(None)
                    elif u < P_EMPTY + P_DONT_KNOW:
                        row.append(dont_know(iid))
                    else:
                        row.append(label_of(iid, value))
            for oid, _ in open_items:
                fill_p = 0.6 if oid == "works_well" else 0.7
                if dropouts[k] or text_rng.random() > fill_p:
                    row.append(None)
                else:
                    row.append(fill(text_rng.choice(bank["open"].get(oid, bank["open"]["to_develop"])), text_rng, bank["slots"]))
            rows.append(row)
        # plant identifiers in open answers (last open column)
        candidates = [i for i, r in enumerate(rows) if r[-1]]
        for i in text_rng.sample(candidates, min(n_plants, len(candidates))):
            person = pool.draw(text_rng, 1)[0]
            template = text_rng.choice(bank["pii"]["professional"])
            values = {**person.slots(), "phone": make_phone(text_rng), "email": make_email(person.first, person.last, text_rng)}
            rows[i][-1] = f"{rows[i][-1]} {fill(template, text_rng, bank['slots'], values)}"
            _log_template(log, template, values, person, source_id, file)
        return rows

    traits_follow = {}
    for s, _ in scales:
        values = []
        for p in follow:
            fresh = 0.4 * p["g"] + np.sqrt(0.84) * rng.normal()
            if "linked_from" in p:
                values.append(TRAIT_STABILITY * traits_base[s][p["linked_from"]] + np.sqrt(1 - TRAIT_STABILITY**2) * fresh)
            else:
                values.append(fresh)
        traits_follow[s] = np.array(values)
    title = str(inst.get("title", {}).get("fi", "Kysely"))
    base = SurveyTable(f"Jäkälä – {title[:1].lower() + title[1:]}, alkukartoitus", header,
                       wave_rows(people, "baseline", dt.datetime(2024, 9, 2, 8), traits_base, files[0], source_ids[0], 2 * scale))
    foll = SurveyTable(f"Jäkälä – {title[:1].lower() + title[1:]}, loppukartoitus", header,
                       wave_rows(follow, "followup", dt.datetime(2026, 10, 5, 8), traits_follow, files[1], source_ids[1], scale))
    return base, foll


def _log_template(log: PlantLog, template: str, values: dict[str, str], person, source_id: str, file: str) -> None:
    used = re.findall(r"\{(\w+)\}", template)
    for kind in ("phone", "email", "address", "hetu"):
        if kind in used:
            log.add(kind, values[kind], source_id, file)
    if any(u.startswith(("first_", "last_")) for u in used):
        log.add_name(person, used, source_id, file)


def needs_survey(instrument_path: Path, *, seed: int, scale: int, log: PlantLog, file: str, source_id: str) -> SurveyTable:
    """Build the young people's needs survey (Webropol multi-choice: ``1`` or empty).

    Housing and money are the most common needs; peer support is needed more often by
    those living in supported housing (:data:`PEER_SUPPORT_IN_SUPPORTED_HOUSING`).
    """
    inst = load_config(instrument_path, "instrument")
    rng = np.random.default_rng([seed, 202])
    text_rng = stream(seed, "needs-open")
    bank = load_bank("survey_bank")
    pool = NamePool()
    items = inst["items"]
    item_headers = []
    for it in items:
        header = f"{NEEDS_QUESTION} - {it['text']['fi']}"
        regex = it.get("match", {}).get("regex")
        if regex is None or not re.search(regex, header):
            raise ConfigError(f"item '{it['id']}': generated header {header!r} does not match its regex", file=instrument_path,
                              location=f"key 'items.{it['id']}.match'", hint="Keep text.fi and match.regex consistent.")
        if it["id"] not in NEEDS_PROBABILITY:
            raise ConfigError(f"no planted probability for item '{it['id']}'", file=instrument_path,
                              location=f"key 'items.{it['id']}'", hint="Add it to NEEDS_PROBABILITY in analysis/synthetic/surveys.py.")
        item_headers.append(header)
    age = _background(inst, "age", instrument_path)
    living = _background(inst, "living_situation", instrument_path)
    muni = _background(inst, "municipality", instrument_path)
    living_label = {code: label for label, code in living["recode"].items()}
    muni_codes = list(muni["recode"].items())
    header = [_header(inst["respondent_id"], instrument_path, "respondent_id"), "Vastausaika",
              _header(age, instrument_path, "background.age"), _header(muni, instrument_path, "background.municipality"),
              _header(living, instrument_path, "background.living_situation"),
              _header({"match": living["other_text"]}, instrument_path, "background.living_situation.other_text"),
              *item_headers, *(_header(o, instrument_path, "open_items") for o in inst.get("open_items", []))]
    muni_weights = {label: MUNICIPALITY_WEIGHTS.get(code, 0.08) for label, code in muni_codes}
    n = 40 * scale
    rows = []
    start = dt.datetime(2025, 2, 3, 9)
    offsets = np.sort(rng.integers(0, 30 * 24 * 60, n))
    for k in range(n):
        situation = _choice(rng, LIVING_WEIGHTS)
        when = start + dt.timedelta(minutes=int(offsets[k]))
        row: list[object] = [k + 1, f"{when.day}.{when.month}.{when.year} {when:%H:%M}", int(rng.integers(18, 26)), _choice(rng, muni_weights),
                             living_label[situation], text_rng.choice(bank["living_other"]) if situation == "other" else None]
        for it in items:
            p = NEEDS_PROBABILITY[it["id"]]
            if it["id"] == "need_peer_support" and situation == "supported_housing":
                p = PEER_SUPPORT_IN_SUPPORTED_HOUSING
            if it["id"] == "need_housing" and situation == "no_fixed_home":
                p = 0.9
            row.append(1 if rng.random() < p else None)
        row.append(text_rng.choice(bank["open"]["anything_else"]) if text_rng.random() < 0.45 else None)
        rows.append(row)
    candidates = [i for i, r in enumerate(rows) if r[-1]]
    for i in text_rng.sample(candidates, min(2 * scale, len(candidates))):
        person = pool.draw(text_rng, 1)[0]
        template = text_rng.choice(bank["pii"]["young"])
        values = {**person.slots(), "phone": make_phone(text_rng), "email": make_email(person.first, person.last, text_rng),
                  "address": make_address(text_rng, pool.streets)}
        rows[i][-1] = f"{rows[i][-1]}. {fill(template, text_rng, bank['slots'], values)}"
        _log_template(log, template, values, person, source_id, file)
    return SurveyTable(None, header, rows)


def write_needs_csv(table: SurveyTable, path: Path) -> Path:
    """Write the needs survey as Excel-style CSV: ``;``, UTF-8 with BOM, CRLF."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(table.header)
    for row in table.rows:
        writer.writerow(["" if v is None else v for v in row])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))
    return path

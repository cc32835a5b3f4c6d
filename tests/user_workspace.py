"""Build a workspace whose data manifest points at a user's own instruments only (test helper).

The surveys are a work-wellbeing questionnaire at baseline and follow-up
(``tests/data/instrument_wellbeing.yaml``: other items, scales and numeric codes, here
with a role and a municipality question added, coded as numbers and as names, as a
professionals' survey of the project has them) and a needs survey with a 1–5 rating item
(``tests/data/instrument_needs_user.yaml``). The instruments live in the workspace's own
``instruments/`` folder, not in ``config/``; workshops and diaries are the synthetic ones.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

DATA = Path(__file__).parent / "data"


def _wellbeing(ids: list[str], rng: np.random.Generator, shift: float) -> pd.DataFrame:
    n = len(ids)
    trait = rng.normal(0, 0.9, n)
    team = rng.integers(1, 3, n)

    def item(sign: int = 1, bonus: float = 0.0) -> np.ndarray:
        raw = 2 + sign * (trait + shift + bonus * (team == 2)) + rng.normal(0, 0.6, n)
        return np.clip(np.rint(raw), 0, 4).astype(int)

    return pd.DataFrame({
        "ID": ids,
        "Q1_jaksaminen": item(),
        "Q2_merkitys": item(),
        "Q3: Tunnen itseni uupuneeksi.": item(-1),
        "Q4_esihenkilo": item(bonus=1.5),
        "Q5_kollegat": item(bonus=1.5),
        "TEAM": team,
        "ROLE": rng.choice([1, 1, 2, 2, 3], n),
        "KUNTA": rng.choice(["Kemi", "Keminmaa", "Simo", "Tervola", "Tornio", "Ylitornio"], n),
    })  # fmt: skip


def _needs(n: int, rng: np.random.Generator) -> pd.DataFrame:
    frame = pd.DataFrame({"ID": [f"y{i:03d}" for i in range(n)]})
    for column, p in (("NEED_HOME", 0.5), ("NEED_MONEY", 0.6), ("NEED_PEER", 0.3), ("NEED_RIGHTS", 0.4)):
        frame[column] = np.where(rng.random(n) < p, "1", "")
    coping = rng.integers(1, 6, n).astype(object)
    coping[rng.random(n) < 0.1] = "EOS"
    frame["HOW_MUCH_COPING"] = coping
    frame["HOME"] = rng.choice(["own", "supported", "family"], n)
    return frame


def build_user_workspace(root: Path, project: Path, *, seed: int = 7) -> Path:
    """Write synthetic raw data with user instruments into ``root``; return the manifest path."""
    from analysis.synthetic import generate

    raw = root / "data" / "raw"
    manifest = generate(raw, seed=2024, scale=1)
    doc = yaml.safe_load(Path(manifest).read_text(encoding="utf-8"))
    for entry in doc.get("surveys", []):
        (raw / entry["file"]).unlink(missing_ok=True)
    instruments = root / "instruments"
    instruments.mkdir(parents=True, exist_ok=True)
    wellbeing = yaml.safe_load((DATA / "instrument_wellbeing.yaml").read_text(encoding="utf-8"))
    wellbeing["background"] += [
        {"id": "role", "label": {"fi": "Ammatti", "en": "Role"}, "match": {"header": "ROLE"},
         "recode": {1: "social_worker", 2: "social_counsellor", 3: "other"},
         "categories": {"social_worker": {"fi": "sosiaalityöntekijä", "en": "social worker"},
                        "social_counsellor": {"fi": "sosiaaliohjaaja", "en": "social counsellor"},
                        "other": {"fi": "muu", "en": "other"}}},
        {"id": "municipality", "label": {"fi": "Kunta", "en": "Municipality"}, "match": {"header": "KUNTA"},
         "recode": {m: m for m in ("Kemi", "Keminmaa", "Simo", "Tervola", "Tornio", "Ylitornio")}},
    ]  # fmt: skip
    (instruments / "wellbeing.yaml").write_text(yaml.safe_dump(wellbeing, allow_unicode=True, sort_keys=False),
                                                encoding="utf-8")  # fmt: skip
    shutil.copy(DATA / "instrument_needs_user.yaml", instruments / "youth_needs.yaml")
    rng = np.random.default_rng(seed)
    ids = [f"r{i:03d}" for i in range(48)]
    (raw / "surveys").mkdir(parents=True, exist_ok=True)
    _wellbeing(ids[:40], rng, 0.0).to_csv(raw / "surveys" / "wellbeing_2024.csv", sep=";", index=False)
    _wellbeing(ids[8:], rng, 0.4).to_csv(raw / "surveys" / "wellbeing_2026.csv", sep=";", index=False)
    _needs(45, rng).to_csv(raw / "surveys" / "youth_needs.csv", sep=";", index=False)
    doc["surveys"] = [
        {"id": "wellbeing_baseline", "file": "surveys/wellbeing_2024.csv", "instrument": "instruments/wellbeing.yaml",
         "wave": "baseline"},
        {"id": "wellbeing_followup", "file": "surveys/wellbeing_2026.csv", "instrument": "instruments/wellbeing.yaml",
         "wave": "followup"},
        {"id": "youth_needs", "file": "surveys/youth_needs.csv", "instrument": "instruments/youth_needs.yaml",
         "wave": "single"},
    ]  # fmt: skip
    Path(manifest).write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return Path(manifest)

"""Invented people and identifiers planted in the synthetic data.

The real data contain identifiers that the ingestion must remove. The synthetic data
therefore carry realistic *invented* ones: valid Finnish personal identity codes
(henkilötunnus), phone numbers, e-mail addresses, street addresses and names in
inflected forms. Every planted string is logged in a :class:`PlantLog` so tests can
check that none of them survives into ``data/processed/`` or the reports.

Examples
--------
>>> hetu_check_char("131052", "308")
'T'
>>> is_valid_hetu("131052-308T"), is_valid_hetu("131052-308U")
(True, False)
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass, field
from typing import Iterable

import pandas as pd

from analysis.synthetic.text_bank import load_bank

HETU_CHECK_CHARS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
_HETU = re.compile(r"^(\d{2})(\d{2})(\d{2})([-+YXWVUABCDEF])(\d{3})([0-9A-Y])$")
_CENTURY = {"+": 1800, **{c: 1900 for c in "-YXWVU"}, **{c: 2000 for c in "ABCDEF"}}


def hetu_check_char(ddmmyy: str, individual: str) -> str:
    """Check character of a henkilötunnus: ``CHARS[int(DDMMYYZZZ) % 31]``."""
    return HETU_CHECK_CHARS[int(ddmmyy + individual) % 31]


def is_valid_hetu(code: str) -> bool:
    """True when ``code`` is a syntactically valid henkilötunnus with a real date and check char.

    Examples
    --------
    >>> is_valid_hetu("290200-101P")   # 1900 was not a leap year
    False
    """
    match = _HETU.match(code)
    if not match:
        return False
    day, month, year2, sign, individual, check = match.groups()
    try:
        dt.date(_CENTURY[sign] + int(year2), int(month), int(day))
    except ValueError:
        return False
    return hetu_check_char(day + month + year2, individual) == check


def make_hetu(rng: random.Random, born_from: dt.date, born_to: dt.date) -> str:
    """A valid henkilötunnus for a birth date drawn between two dates (non-temporary number)."""
    span = (born_to - born_from).days
    born = born_from + dt.timedelta(days=rng.randrange(span + 1))
    ddmmyy = born.strftime("%d%m%y")
    individual = f"{rng.randrange(2, 900):03d}"
    sign = "-" if born.year < 2000 else "A"
    return f"{ddmmyy}{sign}{individual}{hetu_check_char(ddmmyy, individual)}"


def make_phone(rng: random.Random) -> str:
    """A Finnish phone number in one of the usual written styles."""
    style = rng.randrange(4)
    if style == 0:
        return f"04{rng.choice('0456')} {rng.randrange(100, 1000)} {rng.randrange(1000, 10000)}"
    if style == 1:
        return f"+358 {rng.choice(['40', '44', '45', '50'])} {rng.randrange(100, 1000)} {rng.randrange(1000, 10000)}"
    if style == 2:
        return f"016 {rng.randrange(100, 1000)} {rng.randrange(100, 1000)}"
    return f"050 {rng.randrange(1000000, 10000000)}"


_ASCII = str.maketrans({"ä": "a", "ö": "o", "å": "a", "Ä": "A", "Ö": "O", "Å": "A"})


def make_email(first: str, last: str, rng: random.Random) -> str:
    """An invented e-mail address on a reserved-looking domain."""
    domain = rng.choice(["example.fi", "lapha.example.fi", "esimerkki.example"])
    return f"{first}.{last}".lower().translate(_ASCII) + f"@{domain}"


def make_address(rng: random.Random, streets: list[str]) -> str:
    """A Finnish street address: ``Valtakatu 5 B 12`` or ``Keskikatu 14 as. 3``."""
    street = rng.choice(streets)
    number = rng.randrange(1, 40)
    if rng.random() < 0.5:
        return f"{street} {number} {rng.choice('ABCD')} {rng.randrange(1, 30)}"
    return f"{street} {number} as. {rng.randrange(1, 20)}"


@dataclass(frozen=True)
class Person:
    """An invented person with the inflected name forms used in the texts."""

    first: str
    last: str
    forms: tuple[tuple[str, str], ...]

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}"

    def slots(self) -> dict[str, str]:
        """``first_nom``, ``first_gen``, ``first_all``, ``first_ade``, ``last_nom``, ``last_gen``, ``last_all``."""
        return dict(self.forms)


class NamePool:
    """Draws invented people from ``names.yaml`` without repeating within one draw set."""

    def __init__(self) -> None:
        names = load_bank("names")
        self.first_names: dict[str, dict[str, str]] = names["first_names"]
        self.surnames: dict[str, dict[str, str]] = names["surnames"]
        self.streets: list[str] = list(names["streets"])

    def person(self, first: str, last: str) -> Person:
        f, s = self.first_names[first], self.surnames[last]
        forms = (("first_nom", first), ("first_gen", f["gen"]), ("first_all", f["all"]), ("first_ade", f["ade"]),
                 ("last_nom", last), ("last_gen", s["gen"]), ("last_all", s["all"]))
        return Person(first, last, forms)

    def draw(self, rng: random.Random, n: int, avoid: Iterable[str] = ()) -> list[Person]:
        """``n`` people with distinct first names and surnames (not in ``avoid``)."""
        avoid = set(avoid)
        firsts = [f for f in self.first_names if f not in avoid]
        lasts = [s for s in self.surnames if s not in avoid]
        n = min(n, len(firsts), len(lasts))
        return [self.person(f, s) for f, s in zip(rng.sample(firsts, n), rng.sample(lasts, n))]


@dataclass
class PlantLog:
    """Every identifier planted in the synthetic data, with where it was put."""

    records: list[tuple[str, str, str, str]] = field(default_factory=list)

    def add(self, kind: str, value: str, source_id: str, file: str) -> None:
        self.records.append((kind, value, source_id, file))

    def add_name(self, person: Person, used_slots: Iterable[str], source_id: str, file: str) -> None:
        """Log the surface forms of a name used in a text and the full name for the key."""
        forms = person.slots()
        for slot in used_slots:
            if slot in forms:
                self.add("name", forms[slot], source_id, file)
        self.add("key_name", person.full, source_id, file)

    def known_names(self, source_id: str) -> list[str]:
        """Full names planted in one source (the manifest's ``known_names:``)."""
        return sorted({v for k, v, s, _ in self.records if k == "key_name" and s == source_id})

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: ``kind``, ``value``, ``source_id``, ``file`` (duplicates removed, stable order)."""
        frame = pd.DataFrame(self.records, columns=["kind", "value", "source_id", "file"])
        return frame.drop_duplicates().sort_values(["kind", "source_id", "file", "value"], kind="stable").reset_index(drop=True)

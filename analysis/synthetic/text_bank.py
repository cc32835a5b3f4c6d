"""Sentence banks with slots: the raw material of every synthetic text.

The banks are YAML files under ``analysis/synthetic/data/`` (``workshop_bank.yaml``,
``diary_bank.yaml``, ``survey_bank.yaml``, ``names.yaml``) so a researcher can add
sentences without touching code. A template such as
``"Meillä {kunnassa} sosiaalityöntekijä tekee jälkihuoltosuunnitelman."`` is filled by
drawing each ``{slot}`` from the bank's ``slots:`` lists (or from explicit values).

Examples
--------
>>> import random
>>> bank = load_bank("workshop_bank")
>>> text = fill("Meillä {kunnassa} on tukiasuntoja.", random.Random(1), bank["slots"])
>>> text.startswith("Meillä ") and text.endswith("on tukiasuntoja.")
True
"""

from __future__ import annotations

import random
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, Sequence

import yaml

from analysis.errors import ConfigError

#: Folder holding the YAML banks.
DATA_DIR = Path(__file__).resolve().parent / "data"

_SLOT = re.compile(r"\{(\w+)\}")

#: Words that keep their capital letter when a filler is put in front of them.
PROPER_NOUNS = frozenset(
    {"Kela", "Kelan", "Kelaan", "Kelasta", "Kelalta", "Ohjaamo", "Ohjaamon", "Teams", "Teamsissa",
     "Whatsapp", "Discord", "Innokylä", "TE-palvelut", "Kemi", "Keminmaa", "Simo", "Tervola",
     "Tornio", "Ylitornio"}
)

_PROPER_PREFIXES = ("Kemi", "Keminmaa", "Simo", "Tervola", "Tornio", "Ylitornio", "Kela", "Ohjaamo", "Teams", "Lappi", "Lapi")


@lru_cache(maxsize=None)
def _load(path: str) -> dict[str, Any]:
    file = Path(path)
    try:
        with file.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except FileNotFoundError as exc:
        raise ConfigError("sentence bank not found", file=file, hint="Reinstall the package.") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else None
        raise ConfigError(f"invalid YAML ({getattr(exc, 'problem', exc)})", file=file, location=where,
                          hint="Fix the YAML syntax of the sentence bank.") from exc
    if not isinstance(data, dict):
        raise ConfigError("a sentence bank must be a mapping", file=file, hint="Start the file with keys such as 'slots:'.")
    return data


def load_bank(name: str, directory: Path | None = None) -> dict[str, Any]:
    """Load one YAML bank by name (without ``.yaml``).

    Parameters
    ----------
    name : str
        ``"workshop_bank"``, ``"diary_bank"``, ``"survey_bank"`` or ``"names"``.
    directory : Path, optional
        Folder of the banks; the package's ``data/`` folder by default.

    Returns
    -------
    dict
        The parsed YAML (cached; do not mutate).
    """
    return _load(str((directory or DATA_DIR) / f"{name}.yaml"))


def require(bank: Mapping[str, Any], *keys: str, name: str = "bank") -> Any:
    """Return ``bank[k1][k2]...`` or raise :class:`ConfigError` naming the missing key."""
    node: Any = bank
    for depth, key in enumerate(keys):
        if not isinstance(node, Mapping) or key not in node:
            path = ".".join(keys[: depth + 1])
            raise ConfigError(f"missing key '{path}'", file=DATA_DIR / f"{name}.yaml", location=f"key '{path}'",
                              hint="Restore the key in the sentence bank.")
        node = node[key]
    return node


def fill(
    template: str,
    rng: random.Random,
    slots: Mapping[str, Sequence[str]],
    values: Mapping[str, str] | None = None,
) -> str:
    """Fill the ``{slot}`` placeholders of a template and capitalise the first letter.

    Parameters
    ----------
    template : str
        Text with ``{name}`` placeholders.
    rng : random.Random
        Source of randomness (seeded by the caller).
    slots : mapping
        Slot name → list of alternatives.
    values : mapping, optional
        Fixed values that win over ``slots`` (for example planted identifiers).

    Returns
    -------
    str

    Examples
    --------
    >>> import random
    >>> fill("{a} ja {b}", random.Random(0), {"a": ["kissa"]}, {"b": "koira"})
    'Kissa ja koira'
    """

    def substitute(match: re.Match[str]) -> str:
        key = match.group(1)
        if values is not None and key in values:
            return values[key]
        if key in slots:
            return rng.choice(list(slots[key]))
        raise ConfigError(f"unknown slot '{{{key}}}' in template {template!r}", location=f"slot '{key}'",
                          hint="Add the slot under 'slots:' in the sentence bank or fix the template.")

    text = _SLOT.sub(substitute, template)
    return text[:1].upper() + text[1:]


def placeholders(template: str) -> list[str]:
    """Names of the ``{slot}`` placeholders of a template, in order."""
    return _SLOT.findall(template)


def lower_first(text: str) -> str:
    """Lower-case the first letter unless the first word is a proper noun or an acronym."""
    first = text.split(" ", 1)[0].strip(",.?!")
    if (not first or first in PROPER_NOUNS or first.startswith(_PROPER_PREFIXES) or first.isupper()
            or (len(first) > 1 and first[1].isupper())):
        return text
    return text[:1].lower() + text[1:]


def stream(seed: int, *parts: object) -> random.Random:
    """An independent, reproducible random stream for one component.

    Seeding :class:`random.Random` with a string is stable across Python runs
    (it is hashed with SHA-512, not with the salted ``hash()``).

    Examples
    --------
    >>> stream(2024, "needs").random() == stream(2024, "needs").random()
    True
    """
    return random.Random("jakala:" + ":".join(str(p) for p in (seed, *parts)))

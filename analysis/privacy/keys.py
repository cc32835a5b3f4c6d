"""The pseudonym key: original identifiers → stable pseudonyms, kept apart in ``data/keys/``.

The key is the only place where an original name or code and its pseudonym meet. It
lives in ``data/keys/pseudonym_key.json`` (git-ignored, never read by notebooks, never
copied into outputs) and is written only by :meth:`PseudonymKey.save`.

Pseudonyms are stable: the same person keeps the same pseudonym when data are
re-ingested or new files are added, because a lookup finds the existing entry first
(case- and whitespace-insensitive). New people get a random free number, drawn from the
operating system's generator, never equal to the number of their own raw code or label
nor to that of any other raw code given in ``avoid=`` (the codes of the same export).

Kinds of entries
----------------
``speaker``
    Speaker labels (``ST1``, ``Nuori 3``) and Teams/Zoom voice names (``Aino Korhonen``)
    of workshop transcripts. The pseudonym prefix comes from the role:
    ``facilitator`` → ``Fasilitaattori``, ``social_worker`` → ``ST``,
    ``social_counsellor`` → ``SO``, ``young_person`` → ``Nuori``,
    ``expert_by_experience`` → ``KA``, ``partner`` → ``Kumppani``,
    ``researcher`` → ``Tutkija``; the number is random (``"ST 27"``, ``"Nuori 14"``: two
    digits, more when half of them are used by a role) and shares no digits with the raw
    label (``ST1`` never becomes ``ST 1``, ``Nuori 3`` never ``Nuori 3``).
``respondent``
    Survey respondent codes → ``R4821``, ``R1307``, …: a random four-digit number (more
    digits when half of them are used), independent of the raw code and of the row order.
``writer``
    Diary writers (names or codes) → ``K517``, … (*kirjoittaja*; a random three-digit
    number).

Random pseudonyms stay stable because the key remembers them: re-ingesting finds the
existing entry. Deleting the key breaks every link back to the raw codes.

When an original looks like a person's name (``Aino Korhonen``, ``Korhonen Aino
(LapHA)``, ``aino.korhonen@lapha.fi``), its first name and surname become *known names*:
the redactor then replaces them, also inflected (``Ainolle``, ``Korhosen``), by the
person's pseudonym in brackets, e.g. ``[Nuori 2]``.

A user-maintained ``data/keys/names.yaml`` adds other names (third persons mentioned in
the data) that are replaced by ``[nimi]``, or by their own ``pseudonym`` if given::

    names:
      - Matti Meikäläinen
      - Liisa
      - {name: Pekka Pouta, pseudonym: Pekka P.}
      - {name: Simo, pseudonym: kunta}        # any term → [kunta]
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from analysis.errors import ConfigError, DataError, LeakError

__all__ = [
    "KEY_FILENAME",
    "NAMES_FILENAME",
    "ROLE_PREFIXES",
    "KIND_FORMATS",
    "PseudonymKey",
    "normalise_original",
    "names_from_original",
]

KEY_FILENAME = "pseudonym_key.json"
NAMES_FILENAME = "names.yaml"
_FORMAT_VERSION = 1

#: Speaker role → pseudonym prefix (docs/architecture.md).
ROLE_PREFIXES: dict[str, str] = {
    "facilitator": "Fasilitaattori",
    "social_worker": "ST",
    "social_counsellor": "SO",
    "young_person": "Nuori",
    "expert_by_experience": "KA",
    "partner": "Kumppani",
    "researcher": "Tutkija",
}

#: Kind → (prefix, format) for kinds without roles.
KIND_FORMATS: dict[str, tuple[str, str]] = {
    "respondent": ("R", "{prefix}{number:04d}"),
    "writer": ("K", "{prefix}{number:03d}"),
}
#: Kind → (smallest, largest) random number of a new pseudonym; the range grows tenfold
#: when half of it is used (for speakers: by the pseudonyms of one role prefix).
_RANDOM_RANGES: dict[str, tuple[int, int]] = {"respondent": (1000, 9999), "writer": (100, 999),
                                              "speaker": (10, 99)}

_KINDS = ("speaker", *KIND_FORMATS)

#: Words that make an original a label rather than a person's name.
_LABEL_WORDS = {
    "fasilitaattori", "nuori", "st", "so", "ka", "kumppani", "tutkija", "h", "haastattelija",
    "sosiaalityöntekijä", "sosiaaliohjaaja", "kokemusasiantuntija", "kehittäjäasiakas",
    "puhuja", "osallistuja", "vieras", "speaker", "participant", "guest", "unknown",
    "tuntematon", "moderaattori", "ohjaaja", "kouluttaja", "asiantuntija", "kaikki",
    "useampi", "facilitator", "researcher", "interviewer",
}
_NAME_TOKEN = re.compile(r"[A-ZÅÄÖÜÉ][a-zåäöüé]+(?:-[A-ZÅÄÖÜÉ][a-zåäöüé]+)?")


def normalise_original(original: str) -> str:
    """Normalise an original for lookup: case-folded, whitespace collapsed.

    Examples
    --------
    >>> normalise_original("  Aino   KORHONEN ")
    'aino korhonen'
    """
    return " ".join(str(original).split()).casefold()


def names_from_original(original: str) -> list[str]:
    """Return the personal-name parts of an original, or ``[]`` for labels and codes.

    ``"Aino Korhonen"`` → ``["Aino Korhonen", "Aino", "Korhonen"]``;
    ``"Korhonen Aino (LapHA)"`` → ``["Korhonen Aino", "Korhonen", "Aino"]``;
    ``"aino.korhonen@lapha.fi"`` → ``["Aino Korhonen", "Aino", "Korhonen"]``;
    ``"ST1"``, ``"Nuori 3"``, ``"R-17"`` → ``[]``.

    Examples
    --------
    >>> names_from_original("Jere Virtanen")
    ['Jere Virtanen', 'Jere', 'Virtanen']
    >>> names_from_original("SO2")
    []
    """
    text = str(original).strip()
    if "@" in text:  # a voice name given as an e-mail address
        local = text.split("@", 1)[0]
        text = " ".join(part.capitalize() for part in re.split(r"[._]+", local) if part)
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text)  # "(LapHA)", "[Vieras]"
    tokens = text.replace(",", " ").split()
    if not tokens or len(tokens) > 4:
        return []
    initials = [t for t in tokens if re.fullmatch(r"[A-ZÅÄÖ]\.?", t)]
    parts = [t for t in tokens if t not in initials]
    if not parts or any(not _NAME_TOKEN.fullmatch(token) for token in parts):
        return []
    if any(token.casefold() in _LABEL_WORDS for token in parts):
        return []
    tokens = parts
    full = " ".join(tokens)
    return [full, *parts] if len(parts) > 1 else parts


@dataclass
class _Entry:
    kind: str
    original: str
    pseudonym: str
    role: str | None = None
    names: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "original": self.original, "role": self.role,
                "pseudonym": self.pseudonym, "names": list(self.names)}


class PseudonymKey:
    """The pseudonym key store of one workspace.

    Parameters
    ----------
    keys_dir : Path
        The key folder, normally ``Workspace.keys`` (``data/keys``).

    Examples
    --------
    >>> import tempfile
    >>> key = PseudonymKey.load(Path(tempfile.mkdtemp()))
    >>> aino = key.pseudonym("speaker", "Aino Korhonen", role="young_person")
    >>> re.fullmatch(r"Nuori \\d{2}", aino) is not None     # random: e.g. 'Nuori 14'
    True
    >>> key.pseudonym("speaker", "aino  korhonen", role="young_person") == aino
    True
    >>> key.pseudonym("speaker", "ST1", role="social_worker") != "ST 1"
    True
    >>> key.pseudonym("respondent", "4711") == key.pseudonym("respondent", "4711")
    True
    >>> key.known_names()["Aino"] == aino
    True
    """

    def __init__(self, keys_dir: str | Path) -> None:
        self.keys_dir = Path(keys_dir)
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._extra_names: list[tuple[str, str]] = []  # (name, label) from names.yaml
        #: Increases whenever entries or names change (redactors recompile on change).
        self.revision = 0

    # ------------------------------------------------------------------ files
    @property
    def path(self) -> Path:
        """``data/keys/pseudonym_key.json``."""
        return self.keys_dir / KEY_FILENAME

    @property
    def names_path(self) -> Path:
        """``data/keys/names.yaml`` (user-maintained list of other names)."""
        return self.keys_dir / NAMES_FILENAME

    @classmethod
    def load(cls, keys_dir: str | Path) -> "PseudonymKey":
        """Load the key (and ``names.yaml``) from ``keys_dir``; empty if not there yet.

        Raises
        ------
        DataError
            If ``pseudonym_key.json`` is not a valid key file.
        ConfigError
            If ``names.yaml`` is malformed.
        """
        key = cls(keys_dir)
        if key.path.is_file():
            key._read_key()
        if key.names_path.is_file():
            key._read_names()
        return key

    def _read_key(self) -> None:
        hint = "Restore the key from its backup; do not edit it by hand."
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DataError(f"the pseudonym key cannot be read ({exc.__class__.__name__})",
                            file=self.path, hint=hint) from None
        if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
            raise DataError("the pseudonym key has no 'entries' list", file=self.path, hint=hint)
        for number, item in enumerate(data["entries"], start=1):
            try:
                entry = _Entry(kind=str(item["kind"]), original=str(item["original"]),
                               pseudonym=str(item["pseudonym"]), role=item.get("role"),
                               names=[str(n) for n in item.get("names") or []])
            except (KeyError, TypeError):
                raise DataError("entry lacks 'kind', 'original' or 'pseudonym'", file=self.path,
                                location=f"entry {number}", hint=hint) from None
            self._entries[(entry.kind, normalise_original(entry.original))] = entry

    def _read_names(self) -> None:
        hint = ("Write names.yaml as 'names:' followed by a list of names or of "
                "{name: ..., pseudonym: ...} entries.")
        try:
            data = yaml.safe_load(self.names_path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            line = getattr(getattr(exc, "problem_mark", None), "line", None)
            raise ConfigError("names.yaml is not valid YAML", file=self.names_path,
                              location=f"line {line + 1}" if line is not None else None,
                              hint=hint) from None
        if data is None:
            return
        if not isinstance(data, dict) or not isinstance(data.get("names", []), list):
            raise ConfigError("expected a key 'names' holding a list", file=self.names_path,
                              location="key 'names'", hint=hint)
        for number, item in enumerate(data.get("names") or []):
            location = f"key 'names[{number}]'"
            if isinstance(item, str):
                name, label = item, "nimi"
            elif isinstance(item, dict) and isinstance(item.get("name"), str):
                name, label = item["name"], str(item.get("pseudonym") or "nimi")
            else:
                raise ConfigError("each entry must be a name or {name:, pseudonym:}",
                                  file=self.names_path, location=location, hint=hint)
            name = " ".join(name.split())
            if not name:
                raise ConfigError("empty name", file=self.names_path, location=location, hint=hint)
            label = label.strip().strip("[]").strip() or "nimi"
            parts = name.split()
            for form in ([name, *parts] if len(parts) > 1 else parts):
                self._extra_names.append((form, label))
        self.revision += 1

    def save(self) -> Path:
        """Write the key atomically (temporary file + ``os.replace``) to :attr:`path`.

        The folder is created when missing (mode 0700, file mode 0600). If the folder is
        inside a git work tree and not git-ignored, nothing is written.

        Raises
        ------
        LeakError
            If the key folder would be tracked by git.
        """
        self.keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        _refuse_tracked_location(self.keys_dir)
        payload = {
            "format": _FORMAT_VERSION,
            "warning": ("CONFIDENTIAL pseudonym key of the Jäkälä workspace. Never copy, "
                        "commit or share. Delete at the end of the project to anonymise."),
            "entries": [entry.to_json() for _, entry in sorted(self._entries.items())],
        }
        fd, tmp_name = tempfile.mkstemp(prefix=".pseudonym_key.", suffix=".tmp", dir=self.keys_dir)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(payload, handle, ensure_ascii=False, indent=1)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp_name, 0o600)
            os.replace(tmp_name, self.path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return self.path

    # --------------------------------------------------------------- lookups
    def pseudonym(self, kind: str, original: str, role: str | None = None,
                  names: Iterable[str] | None = None, avoid: Iterable[str] = ()) -> str:
        """Return the stable pseudonym of ``original``, creating one when new.

        Parameters
        ----------
        kind : {"speaker", "respondent", "writer"}
            What the original is.
        original : str
            Speaker label, voice name, respondent code or writer name/code.
        role : str, optional
            Required for new speakers: one of :data:`ROLE_PREFIXES`. An existing entry
            keeps its pseudonym even if a later call gives another role.
        names : iterable of str, optional
            Personal names of this person to redact in text, in addition to those
            detected in ``original`` by :func:`names_from_original`.
        avoid : iterable of str, optional
            Raw codes or labels whose numbers a new random pseudonym must not have (e.g.
            every code of the export or every speaker label of the transcript being
            read), so no pseudonym looks like another person's raw code.

        Returns
        -------
        str
            ``"Nuori 14"``, ``"R4821"``, ``"K517"``.

        Raises
        ------
        DataError
            For an unknown kind or role, or an empty original.
        """
        if kind not in _KINDS:
            raise DataError(f"unknown pseudonym kind {kind!r}", location="pseudonym()",
                            hint=f"Use one of: {', '.join(_KINDS)}.")
        if original is None or not str(original).strip():
            raise DataError(f"empty {kind} identifier", location="pseudonym()",
                            hint="Fill in the missing speaker, respondent or writer code.")
        original = " ".join(str(original).split())
        lookup = (kind, normalise_original(original))
        extra = [" ".join(str(n).split()) for n in (names or []) if str(n).strip()]
        entry = self._entries.get(lookup)
        if entry is not None:
            new = [n for n in extra if n not in entry.names]
            if new:
                entry.names.extend(new)
                self.revision += 1
            return entry.pseudonym
        pseudonym = self._next_pseudonym(kind, role, original, avoid)
        found = names_from_original(original)
        all_names = list(dict.fromkeys([*found, *extra]))
        self._entries[lookup] = _Entry(kind, original, pseudonym, role, all_names)
        self._taken_added(kind, pseudonym)
        self.revision += 1
        return pseudonym

    def ensure(self, original: str, pseudonym: str, kind: str = "speaker",
               role: str | None = None) -> str:
        """Register ``original`` with a given ``pseudonym`` (e.g. restored from a cache).

        An existing entry must agree; a new one is added as is (its names become known
        names). Returns the pseudonym.

        Raises
        ------
        DataError
            If ``original`` already has another pseudonym, or ``pseudonym`` is taken.
        """
        if kind not in _KINDS:
            raise DataError(f"unknown pseudonym kind {kind!r}", location="ensure()",
                            hint=f"Use one of: {', '.join(_KINDS)}.")
        original = " ".join(str(original).split())
        lookup = (kind, normalise_original(original))
        entry = self._entries.get(lookup)
        if entry is not None:
            if entry.pseudonym != pseudonym:
                raise DataError(f"the key gives this {kind} the pseudonym {entry.pseudonym!r}, "
                                f"not {pseudonym!r}", file=self.path, location="ensure()",
                                hint="Re-ingest without the cache (jakala ingest --force).")
            return pseudonym
        if any(e.pseudonym == pseudonym and e.kind == kind for e in self._entries.values()):
            raise DataError(f"pseudonym {pseudonym!r} already belongs to another {kind}",
                            file=self.path, location="ensure()",
                            hint="Re-ingest without the cache (jakala ingest --force).")
        self._entries[lookup] = _Entry(kind, original, pseudonym, role, names_from_original(original))
        self.revision += 1
        return pseudonym

    def add_name(self, name: str, label: str | None = None) -> None:
        """Add a name to redact for this session only (not saved), e.g. from the manifest.

        ``"Matti Meikäläinen"`` adds the full name, ``Matti`` and ``Meikäläinen``; they are
        replaced by ``[label]`` (default ``[nimi]``). Use ``names.yaml`` for names that
        should be remembered.
        """
        name = " ".join(str(name).split())
        if not name:
            return
        label = (label or "nimi").strip().strip("[]").strip() or "nimi"
        parts = name.split()
        for form in ([name, *parts] if len(parts) > 1 else parts):
            if (form, label) not in self._extra_names:
                self._extra_names.append((form, label))
        self.revision += 1

    def entries(self, kind: str | None = None) -> list[tuple[str, str]]:
        """``(original, pseudonym)`` pairs, sorted by pseudonym.

        CONFIDENTIAL: the originals must never be written anywhere but the key itself.
        """
        return sorted(((e.original, e.pseudonym) for e in self._entries.values()
                       if kind is None or e.kind == kind), key=lambda pair: (pair[1], pair[0]))

    def lookup(self, kind: str, original: str) -> str | None:
        """Return the existing pseudonym of ``original`` or None (never creates one)."""
        entry = self._entries.get((kind, normalise_original(original)))
        return entry.pseudonym if entry else None

    def _next_pseudonym(self, kind: str, role: str | None, original: str,
                        avoid: Iterable[str] = ()) -> str:
        # a random number, drawn from the operating system's generator: it shares nothing
        # with the raw code or label and says nothing about the row or order of the record
        # in the export (R001 → R4821, ST1 → ST 27, Nuori 3 → Nuori 14)
        if kind == "speaker":
            if role not in ROLE_PREFIXES:
                raise DataError(f"speaker {original!r} has unknown role {role!r}",
                                location="pseudonym()",
                                hint=f"Give one of: {', '.join(ROLE_PREFIXES)} in the manifest.")
            prefix, template = ROLE_PREFIXES[role], "{prefix} {number}"
            pattern = re.compile(rf"{re.escape(prefix)} (\d+)")
            taken = {e.pseudonym.casefold() for e in self._entries.values()
                     if e.kind == kind and pattern.fullmatch(e.pseudonym)}
        else:
            prefix, template = KIND_FORMATS[kind]
            taken = self._taken_of(kind)
        # the codes to avoid are the same collection for every code of one export: read it
        # once (for each respondent of a national survey it was read again: quadratic)
        held = self.__dict__.get("_avoid_held")
        if held is not None and held[0] is avoid and held[1] == len(avoid):
            avoided, avoided_numbers = held[2], held[3]
        else:
            codes = [str(a) for a in avoid]
            avoided = frozenset(normalise_original(a).rsplit(":", 1)[-1] for a in codes if a.strip())
            avoided_numbers = frozenset().union(*(_raw_numbers(r) for r in avoided))
            if isinstance(avoid, (list, tuple, dict, set, frozenset)):  # the same object next time
                self.__dict__["_avoid_held"] = (avoid, len(avoid), avoided, avoided_numbers)
        own = normalise_original(original).rsplit(":", 1)[-1]
        raw = {own, *avoided}
        forbidden = set(avoided_numbers) | _raw_numbers(own)
        low, high = _RANDOM_RANGES[kind]
        # more digits when half of the range is used (by pseudonyms or by the raw codes to avoid)
        while (len(taken) + sum(1 for f in forbidden if low <= int(f) <= high)) * 2 > high - low + 1:
            low, high = low * 10, high * 10 + 9
        draw = secrets.SystemRandom()
        while True:
            number = draw.randint(low, high)
            candidate = template.format(prefix=prefix, number=number)
            if (candidate.casefold() not in taken and candidate.casefold() not in raw
                    and str(number) not in forbidden):
                return candidate

    def _taken_of(self, kind: str) -> set[str]:
        """The pseudonyms (case-folded) of ``kind`` in use, kept up to date as :meth:`pseudonym` adds them."""
        cache = self.__dict__.setdefault("_taken_cache", {})
        held = cache.get(kind)
        if held is None or held[0] != len(self._entries):  # entries added another way: count again
            held = cache[kind] = [len(self._entries),
                                  {e.pseudonym.casefold() for e in self._entries.values() if e.kind == kind}]
        return held[1]

    def _taken_added(self, kind: str, pseudonym: str) -> None:
        held = self.__dict__.get("_taken_cache", {}).get(kind)
        if held is not None and held[0] == len(self._entries) - 1:
            held[0] += 1
            held[1].add(pseudonym.casefold())

    def known_names(self) -> dict[str, str]:
        """Return every known personal name → its replacement label (without brackets).

        Names of key entries map to the person's pseudonym (``"Aino"`` → ``"Nuori 2"``),
        names from ``names.yaml`` to their pseudonym or ``"nimi"``. An original known as
        both speaker and writer is one person (the speaker pseudonym is used). A name
        shared by different people maps to ``"nimi"``. Sorted by name.
        """
        labels: dict[str, set[str]] = {}
        # the same original under several kinds (a speaker who also writes the diary) is
        # one person: the speaker pseudonym wins, then writer, then respondent
        person_label: dict[str, str] = {}
        for entry in sorted(self._entries.values(), key=lambda e: _KINDS.index(e.kind), reverse=True):
            person_label[normalise_original(entry.original)] = entry.pseudonym
        for entry in self._entries.values():
            label = person_label[normalise_original(entry.original)]
            for name in entry.names:
                labels.setdefault(name, set()).add(label)
        for name, label in self._extra_names:
            labels.setdefault(name, set()).add(label)
        return {name: (next(iter(found)) if len(found) == 1 else "nimi")
                for name, found in sorted(labels.items())}

    def pseudonyms(self) -> list[str]:
        """All pseudonyms in use, sorted (safe to show: contains no originals)."""
        return sorted({entry.pseudonym for entry in self._entries.values()})

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:  # never show originals
        return f"PseudonymKey({str(self.keys_dir)!r}, entries={len(self)})"


def _raw_numbers(raw: str) -> set[str]:
    """The numbers a raw code or label carries, without leading zeros.

    Every run of digits and all its digits together: a pseudonym with one of these
    numbers would share it with the raw code.

    Examples
    --------
    >>> sorted(_raw_numbers("st1")), sorted(_raw_numbers("r-0017")), sorted(_raw_numbers("nuori 3b-2"))
    (['1'], ['17'], ['2', '3', '32'])
    """
    groups = [g.lstrip("0") or "0" for g in re.findall(r"\d+", raw)]
    joined = re.sub(r"\D", "", raw).lstrip("0") or ("0" if groups else "")
    return {*groups, joined} - {""}


def _refuse_tracked_location(folder: Path) -> None:
    """Raise LeakError if ``folder`` is inside a git work tree and not git-ignored."""
    folder = folder.resolve()
    if not any((parent / ".git").exists() for parent in (folder, *folder.parents)):
        return
    probe = folder / KEY_FILENAME
    try:
        result = subprocess.run(["git", "check-ignore", "-q", str(probe)], cwd=folder,
                                capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return  # no git available: nothing could commit the key either
    if result.returncode == 1:
        raise LeakError("the pseudonym key folder is inside a git repository and not ignored",
                        file=folder, hint="Add it to .gitignore (data/keys/) or keep the key "
                        "outside the repository.")

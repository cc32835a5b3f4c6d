"""The data manifest (``data/raw/manifest.yaml``): which raw files there are and what they are.

:func:`load_manifest` reads and checks it into a :class:`Manifest` of :class:`Source`
entries (surveys, workshops, diaries), with the names to redact and the data
description for the report. The layout is in ``docs/architecture.md``.

Examples
--------
>>> _parse_iso_date("14.5.2024", file=Path("manifest.yaml"), where="workshops[0].date")
'2024-05-14'
>>> _parse_iso_date(date(2024, 5, 14), file=Path("manifest.yaml"), where="workshops[0].date")
'2024-05-14'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from analysis.config import load_config
from analysis.errors import ConfigError, DataError
from analysis.privacy.keys import ROLE_PREFIXES
from analysis.vocabulary import WORK_PACKAGES
from analysis.workspace import Workspace

SPEAKER_ROLES = tuple(ROLE_PREFIXES)  # the roles the pseudonym key knows
WAVES = ("baseline", "followup", "single")


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

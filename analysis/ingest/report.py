"""What an ingestion did (:class:`IngestReport`) and the warning for a large quarantine."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis.config import load_config
from analysis.workspace import Workspace


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
        """Readable summary: one line per source (at most ``max_sources``), notes grouped.

        Examples
        --------
        >>> report = IngestReport(Path("data/processed"), tables={"respondents": 2, "quarantine": 1}, seconds=1.25,
        ...                       lemmatiser="simplemma 1.1")
        >>> report.sources = [
        ...     {"id": "needs", "kind": "survey", "rows": 2, "quarantined": 1, "file": "surveys/a.csv",
        ...      "notes": ["column not in the instrument (not used): x"]},
        ...     {"id": "W01", "kind": "workshop", "rows": 40, "cached": True, "file": "workshops/w01.txt"}]
        >>> for line in report.summary_lines():
        ...     print(line)
        Ingested 2 source(s) in 1.2 s (lemmatiser: simplemma 1.1):
          needs                      survey         2 rows, 1 quarantined  surveys/a.csv
          W01                        workshop      40 rows (cached)  workshops/w01.txt
          note (needs): column not in the instrument (not used): x
        Tables in data/processed: respondents 2, quarantine 1
        1 row(s) quarantined with their reason: see notebooks/00_data_quality.ipynb
        """
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


def quarantine_share_limit(ws: Workspace) -> float:
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

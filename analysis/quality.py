"""Data quality: what was ingested, what is missing, what was quarantined and why.

Functions take the processed tables (and ``ingest_report.json``) and return tidy
DataFrames; :func:`plot_missingness` returns a matplotlib Figure.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

_LABELS = {
    "fi": {
        "source": "Lähde", "kind": "Tyyppi", "file": "Tiedosto", "rows": "Rivejä", "quarantined": "Karanteenissa",
        "item": "Kysymys", "wave": "Aalto", "n": "n", "missing": "Puuttuvia", "missing_share": "Puuttuvia (%)",
        "dont_know": "En osaa sanoa", "reason": "Syy", "count": "Lukumäärä", "survey": "kysely",
        "workshop": "työpaja", "diary": "päiväkirja", "baseline": "alkukartoitus", "followup": "loppukartoitus",
        "single": "kertakysely", "xlabel": "Puuttuvien vastausten osuus (%)",
    },
    "en": {
        "source": "Source", "kind": "Kind", "file": "File", "rows": "Rows", "quarantined": "Quarantined",
        "item": "Item", "wave": "Wave", "n": "n", "missing": "Missing", "missing_share": "Missing (%)",
        "dont_know": "Don't know", "reason": "Reason", "count": "Count", "survey": "survey",
        "workshop": "workshop", "diary": "diary", "baseline": "baseline", "followup": "follow-up",
        "single": "single wave", "xlabel": "Share of missing answers (%)",
    },
}  # fmt: skip


def labels(language: str = "fi") -> dict[str, str]:
    """User-facing labels in Finnish (``fi``) or English (``en``)."""
    if language not in _LABELS:
        raise ValueError(f"language must be 'fi' or 'en', got {language!r}")
    from analysis.vocabulary import vocabulary  # coded values (waves, kinds of data) from config/vocabulary.yaml

    vocab = vocabulary()
    return {**_LABELS[language], **{k: vocab.label(k, language) for k in _LABELS[language] if vocab.has(k) and k in
                                    ("baseline", "followup", "single", "survey", "workshop", "diary")}}


def read_ingest_report(processed: Path) -> dict:
    """The ``ingest_report.json`` written by :func:`analysis.ingest.ingest`."""
    return json.loads((Path(processed) / "ingest_report.json").read_text(encoding="utf-8"))


def source_summary(report: dict) -> pd.DataFrame:
    """One row per ingested source: id, kind, file, rows, quarantined rows.

    Examples
    --------
    >>> source_summary({"sources": [{"id": "a", "kind": "survey", "file": "a.xlsx", "rows": 3, "quarantined": 1}]})
      source    kind    file  rows  quarantined
    0      a  survey  a.xlsx     3            1
    """
    rows = [
        {"source": s["id"], "kind": s["kind"], "file": s["file"], "rows": int(s["rows"]),
         "quarantined": int(s.get("quarantined", 0))}
        for s in report.get("sources", [])
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["source", "kind", "file", "rows", "quarantined"])


def reader_notes(report: dict) -> pd.DataFrame:
    """What the readers noted per source (skipped title rows, unused columns, padded lines).

    Examples
    --------
    >>> reader_notes({"sources": [{"id": "a", "notes": ["column not in the instrument (not used): X"]}]})
      source                                        note
    0      a  column not in the instrument (not used): X
    """
    rows = [{"source": s["id"], "note": note} for s in report.get("sources", []) for note in s.get("notes", [])]
    return pd.DataFrame(rows, columns=["source", "note"])


def missingness_by_survey(responses: pd.DataFrame) -> pd.DataFrame:
    """Missing answers per survey, wave and item, as the data-quality overview shows them.

    The counts are those of :func:`analysis.survey.summary.missingness` grouped by
    survey and wave; here the missing answers of every kind are summed and their
    share is a percentage.

    Parameters
    ----------
    responses : DataFrame
        The long ``survey_responses`` table (``value`` NaN when missing; ``missing``
        says why: ``dont_know``, ``missing_code`` or ``empty``).

    Returns
    -------
    DataFrame
        Columns ``survey_id, wave, item, n, missing, dont_know, missing_share`` where
        ``missing_share`` is a percentage of ``n`` (all respondents of that wave).
    """
    from analysis.survey.summary import missingness

    table = missingness(responses, by=("survey_id", "wave"))
    out = table[["survey_id", "wave", "item", "n"]].assign(missing=table["n"] - table["n_valid"],
                                                           dont_know=table["n_dont_know"])
    out["missing_share"] = (100 * out["missing"] / out["n"]).round(1)
    return out.reset_index(drop=True)


def quarantine_summary(quarantine: pd.DataFrame) -> pd.DataFrame:
    """Quarantined rows per source and kind of reason (the reason's text before ':')."""
    if quarantine.empty:
        return pd.DataFrame(columns=["source_id", "reason", "count"])
    kind = quarantine["reason"].astype(str).str.split(":", n=1).str[0].str.strip()
    return (
        quarantine.assign(reason=kind)
        .groupby(["source_id", "reason"], sort=True)
        .size()
        .rename("count")
        .reset_index()
    )


def plot_missingness(table: pd.DataFrame, *, language: str = "fi", survey_id: str | None = None) -> plt.Figure:
    """Horizontal bars: share of missing answers per item, one colour per wave."""
    from analysis.findings.style import apply_style, palette_for

    apply_style()
    lab = labels(language)
    data = table if survey_id is None else table[table["survey_id"] == survey_id]
    waves = list(dict.fromkeys(data["wave"]))
    items = sorted(data["item"].unique())
    colours = palette_for(waves)
    height = max(2.5, 0.28 * len(items) * max(1, len(waves)) + 1.0)
    fig, ax = plt.subplots(figsize=(16 / 2.54, min(height, 22 / 2.54)))
    bar_h = 0.8 / max(1, len(waves))
    for j, wave in enumerate(waves):
        sub = data[data["wave"] == wave].set_index("item").reindex(items)
        ax.barh([i + j * bar_h for i in range(len(items))], sub["missing_share"].fillna(0), height=bar_h,
                color=colours[wave], label=lab.get(wave, wave))  # fmt: skip
    from analysis.vocabulary import vocabulary  # item ids in words where the vocabulary has them (need_housing)

    ax.set_yticks([i + bar_h * (len(waves) - 1) / 2 for i in range(len(items))],
                  [vocabulary().label(item, language) for item in items])
    ax.invert_yaxis()
    ax.set_xlabel(lab["xlabel"])
    ax.legend(frameon=False, loc="lower right")
    fig.tight_layout()
    return fig

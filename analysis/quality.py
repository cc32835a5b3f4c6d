"""Data quality: what was ingested, what is missing, what was quarantined and why.

Functions take the processed tables (and ``ingest_report.json``) and return tidy
DataFrames; :func:`plot_missingness` draws into ``ax=`` (a new figure without it) and
returns the Axes, and :func:`missingness_figure_data` gives the counts it draws.
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


def missingness_figure_data(table: pd.DataFrame, *, survey_id: str | None = None, min_n: int = 0) -> pd.DataFrame:
    """The counts :func:`plot_missingness` draws, for the disclosure audit (``reg.figure(data=...)``).

    A bar is the share of missing answers of an item in a wave; with the number of
    respondents of the wave (``n``, published with the sources) it is a count. Counts of
    1…``min_n``-1 missing answers are not drawn and appear as ``"<k"``.

    Parameters
    ----------
    table : DataFrame
        From :func:`missingness`.
    survey_id : str, optional
        Only this survey (as :func:`plot_missingness`).
    min_n : int, default 0
        The small-cell limit k.

    Returns
    -------
    DataFrame
        ``survey_id, wave, item, n, n_missing``.

    Examples
    --------
    >>> miss = pd.DataFrame({"survey_id": "s", "wave": "baseline", "item": ["a", "b"], "n": [40, 40],
    ...                      "missing": [2, 9], "dont_know": [0, 1], "missing_share": [5.0, 22.5]})
    >>> missingness_figure_data(miss, min_n=5)["n_missing"].tolist()
    ['<5', 9]
    """
    data = table if survey_id is None else table[table["survey_id"] == survey_id]
    out = data[["survey_id", "wave", "item", "n", "missing"]].rename(columns={"missing": "n_missing"})
    out = out.reset_index(drop=True).astype({"n_missing": object})
    if min_n:
        small = out["n_missing"].map(lambda v: 0 < v < min_n)
        out.loc[small, "n_missing"] = f"<{min_n}"
    return out


def plot_missingness(table: pd.DataFrame, *, language: str = "fi", survey_id: str | None = None, min_n: int = 0,
                     ax: plt.Axes | None = None) -> plt.Axes:
    """Horizontal bars: share of missing answers per item, one colour per wave.

    Parameters
    ----------
    table : DataFrame
        From :func:`missingness`.
    language : {"fi", "en"}
    survey_id : str, optional
        Only this survey.
    min_n : int, default 0
        The small-cell limit k: an item with 1…k-1 missing answers in a wave has no bar
        there; ``"<k"`` is printed in its place (:func:`missingness_figure_data` gives
        what is drawn).
    ax : matplotlib Axes, optional
        Draw into this Axes. Default: a new figure of print width whose height fits the
        items, in the report style.

    Returns
    -------
    Axes
    """
    from analysis.findings.style import apply_style, palette_for

    lab = labels(language)
    data = table if survey_id is None else table[table["survey_id"] == survey_id]
    if min_n:
        drawn = missingness_figure_data(data, min_n=min_n)["n_missing"]
        data = data.assign(missing_share=data["missing_share"].where(~drawn.map(lambda v: isinstance(v, str)).to_numpy()),
                           _marker=drawn.where(drawn.map(lambda v: isinstance(v, str)), "").to_numpy())
    waves = list(dict.fromkeys(data["wave"]))
    items = sorted(data["item"].unique())
    colours = palette_for(waves)
    height = max(2.5, 0.28 * len(items) * max(1, len(waves)) + 1.0)
    own = ax is None
    if own:
        apply_style()
        fig, ax = plt.subplots(figsize=(16 / 2.54, min(height, 22 / 2.54)))
    bar_h = 0.8 / max(1, len(waves))
    for j, wave in enumerate(waves):
        sub = data[data["wave"] == wave].set_index("item").reindex(items)
        ys = [i + j * bar_h for i in range(len(items))]
        ax.barh(ys, sub["missing_share"].fillna(0), height=bar_h,
                color=colours[wave], label=lab.get(wave, wave))  # fmt: skip
        if min_n:  # a small count is not drawn: its marker stands in its place
            for y, marker in zip(ys, sub["_marker"].fillna("")):
                if marker:
                    ax.annotate(marker, (0, y), xytext=(2, 0), textcoords="offset points", va="center", ha="left",
                                fontsize=6, color="#555555")
    from analysis.vocabulary import vocabulary  # item ids in words where the vocabulary has them (need_housing)

    ax.set_yticks([i + bar_h * (len(waves) - 1) / 2 for i in range(len(items))],
                  [vocabulary().label(item, language) for item in items])
    ax.invert_yaxis()
    ax.set_xlabel(lab["xlabel"])
    ax.legend(frameon=False, loc="lower right")
    if own:
        fig.tight_layout()
    return ax

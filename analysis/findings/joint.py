"""Joint displays: survey results and qualitative themes side by side (mixed methods).

Driven by ``config/joint_displays.yaml``: for every theme it takes the survey change of
the matching scale (run ``survey``, table ``scale_change``), the prevalence of the
theme's codes in the workshops (``code_frequencies``), the direction and first/last
quarter share in the diaries (``code_trend``, ``code_timeline``) and one or two
quotations registered with that code. Everything is read from the published tables of
the registries, so the joint display shows exactly what was published, small-cell
suppression included. A missing part becomes "ei aineistoa" / "no data".

Examples
--------
>>> cfg = load_joint_config(Workspace.discover().resolve_config("config/joint_displays.yaml"))
>>> [t["id"] for t in cfg["themes"]][:2]
['roles', 'peer_support']
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from analysis.config import load_config
from analysis.errors import ConfigError
from analysis.findings import style
from analysis.findings.registry import RunFindings, read_published_table
from analysis.workspace import Workspace

#: Words of the joint display in both languages.
TEXT = {
    "no_data": {"fi": "ei aineistoa", "en": "no data"},
    "no_scale": {"fi": "ei kyselymittaria", "en": "no survey measure"},
    "suppressed": {"fi": "peitetty (pieni n)", "en": "suppressed (small n)"},
    "segments": {"fi": "segmenttiä", "en": "segments"},
    "pairs": {"fi": "paria", "en": "pairs"},
    "effect": {"fi": "vaikutuskoko", "en": "effect size"},
    "ci": {"fi": "95 %:n LV", "en": "95% CI"},
    "p_adj": {"fi": "p (korj.)", "en": "p (adj.)"},
    "theme": {"fi": "Teema", "en": "Theme"},
    "work_package": {"fi": "Työpaketti", "en": "Work package"},
    "survey": {"fi": "Kysely: muutos", "en": "Survey: change"},
    "prevalence": {"fi": "Työpajat: esiintyvyys", "en": "Workshops: prevalence"},
    "trend": {"fi": "Päiväkirjat: kehitys", "en": "Diaries: trend"},
    "quotes": {"fi": "Sitaatit", "en": "Quotations"},
}

#: Trend directions as written by the diaries run, in both languages.
DIRECTIONS = {
    "increasing": {"fi": "kasvava", "en": "increasing"},
    "increase": {"fi": "kasvava", "en": "increasing"},
    "up": {"fi": "kasvava", "en": "increasing"},
    "decreasing": {"fi": "laskeva", "en": "decreasing"},
    "decrease": {"fi": "laskeva", "en": "decreasing"},
    "down": {"fi": "laskeva", "en": "decreasing"},
    "stable": {"fi": "ei selvää muutosta", "en": "no clear change"},
    "none": {"fi": "ei selvää muutosta", "en": "no clear change"},
    "no_trend": {"fi": "ei selvää muutosta", "en": "no clear change"},
}


def load_joint_config(path: str | Path) -> dict:
    """Read and check ``config/joint_displays.yaml``.

    Raises
    ------
    ConfigError
        Naming the file and key of a missing or wrong entry.
    """
    path = Path(path)
    data = load_config(path, "joint_displays")
    max_quotes = data.get("max_quotes", 2)
    sources = data.get("sources") or {}
    themes = data["themes"]
    seen = set()
    for i, theme in enumerate(themes):
        theme_id = theme["id"]
        if theme_id in seen:
            raise ConfigError(f"theme id '{theme_id}' appears twice", file=path, location=f"themes[{i}]")
        seen.add(theme_id)
        theme["codes"] = theme.get("codes") or [theme_id]
    return {
        "caption": data.get("caption") or {"fi": "Yhdistetty tarkastelu", "en": "Joint display"},
        "notes": data.get("notes"),
        "max_quotes": max_quotes,
        "sources": sources,
        "themes": themes,
    }


def _number(text: object) -> float | None:
    """Parse a published cell ("0.45", "12") into a float; None for blanks and "<k"."""
    if text is None:
        return None
    try:
        value = float(str(text).strip().replace(",", "."))
    except ValueError:
        return None
    return None if math.isnan(value) else value


def _is_suppressed(text: object) -> bool:
    return isinstance(text, str) and (text.strip().startswith("<") or text.strip() == "x")


def _find_table(runs: list[RunFindings], root: Path, source: dict | None) -> pd.DataFrame | None:
    if not source:
        return None
    for findings in runs:
        if findings.run == source["run"] and findings.status != "failed":
            item = findings.get("table", source["table"])
            if item is not None:
                return read_published_table(root, item)
    return None


def _fmt(value: float | None, language: str, decimals: int = 2) -> str:
    return style.format_number(value, language, decimals) if value is not None else "–"


def _survey_cell(table: pd.DataFrame | None, scale: str | None, language: str) -> str:
    if scale is None:
        return TEXT["no_scale"][language]
    if table is None or "scale" not in table.columns:
        return TEXT["no_data"][language]
    rows = table[table["scale"] == scale]
    if rows.empty:
        return TEXT["no_data"][language]
    row = rows.iloc[0]
    apa = str(row.get(f"apa_{language}", "") or "").strip()
    if _is_suppressed(row.get("n_pairs")):
        return f"n {row['n_pairs']} – {TEXT['suppressed'][language]}"
    if apa:
        return apa
    effect = _number(row.get("effect"))
    if effect is None:
        return TEXT["no_data"][language]
    parts = [f"{TEXT['effect'][language]} {_fmt(effect, language)}"]
    low, high = _number(row.get("ci_low")), _number(row.get("ci_high"))
    if low is not None and high is not None:
        parts[0] += f" [{TEXT['ci'][language]} {_fmt(low, language)}; {_fmt(high, language)}]"
    p_adj = _number(row.get("p_adjusted"))
    if p_adj is not None:
        parts.append(f"{TEXT['p_adj'][language]} = {_fmt(p_adj, language, 3)}")
    n_pairs = _number(row.get("n_pairs"))
    if n_pairs is not None:
        parts.append(f"n = {_fmt(n_pairs, language, 0)} {TEXT['pairs'][language]}")
    return "; ".join(parts)


def _theme_rows(table: pd.DataFrame, theme: dict) -> pd.DataFrame:
    if "code" not in table.columns:
        return table.iloc[0:0]
    own = table[table["code"] == theme["id"]]
    if not own.empty:
        return own
    return table[table["code"].isin(theme["codes"])]


def _prevalence_cell(table: pd.DataFrame | None, theme: dict, language: str) -> str:
    if table is None:
        return TEXT["no_data"][language]
    rows = _theme_rows(table, theme)
    if rows.empty:
        return TEXT["no_data"][language]
    n = sum(_number(v) or 0 for v in rows.get("n_segments", []))
    if "n_segments" in rows.columns and rows["n_segments"].map(_is_suppressed).any():
        # a suppressed count is at least 1 ("<k") or unknown ("x"): give a lower bound only
        at_least = int(n) + int(rows["n_segments"].map(lambda v: _is_suppressed(v) and v.strip() != "x").sum())
        if at_least == 0:
            return f"{rows['n_segments'].iloc[0]} {TEXT['segments'][language]}"
        return f"≥{style.format_number(at_least, language)} {TEXT['segments'][language]}"
    shares = [_number(v) for v in rows.get("share", [])]
    text = f"{style.format_number(int(n), language)} {TEXT['segments'][language]}"
    if shares and all(s is not None for s in shares):
        text += f" ({style.format_percent(min(sum(shares), 1.0), language)})"
    return text


def _trend_cell(trend: pd.DataFrame | None, timeline: pd.DataFrame | None, theme: dict, language: str) -> str:
    parts = []
    if trend is not None:
        rows = _theme_rows(trend, theme)
        if not rows.empty:
            row = rows.iloc[0]
            direction = str(row.get("direction", "")).strip()
            text = DIRECTIONS.get(direction.lower(), {}).get(language, direction) or TEXT["no_data"][language]
            p = _number(row.get("p"))
            if p is not None:
                text += f" (p = {_fmt(p, language, 3)})"
            parts.append(text)
    if timeline is not None and {"quarter", "share"} <= set(timeline.columns):
        rows = _theme_rows(timeline, theme)
        if not rows.empty:
            by_quarter = rows.groupby("quarter", sort=True)["share"].agg(
                lambda s: sum(_number(v) or 0 for v in s) if all(_number(v) is not None for v in s) else None
            )
            first, last = by_quarter.index[0], by_quarter.index[-1]

            def share(q):
                value = by_quarter[q]
                return TEXT["suppressed"][language] if value is None or pd.isna(value) else style.format_percent(value, language)

            parts.append(f"{share(first)} ({first}) → {share(last)} ({last})" if first != last else f"{share(first)} ({first})")
    return "; ".join(parts) if parts else TEXT["no_data"][language]


def build_joint_display(
    runs: list[RunFindings], root: str | Path | None = None, config: dict | str | Path | None = None
) -> pd.DataFrame:
    """Build the joint display: one row per theme, texts in both languages.

    Parameters
    ----------
    runs : list of RunFindings
        From :func:`analysis.findings.load_registries`.
    root : str or Path, optional
        Workspace root the registries' files are relative to.
    config : dict or path, optional
        A loaded config or the YAML path; default ``config/joint_displays.yaml``.

    Returns
    -------
    DataFrame
        Columns ``theme``, ``work_package``, ``label_fi``, ``label_en``, ``scale``,
        ``survey_fi``, ``survey_en``, ``prevalence_fi``, ``prevalence_en``, ``trend_fi``,
        ``trend_en`` and ``quotes`` (list of ``(run, quote id)``), in config order.
    """
    workspace = Workspace.discover(root=root)
    if config is None or isinstance(config, (str, Path)):
        config = load_joint_config(workspace.resolve_config(config or "config/joint_displays.yaml"))
    sources = config["sources"]
    tables = {key: _find_table(runs, workspace.root, sources.get(key)) for key in ("survey", "prevalence", "timeline", "trend")}
    quote_runs = sources.get("quotes_from")
    rows = []
    for theme in config["themes"]:
        codes = set(theme["codes"])
        quotes = [
            (findings.run, item["id"])
            for findings in runs
            if findings.status != "failed" and (quote_runs is None or findings.run in quote_runs)
            for item in findings.of_kind("quote")
            if item.get("code") in codes
        ][: config["max_quotes"]]
        row = {
            "theme": theme["id"],
            "work_package": theme.get("work_package") or "–",
            "label_fi": theme["label"]["fi"],
            "label_en": theme["label"]["en"],
            "scale": theme.get("scale"),
            "quotes": quotes,
        }
        for language in style.LANGUAGES:
            row[f"survey_{language}"] = _survey_cell(tables["survey"], theme.get("scale"), language)
            row[f"prevalence_{language}"] = _prevalence_cell(tables["prevalence"], theme, language)
            row[f"trend_{language}"] = _trend_cell(tables["trend"], tables["timeline"], theme, language)
        rows.append(row)
    return pd.DataFrame(rows)

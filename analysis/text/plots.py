"""Figures of the lexical and participation analyses (Finnish labels by default).

Every function takes a tidy DataFrame from :mod:`analysis.text.participation` or
:mod:`analysis.text.lexical` and draws in the report style (:mod:`analysis.findings.style`),
the seaborn way: a one-panel figure takes ``ax=`` and returns its
:class:`~matplotlib.axes.Axes` (a new figure of print width without it);
:func:`plot_top_lemmas`, one panel per group, takes ``axes=`` and returns the
:class:`~matplotlib.figure.Figure`. Nothing is shown or saved: publish ``ax.figure``.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import pandas as pd
>>> kd = pd.DataFrame({"lemma": ["asunto", "ryhmä"], "g2": [12.0, 8.0], "log_ratio": [2.0, -1.5],
...                    "direction": ["target", "reference"], "p": [0.001, 0.004]})
>>> ax = plot_keyness(kd, language="en")
>>> ax.get_xlabel()
'Keyness (log-likelihood G², signed)'
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from analysis.errors import DataError
from analysis.validation import require_columns
from analysis.findings import style

__all__ = ["LABELS", "plot_talk_share", "plot_keyness", "plot_top_lemmas", "plot_share_trend"]

LABELS: dict[str, dict[str, str]] = {
    "share_words": {"fi": "Osuus puheen sanoista", "en": "Share of words spoken"},
    "share_turns": {"fi": "Osuus puheenvuoroista", "en": "Share of turns"},
    "workshop": {"fi": "Työpaja", "en": "Workshop"},
    "role": {"fi": "Rooli", "en": "Role"},
    "g2": {"fi": "Avainsanaisuus (log-likelihood G², etumerkillinen)", "en": "Keyness (log-likelihood G², signed)"},
    "log_ratio": {"fi": "Log ratio (log₂ suhteellisten frekvenssien suhde)", "en": "Log ratio (log₂ of relative frequencies)"},
    "per_1000": {"fi": "Esiintymiä / 1 000 sanaa", "en": "Occurrences per 1,000 words"},
    "count": {"fi": "Esiintymiä", "en": "Occurrences"},
    "ci": {"fi": "95 %:n luottamusväli", "en": "95% confidence interval"},
    "young_share": {"fi": "Nuorten osuus sanoista", "en": "Young people's share of words"},
    "date": {"fi": "Päivämäärä", "en": "Date"},
    "target": {"fi": "kohderyhmä", "en": "target"},
    "reference": {"fi": "vertailuryhmä", "en": "reference"},
}


#: The most workshop names a figure writes along its axis (or beside its points); with more
#: workshops the bars are labelled every k-th one and the points of the trend not at all,
#: so a national data set (hundreds of workshops) gives a legible figure.
MAX_LABELS = 24


def _label_step(n: int) -> int:
    """Label every k-th of ``n`` items so that at most :data:`MAX_LABELS` are labelled.

    Examples
    --------
    >>> _label_step(7), _label_step(24), _label_step(25), _label_step(700)
    (1, 1, 2, 30)
    """
    return max(1, -(-n // MAX_LABELS))


def _label(key: str, language: str) -> str:
    if language not in ("fi", "en"):
        raise ValueError(f"language must be 'fi' or 'en', got {language!r}")
    return LABELS[key][language]


def _require(df: pd.DataFrame, columns, what: str) -> None:
    require_columns(df, columns, what, hint="Pass the output of the matching analysis.text function.")
    if df.empty:
        raise DataError(f"{what} is empty; nothing to plot", hint="Check the filters (work packages, dates).")


def plot_talk_share(participation: pd.DataFrame, shares: pd.DataFrame | None = None, *, value: str = "share_words",
                    language: str = "fi", role_order: list[str] | None = None, ax: Axes | None = None) -> Axes:
    """Stacked bars: each role's share of talk per workshop (+ the young people's CI).

    Parameters
    ----------
    participation : DataFrame
        Output of :func:`analysis.text.participation.participation`.
    shares : DataFrame, optional
        Output of :func:`analysis.text.participation.talk_share`; its ``ci_low`` /
        ``ci_high`` are drawn as error bars on the young people's segment (bottom).
    value : {"share_words", "share_turns"}
    language : {"fi", "en"}
    role_order : list of str, optional
        Stacking order from the bottom; young people first by default.
    ax : matplotlib Axes, optional
        Draw into this Axes. Default: a new figure of print width.

    Returns
    -------
    Axes
    """
    _require(participation, ["workshop_id", "speaker_role", value], "participation")
    wide = participation.pivot_table(index="workshop_id", columns="speaker_role", values=value, aggfunc="sum", fill_value=0.0)
    order_ws = list(shares["workshop_id"]) if shares is not None and "workshop_id" in shares else sorted(wide.index)
    order_ws = [w for w in order_ws if w in wide.index] + [w for w in sorted(wide.index) if w not in order_ws]
    wide = wide.loc[order_ws]
    from analysis.vocabulary import vocabulary

    roles = role_order or vocabulary().order(list(wide.columns), "roles")  # config/vocabulary.yaml: young people first
    colours = style.palette_for(roles)
    if ax is None:
        _, ax = style.new_figure("full", height_cm=8.0)
    x = np.arange(len(wide))
    bottom = np.zeros(len(wide))
    for role in roles:
        if role not in wide.columns:
            continue
        heights = wide[role].to_numpy(float)
        # one collection a role (drawn as ``ax.bar`` draws its bars): hundreds of workshops stay cheap to draw
        x0, x1 = x - 0.375, x + 0.375
        verts = np.stack([np.stack([x0, bottom], 1), np.stack([x1, bottom], 1),
                          np.stack([x1, bottom + heights], 1), np.stack([x0, bottom + heights], 1)], 1)
        ax.add_collection(PolyCollection(verts, facecolors=[colours[role]], edgecolors="none", linewidths=0,
                                         label=style.role_label(role, language)))
        bottom += heights
    if shares is not None and {"ci_low", "ci_high", "share"} <= set(shares.columns):
        s = shares.set_index("workshop_id").reindex(wide.index)
        base = wide[roles[0]].to_numpy(float) if roles and roles[0] in wide else s["share"].to_numpy(float)
        err = np.vstack([base - s["ci_low"].to_numpy(float), s["ci_high"].to_numpy(float) - base])
        many = len(wide) > MAX_LABELS  # hundreds of workshops: thin lines without caps, not a black mass
        ax.errorbar(x, base, yerr=np.clip(err, 0, None), fmt="none", ecolor="0.25" if many else "black",
                    capsize=0 if many else 3, linewidth=0.3 if many else 0.8,
                    label=f"{style.role_label(roles[0], language)}: {_label('ci', language)}")
    every = _label_step(len(wide))  # at most MAX_LABELS workshop names on the axis, in order
    ax.set_xticks(x[::every], list(wide.index)[::every], rotation=45 if len(wide) > 8 else 0,
                  ha="right" if len(wide) > 8 else "center")
    ax.set_xlabel(_label("workshop", language))
    ax.set_ylabel(_label(value, language))
    ax.set_ylim(0, 1.0)
    style.use_decimal_comma(ax, axis="y", language=language)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return ax


def plot_keyness(keyness: pd.DataFrame, *, top: int = 15, value: str = "g2", alpha: float = 0.05,
                 language: str = "fi", labels: dict[str, str] | None = None, ax: Axes | None = None) -> Axes:
    """Horizontal bars of the strongest keywords of each group.

    Parameters
    ----------
    keyness : DataFrame
        Output of :func:`analysis.text.lexical.keyness` (``lemma``, ``g2``,
        ``log_ratio``, ``direction``, ``p``).
    top : int, default 15
        Keywords per direction (target / reference), by G².
    value : {"g2", "log_ratio"}
        Bar length: G² signed by direction, or the log ratio.
    alpha : float, default 0.05
        Keywords with ``p >= alpha`` are drawn hatched and pale.
    language : {"fi", "en"}
    labels : dict, optional
        Legend names of the two groups: ``{"target": ..., "reference": ...}``.
    ax : matplotlib Axes, optional
        Draw into this Axes. Default: a new figure of print width whose height fits
        the keywords.

    Returns
    -------
    Axes
    """
    _require(keyness, ["lemma", "g2", "log_ratio", "direction"], "keyness")
    if value not in ("g2", "log_ratio"):
        raise ValueError("value must be 'g2' or 'log_ratio'")
    parts = []
    for direction in ("target", "reference"):
        part = keyness[keyness["direction"] == direction].sort_values(["g2", "lemma"], ascending=[False, True]).head(top)
        parts.append(part)
    data = pd.concat(parts)
    signed = np.where(data["direction"] == "target", 1.0, -1.0) * data["g2"] if value == "g2" else data["log_ratio"]
    data = data.assign(_v=np.asarray(signed, float)).sort_values(["_v", "lemma"])
    names = {
        "target": (labels or {}).get("target", str(data["target"].iloc[0]) if "target" in data else _label("target", language)),
        "reference": (labels or {}).get("reference", str(data["reference"].iloc[0]) if "reference" in data else _label("reference", language)),
    }
    colours = style.palette_for(["target", "reference"])
    if ax is None:
        _, ax = style.new_figure("full", height_cm=max(6.0, 0.45 * len(data) + 2.0))
    y = np.arange(len(data))
    significant = data["p"].to_numpy() < alpha if "p" in data else np.ones(len(data), bool)
    for direction in ("target", "reference"):
        mask = (data["direction"] == direction).to_numpy()
        for sig in (True, False):
            m = mask & (significant == sig)
            if m.any():
                ax.barh(y[m], data["_v"].to_numpy()[m], color=colours[direction], alpha=1.0 if sig else 0.35,
                        hatch=None if sig else "//", label=names[direction] if sig else None)
    ax.set_yticks(y, data["lemma"].tolist())
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_xlabel(_label(value, language))
    style.use_decimal_comma(ax, axis="x", language=language)
    ax.legend(loc="lower right", frameon=False)
    return ax


def plot_top_lemmas(frequencies: pd.DataFrame, by: str, *, top: int = 10, value: str = "per_1000",
                    language: str = "fi", ncols: int = 2, axes: list[Axes] | None = None) -> Figure:
    """One panel per group with its most frequent lemmas.

    Parameters
    ----------
    frequencies : DataFrame
        Output of :func:`analysis.text.lexical.frequencies` with a group column ``by``.
    by : str
        The group column (e.g. ``speaker_role``, ``doc_id``, ``work_package``, ``period``).
        Speaker roles are shown with their fi/en labels.
    top : int, default 10
    value : {"per_1000", "count"}
    language : {"fi", "en"}
    ncols : int, default 2
    axes : list of Axes, optional
        One per group, in sorted order of the groups. Default: a new figure of print
        width with ``ncols`` panels a row.

    Returns
    -------
    Figure
        One panel per group.
    """
    _require(frequencies, [by, "lemma", value], "frequencies")
    groups = sorted(frequencies[by].dropna().astype(str).unique())
    if axes is None:
        nrows = int(np.ceil(len(groups) / ncols))
        ncols_used = min(ncols, len(groups))
        fig, axes = style.new_figure("full", height_cm=max(6.0, 0.42 * top * nrows + 2.5), nrows=nrows,
                                     ncols=ncols_used, squeeze=False)
    else:
        axes = np.asarray(list(axes), dtype=object)
        if axes.size < len(groups):
            raise ValueError(f"axes: {len(groups)} groups need {len(groups)} Axes, got {axes.size}")
        fig = axes.flat[0].figure
    colours = style.palette_for(groups)
    for ax, group in zip(axes.flat, groups):
        part = (frequencies[frequencies[by].astype(str) == group]
                .sort_values([value, "lemma"], ascending=[False, True]).head(top).iloc[::-1])
        ax.barh(part["lemma"], part[value], color=colours[group])
        title = style.role_label(group, language) if by == "speaker_role" else group
        ax.set_title(title)
        ax.set_xlabel(_label(value, language))
        style.use_decimal_comma(ax, axis="x", language=language)
    for ax in list(axes.flat)[len(groups):]:
        ax.set_visible(False)
    return fig


def plot_share_trend(shares: pd.DataFrame, *, language: str = "fi", ax: Axes | None = None) -> Axes:
    """Young people's (or another role's) share of words per workshop over time, with CIs.

    Parameters
    ----------
    shares : DataFrame
        Output of :func:`analysis.text.participation.talk_share` with a ``date`` column.
    language : {"fi", "en"}
    ax : matplotlib Axes, optional
        Draw into this Axes. Default: a new figure of print width.

    Returns
    -------
    Axes
    """
    _require(shares, ["workshop_id", "date", "share", "ci_low", "ci_high"], "shares")
    data = shares.assign(date=pd.to_datetime(shares["date"])).sort_values("date")
    if ax is None:
        _, ax = style.new_figure("full", height_cm=7.0)
    colour = style.palette_for(["young_person"])["young_person"]
    err = np.vstack([data["share"] - data["ci_low"], data["ci_high"] - data["share"]]).clip(0, None)
    if len(data) > MAX_LABELS:  # hundreds of workshops: small dots and thin intervals, without caps
        ax.errorbar(data["date"], data["share"], yerr=err, fmt="o-", color=colour, capsize=0, linewidth=0.4,
                    markersize=2.0, elinewidth=0.3, label=_label("young_share", language))
    else:
        ax.errorbar(data["date"], data["share"], yerr=err, fmt="o-", color=colour, capsize=3, linewidth=1.0,
                    label=_label("young_share", language))
    for i, (d, s, w) in enumerate(zip(data["date"], data["share"], data["workshop_id"])):
        if len(data) > MAX_LABELS:
            break  # too many workshops to name each point legibly: the table beside the figure names them
        # labels alternate above and below the line, on a white ground, so neighbours never collide
        ax.annotate(str(w), (d, s), textcoords="offset points", xytext=(6, 7 if i % 2 == 0 else -11), fontsize=7,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5}, zorder=4)
    ax.set_ylim(0, min(1.0, float(np.nanmax(data["ci_high"])) * 1.2 + 0.05))
    ax.set_xlabel(_label("date", language))
    ax.set_ylabel(_label("young_share", language))
    style.use_decimal_comma(ax, axis="y", language=language)
    import matplotlib.dates as mdates

    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%-m/%Y" if language == "fi" else "%b %Y"))
    for label in ax.get_xticklabels():
        label.set_rotation(30)
        label.set_horizontalalignment("right")
    return ax

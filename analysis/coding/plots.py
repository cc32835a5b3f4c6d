"""Figures of the qualitative coding: code × group heatmap, co-occurrence heatmap, theme timeline.

Each function takes the tidy table of :mod:`analysis.coding.matrices` and draws in the
report style (:mod:`analysis.findings.style`), with Finnish or English labels
(``language``), the seaborn way: the heatmaps take ``ax=`` and return their
:class:`~matplotlib.axes.Axes` (a new figure of print width without it); the figures of
several panels (:func:`theme_timeline`, :func:`topic_terms_plot`) take ``axes=`` and return
the :class:`~matplotlib.figure.Figure`. What a figure draws, for the disclosure audit, comes
from :func:`heatmap_data` and :func:`cooccurrence_data`. Code names and colours come from
the codebook. Nothing is shown or saved here: publish ``ax.figure`` with the findings
registry.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import pandas as pd
>>> freqs = pd.DataFrame({"speaker_role": ["young_person", "social_worker"], "code": ["housing"] * 2,
...                       "n_segments": [4, 1], "n_total": [10, 10], "share": [0.4, 0.1]})
>>> ax = code_heatmap(freqs, by="speaker_role", language="en")
>>> ax.get_xticklabels()[0].get_text()
'social worker'
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure

from analysis.coding.codebook import Codebook, as_codebook
from analysis.errors import DataError
from analysis.findings import style

TEXT = {
    "share": {"fi": "Osuus segmenteistä", "en": "Share of segments"},
    "n_segments": {"fi": "Segmenttejä (n)", "en": "Segments (n)"},
    "jaccard": {"fi": "Jaccardin indeksi", "en": "Jaccard index"},
    "n_both": {"fi": "Yhteisiä segmenttejä (n)", "en": "Segments with both (n)"},
    "n_coded": {"fi": "Merkintöjä, joissa teema (n)", "en": "Entries with the theme (n)"},
    "n_entries": {"fi": "Merkintöjä (n)", "en": "Entries (n)"},
    "quarter": {"fi": "Vuosineljännes", "en": "Quarter"},
    "code": {"fi": "Teema", "en": "Theme"},
    "speaker_role": {"fi": "Puhujan rooli", "en": "Speaker role"},
    "work_package": {"fi": "Työpaketti", "en": "Work package"},
    "doc_id": {"fi": "Työpaja", "en": "Workshop"},
    "weight": {"fi": "Paino", "en": "Weight"},
    "suppressed": {"fi": "harmaa = alle {k} segmenttiä", "en": "grey = fewer than {k} segments"},
    "hidden": {"fi": "x, <k: pieni tai sen paljastava luku, ei piirretty",
               "en": "x, <k: a small count or one that would reveal it, not drawn"},
}

_SEQUENTIAL = LinearSegmentedColormap.from_list("jakala_blue", ["#F7FBFF", "#6BAED6", "#08306B"])


def _t(key: str, language: str) -> str:
    if language not in style.LANGUAGES:
        raise ValueError(f"language must be 'fi' or 'en', got {language!r}")
    return TEXT.get(key, {}).get(language, key)


def _group_label(value: object, by: str, language: str) -> str:
    if by == "work_package":
        return str(value).replace("TP", "TP " if language == "fi" else "WP ")
    return style.role_label(str(value), language)


def _code_labels(codes: list[str], codebook: Codebook | None, language: str) -> list[str]:
    return [codebook.label(c, language) if codebook is not None else c for c in codes]


def _annotations(values: np.ndarray, counts: np.ndarray, value: str, language: str) -> np.ndarray:
    out = np.empty(values.shape, dtype=object)
    for idx in np.ndindex(values.shape):
        v, n = values[idx], counts[idx]
        if np.isnan(v):
            out[idx] = ""
        elif value in ("share", "jaccard"):
            text = style.format_percent(v, language, 0) if value == "share" else style.format_number(v, language, 2)
            out[idx] = f"{text}\n({int(n)})" if value == "share" else text
        else:
            out[idx] = f"{int(v)}"
    return out


def _heatmap(ax, values: np.ndarray, annot: np.ndarray, xlabels: list[str], ylabels: list[str],
             vmax: float | None, cbar_label: str, fig: Figure, fontsize: float = 6.5) -> None:
    masked = np.ma.masked_invalid(values)
    cmap = _SEQUENTIAL.with_extremes(bad="#E5E5E5")
    vmax = vmax if vmax is not None else (float(np.nanmax(values)) if np.isfinite(values).any() else 1.0)
    image = ax.imshow(masked, cmap=cmap, vmin=0, vmax=vmax or 1.0, aspect="auto")
    ax.set_xticks(range(len(xlabels)), labels=xlabels, rotation=35, ha="right")
    ax.set_yticks(range(len(ylabels)), labels=ylabels)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    threshold = 0.6 * (vmax or 1.0)
    for (i, j), text in np.ndenumerate(annot):
        if text:
            colour = "white" if np.isfinite(values[i, j]) and values[i, j] > threshold else "black"
            ax.text(j, i, text, ha="center", va="center", fontsize=fontsize, color=colour)
    cbar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    cbar.set_label(cbar_label)
    cbar.outline.set_visible(False)


def code_heatmap(
    freqs: pd.DataFrame,
    *,
    by: str = "speaker_role",
    value: str = "share",
    codebook: Codebook | str | Path | None = None,
    codes: list[str] | None = None,
    language: str = "fi",
    min_cell_size: int | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Heatmap of codes (rows) by group (columns): code × role or code × work package.

    Parameters
    ----------
    freqs : DataFrame
        Output of :func:`analysis.coding.matrices.code_frequencies` with ``by``:
        ``by, code, n_segments, n_total, share``.
    by : str
        The group column (``speaker_role``, ``work_package``, ``doc_id``…).
    value : {"share", "n_segments"}
        Colour by the share of the group's segments (annotated ``12 % (n)``) or by counts.
    codebook : Codebook or path, optional
        Code names in ``language`` and code order.
    codes : list of str, optional
        Rows to show (default all codes in ``freqs``).
    language : {"fi", "en"}
    min_cell_size : int, optional
        Cells with 1…k−1 segments are greyed out and unlabelled, as in published tables.
    title : str, optional
    ax : matplotlib Axes, optional
        Draw into this Axes (the colour bar takes room from it). Default: a new figure
        of print width whose height fits the codes.

    Returns
    -------
    Axes
    """
    missing = [c for c in (by, "code", "n_segments", value) if c not in freqs.columns]
    if missing:
        raise DataError(f"missing column(s) {', '.join(missing)}", file="code frequencies",
                        hint="Pass the output of code_frequencies(…, by=...).")
    cb = as_codebook(codebook) if codebook is not None else None
    if codes is None:
        present = list(dict.fromkeys(freqs["code"]))
        codes = [c for c in cb.ids if c in set(present)] if cb is not None else present
    groups = sorted(freqs[by].astype(str).unique())
    frame = freqs.assign(**{by: freqs[by].astype(str)})
    values = frame.pivot_table(index="code", columns=by, values=value, aggfunc="first").reindex(
        index=codes, columns=groups).to_numpy(dtype=float)
    counts = frame.pivot_table(index="code", columns=by, values="n_segments", aggfunc="first").reindex(
        index=codes, columns=groups).fillna(0).to_numpy(dtype=float)
    if min_cell_size:
        small = (counts > 0) & (counts < min_cell_size)
        values = np.where(small, np.nan, values)
    annot = _annotations(values, counts, value, language)
    if ax is None:
        _, ax = style.new_figure("full", height_cm=max(6.0, 1.0 + 0.75 * len(codes)))
    _heatmap(ax, values, annot, [_group_label(g, by, language) for g in groups],
             _code_labels(codes, cb, language), 1.0 if value == "share" else None, _t(value, language), ax.figure)
    ax.set_xlabel(_t(by, language))
    if min_cell_size:
        ax.text(0, 1.01, _t("suppressed", language).format(k=min_cell_size), transform=ax.transAxes,
                ha="left", va="bottom", fontsize=6, color="#555555")  # above the plot, clear of the labels
    if title:
        ax.set_title(title)
    return ax


def cooccurrence_heatmap(
    cooc: pd.DataFrame,
    *,
    value: str = "jaccard",
    codebook: Codebook | str | Path | None = None,
    codes: list[str] | None = None,
    language: str = "fi",
    min_cell_size: int | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Lower-triangle heatmap of code co-occurrence.

    Parameters
    ----------
    cooc : DataFrame
        Output of :func:`analysis.coding.matrices.code_cooccurrence`
        (``code_a, code_b, n_both, jaccard``).
    value : {"jaccard", "n_both"}
        Jaccard index (annotated with two decimals) or the number of shared segments.
    codebook : Codebook or path, optional
        Code names and order.
    codes : list of str, optional
        Codes to show (default all in ``cooc``).
    language : {"fi", "en"}
    min_cell_size : int, optional
        Pairs of 1…k−1 segments are greyed out and unlabelled, as in published tables.
    title : str, optional
    ax : matplotlib Axes, optional
        Draw into this Axes (the colour bar takes room from it). Default: a new figure
        of print width whose height fits the codes.

    Returns
    -------
    Axes
    """
    missing = [c for c in ("code_a", "code_b", value, "n_both") if c not in cooc.columns]
    if missing:
        raise DataError(f"missing column(s) {', '.join(missing)}", file="co-occurrence",
                        hint="Pass the output of analysis.coding.matrices.code_cooccurrence().")
    cb = as_codebook(codebook) if codebook is not None else None
    codes = codes or list(dict.fromkeys(cooc["code_a"]))
    values = cooc.pivot(index="code_a", columns="code_b", values=value).reindex(index=codes, columns=codes)
    counts = cooc.pivot(index="code_a", columns="code_b", values="n_both").reindex(index=codes, columns=codes)
    values = values.to_numpy(dtype=float)
    counts = counts.fillna(0).to_numpy(dtype=float)
    upper = np.triu(np.ones_like(values, dtype=bool))  # diagonal and above: hidden
    values = np.where(upper, np.nan, values)
    if min_cell_size:  # pairs of 1…k−1 segments are greyed out and unlabelled, as in published tables
        values = np.where((counts > 0) & (counts < min_cell_size), np.nan, values)
    annot = _annotations(values, counts, value, language)
    annot = np.where(upper, "", annot)
    labels = _code_labels(codes, cb, language)
    if ax is None:
        _, ax = style.new_figure("full", height_cm=max(7.0, 1.5 + 0.7 * len(codes)))
    vmax = None
    if value == "jaccard":
        finite = values[np.isfinite(values)]
        vmax = max(float(finite.max()), 0.05) if finite.size else 1.0
    _heatmap(ax, values, annot, labels, labels, vmax, _t(value, language), ax.figure, fontsize=6)
    if min_cell_size:
        ax.text(0, 1.01, _t("suppressed", language).format(k=min_cell_size), transform=ax.transAxes,
                ha="left", va="bottom", fontsize=6, color="#555555")
    if title:
        ax.set_title(title)
    return ax


def theme_timeline(
    timeline: pd.DataFrame,
    *,
    value: str = "n_coded",
    codebook: Codebook | str | Path | None = None,
    codes: list[str] | None = None,
    language: str = "fi",
    title: str | None = None,
    axes: tuple[Axes, Axes] | None = None,
) -> Figure:
    """Diary theme timeline: entries per quarter (bars) and each theme per quarter (lines).

    Parameters
    ----------
    timeline : DataFrame
        Output of :func:`analysis.coding.matrices.code_timeline`
        (``code, quarter, n_entries, n_coded, share``), one group only; or that table as
        the registry published it, whose ``"<k"`` and ``"x"`` cells are not drawn (gaps
        in the lines, the marker printed in place of the bar).
    value : {"n_coded", "share"}
        Plot counts of entries with the theme, or their share of the quarter's entries.
    codebook : Codebook or path, optional
        Theme names and colours.
    codes : list of str, optional
        Themes to draw (default all in ``timeline``).
    language : {"fi", "en"}
    title : str, optional
    axes : (Axes, Axes), optional
        The two panels to draw into: entries per quarter, then the themes. Default: a
        new figure of print width, the upper panel a third of the lower, sharing the
        quarter axis.

    Returns
    -------
    Figure
        Two panels sharing the quarter axis: entries per quarter (counts) above, the
        themes below.
    """
    missing = [c for c in ("code", "quarter", "n_entries", value) if c not in timeline.columns]
    if missing:
        raise DataError(f"missing column(s) {', '.join(missing)}", file="timeline",
                        hint="Pass the output of code_timeline().")
    cb = as_codebook(codebook) if codebook is not None else None
    codes = codes or list(dict.fromkeys(timeline["code"]))
    quarters = sorted(timeline["quarter"].astype(str).unique())
    x = np.arange(len(quarters))
    shown = timeline.drop_duplicates("quarter").set_index("quarter")["n_entries"].reindex(quarters)
    # a published (suppressed) table: "<k" and "x" cells are not drawn, their marker is printed
    entries = pd.to_numeric(shown, errors="coerce").to_numpy(dtype=float)
    markers_shown = ["" if pd.isna(v) else str(v) for v in shown.tolist()]
    if axes is None:
        fig, (top, bottom) = style.new_figure("full", height_cm=10.0, nrows=2, sharex=True,
                                              gridspec_kw={"height_ratios": [1, 3]})
    else:
        top, bottom = axes
        fig = top.figure
    top.bar(x, np.nan_to_num(entries), color="#BBBBBB", width=0.7)
    for xi, n, text in zip(x, entries, markers_shown):
        top.text(xi, 0 if np.isnan(n) else n, text if np.isnan(n) else f"{int(n)}", ha="center", va="bottom",
                 fontsize=6)
    if any(np.isnan(entries)) or any(timeline[value].astype(str).str.match(r"^(x|<\d+)$")):
        top.text(1.0, 1.02, _t("hidden", language), transform=top.transAxes, ha="right", va="bottom",
                 fontsize=6, color="#555555")
    top.set_ylabel(_t("n_entries", language), fontsize=7)  # a short axis: a smaller label is not clipped
    top.set_ylim(0, max(np.nanmax(entries, initial=0) * 1.25, 1))
    style.integer_ticks(top, "y")
    palette = style.PALETTE
    markers = "osD^v<>ph*"
    for i, code in enumerate(codes):
        series = pd.to_numeric(timeline[timeline["code"] == code].set_index("quarter")[value]
                               .reindex(quarters), errors="coerce").to_numpy(dtype=float)
        colour = cb[code].colour if cb is not None and code in cb else palette[i % len(palette)]
        label = cb.label(code, language) if cb is not None else code
        bottom.plot(x, series, marker=markers[i % len(markers)], markersize=3, linewidth=1.2,
                    color=colour, label=label)
    bottom.set_ylabel(_t(value if value != "share" else "share", language))
    if value == "share":
        bottom.set_ylim(0, 1)
        bottom.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _p: style.format_percent(v, language, 0)))
    else:
        bottom.set_ylim(bottom=0)
        style.use_decimal_comma(bottom, axis="y", language=language)
        style.integer_ticks(bottom, "y")  # counts of entries: whole numbers only
    bottom.set_xticks(x, labels=[q.replace("Q", " Q") if language == "en" else q.replace("Q", "/Q") for q in quarters],
                      rotation=45, ha="right")
    bottom.set_xlabel(_t("quarter", language))
    bottom.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=6.5)
    if title:
        top.set_title(title)
    return fig


def topic_terms_plot(terms: pd.DataFrame, *, n_terms: int = 8, language: str = "fi",
                     axes: list[Axes] | None = None) -> Figure:
    """Small multiples of the top lemmas per exploratory topic.

    Parameters
    ----------
    terms : DataFrame
        ``TopicModel.terms`` (``topic, label, rank, term, weight``).
    n_terms : int
        Lemmas per topic.
    language : {"fi", "en"}
    axes : list of Axes, optional
        One per topic, in topic order. Default: a new figure of print width, up to three
        panels a row.

    Returns
    -------
    Figure
        One panel per topic.
    """
    topics = sorted(terms["topic"].unique())
    if axes is None:
        ncols = min(3, max(1, len(topics)))
        nrows = int(np.ceil(len(topics) / ncols))
        fig, axes = style.new_figure("full", height_cm=4.2 * nrows, nrows=nrows, ncols=ncols, squeeze=False)
    else:
        axes = np.asarray(list(axes), dtype=object)
        if axes.size < len(topics):
            raise ValueError(f"axes: {len(topics)} topics need {len(topics)} Axes, got {axes.size}")
        fig = axes.flat[0].figure
    for ax, topic in zip(axes.flat, topics):
        group = terms[(terms["topic"] == topic) & (terms["rank"] <= n_terms)].sort_values("rank", ascending=False)
        ax.barh(group["term"], group["weight"], color=style.PALETTE[0])
        ax.set_title(f"T{topic}", fontsize=8)
        ax.tick_params(axis="y", labelsize=6.5)
        style.use_decimal_comma(ax, axis="x", language=language)
    for ax in list(axes.flat)[len(topics):]:
        ax.set_visible(False)
    fig.supxlabel(_t("weight", language), fontsize=7)
    return fig


def _hide_small(counts: pd.Series, min_cell_size: int | None) -> pd.Series:
    """Counts as a figure draws them: 1…k−1 become ``"<k"`` (not drawn), others stay."""
    if not min_cell_size:
        return counts.astype(object)
    small = (counts > 0) & (counts < min_cell_size)
    return counts.astype(object).where(~small, f"<{min_cell_size}")


def heatmap_data(freqs: pd.DataFrame, *, by: str = "speaker_role", codes: list[str] | None = None,
                 min_cell_size: int | None = None) -> pd.DataFrame:
    """The counts :func:`code_heatmap` draws, for the disclosure audit (``reg.figure(data=...)``).

    Parameters
    ----------
    freqs : DataFrame
        As for :func:`code_heatmap`.
    by : str
        The group column.
    codes : list of str, optional
        The rows drawn (default all codes).
    min_cell_size : int, optional
        As for :func:`code_heatmap`: counts of 1…k−1 are not drawn and appear as ``"<k"``.

    Returns
    -------
    DataFrame
        ``by, code, n_segments`` in the order of ``freqs``.

    Examples
    --------
    >>> f = pd.DataFrame({"speaker_role": ["young_person"] * 2, "code": ["a", "b"], "n_segments": [3, 12],
    ...                   "n_total": [40, 40], "share": [0.075, 0.3]})
    >>> heatmap_data(f, min_cell_size=5)["n_segments"].tolist()
    ['<5', 12]
    """
    frame = freqs if codes is None else freqs[freqs["code"].isin(codes)]
    out = frame[[by, "code", "n_segments"]].reset_index(drop=True)
    return out.assign(n_segments=_hide_small(out["n_segments"], min_cell_size))


def cooccurrence_data(cooc: pd.DataFrame, *, codes: list[str] | None = None,
                      min_cell_size: int | None = None) -> pd.DataFrame:
    """The counts :func:`cooccurrence_heatmap` draws (the lower triangle), for the disclosure audit.

    Examples
    --------
    >>> c = pd.DataFrame({"code_a": ["a", "a", "b", "b"], "code_b": ["a", "b", "a", "b"],
    ...                   "n_both": [9, 2, 2, 7], "jaccard": [1.0, 0.2, 0.2, 1.0]})
    >>> cooccurrence_data(c, min_cell_size=5).to_dict("records")
    [{'code_a': 'b', 'code_b': 'a', 'n_both': '<5'}]
    """
    order = codes or list(dict.fromkeys(cooc["code_a"]))
    rank = {code: i for i, code in enumerate(order)}
    lower = cooc[cooc["code_a"].isin(rank) & cooc["code_b"].isin(rank)]
    lower = lower[lower["code_a"].map(rank) > lower["code_b"].map(rank)]
    out = lower[["code_a", "code_b", "n_both"]].reset_index(drop=True)
    return out.assign(n_both=_hide_small(out["n_both"], min_cell_size))

"""Survey figures: diverging Likert bars, scale scores by role and wave, forest plot, needs.

Every function takes tidy DataFrames and draws in the seaborn way: a one-panel figure
(:func:`likert_diverging`, :func:`forest_plot`, :func:`prevalence_plot`) takes ``ax=`` and
returns its :class:`~matplotlib.axes.Axes` (``ax.figure`` is what ``Registry.figure``
publishes); without ``ax`` it makes a new figure of print width. The figure of several
panels (:func:`scale_scores_plot`) takes ``axes=`` and returns the
:class:`~matplotlib.figure.Figure`. Nothing is shown, nothing is attached to the figure:
what a figure leaves out comes from its own function (:func:`likert_counts`,
:func:`likert_omitted_groups`, :func:`scale_scores_omitted`). Labels are Finnish by
default, English with ``language="en"``.
The report style and group colours come from :mod:`analysis.findings.style`
(``apply_style``, ``palette_for``, ``role_label``), which read the labels and colours of
``config/vocabulary.yaml``; :data:`FALLBACK_COLOURS` only holds the neutral line colours.
"""

from __future__ import annotations

from typing import Sequence

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure

from analysis.errors import DataError
from analysis.survey.instrument import Instrument
from analysis.survey.scores import respondent_column

__all__ = ["likert_diverging", "likert_counts", "likert_omitted_groups", "scale_scores_plot", "scale_scores_omitted",
           "forest_plot", "prevalence_plot", "TEXT", "FALLBACK_COLOURS"]

#: Colours used only when analysis.findings.style is missing (Okabe–Ito).
FALLBACK_COLOURS = {
    "cycle": ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#999999"],
    "line": "#BBBBBB", "point": "#000000",
}

#: Words used in the figures, fi/en.
TEXT = {
    "share": {"fi": "Osuus vastauksista (%)", "en": "Share of answers (%)"},
    "share_drawn": {"fi": "Osuus piirretyistä vastauksista (%)\nvaihtoehtoja, joissa alle {k} vastausta, ei piirretty",
                    "en": "Share of the answers drawn (%)\nanswer values of fewer than {k} answers are not drawn"},
    "score": {"fi": "Summamuuttujan keskiarvo (1–5)", "en": "Scale score (1–5)"},
    "effect": {"fi": "Vaikutuskoko (95 %:n luottamusväli)", "en": "Effect size (95% CI)"},
    "prevalence": {"fi": "Osuus vastaajista (%) ja 95 %:n luottamusväli", "en": "Share of respondents (%) with 95% CI"},
    "reversed": {"fi": "(käänteinen)", "en": "(reversed)"},
    "all": {"fi": "kaikki", "en": "all"},
    "missing": {"fi": "puuttuu", "en": "missing"},
}



def _style():
    try:
        from analysis.findings import style
    except ImportError:  # pragma: no cover - the findings package is part of the workspace
        return None
    return style


def _apply_style() -> None:
    style = _style()
    if style is not None and hasattr(style, "apply_style"):
        style.apply_style()


def _palette(groups: Sequence[str]) -> dict[str, str]:
    style = _style()
    if style is not None and hasattr(style, "palette_for"):
        return style.palette_for([str(g) for g in groups])
    cycle = FALLBACK_COLOURS["cycle"]
    out, i = {}, 0
    for g in groups:
        if g in FALLBACK_COLOURS and isinstance(FALLBACK_COLOURS[g], str):
            out[g] = FALLBACK_COLOURS[g]
        else:
            out[g] = cycle[i % len(cycle)]
            i += 1
    return out


def group_label(group: str, language: str = "fi") -> str:
    """fi/en label of a role, wave or other coded value (config/vocabulary.yaml; the id when unknown)."""
    from analysis.vocabulary import vocabulary

    return vocabulary().label(str(group), language)


def _in_words(text: str, language: str) -> str:
    """Coded words of a result sentence in words of config/vocabulary.yaml (``p_adj`` → ``p (korj.)``)."""
    import re

    from analysis.vocabulary import vocabulary

    vocab = vocabulary()
    return re.sub(r"(?<![\w/.])[a-z]+(?:_[a-z0-9]+)+(?![\w/.])",
                  lambda m: vocab.label(m.group(0), language) if vocab.has(m.group(0)) else m.group(0), str(text))


def _check_language(language: str) -> None:
    if language not in ("fi", "en"):
        raise ValueError(f"language must be 'fi' or 'en', got {language!r}")


def _comma(ax, axis: str, language: str) -> None:
    style = _style()
    if language == "fi" and style is not None and hasattr(style, "use_decimal_comma"):
        style.use_decimal_comma(ax, axis=axis, language=language)


def _finish(fig: Figure, rect=None) -> None:
    """Tight layout unless the style already set a layout engine (constrained layout)."""
    if fig.get_layout_engine() is None:
        if rect is None:
            fig.tight_layout()
        else:
            fig.tight_layout(rect=rect)


def _bars(y: Sequence[float], widths: np.ndarray, lefts: np.ndarray, *, height: float, facecolor: object,
          label: str) -> PolyCollection:
    """Horizontal bars as one collection (white edges of 0.5 pt), drawn as ``barh`` draws them.

    One artist for all the bars of an answer value instead of one ``Rectangle`` each: the
    figure is drawn with one path-collection call per value (the Likert figures of a survey
    run have some 500 bars). ``widths`` and ``lefts`` are in data units, bar ``i`` centred
    on ``y[i]``.

    Examples
    --------
    >>> bars = _bars([0.0, 1.0], np.array([30.0, 50.0]), np.array([-10.0, 0.0]), height=0.8,
    ...              facecolor="#aa0000", label="Samaa mieltä")
    >>> [p.vertices[:4].round(1).tolist()[0:3] for p in bars.get_paths()][1]
    [[0.0, 0.6], [50.0, 0.6], [50.0, 1.4]]
    >>> bars.get_label()
    'Samaa mieltä'
    """
    y = np.asarray(y, dtype=float)
    x0, x1 = np.asarray(lefts, dtype=float), np.asarray(lefts, dtype=float) + np.asarray(widths, dtype=float)
    y0, y1 = y - height / 2, y + height / 2
    verts = np.stack([np.stack([x0, y0], 1), np.stack([x1, y0], 1), np.stack([x1, y1], 1), np.stack([x0, y1], 1)], 1)
    return PolyCollection(verts, closed=True, facecolors=[facecolor], edgecolors="white", linewidths=0.5,
                          label=label)


def _wrap(text: str, width: int = 45) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


# --------------------------------------------------------------------------- Likert
def likert_counts(
    responses: pd.DataFrame,
    instrument: Instrument,
    scale: str,
    *,
    respondents: pd.DataFrame | None = None,
    by: str | None = "role",
    wave: str | None = None,
    min_n: int = 0,
) -> pd.DataFrame:
    """The answer counts :func:`likert_diverging` draws, for the disclosure audit (``reg.figure(data=...)``).

    One row per item, group and answer value with the number of valid answers. With
    ``min_n`` (the small-cell limit k):

    - a group with fewer than ``min_n`` valid answers to an item in any wave is not drawn
      (in no item: the report names the groups left out); it keeps one row per item with
      no value and ``n = "x"`` (its answers count in the item's total, nothing of them is
      shown);
    - a count of 1…k-1 is not drawn and appears as ``"<k"``;
    - when an item has such a count and no left-out group, its smallest drawn count
      above zero is not drawn either (``"x"``): the item's valid answers (``n_valid`` of
      the item missingness table) are published, so one hidden count would be their
      total minus the drawn ones.

    The bars draw the shares of the drawn counts of their group.

    Parameters
    ----------
    responses, instrument, scale, respondents, by, wave, min_n
        As for :func:`likert_diverging`.

    Returns
    -------
    DataFrame
        ``item, <by> (or group), value, n``, items in the instrument's order, groups and
        values sorted.

    Examples
    --------
    >>> from analysis.survey import load_instrument
    >>> from analysis.workspace import PACKAGE_PROJECT_DIR
    >>> inst = load_instrument(PACKAGE_PROJECT_DIR / "config" / "instrument_professionals.yaml")
    >>> answers = pd.DataFrame({"respondent": [f"R{i}" for i in range(18)], "wave": "baseline", "item": "rc1",
    ...                         "value": [2.0] * 2 + [3.0] * 6 + [4.0] * 10})
    >>> likert_counts(answers, inst, "role_clarity", by=None, min_n=5).query("item == 'rc1'")["n"].tolist()
    ['<5', 'x', 10]
    """
    counts, omitted = _likert_counts(responses, instrument, scale, respondents=respondents, by=by, wave=wave,
                                     min_n=min_n, location="likert_counts")
    group_column = by or "group"
    long = counts.stack().rename("n").reset_index().rename(columns={"_group": group_column})
    long = long[long["n"] > 0] if min_n else long
    rows = []
    for item in instrument.scale(scale).items:
        part = long[long["item"] == item].astype({"n": object})
        if min_n:
            small = part["n"].map(lambda v: 0 < v < min_n)
            part.loc[small, "n"] = f"<{min_n}"
            left_out = sorted({g for (i, g) in omitted if i == item}, key=str)
            if small.any() and not left_out:
                shown = part.loc[~small, "n"]
                if len(shown):
                    part.loc[shown.astype(int).sort_values(kind="stable").index[0], "n"] = "x"
            if left_out:
                part = pd.concat([part, pd.DataFrame({"item": item, group_column: left_out, "value": np.nan,
                                                      "n": "x"})], ignore_index=True)
        rows.append(part)
    out = pd.concat(rows, ignore_index=True) if rows else long
    return out[["item", group_column, "value", "n"]].reset_index(drop=True)


def likert_omitted_groups(counts: pd.DataFrame) -> list:
    """The groups :func:`likert_diverging` leaves out of at least one item (from :func:`likert_counts`).

    Examples
    --------
    >>> counts = pd.DataFrame({"item": ["a", "a", "b"], "role": ["other", "social_worker", "social_worker"],
    ...                        "value": [np.nan, 3.0, 3.0], "n": ["x", 12, 12]})
    >>> likert_omitted_groups(counts)
    ['other']
    """
    group_column = counts.columns[1]
    return sorted(counts.loc[counts["value"].isna(), group_column].unique(), key=str)


def _likert_counts(responses, instrument, scale, *, respondents, by, wave, min_n, location):
    """Counts (item, group) × answer value of the drawn groups, and the (item, group) pairs left out."""
    sc = instrument.scale(scale)
    answers = instrument.answer_set_of(sc.items[0])
    levels = [v for v in answers.allowed_values]
    data = responses[responses["item"].isin(sc.items) & responses["value"].notna()]
    if wave is not None:
        data = data[data["wave"] == wave]
    if data.empty:
        raise DataError(f"no answers to plot for scale '{scale}'", location=location)
    if by is not None:
        if respondents is None or by not in respondents.columns:
            raise DataError(f"grouping by {by!r} needs the respondents table with that column", location=location)
        rcol, rr = respondent_column(data), respondent_column(respondents)
        groups = respondents[[rr, "wave", by]].rename(columns={rr: rcol})
        data = data.merge(groups, on=[rcol, "wave"], how="left")
        data["_group"] = data[by].astype(object).where(data[by].notna(), "missing")
    else:
        data = data.assign(_group="all")
    counts = data.groupby(["item", "_group", "value"]).size().unstack("value", fill_value=0)
    counts = counts.reindex(columns=levels, fill_value=0)
    omitted_pairs = {key for key, n in counts.sum(axis=1).items() if n < min_n}
    if min_n and "wave" in data.columns:  # k per wave: a pooled bar must not hide a wave of 2 people
        per_wave = data.groupby(["item", "_group", "wave"]).size()
        omitted_pairs |= {(i, g) for (i, g, _), n in per_wave.items() if n < min_n}
    omitted = {g for _, g in omitted_pairs}
    # a group left out of one item is left out of every item (the report names the groups not drawn)
    pairs = {(i, g) for i, g in counts.index if g in omitted}
    counts = counts[~counts.index.get_level_values("_group").isin(omitted)]
    if counts.empty:
        raise DataError(f"every group has fewer than {min_n} answers", location=location)
    return counts, sorted(pairs, key=str)


def likert_diverging(
    responses: pd.DataFrame,
    instrument: Instrument,
    scale: str,
    *,
    respondents: pd.DataFrame | None = None,
    by: str | None = "role",
    wave: str | None = None,
    language: str = "fi",
    min_n: int = 0,
    counts: pd.DataFrame | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Diverging stacked bars of the items of one scale, by group.

    Each bar shows the distribution of valid answers of one item in one group;
    disagreeing answers extend to the left of zero and agreeing ones to the right, the
    neutral middle category is split in half around zero. Items are shown as worded
    (reverse-coded items are marked, not reversed).

    Parameters
    ----------
    responses : DataFrame
        Long survey responses.
    instrument : Instrument
    scale : str
        Scale id.
    respondents : DataFrame, optional
        Needed when ``by`` is given (background column).
    by : str or None, default "role"
        Background column for the groups; None = all respondents together.
    wave : str, optional
        Only this wave (default: all waves pooled).
    language : {"fi", "en"}
    min_n : int, default 0
        The small-cell limit k. Groups with fewer valid answers than this to an item
        are not drawn. When waves are pooled (``wave=None``) the limit applies to each
        wave on its own: a group with 3 answers at baseline and 2 at follow-up is not
        drawn, although 3 + 2 reaches 5. Answer values of 1…k-1 answers in a drawn group
        (and, where one such count could be recovered from the item's published total,
        one more) are left out of the bar, which shows the shares of the answers drawn;
        the axis label says so. :func:`likert_counts` gives the counts drawn and
        :func:`likert_omitted_groups` the groups left out.
    counts : DataFrame, optional
        What :func:`likert_counts` returned for the same data and arguments (as the
        notebook registers for the disclosure audit): drawn as given instead of counted
        again. Its items, groups and values must be those the data give (checked).
    ax : matplotlib Axes, optional
        Draw into this Axes (its figure keeps its size and layout; the legend goes
        below the Axes). Default: a new figure of print width whose height fits the
        items, in the report style, with the legend below.

    Returns
    -------
    Axes
    """
    _check_language(language)
    sc = instrument.scale(scale)
    answers = instrument.answer_set_of(sc.items[0])
    levels = [v for v in answers.allowed_values]
    given = counts
    counts, _ = _likert_counts(responses, instrument, scale, respondents=respondents, by=by, wave=wave, min_n=min_n,
                               location="likert_diverging")
    hidden = False
    if min_n:
        if counts_given := given is not None:
            drawn = given
        else:
            drawn = likert_counts(responses, instrument, scale, respondents=respondents, by=by, wave=wave, min_n=min_n)
        drawn = drawn[drawn["value"].notna()].rename(columns={by or "group": "_group"})
        if counts_given and (set(zip(drawn["item"], drawn["_group"])) != set(counts.index)
                             or not set(drawn["value"]) <= set(levels)):
            raise ValueError(f"counts= are not the likert_counts of these data for scale {scale!r} "
                             f"(by={by!r}, wave={wave!r}, min_n={min_n}): pass what likert_counts returned for them")
        hidden = bool(drawn["n"].map(lambda v: isinstance(v, str)).any())
        numbers = pd.to_numeric(drawn["n"], errors="coerce")
        counts = (drawn.assign(n=numbers).pivot_table(index=["item", "_group"], columns="value", values="n",
                                                      aggfunc="first")
                  .reindex(index=counts.index, columns=levels))  # a hidden value is not drawn: NaN
    group_ids = sorted(counts.index.get_level_values("_group").unique(), key=str)
    shares = counts.div(counts.sum(axis=1), axis=0) * 100
    # one header line per item (its text), then one bar per group below it
    layout: list[tuple[float, str, str | None, str]] = []  # (y, item, group or None for the header, label)
    y = 0.0
    for item in sc.items:
        text = instrument.item_text(item, language)
        if instrument.item(item).reverse:
            text += " " + TEXT["reversed"][language]
        if by is not None:
            wrapped = _wrap(text, 75)
            y += 0.35 * wrapped.count("\n")
            layout.append((y, item, None, wrapped))
            y += 1.0
            for g in group_ids:
                if (item, g) in shares.index:
                    layout.append((y, item, g, group_label(g, language)))
                    y += 1.0
        else:
            layout.append((y, item, "all", _wrap(text, 45)))
            y += 1.0 + 0.3 * _wrap(text, 45).count("\n")
        y += 0.4
    height = max(2.5, 0.19 * y + 1.8)
    own = ax is None
    if own:
        _apply_style()
        fig, ax = plt.subplots(figsize=(16 / 2.54, height))
    else:
        fig = ax.figure
    import seaborn as sns

    colours = sns.color_palette("RdBu", len(levels))
    mid = (len(levels) - 1) / 2
    drawn_rows = [(ypos, item, g) for ypos, item, g, _ in layout if g is not None]
    if drawn_rows:
        # one row of shares per bar (columns: the answer values in order); each bar starts left of
        # zero by its disagreeing share and half the neutral one, and its segments follow on
        share = shares.loc[[(item, g) for _, item, g in drawn_rows]].to_numpy(dtype=float)
        if min_n:
            share = np.nan_to_num(share)  # values not drawn (and zeros) take no room
        neg = share[:, : int(np.floor(mid))].sum(axis=1) + (share[:, int(mid)] / 2 if mid.is_integer() else 0)
        lefts = np.empty_like(share)
        lefts[:, 0] = -neg
        for k in range(1, share.shape[1]):  # added in order, as the segments are laid
            lefts[:, k] = lefts[:, k - 1] + share[:, k - 1]
        ypos = [row[0] for row in drawn_rows]
        value_labels = answers.labels_fi if language == "fi" else answers.labels_en
        for k, level in enumerate(levels):  # one collection per answer value, for all bars
            ax.add_collection(_bars(ypos, share[:, k], lefts[:, k], height=0.8, facecolor=colours[k],
                                    label=value_labels.get(level) or f"{level:g}"),  # numbers only: the number is the label
                              autolim=False)  # the limits are set below
    ax.axvline(0, color="black", linewidth=0.8)
    bars = [row for row in layout if row[2] is not None]
    ax.set_yticks([row[0] for row in bars], [row[3] for row in bars])
    for ypos, _, g, text in layout:
        if g is None:  # the item's text as a heading above its bars
            ax.text(-100, ypos + 0.25, text, ha="left", va="bottom", fontsize="small", fontweight="bold", zorder=4,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.8})  # the zero line stays behind the text
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(y - 0.2, -0.8)
    ax.set_xlim(-100, 100)
    ax.set_xticks([-100, -50, 0, 50, 100], ["100", "50", "0", "50", "100"])
    ax.set_xlabel(TEXT["share_drawn"][language].format(k=min_n) if hidden else TEXT["share"][language])
    ax.set_title(sc.label.get(language, scale))
    handles, names = ax.get_legend_handles_labels()
    seen = dict(zip(names, handles))
    if not own:
        ax.legend(seen.values(), [str(n) for n in seen.keys()], loc="upper center", bbox_to_anchor=(0.5, -0.12),
                  ncol=min(len(seen), 3), frameon=False, fontsize="small")
        return ax
    outside = fig.get_layout_engine() is not None  # constrained layout keeps room for an outside legend
    fig.legend(seen.values(), [str(n) for n in seen.keys()], loc="outside lower center" if outside else "lower center",
               ncol=min(len(seen), 3), frameon=False, fontsize="small")
    _finish(fig, rect=(0, min(0.3, (0.25 + 0.22 * -(-len(seen) // 3)) / height), 1, 1))
    return ax


# --------------------------------------------------------------------------- scale scores
def _drawn_order(sub: pd.DataFrame, waves: Sequence[str]) -> list:
    """Respondents ordered by what is drawn of them (group and score in each wave), not by their codes.

    The dots and lines are drawn, and their jitter drawn, in this order, so the figure is
    the same whatever pseudonyms the key file gave (respondents drawn alike may swap,
    which changes nothing).

    Examples
    --------
    >>> sub = pd.DataFrame({"respondent": ["R9", "R1", "R1", "R5"], "wave": ["baseline", "baseline", "followup", "baseline"],
    ...                     "_group": ["b", "a", "a", "a"], "score": [2.0, 3.0, 3.5, 1.0]})
    >>> _drawn_order(sub, ("baseline", "followup"))
    ['R5', 'R1', 'R9']
    """
    columns = []
    parts = {}
    for w in waves:
        at = sub[sub["wave"] == w].drop_duplicates("respondent").set_index("respondent")
        parts[f"g_{w}"], parts[f"s_{w}"] = at["_group"].astype(str), at["score"].astype(float)
        columns += [f"g_{w}", f"s_{w}"]
    keys = pd.DataFrame(parts, index=pd.Index(sub["respondent"].unique(), name="respondent"))
    keys = keys.fillna({c: "" for c in columns if c.startswith("g_")}).fillna(-np.inf)
    return keys.sort_values(columns, kind="mergesort").index.tolist()


def scale_scores_plot(
    scores: pd.DataFrame,
    respondents: pd.DataFrame | None = None,
    *,
    by: str = "role",
    instrument: Instrument | None = None,
    scales: Sequence[str] | None = None,
    waves: Sequence[str] = ("baseline", "followup"),
    language: str = "fi",
    min_n: int = 0,
    axes: Sequence[Axes] | None = None,
) -> Figure:
    """Scale scores by group and wave, with lines joining linked respondents (a figure of panels).

    One panel per scale; within a panel one pair of columns (waves) per group. Each
    respondent is a dot; a grey line joins the two scores of a respondent present in
    both waves; the black bar is the group's median in that wave.

    Parameters
    ----------
    scores : DataFrame
        From :func:`~analysis.survey.scores.scale_scores` (``wave, respondent, scale, score``).
    respondents : DataFrame, optional
        With the ``by`` column (matched by respondent and wave). Without it all
        respondents form one group.
    by : str, default "role"
    instrument : Instrument, optional
        For the scale labels.
    scales : list of str, optional
    waves : pair of str
    language : {"fi", "en"}
    min_n : int, default 0
        Groups with fewer respondents than this in a wave (the small-cell limit) are
        not drawn in that wave; :func:`scale_scores_omitted` lists them.
    axes : sequence of Axes, optional
        Draw into these: one per scale, in order; one more holds the legend (else the
        legend goes below the figure). Default: a new figure of print width with up to
        three panels a row, in the report style.

    Returns
    -------
    Figure
        One panel per scale (``fig.axes``).
    """
    _check_language(language)
    data, omitted = _scale_score_groups(scores, respondents, by=by, waves=waves, min_n=min_n)
    scale_ids = list(scales) if scales is not None else list(dict.fromkeys(data["scale"]))
    group_ids = sorted(data["_group"].unique(), key=str)
    colours = _palette(group_ids)
    own = axes is None
    if own:
        _apply_style()
        ncols = min(3, len(scale_ids))
        nrows = int(np.ceil(len(scale_ids) / ncols))
        fig, axes = plt.subplots(nrows, ncols, figsize=(16 / 2.54, 5.5 / 2.54 * nrows + 1.2), squeeze=False,
                                 sharey=True)
    else:
        axes = np.asarray(list(axes), dtype=object).reshape(1, -1)
        if axes.size < len(scale_ids):
            raise ValueError(f"axes: {len(scale_ids)} scales need {len(scale_ids)} Axes, got {axes.size}")
        fig = axes.flat[0].figure
    rng = np.random.default_rng(0)
    width = 0.8 / max(len(group_ids), 1)
    for ax, scale_id in zip(axes.flat, scale_ids):
        sub = data[data["scale"] == scale_id]
        positions = {}
        for gi, g in enumerate(group_ids):
            for wi, w in enumerate(waves):
                positions[(g, w)] = wi + (gi - (len(group_ids) - 1) / 2) * width
        # dots, their jitter and the lines in an order of the data, not of the codes (see _drawn_order)
        order = _drawn_order(sub, waves)
        rank = {r: i for i, r in enumerate(order)}
        sub = sub.assign(_rank=sub["respondent"].map(rank)).sort_values(["_rank", "wave"], kind="mergesort")
        jitter = {key: rng.uniform(-width * 0.2, width * 0.2) for key in order}
        # paired lines (respondent present in both waves; group of the first wave)
        wide = sub.pivot_table(index="respondent", columns="wave", values="score", aggfunc="first")
        wide = wide.reindex([r for r in order if r in wide.index])
        grp = sub.sort_values("wave").groupby("respondent")["_group"].first()
        if all(w in wide.columns for w in waves):
            both = wide.dropna(subset=list(waves))
            if len(both):  # one collection of all the lines (one artist, not one a respondent)
                shift = np.array([jitter[r] for r in both.index], dtype=float)
                xs = np.column_stack([[positions[(g, w)] for g in grp.reindex(both.index)] for w in waves]) + shift[:, None]
                segments = np.stack([xs, both[list(waves)].to_numpy(dtype=float)], axis=-1)
                ax.add_collection(LineCollection(segments, colors=FALLBACK_COLOURS["line"], linewidths=0.5, zorder=1,
                                                 capstyle="projecting", joinstyle="round", label="_paired"))
        dots_x, dots_y, dots_colour = [], [], []
        for (g, w), x in positions.items():
            vals = sub[(sub["_group"] == g) & (sub["wave"] == w)]
            if vals.empty:
                continue
            dots_x.append(x + vals["respondent"].map(jitter).to_numpy())
            dots_y.append(vals["score"].to_numpy(dtype=float))
            dots_colour += [mcolors.to_rgba(colours[g])] * len(vals)
            med = vals["score"].median()
            ax.plot([x - width * 0.35, x + width * 0.35], [med, med], color="black", linewidth=1.5, zorder=3)
        if dots_x:  # one collection of every dot, in the order of the groups (one artist, not one a group)
            ax.scatter(np.concatenate(dots_x), np.concatenate(dots_y), s=6, color=dots_colour, alpha=0.8, zorder=2,
                       linewidths=0)
        ax.set_xticks(range(len(waves)), [group_label(w, language) for w in waves])
        title = instrument.scale_label(scale_id, language) if instrument is not None else scale_id
        ax.set_title(_wrap(title, 28), fontsize="medium")
        _comma(ax, "y", language)
    spare = list(axes.flat)[len(scale_ids):]
    for ax in spare:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel(TEXT["score"][language])
    handles = [plt.Line2D([], [], marker="o", linestyle="", color=colours[g], label=group_label(g, language))
               for g in group_ids]
    if spare:  # the legend goes into the first empty panel
        spare[0].set_visible(True)
        spare[0].axis("off")
        spare[0].legend(handles=handles, loc="center", frameon=False)
        if own:
            _finish(fig)
    else:
        fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False)
        if own:
            _finish(fig, rect=(0, 0.08, 1, 1))
    return fig


def scale_scores_omitted(
    scores: pd.DataFrame,
    respondents: pd.DataFrame | None = None,
    *,
    by: str = "role",
    waves: Sequence[str] = ("baseline", "followup"),
    min_n: int = 0,
) -> list[tuple]:
    """The ``(group, wave)`` pairs :func:`scale_scores_plot` leaves out: fewer than ``min_n`` respondents.

    Parameters are those of :func:`scale_scores_plot`.

    Examples
    --------
    >>> scores = pd.DataFrame({"respondent": ["a", "b", "c"], "wave": "baseline", "scale": "s",
    ...                        "score": [3.0, 4.0, 2.0]})
    >>> groups = pd.DataFrame({"respondent": ["a", "b", "c"], "wave": "baseline",
    ...                        "role": ["social_worker", "social_worker", "other"]})
    >>> scale_scores_omitted(scores, groups, min_n=2)
    [('other', 'baseline')]
    """
    return _scale_score_groups(scores, respondents, by=by, waves=waves, min_n=min_n, location="scale_scores_omitted")[1]


def _scale_score_groups(scores, respondents, *, by, waves, min_n, location="scale_scores_plot"):
    """Scores of the drawn groups (``_group`` column) and the ``(group, wave)`` pairs left out."""
    data = scores.dropna(subset=["score"])
    data = data[data["wave"].isin(waves)]
    if data.empty:
        raise DataError("no scale scores to plot", location=location)
    if respondents is not None:
        rr = respondent_column(respondents)
        groups = respondents[[rr, "wave", by]].rename(columns={rr: "respondent"})
        data = data.merge(groups, on=["respondent", "wave"], how="left")
        data["_group"] = data[by].astype(object).where(data[by].notna(), "missing")
    else:
        data = data.assign(_group="all")
    sizes = data.groupby(["_group", "wave"])["respondent"].nunique()
    omitted = sorted(key for key, n in sizes.items() if n < min_n)
    if omitted:
        keep = ~pd.MultiIndex.from_frame(data[["_group", "wave"]]).isin(omitted)
        data = data[keep]
    if data.empty:
        raise DataError(f"every group has fewer than {min_n} respondents", location=location)
    return data, omitted


# --------------------------------------------------------------------------- forest
def forest_plot(
    results: pd.DataFrame,
    *,
    label: str | None = None,
    effect: str = "effect",
    ci_low: str = "ci_low",
    ci_high: str = "ci_high",
    annotate: str | None = None,
    xlim: tuple[float, float] = (-1, 1),
    xlabel: str | None = None,
    language: str = "fi",
    min_n: int = 5,
    n_column: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Forest plot: one row per result with its effect size and confidence interval.

    Results computed from fewer than ``min_n`` persons (``n_pairs``, or the smallest of
    ``n_before``/``n_after``/``n``) are drawn without estimate, interval or annotation,
    labelled "fewer than k": one person's change is not a finding to publish.

    Parameters
    ----------
    results : DataFrame
        E.g. the paired table of :func:`~analysis.survey.compare.compare_waves`.
    label : str, optional
        Column with row labels (default ``label_fi``/``label_en`` by language, else ``scale``).
    effect, ci_low, ci_high : str
        Columns of the effect size and its CI.
    annotate : str, optional
        Column with text written at the right (default ``apa_fi``/``apa_en`` if present).
    xlim : (float, float), default (-1, 1)
    xlabel : str, optional
    language : {"fi", "en"}
    min_n : int, default 5
        The small-cell limit k.
    n_column : str, optional
        The column with the number of persons (default: found by name).
    ax : matplotlib Axes, optional
        Draw the estimates into this Axes; the annotations are written to the right
        of it. Default: a new figure of print width, in the report style, with the
        annotations in a second panel at the right.

    Returns
    -------
    Axes
        The Axes of the estimates.
    """
    _check_language(language)
    if label is None:
        label = f"label_{language}" if f"label_{language}" in results.columns else "scale"
    if annotate is None and f"apa_{language}" in results.columns:
        annotate = f"apa_{language}"
    for column in (label, effect, ci_low, ci_high):
        if column not in results.columns:
            raise DataError(f"the results have no column {column!r}", location="forest_plot")
    if results.empty:
        raise DataError("no results to plot", location="forest_plot")
    from analysis.privacy.suppress import suppress_small_statistics

    results = suppress_small_statistics(results, min_n, n_columns=[n_column] if n_column else None)
    n = len(results)
    own = ax is None
    text_ax = None
    if own:
        _apply_style()
        size = (16 / 2.54, max(2.0, 0.35 * n + 1.2))
        if annotate:
            fig, (ax, text_ax) = plt.subplots(1, 2, figsize=size, sharey=True, gridspec_kw={"width_ratios": [3, 2]})
        else:
            fig, ax = plt.subplots(figsize=size)
    else:
        fig = ax.figure
    ys = np.arange(n)
    est = results[effect].to_numpy(float)
    lo, hi = results[ci_low].to_numpy(float), results[ci_high].to_numpy(float)
    colour = _palette(["followup"])["followup"]
    ax.errorbar(est, ys, xerr=[np.nan_to_num(est - lo), np.nan_to_num(hi - est)], fmt="o", color=colour,
                ecolor=colour, capsize=3, markersize=5)
    ax.axvline(0, color="black", linewidth=0.8, linestyle="--")
    ax.set_yticks(ys, [_wrap(t, 30) for t in results[label].astype(str)])
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlim(*xlim)
    ax.set_xlabel(xlabel or TEXT["effect"][language])
    if text_ax is not None:
        text_ax.axis("off")
        text_ax.set_xlim(0, 1)
        for y, text in zip(ys, results[annotate].astype(str)):
            text_ax.text(0.0, y, _wrap(_in_words(text, language), 34), va="center", ha="left", fontsize="x-small")
    elif annotate:  # a given Axes: the annotations at its right, in line with the rows
        from matplotlib.transforms import blended_transform_factory

        right = blended_transform_factory(ax.transAxes, ax.transData)
        for y, text in zip(ys, results[annotate].astype(str)):
            ax.text(1.03, y, _wrap(_in_words(text, language), 34), va="center", ha="left", fontsize="x-small",
                    transform=right, clip_on=False)
    _comma(ax, "x", language)
    if own:
        _finish(fig)
    return ax


# --------------------------------------------------------------------------- needs
def prevalence_plot(prevalence: pd.DataFrame, *, language: str = "fi", ax: Axes | None = None) -> Axes:
    """Horizontal bars of need prevalence (%) with Wilson 95 % CIs.

    Parameters
    ----------
    prevalence : DataFrame
        From :func:`~analysis.survey.needs.prevalence` (``label_fi/label_en, share,
        ci_low, ci_high``), plotted in its row order.
    language : {"fi", "en"}
    ax : matplotlib Axes, optional
        Draw into this Axes. Default: a new figure of print width whose height fits
        the rows, in the report style.

    Returns
    -------
    Axes
    """
    _check_language(language)
    for column in (f"label_{language}", "share", "ci_low", "ci_high"):
        if column not in prevalence.columns:
            raise DataError(f"the prevalence table has no column {column!r}", location="prevalence_plot")
    n = len(prevalence)
    own = ax is None
    if own:
        _apply_style()
        fig, ax = plt.subplots(figsize=(16 / 2.54, max(2.0, 0.4 * n + 1.0)))
    share = prevalence["share"].to_numpy(float) * 100
    lo = prevalence["ci_low"].to_numpy(float) * 100
    hi = prevalence["ci_high"].to_numpy(float) * 100
    colour = _palette(["young_person"])["young_person"]
    ys = np.arange(n)
    ax.barh(ys, share, color=colour, alpha=0.85)
    ax.errorbar(share, ys, xerr=[np.nan_to_num(share - lo), np.nan_to_num(hi - share)], fmt="none",
                ecolor="black", capsize=3, linewidth=1)
    ax.set_yticks(ys, [_wrap(t, 35) for t in prevalence[f"label_{language}"].astype(str)])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel(TEXT["prevalence"][language])
    if own:
        _finish(fig)
    return ax

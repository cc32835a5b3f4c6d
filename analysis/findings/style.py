"""One figure style for the whole report.

Every notebook draws with the same fonts, sizes, palette and number format, so the
figures of the final publication look like one set. The style is made for print:
a *full*-width figure is 16 cm wide, a *half*-width one 8 cm, and the font sizes are
chosen to be readable at that size (9 pt text, 8 pt ticks).

Colours come from the colour-blind-safe Okabe–Ito palette. A role or group keeps its
colour in every figure (:data:`ROLE_COLOURS`, :data:`MUNICIPALITY_COLOURS`).
Finnish figures use the decimal comma (:func:`use_decimal_comma`), without depending
on the machine's locale.

Saved files are reproducible: :func:`save_figure` writes a 300-dpi PNG and an SVG
whose bytes are the same on every run (fixed ``svg.hashsalt``, no dates or creator in
the metadata, text kept as text so the leak gate can search it).

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from analysis.findings import style
>>> style.apply_style()
>>> fig, ax = style.new_figure("half")
>>> round(float(fig.get_figwidth()) * 2.54, 1)
8.0
>>> style.format_number(1234.5, "fi", 1)
'1\\xa0234,5'
"""

from __future__ import annotations

import io
import math
import numbers
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from analysis.findings._files import atomic_write_bytes

LANGUAGES = ("fi", "en")

#: Print widths in centimetres.
WIDTH_CM = {"full": 16.0, "half": 8.0}

#: Resolution of the PNG files.
DPI = 300

#: Fixed salt for the ids matplotlib writes into SVG files (clip paths, markers).
SVG_HASHSALT = "jakala-findings"

#: A collection of more marks than this (dots, bars, line segments) is embedded in the SVG
#: as a 300-dpi image, the rest of the figure (axes, texts) staying vector: a scatter of
#: 12,000 respondents took 2 s to write as SVG elements and made a file an editor's tools
#: open slowly. The PNG is drawn the same either way.
SVG_RASTER_MARKS = 1000

#: The Okabe–Ito colour-blind-safe palette (Okabe & Ito 2008), plus a neutral grey.
OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
    "grey": "#999999",
}

#: Default cycle for groups without a fixed colour (black and yellow last: weak on white).
PALETTE: tuple[str, ...] = (
    OKABE_ITO["blue"],
    OKABE_ITO["orange"],
    OKABE_ITO["bluish_green"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["grey"],
    OKABE_ITO["yellow"],
    OKABE_ITO["black"],
)

def _vocabulary():
    from analysis.vocabulary import vocabulary

    return vocabulary()


#: The same colour for the same role or wave in every figure (from config/vocabulary.yaml).
ROLE_COLOURS: dict[str, str] = {**_vocabulary().colours("roles"), **_vocabulary().colours("waves")}

#: Fixed colours for the pilot municipalities (from config/vocabulary.yaml).
MUNICIPALITY_COLOURS: dict[str, str] = _vocabulary().colours("municipalities")

#: Labels of roles and waves in Finnish and English (from config/vocabulary.yaml).
ROLE_LABELS: dict[str, dict[str, str]] = {**_vocabulary().labels("roles"), **_vocabulary().labels("waves")}

#: Matplotlib settings of the report style.
RC_PARAMS: dict[str, object] = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Liberation Sans"],
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.title_fontsize": 8,
    "legend.frameon": False,
    "figure.titlesize": 10,
    "figure.figsize": (WIDTH_CM["full"] / 2.54, 9.0 / 2.54),
    "figure.dpi": 100,
    "figure.constrained_layout.use": True,
    "savefig.dpi": DPI,
    "savefig.facecolor": "white",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "axes.prop_cycle": matplotlib.cycler(color=list(PALETTE)),
    "axes.formatter.use_locale": False,
    "lines.linewidth": 1.5,
    "svg.hashsalt": SVG_HASHSALT,
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
    "image.cmap": "cividis",
}


def apply_style() -> None:
    """Set the report style in matplotlib's ``rcParams`` (call once per notebook).

    Also fixes ``SOURCE_DATE_EPOCH`` to 0 when it is not set, so PDF files carry no
    creation date.

    Examples
    --------
    >>> apply_style()
    >>> import matplotlib
    >>> matplotlib.rcParams["svg.fonttype"]
    'none'
    """
    matplotlib.rcParams.update(RC_PARAMS)
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")


def new_figure(width: str = "full", height_cm: float | None = None, **subplot_kw) -> tuple[Figure, object]:
    """Create a figure of print width in the report style.

    Parameters
    ----------
    width : {"full", "half"}
        16 cm or 8 cm wide.
    height_cm : float, optional
        Height in centimetres; default 9 cm for full and 6 cm for half width.
    **subplot_kw
        Passed to :func:`matplotlib.pyplot.subplots` (e.g. ``nrows``, ``ncols``).

    Returns
    -------
    (Figure, Axes or array of Axes)
    """
    if width not in WIDTH_CM:
        raise ValueError(f"width must be 'full' or 'half', got {width!r}")
    apply_style()
    height = height_cm if height_cm is not None else (9.0 if width == "full" else 6.0)
    return plt.subplots(figsize=(WIDTH_CM[width] / 2.54, height / 2.54), **subplot_kw)


def role_label(role: str, language: str = "fi") -> str:
    """Return the fi/en label of a role, wave or other coded value; unknown ids are returned as is.

    Labels come from ``config/vocabulary.yaml`` (:mod:`analysis.vocabulary`).

    Examples
    --------
    >>> role_label("social_counsellor", "fi")
    'sosiaaliohjaaja'
    >>> role_label("followup", "en")
    'follow-up'
    """
    _check_language(language)
    return _vocabulary().label(role, language)


def palette_for(groups: Iterable[str]) -> dict[str, str]:
    """Return a colour for every group, fixed colours first.

    Roles, waves and municipalities get their fixed colour (``colour`` in
    ``config/vocabulary.yaml``); other groups get the remaining palette colours in
    sorted order of their names, so the result does not depend on the order of rows.

    Parameters
    ----------
    groups : iterable of str
        Group ids (duplicates are ignored).

    Returns
    -------
    dict
        ``{group: "#RRGGBB"}`` in the order the groups were first given.

    Examples
    --------
    >>> palette_for(["followup", "baseline"])
    {'followup': '#0072B2', 'baseline': '#56B4E9'}
    """
    ordered = list(dict.fromkeys(str(g) for g in groups))
    fixed = _vocabulary().colours()
    colours = {g: fixed[g] for g in ordered if g in fixed}
    used = set(colours.values())
    free = [c for c in PALETTE if c not in used] or list(PALETTE)
    for i, group in enumerate(sorted(g for g in ordered if g not in fixed)):
        colours[group] = free[i % len(free)]
    return {g: colours[g] for g in ordered}


def format_number(x: object, language: str = "fi", decimals: int | None = None) -> str:
    """Format a number for text and tables: decimal comma and thin-space thousands in ``fi``.

    Parameters
    ----------
    x : number
        The value; NaN and None give ``"–"``.
    language : {"fi", "en"}
    decimals : int, optional
        Digits after the decimal mark; default 0 for integers and 2 for other numbers.

    Returns
    -------
    str

    Examples
    --------
    >>> format_number(0.456, "fi", 2)
    '0,46'
    >>> format_number(12500, "en")
    '12,500'
    >>> format_number(float("nan"), "fi")
    '–'
    """
    _check_language(language)
    if x is None or (isinstance(x, numbers.Real) and math.isnan(float(x))):
        return "–"
    if not isinstance(x, numbers.Real) or isinstance(x, bool):
        return str(x)
    if decimals is None:
        decimals = 0 if isinstance(x, numbers.Integral) else 2
    text = f"{float(x):,.{decimals}f}" if decimals > 0 else f"{round(float(x)):,d}"
    if text in ("-0", "-0." + "0" * decimals):
        text = text[1:]
    if language == "fi":
        text = text.replace(",", "\u00a0").replace(".", ",")
    return text


def format_percent(share: object, language: str = "fi", decimals: int = 0) -> str:
    """Format a share (0–1) as a percentage: ``"12 %"`` in Finnish, ``"12%"`` in English.

    Examples
    --------
    >>> format_percent(0.125, "fi", 1)
    '12,5\\xa0%'
    """
    if share is None or (isinstance(share, numbers.Real) and math.isnan(float(share))):
        return "–"
    number = format_number(float(share) * 100, language, decimals)
    return f"{number}\u00a0%" if language == "fi" else f"{number}%"


def tick_formatter(language: str = "fi", decimals: int | None = None) -> FuncFormatter:
    """Return a matplotlib tick formatter with the decimal mark of ``language``.

    With ``decimals=None`` ticks are written as short as possible (``0,5``, ``1``).
    """
    _check_language(language)

    def _format(value: float, _pos: int | None = None) -> str:
        if decimals is None:
            text = f"{value:.6g}"
            if text in ("-0",):
                text = "0"
        else:
            text = f"{value:.{decimals}f}"
        text = text.replace("-", "\u2212")
        return text.replace(".", ",") if language == "fi" else text

    return FuncFormatter(_format)


def use_decimal_comma(ax, axis: str = "both", decimals: int | None = None, language: str = "fi"):
    """Write the tick labels of ``ax`` with a decimal comma (no locale needed).

    Parameters
    ----------
    ax : matplotlib Axes
    axis : {"x", "y", "both"}
    decimals : int, optional
        Fixed number of decimals; default: as short as possible.
    language : {"fi", "en"}
        ``"en"`` restores a decimal point (useful to switch with one parameter).

    Returns
    -------
    Axes
        ``ax``, for chaining.
    """
    if axis not in ("x", "y", "both"):
        raise ValueError(f"axis must be 'x', 'y' or 'both', got {axis!r}")
    formatter = tick_formatter(language, decimals)
    if axis in ("x", "both"):
        ax.xaxis.set_major_formatter(formatter)
    if axis in ("y", "both"):
        ax.yaxis.set_major_formatter(formatter)
    return ax


class _PngWriter:
    """Compress one Pillow image to PNG bytes (300 dpi, zlib level 1) in a thread of its own."""

    def __init__(self, image: Any) -> None:
        import threading

        self.image, self.data, self.error = image, b"", None
        self.thread = threading.Thread(target=self._run, name="png-writer", daemon=True)

    def _run(self) -> None:
        try:
            buffer = io.BytesIO()
            self.image.save(buffer, format="png", dpi=(DPI, DPI), compress_level=1)
            self.data = buffer.getvalue()
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
            self.error = exc

    def start(self) -> None:
        self.thread.start()

    def result(self) -> bytes:
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.data


def render_figure(fig: Figure) -> dict[str, bytes]:
    """Render ``fig`` to reproducible PNG (300 dpi) and SVG bytes (:func:`render_and_check` without the check)."""
    return render_and_check(fig)[0]


def render_and_check(fig: Figure, language: str | None = None) -> tuple[dict[str, bytes], list[str]]:
    """Render ``fig`` to reproducible PNG (300 dpi) and SVG bytes; with ``language``, check its texts too.

    The figure is drawn once at 300 dpi on an Agg canvas; that draw computes the layout
    (constrained or tight), which is then frozen for the SVG (the engine removed, so
    ``savefig`` skips the layout-only pass it runs before every real draw while a figure
    has one). The PNG is written from the drawn pixels with Pillow: RGB when every pixel
    is opaque (always, on the white background), zlib level 1 (about half the time of
    the default level, files about a quarter larger). The engine and the figure's canvas,
    resolution and face colour are restored afterwards. No dates, no creator, fixed SVG
    ids: the bytes are the same in every run.

    With ``language`` the checks of :func:`figure_problems` run on the 300-dpi draw (the
    layout as published), with its tolerances scaled to 300 dpi, so the figure is not
    laid out and drawn once more for them.

    Returns
    -------
    tuple
        ``({"png": bytes, "svg": bytes}, problems)``; ``problems`` as from
        :func:`figure_problems`, empty without ``language``.

    Examples
    --------
    >>> fig, ax = plt.subplots(layout="constrained")
    >>> _ = ax.plot([1, 2], [0.5, 1.5])
    >>> (first, problems), second = render_and_check(fig, "fi"), render_figure(fig)
    >>> first == second, first["png"][:4] == b"\\x89PNG", fig.get_layout_engine() is not None
    (True, True, True)
    >>> problems[0]  # no finnish_numbers(fig) here
    "decimal point in a Finnish figure: '1.0'"
    >>> render_and_check(fig, "en")[1]
    []
    >>> plt.close(fig)
    """
    if language is not None:
        _check_language(language)
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    if not isinstance(fig, Figure):
        raise TypeError(f"expected a matplotlib Figure, got {type(fig).__name__}")
    out: dict[str, bytes] = {}
    problems: list[str] = []
    engine = fig.get_layout_engine()
    dpi = fig.dpi
    canvas = fig.canvas
    facecolor = fig.get_facecolor()
    with matplotlib.rc_context({"svg.hashsalt": SVG_HASHSALT, "svg.fonttype": "none"}):
        try:
            agg = FigureCanvasAgg(fig)  # a canvas of its own, as savefig uses for a format
            fig.set_facecolor("white")
            fig.set_dpi(DPI)
            agg.draw()  # the layout at 300 dpi, as savefig computes it for the PNG, and the pixels
            if language is not None:
                try:
                    problems = _text_problems(fig, agg.get_renderer(), language, px=DPI / dpi)
                except Exception as exc:  # the check must never stop a run, but it says that it could not look
                    problems = [f"layout not checked: {type(exc).__name__}: {exc}"]
            if engine is not None:  # frozen; no engine at all (not "none"), so savefig skips its layout-only pass
                with matplotlib.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
                    fig.set_layout_engine(None)
            rgba = np.asarray(agg.buffer_rgba())
            image = Image.frombuffer("RGBA", (rgba.shape[1], rgba.shape[0]), rgba, "raw", "RGBA", 0, 1)
            image = image.convert("RGB") if bool((rgba[..., 3] == 255).all()) else image.copy()
            # the PNG is compressed in a thread while the SVG is drawn (Pillow releases the GIL
            # while it compresses); the bytes do not depend on it
            png = _PngWriter(image)
            png.start()
            fig.set_canvas(canvas)
            fig.set_facecolor(facecolor)
            fig.set_dpi(dpi)
            buffer = io.BytesIO()
            dense = _dense_collections(fig)
            try:
                for collection in dense:
                    collection.set_rasterized(True)
                fig.savefig(buffer, format="svg", dpi=DPI, metadata={"Date": None, "Creator": None},
                            facecolor="white")
            finally:
                for collection in dense:
                    collection.set_rasterized(False)
                out["png"] = png.result()
            out["svg"] = buffer.getvalue()
        finally:
            fig.set_canvas(canvas)
            fig.set_facecolor(facecolor)
            fig.set_dpi(dpi)
            if engine is not None:
                fig.set_layout_engine(engine)
    return out, problems


def _dense_collections(fig: Figure) -> list:
    """The collections of ``fig`` with more than :data:`SVG_RASTER_MARKS` marks, not yet rasterised.

    Examples
    --------
    >>> fig, ax = plt.subplots()
    >>> few, many = ax.scatter([1, 2], [1, 2]), ax.scatter(range(1500), range(1500))
    >>> _dense_collections(fig) == [many]
    True
    >>> plt.close(fig)
    """
    from matplotlib.collections import Collection

    def marks(collection) -> int:
        offsets = collection.get_offsets()
        return max(len(offsets) if offsets is not None else 0, len(collection.get_paths() or ()))

    return [c for c in fig.findobj(Collection) if not c.get_rasterized() and marks(c) > SVG_RASTER_MARKS]


def save_figure(fig: Figure, path_stem: str | Path, formats: Sequence[str] = ("png", "svg")) -> dict[str, Path]:
    """Save ``fig`` as ``<path_stem>.png`` (300 dpi) and ``<path_stem>.svg``, atomically.

    The bytes are identical across runs: no dates, no creator, fixed SVG ids.

    Parameters
    ----------
    fig : Figure
    path_stem : str or Path
        Path without extension; folders are created.
    formats : sequence of {"png", "svg"}

    Returns
    -------
    dict
        ``{"png": Path, "svg": Path}``.

    Examples
    --------
    >>> fig, ax = new_figure("half")
    >>> _ = ax.plot([1, 2], [0.5, 1.5])
    >>> import tempfile, pathlib
    >>> paths = save_figure(fig, pathlib.Path(tempfile.mkdtemp()) / "demo")
    >>> sorted(paths)
    ['png', 'svg']
    """
    path_stem = Path(path_stem)
    rendered = render_figure(fig)
    paths = {}
    for fmt in formats:
        if fmt not in rendered:
            raise ValueError(f"unsupported figure format {fmt!r}; use 'png' or 'svg'")
        paths[fmt] = atomic_write_bytes(path_stem.with_name(path_stem.name + "." + fmt), rendered[fmt])
    return paths


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"language must be 'fi' or 'en', got {language!r}")


def finnish_numbers(fig: Figure, language: str = "fi") -> Figure:
    """Write every numeric tick label of ``fig`` (colour bars too) with the decimal mark of ``language``.

    Axes that already have a custom formatter (percentages, dates, category names) are
    left alone; the default :class:`~matplotlib.ticker.ScalarFormatter` is replaced by
    :func:`tick_formatter` (in English too: the shortest form, ``1`` rather than ``1.0``).
    Called by the registry for every figure, so no plot function can forget the decimal
    comma.
    """
    from matplotlib.ticker import ScalarFormatter

    _check_language(language)
    for ax in fig.get_axes():
        for axis in (ax.xaxis, ax.yaxis):
            if type(axis.get_major_formatter()) is ScalarFormatter and axis.get_scale() == "linear":
                # as short as possible in both languages ("1", not "1.0", which can run off the edge)
                axis.set_major_formatter(tick_formatter(language))
    return fig


def integer_ticks(ax, axis: str = "y"):
    """Put only whole-number ticks on a count axis (no "2,5 merkintää")."""
    from matplotlib.ticker import MaxNLocator

    for name in ("x", "y") if axis == "both" else (axis,):
        getattr(ax, f"{name}axis").set_major_locator(MaxNLocator(integer=True))
    return ax


def figure_problems(fig: Figure, language: str = "fi") -> list[str]:
    """What an editor would send back about a drawn figure.

    * a decimal point in a Finnish figure's text (``0.5`` instead of ``0,5``);
    * an internal id (``need_housing``, ``social_worker``) instead of words;
    * two visible texts whose boxes overlap (tick labels, axis labels, legend, notes);
    * a text cut off at the figure's edge.

    Returns
    -------
    list of str
        One line per problem; empty when the figure reads clean.
    """
    if not hasattr(fig.canvas, "get_renderer"):  # a Figure made without pyplot has no drawing canvas yet
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    try:
        fig.draw_without_rendering()  # the layout and the texts' places, without rasterising the pixels
        renderer = fig.canvas.get_renderer()
    except Exception as exc:  # the check must never stop a run, but it says that it could not look
        return [f"layout not checked: {type(exc).__name__}: {exc}"]
    return _text_problems(fig, renderer, language)


def _text_problems(fig: Figure, renderer: Any, language: str, px: float = 1.0) -> list[str]:
    """The checks of :func:`figure_problems` on a figure drawn (or laid out) with ``renderer``.

    ``px`` is the renderer's pixel size in pixels at the figure's own resolution (3 at
    300 dpi for a 100-dpi figure): the tolerances (1 and 1.5 pixels at 100 dpi) are the
    same lengths on paper at any resolution.
    """
    import re

    from matplotlib.text import Text

    box = fig.bbox
    # tick labels that matplotlib draws (those outside the view limits exist but are not drawn)
    drawn_ticks, all_ticks = set(), set()
    for ax in fig.get_axes():
        for axis in (ax.xaxis, ax.yaxis):
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                all_ticks.update((id(tick.label1), id(tick.label2)))
            for tick in axis._update_ticks():  # the ticks inside the view, as drawn
                drawn_ticks.update((id(tick.label1), id(tick.label2)))
    texts = []
    for artist in fig.findobj(Text):
        if not artist.get_visible() or not artist.get_text().strip():
            continue
        if id(artist) in all_ticks and id(artist) not in drawn_ticks:
            continue
        if artist.axes is not None and artist.get_clip_on() and artist not in artist.axes.get_xticklabels() + artist.axes.get_yticklabels():
            clip = artist.get_clip_box()
            extent = artist.get_window_extent(renderer)
            if clip is not None and not clip.overlaps(extent):
                continue  # clipped away: not shown
        texts.append((artist, artist.get_window_extent(renderer)))
    problems = []
    decimal_point = re.compile(r"(?<![\w.])\d+\.\d+(?![\w.])")
    snake_case = re.compile(r"(?<![\w/.\-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/.\-])")
    for artist, extent in texts:
        text = artist.get_text()
        for token in snake_case.findall(text):
            problems.append(f"internal id in the figure: {token!r}")
        if language == "fi" and decimal_point.search(text.replace("\u2212", "-")):
            problems.append(f"decimal point in a Finnish figure: {text!r}")
        if (extent.x0 < box.x0 - px or extent.y0 < box.y0 - px or extent.x1 > box.x1 + px
                or extent.y1 > box.y1 + px):
            problems.append(f"text cut off at the edge: {text!r}")
    turned: dict[int, tuple[float, float, float, float]] = {}

    def rotated(index: int) -> tuple[float, float, float, float]:
        """Centre and half-sizes of a rotated one-line text in its own (rotated) frame (once a text)."""
        if index not in turned:
            artist, extent = texts[index]
            angle = math.radians(artist.get_rotation())
            width, height, _ = renderer.get_text_width_height_descent(artist.get_text(), artist.get_fontproperties(),
                                                                      ismath=False)
            cx, cy = (extent.x0 + extent.x1) / 2, (extent.y0 + extent.y1) / 2
            turned[index] = (cx * math.cos(angle) + cy * math.sin(angle), -cx * math.sin(angle) + cy * math.cos(angle),
                             width / 2, height / 2)
        return turned[index]

    # pairs whose boxes overlap by more than 1.5 px both ways: a sweep from left to right (a text
    # starting right of where another ends cannot overlap it, nor can any text starting further
    # right), reported in the order of the texts
    overlapping = []
    by_left = sorted(range(len(texts)), key=lambda i: texts[i][1].x0)
    for place, i in enumerate(by_left):
        a, ea = texts[i]
        for j in by_left[place + 1:]:
            b, eb = texts[j]
            if eb.x0 >= ea.x1 - 1.5 * px:
                break
            w = min(ea.x1, eb.x1) - max(ea.x0, eb.x0)
            h = min(ea.y1, eb.y1) - max(ea.y0, eb.y0)
            if w <= 1.5 * px or h <= 1.5 * px:
                continue
            angle = a.get_rotation() % 180
            if angle and angle == b.get_rotation() % 180 and "\n" not in a.get_text() + b.get_text():
                # two texts turned by the same angle (tick labels): compare their true, turned boxes
                (xa, ya, wa, ha), (xb, yb, wb, hb) = rotated(i), rotated(j)
                if abs(xa - xb) >= wa + wb - 1.5 * px or abs(ya - yb) >= ha + hb - 1.5 * px:
                    continue
            overlapping.append((min(i, j), max(i, j)))
    for i, j in sorted(overlapping):
        problems.append(f"texts overlap: {texts[i][0].get_text()!r} and {texts[j][0].get_text()!r}")
    return problems

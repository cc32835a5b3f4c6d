"""Tests of the one figure style: print sizes, palette, Finnish numbers, reproducible files."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from analysis.findings import style  # noqa: E402


def _figure(language: str = "fi"):
    fig, ax = style.new_figure("half", height_cm=5)
    ax.plot([0, 1, 2], [0.5, 1.25, 0.75], label="sosiaaliohjaaja", color=style.ROLE_COLOURS["social_counsellor"])
    ax.set_title("Roolien selkeys (keskiarvo)")
    style.use_decimal_comma(ax, "y", language=language)
    ax.legend()
    return fig


def test_save_figure_is_byte_identical_across_runs(tmp_path):
    first = style.save_figure(_figure(), tmp_path / "one")
    second = style.save_figure(_figure(), tmp_path / "two")
    plt.close("all")
    for fmt in ("png", "svg"):
        assert first[fmt].read_bytes() == second[fmt].read_bytes(), fmt
    svg = first["svg"].read_text(encoding="utf-8")
    assert "<dc:date>" not in svg and "Matplotlib v" not in svg
    # text stays text (svg.fonttype none), so the leak gate can search it
    assert "Roolien selkeys" in svg and "sosiaaliohjaaja" in svg
    png = first["png"].read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.png", "one.svg", "two.png", "two.svg"]


def test_png_is_300_dpi_at_print_width(tmp_path):
    from PIL import Image

    paths = style.save_figure(_figure(), tmp_path / "fig", formats=("png",))
    with Image.open(paths["png"]) as image:
        width_px = image.size[0]
        dpi = image.info.get("dpi")
    assert abs(width_px - round(8 / 2.54 * 300)) <= 2
    assert dpi is not None and round(dpi[0]) == 300


def test_decimal_comma_ticks():
    fig = _figure("fi")
    fig.canvas.draw()
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels() if t.get_text()]
    assert any("," in label for label in labels) and not any("." in label for label in labels)
    fig_en = _figure("en")
    fig_en.canvas.draw()
    labels_en = [t.get_text() for t in fig_en.axes[0].get_yticklabels() if t.get_text()]
    assert any("." in label for label in labels_en) and not any("," in label for label in labels_en)
    plt.close("all")


@pytest.mark.parametrize(
    ("value", "language", "decimals", "expected"),
    [
        (0.456, "fi", 2, "0,46"),
        (0.456, "en", 2, "0.46"),
        (1234.5, "fi", 1, "1\u00a0234,5"),
        (1234, "en", None, "1,234"),
        (-0.004, "fi", 2, "0,00"),
        (float("nan"), "fi", None, "–"),
        (3, "fi", None, "3"),
    ],
)
def test_format_number(value, language, decimals, expected):
    assert style.format_number(value, language, decimals) == expected


def test_format_percent():
    assert style.format_percent(0.125, "fi", 1) == "12,5\u00a0%"
    assert style.format_percent(0.5, "en") == "50%"


def test_palette_is_fixed_for_roles_and_stable_for_others():
    assert style.palette_for(["social_worker"])["social_worker"] == style.ROLE_COLOURS["social_worker"]
    first = style.palette_for(["Kemi", "x_group", "a_group"])
    second = style.palette_for(["a_group", "x_group", "Kemi"])
    assert first == {k: second[k] for k in first}
    assert first["Kemi"] == style.MUNICIPALITY_COLOURS["Kemi"]
    assert len(set(first.values())) == 3
    # every role and wave has its own colour
    roles = [r for r in style.ROLE_COLOURS]
    assert len(set(style.ROLE_COLOURS[r] for r in roles)) == len(roles)


def test_role_label_and_language_check():
    assert style.role_label("young_person", "fi") == "nuori"
    assert style.role_label("expert_by_experience", "en") == "expert by experience"
    assert style.role_label("unknown_role", "en") == "unknown_role"
    with pytest.raises(ValueError):
        style.role_label("young_person", "sv")


def test_apply_style_sets_reproducible_svg():
    style.apply_style()
    assert matplotlib.rcParams["svg.hashsalt"] == style.SVG_HASHSALT
    assert matplotlib.rcParams["svg.fonttype"] == "none"
    assert matplotlib.rcParams["savefig.dpi"] == 300


def test_finnish_numbers_reach_every_axis_and_colour_bar():
    fig, ax = style.new_figure("half")
    image = ax.imshow([[0.1, 0.25], [0.5, 0.75]])
    fig.colorbar(image, ax=ax)
    ax.set_xlim(0, 1.5)
    style.finnish_numbers(fig, "fi")
    fig.canvas.draw()
    labels = [t.get_text() for a in fig.get_axes() for t in a.get_xticklabels() + a.get_yticklabels() if t.get_text()]
    assert any("," in t for t in labels) and not any("." in t for t in labels), labels
    assert style.figure_problems(fig, "fi") == []


def _problem_figure():
    """Overlapping texts, a decimal point in Finnish, text cut at the edge, an internal id."""
    fig, ax = style.new_figure("half")
    ax.plot([0, 1], [0, 1])
    ax.text(0.5, 0.5, "päällekkäin", transform=ax.transAxes)
    ax.text(0.5, 0.5, "toinen teksti", transform=ax.transAxes)
    ax.text(1.4, 0.5, "0.5 reunan yli", transform=ax.transAxes)
    ax.set_xlabel("need_housing")
    return fig


def test_figure_problems_finds_overlaps_decimal_points_and_cut_text():
    fig = _problem_figure()
    found = style.figure_problems(fig, "fi")
    assert any("internal id" in p and "need_housing" in p for p in found)
    assert any("overlap" in p and "päällekkäin" in p for p in found)
    assert any("decimal point" in p for p in found) and any("cut off" in p for p in found)
    assert not any("decimal point" in p for p in style.figure_problems(fig, "en"))


def test_integer_ticks_on_count_axes():
    fig, ax = style.new_figure("half")
    ax.bar(["a", "b"], [1, 3])
    style.integer_ticks(ax, "y")
    fig.canvas.draw()
    assert all(float(t).is_integer() for t in ax.get_yticks())


def test_registry_records_layout_problems_and_draws_both_languages(tmp_path):
    from analysis.findings import Registry

    reg = Registry.for_run("demo", root=tmp_path)

    def draw(language):
        fig, ax = style.new_figure("half")
        ax.bar(["a", "b"], [0.25, 0.5])
        ax.set_ylabel("Osuus" if language == "fi" else "Share")
        return fig

    reg.figure("bars", draw, caption={"fi": "Pylväät", "en": "Bars"})
    item = reg.wait().items[-1]
    assert set(item["files"]) == {"png", "svg", "png_en", "svg_en"}
    assert item["layout_problems"] == {}
    svg_fi = (tmp_path / item["files"]["svg"]).read_text(encoding="utf-8")
    svg_en = (tmp_path / item["files"]["svg_en"]).read_text(encoding="utf-8")
    assert "Osuus" in svg_fi and "0,5" in svg_fi and "Share" in svg_en and "0.5" in svg_en


def test_figure_problems_on_a_figure_made_without_pyplot():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3, 2))
    ax = fig.add_subplot()
    ax.plot([0, 1], [0.5, 1.5])
    assert style.figure_problems(fig, "en") == []


def test_turned_tick_labels_side_by_side_do_not_count_as_overlap():
    fig, ax = style.new_figure("full", height_cm=6)
    quarters = [f"{y}/Q{q}" for y in (2024, 2025, 2026) for q in (1, 2, 3, 4)]
    ax.plot(range(len(quarters)), range(len(quarters)))
    ax.set_xticks(range(len(quarters)), labels=quarters, rotation=45, ha="right")
    assert style.figure_problems(fig, "fi") == []
    ax.set_xticks(range(len(quarters)), labels=[q * 3 for q in quarters], rotation=0)
    assert any("overlap" in p for p in style.figure_problems(fig, "fi"))


def test_render_and_check_finds_what_figure_problems_finds_and_draws_the_same_files():
    quarters = [f"{y}/Q{q}" for y in (2024, 2025, 2026) for q in (1, 2, 3, 4)]

    def turned(rotation, labels):
        fig, ax = style.new_figure("full", height_cm=6)
        ax.plot(range(len(quarters)), range(len(quarters)))
        ax.set_xticks(range(len(quarters)), labels=labels, rotation=rotation, ha="right" if rotation else "center")
        return fig

    makers = [_problem_figure, lambda: turned(45, quarters), lambda: turned(0, [q * 3 for q in quarters]), _figure]
    for make in makers:
        for language in ("fi", "en"):
            expected = style.figure_problems(make(), language)
            rendered, found = style.render_and_check(make(), language)
            assert found == expected, (make, language)
            assert rendered == style.render_figure(make())
            plt.close("all")
    assert any("overlap" in p for p in style.render_and_check(_problem_figure(), "fi")[1])
    plt.close("all")


def test_png_is_rgb_and_the_figure_is_restored_after_rendering():
    from io import BytesIO

    from PIL import Image

    fig = _figure()
    canvas, dpi, face, engine = fig.canvas, fig.dpi, fig.get_facecolor(), fig.get_layout_engine()
    png = style.render_figure(fig)["png"]
    assert (fig.canvas, fig.dpi, fig.get_facecolor(), fig.get_layout_engine()) == (canvas, dpi, face, engine)
    with Image.open(BytesIO(png)) as image:
        assert image.mode == "RGB" and image.getpixel((0, 0)) == (255, 255, 255)
    plt.close(fig)


def test_the_overlap_sweep_finds_the_pairs_every_pair_comparison_finds():
    """The overlap check sweeps from left to right; it must report what comparing every pair reports."""
    import math
    import random

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    rng = random.Random(7)
    fig = matplotlib.figure.Figure(figsize=(6, 4), dpi=100)
    ax = fig.add_subplot()
    ax.set_axis_off()
    for n in range(80):  # crowded labels, some turned like tick labels
        ax.text(rng.random(), rng.random(), f"label {n}", rotation=rng.choice([0, 0, 45, 90]), fontsize=7)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    found = [p for p in style._text_problems(fig, renderer, "en") if p.startswith("texts overlap")]

    texts = [(t, t.get_window_extent(renderer)) for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]

    def turned(artist, extent):
        angle = math.radians(artist.get_rotation())
        width, height, _ = renderer.get_text_width_height_descent(artist.get_text(), artist.get_fontproperties(),
                                                                  ismath=False)
        cx, cy = (extent.x0 + extent.x1) / 2, (extent.y0 + extent.y1) / 2
        return (cx * math.cos(angle) + cy * math.sin(angle), -cx * math.sin(angle) + cy * math.cos(angle),
                width / 2, height / 2)

    expected = []
    for i, (a, ea) in enumerate(texts):  # every pair, as the check was first written
        for b, eb in texts[i + 1:]:
            w, h = min(ea.x1, eb.x1) - max(ea.x0, eb.x0), min(ea.y1, eb.y1) - max(ea.y0, eb.y0)
            if w <= 1.5 or h <= 1.5:
                continue
            angle = a.get_rotation() % 180
            if angle and angle == b.get_rotation() % 180:
                (xa, ya, wa, ha), (xb, yb, wb, hb) = turned(a, ea), turned(b, eb)
                if abs(xa - xb) >= wa + wb - 1.5 or abs(ya - yb) >= ha + hb - 1.5:
                    continue
            expected.append(f"texts overlap: {a.get_text()!r} and {b.get_text()!r}")
    assert len(expected) > 20  # the test means something: many overlaps, turned ones among them
    assert found == expected

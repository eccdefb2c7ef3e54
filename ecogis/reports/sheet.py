"""Printed maps: a map sheet on A4 / A3 paper (PDF or PNG), and the map figures of a report.

A sheet has a title, the map in its frame with a longitude / latitude graticule, a north
arrow, a legend, a scale bar with its numeric scale (a round number: the map is drawn at that
scale, so it measures right when printed at 100 %), the coordinate system and projection, the
data sources, the mapping organisation (config ``organisation:``) and the date. A report
figure is the same map without the sheet's notes (the document carries them) and with its
legend beside it. Both are drawn by :func:`compose`, from one
:class:`~ecogis.reports.cartography.MapSpec`, in Chinese.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import EcogisError
from ..i18n import _
from .cartography import (
    MM,
    MapSpec,
    add_graticule,
    add_north_arrow,
    add_scale_bar,
    crs_lines,
    draw_layers,
    draw_legend,
    fit_extent,
    mm_axes,
    place_labels,
    scale_text,
)
from .fonts import CJKFont, find_cjk_font
from .language import in_chinese
from .model import PAPERS, SHEET_DPI, SHEET_SUFFIXES

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "SheetOptions",
    "compose",
    "render_sheet",
    "write_sheet",
    "figure_png",
    "drawing",
    "paper_size",
]


@dataclass
class SheetOptions:
    """How a sheet is printed.

    Attributes
    ----------
    paper : str
        ``A4`` or ``A3`` (:data:`~ecogis.reports.model.PAPERS`).
    landscape : bool
        Long side across.
    dpi : int
        Resolution of a PNG (and of any raster inside a PDF).
    font : str or path, optional
        A font file with Chinese characters; default the first installed one.
    organisation : str, optional
        The mapping organisation (制图单位), config ``organisation:``.
    date : date, optional
        The mapping date (default today).
    """

    paper: str = "A4"
    landscape: bool = False
    dpi: int = SHEET_DPI
    font: str | os.PathLike | None = None
    organisation: str | None = None
    date: _dt.date | None = None
    notes: list[str] = field(default_factory=list)


def paper_size(paper: str, landscape: bool) -> tuple[float, float]:
    """``(width, height)`` of the paper in mm."""
    if paper not in PAPERS:
        raise EcogisError(
            _("unknown paper {paper!r}; allowed: {allowed}").format(
                paper=paper, allowed=", ".join(PAPERS)
            )
        )
    w, h = PAPERS[paper]
    return (h, w) if landscape else (w, h)


@contextlib.contextmanager
def drawing(font: str | os.PathLike | None = None) -> Iterator[CJKFont]:
    """matplotlib settings for printed maps: the Chinese font first (Latin falls back to
    DejaVu Sans), a real minus sign, text kept as text in PDFs. Yields the font."""
    import matplotlib

    cjk = find_cjk_font(font)
    rc = {
        "font.family": [cjk.name, "DejaVu Sans"],
        "axes.unicode_minus": False,
        "pdf.fonttype": 3,  # embedded subsets: pdftotext and search find the Chinese text
        "hatch.linewidth": 0.5,
        "svg.fonttype": "none",
    }
    with matplotlib.rc_context(rc):
        yield cjk


def _wrap_mm(text: str, width_mm: float, fontsize: float) -> list[str]:
    """``text`` in lines that fit ``width_mm`` at ``fontsize`` points (a Chinese character is
    about one em wide, a Latin one half)."""
    from ..tables import _wrap

    em_mm = fontsize / 72 * MM
    columns = max(8, int(width_mm / (em_mm / 2)))
    return _wrap(text, columns)


def _notes(spec: MapSpec, options: SheetOptions, scale: int) -> list[str]:
    """The sheet's notes, in order: coordinate system, projection, scale, sources, maker, date."""
    system, proj = crs_lines(spec.crs)
    lines = [
        _("Coordinate system: {system}").format(system=system),
        _("Projection: {projection}").format(projection=proj),
        _("Scale: {scale}").format(scale=scale_text(scale)),
    ]
    if spec.sources:
        lines.append(_("Data sources: {sources}").format(sources=_("; ").join(spec.sources)))
    if options.organisation:
        lines.append(_("Made by: {organisation}").format(organisation=options.organisation))
    day = options.date or _dt.date.today()
    lines.append(
        _("Date: {date}").format(
            date=_("{y}-{m:02d}-{d:02d}").format(y=day.year, m=day.month, d=day.day)
        )
    )
    lines.extend(options.notes)
    return lines


def compose(
    fig: Figure,
    spec: MapSpec,
    *,
    map_box: tuple[float, float, float, float],
    legend_box: tuple[float, float, float, float],
    scale_at: tuple[float, float],
    arrow_size: float,
    label_scale: float = 1.0,
    legend_font: float = 7.5,
    scale_max_mm: float = 40.0,
) -> int:
    """Draw ``spec`` into ``fig``: the map in ``map_box`` (x, y, w, h mm; the graticule labels
    go outside it), the legend in ``legend_box``, the scale bar at ``scale_at``. Returns the
    numeric scale."""
    x, y, w, h = map_box
    extent, scale = fit_extent(spec.focus, w, h)
    ax = mm_axes(fig, x, y, w, h)
    draw_layers(ax, spec, extent)
    add_graticule(ax, spec.crs, extent, fontsize=6.0 * label_scale)
    place_labels(ax, spec, extent, size_scale=label_scale)
    for spine in ax.spines.values():
        spine.set_linewidth(0.6)
    add_north_arrow(
        fig, x + w - arrow_size * 0.6 - 3, y + h - arrow_size - 3, arrow_size,
        crs=spec.crs, extent=extent,
    )  # fmt: skip
    lx, ly, lw, lh = legend_box
    draw_legend(
        fig, spec.legend_items(extent), lx, ly, lw, lh, title=_("Legend"), fontsize=legend_font
    )
    add_scale_bar(fig, scale_at[0], scale_at[1], scale, fontsize=legend_font, max_mm=scale_max_mm)
    return scale


def render_sheet(spec: MapSpec, options: SheetOptions | None = None) -> Figure:
    """The map sheet of ``spec`` as a matplotlib Figure (draw inside :func:`drawing`)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    options = options or SheetOptions()
    pw, ph = paper_size(options.paper, options.landscape)
    big = options.paper == "A3"
    k = 1.3 if big else 1.0  # type and furniture grow with the paper
    fig = Figure(figsize=(pw / MM, ph / MM))
    FigureCanvasAgg(fig)
    m = 10.0 * k
    title_h = 16.0 * k
    gap = 7.0 * k  # room for the graticule labels around the map
    # the outer frame holds the map and the panel
    fx, fy, fw, fh = m, m, pw - 2 * m, ph - 2 * m - title_h
    if options.landscape:
        panel_w = 62.0 * k
        map_box = (fx + gap, fy + gap, fw - panel_w - 2 * gap, fh - 2 * gap)
        px, py, pw_, ph_ = fx + fw - panel_w, fy, panel_w, fh
    else:
        panel_h = 58.0 * k
        map_box = (fx + gap, fy + panel_h + gap, fw - 2 * gap, fh - panel_h - 2 * gap)
        px, py, pw_, ph_ = fx, fy, fw, panel_h
    back = mm_axes(fig, 0, 0, pw, ph)
    back.set_xlim(0, pw)
    back.set_ylim(0, ph)
    back.set_axis_off()
    back.set_zorder(-10)
    back.add_patch(Rectangle((fx, fy), fw, fh, fill=False, linewidth=1.2, edgecolor="black"))
    if options.landscape:
        back.plot([px, px], [py, py + ph_], color="black", linewidth=0.6)
    else:
        back.plot([px, px + pw_], [py + ph_, py + ph_], color="black", linewidth=0.6)
    title = (
        _("{title} ({subtitle})").format(title=spec.title, subtitle=spec.subtitle)
        if spec.subtitle
        else spec.title
    )
    back.text(pw / 2, ph - m - title_h / 2, title, ha="center", va="center",
              fontsize=17 * k, fontweight="bold")  # fmt: skip
    fs = 7.5 * k
    line_mm = fs / 72 * MM * 1.45
    if options.landscape:
        legend_box = (px + 4 * k, py + ph_ * 0.45, pw_ - 8 * k, ph_ * 0.55 - 4 * k)
        scale_at = (px + 4 * k, py + ph_ * 0.45 - 16 * k)
        note_box = (px + 4 * k, py + 4 * k, pw_ - 8 * k, ph_ * 0.45 - 22 * k)
    else:
        half = pw_ * 0.52
        legend_box = (px + 4 * k, py + 4 * k, half - 8 * k, ph_ - 8 * k)
        scale_at = (px + half, py + ph_ - 16 * k)
        note_box = (px + half, py + 4 * k, pw_ - half - 4 * k, ph_ - 22 * k)
    scale = compose(
        fig,
        spec,
        map_box=map_box,
        legend_box=legend_box,
        scale_at=scale_at,
        arrow_size=13 * k,
        label_scale=k,
        legend_font=fs,
    )
    nx, ny, nw, nh = note_box
    lines = []
    for note in _notes(spec, options, scale):
        lines += _wrap_mm(note, nw, fs)
    top = ny + nh
    for i, line in enumerate(lines):
        back.text(nx, top - i * line_mm, line, ha="left", va="top", fontsize=fs)
    return fig


def write_sheet(
    spec: MapSpec,
    path: str | os.PathLike,
    options: SheetOptions | None = None,
    *,
    overwrite: bool = False,
) -> Path:
    """Write the map sheet of ``spec`` to ``path`` (``.pdf`` or ``.png``), atomically.

    The sheet is in Chinese whatever the interface language (it is a document).
    """
    from ..io._atomic import atomic_path

    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if f".{fmt}" not in SHEET_SUFFIXES:
        raise EcogisError(
            _("{path}: a map sheet is a {allowed} file").format(
                path=path, allowed=" / ".join(SHEET_SUFFIXES)
            )
        )
    options = options or SheetOptions()
    with drawing(options.font), in_chinese():
        fig = render_sheet(spec, options)
        meta = (
            {"Title": spec.title, "Creator": "ecogis"}
            if fmt == "pdf"
            else {"Title": spec.title, "Software": "ecogis"}
        )
        with atomic_path(path, overwrite=overwrite) as tmp:
            fig.savefig(tmp, format=fmt, dpi=options.dpi, metadata=meta)
    return path


def figure_png(
    spec: MapSpec,
    *,
    width_mm: float = 156.0,
    max_height_mm: float = 150.0,
    dpi: int = 200,
    legend_mm: float = 44.0,
    legend_below: bool = False,
) -> bytes:
    """A report's map figure: the map with its graticule, north arrow and labels, the legend
    and scale bar beside it (or below it with ``legend_below``, so that a county-wide map gets
    the whole text width); as tall as the mapped area needs (at most ``max_height_mm``). PNG
    bytes (draw inside :func:`drawing`)."""
    import math

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    gap = 6.5
    fx0, fy0, fx1, fy1 = spec.focus
    aspect = (fy1 - fy0) / max(fx1 - fx0, 1.0)
    items = len(spec.legend_items())
    if legend_below:
        columns = 3
        legend_h = 9.0 + 4.6 * math.ceil(items / columns)
        map_w = width_mm - 2 * gap
        map_h = min(map_w * aspect * 1.14, max_height_mm - legend_h - 2 * gap)
        height_mm = map_h + legend_h + 2 * gap
        boxes = {
            "map_box": (gap, legend_h + gap, map_w, map_h),
            "legend_box": (gap, 1.0, width_mm * 0.72 - gap, legend_h - 2.0),
            "scale_at": (width_mm * 0.72 + 2.0, 2.0),
            "scale_max_mm": width_mm * 0.28 - 16.0,
        }
    else:
        map_w = width_mm - legend_mm - 2 * gap
        legend_need = 30.0 + 4.6 * items  # the legend column's items must fit too
        height_mm = min(max(map_w * aspect * 1.14 + 2 * gap, 80.0, legend_need), max_height_mm)
        boxes = {
            "map_box": (gap, gap, map_w, height_mm - 2 * gap),
            "legend_box": (width_mm - legend_mm, 20.0, legend_mm - 1.0, height_mm - 22.0),
            "scale_at": (width_mm - legend_mm - 1.0, 3.0),
            "scale_max_mm": legend_mm - 16.0,  # the bar and its unit stay inside the figure
        }
    fig = Figure(figsize=(width_mm / MM, height_mm / MM))
    FigureCanvasAgg(fig)
    compose(fig, spec, arrow_size=10.0, label_scale=0.9, legend_font=7.0, **boxes)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def chart_png(fig: Figure, *, dpi: int = 200) -> bytes:
    """A chart figure as PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()

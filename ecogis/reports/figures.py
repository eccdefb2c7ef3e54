"""What each job's printed map shows: :class:`~ecogis.reports.cartography.MapSpec` builders.

One builder per job draws the same map on a sheet (``ecogis map KIND -o FILE.pdf``) and in a
report (the overview figure and the zoomed figures: one per site, one per township with
conflicts). Colours come from :mod:`ecogis.mapping.styles`, so the printed map matches the
HTML one; legends and titles are catalogue texts (Chinese inside a document).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..i18n import _, label_of
from ..mapping.styles import LABELS, STYLES
from .cartography import MapLayer, MapSpec, mpl_style

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.figure import Figure

    from ..controls import ControlReport
    from ..io.project import Project
    from ..restoration import ProgressReport
    from ..screening import ScreenResult

__all__ = [
    "read_context",
    "controls_spec",
    "progress_spec",
    "screening_spec",
    "kind_chart",
    "data_sources",
    "map_title",
    "MIN_FOCUS_M",
]

#: a zoomed figure shows at least this much ground (m) around what it is about
MIN_FOCUS_M = 1500.0

# fallback colours of layers that ecogis.mapping.styles has no style for
_FALLBACK = ("#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d")

# plot statuses: mapping.styles colours plots by completion for the web map; a printed map
# shows the status (the tables' vocabulary) with these fills
_PLOT_FILLS = {
    "planned": {"color": "#1565c0", "weight": 1.2, "dashArray": "3 2", "fill": False},
    "in_progress": {"color": "#ef6c00", "weight": 1, "fillColor": "#ffcc80", "fillOpacity": 0.7},
    "completed": {"color": "#2e7d32", "weight": 1, "fillColor": "#81c784", "fillOpacity": 0.7},
    "accepted": {"color": "#1b5e20", "weight": 1, "fillColor": "#2e7d32", "fillOpacity": 0.8},
}


def _style(key: str, fallback: dict | None = None) -> dict:
    """The web map's style ``key`` (a copy), else ``fallback``."""
    if key in STYLES:
        return dict(STYLES[key])
    return dict(fallback or {"color": "#555555", "weight": 1, "fillOpacity": 0.2})


def _legend(key: str) -> str:
    """The web map's legend text for ``key`` in the current language."""
    return _(LABELS[key]) if key in LABELS else key


def _layer_style(name: str, i: int) -> dict:
    if name in STYLES:
        return dict(STYLES[name])
    c = _FALLBACK[i % len(_FALLBACK)]
    return {"color": c, "weight": 1.2, "fillColor": c, "fillOpacity": 0.3}


def map_title(project_name: str | None, kind_title: str) -> str:
    """``正镶白旗生态修复示范 三条控制线冲突检查图``."""
    return f"{project_name} {kind_title}" if project_name else kind_title


def data_sources(project: Project, names: Sequence[str]) -> list[str]:
    """``生态保护红线（stbhhx.gpkg）`` for each config layer in ``names`` (each once)."""
    from ..config import is_database_uri

    out = []
    for name in dict.fromkeys(names):
        if name not in project.config.layers:
            continue
        spec = project.config.layers[name]
        where = spec.path
        if is_database_uri(where):
            where = where.split("?table=")[-1].split("#")[-1]
        else:
            where = Path(where).name + (f"|{spec.layer}" if spec.layer else "")
        out.append(_("{label} ({source})").format(label=spec.title, source=where))
    return out


def read_context(project: Project) -> None:
    """Read the layers every map draws (study area, townships) before a document is built
    in Chinese, so that what their reading warns about is said in the user's language."""
    for name in project.layers_with_role("boundary")[:1]:
        project.layer(name)
    project.townships()


def _context(project: Project | None) -> tuple[list[MapLayer], list[str], Any]:
    """The study-area boundary and the townships (named), and their layer names."""
    layers, names, towns_frame = [], [], None
    if project is None:
        return layers, names, towns_frame
    for name in project.layers_with_role("boundary")[:1]:
        frame = project.layer(name)
        layers.append(MapLayer(frame, mpl_style(_style("boundary")), legend=_legend("boundary")))
        names.append(name)
    towns = project.townships()
    if towns is not None:
        towns_frame = towns.frame
        layers.append(
            MapLayer(
                towns.frame,
                mpl_style(_style("admin")),
                legend=_legend("admin"),
                labels=towns.field,
                label_size=8.0,
                priority=1,
            )
        )
        names.append(project.layers_with_role("admin")[0])
    return layers, names, towns_frame


def _bounds(*frames, minimum: float = 0.0) -> tuple[float, float, float, float]:
    """Total bounds of the non-empty ``frames``, grown to at least ``minimum`` metres across."""
    boxes = [f.total_bounds for f in frames if f is not None and len(f)]
    if not boxes:
        return (0.0, 0.0, 1000.0, 1000.0)
    b = np.array(boxes, dtype=float)
    minx, miny, maxx, maxy = b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    hw, hh = max((maxx - minx) / 2, minimum / 2), max((maxy - miny) / 2, minimum / 2)
    return (cx - hw, cy - hh, cx + hw, cy + hh)


# ------------------------------------------------------------------------ controls


def controls_spec(
    report: ControlReport, project: Project | None = None, *, township: str | None = None
) -> MapSpec:
    """The control lines, overlaps inside a layer and the conflicts (numbered as in the
    report's list), on the whole study area or zoomed to the conflicts of ``township``."""
    from ..controls.model import MAP_TITLE

    layers, names, towns = _context(project)
    if project is None and report.townships is not None:
        layers.append(
            MapLayer(report.townships, mpl_style(_style("admin")), legend=_legend("admin"),
                     labels=report.township_field, label_size=8.0, priority=1)
        )  # fmt: skip
        towns = report.townships
    for i, (name, frame) in enumerate(report.layers.items()):
        layers.append(MapLayer(frame, mpl_style(_layer_style(name, i)), legend=report.label(name)))
        names.append(name)
    if len(report.self_overlaps):
        layers.append(
            MapLayer(report.self_overlaps, mpl_style(_style("self_overlap")),
                     legend=_legend("self_overlap"))
        )  # fmt: skip
    conflicts = report.conflicts.copy()
    conflicts["no"] = np.arange(1, len(conflicts) + 1)
    overview = township is None
    marker = {"s": 22, "c": _style("conflict").get("fillColor", "#00e5ff"), "marker": "o",
              "edgecolors": "black", "linewidths": 0.6}  # fmt: skip
    layers.append(
        MapLayer(
            conflicts,
            mpl_style(_style("conflict")),
            legend=_legend("conflict"),
            labels="no",
            label_size=7.0,
            priority=3,
            # conflicts are a few mu: too small to see on a county map without a marker
            markers=marker if overview else None,
        )
    )
    if overview:
        focus = _bounds(towns, *report.layers.values())
    else:
        sub = conflicts[conflicts["township"] == township]
        focus = _bounds(sub, minimum=MIN_FOCUS_M)
    title = map_title(project.name if project else None, _(MAP_TITLE))
    if township is not None:
        title = _("{title}: {township}").format(title=title, township=township)
    return MapSpec(
        title=title,
        layers=layers,
        focus=focus,
        crs=report.crs,
        sources=data_sources(project, names) if project is not None else [],
    )


# ------------------------------------------------------------------------ progress


def progress_spec(progress: ProgressReport, project: Project | None = None) -> MapSpec:
    """Plots by status and pits by status (with a marker each, pits are small); the pits left
    for 清零 are labelled."""
    from ..restoration.model import (
        MAP_TITLE,
        PIT_STATUS_LABELS,
        PIT_STATUSES,
        PLOT_STATUS_LABELS,
        PLOT_STATUSES,
    )

    layers, names, towns = _context(project)
    if project is None and progress.townships is not None:
        towns = progress.townships.frame
        layers.append(
            MapLayer(towns, mpl_style(_style("admin")), legend=_legend("admin"),
                     labels=progress.townships.field, label_size=8.0, priority=1)
        )  # fmt: skip
    pits = progress.pits
    plots = progress.plots
    if len(plots) and "year" in plots.columns:  # the year's plots (its tables count them)
        plots = plots[plots["year"] == progress.year]
    for status in PLOT_STATUSES:
        sub = plots[plots["status"] == status] if len(plots) else plots
        legend = _("plots of {year}: {status}").format(
            year=progress.year, status=label_of(PLOT_STATUS_LABELS, status)
        )
        layers.append(MapLayer(sub, mpl_style(_PLOT_FILLS[status]), legend=legend))
    for status in PIT_STATUSES:
        sub = pits[pits["status"] == status] if len(pits) else pits
        style = _style(f"pit_{status}", STYLES.get("pit_verified"))
        fill = style.get("fillColor", style.get("color"))
        legend = _("pits: {status}").format(status=label_of(PIT_STATUS_LABELS, status))
        left = status in ("untreated", "in_progress")
        layers.append(
            MapLayer(
                sub,
                mpl_style(style),
                legend=legend,
                labels="pit_id" if left else None,
                label_size=6.0,
                priority=2,
                markers={
                    "s": 14 if left else 9,
                    "c": fill,
                    "marker": "o" if left else "s",
                    "edgecolors": style.get("color", "black"),
                    "linewidths": 0.5,
                },
            )  # fmt: skip
        )
    if project is not None:
        names += project.layers_with_role("pits")[:1] + project.layers_with_role("plots")[:1]
        if project.registry_location is not None and project.registry_exists():
            sources = data_sources(project, names[:2])
            sources.append(
                _("restoration registry ({source})").format(
                    source=Path(str(project.registry_location)).name
                )
            )
        else:
            sources = data_sources(project, names)
    else:
        sources = []
    title = map_title(project.name if project else None, _(MAP_TITLE))
    when = (
        _("as of {date}").format(date=progress.as_of)
        if progress.as_of
        else _("year {year}").format(year=progress.year)
    )
    return MapSpec(
        title=title,
        subtitle=when,
        layers=layers,
        focus=_bounds(towns, pits, plots),
        crs=pits.crs if pits.crs is not None else plots.crs,
        sources=sources,
    )


def kind_chart(
    progress: ProgressReport, kind: str, *, width_mm: float = 160, height_mm: float = 70
) -> Figure:
    """Planned and completed mu of one plot kind per township (bars), the year's numbers."""
    from matplotlib.figure import Figure

    from ..model import TOTAL
    from ..restoration.model import PLOT_KIND_LABELS
    from .cartography import MM

    df = progress.tables["plots"]
    df = df[(df["kind"] == kind) & (df["township"] != TOTAL)]
    fig = Figure(figsize=(width_mm / MM, height_mm / MM))
    ax = fig.add_axes((0.09, 0.2, 0.89, 0.68))
    x = np.arange(len(df))
    w = 0.38
    planned = df["planned_mu"].to_numpy(dtype=float)
    done = df["completed_mu"].to_numpy(dtype=float)
    ax.bar(x - w / 2, planned, w, label=_("planned (mu)"), color="#c6dbef", edgecolor="#3182bd",
           linewidth=0.6)  # fmt: skip
    ax.bar(x + w / 2, done, w, label=_("completed (mu)"), color="#31a354", edgecolor="#006d2c",
           linewidth=0.6)  # fmt: skip
    top = max(float(np.nanmax(planned)) if len(planned) else 0.0, 1.0)
    for xi, d, p in zip(x, done, planned, strict=True):
        pct = f"{d / p * 100:.0f}%" if p > 0 else ""
        ax.text(xi + w / 2, d + top * 0.02, pct, ha="center", va="bottom", fontsize=7)
    ax.set_xticks(x)
    ax.set_xticklabels([str(t) for t in df["township"]], fontsize=8)
    ax.set_ylabel(_("mu"), fontsize=8)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_ylim(0, top * 1.18)
    ax.yaxis.set_major_formatter(_thousands())
    ax.grid(axis="y", linewidth=0.3, color="#bbbbbb")
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(fontsize=7.5, frameon=False, loc="upper right", ncols=2)
    ax.set_title(
        _("{kind}: planned and completed per township, {year}").format(
            kind=label_of(PLOT_KIND_LABELS, kind), year=progress.year
        ),
        fontsize=9,
    )
    return fig


def _thousands():
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: f"{v:,.0f}")


# ------------------------------------------------------------------------ screening


def screening_spec(
    result: ScreenResult,
    project: Project | None = None,
    *,
    site: Any = None,
) -> MapSpec:
    """Sites by verdict with their ids, the eligible rest (hatched), the layers of the rule
    set and the buffers its rules add; zoomed to one site (by its row label) when ``site`` is
    given, with the layers it touches."""
    from ..screening.model import MAP_TITLE, VERDICT_LABELS, VERDICTS

    layers, names, towns = _context(project)
    sites, eligible = result.sites, result.eligible
    if site is not None:
        row = sites.loc[[site]]
        focus = _bounds(row, minimum=MIN_FOCUS_M)
        # a little context around the site: the layers it touches and its buffers
        cx0, cy0, cx1, cy1 = focus
        pad = max(cx1 - cx0, cy1 - cy0) * 0.35
        focus = (cx0 - pad, cy0 - pad, cx1 + pad, cy1 + pad)
    else:
        focus = _bounds(towns, sites)
    rs = result.ruleset
    checks = list(rs.checks) if rs is not None else []
    for i, (name, frame) in enumerate(result.layers.items()):
        style = _layer_style(name, i)
        if site is None:  # the sites are what the overview is about: context stays light
            style = {**style, "fillOpacity": min(float(style.get("fillOpacity", 0.3)), 0.25)}
        layers.append(MapLayer(frame, mpl_style(style), legend=result.labels.get(name, name)))
        names.append(name)
    for check in checks:
        buffer_m = float(check.params.get("buffer_m", 0) or 0) if check.layer else 0.0
        if buffer_m <= 0 or check.layer not in result.layers:
            continue
        zone = _buffer_near(result.layers[check.layer], buffer_m, focus)
        label = result.labels.get(check.layer, check.layer)
        layers.append(
            MapLayer(zone, mpl_style(_style("buffer")),
                     legend=_("{label}: {buffer} m buffer").format(label=label, buffer=f"{buffer_m:g}"))
        )  # fmt: skip
    for verdict in VERDICTS:
        sub = sites[sites["verdict"] == verdict]
        style = mpl_style(_style(f"verdict_{verdict}"))
        if site is not None:  # the other sites lighter, the reviewed one strong
            sub_other = sub[sub.index != site]
            layers.append(MapLayer(sub_other, {**style, "linewidth": 0.6}, labels="site_id",
                                   label_size=6.5, priority=2))  # fmt: skip
            sub = sub[sub.index == site]
            # the reviewed site: a strong outline over a light fill, the layers it touches
            # stay visible under it
            from matplotlib.colors import to_rgba

            face = style["facecolor"]
            if face != "none":
                face = to_rgba(face, 0.3)
            style = {**style, "linewidth": 2.0, "facecolor": face}
        fill = _style(f"verdict_{verdict}").get("fillColor", "#888888")
        layers.append(
            MapLayer(
                sub,
                style,
                legend=_("sites: {verdict}").format(verdict=label_of(VERDICT_LABELS, verdict)),
                labels="site_id",
                label_size=8.0 if site is not None else 7.0,
                priority=4,
                # a site of a few km² is a dot on a county map: mark it in its verdict's colour
                markers=None
                if site is not None
                else {"s": 30, "c": fill, "marker": "o", "edgecolors": "black", "linewidths": 0.6},
            )  # fmt: skip
        )
    elig = eligible
    if site is not None and "site_id" in eligible.columns:
        elig = eligible[eligible["site_id"].astype(str) == str(sites.loc[site, "site_id"])]
    hatch_style = {"facecolor": "none", "edgecolor": "#0b3d2e", "linewidth": 0.8,
                   "linestyle": (0, (4, 2)), "hatch": "////"}  # fmt: skip
    layers.append(MapLayer(elig, hatch_style, legend=_legend("eligible")))
    if project is not None:
        site_layers = project.layers_with_role("sites")[:1]
        sources = data_sources(project, names + site_layers)
    else:
        sources = []
    title = map_title(project.name if project else None, _(MAP_TITLE))
    if site is not None:
        title = _("site {site}").format(site=sites.loc[site, "site_id"])
    return MapSpec(title=title, layers=layers, focus=focus, crs=sites.crs, sources=sources)


def _buffer_near(frame: gpd.GeoDataFrame, buffer_m: float, focus) -> gpd.GeoDataFrame:
    """The outline of ``frame`` grown by ``buffer_m``, for the features near ``focus``."""
    import geopandas as gpd
    import shapely

    from ..screening.model import BUFFER_QUAD_SEGS

    minx, miny, maxx, maxy = focus
    d = buffer_m + max(maxx - minx, maxy - miny)
    near = frame.cx[minx - d : maxx + d, miny - d : maxy + d]
    if len(near) == 0:
        return gpd.GeoDataFrame(geometry=[], crs=frame.crs)
    grown = shapely.buffer(near.geometry.values, buffer_m, quad_segs=BUFFER_QUAD_SEGS)
    merged = shapely.union_all(grown)
    return gpd.GeoDataFrame(geometry=[merged], crs=frame.crs)

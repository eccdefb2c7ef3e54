"""Map furniture for printed maps: layers drawn from GeoDataFrames, a numeric scale with round
numbers, a longitude / latitude graticule, a north arrow, a scale bar, a legend, labels.

Everything is placed in millimetres on the paper, so a sheet printed at 100 % has the scale
it says (1:250 000 means 1 mm on paper is 250 m on the ground). The drawing is matplotlib's
object API (``matplotlib.figure.Figure``, no pyplot and no global backend), offline: no tiles.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..i18n import N_, _
from .model import SCALE_STEPS

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from pyproj import CRS

__all__ = [
    "MapLayer",
    "MapSpec",
    "LegendItem",
    "describe_crs",
    "crs_lines",
    "nice_scale",
    "mpl_style",
    "mm_axes",
    "fit_extent",
    "draw_layers",
    "place_labels",
    "add_graticule",
    "add_north_arrow",
    "add_scale_bar",
    "draw_legend",
    "scale_text",
    "MM",
]

#: millimetres per inch (matplotlib sizes are inches)
MM = 25.4

#: datum name (as PROJ gives it) -> what people call the coordinate system (shown with ``_()``)
_DATUMS = {
    "China 2000": N_("China Geodetic Coordinate System 2000"),
    "Xian 1980": N_("Xi'an 1980 coordinate system"),
    "Beijing 1954": N_("Beijing 1954 coordinate system"),
    "World Geodetic System 1984": N_("WGS 84 coordinate system"),
    "World Geodetic System 1984 ensemble": N_("WGS 84 coordinate system"),
}


# ------------------------------------------------------------------------ coordinate systems


def crs_lines(crs: CRS) -> tuple[str, str]:
    """``(coordinate system, projection)`` in words: ``("2000国家大地坐标系", "高斯-克吕格投影，
    3度分带，中央经线 114°E（EPSG:4547）")`` in Chinese."""
    datum = crs.datum.name if crs.datum is not None else ""
    system = _(_DATUMS[datum]) if datum in _DATUMS else (datum or crs.name)
    epsg = crs.to_epsg()
    code = f"EPSG:{epsg}" if epsg else ""
    op = crs.coordinate_operation
    if crs.is_geographic or op is None:
        proj = _("geographic coordinates (longitude, latitude in degrees)")
    else:
        params = {p.name: p.value for p in op.params}
        cm = params.get("Longitude of natural origin")
        k = params.get("Scale factor at natural origin")
        fe = params.get("False easting", 0.0) or 0.0
        if op.method_name == "Transverse Mercator" and cm is not None and k == 1.0:
            width = 3 if "3-degree" in crs.name else 6
            proj = _(
                "Gauss-Kruger projection, {width}-degree zones, central meridian {cm}°E"
            ).format(width=width, cm=f"{cm:g}")
            if fe >= 1_000_000:  # eastings carry the zone number in front
                proj += _(", zone {zone} (eastings with the zone number)").format(
                    zone=int(fe // 1_000_000)
                )
        elif op.method_name == "Transverse Mercator" and cm is not None and "UTM" in crs.name:
            proj = _("UTM projection, {zone}").format(zone=crs.name.split("/")[-1].strip())
        else:
            proj = op.method_name
    if code:
        proj = _("{projection} ({code})").format(projection=proj, code=code)
    return system, proj


def describe_crs(crs: CRS) -> str:
    """The coordinate system in one line: system and projection (see :func:`crs_lines`)."""
    system, proj = crs_lines(crs)
    return _("{system}, {projection}").format(system=system, projection=proj)


# ------------------------------------------------------------------------ scale and extent


def nice_scale(needed: float, steps: Sequence[float] = SCALE_STEPS) -> int:
    """The smallest round scale denominator at least ``needed`` (1:250 000, 1:7 500 ...)."""
    if not math.isfinite(needed) or needed <= 0:
        return 1000
    power = 10 ** math.floor(math.log10(needed))
    for s in (*steps, 10.0):
        if s * power >= needed * (1 - 1e-9):
            return int(round(s * power))
    return int(round(10 * power))  # pragma: no cover - the loop ends at 10


def scale_text(scale: int) -> str:
    """``1:250 000`` (digits grouped by thin spaces, as Chinese maps print them)."""
    return "1:" + f"{scale:,}".replace(",", "\u2009")


def fit_extent(
    bounds: Sequence[float], width_mm: float, height_mm: float, *, pad: float = 0.06
) -> tuple[tuple[float, float, float, float], int]:
    """The ground extent that fills a ``width_mm`` × ``height_mm`` map frame at a round scale.

    ``bounds`` (minx, miny, maxx, maxy, metres) is padded by ``pad`` of its size, the scale
    is the next round number that fits it, and the extent is centred on it. Returns
    ``((minx, miny, maxx, maxy), scale)``.
    """
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    w = max(maxx - minx, 1.0) * (1 + 2 * pad)
    h = max(maxy - miny, 1.0) * (1 + 2 * pad)
    needed = max(w / (width_mm / 1000), h / (height_mm / 1000))
    scale = nice_scale(needed)
    gw, gh = width_mm / 1000 * scale, height_mm / 1000 * scale
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    return (cx - gw / 2, cy - gh / 2, cx + gw / 2, cy + gh / 2), scale


def mm_axes(fig: Figure, x: float, y: float, w: float, h: float, **kwargs) -> Axes:
    """An axes at ``x, y`` (lower left, mm from the paper's lower left), ``w`` × ``h`` mm."""
    fw, fh = (v * MM for v in fig.get_size_inches())
    return fig.add_axes((x / fw, y / fh, w / fw, h / fh), **kwargs)


# ------------------------------------------------------------------------ layers


@dataclass
class LegendItem:
    """One legend entry: a patch (polygons), a line or a marker, drawn with ``style``."""

    label: str
    style: dict
    kind: str = "patch"  # patch | line | marker


@dataclass
class MapLayer:
    """A layer of a printed map.

    Attributes
    ----------
    frame : GeoDataFrame
        Polygons in the map's CRS.
    style : dict
        matplotlib style (:func:`mpl_style`).
    legend : str or None
        Its legend entry (None: not in the legend).
    labels : str or None
        Column whose values label the features (township names, site ids).
    label_size : float
        Label size in points.
    priority : int
        Labels of a higher priority are placed first (the rest where they fit).
    markers : dict or None
        Also draw a marker at each feature's inner point (features too small to see at the
        map's scale, such as mine pits on a county map); matplotlib ``scatter`` options.
    """

    frame: gpd.GeoDataFrame
    style: dict
    legend: str | None = None
    labels: str | None = None
    label_size: float = 7.0
    priority: int = 0
    markers: dict | None = None


@dataclass
class MapSpec:
    """What a map shows: a title, layers bottom to top, the extent to show, where the data
    came from.

    ``focus`` is the area the map must show (minx, miny, maxx, maxy); ``sources`` names the
    data (layer labels and files) for the sheet's notes.
    """

    title: str
    layers: list[MapLayer]
    focus: tuple[float, float, float, float]
    crs: Any
    sources: list[str] = field(default_factory=list)
    subtitle: str = ""
    extra_legend: list[LegendItem] = field(default_factory=list)
    #: called as ``draw(ax, extent)`` after the layers (charts, rasters)
    extra_draw: Callable[[Axes, tuple], None] | None = None

    def legend_items(self, extent: Sequence[float] | None = None) -> list[LegendItem]:
        """Legend entries of the layers with a feature in ``extent`` (all when None)."""
        items: list[LegendItem] = []
        seen = set()
        for layer in self.layers:
            if not layer.legend or layer.legend in seen:
                continue
            outline = layer.style.get("facecolor") == "none" and not layer.style.get("hatch")
            if extent is not None and not _any_in(layer.frame, extent, lines=outline):
                continue
            seen.add(layer.legend)
            kind = "marker" if layer.markers else "patch"
            style = layer.markers if layer.markers else layer.style
            items.append(LegendItem(layer.legend, style, kind))
        return items + list(self.extra_legend)


def _any_in(frame, extent, *, lines: bool = False) -> bool:
    """True when a feature of ``frame`` shows in ``extent`` (with ``lines``: its outline,
    for layers drawn without fill, such as the township boundaries around a zoomed map)."""
    import shapely

    if frame is None or len(frame) == 0:
        return False
    minx, miny, maxx, maxy = extent
    sub = frame.cx[minx:maxx, miny:maxy]
    if not lines or len(sub) == 0:
        return len(sub) > 0
    view = shapely.box(minx, miny, maxx, maxy)
    return bool(shapely.intersects(shapely.boundary(sub.geometry.values), view).any())


def mpl_style(style: Mapping[str, Any], *, scale: float = 0.6) -> dict:
    """matplotlib polygon style from a Leaflet path style (``color``, ``weight``,
    ``fillColor``, ``fillOpacity``, ``fill``, ``dashArray``) as :mod:`ecogis.mapping.styles`
    keeps them; line widths in points are ``weight × scale`` (screen pixels are coarser than
    print)."""
    from matplotlib.colors import to_rgba

    color = style.get("color", "#3388ff")
    weight = float(style.get("weight", 1.0))
    fill = style.get("fill", True) and float(style.get("fillOpacity", 0.2)) > 0
    out = {
        "edgecolor": to_rgba(color, float(style.get("opacity", 1.0))),
        "facecolor": (
            to_rgba(style.get("fillColor", color), float(style.get("fillOpacity", 0.2)))
            if fill
            else "none"
        ),
        "linewidth": weight * scale,
    }
    dash = style.get("dashArray")
    if dash:
        out["linestyle"] = (0, tuple(float(v) * scale for v in str(dash).replace(",", " ").split()))
    if style.get("hatch"):
        out["hatch"] = style["hatch"]
    return out


def _clip(frame, extent):
    """The features of ``frame`` in ``extent``, cut to a little more than it (drawing a whole
    county's polygons for a 2 km figure would be slow and the PDF heavy)."""
    import shapely

    minx, miny, maxx, maxy = extent
    sub = frame.cx[minx:maxx, miny:maxy]
    if len(sub) == 0:
        return sub
    dx, dy = (maxx - minx) * 0.05, (maxy - miny) * 0.05
    geoms = shapely.clip_by_rect(sub.geometry.values, minx - dx, miny - dy, maxx + dx, maxy + dy)
    sub = sub.set_geometry(list(geoms), crs=frame.crs)
    return sub[~sub.geometry.is_empty]


def draw_layers(ax: Axes, spec: MapSpec, extent: Sequence[float]) -> None:
    """Draw the layers of ``spec`` into ``ax`` (bottom first) and fix the extent."""
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import PathPatch

    for z, layer in enumerate(spec.layers):
        sub = _clip(layer.frame, extent)
        if len(sub) == 0:
            continue
        patches = [PathPatch(_path(g)) for g in sub.geometry.values if g is not None]
        style = dict(layer.style)
        hatch = style.pop("hatch", None)
        coll = PatchCollection(patches, zorder=2 + z, **style)
        if hatch:
            coll.set_hatch(hatch)
        ax.add_collection(coll)
        if layer.markers:
            pts = sub.geometry.representative_point()
            ax.scatter(pts.x, pts.y, zorder=40 + z, **layer.markers)
    if spec.extra_draw is not None:
        spec.extra_draw(ax, extent)
    minx, miny, maxx, maxy = extent
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])


def _path(geom):
    """A matplotlib Path of a (multi)polygon, holes included."""
    import numpy as np
    from matplotlib.path import Path

    polys = getattr(geom, "geoms", [geom])
    verts, codes = [], []
    for poly in polys:
        if poly.geom_type != "Polygon" or poly.is_empty:
            continue
        for ring in (poly.exterior, *poly.interiors):
            xy = np.asarray(ring.coords)[:, :2]
            if len(xy) < 3:
                continue
            verts.append(xy)
            c = np.full(len(xy), Path.LINETO, dtype=np.uint8)
            c[0], c[-1] = Path.MOVETO, Path.CLOSEPOLY
            codes.append(c)
    if not verts:
        return Path(np.zeros((1, 2)))
    return Path(np.concatenate(verts), np.concatenate(codes))


def place_labels(
    ax: Axes, spec: MapSpec, extent: Sequence[float], *, size_scale: float = 1.0
) -> int:
    """Label features (township names, site and pit ids) where a label fits: higher
    priorities first, no label over another or across the frame; label sizes times
    ``size_scale``. Returns how many were placed."""
    import matplotlib.patheffects as pe

    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    frame_box = ax.get_window_extent(renderer)
    placed = []
    minx, miny, maxx, maxy = extent
    order = sorted((layer for layer in spec.layers if layer.labels), key=lambda la: -la.priority)
    n = 0
    for layer in order:
        sub = layer.frame.cx[minx:maxx, miny:maxy]
        if len(sub) == 0 or layer.labels not in sub.columns:
            continue
        import shapely

        inside = shapely.clip_by_rect(sub.geometry.values, minx, miny, maxx, maxy)
        for value, geom in zip(sub[layer.labels], inside, strict=True):
            if geom is None or geom.is_empty or value is None or str(value) == "":
                continue
            pt = geom.representative_point() if not layer.markers else geom.centroid
            texts = []
            # a white halo under the label, then the label itself as plain text on top (text
            # drawn with a path effect becomes outlines in a PDF: no longer found by search)
            for halo in (True, False):
                t = ax.text(
                    pt.x,
                    pt.y,
                    str(value),
                    fontsize=layer.label_size * size_scale,
                    ha="center",
                    va="bottom" if layer.markers else "center",
                    zorder=60 + (0 if halo else 1),
                    clip_on=True,
                    color="white" if halo else "black",
                    path_effects=[pe.withStroke(linewidth=2.2, foreground="white")]
                    if halo
                    else None,
                )
                if layer.markers:  # above its marker, not on it
                    from matplotlib.transforms import offset_copy

                    t.set_transform(offset_copy(ax.transData, fig=fig, y=2.5, units="points"))
                texts.append(t)
            box = texts[1].get_window_extent(renderer).expanded(1.05, 1.1)
            if (
                box.x0 < frame_box.x0
                or box.x1 > frame_box.x1
                or box.y0 < frame_box.y0
                or box.y1 > frame_box.y1
                or any(box.overlaps(b) for b in placed)
            ):
                for t in texts:
                    t.remove()
                continue
            placed.append(box)
            n += 1
    return n


# ------------------------------------------------------------------------ graticule


#: room a graticule label needs along its edge (114°49′30″E at 6 pt is about 13 mm)
_LABEL_MM = 16.0


def _graticule_step(span_deg: float, most: int = 6) -> float:
    """Degrees between graticule lines for a map ``span_deg`` across: at most ``most`` lines."""
    for minutes in (0.5, 1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600):
        if span_deg / (minutes / 60) <= most:
            return minutes / 60
    return 10.0


def _dms(value: float, pos: str, neg: str) -> str:
    """``114°30′E`` (whole seconds only where the step needs them)."""
    hemi = pos if value >= 0 else neg
    v = abs(value)
    d = int(math.floor(v + 1e-9))
    rest = (v - d) * 60
    m = int(math.floor(rest + 1e-6))
    s = int(round((rest - m) * 60))
    if s == 60:
        m, s = m + 1, 0
    if m == 60:
        d, m = d + 1, 0
    if s:
        return f"{d}°{m:02d}′{s:02d}″{hemi}"
    if m:
        return f"{d}°{m:02d}′{hemi}"
    return f"{d}°{hemi}"


def add_graticule(ax: Axes, crs: CRS, extent: Sequence[float], *, fontsize: float = 6.0) -> None:
    """Meridians and parallels (CGCS2000 longitude / latitude) across the map, labelled where
    they meet the frame: longitudes below and above, latitudes left and right."""
    import numpy as np
    import shapely
    from pyproj import Transformer

    minx, miny, maxx, maxy = extent
    to_ll = Transformer.from_crs(crs, 4490, always_xy=True)
    to_xy = Transformer.from_crs(4490, crs, always_xy=True)
    ex = np.linspace(minx, maxx, 25)
    ey = np.linspace(miny, maxy, 25)
    bx = np.concatenate([ex, np.full(25, maxx), ex[::-1], np.full(25, minx)])
    by = np.concatenate([np.full(25, miny), ey, np.full(25, maxy), ey[::-1]])
    lon, lat = to_ll.transform(bx, by)
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
        return
    lon0, lon1, lat0, lat1 = lon.min(), lon.max(), lat.min(), lat.max()
    # each direction its own step, as many lines as its edge has room for labels: a wide,
    # low map has more meridians than parallels, and no labels run into each other
    box = ax.get_position()
    width_in, height_in = ax.figure.get_size_inches()
    room = (box.width * width_in * 25.4, box.height * height_in * 25.4)
    most = [max(2, min(6, int(mm // _LABEL_MM))) for mm in room]
    lon_step = _graticule_step(lon1 - lon0 or 1.0, most[0])
    lat_step = _graticule_step(lat1 - lat0 or 1.0, most[1])
    frame = shapely.box(minx, miny, maxx, maxy)
    edges = {
        "bottom": shapely.LineString([(minx, miny), (maxx, miny)]),
        "top": shapely.LineString([(minx, maxy), (maxx, maxy)]),
        "left": shapely.LineString([(minx, miny), (minx, maxy)]),
        "right": shapely.LineString([(maxx, miny), (maxx, maxy)]),
    }
    line_style = {"color": "#808080", "linewidth": 0.3, "alpha": 0.8, "zorder": 1.5}
    tick = 1.2  # mm, outside the frame

    def label(edge: str, point, text: str) -> None:
        offsets = {"bottom": (0, -1), "top": (0, 1), "left": (-1, 0), "right": (1, 0)}
        dx, dy = offsets[edge]
        pts = tick / MM * 72  # mm -> points
        ax.annotate(
            "",
            xy=(point.x, point.y),
            xytext=(dx * pts, dy * pts),
            textcoords="offset points",
            arrowprops={"arrowstyle": "-", "linewidth": 0.5, "color": "black",
                        "shrinkA": 0, "shrinkB": 0},
            annotation_clip=False,
        )  # fmt: skip
        ax.annotate(
            text,
            xy=(point.x, point.y),
            xytext=(dx * (pts + 1), dy * (pts + 1)),
            textcoords="offset points",
            ha={"left": "right", "right": "left"}.get(edge, "center"),
            va={"bottom": "top", "top": "bottom"}.get(edge, "center"),
            rotation=90 if edge in ("left", "right") else 0,
            rotation_mode="anchor" if edge in ("left", "right") else "default",
            fontsize=fontsize,
            annotation_clip=False,
        )

    def crossings(line, edge_names):
        for name in edge_names:
            hit = line.intersection(edges[name])
            for p in getattr(hit, "geoms", [hit]):
                if p.geom_type == "Point" and not p.is_empty:
                    yield name, p

    step = lon_step
    for lon_v in np.arange(math.ceil(lon0 / step) * step, lon1 + 1e-9, step):
        lats = np.linspace(lat0 - lat_step, lat1 + lat_step, 60)
        x, y = to_xy.transform(np.full_like(lats, lon_v), lats)
        line = shapely.LineString(np.column_stack([x, y])).intersection(frame)
        if line.is_empty:
            continue
        ax.plot(x, y, **line_style)
        for edge, p in crossings(shapely.LineString(np.column_stack([x, y])), ("bottom", "top")):
            label(edge, p, _dms(lon_v, "E", "W"))
    step = lat_step
    for lat_v in np.arange(math.ceil(lat0 / step) * step, lat1 + 1e-9, step):
        lons = np.linspace(lon0 - lon_step, lon1 + lon_step, 60)
        x, y = to_xy.transform(lons, np.full_like(lons, lat_v))
        line = shapely.LineString(np.column_stack([x, y])).intersection(frame)
        if line.is_empty:
            continue
        ax.plot(x, y, **line_style)
        for edge, p in crossings(shapely.LineString(np.column_stack([x, y])), ("left", "right")):
            label(edge, p, _dms(lat_v, "N", "S"))
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)


# ------------------------------------------------------------------------ north arrow, scale


def _grid_convergence(crs: CRS, extent: Sequence[float]) -> float:
    """Angle (degrees, counter-clockwise) from grid north to true north at the map centre."""
    from pyproj import Transformer

    minx, miny, maxx, maxy = extent
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    to_ll = Transformer.from_crs(crs, 4490, always_xy=True)
    to_xy = Transformer.from_crs(4490, crs, always_xy=True)
    lon, lat = to_ll.transform(cx, cy)
    x2, y2 = to_xy.transform(lon, lat + 0.01)
    if not all(map(math.isfinite, (x2, y2))):
        return 0.0
    return math.degrees(math.atan2(-(x2 - cx), y2 - cy))


def add_north_arrow(fig: Figure, x: float, y: float, size: float, *, crs=None, extent=None) -> None:
    """A north arrow ``size`` mm tall with its lower left at ``x, y`` mm, pointing to true
    north (turned by the grid convergence when the CRS and extent are given)."""
    from matplotlib.patches import Polygon
    from matplotlib.transforms import Affine2D

    ax = mm_axes(fig, x, y, size * 0.6, size)
    ax.set_xlim(-0.6, 0.6)
    ax.set_ylim(-0.2, 1.8)
    ax.set_axis_off()
    ax.set_zorder(80)
    angle = _grid_convergence(crs, extent) if crs is not None and extent is not None else 0.0
    turn = Affine2D().rotate_deg_around(0, 0.6, angle) + ax.transData
    left = Polygon([(0, 1.3), (-0.35, 0.0), (0, 0.3)], closed=True, facecolor="black",
                   edgecolor="black", linewidth=0.6, transform=turn)  # fmt: skip
    right = Polygon([(0, 1.3), (0.35, 0.0), (0, 0.3)], closed=True, facecolor="white",
                    edgecolor="black", linewidth=0.6, transform=turn)  # fmt: skip
    ax.add_patch(left)
    ax.add_patch(right)
    ax.text(0, 1.42, "N", ha="center", va="bottom", fontsize=size * 0.9, fontweight="bold",
            transform=turn)  # fmt: skip


def _bar_length(scale: int, target_mm: float) -> float:
    """A round ground length (metres: 1, 2, 5 × 10ⁿ) whose bar is at most ``target_mm``."""
    ground = scale * target_mm / 1000
    power = 10 ** math.floor(math.log10(ground))
    for s in (5, 2, 1):
        if s * power <= ground:
            return s * power
    return power


def add_scale_bar(
    fig: Figure, x: float, y: float, scale: int, *, max_mm: float = 40.0, fontsize: float = 7.0
) -> float:
    """A scale bar (four segments, black and white) with its lower left at ``x, y`` mm, the
    numeric scale above it; its length is a round number of km (or m). Returns the bar's
    width in mm."""
    from matplotlib.patches import Rectangle

    length = _bar_length(scale, max_mm)
    bar_mm = length / scale * 1000
    unit_km = length >= 1000
    h = 1.4
    ax = mm_axes(fig, x, y, bar_mm + 12, 10)
    ax.set_xlim(0, bar_mm + 12)
    ax.set_ylim(0, 10)
    ax.set_axis_off()
    ax.set_zorder(80)
    x0 = 2.0
    for i in range(4):
        ax.add_patch(
            Rectangle(
                (x0 + i * bar_mm / 4, 3.0),
                bar_mm / 4,
                h,
                facecolor="black" if i % 2 == 0 else "white",
                edgecolor="black",
                linewidth=0.5,
            )
        )
    for frac in (0, 0.5, 1):
        value = length * frac / (1000 if unit_km else 1)
        ax.text(x0 + frac * bar_mm, 2.5, f"{value:g}", ha="center", va="top", fontsize=fontsize - 1)
    ax.text(x0 + bar_mm + 1.2, 3.0 + h / 2, _("km") if unit_km else _("m"), ha="left",
            va="center", fontsize=fontsize - 1)  # fmt: skip
    ax.text(x0 + bar_mm / 2, 5.4, scale_text(scale), ha="center", va="bottom", fontsize=fontsize)
    return bar_mm + 12


def draw_legend(
    fig: Figure,
    items: Iterable[LegendItem],
    x: float,
    y: float,
    w: float,
    h: float,
    *,
    title: str | None = None,
    fontsize: float = 7.5,
    columns: int = 1,
) -> None:
    """The legend in a ``w`` × ``h`` mm box with its lower left at ``x, y`` mm: a swatch and
    a label per item, top to bottom, in ``columns`` columns."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    items = list(items)
    ax = mm_axes(fig, x, y, w, h)
    ax.set_xlim(0, w)
    ax.set_ylim(0, h)
    ax.set_axis_off()
    from ..tables import display_width

    top = h
    if title:
        ax.text(0, top, title, ha="left", va="top", fontsize=fontsize + 1, fontweight="bold")
        top -= fontsize * 0.55 + 2.5
    wanted = columns
    widest = max((display_width(i.label) for i in items), default=0)
    # as many columns as the box needs to show every item, the labels smaller where they
    # would run into the next column (down to 5 pt; then cut short with …)
    for size in (fontsize, fontsize - 1, fontsize - 2, 5.0):
        row = max(size * 0.5, 3.2) + 1.3
        fit = max(1, int(top // row))
        columns = max(wanted, math.ceil(len(items) / fit))
        col_w = w / columns
        if columns == 1 or widest * size * 0.5 * 0.3528 <= col_w - 9:
            break
    fontsize = size
    room = int((col_w - 9) / (size * 0.5 * 0.3528)) if columns > 1 else None
    per_col = max(1, math.ceil(len(items) / columns))
    for i, item in enumerate(items):
        col, r = divmod(i, per_col)
        cx, cy = col * col_w, top - (r + 0.5) * row
        if cy < 0:
            break
        st = item.style
        if item.kind == "marker":
            ax.add_line(
                Line2D(
                    [cx + 3], [cy], marker=st.get("marker", "o"), markersize=st.get("s", 16) ** 0.5,
                    markerfacecolor=st.get("c", st.get("color", "black")),
                    markeredgecolor=st.get("edgecolors", "black"),
                    markeredgewidth=st.get("linewidths", 0.5), linestyle="none",
                )
            )  # fmt: skip
        elif item.kind == "line":
            ax.add_line(Line2D([cx, cx + 6], [cy, cy], **st))
        else:
            patch = Rectangle(
                (cx, cy - 1.5), 6, 3,
                facecolor=st.get("facecolor", "none"), edgecolor=st.get("edgecolor", "black"),
                linewidth=max(st.get("linewidth", 0.5), 0.4), linestyle=st.get("linestyle", "solid"),
            )  # fmt: skip
            if st.get("hatch"):
                patch.set_hatch(st["hatch"])
            ax.add_patch(patch)
        text = item.label
        if room is not None and display_width(text) > room:
            while text and display_width(text) > room - 2:
                text = text[:-1]
            text += "…"
        ax.text(cx + 8, cy, text, ha="left", va="center", fontsize=fontsize)


def neatline(ax: Axes, *, width: float = 0.8) -> None:
    """The map frame: a thin inner line (the axes) and nothing else drawn outside it."""
    for spine in ax.spines.values():
        spine.set_linewidth(width)
        spine.set_color("black")

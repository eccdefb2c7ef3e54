"""The base every ecogis HTML map is built on: offline folium map, layers, legend, panel.

A map is built in four steps::

    m = new_map(title="正镶白旗三线冲突检查")
    add_polygons(m, redline, name="生态保护红线", style=STYLES["redline"],
                 popup_fields=[("HXMC", "红线名称"), ("area_mu", "面积（亩）")])
    add_legend(m, [("生态保护红线", STYLES["redline"])], title="图例")
    save_map(m, "maps/controls.html")       # calls finish_map() if you did not

Design choices, and why:

* **Offline.** folium's CDN links are removed (``default_js``/``default_css`` emptied on the
  map instance) and Leaflet's JS/CSS is inlined from XStatic-Leaflet (see ``assets.py``).
  Nothing here needs jQuery or Bootstrap, so they are not shipped at all.
* **Safe text.** Every attribute value, label, layer name and title is HTML-escaped in Python
  (``html.escape``). Popups and tooltips are assembled in the page only from those escaped
  strings; the JSON that carries them into ``<script>`` has ``<``/``>`` written as ``\\u003c``/
  ``\\u003e`` so no value can close the script element.
* **Compact data.** A layer is shipped as one JSON object per layer - geometry type codes,
  coordinates as integer steps of 1e-6 degree from the previous vertex (rings not closed; see
  ``_encode_geometries``), an index into a small table of distinct styles, escaped popup values
  per column (repeated values once, with indices; a tooltip that repeats a popup column only
  names the column) - and turned into GeoJSON features in the browser. Only the popup and
  tooltip columns are shipped. Geometries are simplified in a metric CRS and coordinates rounded
  (6 decimals ~ 0.1 m); 20 000 ten-vertex polygons with four popup fields take ~2.7 MB.
* **Many features.** Past :data:`CANVAS_THRESHOLD` features the map switches to Leaflet's canvas
  renderer (``preferCanvas``). Every layer records how many Leaflet layers it created in
  ``window.ecogisLayers[name]``; ``window.ecogisMap`` is the Leaflet map and
  ``window.ecogisReady`` is set once the whole script ran (tests and later tools use them).
"""

from __future__ import annotations

import html
import json
import math
import numbers
import os
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import folium
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.template import Template

from ..errors import ConfigError, CRSError, EcogisError, EcogisWarning, LayerError
from ..io._atomic import atomic_path
from . import assets
from .model import BASEMAPS, TIANDITU_URL
from .styles import check_color, progress_color

__all__ = [
    "EcogisMap",
    "new_map",
    "add_polygons",
    "add_legend",
    "add_panel",
    "add_chart",
    "finish_map",
    "render_map",
    "save_map",
    "BASEMAPS",
    "CANVAS_THRESHOLD",
    "TIANDITU_URL",
]


#: total feature count above which the map draws vectors on a canvas instead of SVG
CANVAS_THRESHOLD = 2000

_POSITIONS = ("topleft", "topright", "bottomleft", "bottomright")

# Leaflet path options a style may set; anything else is almost always a typo
_STYLE_KEYS = {
    "stroke",
    "color",
    "weight",
    "opacity",
    "lineCap",
    "lineJoin",
    "dashArray",
    "dashOffset",
    "fill",
    "fillColor",
    "fillOpacity",
    "fillRule",
    "radius",
}

# geometry type codes sent to the page (shapely.get_type_id -> GeoJSON type)
_GEOJSON_TYPES = {
    0: "Point",
    1: "LineString",
    2: "LineString",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
}

_FONT = '"Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", "WenQuanYi Micro Hei", "Source Han Sans SC", sans-serif'

_CSS = f"""
html, body, .leaflet-container {{ font-family: {_FONT}; }}
.leaflet-container {{ background: #f2efe9; }}
.ecogis-title {{ position: absolute; top: 10px; left: 50%; transform: translateX(-50%);
  z-index: 1000; background: rgba(255,255,255,0.92); padding: 6px 16px; border-radius: 4px;
  box-shadow: 0 1px 5px rgba(0,0,0,0.4); font-size: 18px; font-weight: bold; color: #222;
  pointer-events: none; white-space: nowrap; max-width: 60%; overflow: hidden; text-overflow: ellipsis; }}
.ecogis-box {{ background: rgba(255,255,255,0.95); padding: 8px 10px; border-radius: 4px;
  box-shadow: 0 1px 5px rgba(0,0,0,0.4); font-size: 13px; color: #222; line-height: 1.5;
  max-height: 60vh; overflow-y: auto; }}
.ecogis-box-title {{ font-weight: bold; font-size: 14px; margin-bottom: 4px; }}
.ecogis-legend-row {{ display: flex; align-items: center; margin: 2px 0; }}
.ecogis-swatch {{ display: inline-block; width: 22px; height: 14px; margin-right: 8px;
  box-sizing: border-box; position: relative; flex: none; }}
.ecogis-swatch-fill {{ position: absolute; left: 0; top: 0; right: 0; bottom: 0; }}
.ecogis-panel table, .ecogis-popup table {{ border-collapse: collapse; }}
.ecogis-panel th, .ecogis-popup th {{ text-align: left; font-weight: normal; color: #555;
  padding: 1px 10px 1px 0; vertical-align: top; white-space: nowrap; }}
.ecogis-panel td, .ecogis-popup td {{ text-align: right; padding: 1px 0; font-weight: bold; }}
.ecogis-popup td {{ text-align: left; font-weight: normal; word-break: break-all; }}
.ecogis-popup-title {{ font-weight: bold; margin-bottom: 4px; border-bottom: 1px solid #ddd; }}
.leaflet-tooltip.ecogis-label {{ background: transparent; border: none; box-shadow: none;
  font-family: {_FONT}; font-size: 13px; font-weight: bold; color: #333;
  text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 3px #fff; }}
.leaflet-tooltip.ecogis-label::before {{ display: none; }}
.ecogis-chart text {{ font-family: {_FONT}; font-size: 12px; fill: #222; }}
"""


class EcogisMap(folium.Map):
    """A ``folium.Map`` that remembers what ecogis needs: offline flag, bounds, layers.

    Make one with :func:`new_map`; the helpers in this module refuse plain folium maps so an
    online-only map cannot slip through :func:`save_map` unchecked.
    """

    def __init__(self, *args: Any, offline: bool = True, auto_canvas: bool = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.offline = offline
        self.auto_canvas = auto_canvas
        self.fixed_bounds: tuple[float, float, float, float] | None = None
        self.data_bounds: list[tuple[float, float, float, float]] = []
        self.layer_counts: dict[str, int] = {}
        self.top_layers: list[folium.FeatureGroup] = []
        self.finished = False


def new_map(
    *,
    title: str,
    bounds: tuple[float, float, float, float] | None = None,
    basemap: str = "none",
    tianditu_key: str | None = None,
    online: bool = False,
    prefer_canvas: bool | None = None,
) -> EcogisMap:
    """Create an empty ecogis map.

    Parameters
    ----------
    title : str
        Shown at the top of the map and as the page title (escaped).
    bounds : (min_lon, min_lat, max_lon, max_lat), optional
        Initial view. Default: the union of the layers added.
    basemap : {"none", "osm", "tianditu"}
        ``none`` (default) draws no tiles, so the map works with no network at all. ``osm`` and
        ``tianditu`` load tiles from the internet (the only external URLs a map may contain).
    tianditu_key : str, optional
        Tianditu ``tk`` key, required for ``basemap="tianditu"``. Never hard-coded; the CLI
        reads it from the ``TIANDITU_KEY`` environment variable.
    online : bool
        Link Leaflet from folium's CDN instead of inlining it (smaller file, needs internet).
    prefer_canvas : bool, optional
        Force the canvas (True) or SVG (False) renderer. Default: canvas once the map holds more
        than :data:`CANVAS_THRESHOLD` features.

    Returns
    -------
    EcogisMap
    """
    if basemap not in BASEMAPS:
        raise ConfigError(f"basemap {basemap!r} is not known; allowed: {', '.join(BASEMAPS)}")
    if basemap == "tianditu" and not tianditu_key:
        raise ConfigError(
            "basemap 'tianditu' needs a Tianditu key: set the TIANDITU_KEY environment variable "
            "(or pass tianditu_key=), or use basemap 'none' or 'osm'"
        )
    if tianditu_key is not None and not re.fullmatch(r"[0-9A-Za-z]{8,64}", tianditu_key):
        # it is pasted into a tile URL: refuse anything that is not a plain token
        raise ConfigError(
            "the Tianditu key (TIANDITU_KEY) must be 8-64 letters/digits; check for quotes or spaces"
        )
    if bounds is not None:
        bounds = _check_bounds(bounds, "new_map(bounds=...)")

    if bounds is not None:
        location = [(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2]
    else:
        location = [42.5, 114.9]  # replaced by fit-bounds in finish_map
    m = EcogisMap(
        location=location,
        zoom_start=9,
        tiles=None,
        prefer_canvas=bool(prefer_canvas),
        offline=not online,
        auto_canvas=prefer_canvas is None,
    )
    m.fixed_bounds = bounds
    fig = m.get_root()
    fig.title = html.escape(title)

    if online:
        # folium's CDN list without the parts ecogis does not use (Bootstrap, font-awesome...)
        m.default_js = [(n, u) for n, u in folium.Map.default_js if n == "leaflet"]
        m.default_css = [(n, u) for n, u in folium.Map.default_css if n == "leaflet_css"]
    else:
        m.default_js = []
        m.default_css = []
        fig.header.add_child(assets.inline_style(assets.leaflet_css()), name="ecogis_leaflet_css")
        fig.header.add_child(assets.inline_script(assets.leaflet_js()), name="ecogis_leaflet_js")
    fig.header.add_child(assets.inline_style(_CSS), name="ecogis_css")
    fig.html.add_child(
        Element(f'<div class="ecogis-title">{html.escape(title)}</div>'), name="ecogis_title"
    )

    if basemap == "osm":
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap", overlay=False).add_to(m)
    elif basemap == "tianditu":
        attr = '&copy; <a href="https://www.tianditu.gov.cn/">天地图</a>'
        for layer, name, overlay in (("vec_w", "天地图矢量", False), ("cva_w", "天地图注记", True)):
            folium.TileLayer(
                tiles=TIANDITU_URL.format(
                    layer=layer, key=tianditu_key, s="{s}", x="{x}", y="{y}", z="{z}"
                ),
                attr=attr,
                name=name,
                subdomains="01234567",
                max_zoom=18,
                overlay=overlay,
            ).add_to(m)
    m.add_child(_Globals(), name="ecogis_globals")
    return m


def add_polygons(
    m: EcogisMap,
    gdf,
    *,
    name: str,
    style: Mapping[str, Any] | Callable[[dict], Mapping[str, Any]],
    popup_fields: Sequence[tuple[str, str]] | None = None,
    tooltip_field: str | None = None,
    simplify_m: float | None = 0.5,
    show: bool = True,
    precision: int = 6,
    on_top: bool = False,
    label: bool = False,
) -> folium.FeatureGroup:
    """Add a vector layer (polygons; lines and points work too) as one toggleable group.

    Parameters
    ----------
    m : EcogisMap
        From :func:`new_map`.
    gdf : GeoDataFrame
        Any CRS (reprojected to EPSG:4326 for display); a layer without CRS is refused.
    name : str
        Layer name in the layer control (escaped) and key in ``window.ecogisLayers``.
    style : dict or callable
        Leaflet path options (see :mod:`ecogis.mapping.styles`), or a function called with each
        row's attributes as a dict (column -> value) that returns such options.
    popup_fields : list of (column, label), optional
        Attributes shown in the click popup, in this order. Values are escaped.
    tooltip_field : str, optional
        Column shown on hover (escaped).
    simplify_m : float or None
        Display simplification tolerance in metres (topology-preserving), applied in the
        layer's projected CRS (or its UTM zone for geographic layers). None/0 keeps every vertex.
    show : bool
        Whether the layer is switched on when the page opens.
    precision : int
        Decimal places kept for lon/lat (6 ~ 0.1 m).
    on_top : bool
        Keep this layer above the others, also after layers are toggled (conflicts, overlaps).
    label : bool
        Show ``tooltip_field`` as a permanent label in each feature's middle instead of on
        hover (township names). For layers with few features.

    Returns
    -------
    folium.FeatureGroup
        The group holding the layer; add further folium elements to it if needed.
    """
    _check_map(m, "add_polygons")
    if m.finished:
        raise EcogisError(f"layer {name!r}: the map is finished; add layers before finish_map()")
    if gdf.crs is None:
        raise CRSError(
            f"layer {name!r}: has no CRS; set one when reading it (a CRS is never guessed)"
        )
    if name in m.layer_counts:
        raise LayerError(f"layer {name!r}: a layer with this name is already on the map")
    if not isinstance(precision, int) or not 0 <= precision <= 10:
        raise EcogisError(f"layer {name!r}: precision {precision!r} must be an integer 0-10")
    popup_fields = list(popup_fields or [])
    wanted = [c for c, _ in popup_fields] + ([tooltip_field] if tooltip_field else [])
    missing = [c for c in wanted if c not in gdf.columns]
    if missing:
        have = ", ".join(str(c) for c in gdf.columns if c != gdf.geometry.name)
        raise LayerError(
            f"layer {name!r}: no column(s) {', '.join(map(str, missing))}; columns: {have}"
        )

    keep = ~(gdf.geometry.isna() | gdf.geometry.is_empty)
    if not keep.all():
        warnings.warn(
            f"layer {name!r}: {int((~keep).sum())} feature(s) without geometry not drawn",
            EcogisWarning,
            stacklevel=2,
        )
    gdf = gdf.loc[keep]
    gdf = _explode_collections(gdf)

    # styles: evaluate callables on the original attributes, then keep only distinct ones
    if callable(style):
        records = gdf.drop(columns=gdf.geometry.name).to_dict("records")
        row_styles = [_check_style(style(r), name) for r in records]
    else:
        row_styles = [_check_style(style, name)]
    style_table: list[dict] = []
    style_index: dict[str, int] = {}
    style_ids = []
    for s in row_styles:
        key = json.dumps(s, sort_keys=True)
        if key not in style_index:
            style_index[key] = len(style_table)
            style_table.append(s)
        style_ids.append(style_index[key])

    geoms = _display_geometries(gdf, name=name, simplify_m=simplify_m, precision=precision)
    n = len(geoms)
    payload: dict[str, Any] = {
        "name": name,
        "title": html.escape(name),
        "st": style_table,
        "s": style_ids if len(style_table) > 1 else None,
        "pl": [html.escape(str(label)) for _, label in popup_fields] or None,
        "p": None,
        "h": None,
        "q": 10**precision,
    }
    popup_cols = [c for c, _ in popup_fields]
    if popup_fields:
        payload["p"] = [_encode_column([_fmt(v) for v in gdf[c].tolist()]) for c in popup_cols]
    if tooltip_field in popup_cols:
        # the hover text repeats a popup value: point at that column instead of shipping it twice
        payload["h"] = popup_cols.index(tooltip_field)
    elif tooltip_field:
        payload["h"] = _encode_column([_fmt(v) for v in gdf[tooltip_field].tolist()])
    if label and tooltip_field:
        payload["lbl"] = 1

    types, coords = _encode_geometries(geoms, precision)
    data = _dumps(payload)[:-1] + f',"t":"{types}","c":{coords}}}'

    group = folium.FeatureGroup(name=html.escape(name), show=show)
    group.add_child(_GeoLayer(data))
    group.add_to(m)

    m.layer_counts[name] = n
    if n:
        m.data_bounds.append(tuple(shapely.total_bounds(geoms).tolist()))
    if on_top:
        m.top_layers.append(group)
    if m.auto_canvas and sum(m.layer_counts.values()) > CANVAS_THRESHOLD:
        m.options["prefer_canvas"] = True
    return group


def add_legend(
    m: EcogisMap,
    entries: Sequence[tuple[str, Mapping[str, Any]]],
    *,
    title: str,
    position: str = "bottomright",
) -> None:
    """Add a legend: one swatch (fill and outline as drawn) and label per entry.

    ``entries`` are ``(label, style)`` pairs, the style as given to :func:`add_polygons`.
    Labels and title are escaped; colours must be plain CSS colours.
    """
    _check_map(m, "add_legend")
    rows = []
    for label, style in entries:
        rows.append(
            f'<div class="ecogis-legend-row">{_swatch(style, label)}<span>{html.escape(str(label))}</span></div>'
        )
    body = f'<div class="ecogis-box-title">{html.escape(title)}</div>' + "".join(rows)
    m.add_child(_HtmlControl(body, position=position, css_class="ecogis-box ecogis-legend"))


def add_panel(
    m: EcogisMap,
    html_rows: Sequence[tuple[str, Any]],
    *,
    title: str,
    position: str = "topleft",
) -> None:
    """Add a summary panel: a title and ``(label, value)`` rows, all escaped.

    Numbers are formatted like popup values (integers as is, others to 2 decimals); pass
    strings to control formatting (``f"{area_mu:,.1f} 亩"``).
    """
    _check_map(m, "add_panel")
    rows = "".join(
        f"<tr><th>{html.escape(str(label))}</th><td>{_fmt(value)}</td></tr>"
        for label, value in html_rows
    )
    body = f'<div class="ecogis-box-title">{html.escape(title)}</div><table>{rows}</table>'
    m.add_child(_HtmlControl(body, position=position, css_class="ecogis-box ecogis-panel"))


def add_chart(
    m: EcogisMap,
    bars: Sequence[tuple[str, float]],
    *,
    title: str,
    target: float | None = 100.0,
    max_value: float | None = None,
    unit: str = "%",
    color: str | None = None,
    position: str = "bottomleft",
) -> None:
    """Add a small horizontal bar chart (plain inline SVG) - e.g. completion per township.

    Parameters
    ----------
    bars : list of (label, value)
        One bar each, top to bottom. NaN/None values are drawn as an empty bar marked "—".
    target : float, optional
        Drawn as a dashed line; bars are coloured by ``value / target`` on the progress ramp
        (red -> green) unless ``color`` is given. Default 100 (values in percent).
    max_value : float, optional
        Right end of the axis. Default: the largest of the values and the target.
    unit : str
        Appended to each value label.
    """
    _check_map(m, "add_chart")
    if color is not None:
        color = check_color(color, where=f"chart {title!r}")
    values = [
        None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for _, v in bars
    ]
    top = max([v for v in values if v is not None] + ([target] if target else []) + [0.0])
    top = max_value if max_value else (top or 1.0)
    # CJK glyphs at 12px are ~12px wide: size the label column to the longest label (capped)
    longest = max((len(str(label)) for label, _ in bars), default=1)
    label_w = min(max(longest, 3), 9) * 12 + 10
    bar_w, value_w, row_h = 150, 58, 20
    width = label_w + bar_w + value_w
    height = row_h * len(bars) + 6
    parts = [f'<svg class="ecogis-chart" width="{width}" height="{height}" role="img">']
    for i, ((label, _), v) in enumerate(zip(bars, values, strict=True)):
        y = 3 + i * row_h
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{html.escape(_short(str(label), 9))}</text>'
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="{row_h - 6}" fill="#eeeeee"></rect>'
        )
        if v is not None:
            w = max(0.0, min(v / top, 1.0)) * bar_w
            fill = color or (progress_color(v / target) if target else "#1565c0")
            parts.append(
                f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" fill="{fill}" stroke="#555" stroke-width="0.5"></rect>'
            )
        text = "—" if v is None else f"{v:.0f}{unit}" if abs(v) >= 10 else f"{v:.1f}{unit}"
        parts.append(f'<text x="{label_w + bar_w + 4}" y="{y + 14}">{html.escape(text)}</text>')
    if target and target <= top:
        x = label_w + target / top * bar_w
        parts.append(
            f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height}" stroke="#222" stroke-dasharray="3 2"></line>'
        )
    parts.append("</svg>")
    body = f'<div class="ecogis-box-title">{html.escape(title)}</div>' + "".join(parts)
    m.add_child(_HtmlControl(body, position=position, css_class="ecogis-box ecogis-chart-box"))


def finish_map(m: EcogisMap) -> None:
    """Add the layer control, a metric scale bar and the initial view; keep on-top layers on top.

    Call once, after the last layer. :func:`save_map` calls it if you did not. Safe to call twice.
    """
    _check_map(m, "finish_map")
    if m.finished:
        return
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    bounds = m.fixed_bounds
    if bounds is None and m.data_bounds:
        b = np.array(m.data_bounds)
        bounds = (b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max())
    fit = None
    if bounds is not None:
        # a single point has zero extent: pad so fitBounds has something to fit
        pad = 0.005 if bounds[0] == bounds[2] or bounds[1] == bounds[3] else 0.0
        m.location = [(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2]
        fit = [[bounds[1] - pad, bounds[0] - pad], [bounds[3] + pad, bounds[2] + pad]]
    m.add_child(_Finish(m.top_layers, fit), name="ecogis_finish")
    m.finished = True


def render_map(m: EcogisMap) -> str:
    """Return the finished map as one HTML string (calls :func:`finish_map`), offline-checked."""
    _check_map(m, "render_map")
    finish_map(m)
    text = m.get_root().render()
    if m.offline:
        found = _external_assets(text)
        if found:
            raise EcogisError(
                "offline map would load external script/style (an ecogis bug, please report): "
                + ", ".join(found[:3])
            )
    return text


def save_map(m: EcogisMap, path: str | os.PathLike, *, overwrite: bool = True) -> Path:
    """Write the map as one self-contained HTML file (atomically) and return its path.

    Raises
    ------
    EcogisError
        If an offline map still references an external script or stylesheet (a bug guard).
    LayerError
        If the file exists and ``overwrite`` is False, or the folder is missing/not writable.
    """
    text = render_map(m)
    path = Path(path)
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------
# private helpers
# --------------------------------------------------------------------------------------

_EXTERNAL_RE = re.compile(
    r"""<script[^>]+src\s*=\s*["']?((?:https?:)?//[^"'\s>]+)|<link[^>]+href\s*=\s*["']?((?:https?:)?//[^"'\s>]+)""",
    re.IGNORECASE,
)


def _external_assets(text: str) -> list[str]:
    return [a or b for a, b in _EXTERNAL_RE.findall(text)]


def _check_map(m: Any, where: str) -> None:
    if not isinstance(m, EcogisMap):
        raise EcogisError(
            f"{where}: expected a map from ecogis.mapping.new_map(), got {type(m).__name__}"
        )


def _check_bounds(bounds: Sequence[float], where: str) -> tuple[float, float, float, float]:
    try:
        b = tuple(float(v) for v in bounds)
    except (TypeError, ValueError):
        raise EcogisError(
            f"{where}: bounds {bounds!r} must be 4 numbers (min_lon, min_lat, max_lon, max_lat)"
        ) from None
    if len(b) != 4 or not (-180 <= b[0] <= b[2] <= 180 and -90 <= b[1] <= b[3] <= 90):
        raise EcogisError(
            f"{where}: bounds {bounds!r} must be (min_lon, min_lat, max_lon, max_lat) in degrees"
        )
    return b  # type: ignore[return-value]


def _check_style(style: Any, layer: str) -> dict:
    if not isinstance(style, Mapping):
        raise EcogisError(
            f"layer {layer!r}: style must be a dict of Leaflet path options, got {style!r}"
        )
    bad = set(style) - _STYLE_KEYS
    if bad:
        raise EcogisError(
            f"layer {layer!r}: unknown style option(s) {', '.join(sorted(bad))}; "
            f"allowed: {', '.join(sorted(_STYLE_KEYS))}"
        )
    out = dict(style)
    for key in ("color", "fillColor"):
        if key in out:
            out[key] = check_color(out[key], where=f"layer {layer!r} style {key}")
    return out


def _explode_collections(gdf):
    """Split GeometryCollections (from make_valid) into their parts; Leaflet wants plain types."""
    is_gc = shapely.get_type_id(gdf.geometry.values) == 7
    if not is_gc.any():
        return gdf
    # order by position, not by index: a user's index may be unsorted or not unique
    pos = gdf.assign(_ecogis_pos=np.arange(len(gdf)))
    parts = pos.loc[is_gc].explode(index_parts=False)
    out = pd.concat([pos.loc[~is_gc], parts]).sort_values("_ecogis_pos", kind="stable")
    return out.drop(columns="_ecogis_pos")


def _display_geometries(gdf, *, name: str, simplify_m: float | None, precision: int) -> np.ndarray:
    """Simplify in metres, reproject to EPSG:4326, drop Z, round coordinates."""
    geo = gdf.geometry
    if simplify_m:
        if geo.crs.is_geographic:
            metric = geo.estimate_utm_crs()
            geo = geo.to_crs(metric).simplify(simplify_m, preserve_topology=True)
        else:
            # tolerance is in metres; convert for CRSs in feet etc.
            factor = geo.crs.axis_info[0].unit_conversion_factor if geo.crs.axis_info else 1.0
            geo = geo.simplify(simplify_m / (factor or 1.0), preserve_topology=True)
    try:
        geo = geo.to_crs(4326)
    except Exception as exc:  # pyproj errors are not EcogisErrors
        raise CRSError(
            f"layer {name!r}: cannot reproject from {gdf.crs} to EPSG:4326: {exc}"
        ) from exc
    geoms = shapely.force_2d(np.asarray(geo.values, dtype=object))
    return shapely.transform(geoms, lambda c: np.round(c, precision))


def _encode_geometries(geoms: np.ndarray, precision: int) -> tuple[str, str]:
    """Geometry type codes and coordinates as compact JSON text, decoded by ``_GeoLayer``.

    Returns ``(types, coords)``: ``types`` holds one :data:`_GEOJSON_TYPES` code per geometry
    (or a single code when all are the same); ``coords`` is a JSON array with one entry per
    geometry, nested like GeoJSON coordinates except that each innermost list of positions is
    one flat list of integers ``[dx, dy, dx, dy, ...]``:

    * a position is ``lon, lat`` times ``10**precision``, rounded to an integer - the same
      quantisation as ``np.round(c, precision)``, and the page divides by the same power of
      ten, so it gets back exactly the float it would have parsed from ``"112.784823"``;
    * each integer is the difference to the previous position of the layer (across rings,
      parts and geometries, in GeoJSON order): neighbouring vertices are close, so most
      numbers have 3-4 digits instead of 9-10;
    * polygon rings leave out their closing position (it repeats the first; the page adds it).

    A Point is one ``[dx, dy]``, a LineString one flat list, a Polygon a list of rings, a
    MultiPoint a list of ``[dx, dy]``, a MultiLineString a list of flat lists, a MultiPolygon a
    list of lists of rings.
    """
    n = len(geoms)
    type_ids = shapely.get_type_id(geoms)
    types = "".join(str(t) for t in type_ids.tolist())
    if n and (type_ids == type_ids[0]).all():
        types = types[0]
    # flatten into "leaves" (one run of positions each): polygon rings, and every other part
    parts, part_geom = shapely.get_parts(geoms, return_index=True)
    is_poly = shapely.get_type_id(parts) == 3
    rings, ring_part = shapely.get_rings(parts[is_poly], return_index=True)
    leaves = np.concatenate([rings, parts[~is_poly]])
    leaf_part = np.concatenate([np.flatnonzero(is_poly)[ring_part], np.flatnonzero(~is_poly)])
    is_ring = np.arange(len(leaves)) < len(rings)
    order = np.argsort(leaf_part, kind="stable")  # back to part order, rings kept in order
    leaves, leaf_part, is_ring = leaves[order], leaf_part[order], is_ring[order]

    counts = shapely.get_num_coordinates(leaves)
    xy = shapely.get_coordinates(leaves)
    closed = is_ring & (counts > 0)
    keep = np.ones(len(xy), dtype=bool)
    keep[np.cumsum(counts)[closed] - 1] = False
    counts = counts - closed
    q = np.rint(xy[keep] * 10.0**precision).astype(np.int64)
    delta = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))

    tokens = [str(v) for v in delta.ravel().tolist()]
    ends = (2 * np.cumsum(counts)).tolist()
    part_items: list[list[str]] = [[] for _ in range(len(parts))]
    start = 0
    for end, part in zip(ends, leaf_part.tolist(), strict=True):
        part_items[part].append("[" + ",".join(tokens[start:end]) + "]")
        start = end
    geom_items: list[list[str]] = [[] for _ in range(n)]
    for items, poly, g in zip(part_items, is_poly.tolist(), part_geom.tolist(), strict=True):
        geom_items[g].append("[" + ",".join(items) + "]" if poly else items[0])
    out = []
    for items, t in zip(geom_items, type_ids.tolist(), strict=True):
        # multi-part types wrap their parts; single types are their only part
        out.append("[" + ",".join(items) + "]" if t in (4, 5, 6) or not items else items[0])
    return types, "[" + ",".join(out) + "]"


def _encode_column(values: list[str]) -> list[str] | dict[str, list]:
    """Popup/tooltip strings as a plain list, or as distinct values plus indices if smaller.

    ``{"v": [distinct...], "i": [index per feature]}`` pays off for coded columns (land-use
    codes, verdicts, township names) where a few values repeat thousands of times.
    """
    table: dict[str, int] = {}
    index = [table.setdefault(v, len(table)) for v in values]
    if len(table) == len(values):
        return values
    # bytes in the JSON text: quotes and a comma per string, a comma per index
    plain = sum(len(v.encode()) + 3 for v in values)
    coded = sum(len(v.encode()) + 3 for v in table) + sum(len(str(i)) + 1 for i in index) + 12
    return {"v": list(table), "i": index} if coded < plain else values


def _fmt(value: Any) -> str:
    """Format one attribute value for display and escape it."""
    if value is None or value is pd.NaT:
        return "—"
    if isinstance(value, bool | np.bool_):
        return "是" if value else "否"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        v = float(value)
        if math.isnan(v):
            return "—"
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return f"{v:.2f}"
    if isinstance(value, datetime | pd.Timestamp):
        return html.escape(value.isoformat(sep=" ", timespec="minutes").removesuffix(" 00:00"))
    if isinstance(value, date):
        return value.isoformat()
    try:
        if pd.isna(value):
            return "—"
    except (TypeError, ValueError):
        pass
    return html.escape(str(value))


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _dumps(obj: Any) -> str:
    """JSON for inline ``<script>``: compact, UTF-8, and unable to close the script element."""
    return (
        json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
    )


def _swatch(style: Mapping[str, Any], label: str) -> str:
    where = f"legend entry {label!r}"
    style = _check_style(style, where)
    color = style.get("color", "#3388ff")
    stroke = style.get("stroke", True)
    weight = float(style.get("weight", 3))
    opacity = float(style.get("opacity", 1.0))
    fill = style.get("fill", True)
    fill_color = style.get("fillColor", color)
    fill_opacity = float(style.get("fillOpacity", 0.2))
    border = "none"
    if stroke and weight > 0:
        kind = "dashed" if style.get("dashArray") else "solid"
        border = f"{min(max(weight, 1.0), 3.0):g}px {kind} {color}"
    inner = ""
    if fill and fill_opacity > 0:
        inner = f'<span class="ecogis-swatch-fill" style="background:{fill_color};opacity:{fill_opacity:g}"></span>'
    # the outline sits on a wrapper so its opacity does not fade the fill
    return f'<span class="ecogis-swatch" style="border:{border};opacity:{opacity:g}">{inner}</span>'


class _Globals(MacroElement):
    """Expose the Leaflet map and a per-layer feature count for tests and later tools."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            window.ecogisMap = {{ this._parent.get_name() }};
            window.ecogisLayers = window.ecogisLayers || {};
        {% endmacro %}
        """
    )


class _GeoLayer(MacroElement):
    """One layer's compact data, turned into an ``L.geoJSON`` inside its feature group."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var d = {{ this.data }};
            var T = {{ this.types }};
            // decode the compact layer (see _encode_geometries / _encode_column in base.py)
            var q = d.q, x = 0, y = 0;
            function pos(a, k) { x += a[k]; y += a[k + 1]; return [x / q, y / q]; }
            function line(a, close) {
                var out = new Array(a.length / 2);
                for (var k = 0; k < a.length; k += 2) { out[k / 2] = pos(a, k); }
                if (close && out.length) { out.push(out[0].slice()); }
                return out;
            }
            function ring(a) { return line(a, true); }
            function path(a) { return line(a, false); }
            function point(a) { return pos(a, 0); }
            function polygon(r) { return r.map(ring); }
            function coordinates(t, c) {
                if (t === "0") { return point(c); }
                if (t === "1" || t === "2") { return path(c); }
                if (t === "3") { return polygon(c); }
                if (t === "4") { return c.map(point); }
                if (t === "5") { return c.map(path); }
                return c.map(polygon);
            }
            function column(c) {
                return c && !Array.isArray(c) ? c.i.map(function (k) { return c.v[k]; }) : c;
            }
            var p = d.p ? d.p.map(column) : null;
            var h = typeof d.h === "number" ? p[d.h] : column(d.h);
            var feats = new Array(d.c.length);
            for (var i = 0; i < d.c.length; i++) {
                var t = d.t.length === 1 ? d.t : d.t.charAt(i);
                feats[i] = {type: "Feature", properties: {i: i},
                            geometry: {type: T[t], coordinates: coordinates(t, d.c[i])}};
            }
            var styleOf = function (f) { return d.st[d.s ? d.s[f.properties.i] : 0]; };
            var g = L.geoJSON(feats, {
                style: styleOf,
                pointToLayer: function (f, ll) {
                    return L.circleMarker(ll, Object.assign({radius: 5}, styleOf(f)));
                }
            });
            if (p) {
                // every piece below was HTML-escaped in Python; only tags are added here
                g.bindPopup(function (layer) {
                    var i = layer.feature.properties.i;
                    var s = '<div class="ecogis-popup"><div class="ecogis-popup-title">' + d.title + '</div><table>';
                    for (var k = 0; k < d.pl.length; k++) {
                        s += '<tr><th>' + d.pl[k] + '</th><td>' + p[k][i] + '</td></tr>';
                    }
                    return s + '</table></div>';
                }, {maxWidth: 400});
            }
            if (h && d.lbl) {
                g.eachLayer(function (layer) {
                    layer.bindTooltip(h[layer.feature.properties.i],
                        {permanent: true, direction: "center", className: "ecogis-label", interactive: false});
                });
            } else if (h) {
                g.bindTooltip(function (layer) { return h[layer.feature.properties.i]; }, {sticky: true});
            }
            g.addTo({{ this._parent.get_name() }});
            window.ecogisLayers = window.ecogisLayers || {};
            window.ecogisLayers[d.name] = g.getLayers().length;
        })();
        {% endmacro %}
        """
    )

    def __init__(self, data: str):
        super().__init__()
        self._name = "EcogisGeoLayer"
        self.data = data
        self.types = json.dumps({str(k): v for k, v in _GEOJSON_TYPES.items()})


class _HtmlControl(MacroElement):
    """A Leaflet control holding pre-escaped HTML (legend, panel, chart)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var c = L.control({position: {{ this.position|tojson }}});
            c.onAdd = function () {
                var div = L.DomUtil.create("div", {{ this.css_class|tojson }});
                div.innerHTML = {{ this.body|tojson }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            c.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, body: str, *, position: str, css_class: str):
        super().__init__()
        if position not in _POSITIONS:
            raise EcogisError(
                f"control position {position!r} is not known; allowed: {', '.join(_POSITIONS)}"
            )
        self._name = "EcogisControl"
        self.body = body
        self.position = position
        self.css_class = css_class


class _Finish(MacroElement):
    """Initial view, metric scale bar, on-top layers kept on top, and the ready flag."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            {%- if this.fit %}
            // no animation: the first thing a user (or a screenshot) sees is the final view
            map.fitBounds({{ this.fit|tojson }}, {padding: [20, 20], animate: false});
            {%- endif %}
            L.control.scale({metric: true, imperial: false, position: "bottomleft"}).addTo(map);
            var top = [{% for l in this.top_layers %}{{ l.get_name() }}{% if not loop.last %}, {% endif %}{% endfor %}];
            function keepOnTop() {
                top.forEach(function (l) { if (map.hasLayer(l)) { l.bringToFront(); } });
            }
            map.on("overlayadd", keepOnTop);
            keepOnTop();
            window.ecogisReady = true;
        })();
        {% endmacro %}
        """
    )

    def __init__(self, top_layers: list, fit: list | None):
        super().__init__()
        self._name = "EcogisFinish"
        self.top_layers = list(top_layers)
        self.fit = fit

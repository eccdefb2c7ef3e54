"""The base every ecogis HTML map is built on: offline folium map, layers, panels, basemaps.

A map is built in four steps::

    m = new_map(title="正镶白旗三线冲突检查")
    add_polygons(m, redline, name="生态保护红线", style=STYLES["redline"],
                 popup_fields=[("HXMC", "红线名称"), ("area_mu", "面积（亩）")])
    add_legend(m, [("生态保护红线", STYLES["redline"])], title="图例")
    save_map(m, "maps/controls.html")       # calls finish_map() if you did not

Search, filters, panels whose numbers follow the filters, lists and the time slider are added
with :mod:`ecogis.mapping.interactive`; the page's own code is ``runtime.js`` (inlined).

Design choices, and why:

* **Offline.** folium's CDN links are removed (``default_js``/``default_css`` emptied on the
  map instance) and Leaflet's JS/CSS is inlined from XStatic-Leaflet (see ``assets.py``).
  Nothing here needs jQuery or Bootstrap, so they are not shipped at all. A basemap is the
  only network use, and an ``mbtiles:FILE`` basemap is embedded too.
* **Safe text.** Every attribute value, label, layer name and title shown as HTML is
  HTML-escaped in Python (``html.escape``). Popups and tooltips are assembled in the page only
  from those escaped strings; raw attribute values (for search, filters and sums) reach the
  page only through ``textContent``. The JSON that carries them into ``<script>`` has
  ``<``/``>`` written as ``\\u003c``/``\\u003e`` so no value can close the script element.
* **Compact data.** A layer is shipped as one JSON object - geometry type codes,
  coordinates as integer steps of 1e-6 degree from the previous vertex (rings not closed; see
  ``_encode_geometries``), an index into a small table of distinct styles, escaped popup values
  per column (repeated values once, with indices; a tooltip that repeats a popup column only
  names the column) - and turned into GeoJSON features in the browser. Only the popup,
  tooltip and data columns are shipped. Geometries are simplified in a metric CRS and
  coordinates rounded (6 decimals ~ 0.1 m); 20 000 ten-vertex polygons with four popup fields
  take ~2.7 MB.
* **Rows and features.** Columns are per row of the frame given; a row whose geometry is a
  collection becomes several features (``r``: the row of each feature). Layers made by
  :func:`ecogis.mapping.common.add_points` share their parent's rows (``ref``).
* **Layout.** The title is a bar across the top and the controls start below it; panels fold
  (folded from the start below 600 px); a popup is moved into a free rectangle between the
  panels when it opens; the first view fits the data into the largest free rectangle.
* **Many features.** Past :data:`CANVAS_THRESHOLD` features the map switches to Leaflet's canvas
  renderer (``preferCanvas``). ``window.ecogisLayers[name]`` holds how many features of each
  layer are drawn now; ``window.ecogisMap`` is the Leaflet map and ``window.ecogisReady`` is
  set once the whole script ran (tests and later tools use them).
"""

from __future__ import annotations

import base64
import functools
import html
import json
import math
import numbers
import os
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
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
from ..i18n import _
from ..io._atomic import atomic_path
from . import assets
from .model import (
    BASEMAPS,
    MBTILES_MAX_MB,
    TIANDITU_ENV,
    TIANDITU_URL,
    Basemap,
    parse_basemap,
)
from .styles import PLOT_CLASSES, check_color

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


@functools.lru_cache(maxsize=1)
def _runtime() -> tuple[str, str]:
    """The page's own JS and CSS (``runtime.js``, ``runtime.css`` beside this module)."""
    here = Path(__file__).resolve().parent
    return assets._read_asset(here / "runtime.js"), assets._read_asset(here / "runtime.css")


def _texts() -> dict[str, str]:
    """Texts the page shows itself, in the interface language (escaped)."""
    texts = {
        "filters": _("Filters"),
        "tiles_failed": _("{n} basemap tiles of {name} could not be loaded."),
        "tiles_none": _(
            "No network, or the tile server cannot be reached: the layers are drawn without "
            "a basemap."
        ),
        "no_leaflet": _(
            "This map loads Leaflet from the internet (--online) and could not: no network? "
            "Make the map again without --online to embed it."
        ),
        "absent": _("This feature does not exist yet at the date shown."),
        "zoom_in": _("Zoom in"),
        "zoom_out": _("Zoom out"),
        "earlier": _("Earlier"),
        "later": _("Later"),
        "close": _("Close"),
    }
    return {k: html.escape(v) for k, v in texts.items()}


@dataclass
class _LayerData:
    """What a layer ships, kept until the map is rendered (a time line may still add styles)."""

    name: str
    payload: dict
    types: str
    coords: str
    rows: int
    style: Any  # a style dict or a callable row -> style
    style_table: list[dict]
    style_index: dict[str, int]
    popup_cols: list[str]
    tooltip_field: str | None
    data_fields: list[str]
    label_field: str | None
    key: str | None
    keys: list | None
    ref: str | None
    group: Any
    frame_index: Any = None
    children: list[str] = field(default_factory=list)

    def style_id(self, s: Mapping[str, Any]) -> int:
        checked = _check_style(s, self.name)
        key = json.dumps(checked, sort_keys=True)
        if key not in self.style_index:
            self.style_index[key] = len(self.style_table)
            self.style_table.append(checked)
        return self.style_index[key]

    def style_ids(self, frame) -> list[int]:
        if not callable(self.style):
            return [0] * len(frame)
        return [self.style_id(self.style(r)) for r in _records(frame)]

    def data(self) -> str:
        payload = dict(self.payload)
        payload["st"] = self.style_table
        if len(self.style_table) > 1 or payload.get("s") is not None:
            payload["s"] = _encode_column(payload["s"]) if payload.get("s") is not None else None
        else:
            payload["s"] = None
        return _dumps(payload)[:-1] + f',"t":"{self.types}","c":{self.coords}}}'


class EcogisMap(folium.Map):
    """A ``folium.Map`` that remembers what ecogis needs: offline flag, bounds, layers, panels.

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
        self.layers_data: dict[str, _LayerData] = {}
        self.top_layers: list[folium.FeatureGroup] = []
        self.overlays: list[tuple[str, Any]] = []
        self.bases: list[tuple[str, Any]] = []
        self.tile_layers: list[tuple[Any, str]] = []
        self.basemap: Basemap = Basemap(kind="none", spec="none")
        self.projection = "mercator"
        self.mbtiles_max_mb = MBTILES_MAX_MB
        self.attribution: list[str] = []
        #: the page's config beyond the layers (see :mod:`ecogis.mapping.interactive`)
        self.page: dict[str, Any] = {
            "summaries": [],
            "lists": [],
            "charts": [],
            "legends": [],
            "panels": [],
            "filters": [],
        }
        self.finished = False


def new_map(
    *,
    title: str,
    bounds: tuple[float, float, float, float] | None = None,
    basemap: str | Basemap = "none",
    tianditu_key: str | None = None,
    online: bool = False,
    prefer_canvas: bool | None = None,
    projection: str = "mercator",
    attribution: Sequence[str] = (),
    mbtiles_max_mb: float = MBTILES_MAX_MB,
) -> EcogisMap:
    """Create an empty ecogis map.

    Parameters
    ----------
    title : str
        Shown at the top of the map and as the page title (escaped).
    bounds : (min_lon, min_lat, max_lon, max_lat), optional
        Initial view. Default: the union of the layers added.
    basemap : str or Basemap
        ``none`` (default) draws no tiles, so the map works with no network at all. ``osm``,
        ``tianditu``, ``tianditu-img`` and tile URL templates load tiles from the network
        (the only external URLs a map may contain); ``mbtiles:FILE`` embeds tiles from a
        local file. See :mod:`ecogis.mapping.model`.
    tianditu_key : str, optional
        Tianditu ``tk`` key, required for the Tianditu basemaps and ``{tk}`` in a URL
        template. Never hard-coded; the CLI reads it from the ``TIANDITU_KEY`` variable.
    online : bool
        Link Leaflet from folium's CDN instead of inlining it (smaller file, needs internet).
    prefer_canvas : bool, optional
        Force the canvas (True) or SVG (False) renderer. Default: canvas once the map holds more
        than :data:`CANVAS_THRESHOLD` features.
    projection : {"mercator", "lonlat"}
        Web Mercator (Leaflet's default, the projection of most tiles) or longitude/latitude
        (for Tianditu's ``*_c`` CGCS2000 tiles and lon/lat tile servers).
    attribution : list of str
        Data sources, shown after "ecogis" in the attribution line (escaped).
    mbtiles_max_mb : float
        Cap on the tiles an ``mbtiles:`` basemap embeds.

    Returns
    -------
    EcogisMap
    """
    bm = basemap if isinstance(basemap, Basemap) else parse_basemap(basemap)
    bm.check_projection(projection)
    if bm.needs_key and not tianditu_key:
        raise ConfigError(
            _(
                "basemap {basemap!r} needs a Tianditu key: set the {env} environment variable "
                "(or pass tianditu_key=), or use basemap 'none', 'osm' or mbtiles:FILE"
            ).format(basemap=bm.spec, env=TIANDITU_ENV)
        )
    if tianditu_key is not None and not re.fullmatch(r"[0-9A-Za-z]{8,64}", tianditu_key):
        # it is pasted into a tile URL: refuse anything that is not a plain token
        raise ConfigError(
            _(
                "the Tianditu key ({env}) must be 8-64 letters/digits; check for quotes or spaces"
            ).format(env=TIANDITU_ENV)
        )
    if bounds is not None:
        bounds = _check_bounds(bounds, "new_map(bounds=...)")
    if bounds is not None:
        location = [(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2]
    else:
        location = [42.5, 114.9]  # replaced by the fit in finish_map
    m = EcogisMap(
        location=location,
        zoom_start=9,
        tiles=None,
        prefer_canvas=bool(prefer_canvas),
        offline=not online,
        auto_canvas=prefer_canvas is None,
        crs="EPSG4326" if projection == "lonlat" else "EPSG3857",
        zoom_control=False,
        # fractional zoom: the first view fits the data instead of snapping to half of it
        zoom_snap=0.25,
        zoom_delta=0.5,
    )
    m.fixed_bounds = bounds
    m.basemap = bm
    m.projection = projection
    m.mbtiles_max_mb = float(mbtiles_max_mb)
    m.attribution = [str(a) for a in attribution if str(a).strip()]
    fig = m.get_root()
    fig.title = html.escape(title)

    js, css = _runtime()
    if online:
        # folium's CDN list without the parts ecogis does not use (Bootstrap, font-awesome...)
        m.default_js = [(n, u) for n, u in folium.Map.default_js if n == "leaflet"]
        m.default_css = [(n, u) for n, u in folium.Map.default_css if n == "leaflet_css"]
    else:
        m.default_js = []
        m.default_css = []
        fig.header.add_child(assets.inline_style(assets.leaflet_css()), name="ecogis_leaflet_css")
        fig.header.add_child(assets.inline_script(assets.leaflet_js()), name="ecogis_leaflet_js")
    fig.header.add_child(assets.inline_style(css), name="ecogis_css")
    fig.header.add_child(
        assets.inline_script(f"window.ecogisTexts = {_dumps(_texts())};\n{js}"),
        name="ecogis_runtime",
    )
    fig.html.add_child(
        Element(f'<div class="ecogis-title">{html.escape(title)}</div>'), name="ecogis_title"
    )

    for source in bm.tiles(projection, tianditu_key):
        name = _(source.name)
        layer = folium.TileLayer(
            tiles=source.url,
            attr=html.escape(source.attribution),
            name=html.escape(name),
            overlay=source.overlay,
            subdomains=source.subdomains or "abc",
            max_zoom=source.max_zoom,
            zoom_offset=source.zoom_offset or None,
        )
        layer.add_to(m)
        (m.overlays if source.overlay else m.bases).append((html.escape(name), layer))
        m.tile_layers.append((layer, html.escape(name)))
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
    label: bool | str = False,
    label_priority: int = 2,
    label_direction: str = "center",
    data_fields: Sequence[str] = (),
    key: str | None = None,
    title_field: str | None = None,
    ref: str | None = None,
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
    label : bool or str
        ``True``: show ``tooltip_field`` as a permanent label instead of on hover (township
        names). A column name: that column as the permanent label, ``tooltip_field`` on hover
        (pit and site IDs). Labels are placed where they fit: one that would overlap another
        waits for a closer zoom.
    label_priority : int
        Labels with a lower number are placed first (IDs 1, township names 3).
    label_direction : {"center", "right"}
        Where the label sits: on the feature's middle, or right of a point.
    data_fields : list of str
        Columns shipped raw for search, filters, panels and lists
        (:mod:`ecogis.mapping.interactive`).
    key : str, optional
        The id column: the rows a time line (:func:`~ecogis.mapping.interactive.add_timeline`)
        gives per date are matched to the layer's rows by it.
    title_field : str, optional
        A popup column whose value follows the layer name in the popup header (the ID).
    ref : str, optional
        Name of a layer added before with the same rows: its popups, tooltips and data are
        shared, not shipped again (markers over polygons).

    Returns
    -------
    folium.FeatureGroup
        The group holding the layer; add further folium elements to it if needed.
    """
    _check_map(m, "add_polygons")
    if m.finished:
        raise EcogisError(
            _("layer {name!r}: the map is finished; add layers before finish_map()").format(
                name=name
            )
        )
    if gdf.crs is None:
        raise CRSError(
            _(
                "layer {name!r}: has no CRS; set one when reading it (a CRS is never guessed)"
            ).format(name=name)
        )
    if name in m.layer_counts:
        raise LayerError(
            _("layer {name!r}: a layer with this name is already on the map").format(name=name)
        )
    if not isinstance(precision, int) or not 0 <= precision <= 10:
        raise EcogisError(
            _("layer {name!r}: precision {value!r} must be an integer 0-10").format(
                name=name, value=precision
            )
        )
    if label_direction not in ("center", "right"):
        raise EcogisError(
            _("layer {name!r}: label_direction {value!r}; allowed: center, right").format(
                name=name, value=label_direction
            )
        )
    parent = None
    if ref is not None:
        parent = m.layers_data.get(ref)
        if parent is None or parent.ref is not None:
            raise LayerError(
                _("layer {name!r}: ref {ref!r} is not a layer added before").format(
                    name=name, ref=ref
                )
            )
    popup_fields = list(popup_fields or [])
    label_field = label if isinstance(label, str) else (tooltip_field if label else None)
    wanted = [c for c, _label in popup_fields] + [
        c for c in (tooltip_field, label_field, key, *data_fields) if c
    ]
    missing = [c for c in dict.fromkeys(wanted) if c not in gdf.columns]
    if missing:
        have = ", ".join(str(c) for c in gdf.columns if c != gdf.geometry.name)
        raise LayerError(
            _("layer {name!r}: no column(s) {missing}; columns: {have}").format(
                name=name, missing=", ".join(map(str, missing)), have=have
            )
        )
    popup_cols = [c for c, _label in popup_fields]
    if title_field is not None and title_field not in popup_cols:
        raise LayerError(
            _("layer {name!r}: title_field {field!r} must be one of the popup fields").format(
                name=name, field=title_field
            )
        )

    keep = ~(gdf.geometry.isna() | gdf.geometry.is_empty)
    if not keep.all():
        warnings.warn(
            _("layer {name!r}: {n} feature(s) without geometry not drawn").format(
                name=name, n=int((~keep).sum())
            ),
            EcogisWarning,
            stacklevel=2,
        )
    gdf = gdf.loc[keep]
    if parent is not None and len(gdf) != parent.rows:
        raise LayerError(
            _(
                "layer {name!r}: {n} rows, but layer {ref!r} has {m}; ref needs the same rows"
            ).format(name=name, n=len(gdf), ref=ref, m=parent.rows)
        )
    rows = len(gdf)
    features, feature_rows = _explode_collections(gdf)

    data = _LayerData(
        name=name,
        payload={},
        types="",
        coords="[]",
        rows=rows,
        style=style if callable(style) else _check_style(style, name),
        style_table=[],
        style_index={},
        popup_cols=popup_cols,
        tooltip_field=tooltip_field,
        data_fields=list(data_fields),
        label_field=label_field,
        key=key if key is not None else (parent.key if parent is not None else None),
        keys=None,
        ref=ref,
        group=None,
        frame_index=gdf.index,
    )
    if callable(style):
        style_ids = data.style_ids(gdf)
    else:
        data.style_id(style)
        style_ids = None
    if data.key is not None:
        data.keys = gdf[data.key].tolist()

    geoms = _display_geometries(features, name=name, simplify_m=simplify_m, precision=precision)
    n = len(geoms)
    payload: dict[str, Any] = {
        "name": name,
        "title": html.escape(name),
        "s": style_ids,
        "q": 10**precision,
        "n": rows,
    }
    if feature_rows is not None:
        payload["r"] = _encode_column(feature_rows)
    if parent is None:
        payload["pl"] = [html.escape(str(lbl)) for _c, lbl in popup_fields] or None
        payload["p"] = (
            [_encode_column([_fmt(v) for v in gdf[c].tolist()]) for c in popup_cols]
            if popup_fields
            else None
        )
        if tooltip_field in popup_cols:
            # the hover text repeats a popup value: point at that column instead of shipping it
            payload["h"] = popup_cols.index(tooltip_field)
        elif tooltip_field:
            payload["h"] = _encode_column([_fmt(v) for v in gdf[tooltip_field].tolist()])
        else:
            payload["h"] = None
        if data_fields:
            payload["a"] = {c: _encode_column(_raw(gdf[c].tolist())) for c in data_fields}
        if title_field is not None:
            payload["tt"] = popup_cols.index(title_field)
    else:
        payload["ref"] = ref
        parent.children.append(name)
        popup_cols = parent.popup_cols
        data.popup_cols = popup_cols
    if tooltip_field and label is not True:
        payload["hv"] = 1
    if label_field:
        if label_field in popup_cols:
            payload["lb"] = popup_cols.index(label_field)
        else:
            payload["lb"] = _encode_column([_fmt(v) for v in gdf[label_field].tolist()])
        payload["lp"] = int(label_priority)
        payload["ld"] = label_direction
    data.payload = payload
    data.types, data.coords = _encode_geometries(geoms, precision)

    group = folium.FeatureGroup(name=html.escape(name), show=show, control=False)
    group.add_child(_GeoLayer(data))
    group.add_to(m)
    data.group = group
    m.layers_data[name] = data
    m.overlays.append((html.escape(name), group))

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

    ``entries`` are ``(label, style)`` pairs, the style as given to :func:`add_polygons`
    (a style with ``radius`` is drawn as a dot). Labels and title are escaped; colours must be
    plain CSS colours. The legend folds; it is folded from the start on a phone.
    """
    _check_map(m, "add_legend")
    _check_position(position)
    rows = []
    for label, style in entries:
        rows.append(
            f'<div class="ecogis-legend-row">{_swatch(style, label)}<span>{html.escape(str(label))}</span></div>'
        )
    m.page["legends"].append(
        {"title": html.escape(title), "body": "".join(rows), "position": position}
    )


def add_panel(
    m: EcogisMap,
    html_rows: Sequence[tuple[str, Any]],
    *,
    title: str,
    position: str = "topleft",
) -> None:
    """Add a panel of fixed ``(label, value)`` rows under a title, all escaped.

    Numbers are formatted like popup values (integers as is, others to 2 decimals); pass
    strings to control formatting (``f"{area_mu:,.1f} 亩"``). For numbers that follow the
    filters and the time slider use :func:`ecogis.mapping.interactive.add_summary`.
    """
    _check_map(m, "add_panel")
    _check_position(position)
    rows = "".join(
        f"<tr><th>{html.escape(str(label))}</th><td>{_fmt(value)}</td></tr>"
        for label, value in html_rows
    )
    m.page["panels"].append(
        {"title": html.escape(title), "body": f"<table>{rows}</table>", "position": position}
    )


def add_chart(
    m: EcogisMap,
    bars: Sequence[tuple[str, float]],
    *,
    title: str,
    target: float | None = 100.0,
    max_value: float | None = None,
    unit: str = "%",
    color: str | None = None,
) -> None:
    """Add a small horizontal bar chart (inline SVG drawn by the page) - e.g. completion per
    township.

    Parameters
    ----------
    bars : list of (label, value)
        One bar each, top to bottom. NaN/None values are drawn as an empty bar marked "—".
    target : float, optional
        Drawn as a dashed line; bars are coloured by ``value / target`` on the progress ramp
        unless ``color`` is given. Default 100 (values in percent).
    max_value : float, optional
        Right end of the axis. Default: the largest of the values and the target.
    unit : str
        Appended to each value label.
    """
    _check_map(m, "add_chart")
    if color is not None:
        color = check_color(color, where=f"chart {title!r}")
    out = []
    for label, v in bars:
        value = None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)
        out.append([html.escape(_short(str(label), 9)), value, len(str(label))])
    m.page["charts"].append(
        {
            "title": html.escape(title),
            "bars": out,
            "target": target,
            "max": max_value,
            "unit": html.escape(unit),
            "color": color,
        }
    )


def finish_map(m: EcogisMap) -> None:
    """Add the controls, a metric scale bar, the basemap tiles of an ``mbtiles:`` basemap and
    the initial view; keep on-top layers on top.

    Call once, after the last layer. :func:`save_map` calls it if you did not. Safe to call twice.
    """
    _check_map(m, "finish_map")
    if m.finished:
        return
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
    if m.basemap.kind == "mbtiles":
        _add_mbtiles(m, bounds)
    attribution = (
        [html.escape(_("Data: {sources}").format(sources="; ".join(m.attribution)))]
        if m.attribution
        else []
    )
    config = {
        **m.page,
        "prefix": "ecogis",
        "attribution": attribution,
        "fit": fit,
        "texts": _texts(),
        "ramp": [[None if math.isinf(lim) else lim, c] for lim, c, _t in PLOT_CLASSES],
    }
    m.add_child(_Finish(m, config), name="ecogis_finish")
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
                _(
                    "offline map would load external script/style (an ecogis bug, please "
                    "report): {found}"
                ).format(found=", ".join(found[:3]))
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


def _add_mbtiles(m: EcogisMap, bounds) -> None:
    """Embed the tiles of the map's ``mbtiles:`` basemap that cover its extent."""
    from ..io.mbtiles import read_mbtiles

    if bounds is None:
        return
    path = m.basemap.path
    tiles = read_mbtiles(path, tuple(bounds), max_bytes=int(m.mbtiles_max_mb * 1e6))
    if not tiles.tiles:
        warnings.warn(
            _("basemap {path}: no tile covers the map's extent; the map has no basemap").format(
                path=path
            ),
            EcogisWarning,
            stacklevel=3,
        )
        return
    if tiles.left_out:
        warnings.warn(
            _(
                "basemap {path}: zoom levels {zooms} left out to stay under {cap:g} MB; the "
                "map enlarges zoom {last} beyond that"
            ).format(
                path=path,
                zooms=", ".join(map(str, tiles.left_out)),
                cap=m.mbtiles_max_mb,
                last=tiles.zooms[-1],
            ),
            EcogisWarning,
            stacklevel=3,
        )
    data = {
        "m": tiles.mime,
        "t": {
            f"{z}/{x}/{y}": base64.b64encode(b).decode("ascii")
            for (z, x, y), b in sorted(tiles.tiles.items())
        },
    }
    name = html.escape(tiles.name or Path(str(path)).stem)
    options = {
        "minNativeZoom": tiles.zooms[0],
        "maxNativeZoom": tiles.zooms[-1],
        "maxZoom": 19,
        "attribution": html.escape(tiles.attribution or name),
    }
    layer = _EmbeddedTiles(data, options)
    m.add_child(layer, name="ecogis_mbtiles")
    m.bases.append((name, layer))
    m.tile_layers.append((layer, name))


_EXTERNAL_RE = re.compile(
    r"""<script[^>]+src\s*=\s*["']?((?:https?:)?//[^"'\s>]+)|<link[^>]+href\s*=\s*["']?((?:https?:)?//[^"'\s>]+)""",
    re.IGNORECASE,
)


def _external_assets(text: str) -> list[str]:
    return [a or b for a, b in _EXTERNAL_RE.findall(text)]


def _check_map(m: Any, where: str) -> None:
    if not isinstance(m, EcogisMap):
        raise EcogisError(
            _("{where}: expected a map from ecogis.mapping.new_map(), got {type}").format(
                where=where, type=type(m).__name__
            )
        )


def _check_position(position: str) -> None:
    if position not in _POSITIONS:
        raise EcogisError(
            _("control position {value!r} is not known; allowed: {allowed}").format(
                value=position, allowed=", ".join(_POSITIONS)
            )
        )


def _check_bounds(bounds: Sequence[float], where: str) -> tuple[float, float, float, float]:
    try:
        b = tuple(float(v) for v in bounds)
    except (TypeError, ValueError):
        raise EcogisError(
            _(
                "{where}: bounds {bounds!r} must be 4 numbers (min_lon, min_lat, max_lon, max_lat)"
            ).format(where=where, bounds=bounds)
        ) from None
    if len(b) != 4 or not (-180 <= b[0] <= b[2] <= 180 and -90 <= b[1] <= b[3] <= 90):
        raise EcogisError(
            _(
                "{where}: bounds {bounds!r} must be (min_lon, min_lat, max_lon, max_lat) in degrees"
            ).format(where=where, bounds=bounds)
        )
    return b  # type: ignore[return-value]


def _check_style(style: Any, layer: str) -> dict:
    if not isinstance(style, Mapping):
        raise EcogisError(
            _("layer {name!r}: style must be a dict of Leaflet path options, got {style!r}").format(
                name=layer, style=style
            )
        )
    bad = set(style) - _STYLE_KEYS
    if bad:
        raise EcogisError(
            _("layer {name!r}: unknown style option(s) {bad}; allowed: {allowed}").format(
                name=layer, bad=", ".join(sorted(bad)), allowed=", ".join(sorted(_STYLE_KEYS))
            )
        )
    out = dict(style)
    for key in ("color", "fillColor"):
        if key in out:
            out[key] = check_color(out[key], where=f"layer {layer!r} style {key}")
    return out


def _explode_collections(gdf) -> tuple[Any, list[int] | None]:
    """Split GeometryCollections (from make_valid) into their parts; Leaflet wants plain types.

    Returns the features and, when something was split, the row (position in ``gdf``) of each.
    """
    is_gc = shapely.get_type_id(gdf.geometry.values) == 7
    if not is_gc.any():
        return gdf, None
    # order by position, not by index: a user's index may be unsorted or not unique
    pos = gdf.assign(_ecogis_pos=np.arange(len(gdf)))
    parts = pos.loc[is_gc].explode(index_parts=False)
    out = pd.concat([pos.loc[~is_gc], parts]).sort_values("_ecogis_pos", kind="stable")
    return out.drop(columns="_ecogis_pos"), out["_ecogis_pos"].astype(int).tolist()


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
            _("layer {name!r}: cannot reproject from {crs} to EPSG:4326: {reason}").format(
                name=name, crs=gdf.crs, reason=exc
            )
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


def _encode_column(values: list) -> list | dict[str, list]:
    """Column values as a plain list, or as distinct values plus indices if smaller.

    ``{"v": [distinct...], "i": [index per feature]}`` pays off for coded columns (land-use
    codes, verdicts, township names) where a few values repeat thousands of times.
    """
    # 1, 1.0 and True are one dict key in Python but different values in JSON: key by type too
    table: dict[tuple[str, Any], int] = {}
    distinct: list = []
    index = []
    for v in values:
        k = (type(v).__name__, v)
        if k not in table:
            table[k] = len(distinct)
            distinct.append(v)
        index.append(table[k])
    if len(distinct) == len(values):
        return list(values)
    # bytes in the JSON text: quotes and a comma per string, a comma per index
    plain = sum(len(_dumps(v).encode()) + 1 for v in values)
    coded = sum(len(_dumps(v).encode()) + 1 for v in distinct) + sum(len(str(i)) + 1 for i in index)
    return {"v": distinct, "i": index} if coded + 12 < plain else list(values)


def _records(frame) -> list[dict]:
    """Rows as dicts of their attributes (no geometry), for style functions."""
    geometry = getattr(frame, "_geometry_column_name", None)
    cols = [c for c in frame.columns if c != geometry]
    return pd.DataFrame(frame[cols]).to_dict("records")


def _raw(values: list) -> list:
    """Attribute values for the page's search, filters and sums: JSON types, None for missing."""
    out = []
    for v in values:
        if v is None or v is pd.NaT:
            out.append(None)
        elif isinstance(v, bool | np.bool_):
            out.append(bool(v))
        elif isinstance(v, numbers.Integral):
            out.append(int(v))
        elif isinstance(v, numbers.Real):
            f = float(v)
            out.append(
                None
                if math.isnan(f) or math.isinf(f)
                else (int(f) if f.is_integer() and abs(f) < 2**53 else f)
            )
        elif isinstance(v, datetime | pd.Timestamp):
            out.append(v.isoformat())
        elif isinstance(v, date):
            out.append(v.isoformat())
        else:
            try:
                missing = bool(pd.isna(v))
            except (TypeError, ValueError):
                missing = False
            out.append(None if missing else str(v))
    return out


def _fmt(value: Any) -> str:
    """Format one attribute value for display and escape it."""
    if value is None or value is pd.NaT:
        return "—"
    if isinstance(value, bool | np.bool_):
        return html.escape(_("yes") if value else _("no"))
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
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
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
    # a marker style is drawn as a dot; the outline sits on a wrapper so its opacity does
    # not fade the fill
    dot = " ecogis-swatch-dot" if "radius" in style else ""
    return f'<span class="ecogis-swatch{dot}" style="border:{border};opacity:{opacity:g}">{inner}</span>'


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
    """One layer's compact data, turned into an ``L.geoJSON`` inside its feature group by
    ``ecogis.addLayer`` (runtime.js)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var d = {{ this.layer.data() }};
            ecogis.addLayer({{ this._parent._parent.get_name() }}, {{ this._parent.get_name() }}, d, {{ this.types }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, layer: _LayerData):
        super().__init__()
        self._name = "EcogisGeoLayer"
        self.layer = layer
        self.types = json.dumps({str(k): v for k, v in _GEOJSON_TYPES.items()})


class _EmbeddedTiles(MacroElement):
    """A basemap whose tiles are in the page (``mbtiles:FILE``), drawn under every layer."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = ecogis.embeddedTiles({{ this.data }}, {{ this.options }})
            .addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, data: dict, options: dict):
        super().__init__()
        self._name = "EcogisTiles"
        self.data = _dumps(data)
        self.options = _dumps(options)


class _Finish(MacroElement):
    """The page's controls, panels, time line, initial view and ready flag (runtime.js)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var cfg = {{ this.config }};
            cfg.overlays = [{% for n, g in this.overlays %}[{{ n|tojson }}, {{ g.get_name() }}]{% if not loop.last %}, {% endif %}{% endfor %}];
            cfg.bases = [{% for n, g in this.bases %}[{{ n|tojson }}, {{ g.get_name() }}]{% if not loop.last %}, {% endif %}{% endfor %}];
            cfg.top = [{% for g in this.top %}{{ g.get_name() }}{% if not loop.last %}, {% endif %}{% endfor %}];
            cfg.tiles = [{% for g, n in this.tiles %}[{{ g.get_name() }}, {{ n|tojson }}]{% if not loop.last %}, {% endif %}{% endfor %}];
            ecogis.finish({{ this._parent.get_name() }}, cfg);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, m: EcogisMap, config: dict):
        super().__init__()
        self._name = "EcogisFinish"
        self.config = _dumps(config)
        self.overlays = list(m.overlays)
        self.bases = list(m.bases)
        self.top = list(m.top_layers)
        self.tiles = list(m.tile_layers)

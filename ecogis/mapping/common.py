"""Pieces the ecogis maps share: the map context of a project (study area, townships, data
sources, basemap), layer styles by name or label, point markers, numbers for popups.

The job packages build their maps from these and :mod:`ecogis.mapping.base`
(``ecogis.controls.map``, ``ecogis.restoration.map``, ``ecogis.screening.map``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import LayerError
from ..i18n import _
from ..model import TOWNSHIP_FIELDS
from ..units import m2_to_mu
from .base import EcogisMap, add_polygons, new_map
from .model import MBTILES_MAX_MB, parse_basemap
from .styles import LABELS, STYLES

if TYPE_CHECKING:
    import geopandas as gpd

    from ..io.project import Project

__all__ = [
    "MapContext",
    "map_context",
    "start_map",
    "map_title",
    "style_for_layer",
    "add_points",
    "context_style",
    "township_field",
    "add_townships",
    "areas_m2",
    "to_number",
    "fmt_mu",
    "fmt_m2",
    "mu_text",
    "add_popup_css",
    "column_values",
    "to_floats",
    "pct_text",
    "mu_column",
    "township_options",
]

# fallback fills for layers that are none of the known kinds (cycled)
_FALLBACK_COLORS = ("#1f77b4", "#2ca02c", "#8c564b", "#e377c2", "#17becf", "#7f7f7f")

# label -> style key, so a config that calls its red line "hx" still draws it red
_STYLE_BY_LABEL = {label: key for key, label in LABELS.items()}


@dataclass(frozen=True)
class MapContext:
    """What every map of a project shows besides its job: the study area outline, the
    townships, the data sources (attribution) and how the map is drawn (basemap...).

    Build it from a project with :func:`map_context`; every field may be left out.
    """

    name: str | None = None
    boundary: gpd.GeoDataFrame | None = None
    boundary_label: str | None = None
    townships: gpd.GeoDataFrame | None = None
    township_field: str | None = None
    attribution: tuple[str, ...] = ()
    basemap: str = "none"
    tianditu_key: str | None = None
    online: bool = False
    projection: str = "mercator"
    mbtiles_max_mb: float = MBTILES_MAX_MB

    @property
    def township_names(self) -> list[str]:
        if self.townships is None or self.township_field is None:
            return []
        return [str(n) for n in self.townships[self.township_field].dropna().unique()]


def map_context(
    project: Project,
    *,
    basemap: str | None = None,
    tianditu_key: str | None = None,
    online: bool = False,
    projection: str = "mercator",
    mbtiles_max_mb: float = MBTILES_MAX_MB,
) -> MapContext:
    """The :class:`MapContext` of a project: its first ``boundary`` layer, its townships, the
    config's ``attribution:`` and its ``basemap:`` unless ``basemap`` is given (an
    ``mbtiles:`` file in the config is relative to the config's folder)."""
    cfg = project.config
    boundary, boundary_label = None, None
    names = project.layers_with_role("boundary")
    if names:
        boundary, boundary_label = project.layer(names[0]), project.title(names[0])
    towns = project.townships()
    if basemap is None:
        basemap = cfg.basemap or "none"
        bm = parse_basemap(basemap)
        if bm.kind == "mbtiles" and not Path(bm.path).is_absolute():
            basemap = f"mbtiles:{Path(cfg.base_dir) / bm.path}"
    raw = cfg.raw.get("attribution") if isinstance(cfg.raw, Mapping) else None
    if isinstance(raw, str):
        attribution = (raw,)
    elif isinstance(raw, Sequence):
        attribution = tuple(str(a) for a in raw)
    else:
        attribution = ()
    return MapContext(
        name=project.name,
        boundary=boundary,
        boundary_label=boundary_label,
        townships=towns.frame if towns is not None else None,
        township_field=towns.field if towns is not None else None,
        attribution=attribution,
        basemap=basemap,
        tianditu_key=tianditu_key,
        online=online,
        projection=projection,
        mbtiles_max_mb=mbtiles_max_mb,
    )


def start_map(
    context: MapContext,
    title: str,
    *,
    simplify_m: float,
) -> tuple[EcogisMap, list[tuple[str, Mapping[str, Any]]]]:
    """A new map with the context's basemap, the study area outline and the townships
    (named); returns the map and its first legend entries."""
    m = new_map(
        title=title,
        basemap=context.basemap,
        tianditu_key=context.tianditu_key,
        online=context.online,
        projection=context.projection,
        attribution=context.attribution,
        mbtiles_max_mb=context.mbtiles_max_mb,
    )
    add_popup_css(m)
    legend: list[tuple[str, Mapping[str, Any]]] = []
    if context.boundary is not None and len(context.boundary):
        label = _(LABELS["boundary"])
        add_polygons(
            m, context.boundary, name=label, style=STYLES["boundary"], simplify_m=simplify_m
        )
        legend.append((label, STYLES["boundary"]))
    if context.townships is not None and len(context.townships):
        legend.append(add_townships(m, context.townships, context.township_field, simplify_m))
    return m, legend


def map_title(project: str | None, kind_title: str) -> str:
    """``"<project> <map kind>"`` (just the kind without a project name)."""
    return f"{project} {kind_title}" if project else kind_title


def style_for_layer(name: str, label: str, i: int) -> dict:
    """A layer's style: by name (``redline``), by label (生态保护红线), else a fallback."""
    if name in STYLES:
        return STYLES[name]
    if label in _STYLE_BY_LABEL:
        return STYLES[_STYLE_BY_LABEL[label]]
    # config labels are usually Chinese whatever the interface language: try both
    from ..i18n import translation

    zh = translation("zh")
    for msgid, key in _STYLE_BY_LABEL.items():
        if label in (_(msgid), zh.gettext(msgid)):
            return STYLES[key]
    c = _FALLBACK_COLORS[i % len(_FALLBACK_COLORS)]
    return {"color": c, "weight": 1.5, "fillColor": c, "fillOpacity": 0.3}


def add_points(
    m: EcogisMap,
    gdf,
    *,
    name: str,
    style,
    ref: str,
    radius: float,
    label: str | None = None,
) -> dict:
    """A circle marker inside each feature of layer ``ref`` (same rows, same popup and hover
    text), filled like the feature; on top. ``label``: a column shown as a label beside
    each marker (where it fits).

    Returns the marker style of a plain ``style`` (for the legend).
    """

    def marker(base: Mapping[str, Any]) -> dict:
        return {
            "radius": radius,
            "color": "#1a1a1a",
            "weight": 1.5,
            "fillColor": base.get("fillColor", base.get("color", "#3388ff")),
            "fillOpacity": 0.95,
        }

    points = gdf.set_geometry(gdf.geometry.representative_point())
    add_polygons(
        m,
        points,
        name=name,
        style=(lambda r: marker(style(r))) if callable(style) else marker(style),
        tooltip_field=m.layers_data[ref].tooltip_field,
        label=label or False,
        label_priority=1,
        label_direction="right",
        simplify_m=None,
        on_top=True,
        ref=ref,
    )
    return marker(style) if not callable(style) else {}


def context_style(style: Mapping[str, Any]) -> dict:
    out = dict(style)
    if out.get("fill", True):
        out["fillOpacity"] = min(float(out.get("fillOpacity", 0.2)), 0.2)
    out["weight"] = min(float(out.get("weight", 1)), 1.0)
    return out


def township_field(townships, field: str | None) -> str | None:
    if field:
        if field not in townships.columns:
            cols = ", ".join(str(c) for c in townships.columns if c != townships.geometry.name)
            raise LayerError(
                _("townships: no name field {field!r}; columns: {cols}").format(
                    field=field, cols=cols
                )
            )
        return field
    return next((c for c in TOWNSHIP_FIELDS if c in townships.columns), None)


def add_townships(m, townships, field: str | None, simplify_m: float):
    field = township_field(townships, field)
    label = _(LABELS["admin"])
    add_polygons(
        m,
        townships,
        name=label,
        style=STYLES["admin"],
        tooltip_field=field,
        label=bool(field),  # township names on the map, as on a paper planning map
        label_priority=3,
        simplify_m=simplify_m,
    )
    return (label, STYLES["admin"])


def township_options(names: Sequence[str], *columns) -> list[tuple[str, str]]:
    """Filter options for townships: the township layer's names, then any other value met in
    ``columns`` (a pit recorded in a township the layer does not have)."""
    seen = list(dict.fromkeys(str(n) for n in names))
    for col in columns:
        for v in col:
            if (
                v is not None
                and not (isinstance(v, float) and math.isnan(v))
                and str(v) not in seen
            ):
                seen.append(str(v))
    return [(n, n) for n in seen]


def areas_m2(gdf) -> np.ndarray:
    """Feature areas in m² (in a metric CRS; geographic layers via their UTM zone)."""
    geo = gdf.geometry
    if geo.crs is not None and geo.crs.is_geographic:
        geo = geo.to_crs(geo.estimate_utm_crs())
    return geo.area.to_numpy(dtype=float)


def to_number(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def fmt_mu(m2_values) -> list[str]:
    return [mu_text(m2_to_mu(v), unit=False) for v in np.asarray(m2_values, dtype=float)]


def fmt_m2(m2_values) -> list[str]:
    return [f"{v:,.1f}" for v in np.asarray(m2_values, dtype=float)]


def mu_text(mu: Any, *, unit: bool = True) -> str:
    v = to_number(mu)
    if v is None:
        return "—"
    text = f"{v:,.2f}"
    return _("{value} mu").format(value=text) if unit else text


def add_popup_css(m: EcogisMap) -> None:
    """Kept for callers of the old API: popup cells keep line breaks (runtime.css does it)."""


def column_values(frame, column: str) -> list:
    """A column as a list, or ``None`` per row when the frame lacks it."""
    if column in frame.columns:
        return frame[column].tolist()
    return [None] * len(frame)


def to_floats(values) -> np.ndarray:
    return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype=float)


def pct_text(share: Any) -> str:
    v = to_number(share)
    return "—" if v is None else f"{100 * v:.0f}%"


def mu_column(gdf, mu_col: str, m2_col: str, *, numeric: bool = False):
    if mu_col in gdf.columns:
        values = pd.to_numeric(gdf[mu_col], errors="coerce").to_numpy(dtype=float)
    elif m2_col in gdf.columns:
        values = m2_to_mu(pd.to_numeric(gdf[m2_col], errors="coerce").to_numpy(dtype=float))
    else:
        values = m2_to_mu(areas_m2(gdf))
    return values if numeric else [mu_text(v, unit=False) for v in values]

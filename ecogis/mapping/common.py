"""Pieces the ecogis maps share: layer styles by name or label, point markers, townships,
numbers formatted for popups.

The job packages build their maps from these and :mod:`ecogis.mapping.base`
(``ecogis.controls.map``, ``ecogis.restoration.map``, ``ecogis.screening.map``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..errors import LayerError
from ..model import TOWNSHIP_FIELDS
from ..units import m2_to_mu
from .base import EcogisMap, add_polygons
from .styles import LABELS, STYLES

__all__ = [
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
]

# fallback fills for layers that are none of the known kinds (cycled)
_FALLBACK_COLORS = ("#1f77b4", "#2ca02c", "#8c564b", "#e377c2", "#17becf", "#7f7f7f")

# label -> style key, so a config that calls its red line "hx" still draws it red
_STYLE_BY_LABEL = {label: key for key, label in LABELS.items()}


def map_title(project: str | None, kind_title: str) -> str:
    """``"<project> <map kind>"`` (just the kind without a project name)."""
    return f"{project} {kind_title}" if project else kind_title


def style_for_layer(name: str, label: str, i: int) -> dict:
    """A layer's style: by name (``redline``), by label (生态保护红线), else a fallback."""
    if name in STYLES:
        return STYLES[name]
    if label in _STYLE_BY_LABEL:
        return STYLES[_STYLE_BY_LABEL[label]]
    c = _FALLBACK_COLORS[i % len(_FALLBACK_COLORS)]
    return {"color": c, "weight": 1.5, "fillColor": c, "fillOpacity": 0.3}


def add_points(
    m: EcogisMap,
    gdf,
    *,
    name: str,
    style,
    popup_fields: list[tuple[str, str]],
    tooltip_field: str | None,
    radius: float,
) -> dict:
    """A circle marker inside each feature (same popup), filled like the feature; on top.

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
        popup_fields=popup_fields,
        tooltip_field=tooltip_field,
        simplify_m=None,
        on_top=True,
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
            raise LayerError(f"townships: no name field {field!r}; columns: {cols}")
        return field
    return next((c for c in TOWNSHIP_FIELDS if c in townships.columns), None)


def add_townships(m, townships, field: str | None, simplify_m: float):
    field = township_field(townships, field)
    add_polygons(
        m,
        townships,
        name=LABELS["admin"],
        style=STYLES["admin"],
        tooltip_field=field,
        label=True,  # township names on the map, as on a paper planning map
        simplify_m=simplify_m,
    )
    return (LABELS["admin"], STYLES["admin"])


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
    return f"{text} 亩" if unit else text


def add_popup_css(m: EcogisMap) -> None:
    """Popup cells keep line breaks (reasons one per line) and stay readable when long."""
    from . import assets  # noqa: PLC0415

    css = (
        ".ecogis-popup td { white-space: pre-line; min-width: 14em; max-width: 300px; }\n"
        ".leaflet-popup-content { max-height: 55vh; overflow-y: auto; }"
    )
    m.get_root().header.add_child(assets.inline_style(css), name="ecogis_maps_css")


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

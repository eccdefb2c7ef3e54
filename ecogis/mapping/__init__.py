"""Offline HTML maps: the base every ecogis map is built on.

``new_map`` -> ``add_polygons`` (one call per layer) -> ``add_legend`` / ``add_panel`` /
``add_chart`` -> ``save_map``. Maps embed Leaflet and reference no external script or
stylesheet; only an optional basemap's tiles come from the internet. See ``base.py``.
"""

from __future__ import annotations

from .assets import add_jquery
from .base import (
    BASEMAPS,
    CANVAS_THRESHOLD,
    EcogisMap,
    add_chart,
    add_legend,
    add_panel,
    add_polygons,
    finish_map,
    new_map,
    render_map,
    save_map,
)
from .styles import LABELS, PROGRESS_RAMP, STYLES, progress_color, style_for

__all__ = [
    "BASEMAPS",
    "CANVAS_THRESHOLD",
    "EcogisMap",
    "LABELS",
    "PROGRESS_RAMP",
    "STYLES",
    "add_chart",
    "add_jquery",
    "add_legend",
    "add_panel",
    "add_polygons",
    "finish_map",
    "new_map",
    "progress_color",
    "render_map",
    "save_map",
    "style_for",
]

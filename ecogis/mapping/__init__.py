"""Offline HTML maps: the base every ecogis map is built on.

``new_map`` -> ``add_polygons`` (one call per layer) -> ``add_legend`` / ``add_panel`` /
``add_chart`` -> ``save_map``. Maps embed Leaflet and reference no external script or
stylesheet; only an optional basemap's tiles come from the internet. See ``base.py``. The
three maps themselves live with their jobs (``ecogis.controls.map`` ...); ``model`` (basemaps)
stays cheap to import.
"""

from __future__ import annotations

from .._lazy import lazy_getattr

_LAZY = {
    "BASEMAPS": ".model",
    "CANVAS_THRESHOLD": ".base",
    "EcogisMap": ".base",
    "add_chart": ".base",
    "add_legend": ".base",
    "add_panel": ".base",
    "add_polygons": ".base",
    "finish_map": ".base",
    "new_map": ".base",
    "render_map": ".base",
    "save_map": ".base",
    "add_jquery": ".assets",
    "LABELS": ".styles",
    "PROGRESS_RAMP": ".styles",
    "STYLES": ".styles",
    "progress_color": ".styles",
    "style_for": ".styles",
}
__all__ = list(_LAZY)
__getattr__ = lazy_getattr(__name__, _LAZY)

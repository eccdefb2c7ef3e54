"""Offline HTML maps: the base every ecogis map is built on.

``new_map`` -> ``add_polygons`` (one call per layer) -> ``add_legend`` / ``add_panel`` /
``add_chart`` -> ``save_map``. Maps embed Leaflet and reference no external script or
stylesheet; only an optional basemap's tiles come from the network. See ``base.py``; search,
filters, panels computed in the page, lists and the time slider are in ``interactive.py``; the
map context of a project (study area, townships, data sources) in ``common.py``. The three maps
themselves live with their jobs (``ecogis.controls.map`` ...); ``model`` (basemaps) stays cheap
to import.
"""

from __future__ import annotations

from .._lazy import lazy_getattr

_LAZY = {
    "BASEMAPS": ".model",
    "BASEMAP_FORMS": ".model",
    "PROJECTIONS": ".model",
    "Basemap": ".model",
    "parse_basemap": ".model",
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
    "MapContext": ".common",
    "map_context": ".common",
    "Count": ".interactive",
    "Sum": ".interactive",
    "Value": ".interactive",
    "If": ".interactive",
    "TimeStep": ".interactive",
    "add_search": ".interactive",
    "add_filter": ".interactive",
    "add_summary": ".interactive",
    "add_list": ".interactive",
    "add_progress_chart": ".interactive",
    "add_timeline": ".interactive",
    "set_targets": ".interactive",
    "LABELS": ".styles",
    "PALETTES": ".styles",
    "PLOT_CLASSES": ".styles",
    "PROGRESS_RAMP": ".styles",
    "STYLES": ".styles",
    "plot_class": ".styles",
    "progress_color": ".styles",
    "style_for": ".styles",
}
__all__ = list(_LAZY)
__getattr__ = lazy_getattr(__name__, _LAZY)

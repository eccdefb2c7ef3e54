"""The demo: a deterministic data set for Zhengxiangbai Banner, and the whole job run on it.

``data`` (:func:`make_demo`: layers, rasters and a config) and ``job`` (:func:`write_maps`:
the three maps of a project).
"""

from __future__ import annotations

from .._lazy import lazy_getattr

_DATA = (
    "DemoResult",
    "PLANTED",
    "TARGETS",
    "TOWNSHIPS",
    "WORK_EPSG",
    "DEM_RES_M",
    "make_demo",
    "read_banner_outline",
    "default_boundary_source",
)
_LAZY = {**dict.fromkeys(_DATA, ".data"), "write_maps": ".job", "MAP_KINDS": ".job"}
__all__ = list(_LAZY)
__getattr__ = lazy_getattr(__name__, _LAZY)

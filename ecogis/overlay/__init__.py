"""The exact overlay engine: pairs, containment shortcut, threads; the same on dask partitions.

``core`` holds the in-process engine (STRtree pairs, bounding-box triage, prepared predicates,
vectorised work over a thread pool); ``crossing`` the edge-arithmetic kernel that measures
boundary-crossing pairs in general position (GEOS's results, without GEOS's per-pair cost);
``subdivide`` the quadtree pieces of very large polygons for the pairs GEOS still overlays;
``dask_engine`` the same operations on spatial partitions, read by worker processes from a
GeoParquet dataset (``partitioned``); and ``engine`` the :class:`Engine` that binds one of them
with its options. Every job measures areas through here.
"""

from __future__ import annotations

from .core import RELATIONS, difference_each, intersect_pairs, overlap_area, self_overlaps
from .engine import ENGINES, Engine, get_engine

__all__ = [
    "ENGINES",
    "RELATIONS",
    "Engine",
    "difference_each",
    "get_engine",
    "intersect_pairs",
    "overlap_area",
    "self_overlaps",
]

"""The exact overlay engine: pairs, containment shortcut, threads; the same on dask partitions.

``core`` holds the in-process engine (STRtree pairs, bounding-box triage, prepared predicates,
vectorised GEOS over a thread pool), ``dask_engine`` the same operations on spatial partitions,
and ``engine`` the :class:`Engine` that binds one of them with its options. Every job measures
areas through here.
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

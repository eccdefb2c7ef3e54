"""The three-control-line check (三区三线 不交叉不重叠不冲突).

``model`` (vocabulary and labels, cheap), ``check`` (:func:`check_controls` on GeoDataFrames),
``run`` (:func:`run_controls` on a Project), ``map`` (:func:`build_controls_map`).
"""

from __future__ import annotations

from .._lazy import lazy_getattr

_LAZY = {
    "ControlReport": ".check",
    "check_controls": ".check",
    "control_pairs": ".check",
    "run_controls": ".run",
    "build_controls_map": ".map",
    "CONFLICT_COLUMNS": ".model",
    "SELF_OVERLAP_COLUMNS": ".model",
    "INVALID_COLUMNS": ".model",
    "SUMMARY_COLUMNS": ".model",
    "TOTAL": ".model",
    "ALL": ".model",
    "TOWNSHIP_FIELDS": ".model",
}
__all__ = list(_LAZY)
__getattr__ = lazy_getattr(__name__, _LAZY)

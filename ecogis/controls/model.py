"""Vocabulary of the control-line check: output columns, totals, the labels people read.

Cheap to import (no pandas): the command line, maps, tables and reports read it here.
"""

from __future__ import annotations

from ..model import ALL, TOTAL, TOWNSHIP_FIELDS

__all__ = [
    "CONFLICT_COLUMNS",
    "SELF_OVERLAP_COLUMNS",
    "INVALID_COLUMNS",
    "SUMMARY_COLUMNS",
    "TOTAL",
    "ALL",
    "TOWNSHIP_FIELDS",
    "LAYERS",
    "COLUMN_LABELS",
    "MAP_TITLE",
]

CONFLICT_COLUMNS = ("layer_a", "layer_b", "id_a", "id_b", "township", "area_m2", "area_mu")
SELF_OVERLAP_COLUMNS = ("layer", "id_a", "id_b", "township", "area_m2", "area_mu")
INVALID_COLUMNS = ("layer", "id", "reason")
SUMMARY_COLUMNS = ("layer_a", "layer_b", "township", "conflicts", "area_m2", "area_mu")

#: the layers of a controls result, in the order they are written
LAYERS = ("conflicts", "slivers", "self_overlaps", "invalid")

#: column -> title for people (tables, popups, GPKG column titles)
COLUMN_LABELS = {
    "layer_a": "控制线一",
    "layer_b": "控制线二",
    "layer": "图层",
    "id_a": "图斑一",
    "id_b": "图斑二",
    "id": "图斑",
    "township": "乡镇",
    "conflicts": "冲突数",
    "area_m2": "面积（m²）",
    "area_mu": "面积（亩）",
    "reason": "原因",
}

#: the map's kind in its title, after the project name
MAP_TITLE = "三条控制线冲突检查图"

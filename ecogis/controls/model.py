"""Vocabulary of the control-line check: output columns, totals, the labels people read.

Cheap to import (no pandas): the command line, maps, tables and reports read it here.
"""

from __future__ import annotations

from ..i18n import N_
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

#: column -> title for people (tables, popups, GPKG column titles), shown with ``_()``
COLUMN_LABELS = {
    "layer_a": N_("Control line A"),
    "layer_b": N_("Control line B"),
    "layer": N_("Layer"),
    "id_a": N_("Feature A"),
    "id_b": N_("Feature B"),
    "id": N_("Feature"),
    "township": N_("Township"),
    "conflicts": N_("Conflicts"),
    "area_m2": N_("Area (m²)"),
    "area_mu": N_("Area (mu)"),
    "reason": N_("Reason"),
}

#: the map's kind in its title, after the project name (shown with ``_()``)
MAP_TITLE = N_("control-line conflict map")

"""Vocabulary shared by every job: the words that tables, maps and reports use alike.

Each job keeps its own vocabulary in its ``model.py`` (statuses, verdicts, column names, the
Chinese labels people see); what more than one job needs is said once here. Cheap to import:
no pandas, no geopandas.
"""

from __future__ import annotations

from .i18n import N_

__all__ = ["TOTAL", "ALL", "TOWNSHIP_FIELDS", "TOTAL_LABEL", "ENGINES"]

#: township (or group) of a table row that totals the rows above it
TOTAL = "total"
#: what people read for :data:`TOTAL` (shown with ``_()``)
TOTAL_LABEL = N_("total")
#: ``layer_a`` / ``layer_b`` of a row that totals every pair of layers
ALL = "all"
#: township name columns tried when a layer's ``name_field`` is not given (XZQMC: 行政区名称)
TOWNSHIP_FIELDS = ("XZQMC", "name", "NAME", "名称", "XZMC")
#: overlay engines: in-process threads (a county), dask partitions (a league or region)
ENGINES = ("local", "dask")

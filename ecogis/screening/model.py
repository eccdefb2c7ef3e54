"""Vocabulary of site screening: verdicts, thresholds, the labels people read.

Cheap to import (no pandas): the command line, maps, tables and reports read it here.
"""

from __future__ import annotations

__all__ = [
    "VERDICTS",
    "VERDICT_LABELS",
    "NODATA_MAX_SHARE",
    "BUFFER_QUAD_SEGS",
    "ID_COLUMNS",
    "REASON_SEP",
    "TABLE_ROUNDING",
    "LAYERS",
    "COLUMN_LABELS",
    "MAP_TITLE",
]

#: verdicts from best to worst; a site gets the worst of its checks
VERDICTS = ("pass", "conditional", "unknown", "fail")
#: verdict -> what people read (the order is the legend's)
VERDICT_LABELS = {
    "pass": "通过",
    "conditional": "有条件通过",
    "fail": "不通过",
    "unknown": "未判定",
}

#: a raster check is ``unknown`` when more than this share of the site's pixels has no data
NODATA_MAX_SHARE = 0.1
#: segments per quarter circle of buffered layers (GEOS default is 8)
BUFFER_QUAD_SEGS = 32
#: columns that name a site, in order of preference, when no id field is given
ID_COLUMNS = ("site_id", "id", "ID", "BSM", "bsm", "parcel_id")
#: separator of the reasons of one site (a Chinese semicolon: reasons are Chinese sentences)
REASON_SEP = "；"

#: column suffix -> decimals in the tables for people (the GeoPackage keeps full precision)
TABLE_ROUNDING = {"_m2": 2, "_mu": 2, "_share": 4, "_deg": 2, "_distance_m": 2, "_share_over": 4}

#: the layers of a screening result, in the order they are written
LAYERS = ("sites", "eligible")

#: column -> title for people (tables, popups, GPKG column titles); per-check columns are
#: ``<layer>_overlap_m2`` etc. and get the layer's label in front of these suffixes' titles
COLUMN_LABELS = {
    "site_id": "场址编号",
    "verdict": "结论",
    "reasons": "原因",
    "failed_checks": "未通过的检查",
    "area_m2": "面积（m²）",
    "area_mu": "面积（亩）",
    "eligible_m2": "可用面积（m²）",
    "eligible_mu": "可用面积（亩）",
    "_overlap_m2": "重叠面积（m²）",
    "_overlap_mu": "重叠面积（亩）",
    "_distance_m": "距离（米）",
    "_share": "占比",
    "_mean_deg": "平均坡度（°）",
    "_max_deg": "最大坡度（°）",
    "_share_over": "超限坡度占比",
    "_nodata_share": "无数据占比",
    "_class_share": "禁止地类占比",
    "_class_main": "主要地类",
}

#: the map's kind in its title, after the project name
MAP_TITLE = "项目选址筛查图"

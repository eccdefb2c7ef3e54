"""Vocabulary of the maps: basemaps and where their keys come from. Cheap to import."""

from __future__ import annotations

__all__ = ["BASEMAPS", "TIANDITU_URL", "TIANDITU_ENV"]

#: allowed ``basemap`` values (config ``basemap:``, ``ecogis map --basemap``)
BASEMAPS = ("none", "osm", "tianditu")

#: Tianditu web-mercator tiles (CGCS2000); ``{layer}`` is vec_w / cva_w / img_w / cia_w
TIANDITU_URL = "https://t{s}.tianditu.gov.cn/DataServer?T={layer}&x={x}&y={y}&l={z}&tk={key}"

#: environment variable holding the Tianditu key (never written into a config or the repo)
TIANDITU_ENV = "TIANDITU_KEY"

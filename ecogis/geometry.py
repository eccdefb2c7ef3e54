"""Geometry QA and repair: invalid, empty and duplicate features.

Nothing is silently lost: empties are dropped with a warning naming them, invalid
geometries are repaired with ``make_valid`` (warning naming the features and GEOS' reason),
kept as they are with a warning, or refused — by policy ``on_invalid='fix'|'warn'|'raise'``.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from .errors import EcogisWarning, GeometryError
from .i18n import _, ngettext

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "ID_CANDIDATES",
    "feature_ids",
    "polygonal",
    "inspect_geometries",
    "repair_geometries",
    "POLYGONAL",
]

#: columns that identify features in messages, in order of preference
ID_CANDIDATES = (
    "site_id",
    "id",
    "ID",
    "BSM",
    "bsm",
    "fid",
    "FID",
    "OBJECTID",
    "YJJBNTTBBH",
    "parcel_id",
)
POLYGONAL = ("Polygon", "MultiPolygon")
_SHOW = 10


def feature_ids(gdf: gpd.GeoDataFrame, id_field: str | None = None) -> pd.Series:
    """Ids to name features by: ``id_field``, else the first id-like column, else ``#row``.

    Row numbers are 1-based as people count them in a GIS attribute table.
    """
    if id_field and id_field in gdf.columns:
        return gdf[id_field].astype(str)
    for col in ID_CANDIDATES:
        if col in gdf.columns and gdf[col].notna().all() and gdf[col].is_unique:
            return gdf[col].astype(str)
    return pd.Series([f"#{i + 1}" for i in range(len(gdf))], index=gdf.index)


def _list(ids, limit: int = _SHOW) -> str:
    ids = list(ids)
    head = ", ".join(map(str, ids[:limit]))
    return head + (_(" and {n} more").format(n=len(ids) - limit) if len(ids) > limit else "")


def polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep only the polygonal parts of each geometry (GeometryCollection from make_valid)."""
    geoms = np.asarray(geoms, dtype=object)
    out = geoms.copy()
    types = shapely.get_type_id(geoms)
    # 3 Polygon, 6 MultiPolygon, 7 GeometryCollection
    for i in np.flatnonzero(types == 7):
        parts = shapely.get_parts(geoms[i])
        polys = [p for p in parts if shapely.get_type_id(p) in (3, 6)]
        out[i] = shapely.union_all(polys) if polys else shapely.Polygon()
    return out


def inspect_geometries(gdf: gpd.GeoDataFrame, *, id_field: str | None = None) -> dict:
    """Find invalid, empty and exactly duplicated geometries.

    Returns
    -------
    dict
        ``invalid``: DataFrame (id, reason); ``empty``: list of ids; ``duplicates``: list of
        id groups with identical geometry; ``geom_types``: value counts.
    """
    ids = feature_ids(gdf, id_field)
    arr = np.asarray(gdf.geometry.array, dtype=object)
    empty_mask = np.asarray(pd.isna(arr)) | shapely.is_empty(
        np.where(pd.isna(arr), shapely.Point(), arr)
    )
    valid = np.ones(len(gdf), dtype=bool)
    valid[~empty_mask] = shapely.is_valid(arr[~empty_mask])
    bad = np.flatnonzero(~valid)
    invalid = pd.DataFrame(
        {
            "id": ids.iloc[bad].to_numpy(),
            "reason": shapely.is_valid_reason(arr[bad]) if len(bad) else [],
        }
    )
    # exact duplicates: same normalised WKB
    dup_groups: list[list[str]] = []
    if (~empty_mask).any():
        wkb = pd.Series(
            shapely.to_wkb(shapely.normalize(arr[~empty_mask])), index=np.flatnonzero(~empty_mask)
        )
        dup = wkb[wkb.duplicated(keep=False)]
        for _key, grp in dup.groupby(dup):
            dup_groups.append([str(ids.iloc[i]) for i in grp.index])
    return {
        "invalid": invalid,
        "empty": [str(x) for x in ids[empty_mask]],
        "duplicates": dup_groups,
        "geom_types": gdf.geometry[~empty_mask].geom_type.value_counts().to_dict(),
    }


def repair_geometries(
    gdf: gpd.GeoDataFrame,
    *,
    name: str,
    on_invalid: str = "fix",
    id_field: str | None = None,
    polygons: bool | None = None,
) -> gpd.GeoDataFrame:
    """Drop empty geometries and repair or refuse invalid ones, warning about each.

    Parameters
    ----------
    name
        Layer name for messages.
    on_invalid
        ``fix`` (make_valid, keep polygonal parts for polygon layers), ``warn`` (keep as is),
        ``raise`` (GeometryError).
    polygons
        Treat as a polygon layer (default: when most features are polygonal).
    """
    if on_invalid not in ("fix", "warn", "raise"):
        raise ValueError(f"on_invalid must be 'fix', 'warn' or 'raise', got {on_invalid!r}")
    ids = feature_ids(gdf, id_field)
    arr = np.asarray(gdf.geometry.array, dtype=object)
    empty = np.asarray(pd.isna(arr)) | shapely.is_empty(
        np.where(pd.isna(arr), shapely.Point(), arr)
    )
    if empty.any():
        warnings.warn(
            _("{name}: dropped {n} feature(s) with empty geometry: {ids}").format(
                name=name, n=int(empty.sum()), ids=_list(ids[empty])
            ),
            EcogisWarning,
            stacklevel=2,
        )
        gdf = gdf.loc[~empty]
        ids = ids[~empty]
        arr = arr[~empty]
    if len(gdf) == 0:
        return gdf
    # NaN / infinite coordinates cannot be repaired (make_valid raises on them): refuse, naming them
    coords, owner = shapely.get_coordinates(arr, return_index=True)
    nonfinite = np.unique(owner[~np.isfinite(coords).all(axis=1)])
    if len(nonfinite):
        raise GeometryError(
            _(
                "{name}: {n} feature(s) with NaN or infinite coordinates: {ids}; "
                "fix or delete them in the source"
            ).format(name=name, n=len(nonfinite), ids=_list(ids.iloc[nonfinite]))
        )
    valid = shapely.is_valid(arr)
    if valid.all():
        return gdf
    bad = np.flatnonzero(~valid)
    reasons = shapely.is_valid_reason(arr[bad])
    detail = _list(f"{i} ({r})" for i, r in zip(ids.iloc[bad], reasons, strict=True))
    if on_invalid == "raise":
        raise GeometryError(
            ngettext(
                "{name}: {n} invalid geometry: {detail}; repair it or set on_invalid: fix",
                "{name}: {n} invalid geometries: {detail}; repair them or set on_invalid: fix",
                len(bad),
            ).format(name=name, n=len(bad), detail=detail)
        )
    if on_invalid == "warn":
        warnings.warn(
            _("{name}: {n} invalid geometries kept as they are: {detail}").format(
                name=name, n=len(bad), detail=detail
            ),
            EcogisWarning,
            stacklevel=2,
        )
        return gdf
    import geopandas as gpd

    if polygons is None:
        polygons = bool(np.isin(shapely.get_type_id(arr), (3, 6)).mean() > 0.5)
    fixed = shapely.make_valid(arr[bad])
    if polygons:
        fixed = polygonal(fixed)
    gdf = gdf.copy()
    geom_col = gdf.geometry.name
    new = arr.copy()
    new[bad] = fixed
    gdf[geom_col] = gpd.GeoSeries(new, index=gdf.index, crs=gdf.crs)
    warnings.warn(
        ngettext(
            "{name}: repaired {n} invalid geometry with make_valid: {detail}",
            "{name}: repaired {n} invalid geometries with make_valid: {detail}",
            len(bad),
        ).format(name=name, n=len(bad), detail=detail),
        EcogisWarning,
        stacklevel=2,
    )
    still_empty = shapely.is_empty(fixed)
    if still_empty.any():
        drop_ids = ids.iloc[bad[still_empty]]
        warnings.warn(
            _(
                "{name}: {n} feature(s) had no area left after repair and were dropped: {ids}"
            ).format(name=name, n=int(still_empty.sum()), ids=_list(drop_ids)),
            EcogisWarning,
            stacklevel=2,
        )
        keep = np.ones(len(gdf), dtype=bool)
        keep[bad[still_empty]] = False
        gdf = gdf.loc[keep]
    return gdf


def summarize_layer(gdf: gpd.GeoDataFrame, working_crs, *, id_field: str | None = None) -> dict:
    """QA summary of one layer: count, CRS, types, problems and total area in m² / mu.

    The area is measured in ``working_crs`` after dropping empties and repairing invalid
    geometries in memory, so one bowtie does not make the total meaningless.
    """
    from .units import m2_to_mu

    found = inspect_geometries(gdf, id_field=id_field)
    area_m2 = None
    if gdf.crs is not None and len(gdf):
        arr = np.asarray(gdf.geometry.array, dtype=object)
        ok = ~(pd.isna(arr) | shapely.is_empty(np.where(pd.isna(arr), shapely.Point(), arr)))
        geoms = gdf.geometry[ok].to_crs(working_crs)
        g = np.asarray(geoms.array, dtype=object)
        bad = ~shapely.is_valid(g)
        if bad.any():
            g = g.copy()
            g[bad] = polygonal(shapely.make_valid(g[bad]))
        area_m2 = float(shapely.area(g).sum())
    return {
        "features": len(gdf),
        "crs": gdf.crs,
        **found,
        "area_m2": area_m2,
        "area_mu": None if area_m2 is None else float(m2_to_mu(area_m2)),
    }

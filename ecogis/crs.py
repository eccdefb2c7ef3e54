"""Working CRS choice and coordinate sanity checks for CGCS2000 data.

Areas and distances are computed in one projected CRS per run. ``auto`` picks the
CGCS2000 3-degree Gauss-Kruger zone without zone prefix (EPSG:4534-4554) whose central
meridian is nearest the study area's centre.

Chinese survey data are often mislabelled: X/Y swapped (surveyors call the northing X),
eastings carrying a zone prefix (38 512 345) in a CRS without one, or degrees stored in a
metre CRS. :func:`check_coordinates` recognises those cases and says what to do.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from pyproj import CRS
from pyproj.exceptions import CRSError as _PyprojCRSError

from .errors import CRSError

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "CGCS2000",
    "zone_3deg",
    "gk3_epsg",
    "gk3_prefixed_epsg",
    "parse_crs",
    "working_crs",
    "check_coordinates",
    "to_working",
]

CGCS2000 = 4490
_GK3_FIRST_ZONE, _GK3_LAST_ZONE = 25, 45  # CM 75°E .. 135°E


def zone_3deg(lon: float) -> int:
    """3-degree Gauss-Kruger zone number for a longitude (zone 38 has CM 114°E)."""
    return int(math.floor(lon / 3.0 + 0.5))


def gk3_epsg(zone: int) -> int:
    """EPSG code of CGCS2000 / 3-degree GK CM ``3*zone``°E, no zone prefix (4534-4554)."""
    if not _GK3_FIRST_ZONE <= zone <= _GK3_LAST_ZONE:
        raise CRSError(f"3-degree zone {zone} is outside China (allowed 25-45, CM 75°E-135°E)")
    return 4534 + zone - _GK3_FIRST_ZONE


def gk3_prefixed_epsg(zone: int) -> int:
    """EPSG code of CGCS2000 / 3-degree GK zone ``zone`` with prefix (4513-4533)."""
    if not _GK3_FIRST_ZONE <= zone <= _GK3_LAST_ZONE:
        raise CRSError(f"3-degree zone {zone} is outside China (allowed 25-45, CM 75°E-135°E)")
    return 4488 + zone


def parse_crs(value: Any, *, key: str = "crs") -> CRS:
    """Parse ``EPSG:4547``, ``4547`` or a WKT/PROJ string into a :class:`pyproj.CRS`."""
    try:
        return CRS.from_user_input(value)
    except (_PyprojCRSError, TypeError, ValueError) as exc:
        raise CRSError(f"{key}: cannot parse CRS {value!r} (use e.g. EPSG:4547 or auto)") from exc


def working_crs(spec: Any, lonlat_bounds: tuple[float, float, float, float] | None) -> CRS:
    """Resolve the working CRS.

    Parameters
    ----------
    spec
        ``"auto"`` / ``None`` or anything :func:`parse_crs` accepts.
    lonlat_bounds
        (minlon, minlat, maxlon, maxlat) of the study area, needed for ``auto``.
    """
    if spec is None or (isinstance(spec, str) and spec.lower() == "auto"):
        if lonlat_bounds is None:
            raise CRSError("crs: auto needs a study area; no layer with a CRS was given")
        lon = (lonlat_bounds[0] + lonlat_bounds[2]) / 2.0
        return CRS.from_epsg(gk3_epsg(zone_3deg(lon)))
    crs = parse_crs(spec)
    if crs.is_geographic:
        raise CRSError(
            f"crs: {spec} is geographic (degrees); areas need a projected CRS, "
            "e.g. auto or EPSG:4547 (CGCS2000 / 3-degree GK CM 114E)"
        )
    return crs


def _false_easting(crs: CRS) -> float | None:
    try:
        for p in crs.coordinate_operation.params:
            if p.name.lower() == "false easting":
                return float(p.value)
    except AttributeError:
        pass
    return None


def _describe(crs: CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg} ({crs.name})" if epsg else crs.name


def check_coordinates(gdf: gpd.GeoDataFrame, name: str) -> None:
    """Refuse coordinates that cannot be right for the layer's CRS, with a hint.

    Raises
    ------
    CRSError
        No CRS; X/Y swapped; zone-prefixed eastings in a CRS without prefix or the reverse;
        degrees in a metre CRS; metres in a degree CRS.
    """
    crs = gdf.crs
    if crs is None:
        raise CRSError(
            f"{name}: layer has no CRS (.prj missing?); declare it in the config "
            "(layers.<name>.crs, e.g. EPSG:4547) or fix the file — ecogis never guesses"
        )
    geoms = gdf.geometry
    geoms = geoms[~(geoms.isna() | geoms.is_empty)]
    if len(geoms) == 0:
        return
    minx, miny, maxx, maxy = geoms.total_bounds
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        raise CRSError(f"{name}: coordinates contain NaN or infinity")
    here = f"{name}: coordinates x {minx:.6g}..{maxx:.6g}, y {miny:.6g}..{maxy:.6g}"
    if crs.is_geographic:
        # China: lon 73..136, lat 3..54. Swapped axes put longitudes in y.
        if 73 <= miny and maxy <= 136 and 3 <= minx and maxx <= 54:
            raise CRSError(
                f"{here} look like latitude/longitude swapped (x should be longitude); "
                "swap the columns"
            )
        if max(abs(minx), abs(maxx)) > 180 or max(abs(miny), abs(maxy)) > 90:
            raise CRSError(
                f"{here} are not degrees but the CRS is {_describe(crs)}; "
                "the .prj probably belongs to another file — declare the projected CRS "
                "(e.g. EPSG:4547, or EPSG:4526 for zone-38 prefixed eastings)"
            )
        return
    # projected, in metres
    if max(abs(minx), abs(maxx), abs(miny), abs(maxy)) <= 360:
        raise CRSError(
            f"{here} look like degrees but the CRS is {_describe(crs)} (metres); "
            "declare EPSG:4490 (CGCS2000 geographic) instead"
        )
    fe = _false_easting(crs)
    if fe is None:
        return
    prefixed_crs = fe >= 1_000_000
    x_prefixed = minx >= 10_000_000
    y_prefixed = miny >= 10_000_000
    # Gauss-Kruger northings in China are 0.3-6 million; eastings without prefix < 1 million.
    if not prefixed_crs and y_prefixed and maxx < 7_000_000:
        raise CRSError(
            f"{here}: X and Y look swapped (y holds zone-prefixed eastings, zone "
            f"{int(miny // 1_000_000)}); Chinese surveys call the northing X — swap the columns"
        )
    if not prefixed_crs and x_prefixed:
        zone = int(minx // 1_000_000)
        hint = ""
        if _GK3_FIRST_ZONE <= zone <= _GK3_LAST_ZONE:
            hint = f" (3-degree zone {zone}: EPSG:{gk3_prefixed_epsg(zone)})"
        raise CRSError(
            f"{here}: eastings carry a zone prefix but {_describe(crs)} has none; "
            f"declare the prefixed CRS{hint}"
        )
    if prefixed_crs and not x_prefixed:
        if miny >= 10_000_000:
            raise CRSError(
                f"{here}: X and Y look swapped (y holds zone-prefixed eastings); "
                "Chinese surveys call the northing X — swap the columns"
            )
        zone = int(fe // 1_000_000)
        raise CRSError(
            f"{here}: eastings have no zone prefix but {_describe(crs)} expects one "
            f"(zone {zone}); declare the CRS without prefix, e.g. EPSG:{gk3_epsg(zone) if _GK3_FIRST_ZONE <= zone <= _GK3_LAST_ZONE else '4534-4554'}"
        )
    if prefixed_crs and int(minx // 1_000_000) != int(fe // 1_000_000):
        raise CRSError(
            f"{here}: easting prefix {int(minx // 1_000_000)} does not match the zone of "
            f"{_describe(crs)} ({int(fe // 1_000_000)})"
        )
    # No prefix: eastings within a few hundred km of 500 000, northings bigger than eastings.
    if (
        not prefixed_crs
        and maxx < 1_500_000
        and minx > -500_000
        and 1_000_000 < miny
        and maxy < 7_000_000
    ):
        return
    if not prefixed_crs and minx > 2_000_000 and maxy < 1_200_000 and miny > -200_000:
        raise CRSError(
            f"{here}: X and Y look swapped (x holds northings); "
            "Chinese surveys call the northing X — swap the columns"
        )


def to_working(gdf: gpd.GeoDataFrame, crs: CRS) -> gpd.GeoDataFrame:
    """Reproject ``gdf`` to the working CRS (no copy when it is already there)."""
    if gdf.crs is not None and CRS.from_user_input(gdf.crs) == crs:
        return gdf
    return gdf.to_crs(crs)

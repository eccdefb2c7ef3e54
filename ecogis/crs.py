"""Working CRS, datums and coordinate sanity checks for CGCS2000 data.

Areas and distances are computed in one projected CRS per run, in metres. ``auto`` picks the
CGCS2000 3-degree Gauss-Kruger zone without zone prefix (EPSG:4534-4554) whose central
meridian is nearest the study area's centre.

Chinese survey data are often mislabelled: X/Y swapped (surveyors call the northing X),
eastings carrying a zone prefix (38 512 345) in a CRS without one, degrees stored in a
metre CRS, or a stray vertex far outside anything the CRS can describe.
:func:`check_coordinates` recognises those cases and says what to do.

Datums
------
CGCS2000, WGS 84 and the ITRF realisations agree at metre level and are used as one datum.
Old data in Xian 1980, Beijing 1954 or a local system differs by tens of metres to ~100 m,
and PROJ has no published transformation for them: it would fall back to a "ballpark" shift
that only swaps the ellipsoid. :func:`reproject` (the one place layers change CRS) therefore
refuses a datum change unless the user names the transformation (:class:`DatumTransform`:
the 7 or 4 parameters of a TXT's ``转换参数=``, a config ``transform:`` or ``--transform``).

Web maps
--------
Coordinates drawn on Amap / Tencent (GCJ-02) or Baidu (BD-09) maps are deliberately offset
by hundreds of metres. :func:`web_to_wgs84` converts them with prcoords (a maintained,
iterative inverse, about 0.1 mm); a layer declares them with ``crs: GCJ-02`` or ``BD-09``.
"""

from __future__ import annotations

import functools
import math
import re
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as _PyprojCRSError
from pyproj.exceptions import ProjError

from .errors import CRSError, EcogisWarning
from .i18n import _

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "CGCS2000",
    "AREA_OF_USE_MARGIN_DEG",
    "WEB_DATUMS",
    "zone_3deg",
    "gk3_epsg",
    "gk3_prefixed_epsg",
    "gk_epsg",
    "parse_crs",
    "is_metre_crs",
    "working_crs",
    "check_coordinates",
    "check_bounds",
    "datum_family",
    "datum_name",
    "DatumTransform",
    "parse_transform",
    "check_datum",
    "reproject",
    "to_working",
    "web_datum",
    "gcj02_to_wgs84",
    "bd09_to_wgs84",
    "web_to_wgs84",
    "area_scale",
    "geodesic_areas",
]

CGCS2000 = 4490
_GK3_FIRST_ZONE, _GK3_LAST_ZONE = 25, 45  # CM 75°E .. 135°E
_GK6_FIRST_ZONE, _GK6_LAST_ZONE = 13, 23  # CM 75°E .. 135°E
#: degrees added around a CRS's area of use (pyproj ``area_of_use``) before coordinates
#: count as impossible for it: data a zone or two beyond the official area is common and fine
AREA_OF_USE_MARGIN_DEG = 10.0

#: first EPSG codes of the Gauss-Kruger CRSs per datum: (3-degree with zone prefix, 3-degree
#: CM without prefix, 6-degree with prefix, 6-degree CM without prefix); zones count up from
#: 25 (3-degree) or 13 (6-degree)
_GK_EPSG = {
    "cgcs2000": (4513, 4534, 4491, 4502),
    "xian80": (2349, 2370, 2327, 2338),
    "beijing54": (2401, 2422, 21413, 21453),
}
#: datum families for people
_DATUM_NAMES = {"cgcs2000": "CGCS2000", "xian80": "Xian 1980", "beijing54": "Beijing 1954"}

#: spellings of the web-map "datums" (lower case, no separators) -> canonical name
WEB_DATUMS = {
    "gcj02": "GCJ-02",
    "gcj": "GCJ-02",
    "gcj2": "GCJ-02",
    "火星坐标": "GCJ-02",
    "bd09": "BD-09",
    "bd09ll": "BD-09",
    "bd": "BD-09",
    "百度坐标": "BD-09",
}

# the CGCS2000 ellipsoid (equal to GRS 1980 to 0.1 mm)
_CGCS2000_ELLPS = "+a=6378137 +rf=298.257222101"


# --------------------------------------------------------------------------- zones


def zone_3deg(lon: float) -> int:
    """3-degree Gauss-Kruger zone number for a longitude (zone 38 has CM 114°E)."""
    return int(math.floor(lon / 3.0 + 0.5))


def gk_epsg(zone: int, *, width: int = 3, prefix: bool = True, datum: str = "cgcs2000") -> int:
    """EPSG code of a Gauss-Kruger CRS of China.

    Parameters
    ----------
    zone : int
        3-degree zones 25-45 (CM ``3*zone``°E) or 6-degree zones 13-23 (CM ``6*zone-3``°E).
    width : {3, 6}
        Zone width in degrees.
    prefix : bool
        True for the CRS whose eastings carry the zone number (false easting
        ``zone * 1e6 + 500000``), False for the plain 500 000 false easting.
    datum : {"cgcs2000", "xian80", "beijing54"}
        The geodetic datum.

    Examples
    --------
    >>> gk_epsg(38), gk_epsg(38, prefix=False), gk_epsg(38, datum="xian80")
    (4526, 4547, 2362)
    """
    if datum not in _GK_EPSG:
        raise CRSError(
            _("datum {datum!r} has no Gauss-Kruger EPSG codes here; allowed: {allowed}").format(
                datum=datum, allowed=", ".join(_GK_EPSG)
            )
        )
    first3p, first3, first6p, first6 = _GK_EPSG[datum]
    if width == 3:
        if not _GK3_FIRST_ZONE <= zone <= _GK3_LAST_ZONE:
            raise CRSError(
                _("3-degree zone {zone} is outside China (allowed 25-45, CM 75°E-135°E)").format(
                    zone=zone
                )
            )
        return (first3p if prefix else first3) + zone - _GK3_FIRST_ZONE
    if width == 6:
        if not _GK6_FIRST_ZONE <= zone <= _GK6_LAST_ZONE:
            raise CRSError(
                _("6-degree zone {zone} is outside China (allowed 13-23, CM 75°E-135°E)").format(
                    zone=zone
                )
            )
        return (first6p if prefix else first6) + zone - _GK6_FIRST_ZONE
    raise CRSError(
        _("zone width {width} is not allowed; expected 3 or 6 (degrees)").format(width=width)
    )


def gk3_epsg(zone: int) -> int:
    """EPSG code of CGCS2000 / 3-degree GK CM ``3*zone``°E, no zone prefix (4534-4554)."""
    return gk_epsg(zone, width=3, prefix=False)


def gk3_prefixed_epsg(zone: int) -> int:
    """EPSG code of CGCS2000 / 3-degree GK zone ``zone`` with prefix (4513-4533)."""
    return gk_epsg(zone, width=3, prefix=True)


# --------------------------------------------------------------------------- parsing


def parse_crs(value: Any, *, key: str = "crs") -> CRS:
    """Parse ``EPSG:4547``, ``4547`` or a WKT/PROJ string into a :class:`pyproj.CRS`."""
    if isinstance(value, CRS):
        return value
    if web_datum(value) is not None:
        raise CRSError(
            _(
                "{key}: {value} is a web-map offset of longitude/latitude, not a CRS; it can "
                "only describe a layer's coordinates (layers.<name>.crs, --crs, --sites-crs)"
            ).format(key=key, value=value)
        )
    try:
        return CRS.from_user_input(value)
    except (_PyprojCRSError, TypeError, ValueError) as exc:
        raise CRSError(
            _("{key}: cannot parse CRS {value!r} (use e.g. EPSG:4547 or auto)").format(
                key=key, value=value
            )
        ) from exc


def _unit_name(crs: CRS) -> str:
    axes = crs.axis_info
    return axes[0].unit_name if axes else "unknown"


def is_metre_crs(crs: CRS) -> bool:
    """True for a projected CRS whose axes are in metres."""
    if not crs.is_projected:
        return False
    return all(
        a.unit_name in ("metre", "meter") or a.unit_conversion_factor == 1.0 for a in crs.axis_info
    )


def working_crs(
    spec: Any,
    lonlat_bounds: tuple[float, float, float, float] | None,
    *,
    study_area: str | None = None,
) -> CRS:
    """Resolve the working CRS: projected, in metres (areas are m², distances m).

    Parameters
    ----------
    spec
        ``"auto"`` / ``None`` or anything :func:`parse_crs` accepts.
    lonlat_bounds
        (minlon, minlat, maxlon, maxlat) of the study area, needed for ``auto``.
    study_area
        How messages name the study area (``role admin: townships``).

    Raises
    ------
    CRSError
        A geographic or non-metre CRS (feet would make areas 10.76 times too large), or an
        ``auto`` study area outside China's zones.
    """
    if spec is None or (isinstance(spec, str) and spec.lower() == "auto"):
        if lonlat_bounds is None:
            raise CRSError(
                _(
                    "crs: auto needs a study area; no layer with a CRS was given (declare "
                    "layers.<name>.crs or set crs: in the config, e.g. EPSG:4547)"
                )
            )
        lon = (lonlat_bounds[0] + lonlat_bounds[2]) / 2.0
        zone = zone_3deg(lon)
        if not _GK3_FIRST_ZONE <= zone <= _GK3_LAST_ZONE:
            raise CRSError(
                _(
                    "crs: auto: the study area{what} is centred at {lon:.2f}°E, {lat:.2f}°N, "
                    "outside China's 3-degree zones (75°E-135°E); check its CRS (a .prj of "
                    "another file?) or set crs: in the config"
                ).format(
                    what=f" ({study_area})" if study_area else "",
                    lon=lon,
                    lat=(lonlat_bounds[1] + lonlat_bounds[3]) / 2.0,
                )
            )
        return CRS.from_epsg(gk3_epsg(zone))
    crs = parse_crs(spec)
    if crs.is_geographic:
        raise CRSError(
            _(
                "crs: {spec} is geographic (degrees); areas need a projected CRS, "
                "e.g. auto or EPSG:4547 (CGCS2000 / 3-degree GK CM 114E)"
            ).format(spec=spec)
        )
    if not is_metre_crs(crs):
        raise CRSError(
            _(
                "crs: {spec} ({name}) measures in {unit}, not metres; areas would not be m² "
                "(feet: 10.76 times too large) — use a metre CRS such as auto or EPSG:4547"
            ).format(spec=spec, name=crs.name, unit=_unit_name(crs))
        )
    return crs


# --------------------------------------------------------------------------- coordinate checks


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


def check_bounds(bounds, crs: CRS, name: str) -> None:
    """Refuse a box of coordinates that cannot be right for ``crs``, with a hint.

    The checks of :func:`check_coordinates` that need only the layer's extent (a file's
    header gives it without reading features): X/Y swapped, zone prefixes, degrees in a metre
    CRS and metres in a degree CRS, NaN or infinity.
    """
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        raise CRSError(_("{name}: coordinates contain NaN or infinity").format(name=name))
    here = _("{name}: coordinates x {minx:.6g}..{maxx:.6g}, y {miny:.6g}..{maxy:.6g}").format(
        name=name, minx=minx, maxx=maxx, miny=miny, maxy=maxy
    )
    if crs.is_geographic:
        # China: lon 73..136, lat 3..54. Swapped axes put longitudes in y.
        if 73 <= miny and maxy <= 136 and 3 <= minx and maxx <= 54:
            raise CRSError(
                _(
                    "{here} look like latitude/longitude swapped (x should be longitude); "
                    "swap the columns"
                ).format(here=here)
            )
        if max(abs(minx), abs(maxx)) > 180 or max(abs(miny), abs(maxy)) > 90:
            raise CRSError(
                _(
                    "{here} are not degrees but the CRS is {crs}; the .prj probably belongs to "
                    "another file — replace it, or delete it and declare the projected CRS "
                    "(e.g. EPSG:4547, or EPSG:4526 for zone-38 prefixed eastings)"
                ).format(here=here, crs=_describe(crs))
            )
        return
    # projected, in metres
    if max(abs(minx), abs(maxx), abs(miny), abs(maxy)) <= 360:
        raise CRSError(
            _(
                "{here} look like degrees but the CRS is {crs} (metres); declare EPSG:4490 "
                "(CGCS2000 geographic) instead"
            ).format(here=here, crs=_describe(crs))
        )
    fe = _false_easting(crs)
    if fe is None:
        return
    prefixed_crs = fe >= 1_000_000
    x_prefixed = minx >= 10_000_000
    y_prefixed = miny >= 10_000_000
    swap_hint = _("Chinese surveys call the northing X — swap the columns")
    # Gauss-Kruger northings in China are 0.3-6 million; eastings without prefix < 1 million.
    if not prefixed_crs and y_prefixed and maxx < 7_000_000:
        raise CRSError(
            _(
                "{here}: X and Y look swapped (y holds zone-prefixed eastings, zone {zone}); {hint}"
            ).format(here=here, zone=int(miny // 1_000_000), hint=swap_hint)
        )
    if not prefixed_crs and x_prefixed and maxx < 100_000_000:
        zone = int(minx // 1_000_000)
        hint = ""
        if _GK3_FIRST_ZONE <= zone <= _GK3_LAST_ZONE:
            hint = _(" (3-degree zone {zone}: EPSG:{epsg})").format(
                zone=zone, epsg=gk3_prefixed_epsg(zone)
            )
        raise CRSError(
            _(
                "{here}: eastings carry a zone prefix but {crs} has none; declare the prefixed "
                "CRS{hint}"
            ).format(here=here, crs=_describe(crs), hint=hint)
        )
    if prefixed_crs and not x_prefixed:
        if miny >= 10_000_000:
            raise CRSError(
                _("{here}: X and Y look swapped (y holds zone-prefixed eastings); {hint}").format(
                    here=here, hint=swap_hint
                )
            )
        zone = int(fe // 1_000_000)
        plain = (
            f"EPSG:{gk3_epsg(zone)}" if _GK3_FIRST_ZONE <= zone <= _GK3_LAST_ZONE else "4534-4554"
        )
        raise CRSError(
            _(
                "{here}: eastings have no zone prefix but {crs} expects one (zone {zone}); "
                "declare the CRS without prefix, e.g. {plain}"
            ).format(here=here, crs=_describe(crs), zone=zone, plain=plain)
        )
    if prefixed_crs and x_prefixed and int(minx // 1_000_000) != int(fe // 1_000_000):
        raise CRSError(
            _("{here}: easting prefix {prefix} does not match the zone of {crs} ({zone})").format(
                here=here,
                prefix=int(minx // 1_000_000),
                crs=_describe(crs),
                zone=int(fe // 1_000_000),
            )
        )
    if not prefixed_crs and minx > 2_000_000 and maxy < 1_200_000 and miny > -200_000:
        raise CRSError(
            _("{here}: X and Y look swapped (x holds northings); {hint}").format(
                here=here, hint=swap_hint
            )
        )


@functools.lru_cache(maxsize=64)
def _valid_box_of(wkt: str) -> tuple[tuple[float, float, float, float], tuple] | None:
    """(x/y box where coordinates of the CRS can be right, its lon/lat area of use with the
    margin), or None when the CRS does not say where it is used."""
    crs = CRS.from_wkt(wkt)
    aou = crs.area_of_use
    if aou is None:
        # an ESRI .prj names no EPSG area: the matching EPSG code knows it
        try:
            epsg = crs.to_epsg(min_confidence=70)
        except _PyprojCRSError:  # pragma: no cover - defensive
            epsg = None
        aou = CRS.from_epsg(epsg).area_of_use if epsg else None
    if aou is None:
        return None
    w, s, e, n = aou.bounds
    if w > e:  # crosses the antimeridian: not met in Chinese data
        return None
    m = AREA_OF_USE_MARGIN_DEG
    lonlat = (max(w - m, -180.0), max(s - m, -90.0), min(e + m, 180.0), min(n + m, 90.0))
    if crs.is_geographic:
        return lonlat, lonlat
    try:
        tr = Transformer.from_crs(crs.geodetic_crs, crs, always_xy=True)
        box = tr.transform_bounds(*lonlat, densify_pts=21)
    except (ProjError, _PyprojCRSError):  # pragma: no cover - defensive
        return None
    if not all(math.isfinite(v) for v in box):
        return None
    return tuple(float(v) for v in box), lonlat


def check_coordinates(gdf: gpd.GeoDataFrame, name: str, *, ids=None) -> None:
    """Refuse coordinates that cannot be right for the layer's CRS, with a hint.

    Raises
    ------
    CRSError
        No CRS; X/Y swapped; zone-prefixed eastings in a CRS without prefix or the reverse;
        degrees in a metre CRS; metres in a degree CRS; NaN or infinity; features with a
        vertex outside the CRS's area of use (with :data:`AREA_OF_USE_MARGIN_DEG`), named by
        ``ids`` (one per row, e.g. :func:`ecogis.geometry.feature_ids`), else by row number.
    """
    import shapely

    crs = gdf.crs
    if crs is None:
        raise CRSError(
            _(
                "{name}: layer has no CRS (.prj missing?); declare it in the config "
                "(layers.<name>.crs, e.g. EPSG:4547) or fix the file — ecogis never guesses"
            ).format(name=name)
        )
    geoms = gdf.geometry
    keep = ~(geoms.isna() | geoms.is_empty)
    geoms = geoms[keep]
    if len(geoms) == 0:
        return
    check_bounds(geoms.total_bounds, crs, name)
    valid = _valid_box_of(CRS.from_user_input(crs).to_wkt())
    if valid is None:
        return
    (x0, y0, x1, y1), (w, s, e, n) = valid
    b = shapely.bounds(np.asarray(geoms.values, dtype=object))
    bad = (b[:, 0] < x0) | (b[:, 1] < y0) | (b[:, 2] > x1) | (b[:, 3] > y1)
    if not bad.any():
        return
    names = [str(i) for i in ids] if ids is not None else [f"#{i + 1}" for i in range(len(gdf))]
    ids = [n for n, k in zip(names, keep.to_numpy(), strict=True) if k]
    ids = [n for n, b_ in zip(ids, bad, strict=True) if b_]
    shown = ", ".join(map(str, ids[:10])) + (
        _(" and {n} more").format(n=len(ids) - 10) if len(ids) > 10 else ""
    )
    worst = b[bad]
    raise CRSError(
        _(
            "{name}: feature(s) {ids} have coordinates outside where {crs} can be right "
            "(x {minx:.6g}..{maxx:.6g}, y {miny:.6g}..{maxy:.6g}; the CRS is used at "
            "{w:.1f}-{e:.1f}°E, {s:.1f}-{n:.1f}°N, with a margin of {m:g}°): a stray vertex "
            "or the wrong CRS — fix or remove these features"
        ).format(
            name=name,
            ids=shown,
            crs=_describe(CRS.from_user_input(crs)),
            minx=float(worst[:, 0].min()),
            maxx=float(worst[:, 2].max()),
            miny=float(worst[:, 1].min()),
            maxy=float(worst[:, 3].max()),
            w=w + AREA_OF_USE_MARGIN_DEG,
            e=e - AREA_OF_USE_MARGIN_DEG,
            s=s + AREA_OF_USE_MARGIN_DEG,
            n=n - AREA_OF_USE_MARGIN_DEG,
            m=AREA_OF_USE_MARGIN_DEG,
        )
    )


# --------------------------------------------------------------------------- datums


def datum_family(crs: Any) -> str:
    """``"cgcs2000"`` (CGCS2000, WGS 84, ITRF: one datum at metre level), ``"xian80"``,
    ``"beijing54"``, ``"unknown"`` (a datum without a name: a custom or local system), or the
    datum's own name in lower case."""
    crs = CRS.from_user_input(crs)
    if crs.is_bound and crs.source_crs is not None:
        crs = crs.source_crs
    datum = crs.datum
    n = (datum.name if datum is not None else "").lower().replace("_", " ").strip()
    if n.startswith("d "):  # ESRI names: D_Xian_1980
        n = n[2:]
    if not n or n.startswith("unknown") or n.startswith("not specified"):
        return "unknown"
    if "china 2000" in n or "cgcs" in n or "china geodetic" in n:
        return "cgcs2000"
    if "world geodetic system 1984" in n or re.search(r"wgs ?(19)?84", n) or "itrf" in n:
        return "cgcs2000"
    if "international terrestrial reference" in n:
        return "cgcs2000"
    if "xian" in n and "1980" in n:
        return "xian80"
    if "new beijing" in n:
        return "new beijing"
    if "beijing" in n and "1954" in n:
        return "beijing54"
    return n


def datum_name(crs: Any) -> str:
    """The datum of ``crs`` for people (``Xian 1980``)."""
    crs = CRS.from_user_input(crs)
    fam = datum_family(crs)
    if fam in _DATUM_NAMES:
        return _DATUM_NAMES[fam] if fam != "cgcs2000" else (crs.datum.name or "CGCS2000")
    if fam == "unknown":
        return _("an unnamed datum ({datum})").format(
            datum=crs.datum.name if crs.datum is not None else "?"
        )
    return crs.datum.name


def _needs_transform(src: CRS, dst: CRS) -> bool:
    if src == dst:
        return False
    fs, fd = datum_family(src), datum_family(dst)
    if fs == fd and fs != "unknown":
        return False
    if fs == fd == "unknown" and src.datum == dst.datum:
        return False
    if src.is_bound and fd == "cgcs2000":
        # the .prj carries TOWGS84 parameters (its writer named the transformation): PROJ
        # applies them, with no ballpark step
        try:
            Transformer.from_crs(src, 4326, allow_ballpark=False)
            return False
        except ProjError:
            pass
    return True


def check_datum(src: Any, dst: Any, *, name: str, hint: str | None = None) -> None:
    """Refuse to change datum from ``src`` to ``dst`` without named parameters.

    Raises
    ------
    CRSError
        Naming the layer, both datums and how to give the parameters (``hint``).
    """
    src, dst = CRS.from_user_input(src), CRS.from_user_input(dst)
    if not _needs_transform(src, dst):
        return
    if datum_family(dst) != "cgcs2000":
        raise CRSError(
            _(
                "{name}: converting from {src_datum} into {dst_datum} ({dst}) is not supported; "
                "ecogis changes datums into CGCS2000 only (with parameters you name), never "
                "with PROJ's approximate 'ballpark' shift — keep the output in CGCS2000"
            ).format(
                name=name, src_datum=datum_name(src), dst_datum=datum_name(dst), dst=_describe(dst)
            )
        )
    raise CRSError(
        _(
            "{name}: the coordinates are in {src_datum} ({src}), the target is CGCS2000 ({dst}); "
            "a datum change needs its published parameters (tens of metres otherwise) and ecogis "
            "never uses PROJ's approximate 'ballpark' shift — {hint}"
        ).format(
            name=name,
            src_datum=datum_name(src),
            src=_describe(src),
            dst=_describe(dst),
            hint=hint or transform_hint(),
        )
    )


def transform_hint(where: str | None = None) -> str:
    where = where or _("layers.<name>.transform in the config, or --transform")
    return _(
        "give them as {where}: 7 Helmert parameters 'dx,dy,dz,rx,ry,rz,ds' (m, arc-seconds, "
        "ppm), 3 shifts 'dx,dy,dz', 4 planar parameters 'ΔX,ΔY,rotation,scale' (m north, m east, "
        "arc-seconds, ppm) or a PROJ pipeline"
    ).format(where=where)


_NUMBERS = re.compile(r"[,，;；\s]+")


@dataclass(frozen=True)
class DatumTransform:
    """A datum transformation into CGCS2000 that a user named.

    Attributes
    ----------
    kind : {"helmert", "planar", "pipeline"}
        ``helmert``: 7 (or 3) parameters on geocentric coordinates, dx, dy, dz in metres,
        rx, ry, rz in arc-seconds, ds in ppm, ``convention`` ``position_vector`` (EPSG 9606,
        the default) or ``coordinate_frame`` (EPSG 9607: rotations of opposite sign).
        ``planar``: the 4 parameters of Chinese surveying software on projected coordinates:
        ΔX (north) and ΔY (east) in metres, rotation in arc-seconds, scale in ppm, with
        X' = ΔX + (1+m)(X cos α − Y sin α), Y' = ΔY + (1+m)(X sin α + Y cos α); the result
        is the same projection on CGCS2000.
        ``pipeline``: a PROJ pipeline from longitude/latitude in degrees on the layer's datum
        to CGCS2000 longitude/latitude in degrees (``+proj=noop`` declares that the layer is
        on CGCS2000 already).
    params : tuple of float
        The numbers (7 for helmert, 4 for planar).
    source : str
        Where the transformation was given, for messages (``--transform``,
        ``layers.landuse.transform``, ``转换参数 of x.txt``).
    """

    kind: str
    params: tuple[float, ...] = ()
    convention: str = "position_vector"
    pipeline: str = ""
    source: str = ""

    def describe(self) -> str:
        """One line for people: the method and its parameters."""
        p = self.params
        if self.kind == "helmert":
            return _(
                "7-parameter Helmert dx={dx:g} m, dy={dy:g} m, dz={dz:g} m, rx={rx:g}″, "
                "ry={ry:g}″, rz={rz:g}″, ds={ds:g} ppm ({convention})"
            ).format(
                dx=p[0],
                dy=p[1],
                dz=p[2],
                rx=p[3],
                ry=p[4],
                rz=p[5],
                ds=p[6],
                convention=self.convention.replace("_", " "),
            )
        if self.kind == "planar":
            return _(
                "4-parameter planar ΔX={dx:g} m (north), ΔY={dy:g} m (east), "
                "rotation={rot:g}″, scale={scale:g} ppm"
            ).format(dx=p[0], dy=p[1], rot=p[2], scale=p[3])
        return _("PROJ pipeline {pipeline}").format(pipeline=self.pipeline)

    def _geographic_step(self, ellps: str) -> Transformer:
        """lon/lat on the layer's ellipsoid (``ellps``: PROJ parameters) -> CGCS2000 lon/lat."""
        if self.kind == "pipeline":
            return Transformer.from_pipeline(self.pipeline)
        dx, dy, dz, rx, ry, rz, ds = self.params
        return Transformer.from_pipeline(
            f"+proj=pipeline +step +proj=cart {ellps} +step +proj=helmert +x={dx!r} +y={dy!r} "
            f"+z={dz!r} +rx={rx!r} +ry={ry!r} +rz={rz!r} +s={ds!r} +convention={self.convention} "
            f"+step +inv +proj=cart {_CGCS2000_ELLPS}"
        )

    def apply(self, gdf: gpd.GeoDataFrame, *, name: str) -> gpd.GeoDataFrame:
        """``gdf`` moved onto CGCS2000: EPSG:4490 longitude/latitude (helmert, pipeline) or
        the layer's projection on CGCS2000 (planar). Announced with an EcogisWarning."""
        import shapely

        if gdf.crs is None:
            raise CRSError(
                _("{name}: the layer has no CRS; a datum transformation needs one").format(
                    name=name
                )
            )
        src = CRS.from_user_input(gdf.crs)
        if src.is_bound and src.source_crs is not None:
            src = src.source_crs
        if self.kind == "planar":
            if not is_metre_crs(src):
                raise CRSError(
                    _(
                        "{name}: 4 planar parameters ({source}) work on projected coordinates in "
                        "metres, but the layer is in {crs}; give 7 Helmert parameters instead"
                    ).format(name=name, source=self.source, crs=_describe(src))
                )
            dx_north, dy_east, rot, ppm = self.params
            step = Transformer.from_pipeline(
                f"+proj=helmert +x={dy_east!r} +y={dx_north!r} +theta={rot!r} "
                f"+s={1.0 + ppm * 1e-6!r}"
            )
            target = _same_projection_on_cgcs2000(src)

            def fn(xy: np.ndarray) -> np.ndarray:
                x, y = step.transform(xy[:, 0], xy[:, 1])
                return np.column_stack([x, y])

        else:
            to_geog = Transformer.from_crs(src, src.geodetic_crs, always_xy=True)
            ell = src.geodetic_crs.ellipsoid
            ellps = f"+a={ell.semi_major_metre!r} +rf={ell.inverse_flattening!r}"
            if not ell.inverse_flattening:  # a sphere
                ellps = f"+R={ell.semi_major_metre!r}"
            step = self._geographic_step(ellps)
            target = CRS.from_epsg(CGCS2000)

            def fn(xy: np.ndarray) -> np.ndarray:
                lon, lat = to_geog.transform(xy[:, 0], xy[:, 1])
                lon, lat = step.transform(lon, lat)
                return np.column_stack([lon, lat])

        geoms = shapely.transform(np.asarray(gdf.geometry.values, dtype=object), fn)
        out = _with_geometry(gdf, geoms, target)
        present = ~(gdf.geometry.isna() | gdf.geometry.is_empty).to_numpy()
        if not np.isfinite(shapely.bounds(geoms[present])).all():
            raise CRSError(
                _(
                    "{name}: the transformation {what} ({source}) gives no coordinates for "
                    "some features; check the parameters"
                ).format(name=name, what=self.describe(), source=self.source)
            )
        warnings.warn(
            _("{name}: datum changed from {src} to CGCS2000 with {what} ({source})").format(
                name=name, src=datum_name(src), what=self.describe(), source=self.source
            ),
            EcogisWarning,
            stacklevel=3,
        )
        return out


def _with_geometry(gdf: gpd.GeoDataFrame, geoms: np.ndarray, crs: CRS) -> gpd.GeoDataFrame:
    """A copy of ``gdf`` with new geometries in ``crs`` (attributes and attrs kept)."""
    import geopandas as gpd

    out = gpd.GeoDataFrame(
        gdf.drop(columns=gdf.geometry.name),
        geometry=gpd.GeoSeries(geoms, index=gdf.index, crs=crs),
        crs=crs,
    )
    out = out.rename_geometry(gdf.geometry.name) if gdf.geometry.name != "geometry" else out
    out.attrs = dict(gdf.attrs)
    return out


def _same_projection_on_cgcs2000(src: CRS) -> CRS:
    """The projection of ``src`` with CGCS2000 as its datum (an EPSG code when known)."""
    epsg = src.to_epsg()
    for fam, firsts in _GK_EPSG.items():
        if fam == "cgcs2000" or epsg is None:
            continue
        for k, first in enumerate(firsts):
            last = first + (_GK3_LAST_ZONE - _GK3_FIRST_ZONE if k < 2 else 10)
            if first <= epsg <= last:
                return CRS.from_epsg(_GK_EPSG["cgcs2000"][k] + epsg - first)
    from pyproj.crs import ProjectedCRS

    return ProjectedCRS(
        conversion=src.coordinate_operation,
        geodetic_crs=CRS.from_epsg(CGCS2000),
        name=f"{src.name} (CGCS2000)",
    )


def parse_transform(value: Any, *, key: str = "--transform", source: str | None = None):
    """A :class:`DatumTransform` from what a user wrote.

    ``value`` may be a PROJ pipeline string (``+proj=...``), 7, 4 or 3 numbers as a list or a
    string (``"15.8,-130.2,-91.6,0.1,0.2,-0.3,1.2"``, commas, blanks or semicolons), or a
    mapping ``{helmert: [...], convention: coordinate_frame}``, ``{planar: [...]}``,
    ``{pipeline: "..."}``. None gives None.

    Raises
    ------
    CRSError
        Anything else, named by ``key``.
    """
    if value is None or isinstance(value, DatumTransform):
        return value
    source = source or key
    convention = "position_vector"
    kind = None
    if isinstance(value, dict):
        unknown = sorted(set(value) - {"helmert", "planar", "pipeline", "convention"})
        given = [k for k in ("helmert", "planar", "pipeline") if k in value]
        if unknown or len(given) != 1:
            raise CRSError(
                _(
                    "{key}: expected one of helmert: [7 numbers], planar: [4 numbers] or "
                    "pipeline: '+proj=...' (plus convention:), got {value}"
                ).format(key=key, value=_short(value))
            )
        kind = given[0]
        convention = str(value.get("convention", convention))
        if convention not in ("position_vector", "coordinate_frame"):
            raise CRSError(
                _(
                    "{key}.convention: {value!r} is unknown; allowed: position_vector, "
                    "coordinate_frame"
                ).format(key=key, value=convention)
            )
        value = value[kind]
    if isinstance(value, str) and value.strip().lstrip("+").startswith("proj="):
        if kind not in (None, "pipeline"):
            raise CRSError(
                _("{key}: {kind} needs numbers, got a PROJ string").format(key=key, kind=kind)
            )
        try:
            Transformer.from_pipeline(value.strip())
        except ProjError as exc:
            raise CRSError(
                _("{key}: PROJ does not accept the pipeline {value}: {why}").format(
                    key=key, value=_short(value), why=str(exc).splitlines()[0]
                )
            ) from None
        return DatumTransform("pipeline", pipeline=value.strip(), source=source)
    if isinstance(value, str):
        parts = [t for t in _NUMBERS.split(value.strip()) if t]
    elif isinstance(value, (list, tuple)):
        parts = list(value)
    else:
        raise CRSError(
            _(
                "{key}: expected 7, 4 or 3 numbers or a PROJ pipeline ('+proj=...'), got {value}"
            ).format(key=key, value=_short(value))
        )
    numbers = []
    for part in parts:
        try:
            if isinstance(part, bool):
                raise ValueError
            v = float(part)
        except (TypeError, ValueError):
            raise CRSError(
                _("{key}: {value} is not a number").format(key=key, value=_short(part))
            ) from None
        if not math.isfinite(v):
            raise CRSError(_("{key}: {value} is not a finite number").format(key=key, value=part))
        numbers.append(v)
    if kind is None:
        kind = {7: "helmert", 3: "helmert", 4: "planar"}.get(len(numbers))
    expected = {"helmert": (3, 7), "planar": (4,)}.get(kind or "", ())
    if kind is None or len(numbers) not in expected:
        raise CRSError(
            _(
                "{key}: {n} numbers given; expected 7 (Helmert dx,dy,dz,rx,ry,rz,ds), 3 (dx,dy,dz) "
                "or 4 (planar ΔX,ΔY,rotation,scale)"
            ).format(key=key, n=len(numbers))
        )
    if not any(numbers):
        raise CRSError(
            _(
                "{key}: every parameter is 0, which is no transformation; give the published "
                "parameters, or the pipeline '+proj=noop' if the coordinates are CGCS2000 already"
            ).format(key=key)
        )
    if kind == "helmert" and len(numbers) == 3:
        numbers += [0.0, 0.0, 0.0, 0.0]
    return DatumTransform(kind, tuple(numbers), convention=convention, source=source)


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def reproject(
    gdf: gpd.GeoDataFrame,
    crs: Any,
    *,
    name: str | None = None,
    transform: DatumTransform | None = None,
    hint: str | None = None,
) -> gpd.GeoDataFrame:
    """``gdf`` in ``crs``: the one place layers change CRS.

    A datum change happens only with ``transform`` (applied first, announced with a warning);
    without it, a change between datums (Xian 1980, Beijing 1954, local systems -> CGCS2000)
    is refused — PROJ would use its approximate "ballpark" shift. CGCS2000, WGS 84 and ITRF
    count as one datum. No copy when ``gdf`` is in ``crs`` already.

    Raises
    ------
    CRSError
        The layer has no CRS, or the datum changes without ``transform`` (``hint`` says how
        to give it).
    """
    target = CRS.from_user_input(crs)
    label = name or gdf.attrs.get("label") or "layer"
    if gdf.crs is None:
        raise CRSError(
            _(
                "{name}: layer has no CRS; declare it (e.g. EPSG:4547) — ecogis never guesses"
            ).format(name=label)
        )
    if transform is not None:
        gdf = transform.apply(gdf, name=label)
    src = CRS.from_user_input(gdf.crs)
    if src == target:
        return gdf
    check_datum(src, target, name=label, hint=hint)
    out = gdf.to_crs(target)
    out.attrs = dict(gdf.attrs)
    return out


def to_working(
    gdf: gpd.GeoDataFrame,
    crs: CRS,
    *,
    name: str | None = None,
    transform: DatumTransform | None = None,
    hint: str | None = None,
) -> gpd.GeoDataFrame:
    """Reproject ``gdf`` to the working CRS (see :func:`reproject`)."""
    return reproject(gdf, crs, name=name, transform=transform, hint=hint)


# --------------------------------------------------------------------------- web-map offsets


def web_datum(value: Any) -> str | None:
    """``"GCJ-02"`` or ``"BD-09"`` when ``value`` names a web-map offset, else None."""
    if not isinstance(value, str):
        return None
    key = re.sub(r"[\s_\-.]", "", value).lower()
    return WEB_DATUMS.get(key)


def _convert_points(coords: np.ndarray, fn) -> np.ndarray:
    out = np.empty_like(coords, dtype="float64")
    for i, (lon, lat) in enumerate(coords):
        if not (math.isfinite(lon) and math.isfinite(lat)):
            out[i] = (lon, lat)
            continue
        c = fn((lat, lon), False)  # prcoords takes (lat, lon); no "in China" refusal
        out[i] = (c.lon, c.lat)
    return out


def gcj02_to_wgs84(coords: np.ndarray) -> np.ndarray:
    """GCJ-02 (Amap, Tencent) longitude/latitude -> WGS 84, an ``(n, 2)`` array.

    prcoords' ``gcj_wgs_bored``: the iterative, precise inverse of the GCJ-02 obfuscation
    (about 0.1 mm). WGS 84 equals CGCS2000 at metre level.
    """
    import prcoords

    return _convert_points(np.asarray(coords, dtype="float64"), prcoords.gcj_wgs_bored)


def bd09_to_wgs84(coords: np.ndarray) -> np.ndarray:
    """BD-09 (Baidu) longitude/latitude -> WGS 84 (prcoords' ``bd_wgs_bored``)."""
    import prcoords

    return _convert_points(np.asarray(coords, dtype="float64"), prcoords.bd_wgs_bored)


def web_to_wgs84(gdf: gpd.GeoDataFrame, datum: str, *, name: str) -> gpd.GeoDataFrame:
    """A layer in GCJ-02 / BD-09 longitude/latitude converted to WGS 84 (EPSG:4326), with a
    warning saying so. The layer's own CRS, if any, must be geographic (Amap exports often
    carry a WGS 84 .prj over GCJ-02 numbers)."""
    import shapely

    canonical = web_datum(datum)
    if canonical is None:  # pragma: no cover - callers check
        raise CRSError(_("{value!r} is not GCJ-02 or BD-09").format(value=datum))
    if gdf.crs is not None and not CRS.from_user_input(gdf.crs).is_geographic:
        raise CRSError(
            _(
                "{name}: declared {datum}, but the file's CRS is {crs} (projected); {datum} "
                "coordinates are longitude/latitude from a web map"
            ).format(name=name, datum=canonical, crs=_describe(CRS.from_user_input(gdf.crs)))
        )
    fn = gcj02_to_wgs84 if canonical == "GCJ-02" else bd09_to_wgs84
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    present = ~(gdf.geometry.isna() | gdf.geometry.is_empty).to_numpy()
    if present.any():
        # web-map numbers are degrees: a .prj of another file shows here, not as a wild shift
        check_bounds(shapely.total_bounds(geoms[present]), CRS.from_epsg(4326), name)
    out = _with_geometry(gdf, shapely.transform(geoms, fn), CRS.from_epsg(4326))
    out.attrs["web_datum"] = canonical
    warnings.warn(
        _(
            "{name}: web-map coordinates ({datum}) converted to WGS 84 / CGCS2000 with prcoords "
            "(offsets of hundreds of metres removed)"
        ).format(name=name, datum=canonical),
        EcogisWarning,
        stacklevel=3,
    )
    return out


# --------------------------------------------------------------------------- areas


def area_scale(crs: CRS, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Planar area / true (ellipsoidal) area of the projection at each lon/lat."""
    from pyproj import Proj

    f = Proj(crs).get_factors(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(f.areal_scale, dtype=float)


def geodesic_areas(geoms, crs: Any) -> np.ndarray:
    """True areas (m², on the CGCS2000 / GRS 1980 ellipsoid) of geometries given in ``crs``."""
    import shapely
    from pyproj import Geod

    geod = Geod(ellps="GRS80")
    tr = Transformer.from_crs(CRS.from_user_input(crs), CGCS2000, always_xy=True)
    arr = np.asarray(geoms, dtype=object)
    out = np.zeros(len(arr))
    for i, g in enumerate(arr):
        if g is None or shapely.is_empty(g):
            continue
        ll = shapely.transform(g, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
        out[i] = abs(geod.geometry_area_perimeter(ll)[0])
    return out

"""Boundary-point coordinate TXT (界址点坐标), the land-approval exchange format.

A file has a key=value header section ``[属性描述]`` (optionally preceded by ``[项目信息]``)
and a ``[地块坐标]`` section holding parcels. Each parcel starts with an attribute line
ending in ``@``::

    5,1.2345,DK01,某光伏治沙地块,面,,光伏用地,,@
    J1,1,4681234.567,38512345.678
    ...

followed by point lines ``name,ring,X,Y`` where X is the northing and Y the zone-prefixed
easting (Chinese surveying convention). Real files deviate in many small ways (full-width
punctuation, GBK or UTF-8, swapped columns, wrong point counts, empty ``带号``); the reader
tolerates what it can recognise, warns about it with :class:`~ecogis.errors.EcogisWarning`,
and raises :class:`~ecogis.errors.DataSourceError` naming the file and line otherwise.

Nothing of a delivered file is lost on the way through a GIS layer and back: besides id,
name, map sheet and use, the reader keeps 地类编码 (the 8th column, ``dlbm``), leading and extra
columns of province variants (``lead``, ``extra``), the unit the area was written in
(``area_unit``: ``ha`` by the format, ``m2`` or ``mu`` when the numbers say so), and each
ring's surveyed point names, ring numbers and extra point columns (``txt_points``, JSON); the
writer puts them back. A file in Xian 1980 / Beijing 1954 is moved onto CGCS2000 with the
7 (or 4) parameters of its ``转换参数=`` line, and refused without them.

Only this module and :mod:`ecogis.cli` touch paths: :func:`parse_coord_txt` and
:func:`format_coord_txt` work on strings.
"""

from __future__ import annotations

import json
import math
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.validation import explain_validity

from ..errors import CRSError, DataSourceError, EcogisWarning, LayerError
from ..i18n import _
from ._atomic import atomic_path

__all__ = [
    "read_coord_txt",
    "parse_coord_txt",
    "write_coord_txt",
    "format_coord_txt",
    "encode_coord_txt",
    "cgcs2000_gk_epsg",
    "parcel_zones",
    "COLUMNS",
    "FIELD_NAMES",
]

#: output columns of the reader, in order (plus ``geometry``)
COLUMNS = [
    "parcel_id",
    "name",
    "geom_type",
    "sheet",
    "use",
    "dlbm",
    "area_ha_declared",
    "area_unit",
    "area_ha",
    "points_declared",
    "points",
    "line",
    "lead",
    "extra",
    "txt_points",
]

#: attribute-line column -> layer columns the writer takes it from, in order of preference
#: (the reader's names first, then the standard Chinese field names of delivered databases)
FIELD_NAMES = {
    "parcel_id": ("parcel_id", "DKBH", "site_id", "id", "ID", "BSM"),
    "name": ("name", "DKMC"),
    "sheet": ("sheet", "TFH"),
    "use": ("use", "DKYT"),
    "dlbm": ("dlbm", "DLBM"),
}

SECTION_COORDS = "地块坐标"
SECTION_HEADER = "属性描述"
SECTION_PROJECT = "项目信息"

# Full-width punctuation seen in real files, mapped to the ASCII the format prescribes.
# Names keep their own characters: only separators and numeric fields are normalised.
_SEPARATORS = str.maketrans(
    {
        "，": ",",
        "＠": "@",
        "＝": "=",
        "【": "[",
        "】": "]",
        "［": "[",
        "］": "]",
        "\u3000": " ",
        "\t": ",",
    }
)
# data lines: only the separators (a name such as 某项目【一期】 keeps its brackets)
_DATA_SEPARATORS = str.maketrans({"，": ",", "＠": "@", "\u3000": " ", "\t": ","})
# full-width digits, sign and point inside numbers (０-９ ． － ＋)
_FULLWIDTH_NUM = str.maketrans(
    {chr(0xFF10 + i): str(i) for i in range(10)} | {"．": ".", "－": "-", "＋": "+"}
)

_SECTION = re.compile(r"\[\s*(.+?)\s*\]")
_GEOM_TYPES = {"面", "线", "点", "polygon", "line", "point"}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_AREA = re.compile(
    r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(公顷|ha|hm2|hm²|平方米|m2|m²|㎡|亩)?\s*$", re.I
)
_AREA_TO_HA = {None: 1.0, "公顷": 1.0, "ha": 1.0, "hm2": 1.0, "hm²": 1.0, "亩": 1 / 15}
_AREA_TO_HA.update({"平方米": 1e-4, "m2": 1e-4, "m²": 1e-4, "㎡": 1e-4})
# written unit -> the unit recorded in ``area_unit``
_AREA_UNIT_NAMES = {None: "ha", "公顷": "ha", "ha": "ha", "hm2": "ha", "hm²": "ha", "亩": "mu"}
_AREA_UNIT_NAMES.update({"平方米": "m2", "m2": "m2", "m²": "m2", "㎡": "m2"})

#: how many examples a grouped warning lists before "... and N more"
_WARN_EXAMPLES = 8

_WRITER_HEADER = {
    "格式版本号": "1.01版本",
    "坐标系": "2000国家大地坐标系",
    "几度分带": "3",
    "投影类型": "高斯克吕格",
    "计量单位": "米",
    "带号": "",
    "精度": "0.01",
    "转换参数": ",,,,,,",
}
# keys the writer owns: they must describe the coordinates actually written
_WRITER_CRS_KEYS = ("坐标系", "几度分带", "投影类型", "计量单位", "带号")


# --------------------------------------------------------------------------- CRS helpers


def cgcs2000_gk_epsg(zone: int, *, width: int = 3, prefix: bool = True) -> int:
    """EPSG code of a CGCS2000 Gauss-Krüger zone.

    Parameters
    ----------
    zone : int
        Zone number: 25-45 for 3-degree zones, 13-23 for 6-degree zones.
    width : {3, 6}
        Zone width in degrees.
    prefix : bool
        True for the CRS whose eastings carry the zone number (false easting
        ``zone * 1e6 + 500000``), False for the plain 500 000 false easting.

    Returns
    -------
    int
        For example zone 38 -> 4526 (prefix) / 4547 (no prefix); 6-degree zone 20 -> 4498 / 4509.
    """
    from ..crs import gk_epsg

    return gk_epsg(zone, width=width, prefix=prefix)


def _zone_width_of_prefix(prefix: int) -> int | None:
    """3 or 6 from a zone-prefix number, None when it is no Chinese GK zone."""
    if 25 <= prefix <= 45:
        return 3
    if 13 <= prefix <= 23:
        return 6
    return None


def _datum_of(name: str) -> str | None:
    """'cgcs2000', 'xian80', 'beijing54', 'wgs84' or None (unrecognised) from a 坐标系 value."""
    n = name.replace(" ", "").lower()
    if "西安" in n or "xian" in n or "xi'an" in n or "c80" in n:
        return "xian80"
    if "北京" in n or "beijing" in n or "bj54" in n or n in {"54", "1954"}:
        return "beijing54"
    if "2000" in n or "cgcs" in n or "国家大地" in n:
        return "cgcs2000"
    if "wgs" in n:
        return "wgs84"
    return None


def _false_easting(crs: pyproj.CRS) -> float | None:
    op = crs.coordinate_operation
    if op is None:
        return None
    for p in op.params:
        if p.name.lower() == "false easting":
            return float(p.value)
    return None


def _int_in(text: str) -> int | None:
    """First integer in a header value: '38', '38带', '第38带', '3度' -> the number."""
    m = re.search(r"\d+", text.translate(_FULLWIDTH_NUM))
    if m:
        return int(m.group())
    for ch, v in (("三", 3), ("六", 6)):
        if ch in text:
            return v
    return None


# --------------------------------------------------------------------------- reading


@dataclass
class _Point:
    name: str
    ring: int
    x: float  # easting (after swap detection)
    y: float  # northing
    line: int
    extra: str = ""  # columns after Y (province variants: distance, stake ...), as written


@dataclass
class _Parcel:
    line: int
    raw: str
    tokens: list[str]
    points: list[_Point] = field(default_factory=list)


class _Warnings:
    """Collects warnings by kind so a file with 2 000 bad point counts gives one warning."""

    def __init__(self, source: str):
        self.source = source
        self.kinds: dict[str, list[str]] = {}
        self.heads: dict[str, str] = {}
        self.messages: list[str] = []

    def add(self, kind: str, message: str, *, head: str | None = None) -> None:
        """One case of ``kind``; ``head`` (said once, before the cases) explains them all."""
        self.kinds.setdefault(kind, []).append(message)
        if head is not None:
            self.heads[kind] = head

    def emit(self) -> list[str]:
        for kind, items in self.kinds.items():
            shown = "; ".join(items[:_WARN_EXAMPLES])
            if len(items) > _WARN_EXAMPLES:
                shown += _("; ... and {n} more").format(n=len(items) - _WARN_EXAMPLES)
            if kind in self.heads:
                shown = self.heads[kind].format(cases=shown)
            msg = f"{self.source}: {shown}"
            self.messages.append(msg)
            warnings.warn(msg, EcogisWarning, stacklevel=3)
        return self.messages


def _decode(data: bytes, path: str, encoding: str | None) -> tuple[str, str]:
    """Decode file bytes; return (text, encoding used)."""
    if encoding is not None:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise DataSourceError(
                _(
                    "{path}: cannot decode as {encoding!r} ({why}); pass encoding='gbk', "
                    "'gb18030' or 'utf-8-sig', or encoding=None to detect it"
                ).format(path=path, encoding=encoding, why=exc)
            ) from exc
    # Notepad's "Unicode" is UTF-16 with a BOM: recognisable, so accept it
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16"), "utf-16"
    # UTF-8 strictly first: GBK text is almost never valid UTF-8, the reverse often is
    try:
        return data.decode("utf-8-sig"), "utf-8-sig"
    except UnicodeDecodeError as exc_utf8:
        try:
            return data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise DataSourceError(
                _(
                    "{path}: line {line}: bytes {bytes!r} are neither UTF-8 ({why}) nor "
                    "GBK/GB18030; expected a text file in one of these encodings (pass "
                    "encoding= to force one)"
                ).format(
                    path=path,
                    line=line,
                    bytes=data[exc.start : exc.start + 4],
                    why=exc_utf8.reason,
                )
            ) from exc


def read_coord_txt(
    path: str | os.PathLike,
    *,
    encoding: str | None = None,
    crs: str | int | None = None,
) -> gpd.GeoDataFrame:
    """Read a boundary-point coordinate TXT (界址点坐标) into a GeoDataFrame of parcels.

    Parameters
    ----------
    path : str or os.PathLike
        The TXT file.
    encoding : str, optional
        Text encoding. None detects it: UTF-8 (with or without BOM) strictly first,
        then GB18030 (a superset of GBK).
    crs : str or int, optional
        CRS of the coordinates, overriding the header. Required for files in Xian 1980
        or Beijing 1954 (the reader refuses to guess a datum).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per parcel with the columns in :data:`COLUMNS` plus ``geometry``, in the
        zone-prefixed CGCS2000 Gauss-Krüger CRS of the file (EPSG:4526 for 3-degree zone 38).
        ``gdf.attrs["coordtxt"]`` holds the header, the other sections, the encoding, the
        zone, and the texts of every warning issued.

    Raises
    ------
    DataSourceError
        The file cannot be read, decoded or parsed (message names file and line).
    CRSError
        The datum is not CGCS2000 and no ``crs`` was given, or the zone cannot be determined.

    See Also
    --------
    parse_coord_txt : the same from a string, also returning the header.
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError as exc:
        raise DataSourceError(_("{path}: file not found").format(path=p)) from exc
    except OSError as exc:
        raise DataSourceError(
            _("{path}: cannot read ({why})").format(path=p, why=exc.strerror or exc)
        ) from exc
    text, used = _decode(data, str(p), encoding)
    gdf, _header = parse_coord_txt(text, source=str(p), crs=crs)
    gdf.attrs["coordtxt"]["encoding"] = used
    return gdf


def _split(line: str) -> list[str]:
    """Tokens of a data line; trailing empty tokens dropped."""
    s = line.translate(_DATA_SEPARATORS).strip()
    if "," in s:
        tokens = [t.strip() for t in s.split(",")]
    else:
        # some tools separate with blanks only
        tokens = s.split()
    while tokens and tokens[-1] == "":
        tokens.pop()
    return tokens


def _num(token: str) -> float | None:
    t = token if token.isascii() else token.translate(_FULLWIDTH_NUM).strip()
    if _NUMBER.match(t):
        return float(t)
    return None


def _area_ha(token: str) -> tuple[float, float, str | None, float] | None:
    """(hectares, rounding half-unit in ha, unit as written or None, number as written) from
    an area token such as '0.7655公顷'."""
    m = _AREA.match(token.translate(_FULLWIDTH_NUM))
    if not m:
        return None
    number, unit = m.group(1), m.group(2)
    unit = unit.lower() if unit and unit.isascii() else unit
    factor = _AREA_TO_HA[unit]
    decimals = len(number.split(".")[1]) if "." in number else 0
    return float(number) * factor, 0.5 * 10.0**-decimals * factor, unit, float(number)


def _is_int(token: str) -> bool:
    v = _num(token)
    return v is not None and v == int(v) and v >= 0


def _attribute_offset(tokens: list[str]) -> int | None:
    """Index of the point-count column in an attribute line.

    The standard line starts with the count; province variants put extra columns first.
    The geometry-type column (面) four places after the count anchors the guess, because
    leading extra columns are often numbers too.
    """
    best = None
    for o in range(0, min(4, max(len(tokens) - 1, 0))):
        if _is_int(tokens[o]) and (tokens[o + 1] == "" or _area_ha(tokens[o + 1]) is not None):
            if o + 4 < len(tokens) and tokens[o + 4].lower() in _GEOM_TYPES:
                return o
            if best is None:
                best = o
    return best


def _looks_like_attribute_line(tokens: list[str]) -> bool:
    """An attribute line whose ``@`` is missing: count, area, ..., geometry type 面."""
    o = _attribute_offset(tokens)
    return o is not None and o + 4 < len(tokens) and tokens[o + 4].lower() in _GEOM_TYPES


def parse_coord_txt(
    text: str,
    *,
    source: str = "<text>",
    crs: str | int | pyproj.CRS | None = None,
) -> tuple[gpd.GeoDataFrame, dict]:
    """Parse the text of a boundary-point coordinate TXT.

    Parameters
    ----------
    text : str
        Decoded file content (any line ends).
    source : str
        Name used in messages, usually the file path.
    crs : str, int or pyproj.CRS, optional
        CRS of the coordinates as written, overriding the header (see :func:`read_coord_txt`).

    Returns
    -------
    parcels : geopandas.GeoDataFrame
        As :func:`read_coord_txt`.
    header : dict
        The ``[属性描述]`` key/value pairs as written (values stripped).

    Notes
    -----
    Rings: ring number 1 is an outer ring; a ring numbered 2 or more that lies inside an
    outer ring is a hole, otherwise it becomes a separate part (MultiPolygon). Nesting
    decides, so both conventions seen in real files (every part numbered 1, or rings
    numbered 1, 2, 3 ... across parts) read the same. A ring number repeated after its
    ring has closed starts a new ring.

    Point counts: the declared count is accepted if it equals the number of point lines
    (as written, or once unclosed rings are closed) or the number of vertices without
    closing repeats; otherwise a warning is issued. The ``points`` column is the number
    of point lines as written.

    Areas: the format's unit is the hectare. A bare number that is more than 1 % off but
    matches the enclosed area in m² (or in 亩) was written in that unit: said once for the
    file, and recorded so (``area_ha_declared`` converted, ``area_unit``).

    Datums: ``坐标系`` naming Xian 1980 or Beijing 1954 needs ``crs`` (the coordinates are
    then read as they are) or parameters in ``转换参数=`` (7 Helmert numbers or 4 planar ones,
    see :class:`ecogis.crs.DatumTransform`): the parcels are then moved onto CGCS2000, in the
    same zone, with a warning. All-zero parameters are no parameters.
    """
    w = _Warnings(source)
    text = text.lstrip("\ufeff")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")

    sections: dict[str, dict[str, str]] = {}
    current: str | None = None
    coords_line: int | None = None
    parcels: list[_Parcel] = []
    stray_attribute_line: int | None = None

    for i, raw in enumerate(lines, start=1):
        s = raw.strip()
        if not s:
            continue
        # section headers; checked on the first character because this loop runs per point
        m = _SECTION.fullmatch(s.translate(_SEPARATORS)) if s[0] in "[【［" else None
        if m:
            current = m.group(1)
            if current == SECTION_COORDS:
                coords_line = i
            else:
                sections.setdefault(current, {})
            continue
        if current != SECTION_COORDS:
            tokens = _split(raw)
            if tokens and tokens[-1] == "@" and stray_attribute_line is None:
                stray_attribute_line = i
            if current is None:
                w.add(
                    "outside",
                    _("line {line}: text before any [section] ignored: {raw!r}").format(
                        line=i, raw=raw.strip()
                    ),
                )
                continue
            kv = raw.strip().replace("＝", "=")
            key, sep, value = kv.partition("=")
            if not sep:
                key, sep, value = kv.replace("：", ":").partition(":")
            if not sep:
                w.add(
                    "header",
                    _("line {line}: [{section}] line without '=' ignored: {raw!r}").format(
                        line=i, section=current, raw=raw.strip()
                    ),
                )
                continue
            sections[current][key.strip()] = value.strip()
            continue

        tokens = _split(raw)
        if not tokens:  # a line of commas only
            continue
        if tokens[-1] == "@":
            parcels.append(_Parcel(line=i, raw=raw.strip(), tokens=tokens[:-1]))
            continue
        point = _parse_point(tokens, i, raw, source)
        if point is None:
            if _looks_like_attribute_line(tokens):
                w.add(
                    "no_at",
                    _(
                        "line {line}: parcel attribute line without the closing '@' read as a "
                        "parcel start"
                    ).format(line=i),
                )
                parcels.append(_Parcel(line=i, raw=raw.strip(), tokens=tokens))
                continue
            raise DataSourceError(
                _(
                    "{source}: line {line}: cannot read {raw!r}; expected a point line "
                    "'name,ring,X,Y' (for example 'J1,1,4681234.567,38512345.678') or a parcel "
                    "attribute line ending in ',@'"
                ).format(source=source, line=i, raw=raw.strip())
            )
        if not parcels:
            raise DataSourceError(
                _(
                    "{source}: line {line}: point {raw!r} comes before any parcel attribute "
                    "line; expected a line such as '5,1.2345,DK01,name,面,,use,,@' first"
                ).format(source=source, line=i, raw=raw.strip())
            )
        parcels[-1].points.append(point)

    if coords_line is None:
        found = ", ".join(f"[{k}]" for k in sections) or _("none")
        hint = ""
        if stray_attribute_line is not None:
            hint = _("; line {line} looks like a parcel attribute line").format(
                line=stray_attribute_line
            )
        raise DataSourceError(
            _(
                "{source}: no [{section}] section (sections found: {found}){hint}; expected a "
                "line '[{section}]' before the parcels"
            ).format(source=source, section=SECTION_COORDS, found=found, hint=hint)
        )
    if not parcels:
        raise DataSourceError(
            _(
                "{source}: line {line}: the [{section}] section holds no parcels; expected "
                "attribute lines ending in '@' followed by point lines"
            ).format(source=source, line=coords_line, section=SECTION_COORDS)
        )

    header = dict(sections.get(SECTION_HEADER, {}))
    _orient_axes(parcels, source, w)
    target_crs, zone_info = _resolve_crs(parcels, header, source, crs, w)

    rows = [_build_parcel(p, source, w) for p in parcels]
    gdf = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=[*COLUMNS, "geometry"]), geometry="geometry", crs=target_crs
    )
    gdf["points_declared"] = gdf["points_declared"].astype("Int64")
    gdf["points"] = gdf["points"].astype("int64")
    gdf["line"] = gdf["line"].astype("int64")
    messages = w.emit()
    transform = zone_info.get("transform")
    if transform is not None:
        # the file names its datum and its parameters: the parcels move onto CGCS2000, in the
        # same zone (the datum change is announced by the transformation itself)
        gdf = transform.apply(gdf, name=source)
        epsg = cgcs2000_gk_epsg(
            zone_info["zone"],
            width=zone_info["zone_width"],
            prefix=zone_info["zone_prefix"] is not None,
        )
        gdf = gdf.to_crs(epsg)
        gdf["area_ha"] = gdf.geometry.area / 1e4
        zone_info["epsg"] = epsg
    gdf.attrs["coordtxt"] = {
        "source": source,
        "header": header,
        "sections": sections,
        "warnings": messages,
        **zone_info,
    }
    return gdf, header


def _parse_point(tokens: list[str], i: int, raw: str, source: str) -> _Point | None:
    """A point line, or None when the line is not shaped like one at all."""
    if len(tokens) > 4 and _looks_like_attribute_line(tokens):
        return None  # '5,1,2,3,面,...': numeric id and name, but an attribute line
    if len(tokens) < 4:
        # 'J1,1,4681234.567' is a broken point line, not something else
        if len(tokens) >= 2 and _is_int(tokens[1]) and all(_num(t) is not None for t in tokens[2:]):
            raise DataSourceError(
                _(
                    "{source}: line {line}: point line {raw!r} has {n} columns; expected at "
                    "least 4: name,ring,X,Y"
                ).format(source=source, line=i, raw=raw.strip(), n=len(tokens))
            )
        return None
    ring = _num(tokens[1])
    a, b = _num(tokens[2]), _num(tokens[3])
    if ring is None or ring != int(ring):
        if _looks_like_attribute_line(tokens):
            return None
        if a is not None or b is not None:
            raise DataSourceError(
                _(
                    "{source}: line {line}: ring number {ring!r} in {raw!r} is not a whole "
                    "number; expected 1 (outer ring) or 2, 3, ... (holes)"
                ).format(source=source, line=i, ring=tokens[1], raw=raw.strip())
            )
        return None
    if a is None or b is None:
        if _looks_like_attribute_line(tokens):
            return None
        bad = tokens[2] if a is None else tokens[3]
        raise DataSourceError(
            _(
                "{source}: line {line}: coordinate {bad!r} in {raw!r} is not a number; expected "
                "name,ring,X,Y with X (northing) and Y (easting) in metres"
            ).format(source=source, line=i, bad=bad, raw=raw.strip())
        )
    if not (math.isfinite(a) and math.isfinite(b)):
        raise DataSourceError(
            _("{source}: line {line}: coordinate in {raw!r} is not finite").format(
                source=source, line=i, raw=raw.strip()
            )
        )
    # stored as read (X=northing in y, Y=easting in x); _orient_axes swaps when needed
    return _Point(name=tokens[0], ring=int(ring), x=b, y=a, line=i, extra=",".join(tokens[4:]))


def _orient_axes(parcels: list[_Parcel], source: str, w: _Warnings) -> None:
    """Detect files that list the easting first, by the easting's zone prefix (>= 1e7)."""
    pts = [p for parcel in parcels for p in parcel.points]
    standard = [p for p in pts if p.x >= 1e7 > p.y]
    swapped = [p for p in pts if p.y >= 1e7 > p.x]
    if not standard and not swapped:
        # no zone prefix: plain eastings stay below 1e6, northings in China above it
        standard = [p for p in pts if p.x < 1e6 <= p.y]
        swapped = [p for p in pts if p.y < 1e6 <= p.x]
        if standard:
            return  # ambiguous points (far south) follow the file's stated order
    if standard and swapped:
        first = swapped[0] if len(swapped) < len(standard) else standard[0]
        raise DataSourceError(
            _(
                "{source}: line {line}: the easting is in a different column than on line "
                "{other}; expected every point line in the same order "
                "name,ring,X(northing),Y(easting)"
            ).format(
                source=source,
                line=first.line,
                other=(standard if first in swapped else swapped)[0].line,
            )
        )
    if swapped:
        for p in swapped:
            p.x, p.y = p.y, p.x
        w.add(
            "swap",
            _(
                "columns 3 and 4 hold easting,northing (line {line}: the easting, recognised by "
                "its size, comes first) instead of X(northing),Y(easting); read them swapped"
            ).format(line=swapped[0].line),
        )


def _resolve_crs(
    parcels: list[_Parcel],
    header: dict[str, str],
    source: str,
    crs,
    w: _Warnings,
) -> tuple[pyproj.CRS, dict]:
    """The CRS the coordinates are written in, and what the file says about its zone.

    ``info["transform"]`` is the header's ``转换参数`` (a :class:`ecogis.crs.DatumTransform`)
    when the file is in Xian 1980 / Beijing 1954 and gives them: the parcels are then moved
    onto CGCS2000 by the caller.
    """
    pts = [p for parcel in parcels for p in parcel.points]
    if not pts:
        raise DataSourceError(
            _(
                "{source}: line {line}: parcel {raw!r} has no points; expected point lines "
                "'name,ring,X,Y' after it"
            ).format(source=source, line=parcels[0].line, raw=parcels[0].raw)
        )
    prefixes: dict[int, int] = {}  # zone prefix -> first line using it
    for p in pts:
        if p.x >= 1e7:
            prefixes.setdefault(int(p.x // 1e6), p.line)
    if len(prefixes) > 1:
        listed = ", ".join(
            _("{zone} (line {line})").format(zone=z, line=ln) for z, ln in prefixes.items()
        )
        raise CRSError(
            _(
                "{source}: eastings carry different zone prefixes: {listed}; expected one zone "
                "per file (split the file or reproject the parcels into one zone)"
            ).format(source=source, listed=listed)
        )
    prefix = next(iter(prefixes), None)

    declared_zone = _int_in(header.get("带号", "")) if header.get("带号", "").strip() else None
    declared_width = (
        _int_in(header.get("几度分带", "")) if header.get("几度分带", "").strip() else None
    )
    info = {
        "zone": prefix if prefix is not None else declared_zone,
        "zone_declared": declared_zone,
        "zone_prefix": prefix,
        "zone_width": None,
        "epsg": None,
        "transform": None,
    }

    if crs is not None:
        try:
            target = pyproj.CRS.from_user_input(crs)
        except pyproj.exceptions.CRSError as exc:
            raise CRSError(
                _("{source}: crs={crs!r} is not a CRS pyproj understands ({why})").format(
                    source=source, crs=crs, why=exc
                )
            ) from exc
        fe = _false_easting(target)
        if prefix is not None and fe is not None and int(fe // 1e6) != prefix:
            w.add(
                "crs_prefix",
                _(
                    "eastings carry zone prefix {prefix} but crs={crs!r} ({name}) has false "
                    "easting {fe:.0f}; coordinates are used as written"
                ).format(prefix=prefix, crs=crs, name=target.name, fe=fe),
            )
        info["epsg"] = target.to_epsg()
        return target, info

    if prefix is None and any(p.x >= 1e6 for p in pts):
        # neither a prefixed easting nor a plain one (< 1e6): the columns make no sense
        bad = next(p for p in pts if p.x >= 1e6)
        raise CRSError(
            _(
                "{source}: line {line}: easting {x:.3f} is neither zone-prefixed "
                "(>= 10 000 000) nor a plain Gauss-Krüger easting (< 1 000 000)"
            ).format(source=source, line=bad.line, x=bad.x)
        )
    if prefix is not None and len(pts) != sum(p.x >= 1e7 for p in pts):
        bad = next(p for p in pts if p.x < 1e7)
        raise CRSError(
            _(
                "{source}: line {line}: easting {x:.3f} has no zone prefix while line {first} has "
                "prefix {prefix}; expected the same form on every point line"
            ).format(source=source, line=bad.line, x=bad.x, first=prefixes[prefix], prefix=prefix)
        )

    system = header.get("坐标系", "").strip()
    datum = _datum_of(system) if system else None
    if not system:
        w.add(
            "datum",
            _(
                "坐标系 is missing or empty; read as 2000国家大地坐标系 (CGCS2000) — pass crs= "
                "if the file uses another datum"
            ),
        )
        datum = "cgcs2000"
    elif datum == "wgs84":
        raise CRSError(
            _(
                "{source}: 坐标系={system!r} is WGS 84, not CGCS2000; ecogis does not assume a "
                "datum: pass crs= (the CRS of these coordinates) to read it"
            ).format(source=source, system=system)
        )
    elif datum is None:
        raise CRSError(
            _(
                "{source}: 坐标系={system!r} is not recognised; expected 2000国家大地坐标系 "
                "(CGCS2000), or pass crs= with the CRS of these coordinates"
            ).format(source=source, system=system)
        )

    units = header.get("计量单位", "").strip()
    if units and units.lower() not in {"米", "m", "metre", "meter", "metres", "meters", "公尺"}:
        raise DataSourceError(
            _("{source}: 计量单位={units!r}; expected 米 (coordinates in metres)").format(
                source=source, units=units
            )
        )
    projection = header.get("投影类型", "").strip()
    if projection and not re.search(r"高斯|gauss|gk|横轴墨卡托|tm", projection, re.I):
        w.add(
            "projection",
            _(
                "投影类型={projection!r} is not Gauss-Krüger (高斯克吕格); coordinates are read as "
                "Gauss-Krüger"
            ).format(projection=projection),
        )

    if prefix is not None:
        width = _zone_width_of_prefix(prefix)
        if width is None:
            raise CRSError(
                _(
                    "{source}: line {line}: easting prefix {prefix} is not a Chinese "
                    "Gauss-Krüger zone; expected 25-45 (3-degree) or 13-23 (6-degree)"
                ).format(source=source, line=prefixes[prefix], prefix=prefix)
            )
        if declared_width is not None and declared_width != width:
            w.add(
                "width",
                _(
                    "几度分带={declared!r} but the easting prefix {prefix} is a {width}-degree "
                    "zone; used {width}-degree zone {prefix}"
                ).format(declared=header["几度分带"], prefix=prefix, width=width),
            )
        if declared_zone is not None and declared_zone != prefix:
            w.add(
                "zone",
                _(
                    "带号={declared!r} disagrees with the easting zone prefix {prefix} (line "
                    "{line}); used zone {prefix} from the coordinates (EPSG:{epsg}), not zone "
                    "{zone}"
                ).format(
                    declared=header["带号"],
                    prefix=prefix,
                    line=prefixes[prefix],
                    epsg=cgcs2000_gk_epsg(prefix, width=width),
                    zone=declared_zone,
                ),
            )
        zone, prefixed = prefix, True
    else:
        # plain eastings: only the header can say which zone
        if declared_zone is None:
            raise CRSError(
                _(
                    "{source}: eastings have no zone prefix and 带号 is empty; pass crs= "
                    "(for example EPSG:4547 for CGCS2000 3-degree CM 114°E)"
                ).format(source=source)
            )
        width = declared_width or _zone_width_of_prefix(declared_zone)
        if width not in (3, 6) or _zone_width_of_prefix(declared_zone) not in (width, None):
            raise CRSError(
                _(
                    "{source}: 带号={zone!r} with 几度分带={width!r} is no Chinese Gauss-Krüger "
                    "zone; expected 3-degree zones 25-45 or 6-degree zones 13-23"
                ).format(source=source, zone=header.get("带号"), width=header.get("几度分带"))
            )
        zone, prefixed = declared_zone, False
    from ..crs import gk_epsg

    try:
        epsg = gk_epsg(zone, width=width, prefix=prefixed, datum=datum)
    except CRSError as exc:
        raise CRSError(f"{source}: {exc}") from None
    if datum != "cgcs2000":
        info["transform"] = _header_transform(header, source, system, datum, epsg)
        info["datum"] = datum
    info.update(zone=zone, zone_width=width, epsg=epsg)
    return pyproj.CRS.from_epsg(epsg), info


_DATUM_LABELS = {"xian80": "Xian 1980", "beijing54": "Beijing 1954"}


def _header_transform(header: dict, source: str, system: str, datum: str, epsg: int):
    """The 转换参数 of a Xian 1980 / Beijing 1954 file, or CRSError saying what to do."""
    from ..crs import parse_transform

    raw = header.get("转换参数", "").strip()
    numbers = [t for t in re.split(r"[,，;；\s]+", raw) if t]
    why = None
    if not numbers:
        why = _("转换参数 is empty")
    else:
        try:
            return parse_transform(
                raw, key="转换参数", source=_("转换参数 of {source}").format(source=source)
            )
        except CRSError as exc:
            why = str(exc)
    raise CRSError(
        _(
            "{source}: 坐标系={system!r} is {datum}, not CGCS2000, and {why}; ecogis never "
            "changes a datum without its parameters (PROJ's 'ballpark' shift is off by tens of "
            "metres): put the 7 (or 4) parameters into 转换参数=, or pass crs= / --crs "
            "EPSG:{epsg} (the CRS of these coordinates) to read them in {datum} as they are, "
            "with --transform to convert them"
        ).format(source=source, system=system, datum=_DATUM_LABELS[datum], why=why, epsg=epsg)
    )


def _split_rings(points: list[_Point]) -> list[list[_Point]]:
    """Rings in file order: a new ring starts when the ring number changes or the
    current ring has closed (its first point repeated)."""
    rings: list[list[_Point]] = []
    for p in points:
        if rings:
            cur = rings[-1]
            closed = len(cur) >= 4 and (cur[-1].x, cur[-1].y) == (cur[0].x, cur[0].y)
            if cur[0].ring == p.ring and not closed:
                cur.append(p)
                continue
        rings.append([p])
    return rings


def _build_parcel(parcel: _Parcel, source: str, w: _Warnings) -> dict:
    tokens = parcel.tokens
    o = _attribute_offset(tokens)
    if o is None:
        w.add(
            "attr",
            _(
                "line {line}: attribute line {raw!r} does not start with point count and area; "
                "columns read as id, name, ... from the third column"
            ).format(line=parcel.line, raw=parcel.raw),
        )
        o = 0
        declared_count, area, area_checked = None, None, False
    else:
        area_checked = True
        declared_count = int(_num(tokens[o])) if _num(tokens[o]) is not None else None
        area = _area_ha(tokens[o + 1]) if o + 1 < len(tokens) else None

    def col(k: int) -> str:
        return tokens[o + k] if o + k < len(tokens) else ""

    pid = col(2)
    label = _("parcel {pid} (line {line})").format(pid=pid or "?", line=parcel.line)
    if not parcel.points:
        raise DataSourceError(
            _(
                "{source}: line {line}: {label} has no point lines; expected lines "
                "'name,ring,X,Y' after its attribute line"
            ).format(source=source, line=parcel.line, label=label)
        )

    rings = []
    closed_here = 0  # rings the file left open
    for ring_pts in _split_rings(parcel.points):
        xy = [(p.x, p.y) for p in ring_pts]
        distinct = list(dict.fromkeys(xy))
        if len(distinct) < 3:
            raise DataSourceError(
                _(
                    "{source}: line {line}: ring {ring} of {label} has {n} distinct point(s); "
                    "expected at least 3 to form an area"
                ).format(
                    source=source,
                    line=ring_pts[0].line,
                    ring=ring_pts[0].ring,
                    label=label,
                    n=len(distinct),
                )
            )
        closing = None
        if xy[0] != xy[-1]:
            w.add(
                "unclosed",
                _(
                    "ring {ring} of {label} does not repeat its first point {name}; closed it"
                ).format(ring=ring_pts[0].ring, label=label, name=ring_pts[0].name),
            )
            xy.append(xy[0])
            closed_here += 1
            vertices = ring_pts
        else:
            closing, vertices = ring_pts[-1], ring_pts[:-1]
        # point names and extra columns as surveyed, so that writing the parcel back keeps them
        meta = {
            "ring": ring_pts[0].ring,
            "names": [p.name for p in vertices],
            "close": closing.name if closing is not None else None,
            "ccw": bool(shapely.is_ccw(shapely.linearrings(xy))),
        }
        if any(p.extra for p in ring_pts):
            meta["extra"] = [p.extra for p in vertices]
            meta["close_extra"] = closing.extra if closing is not None else ""
        rings.append((ring_pts[0].ring, xy, ring_pts[0].line, meta))

    geom, order = _assemble(rings, label, w)

    n_lines = len(parcel.points)
    n_vertices = sum(len(r[1]) - 1 for r in rings)
    # three conventions: lines as written, lines once every ring is closed, distinct vertices
    if declared_count is not None and declared_count not in (
        n_lines,
        n_lines + closed_here,
        n_vertices,
    ):
        w.add(
            "count",
            _(
                "{label} declares {declared} points but has {lines} point lines "
                "({vertices} without closing repeats)"
            ).format(label=label, declared=declared_count, lines=n_lines, vertices=n_vertices),
        )

    if not geom.is_valid:
        w.add(
            "invalid",
            _("{label} is not a valid polygon ({why}); kept as read").format(
                label=label, why=explain_validity(geom)
            ),
        )

    area_ha = geom.area / 1e4
    declared_ha = area[0] if area else math.nan
    unit = _AREA_UNIT_NAMES.get(area[2], area[2]) if area else None
    if area is None and area_checked and col(1):
        w.add(
            "area_text",
            _("{label}: area {value!r} is not a number; expected hectares").format(
                label=label, value=col(1)
            ),
        )
    if area is not None:
        tol = max(0.01 * area_ha, area[1])
        off_by = abs(declared_ha - area_ha)
        # a bare number is hectares by the format; some writers put m² (or mu) there
        written_in = None
        if off_by > tol and area[2] is None:
            number = area[3]
            for name, factor in (("m2", 1e-4), ("mu", 1 / 15)):
                half = 0.5 * 10.0 ** -_decimals(tokens[o + 1]) * factor
                if abs(number * factor - area_ha) <= max(0.01 * area_ha, half):
                    written_in = name
                    break
        if written_in is not None:
            declared_ha = area[3] * (1e-4 if written_in == "m2" else 1 / 15)
            unit = written_in
            head = (
                _(
                    "declared areas are written in m², not in hectares as the format says: "
                    "{cases}; read and recorded as m² (area_unit m2)"
                )
                if written_in == "m2"
                else _(
                    "declared areas are written in mu, not in hectares as the format says: "
                    "{cases}; read and recorded as mu (area_unit mu)"
                )
            )
            w.add("area_" + written_in, label, head=head)
        elif off_by > tol:
            off = (declared_ha - area_ha) / area_ha * 100 if area_ha else math.inf
            w.add(
                "area",
                _(
                    "{label} declares {declared:.4f} ha but its points enclose {computed:.4f} ha "
                    "({off:+.1f}%)"
                ).format(label=label, declared=declared_ha, computed=area_ha, off=off),
            )

    return {
        "parcel_id": pid,
        "name": col(3),
        "geom_type": col(4),
        "sheet": col(5),
        "use": col(6),
        "dlbm": col(7),
        "area_ha_declared": declared_ha,
        "area_unit": unit,
        "area_ha": area_ha,
        "points_declared": declared_count,
        "points": n_lines,
        "line": parcel.line,
        "lead": ",".join(tokens[:o]),
        "extra": ",".join(tokens[o + 8 :]),
        "txt_points": json.dumps([rings[k][3] for k in order], ensure_ascii=False),
        "geometry": geom,
    }


def _decimals(token: str) -> int:
    number = token.translate(_FULLWIDTH_NUM).strip()
    return len(number.split(".")[1]) if "." in number else 0


def _assemble(rings: list[tuple], label: str, w: _Warnings) -> tuple[Polygon | MultiPolygon, list]:
    """Polygon or MultiPolygon from rings by nesting depth (even depth = outer, odd = hole),
    and the positions of the rings in the geometry's order (each part's shell, its holes)."""
    shells = [Polygon(r[1]) for r in rings]
    n = len(rings)
    inside: list[list[int]] = [[] for _i in range(n)]  # rings that contain ring i
    if n > 1:
        for i in range(n):
            for j in range(n):
                if i != j and shells[j].covers(shells[i]):
                    # identical rings cover each other: the earlier one counts as outside
                    if shells[i].covers(shells[j]) and j > i:
                        continue
                    inside[i].append(j)
    depth = [len(c) for c in inside]
    outers = [i for i in range(n) if depth[i] % 2 == 0]
    holes: dict[int, list[int]] = {i: [] for i in outers}
    for i in range(n):
        if depth[i] % 2 == 1:
            parent = max(inside[i], key=lambda j: depth[j])
            holes[parent].append(i)
            if rings[i][0] == 1:
                w.add(
                    "ring_nesting",
                    _(
                        "ring 1 at line {line} of {label} lies inside another ring; read as a hole"
                    ).format(line=rings[i][2], label=label),
                )
    parts = [Polygon(rings[i][1], [rings[h][1] for h in holes[i]]) for i in outers]
    order = [k for i in outers for k in (i, *holes[i])]
    return (parts[0] if len(parts) == 1 else MultiPolygon(parts)), order


# --------------------------------------------------------------------------- writing


def _clean_field(value, what: str, w: list[str]) -> str:
    """A value for a comma-separated field: no separators, no line breaks."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = int(value)
    s = str(value)
    cleaned = re.sub(r"[\r\n]+", " ", s).replace(",", "、").replace("，", "、")
    if cleaned != s:
        w.append(
            _("{what} {value!r} holds a comma or line break; written as {cleaned!r}").format(
                what=what, value=s, cleaned=cleaned
            )
        )
    if cleaned.strip() == "@":
        w.append(
            _("{what} '@' would end the attribute line early; written as '＠'").format(what=what)
        )
        cleaned = "＠"
    return cleaned.strip()


def _clean_columns(value, what: str, w: list[str]) -> str:
    """Extra columns read from a TXT (``lead``, ``extra``: comma-separated as written), kept
    as columns; only line breaks and a lone ``@`` are removed."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    s = str(value)
    cleaned = re.sub(r"[\r\n]+", " ", s).replace("，", ",")
    parts = ["＠" if t.strip() == "@" else t.strip() for t in cleaned.split(",")]
    cleaned = ",".join(parts).strip(",")
    if cleaned != s.strip(","):
        w.append(
            _("{what} {value!r} holds a line break or '@'; written as {cleaned!r}").format(
                what=what, value=s, cleaned=cleaned
            )
        )
    return cleaned


def _header_conflicts(key: str, given: str, written: str) -> bool:
    """True when a caller's header value means something else than what is written."""
    given = given.strip()
    if not given:
        return False
    if key in ("带号", "几度分带"):
        return _int_in(given) != _int_in(written)
    if key == "坐标系":
        return _datum_of(given) != _datum_of(written)
    return False  # 投影类型 / 计量单位 spellings vary; the written value is always right


def _zone_of_lon(lon: float, width: int) -> int:
    if width == 6:
        return int(math.floor(lon / 6.0)) + 1
    return int(math.floor(lon / 3.0 + 0.5))


def parcel_zones(gdf: gpd.GeoDataFrame, *, width: int = 3, hint: str | None = None) -> pd.Series:
    """The Gauss-Krüger zone of each parcel's centre (3- or 6-degree), same index as ``gdf``.

    A boundary-point TXT holds one zone: parcels in several zones are written one file per
    zone (``ecogis convert`` does so). ``hint`` says how to give the datum transformation
    a layer in another datum than CGCS2000 needs (see :func:`ecogis.crs.check_datum`).
    """
    import shapely

    from ..crs import CGCS2000, reproject

    if width not in (3, 6):
        raise CRSError(
            _("zone width {width} is not allowed; expected 3 or 6 (degrees)").format(width=width)
        )
    geoms = gdf.geometry
    present = ~(geoms.isna() | geoms.is_empty)
    out = pd.Series(pd.NA, index=gdf.index, dtype="Int64")
    if not present.any():
        return out
    ll = reproject(gdf[present], CGCS2000, name=gdf.attrs.get("label"), hint=hint)
    # the centre of the parcel's box: a parcel straddling a zone edge goes where most of it is
    b = shapely.bounds(np.asarray(ll.geometry.values, dtype=object))
    lon = (b[:, 0] + b[:, 2]) / 2
    out[present.to_numpy()] = [_zone_of_lon(v, width) for v in lon]
    return out


def _column(cols, names: tuple[str, ...]) -> str | None:
    """The first of ``names`` among ``cols`` (exact, then ignoring case)."""
    for n in names:
        if n in cols:
            return n
    lower = {str(c).lower(): c for c in cols}
    for n in names:
        if n.lower() in lower:
            return lower[n.lower()]
    return None


def _ring_meta(value, pid: str, rings: list, warn: list[str]) -> list | None:
    """The point names of a parcel read from a TXT (``txt_points``), when they still fit
    its rings (same number of rings and of points per ring)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if not str(value).strip():
        return None
    try:
        meta = json.loads(str(value))
        ok = isinstance(meta, list) and all(
            isinstance(m, dict) and isinstance(m.get("names"), list) for m in meta
        )
    except (TypeError, ValueError):
        ok = False
    if not ok:
        warn.append(
            _(
                "parcel {pid}: its point names (txt_points) cannot be read (cut off by a "
                "shapefile's 254-byte text limit?); its points are named J1, J2, ..."
            ).format(pid=pid)
        )
        return None
    if len(meta) == len(rings):
        if all(len(m["names"]) == len(r.coords) - 1 for m, r in zip(meta, rings, strict=True)):
            return meta
    warn.append(
        _(
            "parcel {pid}: the point names read from a TXT (txt_points) do not fit its "
            "geometry any more (rings or points changed); its points are named J1, J2, ..."
        ).format(pid=pid)
    )
    return None


def _named_ring_lines(ring, meta: dict, ring_no: int) -> list[str]:
    """Point lines of a ring with the surveyed names (and extra columns) it was read with."""
    import shapely

    xy = list(ring.coords)[:-1]
    names = list(meta["names"])
    extras = list(meta.get("extra") or [""] * len(names))
    close_name = meta.get("close") or names[0]
    close_extra = meta.get("close_extra", "") if meta.get("close") else extras[0]
    if bool(shapely.is_ccw(shapely.linearrings(list(ring.coords)))) != bool(meta.get("ccw")):
        # a writer reversed the ring (shapefiles want clockwise shells): the first point stays
        names = [names[0], *names[:0:-1]]
        extras = [extras[0], *extras[:0:-1]]
    number = meta.get("ring", ring_no)
    out = []
    for name, extra, (e, n) in zip(names, extras, xy, strict=True):
        out.append(f"{name},{number},{n:.3f},{e:.3f}" + (f",{extra}" if extra else ""))
    e, n = xy[0]
    out.append(
        f"{close_name},{number},{n:.3f},{e:.3f}" + (f",{close_extra}" if close_extra else "")
    )
    return out


def _ring_lines(coords, first_k: int, ring_no: int) -> list[str]:
    """Point lines of one ring (closed, first name repeated at the end)."""
    xy = list(coords)[:-1]  # shapely rings repeat the first point
    out = []
    for k, (e, n) in enumerate(xy):
        out.append(f"J{first_k + k},{ring_no},{n:.3f},{e:.3f}")
    e, n = xy[0]
    out.append(f"J{first_k},{ring_no},{n:.3f},{e:.3f}")
    return out


def format_coord_txt(
    gdf: gpd.GeoDataFrame,
    *,
    zone: int | None = None,
    width: int = 3,
    header: dict | None = None,
    id_field: str | None = None,
) -> str:
    """Format polygons as boundary-point coordinate TXT text.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Polygons or MultiPolygons in any CGCS2000 (or WGS 84) CRS; another datum needs its
        parameters first (:func:`ecogis.crs.reproject`). The attribute line takes the parcel
        id from ``id_field``, else ``parcel_id`` / ``DKBH`` / ``site_id`` / ``id`` / ``BSM``,
        else the 1-based row number; name, map sheet, use and land class from ``name`` /
        ``DKMC``, ``sheet`` / ``TFH``, ``use`` / ``DKYT``, ``dlbm`` / ``DLBM``
        (:data:`FIELD_NAMES`); ``lead`` and ``extra`` (columns of province variants, as read)
        are written back around them.
    zone : int, optional
        Gauss-Krüger zone to write in (3-degree 25-45, 6-degree 13-23). Default: the zone of
        the parcels' centres; parcels in several zones are refused (one file per zone: see
        :func:`parcel_zones`).
    width : {3, 6}
        Zone width in degrees (几度分带).
    header : dict, optional
        Extra or replacement ``[属性描述]`` entries (for example 数据产生单位, 数据产生日期).
        The CRS entries (坐标系, 几度分带, 投影类型, 计量单位, 带号) always describe what is
        written; a different value given for them is replaced, with a warning.
    id_field : str, optional
        The column with the parcel ids.

    Returns
    -------
    str
        The file text with ``\\n`` line ends (:func:`write_coord_txt` writes CRLF).

    Notes
    -----
    Point names: parcels read from a TXT keep their surveyed point names, ring numbers and
    extra point columns (column ``txt_points``) as long as their rings still have the same
    points. Otherwise each ring gets its own number within a parcel (1 for the first outer
    ring, then its holes, then the next part's outer ring ...), exterior rings run clockwise
    and holes anticlockwise, as surveyors number boundary points, and points are named J1..Jn
    per parcel. Each ring closes by repeating its first point and name. Coordinates have 3
    decimals (mm); the area column is in hectares.
    """
    from ..crs import reproject

    if gdf.crs is None:
        raise CRSError(_("cannot write a coordinate TXT: the layer has no CRS; set one first"))
    if width not in (3, 6):
        raise CRSError(
            _("zone width {width} is not allowed; expected 3 or 6 (degrees)").format(width=width)
        )
    geoms = gdf.geometry
    warn_msgs: list[str] = []
    bad = [
        i
        for i, g in enumerate(geoms)
        if g is not None and not g.is_empty and g.geom_type not in ("Polygon", "MultiPolygon")
    ]
    if bad:
        kinds = sorted({geoms.iloc[i].geom_type for i in bad})
        raise LayerError(
            _(
                "cannot write a coordinate TXT: rows {rows} hold {kinds}; expected Polygon or "
                "MultiPolygon"
            ).format(rows=", ".join(str(i + 1) for i in bad[:10]), kinds="/".join(kinds))
        )
    empty = [i for i, g in enumerate(geoms) if g is None or g.is_empty]
    if empty:
        warn_msgs.append(
            _("rows {rows} have empty geometries and are not written").format(
                rows=", ".join(str(i + 1) for i in empty[:10]) + (" ..." if len(empty) > 10 else "")
            )
        )
    positions = [i for i in range(len(gdf)) if i not in set(empty)]  # 0-based rows written
    keep = gdf.iloc[positions]
    if keep.empty:
        raise LayerError(_("cannot write a coordinate TXT: the layer has no polygons"))
    if id_field is not None and id_field not in keep.columns:
        cols = ", ".join(str(c) for c in keep.columns if c != keep.geometry.name)
        raise LayerError(
            _("--id-field {field!r} is not a column; columns: {cols}").format(
                field=id_field, cols=cols or _("(none)")
            )
        )

    if zone is None:
        zones = parcel_zones(keep, width=width)
        found = sorted(int(z) for z in zones.dropna().unique())
        if len(found) > 1:
            raise LayerError(
                _(
                    "cannot write one coordinate TXT: the parcels lie in {width}-degree zones "
                    "{zones}, and a file holds one zone; write one file per zone (ecogis convert "
                    "does) or give the zone to write all of them in"
                ).format(width=width, zones=", ".join(map(str, found)))
            )
        zone = found[0]
    epsg = cgcs2000_gk_epsg(int(zone), width=width, prefix=True)
    keep = reproject(
        keep,
        epsg,
        name=gdf.attrs.get("label") or _("the layer"),
        hint=_("give them with --transform (or transform: in the config) before writing a TXT"),
    )

    hdr = dict(_WRITER_HEADER)
    fixed = {
        "坐标系": hdr["坐标系"],
        "几度分带": str(width),
        "投影类型": hdr["投影类型"],
        "计量单位": "米",
        "带号": str(zone),
    }
    extra_keys: dict[str, str] = {}
    for k, v in (header or {}).items():
        k = str(k).strip()
        v = "" if v is None else str(v)
        if "\n" in v or "\r" in v or "\n" in k or "=" in k:
            raise LayerError(
                _(
                    "header key {key!r}: keys may not hold '=' or line breaks, values no line breaks"
                ).format(key=k)
            )
        if k in fixed:
            if _header_conflicts(k, v, fixed[k]):
                warn_msgs.append(
                    _(
                        "header {key}={given!r} replaced by {written!r} (the data are written in EPSG:{epsg})"
                    ).format(key=k, given=v, written=fixed[k], epsg=epsg)
                )
        elif k in hdr:
            hdr[k] = v
        else:
            extra_keys[k] = v
    hdr.update(fixed)
    out = ["[属性描述]", f"格式版本号={hdr.pop('格式版本号')}"]
    out += [f"{k}={v}" for k, v in extra_keys.items()]
    out += [f"{k}={v}" for k, v in hdr.items()]
    out.append(f"[{SECTION_COORDS}]")

    cols = keep.columns
    source_cols = {k: _column(cols, names) for k, names in FIELD_NAMES.items()}
    if id_field is not None:
        source_cols["parcel_id"] = id_field
    raw_geoms = np.asarray(keep.geometry.values, dtype=object)
    oriented = shapely.orient_polygons(raw_geoms, exterior_cw=True)
    for k_row, (pos, geom) in enumerate(zip(positions, oriented, strict=True)):
        row = keep.iloc[k_row]
        n_row = pos + 1
        id_col = source_cols["parcel_id"]
        pid = (
            _clean_field(row[id_col], _("row {n} parcel id").format(n=n_row), warn_msgs)
            if id_col
            else ""
        )
        if not pid:
            pid = str(n_row)
        attrs = {
            c: _clean_field(
                row[src], _("parcel {pid} {column}").format(pid=pid, column=src), warn_msgs
            )
            if src
            else ""
            for c, src in source_cols.items()
            if c != "parcel_id"
        }
        lead = (
            _clean_columns(row["lead"], _("parcel {pid} lead").format(pid=pid), warn_msgs)
            if "lead" in cols
            else ""
        )
        extra = (
            _clean_columns(row["extra"], _("parcel {pid} extra").format(pid=pid), warn_msgs)
            if "extra" in cols
            else ""
        )
        # the geometry as stored, when its surveyed names fit it; else clockwise, J1..Jn
        as_read = raw_geoms[k_row]
        read_rings = [r for part in _parts(as_read) for r in (part.exterior, *part.interiors)]
        meta = (
            _ring_meta(row["txt_points"], pid, read_rings, warn_msgs)
            if "txt_points" in cols
            else None
        )
        lines: list[str] = []
        if meta is not None:
            for ring_no, (ring, m) in enumerate(zip(read_rings, meta, strict=True), start=1):
                lines += _named_ring_lines(ring, m, ring_no)
        else:
            ring_no, next_k = 0, 1
            for part in _parts(geom):
                for ring in [part.exterior, *part.interiors]:
                    ring_no += 1
                    ring_lines = _ring_lines(ring.coords, next_k, ring_no)
                    next_k += len(ring_lines) - 1  # J numbers run on across the parcel's rings
                    lines += ring_lines
        area_ha = geom.area / 1e4
        line = (
            f"{len(lines)},{area_ha:.4f},{pid},{attrs['name']},面,{attrs['sheet']},"
            f"{attrs['use']},{attrs['dlbm']},"
        )
        if extra:
            line += f"{extra},"
        out.append((f"{lead}," if lead else "") + line + "@")
        out += lines
    for msg in warn_msgs:
        warnings.warn(msg, EcogisWarning, stacklevel=2)
    return "\n".join(out) + "\n"


def _parts(geom) -> list:
    return list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]


def write_coord_txt(
    gdf: gpd.GeoDataFrame,
    path: str | os.PathLike,
    *,
    zone: int | None = None,
    width: int = 3,
    header: dict | None = None,
    id_field: str | None = None,
    overwrite: bool = True,
    encoding: str = "gbk",
) -> Path:
    """Write polygons as a boundary-point coordinate TXT (CRLF line ends), atomically.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        See :func:`format_coord_txt`.
    path : str or os.PathLike
        Output file.
    zone, width, header, id_field
        See :func:`format_coord_txt`.
    overwrite : bool
        Replace an existing file (default True).
    encoding : str
        ``"gbk"`` (default, what approval systems expect), ``"gb18030"`` or ``"utf-8-sig"``.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    data = encode_coord_txt(
        gdf, path, zone=zone, width=width, header=header, id_field=id_field, encoding=encoding
    )
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def encode_coord_txt(
    gdf: gpd.GeoDataFrame,
    path: str | os.PathLike,
    *,
    zone: int | None = None,
    width: int = 3,
    header: dict | None = None,
    id_field: str | None = None,
    encoding: str = "gbk",
) -> bytes:
    """The bytes :func:`write_coord_txt` writes (CRLF, ``encoding``); ``path`` names the file
    in messages. For writers that place several files at once (one per zone)."""
    text = format_coord_txt(gdf, zone=zone, width=width, header=header, id_field=id_field)
    try:
        return text.replace("\n", "\r\n").encode(encoding)
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start : exc.end]
        line = exc.object[: exc.start].count("\n") + 1
        raise LayerError(
            _(
                "{path}: line {line}: {text!r} cannot be encoded as {encoding}; pass "
                "encoding='gb18030' or 'utf-8-sig'"
            ).format(path=path, line=line, text=bad, encoding=encoding)
        ) from exc
    except LookupError as exc:
        raise LayerError(
            _("{path}: unknown encoding {encoding!r}").format(path=path, encoding=encoding)
        ) from exc

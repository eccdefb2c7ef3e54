"""Raster tiles from an MBTiles file (SQLite), for a basemap embedded in an offline map.

MBTiles 1.x stores Web Mercator tiles in a table ``tiles(zoom_level, tile_column, tile_row,
tile_data)`` with TMS rows (row 0 at the south), and a ``metadata(name, value)`` table
(``format``, ``minzoom``, ``maxzoom``, ``attribution``...). Only raster tiles (png, jpg, webp)
can be drawn by Leaflet without a plugin; vector tiles (pbf) are refused.
"""

from __future__ import annotations

import math
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import LayerError
from ..i18n import _

__all__ = ["MBTiles", "read_mbtiles", "tile_range"]

_FORMATS = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}


@dataclass
class MBTiles:
    """Tiles read from an MBTiles file for one extent.

    Attributes
    ----------
    tiles : dict
        ``(z, x, y) -> bytes`` in XYZ numbering (row 0 at the north, as Leaflet asks).
    mime : str
        Media type of the tiles (``image/png``...).
    zooms : list of int
        Zoom levels included, all of their tiles in the extent.
    left_out : list of int
        Zoom levels of the file left out because they would pass the size cap.
    attribution : str
        The file's ``attribution`` metadata (plain text; empty when it has none).
    """

    tiles: dict[tuple[int, int, int], bytes] = field(default_factory=dict)
    mime: str = "image/png"
    zooms: list[int] = field(default_factory=list)
    left_out: list[int] = field(default_factory=list)
    attribution: str = ""
    name: str = ""

    @property
    def size(self) -> int:
        return sum(len(b) for b in self.tiles.values())


def tile_range(bounds: tuple[float, float, float, float], z: int) -> tuple[int, int, int, int]:
    """XYZ tile columns and rows ``(x0, x1, y0, y1)`` (inclusive) covering a lon/lat box."""
    n = 2**z
    lat_max = 85.0511287798

    def col(lon: float) -> int:
        return min(max(int((lon + 180.0) / 360.0 * n), 0), n - 1)

    def row(lat: float) -> int:
        lat = min(max(lat, -lat_max), lat_max)
        r = math.radians(lat)
        y = (1.0 - math.log(math.tan(r) + 1.0 / math.cos(r)) / math.pi) / 2.0 * n
        return min(max(int(y), 0), n - 1)

    min_lon, min_lat, max_lon, max_lat = bounds
    return col(min_lon), col(max_lon), row(max_lat), row(min_lat)


def read_mbtiles(
    path: str | os.PathLike,
    bounds: tuple[float, float, float, float],
    *,
    max_bytes: int,
    max_zoom: int | None = None,
) -> MBTiles:
    """The tiles of ``path`` that cover ``bounds`` (lon/lat), lowest zoom first, while they
    fit in ``max_bytes``: a zoom level is taken whole or not at all.

    Raises
    ------
    LayerError
        The file is missing, not an MBTiles database, or holds vector tiles.
    """
    path = Path(path)
    if not path.is_file():
        raise LayerError(
            _("{path}: MBTiles file not found (basemap mbtiles:FILE)").format(path=path)
        )
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise LayerError(
            _("{path}: cannot open as MBTiles: {reason}").format(path=path, reason=exc)
        ) from exc
    try:
        try:
            meta = dict(con.execute("SELECT name, value FROM metadata").fetchall())
            levels = [
                int(z) for (z,) in con.execute("SELECT DISTINCT zoom_level FROM tiles ORDER BY 1")
            ]
        except sqlite3.Error as exc:
            raise LayerError(
                _("{path}: not an MBTiles file (needs tables metadata and tiles): {reason}").format(
                    path=path, reason=exc
                )
            ) from exc
        fmt = str(meta.get("format") or "png").lower()
        if fmt not in _FORMATS:
            raise LayerError(
                _(
                    "{path}: tiles in format {format!r} cannot be drawn; a basemap needs "
                    "raster tiles ({allowed})"
                ).format(path=path, format=fmt, allowed=", ".join(_FORMATS))
            )
        out = MBTiles(
            mime=_FORMATS[fmt],
            attribution=str(meta.get("attribution") or ""),
            name=str(meta.get("name") or path.stem),
        )
        total = 0
        for z in levels:
            if max_zoom is not None and z > max_zoom:
                break
            if out.left_out:
                out.left_out.append(z)
                continue
            x0, x1, y0, y1 = tile_range(bounds, z)
            n = 2**z
            # MBTiles rows count from the south (TMS): XYZ row y is TMS row n - 1 - y
            rows = con.execute(
                "SELECT tile_column, tile_row, tile_data FROM tiles WHERE zoom_level = ? "
                "AND tile_column BETWEEN ? AND ? AND tile_row BETWEEN ? AND ?",
                (z, x0, x1, n - 1 - y1, n - 1 - y0),
            ).fetchall()
            size = sum(len(r[2] or b"") for r in rows)
            if total + size > max_bytes:
                if not out.zooms:
                    raise LayerError(
                        _(
                            "{path}: the tiles of zoom {zoom} over the map's extent take "
                            "{size:.1f} MB, more than the cap of {cap:.1f} MB; raise the cap "
                            "(--mbtiles-max-mb) or use a file with lower zoom levels"
                        ).format(path=path, zoom=z, size=size / 1e6, cap=max_bytes / 1e6)
                    )
                out.left_out.append(z)
                continue
            total += size
            out.zooms.append(z)
            for x, tms_row, data in rows:
                if data:
                    out.tiles[(z, int(x), n - 1 - int(tms_row))] = bytes(data)
        return out
    finally:
        con.close()

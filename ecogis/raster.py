"""Raster analysis: zonal statistics, slope from a DEM, NDVI change — one engine, two ways to read.

Pixels count as inside a geometry when their centre is inside (GDAL's default rasterisation).
Pixels under a geometry that are nodata or outside the raster are counted, never silently
treated as values: callers decide (screening turns "no data" into verdict ``unknown``).

The pixels under the geometries come from one of two readers, with the same pixels and values:

``window``
    Each geometry reads only the window under it (plus a margin for neighbourhood operations
    such as slope), so a county DEM or a region-wide NDVI mosaic never has to fit in memory.
``tiled``
    The raster is read once, tile by tile (:data:`TILE_PX`) over the geometries' extent, and
    each tile's pixels are assigned to the geometries under it; each pixel is read (and, for
    slope, computed) once however many geometries overlap it. Faster from a few dozen
    geometries on; ``method="auto"`` takes it from :data:`TILED_MIN_GEOMS` geometries.

Both feed the same per-geometry reduction: counts, sum/mean/min/max and :class:`Share` are
accumulated vectorised; any other statistic gets the 1-D array of the geometry's valid values.

Bounded memory: every read is at most a tile of :data:`TILE_PX` pixels a side (plus the pad),
whatever a geometry's size. A geometry with more than :data:`MAX_SITE_PIXELS` pixels under its
box (a 30 km site on a 1 m DEM, centimetre pixels from a drone) is read on coarser pixels
(``k x k`` pixels averaged, GDAL's resampled read), with a warning: its numbers are then
approximate, and the run stays within memory and minutes.

Slope needs metres: a DEM in degrees (ASTER GDEM, SRTM, Copernicus in EPSG:4326), in Web
Mercator (scale 1/cos(latitude)) or in a far zone is warped, window by window, to a square
grid in the working CRS (bilinear, the DEM's pixel area kept, anchored as
``gdalwarp -tr r r -tap``) before the slope is computed: see :func:`zonal_slope`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

import numpy as np

from .errors import CRSError, RuleError
from .i18n import _

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd
    import rasterio

__all__ = [
    "STATS",
    "METHODS",
    "TILED_MIN_GEOMS",
    "TILE_PX",
    "MAX_SITE_PIXELS",
    "Share",
    "zonal_stats",
    "zonal_classes",
    "slope_degrees",
    "zonal_slope",
    "ndvi_change",
    "warp_resolution",
    "needs_warp",
]


#: statistic name -> function of the 1-D array of valid pixel values under a geometry
STATS: dict[str, Callable[[np.ndarray], float]] = {
    "mean": lambda v: float(v.mean()) if v.size else float("nan"),
    "min": lambda v: float(v.min()) if v.size else float("nan"),
    "max": lambda v: float(v.max()) if v.size else float("nan"),
    "median": lambda v: float(np.median(v)) if v.size else float("nan"),
    "std": lambda v: float(v.std()) if v.size else float("nan"),
    "sum": lambda v: float(v.sum()),
}

#: the ``method`` values of :func:`zonal_stats`
METHODS = ("auto", "window", "tiled")
#: ``method="auto"`` reads tile by tile from this many geometries on (one window each below)
TILED_MIN_GEOMS = 20
#: tile side in pixels of every read (a float64 tile of 1024 x 1024 is 8 MB)
TILE_PX = 1024
#: a geometry with more pixels than this under its box is read on coarser pixels (a float64
#: window of this size would be 128 MB; tiles keep the memory far below that anyway)
MAX_SITE_PIXELS = 2**24


class Share:
    """Statistic: share of a geometry's valid values for which ``test`` holds (NaN without any).

    ``test`` is vectorised (array of values -> bool array). Unlike an arbitrary function in
    ``add_stats``, a ``Share`` is summed tile by tile without gathering each geometry's values.

    Examples
    --------
    >>> zonal_stats(geoms, dem, add_stats={"over_15": Share(lambda v: v > 15)})  # doctest: +SKIP
    """

    def __init__(self, test: Callable[[np.ndarray], np.ndarray]):
        self.test = test

    def __call__(self, v: np.ndarray) -> float:
        return float(np.asarray(self.test(v), dtype=bool).mean()) if v.size else float("nan")


# ---------------------------------------------------------------------------------------------
# grids: the pixels computed on — the raster's own, coarser ones, or warped to the working CRS
# ---------------------------------------------------------------------------------------------


class _Grid:
    """A grid of pixels over a raster band: ``read(col0, row0, ncols, nrows)`` gives float
    values with NaN for nodata and outside; ``transform`` places pixel (0, 0); ``crs``."""

    crs = None
    transform = None
    #: pixel side in the grid's units, for notes
    pixel: float = 0.0
    resampling = None

    def coarser(self, factor: int) -> _Grid:  # pragma: no cover - abstract
        raise NotImplementedError

    def read(self, col0: int, row0: int, ncols: int, nrows: int) -> np.ndarray:
        raise NotImplementedError  # pragma: no cover - abstract


class _NativeGrid(_Grid):
    """The raster's own pixels, or ``factor`` x ``factor`` of them read as one (averaged, or
    by ``resampling``) to bound memory."""

    def __init__(self, ds, band: int, factor: int = 1, resampling: str = "average"):
        from affine import Affine

        self.ds, self.band, self.factor, self.resampling = ds, band, int(factor), resampling
        self.crs = ds.crs
        self.transform = ds.transform @ Affine.scale(self.factor)
        self.pixel = float(abs(ds.transform.a)) * self.factor

    def coarser(self, factor: int) -> _NativeGrid:
        return _NativeGrid(self.ds, self.band, self.factor * factor, self.resampling)

    def read(self, col0: int, row0: int, ncols: int, nrows: int) -> np.ndarray:
        if self.factor == 1:
            return _read_window(self.ds, self.band, col0, row0, ncols, nrows)
        return _read_coarse(
            self.ds, self.band, self.factor, col0, row0, ncols, nrows, self.resampling
        )


class _WarpedGrid(_Grid):
    """Square pixels of ``pixel`` metres in the working CRS ``crs``, anchored at (0, 0) (as
    ``gdalwarp -tr pixel pixel -tap``), sampled from the raster on demand.

    Each pixel's centre is transformed exactly (pyproj) into the raster and its value
    interpolated bilinearly from the 2 x 2 raster pixels around it (nodata neighbours left
    out, the weights of the others renormalised): a pixel's value depends only on its own
    position, never on where a window or tile ends — as ``gdalwarp -r bilinear -et 0
    -wo XSCALE=1 -wo YSCALE=1``.
    """

    def __init__(self, ds, band: int, crs, pixel: float, resampling: str = "bilinear"):
        from affine import Affine
        from pyproj import Transformer

        self.ds, self.band, self.crs, self.pixel = ds, band, crs, float(pixel)
        self.resampling = resampling
        self.transform = Affine(self.pixel, 0.0, 0.0, 0.0, -self.pixel, 0.0)
        self._to_src = Transformer.from_crs(crs, ds.crs, always_xy=True)
        # the raster's pixel size in the grid's units: how much finer the source is
        self._src_pixel = warp_resolution(ds, crs)

    def coarser(self, factor: int) -> _WarpedGrid:
        return _WarpedGrid(self.ds, self.band, self.crs, self.pixel * factor, self.resampling)

    def read(self, col0: int, row0: int, ncols: int, nrows: int) -> np.ndarray:
        from affine import Affine

        ds = self.ds
        out = np.full((nrows, ncols), np.nan)
        cols, rows = np.meshgrid(np.arange(ncols) + 0.5, np.arange(nrows) + 0.5)
        dst_t = self.transform @ Affine.translation(col0, row0)
        xs, ys = dst_t * (cols.ravel(), rows.ravel())
        with np.errstate(invalid="ignore"):
            sx, sy = self._to_src.transform(xs, ys)
        sx, sy = np.asarray(sx), np.asarray(sy)
        # a source much finer than the grid (a coarser grid for a large site) is read
        # averaged, at about twice the grid's resolution: memory follows the grid, not the DEM
        factor = max(1, int(self.pixel / self._src_pixel / 2.0))
        src_t = ds.transform @ Affine.scale(factor)
        u, v = ~src_t * (sx, sy)
        ok = np.isfinite(u) & np.isfinite(v)
        if not ok.any():
            return out
        # bilinear between the four pixel centres around (u, v)
        u, v = u - 0.5, v - 0.5
        c = np.floor(np.where(ok, u, 0)).astype(np.int64)
        r = np.floor(np.where(ok, v, 0)).astype(np.int64)
        fu, fv = np.where(ok, u, 0) - c, np.where(ok, v, 0) - r
        cmin, rmin = int(c[ok].min()), int(r[ok].min())
        cmax, rmax = int(c[ok].max()) + 1, int(r[ok].max()) + 1
        width, height = -(-ds.width // factor), -(-ds.height // factor)
        if cmin >= width or rmin >= height or cmax < 0 or rmax < 0:
            return out
        nc, nr = cmax - cmin + 1, rmax - rmin + 1
        if factor > 1:
            src = _read_coarse(ds, self.band, factor, cmin, rmin, nc, nr, "average")
        else:
            src = _read_window(ds, self.band, cmin, rmin, nc, nr)
        total = np.zeros(c.shape)
        weight = np.zeros(c.shape)
        for dc, dr, w in (
            (0, 0, (1 - fu) * (1 - fv)),
            (1, 0, fu * (1 - fv)),
            (0, 1, (1 - fu) * fv),
            (1, 1, fu * fv),
        ):
            z = src[r - rmin + dr, c - cmin + dc]
            good = np.isfinite(z) & ok
            total[good] += w[good] * z[good]
            weight[good] += w[good]
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.where(weight > 1e-9, total / weight, np.nan)
        out[:] = value.reshape(nrows, ncols)
        return out


def _read_coarse(ds, band, factor, col0, row0, ncols, nrows, resampling) -> np.ndarray:
    """Pixels of ``factor`` x ``factor`` source pixels each (GDAL's resampled read); the
    frame is in coarse pixels, NaN outside and for nodata."""
    from rasterio import windows
    from rasterio.enums import Resampling

    data = np.full((nrows, ncols), np.nan)
    wmax, hmax = -(-ds.width // factor), -(-ds.height // factor)
    c0, r0 = max(col0, 0), max(row0, 0)
    c1, r1 = min(col0 + ncols, wmax), min(row0 + nrows, hmax)
    if c1 <= c0 or r1 <= r0:
        return data
    src = windows.Window(
        c0 * factor,
        r0 * factor,
        min(c1 * factor, ds.width) - c0 * factor,
        min(r1 * factor, ds.height) - r0 * factor,
    )
    part = ds.read(
        band,
        window=src,
        out_shape=(r1 - r0, c1 - c0),
        resampling=getattr(Resampling, resampling),
        masked=True,
    )
    data[r0 - row0 : r1 - row0, c0 - col0 : c1 - col0] = part.astype("float64").filled(np.nan)
    nodata = ds.nodatavals[band - 1] if ds.nodatavals else ds.nodata
    if nodata is not None and not np.isnan(nodata):
        data[data == nodata] = np.nan
    return data


def warp_resolution(ds, crs) -> float:
    """Pixel side (m, 4 significant digits) of the square grid a raster is warped to in
    ``crs``: the ground size of its centre pixel (the geometric mean of its width and height,
    so the pixel area is kept)."""
    from pyproj import Transformer

    c, r = ds.width / 2.0, ds.height / 2.0
    pts = [ds.transform * (c, r), ds.transform * (c + 1, r), ds.transform * (c, r + 1)]
    tr = Transformer.from_crs(ds.crs, crs, always_xy=True)
    xs, ys = tr.transform([p[0] for p in pts], [p[1] for p in pts])
    dx = math.hypot(xs[1] - xs[0], ys[1] - ys[0])
    dy = math.hypot(xs[2] - xs[0], ys[2] - ys[0])
    return float(f"{math.sqrt(dx * dy):.4g}")


def needs_warp(ds, crs) -> bool:
    """True when a neighbourhood operation (slope) on the raster's own pixels would be wrong in
    ``crs``: the raster is in degrees, or not in metres, or its scale at its centre differs
    from ``crs``'s by more than 0.1 % (Web Mercator: 1/cos(latitude), 36 % at 42.5°N)."""
    from pyproj import CRS, Proj, Transformer

    from .crs import is_metre_crs

    src = CRS.from_user_input(ds.crs)
    dst = CRS.from_user_input(crs)
    if src == dst:
        return False
    if not is_metre_crs(src):
        return True
    cx, cy = ds.transform * (ds.width / 2.0, ds.height / 2.0)
    lon, lat = Transformer.from_crs(src, src.geodetic_crs, always_xy=True).transform(cx, cy)
    fs, fd = Proj(src).get_factors(lon, lat), Proj(dst).get_factors(lon, lat)
    ratios = (
        fs.meridional_scale / fd.meridional_scale,
        fs.parallel_scale / fd.parallel_scale,
    )
    return any(not math.isfinite(r) or abs(r - 1.0) > 1e-3 for r in ratios)


def _window_of(grid: _Grid, geom, pad: int) -> tuple[int, int, int, int]:
    """(col0, row0, ncols, nrows) of the pixels under ``geom``'s box, ``pad`` pixels around."""
    from rasterio import windows

    win = windows.from_bounds(*geom.bounds, transform=grid.transform)
    win = win.round_offsets(op="floor").round_lengths(op="ceil")
    col0, row0 = int(win.col_off) - pad, int(win.row_off) - pad
    return col0, row0, int(win.width) + 1 + 2 * pad, int(win.height) + 1 + 2 * pad


# ---------------------------------------------------------------------------------------------
# pixel readers: yield (site, values, done) — values are float with NaN for nodata / outside
# ---------------------------------------------------------------------------------------------

_Chunk = tuple[np.ndarray, np.ndarray, np.ndarray]
_NO_SITE = np.zeros(0, dtype=np.int64)
_NO_VALUE = np.zeros(0, dtype="float64")


def _pixels(
    geoms: gpd.GeoSeries,
    ds: rasterio.DatasetReader,
    *,
    method: str,
    band: int,
    pad: int,
    window_fn: Callable[[np.ndarray, object], np.ndarray] | None,
    warp_to=None,
    resampling: str = "average",
) -> tuple[int, Iterator[_Chunk]]:
    """(number of geometries, chunks) for the geometries on the raster's grid (or, with
    ``warp_to``, on a grid in that CRS warped from the raster).

    Each chunk is ``(site, values, done)``: the position of each pixel's geometry, the pixel's
    value and the positions of the geometries that have all their pixels after this chunk.
    Empty and missing geometries are done at once, with no pixels. A geometry with more than
    :data:`MAX_SITE_PIXELS` pixels under its box is read on coarser pixels (``resampling``),
    with a warning; every read is at most a tile of :data:`TILE_PX` pixels a side.
    """
    import pandas as pd
    import shapely

    if method not in METHODS:
        raise RuleError(
            _("zonal statistics method {method!r} is unknown; allowed: {allowed}").format(
                method=method, allowed=", ".join(METHODS)
            )
        )
    if pad < 0:
        raise RuleError(
            _("zonal statistics pad {pad!r} is negative; allowed: 0 or more pixels").format(pad=pad)
        )
    from .crs import check_datum

    if warp_to is not None:
        grid: _Grid = _WarpedGrid(ds, band, warp_to, warp_resolution(ds, warp_to))
    else:
        grid = _NativeGrid(ds, band, resampling=resampling)
    if geoms.crs is not None and ds.crs is not None:
        # a raster on another datum would put every site in the wrong place (tens of metres)
        check_datum(
            geoms.crs,
            ds.crs,
            name=_("raster {name}").format(name=_raster_name(ds)),
            hint=_("reproject the raster to CGCS2000 with its published parameters first"),
        )
    g = (
        geoms.to_crs(grid.crs)
        if geoms.crs is not None and grid.crs is not None and geoms.crs != grid.crs
        else geoms
    )
    arr = np.asarray(g.geometry.values, dtype=object)
    missing = pd.isna(arr)
    empty = missing.copy()
    empty[~missing] = shapely.is_empty(arr[~missing].astype(object))
    ok = np.flatnonzero(~empty)
    # geometries too large for the pixels: a coarser grid each, said once
    factors = np.ones(len(arr), dtype=np.int64)
    for i in ok:
        ncols, nrows = _window_of(grid, arr[i], pad)[2:]
        n = float(ncols) * float(nrows)
        if n > MAX_SITE_PIXELS:
            factors[i] = int(math.ceil(math.sqrt(n / MAX_SITE_PIXELS)))
    big = ok[factors[ok] > 1]
    if len(big):
        _warn_coarse(ds, geoms.index[big].tolist(), grid, factors[big], resampling, warp_to)
    small = ok[factors[ok] == 1]
    if method == "auto":
        method = "tiled" if len(arr) >= TILED_MIN_GEOMS else "window"

    def chunks() -> Iterator[_Chunk]:
        if empty.any():
            yield _NO_SITE, _NO_VALUE, np.flatnonzero(empty)
        if len(small):
            reader = _tiled_chunks if method == "tiled" else _window_chunks
            yield from reader(arr, small, grid, pad=pad, window_fn=window_fn)
        for i in big:
            yield from _window_chunks(
                arr, np.array([i]), grid.coarser(int(factors[i])), pad=pad, window_fn=window_fn
            )

    return len(arr), chunks()


def _raster_name(ds) -> str:
    from pathlib import Path

    return Path(str(ds.name)).name


def _warn_coarse(ds, labels, grid: _Grid, factors, resampling: str, warp_to) -> None:
    from .errors import EcogisWarning

    shown = ", ".join(map(str, labels[:10])) + (" ..." if len(labels) > 10 else "")
    how = _("averaged") if resampling == "average" else _("most common value")
    warnings.warn(
        _(
            "raster {name}: {n} geometry(ies) (index {labels}) cover more than {limit:,} pixels "
            "of {pixel:g} m each; read on coarser pixels ({coarse} m, {how}) to bound memory: "
            "their statistics are approximate"
        ).format(
            name=_raster_name(ds),
            n=len(labels),
            labels=shown,
            limit=MAX_SITE_PIXELS,
            pixel=grid.pixel,
            coarse=", ".join(f"{grid.pixel * f:g}" for f in sorted(set(factors.tolist()))),
            how=how,
        ),
        EcogisWarning,
        stacklevel=4,
    )


def _tiles(col0: int, row0: int, ncols: int, nrows: int, tile: int):
    for r in range(row0, row0 + nrows, tile):
        for c in range(col0, col0 + ncols, tile):
            yield c, r, min(tile, col0 + ncols - c), min(tile, row0 + nrows - r)


def _window_chunks(arr, ok, grid: _Grid, *, pad, window_fn) -> Iterator[_Chunk]:
    """One window per geometry (plus ``pad`` pixels around it), read in tiles of at most
    :data:`TILE_PX` pixels a side, so memory is bounded whatever the geometry's size."""
    from affine import Affine
    from rasterio import features

    tile = max(int(TILE_PX), 1)
    for i in ok:
        geom = arr[i]
        col0, row0, ncols, nrows = _window_of(grid, geom, pad)
        # the core pixels (without the pad), in tiles
        for c, r, w, h in _tiles(col0 + pad, row0 + pad, ncols - 2 * pad, nrows - 2 * pad, tile):
            data = grid.read(c - pad, r - pad, w + 2 * pad, h + 2 * pad)
            if window_fn is not None:
                data = window_fn(data, grid.transform @ Affine.translation(c - pad, r - pad))
            core = data[pad : pad + h, pad : pad + w]
            inside = features.geometry_mask(
                [geom],
                out_shape=core.shape,
                transform=grid.transform @ Affine.translation(c, r),
                invert=True,
            )
            values = core[inside]
            if values.size:
                yield np.full(values.size, i, dtype=np.int64), values, _NO_SITE
        yield _NO_SITE, _NO_VALUE, np.array([i], dtype=np.int64)


def _colour_groups(geoms: np.ndarray) -> np.ndarray:
    """A group number per geometry such that no two geometries of a group intersect (greedy
    colouring), so each group can be burnt into one label grid without a pixel belonging to
    two geometries."""
    import shapely

    n = len(geoms)
    colour = np.zeros(n, dtype=np.int64)
    a, b = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = a != b
    a, b = a[keep], b[keep]
    if not len(a):
        return colour
    colour[:] = -1
    order = np.argsort(a, kind="stable")
    a, b = a[order], b[order]
    starts = np.searchsorted(a, np.arange(n + 1))
    for i in range(n):
        nb = b[starts[i] : starts[i + 1]]
        used = set(colour[nb].tolist())
        c = 0
        while c in used:
            c += 1
        colour[i] = c
    return colour


def _tiled_chunks(arr, ok, grid: _Grid, *, pad, window_fn) -> Iterator[_Chunk]:
    """The grid read tile by tile (tiles of :data:`TILE_PX` aligned to the geometries'
    extent), only the tiles under some geometry's box, ``pad`` pixels around each tile for
    ``window_fn`` (a neighbourhood of at most ``pad`` pixels, as slope's 3 x 3)."""
    import shapely
    from affine import Affine
    from rasterio import features, windows

    geoms = arr[ok]
    colour = _colour_groups(geoms)
    tree = shapely.STRtree(geoms)
    bounds = shapely.bounds(geoms)
    minx, miny = bounds[:, :2].min(axis=0)
    maxx, maxy = bounds[:, 2:].max(axis=0)
    full = windows.from_bounds(minx, miny, maxx, maxy, transform=grid.transform)
    full = full.round_offsets(op="floor").round_lengths(op="ceil")
    col0, row0 = int(full.col_off), int(full.row_off)
    tile = max(int(TILE_PX), 1)
    # the tiles under each geometry's box (a county of scattered sites on a fine raster has
    # far fewer of them than its extent)
    needed: dict[int, set[int]] = {}
    last_band = np.zeros(len(ok), dtype=np.int64)
    for k in range(len(ok)):
        c, r, w, h = _window_of(grid, geoms[k], 0)
        t_c0, t_c1 = (c - col0) // tile, (c + w - 1 - col0) // tile
        t_r0, t_r1 = (r - row0) // tile, (r + h - 1 - row0) // tile
        for tr in range(t_r0, t_r1 + 1):
            needed.setdefault(tr, set()).update(range(t_c0, t_c1 + 1))
        last_band[k] = t_r1
    for tr in sorted(needed):
        r = row0 + tr * tile
        for tc in sorted(needed[tr]):
            c = col0 + tc * tile
            ctransform = grid.transform @ Affine.translation(c, r)
            hits = tree.query(
                shapely.box(*windows.bounds(windows.Window(c, r, tile, tile), grid.transform)),
                predicate="intersects",
            )
            if not len(hits):
                continue
            data = grid.read(c - pad, r - pad, tile + 2 * pad, tile + 2 * pad)
            if window_fn is not None:
                data = window_fn(data, grid.transform @ Affine.translation(c - pad, r - pad))
            core = data[pad : pad + tile, pad : pad + tile]
            for col in np.unique(colour[hits]):
                sel = hits[colour[hits] == col]
                lab = features.rasterize(
                    zip(geoms[sel], sel.tolist(), strict=True),
                    out_shape=(tile, tile),
                    transform=ctransform,
                    fill=-1,
                    dtype="int32",
                )
                m = lab >= 0
                if m.any():
                    yield ok[lab[m]], core[m], _NO_SITE
        yield _NO_SITE, _NO_VALUE, ok[last_band == tr]


def _read_window(ds, band: int, col0: int, row0: int, ncols: int, nrows: int) -> np.ndarray:
    """Read a window that may reach past the raster's edge; outside pixels and nodata are NaN.

    Only the part inside the raster is read (no boundless VRT), then placed in a NaN frame.
    """
    from rasterio import windows

    data = np.full((nrows, ncols), np.nan)
    c0, r0 = max(col0, 0), max(row0, 0)
    c1, r1 = min(col0 + ncols, ds.width), min(row0 + nrows, ds.height)
    if c1 > c0 and r1 > r0:
        part = ds.read(band, window=windows.Window(c0, r0, c1 - c0, r1 - r0), masked=True)
        data[r0 - row0 : r1 - row0, c0 - col0 : c1 - col0] = part.astype("float64").filled(np.nan)
    nodata = ds.nodatavals[band - 1] if ds.nodatavals else ds.nodata
    if nodata is not None and not np.isnan(nodata):
        data[data == nodata] = np.nan
    return data


# ---------------------------------------------------------------------------------------------
# reductions
# ---------------------------------------------------------------------------------------------


def _span_bincount(site: np.ndarray, lo: int, m: int, weights=None) -> np.ndarray:
    return np.bincount(site - lo, weights=weights, minlength=m)


def zonal_stats(
    geoms: gpd.GeoSeries,
    ds: rasterio.DatasetReader,
    *,
    band: int = 1,
    stats: tuple[str, ...] = ("mean",),
    add_stats: Mapping[str, Callable[[np.ndarray], float]] | None = None,
    pad: int = 0,
    window_fn: Callable[[np.ndarray, object], np.ndarray] | None = None,
    method: str = "auto",
    progress: Callable[[int], None] | None = None,
    warp_to=None,
    resampling: str = "average",
) -> pd.DataFrame:
    """Statistics of raster values under each geometry.

    Parameters
    ----------
    geoms
        Polygons in any CRS (reprojected to the raster's); they may overlap.
    ds
        An open raster (``ecogis.io.raster.open_raster``).
    stats
        Names from :data:`STATS`; ``add_stats`` adds more (name -> function of the 1-D array
        of valid values; a :class:`Share` is accumulated without gathering the values).
    pad
        Extra pixels read around each window / tile (``window_fn`` needs neighbours).
    window_fn
        Applied to the padded window (float array with NaN for nodata) and its affine
        transform before masking: e.g. slope from elevation. It must be a neighbourhood
        operation of at most ``pad`` pixels, so that a pixel's result does not depend on
        where the window or tile ends.
    method
        ``"window"`` (one read per geometry), ``"tiled"`` (the raster read once, tile by tile)
        or ``"auto"`` (tiled from :data:`TILED_MIN_GEOMS` geometries on). Same numbers either
        way (sums may differ in the last bits: the pixels are added in another order).
    progress
        Called with the number of geometries finished, as they finish.
    warp_to
        Compute on a grid in this CRS warped from the raster (bilinear) instead of the
        raster's own pixels (see :func:`zonal_slope`).
    resampling
        How a geometry larger than :data:`MAX_SITE_PIXELS` pixels reads coarser pixels
        (``average``; ``mode`` for classes).

    Returns
    -------
    DataFrame
        One row per geometry (same index) with ``pixels`` (centres inside the geometry),
        ``valid`` (with data), ``nodata`` (nodata or outside the raster), and each statistic.

    Raises
    ------
    RuleError
        Unknown ``method`` or statistic name, or a negative ``pad``.
    """
    import pandas as pd

    unknown = [s for s in stats if s not in STATS]
    if unknown:
        raise RuleError(
            _(
                "zonal statistic {name!r} is unknown; allowed: {allowed} (or a function in "
                "add_stats)"
            ).format(name=unknown[0], allowed=", ".join(STATS))
        )
    funcs = {name: STATS[name] for name in stats}
    funcs.update(add_stats or {})
    n, chunks = _pixels(
        geoms,
        ds,
        method=method,
        band=band,
        pad=pad,
        window_fn=window_fn,
        warp_to=warp_to,
        resampling=resampling,
    )

    pixels, valid = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    builtin = {k: f for k, f in funcs.items() if any(f is STATS[s] for s in ("mean", "sum"))}
    total = np.zeros(n) if builtin else None
    lows = {k: np.full(n, np.inf) for k, f in funcs.items() if f is STATS["min"]}
    highs = {k: np.full(n, -np.inf) for k, f in funcs.items() if f is STATS["max"]}
    shares = {k: (f.test, np.zeros(n)) for k, f in funcs.items() if isinstance(f, Share)}
    gathered = {
        k: f
        for k, f in funcs.items()
        if k not in builtin and k not in lows and k not in highs and k not in shares
    }
    results = {k: np.full(n, np.nan) for k in gathered}
    pending: list[tuple[np.ndarray, np.ndarray]] = []

    for site, v, done in chunks:
        if site.size:
            lo = int(site.min())
            m = int(site.max()) - lo + 1
            pixels[lo : lo + m] += _span_bincount(site, lo, m)
            f = np.isfinite(v)
            site, v = site[f], v[f]
            if site.size:
                valid[lo : lo + m] += _span_bincount(site, lo, m)
                if total is not None:
                    total[lo : lo + m] += _span_bincount(site, lo, m, weights=v)
                for arr in lows.values():
                    np.minimum.at(arr, site, v)
                for arr in highs.values():
                    np.maximum.at(arr, site, v)
                for test, count in shares.values():
                    hit = np.asarray(test(v), dtype=bool)
                    count[lo : lo + m] += _span_bincount(site[hit], lo, m)
                if gathered:
                    pending.append((site, v))
        if len(done):
            if gathered:
                pending = _finish_gathered(pending, done, gathered, results)
            if progress is not None:
                progress(len(done))

    has = valid > 0
    cols: dict[str, np.ndarray] = {"pixels": pixels, "valid": valid, "nodata": pixels - valid}
    with np.errstate(divide="ignore", invalid="ignore"):
        for k, f in funcs.items():
            if k in builtin:
                cols[k] = total / valid if f is STATS["mean"] else total.copy()
                if f is STATS["mean"]:
                    cols[k][~has] = np.nan
            elif k in lows or k in highs:
                cols[k] = np.where(has, (lows.get(k) if k in lows else highs[k]), np.nan)
            elif k in shares:
                cols[k] = np.where(has, shares[k][1] / valid, np.nan)
            else:
                cols[k] = results[k]
    return pd.DataFrame(cols, index=geoms.index)


def _finish_gathered(pending, done, gathered, results):
    """Apply the gathered statistics to the geometries in ``done``; return what is left."""
    if pending:
        site = np.concatenate([p[0] for p in pending])
        v = np.concatenate([p[1] for p in pending])
    else:
        site, v = _NO_SITE, _NO_VALUE
    mine = np.isin(site, done)
    s, vals = site[mine], v[mine]
    order = np.argsort(s, kind="stable")
    s, vals = s[order], vals[order]
    done_sorted = np.sort(done)
    starts = np.searchsorted(s, done_sorted, side="left")
    ends = np.searchsorted(s, done_sorted, side="right")
    for i, a, b in zip(done_sorted.tolist(), starts.tolist(), ends.tolist(), strict=True):
        for k, fn in gathered.items():
            results[k][i] = fn(vals[a:b])
    rest = ~mine
    return [(site[rest], v[rest])] if rest.any() else []


def zonal_classes(
    geoms: gpd.GeoSeries,
    ds: rasterio.DatasetReader,
    bad: Callable[[np.ndarray], np.ndarray],
    *,
    band: int = 1,
    method: str = "auto",
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Class shares under each geometry in a class raster (land cover).

    Parameters
    ----------
    bad
        Vectorised test of class codes (array -> bool array): which classes count as bad.
    method
        As in :func:`zonal_stats`.

    Returns
    -------
    DataFrame
        Per geometry (same index): ``pixels``, ``valid``, ``nodata`` as in :func:`zonal_stats`;
        ``bad`` (share of valid pixels in a bad class, NaN without valid pixels), ``main`` (the
        most common bad class, smallest code on ties; NaN when none) and ``main_share`` (its
        share of the valid pixels; 0 when none).
    """
    import pandas as pd

    # classes are codes: a coarser read takes the most common one, never an average
    n, chunks = _pixels(
        geoms, ds, method=method, band=band, pad=0, window_fn=None, resampling="mode"
    )
    pixels, valid, nbad = np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64)
    pairs_site, pairs_code = [], []
    for site, v, done in chunks:
        if site.size:
            lo = int(site.min())
            m = int(site.max()) - lo + 1
            pixels[lo : lo + m] += _span_bincount(site, lo, m)
            f = np.isfinite(v)
            site, v = site[f], v[f]
            valid[lo : lo + m] += _span_bincount(site, lo, m)
            b = np.asarray(bad(v), dtype=bool)
            nbad[lo : lo + m] += _span_bincount(site[b], lo, m)
            pairs_site.append(site[b])
            pairs_code.append(v[b])
        if len(done) and progress is not None:
            progress(len(done))
    main, main_count = np.full(n, np.nan), np.zeros(n)
    if sum(len(p) for p in pairs_site):
        counts = (
            pd.DataFrame({"s": np.concatenate(pairs_site), "v": np.concatenate(pairs_code)})
            .value_counts()
            .reset_index(name="k")
            .sort_values(["s", "k", "v"], ascending=[True, False, True])
            .drop_duplicates("s")
        )
        main[counts["s"].to_numpy()] = counts["v"].to_numpy()
        main_count[counts["s"].to_numpy()] = counts["k"].to_numpy()
    has = valid > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        return pd.DataFrame(
            {
                "pixels": pixels,
                "valid": valid,
                "nodata": pixels - valid,
                "bad": np.where(has, nbad / valid, np.nan),
                "main": main,
                "main_share": np.where(has, main_count / valid, 0.0),
            },
            index=geoms.index,
        )


def slope_degrees(z: np.ndarray, transform) -> np.ndarray:
    """Slope in degrees by Horn's method (as ``gdaldem slope``); NaN at edges and next to nodata.

    ``transform`` is the window's affine transform; cell sizes must be in metres.
    """
    xres, yres = abs(transform.a), abs(transform.e)
    out = np.full(z.shape, np.nan)
    if z.shape[0] < 3 or z.shape[1] < 3:
        return out
    a, b, c = z[:-2, :-2], z[:-2, 1:-1], z[:-2, 2:]
    d, f = z[1:-1, :-2], z[1:-1, 2:]
    g, h, i = z[2:, :-2], z[2:, 1:-1], z[2:, 2:]
    dzdx = ((c + 2 * f + i) - (a + 2 * d + g)) / (8 * xres)
    dzdy = ((g + 2 * h + i) - (a + 2 * b + c)) / (8 * yres)
    out[1:-1, 1:-1] = np.degrees(np.arctan(np.hypot(dzdx, dzdy)))
    return out


def zonal_slope(
    geoms: gpd.GeoSeries,
    dem: rasterio.DatasetReader,
    *,
    max_deg: float,
    method: str = "auto",
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Per geometry: ``slope_mean_deg``, ``slope_max_deg`` and ``slope_share_over`` (share of
    valid pixels steeper than ``max_deg``), plus ``pixels`` / ``valid`` / ``nodata`` counts.

    Slope is Horn's (:func:`slope_degrees`) from the DEM pixel and its 8 neighbours, so pixels
    at the DEM's edge or next to nodata have no slope (counted as nodata). ``method`` as in
    :func:`zonal_stats`.

    The geometries' CRS is the working CRS (projected, metres). A DEM whose pixels are not
    metres there (:func:`needs_warp`: degrees, Web Mercator, a far zone) is warped window by
    window to a square grid of :func:`warp_resolution` metres in the working CRS (bilinear,
    anchored at multiples of the pixel size, as ``gdalwarp -r bilinear -tr r r -tap -et 0``),
    and the slope is computed on that grid: the same numbers as ``gdaldem slope`` on the DEM
    warped so. A DEM already in metres with the working CRS's scale is used as it is.

    Raises
    ------
    CRSError
        The geometries have no CRS or are not in a projected metre CRS (while the DEM needs
        warping).
    """
    from .crs import is_metre_crs

    work = geoms.crs
    warp_to = None
    if dem.crs is not None and (
        dem.crs.is_geographic or (work is not None and needs_warp(dem, work))
    ):
        if work is None or not is_metre_crs(work):
            raise CRSError(
                _(
                    "slope: the DEM {name} is not in metres and the sites are in {crs}; give "
                    "the sites in the projected working CRS (metres) so the DEM can be warped "
                    "to it"
                ).format(name=_raster_name(dem), crs=work.to_string() if work else _("no CRS"))
            )
        warp_to = work if needs_warp(dem, work) else None
    df = zonal_stats(
        geoms,
        dem,
        stats=("mean", "max"),
        add_stats={"share_over": Share(lambda v: v > max_deg)},
        pad=1,
        window_fn=slope_degrees,
        method=method,
        progress=progress,
        warp_to=warp_to,
    )
    return df.rename(
        columns={"mean": "slope_mean_deg", "max": "slope_max_deg", "share_over": "slope_share_over"}
    )


def ndvi_change(
    geoms: gpd.GeoSeries,
    before: rasterio.DatasetReader,
    after: rasterio.DatasetReader,
    *,
    method: str = "auto",
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Mean NDVI under each geometry in two rasters and the change (after - before).

    ``ndvi_valid_share`` is the smaller of the two rasters' shares of valid pixels. ``method``
    as in :func:`zonal_stats`; ``progress`` counts geometries of the second raster.
    """
    b = zonal_stats(geoms, before, stats=("mean",), method=method)
    a = zonal_stats(geoms, after, stats=("mean",), method=method, progress=progress)
    out = b[["mean"]].rename(columns={"mean": "ndvi_before"})
    out["ndvi_after"] = a["mean"]
    out["ndvi_change"] = out["ndvi_after"] - out["ndvi_before"]
    out["ndvi_valid_share"] = np.minimum(
        b["valid"] / b["pixels"].where(b["pixels"] > 0),
        a["valid"] / a["pixels"].where(a["pixels"] > 0),
    )
    return out

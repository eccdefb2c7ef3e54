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
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

import numpy as np

from .errors import CRSError, RuleError

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd
    import rasterio

__all__ = [
    "STATS",
    "METHODS",
    "TILED_MIN_GEOMS",
    "TILE_PX",
    "Share",
    "zonal_stats",
    "zonal_classes",
    "slope_degrees",
    "zonal_slope",
    "ndvi_change",
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
#: tile side in pixels for ``method="tiled"`` (a float64 tile of 1024 x 1024 is 8 MB)
TILE_PX = 1024


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
) -> tuple[int, Iterator[_Chunk]]:
    """(number of geometries, chunks) for the geometries reprojected to the raster's CRS.

    Each chunk is ``(site, values, done)``: the position of each pixel's geometry, the pixel's
    value and the positions of the geometries that have all their pixels after this chunk.
    Empty and missing geometries are done at once, with no pixels.
    """
    import pandas as pd
    import shapely

    if method not in METHODS:
        raise RuleError(f"zonal statistics method {method!r} is unknown; allowed: {METHODS}")
    if pad < 0:
        raise RuleError(f"zonal statistics pad {pad!r} is negative; allowed: 0 or more pixels")
    g = (
        geoms.to_crs(ds.crs)
        if geoms.crs is not None and ds.crs is not None and geoms.crs != ds.crs
        else geoms
    )
    arr = np.asarray(g.geometry.values, dtype=object)
    missing = pd.isna(arr)
    empty = missing.copy()
    empty[~missing] = shapely.is_empty(arr[~missing].astype(object))
    ok = np.flatnonzero(~empty)
    if method == "auto":
        method = "tiled" if len(arr) >= TILED_MIN_GEOMS else "window"
    reader = _tiled_chunks if method == "tiled" else _window_chunks

    def chunks() -> Iterator[_Chunk]:
        if empty.any():
            yield _NO_SITE, _NO_VALUE, np.flatnonzero(empty)
        if len(ok):
            yield from reader(arr, ok, ds, band=band, pad=pad, window_fn=window_fn)

    return len(arr), chunks()


def _window_chunks(arr, ok, ds, *, band, pad, window_fn) -> Iterator[_Chunk]:
    """One window read per geometry (plus ``pad`` pixels around it)."""
    from affine import Affine
    from rasterio import features, windows

    for i in ok:
        geom = arr[i]
        win = windows.from_bounds(*geom.bounds, transform=ds.transform)
        win = win.round_offsets(op="floor").round_lengths(op="ceil")
        col0, row0 = int(win.col_off) - pad, int(win.row_off) - pad
        ncols, nrows = int(win.width) + 1 + 2 * pad, int(win.height) + 1 + 2 * pad
        data = _read_window(ds, band, col0, row0, ncols, nrows)
        # window transform = dataset transform shifted by the window offset (affine 3 wants @)
        wtransform = ds.transform @ Affine.translation(col0, row0)
        if window_fn is not None:
            data = window_fn(data, wtransform)
        core = data[pad : nrows - pad, pad : ncols - pad]
        inside = features.geometry_mask(
            [geom],
            out_shape=core.shape,
            transform=ds.transform @ Affine.translation(col0 + pad, row0 + pad),
            invert=True,
        )
        values = core[inside]
        yield np.full(values.size, i, dtype=np.int64), values, np.array([i], dtype=np.int64)


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


def _tiled_chunks(arr, ok, ds, *, band, pad, window_fn) -> Iterator[_Chunk]:
    """The raster read tile by tile over the geometries' extent, ``pad`` pixels around each
    tile for ``window_fn`` (a neighbourhood of at most ``pad`` pixels, as slope's 3 x 3)."""
    import shapely
    from affine import Affine
    from rasterio import features, windows

    geoms = arr[ok]
    colour = _colour_groups(geoms)
    tree = shapely.STRtree(geoms)
    bounds = shapely.bounds(geoms)
    minx, miny = bounds[:, :2].min(axis=0)
    maxx, maxy = bounds[:, 2:].max(axis=0)
    full = windows.from_bounds(minx, miny, maxx, maxy, transform=ds.transform)
    full = full.round_offsets(op="floor").round_lengths(op="ceil")
    col0, row0 = int(full.col_off), int(full.row_off)
    width, height = int(full.width) + 1, int(full.height) + 1
    tile = max(int(TILE_PX), 1)
    row_starts = list(range(row0, row0 + height, tile))
    # a geometry is done after the last band of tiles that touches it
    last_band = np.full(len(ok), -1, dtype=np.int64)
    for tr, r in enumerate(row_starts):
        h = min(tile, row0 + height - r)
        band_box = shapely.box(*windows.bounds(windows.Window(col0, r, width, h), ds.transform))
        last_band[tree.query(band_box, predicate="intersects")] = tr
    for tr, r in enumerate(row_starts):
        h = min(tile, row0 + height - r)
        for c in range(col0, col0 + width, tile):
            w = min(tile, col0 + width - c)
            ctransform = ds.transform @ Affine.translation(c, r)
            hits = tree.query(
                shapely.box(*windows.bounds(windows.Window(c, r, w, h), ds.transform)),
                predicate="intersects",
            )
            if not len(hits):
                continue
            data = _read_window(ds, band, c - pad, r - pad, w + 2 * pad, h + 2 * pad)
            if window_fn is not None:
                data = window_fn(data, ds.transform @ Affine.translation(c - pad, r - pad))
            core = data[pad : pad + h, pad : pad + w]
            for col in np.unique(colour[hits]):
                sel = hits[colour[hits] == col]
                lab = features.rasterize(
                    zip(geoms[sel], sel.tolist(), strict=True),
                    out_shape=(h, w),
                    transform=ctransform,
                    fill=-1,
                    dtype="int32",
                )
                m = lab >= 0
                if m.any():
                    yield ok[lab[m]], core[m], _NO_SITE
        # geometries touching no band (cannot happen for the extent's own geometries) too
        done = (last_band == tr) | ((last_band < 0) & (tr == len(row_starts) - 1))
        yield _NO_SITE, _NO_VALUE, ok[done]


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
            f"zonal statistic {unknown[0]!r} is unknown; allowed: {', '.join(STATS)} "
            "(or a function in add_stats)"
        )
    funcs = {name: STATS[name] for name in stats}
    funcs.update(add_stats or {})
    n, chunks = _pixels(geoms, ds, method=method, band=band, pad=pad, window_fn=window_fn)

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

    n, chunks = _pixels(geoms, ds, method=method, band=band, pad=0, window_fn=None)
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

    Raises
    ------
    CRSError
        The DEM is in a geographic CRS (degrees).
    """
    if dem.crs is not None and dem.crs.is_geographic:
        raise CRSError(
            "DEM is in degrees (geographic CRS); slope needs metres — reproject the DEM, "
            "e.g. gdalwarp -t_srs EPSG:4547"
        )
    df = zonal_stats(
        geoms,
        dem,
        stats=("mean", "max"),
        add_stats={"share_over": Share(lambda v: v > max_deg)},
        pad=1,
        window_fn=slope_degrees,
        method=method,
        progress=progress,
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

"""Zonal statistics: ecogis.raster, both readers (one window per geometry, tile by tile).

The synthetic rasters (EPSG:4547, built in code) are 200 x 150 pixels of 10 m with the top-left
corner at (X0, Y0): a DEM that is the plane z = 0.1 x + 0.05 y with a nodata hole at rows
50-59 / columns 80-99, and a land-cover raster of class codes with nodata 0.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from shapely.geometry import Polygon, box

from ecogis import raster
from ecogis.errors import CRSError, RuleError
from ecogis.raster import (
    STATS,
    Share,
    ndvi_change,
    zonal_classes,
    zonal_slope,
    zonal_stats,
)

CRS = "EPSG:4547"
X0, Y0 = 500_000.0, 4_700_000.0
RES = 10.0
W, H = 200, 150
GX, GY = 0.1, 0.05  # dz/dx, dz/dy (per metre)
PLANE_DEG = math.degrees(math.atan(math.hypot(GX, GY)))
NODATA = -9999.0


def cell(col0: int, row0: int, col1: int, row1: int):
    """Box over the pixels col0..col1-1, row0..row1-1 (pixel edges)."""
    return box(X0 + col0 * RES, Y0 - row1 * RES, X0 + col1 * RES, Y0 - row0 * RES)


def _write(path, data, nodata, dtype, crs=CRS):
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=data.shape[1],
        height=data.shape[0],
        count=1,
        dtype=dtype,
        crs=crs,
        transform=from_origin(X0, Y0, RES, RES),
        nodata=nodata,
    ) as ds:
        ds.write(data.astype(dtype), 1)
    return path


@pytest.fixture(scope="module")
def rasters(tmp_path_factory):
    d = tmp_path_factory.mktemp("raster")
    cols, rows = np.meshgrid(np.arange(W), np.arange(H))
    x = X0 + (cols + 0.5) * RES
    y = Y0 - (rows + 0.5) * RES
    dem = GX * (x - X0) + GY * (y - Y0) + 1000.0
    dem[50:60, 80:100] = NODATA
    lc = 1 + (cols // 25 + rows // 40) % 4
    lc[100:110, :30] = 0
    ndvi0 = np.full((H, W), 0.3) + 0.001 * cols
    ndvi1 = ndvi0 + 0.2 - 0.002 * rows
    ndvi1[:10, :10] = -1
    return {
        "dem": _write(d / "dem.tif", dem, NODATA, "float64"),
        "lc": _write(d / "lc.tif", lc, 0, "uint8"),
        "ndvi0": _write(d / "ndvi0.tif", ndvi0, -1, "float64"),
        "ndvi1": _write(d / "ndvi1.tif", ndvi1, -1, "float64"),
        "geo": _write(d / "geo.tif", dem, NODATA, "float64", crs="EPSG:4326"),
    }


def random_sites(n=60, seed=5) -> gpd.GeoSeries:
    """Overlapping rectangles and triangles, some over the hole or past the raster's edge, one
    smaller than a pixel, one outside the raster, one empty and one missing geometry."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(X0 - 300, X0 + W * RES - 100, n)
    y = rng.uniform(Y0 - H * RES - 100, Y0 + 100, n)
    size = rng.uniform(15, 600, n)
    geoms = [
        box(a, b, a + s, b + s * 0.6)
        if k % 3
        else Polygon([(a, b), (a + s, b + s * 0.3), (a + s * 0.2, b + s)])
        for k, (a, b, s) in enumerate(zip(x, y, size, strict=True))
    ]
    geoms += [
        box(X0 + 501, Y0 - 509, X0 + 504, Y0 - 506),  # no pixel centre inside
        box(X0 - 5000, Y0, X0 - 4000, Y0 + 1000),  # outside the raster
        Polygon(),
        None,
        cell(10, 10, 40, 30),
        cell(10, 10, 40, 30),  # the same again: overlapping geometries share pixels
    ]
    return gpd.GeoSeries(geoms, crs=CRS, index=np.arange(100, 100 + len(geoms)))


def assert_same(got, want, cols):
    assert list(got.index) == list(want.index)
    for c in ("pixels", "valid", "nodata"):
        assert (got[c] == want[c]).all(), c
    for c in cols:
        np.testing.assert_allclose(got[c], want[c], rtol=1e-12, atol=1e-12, equal_nan=True)


@pytest.fixture
def small_tiles(monkeypatch):
    monkeypatch.setattr(raster, "TILE_PX", 64)  # several tiles in both directions


# --------------------------------------------------------------------------- both methods


def test_window_and_tiled_give_the_same_statistics(rasters, small_tiles):
    sites = random_sites()
    extra = {"p90": lambda v: float(np.percentile(v, 90)) if v.size else np.nan}
    extra["high"] = Share(lambda v: v > 1050)
    kw = {"stats": tuple(STATS), "add_stats": extra}
    with rasterio.open(rasters["dem"]) as dem:
        want = zonal_stats(sites, dem, method="window", **kw)
        got = zonal_stats(sites, dem, method="tiled", **kw)
    assert_same(got, want, [*STATS, "p90", "high"])
    # the fixture has every case
    assert (want["nodata"] > 0).any() and (want["pixels"] == 0).sum() == 3
    outside = want.iloc[-5]  # every pixel outside the raster: counted, all nodata
    assert outside["pixels"] == outside["nodata"] == 10_000 and outside["valid"] == 0
    assert ((want["valid"] > 0) & (want["nodata"] > 0)).any()
    assert want["high"].between(0.01, 0.99).any()


def test_slope_same_both_ways_and_equals_the_plane(rasters, small_tiles):
    sites = random_sites(seed=11)
    with rasterio.open(rasters["dem"]) as dem:
        want = zonal_slope(sites, dem, max_deg=PLANE_DEG - 0.5, method="window")
        got = zonal_slope(sites, dem, max_deg=PLANE_DEG - 0.5, method="tiled")
    assert_same(got, want, ["slope_mean_deg", "slope_max_deg", "slope_share_over"])
    has = want["valid"] > 0
    np.testing.assert_allclose(want.loc[has, "slope_mean_deg"], PLANE_DEG, rtol=1e-9)
    np.testing.assert_allclose(want.loc[has, "slope_max_deg"], PLANE_DEG, rtol=1e-9)
    assert (want.loc[has, "slope_share_over"] == 1.0).all()


def test_slope_at_tile_seams_uses_the_neighbouring_tile(rasters, monkeypatch):
    """A site across a tile corner: the slope of pixels on the seam needs the pad margin."""
    monkeypatch.setattr(raster, "TILE_PX", 7)
    site = gpd.GeoSeries([cell(3, 3, 12, 12)], crs=CRS)
    with rasterio.open(rasters["dem"]) as dem:
        got = zonal_slope(site, dem, max_deg=PLANE_DEG + 1, method="tiled")
    assert got["pixels"].iloc[0] == 81 and got["valid"].iloc[0] == 81
    assert got["slope_max_deg"].iloc[0] == pytest.approx(PLANE_DEG, rel=1e-9)
    assert got["slope_share_over"].iloc[0] == 0.0


@pytest.mark.parametrize("method", ["window", "tiled"])
def test_counts_nodata_outside_and_tiny(rasters, method):
    sites = gpd.GeoSeries(
        [
            cell(10, 5, 20, 10),  # 50 pixels, all valid
            cell(-5, 5, 5, 10),  # half outside the raster; column 0 has no slope
            cell(70, 50, 90, 60),  # half over the nodata hole (cols 80-99)
            box(X0 + 501, Y0 - 509, X0 + 504, Y0 - 506),  # smaller than a pixel
            cell(195, 145, 210, 160),  # bottom-right corner: 25 of 225 pixels inside
        ],
        crs=CRS,
    )
    with rasterio.open(rasters["dem"]) as dem:
        z = zonal_stats(sites, dem, stats=("mean", "sum"), method=method)
        s = zonal_slope(sites, dem, max_deg=1.0, method=method)
    assert z["pixels"].tolist() == [50, 50, 200, 0, 225]
    assert z["valid"].tolist() == [50, 25, 100, 0, 25]
    assert z["nodata"].tolist() == [0, 25, 100, 0, 200]
    # mean elevation of the first box: the plane at the box's centre
    cx, cy = 150.0, -75.0
    assert z["mean"].iloc[0] == pytest.approx(1000 + GX * cx + GY * cy, rel=1e-12)
    assert z["sum"].iloc[3] == 0.0 and math.isnan(z["mean"].iloc[3])
    # slope: no value at the raster's edge nor next to the hole
    assert s["valid"].tolist() == [50, 20, 90, 0, 16]
    assert math.isnan(s["slope_mean_deg"].iloc[3])


def test_other_crs_is_reprojected(rasters):
    sites = gpd.GeoSeries([cell(10, 5, 20, 10), cell(30, 30, 60, 50)], crs=CRS)
    with rasterio.open(rasters["dem"]) as dem:
        want = zonal_stats(sites, dem, method="window")
        for method in ("window", "tiled"):
            got = zonal_stats(sites.to_crs("EPSG:4326"), dem, method=method)
            assert_same(got, want, ["mean"])


def test_auto_switches_at_the_threshold_and_progress_counts_every_geometry(rasters, monkeypatch):
    sites = random_sites()
    calls = []
    real = raster._tiled_chunks

    def spy(*a, **k):
        calls.append(len(a[1]))
        return real(*a, **k)

    monkeypatch.setattr(raster, "_tiled_chunks", spy)
    monkeypatch.setattr(raster, "TILED_MIN_GEOMS", len(sites))
    done = []
    with rasterio.open(rasters["dem"]) as dem:
        zonal_stats(sites.iloc[:-1], dem, progress=done.append)
        assert not calls and sum(done) == len(sites) - 1
        done.clear()
        zonal_slope(sites, dem, max_deg=5, progress=done.append)
        assert calls and sum(done) == len(sites)


def test_classes_same_both_ways_and_as_per_site_functions(rasters, small_tiles):
    sites = random_sites(seed=2)
    codes = [2.0, 3.0]

    def bad_of(v):
        return np.isin(v, codes)

    def main(v):
        b = v[bad_of(v)]
        if not b.size:
            return np.nan
        vals, counts = np.unique(b, return_counts=True)
        return float(vals[np.argmax(counts)])

    with rasterio.open(rasters["lc"]) as lc:
        got = zonal_classes(sites, lc, bad_of, method="tiled")
        win = zonal_classes(sites, lc, bad_of, method="window")
        ref = zonal_stats(
            sites,
            lc,
            stats=(),
            add_stats={"bad": Share(bad_of), "main": main},
            method="window",
        )
    assert_same(got, win, ["bad", "main", "main_share"])
    assert_same(got, ref, ["bad", "main"])
    assert ((got["main"] == 2) | (got["main"] == 3) | got["main"].isna()).all()
    assert got["bad"].between(0.01, 0.99).any() and (got["nodata"] > 0).any()


def test_ndvi_change_same_both_ways(rasters, small_tiles):
    sites = random_sites(seed=8)
    with rasterio.open(rasters["ndvi0"]) as b, rasterio.open(rasters["ndvi1"]) as a:
        want = ndvi_change(sites, b, a, method="window")
        got = ndvi_change(sites, b, a, method="tiled")
        one = ndvi_change(gpd.GeoSeries([cell(20, 0, 30, 1)], crs=CRS), b, a)
    cols = ["ndvi_before", "ndvi_after", "ndvi_change", "ndvi_valid_share"]
    np.testing.assert_allclose(got[cols], want[cols], rtol=1e-12, atol=1e-12, equal_nan=True)
    assert one["ndvi_change"].iloc[0] == pytest.approx(0.2, abs=1e-12)
    assert (want["ndvi_valid_share"] < 1).any()


# --------------------------------------------------------------------------- errors


def test_bad_method_statistic_and_geographic_dem(rasters):
    sites = gpd.GeoSeries([cell(10, 5, 20, 10)], crs=CRS)
    with rasterio.open(rasters["dem"]) as dem:
        with pytest.raises(RuleError, match="'fast'.*allowed"):
            zonal_stats(sites, dem, method="fast")
        with pytest.raises(RuleError, match="'mode'.*allowed: mean"):
            zonal_stats(sites, dem, stats=("mode",))
    with rasterio.open(rasters["geo"]) as geo, pytest.raises(CRSError, match="not in metres"):
        zonal_slope(sites.to_crs("EPSG:4326"), geo, max_deg=5)  # the sites must be in metres

"""Benchmark: ecogis.screening.screen_sites against geopandas.overlay + rasterstats-style zonal
statistics, in the same run.

Usage::

    python3 benchmarks/bench_screen.py             # full county scale
    python3 benchmarks/bench_screen.py --scale 0.1 # quick run

Data (counts at ``--scale 1``), deterministic and synthetic (``_synthetic.py``), in EPSG:4547 over
an 80 x 80 km county (shrunk with ``sqrt(scale)`` so densities stay the same):

* 10 000 candidate PV sites: rotated rectangles of 400-1200 m a side (about 240-2200 mu),
  which may overlap one another;
* six control layers: red line (2 000 blobs, exclude), permanent basic farmland (30 000 patches,
  exclude), urban boundary (50 large blobs, exclude), water-source zones (100 blobs, exclude with
  a 500 m buffer), basic grassland (3 000 blobs, limit 10 %), sandy land (300 large blobs,
  require 60 %);
* a 30 m DEM of the whole county (about 2 667 x 2 667 pixels) with a nodata hole; slope_max 15
  degrees on at most 10 % of a site.

The baseline does what a careful analyst does with the usual tools: for each layer, buffer if
needed, dissolve (so overlapping features are counted once), ``geopandas.overlay`` with the sites
and sum the areas per site; the eligible rest with ``geopandas.overlay(how="difference")``
against all exclusions; the distance with ``geopandas.sjoin_nearest``; slope as a whole-raster
slope grid (``gdaldem slope`` style, written to a float64 GeoTIFF) and, per site,
``rasterio.mask.mask`` plus numpy (what ``rasterstats.zonal_stats`` does).

The script checks that overlaps, eligible areas and distances agree to 1e-6 relative and the slope
statistics to 1e-9, then prints wall times and the ratio as a markdown table.

Area by land class (``--by-class``, issue 15): the same 10 000 sites against 200 000 land-use
patches (三调 DLTB-like: a jittered tiling of the county, classes weighted like the region),
each site's area per class. ecogis: :func:`ecogis.landuse.area_by_class` (the overlay engine's
pairs, containment shortcut, areas summed per site and class) — the table alone, and with each
site's part on each class (what ``--by-class`` writes to the GeoPackage). Baseline:
``geopandas.overlay`` then ``groupby(site, class)`` of the areas, and ``dissolve(by=[site,
class])`` for the parts. Areas per site and class are checked equal (1e-6 relative); ecogis and
the baseline run in interleaved rounds (``--rounds``, default 3) and the medians are compared::

    python3 benchmarks/bench_screen.py --case by-class   # only this case
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import geopandas
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _synthetic import WORKING_CRS, X0, Y0, blobs, patch_tiling  # noqa: E402

from ecogis.config import parse_config  # noqa: E402
from ecogis.screening import screen_sites  # noqa: E402

RTOL = 1e-6
RES = 30.0
EXTENT = 80_000.0
BUFFER_M = 500.0
MAX_DEG = 15.0

CHECKS = [
    {"layer": "redline", "rule": "exclude"},
    {"layer": "farmland", "rule": "exclude"},
    {"layer": "urban", "rule": "exclude"},
    {"layer": "water_source", "rule": "exclude", "buffer_m": BUFFER_M},
    {"layer": "grassland", "rule": "limit", "max_share": 0.1},
    {"layer": "sandy_land", "rule": "require", "min_share": 0.6},
]
SLOPE = {"raster": "dem", "rule": "slope_max", "max_deg": MAX_DEG, "max_share": 0.1}


def make_data(
    scale: float, folder: Path, *, dem: bool = True
) -> tuple[geopandas.GeoDataFrame, dict, Path | None]:
    """Sites, control layers and the DEM file (``dem=False``: none), deterministic for a
    given scale."""

    def n(count: int) -> int:
        return max(4, int(round(count * scale)))

    extent = EXTENT * np.sqrt(scale)
    rng = np.random.default_rng(7)
    farm_pool = patch_tiling(2 * n(30_000), extent_m=extent, seed=3)
    farmland = farm_pool.iloc[np.sort(rng.choice(len(farm_pool), n(30_000), replace=False))]
    layers = {
        "redline": blobs(n(2_000), extent_m=extent, seed=1),
        "farmland": farmland.reset_index(drop=True),
        "urban": blobs(
            n(50), extent_m=extent, seed=4, median_radius_m=1_500.0, sigma=0.6, max_radius_m=6_000.0
        ),
        "water_source": blobs(n(100), extent_m=extent, seed=5, median_radius_m=400.0, sigma=0.5),
        "grassland": blobs(n(3_000), extent_m=extent, seed=6, median_radius_m=400.0),
        "sandy_land": blobs(
            n(300),
            extent_m=extent,
            seed=8,
            median_radius_m=3_000.0,
            sigma=0.5,
            max_radius_m=9_000.0,
        ),
    }

    nsites = n(10_000)
    margin = 2_000.0
    cx = X0 + rng.uniform(margin, extent - margin, nsites)
    cy = Y0 + rng.uniform(margin, extent - margin, nsites)
    w = rng.uniform(400, 1200, nsites) / 2
    h = rng.uniform(400, 1200, nsites) / 2
    a = np.radians(rng.uniform(0, 30, nsites))
    corners = np.array([(-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1)], dtype=float)
    dx = corners[None, :, 0] * w[:, None]
    dy = corners[None, :, 1] * h[:, None]
    x = cx[:, None] + dx * np.cos(a)[:, None] - dy * np.sin(a)[:, None]
    y = cy[:, None] + dx * np.sin(a)[:, None] + dy * np.cos(a)[:, None]
    sites = geopandas.GeoDataFrame(
        {"site_id": [f"S{i:05d}" for i in range(nsites)]},
        geometry=shapely.polygons(np.stack([x, y], axis=2)),
        crs=WORKING_CRS,
    )
    return sites, layers, write_dem(extent, folder / "dem.tif") if dem else None


def write_dem(extent: float, path: Path) -> Path:
    """Rolling dunes and a few ridges on a gentle regional slope; a nodata hole in one corner."""
    import rasterio
    from rasterio.transform import from_origin

    size = int(np.ceil(extent / RES))
    west, north = X0, Y0 + size * RES
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=size,
        height=size,
        count=1,
        dtype="float32",
        crs=WORKING_CRS,
        transform=from_origin(west, north, RES, RES),
        nodata=-9999.0,
        tiled=True,
        blockxsize=256,
        blockysize=256,
    ) as ds:
        # written in strips so a county DEM is never held as float64 twice
        for r0 in range(0, size, 512):
            rows = np.arange(r0, min(size, r0 + 512))
            yy = (north - (rows + 0.5) * RES)[:, None]
            xx = (west + (np.arange(size) + 0.5) * RES)[None, :]
            z = (
                1300.0
                + 0.004 * (xx - X0)
                + 18.0 * np.sin(xx / 700.0) * np.cos(yy / 900.0)
                + 60.0 * np.sin((xx + 2 * yy) / 5_000.0) ** 3
                + 9.0 * np.sin(xx / 173.0 + yy / 211.0)
            )
            hole = (xx - (X0 + 0.8 * extent)) ** 2 + (yy - (Y0 + 0.2 * extent)) ** 2 < (
                0.06 * extent
            ) ** 2
            z = np.where(hole, -9999.0, z)
            ds.write(z.astype("float32"), 1, window=((r0, r0 + len(rows)), (0, size)))
    return path


# --------------------------------------------------------------------------- ecogis


def run_ecogis(sites, layers, dem_path):
    import rasterio

    data = {
        "layers": {k: {"path": f"{k}.gpkg", "role": "control"} for k in layers}
        | {"dem": {"path": "dem.tif", "role": "raster"}},
        "rulesets": {
            "vector": {"checks": CHECKS, "min_eligible_mu": 300},
            "slope": {"checks": [SLOPE]},
        },
    }
    cfg = parse_config(data, check_files=False)
    times = {}
    with rasterio.open(dem_path) as dem:
        t = time.perf_counter()
        vec = screen_sites(sites, cfg.ruleset("vector"), layers=layers)
        times["vector"] = time.perf_counter() - t
        t = time.perf_counter()
        slope = screen_sites(sites, cfg.ruleset("slope"), layers={}, rasters={"dem": dem})
        times["slope"] = time.perf_counter() - t
    return vec.sites, slope.sites, times


# --------------------------------------------------------------------------- baseline


def _dissolved(layer, buffer_m: float = 0.0) -> geopandas.GeoDataFrame:
    g = layer.geometry
    if buffer_m:
        g = geopandas.GeoSeries(
            shapely.buffer(g.values, buffer_m, quad_segs=32), crs=layer.crs
        )  # same polygonal buffer as ecogis
    u = geopandas.GeoDataFrame(geometry=[g.union_all()], crs=layer.crs)
    return u.explode(index_parts=False).reset_index(drop=True)


def _overlay_area(sites, zones, how: str) -> np.ndarray:
    s = sites[["sid", "geometry"]]
    ov = geopandas.overlay(s, zones, how=how, keep_geom_type=True)
    area = ov.geometry.area.groupby(ov["sid"]).sum()
    return area.reindex(np.arange(len(sites)), fill_value=0.0).to_numpy()


def run_baseline(sites, layers, dem_path):
    import rasterio
    import rasterio.mask

    from ecogis.raster import slope_degrees

    times = {}
    s = sites.assign(sid=np.arange(len(sites)))
    out = {}
    t = time.perf_counter()
    exclusions = []
    for chk in CHECKS:
        name = chk["layer"]
        zones = _dissolved(layers[name], chk.get("buffer_m", 0.0))
        out[f"{name}_overlap_m2"] = _overlay_area(s, zones, "intersection")
        if chk["rule"] == "exclude":
            exclusions.append(zones)
        if chk.get("buffer_m"):
            near = geopandas.sjoin_nearest(s[["sid", "geometry"]], layers[name], distance_col="d")
            out[f"{name}_distance_m"] = near.groupby("sid")["d"].min().to_numpy()
    excl = _dissolved(geopandas.GeoDataFrame(pd.concat(exclusions, ignore_index=True)))
    out["eligible_m2"] = _overlay_area(s, excl, "difference")
    times["vector"] = time.perf_counter() - t

    t = time.perf_counter()
    slope_path = dem_path.with_name("slope.tif")
    with rasterio.open(dem_path) as dem:
        z = dem.read(1, masked=True).astype("float64").filled(np.nan)
        profile = dem.profile | {"dtype": "float64", "nodata": np.nan}
        slope = slope_degrees(z, dem.transform)
        del z
    with rasterio.open(slope_path, "w", **profile) as ds:
        ds.write(slope, 1)
    del slope
    mean, over, valid = [], [], []
    with rasterio.open(slope_path) as ds:
        for geom in sites.geometry.values:
            arr, _ = rasterio.mask.mask(ds, [geom], crop=True, filled=False)
            v = arr[0].compressed()
            v = v[np.isfinite(v)]
            valid.append(v.size)
            mean.append(float(v.mean()) if v.size else np.nan)
            over.append(float((v > MAX_DEG).mean()) if v.size else np.nan)
    out["slope_mean_deg"] = np.array(mean)
    out["slope_share_over"] = np.array(over)
    times["slope"] = time.perf_counter() - t
    return out, times


# --------------------------------------------------------------------------- compare


def compare(ours_vec, ours_slope, base) -> dict[str, float]:
    """Worst differences per column; raises AssertionError when they do not agree."""
    worst = {}
    for col, b in base.items():
        if col.startswith("slope"):
            o = ours_slope[col].to_numpy(dtype=float)
            # ecogis reports no statistics for sites it calls unknown (> 10 % nodata): compare
            # where both have values
            both = np.isfinite(o) & np.isfinite(b)
            diff = np.abs(o[both] - b[both]).max(initial=0.0)
            assert diff < 1e-9, f"{col}: differs by {diff}"
            assert (np.isfinite(o) <= np.isfinite(b)).all(), f"{col}: ecogis lost values"
        elif col.endswith("_distance_m"):
            o = ours_vec[col].to_numpy(dtype=float)
            diff = np.abs(o - b).max(initial=0.0)
            assert diff < 1e-6, f"{col}: differs by {diff} m"
        else:
            o = ours_vec[col].to_numpy(dtype=float)
            scale = np.maximum(np.abs(b), 1.0)
            diff = (np.abs(o - b) / scale).max(initial=0.0)
            assert diff < RTOL, f"{col}: differs by {diff} relative"
        worst[col] = diff
    return worst


# --------------------------------------------------------------------------- area by class

#: land classes of the synthetic patches and their weights (grassland, sandy land, some
#: cultivated land and forest, like the banner)
CLASS_WEIGHTS = {
    "0401": 0.55, "1205": 0.18, "0103": 0.07, "0102": 0.02, "0404": 0.05, "1206": 0.03,
    "0301": 0.03, "0305": 0.02, "0403": 0.02, "1006": 0.01, "1104": 0.01, "0701": 0.01,
}  # fmt: skip


def make_landuse(scale: float) -> geopandas.GeoDataFrame:
    """200 000 patches (at ``--scale 1``) tiling the county, with 三调 class codes."""
    from ecogis.landuse import class_name

    extent = EXTENT * np.sqrt(scale)
    patches = patch_tiling(max(16, int(round(200_000 * scale))), extent_m=extent, seed=15)
    rng = np.random.default_rng(15)
    codes = np.array(list(CLASS_WEIGHTS))
    weights = np.array(list(CLASS_WEIGHTS.values()))
    patches["DLBM"] = rng.choice(codes, size=len(patches), p=weights / weights.sum())
    patches["DLMC"] = patches["DLBM"].map(class_name)
    return patches


def _by_class_ours(sites, patches, keep_geometry: bool):
    from ecogis.landuse import area_by_class

    return area_by_class(
        sites, patches, ids=sites[["site_id"]], keep_geometry=keep_geometry, name="dltb"
    )


def _by_class_baseline(sites, patches, parts: bool):
    ov = geopandas.overlay(
        sites[["site_id", "geometry"]], patches[["DLBM", "geometry"]], how="intersection",
        keep_geom_type=True,
    )  # fmt: skip
    if parts:
        return ov.dissolve(by=["site_id", "DLBM"])
    return ov.assign(area_m2=ov.geometry.area).groupby(["site_id", "DLBM"])["area_m2"].sum()


def compare_by_class(ours, table, parts) -> float:
    """Worst relative difference of the areas per site and class; AssertionError if they
    differ (or a site / class pair is missing on either side)."""
    mine = ours.set_index(["site_id", "class_code"])["area_m2"]
    base = table.rename_axis(["site_id", "class_code"])
    # slivers below a square millimetre: GEOS keeps some that geopandas.overlay drops
    mine, base = mine[mine > 1e-6], base[base > 1e-6]
    assert set(mine.index) == set(base.index), (
        f"pairs differ: {len(set(mine.index) ^ set(base.index))} site/class pairs"
    )
    b = base.loc[mine.index].to_numpy()
    worst = float((np.abs(mine.to_numpy() - b) / np.maximum(np.abs(b), 1.0)).max(initial=0.0))
    assert worst < RTOL, f"areas by class differ by {worst} relative"
    dissolved = parts.geometry.area.rename_axis(["site_id", "class_code"])
    dissolved = dissolved[dissolved > 1e-6].loc[mine.index].to_numpy()
    worst_parts = float((np.abs(dissolved - b) / np.maximum(b, 1.0)).max(initial=0.0))
    assert worst_parts < RTOL, f"dissolved parts differ by {worst_parts} relative"
    return max(worst, worst_parts)


def run_by_class(scale: float, rounds: int) -> None:
    t = time.perf_counter()
    sites, _layers, _dem = make_data(scale, Path(tempfile.gettempdir()), dem=False)
    patches = make_landuse(scale)
    print(
        f"by class: {len(sites)} sites x {len(patches)} land-use patches "
        f"({patches['DLBM'].nunique()} classes); data in {time.perf_counter() - t:.1f} s"
    )
    times: dict[str, list[float]] = {k: [] for k in ("table", "parts", "b_table", "b_parts")}
    ours = parts = base = base_parts = None
    for _round in range(rounds):  # interleaved: a noisy neighbour slows both alike
        t = time.perf_counter()
        ours = _by_class_ours(sites, patches, keep_geometry=False)
        times["table"].append(time.perf_counter() - t)
        t = time.perf_counter()
        base = _by_class_baseline(sites, patches, parts=False)
        times["b_table"].append(time.perf_counter() - t)
        t = time.perf_counter()
        parts = _by_class_ours(sites, patches, keep_geometry=True)
        times["parts"].append(time.perf_counter() - t)
        t = time.perf_counter()
        base_parts = _by_class_baseline(sites, patches, parts=True)
        times["b_parts"].append(time.perf_counter() - t)
    worst = compare_by_class(ours, base, base_parts)
    assert np.allclose(parts["area_m2"].to_numpy(), ours["area_m2"].to_numpy(), rtol=1e-12)
    med = {k: float(np.median(v)) for k, v in times.items()}
    print(
        f"agreement: {len(ours)} site/class areas within {worst:.1e} relative "
        f"(median of {rounds} interleaved rounds, {os.cpu_count()} cores)"
    )
    print()
    print("| by class | ecogis (s) | baseline (s) | speed-up |")
    print("|---|---:|---:|---:|")
    print(
        f"| area per site and class (baseline: geopandas.overlay + groupby) | {med['table']:.2f} "
        f"| {med['b_table']:.2f} | {med['b_table'] / med['table']:.1f}x |"
    )
    print(
        f"| with each site's part per class (baseline: geopandas.overlay + dissolve) | "
        f"{med['parts']:.2f} | {med['b_parts']:.2f} | {med['b_parts'] / med['parts']:.1f}x |"
    )
    print(f"ratio (area by class): {med['b_table'] / med['table']:.1f}x")


def run_screen(scale: float) -> None:
    """The screening case: 6 control layers and slope, against the baseline."""
    with tempfile.TemporaryDirectory(prefix="bench_screen.") as tmp:
        t = time.perf_counter()
        sites, layers, dem_path = make_data(scale, Path(tmp))
        t_data = time.perf_counter() - t
        import rasterio

        with rasterio.open(dem_path) as ds:
            dem_shape = ds.shape
        print(
            f"scale {scale:g}: {len(sites)} sites; "
            + ", ".join(f"{k} {len(v)}" for k, v in layers.items())
            + f"; DEM {dem_shape[1]} x {dem_shape[0]} px at {RES:g} m; "
            f"{os.cpu_count()} cores; data generated in {t_data:.1f} s"
        )
        vec, slope, t_ours = run_ecogis(sites, layers, dem_path)
        base, t_base = run_baseline(sites, layers, dem_path)
        worst = compare(vec, slope, base)

    counts = vec["verdict"].value_counts().to_dict()
    unknown = int((slope["verdict"] == "unknown").sum())
    print(f"vector verdicts: {counts}; slope: {unknown} site(s) unknown (DEM nodata)")
    print(
        "agreement: areas within "
        f"{max(v for k, v in worst.items() if k.endswith('_m2')):.1e} relative, distances within "
        f"{max((v for k, v in worst.items() if k.endswith('_distance_m')), default=0):.1e} m, "
        f"slope within {max(v for k, v in worst.items() if k.startswith('slope')):.1e}"
    )
    print()
    print("| part | ecogis (s) | baseline (s) | speed-up |")
    print("|---|---:|---:|---:|")
    labels = {
        "vector": "6 control layers + eligible rest (baseline: geopandas.overlay per layer)",
        "slope": "slope on the DEM (baseline: slope grid + rasterio.mask per site)",
    }
    for part, label in labels.items():
        print(
            f"| {label} | {t_ours[part]:.2f} | {t_base[part]:.2f} | "
            f"{t_base[part] / t_ours[part]:.1f}x |"
        )
    to, tb = sum(t_ours.values()), sum(t_base.values())
    print(f"| **total** | **{to:.2f}** | **{tb:.2f}** | **{tb / to:.1f}x** |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="shrink counts and county")
    parser.add_argument(
        "--case", choices=("all", "screen", "by-class"), default="all", help="what to run"
    )
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (by-class)")
    args = parser.parse_args()
    if args.case in ("all", "screen"):
        run_screen(args.scale)
    if args.case in ("all", "by-class"):
        if args.case == "all":
            print()
        run_by_class(args.scale, args.rounds)


if __name__ == "__main__":
    main()

"""Benchmark: ecogis.overlay.intersect_pairs against geopandas.overlay and DuckDB spatial.

Usage::

    python3 benchmarks/bench_overlay.py             # full county scale
    python3 benchmarks/bench_overlay.py --scale 0.1 # quick run
    pip install 'ecogis[bench]'                     # adds the DuckDB baseline

Cases (counts at ``--scale 1``), on deterministic synthetic data (``_synthetic.py``):

* ``landuse x redline``: ~200 000 land-use patches tiling 60 x 60 km against 2 000
  irregular red-line blobs (lognormal sizes, a few of them large).
* ``three-line check``: the three control lines checked pairwise for conflicts,
  farmland (30 000 patches) x red line (2 000) x urban boundary (50).
* ``file to file``: the first case from GeoPackage to GeoPackage (``ecogis.io.read_layer`` of
  both layers, the overlay, ``write_layer`` of the 194 000 result rows), against the same
  overlay in memory.

Baselines, each checked against ecogis (same pairs, areas to 1e-9 relative):

* ``geopandas.overlay(how="intersection")``: geometries and both sides' attributes, compared
  with ecogis producing the same table (``intersect_pairs`` plus the attribute join);
* DuckDB spatial (if installed): spatial join, ``ST_Covers`` shortcut, ``ST_Area(
  ST_Intersection(...))`` -- areas per pair, compared with ``intersect_pairs(...,
  keep_geometry=False)``; both use all cores.

The machine may be shared: the tools run in interleaved rounds (the order rotates each round)
and the table reports the median time of each and the median of the per-round ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import geopandas
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import _duckdb_spatial as duck  # noqa: E402
from _synthetic import blobs, patch_tiling  # noqa: E402

from ecogis.io.vector import read_layer, write_layer  # noqa: E402
from ecogis.overlay import intersect_pairs  # noqa: E402

RTOL = 1e-9
CASES = {
    "landuse x redline": [("landuse", "redline")],
    "three-line check": [("redline", "farmland"), ("redline", "urban"), ("farmland", "urban")],
}


def make_layers(scale: float) -> dict[str, geopandas.GeoDataFrame]:
    """The benchmark layers, deterministic for a given scale."""

    def n(count: int) -> int:
        return max(4, int(round(count * scale)))

    # shrink the county with the counts, so that feature sizes and densities stay the same
    extent = 60_000.0 * np.sqrt(scale)
    rng = np.random.default_rng(42)
    # farmland: 30 000 patches picked from a finer, differently jittered tiling
    farm_pool = patch_tiling(2 * n(30_000), extent_m=extent, seed=3)
    farmland = farm_pool.iloc[np.sort(rng.choice(len(farm_pool), n(30_000), replace=False))]
    return {
        "landuse": patch_tiling(n(200_000), extent_m=extent, seed=0),
        "redline": blobs(n(2_000), extent_m=extent, seed=1),
        "farmland": farmland.reset_index(drop=True),
        "urban": blobs(
            n(50), extent_m=extent, seed=4, median_radius_m=1_500.0, sigma=0.6, max_radius_m=6_000.0
        ),
    }


def run_ecogis(left, right, workers):
    """intersect_pairs plus the attribute join, so the output matches geopandas.overlay's."""
    pairs = intersect_pairs(left, right, workers=workers)
    lattr = left.drop(columns=left.geometry.name).iloc[pairs.idx_left.to_numpy()]
    rattr = right.drop(columns=right.geometry.name).iloc[pairs.idx_right.to_numpy()]
    attrs = pd.concat(
        [lattr.reset_index(drop=True), rattr.reset_index(drop=True).add_suffix("_2")], axis=1
    )
    return geopandas.GeoDataFrame(
        pd.concat([pairs.reset_index(drop=True), attrs], axis=1), geometry="geometry"
    )


def run_areas(left, right, workers):
    return intersect_pairs(left, right, workers=workers, keep_geometry=False)


def run_geopandas(left, right):
    return geopandas.overlay(left, right, how="intersection", keep_geom_type=True)


def compare(ours, li, ri, area) -> float:
    """Same pairs, areas to RTOL; the worst relative difference."""
    if not (np.array_equal(ours.idx_left, li) and np.array_equal(ours.idx_right, ri)):
        raise AssertionError("the two engines found different pairs")
    rel = np.abs(ours.area_m2.to_numpy() - area) / area
    worst = float(rel.max()) if len(rel) else 0.0
    if worst > RTOL:
        raise AssertionError(f"areas differ: worst pair {worst:.3g} relative")
    return worst


def geopandas_pairs(theirs):
    theirs = theirs.assign(_area=theirs.area)
    theirs = theirs[theirs._area > 0].sort_values(["_l", "_r"])
    return theirs._l.to_numpy(), theirs._r.to_numpy(), theirs._area.to_numpy()


def timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="shrink feature counts")
    parser.add_argument("--workers", type=int, default=None, help="threads (default: all)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--no-geopandas", action="store_true", help="skip geopandas.overlay")
    parser.add_argument("--no-duckdb", action="store_true", help="skip DuckDB spatial")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    layers = make_layers(args.scale)
    # positional ids that survive geopandas.overlay, for the per-pair comparison
    tagged = {k: v.assign(_l=np.arange(len(v)), _r=np.arange(len(v))) for k, v in layers.items()}
    use_duck = not args.no_duckdb and duck.available()
    con = None
    if use_duck:
        con = duck.connect()
        for name, gdf in layers.items():
            duck.load(con, name, gdf)
    tmp = tempfile.TemporaryDirectory(prefix="ecogis-bench-")
    files = {k: Path(tmp.name) / f"{k}.gpkg" for k in ("landuse", "redline")}
    for k, p in files.items():
        write_layer(layers[k], p)
    print(
        f"data: {', '.join(f'{k} {len(v):,}' for k, v in layers.items())} "
        f"(generated in {time.perf_counter() - t0:.1f} s); cores: {os.cpu_count()}, "
        f"workers: {args.workers or os.cpu_count()}; "
        f"DuckDB {duck.version() if use_duck else 'not installed (pip install ecogis[bench])'}"
        f"; {args.rounds} interleaved rounds\n",
        flush=True,
    )

    def tools(name, steps):
        """name -> callable running the whole case once, returning its results per step."""
        out = {
            "ecogis": lambda: [run_ecogis(layers[a], layers[b], args.workers) for a, b in steps],
            "ecogis areas": lambda: [
                run_areas(layers[a], layers[b], args.workers) for a, b in steps
            ],  # fmt: skip
        }
        if not args.no_geopandas:
            out["geopandas"] = lambda: [
                run_geopandas(tagged[a].drop(columns="_r"), tagged[b].drop(columns="_l"))
                for a, b in steps
            ]
        if use_duck:
            out["duckdb"] = lambda: [duck.pair_areas(con, a, b) for a, b in steps]
        return out

    def file_to_file():
        t = time.perf_counter()
        lu, rl = read_layer(files["landuse"]), read_layer(files["redline"])
        t_read = time.perf_counter() - t
        res, t_overlay = timed(run_ecogis, lu, rl, args.workers)
        t = time.perf_counter()
        write_layer(res.set_crs(lu.crs), Path(tmp.name) / "out.gpkg", overwrite=True)
        return res, (t_read, t_overlay, time.perf_counter() - t)

    times: dict[tuple[str, str], list[float]] = {}
    worst: dict[tuple[str, str], float] = {}
    npairs: dict[str, int] = {}
    io_parts: list[tuple[float, float, float]] = []
    for rnd in range(args.rounds):
        for name, steps in CASES.items():
            runs = tools(name, steps)
            order = list(runs)
            order = order[rnd % len(order) :] + order[: rnd % len(order)]
            results = {}
            for tool in order:
                results[tool], dt = timed(runs[tool])
                times.setdefault((name, tool), []).append(dt)
            if rnd == 0:  # check every baseline against ecogis once
                npairs[name] = sum(len(r) for r in results["ecogis"])
                for tool, res in results.items():
                    if tool in ("ecogis", "ecogis areas"):
                        continue
                    w = 0.0
                    for k, r in enumerate(res):
                        li, ri, a = geopandas_pairs(r) if tool == "geopandas" else r
                        ours = results["ecogis"][k] if tool == "geopandas" else results[
                            "ecogis areas"][k]  # fmt: skip
                        w = max(w, compare(ours, li, ri, a))
                    worst[(name, tool)] = w
            if name == "landuse x redline":
                res, parts = file_to_file()
                times.setdefault(("file to file", "ecogis"), []).append(sum(parts))
                times.setdefault(("file to file", "in memory"), []).append(
                    times[(name, "ecogis")][-1]
                )
                io_parts.append(parts)
                if rnd == 0:
                    mem = results["ecogis"][0]
                    compare(mem, res.idx_left.to_numpy(), res.idx_right.to_numpy(),
                            res.area_m2.to_numpy())  # fmt: skip
        print(f"  round {rnd + 1}/{args.rounds} done", flush=True)
    tmp.cleanup()

    def med(case, tool):
        return statistics.median(times[(case, tool)])

    def ratio(case, slow, fast):
        return statistics.median(
            s / f for s, f in zip(times[(case, slow)], times[(case, fast)], strict=True)
        )

    print()
    cols = ["ecogis (s)"]
    if not args.no_geopandas:
        cols += ["geopandas.overlay (s)", "vs ecogis"]
    cols += ["ecogis areas (s)"]
    if use_duck:
        cols += ["DuckDB spatial (s)", "vs ecogis areas"]
    print("| case | pairs | " + " | ".join(cols) + " |")
    print("|---|---:|" + "---:|" * len(cols))
    for name in CASES:
        row = [f"{med(name, 'ecogis'):.2f}"]
        if not args.no_geopandas:
            row += [f"{med(name, 'geopandas'):.2f}", f"{ratio(name, 'geopandas', 'ecogis'):.1f}x"]
        row += [f"{med(name, 'ecogis areas'):.2f}"]
        if use_duck:
            row += [f"{med(name, 'duckdb'):.2f}", f"{ratio(name, 'duckdb', 'ecogis areas'):.1f}x"]
        print(f"| {name} | {npairs[name]:,} | " + " | ".join(row) + " |")
    print()
    for (name, tool), w in worst.items():
        print(f"{name}: {tool} found the same pairs; worst relative area difference {w:.1e}")
    r, o, w = (statistics.median(p[k] for p in io_parts) for k in range(3))
    print(
        f"\nfile to file (read_layer x2, overlay, write_layer of {npairs['landuse x redline']:,} "
        f"rows): {med('file to file', 'ecogis'):.2f} s = "
        f"{ratio('file to file', 'ecogis', 'in memory'):.2f}x the in-memory overlay "
        f"({med('file to file', 'in memory'):.2f} s); read {r:.2f} s, overlay {o:.2f} s, "
        f"write {w:.2f} s (medians)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

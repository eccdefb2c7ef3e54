"""Benchmark: the local overlay engine, the dask engine on 1 and 2 worker processes, DuckDB.

Usage::

    python3 benchmarks/bench_scale.py               # full league scale (~2 million patches)
    python3 benchmarks/bench_scale.py --scale 0.1   # quick run
    pip install 'ecogis[bench]'                     # adds the DuckDB baseline

Data (counts at ``--scale 1``), deterministic (``_synthetic.py``): about 2 000 000 land-use
patches tiling a 190 x 190 km league (the county benchmark's patch density) against 5 000
control-line polygons (4 950 red-line style blobs and 50 large urban-boundary blobs). Every
variant computes the overlap area of every overlapping pair (``keep_geometry=False``; add
``--geometry`` to bring the intersection geometries back too).

Variants, each in a fresh subprocess so that its memory is its own:

* ``local``: :func:`ecogis.overlay.intersect_pairs` on all cores (threads).
* ``dask-1-worker`` / ``dask-2-workers``: :func:`ecogis.overlay.dask_engine.intersect_pairs_dask`
  on a ``distributed.LocalCluster`` of worker processes with one thread each (started, and the
  engine imported in the workers, before the clock). The driver writes the patches once as a
  partitioned GeoParquet dataset (``dataset (s)``: a league's land use is written once and
  checked many times); the timed overlay reads it, each worker its own parts, and returns only
  the results.
* ``duckdb``: DuckDB spatial, ``ST_Covers`` shortcut, ``ST_Area(ST_Intersection(...))``
  (tables loaded before the clock), all cores.

Peak memory is each process's own high-water mark (``VmHWM``): the local engine's process,
each dask worker (asked through ``client.run`` at the end) and the dask driver. Every result is
checked against the local engine's (same pairs and relations, areas to 1e-9 relative). The
machine may be shared: variants run in interleaved rounds (the order rotates) and the table
reports medians, ratios as medians of per-round ratios.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

VARIANTS = ("local", "dask-1-worker", "dask-2-workers", "duckdb")
LABELS = {
    "local": "local engine (threads)",
    "dask-1-worker": "dask, 1 worker process",
    "dask-2-workers": "dask, 2 worker processes",
    "duckdb": "DuckDB spatial",
}
RTOL = 1e-9


def make_layers(scale: float):
    """Land-use patches and control lines, deterministic for a given scale."""
    import pandas as pd
    from _synthetic import blobs, patch_tiling
    from geopandas import GeoDataFrame

    def n(count: int) -> int:
        return max(4, int(round(count * scale)))

    # the league grows with the count, so patch sizes and densities stay those of a county
    extent = 190_000.0 * np.sqrt(scale)
    landuse = patch_tiling(n(2_000_000), extent_m=extent, seed=0)
    redline = blobs(n(4_950), extent_m=extent, seed=1)
    urban = blobs(
        n(50), extent_m=extent, seed=4, median_radius_m=1_500.0, sigma=0.6, max_radius_m=6_000.0
    )
    controls = pd.concat([redline.assign(kind="redline"), urban.assign(kind="urban")])
    controls = GeoDataFrame(controls.reset_index(drop=True), geometry="geometry", crs=redline.crs)
    return landuse, controls


def _maxrss() -> int:
    """This process's peak resident set size, bytes.

    ``VmHWM`` of the current address space: ``ru_maxrss`` would not do, Linux carries it over
    ``exec`` from the forking parent (every variant would report the parent's size).
    """
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    import resource  # not Linux: the closest there is

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# ---------------------------------------------------------------------------------------------
# one variant, in its own process
# ---------------------------------------------------------------------------------------------


def run_variant(variant: str, data: Path, out: Path, partitions: int | None, geometry: bool):
    import geopandas

    left = geopandas.read_parquet(data / "landuse.parquet")
    right = geopandas.read_parquet(data / "controls.parquet")
    info = {"setup": 0.0, "dataset": 0.0, "workers_peak": []}
    if variant == "duckdb":
        import _duckdb_spatial as duck

        con = duck.connect()
        t = time.perf_counter()
        duck.load(con, "l", left)
        duck.load(con, "r", right)
        info["setup"] = time.perf_counter() - t
        t = time.perf_counter()
        li, ri, area = duck.pair_areas(con, "l", "r")
        info["seconds"] = time.perf_counter() - t
        rel = np.array([""] * len(li))
    elif variant == "local":
        from ecogis.overlay import intersect_pairs

        t = time.perf_counter()
        res = intersect_pairs(left, right, keep_geometry=geometry)
        info["seconds"] = time.perf_counter() - t
    else:
        from distributed import Client, LocalCluster

        from ecogis.overlay.dask_engine import _n_partitions, intersect_pairs_dask
        from ecogis.overlay.partitioned import partition_layer

        workers = 1 if variant == "dask-1-worker" else 2
        t = time.perf_counter()
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
            silence_logs=logging.ERROR,
        )  # fmt: skip
        client = Client(cluster)
        # workers import the engine before the clock, as a long-running cluster has
        client.run(importlib.import_module, "ecogis.overlay.dask_engine")
        info["setup"] = time.perf_counter() - t
        # the patches are written once as the partitioned dataset (a league's land use is
        # reused by many checks), then overlaid from there
        t = time.perf_counter()
        part = partition_layer(left, partitions=partitions or _n_partitions(len(left), None, 1))
        info["dataset"] = time.perf_counter() - t
        t = time.perf_counter()
        res = intersect_pairs_dask(part, right, scheduler=client, keep_geometry=geometry)
        info["seconds"] = time.perf_counter() - t
        info["workers_peak"] = sorted(client.run(_maxrss).values())
        part.remove()
        client.close()
        cluster.close()
    if variant != "duckdb":
        li, ri = res["idx_left"].to_numpy(), res["idx_right"].to_numpy()
        area, rel = res["area_m2"].to_numpy(), res["relation"].to_numpy().astype(str)
    info["peak"] = _maxrss()
    np.savez(out, idx_left=li, idx_right=ri, area=area, relation=rel)
    out.with_suffix(".json").write_text(json.dumps(info))


def measure(variant: str, data: Path, workdir: Path, partitions, geometry) -> dict:
    out = workdir / f"{variant}.npz"
    cmd = [sys.executable, __file__, "--run", variant, "--data", str(data), "--out", str(out)]
    if partitions:
        cmd += ["--partitions", str(partitions)]
    if geometry:
        cmd += ["--geometry"]
    rc = subprocess.call(cmd)
    if rc != 0:
        raise SystemExit(f"variant {variant} failed with exit status {rc}")
    res = dict(np.load(out))
    res.update(json.loads(out.with_suffix(".json").read_text()))
    return res


def check_same(local: dict, other: dict, variant: str) -> None:
    keys = ("idx_left", "idx_right") if variant == "duckdb" else ("idx_left", "idx_right",
                                                                    "relation")  # fmt: skip
    for key in keys:
        if not np.array_equal(local[key], other[key]):
            raise SystemExit(f"{variant}: column {key} differs from the local engine")
    np.testing.assert_allclose(other["area"], local["area"], rtol=RTOL, atol=0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="data size (1 = league)")
    parser.add_argument("--partitions", type=int, default=None, help="dask partitions")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated")
    parser.add_argument("--geometry", action="store_true", help="return geometries too")
    parser.add_argument("--run", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:
        run_variant(args.run, args.data, args.out, args.partitions, args.geometry)
        return

    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variants {', '.join(unknown)}; allowed: {', '.join(VARIANTS)}")
    if "duckdb" in variants:
        import _duckdb_spatial as duck

        if not duck.available():
            print("DuckDB spatial not installed (pip install 'ecogis[bench]'): skipped")
            variants.remove("duckdb")
    if "local" not in variants:
        variants.insert(0, "local")  # the baseline every other variant is checked against

    runs: dict[str, list[dict]] = {v: [] for v in variants}
    with tempfile.TemporaryDirectory(prefix="ecogis-bench-") as tmp:
        work = Path(tmp)
        t = time.perf_counter()
        landuse, controls = make_layers(args.scale)
        gen = time.perf_counter() - t
        landuse.to_parquet(work / "landuse.parquet")
        controls.to_parquet(work / "controls.parquet")
        nl, nr = len(landuse), len(controls)
        del landuse, controls
        print(
            f"scale {args.scale}: {nl:,} land-use patches x {nr:,} control-line polygons "
            f"(generated in {gen:.1f} s); {os.cpu_count()} CPUs; {args.rounds} rounds",
            flush=True,
        )
        for rnd in range(args.rounds):
            order = variants[rnd % len(variants) :] + variants[: rnd % len(variants)]
            for v in order:
                r = measure(v, work, work, args.partitions, args.geometry)
                runs[v].append(r)
                workers = ", ".join(f"{p / 2**20:,.0f}" for p in r["workers_peak"])
                print(
                    f"  round {rnd + 1} {v}: {r['seconds']:.2f} s, peak {r['peak'] / 2**20:,.0f}"
                    f" MiB" + (f", workers {workers} MiB" if workers else ""),
                    flush=True,
                )
                if rnd == 0 and v != "local" and runs["local"]:
                    check_same(runs["local"][0], r, v)
            if rnd == 0 and variants[0] != "local":
                for v in variants:
                    if v != "local":
                        check_same(runs["local"][0], runs[v][0], v)

    def med(v, key):
        return statistics.median(float(r[key]) for r in runs[v])

    def ratio(slow, fast):
        return statistics.median(
            float(a["seconds"]) / float(b["seconds"])
            for a, b in zip(runs[slow], runs[fast], strict=True)
        )

    base_peak = med("local", "peak")
    print()
    print(f"{len(runs['local'][0]['area']):,} overlapping pairs; every variant equals the local "
          "engine (pairs, relations, areas to 1e-9)")  # fmt: skip
    print()
    print("| variant | time (s) | vs local | dataset (s) | peak RSS (MiB) | per worker (MiB) "
          "| worker vs local |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|")
    for v in variants:
        wp = [max(r["workers_peak"]) for r in runs[v] if r["workers_peak"]]
        worker = statistics.median(wp) if wp else None
        vs = ratio(v, "local")
        print(
            f"| {LABELS[v]} | {med(v, 'seconds'):.2f} | {vs:.2f}x | "
            f"{med(v, 'dataset'):.2f} | {med(v, 'peak') / 2**20:,.0f} | "
            + (f"{worker / 2**20:,.0f} | {worker / base_peak:.2f}x |" if worker else " | |")
        )
    if "dask-1-worker" in runs and "dask-2-workers" in runs:
        print(
            f"\n2 worker processes vs 1: {ratio('dask-1-worker', 'dask-2-workers'):.2f}x faster "
            "(median of per-round ratios)"
        )
    if "duckdb" in runs:
        print(f"DuckDB spatial vs local engine: {ratio('duckdb', 'local'):.2f}x the time")


if __name__ == "__main__":
    main()

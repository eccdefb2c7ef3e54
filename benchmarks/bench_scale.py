"""Benchmark: the local overlay engine against the dask engine at league scale.

Usage::

    python3 benchmarks/bench_scale.py               # full league scale (~2 million patches)
    python3 benchmarks/bench_scale.py --scale 0.1   # quick run

Data (counts at ``--scale 1``), deterministic (``_synthetic.py``): about 2 000 000 land-use
patches tiling a 190 x 190 km league (the county benchmark's patch density) against 5 000
control-line polygons (4 950 red-line style blobs and 50 large urban-boundary blobs).

Variants, each in a fresh subprocess so that its peak memory is its own:

* ``local``: :func:`ecogis.overlay.intersect_pairs` on all cores (threads).
* ``dask threads``: :func:`ecogis.overlay.dask_engine.intersect_pairs_dask`, dask's local threads.
* ``dask 1 worker`` / ``dask 2 workers``: the same on a ``distributed.LocalCluster`` of
  worker processes with one thread each (the cluster start is timed apart).

Peak memory is the highest sum of the resident set sizes of the variant's process and all
its children (cluster workers), sampled every 20 ms with psutil: GEOS allocates outside
Python's allocator, so tracemalloc would not see it. Every dask result is checked against
the local one (same pairs and relations, areas to 1e-9 relative). Prints a markdown table.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

VARIANTS = ("local", "dask-threads", "dask-1-worker", "dask-2-workers")
LABELS = {
    "local": "local engine (threads)",
    "dask-threads": "dask, local threads",
    "dask-1-worker": "dask, LocalCluster 1 worker",
    "dask-2-workers": "dask, LocalCluster 2 workers",
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


# ---------------------------------------------------------------------------------------------
# one variant, in its own process
# ---------------------------------------------------------------------------------------------


def run_variant(variant: str, data: Path, out: Path, partitions: int | None) -> None:
    import geopandas

    from ecogis.overlay import intersect_pairs
    from ecogis.overlay.dask_engine import intersect_pairs_dask

    if variant != "local":
        import dask_geopandas  # noqa: F401 (imports are not part of the timing)
        import distributed  # noqa: F401

    left = geopandas.read_parquet(data / "landuse.parquet")
    right = geopandas.read_parquet(data / "controls.parquet")
    setup = 0.0
    cluster = client = None
    if variant.startswith("dask-") and variant != "dask-threads":
        from distributed import Client, LocalCluster

        t = time.perf_counter()
        workers = 1 if variant == "dask-1-worker" else 2
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
        setup = time.perf_counter() - t

    t = time.perf_counter()
    if variant == "local":
        res = intersect_pairs(left, right)
    elif variant == "dask-threads":
        res = intersect_pairs_dask(left, right, partitions=partitions, scheduler="threads")
    else:
        res = intersect_pairs_dask(left, right, partitions=partitions, scheduler=client)
    seconds = time.perf_counter() - t
    if client is not None:
        client.close()
        cluster.close()
    np.savez(
        out,
        idx_left=res["idx_left"].to_numpy(),
        idx_right=res["idx_right"].to_numpy(),
        area=res["area_m2"].to_numpy(),
        relation=res["relation"].to_numpy().astype(str),
        geom_area=res.geometry.area.to_numpy(),
        seconds=seconds,
        setup=setup,
    )


def measure(variant: str, data: Path, workdir: Path, partitions: int | None) -> dict:
    """Run one variant in a subprocess; its timings, results and peak tree RSS."""
    import psutil

    out = workdir / f"{variant}.npz"
    cmd = [sys.executable, __file__, "--run", variant, "--data", str(data), "--out", str(out)]
    if partitions:
        cmd += ["--partitions", str(partitions)]
    proc = subprocess.Popen(cmd)
    peak = 0
    stop = threading.Event()

    def sample():
        nonlocal peak
        root = psutil.Process(proc.pid)
        while not stop.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                total = 0
                for p in procs:
                    try:
                        total += p.memory_info().rss
                    except psutil.Error:
                        pass
                peak = max(peak, total)
            except psutil.Error:
                pass
            stop.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    rc = proc.wait()
    stop.set()
    sampler.join()
    if rc != 0:
        raise SystemExit(f"variant {variant} failed with exit status {rc}")
    res = dict(np.load(out))
    res["peak_rss"] = peak
    return res


def check_same(local: dict, other: dict, variant: str) -> None:
    for key in ("idx_left", "idx_right", "relation"):
        if not np.array_equal(local[key], other[key]):
            raise SystemExit(f"{variant}: column {key} differs from the local engine")
    np.testing.assert_allclose(other["area"], local["area"], rtol=RTOL, atol=0)
    np.testing.assert_allclose(other["geom_area"], local["geom_area"], rtol=RTOL, atol=0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="data size (1 = league)")
    parser.add_argument("--partitions", type=int, default=None, help="dask partitions")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated")
    parser.add_argument("--run", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:
        run_variant(args.run, args.data, args.out, args.partitions)
        return

    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variants {', '.join(unknown)}; allowed: {', '.join(VARIANTS)}")
    if "local" not in variants:
        variants.insert(0, "local")  # the baseline every other variant is checked against

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
            f"(generated in {gen:.1f} s); {os.cpu_count()} CPUs",
            flush=True,
        )
        results = {}
        for v in variants:
            results[v] = measure(v, work, work, args.partitions)
            r = results[v]
            print(
                f"  {v}: {float(r['seconds']):.2f} s, peak {r['peak_rss'] / 2**20:,.0f} MiB",
                flush=True,
            )
        base = results["local"]
        for v in variants[1:]:
            check_same(base, results[v], v)

    print()
    print(f"{len(base['area']):,} overlapping pairs; every dask variant equals the local engine")
    print()
    print("| variant | time (s) | vs local | cluster start (s) | peak RSS (MiB) | vs local |")
    print("|---|---:|---:|---:|---:|---:|")
    for v in variants:
        r = results[v]
        secs, peak = float(r["seconds"]), r["peak_rss"]
        start = f"{float(r['setup']):.1f}" if float(r["setup"]) else ""
        print(
            f"| {LABELS[v]} | {secs:.2f} | {secs / float(base['seconds']):.2f}x | {start} | "
            f"{peak / 2**20:,.0f} | {peak / base['peak_rss']:.2f}x |"
        )


if __name__ == "__main__":
    main()

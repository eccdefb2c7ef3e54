"""Benchmark: ecogis.overlay.intersect_pairs against geopandas.overlay in the same run.

Usage::

    python3 benchmarks/bench_overlay.py             # full county scale
    python3 benchmarks/bench_overlay.py --scale 0.1 # quick run

Cases (counts at ``--scale 1``), on deterministic synthetic data (``_synthetic.py``):

* ``landuse x redline``: ~200 000 land-use patches tiling 60 x 60 km against 2 000
  irregular red-line blobs (lognormal sizes, a few of them large).
* ``three-line check``: the three control lines checked pairwise for conflicts,
  farmland (30 000 patches) x red line (2 000) x urban boundary (50).

For each case both engines produce the same table (pair indices, both sides' attributes, the
intersection geometry); the script checks that the pairs are the same and their areas agree to
1e-6 relative, and prints wall times and the speed ratio as a markdown table.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import geopandas
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _synthetic import blobs, patch_tiling  # noqa: E402

from ecogis.overlay import intersect_pairs  # noqa: E402

RTOL = 1e-6


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
    return pd.concat([pairs.reset_index(drop=True), attrs], axis=1)


def run_geopandas(left, right):
    return geopandas.overlay(left, right, how="intersection", keep_geom_type=True)


def compare(ours, theirs) -> tuple[int, float]:
    """Check same pairs and areas to RTOL; return (pairs, worst relative difference)."""
    theirs = theirs.assign(_area=theirs.area)
    theirs = theirs[theirs._area > 0]
    merged = pd.DataFrame(
        {"idx_left": ours.idx_left, "idx_right": ours.idx_right, "ours": ours.area_m2}
    ).merge(
        pd.DataFrame({"idx_left": theirs._l, "idx_right": theirs._r, "theirs": theirs._area}),
        on=["idx_left", "idx_right"],
        how="outer",
        validate="one_to_one",
    )
    missing = merged.ours.isna().sum() + merged.theirs.isna().sum()
    if missing:
        raise AssertionError(f"{missing} pairs found by only one engine")
    rel = np.abs(merged.ours - merged.theirs) / merged.theirs
    worst = float(rel.max()) if len(rel) else 0.0
    total_rel = abs(merged.ours.sum() - merged.theirs.sum()) / max(merged.theirs.sum(), 1e-300)
    if worst > RTOL or total_rel > RTOL:
        raise AssertionError(f"areas differ: worst pair {worst:.3g}, total {total_rel:.3g}")
    return len(merged), worst


def timed(repeat, fn, *args):
    """Result and best wall time of ``repeat`` runs (the machine may be shared)."""
    best = float("inf")
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return out, best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="shrink feature counts")
    parser.add_argument("--workers", type=int, default=None, help="threads (default: all)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per engine; the fastest is reported"
    )
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    layers = make_layers(args.scale)
    # positional ids that survive geopandas.overlay, for the per-pair comparison
    tagged = {k: v.assign(_l=np.arange(len(v)), _r=np.arange(len(v))) for k, v in layers.items()}
    print(
        f"data: {', '.join(f'{k} {len(v):,}' for k, v in layers.items())} "
        f"(generated in {time.perf_counter() - t0:.1f} s); cores: {os.cpu_count()}, "
        f"workers: {args.workers or os.cpu_count()}, best of {args.repeat} runs\n"
    )

    cases = {
        "landuse x redline": [("landuse", "redline")],
        "three-line check": [("redline", "farmland"), ("redline", "urban"), ("farmland", "urban")],
    }
    rows = []
    for name, steps in cases.items():
        t_ours = t_theirs = 0.0
        npairs, worst = 0, 0.0
        for a, b in steps:
            left = tagged[a].drop(columns="_r")
            right = tagged[b].drop(columns="_l")
            ours, dt = timed(args.repeat, run_ecogis, left, right, args.workers)
            t_ours += dt
            theirs, dt = timed(args.repeat, run_geopandas, left, right)
            t_theirs += dt
            n, w = compare(ours, theirs)
            npairs += n
            worst = max(worst, w)
        rows.append((name, npairs, t_ours, t_theirs, worst))

    print("| case | pairs | ecogis (s) | geopandas.overlay (s) | speed-up | worst rel. area diff |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, npairs, t_ours, t_theirs, worst in rows:
        print(
            f"| {name} | {npairs:,} | {t_ours:.2f} | {t_theirs:.2f} | "
            f"{t_theirs / t_ours:.1f}x | {worst:.1e} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

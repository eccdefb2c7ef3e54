"""Deterministic synthetic county-scale layers for the overlay benchmarks.

Everything is generated from a seeded :class:`numpy.random.Generator`, so two runs with the
same arguments produce identical geometries. Coordinates are metres in a Gauss-Kruger-like
frame (EPSG:4547, CGCS2000 / 3-degree GK CM 114E), near the Hunshandake study area.
"""

from __future__ import annotations

import numpy as np
import shapely
from geopandas import GeoDataFrame

__all__ = ["WORKING_CRS", "patch_tiling", "blobs"]

WORKING_CRS = "EPSG:4547"
# origin of the synthetic county in EPSG:4547 (easting, northing), metres
X0, Y0 = 400_000.0, 4_700_000.0


def patch_tiling(
    n: int, *, extent_m: float = 60_000.0, seed: int = 0, origin: tuple[float, float] = (X0, Y0)
) -> GeoDataFrame:
    """About ``n`` irregular land-use patches that tile a square of side ``extent_m``.

    A jittered grid: corner and edge-midpoint vertices are shared by neighbouring cells, so
    the patches tile the square exactly (no gaps, no overlaps) and each has eight vertices.
    """
    rng = np.random.default_rng(seed)
    k = max(1, int(round(np.sqrt(n))))
    step = extent_m / k
    ox, oy = origin
    # corner lattice (k+1)x(k+1), jittered inside; the outer frame stays straight
    gx, gy = np.meshgrid(np.arange(k + 1) * step, np.arange(k + 1) * step, indexing="ij")
    jx = rng.uniform(-0.3, 0.3, gx.shape) * step
    jy = rng.uniform(-0.3, 0.3, gy.shape) * step
    jx[[0, -1], :] = 0.0
    jy[:, [0, -1]] = 0.0
    cx, cy = gx + jx + ox, gy + jy + oy
    # midpoints of horizontal edges (between (i,j) and (i+1,j)), jittered across the edge
    hx = (cx[:-1, :] + cx[1:, :]) / 2
    hy = (cy[:-1, :] + cy[1:, :]) / 2 + rng.uniform(-0.15, 0.15, (k, k + 1)) * step
    hy[:, [0, -1]] = cy[:-1, [0, -1]]
    # midpoints of vertical edges (between (i,j) and (i,j+1))
    vx = (cx[:, :-1] + cx[:, 1:]) / 2 + rng.uniform(-0.15, 0.15, (k + 1, k)) * step
    vy = (cy[:, :-1] + cy[:, 1:]) / 2
    vx[[0, -1], :] = cx[[0, -1], :-1]
    i, j = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
    i, j = i.ravel(), j.ravel()
    ring_x = np.stack(
        [cx[i, j], hx[i, j], cx[i + 1, j], vx[i + 1, j], cx[i + 1, j + 1], hx[i, j + 1],
         cx[i, j + 1], vx[i, j], cx[i, j]],
        axis=1,
    )  # fmt: skip
    ring_y = np.stack(
        [cy[i, j], hy[i, j], cy[i + 1, j], vy[i + 1, j], cy[i + 1, j + 1], hy[i, j + 1],
         cy[i, j + 1], vy[i, j], cy[i, j]],
        axis=1,
    )  # fmt: skip
    geoms = shapely.polygons(np.stack([ring_x, ring_y], axis=2))
    codes = rng.choice(np.array(["0101", "0301", "0401", "1101", "1205"]), size=len(geoms))
    return GeoDataFrame({"DLBM": codes}, geometry=geoms, crs=WORKING_CRS)


def blobs(
    n: int,
    *,
    extent_m: float = 60_000.0,
    seed: int = 1,
    median_radius_m: float = 300.0,
    sigma: float = 0.9,
    max_radius_m: float = 8_000.0,
    origin: tuple[float, float] = (X0, Y0),
) -> GeoDataFrame:
    """``n`` irregular star-shaped blobs (red-line style polygons), lognormal sizes.

    Radii follow a lognormal law around ``median_radius_m`` (a few are large, capped at
    ``max_radius_m``); outlines are a random Fourier series in the angle, with 48 to 720
    vertices depending on size. Blobs may overlap one another.
    """
    rng = np.random.default_rng(seed)
    ox, oy = origin
    radius = np.minimum(median_radius_m * rng.lognormal(0.0, sigma, n), max_radius_m)
    centre = rng.uniform(0.0, extent_m, (n, 2)) + (ox, oy)
    nvert = np.clip((radius / 12.0).astype(int), 48, 720)
    geoms = np.empty(n, dtype=object)
    for f in range(n):
        t = np.linspace(0.0, 2 * np.pi, nvert[f], endpoint=False)
        r = np.ones_like(t)
        for h in range(2, 7):
            r += rng.uniform(0.0, 0.35 / h * 2) * np.cos(h * t + rng.uniform(0, 2 * np.pi))
        r += rng.uniform(-0.02, 0.02, t.size)  # small ragged digitising noise
        r = np.maximum(r, 0.2) * radius[f]
        ring = np.column_stack([centre[f, 0] + r * np.cos(t), centre[f, 1] + r * np.sin(t)])
        geoms[f] = shapely.Polygon(ring)
    geoms = shapely.make_valid(geoms)
    geoms = np.array([_polygonal(g) for g in geoms], dtype=object)
    return GeoDataFrame({"id": np.arange(n)}, geometry=geoms, crs=WORKING_CRS)


def _polygonal(g):
    # make_valid may split a self-touching outline; keep it polygonal only
    parts = [p for p in shapely.get_parts(g) if p.geom_type == "Polygon"]
    if len(parts) == 1:
        return parts[0]
    return shapely.MultiPolygon(parts)

"""Property tests (hypothesis) of the overlay engine on whole layers.

``tests/test_overlay.py`` already checks one pair at a time (area(A∩B) + area(A−B) = area(A),
swapped sides mirror the relations). Here the layers have several features that may overlap
one another, as real control layers do:

- per feature, ``overlap_area`` equals the area of the feature ∩ union(other layer), and
  ``overlap_area + area(difference_each) = area``;
- ``difference_each`` and the intersection with the union tile the original: they do not
  overlap, and together they cover it;
- results do not depend on the order of the features in either layer;
- ``by="right"`` is the same as swapping the layers; ``self_overlaps`` equals the
  off-diagonal ``intersect_pairs`` of a layer with itself;
- moving everything to real Gauss-Kruger coordinates (500 km, 4 700 km) changes no area
  beyond 1e-6 relative.

(The local vs dask engine equality lives in ``tests/test_engine_dask.py``.)
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from geopandas import GeoDataFrame
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import MultiPolygon, Polygon, box

from ecogis.overlay import difference_each, intersect_pairs, overlap_area, self_overlaps

CRS = "EPSG:4547"
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

coord = st.floats(min_value=0.0, max_value=1000.0, allow_nan=False, allow_infinity=False)


@st.composite
def polygons(draw) -> Polygon | MultiPolygon:
    """A valid polygon: an axis-parallel box, a rotated box, or a star split by make_valid."""
    kind = draw(st.sampled_from(["box", "rotated", "star"]))
    cx, cy = draw(coord), draw(coord)
    if kind in ("box", "rotated"):
        w = draw(st.floats(1.0, 600.0))
        h = draw(st.floats(1.0, 600.0))
        g = box(cx, cy, cx + w, cy + h)
        if kind == "rotated":
            g = shapely.affinity.rotate(g, draw(st.floats(-89.0, 89.0)), origin="centroid")
        return g
    n = draw(st.integers(3, 10))
    angles = sorted(set(draw(st.lists(st.floats(0.0, 6.28), min_size=n, max_size=n))))
    radii = draw(st.lists(st.floats(5.0, 500.0), min_size=len(angles), max_size=len(angles)))
    ring = [(cx + r * np.cos(t), cy + r * np.sin(t)) for t, r in zip(angles, radii, strict=True)]
    if len(ring) < 3:
        return box(cx, cy, cx + 10, cy + 10)
    g = shapely.make_valid(Polygon(ring))
    parts = [p for p in shapely.get_parts(g) if p.geom_type == "Polygon" and p.area > 1e-3]
    if not parts:
        return box(cx, cy, cx + 10, cy + 10)
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def layers(min_size: int = 1, max_size: int = 6):
    return st.lists(polygons(), min_size=min_size, max_size=max_size)


def gdf(geoms, *, offset=(0.0, 0.0)) -> GeoDataFrame:
    geoms = [shapely.affinity.translate(g, *offset) for g in geoms]
    return GeoDataFrame({"fid": np.arange(len(geoms))}, geometry=geoms, crs=CRS)


def tol(geoms) -> float:
    """Absolute area tolerance: 1e-6 of the layer's total area (and at least 1e-6 m²)."""
    return max(1e-6, 1e-6 * sum(g.area for g in geoms))


@SETTINGS
@given(left=layers(), right=layers())
def test_overlap_plus_difference_is_each_feature(left, right):
    lg, rg = gdf(left), gdf(right)
    union = shapely.union_all(right)
    covered = overlap_area(lg, rg)
    rest = difference_each(lg, rg)
    for i, a in enumerate(left):
        t = tol([a, union])
        assert covered[i] == pytest.approx(shapely.intersection(a, union).area, abs=t)
        assert covered[i] + rest.iloc[i].area == pytest.approx(a.area, abs=t)
        assert covered[i] <= a.area + t


@SETTINGS
@given(left=layers(max_size=4), right=layers(max_size=4))
def test_difference_and_intersection_tile_the_original(left, right):
    lg, rg = gdf(left), gdf(right)
    union = shapely.union_all(right)
    rest = difference_each(lg, rg)
    for i, a in enumerate(left):
        t = tol([a, union])
        r = rest.iloc[i]
        assert r.is_valid
        inside = shapely.intersection(a, union)
        # the pieces do not overlap ...
        assert shapely.intersection(r, inside).area <= t
        # ... stay inside the original, and together cover it
        assert shapely.difference(r, a).area <= t
        assert shapely.symmetric_difference(shapely.union(r, inside), a).area <= t


def _pair_set(pairs: GeoDataFrame, lmap, rmap) -> dict:
    return {
        (int(lmap[i]), int(rmap[j])): (round(area, 3), rel)
        for i, j, area, rel in zip(
            pairs.idx_left, pairs.idx_right, pairs.area_m2, pairs.relation, strict=True
        )
    }


@SETTINGS
@given(left=layers(), right=layers(), data=st.data())
def test_results_do_not_depend_on_feature_order(left, right, data):
    lp = data.draw(st.permutations(range(len(left))))
    rp = data.draw(st.permutations(range(len(right))))
    lg, rg = gdf(left), gdf(right)
    lg2, rg2 = lg.iloc[list(lp)], rg.iloc[list(rp)]

    # pairs: the same set of (left fid, right fid) with the same areas and relations
    ident_l, ident_r = np.arange(len(left)), np.arange(len(right))
    base = _pair_set(intersect_pairs(lg, rg), ident_l, ident_r)
    perm = _pair_set(intersect_pairs(lg2, rg2), lg2.fid.to_numpy(), rg2.fid.to_numpy())
    assert base.keys() == perm.keys()
    for k in base:
        assert perm[k][1] == base[k][1]
        assert perm[k][0] == pytest.approx(base[k][0], abs=1e-3)

    # per-feature areas follow their features
    t = tol(left + right)
    np.testing.assert_allclose(overlap_area(lg2, rg2), overlap_area(lg, rg)[list(lp)], atol=t)
    np.testing.assert_allclose(
        difference_each(lg2, rg2).area.to_numpy(),
        difference_each(lg, rg).area.to_numpy()[list(lp)],
        atol=t,
    )
    # self-overlaps: the same unordered pairs
    so = self_overlaps(lg)
    so2 = self_overlaps(lg2)
    f2 = lg2.fid.to_numpy()
    a = {(int(i), int(j)): ar for i, j, ar in zip(so.idx_a, so.idx_b, so.area_m2, strict=True)}
    b = {
        tuple(sorted((int(f2[i]), int(f2[j])))): ar
        for i, j, ar in zip(so2.idx_a, so2.idx_b, so2.area_m2, strict=True)
    }
    assert a.keys() == b.keys()
    for k in a:
        assert b[k] == pytest.approx(a[k], abs=1e-6 * max(1.0, a[k]))


@SETTINGS
@given(left=layers(), right=layers())
def test_by_right_is_swapping_the_layers(left, right):
    lg, rg = gdf(left), gdf(right)
    np.testing.assert_allclose(
        overlap_area(lg, rg, by="right"), overlap_area(rg, lg), rtol=1e-12, atol=1e-9
    )


@SETTINGS
@given(layer=layers(min_size=2, max_size=7))
def test_self_overlaps_are_the_off_diagonal_pairs(layer):
    g = gdf(layer)
    so = self_overlaps(g)
    pairs = intersect_pairs(g, g)
    upper = pairs[pairs.idx_left < pairs.idx_right]
    assert list(zip(so.idx_a, so.idx_b, strict=True)) == list(
        zip(upper.idx_left, upper.idx_right, strict=True)
    )
    np.testing.assert_allclose(so.area_m2.to_numpy(), upper.area_m2.to_numpy(), rtol=1e-12)
    assert (so.area_m2 > 0).all()
    # every pair's area is bounded by the smaller feature
    for i, j, ar in zip(so.idx_a, so.idx_b, so.area_m2, strict=True):
        assert ar <= min(layer[i].area, layer[j].area) * (1 + 1e-9) + 1e-9


@SETTINGS
@given(left=layers(max_size=4), right=layers(max_size=4))
def test_areas_survive_real_gauss_kruger_coordinates(left, right):
    """Coordinates of 500 km / 4 700 km (EPSG:4547 in Zhengxiangbai) lose no area precision."""
    near = overlap_area(gdf(left), gdf(right))
    far = overlap_area(
        gdf(left, offset=(500_000.0, 4_700_000.0)), gdf(right, offset=(500_000.0, 4_700_000.0))
    )
    t = tol(left + right)
    np.testing.assert_allclose(far, near, rtol=1e-6, atol=max(t, 1e-3))
    rest_near = difference_each(gdf(left), gdf(right)).area.to_numpy()
    rest_far = difference_each(
        gdf(left, offset=(500_000.0, 4_700_000.0)), gdf(right, offset=(500_000.0, 4_700_000.0))
    ).area.to_numpy()
    np.testing.assert_allclose(rest_far, rest_near, rtol=1e-6, atol=max(t, 1e-3))

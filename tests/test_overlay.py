"""Tests for the exact overlay engine (ecogis.overlay)."""

from __future__ import annotations

from pathlib import Path

import geopandas
import numpy as np
import pytest
import shapely
import shapely.affinity
from geopandas import GeoDataFrame
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import MultiPolygon, Polygon, box

from ecogis.errors import CRSError
from ecogis.overlay import (
    difference_each,
    intersect_pairs,
    overlap_area,
    self_overlaps,
)
from ecogis.units import m2_to_mu

CRS = "EPSG:4547"  # CGCS2000 / 3-degree Gauss-Kruger CM 114E, metres
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
GPD_OVERLAY = SHARED_DATA / "geopandas_overlay"
PAIR_COLUMNS = ["idx_left", "idx_right", "area_m2", "relation", "geometry"]


def gdf(*geoms, crs=CRS) -> GeoDataFrame:
    return GeoDataFrame(
        {"name": [f"f{i}" for i in range(len(geoms))]}, geometry=list(geoms), crs=crs
    )


def star(rng: np.random.Generator, cx: float, cy: float, r: float, n: int = 12) -> Polygon:
    """A random star-shaped polygon: always simple, often concave."""
    t = np.sort(rng.uniform(0, 2 * np.pi, n))
    rad = r * rng.uniform(0.3, 1.0, n)
    return Polygon(np.column_stack([cx + rad * np.cos(t), cy + rad * np.sin(t)]))


def random_layer(seed: int, n: int, extent: float = 5000.0, r: float = 600.0) -> GeoDataFrame:
    rng = np.random.default_rng(seed)
    geoms = [star(rng, *rng.uniform(0, extent, 2), r * rng.uniform(0.3, 1.5)) for _ in range(n)]
    geoms = shapely.make_valid(np.array(geoms, dtype=object))
    return GeoDataFrame(geometry=geoms, crs=CRS)


# -- basic cases -------------------------------------------------------------------------------


def test_offset_squares_exact_area():
    a = gdf(box(0, 0, 1000, 1000))
    b = gdf(box(500, 0, 1500, 1000))
    out = intersect_pairs(a, b)
    assert list(out.columns) == PAIR_COLUMNS
    assert len(out) == 1
    row = out.iloc[0]
    assert (row.idx_left, row.idx_right) == (0, 0)
    assert row.area_m2 == 500000.0
    assert m2_to_mu(row.area_m2) == 750.0
    assert row.relation == "crossing"
    assert row.geometry.equals(box(500, 0, 1000, 1000))
    assert out.crs == a.crs
    assert out["idx_left"].dtype == np.int64 and out["idx_right"].dtype == np.int64


def test_within_crossing_touching_relations():
    left = gdf(
        box(0, 0, 100, 100),  # 0: contains right 0, crosses right 1, touches right 2
        box(1000, 1000, 1010, 1010),  # 1: lies inside right 3
        box(2000, 0, 2100, 100),  # 2: shares an edge piece with right 4, which it covers
    )
    right = gdf(
        box(10, 10, 20, 20),
        box(90, 0, 150, 50),
        box(100, 50, 200, 150),  # touches left 0 along x=100: zero area, dropped
        box(900, 900, 1100, 1100),
        box(2000, 0, 2050, 100),  # covered by left 2 but not properly contained
        box(100, 100, 120, 120),  # touches left 0 in one corner point only
    )
    out = intersect_pairs(left, right)
    got = {(r.idx_left, r.idx_right): (r.relation, r.area_m2) for r in out.itertuples()}
    assert got == {
        (0, 0): ("within_left", 100.0),
        (0, 1): ("crossing", 500.0),
        (1, 3): ("within_right", 100.0),
        (2, 4): ("within_left", 5000.0),
    }
    # within pairs give the contained geometry itself
    assert out.geometry.iloc[0].equals(box(10, 10, 20, 20))
    assert out.geometry.iloc[2].equals(box(1000, 1000, 1010, 1010))


def test_identical_geometries_are_within_left():
    out = intersect_pairs(gdf(box(0, 0, 10, 10)), gdf(box(0, 0, 10, 10)))
    assert out.relation.tolist() == ["within_left"]
    assert out.area_m2.tolist() == [100.0]


def test_equal_polygons_with_different_vertex_counts_are_within_left():
    # the same square, once with a repeated vertex: each covers the other, whichever side
    # has more vertices (hypothesis found the engine saying "within_right" here)
    a = box(0, 0, 10, 10)
    b = Polygon([(0, 0), (0, 0), (10, 0), (10, 10), (0, 10)])
    for left, right in ((a, b), (b, a)):
        out = intersect_pairs(gdf(left), gdf(right))
        assert out.relation.tolist() == ["within_left"]
        assert out.area_m2.tolist() == [100.0]


def test_holes_and_multipolygons():
    ring = Polygon(box(0, 0, 100, 100).exterior.coords, [box(25, 25, 75, 75).exterior.coords])
    left = gdf(ring)
    right = gdf(
        box(30, 30, 70, 70),  # inside the hole: no overlap at all
        box(50, 0, 150, 100),  # half the ring, minus half the hole
        MultiPolygon([box(-10, -10, 10, 10), box(90, 90, 110, 110)]),  # two corners
    )
    out = intersect_pairs(left, right)
    assert out.idx_right.tolist() == [1, 2]
    assert out.area_m2.tolist() == pytest.approx([5000.0 - 1250.0, 200.0], rel=1e-12)
    assert out.geometry.iloc[1].geom_type == "MultiPolygon"
    # a multipolygon that covers a polygon
    out = intersect_pairs(
        gdf(MultiPolygon([box(0, 0, 10, 10), box(20, 0, 30, 10)])), gdf(box(21, 1, 22, 2))
    )
    assert out.relation.tolist() == ["within_left"] and out.area_m2.tolist() == [1.0]


def test_touching_part_of_collection_is_dropped():
    # the overlap is a square plus a touching edge: GEOS returns a GeometryCollection
    left = gdf(MultiPolygon([box(0, 0, 2, 2), box(3, 0, 4, 2)]))
    right = gdf(box(1, 0, 3, 1))
    raw = shapely.intersection(left.geometry.iloc[0], right.geometry.iloc[0])
    out = intersect_pairs(left, right)
    assert len(out) == 1
    assert out.area_m2.iloc[0] == pytest.approx(raw.area) == pytest.approx(1.0)
    assert out.geom_type.tolist() == ["Polygon"]


def test_empty_and_missing_geometries():
    empty = gdf()
    full = gdf(box(0, 0, 10, 10))
    for a, b in [(empty, full), (full, empty), (empty, empty)]:
        out = intersect_pairs(a, b)
        assert len(out) == 0 and list(out.columns) == PAIR_COLUMNS
        assert out["idx_left"].dtype == np.int64
    out = intersect_pairs(empty, full, keep_geometry=False)
    assert list(out.columns) == ["idx_left", "idx_right", "area_m2", "relation"]
    so = self_overlaps(empty)
    assert len(so) == 0 and list(so.columns) == ["idx_a", "idx_b", "area_m2", "geometry"]
    assert overlap_area(empty, full).shape == (0,)
    assert len(difference_each(empty, full)) == 0
    # None and empty geometries never match
    out = intersect_pairs(gdf(None, Polygon(), box(0, 0, 10, 10)), full)
    assert out.idx_left.tolist() == [2]


def test_keep_geometry_false_gives_same_areas():
    a, b = random_layer(1, 40), random_layer(2, 40)
    with_geom = intersect_pairs(a, b)
    without = intersect_pairs(a, b, keep_geometry=False)
    assert "geometry" not in without.columns
    assert without[["idx_left", "idx_right", "relation"]].equals(
        with_geom[["idx_left", "idx_right", "relation"]]
    )
    np.testing.assert_array_equal(without.area_m2.to_numpy(), with_geom.area_m2.to_numpy())


# -- CRS ---------------------------------------------------------------------------------------


def test_crs_mismatch_and_geographic_are_refused():
    a = gdf(box(0, 0, 1, 1))
    with pytest.raises(CRSError, match="different CRSs"):
        intersect_pairs(a, gdf(box(0, 0, 1, 1), crs="EPSG:4548"))
    with pytest.raises(CRSError, match="different CRSs"):
        intersect_pairs(a, gdf(box(0, 0, 1, 1), crs=None))
    with pytest.raises(CRSError, match="geographic"):
        intersect_pairs(
            gdf(box(0, 0, 1, 1), crs="EPSG:4490"), gdf(box(0, 0, 1, 1), crs="EPSG:4490")
        )
    with pytest.raises(CRSError, match="metre"):
        self_overlaps(gdf(box(0, 0, 1, 1), crs="EPSG:2263"))  # US survey feet
    with pytest.raises(CRSError):
        difference_each(a, gdf(box(0, 0, 1, 1), crs="EPSG:4326"))


# -- exactness against shapely and geopandas ---------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_pairs_match_shapely_and_geopandas(seed):
    left, right = random_layer(10 + seed, 60), random_layer(20 + seed, 80, r=900.0)
    out = intersect_pairs(left, right, workers=2)
    assert set(out.relation) <= {"within_left", "within_right", "crossing"}
    expected = shapely.area(
        shapely.intersection(
            left.geometry.values[out.idx_left.to_numpy()],
            right.geometry.values[out.idx_right.to_numpy()],
        )
    )
    np.testing.assert_allclose(out.area_m2.to_numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(out.area.to_numpy(), expected, rtol=1e-6)
    # every brute-force pair with positive area is found, and no other
    brute = {
        (i, j)
        for i, a in enumerate(left.geometry)
        for j, b in enumerate(right.geometry)
        if a.intersection(b).area > 0
    }
    assert set(zip(out.idx_left, out.idx_right, strict=True)) == brute
    gpd = geopandas.overlay(left, right, how="intersection", keep_geom_type=True)
    assert out.area_m2.sum() == pytest.approx(gpd.area.sum(), rel=1e-6)
    assert out.geom_type.isin(["Polygon", "MultiPolygon"]).all()


def test_threads_and_progress_on_many_pairs():
    # enough candidate pairs for the thread pool to be used
    xs = np.arange(130) * 10.0
    cells = [box(x, y, x + 10, y + 10) for x in xs for y in xs]
    left = GeoDataFrame(geometry=cells, crs=CRS)
    right = random_layer(5, 30, extent=1300.0, r=250.0)
    calls = []
    parallel = intersect_pairs(left, right, workers=2, progress=lambda d, t: calls.append((d, t)))
    serial = intersect_pairs(left, right, workers=1)
    assert len(parallel) > 1000
    assert parallel.drop(columns="geometry").equals(serial.drop(columns="geometry"))
    assert parallel.geometry.geom_equals_exact(serial.geometry, 0).all()
    total = calls[-1][1]
    assert total > 1 and [d for d, _ in calls] == list(range(1, total + 1))
    assert {t for _, t in calls} == {total}


def test_workers_must_be_positive():
    with pytest.raises(ValueError, match="workers"):
        intersect_pairs(gdf(box(0, 0, 1, 1)), gdf(box(0, 0, 1, 1)), workers=0)


# -- geopandas' own overlay test data ----------------------------------------------------------


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(
            f"shared test data not found at {path} (expected ../shared/data beside the clone)"
        )
    return path


def test_geopandas_polys_intersection():
    d = _need(GPD_OVERLAY / "polys")
    # the file is in EPSG:4326 on a 0-4 grid: read the numbers as metres of a projected CRS
    read = lambda name: geopandas.read_file(d / name).set_crs(CRS, allow_override=True)  # noqa: E731
    df1, df2, expected = (
        read("df1.geojson"),
        read("df2.geojson"),
        read("df1_df2-intersection.geojson"),
    )
    out = intersect_pairs(df1, df2)
    assert len(out) == len(expected)
    got = sorted(
        zip(
            df1.col1.to_numpy()[out.idx_left],
            df2.col2.to_numpy()[out.idx_right],
            out.area_m2,
            strict=True,
        )
    )
    want = sorted(zip(expected.col1, expected.col2, expected.area, strict=True))
    assert got == want
    for g, (c1, c2) in zip(
        out.geometry,
        zip(df1.col1.to_numpy()[out.idx_left], df2.col2.to_numpy()[out.idx_right], strict=True),
        strict=True,
    ):
        exp = expected[(expected.col1 == c1) & (expected.col2 == c2)].geometry.iloc[0]
        assert g.symmetric_difference(exp).area == 0


def test_geopandas_nybb_qgis_intersection():
    d = _need(GPD_OVERLAY / "nybb_qgis")
    # EPSG:2263 is in US feet, which the engine refuses; relabel the same numbers as metres
    read = lambda name: geopandas.read_file(d / name).set_crs("EPSG:32618", allow_override=True)  # noqa: E731
    df1, df2 = read("polydf.shp"), read("polydf2.shp")
    expected = read("qgis-intersection.shp")
    out = intersect_pairs(df1, df2)
    assert len(out) == len(expected)
    # QGIS agrees to reduced precision only
    np.testing.assert_allclose(np.sort(out.area_m2), np.sort(expected.area), rtol=1e-6)
    assert out.area_m2.sum() == pytest.approx(expected.area.sum(), rel=1e-6)
    got = sorted(
        zip(
            df1.BoroCode.to_numpy()[out.idx_left], df2.value1.to_numpy()[out.idx_right], strict=True
        )
    )
    assert got == sorted(zip(expected.BoroCode, expected.value1, strict=True))


# -- overlap_area, self_overlaps, difference_each ----------------------------------------------


def test_overlap_area_counts_overlapping_right_features_once():
    left = gdf(box(0, 0, 100, 100), box(200, 0, 300, 100), box(500, 0, 600, 100))
    right = gdf(
        box(50, 0, 150, 100),  # half of left 0
        box(40, 0, 140, 50),  # overlaps right 0: adds only 10x50 more to left 0
        box(250, 0, 260, 10),
        box(270, 0, 280, 10),
    )
    np.testing.assert_array_equal(overlap_area(left, right), [5500.0, 200.0, 0.0])
    np.testing.assert_array_equal(
        overlap_area(left, right, by="right", workers=1), [5000.0, 3000.0, 100.0, 100.0]
    )
    # without overlapping right features the sum of pieces is used (same answer)
    np.testing.assert_array_equal(overlap_area(left, right.iloc[[0, 2, 3]]), [5000.0, 200.0, 0.0])
    with pytest.raises(ValueError, match="'left' or 'right'"):
        overlap_area(left, right, by="both")


def test_overlap_area_matches_union_on_random_layers():
    left, right = random_layer(31, 30), random_layer(32, 50, r=900.0)
    got = overlap_area(left, right)
    union = right.union_all()
    expected = shapely.area(shapely.intersection(left.geometry.values, union))
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_self_overlaps():
    layer = gdf(
        box(0, 0, 10, 10),
        box(5, 0, 15, 10),
        box(10, 0, 20, 10),
        box(100, 0, 110, 10),
        box(2, 2, 3, 3),
    )
    out = self_overlaps(layer)
    assert list(out.columns) == ["idx_a", "idx_b", "area_m2", "geometry"]
    assert list(zip(out.idx_a, out.idx_b, out.area_m2, strict=True)) == [
        (0, 1, 50.0),
        (0, 4, 1.0),
        (1, 2, 50.0),
    ]
    # a clean tiling has none
    tiles = GeoDataFrame(geometry=[box(x, 0, x + 1, 1) for x in range(50)], crs=CRS)
    assert len(self_overlaps(tiles)) == 0


def test_difference_each():
    left = gdf(box(0, 0, 100, 100), box(200, 0, 300, 100), box(500, 0, 600, 100))
    left.index = ["a", "b", "c"]
    right = gdf(
        box(50, 0, 150, 100), box(60, 0, 160, 50), box(190, -10, 310, 110), box(600, 0, 700, 100)
    )
    out = difference_each(left, right)
    assert list(out.index) == ["a", "b", "c"]
    assert out.crs == left.crs
    assert out["a"].equals(box(0, 0, 50, 100))
    assert out["b"].is_empty and out["b"].geom_type == "Polygon"
    assert out["c"].equals(box(500, 0, 600, 100))  # only touched: unchanged


# -- properties --------------------------------------------------------------------------------

coord = st.floats(min_value=0.0, max_value=1000.0, allow_nan=False, width=32)


@st.composite
def polygons(draw):
    """Valid polygons: star-shaped rings (possibly split by make_valid) or boxes."""
    if draw(st.booleans()):
        x0, x1 = sorted(draw(st.tuples(coord, coord)))
        y0, y1 = sorted(draw(st.tuples(coord, coord)))
        if x1 - x0 < 1 or y1 - y0 < 1:
            x1, y1 = x0 + 1, y0 + 1
        return box(x0, y0, x1, y1)
    cx, cy = draw(coord), draw(coord)
    n = draw(st.integers(3, 12))
    angles = sorted(set(draw(st.lists(st.floats(0, 6.28), min_size=n, max_size=n))))
    radii = draw(st.lists(st.floats(1.0, 600.0), min_size=len(angles), max_size=len(angles)))
    ring = [(cx + r * np.cos(t), cy + r * np.sin(t)) for t, r in zip(angles, radii, strict=True)]
    if len(ring) < 3:
        return box(cx, cy, cx + 10, cy + 10)
    g = shapely.make_valid(Polygon(ring))
    parts = [p for p in shapely.get_parts(g) if p.geom_type == "Polygon" and p.area > 0]
    if not parts:
        return box(cx, cy, cx + 10, cy + 10)
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=polygons(), b=polygons())
def test_property_intersection_plus_difference_is_whole(a, b):
    left, right = gdf(a), gdf(b)
    pairs = intersect_pairs(left, right)
    inter = pairs.area_m2.sum()
    rest = difference_each(left, right).area.iloc[0]
    assert inter + rest == pytest.approx(a.area, rel=1e-9, abs=1e-6)
    assert inter == pytest.approx(shapely.intersection(a, b).area, rel=1e-6, abs=1e-9)
    # swapping the sides gives the same areas, with mirrored relations
    swapped = intersect_pairs(right, left)
    assert swapped.area_m2.sum() == pytest.approx(inter, rel=1e-9, abs=1e-9)
    mirror = {"within_left": "within_right", "within_right": "within_left", "crossing": "crossing"}
    if a.equals(b):  # each covers the other: both orders say "within_left"
        assert list(swapped.relation) == list(pairs.relation) == ["within_left"]
    else:
        assert [mirror[r] for r in pairs.relation] == list(swapped.relation)


def test_difference_each_covered_by_two_leaves_nothing():
    # a site covered only by the union of two tilted polygons: no slivers may survive
    site = Polygon([(0, 0), (100, 3), (97, 103), (-3, 100)])
    a = shapely.affinity.rotate(box(-50, -50, 60, 160), 7, origin=(0, 0))
    b = shapely.affinity.rotate(box(40, -60, 170, 170), -5, origin=(50, 50))
    assert a.union(b).covers(site) and not a.covers(site) and not b.covers(site)
    out = difference_each(gdf(site), gdf(a, b))
    assert out.iloc[0].is_empty
    np.testing.assert_allclose(overlap_area(gdf(site), gdf(a, b)), [site.area], rtol=1e-12)


def test_overlap_area_feature_inside_overlapping_features():
    # left 0 lies inside right 0 and is crossed by right 1, which overlaps right 0
    left = gdf(box(10, 10, 20, 20), box(100, 0, 110, 10))
    right = gdf(box(0, 0, 50, 50), box(15, 0, 105, 30))
    np.testing.assert_array_equal(overlap_area(left, right), [100.0, 50.0])

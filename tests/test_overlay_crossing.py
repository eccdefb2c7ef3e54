"""The edge-arithmetic kernel for crossing pairs (ecogis.overlay.crossing) against GEOS.

Where the kernel takes a pair (``ok``), its result must be GEOS's result itself: the same
vertices (compared after ``normalize`` with tolerance 0) and the same area to rounding. Where
the boundaries touch or run along each other it must hand the pair back to GEOS. The engine
(``intersect_pairs``) must give GEOS's pairs, relations, areas and geometries either way.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
import shapely.affinity
from geopandas import GeoDataFrame
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import MultiPolygon, Polygon, box

from ecogis.overlay import intersect_pairs
from ecogis.overlay.crossing import _SCAN_BLOCKS, _SMALL, EdgeTable, crossing_overlay

CRS = "EPSG:4547"
X0, Y0 = 500_000.0, 4_700_000.0  # real Gauss-Kruger magnitudes: rounding matters here
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run_kernel(lefts, rights, *, keep_geometry=True):
    lt = EdgeTable(np.asarray(lefts, dtype=object))
    rt = EdgeTable(np.asarray(rights, dtype=object))
    k = np.arange(len(lefts))
    return crossing_overlay(lt, rt, k, k, keep_geometry=keep_geometry)


def geos_polygonal(a, b):
    g = shapely.intersection(a, b)
    parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
    parts = [q for p in parts for q in shapely.get_parts(p)]
    if not parts:
        return Polygon()
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def crosses(a, b) -> bool:
    """The pairs the engine hands to the kernel: they meet and neither covers the other."""
    return a.intersects(b) and not a.covers(b) and not b.covers(a)


def assert_is_geos(ours, a, b):
    want = geos_polygonal(a, b)
    assert ours.is_valid
    assert shapely.equals_exact(shapely.normalize(ours), shapely.normalize(want), tolerance=0), (
        f"kernel {ours.wkt}\n GEOS {want.wkt}"
    )


def star(cx, cy, radius, n, seed, *, phase=0.0):
    rng = np.random.default_rng(seed)
    t = np.sort(rng.uniform(0, 2 * np.pi, n)) + phase
    r = radius * rng.uniform(0.4, 1.0, n)
    return Polygon(np.column_stack([cx + r * np.cos(t), cy + r * np.sin(t)]))


def roll(poly: Polygon, k: int) -> Polygon:
    """The same polygon with its exterior ring starting at another vertex."""
    c = np.asarray(poly.exterior.coords)[:-1]
    c = np.roll(c, k, axis=0)
    return Polygon(c, [r.coords for r in poly.interiors])


# -- hypothesis: random pairs in general position ----------------------------------------------

coord = st.floats(-400.0, 400.0, allow_nan=False)


@st.composite
def shapes(draw):
    """A valid polygon or multipolygon near (X0, Y0): stars, rotated boxes, holes, two parts."""
    kind = draw(st.sampled_from(["star", "star", "box", "holed", "multi", "big"]))
    cx, cy = X0 + draw(coord), Y0 + draw(coord)
    seed = draw(st.integers(0, 2**31))
    if kind == "box":
        w, h = draw(st.floats(5.0, 500.0)), draw(st.floats(5.0, 500.0))
        g = shapely.affinity.rotate(box(cx, cy, cx + w, cy + h), draw(st.floats(-80, 80)))
    elif kind == "big":
        g = star(cx, cy, draw(st.floats(200.0, 600.0)), draw(st.integers(_SMALL + 1, 900)), seed)
    else:
        g = star(cx, cy, draw(st.floats(20.0, 500.0)), draw(st.integers(3, 40)), seed)
    if kind == "holed":
        hole = shapely.affinity.scale(g, 0.3, 0.3, origin=(cx, cy))
        if g.contains(hole):
            g = Polygon(g.exterior.coords, [hole.exterior.coords])
    if kind == "multi":
        other = star(cx + 700, cy, 200.0, 8, seed + 1)
        g = MultiPolygon([g, other]) if not g.intersects(other) else g
    g = shapely.make_valid(g)
    parts = [p for p in shapely.get_parts(g) if p.geom_type == "Polygon" and p.area > 1.0]
    if not parts:
        return box(cx, cy, cx + 10, cy + 10)
    g = parts[0] if len(parts) == 1 else MultiPolygon(parts)
    if draw(st.booleans()):
        g = shapely.reverse(g)  # rings in the other orientation must not matter
    return g


@SETTINGS
@given(st.lists(st.tuples(shapes(), shapes()), min_size=1, max_size=12))
def test_kernel_is_geos_on_random_pairs(pairs):
    pairs = [(a, b) for a, b in pairs if crosses(a, b)]
    if not pairs:
        return
    lefts, rights = zip(*pairs, strict=True)
    ok, area, geom = run_kernel(lefts, rights)
    for k in np.flatnonzero(ok):
        a, b = lefts[k], rights[k]
        want = shapely.area(geos_polygonal(a, b))
        assert area[k] == pytest.approx(want, rel=1e-11, abs=1e-9)
        assert_is_geos(geom[k], a, b)
    # areas alone: the same numbers as with geometry
    ok2, area2, none = run_kernel(lefts, rights, keep_geometry=False)
    assert none is None
    assert (ok2 >= ok).all()
    np.testing.assert_array_equal(area2[ok], area[ok])


def test_random_pairs_mostly_take_the_fast_path():
    # floating-point data is in general position: the kernel, not GEOS, must measure it
    rng = np.random.default_rng(7)
    pairs = []
    while len(pairs) < 300:
        a = star(X0 + rng.uniform(0, 300), Y0 + rng.uniform(0, 300), 150, 12, rng.integers(1e9))
        b = star(X0 + rng.uniform(0, 300), Y0 + rng.uniform(0, 300), 150, 60, rng.integers(1e9))
        a, b = shapely.make_valid(a), shapely.make_valid(b)
        if a.geom_type == b.geom_type == "Polygon" and crosses(a, b):
            pairs.append((a, b))
    ok, area, geom = run_kernel(*zip(*pairs, strict=True))
    assert ok.mean() > 0.95
    for k in np.flatnonzero(ok):
        assert_is_geos(geom[k], *pairs[k])


@SETTINGS
@given(shapes(), shapes(), st.integers(0, 1000), st.integers(0, 1000))
def test_ring_start_does_not_matter(a, b, ka, kb):
    if not (a.geom_type == b.geom_type == "Polygon") or not crosses(a, b):
        return
    a2, b2 = roll(a, ka % (len(a.exterior.coords) - 1)), roll(b, kb % (len(b.exterior.coords) - 1))
    ok, area, geom = run_kernel([a, a2], [b, b2])
    assert ok[0] == ok[1]
    if ok[0]:
        assert area[1] == pytest.approx(area[0], rel=1e-12, abs=1e-9)
        assert shapely.equals_exact(shapely.normalize(geom[0]), shapely.normalize(geom[1]), 0)


# -- the three edge searches: all edges, blocks, STRtree of blocks -----------------------------


@pytest.mark.parametrize("nvert", [_SMALL - 2, 200, 8 * (_SCAN_BLOCKS + 1) + 50, 20_000])
def test_large_polygons_along_their_boundary(nvert):
    t = np.linspace(0, 2 * np.pi, nvert, endpoint=False)
    rng = np.random.default_rng(nvert)
    r = 3000.0 * (1 + 0.05 * np.cos(7 * t)) + rng.uniform(-3, 3, nvert)
    big = Polygon(np.column_stack([X0 + r * np.cos(t), Y0 + r * np.sin(t)]))
    ang = rng.uniform(0, 2 * np.pi, 200)
    rr = 3000.0 * (1 + 0.05 * np.cos(7 * ang))
    patches = [
        shapely.affinity.rotate(box(X0 + q * np.cos(a) - 40, Y0 + q * np.sin(a) - 25,
                                    X0 + q * np.cos(a) + 40, Y0 + q * np.sin(a) + 25), a * 57)
        for a, q in zip(ang, rr, strict=True)
    ]  # fmt: skip
    pairs = [(p, big) for p in patches if crosses(p, big)]
    assert len(pairs) > 150
    lefts, rights = zip(*pairs, strict=True)
    ok, area, geom = run_kernel(lefts, rights)
    assert ok.mean() > 0.95
    for k in np.flatnonzero(ok):
        assert area[k] == pytest.approx(shapely.area(geos_polygonal(*pairs[k])), rel=1e-11)
        assert_is_geos(geom[k], *pairs[k])
    # the big polygon on the left works the same
    ok_r, area_r, _ = run_kernel(rights, lefts, keep_geometry=False)
    np.testing.assert_allclose(area_r[ok & ok_r], area[ok & ok_r], rtol=1e-12)


# -- topology: holes, several shells, rings that do not cross ----------------------------------


def test_hole_of_the_other_polygon_inside():
    # the patch lies in the red line's shell and holds its hole: patch minus hole, no crossing
    redline = Polygon(box(0, 0, 100, 100).exterior.coords, [box(40, 40, 50, 50).exterior.coords])
    patch = box(30, 30, 60, 60)
    ok, area, geom = run_kernel([patch], [redline])
    assert ok[0] and area[0] == pytest.approx(900 - 100)
    assert len(geom[0].interiors) == 1
    assert_is_geos(geom[0], patch, redline)


def test_several_shells_and_a_part_wholly_inside():
    u_shape = Polygon([(0, 0), (30, 0), (30, 100), (20, 100), (20, 10), (10, 10), (10, 100),
                       (0, 100)])  # fmt: skip
    patch = box(-5, 50, 35, 60)  # crosses both arms
    island = MultiPolygon([box(100, 0, 200, 100), box(300, 40, 310, 50)])
    wide = box(150, 30, 350, 60)  # crosses the first part, holds the second
    ok, area, geom = run_kernel([patch, wide], [u_shape, island])
    assert ok.all()
    assert geom[0].geom_type == "MultiPolygon" and len(geom[0].geoms) == 2
    assert area[0] == pytest.approx(200.0)
    assert area[1] == pytest.approx(50 * 30 + 100)
    assert_is_geos(geom[0], patch, u_shape)
    assert_is_geos(geom[1], wide, island)


def test_several_shells_with_holes_go_to_geos():
    comb = MultiPolygon(
        [Polygon(box(0, 0, 10, 10).exterior.coords, [box(4, 4, 6, 6).exterior.coords]),
         box(20, 0, 30, 10)]
    )  # fmt: skip
    ok, _, _ = run_kernel([box(-1, 2, 31, 8)], [comb])
    assert not ok[0]  # which hole belongs to which shell is GEOS's to say
    out = intersect_pairs(
        GeoDataFrame(geometry=[box(-1, 2, 31, 8)], crs=CRS), GeoDataFrame(geometry=[comb], crs=CRS)
    )
    assert out.area_m2.tolist() == pytest.approx([60 + 60 - 4])


@pytest.mark.parametrize(
    "b",
    [
        box(5, 0, 15, 10),  # the edges y=0 and y=10 run along each other
        Polygon([(10, 5), (20, 0), (20, 10)]),  # a vertex exactly on the other's edge
        box(10, 0, 20, 10),  # touches along an edge
        Polygon([(0, 0), (10, 10), (0, 10)]),  # shares a diagonal and two vertices
    ],
)
def test_touching_and_collinear_boundaries_go_to_geos(b):
    a = box(0, 0, 10, 10)
    ok, _, _ = run_kernel([a], [b])
    assert not ok[0]
    out = intersect_pairs(GeoDataFrame(geometry=[a], crs=CRS), GeoDataFrame(geometry=[b], crs=CRS))
    want = shapely.area(shapely.intersection(a, b))
    assert out.area_m2.sum() == pytest.approx(want)


def test_z_coordinates_go_to_geos():
    a = Polygon([(0, 0, 1), (10, 0, 1), (10, 10, 1), (0, 10, 1)])
    ok, _, _ = run_kernel([a], [star(5, 5, 8, 9, 1)])
    assert not ok[0]


# -- the engine: GEOS's pairs, relations, areas and geometries ---------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(shapes(), min_size=1, max_size=10), st.lists(shapes(), min_size=1, max_size=10))
def test_engine_equals_geos_pair_by_pair(lefts, rights):
    left = GeoDataFrame(geometry=lefts, crs=CRS)
    right = GeoDataFrame(geometry=rights, crs=CRS)
    out = intersect_pairs(left, right)
    want = {}
    for i, a in enumerate(lefts):
        for j, b in enumerate(rights):
            g = geos_polygonal(a, b)
            if g.area > 0:
                rel = (
                    "within_left" if a.covers(b) else "within_right" if b.covers(a) else "crossing"
                )
                want[(i, j)] = (rel, g)
    got = {(r.idx_left, r.idx_right): r for r in out.itertuples()}
    assert set(got) == set(want)
    for key, (rel, g) in want.items():
        row = got[key]
        assert row.relation == rel
        assert row.area_m2 == pytest.approx(g.area, rel=1e-9)
        assert shapely.equals_exact(shapely.normalize(row.geometry), shapely.normalize(g), 0) or (
            row.relation != "crossing" and row.geometry.equals(g)
        )


# -- geopandas' overlay test data --------------------------------------------------------------


@pytest.mark.parametrize(
    "folder, names",
    [
        ("polys", ("df1.geojson", "df2.geojson")),
        ("overlap", ("df1_overlap.geojson", "df2_overlap.geojson")),
        ("geom_type", ("df1.geojson", "df2.geojson")),
        ("nybb_qgis", ("polydf.shp", "polydf2.shp")),
    ],
)
def test_engine_equals_geos_on_geopandas_overlay_data(folder, names):
    import geopandas

    from conftest import shared_data

    d = shared_data("geopandas_overlay", folder)
    # read the numbers as metres of a projected CRS (the engine refuses degrees and feet)
    frames = [geopandas.read_file(d / n).set_crs(CRS, allow_override=True) for n in names]
    frames = [f[f.geom_type.isin(["Polygon", "MultiPolygon"])] for f in frames]
    lefts, rights = (f.geometry.to_numpy() for f in frames)
    out = intersect_pairs(*frames)
    got = {(r.idx_left, r.idx_right): r for r in out.itertuples()}
    want = {}
    for i, a in enumerate(lefts):
        for j, b in enumerate(rights):
            g = geos_polygonal(a, b)
            if g.area > 0:
                want[(i, j)] = g
    assert len(want) > 0 and set(got) == set(want)
    for key, g in want.items():
        row = got[key]
        assert row.area_m2 == pytest.approx(g.area, rel=1e-12)
        if row.relation == "crossing":
            assert shapely.equals_exact(shapely.normalize(row.geometry), shapely.normalize(g), 0)


# a plot of the demo drawn along a 三调 patch's edge, nearly but not exactly collinear: the
# kernel's crossings (GEOS's own) fall onto the other side's edge, and the sliver between them
# made a ring touching itself; GEOS collapses it into a line. Found by --by-class on the demo.
_SLIVER_PLOT = (
    "01030000000100000031000000676DF9BDB33C2241B15C98771E195241292EA307943C2241DB3C5F5F1D1952"
    "4138FA620C773C22417FB20DC5161952419204AE8E5E3C2241AFDDC0840B1952414B3FB38C4A3C224123BDEE"
    "C3FD185241FE9CAD37393C22417451BEB8EF185241B5C7934C283C22417CD88E73E218524180EFE6E9163C22"
    "4121ED5C7CD5185241A93A9690063C2241BFDE6979C71852415EF6A389FA3B2241AB35825AB7185241440F67"
    "08F63B2241E5DEDA32A5185241A7273440FA3B224108857F359218524157E06BA6053C22418B27F7EC7F1852"
    "41C418F3C7143C2241CEDB58496F1852415119B312243C22418C271228601852417D7C7871313C2241795EC7"
    "8F511852414A2C49E33C3C22413525C25B42185241DB139FFD473C2241088C0ADC3118524145102EEC543C22"
    "41A6A9411B20185241C6E5D795653C22418FA89BD20D18524151DB86297B3C22416D999A45FC175241E4C836"
    "E9953C2241E3D09026ED1752417109F4F9B43C2241AB2B3568E21752416D81874BD63C224110BFF7C8DD1752"
    "415139EAF0F63C22413BE3CA18E017524186600021143D2241508FBF94E81752412BA8A28C2C3D22414DE417"
    "DFF4175241FA1E6633413D22419E2E9BD901185241A019B8EB543D22415EF943140D18524189A807926A3D22"
    "41B5E5A303161852419631EFD3823D224183BCFE321E185241A851560D9B3D2241541A903B28185241454B07"
    "30AE3D2241690FE518361852416EC99967B73D2241C1A428E847185241D0F5EBF1B43D2241891664E15B1852"
    "412E9BA95BA93D22410C03C9886F185241AE0263409A3D2241FEB0904281185241B1A1BE418D3D2241BC7858"
    "349118524195E3B610853D224199FAE1E1A01852416E1E4352803D22413222EBDAB118524163826AEA7A3D22"
    "41E6681F75C4185241F50D88AB703D2241304DB779D7185241CA50609C5F3D224121F110F4E8185241E87359"
    "7F483D224183777279F718524199E32F982D3D2241B507C8EF02195241F19C7FDE103D2241F50F81430C1952"
    "4103CE5D04F33C224189E2425014195241873882E4D33C2241BAF066DC1A195241676DF9BDB33C2241B15C98"
    "771E195241"
)
_SLIVER_PATCH = (
    "01030000000100000009000000993F652D063A224154B0CE4438185241462CC81C0C3A22419E6C48F2351852"
    "41CC9897AE773C2241AEEBB9C8321852418CEF48A5A13C22415B8F045948185241241A9DBC4A3C2241CD8135"
    "B01B185241F4C446D40D3C2241223CAF1312185241C15E60DDB43A2241F7DFD53C0F185241FF2BAC384F3A22"
    "4164C8EBAF1B185241993F652D063A224154B0CE4438185241"
)


def test_a_sliver_that_would_make_an_invalid_ring_goes_to_geos():
    a, b = shapely.from_wkb(_SLIVER_PLOT), shapely.from_wkb(_SLIVER_PATCH)
    assert a.is_valid and b.is_valid
    ok, _, geometry = run_kernel([a], [b])
    assert not ok[0] or geometry[0].is_valid
    left = GeoDataFrame(geometry=[a], crs=CRS)
    right = GeoDataFrame(geometry=[b], crs=CRS)
    out = intersect_pairs(left, right, keep_geometry=True)
    assert out.geometry.is_valid.all()
    assert_is_geos(out.geometry.iloc[0], a, b)

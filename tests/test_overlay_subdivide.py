"""Quadtree subdivision of very large polygons (ecogis.overlay.subdivide).

A piece may stand in for its polygon only where GEOS then computes the same intersection: the
tests compare with GEOS on the whole polygon, vertex for vertex.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
import shapely.affinity
from geopandas import GeoDataFrame
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecogis.overlay import intersect_pairs
from ecogis.overlay.subdivide import MAX_PIECE_VERTICES, MIN_VERTICES, Subdivision

CRS = "EPSG:4547"
X0, Y0 = 500_000.0, 4_700_000.0
NV = 3 * MIN_VERTICES


@pytest.fixture(scope="module")
def redline():
    """A red-line polygon of ~6 000 vertices (1 m apart) with a hole."""
    t = np.linspace(0, 2 * np.pi, NV, endpoint=False)
    rng = np.random.default_rng(3)
    r = 1000.0 * (1 + 0.1 * np.cos(5 * t)) + rng.uniform(-0.05, 0.05, NV)
    xy = np.column_stack([X0 + r * np.cos(t), Y0 + r * np.sin(t)])
    hole = shapely.Point(X0, Y0).buffer(200, 64).exterior.coords
    return xy, shapely.Polygon(xy, [hole])


def traced_patches(xy, rng, n):
    """Patches drawn along the red line, sharing a stretch of its vertices (GEOS's case).

    Half lie inside it; the other half also reach outside across its boundary.
    """
    out = []
    while len(out) < n:
        i = rng.integers(0, len(xy) - 30)
        k = rng.integers(3, 12)
        seg = xy[i : i + k]
        c = seg.mean(axis=0)
        d = np.array([X0, Y0]) - c
        d /= np.hypot(*d)  # towards the inside
        inward = seg[-1] + rng.uniform(5, 40) * d
        if len(out) % 2:
            tail = [inward, xy[i + k + rng.integers(3, 15)] - rng.uniform(2, 10) * d]
        else:
            tail = [inward, seg[0] + rng.uniform(5, 40) * d]
        p = shapely.Polygon(np.vstack([seg, tail]))
        if p.is_valid:
            out.append(p)
    return np.asarray(out, dtype=object)


def test_pieces_tile_the_polygon(redline):
    _, g = redline
    sub = Subdivision(g)
    assert len(sub) > 10 and sub.usable.all()
    assert (shapely.get_num_coordinates(sub.pieces) <= MAX_PIECE_VERTICES).all()
    assert shapely.area(sub.pieces).sum() == pytest.approx(g.area, rel=1e-12)
    # each piece lies in its cell, and the cells do not overlap
    cells = shapely.box(*sub.cells.T)
    assert shapely.covers(cells, sub.pieces).all()
    assert shapely.area(shapely.union_all(cells)) == pytest.approx(shapely.area(cells).sum())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**31))
def test_a_piece_gives_geos_result_on_the_whole_polygon(redline, seed):
    xy, g = redline
    sub = Subdivision(g)
    patches = traced_patches(xy, np.random.default_rng(seed), 60)
    local = sub.local(shapely.bounds(patches))
    found = np.flatnonzero(local != None)  # noqa: E711
    whole = shapely.intersection(patches[found], g)
    part = shapely.intersection(patches[found], local[found])
    assert shapely.equals_exact(shapely.normalize(whole), shapely.normalize(part), 0).all()
    np.testing.assert_array_equal(shapely.area(part), shapely.area(whole))
    assert len(found) > 0.5 * len(patches)


def test_a_box_over_a_cut_keeps_the_whole_polygon(redline):
    _, g = redline
    sub = Subdivision(g)
    # a patch around a point of a cut line on the boundary: it straddles two cells
    cell = sub.cells[np.argmax(sub.cells[:, 2])]  # an eastern cell
    x = cell[0]
    y = 0.5 * (cell[1] + cell[3])
    straddle = shapely.box(x - 5, y - 5, x + 5, y + 5)
    assert sub.local(shapely.bounds(np.array([straddle])))[0] is None
    # a box well inside one piece's cell and away from its cut edges gets that piece
    inner = shapely.box(*(sub.cells[0][:2] + 1e-3), *(sub.cells[0][:2] + 2e-3))
    got = sub.local(shapely.bounds(np.array([inner])))[0]
    assert got is None or got.equals(sub.pieces[0])


def test_no_piece_next_to_a_cut_edge(redline):
    # where a cut line crosses the boundary, clipping ends the boundary edge at a computed
    # point: the piece's edge is not the polygon's edge, and GEOS results differ in the last
    # bits. Small patches crossing such stubs, inside the piece's cell, must keep the whole.
    _, g = redline
    sub = Subdivision(g)
    x0, y0, x1, y1 = sub.cut_edges.T
    length = np.hypot(x1 - x0, y1 - y0)
    stub = np.flatnonzero((length > 0.3) & (length < 2.0))
    assert len(stub) > 20
    patches, pieces = [], []
    for k in stub:
        v = np.array([x0[k], y0[k]])
        w = np.array([x1[k], y1[k]])
        c = 0.7 * v + 0.3 * w
        h = 0.1 * length[k]
        sq = shapely.box(c[0] - h, c[1] - h, c[0] + h, c[1] + h)
        patches.append(shapely.affinity.rotate(sq, 30.0, origin=tuple(c)))
        pieces.append(sub.pieces[sub.cut_piece[k]])
    patches, pieces = np.asarray(patches, dtype=object), np.asarray(pieces, dtype=object)
    cell_of = shapely.box(*sub.cells[[sub.cut_piece[k] for k in stub]].T)
    inside_cell = shapely.within(patches, cell_of)
    on_piece = shapely.intersection(patches, pieces)
    on_whole = shapely.intersection(patches, g)
    differs = ~shapely.equals_exact(shapely.normalize(on_piece), shapely.normalize(on_whole), 0)
    # the hazard is real: a piece would change some of these results ...
    assert (differs & inside_cell).sum() > 0
    # ... and the lookup hands out no piece there
    local = sub.local(shapely.bounds(patches))
    assert (local == None).all()  # noqa: E711


def test_engine_uses_pieces_and_matches_geos(redline):
    xy, g = redline
    patches = traced_patches(xy, np.random.default_rng(11), 400)
    left = GeoDataFrame(geometry=patches, crs=CRS)
    right = GeoDataFrame(geometry=[g], crs=CRS)
    for lft, rgt, flip in ((left, right, False), (right, left, True)):
        out = intersect_pairs(lft, rgt)
        want = shapely.intersection(patches, g)
        hit = shapely.area(want) > 0
        idx = (out.idx_right if flip else out.idx_left).to_numpy()
        assert np.array_equal(idx, np.flatnonzero(hit))
        np.testing.assert_allclose(out.area_m2, shapely.area(want[hit]), rtol=1e-12)
        crossing = (out.relation == "crossing").to_numpy()
        assert crossing.sum() > 100  # the pairs that GEOS overlays, against pieces
        got = out.geometry.to_numpy()[crossing]
        want = np.array([polygonal(w) for w in want[hit][crossing]], dtype=object)
        assert shapely.equals_exact(shapely.normalize(got), shapely.normalize(want), 0).all()


def polygonal(g):
    """The polygons of a GEOS result (touching boundaries leave lines and points too)."""
    polys = [p for p in shapely.get_parts(g) if p.geom_type == "Polygon"]
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)

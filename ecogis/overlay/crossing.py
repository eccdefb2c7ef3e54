"""Exact intersection of boundary-crossing polygon pairs by edge arithmetic; GEOS as fallback.

A GEOS overlay costs 12-20 µs per pair however few vertices the two polygons have: building and
checking its topology graph costs, not the arithmetic. For a pair in *general position* (every
meeting of the two boundaries is a proper crossing of two edges) the intersection is cheaper to
get directly, for many pairs at once with numpy:

1. Only edges whose boxes meet ``Bx``, the overlap of the two bounding boxes, can meet the
   other polygon: a point outside ``Bx`` lies outside the other polygon's box.
2. Each pair of such edges (one per side) whose boxes meet is tested with the orientation
   determinant and Shewchuk's error bound. Any test whose sign is not certain -- touching,
   collinear or nearly so -- sends the whole pair to GEOS, so the fast path only ever sees
   pairs whose topology it decides exactly.
3. Crossing points are rounded as GEOS rounds them (GEOS computes them in double-double and
   rounds to the nearest double): in doubles where the error bound shows the rounding is
   certain, with exact integer arithmetic where it is not. The result has GEOS's vertices.
4. Walking each ring (all rings oriented with the interior on their left), inside/outside flips
   at every crossing; a run of edges that comes into ``Bx`` from outside starts outside. The
   direction of each crossing says on its own whether the edge enters the other polygon there;
   walk and directions must agree everywhere, or the pair goes to GEOS.
5. The area is the sum of the cross products of the boundary pieces that lie inside the other
   polygon (Green's theorem); the geometry is the same pieces linked at the crossings into
   rings, shells clockwise as GEOS writes them. A geometry that is not valid (a sliver whose
   rounded crossings fall onto an edge of the other side) sends its pair to GEOS.

A ring that meets ``Bx`` without crossing the other boundary lies wholly inside or outside the
other polygon: one point-in-polygon test (GEOS) decides. Results with several shells *and*
holes (which hole goes where) are left to GEOS; so are geometries with Z.
"""

from __future__ import annotations

import numpy as np
import shapely

__all__ = ["EdgeTable", "crossing_overlay"]

_EPS = 2.0**-53
# Shewchuk's error bound for the floating-point orientation determinant (orient2d, stage A)
_CCW_BOUND = (3.0 + 16.0 * _EPS) * _EPS
# geometries with at most this many edges have all their edges listed per pair; larger ones
# are searched by blocks of consecutive edges, the largest through an STRtree of the blocks
_SMALL = 32
_BLOCK = 8
_SCAN_BLOCKS = 64
# crossings closer than this many ulps to each other or to a vertex go to GEOS: rounded, they
# could change the order of points along an edge
_CLOSE_ULPS = 64.0
_POLYGON, _MULTIPOLYGON = 3, 6


class EdgeTable:
    """The edges of some polygonal geometries, every ring oriented with its interior on the left.

    Built once per overlay and shared read-only by the threads. Geometry ``g`` owns edges
    ``geom_start[g] : geom_start[g] + geom_n[g]``, ring ``r`` edges
    ``ring_start[r] : ring_start[r] + ring_n[r]``; a geometry's rings are consecutive.
    ``usable[g]`` is false for geometries the fast path does not take (Z, not polygonal).
    """

    def __init__(self, geoms: np.ndarray):
        self.geoms = geoms
        n = len(geoms)
        types = shapely.get_type_id(geoms)
        self.usable = ((types == _POLYGON) | (types == _MULTIPOLYGON)) & ~shapely.has_z(geoms)
        simple = self.usable & (types == _POLYGON) & (shapely.get_num_interior_rings(geoms) == 0)
        # polygons without holes (nearly all) are one ring each: no get_parts/get_rings needed
        sidx = np.flatnonzero(simple)
        coords, g1 = shapely.get_coordinates(geoms[sidx], return_index=True)
        ring_nc = np.bincount(g1, minlength=len(sidx))
        ring_geom, ring_ext = sidx, np.ones(len(sidx), dtype=bool)
        cidx = np.flatnonzero(self.usable & ~simple)
        if len(cidx):
            parts, pg = shapely.get_parts(geoms[cidx], return_index=True)
            rings, rp = shapely.get_rings(parts, return_index=True)
            c2, r2 = shapely.get_coordinates(rings, return_index=True)
            ext2 = np.ones(len(rings), dtype=bool)
            ext2[1:] = rp[1:] != rp[:-1]
            # rings of both kinds in geometry order, coordinates gathered to match
            ring_geom = np.concatenate([sidx, cidx[pg[rp]]])
            ring_ext = np.concatenate([ring_ext, ext2])
            ring_nc = np.concatenate([ring_nc, np.bincount(r2, minlength=len(rings))])
            src_start = _starts(ring_nc)
            order = np.argsort(ring_geom, kind="stable")
            ring_geom, ring_ext, ring_nc = ring_geom[order], ring_ext[order], ring_nc[order]
            _, take = _expand(np.arange(len(order)), src_start[order], ring_nc)
            coords = np.concatenate([coords, c2])[take]
        ring_geom = ring_geom.astype(np.int64)
        ring_nc = ring_nc.astype(np.int64)
        cstart = _starts(ring_nc)
        cring = np.repeat(np.arange(len(ring_nc)), ring_nc)
        x, y = coords[:, 0], coords[:, 1]
        # ring orientation from its signed area (shoelace about the ring's first point)
        xr, yr = x - x[cstart][cring], y - y[cstart][cring]
        nxt = np.minimum(np.arange(len(x)) + 1, len(x) - 1)
        w = xr * yr[nxt] - xr[nxt] * yr
        w[cstart + ring_nc - 1] = 0.0
        ccw = np.bincount(cring, weights=w, minlength=len(ring_nc)) > 0
        flip = ccw != ring_ext  # interior on the right: walk the ring backwards
        if flip.any():
            pos = np.arange(len(x)) - cstart[cring]
            pos = np.where(flip[cring], ring_nc[cring] - 1 - pos, pos)
            sel = cstart[cring] + pos
            x, y = x[sel], y[sel]
        keep = np.ones(len(x), dtype=bool)
        keep[cstart + ring_nc - 1] = False  # the closing point starts no edge
        src = np.flatnonzero(keep)
        self.x0, self.y0 = x[src], y[src]
        self.x1, self.y1 = x[src + 1], y[src + 1]
        self.xmin = np.minimum(self.x0, self.x1)
        self.xmax = np.maximum(self.x0, self.x1)
        self.ymin = np.minimum(self.y0, self.y1)
        self.ymax = np.maximum(self.y0, self.y1)
        self.ring = cring[src]
        self.ring_n = ring_nc - 1
        self.ring_start = _starts(self.ring_n)
        self.ring_geom = ring_geom
        self.geom_n = np.bincount(ring_geom, weights=self.ring_n, minlength=n).astype(np.int64)
        self.geom_start = _starts(self.geom_n)
        self._build_blocks()

    def _build_blocks(self) -> None:
        """Blocks of ``_BLOCK`` consecutive edges (within a ring) of the larger geometries."""
        big = np.flatnonzero(self.geom_n[self.ring_geom] > _SMALL)
        if not len(big):
            self.geom_block_n = np.zeros(len(self.geom_n), dtype=np.int64)
            return
        nb = -(-self.ring_n[big] // _BLOCK)
        brings = np.repeat(big, nb)
        k = np.arange(len(brings)) - np.repeat(_starts(nb), nb)
        bstart = self.ring_start[brings] + k * _BLOCK
        blen = np.minimum(_BLOCK, self.ring_start[brings] + self.ring_n[brings] - bstart)
        bounds = np.empty((len(bstart), 4))
        if len(bstart):
            # reduceat over the blocks' starts and ends (ends interleaved so each block is cut
            # exactly where it ends, even the short last block of a ring)
            cut = np.empty(2 * len(bstart), dtype=np.int64)
            cut[0::2], cut[1::2] = bstart, bstart + blen
            cut = np.minimum(cut, len(self.xmin) - 1)
            last = bstart + blen == len(self.xmin)
            for j, (arr, fn) in enumerate(
                ((self.xmin, np.minimum), (self.ymin, np.minimum),
                 (self.xmax, np.maximum), (self.ymax, np.maximum))
            ):  # fmt: skip
                red = fn.reduceat(arr, cut)[0::2]
                # a block reaching the very end: reduceat stopped one short of it
                if last.any():
                    red[last] = fn(red[last], arr[-1])
                bounds[:, j] = red
        self.block_start = bstart
        self.block_n = blen
        self.block_geom = self.ring_geom[brings]
        self.block_bounds = bounds
        self.block_bounds_cols = tuple(np.ascontiguousarray(bounds[:, j]) for j in range(4))
        bgeom_n = np.bincount(self.block_geom, minlength=len(self.geom_n))
        self.geom_block_start = _starts(bgeom_n)
        self.geom_block_n = bgeom_n
        huge = np.flatnonzero(bgeom_n[self.block_geom] > _SCAN_BLOCKS)
        self._huge_blocks = huge
        self._tree = shapely.STRtree(shapely.box(*bounds[huge].T)) if len(huge) else None

    def near(self, g: np.ndarray, box: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Edges of geometry ``g[k]`` whose boxes meet ``box[k]``, as ``(k, edge)``, sorted.

        ``box`` is four arrays: xmin, ymin, xmax, ymax.
        """
        n = self.geom_n[g]
        nblk = self.geom_block_n[g]
        small = np.flatnonzero(n <= _SMALL)
        ks, es = [], []
        k, e = _expand(small, self.geom_start[g[small]], n[small])
        ks.append(k)
        es.append(e)
        mid = np.flatnonzero((n > _SMALL) & (nblk <= _SCAN_BLOCKS))
        if len(mid):
            kb, b = _expand(mid, self.geom_block_start[g[mid]], nblk[mid])
            kb, b = _filter_boxes(kb, b, box, self.block_bounds_cols)
            k, e = _expand(kb, self.block_start[b], self.block_n[b])
            ks.append(k)
            es.append(e)
        huge = np.flatnonzero(nblk > _SCAN_BLOCKS)
        if len(huge):
            qi, qb = self._tree.query(shapely.box(*(c[huge] for c in box)))
            b = self._huge_blocks[qb]
            own = self.block_geom[b] == g[huge[qi]]
            qi, b = qi[own], b[own]
            order = np.lexsort((b, qi))
            qi, b = qi[order], b[order]
            k, e = _expand(huge[qi], self.block_start[b], self.block_n[b])
            ks.append(k)
            es.append(e)
        k = np.concatenate(ks)
        e = np.concatenate(es)
        k, e = _filter_boxes(k, e, box, (self.xmin, self.ymin, self.xmax, self.ymax))
        # each list is sorted by (k, e) and each k is in one list: a stable sort by k merges
        order = np.argsort(k, kind="stable")
        return k[order], e[order]


def _starts(counts: np.ndarray) -> np.ndarray:
    out = np.zeros(len(counts), dtype=np.int64)
    if len(counts) > 1:
        np.cumsum(counts[:-1], out=out[1:])
    return out


def _expand(owner: np.ndarray, start: np.ndarray, count: np.ndarray):
    """``(owner[i], start[i] + j)`` for every ``j < count[i]``, flattened in order."""
    count = np.asarray(count, dtype=np.int64)
    rep = np.repeat(np.arange(len(count)), count)
    off = np.arange(len(rep)) - _starts(count)[rep]
    return owner[rep], start[rep] + off


def _filter_boxes(k, e, box, cols):
    """Keep the ``(k, e)`` for which item ``e`` (bounds in ``cols``) meets ``box[k]``.

    Tested one side at a time on the survivors: most candidates fail the first test.
    """
    xmin, ymin, xmax, ymax = cols
    bx0, by0, bx1, by1 = box
    for item, mine, lim in (
        (xmin, False, bx1),
        (xmax, True, bx0),
        (ymin, False, by1),
        (ymax, True, by0),
    ):
        v, b = item[e], lim[k]
        keep = v >= b if mine else v <= b
        k, e = k[keep], e[keep]
    return k, e


def _orient(ax, ay, bx, by, cx, cy):
    """Orientation determinant of (a, b, c) and whether its sign is certain (Shewchuk stage A)."""
    detl = (ax - cx) * (by - cy)
    detr = (ay - cy) * (bx - cx)
    det = detl - detr
    return det, np.abs(det) > _CCW_BOUND * (np.abs(detl) + np.abs(detr))


# ---------------------------------------------------------------------------------------------
# crossing points, rounded as GEOS rounds them
# ---------------------------------------------------------------------------------------------


def _crossing_points(p1x, p1y, p2x, p2y, q1x, q1y, q2x, q2y):
    """Crossing point of segments p and q (known to cross properly), nearest doubles.

    Returns ``x, y, t, u, dt, du``: the point, its parameters along p and q, and error bounds
    of the parameters.
    """
    dpx, dpy = p2x - p1x, p2y - p1y
    dqx, dqy = q2x - q1x, q2y - q1y
    wx, wy = q1x - p1x, q1y - p1y
    a, b = dpx * dqy, dpy * dqx
    den = a - b
    sden = np.abs(a) + np.abs(b)
    c, d = wx * dqy, wy * dqx
    num = c - d
    snum = np.abs(c) + np.abs(d)
    e, f = wx * dpy, wy * dpx
    unum = e - f
    sunum = np.abs(e) + np.abs(f)
    t = num / den
    u = unum / den
    aden = np.abs(den)
    dt = 8.0 * _EPS * (np.abs(t) * sden + snum) / aden + 2.0 * _EPS * np.abs(t)
    du = 8.0 * _EPS * (np.abs(u) * sden + sunum) / aden + 2.0 * _EPS * np.abs(u)
    xs, sure_x = _round_sum(p1x, t * dpx, dt * np.abs(dpx) + 2.0 * _EPS * np.abs(t * dpx))
    ys, sure_y = _round_sum(p1y, t * dpy, dt * np.abs(dpy) + 2.0 * _EPS * np.abs(t * dpy))
    unsure = np.flatnonzero(~(sure_x & sure_y))
    for i in unsure:
        xs[i], ys[i] = _exact_point(p1x[i], p1y[i], p2x[i], p2y[i], q1x[i], q1y[i], q2x[i], q2y[i])
    return xs, ys, t, u, dt, du


def _round_sum(a, b, err):
    """``fl(a + b)`` and whether it is the nearest double to ``a + b*`` for any ``|b* - b| <= err``."""
    s = a + b
    bb = s - a
    resid = (a - (s - bb)) + (b - bb)  # TwoSum: a + b == s + resid exactly
    mag = np.abs(s)
    half = 0.5 * np.minimum(np.spacing(mag), mag - np.nextafter(mag, 0.0))
    return s, np.abs(resid) + err < half


def _exact_point(p1x, p1y, p2x, p2y, q1x, q1y, q2x, q2y):
    """The crossing point in exact rational arithmetic, each coordinate correctly rounded."""
    vals = [float(v) for v in (p1x, p1y, p2x, p2y, q1x, q1y, q2x, q2y)]
    ratios = [v.as_integer_ratio() for v in vals]
    scale = max(r[1] for r in ratios)
    P1x, P1y, P2x, P2y, Q1x, Q1y, Q2x, Q2y = (n * (scale // d) for n, d in ratios)
    dpx, dpy, dqx, dqy = P2x - P1x, P2y - P1y, Q2x - Q1x, Q2y - Q1y
    wx, wy = Q1x - P1x, Q1y - P1y
    den = dpx * dqy - dpy * dqx
    num = wx * dqy - wy * dqx
    # x = (P1x + num/den * dpx) / scale; int / int is correctly rounded in Python
    return (P1x * den + num * dpx) / (den * scale), (P1y * den + num * dpy) / (den * scale)


# ---------------------------------------------------------------------------------------------
# the fast path
# ---------------------------------------------------------------------------------------------


def crossing_overlay(
    ltab: EdgeTable,
    rtab: EdgeTable,
    lg: np.ndarray,
    rg: np.ndarray,
    *,
    keep_geometry: bool = False,
):
    """Intersections of the pairs ``(ltab.geoms[lg[k]], rtab.geoms[rg[k]])`` that cross.

    Returns ``(ok, area, geometry)``: ``ok[k]`` tells that pair ``k`` is in general position
    and ``area[k]`` (and ``geometry[k]`` with keep_geometry) is its intersection; the other
    pairs are left to GEOS. ``geometry`` is ``None`` without keep_geometry.
    """
    n = len(lg)
    area = np.zeros(n)
    bad = ~(ltab.usable[lg] & rtab.usable[rg])
    geometry = np.empty(n, dtype=object) if keep_geometry else None
    if n == 0:
        return ~bad, area, geometry
    lb = shapely.bounds(ltab.geoms[lg])
    rb = shapely.bounds(rtab.geoms[rg])
    box = np.column_stack(
        [np.maximum(lb[:, 0], rb[:, 0]), np.maximum(lb[:, 1], rb[:, 1]),
         np.minimum(lb[:, 2], rb[:, 2]), np.minimum(lb[:, 3], rb[:, 3])]
    )  # fmt: skip
    cols = tuple(np.ascontiguousarray(box[:, j]) for j in range(4))
    ka, ea = ltab.near(lg, cols)
    kb, eb = rtab.near(rg, cols)
    A, B = ltab, rtab
    cb = np.bincount(kb, minlength=n)
    # pairs said to cross have boundary on both sides in their box (not so: not ours to do)
    bad |= (np.bincount(ka, minlength=n) == 0) | (cb == 0)
    if bad.all():
        return ~bad, area, geometry
    # -- every (left edge, right edge) of a pair whose boxes meet -----------------------------
    ia, ib = _expand(np.arange(len(ka)), _starts(cb)[ka], cb[ka])
    # box tests one side at a time, on per-entry copies (the combinations read them in order)
    for amin, amax, bmin, bmax in (
        (A.xmin, A.xmax, B.xmin, B.xmax),
        (A.ymin, A.ymax, B.ymin, B.ymax),
    ):
        lo_a, hi_a, lo_b, hi_b = amin[ea], amax[ea], bmin[eb], bmax[eb]
        keep = lo_a[ia] <= hi_b[ib]
        ia, ib = ia[keep], ib[keep]
        keep = hi_a[ia] >= lo_b[ib]
        ia, ib = ia[keep], ib[keep]
    ea_, eb_ = ea[ia], eb[ib]
    ax0, ay0, ax1, ay1 = A.x0[ea_], A.y0[ea_], A.x1[ea_], A.y1[ea_]
    bx0, by0, bx1, by1 = B.x0[eb_], B.y0[eb_], B.x1[eb_], B.y1[eb_]
    o1, c1 = _orient(bx0, by0, bx1, by1, ax0, ay0)
    o2, c2 = _orient(bx0, by0, bx1, by1, ax1, ay1)
    o3, c3 = _orient(ax0, ay0, ax1, ay1, bx0, by0)
    o4, c4 = _orient(ax0, ay0, ax1, ay1, bx1, by1)
    apart = (c1 & c2 & ((o1 > 0) == (o2 > 0))) | (c3 & c4 & ((o3 > 0) == (o4 > 0)))
    proper = c1 & c2 & c3 & c4 & ((o1 > 0) != (o2 > 0)) & ((o3 > 0) != (o4 > 0))
    bad[ka[ia[~(apart | proper)]]] = True

    x = np.flatnonzero(proper & ~bad[ka[ia]])
    ia, ib = ia[x], ib[x]
    px, py, t, u, dt, du = _crossing_points(
        ax0[x], ay0[x], ax1[x], ay1[x], bx0[x], by0[x], bx1[x], by1[x]
    )
    # a crossing within a few ulps of a vertex could round onto it or past it
    ulp = _CLOSE_ULPS * np.spacing(np.maximum(np.abs(px), np.abs(py)))
    la = np.hypot(ax1[x] - ax0[x], ay1[x] - ay0[x])
    lb_ = np.hypot(bx1[x] - bx0[x], by1[x] - by0[x])
    near_vertex = (np.minimum(t, 1 - t) * la < ulp) | (np.minimum(u, 1 - u) * lb_ < ulp)
    bad[ka[ia[near_vertex]]] = True
    # the left edge enters the right polygon where it passes to the left of the right edge;
    # the right edge then leaves the left polygon, and the other way round
    a_enters = o2[x] > 0
    # cross products about a point of the result (its first crossing) stay small, so a sliver
    # keeps its digits; pairs without crossings use a corner of their box
    origin = box[:, :2].copy()
    cpair = ka[ia]
    first = np.flatnonzero(np.r_[True, cpair[1:] != cpair[:-1]]) if len(cpair) else cpair
    origin[cpair[first], 0], origin[cpair[first], 1] = px[first], py[first]
    sides = (
        _walk(A, ka, ea, ia, t, dt * la, a_enters, px, py, rtab.geoms[rg], origin, n, ulp),
        _walk(B, kb, eb, ib, u, du * lb_, ~a_enters, px, py, ltab.geoms[lg], origin, n, ulp),
    )
    for side in sides:
        area += side.area
        bad |= side.bad
    if keep_geometry:
        _assemble(sides, len(px), n, bad, geometry)
        # a sliver whose crossings round onto the other side's edge makes a ring that touches
        # itself (GEOS collapses it into a line): such a pair is GEOS's to do
        done = np.flatnonzero(~bad)
        done = done[np.not_equal(geometry[done], None)]
        bad[done[~shapely.is_valid(geometry[done])]] = True
    area[bad] = 0.0
    return ~bad, area, geometry


class _Walked:
    """One side's walk: per-pair area part and failures, and its events for the geometry."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


def _walk(tab, kk, ee, own, tt, tlen, ent, px, py, other, origin, n, ulp):
    """Walk one side's edges of every pair along their rings; sum the inside pieces.

    ``kk, ee``: the side's (pair, edge) entries sorted; ``own``: the entry each crossing lies
    on, ``tt`` its parameter along that edge, ``tlen`` the parameter's error bound in length
    units, ``ent`` whether the edge enters the other polygon there; ``other``: the other
    polygon of each pair (for rings that do not cross it).
    """
    bad = np.zeros(n, dtype=bool)
    m = len(kk)
    ring = tab.ring[ee]
    rpos = ee - tab.ring_start[ring]
    rn = tab.ring_n[ring]
    # groups: the entries of one ring of one pair, consecutive and in ring order
    gstart = np.ones(m, dtype=bool)
    gstart[1:] = (kk[1:] != kk[:-1]) | (ring[1:] != ring[:-1])
    gfirst = np.flatnonzero(gstart)
    gcount = np.diff(np.r_[gfirst, m])
    gid = np.repeat(np.arange(len(gfirst)), gcount)
    glast = gfirst + gcount - 1
    full = gcount == rn[gfirst]  # the whole ring meets the box: one cyclic run
    gap = np.ones(m, dtype=bool)
    gap[1:] = gstart[1:] | (rpos[1:] != rpos[:-1] + 1)
    # a run that reaches the ring's last edge goes on with the run at its first edge: rotate
    # such groups so that they start at the run after their first gap
    wrap = ~full & (rpos[gfirst] == 0) & (rpos[glast] == rn[gfirst] - 1)
    perm = np.arange(m)
    if wrap.any():
        runid = np.cumsum(gap) - 1
        head = np.bincount(gid[runid == runid[gfirst[gid]]], minlength=len(gfirst))
        w = np.flatnonzero(wrap[gid])
        g = gid[w]
        perm[gfirst[g] + (w - gfirst[g] - head[g]) % gcount[g]] = w
        kk, ee = kk[perm], ee[perm]  # groups keep their place: gid and ring stay valid
        rpos = rpos[perm]
    inv = np.empty(m, dtype=np.int64)
    inv[perm] = np.arange(m)
    run_start = np.ones(m, dtype=bool)
    d = np.diff(rpos)
    run_start[1:] = gstart[1:] | ((d != 1) & (d != 1 - rn[1:]))
    run = np.cumsum(run_start) - 1
    run_full = full[gid[run_start]]

    # events: each entry's start vertex, then its crossings in order along the edge
    nx = len(own)
    c_entry = inv[own]
    co = np.argsort(c_entry, kind="stable")
    # entries with several crossings: order those by their parameter along the edge
    dup = np.flatnonzero(c_entry[co[1:]] == c_entry[co[:-1]])
    if len(dup):
        multi = np.zeros(nx, dtype=bool)
        multi[dup] = multi[dup + 1] = True
        idx = np.flatnonzero(multi)
        sub = co[idx]
        co[idx] = sub[np.lexsort((tt[sub], c_entry[sub]))]
    c_entry, c_t, c_tlen, c_ent = c_entry[co], tt[co], tlen[co], ent[co]
    c_id = co  # index of the crossing in the shared crossing list
    per = np.bincount(c_entry, minlength=m)
    # two crossings on one edge whose order or distinctness the rounding leaves in doubt
    same = c_entry[1:] == c_entry[:-1]
    ce = ee[c_entry[1:]]
    elen = np.hypot(tab.x1[ce] - tab.x0[ce], tab.y1[ce] - tab.y0[ce])
    close = same & ((c_t[1:] - c_t[:-1]) * elen <= c_tlen[1:] + c_tlen[:-1] + ulp[co][1:])
    bad[kk[c_entry[1:][close]]] = True
    vpos = np.arange(m) + _starts(per)  # where each entry's start-vertex event goes
    rank = np.arange(nx) - _starts(per)[c_entry]
    cpos = vpos[c_entry] + 1 + rank
    ne = m + nx
    ev_entry = np.empty(ne, dtype=np.int64)
    ev_entry[vpos], ev_entry[cpos] = np.arange(m), c_entry
    ev_cross = np.zeros(ne, dtype=bool)
    ev_cross[cpos] = True
    ev_ent = np.zeros(ne, dtype=bool)
    ev_ent[cpos] = c_ent
    ev_id = np.full(ne, -1, dtype=np.int64)
    ev_id[cpos] = c_id
    ev_run = run[ev_entry]
    ev_pair = kk[ev_entry]
    e_of = ee[ev_entry]
    ev_x = tab.x0[e_of]
    ev_y = tab.y0[e_of]
    ev_x[cpos], ev_y[cpos] = px[c_id], py[c_id]
    # inside/outside after each event: parity of the crossings since the start of the run
    cum = np.cumsum(ev_cross)
    rs = np.flatnonzero(np.r_[True, ev_run[1:] != ev_run[:-1]])
    rlen = np.diff(np.r_[rs, ne])
    before = cum[rs] - ev_cross[rs]
    parity = ((cum - np.repeat(before, rlen)) & 1).astype(bool)
    rcount = cum[rs + rlen - 1] - before
    nrun = len(rs)
    start = np.zeros(nrun, dtype=bool)
    ci = np.flatnonzero(ev_cross)
    first_cross = np.full(nrun, -1, dtype=np.int64)
    if len(ci):
        cr = ev_run[ci]
        firsts = np.r_[True, cr[1:] != cr[:-1]]
        first_cross[cr[firsts]] = ci[firsts]
    has = first_cross >= 0
    sel = run_full & has
    start[sel] = ~ev_ent[first_cross[sel]]
    lone = np.flatnonzero(run_full & ~has)
    if len(lone):
        e0 = rs[lone]
        # private copies: a geometry the caller prepared must not be shared by two threads
        probe = shapely.from_wkb(shapely.to_wkb(other[ev_pair[e0]]))
        start[lone] = shapely.contains_xy(probe, ev_x[e0], ev_y[e0])
    inside = parity ^ np.repeat(start, rlen)
    # every crossing must agree with the walk: the edge enters exactly where the walk goes in
    bad[ev_pair[ev_cross & (inside != ev_ent)]] = True
    bad[ev_pair[rs[(rcount & 1) == 1]]] = True
    # each piece runs from its event to the next event on the same edge, else to the edge end
    nxt_same = np.zeros(ne, dtype=bool)
    nxt_same[:-1] = ev_entry[1:] == ev_entry[:-1]
    qx = np.where(nxt_same, np.r_[ev_x[1:], 0.0], tab.x1[e_of])
    qy = np.where(nxt_same, np.r_[ev_y[1:], 0.0], tab.y1[e_of])
    ox, oy = origin[ev_pair, 0], origin[ev_pair, 1]
    ax, ay = ev_x - ox, ev_y - oy
    cross = np.where(inside, ax * (qy - oy) - ay * (qx - ox), 0.0)
    area = 0.5 * np.bincount(ev_pair, weights=cross, minlength=n)
    return _Walked(
        bad=bad, area=area, inside=inside, cross=cross, ev_pair=ev_pair, ev_cross=ev_cross,
        ev_ent=ev_ent, ev_id=ev_id, ev_x=ev_x, ev_y=ev_y, rs=rs, rlen=rlen,
        first_cross=first_cross, start=start, run_full=run_full,
    )  # fmt: skip


def _assemble(sides, nx: int, n: int, bad: np.ndarray, out: np.ndarray) -> None:
    """Link the inside pieces of both sides into rings and build each pair's geometry.

    A *chain* is a stretch of consecutive inside pieces of one ring, from the crossing where
    it enters the other polygon to the crossing where it leaves it, or a whole ring that lies
    inside without crossing. At each crossing a chain of one side ends and a chain of the
    other side begins; following them gives the rings of the intersection. Pairs whose chains
    do not link up, or whose result has several shells and holes, are marked ``bad`` (GEOS
    takes them). Fills ``out`` for the other pairs.
    """
    start_of_x = np.full(nx, -1, dtype=np.int64)  # chain that begins at each crossing
    parts = []  # per side: inside events in chain order, their chain ids, chain exits
    base = 0
    for side in sides:
        ne = len(side.inside)
        live = side.inside & ~bad[side.ev_pair]
        begins = live & side.ev_cross & side.ev_ent
        lone = side.run_full & (side.first_cross < 0) & side.start  # whole rings inside
        begins[side.rs[lone]] = live[side.rs[lone]]
        cid = np.cumsum(begins) - 1 + base
        key = np.arange(ne, dtype=np.int64)
        # a full ring that starts inside: its pieces before the first crossing end the chain
        # that begins at the ring's last entering crossing
        wrap = np.flatnonzero(side.run_full & (side.first_cross >= 0) & side.start)
        if len(wrap):
            lo = side.rs[wrap]
            _, head = _expand(np.arange(len(wrap)), lo, side.first_cross[wrap] - lo)
            cid[head] = np.repeat(cid[lo + side.rlen[wrap] - 1], side.first_cross[wrap] - lo)
            key[head] += ne
        ev = np.flatnonzero(live)
        o = np.lexsort((key[ev], cid[ev]))
        ev, ch = ev[o], cid[ev[o]]
        last = np.flatnonzero(np.r_[ch[1:] != ch[:-1], True]) if len(ch) else np.zeros(0, int)
        # the event after a chain's last piece is the crossing where the chain leaves
        after = key[ev[last]] % ne + 1
        closed = np.zeros(len(last), dtype=bool)
        if len(lone):
            run_of = np.searchsorted(side.rs, ev[last], side="right") - 1
            closed = lone[run_of]
        exits = np.full(len(last), -1, dtype=np.int64)
        open_ = ~closed
        ok = open_ & (after < ne)
        ok[ok] = side.ev_cross[after[ok]] & ~side.ev_ent[after[ok]]
        exits[ok] = side.ev_id[after[ok]]
        bad[side.ev_pair[ev[last[open_ & ~ok]]]] = True
        st = np.flatnonzero(begins & side.ev_cross)
        start_of_x[side.ev_id[st]] = cid[st]
        parts.append((ev, ch, exits, side))
        base += int(begins.sum())
    nchain = base
    exits = np.concatenate([p[2] for p in parts])
    chain_pair = np.empty(nchain, dtype=np.int64)
    for ev, ch, _, side in parts:
        chain_pair[ch] = side.ev_pair[ev]
    succ = np.arange(nchain)
    linked = exits >= 0
    succ[linked] = start_of_x[exits[linked]]
    broken = succ < 0
    bad[chain_pair[broken]] = True
    succ[broken] = np.flatnonzero(broken)
    # rings are the cycles of succ: label each by its smallest chain (pointer doubling),
    # then number the chains of each ring from there
    lab = np.arange(nchain)
    jump = succ.copy()
    longest = int(np.bincount(chain_pair, minlength=1).max(initial=1))
    for _ in range(int(np.ceil(np.log2(max(2, longest)))) + 1):
        lab = np.minimum(lab, lab[jump])
        jump = jump[jump]
    pos = np.full(nchain, -1, dtype=np.int64)
    cur = np.flatnonzero(lab == np.arange(nchain))
    pos[cur] = 0
    step = 0
    while len(cur):
        step += 1
        cur = succ[cur]
        cur = cur[pos[cur] < 0]
        pos[cur] = step
    # every inside event of both sides, in ring order
    ev = np.concatenate([p[0] for p in parts])
    ch = np.concatenate([p[1] for p in parts])
    which = np.concatenate([np.full(len(p[0]), i) for i, p in enumerate(parts)])
    o = np.lexsort((np.arange(len(ev)), pos[ch], lab[ch]))
    ev, ch, which = ev[o], ch[o], which[o]
    x, y, cr = np.empty(len(ev)), np.empty(len(ev)), np.empty(len(ev))
    for i, (_, _, _, side) in enumerate(parts):
        m = which == i
        x[m], y[m], cr[m] = side.ev_x[ev[m]], side.ev_y[ev[m]], side.cross[ev[m]]
    ring = lab[ch]
    rfirst = np.flatnonzero(np.r_[True, ring[1:] != ring[:-1]]) if len(ring) else ring
    rcount = np.diff(np.r_[rfirst, len(ring)])
    rpair = chain_pair[ring[rfirst]]
    rarea = np.add.reduceat(cr, rfirst) if len(rfirst) else np.zeros(0)
    shell = rarea > 0
    nshell = np.bincount(rpair, weights=shell, minlength=n)
    nhole = np.bincount(rpair, weights=~shell, minlength=n)
    bad |= (nshell > 1) & (nhole > 0)
    bad |= (nshell == 0) & (nhole > 0)
    bad[rpair[rcount < 3]] = True
    keep = np.flatnonzero(~bad[rpair])
    if not len(keep):
        return
    rfirst, rcount, rpair, shell = rfirst[keep], rcount[keep], rpair[keep], shell[keep]
    # per pair: the shell first, then its holes
    o = np.lexsort((~shell, rpair))
    rfirst, rcount, rpair = rfirst[o], rcount[o], rpair[o]
    one = nshell[rpair] == 1
    for sel, kind in (
        (one, shapely.GeometryType.POLYGON),
        (~one, shapely.GeometryType.MULTIPOLYGON),
    ):
        if not sel.any():
            continue
        f, c, pp = rfirst[sel], rcount[sel], rpair[sel]
        # each ring reversed (shells clockwise, as GEOS writes them) from its first point, and
        # closed; geometries built in one call from the flat coordinates
        k = np.arange(int((c + 1).sum())) - np.repeat(_starts(c + 1), c + 1)
        cc = np.repeat(c, c + 1)
        src = np.repeat(f, c + 1) + (cc - k) % cc
        ring_off = np.r_[0, np.cumsum(c + 1)]
        new_pair = np.r_[True, pp[1:] != pp[:-1]]
        if kind == shapely.GeometryType.POLYGON:
            offsets = (ring_off, np.r_[np.flatnonzero(new_pair), len(pp)])
        else:
            offsets = (ring_off, np.arange(len(pp) + 1), np.r_[np.flatnonzero(new_pair), len(pp)])
        geoms = shapely.from_ragged_array(kind, np.column_stack([x[src], y[src]]), offsets)
        out[pp[new_pair]] = geoms


def _dense(ids: np.ndarray) -> np.ndarray:
    """Sorted ids renumbered 0, 1, 2, ... (for shapely's ``indices=``)."""
    return np.cumsum(np.r_[True, ids[1:] != ids[:-1]]) - 1

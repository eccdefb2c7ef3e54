"""Quadtree subdivision of very large polygons, for the pairs that GEOS must overlay.

GEOS's overlay walks every vertex of both inputs: for a patch against a red-line polygon of
50 000 vertices it costs ~1 ms, against a piece of 256 vertices ~20 µs. PostGIS users cut such
polygons first (``ST_Subdivide``). The edge kernel (:mod:`ecogis.overlay.crossing`) already
looks only at the edges near a patch; this module does the same for the pairs it hands back to
GEOS (touching or shared boundaries), without changing their results:

A polygon is cut into quadtree cells (``clip_by_rect`` at the cell midlines) until each piece
has at most ``max_vertices`` vertices. A piece differs from the polygon only along the cut
lines: there, clipping adds computed vertices, and the edges that end in them are not the
original edges. A piece may therefore stand in for the whole polygon in a pair exactly when the
other geometry's box (widened by a few ulps) lies inside the piece's cell and meets none of
those *cut edges*: near the other geometry the piece then has exactly the polygon's edges, and
GEOS computes the same intersection. Pairs that straddle a cut keep the whole polygon.
"""

from __future__ import annotations

import numpy as np
import shapely

from .crossing import EdgeTable

__all__ = ["Subdivision", "MIN_VERTICES", "MAX_PIECE_VERTICES"]

#: polygons with more vertices than this are subdivided for GEOS (below, GEOS's cost hardly
#: depends on the vertex count: 12-20 µs per pair from 8 to 700 vertices)
MIN_VERTICES = 2048
#: vertex budget of a piece
MAX_PIECE_VERTICES = 256


class Subdivision:
    """One polygon cut into quadtree pieces, with the cells and cut edges to look them up."""

    def __init__(self, geom, *, max_vertices: int = MAX_PIECE_VERTICES):
        pieces, cells = _quadtree(geom, max_vertices)
        # clip_by_rect does not promise valid output: an invalid piece is never used
        usable = shapely.is_valid(pieces) & ~shapely.is_empty(pieces)
        self.pieces = pieces
        self.cells = cells
        self.usable = usable
        self._cell_tree = shapely.STRtree(shapely.box(*cells.T))
        # cut edges: edges with an end on their piece's cell boundary (an original vertex
        # exactly on a cut line counts too: that only makes the lookup more careful)
        tab = EdgeTable(pieces)
        piece = tab.ring_geom[tab.ring]
        c = cells[piece]
        on_cut = np.zeros(len(piece), dtype=bool)
        for x, y in ((tab.x0, tab.y0), (tab.x1, tab.y1)):
            on_cut |= (x == c[:, 0]) | (x == c[:, 2]) | (y == c[:, 1]) | (y == c[:, 3])
        cut = np.flatnonzero(on_cut)
        #: the cut edges: their piece and their ends (x0, y0, x1, y1)
        self.cut_piece = piece[cut]
        self.cut_edges = np.column_stack([tab.x0[cut], tab.y0[cut], tab.x1[cut], tab.y1[cut]])
        self._cut_tree = shapely.STRtree(
            shapely.box(tab.xmin[cut], tab.ymin[cut], tab.xmax[cut], tab.ymax[cut])
        )

    def __len__(self) -> int:
        return len(self.pieces)

    def local(self, bounds: np.ndarray) -> np.ndarray:
        """For each box (n, 4): the piece that may stand in for the polygon, or ``None``."""
        out = np.full(len(bounds), None, dtype=object)
        if not len(bounds):
            return out
        pad = 64.0 * np.spacing(np.abs(bounds).max(axis=1))
        boxes = shapely.box(
            bounds[:, 0] - pad, bounds[:, 1] - pad, bounds[:, 2] + pad, bounds[:, 3] + pad
        )
        # the cell that holds the (widened) box; cells of one quadtree do not overlap, so at
        # most one holds it
        qi, qc = self._cell_tree.query(boxes, predicate="within")
        choice = np.full(len(bounds), -1, dtype=np.int64)
        choice[qi] = qc
        choice[choice >= 0] = np.where(self.usable[choice[choice >= 0]], choice[choice >= 0], -1)
        # ... unless a cut edge of that piece comes near the box
        di, dc = self._cut_tree.query(boxes)
        near_cut = self.cut_piece[dc] == choice[di]
        choice[di[near_cut]] = -1
        ok = np.flatnonzero(choice >= 0)
        out[ok] = self.pieces[choice[ok]]
        return out


def _quadtree(geom, max_vertices: int) -> tuple[np.ndarray, np.ndarray]:
    """Pieces of ``geom`` with at most ``max_vertices`` vertices each, and their cells."""
    todo = [(geom, np.asarray(shapely.bounds(geom), dtype=float))]
    pieces, cells = [], []
    while todo:
        g, cell = todo.pop()
        if shapely.get_num_coordinates(g) <= max_vertices or _tiny(cell):
            pieces.append(g)
            cells.append(cell)
            continue
        x0, y0, x1, y1 = cell
        if x1 - x0 >= y1 - y0:
            xm = 0.5 * (x0 + x1)
            halves = (np.array([x0, y0, xm, y1]), np.array([xm, y0, x1, y1]))
        else:
            ym = 0.5 * (y0 + y1)
            halves = (np.array([x0, y0, x1, ym]), np.array([x0, ym, x1, y1]))
        for half in halves:
            part = _polygonal(shapely.clip_by_rect(g, *half))
            if not part.is_empty:
                todo.append((part, half))
    return np.asarray(pieces, dtype=object), np.asarray(cells, dtype=float).reshape(-1, 4)


def _tiny(cell: np.ndarray) -> bool:
    """A cell too small to cut again (its midline would round onto its sides)."""
    x0, y0, x1, y1 = cell
    mag = max(abs(x0), abs(y0), abs(x1), abs(y1), 1.0)
    return max(x1 - x0, y1 - y0) < 1e-9 * mag


def _polygonal(g):
    """The polygonal part of a clip result (clipping can leave lines along the cut)."""
    if g.geom_type in ("Polygon", "MultiPolygon") or g.is_empty:
        return g
    polys = [p for p in shapely.get_parts(g) if p.geom_type == "Polygon" and not p.is_empty]
    if not polys:
        return shapely.Polygon()
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)

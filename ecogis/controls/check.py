"""Three-control-line conflict check (三区三线 不交叉不重叠不冲突) and layer QA.

The three control lines — 生态保护红线 (ecological protection red line), 永久基本农田 (permanent
basic farmland) and 城镇开发边界 (urban development boundary) — must not overlap. No official
conflict algorithm exists (DOMAIN.md); the usual check, done here, is the exact pairwise
intersection of every pair of control-line layers with an area tolerance for slivers.

What :func:`check_controls` reports
-----------------------------------
conflicts
    The overlap of two features of two different control lines. One *conflict* is one pair of
    features (``id_a``, ``id_b``); its geometry is their intersection without sliver parts.
slivers
    Polygon parts of an overlap smaller than ``min_area_m2`` (default 1 m²): digitising noise
    along shared boundaries, kept apart so they never inflate the real conflicts. The threshold
    applies to each polygon part of an intersection, before the township split below, so a
    real conflict is never cut into a conflict and a sliver by a township boundary. Overlap
    parts inside one layer that are below the threshold are slivers too (``layer_a ==
    layer_b``).
self_overlaps
    Overlaps of two features of the same layer (double-drawn farmland, duplicates), parts of at
    least ``min_area_m2``.
invalid
    Invalid or empty geometries as stored, with GEOS' reason. They are repaired in memory
    (``make_valid``, polygonal parts kept, with a warning) before the overlay, so a bow-tie
    still takes part in the check; empty ones cannot and are listed as such.

Townships
---------
With a township layer every conflict, sliver and self-overlap is cut along township
boundaries: each row is the piece of one overlap inside one township, so township areas add
up to the overlap's area. A piece outside every township gets township ``""``. Townships that
overlap one another (bad admin data) would count the shared part twice. Without a township
layer ``township`` is ``""``.

All areas are exact vector areas (the :mod:`ecogis.overlay` engine) in m² of the working CRS,
with mu beside them (1 mu = 10000/15 m²).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
from geopandas import GeoDataFrame, GeoSeries
from pyproj import CRS

from ..errors import CRSError, LayerError
from ..geometry import feature_ids, repair_geometries
from ..i18n import _
from ..units import m2_to_mu
from .model import (
    ALL,
    CONFLICT_COLUMNS,
    INVALID_COLUMNS,
    SELF_OVERLAP_COLUMNS,
    SUMMARY_COLUMNS,
    TOTAL,
    TOWNSHIP_FIELDS,
)

__all__ = ["ControlReport", "check_controls", "control_pairs"]

# a township-split remainder smaller than this share of the overlap is floating-point noise
_REST_TOL = 1e-7
# progress units per step (one step: one pair, one layer's self-overlaps, one township split)
_STEP = 100


@dataclass
class ControlReport:
    """Result of :func:`check_controls`; every frame is in the working CRS.

    Attributes
    ----------
    conflicts : GeoDataFrame
        ``layer_a, layer_b, id_a, id_b, township, area_m2, area_mu, geometry``: one row per
        conflicting pair of features and township.
    slivers : GeoDataFrame
        Same columns: overlap parts below the sliver threshold (``layer_a == layer_b`` for
        parts of an overlap inside one layer), one row per part and township.
    self_overlaps : GeoDataFrame
        ``layer, id_a, id_b, township, area_m2, area_mu, geometry``.
    invalid : GeoDataFrame
        ``layer, id, reason, geometry``: geometries as stored, before repair.
    summary : DataFrame
        ``layer_a, layer_b, township, conflicts, area_m2, area_mu``: per pair and township,
        then a row per pair with township :data:`TOTAL`, then a grand total with
        ``layer_a == layer_b ==`` :data:`ALL`. ``conflicts`` counts pairs of features; a
        conflict that crosses a township boundary counts once in each township and once in
        the totals, while areas add up.
    pairs : list of (str, str)
        The layer pairs checked, in config order.
    labels : dict
        Layer name -> label for people (the name where no label was given).
    min_area_m2 : float
        The sliver threshold used.
    layers : dict of str to GeoDataFrame
        The control-line layers as checked (working CRS), by name; what a map draws.
    id_fields : dict
        Layer name -> the column that names its features (None: the default ids).
    townships : GeoDataFrame or None
        The township layer the overlaps were split along.
    township_field : str or None
        Its name column.
    crs_reason : str
        Why the working CRS is what it is (set by :func:`~ecogis.controls.run_controls`).
    by_class, by_class_totals, by_class_layer
        With ``run_controls(by_class=...)``: each conflict's area by land class (one row per
        conflict and class, with its part on the class), the same with totals, and the
        land-use layer (see :func:`ecogis.controls.run.split_conflicts_by_class`).
    """

    conflicts: GeoDataFrame
    slivers: GeoDataFrame
    self_overlaps: GeoDataFrame
    invalid: GeoDataFrame
    summary: pd.DataFrame
    pairs: list[tuple[str, str]] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    min_area_m2: float = 1.0
    layers: dict[str, GeoDataFrame] = field(default_factory=dict)
    id_fields: dict[str, str | None] = field(default_factory=dict)
    townships: GeoDataFrame | None = None
    township_field: str | None = None
    crs_reason: str = ""
    by_class: GeoDataFrame | None = None
    by_class_totals: pd.DataFrame | None = None
    by_class_layer: str | None = None

    @property
    def crs(self):
        """The working CRS of every output frame."""
        return self.conflicts.crs

    def pair_totals(self) -> pd.DataFrame:
        """The summary's per-pair total rows (township :data:`TOTAL`), in pair order."""
        s = self.summary
        return s[(s["township"] == TOTAL) & (s["layer_a"] != ALL)].reset_index(drop=True)

    def label(self, name: str) -> str:
        """Label of a layer for people."""
        return self.labels.get(name, name)

    def frames(self) -> dict[str, GeoDataFrame]:
        """The four geometry outputs by layer name, for writing into one GeoPackage."""
        return {
            "conflicts": self.conflicts,
            "slivers": self.slivers,
            "self_overlaps": self.self_overlaps,
            "invalid": self.invalid,
        }


def control_pairs(names) -> list[tuple[str, str]]:
    """Every pair ``(a, b)`` of control-line names, ``a`` before ``b`` in the given order."""
    names = list(names)
    return [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def _describe(crs) -> str:
    if crs is None:
        return _("no CRS")
    epsg = CRS.from_user_input(crs).to_epsg()
    return f"EPSG:{epsg}" if epsg else CRS.from_user_input(crs).name


def _check_same_crs(frames: Mapping[str, GeoDataFrame]) -> object:
    """All frames must share one CRS (the working CRS); return it."""
    (first, g0), *rest = frames.items()
    if g0.crs is None:
        raise CRSError(
            _("layer {name!r} has no CRS; give every layer the working CRS").format(name=first)
        )
    for name, g in rest:
        if g.crs is None or not CRS.from_user_input(g.crs).equals(g0.crs):
            raise CRSError(
                _(
                    "layer {name!r} is in {crs} but {first!r} is in {first_crs}; "
                    "reproject every layer to one working CRS first"
                ).format(name=name, crs=_describe(g.crs), first=first, first_crs=_describe(g0.crs))
            )
    return g0.crs


def _empty_mask(geoms: np.ndarray) -> np.ndarray:
    missing = np.asarray(pd.isna(geoms), dtype=bool)
    filled = np.where(missing, shapely.Point(), geoms)
    return missing | shapely.is_empty(filled)


def _find_invalid(name: str, stored: GeoDataFrame, id_field: str | None, crs) -> pd.DataFrame:
    """Invalid and empty geometries of one stored layer, geometry reprojected to ``crs``."""
    geoms = np.asarray(stored.geometry.array, dtype=object)
    empty = _empty_mask(geoms)
    bad = np.zeros(len(geoms), dtype=bool)
    bad[~empty] = ~shapely.is_valid(geoms[~empty])
    rows = np.flatnonzero(bad | empty)
    if len(rows) == 0:
        return pd.DataFrame({"layer": [], "id": [], "reason": [], "geometry": []})
    reasons = np.empty(len(rows), dtype=object)
    reasons[empty[rows]] = "empty geometry (not checked)"
    inval = rows[~empty[rows]]
    reasons[~empty[rows]] = shapely.is_valid_reason(geoms[inval])
    out_geoms = GeoSeries(geoms[rows], crs=stored.crs)
    if stored.crs is None:
        raise CRSError(
            _("stored layer {name!r} has no CRS; cannot place its invalid geometries").format(
                name=name
            )
        )
    if not CRS.from_user_input(stored.crs).equals(crs):
        out_geoms = out_geoms.to_crs(crs)
    ids = feature_ids(stored, id_field).to_numpy()[rows]
    return pd.DataFrame(
        {
            "layer": name,
            "id": ids.astype(str),
            "reason": reasons.astype(str),
            "geometry": np.asarray(out_geoms.array, dtype=object),
        }
    )


def _ids(gdf: GeoDataFrame, name: str, id_field: str | None) -> np.ndarray:
    if id_field and id_field not in gdf.columns:
        cols = ", ".join(c for c in gdf.columns if c != gdf.geometry.name) or _("(none)")
        raise LayerError(
            _("layer {name!r}: id field {field!r} not found; columns: {cols}").format(
                name=name, field=id_field, cols=cols
            )
        )
    return feature_ids(gdf, id_field).astype(str).to_numpy()


def _prepare(name: str, gdf: GeoDataFrame, label: str, id_field: str | None):
    """Ids (computed on the layer as given) and the repaired geometries for the overlay.

    Row numbers (``#3``) in ids refer to the layer as given, also where repair drops empties.
    """
    ids = _ids(gdf, name, id_field)
    work = gdf.reset_index(drop=True)
    # make_valid in memory; a no-op (and silent) when every geometry is valid
    fixed = repair_geometries(work, name=label, on_invalid="fix", id_field=id_field, polygons=True)
    keep = fixed.index.to_numpy()
    return ids[keep], GeoDataFrame(geometry=fixed.geometry.reset_index(drop=True))


def _parts(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Polygon parts of each geometry: (parts, index of their geometry, part areas)."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    return parts, owner, shapely.area(parts)


def _regroup(parts: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """One (Multi)Polygon per owner ``0..n-1`` from its parts (parts of one valid
    MultiPolygon: their union is just the collection)."""
    out = np.empty(n, dtype=object)
    if len(owner) == 0:
        return out
    counts = np.bincount(owner, minlength=n)
    single = counts[owner] == 1
    out[owner[single]] = parts[single]  # the common case, without a Python loop
    multi = np.flatnonzero(~single)
    if len(multi):
        order = multi[np.argsort(owner[multi], kind="stable")]
        uniq, starts = np.unique(owner[order], return_index=True)
        for k, grp in zip(uniq, np.split(order, starts[1:]), strict=True):
            out[k] = shapely.MultiPolygon(list(parts[grp]))
    return out


def _split_overlaps(pairs: GeoDataFrame, min_area_m2: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split overlap geometries into conflicts (parts >= threshold, regrouped per pair) and
    slivers (one row per part below it). Both keep ``idx_a``, ``idx_b``."""
    geoms = np.asarray(pairs.geometry.array, dtype=object)
    parts, owner, area = _parts(geoms)
    small = area < min_area_m2
    big_owner = owner[~small]
    has_big = np.zeros(len(pairs), dtype=bool)
    has_big[big_owner] = True
    grouped = _regroup(parts[~small], big_owner, len(pairs))
    big_area = np.bincount(big_owner, weights=area[~small], minlength=len(pairs))
    sel = np.flatnonzero(has_big)
    conflicts = pd.DataFrame(
        {
            "idx_a": pairs["idx_a"].to_numpy()[sel],
            "idx_b": pairs["idx_b"].to_numpy()[sel],
            "area_m2": big_area[sel],
            "geometry": grouped[sel],
        }
    )
    slivers = pd.DataFrame(
        {
            "idx_a": pairs["idx_a"].to_numpy()[owner[small]],
            "idx_b": pairs["idx_b"].to_numpy()[owner[small]],
            "area_m2": area[small],
            "geometry": parts[small],
        }
    )
    return conflicts, slivers


class _Townships:
    """Township geometries and names, and the split of overlaps along their boundaries."""

    def __init__(self, townships: GeoDataFrame | None, field_name: str | None, engine):
        self.engine = engine
        self.gdf = None
        self.field = None
        self.names = np.zeros(0, dtype=object)
        if townships is None:
            return
        if field_name is None:
            field_name = next((c for c in TOWNSHIP_FIELDS if c in townships.columns), None)
        if field_name is not None and field_name not in townships.columns:
            cols = ", ".join(c for c in townships.columns if c != townships.geometry.name)
            raise LayerError(
                _("township layer: name field {field!r} not found; columns: {cols}").format(
                    field=field_name, cols=cols or _("(none)")
                )
            )
        with warnings.catch_warnings():
            # the caller read (and repaired) the township layer; only an overlay-breaking
            # geometry is fixed here, quietly, since it is not what the check is about
            warnings.simplefilter("ignore")
            fixed = repair_geometries(
                townships.reset_index(drop=True), name="townships", polygons=True
            )
        self.field = field_name
        if field_name is not None:
            names = fixed[field_name].astype(object).where(fixed[field_name].notna(), "")
            self.names = names.astype(str).to_numpy(dtype=object)
        else:
            self.names = feature_ids(fixed).to_numpy(dtype=object)
        self.gdf = GeoDataFrame(geometry=fixed.geometry.reset_index(drop=True))

    @property
    def order(self) -> dict[str, int]:
        """Township name -> rank in the layer (first appearance); ``""`` last."""
        rank: dict[str, int] = {}
        for n in self.names:
            rank.setdefault(str(n), len(rank))
        rank.setdefault("", len(rank))
        return rank

    def split(self, frame: pd.DataFrame, crs) -> pd.DataFrame:
        """One row per piece of each ``frame`` row inside one township (column ``township``),
        ``area_m2`` and ``geometry`` of the piece; the row's other columns repeated."""
        frame = frame.reset_index(drop=True)
        if self.gdf is None or len(frame) == 0:
            out = frame.copy()
            out["township"] = ""
            return out
        geo = GeoDataFrame(geometry=GeoSeries(frame["geometry"].to_numpy(), crs=crs))
        pieces = self.engine.intersect_pairs(geo, self.gdf)
        li = pieces["idx_left"].to_numpy()
        area = frame["area_m2"].to_numpy(dtype=float)
        covered = np.bincount(li, weights=pieces["area_m2"].to_numpy(), minlength=len(frame))
        out = frame.iloc[li].reset_index(drop=True)
        out["township"] = self.names[pieces["idx_right"].to_numpy()]
        out["area_m2"] = pieces["area_m2"].to_numpy()
        out["geometry"] = np.asarray(pieces.geometry.array, dtype=object)
        out["_row"] = li
        # parts of an overlap outside every township: computed only where the pieces do not
        # account for the whole area (rare: the admin layer should cover the county)
        short = np.flatnonzero(area - covered > _REST_TOL * np.maximum(area, 1.0))
        if len(short):
            rest = self.engine.difference_each(geo.iloc[short], self.gdf)
            rest_geoms = np.asarray(rest.array, dtype=object)
            rest_area = shapely.area(rest_geoms)
            ok = rest_area > _REST_TOL * np.maximum(area[short], 1.0)
            extra = frame.iloc[short[ok]].reset_index(drop=True)
            extra["township"] = ""
            extra["area_m2"] = rest_area[ok]
            extra["geometry"] = rest_geoms[ok]
            extra["_row"] = short[ok]
            out = pd.concat([out, extra], ignore_index=True)
        rank = self.order
        out["_rank"] = out["township"].map(rank)
        out = out.sort_values(["_row", "_rank"], kind="stable").drop(columns=["_row", "_rank"])
        return out.reset_index(drop=True)


def _geoframe(df: pd.DataFrame, columns, crs) -> GeoDataFrame:
    """The output frame: ``columns`` in order, typed, then geometry."""
    data = {}
    for col in columns:
        if col == "area_mu":
            data[col] = m2_to_mu(df["area_m2"].to_numpy(dtype=float)) if len(df) else []
        elif col == "area_m2":
            data[col] = df[col].to_numpy(dtype=float) if len(df) else np.zeros(0)
        else:
            data[col] = (
                df[col].astype(str).to_numpy(dtype=object) if len(df) else np.zeros(0, object)
            )
    out = pd.DataFrame(data, columns=list(columns))
    for col in ("area_m2", "area_mu"):
        if col in out:
            out[col] = out[col].astype(float)
    geoms = df["geometry"].to_numpy(dtype=object) if len(df) else np.zeros(0, dtype=object)
    return GeoDataFrame(out, geometry=GeoSeries(geoms, crs=crs).values, crs=crs)


def _summarize(
    conflicts: pd.DataFrame, pairs: list[tuple[str, str]], town_rank: dict[str, int] | None
) -> pd.DataFrame:
    """Per pair and township, per pair, and grand total (see :class:`ControlReport`)."""
    rows = []
    for a, b in pairs:
        sub = conflicts[(conflicts["layer_a"] == a) & (conflicts["layer_b"] == b)]
        if town_rank is not None and len(sub):
            towns = sorted(sub["township"].unique(), key=lambda t: town_rank.get(t, len(town_rank)))
            for t in towns:
                piece = sub[sub["township"] == t]
                rows.append((a, b, t, piece["_k"].nunique(), piece["area_m2"].sum()))
        rows.append((a, b, TOTAL, sub["_k"].nunique(), sub["area_m2"].sum()))
    keys = conflicts[["layer_a", "layer_b", "_k"]].drop_duplicates()
    rows.append((ALL, ALL, TOTAL, len(keys), conflicts["area_m2"].sum()))
    out = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS[:5]))
    out["conflicts"] = out["conflicts"].astype(np.int64)
    out["area_m2"] = out["area_m2"].astype(float)
    out["area_mu"] = m2_to_mu(out["area_m2"])
    return out


# ---------------------------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------------------------


def check_controls(
    layers: Mapping[str, GeoDataFrame],
    *,
    townships: GeoDataFrame | None = None,
    township_field: str | None = None,
    min_area_m2: float = 1.0,
    labels: Mapping[str, str] | None = None,
    id_fields: Mapping[str, str | None] | None = None,
    invalid: Mapping[str, GeoDataFrame] | None = None,
    workers: int | None = None,
    engine=None,
    progress: Callable[[int, int], None] | None = None,
) -> ControlReport:
    """Find and measure the overlaps between and inside the control-line layers.

    Parameters
    ----------
    layers : dict of str to GeoDataFrame
        Control-line layers by name, in config order, all in one projected working CRS in
        metres. Every pair ``(a, b)`` with ``a`` before ``b`` is checked. Invalid geometries
        are repaired in memory with ``make_valid`` (with a warning); empty ones are dropped.
    townships : GeoDataFrame, optional
        Township polygons in the same CRS; overlaps are split along their boundaries.
    township_field : str, optional
        Column with the township name; default the first of :data:`TOWNSHIP_FIELDS` present,
        else row numbers.
    min_area_m2 : float, default 1.0
        Polygon parts of an overlap smaller than this (m²) are slivers, not conflicts.
    labels : dict, optional
        Layer name -> label for people (生态保护红线), used in warnings and kept in the report.
    id_fields : dict, optional
        Layer name -> column naming its features (``BSM``); default: the first unique id-like
        column, else 1-based row numbers ``#n`` of the layer as given.
    invalid : dict of str to GeoDataFrame, optional
        The layers as stored (before any repair or reprojection), by name, searched for
        invalid and empty geometries instead of ``layers``; pass them when ``layers`` were
        repaired or reprojected on reading. Their geometries are reprojected to the working
        CRS for the report, but validity and reasons are judged as stored.
    workers : int, optional
        Threads for the local overlay engine; ``None`` uses every core.
    engine : ecogis.overlay.Engine, optional
        Overlay engine (``get_engine("dask", ...)`` for league-size data); default the local
        engine with ``workers`` threads. Both give the same results.
    progress : callable, optional
        Called as ``progress(done, total)`` as the work advances.

    Returns
    -------
    ControlReport

    Raises
    ------
    ecogis.errors.CRSError
        If the layers (and townships) are not all in one projected CRS in metres.
    ecogis.errors.LayerError
        If a given id field or township field is not a column of its layer.
    ValueError
        No layers, a negative threshold, or names in ``labels`` / ``id_fields`` / ``invalid``
        that are not layers.

    Examples
    --------
    >>> from shapely import box
    >>> red = GeoDataFrame({"BSM": ["R1"]}, geometry=[box(0, 0, 1000, 1000)], crs=4547)
    >>> farm = GeoDataFrame({"BSM": ["F1"]}, geometry=[box(500, 0, 1500, 1000)], crs=4547)
    >>> report = check_controls({"redline": red, "farmland": farm})
    >>> report.conflicts[["id_a", "id_b", "area_m2", "area_mu"]].values.tolist()
    [['R1', 'F1', 500000.0, 750.0]]
    """
    names = list(layers)
    if not names:
        raise ValueError("check_controls needs at least one control-line layer")
    if engine is None:
        from ..overlay import get_engine

        engine = get_engine("local", workers=workers)
    if not min_area_m2 >= 0:
        raise ValueError(f"min_area_m2 must be >= 0 m², got {min_area_m2!r}")
    labels = dict(labels or {})
    id_fields = dict(id_fields or {})
    stored = dict(invalid or {})
    for what, given in (("labels", labels), ("id_fields", id_fields), ("invalid", stored)):
        unknown = [n for n in given if n not in layers]
        if unknown:
            raise ValueError(
                f"{what}: unknown layer(s) {', '.join(map(repr, unknown))}; layers: {', '.join(names)}"
            )
    frames = dict(layers)
    if townships is not None:
        frames["<townships>"] = townships
    crs = _check_same_crs(frames)
    full_labels = {n: labels.get(n) or n for n in names}
    # how warnings name a layer: "farmland (永久基本农田)", as when reading it
    messages = {n: f"{n} ({labels[n]})" if labels.get(n) else n for n in names}

    pairs = control_pairs(names)
    steps = len(pairs) + len(names) + (1 if townships is not None else 0)
    total = steps * _STEP
    state = {"step": 0}

    def report(done: int = _STEP, of: int = _STEP) -> None:
        if progress is not None:
            progress(state["step"] * _STEP + int(_STEP * done / max(of, 1)), total)

    def next_step() -> None:
        state["step"] += 1
        report(0, 1)

    # invalid geometries, as stored
    inv = [_find_invalid(n, stored.get(n, layers[n]), id_fields.get(n), crs) for n in names]
    invalid_df = pd.concat(inv, ignore_index=True)

    prepared = {n: _prepare(n, layers[n], messages[n], id_fields.get(n)) for n in names}

    conflict_parts, sliver_parts = [], []
    for a, b in pairs:
        ids_a, ga = prepared[a]
        ids_b, gb = prepared[b]
        ga.attrs["name"], gb.attrs["name"] = a, b
        res = engine.intersect_pairs(ga, gb, progress=report)
        res = res.rename(columns={"idx_left": "idx_a", "idx_right": "idx_b"})
        conf, sliv = _split_overlaps(res, min_area_m2)
        for df, bucket in ((conf, conflict_parts), (sliv, sliver_parts)):
            df.insert(0, "layer_a", a)
            df.insert(1, "layer_b", b)
            df["id_a"] = ids_a[df["idx_a"].to_numpy()]
            df["id_b"] = ids_b[df["idx_b"].to_numpy()]
            bucket.append(df)
        next_step()

    self_parts = []
    for n in names:
        ids, g = prepared[n]
        g.attrs["name"] = n
        res = engine.self_overlaps(g)
        big, small = _split_overlaps(res, min_area_m2)
        for df in (big, small):
            df["id_a"] = ids[df["idx_a"].to_numpy()]
            df["id_b"] = ids[df["idx_b"].to_numpy()]
        big.insert(0, "layer", n)
        small.insert(0, "layer_a", n)
        small.insert(1, "layer_b", n)
        self_parts.append(big)
        sliver_parts.append(small)
        next_step()

    def cat(parts: list[pd.DataFrame]) -> pd.DataFrame:
        parts = [p for p in parts if len(p)]
        if not parts:
            return pd.DataFrame(
                columns=[
                    "layer",
                    "layer_a",
                    "layer_b",
                    "idx_a",
                    "idx_b",
                    "id_a",
                    "id_b",
                    "area_m2",
                    "geometry",
                ]
            )
        return pd.concat(parts, ignore_index=True)

    conflicts = cat(conflict_parts)
    # one conflict = one pair of features of one pair of layers, before the township split
    conflicts["_k"] = np.arange(len(conflicts))
    slivers = cat(sliver_parts)
    selfs = cat(self_parts)

    towns = _Townships(townships, township_field, engine)
    conflicts = towns.split(conflicts, crs)
    slivers = towns.split(slivers, crs)
    selfs = towns.split(selfs, crs)
    if townships is not None:
        next_step()

    summary = _summarize(conflicts, pairs, towns.order if townships is not None else None)
    return ControlReport(
        conflicts=_geoframe(conflicts, CONFLICT_COLUMNS, crs),
        slivers=_geoframe(slivers, CONFLICT_COLUMNS, crs),
        self_overlaps=_geoframe(selfs, SELF_OVERLAP_COLUMNS, crs),
        invalid=_geoframe(invalid_df, INVALID_COLUMNS, crs),
        summary=summary,
        pairs=pairs,
        labels=full_labels,
        min_area_m2=float(min_area_m2),
        layers=dict(layers),
        id_fields={n: id_fields.get(n) for n in names},
        townships=townships,
        township_field=towns.field,
    )

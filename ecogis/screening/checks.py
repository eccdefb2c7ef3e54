"""The built-in screening checks: exclude, require, limit, slope_max, raster_class.

Each takes a :class:`CheckContext` and returns a :class:`CheckResult` with one entry per site;
the rule registry (:mod:`ecogis.screening.rules`) names them. Reasons are written for the
county staff who read them, in Chinese, one sentence per check that did not pass, with the
numbers in 亩 and the legal basis.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from geopandas import GeoDataFrame, GeoSeries

from ..errors import RuleError
from ..i18n import _
from ..units import m2_to_mu
from .model import BUFFER_QUAD_SEGS, NODATA_MAX_SHARE, REASONS

if TYPE_CHECKING:
    from ..config import Check

__all__ = [
    "CheckContext",
    "CheckResult",
    "check_exclude",
    "check_require",
    "check_limit",
    "check_slope_max",
    "check_raster_class",
]


@dataclass(frozen=True)
class CheckContext:
    """What a check function gets.

    Attributes
    ----------
    sites : GeoDataFrame
        The candidate sites in the working CRS (positional order is what counts).
    area_m2 : numpy.ndarray
        Area of each site, m².
    check : Check
        The check from the rule set (``check.params`` holds its parameters).
    data : GeoDataFrame or rasterio.DatasetReader
        The layer (working CRS) or the open raster the check names.
    label : str
        The layer's name for people (config ``label``, e.g. 生态保护红线).
    basis : str or None
        The legal source shown in reasons (the check's, else the rule set's).
    prefix : str
        Prefix of the columns the check adds (the layer or raster name).
    min_overlap_m2 : float
        Overlaps at or below this area are drawing noise, not overlaps.
    progress : callable or None
        ``progress(n)`` after ``n`` more sites are done.
    engine : ecogis.overlay.Engine
        The overlay engine (local threads or dask partitions).
    whole : GeoDataFrame or None
        The check's whole layer when ``data`` holds only some of its features (the land
        classes or ``where:`` of the check): what a reason describes the rest of a site by.
    """

    sites: GeoDataFrame
    area_m2: np.ndarray
    check: Check
    data: Any
    label: str
    basis: str | None
    prefix: str
    min_overlap_m2: float = 0.0
    progress: Callable[[int], None] | None = None
    engine: Any = None
    whole: Any = None

    @property
    def params(self) -> Mapping[str, Any]:
        return self.check.params

    @property
    def by_class(self) -> bool:
        """True when the check takes land classes of its layer (``classes:``): its reasons
        name the classes found."""
        return self.check.classes is not None

    def done(self, n: int) -> None:
        if self.progress is not None and n:
            self.progress(n)


@dataclass
class CheckResult:
    """What a check function returns, one entry per site.

    Attributes
    ----------
    status : numpy.ndarray
        ``pass`` / ``conditional`` / ``fail`` / ``unknown`` per site (object array).
    reasons : list of str or None
        A readable sentence per site that did not pass, else None.
    columns : dict
        Column name -> per-site values added to the result table.
    exclusion : GeoSeries, optional
        Zones to cut from the sites for the eligible rest (``exclude`` checks).
    """

    status: np.ndarray
    reasons: list[str | None]
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    exclusion: GeoSeries | None = None


# ---------------------------------------------------------------------------------------------
# formatting helpers (the sentences of model.REASONS, numbers in mu)
# ---------------------------------------------------------------------------------------------


def _mu(m2: float) -> str:
    return _(REASONS["area"]).format(mu=f"{m2_to_mu(m2):,.1f}")


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%"


def _basis(ctx: CheckContext) -> str:
    return _(REASONS["basis"]).format(basis=ctx.basis) if ctx.basis else ""


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(whole > 0, part / whole, 0.0)


def _status(n: int) -> np.ndarray:
    return np.full(n, "pass", dtype=object)


# ---------------------------------------------------------------------------------------------
# vector helpers
# ---------------------------------------------------------------------------------------------


def _near(ctx: CheckContext, distance: float) -> np.ndarray:
    """Positions of the layer's features within ``distance`` of some site (the rest cannot
    matter, and buffering the whole of a large layer would be wasted work)."""
    layer_geoms = np.asarray(ctx.data.geometry.values, dtype=object)
    site_geoms = np.asarray(ctx.sites.geometry.values, dtype=object)
    if len(layer_geoms) == 0 or len(site_geoms) == 0:
        return np.zeros(0, dtype=np.int64)
    tree = shapely.STRtree(site_geoms)
    if distance > 0:
        idx = tree.query(layer_geoms, predicate="dwithin", distance=distance)[0]
    else:
        idx = tree.query(layer_geoms, predicate="intersects")[0]
    return np.unique(np.asarray(idx, dtype=np.int64))


def _zones(ctx: CheckContext, buffer_m: float) -> GeoDataFrame:
    """The layer's features near the sites, grown by ``buffer_m`` (working CRS)."""
    layer = ctx.data
    near = _near(ctx, buffer_m)
    geoms = np.asarray(layer.geometry.values, dtype=object)[near]
    if buffer_m > 0:
        geoms = shapely.buffer(geoms, buffer_m, quad_segs=BUFFER_QUAD_SEGS)
    return GeoDataFrame(geometry=GeoSeries(geoms, crs=layer.crs), crs=layer.crs)


def _distance(ctx: CheckContext) -> np.ndarray:
    """Exact distance from each site to the nearest feature of the layer (0 when overlapping;
    NaN for an empty layer)."""
    sites = np.asarray(ctx.sites.geometry.values, dtype=object)
    layer = np.asarray(ctx.data.geometry.values, dtype=object)
    out = np.full(len(sites), np.nan)
    if len(layer) == 0 or len(sites) == 0:
        return out
    tree = shapely.STRtree(layer)
    (si, _unused), dist = tree.query_nearest(sites, return_distance=True, all_matches=False)
    out[si] = dist
    return out


def _overlap(ctx: CheckContext, buffer_m: float) -> tuple[np.ndarray, GeoDataFrame]:
    zones = _zones(ctx, buffer_m)
    if len(zones) == 0:
        return np.zeros(len(ctx.sites)), zones
    return ctx.engine.overlap_area(ctx.sites, zones), zones


def _overlap_columns(ctx: CheckContext, overlap: np.ndarray) -> dict[str, np.ndarray]:
    return {
        f"{ctx.prefix}_overlap_m2": overlap,
        f"{ctx.prefix}_overlap_mu": m2_to_mu(overlap),
    }


def _fields(ctx: CheckContext) -> tuple[str, str]:
    from ..landuse import CLASS_FIELD, CLASS_NAME_FIELD

    return ctx.check.class_field or CLASS_FIELD, ctx.check.class_name_field or CLASS_NAME_FIELD


def _classes_under(ctx: CheckContext, rows: np.ndarray, layer=None, limit=None) -> dict[int, str]:
    """Per site (position in ``rows``): the land classes of ``layer`` (default the check's
    features) under it with their areas, largest first (``0103 旱地 85.2 亩``)."""
    from ..landuse import area_by_class, describe_classes

    if len(rows) == 0:
        return {}
    layer = ctx.data if layer is None else layer
    field, name_field = _fields(ctx)
    table = area_by_class(
        ctx.sites.iloc[rows],
        layer,
        ids=rows,
        class_field=field,
        name_field=name_field,
        engine=ctx.engine,
        name=ctx.prefix,
    )
    out = {}
    for i, part in table.groupby("id", sort=False):
        out[int(i)] = describe_classes(
            part["class_code"], part["area_m2"], names=part["class_name"], limit=limit
        )
    return out


def _classes_near(ctx: CheckContext, rows: np.ndarray, distance: float) -> dict[int, str]:
    """Per site: the classes (code and name, most features first) of the check's features
    within ``distance`` of it, whose buffer reaches the site."""
    from collections import Counter

    from ..landuse import describe_classes, normalized_codes

    if len(rows) == 0 or len(ctx.data) == 0:
        return {}
    field, name_field = _fields(ctx)
    codes = normalized_codes(ctx.data[field].tolist())
    names = ctx.data[name_field].tolist() if name_field in ctx.data.columns else None
    tree = shapely.STRtree(np.asarray(ctx.data.geometry.values, dtype=object))
    site_geoms = np.asarray(ctx.sites.geometry.values, dtype=object)[rows]
    si, fi = tree.query(site_geoms, predicate="dwithin", distance=distance)
    out = {}
    for k, row in enumerate(rows):
        mine = fi[si == k]
        count = Counter(codes[j] for j in mine)
        first = {}
        for j in mine:
            first.setdefault(codes[j], j)
        ranked = [first[c] for c, _n in count.most_common()]
        if ranked:
            out[int(row)] = describe_classes(
                [codes[j] for j in ranked],
                names=None if names is None else [names[j] for j in ranked],
                limit=4,
            )
    return out


# ---------------------------------------------------------------------------------------------
# the built-in checks
# ---------------------------------------------------------------------------------------------


def check_exclude(ctx: CheckContext) -> CheckResult:
    """No development on the layer (or within ``buffer_m`` of it): the overlap is cut away.

    A site that overlaps is ``conditional`` here (its boundary must be cut back); the rule set's
    ``min_eligible_mu`` then decides whether enough is left, else the site fails.
    """
    buffer_m = float(ctx.params.get("buffer_m", 0.0) or 0.0)
    overlap, zones = _overlap(ctx, buffer_m)
    cols = _overlap_columns(ctx, overlap)
    dist = None
    if buffer_m > 0:
        dist = _distance(ctx)
        cols[f"{ctx.prefix}_distance_m"] = dist
    share = _share(overlap, ctx.area_m2)
    hit = overlap > ctx.min_overlap_m2
    status = _status(len(overlap))
    status[hit] = "conditional"
    reasons: list[str | None] = [None] * len(overlap)
    rows = np.flatnonzero(hit)
    found: dict[int, str] = {}
    if ctx.by_class:
        found = _classes_near(ctx, rows, buffer_m) if buffer_m > 0 else _classes_under(ctx, rows)
    for i in rows:
        if ctx.by_class:
            text = REASONS["exclude_buffer_classes"] if buffer_m > 0 else REASONS["exclude_classes"]
        else:
            text = REASONS["exclude_buffer"] if buffer_m > 0 else REASONS["exclude"]
        reasons[i] = _(text).format(
            label=ctx.label,
            classes=found.get(int(i), ""),
            distance=f"{dist[i]:,.1f}" if buffer_m > 0 else "",
            buffer=f"{buffer_m:g}",
            area=_mu(overlap[i]),
            share=_pct(share[i]),
            basis=_basis(ctx),
        )
    ctx.done(len(overlap))
    return CheckResult(status, reasons, cols, exclusion=zones.geometry)


def check_require(ctx: CheckContext) -> CheckResult:
    """At least ``min_share`` of the site inside the layer (e.g. sandy land), else fail."""
    min_share = float(ctx.params["min_share"])
    overlap, _zones = _overlap(ctx, 0.0)
    share = _share(overlap, ctx.area_m2)
    cols = _overlap_columns(ctx, overlap)
    cols[f"{ctx.prefix}_share"] = share
    # a relative tolerance so that "exactly 60 %" from floating-point areas passes 60 %
    bad = share < min_share - 1e-9
    status = _status(len(share))
    status[bad] = "fail"
    reasons: list[str | None] = [None] * len(share)
    rows = np.flatnonzero(bad)
    # what the site lies on instead: its main classes in the whole land-use layer
    found = _classes_under(ctx, rows, layer=ctx.whole, limit=3) if ctx.by_class else {}
    for i in rows:
        text = REASONS["require_classes"] if found.get(int(i)) else REASONS["require"]
        reasons[i] = _(text).format(
            label=ctx.label,
            classes=found.get(int(i), ""),
            area=_mu(overlap[i]),
            share=_pct(share[i]),
            required=_pct(min_share),
            basis=_basis(ctx),
        )
    ctx.done(len(share))
    return CheckResult(status, reasons, cols)


def check_limit(ctx: CheckContext) -> CheckResult:
    """Overlap allowed up to ``max_share`` of the site and / or ``max_mu``; beyond either
    limit the site is ``conditional`` (needs adjustment or approval). Not cut away."""
    buffer_m = float(ctx.params.get("buffer_m", 0.0) or 0.0)
    max_share = ctx.params.get("max_share")
    max_mu = ctx.params.get("max_mu")
    overlap, _zones = _overlap(ctx, buffer_m)
    share = _share(overlap, ctx.area_m2)
    cols = _overlap_columns(ctx, overlap)
    if buffer_m > 0:
        cols[f"{ctx.prefix}_distance_m"] = _distance(ctx)
    over = np.zeros(len(overlap), dtype=bool)
    limits = []
    if max_share is not None:
        over |= share > float(max_share) + 1e-9
        limits.append(_(REASONS["limit_share"]).format(share=_pct(float(max_share))))
    if max_mu is not None:
        over |= m2_to_mu(overlap) > float(max_mu) + 1e-9
        limits.append(_(REASONS["limit_mu"]).format(mu=f"{float(max_mu):g}"))
    over &= overlap > ctx.min_overlap_m2
    status = _status(len(overlap))
    status[over] = "conditional"
    reasons: list[str | None] = [None] * len(overlap)
    within = _(REASONS["limit_within"]).format(buffer=f"{buffer_m:g}") if buffer_m > 0 else ""
    rows = np.flatnonzero(over)
    found: dict[int, str] = {}
    if ctx.by_class:
        found = _classes_near(ctx, rows, buffer_m) if buffer_m > 0 else _classes_under(ctx, rows)
    for i in rows:
        text = REASONS["limit_classes"] if ctx.by_class else REASONS["limit"]
        reasons[i] = _(text).format(
            label=ctx.label,
            classes=found.get(int(i), ""),
            within=within,
            area=_mu(overlap[i]),
            share=_pct(share[i]),
            limits=_(REASONS["limit_or"]).join(limits),
            basis=_basis(ctx),
        )
    ctx.done(len(overlap))
    return CheckResult(status, reasons, cols)


def _nodata_unknown(
    ctx: CheckContext, stats: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, list[str | None]]:
    """Sites whose raster statistics cannot be trusted: (unknown mask, nodata share, reasons)."""
    pixels = stats["pixels"].to_numpy(dtype=float)
    nodata = stats["nodata"].to_numpy(dtype=float)
    nodata_share = np.where(pixels > 0, nodata / np.maximum(pixels, 1), 1.0)
    unknown = (pixels == 0) | (nodata_share > NODATA_MAX_SHARE)
    reasons: list[str | None] = [None] * len(pixels)
    for i in np.flatnonzero(unknown):
        if pixels[i] == 0:
            reasons[i] = _(REASONS["nodata_tiny"]).format(label=ctx.label)
        else:
            reasons[i] = _(REASONS["nodata"]).format(
                label=ctx.label, share=_pct(nodata_share[i]), max=_pct(NODATA_MAX_SHARE)
            )
    return unknown, nodata_share, reasons


def check_slope_max(ctx: CheckContext) -> CheckResult:
    """Slope (Horn, from the DEM) steeper than ``max_deg`` on more than ``max_share`` of the
    site (default 0: any steeper pixel) fails."""
    max_deg = float(ctx.params["max_deg"])
    max_share = float(ctx.params.get("max_share", 0.0) or 0.0)
    from ..raster import zonal_slope

    stats = zonal_slope(ctx.sites.geometry, ctx.data, max_deg=max_deg, progress=ctx.done)
    unknown, nodata_share, reasons = _nodata_unknown(ctx, stats)
    mean = stats["slope_mean_deg"].to_numpy(dtype=float)
    over = stats["slope_share_over"].to_numpy(dtype=float)
    steepest = stats["slope_max_deg"].to_numpy(dtype=float)
    bad = ~unknown & (over > max_share + 1e-9)
    status = _status(len(mean))
    status[unknown] = "unknown"
    status[bad] = "fail"
    for i in np.flatnonzero(bad):
        reasons[i] = _(REASONS["slope"]).format(
            over=_pct(over[i]),
            max_deg=f"{max_deg:g}",
            max_share=_pct(max_share),
            mean=f"{mean[i]:.1f}",
            steepest=f"{steepest[i]:.1f}",
            basis=_basis(ctx),
        )
    # the column names for the (first) slope check; a second one is prefixed
    p = "slope" if ctx.prefix == "slope" else ctx.prefix
    cols = {
        f"{p}_mean_deg": mean,
        f"{p}_max_deg": steepest,
        f"{p}_share_over": over,
        f"{ctx.check.raster}_nodata_share": nodata_share,
    }
    return CheckResult(status, reasons, cols)


def _class_codes(ctx: CheckContext, key: str) -> np.ndarray | None:
    codes = ctx.params.get(key)
    if codes is None:
        return None
    out = []
    for j, code in enumerate(codes):
        try:
            out.append(float(code))
        except (TypeError, ValueError):
            raise RuleError(
                _(
                    "{key}: class code {code!r} is not a number; raster {raster!r} holds "
                    "numeric class values"
                ).format(key=f"{ctx.check.key}.{key}[{j}]", code=code, raster=ctx.check.raster)
            ) from None
    return np.asarray(out, dtype=float)


def _fmt_code(code: float) -> str:
    return str(int(code)) if float(code).is_integer() else f"{code:g}"


def check_raster_class(ctx: CheckContext) -> CheckResult:
    """Land-cover classes: the share of the site's pixels in a ``forbidden`` class (or, with
    ``allowed``, in any class not allowed) above ``max_share`` (default 0) fails."""
    from ..raster import zonal_classes

    allowed = _class_codes(ctx, "allowed")
    forbidden = _class_codes(ctx, "forbidden")
    max_share = float(ctx.params.get("max_share", 0.0) or 0.0)

    def bad_of(v: np.ndarray) -> np.ndarray:
        bad = np.zeros(v.shape, dtype=bool)
        if forbidden is not None:
            bad |= np.isin(v, forbidden)
        if allowed is not None:
            bad |= ~np.isin(v, allowed)
        return bad

    stats = zonal_classes(ctx.sites.geometry, ctx.data, bad_of, progress=ctx.done)
    unknown, nodata_share, reasons = _nodata_unknown(ctx, stats)
    share = stats["bad"].to_numpy(dtype=float)
    main = stats["main"].to_numpy(dtype=float)
    main_share = stats["main_share"].to_numpy(dtype=float)
    bad = ~unknown & (share > max_share + 1e-9)
    status = _status(len(share))
    status[unknown] = "unknown"
    status[bad] = "fail"
    if forbidden is not None and allowed is not None:
        what = _(REASONS["class_forbidden_or_not_allowed"])
    elif forbidden is not None:
        what = _(REASONS["class_forbidden"])
    else:
        what = _(REASONS["class_not_allowed"])
    for i in np.flatnonzero(bad):
        reasons[i] = _(REASONS["raster_class"]).format(
            label=ctx.label,
            what=what,
            share=_pct(share[i]),
            code=_fmt_code(main[i]),
            main_share=_pct(main_share[i]),
            max=_pct(max_share),
            basis=_basis(ctx),
        )
    cols = {
        f"{ctx.prefix}_class_share": share,
        f"{ctx.prefix}_class_main": np.array(
            [_fmt_code(c) if np.isfinite(c) else "" for c in main], dtype=object
        ),
        f"{ctx.prefix}_nodata_share": nodata_share,
    }
    return CheckResult(status, reasons, cols)

"""Site screening: rule sets -> a verdict, reasons, overlaps and the eligible rest per site.

A rule set (``rulesets:`` in the config, :class:`ecogis.config.RuleSet`) is a list of checks.
Each check kind is a function in the registry :data:`CHECKS` (rasterstats' ``add_stats``
idea): ``exclude``, ``require``, ``limit``, ``slope_max`` and ``raster_class`` are built in,
more are added with :func:`register_check`.

Verdicts
--------
``pass``
    Every check passes and the site is at least ``min_eligible_mu``.
``conditional``
    Allowed with adjustments or approvals: the site overlaps excluded land but what is left
    after cutting it away is still at least ``min_eligible_mu`` (the boundary must be cut
    back), or a ``limit`` overlap is beyond its allowed share / area (needs approval).
``fail``
    A ``require``, ``slope_max`` or ``raster_class`` check fails, or the eligible rest is
    below ``min_eligible_mu`` (or nothing is left at all).
``unknown``
    A raster check cannot be decided: more than :data:`NODATA_MAX_SHARE` of the pixels under
    the site have no data (or no pixel centre falls inside the site). Never a silent fail.

The verdict of a site is the worst of its checks, in the order
``pass < conditional < unknown < fail``: a site that certainly fails one check fails, even
if another check is undecided.

Numbers
-------
Everything is computed in the one projected working CRS of the inputs (metres); areas are
exact vector results from :mod:`ecogis.overlay` (features of one control layer that overlap
each other are counted once). Buffered checks (``buffer_m``) measure the overlap with the
layer grown by ``buffer_m`` — the land that is excluded — and report the exact distance from
the site to the nearest feature (0 when they overlap) in ``<layer>_distance_m``. The grown
layer is a polygon buffer with :data:`BUFFER_QUAD_SEGS` segments per quarter circle: exact
along straight edges, within about 0.01 % of the area around corners.

Partial nodata: with at most :data:`NODATA_MAX_SHARE` of the site's pixels missing, raster
statistics are taken over the valid pixels and the missing share is reported in
``<raster>_nodata_share``.

Reasons are written for the county staff who read them, in Chinese, one sentence per check
that did not pass, with the numbers in 亩 and the legal basis, e.g.
``与生态保护红线重叠 120.5 亩（占 12.0%），需从地块中核减，依据：自然资发〔2022〕142号``.
Reasons are ordered worst first (the first one decides the verdict); the machine-readable
``failed_checks`` column lists ``rule:target`` for the same checks in the same order
(``min_eligible`` for the rule set's minimum area).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from geopandas import GeoDataFrame, GeoSeries

from .errors import CRSError, EcogisWarning, LayerError, RuleError
from .units import m2_to_mu

if TYPE_CHECKING:
    import rasterio

    from .config import Check, RuleSet

__all__ = [
    "CHECKS",
    "VERDICTS",
    "NODATA_MAX_SHARE",
    "BUFFER_QUAD_SEGS",
    "CheckContext",
    "CheckResult",
    "ScreenResult",
    "register_check",
    "screen_sites",
    "site_ids",
]

#: verdicts from best to worst; a site gets the worst of its checks
VERDICTS = ("pass", "conditional", "unknown", "fail")
_RANK = {v: i for i, v in enumerate(VERDICTS)}

#: a raster check is ``unknown`` when more than this share of the site's pixels has no data
NODATA_MAX_SHARE = 0.1
#: segments per quarter circle of buffered layers (GEOS default is 8)
BUFFER_QUAD_SEGS = 32
#: columns that name a site, in order of preference, when no id field is given
ID_COLUMNS = ("site_id", "id", "ID", "BSM", "bsm", "parcel_id")
#: separator of the reasons of one site (a Chinese semicolon: reasons are Chinese sentences)
REASON_SEP = "；"


# ---------------------------------------------------------------------------------------------
# registry
# ---------------------------------------------------------------------------------------------


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

    @property
    def params(self) -> Mapping[str, Any]:
        return self.check.params

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


CheckFn = Callable[[CheckContext], CheckResult]

#: rule name -> check function; add more with :func:`register_check`
CHECKS: dict[str, CheckFn] = {}


def register_check(name: str) -> Callable[[CheckFn], CheckFn]:
    """Register a check function under a rule name (decorator).

    A config can only name rules that :data:`ecogis.config.RULES` knows (with their allowed
    parameters), so a new rule is added in both places.

    Examples
    --------
    >>> @register_check("exclude_copy")
    ... def _exclude_copy(ctx):
    ...     return CHECKS["exclude"](ctx)
    >>> "exclude_copy" in CHECKS
    True
    >>> del CHECKS["exclude_copy"]
    """

    def deco(fn: CheckFn) -> CheckFn:
        CHECKS[name] = fn
        return fn

    return deco


# ---------------------------------------------------------------------------------------------
# formatting helpers (Chinese sentences, numbers in mu)
# ---------------------------------------------------------------------------------------------


def _mu(m2: float) -> str:
    return f"{m2_to_mu(m2):,.1f} 亩"


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%"


def _basis(ctx: CheckContext) -> str:
    return f"，依据：{ctx.basis}" if ctx.basis else ""


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
    (si, _), dist = tree.query_nearest(sites, return_distance=True, all_matches=False)
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


# ---------------------------------------------------------------------------------------------
# the built-in checks
# ---------------------------------------------------------------------------------------------


@register_check("exclude")
def _check_exclude(ctx: CheckContext) -> CheckResult:
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
    for i in np.flatnonzero(hit):
        if buffer_m > 0:
            head = (
                f"距{ctx.label} {dist[i]:,.1f} 米，位于其 {buffer_m:g} 米缓冲区内 "
                f"{_mu(overlap[i])}（占 {_pct(share[i])}）"
            )
        else:
            head = f"与{ctx.label}重叠 {_mu(overlap[i])}（占 {_pct(share[i])}）"
        reasons[i] = f"{head}，需从地块中核减{_basis(ctx)}"
    ctx.done(len(overlap))
    return CheckResult(status, reasons, cols, exclusion=zones.geometry)


@register_check("require")
def _check_require(ctx: CheckContext) -> CheckResult:
    """At least ``min_share`` of the site inside the layer (e.g. sandy land), else fail."""
    min_share = float(ctx.params["min_share"])
    overlap, _ = _overlap(ctx, 0.0)
    share = _share(overlap, ctx.area_m2)
    cols = _overlap_columns(ctx, overlap)
    cols[f"{ctx.prefix}_share"] = share
    # a relative tolerance so that "exactly 60 %" from floating-point areas passes 60 %
    bad = share < min_share - 1e-9
    status = _status(len(share))
    status[bad] = "fail"
    reasons: list[str | None] = [None] * len(share)
    for i in np.flatnonzero(bad):
        reasons[i] = (
            f"位于{ctx.label}内的面积 {_mu(overlap[i])}，仅占 {_pct(share[i])}，"
            f"低于要求的 {_pct(min_share)}{_basis(ctx)}"
        )
    ctx.done(len(share))
    return CheckResult(status, reasons, cols)


@register_check("limit")
def _check_limit(ctx: CheckContext) -> CheckResult:
    """Overlap allowed up to ``max_share`` of the site and / or ``max_mu``; beyond either
    limit the site is ``conditional`` (needs adjustment or approval). Not cut away."""
    buffer_m = float(ctx.params.get("buffer_m", 0.0) or 0.0)
    max_share = ctx.params.get("max_share")
    max_mu = ctx.params.get("max_mu")
    overlap, _ = _overlap(ctx, buffer_m)
    share = _share(overlap, ctx.area_m2)
    cols = _overlap_columns(ctx, overlap)
    if buffer_m > 0:
        cols[f"{ctx.prefix}_distance_m"] = _distance(ctx)
    over = np.zeros(len(overlap), dtype=bool)
    limits = []
    if max_share is not None:
        over |= share > float(max_share) + 1e-9
        limits.append(f"占地块 {_pct(float(max_share))}")
    if max_mu is not None:
        over |= m2_to_mu(overlap) > float(max_mu) + 1e-9
        limits.append(f"{float(max_mu):g} 亩")
    over &= overlap > ctx.min_overlap_m2
    status = _status(len(overlap))
    status[over] = "conditional"
    reasons: list[str | None] = [None] * len(overlap)
    where = f"其 {buffer_m:g} 米范围" if buffer_m > 0 else ""
    for i in np.flatnonzero(over):
        reasons[i] = (
            f"与{ctx.label}{where}重叠 {_mu(overlap[i])}（占 {_pct(share[i])}），"
            f"超过允许的{'或'.join(limits)}，需调整范围或办理审批{_basis(ctx)}"
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
            reasons[i] = f"地块小于{ctx.label}的一个像元，无法判定"
        else:
            reasons[i] = (
                f"{ctx.label}在地块内无数据的像元占 {_pct(nodata_share[i])}"
                f"（超过 {_pct(NODATA_MAX_SHARE)}），无法判定"
            )
    return unknown, nodata_share, reasons


@register_check("slope_max")
def _check_slope_max(ctx: CheckContext) -> CheckResult:
    """Slope (Horn, from the DEM) steeper than ``max_deg`` on more than ``max_share`` of the
    site (default 0: any steeper pixel) fails."""
    max_deg = float(ctx.params["max_deg"])
    max_share = float(ctx.params.get("max_share", 0.0) or 0.0)
    from .raster import zonal_slope

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
        reasons[i] = (
            f"坡度大于 {max_deg:g}° 的部分占 {_pct(over[i])}，超过允许的 {_pct(max_share)}"
            f"（平均坡度 {mean[i]:.1f}°，最大 {steepest[i]:.1f}°）{_basis(ctx)}"
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
                f"{ctx.check.key}.{key}[{j}]: class code {code!r} is not a number; "
                f"raster {ctx.check.raster!r} holds numeric class values"
            ) from None
    return np.asarray(out, dtype=float)


def _fmt_code(code: float) -> str:
    return str(int(code)) if float(code).is_integer() else f"{code:g}"


@register_check("raster_class")
def _check_raster_class(ctx: CheckContext) -> CheckResult:
    """Land-cover classes: the share of the site's pixels in a ``forbidden`` class (or, with
    ``allowed``, in any class not allowed) above ``max_share`` (default 0) fails."""
    from .raster import zonal_classes

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
    what = (
        "禁止或不允许的地类"
        if forbidden is not None and allowed is not None
        else ("禁止的地类" if forbidden is not None else "不在允许范围内的地类")
    )
    for i in np.flatnonzero(bad):
        reasons[i] = (
            f"{ctx.label}显示{what}占 {_pct(share[i])}（主要为 {_fmt_code(main[i])}，"
            f"占 {_pct(main_share[i])}），超过允许的 {_pct(max_share)}{_basis(ctx)}"
        )
    cols = {
        f"{ctx.prefix}_class_share": share,
        f"{ctx.prefix}_class_main": np.array(
            [_fmt_code(c) if np.isfinite(c) else "" for c in main], dtype=object
        ),
        f"{ctx.prefix}_nodata_share": nodata_share,
    }
    return CheckResult(status, reasons, cols)


# ---------------------------------------------------------------------------------------------
# the driver
# ---------------------------------------------------------------------------------------------


@dataclass
class ScreenResult:
    """Result of :func:`screen_sites`.

    Attributes
    ----------
    sites : GeoDataFrame
        One row per input site (same order): ``site_id, verdict, reasons, failed_checks,
        area_m2, area_mu, eligible_m2, eligible_mu``, the columns of each check, then the
        input's own attributes; the site geometry.
    eligible : GeoDataFrame
        ``site_id, verdict, eligible_m2, eligible_mu`` and each site minus its exclusions, for
        the sites where something is left.
    """

    sites: GeoDataFrame
    eligible: GeoDataFrame
    #: the deciding (first) reason per site, "" for a pass (reasons may contain "；" themselves)
    first_reason: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))

    def counts(self) -> dict[str, int]:
        """Number of sites per verdict, in :data:`VERDICTS` order (zeros included)."""
        vc = self.sites["verdict"].value_counts()
        return {v: int(vc.get(v, 0)) for v in VERDICTS}


def site_ids(sites: GeoDataFrame, id_field: str | None = None) -> pd.Series:
    """Ids of the sites: ``id_field``, else a ``site_id`` / ``id`` / ``BSM`` / ``parcel_id``
    column, else the 1-based row number.

    Raises
    ------
    LayerError
        ``id_field`` is not a column of ``sites``.
    """
    name = sites.attrs.get("name", "sites") if hasattr(sites, "attrs") else "sites"
    if id_field is not None:
        if id_field not in sites.columns:
            cols = ", ".join(c for c in sites.columns if c != sites.geometry.name) or "(none)"
            raise LayerError(f"{name}: --id-field {id_field!r} is not a column; columns: {cols}")
        ids = sites[id_field]
    else:
        col = next((c for c in ID_COLUMNS if c in sites.columns and sites[c].notna().all()), None)
        if col is None:
            return pd.Series(np.arange(1, len(sites) + 1), index=sites.index, name="site_id")
        ids = sites[col]
    if not ids.is_unique:
        dup = ids[ids.duplicated()].astype(str).unique()[:5]
        warnings.warn(
            f"{name}: site ids are not unique ({', '.join(dup)} ...); rows keep their order",
            EcogisWarning,
            stacklevel=3,
        )
    return ids.rename("site_id")


def _check_inputs(sites: GeoDataFrame, layers: Mapping[str, GeoDataFrame]) -> None:
    crs = sites.crs
    if crs is None:
        raise CRSError("sites: no CRS; screening needs the sites in the projected working CRS")
    if crs.is_geographic:
        raise CRSError(
            f"sites: geographic CRS {crs.to_string()}; screening measures in metres — "
            "reproject to the working CRS first (e.g. EPSG:4547)"
        )
    for name, gdf in layers.items():
        if gdf.crs is None or gdf.crs != crs:
            raise CRSError(
                f"layer {name!r} is in {gdf.crs.to_string() if gdf.crs else 'no CRS'}, the sites "
                f"in {crs.to_string()}; reproject everything to one working CRS"
            )


def _prefixes(checks: tuple[Check, ...]) -> list[str]:
    """Column prefix per check: the target's name; a target named by two checks of different
    rules gets the rule too (``farmland_limit``), so no column is overwritten."""
    seen: dict[str, int] = {}
    for c in checks:
        key = "slope" if c.rule == "slope_max" else c.target
        seen[key] = seen.get(key, 0) + 1
    out, used = [], set()
    for c in checks:
        key = "slope" if c.rule == "slope_max" else c.target
        p = key if seen[key] == 1 else f"{key}_{c.rule}"
        n = 2
        base = p
        while p in used:
            p, n = f"{base}{n}", n + 1
        used.add(p)
        out.append(p)
    return out


def screen_sites(
    sites: GeoDataFrame,
    ruleset: RuleSet,
    *,
    layers: Mapping[str, GeoDataFrame],
    rasters: Mapping[str, rasterio.DatasetReader] | None = None,
    labels: Mapping[str, str] | None = None,
    id_field: str | None = None,
    min_overlap_m2: float = 0.0,
    engine=None,
    progress: Callable[[int], None] | None = None,
) -> ScreenResult:
    """Screen candidate sites against a rule set.

    Parameters
    ----------
    sites : GeoDataFrame
        Candidate sites (polygons) in the projected working CRS.
    ruleset : RuleSet
        From :meth:`ecogis.config.Config.ruleset`.
    layers : mapping of str to GeoDataFrame
        Vector layers the checks name, in the same CRS as the sites. Read them whole: features
        outside the study area still count where a buffer reaches into a site.
    rasters : mapping of str to rasterio.DatasetReader
        Open rasters the checks name (any CRS; the DEM must be in metres).
    labels : mapping of str to str
        Layer / raster name -> label for people (生态保护红线); the check's own ``label``
        wins, the name is the fallback.
    id_field : str, optional
        Column with the site ids (see :func:`site_ids`).
    min_overlap_m2 : float, default 0
        Overlaps at or below this area are ignored (drawing noise, e.g. the config's
        ``sliver_m2``); they are still reported and cut from the eligible rest.
    engine : ecogis.overlay.Engine, optional
        Overlay engine; default the local one (``get_engine("dask", ...)`` for league-size
        data gives the same results).
    progress : callable, optional
        Called as ``progress(n)`` when ``n`` more site-checks are done; the total is
        ``len(sites) * (len(ruleset.checks) + 1)``.

    Returns
    -------
    ScreenResult

    Raises
    ------
    RuleError
        A check names a layer or raster that was not given, or an unknown rule.
    CRSError
        Sites or layers without a CRS, geographic, or in different CRSs.
    """
    rasters = rasters or {}
    labels = labels or {}
    needed = {c.layer: c for c in ruleset.checks if c.layer}
    _check_inputs(sites, {k: layers[k] for k in needed if k in layers})
    for c in ruleset.checks:
        if c.rule not in CHECKS:
            raise RuleError(
                f"{c.key}.rule: no check function for rule {c.rule!r}; "
                f"registered: {', '.join(CHECKS)}"
            )
        if c.layer and c.layer not in layers:
            raise RuleError(f"{c.key}.layer: layer {c.layer!r} was not loaded for screening")
        if c.raster and c.raster not in rasters:
            raise RuleError(f"{c.key}.raster: raster {c.raster!r} was not opened for screening")

    n = len(sites)
    ids = site_ids(sites, id_field)
    if engine is None:
        from .overlay import get_engine

        engine = get_engine("local")
    geoms = GeoDataFrame(geometry=sites.geometry.values, crs=sites.crs)
    area = shapely.area(np.asarray(geoms.geometry.values, dtype=object))

    status = np.zeros(n, dtype=np.int8)
    # per site: (rank, reason, "rule:target"); sorted worst first at the end, so the first
    # reason is always one that decides the verdict
    notes: list[list[tuple[int, str, str]]] = [[] for _ in range(n)]
    columns: dict[str, np.ndarray] = {}
    exclusions: list[GeoSeries] = []
    for check, prefix in zip(ruleset.checks, _prefixes(ruleset.checks), strict=True):
        target = check.target
        ctx = CheckContext(
            sites=geoms,
            area_m2=area,
            check=check,
            data=layers[target] if check.layer else rasters[target],
            label=check.label or labels.get(target) or target,
            basis=check.basis or ruleset.basis,
            prefix=prefix,
            min_overlap_m2=min_overlap_m2,
            progress=progress,
            engine=engine,
        )
        res = CHECKS[check.rule](ctx)
        st = np.array([_RANK[s] for s in res.status], dtype=np.int8)
        status = np.maximum(status, st)
        for i in np.flatnonzero(st > 0):
            notes[i].append((int(st[i]), res.reasons[i] or "", f"{check.rule}:{target}"))
        columns.update(res.columns)
        if res.exclusion is not None and len(res.exclusion):
            exclusions.append(res.exclusion)

    # the eligible rest: each site minus the union of every exclusion zone
    if exclusions:
        zones = GeoDataFrame(
            geometry=pd.concat(exclusions, ignore_index=True).values, crs=sites.crs
        )
        rest = engine.difference_each(geoms, zones)
    else:
        rest = geoms.geometry
    rest_geoms = np.asarray(rest.values, dtype=object)
    eligible = shapely.area(rest_geoms)
    eligible_mu = m2_to_mu(eligible)
    small = (eligible <= min_overlap_m2) | (eligible_mu < ruleset.min_eligible_mu - 1e-9)
    fail = _RANK["fail"]
    basis = f"，依据：{ruleset.basis}" if ruleset.basis else ""
    for i in np.flatnonzero(small):
        status[i] = fail
        cut = area[i] - eligible[i] > min_overlap_m2
        what = "剔除禁止区域后可用面积" if cut else "地块面积"
        if ruleset.min_eligible_mu > 0:
            text = f"{what} {_mu(eligible[i])}，少于最低要求 {ruleset.min_eligible_mu:g} 亩{basis}"
        else:
            text = f"{what} {_mu(eligible[i])}，没有可用的部分"
        notes[i].append((fail, text, "min_eligible"))
    for note in notes:
        note.sort(key=lambda t: -t[0])
    if progress is not None and n:
        progress(n)

    verdict = np.asarray(VERDICTS, dtype=object)[status]
    table = pd.DataFrame(
        {
            "site_id": ids.to_numpy(),
            "verdict": verdict,
            "reasons": [REASON_SEP.join(t[1] for t in note if t[1]) for note in notes],
            "failed_checks": [",".join(t[2] for t in note) for note in notes],
            "area_m2": area,
            "area_mu": m2_to_mu(area),
            "eligible_m2": eligible,
            "eligible_mu": eligible_mu,
            **columns,
        },
        index=sites.index,
    )
    # the input's own attributes after ours; never overwrite a screening column
    own = [c for c in sites.columns if c != sites.geometry.name and c not in table.columns]
    table = pd.concat([table, pd.DataFrame(sites[own])], axis=1)
    out_sites = GeoDataFrame(table, geometry=sites.geometry.values, crs=sites.crs)
    out_sites.index = sites.index

    keep = ~shapely.is_empty(rest_geoms) & (eligible > 0)
    out_eligible = GeoDataFrame(
        {
            "site_id": ids.to_numpy()[keep],
            "verdict": verdict[keep],
            "eligible_m2": eligible[keep],
            "eligible_mu": eligible_mu[keep],
        },
        geometry=GeoSeries(rest_geoms[keep], crs=sites.crs).values,
        crs=sites.crs,
    )
    first = pd.Series(
        [next((t[1] for t in note if t[1]), "") for note in notes], index=sites.index, dtype=object
    )
    return ScreenResult(sites=out_sites, eligible=out_eligible, first_reason=first)

"""Site screening: rule sets -> a verdict, reasons, overlaps and the eligible rest per site.

A rule set (``rulesets:`` in the config, :class:`ecogis.config.RuleSet`) is a list of checks.
Each check kind is a rule of the registry :data:`ecogis.screening.rules.RULES` (rasterstats'
``add_stats`` idea): ``exclude``, ``require``, ``limit``, ``slope_max`` and ``raster_class``
are built in, more are added with :func:`~ecogis.screening.rules.register_rule`.

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
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely
from geopandas import GeoDataFrame, GeoSeries

from ..errors import CRSError, EcogisWarning, LayerError, RuleError
from ..units import m2_to_mu
from .checks import CheckContext, _mu
from .model import ID_COLUMNS, REASON_SEP, TABLE_ROUNDING, VERDICTS
from .rules import RULES

if TYPE_CHECKING:
    import rasterio

    from ..config import Check, RuleSet

__all__ = ["ScreenResult", "screen_sites", "site_ids"]

_RANK = {v: i for i, v in enumerate(VERDICTS)}


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
    first_reason : Series
        The deciding (first) reason per site, "" for a pass (a reason may hold "；" itself).
    ruleset : RuleSet or None
        The rule set screened with.
    layers : dict of str to GeoDataFrame
        The vector layers the checks used (working CRS): what a map draws as context.
    labels : dict
        Layer / raster name -> label for people.
    crs_reason : str
        Why the working CRS is what it is (set by :func:`~ecogis.screening.run_screening`).
    """

    sites: GeoDataFrame
    eligible: GeoDataFrame
    first_reason: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))
    ruleset: RuleSet | None = None
    layers: dict[str, GeoDataFrame] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    crs_reason: str = ""

    @property
    def crs(self):
        """The working CRS of the result."""
        return self.sites.crs

    def frames(self) -> dict[str, GeoDataFrame]:
        """The geometry outputs by layer name, for writing into one GeoPackage."""
        return {"sites": self.sites, "eligible": self.eligible}

    def table(self) -> pd.DataFrame:
        """The site table for CSV / XLSX: no geometry, numbers rounded (the GeoPackage keeps
        full precision)."""
        df = pd.DataFrame(self.sites.drop(columns=self.sites.geometry.name))
        for col in df.columns:
            if not pd.api.types.is_float_dtype(df[col]):
                continue
            for suffix, digits in TABLE_ROUNDING.items():
                if str(col).endswith(suffix):
                    df[col] = df[col].round(digits)
        return df

    def rules_table(self) -> pd.DataFrame:
        """One row per check of the rule set (rule, target, label, parameters, basis) and one
        for its minimum eligible area."""
        rs = self.ruleset
        rows = [
            {
                "rule": c.rule,
                "target": c.target,
                "label": c.label or self.labels.get(c.target, c.target),
                "params": ", ".join(f"{k}={v}" for k, v in c.params.items()),
                "basis": c.basis or rs.basis or "",
            }
            for c in (rs.checks if rs is not None else ())
        ]
        if rs is not None:
            rows.append(
                {
                    "rule": "min_eligible_mu",
                    "target": "",
                    "label": "",
                    "params": f"{rs.min_eligible_mu:g}",
                    "basis": rs.basis or "",
                }
            )
        return pd.DataFrame(rows, columns=["rule", "target", "label", "params", "basis"])

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
        if c.rule not in RULES:
            raise RuleError(
                f"{c.key}.rule: no check function for rule {c.rule!r}; "
                f"registered: {', '.join(RULES)}"
            )
        if c.layer and c.layer not in layers:
            raise RuleError(f"{c.key}.layer: layer {c.layer!r} was not loaded for screening")
        if c.raster and c.raster not in rasters:
            raise RuleError(f"{c.key}.raster: raster {c.raster!r} was not opened for screening")

    n = len(sites)
    ids = site_ids(sites, id_field)
    if engine is None:
        from ..overlay import get_engine

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
        res = RULES[check.rule].function()(ctx)
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
    return ScreenResult(
        sites=out_sites,
        eligible=out_eligible,
        first_reason=first,
        ruleset=ruleset,
        layers={k: layers[k] for k in needed if k in layers},
        labels=dict(labels),
    )

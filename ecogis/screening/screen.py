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
    the site have no data (or no pixel centre falls inside the site). Or more than
    :data:`NODATA_MAX_SHARE` of the site lies outside the study area (the ``boundary`` layer;
    where there is none, the extents of the layers checked): the data do not say what is
    there. Never a silent fail.

The verdict of a site is the worst of its checks, in the order
``pass < conditional < unknown < fail``: a site that certainly fails one check fails, even
if another check is undecided. Outside the study area a vector check cannot fail a site (its
layer does not cover the land): such a fail counts as ``unknown``; the minimum area still
fails a site that is too small even counting the unjudged land as usable.

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

import functools
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from geopandas import GeoDataFrame, GeoSeries
from shapely.errors import GEOSException

from ..errors import CRSError, EcogisWarning, LayerError, RuleError
from ..i18n import _, ngettext
from ..units import m2_to_mu
from .checks import CheckContext, _mu, _pct
from .model import (
    BY_CLASS_LAYER,
    ID_COLUMNS,
    NODATA_MAX_SHARE,
    REASON_SEP,
    REASONS,
    TABLE_ROUNDING,
    VERDICTS,
)
from .rules import RULES

if TYPE_CHECKING:
    import rasterio

    from ..config import Check, RuleSet

__all__ = ["ScreenResult", "screen_sites", "site_ids", "context_layers"]

_RANK = {v: i for i, v in enumerate(VERDICTS)}

#: column of the share of each site outside the study area (when there is one)
OUTSIDE_COLUMN = "study_area_outside"
#: columns of the input that are for machines only, left out of the tables for people
_MACHINE_COLUMNS = ("txt_points",)


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
    layers : mapping of str to GeoDataFrame
        The vector layers the checks used (working CRS): what a map draws as context. A check
        that takes land classes of its layer (``classes:`` / ``where:``) contributes those
        features, dissolved (on first use), under its column prefix (``dltb_01``).
    labels : dict
        Layer / raster name -> label for people, and the column prefix of each check that
        takes land classes -> its label.
    crs_reason : str
        Why the working CRS is what it is (set by :func:`~ecogis.screening.run_screening`).
    by_class : GeoDataFrame or None
        With ``by_class`` (:func:`~ecogis.screening.run_screening`): each site's area on each
        land class — ``site_id, class_code, class_name, area_m2, area_mu, share`` and the
        site's part on that class (the GeoPackage layer ``by_class``).
    by_class_totals : DataFrame or None
        The same with a total after each site and the area of each class over all sites
        (:func:`ecogis.landuse.class_totals`): the 地类构成 sheet.
    by_class_layer : str or None
        The land-use layer the areas were split by.
    """

    sites: GeoDataFrame
    eligible: GeoDataFrame
    first_reason: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))
    ruleset: RuleSet | None = None
    layers: Mapping[str, GeoDataFrame] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    crs_reason: str = ""
    by_class: GeoDataFrame | None = None
    by_class_totals: pd.DataFrame | None = None
    by_class_layer: str | None = None

    @property
    def crs(self):
        """The working CRS of the result."""
        return self.sites.crs

    def frames(self) -> dict[str, GeoDataFrame]:
        """The geometry outputs by layer name, for writing into one GeoPackage (``by_class``
        too when the areas were split by land class)."""
        out = {"sites": self.sites, "eligible": self.eligible}
        if self.by_class is not None:
            out[BY_CLASS_LAYER] = self.by_class
        return out

    def table(self) -> pd.DataFrame:
        """The site table for CSV / XLSX: no geometry, numbers rounded (the GeoPackage keeps
        full precision)."""
        df = pd.DataFrame(self.sites.drop(columns=self.sites.geometry.name))
        df = df.drop(columns=[c for c in _MACHINE_COLUMNS if c in df.columns])
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
            cols = ", ".join(c for c in sites.columns if c != sites.geometry.name) or _("(none)")
            raise LayerError(
                _("{name}: --id-field {field!r} is not a column; columns: {cols}").format(
                    name=name, field=id_field, cols=cols
                )
            )
        ids = sites[id_field]
    else:
        col = next((c for c in ID_COLUMNS if c in sites.columns and sites[c].notna().all()), None)
        if col is None:
            return pd.Series(np.arange(1, len(sites) + 1), index=sites.index, name="site_id")
        ids = sites[col]
    if not ids.is_unique:
        dup = ids[ids.duplicated()].astype(str).unique()[:5]
        warnings.warn(
            _("{name}: site ids are not unique ({ids} ...); rows keep their order").format(
                name=name, ids=", ".join(dup)
            ),
            EcogisWarning,
            stacklevel=3,
        )
    return ids.rename("site_id")


def _check_inputs(sites: GeoDataFrame, layers: Mapping[str, GeoDataFrame]) -> None:
    crs = sites.crs
    from ..crs import is_metre_crs

    if crs is None:
        raise CRSError(_("sites: no CRS; screening needs the sites in the projected working CRS"))
    if crs.is_geographic:
        raise CRSError(
            _(
                "sites: geographic CRS {crs}; screening measures in metres — reproject to the "
                "working CRS first (e.g. EPSG:4547)"
            ).format(crs=crs.to_string())
        )
    if not is_metre_crs(crs):
        raise CRSError(
            _(
                "sites: CRS {crs} does not measure in metres; screening measures in metres — "
                "reproject to the working CRS first (e.g. EPSG:4547)"
            ).format(crs=crs.to_string())
        )
    for name, gdf in layers.items():
        if gdf.crs is None or gdf.crs != crs:
            raise CRSError(
                _(
                    "layer {name!r} is in {crs}, the sites in {sites}; reproject everything to "
                    "one working CRS"
                ).format(
                    name=name,
                    crs=gdf.crs.to_string() if gdf.crs else _("no CRS"),
                    sites=crs.to_string(),
                )
            )


def _check_key(c: Check) -> str:
    """A check's column name before any clash: ``slope``, the target's name, or for a check
    that takes land classes the target and its codes (``dltb_01``, ``dltb_0301_0302``)."""
    if c.rule == "slope_max":
        return "slope"
    if not c.selects:
        return c.target
    parts = [str(code).rstrip("*").lower() for code in c.classes or ()]
    if len(parts) > 3:
        parts = [*parts[:3], "etc"]
    if c.where:
        parts.append("where")
    return "_".join([c.target, *parts])


def _prefixes(checks: tuple[Check, ...]) -> list[str]:
    """Column prefix per check: the target's name (with its land classes, see
    :func:`_check_key`); a target named by two checks of different rules gets the rule too
    (``farmland_limit``), so no column is overwritten."""
    seen: dict[str, int] = {}
    for c in checks:
        key = _check_key(c)
        seen[key] = seen.get(key, 0) + 1
    out, used = [], set()
    for c in checks:
        key = _check_key(c)
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
    study_area=None,
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
    study_area : optional
        Where the data can judge a site: a shapely geometry in the sites' CRS, or an object
        with ``geometry`` and ``label`` (:class:`ecogis.io.project.StudyArea`). A site more
        than :data:`~ecogis.screening.model.NODATA_MAX_SHARE` outside it is ``unknown``; the
        share is in the column ``study_area_outside``.

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
                _("{key}.rule: no check function for rule {rule!r}; registered: {known}").format(
                    key=c.key, rule=c.rule, known=", ".join(RULES)
                )
            )
        if c.layer and c.layer not in layers:
            raise RuleError(
                _("{key}.layer: layer {layer!r} was not loaded for screening").format(
                    key=c.key, layer=c.layer
                )
            )
        if c.raster and c.raster not in rasters:
            raise RuleError(
                _("{key}.raster: raster {raster!r} was not opened for screening").format(
                    key=c.key, raster=c.raster
                )
            )

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
    notes: list[list[tuple[int, str, str]]] = [[] for _i in range(n)]
    columns: dict[str, np.ndarray] = {}
    exclusions: list[GeoSeries] = []
    unknown = _RANK["unknown"]
    # the land outside the study area cannot be judged: said first among the undecided
    uncovered = np.zeros(n, dtype=bool)
    if study_area is not None:
        outside = _study_area_outside(geoms, area, study_area)
        columns[OUTSIDE_COLUMN] = outside
        uncovered = outside > NODATA_MAX_SHARE + 1e-12
        where = getattr(study_area, "label", "") or _("the study area")
        for i in np.flatnonzero(uncovered):
            status[i] = max(status[i], unknown)
            text = _(
                "{share} of the site lies outside the study area ({area}): the data do not "
                "cover it, so it cannot be judged there"
            ).format(share=_pct(outside[i]), area=where)
            notes[i].append((unknown, text, "outside:study_area"))
    labels = dict(labels)
    context = {k: layers[k] for k in needed if k in layers}
    selected = []
    for check, prefix in zip(ruleset.checks, _prefixes(ruleset.checks), strict=True):
        target = check.target
        data, whole = (layers[target] if check.layer else rasters[target]), None
        if check.layer and check.selects:
            whole, data = data, _select(check, data, labels.get(target) or target)
            labels.setdefault(prefix, check.label or _class_label(check, labels))
            context[prefix] = functools.partial(_dissolved, data)
            selected.append(target)
        ctx = CheckContext(
            sites=geoms,
            area_m2=area,
            check=check,
            data=data,
            label=check.label or labels.get(target) or target,
            basis=check.basis or ruleset.basis,
            prefix=prefix,
            min_overlap_m2=min_overlap_m2,
            progress=progress,
            engine=engine,
            whole=whole,
        )
        res = RULES[check.rule].function()(ctx)
        st = np.array([_RANK[s] for s in res.status], dtype=np.int8)
        if check.layer:
            # a layer that does not cover the site cannot fail it: undecided there
            st[uncovered & (st == _RANK["fail"])] = unknown
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
    basis = _(REASONS["basis"]).format(basis=ruleset.basis) if ruleset.basis else ""
    for i in np.flatnonzero(small):
        status[i] = fail
        cut = area[i] - eligible[i] > min_overlap_m2
        if ruleset.min_eligible_mu > 0:
            text = (
                _(
                    "area left after cutting away the excluded land {area}, below the required "
                    "minimum of {min} mu{basis}"
                )
                if cut
                else _("site area {area}, below the required minimum of {min} mu{basis}")
            )
        else:
            text = (
                _("area left after cutting away the excluded land {area}: nothing is usable")
                if cut
                else _("site area {area}: nothing is usable")
            )
        text = text.format(area=_mu(eligible[i]), min=f"{ruleset.min_eligible_mu:g}", basis=basis)
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
    # a layer only some checks took classes of is context through those classes alone
    for name in set(selected):
        if all(c.selects for c in ruleset.checks if c.layer == name):
            context.pop(name, None)
    return ScreenResult(
        sites=out_sites,
        eligible=out_eligible,
        first_reason=first,
        ruleset=ruleset,
        layers=LazyLayers(context),
        labels=labels,
    )


class LazyLayers(Mapping):
    """Layer name -> GeoDataFrame, where a value may be a function that makes the frame on
    first use (then kept): the dissolved features of a land-class check cost a union that
    only a map needs."""

    def __init__(self, items: Mapping[str, Any]):
        self._items = dict(items)

    def __getitem__(self, key: str) -> GeoDataFrame:
        value = self._items[key]
        if callable(value):
            value = self._items[key] = value()
        return value

    def __iter__(self):
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"LazyLayers({list(self._items)})"


def context_layers(
    ruleset: RuleSet, layers: Mapping[str, GeoDataFrame], labels: Mapping[str, str]
) -> tuple[dict[str, GeoDataFrame], dict[str, str]]:
    """What a map of a screening draws as context, and the labels: the layers the checks
    name, and for a check that takes land classes the features it takes, dissolved, under its
    column prefix (as :attr:`ScreenResult.layers`). For a result read back from a file."""
    out = {c.layer: layers[c.layer] for c in ruleset.checks if c.layer and not c.selects}
    labels = dict(labels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EcogisWarning)  # said when the sites were screened
        for check, prefix in zip(ruleset.checks, _prefixes(ruleset.checks), strict=True):
            if check.layer and check.selects:
                chosen = _select(check, layers[check.layer], labels.get(check.layer, ""))
                out[prefix] = functools.partial(_dissolved, chosen)
                labels.setdefault(prefix, check.label or _class_label(check, labels))
    return LazyLayers(out), labels


def _select(check: Check, layer: GeoDataFrame, label: str) -> GeoDataFrame:
    """The features of ``layer`` a check takes (its land classes and ``where:``), with a
    warning for codes that select no feature of the layer (a typo, or a class the county
    does not have)."""
    from ..landuse import CLASS_FIELD, select_classes, unmatched_codes

    field = check.class_field or CLASS_FIELD
    chosen = select_classes(
        layer,
        classes=check.classes,
        where=check.where,
        class_field=field,
        name=_("layer {name!r} ({label})").format(name=check.layer, label=label),
    )
    missing_all = False
    if check.classes is not None:
        missing = unmatched_codes(check.classes, layer[field].tolist())
        missing_all = len(missing) == len(check.classes)
        if missing:
            warnings.warn(
                ngettext(
                    "{key}.classes: {codes} matches no feature of layer {layer!r} (field "
                    "{field}); a typo, or a class the layer does not hold?",
                    "{key}.classes: {codes} match no feature of layer {layer!r} (field "
                    "{field}); a typo, or classes the layer does not hold?",
                    len(missing),
                ).format(key=check.key, codes=", ".join(missing), layer=check.layer, field=field),
                EcogisWarning,
                stacklevel=3,
            )
    if check.where and len(chosen) == 0 and len(layer) and not missing_all:
        warnings.warn(
            _("{key}.where: no feature of layer {layer!r} passes the filter").format(
                key=check.key, layer=check.layer
            ),
            EcogisWarning,
            stacklevel=3,
        )
    return chosen


def _class_label(check: Check, labels: Mapping[str, str]) -> str:
    """People's name of a check that takes land classes and has no label of its own:
    the layer's label and the codes (``三调地类图斑 01*``)."""
    what = " ".join(check.classes or ())
    if check.where:
        what = " ".join(p for p in (what, "where") if p)
    return f"{labels.get(check.target) or check.target} {what}".strip()


def _dissolved(features: GeoDataFrame) -> GeoDataFrame:
    """The features united into their outline (the patches of a land-use layer tile the
    land, so a coverage union is exact and fast): a map's context, not a measurement."""
    geoms = np.asarray(features.geometry.values, dtype=object)
    geoms = geoms[~(pd.isna(geoms) | shapely.is_empty(geoms))] if len(geoms) else geoms
    if len(geoms) == 0:
        return GeoDataFrame(geometry=GeoSeries([], crs=features.crs), crs=features.crs)
    try:
        merged = shapely.coverage_union_all(geoms)
        if not shapely.is_valid(merged):
            raise GEOSException("invalid coverage union")
    except GEOSException:  # not a clean coverage (T-junctions, overlaps)
        merged = shapely.union_all(geoms)
    parts = shapely.get_parts(merged)
    return GeoDataFrame(geometry=GeoSeries(parts, crs=features.crs), crs=features.crs)


def _study_area_outside(geoms: GeoDataFrame, area: np.ndarray, study_area) -> np.ndarray:
    """Share of each site's area outside the study area (0 for a site of no area)."""
    outline = getattr(study_area, "geometry", study_area)
    arr = np.asarray(geoms.geometry.values, dtype=object)
    inside = np.zeros(len(arr))
    if outline is None or shapely.is_empty(outline):
        return np.where(area > 0, 1.0, 0.0)
    shapely.prepare(outline)
    covered = shapely.covers(outline, arr)
    inside[covered] = area[covered]
    rest = np.flatnonzero(~covered & shapely.intersects(outline, arr))
    if len(rest):
        inside[rest] = shapely.area(shapely.intersection(arr[rest], outline))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(area > 0, 1.0 - inside / area, 0.0)
    return np.clip(share, 0.0, 1.0)

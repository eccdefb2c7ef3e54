"""Site screening of a project: its entry points."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

import pandas as pd

from ..errors import ConfigError
from ..i18n import _
from .model import BY_CLASS_LAYER, REASON_SEP
from .screen import ScreenResult, context_layers, screen_sites, site_ids

if TYPE_CHECKING:
    import geopandas as gpd

    from ..config import RuleSet
    from ..io.project import Project
    from ..overlay import Engine

__all__ = ["run_screening", "load_screening", "choose_ruleset", "split_sites_by_class"]


def choose_ruleset(project: Project, name: str | None) -> RuleSet:
    """The rule set ``name``, or the config's only one when ``name`` is None."""
    cfg = project.config
    if name is not None:
        return cfg.ruleset(name)
    if len(cfg.rulesets) == 1:
        return next(iter(cfg.rulesets.values()))
    known = ", ".join(cfg.rulesets) or _("(none)")
    raise ConfigError(
        _("choose a rule set with -r/--ruleset; rule sets in this config: {known}").format(
            known=known
        ),
        path=str(cfg.path) if cfg.path else None,
    )


def run_screening(
    project: Project,
    ruleset: str | RuleSet | None = None,
    sites: gpd.GeoDataFrame | str | os.PathLike | None = None,
    *,
    id_field: str | None = None,
    sites_crs: str | None = None,
    sites_transform=None,
    exact_areas: bool = False,
    by_class: str | None = None,
    engine: Engine | None = None,
    progress: Callable[[int], None] | None = None,
) -> ScreenResult:
    """Screen candidate sites against a rule set of the project.

    Parameters
    ----------
    project : Project
        The project (:meth:`ecogis.Project.open`).
    ruleset : str or RuleSet, optional
        The rule set (by name); default the config's only one.
    sites : GeoDataFrame, path or None
        The candidate sites: a GeoDataFrame (any CRS), a layer file (GeoPackage, Shapefile,
        GeoJSON, boundary-point TXT ...), or None for the config's layer with role ``sites``.
        Reprojected to the working CRS.
    id_field : str, optional
        The column with the site ids (default: the layer's ``id_field``, else ``site_id`` /
        ``id`` / ``BSM`` / ``parcel_id``, else the row number).
    sites_crs : str, optional
        The CRS of a sites file that carries none (a declaration, never a guess); ``GCJ-02``
        or ``BD-09`` for sites drawn on a web map (converted to WGS 84, with a warning).
    sites_transform : optional
        The datum transformation of a sites file into CGCS2000 (what
        :func:`ecogis.crs.parse_transform` accepts), for sites in Xian 1980, Beijing 1954
        or a local system.
    exact_areas : bool
        Measure each site in its own 3-degree zone (CGCS2000 GK, CM nearest the site), not
        all in the working CRS: for study areas wider than a zone, where one zone's
        projection makes areas at its edges too large (about +2 % 14° from its CM).
    by_class : str, optional
        A land-use layer of the config (role ``landuse``): each site's area is also split by
        its land classes (:attr:`ScreenResult.by_class`, :attr:`ScreenResult.by_class_totals`),
        in the working CRS.
    engine : Engine, optional
        Overlay engine (default: local threads).
    progress : callable, optional
        ``progress(n)`` when ``n`` more site-checks are done.

    Returns
    -------
    ScreenResult

    Examples
    --------
    >>> import ecogis
    >>> project = ecogis.Project.open("configs/demo.yaml")  # doctest: +SKIP
    >>> result = ecogis.run_screening(project, "pv_sand_control")  # doctest: +SKIP
    >>> result.sites[["site_id", "verdict", "eligible_mu"]]  # doctest: +SKIP
    """
    from ..crs import to_working

    rs = ruleset if ruleset is not None and not isinstance(ruleset, str) else None
    rs = rs or choose_ruleset(project, ruleset)
    if sites is None:
        names = project.layers_with_role("sites")
        if not names:
            raise ConfigError(
                _("no sites to screen: give SITES, or add a layer with role: sites to the config"),
                path=str(project.config.path) if project.config.path else None,
            )
        sites_gdf = project.layer(names[0])
        id_field = id_field or project.config.layers[names[0]].id_field
    elif isinstance(sites, (str, os.PathLike)):
        sites_gdf = project.read(sites, crs=sites_crs, id_field=id_field, transform=sites_transform)
    else:
        sites_gdf = to_working(sites, project.crs, name=_("sites"))
    layer_names = list(dict.fromkeys(c.layer for c in rs.checks if c.layer))
    raster_names = list(dict.fromkeys(c.raster for c in rs.checks if c.raster))
    layers = {n: project.layer(n) for n in layer_names}
    common = dict(
        rasters={n: project.raster(n) for n in raster_names},
        labels=project.labels(),
        min_overlap_m2=project.config.sliver_m2,
        engine=engine,
        progress=progress,
    )
    study = project.study_area(layer_names)
    if exact_areas:
        result = _screen_per_zone(sites_gdf, rs, layers, study, id_field=id_field, **common)
    else:
        result = screen_sites(
            sites_gdf, rs, layers=layers, id_field=id_field, study_area=study, **common
        )
    result.crs_reason = project.crs_reason
    if by_class is not None:
        split_sites_by_class(result, project, by_class, sites_gdf, engine=engine)
    return result


def split_sites_by_class(
    result: ScreenResult, project: Project, layer: str, sites: gpd.GeoDataFrame, *, engine=None
) -> ScreenResult:
    """Each site's area by land class of ``layer``, into ``result.by_class`` (one row per site
    and class, with the site's part on it) and ``result.by_class_totals`` (with totals)."""
    import shapely

    from ..landuse import class_totals, landuse_layer

    land = landuse_layer(project, layer)
    keys = pd.DataFrame({"site_id": result.sites["site_id"].to_numpy()})
    table = land.split(sites, keys, engine=engine)
    whole = shapely.area(sites.geometry.values)
    result.by_class_totals = class_totals(table, keys.assign(object_m2=whole))
    result.by_class = table.reset_index(drop=True)
    result.by_class_layer = layer
    result.labels.setdefault(layer, project.title(layer))
    return result


def _screen_per_zone(sites, rs, layers, study, *, id_field, **common) -> ScreenResult:
    """:func:`screen_sites` per 3-degree zone of the sites (each group measured in its own
    zone's CGCS2000 GK CRS), joined back in the sites' order and CRS."""
    import numpy as np
    import shapely
    from geopandas import GeoDataFrame, GeoSeries
    from pyproj import CRS

    from ..crs import CGCS2000, gk3_epsg, zone_3deg
    from ..io.project import StudyArea

    work = sites.crs
    ids = site_ids(sites, id_field)
    present = ~(sites.geometry.isna() | sites.geometry.is_empty).to_numpy()
    lon = np.full(len(sites), np.nan)
    if present.any():
        b = shapely.bounds(np.asarray(sites[present].to_crs(CGCS2000).geometry.values))
        lon[present] = (b[:, 0] + b[:, 2]) / 2
    home = zone_3deg(float(np.nanmean(lon))) if present.any() else None
    zones = np.array([zone_3deg(v) if np.isfinite(v) else home for v in lon], dtype=object)
    parts = []
    for zone in sorted({z for z in zones if z is not None}):
        pos = np.flatnonzero(zones == zone)
        crs = CRS.from_epsg(gk3_epsg(zone))
        sub = sites.iloc[pos].to_crs(crs)
        sub["site_id"] = ids.iloc[pos].to_numpy()
        outline = None
        if study is not None:
            geom = GeoSeries([study.geometry], crs=work).to_crs(crs).iloc[0]
            outline = StudyArea(geometry=geom, label=study.label, from_boundary=study.from_boundary)
        res = screen_sites(
            sub,
            rs,
            layers={n: g.to_crs(crs) for n, g in layers.items()},
            id_field="site_id",
            study_area=outline,
            **common,
        )
        parts.append((pos, res))
    if not parts:  # no site with a geometry: nothing to measure per zone
        return screen_sites(sites, rs, layers=layers, id_field=id_field, study_area=study, **common)
    import pandas as pd

    order = np.concatenate([pos for pos, _r in parts])
    tables = pd.concat(
        [pd.DataFrame(r.sites.drop(columns=r.sites.geometry.name)) for _p, r in parts]
    )
    back = np.argsort(order, kind="stable")
    table = tables.iloc[back]
    table.index = sites.index
    out_sites = GeoDataFrame(table, geometry=sites.geometry.values, crs=work)
    out_sites.index = sites.index
    eligible = pd.concat([r.eligible.to_crs(work) for _p, r in parts], ignore_index=True)
    first = pd.concat([r.first_reason for _p, r in parts])
    first = pd.Series(first.to_numpy()[back], index=sites.index, dtype=object)
    context, labels = context_layers(rs, layers, common["labels"])
    return ScreenResult(
        sites=out_sites,
        eligible=GeoDataFrame(eligible, geometry=eligible.geometry.name, crs=work),
        first_reason=first,
        ruleset=rs,
        layers=context,
        labels=labels,
    )


def load_screening(
    project: Project, source: str | os.PathLike, *, ruleset: str | RuleSet | None = None
) -> ScreenResult:
    """A screening result written by ``ecogis screen -o OUT.gpkg``, read back for a map or a
    report. With a rule set, its layers come along as context (for a check that takes land
    classes, the features it takes). A ``by_class`` layer (``--by-class``) is read too."""
    from ..config import is_database_uri
    from ..io.vector import list_layers

    sites = project.read(f"{source}|layer=sites", name=f"{source} sites")
    eligible = project.read(f"{source}|layer=eligible", name=f"{source} eligible")
    rs = None
    if ruleset is not None:
        rs = ruleset if not isinstance(ruleset, str) else project.config.ruleset(ruleset)
    labels = project.labels()
    context: dict = {}
    if rs is not None:
        names = list(dict.fromkeys(c.layer for c in rs.checks if c.layer))
        context, labels = context_layers(rs, {n: project.layer(n) for n in names}, labels)
    by_class = None
    if not is_database_uri(str(source)) and BY_CLASS_LAYER in list_layers(source):
        by_class = project.read(f"{source}|layer={BY_CLASS_LAYER}", name=f"{source} by_class")
    first = pd.Series(
        [str(r).split(REASON_SEP)[0] if isinstance(r, str) and r else "" for r in sites["reasons"]]
        if "reasons" in sites.columns
        else [""] * len(sites),
        index=sites.index,
        dtype=object,
    )
    return ScreenResult(
        sites=sites,
        eligible=eligible,
        first_reason=first,
        ruleset=rs,
        layers=context,
        labels=labels,
        crs_reason=project.crs_reason,
        by_class=by_class,
    )

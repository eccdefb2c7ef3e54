"""Site screening of a project: its entry points."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

import pandas as pd

from ..errors import ConfigError
from .model import REASON_SEP
from .screen import ScreenResult, screen_sites

if TYPE_CHECKING:
    import geopandas as gpd

    from ..config import RuleSet
    from ..io.project import Project
    from ..overlay import Engine

__all__ = ["run_screening", "load_screening", "choose_ruleset"]


def choose_ruleset(project: Project, name: str | None) -> RuleSet:
    """The rule set ``name``, or the config's only one when ``name`` is None."""
    cfg = project.config
    if name is not None:
        return cfg.ruleset(name)
    if len(cfg.rulesets) == 1:
        return next(iter(cfg.rulesets.values()))
    known = ", ".join(cfg.rulesets) or "(none)"
    raise ConfigError(
        f"choose a rule set with -r/--ruleset; rule sets in this config: {known}",
        path=str(cfg.path) if cfg.path else None,
    )


def run_screening(
    project: Project,
    ruleset: str | RuleSet | None = None,
    sites: gpd.GeoDataFrame | str | os.PathLike | None = None,
    *,
    id_field: str | None = None,
    sites_crs: str | None = None,
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
        The CRS of a sites file that carries none (a declaration, never a guess).
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
                "no sites to screen: give SITES, or add a layer with role: sites to the config",
                path=str(project.config.path) if project.config.path else None,
            )
        sites_gdf = project.layer(names[0])
        id_field = id_field or project.config.layers[names[0]].id_field
    elif isinstance(sites, (str, os.PathLike)):
        sites_gdf = project.read(sites, crs=sites_crs, id_field=id_field)
    else:
        sites_gdf = to_working(sites, project.crs)
    layer_names = list(dict.fromkeys(c.layer for c in rs.checks if c.layer))
    raster_names = list(dict.fromkeys(c.raster for c in rs.checks if c.raster))
    result = screen_sites(
        sites_gdf,
        rs,
        layers={n: project.layer(n) for n in layer_names},
        rasters={n: project.raster(n) for n in raster_names},
        labels=project.labels(),
        id_field=id_field,
        min_overlap_m2=project.config.sliver_m2,
        engine=engine,
        progress=progress,
    )
    result.crs_reason = project.crs_reason
    return result


def load_screening(
    project: Project, source: str | os.PathLike, *, ruleset: str | RuleSet | None = None
) -> ScreenResult:
    """A screening result written by ``ecogis screen -o OUT.gpkg``, read back for a map or a
    report. With a rule set, its layers come along as context."""
    sites = project.read(f"{source}|layer=sites", name=f"{source} sites")
    eligible = project.read(f"{source}|layer=eligible", name=f"{source} eligible")
    rs = None
    if ruleset is not None:
        rs = ruleset if not isinstance(ruleset, str) else project.config.ruleset(ruleset)
    layer_names = list(dict.fromkeys(c.layer for c in rs.checks if c.layer)) if rs else []
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
        layers={n: project.layer(n) for n in layer_names},
        labels=project.labels(),
        crs_reason=project.crs_reason,
    )

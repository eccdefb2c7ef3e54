"""Site screening's tables for people (XLSX, the terminal, reports)."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING

from ..i18n import N_, _, chinese
from ..landuse import by_class_columns
from ..model import TOTAL, TOTAL_LABEL
from ..tables import Column, PeopleTable, people_table
from .model import BY_CLASS_LAYER, COLUMN_LABELS, VERDICT_FILLS, VERDICT_LABELS

if TYPE_CHECKING:
    from .screen import ScreenResult

__all__ = [
    "sites_table",
    "checks_table",
    "rules_table",
    "by_class_table",
    "column_titles",
    "own_columns",
    "TABLE_TITLES",
]

#: sheet name -> title (shown with ``_()``)
TABLE_TITLES = {
    "sites": N_("Site screening: verdict, reasons and areas per site"),
    "checks": N_("Site screening: the numbers of each check"),
    "rules": N_("Rule set"),
    "by_class": N_("Site screening: land classes of each site ({layer})"),
}

#: the columns of :func:`sites_table` besides the reasons (site id and verdict lead both tables)
_SUMMARY = ("site_id", "verdict", "name", "township", "area_mu", "eligible_mu")

#: per-check column suffix -> kind, in the order they follow the layer's label
_CHECK_COLUMNS = (
    ("_overlap_mu", "mu"),
    ("_distance_m", "m"),
    ("_share", "share"),
    ("_mean_deg", "deg"),
    ("_max_deg", "deg"),
    ("_share_over", "share"),
    ("_class_share", "share"),
    ("_class_main", "text"),
    ("_nodata_share", "share"),
)
#: the input's own attributes shown after the site id when present, with titles of ours
_OWN = ("name", "township")
_OWN_TITLES = {"name": N_("Name"), "township": N_("Township")}
#: the columns screening writes: its own (site_id ... study_area_outside) and, by suffix, each
#: check's (redline_overlap_m2 ...), as :data:`COLUMN_LABELS` names them
_OURS = frozenset(k for k in COLUMN_LABELS if not k.startswith("_"))
_CHECK_SUFFIXES = tuple(k for k in COLUMN_LABELS if k.startswith("_"))


def _prefix_label(prefix: str, labels, tr=_) -> str:
    """People's name of a check's column prefix: ``farmland`` or ``farmland_limit`` -> the
    layer's label; ``slope`` -> 坡度."""
    if prefix in labels:
        return labels[prefix]
    if prefix == "slope":
        return tr(N_("slope"))
    base = prefix.rsplit("_", 1)[0]
    return labels.get(base, prefix)


def _subtitle(project_name: str | None, result: ScreenResult) -> str:
    rs = result.ruleset
    parts = [project_name or ""]
    if rs is not None:
        parts.append(_("rule set {name}").format(name=rs.label or rs.name))
    parts.append(_("made {date}").format(date=_dt.date.today().isoformat()))
    return " · ".join(p for p in parts if p)


def own_columns(sites) -> list[str]:
    """The input's own attributes among a screening result's columns (项目名称, 企业...): what
    is neither a screening column nor the id column the site ids were taken from."""
    from geopandas import GeoDataFrame

    ids = sites["site_id"].astype(str).tolist() if "site_id" in sites.columns else None
    geometry = sites.geometry.name if isinstance(sites, GeoDataFrame) else None
    out = []
    for col in sites.columns:
        name = str(col)
        if col == geometry or name in _OURS or name.endswith(_CHECK_SUFFIXES):
            continue
        if ids is not None and sites[col].astype(str).tolist() == ids:
            continue  # the id field (DKBH) the site ids came from
        out.append(col)
    return out


def sites_table(result: ScreenResult, *, project_name: str | None = None) -> PeopleTable:
    """One row per site: id, name, township, verdict, areas in mu and the reasons, then the
    input's other attributes under their own titles (the numbers of each check are in
    :func:`checks_table`)."""
    cols = [c for c in _site_columns(result, _) if c.name in _SUMMARY or c.name == "reasons"]
    cols += [
        Column(str(c), str(c))
        for c in own_columns(result.sites)
        if c not in _OWN_TITLES and str(c).strip()
    ]
    return people_table(
        result.sites,
        cols,
        title=_(TABLE_TITLES["sites"]),
        subtitle=_subtitle(project_name, result),
    )


def checks_table(result: ScreenResult, *, project_name: str | None = None) -> PeopleTable:
    """One row per site: its id and verdict, then the numbers of every check (overlaps in mu,
    distances, shares, slope)."""
    cols = [
        c for c in _site_columns(result, _) if c.name not in _SUMMARY[2:] and c.name != "reasons"
    ]
    return people_table(
        result.sites,
        cols,
        title=_(TABLE_TITLES["checks"]),
        subtitle=_subtitle(project_name, result),
    )


def column_titles(result: ScreenResult) -> dict[str, dict[str, str]]:
    """Layer -> column -> Chinese title of a screening GeoPackage (its QGIS field aliases)."""
    sites = {c.name: chinese(c.title) for c in _site_columns(result, chinese)}
    for col in ("area_m2", "eligible_m2", "failed_checks"):
        sites[col] = chinese(COLUMN_LABELS[col])
    for col in result.sites.columns:
        for suffix in ("_overlap_m2",):
            if str(col).endswith(suffix):
                prefix = str(col)[: -len(suffix)]
                label = _prefix_label(prefix, result.labels, chinese)
                sites[str(col)] = chinese(N_("{layer} {what}")).format(
                    layer=label, what=chinese(COLUMN_LABELS[suffix])
                )
    eligible = {c: sites[c] for c in ("site_id", "verdict", "eligible_m2", "eligible_mu")}
    out = {"sites": sites, "eligible": eligible}
    if result.by_class is not None:
        out[BY_CLASS_LAYER] = {c.name: chinese(c.title) for c in by_class_columns([_BY_CLASS_KEY])}
    return out


def _site_columns(result: ScreenResult, tr) -> list[Column]:
    """The columns of the site table, per-check titles made with ``tr`` (a translation)."""
    sites = result.sites
    cols = [Column("site_id", COLUMN_LABELS["site_id"])]
    cols += [Column(c, _OWN_TITLES[c]) for c in _OWN if c in sites.columns]
    cols += [
        Column("verdict", COLUMN_LABELS["verdict"], labels=VERDICT_LABELS, fills=VERDICT_FILLS),
        Column("area_mu", COLUMN_LABELS["area_mu"], "mu"),
        Column("eligible_mu", COLUMN_LABELS["eligible_mu"], "mu"),
    ]
    for col in sites.columns:
        for suffix, kind in _CHECK_COLUMNS:
            if str(col).endswith(suffix) and col not in ("area_mu", "eligible_mu"):
                prefix = str(col)[: -len(suffix)]
                title = tr(N_("{layer} {what}")).format(
                    layer=_prefix_label(prefix, result.labels, tr), what=tr(COLUMN_LABELS[suffix])
                )
                cols.append(Column(str(col), title, kind))
                break
    if "study_area_outside" in sites.columns:  # the share beyond the study area
        cols.append(Column("study_area_outside", COLUMN_LABELS["study_area_outside"], "share"))
    cols.append(Column("reasons", COLUMN_LABELS["reasons"], wide=True))
    return cols


_BY_CLASS_KEY = Column("site_id", COLUMN_LABELS["site_id"], labels={TOTAL: TOTAL_LABEL})


def by_class_table(result: ScreenResult, *, project_name: str | None = None) -> PeopleTable:
    """Each site's area by land class (``--by-class``): its classes largest first, then its
    total; at the end each class over all sites and the grand total (sheet 地类构成)."""
    if result.by_class_totals is None:
        raise ValueError("by_class_table: the result was not split by land class (by_class=)")
    layer = result.labels.get(result.by_class_layer or "", result.by_class_layer or "")
    return people_table(
        result.by_class_totals,
        by_class_columns([_BY_CLASS_KEY]),
        title=_(TABLE_TITLES["by_class"]).format(layer=layer),
        subtitle=_subtitle(project_name, result),
        drop_empty=False,
    )


def rules_table(result: ScreenResult, *, project_name: str | None = None) -> PeopleTable:
    """The checks of the rule set: rule, layer, parameters, legal basis."""
    cols = [
        Column("rule", N_("Rule")),
        Column("label", N_("Layer")),
        Column("params", N_("Parameters")),
        Column("basis", N_("Basis"), wide=True),
    ]
    return people_table(
        result.rules_table(),
        cols,
        title=_(TABLE_TITLES["rules"]),
        subtitle=_subtitle(project_name, result),
    )

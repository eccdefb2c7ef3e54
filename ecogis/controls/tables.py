"""The control-line check's tables for people (XLSX, the terminal, reports)."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING

from ..i18n import N_, _, chinese
from ..landuse import by_class_columns
from ..model import TOTAL_LABEL
from ..tables import Column, PeopleTable, people_table
from .model import ALL, COLUMN_LABELS, TOTAL

if TYPE_CHECKING:
    from .check import ControlReport

__all__ = ["summary_table", "conflicts_table", "by_class_table", "column_titles", "TABLE_TITLES"]

#: sheet name -> title (shown with ``_()``)
TABLE_TITLES = {
    "summary": N_("Control-line conflicts by pair of lines and township"),
    "conflicts": N_("Control-line conflicts"),
    "by_class": N_("Control-line conflicts by land class ({layer})"),
}


def _layer_labels(report: ControlReport) -> dict:
    labels = {name: report.label(name) for name in report.labels}
    labels[ALL] = N_("all pairs")
    return labels


def _subtitle(project_name: str | None, report: ControlReport) -> str:
    crs = report.crs
    epsg = crs.to_epsg() if crs is not None else None
    parts = [project_name or "", _("working CRS {crs}").format(crs=f"EPSG:{epsg}" if epsg else "?")]
    parts.append(_("made {date}").format(date=_dt.date.today().isoformat()))
    return " · ".join(p for p in parts if p)


def summary_table(report: ControlReport, *, project_name: str | None = None) -> PeopleTable:
    """Conflicts and their area per pair of lines and township, a total per pair, a grand total."""
    layers = _layer_labels(report)
    towns = {TOTAL: TOTAL_LABEL}
    cols = [
        Column("layer_a", COLUMN_LABELS["layer_a"], labels=layers),
        Column("layer_b", COLUMN_LABELS["layer_b"], labels=layers),
        Column("township", COLUMN_LABELS["township"], labels=towns),
        Column("conflicts", COLUMN_LABELS["conflicts"], "int"),
        Column("area_mu", COLUMN_LABELS["area_mu"], "mu"),
        Column("area_m2", COLUMN_LABELS["area_m2"], "m2"),
    ]
    return people_table(
        report.summary,
        cols,
        title=_(TABLE_TITLES["summary"]),
        subtitle=_subtitle(project_name, report),
    )


def conflicts_table(report: ControlReport, *, project_name: str | None = None) -> PeopleTable:
    """One row per conflict (pair of features and township) with its area."""
    layers = _layer_labels(report)
    cols = [
        Column("layer_a", COLUMN_LABELS["layer_a"], labels=layers),
        Column("id_a", COLUMN_LABELS["id_a"]),
        Column("layer_b", COLUMN_LABELS["layer_b"], labels=layers),
        Column("id_b", COLUMN_LABELS["id_b"]),
        Column("township", COLUMN_LABELS["township"]),
        Column("area_mu", COLUMN_LABELS["area_mu"], "mu"),
        Column("area_m2", COLUMN_LABELS["area_m2"], "m2"),
    ]
    return people_table(
        report.conflicts,
        cols,
        title=_(TABLE_TITLES["conflicts"]),
        subtitle=_subtitle(project_name, report),
    )


def _by_class_keys(report: ControlReport) -> list[Column]:
    layers = _layer_labels(report) | {TOTAL: TOTAL_LABEL}
    return [
        Column("layer_a", COLUMN_LABELS["layer_a"], labels=layers),
        Column("id_a", COLUMN_LABELS["id_a"]),
        Column("layer_b", COLUMN_LABELS["layer_b"], labels=layers),
        Column("id_b", COLUMN_LABELS["id_b"]),
        Column("township", COLUMN_LABELS["township"]),
    ]


def by_class_table(report: ControlReport, *, project_name: str | None = None) -> PeopleTable:
    """Each conflict's area by land class (``--by-class``): its classes largest first, then
    its total; at the end each class over all conflicts and the grand total (地类构成)."""
    if report.by_class_totals is None:
        raise ValueError("by_class_table: the report was not split by land class (by_class=)")
    return people_table(
        report.by_class_totals,
        by_class_columns(_by_class_keys(report)),
        title=_(TABLE_TITLES["by_class"]).format(layer=report.label(report.by_class_layer or "")),
        subtitle=_subtitle(project_name, report),
        drop_empty=False,
    )


def column_titles(report: ControlReport) -> dict[str, dict[str, str]]:
    """Layer -> column -> Chinese title of a controls GeoPackage (its QGIS field aliases)."""
    titles = {c: chinese(t) for c, t in COLUMN_LABELS.items()}
    out = {name: dict(titles) for name in report.frames()}
    if report.by_class is not None:
        out["by_class"] = {
            c.name: chinese(c.title) for c in by_class_columns(_by_class_keys(report))
        }
    return out

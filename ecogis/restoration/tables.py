"""Restoration tracking's tables for people (XLSX, the terminal, reports).

The registry listings use the titles of :data:`~ecogis.restoration.model.COLUMN_LABELS`, which
an import reads back, so a table exported in Chinese can be edited in Excel and imported.
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import TYPE_CHECKING

from ..i18n import N_, _
from ..landuse import by_class_columns
from ..model import TOTAL, TOTAL_LABEL
from ..tables import Column, PeopleTable, people_table
from .model import (
    CLIENT_LABELS,
    COLUMN_LABELS,
    CREATED,
    DELETED,
    EVENT_LABELS,
    GEOMETRY,
    NOTE,
    OBJECT_TYPES,
    PIT_STATUS_LABELS,
    PIT_STATUSES,
    PLOT_KIND_LABELS,
    PLOT_STATUS_LABELS,
    object_type,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "objects_table",
    "changes_table",
    "new_objects_table",
    "progress_tables",
    "history_table",
    "plot_overlaps_table",
    "TABLE_TITLES",
]

#: sheet name -> title (shown with ``_()``)
TABLE_TITLES = {
    "pits": N_("Legacy mine pits"),
    "plots": N_("Afforestation, enclosure and grass-planting plots"),
    "pit_progress": N_("Mine-pit remediation against the target of {year}"),
    "plot_progress": N_("Plots of {year} against the targets"),
    "greening": N_("Finished work without greening (NDVI)"),
    "history": N_("History of {id}"),
    "plot_overlaps": N_("Plots on permanent basic farmland or in the urban development boundary"),
    "by_class": N_("Plots completed in {year} by the land class they were before ({layer})"),
}

_KINDS = {"real": "rate", "int": "int", "date": "date", "text": "text"}
_FIELD_KINDS = {"verified_m2": "m2", "treated_m2": "m2", "planned_mu": "mu", "completed_mu": "mu",
                "survival_rate": "share"}  # fmt: skip
_VALUE_LABELS = {
    "pit": {"status": PIT_STATUS_LABELS},
    "plot": {"status": PLOT_STATUS_LABELS, "kind": PLOT_KIND_LABELS},
}


def _today() -> str:
    return _("made {date}").format(date=_dt.date.today().isoformat())


def _sub(*parts: str | None) -> str:
    return " · ".join(p for p in (*parts, _today()) if p)


def objects_table(df: pd.DataFrame, otype: str, *, project_name: str | None = None) -> PeopleTable:
    """The current pits or plots, one row each, every registry field under its title."""
    ot = object_type(otype)
    labels = _VALUE_LABELS[ot.name]
    cols = [
        Column(
            f,
            COLUMN_LABELS[ot.name][f],
            _FIELD_KINDS.get(f, _KINDS[t]),
            labels=labels.get(f),
        )
        for f, t in ot.schema.items()
    ]
    return people_table(df, cols, title=_(TABLE_TITLES[ot.table]), subtitle=_sub(project_name))


def _pit_progress_columns() -> list[Column]:
    cols = [
        Column("township", N_("Township"), labels={TOTAL: TOTAL_LABEL}),
        Column("pits", N_("Pits"), "int"),
        Column("verified_km2", N_("Verified area (km²)"), "km2"),
    ]
    for s in PIT_STATUSES:
        cols.append(Column(f"{s}_count", PIT_STATUS_COUNT[s], "int"))
        cols.append(Column(f"{s}_km2", PIT_STATUS_KM2[s], "km2"))
    cols += [
        Column("remaining_count", N_("Left for 清零 (pits)"), "int"),
        Column("remaining_km2", N_("Left for 清零 (km²)"), "km2"),
        Column("cleared", N_("清零 reached"), "bool"),
        Column("treated_area_km2", N_("Treated area (km²)"), "km2"),
        Column("treated_in_year_count", N_("Treated in the year (pits)"), "int"),
        Column("treated_in_year_km2", N_("Treated in the year (km²)"), "km2"),
        Column("target_km2", N_("Target (km²)"), "km2"),
        Column("percent_km2", N_("Completed (%)"), "pct"),
        Column("target_count", N_("Target (pits)"), "int"),
        Column("percent_count", N_("Completed, pits (%)"), "pct"),
    ]
    return cols


#: pit status -> title of its count and area columns
PIT_STATUS_COUNT = {
    "untreated": N_("Untreated (pits)"),
    "in_progress": N_("In progress (pits)"),
    "treated": N_("Treated (pits)"),
    "accepted": N_("Accepted (pits)"),
}
PIT_STATUS_KM2 = {
    "untreated": N_("Untreated (km²)"),
    "in_progress": N_("In progress (km²)"),
    "treated": N_("Treated (km²)"),
    "accepted": N_("Accepted (km²)"),
}

_PLOT_PROGRESS = [
    Column("township", N_("Township"), labels={TOTAL: TOTAL_LABEL}),
    Column("kind", N_("Kind"), labels=PLOT_KIND_LABELS),
    Column("plots", N_("Plots"), "int"),
    Column("completed_plots", N_("Completed plots"), "int"),
    Column("planned_mu", N_("Planned (mu)"), "mu"),
    Column("completed_mu", N_("Completed (mu)"), "mu"),
    Column("completed_wanmu", N_("Completed (10 000 mu)"), "wanmu"),
    Column("survival_rate", N_("Survival rate"), "share"),
    Column("target_mu", N_("Target (mu)"), "mu"),
    Column("target_wanmu", N_("Target (10 000 mu)"), "wanmu"),
    Column("percent", N_("Completed (%)"), "pct"),
]

_GREENING = [
    Column("object_type", N_("Object type"), labels={"pit": N_("pit"), "plot": N_("plot")}),
    Column("id", N_("ID")),
    Column("township", N_("Township")),
    Column("kind", N_("Kind"), labels=PLOT_KIND_LABELS),
    Column("status", N_("Status"), labels={**PIT_STATUS_LABELS, **PLOT_STATUS_LABELS}),
    Column("ndvi_before", N_("NDVI before"), "ndvi"),
    Column("ndvi_after", N_("NDVI after"), "ndvi"),
    Column("ndvi_change", N_("NDVI change"), "ndvi"),
    Column("ndvi_valid_share", N_("Pixels with data"), "share"),
    Column("flagged", N_("No greening"), "bool"),
]


def progress_tables(
    tables: dict[str, pd.DataFrame], year: int, *, project_name: str | None = None,
    as_of=None, by_class_layer: str | None = None,
) -> dict[str, PeopleTable]:  # fmt: skip
    """The progress tables of :func:`ecogis.restoration.run_progress` for people
    (``by_class_layer``: the label of the land-use layer of ``tables["by_class"]``)."""
    when = _("as of {date}").format(date=as_of) if as_of else None
    out = {
        "pits": people_table(
            tables["pits"],
            _pit_progress_columns(),
            title=_(TABLE_TITLES["pit_progress"]).format(year=year),
            subtitle=_sub(project_name, when),
        ),
        "plots": people_table(
            tables["plots"],
            _PLOT_PROGRESS,
            title=_(TABLE_TITLES["plot_progress"]).format(year=year),
            subtitle=_sub(project_name, when),
        ),
    }
    if "greening" in tables:
        out["greening"] = people_table(
            tables["greening"],
            _GREENING,
            title=_(TABLE_TITLES["greening"]),
            subtitle=_sub(project_name),
        )
    if "by_class" in tables:
        out["by_class"] = people_table(
            tables["by_class"],
            by_class_columns(
                [
                    Column("plot_id", COLUMN_LABELS["plot"]["plot_id"], labels=_TOTAL),
                    Column("township", COLUMN_LABELS["plot"]["township"]),
                    Column("kind", COLUMN_LABELS["plot"]["kind"], labels=_KIND_OR_ALL),
                ]
            ),
            title=_(TABLE_TITLES["by_class"]).format(year=year, layer=by_class_layer or ""),
            subtitle=_sub(project_name, when),
            drop_empty=False,
        )
    return out


_TOTAL = {TOTAL: TOTAL_LABEL}
_KIND_OR_ALL = {**PLOT_KIND_LABELS, TOTAL: N_("all kinds")}


def _readable_baseline(otype: str, text: str | None) -> str:
    """A ``*created*`` event's attributes as ``title: value`` pairs for people."""
    try:
        rec = json.loads(text, strict=False) if text else {}
    except ValueError:
        return str(text)
    ot = OBJECT_TYPES[otype]
    labels = _VALUE_LABELS[ot.name]
    parts = []
    for f in ot.schema:
        v = rec.get(f)
        if v is None or f == ot.id_field:
            continue
        if f in labels:
            v = _(labels[f].get(v, str(v)))
        parts.append(f"{_(COLUMN_LABELS[ot.name][f])}：{v}")
    return "；".join(parts)


def changes_table(changes: pd.DataFrame, otype: str) -> PeopleTable:
    """What an import would change (``ImportPlan.changes_table``): id, field, old, new, date."""
    ot = object_type(otype)
    fields = {f: COLUMN_LABELS[ot.name][f] for f in ot.schema}
    cols = [
        Column("id", COLUMN_LABELS[ot.name][ot.id_field]),
        Column("field", EVENT_LABELS["field"], labels=fields),
        Column("old", EVENT_LABELS["old"]),
        Column("new", EVENT_LABELS["new"]),
        Column("date", EVENT_LABELS["effective_date"], "date"),
    ]
    return people_table(changes, cols)


def new_objects_table(new: pd.DataFrame, otype: str) -> PeopleTable:
    """The new objects of an import (``ImportPlan.new_table``), under their titles."""
    ot = object_type(otype)
    labels = _VALUE_LABELS[ot.name]
    cols = [
        Column(f, COLUMN_LABELS[ot.name][f], _FIELD_KINDS.get(f, _KINDS[ot.schema[f]]),
               labels=labels.get(f))
        for f in new.columns
        if f in ot.schema
    ]  # fmt: skip
    return people_table(new, cols)


def history_table(events: pd.DataFrame, object_id: str, otype: str) -> PeopleTable:
    """One object's events, oldest first; the baseline's (and a deletion's) attributes
    written out; edits from other programs marked "external edit", by "(unknown)" where the
    database could not tell who."""
    ot = object_type(otype)
    ev = events.copy()
    created = ev["field"] == CREATED
    ev.loc[created, "new"] = [_readable_baseline(ot.name, v) for v in ev.loc[created, "new"]]
    deleted = ev["field"] == DELETED
    ev.loc[deleted, "old"] = [_readable_baseline(ot.name, v) for v in ev.loc[deleted, "old"]]
    ev["by"] = [_("(unknown)") if b is None or b != b else b for b in ev["by"]]
    for f, labels in _VALUE_LABELS[ot.name].items():  # statuses and kinds as people read them
        rows = ev["field"] == f
        for c in ("old", "new"):
            ev.loc[rows, c] = [
                v if v is None or v != v else _(labels.get(v, str(v))) for v in ev.loc[rows, c]
            ]
    fields = {f: COLUMN_LABELS[ot.name][f] for f in ot.schema}
    fields[CREATED] = N_("(created)")
    fields[DELETED] = N_("(deleted)")
    fields[NOTE] = N_("(note)")
    fields[GEOMETRY] = N_("(geometry changed)")
    cols = [
        Column("id", EVENT_LABELS["id"], "int"),
        Column("at", EVENT_LABELS["at"]),
        Column("effective_date", EVENT_LABELS["effective_date"], "date"),
        Column("field", EVENT_LABELS["field"], labels=fields),
        Column("old", EVENT_LABELS["old"], wide=True),
        Column("new", EVENT_LABELS["new"], wide=True),
        Column("by", EVENT_LABELS["by"]),
        Column("client", EVENT_LABELS["client"], labels=CLIENT_LABELS),
        Column("note", EVENT_LABELS["note"], wide=True),
    ]
    return people_table(
        ev, cols, title=_(TABLE_TITLES["history"]).format(id=object_id), subtitle=_sub(None)
    )


def plot_overlaps_table(df: pd.DataFrame, *, project_name: str | None = None) -> PeopleTable:
    """Plots overlapping the control lines (``ecogis plots check``)."""
    cols = [
        Column("plot_id", COLUMN_LABELS["plot"]["plot_id"]),
        Column("kind", COLUMN_LABELS["plot"]["kind"], labels=PLOT_KIND_LABELS),
        Column("township", COLUMN_LABELS["plot"]["township"]),
        Column("year", COLUMN_LABELS["plot"]["year"], "int"),
        Column("status", COLUMN_LABELS["plot"]["status"], labels=PLOT_STATUS_LABELS),
        Column("control", N_("Control line")),
        Column("overlap_mu", N_("Overlap (mu)"), "mu"),
        Column("overlap_m2", N_("Overlap (m²)"), "m2"),
        Column(
            "verdict",
            N_("Verdict"),
            labels={"not_allowed": N_("not allowed"), "review": N_("to review")},
        ),
    ]
    return people_table(
        df, cols, title=_(TABLE_TITLES["plot_overlaps"]), subtitle=_sub(project_name)
    )

"""Vocabulary of restoration tracking: statuses, kinds, schemas, the labels people read.

Two object types are tracked:

``pit``
    A legacy mine pit (历史遗留废弃采坑), keyed by ``pit_id``; status
    ``untreated -> in_progress -> treated -> accepted``. "清零" is reached when no pit is
    untreated or in progress.
``plot``
    An afforestation / enclosure / grass-planting plot, keyed by ``plot_id``; status
    ``planned -> in_progress -> completed -> accepted``.

Cheap to import (no pandas): the command line (click choices), maps, tables and reports read
it here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import RegistryError
from ..i18n import N_
from ..model import TOTAL

__all__ = [
    "PIT_STATUSES",
    "PLOT_STATUSES",
    "PLOT_KINDS",
    "PIT_SCHEMA",
    "PLOT_SCHEMA",
    "OBJECT_TYPES",
    "NEXT_STATUS",
    "TOTAL",
    "CREATED",
    "NEW_REQUIRED",
    "EVENT_COLUMNS",
    "ObjectType",
    "object_type",
    "PIT_STATUS_LABELS",
    "PLOT_STATUS_LABELS",
    "PLOT_KIND_LABELS",
    "MAP_TITLE",
    "COLUMN_LABELS",
    "DATE_COLUMN",
    "EVENT_LABELS",
]

PIT_STATUSES = ("untreated", "in_progress", "treated", "accepted")
PLOT_STATUSES = ("planned", "in_progress", "completed", "accepted")
PLOT_KINDS = ("afforestation", "enclosure", "grass_planting")

#: status -> statuses an update may move to without ``force``. Skipping ``in_progress`` is
#: allowed (work is often entered after the fact); accepting what was never treated is not.
NEXT_STATUS: dict[str, dict[str, tuple[str, ...]]] = {
    "pit": {
        "untreated": ("in_progress", "treated"),
        "in_progress": ("treated",),
        "treated": ("accepted",),
        "accepted": (),
    },
    "plot": {
        "planned": ("in_progress", "completed"),
        "in_progress": ("completed",),
        "completed": ("accepted",),
        "accepted": (),
    },
}

# field -> type: text | real | int | date (ISO text YYYY-MM-DD)
PIT_SCHEMA: dict[str, str] = {
    "pit_id": "text",
    "name": "text",
    "township": "text",
    "pit_class": "text",
    "site_type": "text",
    "verified_m2": "real",
    "treated_m2": "real",
    "status": "text",
    "method": "text",
    "planned_year": "int",
    "completed_on": "date",
    "accepted_on": "date",
}
PLOT_SCHEMA: dict[str, str] = {
    "plot_id": "text",
    "kind": "text",
    "township": "text",
    "year": "int",
    "planned_mu": "real",
    "completed_mu": "real",
    "survival_rate": "real",
    "status": "text",
}

#: ``field`` of the event that records an object's baseline (``new`` holds its attributes)
CREATED = "*created*"
#: fields a new object added by an import (``--add-new``) must carry; the others get the
#: defaults ``init`` gives (status untreated / planned, done areas 0)
NEW_REQUIRED: dict[str, tuple[str, ...]] = {
    "pit": ("pit_id", "township", "verified_m2"),
    "plot": ("plot_id", "kind", "township", "year", "planned_mu"),
}


@dataclass(frozen=True)
class ObjectType:
    """What the registry knows about one kind of object."""

    name: str  #: ``pit`` | ``plot``
    table: str  #: ``pits`` | ``plots``
    id_field: str
    schema: Mapping[str, str]
    statuses: tuple[str, ...]
    area_fields: tuple[str, ...]  #: must be >= 0
    year_field: str  #: the plan year
    progress_fields: tuple[str, ...]  #: changes that cannot predate the plan year
    defaults: Mapping[str, Any]

    @property
    def editable(self) -> tuple[str, ...]:
        return tuple(f for f in self.schema if f != self.id_field)


OBJECT_TYPES: dict[str, ObjectType] = {
    "pit": ObjectType(
        name="pit",
        table="pits",
        id_field="pit_id",
        schema=PIT_SCHEMA,
        statuses=PIT_STATUSES,
        area_fields=("verified_m2", "treated_m2"),
        year_field="planned_year",
        progress_fields=("status", "treated_m2", "completed_on", "accepted_on"),
        defaults={"status": "untreated", "treated_m2": 0.0},
    ),
    "plot": ObjectType(
        name="plot",
        table="plots",
        id_field="plot_id",
        schema=PLOT_SCHEMA,
        statuses=PLOT_STATUSES,
        area_fields=("planned_mu", "completed_mu"),
        year_field="year",
        progress_fields=("status", "completed_mu", "survival_rate"),
        defaults={"status": "planned", "completed_mu": 0.0},
    ),
}


def object_type(name: str) -> ObjectType:
    """The :class:`ObjectType` called ``name`` (``pit``/``pits``/``plot``/``plots``)."""
    key = {"pits": "pit", "plots": "plot"}.get(name, name)
    try:
        return OBJECT_TYPES[key]
    except KeyError:
        raise RegistryError(
            f"unknown object type {name!r}; allowed: {', '.join(OBJECT_TYPES)}"
        ) from None


#: columns of the event log, in order
EVENT_COLUMNS = (
    "id",
    "at",
    "effective_date",
    "object_type",
    "object_id",
    "field",
    "old",
    "new",
    "by",
    "note",
    "batch",
)

#: pit status -> what people read, shown with ``_()``
PIT_STATUS_LABELS = {
    "untreated": N_("untreated"),
    "in_progress": N_("in progress"),
    "treated": N_("treated"),
    "accepted": N_("accepted"),
}
#: plot status -> what people read, shown with ``_()``
PLOT_STATUS_LABELS = {
    "planned": N_("planned"),
    "in_progress": N_("under way"),
    "completed": N_("completed"),
    "accepted": N_("accepted"),
}
#: plot kind -> what people read, shown with ``_()``
PLOT_KIND_LABELS = {
    "afforestation": N_("afforestation"),
    "enclosure": N_("enclosure"),
    "grass_planting": N_("grass planting"),
}

#: the map's kind in its title, after the project name (shown with ``_()``)
MAP_TITLE = N_("restoration progress map")

#: registry field -> column title for people (tables, GPKG column titles), shown with ``_()``;
#: an import accepts these titles (in either language) as column names too, so a table that
#: ecogis wrote can be edited and imported again
COLUMN_LABELS = {
    "pit": {
        "pit_id": N_("Pit ID"),
        "name": N_("Name"),
        "township": N_("Township"),
        "pit_class": N_("Pit class"),
        "site_type": N_("Site type"),
        "verified_m2": N_("Verified area (m²)"),
        "treated_m2": N_("Treated area (m²)"),
        "status": N_("Treatment status"),
        "method": N_("Method"),
        "planned_year": N_("Planned year"),
        "completed_on": N_("Treated on"),
        "accepted_on": N_("Accepted on"),
    },
    "plot": {
        "plot_id": N_("Plot ID"),
        "kind": N_("Kind"),
        "township": N_("Township"),
        "year": N_("Year"),
        "planned_mu": N_("Planned area (mu)"),
        "completed_mu": N_("Completed area (mu)"),
        "survival_rate": N_("Survival rate"),
        "status": N_("Status"),
    },
}
#: import column for the date of each row's changes, and its title (shown with ``_()``)
DATE_COLUMN = ("date", N_("Date"))
#: event-log column -> title for people, shown with ``_()``
EVENT_LABELS = {
    "id": N_("No."),
    "at": N_("Recorded at"),
    "effective_date": N_("Effective date"),
    "object_type": N_("Object type"),
    "object_id": N_("ID"),
    "field": N_("Field"),
    "old": N_("Old value"),
    "new": N_("New value"),
    "by": N_("Recorded by"),
    "note": N_("Note"),
    "batch": N_("Batch"),
}

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
it here. What people type is read here too: statuses and kinds in English or Chinese (the
labels below in either language, plus the short aliases of :data:`STATUS_ALIASES` /
:data:`KIND_ALIASES`), column titles in either language (:func:`field_for_header`), and ids
trimmed and folded (:func:`fold_id`: full-width letters and dashes).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import RegistryError
from ..i18n import N_, _, label_of
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
    "DELETED",
    "NOTE",
    "GEOMETRY",
    "CLIENTS",
    "CLIENT_LABELS",
    "NEW_REQUIRED",
    "EVENT_COLUMNS",
    "YEAR_MIN",
    "DATED_FIELDS",
    "OBJECT_LABELS",
    "STATUS_ALIASES",
    "KIND_ALIASES",
    "fold_text",
    "fold_id",
    "parse_term",
    "term_labels",
    "vocabulary",
    "field_for_header",
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
#: ``field`` of the event that records a deleted object (``old`` holds its last attributes)
DELETED = "*deleted*"
#: ``field`` of an inspection note: a dated event that changes nothing
NOTE = "*note*"
#: ``field`` of the event that records a changed geometry (old / new are empty)
GEOMETRY = "*geometry*"
#: ``client`` of an event: written by ecogis, or by any other program (QGIS, OGR, psql)
CLIENTS = ("ecogis", "external")
#: event client -> what people read, shown with ``_()``
CLIENT_LABELS = {"ecogis": N_("ecogis"), "external": N_("external edit")}
#: the first year a plan year, and the first date an event, may carry (1949-01-01)
YEAR_MIN = 1949
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
    #: date field -> the status it dates (a pit's completed_on dates "treated")
    dated: Mapping[str, str]
    done_status: str  #: the status that needs ``done_area`` > 0
    done_area: str  #: the area of work done (treated_m2, completed_mu)
    limit_area: str  #: the area ``done_area`` may not exceed (verified_m2, planned_mu)

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
        dated={"completed_on": "treated", "accepted_on": "accepted"},
        done_status="treated",
        done_area="treated_m2",
        limit_area="verified_m2",
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
        dated={},
        done_status="completed",
        done_area="completed_mu",
        limit_area="planned_mu",
    ),
}


def object_type(name: str) -> ObjectType:
    """The :class:`ObjectType` called ``name`` (``pit``/``pits``/``plot``/``plots``)."""
    key = {"pits": "pit", "plots": "plot"}.get(name, name)
    try:
        return OBJECT_TYPES[key]
    except KeyError:
        raise RegistryError(
            _("unknown object type {name!r}; allowed: {allowed}").format(
                name=name, allowed=", ".join(OBJECT_TYPES)
            )
        ) from None


#: object type -> its name in messages, shown with ``_()``
OBJECT_LABELS = {"pit": N_("pit"), "plot": N_("plot")}
#: date fields of each type -> the status each dates (see :attr:`ObjectType.dated`)
DATED_FIELDS = {name: dict(ot.dated) for name, ot in OBJECT_TYPES.items()}


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
    "client",
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
    "client": N_("Client"),
}


# ------------------------------------------------------------------------ what people type

#: status words people use besides the labels above (either language), per object type;
#: A / B are the treatment codes of the pit verification data (A 未治理, B 已恢复治理)
STATUS_ALIASES: dict[str, dict[str, str]] = {
    "pit": {
        "未治理": "untreated", "未修复": "untreated", "待治理": "untreated", "a": "untreated",
        "正在治理": "in_progress", "在治理": "in_progress", "施工中": "in_progress",
        "修复中": "in_progress",
        "已恢复治理": "treated", "已修复": "treated", "治理完成": "treated", "b": "treated",
        "验收": "accepted", "验收合格": "accepted", "通过验收": "accepted",
    },
    "plot": {
        "计划中": "planned", "未实施": "planned", "未开工": "planned", "规划": "planned",
        "施工中": "in_progress", "进行中": "in_progress", "在建": "in_progress",
        "完成": "completed", "已完工": "completed", "竣工": "completed",
        "验收": "accepted", "验收合格": "accepted", "通过验收": "accepted",
    },
}  # fmt: skip
#: plot kind words people use besides the labels above
KIND_ALIASES: dict[str, str] = {
    "造林": "afforestation", "植树造林": "afforestation",
    "封育": "enclosure", "封沙育林": "enclosure", "封沙育草": "enclosure", "围封": "enclosure",
    "围栏封育": "enclosure", "封山育林": "enclosure",
    "种草": "grass_planting", "草地建植": "grass_planting",
}  # fmt: skip

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63"), "-")


def fold_text(value: Any) -> str:
    """``value`` as people mean it: Unicode NFKC (full-width letters, digits and brackets to
    ASCII), dashes to ``-``, surrounding blanks removed."""
    return unicodedata.normalize("NFKC", str(value)).translate(_DASHES).strip()


def fold_id(value: Any) -> str:
    """An object id as typed (``" ＺＸＢ－ＫＫ－００７ "``) folded to its stored form
    (``"ZXB-KK-007"``): see :func:`fold_text`."""
    return fold_text(value)


def _key(text: str) -> str:
    """Folded, case-insensitive, blanks / dashes / underscores alike (vocabulary lookups)."""
    return re.sub(r"[\s_\-]+", "_", fold_text(text).casefold())


def vocabulary(otype: str, field: str) -> tuple[tuple[str, ...], Mapping[str, str], Mapping]:
    """``(keys, labels, aliases)`` of a vocabulary field: ``status``, or a plot's ``kind``."""
    ot = object_type(otype)
    if field == "status":
        labels = PIT_STATUS_LABELS if ot.name == "pit" else PLOT_STATUS_LABELS
        return ot.statuses, labels, STATUS_ALIASES[ot.name]
    if field == "kind" and ot.name == "plot":
        return PLOT_KINDS, PLOT_KIND_LABELS, KIND_ALIASES
    raise KeyError(field)


def term_labels(otype: str, field: str) -> dict[str, str]:
    """key -> ``"key (label in the interface language)"`` for the values of a vocabulary
    field (``status``, a plot's ``kind``), for messages and help."""
    keys, labels, _aliases = vocabulary(otype, field)
    out = {}
    for k in keys:
        shown = label_of(labels, k)
        out[k] = k if _key(shown) == _key(k) else f"{k} ({shown})"
    return out


def parse_term(otype: str, field: str, value: Any, *, what: str | None = None) -> str:
    """The key of a status / kind as people write it: the key itself (``treated``), its label
    in English or Chinese (``treated``, ``已治理``), or an alias (``造林``, ``B``); case, blanks,
    full-width characters and ``-`` / ``_`` do not matter.

    Raises
    ------
    RegistryError
        Naming the value and every allowed key with its label.
    """
    from ..i18n import translation

    keys, labels, aliases = vocabulary(otype, field)
    wanted = _key(value)
    zh = translation("zh")
    for k in keys:
        if wanted in (_key(k), _key(labels[k]), _key(zh.gettext(labels[k]))):
            return k
    for alias, k in aliases.items():
        if wanted == _key(alias):
            return k
    allowed = ", ".join(term_labels(otype, field).values())
    raise RegistryError(
        _("{what}: unknown {field} {value!r}; allowed: {allowed}").format(
            what=what or label_of(OBJECT_LABELS, object_type(otype).name),
            field=field,
            value=str(value),
            allowed=allowed,
        )
    )


def _header_key(text: Any) -> str:
    return re.sub(r"\s+", "", fold_text(text).casefold())


def _without_unit(text: str) -> str:
    return re.sub(r"\([^()]*\)", "", text)


def field_for_header(otype: str, header: Any) -> str | None:
    """The registry field (or ``"date"``) an import column title means, else None.

    Accepted: the field name (``treated_m2``), and its title in :data:`COLUMN_LABELS` /
    :data:`DATE_COLUMN` in English or Chinese, with or without the unit in brackets
    (``Treated area (m²)``, ``实地治理面积（m²）``, ``实地治理面积``, ``日期``), so a table
    that ecogis wrote can be edited in Excel and imported again.
    """
    from ..i18n import translation

    ot = object_type(otype)
    wanted = _header_key(header)
    zh = translation("zh")
    titles = {**COLUMN_LABELS[ot.name], DATE_COLUMN[0]: DATE_COLUMN[1]}
    for f, title in titles.items():
        names = {_header_key(f), _header_key(title), _header_key(zh.gettext(title))}
        names |= {_without_unit(n) for n in names}
        if wanted in names or _without_unit(wanted) in names:
            return f
    return None

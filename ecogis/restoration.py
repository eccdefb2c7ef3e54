"""Restoration tracking: mine pits and afforestation / enclosure plots, their status
lifecycle, the event log and progress against yearly targets.

Everything here works on DataFrames: the registry store (:mod:`ecogis.registry`) reads and
writes them. Two object types are tracked:

``pit``
    A legacy mine pit (历史遗留废弃采坑), keyed by ``pit_id``; status
    ``untreated -> in_progress -> treated -> accepted``. "清零" is reached when no pit is
    untreated or in progress.
``plot``
    An afforestation / enclosure / grass-planting plot, keyed by ``plot_id``; status
    ``planned -> in_progress -> completed -> accepted``.

Every change to an object is a :class:`Change` (one field, old and new value, the date it
happened); the store appends one event per change. :func:`state_as_of` replays the log.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .errors import RegistryError
from .units import m2_to_km2, m2_to_mu

if TYPE_CHECKING:
    import geopandas as gpd
    import rasterio

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
    "Change",
    "ObjectType",
    "object_type",
    "normalize_objects",
    "coerce_value",
    "encode_value",
    "parse_date",
    "plan_update",
    "plan_import",
    "baseline_from_events",
    "state_as_of",
    "summarize_progress",
    "check_plot_overlaps",
    "check_greening",
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

#: township label of total rows
TOTAL = "合计"
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


@dataclass(frozen=True)
class Change:
    """One field of one object changing: becomes one event in the log."""

    object_type: str
    object_id: str
    field: str
    old: Any
    new: Any
    effective_date: str | None  #: ISO date the change happened in the field
    #: a new object (``field`` is :data:`CREATED`, ``new`` its attributes): its geometry as
    #: WKB (a MultiPolygon in the registry's CRS)
    geometry: bytes | None = None

    def describe(self) -> str:
        if self.field == CREATED and isinstance(self.new, Mapping):
            ot = object_type(self.object_type)
            keys = [f for f in NEW_REQUIRED[ot.name] if f != ot.id_field] + ["status"]
            shown = ", ".join(f"{k} {_show(self.new.get(k))}" for k in keys)
            return f"{self.object_type} {self.object_id}: new ({shown})"
        return f"{self.object_type} {self.object_id}: {self.field} {_show(self.old)} -> {_show(self.new)}"


def _show(v: Any) -> str:
    if v is None:
        return "(empty)"
    if isinstance(v, float):
        return f"{v:g}" if abs(v) < 1e15 else repr(v)
    return str(v)


# ------------------------------------------------------------------------------ values


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def parse_date(value: Any, *, what: str = "date") -> _dt.date:
    """A date from ``YYYY-MM-DD`` text, a date or a timestamp; RegistryError otherwise."""
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, pd.Timestamp):
        return value.date()
    text = str(value).strip()
    try:
        return _dt.date.fromisoformat(text[:10] if len(text) > 10 and text[10] in "T " else text)
    except ValueError:
        raise RegistryError(f"{what}: {value!r} is not a date; write YYYY-MM-DD") from None


def coerce_value(ftype: str, value: Any, *, what: str = "value") -> Any:
    """Convert ``value`` to the Python type of a field (``None`` for empty)."""
    if _is_missing(value):
        return None
    if ftype == "text":
        if isinstance(value, float) and value.is_integer():
            return str(int(value))  # spreadsheet codes such as 10.0 -> "10"
        return str(value).strip()
    if ftype == "real":
        try:
            out = float(value)
        except (TypeError, ValueError):
            raise RegistryError(f"{what}: {value!r} is not a number") from None
        if not math.isfinite(out):
            raise RegistryError(f"{what}: {value!r} is not a finite number")
        return out
    if ftype == "int":
        try:
            f = float(value)
        except (TypeError, ValueError):
            raise RegistryError(f"{what}: {value!r} is not a whole number") from None
        if not f.is_integer():
            raise RegistryError(f"{what}: {value!r} is not a whole number")
        return int(f)
    if ftype == "date":
        return parse_date(value, what=what).isoformat()
    raise AssertionError(ftype)


def encode_value(value: Any) -> str | None:
    """Text for the event log (``None`` stays NULL); :func:`coerce_value` reads it back."""
    if value is None:
        return None
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _same(ftype: str, a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if ftype == "real":
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-9)
    return a == b


def _close(word: str, options: Iterable[str]) -> str:
    matches = difflib.get_close_matches(str(word), [str(o) for o in options], n=3, cutoff=0.6)
    return f" (did you mean {', '.join(matches)}?)" if matches else ""


# ------------------------------------------------------------------------------ objects


def normalize_objects(gdf: pd.DataFrame, otype: str, *, name: str | None = None) -> pd.DataFrame:
    """Bring a pits / plots layer to the registry schema.

    Keeps the schema columns (and geometry), fills missing ones (status ``untreated`` /
    ``planned``, areas 0; a pit's ``verified_m2`` defaults to its geometry area, which must
    then be in a projected CRS), converts types and refuses duplicate or missing ids and
    unknown statuses / kinds.
    """
    ot = object_type(otype)
    label = name or ot.table
    if ot.id_field not in gdf.columns:
        raise RegistryError(
            f"{label}: no {ot.id_field!r} column; columns: {', '.join(map(str, gdf.columns))}"
        )
    out = gdf.copy()
    geom = out.geometry.name if hasattr(out, "geometry") and "geometry" in out else None
    for field, ftype in ot.schema.items():
        if field not in out.columns:
            if field == "verified_m2" and geom is not None:
                out[field] = out.geometry.area
            else:
                out[field] = ot.defaults.get(field)
        values = []
        for i, v in zip(out.index, out[field], strict=True):
            v = coerce_value(ftype, v, what=f"{label} {out.at[i, ot.id_field]} {field}")
            if v is None and field in ot.defaults:
                v = ot.defaults[field]
            values.append(v)
        out[field] = pd.Series(values, index=out.index, dtype=_dtype(ftype))
    ids = out[ot.id_field]
    if ids.isna().any():
        raise RegistryError(f"{label}: {int(ids.isna().sum())} feature(s) without {ot.id_field}")
    dup = ids[ids.duplicated()].unique().tolist()
    if dup:
        raise RegistryError(f"{label}: duplicate {ot.id_field}: {', '.join(map(str, dup[:10]))}")
    bad = out.loc[~out["status"].isin(ot.statuses), ot.id_field].tolist()
    if bad:
        raise RegistryError(
            f"{label}: unknown status in {', '.join(map(str, bad[:10]))}; allowed: {', '.join(ot.statuses)}"
        )
    if otype in ("plot", "plots"):
        badk = out.loc[~out["kind"].isin(PLOT_KINDS), ot.id_field].tolist()
        if badk:
            raise RegistryError(
                f"{label}: unknown kind in {', '.join(map(str, badk[:10]))}; allowed: {', '.join(PLOT_KINDS)}"
            )
    cols = list(ot.schema) + ([geom] if geom else [])
    return out[cols]


def _dtype(ftype: str) -> str:
    return {"real": "float64", "int": "Int64"}.get(ftype, "object")


# ------------------------------------------------------------------------------ updates


def plan_update(
    state: pd.DataFrame,
    otype: str,
    object_id: str,
    values: Mapping[str, Any],
    *,
    date: Any = None,
    today: _dt.date | None = None,
    force: bool = False,
) -> list[Change]:
    """Validate an update of one object and return the changes it makes.

    Parameters
    ----------
    state
        Current attributes of every object of the type, indexed by id (or with the id column).
    otype
        ``pit`` or ``plot``.
    object_id
        The id; unknown ids raise with the closest known ids.
    values
        Field -> new value (``None`` / empty clears a field).
    date
        When the change happened (default ``today``); becomes the events' ``effective_date``
        and fills ``completed_on`` / ``accepted_on`` when a pit becomes treated / accepted.
    today
        Today's date (for tests); dates after it are refused.
    force
        Allow moving a status backwards (dates of later stages are cleared).

    Returns
    -------
    list of Change
        Only fields whose value changes; empty when nothing changes.

    Raises
    ------
    RegistryError
        Unknown id or field, impossible status transition, negative area, treated area above
        the verified area, survival rate outside 0-1, dates in the future or before the plan year.
    """
    ot = object_type(otype)
    state = _indexed(state, ot)
    today = today or _dt.date.today()
    oid = str(object_id)
    if oid not in state.index:
        raise RegistryError(f"unknown {ot.name} id {oid!r}{_close(oid, state.index)}")
    eff = parse_date(date, what="--date") if date is not None else today
    if eff > today:
        raise RegistryError(f"{ot.name} {oid}: date {eff} is in the future (today is {today})")
    old = {f: coerce_value(t, state.at[oid, f]) for f, t in ot.schema.items() if f != ot.id_field}
    new = dict(old)
    for field, value in values.items():
        if field not in ot.schema or field == ot.id_field:
            raise RegistryError(
                f"{ot.name} {oid}: unknown field {field!r}{_close(field, ot.editable)}; "
                f"editable: {', '.join(ot.editable)}"
            )
        new[field] = coerce_value(ot.schema[field], value, what=f"{ot.name} {oid} {field}")
    given = set(values)

    # status lifecycle
    if new["status"] not in ot.statuses:
        raise RegistryError(
            f"{ot.name} {oid}: unknown status {new['status']!r}{_close(str(new['status']), ot.statuses)}; "
            f"allowed: {', '.join(ot.statuses)}"
        )
    before, after = old["status"], new["status"]
    if after != before:
        allowed = NEXT_STATUS[ot.name].get(before, ())
        backwards = ot.statuses.index(after) < ot.statuses.index(before)
        if after not in allowed and not (backwards and force):
            hint = " (going back needs --force)" if backwards else ""
            nxt = ", ".join(allowed) or "none (final state)"
            raise RegistryError(
                f"{ot.name} {oid}: cannot change status {before} -> {after}{hint}; "
                f"allowed next: {nxt}"
            )
        if ot.name == "pit":
            rank = ot.statuses.index(after)
            if after == "treated" and "completed_on" not in given:
                new["completed_on"] = eff.isoformat()
            if after == "accepted" and "accepted_on" not in given:
                new["accepted_on"] = eff.isoformat()
            # a forced step back undoes the later stages' dates
            if rank < ot.statuses.index("treated") and "completed_on" not in given:
                new["completed_on"] = None
            if rank < ot.statuses.index("accepted") and "accepted_on" not in given:
                new["accepted_on"] = None
        done = "treated" if ot.name == "pit" else "completed"
        area = "treated_m2" if ot.name == "pit" else "completed_mu"
        flag = "--treated-m2" if ot.name == "pit" else "--completed-mu"
        if after == done and not (new[area] or 0) > 0:
            raise RegistryError(f"{ot.name} {oid}: status {done} needs {area} > 0; pass {flag}")

    # areas and rates
    for f in ot.area_fields:
        if new[f] is not None and new[f] < 0:
            raise RegistryError(f"{ot.name} {oid}: {f} must be >= 0, got {_show(new[f])}")
    if ot.name == "pit":
        tv, vv = new["treated_m2"], new["verified_m2"]
        if tv is not None and vv is not None and tv > vv * (1 + 1e-9) + 1e-9:
            raise RegistryError(
                f"pit {oid}: treated_m2 {_show(tv)} is above the verified area verified_m2 {_show(vv)}"
            )
    else:
        sr = new["survival_rate"]
        if sr is not None and not 0 <= sr <= 1:
            raise RegistryError(
                f"plot {oid}: survival_rate is a share from 0 to 1, got {_show(sr)}"
                + (f" (write {sr / 100:g} for {sr:g}%)" if 1 < sr <= 100 else "")
            )
        if new["kind"] not in PLOT_KINDS:
            raise RegistryError(
                f"plot {oid}: unknown kind {new['kind']!r}; allowed: {', '.join(PLOT_KINDS)}"
            )

    # dates
    changed = [f for f in new if not _same(ot.schema[f], old[f], new[f])]
    plan_year = new.get(ot.year_field)
    for f in changed:
        if ot.schema[f] == "date" and new[f] is not None:
            d = _dt.date.fromisoformat(new[f])
            if d > today:
                raise RegistryError(f"{ot.name} {oid}: {f} {d} is in the future (today is {today})")
            if plan_year is not None and d.year < plan_year:
                raise RegistryError(
                    f"{ot.name} {oid}: {f} {d} is before the plan year {ot.year_field}={plan_year}"
                )
    if plan_year is not None and eff.year < plan_year and set(changed) & set(ot.progress_fields):
        raise RegistryError(
            f"{ot.name} {oid}: date {eff} is before the plan year {ot.year_field}={plan_year}"
        )
    if ot.name == "pit" and new["completed_on"] and new["accepted_on"]:
        if new["accepted_on"] < new["completed_on"]:
            raise RegistryError(
                f"pit {oid}: accepted_on {new['accepted_on']} is before completed_on {new['completed_on']}"
            )
    return [
        Change(ot.name, oid, f, old[f], new[f], eff.isoformat()) for f in ot.schema if f in changed
    ]


def _indexed(state: pd.DataFrame, ot: ObjectType) -> pd.DataFrame:
    if state.index.name == ot.id_field:
        return state
    if ot.id_field in state.columns:
        return state.set_index(ot.id_field, drop=False).rename_axis(ot.id_field)
    raise RegistryError(f"{ot.table}: no {ot.id_field} column")


def plan_import(
    state: pd.DataFrame,
    otype: str,
    table: pd.DataFrame,
    *,
    date: Any = None,
    today: _dt.date | None = None,
    force: bool = False,
    source: str = "import",
    add_new: bool = False,
    crs: Any = None,
) -> list[Change]:
    """Changes that a table of updates (one row per object, keyed by id) makes.

    Empty cells mean "no change". An optional ``date`` column gives each row's effective date
    (else ``date``). Every row is validated like :func:`plan_update`; all problems are
    reported together and nothing is returned unless every row is valid.

    Parameters
    ----------
    add_new
        Rows whose id is not in ``state`` become new objects (else they are refused). Needs
        ``table`` to be a GeoDataFrame with a CRS and (Multi)Polygon geometry; each new row
        must carry the fields in :data:`NEW_REQUIRED` and gets one :class:`Change` with
        ``field`` :data:`CREATED`, ``new`` its attributes (defaults filled like
        :func:`normalize_objects`; a finished pit gets ``completed_on`` / ``accepted_on``
        from the row's date), ``effective_date`` the row's date and ``geometry`` its WKB.
    crs
        The registry's CRS: new geometries are reprojected to it.
    """
    ot = object_type(otype)
    state = _indexed(state, ot).copy()
    geom_col = table.geometry.name if _has_geometry(table) else None
    cols = [str(c) for c in table.columns if str(c) not in ("geometry", "fid", geom_col)]
    if ot.id_field not in cols:
        raise RegistryError(
            f"{source}: no {ot.id_field!r} column; columns: {', '.join(cols) or '(none)'}"
        )
    unknown = [c for c in cols if c not in ot.schema and c != "date"]
    if unknown:
        raise RegistryError(
            f"{source}: unknown column(s) "
            + ", ".join(f"{c!r}{_close(c, ot.editable)}" for c in unknown)
            + f"; allowed: {ot.id_field}, date, {', '.join(ot.editable)}"
        )
    ids = table[ot.id_field].map(lambda v: coerce_value("text", v))
    dup = ids[ids.duplicated() & ids.notna()].unique().tolist()
    if dup:
        raise RegistryError(
            f"{source}: {ot.id_field} listed twice: {', '.join(map(str, dup[:10]))}"
        )
    unknown_ids = [o for o in ids if o is not None and o not in state.index]
    geoms = None
    if add_new and unknown_ids:
        if geom_col is None:
            shown = ", ".join(map(str, unknown_ids[:10]))
            raise RegistryError(
                f"{source}: {len(unknown_ids)} {ot.name} id(s) not in the registry ({shown}); "
                f"new {ot.table} need their geometry: --add-new takes a GIS layer with polygons "
                "(GPKG, SHP, GeoJSON), not a spreadsheet; nothing written"
            )
        geoms = _new_geometries(table, crs, source)
    changes: list[Change] = []
    problems: list[str] = []
    for n, (i, row) in enumerate(table.iterrows(), start=2):  # row 1 is the header
        oid = ids.loc[i]
        if oid is None:
            problems.append(f"row {n}: no {ot.id_field}")
            continue
        values = {
            c: row[c] for c in cols if c not in (ot.id_field, "date") and not _is_missing(row[c])
        }
        row_date = row["date"] if "date" in cols and not _is_missing(row["date"]) else date
        try:
            if oid not in state.index:
                if not add_new:
                    raise RegistryError(
                        f"unknown {ot.name} id {oid!r}{_close(oid, state.index)}; "
                        f"to add it as a new {ot.name} import a GIS layer with --add-new"
                    )
                planned = [_plan_new(ot, oid, values, geoms.loc[i], date=row_date, today=today)]
            else:
                planned = plan_update(
                    state, ot.name, oid, values, date=row_date, today=today, force=force
                )
        except RegistryError as exc:
            problems.append(f"row {n}: {exc}")
            continue
        changes.extend(planned)
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise RegistryError(
            f"{source}: {len(problems)} problem(s), nothing written: "
            + "; ".join(problems[:5])
            + more
        )
    return changes


def _has_geometry(table: pd.DataFrame) -> bool:
    """A GeoDataFrame with an active geometry column (not a text column called geometry)."""
    return getattr(table, "active_geometry_name", None) is not None


def _new_geometries(table: pd.DataFrame, crs: Any, source: str) -> pd.Series:
    """The table's geometries in the registry CRS (reprojected when the CRSs differ)."""
    geoms = table.geometry
    if geoms.crs is None:
        raise RegistryError(
            f"{source}: the layer has no CRS; new objects need one; nothing written"
        )
    if crs is not None and not geoms.crs.equals(crs):
        geoms = geoms.to_crs(crs)
    return geoms


def _plan_new(
    ot: ObjectType,
    oid: str,
    values: Mapping[str, Any],
    geometry: Any,
    *,
    date: Any,
    today: _dt.date | None,
) -> Change:
    """Validate one new object of an import; its :data:`CREATED` change."""
    import shapely

    today = today or _dt.date.today()
    eff = parse_date(date, what="--date") if date is not None else today
    if eff > today:
        raise RegistryError(f"{ot.name} {oid}: date {eff} is in the future (today is {today})")
    missing = [f for f in NEW_REQUIRED[ot.name] if f != ot.id_field and f not in values]
    if missing:
        raise RegistryError(
            f"new {ot.name} {oid}: {', '.join(missing)} missing; a new {ot.name} needs "
            + ", ".join(NEW_REQUIRED[ot.name])
        )
    gtype = None if geometry is None else geometry.geom_type
    if gtype not in ("Polygon", "MultiPolygon") or geometry.is_empty:
        got = "no geometry" if gtype is None else ("empty" if geometry.is_empty else gtype)
        raise RegistryError(
            f"new {ot.name} {oid}: geometry is {got}; allowed: Polygon, MultiPolygon"
        )
    rec: dict[str, Any] = {}
    for f, t in ot.schema.items():
        v = oid if f == ot.id_field else coerce_value(t, values.get(f), what=f"{ot.name} {oid} {f}")
        rec[f] = ot.defaults.get(f) if v is None else v
    _check_new(ot, oid, rec, eff, today)
    if gtype == "Polygon":
        geometry = shapely.MultiPolygon([geometry])
    return Change(ot.name, oid, CREATED, None, rec, eff.isoformat(), shapely.to_wkb(geometry))


def _check_new(ot: ObjectType, oid: str, rec: dict[str, Any], eff: _dt.date, today) -> None:
    """The rules :func:`plan_update` applies, for an object recorded as it stands now."""
    label = f"new {ot.name} {oid}"
    if rec["status"] not in ot.statuses:
        raise RegistryError(
            f"{label}: unknown status {rec['status']!r}{_close(str(rec['status']), ot.statuses)}; "
            f"allowed: {', '.join(ot.statuses)}"
        )
    for f in ot.area_fields:
        if rec[f] is not None and rec[f] < 0:
            raise RegistryError(f"{label}: {f} must be >= 0, got {_show(rec[f])}")
    finished = ot.statuses[ot.statuses.index("in_progress") + 1 :]
    area = "treated_m2" if ot.name == "pit" else "completed_mu"
    if rec["status"] in finished and not (rec[area] or 0) > 0:
        raise RegistryError(f"{label}: status {rec['status']} needs {area} > 0")
    if ot.name == "pit":
        tv, vv = rec["treated_m2"], rec["verified_m2"]
        if tv is not None and vv is not None and tv > vv * (1 + 1e-9) + 1e-9:
            raise RegistryError(
                f"{label}: treated_m2 {_show(tv)} is above the verified area verified_m2 {_show(vv)}"
            )
        if rec["status"] in ("treated", "accepted") and rec["completed_on"] is None:
            rec["completed_on"] = eff.isoformat()
        if rec["status"] == "accepted" and rec["accepted_on"] is None:
            rec["accepted_on"] = eff.isoformat()
        if rec["completed_on"] and rec["accepted_on"] and rec["accepted_on"] < rec["completed_on"]:
            raise RegistryError(
                f"{label}: accepted_on {rec['accepted_on']} is before completed_on {rec['completed_on']}"
            )
    else:
        sr = rec["survival_rate"]
        if sr is not None and not 0 <= sr <= 1:
            raise RegistryError(f"{label}: survival_rate is a share from 0 to 1, got {_show(sr)}")
        if rec["kind"] not in PLOT_KINDS:
            raise RegistryError(
                f"{label}: unknown kind {rec['kind']!r}; allowed: {', '.join(PLOT_KINDS)}"
            )
    for f, t in ot.schema.items():
        if t == "date" and rec[f] is not None and _dt.date.fromisoformat(rec[f]) > today:
            raise RegistryError(f"{label}: {f} {rec[f]} is in the future (today is {today})")


# ------------------------------------------------------------------------------ replay


def baseline_from_events(events: pd.DataFrame, otype: str) -> pd.DataFrame:
    """Attributes of each object as first recorded (its ``*created*`` event), indexed by id."""
    ot = object_type(otype)
    ev = events[(events["object_type"] == ot.name) & (events["field"] == CREATED)]
    rows = [json.loads(v) for v in ev["new"]]
    df = pd.DataFrame(rows, columns=list(ot.schema))
    for f, t in ot.schema.items():
        df[f] = pd.Series([coerce_value(t, v) for v in df[f]], index=df.index, dtype=_dtype(t))
    df = df.drop_duplicates(ot.id_field, keep="last")
    return df.set_index(ot.id_field, drop=False).rename_axis(ot.id_field)


def state_as_of(
    initial: pd.DataFrame,
    events: pd.DataFrame,
    date: Any = None,
    *,
    otype: str | None = None,
) -> pd.DataFrame:
    """Replay the event log on ``initial``: the state on ``date`` (None: everything recorded).

    Events with ``effective_date <= date`` are applied in the order they were recorded, so
    replaying the whole log gives exactly the current state. Objects whose ``*created*`` event
    carries an effective date after ``date`` are left out; baseline objects (created with no
    effective date) are always there.

    Parameters
    ----------
    initial
        Baseline attributes (:func:`baseline_from_events`), indexed by id or with the id column.
    events
        The event log (columns ``id, effective_date, object_type, object_id, field, new``).
    date
        The day to show (inclusive).
    otype
        ``pit`` or ``plot``; inferred from the id column when omitted.
    """
    if otype is None:
        otype = next(
            (
                n
                for n, t in OBJECT_TYPES.items()
                if t.id_field in (initial.index.name, *initial.columns)
            ),
            None,
        )
        if otype is None:
            raise RegistryError("state_as_of: cannot tell pits from plots; pass otype=")
    ot = object_type(otype)
    state = _indexed(initial, ot).copy()
    ev = events[events["object_type"] == ot.name].sort_values("id")
    if date is not None:
        day = parse_date(date, what="as-of date").isoformat()
        eff = ev["effective_date"]
        late = eff.notna() & (eff.astype(str) > day)
        gone = ev.loc[late & (ev["field"] == CREATED), "object_id"]
        state = state.drop(index=[g for g in gone if g in state.index])
        ev = ev[~late]
    for oid, field, new in zip(ev["object_id"], ev["field"], ev["new"], strict=True):
        if field == CREATED or oid not in state.index or field not in ot.schema:
            continue
        state.at[oid, field] = coerce_value(ot.schema[field], new)
    return state


# ------------------------------------------------------------------------------ progress


def _township(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), "(none)").astype(str)


def summarize_progress(
    pits: pd.DataFrame,
    plots: pd.DataFrame,
    *,
    targets: Mapping[Any, Mapping[str, float]] | Mapping[str, float] | None,
    year: int,
    townships: Sequence[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Progress per township and in total.

    Parameters
    ----------
    pits, plots
        Registry states (attributes; geometry ignored).
    targets
        ``Config.targets`` (year -> {afforestation_mu, enclosure_mu, grass_planting_mu,
        pits_km2, pits_count}) or one year's mapping.
    year
        The plot year reported, and the year whose pit treatments count against ``pits_km2``.
    townships
        All township names, so townships with nothing recorded still get a row.

    Returns
    -------
    dict
        ``pits``: one row per township plus the :data:`TOTAL` row — counts and km² (verified
        area) untreated / in progress / treated / accepted, the 清零 countdown
        (``remaining_count``, ``remaining_km2``, ``cleared``), treated area, pits treated in
        ``year`` and, on the total row only, the target and percent.
        ``plots``: one row per township and kind plus one total row per kind — plots of
        ``year``, planned / completed mu and 万亩, area-weighted survival rate; target and
        percent on the total rows only (targets are banner-wide).
    """
    tgt: Mapping[str, float] = {}
    if targets:
        if year in targets:
            tgt = targets[year]  # type: ignore[index]
        elif str(year) in targets:
            tgt = targets[str(year)]  # type: ignore[index]
        elif any(isinstance(k, str) and k.endswith(("_mu", "_km2", "_count")) for k in targets):
            tgt = targets  # type: ignore[assignment]
    return {
        "pits": _pit_progress(pits, tgt, year, townships),
        "plots": _plot_progress(plots, tgt, year, townships),
    }


def _pit_progress(pits, tgt, year, townships) -> pd.DataFrame:
    p = pd.DataFrame(
        {
            "township": _township(pits["township"]),
            "status": pits["status"].astype(str),
            "verified_m2": pd.to_numeric(pits["verified_m2"]).fillna(0.0).astype(float),
            "treated_m2": pd.to_numeric(pits["treated_m2"]).fillna(0.0).astype(float),
            "completed_on": pits["completed_on"].astype(object),
        }
    )
    done_year = p["completed_on"].map(lambda d: None if _is_missing(d) else str(d)[:4])
    p["in_year"] = p["status"].isin(("treated", "accepted")) & (done_year == str(year))
    names = list(dict.fromkeys([*(townships or []), *sorted(p["township"].unique())]))

    def row(sub: pd.DataFrame, name: str) -> dict:
        r: dict[str, Any] = {"township": name, "pits": len(sub)}
        r["verified_km2"] = m2_to_km2(sub["verified_m2"].sum())
        for s in PIT_STATUSES:
            ss = sub[sub["status"] == s]
            r[f"{s}_count"] = len(ss)
            r[f"{s}_km2"] = m2_to_km2(ss["verified_m2"].sum())
        rem = sub[sub["status"].isin(("untreated", "in_progress"))]
        r["remaining_count"] = len(rem)
        r["remaining_km2"] = m2_to_km2(rem["verified_m2"].sum())
        r["cleared"] = len(rem) == 0  # 清零
        done = sub[sub["status"].isin(("treated", "accepted"))]
        r["treated_area_km2"] = m2_to_km2(done["treated_m2"].sum())
        yr = sub[sub["in_year"]]
        r["treated_in_year_count"] = len(yr)
        r["treated_in_year_km2"] = m2_to_km2(yr["treated_m2"].sum())
        return r

    rows = [row(p[p["township"] == n], n) for n in names]
    total = row(p, TOTAL)
    t_km2, t_count = tgt.get("pits_km2"), tgt.get("pits_count")
    total["target_km2"] = t_km2
    total["target_count"] = t_count
    total["percent_km2"] = 100 * total["treated_in_year_km2"] / t_km2 if t_km2 else None
    total["percent_count"] = 100 * total["treated_in_year_count"] / t_count if t_count else None
    df = pd.DataFrame([*rows, total])
    for c in ("target_km2", "target_count", "percent_km2", "percent_count"):
        df[c] = pd.to_numeric(df[c]).astype(float)
    return df


def _plot_progress(plots, tgt, year, townships) -> pd.DataFrame:
    q = pd.DataFrame(
        {
            "township": _township(plots["township"]),
            "kind": plots["kind"].astype(str),
            "year": pd.to_numeric(plots["year"]),
            "status": plots["status"].astype(str),
            "planned_mu": pd.to_numeric(plots["planned_mu"]).fillna(0.0).astype(float),
            "completed_mu": pd.to_numeric(plots["completed_mu"]).fillna(0.0).astype(float),
            "survival_rate": pd.to_numeric(plots["survival_rate"]).astype(float),
        }
    )
    q = q[q["year"] == year]
    names = list(dict.fromkeys([*(townships or []), *sorted(q["township"].unique())]))

    def row(sub: pd.DataFrame, name: str, kind: str) -> dict:
        sr = sub.dropna(subset=["survival_rate"])
        w = sr["completed_mu"].sum()
        return {
            "township": name,
            "kind": kind,
            "plots": len(sub),
            "completed_plots": int(sub["status"].isin(("completed", "accepted")).sum()),
            "planned_mu": sub["planned_mu"].sum(),
            "completed_mu": sub["completed_mu"].sum(),
            "completed_wanmu": sub["completed_mu"].sum() / 10000.0,
            "survival_rate": (sr["survival_rate"] * sr["completed_mu"]).sum() / w
            if w > 0
            else np.nan,
        }

    rows = []
    for kind in PLOT_KINDS:
        k = q[q["kind"] == kind]
        target = tgt.get(f"{kind}_mu")
        if len(k) == 0 and not target:
            continue
        for n in names:
            sub = k[k["township"] == n]
            if len(sub) or townships:
                rows.append(row(sub, n, kind))
        total = row(k, TOTAL, kind)
        total["target_mu"] = target
        total["target_wanmu"] = target / 10000.0 if target is not None else None
        total["percent"] = 100 * total["completed_mu"] / target if target else None
        rows.append(total)
    cols = [
        "township", "kind", "plots", "completed_plots", "planned_mu", "completed_mu",
        "completed_wanmu", "survival_rate", "target_mu", "target_wanmu", "percent",
    ]  # fmt: skip
    df = pd.DataFrame(rows, columns=cols)
    for c in ("target_mu", "target_wanmu", "percent", "survival_rate"):
        df[c] = pd.to_numeric(df[c]).astype(float)
    return df


# ------------------------------------------------------------------------------ cross-checks


def check_plot_overlaps(
    plots: gpd.GeoDataFrame,
    farmland: gpd.GeoDataFrame | None,
    urban: gpd.GeoDataFrame | None,
    *,
    kinds: Sequence[str] = ("afforestation", "enclosure"),
    workers: int | None = None,
) -> pd.DataFrame:
    """Plots overlapping permanent basic farmland (永久基本农田) or the urban development
    boundary (城镇开发边界), with the exact overlap area.

    All layers must be in the same projected CRS (metres). Afforestation on permanent basic
    farmland is not allowed (``verdict`` ``not_allowed``); every other overlap is ``review``.

    Returns
    -------
    DataFrame
        ``plot_id, kind, township, year, status, control, overlap_m2, overlap_mu, verdict``,
        one row per plot and control layer, largest overlap first.
    """
    from .overlay import intersect_pairs

    sel = plots[plots["kind"].isin(kinds)].reset_index(drop=True)
    cols = [
        "plot_id", "kind", "township", "year", "status", "control", "overlap_m2", "overlap_mu",
        "verdict",
    ]  # fmt: skip
    frames = []
    for control, layer in (("farmland", farmland), ("urban", urban)):
        if layer is None or len(sel) == 0 or len(layer) == 0:
            continue
        pairs = intersect_pairs(sel, layer, workers=workers, keep_geometry=False)
        if len(pairs) == 0:
            continue
        area = pairs.groupby("idx_left")["area_m2"].sum()
        hit = sel.iloc[area.index].copy()
        hit["control"] = control
        hit["overlap_m2"] = area.to_numpy()
        hit["overlap_mu"] = m2_to_mu(hit["overlap_m2"])
        not_allowed = (hit["kind"] == "afforestation") & (control == "farmland")
        hit["verdict"] = np.where(not_allowed, "not_allowed", "review")
        frames.append(pd.DataFrame(hit[cols]))
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["overlap_m2", "plot_id"], ascending=[False, True], ignore_index=True)


def check_greening(
    objects: gpd.GeoDataFrame,
    before: rasterio.DatasetReader,
    after: rasterio.DatasetReader,
    *,
    otype: str,
    min_change: float = 0.03,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Mean NDVI before / after for finished pits (treated, accepted) or plots (completed,
    accepted); ``flagged`` when NDVI rose by ``min_change`` or less (no greening).

    Reads only the raster windows under the objects (:func:`ecogis.raster.ndvi_change`).
    Objects with no valid pixels are not flagged; ``ndvi_valid_share`` shows them. The
    default 0.03 sits above year-to-year noise of a mean over a few pixels (about 0.01-0.02)
    and well below the rise of established planting (0.05 and more).

    Returns
    -------
    DataFrame
        ``object_type, id, township, kind, status, ndvi_before, ndvi_after, ndvi_change,
        ndvi_valid_share, flagged``.
    """
    from .raster import ndvi_change

    ot = object_type(otype)
    done = ("treated", "accepted") if ot.name == "pit" else ("completed", "accepted")
    sel = objects[objects["status"].isin(done)]
    nd = ndvi_change(sel.geometry, before, after, progress=progress)
    out = pd.DataFrame(
        {
            "object_type": ot.name,
            "id": sel[ot.id_field].astype(str).to_numpy(),
            "township": sel["township"].to_numpy() if "township" in sel else None,
            "kind": sel["kind"].to_numpy() if "kind" in sel else None,
            "status": sel["status"].to_numpy(),
        },
        columns=["object_type", "id", "township", "kind", "status"],
    )
    for c in ("ndvi_before", "ndvi_after", "ndvi_change", "ndvi_valid_share"):
        out[c] = nd[c].to_numpy()
    out["flagged"] = out["ndvi_change"].notna() & (out["ndvi_change"] <= min_change)
    return out

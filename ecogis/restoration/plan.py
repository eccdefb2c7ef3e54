"""Restoration changes: values, objects, updates and imports, validated before they are written.

Everything here works on DataFrames: the registry store (:mod:`ecogis.restoration.store`)
reads and writes them. Every change to an object is a :class:`Change` (one field, old and new
value, the date it happened); the store appends one event per change.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..errors import RegistryError
from .model import (
    CREATED,
    NEW_REQUIRED,
    NEXT_STATUS,
    PLOT_KINDS,
    ObjectType,
    object_type,
)

__all__ = [
    "Change",
    "normalize_objects",
    "coerce_value",
    "encode_value",
    "parse_date",
    "plan_update",
    "plan_import",
    "show_value",
    "same_value",
    "did_you_mean",
    "is_missing",
    "dtype_of",
    "indexed",
]


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
            shown = ", ".join(f"{k} {show_value(self.new.get(k))}" for k in keys)
            return f"{self.object_type} {self.object_id}: new ({shown})"
        return f"{self.object_type} {self.object_id}: {self.field} {show_value(self.old)} -> {show_value(self.new)}"


def show_value(v: Any) -> str:
    if v is None:
        return "(empty)"
    if isinstance(v, float):
        return f"{v:g}" if abs(v) < 1e15 else repr(v)
    return str(v)


# ------------------------------------------------------------------------------ values


def is_missing(value: Any) -> bool:
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
    if is_missing(value):
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


def same_value(ftype: str, a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if ftype == "real":
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-9)
    return a == b


def did_you_mean(word: str, options: Iterable[str]) -> str:
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
        out[field] = pd.Series(values, index=out.index, dtype=dtype_of(ftype))
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


def dtype_of(ftype: str) -> str:
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
    state = indexed(state, ot)
    today = today or _dt.date.today()
    oid = str(object_id)
    if oid not in state.index:
        raise RegistryError(f"unknown {ot.name} id {oid!r}{did_you_mean(oid, state.index)}")
    eff = parse_date(date, what="--date") if date is not None else today
    if eff > today:
        raise RegistryError(f"{ot.name} {oid}: date {eff} is in the future (today is {today})")
    old = {f: coerce_value(t, state.at[oid, f]) for f, t in ot.schema.items() if f != ot.id_field}
    new = dict(old)
    for field, value in values.items():
        if field not in ot.schema or field == ot.id_field:
            raise RegistryError(
                f"{ot.name} {oid}: unknown field {field!r}{did_you_mean(field, ot.editable)}; "
                f"editable: {', '.join(ot.editable)}"
            )
        new[field] = coerce_value(ot.schema[field], value, what=f"{ot.name} {oid} {field}")
    given = set(values)

    # status lifecycle
    if new["status"] not in ot.statuses:
        raise RegistryError(
            f"{ot.name} {oid}: unknown status {new['status']!r}{did_you_mean(str(new['status']), ot.statuses)}; "
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
            raise RegistryError(f"{ot.name} {oid}: {f} must be >= 0, got {show_value(new[f])}")
    if ot.name == "pit":
        tv, vv = new["treated_m2"], new["verified_m2"]
        if tv is not None and vv is not None and tv > vv * (1 + 1e-9) + 1e-9:
            raise RegistryError(
                f"pit {oid}: treated_m2 {show_value(tv)} is above the verified area verified_m2 {show_value(vv)}"
            )
    else:
        sr = new["survival_rate"]
        if sr is not None and not 0 <= sr <= 1:
            raise RegistryError(
                f"plot {oid}: survival_rate is a share from 0 to 1, got {show_value(sr)}"
                + (f" (write {sr / 100:g} for {sr:g}%)" if 1 < sr <= 100 else "")
            )
        if new["kind"] not in PLOT_KINDS:
            raise RegistryError(
                f"plot {oid}: unknown kind {new['kind']!r}; allowed: {', '.join(PLOT_KINDS)}"
            )

    # dates
    changed = [f for f in new if not same_value(ot.schema[f], old[f], new[f])]
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


def indexed(state: pd.DataFrame, ot: ObjectType) -> pd.DataFrame:
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
    state = indexed(state, ot).copy()
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
            + ", ".join(f"{c!r}{did_you_mean(c, ot.editable)}" for c in unknown)
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
            c: row[c] for c in cols if c not in (ot.id_field, "date") and not is_missing(row[c])
        }
        row_date = row["date"] if "date" in cols and not is_missing(row["date"]) else date
        try:
            if oid not in state.index:
                if not add_new:
                    raise RegistryError(
                        f"unknown {ot.name} id {oid!r}{did_you_mean(oid, state.index)}; "
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
            f"{label}: unknown status {rec['status']!r}{did_you_mean(str(rec['status']), ot.statuses)}; "
            f"allowed: {', '.join(ot.statuses)}"
        )
    for f in ot.area_fields:
        if rec[f] is not None and rec[f] < 0:
            raise RegistryError(f"{label}: {f} must be >= 0, got {show_value(rec[f])}")
    finished = ot.statuses[ot.statuses.index("in_progress") + 1 :]
    area = "treated_m2" if ot.name == "pit" else "completed_mu"
    if rec["status"] in finished and not (rec[area] or 0) > 0:
        raise RegistryError(f"{label}: status {rec['status']} needs {area} > 0")
    if ot.name == "pit":
        tv, vv = rec["treated_m2"], rec["verified_m2"]
        if tv is not None and vv is not None and tv > vv * (1 + 1e-9) + 1e-9:
            raise RegistryError(
                f"{label}: treated_m2 {show_value(tv)} is above the verified area verified_m2 {show_value(vv)}"
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
            raise RegistryError(
                f"{label}: survival_rate is a share from 0 to 1, got {show_value(sr)}"
            )
        if rec["kind"] not in PLOT_KINDS:
            raise RegistryError(
                f"{label}: unknown kind {rec['kind']!r}; allowed: {', '.join(PLOT_KINDS)}"
            )
    for f, t in ot.schema.items():
        if t == "date" and rec[f] is not None and _dt.date.fromisoformat(rec[f]) > today:
            raise RegistryError(f"{label}: {f} {rec[f]} is in the future (today is {today})")

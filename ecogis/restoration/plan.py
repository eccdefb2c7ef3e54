"""Restoration changes: values, objects, updates and imports, validated before they are written.

Everything here works on DataFrames: the registry store (:mod:`ecogis.restoration.store`)
reads and writes them. Every change to an object is a :class:`Change` (one field, old and new
value, the date it happened); the store's triggers append one event per change.

Input is read as clerks write it: statuses and kinds in English or Chinese
(:func:`~ecogis.restoration.model.parse_term`), dates as ``2023-06-01``, ``2023/6/1``,
``2023.6.1`` or ``2023年6月1日`` (:func:`parse_date`), ids trimmed and folded
(:func:`~ecogis.restoration.model.fold_id`), column titles in either language.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..errors import RegistryError
from ..i18n import _, label_of
from .model import (
    CREATED,
    NEW_REQUIRED,
    NEXT_STATUS,
    OBJECT_LABELS,
    PLOT_KINDS,
    YEAR_MIN,
    ObjectType,
    field_for_header,
    fold_id,
    fold_text,
    object_type,
    parse_term,
)

__all__ = [
    "Change",
    "normalize_objects",
    "coerce_value",
    "encode_value",
    "parse_date",
    "check_date",
    "plan_update",
    "plan_import",
    "baseline_history",
    "show_value",
    "same_value",
    "did_you_mean",
    "suggest",
    "resolve_id",
    "is_missing",
    "dtype_of",
    "indexed",
    "what_of",
]

#: the first day an event or a date field may carry
DATE_MIN = _dt.date(YEAR_MIN, 1, 1)
#: integers a registry column holds (SQLite and PostgreSQL store 64-bit integers at most)
_INT_MAX = 2**63 - 1


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
    #: the event's note when it differs from the write's (the baseline says where a date came from)
    note: str | None = None

    def describe(self) -> str:
        what = what_of(self.object_type, self.object_id)
        if self.field == CREATED and isinstance(self.new, Mapping):
            ot = object_type(self.object_type)
            keys = [f for f in NEW_REQUIRED[ot.name] if f != ot.id_field] + ["status"]
            shown = ", ".join(f"{k} {show_value(self.new.get(k))}" for k in keys)
            return _("{what}: new ({fields})").format(what=what, fields=shown)
        return _("{what}: {field} {old} -> {new}").format(
            what=what, field=self.field, old=show_value(self.old), new=show_value(self.new)
        )


def what_of(otype: str, object_id: Any) -> str:
    """``pit P001`` / ``采坑 P001``: an object as messages name it."""
    return _("{kind} {id}").format(
        kind=label_of(OBJECT_LABELS, object_type(otype).name), id=object_id
    )


def show_value(v: Any) -> str:
    if v is None:
        return _("(empty)")
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


# 2023-06-01, 2023/6/1, 2023.6.1, 2023年6月1日 (full-width digits are folded first)
_DATE_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_COMPACT_RE = re.compile(r"(\d{4})(\d{2})(\d{2})")
# a time after the date, as spreadsheets write it ("2023-06-01 00:00:00", "...T08:00")
_TIME_RE = re.compile(r"\s*T?\s*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?")


def parse_date(value: Any, *, what: str = "date") -> _dt.date:
    """A date from ``2023-06-01``, ``2023/6/1``, ``2023.6.1``, ``2023年6月1日``, ``20230601``,
    a date / datetime (an Excel date cell) or a timestamp; RegistryError otherwise."""
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, pd.Timestamp):
        return value.date()
    text = fold_text(value)
    m = _DATE_RE.fullmatch(text) or _COMPACT_RE.fullmatch(text)
    if m is None:
        m = _DATE_RE.match(text)
        if m is not None and not _TIME_RE.fullmatch(text[m.end() :]):
            m = None
    if m is not None:
        try:
            return _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            pass
    raise RegistryError(
        _(
            "{what}: {value!r} is not a date; write YYYY-MM-DD (2023-06-01, 2023/6/1, 2023年6月1日)"
        ).format(what=what, value=str(value))
    )


def check_date(day: _dt.date, *, what: str, today: _dt.date | None = None) -> _dt.date:
    """``day`` if it lies from 1949-01-01 to ``today``; RegistryError naming ``what`` else."""
    today = today or _dt.date.today()
    if day > today:
        raise RegistryError(
            _("{what} {day} is in the future (today is {today})").format(
                what=what, day=day, today=today
            )
        )
    if day < DATE_MIN:
        raise RegistryError(
            _("{what} {day} is before {first}; dates run from {first} to today").format(
                what=what, day=day, first=DATE_MIN
            )
        )
    return day


def _check_year(year: Any, *, what: str, today: _dt.date) -> None:
    if year is not None and not YEAR_MIN <= year <= today.year + 1:
        raise RegistryError(
            _("{what} {year} is not a plan year; allowed: {first} to {last}").format(
                what=what, year=year, first=YEAR_MIN, last=today.year + 1
            )
        )


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
            out = float(fold_text(value) if isinstance(value, str) else value)
        except (TypeError, ValueError, OverflowError):
            raise RegistryError(
                _("{what}: {value!r} is not a number").format(what=what, value=value)
            ) from None
        if not math.isfinite(out):
            raise RegistryError(
                _("{what}: {value!r} is not a finite number").format(what=what, value=value)
            )
        return out
    if ftype == "int":
        return _coerce_int(value, what)
    if ftype == "date":
        return parse_date(value, what=what).isoformat()
    raise AssertionError(ftype)


def _coerce_int(value: Any, what: str) -> int:
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        out = value
    else:
        text = fold_text(value) if isinstance(value, str) else value
        if isinstance(text, str) and re.fullmatch(r"[+-]?\d+", text):
            out = int(text)  # exact: float() would round 20 digits and hide the overflow
        else:
            try:
                f = float(text)
            except (TypeError, ValueError, OverflowError):
                raise RegistryError(
                    _("{what}: {value!r} is not a whole number").format(what=what, value=value)
                ) from None
            if not math.isfinite(f) or not f.is_integer():
                raise RegistryError(
                    _("{what}: {value!r} is not a whole number").format(what=what, value=value)
                )
            out = int(f)
    if abs(out) > _INT_MAX:
        raise RegistryError(
            _("{what}: {value} is too large for a whole number").format(what=what, value=value)
        )
    return out


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


# ------------------------------------------------------------------------------ ids


def _numeric_key(word: str) -> str:
    """``ZXB-KK-07`` and ``ZXB-KK-007`` alike: folded, case-free, leading zeros dropped."""
    return re.sub(r"\d+", lambda m: str(int(m.group())), fold_id(word).casefold())


def _distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of ``a`` and ``b`` (``limit + 1`` once it exceeds ``limit``)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        cur = [i]
        for j, cb in enumerate(b, start=1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > limit:
            return limit + 1
        prev = cur
    return prev[-1]


def suggest(word: str, options: Iterable[str], *, n: int = 3) -> list[str]:
    """The known ids / names closest to ``word``: first those equal but for case, full-width
    characters or leading zeros (``ZXB-KK-07`` -> ``ZXB-KK-007``), then by edit distance."""
    opts = list(dict.fromkeys(str(o) for o in options))
    word = str(word)
    key = _numeric_key(word)
    same = [o for o in opts if _numeric_key(o) == key and o != word]
    folded = fold_id(word).casefold()
    limit = max(1, min(3, len(folded) // 4))
    scored = []
    for o in opts:
        if o in same or o == word:
            continue
        d = _distance(folded, fold_id(o).casefold(), limit)
        if d <= limit:
            scored.append((d, o))
    return (same + [o for _d, o in sorted(scored)])[:n]


def did_you_mean(word: str, options: Iterable[str]) -> str:
    matches = suggest(word, options)
    return _(" (did you mean {options}?)").format(options=", ".join(matches)) if matches else ""


def resolve_id(object_id: Any, ids: Iterable[str]) -> str | None:
    """The stored id that ``object_id`` means (trimmed and folded: ``" ＺＸＢ－ＫＫ－００７"``
    is ``ZXB-KK-007``), or None."""
    return _id_lookup(ids)(object_id)


def _id_lookup(ids: Iterable[str]):
    """``lookup(object_id) -> stored id or None`` over ``ids`` (see :func:`resolve_id`)."""
    known = {str(i) for i in ids}
    folded: dict[str, str | None] = {}
    for i in known:
        f = fold_id(i)
        folded[f] = None if f in folded else i  # two stored ids that fold alike: ambiguous

    def lookup(object_id: Any) -> str | None:
        oid = str(object_id)
        return oid if oid in known else folded.get(fold_id(oid))

    return lookup


def _unknown_id(ot: ObjectType, oid: str, known: Iterable[str]) -> RegistryError:
    return RegistryError(
        _("unknown {kind} id {id!r}{hint}").format(
            kind=label_of(OBJECT_LABELS, ot.name), id=oid, hint=did_you_mean(oid, known)
        )
    )


# ------------------------------------------------------------------------------ objects


def _term(ot: ObjectType, field: str, value: Any, what: str) -> Any:
    """Statuses and kinds as people write them (Chinese labels, aliases) -> their keys."""
    if (
        is_missing(value)
        or field not in ("status", "kind")
        or (field == "kind" and ot.name != "plot")
    ):
        return value
    return parse_term(ot.name, field, value, what=what)


def normalize_objects(gdf: pd.DataFrame, otype: str, *, name: str | None = None) -> pd.DataFrame:
    """Bring a pits / plots layer to the registry schema.

    Keeps the schema columns (and geometry), fills missing ones (status ``untreated`` /
    ``planned``, areas 0; a pit's ``verified_m2`` defaults to its geometry area, which must
    then be in a projected CRS), converts types (statuses and kinds may be Chinese, ids are
    trimmed and folded) and refuses duplicate or missing ids, unknown statuses / kinds, plan
    years outside 1949..next year, dates outside 1949-01-01..today and dates that contradict
    the status (a completion date on a pit not yet treated).
    """
    ot = object_type(otype)
    label = name or ot.table
    today = _dt.date.today()
    if ot.id_field not in gdf.columns:
        raise RegistryError(
            _("{layer}: no {field!r} column; columns: {columns}").format(
                layer=label, field=ot.id_field, columns=", ".join(map(str, gdf.columns))
            )
        )
    out = gdf.copy()
    geom = out.geometry.name if hasattr(out, "geometry") and "geometry" in out else None
    out[ot.id_field] = [
        None if is_missing(v) else fold_id(coerce_value("text", v)) for v in out[ot.id_field]
    ]
    for field, ftype in ot.schema.items():
        if field not in out.columns:
            if field == "verified_m2" and geom is not None:
                out[field] = out.geometry.area
            else:
                out[field] = ot.defaults.get(field)
        values = []
        for i, v in zip(out.index, out[field], strict=True):
            what = _("{layer} {id} {field}").format(
                layer=label, id=out.at[i, ot.id_field], field=field
            )
            v = coerce_value(ftype, _term(ot, field, v, what), what=what)
            if v is None and field in ot.defaults:
                v = ot.defaults[field]
            values.append(v)
        out[field] = pd.Series(values, index=out.index, dtype=dtype_of(ftype))
    ids = out[ot.id_field]
    if ids.isna().any():
        raise RegistryError(
            _("{layer}: {n} feature(s) without {field}").format(
                layer=label, n=int(ids.isna().sum()), field=ot.id_field
            )
        )
    dup = ids[ids.duplicated()].unique().tolist()
    if dup:
        raise RegistryError(
            _("{layer}: duplicate {field}: {ids}").format(
                layer=label, field=ot.id_field, ids=", ".join(map(str, dup[:10]))
            )
        )
    for _i, rec in out[list(ot.schema)].iterrows():
        what = _("{layer} {id}").format(layer=label, id=rec[ot.id_field])
        _check_record(ot, rec, what=what, today=today)
    cols = list(ot.schema) + ([geom] if geom else [])
    return out[cols]


def _check_record(ot: ObjectType, rec: Mapping[str, Any], *, what: str, today: _dt.date) -> None:
    """An object as a layer records it: plan year, dates, and dates that fit the status."""
    year = rec[ot.year_field]
    _check_year(None if pd.isna(year) else int(year), what=f"{what}: {ot.year_field}", today=today)
    if ot.name == "plot" and rec["kind"] not in PLOT_KINDS:
        raise RegistryError(
            _("{what}: unknown kind {kind!r}; allowed: {allowed}").format(
                what=what, kind=rec["kind"], allowed=", ".join(PLOT_KINDS)
            )
        )
    status = rec["status"]
    rank = ot.statuses.index(status)
    for f, dated_status in ot.dated.items():
        value = rec[f]
        if is_missing(value):
            continue
        check_date(_dt.date.fromisoformat(value), what=f"{what}: {f}", today=today)
        if rank < ot.statuses.index(dated_status):
            raise RegistryError(
                _(
                    "{what}: {field} {day} but status {status}; a {field} belongs to a "
                    "{kind} that is {dated} or later"
                ).format(
                    what=what,
                    field=f,
                    day=value,
                    status=status,
                    kind=label_of(OBJECT_LABELS, ot.name),
                    dated=dated_status,
                )
            )
    dates = [(f, rec[f]) for f in ot.dated if not is_missing(rec[f])]
    for (f1, d1), (f2, d2) in zip(dates, dates[1:], strict=False):
        if d2 < d1:
            raise RegistryError(
                _("{what}: {later} {d2} is before {earlier} {d1}").format(
                    what=what, later=f2, d2=d2, earlier=f1, d1=d1
                )
            )


def dtype_of(ftype: str) -> str:
    return {"real": "float64", "int": "Int64"}.get(ftype, "object")


# ------------------------------------------------------------------------------ baseline


def baseline_history(
    objects: pd.DataFrame, otype: str, *, baseline: _dt.date | None = None
) -> tuple[pd.DataFrame, list[Change]]:
    """The known past of objects as a layer records them today: ``(earliest, changes)``.

    A layer says where each object stands now; its date fields (a pit's ``completed_on`` and
    ``accepted_on``) say when it got there. ``earliest`` is each object before its first
    dated step (a pit treated on 2022-10-25 was not treated before: status ``untreated``,
    no treated area); ``changes`` are the dated steps (status, area, date field) with those
    effective dates, in order, so that replaying them on ``earliest`` gives the layer's state.
    A status that the dates do not reach (accepted, with no ``accepted_on``) is one more step
    dated ``baseline`` (default today): the day the layer was recorded. Objects without dates
    keep their recorded state.
    """
    ot = object_type(otype)
    earliest = indexed(objects, ot).copy()
    changes: list[Change] = []
    if not ot.dated:
        return earliest, changes
    baseline = baseline or _dt.date.today()
    first = ot.statuses[0]
    done_rank = ot.statuses.index(ot.done_status)
    for oid, rec in indexed(objects, ot)[list(ot.schema)].iterrows():
        rec = {f: coerce_value(t, rec[f]) for f, t in ot.schema.items()}
        steps = [(f, st) for f, st in ot.dated.items() if rec[f] is not None]
        if not steps:
            continue
        state = dict(rec)
        for f in ot.dated:
            state[f] = None
        first_status = steps[0][1]
        if first_status == ot.done_status:
            # not done before its first date; how far the work had got is not recorded
            state["status"] = first
            state[ot.done_area] = ot.defaults.get(ot.done_area)
        else:  # done before an undated step: the first dated stage's predecessor
            state["status"] = ot.statuses[max(done_rank, ot.statuses.index(first_status) - 1)]
        for f, value in state.items():
            earliest.at[oid, f] = value
        for f, st in steps:
            new = dict(state, status=st, **{f: rec[f]})
            if st == ot.done_status:
                new[ot.done_area] = rec[ot.done_area]
            note = _("baseline: {field} in the layer").format(field=f)
            changes += _steps(ot, oid, state, new, rec[f], note)
            state = new
        if state != rec:  # the recorded status goes beyond the last date
            note = _("baseline: no date in the layer; as recorded on {day}").format(day=baseline)
            changes += _steps(ot, oid, state, rec, baseline.isoformat(), note)
    return earliest, changes


def _steps(ot, oid, old: dict, new: dict, day: str, note: str) -> list[Change]:
    return [
        Change(ot.name, str(oid), f, old[f], new[f], day, note=note)
        for f, t in ot.schema.items()
        if not same_value(t, old[f], new[f])
    ]


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
    reason: str | None = None,
) -> list[Change]:
    """Validate an update of one object and return the changes it makes.

    Parameters
    ----------
    state
        Current attributes of every object of the type, indexed by id (or with the id column).
    otype
        ``pit`` or ``plot``.
    object_id
        The id (trimmed and folded; unknown ids raise with the closest known ids).
    values
        Field -> new value (``None`` / empty clears a field). Statuses and kinds may be
        written in Chinese; dates as :func:`parse_date` reads them.
    date
        When the change happened (default ``today``); becomes the events' ``effective_date``
        and fills ``completed_on`` / ``accepted_on`` when a pit becomes treated / accepted.
    today
        Today's date (for tests); dates after it are refused.
    force
        Allow moving a status backwards (dates of later stages are cleared) and a plot's
        completed area above its planned area; needs ``reason``.
    reason
        Why ``force`` was needed (the note kept with the events).

    Returns
    -------
    list of Change
        Only fields whose value changes; empty when nothing changes.

    Raises
    ------
    RegistryError
        Unknown id or field, impossible status transition, negative area, treated area above
        the verified area, completed area above the planned area (without ``force``), survival
        rate outside 0-1, plan years outside 1949..next year, dates in the future, before 1949
        or before the plan year.
    """
    ot = object_type(otype)
    state = indexed(state, ot)
    today = today or _dt.date.today()
    oid = resolve_id(object_id, state.index)
    if oid is None:
        raise _unknown_id(ot, str(object_id), state.index)
    what = what_of(ot.name, oid)
    eff = parse_date(date, what="--date") if date is not None else today
    check_date(eff, what=_("{what}: date").format(what=what), today=today)
    old = {f: coerce_value(t, state.at[oid, f]) for f, t in ot.schema.items() if f != ot.id_field}
    new = dict(old)
    for field, value in values.items():
        if field not in ot.schema or field == ot.id_field:
            raise RegistryError(
                _("{what}: unknown field {field!r}{hint}; editable: {editable}").format(
                    what=what,
                    field=field,
                    hint=did_you_mean(field, ot.editable),
                    editable=", ".join(ot.editable),
                )
            )
        fwhat = f"{what} {field}"
        new[field] = coerce_value(ot.schema[field], _term(ot, field, value, fwhat), what=fwhat)
    given = set(values)
    forced: list[str] = []

    # status lifecycle
    if new["status"] not in ot.statuses:  # a stored value no vocabulary knows
        raise RegistryError(
            _("{what}: unknown status {status!r}; allowed: {allowed}").format(
                what=what, status=new["status"], allowed=", ".join(ot.statuses)
            )
        )
    before, after = old["status"], new["status"]
    if after != before:
        allowed = NEXT_STATUS[ot.name].get(before, ())
        backwards = ot.statuses.index(after) < ot.statuses.index(before)
        if after not in allowed and not (backwards and force):
            hint = _(" (going back needs --force)") if backwards else ""
            nxt = ", ".join(allowed) or _("none (final state)")
            raise RegistryError(
                _("{what}: cannot change status {old} -> {new}{hint}; allowed next: {next}").format(
                    what=what, old=before, new=after, hint=hint, next=nxt
                )
            )
        if after not in allowed:
            forced.append(_("status {old} -> {new}").format(old=before, new=after))
        if ot.dated:
            rank = ot.statuses.index(after)
            for f, dated_status in ot.dated.items():
                if f in given:
                    continue
                if after == dated_status:  # becoming treated / accepted dates that step
                    new[f] = eff.isoformat()
                elif rank < ot.statuses.index(dated_status):  # a forced step back undoes it
                    new[f] = None
        flag = "--" + ot.done_area.replace("_", "-")
        if after == ot.done_status and not (new[ot.done_area] or 0) > 0:
            raise RegistryError(
                _("{what}: status {status} needs {area} > 0; pass {flag}").format(
                    what=what, status=ot.done_status, area=ot.done_area, flag=flag
                )
            )

    # areas and rates
    for f in ot.area_fields:
        if new[f] is not None and new[f] < 0:
            raise RegistryError(
                _("{what}: {field} must be >= 0, got {value}").format(
                    what=what, field=f, value=show_value(new[f])
                )
            )
    done, limit = new[ot.done_area], new[ot.limit_area]
    over = done is not None and limit is not None and done > limit * (1 + 1e-9) + 1e-9
    if over and ot.name == "pit":
        raise RegistryError(
            _(
                "{what}: treated_m2 {treated} is above the verified area verified_m2 {verified}"
            ).format(what=what, treated=show_value(done), verified=show_value(limit))
        )
    area_changed = not same_value("real", done, old[ot.done_area]) or not same_value(
        "real", limit, old[ot.limit_area]
    )
    if over and area_changed:  # a record that was already over stays editable otherwise
        if not force:
            raise RegistryError(
                _(
                    "{what}: {done} {value} is above the planned area {limit} {planned}; check "
                    "the number, or pass --force with --note giving the reason"
                ).format(
                    what=what,
                    done=ot.done_area,
                    value=show_value(done),
                    limit=ot.limit_area,
                    planned=show_value(limit),
                )
            )
        forced.append(_("{done} above {limit}").format(done=ot.done_area, limit=ot.limit_area))
    if ot.name == "plot":
        sr = new["survival_rate"]
        if sr is not None and not 0 <= sr <= 1:
            hint = (
                _(" (write {share:g} for {percent:g}%)").format(share=sr / 100, percent=sr)
                if 1 < sr <= 100
                else ""
            )
            raise RegistryError(
                _("{what}: survival_rate is a share from 0 to 1, got {value}{hint}").format(
                    what=what, value=show_value(sr), hint=hint
                )
            )
        if new["kind"] not in PLOT_KINDS:
            raise RegistryError(
                _("{what}: unknown kind {kind!r}; allowed: {allowed}").format(
                    what=what, kind=new["kind"], allowed=", ".join(PLOT_KINDS)
                )
            )
    if forced and (reason is None or not str(reason).strip()):
        raise RegistryError(
            _("{what}: --force ({forced}) needs the reason: give --note (kept in the log)").format(
                what=what, forced="; ".join(forced)
            )
        )

    # years and dates
    changed = [f for f in new if not same_value(ot.schema[f], old[f], new[f])]
    if ot.year_field in changed:
        _check_year(new[ot.year_field], what=f"{what}: {ot.year_field}", today=today)
    plan_year = new.get(ot.year_field)
    for f in changed:
        if ot.schema[f] == "date" and new[f] is not None:
            d = _dt.date.fromisoformat(new[f])
            check_date(d, what=f"{what}: {f}", today=today)
            if plan_year is not None and d.year < plan_year:
                raise RegistryError(
                    _("{what}: {field} {day} is before the plan year {year_field}={year}").format(
                        what=what, field=f, day=d, year_field=ot.year_field, year=plan_year
                    )
                )
    if plan_year is not None and eff.year < plan_year and set(changed) & set(ot.progress_fields):
        raise RegistryError(
            _("{what}: date {day} is before the plan year {year_field}={year}").format(
                what=what, day=eff, year_field=ot.year_field, year=plan_year
            )
        )
    dates = [(f, new[f]) for f in ot.dated if new.get(f)]
    for (f1, d1), (f2, d2) in zip(dates, dates[1:], strict=False):
        if d2 < d1:
            raise RegistryError(
                _("{what}: {later} {d2} is before {earlier} {d1}").format(
                    what=what, later=f2, d2=d2, earlier=f1, d1=d1
                )
            )
    return [
        Change(ot.name, oid, f, old[f], new[f], eff.isoformat()) for f in ot.schema if f in changed
    ]


def indexed(state: pd.DataFrame, ot: ObjectType) -> pd.DataFrame:
    if state.index.name == ot.id_field:
        return state
    if ot.id_field in state.columns:
        return state.set_index(ot.id_field, drop=False).rename_axis(ot.id_field)
    raise RegistryError(_("{table}: no {field} column").format(table=ot.table, field=ot.id_field))


def _import_columns(table: pd.DataFrame, ot: ObjectType, source: str, geom_col) -> dict[str, str]:
    """Column of the file -> registry field (or ``date``), from names or titles in either
    language; unknown columns and two columns for one field are refused."""
    mapping: dict[str, str] = {}
    unknown = []
    for c in table.columns:
        if str(c) in ("geometry", "fid", geom_col):
            continue
        field = field_for_header(ot.name, c)
        if field is None:
            unknown.append(str(c))
        elif field in mapping.values():
            first = next(k for k, v in mapping.items() if v == field)
            raise RegistryError(
                _("{source}: columns {a!r} and {b!r} both give {field}; keep one").format(
                    source=source, a=first, b=str(c), field=field
                )
            )
        else:
            mapping[str(c)] = field
    if unknown:
        raise RegistryError(
            _("{source}: unknown column(s) {columns}; allowed: {allowed}").format(
                source=source,
                columns=", ".join(f"{c!r}{did_you_mean(c, ot.editable)}" for c in unknown),
                allowed=f"{ot.id_field}, date, {', '.join(ot.editable)}",
            )
        )
    return mapping


def plan_import(
    state: pd.DataFrame,
    otype: str,
    table: pd.DataFrame,
    *,
    date: Any = None,
    today: _dt.date | None = None,
    force: bool = False,
    reason: str | None = None,
    source: str = "import",
    add_new: bool = False,
    crs: Any = None,
) -> list[Change]:
    """Changes that a table of updates (one row per object, keyed by id) makes.

    Empty cells mean "no change". Columns are registry fields, by name or by their titles in
    English or Chinese (:func:`~ecogis.restoration.model.field_for_header`); an optional
    ``date`` (日期) column gives each row's effective date (else ``date``). Every row is
    validated like :func:`plan_update`; all problems are reported together and nothing is
    returned unless every row is valid.

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
    columns = _import_columns(table, ot, source, geom_col)
    if ot.id_field not in columns.values():
        shown = ", ".join(map(str, columns)) or _("(none)")
        raise RegistryError(
            _("{source}: no {field!r} column; columns: {columns}").format(
                source=source, field=ot.id_field, columns=shown
            )
        )
    if geom_col is not None:
        rows = table.rename(columns=columns)
    else:
        rows = pd.DataFrame(table).rename(columns=columns)
    cols = list(columns.values())
    ids = rows[ot.id_field].map(
        lambda v: None if is_missing(v) else fold_id(coerce_value("text", v))
    )
    lookup = _id_lookup(state.index)
    ids = ids.map(lambda v: v if v is None else (lookup(v) or v))
    dup = ids[ids.duplicated() & ids.notna()].unique().tolist()
    if dup:
        raise RegistryError(
            _("{source}: {field} listed twice: {ids}").format(
                source=source, field=ot.id_field, ids=", ".join(map(str, dup[:10]))
            )
        )
    unknown_ids = [o for o in ids if o is not None and o not in state.index]
    geoms = None
    if add_new and unknown_ids:
        if geom_col is None:
            shown = ", ".join(map(str, unknown_ids[:10]))
            raise RegistryError(
                _(
                    "{source}: {n} {kind} id(s) not in the registry ({ids}); new {table} need "
                    "their geometry: --add-new takes a GIS layer with polygons (GPKG, SHP, "
                    "GeoJSON), not a spreadsheet; nothing written"
                ).format(
                    source=source,
                    n=len(unknown_ids),
                    kind=label_of(OBJECT_LABELS, ot.name),
                    ids=shown,
                    table=ot.table,
                )
            )
        geoms = _new_geometries(rows, crs, source)
    changes: list[Change] = []
    problems: list[str] = []
    for n, (i, row) in enumerate(rows.iterrows(), start=2):  # row 1 is the header
        oid = ids.loc[i]
        if oid is None:
            problems.append(_("row {n}: no {field}").format(n=n, field=ot.id_field))
            continue
        values = {
            c: row[c] for c in cols if c not in (ot.id_field, "date") and not is_missing(row[c])
        }
        row_date = row["date"] if "date" in cols and not is_missing(row["date"]) else date
        try:
            if oid not in state.index:
                if not add_new:
                    raise RegistryError(
                        _(
                            "unknown {kind} id {id!r}{hint}; to add it as a new {kind} import "
                            "a GIS layer with --add-new"
                        ).format(
                            kind=label_of(OBJECT_LABELS, ot.name),
                            id=oid,
                            hint=did_you_mean(oid, state.index),
                        )
                    )
                planned = [_plan_new(ot, oid, values, geoms.loc[i], date=row_date, today=today)]
            else:
                planned = plan_update(
                    state, ot.name, oid, values, date=row_date, today=today, force=force,
                    reason=reason,
                )  # fmt: skip
        except RegistryError as exc:
            problems.append(_("row {n}: {problem}").format(n=n, problem=exc))
            continue
        changes.extend(planned)
    if problems:
        more = _(" (and {n} more)").format(n=len(problems) - 5) if len(problems) > 5 else ""
        raise RegistryError(
            _("{source}: {n} problem(s), nothing written: {problems}{more}").format(
                source=source, n=len(problems), problems="; ".join(problems[:5]), more=more
            )
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
            _("{source}: the layer has no CRS; new objects need one; nothing written").format(
                source=source
            )
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
    label = _("new {what}").format(what=what_of(ot.name, oid))
    eff = parse_date(date, what="--date") if date is not None else today
    check_date(eff, what=_("{what}: date").format(what=label), today=today)
    missing = [f for f in NEW_REQUIRED[ot.name] if f != ot.id_field and f not in values]
    if missing:
        raise RegistryError(
            _("{what}: {fields} missing; a new {kind} needs {required}").format(
                what=label,
                fields=", ".join(missing),
                kind=label_of(OBJECT_LABELS, ot.name),
                required=", ".join(NEW_REQUIRED[ot.name]),
            )
        )
    gtype = None if geometry is None else geometry.geom_type
    if gtype not in ("Polygon", "MultiPolygon") or geometry.is_empty:
        got = _("no geometry") if gtype is None else (_("empty") if geometry.is_empty else gtype)
        raise RegistryError(
            _("{what}: geometry is {got}; allowed: Polygon, MultiPolygon").format(
                what=label, got=got
            )
        )
    rec: dict[str, Any] = {}
    for f, t in ot.schema.items():
        fwhat = f"{label} {f}"
        v = (
            oid
            if f == ot.id_field
            else coerce_value(t, _term(ot, f, values.get(f), fwhat), what=fwhat)
        )
        rec[f] = ot.defaults.get(f) if v is None else v
    _check_new(ot, label, rec, eff, today)
    if gtype == "Polygon":
        geometry = shapely.MultiPolygon([geometry])
    return Change(ot.name, oid, CREATED, None, rec, eff.isoformat(), shapely.to_wkb(geometry))


def _check_new(ot: ObjectType, label: str, rec: dict[str, Any], eff: _dt.date, today) -> None:
    """The rules :func:`plan_update` applies, for an object recorded as it stands now."""
    for f in ot.area_fields:
        if rec[f] is not None and rec[f] < 0:
            raise RegistryError(
                _("{what}: {field} must be >= 0, got {value}").format(
                    what=label, field=f, value=show_value(rec[f])
                )
            )
    finished = ot.statuses[ot.statuses.index("in_progress") + 1 :]
    if rec["status"] in finished and not (rec[ot.done_area] or 0) > 0:
        raise RegistryError(
            _("{what}: status {status} needs {area} > 0").format(
                what=label, status=rec["status"], area=ot.done_area
            )
        )
    done, limit = rec[ot.done_area], rec[ot.limit_area]
    if done is not None and limit is not None and done > limit * (1 + 1e-9) + 1e-9:
        raise RegistryError(
            _("{what}: {done} {value} is above {limit} {limit_value}").format(
                what=label,
                done=ot.done_area,
                value=show_value(done),
                limit=ot.limit_area,
                limit_value=show_value(limit),
            )
        )
    for f, dated_status in ot.dated.items():
        if ot.statuses.index(rec["status"]) >= ot.statuses.index(dated_status) and rec[f] is None:
            rec[f] = eff.isoformat()
    if ot.name == "plot":
        sr = rec["survival_rate"]
        if sr is not None and not 0 <= sr <= 1:
            raise RegistryError(
                _("{what}: survival_rate is a share from 0 to 1, got {value}").format(
                    what=label, value=show_value(sr)
                )
            )
    _check_record(ot, rec, what=label, today=today)

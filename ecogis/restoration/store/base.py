"""The registry's one write algorithm, over a small dialect interface.

A registry holds ``pits``, ``plots`` and the append-only ``events`` log. Every store reads and
writes them the same way; only the SQL dialect, the geometry encoding and the locks differ.
:class:`Registry` holds the algorithm (load, find, events, update, apply); a store subclass
(:class:`~ecogis.restoration.store.gpkg.GpkgRegistry`,
:class:`~ecogis.restoration.store.postgis.PgRegistry`) supplies the dialect:

``_read()`` / ``_write_transaction(rows)``
    A read transaction (one snapshot), and a write transaction with the locks held and
    database errors turned into :class:`~ecogis.errors.RegistryError` /
    :class:`~ecogis.errors.DataSourceError`.
``_sql(name, **parts)``
    A statement: ``select_field``, ``update_field``, ``insert_event``, ``select_ids``,
    ``id_exists``, ``select_objects``, ``insert_object``, ``events``.
``_geometry_column``, ``_crs``, ``_decode_geometry``, ``_encode_geometry``, ``_now``
    Geometry columns, CRS, geometry values and the clock of the events.
``_after_insert``, ``_after_write``
    Bookkeeping some formats need (a GeoPackage's extents and change times).
``_set_context``, ``_set_effective``, ``_clear_context``
    Who writes (by, note, batch, event time) and the effective date of the next change, for
    the history triggers (:mod:`.history`) to read.

The event log is written by triggers in the database, for ecogis and for every other client
(QGIS, OGR, psql): ecogis only sets the context and changes the tables. A write is: take the
locks, set the context, read the state it validates against (inside the transaction), plan the
changes, check that each change's ``old`` is still what is stored (optimistic: else someone
changed it in between and nothing is written), write each change (its trigger appends the
event), clear the context, commit. Building a registry is the same write: each object is
inserted (its ``*created*`` event), then the dated steps of its known past are applied.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import secrets
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ...errors import RegistryError
from ...i18n import _, label_of
from ..model import (
    CREATED,
    EVENT_COLUMNS,
    NOTE,
    OBJECT_LABELS,
    OBJECT_TYPES,
    ObjectType,
    object_type,
)
from ..plan import (
    Change,
    baseline_history,
    check_date,
    coerce_value,
    did_you_mean,
    dtype_of,
    parse_date,
    plan_update,
    resolve_id,
    same_value,
    what_of,
)

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["Registry", "Plan", "EVENT_COLUMNS", "PAUSE_ENV"]

#: test hook: "N:SECONDS[:MARKER]" pauses inside the write transaction after N changes
#: (writing MARKER first) so a test can kill the process mid-import.
PAUSE_ENV = "ECOGIS_REGISTRY_TEST_PAUSE"

#: ``apply`` accepts changes, or a function that plans them from the locked current state
Plan = Sequence[Change] | Callable[[Callable[[str], pd.DataFrame]], Sequence[Change]]


class Registry:
    """Pits, plots and their event log; the storage comes from a subclass (the dialect).

    Public methods: :meth:`load`, :meth:`load_pits`, :meth:`load_plots`, :meth:`snapshot`,
    :meth:`crs`, :meth:`find`, :meth:`events`, :meth:`update`, :meth:`apply`.
    """

    #: name of the registry in messages (a file name, or URI and schema)
    label: str = "registry"
    #: seconds to wait for another writer's lock
    timeout: float = 60.0
    #: True on the object ``create`` returns when it built the registry (False: it existed)
    built: bool = False

    # -------------------------------------------------------------------- the dialect

    def _read(self) -> contextlib.AbstractContextManager:  # pragma: no cover
        raise NotImplementedError

    def _write_transaction(self, rows) -> contextlib.AbstractContextManager:  # pragma: no cover
        raise NotImplementedError

    def _sql(self, name: str, **parts: Any) -> Any:  # pragma: no cover
        raise NotImplementedError

    def _geometry_column(self, conn, table: str) -> tuple[str, int] | None:  # pragma: no cover
        raise NotImplementedError

    def _crs(self, conn, srid: int):  # pragma: no cover
        raise NotImplementedError

    def _decode_geometry(self, value):  # pragma: no cover
        raise NotImplementedError

    def _encode_geometry(self, geom, srid: int):  # pragma: no cover
        raise NotImplementedError

    def _now(self, conn) -> Any:
        return now_utc()

    def _after_insert(self, conn, table: str, geom) -> None:
        """Called after a new object was inserted (a GeoPackage keeps its extent)."""

    def _after_write(self, conn, tables: list[str], at) -> None:
        """Called after the changes of a write (a GeoPackage records its change time)."""

    def _pause_marker(self, conn) -> str:
        return str(os.getpid())

    def _set_context(
        self, conn, *, at, by: str, note: str | None, batch: str
    ) -> None:  # pragma: no cover
        raise NotImplementedError

    def _set_effective(self, conn, day: str | None, note: str | None) -> None:  # pragma: no cover
        raise NotImplementedError

    def _clear_context(self, conn) -> None:  # pragma: no cover
        raise NotImplementedError

    def _missing_triggers(self, conn) -> list[str]:  # pragma: no cover
        """History triggers that should be there and are not (dropped, or an old registry)."""
        raise NotImplementedError

    # -------------------------------------------------------------------- reads

    def load(self, otype: str, *, geometry: bool = True) -> pd.DataFrame:
        """Current pits or plots: a GeoDataFrame (or DataFrame without geometry), indexed by id."""
        with self._read() as conn:
            return self._load(conn, object_type(otype), geometry=geometry)

    def load_pits(self, *, geometry: bool = True) -> gpd.GeoDataFrame:
        """Current state of every pit, indexed by ``pit_id``."""
        return self.load("pit", geometry=geometry)

    def load_plots(self, *, geometry: bool = True) -> gpd.GeoDataFrame:
        """Current state of every plot, indexed by ``plot_id``."""
        return self.load("plot", geometry=geometry)

    def snapshot(self, *, geometry: bool = True) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """``(pits, plots, events)`` read in one transaction (consistent with each other)."""
        with self._read() as conn:
            return (
                self._load(conn, OBJECT_TYPES["pit"], geometry=geometry),
                self._load(conn, OBJECT_TYPES["plot"], geometry=geometry),
                self._events(conn, None, None, None),
            )

    def crs(self, otype: str):
        """The CRS of the pits or plots geometry (a :class:`pyproj.CRS`, or None)."""
        with self._read() as conn:
            gcol = self._geometry_column(conn, object_type(otype).table)
            return self._crs(conn, gcol[1]) if gcol else None

    def find(self, object_id: str) -> str:
        """``pit`` or ``plot``: the type of the object with this id (RegistryError if none)."""
        return self.resolve(object_id)[0]

    def resolve(self, object_id: str, otype: str | None = None) -> tuple[str, str]:
        """``(otype, stored id)`` of the object ``object_id`` means (trimmed and folded:
        ``" ＺＸＢ－ＫＫ－００７"`` is ``ZXB-KK-007``); RegistryError with the closest ids if none."""
        oid = str(object_id)
        known: list[str] = []
        types = [object_type(otype)] if otype else list(OBJECT_TYPES.values())
        with self._read() as conn:
            for ot in types:
                ids = [r[0] for r in conn.execute(self._sql("select_ids", ot=ot)).fetchall()]
                found = resolve_id(oid, ids)
                if found is not None:
                    return ot.name, found
                known += ids
        if otype:
            raise RegistryError(
                _("unknown {kind} id {id!r}{hint}").format(
                    kind=label_of(OBJECT_LABELS, types[0].name),
                    id=oid,
                    hint=did_you_mean(oid, known),
                )
            )
        raise RegistryError(
            _("{registry}: no pit or plot with id {id!r}{hint}").format(
                registry=self.label, id=oid, hint=did_you_mean(oid, known)
            )
        )

    def events(
        self,
        object_id: str | None = None,
        until: Any = None,
        *,
        otype: str | None = None,
    ) -> pd.DataFrame:
        """The event log in recorded order, optionally for one object and/or up to a date.

        ``until`` keeps events whose ``effective_date`` is on or before that day (baseline
        ``*created*`` events, which have no effective date, are always kept).
        """
        day = parse_date(until, what=_("until")).isoformat() if until is not None else None
        with self._read() as conn:
            return self._events(conn, object_id, day, object_type(otype).name if otype else None)

    def _load(self, conn, ot: ObjectType, *, geometry: bool) -> pd.DataFrame:
        fields = list(ot.schema)
        gcol = self._geometry_column(conn, ot.table) if geometry else None
        rows = conn.execute(self._sql("select_objects", ot=ot, geometry=gcol)).fetchall()
        data = {}
        for j, f in enumerate(fields):
            t = ot.schema[f]
            data[f] = pd.Series([coerce_value(t, r[j]) for r in rows], dtype=dtype_of(t))
        df = pd.DataFrame(data, columns=fields)
        if gcol:
            import geopandas as gpd

            geoms = [self._decode_geometry(r[-1]) for r in rows]
            crs = self._crs(conn, gcol[1])
            df = gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms, crs=crs))
        return df.set_index(ot.id_field, drop=False).rename_axis(ot.id_field)

    def _events(self, conn, object_id, until, otype) -> pd.DataFrame:
        args = [str(object_id)] if object_id is not None else []
        args += [otype] if otype is not None else []
        args += [until] if until is not None else []
        query = self._sql(
            "events",
            object_id=object_id is not None,
            otype=otype is not None,
            until=until is not None,
        )
        rows = conn.execute(query, args).fetchall()
        df = pd.DataFrame(rows, columns=list(EVENT_COLUMNS), dtype=object)
        df["id"] = df["id"].astype("int64")
        return df

    # -------------------------------------------------------------------- writes

    def update(
        self,
        otype: str,
        object_id: str,
        values: dict[str, Any],
        *,
        by: str,
        note: str | None = None,
        date: Any = None,
        force: bool = False,
        today: _dt.date | None = None,
    ) -> list[Change]:
        """Validate and write an update of one object, against its state under the write lock.

        See :func:`ecogis.restoration.plan_update` for the rules (``note`` is the reason a
        ``force`` needs). Returns the changes written.
        """
        ot = object_type(otype)
        oid = self.resolve(object_id, ot.name)[1]
        return self._write(
            lambda state: plan_update(
                state(ot.name), ot.name, oid, values, date=date, force=force, today=today,
                reason=note,
            ),
            by,
            note,
            rows={ot.name: {oid}},
        )  # fmt: skip

    def note(
        self,
        otype: str,
        object_id: str,
        text: str,
        *,
        by: str,
        date: Any = None,
        today: _dt.date | None = None,
    ) -> Change:
        """Record an inspection visit: a dated ``*note*`` event that changes nothing."""
        ot = object_type(otype)
        oid = self.resolve(object_id, ot.name)[1]
        if text is None or not str(text).strip():
            raise RegistryError(_("a note needs its text (--note TEXT)"))
        today = today or _dt.date.today()
        day = parse_date(date, what="--date") if date is not None else today
        check_date(day, what=_("{what}: date").format(what=what_of(ot.name, oid)), today=today)
        change = Change(ot.name, oid, NOTE, None, None, day.isoformat())
        self._write([change], by, str(text).strip(), rows={ot.name: {oid}})
        return change

    def apply(
        self,
        changes: Plan,
        by: str,
        note: str | None = None,
        *,
        batch: str | None = None,
    ) -> list[Change]:
        """Write changes in one transaction; the history triggers append their events.

        Parameters
        ----------
        changes
            A sequence of :class:`~ecogis.restoration.Change` — the objects they touch are
            locked, and each ``old`` must still be the stored value (else nothing is written:
            someone changed it since) — or a function ``plan(state) -> changes`` called with
            the whole registry locked, where ``state(otype)`` returns the current attributes;
            use it to validate against the latest state. A change whose ``field`` is
            :data:`~ecogis.restoration.CREATED` adds a new object (``new`` its attributes,
            ``geometry`` its WKB in the registry's CRS) and its baseline event; the id must
            not exist yet. A :data:`~ecogis.restoration.model.NOTE` change records a note.
        by
            Who records the changes.
        note
            Free text kept with every event.
        batch
            Groups the events of one command (default: a new id).

        Returns
        -------
        list of Change
            What was written (empty: nothing to do, nothing written).
        """
        if callable(changes):
            return self._write(changes, by, note, batch=batch, rows=None)
        changes = list(changes)
        rows: dict[str, set[str]] = {}
        for ch in changes:
            rows.setdefault(object_type(ch.object_type).name, set()).add(str(ch.object_id))
        return self._write(changes, by, note, batch=batch, rows=rows)

    def _write(
        self,
        changes: Plan,
        by: str,
        note: str | None,
        *,
        rows: dict[str, set[str]] | None,
        batch: str | None = None,
    ) -> list[Change]:
        """The one write path. ``rows``: the objects to lock (None: the whole registry)."""
        if not by or not str(by).strip():
            raise RegistryError(_("who records the change is required (--by NAME)"))
        with self._write_transaction(rows) as conn:
            return self._write_in(conn, changes, str(by).strip(), note, rows=rows, batch=batch)

    def _write_in(self, conn, changes: Plan, by: str, note, *, rows, batch=None) -> list[Change]:
        """The body of a write, inside a transaction holding the locks."""
        missing = self._missing_triggers(conn)
        if missing:
            raise RegistryError(
                _(
                    "{registry}: the history triggers are missing ({names}); edits would not "
                    "be recorded, so nothing is written; run 'ecogis registry upgrade'"
                ).format(registry=self.label, names=", ".join(missing))
            )
        batch = batch or new_batch()
        pause = _pause_hook()
        at = self._now(conn)
        self._set_context(conn, at=at, by=by, note=note, batch=batch)
        if callable(changes):
            cache: dict[str, pd.DataFrame] = {}

            def state(otype: str) -> pd.DataFrame:
                ot = object_type(otype)
                if ot.name not in cache:
                    cache[ot.name] = self._load(conn, ot, geometry=False)
                return cache[ot.name]

            changes = changes(state)
        changes = list(changes)
        current = ("", None)  # the effective date and note the context holds
        for n, ch in enumerate(changes, start=1):
            if rows is not None and str(ch.object_id) not in rows.get(
                object_type(ch.object_type).name, ()
            ):
                raise RegistryError(
                    _(
                        "{registry}: planned a change to {what}, which was not locked; "
                        "nothing written"
                    ).format(registry=self.label, what=what_of(ch.object_type, ch.object_id))
                )
            wanted = (ch.effective_date, ch.note or note)
            if wanted != current:
                self._set_effective(conn, ch.effective_date, ch.note or note)
                current = wanted
            self._write_change(conn, ch, at=at, by=by, note=ch.note or note, batch=batch)
            if pause and n == pause[0]:
                if pause[2]:
                    Path(pause[2]).write_text(self._pause_marker(conn))
                time.sleep(pause[1])
        self._clear_context(conn)
        if changes:
            tables = sorted({object_type(c.object_type).table for c in changes})
            self._after_write(conn, tables, at)
        return changes

    def _write_change(self, conn, ch: Change, *, at, by, note, batch) -> None:
        ot = object_type(ch.object_type)
        what = what_of(ot.name, ch.object_id)
        if ch.field == CREATED:
            return self._insert_object(conn, ch)
        if ch.field == NOTE:  # changes nothing: no trigger fires, the event is written here
            self._insert_event(
                conn,
                (at, ch.effective_date, ot.name, str(ch.object_id), NOTE, None, None, by, note,
                 batch, "ecogis"),
            )  # fmt: skip
            return None
        if ch.field not in ot.schema or ch.field == ot.id_field:
            raise RegistryError(
                _("{what}: unknown field {field!r}").format(what=what, field=ch.field)
            )
        ftype = ot.schema[ch.field]
        row = conn.execute(
            self._sql("select_field", ot=ot, field=ch.field), (str(ch.object_id),)
        ).fetchone()
        if row is None:
            raise RegistryError(
                _("unknown {kind} id {id!r}").format(
                    kind=label_of(OBJECT_LABELS, ot.name), id=ch.object_id
                )
            )
        stored = coerce_value(ftype, row[0])
        old = coerce_value(ftype, ch.old)
        if not same_value(ftype, stored, old):
            raise RegistryError(
                _(
                    "{what}: {field} is now {stored!r}, not {old!r} as when the changes were "
                    "prepared (changed by someone else); nothing written, run again"
                ).format(what=what, field=ch.field, stored=stored, old=old)
            )
        new = coerce_value(ftype, ch.new)
        # the history trigger appends the event (old and new as stored)
        conn.execute(self._sql("update_field", ot=ot, field=ch.field), (new, str(ch.object_id)))
        return None

    def _insert_object(self, conn, ch: Change) -> None:
        """A new pit / plot (its trigger records the ``*created*`` event)."""
        import shapely

        ot = object_type(ch.object_type)
        label = _("new {what}").format(what=what_of(ot.name, ch.object_id))
        rec = {f: coerce_value(t, ch.new.get(f)) for f, t in ot.schema.items()}
        if rec[ot.id_field] != str(ch.object_id):
            raise RegistryError(
                _("{what}: attributes name {id!r}").format(what=label, id=rec[ot.id_field])
            )
        if conn.execute(self._sql("id_exists", ot=ot), (rec[ot.id_field],)).fetchone():
            raise RegistryError(
                _(
                    "{what}: that id exists now (added by someone else); nothing written, run again"
                ).format(what=label)
            )
        geom = None if ch.geometry is None else shapely.from_wkb(ch.geometry)
        if geom is not None and geom.geom_type == "Polygon":
            geom = shapely.MultiPolygon([geom])
        if geom is None or geom.geom_type != "MultiPolygon" or geom.is_empty:
            raise RegistryError(_("{what}: geometry must be a (Multi)Polygon").format(what=label))
        gcol = self._geometry_column(conn, ot.table)
        if gcol is None:
            raise RegistryError(
                _("{registry}: table {table} has no geometry column").format(
                    registry=self.label, table=ot.table
                )
            )
        conn.execute(
            self._sql("insert_object", ot=ot, geometry=gcol),
            (*rec.values(), self._encode_geometry(geom, gcol[1])),
        )
        self._after_insert(conn, ot.table, geom)

    def _insert_event(self, conn, values: tuple) -> None:
        conn.execute(self._sql("insert_event"), values)

    def _populate(self, conn, layers, *, by: str, note: str | None) -> list[Change]:
        """Fill a new, empty registry from normalized ``{otype: GeoDataFrame}`` layers: each
        object inserted as it stood before its first dated step, then those steps
        (:func:`~ecogis.restoration.plan.baseline_history`), through the history triggers."""
        import shapely

        created: list[Change] = []
        steps: list[Change] = []
        for otype, gdf in layers.items():
            ot = object_type(otype)
            earliest, changes = baseline_history(gdf, ot.name)
            wkb = shapely.to_wkb(shapely.force_2d(gdf.geometry.to_numpy()))
            for rec, g in zip(records(earliest, ot.schema), wkb, strict=True):
                created.append(Change(ot.name, rec[ot.id_field], CREATED, None, rec, None, g))
            steps += changes
        return self._write_in(conn, [*created, *steps], by, note, rows=None)


# ------------------------------------------------------------------------ helpers


def now_utc() -> str:
    """The time of an event: UTC, ISO 8601 with microseconds and ``Z``."""
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def new_batch() -> str:
    """An id grouping the events of one command."""
    return _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%SZ-") + secrets.token_hex(3)


def _pause_hook() -> tuple[int, float, str] | None:
    raw = os.environ.get(PAUSE_ENV)
    if not raw:
        return None
    parts = raw.split(":", 2)
    return int(parts[0]), float(parts[1]), parts[2] if len(parts) > 2 else ""


def records(gdf: pd.DataFrame, schema: dict[str, str]) -> list[dict]:
    """The schema fields of every row, as Python values (for the baseline events)."""
    return [
        {f: coerce_value(t, rec[f]) for f, t in schema.items()}
        for rec in pd.DataFrame(gdf)[list(schema)].to_dict("records")
    ]


def empty_plots(crs) -> gpd.GeoDataFrame:
    """A plots layer with no plots (a registry built from pits only)."""
    import geopandas as gpd

    return gpd.GeoDataFrame(
        {f: pd.Series([], dtype=object) for f in OBJECT_TYPES["plot"].schema},
        geometry=gpd.GeoSeries([], crs=crs),
        crs=crs,
    )

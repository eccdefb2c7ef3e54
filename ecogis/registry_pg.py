"""The restoration registry in PostGIS: ``pits``, ``plots`` and ``events`` in one schema.

The same interface and semantics as :class:`ecogis.registry.GpkgRegistry`, for a registry
that several staff share on a database server::

    reg = PgRegistry("postgresql://wang@gis.bureau/planning?schema=restoration")
    reg.update("pit", "P001", {"status": "treated", "treated_m2": 5000},
               date="2022-06-30", by="王工")

Tables (schema ``ecogis`` unless the URI's ``?schema=`` or ``schema=`` says otherwise):

``pits``, ``plots``
    ``fid`` primary key, the attribute columns of the registry schema (text, double
    precision, integer, date) with a unique id column, and ``geom geometry(MultiPolygon,
    SRID)`` with a GiST index, so QGIS opens them as ordinary layers.
``events``
    The append-only log; a trigger refuses UPDATE, DELETE and TRUNCATE.

Locking. Every write is one transaction. An update of known objects takes a shared
transaction-level advisory lock on the registry and then ``SELECT ... FOR UPDATE`` on the
objects' rows (in id order, so two writers cannot deadlock), and only then reads the state it
validates against: two staff updating the same pit are serialised, updates of different pits
run side by side. A plan over the whole registry (an import) takes the advisory lock
exclusively, which waits for running updates and holds new ones off until it commits. A
process that dies mid-transaction loses its connection and the server rolls everything back.

Event times come from the server's clock (``clock_timestamp()`` once the locks are held), so
the log is ordered by one clock however many machines write to it. Event ids come from a
sequence: unlike the GeoPackage store they may have gaps (a refused, rolled-back write uses
up ids), but they still follow the order in which changes to any one object were committed.

Credentials are never part of the URI: a password in it is refused (see
:func:`ecogis.io.postgis.parse_postgis_uri`); libpq reads ``PGPASSWORD``, ``~/.pgpass`` or a
service file.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .errors import DataSourceError, RegistryError
from .registry import EVENT_COLUMNS, Plan, Registry, _batch, _pause_hook, _records
from .restoration import (
    CREATED,
    OBJECT_TYPES,
    Change,
    ObjectType,
    coerce_value,
    encode_value,
    normalize_objects,
    object_type,
)

if TYPE_CHECKING:
    import geopandas as gpd
    import psycopg

__all__ = ["PgRegistry", "DEFAULT_SCHEMA"]

#: schema of the registry tables when neither the URI nor the caller names one
DEFAULT_SCHEMA = "ecogis"

_SQL_TYPES = {"text": "text", "real": "double precision", "int": "integer", "date": "date"}
_GEOM = "geom"
_TABLES = ("pits", "plots", "events")
#: first key of the registry's advisory lock ("ECOG"); the second is hashtext(schema)
_LOCK_CLASS = 0x45434F47


class PgRegistry(Registry):
    """Pits, plots and their event log in a PostGIS schema.

    Parameters
    ----------
    uri
        ``postgresql://user@host:port/db`` (libpq URI; ``?host=/var/run/postgresql``,
        ``?service=NAME``, ``sslmode`` ... pass through). No password: use ``PGPASSWORD``,
        ``~/.pgpass`` or a service file. ``?schema=NAME`` names the schema.
    schema
        Schema holding the registry tables; overrides the URI's ``?schema=``
        (default ``ecogis``).
    timeout
        Seconds to wait for another writer's locks before giving up.

    Raises
    ------
    DataSourceError
        Bad URI, a password in it, the server unreachable, or no registry in the schema.
    """

    def __init__(self, uri: str, *, schema: str | None = None, timeout: float = 60.0):
        self.uri = str(uri)
        self.timeout = float(timeout)
        self._src, self.schema = _source(self.uri, schema)
        #: ``postgresql://user@host/db schema NAME`` (no password), for messages
        self.label = f"{self._src.label} schema {self.schema}"
        with self._connect() as conn:
            missing = [t for t in _TABLES if t not in _existing_tables(conn, self.schema)]
        if missing:
            raise DataSourceError(
                f"{self.label}: no ecogis registry here (missing tables: {', '.join(missing)}); "
                "build it with 'ecogis pits init -c CONFIG'"
            )

    def __repr__(self) -> str:
        return f"PgRegistry({self._src.label!r}, schema={self.schema!r})"

    # -------------------------------------------------------------------- creation

    @classmethod
    def exists(cls, uri: str, *, schema: str | None = None) -> bool:
        """True when the schema holds registry tables (connection problems still raise)."""
        src, schema = _source(uri, schema)
        from .io.postgis import connect

        with connect(src) as conn:
            return bool(_existing_tables(conn, schema))

    @classmethod
    def create(
        cls,
        uri: str,
        pits: gpd.GeoDataFrame,
        plots: gpd.GeoDataFrame | None,
        *,
        by: str,
        note: str | None = "initial import",
        overwrite: bool = False,
        schema: str | None = None,
    ) -> PgRegistry:
        """Build a registry from pits and plots layers; each object gets a ``*created*`` event.

        Everything is created in one transaction (the schema too, if missing). With
        ``overwrite`` the existing tables are first moved to the schema
        ``SCHEMA_bak_YYYYmmddHHMMSS`` (their history is never simply discarded).
        """
        import geopandas as gpd
        import shapely
        from psycopg import sql

        from .io.postgis import connect

        src, schema = _source(uri, schema)
        label = f"{src.label} schema {schema}"
        pits = normalize_objects(pits, "pit", name="pits")
        if plots is None:
            plots = gpd.GeoDataFrame(
                {f: pd.Series([], dtype=object) for f in OBJECT_TYPES["plot"].schema},
                geometry=gpd.GeoSeries([], crs=pits.crs),
                crs=pits.crs,
            )
        plots = normalize_objects(plots, "plot", name="plots")
        if pits.crs is None:
            raise RegistryError(f"{label}: the pits layer has no CRS; a PostGIS table needs one")
        srid = pits.crs.to_epsg()
        if srid is None:
            raise RegistryError(
                f"{label}: CRS {pits.crs.to_string()} has no EPSG code; reproject the pits and "
                "plots to an EPSG CRS (e.g. EPSG:4547) first"
            )
        if plots.crs is not None and len(plots) and plots.crs != pits.crs:
            plots = plots.to_crs(pits.crs)
        batch = _batch()
        s = sql.Identifier(schema)
        with connect(src) as conn:
            try:
                with conn.transaction():
                    conn.execute("SET LOCAL lock_timeout = '60s'")
                    _lock(conn, schema, exclusive=True)
                    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(s))
                    old = _existing_tables(conn, schema)
                    if old and not overwrite:
                        raise RegistryError(
                            f"{label}: registry exists; pass --overwrite to rebuild it (the old "
                            "tables are kept in a backup schema)"
                        )
                    if old:
                        bak = f"{schema}_bak_{_dt.datetime.now().strftime('%Y%m%d%H%M%S')}"[:63]
                        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(bak)))
                        for t in old:
                            conn.execute(
                                sql.SQL("ALTER TABLE {} SET SCHEMA {}").format(
                                    sql.Identifier(schema, t), sql.Identifier(bak)
                                )
                            )
                        # the log's trigger function goes along with the log
                        fn = sql.Identifier(schema, "events_append_only")
                        if conn.execute(
                            "SELECT to_regprocedure(%s)", (fn.as_string(conn) + "()",)
                        ).fetchone()[0]:
                            conn.execute(
                                sql.SQL("ALTER FUNCTION {}() SET SCHEMA {}").format(
                                    fn, sql.Identifier(bak)
                                )
                            )
                    _create_tables(conn, schema, srid)
                    at = conn.execute("SELECT clock_timestamp()").fetchone()[0]
                    for ot, gdf in ((OBJECT_TYPES["pit"], pits), (OBJECT_TYPES["plot"], plots)):
                        fields = list(ot.schema)
                        insert = sql.SQL(
                            "INSERT INTO {t} ({cols}, {g}) VALUES ({vals}, "
                            "ST_Multi(ST_GeomFromWKB(%s, {srid})))"
                        ).format(
                            t=sql.Identifier(schema, ot.table),
                            cols=sql.SQL(", ").join(map(sql.Identifier, fields)),
                            g=sql.Identifier(_GEOM),
                            vals=sql.SQL(", ").join(sql.Placeholder() * len(fields)),
                            srid=sql.Literal(srid),
                        )
                        recs = _records(gdf, ot.schema)
                        wkb = shapely.to_wkb(gdf.geometry.to_numpy())
                        with conn.cursor() as cur:
                            cur.executemany(
                                insert, [(*r.values(), g) for r, g in zip(recs, wkb, strict=True)]
                            )
                            cur.executemany(
                                _insert_event(schema),
                                [
                                    (at, None, ot.name, r[ot.id_field], CREATED, None,
                                     json.dumps(r, ensure_ascii=False), by, note, batch)
                                    for r in recs
                                ],
                            )  # fmt: skip
            except _pg_errors() as exc:
                raise RegistryError(
                    f"{label}: cannot build the registry, nothing written: {_one_line(exc)}"
                ) from None
        return cls(uri, schema=schema)

    # -------------------------------------------------------------------- connections

    @contextlib.contextmanager
    def _connect(self) -> Iterator[psycopg.Connection]:
        from .io.postgis import connect

        with connect(self._src) as conn:
            yield conn

    @contextlib.contextmanager
    def _read(self) -> Iterator[psycopg.Connection]:
        """One read-only REPEATABLE READ transaction: every SELECT sees the same snapshot."""
        import psycopg

        with self._connect() as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            try:
                with conn.transaction():
                    yield conn
            except _pg_errors() as exc:
                raise DataSourceError(f"{self.label}: cannot read: {_one_line(exc)}") from None

    # -------------------------------------------------------------------- reads

    def load(self, otype: str, *, geometry: bool = True) -> pd.DataFrame:
        """Current pits or plots: a GeoDataFrame (or DataFrame without geometry), indexed by id."""
        with self._read() as conn:
            return _load(conn, self.schema, object_type(otype), geometry=geometry)

    def crs(self, otype: str):
        """The CRS of the pits or plots geometry (a :class:`pyproj.CRS`, or None)."""
        with self._read() as conn:
            srid = _srid(conn, self.schema, object_type(otype).table)
            return _crs(conn, srid) if srid else None

    def snapshot(self, *, geometry: bool = True) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """``(pits, plots, events)`` read in one transaction (consistent with each other)."""
        with self._read() as conn:
            return (
                _load(conn, self.schema, OBJECT_TYPES["pit"], geometry=geometry),
                _load(conn, self.schema, OBJECT_TYPES["plot"], geometry=geometry),
                _events(conn, self.schema, None, None, None),
            )

    def _read_events(self, object_id, day, otype) -> pd.DataFrame:
        with self._read() as conn:
            return _events(conn, self.schema, object_id, day, otype)

    def find(self, object_id: str) -> str:
        """``pit`` or ``plot``: the type of the object with this id (RegistryError if none)."""
        from psycopg import sql

        oid = str(object_id)
        known: list[str] = []
        with self._read() as conn:
            for ot in OBJECT_TYPES.values():
                ids = [
                    r[0]
                    for r in conn.execute(
                        sql.SQL("SELECT {} FROM {}").format(
                            sql.Identifier(ot.id_field), sql.Identifier(self.schema, ot.table)
                        )
                    )
                ]
                if oid in ids:
                    return ot.name
                known += ids
        from .restoration import _close

        raise RegistryError(f"{self.label}: no pit or plot with id {oid!r}{_close(oid, known)}")

    # -------------------------------------------------------------------- writes

    def apply(
        self,
        changes: Plan,
        by: str,
        note: str | None = None,
        *,
        batch: str | None = None,
    ) -> list[Change]:
        """Write changes and their events in one transaction.

        Parameters
        ----------
        changes
            A sequence of :class:`~ecogis.restoration.Change` — the rows they touch are
            locked, and each ``old`` must still be the stored value (else nothing is written:
            someone changed it since) — or a function ``plan(state) -> changes`` called with
            the whole registry locked, where ``state(otype)`` returns the current attributes.
            A change whose ``field`` is :data:`~ecogis.restoration.CREATED` adds a new object
            (``new`` its attributes, ``geometry`` its WKB in the registry's CRS) and its
            baseline event; the id must not exist yet.
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

    def _write_plan(self, plan, by, note, *, lock) -> list[Change]:
        # row locks on the objects the plan may touch; other objects stay free for other users
        return self._write(plan, by, note, batch=None, rows=lock)

    def _write(
        self, changes: Plan, by: str, note: str | None, *, batch, rows: dict[str, set[str]] | None
    ) -> list[Change]:
        """The one write path. ``rows``: objects to lock (None: lock the whole registry)."""
        import psycopg
        from psycopg import sql

        if not by or not str(by).strip():
            raise RegistryError("who records the change is required (--by NAME)")
        batch = batch or _batch()
        pause = _pause_hook()
        with self._connect() as conn:
            try:
                with conn.transaction():
                    conn.execute(
                        sql.SQL("SET LOCAL lock_timeout = {}").format(
                            sql.Literal(f"{int(self.timeout * 1000)}ms")
                        )
                    )
                    _lock(conn, self.schema, exclusive=rows is None)
                    for otype, ids in sorted((rows or {}).items()):
                        ot = object_type(otype)
                        conn.execute(
                            sql.SQL(
                                "SELECT 1 FROM {t} WHERE {i} = ANY(%s) ORDER BY {i} FOR UPDATE"
                            ).format(
                                t=sql.Identifier(self.schema, ot.table),
                                i=sql.Identifier(ot.id_field),
                            ),
                            (sorted(ids),),
                        ).fetchall()
                    if callable(changes):
                        cache: dict[str, pd.DataFrame] = {}

                        def state(otype: str) -> pd.DataFrame:
                            ot = object_type(otype)
                            if ot.name not in cache:
                                cache[ot.name] = _load(conn, self.schema, ot, geometry=False)
                            return cache[ot.name]

                        changes = list(changes(state))
                    changes = list(changes)
                    at = conn.execute("SELECT clock_timestamp()").fetchone()[0]
                    for n, ch in enumerate(changes, start=1):
                        if rows is not None and str(ch.object_id) not in rows.get(
                            object_type(ch.object_type).name, ()
                        ):
                            raise RegistryError(
                                f"{self.label}: planned a change to {ch.object_type} "
                                f"{ch.object_id}, which was not locked; nothing written"
                            )
                        _write_change(
                            conn, self.schema, ch, at=at, by=str(by), note=note, batch=batch
                        )
                        if pause and n == pause[0]:
                            if pause[2]:
                                Path(pause[2]).write_text(f"{os.getpid()} {conn.info.backend_pid}")
                            time.sleep(pause[1])
            except psycopg.errors.LockNotAvailable:
                raise RegistryError(
                    f"{self.label}: another user kept the registry locked for more than "
                    f"{self.timeout:g} s; nothing written, try again"
                ) from None
            except psycopg.errors.DeadlockDetected:
                raise RegistryError(
                    f"{self.label}: two writers waited for each other; nothing written, try again"
                ) from None
            except psycopg.errors.RaiseException as exc:
                raise RegistryError(f"{self.label}: {_one_line(exc)}; nothing written") from None
            except psycopg.OperationalError as exc:
                raise DataSourceError(
                    f"{self.label}: connection lost, nothing written: {_one_line(exc)}"
                ) from None
            except psycopg.Error as exc:
                raise RegistryError(
                    f"{self.label}: write failed, nothing written: {_one_line(exc)}"
                ) from None
        return changes


# ------------------------------------------------------------------------ helpers


def _source(uri: str, schema: str | None):
    """The parsed URI and the registry schema (argument, else ``?schema=``, else ecogis)."""
    from .io.postgis import _IDENT_RE, parse_postgis_uri

    src = parse_postgis_uri(str(uri))
    if src.table:
        raise DataSourceError(
            f"{src.label}: a registry URI names a database (and ?schema=NAME), not a table "
            f"({src.qualified}); the registry's tables are pits, plots and events"
        )
    schema = schema or src.schema or DEFAULT_SCHEMA
    if not _IDENT_RE.match(schema):
        raise DataSourceError(
            f"{src.label}: bad schema name {schema!r} (no spaces or double quotes, at most 63 bytes)"
        )
    return src, schema


def _pg_errors() -> type[Exception]:
    import psycopg

    return psycopg.Error


def _one_line(exc: BaseException) -> str:
    parts = [p.strip() for p in str(exc).strip().splitlines() if p.strip()]
    return "; ".join(parts) or type(exc).__name__


def _lock(conn, schema: str, *, exclusive: bool) -> None:
    fn = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    conn.execute(f"SELECT {fn}(%s, hashtext(%s))", (_LOCK_CLASS, schema))


def _existing_tables(conn, schema: str) -> list[str]:
    rows = conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
        "AND table_name = ANY(%s)",
        (schema, list(_TABLES)),
    ).fetchall()
    have = {r[0] for r in rows}
    return [t for t in _TABLES if t in have]


def _create_tables(conn, schema: str, srid: int) -> None:
    from psycopg import sql

    for ot in OBJECT_TYPES.values():
        cols = [
            sql.SQL("{} {}{}").format(
                sql.Identifier(f),
                sql.SQL(_SQL_TYPES[t]),
                sql.SQL(" NOT NULL UNIQUE" if f == ot.id_field else ""),
            )
            for f, t in ot.schema.items()
        ]
        conn.execute(
            sql.SQL(
                "CREATE TABLE {t} (fid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, {cols}, "
                "{g} geometry(MultiPolygon, {srid}))"
            ).format(
                t=sql.Identifier(schema, ot.table),
                cols=sql.SQL(", ").join(cols),
                g=sql.Identifier(_GEOM),
                srid=sql.Literal(srid),
            )
        )
        conn.execute(
            sql.SQL("CREATE INDEX {} ON {} USING GIST ({})").format(
                sql.Identifier(f"{ot.table}_{_GEOM}_gist"),
                sql.Identifier(schema, ot.table),
                sql.Identifier(_GEOM),
            )
        )
    ev = sql.Identifier(schema, "events")
    fn = sql.Identifier(schema, "events_append_only")
    conn.execute(
        sql.SQL(
            """CREATE TABLE {ev} (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                "at" timestamptz NOT NULL,
                effective_date date,
                object_type text NOT NULL CHECK (object_type IN ('pit', 'plot')),
                object_id text NOT NULL,
                field text NOT NULL,
                old text,
                new text,
                "by" text NOT NULL,
                note text,
                batch text
            )"""
        ).format(ev=ev)
    )
    conn.execute(sql.SQL("CREATE INDEX events_object ON {} (object_type, object_id)").format(ev))
    conn.execute(sql.SQL("COMMENT ON TABLE {} IS 'restoration event log (append-only)'").format(ev))
    conn.execute(
        sql.SQL(
            "CREATE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'the event log is append-only'; END $$"
        ).format(fn=fn)
    )
    conn.execute(
        sql.SQL(
            "CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON {ev} "
            "FOR EACH ROW EXECUTE FUNCTION {fn}()"
        ).format(ev=ev, fn=fn)
    )
    conn.execute(
        sql.SQL(
            "CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON {ev} "
            "FOR EACH STATEMENT EXECUTE FUNCTION {fn}()"
        ).format(ev=ev, fn=fn)
    )


def _insert_event(schema: str):
    from psycopg import sql

    return sql.SQL(
        'INSERT INTO {} ("at", effective_date, object_type, object_id, field, old, new, "by", '
        "note, batch) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    ).format(sql.Identifier(schema, "events"))


def _write_change(conn, schema: str, ch: Change, *, at, by, note, batch) -> None:
    from psycopg import sql

    from .restoration import _same

    ot = object_type(ch.object_type)
    if ch.field == CREATED:
        return _insert_object(conn, schema, ch, at=at, by=by, note=note, batch=batch)
    if ch.field not in ot.schema or ch.field == ot.id_field:
        raise RegistryError(f"{ot.name} {ch.object_id}: unknown field {ch.field!r}")
    ftype = ot.schema[ch.field]
    table, field, id_field = (
        sql.Identifier(schema, ot.table),
        sql.Identifier(ch.field),
        sql.Identifier(ot.id_field),
    )
    row = conn.execute(
        sql.SQL("SELECT {} FROM {} WHERE {} = %s").format(field, table, id_field),
        (str(ch.object_id),),
    ).fetchone()
    if row is None:
        raise RegistryError(f"unknown {ot.name} id {ch.object_id!r}")
    stored = coerce_value(ftype, row[0])
    old = coerce_value(ftype, ch.old)
    if not _same(ftype, stored, old):
        raise RegistryError(
            f"{ot.name} {ch.object_id}: {ch.field} is now {stored!r}, not {old!r} as when the "
            "changes were prepared (changed by someone else); nothing written, run again"
        )
    new = coerce_value(ftype, ch.new)
    conn.execute(
        sql.SQL("UPDATE {} SET {} = %s WHERE {} = %s").format(table, field, id_field),
        (new, str(ch.object_id)),
    )
    conn.execute(
        _insert_event(schema),
        (at, ch.effective_date, ot.name, str(ch.object_id), ch.field, encode_value(old),
         encode_value(new), by, note, batch),
    )  # fmt: skip


def _insert_object(conn, schema: str, ch: Change, *, at, by, note, batch) -> None:
    """A new pit / plot (geometry in the table's SRID) and its ``*created*`` event."""
    import shapely
    from psycopg import sql

    ot = object_type(ch.object_type)
    rec = {f: coerce_value(t, ch.new.get(f)) for f, t in ot.schema.items()}
    if rec[ot.id_field] != str(ch.object_id):
        raise RegistryError(f"new {ot.name} {ch.object_id}: attributes name {rec[ot.id_field]!r}")
    table = sql.Identifier(schema, ot.table)
    if conn.execute(
        sql.SQL("SELECT 1 FROM {} WHERE {} = %s").format(table, sql.Identifier(ot.id_field)),
        (rec[ot.id_field],),
    ).fetchone():
        raise RegistryError(
            f"new {ot.name} {ch.object_id}: that id exists now (added by someone else); "
            "nothing written, run again"
        )
    geom = None if ch.geometry is None else shapely.from_wkb(ch.geometry)
    if geom is None or geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
        raise RegistryError(f"new {ot.name} {ch.object_id}: geometry must be a (Multi)Polygon")
    srid = _srid(conn, schema, ot.table)
    fields = list(ot.schema)
    conn.execute(
        sql.SQL(
            "INSERT INTO {t} ({cols}, {g}) VALUES ({vals}, ST_Multi(ST_GeomFromWKB(%s, {srid})))"
        ).format(
            t=table,
            cols=sql.SQL(", ").join(map(sql.Identifier, fields)),
            g=sql.Identifier(_GEOM),
            vals=sql.SQL(", ").join(sql.Placeholder() * len(fields)),
            srid=sql.Literal(srid or 0),
        ),
        (*rec.values(), shapely.to_wkb(geom)),
    )
    conn.execute(
        _insert_event(schema),
        (at, ch.effective_date, ot.name, rec[ot.id_field], CREATED, None,
         json.dumps(rec, ensure_ascii=False), by, note, batch),
    )  # fmt: skip


def _srid(conn, schema: str, table: str) -> int | None:
    row = conn.execute(
        "SELECT srid FROM geometry_columns WHERE f_table_schema = %s AND f_table_name = %s "
        "AND f_geometry_column = %s",
        (schema, table, _GEOM),
    ).fetchone()
    return int(row[0]) if row else None


def _crs(conn, srid: int):
    from pyproj import CRS

    if srid <= 0:
        return None
    row = conn.execute(
        "SELECT auth_name, auth_srid, srtext FROM spatial_ref_sys WHERE srid = %s", (srid,)
    ).fetchone()
    if row and row[0] and row[1]:
        with contextlib.suppress(Exception):  # an authority this PROJ does not know
            return CRS.from_authority(str(row[0]), int(row[1]))
    return CRS.from_wkt(row[2]) if row and row[2] else None


def _load(conn, schema: str, ot: ObjectType, *, geometry: bool) -> pd.DataFrame:
    from psycopg import sql

    fields = list(ot.schema)
    cols = sql.SQL(", ").join(map(sql.Identifier, fields))
    if geometry:
        cols = sql.SQL("{}, ST_AsBinary({})").format(cols, sql.Identifier(_GEOM))
    rows = conn.execute(
        sql.SQL("SELECT {} FROM {} ORDER BY fid").format(cols, sql.Identifier(schema, ot.table))
    ).fetchall()
    data = {}
    for j, f in enumerate(fields):
        t = ot.schema[f]
        vals = [coerce_value(t, r[j]) for r in rows]
        data[f] = pd.Series(vals, dtype={"real": "float64", "int": "Int64"}.get(t, "object"))
    df = pd.DataFrame(data, columns=fields)
    if geometry:
        import geopandas as gpd
        import shapely

        srid = _srid(conn, schema, ot.table)
        geoms = [None if r[-1] is None else shapely.from_wkb(bytes(r[-1])) for r in rows]
        crs = _crs(conn, srid) if srid else None
        df = gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms, crs=crs))
    return df.set_index(ot.id_field, drop=False).rename_axis(ot.id_field)


def _events(
    conn, schema: str, object_id: str | None, until: str | None, otype: str | None
) -> pd.DataFrame:
    from psycopg import sql

    where, args = [], []
    if object_id is not None:
        where.append(sql.SQL("object_id = %s"))
        args.append(str(object_id))
    if otype is not None:
        where.append(sql.SQL("object_type = %s"))
        args.append(otype)
    if until is not None:
        where.append(sql.SQL("(effective_date IS NULL OR effective_date <= %s::date)"))
        args.append(until)
    # text exactly as the GeoPackage store keeps it: UTC ISO time with Z, ISO dates
    exprs = {
        "at": sql.SQL("""to_char("at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""),
        "effective_date": sql.SQL("to_char(effective_date, 'YYYY-MM-DD')"),
    }
    cols = sql.SQL(", ").join(exprs.get(c, sql.Identifier(c)) for c in EVENT_COLUMNS)
    query = sql.SQL("SELECT {} FROM {}").format(cols, sql.Identifier(schema, "events"))
    if where:
        query = sql.SQL("{} WHERE {}").format(query, sql.SQL(" AND ").join(where))
    rows = conn.execute(sql.SQL("{} ORDER BY id").format(query), args).fetchall()
    df = pd.DataFrame(rows, columns=list(EVENT_COLUMNS), dtype=object)
    df["id"] = df["id"].astype("int64")
    return df

"""The restoration registry in PostGIS: ``pits``, ``plots`` and ``events`` in one schema.

The same interface and semantics as the GeoPackage store
(:class:`~ecogis.restoration.store.gpkg.GpkgRegistry`), written by the same algorithm
(:mod:`ecogis.restoration.store.base`), for a registry that several staff share on a database
server::

    reg = PgRegistry("postgresql://wang@gis.bureau/planning?schema=restoration")
    reg.update("pit", "P001", {"status": "treated", "treated_m2": 5000},
               date="2022-06-30", by="王工")

Tables (schema ``ecogis`` unless the URI's ``?schema=`` or ``schema=`` says otherwise):

``pits``, ``plots``
    ``fid`` primary key, the attribute columns of the registry schema (text, double
    precision, integer, date) with a unique id column, and ``geom geometry(MultiPolygon,
    SRID)`` with a GiST index, so QGIS opens them as ordinary layers.
``events``
    The append-only log; a trigger refuses UPDATE, DELETE and TRUNCATE. It is written by the
    PL/pgSQL history triggers on ``pits`` and ``plots`` (:mod:`.history`) for every INSERT,
    UPDATE and DELETE, from ecogis or any other client (QGIS, ``psql``): ecogis sets who,
    note, batch, time and effective date as transaction-local settings ``ecogis.*``
    (``set_config(..., true)``); without them an event is an external edit by the
    ``session_user``, dated the server's ``current_date``.

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
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ...errors import DataSourceError, RegistryError
from ...i18n import _
from ..model import EVENT_COLUMNS, OBJECT_TYPES
from ..plan import normalize_objects
from .base import Registry, empty_plots
from .history import POSTGRES, history_triggers

if TYPE_CHECKING:
    import geopandas as gpd
    import psycopg

__all__ = ["PgRegistry", "DEFAULT_SCHEMA"]

#: schema of the registry tables when neither the URI nor the caller names one
DEFAULT_SCHEMA = "ecogis"

_SQL_TYPES = {"text": "text", "real": "double precision", "int": "integer", "date": "date"}
_GEOM = "geom"
_GEOMETRY = {"pits": _GEOM, "plots": _GEOM}
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
            columns = _columns(conn, self.schema, "events")
        if missing:
            raise DataSourceError(
                _(
                    "{registry}: no ecogis registry here (missing tables: {tables}); build it "
                    "with 'ecogis registry init -c CONFIG'"
                ).format(registry=self.label, tables=", ".join(missing))
            )
        #: built before the history triggers (no client column)
        self.legacy = "client" not in columns

    def __repr__(self) -> str:
        return f"PgRegistry({self._src.label!r}, schema={self.schema!r})"

    # -------------------------------------------------------------------- creation

    @classmethod
    def exists(cls, uri: str, *, schema: str | None = None) -> bool:
        """True when the schema holds registry tables (connection problems still raise)."""
        src, schema = _source(uri, schema)
        from ...io.postgis import connect

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
        note: str | None = None,
        overwrite: bool = False,
        exist_ok: bool = False,
        schema: str | None = None,
    ) -> PgRegistry:
        """Build a registry from pits and plots layers: each object gets a ``*created*`` event,
        and the dates of its known past are events with those effective dates.

        Everything is created in one transaction (the schema too, if missing) under the
        registry's exclusive lock, so two first uses at once build it once: with
        ``exist_ok`` the second opens the first's registry. With ``overwrite`` the existing
        tables are first moved to the schema ``SCHEMA_bak_YYYYmmddHHMMSS`` (their history is
        never simply discarded).
        """
        from psycopg import sql

        from ...io.postgis import connect

        src, schema = _source(uri, schema)
        label = f"{src.label} schema {schema}"
        pits = normalize_objects(pits, "pit", name="pits")
        plots = normalize_objects(
            plots if plots is not None else empty_plots(pits.crs), "plot", name="plots"
        )
        if pits.crs is None:
            raise RegistryError(
                _("{registry}: the pits layer has no CRS; a PostGIS table needs one").format(
                    registry=label
                )
            )
        srid = pits.crs.to_epsg()
        if srid is None:
            raise RegistryError(
                _(
                    "{registry}: CRS {crs} has no EPSG code; reproject the pits and plots to an "
                    "EPSG CRS (e.g. EPSG:4547) first"
                ).format(registry=label, crs=pits.crs.to_string())
            )
        if plots.crs is not None and len(plots) and plots.crs != pits.crs:
            plots = plots.to_crs(pits.crs)
        s = sql.Identifier(schema)
        with connect(src) as conn:
            try:
                with conn.transaction():
                    conn.execute("SET LOCAL lock_timeout = '60s'")
                    _lock(conn, schema, exclusive=True)
                    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(s))
                    old = _existing_tables(conn, schema)
                    if old and not overwrite:
                        if exist_ok:
                            return cls(uri, schema=schema)
                        raise RegistryError(
                            _(
                                "{registry}: registry exists; pass --overwrite to rebuild it (the "
                                "old tables are kept in a backup schema)"
                            ).format(registry=label)
                        )
                    if old:
                        _move_to_backup(conn, schema, old)
                    _create_tables(conn, schema, srid)
                    reg = cls._bare(uri, src, schema)
                    reg._populate(conn, {"pit": pits, "plot": plots}, by=by, note=note)
            except _pg_errors() as exc:
                raise RegistryError(
                    _("{registry}: cannot build the registry, nothing written: {error}").format(
                        registry=label, error=_one_line(exc)
                    )
                ) from None
        built = cls(uri, schema=schema)
        built.built = True
        return built

    @classmethod
    def _bare(cls, uri: str, src, schema: str) -> PgRegistry:
        """A registry object inside the transaction that builds it (no checks)."""
        reg = cls.__new__(cls)
        reg.uri, reg.timeout, reg._src, reg.schema = str(uri), 60.0, src, schema
        reg.label, reg.legacy = f"{src.label} schema {schema}", False
        return reg

    def upgrade(self) -> bool:
        """Give a registry built by an older ecogis its history triggers (and the event log
        its client column), in one transaction; False when it has them already."""
        from psycopg import sql

        with self._connect() as conn, conn.transaction():
            _lock(conn, self.schema, exclusive=True)
            done = False
            ev = sql.Identifier(self.schema, "events")
            conn.execute(sql.SQL('ALTER TABLE {} ALTER COLUMN "by" DROP NOT NULL').format(ev))
            if "client" not in _columns(conn, self.schema, "events"):
                conn.execute(
                    sql.SQL("ALTER TABLE {} ADD COLUMN client text").format(
                        sql.Identifier(self.schema, "events")
                    )
                )
                done = True
            if self._missing_triggers(conn):
                for ot in OBJECT_TYPES.values():
                    conn.execute(
                        sql.SQL("DROP TRIGGER IF EXISTS {} ON {}").format(
                            sql.Identifier(ot.table + "_history"),
                            sql.Identifier(self.schema, ot.table),
                        )
                    )
                    conn.execute(
                        sql.SQL("DROP FUNCTION IF EXISTS {}()").format(
                            sql.Identifier(self.schema, ot.table + "_history")
                        )
                    )
                for ddl in history_triggers(POSTGRES, schema=self.schema, geometry=_GEOMETRY):
                    conn.execute(ddl)
                done = True
        self.legacy = False
        return done

    # -------------------------------------------------------------------- transactions

    @contextlib.contextmanager
    def _connect(self) -> Iterator[psycopg.Connection]:
        from ...io.postgis import connect

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
                raise DataSourceError(
                    _("{registry}: cannot read: {error}").format(
                        registry=self.label, error=_one_line(exc)
                    )
                ) from None

    @contextlib.contextmanager
    def _write_transaction(self, rows: dict[str, set[str]] | None) -> Iterator[psycopg.Connection]:
        """A transaction with the registry's advisory lock (shared for row updates, exclusive
        for a plan over the whole registry) and the rows of ``rows`` locked, in id order so
        two writers cannot deadlock; database errors become one-line ecogis errors."""
        import psycopg
        from psycopg import sql

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
                        ot = OBJECT_TYPES[otype]
                        conn.execute(
                            sql.SQL(
                                "SELECT 1 FROM {t} WHERE {i} = ANY(%s) ORDER BY {i} FOR UPDATE"
                            ).format(
                                t=sql.Identifier(self.schema, ot.table),
                                i=sql.Identifier(ot.id_field),
                            ),
                            (sorted(ids),),
                        ).fetchall()
                    yield conn
            except psycopg.errors.LockNotAvailable:
                raise RegistryError(
                    _(
                        "{registry}: another user kept the registry locked for more than "
                        "{seconds:g} s; nothing written, try again"
                    ).format(registry=self.label, seconds=self.timeout)
                ) from None
            except psycopg.errors.DeadlockDetected:
                raise RegistryError(
                    _(
                        "{registry}: two writers waited for each other; nothing written, try again"
                    ).format(registry=self.label)
                ) from None
            except psycopg.errors.RaiseException as exc:
                raise RegistryError(
                    _("{registry}: {error}; nothing written").format(
                        registry=self.label, error=_one_line(exc)
                    )
                ) from None
            except psycopg.OperationalError as exc:
                raise DataSourceError(
                    _("{registry}: connection lost, nothing written: {error}").format(
                        registry=self.label, error=_one_line(exc)
                    )
                ) from None
            except psycopg.Error as exc:
                raise RegistryError(
                    _("{registry}: write failed, nothing written: {error}").format(
                        registry=self.label, error=_one_line(exc)
                    )
                ) from None

    # -------------------------------------------------------------------- dialect

    def _sql(self, name: str, **parts):
        if name == "events":
            parts["legacy"] = getattr(self, "legacy", False)
        return _statement(self.schema, name, **parts)

    def _geometry_column(self, conn, table: str) -> tuple[str, int] | None:
        srid = _srid(conn, self.schema, table)
        return (_GEOM, srid) if srid is not None else None

    def _crs(self, conn, srid: int):
        return _crs(conn, srid)

    def _decode_geometry(self, value):
        import shapely

        return None if value is None else shapely.from_wkb(bytes(value))

    def _encode_geometry(self, geom, srid: int) -> bytes:
        import shapely

        return shapely.to_wkb(geom)

    def _now(self, conn):
        # the server's clock once the locks are held: one clock however many machines write
        return conn.execute("SELECT clock_timestamp()").fetchone()[0]

    def _pause_marker(self, conn) -> str:
        import os

        return f"{os.getpid()} {conn.info.backend_pid}"

    def _set_context(self, conn, *, at, by, note, batch) -> None:
        at = at.isoformat() if hasattr(at, "isoformat") else str(at)
        conn.execute(
            "SELECT set_config('ecogis.client', 'ecogis', true), set_config('ecogis.at', %s, true),"
            " set_config('ecogis.by', %s, true), set_config('ecogis.note', %s, true),"
            " set_config('ecogis.batch', %s, true), set_config('ecogis.effective_date', '', true)",
            (at, by, note or "", batch),
        )

    def _set_effective(self, conn, day, note) -> None:
        conn.execute(
            "SELECT set_config('ecogis.effective_date', %s, true), set_config('ecogis.note', %s, true)",
            (day or "", note or ""),
        )

    def _clear_context(self, conn) -> None:
        conn.execute("SELECT set_config('ecogis.client', '', true)")

    def _missing_triggers(self, conn) -> list[str]:
        rows = conn.execute(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s "
            "AND NOT t.tgisinternal",
            (self.schema,),
        ).fetchall()
        have = {(r[0], r[1]) for r in rows}
        missing = [
            f"{ot.table}_history"
            for ot in OBJECT_TYPES.values()
            if (ot.table, f"{ot.table}_history") not in have
        ]
        if "client" not in _columns(conn, self.schema, "events"):
            missing.append("events.client")
        return missing


# ------------------------------------------------------------------------ helpers


def _statement(schema: str, name: str, **parts):
    """A statement of the registry's SQL (see :mod:`ecogis.restoration.store.base`)."""
    from psycopg import sql

    if name == "insert_event":
        return _insert_event(schema)
    if name == "events":
        where = []
        if parts["object_id"]:
            where.append(sql.SQL("object_id = %s"))
        if parts["otype"]:
            where.append(sql.SQL("object_type = %s"))
        if parts["until"]:
            where.append(sql.SQL("(effective_date IS NULL OR effective_date <= %s::date)"))
        # text exactly as the GeoPackage store keeps it: UTC ISO time with Z, ISO dates
        exprs = {
            "at": sql.SQL("""to_char("at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""),
            "effective_date": sql.SQL("to_char(effective_date, 'YYYY-MM-DD')"),
        }
        if parts.get("legacy"):
            exprs["client"] = sql.SQL("NULL::text")
        cols = sql.SQL(", ").join(exprs.get(c, sql.Identifier(c)) for c in EVENT_COLUMNS)
        query = sql.SQL("SELECT {} FROM {}").format(cols, sql.Identifier(schema, "events"))
        if where:
            query = sql.SQL("{} WHERE {}").format(query, sql.SQL(" AND ").join(where))
        return sql.SQL("{} ORDER BY id").format(query)
    ot = parts["ot"]
    table, id_field = sql.Identifier(schema, ot.table), sql.Identifier(ot.id_field)
    if name == "select_field":
        return sql.SQL("SELECT {} FROM {} WHERE {} = %s").format(
            sql.Identifier(parts["field"]), table, id_field
        )
    if name == "update_field":
        return sql.SQL("UPDATE {} SET {} = %s WHERE {} = %s").format(
            table, sql.Identifier(parts["field"]), id_field
        )
    if name == "select_ids":
        return sql.SQL("SELECT {} FROM {} ORDER BY fid").format(id_field, table)
    if name == "id_exists":
        return sql.SQL("SELECT 1 FROM {} WHERE {} = %s").format(table, id_field)
    fields = sql.SQL(", ").join(map(sql.Identifier, ot.schema))
    if name == "select_objects":
        if parts.get("geometry"):
            fields = sql.SQL("{}, ST_AsBinary({})").format(fields, sql.Identifier(_GEOM))
        return sql.SQL("SELECT {} FROM {} ORDER BY fid").format(fields, table)
    if name == "insert_object":
        return sql.SQL(
            "INSERT INTO {t} ({cols}, {g}) VALUES ({vals}, ST_Multi(ST_GeomFromWKB(%s, {srid})))"
        ).format(
            t=table,
            cols=fields,
            g=sql.Identifier(_GEOM),
            vals=sql.SQL(", ").join(sql.Placeholder() * len(ot.schema)),
            srid=sql.Literal(parts["geometry"][1]),
        )
    raise KeyError(name)


def _source(uri: str, schema: str | None):
    """The parsed URI and the registry schema (argument, else ``?schema=``, else ecogis)."""
    from ...io.postgis import _IDENT_RE, parse_postgis_uri

    src = parse_postgis_uri(str(uri))
    if src.table:
        raise DataSourceError(
            _(
                "{uri}: a registry URI names a database (and ?schema=NAME), not a table "
                "({table}); the registry's tables are pits, plots and events"
            ).format(uri=src.label, table=src.qualified)
        )
    schema = schema or src.schema or DEFAULT_SCHEMA
    if not _IDENT_RE.match(schema):
        raise DataSourceError(
            _(
                "{uri}: bad schema name {schema!r} (no spaces or double quotes, at most 63 bytes)"
            ).format(uri=src.label, schema=schema)
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
                "by" text,
                note text,
                batch text,
                client text
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
    for ddl in history_triggers(POSTGRES, schema=schema, geometry=_GEOMETRY):
        conn.execute(ddl)


def _columns(conn, schema: str, table: str) -> set[str]:
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = %s "
        "AND table_name = %s",
        (schema, table),
    ).fetchall()
    return {r[0] for r in rows}


def _move_to_backup(conn, schema: str, old: list[str]) -> None:
    """Move a registry's tables (and their trigger functions) to SCHEMA_bak_YYYYmmddHHMMSS."""
    from psycopg import sql

    bak = f"{schema}_bak_{_dt.datetime.now().strftime('%Y%m%d%H%M%S')}"[:63]
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(bak)))
    for t in old:
        conn.execute(
            sql.SQL("ALTER TABLE {} SET SCHEMA {}").format(
                sql.Identifier(schema, t), sql.Identifier(bak)
            )
        )
    # the trigger functions go along with their tables
    for name in ("events_append_only", "pits_history", "plots_history"):
        fn = sql.Identifier(schema, name)
        if conn.execute("SELECT to_regprocedure(%s)", (fn.as_string(conn) + "()",)).fetchone()[0]:
            conn.execute(
                sql.SQL("ALTER FUNCTION {}() SET SCHEMA {}").format(fn, sql.Identifier(bak))
            )


def _insert_event(schema: str):
    from psycopg import sql

    return sql.SQL(
        'INSERT INTO {} ("at", effective_date, object_type, object_id, field, old, new, "by", '
        "note, batch, client) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    ).format(sql.Identifier(schema, "events"))


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

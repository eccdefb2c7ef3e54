"""The GeoPackage dialect of the registry: ``pits``, ``plots`` and ``events`` in one file.

``pits`` and ``plots`` are ordinary GeoPackage feature tables (created by GDAL, GeoPackage 1.2
so that QGIS 3.22 and GDAL 3.6 open them); ``events`` is a registered attribute table holding
the append-only log (triggers refuse UPDATE and DELETE on it), written by the history
triggers on ``pits`` and ``plots`` (:mod:`.history`) for every INSERT, UPDATE and DELETE,
whichever program makes it: QGIS and OGR go through GDAL, whose SQLite fires them too.
ecogis' own writes fill the one-row table ``ecogis_context`` (who, note, batch, time,
effective date) inside their transaction and empty it before they commit.

Every write is one SQLite transaction started with ``BEGIN IMMEDIATE``: the write lock is
taken before the current state is read, so two processes updating at once are serialised and
neither update is lost; a process killed mid-transaction leaves a hot journal that SQLite
rolls back on the next open. A new registry is built in a temporary file and published with a
hard link, which fails if the file appeared meanwhile: two clerks whose first updates build it
at once get one registry, and both updates land in it.

Updates change attribute columns only, through plain SQL; geometry blobs of existing objects are
never touched. Reads also go through SQLite (GeoPackage geometry blobs are decoded here), so a
read sees one consistent snapshot of objects and events.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import shutil
import sqlite3
import struct
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import DataSourceError, RegistryError
from ...i18n import _
from ..model import COLUMN_LABELS, EVENT_COLUMNS, OBJECT_TYPES
from ..plan import normalize_objects
from .base import Registry, empty_plots
from .history import SQLITE, history_triggers, trigger_names

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["GpkgRegistry"]

_EVENTS_DDL = """
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    "at" TEXT NOT NULL,
    effective_date TEXT,
    object_type TEXT NOT NULL CHECK (object_type IN ('pit', 'plot')),
    object_id TEXT NOT NULL,
    field TEXT NOT NULL,
    old TEXT,
    new TEXT,
    "by" TEXT,
    note TEXT,
    batch TEXT,
    client TEXT
);
CREATE INDEX events_object ON events (object_type, object_id);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
"""
#: who writes: one row during an ecogis write transaction, none otherwise (see .history)
_CONTEXT_DDL = """
CREATE TABLE ecogis_context (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    "at" TEXT, effective_date TEXT, "by" TEXT, note TEXT, batch TEXT
);
"""


def _q(name: str) -> str:
    """A quoted SQLite identifier."""
    return '"' + str(name).replace('"', '""') + '"'


_INSERT_EVENT = (
    "INSERT INTO events ("
    + ", ".join(_q(c) for c in EVENT_COLUMNS[1:])
    + ") VALUES ("
    + ", ".join("?" * (len(EVENT_COLUMNS) - 1))
    + ")"
)


class GpkgRegistry(Registry):
    """Pits, plots and their event log in one GeoPackage.

    Parameters
    ----------
    path
        The registry ``.gpkg`` (must exist; build one with :meth:`create`).
    timeout
        Seconds to wait for another process's write lock before giving up.

    Examples
    --------
    >>> reg = GpkgRegistry.create("restoration.gpkg", pits, plots, by="王工")  # doctest: +SKIP
    >>> reg.update("pit", "P001", {"status": "treated", "treated_m2": 5000},
    ...            date="2022-06-30", by="王工", note="现场核查")  # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike, *, timeout: float = 60.0):
        self.path = Path(path)
        self.label = self.path.name
        self.timeout = timeout
        if not self.path.exists():
            raise DataSourceError(
                _(
                    "{path}: registry not found; build it with 'ecogis registry init -c CONFIG'"
                ).format(path=self.path)
            )
        try:
            with self._connect() as con:
                tables = {
                    r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")
                }
                columns = {r[1] for r in con.execute("PRAGMA table_info(events)")}
        except sqlite3.DatabaseError as exc:  # a text file, a truncated or encrypted file
            raise DataSourceError(
                _(
                    "{path}: not an ecogis registry (not a GeoPackage/SQLite database: {error})"
                ).format(path=self.path, error=exc)
            ) from None
        missing = {"pits", "plots", "events", "gpkg_contents"} - tables
        if missing:
            raise DataSourceError(
                _("{path}: not an ecogis registry (missing tables: {tables})").format(
                    path=self.path, tables=", ".join(sorted(missing))
                )
            )
        #: built before the history triggers (no client column, no context table)
        self.legacy = "client" not in columns or "ecogis_context" not in tables

    def __repr__(self) -> str:
        return f"GpkgRegistry({str(self.path)!r})"

    # -------------------------------------------------------------------- creation

    @classmethod
    def create(
        cls,
        path: str | os.PathLike,
        pits: gpd.GeoDataFrame,
        plots: gpd.GeoDataFrame | None,
        *,
        by: str,
        note: str | None = None,
        overwrite: bool = False,
        exist_ok: bool = False,
    ) -> GpkgRegistry:
        """Build a registry from pits and plots layers: each object gets a ``*created*`` event,
        and the dates of its known past (:func:`~ecogis.restoration.plan.baseline_history`)
        are events with those effective dates.

        The file appears atomically and only if it is not there yet: when another process
        built it meanwhile, ``exist_ok`` opens theirs (else RegistryError). With ``overwrite``
        an existing registry is first copied to ``NAME.gpkg.bak-YYYYmmddHHMMSS`` (its history
        is never simply discarded).
        """
        import pyogrio

        from ...io._atomic import _tmp_prefix, check_output, clean_orphans
        from ...io.vector import GPKG_VERSION, _write_titles

        path = Path(path)
        if path.exists() and not overwrite:
            if exist_ok:
                return cls(path)
            raise RegistryError(_exists(path))
        check_output(path, overwrite=True)  # the folder exists and is writable
        pits = normalize_objects(pits, "pit", name="pits")
        plots = normalize_objects(
            plots if plots is not None else empty_plots(pits.crs), "plot", name="plots"
        )
        clean_orphans(path.parent)  # a build killed before it was published
        fd, name = tempfile.mkstemp(prefix=_tmp_prefix(), suffix=".tmp.gpkg", dir=path.parent)
        os.close(fd)
        tmp = Path(name)
        tmp.unlink()  # GDAL creates the file itself
        try:
            for table, gdf in (("pits", pits), ("plots", plots)):
                empty = gdf.iloc[:0]
                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore", category=RuntimeWarning)
                    pyogrio.write_dataframe(
                        empty, tmp, layer=table, driver="GPKG", append=tmp.exists(),
                        promote_to_multi=True, geometry_type="MultiPolygon",
                        **({} if tmp.exists() else {"dataset_options": {"VERSION": GPKG_VERSION}}),
                    )  # fmt: skip
            # the column titles (QGIS shows them as aliases), in the builder's language
            _write_titles(tmp, {ot.table: {f: _(t) for f, t in COLUMN_LABELS[ot.name].items()}
                                for ot in OBJECT_TYPES.values()})  # fmt: skip
            reg = cls._bare(tmp, label=path.name)
            with reg._connect() as con:
                con.executescript(_EVENTS_DDL + _CONTEXT_DDL)
                for ddl in reg._trigger_ddl(con):
                    con.execute(ddl)
                con.execute("BEGIN IMMEDIATE")
                try:
                    con.execute(
                        "INSERT INTO gpkg_contents (table_name, data_type, identifier, "
                        "description, last_change) VALUES ('events', 'attributes', 'events', "
                        "'restoration event log (append-only)', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"
                    )
                    for ot in OBJECT_TYPES.values():
                        con.execute(
                            f"CREATE UNIQUE INDEX {_q(ot.table + '_' + ot.id_field)} "
                            f"ON {_q(ot.table)} ({_q(ot.id_field)})"
                        )
                    reg._populate(con, {"pit": pits, "plot": plots}, by=by, note=note)
                    con.execute("COMMIT")
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
            _fsync(tmp)
            if path.exists() and overwrite:
                stamp = _dt.datetime.now().strftime("%Y%m%d%H%M%S")
                shutil.copy2(path, path.with_name(f"{path.name}.bak-{stamp}"))
                os.replace(tmp, path)
            elif not _publish(tmp, path):  # someone else built it meanwhile
                if exist_ok:
                    return cls(path)
                raise RegistryError(_exists(path))
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
        built = cls(path)
        built.built = True
        return built

    @classmethod
    def _bare(cls, path: Path, *, label: str) -> GpkgRegistry:
        """A registry object on a file being built (no checks: its tables are not there yet)."""
        reg = cls.__new__(cls)
        reg.path, reg.label, reg.timeout, reg.legacy = Path(path), label, 60.0, False
        return reg

    def upgrade(self) -> bool:
        """Give a registry built by an older ecogis its history triggers (and the event log
        its client column), in one transaction; False when it has them already."""
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                tables = {
                    r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")
                }
                info = {r[1]: r for r in con.execute("PRAGMA table_info(events)")}
                done = False
                if "client" not in info or info["by"][3]:  # no client column, "by" NOT NULL
                    _rebuild_events(con, has_client="client" in info)
                    done = True
                have = {
                    r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='trigger'")
                }
                if "ecogis_context" not in tables:
                    for stmt in _sql_statements(_CONTEXT_DDL):
                        con.execute(stmt)
                    done = True
                for ddl, name in zip(self._trigger_ddl(con), self._trigger_names(), strict=True):
                    if name not in have:
                        con.execute(ddl)
                        done = True
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        self.legacy = False
        return done

    # -------------------------------------------------------------------- transactions

    def _connect(self) -> contextlib.closing[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        con.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
        _register_gpkg_functions(con)
        return contextlib.closing(con)

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """One read transaction: every SELECT in it sees the same snapshot."""
        with self._connect() as con:
            con.execute("BEGIN")
            try:
                yield con
            finally:
                con.execute("COMMIT")

    @contextlib.contextmanager
    def _write_transaction(self, rows) -> Iterator[sqlite3.Connection]:
        # SQLite locks the whole file (BEGIN IMMEDIATE): no finer lock to take. The write lock
        # is held before the state is read, so read-validate-write is serialised.
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    # -------------------------------------------------------------------- dialect

    def _sql(self, name: str, **parts) -> str:
        ot = parts.get("ot")
        if name == "insert_event":
            return _INSERT_EVENT
        if name == "events":
            where = []
            if parts["object_id"]:
                where.append("object_id = ?")
            if parts["otype"]:
                where.append("object_type = ?")
            if parts["until"]:
                where.append("(effective_date IS NULL OR effective_date <= ?)")
            cols = [
                "NULL AS client" if c == "client" and self.legacy else _q(c) for c in EVENT_COLUMNS
            ]
            sql = "SELECT " + ", ".join(cols) + " FROM events"
            return sql + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id"
        table, id_field = _q(ot.table), _q(ot.id_field)
        if name == "select_field":
            return f"SELECT {_q(parts['field'])} FROM {table} WHERE {id_field} = ?"
        if name == "update_field":
            return f"UPDATE {table} SET {_q(parts['field'])} = ? WHERE {id_field} = ?"
        if name == "select_ids":
            return f"SELECT {id_field} FROM {table} ORDER BY fid"
        if name == "id_exists":
            return f"SELECT 1 FROM {table} WHERE {id_field} = ?"
        fields = [_q(f) for f in ot.schema]
        gcol = parts.get("geometry")
        if name == "select_objects":
            cols = ", ".join(fields + ([_q(gcol[0])] if gcol else []))
            return f"SELECT {cols} FROM {table} ORDER BY fid"
        if name == "insert_object":
            cols = ", ".join([*fields, _q(gcol[0])])
            return f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' * (len(fields) + 1))})"
        raise KeyError(name)

    def _geometry_column(self, conn, table: str) -> tuple[str, int] | None:
        row = conn.execute(
            "SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?", (table,)
        ).fetchone()
        return (row[0], int(row[1])) if row else None

    def _crs(self, conn, srs_id: int):
        from pyproj import CRS

        row = conn.execute(
            "SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys"
            " WHERE srs_id = ?",
            (srs_id,),
        ).fetchone()
        if row is None or srs_id <= 0:
            return None
        org, code, definition = row
        if org and str(org).upper() == "EPSG":
            return CRS.from_epsg(int(code))
        return CRS.from_user_input(definition)

    def _decode_geometry(self, value):
        return decode_gpkg_geometry(value)

    def _encode_geometry(self, geom, srid: int) -> bytes:
        """A GeoPackage geometry blob: header (little-endian, XY envelope) + WKB."""
        import shapely

        minx, miny, maxx, maxy = geom.bounds
        # magic "GP", version 0, flags: envelope XY (1 << 1) | little-endian (1)
        header = b"GP" + struct.pack("<BBi4d", 0, 0b011, srid, minx, maxx, miny, maxy)
        return header + shapely.to_wkb(geom, byte_order=1, flavor="iso")

    def _after_insert(self, conn, table: str, geom) -> None:
        # GDAL's triggers keep the R-tree and the feature count; the extent is ours to keep
        minx, miny, maxx, maxy = geom.bounds
        conn.execute(
            "UPDATE gpkg_contents SET min_x = min(coalesce(min_x, ?1), ?1),"
            " min_y = min(coalesce(min_y, ?2), ?2), max_x = max(coalesce(max_x, ?3), ?3),"
            " max_y = max(coalesce(max_y, ?4), ?4) WHERE table_name = ?5",
            (minx, miny, maxx, maxy, table),
        )

    def _after_write(self, conn, tables: list[str], at) -> None:
        conn.execute(
            "UPDATE gpkg_contents SET last_change = ? WHERE table_name IN "
            f"({','.join('?' * len(tables))}, 'events')",
            (at, *tables),
        )

    def _set_context(self, conn, *, at, by, note, batch) -> None:
        conn.execute(
            'INSERT OR REPLACE INTO ecogis_context (id, "at", effective_date, "by", note, batch)'
            " VALUES (1, ?, NULL, ?, ?, ?)",
            (at, by, note, batch),
        )

    def _set_effective(self, conn, day, note) -> None:
        conn.execute("UPDATE ecogis_context SET effective_date = ?, note = ?", (day, note))

    def _clear_context(self, conn) -> None:
        conn.execute("DELETE FROM ecogis_context")

    def _trigger_names(self) -> list[str]:
        return [n for ot in OBJECT_TYPES.values() for n in trigger_names(ot, SQLITE)]

    def _trigger_ddl(self, conn) -> list[str]:
        geometry = {}
        for ot in OBJECT_TYPES.values():
            gcol = self._geometry_column(conn, ot.table)
            if gcol:
                geometry[ot.table] = gcol[0]
        return history_triggers(SQLITE, geometry=geometry)

    def _missing_triggers(self, conn) -> list[str]:
        have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = [n for n in self._trigger_names() if n not in have]
        if "ecogis_context" not in tables:
            missing.append("ecogis_context")
        return missing

    def context_rows(self) -> int:
        """Rows left in ``ecogis_context`` outside a write (0 unless a program committed one)."""
        with self._read() as con:
            try:
                return int(con.execute("SELECT count(*) FROM ecogis_context").fetchone()[0])
            except sqlite3.OperationalError:
                return 0


# ------------------------------------------------------------------------ geometry blobs

_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def decode_gpkg_geometry(blob: bytes | None):
    """Shapely geometry from a GeoPackage geometry blob (header + WKB)."""
    import shapely

    if blob is None:
        return None
    # header: magic "GP", version, flags, int32 srs_id (8 bytes), then the envelope
    if blob[:2] != b"GP":
        raise DataSourceError(_("not a GeoPackage geometry blob"))
    flags = blob[3]
    if flags & 0b10000:  # empty geometry
        return None
    envelope = _ENVELOPE_BYTES[(flags >> 1) & 0b111]
    return shapely.from_wkb(bytes(blob[8 + envelope :]))


def _register_gpkg_functions(con: sqlite3.Connection) -> None:
    """The SQL functions GDAL's R-tree triggers name (``ST_IsEmpty``, ``ST_MinX``, ...).

    The triggers on a feature table fire (and SQLite prepares them) on every UPDATE, even of
    attribute columns only; without these functions plain ``sqlite3`` cannot update the table.
    """

    def empty(blob):
        return None if blob is None else int(decode_gpkg_geometry(blob) is None)

    def bound(i):
        def fn(blob):
            g = decode_gpkg_geometry(blob)
            return None if g is None else float(g.bounds[i])

        return fn

    con.create_function("ST_IsEmpty", 1, empty, deterministic=True)
    for i, name in enumerate(("ST_MinX", "ST_MinY", "ST_MaxX", "ST_MaxY")):
        con.create_function(name, 1, bound(i), deterministic=True)


def _rebuild_events(con: sqlite3.Connection, *, has_client: bool) -> None:
    """The event log of an older registry in today's form (``by`` may be empty: an external
    edit's author is unknown to a GeoPackage; a ``client`` column), every event kept, ids too.
    Runs inside the caller's transaction (statement by statement: no executescript, which
    would commit it)."""
    cols = ", ".join(_q(c) for c in (EVENT_COLUMNS if has_client else EVENT_COLUMNS[:-1]))
    con.execute("ALTER TABLE events RENAME TO events_old")
    con.execute("DROP TRIGGER IF EXISTS events_no_update")
    con.execute("DROP TRIGGER IF EXISTS events_no_delete")
    con.execute("DROP INDEX IF EXISTS events_object")
    for stmt in _sql_statements(_EVENTS_DDL):
        con.execute(stmt)
    con.execute(f"INSERT INTO events ({cols}) SELECT {cols} FROM events_old")
    con.execute("DROP TABLE events_old")


def _sql_statements(script: str) -> list[str]:
    """The complete statements of an SQL script (trigger bodies hold semicolons)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    return out


def _exists(path: Path) -> str:
    return _(
        "{path}: registry exists; pass --overwrite to rebuild it (the old one is kept as a backup)"
    ).format(path=path)


def _fsync(path: Path) -> None:
    with contextlib.suppress(OSError), open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _publish(tmp: Path, path: Path) -> bool:
    """Move ``tmp`` to ``path`` unless ``path`` exists (atomically): False if it does."""
    try:
        os.link(tmp, path)  # fails if path exists: the no-overwrite rename
    except FileExistsError:
        return False
    except OSError:  # a file system without hard links (FAT, some network shares)
        if os.name == "nt":
            try:
                os.rename(tmp, path)  # refuses an existing target on Windows
            except FileExistsError:
                return False
            return True
        if path.exists():
            return False
        os.replace(tmp, path)
        return True
    tmp.unlink()
    return True

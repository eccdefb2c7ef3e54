"""The GeoPackage dialect of the registry: ``pits``, ``plots`` and ``events`` in one file.

``pits`` and ``plots`` are ordinary GeoPackage feature tables (written by GDAL, so QGIS opens
them); ``events`` is a registered attribute table holding the append-only log (triggers refuse
UPDATE and DELETE on it). Every write is one SQLite transaction started with
``BEGIN IMMEDIATE``: the write lock is taken before the current state is read, so two processes
updating at once are serialised and neither update is lost; a process killed mid-transaction
leaves a hot journal that SQLite rolls back on the next open.

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
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import DataSourceError, RegistryError
from ..model import EVENT_COLUMNS, OBJECT_TYPES
from ..plan import normalize_objects
from .base import Registry, baseline_events, empty_plots, new_batch, now_utc, records

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
    "by" TEXT NOT NULL,
    note TEXT,
    batch TEXT
);
CREATE INDEX events_object ON events (object_type, object_id);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
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
                f"{self.path}: registry not found; build it with 'ecogis pits init -c CONFIG'"
            )
        try:
            with self._connect() as con:
                tables = {
                    r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")
                }
        except sqlite3.DatabaseError as exc:  # a text file, a truncated or encrypted file
            raise DataSourceError(
                f"{self.path}: not an ecogis registry (not a GeoPackage/SQLite database: {exc})"
            ) from None
        missing = {"pits", "plots", "events", "gpkg_contents"} - tables
        if missing:
            raise DataSourceError(
                f"{self.path}: not an ecogis registry (missing tables: {', '.join(sorted(missing))})"
            )

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
        note: str | None = "initial import",
        overwrite: bool = False,
    ) -> GpkgRegistry:
        """Build a registry from pits and plots layers; each object gets a ``*created*`` event.

        The file appears atomically. With ``overwrite`` an existing registry is first copied
        to ``NAME.gpkg.bak-YYYYmmddHHMMSS`` (its history is never simply discarded).
        """
        import pyogrio

        from ...io._atomic import atomic_path
        from ...io.vector import GPKG_VERSION

        path = Path(path)
        if path.exists() and not overwrite:
            raise RegistryError(
                f"{path}: registry exists; pass --overwrite to rebuild it (the old one is kept as a backup)"
            )
        pits = normalize_objects(pits, "pit", name="pits")
        plots = normalize_objects(
            plots if plots is not None else empty_plots(pits.crs), "plot", name="plots"
        )
        if path.exists():
            stamp = _dt.datetime.now().strftime("%Y%m%d%H%M%S")
            shutil.copy2(path, path.with_name(f"{path.name}.bak-{stamp}"))
        at, batch = now_utc(), new_batch()
        with atomic_path(path, overwrite=True) as tmp:
            for table, gdf in (("pits", pits), ("plots", plots)):
                with warnings.catch_warnings():
                    # GDAL frowns at the temporary file's ".tmp" suffix; the rename fixes it
                    warnings.filterwarnings(
                        "ignore", message=".*extension.*", category=RuntimeWarning
                    )
                    pyogrio.write_dataframe(
                        gdf,
                        tmp,
                        layer=table,
                        driver="GPKG",
                        append=tmp.exists(),
                        promote_to_multi=True,
                        geometry_type="MultiPolygon",
                        **({} if tmp.exists() else {"dataset_options": {"VERSION": GPKG_VERSION}}),
                    )
            con = sqlite3.connect(tmp, isolation_level=None)
            try:
                con.executescript(_EVENTS_DDL)  # a temporary file: atomic by the rename
                con.execute("BEGIN")
                con.execute(
                    "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change)"
                    " VALUES ('events', 'attributes', 'events', 'restoration event log (append-only)', ?)",
                    (at,),
                )
                for ot, gdf in ((OBJECT_TYPES["pit"], pits), (OBJECT_TYPES["plot"], plots)):
                    con.execute(
                        f"CREATE UNIQUE INDEX {_q(ot.table + '_' + ot.id_field)} "
                        f"ON {_q(ot.table)} ({_q(ot.id_field)})"
                    )
                    rows = records(gdf, ot.schema)
                    con.executemany(
                        _INSERT_EVENT,
                        baseline_events(ot, rows, at=at, by=by, note=note, batch=batch),
                    )
                con.execute("COMMIT")
            finally:
                con.close()
        return cls(path)

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
            sql = "SELECT " + ", ".join(_q(c) for c in EVENT_COLUMNS) + " FROM events"
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


# ------------------------------------------------------------------------ geometry blobs

_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def decode_gpkg_geometry(blob: bytes | None):
    """Shapely geometry from a GeoPackage geometry blob (header + WKB)."""
    import shapely

    if blob is None:
        return None
    # header: magic "GP", version, flags, int32 srs_id (8 bytes), then the envelope
    if blob[:2] != b"GP":
        raise DataSourceError("not a GeoPackage geometry blob")
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

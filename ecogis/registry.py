"""The restoration registry store: a GeoPackage with ``pits``, ``plots`` and ``events``.

``pits`` and ``plots`` are ordinary GeoPackage feature tables (written by GDAL, so QGIS opens
them); ``events`` is a registered attribute table holding the append-only log (triggers
refuse UPDATE and DELETE on it). Every write is one SQLite transaction started with
``BEGIN IMMEDIATE``: the write lock is taken before the current state is read, so two
processes updating at once are serialised and neither update is lost; a process killed
mid-transaction leaves a hot journal that SQLite rolls back on the next open.

Updates change attribute columns only, through plain SQL; geometry blobs are never touched.
Reads also go through SQLite (GeoPackage geometry blobs are decoded here), so a read sees one
consistent snapshot of objects and events.

A PostGIS store can implement the same interface: :meth:`GpkgRegistry.load_pits`,
:meth:`~GpkgRegistry.load_plots`, :meth:`~GpkgRegistry.apply`, :meth:`~GpkgRegistry.events`.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import secrets
import shutil
import sqlite3
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .errors import DataSourceError, RegistryError
from .restoration import (
    CREATED,
    OBJECT_TYPES,
    Change,
    coerce_value,
    encode_value,
    normalize_objects,
    object_type,
    plan_update,
)

if TYPE_CHECKING:
    import geopandas as gpd

    from .registry_pg import PgRegistry

__all__ = ["Registry", "GpkgRegistry", "EVENT_COLUMNS", "open_registry"]

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

#: test hook: "N:SECONDS[:MARKER]" pauses inside the write transaction after N changes
#: (writing MARKER first) so a test can kill the process mid-import.
_PAUSE_ENV = "ECOGIS_REGISTRY_TEST_PAUSE"

#: ``apply`` accepts changes, or a function that plans them from the locked current state
Plan = Sequence[Change] | Callable[[Callable[[str], pd.DataFrame]], Sequence[Change]]


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class Registry:
    """What every registry store offers; :class:`GpkgRegistry` (GeoPackage) and
    :class:`ecogis.registry_pg.PgRegistry` (PostGIS) implement the storage.

    Subclasses provide ``load(otype, geometry=)``, ``snapshot``, ``find``, ``apply`` and the two
    hooks ``_read_events(object_id, day, otype)`` and ``_write_plan(plan, by, note, lock)``.
    """

    def load(self, otype: str, *, geometry: bool = True) -> pd.DataFrame:  # pragma: no cover
        raise NotImplementedError

    def crs(self, otype: str):  # pragma: no cover
        """The CRS of the pits or plots geometry (a :class:`pyproj.CRS`, or None)."""
        raise NotImplementedError

    def load_pits(self, *, geometry: bool = True) -> gpd.GeoDataFrame:
        """Current state of every pit, indexed by ``pit_id``."""
        return self.load("pit", geometry=geometry)

    def load_plots(self, *, geometry: bool = True) -> gpd.GeoDataFrame:
        """Current state of every plot, indexed by ``plot_id``."""
        return self.load("plot", geometry=geometry)

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
        day = None
        if until is not None:
            from .restoration import parse_date

            day = parse_date(until, what="until").isoformat()
        return self._read_events(object_id, day, object_type(otype).name if otype else None)

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

        See :func:`ecogis.restoration.plan_update` for the rules. Returns the changes written.
        """
        ot = object_type(otype)
        return self._write_plan(
            lambda state: plan_update(
                state(ot.name), ot.name, object_id, values, date=date, force=force, today=today
            ),
            by,
            note,
            lock={ot.name: {str(object_id)}},
        )

    def _read_events(self, object_id, day, otype) -> pd.DataFrame:  # pragma: no cover
        raise NotImplementedError

    def _write_plan(self, plan, by, note, *, lock) -> list[Change]:  # pragma: no cover
        raise NotImplementedError


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
        import geopandas as gpd
        import pyogrio

        from .io._atomic import atomic_path

        path = Path(path)
        if path.exists() and not overwrite:
            raise RegistryError(
                f"{path}: registry exists; pass --overwrite to rebuild it (the old one is kept as a backup)"
            )
        pits = normalize_objects(pits, "pit", name="pits")
        if plots is None:
            plots = gpd.GeoDataFrame(
                {f: pd.Series([], dtype=object) for f in OBJECT_TYPES["plot"].schema},
                geometry=gpd.GeoSeries([], crs=pits.crs),
                crs=pits.crs,
            )
        plots = normalize_objects(plots, "plot", name="plots")
        if path.exists():
            stamp = _dt.datetime.now().strftime("%Y%m%d%H%M%S")
            shutil.copy2(path, path.with_name(f"{path.name}.bak-{stamp}"))
        at, batch = _now(), _batch()
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
                        f'CREATE UNIQUE INDEX "{ot.table}_{ot.id_field}" ON "{ot.table}" ("{ot.id_field}")'
                    )
                    rows = [
                        (
                            at,
                            None,
                            ot.name,
                            rec[ot.id_field],
                            CREATED,
                            None,
                            json.dumps(rec, ensure_ascii=False),
                            by,
                            note,
                            batch,
                        )
                        for rec in _records(gdf, ot.schema)
                    ]
                    con.executemany(_INSERT_EVENT, rows)
                con.execute("COMMIT")
            finally:
                con.close()
        return cls(path)

    # -------------------------------------------------------------------- connections

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

    # -------------------------------------------------------------------- reads

    def load(self, otype: str, *, geometry: bool = True) -> pd.DataFrame:
        """Current pits or plots: a GeoDataFrame (or DataFrame without geometry), indexed by id."""
        with self._read() as con:
            return _load(con, object_type(otype), geometry=geometry)

    def crs(self, otype: str):
        """The CRS of the pits or plots geometry (a :class:`pyproj.CRS`, or None)."""
        with self._read() as con:
            gcol = _geometry_column(con, object_type(otype).table)
            return _crs(con, gcol[1]) if gcol else None

    def snapshot(self, *, geometry: bool = True) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """``(pits, plots, events)`` read in one transaction (consistent with each other)."""
        with self._read() as con:
            return (
                _load(con, OBJECT_TYPES["pit"], geometry=geometry),
                _load(con, OBJECT_TYPES["plot"], geometry=geometry),
                _events(con, None, None, None),
            )

    def _read_events(self, object_id, day, otype) -> pd.DataFrame:
        with self._read() as con:
            return _events(con, object_id, day, otype)

    def find(self, object_id: str) -> str:
        """``pit`` or ``plot``: the type of the object with this id (RegistryError if none)."""
        oid = str(object_id)
        with self._read() as con:
            known: list[str] = []
            for ot in OBJECT_TYPES.values():
                q = f'SELECT 1 FROM "{ot.table}" WHERE "{ot.id_field}" = ?'
                if con.execute(q, (oid,)).fetchone():
                    return ot.name
                known += [r[0] for r in con.execute(f'SELECT "{ot.id_field}" FROM "{ot.table}"')]
        from .restoration import _close

        raise RegistryError(f"{self.path.name}: no pit or plot with id {oid!r}{_close(oid, known)}")

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
            A sequence of :class:`~ecogis.restoration.Change` — each ``old`` must still be the
            stored value (else nothing is written: someone changed it since) — or a function
            ``plan(state) -> changes`` called with the write lock held, where ``state(otype)``
            returns the current attributes; use it to validate against the latest state.
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
        if not by or not str(by).strip():
            raise RegistryError("who records the change is required (--by NAME)")
        batch = batch or _batch()
        pause = _pause_hook()
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")  # write lock now: read-validate-write is serialised
            try:
                if callable(changes):
                    cache: dict[str, pd.DataFrame] = {}

                    def state(otype: str) -> pd.DataFrame:
                        ot = object_type(otype)
                        if ot.name not in cache:
                            cache[ot.name] = _load(con, ot, geometry=False)
                        return cache[ot.name]

                    changes = list(changes(state))
                changes = list(changes)
                at = _now()
                for n, ch in enumerate(changes, start=1):
                    _write_change(con, ch, at=at, by=str(by), note=note, batch=batch)
                    if pause and n == pause[0]:
                        pause[2] and Path(pause[2]).write_text(str(os.getpid()))
                        time.sleep(pause[1])
                if changes:
                    tables = sorted({object_type(c.object_type).table for c in changes})
                    con.execute(
                        "UPDATE gpkg_contents SET last_change = ? WHERE table_name IN "
                        f"({','.join('?' * len(tables))}, 'events')",
                        (at, *tables),
                    )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return changes

    def _write_plan(self, plan, by, note, *, lock) -> list[Change]:
        # SQLite locks the whole file (BEGIN IMMEDIATE): no finer lock to take
        return self.apply(plan, by, note)


# ------------------------------------------------------------------------ helpers

_INSERT_EVENT = (
    'INSERT INTO events ("at", effective_date, object_type, object_id, field, old, new, "by", note, batch)'
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _batch() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%SZ-") + secrets.token_hex(3)


def _pause_hook() -> tuple[int, float, str] | None:
    raw = os.environ.get(_PAUSE_ENV)
    if not raw:
        return None
    parts = raw.split(":", 2)
    return int(parts[0]), float(parts[1]), parts[2] if len(parts) > 2 else ""


def _records(gdf: pd.DataFrame, schema: dict[str, str]) -> list[dict]:
    return [
        {f: coerce_value(t, rec[f]) for f, t in schema.items()}
        for rec in pd.DataFrame(gdf)[list(schema)].to_dict("records")
    ]


def _write_change(con: sqlite3.Connection, ch: Change, *, at, by, note, batch) -> None:
    ot = object_type(ch.object_type)
    if ch.field == CREATED:
        return _insert_object(con, ch, at=at, by=by, note=note, batch=batch)
    if ch.field not in ot.schema or ch.field == ot.id_field:
        raise RegistryError(f"{ot.name} {ch.object_id}: unknown field {ch.field!r}")
    ftype = ot.schema[ch.field]
    row = con.execute(
        f'SELECT "{ch.field}" FROM "{ot.table}" WHERE "{ot.id_field}" = ?', (ch.object_id,)
    ).fetchone()
    if row is None:
        raise RegistryError(f"unknown {ot.name} id {ch.object_id!r}")
    stored = coerce_value(ftype, row[0])
    old = coerce_value(ftype, ch.old)
    from .restoration import _same

    if not _same(ftype, stored, old):
        raise RegistryError(
            f"{ot.name} {ch.object_id}: {ch.field} is now {stored!r}, not {old!r} as when the "
            "changes were prepared (changed by someone else); nothing written, run again"
        )
    new = coerce_value(ftype, ch.new)
    con.execute(
        f'UPDATE "{ot.table}" SET "{ch.field}" = ? WHERE "{ot.id_field}" = ?', (new, ch.object_id)
    )
    con.execute(
        _INSERT_EVENT,
        (
            at,
            ch.effective_date,
            ot.name,
            ch.object_id,
            ch.field,
            encode_value(old),
            encode_value(new),
            by,
            note,
            batch,
        ),
    )


def _insert_object(con: sqlite3.Connection, ch: Change, *, at, by, note, batch) -> None:
    """A new pit / plot (geometry as a GeoPackage blob; GDAL's triggers keep the R-tree and
    the feature count) and its ``*created*`` event."""
    import shapely

    ot = object_type(ch.object_type)
    rec = {f: coerce_value(t, ch.new.get(f)) for f, t in ot.schema.items()}
    if rec[ot.id_field] != str(ch.object_id):
        raise RegistryError(f"new {ot.name} {ch.object_id}: attributes name {rec[ot.id_field]!r}")
    q = f'SELECT 1 FROM "{ot.table}" WHERE "{ot.id_field}" = ?'
    if con.execute(q, (rec[ot.id_field],)).fetchone():
        raise RegistryError(
            f"new {ot.name} {ch.object_id}: that id exists now (added by someone else); "
            "nothing written, run again"
        )
    gcol = _geometry_column(con, ot.table)
    if gcol is None or ch.geometry is None:
        raise RegistryError(f"new {ot.name} {ch.object_id}: no geometry")
    geom = shapely.from_wkb(ch.geometry)
    if geom.geom_type == "Polygon":
        geom = shapely.MultiPolygon([geom])
    if geom.geom_type != "MultiPolygon" or geom.is_empty:
        raise RegistryError(f"new {ot.name} {ch.object_id}: geometry must be a (Multi)Polygon")
    fields = list(ot.schema)
    cols = ", ".join(f'"{f}"' for f in [*fields, gcol[0]])
    con.execute(
        f'INSERT INTO "{ot.table}" ({cols}) VALUES ({", ".join("?" * (len(fields) + 1))})',
        (*rec.values(), _encode_gpkg_geometry(geom, gcol[1])),
    )
    minx, miny, maxx, maxy = geom.bounds
    con.execute(
        "UPDATE gpkg_contents SET min_x = min(coalesce(min_x, ?1), ?1),"
        " min_y = min(coalesce(min_y, ?2), ?2), max_x = max(coalesce(max_x, ?3), ?3),"
        " max_y = max(coalesce(max_y, ?4), ?4) WHERE table_name = ?5",
        (minx, miny, maxx, maxy, ot.table),
    )
    con.execute(
        _INSERT_EVENT,
        (at, ch.effective_date, ot.name, rec[ot.id_field], CREATED, None,
         json.dumps(rec, ensure_ascii=False), by, note, batch),
    )  # fmt: skip


def _encode_gpkg_geometry(geom, srs_id: int) -> bytes:
    """A GeoPackage geometry blob: header (little-endian, XY envelope) + WKB."""
    import struct

    import shapely

    minx, miny, maxx, maxy = geom.bounds
    # magic "GP", version 0, flags: envelope XY (1 << 1) | little-endian (1)
    header = b"GP" + struct.pack("<BBi4d", 0, 0b011, srs_id, minx, maxx, miny, maxy)
    return header + shapely.to_wkb(geom, byte_order=1, flavor="iso")


def _geometry_column(con: sqlite3.Connection, table: str) -> tuple[str, int] | None:
    row = con.execute(
        "SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?", (table,)
    ).fetchone()
    return (row[0], int(row[1])) if row else None


def _crs(con: sqlite3.Connection, srs_id: int):
    from pyproj import CRS

    row = con.execute(
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


_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def _decode_gpkg_geometry(blob: bytes | None):
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
        return None if blob is None else int(_decode_gpkg_geometry(blob) is None)

    def bound(i):
        def fn(blob):
            g = _decode_gpkg_geometry(blob)
            return None if g is None else float(g.bounds[i])

        return fn

    con.create_function("ST_IsEmpty", 1, empty, deterministic=True)
    for i, name in enumerate(("ST_MinX", "ST_MinY", "ST_MaxX", "ST_MaxY")):
        con.create_function(name, 1, bound(i), deterministic=True)


def _load(con: sqlite3.Connection, ot, *, geometry: bool) -> pd.DataFrame:
    fields = list(ot.schema)
    gcol = _geometry_column(con, ot.table) if geometry else None
    cols = ", ".join(f'"{f}"' for f in fields) + (f', "{gcol[0]}"' if gcol else "")
    rows = con.execute(f'SELECT {cols} FROM "{ot.table}" ORDER BY fid').fetchall()
    data = {}
    for j, f in enumerate(fields):
        t = ot.schema[f]
        vals = [coerce_value(t, r[j]) for r in rows]
        data[f] = pd.Series(vals, dtype={"real": "float64", "int": "Int64"}.get(t, "object"))
    df = pd.DataFrame(data, columns=fields)
    if gcol:
        import geopandas as gpd

        geoms = [_decode_gpkg_geometry(r[-1]) for r in rows]
        df = gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms, crs=_crs(con, gcol[1])))
    return df.set_index(ot.id_field, drop=False).rename_axis(ot.id_field)


def _events(
    con: sqlite3.Connection, object_id: str | None, until: str | None, otype: str | None
) -> pd.DataFrame:
    where, args = [], []
    if object_id is not None:
        where.append("object_id = ?")
        args.append(str(object_id))
    if otype is not None:
        where.append("object_type = ?")
        args.append(otype)
    if until is not None:
        where.append("(effective_date IS NULL OR effective_date <= ?)")
        args.append(until)
    sql = "SELECT " + ", ".join(f'"{c}"' for c in EVENT_COLUMNS) + " FROM events"
    if where:
        sql += " WHERE " + " AND ".join(where)
    rows = con.execute(sql + " ORDER BY id", args).fetchall()
    df = pd.DataFrame(rows, columns=list(EVENT_COLUMNS), dtype=object)
    df["id"] = df["id"].astype("int64")
    return df


def open_registry(
    location: str | os.PathLike, *, timeout: float = 60.0
) -> GpkgRegistry | PgRegistry:
    """The registry at ``location``: a GeoPackage path or a PostGIS URI.

    Parameters
    ----------
    location
        A ``.gpkg`` path (:class:`GpkgRegistry`), or ``postgresql://user@host/db`` with an
        optional ``?schema=NAME`` (:class:`~ecogis.registry_pg.PgRegistry`, schema ``ecogis``
        by default; no password in the URI).
    timeout
        Seconds to wait for another writer's lock.

    Raises
    ------
    DataSourceError
        No registry there, the server is unreachable, or the URI carries a password.
    """
    from .config import is_database_uri

    if is_database_uri(str(location)):
        from .registry_pg import PgRegistry

        return PgRegistry(str(location), timeout=timeout)
    return GpkgRegistry(location, timeout=timeout)

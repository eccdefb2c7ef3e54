"""PostGIS as a layer source and sink.

A layer source is a libpq URI plus the table::

    postgresql://user@host:5432/db?table=schema.table
    postgresql://user@host/db#schema.table
    postgresql://user@host/db|layer=schema.table
    postgresql:///?service=bureau&table=planning.redline     (a pg_service.conf entry)

Everything but ``table`` (and ``schema`` for outputs) goes to libpq unchanged, so host
sockets (``?host=/var/run/postgresql``), ``sslmode``, ``service``, ``PGHOST``/``PGUSER``
and friends work as libpq documents them. Passwords never live in a config: a URI that
carries one is refused; libpq takes it from ``PGPASSWORD``, ``~/.pgpass`` or the service
file instead.

Reading goes through psycopg 3 and :func:`geopandas.read_postgis`; writing through
:meth:`geopandas.GeoDataFrame.to_postgis` (SQLAlchemy + GeoAlchemy2) inside one
transaction for all tables.
"""

from __future__ import annotations

import re
import uuid
import warnings
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote

from ..config import is_database_uri, redact_text
from ..errors import DataSourceError, EcogisWarning, LayerError
from ..i18n import _

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "PostgisSource",
    "parse_postgis_uri",
    "connect",
    "read_postgis_layer",
    "write_postgis_layers",
    "list_postgis_layers",
]

# query parameters that are ours, not libpq's
_OWN_PARAMS = ("table", "layer", "schema")
_IDENT_RE = re.compile(r"^[^\s\"]{1,63}$")
#: integer primary keys that are feature ids, hidden on read as pyogrio hides a GPKG's fid
_FID_NAMES = ("fid", "ogc_fid")
_CONNECT_TIMEOUT_S = 10


@dataclass(frozen=True)
class PostgisSource:
    """A parsed PostGIS URI: what libpq gets, and the table ecogis reads or writes."""

    conninfo: str  #: the URI without ecogis' own parts, handed to libpq
    schema: str | None
    table: str | None
    label: str  #: ``user@host:port/db`` without any password, for messages

    @property
    def qualified(self) -> str:
        """``schema.table`` (``public`` when no schema is named)."""
        return f"{self.schema or 'public'}.{self.table}"


def _split_name(name: str, uri_label: str) -> tuple[str | None, str]:
    name = name.strip()
    schema, dot, table = name.rpartition(".")
    if not dot:
        schema, table = "", name
    for part in (schema, table) if schema else (table,):
        if not _IDENT_RE.match(part):
            raise DataSourceError(
                _(
                    "{uri}: bad table name {name!r}; use schema.table or table "
                    "(no spaces or double quotes, at most 63 bytes each)"
                ).format(uri=uri_label, name=name)
            )
    return (schema or None), table


def parse_postgis_uri(uri: str, *, layer: str | None = None) -> PostgisSource:
    """Split a PostGIS layer URI into libpq connection info and ``schema.table``.

    Parameters
    ----------
    uri
        ``postgresql://user@host:port/db`` with the table as ``?table=schema.table``,
        ``#schema.table`` or ``|layer=schema.table``. ``postgres://``, ``pg://`` and
        ``postgresql+psycopg://`` are accepted too.
    layer
        Table name that overrides the one in the URI (the config's ``layer:`` key).

    Raises
    ------
    DataSourceError
        Not a PostgreSQL URI, a password inside it, or a bad table name.
    """
    from ..config import uri_secrets

    raw = str(uri).strip()
    if not is_database_uri(raw):
        raise DataSourceError(
            _("{uri} is not a PostgreSQL URI (postgresql://user@host/db)").format(
                uri=repr(redact_text(raw))
            )
        )
    if uri_secrets(raw):
        raise DataSourceError(
            _(
                "{uri}: the URI carries a password; passwords must not be written in configs or "
                "commands. Remove it and set PGPASSWORD, use ~/.pgpass, or a service file "
                "(postgresql:///?service=NAME, see PGSERVICEFILE)"
            ).format(uri=_redact(raw))
        )
    import psycopg

    table_opt = None
    if "|" in raw:
        raw, _sep, opt = raw.partition("|")
        key, _eq, value = opt.partition("=")
        if key.strip() != "layer" or not value.strip():
            raise DataSourceError(
                _("bad option {opt!r} after the PostgreSQL URI; use |layer=schema.table").format(
                    opt=opt
                )
            )
        table_opt = value.strip()
    if "#" in raw:
        raw, _sep, frag = raw.partition("#")
        table_opt = table_opt or unquote(frag) or None
    # scheme: libpq knows postgresql:// and postgres:// only
    raw = re.sub(r"^(postgresql|postgres|pg)(\+\w+)?://", "postgresql://", raw, flags=re.I)
    base, q, query = raw.partition("?")
    keep, schema_opt = [], None
    for item in query.split("&") if q else []:
        if not item:
            continue
        key, _eq, value = item.partition("=")
        key = unquote(key).strip()
        if key in ("table", "layer"):
            table_opt = table_opt or unquote(value) or None
        elif key == "schema":
            schema_opt = unquote(value) or None
            if schema_opt is not None and not _IDENT_RE.match(schema_opt):
                raise DataSourceError(
                    _(
                        "{uri}: bad schema name {name!r} (no spaces or double quotes, at most 63 "
                        "bytes)"
                    ).format(uri=_redact(base), name=schema_opt)
                )
        else:
            keep.append(item)
    conninfo = base + ("?" + "&".join(keep) if keep else "")
    try:
        params = psycopg.conninfo.conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError as exc:
        raise DataSourceError(
            _("{uri}: not a valid PostgreSQL URI: {reason}").format(
                uri=_redact(conninfo), reason=redact_text(_one_line(exc))
            )
        ) from None
    label = _label(params)
    if params.get("password") or params.get("sslpassword"):  # a spelling uri_secrets missed
        raise DataSourceError(
            _(
                "{uri}: the URI carries a password; passwords must not be written in configs or "
                "commands. Remove it and set PGPASSWORD, use ~/.pgpass, or a service file "
                "(postgresql:///?service=NAME, see PGSERVICEFILE)"
            ).format(uri=label)
        )
    table_name = layer or table_opt
    schema, table = (None, None)
    if table_name:
        schema, table = _split_name(table_name, label)
    if schema_opt:
        if schema and schema != schema_opt:
            raise DataSourceError(
                _("{uri}: schema given twice ({a!r} and {b!r} in {table!r})").format(
                    uri=label, a=schema_opt, b=schema, table=table_name
                )
            )
        schema = schema_opt
    return PostgisSource(conninfo=conninfo, schema=schema, table=table, label=label)


def _label(params: Mapping[str, str]) -> str:
    user = params.get("user", "")
    host = params.get("host", "")
    port = params.get("port", "")
    db = params.get("dbname", "")
    service = params.get("service")
    opts = []
    if host.startswith("/"):  # a Unix socket directory
        host, opts = "", [f"host={host}"]
    if service:
        opts.append(f"service={service}")
    text = f"postgresql://{user + '@' if user else ''}{host}{':' + port if port else ''}/{db}"
    return text + ("?" + "&".join(opts) if opts else "")


def _redact(conninfo: str) -> str:
    """The URI with every secret replaced by *** (:func:`ecogis.config.redact_uri`)."""
    from ..config import redact_uri

    return redact_uri(conninfo)


def _one_line(exc: BaseException) -> str:
    parts = [p.strip() for p in str(exc).strip().splitlines() if p.strip()]
    return "; ".join(parts) or type(exc).__name__


@contextmanager
def connect(source: PostgisSource | str):
    """A psycopg connection to ``source``; connection failures become DataSourceError.

    The connection is closed on exit; commit or roll back inside.
    """
    import psycopg

    src = parse_postgis_uri(source) if isinstance(source, str) else source
    params = psycopg.conninfo.conninfo_to_dict(src.conninfo)
    kwargs = {} if "connect_timeout" in params else {"connect_timeout": _CONNECT_TIMEOUT_S}
    try:
        conn = psycopg.connect(src.conninfo, **kwargs)
    except psycopg.OperationalError as exc:
        raise DataSourceError(
            _("{uri}: cannot connect: {reason}").format(
                uri=src.label, reason=redact_text(_one_line(exc))
            )
        ) from None
    try:
        yield conn
    finally:
        conn.close()


def _engine(src: PostgisSource):
    """A SQLAlchemy engine whose connections libpq opens from ``src.conninfo`` unchanged."""
    import psycopg
    import sqlalchemy
    from sqlalchemy.pool import NullPool

    params = psycopg.conninfo.conninfo_to_dict(src.conninfo)
    kwargs = {} if "connect_timeout" in params else {"connect_timeout": _CONNECT_TIMEOUT_S}

    def creator():
        return psycopg.connect(src.conninfo, **kwargs)

    return sqlalchemy.create_engine("postgresql+psycopg://", creator=creator, poolclass=NullPool)


def _geometry_columns(conn, schema: str, table: str) -> list[tuple[str, int, str]]:
    rows = conn.execute(
        "SELECT f_geometry_column, srid, type FROM geometry_columns "
        "WHERE f_table_schema = %s AND f_table_name = %s ORDER BY f_geometry_column",
        (schema, table),
    ).fetchall()
    return [(str(r[0]), int(r[1]), str(r[2])) for r in rows]


def list_postgis_layers(uri: str) -> list[str]:
    """``schema.table`` of every table or view with a geometry column in the database."""
    src = parse_postgis_uri(uri)
    with connect(src) as conn:
        rows = conn.execute(
            "SELECT DISTINCT f_table_schema, f_table_name FROM geometry_columns ORDER BY 1, 2"
        ).fetchall()
    return [f"{s}.{t}" for s, t in rows]


def _crs_for_srid(conn, srid: int, label: str):
    from pyproj import CRS

    if srid <= 0:
        return None
    row = conn.execute(
        "SELECT auth_name, auth_srid, srtext FROM spatial_ref_sys WHERE srid = %s", (srid,)
    ).fetchone()
    if row and row[0] and row[1]:
        try:
            return CRS.from_authority(str(row[0]), int(row[1]))
        except Exception:  # unknown authority in this PROJ: fall back to the WKT
            pass
    if row and row[2]:
        return CRS.from_wkt(row[2])
    raise LayerError(
        _("{label}: SRID {srid} is not in the database's spatial_ref_sys").format(
            label=label, srid=srid
        )
    )


def read_postgis_layer(uri: str, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read one PostGIS table or view as a GeoDataFrame with the CRS of its SRID.

    Parameters
    ----------
    uri
        PostGIS URI naming the table (see the module docstring).
    layer
        ``schema.table`` or ``table``; overrides the table named in the URI.

    Returns
    -------
    GeoDataFrame
        Attribute columns, then ``geometry``; rows in primary-key order when the table has
        one. A ``fid`` / ``ogc_fid`` integer primary key is the feature id and is not
        returned (as pyogrio does with a GeoPackage's fid). ``crs`` is None for SRID 0.

    Raises
    ------
    DataSourceError
        Bad URI, password in the URI, server unreachable.
    LayerError
        No such table, or a table without a geometry column.
    """
    import geopandas as gpd
    from psycopg import sql

    src = parse_postgis_uri(uri, layer=layer)
    if not src.table:
        raise LayerError(
            _(
                "{uri}: no table named; add ?table=schema.table to the URI "
                "(or #schema.table, |layer=schema.table)"
            ).format(uri=src.label)
        )
    where = _("{uri} table {table}").format(uri=src.label, table=src.qualified)
    with connect(src) as conn:
        schema = src.schema or _search_path_schema(conn, src.table)
        geoms = _geometry_columns(conn, schema, src.table)
        if not geoms:
            known = conn.execute(
                "SELECT 1 FROM information_schema.tables WHERE table_schema = %s "
                "AND table_name = %s",
                (schema, src.table),
            ).fetchone()
            if known:
                raise LayerError(
                    _("{where}: has no geometry column (a plain table?)").format(where=where)
                )
            names = [
                f"{s}.{t}"
                for s, t in conn.execute(
                    "SELECT DISTINCT f_table_schema, f_table_name FROM geometry_columns "
                    "ORDER BY 1, 2"
                ).fetchall()
            ]
            raise LayerError(
                _("{where}: no such table; spatial tables in this database: {names}").format(
                    where=where, names=", ".join(names) or _("(none)")
                )
            )
        gcol, srid, _gtype = geoms[0]
        if len(geoms) > 1:
            warnings.warn(
                _("{where}: {n} geometry columns; reading {column!r}, ignoring {others}").format(
                    where=where,
                    n=len(geoms),
                    column=gcol,
                    others=", ".join(repr(g[0]) for g in geoms[1:]),
                ),
                EcogisWarning,
                stacklevel=2,
            )
        columns = [
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = %s "
                "AND table_name = %s ORDER BY ordinal_position",
                (schema, src.table),
            ).fetchall()
        ]
        pk = _primary_key(conn, schema, src.table)
        other_geoms = {g[0] for g in geoms}
        hidden = set(pk) if len(pk) == 1 and pk[0].lower() in _FID_NAMES else set()
        attrs = [c for c in columns if c not in other_geoms and c not in hidden]
        if srid <= 0:
            # a column without a type modifier: take the SRID of the rows
            srid = _row_srid(conn, schema, src.table, gcol, where)
        crs = _crs_for_srid(conn, srid, where)
        out_name = "geometry" if "geometry" not in attrs else "_geometry"
        query = (
            sql.SQL("SELECT {attrs}ST_AsBinary({g}) AS {out} FROM {t}{order}")
            .format(
                attrs=sql.SQL("").join(sql.SQL("{}, ").format(sql.Identifier(c)) for c in attrs),
                g=sql.Identifier(gcol),
                out=sql.Identifier(out_name),
                t=sql.Identifier(schema, src.table),
                order=(
                    sql.SQL(" ORDER BY {}").format(sql.SQL(", ").join(map(sql.Identifier, pk)))
                    if pk
                    else sql.SQL("")
                ),
            )
            .as_string(conn)
        )
        rows, names = _fetch(conn, query, where)
    import pandas as pd
    import shapely

    df = pd.DataFrame.from_records(rows, columns=names)
    wkb = df.pop(out_name).map(lambda b: bytes(b) if b is not None else None)
    geometry = shapely.from_wkb(wkb.to_numpy())
    gdf = gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geometry, crs=crs).values, crs=crs)
    if out_name != "geometry":
        gdf = gdf.rename_geometry(out_name)
    gdf.attrs["name"] = src.qualified
    return gdf


def _fetch(conn, query: str, where: str):
    import psycopg

    try:
        cur = conn.execute(query)
    except psycopg.Error as exc:
        raise LayerError(
            _("{where}: cannot read: {why}").format(where=where, why=_one_line(exc))
        ) from None
    names = [d.name for d in cur.description]
    return cur.fetchall(), names


def _search_path_schema(conn, table: str) -> str:
    """The schema an unqualified ``table`` resolves to (``public`` when none has it)."""
    row = conn.execute(
        "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.oid = to_regclass(%s)",
        (f'"{table}"',),
    ).fetchone()
    return str(row[0]) if row else "public"


def _primary_key(conn, schema: str, table: str) -> list[str]:
    rows = conn.execute(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
        "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = to_regclass(%s) AND i.indisprimary "
        "ORDER BY array_position(i.indkey, a.attnum)",
        (f'"{schema}"."{table}"',),
    ).fetchall()
    return [str(r[0]) for r in rows]


def _row_srid(conn, schema: str, table: str, gcol: str, where: str) -> int:
    from psycopg import sql

    rows = conn.execute(
        sql.SQL("SELECT DISTINCT ST_SRID({g}) FROM {t} WHERE {g} IS NOT NULL LIMIT 2").format(
            g=sql.Identifier(gcol), t=sql.Identifier(schema, table)
        )
    ).fetchall()
    srids = sorted(int(r[0]) for r in rows)
    if len(srids) > 1:
        raise LayerError(
            _("{where}: rows carry different SRIDs ({srids})").format(
                where=where, srids=", ".join(map(str, srids))
            )
        )
    return srids[0] if srids else 0


def _target_type(gdf) -> str:
    """PostGIS geometry type for a frame: mixed single/multi parts are promoted to multi."""
    types = set(gdf.geometry.geom_type.dropna())
    for single in ("Polygon", "LineString", "Point"):
        if types == {single, "Multi" + single}:
            return "Multi" + single
    return types.pop() if len(types) == 1 else "Geometry"


def _promote(gdf, target: str):
    import shapely

    if not target.startswith("Multi"):
        return gdf
    single = target[len("Multi") :]
    mask = (gdf.geometry.geom_type == single).to_numpy()
    if not mask.any():
        return gdf
    maker = {
        "Polygon": shapely.multipolygons,
        "LineString": shapely.multilinestrings,
        "Point": shapely.multipoints,
    }[single]
    import geopandas as gpd

    arr = gdf.geometry.to_numpy().copy()
    arr[mask] = [maker([g]) for g in arr[mask]]
    return gdf.set_geometry(
        gpd.GeoSeries(arr, index=gdf.index, crs=gdf.crs, name=gdf.geometry.name)
    )


def write_postgis_layers(
    layers: Mapping[str, gpd.GeoDataFrame],
    uri: str,
    *,
    schema: str | None = None,
    overwrite: bool = False,
) -> str:
    """Write several layers to PostGIS tables in one transaction: all of them or none.

    Each table gets a typed geometry column (``geometry(MultiPolygon, 4547)``; a mix of
    Polygon and MultiPolygon is promoted to MultiPolygon), a GiST spatial index and a
    ``fid`` integer primary key numbered 1..n in row order (left out when the frame already
    has a ``fid`` column).

    Parameters
    ----------
    layers
        Table name (``table`` or ``schema.table``) -> GeoDataFrame. When the URI names a
        table (``?table=``) and one layer is given, the URI's table is used.
    uri
        PostGIS URI (see the module docstring); ``?schema=NAME`` sets the default schema.
    schema
        Schema for names without one (default: the URI's, else ``public``); created if
        missing.
    overwrite
        Replace existing tables. Without it an existing table is an error and nothing is
        written.

    Returns
    -------
    str
        The URI, for messages.

    Raises
    ------
    LayerError
        A table exists (without ``overwrite``), or a layer cannot be written.
    DataSourceError
        Bad URI, password in the URI, server unreachable.
    """
    import sqlalchemy

    src = parse_postgis_uri(uri)
    default_schema = schema or src.schema or "public"
    if src.table and len(layers) > 1:
        raise LayerError(
            _(
                "{uri}: the URI names one table ({table}) but {n} layers are to be written "
                "({names}); leave ?table= out (use ?schema=NAME)"
            ).format(uri=src.label, table=src.qualified, n=len(layers), names=", ".join(layers))
        )
    targets: list[tuple[str, str, gpd.GeoDataFrame]] = []
    for name, gdf in layers.items():
        if src.table and len(layers) == 1:
            tschema, table = src.schema or default_schema, src.table
        elif not name:
            raise LayerError(
                _("{uri}: no table named; add ?table=schema.table to the URI").format(uri=src.label)
            )
        else:
            tschema, table = _split_name(str(name), src.label)
            tschema = tschema or default_schema
        targets.append((tschema, table, gdf))
    seen = set()
    for tschema, table, _gdf in targets:
        if (tschema, table) in seen:
            raise LayerError(
                _("{uri}: table {table} given twice").format(
                    uri=src.label, table=f"{tschema}.{table}"
                )
            )
        seen.add((tschema, table))

    engine = _engine(src)
    try:
        try:
            conn = engine.connect()
        except sqlalchemy.exc.DBAPIError as exc:
            raise DataSourceError(
                _("{uri}: cannot connect: {reason}").format(
                    uri=src.label, reason=redact_text(_one_line(exc.orig))
                )
            ) from None
        with conn, conn.begin():
            for tschema, table, gdf in targets:
                _write_one(conn, src, tschema, table, gdf, overwrite=overwrite)
    except sqlalchemy.exc.DBAPIError as exc:
        raise LayerError(
            _("{uri}: write failed, nothing written: {reason}").format(
                uri=src.label, reason=redact_text(_one_line(exc.orig))
            )
        ) from None
    finally:
        engine.dispose()
    return str(uri)


def _execute(conn, query, params=None):
    """Run a :mod:`psycopg.sql` statement on the SQLAlchemy connection's own psycopg connection
    (the same transaction). Composed statements keep names holding ``%`` or quotes intact,
    which SQL text through ``exec_driver_sql`` does not."""
    return conn.connection.driver_connection.execute(query, params)


def _write_one(conn, src: PostgisSource, schema: str, table: str, gdf, *, overwrite: bool):
    import psycopg
    import sqlalchemy
    from geoalchemy2 import Geometry
    from psycopg import sql

    where = _("{uri} table {table}").format(uri=src.label, table=f"{schema}.{table}")
    if gdf.crs is None:
        raise LayerError(
            _("{where}: the layer has no CRS; a PostGIS table needs an SRID").format(where=where)
        )
    srid = gdf.crs.to_epsg()
    if srid is None:
        raise LayerError(
            _(
                "{where}: CRS {crs} has no EPSG code; reproject to an EPSG CRS (e.g. EPSG:4547) "
                "before writing to PostGIS"
            ).format(where=where, crs=gdf.crs.to_string())
        )
    dbapi = conn.connection.driver_connection
    qual = sql.Identifier(schema, table).as_string(dbapi)
    exists = conn.exec_driver_sql("SELECT to_regclass(%s)", (qual,)).scalar() is not None
    if exists and not overwrite:
        raise LayerError(
            _("{where}: table exists; pass --overwrite to replace it").format(where=where)
        )
    _execute(conn, sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    if exists:
        _execute(conn, sql.SQL("DROP TABLE {}").format(sql.Identifier(schema, table)))

    target = _target_type(gdf)
    gdf = _promote(gdf, target)
    gname = gdf.geometry.name
    add_fid = "fid" not in gdf.columns
    frame = gdf.reset_index(drop=True)
    if add_fid:
        frame.index = frame.index + 1
    # SQLAlchemy doubles a % in names for psycopg's placeholders and never undoes it in DDL:
    # such tables are made under a plain name in a staging schema, then moved and renamed
    staged = "%" in schema or "%" in table
    w_schema, w_table = (
        (f"ecogis_stage_{uuid.uuid4().hex[:12]}", "t") if staged else (schema, table)
    )
    if staged:
        _execute(conn, sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(w_schema)))
    try:
        frame.to_postgis(
            w_table,
            conn,
            schema=w_schema,
            if_exists="fail",
            index=add_fid,
            index_label="fid" if add_fid else None,
            dtype={gname: Geometry(geometry_type=target.upper(), srid=srid, spatial_index=False)},
        )
    except (ValueError, TypeError) as exc:
        raise LayerError(
            _("{where}: cannot write: {reason}").format(where=where, reason=_one_line(exc))
        ) from None
    except sqlalchemy.exc.DBAPIError as exc:
        raise LayerError(
            _("{where}: cannot write: {reason}").format(where=where, reason=_one_line(exc.orig))
        ) from None
    except psycopg.Error as exc:  # pandas' COPY goes through the raw psycopg cursor
        raise LayerError(
            _("{where}: cannot write: {reason}").format(where=where, reason=_one_line(exc))
        ) from None
    if staged:
        _execute(
            conn,
            sql.SQL("ALTER TABLE {} RENAME TO {}").format(
                sql.Identifier(w_schema, w_table), sql.Identifier(table)
            ),
        )
        _execute(
            conn,
            sql.SQL("ALTER TABLE {} SET SCHEMA {}").format(
                sql.Identifier(w_schema, table), sql.Identifier(schema)
            ),
        )
        _execute(conn, sql.SQL("DROP SCHEMA {}").format(sql.Identifier(w_schema)))
    if add_fid:
        # the primary key replaces the plain index pandas puts on an index column
        for (name,) in conn.exec_driver_sql(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = to_regclass(%s) AND NOT i.indisprimary",
            (qual,),
        ).fetchall():
            if name.startswith("ix_") and name.endswith("_fid"):
                _execute(conn, sql.SQL("DROP INDEX {}").format(sql.Identifier(schema, name)))
        _execute(
            conn,
            sql.SQL("ALTER TABLE {} ADD PRIMARY KEY (fid)").format(sql.Identifier(schema, table)),
        )
    has_index = conn.exec_driver_sql(
        "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_am am ON am.oid = c.relam WHERE i.indrelid = to_regclass(%s) "
        "AND am.amname = 'gist'",
        (qual,),
    ).first()
    if not has_index:  # GeoAlchemy2 usually made one already
        _execute(
            conn,
            sql.SQL("CREATE INDEX {} ON {} USING GIST ({})").format(
                sql.Identifier(f"idx_{table}_{gname}"[:63]),
                sql.Identifier(schema, table),
                sql.Identifier(gname),
            ),
        )

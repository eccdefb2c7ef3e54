"""Where a run writes, compared with what it reads: no output lands on an input.

A command collects the sources it reads (the config's layers, a sites file, the registry) and
asks :func:`refuse_onto_inputs` before its work starts. Two files are the same when they are
the same file on disk (links resolved, hard links included); two tables are the same when
host, port, database, schema and table agree. ``--overwrite`` does not lift the refusal: it
says that an old *output* may go, never an input.

>>> refuse_onto_inputs("out.gpkg", ["in.gpkg|layer=a"])  # different files: fine
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..config import is_database_uri, split_layer_path
from ..errors import LayerError
from ..i18n import _

__all__ = ["Place", "place_of", "refuse_onto_inputs", "is_registry_file"]


@dataclass(frozen=True)
class Place:
    """One file, or one database schema with the tables read or written in it."""

    kind: str  #: ``"file"`` or ``"database"``
    key: tuple  #: the identity compared
    label: str  #: for messages
    tables: frozenset[str] = frozenset()  #: database tables (empty: the whole schema)


def place_of(source: str | os.PathLike, *, tables: Iterable[str] = ()) -> Place:
    """The place a source names: a file (``file.gpkg|layer=x`` names the file), or a
    database schema with its ``tables`` (the URI's own table is added)."""
    text = str(source)
    if is_database_uri(text):
        return _database_place(text, tables)
    base, _layer = split_layer_path(text)
    path = Path(base).expanduser()
    if path.suffix.lower() == ".shp" or path.suffix.lower() in (".dbf", ".shx", ".prj", ".cpg"):
        # a shapefile is its family of sidecar files: compare the .shp
        path = path.with_suffix(".shp")
    return Place("file", _file_key(path), str(path))


def _file_key(path: Path) -> tuple:
    try:
        st = path.stat()
    except OSError:
        return ("path", os.path.normcase(os.path.realpath(path)))
    return ("inode", st.st_dev, st.st_ino)


def _database_place(uri: str, tables: Iterable[str]) -> Place:
    from .postgis import parse_postgis_uri

    src = parse_postgis_uri(uri)  # refuses a password before anything is loaded
    import psycopg

    params = psycopg.conninfo.conninfo_to_dict(src.conninfo)
    host = params.get("host") or params.get("hostaddr") or os.environ.get("PGHOST", "")
    port = str(params.get("port") or os.environ.get("PGPORT", "5432"))
    user = params.get("user") or os.environ.get("PGUSER", "")
    db = params.get("dbname") or os.environ.get("PGDATABASE", "") or user
    service = params.get("service", "")
    schema = src.schema or "public"
    names = set(tables)
    if src.table:
        names.add(src.table)
    return Place(
        "database",
        (service, host, port, db, schema),
        f"{src.label} {schema}",
        frozenset(n.rpartition(".")[2] for n in names),
    )


def _meets(out: Place, inp: Place) -> str | None:
    """The name of what ``out`` would overwrite in ``inp``, else None."""
    if out.kind != inp.kind or out.key != inp.key:
        return None
    if out.kind == "file":
        return out.label
    if not inp.tables or not out.tables:  # a whole schema (the registry's)
        return out.label
    common = sorted(out.tables & inp.tables)
    return f"{out.label}.{common[0]}" if common else None


def refuse_onto_inputs(
    output: str | os.PathLike | None,
    inputs: Iterable[str | os.PathLike | None],
    *,
    tables: Iterable[str] = (),
    registry: str | os.PathLike | None = None,
) -> None:
    """Refuse an output that is one of the run's inputs or the restoration registry.

    Parameters
    ----------
    output
        The output file or database URI (None: nothing written).
    inputs
        Every source the run reads (``file|layer=x`` and URIs with their table).
    tables
        For a database output: the tables the run writes.
    registry
        The registry's location (a GeoPackage, or a URI whose schema holds it).

    Raises
    ------
    LayerError
        Naming the output, what it would overwrite, and what to do instead.
    """
    if output is None:
        return
    out = place_of(output, tables=tables)
    if registry is not None:
        reg = place_of(registry)
        if reg.kind == "database":
            reg = Place(reg.kind, reg.key, reg.label)  # the whole schema is the registry's
        if _meets(out, reg):
            raise LayerError(
                _(
                    "{output}: this is the restoration registry ({registry}); writing there "
                    "would replace it and its history. Write the output to another file"
                ).format(output=output, registry=registry)
            )
    for source in inputs:
        if source is None:
            continue
        hit = _meets(out, place_of(source))
        if hit:
            raise LayerError(
                _(
                    "{output}: the run reads {source} from there; the output would overwrite "
                    "its own input (even with --overwrite). Write the output to another file"
                ).format(output=output, source=source)
            )
    if out.kind == "file" and is_registry_file(Path(str(output))):
        raise LayerError(
            _(
                "{output}: this GeoPackage holds a restoration registry (tables pits, plots, "
                "events); writing there would replace it. Write the output to another file"
            ).format(output=output)
        )


def is_registry_file(path: Path) -> bool:
    """Whether ``path`` is a GeoPackage holding an ecogis registry (its ``events`` log)."""
    if path.suffix.lower() != ".gpkg" or not path.is_file():
        return False
    import sqlite3

    try:
        con = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        names = {
            r[0]
            for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
        }
    except sqlite3.Error:
        return False
    finally:
        con.close()
    return {"pits", "plots", "events"} <= names

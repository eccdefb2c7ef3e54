"""Where the restoration registry lives: a GeoPackage file, or a PostGIS schema.

One write algorithm (:mod:`.base`) over two dialects (:mod:`.gpkg`, :mod:`.postgis`); the
event log is written by history triggers generated for both from the registry schema
(:mod:`.history`), for ecogis and every other client.
"""

from __future__ import annotations

import os

from .base import PAUSE_ENV, Plan, Registry
from .gpkg import GpkgRegistry
from .postgis import PgRegistry

__all__ = ["Registry", "GpkgRegistry", "PgRegistry", "Plan", "PAUSE_ENV", "open_registry"]


def open_registry(location: str | os.PathLike, *, timeout: float = 60.0) -> Registry:
    """The registry at ``location``: a GeoPackage path or a PostGIS URI.

    Parameters
    ----------
    location
        A ``.gpkg`` path (:class:`GpkgRegistry`), or ``postgresql://user@host/db`` with an
        optional ``?schema=NAME`` (:class:`PgRegistry`, schema ``ecogis`` by default; no
        password in the URI).
    timeout
        Seconds to wait for another writer's lock.

    Raises
    ------
    DataSourceError
        No registry there, the server is unreachable, or the URI carries a password.
    """
    from ...config import is_database_uri

    if is_database_uri(str(location)):
        return PgRegistry(str(location), timeout=timeout)
    return GpkgRegistry(location, timeout=timeout)

"""Errors and warnings raised by ecogis.

Every error a user can cause derives from :class:`EcogisError`. Subclasses mix in the
builtin exception that best describes them (rasterio's pattern), so callers can catch
either ``ecogis.errors.LayerError`` or ``OSError`` / ``ValueError``.

The CLI turns an ``EcogisError`` into a single ``Error: ...`` line; its ``exit_code``
says which status to leave with (2 for bad usage, config or input; 1 otherwise).
"""

from __future__ import annotations

__all__ = [
    "EcogisError",
    "ConfigError",
    "LayerError",
    "CRSError",
    "DataSourceError",
    "RuleError",
    "RegistryError",
    "GeometryError",
    "EcogisWarning",
]


class EcogisError(Exception):
    """Root of all ecogis errors."""

    #: exit status the CLI uses for this error
    exit_code = 1


class ConfigError(EcogisError, ValueError):
    """A config file is malformed: unknown key, wrong type, bad reference.

    ``key`` is the dotted key path (``rulesets.pv.checks[2].buffer_m``) when known.
    """

    exit_code = 2

    def __init__(self, message: str, *, key: str | None = None, path: str | None = None):
        self.key = key
        self.path = path
        prefix = ""
        if path:
            prefix += f"{path}: "
        if key:
            prefix += f"{key}: "
        super().__init__(prefix + message)


class LayerError(EcogisError, OSError):
    """A layer cannot be read or written: missing file, missing layer, wrong geometry."""

    exit_code = 2


class CRSError(EcogisError, ValueError):
    """A layer has no CRS, or coordinates that cannot be right for the CRS it claims."""

    exit_code = 2


class GeometryError(EcogisError, ValueError):
    """Geometries that are refused (invalid under ``on_invalid='raise'``)."""

    exit_code = 2


class DataSourceError(EcogisError, OSError):
    """A file or database cannot be opened, parsed or reached (TXT, raster, PostGIS)."""

    exit_code = 2


class RuleError(EcogisError, ValueError):
    """A screening rule cannot be applied (unknown rule, missing layer or raster)."""

    exit_code = 2


class RegistryError(EcogisError, ValueError):
    """A restoration registry update is refused: unknown id, impossible transition, bad value."""

    exit_code = 2


class EcogisWarning(UserWarning):
    """Recoverable problems: repaired geometries, guessed encodings, dropped empties."""

"""ecogis: ecological-restoration GIS for county-level planning in China.

Three control lines, restoration tracking, site screening, offline HTML maps.
Areas in m² and mu (亩), CGCS2000 coordinate systems, Chinese planning formats.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import (
    ConfigError,
    CRSError,
    DataSourceError,
    EcogisError,
    EcogisWarning,
    GeometryError,
    LayerError,
    RegistryError,
    RuleError,
)

__all__ = [
    "__version__",
    "EcogisError",
    "ConfigError",
    "CRSError",
    "DataSourceError",
    "GeometryError",
    "LayerError",
    "RegistryError",
    "RuleError",
    "EcogisWarning",
]

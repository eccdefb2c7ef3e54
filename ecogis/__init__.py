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

#: public functions, imported on first use so that ``import ecogis`` (and ``ecogis --help``)
#: stays light: name -> module
_LAZY = {
    "load_config": "ecogis.config",
    "read_layer": "ecogis.io",
    "write_layer": "ecogis.io",
    "read_coord_txt": "ecogis.io",
    "write_coord_txt": "ecogis.io",
    "intersect_pairs": "ecogis.overlay",
    "overlap_area": "ecogis.overlay",
    "difference_each": "ecogis.overlay",
    "check_controls": "ecogis.controls",
    "screen_sites": "ecogis.screening",
    "summarize_progress": "ecogis.restoration",
    "open_registry": "ecogis.registry",
    "get_engine": "ecogis.overlay",
    "make_demo": "ecogis.demo",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ecogis' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    *_LAZY,
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

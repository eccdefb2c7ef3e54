"""ecogis: ecological-restoration GIS for county-level planning in China.

Three control lines, restoration tracking, site screening, offline HTML maps.
Areas in m² and mu (亩), CGCS2000 coordinate systems, Chinese planning formats.

Open a project, run a job, look at the result::

    import ecogis
    project = ecogis.Project.open("configs/demo.yaml")
    report = ecogis.run_controls(project)
    report.conflicts            # a GeoDataFrame
"""

from __future__ import annotations

__version__ = "0.1.0"

from ._lazy import lazy_getattr
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

#: public names, imported on first use so that ``import ecogis`` (and ``ecogis --help``)
#: stays light: name -> module
_LAZY = {
    "Project": "ecogis.io.project",
    "load_config": "ecogis.config",
    "read_layer": "ecogis.io",
    "write_layer": "ecogis.io",
    "write_layers": "ecogis.io",
    "read_coord_txt": "ecogis.io",
    "write_coord_txt": "ecogis.io",
    "write_table": "ecogis.io.tables",
    "write_tables": "ecogis.io.tables",
    "intersect_pairs": "ecogis.overlay",
    "overlap_area": "ecogis.overlay",
    "difference_each": "ecogis.overlay",
    "get_engine": "ecogis.overlay",
    "check_controls": "ecogis.controls",
    "run_controls": "ecogis.controls",
    "build_controls_map": "ecogis.controls",
    "screen_sites": "ecogis.screening",
    "run_screening": "ecogis.screening",
    "build_screening_map": "ecogis.screening",
    "summarize_progress": "ecogis.restoration",
    "run_progress": "ecogis.restoration",
    "build_progress_map": "ecogis.restoration",
    "init_registry": "ecogis.restoration",
    "open_registry": "ecogis.restoration",
    "save_map": "ecogis.mapping",
    "make_demo": "ecogis.demo",
}
__getattr__ = lazy_getattr(__name__, _LAZY)

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

"""Overlay engines: the same three operations, local threads or dask partitions.

``get_engine("local", workers=...)`` runs :mod:`ecogis.overlay` in this process;
``get_engine("dask", scheduler=..., partitions=...)`` runs :mod:`ecogis.overlay.dask_engine`
on dask partitions. Both give the same results; commands take ``--engine local|dask``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from geopandas import GeoDataFrame, GeoSeries

from ..errors import ConfigError
from ..model import ENGINES
from . import core as overlay

__all__ = ["Engine", "get_engine", "ENGINES"]


@dataclass(frozen=True)
class Engine:
    """The three overlay operations of one engine, with its options bound.

    ``engine.intersect_pairs(left, right, keep_geometry=False)`` etc. take the same
    arguments as the functions in :mod:`ecogis.overlay` (minus ``workers`` / ``progress``,
    which the engine's options replace).
    """

    name: str
    options: dict = field(default_factory=dict)

    def intersect_pairs(
        self,
        left: GeoDataFrame,
        right: GeoDataFrame,
        *,
        keep_geometry: bool = True,
        progress: Callable[[int, int], None] | None = None,
    ) -> GeoDataFrame:
        if self.name == "dask":
            from .dask_engine import intersect_pairs_dask

            res = intersect_pairs_dask(left, right, keep_geometry=keep_geometry, **self.options)
            if progress is not None:  # dask reports no per-chunk progress here
                progress(1, 1)
            return res
        return overlay.intersect_pairs(
            left, right, keep_geometry=keep_geometry, progress=progress, **self.options
        )

    def self_overlaps(self, gdf: GeoDataFrame) -> GeoDataFrame:
        if self.name == "dask":
            from .dask_engine import self_overlaps_dask

            return self_overlaps_dask(gdf, **self.options)
        return overlay.self_overlaps(gdf, **self.options)

    def overlap_area(
        self, left: GeoDataFrame, right: GeoDataFrame, *, by: str = "left"
    ) -> np.ndarray:
        if self.name == "dask":
            from .dask_engine import overlap_area_dask

            return overlap_area_dask(left, right, by=by, **self.options)
        return overlay.overlap_area(left, right, by=by, **self.options)

    def difference_each(self, left: GeoDataFrame, right: GeoDataFrame) -> GeoSeries:
        if self.name == "dask":
            from .dask_engine import difference_each_dask

            return difference_each_dask(left, right, **self.options)
        return overlay.difference_each(left, right, **self.options)


def get_engine(name: str = "local", **opts: Any) -> Engine:
    """The overlay engine called ``name`` with its options.

    Parameters
    ----------
    name : {"local", "dask"}
        ``local``: in-process threads (:mod:`ecogis.overlay`). ``dask``: dask partitions.
    **opts
        ``local``: ``workers``. ``dask``: ``scheduler``, ``partitions``, ``workers_per_task``,
        ``storage`` (the folder where worker processes read the partitioned large layer; on a
        cluster of several machines, one they all can read; default: the temporary folder).
        ``None`` values are dropped, so CLI options can be passed straight through.

    Examples
    --------
    >>> engine = get_engine("dask", scheduler=None, partitions=8)
    >>> engine.name
    'dask'
    """
    allowed = {
        "local": ("workers",),
        "dask": ("scheduler", "partitions", "workers_per_task", "storage"),
    }
    if name not in allowed:
        raise ConfigError(f"unknown engine {name!r}; allowed: {', '.join(ENGINES)}", key="engine")
    opts = {k: v for k, v in opts.items() if v is not None}
    bad = sorted(set(opts) - set(allowed[name]))
    if bad:
        raise ConfigError(
            f"option {', '.join(bad)} does not apply to the {name} engine; "
            f"it takes: {', '.join(allowed[name])}",
            key="engine",
        )
    if name == "dask":
        try:
            import dask_geopandas  # noqa: F401
            import distributed  # noqa: F401
        except ImportError:
            raise ConfigError(
                "the dask engine needs dask-geopandas and distributed: pip install 'ecogis[dask]'",
                key="engine",
            ) from None
        if "partitions" in opts:
            from .dask_engine import _n_partitions

            _n_partitions(1, opts["partitions"], 1)
    return Engine(name=name, options=opts)

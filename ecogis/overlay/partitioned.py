"""A large layer written once as a spatially partitioned GeoParquet dataset, for dask workers.

Shipping every partition from the driver to the workers does not scale: the driver's network
link (or, on one machine, its pickling) becomes the bottleneck, and each worker holds what it
was sent. Instead the large layer is written once as a folder of GeoParquet files, one per
spatial partition, and each dask task reads its own partition from that folder -- on a cluster
of several machines the folder must be on storage every worker can read (NFS, a shared disk).

Layout of the folder::

    part.0.parquet, part.1.parquet, ...   GeoParquet: ``geometry`` (WKB) and ``_pos``, the
                                          feature's position (``iloc``) in the original layer
    _partitions.json                      CRS, feature count, each part's file, rows and box

Partitions are contiguous runs of the features ordered along a Hilbert curve (of the centres of
their bounding boxes), so each is spatially compact and its bounding box small; the boxes are
kept in ``_partitions.json`` and on :class:`PartitionedLayer`. Any GeoParquet reader (geopandas,
dask-geopandas, DuckDB, QGIS) can read the folder.

Where it is written: :func:`partition_layer` writes into ``storage`` (a new ``ecogis-dask-*``
folder inside it) or, by default, into the system's temporary folder; used as a context manager
it removes the folder it created on exit. The dask engine does that for each call that is given
a GeoDataFrame; a :class:`PartitionedLayer` given to it instead is read and left in place.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import shapely
from geopandas import GeoDataFrame

from ..errors import DataSourceError

__all__ = ["PartitionedLayer", "partition_layer", "hilbert_order", "INDEX_FILE"]

#: the file that describes a partitioned dataset
INDEX_FILE = "_partitions.json"
_PREFIX = "ecogis-dask-"


class PartitionedLayer:
    """A partitioned GeoParquet dataset on disk (see the module docstring).

    Attributes
    ----------
    path : Path
        The dataset folder.
    files : list of Path
        One GeoParquet file per partition.
    bounds : numpy.ndarray
        (k, 4) bounding box of each partition (NaN for a partition of empty geometries).
    rows : numpy.ndarray
        Features per partition.
    crs
        The layer's CRS (``pyproj.CRS`` or None).
    """

    def __init__(self, path, files, bounds, rows, crs, *, owned: bool = False):
        self.path = Path(path)
        self.files = [Path(f) for f in files]
        self.bounds = np.asarray(bounds, dtype=float).reshape(-1, 4)
        self.rows = np.asarray(rows, dtype=np.int64)
        self.crs = crs
        self._owned = owned

    def __len__(self) -> int:
        return int(self.rows.sum())

    @property
    def n_partitions(self) -> int:
        return len(self.files)

    @classmethod
    def open(cls, path: str | os.PathLike) -> PartitionedLayer:
        """A dataset written earlier by :func:`partition_layer` (it stays where it is)."""
        from pyproj import CRS

        path = Path(path)
        try:
            meta = json.loads((path / INDEX_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DataSourceError(f"{path}: not a partitioned ecogis dataset: {exc}") from None
        parts = meta["partitions"]
        return cls(
            path,
            [path / p["file"] for p in parts],
            [p["bounds"] for p in parts],
            [p["rows"] for p in parts],
            CRS.from_user_input(meta["crs"]) if meta.get("crs") else None,
        )

    def read(self) -> GeoDataFrame:
        """The whole layer back in its original order (for checks; workers read parts)."""
        import geopandas
        import pandas as pd

        frames = [geopandas.read_parquet(f) for f in self.files]
        gdf = geopandas.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry")
        return gdf.sort_values("_pos").reset_index(drop=True).set_crs(self.crs, allow_override=True)

    def remove(self) -> None:
        """Delete the dataset folder."""
        shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self) -> PartitionedLayer:
        return self

    def __exit__(self, *exc) -> None:
        if self._owned:
            self.remove()


def hilbert_order(geoms: np.ndarray, *, level: int | None = None) -> np.ndarray:
    """Positions of ``geoms`` sorted along a Hilbert curve of their bounding-box centres.

    The centres are snapped to a ``2**level`` grid over the layer's bounds; by default a grid
    with about four cells per feature (finer orders only break ties that no partition
    boundary cares about). Empty and missing geometries come first (they match nothing); ties
    keep the input order.
    """
    if level is None:
        level = int(min(16, max(2, np.ceil(np.log2(max(len(geoms), 1)) / 2) + 1)))
    b = shapely.bounds(geoms)
    live = ~np.isnan(b[:, 0])
    key = np.zeros(len(geoms), dtype=np.int64)
    if live.any():
        cx = 0.5 * (b[live, 0] + b[live, 2])
        cy = 0.5 * (b[live, 1] + b[live, 3])
        side = (1 << level) - 1
        lo_x, lo_y = cx.min(), cy.min()
        span = max(cx.max() - lo_x, cy.max() - lo_y) or 1.0
        x = np.clip((cx - lo_x) / span * side, 0, side).astype(np.uint32)
        y = np.clip((cy - lo_y) / span * side, 0, side).astype(np.uint32)
        key[live] = _hilbert_index(x, y, level).astype(np.int64) + 1
    return np.argsort(key, kind="stable")


def _hilbert_index(x: np.ndarray, y: np.ndarray, level: int) -> np.ndarray:
    """Distance along the Hilbert curve of order ``level`` (<= 16) of integer cells (x, y)."""
    x = np.asarray(x, dtype=np.uint32).copy()
    y = np.asarray(y, dtype=np.uint32).copy()
    full = np.uint32((1 << level) - 1)
    d = np.zeros(len(x), dtype=np.uint32)
    s = 1 << (level - 1)
    while s > 0:
        rx = (x & s) != 0
        ry = (y & s) != 0
        d += np.uint32(s * s) * ((rx.astype(np.uint32) * 3) ^ ry)
        # rotate the quadrant so that the curve inside it runs in the standard direction
        flip = (rx & ~ry).astype(np.uint32) * full
        x ^= flip
        y ^= flip
        swap = ~ry
        x, y = np.where(swap, y, x), np.where(swap, x, y)
        s >>= 1
    return d


def partition_layer(
    gdf: GeoDataFrame,
    *,
    partitions: int,
    storage: str | os.PathLike | None = None,
    workers: int | None = None,
    on_written=None,
) -> PartitionedLayer:
    """Write ``gdf``'s geometries as a Hilbert-partitioned GeoParquet dataset.

    Parameters
    ----------
    gdf : GeoDataFrame
        The large layer (only its geometries are written, with their positions).
    partitions : int
        Number of partitions (contiguous runs of equal size along the Hilbert curve).
    storage : path, optional
        Folder in which a new ``ecogis-dask-*`` dataset folder is made; on a cluster of several
        machines, a folder every worker can read. Default: the system's temporary folder.
    workers : int, optional
        Threads writing parts at once (encoding WKB and Parquet releases the GIL).
    on_written : callable, optional
        Called as ``on_written(index, file)`` as each part is on disk, from the calling
        thread, in the order the parts finish (lets dask start on early parts).

    Returns
    -------
    PartitionedLayer
        Owns its folder: use it as a context manager (or call ``remove()``) to delete it.
    """
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    k = max(1, min(int(partitions), max(1, len(geoms))))
    try:
        if storage is not None:
            Path(storage).mkdir(parents=True, exist_ok=True)
        root = Path(tempfile.mkdtemp(prefix=_PREFIX, dir=storage))
    except OSError as exc:
        raise DataSourceError(f"{storage}: cannot write the dask partitions there: {exc}") from None
    try:
        order = hilbert_order(geoms)
        runs = [run for run in np.array_split(order, k)]
        files = [root / f"part.{i}.parquet" for i in range(len(runs))]
        bounds = np.full((len(runs), 4), np.nan)
        crs = gdf.crs

        geo = _geo_metadata(crs)

        def write(i: int) -> int:
            # ascending positions inside a part: memory order is faster to visit, and the
            # local pair order matches the global one
            run = np.sort(runs[i])
            part = geoms[run]
            b = shapely.total_bounds(part) if len(run) else np.full(4, np.nan)
            bounds[i] = b
            _write_part(files[i], run, part, geo, b)
            return i

        nthreads = max(1, min(workers or os.cpu_count() or 1, len(runs)))
        with ThreadPoolExecutor(max_workers=nthreads) as pool:
            for i in pool.map(write, range(len(runs))):
                if on_written is not None:
                    on_written(i, files[i])
        meta = {
            "crs": crs.to_wkt() if crs is not None else None,
            "count": len(geoms),
            "partitions": [
                {"file": f.name, "rows": len(r), "bounds": [_num(v) for v in b]}
                for f, r, b in zip(files, runs, bounds, strict=True)
            ],
        }
        (root / INDEX_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return PartitionedLayer(root, files, bounds, [len(r) for r in runs], crs, owned=True)


def _geo_metadata(crs) -> dict:
    """The GeoParquet 1.0 ``geo`` metadata of a part (geometry in WKB, the layer's CRS)."""
    return {
        "version": "1.0.0",
        "primary_column": "geometry",
        "columns": {
            "geometry": {
                "encoding": "WKB",
                "geometry_types": [],
                "crs": json.loads(crs.to_json()) if crs is not None else None,
            }
        },
    }


def _write_part(file: Path, pos: np.ndarray, geoms: np.ndarray, geo: dict, bbox) -> None:
    """One part as GeoParquet: ``_pos`` and ``geometry`` (WKB), with its bounding box."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    meta = json.loads(json.dumps(geo))
    if not np.isnan(bbox).any():
        meta["columns"]["geometry"]["bbox"] = [float(v) for v in bbox]
    table = pa.table(
        {"_pos": pa.array(pos, type=pa.int64()), "geometry": pa.array(shapely.to_wkb(geoms))},
        metadata={b"geo": json.dumps(meta).encode()},
    )
    # every WKB value is distinct: a dictionary would be built only to be given up
    pq.write_table(table, file, use_dictionary=["_pos"])


def _num(v: float):
    return None if math.isnan(v) else float(v)


def read_part(file: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """One partition's geometries and their positions in the original layer (in a task)."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(file, columns=["_pos", "geometry"])
    except FileNotFoundError:
        import socket

        raise DataSourceError(
            f"dask worker on {socket.gethostname()}: partition file {file} not found; on a "
            "cluster of several machines the partitions must be on storage every worker can "
            "read: give the dask engine storage=<shared folder>"
        ) from None
    pos = table.column("_pos").to_numpy()
    geoms = shapely.from_wkb(table.column("geometry").to_numpy(zero_copy_only=False))
    return geoms, pos

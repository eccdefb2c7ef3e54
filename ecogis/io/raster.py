"""Open rasters (DEM, NDVI, land cover) with clear errors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import CRSError, DataSourceError

if TYPE_CHECKING:
    import rasterio

__all__ = ["open_raster"]


def open_raster(
    path: str | os.PathLike, *, name: str | None = None, require_nodata: bool = False
) -> rasterio.DatasetReader:
    """Open a raster for reading; the caller closes it (use as a context manager).

    Raises
    ------
    DataSourceError
        Missing or unreadable file, or (``require_nodata``) no nodata value.
    CRSError
        No CRS.
    """
    import rasterio
    from rasterio.errors import RasterioIOError

    path = Path(path)
    label = name or path.name
    if not path.exists():
        raise DataSourceError(f"{label}: raster not found: {path}")
    try:
        ds = rasterio.open(path)
    except RasterioIOError as exc:
        raise DataSourceError(
            f"{label}: cannot read raster {path}: {str(exc).splitlines()[0]}"
        ) from None
    if ds.crs is None:
        ds.close()
        raise CRSError(
            f"{label}: raster {path.name} has no CRS; add one (e.g. gdal_edit.py -a_srs EPSG:4547)"
        )
    if require_nodata and ds.nodata is None:
        ds.close()
        raise DataSourceError(
            f"{label}: raster {path.name} has no nodata value; set one (e.g. gdal_edit.py -a_nodata -9999)"
        )
    return ds

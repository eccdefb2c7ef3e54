"""Open rasters (DEM, NDVI, land cover) with clear errors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import CRSError, DataSourceError
from ..i18n import _

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
        raise DataSourceError(_("{label}: raster not found: {path}").format(label=label, path=path))
    try:
        ds = rasterio.open(path)
    except RasterioIOError as exc:
        raise DataSourceError(
            _("{label}: cannot read raster {path}: {why}").format(
                label=label, path=path, why=str(exc).splitlines()[0]
            )
        ) from None
    if ds.crs is None:
        ds.close()
        raise CRSError(
            _(
                "{label}: raster {file} has no CRS; add one (e.g. gdal_edit.py -a_srs EPSG:4547)"
            ).format(label=label, file=path.name)
        )
    if require_nodata and ds.nodata is None:
        ds.close()
        raise DataSourceError(
            _(
                "{label}: raster {file} has no nodata value; set one (e.g. gdal_edit.py "
                "-a_nodata -9999)"
            ).format(label=label, file=path.name)
        )
    return ds

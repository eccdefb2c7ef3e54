"""Read the layers a config names, in one working CRS."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import LayerError

if TYPE_CHECKING:
    import geopandas as gpd
    from pyproj import CRS

    from ..config import Config, LayerSpec

__all__ = ["read_config_layer", "read_townships", "study_area_bounds", "resolve_working_crs"]


def read_config_layer(
    config: Config,
    name: str,
    *,
    to_crs: CRS | None = None,
    geom_type: str | None = "polygon",
    key: str | None = None,
    raw: bool = False,
) -> gpd.GeoDataFrame:
    """Read the vector layer ``name`` of ``config``, validated and (optionally) reprojected.

    The config's ``on_invalid`` policy applies unless the layer sets its own.
    """
    spec: LayerSpec = config.layer(name, key=key)
    if spec.is_raster:
        raise LayerError(f"layers.{name}: {spec.path} is a raster; a vector layer is needed here")
    from .vector import read_layer

    gdf = read_layer(
        spec.path,
        layer=spec.layer,
        name=f"{name} ({spec.title})" if spec.label else name,
        crs=spec.crs,
        encoding=spec.encoding,
        on_invalid=spec.on_invalid or config.on_invalid,
        geom_type=None if raw else geom_type,
        id_field=spec.id_field,
        raw=raw,
    )
    if to_crs is not None and gdf.crs is not None:
        from ..crs import to_working

        gdf = to_working(gdf, to_crs)
    return gdf


def study_area_bounds(
    layers: dict[str, gpd.GeoDataFrame],
) -> tuple[float, float, float, float] | None:
    """Lon/lat bounds (EPSG:4490) of the given layers together, or None if none has a CRS."""
    import numpy as np
    from pyproj import Transformer

    boxes = []
    for gdf in layers.values():
        if gdf.crs is None or len(gdf) == 0:
            continue
        minx, miny, maxx, maxy = gdf.total_bounds
        if not np.isfinite([minx, miny, maxx, maxy]).all():
            continue
        tr = Transformer.from_crs(gdf.crs, 4490, always_xy=True)
        xs, ys = tr.transform([minx, minx, maxx, maxx], [miny, maxy, miny, maxy])
        if np.isfinite(xs).all() and np.isfinite(ys).all():
            boxes.append((min(xs), min(ys), max(xs), max(ys)))
    if not boxes:
        return None
    arr = np.array(boxes)
    return (
        float(arr[:, 0].min()),
        float(arr[:, 1].min()),
        float(arr[:, 2].max()),
        float(arr[:, 3].max()),
    )


def resolve_working_crs(config: Config, layers: dict[str, gpd.GeoDataFrame]) -> CRS:
    """The run's working CRS: ``config.crs``, or for ``auto`` the GK zone of the study area.

    The study area is the ``boundary`` layer when it was read, else all given layers.
    """
    from ..crs import working_crs

    boundary = {
        n: g
        for n, g in layers.items()
        if n in config.layers and config.layers[n].role == "boundary"
    }
    return working_crs(config.crs, study_area_bounds(boundary or layers))


def read_townships(config: Config, crs) -> tuple[gpd.GeoDataFrame | None, str | None]:
    """The first ``admin`` layer (in ``crs``) and its ``name_field``, or ``(None, None)``."""
    from ..errors import ConfigError

    admin = config.layers_with_role("admin")
    if not admin:
        return None, None
    townships = read_config_layer(config, admin[0].name, to_crs=crs)
    field = admin[0].name_field
    if field and field not in townships.columns:
        cols = ", ".join(c for c in townships.columns if c != townships.geometry.name)
        raise ConfigError(
            f"name_field {field!r} is not a column of {admin[0].source}; columns: {cols or '(none)'}",
            key=f"layers.{admin[0].name}.name_field",
            path=str(config.path) if config.path else None,
        )
    return townships, field

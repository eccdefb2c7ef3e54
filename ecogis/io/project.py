"""The Project: a config, its working CRS decided once, its layers read once.

Every job takes a :class:`Project`. It reads each layer of the config at most once per run and
keeps two views of it: as stored (:meth:`Project.stored`, for QA reports such as invalid
geometries) and validated in the working CRS (:meth:`Project.layer`, what the jobs compute on).
The working CRS is decided in one place, :meth:`Project.crs`, and explained in
:attr:`Project.crs_reason`.

Examples
--------
>>> project = Project.open("configs/demo.yaml")  # doctest: +SKIP
>>> project.crs.to_epsg()  # doctest: +SKIP
4547
>>> redline = project.layer("redline")  # doctest: +SKIP
"""

from __future__ import annotations

import collections
import contextlib
import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Config, is_database_uri, load_config
from ..errors import ConfigError, CRSError, EcogisError, EcogisWarning, LayerError, RegistryError
from ..i18n import _, ngettext
from ..model import TOWNSHIP_FIELDS

if TYPE_CHECKING:
    import geopandas as gpd
    import rasterio
    from pyproj import CRS

    from ..config import LayerSpec

__all__ = ["Project", "Townships", "StudyArea", "STUDY_AREA_ROLES", "ZONE_WIDTH_DEG"]

#: roles whose layers outline the study area, in order of preference, for ``crs: auto``
STUDY_AREA_ROLES = ("boundary", "admin")
#: ``crs: auto`` warns when the study area is wider than one zone (degrees of longitude)
ZONE_WIDTH_DEG = 3.0


@dataclass(frozen=True)
class StudyArea:
    """Where the project's data can judge a site (see :meth:`Project.study_area`).

    Attributes
    ----------
    geometry : shapely geometry
        The outline in the working CRS.
    label : str
        What it is, for people: the boundary layers' labels, or "the extent of ...".
    from_boundary : bool
        True when it comes from layers with role ``boundary``; False for the union of the
        extents of the layers checked.
    """

    geometry: Any
    label: str
    from_boundary: bool


@dataclass(frozen=True)
class Townships:
    """The township layer of a project (role ``admin``) in the working CRS.

    Attributes
    ----------
    frame : GeoDataFrame
        The townships.
    field : str or None
        The column with the names: the layer's ``name_field``, else the first of
        :data:`ecogis.model.TOWNSHIP_FIELDS` present, else None (townships are then named by
        their row).
    """

    frame: gpd.GeoDataFrame
    field: str | None

    @property
    def names(self) -> list[str] | None:
        """Township names in layer order, each once (None without a name column)."""
        if self.field is None:
            return None
        return [str(n) for n in self.frame[self.field].dropna().unique()]


class Project:
    """A project config with its layers, read once and cached.

    Build with :meth:`open`. Use as a context manager (or call :meth:`close`) so that rasters
    opened with :meth:`raster` are closed.

    Parameters
    ----------
    config : Config
        A validated config (:func:`ecogis.config.load_config`).
    registry : str or path, optional
        The restoration registry to use instead of the config's ``registry:``.

    Attributes
    ----------
    reads : collections.Counter
        How often each layer source was read from its file or database (one per layer and
        run, however many jobs use it).
    """

    def __init__(self, config: Config, *, registry: str | os.PathLike | None = None):
        self.config = config
        self._registry = str(registry) if registry is not None else config.registry
        self._stored: dict[str, gpd.GeoDataFrame] = {}
        self._layers: dict[str, gpd.GeoDataFrame] = {}
        self._rasters: dict[str, rasterio.DatasetReader] = {}
        self._crs: CRS | None = None
        self._crs_reason = ""
        self._townships: Townships | None | bool = False  # False: not looked up yet
        self._study_areas: dict[tuple, StudyArea | None] = {}
        self.reads: collections.Counter[str] = collections.Counter()

    @classmethod
    def open(
        cls,
        config: str | os.PathLike | Config,
        *,
        check_files: bool = True,
        registry: str | os.PathLike | None = None,
    ) -> Project:
        """Open a project from a config file (or an already loaded :class:`Config`).

        Raises
        ------
        ConfigError
            The config is missing or invalid (every problem with its key path).
        """
        if not isinstance(config, Config):
            config = load_config(config, check_files=check_files)
        return cls(config, registry=registry)

    def __repr__(self) -> str:
        where = self.config.path or self.config.base_dir
        return f"Project({str(where)!r})"

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the rasters this project opened."""
        for ds in self._rasters.values():
            with contextlib.suppress(Exception):
                ds.close()
        self._rasters.clear()

    # ------------------------------------------------------------------------- config

    @property
    def name(self) -> str:
        return self.config.name

    def spec(self, name: str, *, key: str | None = None) -> LayerSpec:
        """The config entry of layer ``name`` (ConfigError listing the known ones)."""
        return self.config.layer(name, key=key)

    def layers_with_role(self, role: str) -> list[str]:
        """Names of the config's layers with ``role``, in config order."""
        return [spec.name for spec in self.config.layers_with_role(role)]

    def title(self, name: str) -> str:
        """A layer's label for people (its name where no label is given)."""
        return self.config.layers[name].title if name in self.config.layers else name

    def labels(self) -> dict[str, str]:
        """Layer name -> label for people, for every layer of the config."""
        return {n: spec.title for n, spec in self.config.layers.items()}

    def _where(self) -> str | None:
        return str(self.config.path) if self.config.path else None

    # ------------------------------------------------------------------------- layers

    def stored(self, name: str, *, key: str | None = None) -> gpd.GeoDataFrame:
        """Layer ``name`` exactly as stored (its declared ``crs:`` assigned if it has none).

        Read on first use, then cached; do not change the frame in place.
        """
        spec = self._vector_spec(name, key=key)
        if name not in self._stored:
            from .vector import read_stored

            self._stored[name] = read_stored(
                spec.path,
                layer=spec.layer,
                name=_label(spec),
                crs=spec.crs,
                encoding=spec.encoding,
            )
            self.reads[spec.source] += 1
        return self._stored[name]

    def layer(self, name: str, *, key: str | None = None) -> gpd.GeoDataFrame:
        """Layer ``name`` validated (CRS and coordinates checked, polygons only, empties
        dropped, invalid geometries handled by ``on_invalid``) and in the working CRS.

        Read on first use (the same read as :meth:`stored`), then cached.
        """
        if name not in self._layers:
            from ..crs import to_working, transform_hint
            from .vector import validate_layer

            spec = self._vector_spec(name, key=key)
            gdf = validate_layer(
                self.stored(name, key=key),
                name=_label(spec),
                on_invalid=spec.on_invalid or self.config.on_invalid,
                geom_type="polygon",
                id_field=spec.id_field,
            )
            self._layers[name] = to_working(
                gdf,
                self.crs,
                name=_label(spec),
                transform=spec.transform,
                hint=transform_hint(f"layers.{name}.transform"),
            )
        return self._layers[name]

    def read(
        self,
        source: str | os.PathLike,
        *,
        crs: Any = None,
        id_field: str | None = None,
        encoding: str | None = None,
        name: str | None = None,
        transform: Any = None,
        transform_option: str = "--sites-transform",
    ) -> gpd.GeoDataFrame:
        """A polygon layer that is not in the config (a file named on the command line),
        validated like :meth:`layer` and reprojected to the working CRS.

        ``crs`` declares the CRS of a source that carries none (or ``GCJ-02`` / ``BD-09``);
        ``transform`` is its datum transformation into CGCS2000 (what
        :func:`ecogis.crs.parse_transform` accepts), named in messages by
        ``transform_option``. Not cached.
        """
        from ..crs import parse_transform, to_working, transform_hint
        from .vector import read_stored, validate_layer

        transform = parse_transform(transform, key=transform_option)
        gdf = read_stored(source, name=name, crs=crs, encoding=encoding)
        self.reads[str(source)] += 1
        gdf = validate_layer(
            gdf,
            name=gdf.attrs["label"],
            on_invalid=self.config.on_invalid,
            geom_type="polygon",
            id_field=id_field,
        )
        return to_working(
            gdf,
            self.crs,
            name=gdf.attrs.get("label"),
            transform=transform,
            hint=transform_hint(transform_option),
        )

    def _vector_spec(self, name: str, *, key: str | None) -> LayerSpec:
        spec = self.spec(name, key=key)
        if spec.is_raster:
            raise LayerError(
                _("layers.{name}: {path} is a raster; a vector layer is needed here").format(
                    name=name, path=spec.path
                )
            )
        return spec

    def townships(self) -> Townships | None:
        """The first layer with role ``admin``, in the working CRS, or None."""
        if self._townships is False:
            names = self.layers_with_role("admin")
            if not names:
                self._townships = None
            else:
                spec = self.config.layers[names[0]]
                frame = self.layer(spec.name)
                field = spec.name_field
                if field and field not in frame.columns:
                    cols = ", ".join(c for c in frame.columns if c != frame.geometry.name)
                    raise ConfigError(
                        _(
                            "name_field {field!r} is not a column of {source}; columns: {cols}"
                        ).format(field=field, source=spec.source, cols=cols or _("(none)")),
                        key=f"layers.{spec.name}.name_field",
                        path=self._where(),
                    )
                if field is None:
                    field = next((c for c in TOWNSHIP_FIELDS if c in frame.columns), None)
                self._townships = Townships(frame=frame, field=field)
        return self._townships or None

    def raster(self, name: str) -> rasterio.DatasetReader:
        """The raster layer ``name`` (or a raster file not in the config), opened once and
        closed by :meth:`close`."""
        from .raster import open_raster

        if name not in self.config.layers and Path(name).is_file():
            path, label = name, Path(name).name
        else:
            spec = self.spec(name)
            if not spec.is_raster:
                raise LayerError(
                    _("layers.{name}: {path} has role {role!r}; a raster is needed here").format(
                        name=name, path=spec.path, role=spec.role
                    )
                )
            path, label = spec.path, f"layers.{name}"
        if name not in self._rasters:
            self._rasters[name] = open_raster(path, name=label)
            self.reads[str(path)] += 1
        return self._rasters[name]

    # ------------------------------------------------------------------------- working CRS

    @property
    def crs(self) -> CRS:
        """The working CRS of every computation, decided once per project.

        ``crs:`` of the config when it names one; for ``auto`` the CGCS2000 3-degree
        Gauss-Kruger zone (no prefix) whose central meridian is nearest the centre of the study
        area: the layers with role ``boundary``, else ``admin``, else every vector layer.
        """
        if self._crs is None:
            self._crs, self._crs_reason = self._decide_crs()
        return self._crs

    @property
    def crs_reason(self) -> str:
        """Why :attr:`crs` is what it is, in a sentence for people."""
        if self._crs is None:
            self._crs, self._crs_reason = self._decide_crs()
        return self._crs_reason

    def _decide_crs(self) -> tuple[CRS, str]:
        from ..crs import working_crs

        spec = self.config.crs
        if str(spec).lower() != "auto":
            crs = working_crs(spec, None)
            return crs, _("crs: {spec} in the config").format(spec=spec)
        for role in (*STUDY_AREA_ROLES, None):
            names = (
                self.layers_with_role(role)
                if role
                else [n for n, s in self.config.layers.items() if not s.is_raster]
            )
            if not names:
                continue
            boxes, used, without, unreadable = [], [], [], []
            for n in names:
                try:
                    box = self._lonlat_bounds(n)
                except EcogisError as exc:  # reported when the layer itself is used
                    unreadable.append(exc)
                    continue
                if box is None:
                    without.append(n)
                else:
                    boxes.append(box)
                    used.append(n)
            if not boxes and unreadable and not without:
                raise unreadable[0]
            if not boxes:
                raise CRSError(
                    ngettext(
                        "crs: auto needs a study area with a CRS, but {layers} has none "
                        "({files}: .prj missing?); declare layers.<name>.crs (e.g. EPSG:4490) or "
                        "set crs: in the config (e.g. EPSG:4547)",
                        "crs: auto needs a study area with a CRS, but {layers} have none "
                        "({files}: .prj missing?); declare layers.<name>.crs (e.g. EPSG:4490) or "
                        "set crs: in the config (e.g. EPSG:4547)",
                        len(without),
                    ).format(
                        layers=", ".join(_("layer {name!r}").format(name=n) for n in without),
                        files=", ".join(Path(self.config.layers[n].path).name for n in without),
                    )
                )
            bounds = (
                min(b[0] for b in boxes),
                min(b[1] for b in boxes),
                max(b[2] for b in boxes),
                max(b[3] for b in boxes),
            )
            what = (
                _("role {role}: {layers}").format(role=role, layers=", ".join(used))
                if role
                else _("every vector layer: {layers}").format(layers=", ".join(used))
            )
            crs = working_crs("auto", bounds, study_area=what)
            self._warn_if_wide(crs, bounds, what)
            return crs, _("crs: auto, the 3-degree zone of the study area ({what})").format(
                what=what
            )
        raise CRSError(
            _(
                "crs: auto needs a study area, but the config has no vector layer; add a layer "
                "with role boundary, or set crs: in the config (e.g. EPSG:4547)"
            )
        )

    def _warn_if_wide(self, crs: CRS, bounds: tuple[float, ...], what: str) -> None:
        """Warn when the study area is wider than one zone: its areas are measured in one
        zone's projection, too large towards its edges."""
        import numpy as np

        from ..crs import area_scale, zone_3deg

        minlon, minlat, maxlon, maxlat = bounds
        if maxlon - minlon <= ZONE_WIDTH_DEG:
            return
        lons = np.array([minlon, minlon, maxlon, maxlon])
        lats = np.array([minlat, maxlat, minlat, maxlat])
        worst = float(np.max(np.abs(area_scale(crs, lons, lats) - 1.0)))
        zone = zone_3deg((minlon + maxlon) / 2)
        warnings.warn(
            _(
                "crs: auto: the study area ({what}) spans {west:.1f}°E-{east:.1f}°E ({width:.1f}° "
                "of longitude), more than one {zone_width:g}-degree zone; areas are measured in "
                "zone {zone} ({crs}, CM {cm}°E) and come out up to {error:+.1f}% off at its "
                "edges — set crs: for the part you work on, or ask for ellipsoidal areas "
                "(ecogis screen --exact-areas)"
            ).format(
                what=what,
                west=minlon,
                east=maxlon,
                width=maxlon - minlon,
                zone_width=ZONE_WIDTH_DEG,
                zone=zone,
                crs=f"EPSG:{crs.to_epsg()}",
                cm=3 * zone,
                error=worst * 100,
            ),
            EcogisWarning,
            stacklevel=4,
        )

    def _lonlat_bounds(self, name: str) -> tuple[float, float, float, float] | None:
        """Lon/lat box (EPSG:4490) of a layer, or None when it has no CRS or no features.

        A file layer is asked for its extent and CRS (no feature is read) unless it was read
        already; others are read (and so cached for the run). Coordinates that cannot be right
        for the layer's CRS (a .prj of another file) are refused here, naming the layer,
        rather than turned into a zone far outside China.
        """
        import numpy as np
        from pyproj import CRS, Transformer

        from ..crs import check_bounds, web_datum

        spec = self.config.layers[name]
        bounds, crs = None, None
        declared = "EPSG:4326" if web_datum(spec.crs) else spec.crs
        if name not in self._stored and _has_cheap_extent(spec):
            import pyogrio

            try:
                info = pyogrio.read_info(spec.path, layer=spec.layer)
            except Exception:  # unreadable: reading it below gives the proper message
                info = None
            if info is not None and info.get("total_bounds") is not None:
                bounds = tuple(float(v) for v in info["total_bounds"])
                crs = info.get("crs") or declared
                if web_datum(spec.crs):
                    crs = declared  # web-map numbers are lon/lat whatever the .prj says
                crs = CRS.from_user_input(crs) if crs else None
                if info.get("features") == 0:
                    return None
        if bounds is None:
            gdf = self.stored(name)
            if gdf.crs is None or len(gdf) == 0:
                return None
            bounds, crs = tuple(float(v) for v in gdf.total_bounds), gdf.crs
        if crs is None:
            return None
        label = _("layers.{name} ({file})").format(name=name, file=Path(spec.path).name)
        check_bounds(bounds, CRS.from_user_input(crs), label)
        tr = Transformer.from_crs(crs, 4490, always_xy=True)
        minx, miny, maxx, maxy = bounds
        xs, ys = tr.transform([minx, minx, maxx, maxx], [miny, maxy, miny, maxy])
        if not (np.isfinite(xs).all() and np.isfinite(ys).all()):
            raise CRSError(
                _(
                    "{layer}: its extent x {minx:.6g}..{maxx:.6g}, y {miny:.6g}..{maxy:.6g} has "
                    "no longitude/latitude in its CRS {crs}; the .prj probably belongs to another "
                    "file — declare the right CRS"
                ).format(
                    layer=label,
                    minx=minx,
                    maxx=maxx,
                    miny=miny,
                    maxy=maxy,
                    crs=CRS.from_user_input(crs).name,
                )
            )
        return (float(min(xs)), float(min(ys)), float(max(xs)), float(max(ys)))

    # ------------------------------------------------------------------------- study area

    def study_area(self, layers: Iterable[str] = ()) -> StudyArea | None:
        """Where the data can judge a site: the union of the layers with role ``boundary``;
        where there are none, the union of the extents (bounding boxes) of ``layers`` (the
        layers a rule set checks). None when neither gives anything."""
        import shapely

        boundary = self.layers_with_role("boundary")
        if boundary:
            key = ("boundary",)
            names, from_boundary = boundary, True
        else:
            names = [n for n in dict.fromkeys(layers) if not self.config.layers[n].is_raster]
            key = ("extent", *names)
            from_boundary = False
        if not names:
            return None
        cache = self._study_areas
        if key not in cache:
            parts = []
            for n in names:
                geoms = self.layer(n).geometry
                geoms = geoms[~(geoms.isna() | geoms.is_empty)]
                if not len(geoms):
                    continue
                if from_boundary:
                    parts.append(shapely.union_all(geoms.values))
                else:
                    parts.append(shapely.box(*geoms.total_bounds))
            if not parts:
                cache[key] = None
            else:
                geom = shapely.union_all(parts)
                titles = ", ".join(self.title(n) for n in names)
                label = (
                    titles if from_boundary else _("the extent of {layers}").format(layers=titles)
                )
                cache[key] = StudyArea(geometry=geom, label=label, from_boundary=from_boundary)
        return cache[key]

    # ------------------------------------------------------------------------- registry

    @property
    def registry_location(self) -> str | Path | None:
        """The restoration registry: a GeoPackage path, a PostGIS URI, or None."""
        if self._registry is None:
            return None
        if is_database_uri(self._registry):
            return self._registry
        return Path(self._registry)

    def registry_exists(self) -> bool:
        """True when the registry has been built (a PostGIS server is asked)."""
        location = self.require_registry()
        if isinstance(location, Path):
            return location.exists()
        from ..restoration.store import PgRegistry

        return PgRegistry.exists(location)

    def registry(self):
        """The restoration registry, opened (never created: see ``ecogis pits init``).

        Raises
        ------
        RegistryError
            The config names no registry, or it has not been built yet.
        """
        location = self.require_registry()
        if not self.registry_exists():
            raise RegistryError(
                _(
                    "registry {location} does not exist yet; build it from the config's pits and "
                    "plots layers with 'ecogis pits init -c {config}'"
                ).format(location=location, config=self.config.path or "CONFIG")
            )
        from ..restoration.store import open_registry

        return open_registry(location)

    def require_registry(self) -> str | Path:
        """:attr:`registry_location`, or ConfigError when the config names no registry."""
        location = self.registry_location
        if location is None:
            raise ConfigError(
                _(
                    "no registry: key; add e.g. 'registry: ../layers/restoration.gpkg' "
                    "or pass --registry"
                ),
                path=self._where(),
            )
        return location


def _label(spec: LayerSpec) -> str:
    """How messages name a config layer: ``farmland (永久基本农田)``."""
    return f"{spec.name} ({spec.title})" if spec.label else spec.name


def _has_cheap_extent(spec: LayerSpec) -> bool:
    """GDAL knows the extent of these without reading features (header, R-tree, contents)."""
    if is_database_uri(spec.path):
        return False
    return Path(spec.path).suffix.lower() in (".gpkg", ".shp", ".gdb")

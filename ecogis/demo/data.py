"""Deterministic demo data set for Zhengxiangbai Banner (正镶白旗, 152529).

:func:`make_demo` writes realistic synthetic layers for the banner — outline and townships,
the three control lines, water-source zones, basic grassland, sandy land, Ⅰ级 protected
forest, DEM and NDVI rasters, legacy mine pits, afforestation / enclosure / grass-planting
plots and PV sand-control candidate sites — plus a config (``configs/demo.yaml``) that
points at them.

The outline is real (GaryBikini/ChinaAdminDivisonSHP, MIT). It is published in GCJ-02
and converted here to WGS84 (≈ CGCS2000 at metre level) with :func:`ecogis.crs.gcj02_to_wgs84` (prcoords).
Everything else is generated in EPSG:4547 from a seeded random generator: the same seed
gives the same attributes and geometries.

Deliberate problems are planted for the checks to find. :data:`PLANTED` lists them with
their areas *by construction*; :attr:`DemoResult.planted` repeats them with the areas
measured in EPSG:4547 on the layers as written and read back (the red line is stored in
EPSG:4490 and the farmland in EPSG:4526, so the round trip moves vertices by nanometres).
"""

from __future__ import annotations

import copy
import math
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import MultiPoint, Point, Polygon, box

from ..errors import EcogisWarning, LayerError
from ..i18n import _
from ..units import M2_PER_MU

__all__ = [
    "DemoResult",
    "PLANTED",
    "TARGETS",
    "TOWNSHIPS",
    "WORK_EPSG",
    "DEM_RES_M",
    "make_demo",
    "read_banner_outline",
    "default_boundary_source",
]

#: CRS everything is generated in (CGCS2000 / 3-degree GK CM 114E, no zone prefix)
WORK_EPSG = 4547
#: the red line is stored in geographic CGCS2000, as in a delivered planning database
REDLINE_EPSG = 4490
#: the farmland is stored with zone-38-prefixed eastings (38 5xx xxx)
FARMLAND_EPSG = 4526
#: raster cell size: 30 m, as county DEMs are delivered (three banner-wide rasters, ~60 MB)
DEM_RES_M = 30.0
NODATA = -9999.0

BANNER_CODE = "152529"
BANNER_NAME = "正镶白旗"

#: township code, name, seat (EPSG:4547). Seats are fixed so planted ids do not move.
TOWNSHIPS = (
    ("152529100", "明安图镇", 582500.0, 4685500.0),
    ("152529101", "星耀镇", 612000.0, 4682000.0),
    ("152529200", "宝力根陶海苏木", 602000.0, 4735000.0),
    ("152529201", "伊和淖尔苏木", 545000.0, 4740000.0),
    ("152529202", "乌宁巴图苏木", 575000.0, 4720000.0),
)
_SEAT = {name: (x, y) for _code, name, x, y in TOWNSHIPS}

#: yearly targets written to the config (fixed, independent of the seed)
TARGETS = {
    2021: {
        "afforestation_mu": 12000,
        "enclosure_mu": 30000,
        "grass_planting_mu": 8000,
        "pits_km2": 1.2,
        "pits_count": 14,
    },
    2022: {
        "afforestation_mu": 15000,
        "enclosure_mu": 40000,
        "grass_planting_mu": 10000,
        "pits_km2": 1.5,
        "pits_count": 16,
    },
    2023: {
        "afforestation_mu": 10000,
        "enclosure_mu": 30000,
        "grass_planting_mu": 8000,
        "pits_km2": 0.9,
        "pits_count": 10,
    },
}

# PV candidate sites: id, name, centre x, y (EPSG:4547), width, height (None: pentagon).
_SITES = (
    ("PV-01", "伊和淖尔东光伏治沙基地一期", 570000.0, 4744000.0, 2000.0, 1500.0),
    ("PV-02", "宝力根陶海西光伏治沙基地", 588000.0, 4748000.0, None, None),
    ("PV-03", "乌宁巴图西光伏治沙项目", 560000.0, 4730000.0, 1200.0, 600.0),
    ("PV-04", "乌宁巴图南农光互补项目", 566000.0, 4702000.0, 900.0, 600.0),
    ("PV-05", "乌宁巴图东小型光伏项目", 590000.0, 4724000.0, 700.0, 400.0),
    ("PV-06", "伊和淖尔南光伏治沙项目", 548000.0, 4725000.0, 1500.0, 1000.0),
    ("PV-07", "乌宁巴图水源地东光伏项目", 575000.0, 4735000.0, 1500.0, 1000.0),
    ("PV-08", "宝力根陶海西山光伏项目", 575000.0, 4755000.0, 1200.0, 900.0),
    ("PV-09", "宝力根陶海北光伏治沙项目", 598000.0, 4750000.0, 1000.0, 1000.0),
    ("PV-10", "伊和淖尔西林光互补项目", 535000.0, 4735000.0, 1000.0, 800.0),
    ("PV-11", "明安图东北草原光伏项目", 598000.0, 4700000.0, 1200.0, 800.0),
    ("PV-12", "星耀镇北光伏治沙项目", 622000.0, 4695000.0, 1500.0, 1200.0),
)

#: The deliberate problems, with areas by construction in EPSG:4547 (m²). Ids are the
#: values of ``id_field`` in each layer. ``make_demo`` checks its output against this.
PLANTED: dict[str, Any] = {
    "id_fields": {"redline": "BSM", "farmland": "YJJBNTTBBH", "urban": "BSM"},
    "conflicts": [
        {
            "layer_a": "redline",
            "layer_b": "farmland",
            "id_a": "1",
            "id_b": "15252920200001",
            "area_m2": 20000.0,
            "shape": "farmland rectangle 300 m x 200 m pushed 100 m over a straight red-line edge",
        },
        {
            "layer_a": "redline",
            "layer_b": "farmland",
            "id_a": "2",
            "id_b": "15252920100002",
            "area_m2": 6000.0,
            "shape": "farmland rectangle 120 m x 200 m pushed 50 m over a straight red-line edge",
        },
        {
            "layer_a": "farmland",
            "layer_b": "urban",
            "id_a": "15252910000003",
            "id_b": "1",
            "area_m2": 7200.0,
            "shape": "farmland rectangle 120 m x 200 m pushed 60 m over a straight urban edge",
        },
        {
            "layer_a": "redline",
            "layer_b": "urban",
            "id_a": "3",
            "id_b": "2",
            "area_m2": 20000.0,
            "shape": "urban tab 80 m x 250 m reaching over a straight red-line edge",
        },
    ],
    "sliver": {
        "layer_a": "redline",
        "layer_b": "farmland",
        "id_a": "4",
        "id_b": "15252920000004",
        "area_m2": 0.4,
        "shape": "farmland patch 0.01 m x 40 m over a straight red-line edge",
    },
    "invalid": {
        "layer": "farmland",
        "id": "15252910100005",
        "reason": "Self-intersection",
        "valid_area_m2": 15000.0,
        "shape": "bowtie 200 m x 150 m (two triangles of 7500 m²)",
    },
    "self_overlap": {
        "layer": "farmland",
        "id_a": "15252910100006",
        "id_b": "15252910100007",
        "area_m2": 27300.0,
        "shape": "250 m x 160 m patch drawn twice, shifted 40 m / 30 m",
    },
    # the column prefix of the pv_sand_control check that stands for each layer: the forest
    # and sandy-land checks take land classes of the 三调 layer (dltb) instead of those layers
    "check_columns": {
        "redline": "redline",
        "farmland": "farmland",
        "basic_grassland": "basic_grassland",
        "forest": "dltb_0301",
        "water_source": "water_source",
        "sandy_land": "dltb_1205_1206_0404",
    },
    "plot_on_farmland": {
        "plot_id": "ZXB-ZL-2022-900",
        "shape": "afforestation rectangle over the west half of a permanent-farmland field",
    },
    "sites": {
        "PV-01": "pass",
        "PV-02": "pass",
        "PV-03": "fail",
        "PV-04": "fail",
        "PV-05": "fail",
        "PV-06": "conditional",
        "PV-07": "conditional",
        "PV-08": "fail",
        "PV-09": "unknown",
        "PV-10": "fail",
        "PV-11": "fail",
        "PV-12": "pass",
    },
    # Per site, by construction: area, area excluded per check, eligible rest, sandy share.
    "site_expect": {
        "PV-01": {
            "site_m2": 3000000.0,
            "excluded_m2": {},
            "eligible_mu": 4500.0,
            "sandy_share": 1.0,
            "why": "on sandy land, no control layer, flat",
        },
        "PV-02": {
            "excluded_m2": {},
            "sandy_share": 1.0,
            "why": "pentagon on sandy land, no control layer, flat",
        },
        "PV-03": {
            "site_m2": 720000.0,
            "excluded_m2": {"redline": 648000.0},
            "eligible_mu": 108.0,
            "sandy_share": 1.0,
            "why": "90% inside the red line: eligible rest 108 mu < 300",
        },
        "PV-04": {
            "site_m2": 540000.0,
            "excluded_m2": {"farmland": 444000.0},
            "eligible_mu": 144.0,
            "sandy_share": 0.0,
            "why": "82% on permanent basic farmland, and not on sandy land",
        },
        "PV-05": {
            "site_m2": 280000.0,
            "excluded_m2": {"basic_grassland": 98000.0},
            "eligible_mu": 273.0,
            "sandy_share": 0.65,
            "why": "35% on basic grassland: eligible rest 273 mu < 300",
        },
        "PV-06": {
            "site_m2": 1500000.0,
            "excluded_m2": {"redline": 75000.0},
            "eligible_mu": 2137.5,
            "sandy_share": 1.0,
            "why": "a 75 m strip inside the red line: adjust the boundary",
        },
        "PV-07": {
            "site_m2": 1500000.0,
            "excluded_m2": {"water_source": 200000.0},
            "eligible_mu": 1950.0,
            "sandy_share": 1.0,
            "why": "300 m from a water-source zone; its 500 m buffer takes a 200 m strip",
        },
        "PV-08": {
            "site_m2": 1080000.0,
            "excluded_m2": {},
            "sandy_share": 1.0,
            "why": "on a steep ridge: well over 10% of the site is steeper than 15°",
        },
        "PV-09": {
            "site_m2": 1000000.0,
            "excluded_m2": {},
            "sandy_share": 1.0,
            "why": "inside a DEM void (nodata): slope unknown",
        },
        "PV-10": {
            "site_m2": 800000.0,
            "excluded_m2": {"forest": 680000.0},
            "eligible_mu": 180.0,
            "sandy_share": 0.15,
            "why": "85% on Ⅰ级 protected forest; the rest 180 mu < 300",
        },
        "PV-11": {
            "site_m2": 960000.0,
            "excluded_m2": {},
            "eligible_mu": 1440.0,
            "sandy_share": 0.0,
            "why": "ordinary grassland, not sandy land: sandy share 0 < 0.6",
        },
        "PV-12": {
            "site_m2": 1800000.0,
            "excluded_m2": {},
            "eligible_mu": 2700.0,
            "sandy_share": 1.0,
            "why": "sandy land in the zone-39 strip east of 115°30'E, no control layer, flat",
        },
    },
}

# Layer key -> (file name, layer name inside the GeoPackage, role, label, extra config keys)
_LAYERS = (
    ("boundary", "boundary.gpkg", "boundary", "boundary", "旗县界", {}),
    ("townships", "townships.gpkg", "townships", "admin", "乡镇（苏木）", {"name_field": "XZQMC"}),
    ("redline", "stbhhx.gpkg", "stbhhx", "control", "生态保护红线", {"id_field": "BSM"}),
    (
        "farmland",
        "yjjbnt.gpkg",
        "yjjbntbhtb",
        "control",
        "永久基本农田",
        {"id_field": "YJJBNTTBBH"},
    ),
    ("urban", "czkfbj.gpkg", "czkfbj", "control", "城镇开发边界", {"id_field": "BSM"}),
    (
        "water_source",
        "water_source.gpkg",
        "water_source",
        "control",
        "饮用水水源保护区",
        {"id_field": "BSM"},
    ),
    (
        "basic_grassland",
        "basic_grassland.gpkg",
        "basic_grassland",
        "control",
        "基本草原",
        {"id_field": "BSM"},
    ),
    ("forest", "forest.gpkg", "forest", "control", "Ⅰ级保护林地", {"id_field": "BSM"}),
    (
        "sandy_land",
        "sandy_land.gpkg",
        "sandy_land",
        "zone",
        "沙地（浑善达克）",
        {"id_field": "BSM"},
    ),
    (
        "dltb",
        "dltb.gpkg",
        "dltb",
        "landuse",
        "三调地类图斑",
        {"id_field": "BSM", "class_field": "DLBM", "class_name_field": "DLMC"},
    ),
    ("pits", "pits.gpkg", "pits", "pits", "历史遗留废弃矿山采坑", {"id_field": "pit_id"}),
    ("plots", "plots.gpkg", "plots", "plots", "造林、围封、种草地块", {"id_field": "plot_id"}),
    ("sites", "sites.gpkg", "sites", "sites", "光伏治沙候选场址", {"id_field": "site_id"}),
    ("dem", "dem.tif", None, "raster", "数字高程模型（30 m）", {}),
    ("ndvi_2021", "ndvi_2021.tif", None, "raster", "NDVI 2021（30 m，治理前）", {}),
    ("ndvi_2023", "ndvi_2023.tif", None, "raster", "NDVI 2023（30 m，治理后）", {}),
)
_STORED_EPSG = {"redline": REDLINE_EPSG, "farmland": FARMLAND_EPSG}


@dataclass(frozen=True)
class DemoResult:
    """What :func:`make_demo` wrote.

    Attributes
    ----------
    config_path
        The YAML config pointing at the layers.
    layers
        Layer key (as in the config) -> file written.
    planted
        :data:`PLANTED` with areas measured in EPSG:4547 on the written layers, plus
        ``gcj_shift_m`` (how far the GCJ-02 conversion moved the outline's centroid),
        ``boundary_source`` and ``ndvi`` (pit / plot ids that were completed but do not green up).
    """

    config_path: Path
    layers: dict[str, Path]
    planted: dict


# --------------------------------------------------------------------------- outline


def default_boundary_source() -> Path:
    """The shared shapefile beside the project if present, else the committed GeoJSON copy."""
    import ecogis

    shared = (
        Path(ecogis.__file__).resolve().parents[2]
        / "shared"
        / "data"
        / "admin_boundaries"
        / "neimenggu_districts_2020.shp"
    )
    if shared.exists():
        return shared
    return Path(__file__).resolve().parents[1] / "data" / "zhengxiangbai_152529.geojson"


def read_banner_outline(source: str | os.PathLike | None = None) -> tuple[Polygon, Polygon]:
    """Zhengxiangbai's outline in EPSG:4547: (converted to CGCS2000, as published in GCJ-02).

    Parameters
    ----------
    source
        A layer in GCJ-02 lon/lat holding the banner (adcode/XZQDM 152529, or a single
        feature); default :func:`default_boundary_source`.

    Raises
    ------
    LayerError
        The banner is not in the layer, or its name does not decode to 正镶白旗.
    """
    import geopandas as gpd

    from ..crs import gcj02_to_wgs84
    from ..io import read_layer

    source = Path(source) if source is not None else default_boundary_source()
    # the published DBF is UTF-8 without .cpg (its README says so): given, not detected, so
    # the demo does not warn about its own source in either language; no .prj: lon/lat GCJ-02
    encoding = "utf-8" if source.suffix.lower() == ".shp" else None
    gdf = read_layer(source, crs="EPSG:4326", encoding=encoding)
    code_col = next((c for c in ("adcode", "XZQDM", "xzqdm") if c in gdf.columns), None)
    name_col = next((c for c in ("name", "XZQMC", "xzqmc") if c in gdf.columns), None)
    rows = gdf[gdf[code_col].astype(str) == BANNER_CODE] if code_col else gdf
    if len(rows) != 1:
        raise LayerError(
            _("{source}: expected one feature with code {code}, found {n}").format(
                source=source, code=BANNER_CODE, n=len(rows)
            )
        )
    if name_col is not None:
        name = str(rows[name_col].iloc[0])
        if name != BANNER_NAME:
            raise LayerError(
                _(
                    "{source}: feature {code} is named {name!r}, expected {expected!r} (wrong "
                    "text encoding?)"
                ).format(source=source, code=BANNER_CODE, name=name, expected=BANNER_NAME)
            )
    gcj = shapely.make_valid(rows.geometry.iloc[0])
    wgs = shapely.transform(gcj, gcj02_to_wgs84)
    both = gpd.GeoSeries([wgs, gcj], crs=4490).to_crs(WORK_EPSG)
    outline = _largest(shapely.make_valid(both.iloc[0]))
    return outline, _largest(shapely.make_valid(both.iloc[1]))


# --------------------------------------------------------------------------- shapes


def _largest(geom) -> Polygon:
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon"]
    return max(parts, key=lambda p: p.area) if parts else Polygon()


def _blob(rng, cx, cy, r, *, amp=0.3, n=96, harmonics=6, stretch=1.0, angle=0.0) -> Polygon:
    """Star-shaped noisy blob; its radius never drops below ``r * (1 - amp)`` (unstretched)."""
    theta = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    noise = np.zeros(n)
    for k in range(1, harmonics + 1):
        noise += rng.normal() / k * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    noise *= amp / max(np.abs(noise).max(), 1e-9)
    rad = r * (1.0 + noise)
    poly = Polygon(np.column_stack([cx + rad * np.cos(theta), cy + rad * np.sin(theta)]))
    if stretch != 1.0 or angle:
        poly = affinity.scale(poly, stretch, 1.0 / stretch, origin=(cx, cy))
        poly = affinity.rotate(poly, angle, origin=(cx, cy))
    return poly


def _fill_with_blobs(rng, outline, allowed, target_m2, *, radius, max_stretch) -> Polygon:
    """Drop noisy blobs centred inside ``outline`` until their union covers ``target_m2`` of
    ``allowed`` (or 400 blobs); returns that covered part."""
    x0, y0, x1, y1 = outline.bounds
    blobs, covered = [], shapely.Polygon()
    while covered.area < target_m2 and len(blobs) < 400:
        cx, cy = rng.uniform(x0, x1), rng.uniform(y0, y1)
        if not outline.contains(Point(cx, cy)):
            continue
        blobs.append(
            _blob(
                rng,
                cx,
                cy,
                rng.uniform(*radius),
                amp=0.35,
                stretch=rng.uniform(1.0, max_stretch),
                angle=rng.uniform(0, 180),
            )
        )
        covered = shapely.union_all(blobs).intersection(allowed)
    return covered


def _half(geom, *, xmin=None, xmax=None, ymin=None, ymax=None):
    """Clip by axis-parallel half-planes: straight edges whose overlaps are known by hand."""
    bx0, by0, bx1, by1 = geom.bounds
    return geom.intersection(
        box(
            bx0 - 1 if xmin is None else xmin,
            by0 - 1 if ymin is None else ymin,
            bx1 + 1 if xmax is None else xmax,
            by1 + 1 if ymax is None else ymax,
        )
    )


def _rect(cx, cy, w, h) -> Polygon:
    return box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def _scaled_to(geom, area_m2: float):
    """Scale a shape about its centroid to an exact area."""
    f = math.sqrt(area_m2 / geom.area)
    return affinity.scale(geom, f, f, origin=geom.centroid)


def _polys(geom, min_area: float = 0.0) -> list:
    return [
        p
        for p in shapely.get_parts(shapely.make_valid(geom))
        if p.geom_type == "Polygon" and p.area >= min_area
    ]


def _frame(rows: list[dict]):
    import geopandas as gpd

    return gpd.GeoDataFrame(rows, geometry="geometry", crs=WORK_EPSG)


def _site_geom(spec) -> Polygon:
    _sid, _name, cx, cy, w, h = spec
    if w is None:  # a pentagon, to show that sites need not be rectangles
        ang = np.deg2rad(90 + 72 * np.arange(5))
        rad = np.array([800.0, 760.0, 820.0, 780.0, 800.0])
        return Polygon(np.column_stack([cx + rad * np.cos(ang), cy + rad * np.sin(ang)]))
    return _rect(cx, cy, w, h)


# --------------------------------------------------------------------------- generation


class _Gen:
    """Builds every layer in EPSG:4547; one instance per run, one random stream."""

    def __init__(self, outline: Polygon, seed: int):
        self.outline = outline
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.inner = outline.buffer(-20.0)
        self.sites = {spec[0]: _site_geom(spec) for spec in _SITES}
        for sid, g in self.sites.items():
            if not outline.buffer(-1500.0).contains(g):
                raise AssertionError(f"demo site {sid} is not well inside the banner")
        self.site_keepout = shapely.union_all([g.buffer(1500.0) for g in self.sites.values()])

    # ---- admin
    def townships(self):
        import geopandas as gpd

        # Fixed generator: township borders do not depend on the seed, so neither do the
        # township-prefixed ids of planted features.
        rng = np.random.default_rng(152529)
        seats = np.array([(x, y) for _code, _name, x, y in TOWNSHIPS])
        x0, y0, x1, y1 = self.outline.bounds
        cand = np.column_stack([rng.uniform(x0, x1, 900), rng.uniform(y0, y1, 900)])
        cand = cand[shapely.contains_xy(self.outline, cand[:, 0], cand[:, 1])][:300]
        pts = np.vstack([seats, cand])
        owner = np.argmin(((pts[:, None, :] - seats[None, :, :]) ** 2).sum(-1), axis=1)
        cells = shapely.get_parts(
            shapely.voronoi_polygons(
                MultiPoint(pts), extend_to=self.outline.envelope.buffer(5000), ordered=True
            )
        )
        rows = []
        for i, (code, name, _x, _y) in enumerate(TOWNSHIPS):
            g = shapely.union_all(cells[owner == i]).intersection(self.outline)
            rows.append({"XZQDM": code, "XZQMC": name, "MJ": round(g.area, 2), "geometry": g})
        self.town_gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=WORK_EPSG)
        self._town_tree = shapely.STRtree(self.town_gdf.geometry.values)
        return self.town_gdf

    def township_of(self, geom) -> tuple[str, str]:
        p = geom.representative_point()
        hits = self._town_tree.query(p, predicate="intersects")
        i = int(hits[0]) if len(hits) else int(self._town_tree.nearest(p))
        return TOWNSHIPS[i][0], TOWNSHIPS[i][1]

    # ---- three control lines
    def control_lines(self):
        rng = self.rng
        mx, my = _SEAT["明安图镇"]
        xx, xy = _SEAT["星耀镇"]
        bx, by = _SEAT["宝力根陶海苏木"]
        yx, yy = _SEAT["伊和淖尔苏木"]
        wx, wy = _SEAT["乌宁巴图苏木"]

        # planted red-line polygons: blob cut by a half-plane gives a straight edge
        p1 = (wx + 5000, wy - 3000)
        r1 = _half(_blob(rng, *p1, 1500), xmin=p1[0] - 800)
        p2 = (yx - 1000, yy - 5000)
        r2 = _half(_blob(rng, *p2, 1400), ymax=p2[1] + 700)
        q4 = (xx + 1700, xy)
        r4 = _half(_blob(rng, *q4, 1600), xmin=xx + 700)
        p5 = (bx - 4000, by - 2000)
        r5 = _half(_blob(rng, *p5, 1200), xmin=p5[0] - 600)
        r3 = _half(_blob(rng, 560300, 4730000, 2000), xmin=559520)  # covers 90% of PV-03
        r6 = _half(_blob(rng, 549600, 4725000, 1800), xmin=548675)  # 75 m of PV-06
        # planted farmland
        f1 = box(p1[0] - 1000, p1[1] - 100, p1[0] - 700, p1[1] + 100)
        f2 = box(p2[0] - 60, p2[1] + 650, p2[0] + 60, p2[1] + 850)
        f3 = box(mx - 60, my + 1140, mx + 60, my + 1340)
        f5 = box(p5[0] - 640, p5[1] - 20, p5[0] - 600 + 0.01, p5[1] + 20)
        bow = Polygon(
            [
                (xx - 3000, xy - 3000),
                (xx - 2800, xy - 2850),
                (xx - 2800, xy - 3000),
                (xx - 3000, xy - 2850),
            ]
        )
        dup_a = box(xx - 3000, xy + 2500, xx - 2750, xy + 2660)
        dup_b = affinity.translate(dup_a, 40, 30)
        # PV-04 sits on two planted fields (82% of the site)
        f_pv4 = [box(565500, 4701650, 565980, 4702350), box(566000, 4701650, 566310, 4702350)]
        # urban: straight north edge at 明安图镇 (farmland conflict), tab at 星耀镇 (red line)
        u1 = _half(_blob(rng, mx, my, 2200), ymax=my + 1200)
        u2 = shapely.union(
            _half(_blob(rng, xx, xy, 1800), xmax=xx + 680),
            box(xx + 670, xy - 125, xx + 780, xy + 125),
        )
        u3 = _blob(rng, mx + 4800, my - 1500, 900)
        u4 = _blob(rng, mx - 3800, my - 2000, 600)
        u5 = _blob(rng, xx - 3200, xy + 800, 500)
        for name, inner, outer in (
            ("r1", f1, r1),
            ("r3", _rect(560060, 4730000, 1080, 600), r3),
            ("r6", box(548675, 4724500, 548750, 4725500), r6),
            ("r4", box(xx + 700, xy - 125, xx + 780, xy + 125), r4),
            ("u1", box(mx - 60, my + 1140, mx + 60, my + 1200), u1),
        ):
            if (
                not outer.contains(inner.intersection(outer.envelope))
                or outer.intersection(inner).area <= 0
            ):
                raise AssertionError(f"planted shape {name} does not cover its overlap")

        red_planted = [r1, r2, r4, r5, r3, r6]
        urban = [(u1, "01"), (u2, "01"), (u3, "01"), (u4, "02"), (u5, "03")]
        farm_planted = [f1, f2, f3, f5, bow, dup_a, dup_b, *f_pv4]

        # background red line: blobs away from towns, sites and planted shapes, ~30% of the banner
        keep = shapely.union_all(
            [Point(x, y).buffer(8500) for _code, _name, x, y in TOWNSHIPS]
            + [
                shapely.make_valid(g).buffer(60)
                for g in red_planted + farm_planted + [u for u, _ in urban]
            ]
            + [self.site_keepout, box(571000, 4732000, 574500, 4738000)]  # PV-07's water zone
        )
        allowed = self.inner.difference(keep)
        target = 0.30 * self.outline.area - sum(g.area for g in red_planted)
        covered = _fill_with_blobs(
            rng, self.outline, allowed, target, radius=(2500, 7000), max_stretch=1.8
        )
        red_bg = _polys(covered, 20000.0)
        red_bg.sort(key=lambda p: (-round(p.centroid.y), round(p.centroid.x)))
        self.redline = red_planted + red_bg
        self.urban = urban

        # background farmland: fields on a jittered 450 m grid around each seat
        red_all = shapely.union_all(self.redline)
        urban_all = shapely.union_all([u for u, _ in urban])
        forbid = shapely.union_all(
            [red_all.buffer(30), urban_all.buffer(30), self.site_keepout]
            + [shapely.make_valid(g).buffer(60) for g in farm_planted]
        )
        shapely.prepare(forbid)
        cell = 450.0
        fields = []
        for _code, _name, sx, sy in TOWNSHIPS:
            i0, i1 = int((sx - 7000) // cell), int((sx + 7000) // cell) + 1
            j0, j1 = int((sy - 7000) // cell), int((sy + 7000) // cell) + 1
            for i in range(i0, i1):
                for j in range(j0, j1):
                    cx, cy = (i + 0.5) * cell, (j + 0.5) * cell
                    d = math.hypot(cx - sx, cy - sy)
                    if d > 7000 or rng.random() > 0.3 * math.exp(-((d / 4000.0) ** 2)):
                        continue
                    s = rng.uniform(0.08, 0.22, 4) * cell / 2 + 15  # shrink > jitter: no overlaps
                    jit = rng.uniform(-15, 15, (4, 2))
                    h = cell / 2
                    corners = [
                        (-h + s[0], -h + s[0]),
                        (h - s[1], -h + s[1]),
                        (h - s[2], h - s[2]),
                        (-h + s[3], h - s[3]),
                    ]
                    q = Polygon(
                        [
                            (cx + a + jx, cy + b + jy)
                            for (a, b), (jx, jy) in zip(corners, jit, strict=True)
                        ]
                    )
                    if forbid.intersects(q) or not self.inner.contains(q):
                        if not self.inner.intersects(q):
                            continue
                        q = _largest(q.difference(forbid).intersection(self.inner))
                        if q.area < 5000:
                            continue
                    fields.append(q)
        fields.sort(key=lambda p: (-round(p.centroid.y), round(p.centroid.x)))
        self.farmland = farm_planted + fields
        self.n_farm_planted = len(farm_planted)

    def control_frames(self):

        rng = self.rng
        red_rows = []
        for i, g in enumerate(self.redline, start=1):
            north = g.centroid.y > 4715000
            kind = "防风固沙" if north else ("水源涵养" if rng.random() < 0.6 else "生物多样性维护")
            name = {
                "防风固沙": "浑善达克沙地防风固沙生态保护红线",
                "水源涵养": "正镶白旗南部水源涵养生态保护红线",
                "生物多样性维护": "正镶白旗生物多样性维护生态保护红线",
            }[kind]
            red_rows.append(
                {
                    "BSM": str(i),
                    "YSDM": "2090010100",
                    "XZQDM": BANNER_CODE,
                    "XZQMC": BANNER_NAME,
                    "HXBM": f"{BANNER_CODE}STHX{i:04d}",
                    "HXMC": name,
                    "HXLX": kind,
                    "MJ": round(g.area, 2),
                    "GKCS": "严格禁止开发性、生产性建设活动（自然资发〔2022〕142号）",
                    "geometry": g,
                }
            )
        farm_rows = []
        for i, g in enumerate(self.farmland, start=1):
            code, _tname = self.township_of(g)
            paddy = rng.random() < 0.05
            farm_rows.append(
                {
                    "YJJBNTTBBH": f"{code}{i:05d}",
                    "DLBM": "0101" if paddy else "0103",
                    "DLMC": "水田" if paddy else "旱地",
                    "YJJBNTMJ": round(abs(shapely.area(g)), 2),
                    "GDLX": "PD",
                    "GDDB": int(rng.integers(9, 14)),
                    "geometry": g,
                }
            )
        urban_rows = []
        names = {"01": "城镇集中建设区", "02": "城镇弹性发展区", "03": "特别用途区"}
        for i, (g, code) in enumerate(self.urban, start=1):
            tcode, tname = self.township_of(g)
            urban_rows.append(
                {
                    "BSM": str(i),
                    "YSDM": "2090020100",
                    "XZQDM": tcode,
                    "XZQMC": tname,
                    "GHFQDM": code,
                    "GHFQMC": names[code],
                    "MJ": round(g.area, 2),
                    "geometry": g,
                }
            )
        return _frame(red_rows), _frame(farm_rows), _frame(urban_rows)

    # ---- other zones
    def zones(self):

        rng = self.rng
        mx, my = _SEAT["明安图镇"]
        xx, xy = _SEAT["星耀镇"]
        farm_all = shapely.union_all([shapely.make_valid(g) for g in self.farmland])
        urban_all = shapely.union_all([u for u, _ in self.urban])
        built = shapely.union_all([farm_all, urban_all]).buffer(20)

        # water-source protection zones: 一级 inside, 二级 around it (no overlap inside the layer)
        water = []
        for sname, (cx, cy), r1, r2 in (
            ("明安图镇集中式饮用水水源地", (mx - 4000, my + 3000), 300, 1800),
            ("星耀镇集中式饮用水水源地", (xx + 1000, xy - 5000), 250, 1500),
        ):
            core = Point(cx, cy).buffer(r1, quad_segs=16)
            outer = _blob(rng, cx, cy, r2, amp=0.25).intersection(self.inner)
            water += [(sname, "一级保护区", core), (sname, "二级保护区", outer.difference(core))]
        core = Point(572950, 4735000).buffer(300, quad_segs=16)
        water += [
            ("乌宁巴图苏木嘎查饮用水水源地", "一级保护区", core),
            (
                "乌宁巴图苏木嘎查饮用水水源地",
                "二级保护区",
                box(571950, 4733000, 573950, 4737000).difference(core),
            ),
        ]
        water_gdf = _frame(
            [
                {
                    "BSM": str(i),
                    "SYDMC": n,
                    "SYDLX": "地下水",
                    "BHQJB": lvl,
                    "MJ": round(g.area, 2),
                    "geometry": g,
                }
                for i, (n, lvl, g) in enumerate(water, start=1)
            ]
        )

        # Ⅰ级 protected forest: one planted over 85% of PV-10, a few elsewhere
        forest = [_half(_blob(rng, 535700, 4735000, 2000), xmin=534650)]
        if not forest[0].contains(box(534650, 4734600, 535500, 4735400)):
            raise AssertionError("planted forest does not cover PV-10")
        keep = shapely.union_all([built, self.site_keepout, forest[0].buffer(100)])
        for cx, cy in (
            (568000, 4690000),
            (600000, 4668000),
            (590000, 4706000),
            (610000, 4712000),
            (585000, 4676000),
        ):
            g = (
                _blob(rng, cx, cy, rng.uniform(700, 1400), amp=0.35)
                .intersection(self.inner)
                .difference(keep)
            )
            forest += _polys(g, 50000.0)[:1]
        forest_all = shapely.union_all(forest)
        forest_gdf = _frame(
            [
                {
                    "BSM": str(i),
                    "LDBHDJ": "Ⅰ级",
                    "DLMC": "乔木林地" if i % 2 else "灌木林地",
                    "MJ": round(g.area, 2),
                    "geometry": g,
                }
                for i, g in enumerate(forest, start=1)
            ]
        )

        # sandy land (浑善达克沙地): a band across the north plus patches under the sites
        s = self.sites
        blobs = [
            _blob(
                rng,
                rng.uniform(535000, 605000),
                rng.uniform(4718000, 4758000),
                rng.uniform(8000, 13000),
                amp=0.35,
                stretch=rng.uniform(1.3, 2.0),
                angle=rng.uniform(-25, 5),
            )
            for _ in range(9)
        ]
        pv5 = s["PV-05"]
        no_sand = shapely.union_all(
            [s["PV-04"].buffer(2500), s["PV-11"].buffer(2500), pv5.buffer(1500)]
        )
        patches = []
        for sid, g in s.items():
            if sid in ("PV-04", "PV-11"):
                continue
            c = g.centroid
            x0, y0, x1, y1 = g.bounds
            half_diag = math.hypot(x1 - x0, y1 - y0) / 2
            patch = _blob(rng, c.x, c.y, half_diag + 800, amp=0.25)
            if sid == "PV-05":
                patch = _half(patch, xmax=590105)
            patches.append(patch)
        sand = shapely.union_all(blobs).difference(no_sand)
        sand = (
            shapely.union_all([sand, *patches])
            .intersection(self.inner)
            .difference(shapely.union_all([built, forest_all]))
        )
        sand_parts = _polys(sand, 50000.0)
        sand_parts.sort(key=lambda p: (-round(p.centroid.y), round(p.centroid.x)))
        sandy_gdf = _frame(
            [
                {
                    "BSM": str(i),
                    "DLBM": "1205",
                    "DLMC": "沙地",
                    "SDMC": "浑善达克沙地",
                    "MJ": round(g.area, 2),
                    "geometry": g,
                }
                for i, g in enumerate(sand_parts, start=1)
            ]
        )

        # basic grassland: outside the sandy land, about 30% of the banner, plus PV-05's strip
        g5 = _half(_blob(rng, 591200, 4724000, 1800), xmin=590105)
        keep = shapely.union_all([sand, built, forest_all.buffer(20), self.site_keepout])
        allowed = self.inner.difference(keep)
        covered = _fill_with_blobs(
            rng,
            self.outline,
            allowed,
            0.30 * self.outline.area,
            radius=(4000, 9000),
            max_stretch=1.6,
        )
        grass = shapely.union_all([covered, g5.difference(built)])
        grass_parts = _polys(grass, 50000.0)
        grass_parts.sort(key=lambda p: (-round(p.centroid.y), round(p.centroid.x)))
        grass_rows = []
        for i, g in enumerate(grass_parts, start=1):
            tcode, tname = self.township_of(g)
            grass_rows.append(
                {
                    "BSM": str(i),
                    "XZQDM": tcode,
                    "XZQMC": tname,
                    "CDLX": "温性典型草原" if rng.random() < 0.7 else "温性草甸草原",
                    "JBCYLX": "重要放牧场" if rng.random() < 0.8 else "割草地",
                    "MJ": round(g.area, 2),
                    "geometry": g,
                }
            )
        self.sand_all, self.grass_all, self.forest_all = sand, grass, forest_all
        self.water_all = shapely.union_all([g for _n, _lvl, g in water])
        self.built = built
        return water_gdf, _frame(grass_rows), forest_gdf, sandy_gdf

    # ---- restoration
    def restoration(self):
        import geopandas as gpd

        rng = self.rng
        forbid = shapely.union_all(
            [
                self.built.buffer(100),
                self.site_keepout,
                self.forest_all.buffer(50),
                shapely.union_all(self.redline[:4]).buffer(300),
            ]
        )
        shapely.prepare(forbid)
        area_ok = self.outline.buffer(-1500)
        shapely.prepare(area_ok)
        placed: list = []
        x0, y0, x1, y1 = area_ok.bounds

        def place(make):
            for _attempt in range(2000):
                cx, cy = rng.uniform(x0, x1), rng.uniform(y0, y1)
                g = make(cx, cy)
                if not area_ok.contains(g) or forbid.intersects(g):
                    continue
                if any(g.distance(p) < 150 for p in placed):
                    continue
                placed.append(g)
                return g
            raise AssertionError("demo: no room to place a feature")  # pragma: no cover

        # mine pits
        pit_rows = []
        status_by_year = {
            2021: ["accepted"] * 11 + ["treated"] * 3,
            2022: ["accepted"] * 6 + ["treated"] * 7 + ["in_progress"] * 3,
            2023: ["treated"] * 2 + ["in_progress"] * 4 + ["untreated"] * 4,
        }
        factor = {2021: 1.04, 2022: 1.02, 2023: 1.0}
        kinds = [
            ("石料场采坑", "采场"),
            ("砂石料场", "采场"),
            ("萤石矿废弃采场", "采场"),
            ("建筑用砂矿采坑", "采场"),
            ("矿石中转场", "中转场"),
            ("废石排土场", "固废堆场"),
        ]
        n = 0
        for year, statuses in status_by_year.items():
            sizes = np.clip(rng.lognormal(math.log(70000), 0.7, len(statuses)), 12000, 400000)
            sizes *= factor[year] * TARGETS[year]["pits_km2"] * 1e6 / sizes.sum()
            statuses = list(rng.permutation(statuses))
            for size, status in zip(sizes, statuses, strict=True):
                n += 1
                r = math.sqrt(size / math.pi)

                def make_pit(cx, cy, r=r, size=size):
                    g = _blob(
                        rng,
                        cx,
                        cy,
                        r,
                        amp=0.3,
                        n=40,
                        stretch=rng.uniform(1.0, 1.6),
                        angle=rng.uniform(0, 180),
                    )
                    return _scaled_to(g, size)

                g = place(make_pit)
                tcode, tname = self.township_of(g)
                if n == 40:
                    pname, stype, pclass = "煤矿采空塌陷区", "塌陷坑", 40
                else:
                    pname, stype = kinds[int(rng.integers(len(kinds)))]
                    pclass = int(rng.choice([10, 10, 10, 10, 20, 30]))
                verified = round(g.area, 1)
                done = status in ("treated", "accepted")
                treated = (
                    verified
                    if done
                    else (
                        round(verified * rng.uniform(0.3, 0.7), 1)
                        if status == "in_progress"
                        else 0.0
                    )
                )
                month, day = int(rng.integers(6, 11)), int(rng.integers(1, 29))
                completed = f"{year}-{month:02d}-{day:02d}" if done else None
                accepted = None
                if status == "accepted":
                    am = month + int(rng.integers(2, 8))
                    accepted = f"{year + (am - 1) // 12}-{(am - 1) % 12 + 1:02d}-{day:02d}"
                pit_rows.append(
                    {
                        "pit_id": f"ZXB-KK-{n:03d}",
                        "name": f"{tname}{pname}",
                        "township": tname,
                        "pit_class": pclass,
                        "site_type": stype,
                        "verified_m2": verified,
                        "treated_m2": treated,
                        "status": status,
                        "method": int(rng.integers(1, 5)),
                        "planned_year": year,
                        "completed_on": completed,
                        "accepted_on": accepted,
                        "geometry": g,
                    }
                )
        pits = gpd.GeoDataFrame(pit_rows, geometry="geometry", crs=WORK_EPSG)

        # plots
        counts = {
            2021: {"afforestation": 16, "enclosure": 10, "grass_planting": 14},
            2022: {"afforestation": 28, "enclosure": 20, "grass_planting": 22},
            2023: {"afforestation": 16, "enclosure": 12, "grass_planting": 12},
        }
        statuses = {
            2021: ["accepted"] * 30 + ["completed"] * 10,
            2022: ["accepted"] * 30 + ["completed"] * 30 + ["in_progress"] * 10,
            2023: ["completed"] * 12 + ["in_progress"] * 20 + ["planned"] * 8,
        }
        share = {2021: 1.03, 2022: 0.98, 2023: 1.0}
        code = {"afforestation": "ZL", "enclosure": "WF", "grass_planting": "ZC"}
        plot_rows = []
        for year, per_kind in counts.items():
            st = list(rng.permutation(statuses[year]))
            k = 0
            for kind, cnt in per_kind.items():
                median = {"afforestation": 550, "enclosure": 2500, "grass_planting": 550}[kind]
                sizes = rng.lognormal(math.log(median), 0.5, cnt)
                sizes *= share[year] * TARGETS[year][f"{kind}_mu"] / sizes.sum()
                for j, mu in enumerate(sizes, start=1):
                    m2 = mu * M2_PER_MU
                    r = math.sqrt(m2 / math.pi)

                    def make(cx, cy, r=r, m2=m2, kind=kind):
                        if kind == "afforestation":  # shelter-belt like strips
                            g = _blob(
                                rng,
                                cx,
                                cy,
                                r,
                                amp=0.15,
                                n=48,
                                stretch=rng.uniform(1.8, 2.6),
                                angle=rng.uniform(0, 180),
                            )
                        elif kind == "enclosure":
                            g = _blob(rng, cx, cy, r, amp=0.35, n=64)
                        else:
                            w = math.sqrt(m2 * rng.uniform(1.0, 2.0))
                            g = affinity.rotate(
                                _rect(cx, cy, w, m2 / w), rng.uniform(0, 90), origin=(cx, cy)
                            )
                        return _scaled_to(g, m2)

                    g = place(make)
                    status = st[k]
                    k += 1
                    planned = round(g.area / M2_PER_MU, 1)
                    done = status in ("completed", "accepted")
                    completed = (
                        planned
                        if done
                        else (
                            round(planned * rng.uniform(0.2, 0.8), 1)
                            if status == "in_progress"
                            else 0.0
                        )
                    )
                    survival = float("nan")
                    if kind != "enclosure" and done:
                        survival = round(float(rng.uniform(0.72, 0.95)), 3)
                    tcode, tname = self.township_of(g)
                    plot_rows.append(
                        {
                            "plot_id": f"ZXB-{code[kind]}-{year}-{j:03d}",
                            "kind": kind,
                            "township": tname,
                            "year": year,
                            "planned_mu": planned,
                            "completed_mu": completed,
                            "survival_rate": survival,
                            "status": status,
                            "geometry": g,
                        }
                    )
        # planted: a 2022 afforestation plot drawn over half of a permanent-farmland field,
        # for `ecogis plots check` (afforestation on 永久基本农田 is not allowed). It reaches
        # 20 m past the field's west edge, less than the gap between farmland cells.
        field_geom = self.farmland[self.n_farm_planted]
        fx0, fy0, fx1, fy1 = field_geom.bounds
        on_farm = box(fx0 - 20.0, fy0, (fx0 + fx1) / 2.0, fy1)
        tcode, tname = self.township_of(on_farm)
        on_farm_mu = round(on_farm.area / M2_PER_MU, 1)
        plot_rows.append(
            {
                "plot_id": PLANTED["plot_on_farmland"]["plot_id"],
                "kind": "afforestation",
                "township": tname,
                "year": 2022,
                "planned_mu": on_farm_mu,
                "completed_mu": on_farm_mu,
                "survival_rate": 0.81,
                "status": "completed",
                "geometry": on_farm,
            }
        )
        self.plot_on_farmland_m2 = shapely.intersection(on_farm, field_geom).area
        plots = gpd.GeoDataFrame(plot_rows, geometry="geometry", crs=WORK_EPSG)
        # some completed work does not green up: low survival, or a treated pit left bare
        done_planting = plots.index[plots["survival_rate"].notna()].to_numpy()
        poor = sorted(rng.choice(done_planting, 5, replace=False).tolist())
        plots.loc[poor, "survival_rate"] = np.round(rng.uniform(0.35, 0.55, len(poor)), 3)
        done_pits = pits.index[pits["status"].isin(["treated", "accepted"])].to_numpy()
        bare = sorted(rng.choice(done_pits, 3, replace=False).tolist())
        self.not_greened = {
            "pits": pits.loc[bare, "pit_id"].tolist(),
            "plots": plots.loc[poor, "plot_id"].tolist(),
        }
        return pits, plots

    def sites_frame(self):
        import geopandas as gpd

        rows = []
        for spec in _SITES:
            g = self.sites[spec[0]]
            _tcode, tname = self.township_of(g)
            mu = round(g.area / M2_PER_MU, 1)
            rows.append(
                {
                    "site_id": spec[0],
                    "name": spec[1],
                    "township": tname,
                    "area_mu": mu,
                    "capacity_mw": round(mu / 30.0, 1),
                    "geometry": g,
                }
            )
        return gpd.GeoDataFrame(rows, geometry="geometry", crs=WORK_EPSG)

    # ---- land use (三调 地类图斑)
    def landuse(self, frames: dict) -> Any:
        """About 100 000 patches tiling the banner: a Voronoi diagram of jittered points cut
        along the zone layers, so that the classes agree with them (urban -> 0701 ..., farmland
        -> its own DLBM, pits -> 0602, Ⅰ级 forest -> 0301 / 0305, sandy land -> 1205, basic
        grassland and the rest -> 0401). Away from the sites a few patches get the other
        classes of the region. A stream of its own: the other layers do not move."""
        import geopandas as gpd

        from ..overlay import get_engine

        rng = np.random.default_rng([self.seed, 15])
        engine = get_engine("local")
        cells = self._cells(rng)
        zones = self._landuse_zones(frames)
        land = gpd.GeoDataFrame(geometry=cells, crs=WORK_EPSG)
        zgdf = gpd.GeoDataFrame({"zone": [z for z, _g in zones]}, geometry=[g for _z, g in zones],
                                crs=WORK_EPSG)  # fmt: skip
        pairs = engine.intersect_pairs(land, zgdf, keep_geometry=True)
        inside = np.asarray(pairs.geometry.values, dtype=object)
        pieces = [inside]
        kinds = [zgdf["zone"].to_numpy()[pairs["idx_right"].to_numpy()]]
        # the rest of each cell: the cell itself, or what the zones leave of it (cut along the
        # pieces themselves, so the patches share their vertices and tile without gaps)
        li = pairs["idx_left"].to_numpy()
        covered = np.bincount(li, weights=pairs["area_m2"].to_numpy(), minlength=len(cells))
        full = covered >= shapely.area(cells) * (1 - 1e-12)
        cut = np.flatnonzero((covered > 0) & ~full)
        lo, hi = np.searchsorted(li, cut, side="left"), np.searchsorted(li, cut, side="right")
        rest = cells.copy()
        rest[cut] = [
            shapely.difference(cells[i], shapely.union_all(inside[a:b]))
            for i, a, b in zip(cut, lo, hi, strict=True)
        ]
        rest = rest[~full]
        pieces.append(rest)
        kinds.append(np.full(len(rest), "rest", dtype=object))
        geoms = shapely.get_parts(np.concatenate(pieces), return_index=True)
        kind = np.concatenate(kinds)[geoms[1]]
        geoms = geoms[0]
        keep = shapely.get_type_id(geoms) == shapely.GeometryType.POLYGON
        keep &= shapely.area(geoms) > 0
        geoms, kind = geoms[keep], kind[keep]
        codes, cover = self._classes(rng, geoms, kind)
        return self._landuse_frame(geoms, codes, cover)

    def _cells(self, rng) -> np.ndarray:
        """Voronoi cells of jittered points 250 m apart, cut to the banner outline."""
        spacing = 250.0
        x0, y0, x1, y1 = self.outline.bounds
        gx, gy = np.meshgrid(np.arange(x0, x1, spacing), np.arange(y0, y1, spacing))
        pts = np.column_stack([gx.ravel(), gy.ravel()]) + rng.uniform(
            -0.4 * spacing, 0.4 * spacing, (gx.size, 2)
        )
        near = self.outline.buffer(spacing)
        shapely.prepare(near)
        pts = pts[shapely.contains_xy(near, pts[:, 0], pts[:, 1])]
        cells = shapely.get_parts(
            shapely.voronoi_polygons(
                MultiPoint(pts), extend_to=near.envelope.buffer(spacing), ordered=True
            )
        )
        shapely.prepare(self.outline)
        inside = shapely.contains(self.outline, cells)
        edge = np.flatnonzero(~inside & shapely.intersects(self.outline, cells))
        cells[edge] = shapely.intersection(cells[edge], self.outline)
        cells = cells[inside | np.isin(np.arange(len(cells)), edge)]
        return shapely.get_parts(cells[~shapely.is_empty(cells)])

    def _landuse_zones(self, frames: dict) -> list[tuple[str, Any]]:
        """(zone, polygon) pairs that do not overlap, in order of precedence."""
        z: list[tuple[str, Any]] = []
        z += [(f"urban_{code}", g) for g, code in self.urban]
        farm = frames["farmland"]
        z += [
            (f"farm_{code}", shapely.make_valid(g))
            for g, code in zip(farm.geometry.values, farm["DLBM"], strict=True)
        ]
        z += [("pit", g) for g in frames["pits"].geometry.values]
        forest = frames["forest"]
        z += [
            ("forest_0301" if name == "乔木林地" else "forest_0305", g)
            for g, name in zip(forest.geometry.values, forest["DLMC"], strict=True)
        ]
        z += [("sand", g) for g in frames["sandy_land"].geometry.values]
        z += [("grass", g) for g in frames["basic_grassland"].geometry.values]
        out, taken = [], None
        for kind, g in z:
            part = g if taken is None else shapely.difference(g, taken)
            taken = g if taken is None else shapely.union(taken, g)
            out += [(kind, p) for p in _polys(part)]
        return out

    def _classes(self, rng, geoms: np.ndarray, kind: np.ndarray):
        """The class code of each piece, and the shrub cover (GMFGD) of 灌木林地."""
        n = len(geoms)
        codes = np.full(n, "0401", dtype=object)
        centre = shapely.point_on_surface(geoms)
        cx, cy = shapely.get_x(centre), shapely.get_y(centre)
        # near the sites every class follows the zones exactly (the verdicts depend on it)
        shapely.prepare(self.site_keepout)
        free = ~shapely.contains_xy(self.site_keepout, cx, cy)
        seats = np.array([(x, y) for _code, _name, x, y in TOWNSHIPS])
        town = np.min(np.hypot(cx[:, None] - seats[:, 0], cy[:, None] - seats[:, 1]), axis=1)
        u = rng.random(n)

        def pick(mask, table):
            """Classes by weight for the pieces in ``mask`` (the rest of ``u`` untouched)."""
            edges = np.cumsum([w for _c, w in table])
            for (code, _w), lo, hi in zip(table, np.r_[0, edges[:-1]], edges, strict=True):
                codes[mask & (u >= lo) & (u < hi)] = code

        for k in np.unique(kind):
            m = kind == k
            if k.startswith(("urban_", "farm_", "forest_")):
                head, code = k.split("_", 1)
                if head == "urban":
                    codes[m] = "0701"
                    pick(m & free, [("0701", 0.7), ("05H1", 0.1), ("1004", 0.1), ("08H2", 0.05),
                                    ("0810", 0.05)])  # fmt: skip
                else:
                    codes[m] = code
            elif k == "pit":
                codes[m] = "0602"
            elif k == "sand":
                codes[m] = "1205"
                pick(m & free, [("1205", 0.9), ("1206", 0.07), ("0404", 0.03)])
            elif k == "grass":
                pick(m & free, [("0401", 0.95), ("0403", 0.05)])
            else:
                pick(m & free & (town >= 9000), [("0401", 0.85), ("0403", 0.04), ("0404", 0.03),
                     ("0307", 0.03), ("1006", 0.025), ("1104", 0.015), ("1207", 0.01)])  # fmt: skip
                pick(m & free & (town < 9000), [("0401", 0.55), ("0103", 0.16), ("0102", 0.08),
                     ("0702", 0.06), ("1006", 0.05), ("0403", 0.05), ("1104", 0.03),
                     ("0307", 0.02)])  # fmt: skip
        cover = np.full(n, np.nan)
        shrub = codes == "0305"
        cover[shrub] = np.round(rng.uniform(0.1, 0.6, int(shrub.sum())), 2)
        return codes, cover

    def _landuse_frame(self, geoms: np.ndarray, codes: np.ndarray, cover: np.ndarray):
        import geopandas as gpd

        from ..landuse import class_name

        centre = shapely.point_on_surface(geoms)
        order = np.lexsort((np.round(shapely.get_x(centre)), -np.round(shapely.get_y(centre))))
        geoms, codes, cover, centre = geoms[order], codes[order], cover[order], centre[order]
        tree = shapely.STRtree(self.town_gdf.geometry.values)
        pi, ti = tree.query(centre, predicate="intersects")
        town = np.zeros(len(geoms), dtype=np.int64)
        town[pi[::-1]] = ti[::-1]  # the first township each point is in
        tcode = np.array([TOWNSHIPS[t][0] for t in range(len(TOWNSHIPS))], dtype=object)[town]
        tname = np.array([TOWNSHIPS[t][1] for t in range(len(TOWNSHIPS))], dtype=object)[town]
        names = {c: class_name(c) for c in set(codes.tolist())}
        number = np.zeros(len(geoms), dtype=np.int64)
        for t in range(len(TOWNSHIPS)):
            mine = town == t
            number[mine] = np.arange(1, int(mine.sum()) + 1)
        return gpd.GeoDataFrame(
            {
                "BSM": [f"{BANNER_CODE}2019{i:07d}" for i in range(1, len(geoms) + 1)],
                "TBBH": [str(v) for v in number],
                "DLBM": codes,
                "DLMC": [names[c] for c in codes],
                "ZLDWDM": [f"{c}000" for c in tcode],
                "ZLDWMC": tname,
                "TBMJ": np.round(shapely.area(geoms), 2),
                "GMFGD": cover,
            },
            geometry=gpd.GeoSeries(geoms, crs=WORK_EPSG),
            crs=WORK_EPSG,
        )

    # ---- rasters
    def grid(self):
        x0, y0, x1, y1 = self.outline.buffer(2000).bounds
        res = DEM_RES_M
        left, top = math.floor(x0 / res) * res, math.ceil(y1 / res) * res
        width, height = int(math.ceil((x1 - left) / res)), int(math.ceil((top - y0) / res))
        from affine import Affine

        return Affine(res, 0.0, left, 0.0, -res, top), (height, width)

    def rasters(self, pits, plots):
        from rasterio.features import geometry_mask, rasterize

        rng = self.rng
        transform, shape = self.grid()
        h, w = shape
        xs = transform.c + (np.arange(w) + 0.5) * transform.a
        ys = transform.f + (np.arange(h) + 0.5) * transform.e
        X, Y = np.meshgrid(xs, ys)
        p = rng.uniform(0, 2 * np.pi, 6)
        # regional slope from the southern hills (~1400 m) to the sandy north (~1250 m)
        z = 1400.0 - 150.0 * (Y - 4662000.0) / 104000.0
        z += 25 * np.sin(X / 7000 + p[0]) * np.cos(Y / 11000 + p[1]) + 15 * np.sin(
            (X + Y) / 23000 + p[2]
        )
        # dunes: stronger in the north; crest spacing ~950 m keeps slopes under ~5°
        amp = 2.0 + 8.0 / (1.0 + np.exp(-(Y - 4718000.0) / 4000.0))
        a = rng.uniform(0.3, 0.5)
        along = X * np.cos(a) + Y * np.sin(a)
        across = -X * np.sin(a) + Y * np.cos(a)
        z += amp * np.sin(
            2 * np.pi * along / 950 + p[3] + 0.8 * np.sin(2 * np.pi * across / 4100 + p[4])
        )
        # a few steep ridges, one through PV-08
        for (cx, cy), ang, length, height, width in (
            ((575000, 4755000), 30, 5000, 120, 250),
            ((605000, 4712000), -20, 6000, 110, 260),
            ((572000, 4676000), 70, 5000, 100, 230),
        ):
            u = (math.cos(math.radians(ang)), math.sin(math.radians(ang)))
            t = (X - cx) * u[0] + (Y - cy) * u[1]
            d = -(X - cx) * u[1] + (Y - cy) * u[0]
            taper = np.exp(-((np.maximum(np.abs(t) - length / 2, 0) / 600.0) ** 2))
            z += height * np.exp(-((d / width) ** 2)) * taper
        outside = geometry_mask([self.outline.buffer(2000)], out_shape=shape, transform=transform)
        void = ~geometry_mask(
            [self.sites["PV-09"].buffer(800).envelope], out_shape=shape, transform=transform
        )
        dem = z.astype(np.float32)
        dem[outside | void] = NODATA

        # NDVI: land cover, smooth variation and pixel noise; 2023 adds the restoration effect
        def burn(shapes, out):
            shapes = [(g, v) for g, v in shapes if g is not None and not g.is_empty]
            if shapes:
                rasterize(shapes, out=out, transform=transform)

        nd = (0.30 + 0.04 * np.sin(X / 5000 + p[5]) * np.cos(Y / 7000)).astype(np.float32)
        burn(
            [
                (self.grass_all, 0.34),
                (self.sand_all, 0.13),
                (self.forest_all, 0.55),
                (shapely.union_all([shapely.make_valid(g) for g in self.farmland]), 0.48),
                (shapely.union_all([u for u, _ in self.urban]), 0.10),
            ],
            nd,
        )
        burn([(g, 0.06) for g in pits.geometry], nd)
        nd21 = nd + rng.normal(0, 0.015, shape).astype(np.float32)
        gain = np.zeros(shape, np.float32)
        bare = set(self.not_greened["pits"])
        burn(
            [
                (
                    g,
                    0.17
                    if s in ("treated", "accepted") and pid not in bare
                    else (0.04 if s == "in_progress" else 0.0),
                )
                for g, s, pid in zip(pits.geometry, pits["status"], pits["pit_id"], strict=True)
            ],
            gain,
        )
        poor = set(self.not_greened["plots"])
        per_kind = {"afforestation": 0.12, "grass_planting": 0.10, "enclosure": 0.06}
        shapes = []
        for g, kind, status, pid in zip(
            plots.geometry, plots["kind"], plots["status"], plots["plot_id"], strict=True
        ):
            if status in ("completed", "accepted") and pid not in poor:
                shapes.append((g, per_kind[kind]))
            elif status == "in_progress":
                shapes.append((g, 0.03))
        burn(shapes, gain)
        nd23 = nd + 0.01 + gain + rng.normal(0, 0.015, shape).astype(np.float32)
        out = []
        for arr in (nd21, nd23):
            arr = np.clip(arr, -1.0, 1.0).astype(np.float32)
            arr[outside] = NODATA
            out.append(arr)
        return transform, dem, out[0], out[1]


# --------------------------------------------------------------------------- writing


def _write_raster(arr: np.ndarray, path: Path, transform, *, overwrite: bool) -> Path:
    import rasterio

    from ..io import atomic_path

    profile = {
        "driver": "GTiff",
        "dtype": "float32",
        "count": 1,
        "height": arr.shape[0],
        "width": arr.shape[1],
        "crs": f"EPSG:{WORK_EPSG}",
        "transform": transform,
        "nodata": NODATA,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
        "predictor": 3,
    }
    with atomic_path(path, overwrite=overwrite) as tmp, rasterio.open(tmp, "w", **profile) as dst:
        dst.write(arr, 1)
    return path


def _rel(path: Path, start: Path) -> str:
    try:
        return Path(os.path.relpath(path.resolve(), start.resolve())).as_posix()
    except ValueError:  # another drive on Windows
        return path.resolve().as_posix()


def _config_text(layers: dict[str, Path], config_path: Path, registry: Path) -> str:
    base = config_path.parent
    lines = [
        "# Demo project: Zhengxiangbai Banner (正镶白旗), written by `ecogis demo`.",
        "# The layers are synthetic (see layers/demo/README.md); only the banner outline is real.",
        "# Paths are relative to this file.",
        "name: 正镶白旗生态修复示范",
        "crs: auto                # CGCS2000 3-degree GK zone of the banner: EPSG:4547",
        "area_unit: mu",
        "on_invalid: fix          # repair invalid geometries with a warning naming them",
        "sliver_m2: 1.0           # control-line overlaps below 1 m² are slivers, not conflicts",
        "basemap: none",
        f"registry: {_rel(registry, base)}",
        "layers:",
    ]
    for key, _fname, _lname, role, label, extra in _LAYERS:
        items = [f"path: {_rel(layers[key], base)}", f"role: {role}", f"label: {label}"]
        items += [f"{k}: {v}" for k, v in extra.items()]
        lines.append(f"  {key}: {{{', '.join(items)}}}")
    lines += [
        "control_lines: [redline, farmland, urban]",
        "targets:",
    ]
    for year, t in TARGETS.items():
        lines.append(f"  {year}: {{{', '.join(f'{k}: {v}' for k, v in t.items())}}}")
    lines += [
        "rulesets:",
        "  pv_sand_control:",
        "    label: 光伏治沙项目选址",
        "    basis: 自然资办发〔2023〕12号《关于支持光伏发电产业发展规范用地管理有关工作的通知》",
        "    min_eligible_mu: 300  # demo threshold: a smaller eligible rest is not worth a project",
        "    checks:",
        "      - {layer: redline, rule: exclude, label: 生态保护红线, basis: 自然资发〔2022〕142号 红线内禁止开发性、生产性建设活动}",
        "      - {layer: farmland, rule: exclude, label: 永久基本农田, basis: 自然资办发〔2023〕12号 不得占用永久基本农田}",
        "      - {layer: basic_grassland, rule: exclude, label: 基本草原, basis: 自然资办发〔2023〕12号 不得占用基本草原}",
        "      # land classes of the 三调 layer (dltb): codes in quotes (YAML reads 0103 as an octal number)",
        "      - {layer: dltb, rule: exclude, classes: ['01*'], label: 耕地, basis: 自然资办发〔2023〕12号 光伏方阵不得占用耕地}",
        "      # 0302 竹林地 is left out: the banner has none, and a code that matches no patch warns",
        "      - {layer: dltb, rule: exclude, classes: ['0301'], label: 乔木林地, basis: 自然资办发〔2023〕12号 林光互补不得占用乔木林地、竹林地}",
        "      - {layer: dltb, rule: exclude, classes: ['0305'], where: {GMFGD: {gt: 0.3}}, label: 覆盖度大于30%的灌木林地, basis: 年降水量400毫米以下地区不得占用灌木覆盖度30%以上的灌木林地}",
        "      - {layer: water_source, rule: exclude, buffer_m: 500, label: 饮用水水源保护区及500米缓冲, basis: 水污染防治法第六十五、六十六条；500米缓冲为本示范设定}",
        "      - {layer: dltb, rule: require, classes: ['1205', '1206', '0404'], min_share: 0.6, label: 沙地、裸土地、其他草地, basis: 自然资办发〔2023〕12号 鼓励利用沙漠、戈壁、荒漠建设光伏基地；60%为本示范设定}",
        "      - {raster: dem, rule: slope_max, max_deg: 15, max_share: 0.1, label: 坡度, basis: 本示范设定（施工与水土保持）：坡度大于15°的面积不超过10%}",
    ]
    return "\n".join(lines) + "\n"


def _check_site_classes(sites, dltb) -> None:
    """The land classes under each site say what the zone layers say (PLANTED["site_expect"]):
    the same share of sandy land (1205 / 1206 / 0404), the same area of Ⅰ级 forest (0301) and
    of permanent farmland (cultivated land, 01), and the classes add up to the site."""
    from ..landuse import area_by_class, match_codes

    table = area_by_class(sites, dltb, ids=sites["site_id"].tolist())
    whole = dict(zip(sites["site_id"], sites.geometry.area, strict=True))
    for sid, exp in PLANTED["site_expect"].items():
        mine = table[table["id"] == sid]
        codes, area = mine["class_code"].tolist(), mine["area_m2"].to_numpy()
        got = {
            "sandy": area[match_codes(["1205", "1206", "0404"], codes)].sum() / whole[sid],
            "forest": area[match_codes(["0301"], codes)].sum(),
            "farmland": area[match_codes(["01"], codes)].sum(),
            "total": area.sum(),
        }
        want = {
            "sandy": exp["sandy_share"],
            "forest": exp["excluded_m2"].get("forest", 0.0),
            "farmland": exp["excluded_m2"].get("farmland", 0.0),
            "total": whole[sid],
        }
        for key, value in want.items():
            if not math.isclose(got[key], value, rel_tol=1e-6, abs_tol=1e-3):
                raise AssertionError(f"demo: land classes under {sid}: {key} {got[key]} != {value}")


def _measure(layers: dict[str, Path], planted: dict) -> dict:
    """Areas of the planted problems, measured in EPSG:4547 on the layers as written."""
    import shapely as sh

    from ..io import read_layer

    frames = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EcogisWarning)
        for key in ("redline", "farmland", "urban"):
            frames[key] = read_layer(layers[key], on_invalid="warn").to_crs(WORK_EPSG)
    id_fields = planted["id_fields"]

    def geom(layer, fid):
        gdf = frames[layer]
        rows = gdf[gdf[id_fields[layer]].astype(str) == str(fid)]
        if len(rows) != 1:
            raise AssertionError(
                f"demo: planted feature {layer} {fid} not found once in the output"
            )
        return rows.geometry.iloc[0]

    out = copy.deepcopy(planted)
    for rec in [*out["conflicts"], out["sliver"]]:
        a, b = geom(rec["layer_a"], rec["id_a"]), geom(rec["layer_b"], rec["id_b"])
        measured = sh.intersection(a, b).area
        if not math.isclose(measured, rec["area_m2"], rel_tol=1e-4, abs_tol=1e-4):
            raise AssertionError(f"demo: planted overlap {rec} measures {measured}")
        rec["area_m2"] = measured
    so = out["self_overlap"]
    so["area_m2"] = sh.intersection(geom("farmland", so["id_a"]), geom("farmland", so["id_b"])).area
    bad = geom("farmland", out["invalid"]["id"])
    if bad.is_valid:
        raise AssertionError("demo: the planted bowtie came back valid")
    out["invalid"]["valid_area_m2"] = sh.make_valid(bad).area
    return out


def make_demo(
    out_dir: str | os.PathLike = "layers/demo",
    *,
    config_path: str | os.PathLike | None = None,
    boundary_source: str | os.PathLike | None = None,
    seed: int = 2022,
    overwrite: bool = False,
    progress: Callable[[str], None] | None = None,
) -> DemoResult:
    """Generate the demo data set and its config.

    Parameters
    ----------
    out_dir
        Folder for the layers (created if missing).
    config_path
        Where to write the YAML config (default ``out_dir/demo.yaml``); layer paths in it
        are relative to it, so ``configs/demo.yaml`` gets ``../layers/demo/...``.
    boundary_source
        The banner outline in GCJ-02 (see :func:`read_banner_outline`).
    seed
        Random seed: the same seed gives the same attributes and geometries.
    overwrite
        Replace existing files; otherwise an existing output is an error before anything is written.
    progress
        Called with a short message per step.

    Returns
    -------
    DemoResult

    Raises
    ------
    LayerError
        An output exists and ``overwrite`` is False, or the boundary source is unusable.
    """
    say = progress or (lambda _msg: None)
    out_dir = Path(out_dir)
    config_path = Path(config_path) if config_path is not None else out_dir / "demo.yaml"
    layers = {key: out_dir / fname for key, fname, *_rest in _LAYERS}
    if not overwrite:
        existing = [str(p) for p in [*layers.values(), config_path] if p.exists()]
        if existing:
            raise LayerError(
                _(
                    "{path}: file exists ({n} demo outputs exist); pass overwrite=True (CLI: "
                    "--overwrite) to replace them"
                ).format(path=existing[0], n=len(existing))
            )
    out_dir.mkdir(parents=True, exist_ok=True)
    config_path.parent.mkdir(parents=True, exist_ok=True)

    source = Path(boundary_source) if boundary_source is not None else default_boundary_source()
    say(_("reading the banner outline from {source} (GCJ-02 -> CGCS2000)").format(source=source))
    outline, outline_gcj = read_banner_outline(source)

    import geopandas as gpd

    from ..io import atomic_path, write_layer

    gen = _Gen(outline, seed)
    frames: dict[str, gpd.GeoDataFrame] = {}
    frames["boundary"] = gpd.GeoDataFrame(
        [
            {
                "XZQDM": BANNER_CODE,
                "XZQMC": BANNER_NAME,
                "MJ": round(outline.area, 2),
                "geometry": outline,
            }
        ],
        geometry="geometry",
        crs=WORK_EPSG,
    )
    frames["townships"] = gen.townships()
    say(_("control lines: red line, permanent basic farmland, urban development boundary"))
    gen.control_lines()
    frames["redline"], frames["farmland"], frames["urban"] = gen.control_frames()
    say(_("water-source zones, basic grassland, Ⅰ级 forest, sandy land"))
    (frames["water_source"], frames["basic_grassland"], frames["forest"], frames["sandy_land"]) = (
        gen.zones()
    )
    say(_("mine pits, restoration plots, PV candidate sites"))
    frames["pits"], frames["plots"] = gen.restoration()
    frames["sites"] = gen.sites_frame()
    say(_("land-use patches (三调 地类图斑), about 100 000"))
    frames["dltb"] = gen.landuse(frames)
    _check_site_classes(frames["sites"], frames["dltb"])

    for key, fname, lname, *_rest in _LAYERS:
        if lname is None:
            continue
        gdf = frames[key]
        if key in _STORED_EPSG:
            gdf = gdf.to_crs(_STORED_EPSG[key])
        write_layer(gdf, out_dir / fname, layer=lname, overwrite=overwrite)
    say(_("rasters: DEM and NDVI 2021 / 2023 at {res} m").format(res=f"{DEM_RES_M:g}"))
    transform, dem, nd21, nd23 = gen.rasters(frames["pits"], frames["plots"])
    _write_raster(dem, layers["dem"], transform, overwrite=overwrite)
    _write_raster(nd21, layers["ndvi_2021"], transform, overwrite=overwrite)
    _write_raster(nd23, layers["ndvi_2023"], transform, overwrite=overwrite)

    text = _config_text(layers, config_path, out_dir / "restoration.gpkg")
    with atomic_path(config_path, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")

    planted = _measure(layers, PLANTED)
    planted["gcj_shift_m"] = outline.centroid.distance(outline_gcj.centroid)
    planted["boundary_source"] = str(source)
    planted["ndvi"] = {"not_greened": gen.not_greened}
    planted["plot_on_farmland"]["area_m2"] = gen.plot_on_farmland_m2
    say(
        _("wrote {n} layers to {folder} and the config {config}").format(
            n=len(layers), folder=out_dir, config=config_path
        )
    )
    return DemoResult(config_path=config_path, layers=layers, planted=planted)

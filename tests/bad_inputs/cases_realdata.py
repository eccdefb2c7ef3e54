"""Real delivered data, as counties get it (issue 14 and items 8, 10, 11, 12 of issue 18).

Every fixture is built here in code, byte for byte where the trap is in the bytes: a DBF
whose code-page byte is 0x57 over GBK text, a ``.cpg`` naming ``FOOBAR-99``, an ESRI
``.prj`` for Xian 1980, boundary-point TXT variants, DEMs in EPSG:4326 / 3857 and a virtual
1 m DEM of 30 km. ``tests/test_realdata.py`` uses the same builders.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
from shapely.geometry import Polygon, box

from bad_inputs.cases import (
    MU,
    TXT_HEADER,
    X0,
    Y0,
    Built,
    Case,
    Fixtures,
    _dirs,
    _yaml,
)

__all__ = [
    "CASES",
    "XIAN80_CM114_PRJ",
    "HELMERT",
    "gbk_shapefile",
    "xian80_shapefile",
    "plane_dem",
    "warped_dem",
    "big_dem_vrt",
    "txt_text",
]

#: the ESRI .prj ArcGIS writes for Xian 1980 / 3-degree Gauss-Kruger CM 114E (EPSG:2383)
XIAN80_CM114_PRJ = (
    'PROJCS["Xian_1980_3_Degree_GK_CM_114E",GEOGCS["GCS_Xian_1980",DATUM["D_Xian_1980",'
    'SPHEROID["Xian_1980",6378140.0,298.257]],PRIMEM["Greenwich",0.0],'
    'UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],'
    'PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],'
    'PARAMETER["Central_Meridian",114.0],PARAMETER["Scale_Factor",1.0],'
    'PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]'
)
#: 7 parameters of the shape Xian 1980 -> CGCS2000 parameters have (not a published set):
#: dx, dy, dz (m), rx, ry, rz (arc-seconds), ds (ppm)
HELMERT = (-24.5, -123.8, -81.9, 0.6, -0.4, 1.1, 2.3)
HELMERT_TEXT = ",".join(f"{v:g}" for v in HELMERT)


# ---------------------------------------------------------------- building blocks


def gbk_shapefile(
    path: Path,
    texts: list[str],
    *,
    ldid: int | None = None,
    cpg: str | None = None,
    crs=4547,
) -> Path:
    """A shapefile whose DBF holds ``texts`` (field DLMC) in GBK: with code-page byte
    ``ldid`` (byte 29 of the DBF) and a ``.cpg`` holding ``cpg`` (none when None) — as
    ArcGIS on a Chinese Windows writes them (0x57, no .cpg)."""
    geoms = [box(X0 + 1000 * i, Y0, X0 + 1000 * i + 1000, Y0 + 1000) for i in range(len(texts))]
    gdf = gpd.GeoDataFrame(
        {"BSM": [f"R{i + 1}" for i in range(len(texts))], "DLMC": texts}, geometry=geoms, crs=crs
    )
    gdf.to_file(path, encoding="GBK")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    if ldid is not None:
        dbf = path.with_suffix(".dbf")
        data = bytearray(dbf.read_bytes())
        data[29] = ldid
        dbf.write_bytes(bytes(data))
    if cpg is not None:
        path.with_suffix(".cpg").write_text(cpg, encoding="ascii")
    return path


def xian80_shapefile(path: Path, geoms=None, attrs: dict | None = None) -> Path:
    """A layer in Xian 1980 / 3-degree GK CM 114E with ArcGIS's ESRI .prj (the datum named
    only by its WKT): by default the red line's 1000 m square."""
    geoms = geoms or [box(X0, Y0, X0 + 1000, Y0 + 1000)]
    data = {"BSM": [f"X{i + 1}" for i in range(len(geoms))]}
    data.update(attrs or {})
    gpd.GeoDataFrame(data, geometry=geoms, crs=2383).to_file(path, encoding="UTF-8")
    path.with_suffix(".prj").write_text(XIAN80_CM114_PRJ, encoding="ascii")
    return path


def plane_dem(
    path: Path,
    *,
    slope_deg: float,
    bounds=(X0 - 2000, Y0 - 2000, X0 + 4000, Y0 + 4000),
    res: float = 30.0,
    crs=4547,
) -> Path:
    """A DEM rising eastwards at ``slope_deg`` (a plane), float32, nodata -9999."""
    import rasterio
    from rasterio.transform import from_origin

    x0, y0, x1, y1 = bounds
    w, h = int(round((x1 - x0) / res)), int(round((y1 - y0) / res))
    x = x0 + (np.arange(w) + 0.5) * res
    z = np.tile(1000.0 + np.tan(np.radians(slope_deg)) * (x - x0), (h, 1)).astype("float32")
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=w,
        height=h,
        count=1,
        dtype="float32",
        crs=rasterio.crs.CRS.from_user_input(crs),
        transform=from_origin(x0, y1, res, res),
        nodata=-9999.0,
    ) as dst:
        dst.write(z, 1)
    return path


def warped_dem(src: Path, dst: Path, crs, res: float) -> Path:
    """``src`` warped to ``crs`` with pixels of ``res`` (bilinear), as a county gets a DEM
    from a download site (ASTER / SRTM in EPSG:4326) or a web tool (EPSG:3857)."""
    import rasterio
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    with rasterio.open(src) as s:
        transform, w, h = calculate_default_transform(
            s.crs, crs, s.width, s.height, *s.bounds, resolution=res
        )
        profile = s.profile | {"crs": crs, "transform": transform, "width": w, "height": h}
        with rasterio.open(dst, "w", **profile) as d:
            reproject(
                rasterio.band(s, 1),
                rasterio.band(d, 1),
                resampling=Resampling.bilinear,
                src_nodata=s.nodata,
                dst_nodata=s.nodata,
            )
    return dst


def big_dem_vrt(folder: Path, *, pixel: float, size_m: float = 30_000.0) -> Path:
    """A virtual DEM of ``size_m`` a side with pixels of ``pixel`` metres (1 m: 30 000 x
    30 000 pixels, 3.6 GB as float32): a 100 m plane rising east at 0.1 (5.71°) upsampled
    by GDAL. Tiny on disk, as heavy to read as the real thing."""
    import rasterio
    from rasterio.transform import from_origin

    n, res = int(size_m / 100), 100.0
    z = np.tile(1000 + 0.1 * (np.arange(n) + 0.5) * res, (n, 1)).astype("float32")
    base = folder / "plane100.tif"
    if not base.exists():
        with rasterio.open(
            base,
            "w",
            driver="GTiff",
            width=n,
            height=n,
            count=1,
            dtype="float32",
            crs="EPSG:4547",
            transform=from_origin(X0, Y0, res, res),
            nodata=-9999,
        ) as d:
            d.write(z, 1)
    side = int(round(size_m / pixel))
    vrt = folder / f"dem_{pixel:g}m.vrt"
    vrt.write_text(
        f"""<VRTDataset rasterXSize="{side}" rasterYSize="{side}">
  <SRS>EPSG:4547</SRS>
  <GeoTransform>{X0}, {pixel}, 0, {Y0}, 0, {-pixel}</GeoTransform>
  <VRTRasterBand dataType="Float32" band="1">
    <NoDataValue>-9999</NoDataValue>
    <ComplexSource resampling="bilinear">
      <SourceFilename relativeToVRT="1">{base.name}</SourceFilename>
      <SourceBand>1</SourceBand>
      <SrcRect xOff="0" yOff="0" xSize="{n}" ySize="{n}"/>
      <DstRect xOff="0" yOff="0" xSize="{side}" ySize="{side}"/>
      <NODATA>-9999</NODATA>
    </ComplexSource>
  </VRTRasterBand>
</VRTDataset>
""",
        encoding="utf-8",
    )
    return vrt


def txt_text(parcels: str, *, datum: str = "2000国家大地坐标系", params: str = ",,,,,,") -> str:
    """A boundary-point TXT with the given parcels (and 转换参数 line)."""
    return TXT_HEADER.format(datum=datum, zone="38").replace(
        "转换参数=,,,,,,", f"转换参数={params}"
    ) + (parcels)


#: DK01: 100 m square, surveyed names J01.., an extra point column (distance), 地类编码 1205,
#: area written in m² (10000, a common writer's variant)
TXT_M2 = """5,10000.00,DK01,光伏治沙一号地块,面,K50G001001,光伏用地,1205,@
J01,1,4681000.000,38512000.000,100.00
J02,1,4681100.000,38512000.000,100.00
J03,1,4681100.000,38512100.000,100.00
J04,1,4681000.000,38512100.000,100.00
J01,1,4681000.000,38512000.000
4,20000.00,DK02,二号地块,面,,林地,0301,@
1,1,4682000.000,38513000.000
2,1,4682000.000,38513200.000
3,1,4682200.000,38513000.000
1,1,4682000.000,38513000.000
"""


def _sites(inp: Path, geoms: list, ids: list[str], crs=4547, name: str = "sites.gpkg") -> Path:
    gpd.GeoDataFrame({"site_id": ids}, geometry=geoms, crs=crs).to_file(inp / name)
    return inp / name


def _screen_cfg(inp: Path, layers: dict, checks: list, **extra) -> Path:
    cfg = {
        "name": "测试旗",
        "crs": extra.pop("crs", "EPSG:4547"),
        "layers": layers,
        "rulesets": {"pv": {"min_eligible_mu": 0, "checks": checks}},
    }
    cfg.update(extra)
    return _yaml(inp / "project.yaml", cfg)


def _red_gpkg(inp: Path) -> str:
    gpd.GeoDataFrame(
        {"BSM": ["R1"]}, geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000)], crs=4547
    ).to_file(inp / "red.gpkg")
    return "red.gpkg"


def _verdicts(b: Built) -> dict:
    import pandas as pd

    df = pd.read_csv(b.out / "result.csv", encoding="utf-8-sig")
    return dict(zip(df["site_id"], df["verdict"], strict=True))


def _result(b: Built):
    import pandas as pd

    return pd.read_csv(b.out / "result.csv", encoding="utf-8-sig").set_index("site_id")


# ---------------------------------------------------------------- encodings


def _convert_shp(make) -> callable:
    def build(root: Path, fx: Fixtures) -> Built:
        inp, out = _dirs(root)
        src = make(inp)
        return Built(["convert", src, out / "out.gpkg"], root, outputs=("out.gpkg",))

    return build


def _check_dlmc(b: Built, result) -> None:
    gdf = gpd.read_file(b.out / "out.gpkg")
    assert gdf["DLMC"].tolist() == ["面", "沙地", "Ⅰ级保护林地"], gdf["DLMC"].tolist()


_TEXTS = ["面", "沙地", "Ⅰ级保护林地"]


# ---------------------------------------------------------------- datums


def _xian_controls(transform: bool) -> callable:
    def build(root: Path, fx: Fixtures) -> Built:
        inp, out = _dirs(root)
        xian80_shapefile(inp / "red.shp")
        gpd.GeoDataFrame(
            {"YJJBNTTBBH": ["F1"]}, geometry=[box(X0 + 500, Y0, X0 + 1500, Y0 + 1000)], crs=4547
        ).to_file(inp / "farm.gpkg")
        red = {"path": "red.shp", "role": "control", "label": "生态保护红线"}
        if transform:
            red["transform"] = list(HELMERT)
        cfg = _yaml(
            inp / "project.yaml",
            {
                "name": "测试旗",
                "layers": {
                    "redline": red,
                    "farmland": {"path": "farm.gpkg", "role": "control", "label": "永久基本农田"},
                },
                "control_lines": ["redline", "farmland"],
            },
        )
        return Built(
            ["controls", "-c", cfg, "--summary", out / "sum.csv"], root, outputs=("sum.csv",)
        )

    return build


def _check_xian_conflict(b: Built, result) -> None:
    """The red line moved by the named parameters (about 10 m west here, not 0 m as PROJ's
    ballpark shift would leave it): the overlap with the farmland grows accordingly."""
    import pandas as pd
    from pyproj import Transformer

    pipe = Transformer.from_pipeline(
        "+proj=pipeline +step +inv +proj=tmerc +lon_0=114 +x_0=500000 +a=6378140 +rf=298.257 "
        "+step +proj=cart +a=6378140 +rf=298.257 +step +proj=helmert "
        "+x=-24.5 +y=-123.8 +z=-81.9 +rx=0.6 +ry=-0.4 +rz=1.1 +s=2.3 +convention=position_vector "
        "+step +inv +proj=cart +ellps=GRS80 +step +proj=tmerc +lon_0=114 +x_0=500000 +ellps=GRS80"
    )
    ring = np.array(box(X0, Y0, X0 + 1000, Y0 + 1000).exterior.coords)
    x, y = pipe.transform(ring[:, 0], ring[:, 1])
    moved = Polygon(np.column_stack([x, y]))
    expected = moved.intersection(box(X0 + 500, Y0, X0 + 1500, Y0 + 1000)).area
    df = pd.read_csv(b.out / "sum.csv", encoding="utf-8-sig")
    total = float(df.loc[df["layer_a"] == "all", "area_m2"].sum())
    assert abs(total - expected) < 0.05, (total, expected)
    assert abs(total - 500_000) > 1_000  # the datum change moved the red line


# ---------------------------------------------------------------- rasters


def _dem_screen(make_dem, *, max_deg: float, site=None) -> callable:
    def build(root: Path, fx: Fixtures) -> Built:
        inp, out = _dirs(root)
        make_dem(inp)
        _sites(inp, [site or box(X0 + 500, Y0 + 500, X0 + 1500, Y0 + 1500)], ["S1"])
        cfg = _screen_cfg(
            inp,
            {
                "dem": {"path": "dem.tif", "role": "raster"},
                "sites": {"path": "sites.gpkg", "role": "sites", "id_field": "site_id"},
            },
            [{"raster": "dem", "rule": "slope_max", "max_deg": max_deg}],
        )
        return Built(
            ["screen", inp / "sites.gpkg", "-c", cfg, "-r", "pv", "--csv", out / "result.csv"],
            root,
            outputs=("result.csv",),
        )

    return build


def _dem_4326(inp: Path) -> None:
    plane_dem(inp / "plane.tif", slope_deg=5.0)
    warped_dem(inp / "plane.tif", inp / "dem.tif", "EPSG:4326", 1 / 3600)  # 1″, as SRTM
    (inp / "plane.tif").unlink()


def _dem_3857(inp: Path) -> None:
    plane_dem(inp / "plane.tif", slope_deg=18.0)
    warped_dem(inp / "plane.tif", inp / "dem.tif", "EPSG:3857", 30.0)
    (inp / "plane.tif").unlink()


def _check_slope(deg: float, verdict: str) -> callable:
    def check(b: Built, result) -> None:
        r = _result(b).loc["S1"]
        assert r["verdict"] == verdict, r.to_dict()
        assert abs(r["slope_mean_deg"] - deg) < 0.05, r["slope_mean_deg"]

    return check


def _big_dem(inp: Path) -> None:
    vrt = big_dem_vrt(inp, pixel=1.0)
    vrt.rename(inp / "dem.vrt")


def _big_site_screen(root: Path, fx: Fixtures) -> Built:
    inp, out = _dirs(root)
    _big_dem(inp)
    # a 28 km square site on a 1 m DEM: 7.8e8 pixels, 5.8 GiB as float64 in one window
    site = box(X0 + 1000, Y0 - 29_000, X0 + 29_000, Y0 - 1000)
    _sites(inp, [site], ["S1"])
    cfg = _screen_cfg(
        inp,
        {"dem": {"path": "dem.vrt", "role": "raster"}},
        [{"raster": "dem", "rule": "slope_max", "max_deg": 15}],
    )
    return Built(
        ["screen", inp / "sites.gpkg", "-c", cfg, "-r", "pv", "--csv", out / "result.csv"],
        root,
        outputs=("result.csv",),
    )


# ---------------------------------------------------------------- study area


def _outside_screen(with_boundary: bool) -> callable:
    def build(root: Path, fx: Fixtures) -> Built:
        inp, out = _dirs(root)
        layers = {"redline": {"path": _red_gpkg(inp), "role": "control"}}
        if with_boundary:
            gpd.GeoDataFrame(
                {"name": ["研究区"]},
                geometry=[box(X0 - 5000, Y0 - 5000, X0 + 5000, Y0 + 5000)],
                crs=4547,
            ).to_file(inp / "boundary.gpkg")
            layers["boundary"] = {"path": "boundary.gpkg", "role": "boundary", "label": "旗界"}
        _sites(
            inp,
            [
                box(X0 + 2000, Y0, X0 + 3000, Y0 + 1000),  # inside, clear of the red line
                box(X0 + 4500, Y0, X0 + 5500, Y0 + 1000),  # half outside the boundary
                box(X0, Y0 - 2_000_000, X0 + 1000, Y0 - 1_999_000),  # 2 000 km south
            ],
            ["IN", "HALF", "FAR"],
        )
        cfg = _screen_cfg(inp, layers, [{"layer": "redline", "rule": "exclude"}])
        return Built(
            ["screen", inp / "sites.gpkg", "-c", cfg, "-r", "pv", "--csv", out / "result.csv"],
            root,
            outputs=("result.csv",),
        )

    return build


def _check_outside(with_boundary: bool) -> callable:
    def check(b: Built, result) -> None:
        r = _result(b)
        if with_boundary:
            assert _verdicts(b) == {"IN": "pass", "HALF": "unknown", "FAR": "unknown"}
            assert abs(r.loc["HALF", "study_area_outside"] - 0.5) < 1e-9
            assert (
                "50.0% of the site lies outside the study area (旗界)" in r.loc["HALF", "reasons"]
            )
        else:
            # no boundary layer: the red line's extent is all the data there is
            assert _verdicts(b)["FAR"] == "unknown"
        assert r.loc["FAR", "study_area_outside"] == 1.0
        assert "100.0% of the site lies outside" in r.loc["FAR", "reasons"]

    return check


# ---------------------------------------------------------------- TXT


def _txt_convert(text: str, out_name: str = "out.gpkg", *extra) -> callable:
    def build(root: Path, fx: Fixtures) -> Built:
        inp, out = _dirs(root)
        (inp / "地块坐标.txt").write_bytes(text.encode("gbk"))
        return Built(
            ["convert", inp / "地块坐标.txt", out / out_name, *extra], root, outputs=(out_name,)
        )

    return build


def _check_m2(b: Built, result) -> None:
    gdf = gpd.read_file(b.out / "out.gpkg")
    assert gdf["area_ha_declared"].tolist() == [1.0, 2.0]
    assert gdf["area_unit"].tolist() == ["m2", "m2"]
    lines = [ln for ln in result.stderr.splitlines() if "m²" in ln]
    assert len(lines) == 1, lines  # said once for the file, not per parcel


def _two_zone_sites(root: Path, fx: Fixtures) -> Built:
    inp, out = _dirs(root)
    gpd.GeoDataFrame(
        {"site_id": ["W1", "E1"]},
        geometry=[box(114.50, 42.50, 114.51, 42.51), box(115.70, 42.50, 115.71, 42.51)],
        crs=4490,
    ).to_file(inp / "sites.gpkg")
    return Built(
        ["convert", inp / "sites.gpkg", out / "out.txt"],
        root,
        outputs=("out_zone38.txt", "out_zone39.txt"),
    )


def _check_two_zones(b: Built, result) -> None:
    from ecogis.io.coordtxt import read_coord_txt

    w = read_coord_txt(b.out / "out_zone38.txt")
    e = read_coord_txt(b.out / "out_zone39.txt")
    assert (w.crs.to_epsg(), e.crs.to_epsg()) == (4526, 4527)
    assert (w["parcel_id"].tolist(), e["parcel_id"].tolist()) == (["W1"], ["E1"])


def _xian_txt(params: str) -> str:
    return txt_text(
        TXT_M2.replace("10000.00", "1.0000").replace("20000.00", "2.0000"),
        datum="西安80坐标系",
        params=params,
    )


def _check_xian_txt(b: Built, result) -> None:
    gdf = gpd.read_file(b.out / "out.gpkg")
    assert gdf.crs.to_epsg() == 4526
    # about 100 m away from the Xian 1980 numbers, as the parameters move them
    x0 = gdf.geometry.iloc[0].exterior.coords[0]
    assert 50 < abs(x0[0] - 38_512_000) + abs(x0[1] - 4_681_000) < 300, x0


# ---------------------------------------------------------------- wide study area


def _wide(root: Path, fx: Fixtures) -> Built:
    inp, out = _dirs(root)
    # a league-wide admin layer: 97°E to 126°E (29° of longitude, as Inner Mongolia)
    gpd.GeoDataFrame(
        {"XZQMC": ["西", "东"]},
        geometry=[box(97.0, 40.0, 111.0, 45.0), box(111.0, 40.0, 126.0, 45.0)],
        crs=4490,
    ).to_file(inp / "towns.gpkg")
    _sites(inp, [box(98.0, 42.0, 98.02, 42.02)], ["W1"], crs=4490)
    cfg = _screen_cfg(
        inp,
        {"towns": {"path": "towns.gpkg", "role": "admin", "name_field": "XZQMC"}},
        [{"layer": "towns", "rule": "require", "min_share": 0.5}],
        crs="auto",
    )
    return Built(
        ["screen", inp / "sites.gpkg", "-c", cfg, "-r", "pv", "--csv", out / "result.csv"],
        root,
        outputs=("result.csv",),
    )


def _check_wide(b: Built, result) -> None:
    assert "zone 37" in result.stderr and "EPSG:4546" in result.stderr
    assert _verdicts(b) == {"W1": "pass"}


# ---------------------------------------------------------------- messages


def _prj_of_another_file(root: Path, fx: Fixtures) -> Built:
    inp, out = _dirs(root)
    path = inp / "red.shp"
    gpd.GeoDataFrame(
        {"BSM": ["R1"]}, geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000)], crs=4547
    ).to_file(path)
    from pyproj import CRS

    path.with_suffix(".prj").write_text(CRS(4490).to_wkt("WKT1_ESRI"), encoding="ascii")
    cfg = _yaml(
        inp / "project.yaml",
        {"name": "测试旗", "layers": {"redline": {"path": "red.shp", "role": "control"}}},
    )
    return Built(["layers", "check", "-c", cfg], root)


def _far_vertex(root: Path, fx: Fixtures) -> Built:
    inp, out = _dirs(root)
    spike = Polygon([(X0, Y0), (1e300, Y0 + 500), (X0 + 1000, Y0 + 1000), (X0, Y0 + 1000)])
    gpd.GeoDataFrame(
        {"BSM": ["R1", "R9"]}, geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000), spike], crs=4547
    ).to_file(inp / "red.gpkg")
    gpd.GeoDataFrame(
        {"YJJBNTTBBH": ["F1"]}, geometry=[box(X0 + 500, Y0, X0 + 1500, Y0 + 1000)], crs=4547
    ).to_file(inp / "farm.gpkg")
    cfg = _yaml(
        inp / "project.yaml",
        {
            "name": "测试旗",
            "crs": "EPSG:4547",
            "layers": {
                "redline": {"path": "red.gpkg", "role": "control", "id_field": "BSM"},
                "farmland": {"path": "farm.gpkg", "role": "control"},
            },
            "control_lines": ["redline", "farmland"],
        },
    )
    return Built(["controls", "-c", cfg, "-o", out / "controls.gpkg"], root)


def _config_text(text: str, command=("config", "check")) -> callable:
    def build(root: Path, fx: Fixtures) -> Built:
        inp, out = _dirs(root)
        _red_gpkg(inp)
        (inp / "project.yaml").write_text(text, encoding="utf-8")
        return Built([*command, "-c", inp / "project.yaml"], root)

    return build


def _gcj_sites(root: Path, fx: Fixtures) -> Built:
    """A site drawn on Amap over the red line: its GCJ-02 corners are ~500 m off."""
    import prcoords
    from pyproj import Transformer

    inp, out = _dirs(root)
    layers = {"redline": {"path": _red_gpkg(inp), "role": "control", "label": "生态保护红线"}}
    to_ll = Transformer.from_crs(4547, 4326, always_xy=True)
    ring = np.array(box(X0 + 100, Y0 + 100, X0 + 900, Y0 + 900).exterior.coords)
    lon, lat = to_ll.transform(ring[:, 0], ring[:, 1])
    gcj = [prcoords.wgs_gcj((la, lo)) for lo, la in zip(lon, lat, strict=True)]
    site = Polygon([(c.lon, c.lat) for c in gcj])
    gpd.GeoDataFrame({"site_id": ["A1"]}, geometry=[site], crs=4326).to_file(
        inp / "amap.geojson", driver="GeoJSON"
    )
    cfg = _screen_cfg(inp, layers, [{"layer": "redline", "rule": "exclude"}])
    args = ["screen", inp / "amap.geojson", "-c", cfg, "-r", "pv", "--sites-crs", "GCJ-02"]
    return Built([*args, "--csv", out / "result.csv"], root, outputs=("result.csv",))


def _check_gcj(b: Built, result) -> None:
    r = _result(b).loc["A1"]
    # converted, the site lies inside the red line: the whole site overlaps it (640 000 m²)
    assert abs(r["redline_overlap_m2"] - 640_000) < 50, r["redline_overlap_m2"]


R, W = "refused", "warned"

CASES = [
    Case(
        "dbf-ldid-0x57-gbk",
        "convert",
        "GBK DBF with code-page byte 0x57 (ArcGIS on Chinese Windows), no .cpg: detected",
        W,
        "0x57",
        _convert_shp(lambda inp: gbk_shapefile(inp / "red.shp", _TEXTS, ldid=0x57)),
        _check_dlmc,
    ),
    Case(
        "cpg-unknown-code-page",
        "convert",
        ".cpg naming the unknown code page FOOBAR-99 over GBK text: detected",
        W,
        "FOOBAR-99",
        _convert_shp(lambda inp: gbk_shapefile(inp / "red.shp", _TEXTS, cpg="FOOBAR-99")),
        _check_dlmc,
    ),
    Case(
        "cpg-utf8-over-gbk",
        "convert",
        ".cpg saying UTF-8 over GBK text: detected",
        W,
        "not valid UTF-8",
        _convert_shp(lambda inp: gbk_shapefile(inp / "red.shp", _TEXTS, cpg="UTF-8")),
        _check_dlmc,
    ),
    Case(
        "cpg-1252-over-gbk",
        "convert",
        ".cpg saying 1252 (decodes anything) over Chinese GBK text: detected",
        W,
        "CP1252 would garble",
        _convert_shp(lambda inp: gbk_shapefile(inp / "red.shp", _TEXTS, cpg="1252")),
        _check_dlmc,
    ),
    Case(
        "xian80-layer-no-transform",
        "controls",
        "a Xian 1980 layer (ESRI .prj) with a CGCS2000 working CRS and no transform",
        R,
        "Xian 1980",
        _xian_controls(False),
    ),
    Case(
        "xian80-layer-with-transform",
        "controls",
        "the same layer with layers.<name>.transform (7 parameters): moved by them, said so",
        W,
        "datum changed from Xian 1980 to CGCS2000",
        _xian_controls(True),
        _check_xian_conflict,
    ),
    Case(
        "xian80-shp-to-txt",
        "convert",
        "Xian 1980 shapefile written as a CGCS2000 TXT without --transform",
        R,
        "--transform",
        lambda root, fx: Built(
            ["convert", xian80_shapefile(_dirs(root)[0] / "x.shp"), root / "out" / "out.txt"],
            root,
        ),
    ),
    Case(
        "txt-xian80-with-params",
        "convert",
        "Xian 1980 TXT whose 转换参数 holds 7 parameters: converted to CGCS2000, said so",
        W,
        "转换参数",
        _txt_convert(_xian_txt(HELMERT_TEXT)),
        _check_xian_txt,
    ),
    Case(
        "txt-xian80-zero-params",
        "convert",
        "Xian 1980 TXT whose 转换参数 are all 0 (a placeholder, not parameters)",
        R,
        "every parameter is 0",
        _txt_convert(_xian_txt("0,0,0,0,0,0,0")),
    ),
    Case(
        "crs-in-feet",
        "config check",
        "crs: EPSG:2263 (US survey feet): areas would be 10.76 times too large",
        R,
        "US survey foot",
        _config_text(
            "name: t\ncrs: EPSG:2263\nlayers:\n  redline: {path: red.gpkg, role: control}\n"
        ),
    ),
    Case(
        "transform-wrong-count",
        "config check",
        "layers.<name>.transform with 5 numbers",
        R,
        "5 numbers given",
        _config_text(
            "name: t\nlayers:\n  redline: {path: red.gpkg, role: control, "
            "transform: [1, 2, 3, 4, 5]}\n"
        ),
    ),
    Case(
        "sites-outside-study-area",
        "screen",
        "a site half outside the boundary layer and one 2 000 km away: unknown, share named",
        "ok",
        "",
        _outside_screen(True),
        _check_outside(True),
    ),
    Case(
        "sites-outside-data-extent",
        "screen",
        "no boundary layer: a site 2 000 km from every layer is unknown",
        "ok",
        "",
        _outside_screen(False),
        _check_outside(False),
    ),
    Case(
        "dem-srtm-4326",
        "screen",
        "DEM in EPSG:4326 (1″ pixels, as SRTM): warped to the working CRS for the slope",
        "ok",
        "",
        _dem_screen(_dem_4326, max_deg=15),
        _check_slope(5.0, "pass"),
    ),
    Case(
        "dem-web-mercator",
        "screen",
        "DEM in EPSG:3857 with an 18° slope (13.4° if read as metres): fails 15°",
        "ok",
        "",
        _dem_screen(_dem_3857, max_deg=15),
        _check_slope(18.0, "fail"),
    ),
    Case(
        "dem-huge-site",
        "screen",
        "a 28 km site on a 1 m DEM (7.8e8 pixels): read on coarser pixels, bounded memory",
        W,
        "coarser pixels",
        _big_site_screen,
        _check_slope(5.71, "pass"),
    ),
    Case(
        "sites-gcj02",
        "screen",
        "sites drawn on Amap (GCJ-02), --sites-crs GCJ-02: converted, said so",
        W,
        "GCJ-02",
        _gcj_sites,
        _check_gcj,
    ),
    Case(
        "txt-area-in-m2",
        "convert",
        "TXT whose area column holds m² (10000 for 1 ha): said once, recorded as m²",
        W,
        "m²",
        _txt_convert(txt_text(TXT_M2)),
        _check_m2,
    ),
    Case(
        "txt-write-two-zones",
        "convert",
        "sites in zones 38 and 39 written as TXT: one file per zone",
        "ok",
        "",
        _two_zone_sites,
        _check_two_zones,
    ),
    Case(
        "wide-study-area",
        "screen",
        "crs: auto over a 29° wide admin layer: warned, zone named",
        W,
        "more than one 3-degree zone",
        _wide,
        _check_wide,
    ),
    Case(
        "prj-of-another-file",
        "layers check",
        "a geographic .prj over metre coordinates in crs: auto: the layer and cause named",
        R,
        "the .prj probably belongs to another file",
        _prj_of_another_file,
    ),
    Case(
        "vertex-at-1e300",
        "controls",
        "one vertex at x = 1e300 in EPSG:4547: refused, feature named",
        R,
        "feature(s) R9",
        _far_vertex,
    ),
]

# areas a TXT's 1 ha square is checked against, for readers of the cases
assert abs(MU * 15 - 10_000) < 1e-9

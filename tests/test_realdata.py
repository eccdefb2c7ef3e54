"""Real delivered data, read right (issue 14; items 8, 10, 11, 12 of issue 18), through the CLI.

The fixtures are built in code (tests/bad_inputs/cases_realdata.py); the real public files of
../shared/data (the Inner Mongolia district layer and the banner's outline, GCJ-02) are used
where the issue names them. Reference numbers come from other tools: PROJ pipelines written
out here, ``gdalwarp`` + ``gdaldem slope``, prcoords' forward GCJ-02 formula, pyproj's Geod.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import bad_inputs.cases  # noqa: F401  (loads the corpus, cases_realdata with it)
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from bad_inputs.cases_realdata import (
    HELMERT,
    HELMERT_TEXT,
    TXT_M2,
    big_dem_vrt,
    gbk_shapefile,
    plane_dem,
    txt_text,
    xian80_shapefile,
)
from click.testing import CliRunner
from pyproj import CRS, Geod, Transformer
from shapely.geometry import Polygon, box

from ecogis.cli import cli

from conftest import shared_data

X0, Y0 = 500_000.0, 4_700_000.0
REPO = Path(__file__).resolve().parents[1]


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def errors(r) -> list[str]:
    return [ln for ln in r.stderr.splitlines() if ln.startswith("Error:")]


def warnings_of(r) -> list[str]:
    return [ln for ln in r.stderr.splitlines() if ln.startswith("Warning:")]


def yaml_file(path: Path, data: dict) -> Path:
    import yaml

    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- 1 code pages


@pytest.mark.parametrize(
    ("ldid", "cpg", "said"),
    [
        (0x57, None, "0x57"),  # ArcGIS on a Chinese Windows
        (0x00, None, "no .cpg and no code page"),
        (0x03, None, "CP1252 would garble"),  # the byte says 1252, the text is GBK
        (None, "FOOBAR-99", "FOOBAR-99"),  # issue 18, item 10
        (None, "UTF-8", "not valid UTF-8"),
    ],
)
def test_gbk_text_under_a_code_page_that_cannot_be_right_is_detected(tmp_path, ldid, cpg, said):
    texts = ["面", "沙地", "Ⅰ级保护林地"]
    src = gbk_shapefile(tmp_path / "dltb.shp", texts, ldid=ldid, cpg=cpg)
    r = run("convert", src, tmp_path / "out.gpkg")
    assert r.exit_code == 0, r.output
    assert gpd.read_file(tmp_path / "out.gpkg")["DLMC"].tolist() == texts
    warned = [w for w in warnings_of(r) if said in w]
    assert len(warned) == 1 and "GB18030 (detected)" in warned[0], r.stderr


def test_a_right_declaration_is_used_quietly(tmp_path):
    src = gbk_shapefile(tmp_path / "dltb.shp", ["面"], cpg="936")
    r = run("convert", src, tmp_path / "out.gpkg")
    assert r.exit_code == 0 and not warnings_of(r), r.output
    assert gpd.read_file(tmp_path / "out.gpkg")["DLMC"].tolist() == ["面"]


# --------------------------------------------------------------------------- 2 datums


def _xian_pipeline(dst_lon0: float = 114.0) -> Transformer:
    """Xian 1980 GK CM 114E -> CGCS2000 GK, with HELMERT written out as a PROJ pipeline."""
    dx, dy, dz, rx, ry, rz, ds = HELMERT
    return Transformer.from_pipeline(
        "+proj=pipeline +step +inv +proj=tmerc +lon_0=114 +x_0=500000 +a=6378140 +rf=298.257 "
        "+step +proj=cart +a=6378140 +rf=298.257 "
        f"+step +proj=helmert +x={dx} +y={dy} +z={dz} +rx={rx} +ry={ry} +rz={rz} +s={ds} "
        "+convention=position_vector +step +inv +proj=cart +ellps=GRS80 "
        f"+step +proj=tmerc +lon_0={dst_lon0} +x_0=500000 +ellps=GRS80"
    )


def _corners(geom) -> np.ndarray:
    """A polygon's vertices in a canonical order (writers may reverse or rotate rings)."""
    return shapely.get_coordinates(shapely.normalize(geom))


def test_datum_change_only_with_the_parameters_named(tmp_path):
    src = xian80_shapefile(tmp_path / "old.shp")
    # refused, naming the layer, the datum and how to give the parameters
    r = run("convert", src, tmp_path / "a.gpkg", "--to-crs", "EPSG:4547")
    assert r.exit_code == 2
    (err,) = errors(r)
    assert "old.shp" in err and "Xian 1980" in err and "--transform" in err
    assert "ballpark" in err
    assert not (tmp_path / "a.gpkg").exists()
    # the same as a TXT labelled 2000国家大地坐标系: refused as well
    r = run("convert", src, tmp_path / "a.txt")
    assert r.exit_code == 2 and "Xian 1980" in errors(r)[0]
    # with the 7 parameters: moved by exactly them (PROJ pipeline written out above)
    r = run(
        "convert", src, tmp_path / "b.gpkg", "--to-crs", "EPSG:4547", "--transform", HELMERT_TEXT
    )
    assert r.exit_code == 0, r.output
    assert any("datum changed from Xian 1980 to CGCS2000" in w for w in warnings_of(r))
    got = _corners(gpd.read_file(tmp_path / "b.gpkg").geometry.iloc[0])
    ring = np.array(box(X0, Y0, X0 + 1000, Y0 + 1000).exterior.coords)
    want = _corners(Polygon(np.column_stack(_xian_pipeline().transform(ring[:, 0], ring[:, 1]))))
    assert np.abs(got - want).max() < 1e-6
    # ... which is far from PROJ's ballpark answer (the numbers kept, the ellipsoid swapped)
    ballpark = np.column_stack(
        Transformer.from_crs(2383, 4547, always_xy=True).transform(ring[:, 0], ring[:, 1])
    )
    assert np.abs(got - ballpark).max() > 50


def test_four_planar_parameters_follow_the_surveying_formula(tmp_path):
    src = xian80_shapefile(tmp_path / "old.shp")
    dx, dy, rot, ppm = 12.5, -80.25, 3.6, 4.0  # ΔX north, ΔY east (m), ″, ppm
    r = run(
        "convert", src, tmp_path / "p.gpkg", "--to-crs", "EPSG:4547",
        "--transform", f"{dx},{dy},{rot},{ppm}",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    got = _corners(gpd.read_file(tmp_path / "p.gpkg").geometry.iloc[0])
    ring = np.array(box(X0, Y0, X0 + 1000, Y0 + 1000).exterior.coords)
    # X' = ΔX + (1+m)(X cos a - Y sin a), Y' = ΔY + (1+m)(X sin a + Y cos a), X north, Y east
    a, k = math.radians(rot / 3600), 1 + ppm * 1e-6
    north, east = ring[:, 1], ring[:, 0]
    n2 = dx + k * (north * math.cos(a) - east * math.sin(a))
    e2 = dy + k * (north * math.sin(a) + east * math.cos(a))
    assert np.abs(got - _corners(Polygon(np.column_stack([e2, n2])))).max() < 1e-6


def test_config_transform_as_parameters_or_pipeline(tmp_path):
    """layers.<name>.transform: 7 numbers or the same as a PROJ pipeline give one answer."""
    xian80_shapefile(tmp_path / "red.shp")
    gpd.GeoDataFrame(
        {"YJJBNTTBBH": ["F1"]}, geometry=[box(X0 + 500, Y0, X0 + 1500, Y0 + 1000)], crs=4547
    ).to_file(tmp_path / "farm.gpkg")
    dx, dy, dz, rx, ry, rz, ds = HELMERT
    pipeline = (
        "+proj=pipeline +step +proj=cart +a=6378140 +rf=298.257 "
        f"+step +proj=helmert +x={dx} +y={dy} +z={dz} +rx={rx} +ry={ry} +rz={rz} +s={ds} "
        "+convention=position_vector +step +inv +proj=cart +ellps=GRS80"
    )
    areas = {}
    for how, transform in (("params", list(HELMERT)), ("pipeline", pipeline)):
        cfg = yaml_file(
            tmp_path / f"{how}.yaml",
            {
                "name": "t",
                "layers": {
                    "redline": {"path": "red.shp", "role": "control", "transform": transform},
                    "farmland": {"path": "farm.gpkg", "role": "control"},
                },
                "control_lines": ["redline", "farmland"],
            },
        )
        out = tmp_path / f"{how}.csv"
        r = run("controls", "-c", cfg, "--summary", out)
        assert r.exit_code == 0, r.output
        assert any("layers.redline.transform" in w for w in warnings_of(r)), r.stderr
        df = pd.read_csv(out, encoding="utf-8-sig")
        areas[how] = float(df.loc[df["layer_a"] == "all", "area_m2"].sum())
    ring = np.array(box(X0, Y0, X0 + 1000, Y0 + 1000).exterior.coords)
    moved = Polygon(np.column_stack(_xian_pipeline().transform(ring[:, 0], ring[:, 1])))
    expected = moved.intersection(box(X0 + 500, Y0, X0 + 1500, Y0 + 1000)).area
    assert areas["params"] == pytest.approx(expected, abs=0.01)
    assert areas["pipeline"] == pytest.approx(expected, abs=0.01)


def test_xian80_txt_with_its_parameters_and_a_bad_config_transform(tmp_path):
    parcels = TXT_M2.replace("10000.00", "1.0000").replace("20000.00", "2.0000")
    src = tmp_path / "xian.txt"
    src.write_bytes(txt_text(parcels, datum="西安80坐标系", params=HELMERT_TEXT).encode("gbk"))
    r = run("convert", src, tmp_path / "x.gpkg")
    assert r.exit_code == 0, r.output
    assert any("转换参数 of" in w and "Xian 1980" in w for w in warnings_of(r))
    got = gpd.read_file(tmp_path / "x.gpkg")
    assert got.crs.to_epsg() == 4526
    # 38 512 000 / 4 681 000 in Xian 1980 zone 38 prefixed -> CGCS2000 zone 38 prefixed
    tr = Transformer.from_pipeline(
        "+proj=pipeline +step +inv +proj=tmerc +lon_0=114 +x_0=38500000 +a=6378140 +rf=298.257 "
        "+step +proj=cart +a=6378140 +rf=298.257 +step +proj=helmert "
        + " ".join(
            f"+{k}={v}"
            for k, v in zip(("x", "y", "z", "rx", "ry", "rz", "s"), HELMERT, strict=True)
        )
        + " +convention=position_vector +step +inv +proj=cart +ellps=GRS80 "
        "+step +proj=tmerc +lon_0=114 +x_0=38500000 +ellps=GRS80"
    )
    e, n = tr.transform(38_512_000.0, 4_681_000.0)
    assert got.geometry.iloc[0].exterior.coords[0] == pytest.approx((e, n), abs=1e-6)
    # without parameters it is refused, naming the EPSG code the header describes
    src.write_bytes(txt_text(parcels, datum="西安80坐标系").encode("gbk"))
    r = run("convert", src, tmp_path / "y.gpkg")
    assert r.exit_code == 2 and "EPSG:2362" in errors(r)[0] and "转换参数" in errors(r)[0]
    # a transform the config cannot use is named with its key path
    cfg = yaml_file(
        tmp_path / "bad.yaml",
        {"name": "t", "layers": {"r": {"path": "x.gpkg", "role": "control", "transform": "1,2"}}},
    )
    r = run("config", "check", "-c", cfg)
    assert r.exit_code == 2 and "layers.r.transform: 2 numbers given" in r.stderr


# --------------------------------------------------------------------------- 3 feet


def test_working_crs_in_feet_refused(tmp_path, gk_squares):
    a, b = gk_squares
    a.to_file(tmp_path / "a.gpkg")
    b.to_file(tmp_path / "b.gpkg")
    cfg = yaml_file(
        tmp_path / "p.yaml",
        {
            "name": "t",
            "crs": "EPSG:2263",  # NAD83 / New York Long Island (ftUS)
            "layers": {
                "a": {"path": "a.gpkg", "role": "control"},
                "b": {"path": "b.gpkg", "role": "control"},
            },
            "control_lines": ["a", "b"],
        },
    )
    for args in (("config", "check", "-c", cfg), ("controls", "-c", cfg)):
        r = run(*args)
        assert r.exit_code == 2, r.output
        assert "US survey foot" in errors(r)[0] and "not metres" in errors(r)[0]


# --------------------------------------------------------------------------- 4 coverage


def test_sites_outside_the_study_area_are_unknown(tmp_path):
    box_ = box(X0 - 5000, Y0 - 5000, X0 + 5000, Y0 + 5000)
    gpd.GeoDataFrame({"n": ["旗界"]}, geometry=[box_], crs=4547).to_file(tmp_path / "b.gpkg")
    gpd.GeoDataFrame(
        {"BSM": ["R1"]}, geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000)], crs=4547
    ).to_file(tmp_path / "red.gpkg")
    gpd.GeoDataFrame(
        {"site_id": ["IN", "RED", "HALF", "FAR"]},
        geometry=[
            box(X0 + 2000, Y0, X0 + 3000, Y0 + 1000),
            box(X0 + 100, Y0 + 100, X0 + 900, Y0 + 900),
            box(X0 + 4500, Y0, X0 + 5500, Y0 + 1000),
            box(X0, Y0 - 2_000_000, X0 + 1000, Y0 - 1_999_000),
        ],
        crs=4547,
    ).to_file(tmp_path / "sites.gpkg")
    cfg = yaml_file(
        tmp_path / "p.yaml",
        {
            "name": "t",
            "crs": "EPSG:4547",
            "layers": {
                "boundary": {"path": "b.gpkg", "role": "boundary", "label": "旗界"},
                "redline": {"path": "red.gpkg", "role": "control", "label": "生态保护红线"},
                "sand": {"path": "b.gpkg", "role": "zone", "label": "沙地"},
            },
            "rulesets": {
                "pv": {
                    "min_eligible_mu": 300,
                    "checks": [
                        {"layer": "redline", "rule": "exclude"},
                        {"layer": "sand", "rule": "require", "min_share": 0.6},
                    ],
                }
            },
        },
    )
    r = run("screen", tmp_path / "sites.gpkg", "-c", cfg, "-r", "pv", "--csv", tmp_path / "o.csv")
    assert r.exit_code == 0, r.output
    df = pd.read_csv(tmp_path / "o.csv", encoding="utf-8-sig").set_index("site_id")
    # FAR is 2 000 km from every layer: its require check fails on no data, which is undecided
    assert df["verdict"].to_dict() == {
        "IN": "pass",
        "RED": "fail",
        "HALF": "unknown",
        "FAR": "unknown",
    }
    assert df["study_area_outside"].round(9).to_dict() == {"IN": 0, "RED": 0, "HALF": 0.5, "FAR": 1}
    assert df.loc["FAR", "failed_checks"].startswith("outside:study_area")
    assert df.loc["HALF", "reasons"].startswith(
        "50.0% of the site lies outside the study area (旗界)"
    )


# --------------------------------------------------------------------------- 5 / 18.11 DEMs


@pytest.fixture(scope="module")
def demo_dems(demo, tmp_path_factory):
    """A piece of the demo DEM under three demo sites (one steep), and the same DEM as it comes
    from download sites: EPSG:4326 at 1″ and EPSG:3857 at 30 m (gdalwarp, bilinear)."""
    if shutil.which("gdalwarp") is None:
        pytest.fail("gdal-bin is needed (tests/run.sh installs it)")
    d = tmp_path_factory.mktemp("dems")
    sites = gpd.read_file(demo.layers["sites"])
    sites = sites[sites["site_id"].isin(["PV-01", "PV-08", "PV-12"])].reset_index(drop=True)
    sites.to_file(d / "sites.gpkg")
    minx, miny, maxx, maxy = sites.total_bounds
    subprocess.run(
        ["gdal_translate", "-q", "-projwin", str(minx - 3000), str(maxy + 3000),
         str(maxx + 3000), str(miny - 3000), str(demo.layers["dem"]), str(d / "dem4547.tif")],
        check=True,
    )  # fmt: skip
    for name, crs, res in (("dem4326", "EPSG:4326", 1 / 3600), ("dem3857", "EPSG:3857", 30)):
        subprocess.run(
            ["gdalwarp", "-q", "-t_srs", crs, "-tr", repr(res), repr(res), "-r", "bilinear",
             str(d / "dem4547.tif"), str(d / f"{name}.tif")],
            check=True,
        )  # fmt: skip
    return d, sites


def _screen_slope(folder: Path, dem: str, out: Path):
    """Screen the sites with a slope check on ``dem``; the sites layer of the GeoPackage
    written (full precision: the CSV rounds degrees to 0.01)."""
    cfg = yaml_file(
        folder / f"{dem}.yaml",
        {
            "name": "t",
            "crs": "EPSG:4547",
            "layers": {"dem": {"path": f"{dem}.tif", "role": "raster"}},
            "rulesets": {"pv": {"checks": [{"raster": "dem", "rule": "slope_max", "max_deg": 15}]}},
        },
    )
    r = run("screen", folder / "sites.gpkg", "-c", cfg, "-r", "pv", "-o", out.with_suffix(".gpkg"))
    assert r.exit_code == 0, r.output
    return gpd.read_file(out.with_suffix(".gpkg"), layer="sites").set_index("site_id")


@pytest.mark.parametrize("dem", ["dem4326", "dem3857"])
def test_slope_of_a_dem_in_degrees_or_web_mercator_equals_gdaldem_on_the_warped_dem(
    demo_dems, dem, tmp_path
):
    folder, sites = demo_dems
    got = _screen_slope(folder, dem, tmp_path / "o.csv")
    # the reference: the DEM warped to the working CRS with gdalwarp on ecogis' grid (square
    # pixels of the DEM's own size, anchored at 0, plain bilinear, exact transformer), and
    # gdaldem's Horn slope of it, averaged over the pixel centres inside each site
    from ecogis.raster import warp_resolution

    with rasterio.open(folder / f"{dem}.tif") as ds:
        res = warp_resolution(ds, "EPSG:4547")
    warped, slope = tmp_path / "w.tif", tmp_path / "s.tif"
    subprocess.run(
        ["gdalwarp", "-q", "-t_srs", "EPSG:4547", "-tr", repr(res), repr(res), "-tap", "-r",
         "bilinear", "-et", "0", "-wo", "XSCALE=1", "-wo", "YSCALE=1", "-ot", "Float64",
         str(folder / f"{dem}.tif"), str(warped)],
        check=True,
    )  # fmt: skip
    subprocess.run(["gdaldem", "slope", "-q", str(warped), str(slope)], check=True)
    from rasterio.features import geometry_mask

    with rasterio.open(slope) as s:
        z = s.read(1, masked=True)
        for _, site in sites.iterrows():
            inside = geometry_mask([site.geometry], z.shape, s.transform, invert=True)
            values = z[inside].compressed()
            row = got.loc[site["site_id"]]
            assert row["slope_mean_deg"] == pytest.approx(values.mean(), abs=1e-3)
            assert row["slope_max_deg"] == pytest.approx(values.max(), abs=1e-3)
    # the steep site keeps its slope whatever the DEM's CRS (13.45° on the native DEM)
    native = _screen_slope(folder, "dem4547", tmp_path / "n.csv")
    assert abs(got.loc["PV-08", "slope_mean_deg"] - native.loc["PV-08", "slope_mean_deg"]) < 0.2


def test_web_mercator_dem_no_longer_hides_a_steep_site(tmp_path):
    from bad_inputs.cases_realdata import warped_dem

    plane_dem(tmp_path / "plane.tif", slope_deg=18.0)
    warped_dem(tmp_path / "plane.tif", tmp_path / "dem3857.tif", "EPSG:3857", 30.0)
    gpd.GeoDataFrame(
        {"site_id": ["S1"]}, geometry=[box(X0 + 500, Y0 + 500, X0 + 1500, Y0 + 1500)], crs=4547
    ).to_file(tmp_path / "sites.gpkg")
    got = _screen_slope(tmp_path, "dem3857", tmp_path / "o.csv")
    assert got.loc["S1", "verdict"] == "fail"
    assert got.loc["S1", "slope_mean_deg"] == pytest.approx(18.0, abs=0.02)  # not 13.4°


# --------------------------------------------------------------------------- 18.12 memory


def _peak_rss_mb(args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess, float]:
    """Run ``ecogis ARGS`` in a child with 2 GiB of address space; its peak RSS in MB."""
    import resource

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    code = (
        "import resource, sys\n"
        "from ecogis.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "finally:\n"
        "    sys.stderr.write('RSS=%d\\n' % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO), ECOGIS_LANG="en")
    p = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=limit,
        timeout=300,
    )
    rss = [ln for ln in p.stderr.splitlines() if ln.startswith("RSS=")]
    return p, int(rss[-1][4:]) / 1024 if rss else float("nan")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("pixel", "site_m"),
    [(1.0, 28_000.0), (0.01, 300.0)],  # a 28 km site on a 1 m DEM; 1 cm pixels under a site
)
def test_huge_dem_windows_stay_within_bounded_memory(tmp_path, pixel, site_m):
    vrt = big_dem_vrt(tmp_path, pixel=pixel, size_m=30_000.0 if pixel == 1 else 4_000.0)
    cfg = yaml_file(
        tmp_path / "p.yaml",
        {
            "name": "t",
            "crs": "EPSG:4547",
            "layers": {"dem": {"path": vrt.name, "role": "raster"}},
            "rulesets": {"pv": {"checks": [{"raster": "dem", "rule": "slope_max", "max_deg": 15}]}},
        },
    )
    sizes = {"big": site_m, "small": max(50 * pixel, 2.0)}  # more than the 1 m² sliver size
    rss = {}
    for name, size in sizes.items():
        gpd.GeoDataFrame(
            {"site_id": [name]},
            geometry=[box(X0 + 1000, Y0 - 1000 - size, X0 + 1000 + size, Y0 - 1000)],
            crs=4547,
        ).to_file(tmp_path / f"{name}.gpkg")
        out = tmp_path / f"{name}.csv"
        p, rss[name] = _peak_rss_mb(
            [
                "screen",
                str(tmp_path / f"{name}.gpkg"),
                "-c",
                str(cfg),
                "-r",
                "pv",
                "--csv",
                str(out),
            ],
            tmp_path,
        )
        assert p.returncode == 0, p.stderr[-2000:]
        row = pd.read_csv(out, encoding="utf-8-sig").iloc[0]
        assert row["verdict"] == "pass"
        assert row["slope_mean_deg"] == pytest.approx(math.degrees(math.atan(0.1)), abs=0.05)
        if name == "big":
            assert "read on coarser pixels" in p.stderr, p.stderr
    # the site itself costs at most 256 MB above what a tiny site needs
    assert rss["big"] - rss["small"] < 256, rss


# --------------------------------------------------------------------------- 6 GCJ-02


def test_gcj02_outline_converted_with_a_note(tmp_path):
    import prcoords

    src = shared_data("admin_boundaries", "zhengxiangbai_152529.geojson")
    r = run("convert", src, tmp_path / "outline.gpkg", "--crs", "GCJ-02")
    assert r.exit_code == 0, r.output
    assert any("GCJ-02" in w and "prcoords" in w for w in warnings_of(r))
    assert "note: web-map coordinates (GCJ-02) were converted" in r.stdout
    got = gpd.read_file(tmp_path / "outline.gpkg")
    assert got.crs.to_epsg() == 4326
    published = gpd.read_file(src)
    a = shapely.get_coordinates(got.geometry.values)
    b = shapely.get_coordinates(published.geometry.values)
    # prcoords' forward formula (WGS 84 -> GCJ-02) gives back the published numbers
    fwd = np.array([[c.lon, c.lat] for c in (prcoords.wgs_gcj((la, lo)) for lo, la in a)])
    assert np.abs(fwd - b).max() < 1e-6
    # the obfuscation moved the banner by hundreds of metres
    a_c, b_c = gpd.GeoSeries(
        [got.union_all().centroid, published.union_all().centroid], crs=4326
    ).to_crs(4547)
    assert 300 < a_c.distance(b_c) < 900, a_c.distance(b_c)


# --------------------------------------------------------------------------- 7 TXT round trip


def test_txt_round_trip_keeps_everything_both_ways(tmp_path):
    variant = TXT_M2.replace("10000.00", "1.0000").replace("20000.00", "2.0000")
    # a province variant: two leading columns and an extra attribute column (备注)
    variant = variant.replace(
        "4,2.0000,DK02,二号地块,面,,林地,0301,@",
        "1,152529,4,2.0000,DK02,二号地块,面,,林地,0301,备注,@",
    )
    src = tmp_path / "in.txt"
    src.write_bytes(txt_text(variant).encode("gbk"))
    for via in ("gpkg", "shp"):
        mid = tmp_path / f"mid.{via}"
        assert run("convert", src, mid).exit_code == 0
        out = tmp_path / f"back_{via}.txt"
        r = run("convert", mid, out)
        assert r.exit_code == 0, r.output
        lines = out.read_bytes().decode("gbk").splitlines()
        body = lines[lines.index("[地块坐标]") + 1 :]
        assert body[0] == "5,1.0000,DK01,光伏治沙一号地块,面,K50G001001,光伏用地,1205,@"
        assert body[1:6] == [
            "J01,1,4681000.000,38512000.000,100.00",
            "J02,1,4681100.000,38512000.000,100.00",
            "J03,1,4681100.000,38512100.000,100.00",
            "J04,1,4681000.000,38512100.000,100.00",
            "J01,1,4681000.000,38512000.000",
        ]
        assert body[6] == "1,152529,4,2.0000,DK02,二号地块,面,,林地,0301,备注,@"
        # the triangle's point names follow their coordinates (a shapefile reverses the ring)
        named = {ln.split(",")[0]: tuple(ln.split(",")[2:4]) for ln in body[7:11]}
        assert named == {
            "1": ("4682000.000", "38513000.000"),
            "2": ("4682000.000", "38513200.000"),
            "3": ("4682200.000", "38513000.000"),
        }


def test_gis_to_txt_takes_the_standard_field_names_and_id_field(tmp_path):
    gpd.GeoDataFrame(
        {
            "site_id": ["S7"],
            "DKBH": ["DK7"],
            "DKMC": ["七号地块"],
            "DKYT": ["光伏用地"],
            "TFH": ["K50G002002"],
            "DLBM": ["1205"],
        },
        geometry=[box(38_512_000, 4_681_000, 38_512_100, 4_681_100)],
        crs=4526,
    ).to_file(tmp_path / "sites.gpkg")
    r = run("convert", tmp_path / "sites.gpkg", tmp_path / "a.txt")
    assert r.exit_code == 0, r.output
    assert "5,1.0000,DK7,七号地块,面,K50G002002,光伏用地,1205,@" in (
        tmp_path / "a.txt"
    ).read_bytes().decode("gbk")
    r = run("convert", tmp_path / "sites.gpkg", tmp_path / "b.txt", "--id-field", "site_id")
    assert r.exit_code == 0, r.output
    assert ",S7,七号地块," in (tmp_path / "b.txt").read_bytes().decode("gbk")
    r = run("convert", tmp_path / "sites.gpkg", tmp_path / "c.txt", "--id-field", "nope")
    assert r.exit_code == 2 and "'nope' is not a column" in errors(r)[0]


def test_txt_output_per_zone_and_six_degree_zones(tmp_path):
    gpd.GeoDataFrame(
        {"parcel_id": ["W1", "E1"]},
        geometry=[box(114.50, 42.50, 114.51, 42.51), box(115.70, 42.50, 115.71, 42.51)],
        crs=4490,
    ).to_file(tmp_path / "p.gpkg")
    r = run("convert", tmp_path / "p.gpkg", tmp_path / "out.txt")
    assert r.exit_code == 0, r.output
    assert not (tmp_path / "out.txt").exists()
    for name, zone, pid in (("out_zone38.txt", 38, "W1"), ("out_zone39.txt", 39, "E1")):
        back = run("convert", tmp_path / name, tmp_path / f"{zone}.gpkg")
        assert back.exit_code == 0, back.output
        g = gpd.read_file(tmp_path / f"{zone}.gpkg")
        assert g["parcel_id"].tolist() == [pid] and g.crs.to_epsg() == 4488 + zone
    # both in one 6-degree zone (20, CM 117°E): one file, readable back in EPSG:4498
    r = run("convert", tmp_path / "p.gpkg", tmp_path / "six.txt", "--zone-width", "6")
    assert r.exit_code == 0, r.output
    text = (tmp_path / "six.txt").read_bytes().decode("gbk")
    assert "几度分带=6" in text and "带号=20" in text
    assert run("convert", tmp_path / "six.txt", tmp_path / "six.gpkg").exit_code == 0
    six = gpd.read_file(tmp_path / "six.gpkg")
    assert six.crs.to_epsg() == 4498 and six["parcel_id"].tolist() == ["W1", "E1"]
    ref = gpd.read_file(tmp_path / "p.gpkg").to_crs(4498)
    assert six.geometry.iloc[1].symmetric_difference(ref.geometry.iloc[1]).area < 1.0
    r = run("convert", tmp_path / "p.gpkg", tmp_path / "z.txt", "--zone-width", "6", "--zone", "38")
    assert r.exit_code == 2 and "6-degree zone 38" in errors(r)[0]


# --------------------------------------------------------------------------- 8 m² areas


def test_area_column_in_square_metres_said_once(tmp_path):
    src = tmp_path / "m2.txt"
    src.write_bytes(txt_text(TXT_M2).encode("gbk"))
    r = run("convert", src, tmp_path / "o.gpkg")
    assert r.exit_code == 0, r.output
    said = [w for w in warnings_of(r) if "m²" in w]
    assert len(said) == 1 and "DK01" in said[0] and "DK02" in said[0], r.stderr
    assert "%" not in said[0]  # no "+999886% off"
    g = gpd.read_file(tmp_path / "o.gpkg")
    assert g["area_ha_declared"].tolist() == [1.0, 2.0] and g["area_unit"].tolist() == ["m2", "m2"]


# --------------------------------------------------------------------------- 9 wide study area


def test_crs_auto_over_a_wide_layer_warns_and_exact_areas_measure_per_zone(tmp_path):
    districts = shared_data("admin_boundaries", "neimenggu_districts_2020.shp")
    for ext in (".shp", ".shx", ".dbf"):
        shutil.copy(districts.with_suffix(ext), tmp_path / f"nmg{ext}")
    # two sites of about 4 km², on the central meridians of zones 33 (99°E, near the west
    # edge) and 37 (111°E, the working zone)
    sites = gpd.GeoDataFrame(
        {"site_id": ["W", "C"]},
        geometry=[box(98.988, 41.0, 99.012, 41.018), box(110.988, 41.0, 111.012, 41.018)],
        crs=4490,
    )
    sites.to_file(tmp_path / "sites.gpkg")
    cfg = yaml_file(
        tmp_path / "p.yaml",
        {
            "name": "内蒙古",
            "layers": {
                # the published layer has no .prj: lon/lat, declared (GCJ-02 offsets do not
                # matter for choosing a zone)
                "nmg": {
                    "path": "nmg.shp",
                    "role": "admin",
                    "crs": "EPSG:4490",
                    "name_field": "name",
                }
            },
            "rulesets": {"pv": {"checks": [{"layer": "nmg", "rule": "require", "min_share": 0.5}]}},
        },
    )
    out = {}
    for flag in ("", "--exact-areas"):
        args = [
            "screen",
            tmp_path / "sites.gpkg",
            "-c",
            cfg,
            "-r",
            "pv",
            "--csv",
            tmp_path / f"o{flag}.csv",
        ]
        r = run(*args, *([flag] if flag else []))
        assert r.exit_code == 0, r.output
        wide = [w for w in warnings_of(r) if "more than one 3-degree zone" in w]
        assert len(wide) == 1 and "zone 37" in wide[0] and "EPSG:4546" in wide[0], r.stderr
        assert "97.2°E-126.1°E" in wide[0]
        out[flag] = pd.read_csv(tmp_path / f"o{flag}.csv", encoding="utf-8-sig").set_index(
            "site_id"
        )
    geod = Geod(ellps="GRS80")
    true = {
        sid: abs(geod.geometry_area_perimeter(g)[0])
        for sid, g in zip(sites["site_id"], sites.geometry, strict=True)
    }
    plain, exact = out[""]["area_m2"], out["--exact-areas"]["area_m2"]
    assert plain["W"] / true["W"] - 1 > 0.02  # 12° west of zone 37's CM: +2.5 %
    assert plain["C"] == pytest.approx(true["C"], rel=1e-4)
    for sid in ("W", "C"):
        assert exact[sid] == pytest.approx(true[sid], rel=1e-4)


# --------------------------------------------------------------------------- 10 messages


def test_prj_of_another_file_and_missing_prj_named(tmp_path):
    red = gpd.GeoDataFrame({"BSM": ["R1"]}, geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000)], crs=4547)
    red.to_file(tmp_path / "red.shp")
    (tmp_path / "red.prj").write_text(CRS(4490).to_wkt("WKT1_ESRI"), encoding="ascii")
    cfg = yaml_file(
        tmp_path / "p.yaml",
        {"name": "t", "layers": {"redline": {"path": "red.shp", "role": "control"}}},
    )
    r = run("layers", "check", "-c", cfg)
    assert r.exit_code == 2
    (err,) = errors(r)
    assert "layers.redline (red.shp)" in err and "the .prj probably belongs to another file" in err
    assert "zone -" not in err and "outside China" not in err
    (tmp_path / "red.prj").unlink()
    r = run("layers", "check", "-c", cfg)
    assert r.exit_code == 2 and "layer 'redline' has none (red.shp: .prj missing?)" in errors(r)[0]


# --------------------------------------------------------------------------- 18.8 far vertex


@pytest.mark.parametrize("far", [1e300, -1e300, 4.0e7])
def test_a_vertex_far_outside_the_crs_is_refused_naming_the_feature(tmp_path, gk_squares, far):
    a, b = gk_squares
    spike = Polygon([(X0, Y0), (far, Y0 + 500), (X0 + 1000, Y0 + 1000), (X0, Y0 + 1000)])
    a = pd.concat([a, gpd.GeoDataFrame({"BSM": ["A9"]}, geometry=[spike], crs=4547)])
    a.to_file(tmp_path / "a.gpkg")
    b.to_file(tmp_path / "b.gpkg")
    cfg = yaml_file(
        tmp_path / "p.yaml",
        {
            "name": "t",
            "crs": "EPSG:4547",
            "layers": {
                "a": {"path": "a.gpkg", "role": "control", "id_field": "BSM"},
                "b": {"path": "b.gpkg", "role": "control"},
            },
            "control_lines": ["a", "b"],
        },
    )
    r = run("controls", "-c", cfg, "--summary", tmp_path / "s.csv")
    assert r.exit_code == 2, r.output
    (err,) = errors(r)
    assert "feature(s) A9" in err and "EPSG:4547" in err
    assert not (tmp_path / "s.csv").exists()


def test_reading_messages_are_in_chinese(tmp_path, monkeypatch):
    monkeypatch.setenv("ECOGIS_LANG", "zh")
    src = xian80_shapefile(tmp_path / "old.shp")
    r = run("convert", src, tmp_path / "a.gpkg", "--to-crs", "EPSG:4547")
    assert r.exit_code == 2
    assert "需要公布的转换参数" in r.stderr and "近似（ballpark）" in r.stderr
    r = run("convert", "--help")
    assert "把界址点坐标 TXT" in r.output and "几度分带" in r.output

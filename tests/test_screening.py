"""Site screening: ecogis.screening and `ecogis screen`.

The synthetic world (EPSG:4547, built in code) has ten 1000 m x 1000 m candidate sites in
slots 2500 m apart, each planted for one outcome:

=====  ================================================================  ===========
site   what is under it                                                  verdict
=====  ================================================================  ===========
S1     half inside the red line (two overlapping red-line features)      conditional
S2     85 % inside the red line: 225 mu left < 300 mu                    fail
S3     nothing: sandy land, 5.71 degree plane, sand land cover           pass
S4     a water-source zone 300 m east (buffer 500 m cuts 200 m)          conditional
S5     slope 27 degrees                                                  fail
S6     DEM nodata under the whole site                                   unknown
S7     land cover 101 (cultivated land)                                  fail
S8     only 40 % on sandy land                                           fail
S9     a water-source zone 200 m east, outside the study area            conditional
S10    200 m x 200 m: 60 mu < 300 mu                                     fail
=====  ================================================================  ===========
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import rasterio
from click.testing import CliRunner
from rasterio.transform import from_origin
from shapely.geometry import box

from ecogis.cli import cli
from ecogis.config import load_config
from ecogis.errors import CRSError, RuleError
from ecogis.screening import NODATA_MAX_SHARE, RULES, VERDICTS, screen_sites


@pytest.fixture
def zh(english, monkeypatch):
    """Reasons checked in the words county staff read (the Chinese catalogue)."""
    monkeypatch.setenv("ECOGIS_LANG", "zh")


CRS = "EPSG:4547"
X0, Y0 = 500_000.0, 4_700_000.0
SLOT = 2500.0
RES = 10.0
GRADIENT = 0.1  # the DEM is the plane z = 0.1 x outside slot 4


def xs(k: int) -> float:
    return X0 + SLOT * k


EXPECTED = {
    "S1": "conditional",
    "S2": "fail",
    "S3": "pass",
    "S4": "conditional",
    "S5": "fail",
    "S6": "unknown",
    "S7": "fail",
    "S8": "fail",
    "S9": "conditional",
    "S10": "fail",
}

CONFIG = """\
name: screening test
crs: EPSG:4547
layers:
  boundary: {path: boundary.gpkg, role: boundary}
  redline: {path: redline.gpkg, role: control, label: 生态保护红线}
  water_source: {path: water.gpkg, role: control, label: 饮用水水源保护区}
  sandy_land: {path: sandy.gpkg, role: zone, label: 沙地}
  dem: {path: dem.tif, role: raster, label: 数字高程模型}
  landcover: {path: landcover.tif, role: raster, label: 土地覆被}
rulesets:
  pv:
    label: 光伏治沙
    basis: 自然资办发〔2023〕12号
    min_eligible_mu: 300
    checks:
      - {layer: redline, rule: exclude, basis: 自然资发〔2022〕142号}
      - {layer: water_source, rule: exclude, buffer_m: 500}
      - {layer: sandy_land, rule: require, min_share: 0.6}
      - {raster: dem, rule: slope_max, max_deg: 15, max_share: 0.1}
      - {raster: landcover, rule: raster_class, forbidden: [101, 103], max_share: 0.05}
"""


def _gdf(geoms, **cols):
    return gpd.GeoDataFrame(cols, geometry=list(geoms), crs=CRS)


def world_layers() -> dict[str, gpd.GeoDataFrame]:
    sites = [box(xs(k), Y0, xs(k) + 1000, Y0 + 1000) for k in range(9)]
    sites.append(box(xs(9), Y0, xs(9) + 200, Y0 + 200))
    redline = _gdf(
        [
            box(xs(0) + 500, Y0 - 500, xs(0) + 1500, Y0 + 1500),
            # overlaps the first feature: the shared part must be counted once
            box(xs(0) + 500, Y0 - 500, xs(0) + 1200, Y0 + 1500),
            box(xs(1) + 150, Y0 - 500, xs(1) + 1500, Y0 + 1500),
        ],
        BSM=["R1", "R2", "R3"],
    )
    water = _gdf(
        [
            box(xs(3) + 1300, Y0 - 2000, xs(3) + 1800, Y0 + 3000),
            # beyond the study area's east edge
            box(xs(8) + 1200, Y0 - 2000, xs(8) + 1600, Y0 + 3000),
        ],
        name=["W1", "W2"],
    )
    sandy = _gdf(
        [
            box(X0 - 5000, Y0 - 3000, xs(7) + 400, Y0 + 3000),
            box(xs(7) + 2000, Y0 - 3000, xs(10), Y0 + 3000),
        ]
    )
    boundary = _gdf([box(X0 - 1000, Y0 - 1000, xs(8) + 1100, Y0 + 2000)], name=["county"])
    return {
        "sites": _gdf(sites, site_id=list(EXPECTED)),
        "redline": redline,
        "water_source": water,
        "sandy_land": sandy,
        "boundary": boundary,
    }


def grid():
    """Pixel centres of the world rasters (10 m cells)."""
    west, north = X0 - 1000, Y0 + 2000
    width, height = int((xs(10) - west) / RES), int((north - (Y0 - 1000)) / RES)
    cx = west + (np.arange(width) + 0.5) * RES
    cy = north - (np.arange(height) + 0.5) * RES
    return from_origin(west, north, RES, RES), *np.meshgrid(cx, cy)


def write_rasters(folder: Path) -> None:
    transform, x, y = grid()
    z = GRADIENT * (x - X0)
    steep = (x > xs(4) - 700) & (x < xs(4) + 1700)
    z = np.where(steep, z + 0.5 * (y - Y0), z)
    z[(x > xs(5) - 200) & (x < xs(5) + 1200)] = -9999.0
    profile = dict(
        driver="GTiff",
        width=x.shape[1],
        height=x.shape[0],
        count=1,
        crs=CRS,
        transform=transform,
    )
    with rasterio.open(folder / "dem.tif", "w", dtype="float32", nodata=-9999, **profile) as ds:
        ds.write(z.astype("float32"), 1)
    lc = np.full(x.shape, 1205, dtype="int16")
    lc[(x > xs(6) - 200) & (x < xs(6) + 1200)] = 101
    with rasterio.open(folder / "landcover.tif", "w", dtype="int16", nodata=0, **profile) as ds:
        ds.write(lc, 1)


def write_world(folder: Path) -> Path:
    files = {
        "boundary": "boundary.gpkg",
        "redline": "redline.gpkg",
        "water_source": "water.gpkg",
        "sandy_land": "sandy.gpkg",
        "sites": "sites.gpkg",
    }
    for name, gdf in world_layers().items():
        gdf.to_file(folder / files[name], layer=name)
    write_rasters(folder)
    (folder / "config.yaml").write_text(CONFIG, encoding="utf-8")
    return folder / "config.yaml"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("world")
    return write_world(folder)


@pytest.fixture(scope="module")
def screened(world):
    # in Chinese, the words the reason tests check
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ECOGIS_LANG", "zh")
        return _screen_world(world)


def _screen_world(world):
    cfg = load_config(world)
    layers = world_layers()
    sites = layers.pop("sites")
    with (
        rasterio.open(world.parent / "dem.tif") as dem,
        rasterio.open(world.parent / "landcover.tif") as lc,
    ):
        return screen_sites(
            sites,
            cfg.ruleset("pv"),
            layers=layers,
            rasters={"dem": dem, "landcover": lc},
            labels={n: s.title for n, s in cfg.layers.items()},
        )


def row(result, site_id):
    df = result.sites
    return df[df["site_id"] == site_id].iloc[0]


# --------------------------------------------------------------------------- library


def test_every_planted_site_gets_its_verdict(screened):
    got = dict(zip(screened.sites["site_id"], screened.sites["verdict"], strict=True))
    assert got == EXPECTED
    assert screened.counts() == {"pass": 1, "conditional": 3, "unknown": 1, "fail": 5}


def test_half_inside_red_line_overlap_750_mu_counted_once(screened):
    r = row(screened, "S1")
    assert r["redline_overlap_m2"] == pytest.approx(500_000, rel=1e-9)
    assert r["redline_overlap_mu"] == pytest.approx(750, rel=1e-9)
    assert r["eligible_m2"] == pytest.approx(500_000, rel=1e-9)
    assert r["eligible_mu"] == pytest.approx(750, rel=1e-9)
    assert r["area_mu"] == pytest.approx(1500, rel=1e-12)
    assert r["verdict"] == "conditional"
    assert r["reasons"] == (
        "与生态保护红线重叠 750.0 亩（占 50.0%），需从地块中核减，依据：自然资发〔2022〕142号"
    )
    assert r["failed_checks"] == "exclude:redline"
    # the eligible layer holds the western half
    el = screened.eligible[screened.eligible["site_id"] == "S1"].geometry.iloc[0]
    assert el.equals(box(xs(0), Y0, xs(0) + 500, Y0 + 1000))


def test_eligible_rest_below_minimum_fails(screened):
    r = row(screened, "S2")
    assert r["eligible_m2"] == pytest.approx(150_000, rel=1e-9)
    assert r["verdict"] == "fail"
    # the deciding reason first
    assert r["failed_checks"] == "min_eligible,exclude:redline"
    assert r["reasons"].startswith(
        "剔除禁止区域后可用面积 225.0 亩，少于最低要求 300 亩，依据：自然资办发〔2023〕12号；"
        "与生态保护红线重叠 1,275.0 亩"
    )


def test_small_site_fails_on_minimum_without_exclusions(screened):
    r = row(screened, "S10")
    assert r["area_mu"] == pytest.approx(60)
    assert r["failed_checks"] == "min_eligible"
    assert r["reasons"] == "地块面积 60.0 亩，少于最低要求 300 亩，依据：自然资办发〔2023〕12号"


def test_clean_site_passes_with_zero_overlaps(screened):
    r = row(screened, "S3")
    assert r["verdict"] == "pass" and r["reasons"] == "" and r["failed_checks"] == ""
    assert r["redline_overlap_m2"] == 0 and r["water_source_overlap_m2"] == 0
    assert r["sandy_land_share"] == pytest.approx(1.0)
    assert r["eligible_m2"] == pytest.approx(1_000_000)


def test_buffered_exclusion_distance_is_exact_and_area_right(screened):
    r = row(screened, "S4")
    assert abs(r["water_source_distance_m"] - 300.0) < 1e-6
    # 500 m buffer reaches 200 m into the site, along its whole 1000 m east edge
    assert r["water_source_overlap_m2"] == pytest.approx(200_000, rel=1e-9)
    assert r["eligible_m2"] == pytest.approx(800_000, rel=1e-9)
    assert r["verdict"] == "conditional"
    assert r["reasons"].startswith("距饮用水水源保护区 300.0 米，位于其 500 米缓冲区内 300.0 亩")
    assert "依据：自然资办发〔2023〕12号" in r["reasons"]  # the rule set's basis as fallback
    # a site overlapping nothing is still measured
    assert row(screened, "S3")["water_source_distance_m"] == pytest.approx(
        xs(3) + 1300 - (xs(2) + 1000)
    )


def test_control_feature_outside_study_area_still_counts(screened):
    r = row(screened, "S9")
    assert abs(r["water_source_distance_m"] - 200.0) < 1e-6
    assert r["water_source_overlap_m2"] == pytest.approx(300_000, rel=1e-9)
    assert r["verdict"] == "conditional"


def test_slope_from_plane_is_atan_of_gradient(screened):
    r = row(screened, "S3")
    assert r["slope_mean_deg"] == pytest.approx(math.degrees(math.atan(GRADIENT)), abs=1e-4)
    assert r["slope_share_over"] == 0.0
    steep = row(screened, "S5")
    assert steep["slope_mean_deg"] == pytest.approx(
        math.degrees(math.atan(math.hypot(GRADIENT, 0.5))), abs=1e-4
    )
    assert steep["slope_share_over"] == 1.0
    assert steep["failed_checks"] == "slope_max:dem"
    assert steep["reasons"].startswith("坡度大于 15° 的部分占 100.0%，超过允许的 10.0%")


def test_dem_nodata_under_site_is_unknown_not_fail(screened):
    r = row(screened, "S6")
    assert r["verdict"] == "unknown"
    assert r["dem_nodata_share"] == 1.0
    assert r["failed_checks"] == "slope_max:dem"
    assert "数字高程模型在地块内无数据的像元占 100.0%" in r["reasons"]
    assert np.isnan(r["slope_mean_deg"])


def test_forbidden_land_cover_fails(screened):
    r = row(screened, "S7")
    assert r["verdict"] == "fail"
    assert r["landcover_class_share"] == 1.0
    assert r["landcover_class_main"] == "101"
    assert "土地覆被显示禁止的地类占 100.0%（主要为 101" in r["reasons"]
    assert row(screened, "S3")["landcover_class_share"] == 0.0


def test_require_share_below_minimum_fails(screened):
    r = row(screened, "S8")
    assert r["sandy_land_share"] == pytest.approx(0.4, rel=1e-9)
    assert r["verdict"] == "fail"
    assert "位于沙地内的面积 600.0 亩，仅占 40.0%，低于要求的 60.0%" in r["reasons"]


def test_partial_nodata_decided_below_threshold_unknown_above(world):
    cfg = load_config(world)
    rs = cfg.ruleset("pv")
    # nodata ends at xs(5) + 1200: 50 m (5 %) and 400 m (40 %) of these sites lie in it
    sites = _gdf(
        [
            box(xs(5) + 1150, Y0, xs(5) + 2150, Y0 + 1000),
            box(xs(5) + 800, Y0, xs(5) + 1800, Y0 + 1000),
        ],
        site_id=["a", "b"],
    )
    layers = world_layers()
    del layers["sites"]
    with (
        rasterio.open(world.parent / "dem.tif") as dem,
        rasterio.open(world.parent / "landcover.tif") as lc,
    ):
        res = screen_sites(sites, rs, layers=layers, rasters={"dem": dem, "landcover": lc})
    a, b = res.sites.iloc[0], res.sites.iloc[1]
    # Horn's slope needs neighbours: the column next to nodata has none either
    assert 0.05 <= a["dem_nodata_share"] <= NODATA_MAX_SHARE
    assert a["verdict"] == "pass"
    assert a["slope_mean_deg"] == pytest.approx(math.degrees(math.atan(GRADIENT)), abs=1e-4)
    assert b["dem_nodata_share"] > 0.4
    assert b["verdict"] == "unknown"


def test_registry_and_missing_inputs(world):
    assert set(RULES) >= {"exclude", "require", "limit", "slope_max", "raster_class"}
    assert VERDICTS == ("pass", "conditional", "unknown", "fail")
    cfg = load_config(world)
    layers = world_layers()
    sites = layers.pop("sites")
    del layers["water_source"]
    with pytest.raises(RuleError, match=r"rulesets\.pv\.checks\[1\]\.layer: layer 'water_source'"):
        screen_sites(sites, cfg.ruleset("pv"), layers=layers, rasters={})
    with pytest.raises(CRSError, match="geographic"):
        screen_sites(sites.to_crs(4490), cfg.ruleset("pv"), layers=layers)


def test_limit_rule_conditional_beyond_share_and_mu(zh):
    from ecogis.config import parse_config

    cfg = parse_config(
        {
            "layers": {"grass": {"path": "x.gpkg", "role": "control", "label": "基本草原"}},
            "rulesets": {
                "r": {
                    "checks": [{"layer": "grass", "rule": "limit", "max_share": 0.2, "max_mu": 600}]
                }
            },
        },
        check_files=False,
    )
    sites = _gdf(
        [box(X0, Y0, X0 + 1000, Y0 + 1000), box(X0 + 2000, Y0, X0 + 3000, Y0 + 1000)],
        site_id=["small", "big"],
    )
    grass = _gdf(
        [box(X0 + 900, Y0, X0 + 1100, Y0 + 1000), box(X0 + 2000, Y0, X0 + 2500, Y0 + 1000)]
    )
    res = screen_sites(
        sites, cfg.ruleset("r"), layers={"grass": grass}, labels={"grass": "基本草原"}
    )
    small, big = res.sites.iloc[0], res.sites.iloc[1]
    assert small["grass_overlap_m2"] == pytest.approx(100_000)
    assert small["verdict"] == "pass"
    assert big["verdict"] == "conditional"
    assert "与基本草原重叠 750.0 亩（占 50.0%），超过允许的占地块 20.0%或600 亩" in big["reasons"]
    # a limit is not an exclusion: nothing is cut away
    assert big["eligible_m2"] == pytest.approx(1_000_000)


# --------------------------------------------------------------------------- CLI


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_cli_writes_gpkg_csv_xlsx_and_summary(world, tmp_path):
    out = tmp_path / "result.gpkg"
    r = run(
        "screen",
        world.parent / "sites.gpkg",
        "-c",
        world,
        "-r",
        "pv",
        "-o",
        out,
        "--csv",
        tmp_path / "result.csv",
        "--xlsx",
        tmp_path / "result.xlsx",
    )
    assert r.exit_code == 0, r.output
    assert "pass 1 · conditional 3 · unknown 1 · fail 5" in r.output
    assert "S2" in r.output and "below the required minimum of 300 mu" in r.output
    assert sorted(pyogrio.list_layers(out)[:, 0]) == ["eligible", "sites"]
    sites = gpd.read_file(out, layer="sites")
    assert dict(zip(sites["site_id"], sites["verdict"], strict=True)) == EXPECTED
    eligible = gpd.read_file(out, layer="eligible")
    assert eligible.set_index("site_id").loc["S1", "eligible_m2"] == pytest.approx(500_000)
    text = (tmp_path / "result.csv").read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("site_id,verdict,reasons,failed_checks,area_m2")
    assert "生态保护红线" in text
    import openpyxl

    wb = openpyxl.load_workbook(tmp_path / "result.xlsx")
    assert wb.sheetnames == ["sites", "checks", "rules"]
    # for people: a title row, the project, then titles with units; verdicts as words
    ws = wb["sites"]
    assert "Site screening" in ws["A1"].value
    header = [str(c.value).replace("\n", " ") for c in ws[3]]
    assert header[:2] == ["Site ID", "Verdict"] or header[0] == "Site ID"
    assert "Area (mu)" in header and "Reasons" in header
    rows = {r[0]: r for r in ws.iter_rows(min_row=4, values_only=True)}
    assert rows["S2"][header.index("Verdict")] == "fail"
    assert not list(tmp_path.glob(".ecogis-screen*"))


def test_cli_txt_input_screened_directly(world, tmp_path):
    # S1 and S3 as a boundary-point TXT in the zone-prefixed CRS (EPSG:4526)
    def parcel(pid, k):
        x, y = xs(k) - 500_000 + 38_500_000, Y0
        pts = [(y, x), (y, x + 1000), (y + 1000, x + 1000), (y + 1000, x), (y, x)]
        lines = [f"5,100.0000,{pid},地块{pid},面,,光伏用地,,@"]
        lines += [f"J{i % 4 + 1},1,{n:.3f},{e:.3f}" for i, (n, e) in enumerate(pts)]
        return "\n".join(lines)

    header = (
        "[属性描述]\n坐标系=2000国家大地坐标系\n几度分带=3\n投影类型=高斯克吕格\n"
        "计量单位=米\n带号=38\n[地块坐标]\n"
    )
    src = tmp_path / "sites.txt"
    src.write_bytes((header + parcel("DK01", 0) + "\n" + parcel("DK02", 2) + "\n").encode("gbk"))
    out = tmp_path / "txt.gpkg"
    r = run("screen", src, "-c", world, "-r", "pv", "-o", out)
    assert r.exit_code == 0, r.output
    sites = gpd.read_file(out, layer="sites")
    assert sites.crs.to_epsg() == 4547
    got = dict(zip(sites["site_id"], sites["verdict"], strict=True))
    assert got == {"DK01": "conditional", "DK02": "pass"}
    assert sites.set_index("site_id").loc["DK01", "redline_overlap_m2"] == pytest.approx(
        500_000, rel=1e-6
    )


def _assert_one_line_error(r, *needles):
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("Error:")]
    assert len(errors) == 1, r.output
    assert "Traceback" not in r.output
    for n in needles:
        assert n in errors[0], errors[0]


def test_cli_site_file_without_crs(world, tmp_path):
    shp = tmp_path / "nocrs.shp"
    gdf = world_layers()["sites"].set_crs(None, allow_override=True)
    pyogrio.write_dataframe(gdf, shp)
    out = tmp_path / "o.gpkg"
    r = run("screen", shp, "-c", world, "-r", "pv", "-o", out)
    _assert_one_line_error(r, "nocrs.shp", "no CRS")
    assert not out.exists()


def test_cli_txt_with_broken_point_line(world, tmp_path):
    src = tmp_path / "bad.txt"
    src.write_text(
        "[属性描述]\n坐标系=2000国家大地坐标系\n带号=38\n[地块坐标]\n"
        "4,100,DK01,x,面,,,,@\nJ1,1,4700000.000,38500000.000\n"
        "J2,1,4700000.0x0,38501000.000\nJ3,1,4701000.000,38501000.000\n"
        "J1,1,4700000.000,38500000.000\n",
        encoding="utf-8",
    )
    out = tmp_path / "o.gpkg"
    r = run("screen", src, "-c", world, "-r", "pv", "-o", out, "--csv", tmp_path / "o.csv")
    _assert_one_line_error(r, "bad.txt", "line 7")
    assert not out.exists() and not (tmp_path / "o.csv").exists()


def test_cli_rule_naming_missing_layer(world, tmp_path):
    cfg = tmp_path / "cfg.yaml"
    text = CONFIG.replace("{layer: water_source, rule: exclude", "{layer: wetland, rule: exclude")
    cfg.write_text(text.replace("path: ", f"path: {world.parent}/"), encoding="utf-8")
    out = tmp_path / "o.gpkg"
    r = run("screen", world.parent / "sites.gpkg", "-c", cfg, "-r", "pv", "-o", out)
    _assert_one_line_error(r, "rulesets.pv.checks[1].layer", "wetland")
    assert not out.exists()


def test_cli_unknown_ruleset_and_existing_output(world, tmp_path):
    r = run("screen", world.parent / "sites.gpkg", "-c", world, "-r", "nope")
    _assert_one_line_error(r, "no rule set named 'nope'", "pv")
    out = tmp_path / "o.gpkg"
    out.write_bytes(b"old")
    r = run("screen", world.parent / "sites.gpkg", "-c", world, "-r", "pv", "-o", out)
    _assert_one_line_error(r, "file exists", "--overwrite")
    assert out.read_bytes() == b"old"
    r = run(
        "screen", world.parent / "sites.gpkg", "-c", world, "-r", "pv", "-o", tmp_path / "o.shp"
    )
    _assert_one_line_error(r, "unsupported suffix", "allowed: .gpkg")


def test_cli_help_has_examples():
    r = run("screen", "--help")
    assert r.exit_code == 0
    assert "Examples:" in r.output and "pv_sand_control" in r.output


def test_tiled_path_gives_the_same_verdicts(world, monkeypatch, zh):
    from ecogis import raster

    monkeypatch.setattr(raster, "TILED_MIN_GEOMS", 1)
    monkeypatch.setattr(raster, "TILE_PX", 100)  # several tiles
    cfg = load_config(world)
    layers = world_layers()
    sites = layers.pop("sites")
    with (
        rasterio.open(world.parent / "dem.tif") as dem,
        rasterio.open(world.parent / "landcover.tif") as lc,
    ):
        res = screen_sites(
            sites,
            cfg.ruleset("pv"),
            layers=layers,
            rasters={"dem": dem, "landcover": lc},
            labels={n: s.title for n, s in cfg.layers.items()},
        )
    assert dict(zip(res.sites["site_id"], res.sites["verdict"], strict=True)) == EXPECTED
    r = res.sites.set_index("site_id").loc["S7"]
    assert r["landcover_class_main"] == "101" and "主要为 101，占 100.0%" in r["reasons"]


# --------------------------------------------------------------------------- demo


def test_demo_sites_get_their_planted_verdicts(demo, tmp_path, zh):
    from ecogis.demo import PLANTED

    out = tmp_path / "demo_screen.gpkg"
    r = run(
        "screen",
        demo.layers["sites"],
        "-c",
        demo.config_path,
        "-r",
        "pv_sand_control",
        "-o",
        out,
    )
    assert r.exit_code == 0, r.output
    sites = gpd.read_file(out, layer="sites").set_index("site_id")
    assert sites["verdict"].to_dict() == PLANTED["sites"]
    # the numbers behind the verdicts, as constructed (reprojection moves them by ~1e-7); the
    # forest and sandy-land checks take land classes of the 三调 layer (their own columns)
    column = PLANTED["check_columns"]
    for sid, exp in PLANTED["site_expect"].items():
        row = sites.loc[sid]
        if "eligible_mu" in exp:
            assert row["eligible_mu"] == pytest.approx(exp["eligible_mu"], rel=1e-5), sid
        for layer, m2 in exp.get("excluded_m2", {}).items():
            assert row[f"{column[layer]}_overlap_m2"] == pytest.approx(m2, rel=1e-5), (sid, layer)
        if "sandy_share" in exp:
            share = row[f"{column['sandy_land']}_share"]
            assert share == pytest.approx(exp["sandy_share"], abs=1e-5), sid
    assert abs(sites.loc["PV-07", "water_source_distance_m"] - 300.0) < 1e-6
    # the printed summary names each non-pass site with its deciding reason
    for sid, verdict in PLANTED["sites"].items():
        assert (sid in r.output) == (verdict != "pass"), sid
    assert re.search(r"PV-09\s+未判定\s+.*无数据", r.output), r.output

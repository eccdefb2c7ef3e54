"""Land classes through the command line: classes: / where: in rule sets, --by-class on
screen, controls and progress, as a user runs them (CliRunner), in English and Chinese.

The small world (EPSG:4547, built in code): three 1000 m x 1000 m patches side by side,
0103 旱地, 1205 沙地 and 0404 其他草地, and one site over the east half of 旱地, all of 沙地 and
the west quarter of 其他草地 (500 000 + 1 000 000 + 250 000 m²).
"""

from __future__ import annotations

import math
import re
import sqlite3
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
import yaml
from click.testing import CliRunner
from shapely.geometry import box

from ecogis.cli import cli
from ecogis.units import M2_PER_MU

from conftest import gpkg_validator

X0, Y0 = 500_000.0, 4_700_000.0
CRS = 4547
BASIS = "自然资办发〔2023〕12号"


def run(*args, lang: str = "en"):
    return CliRunner().invoke(cli, [str(a) for a in args], env={"ECOGIS_LANG": lang})


def squares() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "DLBM": ["0103", "1205", "0404"],
            "DLMC": ["旱地", "沙地", "其他草地"],
            "GMFGD": [None, None, 0.4],
        },
        geometry=[box(X0 + 1000 * k, Y0, X0 + 1000 * (k + 1), Y0 + 1000) for k in range(3)],
        crs=CRS,
    )


SITE = box(X0 + 500, Y0, X0 + 2250, Y0 + 1000)


def project(tmp_path: Path, checks: list[dict] | None = None, **layers) -> Path:
    """A config with the three squares as layer dltb (role landuse) and one site."""
    squares().to_file(tmp_path / "dltb.gpkg")
    gpd.GeoDataFrame({"site_id": ["S1"]}, geometry=[SITE], crs=CRS).to_file(tmp_path / "sites.gpkg")
    gpd.GeoDataFrame(geometry=[box(X0 - 5000, Y0 - 5000, X0 + 8000, Y0 + 5000)], crs=CRS).to_file(
        tmp_path / "boundary.gpkg"
    )
    cfg = {
        "name": "地类测试",
        "crs": "EPSG:4547",
        "layers": {
            "boundary": {"path": "boundary.gpkg", "role": "boundary"},
            "dltb": {"path": "dltb.gpkg", "role": "landuse", "label": "三调地类图斑"},
            **layers,
        },
        "rulesets": {
            "pv": {
                "basis": BASIS,
                "checks": checks
                if checks is not None
                else [{"layer": "dltb", "rule": "exclude", "classes": ["01*"], "label": "耕地"}],
            }
        },
    }
    path = tmp_path / "project.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- screen


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_three_squares_exact_composition_overlap_and_reason(tmp_path, lang):
    """Done when: the exact composition, the 01* exclusion's exact overlap, the reason names
    0103 旱地."""
    cfg = project(tmp_path)
    out = tmp_path / "out.gpkg"
    r = run(
        "screen", tmp_path / "sites.gpkg", "-c", cfg, "-r", "pv", "--by-class", "dltb",
        "-o", out, "--csv", tmp_path / "out.csv", "--xlsx", tmp_path / "out.xlsx", lang=lang,
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    sites = gpd.read_file(out, layer="sites")
    assert sites.loc[0, "verdict"] == "conditional"
    assert sites.loc[0, "dltb_01_overlap_m2"] == 500_000.0  # exact: the pair is a clean cut
    assert sites.loc[0, "eligible_m2"] == pytest.approx(1_250_000, abs=1e-6)
    reason = sites.loc[0, "reasons"]
    if lang == "zh":
        assert reason == (
            "与耕地（0103 旱地 750.0 亩）重叠 750.0 亩（占 28.6%），需从地块中核减，依据：" + BASIS
        )
    else:
        assert reason.startswith("overlaps 耕地 (0103 旱地 750.0 mu) by 750.0 mu (28.6%)")
    # the composition, exactly, in the GeoPackage (each part with its geometry) and the CSV
    parts = gpd.read_file(out, layer="by_class")
    assert parts["class_code"].tolist() == ["1205", "0103", "0404"]
    assert parts["class_name"].tolist() == ["沙地", "旱地", "其他草地"]
    assert parts["area_m2"].tolist() == [1_000_000.0, 500_000.0, 250_000.0]
    assert np.allclose(parts["area_mu"], parts["area_m2"] / M2_PER_MU, rtol=1e-15)
    assert np.allclose(parts["share"], [1 / 1.75, 0.5 / 1.75, 0.25 / 1.75], rtol=1e-15)
    assert np.allclose(parts.geometry.area, parts["area_m2"], rtol=1e-12)
    assert parts.geometry.iloc[1].equals(box(X0 + 500, Y0, X0 + 1000, Y0 + 1000))
    table = pd.read_csv(tmp_path / "out_by_class.csv", encoding="utf-8-sig", dtype=str)
    assert table["class_code"].tolist() == ["1205", "0103", "0404", "total"] * 2
    assert table["site_id"].tolist() == ["S1"] * 4 + ["total"] * 4
    assert float(table["area_m2"].iloc[3]) == 1_750_000.0 and float(table["share"].iloc[3]) == 1.0
    # the workbook: a by-class sheet for people (地类构成 in Chinese), totals labelled
    wb = openpyxl.load_workbook(tmp_path / "out.xlsx")
    sheet = "地类构成" if lang == "zh" else "by_class"
    people = ["场址", "检查数值", "规则"] if lang == "zh" else ["sites", "checks", "rules"]
    assert wb.sheetnames == [*people, sheet]
    rows = list(wb[sheet].iter_rows(values_only=True))
    total = "合计" if lang == "zh" else "total"
    assert rows[2][:3] == (
        ("场址编号", "地类编码", "地类名称")
        if lang == "zh"
        else ("Site ID", "Class code", "Class name")
    )
    assert rows[3][:5] == ("S1", "1205", "沙地", 1_000_000, 1_500)
    assert rows[6][:2] == ("S1", total) and rows[-1][:2] == (total, total)
    assert "1205 沙地 1,500.0" in r.output  # the summary line names the classes
    # QGIS aliases in Chinese, and a GeoPackage GDAL's validator accepts
    con = sqlite3.connect(out)
    titles = dict(
        con.execute(
            "SELECT column_name, name FROM gpkg_data_columns WHERE table_name = 'by_class'"
        ).fetchall()
    )
    con.close()
    assert titles["class_code"] == "地类编码" and titles["area_mu"] == "面积（亩）"
    validator = gpkg_validator()
    if validator is not None:
        res = subprocess.run([*validator, str(out)], capture_output=True, text=True)
        assert res.returncode == 0, res.stdout + res.stderr


def test_require_names_what_the_site_lies_on_and_where_filters(tmp_path):
    cfg = project(
        tmp_path,
        checks=[
            {"layer": "dltb", "rule": "require", "classes": ["1205", "1206", "0404"],
             "min_share": 0.9, "label": "沙地、裸土地、其他草地"},
            {"layer": "dltb", "rule": "limit", "classes": ["04*"], "where": {"GMFGD": {"gt": 0.3}},
             "max_share": 0.1, "label": "高覆盖度草地"},
        ],
    )  # fmt: skip
    r = run("screen", tmp_path / "sites.gpkg", "-c", cfg, "-r", "pv", "-o", tmp_path / "o.gpkg",
            lang="zh")  # fmt: skip
    assert r.exit_code == 0, r.output
    site = gpd.read_file(tmp_path / "o.gpkg", layer="sites").iloc[0]
    assert site["verdict"] == "fail"
    assert site["dltb_1205_1206_0404_share"] == pytest.approx(1.25 / 1.75, rel=1e-12)
    assert site["dltb_04_where_overlap_m2"] == pytest.approx(250_000, rel=1e-12)
    assert (
        "位于沙地、裸土地、其他草地的面积 1,875.0 亩，仅占 71.4%，低于要求的 90.0%；地块现状地类为 "
        "1205 沙地 1,500.0 亩、0103 旱地 750.0 亩、0404 其他草地 375.0 亩" in site["reasons"]
    )
    assert "与高覆盖度草地（0404 其他草地 375.0 亩）重叠 375.0 亩（占 14.3%）" in site["reasons"]
    # 1206 is under no patch: a warning names the check and the code, the run goes on
    assert re.search(r"checks\[0\]\.classes：1206 在图层 'dltb'", r.output), r.output


def test_a_buffered_class_check_names_the_classes_near_the_site(tmp_path):
    cfg = project(tmp_path, checks=[
        {"layer": "dltb", "rule": "exclude", "classes": ["0404"], "buffer_m": 100}])  # fmt: skip
    gpd.GeoDataFrame({"site_id": ["S2"]}, geometry=[box(X0 + 1000, Y0, X0 + 1950, Y0 + 900)],
                     crs=CRS).to_file(tmp_path / "near.gpkg")  # fmt: skip
    r = run("screen", tmp_path / "near.gpkg", "-c", cfg, "-r", "pv", "--csv", tmp_path / "n.csv")
    assert r.exit_code == 0, r.output
    row = pd.read_csv(tmp_path / "n.csv", encoding="utf-8-sig").iloc[0]
    assert row["dltb_0404_distance_m"] == pytest.approx(50.0)
    assert row["dltb_0404_overlap_m2"] == pytest.approx(50 * 900, rel=1e-9)
    assert row["reasons"].startswith("50.0 m from 三调地类图斑 (0404 其他草地), 67.5 mu (5.3%)")


def test_dask_engine_and_exact_areas_give_the_same_by_class_table(tmp_path):
    cfg = project(tmp_path)
    tables = []
    for extra in ([], ["--engine", "dask", "--partitions", "2"], ["--exact-areas"]):
        csv = tmp_path / f"t{len(tables)}.csv"
        r = run("screen", tmp_path / "sites.gpkg", "-c", cfg, "-r", "pv", "--by-class", "dltb",
                "--csv", csv, *extra)  # fmt: skip
        assert r.exit_code == 0, r.output
        tables.append(
            pd.read_csv(csv.with_name(csv.stem + "_by_class.csv"), dtype={"class_code": str})
        )
    for other in tables[1:]:
        assert other["class_code"].tolist() == tables[0]["class_code"].tolist()
        assert np.allclose(other["area_m2"], tables[0]["area_m2"], rtol=1e-9)


def test_screen_by_class_to_postgis_and_read_back(tmp_path, pg_uri):
    import uuid

    from ecogis.io.postgis import connect, read_postgis_layer

    cfg = project(tmp_path)
    schema = f"t_{uuid.uuid4().hex[:10]}"
    uri = pg_uri + ("&" if "?" in pg_uri else "?") + f"schema={schema}"
    try:
        r = run("screen", tmp_path / "sites.gpkg", "-c", cfg, "-r", "pv", "--by-class", "dltb",
                "-o", uri)  # fmt: skip
        assert r.exit_code == 0, r.output
        assert "tables sites, eligible, by_class" in r.output
        back = read_postgis_layer(pg_uri + "#" + f"{schema}.by_class")
        assert sorted(back["class_code"]) == ["0103", "0404", "1205"]
        assert back["area_m2"].sum() == pytest.approx(1_750_000, abs=1e-6)
    finally:
        with connect(pg_uri) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            conn.commit()


def test_load_screening_reads_the_by_class_layer_back(tmp_path):
    import ecogis
    from ecogis.screening import load_screening

    cfg = project(tmp_path)
    out = tmp_path / "o.gpkg"
    assert run("screen", tmp_path / "sites.gpkg", "-c", cfg, "-r", "pv", "--by-class", "dltb",
               "-o", out).exit_code == 0  # fmt: skip
    with ecogis.Project.open(cfg) as p:
        res = load_screening(p, out, ruleset="pv")
        assert res.by_class["area_m2"].sum() == pytest.approx(1_750_000)
        # the class check's context is its patches, dissolved, not the whole land-use layer
        assert list(res.layers) == ["dltb_01"] and res.labels["dltb_01"] == "耕地"
        assert res.layers["dltb_01"].area.sum() == pytest.approx(1_000_000)


# --------------------------------------------------------------------------- the demo


def test_demo_by_class_sheet_adds_up_to_every_site(demo, tmp_path, monkeypatch):
    """Done when: on the demo, the 地类构成 sheet's areas add up to each site's area (0.01 m²)."""
    monkeypatch.setenv("ECOGIS_LANG", "zh")
    xlsx, out = tmp_path / "demo.xlsx", tmp_path / "demo.gpkg"
    r = CliRunner().invoke(cli, [
        "screen", str(demo.layers["sites"]), "-c", str(demo.config_path), "-r", "pv_sand_control",
        "--by-class", "dltb", "--xlsx", str(xlsx), "-o", str(out)])  # fmt: skip
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(xlsx)
    assert "地类构成" in wb.sheetnames
    rows = list(wb["地类构成"].iter_rows(values_only=True))
    head = rows.index(next(r for r in rows if r[0] == "场址编号"))
    # (a unit wider than its title's column is on a line of its own)
    assert tuple(str(t).replace("\n", "") for t in rows[head][:6]) == (
        "场址编号",
        "地类编码",
        "地类名称",
        "面积（m²）",
        "面积（亩）",
        "占比",
    )
    body = [r for r in rows[head + 1 :] if r[0] not in ("合计",)]
    sites = gpd.read_file(out, layer="sites").set_index("site_id")
    for sid in sites.index:
        mine = [r for r in body if r[0] == sid]
        classes, total = [r for r in mine if r[1] != "合计"], [r for r in mine if r[1] == "合计"]
        assert len(total) == 1 and classes, sid
        assert abs(sum(r[3] for r in classes) - sites.loc[sid, "area_m2"]) < 0.01, sid
        assert abs(total[0][3] - sites.loc[sid, "area_m2"]) < 0.01 and abs(total[0][5] - 1) < 1e-8
        assert all(re.fullmatch(r"\d{4}[A-Z]?", r[1]) and r[2] for r in classes), sid
    # the classes the rule set relies on, as the demo documents them
    pv10 = {r[1]: r[3] for r in body if r[0] == "PV-10" and r[1] != "合计"}
    assert pv10 == pytest.approx({"0301": 680_000.0, "1205": 120_000.0}, rel=1e-6)
    pv04 = {r[1]: r[3] for r in body if r[0] == "PV-04" and r[1] != "合计"}
    assert sum(v for c, v in pv04.items() if c.startswith("01")) == pytest.approx(444_000, rel=1e-6)


def test_demo_dltb_tiles_the_banner_with_the_zones_classes(demo):

    from ecogis.landuse import class_table

    dltb = gpd.read_file(demo.layers["dltb"])
    outline = gpd.read_file(demo.layers["boundary"]).geometry.iloc[0]
    assert 90_000 <= len(dltb) <= 130_000
    assert set(dltb["DLBM"]) <= set(class_table())
    assert (dltb["DLMC"] == [class_table()[c][0] for c in dltb["DLBM"]]).all()
    assert math.isclose(dltb.area.sum(), outline.area, rel_tol=1e-9)  # no gap, no overlap
    assert np.allclose(dltb["TBMJ"], dltb.area, atol=0.006)
    assert dltb["BSM"].is_unique
    # classes weighted like the region: grassland, then sandy land, some cultivated land
    share = dltb.assign(a=dltb.area).groupby(dltb["DLBM"].str[:2])["a"].sum() / outline.area
    assert share["04"] > 0.5 and 0.1 < share["12"] < 0.4 and 0.001 < share["01"] < 0.1
    # the shrub cover (GMFGD) is on 灌木林地 only
    assert dltb.loc[dltb["GMFGD"].notna(), "DLBM"].eq("0305").all()
    # sandy land of the zone layer is 1205 / 1206 / 0404 in the land-use layer, but for the
    # mine pits in it (采矿用地 0602 comes first) and slivers along its edge
    from ecogis.overlay import get_engine

    sand = gpd.read_file(demo.layers["sandy_land"]).to_crs(4547)
    pairs = get_engine("local").intersect_pairs(dltb, sand, keep_geometry=False)
    on_sand = np.bincount(pairs["idx_left"], weights=pairs["area_m2"], minlength=len(dltb))
    area = dltb.area.to_numpy()
    inside = dltb[(on_sand > 0.5 * area) & (area > 1.0)]  # not the slivers along its edge
    assert inside["DLBM"].isin(["1205", "1206", "0404", "0602"]).all()
    assert (inside["DLBM"] != "0602").mean() > 0.98
    assert math.isclose(on_sand.sum(), sand.area.sum(), rel_tol=1e-9)


# --------------------------------------------------------------------------- controls


def test_controls_by_class_splits_each_conflict(tmp_path):
    squares().to_file(tmp_path / "dltb.gpkg")
    gpd.GeoDataFrame({"BSM": ["R1"]}, geometry=[box(X0 + 600, Y0, X0 + 1400, Y0 + 500)],
                     crs=CRS).to_file(tmp_path / "red.gpkg")  # fmt: skip
    gpd.GeoDataFrame({"BSM": ["F1"]}, geometry=[box(X0 + 800, Y0, X0 + 1800, Y0 + 1000)],
                     crs=CRS).to_file(tmp_path / "farm.gpkg")  # fmt: skip
    cfg = {
        "name": "测试旗",
        "crs": "EPSG:4547",
        "layers": {
            "redline": {"path": "red.gpkg", "role": "control", "label": "生态保护红线", "id_field": "BSM"},
            "farmland": {"path": "farm.gpkg", "role": "control", "label": "永久基本农田", "id_field": "BSM"},
            "dltb": {"path": "dltb.gpkg", "role": "landuse", "label": "三调地类图斑"},
        },
        "control_lines": ["redline", "farmland"],
    }  # fmt: skip
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    out, xlsx = tmp_path / "c.gpkg", tmp_path / "c.xlsx"
    r = run("controls", "-c", path, "--by-class", "dltb", "-o", out, "--summary", xlsx, lang="zh")
    assert r.exit_code == 0, r.output
    # the conflict is x 800..1400, y 0..500: 200 m on 旱地, 400 m on 沙地
    assert "冲突的地类构成（三调地类图斑）：1205 沙地 300.0 亩、0103 旱地 150.0 亩" in r.output
    parts = gpd.read_file(out, layer="by_class")
    assert parts[["id_a", "id_b", "class_code"]].values.tolist() == [
        ["R1", "F1", "1205"], ["R1", "F1", "0103"]]  # fmt: skip
    assert parts["area_m2"].tolist() == pytest.approx([200_000.0, 100_000.0], rel=1e-12)
    assert parts["share"].tolist() == pytest.approx([2 / 3, 1 / 3], rel=1e-12)
    assert parts.geometry.iloc[1].equals(box(X0 + 800, Y0, X0 + 1000, Y0 + 500))
    assert set(pyogrio.list_layers(out)[:, 0]) >= {"conflicts", "by_class"}
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames == ["汇总", "地类构成"]
    rows = list(wb["地类构成"].iter_rows(values_only=True))
    assert rows[2][:6] == ("控制线一", "图斑一", "控制线二", "图斑二", "乡镇", "地类编码")
    assert rows[3][:6] == ("生态保护红线", "R1", "永久基本农田", "F1", None, "1205")
    assert rows[-1][0] == "合计" and rows[-1][5] == "合计" and rows[-1][7] == 300_000


# --------------------------------------------------------------------------- progress


def test_progress_by_class_on_the_demo(demo, tmp_path, monkeypatch):
    """The plots completed in 2022 by the class they were before; the planted afforestation
    on permanent farmland shows its 耕地 part."""
    from ecogis.demo import PLANTED

    monkeypatch.chdir(tmp_path)
    csv, xlsx = tmp_path / "p.csv", tmp_path / "p.xlsx"
    r = run("progress", "-c", demo.config_path, "--year", "2022", "--by-class", "dltb",
            "--csv", csv, "--xlsx", xlsx, lang="zh")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "2022 年完成地块原来的地类（三调地类图斑）：" in r.output
    table = pd.read_csv(
        tmp_path / "p_by_class.csv", encoding="utf-8-sig", dtype={"class_code": str}
    )
    plots = gpd.read_file(demo.layers["plots"]).to_crs(4547)
    done = plots[(plots["year"] == 2022) & plots["status"].isin(["completed", "accepted"])]
    per_plot = table[(table["plot_id"] != "total") & (table["class_code"] != "total")]
    assert set(per_plot["plot_id"]) == set(done["plot_id"])
    # the banner is tiled: a plot's classes add up to its part inside the banner (the planted
    # plot on farmland reaches past the banner's edge)
    outline = gpd.read_file(demo.layers["boundary"]).geometry.iloc[0]
    sums = per_plot.groupby("plot_id")["area_m2"].sum()
    areas = done.set_index("plot_id").intersection(outline).area
    assert np.allclose(sums.loc[areas.index], areas, rtol=0, atol=0.01)
    planted = per_plot[per_plot["plot_id"] == PLANTED["plot_on_farmland"]["plot_id"]]
    # (cultivated land outside the permanent farmland lies near the towns too)
    on_farmland = demo.planted["plot_on_farmland"]["area_m2"]
    cultivated = planted[planted["class_code"].str.startswith("01")]["area_m2"].sum()
    assert cultivated >= on_farmland * (1 - 1e-9)
    # totals per kind, then over all kinds
    kinds = table[(table["plot_id"] == "total") & (table["class_code"] == "total")]
    assert kinds["kind"].tolist() == ["afforestation", "enclosure", "grass_planting", "total"]
    assert kinds["area_m2"].iloc[-1] == pytest.approx(areas.sum(), abs=0.05)
    shares = table[(table["plot_id"] != "total") & (table["class_code"] == "total")]["share"]
    assert (shares < 1 - 1e-6).sum() == 1  # only the plot past the banner's edge
    assert "地类构成" in openpyxl.load_workbook(xlsx).sheetnames


# --------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    ("check", "fragment"),
    [
        ({"classes": ["0130"]}, "unknown land class '0130' (did you mean '0103' 旱地?)"),
        ({"classes": [67]}, "67 is how YAML reads 0103"),
        ({"classes": ["旱地"]}, "did you mean '0103' 旱地?"),
        ({"classes": []}, "an empty list selects nothing"),
        ({"classes": [True]}, "expected a class code"),
        ({"where": {"GMFGX": {"gt": 0.3}}}, "has no field 'GMFGX' (did you mean 'GMFGD'?)"),
        ({"where": {"GMFGD": {"bigger": 0.3}}}, "unknown comparison; allowed: gt, ge"),
        ({"where": {"GMFGD": {"gt": ".nan"}}}, "expected a finite number"),
        ({"where": {"GMFGD": {}}}, "no comparison given"),
        ({"where": {"DLMC": [["nested"]]}}, "expected a list of values"),
    ],
)
def test_config_check_names_bad_classes_and_filters(tmp_path, check, fragment):
    spec = {"layer": "dltb", "rule": "exclude", **check}
    if check.get("where", {}).get("GMFGD", {}).get("gt") == ".nan":
        spec["where"] = {"GMFGD": {"gt": float("nan")}}
    cfg = project(tmp_path, checks=[spec])
    r = run("config", "check", "-c", cfg)
    assert r.exit_code == 2, r.output
    assert "rulesets.pv.checks[0]." in r.output and fragment in r.output, r.output


def test_config_check_names_a_missing_class_field_and_raster_misuse(tmp_path):
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(tmp_path / "dem.tif", "w", driver="GTiff", width=2, height=2, count=1,
                       dtype="float32", crs="EPSG:4547",
                       transform=from_origin(X0, Y0, 10, 10)) as ds:  # fmt: skip
        ds.write(np.zeros((1, 2, 2), dtype="float32"))
    cfg = project(
        tmp_path,
        checks=[{"raster": "dem", "rule": "slope_max", "max_deg": 15, "classes": ["01"]}],
        dem={"path": "dem.tif", "role": "raster", "class_field": "X"},
        other={"path": "dltb.gpkg", "role": "landuse", "class_field": "CODE"},
    )
    r = run("config", "check", "-c", cfg)
    assert r.exit_code == 2, r.output
    out = r.output
    assert "layers.dem.class_field: a raster has no fields" in out
    assert "checks[0].classes: only vector checks take classes:" in out
    assert "layers.other.class_field: layer 'other' (dltb.gpkg) has no field 'CODE'" in out
    assert "fields: DLBM, DLMC, GMFGD" in out


def test_by_class_refuses_an_unknown_layer_before_the_work(tmp_path):
    cfg = project(tmp_path)
    out = tmp_path / "o.gpkg"
    r = run("screen", tmp_path / "sites.gpkg", "-c", cfg, "-r", "pv", "--by-class", "dltbx",
            "-o", out)  # fmt: skip
    assert r.exit_code == 2 and "no layer named 'dltbx'" in r.output and not out.exists()


def test_help_of_the_three_commands_names_by_class():
    for cmd in ("screen", "controls", "progress"):
        en, zh = run(cmd, "--help").output, run(cmd, "--help", lang="zh").output
        assert "--by-class LAYER" in en and re.search(r"land\s+class", en), cmd
        assert "--by-class LAYER" in zh and "地类" in zh, cmd

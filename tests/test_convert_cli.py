"""ecogis convert: TXT <-> GIS layers through the CLI."""

import geopandas as gpd
import numpy as np
import shapely
from click.testing import CliRunner

from ecogis.cli import cli

TXT = """[属性描述]
格式版本号=1.01版本
数据产生单位=正镶白旗自然资源局
数据产生日期=2022-05-01
坐标系=2000国家大地坐标系
几度分带=3
投影类型=高斯克吕格
计量单位=米
带号=38
精度=0.01
转换参数=,,,,,,
[地块坐标]
5,100.0000,DK01,光伏治沙一号地块,面,,光伏用地,,@
J1,1,4700000.000,38500000.000
J2,1,4700000.000,38501000.000
J3,1,4701000.000,38501000.000
J4,1,4701000.000,38500000.000
J1,1,4700000.000,38500000.000
"""


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_txt_to_gpkg_to_txt_round_trip_to_the_centimetre(tmp_path):
    src = tmp_path / "dk.txt"
    src.write_bytes(TXT.replace("\n", "\r\n").encode("gbk"))
    r = run("convert", src, tmp_path / "dk.gpkg")
    assert r.exit_code == 0, r.output
    gdf = gpd.read_file(tmp_path / "dk.gpkg")
    assert gdf.crs.to_epsg() == 4526
    assert gdf["name"].iloc[0] == "光伏治沙一号地块"
    assert gdf.geometry.iloc[0].area == 1_000_000
    r = run("convert", tmp_path / "dk.gpkg", tmp_path / "back.txt")
    assert r.exit_code == 0, r.output
    back = gpd.read_file(tmp_path / "dk.gpkg")
    text = (tmp_path / "back.txt").read_bytes().decode("gbk")
    assert "带号=38" in text and "光伏治沙一号地块" in text
    r = run("convert", tmp_path / "back.txt", tmp_path / "again.gpkg")
    again = gpd.read_file(tmp_path / "again.gpkg")
    a = np.sort(shapely.get_coordinates(back.geometry), axis=0)
    b = np.sort(shapely.get_coordinates(again.geometry), axis=0)
    assert np.abs(a - b).max() < 0.01


def test_broken_point_line_is_one_line_error_with_line_number(tmp_path):
    src = tmp_path / "bad.txt"
    src.write_text(
        TXT.replace("J3,1,4701000.000,38501000.000", "J3,1,4701000.0x0,38501000.000"),
        encoding="utf-8",
    )
    r = run("convert", src, tmp_path / "out.gpkg")
    assert r.exit_code == 2
    assert r.output.startswith("Error: ") and "line 16" in r.output
    assert not (tmp_path / "out.gpkg").exists()


def test_existing_output_needs_overwrite(tmp_path):
    src = tmp_path / "dk.txt"
    src.write_text(TXT, encoding="utf-8")
    out = tmp_path / "dk.geojson"
    out.write_text("old")
    r = run("convert", src, out)
    assert r.exit_code == 2 and "--overwrite" in r.output
    assert out.read_text() == "old"
    assert run("convert", src, out, "--overwrite").exit_code == 0
    assert len(gpd.read_file(out)) == 1


def test_unsupported_output(tmp_path):
    src = tmp_path / "dk.txt"
    src.write_text(TXT, encoding="utf-8")
    r = run("convert", src, tmp_path / "x.kml")
    assert r.exit_code == 2 and "allowed: .txt" in r.output

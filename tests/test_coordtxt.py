"""Tests for ecogis.io.coordtxt (boundary-point coordinate TXT, 界址点坐标)."""

from __future__ import annotations

import re
import warnings

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from ecogis.errors import CRSError, DataSourceError, EcogisWarning, LayerError
from ecogis.io.coordtxt import (
    COLUMNS,
    cgcs2000_gk_epsg,
    format_coord_txt,
    parse_coord_txt,
    read_coord_txt,
    write_coord_txt,
)

HEADER = """[属性描述]
格式版本号=1.01版本
数据产生单位=正镶白旗自然资源局
数据产生日期=2022-05-01
坐标系=2000国家大地坐标系
几度分带=3
投影类型=高斯克吕格
计量单位=米
带号={zone}
精度=0.01
转换参数=,,,,,,
[地块坐标]
"""

# DK01: 100 m square with a 20 m square hole = 9600 m2 = 0.96 ha (10 point lines)
# DK02: right triangle with 200 m legs = 20000 m2 = 2 ha (4 point lines)
PARCELS = """10,0.9600,DK01,光伏治沙一号地块,面,K50G001001,光伏用地,,@
J1,1,4681000.000,38512000.000
J2,1,4681100.000,38512000.000
J3,1,4681100.000,38512100.000
J4,1,4681000.000,38512100.000
J1,1,4681000.000,38512000.000
J5,2,4681040.000,38512040.000
J6,2,4681060.000,38512040.000
J7,2,4681060.000,38512060.000
J8,2,4681040.000,38512060.000
J5,2,4681040.000,38512040.000
4,2.0000,DK02,二号林地,面,,林地,,@
J1,1,4682000.000,38513000.000
J2,1,4682000.000,38513200.000
J3,1,4682200.000,38513000.000
J1,1,4682000.000,38513000.000
"""

TEXT = HEADER.format(zone=38) + PARCELS
# line of DK01's attribute line in TEXT (1-based)
DK01_LINE = HEADER.count("\n") + 1


def _parse_quietly(text: str, **kw):
    """Parse and fail if any warning is issued."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return parse_coord_txt(text, **kw)


def _coords(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """All vertex coordinates of normalised geometries, for order-independent comparison."""
    return shapely.get_coordinates(shapely.normalize(gdf.geometry.values))


# --------------------------------------------------------------------------- reading


def test_parse_two_parcels_with_hole():
    gdf, header = _parse_quietly(TEXT, source="demo.txt")
    assert list(gdf.columns) == [*COLUMNS, "geometry"]
    assert gdf.crs.to_epsg() == 4526
    assert gdf["parcel_id"].tolist() == ["DK01", "DK02"]
    assert gdf["name"].tolist() == ["光伏治沙一号地块", "二号林地"]
    assert gdf["use"].tolist() == ["光伏用地", "林地"]
    assert gdf["sheet"].tolist() == ["K50G001001", ""]
    assert gdf["geom_type"].tolist() == ["面", "面"]
    assert gdf.geometry.area.tolist() == pytest.approx([9600.0, 20000.0])
    assert gdf["area_ha"].tolist() == pytest.approx([0.96, 2.0])
    assert gdf["area_ha_declared"].tolist() == pytest.approx([0.96, 2.0])
    assert gdf["points"].tolist() == [10, 4]
    assert gdf["points_declared"].tolist() == [10, 4]
    assert gdf["line"].tolist() == [DK01_LINE, DK01_LINE + 11]
    dk01 = gdf.geometry.iloc[0]
    assert isinstance(dk01, Polygon) and len(dk01.interiors) == 1
    # X is the northing, Y the easting: the geometry is (easting, northing)
    assert dk01.bounds == (38512000.0, 4681000.0, 38512100.0, 4681100.0)
    assert header["带号"] == "38" and header["数据产生单位"] == "正镶白旗自然资源局"
    meta = gdf.attrs["coordtxt"]
    assert meta["zone"] == 38 and meta["epsg"] == 4526 and meta["warnings"] == []


def test_read_gbk_file_detected(tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes(TEXT.replace("\n", "\r\n").encode("gbk"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gdf = read_coord_txt(path)
    assert gdf["name"].tolist() == ["光伏治沙一号地块", "二号林地"]
    assert gdf.attrs["coordtxt"]["encoding"] == "gb18030"
    assert gdf.attrs["coordtxt"]["header"]["坐标系"] == "2000国家大地坐标系"
    assert gdf["line"].tolist() == [DK01_LINE, DK01_LINE + 11]  # CRLF counts once


def test_read_utf8_bom_file(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(TEXT.encode("utf-8-sig"))
    gdf = read_coord_txt(path)
    assert gdf.attrs["coordtxt"]["encoding"] == "utf-8-sig"
    assert gdf["name"].iloc[0] == "光伏治沙一号地块"
    assert gdf.crs.to_epsg() == 4526


def test_read_explicit_wrong_encoding_names_file(tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes(TEXT.encode("gbk"))
    with pytest.raises(DataSourceError, match=r"gbk\.txt.*cannot decode as 'utf-8'"):
        read_coord_txt(path, encoding="utf-8")


def test_read_missing_file():
    with pytest.raises(DataSourceError, match="nope.txt: file not found"):
        read_coord_txt("nope.txt")


def test_fullwidth_punctuation():
    text = (
        TEXT.replace("[属性描述]", "【属性描述】")
        .replace("[地块坐标]", "［地块坐标］")
        .replace(",", "，")
        .replace("0.9600，", "0.9600公顷，")
    )
    # the header's 转换参数 line held commas too; it still parses as key=value
    gdf, header = _parse_quietly(text)
    assert gdf["parcel_id"].tolist() == ["DK01", "DK02"]
    assert gdf["area_ha_declared"].iloc[0] == pytest.approx(0.96)
    assert gdf.geometry.area.tolist() == pytest.approx([9600.0, 20000.0])


def test_columns_swapped_detected_by_prefix():
    swapped = re.sub(
        r"^(J\d+,\d+),([\d.]+),([\d.]+)$", r"\1,\3,\2", PARCELS, flags=re.M
    )  # easting first
    assert "J1,1,38512000.000,4681000.000" in swapped
    reference, _ = parse_coord_txt(TEXT)
    with pytest.warns(EcogisWarning, match="swapped"):
        gdf, _ = parse_coord_txt(HEADER.format(zone=38) + swapped)
    assert gdf.crs.to_epsg() == 4526
    np.testing.assert_array_equal(_coords(gdf), _coords(reference))


def test_empty_zone_inferred_from_prefix():
    gdf, header = _parse_quietly(HEADER.format(zone="") + PARCELS)
    assert header["带号"] == ""
    assert gdf.crs.to_epsg() == 4526
    assert gdf.attrs["coordtxt"]["zone_declared"] is None


def test_zone_39_prefix():
    text = HEADER.format(zone=39) + PARCELS.replace(",385", ",395")
    gdf, _ = _parse_quietly(text)
    assert gdf.crs.to_epsg() == 4527


def test_prefix_disagreeing_with_zone_warns_and_uses_prefix():
    with pytest.warns(EcogisWarning, match=r"带号='39'.*prefix 38.*used zone 38") as rec:
        gdf, _ = parse_coord_txt(HEADER.format(zone=39) + PARCELS, source="mix.txt")
    assert gdf.crs.to_epsg() == 4526
    assert "mix.txt" in str(rec[0].message)
    meta = gdf.attrs["coordtxt"]
    assert (meta["zone"], meta["zone_declared"]) == (38, 39)
    assert any("带号" in m for m in meta["warnings"])  # visible even when warnings are filtered


def test_area_more_than_one_percent_off_warns():
    text = TEXT.replace("4,2.0000,DK02", "4,2.0300,DK02")  # +1.5 %
    with pytest.warns(EcogisWarning, match=r"DK02.*2\.0300 ha.*2\.0000 ha") as rec:
        gdf, _ = parse_coord_txt(text)
    assert len(rec) == 1  # DK01 is right and not named
    assert "DK01" not in str(rec[0].message)
    assert gdf["area_ha_declared"].iloc[1] == pytest.approx(2.03)


def test_area_within_one_percent_is_quiet():
    _parse_quietly(TEXT.replace("4,2.0000,DK02", "4,2.0150,DK02"))  # +0.75 %


def test_wrong_point_count_warns():
    text = TEXT.replace("4,2.0000,DK02", "7,2.0000,DK02")
    with pytest.warns(EcogisWarning, match=r"DK02 \(line \d+\) declares 7 points but has 4"):
        gdf, _ = parse_coord_txt(text)
    assert gdf["points_declared"].iloc[1] == 7
    assert gdf["points"].iloc[1] == 4


def test_point_count_without_closing_repeats_accepted():
    # DK02 has 3 vertices + 1 closing repeat: both 3 and 4 are accepted conventions
    _parse_quietly(TEXT.replace("4,2.0000,DK02", "3,2.0000,DK02"))


@pytest.mark.parametrize("system", ["西安80坐标系", "1980西安坐标系", "北京54坐标系"])
def test_xian_beijing_refused_without_crs(system):
    text = TEXT.replace("坐标系=2000国家大地坐标系", f"坐标系={system}")
    with pytest.raises(CRSError, match=r"not CGCS2000.*pass crs="):
        parse_coord_txt(text, source="old.txt")


def test_xian_read_with_explicit_crs():
    text = TEXT.replace("坐标系=2000国家大地坐标系", "坐标系=西安80坐标系")
    gdf, _ = _parse_quietly(text, crs="EPSG:2362")  # Xian 1980 / 3-degree GK zone 38
    assert gdf.crs.to_epsg() == 2362
    assert gdf.geometry.area.tolist() == pytest.approx([9600.0, 20000.0])


def test_unknown_system_refused():
    with pytest.raises(CRSError, match="not recognised"):
        parse_coord_txt(TEXT.replace("2000国家大地坐标系", "地方坐标系"))


@pytest.mark.parametrize(
    ("bad", "expect"),
    [
        ("J3,1,4681100.000,3851210O.000", r"coordinate '3851210O.000'.*not a number"),
        ("J3,1,4681100.000", r"has 3 columns; expected at least 4"),
    ],
)
def test_broken_point_line_names_line(bad, expect):
    text = TEXT.replace("J3,1,4681100.000,38512100.000", bad)
    line = DK01_LINE + 3
    with pytest.raises(DataSourceError, match=rf"^bad\.txt: line {line}: .*{expect}"):
        parse_coord_txt(text, source="bad.txt")


def test_points_before_attribute_line():
    text = HEADER.format(zone=38) + PARCELS.split("\n", 1)[1]
    with pytest.raises(DataSourceError, match=rf"line {DK01_LINE}: point .*before any parcel"):
        parse_coord_txt(text)


def test_missing_coordinate_section():
    text = TEXT.replace("[地块坐标]\n", "")
    with pytest.raises(DataSourceError, match=r"no \[地块坐标\] section.*looks like a parcel"):
        parse_coord_txt(text, source="x.txt")


def test_too_few_distinct_points():
    text = HEADER.format(zone=38) + (
        "3,0.0,DK09,线状,面,,,,@\n"
        "J1,1,4681000.000,38512000.000\n"
        "J2,1,4681100.000,38512000.000\n"
        "J1,1,4681000.000,38512000.000\n"
    )
    with pytest.raises(DataSourceError, match=r"line \d+: ring 1 of parcel DK09.*2 distinct"):
        parse_coord_txt(text)


def test_unclosed_ring_is_closed_with_warning():
    # drop DK02's closing point (the last line)
    text = TEXT.rsplit("J1,1,4682000.000,38513000.000\n", 1)[0].replace(
        "4,2.0000,DK02", "3,2.0000,DK02"
    )
    with pytest.warns(EcogisWarning, match="DK02.*closed it"):
        gdf, _ = parse_coord_txt(text)
    assert gdf.geometry.iloc[1].area == pytest.approx(20000.0)


def test_province_variant_with_leading_columns_and_extra():
    text = TEXT.replace(
        "4,2.0000,DK02,二号林地,面,,林地,,@", "1,152529,4,2.0000,DK02,二号林地,面,,林地,0301,备注,@"
    )
    gdf, _ = _parse_quietly(text)
    row = gdf.iloc[1]
    assert (row["parcel_id"], row["name"], row["use"]) == ("DK02", "二号林地", "林地")
    assert row["lead"] == "1,152529"
    assert row["dlbm"] == "0301"  # the 8th column, 地类编码
    assert row["extra"] == "备注"
    assert row["points_declared"] == 4
    # written back as read: the leading columns, 地类编码 and the extra column
    line = next(ln for ln in format_coord_txt(gdf).splitlines() if ",DK02," in ln)
    assert line == "1,152529,4,2.0000,DK02,二号林地,面,,林地,0301,备注,@"


def test_attribute_line_without_at_is_recognised():
    text = TEXT.replace("4,2.0000,DK02,二号林地,面,,林地,,@", "4,2.0000,DK02,二号林地,面,,林地")
    with pytest.warns(EcogisWarning, match="without the closing '@'"):
        gdf, _ = parse_coord_txt(text)
    assert gdf["parcel_id"].tolist() == ["DK01", "DK02"]


def test_second_part_outside_ring_1_becomes_multipolygon():
    text = HEADER.format(zone=38) + (
        "8,2.0000,DK05,两块,面,,,,@\n"
        "J1,1,4681000.000,38512000.000\n"
        "J2,1,4681100.000,38512000.000\n"
        "J3,1,4681100.000,38512100.000\n"
        "J1,1,4681000.000,38512000.000\n"
        "J4,2,4682000.000,38512000.000\n"
        "J5,2,4682100.000,38512000.000\n"
        "J6,2,4682100.000,38512100.000\n"
        "J4,2,4682000.000,38512000.000\n"
    )
    gdf, _ = _parse_quietly(text.replace("2.0000", "1.0000"))
    geom = gdf.geometry.iloc[0]
    assert isinstance(geom, MultiPolygon) and len(geom.geoms) == 2
    assert geom.area == pytest.approx(10000.0)


def test_mixed_zone_prefixes_refused():
    text = TEXT.replace("J3,1,4682200.000,38513000.000", "J3,1,4682200.000,39513000.000")
    with pytest.raises(CRSError, match=r"38 \(line \d+\), 39 \(line \d+\)"):
        parse_coord_txt(text)


@pytest.mark.parametrize("zone", [13, 18, 20, 23])
def test_six_degree_epsg_matches_pyproj(zone):
    assert pyproj.CRS.from_epsg(cgcs2000_gk_epsg(zone, width=6)).name == (
        f"CGCS2000 / Gauss-Kruger zone {zone}"
    )


@pytest.mark.parametrize("zone", [25, 38, 39, 45])
def test_three_degree_epsg_matches_pyproj(zone):
    assert pyproj.CRS.from_epsg(cgcs2000_gk_epsg(zone)).name == (
        f"CGCS2000 / 3-degree Gauss-Kruger zone {zone}"
    )
    cm = pyproj.CRS.from_epsg(cgcs2000_gk_epsg(zone, prefix=False)).name
    assert cm == f"CGCS2000 / 3-degree Gauss-Kruger CM {3 * zone}E"


def test_six_degree_file():
    text = HEADER.format(zone=20).replace("几度分带=3", "几度分带=6") + PARCELS.replace(
        ",385", ",205"
    )
    gdf, _ = _parse_quietly(text)
    assert gdf.crs.to_epsg() == 4498


# --------------------------------------------------------------------------- writing


def test_format_header_and_lines():
    gdf, _ = parse_coord_txt(TEXT)
    text = format_coord_txt(gdf, header={"数据产生单位": "测试单位"})
    lines = text.splitlines()
    assert lines[:2] == ["[属性描述]", "格式版本号=1.01版本"]
    for expected in [
        "数据产生单位=测试单位",
        "坐标系=2000国家大地坐标系",
        "几度分带=3",
        "投影类型=高斯克吕格",
        "计量单位=米",
        "带号=38",
        "精度=0.01",
        "转换参数=,,,,,,",
        "[地块坐标]",
        "10,0.9600,DK01,光伏治沙一号地块,面,K50G001001,光伏用地,,@",
        "4,2.0000,DK02,二号林地,面,,林地,,@",
    ]:
        assert expected in lines
    start = lines.index("10,0.9600,DK01,光伏治沙一号地块,面,K50G001001,光伏用地,,@") + 1
    names = [ln.split(",")[0] for ln in lines[start : start + 10]]
    assert names == ["J1", "J2", "J3", "J4", "J1", "J5", "J6", "J7", "J8", "J5"]
    rings = [ln.split(",")[1] for ln in lines[start : start + 10]]
    assert rings == ["1"] * 5 + ["2"] * 5
    # X (northing) first, 3 decimals
    assert re.fullmatch(r"J1,1,4681\d{3}\.\d{3},38512\d{3}\.\d{3}", lines[start])


def test_write_from_geographic_picks_zone_and_reprojects(tmp_path):
    # a 0.01° box near 114.5°E: zone 38 (CM 114°E)
    gdf = gpd.GeoDataFrame(
        {"parcel_id": ["A1"], "name": ["测试"], "use": ["草地"]},
        geometry=[box(114.50, 42.50, 114.51, 42.51)],
        crs=4490,
    )
    out = write_coord_txt(gdf, tmp_path / "out.txt")
    data = out.read_bytes()
    assert b"\r\n" in data
    text = data.decode("gbk")
    assert "带号=38" in text and ",A1,测试,面,,草地,,@" in text
    back = read_coord_txt(out)
    assert back.crs.to_epsg() == 4526
    expected = gdf.to_crs(4526).geometry.iloc[0]
    # vertices are rounded to the millimetre: about 1 m2 on this 91 ha box
    assert back.geometry.iloc[0].area == pytest.approx(expected.area, rel=1e-5)
    assert back["parcel_id"].iloc[0] == "A1" and back["use"].iloc[0] == "草地"


def test_write_explicit_zone_and_fallback_ids():
    gdf = gpd.GeoDataFrame(geometry=[box(38512000, 4681000, 38512100, 4681100)], crs=4526)
    text = format_coord_txt(gdf)
    assert "带号=38" in text
    assert "5,1.0000,1,,面,,,,@" in text  # row number as parcel id
    assert ",1,4681000.000,38512000.000\n" in text  # already in zone 38: written unchanged
    # the square lies 2.9° west of zone 39's CM: reprojected there, the scale grows ~0.1 %
    back, _ = parse_coord_txt(format_coord_txt(gdf, zone=39))
    assert back.crs.to_epsg() == 4527
    assert back.geometry.iloc[0].area == pytest.approx(10000.0, rel=3e-3)
    assert back.geometry.iloc[0].area != pytest.approx(10000.0, rel=1e-4)


def test_write_refuses_layer_without_crs_or_polygons(tmp_path):
    with pytest.raises(CRSError, match="no CRS"):
        format_coord_txt(gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)]))
    lines = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (1, 1)])], crs=4526)
    with pytest.raises(LayerError, match="LineString; expected Polygon"):
        format_coord_txt(lines)


def test_write_overwrite_false_keeps_file(tmp_path):
    gdf, _ = parse_coord_txt(TEXT)
    target = tmp_path / "x.txt"
    target.write_text("old")
    with pytest.raises(LayerError, match="exists"):
        write_coord_txt(gdf, target, overwrite=False)
    assert target.read_text() == "old"


def test_write_header_crs_keys_replaced_with_warning():
    gdf, header = parse_coord_txt(TEXT)
    with pytest.warns(EcogisWarning, match=r"带号='40' replaced by '38'"):
        text = format_coord_txt(gdf, header={**header, "带号": "40"})
    assert "带号=38" in text and "带号=40" not in text
    assert "数据产生单位=正镶白旗自然资源局" in text


def test_round_trip_through_gpkg(tmp_path):
    src = TEXT.replace(".000,", ".123,").replace(".000\n", ".123\n")  # non-round mm
    src = src.replace("J1,1,4681000.123,38512000.123", "J1,1,4681000.127,38512000.129")
    gdf, _ = parse_coord_txt(src)
    gpkg = tmp_path / "parcels.gpkg"
    gdf.to_file(gpkg, driver="GPKG")
    from_gpkg = gpd.read_file(gpkg)
    assert from_gpkg.crs.to_epsg() == 4526
    out = write_coord_txt(from_gpkg, tmp_path / "back.txt")
    back = read_coord_txt(out)
    assert back["parcel_id"].tolist() == ["DK01", "DK02"]
    assert back["name"].tolist() == gdf["name"].tolist()
    a, b = _coords(gdf), _coords(back)
    assert a.shape == b.shape
    assert np.abs(a - b).max() < 0.01  # centimetre
    assert np.abs(a - b).max() < 0.0005  # in fact the written millimetres are exact
    assert back.geometry.iloc[0].interiors  # the hole survives


def test_names_keep_fullwidth_brackets_and_header_values():
    text = TEXT.replace("光伏治沙一号地块", "光伏治沙【一期】").replace(
        "数据产生单位=正镶白旗自然资源局", "数据产生单位=［某］局"
    )
    gdf, header = _parse_quietly(text)
    assert gdf["name"].iloc[0] == "光伏治沙【一期】"
    assert header["数据产生单位"] == "［某］局"


def test_unprefixed_file_uses_zone_from_header():
    text = HEADER.format(zone=38) + PARCELS.replace(",385", ",5")
    gdf, _ = _parse_quietly(text)
    assert gdf.crs.to_epsg() == 4547  # CGCS2000 3-degree CM 114°E, no prefix
    assert gdf.geometry.area.tolist() == pytest.approx([9600.0, 20000.0])
    with pytest.raises(CRSError, match="no zone prefix and 带号 is empty"):
        parse_coord_txt(HEADER.format(zone="") + PARCELS.replace(",385", ",5"))


def test_unprefixed_swapped_columns_detected():
    plain = PARCELS.replace(",385", ",5")
    swapped = re.sub(r"^(J\d+,\d+),([\d.]+),([\d.]+)$", r"\1,\3,\2", plain, flags=re.M)
    reference, _ = parse_coord_txt(HEADER.format(zone=38) + plain)
    with pytest.warns(EcogisWarning, match="swapped"):
        gdf, _ = parse_coord_txt(HEADER.format(zone=38) + swapped)
    np.testing.assert_array_equal(_coords(gdf), _coords(reference))


def test_many_bad_counts_grouped_into_one_warning():
    parcel = PARCELS.split("4,2.0000,DK02")[1]
    text = HEADER.format(zone=38) + "".join(f"9,2.0000,P{i}{parcel}" for i in range(20))
    with pytest.warns(EcogisWarning) as rec:
        gdf, _ = parse_coord_txt(text)
    assert len(gdf) == 20
    assert len(rec) == 1
    assert "P0 " in str(rec[0].message) and "... and 12 more" in str(rec[0].message)


def test_write_multipart_with_island_in_hole_round_trips():
    outer = Polygon(
        [(38512000, 4681000), (38512300, 4681000), (38512300, 4681300), (38512000, 4681300)],
        [[(38512100, 4681100), (38512200, 4681100), (38512200, 4681200), (38512100, 4681200)]],
    )
    island = box(38512130, 4681130, 38512170, 4681170)
    far = box(38513000, 4681000, 38513050, 4681050)
    geom = MultiPolygon([outer, island, far])
    gdf = gpd.GeoDataFrame({"parcel_id": ["M1"], "name": ["多部件"]}, geometry=[geom], crs=4526)
    text = format_coord_txt(gdf)
    rings = [ln.split(",")[1] for ln in text.splitlines() if ln.startswith("J")]
    assert sorted(set(rings), key=int) == ["1", "2", "3", "4"]  # one number per ring
    names = [ln.split(",")[0] for ln in text.splitlines() if ln.startswith("J")]
    assert names[-1] == "J13" and names.count("J1") == 2  # J1..J16 minus closings: 4 rings x 4
    back, _ = _parse_quietly(text)
    got = back.geometry.iloc[0]
    assert isinstance(got, MultiPolygon) and len(got.geoms) == 3
    assert got.area == pytest.approx(geom.area)
    assert got.symmetric_difference(geom).area == pytest.approx(0.0, abs=1e-6)


def test_write_comma_in_name_is_replaced_with_warning():
    gdf = gpd.GeoDataFrame(
        {"parcel_id": ["A,1"], "name": ["甲,乙"]},
        geometry=[box(38512000, 4681000, 38512100, 4681100)],
        crs=4526,
    )
    with pytest.warns(EcogisWarning, match="comma"):
        text = format_coord_txt(gdf)
    back, _ = _parse_quietly(text)
    assert back["parcel_id"].iloc[0] == "A、1" and back["name"].iloc[0] == "甲、乙"


def test_write_unencodable_name_suggests_gb18030(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"parcel_id": ["A1"], "name": ["\U00020000地块"]},  # CJK Ext. B: not in GBK
        geometry=[box(38512000, 4681000, 38512100, 4681100)],
        crs=4526,
    )
    with pytest.raises(LayerError, match="gb18030"):
        write_coord_txt(gdf, tmp_path / "x.txt")
    assert not (tmp_path / "x.txt").exists()
    out = write_coord_txt(gdf, tmp_path / "x.txt", encoding="gb18030")
    assert read_coord_txt(out)["name"].iloc[0] == "\U00020000地块"


def test_project_section_crlf_and_unclosed_ring_counted_as_closed():
    # DK02 (the last parcel) loses its closing J1 but still declares 4 points
    body = TEXT.rsplit("J1,1,4682000.000,38513000.000\n", 1)[0]
    text = "【项目信息】\r\n项目名称=正镶白旗光伏治沙项目\r\n" + body.replace("\n", "\r\n")
    with pytest.warns(EcogisWarning, match="DK02.*closed it") as rec:
        gdf, _ = parse_coord_txt(text)
    assert len(rec) == 1  # the declared 4 counts the closing point: no count warning
    assert gdf.attrs["coordtxt"]["sections"]["项目信息"] == {"项目名称": "正镶白旗光伏治沙项目"}
    assert gdf.geometry.area.tolist() == pytest.approx([9600.0, 20000.0])
    assert gdf["line"].iloc[0] == DK01_LINE + 2


def test_self_intersecting_parcel_warns_and_is_kept():
    text = HEADER.format(zone=38) + (
        "5,0.0000,BT1,领结,面,,,,@\n"
        "J1,1,4681000.000,38512000.000\n"
        "J2,1,4681100.000,38512100.000\n"
        "J3,1,4681100.000,38512000.000\n"
        "J4,1,4681000.000,38512100.000\n"
        "J1,1,4681000.000,38512000.000\n"
    )
    with pytest.warns(EcogisWarning, match=r"BT1.*not a valid polygon.*Self-intersection"):
        gdf, _ = parse_coord_txt(text)
    assert len(gdf) == 1 and not gdf.geometry.iloc[0].is_valid

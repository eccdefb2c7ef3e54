"""Tables for people: encodings, sheets, and no formula injection."""

import openpyxl
import pandas as pd
import pytest

from ecogis.errors import LayerError
from ecogis.io.tables import write_table, write_tables

HOSTILE = '=HYPERLINK("http://example.invalid","点击")'


def test_csv_has_bom_and_chinese(tmp_path):
    p = write_table(pd.DataFrame({"乡镇": ["明安图镇"], "area_mu": [750.0]}), tmp_path / "t.csv")
    raw = p.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "明安图镇" in raw.decode("utf-8-sig")


def test_formulas_stay_text_in_xlsx(tmp_path):
    df = pd.DataFrame({"name": [HOSTILE, "@SUM(A1)", "正常"], "n": [1, -2, 3]})
    p = write_tables({"sites": df, "rules": df}, tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(p)
    assert wb.sheetnames == ["sites", "rules"]
    cells = [c for c in wb["sites"]["A"]][1:]
    assert [c.value for c in cells] == [HOSTILE, "@SUM(A1)", "正常"]
    assert {c.data_type for c in cells} == {"s"}
    assert [c.value for c in wb["sites"]["B"]][1:] == [1, -2, 3]


def test_formulas_are_defused_in_csv_numbers_kept(tmp_path):
    df = pd.DataFrame({"name": [HOSTILE, "-5", "+86 电话", "正常"], "n": [1.5, -2.0, 3.0, 4.0]})
    p = write_table(df, tmp_path / "t.csv")
    back = pd.read_csv(p, encoding="utf-8-sig", dtype={"name": str})
    assert back["name"].tolist() == ["'" + HOSTILE, "-5", "'+86 电话", "正常"]
    assert back["n"].tolist() == [1.5, -2.0, 3.0, 4.0]


def test_geometry_dropped_and_bad_suffix(tmp_path):
    import geopandas as gpd
    from shapely.geometry import Point

    gdf = gpd.GeoDataFrame({"a": [1]}, geometry=[Point(0, 0)], crs=4547)
    p = write_table(gdf, tmp_path / "g.csv")
    assert pd.read_csv(p, encoding="utf-8-sig").columns.tolist() == ["a"]
    with pytest.raises(LayerError, match="allowed: .csv, .xlsx"):
        write_table(gdf, tmp_path / "g.ods")
    with pytest.raises(LayerError, match="file exists"):
        write_table(gdf, p)


def test_a_unit_ending_a_title_goes_on_its_own_line_and_reads_back(tmp_path):
    """可用面积（亩） in a narrow column: the unit on a line of its own, whole; a bracket inside a
    title (a layer label) is no unit; the file reads back with one-line titles."""
    from ecogis.io.tables import read_table
    from ecogis.tables import Column, people_table

    df = pd.DataFrame({"mu": [1.5], "share": [0.25]})
    cols = [
        Column("mu", "可用面积（亩）", "mu"),
        Column("share", "数字高程模型（30 m） share", "share"),
    ]
    path = write_tables({"t": people_table(df, cols)}, tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(path)["t"]
    header = next(r for r in ws.iter_rows(values_only=True) if r[0] and "面积" in str(r[0]))
    assert header == ("可用面积\n（亩）", "数字高程模型（30 m） share")
    back = read_table(path)
    assert list(back.columns)[:2] == ["可用面积（亩）", "数字高程模型（30 m） share"]

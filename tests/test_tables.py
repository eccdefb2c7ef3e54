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

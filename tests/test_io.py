import warnings

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import Polygon, box

from ecogis.errors import CRSError, EcogisWarning, GeometryError, LayerError
from ecogis.io import read_layer, write_layer, write_layers
from ecogis.io.encoding import detect_dbf_encoding

from conftest import gpkg_validator, shared_data

BOWTIE = Polygon(
    [(500_000, 4_700_000), (501_000, 4_701_000), (501_000, 4_700_000), (500_000, 4_701_000)]
)


def chinese_layer():
    return gpd.GeoDataFrame(
        {"BSM": ["1", "2"], "XZQMC": ["明安图镇", "宝力根陶海苏木"]},
        geometry=[
            box(500_000, 4_700_000, 501_000, 4_701_000),
            box(502_000, 4_700_000, 503_000, 4_701_000),
        ],
        crs=4547,
    )


def test_real_gbk_shapefile_with_code_page_byte():
    gdf = read_layer(shared_data("gbk_dbf", "chinese.shp"), check_crs=False)
    assert gdf["NAME"].tolist() == ["简体"]


@pytest.mark.parametrize("name", ["gbk.dbf", "gb2312.dbf"])
def test_real_gbk_dbf_without_cpg_or_code_page_is_detected(name):
    path = shared_data("gbk_dbf", name)
    assert detect_dbf_encoding(path) == "GB18030"
    table = pyogrio.read_dataframe(path, encoding=detect_dbf_encoding(path), read_geometry=False)
    assert table["NAME"].tolist() == ["简体国语"]


def test_real_boundary_utf8_dbf_without_cpg_reads_correctly():
    path = shared_data("admin_boundaries", "neimenggu_districts_2020.shp")
    with pytest.warns(EcogisWarning, match="decoded as UTF-8"):
        gdf = read_layer(path, crs="EPSG:4326")
    assert "正镶白旗" in gdf["name"].tolist()
    assert len(gdf) == 103


def test_gbk_shapefile_without_cpg_written_by_another_tool(tmp_path):
    # what desktop GIS in China often produces: GBK text, no .cpg, LDID 0
    path = tmp_path / "townships.shp"
    pyogrio.write_dataframe(chinese_layer(), path, encoding="GBK")
    path.with_suffix(".cpg").unlink()
    raw = bytearray(path.with_suffix(".dbf").read_bytes())
    raw[29] = 0
    path.with_suffix(".dbf").write_bytes(bytes(raw))
    with pytest.warns(EcogisWarning, match="GB18030"):
        gdf = read_layer(path)
    assert gdf["XZQMC"].tolist() == ["明安图镇", "宝力根陶海苏木"]


def test_shapefile_is_written_with_cpg_and_round_trips(tmp_path):
    out = write_layer(chinese_layer(), tmp_path / "t.shp")
    assert out.with_suffix(".cpg").read_text() == "UTF-8"
    back = read_layer(out)
    assert back["XZQMC"].tolist() == ["明安图镇", "宝力根陶海苏木"]
    assert back.crs.to_epsg() == 4547


def test_long_field_names_truncated_for_shapefile_with_warning(tmp_path):
    gdf = chinese_layer().assign(乡镇名称代码=["a", "b"], 乡镇名称全称=["c", "d"])
    with pytest.warns(EcogisWarning, match="10 bytes"):
        out = write_layer(gdf, tmp_path / "t.shp")
    cols = set(read_layer(out).columns)
    assert len(cols) == 5  # nothing collapsed into one column


def test_geopackage_named_layers(tmp_path):
    p = write_layers(
        {"stbhhx": chinese_layer(), "czkfbj": chinese_layer().iloc[:1]}, tmp_path / "plan.gpkg"
    )
    assert len(read_layer(p, layer="czkfbj")) == 1
    assert len(read_layer(f"{p}|layer=stbhhx")) == 2
    with pytest.raises(LayerError, match="holds 2 layers; name one"):
        read_layer(p)
    with pytest.raises(LayerError, match="no layer 'x'; layers in this file: stbhhx, czkfbj"):
        read_layer(p, layer="x")


def test_geojson_and_filegdb(tmp_path):
    p = write_layer(chinese_layer(), tmp_path / "a.geojson")
    assert read_layer(p)["XZQMC"].iloc[0] == "明安图镇"
    gdb = tmp_path / "plan.gdb"
    pyogrio.write_dataframe(chinese_layer(), gdb, layer="stbhhx", driver="OpenFileGDB")
    assert read_layer(gdb, layer="stbhhx")["XZQMC"].iloc[1] == "宝力根陶海苏木"


def test_csv_with_wkt(tmp_path):
    p = tmp_path / "sites.csv"
    p.write_text(
        'id,name,wkt\n1,光伏一号,"POLYGON ((114 42, 114.01 42, 114.01 42.01, 114 42))"\n',
        encoding="utf-8",
    )
    with pytest.raises(CRSError, match="no CRS"):
        read_layer(p)
    gdf = read_layer(p, crs="EPSG:4490")
    assert gdf["name"].iloc[0] == "光伏一号"
    p.write_text("id,wkt\n1,POLYGON ((0 0, 1\n", encoding="utf-8")
    with pytest.raises(LayerError, match="line 2: column wkt: not WKT"):
        read_layer(p, crs=4490)


def test_missing_unreadable_and_unsupported(tmp_path):
    with pytest.raises(LayerError, match="file not found"):
        read_layer(tmp_path / "none.gpkg")
    bad = tmp_path / "broken.gpkg"
    bad.write_bytes(b"not a geopackage at all")
    with pytest.raises(LayerError, match="broken.gpkg: cannot"):
        read_layer(bad)
    (tmp_path / "x.kml").write_text("<kml/>")
    with pytest.raises(LayerError, match="unsupported format"):
        read_layer(tmp_path / "x.kml")


def test_truncated_shapefile(tmp_path):
    out = write_layer(chinese_layer(), tmp_path / "t.shp")
    data = out.read_bytes()
    out.write_bytes(data[: len(data) // 2])
    with pytest.raises(LayerError, match="t.shp"):
        read_layer(out)


def test_wrong_geometry_type(tmp_path):
    pts = gpd.GeoDataFrame(
        {"id": [1]}, geometry=gpd.points_from_xy([500_000], [4_700_000]), crs=4547
    )
    p = write_layer(pts, tmp_path / "p.gpkg")
    with pytest.raises(LayerError, match="expected polygon geometries, found Point x1"):
        read_layer(p, geom_type="polygon")


def test_bowtie_repaired_with_warning_or_refused(tmp_path):
    gdf = chinese_layer()
    gdf.loc[1, "geometry"] = BOWTIE
    p = write_layer(gdf, tmp_path / "farm.gpkg")
    with pytest.warns(
        EcogisWarning, match=r"repaired 1 invalid geometry with make_valid: 2 \(Self-intersection"
    ):
        fixed = read_layer(p)
    assert fixed.is_valid.all()
    assert fixed.geometry.iloc[1].area == pytest.approx(500_000)
    assert set(fixed.geom_type) <= {"Polygon", "MultiPolygon"}
    with pytest.raises(GeometryError, match="1 invalid geometry: 2"):
        read_layer(p, on_invalid="raise")


def test_empty_geometries_dropped_with_warning(tmp_path):
    gdf = chinese_layer()
    gdf.loc[0, "geometry"] = Polygon()
    p = write_layer(gdf, tmp_path / "e.gpkg")
    with pytest.warns(EcogisWarning, match="dropped 1 feature.*empty geometry: 1"):
        out = read_layer(p)
    assert out["BSM"].tolist() == ["2"]


def test_swapped_xy_refused_with_hint(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"id": [1]}, geometry=[box(4_660_000, 38_507_000, 4_661_000, 38_508_000)], crs=4526
    )
    p = write_layer(gdf, tmp_path / "s.gpkg")
    with pytest.raises(CRSError, match="swapped"):
        read_layer(p)


def test_no_crs_refused_and_declared_crs_accepted(tmp_path):
    p = write_layer(chinese_layer().set_crs(None, allow_override=True), tmp_path / "n.shp")
    assert not p.with_suffix(".prj").exists()
    with pytest.raises(CRSError, match="n.shp: layer has no CRS"):
        read_layer(p)
    assert read_layer(p, crs="EPSG:4547").crs.to_epsg() == 4547


def test_write_refuses_existing_without_overwrite_and_is_atomic(tmp_path):
    p = write_layer(chinese_layer(), tmp_path / "a.gpkg")
    with pytest.raises(LayerError, match="file exists"):
        write_layer(chinese_layer(), p)
    before = p.read_bytes()

    bad = chinese_layer()
    bad["z"] = [1 + 2j, 3j]  # complex numbers: GDAL cannot store them, the write fails
    with pytest.raises(LayerError):
        write_layer(bad, p, overwrite=True)
    assert p.read_bytes() == before
    assert [f.name for f in tmp_path.iterdir()] == ["a.gpkg"]  # no temp file left


def test_write_into_missing_folder(tmp_path):
    with pytest.raises(LayerError, match="does not exist"):
        write_layer(chinese_layer(), tmp_path / "no" / "a.gpkg")


def test_shapefile_overwrite_replaces_sidecars(tmp_path):
    p = write_layer(chinese_layer(), tmp_path / "a.shp")
    p.with_suffix(".qix").write_bytes(b"stale index")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        write_layer(chinese_layer().iloc[:1], p, overwrite=True)
    assert not p.with_suffix(".qix").exists()
    assert len(read_layer(p)) == 1


def test_outputs_onto_database_inputs_are_compared_by_schema_and_table(monkeypatch):
    """Same server, database, schema and table: refused; another table or schema: fine; the
    registry's schema is refused whole (no server needed: the URIs are compared)."""
    from ecogis.errors import LayerError
    from ecogis.io.targets import refuse_onto_inputs

    monkeypatch.delenv("PGHOST", raising=False)
    monkeypatch.delenv("PGPORT", raising=False)
    red = "postgresql://gis@db:5432/county?table=plan.redline"
    with pytest.raises(LayerError, match="its own input"):
        refuse_onto_inputs("postgresql://gis@db/county?schema=plan", [red], tables=["redline"])
    with pytest.raises(LayerError, match="its own input"):  # the port is libpq's default
        refuse_onto_inputs("postgres://db/county#plan.redline", [red])
    refuse_onto_inputs("postgresql://gis@db/county?schema=plan", [red], tables=["conflicts"])
    refuse_onto_inputs("postgresql://gis@db/county?schema=out", [red], tables=["redline"])
    refuse_onto_inputs("postgresql://gis@other/county?schema=plan", [red], tables=["redline"])
    with pytest.raises(LayerError, match="registry"):
        refuse_onto_inputs(
            "postgresql://gis@db/county?schema=restoration",
            [],
            tables=["conflicts"],
            registry="postgresql://gis@db/county?schema=restoration",
        )


def test_writing_a_geopackage_keeps_its_other_layers(tmp_path):
    """A layer someone keeps in the output GeoPackage survives ecogis writing there; ecogis'
    own layers are replaced, with their column titles; the file is a valid GeoPackage."""
    import sqlite3
    import subprocess

    import pyogrio

    from ecogis.io.vector import write_layers

    out = tmp_path / "shared.gpkg"
    notes = gpd.GeoDataFrame({"备注": ["核查"]}, geometry=[box(0, 0, 1, 1)], crs=4547)
    pyogrio.write_dataframe(notes, out, layer="my_notes", dataset_options={"VERSION": "1.3"})
    a = gpd.GeoDataFrame({"x": [1]}, geometry=[box(0, 0, 2, 2)], crs=4547)
    write_layers({"conflicts": a}, out, overwrite=True, titles={"conflicts": {"x": "甲"}})
    b = gpd.GeoDataFrame({"y": [1, 2]}, geometry=[box(0, 0, 2, 2)] * 2, crs=4547)
    write_layers({"conflicts": b}, out, overwrite=True, titles={"conflicts": {"y": "乙"}})
    assert sorted(pyogrio.list_layers(out)[:, 0]) == ["conflicts", "my_notes"]
    assert list(gpd.read_file(out, layer="conflicts").columns) == ["y", "geometry"]
    assert list(gpd.read_file(out, layer="my_notes")["备注"]) == ["核查"]
    con = sqlite3.connect(out)
    assert con.execute("SELECT column_name, name FROM gpkg_data_columns").fetchall() == [
        ("y", "乙")
    ]
    con.close()
    validator = gpkg_validator()
    if validator is not None:
        check = subprocess.run([*validator, str(out)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr

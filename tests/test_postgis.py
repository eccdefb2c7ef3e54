"""PostGIS source and sink, against a real server (``ECOGIS_TEST_POSTGIS``, see tests/run.sh)."""

from __future__ import annotations

import socket
import uuid

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import box

from ecogis.config import load_config
from ecogis.errors import DataSourceError, LayerError
from ecogis.io.postgis import (
    connect,
    list_postgis_layers,
    parse_postgis_uri,
    read_postgis_layer,
    write_postgis_layers,
)
from ecogis.io.vector import read_layer, write_layer, write_layers

pytestmark = pytest.mark.postgis

X0, Y0 = 500_000.0, 4_700_000.0  # EPSG:4547 (CGCS2000 GK CM 114E), Xilingol


@pytest.fixture
def schema(pg_uri):
    """A fresh schema per test, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:10]}"
    yield name
    with connect(pg_uri) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        conn.commit()


def with_table(uri: str, table: str) -> str:
    return uri + ("&" if "?" in uri else "?") + f"table={table}"


def parcels() -> gpd.GeoDataFrame:
    """Chinese names and codes, a Polygon and a MultiPolygon, ints, floats and a missing value."""
    return gpd.GeoDataFrame(
        {
            "XZQMC": ["明安图镇", "宝绍岱苏木", "乌兰查布苏木"],
            "DLMC": ["天然牧草地", "采矿用地（废弃）", None],
            "BSM": [101, 102, 103],
            "MJ_MU": [1500.0, 2.5, 10000 / 15],
        },
        geometry=[
            box(X0, Y0, X0 + 1000, Y0 + 1000),
            shapely.MultiPolygon(
                [box(X0 + 2000, Y0, X0 + 2500, Y0 + 500), box(X0 + 3000, Y0, X0 + 3100, Y0 + 90)]
            ),
            box(X0 - 800, Y0 - 800, X0 - 10, Y0 - 10).difference(
                box(X0 - 500, Y0 - 500, X0 - 400, Y0 - 400)
            ),
        ],
        crs="EPSG:4547",
    )


def as_multi(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    return geoms.apply(lambda g: shapely.MultiPolygon([g]) if g.geom_type == "Polygon" else g)


# ---------------------------------------------------------------------------------------------
# URIs and credentials (no server needed)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "uri",
    [
        "postgresql://gis@db.example:5433/bureau?table=planning.redline",
        "postgresql://gis@db.example:5433/bureau#planning.redline",
        "postgresql://gis@db.example:5433/bureau|layer=planning.redline",
        "postgres://gis@db.example:5433/bureau?table=planning.redline",
        "postgresql+psycopg://gis@db.example:5433/bureau?table=planning.redline",
    ],
)
def test_uri_forms_name_the_same_table(uri):
    src = parse_postgis_uri(uri)
    assert (src.schema, src.table) == ("planning", "redline")
    assert src.conninfo == "postgresql://gis@db.example:5433/bureau"
    assert src.label == "postgresql://gis@db.example:5433/bureau"


def test_uri_keeps_libpq_options_and_layer_overrides():
    src = parse_postgis_uri(
        "postgresql:///?service=bureau&table=redline&sslmode=require", layer="other.t"
    )
    assert src.conninfo == "postgresql:///?service=bureau&sslmode=require"
    assert (src.schema, src.table) == ("other", "t")
    assert src.qualified == "other.t"
    assert parse_postgis_uri("postgresql://u@h/db?table=t").qualified == "public.t"


@pytest.mark.parametrize(
    "uri",
    [
        "postgresql://gis:s3cret@db.example/bureau?table=redline",
        "postgresql://gis@db.example/bureau?password=s3cret&table=redline",
    ],
)
def test_password_in_uri_is_refused_without_echoing_it(uri):
    with pytest.raises(DataSourceError, match="PGPASSWORD") as err:
        parse_postgis_uri(uri)
    assert "s3cret" not in str(err.value)
    assert "service" in str(err.value)


@pytest.mark.parametrize(
    "uri",
    [
        "postgresql://gis@db.example/bureau?%70assword=s3cret&table=redline",
        "postgresql://gis@db.example/bureau?PassWord=s3cret",
        "postgresql://gis@db.example/bureau?sslpassword=s3cret",
        "pg://gis:s3cret@db.example/bureau|layer=plan.redline",
        "postgresql://gis:s3/cr@et@db.example/bureau#plan.redline",
    ],
)
def test_password_in_any_libpq_spelling_is_refused_and_redacted(uri):
    """libpq decodes keys and values: ``%70assword`` is ``password``. Refused before
    connecting, and never echoed (the message names the URI with *** in its place)."""
    from ecogis.config import redact_text, uri_secrets

    assert uri_secrets(uri)
    with pytest.raises(DataSourceError, match="password") as err:
        parse_postgis_uri(uri)
    assert "s3cret" not in str(err.value) and "cr@et" not in str(err.value)
    assert "s3cret" not in redact_text(f"while reading {uri}: failed")


def test_names_holding_percent_and_quotes_are_written_and_read(pg_uri):
    """Statements are built with psycopg.sql: a schema and table named with %s, %% and a
    single quote (valid PostgreSQL identifiers) are written, indexed and read back."""
    odd_schema = f"t_{uuid.uuid4().hex[:6]}_%s'q"
    gdf = parcels()
    uri = pg_uri + ("&" if "?" in pg_uri else "?") + "schema=" + odd_schema.replace("%", "%25")
    try:
        write_postgis_layers({"r%s_%%x": gdf}, uri)
        write_postgis_layers({"r%s_%%x": gdf}, uri, overwrite=True)  # DROP TABLE path too
        back = read_postgis_layer(pg_uri, layer=f"{odd_schema}.r%s_%%x")
        assert len(back) == 3 and sorted(back["BSM"]) == [101, 102, 103]
    finally:
        from psycopg import sql

        with connect(pg_uri) as conn:
            conn.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(odd_schema))
            )
            conn.commit()


def test_schema_names_are_validated_like_table_names():
    with pytest.raises(DataSourceError, match="bad schema name"):
        parse_postgis_uri('postgresql:///bureau?schema=s";DROP TABLE x;--')


def test_password_in_uri_is_refused_by_read_layer():
    with pytest.raises(DataSourceError, match="password"):
        read_layer("postgresql://gis:pw@localhost/bureau?table=redline")


def test_connection_refused_is_one_line_data_source_error():
    # a port nobody listens on: bind, note the port, close
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    uri = f"postgresql://nobody@127.0.0.1:{port}/nodb?table=public.redline"
    with pytest.raises(DataSourceError) as err:
        read_layer(uri)
    msg = str(err.value)
    assert "\n" not in msg
    assert f"127.0.0.1:{port}/nodb" in msg
    assert "refused" in msg.lower()
    assert err.value.exit_code == 2
    with pytest.raises(DataSourceError, match="cannot connect") as err:
        write_postgis_layers({"x": parcels()}, uri)
    assert "\n" not in str(err.value)


# ---------------------------------------------------------------------------------------------
# round trips
# ---------------------------------------------------------------------------------------------


def test_round_trip_chinese_attributes_and_crs(pg_uri, schema):
    gdf = parcels()
    geo = gdf.to_crs("EPSG:4490")
    write_postgis_layers({"parcels": gdf, "parcels_4490": geo}, pg_uri, schema=schema)

    back = read_postgis_layer(with_table(pg_uri, f"{schema}.parcels"))
    assert back.crs.to_epsg() == 4547
    assert list(back.columns) == ["XZQMC", "DLMC", "BSM", "MJ_MU", "geometry"]
    assert back["XZQMC"].tolist() == gdf["XZQMC"].tolist()
    assert back["DLMC"].tolist()[:2] == ["天然牧草地", "采矿用地（废弃）"]
    assert back["DLMC"].isna().tolist() == [False, False, True]
    assert back["BSM"].tolist() == [101, 102, 103]
    np.testing.assert_allclose(back["MJ_MU"], gdf["MJ_MU"], rtol=0, atol=0)
    # polygons and multipolygons share one MultiPolygon column; the shapes are unchanged
    assert set(back.geom_type) == {"MultiPolygon"}
    assert back.geometry.geom_equals_exact(as_multi(gdf.geometry), tolerance=0).all()

    back4490 = read_postgis_layer(pg_uri + "#" + f"{schema}.parcels_4490")
    assert back4490.crs.to_epsg() == 4490
    assert back4490.geometry.geom_equals_exact(as_multi(geo.geometry), tolerance=0).all()

    with connect(pg_uri) as conn:
        cols = conn.execute(
            "SELECT f_table_name, type, srid FROM geometry_columns WHERE f_table_schema = %s "
            "ORDER BY 1",
            (schema,),
        ).fetchall()
        gist = conn.execute(
            "SELECT count(*) FROM pg_indexes WHERE schemaname = %s AND indexdef ILIKE '%%gist%%'",
            (schema,),
        ).fetchone()[0]
        pk = conn.execute(
            "SELECT count(*) FROM pg_indexes WHERE schemaname = %s AND indexname LIKE '%%pkey'",
            (schema,),
        ).fetchone()[0]
    assert cols == [("parcels", "MULTIPOLYGON", 4547), ("parcels_4490", "MULTIPOLYGON", 4490)]
    assert gist == 2
    assert pk == 2
    assert f"{schema}.parcels" in list_postgis_layers(pg_uri)


def test_read_layer_from_config_uri(pg_uri, schema, tmp_path):
    gdf = parcels()
    # an invalid bow-tie is repaired by read_layer, as for files
    bowtie = shapely.Polygon([(X0, Y0 + 5000), (X0 + 100, Y0 + 5100), (X0 + 100, Y0 + 5000),
                              (X0, Y0 + 5100)])  # fmt: skip
    gdf = gpd.GeoDataFrame(
        {"XZQMC": [*gdf["XZQMC"], "桑根达来镇"]},
        geometry=[*gdf.geometry, bowtie],
        crs=gdf.crs,
    )
    write_postgis_layers({f"{schema}.redline": gdf}, pg_uri)
    cfg_path = tmp_path / "project.yaml"
    cfg_path.write_text(
        "name: 测试\ncrs: EPSG:4547\nlayers:\n"
        f"  redline: {{path: '{with_table(pg_uri, schema + '.redline')}', role: control, "
        "label: 生态保护红线}\n",
        encoding="utf-8",
    )
    cfg = load_config(cfg_path)
    spec = cfg.layer("redline")
    with pytest.warns(Warning, match="invalid"):
        got = read_layer(spec.path, layer=spec.layer, name=spec.name)
    assert got.crs.to_epsg() == 4547
    assert got["XZQMC"].tolist() == ["明安图镇", "宝绍岱苏木", "乌兰查布苏木", "桑根达来镇"]
    assert got.is_valid.all()
    assert got.geometry.iloc[3].area == pytest.approx(5000.0)


def test_missing_table_lists_what_exists(pg_uri, schema):
    write_postgis_layers({f"{schema}.redline": parcels()}, pg_uri)
    with pytest.raises(LayerError, match=rf"no such table.*{schema}\.redline") as err:
        read_layer(with_table(pg_uri, f"{schema}.nothere"))
    assert f"{schema}.nothere" in str(err.value)
    with pytest.raises(LayerError, match="no table named"):
        read_layer(pg_uri)


def test_existing_table_needs_overwrite(pg_uri, schema):
    uri = with_table(pg_uri, f"{schema}.redline")
    write_layer(parcels(), uri)
    with pytest.raises(LayerError, match="table exists"):
        write_layer(parcels().iloc[:1], uri)
    assert len(read_layer(uri)) == 3
    write_layer(parcels().iloc[:1], uri, overwrite=True)
    assert read_layer(uri)["XZQMC"].tolist() == ["明安图镇"]


def test_two_tables_one_transaction_all_or_nothing(pg_uri, schema):
    good = parcels()
    # the second layer fails inside the database, after the first table was created:
    # PostgreSQL refuses a NUL byte in text
    bad = parcels()
    bad["XZQMC"] = ["ok", "bad\x00value", "ok"]
    with pytest.raises(LayerError, match="nothing written|cannot write"):
        write_layers({f"{schema}.first": good, f"{schema}.second": bad}, pg_uri)
    with connect(pg_uri) as conn:
        left = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = %s", (schema,)
        ).fetchone()[0]
    assert left == 0
    # and a later existing-table conflict leaves an earlier replacement untouched too
    write_postgis_layers({"a": good}, pg_uri, schema=schema)
    write_postgis_layers({"b": good}, pg_uri, schema=schema)
    with pytest.raises(LayerError, match="exists"):
        write_postgis_layers({"a": good.iloc[:1], "b": good.iloc[:1]}, pg_uri, schema=schema,
                             overwrite=False)  # fmt: skip
    assert len(read_postgis_layer(with_table(pg_uri, f"{schema}.a"))) == 3


def test_write_layer_needs_a_table_name(pg_uri, schema):
    with pytest.raises(LayerError, match="no table named"):
        write_layer(parcels(), pg_uri)
    write_layer(parcels(), pg_uri, layer=f"{schema}.by_layer")
    assert len(read_layer(pg_uri, layer=f"{schema}.by_layer")) == 3


def test_uri_table_with_several_layers_is_refused(pg_uri, schema):
    with pytest.raises(LayerError, match="names one table"):
        write_postgis_layers({"a": parcels(), "b": parcels()}, with_table(pg_uri, "x"))

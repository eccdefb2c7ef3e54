"""`--engine dask` gives the local engine's results; outputs can go to PostGIS."""

import uuid
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from ecogis.cli import cli


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _conflicts(path):
    gdf = gpd.read_file(path, layer="conflicts")
    return gdf.sort_values(["layer_a", "layer_b", "id_a", "id_b", "township"]).reset_index(
        drop=True
    )


def test_controls_dask_equals_local_on_demo(demo, tmp_path):
    local, dask = tmp_path / "local.gpkg", tmp_path / "dask.gpkg"
    assert run("controls", "-c", demo.config_path, "-o", local).exit_code == 0
    r = run("controls", "-c", demo.config_path, "-o", dask, "--engine", "dask", "--partitions", "3")
    assert r.exit_code == 0, r.output
    a, b = _conflicts(local), _conflicts(dask)
    assert len(a) == len(demo.planted["conflicts"])
    pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"), rtol=1e-9)
    assert np.allclose(a.area, b.area, rtol=1e-9)
    for layer in ("slivers", "self_overlaps", "invalid"):
        assert len(gpd.read_file(local, layer=layer)) == len(gpd.read_file(dask, layer=layer))


def test_screen_dask_equals_local_on_demo(demo, tmp_path):
    sites = demo.layers["sites"]
    outs = {}
    for engine in ("local", "dask"):
        out = tmp_path / f"{engine}.csv"
        r = run(
            "screen",
            sites,
            "-c",
            demo.config_path,
            "-r",
            "pv_sand_control",
            "--csv",
            out,
            "--engine",
            engine,
        )
        assert r.exit_code == 0, r.output
        outs[engine] = pd.read_csv(out, encoding="utf-8-sig")
    pd.testing.assert_frame_equal(outs["local"], outs["dask"])
    assert (
        dict(zip(outs["dask"]["site_id"], outs["dask"]["verdict"], strict=True))
        == demo.planted["sites"]
    )


def test_scheduler_needs_dask_engine(demo):
    r = run("controls", "-c", demo.config_path, "--scheduler", "tcp://127.0.0.1:1")
    assert r.exit_code == 2 and "need --engine dask" in r.output


def test_dask_storage_holds_the_parts_workers_read(demo, tmp_path, monkeypatch):
    """--dask-storage DIR: worker processes read the larger layer's parts from DIR (a folder
    every machine of a cluster mounts); it is empty again afterwards."""
    import ecogis.overlay.dask_engine as dask_engine

    shared = tmp_path / "shared"
    shared.mkdir()
    seen = []
    real = dask_engine.partition_layer

    def spy(*args, **kwargs):
        seen.append(kwargs.get("storage"))
        return real(*args, **kwargs)

    monkeypatch.setattr(dask_engine, "partition_layer", spy)
    local, dask = tmp_path / "local.gpkg", tmp_path / "dask.gpkg"
    assert run("controls", "-c", demo.config_path, "-o", local).exit_code == 0
    r = run("controls", "-c", demo.config_path, "-o", dask, "--engine", "dask",
            "--scheduler", "processes", "--partitions", "2", "--dask-storage", shared)  # fmt: skip
    assert r.exit_code == 0, r.output
    assert seen and all(Path(s) == shared for s in seen)
    assert list(shared.iterdir()) == []  # removed when the command ends
    a, b = _conflicts(local), _conflicts(dask)
    pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"), rtol=1e-9)
    # not a folder, or without --engine dask: refused before any work
    r = run("controls", "-c", demo.config_path, "--engine", "dask",
            "--dask-storage", tmp_path / "nowhere")  # fmt: skip
    assert r.exit_code == 2 and "not a folder" in r.output
    r = run("controls", "-c", demo.config_path, "--dask-storage", shared)
    assert r.exit_code == 2 and "need --engine dask" in r.output


def test_unreachable_scheduler_is_one_line_error(demo):
    r = run(
        "controls", "-c", demo.config_path, "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9"
    )
    assert r.exit_code == 2, r.output
    errors = [line for line in r.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and "127.0.0.1:9" in errors[0]
    assert "Traceback" not in r.output


@pytest.fixture
def pg_schema_uri(pg_uri):
    uri = pg_uri
    from ecogis.io.postgis import connect

    schema = f"t_{uuid.uuid4().hex[:10]}"
    with connect(uri) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.commit()
    yield uri + ("&" if "?" in uri else "?") + f"schema={schema}", schema
    with connect(uri) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.commit()


@pytest.mark.postgis
def test_controls_and_screen_write_to_postgis(demo, tmp_path, pg_schema_uri):
    from ecogis.io import read_layer

    uri, schema = pg_schema_uri
    gpkg = tmp_path / "c.gpkg"
    assert run("controls", "-c", demo.config_path, "-o", gpkg).exit_code == 0
    r = run("controls", "-c", demo.config_path, "-o", uri)
    assert r.exit_code == 0, r.output
    db = read_layer(uri, layer=f"{schema}.conflicts")
    file = gpd.read_file(gpkg, layer="conflicts")
    assert sorted(db["area_m2"].round(6)) == sorted(file["area_m2"].round(6))
    assert db.crs.to_epsg() == 4547
    # an existing table needs --overwrite, and the failed run leaves it as it was
    r = run("controls", "-c", demo.config_path, "-o", uri)
    assert r.exit_code == 2 and "overwrite" in r.output
    r = run(
        "screen", demo.layers["sites"], "-c", demo.config_path, "-r", "pv_sand_control", "-o", uri
    )
    assert r.exit_code == 0, r.output
    sites = read_layer(uri, layer=f"{schema}.sites")
    assert dict(zip(sites["site_id"], sites["verdict"], strict=True)) == demo.planted["sites"]


def test_dask_equals_local_on_the_benchmark_data():
    """The league-size benchmark's own generator, at 1/200 scale (10 000 land-use patches)."""
    import sys

    from ecogis.overlay.engine import get_engine

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    try:
        from bench_scale import make_layers
    finally:
        sys.path.pop(0)
    landuse, controls = make_layers(0.005)
    local = get_engine("local").intersect_pairs(landuse, controls)
    dask = get_engine("dask", partitions=4).intersect_pairs(landuse, controls)
    assert len(local) > 1000
    assert local["idx_left"].tolist() == dask["idx_left"].tolist()
    assert local["idx_right"].tolist() == dask["idx_right"].tolist()
    np.testing.assert_allclose(local["area_m2"], dask["area_m2"], rtol=1e-12)

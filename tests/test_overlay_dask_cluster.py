"""The dask engine's partitioned dataset, and a real ``dask scheduler`` with ``dask worker``s.

Worker processes read their partitions from a GeoParquet dataset written once by the driver
(ecogis.overlay.partitioned). These tests check the dataset itself, where it is written and
that it is removed (also after an error), the message when a worker cannot read it, and the
whole path against separate scheduler and worker processes started here on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from geopandas import GeoDataFrame

from ecogis.errors import DataSourceError
from ecogis.overlay import dask_engine, intersect_pairs, overlap_area
from ecogis.overlay.dask_engine import intersect_pairs_dask, overlap_area_dask
from ecogis.overlay.partitioned import (
    INDEX_FILE,
    PartitionedLayer,
    _hilbert_index,
    partition_layer,
)

CRS = "EPSG:4547"
X0, Y0 = 500_000.0, 4_700_000.0
REPO = Path(__file__).resolve().parents[1]


def layers(n_side=40, n_blobs=60, seed=0):
    rng = np.random.default_rng(seed)
    step = 10_000.0 / n_side
    cells = [
        shapely.box(X0 + i * step, Y0 + j * step, X0 + (i + 1) * step, Y0 + (j + 1) * step)
        for i in range(n_side)
        for j in range(n_side)
    ]
    cells = np.array(cells, dtype=object)[rng.permutation(len(cells))]  # no spatial order
    blobs = [
        shapely.Point(X0 + x, Y0 + y).buffer(r, 16)
        for x, y, r in zip(
            rng.uniform(0, 10_000, n_blobs), rng.uniform(0, 10_000, n_blobs),
            rng.uniform(100, 900, n_blobs), strict=True,
        )
    ]  # fmt: skip
    left = GeoDataFrame({"DLBM": ["0101"] * len(cells)}, geometry=list(cells), crs=CRS)
    return left, GeoDataFrame(geometry=blobs, crs=CRS)


def assert_same_pairs(want, got):
    assert list(got.columns) == list(want.columns)
    for col in ("idx_left", "idx_right", "relation"):
        assert got[col].tolist() == want[col].tolist()
    np.testing.assert_allclose(got.area_m2, want.area_m2, rtol=1e-12, atol=0)
    if "geometry" in want:
        assert got.geometry.geom_equals_exact(want.geometry, tolerance=0).all()


# -- the dataset -------------------------------------------------------------------------------


@pytest.mark.parametrize("level", [1, 2, 5])
def test_hilbert_index_is_a_hilbert_curve(level):
    # every cell once, and each step of the curve goes to a neighbouring cell
    n = 1 << level
    x, y = (a.ravel() for a in np.meshgrid(np.arange(n), np.arange(n), indexing="ij"))
    d = _hilbert_index(x, y, level)
    assert np.array_equal(np.sort(d), np.arange(n * n))
    o = np.argsort(d)
    assert (np.abs(np.diff(x[o])) + np.abs(np.diff(y[o])) == 1).all()
    assert (x[o][0], y[o][0]) == (0, 0) and (x[o][-1], y[o][-1]) == (n - 1, 0)


def test_partitioned_dataset_on_disk(tmp_path):
    left, _ = layers()
    with partition_layer(left, partitions=7, storage=tmp_path / "shared") as part:
        assert part.path.parent == tmp_path / "shared"
        assert part.path.name.startswith("ecogis-dask-")
        assert part.n_partitions == 7 and len(part) == len(left)
        meta = json.loads((part.path / INDEX_FILE).read_text())
        assert [p["file"] for p in meta["partitions"]] == [f"part.{i}.parquet" for i in range(7)]
        # any GeoParquet reader sees the parts; positions cover the layer exactly once
        pos = []
        for f, b in zip(part.files, part.bounds, strict=True):
            gdf = geopandas.read_parquet(f)
            assert gdf.crs == left.crs
            np.testing.assert_array_equal(gdf.total_bounds, b)
            assert (np.diff(gdf["_pos"]) > 0).all()
            pos.append(gdf["_pos"].to_numpy())
        assert np.array_equal(np.sort(np.concatenate(pos)), np.arange(len(left)))
        # Hilbert runs are compact: their boxes together cover little more than the layer
        box_area = np.prod(part.bounds[:, 2:] - part.bounds[:, :2], axis=1).sum()
        assert box_area < 1.6 * left.union_all().area
        back = part.read()
        assert back.geometry.geom_equals_exact(left.geometry.reset_index(drop=True), 0).all()
        again = PartitionedLayer.open(part.path)
        np.testing.assert_array_equal(again.bounds, part.bounds)
        assert again.crs == left.crs and len(again) == len(left)
    assert not part.path.exists()
    assert list((tmp_path / "shared").iterdir()) == []


@pytest.fixture(scope="module")
def inproc_client():
    distributed = pytest.importorskip("distributed")
    # a random HTTP port: with the default 8787 taken (another test session), distributed warns
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_default_storage_is_a_temporary_folder_removed_after(tmp_path, monkeypatch, inproc_client):
    left, right = layers()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    seen = []
    real = dask_engine.read_part

    def spy(file):
        seen.append(Path(file))
        assert Path(file).exists()
        return real(file)

    monkeypatch.setattr(dask_engine, "read_part", spy)
    got = intersect_pairs_dask(left, right, partitions=5, scheduler=inproc_client)
    assert_same_pairs(intersect_pairs(left, right), got)
    # every part was read by a task, from an ecogis-dask-* folder in the temporary folder
    assert sorted(p.name for p in seen) == [f"part.{i}.parquet" for i in range(5)]
    assert {p.parent.parent for p in seen} == {tmp_path}
    assert list(tmp_path.iterdir()) == []  # and it is gone


def test_dataset_removed_after_an_error(tmp_path, monkeypatch, inproc_client):
    left, right = layers()

    def broken(file):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(dask_engine, "read_part", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        intersect_pairs_dask(left, right, partitions=3, scheduler=inproc_client,
                             storage=tmp_path)  # fmt: skip
    assert list(tmp_path.iterdir()) == []


def test_worker_that_cannot_read_the_dataset(tmp_path, inproc_client):
    left, right = layers()
    part = partition_layer(left, partitions=4, storage=tmp_path)
    part.files[2].unlink()  # as a worker on a machine without the shared folder sees it
    with pytest.raises(DataSourceError, match=r"part\.2\.parquet not found.*storage="):
        intersect_pairs_dask(part, right, scheduler=inproc_client)
    part.remove()


def test_storage_that_cannot_be_written(tmp_path):
    left, right = layers()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(DataSourceError, match="cannot write the dask partitions there"):
        intersect_pairs_dask(left, right, scheduler="processes", storage=blocker / "sub")


def test_a_dataset_written_once_serves_several_calls(tmp_path, inproc_client):
    left, right = layers()
    with partition_layer(left, partitions=6, storage=tmp_path) as part:
        for keep in (True, False):
            want = intersect_pairs(left, right, keep_geometry=keep)
            assert_same_pairs(want, intersect_pairs_dask(part, right, keep_geometry=keep,
                                                         scheduler=inproc_client))  # fmt: skip
            assert_same_pairs(want, intersect_pairs_dask(part, right, keep_geometry=keep))
        np.testing.assert_allclose(
            overlap_area_dask(part, right, scheduler=inproc_client), overlap_area(left, right),
            rtol=1e-12,
        )  # fmt: skip
        assert all(f.exists() for f in part.files)  # left in place for the next call
    assert not part.path.exists()


# -- a real scheduler and real workers -----------------------------------------------------------


@pytest.fixture(scope="module")
def dask_processes(tmp_path_factory):
    """``dask scheduler`` and two ``dask worker`` processes (one thread each) on 127.0.0.1."""
    distributed = pytest.importorskip("distributed")
    d = tmp_path_factory.mktemp("dask-cluster")
    sched = d / "scheduler.json"
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    )
    common = ["--no-dashboard", "--dashboard-address", ":0", "--host", "127.0.0.1"]
    procs = []
    logs = []

    def start(*args):
        log = open(d / f"p{len(procs)}.log", "wb")  # noqa: SIM115 (closed in finally)
        logs.append(log)
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "dask", *args], env=env, stdout=log, stderr=subprocess.STDOUT
            )  # fmt: skip
        )

    try:
        start("scheduler", "--port", "0", "--scheduler-file", str(sched), *common)
        deadline = time.monotonic() + 60
        while not sched.exists():
            if time.monotonic() > deadline or procs[0].poll() is not None:
                pytest.fail(f"dask scheduler did not start: {(d / 'p0.log').read_text()}")
            time.sleep(0.05)
        for _ in range(2):
            start("worker", "--scheduler-file", str(sched), "--nthreads", "1", "--no-nanny",
                  "--memory-limit", "0", *common)  # fmt: skip
        with distributed.Client(scheduler_file=str(sched), timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
            yield client.scheduler.address, client
    finally:
        for p in procs[::-1]:  # workers first, then the scheduler
            p.terminate()
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for log in logs:
            log.close()


def test_real_scheduler_and_workers_equal_local(dask_processes, tmp_path):
    from distributed import get_task_stream

    address, client = dask_processes
    left, right = layers(n_side=60)
    want = intersect_pairs(left, right)
    with get_task_stream(client=client) as ts:
        got = intersect_pairs_dask(left, right, partitions=6, scheduler=address, storage=tmp_path)
    assert_same_pairs(want, got)
    # the parts were computed by both worker processes
    workers = {t["worker"] for t in ts.data if "_pairs_task" in t["key"]}
    assert len(workers) == 2
    assert list(tmp_path.iterdir()) == []
    np.testing.assert_allclose(
        overlap_area_dask(left, right, by="right", partitions=4, scheduler=address),
        overlap_area(left, right, by="right"),
        rtol=1e-12,
    )


def test_cli_engine_dask_with_a_real_scheduler(dask_processes, demo, tmp_path):
    from ecogis.cli import cli

    address, _ = dask_processes
    local, dask = tmp_path / "local.gpkg", tmp_path / "dask.gpkg"
    r = CliRunner().invoke(cli, ["controls", "-c", str(demo.config_path), "-o", str(local)])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(
        cli, ["controls", "-c", str(demo.config_path), "-o", str(dask), "--engine", "dask",
              "--scheduler", address],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    a = geopandas.read_file(local, layer="conflicts")
    b = geopandas.read_file(dask, layer="conflicts")
    assert len(a) > 0
    keys = ["layer_a", "layer_b", "id_a", "id_b", "township"]
    a, b = (x.sort_values(keys).reset_index(drop=True) for x in (a, b))
    pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"))
    assert a.geometry.geom_equals_exact(b.geometry, 0).all()

"""The dask overlay engine returns what the local engine returns."""

from __future__ import annotations

import socket

import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas import GeoDataFrame, GeoSeries
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecogis.errors import ConfigError, CRSError, DataSourceError
from ecogis.overlay import dask_engine as engine_dask
from ecogis.overlay import difference_each, intersect_pairs, overlap_area
from ecogis.overlay.dask_engine import (
    difference_each_dask,
    intersect_pairs_dask,
    overlap_area_dask,
)
from ecogis.overlay.engine import Engine, get_engine

CRS = "EPSG:4547"
X0, Y0 = 500_000.0, 4_700_000.0


def random_polygons(n: int, seed: int, *, extent: float = 10_000.0, size: float = 600.0):
    """Irregular star polygons (some overlapping each other), a few holes and multipolygons."""
    rng = np.random.default_rng(seed)
    geoms = []
    for _ in range(n):
        cx, cy = rng.uniform(0, extent, 2) + (X0, Y0)
        k = int(rng.integers(5, 14))
        t = np.sort(rng.uniform(0, 2 * np.pi, k))
        r = rng.uniform(0.3, 1.0, k) * rng.uniform(0.2, 1.0) * size
        g = shapely.Polygon(np.column_stack([cx + r * np.cos(t), cy + r * np.sin(t)]))
        g = shapely.make_valid(g)
        if rng.random() < 0.1:
            g = g.difference(shapely.Point(cx, cy).buffer(size * 0.05))
        if rng.random() < 0.1:
            g = g.union(shapely.box(cx + size, cy, cx + 1.3 * size, cy + 0.3 * size))
        parts = [p for p in shapely.get_parts(g) if p.geom_type == "Polygon"]
        geoms.append(parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts))
    return GeoDataFrame({"n": np.arange(n)}, geometry=geoms, crs=CRS)


def tiling(k: int, *, extent: float = 10_000.0) -> GeoDataFrame:
    step = extent / k
    geoms = [
        shapely.box(X0 + i * step, Y0 + j * step, X0 + (i + 1) * step, Y0 + (j + 1) * step)
        for i in range(k)
        for j in range(k)
    ]
    return GeoDataFrame({"DLBM": ["0101"] * len(geoms)}, geometry=geoms, crs=CRS)


def assert_same_pairs(local: GeoDataFrame, got: GeoDataFrame, *, geometry: bool = True):
    assert list(got.columns) == list(local.columns)
    assert len(got) == len(local)
    for col in ("idx_left", "idx_right", "relation"):
        assert got[col].tolist() == local[col].tolist(), col
    assert got["idx_left"].dtype == np.int64 and got["idx_right"].dtype == np.int64
    np.testing.assert_allclose(got["area_m2"], local["area_m2"], rtol=1e-9, atol=0)
    assert got.index.equals(pd.RangeIndex(len(local)))
    if geometry:
        assert got.crs == local.crs
        assert got.geometry.geom_equals_exact(local.geometry, tolerance=0).all()


@pytest.fixture(scope="module")
def layers():
    parts = [tiling(30), random_polygons(300, seed=1), random_polygons(10, seed=3, size=4000.0)]
    left = pd.concat(parts, ignore_index=True)
    left = GeoDataFrame(left, geometry="geometry", crs=CRS)
    left.index = left.index * 3 + 7  # a non-range index must not matter
    right = random_polygons(150, seed=2, size=1500.0)
    return left, right


@pytest.fixture(scope="module")
def cluster_client():
    distributed = pytest.importorskip("distributed")
    # a random HTTP port: with the default 8787 taken (another test session), distributed warns
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.mark.parametrize("partitions", [1, 3, 16])
def test_intersect_pairs_threads_equal_local(layers, partitions):
    left, right = layers
    local = intersect_pairs(left, right)
    assert len(local) > 500 and set(local["relation"]) == {
        "within_left",
        "within_right",
        "crossing",
    }
    got = intersect_pairs_dask(left, right, partitions=partitions)
    assert_same_pairs(local, got)


def test_intersect_pairs_areas_only_synchronous(layers):
    left, right = layers
    local = intersect_pairs(left, right, keep_geometry=False)
    got = intersect_pairs_dask(left, right, partitions=5, scheduler="synchronous",
                               keep_geometry=False)  # fmt: skip
    assert "geometry" not in got.columns
    assert_same_pairs(local, got, geometry=False)


def test_distributed_client_equals_local(layers, cluster_client):
    left, right = layers
    local = intersect_pairs(left, right)
    got = intersect_pairs_dask(left, right, partitions=6, scheduler=cluster_client)
    assert_same_pairs(local, got)
    # the address string opens (and closes) its own client on the same cluster
    got = intersect_pairs_dask(
        left, right, partitions=4, scheduler=cluster_client.scheduler.address
    )
    assert_same_pairs(local, got)


def test_overlap_area_and_difference_equal_local(layers, cluster_client):
    left, right = layers
    for by in ("left", "right"):
        want = overlap_area(left, right, by=by)
        assert (want > 0).sum() > 100
        np.testing.assert_allclose(
            overlap_area_dask(left, right, by=by, partitions=7), want, rtol=1e-9, atol=0
        )
        np.testing.assert_allclose(
            overlap_area_dask(left, right, by=by, partitions=3, scheduler=cluster_client),
            want,
            rtol=1e-9,
            atol=0,
        )
    sites = left.iloc[::4]
    want = difference_each(sites, right)
    got = difference_each_dask(sites, right, partitions=5)
    assert got.index.equals(sites.index) and got.crs == sites.crs
    assert got.geom_equals_exact(want, tolerance=0).all()
    np.testing.assert_allclose(got.area, want.area, rtol=1e-9, atol=0)


def test_empty_inputs_and_crs_checks(layers):
    left, right = layers
    empty = intersect_pairs_dask(left.iloc[:0], right)
    assert list(empty.columns) == list(intersect_pairs(left.iloc[:0], right).columns)
    assert len(empty) == 0
    assert overlap_area_dask(left, right.iloc[:0]).tolist() == [0.0] * len(left)
    with pytest.raises(CRSError, match="different CRSs"):
        intersect_pairs_dask(left, right.to_crs("EPSG:4546"))
    with pytest.raises(CRSError, match="geographic"):
        intersect_pairs_dask(left.to_crs("EPSG:4490"), right.to_crs("EPSG:4490"))


def test_missing_and_empty_geometries(layers):
    left, right = layers
    left = left.copy()
    geoms = left.geometry.to_numpy().copy()
    geoms[[0, 5, 17]] = [None, shapely.Polygon(), None]
    left = left.set_geometry(GeoSeries(geoms, index=left.index, crs=CRS))
    assert_same_pairs(intersect_pairs(left, right), intersect_pairs_dask(left, right, partitions=4))


polygon = st.builds(
    lambda x, y, w, h, dx: shapely.Polygon(
        [
            (X0 + x, Y0 + y),
            (X0 + x + w, Y0 + y + dx),
            (X0 + x + w, Y0 + y + h),
            (X0 + x, Y0 + y + h),
        ]
    ),
    st.integers(0, 2000),
    st.integers(0, 2000),
    st.integers(1, 800),
    st.integers(1, 800),
    st.integers(-200, 200),
).map(lambda g: g if g.is_valid else shapely.make_valid(g).convex_hull)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(polygon, min_size=1, max_size=40),
    st.lists(polygon, min_size=1, max_size=20),
    st.integers(1, 6),
)
def test_hypothesis_dask_equals_local(lefts, rights, partitions):
    left = GeoDataFrame(geometry=lefts, crs=CRS)
    right = GeoDataFrame(geometry=rights, crs=CRS)
    local = intersect_pairs(left, right)
    got = intersect_pairs_dask(left, right, partitions=partitions, scheduler="synchronous")
    assert_same_pairs(local, got)
    np.testing.assert_allclose(
        overlap_area_dask(left, right, partitions=partitions, scheduler="synchronous"),
        overlap_area(left, right),
        rtol=1e-9,
        atol=0,
    )


def test_get_engine_is_a_drop_in(layers):
    left, right = layers
    local = get_engine()
    dask = get_engine("dask", partitions=4, scheduler=None)
    assert isinstance(local, Engine) and local.name == "local"
    assert dask.options == {"partitions": 4}
    assert_same_pairs(local.intersect_pairs(left, right), dask.intersect_pairs(left, right))
    np.testing.assert_allclose(
        dask.overlap_area(left, right, by="right"), local.overlap_area(left, right, by="right"),
        rtol=1e-9,
    )  # fmt: skip
    assert (
        dask.difference_each(left.iloc[:50], right)
        .geom_equals_exact(local.difference_each(left.iloc[:50], right), tolerance=0)
        .all()
    )
    assert get_engine("local", workers=1).options == {"workers": 1}
    calls = []
    dask.intersect_pairs(left, right, keep_geometry=False, progress=lambda *a: calls.append(a))
    assert calls == [(1, 1)]
    want = local.self_overlaps(right)
    got = dask.self_overlaps(right)
    assert len(want) > 10 and list(got.columns) == list(want.columns)
    assert got["idx_a"].tolist() == want["idx_a"].tolist()
    assert got["idx_b"].tolist() == want["idx_b"].tolist()
    np.testing.assert_allclose(got["area_m2"], want["area_m2"], rtol=1e-9, atol=0)
    assert got.geom_equals_exact(want, tolerance=0).all()


def test_get_engine_errors():
    with pytest.raises(ConfigError, match="unknown engine 'spark'; allowed: local, dask"):
        get_engine("spark")
    with pytest.raises(ConfigError, match="scheduler does not apply to the local engine"):
        get_engine("local", scheduler="tcp://x:8786")
    with pytest.raises(ConfigError, match="partitions must be a positive integer"):
        get_engine("dask", partitions=0)


def test_bad_scheduler_names(layers):
    left, right = layers
    with pytest.raises(ConfigError, match="unknown dask scheduler 'gpu'; allowed: threads"):
        intersect_pairs_dask(left, right, scheduler="gpu")


def test_unreachable_scheduler_is_a_data_source_error(layers, monkeypatch):
    left, right = layers
    monkeypatch.setattr(engine_dask, "_CONNECT_TIMEOUT_S", 1)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DataSourceError, match=rf"tcp://127.0.0.1:{port}: cannot connect") as err:
        intersect_pairs_dask(left, right, scheduler=f"tcp://127.0.0.1:{port}")
    assert "\n" not in str(err.value)

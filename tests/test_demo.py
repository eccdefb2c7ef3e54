"""The demo data set: config, layers, planted problems, determinism (ecogis.demo)."""

from __future__ import annotations

import math
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
import shapely

from ecogis.demo import PLANTED, TARGETS, default_boundary_source, make_demo, read_banner_outline
from ecogis.errors import EcogisWarning, LayerError
from ecogis.units import M2_PER_MU

REPO = Path(__file__).resolve().parents[1]
VECTORS = (
    "boundary", "townships", "redline", "farmland", "urban", "water_source", "basic_grassland",
    "forest", "sandy_land", "pits", "plots", "sites",
)  # fmt: skip
STORED_EPSG = {"redline": 4490, "farmland": 4526}


def _read(demo, key, **kw):
    from ecogis.io import read_layer

    kw.setdefault("on_invalid", "warn")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EcogisWarning)
        return read_layer(demo.layers[key], **kw)


def _work(demo, key):
    return _read(demo, key).to_crs(4547)


def _by_id(gdf, field, fid):
    rows = gdf[gdf[field].astype(str) == fid]
    assert len(rows) == 1, f"{field}={fid} found {len(rows)} times"
    return rows.geometry.iloc[0]


def test_config_validates_and_is_the_committed_one(demo):
    from ecogis.config import load_config

    cfg = load_config(demo.config_path)
    assert cfg.name == "正镶白旗生态修复示范"
    assert cfg.crs == "auto" and cfg.area_unit == "mu"
    assert cfg.control_lines == ("redline", "farmland", "urban")
    assert set(cfg.layers) == set(demo.layers)
    for key, path in demo.layers.items():
        assert Path(cfg.layers[key].path) == path.resolve()
    assert sorted(cfg.targets) == [2021, 2022, 2023]
    assert cfg.targets[2022]["enclosure_mu"] == TARGETS[2022]["enclosure_mu"]
    assert cfg.registry == str((demo.layers["boundary"].parent / "restoration.gpkg").resolve())
    rs = cfg.ruleset("pv_sand_control")
    assert rs.min_eligible_mu == 300
    assert all(chk.basis for chk in rs.checks), "every check names its basis"
    water = next(c for c in rs.checks if c.target == "water_source")
    assert water.rule == "exclude" and water.params["buffer_m"] == 500
    # written by the generator and committed: the committed file is what the generator writes
    committed = (REPO / "configs" / "demo.yaml").read_text(encoding="utf-8")
    assert demo.config_path.read_text(encoding="utf-8") == committed
    assert "path: ../layers/demo/stbhhx.gpkg" in committed


def test_every_layer_reads_with_its_crs(demo):
    import rasterio

    from ecogis.io import read_layer

    for key in VECTORS:
        if key == "farmland":  # the planted bowtie is repaired, with a warning naming it
            with pytest.warns(EcogisWarning, match=PLANTED["invalid"]["id"]):
                gdf = read_layer(demo.layers[key])
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("error", EcogisWarning)
                gdf = read_layer(demo.layers[key])
        assert len(gdf) > 0, key
        assert gdf.crs.to_epsg() == STORED_EPSG.get(key, 4547), key
        # repairing the bowtie makes one MultiPolygon
        assert set(gdf.geom_type) <= {"Polygon", "MultiPolygon"}, key
    farm = _read(demo, "farmland")
    assert farm.geometry.bounds["minx"].min() > 38_500_000  # zone-prefixed eastings
    assert 200 <= len(farm) <= 500
    for key in ("dem", "ndvi_2021", "ndvi_2023"):
        with rasterio.open(demo.layers[key]) as src:
            assert src.crs.to_epsg() == 4547
            assert src.dtypes[0] == "float32" and src.nodata == -9999.0
            assert src.res == (30.0, 30.0)
            data = src.read(1, masked=True)
            assert 0.5 < data.count() / data.size < 0.9  # nodata outside the banner
            if key == "dem":
                assert 1150 < data.min() and data.max() < 1550
            else:
                assert -1 <= data.min() and data.max() <= 1


def test_boundary_and_townships(demo):
    b = _read(demo, "boundary")
    assert b["XZQDM"].tolist() == ["152529"] and b["XZQMC"].tolist() == ["正镶白旗"]
    area_km2 = b.geometry.iloc[0].area / 1e6
    assert abs(area_km2 - 6243) / 6243 < 0.01
    t = _read(demo, "townships")
    assert sorted(t["XZQMC"]) == sorted(
        ["明安图镇", "星耀镇", "宝力根陶海苏木", "伊和淖尔苏木", "乌宁巴图苏木"]
    )
    assert all(code.startswith("152529") and len(code) == 9 for code in t["XZQDM"])
    # the townships partition the banner
    assert math.isclose(t.area.sum(), b.area.sum(), rel_tol=1e-6)
    assert shapely.union_all(t.geometry.values).symmetric_difference(b.geometry.iloc[0]).area < 1.0


def test_gcj02_conversion_moved_the_outline(demo):
    import geopandas as gpd

    published = gpd.read_file(REPO / "ecogis" / "data" / "zhengxiangbai_152529.geojson").to_crs(
        4547
    )
    converted = _read(demo, "boundary")
    shift = published.geometry.iloc[0].centroid.distance(converted.geometry.iloc[0].centroid)
    assert 100 < shift < 1000  # GCJ-02 offsets are hundreds of metres
    assert math.isclose(shift, demo.planted["gcj_shift_m"], rel_tol=1e-6)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_outline_is_the_same_from_the_shapefile_and_the_committed_copy(lang, monkeypatch):
    """In either language, and without a warning about the demo's own source (warnings fail
    tests): the demo printed 没有 .cpg in Chinese."""
    from conftest import shared_data

    monkeypatch.setenv("ECOGIS_LANG", lang)
    shp = shared_data("admin_boundaries", "neimenggu_districts_2020.shp")
    copy_ = REPO / "ecogis" / "data" / "zhengxiangbai_152529.geojson"
    a, _ = read_banner_outline(shp)  # UTF-8 DBF without .cpg: must decode to 正镶白旗
    b, _ = read_banner_outline(copy_)
    assert a.symmetric_difference(b).area < 1.0
    assert default_boundary_source() == shp


def test_planted_conflicts_have_their_areas(demo):
    ids = PLANTED["id_fields"]
    layers = {k: _work(demo, k) for k in ("redline", "farmland", "urban")}
    for rec, measured in zip(PLANTED["conflicts"], demo.planted["conflicts"], strict=True):
        a = _by_id(layers[rec["layer_a"]], ids[rec["layer_a"]], rec["id_a"])
        b = _by_id(layers[rec["layer_b"]], ids[rec["layer_b"]], rec["id_b"])
        area = shapely.intersection(a, b).area
        assert math.isclose(area, rec["area_m2"], rel_tol=1e-6), rec
        assert math.isclose(area, measured["area_m2"], rel_tol=1e-9), rec
        assert area >= 1.0  # a conflict, not a sliver


def test_sliver_is_below_one_square_metre(demo):
    rec = PLANTED["sliver"]
    red = _by_id(_work(demo, "redline"), "BSM", rec["id_a"])
    farm = _by_id(_work(demo, "farmland"), "YJJBNTTBBH", rec["id_b"])
    area = shapely.intersection(red, farm).area
    assert 0.39 < area < 0.41 < 1.0
    assert math.isclose(area, demo.planted["sliver"]["area_m2"], rel_tol=1e-9)


def test_no_other_overlaps_between_or_within_the_control_lines(demo):
    layers = {k: _work(demo, k) for k in ("redline", "farmland", "urban")}
    ids = PLANTED["id_fields"]
    found = set()
    names = ("redline", "farmland", "urban")
    for i, ka in enumerate(names):
        for kb in names[i:]:
            ga = shapely.make_valid(layers[ka].geometry.values)
            gb = shapely.make_valid(layers[kb].geometry.values)
            ia, ib = shapely.STRtree(gb).query(ga, predicate="intersects")
            for x, y in zip(ia, ib, strict=True):
                if ka == kb and x >= y:
                    continue
                if shapely.intersection(ga[x], gb[y]).area > 0:
                    found.add(
                        (ka, str(layers[ka][ids[ka]].iloc[x]), kb, str(layers[kb][ids[kb]].iloc[y]))
                    )
    expected = {(r["layer_a"], r["id_a"], r["layer_b"], r["id_b"]) for r in PLANTED["conflicts"]}
    s, so = PLANTED["sliver"], PLANTED["self_overlap"]
    expected.add((s["layer_a"], s["id_a"], s["layer_b"], s["id_b"]))
    expected.add(("farmland", so["id_a"], "farmland", so["id_b"]))
    assert found == expected


def test_invalid_polygon_and_double_drawn_patch(demo):
    import pyogrio

    raw = pyogrio.read_dataframe(demo.layers["farmland"]).to_crs(4547)  # no repair on this path
    bad = _by_id(raw, "YJJBNTTBBH", PLANTED["invalid"]["id"])
    assert not bad.is_valid
    assert "Self-intersection" in shapely.is_valid_reason(bad)
    assert math.isclose(shapely.make_valid(bad).area, 15000.0, rel_tol=1e-6)
    invalid_ids = raw.loc[~raw.is_valid, "YJJBNTTBBH"].tolist()
    assert invalid_ids == [PLANTED["invalid"]["id"]]
    so = PLANTED["self_overlap"]
    a, b = _by_id(raw, "YJJBNTTBBH", so["id_a"]), _by_id(raw, "YJJBNTTBBH", so["id_b"])
    assert math.isclose(shapely.intersection(a, b).area, so["area_m2"], rel_tol=1e-6)
    assert not a.equals(b)  # drawn twice, slightly shifted


def test_sites_are_placed_for_their_verdicts(demo):
    from ecogis.raster import slope_degrees

    sites = _work(demo, "sites")
    assert sites["site_id"].tolist() == [f"PV-{i:02d}" for i in range(1, 13)]
    assert set(PLANTED["sites"]) == set(sites["site_id"])
    assert set(PLANTED["sites"].values()) == {"pass", "fail", "conditional", "unknown"}
    union = {
        k: shapely.union_all(shapely.make_valid(_work(demo, k).geometry.values))
        for k in ("redline", "farmland", "basic_grassland", "forest", "urban", "sandy_land")
    }
    union["water_source"] = shapely.union_all(_work(demo, "water_source").geometry.values).buffer(
        500
    )
    for sid, exp in PLANTED["site_expect"].items():
        g = _by_id(sites, "site_id", sid)
        if "site_m2" in exp:
            assert math.isclose(g.area, exp["site_m2"], rel_tol=1e-9), sid
        for key in ("redline", "farmland", "basic_grassland", "forest", "water_source", "urban"):
            area = shapely.intersection(g, union[key]).area
            assert math.isclose(
                area, exp["excluded_m2"].get(key, 0.0), rel_tol=1e-3, abs_tol=1.0
            ), (sid, key)
        sandy = shapely.intersection(g, union["sandy_land"]).area / g.area
        assert math.isclose(sandy, exp["sandy_share"], abs_tol=1e-3), sid
        if "eligible_mu" in exp:
            excluded = shapely.union_all([union[k] for k in exp["excluded_m2"]])
            rest = (g.area - shapely.intersection(g, excluded).area) / M2_PER_MU
            assert math.isclose(rest, exp["eligible_mu"], abs_tol=0.5), sid
    # slope: PV-08 sits on a steep ridge, PV-09 on a DEM void, the passing sites are flat
    import rasterio
    from rasterio.features import geometry_mask
    from rasterio.mask import mask

    with rasterio.open(demo.layers["dem"]) as src:
        for sid in ("PV-01", "PV-02", "PV-08", "PV-09", "PV-12"):
            g = _by_id(sites, "site_id", sid)
            z, tr = mask(src, [g.buffer(300)], crop=True, filled=True)
            z = np.where(z[0] == src.nodata, np.nan, z[0].astype(float))
            on_site = ~geometry_mask([g], out_shape=z.shape, transform=tr)
            if sid == "PV-09":
                assert np.isnan(z[on_site]).all()  # inside the DEM void
                continue
            s = slope_degrees(z, tr)[on_site]
            assert np.isfinite(s).all()
            share = float((s > 15).mean())
            assert (share > 0.1) if sid == "PV-08" else (share == 0.0), (sid, share)


def test_restoration_layers(demo):
    pits = _read(demo, "pits")
    assert len(pits) == 40 and pits["pit_id"].is_unique
    assert pits["pit_id"].str.fullmatch(r"ZXB-KK-\d{3}").all()
    assert set(pits["status"]) == {"untreated", "in_progress", "treated", "accepted"}
    assert set(pits["pit_class"]) <= {10, 20, 30, 40} and set(pits["method"]) <= {1, 2, 3, 4}
    assert set(pits["site_type"]) <= {"采场", "中转场", "固废堆场", "塌陷坑"}
    assert (pits["treated_m2"] <= pits["verified_m2"]).all()
    assert (pits.loc[pits["status"] == "untreated", "treated_m2"] == 0).all()
    assert pits.loc[pits["status"] == "accepted", "accepted_on"].notna().all()
    assert pits.loc[pits["status"] != "accepted", "accepted_on"].isna().all()
    assert np.allclose(pits["verified_m2"], pits.to_crs(4547).area, atol=0.1)
    for year, target in TARGETS.items():
        of_year = pits[pits["planned_year"] == year]
        assert len(of_year) == target["pits_count"]
        assert (
            abs(of_year["verified_m2"].sum() / 1e6 - target["pits_km2"]) / target["pits_km2"] < 0.1
        )
    assert 2 < pits["verified_m2"].sum() / 1e6 < 6  # a few km², believable for a banner

    plots = _read(demo, "plots")
    # 150 generated plots plus the one planted on permanent basic farmland
    assert len(plots) == 151 and plots["plot_id"].is_unique
    assert PLANTED["plot_on_farmland"]["plot_id"] in set(plots["plot_id"])
    assert set(plots["kind"]) == {"afforestation", "enclosure", "grass_planting"}
    assert plots["year"].value_counts().idxmax() == 2022
    assert (plots["completed_mu"] <= plots["planned_mu"]).all()
    assert plots.loc[plots["kind"] == "enclosure", "survival_rate"].isna().all()
    for year, target in TARGETS.items():
        for kind in ("afforestation", "enclosure", "grass_planting"):
            planned = plots.loc[
                (plots["year"] == year) & (plots["kind"] == kind), "planned_mu"
            ].sum()
            assert abs(planned / target[f"{kind}_mu"] - 1) < 0.1, (year, kind)
    # nothing restoration-related overlaps anything else of its kind
    both = np.concatenate([pits.to_crs(4547).geometry.values, plots.to_crs(4547).geometry.values])
    ia, ib = shapely.STRtree(both).query(both, predicate="intersects")
    assert (ia == ib).all()


def test_ndvi_greens_up_where_work_was_done(demo):
    import rasterio
    from rasterio.mask import mask

    plots = _work(demo, "plots")
    pits = _work(demo, "pits")
    not_greened = demo.planted["ndvi"]["not_greened"]
    assert len(not_greened["pits"]) == 3 and len(not_greened["plots"]) == 5

    def mean(path, geom):
        with rasterio.open(path) as src:
            arr, _ = mask(src, [geom], crop=True, filled=False)
        return float(arr.mean())

    def gain(geom):
        return mean(demo.layers["ndvi_2023"], geom) - mean(demo.layers["ndvi_2021"], geom)

    done = pits[
        pits["status"].isin(["treated", "accepted"]) & ~pits["pit_id"].isin(not_greened["pits"])
    ]
    assert all(gain(g) > 0.08 for g in done.geometry)
    for pid in not_greened["pits"]:
        assert gain(_by_id(pits, "pit_id", pid)) < 0.05
    for pid in not_greened["plots"]:
        row = plots[plots["plot_id"] == pid].iloc[0]
        assert row["status"] in ("completed", "accepted") and row["survival_rate"] < 0.6
        assert gain(row.geometry) < 0.05
    untreated = pits[pits["status"] == "untreated"]
    assert all(gain(g) < 0.05 for g in untreated.geometry)


def test_same_seed_same_data_and_fast(demo, tmp_path):
    from geopandas.testing import assert_geodataframe_equal

    t0 = time.perf_counter()
    again = make_demo(tmp_path / "a", config_path=tmp_path / "a.yaml", seed=2022)
    assert time.perf_counter() - t0 < 30
    other = make_demo(tmp_path / "b", config_path=tmp_path / "b.yaml", seed=7)
    for key in VECTORS:
        first, second = _read(demo, key), _read(again, key)
        assert_geodataframe_equal(first, second, check_less_precise=False)
        assert list(first.geometry.to_wkb()) == list(second.geometry.to_wkb()), key
    # another seed: other random features, the same planted problems
    mine, theirs = _read(other, "redline").geometry, _read(demo, "redline").geometry
    n = min(len(mine), len(theirs))
    assert not mine.iloc[:n].geom_equals(theirs.iloc[:n], align=False).all()
    assert other.planted["sites"] == demo.planted["sites"]
    for a, b in zip(other.planted["conflicts"], demo.planted["conflicts"], strict=True):
        assert math.isclose(a["area_m2"], b["area_m2"], rel_tol=1e-6)


def test_existing_outputs_are_not_overwritten_by_default(demo, tmp_path):
    out = tmp_path / "layers"
    out.mkdir()
    (out / "stbhhx.gpkg").write_bytes(b"keep me")
    with pytest.raises(LayerError, match="overwrite"):
        make_demo(out, config_path=tmp_path / "demo.yaml")
    assert (out / "stbhhx.gpkg").read_bytes() == b"keep me"
    assert not (tmp_path / "demo.yaml").exists()

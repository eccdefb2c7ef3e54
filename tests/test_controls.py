"""Three-control-line check: ecogis.controls and the ``ecogis controls`` command."""

from __future__ import annotations

import warnings

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon, box

from ecogis.cli import cli
from ecogis.controls import (
    ALL,
    CONFLICT_COLUMNS,
    INVALID_COLUMNS,
    SELF_OVERLAP_COLUMNS,
    SUMMARY_COLUMNS,
    TOTAL,
    check_controls,
    control_pairs,
)
from ecogis.errors import CRSError, EcogisWarning, LayerError

X0, Y0 = 500_000.0, 4_700_000.0  # EPSG:4547, on the central meridian 114°E


def gdf(ids, geoms, crs=4547, field="BSM"):
    return gpd.GeoDataFrame({field: ids}, geometry=list(geoms), crs=crs)


def b(x0, y0, x1, y1):
    """A box relative to (X0, Y0)."""
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


# ---------------------------------------------------------------------------------------------
# library
# ---------------------------------------------------------------------------------------------


def test_two_squares_exact(gk_squares):
    a, bb = gk_squares
    report = check_controls({"redline": a, "farmland": bb})
    c = report.conflicts
    assert list(c.columns) == [*CONFLICT_COLUMNS, "geometry"]
    assert len(c) == 1
    row = c.iloc[0]
    assert (row.layer_a, row.layer_b, row.id_a, row.id_b) == ("redline", "farmland", "A1", "B1")
    assert row.area_m2 == 500_000.0
    assert row.area_mu == 750.0
    assert row.township == ""
    assert row.geometry.equals(b(500, 0, 1000, 1000))
    assert c.crs.to_epsg() == 4547
    assert len(report.slivers) == len(report.self_overlaps) == len(report.invalid) == 0
    s = report.summary
    assert list(s.columns) == list(SUMMARY_COLUMNS)
    assert s.values.tolist() == [
        ["redline", "farmland", TOTAL, 1, 500_000.0, 750.0],
        [ALL, ALL, TOTAL, 1, 500_000.0, 750.0],
    ]


def test_pairs_in_config_order_and_zero_rows():
    red = gdf(["R1"], [b(0, 0, 1000, 1000)])
    farm = gdf(["F1"], [b(500, 0, 1500, 1000)])
    urban = gdf(["U1"], [b(5000, 0, 6000, 1000)])  # touches nothing
    report = check_controls({"redline": red, "farmland": farm, "urban": urban})
    assert report.pairs == [("redline", "farmland"), ("redline", "urban"), ("farmland", "urban")]
    assert control_pairs(["a", "b", "c"]) == [("a", "b"), ("a", "c"), ("b", "c")]
    assert control_pairs(["a"]) == []
    totals = report.pair_totals()
    assert totals[["layer_a", "layer_b", "conflicts"]].values.tolist() == [
        ["redline", "farmland", 1],
        ["redline", "urban", 0],
        ["farmland", "urban", 0],
    ]
    assert totals["area_m2"].tolist() == [500_000.0, 0.0, 0.0]


def test_touching_features_are_no_conflict():
    red = gdf(["R1"], [b(0, 0, 1000, 1000)])
    farm = gdf(["F1"], [b(1000, 0, 2000, 1000)])  # shares an edge only
    report = check_controls({"redline": red, "farmland": farm})
    assert len(report.conflicts) == 0 and len(report.slivers) == 0
    assert report.summary.iloc[-1]["conflicts"] == 0


def test_sliver_goes_to_slivers_not_conflicts():
    red = gdf(["R1"], [b(0, 0, 1000, 1000)])
    # 0.5 m x 1 m = 0.5 m² overlap along the shared edge
    farm = gdf(["F1"], [b(999.5, 0, 2000, 1)])
    report = check_controls({"redline": red, "farmland": farm})
    assert len(report.conflicts) == 0
    assert len(report.slivers) == 1
    s = report.slivers.iloc[0]
    assert (s.layer_a, s.layer_b, s.id_a, s.id_b) == ("redline", "farmland", "R1", "F1")
    assert s.area_m2 == pytest.approx(0.5, rel=1e-9)
    assert report.summary.iloc[-1]["conflicts"] == 0
    # a lower threshold makes it a conflict
    low = check_controls({"redline": red, "farmland": farm}, min_area_m2=0.1)
    assert len(low.slivers) == 0 and len(low.conflicts) == 1
    assert low.min_area_m2 == 0.1


def test_sliver_part_split_off_a_real_conflict():
    red = gdf(["R1"], [b(0, 0, 1000, 1000)])
    # one feature overlapping red by 500 000 m² and, with a second part, by a 0.5 m² sliver
    farm = gdf(["F1"], [MultiPolygon([b(500, 0, 1500, 1000), b(-10, 0, 0.5, 1)])])
    report = check_controls({"redline": red, "farmland": farm})
    assert report.conflicts["area_m2"].tolist() == [500_000.0]
    assert report.slivers["area_m2"].tolist() == pytest.approx([0.5], rel=1e-9)
    assert report.slivers.iloc[0][["id_a", "id_b"]].tolist() == ["R1", "F1"]
    assert report.summary.iloc[-1]["area_mu"] == 750.0


def test_self_overlap_inside_a_layer():
    red = gdf(["R1"], [b(5000, 0, 6000, 1000)])
    farm = gdf(
        ["F1", "F2", "F3"],
        [b(0, 0, 100, 100), b(90, 0, 200, 100), b(0, 0, 100, 100)],  # F3 duplicates F1
    )
    report = check_controls({"redline": red, "farmland": farm})
    so = report.self_overlaps
    assert list(so.columns) == [*SELF_OVERLAP_COLUMNS, "geometry"]
    got = {(r.layer, r.id_a, r.id_b): r.area_m2 for r in so.itertuples()}
    assert got == pytest.approx(
        {
            ("farmland", "F1", "F2"): 1000.0,
            ("farmland", "F1", "F3"): 10_000.0,
            ("farmland", "F2", "F3"): 1000.0,
        },
        rel=1e-12,
    )
    assert len(report.conflicts) == 0


def test_self_overlap_below_threshold_is_a_sliver():
    farm = gdf(["F1", "F2"], [b(0, 0, 100, 100), b(99.9, 0, 200, 1)])  # 0.1 m²
    report = check_controls({"farmland": farm})
    assert len(report.self_overlaps) == 0
    assert report.slivers[["layer_a", "layer_b", "id_a", "id_b"]].values.tolist() == [
        ["farmland", "farmland", "F1", "F2"]
    ]


def test_invalid_geometry_listed_as_stored_and_still_checked():
    bowtie = Polygon([(X0, Y0), (X0 + 1000, Y0 + 1000), (X0 + 1000, Y0), (X0, Y0 + 1000), (X0, Y0)])
    red = gdf(["R1"], [b(0, 0, 500, 1000)])
    farm = gdf(["F1", "F2"], [bowtie, b(3000, 0, 3100, 100)])
    with pytest.warns(EcogisWarning, match=r"farmland.*repaired 1 invalid geometry.*F1"):
        report = check_controls({"redline": red, "farmland": farm})
    inv = report.invalid
    assert list(inv.columns) == [*INVALID_COLUMNS, "geometry"]
    assert inv[["layer", "id"]].values.tolist() == [["farmland", "F1"]]
    assert inv.iloc[0].reason.startswith("Self-intersection")
    # the geometry is the stored one, not the repair
    assert inv.iloc[0].geometry.equals_exact(bowtie, 0)
    assert not inv.iloc[0].geometry.is_valid
    # the repaired bow-tie (two triangles) still conflicts: its left triangle is in red
    assert report.conflicts["id_b"].tolist() == ["F1"]
    assert report.conflicts["area_m2"].iloc[0] == pytest.approx(250_000.0, rel=1e-12)


def test_empty_geometry_listed_and_row_numbers_stay_those_of_the_layer():
    red = gpd.GeoDataFrame(geometry=[b(0, 0, 1000, 1000)], crs=4547)
    # no id column: features are named by row number, counted in the layer as given
    farm = gpd.GeoDataFrame(geometry=[Polygon(), None, b(500, 0, 1500, 1000)], crs=4547)
    with pytest.warns(EcogisWarning, match="empty geometry"):
        report = check_controls({"redline": red, "farmland": farm})
    assert report.conflicts[["id_a", "id_b"]].values.tolist() == [["#1", "#3"]]
    assert report.invalid["id"].tolist() == ["#1", "#2"]
    assert set(report.invalid["reason"]) == {"empty geometry (not checked)"}


def test_invalid_from_stored_frames_reprojected():
    bowtie = Polygon([(X0, Y0), (X0 + 1000, Y0 + 1000), (X0 + 1000, Y0), (X0, Y0 + 1000), (X0, Y0)])
    stored = gdf(["F1"], [bowtie], crs=4547).to_crs(4490)  # as stored: degrees
    repaired = gdf(["F1"], [shapely.make_valid(bowtie)])
    red = gdf(["R1"], [b(0, 0, 500, 1000)])
    report = check_controls({"redline": red, "farmland": repaired}, invalid={"farmland": stored})
    assert report.invalid["id"].tolist() == ["F1"]
    assert report.invalid.crs.to_epsg() == 4547
    # back in metres, within reprojection noise of the original bow-tie
    assert shapely.hausdorff_distance(report.invalid.geometry.iloc[0], bowtie) < 1e-3


def test_township_split_areas_add_up():
    red = gdf(["R1"], [b(0, 0, 1000, 1000)])
    farm = gdf(["F1"], [b(500, 0, 1500, 1000)])  # conflict x 500..1000
    towns = gpd.GeoDataFrame(
        {"XZQMC": ["明安图镇", "星耀镇"]},
        # 明安图镇 west of x=700, 星耀镇 east of it but only up to y=800; the rest is outside
        geometry=[b(-5000, -5000, 700, 5000), b(700, -5000, 5000, 800)],
        crs=4547,
    )
    report = check_controls({"redline": red, "farmland": farm}, townships=towns)
    c = report.conflicts
    assert c["township"].tolist() == ["明安图镇", "星耀镇", ""]
    assert c["area_m2"].tolist() == pytest.approx([200_000.0, 240_000.0, 60_000.0], rel=1e-12)
    assert c["area_m2"].sum() == pytest.approx(500_000.0, rel=1e-12)
    assert set(c["id_a"]) == {"R1"} and set(c["id_b"]) == {"F1"}
    s = report.summary
    assert s["township"].tolist() == ["明安图镇", "星耀镇", "", TOTAL, TOTAL]
    # one conflict, counted once per township and once in the totals; areas add up
    assert s["conflicts"].tolist() == [1, 1, 1, 1, 1]
    assert s["area_m2"].iloc[3] == pytest.approx(500_000.0, rel=1e-12)
    assert s["area_mu"].iloc[-1] == pytest.approx(750.0, rel=1e-12)


def test_township_field_default_and_missing():
    red = gdf(["R1"], [b(0, 0, 1000, 1000)])
    farm = gdf(["F1"], [b(500, 0, 1500, 1000)])
    towns = gpd.GeoDataFrame({"MC": ["甲"]}, geometry=[b(-5000, -5000, 5000, 5000)], crs=4547)
    report = check_controls(
        {"redline": red, "farmland": farm}, townships=towns, township_field="MC"
    )
    assert report.conflicts["township"].tolist() == ["甲"]
    assert report.conflicts["area_m2"].tolist() == [500_000.0]  # inside: no overlay noise
    with pytest.raises(LayerError, match=r"'XZQMC' not found; columns: MC"):
        check_controls({"redline": red, "farmland": farm}, townships=towns, township_field="XZQMC")


def test_mixed_crs_refused_by_library():
    red = gdf(["R1"], [b(0, 0, 1000, 1000)])
    farm = gdf(["F1"], [b(500, 0, 1500, 1000)]).to_crs(4526)
    with pytest.raises(CRSError, match=r"'farmland' is in EPSG:4526 but 'redline' is in EPSG:4547"):
        check_controls({"redline": red, "farmland": farm})
    geo = gdf(["R1"], [b(0, 0, 1000, 1000)]).to_crs(4490)
    with pytest.raises(CRSError, match="geographic"):
        check_controls({"redline": geo, "farmland": geo.copy()})


def test_bad_arguments():
    red = gdf(["R1"], [b(0, 0, 1000, 1000)])
    with pytest.raises(ValueError, match="at least one"):
        check_controls({})
    with pytest.raises(ValueError, match="min_area_m2"):
        check_controls({"redline": red}, min_area_m2=-1)
    with pytest.raises(ValueError, match=r"labels: unknown layer\(s\) 'farm'"):
        check_controls({"redline": red}, labels={"farm": "x"})
    with pytest.raises(LayerError, match=r"id field 'ID' not found; columns: BSM"):
        check_controls({"redline": red}, id_fields={"redline": "ID"})


def test_progress_reaches_total():
    red = gdf(["R1"], [b(0, 0, 1000, 1000)])
    farm = gdf(["F1"], [b(500, 0, 1500, 1000)])
    calls = []
    check_controls(
        {"redline": red, "farmland": farm},
        townships=gdf(["T"], [b(-5000, -5000, 5000, 5000)]),
        progress=lambda done, total: calls.append((done, total)),
    )
    done = [d for d, _ in calls]
    assert done == sorted(done)
    assert calls[-1][0] == calls[-1][1] > 0


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 50), st.integers(0, 50), st.integers(1, 30)),
        min_size=1,
        max_size=6,
    ),
    st.lists(
        st.tuples(st.integers(0, 50), st.integers(0, 50), st.integers(1, 30)),
        min_size=1,
        max_size=6,
    ),
)
def test_conflicts_plus_slivers_equal_shapely_areas(reds, farms):
    def boxes(spec):
        return [b(x, y, x + s, y + s * 0.7) for x, y, s in spec]

    red = gdf([f"R{i}" for i in range(len(reds))], boxes(reds))
    farm = gdf([f"F{i}" for i in range(len(farms))], boxes(farms))
    report = check_controls({"redline": red, "farmland": farm}, min_area_m2=20.0)
    expected = sum(shapely.intersection(r, f).area for r in red.geometry for f in farm.geometry)
    got = (
        report.conflicts["area_m2"].sum()
        + report.slivers[report.slivers["layer_a"] != report.slivers["layer_b"]]["area_m2"].sum()
    )
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-9)
    assert (report.conflicts["area_m2"] >= 20.0).all()
    assert (report.slivers["area_m2"] < 20.0).all()


# ---------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def make_project(tmp_path, *, red=None, farm=None, urban=None, towns=None, extra=None):
    """A project with the three control lines stored in three CRSs (as in real databases)."""
    d = tmp_path / "layers"
    d.mkdir(exist_ok=True)
    red = red if red is not None else gdf(["R1"], [b(0, 0, 1000, 1000)])
    farm = farm if farm is not None else gdf(["F1"], [b(500, 0, 1500, 1000)], field="YJJBNTTBBH")
    urban = urban if urban is not None else gdf(["U1"], [b(5000, 0, 6000, 1000)])
    red.to_crs(4490).to_file(d / "stbhhx.gpkg")
    farm.to_crs(4526).to_file(d / "yjjbnt.gpkg")
    urban.to_crs(4547).to_file(d / "czkfbj.gpkg")
    layers = {
        "redline": {"path": "layers/stbhhx.gpkg", "role": "control", "label": "生态保护红线"},
        "farmland": {"path": "layers/yjjbnt.gpkg", "role": "control", "label": "永久基本农田"},
        "urban": {"path": "layers/czkfbj.gpkg", "role": "control", "label": "城镇开发边界"},
    }
    if towns is not None:
        towns.to_file(d / "townships.gpkg")
        layers["townships"] = {
            "path": "layers/townships.gpkg",
            "role": "admin",
            "name_field": "XZQMC",
        }
    cfg = {
        "name": "测试旗",
        "layers": layers,
        "control_lines": ["redline", "farmland", "urban"],
    }
    cfg.update(extra or {})
    p = tmp_path / "project.yaml"
    p.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return p


def test_cli_mixed_crs_outputs_and_summary(tmp_path):
    cfg = make_project(tmp_path)
    out, csv = tmp_path / "out.gpkg", tmp_path / "summary.csv"
    r = run("controls", "-c", cfg, "-o", out, "--summary", csv)
    assert r.exit_code == 0, r.output
    assert "working CRS EPSG:4547" in r.output
    assert "生态保护红线 × 永久基本农田: 1 conflict, 750.00 mu" in r.output
    assert "生态保护红线 × 城镇开发边界: 0 conflicts, 0.00 mu" in r.output
    assert "slivers (< 1 m²): 0" in r.output
    assert "invalid geometries: 0" in r.output
    assert [n for n, _ in pyogrio.list_layers(out)] == [
        "conflicts",
        "slivers",
        "self_overlaps",
        "invalid",
    ]
    conflicts = gpd.read_file(out, layer="conflicts")
    assert conflicts.crs.to_epsg() == 4547
    assert conflicts[["layer_a", "layer_b", "id_a", "id_b"]].values.tolist() == [
        ["redline", "farmland", "R1", "F1"]
    ]
    # stored in EPSG:4490 and 4526 and read back: exact up to the reprojection round trip
    assert conflicts["area_m2"].iloc[0] == pytest.approx(500_000.0, rel=1e-6)
    # empty layers are written with their columns, so a user sees 0
    info = pyogrio.read_info(out, layer="slivers")
    assert info["features"] == 0
    assert list(info["fields"]) == list(CONFLICT_COLUMNS)
    assert list(pyogrio.read_info(out, layer="invalid")["fields"]) == list(INVALID_COLUMNS)
    raw = csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM for Excel
    table = pd.read_csv(csv, encoding="utf-8-sig")
    assert list(table.columns) == list(SUMMARY_COLUMNS)
    assert table[["layer_a", "layer_b", "township", "conflicts"]].values.tolist() == [
        ["redline", "farmland", TOTAL, 1],
        ["redline", "urban", TOTAL, 0],
        ["farmland", "urban", TOTAL, 0],
        [ALL, ALL, TOTAL, 1],
    ]
    assert table["area_mu"].iloc[-1] == pytest.approx(750.0, rel=1e-6)


def test_cli_fail_on_conflict_exit_status(tmp_path):
    cfg = make_project(tmp_path)
    r = run("controls", "-c", cfg, "--fail-on-conflict")
    assert r.exit_code == 3, r.output
    assert "1 conflict" in r.output
    (tmp_path / "clean").mkdir()
    clean = make_project(
        tmp_path / "clean", farm=gdf(["F1"], [b(2000, 0, 3000, 1000)], field="YJJBNTTBBH")
    )
    r = run("controls", "-c", clean, "--fail-on-conflict")
    assert r.exit_code == 0, r.output
    assert "all pairs: 0 conflicts" in r.output


def test_cli_no_output_writes_nothing(tmp_path):
    cfg = make_project(tmp_path)
    before = set(p.name for p in tmp_path.rglob("*"))
    r = run("controls", "-c", cfg)
    assert r.exit_code == 0, r.output
    assert set(p.name for p in tmp_path.rglob("*")) == before
    assert "wrote" not in r.output


def test_cli_existing_output_needs_overwrite(tmp_path):
    cfg = make_project(tmp_path)
    out = tmp_path / "out.gpkg"
    out.write_bytes(b"old content")
    csv = tmp_path / "s.csv"
    r = run("controls", "-c", cfg, "-o", out, "--summary", csv)
    assert r.exit_code == 2
    assert "Error:" in r.output and "out.gpkg: file exists" in r.output
    assert "--overwrite" in r.output
    assert out.read_bytes() == b"old content"
    assert not csv.exists()  # refused before anything was written
    r = run("controls", "-c", cfg, "-o", out, "--overwrite")
    assert r.exit_code == 0, r.output
    assert len(pyogrio.list_layers(out)) == 4


def test_cli_bad_output_suffix_and_threshold(tmp_path):
    cfg = make_project(tmp_path)
    r = run("controls", "-c", cfg, "-o", tmp_path / "out.shp")
    assert r.exit_code == 2
    assert ".gpkg" in r.output
    r = run("controls", "-c", cfg, "--summary", tmp_path / "s.txt")
    assert r.exit_code == 2
    assert ".csv, .xlsx" in r.output
    r = run("controls", "-c", cfg, "--min-area-m2", "-1")
    assert r.exit_code == 2


def test_cli_townships_slivers_self_overlap_invalid(tmp_path):
    bowtie = Polygon(
        [(X0 + 8000, Y0), (X0 + 9000, Y0 + 1000), (X0 + 9000, Y0), (X0 + 8000, Y0 + 1000)]
    )
    farm = gdf(
        ["F1", "F2", "F3", "F4"],
        [
            b(500, 0, 1500, 1000),  # conflict with R1, across the township boundary x=700
            b(999.5, 2000, 1100, 2001),  # 0.5 m² sliver with R2
            bowtie,  # invalid
            b(1400, 0, 1600, 100),  # overlaps F1 by 100 x 100
        ],
        field="YJJBNTTBBH",
    )
    red = gdf(["R1", "R2"], [b(0, 0, 1000, 1000), b(0, 2000, 1000, 3000)])
    towns = gpd.GeoDataFrame(
        {"XZQMC": ["明安图镇", "星耀镇"]},
        geometry=[b(-5000, -5000, 700, 5000), b(700, -5000, 10000, 5000)],
        crs=4547,
    )
    cfg = make_project(tmp_path, red=red, farm=farm, towns=towns)
    out, csv = tmp_path / "out.gpkg", tmp_path / "s.csv"
    r = run("controls", "-c", cfg, "-o", out, "--summary", csv)
    assert r.exit_code == 0, r.output
    assert "Warning: farmland (永久基本农田): repaired 1 invalid geometry" in r.output
    assert "slivers (< 1 m²): 1" in r.output
    assert "self-overlaps: 1 (永久基本农田 1)" in r.output
    assert "invalid geometries: 1 (永久基本农田 1)" in r.output
    c = gpd.read_file(out, layer="conflicts")
    assert c["township"].tolist() == ["明安图镇", "星耀镇"]
    assert c["area_m2"].tolist() == pytest.approx([200_000.0, 300_000.0], rel=1e-6)
    inv = gpd.read_file(out, layer="invalid")
    assert inv[["layer", "id"]].values.tolist() == [["farmland", "F3"]]
    assert inv["reason"].iloc[0].startswith("Self-intersection")
    so = gpd.read_file(out, layer="self_overlaps")
    assert so[["layer", "id_a", "id_b", "township"]].values.tolist() == [
        ["farmland", "F1", "F4", "星耀镇"]
    ]
    assert so["area_m2"].iloc[0] == pytest.approx(10_000.0, rel=1e-6)
    sl = gpd.read_file(out, layer="slivers")
    assert sl[["id_a", "id_b"]].values.tolist() == [["R2", "F2"]]
    table = pd.read_csv(csv, encoding="utf-8-sig", keep_default_na=False)
    rf = table[(table.layer_a == "redline") & (table.layer_b == "farmland")]
    assert rf["township"].tolist() == ["明安图镇", "星耀镇", TOTAL]
    assert rf["conflicts"].tolist() == [1, 1, 1]
    # with a 0.1 m² threshold the sliver becomes a conflict
    r = run("controls", "-c", cfg, "--min-area-m2", "0.1")
    assert "slivers (< 0.1 m²): 0" in r.output
    assert "生态保护红线 × 永久基本农田: 2 conflicts" in r.output


def test_cli_on_invalid_raise_refuses(tmp_path):
    bowtie = Polygon(
        [(X0 + 8000, Y0), (X0 + 9000, Y0 + 1000), (X0 + 9000, Y0), (X0 + 8000, Y0 + 1000)]
    )
    farm = gdf(["F1", "F9"], [b(500, 0, 1500, 1000), bowtie], field="YJJBNTTBBH")
    cfg = make_project(tmp_path, farm=farm, extra={"on_invalid": "raise"})
    r = run("controls", "-c", cfg)
    assert r.exit_code == 2
    assert "Error:" in r.output and "F9" in r.output and "Self-intersection" in r.output


def test_cli_layer_without_crs_and_no_control_lines(tmp_path):
    cfg = make_project(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pyogrio: 'crs' was not provided
        # a shapefile without .prj: no CRS, which ecogis refuses rather than guesses
        gpd.GeoDataFrame({"BSM": ["U1"]}, geometry=[b(0, 0, 10, 10)]).to_file(
            tmp_path / "layers" / "nocrs.shp"
        )
    data = yaml.safe_load(cfg.read_text(encoding="utf-8"))
    data["layers"]["urban"]["path"] = "layers/nocrs.shp"
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    r = run("controls", "-c", cfg)
    assert r.exit_code == 2
    assert "urban" in r.output and "no CRS" in r.output
    data["control_lines"] = []
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    r = run("controls", "-c", cfg)
    assert r.exit_code == 2
    assert "control_lines is empty" in r.output


def test_cli_help_documents_exit_statuses():
    r = run("controls", "--help")
    assert r.exit_code == 0
    assert "--fail-on-conflict" in r.output and "Exit status" in r.output
    assert "3  conflicts were found" in r.output
    assert "ecogis controls -c configs/demo.yaml" in r.output


# ---------------------------------------------------------------------------------------------
# the demo data set: the planted conflicts, sliver, invalid polygon and self-overlap
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_data(request, tmp_path_factory):
    """The session ``demo`` fixture of conftest.py, or a demo made here when there is none."""
    try:
        return request.getfixturevalue("demo")
    except pytest.FixtureLookupError:
        from ecogis.demo import make_demo

        root = tmp_path_factory.mktemp("demo")
        return make_demo(root / "layers" / "demo", config_path=root / "configs" / "demo.yaml")


def _read_work(path, layer=None):
    return gpd.read_file(path, layer=layer).to_crs(4547)


def _ids_of(planted, layer):
    return planted["id_fields"][layer]


def test_demo_controls_find_exactly_what_was_planted(demo_data, tmp_path):
    from ecogis.demo import PLANTED

    planted = demo_data.planted
    out, csv = tmp_path / "controls.gpkg", tmp_path / "controls.csv"
    r = run("controls", "-c", demo_data.config_path, "-o", out, "--summary", csv)
    assert r.exit_code == 0, r.output
    assert "working CRS EPSG:4547" in r.output

    conflicts = gpd.read_file(out, layer="conflicts")
    key = ["layer_a", "layer_b", "id_a", "id_b"]
    # township pieces of one conflict add up to its area
    found = conflicts.groupby(key, sort=False)["area_m2"].sum()
    expected = {tuple(c[k] for k in key): c["area_m2"] for c in planted["conflicts"]}
    assert set(found.index) == set(expected)
    by_construction = {tuple(c[k] for k in key): c["area_m2"] for c in PLANTED["conflicts"]}

    # hand computation: every pair of control lines overlaid with geopandas from the layers
    # as written (EPSG:4490 / 4526 / 4547), pieces of at least 1 m² summed per feature pair
    layers = {n: _read_work(demo_data.layers[n]) for n in ("redline", "farmland", "urban")}
    hand = {}
    sliver_hand = []
    for a, b_ in control_pairs(["redline", "farmland", "urban"]):
        fa, fb = _ids_of(planted, a), _ids_of(planted, b_)
        la = layers[a][[fa, "geometry"]].rename(columns={fa: "id_a"})
        lb = layers[b_][[fb, "geometry"]].rename(columns={fb: "id_b"})
        la["geometry"] = la.geometry.make_valid()
        lb["geometry"] = lb.geometry.make_valid()
        ov = gpd.overlay(la, lb, how="intersection", keep_geom_type=True)
        ov = ov.explode(index_parts=False)
        ov["area"] = ov.geometry.area
        for row in ov.itertuples():
            if row.area >= 1.0:
                k = (a, b_, str(row.id_a), str(row.id_b))
                hand[k] = hand.get(k, 0.0) + row.area
            elif row.area > 0:
                sliver_hand.append(((a, b_, str(row.id_a), str(row.id_b)), row.area))
    assert set(hand) == set(expected)
    for k, area in found.items():
        assert area == pytest.approx(hand[k], rel=1e-6)
        assert area == pytest.approx(expected[k], rel=1e-9)
        assert area == pytest.approx(by_construction[k], rel=1e-6)

    slivers = gpd.read_file(out, layer="slivers")
    s = planted["sliver"]
    assert slivers[key].values.tolist() == [[s["layer_a"], s["layer_b"], s["id_a"], s["id_b"]]]
    assert slivers["area_m2"].iloc[0] == pytest.approx(s["area_m2"], rel=1e-6)
    assert slivers["area_m2"].iloc[0] == pytest.approx(PLANTED["sliver"]["area_m2"], rel=1e-5)
    assert [k for k, _ in sliver_hand] == [tuple(slivers[key].iloc[0])]
    assert slivers["area_m2"].iloc[0] == pytest.approx(sliver_hand[0][1], rel=1e-6)

    invalid = gpd.read_file(out, layer="invalid")
    inv = planted["invalid"]
    assert invalid[["layer", "id"]].values.tolist() == [[inv["layer"], inv["id"]]]
    assert invalid["reason"].iloc[0].startswith(inv["reason"])
    assert not invalid.geometry.iloc[0].is_valid  # as stored, not repaired

    selfs = gpd.read_file(out, layer="self_overlaps")
    so = planted["self_overlap"]
    pairs = selfs.groupby(["layer", "id_a", "id_b"])["area_m2"].sum()
    assert pairs.index.tolist() == [(so["layer"], so["id_a"], so["id_b"])]
    f = layers["farmland"].set_index(_ids_of(planted, "farmland")).geometry
    assert pairs.iloc[0] == pytest.approx(f[so["id_a"]].intersection(f[so["id_b"]]).area, rel=1e-6)
    assert pairs.iloc[0] == pytest.approx(PLANTED["self_overlap"]["area_m2"], rel=1e-6)

    # the summary: per pair totals and the grand total match the planted areas
    table = pd.read_csv(csv, encoding="utf-8-sig", keep_default_na=False)
    totals = table[table["township"] == TOTAL].set_index(["layer_a", "layer_b"])
    for (a, b_), grp in pd.Series(expected).groupby(level=[0, 1]):
        assert totals.loc[(a, b_), "conflicts"] == len(grp)
        assert totals.loc[(a, b_), "area_m2"] == pytest.approx(grp.sum(), rel=1e-9)
    assert totals.loc[(ALL, ALL), "conflicts"] == len(expected)
    assert totals.loc[(ALL, ALL), "area_mu"] == pytest.approx(
        sum(expected.values()) * 15 / 10000, rel=1e-9
    )
    assert set(conflicts["township"]) != {""}  # the demo has townships: every piece is in one
    for a, b_ in control_pairs(["redline", "farmland", "urban"]):
        n = sum(1 for k in expected if k[:2] == (a, b_))
        mu = sum(v for k, v in expected.items() if k[:2] == (a, b_)) * 15 / 10000
        label = {"redline": "生态保护红线", "farmland": "永久基本农田", "urban": "城镇开发边界"}
        line = f"{label[a]} × {label[b_]}: {n} conflict{'' if n == 1 else 's'}, {mu:,.2f} mu"
        assert line in r.output

    r = run("controls", "-c", demo_data.config_path, "--fail-on-conflict")
    assert r.exit_code == 3

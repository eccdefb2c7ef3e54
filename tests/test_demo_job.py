"""The quick start: `ecogis demo` runs the whole job on the demo data."""

import math

import geopandas as gpd
import pandas as pd
from click.testing import CliRunner

from ecogis.cli import cli
from ecogis.demo import PLANTED


def test_ecogis_demo_runs_the_whole_job(demo_run):
    tmp_path, output = demo_run
    results = tmp_path / "layers" / "demo" / "results"
    conflicts = gpd.read_file(results / "controls.gpkg", layer="conflicts")
    assert len(conflicts.groupby(["layer_a", "layer_b", "id_a", "id_b"])) == len(
        PLANTED["conflicts"]
    )
    summary = pd.read_csv(results / "controls_summary.csv", encoding="utf-8-sig")
    assert list(summary.columns) == [
        "layer_a",
        "layer_b",
        "township",
        "conflicts",
        "area_m2",
        "area_mu",
    ]
    sites = gpd.read_file(results / "screening.gpkg", layer="sites")
    assert dict(zip(sites["site_id"], sites["verdict"], strict=True)) == PLANTED["sites"]
    assert (results / "screening.xlsx").stat().st_size > 0
    assert (results / "progress.xlsx").stat().st_size > 0
    for kind in ("controls", "progress", "screening"):
        page = tmp_path / "maps" / f"{kind}.html"
        assert page.stat().st_size > 10_000
        assert f"maps/{kind}.html" in output
    assert (tmp_path / "configs" / "demo.yaml").exists()


def test_plots_check_finds_the_planted_afforestation_on_farmland(demo, tmp_path):
    out = tmp_path / "plots.csv"
    r = CliRunner().invoke(
        cli,
        [
            "plots",
            "check",
            "-c",
            str(demo.config_path),
            "--registry",
            str(tmp_path / "reg.gpkg"),
            "--csv",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    table = pd.read_csv(out, encoding="utf-8-sig")
    planted = demo.planted["plot_on_farmland"]
    assert table["plot_id"].tolist() == [planted["plot_id"]]
    row = table.iloc[0]
    assert row["verdict"] == "not_allowed" and row["control"] == "farmland"
    assert math.isclose(row["overlap_m2"], planted["area_m2"], rel_tol=1e-4)


def test_config_and_layers_check_on_the_demo(demo):
    r = CliRunner().invoke(cli, ["config", "check", "-c", str(demo.config_path)])
    assert r.exit_code == 0, r.output
    assert "OK — 正镶白旗生态修复示范" in r.output
    assert "rule set pv_sand_control: 9 checks, min eligible 300 mu" in r.output
    r = CliRunner().invoke(cli, ["layers", "check", "-c", str(demo.config_path)])
    assert r.exit_code == 0, r.output
    farmland = r.output.split("farmland — 永久基本农田")[1].split("\n\n")[0]
    assert "CRS: EPSG:4526" in farmland
    assert "invalid: 1" in farmland
    assert f"{PLANTED['invalid']['id']}: Self-intersection" in farmland
    redline = r.output.split("redline — 生态保护红线")[1].split("\n\n")[0]
    assert "CRS: EPSG:4490" in redline and "invalid: 0" in redline
    assert "1 problem(s) found" in r.output

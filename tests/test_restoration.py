"""Restoration tracking: validation, event log and replay, progress, imports, cross-checks."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from ecogis.cli import cli
from ecogis.errors import RegistryError
from ecogis.restoration import (
    TOTAL,
    Change,
    baseline_from_events,
    plan_update,
    state_as_of,
    summarize_progress,
)
from ecogis.restoration.store import GpkgRegistry

REPO = Path(__file__).resolve().parents[1]
X, Y = 500_000.0, 4_700_000.0
TODAY = dt.date(2023, 6, 30)


# ------------------------------------------------------------------------- fixtures


def make_project(folder: Path) -> Path:
    """Six pits, four plots, townships, farmland / urban, two NDVI rasters, a config."""
    import geopandas as gpd
    import rasterio
    from affine import Affine
    from shapely.geometry import box

    pits = gpd.GeoDataFrame(
        {
            "pit_id": [f"P{i:03d}" for i in range(1, 7)],
            "name": [f"采坑{i}" for i in range(1, 7)],
            "township": ["明安图镇", "明安图镇", "星耀镇", "星耀镇", "明安图镇", "星耀镇"],
            "pit_class": [10] * 6,
            "site_type": ["采场"] * 6,
            "verified_m2": [10000.0, 20000.0, 5000.0, 8000.0, 3000.0, 6000.0],
            "treated_m2": [0.0, 0.0, 5000.0, 7000.0, 0.0, 6000.0],
            "status": ["untreated", "in_progress", "treated", "accepted", "untreated", "treated"],
            "method": [1, 2, 3, 1, 2, 3],
            "planned_year": [2022, 2022, 2021, 2021, 2023, 2022],
            "completed_on": [None, None, "2021-09-01", "2021-08-01", None, "2022-07-01"],
            "accepted_on": [None, None, None, "2021-10-01", None, None],
        },
        geometry=[box(X + i * 300, Y, X + i * 300 + 100, Y + 100) for i in range(6)],
        crs=4547,
    )
    plots = gpd.GeoDataFrame(
        {
            "plot_id": ["F01", "F02", "F03", "F04"],
            "kind": ["afforestation", "enclosure", "afforestation", "grass_planting"],
            "township": ["明安图镇", "星耀镇", "星耀镇", "明安图镇"],
            "year": [2022, 2022, 2022, 2021],
            "planned_mu": [100.0, 200.0, 50.0, 30.0],
            "completed_mu": [0.0, 50.0, 50.0, 30.0],
            "survival_rate": [None, 0.8, 0.9, None],
            "status": ["planned", "in_progress", "completed", "completed"],
        },
        geometry=[box(X + k * 1000, Y + 1000, X + k * 1000 + 300, Y + 1300) for k in range(4)],
        crs=4547,
    )
    towns = gpd.GeoDataFrame(
        {"XZQMC": ["明安图镇", "星耀镇", "宝力根陶海苏木"]},
        geometry=[
            box(X - 1000, Y - 1000, X + 1000, Y + 3000),
            box(X + 1000, Y - 1000, X + 2500, Y + 3000),
            box(X + 2500, Y - 1000, X + 5000, Y + 3000),
        ],
        crs=4547,
    )
    # farmland covers the east half of F01 (afforestation): 150 m x 300 m = 45 000 m²;
    # urban covers a 100 m x 100 m corner of F02 (enclosure)
    farm = gpd.GeoDataFrame(geometry=[box(X + 150, Y + 1000, X + 400, Y + 1300)], crs=4547)
    urban = gpd.GeoDataFrame(geometry=[box(X + 1200, Y + 1200, X + 1500, Y + 1500)], crs=4547)
    for name, gdf in (("pits", pits), ("plots", plots), ("towns", towns), ("farm", farm),
                      ("urban", urban)):  # fmt: skip
        gdf.to_file(folder / f"{name}.gpkg")
    # NDVI: everything greens by 0.2 except the west 1000 m (pits P001-P004, plot F01)
    tr = Affine(10.0, 0.0, X - 500, 0.0, -10.0, Y + 2000)
    for name, gain in (("ndvi_2021", 0.0), ("ndvi_2023", 0.2)):
        arr = np.full((300, 600), 0.2, dtype="float32")
        arr[:, 150:] += gain
        with rasterio.open(
            folder / f"{name}.tif", "w", driver="GTiff", height=300, width=600, count=1,
            dtype="float32", crs="EPSG:4547", transform=tr, nodata=-9999,
        ) as ds:  # fmt: skip
            ds.write(arr, 1)
    cfg = folder / "cfg.yaml"
    cfg.write_text(
        """name: test
crs: EPSG:4547
registry: restoration.gpkg
layers:
  townships: {path: towns.gpkg, role: admin, name_field: XZQMC}
  farmland: {path: farm.gpkg, role: control, label: 永久基本农田}
  urban: {path: urban.gpkg, role: control, label: 城镇开发边界}
  pits: {path: pits.gpkg, role: pits}
  plots: {path: plots.gpkg, role: plots}
  ndvi_2021: {path: ndvi_2021.tif, role: raster}
  ndvi_2023: {path: ndvi_2023.tif, role: raster}
targets: {2022: {afforestation_mu: 1000, enclosure_mu: 400, pits_km2: 0.02, pits_count: 4}}
""",
        encoding="utf-8",
    )
    return cfg


@pytest.fixture
def project(tmp_path):
    cfg = make_project(tmp_path)
    res = CliRunner().invoke(cli, ["pits", "init", "-c", str(cfg), "--by", "初始化"])
    assert res.exit_code == 0, res.output
    return cfg


def run(*args, ok: bool = True):
    res = CliRunner().invoke(cli, [str(a) for a in args])
    if ok:
        assert res.exit_code == 0, res.output
    return res


def registry_of(cfg: Path) -> Path:
    return cfg.parent / "restoration.gpkg"


def csv_tables(csv: Path) -> dict[str, pd.DataFrame]:
    """The tables of ``progress --csv F`` (F_pits.csv, F_plots.csv, F_greening.csv): the
    numbers as computed (the XLSX is the same numbers, for people)."""
    return {
        p.stem[len(csv.stem) + 1 :]: pd.read_csv(p, encoding="utf-8-sig")
        for p in sorted(csv.parent.glob(f"{csv.stem}_*.csv"))
    }


# ------------------------------------------------------------------------- validation


def state():
    return pd.DataFrame(
        {
            "pit_id": ["P1", "P2"],
            "name": ["a", "b"],
            "township": ["t", "t"],
            "pit_class": ["10", "10"],
            "site_type": ["采场", "采场"],
            "verified_m2": [1000.0, 500.0],
            "treated_m2": [0.0, 500.0],
            "status": ["untreated", "accepted"],
            "method": ["1", "1"],
            "planned_year": [2022, 2021],
            "completed_on": [None, "2021-05-01"],
            "accepted_on": [None, "2021-09-01"],
        }
    )


@pytest.mark.parametrize(
    "oid, values, kw, message",
    [
        ("P11", {"status": "treated"}, {}, "unknown pit id 'P11' (did you mean P1"),
        ("P2", {"status": "untreated"}, {}, "going back needs --force); allowed next: none (final state)"),
        ("P1", {"status": "accepted"}, {}, "cannot change status untreated -> accepted; allowed next: in_progress, treated"),
        ("P1", {"treated_m2": -5}, {}, "treated_m2 must be >= 0"),
        ("P1", {"treated_m2": 1500}, {}, "above the verified area"),
        ("P1", {"status": "in_progress"}, {"date": "2023-07-01"}, "is in the future"),
        ("P1", {"status": "in_progress"}, {"date": "2021-12-31"}, "before the plan year planned_year=2022"),
        ("P1", {"completed_on": "2021-03-01"}, {}, "before the plan year"),
        ("P1", {"colour": "red"}, {}, "unknown field 'colour'"),
        ("P1", {"treatd_m2": 5}, {}, "did you mean treated_m2"),
        ("P1", {"status": "treated"}, {}, "status treated needs treated_m2 > 0"),
        ("P1", {"status": "done"}, {}, "unknown status 'done'"),
        ("P1", {"verified_m2": "lots"}, {}, "'lots' is not a number"),
    ],
)  # fmt: skip
def test_plan_update_refuses(oid, values, kw, message):
    with pytest.raises(RegistryError) as exc:
        plan_update(state(), "pit", oid, values, today=TODAY, **kw)
    assert message in str(exc.value)
    assert "\n" not in str(exc.value)


def test_plan_update_changes_and_dates():
    ch = plan_update(
        state(),
        "pit",
        "P1",
        {"status": "treated", "treated_m2": 900},
        date="2022-08-30",
        today=TODAY,
    )
    assert [(c.field, c.old, c.new) for c in ch] == [
        ("treated_m2", 0.0, 900.0),
        ("status", "untreated", "treated"),
        ("completed_on", None, "2022-08-30"),
    ]
    assert {c.effective_date for c in ch} == {"2022-08-30"}
    # a forced step back clears the dates of the later stages
    back = plan_update(
        state(), "pit", "P2", {"status": "in_progress"}, force=True, reason="验收退回", today=TODAY
    )
    assert {c.field: c.new for c in back} == {
        "status": "in_progress",
        "completed_on": None,
        "accepted_on": None,
    }
    assert plan_update(state(), "pit", "P1", {"name": "a"}, today=TODAY) == []


def test_plot_rules():
    plots = pd.DataFrame(
        {"plot_id": ["F1"], "kind": ["afforestation"], "township": ["t"], "year": [2022],
         "planned_mu": [100.0], "completed_mu": [0.0], "survival_rate": [None], "status": ["planned"]}
    )  # fmt: skip
    with pytest.raises(RegistryError, match=r"share from 0 to 1, got 85 \(write 0.85 for 85%\)"):
        plan_update(plots, "plot", "F1", {"survival_rate": 85}, today=TODAY)
    with pytest.raises(RegistryError, match="needs completed_mu > 0; pass --completed-mu"):
        plan_update(plots, "plot", "F1", {"status": "completed"}, today=TODAY)
    ch = plan_update(
        plots, "plot", "F1", {"status": "completed", "completed_mu": 90, "survival_rate": 0.9},
        date="2022-10-01", today=TODAY,
    )  # fmt: skip
    assert {c.field for c in ch} == {"status", "completed_mu", "survival_rate"}


# ------------------------------------------------------------------------- registry file


def test_registry_is_a_geopackage_with_an_append_only_log(project):
    import pyogrio

    path = registry_of(project)
    layers = {name: gt for name, gt in pyogrio.list_layers(path)}
    assert layers["pits"] == "MultiPolygon" and layers["plots"] == "MultiPolygon"
    assert "events" in layers
    gdal_pits = pyogrio.read_dataframe(path, layer="pits")
    mine = GpkgRegistry(path).load_pits()
    assert list(gdal_pits["pit_id"]) == list(mine["pit_id"])
    assert gdal_pits.geometry.area.round(6).tolist() == mine.geometry.area.round(6).tolist()
    assert mine.crs.to_epsg() == 4547
    con = sqlite3.connect(path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE events SET new = 'x' WHERE id = 1")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("DELETE FROM events")
    con.close()
    # one baseline event per object, then the dated steps of the layer's completed_on /
    # accepted_on (P003 and P006 treated, P004 treated then accepted), all by the builder
    ev = GpkgRegistry(path).events()
    created = ev[ev["field"] == "*created*"]
    assert len(created) == 6 + 4 and created["effective_date"].isna().all()
    steps = ev[ev["field"] != "*created*"]
    assert sorted(steps["object_id"].unique()) == ["P003", "P004", "P006"]
    assert steps.loc[steps["object_id"] == "P004", "effective_date"].tolist() == (
        ["2021-08-01"] * 3 + ["2021-10-01"] * 2
    )
    assert set(ev["by"]) == {"初始化"} and set(ev["client"]) == {"ecogis"}


def test_apply_refuses_stale_changes(project):
    reg = GpkgRegistry(registry_of(project))
    stale = Change("pit", "P001", "method", "9", "2", "2022-05-01")  # stored method is "1"
    before = registry_of(project).read_bytes()
    with pytest.raises(RegistryError, match="changed by someone else"):
        reg.apply([stale], by="x")
    assert registry_of(project).read_bytes() == before


# ------------------------------------------------------------------------- CLI: update, history, as-of


def test_update_history_as_of(project):
    res = run("pits", "update", "P001", "--status", "treated", "--treated-m2", 9000, "--date",
              "2022-06-01", "--by", "王工", "--note", "现场核查", "-c", project)  # fmt: skip
    assert "pit P001: status untreated -> treated" in res.output
    hist = run("history", "P001", "-c", project).output
    assert "(created)" in hist and "现场核查" in hist and "2022-06-01" in hist
    assert "untreated" in hist and "Treated area (m²)" in hist

    reg = GpkgRegistry(registry_of(project))
    pits, _, events = reg.snapshot(geometry=False)
    base = baseline_from_events(events, "pit")
    before = state_as_of(base, events, "2022-05-31", otype="pit")
    after = state_as_of(base, events, "2022-06-01", otype="pit")
    assert before.at["P001", "status"] == "untreated" and before.at["P001", "treated_m2"] == 0
    assert after.at["P001", "status"] == "treated" and after.at["P001", "treated_m2"] == 9000
    # replaying the whole log gives exactly the stored state
    pd.testing.assert_frame_equal(state_as_of(base, events, otype="pit"), pits)

    out = tmpcsv = registry_of(project).parent / "p.csv"
    run("progress", "-c", project, "--year", 2022, "--as-of", "2022-05-31", "--csv", tmpcsv)
    early = pd.read_csv(out.with_name("p_pits.csv"))
    run("progress", "-c", project, "--year", 2022, "--csv", tmpcsv, "--overwrite")
    late = pd.read_csv(out.with_name("p_pits.csv"))
    e, la = (t[t["township"] == TOTAL].iloc[0] for t in (early, late))
    # on 2022-05-31 P006 (completed_on 2022-07-01 in the layer) was not treated yet either
    assert e["untreated_count"] == 3 and la["untreated_count"] == 1
    assert e["remaining_count"] == 4 and la["remaining_count"] == 2
    assert la["treated_in_year_km2"] == pytest.approx((9000 + 6000) / 1e6)


BAD_UPDATES = [
    (["pits", "update", "P999", "--status", "treated"], "unknown pit id 'P999'"),
    (["pits", "update", "P004", "--status", "untreated"], "going back needs --force"),
    (["pits", "update", "P001", "--treated-m2", "-1"], "must be >= 0"),
    (["pits", "update", "P001", "--treated-m2", "10001"], "above the verified area"),
    (["pits", "update", "P001", "--status", "in_progress", "--date", "2999-01-01"], "in the future"),
    (["pits", "update", "P001", "--status", "in_progress", "--date", "2020-05-01"], "before the plan year"),
    (["pits", "update", "P001", "--set", "depth=3"], "unknown field 'depth'"),
    (["plots", "update", "F02", "--survival-rate", "80"], "share from 0 to 1"),
    (["plots", "update", "F9", "--completed-mu", "1"], "unknown plot id 'F9'"),
]  # fmt: skip


@pytest.mark.parametrize("args, message", BAD_UPDATES)
def test_refused_update_leaves_registry_byte_identical(project, args, message):
    path = registry_of(project)
    before = path.read_bytes()
    res = run(*args, "-c", project, ok=False)
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.output.splitlines() if ln.startswith("Error:")]
    assert len(lines) == 1 and message in lines[0], res.output
    assert path.read_bytes() == before


# ------------------------------------------------------------------------- progress


def independent_totals(registry: Path, year: int) -> dict:
    """Totals straight from the registry tables with sqlite3 and pandas."""
    con = sqlite3.connect(registry)
    pits = pd.read_sql("SELECT status, verified_m2, treated_m2, completed_on FROM pits", con)
    plots = pd.read_sql("SELECT kind, year, completed_mu FROM plots", con)
    con.close()
    out = {f"{s}_km2": pits.loc[pits.status == s, "verified_m2"].sum() / 1e6
           for s in ("untreated", "in_progress", "treated", "accepted")}  # fmt: skip
    out.update({f"{s}_count": int((pits.status == s).sum())
                for s in ("untreated", "in_progress", "treated", "accepted")})  # fmt: skip
    rem = pits.status.isin(["untreated", "in_progress"])
    out["remaining_km2"] = pits.loc[rem, "verified_m2"].sum() / 1e6
    done = pits.status.isin(["treated", "accepted"])
    in_year = done & pits.completed_on.fillna("").str.startswith(str(year))
    out["treated_in_year_km2"] = pits.loc[in_year, "treated_m2"].sum() / 1e6
    py = plots[plots.year == year]
    out["plots_mu"] = py.groupby("kind")["completed_mu"].sum().to_dict()
    return out


def check_against_independent(tables: dict, expected: dict, targets: dict) -> None:
    total = tables["pits"][tables["pits"]["township"] == TOTAL].iloc[0]
    for key, value in expected.items():
        if key != "plots_mu":
            assert total[key] == pytest.approx(value, rel=1e-9, abs=1e-12), key
    assert bool(total["cleared"]) == (expected["remaining_km2"] == 0)
    plots = tables["plots"]
    totals = plots[plots["township"] == TOTAL].set_index("kind")
    assert totals["completed_mu"].to_dict() == pytest.approx(expected["plots_mu"])
    # township rows add up to the total rows; percent only on the totals
    by_kind = plots[plots["township"] != TOTAL].groupby("kind")["completed_mu"].sum()
    assert by_kind.to_dict() == pytest.approx(totals["completed_mu"].to_dict())
    assert plots.loc[plots["township"] != TOTAL, "percent"].isna().all()
    for kind, mu in expected["plots_mu"].items():
        t = targets.get(f"{kind}_mu")
        if t:
            assert totals.at[kind, "percent"] == pytest.approx(100 * mu / t)
            assert totals.at[kind, "completed_wanmu"] == pytest.approx(mu / 10000)


def test_progress_matches_independent_totals(project, tmp_path):
    run("pits", "update", "P002", "--status", "treated", "--treated-m2", 15000, "--date",
        "2022-09-01", "-c", project)  # fmt: skip
    run("plots", "update", "F01", "--completed-mu", 80, "--status", "completed",
        "--survival-rate", 0.9, "--date", "2022-10-01", "-c", project)  # fmt: skip
    csv = tmp_path / "progress.csv"
    res = run("progress", "-c", project, "--year", 2022, "--csv", csv)
    assert "清零 countdown: 2 pits" in res.output
    tables = csv_tables(csv)
    assert set(tables) == {"pits", "plots"}
    expected = independent_totals(registry_of(project), 2022)
    check_against_independent(tables, expected, {"afforestation_mu": 1000, "enclosure_mu": 400})
    # township rows listed for every township of the admin layer, even without pits
    assert "宝力根陶海苏木" in set(tables["pits"]["township"])


def test_progress_cleared():
    pits = pd.DataFrame({"township": ["a", "b"], "status": ["treated", "accepted"],
                         "verified_m2": [1e6, 2e6], "treated_m2": [1e6, 2e6],
                         "completed_on": ["2022-05-01", "2021-05-01"]})  # fmt: skip
    plots = pd.DataFrame(columns=["township", "kind", "year", "status", "planned_mu",
                                  "completed_mu", "survival_rate"])  # fmt: skip
    t = summarize_progress(pits, plots, targets={2022: {"pits_km2": 2.0}}, year=2022)
    total = t["pits"].iloc[-1]
    assert total["township"] == TOTAL and bool(total["cleared"])
    assert total["remaining_km2"] == 0 and total["percent_km2"] == pytest.approx(50.0)
    assert t["pits"]["accepted_km2"].iloc[-1] == pytest.approx(2.0)


# ------------------------------------------------------------------------- import


def test_import_dry_run_then_apply(project, tmp_path):
    sheet = tmp_path / "batch.csv"
    pd.DataFrame(
        {"pit_id": ["P001", "P002"], "status": ["in_progress", "treated"],
         "treated_m2": [None, 18000], "date": ["2022-05-01", "2022-09-30"]}
    ).to_csv(sheet, index=False)  # fmt: skip
    path = registry_of(project)
    before = path.read_bytes()
    res = run("pits", "import", sheet, "--dry-run", "-c", project)
    assert "dry run: nothing written" in res.output and "P002" in res.output
    assert path.read_bytes() == before
    run("pits", "import", sheet, "--by", "批量", "-c", project)
    reg = GpkgRegistry(path)
    pits = reg.load_pits(geometry=False)
    assert pits.at["P001", "status"] == "in_progress"
    assert (
        pits.at["P002", "treated_m2"] == 18000 and pits.at["P002", "completed_on"] == "2022-09-30"
    )
    ev = reg.events()
    new = ev[ev["batch"] == ev["batch"].iloc[-1]]
    assert len(new) == 4 and set(new["by"]) == {"批量"} and set(new["client"]) == {"ecogis"}
    assert sorted(new["effective_date"].unique()) == ["2022-05-01", "2022-09-30"]


def test_import_with_a_bad_row_writes_nothing(project, tmp_path):
    sheet = tmp_path / "batch.xlsx"
    pd.DataFrame(
        {"pit_id": ["P001", "P003", "P00X"], "method": ["3", "2", "1"],
         "treated_m2": [None, 99999, None]}
    ).to_excel(sheet, index=False)  # fmt: skip
    path = registry_of(project)
    before = path.read_bytes()
    res = run("pits", "import", sheet, "-c", project, ok=False)
    assert res.exit_code == 2
    assert "2 problem(s), nothing written" in res.output
    assert "row 3: pit P003: treated_m2 99999 is above" in res.output
    assert "row 4: unknown pit id 'P00X'" in res.output
    assert path.read_bytes() == before


def test_import_from_gis_file(project, tmp_path):
    import geopandas as gpd

    gdf = gpd.read_file(project.parent / "plots.gpkg")[["plot_id", "geometry"]]
    gdf["completed_mu"] = [10.0, 60.0, 50.0, 30.0]
    gdf.to_file(tmp_path / "survey.gpkg")
    res = run("plots", "import", tmp_path / "survey.gpkg", "--date", "2022-11-01", "-c", project)
    assert "2 change(s) to 2 plots" in res.output  # F03, F04 unchanged
    plots = GpkgRegistry(registry_of(project)).load_plots(geometry=False)
    assert plots["completed_mu"].tolist() == [10.0, 60.0, 50.0, 30.0]


def new_pits_layer():
    """An update of P001 and two new pits (one a MultiPolygon), sent in WGS 84."""
    import geopandas as gpd
    import shapely
    from shapely.geometry import box

    return gpd.GeoDataFrame(
        {"pit_id": ["P001", "P007", "P008"], "name": [None, "新坑7", "新坑8"],
         "township": [None, "星耀镇", "明安图镇"], "method": ["3", None, "2"],
         "verified_m2": [None, 4000.0, 1250.0], "treated_m2": [None, 3000.0, None],
         "status": [None, "treated", None], "planned_year": [None, 2022, 2023]},
        geometry=[
            box(X, Y, X + 100, Y + 100),
            box(X + 3000, Y + 5000, X + 3080, Y + 5050),
            shapely.MultiPolygon([box(X + 4000, Y + 5000, X + 4025, Y + 5025),
                                  box(X + 4100, Y + 5000, X + 4125, Y + 5025)]),
        ],
        crs=4547,
    ).to_crs(4326)  # fmt: skip


def test_import_add_new_pits(project, tmp_path):
    import geopandas as gpd
    import pyogrio

    layer = tmp_path / "核查2022.gpkg"
    new_pits_layer().to_file(layer)
    path = registry_of(project)
    before = path.read_bytes()
    # without --add-new unknown ids stay refused, and the message says how to add them
    res = run("pits", "import", layer, "-c", project, ok=False)
    assert res.exit_code == 2 and "unknown pit id 'P007'" in res.output
    assert "--add-new" in res.output and path.read_bytes() == before
    # the dry run shows the new pits and the update, and writes nothing
    res = run("pits", "import", layer, "--add-new", "--dry-run", "-c", project)
    assert "1 change(s) to 1 pits, 2 new pits" in res.output
    assert "P007" in res.output and "P008" in res.output and "星耀镇" in res.output
    assert "dry run: nothing written" in res.output and path.read_bytes() == before

    res = run("pits", "import", layer, "--add-new", "--date", "2022-10-01", "--by", "核查",
              "-c", project)  # fmt: skip
    assert "recorded 1 change(s) to 1 pits and 2 new pits in one transaction" in res.output
    reg = GpkgRegistry(path)
    pits = reg.load_pits()
    assert len(pits) == 8 and pits.crs.to_epsg() == 4547
    assert pits.at["P001", "method"] == "3"
    expected = new_pits_layer().to_crs(4547).set_index("pit_id").area
    for oid in ("P007", "P008"):
        assert pits.geometry[oid].geom_type == "MultiPolygon"
        assert abs(pits.geometry[oid].area - expected[oid]) < 1e-6
    p7 = pits.loc["P007"]
    assert (p7["status"], p7["verified_m2"], p7["treated_m2"]) == ("treated", 4000.0, 3000.0)
    assert p7["completed_on"] == "2022-10-01" and p7["planned_year"] == 2022
    p8 = pits.loc["P008"]
    assert (p8["status"], p8["treated_m2"], p8["name"]) == ("untreated", 0.0, "新坑8")
    # baseline events in the same batch as the update, dated by --date
    ev = reg.events()
    new = ev[ev["batch"] == ev["batch"].iloc[-1]]
    created = new[new["field"] == "*created*"].set_index("object_id")
    assert sorted(created.index) == ["P007", "P008"] and set(new["by"]) == {"核查"}
    assert set(created["effective_date"]) == {"2022-10-01"}
    assert baseline_from_events(ev, "pit").at["P007", "verified_m2"] == 4000.0
    hist = run("history", "P007", "-c", project).output
    assert "pit P007: 1 event(s)" in hist and "(created)" in hist and "核查" in hist
    # progress counts them; replayed before their creation date they are not there yet
    csv = tmp_path / "p.csv"
    run("progress", "-c", project, "--year", 2022, "--csv", csv)
    total = pd.read_csv(tmp_path / "p_pits.csv").set_index("township").loc[TOTAL]
    assert total["pits"] == 8 and total["treated_count"] == 3
    assert total["treated_in_year_km2"] == pytest.approx((6000 + 3000) / 1e6)
    run("progress", "-c", project, "--year", 2022, "--as-of", "2022-09-30", "--csv", csv,
        "--overwrite")  # fmt: skip
    assert pd.read_csv(tmp_path / "p_pits.csv").set_index("township").at[TOTAL, "pits"] == 6
    # still a valid GeoPackage for GDAL: feature count, spatial index, extent
    assert pyogrio.read_info(path, layer="pits")["features"] == 8
    near = pyogrio.read_dataframe(path, layer="pits", bbox=(X + 2990, Y + 4990, X + 3100, Y + 5100))
    assert near["pit_id"].tolist() == ["P007"]
    assert len(gpd.read_file(path, layer="pits", bbox=(X - 10, Y - 10, X + 5000, Y + 6000))) == 8
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert con.execute("SELECT max_y FROM gpkg_contents WHERE table_name = 'pits'").fetchone()[
        0
    ] == pytest.approx(Y + 5050)
    con.close()


def test_import_add_new_refusals_write_nothing(project, tmp_path):
    import geopandas as gpd
    from shapely.geometry import LineString, box

    path = registry_of(project)
    before = path.read_bytes()
    # a spreadsheet has no geometry: new ids refused even with --add-new
    sheet = tmp_path / "new.csv"
    pd.DataFrame({"pit_id": ["P001", "P009"], "township": ["星耀镇", "星耀镇"],
                  "verified_m2": [10, 500]}).to_csv(sheet, index=False)  # fmt: skip
    res = run("pits", "import", sheet, "--add-new", "-c", project, ok=False)
    assert res.exit_code == 2 and "P009" in res.output
    assert "not a spreadsheet" in res.output and path.read_bytes() == before
    # one new pit without verified_m2, one with a line: the whole import is refused
    layer = tmp_path / "bad.geojson"
    gpd.GeoDataFrame(
        {"pit_id": ["P001", "P010", "P011", "P012"], "method": ["3", None, None, None],
         "township": [None, "星耀镇", "星耀镇", "星耀镇"],
         "verified_m2": [None, None, 100.0, 100.0]},
        geometry=[box(X, Y, X + 1, Y + 1), box(X, Y, X + 9, Y + 9),
                  LineString([(X, Y), (X + 50, Y)]), box(X + 20, Y, X + 30, Y + 10)],
        crs=4547,
    ).to_crs(4326).to_file(layer)  # fmt: skip
    res = run("pits", "import", layer, "--add-new", "-c", project, ok=False)
    assert res.exit_code == 2 and "2 problem(s), nothing written" in res.output
    assert "row 3: new pit P010: verified_m2 missing" in res.output
    assert "row 4: new pit P011: geometry is LineString" in res.output
    assert path.read_bytes() == before
    # plots: a new plot needs its kind
    plots = tmp_path / "plots.gpkg"
    gpd.GeoDataFrame(
        {"plot_id": ["F09"], "township": ["星耀镇"], "year": [2022], "planned_mu": [10.0]},
        geometry=[box(X, Y + 5000, X + 50, Y + 5050)], crs=4547,
    ).to_file(plots)  # fmt: skip
    res = run("plots", "import", plots, "--add-new", "-c", project, ok=False)
    assert res.exit_code == 2 and "new plot F09: kind missing" in res.output
    assert path.read_bytes() == before


def test_sigkill_mid_import_leaves_registry_as_before(project, tmp_path):
    path = registry_of(project)
    sheet = tmp_path / "batch.csv"
    pd.DataFrame({"pit_id": [f"P{i:03d}" for i in range(1, 7)], "name": [f"新名{i}" for i in range(6)],
                  "method": ["4"] * 6}).to_csv(sheet, index=False)  # fmt: skip
    before = path.read_bytes()
    events_before = GpkgRegistry(path).events()
    marker = tmp_path / "paused"
    env = dict(os.environ, ECOGIS_REGISTRY_TEST_PAUSE=f"5:60:{marker}", PYTHONPATH=str(REPO))
    log = tmp_path / "import.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ecogis", "pits", "import", str(sheet), "-c", str(project)],
            env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "import never reached the pause"
            time.sleep(0.05)
        # five changes are written inside the open transaction: the journal proves it
        assert path.with_name(path.name + "-journal").exists()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    reg = GpkgRegistry(path)  # the next open rolls the hot journal back
    pd.testing.assert_frame_equal(reg.events(), events_before)
    assert path.read_bytes() == before
    # and the registry still works; the next commit clears the stale journal
    run("pits", "update", "P001", "--set", "method=4", "-c", project)
    assert GpkgRegistry(path).load_pits().at["P001", "method"] == "4"
    assert not path.with_name(path.name + "-journal").exists()


# ------------------------------------------------------------------------- cross-checks


def test_plots_check_overlaps(project, tmp_path):
    out = tmp_path / "check.csv"
    res = run("plots", "check", "-c", project, "--csv", out)
    assert "1 afforestation plot(s) on permanent basic farmland" in res.output
    df = pd.read_csv(out)
    rows = {(r.plot_id, r.control): r for r in df.itertuples()}
    assert set(rows) == {("F01", "farmland"), ("F02", "urban")}
    f01 = rows[("F01", "farmland")]
    assert f01.overlap_m2 == pytest.approx(45000.0) and f01.overlap_mu == pytest.approx(67.5)
    assert f01.verdict == "not_allowed"
    assert rows[("F02", "urban")].overlap_m2 == pytest.approx(10000.0)
    assert rows[("F02", "urban")].verdict == "review"


def test_list_filters(project, tmp_path):
    res = run("pits", "list", "--township", "星耀镇", "--status", "treated", "-c", project)
    assert "P003" in res.output and "P006" in res.output and "P001" not in res.output
    assert "2 pits" in res.output
    res = run("plots", "list", "--kind", "afforestation", "--year", 2022, "-c", project)
    assert "2 plots" in res.output and "F04" not in res.output


def test_ndvi_flags_finished_work_without_greening(project, tmp_path):
    out = tmp_path / "g.csv"
    res = run("progress", "-c", project, "--year", 2022, "--ndvi", "ndvi_2021", "ndvi_2023",
              "--csv", out)  # fmt: skip
    g = csv_tables(out)["greening"]
    # finished: pits P003 P004 P006, plots F03 F04; the west 1000 m did not green
    assert sorted(g["id"]) == ["F03", "F04", "P003", "P004", "P006"]
    assert sorted(g.loc[g["flagged"], "id"]) == ["P003", "P004"]
    assert "2 of 5 finished pits / plots show no greening" in res.output


# ------------------------------------------------------------------------- demo data


def test_demo_progress_2022_matches_independent_totals(demo, tmp_path):
    from ecogis.config import load_config

    reg = tmp_path / "restoration.gpkg"
    out = tmp_path / "demo.csv"
    cfg = demo.config_path
    run("pits", "init", "-c", cfg, "--registry", reg)
    # as of today: the tables as they stand (a past --year alone is replayed to its end)
    run("progress", "-c", cfg, "--registry", reg, "--year", 2022, "--as-of",
        dt.date.today().isoformat(), "--csv", out)  # fmt: skip
    tables = csv_tables(out)
    targets = dict(load_config(cfg).targets[2022])
    check_against_independent(tables, independent_totals(reg, 2022), targets)
    total = tables["pits"][tables["pits"]["township"] == TOTAL].iloc[0]
    assert total["pits"] == 40 and not total["cleared"]


def test_demo_update_then_as_of(demo, tmp_path):
    reg = tmp_path / "restoration.gpkg"
    cfg = demo.config_path
    run("pits", "init", "-c", cfg, "--registry", reg)
    pits = GpkgRegistry(reg).load_pits(geometry=False)
    pid = pits.index[(pits["status"] == "in_progress") & (pits["planned_year"] == 2022)][0]
    verified = pits.at[pid, "verified_m2"]
    run("pits", "update", pid, "--status", "treated", "--treated-m2", verified, "--date",
        "2023-03-01", "--registry", reg)  # fmt: skip
    assert "2023-03-01" in run("history", pid, "--registry", reg).output
    csv = tmp_path / "p.csv"
    run("progress", "-c", cfg, "--registry", reg, "--year", 2023, "--as-of", "2023-02-28",
        "--csv", csv)  # fmt: skip
    old = pd.read_csv(tmp_path / "p_pits.csv").iloc[-1]
    run("progress", "-c", cfg, "--registry", reg, "--year", 2023, "--as-of", "2023-03-01",
        "--csv", csv, "--overwrite")  # fmt: skip
    new = pd.read_csv(tmp_path / "p_pits.csv").iloc[-1]
    assert new["in_progress_count"] == old["in_progress_count"] - 1
    assert new["treated_in_year_km2"] == pytest.approx(old["treated_in_year_km2"] + verified / 1e6)


def test_demo_greening_finds_the_planted_pits_and_plots(demo, tmp_path):
    reg = tmp_path / "restoration.gpkg"
    out = tmp_path / "g.csv"
    run("progress", "-c", demo.config_path, "--registry", reg, "--ndvi", "ndvi_2021",
        "ndvi_2023", "--csv", out)  # fmt: skip
    g = csv_tables(out)["greening"]
    planted = demo.planted["ndvi"]["not_greened"]
    assert set(g.loc[g["flagged"], "id"]) == set(planted["pits"]) | set(planted["plots"])


def test_cli_choices_are_the_models_vocabulary():
    """The CLI's status and kind choices are the tuples of ecogis.restoration.model itself,
    not copies, and the import help names the fields a new object needs from the model."""
    from ecogis.cli.pits_cmd import pits
    from ecogis.cli.plots_cmd import plots
    from ecogis.restoration import model

    def choices(group, cmd, option):
        param = next(p for p in group.commands[cmd].params if p.name == option)
        return param.type.choices

    assert tuple(choices(pits, "update", "status")) == model.PIT_STATUSES
    assert tuple(choices(pits, "list", "status")) == model.PIT_STATUSES
    assert tuple(choices(plots, "update", "status")) == model.PLOT_STATUSES
    assert tuple(choices(plots, "list", "kind")) == model.PLOT_KINDS
    for group, otype in ((pits, "pit"), (plots, "plot")):
        assert ", ".join(model.NEW_REQUIRED[otype]) in group.commands["import"].help


@pytest.mark.parametrize("otype, flag", [("pits", "--treated-m2"), ("plots", "--completed-mu")])
def test_update_with_nothing_to_change_is_a_usage_error(project, otype, flag):
    before = registry_of(project).read_bytes()
    obj = "P1" if otype == "pits" else "F1"
    res = run(otype, "update", obj, "-c", project, ok=False)
    assert res.exit_code == 2
    assert "nothing to change" in res.output and flag in res.output
    assert registry_of(project).read_bytes() == before

"""A dated baseline (issue 16): the registry is built with the known past of each object.

A pit that the layer records as treated on 2022-10-25 was not treated in June 2022, so
``progress --as-of 2022-06-30`` must not count it, whenever the registry was built. The
expectations are computed here from the demo layer's own dated fields.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from ecogis.cli import cli
from ecogis.restoration import TOTAL
from ecogis.restoration.store import GpkgRegistry

DAY = "2022-06-30"


def run(*args, ok: bool = True):
    res = CliRunner().invoke(cli, [str(a) for a in args])
    if ok:
        assert res.exit_code == 0, res.output
    return res


def expected_on(pits: gpd.GeoDataFrame, day: str) -> pd.DataFrame:
    """Each pit's status on ``day`` by the layer's dates: accepted from accepted_on, treated
    from completed_on, untreated before that; pits without dates as the layer records them."""
    out = []
    for p in pits.itertuples():
        done, accepted = p.completed_on, p.accepted_on
        if isinstance(accepted, str) and accepted <= day:
            status = "accepted"
        elif isinstance(done, str) and done <= day:
            status = "treated"
        elif isinstance(done, str):
            status = "untreated"  # treated later: not yet on that day
        else:
            status = p.status
        out.append({"pit_id": p.pit_id, "township": p.township, "status": status})
    return pd.DataFrame(out)


@pytest.fixture
def demo_registry(demo, tmp_path):
    cfg = Path(demo.config_path)
    reg = tmp_path / "restoration.gpkg"
    run("registry", "init", "-c", cfg, "--registry", reg)
    pits = gpd.read_file(cfg.parent.parent / "layers" / "demo" / "pits.gpkg")
    return cfg, reg, pits


def test_as_of_counts_exactly_the_pits_the_layer_dates(demo_registry, tmp_path):
    cfg, reg, pits = demo_registry
    csv = tmp_path / "p.csv"
    res = run("progress", "-c", cfg, "--registry", reg, "--as-of", DAY, "--year", 2022,
              "--csv", csv)  # fmt: skip
    got = pd.read_csv(tmp_path / "p_pits.csv").set_index("township")
    want = expected_on(pits, DAY)
    done = ["treated", "accepted"]
    assert 0 < want["status"].isin(done).sum() < pits["status"].isin(done).sum()  # some later
    for status in ("untreated", "in_progress", "treated", "accepted"):
        by_town = want[want["status"] == status].groupby("township").size()
        assert got.at[TOTAL, f"{status}_count"] == (want["status"] == status).sum(), status
        for town, n in by_town.items():
            assert got.at[town, f"{status}_count"] == n, (status, town)
    # pits completed after that day are not counted as treated in the year
    in_year = want[(want["status"].isin(["treated", "accepted"]))]
    dated = pits.set_index("pit_id").loc[in_year["pit_id"], "completed_on"].str[:4] == "2022"
    assert got.at[TOTAL, "treated_in_year_count"] == int(dated.sum())
    # the warning names the baseline day and what the layers did not date
    today = dt.date.today().isoformat()
    warned = [ln for ln in res.stderr.splitlines() if ln.startswith("Warning:")]
    assert len(warned) == 1 and f"before the registry's baseline ({today})" in warned[0]
    undated = int((pits["status"] == "in_progress").sum())
    assert f"{undated} pit(s) and" in warned[0]
    assert f"shown as recorded on {today}" in warned[0]
    # the history of one such pit shows the dated steps
    late = pits[pits["completed_on"] > DAY].iloc[0]
    ev = GpkgRegistry(reg).events(late["pit_id"])
    status = ev[ev["field"] == "status"]
    assert status["effective_date"].iloc[0] == late["completed_on"]
    assert status["old"].iloc[0] == "untreated" and status["new"].iloc[0] == "treated"


def test_a_past_year_is_reported_at_its_end(demo_registry, tmp_path):
    """`progress --year 2022` = the state on 2022-12-31; the report a map of that year gets
    (run_progress(..., replay_year=True)) colours the pits the same way."""
    import warnings

    from ecogis import Project, run_progress
    from ecogis.errors import EcogisWarning

    cfg, reg, pits = demo_registry
    csv = tmp_path / "p.csv"
    run("progress", "-c", cfg, "--registry", reg, "--year", 2022, "--csv", csv)
    year_end = pd.read_csv(tmp_path / "p_pits.csv")
    run("progress", "-c", cfg, "--registry", reg, "--year", 2022, "--as-of", "2022-12-31",
        "--csv", csv, "--overwrite")  # fmt: skip
    pd.testing.assert_frame_equal(year_end, pd.read_csv(tmp_path / "p_pits.csv"))
    want = expected_on(pits, "2022-12-31").set_index("pit_id")["status"]
    assert (year_end.iloc[-1]["untreated_count"]) == (want == "untreated").sum()
    with Project.open(cfg, registry=reg) as project, warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        report = run_progress(project, year=2022, replay_year=True)
        now = run_progress(project, year=2022)  # as things stand today
    assert any(issubclass(x.category, EcogisWarning) for x in w)
    assert report.as_of == dt.date(2022, 12, 31) and now.as_of is None
    assert report.pits["status"].to_dict() == want.to_dict()
    assert report.pits.geometry.notna().all()
    assert (now.pits["status"] == pits.set_index("pit_id")["status"]).all()


def test_without_a_registry_the_layers_dates_are_replayed(demo, tmp_path):
    """No registry yet: --as-of replays the layers' dates the same way and builds nothing."""
    cfg = Path(demo.config_path)
    root = tmp_path / "copy"
    shutil.copytree(
        cfg.parent.parent / "layers",
        root / "layers",
        ignore=shutil.ignore_patterns("restoration.gpkg*", "results"),
    )
    shutil.copytree(cfg.parent, root / "configs")
    copy = root / "configs" / cfg.name
    registry = root / "layers" / "demo" / "restoration.gpkg"
    assert not registry.exists()
    csv = tmp_path / "p.csv"
    run("progress", "-c", copy, "--as-of", DAY, "--year", 2022, "--csv", csv)
    got = pd.read_csv(tmp_path / "p_pits.csv").set_index("township")
    assert not registry.exists()
    want = expected_on(gpd.read_file(root / "layers" / "demo" / "pits.gpkg"), DAY)
    assert got.at[TOTAL, "treated_count"] == (want["status"] == "treated").sum()
    assert got.at[TOTAL, "untreated_count"] == (want["status"] == "untreated").sum()


def test_a_layer_whose_dates_contradict_its_status_is_refused(tmp_path):
    from test_restoration import make_project

    cfg = make_project(tmp_path)
    pits = gpd.read_file(tmp_path / "pits.gpkg")
    pits.loc[pits["pit_id"] == "P001", "completed_on"] = "2022-05-01"  # P001 is untreated
    pits.to_file(tmp_path / "pits.gpkg")
    res = run("registry", "init", "-c", cfg, ok=False)
    assert res.exit_code == 2
    assert "P001: completed_on 2022-05-01 but status untreated" in res.output
    assert not (tmp_path / "restoration.gpkg").exists()


def test_plots_init_and_registry_init_are_one_command(tmp_path):
    from test_restoration import make_project

    cfg = make_project(tmp_path)
    res = run("plots", "init", "-c", cfg, "--by", "李工")
    assert "registry restoration.gpkg: 6 pits, 4 plots" in res.output
    assert "11 dated step(s)" in res.output  # P003, P004, P006 of the layer
    res = run("registry", "init", "-c", cfg, ok=False)
    assert res.exit_code == 2 and "registry exists; pass --overwrite" in res.output
    run("pits", "init", "-c", cfg, "--overwrite")
    assert len(list(tmp_path.glob("restoration.gpkg.bak-*"))) == 1

"""Two real processes updating one registry at once: no update is lost, the log is whole."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from ecogis.restoration.store import GpkgRegistry

REPO = Path(__file__).resolve().parents[1]
N = 60  # updates per process

# Each worker: N rounds; in round i it sets its own pit's treated_m2 to i (a new value every
# time), its own plot's completed_mu, and the shared pit's method to "<worker>-<i>" — the same
# object and field as the other worker. Every update validates against the locked state.
WORKER = textwrap.dedent(
    """
    import sys
    import time
    from pathlib import Path
    from ecogis.restoration.store import GpkgRegistry

    path, me, own_pit, own_plot, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    reg = GpkgRegistry(path, timeout=120)
    # start together (a start line): otherwise one worker may finish before the other starts
    folder = Path(path).parent
    (folder / ("ready-" + me)).touch()
    while not (folder / "go").exists():
        time.sleep(0.01)
    other = "w2" if me == "w1" else "w1"
    for i in range(1, n + 1):
        # lockstep: round i starts only once the other worker has begun round i - 1, so the two
        # really compete for the write lock in every round (SQLite's busy handler is not fair:
        # left alone, one writer can hold the lock round after round while the other waits)
        (folder / f"{me}-round").write_text(str(i))
        deadline = time.monotonic() + 120
        while True:
            try:
                theirs = int((folder / f"{other}-round").read_text() or 0)
            except (FileNotFoundError, ValueError):
                theirs = 0
            if theirs >= i - 1 or time.monotonic() > deadline:
                break
            time.sleep(0.001)
        reg.update("pit", own_pit, {"treated_m2": float(i)}, by=me, date="2022-06-01")
        reg.update("plot", own_plot, {"completed_mu": float(i)}, by=me, date="2022-06-01")
        reg.update("pit", "SHARED", {"method": f"{me}-{i}"}, by=me, date="2022-06-01", note=str(i))
    print("done", me)
    """
)


def make_registry(path: Path) -> GpkgRegistry:
    import geopandas as gpd
    from shapely.geometry import box

    ids = ["A", "B", "SHARED"]
    pits = gpd.GeoDataFrame(
        {
            "pit_id": ids,
            "township": ["t"] * 3,
            "verified_m2": [1e6] * 3,
            "status": ["in_progress"] * 3,
            "method": ["0"] * 3,
            "planned_year": [2022] * 3,
        },
        geometry=[
            box(500_000 + 200 * i, 4_700_000, 500_100 + 200 * i, 4_700_100) for i in range(3)
        ],
        crs=4547,
    )
    plots = gpd.GeoDataFrame(
        {
            "plot_id": ["FA", "FB"],
            "kind": ["afforestation", "enclosure"],
            "township": ["t", "t"],
            "year": [2022, 2022],
            "planned_mu": [1000.0, 1000.0],
            "status": ["in_progress", "in_progress"],
        },
        geometry=[
            box(501_000, 4_700_000, 501_100, 4_700_100),
            box(502_000, 4_700_000, 502_100, 4_700_100),
        ],
        crs=4547,
    )
    return GpkgRegistry.create(path, pits, plots, by="setup")


def chains_are_whole(events: pd.DataFrame) -> None:
    """For every object and field, each event's old value is the previous event's new value."""
    ev = events[events["field"] != "*created*"].sort_values("id")
    for (_, _), group in ev.groupby(["object_id", "field"]):
        olds, news = group["old"].tolist(), group["new"].tolist()
        assert olds[1:] == news[:-1], group[["id", "object_id", "field", "old", "new", "by"]]


@pytest.mark.slow
def test_two_processes_lose_no_update(tmp_path):
    path = tmp_path / "restoration.gpkg"
    make_registry(path)
    script = tmp_path / "worker.py"
    script.write_text(WORKER, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    logs = [tmp_path / f"w{k}.log" for k in (1, 2)]
    procs = []
    for me, pit, plot, log in (("w1", "A", "FA", logs[0]), ("w2", "B", "FB", logs[1])):
        with open(log, "wb") as out:
            procs.append(
                subprocess.Popen(
                    [sys.executable, str(script), str(path), me, pit, plot, str(N)],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
    deadline = time.monotonic() + 120
    while not all((tmp_path / f"ready-w{k}").exists() for k in (1, 2)):
        assert time.monotonic() < deadline, "workers did not start"
        time.sleep(0.01)
    (tmp_path / "go").touch()
    for p, log in zip(procs, logs, strict=True):
        assert p.wait(timeout=600) == 0, log.read_text()

    reg = GpkgRegistry(path)
    pits, plots, events = reg.snapshot(geometry=False)
    updates = events[events["field"] != "*created*"]
    # every update of both processes is in the log: 3 changes per round per worker
    assert len(updates) == 2 * 3 * N
    assert (updates["by"].value_counts() == 3 * N).all()
    shared = updates[updates["object_id"] == "SHARED"]
    assert sorted(shared["new"]) == sorted(f"w{k}-{i}" for k in (1, 2) for i in range(1, N + 1))
    # the two processes really interleaved on the shared pit
    assert (shared["by"] != shared["by"].shift()).sum() > 2
    chains_are_whole(events)
    # final state = the last event of each object and field = the last value written
    assert pits.at["A", "treated_m2"] == N and pits.at["B", "treated_m2"] == N
    assert plots.at["FA", "completed_mu"] == N and plots.at["FB", "completed_mu"] == N
    assert pits.at["SHARED", "method"] == shared.sort_values("id")["new"].iloc[-1]
    # ids are gap-free: no transaction was half-written and rolled back
    assert events["id"].tolist() == list(range(1, len(events) + 1))


@pytest.mark.slow
def test_two_cli_processes_on_the_same_pit(tmp_path):
    """Two `ecogis pits update` commands on one pit started together: both changes land."""
    path = tmp_path / "restoration.gpkg"
    make_registry(path)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    cmds = [
        ["pits", "update", "SHARED", "--treated-m2", "5000", "--date", "2022-07-01", "--by", "甲"],
        ["pits", "update", "SHARED", "--set", "name=东坑", "--date", "2022-07-02", "--by", "乙"],
    ]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "ecogis", *c, "--registry", str(path)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for c in cmds
    ]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    pits = GpkgRegistry(path).load_pits(geometry=False)
    assert pits.at["SHARED", "treated_m2"] == 5000 and pits.at["SHARED", "name"] == "东坑"
    ev = GpkgRegistry(path).events("SHARED")
    assert set(ev.loc[ev["field"] != "*created*", "by"]) == {"甲", "乙"}

"""The restoration registry in PostGIS (``ecogis.registry_pg``), against a real server.

The core registry behaviour (update, history, as-of replay, validation, stale changes,
imports) runs on both stores through the ``store`` fixture; PostGIS-only tests cover the
tables, credentials, two concurrent writer processes, a SIGKILL mid-import and the CLI.
The server comes from ``ECOGIS_TEST_POSTGIS`` (tests/run.sh); every test gets a fresh schema.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import box
from test_restoration import csv_tables  # noqa: E402  (isort: tests import each other last)

from ecogis.cli import cli
from ecogis.errors import DataSourceError, RegistryError
from ecogis.restoration import (
    CREATED,
    TOTAL,
    Change,
    baseline_from_events,
    plan_import,
    state_as_of,
)
from ecogis.restoration.store import GpkgRegistry, PgRegistry, open_registry

REPO = Path(__file__).resolve().parents[1]
X, Y = 500_000.0, 4_700_000.0
TODAY = dt.date(2023, 6, 30)


# ------------------------------------------------------------------------- fixtures


def sql(uri: str, query: str, args=()) -> list[tuple]:
    """Run one statement on its own connection (autocommit) and return the rows."""
    import psycopg

    from ecogis.io.postgis import parse_postgis_uri

    with psycopg.connect(parse_postgis_uri(uri).conninfo, autocommit=True) as conn:
        cur = conn.execute(query, args)
        return cur.fetchall() if cur.description else []


@pytest.fixture
def pg_schema(pg_uri):
    """A fresh schema name per test; it (and any backup schema) is dropped afterwards."""
    name = f"ecogis_test_{uuid.uuid4().hex[:10]}"
    yield name
    drop_schemas(pg_uri, name)


def drop_schemas(uri: str, name: str) -> None:
    """Drop the schema ``name`` and its backup schemas."""
    for (s,) in sql(
        uri,
        "SELECT nspname FROM pg_namespace WHERE nspname = %s OR nspname LIKE %s",
        (name, name + "_bak_%"),
    ):
        sql(uri, f'DROP SCHEMA "{s}" CASCADE')


def with_schema(uri: str, schema: str) -> str:
    return uri + ("&" if "?" in uri else "?") + f"schema={schema}"


def layers() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Four pits (one a MultiPolygon, Chinese names) and two plots in EPSG:4547."""
    pits = gpd.GeoDataFrame(
        {
            "pit_id": ["P1", "P2", "P3", "P4"],
            "name": ["东坑", "西坑", "南坑", "北坑"],
            "township": ["明安图镇", "明安图镇", "星耀镇", "星耀镇"],
            "verified_m2": [1000.0, 500.0, 800.0, 10000.0 / 15],
            "treated_m2": [0.0, 500.0, 0.0, 0.0],
            "status": ["untreated", "accepted", "in_progress", "untreated"],
            "method": ["1", "1", "2", None],
            "planned_year": [2022, 2021, 2022, 2023],
            "completed_on": [None, "2021-05-01", None, None],
            "accepted_on": [None, "2021-09-01", None, None],
        },
        geometry=[
            box(X, Y, X + 100, Y + 100),
            shapely.MultiPolygon([box(X + 200, Y, X + 250, Y + 50), box(X + 300, Y, X + 310, Y + 9)]),
            box(X + 400, Y, X + 500, Y + 100),
            box(X + 600, Y, X + 650, Y + 80),
        ],
        crs=4547,
    )  # fmt: skip
    plots = gpd.GeoDataFrame(
        {
            "plot_id": ["F1", "F2"],
            "kind": ["afforestation", "enclosure"],
            "township": ["明安图镇", "星耀镇"],
            "year": [2022, 2022],
            "planned_mu": [100.0, 200.0],
            "completed_mu": [0.0, 50.0],
            "survival_rate": [None, 0.8],
            "status": ["planned", "in_progress"],
        },
        geometry=[box(X, Y + 1000, X + 300, Y + 1300), box(X + 1000, Y + 1000, X + 1300, Y + 1300)],
        crs=4547,
    )
    return pits, plots


@pytest.fixture(params=["gpkg", "postgis"])
def store(request, tmp_path):
    """A fresh registry built from :func:`layers`, in a GeoPackage or in PostGIS."""
    pits, plots = layers()
    if request.param == "gpkg":
        return GpkgRegistry.create(tmp_path / "restoration.gpkg", pits, plots, by="初始化")
    uri = request.getfixturevalue("pg_uri")
    schema = request.getfixturevalue("pg_schema")
    return PgRegistry.create(uri, pits, plots, by="初始化", schema=schema)


def frames(reg) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return reg.snapshot(geometry=False)


def assert_unchanged(reg, before) -> None:
    for a, b in zip(frames(reg), before, strict=True):
        pd.testing.assert_frame_equal(a, b)


# ------------------------------------------------------------------------- both stores


def test_update_history_as_of(store):
    changes = store.update(
        "pit", "P1", {"status": "treated", "treated_m2": 900}, date="2022-06-01", by="王工",
        note="现场核查", today=TODAY,
    )  # fmt: skip
    assert [(c.field, c.old, c.new) for c in changes] == [
        ("treated_m2", 0.0, 900.0),
        ("status", "untreated", "treated"),
        ("completed_on", None, "2022-06-01"),
    ]
    store.update("plot", "F1", {"completed_mu": 40}, date="2022-09-01", by="李工", today=TODAY)
    hist = store.events("P1")
    assert hist["field"].tolist() == [CREATED, "treated_m2", "status", "completed_on"]
    assert hist["old"].tolist()[1:] == ["0.0", "untreated", None]
    assert hist["new"].tolist()[1:] == ["900.0", "treated", "2022-06-01"]
    assert set(hist["note"].iloc[1:]) == {"现场核查"} and set(hist["by"].iloc[1:]) == {"王工"}
    assert hist["batch"].iloc[1:].nunique() == 1
    assert hist["effective_date"].tolist() == [None] + ["2022-06-01"] * 3
    # event times are UTC ISO text with Z, increasing with the id
    at = pd.to_datetime(store.events()["at"], format="ISO8601")
    assert at.is_monotonic_increasing and store.events()["at"].str.endswith("Z").all()
    assert (
        len(store.events(until="2022-08-31")) == len(store.events()) - 1
    )  # the plot update is later
    assert store.find("P1") == "pit" and store.find("F1") == "plot"
    with pytest.raises(RegistryError, match=r"no pit or plot with id 'P11' \(did you mean P1"):
        store.find("P11")

    pits, plots, events = frames(store)
    base = baseline_from_events(events, "pit")
    before = state_as_of(base, events, "2022-05-31", otype="pit")
    after = state_as_of(base, events, "2022-06-01", otype="pit")
    assert before.at["P1", "status"] == "untreated" and before.at["P1", "treated_m2"] == 0
    assert after.at["P1", "status"] == "treated" and after.at["P1", "treated_m2"] == 900
    # replaying the whole log gives exactly the stored state, for pits and plots
    pd.testing.assert_frame_equal(state_as_of(base, events, otype="pit"), pits)
    pbase = baseline_from_events(events, "plot")
    pd.testing.assert_frame_equal(state_as_of(pbase, events, otype="plot"), plots)
    # nothing to change: nothing written
    n = len(store.events())
    assert store.update("pit", "P1", {"name": "东坑"}, by="x", today=TODAY) == []
    assert len(store.events()) == n


@pytest.mark.parametrize(
    "otype, oid, values, kw, message",
    [
        ("pit", "P11", {"status": "treated"}, {}, "unknown pit id 'P11' (did you mean P1"),
        ("pit", "P2", {"status": "untreated"}, {}, "going back needs --force"),
        ("pit", "P1", {"status": "accepted"}, {}, "cannot change status untreated -> accepted"),
        ("pit", "P1", {"treated_m2": -5}, {}, "treated_m2 must be >= 0"),
        ("pit", "P1", {"treated_m2": 1500}, {}, "above the verified area"),
        ("pit", "P1", {"status": "in_progress"}, {"date": "2023-07-01"}, "is in the future"),
        ("pit", "P1", {"status": "in_progress"}, {"date": "2021-12-31"}, "before the plan year"),
        ("pit", "P1", {"treatd_m2": 5}, {}, "did you mean treated_m2"),
        ("plot", "F2", {"survival_rate": 85}, {}, "share from 0 to 1"),
        ("plot", "F1", {"status": "completed"}, {}, "needs completed_mu > 0"),
    ],
)  # fmt: skip
def test_refused_update_writes_nothing(store, otype, oid, values, kw, message):
    before = frames(store)
    with pytest.raises(RegistryError) as exc:
        store.update(otype, oid, values, by="x", today=TODAY, **kw)
    assert message in str(exc.value) and "\n" not in str(exc.value)
    assert_unchanged(store, before)


def test_forced_step_back(store):
    # a forced step needs its reason, kept as the events' note
    with pytest.raises(RegistryError, match=r"--force \(status accepted -> in_progress\) needs"):
        store.update("pit", "P2", {"status": "in_progress"}, by="x", force=True, today=TODAY)
    store.update("pit", "P2", {"status": "in_progress"}, by="x", force=True, today=TODAY,
                 note="验收退回")  # fmt: skip
    assert set(store.events("P2")["note"].iloc[-3:]) == {"验收退回"}
    p2 = store.load_pits(geometry=False).loc["P2"]
    assert p2["status"] == "in_progress"
    assert p2["completed_on"] is None and p2["accepted_on"] is None


def test_stale_changes_write_nothing(store):
    before = frames(store)
    fresh = Change("pit", "P1", "name", "东坑", "东一坑", "2022-05-01")
    stale = Change("pit", "P3", "method", "9", "3", "2022-05-01")  # stored method is "2"
    with pytest.raises(RegistryError, match="method is now '2', not '9'.*changed by someone else"):
        store.apply([fresh, stale], by="x")
    assert_unchanged(store, before)  # the valid first change was rolled back too
    with pytest.raises(RegistryError, match="--by NAME"):
        store.apply([fresh], by=" ")
    assert store.apply([fresh], by="x") == [fresh]
    assert store.load_pits(geometry=False).at["P1", "name"] == "东一坑"


def test_import_plan_under_the_lock(store):
    table = pd.DataFrame(
        {"pit_id": ["P1", "P3"], "status": ["in_progress", "treated"],
         "treated_m2": [None, 700], "date": ["2022-05-01", "2022-09-30"]}
    )  # fmt: skip
    seen = []

    def plan(state):
        seen.append(state("pit").at["P3", "status"])
        return plan_import(state("pit"), "pit", table, today=TODAY)

    written = store.apply(plan, "批量", "import batch.csv")
    assert seen == ["in_progress"] and len(written) == 4
    pits = store.load_pits(geometry=False)
    assert pits.at["P1", "status"] == "in_progress" and pits.at["P3", "treated_m2"] == 700
    assert pits.at["P3", "completed_on"] == "2022-09-30"
    new = store.events()
    new = new[new["batch"] == new["batch"].iloc[-1]]
    assert len(new) == 4 and set(new["by"]) == {"批量"}
    assert set(new["note"]) == {"import batch.csv"}
    # a plan that fails half-way writes nothing
    before = frames(store)

    def bad(state):
        return [
            Change("pit", "P4", "name", "北坑", "x", None),
            Change("pit", "P4", "depth", 1, 2, None),
        ]

    with pytest.raises(RegistryError, match="unknown field 'depth'"):
        store.apply(bad, "x")
    assert_unchanged(store, before)


def test_import_adds_new_objects(store):
    """--add-new on both stores: new pits / plots with geometry (reprojected) and baseline."""
    pits_in = gpd.GeoDataFrame(
        {"pit_id": ["P1", "P9"], "method": ["3", None], "township": [None, "星耀镇"],
         "verified_m2": [None, 2500.0], "status": [None, "accepted"],
         "treated_m2": [None, 2400.0]},
        geometry=[box(X, Y, X + 1, Y + 1), box(X + 2000, Y + 2000, X + 2050, Y + 2050)],
        crs=4547,
    ).to_crs(4326)  # fmt: skip
    plots_in = gpd.GeoDataFrame(
        {"plot_id": ["F7"], "kind": ["enclosure"], "township": ["星耀镇"], "year": [2022],
         "planned_mu": [75.0]},
        geometry=[box(X + 3000, Y + 3000, X + 3100, Y + 3050)], crs=4547,
    )  # fmt: skip
    crs = store.crs("pit")
    assert crs.to_epsg() == 4547

    def plan(state):
        return [
            *plan_import(state("pit"), "pit", pits_in, date="2022-08-01", today=TODAY,
                         add_new=True, crs=crs),
            *plan_import(state("plot"), "plot", plots_in, today=TODAY, add_new=True, crs=crs),
        ]  # fmt: skip

    written = store.apply(plan, "核查", "2022 核查")
    assert [(c.object_id, c.field) for c in written] == [
        ("P1", "method"), ("P9", CREATED), ("F7", CREATED),
    ]  # fmt: skip
    pits, plots = store.load_pits(), store.load_plots()
    assert len(pits) == 5 and len(plots) == 3 and pits.crs.to_epsg() == 4547
    area = pits_in.to_crs(4547).area.iloc[1]
    assert abs(pits.geometry["P9"].area - area) < 1e-6 and area == pytest.approx(2500)
    assert pits.geometry["P9"].geom_type == "MultiPolygon"
    assert plots.geometry["F7"].area == pytest.approx(5000)
    p9 = pits.loc["P9"]
    assert (p9["status"], p9["completed_on"], p9["accepted_on"]) == (
        "accepted", "2022-08-01", "2022-08-01",
    )  # fmt: skip
    assert plots.at["F7", "status"] == "planned" and plots.at["F7", "completed_mu"] == 0.0
    ev = store.events("P9")
    assert ev["field"].tolist() == [CREATED] and ev["effective_date"].tolist() == ["2022-08-01"]
    assert float(json.loads(ev["new"].iloc[0])["verified_m2"]) == 2500.0
    assert store.events("F7")["effective_date"].tolist() == [TODAY.isoformat()]
    events = store.events()
    base = baseline_from_events(events, "pit")
    assert "P9" in state_as_of(base, events, otype="pit").index
    assert "P9" not in state_as_of(base, events, "2022-07-31", otype="pit").index
    assert store.find("F7") == "plot"
    # a bad new row refuses everything; an id added since the plan is refused at write time
    before = frames(store)
    bad = pits_in.assign(pit_id=["P1", "P10"], verified_m2=[None, None])
    with pytest.raises(RegistryError, match="new pit P10: verified_m2 missing"):
        store.apply(
            lambda state: plan_import(state("pit"), "pit", bad, today=TODAY, add_new=True),
            "x",
        )
    again = Change("pit", "P9", CREATED, None, dict(p9.drop("geometry")), None,
                   shapely.to_wkb(p9.geometry))  # fmt: skip
    with pytest.raises(RegistryError, match="P9: that id exists now"):
        store.apply([Change("pit", "P1", "method", "3", "4", None), again], "x")
    assert_unchanged(store, before)


def test_create_refuses_an_existing_registry(store, tmp_path):
    pits, plots = layers()
    location = getattr(store, "path", None) or store.uri
    kw = {} if isinstance(store, GpkgRegistry) else {"schema": store.schema}
    with pytest.raises(RegistryError, match="registry exists; pass --overwrite"):
        type(store).create(location, pits, plots, by="x", **kw)
    store.update("pit", "P1", {"name": "改名"}, by="x", today=TODAY)
    again = type(store).create(location, pits.iloc[:2], plots, by="重建", overwrite=True, **kw)
    assert list(again.load_pits().index) == ["P1", "P2"]
    assert set(again.events()["by"]) == {"重建"}


def test_both_stores_hold_the_same_registry(pg_uri, pg_schema, tmp_path):
    pits, plots = layers()
    g = GpkgRegistry.create(tmp_path / "r.gpkg", pits, plots, by="setup")
    p = PgRegistry.create(pg_uri, pits, plots, by="setup", schema=pg_schema)
    for reg in (g, p):
        reg.update("pit", "P3", {"status": "treated", "treated_m2": 750.5}, date="2022-08-01",
                   by="王工", today=TODAY)  # fmt: skip
        reg.update("plot", "F2", {"survival_rate": 0.85}, date="2022-10-01", by="王工", today=TODAY)
    for otype in ("pit", "plot"):
        a, b = g.load(otype), p.load(otype)
        pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")),
                                      pd.DataFrame(b.drop(columns="geometry")))  # fmt: skip
        assert b.crs == a.crs and b.crs.to_epsg() == 4547
        assert b.geom_type.eq("MultiPolygon").all()
        assert b.geometry.geom_equals_exact(a.geometry, tolerance=0).all()
    ea, eb = g.events(), p.events()
    same = ["id", "effective_date", "object_type", "object_id", "field", "old", "new", "by", "note"]
    pd.testing.assert_frame_equal(ea[same], eb[same])
    assert eb.dtypes.equals(ea.dtypes)


# ------------------------------------------------------------------------- PostGIS tables


def test_tables_are_postgis_layers_with_an_append_only_log(pg_uri, pg_schema):
    import psycopg

    from ecogis.io.postgis import read_postgis_layer

    pits, plots = layers()
    reg = PgRegistry.create(pg_uri, pits, plots, by="初始化", schema=pg_schema)
    cols = sql(
        pg_uri,
        "SELECT f_table_name, type, srid FROM geometry_columns WHERE f_table_schema = %s "
        "ORDER BY 1",
        (pg_schema,),
    )
    assert cols == [("pits", "MULTIPOLYGON", 4547), ("plots", "MULTIPOLYGON", 4547)]
    # any PostGIS client (here ecogis' own layer reader) sees the registry as layers
    layer = read_postgis_layer(with_schema(pg_uri, pg_schema) + "&table=pits")
    assert layer["pit_id"].tolist() == ["P1", "P2", "P3", "P4"]
    assert layer.geometry.area.round(6).tolist() == pits.geometry.area.round(6).tolist()
    types = dict(
        sql(
            pg_uri,
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = 'pits'",
            (pg_schema,),
        )
    )
    assert types["verified_m2"] == "double precision" and types["planned_year"] == "integer"
    assert types["completed_on"] == "date"
    for stmt in (
        f"UPDATE \"{pg_schema}\".events SET new = 'x' WHERE id = 1",
        f'DELETE FROM "{pg_schema}".events',
        f'TRUNCATE "{pg_schema}".events',
    ):
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            sql(pg_uri, stmt)
    with pytest.raises(psycopg.errors.UniqueViolation):
        sql(pg_uri, f"INSERT INTO \"{pg_schema}\".pits (pit_id) VALUES ('P1')")
    ev = reg.events()
    created = ev[ev["field"] == CREATED]
    assert len(created) == 4 + 2 and set(ev["by"]) == {"初始化"}
    assert json.loads(ev.iloc[0]["new"])["name"] == "东坑"
    # P2 (completed 2021-05-01, accepted 2021-09-01 in the layer): its dated steps
    steps = ev[ev["field"] != CREATED]
    assert set(steps["object_id"]) == {"P2"}
    assert steps["effective_date"].tolist() == ["2021-05-01"] * 3 + ["2021-09-01"] * 2


def test_uri_rules(pg_uri, pg_schema):
    pits, plots = layers()
    PgRegistry.create(with_schema(pg_uri, pg_schema), pits, plots, by="x")
    # ?schema= in the URI, and the dispatcher, find the same registry
    reg = open_registry(with_schema(pg_uri, pg_schema))
    assert isinstance(reg, PgRegistry) and reg.schema == pg_schema
    assert PgRegistry.exists(pg_uri, schema=pg_schema)
    assert not PgRegistry.exists(pg_uri, schema=pg_schema + "_none")
    with pytest.raises(DataSourceError, match="no ecogis registry here .*ecogis registry init"):
        PgRegistry(pg_uri, schema=pg_schema + "_none")
    with pytest.raises(DataSourceError, match="names a database .*not a table"):
        PgRegistry(pg_uri + "&table=x.pits")


def test_password_in_uri_is_refused_and_never_shown():
    for uri in (
        "postgresql://wang:s3cret@gis.bureau/planning",
        "postgresql://wang@gis.bureau/planning?password=s3cret",
    ):
        with pytest.raises(DataSourceError) as exc:
            PgRegistry(uri)
        msg = str(exc.value)
        assert "carries a password" in msg and "PGPASSWORD" in msg and "pgpass" in msg
        assert "s3cret" not in msg and "\n" not in msg


def test_unreachable_server_is_one_line_naming_host_and_db():
    with pytest.raises(DataSourceError) as exc:
        open_registry("postgresql://wang@127.0.0.1:1/planning?connect_timeout=3")
    msg = str(exc.value)
    assert msg.startswith("postgresql://wang@127.0.0.1:1/planning: cannot connect")
    assert "\n" not in msg


# ------------------------------------------------------------------------- concurrency

N = 40  # rounds per process

# Each worker: N rounds; in round i it sets its own pit's treated_m2 and its own plot's
# completed_mu to i, and the shared pit's method to "<worker>-<i>" (same object and field as
# the other worker); every 8th round it also renames the shared pit through a whole-registry
# plan (an import: exclusive lock), so row locks and the registry lock interleave.
WORKER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from ecogis.restoration.store import PgRegistry
    from ecogis.restoration import Change

    uri, schema, me, own_pit, own_plot, n, folder = sys.argv[1:8]
    reg = PgRegistry(uri, schema=schema, timeout=120)
    # start together: imports take longer than the updates, so without this start line one
    # worker could finish before the other began
    Path(folder, "ready-" + me).touch()
    while not Path(folder, "go").exists():
        time.sleep(0.01)
    for i in range(1, int(n) + 1):
        reg.update("pit", own_pit, {"treated_m2": float(i)}, by=me, date="2022-06-01")
        reg.update("plot", own_plot, {"completed_mu": float(i)}, by=me, date="2022-06-01")
        reg.update("pit", "SHARED", {"method": f"{me}-{i}"}, by=me, date="2022-06-01", note=str(i))
        if i % 8 == 0:
            def plan(state, i=i):
                old = state("pit").at["SHARED", "name"]
                return [Change("pit", "SHARED", "name", old, f"{me}-name-{i}", "2022-06-01")]
            reg.apply(plan, me, "rename")
    print("done", me)
    """
)


def make_shared(uri: str, schema: str) -> PgRegistry:
    ids = ["A", "B", "SHARED"]
    pits = gpd.GeoDataFrame(
        {"pit_id": ids, "township": ["t"] * 3, "verified_m2": [1e6] * 3,
         "status": ["in_progress"] * 3, "method": ["0"] * 3, "planned_year": [2022] * 3},
        geometry=[box(X + 200 * i, Y, X + 100 + 200 * i, Y + 100) for i in range(3)],
        crs=4547,
    )  # fmt: skip
    plots = gpd.GeoDataFrame(
        {"plot_id": ["FA", "FB"], "kind": ["afforestation", "enclosure"], "township": ["t", "t"],
         "year": [2022, 2022], "planned_mu": [1000.0, 1000.0], "status": ["in_progress"] * 2},
        geometry=[box(X + 1000, Y, X + 1100, Y + 100), box(X + 2000, Y, X + 2100, Y + 100)],
        crs=4547,
    )  # fmt: skip
    return PgRegistry.create(uri, pits, plots, by="setup", schema=schema)


def chains_are_whole(events: pd.DataFrame) -> None:
    """For every object and field, each event's old value is the previous event's new value."""
    ev = events[events["field"] != CREATED].sort_values("id")
    for _, group in ev.groupby(["object_id", "field"]):
        olds, news = group["old"].tolist(), group["new"].tolist()
        assert olds[1:] == news[:-1], group[["id", "object_id", "field", "old", "new", "by"]]


@pytest.mark.slow
def test_two_processes_lose_no_update(pg_uri, pg_schema, tmp_path):
    make_shared(pg_uri, pg_schema)
    script = tmp_path / "worker.py"
    script.write_text(WORKER, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    logs = [tmp_path / f"w{k}.log" for k in (1, 2)]
    procs = []
    for me, pit, plot, log in (("w1", "A", "FA", logs[0]), ("w2", "B", "FB", logs[1])):
        with open(log, "wb") as out:
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        str(script),
                        pg_uri,
                        pg_schema,
                        me,
                        pit,
                        plot,
                        str(N),
                        str(tmp_path),
                    ],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )  # fmt: skip
            )
    deadline = time.monotonic() + 120
    while not all((tmp_path / f"ready-w{k}").exists() for k in (1, 2)):
        assert all(p.poll() is None for p in procs), [log.read_text() for log in logs]
        assert time.monotonic() < deadline, "workers never got ready"
        time.sleep(0.01)
    (tmp_path / "go").touch()
    for p, log in zip(procs, logs, strict=True):
        assert p.wait(timeout=600) == 0, log.read_text()

    pits, plots, events = PgRegistry(pg_uri, schema=pg_schema).snapshot(geometry=False)
    updates = events[events["field"] != CREATED]
    renames = N // 8
    # every update of both processes is in the log: 3 changes per round, plus the renames
    assert len(updates) == 2 * (3 * N + renames)
    assert (updates["by"].value_counts() == 3 * N + renames).all()
    shared = updates[(updates["object_id"] == "SHARED") & (updates["field"] == "method")]
    assert sorted(shared["new"]) == sorted(f"w{k}-{i}" for k in (1, 2) for i in range(1, N + 1))
    # the two processes really interleaved on the shared pit
    assert (shared["by"] != shared["by"].shift()).sum() > 2
    chains_are_whole(events)
    assert events["id"].is_unique and events["id"].is_monotonic_increasing
    # final state = the last event of each object and field = the last value written
    assert pits.at["A", "treated_m2"] == N and pits.at["B", "treated_m2"] == N
    assert plots.at["FA", "completed_mu"] == N and plots.at["FB", "completed_mu"] == N
    assert pits.at["SHARED", "method"] == shared.sort_values("id")["new"].iloc[-1]
    names = updates[updates["field"] == "name"].sort_values("id")
    assert len(names) == 2 * renames and pits.at["SHARED", "name"] == names["new"].iloc[-1]


@pytest.mark.slow
def test_two_cli_processes_on_the_same_pit(pg_uri, pg_schema):
    """Two `ecogis pits update --registry URI` on one pit started together: both land."""
    make_shared(pg_uri, pg_schema)
    uri = with_schema(pg_uri, pg_schema)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    cmds = [
        ["pits", "update", "SHARED", "--treated-m2", "5000", "--date", "2022-07-01", "--by", "甲"],
        ["pits", "update", "SHARED", "--set", "name=东坑", "--date", "2022-07-02", "--by", "乙"],
    ]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "ecogis", *c, "--registry", uri],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for c in cmds
    ]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    reg = PgRegistry(uri)
    pits = reg.load_pits(geometry=False)
    assert pits.at["SHARED", "treated_m2"] == 5000 and pits.at["SHARED", "name"] == "东坑"
    ev = reg.events("SHARED")
    assert set(ev.loc[ev["field"] != CREATED, "by"]) == {"甲", "乙"}


# ------------------------------------------------------------------------- CLI, SIGKILL


def run(*args, ok: bool = True):
    res = CliRunner().invoke(cli, [str(a) for a in args])
    if ok:
        assert res.exit_code == 0, res.output
    return res


@pytest.fixture
def pg_project(tmp_path, pg_uri, pg_schema):
    """The restoration test project with ``registry:`` pointing at a PostGIS schema."""
    from test_restoration import make_project

    cfg = make_project(tmp_path)
    uri = with_schema(pg_uri, pg_schema)
    text = cfg.read_text(encoding="utf-8").replace("registry: restoration.gpkg", f"registry: {uri}")
    cfg.write_text(text, encoding="utf-8")
    return cfg, uri


def test_cli_update_history_progress_on_postgis(pg_project, tmp_path):
    cfg, uri = pg_project
    # first use builds the registry in PostGIS from the config's layers
    res = run("pits", "update", "P001", "--status", "treated", "--treated-m2", 9000, "--date",
              "2022-06-01", "--by", "王工", "--note", "现场核查", "-c", cfg)  # fmt: skip
    assert "pit P001: status untreated -> treated" in res.output
    assert not (tmp_path / "restoration.gpkg").exists()
    reg = open_registry(uri)
    assert reg.load_pits(geometry=False).at["P001", "treated_m2"] == 9000
    hist = run("history", "P001", "-c", cfg).output
    assert "(created)" in hist and "现场核查" in hist and "2022-06-01" in hist
    assert hist == run("history", "P001", "--registry", uri).output
    # refused update: one-line error, exit 2, nothing written
    before = frames(reg)
    bad = run("pits", "update", "P001", "--treated-m2", -1, "-c", cfg, ok=False)
    assert bad.exit_code == 2 and "must be >= 0" in bad.output
    assert_unchanged(reg, before)

    csv = tmp_path / "p.csv"
    run("progress", "-c", cfg, "--year", 2022, "--as-of", "2022-05-31", "--csv", csv)
    early = pd.read_csv(tmp_path / "p_pits.csv")
    run("progress", "-c", cfg, "--year", 2022, "--csv", csv, "--overwrite")
    late = pd.read_csv(tmp_path / "p_pits.csv")
    e, la = (t[t["township"] == TOTAL].iloc[0] for t in (early, late))
    # P006 was treated on 2022-07-01 (its completed_on): untreated on 2022-05-31
    assert e["untreated_count"] == 3 and la["untreated_count"] == 1
    assert la["treated_in_year_km2"] == pytest.approx((9000 + 6000) / 1e6)


def test_cli_import_add_new_on_postgis(pg_project, tmp_path):
    from test_restoration import new_pits_layer

    cfg, uri = pg_project
    layer = tmp_path / "核查.geojson"
    new_pits_layer().to_file(layer)
    run("pits", "init", "-c", cfg)  # builds the registry (a read such as pits list never does)
    reg = open_registry(uri)
    before = frames(reg)
    res = run("pits", "import", layer, "--add-new", "--dry-run", "-c", cfg)
    assert "2 new pits" in res.output and "P008" in res.output
    assert_unchanged(reg, before)
    res = run("pits", "import", layer, "--date", "2022-10-01", "-c", cfg, ok=False)
    assert res.exit_code == 2 and "--add-new" in res.output
    assert_unchanged(reg, before)
    run("pits", "import", layer, "--add-new", "--date", "2022-10-01", "-c", cfg)
    pits = reg.load_pits()
    expected = new_pits_layer().to_crs(4547).set_index("pit_id").area
    assert abs(pits.geometry["P008"].area - expected["P008"]) < 1e-6
    assert "(created)" in run("history", "P007", "-c", cfg).output
    csv = tmp_path / "p.csv"
    run("progress", "-c", cfg, "--year", 2022, "--csv", csv)
    assert pd.read_csv(tmp_path / "p_pits.csv").set_index("township").at[TOTAL, "pits"] == 8
    # the GiST index finds the new pit
    hit = sql(uri, f"SELECT pit_id FROM {with_schema_name(uri)}.pits WHERE geom && "
              f"ST_MakeEnvelope({X + 2990}, {Y + 4990}, {X + 3100}, {Y + 5100}, 4547)")  # fmt: skip
    assert hit == [("P007",)]


def with_schema_name(uri: str) -> str:
    return '"' + uri.rsplit("schema=", 1)[1] + '"'


def test_cli_progress_same_on_both_stores(pg_project, tmp_path):
    """The same commands on a GeoPackage and on a PostGIS registry give the same tables."""
    cfg, uri = pg_project
    gpkg = tmp_path / "same.gpkg"
    steps = [
        ["pits", "update", "P002", "--status", "treated", "--treated-m2", 15000, "--date", "2022-09-01"],
        ["plots", "update", "F01", "--completed-mu", 80, "--status", "completed",
         "--survival-rate", 0.9, "--date", "2022-10-01"],
        ["pits", "update", "P005", "--status", "in_progress", "--date", "2023-02-01"],
    ]  # fmt: skip
    run("pits", "init", "-c", cfg, "--by", "初始化")
    run("pits", "init", "-c", cfg, "--registry", gpkg, "--by", "初始化")
    out = {}
    for name, where in (("pg", []), ("gpkg", ["--registry", gpkg])):
        for step in steps:
            run(*step, "-c", cfg, *where)
        csv = tmp_path / f"{name}.csv"
        run("progress", "-c", cfg, *where, "--year", 2022, "--csv", csv)
        out[name] = csv_tables(csv)
        asof = tmp_path / f"{name}_asof.csv"
        run("progress", "-c", cfg, *where, "--year", 2022, "--as-of", "2022-08-15", "--csv", asof)
        out[name + "_asof"] = csv_tables(asof)
        xlsx = tmp_path / f"{name}.xlsx"  # and for people, one sheet per table
        run("progress", "-c", cfg, *where, "--year", 2022, "--xlsx", xlsx)
        out[name + "_sheets"] = pd.read_excel(xlsx, sheet_name=None, header=None)
    for key in ("", "_asof"):
        assert set(out["pg" + key]) == set(out["gpkg" + key]) == {"pits", "plots"}
        for sheet in ("pits", "plots"):
            pd.testing.assert_frame_equal(out["pg" + key][sheet], out["gpkg" + key][sheet])
    a, b = out["pg_sheets"], out["gpkg_sheets"]
    assert list(a) == list(b) and len(a) == 2
    for sheet in a:  # the same sheets, but for the day each was made in the subtitle
        pd.testing.assert_frame_equal(a[sheet].iloc[2:], b[sheet].iloc[2:])
    assert not out["pg"]["pits"].equals(out["pg_asof"]["pits"])


def test_cli_refuses_a_password_in_the_config(tmp_path):
    from test_restoration import make_project

    cfg = make_project(tmp_path)
    text = cfg.read_text(encoding="utf-8").replace(
        "registry: restoration.gpkg", "registry: postgresql://wang:s3cret@gis.bureau/planning"
    )
    cfg.write_text(text, encoding="utf-8")
    # refused when the config is read, and when the URI comes with --registry
    for args in (["-c", cfg], ["--registry", "postgresql://wang:s3cret@gis.bureau/planning"]):
        res = run("history", "P001", *args, ok=False)
        assert res.exit_code == 2, res.output
        lines = [ln for ln in res.output.splitlines() if ln.startswith("Error:")]
        assert len(lines) == 1 and "password" in lines[0] and "PGPASSWORD" in lines[0]
        assert "s3cret" not in res.output


@pytest.mark.slow
def test_sigkill_mid_import_leaves_registry_as_before(pg_project, tmp_path):
    cfg, uri = pg_project
    run("pits", "init", "-c", cfg, "--by", "初始化")
    reg = open_registry(uri)
    before = frames(reg)
    sheet = tmp_path / "batch.csv"
    pd.DataFrame({"pit_id": [f"P{i:03d}" for i in range(1, 7)], "name": [f"新名{i}" for i in range(6)],
                  "method": ["4"] * 6}).to_csv(sheet, index=False)  # fmt: skip
    marker = tmp_path / "paused"
    env = dict(os.environ, ECOGIS_REGISTRY_TEST_PAUSE=f"5:60:{marker}", PYTHONPATH=str(REPO))
    log = tmp_path / "import.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ecogis", "pits", "import", str(sheet), "-c", str(cfg)],
            env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while not marker.exists() or not marker.read_text():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "import never reached the pause"
            time.sleep(0.05)
        backend = int(marker.read_text().split()[1])
        # five changes (name and method of P001, P002, name of P003) are written inside the open transaction ...
        state = sql(uri, "SELECT state FROM pg_stat_activity WHERE pid = %s", (backend,))
        assert state == [("idle in transaction",)]
        # ... invisible to readers, and the import holds off other writers
        assert_unchanged(reg, before)
        with pytest.raises(RegistryError, match="kept the registry locked"):
            PgRegistry(uri, timeout=0.5).update("pit", "P006", {"name": "x"}, by="y")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    # the server notices the dead client, rolls back and ends the backend
    deadline = time.monotonic() + 30
    while sql(uri, "SELECT 1 FROM pg_stat_activity WHERE pid = %s", (backend,)):
        assert time.monotonic() < deadline, "the killed import's backend is still there"
        time.sleep(0.1)
    assert_unchanged(reg, before)
    # and the registry still works: the locks died with the transaction
    run("pits", "update", "P001", "--set", "method=4", "-c", cfg)
    assert open_registry(uri).load_pits().at["P001", "method"] == "4"

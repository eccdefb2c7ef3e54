"""The registry keeps a true history, whoever edits it (issue 16).

Edits are made as forestry staff make them: with GDAL's own programs on the GeoPackage
(``ogrinfo -sql "UPDATE ..."``; ``ogr2ogr -upsert`` and ``-append``, which go through OGR's
feature API as QGIS does) and with plain ``psql`` on PostGIS. ``ecogis history`` must show
each edit, ``ecogis registry check`` must prove that the log replays to the tables, and
ecogis' own updates must see the edited state (no "no change", no lost update).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from test_registry_pg import drop_schemas, with_schema
from test_restoration import make_project

from ecogis.cli import cli
from ecogis.restoration import CREATED
from ecogis.restoration.store import GpkgRegistry, open_registry

REPO = Path(__file__).resolve().parents[1]


def run(*args, ok: bool = True, env=None):
    res = CliRunner().invoke(cli, [str(a) for a in args], env=env)
    if ok:
        assert res.exit_code == 0, res.output
    return res


def require_ogr() -> None:
    """GDAL's command-line programs (Debian gdal-bin, installed by tests/run.sh)."""
    if shutil.which("ogrinfo") and shutil.which("ogr2ogr"):
        return
    if os.environ.get("CI"):
        pytest.fail("ogrinfo / ogr2ogr missing in CI: tests/run.sh installs gdal-bin")
    pytest.skip("GDAL command-line tools (gdal-bin) not installed")


def ogr(*args: str) -> None:
    out = subprocess.run(list(args), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "ERROR" not in out.stderr, out.stderr


@pytest.fixture
def project(tmp_path):
    cfg = make_project(tmp_path)
    run("registry", "init", "-c", cfg, "--by", "初始化")
    return cfg


def registry_of(cfg: Path) -> Path:
    return cfg.parent / "restoration.gpkg"


def gpkg_connect(path: Path, **kw) -> sqlite3.Connection:
    """A plain SQLite connection to the registry, able to write its feature tables (GDAL's
    R-tree triggers call ST_IsEmpty, ST_MinX ...: SQLite needs them registered)."""
    from ecogis.restoration.store.gpkg import _register_gpkg_functions

    con = sqlite3.connect(path, **kw)
    _register_gpkg_functions(con)
    return con


def check_passes(cfg, *where) -> str:
    res = run("registry", "check", "-c", cfg, *where)
    assert "the event log replays to the tables" in res.output, res.output
    return res.output


# ------------------------------------------------------------------------- GeoPackage + GDAL


def test_ogr_sql_update_is_recorded_and_replays(project, tmp_path):
    require_ogr()
    path = registry_of(project)
    ogr("ogrinfo", "-q", str(path), "-sql",
        "UPDATE pits SET status = 'treated', treated_m2 = 19000.5, completed_on = '2022-10-25' "
        "WHERE pit_id = 'P002'")  # fmt: skip
    hist = run("history", "P002", "-c", project).output
    assert "external edit" in hist and "19000.5" in hist and "2022-10-25" in hist
    assert "(unknown)" in hist  # a GeoPackage cannot tell who edited it
    ev = GpkgRegistry(path).events("P002")
    ext = ev[ev["client"] == "external"]
    assert ext["field"].tolist() == ["treated_m2", "status", "completed_on"]
    assert ext["old"].tolist() == ["0.0", "in_progress", None]
    assert ext["new"].tolist() == ["19000.5", "treated", "2022-10-25"]
    # who: unknown to a GeoPackage; when: the completed_on the edit set
    assert ext["by"].isna().all() and set(ext["effective_date"]) == {"2022-10-25"}
    out = check_passes(project)
    assert "3 from external edits" in out
    # ecogis sees the edited state: no "no change", and the lifecycle goes on from treated
    res = run("pits", "update", "P002", "--status", "accepted", "--date", "2022-11-30", "-c",
              project)  # fmt: skip
    assert "status treated -> accepted" in res.output
    res = run("pits", "update", "P002", "--treated-m2", 19000.5, "-c", project)
    assert "no change" in res.output
    # and progress counts the externally treated pit
    csv = tmp_path / "p.csv"
    run("progress", "-c", project, "--year", 2022, "--csv", csv)
    total = pd.read_csv(tmp_path / "p_pits.csv").iloc[-1]
    assert total["in_progress_count"] == 0 and total["accepted_count"] == 2
    res = run("progress", "-c", project, "--as-of", "2022-12-31")
    assert "3 external edit(s) (QGIS, OGR, psql) of 1 object(s) are counted" in res.output
    check_passes(project)


def test_ogr_feature_api_edits_are_recorded(project, tmp_path):
    """ogr2ogr -upsert rewrites whole features (geometry included) as QGIS's SetFeature does;
    -append adds one; ogrinfo DELETE removes one: every change is in the log."""
    require_ogr()
    path = registry_of(project)
    edited = tmp_path / "edited.gpkg"
    ogr("ogr2ogr", "-f", "GPKG", str(edited), str(path), "pits", "-where", "pit_id = 'P003'")
    ogr("ogrinfo", "-q", str(edited), "-sql", "UPDATE pits SET name = '南坑（复核）', method = '4'")
    ogr("ogr2ogr", "-update", "-upsert", str(path), str(edited), "pits", "-nln", "pits")
    # a new pit added through OGR (as a QGIS user draws one)
    ogr("ogr2ogr", "-update", "-append", str(path), str(edited), "-nln", "pits", "-sql",
        "SELECT 'P099' AS pit_id, '新坑' AS name, township, verified_m2, status, treated_m2, "
        "completed_on, geom FROM pits")  # fmt: skip
    ogr("ogrinfo", "-q", str(path), "-sql", "DELETE FROM plots WHERE plot_id = 'F04'")
    ev = GpkgRegistry(path).events()
    ext = ev[ev["client"] == "external"]
    p3 = ext[ext["object_id"] == "P003"]
    # only the fields that changed: the rewritten geometry is the same shape (no event)
    assert sorted(p3["field"]) == ["method", "name"]
    assert p3.set_index("field").at["name", "new"] == "南坑（复核）"
    p99 = ext[ext["object_id"] == "P099"]
    assert p99["field"].tolist() == [CREATED]
    assert '"name":"新坑"' in p99["new"].iloc[0]
    f04 = ext[ext["object_id"] == "F04"]
    assert (
        f04["field"].tolist() == ["*deleted*"] and '"kind":"grass_planting"' in f04["old"].iloc[0]
    )
    hist = run("history", "F04", "-c", project).output  # a deleted plot keeps its history
    assert "(deleted)" in hist and "grass planting" in hist
    hist = run("history", "P099", "-c", project).output
    assert "(created)" in hist and "external edit" in hist
    check_passes(project)
    # replayed to a day before the edits, the new pit is not there yet
    csv = tmp_path / "p.csv"
    run("progress", "-c", project, "--year", 2022, "--as-of", "2022-12-31", "--csv", csv)
    assert pd.read_csv(tmp_path / "p_pits.csv").iloc[-1]["pits"] == 6
    run("progress", "-c", project, "--year", 2022, "--as-of", pd.Timestamp.now().date(),
        "--csv", csv, "--overwrite")  # fmt: skip
    assert pd.read_csv(tmp_path / "p_pits.csv").iloc[-1]["pits"] == 7


def test_geometry_and_id_edits_are_recorded(project):
    require_ogr()
    path = registry_of(project)
    ogr("ogrinfo", "-q", str(path), "-sql",
        "UPDATE pits SET geom = (SELECT geom FROM pits WHERE pit_id = 'P001') "
        "WHERE pit_id = 'P002'")  # fmt: skip
    ogr(
        "ogrinfo", "-q", str(path), "-sql", "UPDATE pits SET pit_id = 'P005B' WHERE pit_id = 'P005'"
    )
    ev = GpkgRegistry(path).events()
    ext = ev[ev["client"] == "external"]
    assert ext[["object_id", "field"]].values.tolist() == [
        ["P002", "*geometry*"], ["P005", "*deleted*"], ["P005B", CREATED],
    ]  # fmt: skip
    assert "(geometry changed)" in run("history", "P002", "-c", project).output
    check_passes(project)


def test_check_fails_naming_what_was_not_recorded(project):
    """Triggers dropped by hand: the next edit leaves no event; check names it (exit 3),
    ecogis refuses to write, upgrade puts the triggers back."""
    path = registry_of(project)
    con = gpkg_connect(path)
    con.execute("DROP TRIGGER pits_history_update")
    con.execute("DROP TRIGGER plots_history_delete")
    con.execute("UPDATE pits SET treated_m2 = 123.0 WHERE pit_id = 'P001'")
    con.execute("DELETE FROM plots WHERE plot_id = 'F02'")
    con.commit()
    con.close()
    res = run("registry", "check", "-c", project, ok=False)
    assert res.exit_code == 3, res.output
    assert "pits_history_update, plots_history_delete" in res.output
    assert "pit P001: treated_m2 is 123 in the table, 0 in the log" in res.output
    assert "plot F02: in the log, not in the table" in res.output
    before = path.read_bytes()
    res = run("pits", "update", "P003", "--set", "method=9", "-c", project, ok=False)
    assert res.exit_code == 2 and "ecogis registry upgrade" in res.output
    assert path.read_bytes() == before
    res = run("registry", "upgrade", "-c", project)
    assert "history triggers added" in res.output
    assert "up to date" in run("registry", "upgrade", "-c", project).output
    # the triggers record again; the earlier unrecorded edits stay reported
    run("pits", "update", "P003", "--set", "method=9", "-c", project)
    res = run("registry", "check", "-c", project, ok=False)
    assert res.exit_code == 3 and "P001" in res.output and "pits_history_update" not in res.output


def test_an_edit_in_progress_elsewhere_is_never_overwritten(project, tmp_path):
    """A program holding an edit open (QGIS saving its edit buffer) while ecogis updates: ecogis
    waits for it, then validates against the edited row; nothing is lost."""
    path = registry_of(project)
    other = gpkg_connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE pits SET status = 'treated', treated_m2 = 18000 WHERE pit_id = 'P002'")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecogis", "pits", "update", "P002", "--status", "in_progress",
         "--set", "name=二号坑", "--date", "2022-08-01", "-c", str(project)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    time.sleep(3)
    assert proc.poll() is None  # waiting for the other writer's lock
    other.execute("COMMIT")
    other.close()
    out, _ = proc.communicate(timeout=120)
    # ecogis read the edited row: treated -> in_progress is a step back, refused
    assert proc.returncode == 2, out
    assert "cannot change status treated -> in_progress" in out
    pits = GpkgRegistry(path).load_pits(geometry=False)
    assert pits.at["P002", "status"] == "treated" and pits.at["P002", "name"] == "采坑2"
    check_passes(project)


def test_baseline_and_updates_go_through_the_triggers(project):
    """ecogis writes no event itself: its updates are recorded by the same triggers, with
    who / note / batch / effective date from its context, which is empty afterwards."""
    path = registry_of(project)
    run("pits", "update", "P001", "--status", "in_progress", "--date", "2022-05-01", "--by",
        "王工", "--note", "开工", "-c", project)  # fmt: skip
    run("pits", "note", "P001", "--note", "现场核查：已覆土", "--date", "2022-06-01", "--by", "李工",
        "-c", project)  # fmt: skip
    ev = GpkgRegistry(path).events("P001")
    assert ev["field"].tolist() == [CREATED, "status", "*note*"]
    mine = ev.iloc[1]
    assert (mine["by"], mine["note"], mine["effective_date"], mine["client"]) == (
        "王工", "开工", "2022-05-01", "ecogis",
    )  # fmt: skip
    note = ev.iloc[2]
    assert (note["by"], note["note"], note["effective_date"]) == (
        "李工",
        "现场核查：已覆土",
        "2022-06-01",
    )
    assert "(note)" in run("history", "P001", "-c", project).output
    con = sqlite3.connect(path)
    assert con.execute("SELECT count(*) FROM ecogis_context").fetchone() == (0,)
    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    con.close()
    assert {"pits_history_insert", "pits_history_update", "plots_history_delete"} <= names
    check_passes(project)


# ------------------------------------------------------------------------- PostGIS + psql


def psql(uri: str, statement: str) -> None:
    from ecogis.io.postgis import parse_postgis_uri

    conninfo = parse_postgis_uri(uri).conninfo
    out = subprocess.run(["psql", conninfo, "-v", "ON_ERROR_STOP=1", "-qc", statement],
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.fixture
def pg_project(tmp_path, pg_uri):
    """The restoration test project with its registry in a fresh PostGIS schema."""
    import uuid

    schema = f"ecogis_test_{uuid.uuid4().hex[:10]}"
    cfg = make_project(tmp_path)
    uri = with_schema(pg_uri, schema)
    text = cfg.read_text(encoding="utf-8").replace("registry: restoration.gpkg", f"registry: {uri}")
    cfg.write_text(text, encoding="utf-8")
    run("registry", "init", "-c", cfg, "--by", "初始化")
    yield cfg, uri, schema
    drop_schemas(pg_uri, schema)


def test_psql_edits_are_recorded_and_replay(pg_project):
    if not shutil.which("psql"):
        pytest.fail("psql missing: tests/run.sh installs PostgreSQL")
    cfg, uri, schema = pg_project
    s = f'"{schema}"'
    psql(uri, f"UPDATE {s}.pits SET status = 'treated', treated_m2 = 19000.5, "
              f"completed_on = '2022-10-25' WHERE pit_id = 'P002'")  # fmt: skip
    psql(uri, f"DELETE FROM {s}.plots WHERE plot_id = 'F04'")
    psql(uri, f"UPDATE {s}.pits SET geom = ST_Multi(ST_Buffer(geom, 1)) WHERE pit_id = 'P001'")
    psql(uri, f"INSERT INTO {s}.pits (pit_id, township, verified_m2, status, geom) SELECT 'P077', "
              f"township, 500, 'untreated', geom FROM {s}.pits WHERE pit_id = 'P003'")  # fmt: skip
    reg = open_registry(uri)
    ev = reg.events()
    ext = ev[ev["client"] == "external"]
    user = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
    assert set(ext["by"]) == {user}  # the database user
    assert ext[["object_id", "field"]].values.tolist() == [
        ["P002", "treated_m2"], ["P002", "status"], ["P002", "completed_on"],
        ["F04", "*deleted*"], ["P001", "*geometry*"], ["P077", CREATED],
    ]  # fmt: skip
    assert ext["new"].iloc[0] == "19000.5" and ext["old"].iloc[0] == "0.0"
    hist = run("history", "P002", "-c", cfg).output
    assert "external edit" in hist and user in hist and "2022-10-25" in hist
    out = check_passes(cfg)
    assert "6 from external edits" in out
    res = run("pits", "update", "P002", "--status", "accepted", "--date", "2022-11-30", "-c", cfg)
    assert "status treated -> accepted" in res.output
    check_passes(cfg)
    # a trigger dropped by hand: check names it and the unrecorded edit
    psql(uri, f"DROP TRIGGER pits_history ON {s}.pits")
    psql(uri, f"UPDATE {s}.pits SET method = '9' WHERE pit_id = 'P003'")
    res = run("registry", "check", "-c", cfg, ok=False)
    assert res.exit_code == 3 and "pits_history" in res.output
    assert "pit P003: method is 9 in the table, 3 in the log" in res.output
    assert "history triggers added" in run("registry", "upgrade", "-c", cfg).output
    psql(uri, f"UPDATE {s}.pits SET method = '3' WHERE pit_id = 'P003'")
    check_passes(cfg)
    # a registry as an older ecogis built it: no triggers, no client column, "by" required
    psql(uri, f"DROP TRIGGER pits_history ON {s}.pits; DROP TRIGGER plots_history ON {s}.plots; "
              f'ALTER TABLE {s}.events DROP COLUMN client; '
              f'ALTER TABLE {s}.events ALTER COLUMN "by" SET NOT NULL')  # fmt: skip
    assert open_registry(uri).events()["client"].isna().all()
    res = run("pits", "update", "P003", "--set", "method=5", "-c", cfg, ok=False)
    assert res.exit_code == 2 and "ecogis registry upgrade" in res.output
    assert "history triggers added" in run("registry", "upgrade", "-c", cfg).output
    psql(uri, f"UPDATE {s}.pits SET method = '6' WHERE pit_id = 'P003'")
    run("pits", "update", "P003", "--set", "method=5", "-c", cfg)
    ev = open_registry(uri).events("P003")
    assert ev["new"].tolist()[-2:] == ["6", "5"]
    assert ev["client"].tolist()[-2:] == ["external", "ecogis"]
    check_passes(cfg)


# ------------------------------------------------------------------------- older registries

_OLD_EVENTS = """
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, "at" TEXT NOT NULL, effective_date TEXT,
    object_type TEXT NOT NULL, object_id TEXT NOT NULL, field TEXT NOT NULL, old TEXT,
    new TEXT, "by" TEXT NOT NULL, note TEXT, batch TEXT
);
CREATE INDEX events_object ON events (object_type, object_id);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
"""


def make_legacy(path: Path) -> None:
    """The registry as ecogis built it before the history triggers: no triggers, no context
    table, an event log without client whose "by" may not be empty."""
    con = gpkg_connect(path, isolation_level=None)
    names = con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%history%'"
    ).fetchall()
    for (name,) in names:
        con.execute(f'DROP TRIGGER "{name}"')
    con.execute("DROP TABLE ecogis_context")
    con.execute("ALTER TABLE events RENAME TO e2")
    con.execute("DROP TRIGGER events_no_update")
    con.execute("DROP TRIGGER events_no_delete")
    con.execute("DROP INDEX events_object")
    con.executescript(_OLD_EVENTS)
    cols = '"at", effective_date, object_type, object_id, field, old, new, "by", note, batch'
    con.execute(f"INSERT INTO events (id, {cols}) SELECT id, {cols} FROM e2")
    con.execute("DROP TABLE e2")
    con.close()


def test_an_older_registry_is_upgraded_in_place(project):
    require_ogr()
    path = registry_of(project)
    make_legacy(path)
    events = GpkgRegistry(path).events()
    assert events["client"].isna().all() and len(events) == 21
    assert "P001" in run("history", "P001", "-c", project).output  # reads work
    before = path.read_bytes()
    res = run("pits", "update", "P001", "--set", "method=9", "-c", project, ok=False)
    assert res.exit_code == 2 and "ecogis registry upgrade" in res.output
    assert path.read_bytes() == before
    assert run("registry", "check", "-c", project, ok=False).exit_code == 3
    assert "history triggers added" in run("registry", "upgrade", "-c", project).output
    after = GpkgRegistry(path).events()
    pd.testing.assert_frame_equal(after.drop(columns="client"), events.drop(columns="client"))
    # an external edit (no author known) is recorded now, and ecogis writes again
    ogr("ogrinfo", "-q", str(path), "-sql", "UPDATE pits SET method = '7' WHERE pit_id = 'P002'")
    run("pits", "update", "P001", "--set", "method=9", "-c", project)
    ev = GpkgRegistry(path).events()
    assert ev["field"].tolist()[-2:] == ["method", "method"]
    assert ev["client"].tolist()[-2:] == ["external", "ecogis"]
    assert ev["id"].tolist() == list(range(1, len(ev) + 1))
    check_passes(project)

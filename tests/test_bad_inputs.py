"""Every case of the bad-input corpus (tests/bad_inputs) through the CLI, as a user runs it.

Per case: a refusal is exit status 2 with exactly one ``Error:`` line naming the problem and
no output file; a recoverable problem is a ``Warning:`` plus a result that is right. Never a
traceback; inputs and registries are byte-identical afterwards, and no stray file appears
beside them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from bad_inputs.cases import CASES, Fixtures, build
from click.testing import CliRunner

from ecogis.cli import cli


def snapshot(folder: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under ``folder`` (hidden files included)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture(scope="module")
def fixtures(demo) -> Fixtures:
    return Fixtures(demo_layers=Path(demo.config_path).parent.parent / "layers" / "demo")


def test_corpus_is_large_and_unique():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(CASES) >= 40
    commands = {c.command.split()[0] for c in CASES}
    assert {"config", "layers", "convert", "controls", "screen", "pits", "plots"} <= commands
    assert {"history", "progress", "map"} <= commands


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case, tmp_path, fixtures, monkeypatch):
    b = build(case, tmp_path / case.id, fixtures)
    monkeypatch.chdir(b.root)  # a map's default output folder would land here, not in the repo
    before_in = snapshot(b.inp)
    before_out = listing(b.out)
    before_root = listing(b.root)

    result = CliRunner().invoke(cli, b.args)

    err_lines = result.stderr.splitlines()
    text = result.output
    # never a traceback, whatever happened
    assert "Traceback" not in text, text
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    # a password written into a URI is never printed back (cases_hostile.py plants this one)
    assert "Hx7sEcReT9q" not in text, text
    assert snapshot(b.inp) == before_in, "an input or registry changed"
    # nothing new beside the inputs or outputs (temporary files, default map folders)
    assert listing(b.root) == before_root or set(listing(b.root)) - set(before_root) <= {
        f"out/{name}" for name in b.outputs
    }, listing(b.root)

    errors = [line for line in err_lines if line.startswith("Error:")]
    if case.expect == "refused":
        assert result.exit_code == 2, (result.exit_code, text)
        assert len(errors) == 1, text
        assert case.fragment in errors[0], (case.fragment, errors[0])
        assert "run with --debug" not in errors[0], errors[0]  # an unforeseen failure, not a check
        assert listing(b.out) == before_out, "an output file was left behind"
        return

    assert result.exit_code == 0, (result.exit_code, text)
    assert not errors, text
    if case.expect == "warned":
        warned = [line for line in err_lines if line.startswith("Warning:")]
        assert any(case.fragment in w for w in warned), (case.fragment, err_lines)
    elif case.expect == "reported":  # a QA report names the problem and carries on
        assert case.fragment in result.stdout, result.stdout
    else:
        assert case.expect == "ok"
    new = sorted(set(listing(b.out)) - set(before_out))
    assert new == sorted(b.outputs), new
    assert case.check is not None
    case.check(b, result)


# ------------------------------------------------------------ library-level tests of the fixes


def test_repair_refuses_nan_coordinates_naming_the_feature():
    """make_valid raised GEOSException on NaN coordinates (CLI exit 1); now a GeometryError."""
    import warnings

    import geopandas as gpd
    from shapely.geometry import Polygon, box

    from ecogis.errors import GeometryError
    from ecogis.geometry import repair_geometries

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        bad = Polygon([(0, 0), (float("nan"), 0), (1, 1), (0, 0)])
    gdf = gpd.GeoDataFrame({"BSM": ["ok", "N1"]}, geometry=[box(0, 0, 1, 1), bad], crs=4547)
    for policy in ("fix", "warn", "raise"):
        with pytest.raises(GeometryError, match=r"layer x: 1 feature\(s\) with NaN.*: N1"):
            repair_geometries(gdf, name="layer x", on_invalid=policy)


def test_registry_refuses_a_file_that_is_not_a_database(tmp_path):
    """sqlite3.DatabaseError escaped as an unforeseen failure (CLI exit 1); now DataSourceError."""
    from ecogis.errors import DataSourceError
    from ecogis.restoration.store import GpkgRegistry

    p = tmp_path / "reg.gpkg"
    p.write_bytes(b"not sqlite at all\n" * 10)
    before = p.read_bytes()
    with pytest.raises(DataSourceError, match="reg.gpkg: not an ecogis registry"):
        GpkgRegistry(p)
    assert p.read_bytes() == before


def test_readme_lists_every_case():
    readme = (Path(__file__).parent / "bad_inputs" / "README.md").read_text(encoding="utf-8")
    missing = [c.id for c in CASES if f"| `{c.id}` |" not in readme]
    assert not missing, f"add these cases to tests/bad_inputs/README.md: {missing}"

"""The ecogis command group: errors, exit statuses, verbosity, start-up cost."""

import subprocess
import sys

import geopandas as gpd
import yaml
from click.testing import CliRunner
from shapely.geometry import Polygon, box

from ecogis.cli import cli


def run(*args):
    return CliRunner().invoke(cli, list(args))


def make_project(tmp_path, *, extra=None):
    (tmp_path / "layers").mkdir(exist_ok=True)
    red = gpd.GeoDataFrame(
        {"BSM": ["R1", "R2"], "HXMC": ["<b>红线</b>", "红线二"]},
        geometry=[
            box(500_000, 4_700_000, 501_000, 4_701_000),
            box(503_000, 4_700_000, 504_000, 4_701_000),
        ],
        crs=4547,
    )
    farm = gpd.GeoDataFrame(
        {"YJJBNTTBBH": ["F1", "F2", "F3"]},
        geometry=[
            box(500_500, 4_700_000, 501_500, 4_701_000),
            Polygon(
                [
                    (505_000, 4_700_000),
                    (506_000, 4_701_000),
                    (506_000, 4_700_000),
                    (505_000, 4_701_000),
                ]
            ),
            box(500_500, 4_700_000, 501_500, 4_701_000),
        ],
        crs=4547,
    )
    red.to_file(tmp_path / "layers" / "red.gpkg")
    farm.to_file(tmp_path / "layers" / "farm.gpkg")
    cfg = {
        "name": "测试旗",
        "layers": {
            "redline": {"path": "layers/red.gpkg", "role": "control", "label": "生态保护红线"},
            "farmland": {"path": "layers/farm.gpkg", "role": "control", "label": "永久基本农田"},
        },
        "control_lines": ["redline", "farmland"],
    }
    cfg.update(extra or {})
    p = tmp_path / "project.yaml"
    p.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return p


def test_version_and_help():
    r = run("--version")
    assert r.exit_code == 0 and "ecogis, version" in r.output
    r = run("--help")
    assert r.exit_code == 0
    for name in ("config", "layers", "demo"):
        assert name in r.output


def test_help_does_not_import_heavy_packages():
    code = (
        "import sys; from ecogis.cli import cli\n"
        "try:\n    cli.main(['--help'], standalone_mode=False)\nexcept SystemExit: pass\n"
        "heavy = [m for m in ('geopandas', 'folium', 'rasterio', 'shapely', 'pandas') if m in sys.modules]\n"
        "print(heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().endswith("[]"), out


def test_python_m_ecogis():
    out = subprocess.run(
        [sys.executable, "-m", "ecogis", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0 and "0.1.0" in out.stdout


def test_config_check_ok(tmp_path):
    r = run("config", "check", "-c", str(make_project(tmp_path)))
    assert r.exit_code == 0, r.output
    assert "OK — 测试旗" in r.output
    assert "control lines: redline, farmland" in r.output


def test_config_error_is_one_line_with_key_and_exit_2(tmp_path):
    p = make_project(tmp_path, extra={"colour": "red"})
    r = run("config", "check", "-c", str(p))
    assert r.exit_code == 2
    assert r.output.startswith("Error: ")
    assert "colour: unknown key" in r.output
    assert "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) == 1


def test_debug_shows_the_traceback(tmp_path):
    p = make_project(tmp_path, extra={"colour": "red"})
    r = run("--debug", "config", "check", "-c", str(p))
    assert r.exit_code != 0
    assert r.exc_info is not None and type(r.exc_info[1]).__name__ == "ConfigError"


def test_missing_config_is_usage_error(tmp_path):
    r = run("config", "check", "-c", str(tmp_path / "none.yaml"))
    assert r.exit_code == 2
    assert "config file not found" in r.output


def test_layers_check_reports_findings(tmp_path):
    r = run("layers", "check", "-c", str(make_project(tmp_path)))
    assert r.exit_code == 0, r.output
    out = r.output
    assert "areas in CGCS2000 / 3-degree Gauss-Kruger CM 114E" in out
    assert "farmland — 永久基本农田" in out
    assert "invalid: 1" in out and "F2: Self-intersection" in out
    assert "exact duplicates: 1 (F1 = F3)" in out
    assert "features: 3" in out
    assert "area: 3,000.00 mu" in out  # redline: 2 x 1 km² = 3000 mu


def test_layers_check_fix_writes_repaired_copies(tmp_path):
    p = make_project(tmp_path)
    out = tmp_path / "fixed"
    r = run("layers", "check", "-c", str(p), "--layer", "farmland", "--fix", "-o", str(out))
    assert r.exit_code == 0, r.output
    fixed = gpd.read_file(out / "farmland.gpkg")
    assert fixed.is_valid.all()
    assert fixed["YJJBNTTBBH"].tolist() == ["F1", "F2"]  # the duplicate F3 dropped
    # the input is untouched
    assert len(gpd.read_file(tmp_path / "layers" / "farm.gpkg")) == 3


def test_layers_check_fix_needs_output(tmp_path):
    r = run("layers", "check", "-c", str(make_project(tmp_path)), "--fix")
    assert r.exit_code == 2 and "--fix needs -o" in r.output


def test_layers_check_unknown_layer(tmp_path):
    r = run("layers", "check", "-c", str(make_project(tmp_path)), "--layer", "urban")
    assert r.exit_code == 2
    assert "no layer named 'urban'; layers in this config: redline, farmland" in r.output


def test_layers_check_no_crs_is_reported_not_crashed(tmp_path):
    p = make_project(tmp_path)
    gpd.GeoDataFrame({"id": [1]}, geometry=[box(0, 0, 1, 1)]).to_file(
        tmp_path / "layers" / "nocrs.shp"
    )
    cfg = yaml.safe_load(p.read_text(encoding="utf-8"))
    cfg["layers"]["urban"] = {"path": "layers/nocrs.shp", "role": "control"}
    p.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    r = run("layers", "check", "-c", str(p))
    assert r.exit_code == 0, r.output
    assert "CRS: none (refused" in r.output


def test_public_api_is_lazy_and_complete():
    code = (
        "import sys, ecogis\n"
        "assert 'geopandas' not in sys.modules\n"
        "missing = [n for n in ecogis.__all__ if not hasattr(ecogis, n)]\n"
        "print(missing)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_layers_check_strict_exit_status(tmp_path):
    p = make_project(tmp_path)
    assert run("layers", "check", "-c", str(p), "--strict").exit_code == 3
    assert run("layers", "check", "-c", str(p), "--layer", "redline", "--strict").exit_code == 0

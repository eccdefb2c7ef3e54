"""Shared fixtures. Synthetic data is built in code; real files come from ../shared/data."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from browser import launch_chromium, require_chromium

REPO = Path(__file__).resolve().parents[1]
#: public data sets shipped beside the project (see shared/data/README.md)
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def english(monkeypatch):
    """Tests read English unless they choose Chinese (``monkeypatch.setenv("ECOGIS_LANG",
    "zh")``): a developer's Chinese locale must not change what the tests see."""
    monkeypatch.setenv("ECOGIS_LANG", "en")


def shared_data(*parts: str) -> Path:
    """Path under ../shared/data, skipping the test when it is absent (never in CI)."""
    p = SHARED_DATA.joinpath(*parts)
    if not p.exists():
        if os.environ.get("CI"):
            pytest.fail(f"shared data missing in CI: {p}")
        pytest.skip(f"shared data not found: {p}")
    return p


def square(x0: float, y0: float, size: float):
    from shapely.geometry import box

    return box(x0, y0, x0 + size, y0 + size)


@pytest.fixture
def gk_squares():
    """Two 1000 m squares in EPSG:4547 overlapping by 500 m x 1000 m (500 000 m² = 750 mu)."""
    import geopandas as gpd

    x0, y0 = 500_000.0, 4_700_000.0
    a = gpd.GeoDataFrame({"BSM": ["A1"]}, geometry=[square(x0, y0, 1000)], crs=4547)
    b = gpd.GeoDataFrame({"BSM": ["B1"]}, geometry=[square(x0 + 500, y0, 1000)], crs=4547)
    return a, b


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """The demo data set (``ecogis.demo.make_demo``), generated once per test session.

    Layers go to ``<tmp>/layers/demo`` and the config to ``<tmp>/configs/demo.yaml``, the
    same relative layout as the repository, so the config text equals ``configs/demo.yaml``.
    Returns the :class:`ecogis.demo.DemoResult`; treat its files as read-only.
    """
    from ecogis.demo import make_demo

    root = tmp_path_factory.mktemp("demo")
    return make_demo(root / "layers" / "demo", config_path=root / "configs" / "demo.yaml")


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """``ecogis demo`` run once through the CLI in a fresh folder, in Chinese:
    ``(folder, output)``.

    The folder holds ``layers/demo`` (with ``results/``), ``configs/demo.yaml`` and ``maps/``,
    as a user would get them. Treat it as read-only.
    """
    from click.testing import CliRunner

    from ecogis.cli import cli

    root = tmp_path_factory.mktemp("demo_run")
    cwd = os.getcwd()
    os.chdir(root)
    try:
        # in Chinese, as county staff run it (the golden reasons are Chinese sentences)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("ECOGIS_LANG", "zh")
            r = CliRunner().invoke(cli, ["demo"])
    finally:
        os.chdir(cwd)
    assert r.exit_code == 0, r.output
    return root, r.output


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium (Playwright ``Browser``) for the whole test session.

    Playwright's sync API allows one instance per thread, so every browser test shares this
    one (see tests/browser.py). Skipped with a message when ``/usr/bin/chromium`` or playwright
    is missing, except under ``CI``, where that is a failure.
    """
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def pg_uri():
    """URI of the test PostGIS database (``ECOGIS_TEST_POSTGIS``, set up by tests/run.sh).

    Skipped with a message when it is not set, except under ``CI``, where that is a failure.
    """
    uri = os.environ.get("ECOGIS_TEST_POSTGIS")
    if not uri:
        if os.environ.get("CI"):
            pytest.fail("ECOGIS_TEST_POSTGIS is not set in CI; tests/run.sh must start PostGIS")
        pytest.skip("ECOGIS_TEST_POSTGIS not set (postgresql://user@/db?host=/var/run/postgresql)")
    return uri


def gpkg_validator() -> list[str] | None:
    """GDAL's validate_gpkg.py (GDAL 3.6 on Debian 12, package python3-gdal), run by the system
    Python. CI installs it (tests/run.sh): there a missing validator fails instead of skipping."""
    python = "/usr/bin/python3"
    if Path(python).exists():
        ok = subprocess.run(
            [python, "-c", "import osgeo_utils.samples.validate_gpkg"], capture_output=True
        )
        if ok.returncode == 0:
            return [python, "-m", "osgeo_utils.samples.validate_gpkg"]
    if os.environ.get("CI"):
        pytest.fail("GDAL's GeoPackage validator is missing (apt-get install python3-gdal)")
    return None

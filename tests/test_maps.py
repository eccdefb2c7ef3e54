"""The three demo maps and ``ecogis map``: offline HTML, rendered in headless Chromium.

Expected feature counts are computed here from the demo files with plain geopandas (and the
analysis functions), not read back from the map. Set ``ECOGIS_SCREENSHOTS=DIR`` to keep the
screenshots of the three demo maps for a look.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import warnings
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
import yaml
from click.testing import CliRunner

from ecogis.cli import cli
from ecogis.controls import check_controls
from ecogis.demo import PLANTED
from ecogis.demo import write_maps as write_all_maps
from ecogis.errors import EcogisWarning
from ecogis.units import m2_to_mu

from browser import container_point, layer_payloads, open_page, page_config, page_state, render

XSS = "<script>alert(1)</script>"
# the check from the issue: no script or stylesheet loaded over http(s)
EXTERNAL = re.compile(r'<script[^>]+src="https?:|<link[^>]+href="https?:')
WORK = 4547


@pytest.fixture(autouse=True)
def chinese(english, monkeypatch):
    """The maps are read in Chinese here (what county staff see): ECOGIS_LANG=zh."""
    monkeypatch.setenv("ECOGIS_LANG", "zh")


@pytest.fixture(scope="module", autouse=True)
def chinese_module():
    """Module-wide fixtures build their maps in Chinese too."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ECOGIS_LANG", "zh")
        yield


# --------------------------------------------------------------------------------------
# fixtures: private copies of the demo (other tests may build a registry in the shared one)
# --------------------------------------------------------------------------------------


def _copy_demo(demo, dest: Path) -> Path:
    root = Path(demo.config_path).resolve().parents[1]
    shutil.copytree(root / "layers", dest / "layers")
    shutil.copytree(root / "configs", dest / "configs")
    for reg in (dest / "layers" / "demo").glob("restoration.gpkg*"):
        reg.unlink()  # maps of the copy read pits/plots from the layers
    return dest / "configs" / "demo.yaml"


@pytest.fixture(scope="module")
def demo_cfg(demo, tmp_path_factory) -> Path:
    return _copy_demo(demo, tmp_path_factory.mktemp("mapdemo"))


def _write_maps(cfg: Path, out: Path) -> list[Path]:
    with warnings.catch_warnings():
        # the progress map shows the state at the end of the year, replayed from the dates of
        # a registry made today (as `ecogis progress --year` does), and says so
        warnings.filterwarnings("ignore", message=".*(baseline|基线)", category=EcogisWarning)
        return write_all_maps(cfg, out)


@pytest.fixture(scope="module")
def demo_maps(demo_cfg, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("maps")
    with pytest.warns(
        EcogisWarning, match="repaired 1 invalid geometry|修复 1 个无效几何"
    ):  # the planted bowtie
        paths = _write_maps(demo_cfg, out)
    return {p.stem: p for p in paths}


def _layer(cfg: Path, name: str) -> gpd.GeoDataFrame:
    return gpd.read_file(cfg.parent.parent / "layers" / "demo" / name)


def _write(gdf: gpd.GeoDataFrame, cfg: Path, name: str) -> None:
    path = cfg.parent.parent / "layers" / "demo" / name
    path.unlink()
    gdf.to_file(path, driver="GPKG")


@pytest.fixture(scope="module")
def planted(demo, tmp_path_factory):
    """A demo copy with ``<script>`` in a red-line id, a pit name and a site name."""
    cfg = _copy_demo(demo, tmp_path_factory.mktemp("xss"))
    red = _layer(cfg, "stbhhx.gpkg")
    red.loc[red["BSM"] == "1", "BSM"] = XSS  # in conflict with farmland (PLANTED)
    _write(red, cfg, "stbhhx.gpkg")
    pits = _layer(cfg, "pits.gpkg")
    pits.loc[0, "name"] = XSS
    _write(pits, cfg, "pits.gpkg")
    sites = _layer(cfg, "sites.gpkg")
    sites.loc[sites["site_id"] == "PV-01", "name"] = XSS
    _write(sites, cfg, "sites.gpkg")
    with pytest.warns(
        EcogisWarning, match="repaired 1 invalid geometry|修复 1 个无效几何"
    ):  # the planted bowtie
        paths = _write_maps(cfg, tmp_path_factory.mktemp("xssmaps"))
    return cfg, {p.stem: p for p in paths}


# --------------------------------------------------------------------------------------
# expected contents, computed independently from the files
# --------------------------------------------------------------------------------------


def _drawn(gdf) -> int:
    """Leaflet layers a frame becomes: one per non-empty geometry, collections split."""
    geoms = gdf.geometry.values
    geoms = geoms[~(geoms.isna() | geoms.is_empty)]
    types = shapely.get_type_id(geoms)
    return int((types != 7).sum() + sum(len(shapely.get_parts(g)) for g in geoms[types == 7]))


def _controls_report(cfg: Path):
    layers = {
        "redline": _layer(cfg, "stbhhx.gpkg").to_crs(WORK),
        "farmland": _layer(cfg, "yjjbnt.gpkg").to_crs(WORK),
        "urban": _layer(cfg, "czkfbj.gpkg").to_crs(WORK),
    }
    towns = _layer(cfg, "townships.gpkg").to_crs(WORK)
    with pytest.warns(
        EcogisWarning, match="repaired 1 invalid geometry|修复 1 个无效几何"
    ):  # the planted bowtie
        report = check_controls(
            layers, townships=towns, township_field="XZQMC", id_fields=PLANTED["id_fields"]
        )
    return layers, towns, report


def _map_year(cfg: Path) -> int:
    years = sorted(int(y) for y in yaml.safe_load(cfg.read_text(encoding="utf-8"))["targets"])
    return [y for y in years if y <= dt.date.today().year][-1]


def _payloads(text: str) -> dict[str, dict]:
    """Every layer's data as the page decodes it (tests/browser.py)."""
    return layer_payloads(text)


def _keep(shot: Path) -> None:
    keep = os.environ.get("ECOGIS_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / shot.name)


def _assert_clean(s: dict) -> None:
    assert s["ready"] and s["leaflet"]
    assert s["blocked"] == [], s["blocked"]
    assert s["console_errors"] == [] and s["page_errors"] == [] and s["dialogs"] == []
    assert s["layer_control"] and s["legend"] and s["panel"] and s["scale"]
    assert s["tiles"] == 0  # basemap none: nothing from the internet


# --------------------------------------------------------------------------------------
# HTML without a browser
# --------------------------------------------------------------------------------------


def test_demo_maps_are_offline_and_small(demo_maps):
    assert sorted(demo_maps) == ["controls", "progress", "screening"]
    for kind, path in demo_maps.items():
        text = path.read_text(encoding="utf-8")
        assert not EXTERNAL.search(text), kind
        assert "cdn.jsdelivr.net" not in text and "code.jquery.com" not in text
        assert XSS not in text
        assert path.stat().st_size < 5_000_000
    assert "<title>正镶白旗生态修复示范 三条控制线冲突检查图</title>" in (
        demo_maps["controls"].read_text(encoding="utf-8")
    )


def test_planted_script_is_escaped_in_html(planted):
    _, maps = planted
    for kind, path in maps.items():
        text = path.read_text(encoding="utf-8")
        assert XSS not in text, kind
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, kind


# --------------------------------------------------------------------------------------
# in Chromium, with every non-file request blocked
# --------------------------------------------------------------------------------------


@pytest.mark.browser
def test_controls_map_renders(chromium, demo_cfg, demo_maps, tmp_path):
    layers, towns, report = _controls_report(demo_cfg)
    shot = tmp_path / "controls.png"
    s = render(demo_maps["controls"], screenshot=shot, browser=chromium)
    _keep(shot)
    _assert_clean(s)
    assert len(report.conflicts) >= len(PLANTED["conflicts"])
    assert s["layers"] == {
        "研究区边界": 1,
        "乡镇界": _drawn(towns),
        "生态保护红线": _drawn(layers["redline"]),
        "永久基本农田": _drawn(layers["farmland"]),
        "城镇开发边界": _drawn(layers["urban"]),
        "图层内重叠": _drawn(report.self_overlaps),
        "冲突区域": _drawn(report.conflicts),
        "冲突位置": len(report.conflicts),
    }
    assert s["layer_names"] == list(s["layers"])
    assert s["title"] == "正镶白旗生态修复示范 三条控制线冲突检查图"
    for label in ("生态保护红线", "永久基本农田", "城镇开发边界", "冲突区域"):
        assert label in s["legend_text"]
    planted_mu = m2_to_mu(sum(c["area_m2"] for c in PLANTED["conflicts"]))
    assert f"{len(PLANTED['conflicts'])} 处 / {planted_mu:,.2f} 亩" in s["panel_text"]
    assert "生态保护红线 × 永久基本农田" in s["panel_text"]


@pytest.mark.browser
def test_progress_map_renders(chromium, demo_cfg, demo_maps, tmp_path):
    year = _map_year(demo_cfg)
    pits = _layer(demo_cfg, "pits.gpkg")
    plots = _layer(demo_cfg, "plots.gpkg")
    towns = _layer(demo_cfg, "townships.gpkg")
    shot = tmp_path / "progress.png"
    s = render(demo_maps["progress"], screenshot=shot, browser=chromium)
    _keep(shot)
    _assert_clean(s)
    assert s["layers"] == {
        "研究区边界": 1,
        "乡镇界": _drawn(towns),
        "造林种草地块": _drawn(plots[plots["year"] == year]),  # the year filter: this year
        "历史遗留矿坑": _drawn(pits),
        "矿坑位置": len(pits),
    }
    assert s["chart"]
    remaining = pits[pits["status"].isin(["untreated", "in_progress"])]
    km2 = remaining["verified_m2"].sum() / 1e6
    assert f"距清零还剩\t{len(remaining)} 个 / {km2:.2f} km²" in s["panel_text"]
    target = yaml.safe_load(demo_cfg.read_text(encoding="utf-8"))["targets"][year]
    assert f"{target['afforestation_mu']:,.2f} 亩" in s["panel_text"]
    assert f"{year} 年" in s["title"]

    def chart_text(browser):
        with open_page(browser, demo_maps["progress"]) as (page, _):
            return page.inner_text(".ecogis-chart-box")

    chart = chart_text(chromium)
    for t in towns["XZQMC"]:
        assert t[:8] in chart  # long names are cut to 9 characters with an ellipsis


@pytest.mark.browser
def test_screening_map_renders(chromium, demo_cfg, demo_maps, tmp_path):
    sites = _layer(demo_cfg, "sites.gpkg")
    shot = tmp_path / "screening.png"
    s = render(demo_maps["screening"], screenshot=shot, browser=chromium)
    _keep(shot)
    _assert_clean(s)
    assert s["layers"]["候选场址"] == _drawn(sites)
    assert s["layers"]["场址位置"] == len(sites)
    # the study area and township outlines, and the 500 m buffer a site was cut by
    assert s["layers"]["研究区边界"] == 1 and s["layers"]["乡镇界"] == 5
    assert s["layers"]["饮用水水源保护区 500 米缓冲区"] == 1
    assert "饮用水水源保护区 500 米缓冲区" in s["legend_text"]
    # the eligible part is drawn for every site where something is left
    assert 0 < s["layers"]["可用范围"] <= len(sites)
    # context: the layers the rule set checks, with their config labels (a check on land
    # classes draws the patches it takes, with its own label)
    for label in ("生态保护红线", "永久基本农田", "饮用水水源保护区", "沙地、裸土地、其他草地"):
        assert label in s["layer_names"] and label in s["legend_text"]
    counts = {"通过": 0, "有条件通过": 0, "不通过": 0, "未判定": 0}
    names = {"pass": "通过", "conditional": "有条件通过", "fail": "不通过", "unknown": "未判定"}
    for verdict in PLANTED["sites"].values():
        counts[names[verdict]] += 1
    for text, n in counts.items():
        assert f"\n{text}\t{n} 个" in s["panel_text"]


def _click_popup(page, gdf_point_4326, zoom: int) -> list[str]:
    lon, lat = gdf_point_4326
    page.evaluate(
        # a block body: setView returns the map, too deep an object for Playwright to return
        "([lat, lon, z]) => { window.ecogisMap.setView([lat, lon], z, {animate: false}); }",
        [lat, lon, zoom],
    )
    page.mouse.click(*container_point(page, lat, lon))
    page.wait_for_selector(".leaflet-popup-content td", timeout=5000)
    return page.eval_on_selector_all(
        ".leaflet-popup-content td", "els => els.map(e => e.textContent)"
    )


def _point(gdf) -> tuple[float, float]:
    p = gpd.GeoSeries(gdf.geometry.representative_point().iloc[:1]).to_crs(4326).iloc[0]
    return p.x, p.y


@pytest.mark.browser
def test_click_shows_planted_script_as_text(chromium, planted):
    cfg, maps = planted
    _, _, report = _controls_report(cfg)
    hit = report.conflicts[report.conflicts["id_a"] == XSS]
    assert len(hit) >= 1
    pits = _layer(cfg, "pits.gpkg").to_crs(WORK)
    sites = _layer(cfg, "sites.gpkg").to_crs(WORK)
    cases = {
        "controls": (hit, "生态保护红线 " + XSS, "冲突区域"),
        "progress": (pits.iloc[:1], XSS, "历史遗留矿坑 " + pits["pit_id"].iloc[0]),
        "screening": (sites[sites["site_id"] == "PV-01"], XSS, "候选场址 PV-01"),
    }

    def click(browser, path, point):
        with open_page(browser, path) as (page, log):
            cells = _click_popup(page, point, 14)
            popup_title = page.inner_text(".ecogis-popup-title")
            scripts = page_state(page)["scripts_in_controls"]
            page.wait_for_timeout(200)
            return cells, popup_title, scripts, log

    for kind, (where, expected, title) in cases.items():
        cells, popup_title, scripts, log = click(chromium, maps[kind], _point(where))
        assert expected in cells, (kind, cells)
        assert popup_title == title and scripts == 0
        assert log.dialogs == [] and log.page_errors == [] and log.blocked == [], kind
        assert log.console_errors == [], kind


@pytest.mark.browser
def test_screening_popup_lists_reasons(chromium, demo_cfg, demo_maps):
    sites = _layer(demo_cfg, "sites.gpkg").to_crs(WORK)
    failing = [i for i, v in PLANTED["sites"].items() if v == "fail"]
    site = sites[sites["site_id"] == failing[0]]

    def click(browser, point):
        with open_page(browser, demo_maps["screening"]) as (page, log):
            cells = _click_popup(page, point, 14)
            heads = page.eval_on_selector_all(
                ".leaflet-popup-content th", "els => els.map(e => e.textContent)"
            )
            return dict(zip(heads, cells, strict=True)), log

    row, log = click(chromium, _point(site))
    assert row["场址编号"] == failing[0] and row["结论"] == "不通过"
    assert row["原因"] not in ("", "—") and "\n" in row["原因"]  # one reason per line
    assert row["重叠（亩）"] != ""
    assert log.page_errors == []


def test_screening_reasons_are_kept_whole(demo_cfg, demo_maps):
    """A legal basis that holds "；" itself stays in its reason: one numbered line per check
    that did not pass, the text joined back equals the screening's reasons."""
    result = gpd.read_file(demo_cfg.parent.parent / "layers" / "demo" / "sites.gpkg")
    d = _payloads(demo_maps["screening"].read_text(encoding="utf-8"))["候选场址"]
    col = d["pl"].index("原因")
    by_id = {row[0]: row[col] for row in d["p"]}
    # sandy land, minimum area, permanent farmland and cultivated land (耕地): four reasons
    shown = by_id["PV-04"]
    lines = shown.split("\n")
    assert [ln[:3] for ln in lines] == ["1. ", "2. ", "3. ", "4. "]
    basis = "鼓励利用沙漠、戈壁、荒漠建设光伏基地；60%为本示范设定"
    assert any(basis in ln for ln in lines), lines
    assert "；".join(ln[3:] for ln in lines) == _screen_reasons(demo_cfg)["PV-04"]
    # a single reason that holds "；" (the 500 m buffer's basis) is not numbered or split
    assert by_id["PV-07"] == _screen_reasons(demo_cfg)["PV-07"]
    assert "；500米缓冲为本示范设定" in by_id["PV-07"]
    assert len(result) == len(by_id)


def _screen_reasons(cfg: Path) -> dict[str, str]:
    from ecogis import Project
    from ecogis.screening import run_screening

    with Project.open(cfg) as project, pytest.warns(EcogisWarning, match="make_valid"):
        res = run_screening(project, "pv_sand_control")
    return dict(zip(res.sites["site_id"], res.sites["reasons"], strict=True))


# --------------------------------------------------------------------------------------
# the command
# --------------------------------------------------------------------------------------


def test_cli_default_output_and_overwrite(demo_cfg, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    res = runner.invoke(cli, ["map", "controls", "-c", str(demo_cfg)])
    assert res.exit_code == 0, res.output
    out = tmp_path / "maps" / "controls.html"
    assert out.is_file() and "maps/controls.html" in res.output
    assert not EXTERNAL.search(out.read_text(encoding="utf-8"))
    res = runner.invoke(cli, ["map", "controls", "-c", str(demo_cfg)])
    assert (
        res.exit_code == 2
        and ("exists" in res.output or "已存在" in res.output)
        and "--overwrite" in res.output
    )
    res = runner.invoke(cli, ["map", "controls", "-c", str(demo_cfg), "-o", "x.txt"])
    assert res.exit_code == 2 and ".html" in res.output


def test_cli_tianditu_key_from_environment(demo_cfg, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    runner = CliRunner()
    args = ["map", "progress", "-c", str(demo_cfg), "--basemap", "tianditu", "-o", "p.html"]
    res = runner.invoke(cli, args)
    assert res.exit_code == 2 and "TIANDITU_KEY" in res.output
    assert not (tmp_path / "p.html").exists()
    monkeypatch.setenv("TIANDITU_KEY", "abc123KEY")
    res = runner.invoke(cli, ["-q", *args])
    assert res.exit_code == 0, res.output
    text = (tmp_path / "p.html").read_text(encoding="utf-8")
    assert "tk=abc123KEY" in text and not EXTERNAL.search(text)


def test_cli_progress_year(demo_cfg, tmp_path):
    out = tmp_path / "p2022.html"
    res = CliRunner().invoke(
        cli, ["-q", "map", "progress", "-c", str(demo_cfg), "--year", "2022", "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    plots = _layer(demo_cfg, "plots.gpkg")
    text = out.read_text(encoding="utf-8")
    d = _payloads(text)
    # every year's plots are on the map; the year filter starts at --year (no time line:
    # the demo copy has no registry)
    assert len(d["造林种草地块"]["c"]) == len(plots)
    assert sorted(d["造林种草地块"]["a"]["year"]) == sorted(plots["year"].tolist())
    year = next(f for f in page_config(text)["filters"] if f["key"] == "year")
    assert year["initial"] == 2022 and year["auto"] is None
    assert "time" not in page_config(text)
    assert "2022 年" in text


def test_cli_screening_from_screen_output(demo_cfg, tmp_path):
    runner = CliRunner()
    result = tmp_path / "screen.gpkg"
    sites_path = demo_cfg.parent.parent / "layers" / "demo" / "sites.gpkg"
    res = runner.invoke(
        cli,
        ["-q", "screen", str(sites_path), "-c", str(demo_cfg), "-r", "pv_sand_control"]
        + ["-o", str(result)],
    )
    assert res.exit_code == 0, res.output
    out = tmp_path / "s.html"
    res = runner.invoke(
        cli,
        ["-q", "map", "screening", "-c", str(demo_cfg), "--sites-result", str(result)]
        + ["-o", str(out)],
    )
    assert res.exit_code == 0, res.output
    d = _payloads(out.read_text(encoding="utf-8"))
    sites = gpd.read_file(result, layer="sites")
    eligible = gpd.read_file(result, layer="eligible")
    assert len(d["候选场址"]["c"]) == len(sites)
    assert len(d["可用范围"]["c"]) == _drawn(eligible)
    # verdicts in the popups follow the screening output, row by row
    names = {"pass": "通过", "conditional": "有条件通过", "fail": "不通过", "unknown": "未判定"}
    col = d["候选场址"]["pl"].index("结论")
    assert [row[col] for row in d["候选场址"]["p"]] == [names[v] for v in sites["verdict"]]
    res = runner.invoke(
        cli, ["map", "screening", str(sites_path), "-c", str(demo_cfg), "--sites-result", "x"]
    )
    assert res.exit_code == 2 and "不要同时给出" in res.output  # "not both", in Chinese


def test_layer_styles_follow_chinese_labels_in_any_language(monkeypatch):
    """A config whose red line is called "hx" but labelled 生态保护红线 draws it red, whether
    the interface is Chinese or English."""
    from ecogis.mapping.common import style_for_layer
    from ecogis.mapping.styles import STYLES

    for lang in ("zh", "en"):
        monkeypatch.setenv("ECOGIS_LANG", lang)
        assert style_for_layer("hx", "生态保护红线", 0) == STYLES["redline"]
        assert style_for_layer("sx", "沙地", 0) == STYLES["sandy_land"]
        assert style_for_layer("other", "其他图层", 0)["fillColor"] == "#1f77b4"


@pytest.mark.browser
def test_hovering_a_pit_shows_its_id_name_and_status(chromium, demo_cfg, demo_maps):
    pits = _layer(demo_cfg, "pits.gpkg").to_crs(WORK)
    pit = pits[pits["status"] == "untreated"].iloc[:1]
    lon, lat = _point(pit)
    with open_page(chromium, demo_maps["progress"]) as (page, log):
        page.evaluate(
            "([lat, lon]) => window.ecogisMap.setView([lat, lon], 14, {animate: false})", [lat, lon]
        )
        page.mouse.move(*container_point(page, lat, lon))
        page.wait_for_selector(".leaflet-tooltip.ecogis-hover", timeout=5000)
        text = page.inner_text(".leaflet-tooltip.ecogis-hover")
        assert log.page_errors == []
    assert text == f"{pit['pit_id'].iloc[0]} {pit['name'].iloc[0]}（未治理）"

"""Basemaps for intranets: tiles embedded from an MBTiles file made here, tile URL templates
(an intranet server, a Tianditu mirror, WMTS), Tianditu per projection, notices when tiles or
Leaflet cannot load, and the attribution line. Headless Chromium, network blocked."""

from __future__ import annotations

import math
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ecogis.cli import cli
from ecogis.mapping import STYLES, add_polygons, new_map, save_map
from ecogis.mapping.model import parse_basemap

from browser import open_page, page_state, png_pixel, solid_png, write_mbtiles

TEAL = (60, 180, 160)
# the demo banner's extent with a margin (lon/lat)
EXTENT = (113.5, 41.8, 116.0, 43.3)


@pytest.fixture(autouse=True)
def chinese(english, monkeypatch):
    """The maps are read in Chinese here (what county staff see)."""
    monkeypatch.setenv("ECOGIS_LANG", "zh")


@pytest.fixture(scope="module")
def cfg(demo, tmp_path_factory) -> Path:
    """A demo copy (no registry) whose config names its data sources."""
    root = tmp_path_factory.mktemp("basemap")
    src = Path(demo.config_path).resolve().parents[1]
    shutil.copytree(src / "layers", root / "layers")
    shutil.copytree(src / "configs", root / "configs")
    for reg in (root / "layers" / "demo").glob("restoration.gpkg*"):
        reg.unlink()
    path = root / "configs" / "demo.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["attribution"] = ["正镶白旗自然资源局", "第三次全国国土调查"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _map(cfg: Path, out: Path, *args, env: dict | None = None, kind: str = "progress"):
    res = CliRunner(env=env).invoke(cli, ["-q", "map", kind, "-c", str(cfg), "-o", str(out), *args])
    assert res.exit_code == 0, res.output
    return res


@pytest.mark.browser
def test_mbtiles_basemap_shows_under_the_layers_offline(chromium, cfg, tmp_path):
    tiles = tmp_path / "basemap.mbtiles"
    n = write_mbtiles(tiles, EXTENT, range(5, 10), TEAL, attribution="县自然资源局 影像 2022")
    out = tmp_path / "m.html"
    _map(cfg, out, "--basemap", f"mbtiles:{tiles}")
    shot = tmp_path / "m.png"
    with open_page(chromium, out) as (page, log):
        page.wait_for_function(
            "() => document.querySelectorAll('img.leaflet-tile-loaded').length > 0", timeout=5000
        )
        state = page_state(page)
        srcs = page.eval_on_selector_all(
            "img.leaflet-tile", "els => els.map(e => e.src.slice(0, 22))"
        )
        # a spot on a tile, off the data and the panels, and one on a filled layer
        spots = page.evaluate(
            """() => { const out = {};
                const b = L.latLngBounds(ecogis.cfg.fit);
                const nw = ecogis.map.latLngToContainerPoint(b.getNorthWest());
                const se = ecogis.map.latLngToContainerPoint(b.getSouthEast());
                const obs = ecogis.obstacles();
                const tiles = Array.from(document.querySelectorAll('img.leaflet-tile-loaded'))
                    .filter(t => t.src.startsWith('data:image/png')).map(t => t.getBoundingClientRect());
                for (let y = 60; y < innerHeight - 20 && !out.tile; y += 7) {
                    for (let x = 10; x < innerWidth - 10 && !out.tile; x += 7) {
                        const onTile = tiles.some(r => x > r.left + 2 && x < r.right - 2 && y > r.top + 2 && y < r.bottom - 2);
                        const offData = x < nw.x - 5 || x > se.x + 5 || y < nw.y - 5 || y > se.y + 5;
                        const free = !obs.some(o => x >= o.left - 3 && x <= o.right + 3 && y >= o.top - 3 && y <= o.bottom + 3);
                        if (onTile && offData && free) { out.tile = [x, y]; }
                    } }
                for (let y = 60; y < innerHeight && !out.layer; y += 9) {
                    for (let x = 0; x < innerWidth && !out.layer; x += 9) {
                        const e = document.elementFromPoint(x, y);
                        if (e && e.tagName === 'path' && e.getAttribute('fill') !== 'none' &&
                            Number(e.getAttribute('fill-opacity')) >= 0.5) { out.layer = [x, y, e.getAttribute('fill')]; }
                    } }
                return out; }"""
        )
        png = page.screenshot(path=str(shot))
        attribution = page.inner_text(".leaflet-control-attribution")
    if os.environ.get("ECOGIS_SCREENSHOTS"):  # keep it for a look
        Path(os.environ["ECOGIS_SCREENSHOTS"]).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(os.environ["ECOGIS_SCREENSHOTS"]) / "mbtiles_desk.png")
    assert log.blocked == [] and log.page_errors == [] and log.console_errors == []
    # every tile is in the page: the file's PNGs, and an empty GIF where the file has none
    assert n > 10 and state["tiles"] > 0 and "data:image/png;base64," in srcs
    assert set(srcs) <= {"data:image/png;base64,", "data:image/gif;base64,"}
    assert spots.get("tile") and spots.get("layer"), spots
    # where only the basemap is, the tile's colour shows; a layer's fill covers it
    assert max(abs(a - b) for a, b in zip(png_pixel(png, *spots["tile"]), TEAL, strict=True)) <= 3
    assert png_pixel(png, *spots["layer"][:2]) != TEAL
    assert "县自然资源局 影像 2022" in attribution


def test_mbtiles_are_capped_by_size(cfg, tmp_path):
    from ecogis.io.mbtiles import read_mbtiles

    from browser import page_config

    tiles = tmp_path / "big.mbtiles"
    big = solid_png((200, 10, 10), size=512)  # 512 px tiles compress to ~1 kB each
    write_mbtiles(tiles, EXTENT, range(5, 12), TEAL, tile=big)
    plain = tmp_path / "plain.html"
    _map(cfg, plain, kind="controls")
    (s, w), (n, e) = page_config(plain.read_text(encoding="utf-8"))["fit"]
    # the tiles over the map's own extent, per zoom: zooms 5-9 fit under the cap, 10 does not
    sizes = read_mbtiles(tiles, (w, s, e, n), max_bytes=10**9).tiles
    per_zoom = {
        z: sum(len(b) for (zz, _x, _y), b in sizes.items() if zz == z) for z in range(5, 12)
    }
    cap = sum(per_zoom[z] for z in range(5, 10)) + per_zoom[10] // 2
    out = tmp_path / "capped.html"
    res = CliRunner().invoke(
        cli,
        ["map", "controls", "-c", str(cfg), "-o", str(out), "--basemap", f"mbtiles:{tiles}",
         "--mbtiles-max-mb", str(cap / 1e6)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "略去第 10, 11 级" in res.output  # zoom levels 10, 11 left out, with a warning
    text = out.read_text(encoding="utf-8")
    assert '"maxNativeZoom":9' in text and '"minNativeZoom":5' in text
    assert len(re.findall(r'"\d+/\d+/\d+":', text)) == sum(1 for (z, _x, _y) in sizes if z <= 9)


def test_config_mbtiles_path_is_relative_to_the_config(cfg, tmp_path, monkeypatch):
    write_mbtiles(cfg.parent.parent / "layers" / "tiles.mbtiles", EXTENT, range(6, 8), TEAL)
    copy = cfg.with_name("with_tiles.yaml")
    data = yaml.safe_load(cfg.read_text(encoding="utf-8"))
    data["basemap"] = "mbtiles:../layers/tiles.mbtiles"
    copy.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # somewhere else: the path is the config's, not the cwd's
    out = tmp_path / "c.html"
    _map(copy, out, kind="controls")
    assert "ecogis.embeddedTiles(" in out.read_text(encoding="utf-8")


@pytest.mark.browser
def test_intranet_tiles_that_cannot_load_say_so(chromium, cfg, tmp_path):
    out = tmp_path / "intranet.html"
    url = "http://10.1.2.3:8080/DataServer?T=vec_w&x={x}&y={y}&l={z}"
    _map(cfg, out, "--basemap", url, kind="screening")
    with open_page(chromium, out) as (page, log):
        page.wait_for_selector(".ecogis-notice", state="visible", timeout=10_000)
        notice = page.inner_text(".ecogis-notice")
        ready = page.evaluate("() => window.ecogisReady")
    assert ready and log.page_errors == []
    assert log.blocked and all(
        u.startswith("http://10.1.2.3:8080/DataServer?T=vec_w&x=") for u in log.blocked
    )
    assert "10.1.2.3:8080" in notice and "无法加载" in notice and "图层照常显示" in notice


@pytest.mark.browser
def test_tianditu_layer_follows_the_projection(chromium, cfg, tmp_path):
    env = {"TIANDITU_KEY": "abcdef123456"}
    out = tmp_path / "tdt_lonlat.html"
    _map(cfg, out, "--basemap", "tianditu", "--projection", "lonlat", env=env, kind="controls")
    with open_page(chromium, out) as (page, log):
        page.wait_for_timeout(300)
        crs, zoom = page.evaluate("() => [ecogis.map.options.crs.code, ecogis.map.getZoom()]")
        # offline, Tianditu is not silently blank: the map says why there is no basemap
        page.wait_for_selector(".ecogis-notice", state="visible", timeout=10_000)
        notice = page.inner_text(".ecogis-notice")
    assert crs == "EPSG:4326" and log.page_errors == []
    assert "天地图矢量" in notice and "无法加载" in notice
    levels = {int(m) for u in log.blocked for m in re.findall(r"&l=(\d+)&", u)}
    layers = {m for u in log.blocked for m in re.findall(r"T=(\w+)&", u)}
    assert layers == {"vec_c", "cva_c"}  # CGCS2000 longitude/latitude tiles
    assert levels == {math.floor(zoom + 0.5) + 1}  # Tianditu's lon/lat levels start at 1
    assert all("tk=abcdef123456" in u for u in log.blocked)
    out = tmp_path / "tdt.html"
    _map(cfg, out, "--basemap", "tianditu-img", env=env, kind="controls")
    text = out.read_text(encoding="utf-8")
    assert "T=img_w" in text and "T=cia_w" in text and "EPSG3857" in text


def test_wmts_and_offset_templates():
    bm = parse_basemap(
        "http://gis.local/wmts?SERVICE=WMTS&REQUEST=GetTile&LAYER=vec&TILEMATRIXSET=c"
        "&TILEMATRIX={TileMatrix}&TILEROW={TileRow}&TILECOL={TileCol}&tk={tk} "
        "http://gis.local/labels/{z+1}/{x}/{y}.png"
    )
    base, labels = bm.tiles("lonlat", key="abcdef123456")
    assert base.url.endswith("TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=abcdef123456")
    assert not base.overlay and labels.overlay and labels.zoom_offset == 1
    assert labels.url == "http://gis.local/labels/{z}/{x}/{y}.png" and bm.needs_key


@pytest.mark.browser
def test_online_map_without_leaflet_says_so(chromium, cfg, tmp_path):
    out = tmp_path / "online.html"
    _map(cfg, out, "--online", kind="controls")
    with open_page(chromium, out) as (page, log):
        page.wait_for_selector(".ecogis-fatal", state="visible", timeout=5000)
        text = page.inner_text(".ecogis-fatal")
    assert any("cdn.jsdelivr.net" in u for u in log.blocked)
    assert "--online" in text and "未能加载" in text  # "... could not: no network?"


@pytest.mark.browser
def test_attribution_names_ecogis_the_data_and_the_basemap(chromium, cfg, tmp_path):
    out = tmp_path / "osm.html"
    _map(cfg, out, "--basemap", "osm", kind="screening")
    with open_page(chromium, out) as (page, log):
        text = page.inner_text(".leaflet-control-attribution")
        flag = page.evaluate(
            "() => document.querySelectorAll('.leaflet-control-attribution svg').length"
        )
    assert text.startswith("ecogis")
    assert "数据：正镶白旗自然资源局; 第三次全国国土调查" in text
    assert "OpenStreetMap" in text and "Leaflet" not in text and flag == 0


def test_basemap_in_a_map_built_from_python(tmp_path):
    """The library refuses a basemap that cannot be drawn before anything is written."""
    from ecogis.errors import ConfigError, LayerError

    with pytest.raises(ConfigError, match="只有 Web 墨卡托瓦片"):  # Web Mercator tiles only
        new_map(title="t", basemap="osm", projection="lonlat")
    m = new_map(title="t", basemap=f"mbtiles:{tmp_path / 'missing.mbtiles'}")
    import geopandas as gpd
    import shapely

    gdf = gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.box(114, 42, 114.1, 42.1)], crs=4490)
    add_polygons(m, gdf, name="x", style=STYLES["redline"])
    with pytest.raises(LayerError, match="找不到 MBTiles 文件"):  # MBTiles file not found
        save_map(m, tmp_path / "x.html")
    assert not (tmp_path / "x.html").exists()

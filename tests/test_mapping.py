"""Tests for ecogis.mapping: offline HTML, escaping, compact layers, and real rendering in Chromium."""

from __future__ import annotations

import json
import re
import warnings

import folium
import geopandas as gpd
import numpy as np
import pytest
import shapely
from branca.element import JavascriptLink

from ecogis.errors import ConfigError, CRSError, EcogisError, EcogisWarning, LayerError
from ecogis.mapping import (
    CANVAS_THRESHOLD,
    STYLES,
    add_chart,
    add_jquery,
    add_legend,
    add_panel,
    add_polygons,
    finish_map,
    new_map,
    progress_color,
    render_map,
    save_map,
    style_for,
)

from browser import container_point, layer_payloads, open_page, page_state, render

XSS = "<script>alert(1)</script>"
IMG_XSS = "<img src=x onerror=alert(2)>"
# the check from the brief: no script or stylesheet loaded over http(s)
EXTERNAL = re.compile(r'<script[^>]+src="https?:|<link[^>]+href="https?:')
X0, Y0 = 500_000.0, 4_700_000.0  # EPSG:4547 (CGCS2000 GK CM 114E), near 114E 42.4N


def _box(dx: float, dy: float, w: float, h: float):
    return shapely.box(X0 + dx, Y0 + dy, X0 + dx + w, Y0 + dy + h)


def _layers():
    """Red line (2 features, one with a hostile name), farmland (3), urban (1), all EPSG:4547."""
    redline = gpd.GeoDataFrame(
        {"HXMC": [XSS, "红线二"], "area_mu": [1500.0, 600.5], "unused": ["x", "y"]},
        geometry=[_box(0, 0, 1000, 1000), _box(2500, 0, 500, 800)],
        crs=4547,
    )
    farmland = gpd.GeoDataFrame(
        {"DLMC": ["水浇地", "旱地", "旱地"]},
        geometry=[_box(0, 1500, 600, 600), _box(800, 1500, 600, 600), _box(1600, 1500, 600, 600)],
        crs=4547,
    )
    urban = gpd.GeoDataFrame(
        {"GHFQMC": ["城镇集中建设区"]}, geometry=[_box(1200, -200, 1000, 1200)], crs=4547
    )
    return redline, farmland, urban


def _three_layer_map(title: str = "正镶白旗三线检查"):
    redline, farmland, urban = _layers()
    m = new_map(title=title)
    add_polygons(
        m,
        redline,
        name="生态保护红线",
        style=STYLES["redline"],
        popup_fields=[("HXMC", "红线名称"), ("area_mu", "面积（亩）")],
        tooltip_field="HXMC",
    )
    add_polygons(
        m, farmland, name="永久基本农田", style=STYLES["farmland"], popup_fields=[("DLMC", "地类")]
    )
    add_polygons(m, urban, name="城镇开发边界", style=STYLES["urban"], on_top=True)
    add_legend(
        m,
        [
            ("生态保护红线", STYLES["redline"]),
            ("永久基本农田", STYLES["farmland"]),
            ("城镇开发边界", STYLES["urban"]),
        ],
        title="图例",
    )
    add_panel(m, [("冲突图斑", 2), ("冲突面积（亩）", "123.4")], title="汇总")
    add_chart(m, [("明安图镇", 80.0), ("星耀镇", 35.0), ("宝力根陶海苏木", None)], title="完成进度")
    return m


def _payload(text: str, name: str) -> dict:
    """One layer's data as the page decodes it (``raw``: as shipped)."""
    layers = layer_payloads(text)
    assert name in layers, f"no layer {name!r} in page: {list(layers)}"
    return layers[name]


def _grid(n: int, size: float = 40.0, step: float = 60.0) -> gpd.GeoDataFrame:
    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    x = X0 + (i % side) * step
    y = Y0 + (i // side) * step
    geoms = shapely.box(x, y, x + size, y + size)
    return gpd.GeoDataFrame(
        {"BSM": [f"P{k:05d}" for k in i], "area_mu": np.round(size * size / (10000 / 15), 2)},
        geometry=geoms,
        crs=4547,
    )


# --------------------------------------------------------------------------------------
# HTML without a browser
# --------------------------------------------------------------------------------------


def test_offline_html_has_no_external_assets(tmp_path):
    out = save_map(_three_layer_map(), tmp_path / "m.html")
    text = out.read_text(encoding="utf-8")
    assert not EXTERNAL.search(text)
    for cdn in ("cdn.jsdelivr.net", "code.jquery.com", "cdnjs.cloudflare.com", "bootstrapcdn"):
        assert cdn not in text
    assert "charset=UTF-8" in text
    assert "L.version" in text or '"1.9.3"' in text  # Leaflet itself is inlined
    assert "url(images/" not in text  # Leaflet's control images are data: URIs
    assert "<title>正镶白旗三线检查</title>" in text


def test_values_are_escaped_everywhere(tmp_path):
    redline, _, _ = _layers()
    m = new_map(title=IMG_XSS)
    add_polygons(
        m, redline, name=IMG_XSS, style=STYLES["redline"], popup_fields=[("HXMC", IMG_XSS)]
    )
    add_legend(m, [(IMG_XSS, STYLES["redline"])], title=IMG_XSS)
    add_panel(m, [(IMG_XSS, IMG_XSS)], title=IMG_XSS)
    add_chart(m, [(IMG_XSS, 10)], title=IMG_XSS)
    text = render_map(m)
    assert XSS not in text
    assert "<img src=x" not in text
    d = _payload(text, IMG_XSS)
    assert d["p"][0][0] == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert d["title"] == d["pl"][0] == "&lt;img src=x onerror=alert(2)&gt;"


def test_layer_is_reprojected_simplified_rounded_and_trimmed():
    circle = shapely.Point(X0, Y0).buffer(1000, quad_segs=64)  # 257 vertices
    gdf = gpd.GeoDataFrame({"name": ["c"], "secret": ["not shipped"]}, geometry=[circle], crs=4547)
    m = new_map(title="t")
    add_polygons(m, gdf, name="fine", style=STYLES["zone"], simplify_m=None)
    add_polygons(m, gdf, name="simple", style=STYLES["zone"], simplify_m=5)
    text = render_map(m)
    assert "not shipped" not in text  # unused columns are not in the page
    fine, simple = _payload(text, "fine"), _payload(text, "simple")
    assert fine["t"] == simple["t"] == "3"  # Polygon
    ring_fine, ring_simple = fine["c"][0][0], simple["c"][0][0]
    assert len(ring_fine) == 257
    assert 10 < len(ring_simple) < 100
    lon, lat = np.array(ring_fine).mean(axis=0)
    assert lon == pytest.approx(114.0, abs=0.01) and 42.0 < lat < 43.0
    decimals = {len(str(v).split(".")[1]) for xy in ring_fine for v in xy if "." in str(v)}
    assert max(decimals) <= 6


def test_geographic_layer_simplified_in_metres():
    # 4490 input: tolerance must be metres (via UTM), not degrees, or the circle would vanish
    circle = gpd.GeoSeries([shapely.Point(X0, Y0).buffer(1000, quad_segs=64)], crs=4547).to_crs(
        4490
    )
    gdf = gpd.GeoDataFrame({"a": [1]}, geometry=circle, crs=4490)
    m = new_map(title="t")
    add_polygons(m, gdf, name="geo", style=STYLES["zone"], simplify_m=5)
    ring = _payload(render_map(m), "geo")["c"][0][0]
    assert 10 < len(ring) < 100


def test_callable_style_distinct_table():
    _, farmland, _ = _layers()
    m = new_map(title="t")
    add_polygons(
        m,
        farmland,
        name="f",
        style=lambda r: STYLES["farmland"] if r["DLMC"] == "旱地" else STYLES["water_source"],
    )
    d = _payload(render_map(m), "f")
    assert len(d["st"]) == 2
    assert d["s"] == [0, 1, 1]  # 水浇地 first, then 旱地 twice
    assert d["st"][1]["fillColor"] == STYLES["farmland"]["fillColor"]


def test_points_lines_collections_and_empties():
    gdf = gpd.GeoDataFrame(
        {"k": ["pt", "ln", "gc", "empty"]},
        geometry=[
            shapely.Point(X0, Y0),
            shapely.LineString([(X0, Y0), (X0 + 500, Y0 + 500)]),
            shapely.GeometryCollection([_box(0, 0, 100, 100), shapely.Point(X0 + 900, Y0)]),
            shapely.Polygon(),
        ],
        index=[7, 7, 3, 0],  # unsorted and not unique: order must follow position
        crs=4547,
    )
    m = new_map(title="t")
    with pytest.warns(EcogisWarning, match="1 feature"):
        add_polygons(m, gdf, name="mixed", style=STYLES["site"], popup_fields=[("k", "类型")])
    d = _payload(render_map(m), "mixed")
    assert d["t"] == "0130"  # Point, LineString, Polygon + Point from the collection
    assert [row[0] for row in d["p"]] == ["pt", "ln", "gc", "gc"]


def test_bad_inputs_name_the_problem(tmp_path):
    redline, _, _ = _layers()
    m = new_map(title="t")
    with pytest.raises(CRSError, match="no CRS"):
        add_polygons(
            m, redline.set_crs(None, allow_override=True), name="r", style=STYLES["redline"]
        )
    with pytest.raises(LayerError, match="NOPE.*HXMC"):
        add_polygons(m, redline, name="r", style=STYLES["redline"], popup_fields=[("NOPE", "x")])
    with pytest.raises(EcogisError, match="fill_color.*allowed"):
        add_polygons(m, redline, name="r", style={"fill_color": "#fff"})
    with pytest.raises(EcogisError, match="colour"):
        add_legend(m, [("x", {"color": "red;background:url(http://x)"})], title="图例")
    with pytest.raises(EcogisError, match="new_map"):
        add_polygons(folium.Map(), redline, name="r", style=STYLES["redline"])
    with pytest.raises(ConfigError, match="allowed: none, osm, tianditu"):
        new_map(title="t", basemap="google")
    with pytest.raises(ConfigError, match="TIANDITU_KEY"):
        new_map(title="t", basemap="tianditu")
    with pytest.raises(ConfigError, match="letters/digits"):
        new_map(title="t", basemap="tianditu", tianditu_key='abc123456"}')
    add_polygons(m, redline, name="r", style=STYLES["redline"])
    with pytest.raises(LayerError, match="already"):
        add_polygons(m, redline, name="r", style=STYLES["redline"])
    target = tmp_path / "exists.html"
    target.write_text("old")
    with pytest.raises(LayerError, match="exists"):
        save_map(m, target, overwrite=False)
    assert target.read_text() == "old"
    with pytest.raises(EcogisError, match="finished"):
        add_polygons(m, redline, name="late", style=STYLES["redline"])


def test_save_map_guards_against_external_assets(tmp_path):
    m = new_map(title="t")
    m.get_root().header.add_child(JavascriptLink("https://cdn.example.com/x.js"))
    target = tmp_path / "m.html"
    with pytest.raises(EcogisError, match="cdn.example.com"):
        save_map(m, target)
    assert not target.exists()


def test_online_and_basemaps():
    text = render_map(new_map(title="t", online=True))
    assert re.search(r'<script[^>]+src="https://cdn\.jsdelivr\.net/npm/leaflet@', text)
    assert "bootstrap" not in text and "jquery" not in text.lower()
    online = new_map(title="t", online=True)
    add_jquery(online)
    assert re.search(r'<script[^>]+src="https://code\.jquery\.com/', render_map(online))
    key = "abc123KEY"
    text = render_map(new_map(title="t", basemap="tianditu", tianditu_key=key))
    assert "tianditu.gov.cn/DataServer?T=vec_w" in text and "T=cva_w" in text
    assert f"tk={key}" in text and '"01234567"' in text
    assert not EXTERNAL.search(text)
    text = render_map(new_map(title="t", basemap="osm"))
    assert "tile.openstreetmap.org" in text and not EXTERNAL.search(text)
    assert "L.tileLayer(" not in render_map(new_map(title="t"))  # default: no tiles at all


def _patches(n: int, *, vertices: int = 10, seed: int = 3) -> gpd.GeoDataFrame:
    """``n`` irregular land-use patches over a 60 km county, with a realistic attribute table.

    Star-shaped outlines (``vertices`` corners, radii alternating 0.55/1.0 and jittered by
    +-10 %) on a ~425 m grid, so the sub-metre display simplification keeps every corner; a unique 15-character id, coded
    columns and areas like a 三调 layer, plus columns no map uses.
    """
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    step = 60_000.0 / side
    i = np.arange(n)
    cx = X0 + (i % side + 0.5) * step + rng.uniform(-0.1, 0.1, n) * step
    cy = Y0 + (i // side + 0.5) * step + rng.uniform(-0.1, 0.1, n) * step
    angle = np.linspace(0, 2 * np.pi, vertices, endpoint=False) + rng.uniform(0, 1, (n, 1))
    radius = 0.4 * step * np.where(np.arange(vertices) % 2, 0.55, 1.0)
    radius = radius * rng.uniform(0.9, 1.1, (n, vertices))
    ring = np.stack([cx[:, None] + radius * np.cos(angle), cy[:, None] + radius * np.sin(angle)], 2)
    geoms = shapely.polygons(np.concatenate([ring, ring[:, :1]], axis=1))
    towns = [f"明安图镇第{k}嘎查" for k in range(40)]
    gdf = gpd.GeoDataFrame(
        {
            "BSM": [f"1525291{k:08d}" for k in i],
            "DLMC": rng.choice(["水浇地", "旱地", "乔木林地", "天然牧草地", "沙地"], n),
            "QSDWMC": rng.choice(towns, n),
            "YSDM": "2001010100",
            "BZ": "",
        },
        geometry=geoms,
        crs=4547,
    )
    gdf["area_mu"] = np.round(gdf.area / (10000 / 15), 2)
    gdf["TBMJ"] = np.round(gdf.area, 2)
    return gdf


def test_twenty_thousand_polygons_under_5_mb(tmp_path):
    gdf = _patches(20_000)
    m = new_map(title="两万图斑")
    add_polygons(
        m,
        gdf,
        name="图斑",
        style=lambda r: STYLES["farmland"] if r["DLMC"] == "旱地" else STYLES["zone"],
        popup_fields=[
            ("BSM", "标识码"),
            ("DLMC", "地类名称"),
            ("QSDWMC", "权属单位"),
            ("area_mu", "面积（亩）"),
        ],
        tooltip_field="BSM",
    )
    out = save_map(m, tmp_path / "big.html")
    size = out.stat().st_size
    assert size < 5_000_000, f"{size / 1e6:.2f} MB"
    assert m.options.get("prefer_canvas") is True  # > CANVAS_THRESHOLD switches to canvas
    assert 20_000 > CANVAS_THRESHOLD
    # nothing the user sees was dropped to get there
    d = _payload(out.read_text(encoding="utf-8"), "图斑")
    assert len(d["c"]) == 20_000 and d["t"] == "3" * 20_000
    # every vertex the 0.5 m display simplification keeps is shipped: 8+ corners per patch
    rings = [poly[0] for poly in d["c"]]
    assert sum(map(len, rings)) == shapely.get_num_coordinates(gdf.simplify(0.5).values).sum()
    assert min(map(len, rings)) == 11  # 10 corners and the closing vertex
    assert d["h"] == gdf["BSM"].tolist()
    assert [row[1] for row in d["p"][:50]] == gdf["DLMC"].iloc[:50].tolist()
    assert d["p"][7][2] == gdf["QSDWMC"].iloc[7]
    assert d["p"][7][3] == f"{gdf['area_mu'].iloc[7]:.2f}".removesuffix(".00")
    assert len(d["st"]) == 2 and len(d["s"]) == 20_000


def test_compact_layer_round_trips_exactly():
    """Delta-coded integer coordinates decode to the 6-decimal rounded lon/lat, every type."""
    hole = _box(0, 0, 1000, 1000).difference(_box(200, 200, 300, 300))
    geoms = [
        hole,  # Polygon with a hole
        shapely.MultiPolygon([_box(2000, 0, 300, 300), _box(2500, 0, 100, 400)]),
        shapely.Point(X0 - 500, Y0 - 500),
        shapely.LineString([(X0, Y0 - 800), (X0 + 700, Y0 - 900), (X0 + 900, Y0 - 200)]),
        shapely.MultiPoint([(X0 + 3000, Y0), (X0 + 3100, Y0 + 50)]),
        shapely.MultiLineString([[(X0, Y0 + 2000), (X0 + 10, Y0 + 2500)], [(X0 + 50, Y0 + 2100), (X0 + 90, Y0 + 2000)]]),
    ]  # fmt: skip
    gdf = gpd.GeoDataFrame(
        {"code": ["A", "A", "A", XSS, XSS, XSS], "id": ["p", "mp", "pt", "ln", "mpt", "mln"]},
        geometry=geoms,
        crs=4547,
    )
    m = new_map(title="t")
    add_polygons(
        m,
        gdf,
        name="all",
        style=STYLES["site"],
        popup_fields=[("id", "编号"), ("code", "代码")],
        tooltip_field="code",
        simplify_m=None,
    )
    text = render_map(m)
    d = _payload(text, "all")
    expected_geoms = shapely.transform(gdf.to_crs(4326).geometry.values, lambda c: np.round(c, 6))
    expected = [json.loads(g)["coordinates"] for g in shapely.to_geojson(expected_geoms)]
    assert d["c"] == expected  # exact float equality, holes and parts in order
    assert d["t"] == "360145"
    # shipped: integers only, tooltip as a pointer to the popup column, repeated codes once
    raw = d["raw"]
    assert raw["q"] == 10**6 and raw["h"] == 1
    assert all(isinstance(v, int) for v in _flatten(raw["c"]))
    assert len(list(_flatten(raw["c"][0]))) == 2 * (4 + 4)  # 2 rings of 4 corners, not closed
    assert raw["p"][0] == ["p", "mp", "pt", "ln", "mpt", "mln"]
    assert raw["p"][1] == {
        "v": ["A", "&lt;script&gt;alert(1)&lt;/script&gt;"],
        "i": [0, 0, 0, 1, 1, 1],
    }
    assert d["h"] == ["A", "A", "A"] + ["&lt;script&gt;alert(1)&lt;/script&gt;"] * 3
    assert "</script" not in text.split("var d = ")[1].split(";\n")[0]


def _flatten(a):
    for v in a:
        if isinstance(v, list):
            yield from _flatten(v)
        else:
            yield v


def test_styles():
    assert STYLES["redline"]["fillColor"] == "#e60000"
    assert STYLES["farmland"]["fillColor"] == "#ffd700"
    assert STYLES["urban"]["color"] == "#a020f0" and STYLES["urban"]["fill"] is False
    assert STYLES["conflict"]["fillColor"] == "#00e5ff"
    assert style_for("verdict", "pass") is STYLES["verdict_pass"]
    with pytest.raises(EcogisError, match="known styles"):
        style_for("verdict", "maybe")
    # completion classes: nothing done, under half, half or more, done (and grey for unknown)
    assert [progress_color(v) for v in (0, 0.2, 0.5, 0.99, 1.0, 1.5)] == [
        "#ffffff",
        "#bae4b3",
        "#31a354",
        "#31a354",
        "#004a23",
        "#004a23",
    ]
    assert progress_color(-1) == "#ffffff"
    assert progress_color(float("nan")) == progress_color(None) == "#9e9e9e"


# --------------------------------------------------------------------------------------
# in Chromium, offline
# --------------------------------------------------------------------------------------


@pytest.mark.browser
def test_three_layer_map_renders_offline(chromium, tmp_path):
    out = save_map(_three_layer_map(), tmp_path / "three.html")
    shot = tmp_path / "three.png"
    s = render(out, screenshot=shot, browser=chromium)
    assert s["leaflet"] == "1.9.3" and s["ready"]
    assert s["blocked"] == [] and s["console_errors"] == [] and s["page_errors"] == []
    assert s["layers"] == {"生态保护红线": 2, "永久基本农田": 3, "城镇开发边界": 1}
    assert s["paths"] == 6 and s["canvases"] == 0
    assert s["layer_control"] and s["layer_names"] == [
        "生态保护红线",
        "永久基本农田",
        "城镇开发边界",
    ]
    assert s["scale"] and s["scale_text"][0].endswith("m")  # metric only
    assert s["legend"] and "永久基本农田" in s["legend_text"]
    assert s["panel"] and "冲突面积（亩）" in s["panel_text"]
    assert s["chart"] and s["title"] == "正镶白旗三线检查"
    assert shot.stat().st_size > 10_000


@pytest.mark.browser
def test_popup_shows_script_as_text(chromium, tmp_path):
    out = save_map(_three_layer_map(), tmp_path / "xss.html")
    with open_page(chromium, out) as (page, log):
        # centre of the hostile red-line square (EPSG:4547 500500, 4700500)
        lon, lat = (
            gpd.GeoSeries([shapely.Point(X0 + 500, Y0 + 500)], crs=4547).to_crs(4326)[0].coords[0]
        )
        x, y = container_point(page, lat, lon)
        page.mouse.move(x, y)
        page.wait_for_selector(".leaflet-tooltip", timeout=5000)
        assert page.inner_text(".leaflet-tooltip") == XSS
        page.mouse.click(x, y)
        page.wait_for_selector(".leaflet-popup-content", timeout=5000)
        cells = page.eval_on_selector_all(
            ".leaflet-popup-content td", "els => els.map(e => e.textContent)"
        )
        assert cells == [XSS, "1500"]
        assert page.inner_text(".ecogis-popup-title") == "生态保护红线"
        assert page_state(page)["scripts_in_controls"] == 0
        page.wait_for_timeout(300)
        assert log.dialogs == [] and log.page_errors == [] and log.blocked == []


@pytest.mark.browser
def test_escaped_labels_do_not_run(chromium, tmp_path):
    redline, _, _ = _layers()
    m = new_map(title=IMG_XSS)
    add_polygons(m, redline, name=IMG_XSS, style=STYLES["redline"])
    add_legend(m, [(IMG_XSS, STYLES["redline"])], title=IMG_XSS)
    add_panel(m, [(IMG_XSS, IMG_XSS)], title="p")
    out = save_map(m, tmp_path / "labels.html")
    with open_page(chromium, out) as (page, log):
        page.wait_for_timeout(300)
        assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
        s = page_state(page)
        assert s["title"] == IMG_XSS and s["layer_names"] == [IMG_XSS]
        assert log.dialogs == [] and log.blocked == []


@pytest.mark.browser
def test_permanent_labels_show_escaped_names(chromium, tmp_path):
    redline, _, _ = _layers()
    redline = redline.assign(HXMC=[IMG_XSS, "明安图镇"])
    m = new_map(title="labels")
    add_polygons(m, redline, name="乡镇界", style=STYLES["admin"], tooltip_field="HXMC", label=True)
    out = save_map(m, tmp_path / "permanent.html")
    with open_page(chromium, out) as (page, log):
        page.wait_for_timeout(300)
        texts = page.evaluate(
            "Array.from(document.querySelectorAll('.leaflet-tooltip.ecogis-label'), e => e.textContent)"
        )
        assert sorted(texts) == sorted([IMG_XSS, "明安图镇"])
        assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
        assert log.dialogs == [] and log.page_errors == [] and log.console_errors == []


@pytest.mark.browser
def test_twenty_thousand_polygons_render_on_canvas(chromium, tmp_path):
    m = new_map(title="两万图斑")
    add_polygons(
        m, _grid(20_000), name="图斑", style=STYLES["pit_untreated"], popup_fields=[("BSM", "编号")]
    )
    out = save_map(m, tmp_path / "big.html")
    s = render(out, browser=chromium)
    assert (
        s["ready"] and s["page_errors"] == [] and s["console_errors"] == [] and s["blocked"] == []
    )
    assert s["layers"] == {"图斑": 20_000}
    assert s["canvases"] >= 1 and s["paths"] == 0
    # canvas hit-testing: zoom onto the first polygon and click it
    with open_page(chromium, out) as (page, log):
        lon, lat = (
            gpd.GeoSeries([shapely.Point(X0 + 20, Y0 + 20)], crs=4547).to_crs(4326)[0].coords[0]
        )
        page.evaluate(
            "([lat, lon]) => window.ecogisMap.setView([lat, lon], 17, {animate: false})", [lat, lon]
        )
        page.mouse.click(*container_point(page, lat, lon))
        page.wait_for_selector(".leaflet-popup-content", timeout=5000)
        assert page.inner_text(".leaflet-popup-content td") == "P00000"
        assert log.page_errors == []


_FEATURES_JS = """
() => {
    const out = {};
    window.ecogisMap.eachLayer(l => { if (l.feature) { out[l.feature.properties.i] = l.feature.geometry; } });
    return Object.keys(out).map(Number).sort((a, b) => a - b).map(i => out[i]);
}
"""


@pytest.mark.browser
def test_page_decodes_every_geometry_type_exactly(chromium, tmp_path):
    hole = _box(0, 0, 1000, 1000).difference(_box(200, 200, 300, 300))
    geoms = [
        hole,
        shapely.MultiPolygon([_box(2000, 0, 300, 300), _box(2500, 0, 100, 400).difference(_box(2520, 20, 20, 20))]),
        shapely.Point(X0 - 500, Y0 - 500),
        shapely.LineString([(X0, Y0 - 800), (X0 + 700, Y0 - 900), (X0 + 900, Y0 - 200)]),
        shapely.MultiPoint([(X0 + 3000, Y0), (X0 + 3100, Y0 + 50)]),
        shapely.MultiLineString([[(X0, Y0 + 2000), (X0 + 10, Y0 + 2500)], [(X0 + 50, Y0 + 2100), (X0 + 90, Y0 + 2000)]]),
        _box(-3000, -3000, 50, 50),
    ]  # fmt: skip
    gdf = gpd.GeoDataFrame({"k": list("abcdefg")}, geometry=geoms, crs=4547)
    m = new_map(title="t")
    add_polygons(m, gdf, name="all", style=STYLES["site"], simplify_m=None)
    out = save_map(m, tmp_path / "types.html")
    expected_geoms = shapely.transform(gdf.to_crs(4326).geometry.values, lambda c: np.round(c, 6))
    expected = [json.loads(g) for g in shapely.to_geojson(expected_geoms)]
    with open_page(chromium, out) as (page, log):
        got = page.evaluate(_FEATURES_JS)
        assert log.page_errors == [] and log.console_errors == []
    assert got == expected  # same types, same floats, rings closed again
    assert got == [
        {"type": g["type"], "coordinates": c}
        for g, c in zip(
            expected, _payload(out.read_text(encoding="utf-8"), "all")["c"], strict=True
        )
    ]  # and the tests' decoder (tests/browser.py) agrees with the page


@pytest.mark.browser
def test_on_top_layer_stays_on_top_after_toggling(chromium, tmp_path):
    out = save_map(_three_layer_map(), tmp_path / "order.html")
    last_stroke = "() => Array.from(document.querySelectorAll('path.leaflet-interactive')).pop().getAttribute('stroke')"
    with open_page(chromium, out) as (page, log):
        assert page.evaluate(last_stroke) == STYLES["urban"]["color"]
        box = page.locator(".leaflet-control-layers-overlays input").nth(0)  # 生态保护红线
        box.uncheck()
        box.check()  # Leaflet re-adds the red line last ...
        assert (
            page.evaluate(last_stroke) == STYLES["urban"]["color"]
        )  # ... urban is moved back on top
        assert log.page_errors == []


@pytest.mark.browser
def test_tile_requests_are_the_only_network_use(chromium, tmp_path):
    redline, _, _ = _layers()
    m = new_map(title="t", basemap="tianditu", tianditu_key="TESTKEY123")
    add_polygons(m, redline, name="r", style=STYLES["redline"])
    out = save_map(m, tmp_path / "tdt.html")
    s = render(out, browser=chromium)
    assert s["ready"] and s["layers"] == {"r": 2} and s["page_errors"] == []
    assert s["blocked"], "tile requests should have been attempted and blocked"
    assert all(
        re.match(r"https://t[0-7]\.tianditu\.gov\.cn/DataServer\?T=(vec|cva)_w&", u)
        for u in s["blocked"]
    )
    assert all("tk=TESTKEY123" in u for u in s["blocked"])


@pytest.mark.browser
def test_folium_popup_works_offline_with_add_jquery(chromium, tmp_path):
    # folium.Popup builds its content with $(...): later maps that use it call add_jquery()
    m = new_map(title="t", bounds=(113.9, 42.3, 114.1, 42.5))
    folium.Marker([42.4, 114.0], popup=folium.Popup("<b>点</b>")).add_to(m)
    add_jquery(m)
    out = save_map(m, tmp_path / "jq.html")
    text = out.read_text(encoding="utf-8")
    assert not EXTERNAL.search(text)
    s = render(out, browser=chromium)
    assert (
        s["ready"] and s["page_errors"] == [] and s["blocked"] == [] and s["console_errors"] == []
    )


def test_finish_map_is_idempotent():
    m = _three_layer_map()
    finish_map(m)
    finish_map(m)
    text = render_map(m)
    assert text.count("L.control.scale(") == 1
    assert text.count("L.control.layers(") == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        render_map(m)

"""Benchmark: an ecogis map of 20 000 polygons against a plain ``folium.GeoJson`` map.

Usage::

    python3 benchmarks/bench_map.py            # 20 000 polygons
    python3 benchmarks/bench_map.py -n 5000    # quicker

The maps show the same synthetic land-use patches (``_synthetic.patch_tiling``: a jittered
tiling of a 60 km county, 8 vertices per patch, plus the dozen attribute columns a real
layer carries) with the same popup (BSM, DLBM, area in mu) and a hover tooltip:

* **ecogis**: ``new_map`` + ``add_polygons`` (simplified for display, coordinates as
  delta-coded integers of 1e-6 degree, the tooltip a pointer to the popup's BSM column, coded
  columns shipped once per distinct value, only the popup columns shipped, canvas renderer
  past 2 000 features, Leaflet inlined);
* **ecogis, search + filter + panel**: the same, plus the BSM, land class and area shipped raw
  for a search box, a land-class filter and a panel counted in the page (what the job maps do);
* **folium**: ``folium.Map`` + ``folium.GeoJson(gdf, popup=GeoJsonPopup, tooltip=...)`` as
  one would write it by hand (SVG renderer, every column in the GeoJSON, assets from CDNs).

Measured in headless Chromium (Debian ``/usr/bin/chromium``), median of ``--repeat`` fresh
page loads each:

* file size (the issue's budget: 20 000 polygons under 5 MB; the unit test
  ``test_twenty_thousand_polygons_under_5_mb`` checks it with 10-vertex patches and four
  popup fields);
* ``load``: navigation start to the end of the ``load`` event;
* ``first render``: navigation start to the first animation frame after every polygon was
  drawn (ecogis: ``window.ecogisReady``; folium: one ``path.leaflet-interactive`` per polygon),
  i.e. the moment the user sees the complete map.

Network: every non-``file:`` request is intercepted. The folium page needs its CDN assets to
draw anything at all, so they are *served locally* for it: Leaflet and jQuery from the
XStatic packages (the same code the CDN would send), Bootstrap / font-awesome /
awesome-markers as empty files (the map does not use them). Without that (network simply
blocked, as on an intranet) the folium page fires ``load`` quickly but shows nothing; that
case is printed too. The ecogis page makes no request at all.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import folium
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _synthetic import patch_tiling  # noqa: E402

from ecogis.mapping import (  # noqa: E402
    STYLES,
    add_legend,
    add_polygons,
    assets,  # noqa: E402
    new_map,
    save_map,
)
from ecogis.units import m2_to_mu  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
POPUP = [("BSM", "标识码"), ("DLBM", "地类编码"), ("area_mu", "面积（亩）")]


def make_layer(n: int):
    """``n`` land-use patches with a realistic attribute table (EPSG:4547)."""
    # the tiling is a square grid: make a few too many and keep the first n
    gdf = patch_tiling(n + 3 * int(n**0.5) + 3, extent_m=60_000.0, seed=7).iloc[:n].copy()
    rng = np.random.default_rng(7)
    k = len(gdf)
    gdf["BSM"] = [f"1525292{i:08d}" for i in range(k)]
    gdf["area_mu"] = np.round(m2_to_mu(gdf.area.to_numpy()), 2)
    # columns a real 三调 layer carries and a map does not need
    gdf["YSDM"] = "2001010100"
    gdf["TBYBH"] = [f"{i:06d}" for i in range(k)]
    gdf["DLMC"] = rng.choice(["水浇地", "旱地", "乔木林地", "天然牧草地", "沙地"], size=k)
    gdf["QSXZ"] = "20"
    gdf["QSDWDM"] = "152529101000000000"
    gdf["QSDWMC"] = "明安图镇某嘎查"
    gdf["ZLDWDM"] = "152529101000000000"
    gdf["ZLDWMC"] = "明安图镇某嘎查"
    gdf["TBMJ"] = np.round(gdf.area.to_numpy(), 2)
    gdf["KCMJ"] = 0.0
    gdf["TBDLMJ"] = gdf["TBMJ"]
    gdf["BZ"] = ""
    return gdf


def ecogis_map(gdf, path: Path) -> Path:
    m = new_map(title=f"{len(gdf)} 个图斑")
    add_polygons(
        m, gdf, name="图斑", style=STYLES["farmland"], popup_fields=POPUP, tooltip_field="BSM"
    )
    add_legend(m, [("图斑", STYLES["farmland"])], title="图例")
    return save_map(m, path)


def ecogis_interactive_map(gdf, path: Path) -> Path:
    """The same map with what staff work with: search by BSM, a filter by land class, and
    a panel counting the drawn patches (data columns shipped raw for the page)."""
    from ecogis.mapping.interactive import Count, Sum, Value, add_filter, add_search, add_summary

    m = new_map(title=f"{len(gdf)} 个图斑")
    add_polygons(
        m,
        gdf,
        name="图斑",
        style=STYLES["farmland"],
        popup_fields=POPUP,
        tooltip_field="BSM",
        data_fields=["BSM", "DLMC", "area_mu"],
    )
    add_search(m, [("图斑", ["BSM"])])
    classes = sorted(gdf["DLMC"].unique())
    add_filter(m, "class", "地类", options=[(c, c) for c in classes], columns={"图斑": "DLMC"})
    add_summary(
        m,
        "统计",
        [
            ("图斑", [Value(Count("图斑"), fmt="int")]),
            ("面积（亩）", [Value(Sum("图斑", "area_mu"))]),
        ],
    )
    add_legend(m, [("图斑", STYLES["farmland"])], title="图例")
    return save_map(m, path)


def folium_map(gdf, path: Path) -> Path:
    g = gdf.to_crs(4326)
    c = g.geometry.union_all().centroid
    m = folium.Map(location=[c.y, c.x], zoom_start=9, tiles=None)
    folium.GeoJson(
        g,
        name="图斑",
        style_function=lambda f: {
            "color": "#c9a400",
            "weight": 1,
            "fillColor": "#ffd700",
            "fillOpacity": 0.5,
        },
        popup=folium.GeoJsonPopup(fields=[c for c, _ in POPUP], aliases=[a for _, a in POPUP]),
        tooltip=folium.GeoJsonTooltip(fields=["BSM"]),
    ).add_to(m)
    folium.LayerControl().add_to(m)
    m.fit_bounds([[g.total_bounds[1], g.total_bounds[0]], [g.total_bounds[3], g.total_bounds[2]]])
    m.save(str(path))
    return path


def _local_asset(url: str) -> tuple[str, str]:
    """(body, content type) served for a CDN URL: Leaflet/jQuery from XStatic, else empty."""
    if url.endswith("leaflet.js"):
        return (assets._read_asset(assets._leaflet_dir() / "leaflet.js"), "application/javascript")
    if url.endswith("leaflet.css"):
        return assets.leaflet_css(), "text/css"
    if "jquery" in url and url.endswith(".js"):
        return assets.jquery_js(), "application/javascript"
    return "", "text/css" if url.endswith(".css") else "application/javascript"


RENDERED_JS = """
([kind, n]) => new Promise(resolve => {
    function done() {
        if (kind === 'ecogis') {
            return window.ecogisReady === true && (window.ecogisLayers || {})['图斑'] === n;
        }
        return document.querySelectorAll('path.leaflet-interactive').length >= n;
    }
    function poll() {
        if (done()) {
            requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now())));
        } else {
            requestAnimationFrame(poll);
        }
    }
    poll();
})
"""

LOAD_JS = "() => performance.getEntriesByType('navigation')[0].loadEventEnd"


def measure(browser, path: Path, kind: str, n: int, *, serve: bool) -> dict:
    """One fresh page load: load-event and first-render times (ms), requests made."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    requests: list[str] = []

    def route(r):
        url = r.request.url
        if url.startswith(("file:", "data:")):
            r.continue_()
            return
        requests.append(url)
        if serve:
            body, ctype = _local_asset(url)
            r.fulfill(status=200, body=body, content_type=ctype)
        else:
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    try:
        page.goto(path.resolve().as_uri(), wait_until="load", timeout=300_000)
        load_ms = page.evaluate(LOAD_JS)
        render_ms = None
        if serve or kind == "ecogis":
            page.set_default_timeout(300_000)
            render_ms = page.evaluate(RENDERED_JS, [kind, n])
        drawn = page.evaluate("() => window.L ? 'leaflet ok' : 'no Leaflet: nothing drawn'")
    finally:
        context.close()
    return {"load": load_ms, "render": render_ms, "requests": requests, "drawn": drawn}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=20_000, help="number of polygons (default 20000)")
    ap.add_argument("--repeat", type=int, default=3, help="page loads per map (median)")
    ap.add_argument("--keep", type=Path, help="folder to keep the two HTML files in")
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    gdf = make_layer(args.n)
    n = len(gdf)
    out = args.keep or Path(tempfile.mkdtemp(prefix="bench_map_"))
    out.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    eco = ecogis_map(gdf, out / "ecogis.html")
    t_eco = time.perf_counter() - t
    t = time.perf_counter()
    inter = ecogis_interactive_map(gdf, out / "ecogis_interactive.html")
    t_int = time.perf_counter() - t
    t = time.perf_counter()
    fol = folium_map(gdf, out / "folium.html")
    t_fol = time.perf_counter() - t

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            res = {
                "ecogis": [
                    measure(browser, eco, "ecogis", n, serve=False) for _ in range(args.repeat)
                ],
                "ecogis, search + filter + panel": [
                    measure(browser, inter, "ecogis", n, serve=False) for _ in range(args.repeat)
                ],
                "folium": [
                    measure(browser, fol, "folium", n, serve=True) for _ in range(args.repeat)
                ],
            }
            blocked = measure(browser, fol, "folium", n, serve=False)
        finally:
            browser.close()

    def med(kind: str, key: str) -> float:
        return statistics.median(r[key] for r in res[kind])

    size = {
        "ecogis": eco.stat().st_size,
        "ecogis, search + filter + panel": inter.stat().st_size,
        "folium": fol.stat().st_size,
    }
    print(f"{n} polygons, {len(gdf.columns) - 1} attribute columns; files in {out}")
    print(
        f"build + write: ecogis {t_eco:.1f} s, with search + filter {t_int:.1f} s, "
        f"folium {t_fol:.1f} s\n"
    )
    print("| map | file size | load event | first render | requests |")
    print("|---|---:|---:|---:|---|")
    for kind in ("ecogis", "ecogis, search + filter + panel", "folium"):
        reqs = res[kind][0]["requests"]
        note = "none" if not reqs else f"{len(reqs)} CDN assets served locally"
        print(
            f"| {kind} | {size[kind] / 1e6:.2f} MB | {med(kind, 'load'):.0f} ms "
            f"| {med(kind, 'render'):.0f} ms | {note} |"
        )
    print(
        f"| folium, network blocked | {size['folium'] / 1e6:.2f} MB | {blocked['load']:.0f} ms "
        f"| never ({blocked['drawn']}) | {len(blocked['requests'])} blocked |"
    )
    for kind in ("ecogis", "ecogis, search + filter + panel"):
        budget = "under" if size[kind] < 5_000_000 else "OVER"
        print(
            f"\n{kind} map {size[kind] / 1e6:.2f} MB: {budget} the 5 MB budget for 20 000 polygons"
        )
    print(f"size ratio folium / ecogis:         {size['folium'] / size['ecogis']:.1f}x")
    print(
        f"first-render ratio folium / ecogis: {med('folium', 'render') / med('ecogis', 'render'):.1f}x"
    )
    print(
        f"load-event ratio folium / ecogis:   {med('folium', 'load') / med('ecogis', 'load'):.1f}x"
    )


if __name__ == "__main__":
    main()

"""Headless-Chromium helpers for map tests (a plain module; import it from a test file).

Every request that is not ``file:`` or ``data:`` is aborted and recorded, so a test sees at once
whether a map would need the internet. Console errors, uncaught page errors and dialogs
(``alert``) are collected too.

Chromium comes from Debian (``/usr/bin/chromium``). Without it the browser tests are skipped
with a message, except when ``CI`` is set: CI must run them, so they fail there instead.
Tests get one browser for the whole session from the ``chromium`` fixture (tests/conftest.py):
Playwright's sync API allows one instance per thread, so modules must not start their own.

:func:`layer_payloads` reads the compact layer data out of a map's HTML and decodes it the
way the page does, so tests can check coordinates and popup values without a browser.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("ECOGIS_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: a planner's desk and a forestry clerk's phone (the sizes the map tests use)
DESK = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
VIEWPORT = DESK


def require_chromium() -> None:
    """Skip the calling test when Chromium/playwright are missing; fail instead under CI."""
    problem = None
    if not Path(CHROMIUM).exists():
        problem = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "playwright is not installed (pip install playwright)"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run in CI: {problem}")
        pytest.skip(problem)


def launch_chromium(playwright):
    """A headless Chromium from ``/usr/bin/chromium`` (or ``$ECOGIS_CHROMIUM``) for ``playwright``."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)


@dataclass
class PageLog:
    """What happened while a page was open."""

    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@contextlib.contextmanager
def open_page(
    browser,
    html_path: str | os.PathLike,
    *,
    timeout_ms: int = 20_000,
    viewport: dict | None = None,
    media: str | None = None,
) -> Iterator[tuple[Any, PageLog]]:
    """Open ``html_path`` offline; yield ``(page, log)`` once Leaflet (and an ecogis map) is
    ready. ``viewport``: :data:`DESK` (default) or :data:`PHONE`; ``media="print"`` emulates
    printing."""
    log = PageLog()
    context = browser.new_context(viewport=viewport or VIEWPORT)

    def route(r):
        url = r.request.url
        if url.startswith(("file:", "data:")):
            r.continue_()
        else:
            log.blocked.append(url)
            r.abort()

    def dialog(d):
        log.dialogs.append(f"{d.type}: {d.message}")
        d.dismiss()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda msg: msg.type == "error" and log.console_errors.append(msg.text))
    page.on("pageerror", lambda exc: log.page_errors.append(str(exc)))
    page.on("dialog", dialog)
    if media:
        page.emulate_media(media=media)
    try:
        page.goto(Path(html_path).resolve().as_uri(), wait_until="load", timeout=timeout_ms)
        # an ecogis map sets window.ecogisReady as the last statement of its script; a page
        # error before that leaves it unset, which render() reports as ready=False
        with contextlib.suppress(Exception):
            page.wait_for_function(
                "() => window.ecogisReady === true || (window.L && !document.querySelector('.ecogis-title'))",
                timeout=timeout_ms,
            )
        with contextlib.suppress(Exception):  # let a zoom animation finish before measuring
            page.wait_for_function(
                "() => !document.querySelector('.leaflet-zoom-anim')", timeout=2000
            )
        yield page, log
    finally:
        context.close()


_STATE_JS = """
() => ({
    leaflet: typeof window.L !== 'undefined' ? L.version : null,
    ready: window.ecogisReady === true,
    layers: window.ecogisLayers || {},
    paths: document.querySelectorAll('path.leaflet-interactive').length,
    canvases: document.querySelectorAll('.leaflet-pane canvas').length,
    layer_control: !!document.querySelector('.leaflet-control-layers'),
    layer_names: Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label span span'))
        .map(e => e.textContent.trim()),
    scale: !!document.querySelector('.leaflet-control-scale'),
    scale_text: Array.from(document.querySelectorAll('.leaflet-control-scale-line')).map(e => e.textContent),
    legend: !!document.querySelector('.ecogis-legend'),
    legend_text: (document.querySelector('.ecogis-legend') || {}).innerText || '',
    panel: !!document.querySelector('.ecogis-panel'),
    panel_text: (document.querySelector('.ecogis-panel') || {}).innerText || '',
    chart: !!document.querySelector('.ecogis-chart'),
    title: (document.querySelector('.ecogis-title') || {}).innerText || '',
    tiles: document.querySelectorAll('img.leaflet-tile').length,
    scripts_in_controls: document.querySelectorAll('.leaflet-control script, .leaflet-popup script').length,
})
"""


def page_state(page) -> dict:
    """Counts and flags describing a rendered map (see ``_STATE_JS``)."""
    return page.evaluate(_STATE_JS)


def render(
    html_path: str | os.PathLike, *, screenshot: str | os.PathLike | None = None, browser=None
) -> dict:
    """Render a map offline and return what it drew and what went wrong.

    Keys: ``leaflet`` (version or None), ``ready``, ``layers`` (``window.ecogisLayers``: name ->
    Leaflet layers created), ``paths`` (SVG ``.leaflet-interactive`` paths), ``canvases``,
    ``layer_control``, ``layer_names``, ``scale``, ``legend``, ``panel``, ``chart``, ``title``,
    ``blocked`` (URLs aborted), ``console_errors``, ``page_errors``, ``dialogs``.
    """
    if browser is None:
        require_chromium()
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            b = launch_chromium(p)
            try:
                return render(html_path, screenshot=screenshot, browser=b)
            finally:
                b.close()
    with open_page(browser, html_path) as (page, log):
        state = page_state(page)
        if screenshot is not None:
            page.screenshot(path=str(screenshot))
        state.update(
            blocked=list(log.blocked),
            console_errors=list(log.console_errors),
            page_errors=list(log.page_errors),
            dialogs=list(log.dialogs),
        )
    return state


def container_point(page, lat: float, lon: float) -> tuple[float, float]:
    """Page pixel coordinates of a lat/lon on the ecogis map (for clicks and hovers)."""
    x, y = page.evaluate(
        """([lat, lon]) => {
            const p = window.ecogisMap.latLngToContainerPoint([lat, lon]);
            const r = window.ecogisMap.getContainer().getBoundingClientRect();
            return [r.left + p.x, r.top + p.y];
        }""",
        [lat, lon],
    )
    return x, y


_PAYLOAD_RE = re.compile(r"var d = (\{.*?\});\n")


def layer_payloads(text: str) -> dict[str, dict]:
    """Decode every layer's data in a map's HTML, as the page's script does.

    Returns layer name -> dict with ``name``, ``title``, ``pl`` (popup labels), ``st`` (style
    table), ``s`` (style index per feature or None), ``t`` (one type code per feature), ``c``
    (GeoJSON coordinates per feature, floats), ``rows`` (the row of each feature), ``p``
    (popup values: one list of strings per feature, or None), ``h`` (hover text per feature,
    or None), ``a`` (data columns per row), ``lb`` (label per feature, or None) and ``raw``
    (the JSON as shipped). A layer made with ``ref`` reads its popups and data from the
    layer it refers to.
    """
    raws = [json.loads(t) for t in _PAYLOAD_RE.findall(text)]
    by_name = {r["name"]: r for r in raws}
    out = {}
    for raw in raws:
        src = by_name[raw["ref"]] if raw.get("ref") else raw
        d = {k: raw.get(k) for k in ("name", "st")}
        d["title"], d["pl"] = src["title"], src.get("pl")
        n = len(raw["c"])
        rows = _column(raw["r"]) if raw.get("r") is not None else list(range(n))
        d["rows"] = rows
        s = _column(raw["s"]) if raw.get("s") is not None else None
        d["s"] = [s[r] for r in rows] if s is not None else None
        d["t"] = raw["t"] * n if len(raw["t"]) == 1 else raw["t"]
        d["c"] = _decode_coords(d["t"], raw["c"], raw["q"])
        cols = [_column(c) for c in src["p"]] if src.get("p") is not None else None
        d["p"] = [[c[r] for c in cols] for r in rows] if cols is not None else None
        h = src.get("h")
        hv = cols[h] if isinstance(h, int) and cols is not None else _column(h)
        d["h"] = [hv[r] for r in rows] if hv is not None else None
        lb = raw.get("lb")
        lv = cols[lb] if isinstance(lb, int) and cols is not None else _column(lb)
        d["lb"] = [lv[r] for r in rows] if lv is not None else None
        d["a"] = {k: _column(v) for k, v in (src.get("a") or {}).items()}
        d["raw"] = raw
        out[d["name"]] = d
    return out


def _column(c):
    if c is None:
        return None
    return [c["v"][k] for k in c["i"]] if isinstance(c, dict) else c


_PAGE_RE = re.compile(r"var cfg = (\{.*?\});\n")


def page_config(text: str) -> dict:
    """The page config of a map (search, filters, panels, lists, time line ...)."""
    found = _PAGE_RE.findall(text)
    assert len(found) == 1, f"{len(found)} page configs"
    return json.loads(found[0])


def _decode_coords(types: str, coords: list, q: int) -> list:
    x = y = 0

    def pos(a, k=0):
        nonlocal x, y
        x += a[k]
        y += a[k + 1]
        return [x / q, y / q]

    def line(a, close):
        out = [pos(a, k) for k in range(0, len(a), 2)]
        return out + [list(out[0])] if close and out else out

    def ring(a):
        return line(a, True)

    decoders = {
        "0": pos,
        "1": lambda c: line(c, False),
        "2": lambda c: line(c, False),
        "3": lambda c: [ring(r) for r in c],
        "4": lambda c: [pos(a) for a in c],
        "5": lambda c: [line(a, False) for a in c],
        "6": lambda c: [[ring(r) for r in p] for p in c],
    }
    return [decoders[t](c) for t, c in zip(types, coords, strict=True)]


# ------------------------------------------------------------------------------------------
# looking at a page as a person would: what covers what
# ------------------------------------------------------------------------------------------

_COVER_JS = """
() => {
    const pe = document.querySelector('.leaflet-popup');
    if (!pe) { return null; }
    const r = pe.getBoundingClientRect();
    const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
    const hit = document.elementFromPoint(cx, cy);
    const head = document.querySelector('.leaflet-popup .ecogis-popup-title');
    const hr = head ? head.getBoundingClientRect() : null;
    const hhit = hr ? document.elementFromPoint(hr.left + Math.min(hr.width / 2, 40), hr.top + hr.height / 2) : null;
    const panels = Array.from(document.querySelectorAll('.ecogis-title, .leaflet-control-container .leaflet-control'))
        .map(e => e.getBoundingClientRect())
        .filter(b => b.width > 0 && b.height > 0)
        .filter(b => b.left < r.right && b.right > r.left && b.top < r.bottom && b.bottom > r.top)
        .length;
    return {
        centre_in_popup: !!(hit && pe.contains(hit)),
        title_in_popup: !!(hhit && pe.contains(hhit)),
        rect: [r.left, r.top, r.right, r.bottom],
        inside_window: r.left >= 0 && r.top >= 0 && r.right <= window.innerWidth && r.bottom <= window.innerHeight,
        overlapping_controls: panels,
    };
}
"""


def popup_cover(page) -> dict | None:
    """Whether the open popup is clear: ``centre_in_popup`` (``document.elementFromPoint`` at
    its centre lands inside it), ``title_in_popup`` (the same for its header),
    ``inside_window``, ``overlapping_controls`` (title bar or controls whose box overlaps it)."""
    return page.evaluate(_COVER_JS)


# ------------------------------------------------------------------------------------------
# basemaps made in a test: solid-colour PNG tiles in an MBTiles file, and reading pixels back
# ------------------------------------------------------------------------------------------


def solid_png(rgb: tuple[int, int, int], size: int = 256) -> bytes:
    """A ``size`` x ``size`` PNG of one colour (standard library only)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * size  # filter type 0, then RGB triples
    raw = zlib.compress(row * size, 9)
    ihdr = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def write_mbtiles(
    path: str | os.PathLike,
    bounds: tuple[float, float, float, float],
    zooms: range | list[int],
    rgb: tuple[int, int, int],
    *,
    fmt: str = "png",
    attribution: str = "",
    tile: bytes | None = None,
) -> int:
    """An MBTiles file with one solid tile per XYZ tile over ``bounds`` (lon/lat) at each zoom,
    stored with TMS rows as the spec says. Returns the number of tiles."""
    import sqlite3

    from ecogis.io.mbtiles import tile_range

    data = tile if tile is not None else solid_png(rgb)
    con = sqlite3.connect(str(path))
    try:
        con.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        con.execute(
            "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, "
            "tile_data BLOB)"
        )
        meta = {"name": "test tiles", "format": fmt, "minzoom": min(zooms), "maxzoom": max(zooms)}
        if attribution:
            meta["attribution"] = attribution
        con.executemany(
            "INSERT INTO metadata VALUES (?, ?)", [(k, str(v)) for k, v in meta.items()]
        )
        n = 0
        for z in zooms:
            x0, x1, y0, y1 = tile_range(bounds, z)
            for x in range(x0, x1 + 1):
                for y in range(y0, y1 + 1):
                    con.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, 2**z - 1 - y, data))
                    n += 1
        con.commit()
    finally:
        con.close()
    return n


def png_pixel(png: bytes, x: int, y: int) -> tuple[int, ...]:
    """The colour at ``(x, y)`` of an 8-bit RGB or RGBA PNG (a Playwright screenshot)."""
    import struct
    import zlib

    pos, idat, width = 8, b"", 0
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        data = png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, _height, depth, ctype = struct.unpack(">IIBB", data[:10])
            assert depth == 8 and ctype in (2, 6), (depth, ctype)
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += data
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    for row in range(y + 1):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        prev = line
    return tuple(prev[x * bpp : x * bpp + 3])

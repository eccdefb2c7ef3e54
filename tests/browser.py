"""Headless-Chromium helpers for map tests (a plain module; import it from a test file).

Every request that is not ``file:`` or ``data:`` is aborted and recorded, so a test sees at once
whether a map would need the internet. Console errors, uncaught page errors and dialogs
(``alert``) are collected too.

Chromium comes from Debian (``/usr/bin/chromium``). Without it the browser tests are skipped
with a message, except when ``CI`` is set: CI must run them, so they fail there instead.
"""

from __future__ import annotations

import contextlib
import os
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
VIEWPORT = {"width": 1280, "height": 800}


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


@pytest.fixture(scope="session", name="chromium")
def chromium_session():
    """Fixture ``chromium``: one headless Chromium for the session.

    Import ``chromium_session`` into a test module to make the ``chromium`` fixture available.
    """
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class PageLog:
    """What happened while a page was open."""

    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@contextlib.contextmanager
def open_page(
    browser, html_path: str | os.PathLike, *, timeout_ms: int = 20_000
) -> Iterator[tuple[Any, PageLog]]:
    """Open ``html_path`` offline; yield ``(page, log)`` once Leaflet (and an ecogis map) is ready."""
    log = PageLog()
    context = browser.new_context(viewport=VIEWPORT)

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
            b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
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

"""The three maps as staff use them, in headless Chromium with the network blocked, at a
desk (1280×900) and on a phone (390×844): search, filters, the time slider, labels, layout.

A copy of the demo gets a registry and a few dated changes through the CLI (as a clerk
records them), so the time slider has something to replay; the numbers the page shows are
compared with what ``ecogis progress --as-of`` prints for the same date. Set
``ECOGIS_SCREENSHOTS=DIR`` to keep the screenshots (each map with a popup open, desk and
phone) for a look.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from ecogis.cli import cli
from ecogis.demo import PLANTED

from browser import DESK, PHONE, open_page, page_config, page_state, popup_cover

pytestmark = pytest.mark.browser

SIZES = {"desk": DESK, "phone": PHONE}
# dated changes a clerk records (pit, status, date): two pits treated either side of mid-2022
CHANGES = [
    ("ZXB-KK-020", "treated", "2022-05-20"),
    ("ZXB-KK-026", "treated", "2022-08-10"),
    ("ZXB-KK-034", "in_progress", "2023-03-05"),
]
MID_2022 = "2022-06-30"


@pytest.fixture(autouse=True)
def chinese(english, monkeypatch):
    """The maps are read in Chinese here (what county staff see)."""
    monkeypatch.setenv("ECOGIS_LANG", "zh")


def _run(*args, ok: bool = True):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ECOGIS_LANG", "zh")
        res = CliRunner().invoke(cli, [str(a) for a in args])
    if ok:
        assert res.exit_code == 0, res.output
    return res


@pytest.fixture(scope="module")
def project(demo, tmp_path_factory) -> Path:
    """A demo copy with a registry, the CHANGES recorded and one plot completed in May 2022."""
    root = tmp_path_factory.mktemp("mapwork")
    src = Path(demo.config_path).resolve().parents[1]
    shutil.copytree(src / "layers", root / "layers")
    shutil.copytree(src / "configs", root / "configs")
    for reg in (root / "layers" / "demo").glob("restoration.gpkg*"):
        reg.unlink()
    cfg = root / "configs" / "demo.yaml"
    _run("-q", "pits", "init", "-c", cfg)
    pits = gpd.read_file(root / "layers" / "demo" / "pits.gpkg").set_index("pit_id")
    for pid, status, day in CHANGES:
        extra = ["--treated-m2", pits.at[pid, "verified_m2"]] if status == "treated" else []
        _run("-q", "pits", "update", pid, "--status", status, *extra, "--date", day, "-c", cfg)
    plots = gpd.read_file(root / "layers" / "demo" / "plots.gpkg")
    open_2022 = plots[(plots["year"] == 2022) & (plots["status"] == "in_progress")].iloc[0]
    _run("-q", "plots", "update", open_2022["plot_id"], "--status", "completed", "--completed-mu",
         open_2022["planned_mu"], "--date", "2022-05-31", "-c", cfg)  # fmt: skip
    return cfg


@pytest.fixture(scope="module")
def maps(project, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("maps")
    paths = {k: out / f"{k}.html" for k in ("controls", "progress", "screening")}
    _run("-q", "map", "controls", "-c", project, "-o", paths["controls"])
    _run("-q", "map", "progress", "-c", project, "--from", "2021-01-01", "--to", "2023-12-31",
         "-o", paths["progress"])  # fmt: skip
    _run("-q", "map", "screening", "-c", project, "-o", paths["screening"])
    return paths


def _progress_csv(project: Path, tmp: Path, *extra) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``ecogis progress ... --csv``: the pit and plot tables as the command writes them."""
    base = tmp / "p.csv"
    _run("-q", "progress", "-c", project, *extra, "--csv", base, "--overwrite")
    return pd.read_csv(tmp / "p_pits.csv"), pd.read_csv(tmp / "p_plots.csv")


def _numbers(page) -> dict[str, float]:
    """The panel's numbers by key (``data-value``: the number before formatting)."""
    return page.evaluate(
        """() => Object.fromEntries(Array.from(document.querySelectorAll('.ecogis-panel .ecogis-num'))
            .filter(e => e.dataset.key).map(e => [e.dataset.key, Number(e.dataset.value)]))"""
    )


def _keep(page, name: str) -> None:
    keep = os.environ.get("ECOGIS_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        page.wait_for_timeout(350)  # the popup fades in
        page.screenshot(path=str(Path(keep) / f"{name}.png"))


def _open(page, selector: str) -> None:
    """Unfold a folded panel (a phone starts with them folded), as a user taps its header."""
    box = page.locator(selector)
    if "ecogis-collapsed" in (box.get_attribute("class") or ""):
        box.locator(".ecogis-head").click()


def _search(page, text: str) -> None:
    page.fill(".ecogis-search input", text)
    page.press(".ecogis-search input", "Enter")
    page.wait_for_selector(".leaflet-popup-content", timeout=5000)


def _assert_clean(log) -> None:
    assert log.blocked == [] and log.page_errors == [] and log.console_errors == []


# ------------------------------------------------------------------------ search and popups


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    "kind, query, title",
    [
        ("progress", "ZXB-KK-034", "历史遗留矿坑 ZXB-KK-034"),
        ("screening", "PV-06", "候选场址 PV-06"),
        ("controls", "15252920100002", "冲突区域"),
    ],
)
def test_search_opens_the_popup_clear_of_every_panel(chromium, maps, kind, query, title, size):
    with open_page(chromium, maps[kind], viewport=SIZES[size]) as (page, log):
        _search(page, query)
        head = page.inner_text(".ecogis-popup-title")
        cover = popup_cover(page)
        _keep(page, f"{kind}_{size}_popup")
        _assert_clean(log)
    assert head.startswith(title), head
    assert cover["centre_in_popup"] and cover["title_in_popup"], cover
    assert cover["inside_window"] and cover["overlapping_controls"] == 0, cover


def test_search_is_partial_any_case_chinese_or_ascii(chromium, maps):
    with open_page(chromium, maps["progress"]) as (page, log):
        page.fill(".ecogis-search input", "kk-03")
        ascii_hits = page.eval_on_selector_all(
            ".ecogis-results a", "els => els.map(e => e.textContent)"
        )
        page.fill(".ecogis-search input", "石料场")
        chinese_hits = page.eval_on_selector_all(
            ".ecogis-results a", "els => els.map(e => e.textContent)"
        )
        page.fill(".ecogis-search input", "ＺＸＢ－ＫＫ－０３４")  # full-width, as some IMEs type
        wide_hits = page.eval_on_selector_all(
            ".ecogis-results a", "els => els.map(e => e.textContent)"
        )
        page.fill(".ecogis-search input", "no such pit")
        none = page.inner_text(".ecogis-results")
        _assert_clean(log)
    assert len(ascii_hits) == 10 and all("ZXB-KK-03" in h for h in ascii_hits)  # 030-039
    assert chinese_hits and all("石料场" in h for h in chinese_hits)
    assert len(wide_hits) == 1 and wide_hits[0].startswith("ZXB-KK-034")
    assert none == "没有匹配"


@pytest.mark.parametrize("size", SIZES)
def test_every_pit_popup_is_clear_of_the_panels(chromium, maps, size):
    """Clicking pit markers where they are on the first view: each popup is in the clear."""
    with open_page(chromium, maps["progress"], viewport=SIZES[size]) as (page, log):
        points = page.evaluate(
            """() => ecogis.layers['矿坑位置'].items.filter(l => ecogis.map.hasLayer(l))
                .map(l => [l.getLatLng().lat, l.getLatLng().lng])"""
        )
        checked = 0
        for lat, lon in points[::4]:
            page.evaluate("() => { ecogis.map.closePopup(); }")
            page.evaluate(f"() => ecogis.map.setView([{lat}, {lon}], 12, {{animate: false}})")
            cx, cy = page.evaluate(
                f"""() => {{ const p = ecogis.map.latLngToContainerPoint([{lat}, {lon}]);
                    return [p.x, p.y]; }}"""
            )
            if page.evaluate(
                f"() => !!document.elementFromPoint({cx}, {cy}).closest('.leaflet-control')"
            ):
                continue  # under a panel at this view: a user would pan first
            page.mouse.click(cx, cy)
            page.wait_for_selector(".leaflet-popup-content", timeout=5000)
            cover = popup_cover(page)
            assert cover["centre_in_popup"] and cover["overlapping_controls"] == 0, cover
            checked += 1
        _assert_clean(log)
    assert checked >= 5


# ------------------------------------------------------------------------ filters


@pytest.mark.parametrize("size", SIZES)
def test_township_filter_changes_drawn_pits_and_the_totals(chromium, maps, project, tmp_path, size):
    town = "明安图镇"
    pits, plots = _progress_csv(project, tmp_path, "--as-of", "2023-12-31")
    row = pits[pits["township"] == town].iloc[0]
    total = pits[pits["township"] == "total"].iloc[0]
    with open_page(chromium, maps["progress"], viewport=SIZES[size]) as (page, log):
        before = page_state(page)["layers"]
        all_numbers = _numbers(page)
        _open(page, ".ecogis-filters")  # on a phone: tap "筛选", choose, then tap the panel
        page.select_option('.ecogis-filters select[data-key="township"]', town)
        after = page_state(page)["layers"]
        _open(page, ".ecogis-panel")
        numbers = _numbers(page)
        listed = int(page.get_attribute(".ecogis-listbox", "data-count"))
        _keep(page, f"progress_{size}_filtered")
        _assert_clean(log)
    assert before["矿坑位置"] == before["历史遗留矿坑"] == int(total["pits"])
    assert after["矿坑位置"] == after["历史遗留矿坑"] == int(row["pits"]) < before["矿坑位置"]
    assert all_numbers["pits.count"] == total["pits"]
    assert numbers["pits.count"] == row["pits"]
    assert numbers["pits.remaining"] == row["remaining_count"] == listed
    assert numbers["pits.treated"] == row["treated_count"]
    assert numbers["pits.remaining_km2"] == pytest.approx(row["remaining_km2"], abs=1e-9)
    town_plots = plots[(plots["township"] == town) & (plots["kind"] == "afforestation")].iloc[0]
    assert numbers["plots.afforestation.completed_mu"] == pytest.approx(town_plots["completed_mu"])
    assert after["造林种草地块"] == int(plots[plots["township"] == town]["plots"].sum())


def test_screening_filters_change_sites_and_counts(chromium, maps, project):
    sites = gpd.read_file(project.parent.parent / "layers" / "demo" / "sites.gpkg")
    town = sites["township"].value_counts().index[0]
    with open_page(chromium, maps["screening"]) as (page, log):
        page.select_option('.ecogis-filters select[data-key="township"]', town)
        after = page_state(page)["layers"]
        numbers = _numbers(page)
        page.select_option('.ecogis-filters select[data-key="township"]', "")
        not_passed = int(page.get_attribute(".ecogis-listbox", "data-count"))
        page.select_option('.ecogis-filters select[data-key="verdict"]', "fail")
        failed = page_state(page)["layers"]
        listed = int(page.get_attribute(".ecogis-listbox", "data-count"))
        _assert_clean(log)
    n = int((sites["township"] == town).sum())
    assert after["候选场址"] == after["场址位置"] == n == numbers["sites"]
    assert sum(numbers[v] for v in ("pass", "conditional", "fail", "unknown")) == n
    verdicts = list(PLANTED["sites"].values())
    # the list names the sites that failed or could not be judged, and follows the filter
    assert not_passed == verdicts.count("fail") + verdicts.count("unknown")
    assert failed["场址位置"] == listed == verdicts.count("fail")


# ------------------------------------------------------------------------ time


def _set_date(page, iso: str) -> None:
    """Move the slider to ``iso`` as a user drags it (the input's value, then its event)."""
    steps = [s["d"] for s in page.evaluate("() => ecogis.cfg.time.steps")]
    page.locator(".ecogis-time input[type=range]").fill(str(steps.index(iso)))
    assert page.get_attribute(".ecogis-date", "data-date") == iso


@pytest.mark.parametrize("size", SIZES)
def test_time_slider_shows_what_progress_as_of_shows(chromium, maps, project, tmp_path, size):
    pits, plots = _progress_csv(project, tmp_path, "--as-of", MID_2022)
    total = pits[pits["township"] == "total"].iloc[0]
    kinds = plots[plots["township"] == "total"].set_index("kind")
    with open_page(chromium, maps["progress"], viewport=SIZES[size]) as (page, log):
        _open(page, ".ecogis-panel")
        end = _numbers(page)
        _set_date(page, MID_2022)
        mid = _numbers(page)
        colour = page.evaluate(
            """() => { const r = ecogis.layers['历史遗留矿坑'];
                const row = r.src.a.pit_id.indexOf('ZXB-KK-026');
                return [r.st[r.s[row]].fillColor, r.src.a.status[row]]; }"""
        )
        listed = int(page.get_attribute(".ecogis-listbox", "data-count"))
        title = page.inner_text(".ecogis-panel .ecogis-box-title")
        _keep(page, f"progress_{size}_{MID_2022}")
        _assert_clean(log)
    # the treated count and every other number equal the command's for that day
    assert mid["pits.treated"] == total["treated_count"]
    assert mid["pits.accepted"] == total["accepted_count"]
    assert mid["pits.remaining"] == total["remaining_count"] == listed
    assert mid["pits.remaining_km2"] == pytest.approx(total["remaining_km2"], abs=1e-9)
    assert mid["pits.treated_in_year_km2"] == pytest.approx(total["treated_in_year_km2"])
    assert mid["pits.count"] == total["pits"]
    for kind in ("afforestation", "enclosure", "grass_planting"):
        assert mid[f"plots.{kind}.completed_mu"] == pytest.approx(kinds.at[kind, "completed_mu"])
    assert title == "2022 年进度"  # the year follows the date, as --as-of chooses it
    # ZXB-KK-026 is treated on 2022-08-10: still in progress (yellow) on the 30th of June
    assert colour == ["#F0E442", "in_progress"]
    # and the end of the line is the state recorded now, one pit more treated in 2022 ...
    assert (
        end["pits.treated"] != mid["pits.treated"] or end["pits.accepted"] != mid["pits.accepted"]
    )


def test_time_line_is_the_replay_at_every_quarter(maps, project, tmp_path):
    """Every step of the time line: the pits' statuses equal ``ecogis progress --as-of``."""
    from browser import layer_payloads

    text = maps["progress"].read_text(encoding="utf-8")
    steps = page_config(text)["time"]["steps"]
    assert [s["d"] for s in steps][:4] == ["2021-03-31", "2021-06-30", "2021-09-30", "2021-12-31"]
    assert steps[-1]["d"] == "2023-12-31" and len(steps) == 12
    base = layer_payloads(text)["历史遗留矿坑"]["a"]
    for step in steps[3::4]:
        pits, _ = _progress_csv(project, tmp_path, "--as-of", step["d"])
        total = pits[pits["township"] == "total"].iloc[0]
        patch = step["p"].get("历史遗留矿坑", {}).get("a", {}).get("status")
        status = _decoded(patch) if patch is not None else base["status"]
        assert status.count("treated") == total["treated_count"], step["d"]
        assert status.count("in_progress") == total["in_progress_count"], step["d"]
        assert step["y"] == int(step["d"][:4])


def _decoded(c):
    return [c["v"][k] for k in c["i"]] if isinstance(c, dict) else c


# ------------------------------------------------------------------------ labels, layout, print


@pytest.mark.parametrize("size", SIZES)
def test_sites_show_their_labels(chromium, maps, project, size):
    sites = gpd.read_file(project.parent.parent / "layers" / "demo" / "sites.gpkg")
    with open_page(chromium, maps["screening"], viewport=SIZES[size]) as (page, log):
        labels = page.evaluate(
            """() => Array.from(document.querySelectorAll('.ecogis-label.ecogis-lp-1')).map(e => {
                const r = e.getBoundingClientRect();
                return [e.textContent, e.style.visibility !== 'hidden', r.left, r.top, r.right, r.bottom]; })"""
        )
        # closer in, every site well inside the view has its label
        page.evaluate("() => { ecogis.map.setZoom(ecogis.map.getZoom() + 2, {animate: false}); }")
        closer = page.evaluate(
            """() => { const r = ecogis.layers['场址位置'], size = ecogis.map.getSize();
                const ids = r.src.a.site_id, out = [];
                r.items.forEach((l, k) => {
                    const p = ecogis.map.latLngToContainerPoint(l.getLatLng());
                    if (p.x < 80 || p.y < 80 || p.x > size.x - 120 || p.y > size.y - 80) { return; }
                    const tip = r.labels[k].getElement();
                    out.push([ids[r.rowOf[k]], !!tip && tip.style.visibility !== 'hidden']);
                });
                return out; }"""
        )
        _assert_clean(log)
    assert sorted(t for t, *_ in labels) == sorted(sites["site_id"])
    shown = [b for _, vis, *b in labels if vis]
    # every label shown fits: none overlaps another
    for i, a in enumerate(shown):
        for b in shown[i + 1 :]:
            assert not (a[0] < b[2] and a[2] > b[0] and a[1] < b[3] and a[3] > b[1]), (a, b)
    assert len(shown) >= (12 if size == "desk" else 6)
    assert closer and all(vis for _id, vis in closer), closer


_LAYOUT_JS = """() => {
    const title = document.querySelector('.ecogis-title').getBoundingClientRect();
    const boxes = Array.from(document.querySelectorAll('.leaflet-control-container .leaflet-control'))
        .map(e => [e.className, e.getBoundingClientRect()]).filter(([c, r]) => r.width > 0);
    return {
        collapsed: Array.from(document.querySelectorAll('.ecogis-box.ecogis-collapsed')).map(e => e.className),
        layers_open: !!document.querySelector('.leaflet-control-layers-expanded'),
        below_title: boxes.every(([c, r]) => r.top >= title.bottom - 0.5),
        inside: boxes.every(([c, r]) => r.left >= 0 && r.right <= window.innerWidth + 0.5),
        overlaps: boxes.filter(([a, r], i) => boxes.some(([b, q], j) => j > i &&
            r.left < q.right && r.right > q.left && r.top < q.bottom && r.bottom > q.top)).length,
    };
}"""

# where the data are on the first view, as shares of the window
_FIT_JS = """() => {
    const b = L.latLngBounds(ecogis.cfg.fit);
    const nw = ecogis.map.latLngToContainerPoint(b.getNorthWest());
    const se = ecogis.map.latLngToContainerPoint(b.getSouthEast());
    const W = window.innerWidth, H = window.innerHeight;
    return {w: (se.x - nw.x) / W, h: (se.y - nw.y) / H,
            inside: nw.x >= 0 && nw.y >= 0 && se.x <= W && se.y <= H};
}"""


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("kind", ["controls", "progress", "screening"])
def test_layout_phone_and_desk(chromium, maps, kind, size):
    with open_page(chromium, maps[kind], viewport=SIZES[size]) as (page, log):
        layout = page.evaluate(_LAYOUT_JS)
        data = page.evaluate(_FIT_JS)
        opened = []
        if size == "phone":  # unfold each panel as a user taps it: it never runs into another
            for head in page.query_selector_all(".ecogis-box.ecogis-collapsed .ecogis-head"):
                head.click()
                opened.append(page.evaluate(_LAYOUT_JS)["overlaps"])
        _assert_clean(log)
    assert layout["below_title"] and layout["inside"], layout
    assert layout["overlaps"] == 0, layout
    assert opened == [0] * len(opened), opened
    if size == "phone":
        assert len(opened) >= 4
        # folded: legend, panel, filters, list, chart; the layer list is a button
        assert not layout["layers_open"]
        for cls in ("ecogis-legend", "ecogis-panel", "ecogis-filters", "ecogis-listbox"):
            assert any(cls in c for c in layout["collapsed"]), (cls, layout["collapsed"])
    else:
        assert layout["layers_open"]
        assert not any("ecogis-panel" in c or "ecogis-legend" in c for c in layout["collapsed"])
    # the data fill the screen: at least 45 % of its width or height, and all of it is seen
    assert data["inside"] and max(data["w"], data["h"]) >= 0.45, data


def test_print_keeps_legend_and_title_only(chromium, maps):
    with open_page(chromium, maps["progress"], media="print") as (page, log):
        shown = page.evaluate(
            """() => Object.fromEntries(['.ecogis-title', '.ecogis-legend', '.ecogis-legend .ecogis-body',
                '.ecogis-panel', '.ecogis-filters', '.ecogis-search', '.leaflet-control-layers',
                '.leaflet-control-zoom', '.ecogis-time', '.ecogis-listbox']
                .map(s => [s, getComputedStyle(document.querySelector(s)).display !== 'none']))"""
        )
        _assert_clean(log)
    assert shown.pop(".ecogis-title") and shown.pop(".ecogis-legend")
    assert shown.pop(".ecogis-legend .ecogis-body")
    assert not any(shown.values()), shown


def test_remaining_pits_list_zooms_to_the_pit(chromium, maps):
    with open_page(chromium, maps["progress"], viewport=PHONE) as (page, log):
        _open(page, ".ecogis-listbox")
        first = page.locator(".ecogis-listbox li a").first
        text = first.inner_text()
        first.click()
        page.wait_for_selector(".leaflet-popup-content", timeout=5000)
        head = page.inner_text(".ecogis-popup-title")
        cover = popup_cover(page)
        _assert_clean(log)
    assert head.endswith(text.split()[0])
    assert cover["centre_in_popup"] and cover["overlapping_controls"] == 0, cover

"""Bad inputs of ``ecogis map``: basemaps (names, tile URLs, MBTiles files), projections and
the progress map's time line. Built from the blocks of ``cases.py``; rows in README.md."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from bad_inputs.cases import (
    Built,
    Case,
    Fixtures,
    _controls_project,
    _dirs,
    _red,
    _yaml,
)

from browser import solid_png, write_mbtiles

__all__ = ["CASES"]

R = "refused"
# the two-line test project (cases.py) lies near 114°E 42.4°N
EXTENT = (113.9, 42.3, 114.1, 42.5)


def _map_case(basemap_args, *, make_file=None, cfg_extra=None, kind: str = "controls"):
    """Case maker: ``ecogis map KIND -c project.yaml -o out/map.html ARGS``; ``make_file(inp)``
    writes what the arguments name (an MBTiles file)."""

    def make(root: Path, fx: Fixtures) -> Built:
        inp, out = _dirs(root)
        _red().to_file(inp / "red.gpkg")
        if make_file is not None:
            make_file(inp)
        cfg = _controls_project(inp, "red.gpkg", **(cfg_extra or {}))
        args = ["map", kind, "-c", cfg, "-o", out / "map.html", *basemap_args(inp)]
        return Built(args, root, outputs=("map.html",))

    return make


def _tiles(inp: Path) -> None:
    write_mbtiles(inp / "tiles.mbtiles", EXTENT, range(8, 11), (60, 180, 160))


def _far_tiles(inp: Path) -> None:
    # tiles of Hainan, nowhere near the project
    write_mbtiles(inp / "tiles.mbtiles", (109.5, 18.2, 110.0, 18.6), range(8, 10), (60, 180, 160))


def _vector_tiles(inp: Path) -> None:
    write_mbtiles(inp / "tiles.mbtiles", EXTENT, range(8, 9), (0, 0, 0), fmt="pbf")


def _not_sqlite(inp: Path) -> None:
    (inp / "tiles.mbtiles").write_bytes(b"PK\x03\x04 this is a zip file, not a database\n" * 20)


def _no_tiles_table(inp: Path) -> None:
    con = sqlite3.connect(str(inp / "tiles.mbtiles"))
    con.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    con.commit()
    con.close()


def _huge_lowest_zoom(inp: Path) -> None:
    # one zoom level whose tiles are far bigger than the cap given on the command line
    noisy = solid_png((200, 10, 10), size=512) + bytes(range(256)) * 2000
    write_mbtiles(inp / "tiles.mbtiles", EXTENT, range(10, 11), (0, 0, 0), tile=noisy)


def _mbtiles(inp: Path) -> list:
    return ["--basemap", f"mbtiles:{inp / 'tiles.mbtiles'}"]


def _check_no_basemap(b: Built, result) -> None:
    html = (b.out / "map.html").read_text(encoding="utf-8")
    assert "ecogis.embeddedTiles(" not in html  # no basemap rather than a wrong one
    assert "ecogis.finish(" in html


def _progress_without_registry(root: Path, fx: Fixtures) -> Built:
    inp, out = _dirs(root)
    for name in ("pits", "plots"):
        shutil.copy(fx.demo_layers / f"{name}.gpkg", inp / f"{name}.gpkg")
    cfg = _yaml(
        inp / "project.yaml",
        {
            "name": "测试旗",
            "registry": "reg.gpkg",  # named, never built
            "layers": {
                "pits": {"path": "pits.gpkg", "role": "pits", "id_field": "pit_id"},
                "plots": {"path": "plots.gpkg", "role": "plots", "id_field": "plot_id"},
            },
            "targets": {2022: {"afforestation_mu": 15000, "pits_km2": 1.5}},
        },
    )
    args = ["map", "progress", "-c", cfg, "--time", "quarter", "-o", out / "map.html"]
    return Built(args, root, outputs=("map.html",))


CASES = [
    Case("map-basemap-unknown", "map controls", "--basemap with a name ecogis does not know", R,
         "allowed: none, osm, tianditu", _map_case(lambda inp: ["--basemap", "google"])),
    Case("map-basemap-url-no-xyz", "map controls", "a tile URL without {x}/{y}", R,
         "needs {z}, {x} and {y}",
         _map_case(lambda inp: ["--basemap", "http://10.1.2.3/tiles/{z}.png"])),
    Case("map-basemap-url-quote", "map controls", "a tile URL with a quote (it goes into the page)",
         R, "not allowed in a tile URL",
         _map_case(lambda inp: ["--basemap", 'http://10.1.2.3/{z}/{x}/{y}.png"onload=alert(1)'])),
    Case("map-basemap-url-placeholder", "map controls", "a tile URL with an unknown placeholder",
         R, "unknown placeholder(s) {layer}",
         _map_case(lambda inp: ["--basemap", "http://10.1.2.3/{layer}/{z}/{x}/{y}.png"])),
    Case("map-basemap-config-bad", "map controls", "config basemap: that is no basemap", R,
         "basemap: basemap 'tiles.mbtiles' is not known",
         _map_case(lambda inp: [], cfg_extra={"basemap": "tiles.mbtiles"})),
    Case("map-mbtiles-missing", "map controls", "mbtiles:FILE naming a file that does not exist",
         R, "MBTiles file not found", _map_case(_mbtiles)),
    Case("map-mbtiles-not-sqlite", "map controls", "an .mbtiles file that is not a database", R,
         "not an MBTiles file", _map_case(_mbtiles, make_file=_not_sqlite)),
    Case("map-mbtiles-no-tiles-table", "map controls", "an SQLite file without the tiles table",
         R, "needs tables metadata and tiles", _map_case(_mbtiles, make_file=_no_tiles_table)),
    Case("map-mbtiles-vector", "map controls", "vector tiles (pbf) in the MBTiles file", R,
         "'pbf' cannot be drawn", _map_case(_mbtiles, make_file=_vector_tiles)),
    Case("map-mbtiles-over-cap", "map controls",
         "the lowest zoom of the MBTiles file alone is over --mbtiles-max-mb", R,
         "more than the cap of 0.1 MB",
         _map_case(lambda inp: [*_mbtiles(inp), "--mbtiles-max-mb", "0.1"],
                   make_file=_huge_lowest_zoom)),
    Case("map-mbtiles-elsewhere", "map controls",
         "MBTiles tiles that do not cover the map: warned, map without basemap", "warned",
         "no tile covers the map's extent", _map_case(_mbtiles, make_file=_far_tiles),
         _check_no_basemap),
    Case("map-osm-lonlat", "map controls", "OpenStreetMap tiles on a longitude/latitude map", R,
         "Web Mercator tiles only",
         _map_case(lambda inp: ["--basemap", "osm", "--projection", "lonlat"])),
    Case("map-mbtiles-lonlat", "map controls", "MBTiles (Web Mercator) on a lon/lat map", R,
         "Web Mercator tiles only",
         _map_case(lambda inp: [*_mbtiles(inp), "--projection", "lonlat"], make_file=_tiles)),
    Case("map-progress-time-no-registry", "map progress",
         "--time quarter when the registry is not built", R, "--time",
         _progress_without_registry),
]  # fmt: skip

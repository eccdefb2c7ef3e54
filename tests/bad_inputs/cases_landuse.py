"""Land classes (issue 15): bad class codes and filters in rule sets, land-use layers that lack
their class field or overlap, --by-class on the wrong layer.

The world: three 1000 m patches 0103 旱地 / 1205 沙地 / 0404 其他草地 side by side at (X0, Y0)
and one site over the east half of 旱地, all of 沙地 and the west quarter of 其他草地.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
from shapely.geometry import box

from .cases import MU, X0, Y0, Built, Case, Fixtures, _dirs, _yaml

SITE = box(X0 + 500, Y0, X0 + 2250, Y0 + 1000)  # 1 750 000 m²


def _squares(**columns) -> gpd.GeoDataFrame:
    data = {"DLBM": ["0103", "1205", "0404"], "DLMC": ["旱地", "沙地", "其他草地"]}
    data.update(columns)
    return gpd.GeoDataFrame(
        data,
        geometry=[box(X0 + 1000 * k, Y0, X0 + 1000 * (k + 1), Y0 + 1000) for k in range(3)],
        crs=4547,
    )


def _world(inp: Path, checks: list, *, dltb: gpd.GeoDataFrame | None = None, **layer) -> Path:
    (dltb if dltb is not None else _squares()).to_file(inp / "dltb.gpkg")
    gpd.GeoDataFrame({"site_id": ["S1"]}, geometry=[SITE], crs=4547).to_file(inp / "sites.gpkg")
    gpd.GeoDataFrame(
        {"name": ["旗界"]}, geometry=[box(X0 - 5000, Y0 - 5000, X0 + 8000, Y0 + 5000)], crs=4547
    ).to_file(inp / "boundary.gpkg")
    cfg = {
        "name": "地类测试",
        "crs": "EPSG:4547",
        "layers": {
            "boundary": {"path": "boundary.gpkg", "role": "boundary"},
            "dltb": {"path": "dltb.gpkg", "role": "landuse", "label": "三调地类图斑", **layer},
        },
        "rulesets": {"pv": {"checks": checks}},
    }
    return _yaml(inp / "project.yaml", cfg)


_EXCLUDE_01 = [{"layer": "dltb", "rule": "exclude", "classes": ["01*"], "label": "耕地"}]


def _config_check(checks: list, **layer):
    def make(root: Path, fx: Fixtures) -> Built:
        inp, _out = _dirs(root)
        return Built(["config", "check", "-c", _world(inp, checks, **layer)], root)

    return make


def _octal_code(root: Path, fx: Fixtures) -> Built:
    """``classes: [0103]`` unquoted: YAML 1.1 reads the number 67 (octal)."""
    inp, _out = _dirs(root)
    cfg = _world(inp, _EXCLUDE_01)
    text = cfg.read_text(encoding="utf-8").replace("- 01*", "- 0103")
    assert "- 0103" in text
    cfg.write_text(text, encoding="utf-8")
    return Built(["config", "check", "-c", cfg], root)


def _screen(checks: list, *, dltb=None, by_class: str | None = "dltb", extra=(), **layer):
    def make(root: Path, fx: Fixtures) -> Built:
        inp, out = _dirs(root)
        cfg = _world(inp, checks, dltb=dltb, **layer)
        args = ["screen", inp / "sites.gpkg", "-c", cfg, "-r", "pv", "-o", out / "s.gpkg"]
        args += ["--csv", out / "s.csv"]
        if by_class:
            args += ["--by-class", by_class]
        outputs = (
            ("s.gpkg", "s.csv", "s_by_class.csv") if by_class == "dltb" else ("s.gpkg", "s.csv")
        )
        return Built([*args, *extra], root, outputs=outputs)

    return make


def _by_class_raster(root: Path, fx: Fixtures) -> Built:
    import rasterio
    from rasterio.transform import from_origin

    inp, out = _dirs(root)
    cfg = _world(inp, _EXCLUDE_01)
    with rasterio.open(inp / "dem.tif", "w", driver="GTiff", width=4, height=4, count=1,
                       dtype="float32", crs="EPSG:4547",
                       transform=from_origin(X0, Y0 + 1000, 250, 250)) as ds:  # fmt: skip
        ds.write(np.zeros((1, 4, 4), dtype="float32"))
    text = cfg.read_text(encoding="utf-8").replace(
        "  dltb:", "  dem:\n    path: dem.tif\n    role: raster\n  dltb:", 1
    )
    cfg.write_text(text, encoding="utf-8")
    return Built(["screen", inp / "sites.gpkg", "-c", cfg, "-r", "pv", "--by-class", "dem",
                  "-o", out / "s.gpkg"], root)  # fmt: skip


def _classes_on_raster(root: Path, fx: Fixtures) -> Built:
    b = _by_class_raster(root, fx)
    cfg = b.inp / "project.yaml"
    text = cfg.read_text(encoding="utf-8").replace(
        "  pv:\n    checks:\n",
        "  pv:\n    checks:\n    - {raster: dem, rule: slope_max, max_deg: 15, classes: ['01*']}\n",
    )
    assert "raster: dem" in text
    cfg.write_text(text, encoding="utf-8")
    return Built(["config", "check", "-c", cfg], root)


def _controls_unknown_layer(root: Path, fx: Fixtures) -> Built:
    inp, out = _dirs(root)
    cfg = _world(inp, _EXCLUDE_01)
    gpd.GeoDataFrame({"BSM": ["R1"]}, geometry=[box(X0, Y0, X0 + 800, Y0 + 800)],
                     crs=4547).to_file(inp / "red.gpkg")  # fmt: skip
    gpd.GeoDataFrame({"BSM": ["F1"]}, geometry=[box(X0 + 400, Y0, X0 + 1200, Y0 + 800)],
                     crs=4547).to_file(inp / "farm.gpkg")  # fmt: skip
    text = cfg.read_text(encoding="utf-8").replace(
        "  dltb:",
        "  redline: {path: red.gpkg, role: control}\n  farmland: {path: farm.gpkg, role: control}"
        "\n  dltb:",
        1,
    )
    cfg.write_text(text + "control_lines: [redline, farmland]\n", encoding="utf-8")
    return Built(["controls", "-c", cfg, "--by-class", "dltbx", "-o", out / "c.gpkg"], root)


# ---------------------------------------------------------------- result checks


def _read(b: Built, layer: str = "sites"):
    return gpd.read_file(b.out / "s.gpkg", layer=layer)


def _verdict_and_parts(verdict: str, parts: dict[str, float]):
    def check(b: Built, result) -> None:
        site = _read(b).iloc[0]
        assert site["verdict"] == verdict, site["verdict"]
        got = _read(b, "by_class").set_index("class_code")["area_m2"].to_dict()
        assert got.keys() == parts.keys(), got
        for code, m2 in parts.items():
            assert abs(got[code] - m2) < 1e-6, (code, got[code], m2)

    return check


def _check_numbers_as_codes(b: Built, result) -> None:
    _verdict_and_parts("conditional", {"0103": 500_000.0, "1205": 1_000_000.0, "0404": 250_000.0})(
        b, result
    )
    site = _read(b).iloc[0]
    assert abs(site["dltb_01_overlap_mu"] - 500_000 / MU) < 1e-9
    assert "0103 旱地" in site["reasons"]


def _check_outside(b: Built, result) -> None:
    import pandas as pd

    table = pd.read_csv(b.out / "s_by_class.csv", encoding="utf-8-sig", dtype={"class_code": str})
    total = table[(table["site_id"] == "S2") & (table["class_code"] == "total")].iloc[0]
    assert abs(total["area_m2"] - 500_000) < 1e-6 and abs(total["share"] - 0.5) < 1e-12


def _site_half_outside(root: Path, fx: Fixtures) -> Built:
    b = _screen(_EXCLUDE_01)(root, fx)
    # a second site, half east of the land-use layer (and of the study area's data)
    sites = gpd.GeoDataFrame(
        {"site_id": ["S1", "S2"]}, geometry=[SITE, box(X0 + 2500, Y0, X0 + 3500, Y0 + 1000)],
        crs=4547,
    )  # fmt: skip
    sites.to_file(b.inp / "sites.gpkg")
    return b


CASES = [
    Case("classes-unknown-code", "config check", "classes: with a code the 三调 classification "
         "does not have (digits swapped)", "refused", "did you mean '0103' 旱地",
         _config_check([{"layer": "dltb", "rule": "exclude", "classes": ["0130"]}])),
    Case("classes-class-name", "config check", "classes: with a class name (旱地) instead of its "
         "code", "refused", "did you mean '0103' 旱地",
         _config_check([{"layer": "dltb", "rule": "exclude", "classes": ["旱地"]}])),
    Case("classes-octal-number", "config check", "classes: [0103] unquoted, read by YAML as the "
         "octal number 67", "refused", "67 is how YAML reads 0103", _octal_code),
    Case("classes-on-raster-check", "config check", "classes: on a slope_max (raster) check",
         "refused", "only vector checks take classes:", _classes_on_raster),
    Case("where-unknown-comparison", "config check", "where: {DLBM: {gte: 3}}", "refused",
         "unknown comparison (did you mean",
         _config_check([{"layer": "dltb", "rule": "exclude",
                         "where": {"DLBM": {"gte": 3}}}])),
    Case("where-field-missing", "screen", "where: on a field the layer does not have (GMFGD)",
         "refused", "has no field 'GMFGD'",
         _screen([{"layer": "dltb", "rule": "exclude", "classes": ["0305"],
                   "where": {"GMFGD": {"gt": 0.3}}}])),
    Case("landuse-class-field-missing", "screen", "a landuse layer whose codes are in CODE, "
         "class_field not given", "refused", "has no field 'DLBM'",
         _screen(_EXCLUDE_01, dltb=_squares().rename(columns={"DLBM": "CODE"}))),
    Case("by-class-raster-layer", "screen", "--by-class naming a raster layer", "refused",
         "a raster; land classes come from a vector layer", _by_class_raster),
    Case("by-class-unknown-layer", "controls", "--by-class naming no layer of the config",
         "refused", "no layer named 'dltbx'", _controls_unknown_layer),
    Case("classes-match-no-feature", "screen", "classes: ['0302'] (竹林地), which no patch has: "
         "warned, the other codes still work", "warned", "0302 matches no feature of layer 'dltb'",
         _screen([{"layer": "dltb", "rule": "exclude", "classes": ["0103", "0302"]}]),
         _verdict_and_parts("conditional", {"1205": 1e6, "0103": 5e5, "0404": 2.5e5})),
    Case("class-codes-as-numbers", "screen", "DLBM stored as numbers (103, 1205, 404): the "
         "leading zero restored", "ok", "",
         _screen(_EXCLUDE_01, dltb=_squares().assign(DLBM=[103, 1205, 404])),
         _check_numbers_as_codes),
    Case("landuse-overlapping-patches", "screen", "two patches drawn over each other: the area is "
         "counted twice, with a warning naming the site", "warned", "patches overlap under 1 "
         "object (S1",
         _screen(_EXCLUDE_01, dltb=gpd.GeoDataFrame(
             {"DLBM": ["0103", "1205", "0404", "0103"]},
             geometry=[*_squares().geometry, box(X0 + 500, Y0, X0 + 1500, Y0 + 1000)], crs=4547)),
         _verdict_and_parts("conditional", {"0103": 1.5e6, "1205": 1e6, "0404": 2.5e5})),
    Case("by-class-site-outside-landuse", "screen", "a site half beyond the land-use layer: its "
         "classes cover half of it (share 50%)", "warned", "covers 1 object only in part (S2: 50.0%",
         _site_half_outside, _check_outside),
]  # fmt: skip

"""The bad-input corpus: broken files, configs and registry updates, built in code.

Each :class:`Case` builds its inputs into ``<tmp>/in`` and names an output folder
``<tmp>/out``; :func:`build` returns the command line to run as a user would. The test
(``tests/test_bad_inputs.py``) runs it through the CLI and checks the outcome:

``refused``
    exit status 2, exactly one ``Error:`` line containing ``fragment``, no traceback,
    nothing new in ``out``;
``warned``
    exit status 0, a ``Warning:`` line containing ``fragment``, and ``check`` passes on
    the result (the numbers or text that prove the result is right).

In every case the files under ``in`` (inputs and registries) are byte-identical after the
run and no file appears there. See ``README.md`` in this folder for the list.
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import yaml
from shapely.geometry import LineString, Point, Polygon, box

__all__ = ["Case", "Built", "CASES", "build", "coord_txt", "Fixtures"]

X0, Y0 = 500_000.0, 4_700_000.0  # EPSG:4547 (CGCS2000 GK CM 114E, no prefix), inside zone 38
MU = 10000 / 15


@dataclass
class Fixtures:
    """What cases may copy from: the session's demo project (read-only)."""

    demo_layers: Path  # <demo>/layers/demo


@dataclass
class Built:
    """A case made on disk: the arguments to run and where outputs go."""

    args: list[str]
    root: Path
    #: output files (names in ``out``) a ``warned`` case must produce
    outputs: tuple[str, ...] = ()
    #: extra data for the result check
    data: dict = field(default_factory=dict)

    @property
    def inp(self) -> Path:
        return self.root / "in"

    @property
    def out(self) -> Path:
        return self.root / "out"


@dataclass(frozen=True)
class Case:
    id: str
    command: str  # the command the case exercises (for the README table)
    what: str  # one line for the README
    expect: str  # "refused" | "warned"
    fragment: str  # must appear in the Error: / Warning: line
    make: Callable[[Path, Fixtures], Built]
    check: Callable[[Built, object], None] | None = None


# ---------------------------------------------------------------- building blocks


def _dirs(root: Path) -> tuple[Path, Path]:
    inp, out = root / "in", root / "out"
    inp.mkdir(parents=True, exist_ok=True)
    out.mkdir(exist_ok=True)
    return inp, out


def _yaml(path: Path, cfg: dict) -> Path:
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _red(attrs: dict | None = None, geoms=None, crs=4547) -> gpd.GeoDataFrame:
    """Red line: one 1000 m square at (X0, Y0)."""
    data = {"BSM": ["R1"], "HXMC": ["生态保护红线一"]}
    data.update(attrs or {})
    return gpd.GeoDataFrame(data, geometry=geoms or [box(X0, Y0, X0 + 1000, Y0 + 1000)], crs=crs)


def _farm() -> gpd.GeoDataFrame:
    """Farmland: one 1000 m square shifted 500 m east: 500 000 m² (750 mu) overlap with _red."""
    return gpd.GeoDataFrame(
        {"YJJBNTTBBH": ["F1"]}, geometry=[box(X0 + 500, Y0, X0 + 1500, Y0 + 1000)], crs=4547
    )


def _controls_project(inp: Path, red_path: str = "red.gpkg", **cfg_extra) -> Path:
    """A two-line project: farmland written here, the red line path given by the case."""
    _farm().to_file(inp / "farm.gpkg")
    cfg = {
        "name": "测试旗",
        "layers": {
            "redline": {"path": red_path, "role": "control", "label": "生态保护红线"},
            "farmland": {"path": "farm.gpkg", "role": "control", "label": "永久基本农田"},
        },
        "control_lines": ["redline", "farmland"],
    }
    cfg.update(cfg_extra)
    return _yaml(inp / "project.yaml", cfg)


def _controls_case(make_red: Callable[[Path], str], **cfg_extra) -> Callable:
    """Case maker: ``make_red(inp)`` writes the red line and returns its config path."""

    def make(root: Path, fx: Fixtures) -> Built:
        inp, out = _dirs(root)
        cfg = _controls_project(inp, make_red(inp), **cfg_extra)
        return Built(
            ["controls", "-c", cfg, "-o", out / "controls.gpkg", "--summary", out / "sum.csv"],
            root,
            outputs=("controls.gpkg", "sum.csv"),
        )

    return make


def _conflict_mu(expected_mu: float) -> Callable:
    """Check: the summary CSV's total conflict area (tolerance 1e-6 relative)."""

    def check(b: Built, result) -> None:
        import pandas as pd

        df = pd.read_csv(b.out / "sum.csv", encoding="utf-8-sig")
        total = float(df.loc[df["layer_a"] == "all", "area_mu"].sum())  # the grand-total row
        assert abs(total - expected_mu) <= 1e-6 * max(1.0, expected_mu), (total, expected_mu)

    return check


def _shp(inp: Path, gdf: gpd.GeoDataFrame, *, encoding: str = "UTF-8") -> Path:
    path = inp / "red.shp"
    gdf.to_file(path, encoding=encoding)
    return path


def _write_text(inp: Path, name: str, data: bytes | str) -> str:
    p = inp / name
    if isinstance(data, str):
        p.write_text(data, encoding="utf-8")
    else:
        p.write_bytes(data)
    return name


# ---------------------------------------------------------------- vector cases


def _no_prj(inp: Path) -> str:
    _shp(inp, _red()).with_suffix(".prj").unlink()
    return "red.shp"


def _gbk_no_cpg(inp: Path) -> str:
    _shp(inp, _red({"HXMC": ["浑善达克沙地防风固沙红线"]}), encoding="GBK")
    (inp / "red.cpg").unlink()
    return "red.shp"


def _xy_swapped(inp: Path) -> str:
    # surveyors' X is the northing: written into the easting column by mistake
    _red(geoms=[box(Y0, X0, Y0 + 1000, X0 + 1000)]).to_file(inp / "red.gpkg")
    return "red.gpkg"


def _zone_prefix(inp: Path) -> str:
    # 38 500 000: zone-prefixed eastings stored with the no-prefix CRS EPSG:4547
    _red(geoms=[box(38e6 + X0, Y0, 38e6 + X0 + 1000, Y0 + 1000)]).to_file(inp / "red.gpkg")
    return "red.gpkg"


def _degrees_in_metres(inp: Path) -> str:
    _red(geoms=[box(114.0, 42.5, 114.01, 42.51)]).to_file(inp / "red.gpkg")
    return "red.gpkg"


def _bowtie(inp: Path) -> str:
    # a figure-eight over the red square: make_valid gives two triangles, 250 000 m² each
    bow = Polygon([(X0, Y0), (X0 + 1000, Y0 + 1000), (X0 + 1000, Y0), (X0, Y0 + 1000)])
    _red({"BSM": ["BOW7"]}, geoms=[bow]).to_file(inp / "red.gpkg")
    return "red.gpkg"


def _mixed_types(inp: Path) -> str:
    gdf = gpd.GeoDataFrame(
        {"BSM": ["R1", "P2"]},
        geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000), Point(X0 + 10, Y0 + 10)],
        crs=4547,
    )
    gdf.to_file(inp / "red.gpkg")
    return "red.gpkg"


def _points_for_polygons(inp: Path) -> str:
    gdf = gpd.GeoDataFrame(
        {"BSM": ["R1", "R2"]}, geometry=[Point(X0, Y0), Point(X0 + 5, Y0 + 5)], crs=4547
    )
    gdf.to_file(inp / "red.gpkg")
    return "red.gpkg"


def _lines_for_polygons(inp: Path) -> str:
    gdf = gpd.GeoDataFrame(
        {"BSM": ["L1"]}, geometry=[LineString([(X0, Y0), (X0 + 900, Y0 + 900)])], crs=4547
    )
    gdf.to_file(inp / "red.gpkg")
    return "red.gpkg"


def _empty_features(inp: Path) -> str:
    gdf = gpd.GeoDataFrame(
        {"BSM": ["R1", "E2", "E3"]},
        geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000), Polygon(), None],
        crs=4547,
    )
    gdf.to_file(inp / "red.gpkg")
    return "red.gpkg"


def _nan_coords(inp: Path) -> str:
    nan = float("nan")
    with warnings.catch_warnings():  # shapely frowns at NaN while building the fixture
        warnings.simplefilter("ignore", RuntimeWarning)
        bad = Polygon([(X0, Y0), (nan, Y0), (X0 + 1000, Y0 + 1000), (X0, Y0)])
    gdf = gpd.GeoDataFrame(
        {"BSM": ["R1", "NAN9"]}, geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000), bad], crs=4547
    )
    gdf.to_file(inp / "red.gpkg")
    return "red.gpkg"


def _truncated_shp(inp: Path) -> str:
    path = _shp(inp, _red())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 40])  # cut inside the last record
    return "red.shp"


def _zero_byte_shp(inp: Path) -> str:
    _shp(inp, _red())
    (inp / "red.shp").write_bytes(b"")
    return "red.shp"


def _zero_byte_gpkg(inp: Path) -> str:
    (inp / "red.gpkg").write_bytes(b"")
    return "red.gpkg"


def _gpkg_not_db(inp: Path) -> str:
    (inp / "red.gpkg").write_text("BSM,HXMC\nR1,红线\n", encoding="utf-8")
    return "red.gpkg"


def _gpkg_junk(inp: Path) -> str:
    (inp / "red.gpkg").write_bytes(bytes(range(256)) * 16)
    return "red.gpkg"


def _missing_layer(inp: Path) -> str:
    _red().to_file(inp / "red.gpkg", layer="stbhhx")
    return "red.gpkg|layer=hongxian"


def _two_layers(inp: Path) -> str:
    _red().to_file(inp / "red.gpkg", layer="stbhhx")
    _red().to_file(inp / "red.gpkg", layer="stbhhx_old")
    return "red.gpkg"


def _missing_file(inp: Path) -> str:
    return "nowhere/red.gpkg"


def _geojson_broken(inp: Path) -> str:
    (inp / "red.geojson").write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": ',
        encoding="utf-8",
    )
    return "red.geojson"


def _unsupported_suffix(inp: Path) -> str:
    (inp / "red.dwg").write_bytes(b"AC1027" + bytes(200))
    return "red.dwg"


def _csv_bad_wkt(inp: Path) -> str:
    (inp / "red.csv").write_text(
        'BSM,WKT\nR1,"POLYGON ((500000 4700000, 501000 4700000, 501000 4701000, 500000 4700000))"\n'
        'R2,"POLYGON ((500000 4700000, 501000"\n',
        encoding="utf-8",
    )
    return "red.csv"


# ---------------------------------------------------------------- convert cases


def _convert_case(make_in: Callable[[Path], str], out_name: str = "out.gpkg", *extra) -> Callable:
    def make(root: Path, fx: Fixtures) -> Built:
        inp, out = _dirs(root)
        src = make_in(inp)
        return Built(["convert", inp / src, out / out_name, *extra], root, outputs=(out_name,))

    return make


def _check_gbk_attrs(b: Built, result) -> None:
    gdf = gpd.read_file(b.out / "out.gpkg")
    assert gdf["HXMC"].tolist() == ["浑善达克沙地防风固沙红线"]


def _check_no_prj_declared(b: Built, result) -> None:
    gdf = gpd.read_file(b.out / "out.gpkg")
    assert gdf.crs.to_epsg() == 4547
    assert abs(gdf.area.sum() - 1e6) < 1e-3


# ---------------------------------------------------------------- coordinate TXT

TXT_HEADER = """[属性描述]
格式版本号=1.01版本
数据产生单位=正镶白旗自然资源局
数据产生日期=2022-05-01
坐标系={datum}
几度分带=3
投影类型=高斯克吕格
计量单位=米
带号={zone}
精度=0.01
转换参数=,,,,,,
[地块坐标]
"""

# DK01: 100 m square in zone 38 (prefixed eastings), 1 ha
TXT_PARCEL = """5,1.0000,DK01,光伏治沙一号地块,面,,光伏用地,,@
J1,1,4681000.000,38512000.000
J2,1,4681100.000,38512000.000
J3,1,4681100.000,38512100.000
J4,1,4681000.000,38512100.000
J1,1,4681000.000,38512000.000
"""


def coord_txt(
    *, datum: str = "2000国家大地坐标系", zone: str = "38", parcels: str = TXT_PARCEL
) -> str:
    """A boundary-point coordinate TXT (界址点坐标) text."""
    return TXT_HEADER.format(datum=datum, zone=zone) + parcels


def _txt(text: str | bytes, encoding: str = "gbk") -> Callable[[Path], str]:
    def make_in(inp: Path) -> str:
        p = inp / "地块坐标.txt"
        p.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
        return p.name

    return make_in


def _check_txt_square(b: Built, result) -> None:
    gdf = gpd.read_file(b.out / "out.gpkg")
    assert gdf.crs.to_epsg() == 4526
    assert gdf["parcel_id"].tolist() == ["DK01"]
    assert abs(gdf.area.sum() - 10_000.0) < 1e-6


# ---------------------------------------------------------------- rasters and screening


def _write_dem(
    path: Path,
    *,
    crs: object = 4547,
    bounds=(X0 - 1000, Y0 - 1000, X0 + 3000, Y0 + 3000),
    size: int = 40,
    nodata: float | None = -9999.0,
) -> None:
    import rasterio
    from rasterio.transform import from_bounds

    x0, y0, x1, y1 = bounds
    # a gentle plane: 1 m rise per 100 m eastwards (0.57 degrees)
    cols = np.arange(size, dtype="float32")
    z = np.tile(1200.0 + cols * (x1 - x0) / size / 100.0, (size, 1)).astype("float32")
    profile = dict(
        driver="GTiff",
        width=size,
        height=size,
        count=1,
        dtype="float32",
        transform=from_bounds(x0, y0, x1, y1, size, size),
    )
    if crs is not None:
        profile["crs"] = rasterio.crs.CRS.from_user_input(crs)
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(z, 1)


def _screen_project(
    inp: Path, *, dem: Callable[[Path], None] | None = None, site_attrs=None
) -> Path:
    """Sites S1 (clear, 1000 m square east of the red line) and S2 (inside the red line)."""
    _red().to_file(inp / "red.gpkg")
    sites = gpd.GeoDataFrame(
        {"site_id": ["S1", "S2"], "name": ["东区", "红线区"], **(site_attrs or {})},
        geometry=[
            box(X0 + 1500, Y0, X0 + 2500, Y0 + 1000),
            box(X0 + 100, Y0 + 100, X0 + 900, Y0 + 900),
        ],
        crs=4547,
    )
    sites.to_file(inp / "sites.gpkg")
    checks = [{"layer": "redline", "rule": "exclude", "label": "生态保护红线"}]
    # the study area: without it only the red line's extent would count as covered by data
    gpd.GeoDataFrame(
        {"name": ["旗界"]}, geometry=[box(X0 - 5000, Y0 - 5000, X0 + 5000, Y0 + 5000)], crs=4547
    ).to_file(inp / "boundary.gpkg")
    layers = {
        "boundary": {"path": "boundary.gpkg", "role": "boundary"},
        "redline": {"path": "red.gpkg", "role": "control", "label": "生态保护红线"},
        "sites": {"path": "sites.gpkg", "role": "sites", "id_field": "site_id"},
    }
    if dem is not None:
        dem(inp)
        layers["dem"] = {"path": "dem.tif", "role": "raster"}
        checks.append({"raster": "dem", "rule": "slope_max", "max_deg": 15, "max_share": 0.1})
    cfg = {
        "name": "测试旗",
        "crs": "EPSG:4547",
        "layers": layers,
        "rulesets": {"pv": {"min_eligible_mu": 300, "checks": checks}},
    }
    return _yaml(inp / "project.yaml", cfg)


def _screen_case(
    dem: Callable[[Path], None] | None = None, *, sites: str | None = None
) -> Callable:
    def make(root: Path, fx: Fixtures) -> Built:
        inp, out = _dirs(root)
        cfg = _screen_project(inp, dem=dem)
        return Built(
            [
                "screen",
                inp / (sites or "sites.gpkg"),
                "-c",
                cfg,
                "-r",
                "pv",
                "-o",
                out / "result.gpkg",
                "--csv",
                out / "result.csv",
            ],
            root,
            outputs=("result.gpkg", "result.csv"),
        )

    return make


def _verdicts(b: Built) -> dict:
    import pandas as pd

    df = pd.read_csv(b.out / "result.csv", encoding="utf-8-sig")
    return dict(zip(df["site_id"], df["verdict"], strict=True))


def _dem_writer(**kw) -> Callable[[Path], None]:
    return lambda inp: _write_dem(inp / "dem.tif", **kw)


def _dem_not_raster(inp: Path) -> None:
    (inp / "dem.tif").write_text("this is not a GeoTIFF\n", encoding="utf-8")


def _check_screen_s1_pass(b: Built, result) -> None:
    assert _verdicts(b) == {"S1": "pass", "S2": "fail"}


def _check_screen_unknown(b: Built, result) -> None:
    v = _verdicts(b)
    assert v["S2"] == "fail"  # the red line decides S2 regardless of the DEM
    assert v["S1"] == "unknown"  # no DEM under the site: cannot say


# ---------------------------------------------------------------- configs


def _config_case(
    text: str | Callable[[Path], str], command: tuple[str, ...] = ("config", "check")
) -> Callable:
    def make(root: Path, fx: Fixtures) -> Built:
        inp, out = _dirs(root)
        _red().to_file(inp / "red.gpkg")
        _farm().to_file(inp / "farm.gpkg")
        body = text(inp) if callable(text) else text
        cfg = inp / "project.yaml"
        cfg.write_text(body, encoding="utf-8")
        args = [*command, "-c", cfg]
        if command == ("controls",):
            args += ["-o", out / "controls.gpkg"]
        return Built(args, root)

    return make


GOOD_CONFIG = """name: 测试旗
crs: auto
layers:
  redline: {path: red.gpkg, role: control, label: 生态保护红线}
  farmland: {path: farm.gpkg, role: control, label: 永久基本农田}
control_lines: [redline, farmland]
"""

RULESET = """rulesets:
  pv:
    checks:
      - {layer: redline, rule: exclude}
      - {layer: water_source, rule: exclude, buffer_m: 500}
"""


# ---------------------------------------------------------------- registry


def _registry_project(inp: Path, fx: Fixtures) -> Path:
    """Demo pits and plots copied, a config naming them, the registry built (``reg.gpkg``)."""
    from click.testing import CliRunner

    from ecogis.cli import cli

    for name in ("pits", "plots"):
        shutil.copy(fx.demo_layers / f"{name}.gpkg", inp / f"{name}.gpkg")
    cfg = _yaml(
        inp / "project.yaml",
        {
            "name": "测试旗",
            "registry": "reg.gpkg",
            "layers": {
                "pits": {"path": "pits.gpkg", "role": "pits", "id_field": "pit_id"},
                "plots": {"path": "plots.gpkg", "role": "plots", "id_field": "plot_id"},
            },
            "targets": {2022: {"afforestation_mu": 15000, "pits_km2": 1.5}},
        },
    )
    r = CliRunner().invoke(cli, ["-q", "pits", "init", "-c", str(cfg), "--by", "测试"])
    assert r.exit_code == 0, r.output
    return cfg


def _pit(fx: Fixtures, status: str, **where) -> dict:
    """A demo pit with the given status (first by id)."""
    pits = gpd.read_file(fx.demo_layers / "pits.gpkg").sort_values("pit_id")
    sel = pits[pits["status"] == status]
    for k, v in where.items():
        sel = sel[sel[k] == v]
    return sel.iloc[0].to_dict()


def _plot(fx: Fixtures, status: str) -> dict:
    plots = gpd.read_file(fx.demo_layers / "plots.gpkg").sort_values("plot_id")
    return plots[plots["status"] == status].iloc[0].to_dict()


def _registry_case(args: Callable[[Path, Fixtures], list]) -> Callable:
    def make(root: Path, fx: Fixtures) -> Built:
        inp, out = _dirs(root)
        cfg = _registry_project(inp, fx)
        return Built([*args(inp, fx), "-c", cfg], root)

    return make


def _import_file(rows: str) -> Callable[[Path, Fixtures], list]:
    def args(inp: Path, fx: Fixtures) -> list:
        first = _pit(fx, "untreated")
        (inp / "updates.csv").write_text(rows.format(pit=first["pit_id"]), encoding="utf-8-sig")
        return ["pits", "import", inp / "updates.csv", "--date", "2023-06-01"]

    return args


# ---------------------------------------------------------------- maps


EVIL = '<script>alert("红线")</script><img src=x onerror=alert(1)>'


def _map_controls(root: Path, fx: Fixtures) -> Built:
    inp, out = _dirs(root)
    _red({"HXMC": [EVIL], "BSM": [EVIL]}).to_file(inp / "red.gpkg")
    cfg = _controls_project(inp, "red.gpkg")
    return Built(
        ["map", "controls", "-c", cfg, "-o", out / "map.html"], root, outputs=("map.html",)
    )


def _map_screening(root: Path, fx: Fixtures) -> Built:
    inp, out = _dirs(root)
    cfg = _screen_project(inp, site_attrs={"name": [EVIL, "二号"]})
    args = ["map", "screening", inp / "sites.gpkg", "-c", cfg, "-r", "pv", "-o", out / "map.html"]
    return Built(args, root, outputs=("map.html",))


def _check_escaped(b: Built, result) -> None:
    html = (b.out / "map.html").read_text(encoding="utf-8")
    assert "<script>alert(" not in html
    assert "<img src=x onerror" not in html
    # the value is still shown, as text
    assert "&lt;script&gt;alert(&quot;红线&quot;)&lt;/script&gt;&lt;img src=x" in html


# ---------------------------------------------------------------- outputs


def _existing_output(root: Path, fx: Fixtures) -> Built:
    inp, out = _dirs(root)
    _red().to_file(inp / "red.gpkg")
    cfg = _controls_project(inp, "red.gpkg")
    (out / "sum.csv").write_text("old results\n", encoding="utf-8")
    return Built(["controls", "-c", cfg, "--summary", out / "sum.csv"], root)


def _output_folder_missing(root: Path, fx: Fixtures) -> Built:
    inp, out = _dirs(root)
    _red().to_file(inp / "red.gpkg")
    cfg = _controls_project(inp, "red.gpkg")
    return Built(["controls", "-c", cfg, "-o", out / "no" / "such" / "controls.gpkg"], root)


def _output_is_input(root: Path, fx: Fixtures) -> Built:
    inp, out = _dirs(root)
    _red().to_file(inp / "red.gpkg")
    return Built(["convert", inp / "red.gpkg", inp / "red.gpkg"], root)


# ---------------------------------------------------------------- helpers used by several cases


def _layers_check(root: Path, make_red: Callable[[Path], str]) -> Built:
    inp, out = _dirs(root)
    cfg = _controls_project(inp, make_red(inp))
    return Built(
        ["layers", "check", "-c", cfg, "--fix", "-o", out], root, outputs=("farmland.gpkg",)
    )


def _check_fixed_farmland(b: Built, result) -> None:
    assert "1 problem(s) found" in result.stdout
    assert len(gpd.read_file(b.out / "farmland.gpkg")) == 1


def _sites_no_prj(root: Path, fx: Fixtures) -> Built:
    b = _screen_case()(root, fx)
    gdf = gpd.read_file(b.inp / "sites.gpkg")
    gdf.to_file(b.inp / "sites.shp", encoding="UTF-8")
    (b.inp / "sites.prj").unlink()
    b.args[1] = b.inp / "sites.shp"
    return b


def _screen_txt(root: Path, text: str) -> Built:
    b = _screen_case()(root, None)
    (b.inp / "地块坐标.txt").write_bytes(text.encode("gbk"))
    b.args[1] = b.inp / "地块坐标.txt"
    return b


def _screen_unknown_ruleset(root: Path) -> Built:
    b = _screen_case()(root, None)
    b.args[b.args.index("pv")] = "pv_sand"
    return b


# ---------------------------------------------------------------- the corpus

R, W = "refused", "warned"

CASES: list[Case] = [
    # --- vector files (controls reads both layers; the red line is the broken one)
    Case("shp-no-prj", "controls", "shapefile without .prj", R, "no CRS", _controls_case(_no_prj)),
    Case(
        "shp-no-prj-declared",
        "convert",
        "shapefile without .prj, CRS declared with --crs",
        "ok",
        "",
        _convert_case(_no_prj, "out.gpkg", "--crs", "EPSG:4547"),
        _check_no_prj_declared,
    ),
    Case(
        "shp-gbk-no-cpg",
        "controls",
        "GBK shapefile without .cpg: detected, warned, right result",
        W,
        "no .cpg",
        _controls_case(_gbk_no_cpg),
        _conflict_mu(750.0),
    ),
    Case(
        "shp-gbk-no-cpg-text",
        "convert",
        "GBK shapefile without .cpg: Chinese text decoded correctly",
        W,
        "GB18030",
        _convert_case(_gbk_no_cpg),
        _check_gbk_attrs,
    ),
    Case("xy-swapped", "controls", "X and Y swapped", R, "swap", _controls_case(_xy_swapped)),
    Case(
        "zone-prefix-in-noprefix-crs",
        "controls",
        "zone-prefixed eastings (38 500 000) in EPSG:4547",
        R,
        "prefix",
        _controls_case(_zone_prefix),
    ),
    Case(
        "degrees-in-metre-crs",
        "controls",
        "longitude/latitude numbers in a metre CRS",
        R,
        "degree",
        _controls_case(_degrees_in_metres),
    ),
    Case(
        "bowtie",
        "controls",
        "self-intersecting (bowtie) polygon: repaired, named, right area",
        W,
        "BOW7",
        _controls_case(_bowtie),
        # the two triangles of the bowtie meet the farmland square (east half) in 250 000 m²
        _conflict_mu(250_000 / MU),
    ),
    Case(
        "bowtie-raise",
        "controls",
        "bowtie with on_invalid: raise",
        R,
        "BOW7",
        _controls_case(_bowtie, on_invalid="raise"),
    ),
    Case(
        "mixed-geometry-types",
        "controls",
        "polygons and points in one layer",
        R,
        "Point",
        _controls_case(_mixed_types),
    ),
    Case(
        "points-for-polygons",
        "controls",
        "a point layer where polygons are expected",
        R,
        "found Point x2",
        _controls_case(_points_for_polygons),
    ),
    Case(
        "lines-for-polygons",
        "controls",
        "a line layer where polygons are expected",
        R,
        "LineString",
        _controls_case(_lines_for_polygons),
    ),
    Case(
        "empty-features",
        "controls",
        "empty and NULL geometries: dropped with a warning, right result",
        W,
        "empty",
        _controls_case(_empty_features),
        _conflict_mu(750.0),
    ),
    Case(
        "nan-coordinates",
        "controls",
        "a polygon with a NaN coordinate",
        R,
        "NAN9",
        _controls_case(_nan_coords),
    ),
    Case(
        "truncated-shp",
        "controls",
        "a .shp cut short",
        R,
        "truncated",
        _controls_case(_truncated_shp),
    ),
    Case(
        "zero-byte-shp",
        "controls",
        "a zero-byte .shp",
        R,
        "red.shp",
        _controls_case(_zero_byte_shp),
    ),
    Case(
        "zero-byte-gpkg",
        "controls",
        "a zero-byte .gpkg",
        R,
        "red.gpkg",
        _controls_case(_zero_byte_gpkg),
    ),
    Case(
        "gpkg-is-csv",
        "controls",
        "a .gpkg that is really a CSV text",
        R,
        "red.gpkg",
        _controls_case(_gpkg_not_db),
    ),
    Case(
        "gpkg-binary-junk",
        "layers check",
        "a .gpkg full of binary junk: reported for that layer, the others still checked",
        "reported",
        "red.gpkg: cannot open",
        lambda root, fx: _layers_check(root, _gpkg_junk),
        _check_fixed_farmland,
    ),
    Case(
        "missing-layer",
        "controls",
        "file.gpkg|layer=NAME naming a layer that is not there (lists the layers)",
        R,
        "stbhhx",
        _controls_case(_missing_layer),
    ),
    Case(
        "several-layers-unnamed",
        "controls",
        "a GeoPackage with two layers and no |layer=",
        R,
        "stbhhx_old",
        _controls_case(_two_layers),
    ),
    Case(
        "missing-file",
        "controls",
        "layer file missing",
        R,
        "red.gpkg",
        _controls_case(_missing_file),
    ),
    Case(
        "geojson-cut-off",
        "convert",
        "a GeoJSON cut off mid-file",
        R,
        "red.geojson",
        _convert_case(_geojson_broken),
    ),
    Case(
        "unsupported-format",
        "convert",
        "a .dwg given as input",
        R,
        "unsupported format",
        _convert_case(_unsupported_suffix),
    ),
    Case(
        "csv-bad-wkt",
        "convert",
        "CSV whose WKT column has a broken polygon (names the line)",
        R,
        "line 3",
        _convert_case(_csv_bad_wkt),
    ),
    # --- rasters (screen with a slope check)
    Case(
        "dem-no-crs",
        "screen",
        "DEM without a CRS",
        R,
        "dem",
        _screen_case(_dem_writer(crs=None)),
    ),
    Case(
        "dem-no-nodata",
        "screen",
        "DEM without a nodata value: read as all valid, right verdicts",
        "ok",
        "",
        _screen_case(_dem_writer(nodata=None)),
        _check_screen_s1_pass,
    ),
    Case(
        "dem-not-covering",
        "screen",
        "DEM of the wrong size, not covering the sites: verdict unknown",
        "ok",
        "",
        _screen_case(_dem_writer(bounds=(X0 - 9000, Y0 - 9000, X0 - 5000, Y0 - 5000))),
        _check_screen_unknown,
    ),
    Case(
        "dem-not-a-raster",
        "screen",
        "a .tif that is a text file",
        R,
        "dem.tif",
        _screen_case(_dem_not_raster),
    ),
    Case(
        "dem-in-degrees",
        "screen",
        "DEM in geographic degrees (EPSG:4490) over the sites: warped for the slope, right verdicts",
        "ok",
        "",
        _screen_case(_dem_writer(crs=4490, bounds=(113.9, 42.3, 114.1, 42.5))),
        _check_screen_s1_pass,
    ),
    Case(
        "sites-no-prj",
        "screen",
        "sites shapefile without .prj",
        R,
        "--sites-crs",
        lambda root, fx: _sites_no_prj(root, fx),
    ),
    # --- coordinate TXT
    Case(
        "txt-missing-at",
        "convert",
        "attribute line without the closing @: read as a parcel start, warned",
        W,
        "without the closing '@'",
        _convert_case(_txt(coord_txt(parcels=TXT_PARCEL.replace(",,@", ",,")))),
        _check_txt_square,
    ),
    Case(
        "txt-unclosed-ring",
        "convert",
        "a ring whose last point does not repeat the first",
        W,
        "DK01",
        _convert_case(_txt(coord_txt(parcels=TXT_PARCEL.rsplit("J1,1", 1)[0]))),
        _check_txt_square,
    ),
    Case(
        "txt-broken-point-line",
        "convert",
        "a point line with a non-number coordinate",
        R,
        "line 16",
        _convert_case(
            _txt(coord_txt(parcels=TXT_PARCEL.replace("J3,1,4681100.000", "J3,1,468110O.000")))
        ),
    ),
    Case(
        "txt-xian80",
        "convert",
        "坐标系=1980西安坐标系 without --crs",
        R,
        "西安",
        _convert_case(_txt(coord_txt(datum="1980西安坐标系"))),
    ),
    Case(
        "txt-zone-mismatch",
        "convert",
        "eastings prefixed 38 but 带号=39",
        W,
        "带号",
        _convert_case(_txt(coord_txt(zone="39"))),
        _check_txt_square,
    ),
    Case("txt-empty", "convert", "an empty TXT", R, "地块坐标.txt", _convert_case(_txt(""))),
    Case(
        "txt-binary-junk",
        "convert",
        "binary junk with a .txt name",
        R,
        "地块坐标.txt",
        _convert_case(_txt(bytes(range(256)) * 8)),
    ),
    Case(
        "txt-header-only",
        "screen",
        "a TXT with a header and no parcels, given to screen",
        R,
        "地块坐标.txt",
        lambda root, fx: _screen_txt(root, coord_txt(parcels="")),
    ),
    # --- configs
    Case(
        "config-typo-key",
        "config check",
        "layers.redline.lable (did you mean label?)",
        R,
        "label",
        _config_case(GOOD_CONFIG.replace("label: 生态保护红线", "lable: 生态保护红线")),
    ),
    Case(
        "config-wrong-type",
        "config check",
        "sliver_m2: a string",
        R,
        "sliver_m2",
        _config_case(GOOD_CONFIG + "sliver_m2: 一平方米\n"),
    ),
    Case(
        "config-unknown-role",
        "config check",
        "role: redline (not a role)",
        R,
        "boundary",
        _config_case(
            GOOD_CONFIG.replace("role: control, label: 永久", "role: redline, label: 永久")
        ),
    ),
    Case(
        "config-missing-file",
        "config check",
        "a layer path that does not exist",
        R,
        "farm_2023.gpkg",
        _config_case(GOOD_CONFIG.replace("farm.gpkg", "farm_2023.gpkg")),
    ),
    Case(
        "config-rule-missing-layer",
        "config check",
        "a rule naming a layer the config does not have",
        R,
        "water_source",
        _config_case(GOOD_CONFIG + RULESET),
    ),
    Case(
        "config-negative-buffer",
        "config check",
        "buffer_m: -5",
        R,
        "buffer_m",
        _config_case(
            GOOD_CONFIG
            + RULESET.replace(
                "water_source, rule: exclude, buffer_m: 500", "redline, rule: exclude, buffer_m: -5"
            )
        ),
    ),
    Case(
        "config-yaml-syntax",
        "controls",
        "YAML syntax error (names the line)",
        R,
        "line",
        _config_case(
            GOOD_CONFIG.replace(
                "control_lines: [redline, farmland]", "control_lines: [redline, farmland"
            ),
            ("controls",),
        ),
    ),
    Case(
        "config-python-tag",
        "config check",
        "YAML with !!python/object/apply (never run)",
        R,
        "project.yaml",
        _config_case(GOOD_CONFIG + "name2: !!python/object/apply:os.system ['touch pwned']\n"),
    ),
    Case(
        "config-geographic-crs",
        "controls",
        "crs: EPSG:4490 (degrees cannot measure area)",
        R,
        "4490",
        _config_case(GOOD_CONFIG.replace("crs: auto", "crs: EPSG:4490"), ("controls",)),
    ),
    Case(
        "config-not-a-mapping",
        "config check",
        "a YAML list instead of a mapping",
        R,
        "project.yaml",
        _config_case("- redline\n- farmland\n"),
    ),
    Case(
        "config-missing",
        "controls",
        "config file does not exist",
        R,
        "nope.yaml",
        lambda root, fx: Built(["controls", "-c", _dirs(root)[0] / "nope.yaml"], root),
    ),
    Case(
        "config-empty",
        "config check",
        "a zero-byte config",
        R,
        "project.yaml",
        _config_case(""),
    ),
    Case(
        "screen-unknown-ruleset",
        "screen",
        "-r names a rule set the config does not have",
        R,
        "pv",
        lambda root, fx: _screen_unknown_ruleset(root),
    ),
    # --- registry updates (the registry is built first; refusals leave it byte-identical)
    Case(
        "pits-unknown-id",
        "pits update",
        "a pit id that is not in the registry",
        R,
        "ZXB-KK-999",
        _registry_case(lambda inp, fx: ["pits", "update", "ZXB-KK-999", "--status", "treated"]),
    ),
    Case(
        "pits-impossible-transition",
        "pits update",
        "accepted -> untreated without --force",
        R,
        "untreated",
        _registry_case(
            lambda inp, fx: [
                "pits",
                "update",
                _pit(fx, "accepted")["pit_id"],
                "--status",
                "untreated",
                "--date",
                "2023-06-01",
            ]
        ),
    ),
    Case(
        "pits-negative-area",
        "pits update",
        "--treated-m2 -5",
        R,
        "-5",
        _registry_case(
            lambda inp, fx: [
                "pits",
                "update",
                _pit(fx, "in_progress")["pit_id"],
                "--treated-m2",
                "-5",
                "--date",
                "2023-11-01",
            ]
        ),
    ),
    Case(
        "pits-treated-over-verified",
        "pits update",
        "treated area above the verified area",
        R,
        "verified",
        _registry_case(
            lambda inp, fx: [
                "pits",
                "update",
                (p := _pit(fx, "in_progress"))["pit_id"],
                "--treated-m2",
                str(p["verified_m2"] * 2),
                "--date",
                "2023-11-01",
            ]
        ),
    ),
    Case(
        "pits-future-date",
        "pits update",
        "--date in the future",
        R,
        "2999-01-01",
        _registry_case(
            lambda inp, fx: [
                "pits",
                "update",
                _pit(fx, "in_progress")["pit_id"],
                "--status",
                "treated",
                "--date",
                "2999-01-01",
            ]
        ),
    ),
    Case(
        "pits-date-before-plan",
        "pits update",
        "--date before the pit's planned_year",
        R,
        "planned_year",
        _registry_case(
            lambda inp, fx: [
                "pits",
                "update",
                _pit(fx, "untreated")["pit_id"],
                "--status",
                "in_progress",
                "--date",
                "2001-03-01",
            ]
        ),
    ),
    Case(
        "pits-non-numeric",
        "pits update",
        "--set verified_m2=abc",
        R,
        "abc",
        _registry_case(
            lambda inp, fx: [
                "pits",
                "update",
                _pit(fx, "in_progress")["pit_id"],
                "--set",
                "verified_m2=abc",
                "--date",
                "2023-11-01",
            ]
        ),
    ),
    Case(
        "pits-bad-date-format",
        "pits update",
        "--date 2023/13/01",
        R,
        "2023/13/01",
        _registry_case(
            lambda inp, fx: [
                "pits",
                "update",
                _pit(fx, "in_progress")["pit_id"],
                "--status",
                "treated",
                "--date",
                "2023/13/01",
            ]
        ),
    ),
    Case(
        "pits-import-non-numeric",
        "pits import",
        "import CSV with a non-numeric treated_m2 (all or nothing)",
        R,
        "十二亩",
        _registry_case(_import_file("pit_id,status,treated_m2\n{pit},in_progress,十二亩\n")),
    ),
    Case(
        "pits-import-unknown-column",
        "pits import",
        "import CSV with a column that is no registry field",
        R,
        "treatd_m2",
        _registry_case(_import_file("pit_id,treatd_m2\n{pit},100\n")),
    ),
    Case(
        "pits-import-no-id-column",
        "pits import",
        "import CSV without a pit_id column",
        R,
        "pit_id",
        _registry_case(_import_file("编号,treated_m2\n{pit},100\n")),
    ),
    Case(
        "plots-survival-over-one",
        "plots update",
        "--survival-rate 87 (percent, not a share)",
        R,
        "87",
        _registry_case(
            lambda inp, fx: [
                "plots",
                "update",
                _plot(fx, "in_progress")["plot_id"],
                "--survival-rate",
                "87",
                "--date",
                "2023-11-01",
            ]
        ),
    ),
    Case(
        "history-unknown-id",
        "history",
        "history of an id that does not exist",
        R,
        "ZXB-ZL-9999-999",
        _registry_case(lambda inp, fx: ["history", "ZXB-ZL-9999-999"]),
    ),
    Case(
        "registry-not-a-database",
        "pits list",
        "--registry pointing at a text file",
        R,
        "notes.gpkg",
        _registry_case(
            lambda inp, fx: [
                "pits",
                "list",
                "--registry",
                inp / _write_text(inp, "notes.gpkg", "这不是数据库\n"),
            ]
        ),
    ),
    Case(
        "registry-is-a-layer",
        "pits list",
        "--registry pointing at a plain layer GeoPackage (pits.gpkg)",
        R,
        "not an ecogis registry",
        _registry_case(lambda inp, fx: ["pits", "list", "--registry", inp / "pits.gpkg"]),
    ),
    Case(
        "progress-unknown-ndvi",
        "progress",
        "--ndvi naming rasters that do not exist (lists the raster layers)",
        R,
        "ndvi_2021",
        _registry_case(
            lambda inp, fx: ["progress", "--year", "2022", "--ndvi", "ndvi_2021", "ndvi_2030"]
        ),
    ),
    # --- maps: hostile attribute values
    Case(
        "map-controls-html-attrs",
        "map controls",
        "attribute values containing HTML/script: escaped in the map",
        "ok",
        "",
        _map_controls,
        _check_escaped,
    ),
    Case(
        "map-screening-html-attrs",
        "map screening",
        "a site name containing HTML/script: escaped in the map",
        "ok",
        "",
        _map_screening,
        _check_escaped,
    ),
    # --- outputs
    Case(
        "output-exists",
        "controls",
        "output exists and no --overwrite: old file kept",
        R,
        "--overwrite",
        _existing_output,
    ),
    Case(
        "output-folder-missing",
        "controls",
        "-o into a folder that does not exist",
        R,
        "does not exist",
        _output_folder_missing,
    ),
    Case(
        "convert-onto-input",
        "convert",
        "OUT is the same file as IN",
        R,
        "red.gpkg",
        _output_is_input,
    ),
]


def build(case: Case, root: Path, fx: Fixtures) -> Built:
    """Make ``case`` under ``root`` (``root/in`` inputs, ``root/out`` outputs)."""
    b = case.make(root, fx)
    b.args = [str(a) for a in b.args]
    return b


# more cases live beside this file, one module per area of the code (cases_<area>.py, each with
# its own CASES list built from the blocks above): added here so every test sees one corpus
def _more_cases() -> None:
    import importlib
    import pkgutil

    for info in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda i: i.name):
        if info.name.startswith("cases_"):
            CASES.extend(importlib.import_module(f"bad_inputs.{info.name}").CASES)


_more_cases()

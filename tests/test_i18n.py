"""The users' language: Chinese and English interface, tables for people, files every client opens.

Through the CLI as county staff run it, and on the files they get (XLSX opened with openpyxl,
GeoPackages with sqlite3 and GDAL 3.6's own validator when it is installed).
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from ecogis.cli import cli
from ecogis.errors import EcogisWarning
from ecogis.i18n import language
from ecogis.tables import Column, display_width, format_text, people_table

from conftest import gpkg_validator

REPO = Path(__file__).resolve().parents[1]


def run(*args, lang="en", **kwargs):
    return CliRunner().invoke(cli, [str(a) for a in args], env={"ECOGIS_LANG": lang}, **kwargs)


# ------------------------------------------------------------------------ the language


@pytest.mark.parametrize(
    "env, expected",
    [
        ({"ECOGIS_LANG": "zh"}, "zh"),
        ({"ECOGIS_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LC_ALL": "zh_CN.GB18030", "LANG": "en_US.UTF-8"}, "zh"),
        ({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({}, "en"),
    ],
)
def test_language_from_ecogis_lang_else_the_locale(monkeypatch, env, expected):
    for var in ("ECOGIS_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert language() == expected


def test_help_in_chinese_and_english():
    zh = run("--help", lang="zh").output
    assert "用法：" in zh and "选项" in zh and "显示本帮助并退出。" in zh
    assert "输出更多信息" in zh  # ecogis' own option help
    en = run("--help", lang="en").output
    assert "Usage:" in en and "Show this message and exit." in en and "用法" not in en
    zh = run("controls", "--help", lang="zh").output
    assert "检查三条控制线互不重叠" in zh and "退出码" in zh and "Exit status" not in zh
    assert "Check that the three control lines" in run("controls", "--help").output


def test_lang_option_chooses_before_help_and_errors(monkeypatch, tmp_path):
    monkeypatch.setenv("ECOGIS_LANG", "en")
    zh = CliRunner().invoke(cli, ["--lang", "zh", "controls", "--help"])
    assert "检查三条控制线互不重叠" in zh.output
    monkeypatch.setenv("ECOGIS_LANG", "zh")
    en = CliRunner().invoke(cli, ["--lang", "EN", "controls", "-c", str(tmp_path / "x.yaml")])
    assert en.exit_code == 2 and en.stderr.startswith("Error: ") and "x.yaml" in en.stderr


def test_chinese_help_fits_80_columns():
    for cmd in ([], ["controls"], ["layers", "check"], ["config", "check"], ["demo"]):
        out = (
            CliRunner()
            .invoke(cli, [*cmd, "--help"], env={"ECOGIS_LANG": "zh"}, terminal_width=80)
            .output
        )
        wide = [line for line in out.splitlines() if display_width(line) > 80]
        assert not wide, wide


def test_a_typical_error_in_both_languages(tmp_path):
    zh = run("controls", "-c", tmp_path / "nothere.yaml", lang="zh")
    assert zh.exit_code == 2 and zh.output.startswith("错误：") and "nothere.yaml" in zh.output
    en = run("controls", "-c", tmp_path / "nothere.yaml")
    assert en.exit_code == 2 and en.output.startswith("Error: ") and "nothere.yaml" in en.output
    # click's own errors too
    bad = run("controls", "--nope", lang="zh")
    assert bad.exit_code == 2 and "没有选项 '--nope'" in bad.output


def test_catalogue_is_complete_and_compiled():
    pytest.importorskip("babel")
    from ecogis.i18n import catalog

    missing = catalog.check()
    assert missing == {"zh_CN": []}, f"untranslated: {missing}"
    for locale in ("zh_CN",):
        mo = catalog.po_path(locale).with_suffix(".mo")
        assert mo.read_bytes() == catalog.compiled_bytes(locale), (
            "the .mo is older than the .po: run python3 -m ecogis.i18n compile"
        )


# ------------------------------------------------------------------------ the terminal


def test_terminal_tables_line_up_and_fit(monkeypatch):
    monkeypatch.setenv("ECOGIS_LANG", "zh")
    df = pd.DataFrame(
        {
            "township": ["宝力根陶海苏木", "明安图镇", "total"],
            "pits": [7, 12, 19],
            "verified_km2": [0.43916, 1.2639, 1.70306],
            "reason": [
                "与生态保护红线重叠 112.5 亩（占 5.0%），需从地块中核减，依据：自然资发〔2022〕142号"
                * 2,
                "",
                "",
            ],
            **{f"c{k}": [1.0, 2.0, 3.0] for k in range(8)},
        }
    )
    cols = [
        Column("township", "Township", labels={"total": "total"}),
        Column("pits", "Pits", "int"),
        Column("verified_km2", "Verified area (km²)", "km2"),
        Column("reason", "Reason", wide=True),
        *[Column(f"c{k}", f"Column number {k}", "mu") for k in range(8)],
    ]
    text = format_text(people_table(df, cols), width=80)
    lines = text.splitlines()
    assert all(display_width(line) <= 80 for line in lines), text
    assert "合计" in text and "乡镇" in text and "0.4392" in text  # km² to 0.0001
    blocks = text.split("\n\n")
    assert len(blocks) > 1  # too wide for one: split, never a header broken in two
    for block in blocks:
        head, rule, *rows = block.splitlines()
        assert head.startswith("乡镇")  # the key column repeated
        # every cell starts where its column's rule starts (display columns, not characters)
        starts = [i for i, ch in enumerate(rule) if ch == "-" and (i == 0 or rule[i - 1] == " ")]
        for row in rows:
            cells = [i for i in starts if i < display_width(row)]
            assert cells[0] == 0


# ------------------------------------------------------------------------ tables for people


def test_xlsx_for_people_in_chinese(demo_run):
    from openpyxl import load_workbook

    root, _ = demo_run
    wb = load_workbook(root / "layers/demo/results/screening.xlsx")
    assert wb.sheetnames == ["场址", "检查数值", "规则"]
    ws = wb["场址"]
    assert "项目选址筛查结果" in ws["A1"].value and "正镶白旗" in ws["A2"].value
    # a unit wider than its column's title goes on a line of its own, whole
    header = [c.value for c in ws[3]]
    # then the input's own columns (capacity_mw), under their own names
    assert header[7:] == ["capacity_mw"]
    assert [h.replace("\n", "") for h in header[:7]] == [
        "场址编号",
        "名称",
        "乡镇",
        "结论",
        "面积（亩）",
        "可用面积（亩）",
        "原因",
    ]
    assert "可用面积\n（亩）" in header
    checks = [c.value.replace("\n", "") for c in wb["检查数值"][3]]
    assert checks[:3] == ["场址编号", "结论", "生态保护红线重叠面积（亩）"]
    assert ws.freeze_panes == "A4" and ws.print_title_rows.replace("$", "") == "3:3"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9  # A4
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    verdicts = [ws.cell(row=r, column=4).value for r in range(4, ws.max_row + 1)]
    assert set(verdicts) == {"通过", "有条件通过", "不通过", "未判定"}
    area = ws.cell(row=4, column=5)
    assert isinstance(area.value, (int, float)) and area.number_format == "#,##0.00"
    sites = gpd.read_file(root / "layers/demo/results/screening.gpkg", layer="sites")
    assert area.value == pytest.approx(sites["area_mu"].iloc[0], rel=1e-12)  # the whole number
    reasons = header.index("原因") + 1
    assert ws.cell(row=6, column=reasons).alignment.wrap_text
    progress = load_workbook(root / "layers/demo/results/progress.xlsx")
    pits = progress[progress.sheetnames[0]]
    assert pits.cell(row=3, column=1).value == "乡镇"
    assert [pits.cell(row=r, column=1).value for r in range(4, pits.max_row + 1)][-1] == "合计"


def test_csv_for_scripts_keeps_names_and_precision(demo_run):
    root, _ = demo_run
    df = pd.read_csv(root / "layers/demo/results/controls_summary.csv", encoding="utf-8-sig")
    assert list(df.columns) == ["layer_a", "layer_b", "township", "conflicts", "area_m2", "area_mu"]
    assert df["township"].iloc[-1] == "total" and df["layer_a"].iloc[-1] == "all"
    assert df["area_m2"].iloc[-1] != round(df["area_m2"].iloc[-1], 2)  # not rounded for people


def test_formula_text_stays_text_in_headers_and_cells(tmp_path):
    from openpyxl import load_workbook

    from ecogis.io.tables import write_table

    evil = '=HYPERLINK("http://x","y")'
    df = pd.DataFrame({evil: [evil, "ok"], "n": [1.5, 2.0]})
    write_table(df, tmp_path / "t.xlsx")
    ws = load_workbook(tmp_path / "t.xlsx").active
    cells = [c for row in ws.iter_rows() for c in row if c.value == evil]
    assert len(cells) == 2 and all(c.data_type == "s" for c in cells)
    write_table(df, tmp_path / "t.csv")
    text = (tmp_path / "t.csv").read_text(encoding="utf-8-sig")
    head, first = text.splitlines()[:2]
    assert head.startswith(("'=HYPERLINK", "\"'=HYPERLINK")) and "'=HYPERLINK" in first


def test_control_characters_are_replaced_with_a_warning(tmp_path):
    from openpyxl import load_workbook

    from ecogis.io.tables import write_table

    df = pd.DataFrame({"name": ["矿坑\x07一号", "ok"]})
    with pytest.warns(EcogisWarning, match="control characters"):
        write_table(df, tmp_path / "t.xlsx")
    assert load_workbook(tmp_path / "t.xlsx").active["A2"].value == "矿坑 一号"


# ------------------------------------------------------------------------ files every client opens


def _gdal_version() -> tuple[int, int]:
    out = subprocess.run(["ogrinfo", "--version"], capture_output=True, text=True).stdout
    major, minor = out.split()[1].rstrip(",").split(".")[:2]
    return int(major), int(minor)


def test_every_geopackage_is_version_1_3_with_chinese_titles(demo_run):
    root, _ = demo_run
    files = sorted((root / "layers").rglob("*.gpkg"))
    assert len(files) >= 15  # the demo layers, its results and the registry
    validator = gpkg_validator()
    for f in files:
        con = sqlite3.connect(f)
        try:
            assert con.execute("PRAGMA user_version").fetchone()[0] <= 10300, f
        finally:
            con.close()
        if validator is not None:
            res = subprocess.run([*validator, str(f)], capture_output=True, text=True)
            assert res.returncode == 0, (f, res.stdout + res.stderr)
    con = sqlite3.connect(root / "layers/demo/results/screening.gpkg")
    titles = dict(
        con.execute(
            "SELECT column_name, name FROM gpkg_data_columns WHERE table_name = 'sites'"
        ).fetchall()
    )
    con.close()
    assert (
        titles["verdict"] == "结论" and titles["redline_overlap_mu"] == "生态保护红线重叠面积（亩）"
    )
    if shutil.which("ogrinfo") and _gdal_version() >= (3, 7):
        info = subprocess.run(
            ["ogrinfo", "-so", str(root / "layers/demo/results/controls.gpkg"), "conflicts"],
            capture_output=True,
            text=True,
        ).stdout
        assert "控制线一" in info  # GDAL reads the title as the field's alternative name


def test_shapefile_says_which_text_it_cut(tmp_path):
    from ecogis.io import write_layer

    long = "与生态保护红线重叠 112.5 亩（占 5.0%），需从地块中核减，依据：自然资发〔2022〕142号" * 3
    gdf = gpd.GeoDataFrame(
        {"reasons": [long, "短"], "site_id": ["A", "B"]},
        geometry=[box(0, 0, 1, 1), box(2, 2, 3, 3)],
        crs=4547,
    )
    with pytest.warns(EcogisWarning, match=r"254 bytes.*reasons \(1 value\).*GeoPackage"):
        write_layer(gdf, tmp_path / "s.shp")

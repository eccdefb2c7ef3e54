"""Printable map sheets (issue 13): ``ecogis map controls|progress|screening -o FILE.pdf|png``
on the demo, through the CLI; the PDF read back with poppler (page count and size, text),
the PNG with Pillow; and the map furniture (round scales, the coordinate system in words,
the Chinese font) as functions."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from PIL import Image

from ecogis.cli import cli

PT_PER_MM = 72 / 25.4


def run(*args, lang="en", cwd=None):
    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, [str(a) for a in args], env={"ECOGIS_LANG": lang})
    finally:
        os.chdir(old)


def poppler(tool: str) -> str:
    exe = shutil.which(tool)
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail(f"{tool} (poppler-utils) is missing in CI; tests/run.sh installs it")
        pytest.skip(f"{tool} not installed")
    return exe


def pdf_pages(pdf: Path) -> tuple[int, float, float]:
    """``(pages, width pt, height pt)`` of a PDF, as poppler's pdfinfo reads it."""
    info = subprocess.run([poppler("pdfinfo"), str(pdf)], capture_output=True, text=True,
                          check=True).stdout  # fmt: skip
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    w, h = map(float, re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", info, re.M).groups())
    return pages, w, h


def pdf_text(pdf: Path) -> str:
    out = subprocess.run([poppler("pdftotext"), str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout  # fmt: skip
    return out.replace("\u2009", " ")


@pytest.fixture(scope="module")
def demo_root(demo_run):
    return demo_run[0]


@pytest.mark.parametrize(
    "paper, landscape, size_mm",
    [("A4", False, (210, 297)), ("A3", True, (420, 297))],
)
def test_controls_sheet_is_one_page_of_the_paper_with_title_and_crs(
    demo_root, tmp_path, paper, landscape, size_mm
):
    out = tmp_path / "冲突图.pdf"
    args = ["map", "controls", "-c", "configs/demo.yaml", "-o", out, "--paper", paper]
    r = run(*args, *(["--landscape"] if landscape else []), cwd=demo_root)
    assert r.exit_code == 0, r.output
    assert f"wrote {out}" in r.output  # the message in the interface language...
    pages, w, h = pdf_pages(out)
    assert pages == 1
    assert abs(w - size_mm[0] * PT_PER_MM) < 1 and abs(h - size_mm[1] * PT_PER_MM) < 1
    text = pdf_text(out)
    # ... the sheet in Chinese: title, coordinate system and projection, legend, scale, date
    assert "正镶白旗生态修复示范 三条控制线冲突检查图" in text
    assert "坐标系统：2000国家大地坐标系" in text
    assert "高斯-克吕格投影，3度分带，中央经线 114°E（EPSG:4547）" in text.replace("\n", "")
    assert "图例" in text and "生态保护红线" in text and "冲突区域" in text
    scale = re.search(r"比例尺：1:([\d ]+)", text).group(1)
    denominator = int(scale.replace(" ", ""))
    assert str(denominator).rstrip("0") in ("1", "12", "125", "15", "2", "25", "3", "4", "5",
                                            "6", "75", "8")  # fmt: skip
    assert "制图日期：" in text and "数据来源：" in text and "stbhhx.gpkg" in text
    # graticule labels and the township names
    assert re.search(r"11[45]°(\d\d′)?E", text) and re.search(r"4[23]°(\d\d′)?N", text)
    assert "明安图镇" in text and "星耀镇" in text


def test_screening_sheet_labels_the_sites(demo_root, tmp_path):
    out = tmp_path / "选址.pdf"
    r = run("map", "screening", "-c", "configs/demo.yaml", "--sites-result",
            "layers/demo/results/screening.gpkg", "-o", out, lang="zh", cwd=demo_root)  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "已写出" in r.output
    text = pdf_text(out)
    assert "项目选址筛查图" in text
    found = set(re.findall(r"PV-\d\d", text))
    assert len(found) >= 10, found  # labels go where they fit; nearly all do at this scale
    assert "场址：不通过" in text and "可用范围" in text


def test_progress_sheet_as_png_at_the_asked_resolution(demo_root, tmp_path):
    out = tmp_path / "进度.png"
    r = run("map", "progress", "-c", "configs/demo.yaml", "--year", "2022", "-o", out,
            "--dpi", "100", cwd=demo_root)  # fmt: skip
    assert r.exit_code == 0, r.output
    with Image.open(out) as im:
        w, h = im.size
        assert abs(w - 210 / 25.4 * 100) <= 1 and abs(h - 297 / 25.4 * 100) <= 1
        # a real drawing, not an empty page: many colours (fills, text, lines)
        assert len(im.convert("RGB").getcolors(maxcolors=1 << 20)) > 200


def test_organisation_from_the_config_on_the_sheet(demo_root, tmp_path):
    cfg = yaml.safe_load((demo_root / "configs" / "demo.yaml").read_text(encoding="utf-8"))
    cfg["organisation"] = "正镶白旗自然资源局"
    base = demo_root / "configs"
    for spec in cfg["layers"].values():  # paths stay relative to the demo's configs folder
        spec["path"] = str((base / spec["path"]).resolve())
    cfg["registry"] = str((base / cfg["registry"]).resolve())
    path = tmp_path / "project.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "冲突图.pdf"
    r = run("map", "controls", "-c", path, "-o", out)
    assert r.exit_code == 0, r.output
    assert "制图单位：正镶白旗自然资源局" in pdf_text(out)


# ------------------------------------------------------------------------ the furniture


def test_round_scales_and_an_extent_drawn_at_that_scale():
    from ecogis.reports.cartography import fit_extent, nice_scale, scale_text

    assert [nice_scale(v) for v in (7_300, 240_000, 251_000, 1_000_000, 1_063_000)] == [
        7_500, 250_000, 300_000, 1_000_000, 1_200_000,
    ]  # fmt: skip
    (x0, y0, x1, y1), scale = fit_extent((0, 0, 100_000, 50_000), 180, 120)
    # 1 mm on paper is scale / 1000 m on the ground, exactly, across the whole frame
    assert (x1 - x0) / 180 == pytest.approx(scale / 1000)
    assert (y1 - y0) / 120 == pytest.approx(scale / 1000)
    # 100 km and its margins need 1:622 000 on 180 mm: the next round scale is 1:750 000
    assert x0 <= 0 and x1 >= 100_000 and scale == 750_000
    assert scale_text(250_000) == "1:250\u2009000"


@pytest.mark.parametrize(
    "epsg, words",
    [
        (4547, ("2000国家大地坐标系", "高斯-克吕格投影，3度分带，中央经线 114°E（EPSG:4547）")),
        (4526, ("2000国家大地坐标系", "中央经线 114°E，第 38 带（横坐标加带号）（EPSG:4526）")),
        (4509, ("2000国家大地坐标系", "高斯-克吕格投影，6度分带，中央经线 117°E（EPSG:4509）")),
        (2383, ("1980西安坐标系", "3度分带")),
        (4490, ("2000国家大地坐标系", "地理坐标")),
    ],
)
def test_the_coordinate_system_in_words(monkeypatch, epsg, words):
    from pyproj import CRS

    from ecogis.reports.cartography import crs_lines

    monkeypatch.setenv("ECOGIS_LANG", "zh")
    system, projection = crs_lines(CRS.from_epsg(epsg))
    assert system == words[0] and words[1] in projection


def test_a_font_with_chinese_is_found_or_the_user_is_told():
    import matplotlib

    from ecogis.reports.fonts import FontError, find_cjk_font

    font = find_cjk_font()
    assert font.path.is_file()
    with pytest.raises(FontError, match="no font with Chinese characters found"):
        find_cjk_font(candidates=("No Such Font CJK",))
    latin = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    with pytest.raises(FontError, match="has no Chinese characters"):
        find_cjk_font(latin)
    given = find_cjk_font(font.path)  # a font file given with --font
    assert given.path == font.path


def test_chinese_numerals_of_headings(monkeypatch):
    from ecogis.reports.numbers import chinese_numeral

    monkeypatch.setenv("ECOGIS_LANG", "zh")
    assert [chinese_numeral(n) for n in (1, 10, 12, 20, 35, 100, 105, 110)] == [
        "一", "十", "十二", "二十", "三十五", "一百", "一百零五", "一百一十",
    ]  # fmt: skip
    monkeypatch.setenv("ECOGIS_LANG", "en")
    assert chinese_numeral(12) == "12"

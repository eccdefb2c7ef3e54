"""Word documents for people (issue 13): ``ecogis report screening|progress|controls`` on the
demo, run through the CLI as a user runs them, and read back with python-docx: headings,
tables and their numbers against the job's own outputs, one picture per site, Chinese text
whatever the interface language, the template the bureau restyles."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import docx
import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from ecogis.cli import cli
from ecogis.errors import EcogisWarning

VERDICT_ZH = {"pass": "通过", "conditional": "有条件通过", "fail": "不通过", "unknown": "未判定"}
OPINION_ZH = {
    "pass": "同意该选址",
    "conditional": "原则同意在核减后的范围内选址",
    "fail": "不同意该选址",
    "unknown": "暂无法作出审查结论",
}


def run(*args, lang="en", cwd=None):
    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, [str(a) for a in args], env={"ECOGIS_LANG": lang})
    finally:
        os.chdir(old)


def blocks(document) -> list[tuple[str, str, object]]:
    """The body in order: ``("p", style name, text)`` and ``("t", "", table)``."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    out = []
    for el in document.element.body.iterchildren():
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "p":
            p = Paragraph(el, document)
            out.append(("p", p.style.name if p.style is not None else "", p.text))
        elif tag == "tbl":
            out.append(("t", "", Table(el, document)))
    return out


def rows(table) -> list[list[str]]:
    return [[c.text for c in r.cells] for r in table.rows]


def table_after(bs, caption_part: str):
    """The first table after the caption holding ``caption_part``."""
    for i, (kind, style, text) in enumerate(bs):
        if kind == "p" and style == "Caption" and caption_part in text:
            return next(b[2] for b in bs[i + 1 :] if b[0] == "t")
    raise AssertionError(f"no table captioned {caption_part!r}")


@pytest.fixture(scope="module")
def demo_root(demo_run):
    root, _output = demo_run
    return root


@pytest.fixture(scope="module")
def screening_docx(demo_root, tmp_path_factory):
    """The done-when command: ``ecogis report screening -c configs/demo.yaml -r
    pv_sand_control -o 选址审查.docx``, in an English interface."""
    out = tmp_path_factory.mktemp("reports") / "选址审查.docx"
    r = run("report", "screening", "-c", "configs/demo.yaml", "-r", "pv_sand_control", "-o", out,
            cwd=demo_root)  # fmt: skip
    assert r.exit_code == 0, r.output
    assert f"wrote {out}" in r.output
    return out, r.output


@pytest.fixture(scope="module")
def demo_sites(demo_root):
    """The sites layer of the demo's own screening output (``ecogis demo``, in Chinese)."""
    sites = gpd.read_file(demo_root / "layers" / "demo" / "results" / "screening.gpkg",
                          layer="sites")  # fmt: skip
    return sites.set_index("site_id", drop=False)


def _site_sections(bs):
    """Site id -> the blocks of its section (heading 2 to the next heading 2)."""
    out, current = {}, None
    for b in bs:
        if b[0] == "p" and b[1] == "Heading 2":
            m = re.search(r"场址 (\S+)", b[2])
            current = m.group(1)
            out[current] = []
        elif current is not None:
            out[current].append(b)
    return out


def test_screening_report_has_a_section_and_a_figure_per_site(screening_docx, demo_sites):
    path, output = screening_docx
    d = docx.Document(str(path))
    bs = blocks(d)
    sections = _site_sections(bs)
    assert list(sections) == list(demo_sites["site_id"])
    # one map per site and the overview
    assert len(d.inline_shapes) == len(demo_sites) + 1
    for site, sec in sections.items():
        captions = [t for k, s, t in sec if k == "p" and s == "Caption" and t.startswith("图")]
        assert captions == [captions[0]] and f"场址 {site} 与涉及图层叠加图" in captions[0]
        pictures = [k for k, s, t in sec if k == "p" and s == "Figure"]
        assert len(pictures) == 1
    assert "12 sites (pass 3, conditional 2, unknown 1, fail 6)" in output


def test_screening_report_quotes_every_reason_and_basis(screening_docx, demo_sites):
    """The reasons of each site, in the document's numbered list, joined again, are the
    reasons of the screening output, character for character (basis included)."""
    d = docx.Document(str(screening_docx[0]))
    sections = _site_sections(blocks(d))
    for site, sec in sections.items():
        texts = [t for k, s, t in sec if k == "p"]
        start = texts.index("存在问题：")
        opinion = next(t for t in texts if t.startswith("审查意见："))
        listed = [re.sub(r"^\d+\. ", "", t) for t in texts[start + 1 : texts.index(opinion)]]
        expected = demo_sites.loc[site, "reasons"]
        if not isinstance(expected, str) or not expected:
            assert listed == ["无，各项审查要求均符合。"], (site, listed)
        else:
            assert "；".join(listed) == expected, site
        verdict = demo_sites.loc[site, "verdict"]
        if verdict in ("fail", "conditional"):  # (a site without data has no basis to cite)
            assert all("依据：" in r for r in listed), (site, listed)
        assert OPINION_ZH[verdict] in opinion, (site, opinion)
        assert f"审查结论：{VERDICT_ZH[verdict]}。" in texts[0]


def test_screening_report_tables_hold_the_screening_numbers(screening_docx, demo_sites):
    d = docx.Document(str(screening_docx[0]))
    bs = blocks(d)
    summary = rows(table_after(bs, "场址审查结果汇总"))
    head, body = summary[0], summary[1:]
    assert head[:7] == [
        "场址编号",
        "名称",
        "乡镇",
        "结论",
        "面积（亩）",
        "可用面积（亩）",
        "主要原因",
    ]
    assert [r[0] for r in body] == list(demo_sites["site_id"])
    for r in body:
        s = demo_sites.loc[r[0]]
        assert r[3] == VERDICT_ZH[s["verdict"]]
        assert r[4] == f"{s['area_mu']:,.2f}" and r[5] == f"{s['eligible_mu']:,.2f}"
        first = s["reasons"].split("；")[0] if isinstance(s["reasons"], str) else ""
        assert r[6].startswith(first[:20])
    # PV-06 overlaps the red line: its checks table gives the overlap in mu and percent
    checks = rows(table_after(bs, "场址 PV-06 各项审查情况"))
    red = next(r for r in checks if r[0] == "生态保护红线")
    pv06 = demo_sites.loc["PV-06"]
    assert red[2] == f"{pv06['redline_overlap_mu']:,.2f}"
    assert red[3] == f"{100 * pv06['redline_overlap_m2'] / pv06['area_m2']:.1f}%"
    assert red[5] == "须核减"
    # every check of the rule set with its basis
    basis = rows(table_after(bs, "审查内容及依据"))
    assert [r[1] for r in basis[1:]][:2] == ["生态保护红线", "永久基本农田"]
    assert "自然资发〔2022〕142号" in basis[1][3]


def test_documents_are_chinese_whatever_the_interface_language(screening_docx):
    d = docx.Document(str(screening_docx[0]))
    heads = [p.text for p in d.paragraphs if p.style.name == "Heading 1"]
    assert heads == ["一、审查依据", "二、审查结论", "三、各场址审查意见"]
    assert d.paragraphs[0].text == "选址审查意见" and d.paragraphs[0].style.name == "Title"
    facts = rows(d.tables[0])
    assert facts[0] == ["项目名称", "正镶白旗生态修复示范"]
    crs = dict(facts)["坐标系统"]
    assert crs.startswith("2000国家大地坐标系，高斯-克吕格投影，3度分带，中央经线 114°E")
    assert "EPSG:4547" in crs


def test_screening_report_from_a_screening_output(demo_root, tmp_path):
    """--sites-result: the output of 'ecogis screen' reported as it is, in Chinese messages."""
    out = tmp_path / "意见.docx"
    r = run("report", "screening", "-c", "configs/demo.yaml", "--sites-result",
            "layers/demo/results/screening.gpkg", "-o", out, lang="zh", cwd=demo_root)  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "已写出" in r.output and "12 个场址" in r.output
    d = docx.Document(str(out))
    assert len(d.inline_shapes) == 13
    facts = dict(rows(d.tables[0]))
    assert "screening.gpkg" in facts["数据来源"]


def _progress_numbers(output: str) -> dict:
    """What ``ecogis progress`` prints (in Chinese): kind -> (mu, 万亩, percent), pits."""
    kinds = {
        m.group(1): (m.group(2), m.group(3), m.group(4))
        for m in re.finditer(r"^(\S+)：([\d,.]+) 亩（([\d.]+) 万亩），([\d.]+%)$", output, re.M)
    }
    treated = re.search(r"2022 年治理 ([\d.]+) km²，目标 ([\d.]+) km²（完成 ([\d.]+%)）", output)
    left = re.search(r"距清零还剩：(\d+) 个采坑，([\d.]+) km²", output)
    return {"kinds": kinds, "treated": treated.groups(), "left": left.groups()}


def test_progress_report_gives_the_totals_ecogis_progress_prints(demo_root, tmp_path):
    printed = run("progress", "-c", "configs/demo.yaml", "--year", "2022", lang="zh",
                  cwd=demo_root)  # fmt: skip
    assert printed.exit_code == 0, printed.output
    numbers = _progress_numbers(printed.output)
    assert set(numbers["kinds"]) == {"人工造林", "封沙育林（草）", "人工种草"}

    out = tmp_path / "年报.docx"
    r = run("report", "progress", "-c", "configs/demo.yaml", "--year", "2022", "-o", out,
            cwd=demo_root)  # fmt: skip
    assert r.exit_code == 0, r.output
    d = docx.Document(str(out))
    assert d.paragraphs[0].text == "2022 年度生态修复工作进展报告"
    text = "\n".join(p.text for p in d.paragraphs)
    bs = blocks(d)
    totals = rows(table_after(bs, "造林种草任务完成情况"))
    head = totals[0]
    by_kind = {r[0]: dict(zip(head, r, strict=True)) for r in totals[1:]}
    for kind, (mu, wanmu, pct) in numbers["kinds"].items():
        # the sentence says what 'ecogis progress' says; the table has the XLSX rounding
        assert f"{kind}：完成 {mu} 亩（{wanmu} 万亩）" in text and f"完成率 {pct}" in text
        row = by_kind[kind]
        assert abs(float(row["完成（亩）"].replace(",", "")) - float(mu.replace(",", ""))) <= 0.05
        assert row["完成（万亩）"] == wanmu and row["完成率（%）"] == pct
    km2, target, pct = numbers["treated"]
    assert f"2022 年治理 {km2} km²，目标 {target} km²（完成 {pct}）" in text
    n_left, km2_left = numbers["left"]
    assert f"距清零还剩：{n_left} 个采坑，{km2_left} km²" in text
    pits = dict(rows(table_after(bs, "废弃矿山采坑治理目标完成情况")))
    assert pits["本年治理（km²）"] == km2 and pits["待清零（个）"] == n_left

    # the pits still left: exactly the untreated and in-progress pits of the registry at the
    # end of 2022 (the day 'ecogis progress --year 2022' reports)
    from ecogis import Project, run_progress

    with Project.open(demo_root / "configs" / "demo.yaml") as project:
        reg_pits = run_progress(project, year=2022, replay_year=True).pits
    left = reg_pits[reg_pits["status"].isin(("untreated", "in_progress"))]
    listed = rows(table_after(bs, "剩余采坑清单"))
    assert listed[0] == ["采坑编号", "名称", "乡镇", "核定面积（m²）", "治理状态"]
    assert sorted(r[0] for r in listed[1:]) == sorted(left["pit_id"])
    assert len(listed) - 1 == int(n_left)
    # a chart per kind and the map
    assert len(d.inline_shapes) == 4
    captions = [
        p.text for p in d.paragraphs if p.style.name == "Caption" and p.text.startswith("图")
    ]
    assert captions[-1] == "图4 2022 年废弃矿山采坑和造林种草地块分布"


def test_half_year_report_replays_the_log(demo_root, tmp_path):
    out = tmp_path / "半年报.docx"
    r = run("report", "progress", "-c", "configs/demo.yaml", "--year", "2022", "--as-of",
            "2022-06-30", "-o", out, cwd=demo_root)  # fmt: skip
    assert r.exit_code == 0, r.output
    d = docx.Document(str(out))
    assert d.paragraphs[0].text == "2022 年上半年生态修复工作进展报告"
    facts = dict(rows(d.tables[0]))
    assert facts["统计截至"] == "2022年6月30日"


def test_controls_report_lists_every_conflict(demo_root, tmp_path):
    out = tmp_path / "冲突.docx"
    r = run("report", "controls", "-c", "configs/demo.yaml", "-o", out, cwd=demo_root)
    assert r.exit_code == 0, r.output
    d = docx.Document(str(out))
    bs = blocks(d)
    summary = pd.read_csv(demo_root / "layers" / "demo" / "results" / "controls_summary.csv",
                          encoding="utf-8-sig")  # fmt: skip
    totals = summary[summary["township"] == "total"]
    pairs = rows(table_after(bs, "控制线两两冲突汇总"))
    assert len(pairs) - 1 == len(totals)
    for row, (_i, s) in zip(pairs[1:], totals.iterrows(), strict=True):
        assert row[2] == str(int(s["conflicts"])) and row[3] == f"{s['area_mu']:,.2f}"
    assert pairs[-1][:2] == ["全部", "全部"]
    conflicts = gpd.read_file(demo_root / "layers" / "demo" / "results" / "controls.gpkg",
                              layer="conflicts")  # fmt: skip
    listed = rows(table_after(bs, "冲突图斑（序号与图中一致）"))
    assert [r[0] for r in listed[1:]] == [str(i) for i in range(1, len(conflicts) + 1)]
    assert sorted(float(r[6]) for r in listed[1:]) == sorted(conflicts["area_mu"].round(2))
    towns = list(dict.fromkeys(conflicts["township"]))
    assert len(d.inline_shapes) == 1 + len(towns)
    captions = [p.text for p in d.paragraphs if p.style.name == "Caption"]
    for town in towns:
        assert any(c.endswith(f"{town}冲突分布") for c in captions)


def test_demo_writes_the_three_reports_and_a_sheet(demo_run):
    root, output = demo_run
    results = root / "layers" / "demo" / "results"
    for kind in ("screening", "progress", "controls"):
        path = results / f"{kind}.docx"
        assert f"layers/demo/results/{kind}.docx" in output
        assert len(docx.Document(str(path)).inline_shapes) > 0
    assert "maps/controls.pdf" in output and (root / "maps" / "controls.pdf").stat().st_size > 0


# ------------------------------------------------------------------------ the template


def test_shipped_template_is_what_the_code_builds():
    from ecogis.reports.template import TEMPLATE_PATH, build_template, template_parts

    assert template_parts(TEMPLATE_PATH.read_bytes()) == template_parts(build_template())
    # and it builds the same every time (fixed dates), so a rebuild changes nothing
    assert build_template() == build_template()


def test_a_restyled_template_gives_the_document_its_look(demo_root, tmp_path):
    from docx.shared import Pt

    tpl = tmp_path / "模板.docx"
    r = run("report", "template", "-o", tpl)
    assert r.exit_code == 0, r.output
    t = docx.Document(str(tpl))
    t.styles["Heading 1"].font.size = Pt(20)
    t.sections[0].header.paragraphs[0].text = "正镶白旗自然资源局"
    t.save(str(tpl))
    out = tmp_path / "冲突.docx"
    r = run("report", "controls", "-c", "configs/demo.yaml", "-o", out, "--template", tpl,
            cwd=demo_root)  # fmt: skip
    assert r.exit_code == 0, r.output
    d = docx.Document(str(out))
    assert d.styles["Heading 1"].font.size == Pt(20)
    assert d.sections[0].header.paragraphs[0].text == "正镶白旗自然资源局"
    assert d.paragraphs[0].text == "三区三线冲突检查报告"


def test_a_template_without_the_styles_gets_them_with_a_warning(demo_root, tmp_path):
    plain = tmp_path / "plain.docx"
    docx.Document().save(str(plain))  # Word's usual styles, none of ecogis' own
    out = tmp_path / "冲突.docx"
    r = run("report", "controls", "-c", "configs/demo.yaml", "-o", out, "--template", plain,
            cwd=demo_root)  # fmt: skip
    assert r.exit_code == 0, r.output
    warning = next(line for line in r.stderr.splitlines() if "has no style" in line)
    assert "Table Text" in warning and "Opinion" in warning
    d = docx.Document(str(out))
    assert "Table Text" in {s.name for s in d.styles}
    cell = d.tables[1].rows[1].cells[0].paragraphs[0]
    assert cell.style.name == "Table Text" and cell.text == "生态保护红线"


def test_output_exists_needs_overwrite(demo_root, tmp_path):
    out = tmp_path / "r.docx"
    out.write_bytes(b"old")
    r = run("report", "controls", "-c", "configs/demo.yaml", "-o", out, cwd=demo_root)
    assert r.exit_code == 2 and "--overwrite" in r.output
    assert out.read_bytes() == b"old"


# ------------------------------------------------------------------------ Word and LibreOffice


def _soffice() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is missing in CI; tests/run.sh installs it")
        pytest.skip("LibreOffice (soffice) not installed")
    return exe


@pytest.mark.slow
def test_libreoffice_converts_every_report(demo_run, tmp_path):
    """Each report of the demo opens in LibreOffice (headless) and converts to PDF: a document
    LibreOffice cannot read gives no PDF."""
    soffice = _soffice()
    root, _output = demo_run
    docs = [root / "layers" / "demo" / "results" / f"{k}.docx" for k in ("screening", "progress",
                                                                          "controls")]  # fmt: skip
    profile = tmp_path / "lo-profile"
    r = subprocess.run(
        [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to",
         "pdf", "--outdir", str(tmp_path), *map(str, docs)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    for doc in docs:
        pdf = tmp_path / f"{doc.stem}.pdf"
        assert pdf.exists() and pdf.stat().st_size > 10_000, (doc, r.stdout, r.stderr)
        text = _pdftotext(pdf)
        first = docx.Document(str(doc)).paragraphs[0].text
        assert first.replace(" ", "") in text.replace(" ", ""), first


def _pdftotext(pdf: Path) -> str:
    exe = shutil.which("pdftotext")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("pdftotext (poppler-utils) is missing in CI")
        pytest.skip("pdftotext not installed")
    return subprocess.run([exe, str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def test_long_work_reports_its_progress(demo_root, tmp_path):
    """A report calls ``progress(done, total)`` after each figure, up to the total (the CLI's
    bar, shown on a terminal, follows these calls)."""
    from ecogis import Project, run_controls
    from ecogis.reports import write_report

    calls = []
    with Project.open(demo_root / "configs" / "demo.yaml") as project:
        with pytest.warns(EcogisWarning, match="make_valid"):  # the demo's planted bowtie
            report = run_controls(project)
        write_report("controls", report, project, tmp_path / "c.docx",
                     progress=lambda done, total: calls.append((done, total)))  # fmt: skip
    towns = report.conflicts["township"].nunique()
    assert calls == [(i, towns + 1) for i in range(1, towns + 2)]

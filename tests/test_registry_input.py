"""What clerks type is read as they mean it (issue 12's Chinese input, issue 18's hostile input).

Statuses and kinds in Chinese, dates as 2023/6/1 or 2023年6月1日, ids with a trailing space or
full-width letters, column titles in either language (a table ecogis wrote, edited in Excel,
imported again), Excel formula cells; and the values that used to crash or slip through
(an integer that overflows, a year -5000, a completed area five times the plan).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from ecogis.cli import cli
from ecogis.restoration.store import GpkgRegistry


def run(*args, ok: bool = True, env: dict | None = None):
    res = CliRunner().invoke(cli, [str(a) for a in args], env=env)
    if ok:
        assert res.exit_code == 0, res.output
    return res


@pytest.fixture
def demo_project(demo, tmp_path):
    """The demo's pits, plots and townships with a config naming them, registry built:
    ``(config, registry)``."""
    src = Path(demo.config_path).parent.parent / "layers" / "demo"
    for name in ("pits", "plots", "townships"):
        shutil.copy(src / f"{name}.gpkg", tmp_path / f"{name}.gpkg")
    cfg = tmp_path / "project.yaml"
    cfg.write_text(
        """name: 测试旗
registry: restoration.gpkg
layers:
  townships: {path: townships.gpkg, role: admin, name_field: XZQMC}
  pits: {path: pits.gpkg, role: pits, id_field: pit_id}
  plots: {path: plots.gpkg, role: plots, id_field: plot_id}
targets: {2022: {afforestation_mu: 15000, pits_km2: 1.5}}
""",
        encoding="utf-8",
    )
    run("registry", "init", "-c", cfg)
    return cfg, tmp_path / "restoration.gpkg"


def refused(res, fragment: str) -> str:
    """Exit status 2, one ``Error:`` line holding ``fragment``, no traceback."""
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.output.splitlines() if ln.startswith("Error:")]
    assert len(lines) == 1 and fragment in lines[0], res.output
    assert "Traceback" not in res.output and "run with --debug" not in res.output
    return lines[0]


# ------------------------------------------------------------------------- Chinese input


def test_chinese_status_and_date_formats(demo_project):
    cfg, reg = demo_project
    res = run("pits", "update", "ZXB-KK-035", "--status", "已治理", "--treated-m2", 130000,
              "--date", "2023年6月1日", "--by", "王工", "-c", cfg)  # fmt: skip
    assert "status in_progress -> treated" in res.output
    assert "completed_on (empty) -> 2023-06-01" in res.output
    run("pits", "update", "ZXB-KK-035", "--status", "已验收", "--date", "2023/9/1", "-c", cfg)
    run("pits", "update", "ZXB-KK-037", "--status", "治理中", "--set", "method=3",
        "--date", "2023.6.1", "-c", cfg)  # fmt: skip
    pits = GpkgRegistry(reg).load_pits(geometry=False)
    assert pits.at["ZXB-KK-035", "status"] == "accepted"
    assert pits.at["ZXB-KK-035", "accepted_on"] == "2023-09-01"
    assert pits.at["ZXB-KK-037", "method"] == "3"
    ev = GpkgRegistry(reg).events("ZXB-KK-037")
    assert ev["effective_date"].iloc[-1] == "2023-06-01"
    # plots: Chinese status and kinds (labels and short aliases), list filters too
    run("plots", "update", "ZXB-ZL-2022-002", "--status", "已完成", "--completed-mu", 1136.7,
        "--survival-rate", 0.87, "--date", "2022年10月15日", "-c", cfg)  # fmt: skip
    res = run("plots", "list", "--kind", "造林", "--status", "已完成", "--year", 2022, "-c", cfg)
    assert "ZXB-ZL-2022-002" in res.output and "ZXB-WF-" not in res.output
    res = run("plots", "list", "--kind", "封沙育林（草）", "--status", "实施中", "-c", cfg)
    assert "ZXB-WF-2022-001" in res.output and "ZXB-ZL-" not in res.output
    res = run("pits", "list", "--status", "未治理", "-c", cfg)
    assert "ZXB-KK-032" in res.output and "4 pits" in res.output
    # a status no vocabulary knows lists the allowed ones
    refused(run("pits", "update", "ZXB-KK-037", "--status", "已完工", "-c", cfg, ok=False),
            "已完工")  # fmt: skip


def test_ids_are_trimmed_and_folded_and_suggested(demo_project):
    cfg, reg = demo_project
    res = run("pits", "update", "ＺＸＢ－ＫＫ－０３５ ", "--set", "name=改名", "-c", cfg)
    assert "pit ZXB-KK-035: name" in res.output
    res = run("pits", "update", " ZXB-KK-036", "--set", "method=4", "-c", cfg)
    assert "pit ZXB-KK-036: method" in res.output
    hist = run("history", "ZXB—KK—035", "-c", cfg).output  # em dashes
    assert "pit ZXB-KK-035:" in hist
    line = refused(run("pits", "update", "ZXB-KK-07", "--set", "method=1", "-c", cfg, ok=False),
                   "unknown pit id 'ZXB-KK-07'")  # fmt: skip
    assert "(did you mean ZXB-KK-007," in line  # the same number first
    line = refused(run("history", "ZXB-ZL-2022-02", "-c", cfg, ok=False), "ZXB-ZL-2022-02")
    assert "did you mean ZXB-ZL-2022-002" in line


def _titles_to(path: Path, lang: str, cfg: Path, *args: str) -> None:
    run(*args, "--xlsx", path, "-c", cfg, env={"ECOGIS_LANG": lang})


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_listing_edited_in_excel_imports_again(demo_project, tmp_path, lang):
    """`pits list --xlsx` writes the titles (and status labels) of the interface language; a
    clerk edits it in Excel, adds a date column, and imports it."""
    cfg, reg = demo_project
    sheet = tmp_path / f"核查_{lang}.xlsx"
    _titles_to(sheet, lang, cfg, "pits", "list", "--status", "in_progress")
    # importing it unchanged changes nothing
    res = run("pits", "import", sheet, "--dry-run", "-c", cfg)
    assert "0 change(s)" in res.output
    wb = openpyxl.load_workbook(sheet)
    ws = wb.active
    header = next(r for r in range(1, 6) if ws.cell(r, 2).value)  # below the title rows
    # a unit wider than its title's column sits on a line of its own: 实地治理面积\n（m²）
    titles = [
        c.value.replace("\n（", "（").replace("\n", " ") if c.value else c.value for c in ws[header]
    ]
    zh = {"pit_id": "采坑编号", "status": "治理状态", "treated_m2": "实地治理面积（m²）"}
    en = {"pit_id": "Pit ID", "status": "Treatment status", "treated_m2": "Treated area (m²)"}
    want = zh if lang == "zh" else en
    col = {f: titles.index(t) + 1 for f, t in want.items()}
    date_col = len(titles) + 1
    ws.cell(header, date_col, "日期" if lang == "zh" else "Date")
    row = next(r for r in range(header + 1, ws.max_row + 1)
               if ws.cell(r, col["pit_id"]).value == "ZXB-KK-020")  # fmt: skip
    assert ws.cell(row, col["status"]).value == ("治理中" if lang == "zh" else "in progress")
    ws.cell(row, col["status"], "已治理" if lang == "zh" else "treated")
    ws.cell(row, col["treated_m2"], 26000)
    ws.cell(row, date_col, dt.datetime(2022, 9, 20))  # an Excel date cell
    wb.save(sheet)
    res = run("pits", "import", sheet, "--by", "核查组", "-c", cfg)
    assert "3 change(s) to 1 pits" in res.output
    pits = GpkgRegistry(reg).load_pits(geometry=False)
    p = pits.loc["ZXB-KK-020"]
    assert (p["status"], p["treated_m2"], p["completed_on"]) == ("treated", 26000.0, "2022-09-20")


def test_csv_with_chinese_titles_without_units(demo_project, tmp_path):
    cfg, reg = demo_project
    sheet = tmp_path / "造林.csv"
    pd.DataFrame({"地块编号": ["ZXB-ZL-2022-002 "], "完成面积": ["1,100"], "状态": ["实施中"],
                  "日期": ["2022/7/1"]}).to_csv(sheet, index=False)  # fmt: skip
    res = run("plots", "import", sheet, "-c", cfg, ok=False)
    refused(res, "'1,100' is not a number")
    pd.DataFrame({"地块编号": ["ZXB-ZL-2022-002 "], "完成面积": ["1100"], "状态": ["实施中"],
                  "日期": ["2022/7/1"]}).to_csv(sheet, index=False)  # fmt: skip
    res = run("plots", "import", sheet, "-c", cfg)
    assert "1 change(s) to 1 plots" in res.output
    ev = GpkgRegistry(reg).events("ZXB-ZL-2022-002")
    assert ev.iloc[-1][["field", "new", "effective_date"]].tolist() == [
        "completed_mu", "1100.0", "2022-07-01",
    ]  # fmt: skip
    # two columns for one field: refused, naming both
    pd.DataFrame({"plot_id": ["ZXB-ZL-2022-002"], "状态": ["实施中"], "status": ["completed"]}
                 ).to_csv(sheet, index=False)  # fmt: skip
    refused(
        run("plots", "import", sheet, "-c", cfg, ok=False), "'状态' and 'status' both give status"
    )


# ------------------------------------------------------------------------- formula cells


def _workbook_with_formula(path: Path, *, cached: str | None, recalc: bool) -> Path:
    """An XLSX whose treated_m2 cell is =1000+234, saved by openpyxl (no value) and, to stand
    for a file saved by Excel / WPS, rewritten with the value Excel stores and without the
    "recalculate on open" mark that openpyxl and XlsxWriter set."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["pit_id", "treated_m2"])
    ws.append(["ZXB-KK-020", "=1000+234"])
    raw = path.with_suffix(".raw.xlsx")
    wb.save(raw)
    with zipfile.ZipFile(raw) as zin, zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename).decode("utf-8")
            if item.filename == "xl/worksheets/sheet1.xml" and cached is not None:
                data = re.sub(
                    r"<f>1000\+234</f>(?:<v\s*/>|<v></v>)", f"<f>1000+234</f><v>{cached}</v>", data
                )
                assert f"<v>{cached}</v>" in data
            if item.filename == "xl/workbook.xml" and not recalc:
                data = re.sub(r'\s*fullCalcOnLoad="1"', "", data)
            zout.writestr(item, data)
    raw.unlink()
    return path


def test_formula_cells(demo_project, tmp_path):
    cfg, reg = demo_project
    before = reg.read_bytes()
    # no saved value (written by a library, never opened in Excel): refused, naming the cell
    f1 = _workbook_with_formula(tmp_path / "f1.xlsx", cached=None, recalc=True)
    line = refused(run("pits", "import", f1, "-c", cfg, ok=False), "cell B2 (treated_m2)")
    assert "=1000+234" in line
    # XlsxWriter's placeholder 0 with the recalculate mark: not a value either
    f2 = _workbook_with_formula(tmp_path / "f2.xlsx", cached="0", recalc=True)
    refused(run("pits", "import", f2, "-c", cfg, ok=False), "cell B2")
    assert reg.read_bytes() == before
    # saved by Excel: the value Excel computed is used
    f3 = _workbook_with_formula(tmp_path / "f3.xlsx", cached="1234", recalc=False)
    res = run("pits", "import", f3, "--date", "2022-09-01", "-c", cfg)
    assert "1 change(s) to 1 pits" in res.output
    assert GpkgRegistry(reg).load_pits(geometry=False).at["ZXB-KK-020", "treated_m2"] == 1234


# ------------------------------------------------------------------------- hostile values


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["pits", "update", "ZXB-KK-020", "--set", "planned_year=99999999999999999999"],
         "99999999999999999999 is too large"),
        (["pits", "update", "ZXB-KK-020", "--set", "planned_year=-5000"],
         "planned_year -5000 is not a plan year; allowed: 1949 to"),
        (["plots", "update", "ZXB-ZL-2022-002", "--set", "year=10000000000000000000000000000000"],
         "is too large"),
        (["pits", "update", "ZXB-KK-020", "--completed-on", "0001-01-01"],
         "completed_on 0001-01-01 is before 1949-01-01"),
        (["pits", "update", "ZXB-KK-020", "--set", "method=2", "--date", "1900-05-01"],
         "date 1900-05-01 is before 1949-01-01"),
        (["plots", "update", "ZXB-ZL-2022-002", "--completed-mu", "5000"],
         "completed_mu 5000 is above the planned area planned_mu 1136.7"),
        (["plots", "update", "ZXB-ZL-2022-002", "--completed-mu", "5000", "--force"],
         "--force (completed_mu above planned_mu) needs the reason: give --note"),
        (["pits", "update", "ZXB-KK-004", "--status", "in_progress", "--force"],
         "needs the reason"),
        (["pits", "note", "ZXB-KK-020", "--note", " "], "a visit needs its note"),
    ],
)  # fmt: skip
def test_hostile_values_are_refused_with_one_line(demo_project, args, fragment):
    cfg, reg = demo_project
    before = reg.read_bytes()
    refused(run(*args, "-c", cfg, ok=False), fragment)
    assert reg.read_bytes() == before


def test_forced_completed_area_records_the_reason(demo_project):
    cfg, reg = demo_project
    res = run("plots", "update", "ZXB-ZL-2022-002", "--completed-mu", "1300", "--force",
              "--note", "实测面积大于计划（补测）", "--date", "2022-10-01", "-c", cfg)  # fmt: skip
    assert "completed_mu 835.8 -> 1300" in res.output
    ev = GpkgRegistry(reg).events("ZXB-ZL-2022-002")
    assert ev.iloc[-1]["note"] == "实测面积大于计划（补测）"
    # once recorded, other fields of the plot stay editable
    run("plots", "update", "ZXB-ZL-2022-002", "--survival-rate", "0.9", "-c", cfg)


def test_a_visit_records_a_dated_note_without_a_change(demo_project):
    cfg, reg = demo_project
    before = GpkgRegistry(reg).load_pits(geometry=False)
    res = run("pits", "note", "ZXB-KK-020", "--note", "现场核查：覆土完成", "--date", "2023年5月20日",
              "--by", "王工", "-c", cfg)  # fmt: skip
    assert "note recorded on 2023-05-20 by 王工" in res.output
    pd.testing.assert_frame_equal(GpkgRegistry(reg).load_pits(geometry=False), before)
    hist = run("history", "ZXB-KK-020", "-c", cfg).output
    assert "(note)" in hist and "现场核查：覆土完成" in hist
    run("plots", "note", "ZXB-ZL-2022-002", "--note", "补植", "-c", cfg)
    # an update with nothing to change points to the note command
    res = run("pits", "update", "ZXB-KK-020", "--note", "看了一眼", "-c", cfg, ok=False)
    assert res.exit_code == 2 and "ecogis pits note" in res.output


# ------------------------------------------------------------------------- the Chinese interface


def test_messages_and_help_in_chinese(demo_project, monkeypatch):
    cfg, reg = demo_project
    monkeypatch.setenv("ECOGIS_LANG", "zh")
    res = run("pits", "update", "ZXB-KK-07", "--set", "method=1", "-c", cfg, ok=False)
    assert res.exit_code == 2
    assert "错误：未知的采坑编号 'ZXB-KK-07'（是否指 ZXB-KK-007" in res.output
    assert "Error" not in res.output and "Traceback" not in res.output
    res = run("pits", "update", "ZXB-KK-020", "--status", "已治理", "--treated-m2", 26000,
              "--date", "2022年8月30日", "--by", "王工", "-c", cfg)  # fmt: skip
    assert "采坑 ZXB-KK-020：status in_progress -> treated" in res.output
    assert "已记录 3 处修改，日期 2022-08-30，记录人 王工" in res.output
    hist = run("history", "ZXB-KK-020", "-c", cfg).output
    assert "治理状态" in hist and "已治理" in hist and "（创建）" in hist
    assert "事件日志回溯结果与表一致" in run("registry", "check", "-c", cfg).output
    helptext = run("pits", "update", "--help").output
    assert "记录对一个采坑的修改" in helptext and "示例：" in helptext


def test_every_registry_message_has_a_chinese_translation():
    """Each msgid of the registry's modules is in the Chinese catalogue, and the compiled
    catalogue is current."""
    from babel.messages.extract import extract_from_file
    from babel.messages.pofile import read_po

    from ecogis.i18n.catalog import KEYWORDS, compiled_bytes, po_path

    root = Path(__file__).resolve().parents[1] / "ecogis"
    files = [p for p in (root / "restoration").rglob("*.py") if p.name != "map.py"]
    files += [root / "cli" / f"{n}.py" for n in
              ("_registry", "pits_cmd", "plots_cmd", "history_cmd", "progress_cmd", "registry_cmd")]  # fmt: skip
    with open(po_path("zh_CN"), "rb") as fh:
        catalog = read_po(fh, locale="zh_CN")
    missing = []
    for f in files:
        for lineno, msg, _c, _x in extract_from_file("python", str(f), keywords=KEYWORDS):
            mid = msg if isinstance(msg, str) else msg[0]
            found = catalog.get(mid)
            if found is None or not found.string:
                missing.append(f"{f.name}:{lineno}: {mid[:60]!r}")
            elif "{" in mid:  # the named fields survive the translation
                fields = sorted(set(re.findall(r"\{(\w+)", mid)))
                assert sorted(set(re.findall(r"\{(\w+)", found.string))) == fields, mid
    assert not missing, missing
    mo = po_path("zh_CN").with_suffix(".mo")
    assert mo.read_bytes() == compiled_bytes("zh_CN"), "run: python3 -m ecogis.i18n compile"

"""Bad-input cases of the restoration registry (issue 16, issue 18 items 6, 7, 15).

Every case is refused with one line naming the object, field and value, and leaves the
registry (and every input) byte-identical. Built from the blocks of ``cases.py``.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import geopandas as gpd

from .cases import Built, Case, Fixtures, _dirs, _pit, _plot, _registry_case, _yaml

R = "refused"


def _update(kind: str, status: str, *args: str, where: dict | None = None):
    """``pits update`` / ``plots update`` of the first demo object with ``status``."""

    def make(inp: Path, fx: Fixtures) -> list:
        obj = _pit(fx, status, **(where or {})) if kind == "pits" else _plot(fx, status)
        oid = obj["pit_id"] if kind == "pits" else obj["plot_id"]
        return [kind, "update", oid, *args]

    return make


def _xlsx_formula(cached: str | None, recalc: bool):
    """``pits import`` of an XLSX whose treated_m2 cell is the formula =1000+234: as saved by
    a library (no value; XlsxWriter's placeholder 0 with "recalculate on open")."""
    import openpyxl

    def args(inp: Path, fx: Fixtures) -> list:
        pit = _pit(fx, "in_progress")["pit_id"]
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(["pit_id", "treated_m2"])
        ws.append([pit, "=1000+234"])
        raw = inp / "raw.xlsx"
        wb.save(raw)
        out = inp / "核查.xlsx"
        with zipfile.ZipFile(raw) as zin, zipfile.ZipFile(out, "w") as zout:
            for item in zin.infolist():
                data = zin.read(item.filename).decode("utf-8")
                if item.filename == "xl/worksheets/sheet1.xml" and cached is not None:
                    data = re.sub(
                        r"<f>1000\+234</f>(?:<v\s*/>|<v></v>)",
                        f"<f>1000+234</f><v>{cached}</v>",
                        data,
                    )
                if item.filename == "xl/workbook.xml" and not recalc:
                    data = re.sub(r'\s*fullCalcOnLoad="1"', "", data)
                zout.writestr(item, data)
        raw.unlink()
        return ["pits", "import", out, "--date", "2023-06-01"]

    return args


def _import_csv(rows: str, kind: str = "pits"):
    def args(inp: Path, fx: Fixtures) -> list:
        first = _pit(fx, "in_progress")["pit_id"]
        (inp / "updates.csv").write_text(rows.format(pit=first), encoding="utf-8-sig")
        return [kind, "import", inp / "updates.csv", "--date", "2023-06-01"]

    return args


def _init_with(change) -> callable:
    """``registry init`` of a project whose pits layer ``change(gdf)`` spoils (no registry
    is built: nothing may appear beside the inputs)."""

    def make(root: Path, fx: Fixtures) -> Built:
        inp, _out = _dirs(root)
        for name in ("pits", "plots"):
            shutil.copy(fx.demo_layers / f"{name}.gpkg", inp / f"{name}.gpkg")
        pits = gpd.read_file(inp / "pits.gpkg")
        change(pits)
        pits.to_file(inp / "pits.gpkg")
        cfg = _yaml(
            inp / "project.yaml",
            {
                "name": "测试旗",
                "registry": "reg.gpkg",
                "layers": {
                    "pits": {"path": "pits.gpkg", "role": "pits", "id_field": "pit_id"},
                    "plots": {"path": "plots.gpkg", "role": "plots", "id_field": "plot_id"},
                },
            },
        )
        return Built(["registry", "init", "-c", cfg], root)

    return make


def _set_first(field: str, value, status: str | None = None):
    def change(pits: gpd.GeoDataFrame) -> None:
        rows = pits.index[pits["status"] == status] if status else pits.index
        pits.loc[rows[0], field] = value

    return change


def _registry_note(text: str):
    def args(inp: Path, fx: Fixtures) -> list:
        return ["pits", "note", _pit(fx, "in_progress")["pit_id"], "--note", text]

    return args


CASES: list[Case] = [
    Case("pits-year-overflow", "pits update", "--set planned_year=99999999999999999999 (was an OverflowError)",
         R, "99999999999999999999 is too large",
         _registry_case(_update("pits", "in_progress", "--set", "planned_year=99999999999999999999"))),
    Case("pits-year-negative", "pits update", "--set planned_year=-5000 (was accepted)",
         R, "planned_year -5000 is not a plan year",
         _registry_case(_update("pits", "in_progress", "--set", "planned_year=-5000"))),
    Case("plots-year-far-future", "plots update", "--set year=2999", R, "year 2999 is not a plan year",
         _registry_case(_update("plots", "in_progress", "--set", "year=2999"))),
    Case("pits-date-year-one", "pits update", "--completed-on 0001-01-01 (was accepted)",
         R, "completed_on 0001-01-01 is before 1949-01-01",
         _registry_case(_update("pits", "in_progress", "--completed-on", "0001-01-01"))),
    Case("pits-date-before-1949", "pits update", "--date 1900-05-01", R, "date 1900-05-01 is before 1949-01-01",
         _registry_case(_update("pits", "in_progress", "--set", "method=2", "--date", "1900-05-01"))),
    Case("plots-completed-over-planned", "plots update", "--completed-mu far above the planned area (was accepted)",
         R, "is above the planned area planned_mu",
         _registry_case(_update("plots", "in_progress", "--completed-mu", "5000000"))),
    Case("plots-force-without-reason", "plots update", "--force without --note for a completed area above the plan",
         R, "needs the reason: give --note",
         _registry_case(_update("plots", "in_progress", "--completed-mu", "5000000", "--force"))),
    Case("pits-force-back-without-reason", "pits update", "a forced step back without --note",
         R, "needs the reason",
         _registry_case(_update("pits", "accepted", "--status", "in_progress", "--force"))),
    Case("pits-status-unknown-chinese", "pits update", "--status 已完工 (a plot's word, not a pit status)",
         R, "已完工", _registry_case(_update("pits", "in_progress", "--status", "已完工"))),
    Case("pits-id-near-miss", "pits update", "ZXB-KK-07: refused, suggesting ZXB-KK-007 first",
         R, "did you mean ZXB-KK-007",
         _registry_case(lambda inp, fx: ["pits", "update", "ZXB-KK-07", "--set", "method=1"])),
    Case("pits-note-empty", "pits note", "a visit with a blank note", R, "--note",
         _registry_case(_registry_note("  "))),
    Case("pits-date-chinese-impossible", "pits update", "--date 2023年2月30日", R, "2023年2月30日",
         _registry_case(_update("pits", "in_progress", "--set", "method=2", "--date", "2023年2月30日"))),
    Case("pits-import-formula-no-value", "pits import", "XLSX formula cell without a saved value (was read as nothing)",
         R, "cell B2 (treated_m2) is a formula (=1000+234)",
         _registry_case(_xlsx_formula(None, True))),
    Case("pits-import-formula-placeholder", "pits import", "XLSX formula with XlsxWriter's placeholder 0 (was recorded as 0)",
         R, "cell B2 (treated_m2)", _registry_case(_xlsx_formula("0", True))),
    Case("pits-import-year-overflow", "pits import", "import CSV with planned_year 1e30",
         R, "is too large", _registry_case(_import_csv("pit_id,planned_year\n{pit},1000000000000000000000000000000\n"))),
    Case("pits-import-two-columns-one-field", "pits import", "import CSV with 治理状态 and status (the same field twice)",
         R, "both give status", _registry_case(_import_csv("pit_id,治理状态,status\n{pit},已治理,treated\n"))),
    Case("registry-init-date-year-one", "registry init", "a pits layer with completed_on 0001-01-01",
         R, "completed_on 0001-01-01 is before 1949-01-01",
         _init_with(_set_first("completed_on", "0001-01-01", "treated"))),
    Case("registry-init-date-contradicts-status", "registry init", "an untreated pit with a completed_on date",
         R, "but status untreated", _init_with(_set_first("completed_on", "2022-05-01", "untreated"))),
    Case("registry-init-accepted-before-treated", "registry init", "accepted_on before completed_on in the layer",
         R, "accepted_on 2021-01-01 is before completed_on", _init_with(_set_first("accepted_on", "2021-01-01", "accepted"))),
    Case("registry-init-year-overflow", "registry init", "a pits layer with planned_year 99999",
         R, "planned_year 99999 is not a plan year", _init_with(_set_first("planned_year", 99999))),
]  # fmt: skip

__all__ = ["CASES"]

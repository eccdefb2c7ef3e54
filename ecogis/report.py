"""Tables for people: CSV (Excel-friendly UTF-8) and XLSX, written atomically."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import LayerError
from .io._atomic import atomic_path

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["write_table", "write_tables", "TABLE_SUFFIXES"]

TABLE_SUFFIXES = (".csv", ".xlsx")


def write_table(
    df: pd.DataFrame, path: str | os.PathLike, *, overwrite: bool = False, sheet: str = "ecogis"
) -> Path:
    """Write one table; the format follows the suffix.

    CSV is UTF-8 with a byte-order mark so that Excel on Chinese Windows shows 汉字
    correctly. Geometry columns are dropped (tables are for people; layers carry shapes).

    Text that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
    e.g. a site name ``=HYPERLINK(...)`` from a hostile file) stays text: XLSX cells are typed
    as strings, CSV cells get a leading ``'`` (the usual guard against formula injection).
    """
    return write_tables({sheet: df}, path, overwrite=overwrite)


def write_tables(
    tables: dict[str, pd.DataFrame], path: str | os.PathLike, *, overwrite: bool = False
) -> Path:
    """Several tables: one sheet each in XLSX; CSV takes exactly one table."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise LayerError(
            f"{path}: cannot write {suffix or 'files without suffix'} tables; allowed: {', '.join(TABLE_SUFFIXES)}"
        )
    tables = {name: _plain(df) for name, df in tables.items()}
    if suffix == ".csv" and len(tables) != 1:
        raise LayerError(f"{path}: a CSV holds one table; got {len(tables)}")
    with atomic_path(path, overwrite=overwrite) as tmp:
        if suffix == ".csv":
            (df,) = tables.values()
            _defuse_csv(df).to_csv(tmp, index=False, encoding="utf-8-sig")
        else:
            import pandas as pd

            with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
                for name, df in tables.items():
                    df.to_excel(xw, sheet_name=_sheet_name(name), index=False)
                    ws = xw.sheets[_sheet_name(name)]
                    for row in ws.iter_rows(min_row=2):
                        for cell in row:
                            if cell.data_type == "f":  # text openpyxl took for a formula
                                cell.data_type = "s"
                    for col_cells in ws.columns:
                        width = max(len(str(c.value or "")) for c in col_cells[:200])
                        ws.column_dimensions[col_cells[0].column_letter].width = min(
                            max(8, width * 1.6), 60
                        )
                    ws.freeze_panes = "A2"
    return path


def _sheet_name(name: str) -> str:
    bad = "[]:*?/\\"
    return "".join("_" if ch in bad else ch for ch in str(name))[:31] or "sheet"


def _plain(df):
    import pandas as pd

    df = pd.DataFrame(df)
    geom_cols = [c for c in df.columns if str(df[c].dtype) == "geometry"]
    return df.drop(columns=geom_cols)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _defuse_csv(df):
    """Prefix ``'`` to text cells a spreadsheet would evaluate (numbers stay numbers)."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype).startswith(("string", "str")):
            out[col] = out[col].map(_defuse_text)
    return out


def _defuse_text(value):
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        try:
            float(value)
            return value  # "-5" is a number written as text, not a formula
        except ValueError:
            return "'" + value
    return value

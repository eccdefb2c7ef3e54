"""Tables: CSV (Excel-friendly UTF-8) and XLSX written atomically; spreadsheets read for imports."""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import DataSourceError, LayerError
from ._atomic import atomic_path

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["write_table", "write_tables", "read_table", "TABLE_SUFFIXES", "IMPORT_SUFFIXES"]

TABLE_SUFFIXES = (".csv", ".xlsx")
#: what :func:`read_table` reads: spreadsheets, and the attributes of GIS layers
IMPORT_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".gpkg", ".shp", ".geojson", ".json", ".gdb")


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


def read_table(
    path: str | os.PathLike, *, sheet: str | None = None, geometry: bool = False
) -> pd.DataFrame:
    """Rows of an import file: a CSV / XLSX spreadsheet, or the attributes of a GIS layer.

    CSV is read as UTF-8 (with or without BOM), else GB18030, every cell as text. XLSX cells
    keep their types (dates as datetimes; ``sheet``: the sheet's name, default the first). A
    formula cell gives the value the spreadsheet program saved with it (Excel, WPS and
    LibreOffice save one); a formula without a saved value, or in a file marked "recalculate
    on open" (written by a library such as openpyxl or XlsxWriter, whose saved values are
    placeholders), is refused naming the cell. A GIS layer gives its attributes (``sheet``:
    the layer of a GeoPackage); with ``geometry`` also its geometry, as a GeoDataFrame whose
    geometry column is called ``geometry``.

    Raises
    ------
    DataSourceError
        Missing file, unreadable text, unknown sheet, a formula without a value, or a format
        that is not a table.
    """
    import pandas as pd

    from ..i18n import _

    path = Path(path)
    if not path.exists():
        raise DataSourceError(_("{path}: file not found").format(path=path))
    suffix = path.suffix.lower()
    if suffix == ".csv":
        for enc in ("utf-8-sig", "gb18030"):
            try:
                return pd.read_csv(path, dtype=str, encoding=enc, keep_default_na=True)
            except UnicodeDecodeError:
                continue
        raise DataSourceError(_("{path}: not UTF-8 or GB18030 text").format(path=path))
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, sheet)
    if suffix in IMPORT_SUFFIXES:
        from .vector import read_layer

        gdf = read_layer(path, layer=sheet, raw=True)
        if geometry:
            return gdf.rename_geometry("geometry") if gdf.geometry.name != "geometry" else gdf
        return pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    raise DataSourceError(
        _("{path}: cannot import {suffix}; allowed: {allowed}").format(
            path=path,
            suffix=suffix or _("files without suffix"),
            allowed=", ".join(IMPORT_SUFFIXES),
        )
    )


def _read_xlsx(path: Path, sheet: str | None) -> pd.DataFrame:
    """One sheet of a workbook: header row, then the rows (formula cells as saved values)."""
    import zipfile

    import openpyxl
    import pandas as pd

    from ..i18n import _

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl's notes on data validation, styles
            values = openpyxl.load_workbook(path, read_only=True, data_only=True)
            cells = openpyxl.load_workbook(path, read_only=True, data_only=False)
        with zipfile.ZipFile(path) as z:
            book = z.read("xl/workbook.xml").decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise DataSourceError(
            _("{path}: not a readable XLSX workbook ({error})").format(path=path, error=exc)
        ) from None
    try:
        name = sheet or values.sheetnames[0]
        if name not in values.sheetnames:
            raise DataSourceError(
                _("{path}: no sheet {sheet!r}; sheets: {sheets}").format(
                    path=path, sheet=name, sheets=", ".join(values.sheetnames)
                )
            )
        # the "recalculate when opened" mark: the values stored with formulas are placeholders
        m = re.search(r"<(?:\w+:)?calcPr\b[^>]*\bfullCalcOnLoad=\"(1|true)\"", book)
        placeholders = m is not None
        rows = []
        for row_v, row_c in zip(values[name].iter_rows(), cells[name].iter_rows(), strict=False):
            out = []
            for v, c in zip(row_v, row_c, strict=False):
                if getattr(c, "data_type", None) == "f" and (v.value is None or placeholders):
                    formula = (
                        c.value
                        if isinstance(c.value, str)
                        else str(getattr(c.value, "text", c.value))
                    )
                    header = rows[0][len(out)] if rows and len(out) < len(rows[0]) else None
                    raise DataSourceError(
                        _(
                            "{path}: sheet {sheet!r} cell {cell}{column} is a formula ({formula}) "
                            "without a saved value; open and save the file in Excel or WPS, or "
                            "type the value"
                        ).format(
                            path=path.name,
                            sheet=name,
                            cell=c.coordinate,
                            column=f" ({header})" if header is not None else "",
                            formula=formula,
                        )
                    )
                out.append(v.value)
            rows.append(out)
    finally:
        values.close()
        cells.close()
    rows = [r for r in rows if any(v is not None and str(v).strip() != "" for v in r)]
    if not rows:
        return pd.DataFrame()
    width = max(len(r) for r in rows)
    header = [
        f"Unnamed: {i}" if h is None else h
        for i, h in enumerate(rows[0] + [None] * (width - len(rows[0])))
    ]
    body = [r + [None] * (width - len(r)) for r in rows[1:]]
    df = pd.DataFrame(body, columns=header, dtype=object)
    blank = [c for c in df.columns if str(c).startswith("Unnamed: ") and df[c].isna().all()]
    return df.drop(columns=blank)

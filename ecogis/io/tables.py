"""Tables: CSV for scripts and XLSX for people, written atomically; spreadsheets read for imports.

CSV (UTF-8 with a byte-order mark, so Excel on Chinese Windows shows 汉字) keeps the column
names and every digit: scripts read it. XLSX is for people: a :class:`~ecogis.tables.PeopleTable`
per sheet, with a title row, bold frozen column titles in the interface language, numbers
kept whole in the cell and shown rounded by their number format, wrapped long text, and an
A4 landscape page set up to fit the width.

Text a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, e.g. a
site name ``=HYPERLINK(...)`` from a hostile file) stays text, in every cell and every
column title: XLSX cells are typed as strings, CSV cells get a leading ``'``. Control
characters that XLSX cannot hold are replaced, with a warning.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DataSourceError, EcogisWarning, LayerError
from ..i18n import _
from ._atomic import atomic_path

if TYPE_CHECKING:
    import pandas as pd

    from ..tables import PeopleTable

__all__ = ["write_table", "write_tables", "read_table", "TABLE_SUFFIXES", "IMPORT_SUFFIXES"]

TABLE_SUFFIXES = (".csv", ".xlsx")
#: what :func:`read_table` reads: spreadsheets, and the attributes of GIS layers
IMPORT_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".gpkg", ".shp", ".geojson", ".json", ".gdb")


def write_table(
    table: pd.DataFrame | PeopleTable,
    path: str | os.PathLike,
    *,
    overwrite: bool = False,
    sheet: str = "ecogis",
) -> Path:
    """Write one table; the format follows the suffix (see :func:`write_tables`)."""
    return write_tables({sheet: table}, path, overwrite=overwrite)


def write_tables(
    tables: Mapping[str, pd.DataFrame | PeopleTable],
    path: str | os.PathLike,
    *,
    overwrite: bool = False,
) -> Path:
    """Several tables: one sheet each in XLSX; CSV takes exactly one table.

    A :class:`~ecogis.tables.PeopleTable` becomes a sheet for people in XLSX and its source
    values (ASCII names, full precision) in CSV; a plain DataFrame is written as it is
    (geometry columns dropped).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise LayerError(
            _("{path}: cannot write {suffix} tables; allowed: {allowed}").format(
                path=path,
                suffix=suffix or _("files without suffix"),
                allowed=", ".join(TABLE_SUFFIXES),
            )
        )
    if suffix == ".csv" and len(tables) != 1:
        raise LayerError(
            _("{path}: a CSV holds one table; got {n}").format(path=path, n=len(tables))
        )
    with atomic_path(path, overwrite=overwrite) as tmp:
        if suffix == ".csv":
            (table,) = tables.values()
            from ..tables import PeopleTable

            if isinstance(table, PeopleTable):  # for scripts: the table as computed
                table = table.source if table.source is not None else table.frame
            _defuse_csv(_plain(table)).to_csv(tmp, index=False, encoding="utf-8-sig")
        else:
            _write_xlsx({name: _as_people(t) for name, t in tables.items()}, tmp, path.name)
    return path


def _as_people(table) -> PeopleTable:
    from ..tables import Column, PeopleTable, people_table

    if isinstance(table, PeopleTable):
        return table
    import pandas as pd

    df = _plain(table)
    cols = []
    for c in df.columns:
        kind = "text"  # booleans too: a plain table keeps TRUE / FALSE for formulas
        if pd.api.types.is_bool_dtype(df[c]):
            kind = "text"
        elif pd.api.types.is_integer_dtype(df[c]):
            kind = "int"
        elif pd.api.types.is_float_dtype(df[c]):
            kind = "rate"
        cols.append(Column(str(c), str(c), kind))
    return people_table(df, cols)


#: an XLSX column is at most this wide (characters); wide text wraps inside it
_MAX_WIDTH = 60
_WIDE_WIDTH = 50
_TITLE_WIDTH = 10
_NUMBER_TITLE_WIDTH = 6
# XLSX (XML 1.0) cannot hold these characters
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _write_xlsx(tables: Mapping[str, PeopleTable], tmp: Path, name: str) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.page import PageMargins

    from ..tables import KINDS, display_width

    wb = Workbook()
    wb.remove(wb.active)
    replaced: set[str] = set()
    for sheet, table in tables.items():
        ws = wb.create_sheet(_sheet_name(sheet))
        ncols = max(1, len(table.columns))
        row = 1
        if table.title:
            ws.cell(row=1, column=1, value=_clean(table.title, replaced)).font = Font(
                bold=True, size=14
            )
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
            row += 1
        if table.subtitle:
            ws.cell(row=row, column=1, value=_clean(table.subtitle, replaced))
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=ncols)
            row += 1
        header = row
        bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
        for j, title in enumerate(table.titles, start=1):
            cell = ws.cell(row=header, column=j)
            _set_text(cell, _clean(title, replaced))
            cell.font, cell.fill = bold, fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        # a title wraps in its cell: the column is as wide as its values, and the title's
        # longest word (a Chinese title may break between any two characters)
        widths = [
            min(display_width(t), _TITLE_WIDTH if KINDS[c.kind] is None else _NUMBER_TITLE_WIDTH)
            for t, c in zip(table.titles, table.columns, strict=True)
        ]
        source = table.frame.to_numpy(dtype=object).tolist()
        for k, values in enumerate(table.values()):
            row += 1
            for j, (col, value) in enumerate(zip(table.columns, values, strict=True), start=1):
                cell = ws.cell(row=row, column=j)
                spec = KINDS[col.kind]
                if isinstance(value, str):
                    _set_text(cell, _clean(value, replaced))
                    shown = value
                elif isinstance(value, _dt.date):
                    cell.value = value
                    cell.number_format = "yyyy-mm-dd"
                    shown = "0000-00-00"
                else:
                    cell.value = value
                    if spec is not None and value is not None:
                        cell.number_format = spec[1]
                    shown = "" if value is None else f"{value:,.{spec[0] if spec else 2}f}"
                if col.wide:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
                else:
                    cell.alignment = Alignment(vertical="top")
                if col.fills is not None and source[k][j - 1] in col.fills:
                    cell.fill = PatternFill("solid", fgColor=col.fills[source[k][j - 1]])
                widths[j - 1] = max(widths[j - 1], display_width(str(shown)))
        final = []
        titles = list(table.titles)
        for j, col in enumerate(table.columns, start=1):
            # the unit ending a title, （亩） or (km²), stays whole on a line of its own (a
            # bracket inside a title, 数字高程模型（30 m） share, is no unit)
            title = titles[j - 1]
            cut = max(title.rfind("（"), title.rfind(" ("))
            unit = title[cut:].strip() if cut > 0 and title.endswith(("）", ")")) else ""
            if unit:
                widths[j - 1] = max(widths[j - 1], display_width(unit))
            w = max(6, min(widths[j - 1], _WIDE_WIDTH if col.wide else _MAX_WIDTH) + 2)
            ws.column_dimensions[get_column_letter(j)].width = w
            final.append(w)
            if unit and display_width(title) > w - 2:
                titles[j - 1] = title[:cut].rstrip() + "\n" + unit
                _set_text(ws.cell(row=header, column=j), _clean(titles[j - 1], replaced))
        # spreadsheets do not grow a row for wrapped text they did not lay out themselves:
        # give each row the lines its longest wrapped cell needs
        _row_height(ws, header, titles, final, range(len(final)))
        wide = [j for j, c in enumerate(table.columns) if c.wide]
        for k, texts in enumerate(table.texts()):
            _row_height(ws, header + 1 + k, texts, final, wide)
        ws.freeze_panes = ws.cell(row=header + 1, column=1)
        ws.print_title_rows = f"{header}:{header}"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_margins = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.6)
        ws.oddFooter.center.text = _("Page &P of &N")
        if table.notes:
            row += 2
            for note in table.notes:
                _set_text(ws.cell(row=row, column=1), _clean(note, replaced))
                row += 1
    if replaced:
        warnings.warn(
            _(
                "{name}: control characters that a spreadsheet cannot hold were replaced by "
                "spaces in: {cells}"
            ).format(name=name, cells=", ".join(sorted(replaced)[:5])),
            EcogisWarning,
            stacklevel=4,
        )
    wb.save(tmp)


#: points per line of 11-point text
_LINE_PT = 15.0


def _row_height(ws, row: int, texts, widths, columns) -> None:
    """Set ``row``'s height to the lines the longest of ``columns`` wraps into."""
    import math

    from ..tables import display_width

    lines = 1
    for j in columns:
        text = str(texts[j] or "")
        room = max(1, widths[j] - 2)
        lines = max(
            lines, sum(math.ceil(max(1, display_width(p)) / room) for p in text.split("\n"))
        )
    if lines > 1:
        ws.row_dimensions[row].height = _LINE_PT * lines


def _set_text(cell, text: str) -> None:
    """A text cell that stays text (never a formula, whatever it starts with)."""
    cell.value = text
    cell.data_type = "s"


def _one_line(title: Any) -> Any:
    """A column title as typed on one line: ecogis' XLSX titles put their unit on a line of its
    own (面积\n（亩）, Area\n(mu)), and people press Alt+Enter in titles too."""
    if not isinstance(title, str) or "\n" not in title:
        return title
    title = re.sub(r"\s*\n\s*（", "（", title.replace("\r", ""))
    return re.sub(r"\s*\n\s*", " ", title).strip()


def _clean(text: Any, replaced: set[str]) -> str:
    text = str(text)
    if _ILLEGAL.search(text):
        replaced.add(repr(text[:30]))
        text = _ILLEGAL.sub(" ", text)
    return text


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
    """Prefix ``'`` to text cells and column names a spreadsheet would evaluate (numbers stay
    numbers)."""
    out = df.copy()
    out.columns = [_defuse_text(str(c)) for c in out.columns]
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


def _filled(row: list) -> int:
    return sum(v is not None and str(v).strip() != "" for v in row)


def _read_xlsx(path: Path, sheet: str | None) -> pd.DataFrame:
    """One sheet of a workbook: the column titles, then the rows (formula cells as saved
    values). Title rows above the column titles (one merged cell each, as ecogis writes its
    tables for people) are skipped: the titles are the first row with two cells or more."""
    import zipfile

    import openpyxl
    import pandas as pd

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
        placeholders = re.search(r"<(?:\w+:)?calcPr\b[^>]*\bfullCalcOnLoad=\"(1|true)\"", book)
        rows: list[list] = []
        titles: list | None = None
        for row_v, row_c in zip(values[name].iter_rows(), cells[name].iter_rows(), strict=False):
            out: list = []
            for v, c in zip(row_v, row_c, strict=False):
                if getattr(c, "data_type", None) == "f" and (v.value is None or placeholders):
                    formula = (
                        c.value if isinstance(c.value, str) else getattr(c.value, "text", c.value)
                    )
                    title = titles[len(out)] if titles and len(out) < len(titles) else None
                    raise DataSourceError(
                        _(
                            "{path}: sheet {sheet!r} cell {cell}{column} is a formula ({formula}) "
                            "without a saved value; open and save the file in Excel or WPS, or "
                            "type the value"
                        ).format(
                            path=path.name,
                            sheet=name,
                            cell=c.coordinate,
                            column=f" ({title})" if title is not None else "",
                            formula=formula,
                        )
                    )
                out.append(v.value)
            if titles is None and _filled(out) >= 2:
                titles = out
            rows.append(out)
    finally:
        values.close()
        cells.close()
    rows = [r for r in rows if _filled(r)]
    if not rows:
        return pd.DataFrame()
    start = next((i for i, r in enumerate(rows) if _filled(r) >= 2), 0)
    rows = rows[start:]
    width = max(len(r) for r in rows)
    head = rows[0] + [None] * (width - len(rows[0]))
    header = [f"Unnamed: {i}" if h is None else _one_line(h) for i, h in enumerate(head)]
    body = [r + [None] * (width - len(r)) for r in rows[1:]]
    df = pd.DataFrame(body, columns=header, dtype=object)
    blank = [c for c in df.columns if str(c).startswith("Unnamed: ") and df[c].isna().all()]
    return df.drop(columns=blank)

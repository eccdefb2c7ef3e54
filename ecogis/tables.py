"""Tables for people: titles in the interface language, values labelled, numbers rounded as
people report them.

A job turns its result into a :class:`PeopleTable` (``ecogis.controls.tables`` ...): the
source frame keeps its values (a spreadsheet cell keeps the full number and shows it rounded
by its number format), each :class:`Column` says what the column holds (its ``kind``: mu, km²,
percent ...) and how people call it. :func:`ecogis.io.tables.write_people_xlsx` writes it as a
printable XLSX sheet and :func:`format_text` lays it out for an 80-column terminal.

Files for scripts (CSV, GPKG) never go through here: they keep ASCII names and full precision.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .i18n import _

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["KINDS", "Column", "PeopleTable", "people_table", "format_text", "display_width"]

#: column kind -> (decimals shown, XLSX number format); None: not a number
KINDS: Mapping[str, tuple[int, str] | None] = {
    "text": None,
    "date": None,
    "bool": None,
    "int": (0, "#,##0"),
    "m2": (2, "#,##0.00"),
    "mu": (2, "#,##0.00"),
    "ha": (4, "#,##0.0000"),
    "km2": (4, "#,##0.0000"),
    "wanmu": (4, "#,##0.0000"),
    "pct": (1, '0.0"%"'),  # a number of percent (96.1)
    "share": (1, "0.0%"),  # a share 0-1 shown as percent (0.961 -> 96.1%)
    "deg": (1, "0.0"),
    "m": (1, "#,##0.0"),
    "rate": (2, "0.00"),
    "ndvi": (3, "0.000"),
}


@dataclass(frozen=True)
class Column:
    """One column of a table for people.

    Attributes
    ----------
    name : str
        The column of the source frame.
    title : str
        Its title (an ``N_()`` msgid, translated when shown).
    kind : str
        A key of :data:`KINDS`: how the value is shown.
    labels : mapping, optional
        Value -> msgid (statuses, verdicts, kinds): shown translated.
    wide : bool
        Long text (reasons): wrapped, in a wide column.
    fills : mapping, optional
        Value -> background colour (``"E2EFDA"``) of the cell in a spreadsheet (verdicts).
    """

    name: str
    title: str
    kind: str = "text"
    labels: Mapping[Any, str] | None = None
    wide: bool = False
    fills: Mapping[Any, str] | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(
                f"Column {self.name}: unknown kind {self.kind!r}; allowed: {list(KINDS)}"
            )


@dataclass
class PeopleTable:
    """A table as people read it (see the module docstring).

    ``frame`` holds the source values of ``columns`` (in order); ``title`` and ``subtitle``
    (project, date, year...) head the sheet; ``source`` is the frame as computed.
    """

    frame: pd.DataFrame
    columns: list[Column]
    title: str = ""
    subtitle: str = ""
    notes: list[str] = field(default_factory=list)
    #: the frame as computed, every column (what a CSV for scripts holds)
    source: pd.DataFrame | None = None

    @property
    def titles(self) -> list[str]:
        return [_(c.title) for c in self.columns]

    def values(self) -> list[list[Any]]:
        """Cell values, row by row: labels translated, numbers kept as numbers."""
        out = []
        for row in self.frame.itertuples(index=False):
            out.append([_cell(c, v) for c, v in zip(self.columns, row, strict=True)])
        return out

    def texts(self) -> list[list[str]]:
        """Cell texts, rounded as people report them (for the terminal)."""
        return [
            [_text(c, v) for c, v in zip(self.columns, row, strict=True)] for row in self.values()
        ]


def people_table(
    frame: pd.DataFrame,
    columns: Sequence[Column],
    *,
    title: str = "",
    subtitle: str = "",
    notes: Sequence[str] = (),
    drop_empty: bool = True,
) -> PeopleTable:
    """The columns of ``frame`` that ``columns`` names (those it has), for people; with
    ``drop_empty`` a column with no value at all (a target nobody set) is left out."""
    present = [c for c in columns if c.name in frame.columns]
    if drop_empty and len(frame):
        present = [c for c in present if frame[c.name].notna().any()]
    sub = frame[[c.name for c in present]].reset_index(drop=True)
    return PeopleTable(
        sub, present, title=title, subtitle=subtitle, notes=list(notes), source=frame
    )


def _missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        return bool(v != v)  # NaN, NaT, pd.NA
    except (TypeError, ValueError):
        return False


def _cell(col: Column, v: Any) -> Any:
    if _missing(v):
        return None
    if col.labels is not None:
        text = col.labels.get(v)
        return _(text) if text is not None else v
    if col.kind == "bool":
        return _("yes") if bool(v) else ""
    if KINDS[col.kind] is not None:
        try:
            f = float(v)
        except (TypeError, ValueError):
            return v
        if not math.isfinite(f):
            return None
        return int(f) if col.kind == "int" and f.is_integer() else f
    if col.kind == "date":
        if isinstance(v, (_dt.date, _dt.datetime)):
            return v if not isinstance(v, _dt.datetime) else v.date()
        try:
            return _dt.date.fromisoformat(str(v)[:10])
        except ValueError:
            return str(v)
    return v


def _text(col: Column, v: Any) -> str:
    if v is None:
        return ""
    spec = KINDS[col.kind]
    if spec is None or not isinstance(v, (int, float)) or isinstance(v, bool):
        return v.isoformat() if isinstance(v, _dt.date) else str(v)
    digits = spec[0]
    if col.kind == "share":
        return f"{100 * v:.{digits}f}%"
    if col.kind == "pct":
        return f"{v:.{digits}f}%"
    return f"{v:,.{digits}f}"


# ------------------------------------------------------------------------ the terminal


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal (Chinese characters take two)."""
    from wcwidth import wcswidth

    w = wcswidth(text)
    return w if w >= 0 else len(text)


def _wrap(text: str, width: int) -> list[str]:
    """``text`` cut into lines of at most ``width`` columns (at spaces when it has them)."""
    lines: list[str] = []
    for para in str(text).split("\n") or [""]:
        line, line_w = "", 0
        for token in _tokens(para):
            w = display_width(token)
            if token in _NO_LINE_START and line:
                # Chinese typesetting: a comma or closing bracket never starts a line; it
                # hangs at the end of the line before
                line, line_w = line + token, line_w + w
                continue
            if line_w + w > width and line:
                lines.append(line.rstrip())
                line, line_w = "", 0
                if token == " ":
                    continue
            while w > width:  # a token wider than the column: cut it by characters
                cut, cut_w = "", 0
                for ch in token:
                    cw = display_width(ch)
                    if cut_w + cw > width:
                        break
                    cut, cut_w = cut + ch, cut_w + cw
                lines.append(cut)
                token = token[len(cut) :]
                w = display_width(token)
            line, line_w = line + token, line_w + w
        lines.append(line.rstrip())
    return lines or [""]


#: characters that may not start a line (they hang at the end of the line before)
_NO_LINE_START = set("，。、：；！？）】》」』％,.:;!?)%")


def _tokens(text: str) -> list[str]:
    """Words and spaces; each CJK character on its own (a line may break between them)."""
    out: list[str] = []
    word = ""
    for ch in text:
        if ch == " " or display_width(ch) == 2:
            if word:
                out.append(word)
                word = ""
            out.append(ch)
        else:
            word += ch
    if word:
        out.append(word)
    return out


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * max(0, width - display_width(text))
    return gap + text if right else text + gap


#: a wide (text) column is wrapped at this many terminal columns
WIDE_COLUMN = 40


def format_text(table: PeopleTable, *, width: int = 80, limit: int | None = None) -> str:
    """The table laid out for a terminal ``width`` columns wide.

    Columns line up by display width; long text wraps inside its column; a table wider than
    the terminal is split into blocks of columns that fit, each repeating the leading text
    columns that name the row (the township and kind, the ID). A header is never broken. At
    most ``limit`` rows.
    """
    titles = table.titles
    rows = table.texts()
    if limit is not None:
        rows = rows[:limit]
    numeric = [KINDS[c.kind] is not None and c.labels is None for c in table.columns]
    widths = []
    for j, col in enumerate(table.columns):
        cell_w = max((display_width(r[j]) for r in rows), default=0)
        w = max(display_width(titles[j]), min(cell_w, WIDE_COLUMN) if col.wide else cell_w)
        widths.append(w)
    gap = 2
    # wide columns take what the terminal has to spare (up to their longest text)
    spare = width - (sum(widths) + gap * max(0, len(widths) - 1))
    for j, col in enumerate(table.columns):
        if col.wide and spare > 0:
            full = max((display_width(r[j]) for r in rows), default=0)
            grow = min(spare, max(0, full - widths[j]))
            widths[j] += grow
            spare -= grow
    # the leading text columns name the row (township and kind, site ID and verdict): each
    # block repeats them, at most three and half the width
    keys = 1 if widths else 0
    while (
        keys < min(3, len(widths) - 1)
        and not numeric[keys]
        and not table.columns[keys].wide
        and sum(widths[: keys + 1]) + gap * keys <= width // 2
    ):
        keys += 1
    key_w = sum(widths[:keys]) + gap * max(0, keys - 1)
    blocks: list[list[int]] = []
    current: list[int] = []
    used = 0
    for j in range(len(widths)):
        need = widths[j] + (gap if current else 0)
        if current and used + need > width and j >= keys:
            blocks.append(current)
            current, used = list(range(keys)), key_w  # repeat the key columns
            need = widths[j] + gap
        current.append(j)
        used += need
    if current:
        blocks.append(current)
    out: list[str] = []
    for b, cols in enumerate(blocks):
        if b:
            out.append("")
        head = (" " * gap).join(_pad(titles[j], widths[j], numeric[j]) for j in cols)
        out.append(head.rstrip())
        out.append((" " * gap).join("-" * widths[j] for j in cols))
        for r in rows:
            cells = [_wrap(r[j], widths[j]) if table.columns[j].wide else [r[j]] for j in cols]
            for k in range(max(len(c) for c in cells)):
                parts = [
                    _pad(c[k] if k < len(c) else "", widths[j], numeric[j])
                    for j, c in zip(cols, cells, strict=True)
                ]
                out.append((" " * gap).join(parts).rstrip())
    return "\n".join(out)

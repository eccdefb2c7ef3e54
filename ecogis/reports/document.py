"""A Word document built on a template: title block, headings, paragraphs, tables for people,
figures with numbered captions; written atomically.

Tables come from :class:`~ecogis.tables.PeopleTable` (the XLSX and terminal tables of each
job): the same column titles, the same rounding (亩 0.01, km² 0.0001, percent 0.1), numbers
right-aligned, the title row repeated on every page. Captions follow Chinese practice: a
table's above it (表 1 ...), a figure's below it (图 1 ...).
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import os
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import EcogisError, EcogisWarning
from ..i18n import _
from .model import STYLES
from .template import _CUSTOM, _PARAGRAPHS, TEMPLATE_PATH

if TYPE_CHECKING:
    from ..tables import PeopleTable

__all__ = ["ReportDocument", "TemplateError", "TEXT_WIDTH_CM", "check_template"]

#: text width of the default template's page (21 cm less the margins)
TEXT_WIDTH_CM = 15.6
#: table header shading
_HEAD_FILL = "D9D9D9"


class TemplateError(EcogisError, ValueError):
    """A ``--template`` that is not a Word document python-docx can open."""

    exit_code = 2


def check_template(template: str | os.PathLike | None) -> None:
    """Refuse a ``--template`` that cannot be used, before any work (see :class:`ReportDocument`)."""
    if template is not None:
        with warnings.catch_warnings():  # missing styles are warned about when it is used
            warnings.simplefilter("ignore", EcogisWarning)
            ReportDocument(template)


class ReportDocument:
    """A document being written.

    Parameters
    ----------
    template : path, optional
        A ``.docx`` whose styles, page and header / footer the document takes (its body text
        is not kept); default the shipped template. Styles it lacks are added with the
        default look, with a warning naming them.
    """

    def __init__(self, template: str | os.PathLike | None = None):
        import docx

        path = Path(template) if template is not None else TEMPLATE_PATH
        if template is not None:
            if not path.is_file():
                raise TemplateError(_("{path}: template not found").format(path=path))
            if path.suffix.lower() not in (".docx", ".dotx"):
                raise TemplateError(
                    _("{path}: a template is a Word .docx (or .dotx) file").format(path=path)
                )
        try:
            self.doc = docx.Document(str(path))
        except Exception as exc:  # zip / XML errors: the file is not a Word document
            raise TemplateError(
                _("{path}: not a Word document ({error})").format(
                    path=path, error=type(exc).__name__
                )
            ) from None
        self._clear_body()
        self._ensure_styles(str(path))
        self.figures = 0
        self.tables = 0
        section = self.doc.sections[-1]
        width = (section.page_width or 0) - (section.left_margin or 0) - (section.right_margin or 0)
        self.text_width_cm = width / 360000 if width > 0 else TEXT_WIDTH_CM

    # ------------------------------------------------------------------ template

    def _clear_body(self) -> None:
        """Remove the template's body text, keep its page setup (the last ``sectPr``)."""
        from docx.oxml.ns import qn

        body = self.doc.element.body
        for child in list(body):
            if child.tag != qn("w:sectPr"):
                body.remove(child)

    def _ensure_styles(self, where: str) -> None:
        """Add the styles a document needs that the template lacks (a warning names them)."""
        from docx.enum.style import WD_STYLE_TYPE
        from docx.shared import Pt

        names = {s.name for s in self.doc.styles}
        missing = [STYLES[k] for k in _PARAGRAPHS if STYLES[k] not in names]
        for key in _PARAGRAPHS:
            name = STYLES[key]
            if name in names:
                continue
            style = self.doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            east, latin, size, bold, *_rest = _PARAGRAPHS[key]
            from .template import _set_fonts

            _set_fonts(style, east, latin)
            style.font.size = Pt(size)
            style.font.bold = bold
            if key in _CUSTOM or key == "body":
                style.paragraph_format.first_line_indent = Pt(0)
        if STYLES["table"] not in names:
            missing.append(STYLES["table"])
        if missing:
            warnings.warn(
                _("{path}: the template has no style {styles}; added with the default look").format(
                    path=where, styles=", ".join(missing)
                ),
                EcogisWarning,
                stacklevel=3,
            )

    # ------------------------------------------------------------------ text

    def title(self, text: str, subtitle: str | None = None) -> None:
        self.doc.add_paragraph(text, style=STYLES["title"])
        if subtitle:
            self.doc.add_paragraph(subtitle, style=STYLES["subtitle"])

    def heading(self, text: str, level: int = 1, *, new_page: bool = False) -> None:
        """A heading; ``new_page`` starts a page with it."""
        p = self.doc.add_paragraph(text, style=STYLES[f"heading{level}"])
        if new_page:
            p.paragraph_format.page_break_before = True

    def paragraph(self, text: str = "", *, style: str = "body", bold_lead: str | None = None):
        """A paragraph; ``bold_lead`` is a bold phrase before ``text`` (``审查意见：``)."""
        p = self.doc.add_paragraph(style=STYLES[style])
        if bold_lead:
            p.add_run(bold_lead).bold = True
        if text:
            p.add_run(text)
        return p

    def note(self, text: str) -> None:
        self.paragraph(text, style="note")

    def page_break(self) -> None:
        from docx.enum.text import WD_BREAK

        p = self.doc.add_paragraph(style=STYLES["figure"])
        p.add_run().add_break(WD_BREAK.PAGE)

    # ------------------------------------------------------------------ tables

    def key_values(
        self, rows: Sequence[tuple[str, str]], *, caption: str | None = None, key_cm: float = 3.2
    ) -> None:
        """A two-column table of facts (项目, 日期, 坐标系 ...), keys shaded."""
        from docx.shared import Cm

        if caption:
            self.tables += 1
            self.doc.add_paragraph(
                _("Table {n} {title}").format(n=self.tables, title=caption),
                style=STYLES["caption"],
            )
        table = self.doc.add_table(rows=0, cols=2)
        table.style = self.doc.styles[STYLES["table"]]
        table.autofit = False
        widths = (Cm(key_cm), Cm(self.text_width_cm - key_cm))
        for key, value in rows:
            cells = table.add_row().cells
            for cell, text, w in zip(cells, (key, value), widths, strict=True):
                cell.width = w
                cell.paragraphs[0].style = self.doc.styles[STYLES["cell"]]
                cell.paragraphs[0].add_run(str(text))
            _shade(cells[0], _HEAD_FILL)
            cells[0].paragraphs[0].runs[0].bold = True
        for col, w in zip(table.columns, widths, strict=True):
            col.width = w
        self._space()

    def single_row(self, people: PeopleTable, *, caption: str | None = None) -> None:
        """A table of one row (totals) turned on its side: a title and a value per line."""
        (texts,) = people.texts() or [[""] * len(people.columns)]
        rows = [(t, v) for t, v in zip(people.titles, texts, strict=True)]
        self.key_values(rows, caption=caption, key_cm=6.0)

    def table(
        self,
        people: PeopleTable,
        *,
        caption: str | None = None,
        font_pt: float | None = None,
        empty: str | None = None,
    ):
        """A people table (titles, labelled values, rounded numbers) under a numbered
        caption; ``empty`` is said instead when it has no rows. Returns the docx table."""
        from docx.enum.table import WD_TABLE_ALIGNMENT
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Cm, Pt

        from ..tables import KINDS

        if caption:
            self.tables += 1
            self.doc.add_paragraph(
                _("Table {n} {title}").format(n=self.tables, title=caption),
                style=STYLES["caption"],
            )
        texts = people.texts()
        if not texts and empty:
            self.paragraph(empty, style="note")
            return None
        titles = people.titles
        cols = people.columns
        numeric = [KINDS[c.kind] is not None and c.labels is None for c in cols]
        size = font_pt or (10.5 if len(cols) <= 6 else 9.0 if len(cols) <= 9 else 7.5)
        widths, size = _column_widths(titles, texts, cols, size, self.text_width_cm)
        widths = [Cm(w) for w in widths]

        table = self.doc.add_table(rows=1, cols=len(cols))
        table.style = self.doc.styles[STYLES["table"]]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        head = table.rows[0]
        _repeat_header(head)
        for j, cell in enumerate(head.cells):
            cell.width = widths[j]
            p = cell.paragraphs[0]
            p.style = self.doc.styles[STYLES["cell_head"]]
            p.add_run(titles[j]).font.size = Pt(size)
            _shade(cell, _HEAD_FILL)
        for r in texts:
            row = table.add_row()
            _keep_together(row)
            cells = row.cells
            for j, cell in enumerate(cells):
                cell.width = widths[j]
                p = cell.paragraphs[0]
                p.style = self.doc.styles[STYLES["cell"]]
                if numeric[j]:
                    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                p.add_run(r[j]).font.size = Pt(size)
        for col, w in zip(table.columns, widths, strict=True):
            col.width = w
        for note in people.notes:
            self.note(note)
        self._space()
        return table

    def _space(self) -> None:
        """An empty line after a table (Word glues two adjacent tables into one)."""
        self.doc.add_paragraph(style=STYLES["note"])

    # ------------------------------------------------------------------ figures

    def figure(self, png: bytes, caption: str, *, width_cm: float | None = None) -> None:
        """A picture (PNG bytes) across the text width, its numbered caption below."""
        from docx.shared import Cm

        self.figures += 1
        p = self.doc.add_paragraph(style=STYLES["figure"])
        p.paragraph_format.keep_with_next = True
        p.add_run().add_picture(io.BytesIO(png), width=Cm(width_cm or self.text_width_cm))
        self.doc.add_paragraph(
            _("Figure {n} {title}").format(n=self.figures, title=caption),
            style=STYLES["caption"],
        )

    # ------------------------------------------------------------------ saving

    def properties(self, *, title: str, author: str | None, subject: str = "") -> None:
        core = self.doc.core_properties
        now = _dt.datetime.now().replace(microsecond=0)
        core.title = title
        core.subject = subject
        core.author = author or "ecogis"
        core.last_modified_by = author or "ecogis"
        core.comments = _("written by ecogis")
        core.created = core.modified = now
        core.revision = 1

    def save(self, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
        """Write the document to ``path`` atomically (the old file stays until it is done)."""
        from ..io._atomic import atomic_path

        path = Path(path)
        with atomic_path(path, overwrite=overwrite) as tmp:
            self.doc.save(str(tmp))
        return path


def _shade(cell: Any, fill: str) -> None:
    """Background of a table cell (``w:shd`` in its properties, in schema order)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tcpr = cell._tc.get_or_add_tcPr()
    for old in tcpr.findall(qn("w:shd")):
        tcpr.remove(old)
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    # CT_TcPr order: tcW, gridSpan, hMerge, vMerge, tcBorders, shd, noWrap, tcMar, ...
    later = {qn(f"w:{t}") for t in ("noWrap", "tcMar", "textDirection", "tcFitText", "vAlign",
                                     "hideMark")}  # fmt: skip
    for i, child in enumerate(tcpr):
        if child.tag in later:
            tcpr.insert(i, shd)
            return
    tcpr.append(shd)


def _repeat_header(row: Any) -> None:
    """Repeat this row at the top of each page the table runs onto."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    trpr.append(el)


def _keep_together(row: Any) -> None:
    """A row is never split across two pages."""
    from docx.oxml import OxmlElement

    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


#: cm a cell needs around its text (LibreOffice and Word pad cells by about 0.19 cm a side)
_CELL_PAD_CM = 0.42
_ASCII_RUN = re.compile(r"[^\s\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]+")


def _column_widths(
    titles: Sequence[str], texts: Sequence[Sequence[str]], cols, size: float, width_cm: float
) -> tuple[list[float], float]:
    """Column widths (cm) that fit ``width_cm``, and the font size that makes them fit.

    Each column gets at least what its longest word needs (``PV-01``, ``4,500.00``: Latin
    text breaks only at spaces, Chinese between any two characters) and a title on at most
    two lines; what is left goes to the columns whose text is longer, in proportion.
    """
    from ..tables import display_width

    def word(text: str) -> int:
        # a Latin letter or digit takes about 0.6 em in the fonts tables use, not half
        return max((math.ceil(display_width(w) * 1.2) for w in _ASCII_RUN.findall(text)), default=0)

    mins, wants = [], []
    for j, col in enumerate(cols):
        cells = [r[j] for r in texts]
        longest = max((display_width(t) for t in cells), default=0)
        title = titles[j]
        need = max([word(t) for t in cells] + [word(title), 2])
        tw = display_width(title)
        # a short title stays on one line, a long one takes two
        need = max(need, tw if tw <= 8 else -(-tw // 2), min(longest, 8))
        mins.append(need)
        wants.append(max(need, min(longest, 70 if col.wide else 24), display_width(title)))
    while True:
        cm_per = size / 72 * 2.54 / 2  # one display column (half an em)
        base = [m * cm_per + _CELL_PAD_CM for m in mins]
        spare = width_cm - sum(base)
        if spare >= 0 or size <= 6.5:
            break
        size -= 0.5
    extra = [(w - m) * cm_per for w, m in zip(wants, mins, strict=True)]
    grow = sum(extra)
    if spare <= 0 or grow <= 0:
        widths = base
    elif grow <= spare:  # every column as wide as it wants; the rest shared out evenly
        widths = [b + e + (spare - grow) / len(base) for b, e in zip(base, extra, strict=True)]
    else:  # long text (reasons, bases) first: it has the most lines to lose
        weights = [e * (2.0 if c.wide else 1.0) for e, c in zip(extra, cols, strict=True)]
        total = sum(weights)
        widths = [
            b + min(e, spare * w / total) for b, e, w in zip(base, extra, weights, strict=True)
        ]
        left = width_cm - sum(widths)  # what a capped column did not take
        if left > 0:
            widths = [w + left / len(widths) for w in widths]
    return widths, size

"""The default Word template of ecogis documents, made by code.

``ecogis/reports/templates/default.docx`` is what :func:`build_template` makes (a test checks
that the shipped file holds exactly the parts it builds); rebuild it after changing a style::

    python3 -m ecogis.reports.template

The template holds the page (A4, margins of a Chinese report), the page number in the footer
(``— 1 —``) and the styles a document uses (:data:`~ecogis.reports.model.STYLES`): 黑体 titles
and first-level headings, 楷体 second-level headings, 宋体 body text indented by two
characters, 五号 table text, 黑体 captions. A bureau restyles it in Word or WPS (fonts, sizes,
spacing, a letterhead in the header) keeping the style names, and passes it with
``--template FILE.docx``; ``ecogis report template -o FILE.docx`` writes a copy to start from.
"""

from __future__ import annotations

import datetime as _dt
import io
import zipfile
from pathlib import Path

from .model import STYLES

__all__ = ["TEMPLATE_PATH", "build_template", "template_parts", "write_template_file"]

#: the shipped default template
TEMPLATE_PATH = Path(__file__).resolve().parent / "templates" / "default.docx"

#: a fixed date for the template's properties and zip entries (the file must not change
#: from one build to the next)
_FIXED = _dt.datetime(2024, 1, 1, 0, 0, 0, tzinfo=_dt.timezone.utc)

#: style -> (East Asian font, Latin font, size pt, bold, alignment, first-line indent in
#: characters, space before / after pt, line spacing multiple)
_PARAGRAPHS = {
    "body": ("宋体", "Times New Roman", 12, False, "justify", 2, 0, 0, 1.5),
    "title": ("黑体", "Arial", 22, False, "center", 0, 12, 12, 1.2),
    "subtitle": ("楷体", "Times New Roman", 15, False, "center", 0, 0, 18, 1.2),
    "heading1": ("黑体", "Arial", 16, False, "left", 0, 12, 6, 1.3),
    "heading2": ("楷体", "Times New Roman", 15, True, "left", 0, 10, 4, 1.3),
    "heading3": ("宋体", "Times New Roman", 12, True, "left", 0, 6, 3, 1.3),
    "caption": ("黑体", "Arial", 10.5, False, "center", 0, 3, 6, 1.0),
    "cell": ("宋体", "Times New Roman", 10.5, False, "left", 0, 0, 0, 1.0),
    "cell_head": ("黑体", "Arial", 10.5, False, "center", 0, 0, 0, 1.0),
    "note": ("宋体", "Times New Roman", 10.5, False, "justify", 0, 0, 3, 1.2),
    "opinion": ("仿宋", "Times New Roman", 12, True, "justify", 2, 3, 3, 1.5),
    "figure": ("宋体", "Times New Roman", 12, False, "center", 0, 6, 0, 1.0),
}
#: styles the template adds (Word has no built-in style of that name)
_CUSTOM = ("cell", "cell_head", "note", "opinion", "figure")


def _set_fonts(style, east_asia: str, latin: str) -> None:
    """Latin and East Asian fonts of a style, theme fonts removed (they would win)."""
    from docx.oxml.ns import qn

    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    for attr in list(fonts.attrib):
        if attr.endswith("Theme"):
            del fonts.attrib[attr]
    for key, value in (("ascii", latin), ("hAnsi", latin), ("eastAsia", east_asia), ("cs", latin)):
        fonts.set(qn(f"w:{key}"), value)


def _clear_borders(style) -> None:
    """Drop the paragraph borders of a style (python-docx's Title has a blue rule)."""
    from docx.oxml.ns import qn

    ppr = style.element.find(qn("w:pPr"))
    if ppr is not None:
        for el in ppr.findall(qn("w:pBdr")):
            ppr.remove(el)


def _page_number_footer(section) -> None:
    """``— PAGE —`` centred in the footer (the field Word and LibreOffice fill in)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    footer = section.footer
    p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.first_line_indent = Pt(0)

    def run(text: str | None = None, field: str | None = None):
        r = p.add_run(text or "")
        r.font.size = Pt(10.5)
        if field is not None:
            for kind in ("begin", None, "separate", "end"):
                if kind is None:
                    instr = OxmlElement("w:instrText")
                    instr.set(qn("xml:space"), "preserve")
                    instr.text = field
                    r._r.append(instr)
                    continue
                fc = OxmlElement("w:fldChar")
                fc.set(qn("w:fldCharType"), kind)
                r._r.append(fc)
                if kind == "separate":
                    t = OxmlElement("w:t")
                    t.text = "1"
                    r._r.append(t)
        return r

    run("— ")
    run(field=" PAGE ")
    run(" —")


def build_template() -> bytes:
    """The default template as ``.docx`` bytes (the same bytes on every call)."""
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.shared import Cm, Pt, RGBColor

    doc = docx.Document()
    # python-docx's own thumbnail (a picture of its sample page) is not ours to ship
    pkg = doc.part.package
    for rid, rel in list(pkg.rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            del pkg.rels[rid]
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(2.5), Cm(2.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    section.header_distance, section.footer_distance = Cm(1.5), Cm(1.75)
    _page_number_footer(section)

    aligns = {
        "left": WD_ALIGN_PARAGRAPH.LEFT,
        "center": WD_ALIGN_PARAGRAPH.CENTER,
        "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
    }
    styles = doc.styles
    for key, (
        east,
        latin,
        size,
        bold,
        align,
        indent,
        before,
        after,
        spacing,
    ) in _PARAGRAPHS.items():
        name = STYLES[key]
        if key in _CUSTOM:
            style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            style.base_style = styles["Normal"]
            style.quick_style = True
        else:
            style = styles[name]
        _set_fonts(style, east, latin)
        _clear_borders(style)
        font = style.font
        font.size = Pt(size)
        font.bold = bold
        font.italic = False
        font.color.rgb = RGBColor(0, 0, 0)
        pf = style.paragraph_format
        pf.alignment = aligns[align]
        pf.first_line_indent = Pt(size * indent) if indent else Pt(0)
        pf.left_indent = Pt(0)
        pf.space_before, pf.space_after = Pt(before), Pt(after)
        pf.line_spacing = spacing
        if key.startswith("heading") or key in ("title", "caption", "cell_head"):
            pf.keep_with_next = True
    core = doc.core_properties
    core.title = ""
    core.author = "ecogis"
    core.comments = "ecogis report template"
    core.last_modified_by = "ecogis"
    core.revision = 1
    core.created = core.modified = _FIXED.replace(tzinfo=None)
    buf = io.BytesIO()
    doc.save(buf)
    return _stable_zip(buf.getvalue())


def _stable_zip(data: bytes) -> bytes:
    """The same zip with fixed dates and order, so that equal parts give equal bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def template_parts(data: bytes) -> dict[str, bytes]:
    """Part name -> content of a ``.docx`` (what two templates are compared by)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in sorted(z.namelist())}


def write_template_file(path: Path = TEMPLATE_PATH) -> Path:
    """(Re)write the shipped template (``python3 -m ecogis.reports.template``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(build_template())
    return path


if __name__ == "__main__":  # pragma: no cover - a maintainer's command
    print(write_template_file())

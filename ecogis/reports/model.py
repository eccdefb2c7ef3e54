"""Vocabulary of documents and map sheets: paper sizes, suffixes, fonts, style names.

Cheap to import (no matplotlib, no python-docx): the command line reads its choices here.
"""

from __future__ import annotations

from ..i18n import N_

__all__ = [
    "REPORT_KINDS",
    "MAP_KINDS",
    "PAPERS",
    "SHEET_SUFFIXES",
    "REPORT_SUFFIXES",
    "SHEET_DPI",
    "FIGURE_DPI",
    "CJK_FONTS",
    "STYLES",
    "REPORT_TITLES",
    "SCALE_STEPS",
]

#: the documents ``ecogis report`` writes, one per job
REPORT_KINDS = ("screening", "progress", "controls")
#: the jobs a map sheet (``ecogis map KIND -o FILE.pdf``) is drawn for
MAP_KINDS = ("controls", "progress", "screening")

#: paper -> (width, height) in millimetres, portrait (ISO 216)
PAPERS = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
#: map sheets: a PDF (vector, prints at any size) or a PNG (a picture at ``--dpi``)
SHEET_SUFFIXES = (".pdf", ".png")
REPORT_SUFFIXES = (".docx",)
#: default resolution of a PNG sheet (and of the rasters inside a PDF sheet)
SHEET_DPI = 200
#: resolution of the figures inside a Word document (sharp when printed, a few hundred KB)
FIGURE_DPI = 200

#: fonts with Chinese characters, in order of preference (family names as fontconfig and
#: matplotlib report them); ``--font FILE`` overrides
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans SC",
    "Microsoft YaHei",
    "SimHei",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Serif CJK SC",
    "Source Han Serif SC",
    "SimSun",
    "NSimSun",
    "AR PL UMing CN",
    "AR PL UKai CN",
    "Droid Sans Fallback",
)

#: paragraph and table styles a document uses (their names in the template; the bureau may
#: restyle them in Word, keeping the names). Built-in Word names are used where Word has one,
#: so a Chinese Word shows them as 标题 1, 题注 ...
STYLES = {
    "title": "Title",
    "subtitle": "Subtitle",
    "heading1": "Heading 1",
    "heading2": "Heading 2",
    "heading3": "Heading 3",
    "body": "Normal",
    "caption": "Caption",
    "table": "Table Grid",
    "cell": "Table Text",
    "cell_head": "Table Heading",
    "note": "Note",
    "opinion": "Opinion",
    "figure": "Figure",
}

#: the title of each document (shown with ``_()``, in Chinese)
REPORT_TITLES = {
    "screening": N_("Site review opinion"),
    "progress": N_("Ecological restoration progress report, {year}"),
    "progress_half": N_("Ecological restoration progress report, first half of {year}"),
    "controls": N_("Three control lines: conflict check report"),
}

#: numeric scales of a map are these times a power of ten (1:250 000, 1:50 000 ...)
SCALE_STEPS = (1.0, 1.2, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.5, 8.0)

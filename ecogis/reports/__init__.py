"""Documents for people: Word reports and printable map sheets built from job results.

``model`` (paper sizes, fonts, style names; cheap), ``language`` (documents are Chinese),
``fonts`` (a font with Chinese characters), ``cartography`` (scale, graticule, north arrow,
scale bar, legend, labels), ``figures`` (what each job's map shows), ``sheet`` (map sheets
and report figures), ``template`` (the default Word template, made by code), ``document``
(a document on a template), and one module per report: ``screening`` (选址审查意见),
``progress`` (年报 / 半年报), ``controls`` (三区三线冲突检查报告); ``run`` holds the entry
points the command line and ``ecogis demo`` call.
"""

from __future__ import annotations

from .._lazy import lazy_getattr

_LAZY = {
    "write_report": ".run",
    "write_map_sheet": ".run",
    "map_spec": ".run",
    "screening_report": ".screening",
    "progress_report": ".progress",
    "controls_report": ".controls",
    "ReportDocument": ".document",
    "SheetOptions": ".sheet",
    "write_sheet": ".sheet",
    "find_cjk_font": ".fonts",
    "build_template": ".template",
    "TEMPLATE_PATH": ".template",
    "in_chinese": ".language",
}
__all__ = list(_LAZY)
__getattr__ = lazy_getattr(__name__, _LAZY)

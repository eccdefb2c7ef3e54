"""The control-line conflict report (三区三线冲突检查报告) as a Word document.

Title and facts; 一、检查方法; 二、检查结果: totals per pair of lines and per township (the
tables of ``ecogis controls --summary``), overlaps inside a layer, slivers and invalid
geometries; 三、冲突图斑清单: every conflict with its area, numbered as on the maps;
四、冲突分布图: the overview map and one map per township with conflicts.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..controls.model import ALL, TOTAL
from ..controls.tables import conflicts_table, summary_table
from ..i18n import N_, _, ngettext
from ..tables import Column, people_table
from .common import Progress, add_facts, tick
from .document import ReportDocument
from .figures import controls_spec, read_context
from .language import in_chinese
from .model import FIGURE_DPI, REPORT_TITLES
from .numbers import chinese_numeral
from .sheet import drawing, figure_png

if TYPE_CHECKING:
    from ..controls import ControlReport
    from ..io.project import Project

__all__ = ["controls_report", "conflict_list", "pair_table"]


def pair_table(report: ControlReport):
    """Conflicts and their area per pair of lines, and for all pairs (people table)."""
    people = summary_table(report)
    s = report.summary
    frame = s[s["township"] == TOTAL].reset_index(drop=True)
    cols = [c for c in people.columns if c.name != "township"]
    return people_table(frame, cols, drop_empty=False)


def conflict_list(report: ControlReport):
    """Every conflict, numbered as on the maps (people table)."""
    people = conflicts_table(report)
    frame = pd.DataFrame(report.conflicts.drop(columns=report.conflicts.geometry.name))
    frame.insert(0, "no", np.arange(1, len(frame) + 1))
    cols = [Column("no", N_("No."), "int"), *people.columns]
    return people_table(frame.reset_index(drop=True), cols, drop_empty=False)


def _townships_with_conflicts(report: ControlReport) -> list[str]:
    towns = report.conflicts["township"]
    return [str(t) for t in dict.fromkeys(towns) if isinstance(t, str) and t]


def controls_report(
    report: ControlReport,
    project: Project,
    *,
    template: str | os.PathLike | None = None,
    font: str | os.PathLike | None = None,
    organisation: str | None = None,
    progress: Progress | None = None,
) -> ReportDocument:
    """The conflict report of ``report`` (:func:`ecogis.run_controls`) as a document."""
    towns = _townships_with_conflicts(report)
    total = len(towns) + 1
    # the template is opened first: what it lacks is said in the user's language
    doc = ReportDocument(template)
    read_context(project)
    with drawing(font), in_chinese():
        title = _(REPORT_TITLES["controls"])
        doc.title(title, project.name)
        spec = controls_spec(report, project)
        lines = _("、").join(report.label(n) for n in report.layers)
        add_facts(
            doc,
            project,
            report.crs,
            sources=spec.sources,
            organisation=organisation,
            rows=[
                (_("Control lines checked"), lines),
                (_("Sliver threshold"), f"{report.min_area_m2:g} m²"),
            ],
        )
        doc.heading(_("{n}. Method").format(n=chinese_numeral(1)))
        if report.townships is not None:
            method = _(
                "The three control lines must not cross, overlap or conflict (不交叉不重叠不冲突). "
                "{lines} were overlaid pair by pair as exact vector polygons in the working "
                "coordinate system; every overlap was cut along the township boundaries and "
                "measured in m² and mu. Overlaps smaller than {m2} m² are drawing slivers and "
                "not counted as conflicts."
            )
        else:
            method = _(
                "The three control lines must not cross, overlap or conflict (不交叉不重叠不冲突). "
                "{lines} were overlaid pair by pair as exact vector polygons in the working "
                "coordinate system and every overlap measured in m² and mu (the config has no "
                "township layer: the overlaps are not split by township). Overlaps smaller than "
                "{m2} m² are drawing slivers and not counted as conflicts."
            )
        doc.paragraph(method.format(lines=lines, m2=f"{report.min_area_m2:g}"))

        doc.heading(_("{n}. Results").format(n=chinese_numeral(2)))
        grand = report.summary[report.summary["layer_a"] == ALL].iloc[0]
        n = int(grand["conflicts"])
        if n:
            doc.paragraph(
                ngettext(
                    "{n} conflict was found, {mu} mu ({m2} m²) in all.",
                    "{n} conflicts were found, {mu} mu ({m2} m²) in all.",
                    n,
                ).format(n=n, mu=f"{grand['area_mu']:,.2f}", m2=f"{grand['area_m2']:,.2f}")
            )
        else:
            doc.paragraph(_("No conflict was found between the control lines."))
        doc.table(pair_table(report), caption=_("Conflicts per pair of control lines"))
        if report.townships is not None and n:
            doc.table(
                summary_table(report),
                caption=_("Conflicts per pair of control lines and township"),
            )
        selfs = report.self_overlaps.drop_duplicates(["layer", "id_a", "id_b"])
        doc.paragraph(
            _(
                "Also found: {selfs} overlaps inside one layer (features drawn twice), "
                "{slivers} slivers under {m2} m², {invalid} invalid geometries (repaired for "
                "the check; to be corrected in the source data)."
            ).format(
                selfs=len(selfs),
                slivers=len(report.slivers),
                m2=f"{report.min_area_m2:g}",
                invalid=len(report.invalid),
            )
        )

        doc.heading(_("{n}. List of conflicts").format(n=chinese_numeral(3)))
        doc.table(
            conflict_list(report),
            caption=_("Conflicts (numbered as on the maps)"),
            empty=_("No conflict."),
        )

        doc.heading(_("{n}. Maps").format(n=chinese_numeral(4)), new_page=True)
        doc.figure(
            figure_png(spec, dpi=FIGURE_DPI, legend_below=True, max_height_mm=185),
            _("Control lines and their conflicts"),
        )
        tick(progress, 1, total)
        for i, town in enumerate(towns, start=1):
            doc.figure(
                figure_png(controls_spec(report, project, township=town), max_height_mm=110, dpi=FIGURE_DPI),
                _("Conflicts in {township}").format(township=town),
            )  # fmt: skip
            tick(progress, i + 1, total)
        doc.properties(title=title, author=organisation, subject=project.name)
    return doc

"""The restoration progress report (年报, or 半年报 with ``--as-of`` in the first half-year).

Title and facts; 一、总体情况: the year's totals against the targets (mu, 万亩, km², percent),
the same numbers ``ecogis progress`` prints; 二、废弃矿山采坑治理: per township, the 清零
countdown and the list of the pits still left (ID, name, township, area, status);
三、造林种草: per kind a table per township and a chart (planned against completed);
四、分布图: the map of pits and plots.
"""

from __future__ import annotations

import datetime as _dt
import os
from typing import TYPE_CHECKING

import pandas as pd

from ..i18n import _, label_of
from ..model import TOTAL
from ..restoration.model import PIT_STATUS_LABELS, PLOT_KIND_LABELS, PLOT_KINDS
from ..restoration.tables import objects_table, progress_tables
from ..tables import people_table
from .common import Progress, add_facts, date_text, tick
from .document import ReportDocument
from .figures import kind_chart, progress_spec, read_context
from .language import in_chinese
from .model import FIGURE_DPI, REPORT_TITLES
from .numbers import chinese_numeral
from .sheet import chart_png, drawing, figure_png

if TYPE_CHECKING:
    from ..io.project import Project
    from ..restoration import ProgressReport

__all__ = ["progress_report", "plot_totals", "pit_totals"]

#: columns of the pit table per township in a document (the XLSX sheet has all of them)
_PIT_COLUMNS = (
    "township", "pits", "verified_km2", "untreated_count", "in_progress_count",
    "treated_count", "accepted_count", "remaining_count", "remaining_km2", "treated_in_year_km2",
)  # fmt: skip
#: the banner-wide pit totals against the year's targets
_PIT_TOTALS = (
    "pits", "verified_km2", "treated_in_year_count", "treated_in_year_km2", "target_km2",
    "percent_km2", "target_count", "percent_count", "remaining_count", "remaining_km2",
)  # fmt: skip
#: the totals of each plot kind against the year's targets
_PLOT_TOTALS = (
    "kind", "plots", "completed_plots", "planned_mu", "completed_mu", "completed_wanmu",
    "target_mu", "target_wanmu", "percent",
)  # fmt: skip
#: a plot kind's table per township
_PLOT_TOWNS = (
    "township", "plots", "completed_plots", "planned_mu", "completed_mu", "completed_wanmu",
    "survival_rate",
)  # fmt: skip
#: the pits left for 清零
_LEFT = ("pit_id", "name", "township", "verified_m2", "status")


def _subset(people, names, frame=None, *, drop_empty: bool = True):
    """The columns ``names`` of a people table (same titles, same rounding)."""
    by = {c.name: c for c in people.columns}
    cols = [by[n] for n in names if n in by]
    return people_table(people.source if frame is None else frame, cols, drop_empty=drop_empty)


def _totals(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["township"] == TOTAL].reset_index(drop=True)


def plot_totals(report: ProgressReport):
    """Completed mu and 万亩 of each plot kind against the year's targets (people table)."""
    people = progress_tables(report.tables, report.year)["plots"]
    return _subset(people, _PLOT_TOTALS, _totals(report.tables["plots"]))


def pit_totals(report: ProgressReport):
    """The pits banner-wide: treated in the year against the target, left for 清零."""
    people = progress_tables(report.tables, report.year)["pits"]
    return _subset(people, _PIT_TOTALS, _totals(report.tables["pits"]))


def _is_half_year(report: ProgressReport) -> bool:
    day = report.as_of
    return day is not None and day.year == report.year and (day.month, day.day) <= (6, 30)


def _summary_lines(report: ProgressReport) -> list[str]:
    """The year's totals in sentences (the numbers ``ecogis progress`` prints)."""
    lines = []
    plots = _totals(report.tables["plots"])
    for r in plots.itertuples(index=False):
        kind = label_of(PLOT_KIND_LABELS, r.kind)
        if pd.notna(r.percent):
            lines.append(
                _(
                    "{kind}: {mu} mu completed ({wanmu} 万亩) of the target {target} mu, {pct}."
                ).format(
                    kind=kind,
                    mu=f"{r.completed_mu:,.1f}",
                    wanmu=f"{r.completed_wanmu:.4f}",
                    target=f"{r.target_mu:,.0f}",
                    pct=f"{r.percent:.1f}%",
                )
            )
        else:
            lines.append(
                _("{kind}: {mu} mu completed ({wanmu} 万亩); no target for the year.").format(
                    kind=kind, mu=f"{r.completed_mu:,.1f}", wanmu=f"{r.completed_wanmu:.4f}"
                )
            )
    total = report.pit_total
    if pd.notna(total["target_km2"]):
        lines.append(
            _("Mine pits: {km2} km² treated in {year} of the target {target} km² ({pct}).").format(
                km2=f"{total['treated_in_year_km2']:.4f}",
                year=report.year,
                target=f"{total['target_km2']:g}",
                pct=f"{total['percent_km2']:.1f}%",
            )
        )
    else:
        lines.append(
            _("Mine pits: {km2} km² treated in {year}; no target for the year.").format(
                km2=f"{total['treated_in_year_km2']:.4f}", year=report.year
            )
        )
    lines.append(_countdown(report))
    return lines


def _countdown(report: ProgressReport) -> str:
    total = report.pit_total
    if total["cleared"]:
        return _("清零 reached: no pit is untreated or in progress.")
    return _("清零 countdown: {n} pits, {km2} km² still untreated or in progress.").format(
        n=int(total["remaining_count"]), km2=f"{total['remaining_km2']:.4f}"
    )


def _pits_left(report: ProgressReport):
    pits = report.pits
    left = pits[pits["status"].isin(("untreated", "in_progress"))]
    left = pd.DataFrame(left.drop(columns=[c for c in ("geometry",) if c in left.columns]))
    left = left.reset_index(drop=True).sort_values(["township", "pit_id"], kind="stable")
    left = left.reset_index(drop=True)
    people = objects_table(left, "pit")
    return _subset(people, _LEFT, left, drop_empty=False)


def progress_report(
    report: ProgressReport,
    project: Project,
    *,
    template: str | os.PathLike | None = None,
    font: str | os.PathLike | None = None,
    organisation: str | None = None,
    progress: Progress | None = None,
) -> ReportDocument:
    """The progress report of ``report`` (:func:`ecogis.run_progress`) as a document.

    A report replayed to a day in the first half of its year (``as_of``) is a half-year
    report (半年报); otherwise a year report (年报).
    """
    year = report.year
    kinds = [k for k in PLOT_KINDS if (report.tables["plots"]["kind"] == k).any()]
    total = len(kinds) + 1
    # the template is opened first: what it lacks is said in the user's language
    doc = ReportDocument(template)
    read_context(project)
    with drawing(font), in_chinese():
        key = "progress_half" if _is_half_year(report) else "progress"
        title = _(REPORT_TITLES[key]).format(year=year)
        doc.title(title, project.name)
        spec = progress_spec(report, project)
        rows = [(_("Year reported"), str(year))]
        if report.as_of is not None:
            rows.append((_("State as of"), date_text(report.as_of)))
        add_facts(
            doc, project, spec.crs, sources=spec.sources, rows=rows, organisation=organisation,
            day=_dt.date.today(),
        )  # fmt: skip
        people = progress_tables(report.tables, year)

        doc.heading(_("{n}. Overview").format(n=chinese_numeral(1)))
        if not report.targets:
            doc.paragraph(_("The config sets no targets for {year}.").format(year=year))
        for line in _summary_lines(report):
            doc.paragraph(line)
        doc.table(plot_totals(report), caption=_("Plots of {year} against the targets").format(
            year=year))  # fmt: skip
        doc.single_row(
            pit_totals(report),
            caption=_("Mine pits against the targets of {year}").format(year=year),
        )

        doc.heading(_("{n}. Legacy mine pits").format(n=chinese_numeral(2)))
        doc.table(
            _subset(people["pits"], _PIT_COLUMNS),
            caption=_("Mine pits per township"),
        )
        doc.heading(_("清零 countdown"), level=2)
        doc.paragraph(_countdown(report))
        statuses = _(", ").join(
            label_of(PIT_STATUS_LABELS, s) for s in ("untreated", "in_progress")
        )
        doc.table(
            _pits_left(report),
            caption=_("Pits still left ({statuses})").format(statuses=statuses),
            empty=_("No pit is left."),
        )

        doc.heading(_("{n}. Afforestation, enclosure and grass planting").format(
            n=chinese_numeral(3)))  # fmt: skip
        plots = report.tables["plots"]
        plot_people = people["plots"]
        for i, kind in enumerate(kinds, start=1):
            label = label_of(PLOT_KIND_LABELS, kind)
            doc.heading(_("({n}) {kind}").format(n=chinese_numeral(i), kind=label), level=2)
            sub = plots[plots["kind"] == kind].reset_index(drop=True)
            doc.table(
                _subset(plot_people, _PLOT_TOWNS, sub),
                caption=_("{kind} per township, {year}").format(kind=label, year=year),
            )
            doc.figure(
                chart_png(kind_chart(report, kind), dpi=FIGURE_DPI),
                _("{kind}: planned and completed per township").format(kind=label),
            )
            tick(progress, i, total)

        # the map takes a page: its heading starts that page (it was left alone at the foot
        # of the page before, the map with its caption and notes not fitting beside it)
        doc.heading(_("{n}. Map").format(n=chinese_numeral(4)), new_page=True)
        doc.figure(
            figure_png(spec, dpi=FIGURE_DPI, legend_below=True, max_height_mm=185),
            _("Mine pits and plots, {year}").format(year=year),
        )
        tick(progress, total, total)
        for note in _notes(report):
            doc.note(note)
        doc.properties(title=title, author=organisation, subject=project.name)
    return doc


def _notes(report: ProgressReport) -> list[str]:
    out = [
        _(
            "Areas: pits in km² of their verified area, plots in mu (1 万亩 = 10 000 mu); the "
            "targets are banner-wide, so percentages are given for the totals only."
        )
    ]
    if report.as_of is not None:
        out.append(
            _("The state as of {date} is replayed from the registry's event log.").format(
                date=date_text(report.as_of)
            )
        )
    return out

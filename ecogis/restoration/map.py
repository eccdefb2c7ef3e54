"""The progress map: pits by status with their IDs, plots by completion, a chart per township,
the pits left for 清零, search, filters, and a time slider over the event log's replay."""

from __future__ import annotations

import datetime as _dt
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import EcogisError, LayerError
from ..i18n import N_, _, label_of
from ..mapping.base import EcogisMap, add_legend, add_polygons
from ..mapping.common import (
    MapContext,
    add_points,
    column_values,
    map_title,
    mu_text,
    pct_text,
    start_map,
    to_floats,
    township_options,
)
from ..mapping.interactive import (
    YEAR,
    Count,
    If,
    Sum,
    Target,
    TimeStep,
    Value,
    add_filter,
    add_list,
    add_progress_chart,
    add_search,
    add_summary,
    add_timeline,
    parts,
    set_targets,
)
from ..mapping.styles import PLOT_CLASSES, STYLES, plot_class
from ..units import m2_to_mu
from .model import (
    COLUMN_LABELS,
    MAP_TITLE,
    PIT_STATUS_LABELS,
    PIT_STATUSES,
    PLOT_KIND_LABELS,
    PLOT_KINDS,
    PLOT_STATUS_LABELS,
    PLOT_STATUSES,
)

if TYPE_CHECKING:
    from ..io.project import Project
    from .run import ProgressReport

__all__ = ["build_progress_map", "progress_timeline", "timeline_dates", "TIME_STEPS"]

#: how far apart the dates of a time line are
TIME_STEPS = ("quarter", "year", "none")

#: pit status -> map style key
_PIT_STYLES = {s: f"pit_{s}" for s in PIT_STATUSES}
#: statuses of the pits left for 清零
_REMAINING = ("untreated", "in_progress")
_DONE = ("treated", "accepted")

#: texts of the map (shown with ``_()``)
_T = {
    "title_year": N_("{title} ({year})"),
    "plots": N_("afforestation and grass plots"),
    "pits": N_("legacy mine pits"),
    "markers": N_("pit locations"),
    "pit_legend": N_("pit (dot): {status}"),
    "plot_legend": N_("plot: {share}"),
    "done": N_("Completed (mu)"),
    "pct": N_("Completed share"),
    "legend": N_("Legend"),
    "summary": N_("Progress {year}"),
    "kind_target": N_("{done} mu / {target} mu ({pct})"),
    "kind_no_target": N_("{done} mu (no target)"),
    "pits_year": N_("Pits treated in {year}"),
    "km2_target": N_("{km2} km² / {target} km² ({pct})"),
    "km2": N_("{km2} km²"),
    "pits_total": N_("Pits"),
    "count_km2": N_("{count} pits / {km2} km²"),
    "treated_accepted": N_("Treated / accepted"),
    "two_counts": N_("{treated} / {accepted} pits"),
    "remaining": N_("Left until 清零"),
    "cleared": N_("清零 reached"),
    "chart": N_("Plots completed per township (completed / planned)"),
    "list": N_("Pits left ({n})"),
    "list_none": N_("None: 清零 reached"),
    "time": N_("Date"),
    "year_auto": N_("follow the date ({value})"),
    "pit_status": N_("Pit status"),
    "plot_status": N_("Plot status"),
    "kind": N_("Plot kind"),
    "tip": N_("{id} {name} ({status})"),
}


def build_progress_map(
    report: ProgressReport,
    *,
    timeline: Sequence[ProgressReport] | None = None,
    targets: Mapping[int, Mapping[str, float]] | None = None,
    context: MapContext | None = None,
    title: str | None = None,
    project_name: str | None = None,
    basemap: str = "none",
    tianditu_key: str | None = None,
    online: bool = False,
    simplify_m: float = 0.5,
    context_simplify_m: float = 5.0,
    year_follows_date: bool = True,
) -> EcogisMap:
    """Map of restoration progress: pits by status, plots by completion, per-township chart.

    Parameters
    ----------
    report : ProgressReport
        From :func:`ecogis.restoration.run_progress`: the pits and plots as reported (pits:
        ``pit_id, township, status, verified_m2, treated_m2`` + ``name``, ``site_type``,
        ``completed_on``; plots: ``plot_id, kind, township, year, planned_mu, completed_mu,
        status`` + ``survival_rate``), the year and its targets, the townships. The plots of
        every year are on the map; the year filter shows those of one.
    timeline : list of ProgressReport, optional
        Reports of the same project at several dates (:func:`progress_timeline`): a slider
        swaps the state and the panel's numbers are those of ``ecogis progress --as-of`` for
        that date. The slider starts at the date of ``report`` (else the last).
    targets : mapping, optional
        Every year's targets (``Config.targets``), for the year filter; default the targets
        of the years of ``report`` and ``timeline``.
    context : MapContext, optional
        The project's study area, townships, data sources and basemap
        (:func:`ecogis.mapping.map_context`).
    title : str, optional
        Map title; default the project name and the map's kind (:data:`.model.MAP_TITLE`).
    project_name, basemap, tianditu_key, online, simplify_m, context_simplify_m
        As for :func:`ecogis.controls.build_controls_map`.
    year_follows_date : bool
        With a time line, the year shown follows the slider's date (as ``ecogis progress
        --as-of`` chooses it); False keeps ``report.year``.

    Returns
    -------
    EcogisMap
        Panel: completed vs target per plot kind, pits treated in the year vs target, treated
        and accepted pits, the 清零 countdown; chart: completed / planned mu per township; a
        list of the pits left. Everything follows the filters (township, pit status, plot
        kind and status, year) and the slider.
    """
    towns = report.townships
    if context is None:
        context = MapContext(
            name=project_name,
            townships=towns.frame if towns is not None else None,
            township_field=towns.field if towns is not None else None,
            basemap=basemap,
            tianditu_key=tianditu_key,
            online=online,
        )
    steps = list(timeline or [])
    last = steps[-1] if steps else report
    all_targets = {int(s.year): dict(s.targets) for s in [report, *steps]}
    all_targets.update({int(y): dict(t) for y, t in (targets or {}).items()})
    pits, plots = last.pits, last.plots
    for frame, name, cols in (
        (pits, "pits", ("pit_id", "status")),
        (plots, "plots", ("plot_id", "kind", "planned_mu", "completed_mu")),
    ):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            have = ", ".join(str(c) for c in frame.columns if c != frame.geometry.name)
            raise LayerError(
                _("{name}: no column(s) {missing}; columns: {have}").format(
                    name=name, missing=", ".join(missing), have=have
                )
            )
    base_title = map_title(project_name or context.name, _(MAP_TITLE))
    if title is None:
        title = (
            base_title if steps else _(_T["title_year"]).format(title=base_title, year=report.year)
        )

    m, legend = start_map(context, title, simplify_m=context_simplify_m)
    pcol = {k: _(v) for k, v in COLUMN_LABELS["plot"].items()}
    tcol = {k: _(v) for k, v in COLUMN_LABELS["pit"].items()}

    # plots of every year, filled by completion class; the year filter shows one year
    plot_name = _(_T["plots"])
    add_polygons(
        m,
        _plot_frame(plots),
        name=plot_name,
        style=_plot_style,
        popup_fields=[
            ("plot_id", pcol["plot_id"]),
            ("_kind", pcol["kind"]),
            ("_township", pcol["township"]),
            ("year", pcol["year"]),
            ("_status", pcol["status"]),
            ("_planned", pcol["planned_mu"]),
            ("_done", _(_T["done"])),
            ("_pct", _(_T["pct"])),
            ("_survival", pcol["survival_rate"]),
        ],
        tooltip_field="_tip",
        title_field="plot_id",
        data_fields=["plot_id", "kind", "township", "year", "status", "planned_mu", "completed_mu"],
        key="plot_id",
        simplify_m=simplify_m,
    )
    for _limit, color, text in PLOT_CLASSES:
        legend.append(
            (_(_T["plot_legend"]).format(share=_(text)), {**STYLES["plot"], "fillColor": color})
        )

    # pits on top: small, and what the 清零 campaign is about
    pit_name = _(_T["pits"])
    add_polygons(
        m,
        _pit_frame(pits),
        name=pit_name,
        style=_pit_style,
        popup_fields=[
            ("pit_id", tcol["pit_id"]),
            ("_name", tcol["name"]),
            ("_township", tcol["township"]),
            ("_type", tcol["site_type"]),
            ("_status", tcol["status"]),
            ("_verified", _("Verified area (mu)")),
            ("_treated", _("Treated area (mu)")),
            ("_done_on", tcol["completed_on"]),
        ],
        tooltip_field="_tip",
        title_field="pit_id",
        data_fields=[
            "pit_id",
            "_name",
            "township",
            "status",
            "verified_m2",
            "treated_m2",
            "done_year",
            "_listed",
        ],
        key="pit_id",
        simplify_m=simplify_m,
        on_top=True,
    )
    # pits are a few mu: a marker per pit (with its ID beside it) keeps them visible
    marker_name = _(_T["markers"])
    add_points(m, _pit_frame(pits), name=marker_name, style=_pit_style, ref=pit_name, radius=6,
               label="pit_id")  # fmt: skip
    for status in PIT_STATUSES:
        legend.append(
            (
                _(_T["pit_legend"]).format(status=label_of(PIT_STATUS_LABELS, status)),
                {**STYLES[_PIT_STYLES[status]], "radius": 6},
            )
        )

    add_search(
        m,
        [(marker_name, ["pit_id", "_name"], pit_name), (plot_name, ["plot_id"], plot_name)],
    )
    names = context.township_names or (towns.names if towns is not None and towns.names else [])
    options = township_options(
        names, column_values(pits, "township"), column_values(plots, "township")
    )
    if options:
        add_filter(
            m,
            "township",
            tcol["township"],
            options=options,
            columns={pit_name: "township", plot_name: "township"},
        )
    add_filter(
        m,
        "pit_status",
        _(_T["pit_status"]),
        options=[(s, label_of(PIT_STATUS_LABELS, s)) for s in PIT_STATUSES],
        columns={pit_name: "status"},
    )
    add_filter(
        m,
        "kind",
        _(_T["kind"]),
        options=[(k, label_of(PLOT_KIND_LABELS, k)) for k in PLOT_KINDS],
        columns={plot_name: "kind"},
    )
    add_filter(
        m,
        "plot_status",
        _(_T["plot_status"]),
        options=[(s, label_of(PLOT_STATUS_LABELS, s)) for s in PLOT_STATUSES],
        columns={plot_name: "status"},
    )
    years = sorted(
        {
            int(y)
            for y in pd.to_numeric(
                plots.get("year", pd.Series(dtype=float)), errors="coerce"
            ).dropna()
        }
        | set(all_targets)
        | {int(s.year) for s in [report, *steps]}
    )
    follow = bool(steps) and year_follows_date
    add_filter(
        m,
        "year",
        pcol["year"],
        options=[(y, str(y)) for y in years],
        columns={plot_name: "year"},
        initial=None if follow else report.year,
        auto=_(_T["year_auto"]) if follow else None,
    )
    set_targets(m, all_targets, report.year)
    add_summary(m, _(_T["summary"]), _progress_rows(plot_name, pit_name))
    if names:
        add_progress_chart(
            m,
            _(_T["chart"]),
            plot_name,
            group="township",
            groups=names,
            num="completed_mu",
            den="planned_mu",
            where={"year": YEAR},
        )
    add_list(
        m,
        _(_T["list"]),
        pit_name,
        text=["_listed"],
        where={"status": list(_REMAINING)},
        target=marker_name,
        empty=_(_T["list_none"]),
    )
    if steps:
        initial = next(
            (
                i
                for i, s in enumerate(steps)
                if report.as_of is not None and s.as_of == report.as_of
            ),
            len(steps) - 1,
        )
        add_timeline(
            m,
            [
                TimeStep(
                    date=s.as_of.isoformat(),
                    label=s.as_of.isoformat(),
                    year=int(s.year),
                    frames={pit_name: _pit_frame(s.pits), plot_name: _plot_frame(s.plots)},
                )
                for s in steps
            ],
            title=_(_T["time"]),
            initial=initial,
        )
    add_legend(m, legend, title=_(_T["legend"]))
    return m


# ------------------------------------------------------------------------------ frames


def _pit_style(r: Mapping[str, Any]) -> dict:
    return STYLES[_PIT_STYLES.get(str(r.get("status")), "pit_unknown")]


def _plot_style(r: Mapping[str, Any]) -> dict:
    k = plot_class(r.get("_share"))
    fill = PLOT_CLASSES[k][1] if k is not None else "#9e9e9e"
    return {**STYLES["plot"], "fillColor": fill}


def _pit_frame(pits):
    """Pits as the map shows them: formatted popup columns, raw columns for the page."""
    verified = to_floats(column_values(pits, "verified_m2"))
    treated = to_floats(column_values(pits, "treated_m2"))
    status = [str(s) for s in pits["status"]]
    labels = [label_of(PIT_STATUS_LABELS, s) for s in status]
    names = [None if _missing(n) else str(n) for n in column_values(pits, "name")]
    ids = [str(i) for i in pits["pit_id"]]
    done_on = column_values(pits, "completed_on")
    out = pits.assign(
        pit_id=ids,
        _status=labels,
        _verified=[mu_text(v, unit=False) for v in m2_to_mu(verified)],
        _treated=[mu_text(v, unit=False) for v in m2_to_mu(treated)],
        _name=names,
        _township=column_values(pits, "township"),
        township=[None if _missing(t) else str(t) for t in column_values(pits, "township")],
        _type=column_values(pits, "site_type"),
        _done_on=[None if _missing(d) else str(d)[:10] for d in done_on],
        # the year a treated pit counts for, as summarize_progress reads completed_on
        done_year=[None if _missing(d) else str(d)[:4] for d in done_on],
        verified_m2=verified,
        treated_m2=treated,
        status=status,
        _tip=[_tip(i, n, s) for i, n, s in zip(ids, names, labels, strict=True)],
        _listed=[_tip(i, n, s) for i, n, s in zip(ids, names, labels, strict=True)],
    )
    return out


def _plot_frame(plots):
    planned = to_floats(column_values(plots, "planned_mu"))
    done = to_floats(column_values(plots, "completed_mu"))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(planned > 0, done / planned, np.nan)
    ids = [str(i) for i in plots["plot_id"]]
    kinds = [label_of(PLOT_KIND_LABELS, str(k)) for k in plots["kind"]]
    statuses = [label_of(PLOT_STATUS_LABELS, str(s)) for s in column_values(plots, "status")]
    years = pd.to_numeric(pd.Series(column_values(plots, "year"), dtype=object), errors="coerce")
    return plots.assign(
        plot_id=ids,
        _share=share,
        _kind=kinds,
        _status=statuses,
        _planned=[mu_text(v, unit=False) for v in planned],
        _done=[mu_text(v, unit=False) for v in done],
        _pct=[pct_text(v) for v in share],
        _survival=[
            pct_text(v)
            for v in pd.to_numeric(
                pd.Series(column_values(plots, "survival_rate"), dtype=object), errors="coerce"
            )
        ],
        _township=column_values(plots, "township"),
        township=[None if _missing(t) else str(t) for t in column_values(plots, "township")],
        year=[None if pd.isna(y) else int(y) for y in years],
        planned_mu=planned,
        completed_mu=done,
        status=[str(s) for s in column_values(plots, "status")],
        _tip=[f"{i} {k} ({s})" for i, k, s in zip(ids, kinds, statuses, strict=True)],
    )


def _tip(pid: str, name: str | None, status: str) -> str:
    return _(_T["tip"]).format(id=pid, name=name or "", status=status).replace("  ", " ")


def _missing(v: Any) -> bool:
    try:
        return v is None or bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


# ------------------------------------------------------------------------------ panel


def _progress_rows(plots: str, pits: str) -> list[tuple[str, list]]:
    """The panel: every number counted in the page from the drawn pits and plots, the way
    :func:`ecogis.restoration.summarize_progress` counts them (so they equal ``ecogis
    progress --as-of`` for the date on the slider)."""
    rows: list[tuple[str, list]] = []
    for kind in PLOT_KINDS:
        where = {"kind": [kind], "year": YEAR}
        done = Value(Sum(plots, "completed_mu", where), key=f"plots.{kind}.completed_mu")
        target = f"{kind}_mu"
        rows.append(
            (
                label_of(PLOT_KIND_LABELS, kind),
                [
                    If(
                        target=target,
                        then=parts(
                            _(_T["kind_target"]),
                            done=done,
                            target=Value(Target(target)),
                            pct=Value(Sum(plots, "completed_mu", where), fmt="pct", target=target),
                        ),
                        otherwise=parts(_(_T["kind_no_target"]), done=done),
                    )
                ],
            )
        )
    in_year = Sum(pits, "treated_m2", {"status": list(_DONE), "done_year": YEAR}, scale=1e-6)
    km2 = Value(in_year, key="pits.treated_in_year_km2")
    rows.append(
        (
            _(_T["pits_year"]),
            [
                If(
                    target="pits_km2",
                    then=parts(
                        _(_T["km2_target"]),
                        km2=km2,
                        target=Value(Target("pits_km2")),
                        pct=Value(in_year, fmt="pct", target="pits_km2"),
                    ),
                    otherwise=parts(_(_T["km2"]), km2=km2),
                )
            ],
        )
    )
    rows.append(
        (
            _(_T["pits_total"]),
            parts(
                _(_T["count_km2"]),
                count=Value(Count(pits), fmt="int", key="pits.count"),
                km2=Value(Sum(pits, "verified_m2", scale=1e-6), key="pits.verified_km2"),
            ),
        )
    )
    rows.append(
        (
            _(_T["treated_accepted"]),
            parts(
                _(_T["two_counts"]),
                treated=Value(Count(pits, {"status": ["treated"]}), fmt="int", key="pits.treated"),
                accepted=Value(
                    Count(pits, {"status": ["accepted"]}), fmt="int", key="pits.accepted"
                ),
            ),
        )
    )
    left = {"status": list(_REMAINING)}
    rows.append(
        (
            _(_T["remaining"]),
            [
                If(
                    zero=Count(pits, left),
                    then=[_(_T["cleared"])],
                    otherwise=parts(
                        _(_T["count_km2"]),
                        count=Value(Count(pits, left), fmt="int", key="pits.remaining"),
                        km2=Value(
                            Sum(pits, "verified_m2", left, scale=1e-6), key="pits.remaining_km2"
                        ),
                    ),
                )
            ],
        )
    )
    return rows


# ------------------------------------------------------------------------------ time line


def timeline_dates(start: _dt.date, end: _dt.date, *, step: str = "quarter") -> list[_dt.date]:
    """The dates of a time line: every quarter's (or year's) last day from ``start`` to
    ``end``, and ``end`` itself."""
    if step not in TIME_STEPS:
        raise EcogisError(
            _("time step {value!r} is not known; allowed: {allowed}").format(
                value=step, allowed=", ".join(TIME_STEPS)
            )
        )
    if end < start:
        raise EcogisError(
            _("time line: the end {end} is before the start {start}").format(end=end, start=start)
        )
    if step == "none":
        return [end]
    months = (3, 6, 9, 12) if step == "quarter" else (12,)
    out = []
    for y in range(start.year, end.year + 1):
        for mth in months:
            last = _dt.date(y + (mth == 12), mth % 12 + 1, 1) - _dt.timedelta(days=1)
            if start <= last < end:
                out.append(last)
    out.append(end)
    return out


def progress_timeline(
    project: Project,
    *,
    start: Any = None,
    end: Any = None,
    step: str = "quarter",
    year: int | None = None,
) -> list[ProgressReport]:
    """Progress reports at the dates of a time line: :func:`ecogis.restoration.run_progress`
    with ``as_of`` each date (the same replay as ``ecogis progress --as-of``).

    ``start`` defaults to 1 January of the earliest year of the targets and of the event
    log's effective dates, ``end`` to today. Needs the registry.
    """
    from .plan import parse_date
    from .run import restoration_state, run_progress

    end_day = parse_date(end, what="--to") if end is not None else _dt.date.today()
    if start is not None:
        start_day = parse_date(start, what="--from")
    else:
        _pits, _plots, events = restoration_state(project)
        years = [int(y) for y in project.config.targets]
        if events is not None and len(events):
            eff = pd.to_datetime(events["effective_date"], errors="coerce").dropna()
            years += [int(d.year) for d in eff]
        start_day = _dt.date(min(years), 1, 1) if years else _dt.date(end_day.year, 1, 1)
        start_day = min(start_day, end_day)
    reports = []
    said: dict[str, list] = {}  # one warning per kind, not one per date of the time line
    for day in timeline_dates(start_day, end_day, step=step):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            reports.append(run_progress(project, year=year, as_of=day))
        for w in caught:
            text = str(w.message)
            key = text.replace(str(day), "\0")
            said.setdefault(key, [w.category, []])[1].append(day)
    for key, (category, days) in said.items():
        when = str(days[0]) if len(days) == 1 else f"{days[0]} … {days[-1]}"
        warnings.warn(key.replace("\0", when), category, stacklevel=2)
    return reports

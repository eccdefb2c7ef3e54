"""The progress map: pits by status, plots by percent complete, a chart per township."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import LayerError
from ..i18n import _, label_of
from ..mapping.base import EcogisMap, add_chart, add_legend, add_panel, add_polygons, new_map
from ..mapping.common import (
    add_points,
    add_popup_css,
    add_townships,
    column_values,
    map_title,
    mu_text,
    pct_text,
    to_floats,
    to_number,
)
from ..mapping.styles import STYLES, progress_color
from ..units import m2_to_mu
from .model import MAP_TITLE, PIT_STATUS_LABELS, PLOT_KIND_LABELS, PLOT_STATUS_LABELS, TOTAL

if TYPE_CHECKING:
    from .run import ProgressReport

__all__ = ["build_progress_map"]

#: pit status -> map style key
_PIT_STYLES = {
    "untreated": "pit_untreated",
    "in_progress": "pit_in_progress",
    "treated": "pit_treated",
    "accepted": "pit_verified",
}


def build_progress_map(
    report: ProgressReport,
    *,
    title: str | None = None,
    project_name: str | None = None,
    basemap: str = "none",
    tianditu_key: str | None = None,
    online: bool = False,
    simplify_m: float = 0.5,
    context_simplify_m: float = 5.0,
) -> EcogisMap:
    """Map of restoration progress: pits by status, plots by percent complete, per-township chart.

    Parameters
    ----------
    report : ProgressReport
        From :func:`ecogis.restoration.run_progress`: the pits and plots as reported (pits:
        ``pit_id, township, status, verified_m2, treated_m2`` + ``name``, ``site_type``,
        ``completed_on``; plots: ``plot_id, kind, township, year, planned_mu, completed_mu,
        status`` + ``survival_rate``; only the plots of the year are drawn), the summary
        tables, the year's targets and the townships.
    title : str, optional
        Map title; default the project name and the map's kind (:data:`.model.MAP_TITLE`).
    project_name : str, optional
        The project's name, for the default title.
    basemap, tianditu_key, online, simplify_m, context_simplify_m
        As for :func:`ecogis.controls.build_controls_map`.

    Returns
    -------
    EcogisMap
        Panel: completed vs target per plot kind, pits treated in the year vs target, the 清零
        countdown (pits not yet treated). Chart: completed / planned mu per township.
    """
    title = title or f"{map_title(project_name, _(MAP_TITLE))}（{report.year} 年）"
    pits, plots, summary = report.pits, report.plots, report.tables
    targets, year = dict(report.targets), report.year
    towns = report.townships
    townships = towns.frame if towns is not None else None
    township_field = towns.field if towns is not None else None
    for frame, name, cols in (
        (pits, "pits", ("pit_id", "status")),
        (plots, "plots", ("plot_id", "kind", "planned_mu", "completed_mu")),
    ):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            have = ", ".join(str(c) for c in frame.columns if c != frame.geometry.name)
            raise LayerError(f"{name}: no column(s) {', '.join(missing)}; columns: {have}")

    m = new_map(title=title, basemap=basemap, tianditu_key=tianditu_key, online=online)
    add_popup_css(m)
    legend: list[tuple[str, Mapping[str, Any]]] = []
    if townships is not None:
        legend.append(add_townships(m, townships, township_field, context_simplify_m))

    # plots of the year, coloured by completed / planned on the red -> green ramp
    if "year" in plots.columns:
        plots = plots[pd.to_numeric(plots["year"], errors="coerce") == year]
    planned = pd.to_numeric(plots["planned_mu"], errors="coerce").to_numpy(dtype=float)
    done = pd.to_numeric(plots["completed_mu"], errors="coerce").to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(planned > 0, done / planned, np.nan)
    base = STYLES["plot_completed"]
    shown = plots.assign(
        _share=share,
        _kind=[label_of(PLOT_KIND_LABELS, str(k)) for k in plots["kind"]],
        _status=[label_of(PLOT_STATUS_LABELS, str(s)) for s in column_values(plots, "status")],
        _planned=[mu_text(v, unit=False) for v in planned],
        _done=[mu_text(v, unit=False) for v in done],
        _pct=[pct_text(v) for v in share],
        _survival=[
            pct_text(v)
            for v in pd.to_numeric(column_values(plots, "survival_rate"), errors="coerce")
        ],
        _township=column_values(plots, "township"),
    )
    add_polygons(
        m,
        shown,
        name="造林种草地块",
        style=lambda r: {
            "color": "#33691e",
            "weight": 1,
            "fillColor": progress_color(r["_share"]),
            "fillOpacity": 0.75,
        },
        popup_fields=[
            ("plot_id", "编号"),
            ("_kind", "类型"),
            ("_township", "乡镇"),
            ("_status", "状态"),
            ("_planned", "计划（亩）"),
            ("_done", "完成（亩）"),
            ("_pct", "完成率"),
            ("_survival", "成活率"),
        ],
        tooltip_field="plot_id",
        simplify_m=simplify_m,
    )
    for pct in (0, 50, 100):
        legend.append(
            (
                f"地块完成 {pct}%",
                {
                    **base,
                    "color": "#33691e",
                    "weight": 1,
                    "fillColor": progress_color(pct / 100),
                    "fillOpacity": 0.75,
                },
            )
        )

    # pits on top: small, and what the 清零 campaign is about
    verified = to_floats(column_values(pits, "verified_m2"))
    treated = to_floats(column_values(pits, "treated_m2"))
    shown = pits.assign(
        _status=[label_of(PIT_STATUS_LABELS, str(s)) for s in pits["status"]],
        _verified=[mu_text(v, unit=False) for v in m2_to_mu(verified)],
        _treated=[mu_text(v, unit=False) for v in m2_to_mu(treated)],
        _name=column_values(pits, "name"),
        _township=column_values(pits, "township"),
        _type=column_values(pits, "site_type"),
        _done_on=column_values(pits, "completed_on"),
    )
    pit_fields = [
        ("pit_id", "编号"),
        ("_name", "名称"),
        ("_township", "乡镇"),
        ("_type", "类型"),
        ("_status", "状态"),
        ("_verified", "核定面积（亩）"),
        ("_treated", "治理面积（亩）"),
        ("_done_on", "完成日期"),
    ]

    def pit_style(r):
        return STYLES[_PIT_STYLES.get(str(r["status"]), "pit_unknown")]

    add_polygons(
        m,
        shown,
        name="历史遗留矿坑",
        style=pit_style,
        popup_fields=pit_fields,
        tooltip_field="_status",
        simplify_m=simplify_m,
        on_top=True,
    )
    # pits are a few mu: a marker per pit keeps them visible at county zoom
    add_points(
        m,
        shown,
        name="矿坑位置",
        style=pit_style,
        popup_fields=pit_fields,
        tooltip_field="_status",
        radius=5,
    )
    for status in PIT_STATUS_LABELS:
        legend.append(
            (f"矿坑（圆点）：{label_of(PIT_STATUS_LABELS, status)}", STYLES[_PIT_STYLES[status]])
        )

    add_legend(m, legend, title="图例")
    add_panel(m, _progress_rows(summary, targets, year), title=f"{year} 年进度")
    bars = _township_bars(summary)
    if bars:
        add_chart(m, bars, title="各乡镇地块完成率（完成/计划）", target=100.0)
    return m


def _progress_rows(summary, targets, year) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    plots = summary["plots"]
    for r in plots[plots["township"] == TOTAL].itertuples(index=False):
        target = to_number(r.target_mu)
        if target is None:
            target = to_number(targets.get(f"{r.kind}_mu"))
        text = f"{mu_text(r.completed_mu)}"
        if target:
            text += f" / {mu_text(target)}（{100 * float(r.completed_mu) / target:.0f}%）"
        else:
            text += "（无目标）"
        rows.append((label_of(PLOT_KIND_LABELS, str(r.kind)), text))
    pits = summary["pits"]
    total = pits[pits["township"] == TOTAL]
    if len(total):
        t = total.iloc[0]
        target = to_number(t.get("target_km2"))
        if target is None:
            target = to_number(targets.get("pits_km2"))
        text = f"{float(t['treated_in_year_km2']):.2f} km²"
        if target:
            text += f" / {target:g} km²（{100 * float(t['treated_in_year_km2']) / target:.0f}%）"
        rows.append((f"{year} 年矿坑治理", text))
        rows.append(("矿坑总数", f"{int(t['pits'])} 个 / {float(t['verified_km2']):.2f} km²"))
        if bool(t["cleared"]):
            rows.append(("清零", "已清零"))
        else:
            rows.append(
                (
                    "距清零还剩",
                    f"{int(t['remaining_count'])} 个 / {float(t['remaining_km2']):.2f} km²",
                )
            )
    return rows


def _township_bars(summary) -> list[tuple[str, float | None]]:
    """Completed / planned mu of the year's plots per township, in percent."""
    plots = summary["plots"]
    per = plots[plots["township"] != TOTAL]
    if not len(per):
        return []
    g = per.groupby("township", sort=False)[["planned_mu", "completed_mu"]].sum()
    return [
        (str(t), 100.0 * r.completed_mu / r.planned_mu if r.planned_mu > 0 else None)
        for t, r in g.iterrows()
    ]

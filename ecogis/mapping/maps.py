"""The three ecogis maps: control-line conflicts, restoration progress, site screening.

Each builder takes the analysis results as GeoDataFrames / DataFrames (never paths) and returns
an unsaved :class:`~ecogis.mapping.base.EcogisMap`; the CLI (``ecogis map ...``) reads the
config and inputs, runs the analysis, calls a builder and saves the map with
:func:`~ecogis.mapping.base.save_map`.

Cartography shared by all three:

* control lines in their conventional colours (red line red, permanent basic farmland yellow,
  urban development boundary a purple outline), results that need attention bright and on top;
* townships and other large context layers simplified harder (``context_simplify_m``) than the
  layers people measure (``simplify_m``, sub-metre): they only give orientation;
* a legend, a summary panel, the layer control and a metric scale bar on every map;
* every label comes from the caller (config labels, Chinese); every value is escaped by the
  base module, so an attribute such as ``<script>`` shows as text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..errors import LayerError
from ..units import m2_to_mu
from .base import EcogisMap, add_chart, add_legend, add_panel, add_polygons, new_map
from .styles import LABELS, STYLES, progress_color

__all__ = [
    "KIND_TITLES",
    "VERDICT_LABELS",
    "PIT_STATUS_LABELS",
    "build_controls_map",
    "build_progress_map",
    "build_screening_map",
    "map_title",
]

#: Chinese name of each map kind, appended to the project name in the title
KIND_TITLES = {
    "controls": "三条控制线冲突检查图",
    "progress": "生态修复进度图",
    "screening": "项目选址筛查图",
}

#: verdict -> Chinese label (the order is the legend's)
VERDICT_LABELS = {
    "pass": LABELS["verdict_pass"],
    "conditional": LABELS["verdict_conditional"],
    "fail": LABELS["verdict_fail"],
    "unknown": LABELS["verdict_unknown"],
}

#: pit status -> (style key, Chinese label), in lifecycle order
PIT_STATUS_LABELS = {
    "untreated": ("pit_untreated", "未治理"),
    "in_progress": ("pit_in_progress", "治理中"),
    "treated": ("pit_treated", "已治理"),
    "accepted": ("pit_verified", "已验收"),
}

#: plot status -> Chinese label
PLOT_STATUS_LABELS = {
    "planned": "计划",
    "in_progress": "实施中",
    "completed": "已完成",
    "accepted": "已验收",
}

#: township label of the total rows of a progress summary (as in ecogis.restoration)
_TOTAL = "合计"

#: plot kind -> Chinese label
PLOT_KIND_LABELS = {
    "afforestation": "人工造林",
    "enclosure": "封沙育林（草）",
    "grass_planting": "人工种草",
}

# fallback fills for layers that are none of the known kinds (cycled)
_FALLBACK_COLORS = ("#1f77b4", "#2ca02c", "#8c564b", "#e377c2", "#17becf", "#7f7f7f")

# township name columns tried when none is given (as in ecogis.controls)
_TOWNSHIP_FIELDS = ("XZQMC", "name", "NAME", "名称", "XZMC")

# separator of the reasons of one site (as written by ecogis.screening)
_REASON_SEP = "；"

# label -> style key, so a config that calls its red line "hx" still draws it red
_STYLE_BY_LABEL = {label: key for key, label in LABELS.items()}


def map_title(project: str | None, kind: str) -> str:
    """``"<project> <map kind in Chinese>"`` (just the kind without a project name)."""
    kind_title = KIND_TITLES.get(kind, kind)
    return f"{project} {kind_title}" if project else kind_title


# --------------------------------------------------------------------------------------
# controls
# --------------------------------------------------------------------------------------


def build_controls_map(
    layers: Mapping[str, Any],
    report: Any,
    *,
    labels: Mapping[str, str] | None = None,
    id_fields: Mapping[str, str | None] | None = None,
    townships=None,
    township_field: str | None = None,
    title: str,
    basemap: str = "none",
    tianditu_key: str | None = None,
    online: bool = False,
    simplify_m: float = 0.5,
    context_simplify_m: float = 5.0,
) -> EcogisMap:
    """Map of the control lines and their conflicts.

    Parameters
    ----------
    layers : dict of str to GeoDataFrame
        The control-line layers as checked, by name (config order), any CRS.
    report : ControlReport
        From :func:`ecogis.controls.check_controls` on ``layers``.
    labels : dict, optional
        Layer name -> label for people; default the report's labels.
    id_fields : dict, optional
        Layer name -> column naming its features (shown in popups), as given to the check.
    townships : GeoDataFrame, optional
        Township outlines, drawn for orientation (tooltip: the name).
    township_field : str, optional
        Township name column; default the first of ``XZQMC``/``name``/``NAME``/``名称`` present.
    title : str
        Map title (config ``name`` + map kind, see :func:`map_title`).
    basemap, tianditu_key, online
        As for :func:`ecogis.mapping.new_map`.
    simplify_m, context_simplify_m : float
        Display simplification tolerance in metres for the control lines / conflicts and for
        the townships.

    Returns
    -------
    EcogisMap
        Layers: townships, each control line (popup: id, area in mu), overlaps inside a layer,
        conflicts (popup: both layers and ids, township, area in mu and m²) on top. Panel:
        conflicts and mu per pair of lines, total, overlaps inside layers, slivers, invalid
        geometries.
    """
    from ..geometry import feature_ids

    labels = {**getattr(report, "labels", {}), **dict(labels or {})}
    id_fields = dict(id_fields or {})

    def label(name: str) -> str:
        return labels.get(name) or name

    m = new_map(title=title, basemap=basemap, tianditu_key=tianditu_key, online=online)
    _add_popup_css(m)
    legend: list[tuple[str, Mapping[str, Any]]] = []

    if townships is not None:
        legend.append(_add_townships(m, townships, township_field, context_simplify_m))

    for i, (name, gdf) in enumerate(layers.items()):
        style = _style_for_layer(name, label(name), i)
        shown = gdf.assign(
            _id=feature_ids(gdf, id_fields.get(name)).to_numpy(),
            _mu=_fmt_mu(_areas_m2(gdf)),
        )
        add_polygons(
            m,
            shown,
            name=label(name),
            style=style,
            popup_fields=[("_id", "编号"), ("_mu", "面积（亩）")],
            tooltip_field="_id",
            simplify_m=simplify_m,
        )
        legend.append((label(name), style))

    selfs = report.self_overlaps
    if len(selfs):
        shown = selfs.assign(
            _layer=[label(n) for n in selfs["layer"]],
            _mu=_fmt_mu(selfs["area_m2"]),
            _m2=_fmt_m2(selfs["area_m2"]),
        )
        add_polygons(
            m,
            shown,
            name="图层内重叠",
            style=STYLES["self_overlap"],
            popup_fields=[
                ("_layer", "图层"),
                ("id_a", "图斑一"),
                ("id_b", "图斑二"),
                ("township", "乡镇"),
                ("_mu", "面积（亩）"),
                ("_m2", "面积（m²）"),
            ],
            tooltip_field="_layer",
            simplify_m=simplify_m,
            on_top=True,
        )
        legend.append(("图层内重叠", STYLES["self_overlap"]))

    conflicts = report.conflicts
    shown = conflicts.assign(
        _pair=[
            f"{label(a)} × {label(b)}"
            for a, b in zip(conflicts["layer_a"], conflicts["layer_b"], strict=True)
        ],
        _a=[
            f"{label(a)} {i}" for a, i in zip(conflicts["layer_a"], conflicts["id_a"], strict=True)
        ],
        _b=[
            f"{label(b)} {i}" for b, i in zip(conflicts["layer_b"], conflicts["id_b"], strict=True)
        ],
        _mu=_fmt_mu(conflicts["area_m2"]),
        _m2=_fmt_m2(conflicts["area_m2"]),
    )
    conflict_fields = [
        ("_pair", "冲突类型"),
        ("_a", "图斑一"),
        ("_b", "图斑二"),
        ("township", "乡镇"),
        ("_mu", "面积（亩）"),
        ("_m2", "面积（m²）"),
    ]
    add_polygons(
        m,
        shown,
        name="冲突区域",
        style=STYLES["conflict"],
        popup_fields=conflict_fields,
        tooltip_field="_pair",
        simplify_m=simplify_m,
        on_top=True,
    )
    legend.append(("冲突区域", STYLES["conflict"]))
    # a conflict of a few mu is under a pixel at county zoom: mark where each one is
    marker = _add_points(
        m,
        shown,
        name="冲突位置",
        style=STYLES["conflict"],
        popup_fields=conflict_fields,
        tooltip_field="_pair",
        radius=7,
    )
    legend.append(("冲突位置（点）", marker))

    add_legend(m, legend, title="图例")
    add_panel(m, _controls_rows(report, label), title="冲突统计")
    return m


def _controls_rows(report: Any, label) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    summary = report.summary
    totals = summary[summary["township"] == "total"]
    grand = totals[totals["layer_a"] == "all"]
    for row in totals[totals["layer_a"] != "all"].itertuples(index=False):
        rows.append(
            (
                f"{label(row.layer_a)} × {label(row.layer_b)}",
                f"{int(row.conflicts)} 处 / {_mu_text(row.area_mu)}",
            )
        )
    if len(grand):
        g = grand.iloc[0]
        rows.append(("冲突合计", f"{int(g['conflicts'])} 处 / {_mu_text(g['area_mu'])}"))
    selfs = report.self_overlaps
    rows.append(
        ("图层内重叠", f"{len(selfs)} 处 / {_mu_text(m2_to_mu(float(selfs['area_m2'].sum())))}")
    )
    min_m2 = getattr(report, "min_area_m2", 1.0)
    rows.append((f"碎片（< {min_m2:g} m²，未计入）", f"{len(report.slivers)} 处"))
    rows.append(("无效几何", f"{len(report.invalid)} 个"))
    return rows


# --------------------------------------------------------------------------------------
# progress
# --------------------------------------------------------------------------------------


def build_progress_map(
    pits,
    plots,
    summary: Mapping[str, pd.DataFrame],
    *,
    targets: Mapping[str, float] | None = None,
    year: int,
    townships=None,
    township_field: str | None = None,
    title: str,
    basemap: str = "none",
    tianditu_key: str | None = None,
    online: bool = False,
    simplify_m: float = 0.5,
    context_simplify_m: float = 5.0,
) -> EcogisMap:
    """Map of restoration progress: pits by status, plots by percent complete, per-township chart.

    Parameters
    ----------
    pits : GeoDataFrame
        Registry pits: ``pit_id, township, status, verified_m2, treated_m2`` (+ ``name``,
        ``site_type``, ``completed_on`` when present).
    plots : GeoDataFrame
        Registry plots: ``plot_id, kind, township, year, planned_mu, completed_mu, status``
        (+ ``survival_rate``). Only the plots of ``year`` are drawn.
    summary : dict
        :func:`ecogis.restoration.summarize_progress` for the same registry and ``year``:
        ``{"pits": ..., "plots": ...}``.
    targets : dict, optional
        The year's targets (``afforestation_mu``, ``enclosure_mu``, ``pits_km2`` ...); only used
        where the summary carries no target.
    year : int
        The year reported.
    townships : GeoDataFrame, optional
        Township outlines (tooltip: the name); ``township_field`` names the name column.
    title : str
        Map title.
    basemap, tianditu_key, online, simplify_m, context_simplify_m
        As for :func:`build_controls_map`.

    Returns
    -------
    EcogisMap
        Panel: completed vs target per plot kind, pits treated in ``year`` vs target, the 清零
        countdown (pits not yet treated). Chart: completed / planned mu per township.
    """
    targets = dict(targets or {})
    for frame, name, cols in (
        (pits, "pits", ("pit_id", "status")),
        (plots, "plots", ("plot_id", "kind", "planned_mu", "completed_mu")),
    ):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            have = ", ".join(str(c) for c in frame.columns if c != frame.geometry.name)
            raise LayerError(f"{name}: no column(s) {', '.join(missing)}; columns: {have}")

    m = new_map(title=title, basemap=basemap, tianditu_key=tianditu_key, online=online)
    _add_popup_css(m)
    legend: list[tuple[str, Mapping[str, Any]]] = []
    if townships is not None:
        legend.append(_add_townships(m, townships, township_field, context_simplify_m))

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
        _kind=[PLOT_KIND_LABELS.get(str(k), str(k)) for k in plots["kind"]],
        _status=[PLOT_STATUS_LABELS.get(str(s), str(s)) for s in _col(plots, "status")],
        _planned=[_mu_text(v, unit=False) for v in planned],
        _done=[_mu_text(v, unit=False) for v in done],
        _pct=[_pct_text(v) for v in share],
        _survival=[
            _pct_text(v) for v in pd.to_numeric(_col(plots, "survival_rate"), errors="coerce")
        ],
        _township=_col(plots, "township"),
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
    verified = _floats(_col(pits, "verified_m2"))
    treated = _floats(_col(pits, "treated_m2"))
    shown = pits.assign(
        _status=[PIT_STATUS_LABELS.get(str(s), (None, str(s)))[1] for s in pits["status"]],
        _verified=[_mu_text(v, unit=False) for v in m2_to_mu(verified)],
        _treated=[_mu_text(v, unit=False) for v in m2_to_mu(treated)],
        _name=_col(pits, "name"),
        _township=_col(pits, "township"),
        _type=_col(pits, "site_type"),
        _done_on=_col(pits, "completed_on"),
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
        return STYLES[PIT_STATUS_LABELS.get(str(r["status"]), ("pit_unknown",))[0]]

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
    _add_points(
        m,
        shown,
        name="矿坑位置",
        style=pit_style,
        popup_fields=pit_fields,
        tooltip_field="_status",
        radius=5,
    )
    for key, text in PIT_STATUS_LABELS.values():
        legend.append((f"矿坑（圆点）：{text}", STYLES[key]))

    add_legend(m, legend, title="图例")
    add_panel(m, _progress_rows(summary, targets, year), title=f"{year} 年进度")
    bars = _township_bars(summary)
    if bars:
        add_chart(m, bars, title="各乡镇地块完成率（完成/计划）", target=100.0)
    return m


def _progress_rows(summary, targets, year) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    plots = summary["plots"]
    for r in plots[plots["township"] == _TOTAL].itertuples(index=False):
        target = _num(r.target_mu)
        if target is None:
            target = _num(targets.get(f"{r.kind}_mu"))
        text = f"{_mu_text(r.completed_mu)}"
        if target:
            text += f" / {_mu_text(target)}（{100 * float(r.completed_mu) / target:.0f}%）"
        else:
            text += "（无目标）"
        rows.append((PLOT_KIND_LABELS.get(str(r.kind), str(r.kind)), text))
    pits = summary["pits"]
    total = pits[pits["township"] == _TOTAL]
    if len(total):
        t = total.iloc[0]
        target = _num(t.get("target_km2"))
        if target is None:
            target = _num(targets.get("pits_km2"))
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
    per = plots[plots["township"] != _TOTAL]
    if not len(per):
        return []
    g = per.groupby("township", sort=False)[["planned_mu", "completed_mu"]].sum()
    return [
        (str(t), 100.0 * r.completed_mu / r.planned_mu if r.planned_mu > 0 else None)
        for t, r in g.iterrows()
    ]


def _col(frame, column: str) -> list:
    """A column as a list, or ``None`` per row when the frame lacks it."""
    if column in frame.columns:
        return frame[column].tolist()
    return [None] * len(frame)


def _floats(values) -> np.ndarray:
    return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype=float)


def _pct_text(share: Any) -> str:
    v = _num(share)
    return "—" if v is None else f"{100 * v:.0f}%"


# --------------------------------------------------------------------------------------
# screening
# --------------------------------------------------------------------------------------


def build_screening_map(
    sites,
    eligible,
    *,
    layers: Mapping[str, Any] | None = None,
    labels: Mapping[str, str] | None = None,
    title: str,
    ruleset_label: str | None = None,
    basemap: str = "none",
    tianditu_key: str | None = None,
    online: bool = False,
    simplify_m: float = 0.5,
    context_simplify_m: float = 5.0,
) -> EcogisMap:
    """Map of screened sites by verdict, their eligible part and the layers they were checked against.

    Parameters
    ----------
    sites : GeoDataFrame
        ``ScreenResult.sites`` (or layer ``sites`` of ``ecogis screen``'s output): ``site_id,
        verdict, reasons, area_mu, eligible_mu`` and ``<layer>_overlap_mu`` columns.
    eligible : GeoDataFrame
        ``ScreenResult.eligible``: ``site_id, verdict, eligible_mu`` and the eligible geometry.
    layers : dict of str to GeoDataFrame, optional
        Context: the layers the rule set checks (red line, water-source zones, sandy land ...),
        drawn under the sites, simplified with ``context_simplify_m``.
    labels : dict, optional
        Layer name -> label for people (legend, layer control, overlap rows in popups).
    title : str
        Map title.
    ruleset_label : str, optional
        Rule set name shown in the summary panel.
    basemap, tianditu_key, online, simplify_m, context_simplify_m
        As for :func:`build_controls_map`.

    Returns
    -------
    EcogisMap
        Popups list the site's verdict, areas, overlap per checked layer and the reasons, one
        per line (escaped). Panel: number of sites per verdict and the eligible area.
    """
    labels = dict(labels or {})
    layers = dict(layers or {})
    for col in ("site_id", "verdict", "reasons"):
        if col not in sites.columns:
            have = ", ".join(str(c) for c in sites.columns if c != sites.geometry.name)
            raise LayerError(
                f"sites: no column {col!r}; is this the output of ecogis screen? columns: {have}"
            )
    unknown = sorted(set(sites["verdict"].dropna()) - set(VERDICT_LABELS))
    if unknown:
        raise LayerError(
            f"sites: unknown verdict(s) {', '.join(map(repr, unknown))}; "
            f"allowed: {', '.join(VERDICT_LABELS)}"
        )

    def label(name: str) -> str:
        return labels.get(name) or name

    m = new_map(title=title, basemap=basemap, tianditu_key=tianditu_key, online=online)
    _add_popup_css(m)
    legend: list[tuple[str, Mapping[str, Any]]] = []
    for i, (name, gdf) in enumerate(layers.items()):
        # context stays pale so a red line is not mistaken for a failed (red) site
        style = _context_style(_style_for_layer(name, label(name), i))
        add_polygons(
            m,
            gdf,
            name=label(name),
            style=style,
            simplify_m=context_simplify_m,
        )
        legend.append((label(name), style))

    # popup rows: verdict, areas, the overlap with every checked layer, then the reasons
    overlap_cols = [c for c in sites.columns if str(c).endswith("_overlap_mu")]
    reasons = [_reason_lines(r) for r in sites["reasons"]]
    shown = sites.assign(
        _verdict=[VERDICT_LABELS.get(v, "—") for v in sites["verdict"]],
        _area=_mu_column(sites, "area_mu", "area_m2"),
        _eligible=_mu_column(sites, "eligible_mu", "eligible_m2"),
        _reasons=reasons,
        _overlaps=_overlap_lines(sites, overlap_cols, labels),
    )
    fields = [("site_id", "编号")]
    if "name" in sites.columns:
        fields.append(("name", "名称"))
    fields += [("_verdict", "结论"), ("_area", "面积（亩）")]
    fields.append(("_eligible", "可用面积（亩）"))
    if overlap_cols:
        fields.append(("_overlaps", "重叠（亩）"))
    fields.append(("_reasons", "原因"))

    def site_style(r):
        return STYLES.get(f"verdict_{r['verdict']}", STYLES["verdict_unknown"])

    add_polygons(
        m,
        shown,
        name=LABELS["site"],
        style=site_style,
        popup_fields=fields,
        tooltip_field="site_id",
        simplify_m=simplify_m,
    )
    for v, text in VERDICT_LABELS.items():
        legend.append((f"场址：{text}", STYLES[f"verdict_{v}"]))

    # the eligible part lies over its site: its popup repeats the site's verdict and reasons
    by_id = dict(zip(sites["site_id"].astype(str), reasons, strict=False))
    el = eligible.assign(
        _verdict=[VERDICT_LABELS.get(v, "—") for v in eligible["verdict"]],
        _eligible=_mu_column(eligible, "eligible_mu", "eligible_m2"),
        _reasons=[by_id.get(str(s), "—") for s in eligible["site_id"]],
    )
    add_polygons(
        m,
        el,
        name=LABELS["eligible"],
        style=STYLES["eligible_outline"],
        popup_fields=[
            ("site_id", "编号"),
            ("_verdict", "结论"),
            ("_eligible", "可用面积（亩）"),
            ("_reasons", "原因"),
        ],
        tooltip_field="site_id",
        simplify_m=simplify_m,
        on_top=True,
    )
    legend.append((LABELS["eligible"], STYLES["eligible_outline"]))
    # a marker per site in its verdict colour, readable at county zoom
    _add_points(
        m,
        shown,
        name="场址位置",
        style=site_style,
        popup_fields=fields,
        tooltip_field="site_id",
        radius=7,
    )

    add_legend(m, legend, title="图例")
    counts = sites["verdict"].value_counts()
    rows: list[tuple[str, str]] = []
    if ruleset_label:
        rows.append(("规则", ruleset_label))
    rows.append(("候选场址", f"{len(sites)} 个"))
    for v, text in VERDICT_LABELS.items():
        rows.append((text, f"{int(counts.get(v, 0))} 个"))
    usable = eligible[eligible["verdict"].isin(["pass", "conditional"])]
    usable_mu = _mu_column(usable, "eligible_mu", "eligible_m2", numeric=True)
    rows.append(("可用面积（通过/有条件）", _mu_text(float(np.nansum(usable_mu)))))
    add_panel(m, rows, title="筛查结果")
    return m


def _reason_lines(value: Any) -> str:
    """Reasons (joined by ``；``) as numbered lines; the popup keeps the line breaks."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    parts = [p.strip() for p in str(value).split(_REASON_SEP) if p.strip()]
    if not parts:
        return "—"
    if len(parts) == 1:
        return parts[0]
    return "\n".join(f"{i}. {p}" for i, p in enumerate(parts, 1))


def _overlap_lines(sites, columns: list, labels: Mapping[str, str]) -> list[str]:
    """Per site, one line ``<layer label> <mu>`` for each checked layer it overlaps."""
    names = [_prefix_label(str(c)[: -len("_overlap_mu")], labels) for c in columns]
    values = [_floats(sites[c].tolist()) for c in columns]
    out = []
    for i in range(len(sites)):
        lines = [
            f"{name} {_mu_text(v[i], unit=False)}"
            for name, v in zip(names, values, strict=True)
            if not math.isnan(v[i]) and v[i] > 0.005
        ]
        out.append("\n".join(lines) if lines else "无")
    return out


def _prefix_label(prefix: str, labels: Mapping[str, str]) -> str:
    """Label for a screening column prefix: ``farmland`` or ``farmland_limit`` -> 永久基本农田."""
    if prefix in labels:
        return labels[prefix]
    base = prefix.rsplit("_", 1)[0]
    return labels.get(base) or LABELS.get(prefix) or prefix


def _mu_column(gdf, mu_col: str, m2_col: str, *, numeric: bool = False):
    if mu_col in gdf.columns:
        values = pd.to_numeric(gdf[mu_col], errors="coerce").to_numpy(dtype=float)
    elif m2_col in gdf.columns:
        values = m2_to_mu(pd.to_numeric(gdf[m2_col], errors="coerce").to_numpy(dtype=float))
    else:
        values = m2_to_mu(_areas_m2(gdf))
    return values if numeric else [_mu_text(v, unit=False) for v in values]


# --------------------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------------------


def _style_for_layer(name: str, label: str, i: int) -> dict:
    """A layer's style: by name (``redline``), by label (生态保护红线), else a fallback."""
    if name in STYLES:
        return STYLES[name]
    if label in _STYLE_BY_LABEL:
        return STYLES[_STYLE_BY_LABEL[label]]
    c = _FALLBACK_COLORS[i % len(_FALLBACK_COLORS)]
    return {"color": c, "weight": 1.5, "fillColor": c, "fillOpacity": 0.3}


def _add_points(
    m: EcogisMap,
    gdf,
    *,
    name: str,
    style,
    popup_fields: list[tuple[str, str]],
    tooltip_field: str | None,
    radius: float,
) -> dict:
    """A circle marker inside each feature (same popup), filled like the feature; on top.

    Returns the marker style of a plain ``style`` (for the legend).
    """

    def marker(base: Mapping[str, Any]) -> dict:
        return {
            "radius": radius,
            "color": "#1a1a1a",
            "weight": 1.5,
            "fillColor": base.get("fillColor", base.get("color", "#3388ff")),
            "fillOpacity": 0.95,
        }

    points = gdf.set_geometry(gdf.geometry.representative_point())
    add_polygons(
        m,
        points,
        name=name,
        style=(lambda r: marker(style(r))) if callable(style) else marker(style),
        popup_fields=popup_fields,
        tooltip_field=tooltip_field,
        simplify_m=None,
        on_top=True,
    )
    return marker(style) if not callable(style) else {}


def _context_style(style: Mapping[str, Any]) -> dict:
    out = dict(style)
    if out.get("fill", True):
        out["fillOpacity"] = min(float(out.get("fillOpacity", 0.2)), 0.2)
    out["weight"] = min(float(out.get("weight", 1)), 1.0)
    return out


def _township_field(townships, field: str | None) -> str | None:
    if field:
        if field not in townships.columns:
            cols = ", ".join(str(c) for c in townships.columns if c != townships.geometry.name)
            raise LayerError(f"townships: no name field {field!r}; columns: {cols}")
        return field
    return next((c for c in _TOWNSHIP_FIELDS if c in townships.columns), None)


def _add_townships(m, townships, field: str | None, simplify_m: float):
    field = _township_field(townships, field)
    add_polygons(
        m,
        townships,
        name=LABELS["admin"],
        style=STYLES["admin"],
        tooltip_field=field,
        label=True,  # township names on the map, as on a paper planning map
        simplify_m=simplify_m,
    )
    return (LABELS["admin"], STYLES["admin"])


def _areas_m2(gdf) -> np.ndarray:
    """Feature areas in m² (in a metric CRS; geographic layers via their UTM zone)."""
    geo = gdf.geometry
    if geo.crs is not None and geo.crs.is_geographic:
        geo = geo.to_crs(geo.estimate_utm_crs())
    return geo.area.to_numpy(dtype=float)


def _num(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _fmt_mu(m2_values) -> list[str]:
    return [_mu_text(m2_to_mu(v), unit=False) for v in np.asarray(m2_values, dtype=float)]


def _fmt_m2(m2_values) -> list[str]:
    return [f"{v:,.1f}" for v in np.asarray(m2_values, dtype=float)]


def _mu_text(mu: Any, *, unit: bool = True) -> str:
    v = _num(mu)
    if v is None:
        return "—"
    text = f"{v:,.2f}"
    return f"{text} 亩" if unit else text


def _add_popup_css(m: EcogisMap) -> None:
    """Popup cells keep line breaks (reasons one per line) and stay readable when long."""
    from . import assets

    css = (
        ".ecogis-popup td { white-space: pre-line; min-width: 14em; max-width: 300px; }\n"
        ".leaflet-popup-content { max-height: 55vh; overflow-y: auto; }"
    )
    m.get_root().header.add_child(assets.inline_style(css), name="ecogis_maps_css")

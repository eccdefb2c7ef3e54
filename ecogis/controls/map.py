"""The controls map: the three control lines, overlaps inside a layer, conflicts on top."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..i18n import _
from ..mapping.base import EcogisMap, add_legend, add_panel, add_polygons, new_map
from ..mapping.common import (
    add_points,
    add_popup_css,
    add_townships,
    areas_m2,
    fmt_m2,
    fmt_mu,
    map_title,
    mu_text,
    style_for_layer,
)
from ..mapping.styles import STYLES
from ..units import m2_to_mu
from .model import ALL, MAP_TITLE, TOTAL

if TYPE_CHECKING:
    from .check import ControlReport

__all__ = ["build_controls_map"]


def build_controls_map(
    report: ControlReport,
    *,
    title: str | None = None,
    project_name: str | None = None,
    basemap: str = "none",
    tianditu_key: str | None = None,
    online: bool = False,
    simplify_m: float = 0.5,
    context_simplify_m: float = 5.0,
) -> EcogisMap:
    """Map of the control lines and their conflicts.

    Parameters
    ----------
    report : ControlReport
        From :func:`ecogis.controls.check_controls` (or :func:`~ecogis.controls.run_controls`):
        it carries the control-line layers as checked, their labels and id fields, and the
        townships.
    title : str, optional
        Map title; default the project name and the map's kind (:data:`.model.MAP_TITLE`).
    project_name : str, optional
        The project's name, for the default title.
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
    title = title or map_title(project_name, _(MAP_TITLE))
    from ..geometry import feature_ids

    label = report.label
    layers = report.layers
    id_fields = report.id_fields
    townships, township_field = report.townships, report.township_field

    m = new_map(title=title, basemap=basemap, tianditu_key=tianditu_key, online=online)
    add_popup_css(m)
    legend: list[tuple[str, Mapping[str, Any]]] = []

    if townships is not None:
        legend.append(add_townships(m, townships, township_field, context_simplify_m))

    for i, (name, gdf) in enumerate(layers.items()):
        style = style_for_layer(name, label(name), i)
        shown = gdf.assign(
            _id=feature_ids(gdf, id_fields.get(name)).to_numpy(),
            _mu=fmt_mu(areas_m2(gdf)),
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
            _mu=fmt_mu(selfs["area_m2"]),
            _m2=fmt_m2(selfs["area_m2"]),
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
        _mu=fmt_mu(conflicts["area_m2"]),
        _m2=fmt_m2(conflicts["area_m2"]),
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
    marker = add_points(
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
    totals = summary[summary["township"] == TOTAL]
    grand = totals[totals["layer_a"] == ALL]
    for row in totals[totals["layer_a"] != ALL].itertuples(index=False):
        rows.append(
            (
                f"{label(row.layer_a)} × {label(row.layer_b)}",
                f"{int(row.conflicts)} 处 / {mu_text(row.area_mu)}",
            )
        )
    if len(grand):
        g = grand.iloc[0]
        rows.append(("冲突合计", f"{int(g['conflicts'])} 处 / {mu_text(g['area_mu'])}"))
    selfs = report.self_overlaps
    rows.append(
        ("图层内重叠", f"{len(selfs)} 处 / {mu_text(m2_to_mu(float(selfs['area_m2'].sum())))}")
    )
    min_m2 = getattr(report, "min_area_m2", 1.0)
    rows.append((f"碎片（< {min_m2:g} m²，未计入）", f"{len(report.slivers)} 处"))
    rows.append(("无效几何", f"{len(report.invalid)} 个"))
    return rows

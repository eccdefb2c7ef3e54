"""The screening map: sites by verdict, their eligible part, the layers they were checked
against, reasons in the popups."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import LayerError
from ..i18n import _, label_of
from ..mapping.base import EcogisMap, add_legend, add_panel, add_polygons, new_map
from ..mapping.common import (
    add_points,
    add_popup_css,
    context_style,
    map_title,
    mu_column,
    mu_text,
    style_for_layer,
    to_floats,
)
from ..mapping.styles import LABELS, STYLES
from .model import MAP_TITLE, REASON_SEP, VERDICT_LABELS

if TYPE_CHECKING:
    from .screen import ScreenResult

__all__ = ["build_screening_map"]


def build_screening_map(
    result: ScreenResult,
    *,
    title: str | None = None,
    project_name: str | None = None,
    basemap: str = "none",
    tianditu_key: str | None = None,
    online: bool = False,
    simplify_m: float = 0.5,
    context_simplify_m: float = 5.0,
) -> EcogisMap:
    """Map of screened sites by verdict, their eligible part and the layers they were checked
    against.

    Parameters
    ----------
    result : ScreenResult
        From :func:`ecogis.screening.run_screening` (or read back with
        :func:`~ecogis.screening.load_screening`): ``sites`` (``site_id, verdict, reasons,
        area_mu, eligible_mu`` and ``<layer>_overlap_mu`` columns), ``eligible``, the context
        ``layers`` the rule set checks (drawn under the sites, simplified with
        ``context_simplify_m``), their ``labels`` and the rule set (named in the panel).
    title : str, optional
        Map title; default the project name and the map's kind (:data:`.model.MAP_TITLE`).
    project_name : str, optional
        The project's name, for the default title.
    basemap, tianditu_key, online, simplify_m, context_simplify_m
        As for :func:`ecogis.controls.build_controls_map`.

    Returns
    -------
    EcogisMap
        Popups list the site's verdict, areas, overlap per checked layer and the reasons, one
        per line (escaped). Panel: number of sites per verdict and the eligible area.
    """
    title = title or map_title(project_name, _(MAP_TITLE))
    sites, eligible = result.sites, result.eligible
    rs = result.ruleset
    ruleset_label = (rs.label or rs.name) if rs is not None else None
    labels = dict(result.labels)
    layers = dict(result.layers)
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
    add_popup_css(m)
    legend: list[tuple[str, Mapping[str, Any]]] = []
    for i, (name, gdf) in enumerate(layers.items()):
        # context stays pale so a red line is not mistaken for a failed (red) site
        style = context_style(style_for_layer(name, label(name), i))
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
        _verdict=[label_of(VERDICT_LABELS, v, "—") for v in sites["verdict"]],
        _area=mu_column(sites, "area_mu", "area_m2"),
        _eligible=mu_column(sites, "eligible_mu", "eligible_m2"),
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
    for v in VERDICT_LABELS:
        text = label_of(VERDICT_LABELS, v)
        legend.append((f"场址：{text}", STYLES[f"verdict_{v}"]))

    # the eligible part lies over its site: its popup repeats the site's verdict and reasons
    by_id = dict(zip(sites["site_id"].astype(str), reasons, strict=False))
    el = eligible.assign(
        _verdict=[label_of(VERDICT_LABELS, v, "—") for v in eligible["verdict"]],
        _eligible=mu_column(eligible, "eligible_mu", "eligible_m2"),
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
    add_points(
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
    for v in VERDICT_LABELS:
        text = label_of(VERDICT_LABELS, v)
        rows.append((text, f"{int(counts.get(v, 0))} 个"))
    usable = eligible[eligible["verdict"].isin(["pass", "conditional"])]
    usable_mu = mu_column(usable, "eligible_mu", "eligible_m2", numeric=True)
    rows.append(("可用面积（通过/有条件）", mu_text(float(np.nansum(usable_mu)))))
    add_panel(m, rows, title="筛查结果")
    return m


def _reason_lines(value: Any) -> str:
    """Reasons (joined by ``；``) as numbered lines; the popup keeps the line breaks."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    parts = [p.strip() for p in str(value).split(REASON_SEP) if p.strip()]
    if not parts:
        return "—"
    if len(parts) == 1:
        return parts[0]
    return "\n".join(f"{i}. {p}" for i, p in enumerate(parts, 1))


def _overlap_lines(sites, columns: list, labels: Mapping[str, str]) -> list[str]:
    """Per site, one line ``<layer label> <mu>`` for each checked layer it overlaps."""
    names = [_prefix_label(str(c)[: -len("_overlap_mu")], labels) for c in columns]
    values = [to_floats(sites[c].tolist()) for c in columns]
    out = []
    for i in range(len(sites)):
        lines = [
            f"{name} {mu_text(v[i], unit=False)}"
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

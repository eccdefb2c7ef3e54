"""The controls map: the three control lines, overlaps inside a layer, conflicts on top;
search by feature id, filters by township and conflict type, a list of the conflicts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..i18n import N_, _
from ..mapping.base import EcogisMap, add_legend, add_polygons
from ..mapping.common import (
    MapContext,
    add_points,
    areas_m2,
    fmt_m2,
    fmt_mu,
    map_title,
    start_map,
    style_for_layer,
    township_options,
)
from ..mapping.interactive import (
    Count,
    Sum,
    Value,
    add_filter,
    add_list,
    add_search,
    add_summary,
    parts,
)
from ..mapping.styles import LABELS, STYLES
from ..units import m2_to_mu
from .model import COLUMN_LABELS, MAP_TITLE

if TYPE_CHECKING:
    from .check import ControlReport

__all__ = ["build_controls_map"]

#: texts of the map (shown with ``_()``)
_T = {
    "conflict_markers": N_("conflict locations"),
    "conflict_markers_legend": N_("conflict locations (dots)"),
    "pair": N_("Conflict type"),
    "legend": N_("Legend"),
    "summary": N_("Conflict summary"),
    "total": N_("All conflicts"),
    "count_area": N_("{count} places / {area} mu"),
    "slivers": N_("Slivers (< {min} m², not counted)"),
    "places": N_("{count} places"),
    "invalid": N_("Invalid geometries"),
    "features": N_("{count} features"),
    "list": N_("Conflicts ({n})"),
    "none": N_("No conflict"),
}

# m² -> mu, the factor the page multiplies sums by (1 mu = 10000/15 m² exactly)
_MU = m2_to_mu(1.0)


def build_controls_map(
    report: ControlReport,
    *,
    context: MapContext | None = None,
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
    context : MapContext, optional
        The project's study area, townships, data sources and basemap
        (:func:`ecogis.mapping.map_context`). Without it the report's townships are drawn
        and ``project_name``, ``basemap``, ``tianditu_key``, ``online`` are used.
    title : str, optional
        Map title; default the project name and the map's kind (:data:`.model.MAP_TITLE`).
    simplify_m, context_simplify_m : float
        Display simplification tolerance in metres for the control lines / conflicts and for
        the study area and townships.

    Returns
    -------
    EcogisMap
        Layers: study area, townships, each control line (popup: id, area in mu), overlaps
        inside a layer, conflicts (popup: both layers and ids, township, area in mu and m²)
        and a marker per conflict on top. Search by feature id; filters by township and
        conflict type; a panel with conflicts and mu per pair of lines, total, overlaps inside
        layers, slivers, invalid geometries (its numbers follow the filters); a list of the
        conflicts with zoom-to.
    """
    if context is None:
        context = MapContext(
            name=project_name,
            basemap=basemap,
            tianditu_key=tianditu_key,
            online=online,
        )
    if context.townships is None and report.townships is not None:
        context = replace(context, townships=report.townships, township_field=report.township_field)
    title = title or map_title(project_name or context.name, _(MAP_TITLE))
    from ..geometry import feature_ids

    label = report.label
    id_fields = report.id_fields
    m, legend = start_map(context, title, simplify_m=context_simplify_m)
    col = {k: _(v) for k, v in COLUMN_LABELS.items()}
    search: list[tuple[str, list[str], str]] = []

    for i, (name, gdf) in enumerate(report.layers.items()):
        style = style_for_layer(name, label(name), i)
        shown = gdf.assign(
            _id=feature_ids(gdf, id_fields.get(name)).astype(str).to_numpy(),
            _mu=fmt_mu(areas_m2(gdf)),
        )
        add_polygons(
            m,
            shown,
            name=label(name),
            style=style,
            popup_fields=[("_id", col["id"]), ("_mu", col["area_mu"])],
            tooltip_field="_id",
            title_field="_id",
            data_fields=["_id"],
            simplify_m=simplify_m,
        )
        legend.append((label(name), style))
        search.append((label(name), ["_id"], label(name)))

    pair_names = [(a, b) for a, b in report.pairs]
    selfs = report.self_overlaps
    self_name = _(LABELS["self_overlap"])
    if len(selfs):
        shown = selfs.assign(
            _layer=[label(n) for n in selfs["layer"]],
            _mu=fmt_mu(selfs["area_m2"]),
            _m2=fmt_m2(selfs["area_m2"]),
            _key=[
                f"{n}|{a}|{b}"
                for n, a, b in zip(selfs["layer"], selfs["id_a"], selfs["id_b"], strict=True)
            ],
            township=selfs["township"].astype(object).where(selfs["township"].notna(), None),
        )
        add_polygons(
            m,
            shown,
            name=self_name,
            style=STYLES["self_overlap"],
            popup_fields=[
                ("_layer", col["layer"]),
                ("id_a", col["id_a"]),
                ("id_b", col["id_b"]),
                ("township", col["township"]),
                ("_mu", col["area_mu"]),
                ("_m2", col["area_m2"]),
            ],
            tooltip_field="_layer",
            data_fields=["township", "area_m2", "_key"],
            simplify_m=simplify_m,
            on_top=True,
        )
        legend.append((self_name, STYLES["self_overlap"]))

    conflicts = report.conflicts
    conflict_name = _(LABELS["conflict"])
    pair_key = [f"{a}|{b}" for a, b in zip(conflicts["layer_a"], conflicts["layer_b"], strict=True)]
    shown = conflicts.assign(
        _pair=[
            f"{label(a)} × {label(b)}"
            for a, b in zip(conflicts["layer_a"], conflicts["layer_b"], strict=True)
        ],
        _pairkey=pair_key,
        _key=[
            f"{a}|{ia}|{b}|{ib}"
            for a, ia, b, ib in zip(
                conflicts["layer_a"],
                conflicts["id_a"],
                conflicts["layer_b"],
                conflicts["id_b"],
                strict=True,
            )
        ],
        _a=[
            f"{label(a)} {i}" for a, i in zip(conflicts["layer_a"], conflicts["id_a"], strict=True)
        ],
        _b=[
            f"{label(b)} {i}" for b, i in zip(conflicts["layer_b"], conflicts["id_b"], strict=True)
        ],
        _ids=[f"{a} {b}" for a, b in zip(conflicts["id_a"], conflicts["id_b"], strict=True)],
        _mu=fmt_mu(conflicts["area_m2"]),
        _m2=fmt_m2(conflicts["area_m2"]),
        township=conflicts["township"].astype(object).where(conflicts["township"].notna(), None),
    )
    shown["_listed"] = [
        f"{p}  " + _("{value} mu").format(value=m_)
        for p, m_ in zip(shown["_pair"], shown["_mu"], strict=True)
    ]
    conflict_fields = [
        ("_pair", _(_T["pair"])),
        ("_a", col["id_a"]),
        ("_b", col["id_b"]),
        ("township", col["township"]),
        ("_mu", col["area_mu"]),
        ("_m2", col["area_m2"]),
    ]
    add_polygons(
        m,
        shown,
        name=conflict_name,
        style=STYLES["conflict"],
        popup_fields=conflict_fields,
        tooltip_field="_pair",
        data_fields=["township", "_pairkey", "_key", "area_m2", "_ids", "_listed", "_a", "_b"],
        simplify_m=simplify_m,
        on_top=True,
    )
    legend.append((conflict_name, STYLES["conflict"]))
    # a conflict of a few mu is under a pixel at county zoom: mark where each one is
    marker_name = _(_T["conflict_markers"])
    marker = add_points(
        m, shown, name=marker_name, style=STYLES["conflict"], ref=conflict_name, radius=7
    )
    legend.append((_(_T["conflict_markers_legend"]), marker))
    # a feature id finds its conflicts first, then the feature itself
    add_search(m, [(marker_name, ["_a", "_b"], conflict_name), *search])
    towns = township_options(
        context.township_names, shown["township"], selfs["township"] if len(selfs) else []
    )
    if towns:
        columns = {conflict_name: "township"}
        if len(selfs):
            columns[self_name] = "township"
        add_filter(m, "township", col["township"], options=towns, columns=columns)
    add_filter(
        m,
        "pair",
        _(_T["pair"]),
        options=[(f"{a}|{b}", f"{label(a)} × {label(b)}") for a, b in pair_names],
        columns={conflict_name: "_pairkey"},
    )
    add_summary(m, _(_T["summary"]), _controls_rows(report, label, conflict_name, self_name))
    add_list(
        m,
        _(_T["list"]),
        conflict_name,
        text=["_listed"],
        target=marker_name,
        empty=_(_T["none"]),
    )
    add_legend(m, legend, title=_(_T["legend"]))
    return m


def _controls_rows(report: Any, label, conflicts: str, selfs_name: str) -> list:
    """Panel rows; their numbers are counted in the page from the drawn conflicts, so they
    follow the filters (a conflict across a township line counts once, as in the table)."""

    def count_area(where: Mapping[str, Any] | None, layer: str, key: str) -> list:
        return parts(
            _(_T["count_area"]),
            count=Value(Count(layer, where, distinct="_key"), fmt="int", key=f"{key}.count"),
            area=Value(Sum(layer, "area_m2", where, scale=_MU), fmt="n2", key=f"{key}.mu"),
        )

    rows: list[tuple[str, list]] = []
    for a, b in report.pairs:
        rows.append(
            (
                f"{label(a)} × {label(b)}",
                count_area({"_pairkey": f"{a}|{b}"}, conflicts, f"{a}|{b}"),
            )
        )
    rows.append((_(_T["total"]), count_area(None, conflicts, "total")))
    if len(report.self_overlaps):
        rows.append((_(LABELS["self_overlap"]), count_area(None, selfs_name, "self")))
    else:
        rows.append((_(LABELS["self_overlap"]), parts(_(_T["count_area"]), count="0", area="0.00")))
    min_m2 = getattr(report, "min_area_m2", 1.0)
    rows.append(
        (
            _(_T["slivers"]).format(min=f"{min_m2:g}"),
            [_(_T["places"]).format(count=len(report.slivers))],
        )
    )
    rows.append((_(_T["invalid"]), [_(_T["features"]).format(count=len(report.invalid))]))
    return rows

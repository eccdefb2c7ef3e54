"""The screening map: sites by verdict with their IDs, the eligible rest, the layers they were
checked against and the buffers the rules add, reasons kept whole in the popups; search,
filters by township and verdict, a list of the sites that did not pass."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import LayerError
from ..i18n import N_, _, label_of
from ..mapping.base import EcogisMap, add_legend, add_polygons
from ..mapping.common import (
    MapContext,
    add_points,
    context_style,
    map_title,
    mu_column,
    mu_text,
    start_map,
    style_for_layer,
    to_floats,
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
from .model import BUFFER_QUAD_SEGS, COLUMN_LABELS, MAP_TITLE, REASON_SEP, VERDICT_LABELS

if TYPE_CHECKING:
    from .screen import ScreenResult

__all__ = ["build_screening_map"]

#: texts of the map (shown with ``_()``)
_T = {
    "name": N_("Name"),
    "overlaps": N_("Overlaps (mu)"),
    "none": N_("none"),
    "markers": N_("site locations"),
    "buffer": N_("{layer}: {buffer} m buffer"),
    "site_legend": N_("site: {verdict}"),
    "legend": N_("Legend"),
    "summary": N_("Screening"),
    "ruleset": N_("Rule set"),
    "sites": N_("Candidate sites"),
    "count": N_("{count} sites"),
    "usable": N_("Eligible area (pass / conditional)"),
    "mu": N_("{value} mu"),
    "list": N_("Sites not passed ({n})"),
    "list_none": N_("Every site passed"),
    "tip": N_("{id} {name} ({verdict})"),
}
#: verdicts the list of sites that did not pass shows
_NOT_PASSED = ("fail", "unknown")


def build_screening_map(
    result: ScreenResult,
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
    """Map of screened sites by verdict, their eligible part and the layers they were checked
    against.

    Parameters
    ----------
    result : ScreenResult
        From :func:`ecogis.screening.run_screening` (or read back with
        :func:`~ecogis.screening.load_screening`): ``sites`` (``site_id, verdict, reasons,
        area_mu, eligible_mu`` and ``<layer>_overlap_mu`` columns), ``eligible``, the context
        ``layers`` the rule set checks (drawn under the sites, simplified with
        ``context_simplify_m``), their ``labels`` and the rule set (named in the panel; its
        buffers are drawn).
    context : MapContext, optional
        The project's study area, townships, data sources and basemap
        (:func:`ecogis.mapping.map_context`).
    title : str, optional
        Map title; default the project name and the map's kind (:data:`.model.MAP_TITLE`).
    project_name, basemap, tianditu_key, online, simplify_m, context_simplify_m
        As for :func:`ecogis.controls.build_controls_map`.

    Returns
    -------
    EcogisMap
        Popups list the site's verdict, areas, overlap per checked layer and the reasons, one
        per line and each kept whole (escaped). Sites carry their IDs as labels. Panel: number
        of sites per verdict and the eligible area, following the filters.
    """
    if context is None:
        context = MapContext(
            name=project_name, basemap=basemap, tianditu_key=tianditu_key, online=online
        )
    title = title or map_title(project_name or context.name, _(MAP_TITLE))
    sites, eligible = result.sites, result.eligible
    rs = result.ruleset
    ruleset_label = (rs.label or rs.name) if rs is not None else None
    labels = dict(result.labels)
    layers = dict(result.layers)
    for col in ("site_id", "verdict", "reasons"):
        if col not in sites.columns:
            have = ", ".join(str(c) for c in sites.columns if c != sites.geometry.name)
            raise LayerError(
                _(
                    "sites: no column {column!r}; is this the output of ecogis screen? columns: "
                    "{have}"
                ).format(column=col, have=have)
            )
    unknown = sorted(set(sites["verdict"].dropna()) - set(VERDICT_LABELS))
    if unknown:
        raise LayerError(
            _("sites: unknown verdict(s) {values}; allowed: {allowed}").format(
                values=", ".join(map(repr, unknown)), allowed=", ".join(VERDICT_LABELS)
            )
        )

    def label(name: str) -> str:
        return labels.get(name) or name

    m, legend = start_map(context, title, simplify_m=context_simplify_m)
    for i, (name, gdf) in enumerate(layers.items()):
        # context stays pale so a red line is not mistaken for a failed site
        style = context_style(style_for_layer(name, label(name), i))
        add_polygons(m, gdf, name=label(name), style=style, simplify_m=context_simplify_m)
        legend.append((label(name), style))
    for name, buffer_m in _buffers(rs, layers):
        zone = layers[name]
        ring = zone.set_geometry(zone.geometry.buffer(buffer_m, quad_segs=BUFFER_QUAD_SEGS))
        ring = ring.dissolve().reset_index(drop=True)
        text = _(_T["buffer"]).format(layer=label(name), buffer=f"{buffer_m:g}")
        add_polygons(m, ring, name=text, style=STYLES["buffer"], simplify_m=context_simplify_m)
        legend.append((text, STYLES["buffer"]))

    col = {k: _(v) for k, v in COLUMN_LABELS.items()}
    # popup rows: verdict, areas, the overlap with every checked layer, then the reasons
    overlap_cols = [c for c in sites.columns if str(c).endswith("_overlap_mu")]
    known = _known_texts(rs, labels)
    failed = sites["failed_checks"] if "failed_checks" in sites.columns else [None] * len(sites)
    reasons = [
        _reason_lines(r, known, f, rs) for r, f in zip(sites["reasons"], failed, strict=True)
    ]
    verdicts = [label_of(VERDICT_LABELS, v, "—") for v in sites["verdict"]]
    names = sites["name"].tolist() if "name" in sites.columns else [None] * len(sites)
    townships = (
        sites["township"].astype(object).where(sites["township"].notna(), None)
        if "township" in sites.columns
        else None
    )
    shown = sites.assign(
        site_id=sites["site_id"].astype(str),
        _verdict=verdicts,
        _area=mu_column(sites, "area_mu", "area_m2"),
        _eligible=mu_column(sites, "eligible_mu", "eligible_m2"),
        _eligible_mu=mu_column(sites, "eligible_mu", "eligible_m2", numeric=True),
        _reasons=reasons,
        _overlaps=_overlap_lines(sites, overlap_cols, labels),
        _name=[None if _missing(n) else str(n) for n in names],
        _tip=[
            _(_T["tip"]).format(id=i, name="" if _missing(n) else n, verdict=v).replace("  ", " ")
            for i, n, v in zip(sites["site_id"].astype(str), names, verdicts, strict=True)
        ],
    )
    shown["_listed"] = [
        f"{i} {'' if _missing(n) else n} ({v})".replace("  ", " ")
        for i, n, v in zip(shown["site_id"], names, verdicts, strict=True)
    ]
    if townships is not None:
        shown["township"] = townships
    fields = [("site_id", col["site_id"])]
    if "name" in sites.columns:
        fields.append(("_name", _(_T["name"])))
    if townships is not None:
        fields.append(("township", col.get("township", _("Township"))))
    fields += [("_verdict", col["verdict"]), ("_area", col["area_mu"])]
    fields.append(("_eligible", col["eligible_mu"]))
    if overlap_cols:
        fields.append(("_overlaps", _(_T["overlaps"])))
    fields.append(("_reasons", col["reasons"]))
    data = ["site_id", "_name", "verdict", "_eligible_mu", "_listed"]
    if townships is not None:
        data.append("township")

    def site_style(r):
        return STYLES.get(f"verdict_{r['verdict']}", STYLES["verdict_unknown"])

    site_name = _(LABELS["site"])
    add_polygons(
        m,
        shown,
        name=site_name,
        style=site_style,
        popup_fields=fields,
        tooltip_field="_tip",
        title_field="site_id",
        data_fields=data,
        key="site_id",
        simplify_m=simplify_m,
    )
    for v in VERDICT_LABELS:
        legend.append(
            (
                _(_T["site_legend"]).format(verdict=label_of(VERDICT_LABELS, v)),
                STYLES[f"verdict_{v}"],
            )
        )

    # the eligible part lies over its site: its popup repeats the site's verdict and reasons
    by_id = dict(zip(shown["site_id"], reasons, strict=False))
    town_by_id = (
        dict(zip(shown["site_id"], townships, strict=False)) if townships is not None else {}
    )
    el = eligible.assign(
        site_id=eligible["site_id"].astype(str),
        _verdict=[label_of(VERDICT_LABELS, v, "—") for v in eligible["verdict"]],
        _eligible=mu_column(eligible, "eligible_mu", "eligible_m2"),
        _reasons=[by_id.get(str(s), "—") for s in eligible["site_id"]],
        township=[town_by_id.get(str(s)) for s in eligible["site_id"]],
    )
    eligible_name = _(LABELS["eligible"])
    add_polygons(
        m,
        el,
        name=eligible_name,
        style=STYLES["eligible_outline"],
        popup_fields=[
            ("site_id", col["site_id"]),
            ("_verdict", col["verdict"]),
            ("_eligible", col["eligible_mu"]),
            ("_reasons", col["reasons"]),
        ],
        tooltip_field="site_id",
        title_field="site_id",
        data_fields=["verdict", "township"],
        simplify_m=simplify_m,
        on_top=True,
    )
    legend.append((eligible_name, STYLES["eligible_outline"]))
    # a marker per site in its verdict colour with its ID beside it, readable at county zoom
    marker_name = _(_T["markers"])
    add_points(
        m, shown, name=marker_name, style=site_style, ref=site_name, radius=7, label="site_id"
    )

    add_search(m, [(marker_name, ["site_id", "_name"], site_name)])
    if townships is not None:
        towns = township_options(context.township_names, townships)
        add_filter(
            m,
            "township",
            col.get("township", _("Township")),
            options=towns,
            columns={site_name: "township", eligible_name: "township"},
        )
    add_filter(
        m,
        "verdict",
        col["verdict"],
        options=[(v, label_of(VERDICT_LABELS, v)) for v in VERDICT_LABELS],
        columns={site_name: "verdict", eligible_name: "verdict"},
    )
    rows: list[tuple[str, list]] = []
    if ruleset_label:
        rows.append((_(_T["ruleset"]), [ruleset_label]))
    rows.append(
        (
            _(_T["sites"]),
            parts(_(_T["count"]), count=Value(Count(site_name), fmt="int", key="sites")),
        )
    )
    for v in VERDICT_LABELS:
        rows.append(
            (
                label_of(VERDICT_LABELS, v),
                parts(
                    _(_T["count"]),
                    count=Value(Count(site_name, {"verdict": [v]}), fmt="int", key=v),
                ),
            )
        )
    usable = Sum(site_name, "_eligible_mu", {"verdict": ["pass", "conditional"]})
    rows.append((_(_T["usable"]), parts(_(_T["mu"]), value=Value(usable, key="eligible_mu"))))
    add_summary(m, _(_T["summary"]), rows)
    add_list(
        m,
        _(_T["list"]),
        site_name,
        text=["_listed"],
        where={"verdict": list(_NOT_PASSED)},
        target=marker_name,
        empty=_(_T["list_none"]),
    )
    add_legend(m, legend, title=_(_T["legend"]))
    return m


def _buffers(ruleset, layers: Mapping[str, Any]) -> list[tuple[str, float]]:
    """(layer, buffer in m) of every check of the rule set with ``buffer_m``."""
    out = []
    for check in getattr(ruleset, "checks", ()) or ():
        buffer_m = float((check.params or {}).get("buffer_m") or 0)
        if check.layer in layers and buffer_m > 0:
            out.append((check.layer, buffer_m))
    return list(dict.fromkeys(out))


def _known_texts(ruleset, labels: Mapping[str, str]) -> list[str]:
    """Texts a reason quotes that may hold the separator themselves (bases, labels)."""
    found = []
    if ruleset is not None:
        found += [ruleset.basis, ruleset.label]
        for check in ruleset.checks:
            found += [check.basis, check.label]
    found += list(labels.values())
    return sorted({t for t in found if t and REASON_SEP in t}, key=len, reverse=True)


def _reason_lines(
    value: Any, known: Sequence[str] = (), failed: Any = None, ruleset: Any = None
) -> str:
    """Reasons (joined by ``；``) as numbered lines, each kept whole: a legal basis or a label
    that holds ``；`` itself does not split its reason. With the rule set, each reason is cut
    where its check's basis ends (:func:`~ecogis.screening.reasons.split_reasons`, as the
    review opinion does); without, at the separators outside the ``known`` texts. The popup
    keeps the line breaks."""
    if _missing(value) or not str(value).strip():
        return "—"
    text = str(value)
    if ruleset is not None and isinstance(failed, str) and failed.strip():
        from .reasons import split_reasons

        pieces = [piece for _key, piece, _basis in split_reasons(ruleset, text, failed)]
        if len(pieces) == 1:
            return pieces[0]
        return "\n".join(f"{i}. {p}" for i, p in enumerate(pieces, 1))
    # protect the separators inside known texts, split, then put them back
    marks = {}
    for i, t in enumerate(known):
        mark = f"\x00{i}\x00"
        marks[mark] = t
        text = text.replace(t, mark)
    pieces = [p.strip() for p in text.split(REASON_SEP) if p.strip()]
    expected = len([c for c in str(failed).split(",") if c.strip()]) if not _missing(failed) else 0
    if expected and len(pieces) > expected:
        # a piece without a comma continues the reason before it (a basis with its own ；)
        merged: list[str] = []
        for p in pieces:
            if merged and "，" not in p and "," not in p:
                merged[-1] += REASON_SEP + p
            else:
                merged.append(p)
        pieces = merged
    for mark, t in marks.items():
        pieces = [p.replace(mark, t) for p in pieces]
    if expected and len(pieces) != expected and len(pieces) > 1:
        return str(value)  # cannot tell the reasons apart: show them as written
    if len(pieces) == 1:
        return pieces[0]
    return "\n".join(f"{i}. {p}" for i, p in enumerate(pieces, 1))


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


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
        out.append("\n".join(lines) if lines else _(_T["none"]))
    return out


def _prefix_label(prefix: str, labels: Mapping[str, str]) -> str:
    """Label for a screening column prefix: ``farmland`` or ``farmland_limit`` -> 永久基本农田."""
    if prefix in labels:
        return labels[prefix]
    base = prefix.rsplit("_", 1)[0]
    if base in labels:
        return labels[base]
    return _(LABELS[prefix]) if prefix in LABELS else prefix

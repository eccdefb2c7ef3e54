"""Map colours and Leaflet path styles, keyed by layer role or kind.

No official map colours for the three control lines were found (see DOMAIN.md); these follow
the conventions planners recognise: red line red, permanent basic farmland yellow, urban
development boundary as a purple outline without fill, conflicts in a bright colour on top.

Every style is a dict of Leaflet path options (``color``, ``weight``, ``opacity``,
``fillColor``, ``fillOpacity``, ``fill``, ``dashArray``) so it can be passed unchanged to
:func:`ecogis.mapping.add_polygons` and :func:`ecogis.mapping.add_legend`. Copy before
changing one (``{**STYLES["redline"], "weight": 3}``): the dicts are shared.
"""

from __future__ import annotations

import re

from ..errors import EcogisError

__all__ = [
    "STYLES",
    "LABELS",
    "PROGRESS_RAMP",
    "progress_color",
    "style_for",
    "check_color",
]

# verdict colours, shared by verdict fills and panel text
_GREEN = "#2e9e44"
_ORANGE = "#ff8c00"
_RED = "#d7191c"
_GREY = "#9e9e9e"

#: Leaflet path style per role / kind name
STYLES: dict[str, dict] = {
    # --- the three control lines -------------------------------------------------------
    "redline": {"color": "#e60000", "weight": 1.5, "fillColor": "#e60000", "fillOpacity": 0.35},
    "farmland": {"color": "#c9a400", "weight": 1, "fillColor": "#ffd700", "fillOpacity": 0.5},
    "urban": {"color": "#a020f0", "weight": 2.5, "fill": False, "fillOpacity": 0},
    # conflicts are drawn last and bright so a small overlap is still seen
    "conflict": {"color": "#000000", "weight": 2, "fillColor": "#00e5ff", "fillOpacity": 0.85},
    # overlaps inside one layer (double-drawn farmland): bright too, but not the conflicts' cyan
    "self_overlap": {"color": "#000000", "weight": 1, "fillColor": "#ff00ff", "fillOpacity": 0.75},
    # --- context -------------------------------------------------------------------------
    "boundary": {"color": "#333333", "weight": 2.5, "dashArray": "8 4", "fill": False},
    "admin": {"color": "#777777", "weight": 1, "dashArray": "4 3", "fill": False},
    "zone": {"color": "#b59b62", "weight": 1, "fillColor": "#e8cf9a", "fillOpacity": 0.35},
    "sandy_land": {"color": "#b59b62", "weight": 1, "fillColor": "#e8cf9a", "fillOpacity": 0.35},
    "water_source": {"color": "#1565c0", "weight": 1, "fillColor": "#64b5f6", "fillOpacity": 0.4},
    "forest": {"color": "#2e7d32", "weight": 1, "fillColor": "#81c784", "fillOpacity": 0.4},
    "grassland": {"color": "#7cb342", "weight": 1, "fillColor": "#c5e1a5", "fillOpacity": 0.4},
    "buffer": {"color": "#555555", "weight": 1, "dashArray": "3 3", "fill": False},
    # --- screening -----------------------------------------------------------------------
    "site": {"color": "#0050b3", "weight": 2, "fillColor": "#0050b3", "fillOpacity": 0.1},
    "verdict_pass": {"color": _GREEN, "weight": 2, "fillColor": _GREEN, "fillOpacity": 0.45},
    "verdict_conditional": {
        "color": _ORANGE,
        "weight": 2,
        "fillColor": _ORANGE,
        "fillOpacity": 0.45,
    },
    "verdict_fail": {"color": _RED, "weight": 2, "fillColor": _RED, "fillOpacity": 0.45},
    "verdict_unknown": {"color": "#616161", "weight": 2, "fillColor": _GREY, "fillOpacity": 0.4},
    "eligible": {
        "color": _GREEN,
        "weight": 1,
        "dashArray": "4 2",
        "fillColor": "#a5d6a7",
        "fillOpacity": 0.6,
    },
    # the eligible part drawn over its site: an outline only, so the verdict colour stays visible
    # and a click inside the site still opens the site's popup
    "eligible_outline": {"color": "#0b5d1e", "weight": 1.5, "dashArray": "6 4", "fill": False},
    "overlap": {"color": "#000000", "weight": 1, "fillColor": "#00e5ff", "fillOpacity": 0.8},
    # --- restoration: legacy mine pits (A 未治理 / B 已恢复治理, plus the work in between) --
    "pit_untreated": {
        "color": "#7f2704",
        "weight": 1.5,
        "fillColor": "#d94801",
        "fillOpacity": 0.6,
    },
    "pit_in_progress": {
        "color": "#b35806",
        "weight": 1.5,
        "fillColor": "#fdb863",
        "fillOpacity": 0.6,
    },
    "pit_treated": {"color": "#1b5e20", "weight": 1.5, "fillColor": "#66bb6a", "fillOpacity": 0.6},
    "pit_verified": {"color": "#0d3b12", "weight": 2, "fillColor": "#2e7d32", "fillOpacity": 0.7},
    "pit_unknown": {"color": "#616161", "weight": 1.5, "fillColor": _GREY, "fillOpacity": 0.5},
    # --- restoration: afforestation / enclosure plots -------------------------------------
    "plot_planned": {"color": "#1565c0", "weight": 1.5, "dashArray": "4 3", "fill": False},
    "plot_in_progress": {
        "color": "#ef6c00",
        "weight": 1.5,
        "fillColor": "#ffcc80",
        "fillOpacity": 0.5,
    },
    "plot_completed": {
        "color": "#2e7d32",
        "weight": 1.5,
        "fillColor": "#81c784",
        "fillOpacity": 0.6,
    },
    "plot_verified": {"color": "#1b5e20", "weight": 2, "fillColor": "#388e3c", "fillOpacity": 0.7},
    "plot_failed": {"color": "#b71c1c", "weight": 1.5, "fillColor": "#ef9a9a", "fillOpacity": 0.6},
}

#: Chinese legend label per style name (maps show Chinese; keys stay English)
LABELS: dict[str, str] = {
    "redline": "生态保护红线",
    "farmland": "永久基本农田",
    "urban": "城镇开发边界",
    "conflict": "冲突区域",
    "self_overlap": "图层内重叠",
    "boundary": "研究区边界",
    "admin": "乡镇界",
    "zone": "分区",
    "sandy_land": "沙地",
    "water_source": "水源保护区",
    "forest": "林地",
    "grassland": "草地",
    "buffer": "缓冲区",
    "site": "候选场址",
    "verdict_pass": "通过",
    "verdict_conditional": "有条件通过",
    "verdict_fail": "不通过",
    "verdict_unknown": "未判定",
    "eligible": "可用范围",
    "eligible_outline": "可用范围",
    "overlap": "压占部分",
    "pit_untreated": "未治理",
    "pit_in_progress": "治理中",
    "pit_treated": "已治理",
    "pit_verified": "已核验",
    "pit_unknown": "状态不明",
    "plot_planned": "计划",
    "plot_in_progress": "实施中",
    "plot_completed": "已完成",
    "plot_verified": "已核验",
    "plot_failed": "未达标",
}

#: colours for 0 %, 25 %, 50 %, 75 %, 100 % of a target (red -> yellow -> green)
PROGRESS_RAMP: tuple[str, ...] = ("#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641")


def progress_color(share: float | None) -> str:
    """Colour for a completion share (0.0-1.0; values outside are clipped; None/NaN is grey).

    The ramp is interpolated linearly between the :data:`PROGRESS_RAMP` stops.
    """
    if share is None or share != share:  # NaN check without numpy
        return _GREY
    share = min(max(float(share), 0.0), 1.0)
    pos = share * (len(PROGRESS_RAMP) - 1)
    i = min(int(pos), len(PROGRESS_RAMP) - 2)
    t = pos - i
    a, b = _rgb(PROGRESS_RAMP[i]), _rgb(PROGRESS_RAMP[i + 1])
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b, strict=True))


def style_for(kind: str, value: str | None = None) -> dict:
    """Look up a style: ``style_for("redline")`` or ``style_for("verdict", "pass")``.

    Raises
    ------
    EcogisError
        For an unknown name, listing the known ones.
    """
    key = kind if value is None else f"{kind}_{value}"
    try:
        return STYLES[key]
    except KeyError:
        known = ", ".join(sorted(STYLES))
        raise EcogisError(f"unknown map style {key!r}; known styles: {known}") from None


_COLOR_RE = re.compile(
    r"^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,20}|rgba?\(\s*[\d.]+%?\s*(,\s*[\d.]+%?\s*){2,3}\))$"
)


def check_color(value: str, *, where: str = "style") -> str:
    """Return ``value`` if it is a plain CSS colour, else raise (it goes into inline CSS)."""
    if not isinstance(value, str) or not _COLOR_RE.match(value.strip()):
        raise EcogisError(
            f"{where}: colour {value!r} is not allowed; use #rgb, #rrggbb, a CSS colour name or rgb()/rgba()"
        )
    return value.strip()


def _rgb(hex_color: str) -> tuple[int, int, int]:
    h = hex_color.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)

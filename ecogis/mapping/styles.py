"""Map colours and Leaflet path styles, keyed by layer role or kind.

No official map colours for the three control lines were found (see DOMAIN.md); these follow
the conventions planners recognise: red line red, permanent basic farmland yellow, urban
development boundary as a purple outline without fill, conflicts in a bright colour on top.

Statuses and verdicts use the Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design"),
made to stay distinct for people with protanopia, deuteranopia and tritanopia: vermillion
#D55E00, yellow #F0E442, sky blue #56B4E9, blue #0072B2, bluish green #009E73, plus a dark
grey. Plot completion uses four classes of one green hue, told apart by lightness (which no
colour-vision deficiency takes away). ``tests/test_maps_palette.py`` checks every palette
with a colour-vision simulation (Machado et al. 2009) and CIEDE2000 differences.

Every style is a dict of Leaflet path options (``color``, ``weight``, ``opacity``,
``fillColor``, ``fillOpacity``, ``fill``, ``dashArray``) so it can be passed unchanged to
:func:`ecogis.mapping.add_polygons` and :func:`ecogis.mapping.add_legend`. Copy before
changing one (``{**STYLES["redline"], "weight": 3}``): the dicts are shared.
"""

from __future__ import annotations

import re

from ..errors import EcogisError
from ..i18n import N_, _

__all__ = [
    "STYLES",
    "LABELS",
    "PROGRESS_RAMP",
    "PLOT_CLASSES",
    "PALETTES",
    "plot_class",
    "progress_color",
    "style_for",
    "check_color",
]

# Okabe-Ito colours (status and verdict fills, shared with panel text)
_VERMILLION = "#D55E00"
_YELLOW = "#F0E442"
_SKY = "#56B4E9"
_BLUE = "#0072B2"
_GREEN = "#009E73"
_DARK = "#555555"
_GREY = "#9e9e9e"

#: plot completion classes: upper limit of the share (exclusive), fill colour, legend text
PLOT_CLASSES: tuple[tuple[float, str, str], ...] = (
    (0.0, "#ffffff", N_("not started (0 %)")),
    (0.5, "#bae4b3", N_("under half done (1-49 %)")),
    (1.0, "#31a354", N_("half done or more (50-99 %)")),
    (float("inf"), "#004a23", N_("done (100 %)")),
)

#: the class colours, from nothing done to done (charts colour their bars with them too)
PROGRESS_RAMP: tuple[str, ...] = tuple(c for _limit, c, _label in PLOT_CLASSES)

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
    # the buffer a rule adds around a layer (500 m around water sources): dashed, no fill
    "buffer": {"color": "#0d47a1", "weight": 1.5, "dashArray": "6 4", "fill": False},
    # --- screening -----------------------------------------------------------------------
    "site": {"color": "#0050b3", "weight": 2, "fillColor": "#0050b3", "fillOpacity": 0.1},
    "verdict_pass": {"color": "#00634a", "weight": 2, "fillColor": _GREEN, "fillOpacity": 0.45},
    "verdict_conditional": {
        "color": "#8a7f00",
        "weight": 2,
        "fillColor": _YELLOW,
        "fillOpacity": 0.55,
    },
    "verdict_fail": {
        "color": "#8c3d00",
        "weight": 2,
        "fillColor": _VERMILLION,
        "fillOpacity": 0.45,
    },
    "verdict_unknown": {"color": "#222222", "weight": 2, "fillColor": _DARK, "fillOpacity": 0.45},
    "eligible": {
        "color": _GREEN,
        "weight": 1,
        "dashArray": "4 2",
        "fillColor": "#a5d6a7",
        "fillOpacity": 0.6,
    },
    # the eligible part drawn over its site: a dark dashed outline with a light hatch-like
    # fill, so the verdict colour stays visible and a click inside still opens a popup
    "eligible_outline": {
        "color": "#0b3d2e",
        "weight": 2,
        "dashArray": "6 3",
        "fillColor": "#ffffff",
        "fillOpacity": 0.25,
    },
    "overlap": {"color": "#000000", "weight": 1, "fillColor": "#00e5ff", "fillOpacity": 0.8},
    # --- restoration: legacy mine pits (A 未治理 / B 已恢复治理, plus the work in between) --
    "pit_untreated": {
        "color": "#5c2800",
        "weight": 1.5,
        "fillColor": _VERMILLION,
        "fillOpacity": 0.8,
    },
    "pit_in_progress": {
        "color": "#6b6400",
        "weight": 1.5,
        "dashArray": "4 2",
        "fillColor": _YELLOW,
        "fillOpacity": 0.8,
    },
    "pit_treated": {"color": "#1d4e6b", "weight": 1.5, "fillColor": _SKY, "fillOpacity": 0.8},
    "pit_accepted": {"color": "#00263d", "weight": 2, "fillColor": _BLUE, "fillOpacity": 0.8},
    "pit_unknown": {"color": "#616161", "weight": 1.5, "fillColor": _GREY, "fillOpacity": 0.5},
    # --- restoration: afforestation / enclosure plots (fill by completion, PLOT_CLASSES) --
    "plot": {"color": "#1b4d2a", "weight": 1, "fillColor": "#ffffff", "fillOpacity": 0.85},
}
# the old name of the accepted pits' style
STYLES["pit_verified"] = STYLES["pit_accepted"]

#: colours that must stay distinct for every colour vision, as drawn (colour, fill opacity)
PALETTES: dict[str, dict[str, tuple[str, float]]] = {
    "pit statuses": {
        k: (STYLES[f"pit_{k}"]["fillColor"], 0.95)  # markers are drawn at 0.95
        for k in ("untreated", "in_progress", "treated", "accepted")
    },
    "verdicts": {
        k: (STYLES[f"verdict_{k}"]["fillColor"], 0.95)
        for k in ("pass", "conditional", "fail", "unknown")
    },
    "plot completion": {
        str(i): (c, STYLES["plot"]["fillOpacity"]) for i, (_l, c, _t) in enumerate(PLOT_CLASSES)
    },
}

#: legend label per style name (English msgids, shown with ``_()``; keys stay English)
LABELS: dict[str, str] = {
    "redline": N_("ecological protection red line"),
    "farmland": N_("permanent basic farmland"),
    "urban": N_("urban development boundary"),
    "conflict": N_("conflicts"),
    "self_overlap": N_("overlaps inside a layer"),
    "boundary": N_("study area boundary"),
    "admin": N_("township boundaries"),
    "zone": N_("zone"),
    "sandy_land": N_("sandy land"),
    "water_source": N_("water source protection zone"),
    "forest": N_("forest land"),
    "grassland": N_("grassland"),
    "buffer": N_("buffer"),
    "site": N_("candidate sites"),
    "verdict_pass": N_("pass"),
    "verdict_conditional": N_("conditional"),
    "verdict_fail": N_("fail"),
    "verdict_unknown": N_("unknown"),
    "eligible": N_("eligible part"),
    "eligible_outline": N_("eligible part"),
    "overlap": N_("overlapping part"),
    "pit_untreated": N_("untreated"),
    "pit_in_progress": N_("in progress"),
    "pit_treated": N_("treated"),
    "pit_accepted": N_("accepted"),
    "pit_verified": N_("accepted"),
    "pit_unknown": N_("status unknown"),
    "plot": N_("plots"),
}


def plot_class(share: float | None) -> int | None:
    """Index into :data:`PLOT_CLASSES` for a completion share (None/NaN: None)."""
    if share is None or share != share:  # NaN check without numpy
        return None
    share = float(share)
    if share <= 0:
        return 0
    for i, (limit, _c, _t) in enumerate(PLOT_CLASSES[1:], 1):
        if share < limit:
            return i
    return len(PLOT_CLASSES) - 1


def progress_color(share: float | None) -> str:
    """Colour of the completion class of a share (0.0-1.0; None/NaN is grey): see
    :data:`PLOT_CLASSES`."""
    k = plot_class(share)
    return _GREY if k is None else PLOT_CLASSES[k][1]


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
        raise EcogisError(
            _("unknown map style {key!r}; known styles: {known}").format(key=key, known=known)
        ) from None


_COLOR_RE = re.compile(
    r"^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,20}|rgba?\(\s*[\d.]+%?\s*(,\s*[\d.]+%?\s*){2,3}\))$"
)


def check_color(value: str, *, where: str = "style") -> str:
    """Return ``value`` if it is a plain CSS colour, else raise (it goes into inline CSS)."""
    if not isinstance(value, str) or not _COLOR_RE.match(value.strip()):
        raise EcogisError(
            _(
                "{where}: colour {value!r} is not allowed; use #rgb, #rrggbb, a CSS colour name "
                "or rgb()/rgba()"
            ).format(where=where, value=value)
        )
    return value.strip()


def _rgb(hex_color: str) -> tuple[int, int, int]:
    h = hex_color.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)

"""Vocabulary of site screening: verdicts, thresholds, the labels people read.

Cheap to import (no pandas): the command line, maps, tables and reports read it here.
"""

from __future__ import annotations

from ..i18n import N_

__all__ = [
    "VERDICTS",
    "VERDICT_LABELS",
    "VERDICT_FILLS",
    "NODATA_MAX_SHARE",
    "BUFFER_QUAD_SEGS",
    "ID_COLUMNS",
    "REASON_SEP",
    "TABLE_ROUNDING",
    "LAYERS",
    "BY_CLASS_LAYER",
    "COLUMN_LABELS",
    "MAP_TITLE",
    "REASONS",
]

#: verdicts from best to worst; a site gets the worst of its checks
VERDICTS = ("pass", "conditional", "unknown", "fail")
#: verdict -> what people read, shown with ``_()`` (the order is the legend's)
VERDICT_LABELS = {
    "pass": N_("pass"),
    "conditional": N_("conditional"),
    "fail": N_("fail"),
    "unknown": N_("unknown"),
}

#: verdict -> background of its cell in a spreadsheet (light, prints well in grey too)
VERDICT_FILLS = {
    "pass": "E2EFDA",
    "conditional": "FFF2CC",
    "fail": "F8CBAD",
    "unknown": "EDEDED",
}

#: a raster check is ``unknown`` when more than this share of the site's pixels has no data
NODATA_MAX_SHARE = 0.1
#: segments per quarter circle of buffered layers (GEOS default is 8)
BUFFER_QUAD_SEGS = 32
#: columns that name a site, in order of preference, when no id field is given
ID_COLUMNS = ("site_id", "id", "ID", "BSM", "bsm", "parcel_id")
#: separator of the reasons of one site (a Chinese semicolon: reasons are Chinese sentences)
REASON_SEP = "；"

#: column suffix -> decimals in the tables for people (the GeoPackage keeps full precision)
TABLE_ROUNDING = {"_m2": 2, "_mu": 2, "_share": 4, "_deg": 2, "_distance_m": 2, "_share_over": 4}

#: the layers of a screening result, in the order they are written
LAYERS = ("sites", "eligible")
#: the layer of each site's area per land class (``ecogis screen --by-class``)
BY_CLASS_LAYER = "by_class"

#: column -> title for people (tables, popups, GPKG column titles), shown with ``_()``;
#: per-check columns are ``<layer>_overlap_m2`` etc.: the layer's label, then the suffix's title
COLUMN_LABELS = {
    "site_id": N_("Site ID"),
    "verdict": N_("Verdict"),
    "reasons": N_("Reasons"),
    "failed_checks": N_("Checks not passed"),
    "area_m2": N_("Area (m²)"),
    "area_mu": N_("Area (mu)"),
    "eligible_m2": N_("Eligible area (m²)"),
    "eligible_mu": N_("Eligible area (mu)"),
    "_overlap_m2": N_("overlap (m²)"),
    "_overlap_mu": N_("overlap (mu)"),
    "_distance_m": N_("distance (m)"),
    "_share": N_("share"),
    "_mean_deg": N_("mean slope (°)"),
    "_max_deg": N_("largest slope (°)"),
    "_share_over": N_("share steeper than allowed"),
    "_nodata_share": N_("share without data"),
    "_class_share": N_("share of forbidden classes"),
    "_class_main": N_("main class"),
    "study_area_outside": N_("Share outside the study area"),
}

#: the map's kind in its title, after the project name (shown with ``_()``)
MAP_TITLE = N_("site screening map")

#: the sentence of each check that did not pass (shown with ``_()`` and ``.format``): what
#: people read in tables, maps and review opinions, with the numbers and the legal basis
REASONS = {
    "exclude": N_("overlaps {label} by {area} ({share}); to be cut from the site{basis}"),
    "exclude_buffer": N_(
        "{distance} m from {label}, {area} ({share}) inside its {buffer} m buffer; to be cut "
        "from the site{basis}"
    ),
    "require": N_("only {area} ({share}) inside {label}, less than the required {required}{basis}"),
    "limit": N_(
        "overlaps {label}{within} by {area} ({share}), more than the allowed {limits}; adjust "
        "the site or obtain approval{basis}"
    ),
    "limit_within": N_(" (within {buffer} m)"),
    "limit_share": N_("{share} of the site"),
    "limit_mu": N_("{mu} mu"),
    "limit_or": N_(" or "),
    # checks that take land classes of their layer (classes:) name the classes found
    "exclude_classes": N_(
        "overlaps {label} ({classes}) by {area} ({share}); to be cut from the site{basis}"
    ),
    "exclude_buffer_classes": N_(
        "{distance} m from {label} ({classes}), {area} ({share}) inside its {buffer} m buffer; "
        "to be cut from the site{basis}"
    ),
    "require_classes": N_(
        "only {area} ({share}) on {label}, less than the required {required}; the site lies on "
        "{classes}{basis}"
    ),
    "limit_classes": N_(
        "overlaps {label} ({classes}){within} by {area} ({share}), more than the allowed "
        "{limits}; adjust the site or obtain approval{basis}"
    ),
    "nodata_tiny": N_("the site is smaller than one pixel of {label}; cannot be decided"),
    "nodata": N_(
        "{share} of the pixels of {label} under the site have no data (more than {max}); "
        "cannot be decided"
    ),
    "slope": N_(
        "{over} of the site is steeper than {max_deg}°, more than the allowed {max_share} "
        "(mean slope {mean}°, steepest {steepest}°){basis}"
    ),
    "raster_class": N_(
        "{label} shows {what} on {share} (mostly {code}, {main_share}), more than the allowed "
        "{max}{basis}"
    ),
    "class_forbidden_or_not_allowed": N_("forbidden or not allowed classes"),
    "class_forbidden": N_("forbidden classes"),
    "class_not_allowed": N_("classes that are not allowed"),
    "basis": N_(", basis: {basis}"),
    "area": N_("{mu} mu"),
}

# --------------------------------------------------------------------- review opinions
# (the documents of ``ecogis report screening``: 选址审查意见)

#: the opinion on a site in words, by verdict (shown with ``_()`` and ``.format``): ``site``
#: the site id, ``area`` its area, ``cut`` the area cut away, ``eligible`` what is left,
#: ``minimum`` the rule set's minimum, ``reason`` the deciding reason. ``conditional_limit``
#: is a conditional site with nothing to cut (a limited overlap that needs approval)
VERDICT_TEXT = {
    "pass": N_(
        "Site {site} ({area}) occupies none of the areas the rule set excludes and meets every "
        "requirement. The site is agreed."
    ),
    "conditional": N_(
        "Site {site} ({area}) overlaps areas it must avoid; after cutting them away ({cut}), "
        "{eligible} remain, not less than the required {minimum}. The site is agreed in "
        "principle within the remaining area, once its boundary has been adjusted."
    ),
    "conditional_limit": N_(
        "Site {site} ({area}) occupies more of a limited area than allowed: {reason}. The site "
        "can be agreed only after its boundary is adjusted or the competent authority approves."
    ),
    "fail": N_(
        "Site {site} ({area}) does not meet the requirements: {reason}. The site is not agreed."
    ),
    "unknown": N_(
        "No conclusion can be given for site {site} ({area}) yet: {reason}. Supplement the data "
        "and review the site again."
    ),
}

#: what each rule requires, in words (shown with ``_()`` and ``.format``)
RULE_TEXT = {
    "exclude": N_("must not occupy"),
    "exclude_buffer": N_("must keep {buffer} m away"),
    "require": N_("at least {share} of the site inside"),
    "limit": N_("occupation limited to {limits}"),
    "slope_max": N_("steeper than {max_deg}° on at most {max_share}"),
    "raster_class": N_("forbidden land classes on at most {max_share}"),
    "min_eligible": N_("eligible area at least {minimum}"),
}

#: the result of one check of one site, in words (shown with ``_()``)
CHECK_OUTCOMES = {
    "ok": N_("meets"),
    "cut": N_("to be cut"),
    "approval": N_("needs approval"),
    "fails": N_("does not meet"),
    "unknown": N_("cannot be decided"),
}

__all__ += ["VERDICT_TEXT", "RULE_TEXT", "CHECK_OUTCOMES"]

"""Site screening: candidate sites against a rule set -> verdict, reasons, eligible rest.

``model`` (verdicts, labels, cheap), ``rules`` (the rule registry config validation reads),
``checks`` (the built-in check functions), ``screen`` (:func:`screen_sites` on GeoDataFrames),
``run`` (:func:`run_screening` on a Project), ``map`` (:func:`build_screening_map`).
"""

from __future__ import annotations

from .._lazy import lazy_getattr

_LAZY = {
    "RULES": ".rules",
    "RuleSpec": ".rules",
    "register_rule": ".rules",
    "VERDICTS": ".model",
    "VERDICT_LABELS": ".model",
    "NODATA_MAX_SHARE": ".model",
    "BUFFER_QUAD_SEGS": ".model",
    "REASON_SEP": ".model",
    "CheckContext": ".checks",
    "CheckResult": ".checks",
    "ScreenResult": ".screen",
    "screen_sites": ".screen",
    "site_ids": ".screen",
    "run_screening": ".run",
    "load_screening": ".run",
    "choose_ruleset": ".run",
    "build_screening_map": ".map",
}
__all__ = list(_LAZY)
__getattr__ = lazy_getattr(__name__, _LAZY)

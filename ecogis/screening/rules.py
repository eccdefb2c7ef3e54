"""The rule registry: every screening rule, its parameters and its check function, said once.

Config validation (:mod:`ecogis.config`) reads the parameters from here; :func:`screen_sites`
runs the check functions from here. A rule is added with :func:`register_rule`::

    @register_rule("exclude_copy", target="layer", params={"buffer_m": "metres"})
    def _exclude_copy(ctx):
        ...

Built-in rules name their function by ``module:function`` (imported when a site is screened),
so reading this module stays cheap.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = ["RuleSpec", "RULES", "PARAM_KINDS", "COMMON_KEYS", "VECTOR_KEYS", "register_rule"]

#: parameter kind -> (YAML types allowed, lowest value, highest value, what people are told)
PARAM_KINDS: Mapping[str, tuple[tuple[type, ...], float | None, float | None, str]] = (
    MappingProxyType(
        {
            "metres": ((int, float), 0.0, None, "a distance in metres >= 0"),
            "mu": ((int, float), 0.0, None, "an area in mu >= 0"),
            "degrees": ((int, float), 0.0, 90.0, "an angle in degrees from 0 to 90"),
            "share": ((int, float), 0.0, 1.0, "a share between 0 and 1"),
            "codes": ((list,), None, None, "a list of class codes (numbers or text)"),
        }
    )
)

#: keys every check may carry besides its parameters
COMMON_KEYS = ("rule", "layer", "raster", "basis", "label")
#: keys every vector check may carry (which features of its layer it takes), with their YAML
#: types: ``classes: ["01*", "0301"]`` (land-class codes, :mod:`ecogis.landuse`) and
#: ``where: {GMFGD: {gt: 0.3}}`` (attribute filters)
VECTOR_KEYS: Mapping[str, tuple[type, ...]] = MappingProxyType(
    {"classes": (list, str, int), "where": (dict,)}
)


@dataclass(frozen=True)
class RuleSpec:
    """One screening rule.

    Attributes
    ----------
    name : str
        What a config writes as ``rule:``.
    target : {"layer", "raster"}
        What the check is applied to.
    params : mapping of str to str
        Parameter name -> kind (a key of :data:`PARAM_KINDS`).
    required : tuple of str
        Parameters that must be given.
    one_of : tuple of str
        At least one of these must be given (empty: no such condition).
    check : callable or str
        The check function ``fn(CheckContext) -> CheckResult``, or ``"module:function"``.
    summary : str
        One line for people: what the rule does.
    """

    name: str
    target: str
    params: Mapping[str, str] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    one_of: tuple[str, ...] = ()
    check: Callable[[Any], Any] | str = ""
    summary: str = ""

    def function(self) -> Callable[[Any], Any]:
        """The check function (imported on first use for built-in rules)."""
        if callable(self.check):
            return self.check
        module, _, attr = str(self.check).partition(":")
        return getattr(importlib.import_module(module), attr)


_BUILTIN = "ecogis.screening.checks"

#: rule name -> :class:`RuleSpec`; add more with :func:`register_rule`
RULES: dict[str, RuleSpec] = {
    "exclude": RuleSpec(
        "exclude",
        "layer",
        {"buffer_m": "metres"},
        check=f"{_BUILTIN}:check_exclude",
        summary="no development on the layer (or within buffer_m of it): the overlap is cut away",
    ),
    "require": RuleSpec(
        "require",
        "layer",
        {"min_share": "share"},
        required=("min_share",),
        check=f"{_BUILTIN}:check_require",
        summary="at least min_share of the site inside the layer (e.g. sandy land)",
    ),
    "limit": RuleSpec(
        "limit",
        "layer",
        {"max_share": "share", "max_mu": "mu", "buffer_m": "metres"},
        one_of=("max_share", "max_mu"),
        check=f"{_BUILTIN}:check_limit",
        summary="overlap allowed up to max_share / max_mu; beyond, the site needs approval",
    ),
    "slope_max": RuleSpec(
        "slope_max",
        "raster",
        {"max_deg": "degrees", "max_share": "share"},
        required=("max_deg",),
        check=f"{_BUILTIN}:check_slope_max",
        summary="slope from the DEM steeper than max_deg on at most max_share of the site",
    ),
    "raster_class": RuleSpec(
        "raster_class",
        "raster",
        {"allowed": "codes", "forbidden": "codes", "max_share": "share"},
        one_of=("allowed", "forbidden"),
        check=f"{_BUILTIN}:check_raster_class",
        summary="land-cover pixels in forbidden (or not allowed) classes on at most max_share",
    ),
}


def register_rule(
    name: str,
    *,
    target: str,
    params: Mapping[str, str] | None = None,
    required: tuple[str, ...] = (),
    one_of: tuple[str, ...] = (),
    summary: str = "",
) -> Callable[[Callable], Callable]:
    """Register a check function under a rule name (decorator); configs may then use it.

    Examples
    --------
    >>> @register_rule("exclude_copy", target="layer", params={"buffer_m": "metres"})
    ... def _exclude_copy(ctx):
    ...     return RULES["exclude"].function()(ctx)
    >>> "exclude_copy" in RULES
    True
    >>> del RULES["exclude_copy"]
    """
    if target not in ("layer", "raster"):
        raise ValueError(f"register_rule: target must be 'layer' or 'raster', got {target!r}")
    params = dict(params or {})
    unknown = sorted(set(params.values()) - set(PARAM_KINDS))
    if unknown:
        raise ValueError(
            f"register_rule: unknown parameter kind(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(PARAM_KINDS)}"
        )
    clash = sorted(set(params) & (set(COMMON_KEYS) | set(VECTOR_KEYS)))
    if clash:
        raise ValueError(f"register_rule: {', '.join(clash)} cannot be a parameter name")

    def deco(fn: Callable) -> Callable:
        doc = (fn.__doc__ or "").strip()
        RULES[name] = RuleSpec(
            name,
            target,
            MappingProxyType(params),
            tuple(required),
            tuple(one_of),
            fn,
            summary or (doc.splitlines()[0] if doc else ""),
        )
        return fn

    return deco

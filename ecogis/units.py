"""Area units used in Chinese land administration.

Areas are computed in square metres. 1 mu (亩) is exactly 10000/15 m²; 1 ha = 15 mu;
1 万亩 (wan mu) = 10 000 mu; 1 km² = 100 ha = 1500 mu.
"""

from __future__ import annotations

from typing import Any

from .i18n import _

__all__ = [
    "M2_PER_MU",
    "M2_PER_HA",
    "M2_PER_KM2",
    "M2_PER_WANMU",
    "UNITS",
    "m2_to_mu",
    "mu_to_m2",
    "m2_to_ha",
    "ha_to_m2",
    "m2_to_km2",
    "km2_to_m2",
    "m2_to_wanmu",
    "wanmu_to_m2",
    "convert_area",
]

M2_PER_MU = 10000.0 / 15.0
M2_PER_HA = 10000.0
M2_PER_KM2 = 1_000_000.0
M2_PER_WANMU = 10000.0 * M2_PER_MU

#: unit name -> square metres per unit. Chinese aliases accepted by :func:`convert_area`.
UNITS: dict[str, float] = {
    "m2": 1.0,
    "mu": M2_PER_MU,
    "ha": M2_PER_HA,
    "km2": M2_PER_KM2,
    "wanmu": M2_PER_WANMU,
}
_ALIASES = {
    "平方米": "m2",
    "m²": "m2",
    "亩": "mu",
    "公顷": "ha",
    "hectare": "ha",
    "平方公里": "km2",
    "km²": "km2",
    "万亩": "wanmu",
}


def _unit(name: str) -> float:
    key = _ALIASES.get(name, name)
    try:
        return UNITS[key]
    except KeyError:
        allowed = ", ".join([*UNITS, *_ALIASES])
        raise ValueError(
            _("unknown area unit {name!r}; allowed: {allowed}").format(name=name, allowed=allowed)
        ) from None


def convert_area(value: Any, from_unit: str, to_unit: str) -> Any:
    """Convert an area (scalar, numpy array or pandas Series) between units.

    Examples
    --------
    >>> convert_area(1, "ha", "mu")
    15.0
    """
    return value * (_unit(from_unit) / _unit(to_unit))


# Division (not multiplication by a rounded factor) keeps 500 000 m² == 750 mu exactly.
def m2_to_mu(m2: Any) -> Any:
    """Square metres to mu: ``m2 * 15 / 10000``."""
    return m2 * 15.0 / 10000.0


def mu_to_m2(mu: Any) -> Any:
    """Mu to square metres: ``mu * 10000 / 15``."""
    return mu * 10000.0 / 15.0


def m2_to_ha(m2: Any) -> Any:
    return m2 / M2_PER_HA


def ha_to_m2(ha: Any) -> Any:
    return ha * M2_PER_HA


def m2_to_km2(m2: Any) -> Any:
    return m2 / M2_PER_KM2


def km2_to_m2(km2: Any) -> Any:
    return km2 * M2_PER_KM2


def m2_to_wanmu(m2: Any) -> Any:
    """Square metres to 万亩 (10 000 mu)."""
    return m2 * 15.0 / 10000.0 / 10000.0


def wanmu_to_m2(wanmu: Any) -> Any:
    return wanmu * 10000.0 * 10000.0 / 15.0

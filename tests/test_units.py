import numpy as np
import pytest

from ecogis import units


def test_mu_is_exactly_one_fifteenth_hectare():
    assert units.m2_to_mu(500_000) == 750
    assert units.mu_to_m2(15) == 10_000
    assert units.M2_PER_MU * 15 == pytest.approx(10_000, rel=1e-15)


def test_conversions_round_trip_arrays():
    a = np.array([0.0, 1.0, 666.6666666666666, 1e9])
    assert np.allclose(units.mu_to_m2(units.m2_to_mu(a)), a)
    assert units.m2_to_wanmu(units.wanmu_to_m2(3.5)) == pytest.approx(3.5)
    assert units.m2_to_km2(2.1e6) == pytest.approx(2.1)
    assert units.m2_to_ha(1e4) == 1


@pytest.mark.parametrize(
    "value, src, dst, expected",
    [
        (1, "ha", "mu", 15),
        (1, "km2", "mu", 1500),
        (1, "万亩", "公顷", 10000 / 15),
        (30, "亩", "m2", 20000),
    ],
)
def test_convert_area(value, src, dst, expected):
    assert units.convert_area(value, src, dst) == pytest.approx(expected)


def test_convert_area_unknown_unit_names_allowed():
    with pytest.raises(ValueError, match="allowed: m2, mu, ha"):
        units.convert_area(1, "acre", "mu")

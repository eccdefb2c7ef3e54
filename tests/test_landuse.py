"""Land classes: the classification, selecting patches by class, areas split by class."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from ecogis.landuse import (
    area_by_class,
    class_name,
    class_table,
    describe_classes,
    first_level,
    match_codes,
    select_classes,
    unknown_codes,
)
from ecogis.units import M2_PER_MU

X0, Y0 = 500_000.0, 4_700_000.0


def squares():
    """Three 1000 m x 1000 m patches side by side: 0103 旱地, 1205 沙地, 0404 其他草地."""
    geoms = [box(X0 + 1000 * k, Y0, X0 + 1000 * (k + 1), Y0 + 1000) for k in range(3)]
    return gpd.GeoDataFrame(
        {
            "DLBM": ["0103", "1205", "0404"],
            "DLMC": ["旱地", "沙地", "其他草地"],
            "GMFGD": [0, 0, 0.4],
        },
        geometry=geoms,
        crs=4547,
    )


def test_the_classification_knows_the_survey_codes():
    table = class_table()
    assert class_name("0103") == "旱地" and class_name("1205") == "沙地"
    assert class_name("0301K") == "可调整乔木林地" and class_name(103) == "旱地"
    assert first_level("0103") == "01" and first_level("0303") == "00"  # 红树林地 is 湿地
    assert first_level("0301K") == "03"
    # every second-level code sits under a first-level one
    for code, (_name, level, parent) in table.items():
        if level > 1:
            assert parent in table, code
    assert unknown_codes(["01*", "0103", "9999", "77*"]) == ["9999", "77*"]


def test_codes_match_exactly_or_by_prefix():
    values = ["0101", "0103", "0301", "0302", "0305", 103, "1205"]
    assert match_codes(["01*"], values).tolist() == [True, True, False, False, False, True, False]
    assert match_codes(["0301", "0302"], values).tolist() == [0, 0, 1, 1, 0, 0, 0]
    assert not match_codes([], values).any()


def test_select_by_class_and_where():
    land = squares()
    assert select_classes(land, classes=["01*"])["DLBM"].tolist() == ["0103"]
    shrub = select_classes(land, where={"GMFGD": {"gt": 0.3}})
    assert shrub["DLBM"].tolist() == ["0404"]
    assert select_classes(land, classes=["04*", "12*"], where={"GMFGD": {"le": 0.3}})[
        "DLBM"
    ].tolist() == ["1205"]
    with pytest.raises(Exception, match="no field 'NOPE'"):
        select_classes(land, where={"NOPE": [1]})


def test_area_by_class_of_one_site_over_three_squares():
    land = squares()
    # the site covers the east half of 旱地, all of 沙地 and the west quarter of 其他草地
    site = gpd.GeoDataFrame(
        {"site_id": ["S1"]}, geometry=[box(X0 + 500, Y0, X0 + 2250, Y0 + 1000)], crs=4547
    )
    table = area_by_class(site, land, ids=["S1"])
    assert table["class_code"].tolist() == ["1205", "0103", "0404"]  # largest first
    assert table["class_name"].tolist() == ["沙地", "旱地", "其他草地"]
    assert np.allclose(table["area_m2"], [1_000_000, 500_000, 250_000], rtol=0, atol=1e-6)
    assert np.allclose(table["area_mu"], table["area_m2"] / M2_PER_MU)
    assert table["area_m2"].sum() == pytest.approx(site.area.iloc[0], abs=0.01)
    assert np.allclose(table["share"], [1 / 1.75, 0.5 / 1.75, 0.25 / 1.75])
    text = describe_classes(table["class_code"], table["area_m2"], names=table["class_name"])
    assert text.startswith("1205 沙地 1,500.0 mu") and "0103 旱地 750.0 mu" in text

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


def test_a_code_takes_its_subclasses_and_a_prefix_takes_its_codes():
    values = ["0101", "0102", "0103", "0301", "0301K", "0303", "1104A", "1104", "05H1"]
    assert match_codes(["01"], values).tolist() == [1, 1, 1, 0, 0, 0, 0, 0, 0]
    assert match_codes(["0301"], values).tolist() == [0, 0, 0, 1, 1, 0, 0, 0, 0]
    # 0303 红树林地 is filed under 00 湿地, but 03* is a prefix: it takes it
    assert match_codes(["03*"], values).tolist() == [0, 0, 0, 1, 1, 1, 0, 0, 0]
    assert match_codes(["00"], values).tolist() == [0, 0, 0, 0, 0, 1, 0, 0, 0]
    assert match_codes(["1104"], values).tolist() == [0, 0, 0, 0, 0, 0, 1, 1, 0]
    assert match_codes(["05h1"], values).tolist()[-1]  # codes compare in upper case


def test_codes_that_match_nothing_and_what_a_typo_meant():
    from ecogis.landuse import (
        normalize_code,
        normalized_codes,
        suggest_code,
        suggest_codes,
        unmatched_codes,
    )

    assert unmatched_codes(["01*", "0302", "1205"], ["0103", "1205", None]) == ["0302"]
    assert suggest_code("旱地") == "0103"  # a class name for a code
    assert suggest_code("0130") == "0103"  # two digits swapped
    assert suggest_codes("0105") == ["0101", "0102"]  # one digit off, same first level first
    assert suggest_codes("1025") == ["1005", "1205"]
    assert suggest_code("沙地*") == "1205"
    assert suggest_code("zzzz") is None
    assert normalize_code(103.0) == "0103" and normalize_code(float("nan")) == ""
    assert normalized_codes([103, "0103", None, " 1205 "]).tolist() == ["0103", "0103", "", "1205"]


def test_where_compares_numbers_and_lists_values_as_text():
    land = squares().assign(TBBH=[1.0, 2.0, 3.0], ZLDWMC=["甲村", "乙村", None])
    assert select_classes(land, where={"TBBH": [2, "3"]})["DLBM"].tolist() == ["1205", "0404"]
    assert select_classes(land, where={"ZLDWMC": "甲村"})["DLBM"].tolist() == ["0103"]
    assert select_classes(land, where={"GMFGD": {"ge": 0, "lt": 0.4}})["DLBM"].tolist() == [
        "0103",
        "1205",
    ]


def test_describe_names_classes_largest_first_and_cuts_long_lists():
    text = describe_classes(["0401", "1205", "0401", "0103"], [10_000, 50_000, 5_000, 1_000])
    assert text == "1205 沙地 75.0 mu、0401 天然牧草地 22.5 mu、0103 旱地 1.5 mu"
    short = describe_classes(["0401", "1205", "0103"], [3, 2, 1], limit=2)
    assert short.endswith(" and 1 more classes") and "0103" not in short
    assert describe_classes(["0103", "0102"]) == "0103 旱地、0102 水浇地"


def test_area_by_class_keeps_each_part_and_totals_add_up():
    import pandas as pd

    from ecogis.landuse import class_totals
    from ecogis.model import TOTAL

    land = squares()
    sites = gpd.GeoDataFrame(
        geometry=[
            box(X0 + 500, Y0, X0 + 2250, Y0 + 1000),  # three classes
            box(X0 + 100, Y0 + 100, X0 + 400, Y0 + 400),  # inside 旱地
            box(X0 - 900, Y0, X0 - 100, Y0 + 500),  # on no patch at all
        ],
        crs=4547,
    )
    keys = pd.DataFrame({"site_id": ["A", "B", "C"], "kind": ["x", "y", "x"]})
    parts = area_by_class(sites, land, ids=keys[["site_id"]], keep_geometry=True)
    assert parts.index.tolist() == [0, 0, 0, 1]  # the objects' positions
    assert np.allclose(parts.geometry.area, parts["area_m2"], rtol=1e-12)
    a = parts[parts["site_id"] == "A"].set_index("class_code")
    assert a.loc["0103"].geometry.equals(box(X0 + 500, Y0, X0 + 1000, Y0 + 1000))
    objects = keys.assign(object_m2=sites.area.to_numpy())
    totals = class_totals(parts, objects, group="kind")
    rows = totals.set_index(["site_id", "kind", "class_code"])
    assert rows.loc[("A", "x", TOTAL), "area_m2"] == pytest.approx(1_750_000)
    assert rows.loc[("A", "x", TOTAL), "share"] == pytest.approx(1.0)
    assert rows.loc[("C", "x", TOTAL), "area_m2"] == 0.0  # listed although on no patch
    # per kind: x is A and C; y is B
    assert rows.loc[(TOTAL, "x", "0103"), "area_m2"] == pytest.approx(500_000)
    assert rows.loc[(TOTAL, "y", "0103"), "area_m2"] == pytest.approx(90_000)
    assert rows.loc[(TOTAL, "x", TOTAL), "share"] == pytest.approx(
        1_750_000 / (1_750_000 + 400_000)
    )
    assert rows.loc[(TOTAL, TOTAL, TOTAL), "area_m2"] == pytest.approx(1_840_000)
    assert rows.loc[(TOTAL, TOTAL, "0103"), "area_m2"] == pytest.approx(590_000)


def test_area_by_class_equals_geopandas_overlay_on_a_random_tiling():
    """The engine's pairs against geopandas.overlay + groupby on Voronoi patches."""
    import shapely

    rng = np.random.default_rng(5)
    pts = shapely.MultiPoint(rng.uniform(0, 5000, (400, 2)) + (X0, Y0))
    cells = shapely.get_parts(
        shapely.voronoi_polygons(pts, extend_to=box(X0, Y0, X0 + 5000, Y0 + 5000))
    )
    cells = shapely.intersection(cells, box(X0, Y0, X0 + 5000, Y0 + 5000))
    codes = rng.choice(["0103", "0401", "1205", "0301"], len(cells))
    land = gpd.GeoDataFrame({"DLBM": codes}, geometry=cells, crs=4547)
    sites = gpd.GeoDataFrame(
        {"site_id": [f"S{i}" for i in range(30)]},
        geometry=[
            box(x, y, x + w, y + w)
            for x, y, w in zip(
                rng.uniform(X0, X0 + 4000, 30),
                rng.uniform(Y0, Y0 + 4000, 30),
                rng.uniform(50, 900, 30),
                strict=True,
            )
        ],
        crs=4547,
    )
    ours = area_by_class(sites, land, ids=sites["site_id"].tolist())
    ov = gpd.overlay(sites, land, how="intersection", keep_geom_type=True)
    base = ov.assign(a=ov.area).groupby(["site_id", "DLBM"])["a"].sum()
    got = ours.set_index(["id", "class_code"])["area_m2"]
    assert sorted(got.index) == sorted(base.index)
    assert np.allclose(got.loc[base.index].to_numpy(), base.to_numpy(), rtol=1e-9)

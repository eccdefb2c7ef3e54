import geopandas as gpd
import pytest
from shapely.geometry import Point, box

from ecogis import crs as ecrs
from ecogis.errors import CRSError


def test_zone_and_epsg_codes():
    assert ecrs.zone_3deg(114.9) == 38
    assert ecrs.zone_3deg(115.6) == 39
    assert ecrs.gk3_epsg(38) == 4547
    assert ecrs.gk3_prefixed_epsg(38) == 4526
    with pytest.raises(CRSError, match="outside China"):
        ecrs.gk3_epsg(60)


def test_working_crs_auto_picks_zone_of_study_area_centre():
    # Zhengxiangbai Banner: 114.27-115.60 E -> centre 114.9 -> CM 114E
    assert ecrs.working_crs("auto", (114.27, 42.09, 115.60, 43.03)).to_epsg() == 4547
    assert ecrs.working_crs("EPSG:4509", None).to_epsg() == 4509


def test_working_crs_refuses_geographic_and_garbage():
    with pytest.raises(CRSError, match="geographic"):
        ecrs.working_crs("EPSG:4490", None)
    with pytest.raises(CRSError, match="cannot parse"):
        ecrs.working_crs("EPSG:99999999", None)
    with pytest.raises(CRSError, match="needs a study area"):
        ecrs.working_crs("auto", None)


def _gdf(geom, crs):
    return gpd.GeoDataFrame({"id": [1]}, geometry=[geom], crs=crs)


def test_good_coordinates_pass():
    ecrs.check_coordinates(_gdf(Point(114.9, 42.5), 4490), "ok")
    ecrs.check_coordinates(_gdf(box(507_000, 4_660_000, 510_000, 4_670_000), 4547), "ok")
    ecrs.check_coordinates(_gdf(box(38_507_000, 4_660_000, 38_510_000, 4_670_000), 4526), "ok")


def test_no_crs_refused():
    with pytest.raises(CRSError, match="no CRS"):
        ecrs.check_coordinates(_gdf(Point(1, 2), None), "sites")


@pytest.mark.parametrize(
    "geom, crs, message",
    [
        (Point(42.5, 114.9), 4490, "swapped"),
        (box(4_660_000, 507_000, 4_670_000, 510_000), 4547, "swapped"),
        (box(4_660_000, 38_507_000, 4_670_000, 38_510_000), 4547, "swapped"),
        (box(38_507_000, 4_660_000, 38_510_000, 4_670_000), 4547, r"zone prefix.*EPSG:4526"),
        (box(507_000, 4_660_000, 510_000, 4_670_000), 4526, "no zone prefix.*EPSG:4547"),
        (box(39_507_000, 4_660_000, 39_510_000, 4_670_000), 4526, "prefix 39 does not match"),
        (Point(114.9, 42.5), 4547, "look like degrees"),
        (box(507_000, 4_660_000, 510_000, 4_670_000), 4490, "not degrees"),
    ],
)
def test_impossible_coordinates_get_a_hint(geom, crs, message):
    with pytest.raises(CRSError, match=message):
        ecrs.check_coordinates(_gdf(geom, crs), "layer")

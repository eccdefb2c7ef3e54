"""ecogis.Project: the working CRS decided once, every layer read once, the registry opened
(never created) — and the commands built on it."""

from __future__ import annotations

import collections
import shutil
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner

from ecogis import Project
from ecogis.cli import cli
from ecogis.errors import CRSError, EcogisWarning, RegistryError
from ecogis.io import vector


@pytest.fixture
def demo_copy(demo, tmp_path) -> Path:
    """A private copy of the demo (layers and config), without a registry."""
    root = Path(demo.config_path).resolve().parents[1]
    shutil.copytree(root / "layers", tmp_path / "layers")
    shutil.copytree(root / "configs", tmp_path / "configs")
    for reg in (tmp_path / "layers" / "demo").glob("restoration.gpkg*"):
        reg.unlink()
    return tmp_path / "configs" / "demo.yaml"


@pytest.fixture
def count_reads(monkeypatch):
    """Counts every read of a layer source, whoever asks for it."""
    counts: collections.Counter[str] = collections.Counter()
    real = vector.read_stored

    def counting(path, **kwargs):
        counts[f"{path}|{kwargs.get('layer')}"] += 1
        return real(path, **kwargs)

    monkeypatch.setattr(vector, "read_stored", counting)
    return counts


def test_working_crs_is_decided_once_from_the_study_area(demo_copy, count_reads):
    project = Project.open(demo_copy)
    assert project.crs.to_epsg() == 4547
    assert "role boundary" in project.crs_reason and "boundary" in project.crs_reason
    # the GeoPackage's extent was enough: no feature was read to decide it
    assert sum(count_reads.values()) == 0
    assert project.crs is project.crs


def test_stored_and_layer_come_from_one_read(demo_copy, count_reads):
    project = Project.open(demo_copy)
    stored = project.stored("farmland")
    assert stored.crs.to_epsg() == 4526  # as delivered, zone-prefixed
    assert (~stored.geometry.is_valid).sum() == 1  # the planted bowtie, as stored
    with pytest.warns(EcogisWarning, match="repaired 1 invalid geometry"):
        layer = project.layer("farmland")
    assert layer.crs.to_epsg() == 4547 and layer.geometry.is_valid.all()
    assert project.layer("farmland") is layer
    assert list(count_reads.values()) == [1]
    assert project.reads == collections.Counter({project.spec("farmland").source: 1})


def test_townships_and_their_names(demo_copy):
    towns = Project.open(demo_copy).townships()
    assert towns.field == "XZQMC"
    assert towns.names == ["明安图镇", "星耀镇", "宝力根陶海苏木", "伊和淖尔苏木", "乌宁巴图苏木"]
    assert towns.frame.crs.to_epsg() == 4547


def test_registry_is_opened_never_created(demo_copy):
    project = Project.open(demo_copy)
    where = project.registry_location
    assert not project.registry_exists()
    with pytest.raises(RegistryError, match="does not exist yet.*ecogis pits init"):
        project.registry()
    assert not where.exists()


def test_crs_auto_names_the_layer_without_a_crs(tmp_path):
    gdf = gpd.GeoDataFrame({"id": [1]}, geometry=[shapely.box(0, 0, 1, 1)], crs=None)
    gdf.to_file(tmp_path / "area.shp")
    (tmp_path / "cfg.yaml").write_text(
        "layers:\n  area: {path: area.shp, role: boundary}\n", encoding="utf-8"
    )
    with pytest.raises(CRSError, match=r"layer 'area' has none.*layers.<name>.crs"):
        _ = Project.open(tmp_path / "cfg.yaml").crs


COMMANDS = [
    ["controls"],
    ["screen", "{sites}", "-r", "pv_sand_control"],
    ["map", "controls", "-o", "{out}/c.html"],
    ["map", "screening", "{sites}", "-r", "pv_sand_control", "-o", "{out}/s.html"],
    ["map", "screening", "-o", "{out}/s2.html"],
    ["map", "progress", "--year", "2022", "-o", "{out}/p.html"],
    ["progress", "--year", "2022"],
    ["plots", "check"],
    ["layers", "check"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_every_command_reads_each_layer_at_most_once(demo_copy, count_reads, tmp_path, args):
    sites = demo_copy.parents[1] / "layers" / "demo" / "sites.gpkg"
    argv = [a.format(sites=sites, out=tmp_path) for a in args] + ["-c", str(demo_copy)]
    res = CliRunner().invoke(cli, argv)
    assert res.exit_code == 0, res.output
    assert count_reads, "the command read nothing?"
    twice = {src: n for src, n in count_reads.items() if n > 1}
    assert not twice, f"read more than once: {twice}"


@pytest.mark.parametrize("argv", [["pits", "list"], ["history", "ZXB-KK-001"], ["plots", "list"]])
def test_read_only_commands_refuse_a_missing_registry_and_create_nothing(demo_copy, argv):
    registry = Project.open(demo_copy).registry_location
    res = CliRunner().invoke(cli, [*argv, "-c", str(demo_copy)])
    assert res.exit_code == 2
    assert "does not exist yet" in res.output and "ecogis pits init" in res.output
    assert not registry.exists()
    assert not list(registry.parent.glob("restoration.gpkg*"))

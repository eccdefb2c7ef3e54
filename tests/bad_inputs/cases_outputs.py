"""Outputs that would land on an input or on the registry (issue: hostile input, item 5).

``--overwrite`` says that an old output may go; it never lets a run overwrite what it reads,
and a GeoPackage that holds other layers keeps them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import geopandas as gpd
import pyogrio
import yaml
from shapely.geometry import box

from .cases import (
    X0,
    Y0,
    Built,
    Case,
    Fixtures,
    _controls_project,
    _dirs,
    _farm,
    _red,
    _registry_project,
    _screen_project,
)


def _convert_layer_onto_file(root: Path, fx: Fixtures) -> Built:
    inp, out = _dirs(root)
    _red().to_file(inp / "two.gpkg", layer="a")
    _red({"BSM": ["B1"]}).to_file(inp / "two.gpkg", layer="b")
    return Built(["convert", f"{inp / 'two.gpkg'}|layer=a", inp / "two.gpkg", "--overwrite"], root)


def _controls_onto_own_input(root: Path, fx: Fixtures) -> Built:
    inp, out = _dirs(root)
    _red().to_file(inp / "red.gpkg")
    cfg = _controls_project(inp, "red.gpkg")
    return Built(["controls", "-c", cfg, "-o", inp / "red.gpkg", "--overwrite"], root)


def _controls_onto_input_by_link(root: Path, fx: Fixtures) -> Built:
    inp, out = _dirs(root)
    _red().to_file(inp / "red.gpkg")
    cfg = _controls_project(inp, "red.gpkg")
    os.symlink(inp / "farm.gpkg", out / "result.gpkg")
    return Built(["controls", "-c", cfg, "-o", out / "result.gpkg", "--overwrite"], root)


def _controls_summary_onto_input(root: Path, fx: Fixtures) -> Built:
    inp, out = _dirs(root)
    _red().to_file(inp / "red.gpkg")
    cfg = _controls_project(inp, "red.gpkg")
    os.link(inp / "red.gpkg", out / "hard.gpkg")  # a hard link is the same file too
    return Built(["controls", "-c", cfg, "-o", out / "hard.gpkg", "--overwrite"], root)


def _with_controls(cfg: Path) -> Path:
    """Add the two control lines of ``_controls_project`` to a registry project's config."""
    _red().to_file(cfg.parent / "red.gpkg")
    _farm().to_file(cfg.parent / "farm.gpkg")
    data = yaml.safe_load(cfg.read_text("utf-8"))
    data["layers"]["redline"] = {"path": "red.gpkg", "role": "control"}
    data["layers"]["farmland"] = {"path": "farm.gpkg", "role": "control"}
    data["control_lines"] = ["redline", "farmland"]
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return cfg


def _controls_onto_registry(root: Path, fx: Fixtures) -> Built:
    inp, out = _dirs(root)
    cfg = _with_controls(_registry_project(inp, fx))
    return Built(["controls", "-c", cfg, "-o", inp / "reg.gpkg", "--overwrite"], root)


def _controls_onto_a_registry_copy(root: Path, fx: Fixtures) -> Built:
    inp, out = _dirs(root)
    cfg = _with_controls(_registry_project(inp, fx))
    shutil.copy(inp / "reg.gpkg", out / "old_registry.gpkg")
    return Built(["controls", "-c", cfg, "-o", out / "old_registry.gpkg", "--overwrite"], root)


def _screen_onto_sites(root: Path, fx: Fixtures) -> Built:
    inp, out = _dirs(root)
    cfg = _screen_project(inp)
    args = ["screen", inp / "sites.gpkg", "-c", cfg, "-r", "pv", "-o", inp / "sites.gpkg"]
    return Built([*args, "--overwrite"], root)


def _controls_into_shared_gpkg(root: Path, fx: Fixtures) -> Built:
    inp, out = _dirs(root)
    _red().to_file(inp / "red.gpkg")
    cfg = _controls_project(inp, "red.gpkg")
    notes = gpd.GeoDataFrame(
        {"备注": ["现场核查点"]}, geometry=[box(X0, Y0, X0 + 10, Y0 + 10)], crs=4547
    )
    pyogrio.write_dataframe(notes, out / "shared.gpkg", layer="my_notes")
    return Built(["controls", "-c", cfg, "-o", out / "shared.gpkg", "--overwrite"], root)


def _check_shared_kept(b: Built, result) -> None:
    layers = set(pyogrio.list_layers(b.out / "shared.gpkg")[:, 0])
    assert {"my_notes", "conflicts", "slivers", "self_overlaps", "invalid"} <= layers, layers
    notes = gpd.read_file(b.out / "shared.gpkg", layer="my_notes")
    assert list(notes["备注"]) == ["现场核查点"]
    conflicts = gpd.read_file(b.out / "shared.gpkg", layer="conflicts")
    assert abs(conflicts.area.sum() - 500_000) < 1e-6


def _fix_onto_input(root: Path, fx: Fixtures) -> Built:
    inp, out = _dirs(root)
    _red().to_file(inp / "redline.gpkg")
    cfg = _controls_project(inp, "redline.gpkg")
    return Built(["layers", "check", "-c", cfg, "--fix", "-o", inp, "--overwrite"], root)


R = "refused"

CASES: list[Case] = [
    Case(
        "convert-layer-onto-its-file",
        "convert",
        "convert 'two.gpkg|layer=a' two.gpkg --overwrite (would delete layer b)",
        R,
        "two.gpkg",
        _convert_layer_onto_file,
    ),
    Case(
        "controls-onto-own-input",
        "controls",
        "controls -o onto one of its control-line files, with --overwrite",
        R,
        "its own input",
        _controls_onto_own_input,
    ),
    Case(
        "controls-onto-input-by-symlink",
        "controls",
        "-o names a symbolic link to an input",
        R,
        "farm.gpkg",
        _controls_onto_input_by_link,
    ),
    Case(
        "controls-onto-input-by-hardlink",
        "controls",
        "-o names a hard link to an input",
        R,
        "red.gpkg",
        _controls_summary_onto_input,
    ),
    Case(
        "controls-onto-registry",
        "controls",
        "controls -o onto the project's registry, with --overwrite",
        R,
        "registry",
        _controls_onto_registry,
    ),
    Case(
        "controls-onto-a-registry-copy",
        "controls",
        "-o onto a GeoPackage that holds a registry (a copy elsewhere)",
        R,
        "registry",
        _controls_onto_a_registry_copy,
    ),
    Case(
        "screen-onto-sites",
        "screen",
        "screen sites.gpkg -o sites.gpkg --overwrite",
        R,
        "sites.gpkg",
        _screen_onto_sites,
    ),
    Case(
        "controls-into-shared-gpkg",
        "controls",
        "-o into a GeoPackage with someone's other layer: only ecogis' layers replaced",
        "ok",
        "",
        _controls_into_shared_gpkg,
        _check_shared_kept,
    ),
    Case(
        "fix-onto-input",
        "layers check",
        "layers check --fix -o into the layers' own folder, with --overwrite",
        R,
        "redline.gpkg",
        _fix_onto_input,
    ),
]

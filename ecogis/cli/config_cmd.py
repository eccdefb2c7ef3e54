"""ecogis config check"""

from __future__ import annotations

import click

from .options import config_option, echo


@click.group()
def config():
    """Work with project configs."""


@config.command("check")
@config_option
def check(config_path):
    """Validate a config: keys, types, roles, files and references.

    Every problem is reported with its key path, e.g.
    rulesets.pv_sand_control.checks[2].buffer_m. Exit status 2 when the config is bad.

    \b
    Example:
      ecogis config check -c configs/demo.yaml
    """
    from ..config import load_config

    cfg = load_config(config_path)
    echo(f"{config_path}: OK — {cfg.name}")
    roles: dict[str, list[str]] = {}
    for spec in cfg.layers.values():
        roles.setdefault(spec.role, []).append(spec.name)
    echo(
        f"  working CRS: {cfg.crs}; area unit: {cfg.area_unit}; invalid geometries: {cfg.on_invalid}"
    )
    for role, names in roles.items():
        echo(f"  {role}: {', '.join(names)}")
    if cfg.control_lines:
        echo(f"  control lines: {', '.join(cfg.control_lines)}")
    for rs in cfg.rulesets.values():
        echo(
            f"  rule set {rs.name}: {len(rs.checks)} checks, min eligible {rs.min_eligible_mu:g} mu"
        )
    if cfg.targets:
        echo(f"  targets: {', '.join(str(y) for y in sorted(cfg.targets))}")

"""ecogis config check"""

from __future__ import annotations

from ..i18n import N_, _
from .base import group
from .options import config_option, echo


@group(help=N_("Work with project configs."))
def config():
    pass


@config.command(
    "check",
    help=N_(
        """Validate a config: keys, types, roles, files and references.

    Every problem is reported with its key path, e.g.
    rulesets.pv_sand_control.checks[2].buffer_m. Exit status 2 when the config is bad.

    \b
    Example:
      ecogis config check -c configs/demo.yaml
    """
    ),
)
@config_option
def check(config_path):
    from ..config import load_config

    cfg = load_config(config_path)
    echo(_("{path}: OK — {name}").format(path=config_path, name=cfg.name))
    roles: dict[str, list[str]] = {}
    for spec in cfg.layers.values():
        roles.setdefault(spec.role, []).append(spec.name)
    echo(
        _("  working CRS: {crs}; area unit: {unit}; invalid geometries: {policy}").format(
            crs=cfg.crs, unit=cfg.area_unit, policy=cfg.on_invalid
        )
    )
    for role, names in roles.items():
        echo(f"  {role}: {', '.join(names)}")
    if cfg.control_lines:
        echo(_("  control lines: {names}").format(names=", ".join(cfg.control_lines)))
    for rs in cfg.rulesets.values():
        echo(
            _("  rule set {name}: {n} checks, min eligible {mu} mu").format(
                name=rs.name, n=len(rs.checks), mu=f"{rs.min_eligible_mu:g}"
            )
        )
    if cfg.targets:
        echo(_("  targets: {years}").format(years=", ".join(str(y) for y in sorted(cfg.targets))))

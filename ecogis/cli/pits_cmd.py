"""ecogis pits: legacy mine pits in the restoration registry."""

from __future__ import annotations

import click

from ..restoration.model import PIT_STATUSES
from ._registry import (
    by_option,
    date_option,
    force_option,
    import_command,
    list_body,
    note_option,
    registry_options,
    table_outputs,
    update_body,
)
from .options import echo, open_project

__all__ = ["pits"]


@click.group()
def pits():
    """Legacy mine pits (历史遗留废弃采坑): build the registry, record remediation, list.

    The registry (config key registry:) is a GeoPackage, or a PostGIS schema shared by
    several staff (registry: postgresql://user@host/db?schema=NAME; password from PGPASSWORD,
    ~/.pgpass or a service file), with the tables pits, plots and an append-only events log; every change is one event (when, what, old -> new, who, note).
    Pit status moves untreated -> in_progress -> treated -> accepted (in_progress may be
    skipped); going back needs --force.

    \b
    Examples:
      ecogis pits init -c configs/demo.yaml
      ecogis pits update ZXB-KK-007 --status treated --treated-m2 5200 --date 2022-08-30 \\
          --by 王工 --note "现场核查" -c configs/demo.yaml
      ecogis pits import 2022核查.xlsx --dry-run -c configs/demo.yaml
      ecogis pits list --township 明安图镇 --status untreated -c configs/demo.yaml
    """


@pits.command("init")
@registry_options
@by_option
@click.option("--overwrite", is_flag=True, help="Rebuild an existing registry (a backup is kept).")
def pits_init(config_path, registry_path, by, overwrite):
    """Build the registry from the config's pits and plots layers.

    Each pit and plot gets a "*created*" event holding its attributes (the baseline that
    --as-of reports replay from). Missing fields are filled: status untreated / planned,
    areas 0, a pit's verified_m2 from its geometry area. Done automatically on first use.

    \b
    Example:
      ecogis pits init -c configs/demo.yaml
    """
    from ..restoration import init_registry

    if config_path is None:
        raise click.UsageError("pits init needs -c CONFIG (the layers to build from)")
    project = open_project(config_path, registry=registry_path)
    project.require_registry()
    reg = init_registry(project, by=by or "ecogis", overwrite=overwrite)
    pits, plots = reg.load_pits(geometry=False), reg.load_plots(geometry=False)
    echo(
        f"registry {reg.label}: {len(pits)} pits, {len(plots)} plots "
        f"(CRS {project.crs.to_string()})"
    )


@pits.command("update")
@click.argument("pit_id")
@click.option("--status", type=click.Choice(PIT_STATUSES), help="New status.")
@click.option("--treated-m2", type=float, help="Treated area (实地治理面积), m².")
@click.option("--verified-m2", type=float, help="Verified area (核定面积), m².")
@click.option("--method", help="Method code (1 自然恢复, 2 辅助再生, 3 生态重建, 4 转型利用).")
@click.option("--completed-on", metavar="YYYY-MM-DD", help="Treatment date (default: --date).")
@click.option("--accepted-on", metavar="YYYY-MM-DD", help="Acceptance date (default: --date).")
@click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE", help="Any other field.")
@date_option
@by_option
@note_option
@force_option
@registry_options
def pitsupdate_body(pit_id, status, treated_m2, verified_m2, method, completed_on, accepted_on, sets,
                date, by, note, force, config_path, registry_path):  # fmt: skip
    """Record a change to one pit, in one transaction.

    Refused with one line and nothing written: unknown id or field, an impossible status
    change, negative area, treated area above the verified area, a date in the future or
    before the pit's planned_year. Becoming treated / accepted fills completed_on /
    accepted_on with --date.

    \b
    Examples:
      ecogis pits update ZXB-KK-007 --status in_progress --date 2022-05-10 --by 王工 -c configs/demo.yaml
      ecogis pits update ZXB-KK-007 --status treated --treated-m2 5200 --date 2022-08-30 \\
          --by 王工 --note "现场核查" -c configs/demo.yaml
      ecogis pits update ZXB-KK-007 --status in_progress --force --note "验收退回" -c configs/demo.yaml
    """
    options = {
        "status": status,
        "treated_m2": treated_m2,
        "verified_m2": verified_m2,
        "method": method,
        "completed_on": completed_on,
        "accepted_on": accepted_on,
    }
    update_body("pit", pit_id, sets, options, config_path, registry_path, date, by, note, force)


import_command(pits, "pit")


@pits.command("list")
@click.option("--township", multiple=True, help="Only these townships (repeatable).")
@click.option("--status", multiple=True, type=click.Choice(PIT_STATUSES), help="Only these.")
@click.option("--year", "planned_year", multiple=True, type=int, help="Only this planned_year.")
@registry_options
@table_outputs
def pits_list(township, status, planned_year, config_path, registry_path, csv_path, xlsx_path,
              overwrite):  # fmt: skip
    """List pits with their current state.

    \b
    Examples:
      ecogis pits list -c configs/demo.yaml
      ecogis pits list --status untreated --status in_progress --csv remaining.csv -c configs/demo.yaml
    """
    list_body(
        "pit",
        config_path,
        registry_path,
        {"township": township, "status": status, "planned_year": planned_year},
        csv_path,
        xlsx_path,
        overwrite,
    )

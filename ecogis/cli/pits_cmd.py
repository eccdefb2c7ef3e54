"""ecogis pits: legacy mine pits in the restoration registry."""

from __future__ import annotations

import click

from ..i18n import N_
from ._registry import (
    TermChoice,
    by_option,
    date_option,
    force_option,
    import_command,
    init_command,
    list_body,
    note_command,
    note_option,
    registry_options,
    table_outputs,
    update_body,
)
from .base import group

__all__ = ["pits"]


@group(
    help=N_(
        """Legacy mine pits (历史遗留废弃采坑): record remediation and visits, import, list.

    The registry (config key registry:) is a GeoPackage, or a PostGIS schema shared by
    several staff (registry: postgresql://user@host/db?schema=NAME; password from PGPASSWORD,
    ~/.pgpass or a service file), with the tables pits, plots and an append-only events log.
    Every change is one event (when, what, old -> new, who, note), written by the database
    itself, so edits made in QGIS or with OGR are recorded too ('ecogis history' shows them
    as external edits). Pit status moves untreated -> in_progress -> treated -> accepted
    (in_progress may be skipped); going back needs --force and --note. Statuses may be
    written in Chinese (未治理, 治理中, 已治理, 已验收), dates as 2023-06-01, 2023/6/1 or
    2023年6月1日; ids are read trimmed, full-width letters and dashes folded.

    \b
    Examples:
      ecogis registry init -c configs/demo.yaml
      ecogis pits update ZXB-KK-035 --status treated --treated-m2 20000 --date 2024-08-30 \\
          --by 王工 --note "现场核查" -c configs/demo.yaml
      ecogis pits note ZXB-KK-035 --note "覆土完成" --date 2024-09-10 --by 王工 -c configs/demo.yaml
      ecogis pits import 2022核查.xlsx --dry-run -c configs/demo.yaml
      ecogis pits list --township 明安图镇 --status 未治理 -c configs/demo.yaml
"""
    )
)
def pits():
    pass


init_command(pits, "pits")


@pits.command(
    "update",
    help=N_(
        """Record a change to one pit, in one transaction.

    Refused with one line and nothing written: unknown id (the closest ids are suggested),
    unknown field, an impossible status change, negative area, treated area above the
    verified area, a planned_year outside 1949..next year, a date in the future, before 1949
    or before the pit's planned_year, a number too large to store. Becoming treated /
    accepted fills completed_on / accepted_on with --date. A change someone else made in
    between (in ecogis, QGIS or OGR) is never overwritten: the update is checked against the
    row as it is when it is written.

    \b
    Examples:
      ecogis pits update ZXB-KK-035 --status in_progress --date 2024-05-10 --by 王工 -c configs/demo.yaml
      ecogis pits update ZXB-KK-035 --status 已治理 --treated-m2 20000 --date 2024年8月30日 \\
          --by 王工 --note "现场核查" -c configs/demo.yaml
      ecogis pits update ZXB-KK-035 --status in_progress --force --note "验收退回" -c configs/demo.yaml
"""
    ),
)
@click.argument("pit_id")
@click.option(
    "--status",
    type=TermChoice("pit", "status"),
    help=N_("New status (or 未治理, 治理中, 已治理, 已验收)."),
)
@click.option("--treated-m2", type=float, help=N_("Treated area (实地治理面积), m²."))
@click.option("--verified-m2", type=float, help=N_("Verified area (核定面积), m²."))
@click.option("--method", help=N_("Method code (1 自然恢复, 2 辅助再生, 3 生态重建, 4 转型利用)."))
@click.option("--completed-on", metavar="YYYY-MM-DD", help=N_("Treatment date (default: --date)."))
@click.option("--accepted-on", metavar="YYYY-MM-DD", help=N_("Acceptance date (default: --date)."))
@click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE", help=N_("Any other field."))
@date_option
@by_option
@note_option
@force_option
@registry_options
def pits_update(pit_id, status, treated_m2, verified_m2, method, completed_on, accepted_on, sets,
                date, by, note, force, config_path, registry_path):  # fmt: skip
    options = {
        "status": status,
        "treated_m2": treated_m2,
        "verified_m2": verified_m2,
        "method": method,
        "completed_on": completed_on,
        "accepted_on": accepted_on,
    }
    update_body("pit", pit_id, sets, options, config_path, registry_path, date, by, note, force)


note_command(pits, "pit")
import_command(pits, "pit")


@pits.command(
    "list",
    help=N_(
        """List pits with their current state.

    \b
    Examples:
      ecogis pits list -c configs/demo.yaml
      ecogis pits list --status untreated --status 治理中 --csv remaining.csv -c configs/demo.yaml
      ecogis pits list --status in_progress --xlsx 2022核查.xlsx -c configs/demo.yaml
"""
    ),
)
@click.option("--township", multiple=True, help=N_("Only these townships (repeatable)."))
@click.option(
    "--status",
    multiple=True,
    type=TermChoice("pit", "status"),
    help=N_("Only these statuses (repeatable; Chinese labels too)."),
)
@click.option("--year", "planned_year", multiple=True, type=int, help=N_("Only this planned_year."))
@registry_options
@table_outputs
def pits_list(township, status, planned_year, config_path, registry_path, csv_path, xlsx_path,
              overwrite):  # fmt: skip
    list_body(
        "pit",
        config_path,
        registry_path,
        {"township": township, "status": status, "planned_year": planned_year},
        csv_path,
        xlsx_path,
        overwrite,
    )

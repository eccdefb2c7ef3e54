"""ecogis plots: afforestation / enclosure / grass-planting plots in the restoration registry."""

from __future__ import annotations

import click

from ..i18n import N_, _
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
from .options import echo, open_project, progress
from .summaries import print_table, write_tables_out

__all__ = ["plots"]


@group(
    help=N_(
        """Afforestation / enclosure / grass-planting plots: record completion and visits, list, check.

    Plot status moves planned -> in_progress -> completed -> accepted (in_progress may be
    skipped); going back needs --force and --note. Statuses and kinds may be written in
    Chinese (计划, 实施中, 已完成, 已验收; 人工造林 / 造林, 封沙育林（草） / 封育, 人工种草 /
    种草). The registry is shared with 'ecogis pits'; edits made in QGIS are recorded too.

    \b
    Examples:
      ecogis plots update ZXB-ZL-2022-002 --completed-mu 1136.7 --survival-rate 0.87 --status completed \\
          --date 2022-10-15 --by 李工 -c configs/demo.yaml
      ecogis plots import 2022造林.xlsx --dry-run -c configs/demo.yaml
      ecogis plots list --kind 造林 --year 2022 -c configs/demo.yaml
      ecogis plots check -c configs/demo.yaml
"""
    )
)
def plots():
    pass


init_command(plots, "plots")


@plots.command(
    "update",
    help=N_(
        """Record a change to one plot, in one transaction.

    Refused with one line and nothing written: unknown id (the closest ids are suggested),
    unknown field, an impossible status change, negative area, a completed area above the
    planned area (unless --force with --note giving the reason), survival rate outside 0-1, a
    year outside 1949..next year, a date in the future, before 1949 or before the plot's
    year; status completed needs completed_mu > 0.

    \b
    Examples:
      ecogis plots update ZXB-ZL-2022-002 --completed-mu 900 --status in_progress --date 2022-06-01 -c configs/demo.yaml
      ecogis plots update ZXB-ZL-2022-002 --completed-mu 1136.7 --survival-rate 0.87 --status 已完成 \\
          --date 2022年10月15日 --by 李工 -c configs/demo.yaml
"""
    ),
)
@click.argument("plot_id")
@click.option(
    "--status",
    type=TermChoice("plot", "status"),
    help=N_("New status (or 计划, 实施中, 已完成, 已验收)."),
)
@click.option("--completed-mu", type=float, help=N_("Completed area, mu."))
@click.option("--survival-rate", type=float, help=N_("Survival rate as a share 0-1 (0.85 = 85%)."))
@click.option("--planned-mu", type=float, help=N_("Planned area, mu."))
@click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE", help=N_("Any other field."))
@date_option
@by_option
@note_option
@force_option
@registry_options
def plots_update(plot_id, status, completed_mu, survival_rate, planned_mu, sets, date, by, note,
                 force, config_path, registry_path):  # fmt: skip
    options = {
        "status": status,
        "completed_mu": completed_mu,
        "survival_rate": survival_rate,
        "planned_mu": planned_mu,
    }
    update_body("plot", plot_id, sets, options, config_path, registry_path, date, by, note, force)


note_command(plots, "plot")
import_command(plots, "plot")


@plots.command(
    "list",
    help=N_(
        """List plots with their current state.

    \b
    Examples:
      ecogis plots list -c configs/demo.yaml
      ecogis plots list --kind afforestation --year 2022 --xlsx plots.xlsx -c configs/demo.yaml
      ecogis plots list --kind 封育 --status 实施中 -c configs/demo.yaml
"""
    ),
)
@click.option("--township", multiple=True, help=N_("Only these townships (repeatable)."))
@click.option(
    "--status",
    multiple=True,
    type=TermChoice("plot", "status"),
    help=N_("Only these statuses (repeatable; Chinese labels too)."),
)
@click.option(
    "--kind",
    multiple=True,
    type=TermChoice("plot", "kind"),
    help=N_("Only these kinds (repeatable; 造林, 封育, 种草 too)."),
)
@click.option("--year", multiple=True, type=int, help=N_("Only plots of this year."))
@registry_options
@table_outputs
def plots_list(township, status, kind, year, config_path, registry_path, csv_path, xlsx_path,
               overwrite):  # fmt: skip
    list_body(
        "plot",
        config_path,
        registry_path,
        {"township": township, "status": status, "kind": kind, "year": year},
        csv_path,
        xlsx_path,
        overwrite,
    )


@plots.command(
    "check",
    help=N_(
        """List afforestation / enclosure plots overlapping 永久基本农田 or 城镇开发边界.

    Overlaps are exact (vector overlay) and given in m² and mu. Afforestation on permanent
    basic farmland is not allowed (verdict not_allowed); other overlaps are for review.
    The control layers come from the config (names farmland / urban, or a control layer whose
    label names it).

    \b
    Examples:
      ecogis plots check -c configs/demo.yaml
      ecogis plots check -c configs/demo.yaml --xlsx plot_conflicts.xlsx
"""
    ),
)
@click.option("--farmland", help=N_("Layer of permanent basic farmland (default: 'farmland')."))
@click.option("--urban", help=N_("Layer of the urban development boundary (default: 'urban')."))
@registry_options
@table_outputs
def plots_check(farmland, urban, config_path, registry_path, csv_path, xlsx_path, overwrite):
    from ..restoration import plot_overlaps
    from ..restoration.tables import plot_overlaps_table

    if config_path is None:
        raise click.UsageError(_("plots check needs -c CONFIG (for the control layers)"))
    project = open_project(config_path, registry=registry_path)
    with progress(_("overlaps"), 1) as update:
        result = plot_overlaps(project, farmland=farmland, urban=urban)
        update(1)
    people = plot_overlaps_table(result, project_name=project.name)
    print_table(people, limit=200)
    bad = result[result["verdict"] == "not_allowed"]
    echo(
        _(
            "{n} plot(s) overlap control layers; {bad} afforestation plot(s) on permanent "
            "basic farmland (not allowed, {mu:,.1f} mu)"
        ).format(n=result["plot_id"].nunique(), bad=len(bad), mu=bad["overlap_mu"].sum())
    )
    write_tables_out(
        {"plot_overlaps": result}, csv_path, xlsx_path, overwrite, people={"plot_overlaps": people}
    )

"""ecogis plots: afforestation / enclosure / grass-planting plots in the restoration registry."""

from __future__ import annotations

import click

from ..restoration.model import PLOT_KINDS, PLOT_STATUSES
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
from .options import echo, open_project, progress
from .summaries import print_table, write_tables_out

__all__ = ["plots"]


@click.group()
def plots():
    """Afforestation / enclosure / grass-planting plots: record completion, list, check.

    Plot status moves planned -> in_progress -> completed -> accepted (in_progress may be
    skipped); going back needs --force. The registry is shared with 'ecogis pits'.

    \b
    Examples:
      ecogis plots update ZXB-ZL-2022-012 --completed-mu 820 --survival-rate 0.87 --status completed \\
          --date 2022-10-15 --by 李工 -c configs/demo.yaml
      ecogis plots import 2022造林.xlsx --dry-run -c configs/demo.yaml
      ecogis plots list --kind afforestation --year 2022 -c configs/demo.yaml
      ecogis plots check -c configs/demo.yaml
    """


@plots.command("update")
@click.argument("plot_id")
@click.option("--status", type=click.Choice(PLOT_STATUSES), help="New status.")
@click.option("--completed-mu", type=float, help="Completed area, mu.")
@click.option("--survival-rate", type=float, help="Survival rate as a share 0-1 (0.85 = 85%).")
@click.option("--planned-mu", type=float, help="Planned area, mu.")
@click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE", help="Any other field.")
@date_option
@by_option
@note_option
@force_option
@registry_options
def plotsupdate_body(plot_id, status, completed_mu, survival_rate, planned_mu, sets, date, by, note,
                 force, config_path, registry_path):  # fmt: skip
    """Record a change to one plot, in one transaction.

    Refused with one line and nothing written: unknown id or field, an impossible status
    change, negative area, survival rate outside 0-1, a date in the future or before the
    plot's year; status completed needs completed_mu > 0.

    \b
    Examples:
      ecogis plots update ZXB-ZL-2022-012 --completed-mu 400 --status in_progress --date 2022-06-01 -c configs/demo.yaml
      ecogis plots update ZXB-ZL-2022-012 --completed-mu 820 --survival-rate 0.87 --status completed \\
          --date 2022-10-15 --by 李工 -c configs/demo.yaml
    """
    options = {
        "status": status,
        "completed_mu": completed_mu,
        "survival_rate": survival_rate,
        "planned_mu": planned_mu,
    }
    update_body("plot", plot_id, sets, options, config_path, registry_path, date, by, note, force)


import_command(plots, "plot")


@plots.command("list")
@click.option("--township", multiple=True, help="Only these townships (repeatable).")
@click.option("--status", multiple=True, type=click.Choice(PLOT_STATUSES), help="Only these.")
@click.option("--kind", multiple=True, type=click.Choice(PLOT_KINDS), help="Only these kinds.")
@click.option("--year", multiple=True, type=int, help="Only plots of this year.")
@registry_options
@table_outputs
def plots_list(township, status, kind, year, config_path, registry_path, csv_path, xlsx_path,
               overwrite):  # fmt: skip
    """List plots with their current state.

    \b
    Examples:
      ecogis plots list -c configs/demo.yaml
      ecogis plots list --kind afforestation --year 2022 --xlsx plots.xlsx -c configs/demo.yaml
    """
    list_body(
        "plot",
        config_path,
        registry_path,
        {"township": township, "status": status, "kind": kind, "year": year},
        csv_path,
        xlsx_path,
        overwrite,
    )


@plots.command("check")
@click.option("--farmland", help="Layer of permanent basic farmland (default: 'farmland').")
@click.option("--urban", help="Layer of the urban development boundary (default: 'urban').")
@registry_options
@table_outputs
def plots_check(farmland, urban, config_path, registry_path, csv_path, xlsx_path, overwrite):
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
    from ..restoration import plot_overlaps

    if config_path is None:
        raise click.UsageError("plots check needs -c CONFIG (for the control layers)")
    project = open_project(config_path, registry=registry_path)
    with progress("overlaps", 1) as update:
        result = plot_overlaps(project, farmland=farmland, urban=urban)
        update(1)
    print_table(result, limit=200)
    bad = result[result["verdict"] == "not_allowed"]
    echo(
        f"{result['plot_id'].nunique()} plot(s) overlap control layers; "
        f"{len(bad)} afforestation plot(s) on permanent basic farmland (not allowed, "
        f"{bad['overlap_mu'].sum():,.1f} mu)"
    )
    write_tables_out({"plot_overlaps": result}, csv_path, xlsx_path, overwrite)

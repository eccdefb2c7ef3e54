"""ecogis progress: progress against the yearly targets, per township and in total."""

from __future__ import annotations

from pathlib import Path

import click

from ._registry import table_outputs
from .options import open_project
from .options import progress as progress_bar
from .summaries import progress_summary, write_tables_out

__all__ = ["progress"]


@click.command("progress")
@click.option("-c", "--config", "config_path", required=True,
              type=click.Path(dir_okay=False, path_type=Path), help="Project config (YAML).")  # fmt: skip
@click.option(
    "--registry",
    "registry_path",
    type=str,
    help="Registry GeoPackage or PostGIS URI (default: the config's registry: key).",
)
@click.option(
    "--year", type=int, help="Target year (default: latest year in targets: up to --as-of)."
)
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="Replay the event log up to this day.")
@click.option(
    "--ndvi",
    nargs=2,
    metavar="BEFORE AFTER",
    help="Two NDVI rasters (config layer names or files): flag finished pits / plots with no greening.",
)
@click.option(
    "--ndvi-min-change",
    type=float,
    default=0.03,
    show_default=True,
    help="Mean NDVI rise at or below which a finished pit / plot is flagged.",
)
@table_outputs
def progress_cmd(config_path, registry_path, year, as_of, ndvi, ndvi_min_change, csv_path,
                 xlsx_path, overwrite):  # fmt: skip
    """Progress against the yearly targets, per township and in total.

    Pits: count and km² (verified area) untreated / in progress / treated / accepted, the
    清零 countdown (untreated + in-progress pits and their area; 清零 when none are left) and
    the area treated in --year against targets.pits_km2. Plots of --year: completed mu and
    万亩 per kind against targets (afforestation_mu, enclosure_mu, grass_planting_mu); the
    targets are banner-wide, so percent is on the total (合计) rows only.

    --as-of replays the event log: the registry's baseline plus every change whose --date
    was on or before that day. --csv F writes F_pits.csv, F_plots.csv (and F_greening.csv);
    --xlsx writes one sheet per table.

    \b
    Examples:
      ecogis progress -c configs/demo.yaml --year 2022
      ecogis progress -c configs/demo.yaml --year 2022 --as-of 2022-06-30 --xlsx 2022年中.xlsx
      ecogis progress -c configs/demo.yaml --ndvi ndvi_2021 ndvi_2023
    """
    from ..restoration import check_greening_of, run_progress

    with open_project(config_path, registry=registry_path) as project:
        report = run_progress(project, year=year, as_of=as_of)
        if ndvi:
            with progress_bar("NDVI", report.finished) as update:
                check_greening_of(
                    project, report, ndvi, min_change=ndvi_min_change, progress=update
                )
    progress_summary(report)
    write_tables_out(report.tables, csv_path, xlsx_path, overwrite)


# the module attribute the command registry names
progress = progress_cmd

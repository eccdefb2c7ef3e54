"""ecogis progress: progress against the yearly targets, per township and in total."""

from __future__ import annotations

from pathlib import Path

import click

from ..i18n import N_, _
from ._registry import table_outputs
from .base import command
from .options import echo, open_project
from .options import progress as progress_bar
from .summaries import progress_summary, write_tables_out

__all__ = ["progress"]


@command(
    "progress",
    help=N_(
        """Progress against the yearly targets, per township and in total.

    Pits: count and km² (verified area) untreated / in progress / treated / accepted, the
    清零 countdown (untreated + in-progress pits and their area; 清零 when none are left) and
    the area treated in --year against targets.pits_km2. Plots of --year: completed mu and
    万亩 per kind against targets (afforestation_mu, enclosure_mu, grass_planting_mu); the
    targets are banner-wide, so percent is on the total (合计) rows only.

    A past --year is reported as it stood on 31 December of that year; --as-of gives another
    day. Both replay the event log: the registry's baseline, the dated steps of the layers'
    completed_on / accepted_on, and every change whose --date was on or before that day
    (external edits included). A day before the registry was built warns with the baseline
    date: what the layers do not date (in-progress pits, plot statuses) is shown as recorded
    then. --csv F writes F_pits.csv, F_plots.csv (and F_greening.csv); --xlsx writes one
    sheet per table.

    --by-class LAYER splits the plots of --year that are completed or accepted by the land
    class (地类) they were before, from a land-use layer (role landuse, e.g. the 三调 DLTB):
    plot, class code, class name, m², 亩 and share of the plot polygon, with totals per plot,
    per kind and overall (F_by_class.csv; sheet by_class, 地类构成 in Chinese).

    \b
    Examples:
      ecogis progress -c configs/demo.yaml --year 2022
      ecogis progress -c configs/demo.yaml --as-of 2022-06-30 --xlsx 2022年中.xlsx
      ecogis progress -c configs/demo.yaml --ndvi ndvi_2021 ndvi_2023
      ecogis progress -c configs/demo.yaml --year 2022 --by-class dltb --xlsx 2022地类.xlsx
"""
    ),
)
@click.option("-c", "--config", "config_path", required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help=N_("Project config (YAML)."))  # fmt: skip
@click.option(
    "--registry",
    "registry_path",
    type=str,
    help=N_("Registry GeoPackage or PostGIS URI (default: the config's registry: key)."),
)
@click.option(
    "--year",
    type=int,
    help=N_(
        "Target year (default: latest year in targets: up to --as-of); a past year as at its end."
    ),
)
@click.option(
    "--as-of",
    "as_of",
    metavar="YYYY-MM-DD",
    help=N_("Replay the event log up to this day (also 2022/6/30, 2022年6月30日)."),
)
@click.option(
    "--ndvi",
    nargs=2,
    metavar="BEFORE AFTER",
    help=N_(
        "Two NDVI rasters (config layer names or files): flag finished pits / plots with no "
        "greening."
    ),
)
@click.option(
    "--ndvi-min-change",
    type=float,
    default=0.03,
    show_default=True,
    help=N_("Mean NDVI rise at or below which a finished pit / plot is flagged."),
)
@click.option(
    "--by-class",
    "by_class",
    metavar="LAYER",
    help=N_(
        "Split the plots completed in --year by the land class they were before, from LAYER "
        "(a config layer with role landuse, e.g. dltb): a by_class table."
    ),
)
@table_outputs
def progress_cmd(config_path, registry_path, year, as_of, ndvi, ndvi_min_change, by_class,
                 csv_path, xlsx_path, overwrite):  # fmt: skip
    from ..restoration import check_greening_of, run_progress
    from ..restoration.tables import progress_tables

    with open_project(config_path, registry=registry_path) as project:
        if by_class is not None:
            project.spec(by_class, key="--by-class")  # a typo is refused before the work
        report = run_progress(project, year=year, as_of=as_of, replay_year=True, by_class=by_class)
        if ndvi:
            with progress_bar("NDVI", report.finished) as update:
                check_greening_of(
                    project, report, ndvi, min_change=ndvi_min_change, progress=update
                )
        layer = project.title(by_class) if by_class is not None else None
        name = project.name
    progress_summary(report)
    if by_class is not None:
        from ..landuse import describe_totals

        echo(
            _("land classes of the plots completed in {year} ({layer}): {classes}").format(
                year=report.year, layer=layer, classes=describe_totals(report.tables["by_class"])
            )
        )
    people = progress_tables(
        report.tables, report.year, project_name=name, as_of=report.as_of, by_class_layer=layer
    )
    write_tables_out(report.tables, csv_path, xlsx_path, overwrite, people=people)


# the module attribute the command registry names
progress = progress_cmd

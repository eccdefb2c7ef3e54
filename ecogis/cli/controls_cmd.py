"""ecogis controls"""

from __future__ import annotations

from pathlib import Path

import click

from ..i18n import N_, _
from .base import command
from .options import (
    check_output,
    config_option,
    echo,
    engine_options,
    make_engine,
    open_project,
    output_target,
    overwrite_option,
    progress,
    refuse_onto_inputs,
)
from .summaries import controls_summary

#: exit status when --fail-on-conflict is given and conflicts were found
EXIT_CONFLICT = 3


@command(
    help=N_(
        """Check that the three control lines do not overlap (三区三线 不交叉不重叠不冲突).

    Every pair of the config's control_lines (生态保护红线, 永久基本农田, 城镇开发边界) is
    intersected exactly. Overlaps are cut along township boundaries (the layer with role
    admin, named by its name_field) and measured in m² and mu in the working CRS; layers
    stored in different CRSs (EPSG:4490, 4526, 4547, ...) are reprojected to it first.

    \b
    Reported separately:
      conflicts      overlaps of two control lines, one row per feature pair and township
      slivers        overlap parts below --min-area-m2 (digitising noise)
      self_overlaps  overlaps inside one layer (double-drawn farmland, duplicates)
      invalid        invalid or empty geometries as stored (repaired in memory for the check)

    --by-class LAYER splits each conflict by the land classes (地类) of a land-use layer (role
    landuse, e.g. the 三调 DLTB): what the overlap is on the ground. The GeoPackage gets a
    layer by_class (each conflict's part on each class), an .xlsx summary a sheet by_class
    (地类构成 in Chinese) with a total per conflict and per class.
    """
    ),
    epilog=N_(
        """\b
Examples:
  ecogis controls -c configs/demo.yaml
  ecogis controls -c configs/demo.yaml -o out.gpkg --summary out.xlsx
  ecogis controls -c configs/demo.yaml --min-area-m2 10 --fail-on-conflict
  ecogis controls -c configs/demo.yaml --by-class dltb -o out.gpkg

\b
Exit status:
  0  the check ran (conflicts or not, unless --fail-on-conflict)
  3  conflicts were found and --fail-on-conflict was given
  2  bad usage, config or input (missing file, no CRS,
     existing output without --overwrite)
  1  any other failure"""
    ),
)
@config_option
@click.option(
    "-o",
    "--output",
    callback=output_target,
    help=N_(
        "GeoPackage to write with layers conflicts, slivers, self_overlaps and invalid "
        "(empty layers too), or a PostGIS database (postgresql://user@host/db: four tables in "
        "one transaction). Default: write nothing."
    ),
)
@click.option(
    "--summary",
    "summary_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help=N_(
        "Summary table: .xlsx for people (titles in the interface language, numbers rounded "
        "as reported, ready to print), or .csv for scripts (UTF-8 with BOM; layer_a, layer_b, "
        "township, conflicts, area_m2, area_mu at full precision)."
    ),
)
@click.option(
    "--min-area-m2",
    type=click.FloatRange(min=0),
    default=None,
    help=N_(
        "Overlap parts smaller than this many m² are slivers, not conflicts "
        "[default: the config's sliver_m2, 1 m²]."
    ),
)
@click.option(
    "--by-class",
    "by_class",
    metavar="LAYER",
    help=N_(
        "Split each conflict's area by the land classes of LAYER (a config layer with role "
        "landuse, e.g. dltb): layer by_class in -o, sheet by_class in an .xlsx --summary."
    ),
)
@click.option(
    "--fail-on-conflict",
    is_flag=True,
    help=N_("Exit with status 3 when any conflict is found (for scripts and CI)."),
)
@engine_options
@overwrite_option
def controls(
    config_path,
    output,
    summary_path,
    min_area_m2,
    by_class,
    fail_on_conflict,
    engine,
    scheduler,
    partitions,
    dask_storage,
    overwrite,
):
    project = open_project(config_path)
    eng = make_engine(engine, scheduler, partitions, dask_storage)
    check_output(output, (".gpkg",), overwrite, "-o/--output")
    check_output(summary_path, (".csv", ".xlsx"), overwrite, "--summary")
    if (
        isinstance(output, Path)
        and summary_path is not None
        and output.resolve() == summary_path.resolve()
    ):
        raise click.BadParameter(_("must differ from -o/--output"), param_hint="--summary")
    from ..controls.model import LAYERS

    tables = (*LAYERS, "by_class") if by_class else LAYERS
    refuse_onto_inputs(project, output, summary_path, tables=tables)
    if by_class is not None:
        project.spec(by_class, key="--by-class")  # a typo is refused before the work

    from ..controls import run_controls

    with progress(_("Overlaying control lines"), 1000) as update:
        shown = [0]

        def advance(done: int, total: int) -> None:
            permille = min(1000, int(1000 * done / total)) if total else 1000
            if permille > shown[0]:
                update(permille - shown[0])
                shown[0] = permille

        report = run_controls(
            project, min_area_m2=min_area_m2, by_class=by_class, engine=eng, progress=advance
        )
        advance(1, 1)
    controls_summary(project.name, report)
    if by_class is not None:
        from ..landuse import describe_totals

        echo(
            _("land classes of the conflicts ({layer}): {classes}").format(
                layer=report.label(by_class), classes=describe_totals(report.by_class_totals)
            )
        )

    frames = report.frames()
    if report.by_class is not None:
        frames["by_class"] = report.by_class
    if output is not None:
        from ..controls.tables import column_titles
        from ..io.vector import write_layers

        write_layers(
            frames,
            output,
            overwrite=overwrite,
            geometry_types=dict.fromkeys(frames, "MultiPolygon"),
            titles=column_titles(report),
        )
        echo(_("wrote {path} (layers {layers})").format(path=output, layers=", ".join(frames)))
    if summary_path is not None:
        from ..controls.tables import by_class_table, summary_table
        from ..io.tables import write_tables
        from ..landuse import BY_CLASS_SHEET

        # for people in XLSX (titles, labels, rounding); for scripts in CSV (as computed)
        sheets = {_("summary"): summary_table(report, project_name=project.name)}
        if report.by_class is not None and summary_path.suffix.lower() == ".xlsx":
            sheets[_(BY_CLASS_SHEET)] = by_class_table(report, project_name=project.name)
        write_tables(sheets, summary_path, overwrite=overwrite)
        echo(_("wrote {path}").format(path=summary_path))

    if fail_on_conflict and len(report.conflicts):
        click.get_current_context().exit(EXIT_CONFLICT)

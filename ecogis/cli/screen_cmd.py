"""ecogis screen"""

from __future__ import annotations

from pathlib import Path

import click

from .options import (
    check_output,
    config_option,
    engine_options,
    make_engine,
    open_project,
    output_target,
    overwrite_option,
    progress,
    refuse_onto_inputs,
)
from .summaries import screening_summary


@click.command()
@click.argument("sites", metavar="SITES")
@config_option
@click.option(
    "-r",
    "--ruleset",
    required=True,
    help="Rule set from the config's rulesets:, e.g. pv_sand_control.",
)
@click.option(
    "-o",
    "--output",
    callback=output_target,
    help="GeoPackage with layers 'sites' (verdict columns) and 'eligible', or a PostGIS "
    "database (postgresql://user@host/db: both tables in one transaction).",
)
@click.option(
    "--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), help="CSV table."
)
@click.option(
    "--xlsx", "xlsx_path", type=click.Path(dir_okay=False, path_type=Path), help="Excel table."
)
@click.option(
    "--id-field",
    help="Column with the site ids (default: site_id, id, BSM or parcel_id, else the row number).",
)
@click.option(
    "--sites-crs",
    help="CRS of SITES when the file carries none (no .prj), e.g. EPSG:4526. Never guessed.",
)
@engine_options
@overwrite_option
def screen(
    sites,
    config_path,
    ruleset,
    output,
    csv_path,
    xlsx_path,
    id_field,
    sites_crs,
    engine,
    scheduler,
    partitions,
    overwrite,
):
    """Screen candidate sites against a rule set: a verdict, reasons and the eligible rest.

    SITES is any readable layer: GeoPackage (file.gpkg|layer=NAME), Shapefile, GeoJSON, or a
    boundary-point coordinate TXT (界址点坐标) as delivered for land approval. Sites are
    reprojected to the working CRS; control layers are read whole, so features just outside
    the study area still count where a buffer reaches into a site.

    Verdicts: pass; conditional (the excluded parts can be cut away leaving at least the rule
    set's min_eligible_mu, or a limited overlap needs approval); fail; unknown (a raster has no
    data under more than 10% of the site). Reasons are one sentence per check that did not
    pass, with the overlap in 亩 and the legal basis.

    Outputs are written only when everything succeeded; an error leaves no file behind.

    \b
    Examples:
      ecogis screen layers/demo/sites.gpkg -c configs/demo.yaml -r pv_sand_control
      ecogis screen 地块坐标.txt -c configs/demo.yaml -r pv_sand_control -o result.gpkg --xlsx result.xlsx
      ecogis screen "sites.gpkg|layer=pv" -c configs/demo.yaml -r pv_sand_control --id-field DKBH --csv out.csv
    """
    from ..screening import run_screening

    eng = make_engine(engine, scheduler, partitions)
    # a PostGIS output is written in its own transaction at the end, not staged as a file
    db_output = output if isinstance(output, str) else None
    if db_output is not None:
        output = None
    outputs = {"gpkg": output, "csv": csv_path, "xlsx": xlsx_path}
    # refuse bad suffixes, existing files and missing folders before the work, not after it
    for kind, path in outputs.items():
        flag = {"gpkg": "-o/--output", "csv": "--csv", "xlsx": "--xlsx"}[kind]
        check_output(path, (f".{kind}",), overwrite, flag)

    from ..screening.model import LAYERS as SCREEN_LAYERS

    with open_project(config_path) as project:
        refuse_onto_inputs(
            project, output, csv_path, xlsx_path, db_output, extra=[sites], tables=SCREEN_LAYERS
        )
        rs = project.config.ruleset(ruleset)
        sites_gdf = project.read(sites, crs=sites_crs, id_field=id_field)
        total = len(sites_gdf) * (len(rs.checks) + 1)
        with progress("screening", total) as update:
            result = run_screening(
                project, rs, sites_gdf, id_field=id_field, engine=eng, progress=update
            )

    written = []
    from ..io._atomic import atomic_group
    from ..io.tables import write_tables
    from ..io.vector import write_layers

    with atomic_group([p for p in outputs.values() if p is not None], overwrite=overwrite) as tmp:
        table = result.table()
        if output is not None:
            write_layers(result.frames(), tmp[output], overwrite=True)
            written.append(f"{output} (layers sites, eligible)")
        if csv_path is not None:
            write_tables({"sites": table}, tmp[csv_path], overwrite=True)
            written.append(str(csv_path))
        if xlsx_path is not None:
            write_tables(
                {"sites": table, "rules": result.rules_table()}, tmp[xlsx_path], overwrite=True
            )
            written.append(str(xlsx_path))

    if db_output is not None:
        write_layers(result.frames(), db_output, overwrite=overwrite)
        written.append(f"{db_output} (tables sites, eligible)")
    screening_summary(result, written)

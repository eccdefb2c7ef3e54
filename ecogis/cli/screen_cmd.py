"""ecogis screen"""

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
from .summaries import screening_summary


@command(
    help=N_(
        """Screen candidate sites against a rule set: a verdict, reasons and the eligible rest.

    SITES is any readable layer: GeoPackage (file.gpkg|layer=NAME), Shapefile, GeoJSON, or a
    boundary-point coordinate TXT (界址点坐标) as delivered for land approval. Sites are
    reprojected to the working CRS; control layers are read whole, so features just outside
    the study area still count where a buffer reaches into a site. Sites drawn on Amap /
    Tencent or Baidu maps: --sites-crs GCJ-02 / BD-09 (converted with prcoords, and said so).
    Sites in Xian 1980, Beijing 1954 or a local system need --sites-transform: a datum is
    never changed with PROJ's approximate 'ballpark' shift.

    Verdicts: pass; conditional (the excluded parts can be cut away leaving at least the rule
    set's min_eligible_mu, or a limited overlap needs approval); fail; unknown (a raster has no
    data under more than 10% of the site, or more than 10% of the site lies outside the study
    area: the boundary layer, else the extent of the layers checked — column study_area_outside).
    Reasons are one sentence per check that did not pass, with the overlap in 亩 and the legal
    basis. A DEM in degrees (ASTER, SRTM) or Web Mercator is warped to the working CRS for
    the slope; very large sites on fine DEMs are read on coarser pixels, with a warning.

    --by-class LAYER splits each site by the land classes (地类) of a land-use layer (role
    landuse, e.g. the 三调 DLTB): site id, class code, class name, m², 亩 and share of the site,
    with a total per site and per class. It goes into the GeoPackage (layer by_class, each
    site's part on each class), the XLSX (sheet by_class, 地类构成 in Chinese) and the CSV
    (F_by_class.csv beside --csv F).

    Outputs are written only when everything succeeded; an error leaves no file behind.

    \b
    Examples:
      ecogis screen layers/demo/sites.gpkg -c configs/demo.yaml -r pv_sand_control
      ecogis screen 地块坐标.txt -c configs/demo.yaml -r pv_sand_control -o result.gpkg --xlsx result.xlsx
      ecogis screen "sites.gpkg|layer=pv" -c configs/demo.yaml -r pv_sand_control --id-field DKBH --csv out.csv
      ecogis screen amap_sites.geojson -c configs/demo.yaml -r pv_sand_control --sites-crs GCJ-02
      ecogis screen layers/demo/sites.gpkg -c configs/demo.yaml -r pv_sand_control --by-class dltb --xlsx 地类.xlsx

    \b
    Exit status: 0 screened; 2 bad usage, config or input (nothing written); 1 other failures."""
    )
)
@click.argument("sites", metavar="SITES")
@config_option
@click.option(
    "-r",
    "--ruleset",
    required=True,
    help=N_("Rule set from the config's rulesets:, e.g. pv_sand_control."),
)
@click.option(
    "-o",
    "--output",
    callback=output_target,
    help=N_(
        "GeoPackage with layers 'sites' (verdict columns) and 'eligible', or a PostGIS "
        "database (postgresql://user@host/db: both tables in one transaction)."
    ),
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help=N_(
        "CSV table for scripts: one row per site, every column as computed (site_id, verdict, "
        "reasons, areas in m² and mu, each check, the input's own columns); UTF-8 with BOM."
    ),
)
@click.option(
    "--xlsx",
    "xlsx_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help=N_(
        "Excel workbook for people, ready to print: sheet sites (verdict, reasons, areas in "
        "mu, the input's own columns), checks (the numbers of each check), rules; titles in "
        "the interface language."
    ),
)
@click.option(
    "--id-field",
    help=N_(
        "Column with the site ids (default: site_id, id, BSM or parcel_id, else the row number)."
    ),
)
@click.option(
    "--sites-crs",
    "--crs",
    "sites_crs",
    help=N_(
        "CRS of SITES when the file carries none (no .prj), e.g. EPSG:4526. Never guessed. "
        "GCJ-02 or BD-09 for sites drawn on a web map (longitude/latitude, converted to WGS 84)."
    ),
)
@click.option(
    "--sites-transform",
    metavar="PARAMS",
    help=N_(
        "Datum transformation of SITES into CGCS2000: 7 Helmert parameters "
        "'dx,dy,dz,rx,ry,rz,ds' (m, arc-seconds, ppm), 3 shifts, 4 planar parameters "
        "'ΔX,ΔY,rotation,scale' or a PROJ pipeline ('+proj=...')."
    ),
)
@click.option(
    "--exact-areas",
    is_flag=True,
    help=N_(
        "Measure each site in its own 3-degree zone instead of the one working CRS (for study "
        "areas wider than a zone, where areas at the edges come out too large)."
    ),
)
@click.option(
    "--by-class",
    "by_class",
    metavar="LAYER",
    help=N_(
        "Split each site's area by the land classes of LAYER (a config layer with role "
        "landuse, e.g. dltb): a by_class table in every output."
    ),
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
    sites_transform,
    exact_areas,
    by_class,
    engine,
    scheduler,
    partitions,
    dask_storage,
    overwrite,
):
    from ..screening import run_screening
    from ..screening.model import BY_CLASS_LAYER

    eng = make_engine(engine, scheduler, partitions, dask_storage)
    # a PostGIS output is written in its own transaction at the end, not staged as a file
    db_output = output if isinstance(output, str) else None
    if db_output is not None:
        output = None
    outputs = {"gpkg": output, "csv": csv_path, "xlsx": xlsx_path}
    # --csv F gets the by-class table beside it, as F_by_class.csv
    class_csv = None
    if by_class is not None and csv_path is not None:
        class_csv = csv_path.with_name(f"{csv_path.stem}_{BY_CLASS_LAYER}{csv_path.suffix}")
        outputs["class_csv"] = class_csv
    # refuse bad suffixes, existing files and missing folders before the work, not after it
    for kind, path in outputs.items():
        flag = {"gpkg": "-o/--output", "csv": "--csv", "xlsx": "--xlsx", "class_csv": "--csv"}
        check_output(path, (f".{kind.removeprefix('class_')}",), overwrite, flag[kind])

    from ..screening.model import LAYERS as SCREEN_LAYERS

    tables = (*SCREEN_LAYERS, BY_CLASS_LAYER) if by_class else SCREEN_LAYERS
    with open_project(config_path) as project:
        refuse_onto_inputs(
            project, output, csv_path, class_csv, xlsx_path, db_output, extra=[sites], tables=tables
        )
        if by_class is not None:
            project.spec(by_class, key="--by-class")  # a typo is refused before the work
        rs = project.config.ruleset(ruleset)
        sites_gdf = project.read(sites, crs=sites_crs, id_field=id_field, transform=sites_transform)
        total = len(sites_gdf) * (len(rs.checks) + 1)
        with progress(_("screening"), total) as update:
            result = run_screening(
                project,
                rs,
                sites_gdf,
                id_field=id_field,
                exact_areas=exact_areas,
                by_class=by_class,
                engine=eng,
                progress=update,
            )
        name = project.name

    written = []
    from ..io._atomic import atomic_group
    from ..io.tables import write_tables
    from ..io.vector import write_layers
    from ..landuse import BY_CLASS_SHEET, describe_totals
    from ..screening.tables import (
        by_class_table,
        checks_table,
        column_titles,
        rules_table,
        sites_table,
    )

    frames = result.frames()
    with atomic_group([p for p in outputs.values() if p is not None], overwrite=overwrite) as tmp:
        table = result.table()
        if output is not None:
            kinds = {BY_CLASS_LAYER: "MultiPolygon"}  # a site's part on a class may be several
            write_layers(
                frames,
                tmp[output],
                overwrite=True,
                titles=column_titles(result),  # QGIS shows the Chinese titles as aliases
                geometry_types=kinds,
            )
            written.append(
                _("{path} (layers {layers})").format(path=output, layers=", ".join(frames))
            )
        if csv_path is not None:
            write_tables({"sites": table}, tmp[csv_path], overwrite=True)
            written.append(str(csv_path))
        if class_csv is not None:
            write_tables({BY_CLASS_LAYER: result.by_class_totals}, tmp[class_csv], overwrite=True)
            written.append(str(class_csv))
        if xlsx_path is not None:
            # for people, like the demo's: titles in the interface language, verdicts
            # coloured, areas in mu, ready to print (the CSV keeps the raw columns for scripts)
            sheets = {
                _("sites"): sites_table(result, project_name=name),
                _("checks"): checks_table(result, project_name=name),
                _("rules"): rules_table(result, project_name=name),
            }
            if by_class is not None:
                sheets[_(BY_CLASS_SHEET)] = by_class_table(result, project_name=name)
            write_tables(sheets, tmp[xlsx_path], overwrite=True)
            written.append(str(xlsx_path))

    if db_output is not None:
        write_layers(frames, db_output, overwrite=overwrite)
        written.append(
            _("{path} (tables {tables})").format(path=db_output, tables=", ".join(frames))
        )
    screening_summary(result, written)
    if by_class is not None:
        echo(
            _("land classes of the sites ({layer}): {classes}").format(
                layer=result.labels.get(by_class, by_class),
                classes=describe_totals(result.by_class_totals),
            )
        )

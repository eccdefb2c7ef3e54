"""ecogis screen"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import click

from .options import (
    check_output,
    config_option,
    echo,
    engine_options,
    make_engine,
    output_target,
    overwrite_option,
    progress,
    verbosity,
)

# non-pass sites listed in the printed summary without -v (the output files list them all)
_SHOW_SITES = 50
# rounding of the CSV / XLSX tables (the GeoPackage keeps full precision)
_ROUND = {"_m2": 2, "_mu": 2, "_share": 4, "_deg": 2, "_distance_m": 2, "_share_over": 4}


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
    from ..config import load_config
    from ..io.vector import read_layer

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

    cfg = load_config(config_path)
    rs = cfg.ruleset(ruleset)
    sites_gdf = read_layer(sites, geom_type="polygon", id_field=id_field, crs=sites_crs)
    labels = {n: spec.title for n, spec in cfg.layers.items()}
    total = len(sites_gdf) * (len(rs.checks) + 1)
    with progress("screening", total) as update:
        result, _, work = run_screening(
            cfg, rs, sites_gdf, id_field=id_field, engine=eng, progress=update
        )

    written = []
    with _staged([p for p in outputs.values() if p is not None], overwrite) as tmp:
        from ..io.vector import write_layers
        from ..report import write_tables

        table = _for_people(result.sites)
        if output is not None:
            write_layers(
                {"sites": result.sites, "eligible": result.eligible}, tmp[output], overwrite=True
            )
            written.append(f"{output} (layers sites, eligible)")
        if csv_path is not None:
            write_tables({"sites": table}, tmp[csv_path], overwrite=True)
            written.append(str(csv_path))
        if xlsx_path is not None:
            write_tables(
                {"sites": table, "rules": _rules_table(rs, labels)}, tmp[xlsx_path], overwrite=True
            )
            written.append(str(xlsx_path))

    if db_output is not None:
        from ..io.vector import write_layers

        write_layers(
            {"sites": result.sites, "eligible": result.eligible}, db_output, overwrite=overwrite
        )
        written.append(f"{db_output} (tables sites, eligible)")
    _summary(result, rs, work, written)


def _summary(result, rs, work, written) -> None:
    counts = result.counts()
    title = f"{rs.name} ({rs.label})" if rs.label else rs.name
    epsg = work.to_epsg()
    echo(f"{title}: {len(result.sites)} site(s) screened in EPSG:{epsg}")
    echo("  " + " · ".join(f"{v} {n}" for v, n in counts.items()))
    rows = result.sites[result.sites["verdict"] != "pass"]
    limit = None if verbosity() >= 1 else _SHOW_SITES
    for idx, row in (rows if limit is None else rows.head(limit)).iterrows():
        first = result.first_reason.loc[idx]
        echo(f"  {row['site_id']!s:<10} {row['verdict']:<11} {first}")
    if limit is not None and len(rows) > limit:
        echo(f"  ... and {len(rows) - limit} more (-v lists all; the output tables have them)")
    for w in written:
        echo(f"wrote {w}")


def _for_people(sites):
    """The site table rounded for CSV / XLSX (the GeoPackage keeps full precision)."""
    import pandas as pd

    df = pd.DataFrame(sites.drop(columns=sites.geometry.name))
    for col in df.columns:
        if not pd.api.types.is_float_dtype(df[col]):
            continue
        for suffix, digits in _ROUND.items():
            if str(col).endswith(suffix):
                df[col] = df[col].round(digits)
    return df


def _rules_table(rs, labels):
    import pandas as pd

    rows = []
    for c in rs.checks:
        rows.append(
            {
                "rule": c.rule,
                "target": c.target,
                "label": c.label or labels.get(c.target, c.target),
                "params": ", ".join(f"{k}={v}" for k, v in c.params.items()),
                "basis": c.basis or rs.basis or "",
            }
        )
    rows.append(
        {
            "rule": "min_eligible_mu",
            "target": "",
            "label": "",
            "params": f"{rs.min_eligible_mu:g}",
            "basis": rs.basis or "",
        }
    )
    return pd.DataFrame(rows)


@contextlib.contextmanager
def _staged(paths: list[Path], overwrite: bool) -> Iterator[dict[Path, Path]]:
    """Temporary paths (same names, in hidden folders beside the targets) for every output;
    all are moved into place only when the body succeeds, none otherwise."""
    from ..io._atomic import check_output as check_writable

    dirs: dict[Path, Path] = {}
    tmp: dict[Path, Path] = {}
    try:
        for p in paths:
            check_writable(p, overwrite=overwrite)
            parent = p.parent if str(p.parent) else Path(".")
            if parent not in dirs:
                dirs[parent] = Path(tempfile.mkdtemp(prefix=".ecogis-screen.", dir=parent))
            tmp[p] = dirs[parent] / p.name
        yield tmp
        for p, t in tmp.items():
            os.replace(t, p)
    finally:
        for d in dirs.values():
            shutil.rmtree(d, ignore_errors=True)


def run_screening(cfg, rs, sites_gdf, *, id_field=None, engine=None, progress=None):
    """Read what rule set ``rs`` needs, bring everything into the working CRS, screen.

    Shared by ``ecogis screen`` and ``ecogis map screening``. Control layers are read whole
    (features outside the study area count where a buffer reaches a site); rasters are opened
    for the run and closed after it.

    Returns
    -------
    (ScreenResult, dict of layers in the working CRS, working CRS)
    """
    from ..crs import to_working
    from ..io.project import read_config_layer, resolve_working_crs
    from ..io.raster import open_raster
    from ..screening import screen_sites

    layer_names = list(dict.fromkeys(c.layer for c in rs.checks if c.layer))
    layers = {n: read_config_layer(cfg, n) for n in layer_names}
    context = dict(layers)
    for spec in cfg.layers_with_role("boundary"):
        context[spec.name] = read_config_layer(cfg, spec.name)
    work = resolve_working_crs(cfg, {"__sites__": sites_gdf, **context})
    sites_gdf = to_working(sites_gdf, work)
    layers = {n: to_working(g, work) for n, g in layers.items()}
    labels = {n: spec.title for n, spec in cfg.layers.items()}
    raster_names = list(dict.fromkeys(c.raster for c in rs.checks if c.raster))
    with contextlib.ExitStack() as stack:
        rasters = {
            n: stack.enter_context(open_raster(cfg.layers[n].path, name=f"layers.{n}"))
            for n in raster_names
        }
        result = screen_sites(
            sites_gdf,
            rs,
            layers=layers,
            rasters=rasters,
            labels=labels,
            id_field=id_field,
            min_overlap_m2=cfg.sliver_m2,
            engine=engine,
            progress=progress,
        )
    return result, layers, work

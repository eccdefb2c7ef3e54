"""ecogis controls"""

from __future__ import annotations

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
)

#: exit status when --fail-on-conflict is given and conflicts were found
EXIT_CONFLICT = 3

_POLYGON_TYPES = ("Polygon", "MultiPolygon", "GeometryCollection")


@click.command(
    epilog="""\b
Examples:
  ecogis controls -c configs/demo.yaml
  ecogis controls -c configs/demo.yaml -o maps/controls.gpkg --summary maps/controls.csv
  ecogis controls -c configs/demo.yaml --min-area-m2 10 --fail-on-conflict

\b
Exit status:
  0  the check ran (conflicts or not, unless --fail-on-conflict)
  3  conflicts were found and --fail-on-conflict was given
  2  bad usage, config or input (missing file, no CRS, existing output without --overwrite)
  1  any other failure"""
)
@config_option
@click.option(
    "-o",
    "--output",
    callback=output_target,
    help="GeoPackage to write with layers conflicts, slivers, self_overlaps and invalid "
    "(empty layers too), or a PostGIS database (postgresql://user@host/db: four tables in one "
    "transaction). Default: write nothing.",
)
@click.option(
    "--summary",
    "summary_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Summary table (.csv, UTF-8 with BOM for Excel, or .xlsx): layer_a, layer_b, "
    "township, conflicts, area_m2, area_mu.",
)
@click.option(
    "--min-area-m2",
    type=click.FloatRange(min=0),
    default=None,
    help="Overlap parts smaller than this many m² are slivers, not conflicts "
    "[default: the config's sliver_m2, 1 m²].",
)
@click.option(
    "--fail-on-conflict",
    is_flag=True,
    help=f"Exit with status {EXIT_CONFLICT} when any conflict is found (for scripts and CI).",
)
@engine_options
@overwrite_option
def controls(
    config_path,
    output,
    summary_path,
    min_area_m2,
    fail_on_conflict,
    engine,
    scheduler,
    partitions,
    overwrite,
):
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
    """

    cfg = _load(config_path)
    eng = make_engine(engine, scheduler, partitions)
    check_output(output, (".gpkg",), overwrite, "-o/--output")
    check_output(summary_path, (".csv", ".xlsx"), overwrite, "--summary")
    if (
        isinstance(output, Path)
        and summary_path is not None
        and output.resolve() == summary_path.resolve()
    ):
        raise click.BadParameter("must differ from -o/--output", param_hint="--summary")
    threshold = cfg.sliver_m2 if min_area_m2 is None else float(min_area_m2)

    with progress("Overlaying control lines", 1000) as update:
        shown = [0]

        def advance(done: int, total: int) -> None:
            permille = min(1000, int(1000 * done / total)) if total else 1000
            if permille > shown[0]:
                update(permille - shown[0])
                shown[0] = permille

        report, _, townships, _ = run_controls(
            cfg, min_area_m2=threshold, engine=eng, progress=advance
        )
        advance(1, 1)
    work = report.crs

    _print_summary(cfg, report, work, threshold, townships is not None)

    if output is not None:
        from ..io.vector import write_layers

        write_layers(
            report.frames(),
            output,
            overwrite=overwrite,
            geometry_types=dict.fromkeys(report.frames(), "MultiPolygon"),
        )
        echo(f"wrote {output} (layers conflicts, slivers, self_overlaps, invalid)")
    if summary_path is not None:
        from ..report import write_table

        write_table(report.summary, summary_path, overwrite=overwrite)
        echo(f"wrote {summary_path}")

    if fail_on_conflict and len(report.conflicts):
        click.get_current_context().exit(EXIT_CONFLICT)


def _load(config_path: Path):
    from ..config import load_config

    return load_config(config_path)


def _read_stored(cfg, name: str):
    """One control line exactly as stored, after the checks ``read_layer`` would make."""
    from ..crs import check_coordinates
    from ..errors import CRSError, LayerError
    from ..geometry import repair_geometries
    from ..io.project import read_config_layer

    spec = cfg.layers[name]
    label = f"{name} ({spec.title})" if spec.label else name
    gdf = read_config_layer(cfg, name, raw=True, key="control_lines")
    if gdf.crs is None:
        raise CRSError(
            f"{label}: layer has no CRS (.prj missing?); declare it in the config "
            f"(layers.{name}.crs, e.g. EPSG:4547) or fix the file — ecogis never guesses"
        )
    check_coordinates(gdf, label)
    types = gdf.geometry.geom_type.dropna()
    wrong = types[~types.isin(_POLYGON_TYPES)]
    if len(wrong):
        counts = ", ".join(f"{t} x{n}" for t, n in wrong.value_counts().items())
        raise LayerError(f"{label}: control lines are polygon layers; found {counts}")
    if (spec.on_invalid or cfg.on_invalid) == "raise":
        # the config refuses invalid geometries: raise here as reading would
        repair_geometries(gdf, name=label, on_invalid="raise", id_field=spec.id_field)
    return gdf


def _print_summary(cfg, report, work, threshold: float, has_townships: bool) -> None:
    epsg = work.to_epsg()
    echo(
        f"{cfg.name}: control-line check, working CRS {f'EPSG:{epsg} ' if epsg else ''}({work.name})"
    )
    if len(report.pairs) == 0:
        echo("only one control line configured: no pairs to compare")
    for row in report.pair_totals().itertuples(index=False):
        n = int(row.conflicts)
        echo(
            f"  {report.label(row.layer_a)} × {report.label(row.layer_b)}: "
            f"{n} conflict{'' if n == 1 else 's'}, {row.area_mu:,.2f} mu ({row.area_m2:,.1f} m²)"
        )
    total = report.summary.iloc[-1]
    echo(
        f"  all pairs: {int(total['conflicts'])} conflicts, {total['area_mu']:,.2f} mu"
        + ("" if has_townships else " (no township layer: not split by township)")
    )
    echo(f"slivers (< {threshold:g} m²): {len(report.slivers)}")
    # a self-overlap cut by a township boundary is one overlap in two rows: count pairs
    selfs = report.self_overlaps.drop_duplicates(["layer", "id_a", "id_b"])
    echo(f"self-overlaps: {len(selfs)}{_by_layer(report, selfs)}")
    echo(f"invalid geometries: {len(report.invalid)}{_by_layer(report, report.invalid)}")


def _by_layer(report, frame) -> str:
    if len(frame) == 0:
        return ""
    counts = frame["layer"].value_counts(sort=False)
    return " (" + ", ".join(f"{report.label(n)} {c}" for n, c in counts.items()) + ")"


def run_controls(cfg, *, min_area_m2=None, engine=None, progress=None):
    """Read the control lines and townships, bring them into the working CRS, check them.

    Shared by ``ecogis controls`` and ``ecogis map controls``. Each control line is read once,
    as stored: its invalid geometries are reported from that copy, and ``check_controls``
    repairs them in memory for the overlay.

    Returns
    -------
    (ControlReport, dict of layers in the working CRS, townships or None, township field)
    """
    from ..controls import check_controls
    from ..crs import to_working
    from ..errors import ConfigError
    from ..io.project import read_config_layer, read_townships, resolve_working_crs

    if not cfg.control_lines:
        raise ConfigError(
            "control_lines is empty; list the control-line layers, "
            "e.g. control_lines: [redline, farmland, urban]",
            path=str(cfg.path),
        )
    stored = {name: _read_stored(cfg, name) for name in cfg.control_lines}
    around = dict(stored)
    for spec in cfg.layers_with_role("boundary"):
        around[spec.name] = read_config_layer(cfg, spec.name, raw=True)
    work = resolve_working_crs(cfg, {n: g for n, g in around.items() if g.crs is not None})
    layers = {name: to_working(gdf, work) for name, gdf in stored.items()}
    townships, township_field = read_townships(cfg, work)
    report = check_controls(
        layers,
        townships=townships,
        township_field=township_field,
        min_area_m2=cfg.sliver_m2 if min_area_m2 is None else min_area_m2,
        labels={n: cfg.layers[n].title for n in cfg.control_lines},
        id_fields={n: cfg.layers[n].id_field for n in cfg.control_lines},
        invalid=stored,
        engine=engine,
        progress=progress,
    )
    return report, layers, townships, township_field

"""ecogis layers check"""

from __future__ import annotations

import warnings
from pathlib import Path

import click

from ..i18n import N_, _
from .base import group
from .options import config_option, echo, open_project, overwrite_option, refuse_onto_inputs

#: exit status of ``layers check --strict`` when problems were found (as controls' conflicts)
EXIT_PROBLEMS = 3


@group(help=N_("Inspect and repair the layers of a project."))
def layers():
    pass


@layers.command(
    "check",
    help=N_(
        """Geometry QA of every vector layer in a config.

    For each layer: feature count, CRS, geometry types, invalid geometries (feature ids and
    GEOS' reason), empty geometries, exact duplicates and the total area in mu (measured in
    the working CRS). Layers are read as stored: nothing is repaired unless --fix.

    \b
    Examples:
      ecogis layers check -c configs/demo.yaml
      ecogis layers check -c configs/demo.yaml --layer farmland --fix -o fixed
      ecogis layers check -c configs/demo.yaml --strict    (status 3 on a problem)
    """
    ),
)
@config_option
@click.option("--layer", "only", multiple=True, help=N_("Check only this layer (repeatable)."))
@click.option(
    "--fix",
    is_flag=True,
    help=N_(
        "Write repaired copies (needs -o): invalid geometries made valid, empties and exact "
        "duplicates dropped."
    ),
)
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help=N_("Folder for repaired copies (with --fix)."),
)
@click.option(
    "--strict",
    is_flag=True,
    help=N_("Exit with status 3 when any problem is found (for scripts and scheduled checks)."),
)
@overwrite_option
def check(config_path, only, fix, out_dir, strict, overwrite):
    from ..crs import check_coordinates
    from ..errors import CRSError, EcogisError
    from ..geometry import feature_ids, repair_geometries, summarize_layer
    from ..io.vector import write_layer

    if fix and out_dir is None:
        raise click.UsageError(_("--fix needs -o/--output DIR for the repaired copies"))
    project = open_project(config_path)
    cfg = project.config
    names = [n for n, s in cfg.layers.items() if not s.is_raster]
    for n in only:
        cfg.layer(n, key="--layer")
    if only:
        names = [n for n in names if n in only]
    targets = {}
    if fix:
        for n in names:
            suffix = Path(cfg.layers[n].path).suffix.lower()
            suffix = suffix if suffix in (".gpkg", ".shp", ".geojson") else ".gpkg"
            targets[n] = out_dir / f"{n}{suffix}"
        refuse_onto_inputs(project, *targets.values())
    loaded, failures = {}, {}
    for n in names:
        try:
            loaded[n] = project.stored(n)
        except EcogisError as exc:
            failures[n] = str(exc)
    work = project.crs
    echo(
        _("{name}: {n} vector layers; areas in {crs} (EPSG:{epsg})").format(
            name=cfg.name, n=len(names), crs=work.name, epsg=work.to_epsg()
        )
    )
    problems = 0
    for n in names:
        spec = cfg.layers[n]
        echo("")
        source = Path(spec.path).name + ("|" + spec.layer if spec.layer else "")
        echo(f"{n} — {spec.title}  [{source}]")
        if n in failures:
            echo(_("  ERROR: {message}").format(message=failures[n]))
            problems += 1
            continue
        gdf = loaded[n]
        crs_note = ""
        try:
            check_coordinates(gdf, n)
        except CRSError as exc:
            crs_note = _("  CRS PROBLEM: {message}").format(message=exc)
        # coordinates that cannot be right (NaN, infinity, far outside the CRS) are not measured
        measured = gdf.crs is not None and not crs_note
        s = summarize_layer(gdf if measured else gdf.iloc[0:0], work, id_field=spec.id_field)
        s["features"] = len(gdf)
        crs = gdf.crs
        echo(_("  features: {n}").format(n=s["features"]))
        if crs is not None:
            echo(_("  CRS: {crs}").format(crs=f"EPSG:{crs.to_epsg()} {crs.name}"))
        else:
            echo(_("  CRS: none (refused: declare crs: in the config)"))
        if crs_note:
            echo(crs_note)
            problems += 1
        types = ", ".join(f"{t} {c}" for t, c in s["geom_types"].items()) or "-"
        echo(_("  geometry types: {types}").format(types=types))
        inv = s["invalid"]
        echo(_("  invalid: {n}").format(n=len(inv)))
        for _i, row in inv.head(20).iterrows():
            echo(f"    {row['id']}: {row['reason']}")
        if len(inv) > 20:
            echo(_("    ... and {n} more").format(n=len(inv) - 20))
        empty = f" ({', '.join(s['empty'][:10])})" if s["empty"] else ""
        echo(_("  empty: {n}").format(n=len(s["empty"])) + empty)
        dups = (
            " (" + "; ".join(" = ".join(g) for g in s["duplicates"][:10]) + ")"
            if s["duplicates"]
            else ""
        )
        echo(_("  exact duplicates: {n}").format(n=len(s["duplicates"])) + dups)
        if s["area_mu"] is not None:
            echo(
                _("  area: {mu} mu ({km2} km²)").format(
                    mu=f"{s['area_mu']:,.2f}", km2=f"{s['area_m2'] / 1e6:,.3f}"
                )
            )
        problems += len(inv) + len(s["empty"]) + len(s["duplicates"]) + (gdf.crs is None)
        if fix and measured:
            out_dir.mkdir(parents=True, exist_ok=True)
            target = targets[n]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fixed = repair_geometries(gdf, name=n, on_invalid="fix", id_field=spec.id_field)
            if s["duplicates"]:
                ids = feature_ids(fixed, spec.id_field)
                drop = {d for grp in s["duplicates"] for d in grp[1:]}
                fixed = fixed[~ids.isin(drop).to_numpy()]
            write_layer(fixed, target, layer=n, overwrite=overwrite)
            echo(_("  repaired copy: {path} ({n} features)").format(path=target, n=len(fixed)))
    echo("")
    echo(_("{n} problem(s) found").format(n=problems) if problems else _("no problems found"))
    if strict and problems:
        click.get_current_context().exit(EXIT_PROBLEMS)

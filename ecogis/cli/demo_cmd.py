"""ecogis demo"""

from __future__ import annotations

from pathlib import Path

import click

from .options import echo


@click.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("layers/demo"),
    show_default=True,
    help="Folder for the demo layers; results go to its results/ folder.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("configs/demo.yaml"),
    show_default=True,
    help="Where to write the demo config.",
)
@click.option(
    "--maps",
    "maps_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("maps"),
    show_default=True,
    help="Folder for the HTML maps.",
)
@click.option(
    "--seed",
    type=int,
    default=2022,
    show_default=True,
    help="Random seed: the same seed gives the same data.",
)
@click.option("--data-only", is_flag=True, help="Only generate the data and config; run nothing.")
@click.pass_context
def demo(ctx, out_dir, config_path, maps_dir, seed, data_only):
    """Make the demo data set for Zhengxiangbai Banner and run the whole job on it.

    \b
    1. writes deterministic demo layers to --out and a config to --config: the real banner
       outline (GCJ-02 converted to CGCS2000), five townships, the three control lines
       (stored in EPSG:4490, 4526 and 4547), water-source zones, basic grassland, sandy land,
       I-level forest, a DEM and two NDVI rasters, mine pits, afforestation / enclosure plots
       and PV candidate sites, with deliberate problems for the checks to find;
    2. checks the three control lines       -> results/controls.gpkg, controls_summary.csv
    3. screens the PV sites (pv_sand_control) -> results/screening.gpkg, screening.xlsx
    4. builds the restoration registry and reports progress for 2022 -> results/progress.xlsx
    5. writes the controls, progress and screening maps -> maps/*.html (open offline)

    Running it again starts the demo afresh (the demo registry is rebuilt).

    \b
    Examples:
      ecogis demo
      ecogis demo --data-only && ecogis layers check -c configs/demo.yaml
    """
    from ..demo import make_demo

    out_dir.mkdir(parents=True, exist_ok=True)
    config_path.parent.mkdir(parents=True, exist_ok=True)
    echo(f"== 1/5 demo data -> {out_dir}")
    result = make_demo(
        out_dir,
        config_path=config_path,
        seed=seed,
        overwrite=True,
        progress=lambda m: echo(f"   {m}", level=1, err=True),
    )
    echo(f"{len(result.layers)} layers in {out_dir}; config: {result.config_path}")
    if data_only:
        return

    from ..config import load_config
    from .controls_cmd import controls
    from .map_cmd import write_all_maps
    from .restoration_cmd import pits_init, progress_cmd
    from .screen_cmd import screen

    cfg_path = Path(result.config_path)
    results = out_dir / "results"
    results.mkdir(exist_ok=True)

    echo("")
    echo("== 2/5 three control lines: ecogis controls")
    ctx.invoke(
        controls,
        config_path=cfg_path,
        output=results / "controls.gpkg",
        summary_path=results / "controls_summary.csv",
        overwrite=True,
    )

    echo("")
    echo("== 3/5 PV site screening: ecogis screen -r pv_sand_control")
    cfg = load_config(cfg_path)
    sites = cfg.layers_with_role("sites")[0]
    ctx.invoke(
        screen,
        sites=sites.source,
        config_path=cfg_path,
        ruleset="pv_sand_control",
        output=results / "screening.gpkg",
        xlsx_path=results / "screening.xlsx",
        overwrite=True,
    )

    echo("")
    echo("== 4/5 restoration registry and progress: ecogis pits init, ecogis progress --year 2022")
    registry = Path(cfg.registry) if cfg.registry else None
    if (
        registry is not None
        and registry.exists()
        and registry.parent.resolve() == out_dir.resolve()
    ):
        registry.unlink()  # the demo registry is rebuilt from the fresh demo layers
    ctx.invoke(pits_init, config_path=cfg_path)
    ctx.invoke(
        progress_cmd,
        config_path=cfg_path,
        year=2022,
        xlsx_path=results / "progress.xlsx",
        overwrite=True,
    )

    echo("")
    echo(f"== 5/5 maps -> {maps_dir}")
    for path in write_all_maps(cfg_path, maps_dir, overwrite=True, year=2022):
        echo(f"map: {path}")

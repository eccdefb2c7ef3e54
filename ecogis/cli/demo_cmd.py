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
    help="Folder for the demo layers.",
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
    "--seed",
    type=int,
    default=2022,
    show_default=True,
    help="Random seed: the same seed gives the same data.",
)
@click.option("--data-only", is_flag=True, help="Only generate the data and config; run nothing.")
def demo(out_dir, config_path, seed, data_only):
    """Generate the demo data set for Zhengxiangbai Banner and run the checks on it.

    Writes realistic, deterministic layers (banner outline and townships, the three control
    lines, water-source zones, basic grassland, sandy land, DEM and NDVI rasters, mine pits,
    afforestation / enclosure plots, PV candidate sites) with deliberate problems for the
    checks to find, plus a config that points at them.

    \b
    Example:
      ecogis demo && ecogis layers check -c configs/demo.yaml
    """
    from ..demo import make_demo

    result = make_demo(
        out_dir,
        config_path=config_path,
        seed=seed,
        overwrite=True,
        progress=lambda m: echo(m, level=1, err=True),
    )
    echo(f"demo data: {len(result.layers)} layers in {out_dir}; config: {result.config_path}")
    if data_only:
        return

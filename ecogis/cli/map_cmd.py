"""ecogis map controls | progress | screening"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from typing import Any

import click

from .options import check_output, config_option, echo, overwrite_option

__all__ = ["map_group", "write_all_maps", "controls_map", "progress_map", "screening_map"]

#: environment variable holding the Tianditu key (never written into a config or the repo)
TIANDITU_ENV = "TIANDITU_KEY"

_KINDS = ("controls", "progress", "screening")


def _map_options(f):
    """Options every map command shares (applied bottom-up: -c first in --help)."""
    f = overwrite_option(f)
    f = click.option(
        "--online",
        is_flag=True,
        help="Link Leaflet from a CDN instead of embedding it (smaller file, needs internet).",
    )(f)
    f = click.option(
        "--basemap",
        type=click.Choice(["none", "osm", "tianditu"]),
        default=None,
        help="Background tiles from the internet [default: the config's basemap, none]. "
        f"tianditu needs the {TIANDITU_ENV} environment variable.",
    )(f)
    f = click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="HTML file to write [default: maps/<kind>.html in the current folder].",
    )(f)
    return config_option(f)


@click.group("map")
def map_group():
    """Write an HTML map that opens with no internet (Leaflet embedded, no CDN).

    \b
    Examples:
      ecogis map controls -c configs/demo.yaml
      ecogis map progress -c configs/demo.yaml --year 2022
      ecogis screen layers/demo/sites.gpkg -c configs/demo.yaml -r pv_sand_control -o out.gpkg
      ecogis map screening -c configs/demo.yaml --sites-result out.gpkg
      ecogis map controls -c configs/demo.yaml --basemap tianditu   # needs TIANDITU_KEY
    """


@map_group.command("controls")
@_map_options
def controls_cmd(config_path, output, basemap, online, overwrite):
    """Map of the three control lines and their conflicts (area in mu in the popups).

    Runs the control-line check (as 'ecogis controls') and draws the townships, each control
    line, overlaps inside a layer and the conflicts on top; the panel counts conflicts and mu
    per pair of lines.
    """
    cfg = _load(config_path)
    target = _target(output, "controls", overwrite)
    m = controls_map(cfg, **_map_kwargs(cfg, basemap, online))
    _save(m, target, overwrite)


@map_group.command("progress")
@_map_options
@click.option(
    "--year",
    type=int,
    default=None,
    help="Year reported [default: the latest target year not after this year].",
)
def progress_cmd(config_path, output, basemap, online, overwrite, year):
    """Map of restoration progress: pits by status, plots by percent complete.

    Pits and plots come from the config's registry when it exists, else from its layers with
    role pits and plots. The panel shows the year's totals against the targets and the 清零
    countdown (pits not yet treated); a chart shows the completion per township.
    """
    cfg = _load(config_path)
    target = _target(output, "progress", overwrite)
    m = progress_map(cfg, year=year, **_map_kwargs(cfg, basemap, online))
    _save(m, target, overwrite)


@map_group.command("screening")
@click.argument("sites", required=False, metavar="[SITES]")
@_map_options
@click.option(
    "--sites-result",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Output GeoPackage of 'ecogis screen' (layers sites and eligible): map it as is.",
)
@click.option(
    "-r",
    "--ruleset",
    help="Rule set to screen with, and whose layers are drawn as context "
    "[default: the config's only rule set].",
)
@click.option(
    "--id-field", help="Column with the site ids when screening SITES (as for 'ecogis screen')."
)
def screening_cmd(
    sites, config_path, output, basemap, online, overwrite, sites_result, ruleset, id_field
):
    """Map of screened sites by verdict, their eligible part and the reasons in popups.

    Give the output of 'ecogis screen' with --sites-result, or SITES (any readable layer) to
    screen here with -r RULESET; with neither, the config's layer with role sites is screened.
    """
    if sites is not None and sites_result is not None:
        raise click.UsageError("give SITES or --sites-result, not both")
    cfg = _load(config_path)
    target = _target(output, "screening", overwrite)
    m = screening_map(
        cfg,
        sites=sites,
        sites_result=sites_result,
        ruleset=ruleset,
        id_field=id_field,
        **_map_kwargs(cfg, basemap, online),
    )
    _save(m, target, overwrite)


# --------------------------------------------------------------------------------------
# map assembly: config -> inputs -> analysis -> builder (paths stay here, not in mapping)
# --------------------------------------------------------------------------------------


def write_all_maps(
    config_path: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    overwrite: bool = True,
    year: int | None = None,
) -> list[Path]:
    """Write the controls, progress and screening maps of a config into ``out_dir``.

    Offline maps with the config's basemap (no tiles for the demo). Used by ``ecogis demo``.

    Returns
    -------
    list of Path
        ``out_dir/controls.html``, ``progress.html``, ``screening.html``.
    """
    cfg = _load(Path(config_path))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    kwargs = _map_kwargs(cfg, None, False)
    builders = {
        "controls": lambda: controls_map(cfg, **kwargs),
        "progress": lambda: progress_map(cfg, year=year, **kwargs),
        "screening": lambda: screening_map(cfg, **kwargs),
    }
    from ..mapping import save_map

    written = []
    for kind in _KINDS:
        written.append(save_map(builders[kind](), out_dir / f"{kind}.html", overwrite=overwrite))
    return written


def controls_map(cfg, **map_kwargs: Any):
    """Read the control lines (and townships), check them, and build the controls map."""
    from ..mapping.maps import build_controls_map, map_title
    from .controls_cmd import run_controls

    report, layers, townships, township_field = run_controls(cfg)
    labels = {n: cfg.layers[n].title for n in cfg.control_lines}
    id_fields = {n: cfg.layers[n].id_field for n in cfg.control_lines}
    return build_controls_map(
        layers,
        report,
        labels=labels,
        id_fields=id_fields,
        townships=townships,
        township_field=township_field,
        title=map_title(cfg.name, "controls"),
        **map_kwargs,
    )


def progress_map(cfg, *, year: int | None = None, **map_kwargs: Any):
    """Load pits and plots (registry, else layers), summarize the year and build the map."""
    from ..io.project import read_townships
    from ..mapping.maps import build_progress_map, map_title
    from ..restoration import summarize_progress

    pits, plots = _restoration_objects(cfg)
    year = _default_year(cfg) if year is None else year
    townships, township_field = read_townships(cfg, pits.crs)
    names = None
    if townships is not None and township_field:
        names = [str(n) for n in townships[township_field]]
    summary = summarize_progress(pits, plots, targets=cfg.targets, year=year, townships=names)
    targets = dict(cfg.targets.get(year, {}))
    return build_progress_map(
        pits,
        plots,
        summary,
        targets=targets,
        year=year,
        townships=townships,
        township_field=township_field,
        title=f"{map_title(cfg.name, 'progress')}（{year} 年）",
        **map_kwargs,
    )


def screening_map(
    cfg,
    *,
    sites: str | None = None,
    sites_result: Path | None = None,
    ruleset: str | None = None,
    id_field: str | None = None,
    **map_kwargs: Any,
):
    """Screen sites (or read a screening result) and build the screening map."""
    from ..crs import to_working
    from ..errors import ConfigError
    from ..io.project import read_config_layer, resolve_working_crs
    from ..io.vector import read_layer
    from ..mapping.maps import build_screening_map, map_title

    if ruleset is not None:
        rs = cfg.ruleset(ruleset)
    elif len(cfg.rulesets) == 1:
        rs = next(iter(cfg.rulesets.values()))
    elif sites_result is None:
        known = ", ".join(cfg.rulesets) or "(none)"
        raise ConfigError(
            f"choose a rule set with -r/--ruleset; rule sets in this config: {known}",
            path=str(cfg.path),
        )
    else:
        rs = None  # a finished result, no context layers to draw

    layer_names = list(dict.fromkeys(c.layer for c in rs.checks if c.layer)) if rs else []
    layers = {n: read_config_layer(cfg, n) for n in layer_names}
    labels = {n: spec.title for n, spec in cfg.layers.items()}

    if sites_result is not None:
        if not Path(sites_result).exists():
            raise click.BadParameter(f"{sites_result}: file not found", param_hint="--sites-result")
        result_sites = read_layer(f"{sites_result}|layer=sites", name=f"{sites_result} sites")
        result_eligible = read_layer(
            f"{sites_result}|layer=eligible", name=f"{sites_result} eligible"
        )
        work = resolve_working_crs(cfg, {"__sites__": result_sites, **layers})
        layers = {n: to_working(g, work) for n, g in layers.items()}
    else:
        if sites is None:
            role = cfg.layers_with_role("sites")
            if not role:
                raise ConfigError(
                    "no sites to screen: give SITES or --sites-result, or add a layer with "
                    "role: sites to the config",
                    path=str(cfg.path),
                )
            sites_gdf = read_config_layer(cfg, role[0].name)
            id_field = id_field or role[0].id_field
        else:
            sites_gdf = read_layer(sites, geom_type="polygon", id_field=id_field)
        from .screen_cmd import run_screening

        result, layers, _ = run_screening(cfg, rs, sites_gdf, id_field=id_field)
        result_sites, result_eligible = result.sites, result.eligible
    return build_screening_map(
        result_sites,
        result_eligible,
        layers=layers,
        labels=labels,
        title=map_title(cfg.name, "screening"),
        ruleset_label=(rs.label or rs.name) if rs else None,
        **map_kwargs,
    )


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


def _restoration_objects(cfg):
    """Current pits and plots: from the registry if it exists, else the config's layers."""
    from ..config import is_database_uri
    from ..errors import ConfigError
    from ..io.project import read_config_layer
    from ..restoration import normalize_objects

    if cfg.registry and (is_database_uri(cfg.registry) or Path(cfg.registry).is_file()):
        from ..registry import open_registry

        pits, plots, _ = open_registry(cfg.registry).snapshot()
        return pits, plots
    found = {}
    for role in ("pits", "plots"):
        specs = cfg.layers_with_role(role)
        if not specs:
            where = f"registry {cfg.registry} does not exist and " if cfg.registry else ""
            raise ConfigError(
                f"{where}no layer with role: {role}; add one (or build the registry with "
                "'ecogis pits init')",
                path=str(cfg.path),
            )
        gdf = read_config_layer(cfg, specs[0].name)
        found[role] = normalize_objects(gdf, role, name=f"layers.{specs[0].name}")
    return found["pits"], found["plots"]


def _default_year(cfg) -> int:
    """The latest target year not after this year (this year when there are no targets)."""
    this_year = _dt.date.today().year
    years = sorted(int(y) for y in cfg.targets)
    past = [y for y in years if y <= this_year]
    if past:
        return past[-1]
    return years[0] if years else this_year


def _load(config_path: Path):
    from ..config import load_config

    return load_config(config_path)


def _map_kwargs(cfg, basemap: str | None, online: bool) -> dict:
    from ..errors import ConfigError

    basemap = basemap or cfg.basemap or "none"
    key = None
    if basemap == "tianditu":
        key = os.environ.get(TIANDITU_ENV, "").strip()
        if not key:
            raise ConfigError(
                f"basemap tianditu needs a Tianditu key in the {TIANDITU_ENV} environment "
                f"variable (e.g. export {TIANDITU_ENV}=...); it is never read from the config. "
                "Or use --basemap none or osm"
            )
    return {"basemap": basemap, "tianditu_key": key, "online": online}


def _target(output: Path | None, kind: str, overwrite: bool) -> Path:
    """The output path (default ``maps/<kind>.html``); refuse problems before the work."""

    if output is None:
        output = Path("maps") / f"{kind}.html"
        output.parent.mkdir(parents=True, exist_ok=True)
    if output.suffix.lower() not in (".html", ".htm"):
        raise click.BadParameter(f"{output}: a map is an .html file", param_hint="-o/--output")
    check_output(output, (".html", ".htm"), overwrite, "-o/--output")
    return output


def _save(m, target: Path, overwrite: bool) -> None:
    from ..mapping import save_map

    path = save_map(m, target, overwrite=overwrite)
    size = path.stat().st_size / 1e6
    echo(f"wrote {path} ({size:.1f} MB)")

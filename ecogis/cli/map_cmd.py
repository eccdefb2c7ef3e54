"""ecogis map controls | progress | screening"""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..i18n import N_, _
from ..mapping.model import BASEMAPS, TIANDITU_ENV
from ..reports.model import PAPERS, SHEET_DPI, SHEET_SUFFIXES
from .base import group
from .options import check_output, config_option, echo, open_project, overwrite_option

__all__ = ["map_group"]


# printable map sheets (issue 13): the options here, the rest at the end of the module
def _sheet_options(f):
    """--paper, --landscape, --dpi, --font: how a .pdf / .png map sheet is printed."""
    f = click.option(
        "--font",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help=N_("Sheets: a font file with Chinese characters [default: an installed one]."),
    )(f)
    f = click.option(
        "--dpi",
        type=click.IntRange(50, 1200),
        default=SHEET_DPI,
        show_default=True,
        help=N_("Sheets: resolution of a PNG (and of rasters in a PDF)."),
    )(f)
    f = click.option(
        "--landscape", is_flag=True, help=N_("Sheets: the long side of the paper across.")
    )(f)
    f = click.option(
        "--paper",
        type=click.Choice(tuple(PAPERS)),
        default="A4",
        show_default=True,
        help=N_("Sheets: paper size."),
    )(f)
    return f


def _map_options(f):
    """Options every map command shares (applied bottom-up: -c first in --help)."""
    f = overwrite_option(f)
    f = _sheet_options(f)
    f = click.option(
        "--online",
        is_flag=True,
        help="Link Leaflet from a CDN instead of embedding it (smaller file, needs internet).",
    )(f)
    f = click.option(
        "--basemap",
        type=click.Choice(BASEMAPS),
        default=None,
        help="Background tiles from the internet [default: the config's basemap, none]. "
        f"tianditu needs the {TIANDITU_ENV} environment variable.",
    )(f)
    f = click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help=N_(
            "HTML file to write [default: maps/<kind>.html in the current folder], or a "
            "printable map sheet: FILE.pdf or FILE.png."
        ),
    )(f)
    return config_option(f)


@group("map")
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
def controls_cmd(config_path, output, basemap, online, overwrite, **sheet):
    """Map of the three control lines and their conflicts (area in mu in the popups).

    Runs the control-line check (as 'ecogis controls') and draws the townships, each control
    line, overlaps inside a layer and the conflicts on top; the panel counts conflicts and mu
    per pair of lines.
    """
    from ..controls import build_controls_map, run_controls

    project = open_project(config_path)
    target = _target(output, "controls", overwrite)
    if _is_sheet(target):
        return _sheet("controls", run_controls(project), project, target, overwrite, sheet)
    options = _map_kwargs(project.config, basemap, online)
    report = run_controls(project)
    _save(build_controls_map(report, project_name=project.name, **options), target, overwrite)


@map_group.command("progress")
@_map_options
@click.option(
    "--year",
    type=int,
    default=None,
    help="Year reported [default: the latest target year not after this year].",
)
def progress_cmd(config_path, output, basemap, online, overwrite, year, **sheet):
    """Map of restoration progress: pits by status, plots by percent complete.

    Pits and plots come from the config's registry when it exists, else from its layers with
    role pits and plots. The panel shows the year's totals against the targets and the 清零
    countdown (pits not yet treated); a chart shows the completion per township.
    """
    from ..restoration import build_progress_map, run_progress

    project = open_project(config_path)
    target = _target(output, "progress", overwrite)
    if _is_sheet(target):
        report = run_progress(project, year=year, replay_year=True)  # as 'ecogis progress'
        return _sheet("progress", report, project, target, overwrite, sheet)
    options = _map_kwargs(project.config, basemap, online)
    report = run_progress(project, year=year)
    _save(build_progress_map(report, project_name=project.name, **options), target, overwrite)


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
    sites, config_path, output, basemap, online, overwrite, sites_result, ruleset, id_field,
    **sheet,
):  # fmt: skip
    """Map of screened sites by verdict, their eligible part and the reasons in popups.

    Give the output of 'ecogis screen' with --sites-result, or SITES (any readable layer) to
    screen here with -r RULESET; with neither, the config's layer with role sites is screened.
    """
    from ..screening import build_screening_map, load_screening, run_screening

    if sites is not None and sites_result is not None:
        raise click.UsageError("give SITES or --sites-result, not both")
    with open_project(config_path) as project:
        target = _target(output, "screening", overwrite)
        options = {} if _is_sheet(target) else _map_kwargs(project.config, basemap, online)
        if sites_result is not None:
            if not sites_result.exists():
                raise click.BadParameter(
                    f"{sites_result}: file not found", param_hint="--sites-result"
                )
            # the config's only rule set gives the context layers, unless -r names one
            if ruleset is None and len(project.config.rulesets) == 1:
                ruleset = next(iter(project.config.rulesets))
            result = load_screening(project, sites_result, ruleset=ruleset)
        else:
            result = run_screening(project, ruleset, sites, id_field=id_field)
        if _is_sheet(target):
            return _sheet("screening", result, project, target, overwrite, sheet)
        m = build_screening_map(result, project_name=project.name, **options)
    _save(m, target, overwrite)


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


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
    suffixes = (".html", ".htm", *SHEET_SUFFIXES)
    if output.suffix.lower() not in suffixes:
        raise click.BadParameter(
            _("{path}: a map is an .html file, or a .pdf / .png sheet").format(path=output),
            param_hint="-o/--output",
        )
    check_output(output, suffixes, overwrite, "-o/--output")
    return output


def _save(m, target: Path, overwrite: bool) -> None:
    from ..mapping.base import save_map

    path = save_map(m, target, overwrite=overwrite)
    size = path.stat().st_size / 1e6
    echo(f"wrote {path} ({size:.1f} MB)")


# --------------------------------------------------------------------------------------
# printable map sheets (-o FILE.pdf / FILE.png): drawn by ecogis.reports
# --------------------------------------------------------------------------------------


def _is_sheet(target: Path) -> bool:
    return target.suffix.lower() in SHEET_SUFFIXES


def _sheet(kind, result, project, target, overwrite, sheet) -> None:
    """Write the map sheet of a job's result instead of the HTML map."""
    from ..reports import write_map_sheet

    path = write_map_sheet(kind, result, project, target, overwrite=overwrite, **sheet)
    echo(_("wrote {path} ({size} MB)").format(path=path, size=f"{path.stat().st_size / 1e6:.1f}"))

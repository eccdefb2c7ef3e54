"""ecogis map controls | progress | screening"""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..i18n import N_, _
from ..mapping.model import BASEMAP_FORMS, MBTILES_MAX_MB, PROJECTIONS, TIANDITU_ENV
from ..reports.model import PAPERS, SHEET_DPI, SHEET_SUFFIXES
from .base import group
from .options import check_output, config_option, echo, open_project, overwrite_option

__all__ = ["map_group"]


def _check_basemap(ctx, param, value):
    """Click callback: the basemap's form is checked before any work."""
    if value is None:
        return None
    from ..errors import ConfigError
    from ..mapping.model import parse_basemap

    try:
        parse_basemap(value)
    except ConfigError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None
    return value


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
        "--mbtiles-max-mb",
        type=click.FloatRange(min=0, min_open=True),
        default=MBTILES_MAX_MB,
        show_default=True,
        help=N_("Cap on the tiles an mbtiles:FILE basemap embeds into the map (MB)."),
    )(f)
    f = click.option(
        "--projection",
        type=click.Choice(PROJECTIONS),
        default="mercator",
        show_default=True,
        help=N_(
            "mercator (Web Mercator, most tile servers) or lonlat (longitude/latitude, e.g. "
            "Tianditu *_c tiles); tianditu picks its layer for it."
        ),
    )(f)
    f = click.option(
        "--online",
        is_flag=True,
        help=N_(
            "Link Leaflet from a CDN instead of embedding it (smaller file, needs internet; "
            "the page says so when it cannot load)."
        ),
    )(f)
    f = click.option(
        "--basemap",
        default=None,
        callback=_check_basemap,
        metavar="BASEMAP",
        help=N_(
            "Background tiles [default: the config's basemap, none]: none, osm, tianditu, "
            "tianditu-img (key in the TIANDITU_KEY environment variable), mbtiles:FILE (tiles "
            "embedded from a local MBTiles file, no network needed), or tile URL templates "
            "with {z}/{x}/{y} (an intranet tile server or Tianditu mirror; WMTS "
            "{TileMatrix}/{TileCol}/{TileRow}; {z+1} for levels that start at 1; {tk} for "
            "the Tianditu key; several URLs separated by spaces: the first is the base)."
        ),
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


@group(
    "map",
    help=N_(
        """Write an HTML map that opens with no internet (Leaflet embedded, no CDN).

    Every map fits its data on opening and works on a phone (panels fold below 600 px wide;
    popups move clear of them) and at a desk; it has a search box (ID or name), filters whose
    choice changes the drawn features and the panel's numbers together, IDs as labels where
    they fit, the study area and township outlines, and prints without its controls. A
    basemap that cannot load says so on the map.

    \b
    Examples:
      ecogis map controls -c configs/demo.yaml
      ecogis map progress -c configs/demo.yaml --as-of 2022-06-30
      ecogis screen layers/demo/sites.gpkg -c configs/demo.yaml -r pv_sand_control -o out.gpkg
      ecogis map screening -c configs/demo.yaml --sites-result out.gpkg
      ecogis map controls -c configs/demo.yaml --basemap mbtiles:layers/basemap.mbtiles
      ecogis map controls -c configs/demo.yaml \\
          --basemap "http://10.1.2.3/DataServer?T=vec_w&x={x}&y={y}&l={z}"
      ecogis map controls -c configs/demo.yaml --basemap tianditu   # needs TIANDITU_KEY

    \b
    Exit status: 0 written, 2 bad input (config, basemap, output), 1 other failure.
    """
    ),
)
def map_group():
    pass


@map_group.command(
    "controls",
    help=N_(
        """Map of the three control lines and their conflicts (area in mu in the popups).

    Runs the control-line check (as 'ecogis controls') and draws the study area, the
    townships, each control line, overlaps inside a layer and the conflicts on top; the panel
    counts conflicts and mu per pair of lines (following the township and conflict-type
    filters), and a list of the conflicts zooms to each one.
    """
    ),
)
@_map_options
def controls_cmd(
    config_path, output, basemap, online, projection, mbtiles_max_mb, overwrite, **sheet
):
    from ..controls import build_controls_map, run_controls

    with open_project(config_path) as project:
        target = _target(output, "controls", overwrite)
        if _is_sheet(target):
            return _sheet("controls", run_controls(project), project, target, overwrite, sheet)
        context = _context(project, basemap, online, projection, mbtiles_max_mb)
        report = run_controls(project)
        m = build_controls_map(report, context=context)
    _save(m, target, overwrite)


@map_group.command(
    "progress",
    help=N_(
        """Map of restoration progress: pits by status, plots by completion, a time slider.

    Pits and plots come from the config's registry when it exists, else from its layers with
    role pits and plots. The panel shows the year's totals against the targets, the pits
    treated and accepted and the 清零 countdown; the list names the pits left; a chart shows
    the completion per township. With the registry the map carries the event log's replay at
    the end of every quarter (--time) from --from to --to: the slider recolours pits and plots
    and the panel shows what 'ecogis progress --as-of DATE' shows for that date.

    \b
    Examples:
      ecogis map progress -c configs/demo.yaml
      ecogis map progress -c configs/demo.yaml --as-of 2022-06-30 --time year
      ecogis map progress -c configs/demo.yaml --year 2022 --time none
    """
    ),
)
@_map_options
@click.option(
    "--year",
    type=int,
    default=None,
    help=N_(
        "Year reported [default: the latest target year up to the date shown; with a time "
        "line it follows the slider]."
    ),
)
@click.option(
    "--as-of",
    "as_of",
    metavar="YYYY-MM-DD",
    help=N_("The date the map opens at (replays the event log; needs the registry)."),
)
@click.option(
    "--time",
    "time_step",
    type=click.Choice(("quarter", "year", "none")),
    default=None,
    help=N_(
        "Dates on the time slider: each quarter's or year's end, or none [default: quarter "
        "when the registry exists, else none]."
    ),
)
@click.option(
    "--from",
    "start",
    metavar="YYYY-MM-DD",
    help=N_("First date of the time line [default: 1 January of the first target year]."),
)
@click.option(
    "--to",
    "end",
    metavar="YYYY-MM-DD",
    help=N_("Last date of the time line [default: --as-of, else today]."),
)
def progress_cmd(
    config_path,
    output,
    basemap,
    online,
    projection,
    mbtiles_max_mb,
    overwrite,
    year,
    as_of,
    time_step,
    start,
    end,
    **sheet,
):
    from ..restoration import run_progress
    from ..restoration.map import build_progress_map, progress_timeline

    with open_project(config_path) as project:
        target = _target(output, "progress", overwrite)
        if _is_sheet(target):
            report = run_progress(project, year=year, as_of=as_of, replay_year=True)
            return _sheet("progress", report, project, target, overwrite, sheet)
        context = _context(project, basemap, online, projection, mbtiles_max_mb)
        has_registry = project.registry_location is not None and project.registry_exists()
        if time_step is None:
            time_step = "quarter" if has_registry else "none"
        elif time_step != "none" and not has_registry:
            raise click.BadParameter(
                _(
                    "a time line replays the registry's event log, but the config has no "
                    "built registry; build it with 'ecogis pits init -c {config}' or use "
                    "--time none"
                ).format(config=config_path),
                param_hint="--time",
            )
        timeline = None
        if time_step != "none":
            timeline = progress_timeline(
                project, start=start, end=end or as_of, step=time_step, year=year
            )
        elif start or end:
            raise click.UsageError(_("--from and --to need a time line (--time quarter or year)"))
        # as `ecogis progress` does: a past year as it stood at its end
        report = run_progress(project, year=year, as_of=as_of, replay_year=True)
        m = build_progress_map(
            report,
            timeline=timeline,
            targets=project.config.targets,
            context=context,
            year_follows_date=year is None,
        )
    _save(m, target, overwrite)


@map_group.command(
    "screening",
    help=N_(
        """Map of screened sites by verdict with their IDs, the eligible part, the buffers the
    rules add, and the reasons in popups.

    Give the output of 'ecogis screen' with --sites-result, or SITES (any readable layer) to
    screen here with -r RULESET; with neither, the config's layer with role sites is screened.
    The list names the sites that did not pass.
    """
    ),
)
@click.argument("sites", required=False, metavar="[SITES]")
@_map_options
@click.option(
    "--sites-result",
    type=click.Path(dir_okay=False, path_type=Path),
    help=N_("Output GeoPackage of 'ecogis screen' (layers sites and eligible): map it as is."),
)
@click.option(
    "-r",
    "--ruleset",
    help=N_(
        "Rule set to screen with, and whose layers and buffers are drawn as context "
        "[default: the config's only rule set]."
    ),
)
@click.option(
    "--id-field",
    help=N_("Column with the site ids when screening SITES (as for 'ecogis screen')."),
)
def screening_cmd(
    sites,
    config_path,
    output,
    basemap,
    online,
    projection,
    mbtiles_max_mb,
    overwrite,
    sites_result,
    ruleset,
    id_field,
    **sheet,
):
    from ..screening import build_screening_map, load_screening, run_screening

    if sites is not None and sites_result is not None:
        raise click.UsageError(_("give SITES or --sites-result, not both"))
    with open_project(config_path) as project:
        target = _target(output, "screening", overwrite)
        context = None
        if not _is_sheet(target):
            context = _context(project, basemap, online, projection, mbtiles_max_mb)
        if sites_result is not None:
            if not sites_result.exists():
                raise click.BadParameter(
                    _("{path}: file not found").format(path=sites_result),
                    param_hint="--sites-result",
                )
            # the config's only rule set gives the context layers, unless -r names one
            if ruleset is None and len(project.config.rulesets) == 1:
                ruleset = next(iter(project.config.rulesets))
            result = load_screening(project, sites_result, ruleset=ruleset)
        else:
            result = run_screening(project, ruleset, sites, id_field=id_field)
        if _is_sheet(target):
            return _sheet("screening", result, project, target, overwrite, sheet)
        m = build_screening_map(result, context=context)
    _save(m, target, overwrite)


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


def _context(project, basemap: str | None, online: bool, projection: str, max_mb: float):
    """The map context of the project, with the Tianditu key from the environment when the
    basemap needs one (it is never read from the config)."""
    from ..errors import ConfigError
    from ..mapping.common import map_context
    from ..mapping.model import parse_basemap

    spec = basemap or project.config.basemap or "none"
    key = None
    if parse_basemap(spec).needs_key:
        key = os.environ.get(TIANDITU_ENV, "").strip()
        if not key:
            raise ConfigError(
                _(
                    "basemap {basemap} needs a Tianditu key in the {env} environment variable "
                    "(e.g. export {env}=...); it is never read from the config. Or use another "
                    "basemap: {allowed}"
                ).format(basemap=spec, env=TIANDITU_ENV, allowed=", ".join(BASEMAP_FORMS))
            )
    return map_context(
        project,
        basemap=basemap,
        tianditu_key=key,
        online=online,
        projection=projection,
        mbtiles_max_mb=max_mb,
    )


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
    echo(_("wrote {path} ({size:.1f} MB)").format(path=path, size=size))


# --------------------------------------------------------------------------------------
# printable map sheets (-o FILE.pdf / FILE.png): drawn by ecogis.reports
# --------------------------------------------------------------------------------------


def _is_sheet(target: Path) -> bool:
    return target.suffix.lower() in SHEET_SUFFIXES


def _sheet(kind, result, project, target, overwrite, sheet) -> None:
    """Write the map sheet of a job's result instead of the HTML map."""
    from ..reports import write_map_sheet

    path = write_map_sheet(kind, result, project, target, overwrite=overwrite, **sheet)
    echo(_("wrote {path} ({size:.1f} MB)").format(path=path, size=path.stat().st_size / 1e6))

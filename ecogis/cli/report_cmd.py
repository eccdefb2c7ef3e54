"""ecogis report screening | progress | controls | template"""

from __future__ import annotations

from pathlib import Path

import click

from ..i18n import N_, _
from .base import group
from .options import check_output, config_option, echo, open_project, overwrite_option, progress

__all__ = ["report"]


def _report_options(f):
    """Options every report shares (applied bottom-up: -c first in --help)."""
    f = overwrite_option(f)
    f = click.option(
        "--font",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help=N_(
            "Font file with Chinese characters for the figures [default: the first installed "
            "of Noto Sans CJK, Source Han Sans, Microsoft YaHei, SimHei, WenQuanYi, SimSun]."
        ),
    )(f)
    f = click.option(
        "--template",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help=N_(
            "Word template whose styles, page and header / footer the document takes "
            "[default: ecogis' own; 'ecogis report template' writes a copy to restyle]."
        ),
    )(f)
    f = click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        required=True,
        help=N_("Word document to write (.docx)."),
    )(f)
    return config_option(f)


def _prepare(output: Path, overwrite: bool, template: Path | None, font: Path | None) -> None:
    """Refuse a bad output, template or font before the (possibly long) work."""
    from ..reports.document import check_template
    from ..reports.fonts import find_cjk_font
    from ..reports.model import REPORT_SUFFIXES

    check_output(output, REPORT_SUFFIXES, overwrite, "-o/--output")
    check_template(template)
    find_cjk_font(font)


def _write(kind: str, result, project, output, template, font, overwrite, **extra) -> None:
    from ..reports import write_report

    with progress(_("Drawing figures"), 1000) as update:
        shown = [0]

        def advance(done: int, total: int) -> None:
            permille = min(1000, int(1000 * done / total)) if total else 1000
            if permille > shown[0]:
                update(permille - shown[0])
                shown[0] = permille

        path = write_report(
            kind,
            result,
            project,
            output,
            template=template,
            font=font,
            overwrite=overwrite,
            progress=advance,
            **extra,
        )
    size = path.stat().st_size / 1e6
    echo(_("wrote {path} ({size} MB)").format(path=path, size=f"{size:.1f}"))


@group(
    "report",
    help=N_(
        """Write a Word document for people: a site review opinion, a progress report, a
    control-line conflict report, each with map figures that print.

    Documents are in Chinese whatever the interface language (they go to a bureau);
    numbers are rounded as in the XLSX tables. The look comes from a Word template:
    restyle a copy of ecogis' own ('ecogis report template -o 模板.docx') and give it
    with --template. Figures need a font with Chinese characters (--font FILE when none
    is installed). The config's organisation: key names who prepared the document.

    \b
    Examples:
      ecogis report screening -c configs/demo.yaml -r pv_sand_control \\
          -o 选址审查.docx
      ecogis report screening -c configs/demo.yaml --sites-result out.gpkg \\
          -o 意见.docx
      ecogis report progress -c configs/demo.yaml --year 2022 -o 年报.docx
      ecogis report progress -c configs/demo.yaml --as-of 2022-06-30 \\
          -o 半年报.docx
      ecogis report controls -c configs/demo.yaml -o 冲突检查.docx
      ecogis report template -o 模板.docx

    \b
    Exit status: 0 written, 2 bad input (config, output, template, font), 1 other
    failure."""
    ),
)
def report():
    pass


@report.command(
    "screening",
    help=N_(
        """Site review opinion (选址审查意见): one section and one map per site.

    Screens SITES (any readable layer, or boundary-point TXT) with -r RULESET, or the
    config's layer with role sites when SITES is not given; or takes the output of
    'ecogis screen' (--sites-result OUT.gpkg) as it is. The document lists the checks
    and their legal basis, a summary of every site (verdict, area, eligible area, main
    reason) with an overview map, then per site: a map of the site with the layers it
    touches and its eligible rest, its checks (overlap in mu and percent), every reason
    with its basis, and the opinion in words."""
    ),
)
@click.argument("sites", required=False, metavar="[SITES]")
@_report_options
@click.option(
    "-r",
    "--ruleset",
    help=N_("Rule set to screen with [default: the config's only rule set]."),
)
@click.option(
    "--sites-result",
    type=click.Path(dir_okay=False, path_type=Path),
    help=N_("Output GeoPackage of 'ecogis screen' (layers sites and eligible): report it as is."),
)
@click.option("--id-field", help=N_("Column with the site ids (as for 'ecogis screen')."))
@click.option(
    "--sites-crs", metavar="CRS", help=N_("CRS of a SITES file that has none, e.g. EPSG:4526.")
)
def screening_cmd(
    sites, config_path, output, template, font, overwrite, ruleset, sites_result, id_field,
    sites_crs,
):  # fmt: skip
    from ..reports.run import screen_for_report
    from ..screening import load_screening
    from ..screening.run import choose_ruleset

    if sites is not None and sites_result is not None:
        raise click.UsageError(_("give SITES or --sites-result, not both"))
    if sites_result is not None and not sites_result.exists():
        raise click.BadParameter(
            _("{path}: file not found").format(path=sites_result), param_hint="--sites-result"
        )
    _prepare(output, overwrite, template, font)
    with open_project(config_path) as project:
        rs = choose_ruleset(project, ruleset)
        if sites_result is not None:
            result = load_screening(project, sites_result, ruleset=rs)
            source = sites_result.name
        else:
            result = screen_for_report(project, rs, sites, id_field=id_field, sites_crs=sites_crs)
            source = Path(sites).name if sites else None
        _write("screening", result, project, output, template, font, overwrite, sites_source=source)
    from ..i18n import label_of
    from ..screening.model import VERDICT_LABELS

    counts = _(", ").join(
        f"{label_of(VERDICT_LABELS, v)} {n}" for v, n in result.counts().items() if n
    )
    echo(
        _("{n} sites ({counts}), one section and one figure each").format(
            n=len(result.sites), counts=counts
        )
    )


@report.command(
    "progress",
    help=N_(
        """Restoration progress report (年报; 半年报 with --as-of in the first half-year).

    The year's totals against the targets (mu, 万亩, km², percent: the numbers 'ecogis
    progress' prints), the pits per township, the 清零 countdown with the list of the
    pits still left, a table and a chart per kind of plot (planned and completed per
    township) and a map of pits and plots."""
    ),
)
@_report_options
@click.option(
    "--registry",
    "registry_path",
    help=N_("Registry GeoPackage or PostGIS URI (default: the config's registry: key)."),
)
@click.option(
    "--year", type=int, help=N_("Target year (default: latest year in targets: up to --as-of).")
)
@click.option(
    "--as-of", "as_of", metavar="YYYY-MM-DD", help=N_("Replay the event log up to this day.")
)
def progress_cmd(config_path, output, template, font, overwrite, registry_path, year, as_of):
    from ..restoration import run_progress

    _prepare(output, overwrite, template, font)
    with open_project(config_path, registry=registry_path) as project:
        # a past year as it stood at its end, as 'ecogis progress' reports it
        result = run_progress(project, year=year, as_of=as_of, replay_year=True)
        _write("progress", result, project, output, template, font, overwrite)


@report.command(
    "controls",
    help=N_(
        """Control-line conflict report (三区三线冲突检查报告).

    Runs the check of 'ecogis controls': totals per pair of lines and per township, the
    list of conflicts with their areas, overlaps inside a layer, slivers and invalid
    geometries, an overview map and a map per township with conflicts."""
    ),
)
@_report_options
@click.option(
    "--min-area-m2",
    type=click.FloatRange(min=0),
    default=None,
    help=N_("Overlaps below this area (m²) are slivers [default: config sliver_m2]."),
)
def controls_cmd(config_path, output, template, font, overwrite, min_area_m2):
    from ..controls import run_controls

    _prepare(output, overwrite, template, font)
    with open_project(config_path) as project:
        result = run_controls(project, min_area_m2=min_area_m2)
        _write("controls", result, project, output, template, font, overwrite)


@report.command(
    "template",
    help=N_(
        """Write ecogis' Word template, to restyle and pass with --template.

    Keep the style names (标题, 标题 1-3, 正文, 题注, Table Text, Table Heading, Note,
    Opinion, Figure, Table Grid): documents use them. Change fonts, sizes, spacing,
    margins, the header (a letterhead) and the footer; the body text is not kept."""
    ),
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help=N_("Where to write the template (.docx)."),
)
@overwrite_option
def template_cmd(output, overwrite):
    from ..io._atomic import atomic_path
    from ..reports.model import REPORT_SUFFIXES
    from ..reports.template import TEMPLATE_PATH

    check_output(output, REPORT_SUFFIXES, overwrite, "-o/--output")
    with atomic_path(output, overwrite=overwrite) as tmp:
        tmp.write_bytes(TEMPLATE_PATH.read_bytes())
    echo(_("wrote {path}").format(path=output))

"""ecogis demo"""

from __future__ import annotations

from pathlib import Path

import click

from ..i18n import N_, _
from ._registry import default_user
from .base import command
from .options import echo
from .summaries import controls_summary, progress_summary, screening_summary, write_tables_out


@command(
    help=N_(
        """Make the demo data set for Zhengxiangbai Banner and run the whole job on it.

    \b
    1. writes deterministic demo layers to --out and a config to --config:
       the real banner outline (GCJ-02 converted to CGCS2000), five townships,
       the three control lines (stored in EPSG:4490, 4526 and 4547),
       water-source zones, basic grassland, sandy land, I-level forest, a DEM
       and two NDVI rasters, mine pits, afforestation / enclosure plots and
       PV candidate sites, with deliberate problems for the checks to find;
    2. checks the three control lines
       -> results/controls.gpkg, controls_summary.csv / .xlsx
    3. screens the PV sites (pv_sand_control)
       -> results/screening.gpkg, screening.xlsx
    4. builds the restoration registry, reports progress for 2022
       -> results/progress.xlsx
    5. writes the controls, progress and screening maps
       -> maps/*.html (they open offline), a map sheet to print
       -> maps/controls.pdf, and the three Word reports
       -> results/screening.docx, progress.docx, controls.docx

    Running it again starts the demo afresh (the demo registry is rebuilt).

    \b
    Examples:
      ecogis demo
      ecogis demo --data-only && ecogis layers check -c configs/demo.yaml
    """
    )
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("layers/demo"),
    show_default=True,
    help=N_("Folder for the demo layers; results go to its results/ folder."),
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("configs/demo.yaml"),
    show_default=True,
    help=N_("Where to write the demo config."),
)
@click.option(
    "--maps",
    "maps_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("maps"),
    show_default=True,
    help=N_("Folder for the HTML maps."),
)
@click.option(
    "--seed",
    type=int,
    default=2022,
    show_default=True,
    help=N_("Random seed: the same seed gives the same data."),
)
@click.option(
    "--data-only", is_flag=True, help=N_("Only generate the data and config; run nothing.")
)
def demo(out_dir, config_path, maps_dir, seed, data_only):
    from ..demo import make_demo

    out_dir.mkdir(parents=True, exist_ok=True)
    config_path.parent.mkdir(parents=True, exist_ok=True)
    echo(_("== 1/5 demo data -> {folder}").format(folder=out_dir))
    result = make_demo(
        out_dir,
        config_path=config_path,
        seed=seed,
        overwrite=True,
        progress=lambda m: echo(f"   {m}", level=1, err=True),
    )
    echo(
        _("{n} layers in {folder}; config: {config}").format(
            n=len(result.layers), folder=out_dir, config=result.config_path
        )
    )
    if data_only:
        return

    from ..controls import run_controls
    from ..controls.tables import column_titles as controls_titles
    from ..controls.tables import summary_table
    from ..demo import write_maps
    from ..io.project import Project
    from ..io.tables import write_table, write_tables
    from ..io.vector import write_layers
    from ..restoration import init_registry, run_progress
    from ..restoration.tables import progress_tables
    from ..screening import run_screening
    from ..screening.tables import checks_table, rules_table, sites_table
    from ..screening.tables import column_titles as screening_titles

    results = out_dir / "results"
    results.mkdir(exist_ok=True)
    with Project.open(result.config_path) as project:
        echo("")
        echo(_("== 2/5 three control lines: ecogis controls"))
        report = run_controls(project)
        controls_summary(project.name, report)
        written = [
            write_layers(
                report.frames(),
                results / "controls.gpkg",
                overwrite=True,
                geometry_types=dict.fromkeys(report.frames(), "MultiPolygon"),
                titles=controls_titles(report),
            ),
            write_table(report.summary, results / "controls_summary.csv", overwrite=True),
            write_table(
                summary_table(report, project_name=project.name),
                results / "controls_summary.xlsx",
                overwrite=True,
                sheet=_("summary"),
            ),
        ]
        for path in written:
            echo(_("wrote {path}").format(path=path))

        echo("")
        echo(_("== 3/5 PV site screening: ecogis screen -r pv_sand_control"))
        screening = run_screening(project, "pv_sand_control")
        path = write_layers(
            screening.frames(),
            results / "screening.gpkg",
            overwrite=True,
            titles=screening_titles(screening),
        )
        people = {
            _("sites"): sites_table(screening, project_name=project.name),
            _("checks"): checks_table(screening, project_name=project.name),
            _("rules"): rules_table(screening, project_name=project.name),
        }
        xlsx = write_tables(people, results / "screening.xlsx", overwrite=True)
        screening_summary(
            screening, [_("{path} (layers sites, eligible)").format(path=path), str(xlsx)]
        )

        echo("")
        echo(
            _(
                "== 4/5 restoration registry and progress: ecogis pits init, ecogis progress --year 2022"
            )
        )
        registry = project.registry_location
        if (
            isinstance(registry, Path)
            and registry.exists()
            and registry.parent.resolve() == out_dir.resolve()
        ):
            registry.unlink()  # the demo registry is rebuilt from the fresh demo layers
        reg = init_registry(project, by=default_user() or "ecogis")
        pits, plots = reg.load_pits(geometry=False), reg.load_plots(geometry=False)
        echo(
            _("registry {name}: {pits} pits, {plots} plots (CRS {crs})").format(
                name=reg.label, pits=len(pits), plots=len(plots), crs=project.crs.to_string()
            )
        )
        progress = run_progress(project, year=2022, replay_year=True)  # as `ecogis progress`
        progress_summary(progress)
        write_tables_out(
            progress.tables,
            None,
            results / "progress.xlsx",
            True,
            people=progress_tables(progress.tables, 2022, project_name=project.name),
        )

        echo("")
        echo(_("== 5/5 maps -> {folder}").format(folder=maps_dir))
        paths = write_maps(
            project,
            maps_dir,
            year=2022,
            controls=report,
            progress=progress,
            screening=screening,
        )
        for path in paths:
            echo(_("map: {path}").format(path=path))

        # documents for people (issue 13): a map sheet to print and the three reports
        from ..i18n import is_chinese
        from ..reports import write_map_sheet, write_report
        from ..reports.run import screen_for_report

        # a review opinion quotes the reasons: in Chinese, whatever the interface language
        review = screening if is_chinese() else screen_for_report(project, "pv_sand_control")
        sheet = write_map_sheet("controls", report, project, maps_dir / "controls.pdf",
                                overwrite=True)  # fmt: skip
        echo(_("map: {path}").format(path=sheet))
        for kind, job in (("screening", review), ("progress", progress), ("controls", report)):
            doc = write_report(kind, job, project, results / f"{kind}.docx", overwrite=True)
            echo(_("wrote {path}").format(path=doc))

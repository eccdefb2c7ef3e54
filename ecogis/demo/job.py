"""The whole job on one project: the three maps (used by ``ecogis demo`` and the tests)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..controls import ControlReport
    from ..io.project import Project
    from ..restoration import ProgressReport
    from ..screening import ScreenResult

__all__ = ["MAP_KINDS", "write_maps"]

#: the maps of a project, in the order they are written
MAP_KINDS = ("controls", "progress", "screening")


def write_maps(
    project: Project | str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    year: int | None = None,
    overwrite: bool = True,
    controls: ControlReport | None = None,
    progress: ProgressReport | None = None,
    screening: ScreenResult | None = None,
    time_step: str | None = None,
    basemap: str | None = None,
    online: bool = False,
    tianditu_key: str | None = None,
    **map_options: Any,
) -> list[Path]:
    """Write the controls, progress and screening maps of a project into ``out_dir``.

    Results already computed can be passed in (``controls``, ``progress``, ``screening``);
    the others are computed here with the project's defaults (the config's ``sites`` layer and
    its only rule set for the screening). Every map gets the project's context
    (:func:`ecogis.mapping.map_context`: study area, townships, data sources, ``basemap``).
    The progress map carries a time line (``time_step``: ``quarter``, ``year`` or ``none``;
    default ``quarter`` when the registry is built, the same replay as ``ecogis progress
    --as-of``). ``map_options`` go to the map builders (``simplify_m``...).

    Returns
    -------
    list of Path
        ``out_dir/controls.html``, ``progress.html``, ``screening.html``.
    """
    from ..controls import build_controls_map, run_controls
    from ..io.project import Project
    from ..mapping.base import save_map
    from ..mapping.common import map_context
    from ..restoration import run_progress
    from ..restoration.map import build_progress_map, progress_timeline
    from ..screening import build_screening_map, run_screening

    if not isinstance(project, Project):
        project = Project.open(project)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    context = map_context(project, basemap=basemap, online=online, tianditu_key=tianditu_key)
    options = {"context": context, **map_options}
    if time_step is None:
        built = project.registry_location is not None and project.registry_exists()
        time_step = "quarter" if built else "none"

    def progress_map():
        report = progress or run_progress(project, year=year, replay_year=True)
        timeline = None
        if time_step != "none":
            timeline = progress_timeline(project, step=time_step, year=year)
        return build_progress_map(
            report,
            timeline=timeline,
            targets=project.config.targets,
            year_follows_date=year is None,
            **options,
        )

    builders = {
        "controls": lambda: build_controls_map(controls or run_controls(project), **options),
        "progress": progress_map,
        "screening": lambda: build_screening_map(screening or run_screening(project), **options),
    }
    return [
        save_map(builders[kind](), out_dir / f"{kind}.html", overwrite=overwrite)
        for kind in MAP_KINDS
    ]

"""The control-line check of a project: its entry point."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import ConfigError
from ..i18n import _
from .check import ControlReport, check_controls

if TYPE_CHECKING:
    from ..io.project import Project
    from ..overlay import Engine

__all__ = ["run_controls", "split_conflicts_by_class", "CONFLICT_KEYS"]


def run_controls(
    project: Project,
    *,
    min_area_m2: float | None = None,
    by_class: str | None = None,
    engine: Engine | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ControlReport:
    """Check the project's ``control_lines`` against each other (三区三线).

    Each control line is read once: its invalid geometries are reported as stored, and the
    check runs on the validated layer in the working CRS (repaired by the config's
    ``on_invalid``). Overlaps are split along the project's townships.

    Parameters
    ----------
    project : Project
        The project (:meth:`ecogis.Project.open`).
    min_area_m2 : float, optional
        Sliver threshold in m² (default: the config's ``sliver_m2``).
    by_class : str, optional
        A land-use layer of the config (role ``landuse``): each conflict's area is also split
        by its land classes (:attr:`ControlReport.by_class`, ``by_class_totals``).
    engine : Engine, optional
        Overlay engine (default: local threads).
    progress : callable, optional
        ``progress(done, total)`` as the work advances.

    Returns
    -------
    ControlReport

    Raises
    ------
    ConfigError
        The config lists no control lines.

    Examples
    --------
    >>> import ecogis
    >>> project = ecogis.Project.open("configs/demo.yaml")  # doctest: +SKIP
    >>> report = ecogis.run_controls(project)  # doctest: +SKIP
    >>> report.pair_totals()[["layer_a", "layer_b", "conflicts", "area_mu"]]  # doctest: +SKIP
    """
    cfg = project.config
    if not cfg.control_lines:
        raise ConfigError(
            _(
                "control_lines is empty; list the control-line layers, "
                "e.g. control_lines: [redline, farmland, urban]"
            ),
            path=str(cfg.path) if cfg.path else None,
        )
    names = list(cfg.control_lines)
    layers = {n: project.layer(n, key="control_lines") for n in names}
    towns = project.townships()
    report = check_controls(
        layers,
        townships=towns.frame if towns else None,
        township_field=towns.field if towns else None,
        min_area_m2=cfg.sliver_m2 if min_area_m2 is None else min_area_m2,
        labels={n: project.title(n) for n in names},
        id_fields={n: cfg.layers[n].id_field for n in names},
        invalid={n: project.stored(n) for n in names},
        engine=engine,
        progress=progress,
    )
    report.crs_reason = project.crs_reason
    if by_class is not None:
        split_conflicts_by_class(report, project, by_class, engine=engine)
    return report


#: the columns that name a conflict (a row of :attr:`ControlReport.conflicts`)
CONFLICT_KEYS = ("layer_a", "id_a", "layer_b", "id_b", "township")


def split_conflicts_by_class(
    report: ControlReport, project: Project, layer: str, *, engine: Engine | None = None
) -> ControlReport:
    """Each conflict's area by land class of ``layer``: what the overlap of two control lines
    is on the ground (旱地 under both the red line and the farmland ...). Fills
    ``report.by_class`` (one row per conflict and class, with its part on the class),
    ``report.by_class_totals`` and ``report.by_class_layer``."""
    import pandas as pd

    from ..landuse import class_totals, landuse_layer

    land = landuse_layer(project, layer)
    conflicts = report.conflicts
    keys = pd.DataFrame({c: conflicts[c].to_numpy() for c in CONFLICT_KEYS})
    table = land.split(conflicts, keys, engine=engine)
    report.by_class_totals = class_totals(
        table, keys.assign(object_m2=conflicts["area_m2"].to_numpy(dtype=float))
    )
    report.by_class = table.reset_index(drop=True)
    report.by_class_layer = layer
    report.labels.setdefault(layer, project.title(layer))
    return report

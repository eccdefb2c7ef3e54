"""Entry points of documents and map sheets: what ``ecogis report``, ``ecogis map ... -o
FILE.pdf`` and ``ecogis demo`` call.

Each takes a job's result and the project, builds the document (or sheet) in Chinese and
writes it atomically; the job itself is run by the caller (one library call per command).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import EcogisError
from ..i18n import _
from .common import Progress, organisation_of
from .language import in_chinese
from .model import MAP_KINDS, REPORT_KINDS, REPORT_SUFFIXES, SHEET_DPI

if TYPE_CHECKING:
    from ..io.project import Project
    from ..screening import ScreenResult
    from .cartography import MapSpec

__all__ = ["write_report", "write_map_sheet", "map_spec", "screen_for_report"]


def _kind(kind: str, allowed) -> None:
    if kind not in allowed:
        raise EcogisError(
            _("unknown kind {kind!r}; allowed: {allowed}").format(
                kind=kind, allowed=", ".join(allowed)
            )
        )


def write_report(
    kind: str,
    result: Any,
    project: Project,
    path: str | os.PathLike,
    *,
    template: str | os.PathLike | None = None,
    font: str | os.PathLike | None = None,
    organisation: str | None = None,
    sites_source: str | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> Path:
    """Write the ``kind`` report (screening, progress, controls) of ``result`` to ``path``
    (``.docx``).

    ``result`` is the job's result: a ScreenResult, a ProgressReport or a ControlReport.
    Raises :class:`~ecogis.errors.EcogisError` for a bad output, template or font before any
    figure is drawn.
    """
    from ..io._atomic import check_output

    _kind(kind, REPORT_KINDS)
    path = Path(path)
    if path.suffix.lower() not in REPORT_SUFFIXES:
        raise EcogisError(_("{path}: a report is a Word .docx file").format(path=path))
    check_output(path, overwrite=overwrite)
    options = {
        "template": template,
        "font": font,
        "organisation": organisation or organisation_of(project),
        "progress": progress,
    }
    if kind == "screening":
        from .screening import screening_report

        doc = screening_report(result, project, sites_source=sites_source, **options)
    elif kind == "progress":
        from .progress import progress_report

        doc = progress_report(result, project, **options)
    else:
        from .controls import controls_report

        doc = controls_report(result, project, **options)
    return doc.save(path, overwrite=overwrite)


def map_spec(kind: str, result: Any, project: Project | None = None) -> MapSpec:
    """What the ``kind`` map sheet of ``result`` shows (in Chinese)."""
    from .figures import controls_spec, progress_spec, read_context, screening_spec

    _kind(kind, MAP_KINDS)
    builder = {"controls": controls_spec, "progress": progress_spec, "screening": screening_spec}
    if project is not None:
        read_context(project)
    with in_chinese():
        return builder[kind](result, project)


def write_map_sheet(
    kind: str,
    result: Any,
    project: Project,
    path: str | os.PathLike,
    *,
    paper: str = "A4",
    landscape: bool = False,
    dpi: int = SHEET_DPI,
    font: str | os.PathLike | None = None,
    organisation: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write the static map sheet of a job's result: ``.pdf`` or ``.png``, ``paper`` A4 / A3.

    The sheet's notes name the coordinate system and projection, the data sources, the mapping
    organisation (config ``organisation:``) and the date.
    """
    from .sheet import SheetOptions, write_sheet

    spec = map_spec(kind, result, project)
    options = SheetOptions(
        paper=paper,
        landscape=landscape,
        dpi=dpi,
        font=font,
        organisation=organisation or organisation_of(project),
    )
    return write_sheet(spec, path, options, overwrite=overwrite)


def screen_for_report(
    project: Project,
    ruleset: Any = None,
    sites: Any = None,
    *,
    id_field: str | None = None,
    sites_crs: str | None = None,
    engine: Any = None,
    progress=None,
) -> ScreenResult:
    """Screen for a review opinion: the reasons in Chinese, as the document quotes them.

    The inputs are read first, in the interface language, so that what the user is warned
    about (repaired geometries, an undeclared encoding) reads as every other message; the
    screening then runs in Chinese.
    """
    from ..screening import run_screening
    from ..screening.run import choose_ruleset

    rs = (
        choose_ruleset(project, ruleset) if isinstance(ruleset, str) or ruleset is None else ruleset
    )
    for check in rs.checks:
        if check.layer:
            project.layer(check.layer)
        if check.raster:
            project.raster(check.raster)
    if sites is None:
        names = project.layers_with_role("sites")
        if names:
            project.layer(names[0])
    elif isinstance(sites, (str, os.PathLike)):
        sites = project.read(sites, crs=sites_crs, id_field=id_field)
    with in_chinese():
        return run_screening(
            project, rs, sites, id_field=id_field, engine=engine, progress=progress
        )

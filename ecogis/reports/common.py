"""What every document shares: the facts block (project, date, organisation, coordinate system,
data sources), dates and areas written the Chinese way, the project's organisation."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ..i18n import _
from .cartography import describe_crs

if TYPE_CHECKING:
    from ..io.project import Project
    from .document import ReportDocument

__all__ = ["organisation_of", "date_text", "mu_text", "add_facts", "Progress", "tick"]

#: ``progress(done, total)`` as figures are drawn
Progress = Callable[[int, int], None]


def organisation_of(project: Project) -> str | None:
    """The mapping / reporting organisation (制图单位): config ``organisation:``."""
    value = project.config.raw.get("organisation")
    return str(value).strip() or None if value is not None else None


def date_text(day: _dt.date) -> str:
    """``2022年6月30日`` in Chinese."""
    return _("{y}-{m:02d}-{d:02d}").format(y=day.year, m=day.month, d=day.day)


def mu_text(mu: float) -> str:
    """``4,500.00 亩`` (mu rounded as the tables round it)."""
    from ..screening.model import REASONS
    from ..tables import KINDS

    digits = KINDS["mu"][0]
    return _(REASONS["area"]).format(mu=f"{mu:,.{digits}f}")


def add_facts(
    doc: ReportDocument,
    project: Project,
    crs,
    *,
    sources: Sequence[str],
    rows: Sequence[tuple[str, str]] = (),
    organisation: str | None = None,
    day: _dt.date | None = None,
) -> None:
    """The facts block under the title: project, extra ``rows``, organisation, date,
    coordinate system, data sources."""
    facts = [(_("Project"), project.name), *rows]
    org = organisation or organisation_of(project)
    if org:
        facts.append((_("Prepared by"), org))
    facts.append((_("Date"), date_text(day or _dt.date.today())))
    facts.append((_("Coordinate system"), describe_crs(crs)))
    if sources:
        facts.append((_("Data sources"), _("; ").join(sources)))
    doc.key_values(facts)


def tick(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)

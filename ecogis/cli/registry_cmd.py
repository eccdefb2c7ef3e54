"""ecogis registry: build the restoration registry, prove its history, upgrade it."""

from __future__ import annotations

import click

from ..i18n import N_, _
from ._registry import init_command, open_registry_for, registry_options
from .base import group
from .options import echo

__all__ = ["registry"]

#: exit status of ``registry check`` when the log does not replay to the tables
EXIT_PROBLEMS = 3


@group(
    help=N_(
        """The restoration registry: build it, prove that its history is whole, upgrade it.

    The registry (config key registry:) holds pits, plots and the append-only events log.
    The log is written by triggers in the database, for ecogis and for every other program
    (QGIS, OGR, psql), so replaying it gives the tables back; 'registry check' proves it.

    \b
    Examples:
      ecogis registry init -c configs/demo.yaml
      ecogis registry check -c configs/demo.yaml
      ecogis registry upgrade --registry old_restoration.gpkg
"""
    )
)
def registry():
    pass


init_command(registry, "registry")


@registry.command(
    "check",
    help=N_(
        """Replay the event log and compare it with the tables, object by object.

    Exit status 0 when the replayed log equals the pits and plots tables (every edit, from
    ecogis or any other program, was recorded); 3 when it does not, naming each object and
    field that differs, objects added or deleted without an event, missing history triggers.

    \b
    Examples:
      ecogis registry check -c configs/demo.yaml
      ecogis registry check --registry postgresql://wang@gis.bureau/planning?schema=restoration
"""
    ),
)
@registry_options
def registry_check(config_path, registry_path):
    from ..restoration import check_registry

    reg, _project = open_registry_for(config_path, registry_path)
    result = check_registry(reg)
    c = result.counts
    echo(
        _(
            "registry {registry}: {pits} pits, {plots} plots, {events} events "
            "({external} from external edits)"
        ).format(registry=reg.label, **c)
    )
    if result.ok:
        echo(_("the event log replays to the tables: history is whole"))
        return
    for problem in result.problems:
        echo(f"  {problem}")
    echo(
        _("{n} problem(s): the event log does not replay to the tables").format(
            n=len(result.problems)
        )
    )
    click.get_current_context().exit(EXIT_PROBLEMS)


@registry.command(
    "upgrade",
    help=N_(
        """Give a registry built by an older ecogis the history triggers.

    Adds the triggers that record every edit and the events log's client column, in one
    transaction; the log is kept. Run 'ecogis registry check' afterwards.

    \b
    Example:
      ecogis registry upgrade -c configs/demo.yaml
"""
    ),
)
@registry_options
def registry_upgrade(config_path, registry_path):
    from ..restoration import upgrade_registry

    reg, _project = open_registry_for(config_path, registry_path)
    if upgrade_registry(reg):
        echo(_("registry {registry}: history triggers added").format(registry=reg.label))
    else:
        echo(_("registry {registry}: up to date, nothing to do").format(registry=reg.label))

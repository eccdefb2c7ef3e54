"""What the registry commands share (``pits``, ``plots``, ``history``, ``progress``,
``registry``): options, opening the registry, and the bodies of ``init``, ``update``,
``note``, ``import`` and ``list``.

Not a command module: the command modules import it, never each other.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Any

import click

from ..errors import RegistryError
from ..i18n import N_, _, label_of
from ..restoration.model import OBJECT_LABELS, object_type, parse_term
from .options import echo, open_project, overwrite_option
from .summaries import print_table, write_tables_out

__all__ = [
    "registry_options",
    "by_option",
    "note_option",
    "date_option",
    "force_option",
    "table_outputs",
    "TermChoice",
    "default_user",
    "open_registry_for",
    "init_body",
    "update_body",
    "note_body",
    "import_command",
    "note_command",
    "init_command",
    "list_body",
]

_PREVIEW_ROWS = 60


def registry_options(f):
    """``-c/--config`` and ``--registry``."""
    f = click.option(
        "--registry",
        "registry_path",
        # a plain string: click.Path would fold the '//' of a postgresql:// URI
        type=str,
        help=N_(
            "Registry GeoPackage, or PostGIS URI postgresql://user@host/db[?schema=NAME] "
            "(default: the config's registry: key)."
        ),
    )(f)
    f = click.option(
        "-c",
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        help=N_(
            "Project config (YAML). Its registry: key names the registry, which is built "
            "from the config's pits / plots layers on the first update."
        ),
    )(f)
    return f


def default_user() -> str:
    try:
        return os.environ.get("ECOGIS_USER") or getpass.getuser()
    except Exception:  # no login name in some containers
        return ""


by_option = click.option(
    "--by",
    default=default_user,
    show_default=N_("$ECOGIS_USER or the login name"),
    help=N_("Who records the change (kept in the event log)."),
)
note_option = click.option(
    "--note",
    default=None,
    help=N_("Free text kept with every event (the reason, when --force is needed)."),
)
date_option = click.option(
    "--date",
    "date",
    default=None,
    metavar="YYYY-MM-DD",
    help=N_(
        "When the change happened (default: today; also 2023/6/1, 2023年6月1日); --as-of "
        "reports replay by this date."
    ),
)
force_option = click.option(
    "--force",
    is_flag=True,
    help=N_(
        "Allow moving a status backwards (e.g. treated -> in_progress) or a completed area "
        "above the planned area; needs --note with the reason."
    ),
)


class TermChoice(click.ParamType):
    """A status or kind, as people write it: the key (``treated``) or its label in English
    or Chinese (``已治理``) or a short alias (``造林``); converted to the key."""

    name = "choice"

    def __init__(self, otype: str, field: str):
        from ..restoration.model import vocabulary

        self.otype, self.field = otype, field
        #: the allowed keys (the model's own tuple)
        self.choices = vocabulary(otype, field)[0]

    def get_metavar(self, param, ctx=None) -> str:
        return "[" + "|".join(self.choices) + "]"

    def convert(self, value, param, ctx):
        try:
            return parse_term(
                self.otype, self.field, value, what=f"--{param.name}" if param else None
            )
        except RegistryError as exc:
            self.fail(str(exc), param, ctx)


def table_outputs(f):
    """``--csv``, ``--xlsx`` and ``--overwrite``."""
    f = overwrite_option(f)
    f = click.option(
        "--xlsx",
        "xlsx_path",
        type=click.Path(dir_okay=False, path_type=Path),
        help=N_("Write XLSX."),
    )(f)
    f = click.option(
        "--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), help=N_("Write CSV.")
    )(f)
    return f


def open_registry_for(
    config_path: Path | None,
    registry_path: str | None,
    *,
    write: bool = False,
    by: str | None = None,
):
    """``(registry, project or None)`` named by ``--registry`` or the config.

    A write (``write=True``) on a config whose registry does not exist yet builds it from the
    config's layers first (once, however many clerks start at the same moment); a read refuses
    (exit status 2) and creates nothing.
    """
    from ..restoration import open_registry, registry_for_update

    if config_path is None and registry_path is None:
        raise click.UsageError(_("give -c CONFIG or --registry PATH"))
    if config_path is None:
        return open_registry(registry_path), None
    project = open_project(config_path, registry=registry_path)
    if not write:
        return project.registry(), project
    reg, built = registry_for_update(project, by=by or default_user() or "ecogis")
    if built:
        echo(
            _("registry {registry} was not built yet: built it from the config's layers").format(
                registry=project.registry_location
            ),
            err=True,
        )
    return reg, project


def init_body(config_path, registry_path, by, overwrite, command: str) -> None:
    """``registry init`` / ``pits init`` / ``plots init``: build the registry from the layers."""
    from ..restoration import init_registry

    if config_path is None:
        raise click.UsageError(
            _("{command} needs -c CONFIG (the layers to build from)").format(command=command)
        )
    project = open_project(config_path, registry=registry_path)
    project.require_registry()
    reg = init_registry(project, by=by or "ecogis", overwrite=overwrite)
    pits, plots, events = reg.snapshot(geometry=False)
    dated = events[events["effective_date"].notna()]
    echo(
        _("registry {registry}: {pits} pits, {plots} plots (CRS {crs})").format(
            registry=reg.label, pits=len(pits), plots=len(plots), crs=project.crs.to_string()
        )
    )
    echo(
        _(
            "baseline: {objects} objects recorded, {steps} dated step(s) from the layers' "
            "completed_on / accepted_on"
        ).format(objects=len(pits) + len(plots), steps=len(dated))
    )


def update_body(otype, object_id, sets, options, config_path, registry_path, date, by, note, force):
    """``pits update`` / ``plots update``: ``--set`` pairs plus the named options that were
    given (``options``: field -> value or None)."""
    values = _parse_sets(sets)
    values.update({k: v for k, v in options.items() if v is not None})
    if not values:
        flags = ", ".join("--" + k.replace("_", "-") for k in options)
        raise click.UsageError(
            _("nothing to change: give {flags} or --set FIELD=VALUE; a visit without a change is "
              "'ecogis {group} note'").format(flags=flags, group=object_type(otype).table)
        )  # fmt: skip
    reg, _project = open_registry_for(config_path, registry_path, write=True, by=by)
    changes = reg.update(otype, object_id, values, by=by, note=note, date=date, force=force)
    if not changes:
        echo(
            _("{kind} {id}: no change (values already recorded)").format(
                kind=label_of(OBJECT_LABELS, otype), id=object_id
            )
        )
        return
    for c in changes:
        echo(c.describe())
    echo(
        _("recorded {n} change(s) on {day} by {by}").format(
            n=len(changes), day=changes[0].effective_date, by=by
        )
    )


def note_body(otype, object_id, text, config_path, registry_path, date, by):
    """``pits note`` / ``plots note``: an inspection visit, a dated note without a change."""
    if not text or not str(text).strip():
        raise click.UsageError(_("a visit needs its note: --note TEXT"))
    reg, _project = open_registry_for(config_path, registry_path, write=True, by=by)
    change = reg.note(otype, object_id, text, by=by, date=date)
    echo(
        _("{kind} {id}: note recorded on {day} by {by}").format(
            kind=label_of(OBJECT_LABELS, otype),
            id=change.object_id,
            day=change.effective_date,
            by=by,
        )
    )


def _parse_sets(sets: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in sets:
        field, eq, value = item.partition("=")
        if not eq or not field.strip():
            raise click.BadParameter(
                _("{item!r}: write FIELD=VALUE").format(item=item), param_hint="--set"
            )
        out[field.strip()] = value
    return out


def list_body(
    otype, config_path, registry_path, filters: dict[str, Any], csv_path, xlsx_path, overwrite
):
    """``pits list`` / ``plots list``."""
    from ..restoration import list_objects
    from ..restoration.tables import objects_table
    from ..units import m2_to_km2

    reg, project = open_registry_for(config_path, registry_path)
    ot = object_type(otype)
    df = list_objects(reg, ot.name, filters)
    people = objects_table(df, ot.name, project_name=project.name if project else None)
    print_table(people, limit=200)
    if ot.name == "pit":
        echo(
            _("{n} pits, verified {km2:.4f} km²").format(
                n=len(df), km2=m2_to_km2(df["verified_m2"].sum())
            )
        )
    else:
        echo(
            _("{n} plots, planned {planned:,.1f} mu, completed {completed:,.1f} mu").format(
                n=len(df), planned=df["planned_mu"].sum(), completed=df["completed_mu"].sum()
            )
        )
    # XLSX for people (titles and labels in the interface language): import reads it back
    write_tables_out({ot.table: df}, csv_path, xlsx_path, overwrite, people={ot.table: people})


def _import_body(
    otype, file, sheet, config_path, registry_path, dry_run, date, by, note, force, add_new
):
    from ..io.tables import read_table
    from ..restoration import prepare_import
    from ..restoration.tables import changes_table, new_objects_table

    ot = object_type(otype)
    reg, _project = open_registry_for(config_path, registry_path, write=not dry_run, by=by)
    table = read_table(file, sheet=sheet, geometry=add_new)
    plan = prepare_import(
        reg, ot.name, table, source=file.name, date=date, force=force, add_new=add_new,
        reason=note,
    )  # fmt: skip
    line = _("{file}: {rows} rows, {n} change(s) to {objects} {table}").format(
        file=file.name, rows=plan.rows, n=len(plan.updates), objects=plan.objects, table=ot.table
    )
    if add_new:
        line += _(", {n} new {table}").format(n=len(plan.new), table=ot.table)
    echo(line)
    print_table(changes_table(plan.changes_table(), ot.name), limit=_PREVIEW_ROWS)
    if plan.new:
        echo(_("new {table}:").format(table=ot.table))
        print_table(new_objects_table(plan.new_table(), ot.name), limit=_PREVIEW_ROWS)
    if dry_run:
        echo(_("dry run: nothing written"))
        return
    if not plan.changes:
        return
    written = plan.apply(by=by, note=note)
    n_new = sum(c.field == "*created*" for c in written)
    if add_new:
        done = _(
            "recorded {n} change(s) to {objects} {table} and {new} new {table} in one transaction"
        ).format(n=len(written) - n_new, objects=plan.objects, table=ot.table, new=n_new)
    else:
        done = _("recorded {n} change(s) to {objects} {table} in one transaction").format(
            n=len(written) - n_new, objects=plan.objects, table=ot.table
        )
    echo(done)


#: ``pits import`` / ``plots import`` help (one text per type, so each is translated whole)
IMPORT_HELP = {
    "pit": N_(
        """Load a batch of pit updates from a spreadsheet or GIS file.

    The file has one row per pit keyed by pit_id; other columns are registry fields (status,
    treated_m2, verified_m2, method, completed_on, accepted_on, ...) and optionally date (the
    row's effective date). Columns may also carry the titles ecogis writes, in English or
    Chinese (采坑编号, 治理状态, 实地治理面积（m²）, 日期 ...), so a table from 'pits list --xlsx'
    can be edited in Excel and imported again; statuses may be Chinese (已治理), dates
    2023-06-01, 2023/6/1 or 2023年6月1日 (or Excel date cells). Formula cells count only with
    the value Excel saved with them. Empty cells mean "no change"; the geometry of known pits
    is never changed. The changes are shown first; unless --dry-run they are then written in
    one transaction: all or nothing (an interrupted import changes nothing).

    Ids not in the registry are refused, unless --add-new: then a GIS layer's (GPKG, SHP,
    GeoJSON) rows with new ids become new pits, with their polygon (reprojected to the
    registry's CRS) and a "*created*" baseline event dated by --date / the date column. A
    new pit needs pit_id, township, verified_m2; other fields default as in 'registry init'.
    A spreadsheet has no geometry, so it cannot add pits.

    \b
    Examples:
      ecogis pits list --status in_progress --xlsx 2022核查.xlsx -c configs/demo.yaml
      ecogis pits import 2022核查.xlsx --dry-run -c configs/demo.yaml
      ecogis pits import updates.csv --date 2022-09-30 --by 王工 -c configs/demo.yaml
      ecogis pits import 2023核查.gpkg --add-new --dry-run -c configs/demo.yaml
"""
    ),
    "plot": N_(
        """Load a batch of plot updates from a spreadsheet or GIS file.

    The file has one row per plot keyed by plot_id; other columns are registry fields (status,
    completed_mu, survival_rate, planned_mu, ...) and optionally date (the row's effective
    date). Columns may also carry the titles ecogis writes, in English or Chinese (地块编号,
    状态, 完成面积（亩）, 日期 ...), so a table from 'plots list --xlsx' can be edited in Excel
    and imported again; statuses and kinds may be Chinese (已完成, 造林), dates 2023-06-01,
    2023/6/1 or 2023年6月1日 (or Excel date cells). Formula cells count only with the value
    Excel saved with them. Empty cells mean "no change"; the geometry of known plots is never
    changed. The changes are shown first; unless --dry-run they are then written in one
    transaction: all or nothing (an interrupted import changes nothing).

    Ids not in the registry are refused, unless --add-new: then a GIS layer's (GPKG, SHP,
    GeoJSON) rows with new ids become new plots, with their polygon (reprojected to the
    registry's CRS) and a "*created*" baseline event dated by --date / the date column. A
    new plot needs plot_id, kind, township, year, planned_mu; other fields default as in
    'registry init'. A spreadsheet has no geometry, so it cannot add plots.

    \b
    Examples:
      ecogis plots list --status in_progress --xlsx 2022造林.xlsx -c configs/demo.yaml
      ecogis plots import 2022造林.xlsx --dry-run -c configs/demo.yaml
      ecogis plots import updates.csv --date 2022-09-30 --by 李工 -c configs/demo.yaml
      ecogis plots import 2023新增地块.gpkg --add-new --dry-run -c configs/demo.yaml
"""
    ),
}


def import_command(group, otype: str):
    """Add the ``import`` command of ``otype`` to ``group`` (``pits`` / ``plots``)."""

    @group.command("import", help=IMPORT_HELP[otype])
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    @click.option(
        "--sheet", help=N_("Sheet of an XLSX / layer of a GeoPackage (default: the first).")
    )
    @click.option("--dry-run", is_flag=True, help=N_("Show what would change; write nothing."))
    @click.option(
        "--add-new",
        is_flag=True,
        help=N_("Rows with new ids become new objects (GIS layer with polygons only)."),
    )
    @date_option
    @by_option
    @note_option
    @force_option
    @registry_options
    def import_cmd(file, sheet, dry_run, add_new, date, by, note, force, config_path,
                   registry_path):  # fmt: skip
        _import_body(otype, file, sheet, config_path, registry_path, dry_run, date, by, note,
                     force, add_new)  # fmt: skip

    return import_cmd


def note_command(group, otype: str):
    """Add the ``note`` command of ``otype`` to ``group``: an inspection visit."""
    help_text = {
        "pit": N_(
            """Record an inspection visit to one pit: a dated note that changes nothing.

    The note is kept in the event log (history shows it) with its date and who wrote it.

    \b
    Example:
      ecogis pits note ZXB-KK-012 --note "现场核查：覆土完成" --date 2023-05-20 --by 王工 -c configs/demo.yaml
"""
        ),
        "plot": N_(
            """Record an inspection visit to one plot: a dated note that changes nothing.

    The note is kept in the event log (history shows it) with its date and who wrote it.

    \b
    Example:
      ecogis plots note ZXB-ZL-2023-003 --note "补植苗木已到位" --date 2023-05-20 --by 李工 -c configs/demo.yaml
"""
        ),
    }[otype]

    @group.command("note", help=help_text)
    @click.argument("object_id", metavar="ID")
    @click.option("--note", "text", required=True, help=N_("What was seen (required)."))
    @date_option
    @by_option
    @registry_options
    def note_cmd(object_id, text, date, by, config_path, registry_path):
        note_body(otype, object_id, text, config_path, registry_path, date, by)

    return note_cmd


def init_command(group, name: str):
    """Add ``init`` (build the registry from the layers) to ``group``."""

    @group.command(
        "init",
        help=N_(
            """Build the registry from the config's pits and plots layers.

    Each pit and plot gets a "*created*" event holding its attributes, and its dated fields
    become events with those dates: a pit with completed_on 2022-10-25 is untreated before
    that day and treated from it, so --as-of reports replay its known past (what the layers
    do not date is shown as recorded, with a warning). Missing fields are filled: status
    untreated / planned, areas 0, a pit's verified_m2 from its geometry area. Done
    automatically, once, on the first update; 'ecogis registry init', 'ecogis pits init'
    and 'ecogis plots init' are the same command.

    \b
    Example:
      ecogis registry init -c configs/demo.yaml
"""
        ),
    )
    @registry_options
    @by_option
    @click.option(
        "--overwrite", is_flag=True, help=N_("Rebuild an existing registry (a backup is kept).")
    )
    def init_cmd(config_path, registry_path, by, overwrite):
        init_body(config_path, registry_path, by, overwrite, f"{name} init")

    return init_cmd

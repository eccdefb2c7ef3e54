"""What the registry commands share (``pits``, ``plots``, ``history``, ``progress``): options,
opening the registry, and the bodies of ``update``, ``import`` and ``list``.

Not a command module: the command modules import it, never each other.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Any

import click

from ..restoration.model import NEW_REQUIRED, object_type
from .options import echo, open_project, overwrite_option
from .summaries import print_table, write_tables_out

__all__ = [
    "registry_options",
    "by_option",
    "note_option",
    "date_option",
    "force_option",
    "table_outputs",
    "default_user",
    "open_registry_for",
    "update_body",
    "import_command",
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
        help="Registry GeoPackage, or PostGIS URI postgresql://user@host/db[?schema=NAME] "
        "(default: the config's registry: key).",
    )(f)
    f = click.option(
        "-c",
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Project config (YAML). Its registry: key names the registry, which is built "
        "from the config's pits / plots layers on the first update.",
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
    show_default="$ECOGIS_USER or the login name",
    help="Who records the change (kept in the event log).",
)
note_option = click.option("--note", default=None, help="Free text kept with every event.")
date_option = click.option(
    "--date",
    "date",
    default=None,
    metavar="YYYY-MM-DD",
    help="When the change happened (default: today); --as-of reports replay by this date.",
)
force_option = click.option(
    "--force", is_flag=True, help="Allow moving a status backwards (e.g. treated -> in_progress)."
)


def table_outputs(f):
    """``--csv``, ``--xlsx`` and ``--overwrite``."""
    f = overwrite_option(f)
    f = click.option(
        "--xlsx", "xlsx_path", type=click.Path(dir_okay=False, path_type=Path), help="Write XLSX."
    )(f)
    f = click.option(
        "--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), help="Write CSV."
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
    config's layers first; a read refuses (exit status 2) and creates nothing.
    """
    from ..restoration import open_registry, registry_for_update

    if config_path is None and registry_path is None:
        raise click.UsageError("give -c CONFIG or --registry PATH")
    if config_path is None:
        return open_registry(registry_path), None
    project = open_project(config_path, registry=registry_path)
    if not write:
        return project.registry(), project
    reg, built = registry_for_update(project, by=by or default_user() or "ecogis")
    if built:
        echo(
            f"registry {project.registry_location} was not built yet: built it from the config's layers",
            err=True,
        )
    return reg, project


def update_body(otype, object_id, sets, options, config_path, registry_path, date, by, note, force):
    """``pits update`` / ``plots update``: ``--set`` pairs plus the named options that were
    given (``options``: field -> value or None)."""
    values = _parse_sets(sets)
    values.update({k: v for k, v in options.items() if v is not None})
    if not values:
        flags = ", ".join("--" + k.replace("_", "-") for k in options)
        raise click.UsageError(f"nothing to change: give {flags} or --set FIELD=VALUE")
    reg, _ = open_registry_for(config_path, registry_path, write=True, by=by)
    changes = reg.update(otype, object_id, values, by=by, note=note, date=date, force=force)
    if not changes:
        echo(f"{otype} {object_id}: no change (values already recorded)")
        return
    for c in changes:
        echo(c.describe())
    echo(f"recorded {len(changes)} change(s) on {changes[0].effective_date} by {by}")


def _parse_sets(sets: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in sets:
        field, eq, value = item.partition("=")
        if not eq or not field.strip():
            raise click.BadParameter(f"{item!r}: write FIELD=VALUE", param_hint="--set")
        out[field.strip()] = value
    return out


def list_body(
    otype, config_path, registry_path, filters: dict[str, Any], csv_path, xlsx_path, overwrite
):
    """``pits list`` / ``plots list``."""
    from ..restoration import list_objects
    from ..units import m2_to_km2

    reg, _ = open_registry_for(config_path, registry_path)
    ot = object_type(otype)
    df = list_objects(reg, ot.name, filters)
    print_table(df, limit=200)
    if ot.name == "pit":
        echo(f"{len(df)} pits, verified {m2_to_km2(df['verified_m2'].sum()):.4f} km²")
    else:
        echo(
            f"{len(df)} plots, planned {df['planned_mu'].sum():,.1f} mu, "
            f"completed {df['completed_mu'].sum():,.1f} mu"
        )
    write_tables_out({ot.table: df}, csv_path, xlsx_path, overwrite)


def _import_body(
    otype, file, sheet, config_path, registry_path, dry_run, date, by, note, force, add_new
):
    from ..io.tables import read_table
    from ..restoration import prepare_import

    ot = object_type(otype)
    reg, _ = open_registry_for(config_path, registry_path, write=not dry_run, by=by)
    table = read_table(file, sheet=sheet, geometry=add_new)
    plan = prepare_import(
        reg, ot.name, table, source=file.name, date=date, force=force, add_new=add_new
    )
    added = f", {len(plan.new)} new {ot.table}" if add_new else ""
    echo(
        f"{file.name}: {plan.rows} rows, {len(plan.updates)} change(s) to "
        f"{plan.objects} {ot.table}{added}"
    )
    print_table(plan.changes_table(), limit=_PREVIEW_ROWS)
    if plan.new:
        echo(f"new {ot.table}:")
        print_table(plan.new_table(), limit=_PREVIEW_ROWS)
    if dry_run:
        echo("dry run: nothing written")
        return
    if not plan.changes:
        return
    written = plan.apply(by=by, note=note)
    n_new = sum(c.field == "*created*" for c in written)
    echo(
        f"recorded {len(written) - n_new} change(s) to {plan.objects} {ot.table}"
        + (f" and {n_new} new {ot.table}" if add_new else "")
        + " in one transaction"
    )


_IMPORT_HELP = """Load a batch of {what} updates from a spreadsheet or GIS file.

    The file has one row per {what} keyed by {id}; other columns are registry fields
    ({fields}) and optionally date (the row's effective date). Empty cells mean "no
    change"; the geometry of known {what}s is never changed. The changes are shown first;
    unless --dry-run they are then written in one transaction: all or nothing (an interrupted import changes nothing).

    Ids not in the registry are refused, unless --add-new: then a GIS layer's (GPKG, SHP,
    GeoJSON) rows with new ids become new {what}s, with their polygon (reprojected to the
    registry's CRS) and a "*created*" baseline event dated by --date / the date column. A
    new {what} needs {required}; other fields default as in 'pits init'. A spreadsheet has no
    geometry, so it cannot add {what}s.

    \\b
    Examples:
      ecogis {cmd} import updates.xlsx --dry-run -c configs/demo.yaml
      ecogis {cmd} import updates.csv --date 2022-09-30 --by 王工 -c configs/demo.yaml
      ecogis {cmd} import surveyed.gpkg --sheet {cmd} -c configs/demo.yaml
      ecogis {cmd} import 2023核查.gpkg --add-new --dry-run -c configs/demo.yaml
"""

_IMPORT_FIELDS = {
    "pit": "status, treated_m2, verified_m2, method, completed_on, accepted_on, ...",
    "plot": "status, completed_mu, survival_rate, planned_mu, ...",
}


def import_command(group, otype: str):
    """Add the ``import`` command of ``otype`` to ``group`` (``pits`` / ``plots``)."""

    @group.command("import")
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--sheet", help="Sheet of an XLSX / layer of a GeoPackage (default: the first).")
    @click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
    @click.option(
        "--add-new",
        is_flag=True,
        help=f"Rows with new ids become new {otype}s (GIS layer with polygons only).",
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

    import_cmd.help = _IMPORT_HELP.format(
        what=otype,
        id=f"{otype}_id",
        fields=_IMPORT_FIELDS[otype],
        cmd=f"{otype}s",
        required=", ".join(NEW_REQUIRED[otype]),
    )
    return import_cmd

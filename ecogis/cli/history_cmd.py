"""ecogis history: every recorded change of one pit or plot."""

from __future__ import annotations

import click

from ._registry import open_registry_for, registry_options, table_outputs
from .options import echo
from .summaries import print_table, write_tables_out

__all__ = ["history"]


@click.command()
@click.argument("object_id")
@registry_options
@table_outputs
def history(object_id, config_path, registry_path, csv_path, xlsx_path, overwrite):
    """Every recorded change of one pit or plot, oldest first.

    \b
    Examples:
      ecogis history ZXB-KK-007 -c configs/demo.yaml
      ecogis history ZXB-ZL-2022-012 --csv ZXB-ZL-2022-012.csv -c configs/demo.yaml
    """
    from ..restoration import CREATED, object_history

    reg, _ = open_registry_for(config_path, registry_path)
    otype, ev = object_history(reg, object_id)
    table = ev[["id", "at", "effective_date", "field", "old", "new", "by", "note", "batch"]].copy()
    created = table["field"] == CREATED
    table.loc[created, "field"] = "(created)"
    table.loc[created, "new"] = "(baseline record)"
    echo(f"{otype} {object_id}: {len(table)} event(s)")
    print_table(table.drop(columns=["batch"]).fillna(""))
    write_tables_out({"history": ev}, csv_path, xlsx_path, overwrite)

"""ecogis history: every recorded change of one pit or plot."""

from __future__ import annotations

import click

from ..i18n import N_, _, label_of
from ._registry import open_registry_for, registry_options, table_outputs
from .base import command
from .options import echo
from .summaries import print_table, write_tables_out

__all__ = ["history"]


@command(
    help=N_(
        """Every recorded change of one pit or plot, oldest first.

    Changes made with ecogis and edits made in QGIS, with OGR or psql (client "external
    edit", by the database user where known) are all there: the database records them. The
    baseline shows as (created), the dated steps of the layers' completed_on / accepted_on
    with their dates, visits as (note). The id is read trimmed, full-width letters and dashes
    folded; an unknown id names the closest ones.

    \b
    Examples:
      ecogis history ZXB-KK-020 -c configs/demo.yaml
      ecogis history ZXB-ZL-2022-002 --csv ZXB-ZL-2022-002.csv -c configs/demo.yaml
"""
    )
)
@click.argument("object_id")
@registry_options
@table_outputs
def history(object_id, config_path, registry_path, csv_path, xlsx_path, overwrite):
    from ..restoration import object_history
    from ..restoration.model import OBJECT_LABELS
    from ..restoration.tables import history_table

    reg, _project = open_registry_for(config_path, registry_path)
    otype, ev = object_history(reg, object_id)
    oid = ev["object_id"].iloc[0] if len(ev) else object_id
    table = history_table(ev, oid, otype)
    echo(
        _("{kind} {id}: {n} event(s)").format(
            kind=label_of(OBJECT_LABELS, otype), id=oid, n=len(ev)
        )
    )
    print_table(table)
    write_tables_out({"history": ev}, csv_path, xlsx_path, overwrite, people={"history": table})

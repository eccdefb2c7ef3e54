"""ecogis history: every recorded change of one pit or plot."""

from __future__ import annotations

import click

from ..i18n import N_, _, label_of
from ._registry import open_registry_for, registry_options, table_outputs
from .base import command
from .options import echo
from .summaries import print_table, write_tables_out

__all__ = ["history"]

#: the columns shown on the terminal (the files get the whole log)
_SHOWN = ("id", "at", "effective_date", "field", "old", "new", "by", "client", "note")


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
    from ..restoration.model import (
        CLIENT_LABELS,
        CREATED,
        DELETED,
        EVENT_LABELS,
        GEOMETRY,
        NOTE,
        OBJECT_LABELS,
    )

    reg, _project = open_registry_for(config_path, registry_path)
    otype, ev = object_history(reg, object_id)
    oid = ev["object_id"].iloc[0] if len(ev) else object_id
    table = ev[list(_SHOWN)].copy()
    marks = {
        CREATED: (_("(created)"), None, _("(baseline record)")),
        DELETED: (_("(deleted)"), _("(last record)"), None),
        NOTE: (_("(note)"), None, None),
        GEOMETRY: (_("(geometry changed)"), None, None),
    }
    for field, (shown, old, new) in marks.items():
        rows = table["field"] == field
        table.loc[rows, "field"] = shown
        if old is not None:
            table.loc[rows, "old"] = old
        if new is not None:
            table.loc[rows, "new"] = new
    table["by"] = [_("(unknown)") if b is None else b for b in table["by"]]
    table["client"] = [label_of(CLIENT_LABELS, c, "") if c else "" for c in table["client"]]
    table = table.rename(columns={c: _(EVENT_LABELS[c]) for c in table.columns})
    echo(
        _("{kind} {id}: {n} event(s)").format(
            kind=label_of(OBJECT_LABELS, otype), id=oid, n=len(table)
        )
    )
    print_table(table.fillna(""))
    write_tables_out({"history": ev}, csv_path, xlsx_path, overwrite)

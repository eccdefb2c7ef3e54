"""The history triggers: one event per changed field, whoever changes ``pits`` / ``plots``.

The registry's event log is written by the database itself, so an edit from QGIS, OGR or
``psql`` is recorded exactly like an ecogis update: a trigger on each feature table appends

- ``*created*`` for an INSERT (``new``: the row as JSON),
- one event per changed field for an UPDATE (``old`` / ``new`` as text), and ``*geometry*``
  when the shape changed,
- ``*deleted*`` for a DELETE (``old``: the row as JSON); a changed id is a deletion of the old
  id and a creation of the new one.

Who wrote the change comes from a per-transaction *context* that ecogis sets before it
writes (who, note, batch, event time, effective date): a one-row table ``ecogis_context``
in a GeoPackage (written and emptied inside ecogis' own transaction, so no other connection
ever sees it: SQLite has one writer at a time), custom settings ``ecogis.*`` set with
``set_config(..., true)`` in PostgreSQL. Without a context the event is an external edit:
client ``external``, dated the day of the edit, by the database user where the database
knows one (PostgreSQL's ``session_user``; a GeoPackage cannot tell).

The SQL is generated here for both dialects from the registry schema
(:data:`~ecogis.restoration.model.OBJECT_TYPES`), so the two stores record the same events
with the same text: values as :func:`~ecogis.restoration.plan.encode_value` writes them
(``5200.0``, ``2022``, ``2022-06-01``), rows as compact JSON of those texts. Only core SQL is
used on SQLite (no JSON1 or ecogis functions), so the triggers run in any program's
connection.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..model import CREATED, DELETED, EVENT_COLUMNS, GEOMETRY, OBJECT_TYPES, ObjectType

__all__ = ["Dialect", "SQLITE", "POSTGRES", "history_triggers", "trigger_names", "CONTEXT"]

#: what the context carries (the GeoPackage table's columns, the PostgreSQL settings)
CONTEXT = ("at", "effective_date", "by", "note", "batch")


@dataclass(frozen=True)
class Dialect:
    """The SQL snippets that differ between SQLite and PostgreSQL."""

    name: str
    encode: Callable[[str, str], str]  #: (expression, field type) -> its text for the log
    distinct: str  #: "{a} ... {b}": true when two values differ (NULLs compare)
    in_ecogis: str  #: true inside an ecogis write (a context is set)
    context: Callable[[str], str]  #: context name -> its value
    now: str  #: the time of an external edit
    today: str  #: the effective date of an external edit
    external_by: str  #: who made an external edit
    at_type: str = ""  #: cast of the context's event time
    date_type: str = ""  #: cast of the context's effective date
    as_date: Callable[[str], str] = str  #: a date column's value as a date (NULL if it is none)

    def q(self, name: str) -> str:
        return '"' + name.replace('"', '""') + '"'


def _sqlite_encode(expr: str, ftype: str) -> str:
    # a REAL as Python's repr writes it: the fewest of 15, 16, 17 digits that round-trip;
    # typeof() also covers values a program stored with another affinity (text in a REAL)
    digits = [f"printf('%!.{n}g', {expr})" for n in (15, 16, 17)]
    return (
        f"CASE typeof({expr}) WHEN 'real' THEN CASE "
        f"WHEN CAST({digits[0]} AS REAL) = {expr} THEN {digits[0]} "
        f"WHEN CAST({digits[1]} AS REAL) = {expr} THEN {digits[1]} ELSE {digits[2]} END "
        f"ELSE CAST({expr} AS TEXT) END"
    )


def _pg_encode(expr: str, ftype: str) -> str:
    if ftype == "real":  # float8 prints 900 for 900.0; the log keeps Python's "900.0"
        return (
            f"CASE WHEN ({expr})::text ~ '^-?[0-9]+$' THEN ({expr})::text || '.0' "
            f"ELSE ({expr})::text END"
        )
    if ftype == "date":  # independent of the session's DateStyle
        return f"to_char({expr}, 'YYYY-MM-DD')"
    if ftype == "int":
        return f"({expr})::text"
    return f"({expr})::text"


SQLITE = Dialect(
    name="sqlite",
    encode=_sqlite_encode,
    distinct="{a} IS NOT {b}",
    in_ecogis="EXISTS (SELECT 1 FROM ecogis_context)",
    context=lambda name: f'(SELECT "{name}" FROM ecogis_context)',
    now="strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z'",
    today="date('now', 'localtime')",
    external_by="NULL",
    as_date=lambda expr: f"date({expr})",  # NULL for text that is not an ISO date
)

POSTGRES = Dialect(
    name="postgres",
    encode=_pg_encode,
    distinct="{a} IS DISTINCT FROM {b}",
    in_ecogis="coalesce(current_setting('ecogis.client', true), '') = 'ecogis'",
    context=lambda name: f"nullif(current_setting('ecogis.{name}', true), '')",
    now="clock_timestamp()",
    today="current_date",
    external_by="session_user::text",
    at_type="::timestamptz",
    date_type="::date",
    as_date=lambda expr: expr,  # a date column
)


def _json(d: Dialect, row: str, ot: ObjectType) -> str:
    """The row (``NEW`` / ``OLD``) as compact JSON of the encoded texts (core SQL only)."""
    parts = []
    for i, (f, t) in enumerate(ot.schema.items()):
        text = d.encode(f"{row}.{d.q(f)}", t)
        escaped = f"replace(replace({text}, '\\', '\\\\'), '\"', '\\\"')"
        parts.append(f"'{',' if i else ''}\"{f}\":' || COALESCE('\"' || {escaped} || '\"', 'null')")
    return "'{' || " + " || ".join(parts) + " || '}'"


def _insert(
    d: Dialect, events: str, ot: ObjectType, id_expr: str, rows: list[str], day: str | None = None
) -> str:
    """``INSERT INTO events`` of the changed rows ``(k, field, old, new, ch)``; ``day``: the
    effective date of an external edit (default: the day it was made)."""
    cols = ", ".join(d.q(c) for c in EVENT_COLUMNS[1:])
    ctx = d.in_ecogis
    at = f"CASE WHEN {ctx} THEN {d.context('at')}{d.at_type} ELSE {d.now}{d.at_type} END"
    eff = (
        f"CASE WHEN {ctx} THEN {d.context('effective_date')}{d.date_type} ELSE {day or d.today} END"
    )
    by = f"CASE WHEN {ctx} THEN {d.context('by')} ELSE {d.external_by} END"
    note = f"CASE WHEN {ctx} THEN {d.context('note')} END"
    batch = f"CASE WHEN {ctx} THEN {d.context('batch')} END"
    client = f"CASE WHEN {ctx} THEN 'ecogis' ELSE 'external' END"
    union = " UNION ALL ".join(rows)
    return (
        f"INSERT INTO {events} ({cols}) SELECT {at}, {eff}, '{ot.name}', {id_expr}, f.field, "
        f"f.old, f.new, {by}, {note}, {batch}, {client} FROM ({union}) AS f WHERE f.ch "
        "ORDER BY f.k"
    )


def _row(k: int, field: str, old: str, new: str, changed: str) -> str:
    return (
        f"SELECT {k} AS k, CAST('{field}' AS TEXT) AS field, CAST({old} AS TEXT) AS old, "
        f"CAST({new} AS TEXT) AS new, ({changed}) AS ch"
    )


def _statements(d: Dialect, events: str, ot: ObjectType, geometry: str | None) -> dict[str, str]:
    """The event INSERTs of each kind of change to one table."""
    q, idf = d.q, d.q(ot.id_field)
    fields = [
        _row(k, f, d.encode(f"OLD.{q(f)}", t), d.encode(f"NEW.{q(f)}", t),
             d.distinct.format(a=f"OLD.{q(f)}", b=f"NEW.{q(f)}"))
        for k, (f, t) in enumerate(ot.schema.items())
        if f != ot.id_field
    ]  # fmt: skip
    if geometry:
        g = _payload(d, geometry)
        fields.append(
            _row(
                len(ot.schema), GEOMETRY, "NULL", "NULL", d.distinct.format(a=g("OLD"), b=g("NEW"))
            )
        )
    # an external edit that sets a date field (completed_on 2022-10-25 typed in QGIS) happened
    # on that date; else on the day it was made. The latest stage's date first.
    dated = [
        f"CASE WHEN {d.distinct.format(a=f'OLD.{q(f)}', b=f'NEW.{q(f)}')} "
        f"THEN {d.as_date(f'NEW.{q(f)}')} END"
        for f in reversed(list(ot.dated))
    ]
    day = f"COALESCE({', '.join([*dated, d.today])})" if dated else None
    return {
        "created": _insert(d, events, ot, f"NEW.{idf}",
                           [_row(0, CREATED, "NULL", _json(d, "NEW", ot), "1 = 1")]),
        "deleted": _insert(d, events, ot, f"OLD.{idf}",
                           [_row(0, DELETED, _json(d, "OLD", ot), "NULL", "1 = 1")]),
        "fields": _insert(d, events, ot, f"NEW.{idf}", fields, day),
    }  # fmt: skip


def _payload(d: Dialect, column: str) -> Callable[[str], str]:
    """The geometry to compare: a GeoPackage blob without its header (programs write the
    same shape with different envelopes), a PostGIS geometry as it is."""
    col = d.q(column)
    if d.name != "sqlite":
        return lambda row: f"{row}.{col}"

    def payload(row: str) -> str:
        g = f"{row}.{col}"
        flags = f"unicode(CAST(substr({g}, 4, 1) AS TEXT))"
        envelope = (
            f"CASE (({flags} >> 1) & 7) WHEN 1 THEN 32 WHEN 2 THEN 48 WHEN 3 THEN 48 "
            "WHEN 4 THEN 64 ELSE 0 END"
        )
        return f"substr({g}, 9 + {envelope})"

    return payload


def trigger_names(ot: ObjectType, dialect: Dialect) -> list[str]:
    """The names of the history triggers on one table."""
    if dialect.name == "sqlite":
        return [f"{ot.table}_history_{k}" for k in ("insert", "update", "rename", "delete")]
    return [f"{ot.table}_history"]


def history_triggers(
    dialect: Dialect, *, schema: str | None = None, geometry: dict[str, str] | None = None
) -> list[str]:
    """DDL of the history triggers on ``pits`` and ``plots`` (PostgreSQL: in ``schema``).

    ``geometry`` maps each table to its geometry column (a ``*geometry*`` event when it changes).
    """
    out = []
    for ot in OBJECT_TYPES.values():
        gcol = (geometry or {}).get(ot.table)
        if dialect.name == "sqlite":
            out += _sqlite_triggers(ot, gcol)
        else:
            out += _pg_triggers(ot, gcol, schema or "public")
    return out


def _sqlite_triggers(ot: ObjectType, gcol: str | None) -> list[str]:
    d, q = SQLITE, SQLITE.q
    s = _statements(d, "events", ot, gcol)
    t, idf = q(ot.table), q(ot.id_field)
    ins, upd, ren, dele = (q(n) for n in trigger_names(ot, d))
    return [
        f"CREATE TRIGGER {ins} AFTER INSERT ON {t} BEGIN {s['created']}; END",
        f"CREATE TRIGGER {upd} AFTER UPDATE ON {t} WHEN OLD.{idf} IS NEW.{idf} "
        f"BEGIN {s['fields']}; END",
        f"CREATE TRIGGER {ren} AFTER UPDATE ON {t} WHEN OLD.{idf} IS NOT NEW.{idf} "
        f"BEGIN {s['deleted']}; {s['created']}; END",
        f"CREATE TRIGGER {dele} AFTER DELETE ON {t} BEGIN {s['deleted']}; END",
    ]


def _pg_triggers(ot: ObjectType, gcol: str | None, schema: str) -> list[str]:
    d, q = POSTGRES, POSTGRES.q
    events = f"{q(schema)}.{q('events')}"
    s = _statements(d, events, ot, gcol)
    fn = f"{q(schema)}.{q(ot.table + '_history')}"
    idf = q(ot.id_field)
    body = (
        "BEGIN "
        f"IF TG_OP = 'INSERT' THEN {s['created']}; "
        f"ELSIF TG_OP = 'DELETE' THEN {s['deleted']}; "
        f"ELSIF OLD.{idf} IS DISTINCT FROM NEW.{idf} THEN {s['deleted']}; {s['created']}; "
        f"ELSE {s['fields']}; "
        "END IF; RETURN NULL; END"
    )
    return [
        f"CREATE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $ecogis$ {body} $ecogis$",
        f"CREATE TRIGGER {q(ot.table + '_history')} AFTER INSERT OR UPDATE OR DELETE ON "
        f"{q(schema)}.{q(ot.table)} FOR EACH ROW EXECUTE FUNCTION {fn}()",
    ]

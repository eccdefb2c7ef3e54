"""What the commands print: one summary per job, shared by each command and ``ecogis demo``.

Formatting only: every number comes from the job's result object; tables go through
:class:`ecogis.tables.PeopleTable`, laid out by display width for the terminal.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ..i18n import _, label_of, ngettext
from .options import echo, verbosity

if TYPE_CHECKING:
    import pandas as pd

    from ..controls import ControlReport
    from ..restoration import ProgressReport
    from ..screening import ScreenResult
    from ..tables import PeopleTable

__all__ = [
    "print_table",
    "write_tables_out",
    "controls_summary",
    "screening_summary",
    "progress_summary",
    "crs_line",
]

# non-pass sites listed in the printed summary without -v (the output files list them all)
_SHOW_SITES = 50


def crs_line(crs) -> str:
    """``EPSG:4547 (CGCS2000 / 3-degree Gauss-Kruger CM 114E)``."""
    epsg = crs.to_epsg()
    return f"EPSG:{epsg} ({crs.name})" if epsg else crs.name


def terminal_width() -> int:
    return max(60, shutil.get_terminal_size((80, 24)).columns)


def print_table(table: PeopleTable | pd.DataFrame, *, limit: int | None = None) -> None:
    """A table on the terminal, lined up by display width, split to fit; at most ``limit``
    rows."""
    from ..io.tables import _as_people
    from ..tables import format_text

    table = _as_people(table)
    n = len(table.frame)
    if n == 0:
        return
    echo(format_text(table, width=terminal_width(), limit=limit))
    if limit is not None and n > limit:
        echo(_("... {n} more rows (write them with --csv / --xlsx)").format(n=n - limit))


def write_tables_out(
    tables: Mapping[str, pd.DataFrame],
    csv_path: Path | None,
    xlsx_path: Path | None,
    overwrite: bool,
    *,
    people: Mapping[str, PeopleTable] | None = None,
) -> None:
    """``--csv F`` (the tables as computed; one file per table beside F when there are
    several) and ``--xlsx F`` (the ``people`` tables, one sheet each)."""
    from ..io.tables import write_table, write_tables

    if csv_path is not None:
        if len(tables) == 1:
            (df,) = tables.values()
            echo(_("wrote {path}").format(path=write_table(df, csv_path, overwrite=overwrite)))
        else:  # a CSV holds one table: one file per table beside the given name
            for name, df in tables.items():
                p = csv_path.with_name(f"{csv_path.stem}_{name}{csv_path.suffix}")
                echo(_("wrote {path}").format(path=write_table(df, p, overwrite=overwrite)))
    if xlsx_path is not None:
        sheets = {_(name): t for name, t in (people or tables).items()}
        echo(_("wrote {path}").format(path=write_tables(sheets, xlsx_path, overwrite=overwrite)))


# ------------------------------------------------------------------------ controls


def controls_summary(name: str, report: ControlReport) -> None:
    """Counts and mu per pair of control lines, slivers, self-overlaps, invalid geometries."""
    echo(
        _("{name}: control-line check, working CRS {crs}").format(
            name=name, crs=crs_line(report.crs)
        )
    )
    if len(report.pairs) == 0:
        echo(_("only one control line configured: no pairs to compare"))
    for row in report.pair_totals().itertuples(index=False):
        n = int(row.conflicts)
        echo(
            "  "
            + ngettext(
                "{a} × {b}: {n} conflict, {mu} mu ({m2} m²)",
                "{a} × {b}: {n} conflicts, {mu} mu ({m2} m²)",
                n,
            ).format(
                a=report.label(row.layer_a),
                b=report.label(row.layer_b),
                n=n,
                mu=f"{row.area_mu:,.2f}",
                m2=f"{row.area_m2:,.1f}",
            )
        )
    total = report.summary.iloc[-1]
    line = _("  all pairs: {n} conflicts, {mu} mu").format(
        n=int(total["conflicts"]), mu=f"{total['area_mu']:,.2f}"
    )
    if report.townships is None:
        line += _(" (no township layer: not split by township)")
    echo(line)
    echo(_("slivers (< {m2} m²): {n}").format(m2=f"{report.min_area_m2:g}", n=len(report.slivers)))
    # a self-overlap cut by a township boundary is one overlap in two rows: count pairs
    selfs = report.self_overlaps.drop_duplicates(["layer", "id_a", "id_b"])
    echo(_("self-overlaps: {n}").format(n=len(selfs)) + _by_layer(report, selfs))
    echo(
        _("invalid geometries: {n}").format(n=len(report.invalid))
        + _by_layer(report, report.invalid)
    )


def _by_layer(report: ControlReport, frame) -> str:
    if len(frame) == 0:
        return ""
    counts = frame["layer"].value_counts(sort=False)
    items = _(", ").join(f"{report.label(n)} {c}" for n, c in counts.items())
    return _(" ({items})").format(items=items)


# ------------------------------------------------------------------------ screening


def screening_summary(result: ScreenResult, written: list[str]) -> None:
    """Sites per verdict, the deciding reason of each site that did not pass, files written."""
    from ..screening.model import VERDICT_LABELS

    counts = result.counts()
    rs = result.ruleset
    title = (f"{rs.name} ({rs.label})" if rs.label else rs.name) if rs is not None else ""
    echo(
        _("{ruleset}: {n} site(s) screened in EPSG:{epsg}").format(
            ruleset=title, n=len(result.sites), epsg=result.crs.to_epsg()
        )
    )
    echo("  " + " · ".join(f"{label_of(VERDICT_LABELS, v)} {n}" for v, n in counts.items()))
    rows = result.sites[result.sites["verdict"] != "pass"]
    limit = None if verbosity() >= 1 else _SHOW_SITES
    if len(rows):
        import pandas as pd

        from ..i18n import N_
        from ..tables import Column, people_table

        view = pd.DataFrame(
            {
                "site_id": rows["site_id"].astype(str).to_numpy(),
                "verdict": rows["verdict"].to_numpy(),
                "reason": result.first_reason.loc[rows.index].to_numpy(),
            }
        )
        cols = [
            Column("site_id", N_("Site ID")),
            Column("verdict", N_("Verdict"), labels=VERDICT_LABELS),
            Column("reason", N_("Deciding reason"), wide=True),
        ]
        shown = view if limit is None else view.head(limit)
        print_table(people_table(shown, cols))
        if limit is not None and len(rows) > limit:
            echo(
                _("  ... and {n} more (-v lists all; the output tables have them)").format(
                    n=len(rows) - limit
                )
            )
    for w in written:
        echo(_("wrote {path}").format(path=w))


# ------------------------------------------------------------------------ progress


def _pits_view(df: pd.DataFrame) -> PeopleTable:
    """The pit progress table narrowed for a terminal: "count / km²" per status."""
    import pandas as pd

    from ..i18n import N_
    from ..model import TOTAL, TOTAL_LABEL
    from ..restoration.model import PIT_STATUS_LABELS
    from ..tables import Column, people_table

    view = pd.DataFrame({"township": df["township"], "pits": df["pits"]})
    cols = [
        Column("township", N_("Township"), labels={TOTAL: TOTAL_LABEL}),
        Column("pits", N_("Pits"), "int"),
    ]
    statuses = {
        **{s: label_of(PIT_STATUS_LABELS, s) for s in PIT_STATUS_LABELS},
        "remaining": _("left for 清零"),
        "treated_in_year": _("treated in the year"),
    }
    for s, text in statuses.items():
        view[s] = [
            f"{int(n)} / {a:.4f}" for n, a in zip(df[f"{s}_count"], df[f"{s}_km2"], strict=True)
        ]
        cols.append(Column(s, _("{status} (n / km²)").format(status=text)))
    view["cleared"] = df["cleared"]
    cols.append(Column("cleared", N_("清零 reached"), "bool"))
    return people_table(view, cols)


def progress_summary(report: ProgressReport) -> None:
    """The pit table with the 清零 countdown, the plot table and the totals per kind."""
    import pandas as pd

    from ..model import TOTAL
    from ..restoration.model import PLOT_KIND_LABELS
    from ..restoration.tables import progress_tables

    for note in report.notes:
        echo(_("note: {note}").format(note=note))
    year = report.year
    echo(_("== mine pits (treated in {year} vs targets.{year}.pits_km2) ==").format(year=year))
    print_table(_pits_view(report.tables["pits"]))
    total = report.pit_total
    if pd.notna(total["target_km2"]):
        echo(
            _("treated in {year}: {km2} km² of the target {target} km² ({pct})").format(
                year=year,
                km2=f"{total['treated_in_year_km2']:.4f}",
                target=f"{total['target_km2']:g}",
                pct=f"{total['percent_km2']:.1f}%",
            )
        )
    if total["cleared"]:
        echo(_("清零 reached: no pit untreated or in progress"))
    else:
        echo(
            _("清零 countdown: {n} pits, {km2} km² untreated or in progress").format(
                n=int(total["remaining_count"]), km2=f"{total['remaining_km2']:.4f}"
            )
        )
    people = progress_tables(report.tables, year)
    plots = report.tables["plots"]
    echo(_("== plots {year} ==").format(year=year))
    print_table(people["plots"])
    for _i, r in plots[plots["township"] == TOTAL].iterrows():
        pct = f"{r['percent']:.1f}%" if pd.notna(r["percent"]) else _("no target")
        echo(
            _("{kind}: {mu} mu ({wanmu} 万亩), {pct}").format(
                kind=label_of(PLOT_KIND_LABELS, r["kind"]),
                mu=f"{r['completed_mu']:,.1f}",
                wanmu=f"{r['completed_wanmu']:.4f}",
                pct=pct,
            )
        )
    greening = report.tables.get("greening")
    if greening is not None:
        flagged = greening[greening["flagged"]]
        (before, after), limit = report.ndvi, report.ndvi_min_change
        echo(
            _(
                "== vegetation check ({before} -> {after}, flagged when NDVI change <= {limit}) =="
            ).format(before=before, after=after, limit=limit)
        )
        from ..tables import people_table

        print_table(people_table(flagged, people["greening"].columns), limit=100)
        echo(
            _("{n} of {total} finished pits / plots show no greening").format(
                n=len(flagged), total=len(greening)
            )
        )

"""What the commands print: one summary per job, shared by each command and ``ecogis demo``.

Formatting only: every number comes from the job's result object.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .options import echo, verbosity

if TYPE_CHECKING:
    import pandas as pd

    from ..controls import ControlReport
    from ..restoration import ProgressReport
    from ..screening import ScreenResult

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


def _round(df: pd.DataFrame) -> pd.DataFrame:
    """Rounded copy for the terminal (files keep full precision)."""
    out = df.copy()
    for c in out.columns:
        if str(out[c].dtype) not in ("float64", "Float64"):
            continue
        if str(c).endswith(("_km2", "wanmu")):
            digits = 4
        elif str(c).startswith("ndvi"):
            digits = 3
        else:  # m², mu, percent, rates
            digits = 2
        out[c] = out[c].round(digits)
    return out


def print_table(df: pd.DataFrame, *, limit: int | None = None) -> None:
    """A table on the terminal, rounded; at most ``limit`` rows."""
    if df.empty:
        return
    shown = df if limit is None or len(df) <= limit else df.head(limit)
    echo(_round(shown).to_string(index=False, na_rep=""))
    if shown is not df:
        echo(f"... {len(df) - limit} more rows (write them with --csv / --xlsx)")


def write_tables_out(
    tables: dict[str, pd.DataFrame], csv_path: Path | None, xlsx_path: Path | None, overwrite: bool
) -> None:
    """``--csv F`` (one file per table beside F when there are several) and ``--xlsx F``."""
    from ..io.tables import write_table, write_tables

    if csv_path is not None:
        if len(tables) == 1:
            (df,) = tables.values()
            echo(f"wrote {write_table(df, csv_path, overwrite=overwrite)}")
        else:  # a CSV holds one table: one file per table beside the given name
            for name, df in tables.items():
                p = csv_path.with_name(f"{csv_path.stem}_{name}{csv_path.suffix}")
                echo(f"wrote {write_table(df, p, overwrite=overwrite)}")
    if xlsx_path is not None:
        echo(f"wrote {write_tables(tables, xlsx_path, overwrite=overwrite)}")


# ------------------------------------------------------------------------ controls


def controls_summary(name: str, report: ControlReport) -> None:
    """Counts and mu per pair of control lines, slivers, self-overlaps, invalid geometries."""
    echo(f"{name}: control-line check, working CRS {crs_line(report.crs)}")
    if len(report.pairs) == 0:
        echo("only one control line configured: no pairs to compare")
    for row in report.pair_totals().itertuples(index=False):
        n = int(row.conflicts)
        echo(
            f"  {report.label(row.layer_a)} × {report.label(row.layer_b)}: "
            f"{n} conflict{'' if n == 1 else 's'}, {row.area_mu:,.2f} mu ({row.area_m2:,.1f} m²)"
        )
    total = report.summary.iloc[-1]
    echo(
        f"  all pairs: {int(total['conflicts'])} conflicts, {total['area_mu']:,.2f} mu"
        + ("" if report.townships is not None else " (no township layer: not split by township)")
    )
    echo(f"slivers (< {report.min_area_m2:g} m²): {len(report.slivers)}")
    # a self-overlap cut by a township boundary is one overlap in two rows: count pairs
    selfs = report.self_overlaps.drop_duplicates(["layer", "id_a", "id_b"])
    echo(f"self-overlaps: {len(selfs)}{_by_layer(report, selfs)}")
    echo(f"invalid geometries: {len(report.invalid)}{_by_layer(report, report.invalid)}")


def _by_layer(report: ControlReport, frame) -> str:
    if len(frame) == 0:
        return ""
    counts = frame["layer"].value_counts(sort=False)
    return " (" + ", ".join(f"{report.label(n)} {c}" for n, c in counts.items()) + ")"


# ------------------------------------------------------------------------ screening


def screening_summary(result: ScreenResult, written: list[str]) -> None:
    """Sites per verdict, the deciding reason of each site that did not pass, files written."""
    counts = result.counts()
    rs = result.ruleset
    title = (f"{rs.name} ({rs.label})" if rs.label else rs.name) if rs is not None else "sites"
    echo(f"{title}: {len(result.sites)} site(s) screened in EPSG:{result.crs.to_epsg()}")
    echo("  " + " · ".join(f"{v} {n}" for v, n in counts.items()))
    rows = result.sites[result.sites["verdict"] != "pass"]
    limit = None if verbosity() >= 1 else _SHOW_SITES
    for idx, row in (rows if limit is None else rows.head(limit)).iterrows():
        first = result.first_reason.loc[idx]
        echo(f"  {row['site_id']!s:<10} {row['verdict']:<11} {first}")
    if limit is not None and len(rows) > limit:
        echo(f"  ... and {len(rows) - limit} more (-v lists all; the output tables have them)")
    for w in written:
        echo(f"wrote {w}")


# ------------------------------------------------------------------------ progress

_PIT_COLUMNS = ("untreated", "in_progress", "treated", "accepted", "remaining", "treated_in_year")


def _pits_view(df: pd.DataFrame) -> pd.DataFrame:
    """The pit progress table narrowed for a terminal: "count / km²" per status."""
    import pandas as pd

    view = pd.DataFrame({"township": df["township"], "pits": df["pits"]})
    for s in _PIT_COLUMNS:
        view[f"{s} n/km²"] = [
            f"{int(n)} / {a:.4f}" for n, a in zip(df[f"{s}_count"], df[f"{s}_km2"], strict=True)
        ]
    view["清零"] = ["yes" if c else "" for c in df["cleared"]]
    view["target km²"] = df["target_km2"].round(4)
    view["%"] = df["percent_km2"].round(1)
    return view


def progress_summary(report: ProgressReport) -> None:
    """The pit table with the 清零 countdown, the plot table and the totals per kind."""
    import pandas as pd

    from ..model import TOTAL

    for note in report.notes:
        echo(f"note: {note}")
    year = report.year
    echo(f"== mine pits (treated in {year} vs targets.{year}.pits_km2) ==")
    print_table(_pits_view(report.tables["pits"]))
    total = report.pit_total
    if total["cleared"]:
        echo("清零 reached: no pit untreated or in progress")
    else:
        echo(
            f"清零 countdown: {int(total['remaining_count'])} pits, "
            f"{total['remaining_km2']:.4f} km² untreated or in progress"
        )
    plots = report.tables["plots"]
    echo(f"== plots {year} ==")
    print_table(plots)
    for _, r in plots[plots["township"] == TOTAL].iterrows():
        pct = f"{r['percent']:.1f}%" if pd.notna(r["percent"]) else "no target"
        echo(f"{r['kind']}: {r['completed_mu']:,.1f} mu ({r['completed_wanmu']:.4f} 万亩), {pct}")
    greening = report.tables.get("greening")
    if greening is not None:
        flagged = greening[greening["flagged"]]
        (before, after), limit = report.ndvi, report.ndvi_min_change
        echo(f"== vegetation check ({before} -> {after}, flagged when NDVI change <= {limit}) ==")
        print_table(flagged, limit=100)
        echo(f"{len(flagged)} of {len(greening)} finished pits / plots show no greening")

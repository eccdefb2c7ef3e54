"""ecogis pits / plots / history / progress: the restoration registry from the command line."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .options import echo, load_config_or_fail, overwrite_option
from .options import progress as _progress_bar

if TYPE_CHECKING:
    import pandas as pd

    from ..config import Config
    from ..registry import GpkgRegistry
    from ..registry_pg import PgRegistry

__all__ = ["pits", "plots", "history", "progress"]

_PIT_STATUSES = ("untreated", "in_progress", "treated", "accepted")
_PLOT_STATUSES = ("planned", "in_progress", "completed", "accepted")
_PLOT_KINDS = ("afforestation", "enclosure", "grass_planting")
_PREVIEW_ROWS = 60
#: restoration.NEW_REQUIRED, for the help text (the CLI imports no pandas until it runs)
_NEW_REQUIRED = {
    "pit": "pit_id, township, verified_m2",
    "plot": "plot_id, kind, township, year, planned_mu",
}


# ------------------------------------------------------------------------ shared options


def _registry_options(f):
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
        "from the config's pits / plots layers on first use.",
    )(f)
    return f


def _default_user() -> str:
    try:
        return os.environ.get("ECOGIS_USER") or getpass.getuser()
    except Exception:  # no login name in some containers
        return ""


by_option = click.option(
    "--by",
    default=_default_user,
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


def _table_outputs(f):
    f = overwrite_option(f)
    f = click.option(
        "--xlsx", "xlsx_path", type=click.Path(dir_okay=False, path_type=Path), help="Write XLSX."
    )(f)
    f = click.option(
        "--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), help="Write CSV."
    )(f)
    return f


# ------------------------------------------------------------------------ helpers


def _registry_location(location: str | Path) -> str | Path:
    """A PostGIS URI stays text; anything else is a GeoPackage path."""
    from ..config import is_database_uri

    return str(location) if is_database_uri(str(location)) else Path(location)


def _registry_exists(location: str | Path) -> bool:
    if isinstance(location, Path):
        return location.exists()
    from ..registry_pg import PgRegistry

    return PgRegistry.exists(location)


def _registry_name(reg: GpkgRegistry | PgRegistry) -> str:
    """Short name of a registry for messages: the file name, or URI and schema."""
    return reg.path.name if hasattr(reg, "path") else reg.label


def _open_registry(
    config_path: Path | None, registry_path: str | None, *, by: str | None = None
) -> tuple[GpkgRegistry | PgRegistry, Config | None]:
    """The registry named by --registry or the config; built from the config on first use."""
    from ..errors import ConfigError
    from ..registry import open_registry

    if config_path is None and registry_path is None:
        raise click.UsageError("give -c CONFIG or --registry PATH")
    cfg = load_config_or_fail(config_path) if config_path else None
    location = registry_path
    if location is None:
        if not cfg.registry:
            raise ConfigError(
                "no registry: key; add e.g. 'registry: ../layers/restoration.gpkg' or pass --registry",
                path=str(config_path),
            )
        location = cfg.registry
    location = _registry_location(location)
    if cfg is not None and not _registry_exists(location):
        echo(f"registry {location} not found: building it from the config's layers", err=True)
        return _init_registry(cfg, location, by=by or _default_user() or "ecogis"), cfg
    return open_registry(location), cfg


def _init_registry(
    cfg: Config, location: str | Path, *, by: str, overwrite: bool = False
) -> GpkgRegistry | PgRegistry:
    from ..errors import ConfigError
    from ..io.project import read_config_layer, resolve_working_crs
    from ..registry import GpkgRegistry
    from ..registry_pg import PgRegistry

    layers = {}
    for role, id_field in (("pits", "pit_id"), ("plots", "plot_id")):
        specs = cfg.layers_with_role(role)
        if not specs:
            if role == "pits":
                raise ConfigError(
                    "no layer with role: pits; the registry is built from it",
                    key="layers",
                    path=str(cfg.path),
                )
            continue
        gdf = read_config_layer(cfg, specs[0].name)
        if specs[0].id_field and specs[0].id_field != id_field:
            gdf = gdf.rename(columns={specs[0].id_field: id_field})
        layers[role] = gdf
    crs = resolve_working_crs(cfg, layers)
    from ..crs import to_working

    layers = {k: to_working(v, crs) for k, v in layers.items()}
    location = _registry_location(location)
    store = GpkgRegistry if isinstance(location, Path) else PgRegistry
    reg = store.create(
        location,
        layers["pits"],
        layers.get("plots"),
        by=by,
        note=f"initial import from {cfg.path.name if cfg.path else 'config'}",
        overwrite=overwrite,
    )
    n_pits = len(layers["pits"])
    n_plots = len(layers.get("plots", ()))
    echo(f"registry {_registry_name(reg)}: {n_pits} pits, {n_plots} plots (CRS {crs.to_string()})")
    return reg


def _round(df: pd.DataFrame) -> pd.DataFrame:
    """Rounded copy for the terminal (files keep full precision)."""
    out = df.copy()
    for c in out.columns:
        if str(out[c].dtype) not in ("float64", "Float64"):
            continue
        if c.endswith(("_km2", "wanmu")):
            digits = 4
        elif c.startswith("ndvi"):
            digits = 3
        else:  # m², mu, percent, rates
            digits = 2
        out[c] = out[c].round(digits)
    return out


def _pits_view(df: pd.DataFrame) -> pd.DataFrame:
    """The pit progress table narrowed for a terminal: "count / km²" per status."""
    import pandas as pd

    view = pd.DataFrame({"township": df["township"], "pits": df["pits"]})
    for s in (*_PIT_STATUSES, "remaining", "treated_in_year"):
        view[f"{s} n/km²"] = [
            f"{int(n)} / {a:.4f}" for n, a in zip(df[f"{s}_count"], df[f"{s}_km2"], strict=True)
        ]
    view["清零"] = ["yes" if c else "" for c in df["cleared"]]
    view["target km²"] = df["target_km2"].round(4)
    view["%"] = df["percent_km2"].round(1)
    return view


def _print_table(df: pd.DataFrame, *, limit: int | None = None) -> None:
    if df.empty:
        return
    shown = df if limit is None or len(df) <= limit else df.head(limit)
    echo(_round(shown).to_string(index=False, na_rep=""))
    if shown is not df:
        echo(f"... {len(df) - limit} more rows (write them with --csv / --xlsx)")


def _write_outputs(
    tables: dict[str, pd.DataFrame], csv_path: Path | None, xlsx_path: Path | None, overwrite: bool
) -> None:
    from ..report import write_table, write_tables

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


def _read_table(path: Path, sheet: str | None, *, geometry: bool = False) -> pd.DataFrame:
    """Rows of an import file: CSV / XLSX spreadsheet, or a GIS file's attributes (and, with
    ``geometry``, its geometry: a GeoDataFrame with the column ``geometry``)."""
    import pandas as pd

    from ..errors import DataSourceError

    if not path.exists():
        raise DataSourceError(f"{path}: file not found")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        for enc in ("utf-8-sig", "gb18030"):
            try:
                return pd.read_csv(path, dtype=str, encoding=enc, keep_default_na=True)
            except UnicodeDecodeError:
                continue
        raise DataSourceError(f"{path}: not UTF-8 or GB18030 text")
    if suffix in (".xlsx", ".xlsm"):
        try:
            return pd.read_excel(path, sheet_name=sheet or 0, dtype=object)
        except ValueError as exc:
            raise DataSourceError(f"{path}: {exc}") from None
    if suffix in (".gpkg", ".shp", ".geojson", ".json", ".gdb"):
        from ..io.vector import read_layer

        gdf = read_layer(path, layer=sheet, raw=True)
        if geometry:
            return gdf.rename_geometry("geometry") if gdf.geometry.name != "geometry" else gdf
        return pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    raise DataSourceError(
        f"{path}: cannot import {suffix or 'files without suffix'}; "
        "allowed: .csv, .xlsx, .gpkg, .shp, .geojson"
    )


def _changes_frame(changes) -> pd.DataFrame:
    import pandas as pd

    from ..restoration import _show

    return pd.DataFrame(
        [
            {
                "id": c.object_id,
                "field": c.field,
                "old": _show(c.old),
                "new": _show(c.new),
                "date": c.effective_date,
            }
            for c in changes
        ],
        columns=["id", "field", "old", "new", "date"],
    )


def _parse_sets(sets: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in sets:
        field, eq, value = item.partition("=")
        if not eq or not field.strip():
            raise click.BadParameter(f"{item!r}: write FIELD=VALUE", param_hint="--set")
        out[field.strip()] = value
    return out


def _list_objects(
    otype, config_path, registry_path, filters: dict[str, Any], csv_path, xlsx_path, overwrite
):
    import pandas as pd

    from ..restoration import object_type
    from ..units import m2_to_km2

    reg, _ = _open_registry(config_path, registry_path)
    ot = object_type(otype)
    df = pd.DataFrame(reg.load(ot.name, geometry=False)).reset_index(drop=True)
    for field, value in filters.items():
        if value:
            df = df[df[field].astype(str).isin([str(v) for v in value])]
    _print_table(df, limit=200)
    if ot.name == "pit":
        echo(f"{len(df)} pits, verified {m2_to_km2(df['verified_m2'].sum()):.4f} km²")
    else:
        echo(
            f"{len(df)} plots, planned {df['planned_mu'].sum():,.1f} mu, "
            f"completed {df['completed_mu'].sum():,.1f} mu"
        )
    _write_outputs({ot.table: df}, csv_path, xlsx_path, overwrite)


def _update(otype, object_id, sets, options, config_path, registry_path, date, by, note, force):
    """Shared body of ``pits update`` and ``plots update``: ``--set`` pairs plus the named
    options that were given (``options``: field -> value or None)."""
    values = _parse_sets(sets)
    values.update({k: v for k, v in options.items() if v is not None})
    if not values:
        flags = ", ".join("--" + k.replace("_", "-") for k in options)
        raise click.UsageError(f"nothing to change: give {flags} or --set FIELD=VALUE")
    reg, _ = _open_registry(config_path, registry_path, by=by)
    changes = reg.update(otype, object_id, values, by=by, note=note, date=date, force=force)
    if not changes:
        echo(f"{otype} {object_id}: no change (values already recorded)")
        return
    for c in changes:
        echo(c.describe())
    echo(f"recorded {len(changes)} change(s) on {changes[0].effective_date} by {by}")


def _new_objects_frame(ot, new) -> pd.DataFrame:
    """The new objects of an import: id and key fields."""
    import pandas as pd

    from ..restoration import NEW_REQUIRED

    keys = [*NEW_REQUIRED[ot.name], "status"]
    return pd.DataFrame([{k: c.new.get(k) for k in keys} for c in new], columns=keys)


def _import(
    otype, file, sheet, config_path, registry_path, dry_run, date, by, note, force, add_new
):
    from ..errors import RegistryError
    from ..restoration import CREATED, object_type, plan_import

    ot = object_type(otype)
    reg, _ = _open_registry(config_path, registry_path, by=by)
    table = _read_table(file, sheet, geometry=add_new)
    state = reg.load(ot.name, geometry=False)
    crs = reg.crs(ot.name) if add_new else None
    opts = dict(date=date, force=force, source=file.name, add_new=add_new, crs=crs)
    preview = plan_import(state, ot.name, table, **opts)
    new = [c for c in preview if c.field == CREATED]
    updates = [c for c in preview if c.field != CREATED]
    objects = len({c.object_id for c in updates})
    added = f", {len(new)} new {ot.table}" if add_new else ""
    echo(f"{file.name}: {len(table)} rows, {len(updates)} change(s) to {objects} {ot.table}{added}")
    _print_table(_changes_frame(updates), limit=_PREVIEW_ROWS)
    if new:
        echo(f"new {ot.table}:")
        _print_table(_new_objects_frame(ot, new), limit=_PREVIEW_ROWS)
    if dry_run:
        echo("dry run: nothing written")
        return
    if not preview:
        return

    def plan(current):
        # re-plan under the write lock: if someone changed the registry since the preview,
        # refuse rather than write something the user did not see
        again = plan_import(current(ot.name), ot.name, table, **opts)
        if again != preview:
            raise RegistryError(
                f"{_registry_name(reg)}: changed by someone else since the preview; nothing written, run again"
            )
        return again

    written = reg.apply(plan, by, note or f"import {file.name}")
    n_new = sum(c.field == CREATED for c in written)
    echo(
        f"recorded {len(written) - n_new} change(s) to {objects} {ot.table}"
        + (f" and {n_new} new {ot.table}" if add_new else "")
        + " in one transaction"
    )


# ------------------------------------------------------------------------ pits


@click.group()
def pits():
    """Legacy mine pits (历史遗留废弃采坑): build the registry, record remediation, list.

    The registry (config key registry:) is a GeoPackage, or a PostGIS schema shared by
    several staff (registry: postgresql://user@host/db?schema=NAME; password from PGPASSWORD,
    ~/.pgpass or a service file), with the tables pits, plots and an append-only events log; every change is one event (when, what, old -> new, who, note).
    Pit status moves untreated -> in_progress -> treated -> accepted (in_progress may be
    skipped); going back needs --force.

    \b
    Examples:
      ecogis pits init -c configs/demo.yaml
      ecogis pits update ZXB-KK-007 --status treated --treated-m2 5200 --date 2022-08-30 \\
          --by 王工 --note "现场核查" -c configs/demo.yaml
      ecogis pits import 2022核查.xlsx --dry-run -c configs/demo.yaml
      ecogis pits list --township 明安图镇 --status untreated -c configs/demo.yaml
    """


@pits.command("init")
@_registry_options
@by_option
@click.option("--overwrite", is_flag=True, help="Rebuild an existing registry (a backup is kept).")
def pits_init(config_path, registry_path, by, overwrite):
    """Build the registry from the config's pits and plots layers.

    Each pit and plot gets a "*created*" event holding its attributes (the baseline that
    --as-of reports replay from). Missing fields are filled: status untreated / planned,
    areas 0, a pit's verified_m2 from its geometry area. Done automatically on first use.

    \b
    Example:
      ecogis pits init -c configs/demo.yaml
    """
    if config_path is None:
        raise click.UsageError("pits init needs -c CONFIG (the layers to build from)")
    cfg = load_config_or_fail(config_path)
    location = registry_path or cfg.registry
    if location is None:
        raise click.UsageError("the config has no registry: key; pass --registry PATH")
    _init_registry(cfg, location, by=by or "ecogis", overwrite=overwrite)


@pits.command("update")
@click.argument("pit_id")
@click.option("--status", type=click.Choice(_PIT_STATUSES), help="New status.")
@click.option("--treated-m2", type=float, help="Treated area (实地治理面积), m².")
@click.option("--verified-m2", type=float, help="Verified area (核定面积), m².")
@click.option("--method", help="Method code (1 自然恢复, 2 辅助再生, 3 生态重建, 4 转型利用).")
@click.option("--completed-on", metavar="YYYY-MM-DD", help="Treatment date (default: --date).")
@click.option("--accepted-on", metavar="YYYY-MM-DD", help="Acceptance date (default: --date).")
@click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE", help="Any other field.")
@date_option
@by_option
@note_option
@force_option
@_registry_options
def pits_update(pit_id, status, treated_m2, verified_m2, method, completed_on, accepted_on, sets,
                date, by, note, force, config_path, registry_path):  # fmt: skip
    """Record a change to one pit, in one transaction.

    Refused with one line and nothing written: unknown id or field, an impossible status
    change, negative area, treated area above the verified area, a date in the future or
    before the pit's planned_year. Becoming treated / accepted fills completed_on /
    accepted_on with --date.

    \b
    Examples:
      ecogis pits update ZXB-KK-007 --status in_progress --date 2022-05-10 --by 王工 -c configs/demo.yaml
      ecogis pits update ZXB-KK-007 --status treated --treated-m2 5200 --date 2022-08-30 \\
          --by 王工 --note "现场核查" -c configs/demo.yaml
      ecogis pits update ZXB-KK-007 --status in_progress --force --note "验收退回" -c configs/demo.yaml
    """
    options = {
        "status": status,
        "treated_m2": treated_m2,
        "verified_m2": verified_m2,
        "method": method,
        "completed_on": completed_on,
        "accepted_on": accepted_on,
    }
    _update("pit", pit_id, sets, options, config_path, registry_path, date, by, note, force)


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

    \b
    Examples:
      ecogis {cmd} import updates.xlsx --dry-run -c configs/demo.yaml
      ecogis {cmd} import updates.csv --date 2022-09-30 --by 王工 -c configs/demo.yaml
      ecogis {cmd} import surveyed.gpkg --sheet {cmd} -c configs/demo.yaml
      ecogis {cmd} import 2023核查.gpkg --add-new --dry-run -c configs/demo.yaml
"""


def _import_command(group, otype: str):
    from_fields = {
        "pit": "status, treated_m2, verified_m2, method, completed_on, accepted_on, ...",
        "plot": "status, completed_mu, survival_rate, planned_mu, ...",
    }[otype]

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
    @_registry_options
    def import_cmd(file, sheet, dry_run, add_new, date, by, note, force, config_path,
                   registry_path):  # fmt: skip
        _import(otype, file, sheet, config_path, registry_path, dry_run, date, by, note, force,
                add_new)  # fmt: skip

    import_cmd.help = _IMPORT_HELP.format(
        what=otype,
        id=f"{otype}_id",
        fields=from_fields,
        cmd=f"{otype}s",
        required=_NEW_REQUIRED[otype],
    )
    return import_cmd


_import_command(pits, "pit")


@pits.command("list")
@click.option("--township", multiple=True, help="Only these townships (repeatable).")
@click.option("--status", multiple=True, type=click.Choice(_PIT_STATUSES), help="Only these.")
@click.option("--year", "planned_year", multiple=True, type=int, help="Only this planned_year.")
@_registry_options
@_table_outputs
def pits_list(township, status, planned_year, config_path, registry_path, csv_path, xlsx_path,
              overwrite):  # fmt: skip
    """List pits with their current state.

    \b
    Examples:
      ecogis pits list -c configs/demo.yaml
      ecogis pits list --status untreated --status in_progress --csv remaining.csv -c configs/demo.yaml
    """
    _list_objects(
        "pit",
        config_path,
        registry_path,
        {"township": township, "status": status, "planned_year": planned_year},
        csv_path,
        xlsx_path,
        overwrite,
    )


# ------------------------------------------------------------------------ plots


@click.group()
def plots():
    """Afforestation / enclosure / grass-planting plots: record completion, list, check.

    Plot status moves planned -> in_progress -> completed -> accepted (in_progress may be
    skipped); going back needs --force. The registry is shared with 'ecogis pits'.

    \b
    Examples:
      ecogis plots update ZXB-ZL-2022-012 --completed-mu 820 --survival-rate 0.87 --status completed \\
          --date 2022-10-15 --by 李工 -c configs/demo.yaml
      ecogis plots import 2022造林.xlsx --dry-run -c configs/demo.yaml
      ecogis plots list --kind afforestation --year 2022 -c configs/demo.yaml
      ecogis plots check -c configs/demo.yaml
    """


@plots.command("update")
@click.argument("plot_id")
@click.option("--status", type=click.Choice(_PLOT_STATUSES), help="New status.")
@click.option("--completed-mu", type=float, help="Completed area, mu.")
@click.option("--survival-rate", type=float, help="Survival rate as a share 0-1 (0.85 = 85%).")
@click.option("--planned-mu", type=float, help="Planned area, mu.")
@click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE", help="Any other field.")
@date_option
@by_option
@note_option
@force_option
@_registry_options
def plots_update(plot_id, status, completed_mu, survival_rate, planned_mu, sets, date, by, note,
                 force, config_path, registry_path):  # fmt: skip
    """Record a change to one plot, in one transaction.

    Refused with one line and nothing written: unknown id or field, an impossible status
    change, negative area, survival rate outside 0-1, a date in the future or before the
    plot's year; status completed needs completed_mu > 0.

    \b
    Examples:
      ecogis plots update ZXB-ZL-2022-012 --completed-mu 400 --status in_progress --date 2022-06-01 -c configs/demo.yaml
      ecogis plots update ZXB-ZL-2022-012 --completed-mu 820 --survival-rate 0.87 --status completed \\
          --date 2022-10-15 --by 李工 -c configs/demo.yaml
    """
    options = {
        "status": status,
        "completed_mu": completed_mu,
        "survival_rate": survival_rate,
        "planned_mu": planned_mu,
    }
    _update("plot", plot_id, sets, options, config_path, registry_path, date, by, note, force)


_import_command(plots, "plot")


@plots.command("list")
@click.option("--township", multiple=True, help="Only these townships (repeatable).")
@click.option("--status", multiple=True, type=click.Choice(_PLOT_STATUSES), help="Only these.")
@click.option("--kind", multiple=True, type=click.Choice(_PLOT_KINDS), help="Only these kinds.")
@click.option("--year", multiple=True, type=int, help="Only plots of this year.")
@_registry_options
@_table_outputs
def plots_list(township, status, kind, year, config_path, registry_path, csv_path, xlsx_path,
               overwrite):  # fmt: skip
    """List plots with their current state.

    \b
    Examples:
      ecogis plots list -c configs/demo.yaml
      ecogis plots list --kind afforestation --year 2022 --xlsx plots.xlsx -c configs/demo.yaml
    """
    _list_objects(
        "plot",
        config_path,
        registry_path,
        {"township": township, "status": status, "kind": kind, "year": year},
        csv_path,
        xlsx_path,
        overwrite,
    )


def _control_layer(cfg: Config, name: str | None, default: str, label_word: str) -> str | None:
    if name:
        cfg.layer(name, key=f"--{default}")
        return name
    if default in cfg.layers:
        return default
    for spec in cfg.layers_with_role("control"):
        if label_word in (spec.label or ""):
            return spec.name
    return None


@plots.command("check")
@click.option("--farmland", help="Layer of permanent basic farmland (default: 'farmland').")
@click.option("--urban", help="Layer of the urban development boundary (default: 'urban').")
@_registry_options
@_table_outputs
def plots_check(farmland, urban, config_path, registry_path, csv_path, xlsx_path, overwrite):
    """List afforestation / enclosure plots overlapping 永久基本农田 or 城镇开发边界.

    Overlaps are exact (vector overlay) and given in m² and mu. Afforestation on permanent
    basic farmland is not allowed (verdict not_allowed); other overlaps are for review.
    The control layers come from the config (names farmland / urban, or a control layer whose
    label names it).

    \b
    Examples:
      ecogis plots check -c configs/demo.yaml
      ecogis plots check -c configs/demo.yaml --xlsx plot_conflicts.xlsx
    """
    from ..crs import to_working
    from ..errors import ConfigError
    from ..io.project import read_config_layer, resolve_working_crs
    from ..restoration import check_plot_overlaps

    if config_path is None:
        raise click.UsageError("plots check needs -c CONFIG (for the control layers)")
    reg, cfg = _open_registry(config_path, registry_path)
    f_name = _control_layer(cfg, farmland, "farmland", "永久基本农田")
    u_name = _control_layer(cfg, urban, "urban", "城镇开发边界")
    if f_name is None and u_name is None:
        raise ConfigError(
            "no farmland or urban layer; name them with --farmland / --urban", path=str(cfg.path)
        )
    plots_gdf = reg.load_plots().reset_index(drop=True)
    layers = {n: read_config_layer(cfg, n) for n in (f_name, u_name) if n}
    crs = resolve_working_crs(cfg, {**layers, "plots": plots_gdf})
    layers = {n: to_working(g, crs) for n, g in layers.items()}
    with _progress_bar("overlaps", 1) as update:
        result = check_plot_overlaps(
            to_working(plots_gdf, crs),
            layers.get(f_name) if f_name else None,
            layers.get(u_name) if u_name else None,
        )
        update(1)
    _print_table(result, limit=200)
    bad = result[result["verdict"] == "not_allowed"]
    echo(
        f"{result['plot_id'].nunique()} plot(s) overlap control layers; "
        f"{len(bad)} afforestation plot(s) on permanent basic farmland (not allowed, "
        f"{bad['overlap_mu'].sum():,.1f} mu)"
    )
    _write_outputs({"plot_overlaps": result}, csv_path, xlsx_path, overwrite)


# ------------------------------------------------------------------------ history


@click.command()
@click.argument("object_id")
@_registry_options
@_table_outputs
def history(object_id, config_path, registry_path, csv_path, xlsx_path, overwrite):
    """Every recorded change of one pit or plot, oldest first.

    \b
    Examples:
      ecogis history ZXB-KK-007 -c configs/demo.yaml
      ecogis history ZXB-ZL-2022-012 --csv ZXB-ZL-2022-012.csv -c configs/demo.yaml
    """
    from ..restoration import CREATED

    reg, _ = _open_registry(config_path, registry_path)
    otype = reg.find(object_id)
    ev = reg.events(object_id, otype=otype)
    table = ev[["id", "at", "effective_date", "field", "old", "new", "by", "note", "batch"]].copy()
    created = table["field"] == CREATED
    table.loc[created, "field"] = "(created)"
    table.loc[created, "new"] = "(baseline record)"
    echo(f"{otype} {object_id}: {len(table)} event(s)")
    _print_table(table.drop(columns=["batch"]).fillna(""))
    _write_outputs({"history": ev}, csv_path, xlsx_path, overwrite)


# ------------------------------------------------------------------------ progress


@click.command("progress")
@click.option("-c", "--config", "config_path", required=True,
              type=click.Path(dir_okay=False, path_type=Path), help="Project config (YAML).")  # fmt: skip
@click.option(
    "--registry",
    "registry_path",
    type=str,
    help="Registry GeoPackage or PostGIS URI (default: the config's registry: key).",
)
@click.option(
    "--year", type=int, help="Target year (default: latest year in targets: up to --as-of)."
)
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="Replay the event log up to this day.")
@click.option(
    "--ndvi",
    nargs=2,
    metavar="BEFORE AFTER",
    help="Two NDVI rasters (config layer names or files): flag finished pits / plots with no greening.",
)
@click.option(
    "--ndvi-min-change",
    type=float,
    default=0.03,
    show_default=True,
    help="Mean NDVI rise at or below which a finished pit / plot is flagged.",
)
@_table_outputs
def progress_cmd(config_path, registry_path, year, as_of, ndvi, ndvi_min_change, csv_path,
                 xlsx_path, overwrite):  # fmt: skip
    """Progress against the yearly targets, per township and in total.

    Pits: count and km² (verified area) untreated / in progress / treated / accepted, the
    清零 countdown (untreated + in-progress pits and their area; 清零 when none are left) and
    the area treated in --year against targets.pits_km2. Plots of --year: completed mu and
    万亩 per kind against targets (afforestation_mu, enclosure_mu, grass_planting_mu); the
    targets are banner-wide, so percent is on the total (合计) rows only.

    --as-of replays the event log: the registry's baseline plus every change whose --date
    was on or before that day. --csv F writes F_pits.csv, F_plots.csv (and F_greening.csv);
    --xlsx writes one sheet per table.

    \b
    Examples:
      ecogis progress -c configs/demo.yaml --year 2022
      ecogis progress -c configs/demo.yaml --year 2022 --as-of 2022-06-30 --xlsx 2022年中.xlsx
      ecogis progress -c configs/demo.yaml --ndvi ndvi_2021 ndvi_2023
    """
    import datetime as dt

    import pandas as pd

    from ..restoration import (
        TOTAL,
        baseline_from_events,
        parse_date,
        state_as_of,
        summarize_progress,
    )

    reg, cfg = _open_registry(config_path, registry_path)
    day = parse_date(as_of, what="--as-of") if as_of else None
    if year is None:
        limit = (day or dt.date.today()).year
        years = sorted(y for y in cfg.targets if y <= limit)
        year = years[-1] if years else limit
    if year not in cfg.targets:
        known = ", ".join(map(str, sorted(cfg.targets))) or "none"
        echo(f"note: no targets for {year} in the config (targets for: {known})", err=True)

    pits_now, plots_now, events = reg.snapshot()
    if day is not None:
        pits_state = state_as_of(baseline_from_events(events, "pit"), events, day, otype="pit")
        plots_state = state_as_of(baseline_from_events(events, "plot"), events, day, otype="plot")
        first = events["at"].min() if len(events) else None
        echo(f"state as of {day} (replayed from the event log; baseline recorded {first[:10]})")
    else:
        pits_state, plots_state = pits_now, plots_now
    townships = _township_names(cfg)
    tables = summarize_progress(
        pits_state, plots_state, targets=cfg.targets, year=year, townships=townships
    )

    echo(f"== mine pits (treated in {year} vs targets.{year}.pits_km2) ==")
    _print_table(_pits_view(tables["pits"]))
    total = tables["pits"][tables["pits"]["township"] == TOTAL].iloc[0]
    if total["cleared"]:
        echo("清零 reached: no pit untreated or in progress")
    else:
        echo(
            f"清零 countdown: {int(total['remaining_count'])} pits, "
            f"{total['remaining_km2']:.4f} km² untreated or in progress"
        )
    echo(f"== plots {year} ==")
    _print_table(tables["plots"])
    for _, r in tables["plots"][tables["plots"]["township"] == TOTAL].iterrows():
        pct = f"{r['percent']:.1f}%" if pd.notna(r["percent"]) else "no target"
        echo(f"{r['kind']}: {r['completed_mu']:,.1f} mu ({r['completed_wanmu']:.4f} 万亩), {pct}")

    if ndvi:
        tables["greening"] = _greening(cfg, ndvi, pits_state, plots_state, pits_now, plots_now,
                                       ndvi_min_change)  # fmt: skip
    _write_outputs(tables, csv_path, xlsx_path, overwrite)


def _township_names(cfg: Config) -> list[str] | None:
    specs = cfg.layers_with_role("admin")
    if not specs or not specs[0].name_field:
        return None
    from ..io.project import read_config_layer

    gdf = read_config_layer(cfg, specs[0].name)
    if specs[0].name_field not in gdf.columns:
        return None
    return [str(n) for n in gdf[specs[0].name_field].dropna().unique()]


def _raster_path(cfg: Config, name: str) -> tuple[str, str]:
    from ..errors import ConfigError

    if name in cfg.layers:
        spec = cfg.layers[name]
        if not spec.is_raster:
            raise ConfigError(f"--ndvi: layer {name!r} is not a raster", path=str(cfg.path))
        return spec.path, name
    if Path(name).exists():
        return name, Path(name).name
    rasters = ", ".join(s.name for s in cfg.layers_with_role("raster")) or "(none)"
    raise ConfigError(
        f"--ndvi: no raster layer or file {name!r}; raster layers: {rasters}", path=str(cfg.path)
    )


def _greening(cfg, ndvi, pits_state, plots_state, pits_now, plots_now, min_change):
    import geopandas as gpd
    import pandas as pd

    from ..io.raster import open_raster
    from ..restoration import check_greening

    (bp, bn), (ap, an) = (_raster_path(cfg, n) for n in ndvi)
    frames = []
    with open_raster(bp, name=bn) as before, open_raster(ap, name=an) as after:
        for otype, state, now in (("pit", pits_state, pits_now), ("plot", plots_state, plots_now)):
            # the replayed state has no geometry: take it from the current tables (never updated)
            gdf = gpd.GeoDataFrame(
                pd.DataFrame(state).drop(columns=["geometry"], errors="ignore"),
                geometry=now.geometry.reindex(state.index).values,
                crs=now.crs,
            )
            done = ("treated", "accepted") if otype == "pit" else ("completed", "accepted")
            n = int(gdf["status"].isin(done).sum())
            with _progress_bar(f"NDVI {otype}s", n) as update:
                frames.append(
                    check_greening(
                        gdf, before, after, otype=otype, min_change=min_change, progress=update
                    )
                )
    result = pd.concat(frames, ignore_index=True)
    flagged = result[result["flagged"]]
    echo(f"== vegetation check ({bn} -> {an}, flagged when NDVI change <= {min_change}) ==")
    _print_table(flagged, limit=100)
    echo(f"{len(flagged)} of {len(result)} finished pits / plots show no greening")
    return result


# the module attribute the command registry names
progress = progress_cmd

"""Restoration tracking of a project: its entry points.

Build the registry (:func:`init_registry`), report progress (:func:`run_progress`), check plots
against the control lines (:func:`plot_overlaps`), prepare an import (:func:`prepare_import`),
list objects, show an object's history, record a visit (:func:`record_note`) and prove that the
event log replays to the tables (:func:`check_registry`). Every function takes a Project (or an
open registry) and returns a result; the command line prints and writes it.
"""

from __future__ import annotations

import datetime as _dt
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..errors import ConfigError, EcogisWarning, RegistryError
from ..i18n import _, label_of
from .model import CREATED, NEW_REQUIRED, OBJECT_LABELS, OBJECT_TYPES, object_type
from .plan import (
    Change,
    baseline_history,
    coerce_value,
    normalize_objects,
    parse_date,
    plan_import,
    same_value,
    show_value,
)
from .progress import (
    Baseline,
    baseline_from_events,
    baseline_of,
    default_year,
    replay_warning,
    state_as_of,
    summarize_progress,
)

if TYPE_CHECKING:
    import geopandas as gpd

    from ..io.project import Project, Townships
    from .store import Registry

__all__ = [
    "init_registry",
    "registry_for_update",
    "restoration_state",
    "ProgressReport",
    "run_progress",
    "check_greening_of",
    "split_plots_by_class",
    "plot_overlaps",
    "ImportPlan",
    "prepare_import",
    "list_objects",
    "object_history",
    "record_note",
    "RegistryCheck",
    "check_registry",
    "upgrade_registry",
]


def _where(project: Project) -> str | None:
    return str(project.config.path) if project.config.path else None


# ------------------------------------------------------------------------ the registry


def _layers(project: Project) -> dict[str, gpd.GeoDataFrame]:
    """The config's pits (required) and plots layers, in the working CRS, ids renamed."""
    out = {}
    for role in ("pits", "plots"):
        names = project.layers_with_role(role)
        if not names:
            if role == "pits":
                raise ConfigError(
                    _("no layer with role: pits; the registry is built from it"),
                    key="layers",
                    path=_where(project),
                )
            continue
        spec = project.config.layers[names[0]]
        gdf = project.layer(spec.name)
        id_field = OBJECT_TYPES[role[:-1]].id_field
        if spec.id_field and spec.id_field != id_field:
            gdf = gdf.rename(columns={spec.id_field: id_field})
        out[role] = gdf
    return out


def init_registry(
    project: Project, *, by: str, overwrite: bool = False, exist_ok: bool = False
) -> Registry:
    """Build the project's registry from its pits and plots layers (in the working CRS).

    Each pit and plot gets a ``*created*`` event holding its state before its first dated
    step, then the steps its date fields record (a pit's ``completed_on`` / ``accepted_on``)
    as events with those effective dates, so ``--as-of`` replays its known past. With
    ``overwrite`` an existing registry is kept as a backup first; with ``exist_ok`` a registry
    that exists (or that another process builds at the same moment) is opened instead.
    """
    from .store import GpkgRegistry, PgRegistry

    location = project.require_registry()
    store = GpkgRegistry if isinstance(location, Path) else PgRegistry
    if exist_ok and not overwrite and project.registry_exists():
        return project.registry()
    layers = _layers(project)
    name = project.config.path.name if project.config.path else "config"
    return store.create(
        location,
        layers["pits"],
        layers.get("plots"),
        by=by,
        note=_("initial import from {config}").format(config=name),
        overwrite=overwrite,
        exist_ok=exist_ok,
    )


def registry_for_update(project: Project, *, by: str) -> tuple[Registry, bool]:
    """The registry to write to, built from the layers on first use: ``(registry, built)``.

    Safe when several clerks' first updates run at once: the registry is published only if
    it is not there yet (GeoPackage: a no-overwrite link; PostGIS: under the registry's
    exclusive lock), and whoever comes second opens the first one's registry.
    """
    if project.registry_exists():
        return project.registry(), False
    reg = init_registry(project, by=by or "ecogis", exist_ok=True)
    return reg, reg.built


def restoration_state(project: Project) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """Current ``(pits, plots, events)``: from the registry when it exists, else from the
    config's layers (normalized to the registry schema; no events)."""
    if project.registry_location is not None and project.registry_exists():
        return project.registry().snapshot()
    layers = _layers(project)
    if "plots" not in layers:
        if project.registry_location:
            message = _(
                "registry {registry} does not exist and no layer has role: plots; add one (or "
                "build the registry with 'ecogis registry init')"
            ).format(registry=project.registry_location)
        else:
            message = _(
                "no layer with role: plots; add one (or build the registry with "
                "'ecogis registry init')"
            )
        raise ConfigError(message, path=_where(project))
    pits = normalize_objects(layers["pits"], "pit", name="layers (pits)")
    plots = normalize_objects(layers["plots"], "plot", name="layers (plots)")
    return pits, plots, None


# ------------------------------------------------------------------------ progress


@dataclass
class ProgressReport:
    """Result of :func:`run_progress`.

    Attributes
    ----------
    year : int
        The year reported.
    tables : dict of str to DataFrame
        ``pits`` and ``plots`` (see :func:`ecogis.restoration.summarize_progress`), and
        ``greening`` when NDVI rasters were given.
    pits, plots : GeoDataFrame
        The state reported (replayed to ``as_of`` when given), with the objects' geometry.
    targets : dict
        The year's targets from the config (empty when there are none).
    as_of : date or None
        The day the log was replayed to.
    townships : Townships or None
        The project's townships.
    notes : list of str
        What people should know about the numbers (no targets for the year, the replay).
    ndvi : (str, str) or None
        The NDVI rasters of the greening check (table ``greening``), before and after.
    ndvi_min_change : float
        The NDVI rise at or below which finished work is flagged.
    baseline : Baseline or None
        When the registry's baseline was recorded (and what the layers did not date).
    by_class : GeoDataFrame or None
        With ``run_progress(by_class=...)``: the area of each plot of ``year`` that is
        completed or accepted, by the land class it was before (the land-use layer), one row
        per plot and class with its part on the class. ``tables["by_class"]`` holds the same
        with a total per plot, per kind and overall.
    by_class_layer : str or None
        The land-use layer the plots were split by.
    """

    year: int
    tables: dict[str, pd.DataFrame]
    pits: gpd.GeoDataFrame
    plots: gpd.GeoDataFrame
    targets: dict[str, float] = field(default_factory=dict)
    as_of: _dt.date | None = None
    townships: Townships | None = None
    notes: list[str] = field(default_factory=list)
    ndvi: tuple[str, str] | None = None
    ndvi_min_change: float = 0.03
    baseline: Baseline | None = None
    by_class: gpd.GeoDataFrame | None = None
    by_class_layer: str | None = None

    @property
    def finished(self) -> int:
        """Pits treated or accepted and plots completed or accepted (what NDVI is checked on)."""
        pits = self.pits["status"].isin(("treated", "accepted")).sum()
        plots = self.plots["status"].isin(("completed", "accepted")).sum()
        return int(pits + plots)

    @property
    def pit_total(self) -> pd.Series:
        """The total row of the pit table."""
        from .model import TOTAL

        pits = self.tables["pits"]
        return pits[pits["township"] == TOTAL].iloc[0]


def _with_geometry(state: pd.DataFrame, now: pd.DataFrame, otype: str) -> gpd.GeoDataFrame:
    """A replayed state (attributes only) with the current geometry of each object."""
    import geopandas as gpd

    from .plan import indexed

    if isinstance(state, gpd.GeoDataFrame) and state.geometry.name in state:
        return state
    geoms = indexed(now, object_type(otype)).geometry.reindex(state.index)
    return gpd.GeoDataFrame(
        pd.DataFrame(state).drop(columns=["geometry"], errors="ignore"),
        geometry=geoms.values,
        crs=now.crs,
    )


def run_progress(
    project: Project,
    *,
    year: int | None = None,
    as_of: Any = None,
    ndvi: Sequence[str] | None = None,
    ndvi_min_change: float = 0.03,
    replay_year: bool = False,
    by_class: str | None = None,
) -> ProgressReport:
    """Progress against the yearly targets, per township and in total.

    Parameters
    ----------
    project : Project
        The project; its registry when built, else its pits and plots layers.
    year : int, optional
        The year reported (default: the latest target year up to ``as_of`` / today). With
        ``replay_year`` a past year is reported as it stood at its end (the log replayed to
        31 December) unless ``as_of`` names another day.
    as_of : date or "YYYY-MM-DD", optional
        Replay the event log up to this day. Without a registry the layers' dated fields are
        replayed the same way. A day before the registry's baseline gives an
        :class:`~ecogis.errors.EcogisWarning` naming the baseline date and what the layers
        did not date.
    ndvi : (str, str), optional
        Two NDVI rasters (config layer names or files), before and after: finished pits and
        plots whose NDVI rose by ``ndvi_min_change`` or less are flagged (see
        :func:`check_greening_of`).
    replay_year : bool
        Report a past ``year`` at its end rather than as things stand today (``ecogis
        progress`` does; a map of a past year should too, so that map and report agree).
    by_class : str, optional
        A land-use layer of the config (role ``landuse``): the plots of ``year`` completed or
        accepted are split by the land class they were before (:func:`split_plots_by_class`).

    Examples
    --------
    >>> import ecogis
    >>> project = ecogis.Project.open("configs/demo.yaml")  # doctest: +SKIP
    >>> report = ecogis.run_progress(project, year=2022)  # doctest: +SKIP
    >>> report.tables["pits"][["township", "remaining_count", "remaining_km2"]]  # doctest: +SKIP
    """
    today = _dt.date.today()
    day = parse_date(as_of, what="--as-of") if as_of is not None else None
    cfg = project.config
    year = default_year(cfg.targets, day) if year is None else int(year)
    notes = []
    if year not in cfg.targets:
        known = ", ".join(map(str, sorted(cfg.targets))) or _("none")
        notes.append(
            _("no targets for {year} in the config (targets for: {known})").format(
                year=year, known=known
            )
        )
    if day is None and replay_year and year < today.year:
        day = _dt.date(year, 12, 31)
    pits_now, plots_now, events = restoration_state(project)
    if events is not None and "client" in events:
        external = events[events["client"] == "external"]
        if day is not None:
            eff = external["effective_date"]
            external = external[eff.isna() | (eff.astype(str) <= day.isoformat())]
        if len(external):
            notes.append(
                _(
                    "{n} external edit(s) (QGIS, OGR, psql) of {objects} object(s) are counted; "
                    "'ecogis history ID' shows them"
                ).format(n=len(external), objects=external["object_id"].nunique())
            )
    baseline = None
    if day is not None:
        if events is None:  # no registry yet: replay what the layers date
            events = _layer_events(pits_now, plots_now)
        baseline = baseline_of(events)
        pits = state_as_of(baseline_from_events(events, "pit"), events, day, otype="pit")
        plots = state_as_of(baseline_from_events(events, "plot"), events, day, otype="plot")
        notes.append(
            _(
                "state as of {day} (replayed from the event log; baseline recorded {baseline})"
            ).format(day=day, baseline=baseline.day or "-")
        )
        warning = replay_warning(baseline, day)
        if warning:
            warnings.warn(warning, EcogisWarning, stacklevel=2)
        pits = _with_geometry(pits, pits_now, "pit")
        plots = _with_geometry(plots, plots_now, "plot")
    else:
        pits, plots = pits_now, plots_now
    towns = project.townships()
    tables = summarize_progress(
        pits, plots, targets=cfg.targets, year=year, townships=towns.names if towns else None
    )
    report = ProgressReport(
        year=year,
        tables=tables,
        pits=pits,
        plots=plots,
        targets=dict(cfg.targets.get(year, {})),
        as_of=day,
        townships=towns,
        notes=notes,
        baseline=baseline,
    )
    if ndvi:
        check_greening_of(project, report, ndvi, min_change=ndvi_min_change)
    if by_class is not None:
        split_plots_by_class(project, report, by_class)
    return report


#: plot statuses whose area counts as completed work
_DONE = ("completed", "accepted")


def split_plots_by_class(
    project: Project, report: ProgressReport, layer: str, *, engine=None
) -> pd.DataFrame:
    """The plots of ``report.year`` that are completed or accepted, by the land class each
    part of them was before: the land-use layer ``layer`` (the survey, e.g. 三调 DLTB) under
    the plot polygons. Fills ``report.by_class`` and ``report.tables["by_class"]`` (with a
    total per plot, per kind and overall) and returns the latter.

    Areas are those of the plot polygons (m² in the working CRS), not the recorded
    ``completed_mu``; the share is the part of the polygon on the class.
    """
    import numpy as np
    import shapely

    from ..crs import to_working
    from ..landuse import class_totals, landuse_layer

    land = landuse_layer(project, layer)
    plots = report.plots
    year = pd.to_numeric(plots["year"], errors="coerce").to_numpy()
    done = (year == report.year) & plots["status"].isin(_DONE).to_numpy()
    plots = plots[done]
    if plots.crs is not None and len(plots):
        plots = to_working(plots, project.crs, name=_("plots"))
    present = ~(plots.geometry.isna() | plots.geometry.is_empty).to_numpy()
    plots = plots[present]
    keys = pd.DataFrame(
        {
            "plot_id": plots["plot_id"].astype(str).to_numpy(),
            "township": plots["township"].astype(object).to_numpy(),
        }
    )
    table = land.split(plots, keys, engine=engine)
    objects = keys.assign(
        kind=plots["kind"].astype(str).to_numpy(),
        object_m2=np.asarray(shapely.area(plots.geometry.values), dtype=float),
    )
    report.tables["by_class"] = class_totals(table, objects, group="kind")
    table.insert(2, "kind", objects["kind"].to_numpy()[table.index.to_numpy()])
    report.by_class = table.reset_index(drop=True)
    report.by_class_layer = layer
    return report.tables["by_class"]


def _layer_events(pits: pd.DataFrame, plots: pd.DataFrame) -> pd.DataFrame:
    """The event log a registry built from these layers today would hold (attributes only):
    for a replay before the registry exists."""
    import json

    from .model import EVENT_COLUMNS
    from .plan import encode_value

    at = pd.Timestamp.now(tz="UTC").isoformat()
    rows = []
    for otype, layer in (("pit", pits), ("plot", plots)):
        ot = object_type(otype)
        earliest, changes = baseline_history(pd.DataFrame(layer), otype)
        for rec in earliest[list(ot.schema)].to_dict("records"):
            rec = {f: encode_value(coerce_value(t, rec[f])) for f, t in ot.schema.items()}
            rows.append(
                (at, None, otype, rec[ot.id_field], CREATED, None, json.dumps(rec), "layers")
            )
        for ch in changes:
            rows.append((at, ch.effective_date, otype, ch.object_id, ch.field,
                         encode_value(ch.old), encode_value(ch.new), "layers"))  # fmt: skip
    df = pd.DataFrame(rows, columns=list(EVENT_COLUMNS[1:9]), dtype=object)
    df.insert(0, "id", range(1, len(df) + 1))
    df["note"], df["batch"], df["client"] = None, "layers", "ecogis"
    return df


def check_greening_of(
    project: Project,
    report: ProgressReport,
    ndvi: Sequence[str],
    *,
    min_change: float = 0.03,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Mean NDVI before / after under each finished pit and plot of ``report``; the table
    (:func:`ecogis.restoration.check_greening`) is also kept as ``report.tables["greening"]``.

    ``progress(n)`` is called as ``n`` more objects are done; :attr:`ProgressReport.finished`
    says how many there are.
    """
    from .checks import check_greening

    before, after = (project.raster(n) for n in ndvi)
    frames = [
        check_greening(state, before, after, otype=otype, min_change=min_change, progress=progress)
        for otype, state in (("pit", report.pits), ("plot", report.plots))
    ]
    report.tables["greening"] = pd.concat(frames, ignore_index=True)
    report.ndvi, report.ndvi_min_change = (str(ndvi[0]), str(ndvi[1])), float(min_change)
    return report.tables["greening"]


# ------------------------------------------------------------------------ cross-checks


def _control_layer(project: Project, given: str | None, default: str, label: str) -> str | None:
    """The layer of one control line: given by name, else the layer called ``default``, else
    the first ``control`` layer whose label names it (永久基本农田, 城镇开发边界)."""
    if given:
        project.spec(given, key=f"--{default}")
        return given
    if default in project.config.layers:
        return default
    for name in project.layers_with_role("control"):
        if label in (project.config.layers[name].label or ""):
            return name
    return None


def plot_overlaps(
    project: Project, *, farmland: str | None = None, urban: str | None = None
) -> pd.DataFrame:
    """Afforestation / enclosure plots overlapping 永久基本农田 or 城镇开发边界: the plots of the
    registry when it is built, else of the config's plots layer.

    The control layers are ``farmland`` / ``urban`` (layer names), else the layers called so,
    else the control layers whose labels name them. See
    :func:`ecogis.restoration.check_plot_overlaps` for the table.
    """
    from ..crs import to_working
    from .checks import check_plot_overlaps

    f_name = _control_layer(project, farmland, "farmland", "永久基本农田")
    u_name = _control_layer(project, urban, "urban", "城镇开发边界")
    if f_name is None and u_name is None:
        raise ConfigError(
            _("no farmland or urban layer; name them with --farmland / --urban"),
            path=_where(project),
        )
    plots = to_working(restoration_state(project)[1].reset_index(drop=True), project.crs)
    return check_plot_overlaps(
        plots,
        project.layer(f_name) if f_name else None,
        project.layer(u_name) if u_name else None,
    )


# ------------------------------------------------------------------------ imports


@dataclass
class ImportPlan:
    """What an import would change: shown first, then written with :meth:`apply`.

    Attributes
    ----------
    changes : list of Change
        Every change, new objects (``field`` :data:`~ecogis.restoration.CREATED`) included.
    rows : int
        Rows in the file.
    """

    registry: Registry
    otype: str
    table: pd.DataFrame
    options: dict[str, Any]
    changes: list[Change]

    @property
    def rows(self) -> int:
        return len(self.table)

    @property
    def new(self) -> list[Change]:
        return [c for c in self.changes if c.field == CREATED]

    @property
    def updates(self) -> list[Change]:
        return [c for c in self.changes if c.field != CREATED]

    @property
    def objects(self) -> int:
        """Known objects that change."""
        return len({c.object_id for c in self.updates})

    def changes_table(self) -> pd.DataFrame:
        """``id, field, old, new, date`` of each update, for people."""
        return pd.DataFrame(
            [
                {
                    "id": c.object_id,
                    "field": c.field,
                    "old": show_value(c.old),
                    "new": show_value(c.new),
                    "date": c.effective_date,
                }
                for c in self.updates
            ],
            columns=["id", "field", "old", "new", "date"],
        )

    def new_table(self) -> pd.DataFrame:
        """The new objects: id and key fields."""
        keys = [*NEW_REQUIRED[object_type(self.otype).name], "status"]
        return pd.DataFrame([{k: c.new.get(k) for k in keys} for c in self.new], columns=keys)

    def apply(self, *, by: str, note: str | None = None) -> list[Change]:
        """Write the changes in one transaction, planned again under the write lock: if
        someone changed the registry since the preview, nothing is written."""
        ot = object_type(self.otype)

        def plan(current):
            again = plan_import(current(ot.name), ot.name, self.table, **self.options)
            if again != self.changes:
                raise RegistryError(
                    _(
                        "{registry}: changed by someone else since the preview; nothing "
                        "written, run again"
                    ).format(registry=self.registry.label)
                )
            return again

        default = _("import {source}").format(source=self.options["source"])
        return self.registry.apply(plan, by, note or default)


def prepare_import(
    registry: Registry,
    otype: str,
    table: pd.DataFrame,
    *,
    source: str,
    date: Any = None,
    force: bool = False,
    add_new: bool = False,
    reason: str | None = None,
) -> ImportPlan:
    """Plan an import of ``table`` (one row per object, keyed by id) into ``registry``.

    See :func:`ecogis.restoration.plan_import`. New objects need ``add_new`` and a GIS table
    (their geometry is reprojected to the registry's CRS); ``reason`` is why ``force`` is
    needed (the note of the events).
    """
    ot = object_type(otype)
    state = registry.load(ot.name, geometry=False)
    crs = registry.crs(ot.name) if add_new else None
    options = dict(date=date, force=force, reason=reason, source=source, add_new=add_new, crs=crs)
    changes = plan_import(state, ot.name, table, **options)
    return ImportPlan(registry, ot.name, table, options, changes)


# ------------------------------------------------------------------------ listing


def list_objects(
    registry: Registry, otype: str, filters: Mapping[str, Sequence[Any]] | None = None
) -> pd.DataFrame:
    """The current pits or plots (attributes), keeping rows whose fields match ``filters``
    (field -> allowed values; an empty list keeps everything)."""
    ot = object_type(otype)
    df = pd.DataFrame(registry.load(ot.name, geometry=False)).reset_index(drop=True)
    for name, values in (filters or {}).items():
        if values:
            df = df[df[name].astype(str).isin([str(v) for v in values])]
    return df


def object_history(registry: Registry, object_id: str) -> tuple[str, pd.DataFrame]:
    """``(otype, events)``: every recorded change of one pit or plot, oldest first (the id is
    trimmed and folded like every id people type)."""
    try:
        otype, oid = registry.resolve(object_id)
    except RegistryError:  # not in the tables: a deleted object still has its history
        from .model import fold_id

        events = registry.events()
        gone = events[events["object_id"].map(fold_id) == fold_id(object_id)]
        if gone.empty:
            raise
        otype, oid = gone["object_type"].iloc[-1], gone["object_id"].iloc[-1]
    return otype, registry.events(oid, otype=otype)


def record_note(
    registry: Registry, otype: str, object_id: str, text: str, *, by: str, date: Any = None
) -> Change:
    """Record an inspection visit to one pit or plot: a dated note that changes nothing."""
    return registry.note(otype, object_id, text, by=by, date=date)


# ------------------------------------------------------------------------ checking the log


@dataclass
class RegistryCheck:
    """Result of :func:`check_registry`.

    Attributes
    ----------
    counts : dict
        ``pits``, ``plots``, ``events``, ``external`` (events written by other programs).
    problems : list of str
        Each difference between the replayed log and the tables, naming the object and field;
        missing history triggers; a context left behind. Empty: the log replays to the tables.
    """

    counts: dict[str, int]
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_registry(registry: Registry, *, limit: int = 50) -> RegistryCheck:
    """Replay the whole event log and compare it with the tables, object by object and field
    by field (at most ``limit`` differences are listed).
    """
    pits, plots, events = registry.snapshot(geometry=False)
    problems: list[str] = []
    with registry._read() as conn:  # a registry whose triggers were dropped records nothing
        missing = registry._missing_triggers(conn)
    if missing:
        problems.append(
            _(
                "history triggers missing ({names}): edits are not being recorded; run "
                "'ecogis registry upgrade'"
            ).format(names=", ".join(missing))
        )
    left = getattr(registry, "context_rows", lambda: 0)()
    if left:
        problems.append(
            _(
                "ecogis_context holds {n} row(s) outside a write: edits would be misattributed"
            ).format(n=left)
        )
    for otype, table in (("pit", pits), ("plot", plots)):
        ot = object_type(otype)
        replayed = state_as_of(baseline_from_events(events, otype), events, otype=otype)
        kind = label_of(OBJECT_LABELS, ot.name)
        for oid in sorted(set(table.index) - set(replayed.index)):
            problems.append(
                _("{kind} {id}: in the table, not in the log (added without an event)").format(
                    kind=kind, id=oid
                )
            )
        for oid in sorted(set(replayed.index) - set(table.index)):
            problems.append(
                _("{kind} {id}: in the log, not in the table (deleted without an event)").format(
                    kind=kind, id=oid
                )
            )
        for oid in sorted(set(table.index) & set(replayed.index)):
            for f, t in ot.schema.items():
                a = coerce_value(t, table.at[oid, f])
                b = coerce_value(t, replayed.at[oid, f])
                if not same_value(t, a, b):
                    problems.append(
                        _(
                            "{kind} {id}: {field} is {stored} in the table, {replayed} in the log"
                        ).format(
                            kind=kind,
                            id=oid,
                            field=f,
                            stored=show_value(a),
                            replayed=show_value(b),
                        )
                    )
    external = int((events.get("client") == "external").sum()) if "client" in events else 0
    counts = {"pits": len(pits), "plots": len(plots), "events": len(events), "external": external}
    if len(problems) > limit:
        more = len(problems) - limit
        problems = [*problems[:limit], _("... and {n} more").format(n=more)]
    return RegistryCheck(counts, problems)


def upgrade_registry(registry: Registry) -> bool:
    """Give a registry built by an older ecogis the history triggers; False if it had them."""
    return registry.upgrade()

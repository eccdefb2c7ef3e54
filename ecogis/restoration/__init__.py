"""Restoration tracking: legacy mine pits and afforestation / enclosure plots, their status
lifecycle, the registry's event log and progress against yearly targets.

``model`` (statuses, kinds, schemas, labels; cheap), ``plan`` (values, updates, imports),
``progress`` (replay and progress tables), ``checks`` (plots on protected land, greening),
``run`` (entry points on a Project), ``map`` (:func:`build_progress_map`), ``store`` (the
registry in a GeoPackage or PostGIS).
"""

from __future__ import annotations

from .._lazy import lazy_getattr

_MODEL = (
    "PIT_STATUSES",
    "PLOT_STATUSES",
    "PLOT_KINDS",
    "PIT_SCHEMA",
    "PLOT_SCHEMA",
    "OBJECT_TYPES",
    "NEXT_STATUS",
    "TOTAL",
    "CREATED",
    "DELETED",
    "NOTE",
    "GEOMETRY",
    "NEW_REQUIRED",
    "EVENT_COLUMNS",
    "ObjectType",
    "object_type",
    "PIT_STATUS_LABELS",
    "PLOT_STATUS_LABELS",
    "PLOT_KIND_LABELS",
)
_PLAN = (
    "Change",
    "normalize_objects",
    "coerce_value",
    "encode_value",
    "parse_date",
    "plan_update",
    "plan_import",
    "baseline_history",
)
_PROGRESS = (
    "baseline_from_events",
    "state_as_of",
    "summarize_progress",
    "default_year",
    "Baseline",
    "baseline_of",
    "replay_warning",
)
_RUN = (
    "init_registry",
    "registry_for_update",
    "restoration_state",
    "ProgressReport",
    "run_progress",
    "check_greening_of",
    "plot_overlaps",
    "ImportPlan",
    "prepare_import",
    "list_objects",
    "object_history",
    "record_note",
    "RegistryCheck",
    "check_registry",
    "upgrade_registry",
)
_LAZY = {
    **dict.fromkeys(_MODEL, ".model"),
    **dict.fromkeys(_PLAN, ".plan"),
    **dict.fromkeys(_PROGRESS, ".progress"),
    **dict.fromkeys(("check_plot_overlaps", "check_greening"), ".checks"),
    **dict.fromkeys(_RUN, ".run"),
    "build_progress_map": ".map",
    **dict.fromkeys(("Registry", "GpkgRegistry", "PgRegistry", "open_registry"), ".store"),
}
__all__ = list(_LAZY)
__getattr__ = lazy_getattr(__name__, _LAZY)

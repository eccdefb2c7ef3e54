"""Restoration progress: the event log replayed to a date, and progress against the targets."""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import RegistryError
from ..i18n import _
from ..units import m2_to_km2
from .model import (
    CREATED,
    DELETED,
    OBJECT_TYPES,
    PIT_STATUSES,
    PLOT_KINDS,
    TOTAL,
    ObjectType,
    object_type,
)
from .plan import coerce_value, dtype_of, indexed, is_missing, parse_date

__all__ = [
    "baseline_from_events",
    "state_as_of",
    "summarize_progress",
    "default_year",
    "Baseline",
    "baseline_of",
    "replay_warning",
]


# ------------------------------------------------------------------------------ replay


def _created_record(ot: ObjectType, text: Any) -> dict[str, Any]:
    raw = json.loads(text, strict=False) if isinstance(text, str) else dict(text or {})
    return {f: coerce_value(t, raw.get(f)) for f, t in ot.schema.items()}


def baseline_from_events(events: pd.DataFrame, otype: str) -> pd.DataFrame:
    """Attributes of each object as first recorded (its first ``*created*`` event), indexed by id."""
    ot = object_type(otype)
    ev = events[(events["object_type"] == ot.name) & (events["field"] == CREATED)]
    if "id" in ev:
        ev = ev.sort_values("id")
    rows = [_created_record(ot, v) for v in ev["new"]]
    df = pd.DataFrame(rows, columns=list(ot.schema))
    for f, t in ot.schema.items():
        df[f] = pd.Series([coerce_value(t, v) for v in df[f]], index=df.index, dtype=dtype_of(t))
    df = df.drop_duplicates(ot.id_field, keep="first")
    return df.set_index(ot.id_field, drop=False).rename_axis(ot.id_field)


def state_as_of(
    initial: pd.DataFrame,
    events: pd.DataFrame,
    date: Any = None,
    *,
    otype: str | None = None,
) -> pd.DataFrame:
    """Replay the event log on ``initial``: the state on ``date`` (None: everything recorded).

    Events with ``effective_date <= date`` are applied in the order they were recorded, so
    replaying the whole log gives exactly the current state: a field event sets the field, a
    ``*deleted*`` event removes the object, a later ``*created*`` event (an id deleted and
    added again) brings it back with its new attributes. Objects whose first ``*created*``
    event carries an effective date after ``date`` are left out; baseline objects (created
    with no effective date) are always there.

    Parameters
    ----------
    initial
        Baseline attributes (:func:`baseline_from_events`), indexed by id or with the id column.
    events
        The event log (columns ``id, effective_date, object_type, object_id, field, new``).
    date
        The day to show (inclusive).
    otype
        ``pit`` or ``plot``; inferred from the id column when omitted.
    """
    if otype is None:
        otype = next(
            (
                n
                for n, t in OBJECT_TYPES.items()
                if t.id_field in (initial.index.name, *initial.columns)
            ),
            None,
        )
        if otype is None:
            raise RegistryError(_("state_as_of: cannot tell pits from plots; pass otype="))
    ot = object_type(otype)
    state = indexed(initial, ot).copy()
    ev = events[events["object_type"] == ot.name].sort_values("id")
    created = ev[ev["field"] == CREATED]
    first_created = set(created.drop_duplicates("object_id", keep="first")["id"])
    if date is not None:
        day = parse_date(date, what=_("as-of date")).isoformat()
        eff = ev["effective_date"]
        late = eff.notna() & (eff.astype(str) > day)
        gone = ev.loc[late & ev["id"].isin(first_created), "object_id"]
        state = state.drop(index=[g for g in gone if g in state.index])
        ev = ev[~late]
    for eid, oid, field, new in zip(ev["id"], ev["object_id"], ev["field"], ev["new"], strict=True):
        if field == CREATED:
            if eid not in first_created or oid not in state.index:
                state = _upsert(state, ot, oid, _created_record(ot, new))
            continue
        if field == DELETED:
            if oid in state.index:
                state = state.drop(index=oid)
            continue
        if oid not in state.index or field not in ot.schema or field == ot.id_field:
            continue
        state.at[oid, field] = coerce_value(ot.schema[field], new)
    return state


def _upsert(state: pd.DataFrame, ot: ObjectType, oid: str, rec: dict[str, Any]) -> pd.DataFrame:
    row = pd.DataFrame({f: pd.Series([rec[f]], dtype=dtype_of(t)) for f, t in ot.schema.items()})
    row = row.set_index(ot.id_field, drop=False).rename_axis(ot.id_field)
    if oid in state.index:
        state = state.drop(index=oid)
    cols = [c for c in state.columns if c not in row.columns]
    for c in cols:
        row[c] = None
    return pd.concat([state, row[list(state.columns)]]) if len(state) else row


@dataclass(frozen=True)
class Baseline:
    """When a registry's baseline was recorded and what the layers did not date.

    Attributes
    ----------
    day : date or None
        The day the registry was built from the layers (its first ``*created*`` events).
    undated : dict of str to list of str
        ``pit`` / ``plot`` -> ids whose baseline status has no date in the layers: before
        ``day`` they are shown as recorded on ``day``.
    """

    day: _dt.date | None
    undated: dict[str, list[str]]


def baseline_of(events: pd.DataFrame) -> Baseline:
    """The :class:`Baseline` of an event log."""
    base = events[(events["field"] == CREATED) & events["effective_date"].isna()]
    if base.empty:
        return Baseline(None, {n: [] for n in OBJECT_TYPES})
    first = base.sort_values("id").iloc[0]
    day = _local_day(first["at"])
    batch = first["batch"]
    undated: dict[str, list[str]] = {}
    for name, ot in OBJECT_TYPES.items():
        mine = base[base["object_type"] == name]
        ids = [
            oid
            for oid, new in zip(mine["object_id"], mine["new"], strict=True)
            if _created_record(ot, new)["status"] != ot.statuses[0]
        ]
        # statuses the layer's dates did not reach: dated the baseline day by the baseline batch
        late = events[
            (events["object_type"] == name)
            & (events["batch"] == batch)
            & (events["field"] == "status")
            & (events["effective_date"] == day.isoformat())
        ]
        undated[name] = list(dict.fromkeys([*ids, *late["object_id"]]))
    return Baseline(day, undated)


def _local_day(at: Any) -> _dt.date:
    """The local calendar day of an event time (UTC ISO text or a timestamp)."""
    ts = pd.Timestamp(at)
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return ts.to_pydatetime().astimezone().date()


def replay_warning(baseline: Baseline, day: _dt.date) -> str | None:
    """The warning for a state replayed to ``day`` before the baseline, or None."""
    if baseline.day is None or day >= baseline.day:
        return None
    n_pits, n_plots = len(baseline.undated.get("pit", [])), len(baseline.undated.get("plot", []))
    text = _(
        "the state on {day} (--as-of, or the end of --year) is before the registry's baseline "
        "({baseline}): it is replayed from the layers' dates (completed_on, accepted_on; a pit "
        "counts as untreated before its completed_on)"
    ).format(day=day, baseline=baseline.day)
    if n_pits or n_plots:
        text += _(
            "; {pits} pit(s) and {plots} plot(s) have a status with no date and are shown as "
            "recorded on {baseline}"
        ).format(pits=n_pits, plots=n_plots, baseline=baseline.day)
    return text


# ------------------------------------------------------------------------------ progress


def _township(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), "(none)").astype(str)


def summarize_progress(
    pits: pd.DataFrame,
    plots: pd.DataFrame,
    *,
    targets: Mapping[Any, Mapping[str, float]] | Mapping[str, float] | None,
    year: int,
    townships: Sequence[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Progress per township and in total.

    Parameters
    ----------
    pits, plots
        Registry states (attributes; geometry ignored).
    targets
        ``Config.targets`` (year -> {afforestation_mu, enclosure_mu, grass_planting_mu,
        pits_km2, pits_count}) or one year's mapping.
    year
        The plot year reported, and the year whose pit treatments count against ``pits_km2``.
    townships
        All township names, so townships with nothing recorded still get a row.

    Returns
    -------
    dict
        ``pits``: one row per township plus the :data:`TOTAL` row — counts and km² (verified
        area) untreated / in progress / treated / accepted, the 清零 countdown
        (``remaining_count``, ``remaining_km2``, ``cleared``), treated area, pits treated in
        ``year`` and, on the total row only, the target and percent.
        ``plots``: one row per township and kind plus one total row per kind — plots of
        ``year``, planned / completed mu and 万亩, area-weighted survival rate; target and
        percent on the total rows only (targets are banner-wide).
    """
    tgt: Mapping[str, float] = {}
    if targets:
        if year in targets:
            tgt = targets[year]  # type: ignore[index]
        elif str(year) in targets:
            tgt = targets[str(year)]  # type: ignore[index]
        elif any(isinstance(k, str) and k.endswith(("_mu", "_km2", "_count")) for k in targets):
            tgt = targets  # type: ignore[assignment]
    return {
        "pits": _pit_progress(pits, tgt, year, townships),
        "plots": _plot_progress(plots, tgt, year, townships),
    }


def _pit_progress(pits, tgt, year, townships) -> pd.DataFrame:
    p = pd.DataFrame(
        {
            "township": _township(pits["township"]),
            "status": pits["status"].astype(str),
            "verified_m2": pd.to_numeric(pits["verified_m2"]).fillna(0.0).astype(float),
            "treated_m2": pd.to_numeric(pits["treated_m2"]).fillna(0.0).astype(float),
            "completed_on": pits["completed_on"].astype(object),
        }
    )
    done_year = p["completed_on"].map(lambda d: None if is_missing(d) else str(d)[:4])
    p["in_year"] = p["status"].isin(("treated", "accepted")) & (done_year == str(year))
    names = list(dict.fromkeys([*(townships or []), *sorted(p["township"].unique())]))

    def row(sub: pd.DataFrame, name: str) -> dict:
        r: dict[str, Any] = {"township": name, "pits": len(sub)}
        r["verified_km2"] = m2_to_km2(sub["verified_m2"].sum())
        for s in PIT_STATUSES:
            ss = sub[sub["status"] == s]
            r[f"{s}_count"] = len(ss)
            r[f"{s}_km2"] = m2_to_km2(ss["verified_m2"].sum())
        rem = sub[sub["status"].isin(("untreated", "in_progress"))]
        r["remaining_count"] = len(rem)
        r["remaining_km2"] = m2_to_km2(rem["verified_m2"].sum())
        r["cleared"] = len(rem) == 0  # 清零
        done = sub[sub["status"].isin(("treated", "accepted"))]
        r["treated_area_km2"] = m2_to_km2(done["treated_m2"].sum())
        yr = sub[sub["in_year"]]
        r["treated_in_year_count"] = len(yr)
        r["treated_in_year_km2"] = m2_to_km2(yr["treated_m2"].sum())
        return r

    rows = [row(p[p["township"] == n], n) for n in names]
    total = row(p, TOTAL)
    t_km2, t_count = tgt.get("pits_km2"), tgt.get("pits_count")
    total["target_km2"] = t_km2
    total["target_count"] = t_count
    total["percent_km2"] = 100 * total["treated_in_year_km2"] / t_km2 if t_km2 else None
    total["percent_count"] = 100 * total["treated_in_year_count"] / t_count if t_count else None
    df = pd.DataFrame([*rows, total])
    for c in ("target_km2", "target_count", "percent_km2", "percent_count"):
        df[c] = pd.to_numeric(df[c]).astype(float)
    return df


def _plot_progress(plots, tgt, year, townships) -> pd.DataFrame:
    q = pd.DataFrame(
        {
            "township": _township(plots["township"]),
            "kind": plots["kind"].astype(str),
            "year": pd.to_numeric(plots["year"]),
            "status": plots["status"].astype(str),
            "planned_mu": pd.to_numeric(plots["planned_mu"]).fillna(0.0).astype(float),
            "completed_mu": pd.to_numeric(plots["completed_mu"]).fillna(0.0).astype(float),
            "survival_rate": pd.to_numeric(plots["survival_rate"]).astype(float),
        }
    )
    q = q[q["year"] == year]
    names = list(dict.fromkeys([*(townships or []), *sorted(q["township"].unique())]))

    def row(sub: pd.DataFrame, name: str, kind: str) -> dict:
        sr = sub.dropna(subset=["survival_rate"])
        w = sr["completed_mu"].sum()
        return {
            "township": name,
            "kind": kind,
            "plots": len(sub),
            "completed_plots": int(sub["status"].isin(("completed", "accepted")).sum()),
            "planned_mu": sub["planned_mu"].sum(),
            "completed_mu": sub["completed_mu"].sum(),
            "completed_wanmu": sub["completed_mu"].sum() / 10000.0,
            "survival_rate": (sr["survival_rate"] * sr["completed_mu"]).sum() / w
            if w > 0
            else np.nan,
        }

    rows = []
    for kind in PLOT_KINDS:
        k = q[q["kind"] == kind]
        target = tgt.get(f"{kind}_mu")
        if len(k) == 0 and not target:
            continue
        for n in names:
            sub = k[k["township"] == n]
            if len(sub) or townships:
                rows.append(row(sub, n, kind))
        total = row(k, TOTAL, kind)
        total["target_mu"] = target
        total["target_wanmu"] = target / 10000.0 if target is not None else None
        total["percent"] = 100 * total["completed_mu"] / target if target else None
        rows.append(total)
    cols = [
        "township", "kind", "plots", "completed_plots", "planned_mu", "completed_mu",
        "completed_wanmu", "survival_rate", "target_mu", "target_wanmu", "percent",
    ]  # fmt: skip
    df = pd.DataFrame(rows, columns=cols)
    for c in ("target_mu", "target_wanmu", "percent", "survival_rate"):
        df[c] = pd.to_numeric(df[c]).astype(float)
    return df


def default_year(targets: Mapping[Any, Any], as_of: Any = None) -> int:
    """The year a progress report is about when none is given: the latest year of ``targets``
    not after the reference day (``as_of``, else today), else that day's year."""
    limit = (parse_date(as_of, what="--as-of") if as_of is not None else _dt.date.today()).year
    past = sorted(int(y) for y in targets if int(y) <= limit)
    return past[-1] if past else limit

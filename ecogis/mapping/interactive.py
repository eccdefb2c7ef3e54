"""What staff work with on a map: search, filters, panels whose numbers follow them, lists,
a time slider.

Everything here is computed in the page from the layers' data columns (``data_fields`` of
:func:`ecogis.mapping.add_polygons`), so a filter changes the drawn features and the panel
numbers together::

    add_polygons(m, pits, name="pits", ..., data_fields=["pit_id", "name", "township", "status"])
    add_search(m, [("pits", ["pit_id", "name"])])
    add_filter(m, "township", "Township", options=[("明安图镇", "明安图镇"), ...],
               columns={"pits": "township"})
    add_summary(m, "Pits", [("left", [Value(Count("pits", where={"status": ["untreated"]}),
                                            fmt="int"), " pits"])])

The page evaluates :class:`Count` and :class:`Sum` over the rows that pass the filters and
the time step; :class:`Value` formats one number (``int``, ``n1``, ``n2``, ``n4`` decimals
with thousands separators, or a percent of ``den``); :class:`If` chooses between parts. Texts
are escaped here; ``{year}`` in a title or label is replaced by the year being shown (the
``year`` filter, or the year of the time step).

A time line (:func:`add_timeline`) carries, per date, the state of the layers as the
restoration registry's event log replays it; the slider swaps the state and the page redraws.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import EcogisError, LayerError
from ..i18n import _
from .base import EcogisMap, _check_map, _encode_column, _fmt, _raw, _records

__all__ = [
    "Count",
    "Sum",
    "Value",
    "Target",
    "If",
    "Token",
    "parts",
    "TimeStep",
    "add_search",
    "add_filter",
    "add_summary",
    "add_list",
    "add_progress_chart",
    "add_timeline",
    "set_targets",
    "YEAR",
]


@dataclass(frozen=True)
class Token:
    """The current value of a filter, in a ``where``: ``Token("year")``."""

    key: str

    def to_json(self) -> dict:
        return {"$": self.key}


#: the year shown (the ``year`` filter, or the year of the time step)
YEAR = Token("year")


def _where(where: Mapping[str, Any] | None) -> dict | None:
    if not where:
        return None
    out = {}
    for col, values in where.items():
        if isinstance(values, Token):
            out[col] = [values.to_json()]
        elif isinstance(values, str | int | float):
            out[col] = [values]
        else:
            out[col] = [v.to_json() if isinstance(v, Token) else v for v in values]
    return out


@dataclass(frozen=True)
class Count:
    """Rows of ``layer`` that pass the filters (and ``where``: column -> allowed values);
    with ``distinct``, the number of distinct values of that data column among them (a
    conflict split along township lines is one conflict)."""

    layer: str
    where: Mapping[str, Any] | None = None
    distinct: str | None = None

    def to_json(self) -> dict:
        out = {"op": "count", "layer": self.layer, "where": _where(self.where)}
        if self.distinct:
            out["col"], out["op"] = self.distinct, "distinct"
        return out


@dataclass(frozen=True)
class Sum:
    """Sum of the data column ``col`` over the rows that pass, times ``scale``."""

    layer: str
    col: str
    where: Mapping[str, Any] | None = None
    scale: float = 1.0

    def to_json(self) -> dict:
        return {
            "op": "sum",
            "layer": self.layer,
            "col": self.col,
            "where": _where(self.where),
            "scale": self.scale,
        }


@dataclass(frozen=True)
class Target:
    """The year's target ``key`` (from :func:`set_targets`), for showing it in a panel."""

    key: str

    def to_json(self) -> dict:
        return {"op": "target", "key": self.key}


@dataclass(frozen=True)
class Value:
    """One number of a panel row.

    ``fmt``: ``int``, ``n1``/``n2``/``n4`` (decimals, thousands separated) or ``pct``. With
    ``den`` (a number, a :class:`Count`/:class:`Sum`, or ``target="pits_km2"``: the year's
    target from :func:`set_targets`) the value is ``100 * value / den``; without a denominator
    ``alt`` is shown. ``key`` names the number for tests and tools (``data-key``).
    """

    of: Count | Sum | Target
    fmt: str = "n2"
    den: Any = None
    target: str | None = None
    alt: str | None = None
    key: str = ""

    def to_json(self) -> dict:
        out: dict[str, Any] = {"v": self.of.to_json(), "f": self.fmt, "k": html.escape(self.key)}
        if self.target is not None:
            out["d"] = {"target": self.target}
        elif self.den is not None:
            out["d"] = self.den.to_json() if hasattr(self.den, "to_json") else float(self.den)
        if self.alt is not None:
            out["alt"] = html.escape(self.alt)
        return out


@dataclass(frozen=True)
class If:
    """``then`` parts when the condition holds, else ``otherwise``: ``target="x"`` (the year
    has that target) or ``zero=Count(...)`` (the count or sum is 0)."""

    then: Sequence[Any]
    otherwise: Sequence[Any] = ()
    target: str | None = None
    zero: Count | Sum | None = None

    def to_json(self) -> dict:
        cond = {"target": self.target} if self.target else {"zero": self.zero.to_json()}
        return {"if": cond, "then": _parts(self.then), "else": _parts(self.otherwise)}


def parts(template: str, **values: Any) -> list:
    """Panel parts from a translated text with named fields: ``parts(_("{n} pits / {km2}
    km²"), n=Value(...), km2=Value(...))`` - the text around the fields stays as written in
    the interface language."""
    import string

    out: list[Any] = []
    for literal, name, _spec, _conv in string.Formatter().parse(template):
        if literal:
            out.append(literal)
        if name is not None:
            if name not in values:
                raise EcogisError(
                    _("panel text {text!r}: no value for {{{name}}}").format(
                        text=template, name=name
                    )
                )
            out.append(values[name])
    return out


def _parts(parts: Sequence[Any]) -> list:
    out = []
    for p in parts:
        if isinstance(p, str):
            out.append(html.escape(p))
        elif isinstance(p, Value | If):
            out.append(p.to_json())
        else:
            raise EcogisError(
                _("panel part {part!r}: use text, Value(...) or If(...)").format(part=p)
            )
    return out


def _check_layer(m: EcogisMap, name: str, cols: Sequence[str] = ()) -> None:
    data = m.layers_data.get(name)
    if data is None:
        raise LayerError(
            _("map: no layer {name!r}; layers: {known}").format(
                name=name, known=", ".join(m.layers_data) or "(none)"
            )
        )
    src = m.layers_data[data.ref] if data.ref else data
    missing = [c for c in cols if c not in src.data_fields]
    if missing:
        raise LayerError(
            _("map layer {name!r}: {missing} not among its data_fields ({have})").format(
                name=name, missing=", ".join(missing), have=", ".join(src.data_fields) or "none"
            )
        )


def _agg_layers(parts) -> list[tuple[str, list[str]]]:
    """Layers and columns the parts use (checked before the page is written)."""
    found = []
    for p in parts:
        if isinstance(p, Value):
            for agg in (p.of, p.den):
                if isinstance(agg, Count | Sum):
                    extra = agg.col if isinstance(agg, Sum) else agg.distinct
                    cols = [*(agg.where or {})] + ([extra] if extra else [])
                    found.append((agg.layer, cols))
        elif isinstance(p, If):
            found += _agg_layers([*p.then, *p.otherwise])
            if p.zero is not None:
                found += _agg_layers([Value(p.zero)])
    return found


def add_search(
    m: EcogisMap,
    targets: Sequence[tuple[str, Sequence[str]] | tuple[str, Sequence[str], str]],
    *,
    placeholder: str | None = None,
) -> None:
    """A search box: ID or name, partial, any case, Chinese or ASCII (NFKC-folded, so full-width
    letters match). Picking a result zooms to the feature and opens its popup.

    ``targets``: ``(layer, columns[, kind])``; the columns must be ``data_fields`` of the
    layer (or of the layer it refers to); ``kind`` is shown after each result.
    """
    _check_map(m, "add_search")
    out = []
    for t in targets:
        layer, cols = t[0], list(t[1])
        _check_layer(m, layer, cols)
        out.append({"layer": layer, "cols": cols, "kind": html.escape(t[2]) if len(t) > 2 else ""})
    m.page["search"] = {
        "targets": out,
        "placeholder": html.escape(placeholder or _("Search ID or name")),
        "none": html.escape(_("No match")),
    }


def add_filter(
    m: EcogisMap,
    key: str,
    label: str,
    *,
    options: Sequence[tuple[Any, str]],
    columns: Mapping[str, str],
    initial: Any = None,
    auto: str | None = None,
) -> None:
    """A drop-down filter: layers keep the rows whose ``columns[layer]`` equals the choice.

    ``options`` are ``(value, label)`` (plus "all" first). ``auto``: a first option that
    follows the time step (``{value}`` in it is replaced by the value it stands for); only
    the ``year`` filter has one.
    """
    _check_map(m, "add_filter")
    for layer, col in columns.items():
        _check_layer(m, layer, [col])
    if any(f["key"] == key for f in m.page["filters"]):
        raise EcogisError(_("map: filter {key!r} is there already").format(key=key))
    m.page["filters"].append(
        {
            "key": key,
            "label": html.escape(label),
            "all": html.escape(_("all")),
            "options": [[v, html.escape(str(lbl))] for v, lbl in options],
            "cols": dict(columns),
            "initial": initial,
            "auto": html.escape(auto) if auto else None,
        }
    )


def add_summary(m: EcogisMap, title: str, rows: Sequence[tuple[str, Sequence[Any]]]) -> None:
    """A panel of rows whose numbers the page computes (they follow filters and time)."""
    _check_map(m, "add_summary")
    for _label, parts in rows:
        for layer, cols in _agg_layers(parts):
            _check_layer(m, layer, cols)
    m.page["summaries"].append(
        {
            "title": html.escape(title),
            "rows": [
                {"label": html.escape(label), "parts": _parts(parts)} for label, parts in rows
            ],
        }
    )


def add_list(
    m: EcogisMap,
    title: str,
    layer: str,
    *,
    text: Sequence[str],
    where: Mapping[str, Any] | None = None,
    target: str | None = None,
    empty: str | None = None,
) -> None:
    """A list of the rows of ``layer`` that pass the filters and ``where`` (the pits left,
    the sites that failed); a click zooms to the feature of ``target`` (default ``layer``)
    and opens its popup. ``{n}`` in the title is the number listed."""
    _check_map(m, "add_list")
    _check_layer(m, layer, [*text, *(where or {})])
    if target is not None:
        _check_layer(m, target)
    m.page["lists"].append(
        {
            "title": html.escape(title),
            "layer": layer,
            "target": target,
            "text": list(text),
            "where": _where(where),
            "empty": html.escape(empty or _("None")),
        }
    )


def add_progress_chart(
    m: EcogisMap,
    title: str,
    layer: str,
    *,
    group: str,
    groups: Sequence[str],
    num: str,
    den: str,
    where: Mapping[str, Any] | None = None,
    target: float = 100.0,
) -> None:
    """Bars of ``100 * sum(num) / sum(den)`` per value of ``group`` (completion per township),
    computed in the page so they follow filters and time."""
    _check_map(m, "add_progress_chart")
    _check_layer(m, layer, [group, num, den, *(where or {})])
    m.page["charts"].append(
        {
            "title": html.escape(title),
            "layer": layer,
            "group": group,
            "groups": [
                [g, html.escape(g if len(g) <= 9 else g[:8] + "…"), len(g)]
                for g in map(str, groups)
            ],
            "num": num,
            "den": den,
            "where": _where(where),
            "target": target,
            "unit": "%",
        }
    )


def set_targets(m: EcogisMap, targets: Mapping[Any, Mapping[str, Any]], year: int | None) -> None:
    """The yearly targets panels divide by (``Value(target=...)``) and the year shown when
    there is no time line."""
    m.page["targets"] = {
        str(y): {k: float(v) for k, v in t.items() if v is not None} for y, t in targets.items()
    }
    m.page["year"] = year


@dataclass(frozen=True)
class TimeStep:
    """The state of some layers on one date.

    ``frames``: layer name -> a frame with the layer's key column and the columns its style,
    popup, tooltip and data use (as given to ``add_polygons``); layers referring to one
    (``ref``) follow it. Rows whose key is missing from the frame do not exist yet.
    """

    date: str
    label: str
    year: int
    frames: Mapping[str, Any]


def add_timeline(
    m: EcogisMap, steps: Sequence[TimeStep], *, title: str, initial: int | None = None
) -> None:
    """A slider over ``steps``: moving it swaps the layers' state and redraws features,
    colours, popups, panels and lists. ``initial``: the step shown first (default the last).
    """
    _check_map(m, "add_timeline")
    if not steps:
        raise EcogisError(_("map: a time line needs at least one step"))
    states: list[dict[str, dict]] = [{} for _step in steps]
    for i, step in enumerate(steps):
        for name, frame in step.frames.items():
            data = m.layers_data.get(name)
            if data is None or data.ref is not None or data.key is None:
                raise LayerError(
                    _("map: time line layer {name!r} must be a layer added with key=").format(
                        name=name
                    )
                )
            for layer in [data, *(m.layers_data[c] for c in data.children)]:
                states[i][layer.name] = _state(layer, data, frame)
    # ship per step only what changes over the time line (the rest is in the layer already)
    names = {n for s in states for n in s}
    patches: list[dict[str, dict]] = [{} for _step in steps]
    for name in names:
        per = [s.get(name) for s in states]
        base = per[-1]
        for field in base:
            cols = (
                [(k, [p[field][k] for p in per]) for k in base[field]]
                if isinstance(base[field], dict)
                else [(None, [p[field] for p in per])]
            )
            for sub, values in cols:
                if all(v == values[0] for v in values) and _same_as_layer(
                    m.layers_data[name], field, sub, values[0]
                ):
                    continue
                for i, v in enumerate(values):
                    target = patches[i].setdefault(name, {})
                    encoded = _encode_column(v)
                    if sub is None:
                        target[field] = encoded
                    else:
                        target.setdefault(field, {})[str(sub)] = encoded
    m.page["time"] = {
        "title": html.escape(title),
        "i": len(steps) - 1 if initial is None else int(initial),
        "steps": [
            {"d": s.date, "l": html.escape(s.label), "y": int(s.year), "p": patches[i]}
            for i, s in enumerate(steps)
        ],
    }


def _same_as_layer(layer, field: str, sub, values) -> bool:
    """True when a state column equals what the layer shipped (nothing to patch)."""
    p = layer.payload
    if field == "s":
        return values == (p.get("s") or [0] * layer.rows)
    if field == "x":
        return all(values)
    if field == "a":
        return values == _decode(p.get("a", {}).get(sub))
    if field == "p":
        return values == _decode((p.get("p") or [])[int(sub)])
    if field == "h":
        return values == _decode(p.get("h")) if not isinstance(p.get("h"), int) else True
    return False


def _decode(c):
    return [c["v"][i] for i in c["i"]] if isinstance(c, dict) else c


def _state(layer, src, frame) -> dict:
    """One layer's columns for a frame of ``src``'s rows (matched by key)."""
    import pandas as pd

    keyed = pd.DataFrame(frame).drop_duplicates(src.key, keep="last").set_index(src.key, drop=False)
    keys = pd.Index(src.keys)
    exists = keys.isin(keyed.index)
    rows = keyed.reindex(keys)
    records = _records(rows)
    out: dict[str, Any] = {"x": [int(e) for e in exists]}
    # rows that do not exist keep the style they have: they are not drawn anyway
    styles = layer.style_ids(rows.loc[exists]) if callable(layer.style) else []
    it = iter(styles)
    base = layer.payload.get("s") or [0] * layer.rows
    out["s"] = [next(it) if e else base[i] for i, e in enumerate(exists)]
    if layer.ref is None:
        out["p"] = {
            i: [_fmt(r.get(c)) if e else _fmt(None) for r, e in zip(records, exists, strict=True)]
            for i, c in enumerate(src.popup_cols)
        }
        out["a"] = {
            c: _raw([r.get(c) if e else None for r, e in zip(records, exists, strict=True)])
            for c in src.data_fields
        }
        if src.tooltip_field and src.tooltip_field not in src.popup_cols:
            out["h"] = [_fmt(r.get(src.tooltip_field)) for r in records]
    return out

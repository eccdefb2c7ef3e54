"""Land classes (地类) of the land survey: select patches by class code, split areas by class.

A bureau's base layer is the land-use map of the third national land survey (三调 地类图斑,
``DLTB``): patches with a class code ``DLBM`` and name ``DLMC`` (``ecogis/data/sandiao_classes.csv``
lists the codes, with their source). Rules are written in classes ("no 耕地 under the arrays"),
so a check can take only the patches whose code matches (:func:`select_classes`), and every job
can tell how much of a site, a conflict or a plot is 旱地, 天然牧草地 or 沙地
(:func:`area_by_class`, :func:`class_totals`).

Class specs
-----------
A list of codes. A code selects itself and the classes under it in the classification: ``01``
(耕地) is 0101, 0102 and 0103, ``0301`` (乔木林地) includes 0301K (可调整乔木林地). A trailing
``*`` matches by prefix: ``03*`` is every code starting with 03 (0303 红树林地 too, which the
三调 working classification files under 00 湿地). ``["01*", "0301", "0302"]`` is every
cultivated-land code and two forest codes. ``where`` filters on other attributes:
``{"GMFGD": {"gt": 0.3}}`` (numbers: ``gt``, ``ge``, ``lt``, ``le``, ``eq``, ``ne``) or
``{"ZLDWMC": ["某村"]}`` (a list: the values allowed).
"""

from __future__ import annotations

import csv
import difflib
import functools
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import ConfigError, EcogisWarning, LayerError
from .i18n import N_, _, ngettext
from .model import TOTAL, TOTAL_LABEL
from .units import m2_to_mu

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from .tables import Column

__all__ = [
    "CLASS_FIELD",
    "CLASS_NAME_FIELD",
    "WHERE_OPERATORS",
    "BY_CLASS_COLUMNS",
    "BY_CLASS_LABELS",
    "BY_CLASS_SHEET",
    "class_table",
    "class_name",
    "first_level",
    "normalize_code",
    "normalized_codes",
    "match_codes",
    "unknown_codes",
    "unmatched_codes",
    "suggest_code",
    "suggest_codes",
    "select_classes",
    "describe_classes",
    "area_by_class",
    "class_totals",
    "describe_totals",
    "by_class_columns",
    "LanduseLayer",
    "landuse_layer",
]

#: default class code and class name fields of a land-use layer (三调 DLTB)
CLASS_FIELD = "DLBM"
CLASS_NAME_FIELD = "DLMC"
#: comparisons a ``where`` filter may use on numbers
WHERE_OPERATORS = {
    "gt": np.greater,
    "ge": np.greater_equal,
    "lt": np.less,
    "le": np.less_equal,
    "eq": np.equal,
    "ne": np.not_equal,
}
#: the class columns of :func:`area_by_class` (after the objects' key columns)
BY_CLASS_COLUMNS = ("class_code", "class_name", "area_m2", "area_mu", "share")
#: column -> title for people (tables, GPKG column titles), shown with ``_()``
BY_CLASS_LABELS = {
    "class_code": N_("Class code"),
    "class_name": N_("Class name"),
    "area_m2": N_("Area (m²)"),
    "area_mu": N_("Area (mu)"),
    "share": N_("Share"),
}
#: the name of the by-class sheet of a workbook (shown with ``_()``: 地类构成 in Chinese)
BY_CLASS_SHEET = N_("by_class")

_DATA = Path(__file__).resolve().parent / "data" / "sandiao_classes.csv"


@functools.lru_cache(maxsize=1)
def class_table() -> dict[str, tuple[str, int, str]]:
    """Code -> (name, level, parent code) of every class of the land survey's classification."""
    with open(_DATA, encoding="utf-8", newline="") as fh:
        return {r["code"]: (r["name"], int(r["level"]), r["parent"]) for r in csv.DictReader(fh)}


@functools.lru_cache(maxsize=1)
def _ancestors() -> dict[str, frozenset[str]]:
    """Code -> the codes above it in the classification (0301K -> {0301, 03})."""
    table = class_table()
    out = {}
    for code in table:
        seen, up = set(), table[code][2]
        while up and up in table and up not in seen:
            seen.add(up)
            up = table[up][2]
        out[code] = frozenset(seen)
    return out


def normalize_code(code: Any) -> str:
    """A class code as text: ``103`` (a number column lost the leading zero) -> ``0103``;
    ``0301k`` -> ``0301K``."""
    if code is None:
        return ""
    if isinstance(code, float):
        if not math.isfinite(code):
            return ""
        if code.is_integer():
            code = int(code)
    text = str(code).strip().upper()
    if text.isdigit() and len(text) in (1, 3) and text.zfill(len(text) + 1) in class_table():
        text = text.zfill(len(text) + 1)
    return text


_norm = normalize_code


def class_name(code: Any) -> str:
    """The name of a class code (``0103`` -> 旱地; ``0301K`` -> 可调整乔木林地), else ``""``."""
    entry = class_table().get(_norm(code))
    return entry[0] if entry else ""


def first_level(code: Any) -> str:
    """The first-level class of a code (``0103`` -> ``01``; ``0303`` -> ``00``, 湿地)."""
    code = _norm(code)
    table = class_table()
    while code in table and table[code][2]:
        code = table[code][2]
    return code if code in table else code[:2]


def _split_spec(spec: Sequence[Any]) -> tuple[set[str], list[str]]:
    exact, prefixes = set(), []
    for item in spec:
        text = str(item).strip().upper()
        if text.endswith("*"):
            prefixes.append(text[:-1])
        else:
            exact.add(_norm(text))
    return exact, prefixes


def _matches(code: str, exact: set[str], prefixes: list[str]) -> bool:
    if code in exact or any(code.startswith(p) for p in prefixes):
        return True
    return bool(exact & _ancestors().get(code, frozenset()))


def match_codes(spec: Sequence[Any], values: Sequence[Any]) -> np.ndarray:
    """Which ``values`` (class codes of patches) a class spec selects (see the module doc)."""
    exact, prefixes = _split_spec(spec)
    uniq, inverse = _distinct(values)
    # a layer has few distinct codes: decide each once
    hit = np.array([_matches(_norm(c), exact, prefixes) for c in uniq], dtype=bool)
    return hit[inverse] if len(inverse) else np.zeros(0, dtype=bool)


def _distinct(values: Sequence[Any]) -> tuple[list[Any], np.ndarray]:
    """The distinct values and, per value, the position of its distinct value (missing
    values become None)."""
    import pandas as pd

    inverse, uniq = pd.factorize(pd.Series(list(values), dtype=object), use_na_sentinel=False)
    return [None if not _present(u) else u for u in uniq], np.asarray(inverse, dtype=np.int64)


def normalized_codes(values: Sequence[Any]) -> np.ndarray:
    """:func:`normalize_code` of every value (object array), each distinct value once."""
    uniq, inverse = _distinct(values)
    norm = np.array([_norm(u) for u in uniq], dtype=object)
    return norm[inverse] if len(inverse) else np.zeros(0, dtype=object)


def unknown_codes(spec: Sequence[Any]) -> list[str]:
    """Codes of a spec that the classification does not know (a prefix: that no code starts
    with): typos, which config validation refuses."""
    table = class_table()
    out = []
    for item in spec:
        text = str(item).strip().upper()
        if text.endswith("*"):
            if not any(code.startswith(text[:-1]) for code in table):
                out.append(str(item))
        elif _norm(text) not in table:
            out.append(str(item))
    return out


def unmatched_codes(spec: Sequence[Any], values: Sequence[Any]) -> list[str]:
    """Codes of a spec that select none of ``values`` (the class codes a layer holds)."""
    present = set(normalized_codes(values).tolist())
    out = []
    for item in spec:
        exact, prefixes = _split_spec([item])
        if not any(_matches(c, exact, prefixes) for c in present):
            out.append(str(item))
    return out


def suggest_code(text: Any) -> str | None:
    """What an unknown code probably meant: the first of :func:`suggest_codes`, or None."""
    found = suggest_codes(text, limit=1)
    return found[0] if found else None


def suggest_codes(text: Any, *, limit: int = 2) -> list[str]:
    """Codes an unknown code probably meant, best first: the code of a class *name* (``旱地``
    -> ``0103``), codes with two neighbouring digits swapped (``0130`` -> ``0103``), codes one
    character off (those of the same first-level class first), else the code of the closest
    name."""
    table = class_table()
    raw = str(text).strip().rstrip("*")
    by_name = {name: code for code, (name, _level, _parent) in table.items()}
    if raw in by_name:
        return [by_name[raw]]
    code = raw.upper()
    same = [c for c in table if len(c) == len(code)]
    swapped = [c for c in same if _swapped(c, code)]
    one_off = [c for c in same if sum(a != b for a, b in zip(c, code, strict=True)) == 1]
    # the same first-level class first; within it a swap before a wrong digit
    found = sorted(
        dict.fromkeys([*swapped, *one_off]), key=lambda c: (c[:2] != code[:2], c not in swapped)
    )
    if not found:
        close = difflib.get_close_matches(raw, list(by_name), n=limit, cutoff=0.6)
        found = [by_name[n] for n in close]
    return found[:limit]


def _swapped(a: str, b: str) -> bool:
    """``a`` is ``b`` with two neighbouring characters swapped."""
    diff = [k for k in range(len(a)) if a[k] != b[k]]
    if len(diff) != 2 or diff[1] != diff[0] + 1:
        return False
    i, j = diff
    return a[i] == b[j] and a[j] == b[i]


def select_classes(
    gdf: gpd.GeoDataFrame,
    *,
    classes: Sequence[Any] | None = None,
    where: Mapping[str, Any] | None = None,
    class_field: str = CLASS_FIELD,
    name: str = "landuse",
) -> gpd.GeoDataFrame:
    """The patches of ``gdf`` whose class matches ``classes`` and whose attributes pass
    ``where`` (both optional).

    Raises
    ------
    LayerError
        A field named by ``class_field`` or ``where`` is not a column of the layer.
    ConfigError
        A ``where`` comparison the layer's values cannot make (an unknown operator).
    """
    keep = np.ones(len(gdf), dtype=bool)
    if classes is not None:
        _require(gdf, class_field, name)
        keep &= match_codes(classes, gdf[class_field].tolist())
    for field, test in (where or {}).items():
        _require(gdf, field, name)
        values = gdf[field]
        if isinstance(test, Mapping):
            import pandas as pd

            numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
            for op, bound in test.items():
                if op not in WHERE_OPERATORS:
                    raise ConfigError(
                        _("where.{field}: unknown comparison {op!r}; allowed: {allowed}").format(
                            field=field, op=op, allowed=", ".join(WHERE_OPERATORS)
                        )
                    )
                with np.errstate(invalid="ignore"):
                    keep &= WHERE_OPERATORS[op](numbers, float(bound)) & ~np.isnan(numbers)
        else:
            allowed = {_text(v) for v in (test if isinstance(test, (list, tuple)) else [test])}
            keep &= np.fromiter((_text(v) in allowed for v in values), dtype=bool, count=len(gdf))
    return gdf.loc[keep]


def _text(value: Any) -> str:
    """A value as ``where`` lists compare it: ``3.0`` and ``3`` alike, missing values as ""."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def _require(gdf, field: str, name: str) -> None:
    if field not in gdf.columns:
        cols = ", ".join(str(c) for c in gdf.columns if c != gdf.geometry.name)
        raise LayerError(
            _("{layer}: no field {field!r} (class codes / filter); fields: {fields}").format(
                layer=name, field=field, fields=cols or _("(none)")
            )
        )


def describe_classes(
    codes: Sequence[Any],
    areas_m2: Sequence[float] | None = None,
    *,
    names: Sequence[Any] | None = None,
    limit: int | None = None,
) -> str:
    """``0103 旱地 85.2 亩、1205 沙地 12.0 亩``: the classes found, largest first, for reasons.

    Without ``areas_m2`` only codes and names (``0103 旱地、0102 水浇地``), in the order given;
    with ``limit`` at most that many classes, then ``等 N 类`` for the rest.
    """
    codes = list(codes)
    areas_m2 = None if areas_m2 is None else [float(a) for a in areas_m2]
    names = None if names is None else list(names)
    per: dict[str, list] = {}
    for k, code in enumerate(codes):
        c = _norm(code)
        given = str(names[k]) if names is not None and _present(names[k]) else ""
        entry = per.setdefault(c, [given or class_name(c), 0.0])
        if areas_m2 is not None:
            entry[1] += float(areas_m2[k])
    parts = list(per.items())
    if areas_m2 is not None:
        parts.sort(key=lambda kv: -kv[1][1])
    shown = parts if limit is None else parts[:limit]
    if areas_m2 is None:
        texts = [_("{code} {name}").format(code=c, name=n).strip() for c, (n, _a) in shown]
    else:
        texts = [
            _("{code} {name} {mu} mu").format(code=c, name=n, mu=f"{m2_to_mu(a):,.1f}")
            for c, (n, a) in shown
        ]
    text = _("、").join(texts)
    if len(shown) < len(parts):
        text += _(" and {n} more classes").format(n=len(parts) - len(shown))
    return text


def _present(value: Any) -> bool:
    if value is None:
        return False
    try:
        return bool(value == value) and str(value) != ""
    except (TypeError, ValueError):
        return True


# ------------------------------------------------------------------------ area by class


def area_by_class(
    objects: gpd.GeoDataFrame,
    landuse: gpd.GeoDataFrame,
    *,
    ids: Sequence[Any] | pd.DataFrame | None = None,
    class_field: str = CLASS_FIELD,
    name_field: str | None = CLASS_NAME_FIELD,
    engine=None,
    keep_geometry: bool = False,
    name: str = "landuse",
    check_tiling: bool = False,
) -> pd.DataFrame:
    """How much of each object lies on each land class: one row per object and class.

    The exact overlay engine measures every object against the patches (containment shortcut,
    crossing pairs only intersected), and areas are summed per object and class code. The
    patches of a land-use layer tile the land without overlapping, so the classes of an object
    add up to the part of it that the layer covers (patches that overlap each other would be
    counted twice).

    Parameters
    ----------
    objects, landuse : GeoDataFrame
        Sites, conflicts or plots, and the land-use patches, in one projected CRS in metres.
    ids : sequence or DataFrame, optional
        What names each object: a sequence gives an ``id`` column; a DataFrame (one row per
        object, e.g. ``layer_a, id_a, layer_b, id_b``) gives its columns. Default: the
        position, from 1, as ``id``.
    class_field, name_field : str
        The patches' class code and class name fields (the name falls back to the
        classification's when the field is missing or empty).
    engine : Engine, optional
        Overlay engine (default: local threads).
    keep_geometry : bool
        Also return each object's part on each class (a GeoDataFrame): the pieces of the
        patches inside the object, dissolved per class.
    name : str
        The land-use layer in messages.
    check_tiling : bool
        Warn (:class:`~ecogis.errors.EcogisWarning`) about objects whose classes add up to
        more than the object (patches that overlap) or to less (the layer does not cover all
        of it): for a table that should add up.

    Returns
    -------
    DataFrame or GeoDataFrame
        The id column(s), then ``class_code, class_name, area_m2, area_mu, share`` (share of
        the object's area); objects in their order, classes largest first. The index is the
        object's position in ``objects``.

    Raises
    ------
    LayerError
        ``class_field`` is not a column of ``landuse``.
    """
    import pandas as pd
    import shapely

    _require(landuse, class_field, name)
    if engine is None:
        from .overlay import get_engine

        engine = get_engine("local")
    keys = _keys(objects, ids)
    obj = objects.reset_index(drop=True)
    land = landuse.reset_index(drop=True)
    pairs = engine.intersect_pairs(obj, land, keep_geometry=keep_geometry)
    columns = [*keys.columns, *BY_CLASS_COLUMNS]
    if len(pairs) == 0:
        if check_tiling:
            _warn_tiling(None, np.asarray(obj.geometry.area, dtype=float), keys, name)
        empty = pd.DataFrame({c: pd.Series(dtype=_dtype(c, keys)) for c in columns})
        if keep_geometry:
            import geopandas as gpd

            return gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([], crs=objects.crs))
        return empty
    # classes as integers: a layer has a few dozen codes for its 10^5 patches
    code_of, cls = _class_index(land, class_field, name_field)
    li = pairs["idx_left"].to_numpy()
    ci = cls[pairs["idx_right"].to_numpy()]
    pair_area = pairs["area_m2"].to_numpy(dtype=float)
    ncls = max(1, len(code_of))
    uniq, inverse = np.unique(li * ncls + ci, return_inverse=True)
    sums = np.bincount(inverse, weights=pair_area, minlength=len(uniq))
    obj_of, cls_of = uniq // ncls, uniq % ncls
    whole = np.asarray(shapely.area(np.asarray(obj.geometry.values, dtype=object)), dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = sums / np.where(whole > 0, whole, np.nan)[obj_of]
    grouped = pd.DataFrame(
        {
            "obj": obj_of,
            "class_code": code_of[cls_of, 0],
            "class_name": code_of[cls_of, 1],
            "area_m2": sums,
            "area_mu": m2_to_mu(sums),
            "share": share,
        }
    )
    geometry = None
    if keep_geometry:
        # an object whose classes add up to no more than its area has no overlapping patches
        # under it: its pieces form a coverage, united without overlay
        total = np.bincount(li, weights=pair_area, minlength=len(whole))
        clean = (total <= whole * (1 + OVERLAP_TOLERANCE) + 1e-6)[obj_of]
        geometry = _dissolve(pairs.geometry.values, inverse, len(uniq), clean)
    if check_tiling:
        _warn_tiling(grouped, whole, keys, name)
    order = np.lexsort((-grouped["area_m2"].to_numpy(), grouped["obj"].to_numpy()))
    grouped = grouped.iloc[order]
    out = pd.concat(
        [
            keys.iloc[grouped["obj"].to_numpy()].reset_index(drop=True),
            grouped.reset_index(drop=True),
        ],
        axis=1,
    )
    out.index = grouped["obj"].to_numpy()
    out = out[columns]
    if keep_geometry:
        import geopandas as gpd

        return gpd.GeoDataFrame(out, geometry=geometry[order], crs=objects.crs)
    return out


#: classes of an object adding up to more than its area by this share: the patches overlap
OVERLAP_TOLERANCE = 1e-6


def _warn_tiling(grouped, whole: np.ndarray, keys, name: str) -> None:
    """Warn when an object's classes add up to more than the object (patches that overlap are
    counted twice: a land-use layer should tile the land) or to less (part of it lies where
    the layer has no patch)."""
    if grouped is None:
        total = np.zeros(len(whole))
    else:
        total = np.bincount(
            grouped["obj"].to_numpy(), weights=grouped["area_m2"].to_numpy(), minlength=len(whole)
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(whole > 0, total / whole, 1.0)
    over = np.flatnonzero(share > 1 + OVERLAP_TOLERANCE)
    under = np.flatnonzero(share < 1 - OVERLAP_TOLERANCE)

    def named(rows):
        first = keys.iloc[rows[:5]].astype(str).agg(" ".join, axis=1).tolist()
        return ", ".join(first) + (" ..." if len(rows) > 5 else "")

    if len(over):
        warnings.warn(
            ngettext(
                "{layer}: patches overlap under {n} object ({objects}): its classes add up to "
                "{pct} of it, the overlap counted once per patch; check the layer's topology",
                "{layer}: patches overlap under {n} objects ({objects}): their classes add up "
                "to up to {pct} of them, the overlap counted once per patch; check the layer's "
                "topology",
                len(over),
            ).format(
                layer=name,
                n=len(over),
                objects=named(over),
                pct=f"{100 * float(share[over].max()):.1f}%",
            ),  # fmt: skip
            EcogisWarning,
            stacklevel=3,
        )
    if len(under):
        warnings.warn(
            ngettext(
                "{layer} covers {n} object only in part ({objects}: {pct} of it); its classes "
                "add up to that part, the rest lies where the layer has no patch",
                "{layer} covers {n} objects only in part ({objects}: down to {pct}); their "
                "classes add up to those parts, the rest lies where the layer has no patch",
                len(under),
            ).format(
                layer=name,
                n=len(under),
                objects=named(under),
                pct=f"{100 * float(share[under].min()):.1f}%",
            ),  # fmt: skip
            EcogisWarning,
            stacklevel=3,
        )


def _class_index(land, class_field: str, name_field: str | None) -> tuple[np.ndarray, np.ndarray]:
    """``(table, index)``: one row (code, name) per class code of the layer, and each patch's
    row. The name is the layer's own (``name_field``, its first non-empty value for the
    code), else the classification's."""
    import pandas as pd

    codes = normalized_codes(land[class_field].tolist())
    index, uniq = pd.factorize(pd.Series(codes, dtype=object), use_na_sentinel=False)
    names = [""] * len(uniq)
    if name_field and name_field in land.columns:
        given = land[name_field].astype(object).where(land[name_field].notna(), "")
        found = pd.DataFrame({"k": index, "n": given.astype(str).str.strip().to_numpy()})
        found = found[found["n"] != ""].drop_duplicates("k")
        for k, n in zip(found["k"], found["n"], strict=True):
            names[int(k)] = n
    table = np.array(
        [(str(c), n or class_name(c)) for c, n in zip(uniq, names, strict=True)], dtype=object
    ).reshape(-1, 2)
    return table, np.asarray(index, dtype=np.int64)


def _keys(objects, ids) -> pd.DataFrame:
    import pandas as pd

    if ids is None:
        return pd.DataFrame({"id": np.arange(1, len(objects) + 1)})
    if isinstance(ids, pd.DataFrame):
        if len(ids) != len(objects):
            raise ValueError(f"area_by_class: {len(ids)} id rows for {len(objects)} objects")
        return ids.reset_index(drop=True)
    ids = list(ids)
    if len(ids) != len(objects):
        raise ValueError(f"area_by_class: {len(ids)} ids for {len(objects)} objects")
    return pd.DataFrame({"id": ids})


def _dtype(column: str, keys) -> Any:
    if column in keys.columns:
        return keys[column].dtype
    return float if column in ("area_m2", "area_mu", "share") else object


def _dissolve(pieces: np.ndarray, group: np.ndarray, n: int, clean: np.ndarray) -> np.ndarray:
    """One geometry per group: the group's pieces united (a single piece as it is).

    Pieces of a ``clean`` group do not overlap (parts of one object on patches that tile the
    land): GEOS' coverage union joins them along their shared edges, several times faster than
    an overlay union; where it cannot (edges that do not match vertex for vertex) or gives an
    invalid result, and for the other groups, :func:`shapely.union_all` does it."""
    import shapely
    from shapely.errors import GEOSException

    pieces = np.asarray(pieces, dtype=object)
    out = np.empty(n, dtype=object)
    order = np.argsort(group, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(group[order]) != 0])
    ends = np.r_[starts[1:], len(order)]
    for s, e in zip(starts, ends, strict=True):
        members = pieces[order[s:e]]
        g = group[order[s]]
        if e - s == 1:
            out[g] = members[0]
            continue
        merged = None
        if clean[g]:
            try:
                merged = shapely.coverage_union_all(members)
            except GEOSException:
                merged = None
            if merged is not None and not shapely.is_valid(merged):
                merged = None
        out[g] = merged if merged is not None else shapely.union_all(members)
    return out


def class_totals(
    by_class: pd.DataFrame,
    objects: pd.DataFrame,
    *,
    group: str | None = None,
) -> pd.DataFrame:
    """The by-class table with its totals, as people read it.

    After each object's classes comes its total (``class_code`` :data:`~ecogis.model.TOTAL`:
    the part of the object the land-use layer covers, share 100% when it covers it all); an
    object on no patch gets only that row, with 0. Then, for every value of ``group`` (e.g.
    the plots' kind), and at the end for all objects, the area of each class over the objects
    (first key column :data:`TOTAL`) and its total.

    Parameters
    ----------
    by_class : DataFrame
        From :func:`area_by_class` (its index: the object's position).
    objects : DataFrame
        One row per object, in order: the same key columns, plus ``object_m2`` (its area) and
        the ``group`` column when given.
    group : str, optional
        A column of ``objects`` whose values get totals of their own.

    Returns
    -------
    DataFrame
        The key columns (and ``group``), ``class_code, class_name, area_m2, area_mu, share``;
        no geometry.
    """
    import pandas as pd

    keys = [c for c in objects.columns if c not in ("object_m2", group)]
    cols = [*keys, *([group] if group else []), *BY_CLASS_COLUMNS]
    table = pd.DataFrame(by_class.drop(columns="geometry", errors="ignore"))
    area = objects["object_m2"].to_numpy(dtype=float)
    pos = table.index.to_numpy()
    if group:
        table[group] = objects[group].to_numpy()[pos] if len(table) else []
    rows: list[dict] = []
    covered = np.bincount(pos, weights=table["area_m2"].to_numpy(dtype=float), minlength=len(area))
    starts = {p: i for i, p in reversed(list(enumerate(pos)))}
    counts = np.bincount(pos, minlength=len(area))
    records = table[cols].to_dict("records")
    for k in range(len(objects)):
        first = starts.get(k)
        if first is not None:
            rows.extend(records[first : first + counts[k]])
        total = {c: objects[c].iloc[k] for c in keys}
        if group:
            total[group] = objects[group].iloc[k]
        rows.append(total | _total_row(TOTAL, "", covered[k], area[k]))

    def overall(sub: pd.DataFrame, whole: float, label: Any) -> None:
        lead = {c: "" for c in keys} | {keys[0]: TOTAL}
        if group:
            lead[group] = label
        per = (
            sub.groupby("class_code", sort=False)
            .agg(area_m2=("area_m2", "sum"), class_name=("class_name", "first"))
            .sort_values("area_m2", ascending=False, kind="stable")
        )
        for code, r in per.iterrows():
            rows.append(lead | _total_row(code, r["class_name"], r["area_m2"], whole))
        rows.append(lead | _total_row(TOTAL, "", float(sub["area_m2"].sum()), whole))

    if group:
        for value in dict.fromkeys(objects[group].tolist()):
            mine = objects[group].to_numpy() == value
            overall(table[table[group] == value], float(area[mine].sum()), value)
    overall(table, float(area.sum()), TOTAL if group else None)
    out = pd.DataFrame(rows, columns=cols)
    for c in ("area_m2", "area_mu", "share"):
        out[c] = pd.to_numeric(out[c]).astype(float)
    out.attrs["group"] = group  # for describe_totals
    return out


def describe_totals(totals: pd.DataFrame, *, limit: int = 4) -> str:
    """The classes over all objects of a :func:`class_totals` table, largest first, for a
    summary line (``1205 沙地 10,500.0 亩、0401 天然牧草地 2,940.0 亩 and 2 more classes``)."""
    key = totals.columns[0]
    rows = totals[(totals[key] == TOTAL) & (totals["class_code"] != TOTAL)]
    group = totals.attrs.get("group")
    if group:  # per-group totals come first: the overall ones are the last block
        rows = rows[rows[group] == TOTAL]
    if rows.empty:
        return _("(none)")
    return describe_classes(
        rows["class_code"], rows["area_m2"], names=rows["class_name"], limit=limit
    )


def _total_row(code: Any, name: str, area_m2: float, whole_m2: float) -> dict:
    share = area_m2 / whole_m2 if whole_m2 > 0 else float("nan")
    return {
        "class_code": code,
        "class_name": name,
        "area_m2": float(area_m2),
        "area_mu": float(m2_to_mu(area_m2)),
        "share": share,
    }


def by_class_columns(keys: Sequence[Column]) -> list[Column]:
    """The columns of a by-class table for people: the objects' ``keys``, then the class
    code (合计 on total rows), name, m², mu and share."""
    from .tables import Column

    return [
        *keys,
        Column("class_code", BY_CLASS_LABELS["class_code"], labels={TOTAL: TOTAL_LABEL}),
        Column("class_name", BY_CLASS_LABELS["class_name"]),
        Column("area_m2", BY_CLASS_LABELS["area_m2"], "m2"),
        Column("area_mu", BY_CLASS_LABELS["area_mu"], "mu"),
        Column("share", BY_CLASS_LABELS["share"], "share"),
    ]


# ------------------------------------------------------------------------ the layer of a run


@dataclass(frozen=True)
class LanduseLayer:
    """A land-use layer of a project, ready to split areas by (see :func:`landuse_layer`).

    Attributes
    ----------
    name : str
        Its key in the config.
    frame : GeoDataFrame
        The patches in the working CRS.
    class_field, name_field : str
        The class code and class name fields (``DLBM``, ``DLMC`` by default).
    label : str
        Its label for people.
    """

    name: str
    frame: gpd.GeoDataFrame
    class_field: str
    name_field: str | None
    label: str

    def split(self, objects: gpd.GeoDataFrame, ids: pd.DataFrame, *, engine=None):
        """Each object's area by class with its part on the class (:func:`area_by_class`
        with ``keep_geometry``), warning where patches overlap or leave an object uncovered:
        what ``--by-class`` writes for sites, conflicts and plots."""
        return area_by_class(
            objects,
            self.frame,
            ids=ids,
            class_field=self.class_field,
            name_field=self.name_field,
            engine=engine,
            keep_geometry=True,
            name=self.label,
            check_tiling=True,
        )


def landuse_layer(project, name: str, *, option: str = "--by-class") -> LanduseLayer:
    """The config layer ``name`` (normally role ``landuse``) to split areas by.

    Raises
    ------
    ConfigError
        No such layer, or it is a raster.
    LayerError
        Its class field is not one of its columns.
    """
    spec = project.spec(name, key=option)
    if spec.is_raster:
        raise ConfigError(
            _(
                "{option} {name}: a raster; land classes come from a vector layer such as the "
                "三调 DLTB (role landuse)"
            ).format(option=option, name=name)  # fmt: skip
        )
    frame = project.layer(name, key=option)
    class_field = getattr(spec, "class_field", None) or CLASS_FIELD
    name_field = getattr(spec, "class_name_field", None) or CLASS_NAME_FIELD
    label = f"{name} ({spec.title})" if spec.label else name
    _require(frame, class_field, label)
    return LanduseLayer(
        name=name,
        frame=frame,
        class_field=class_field,
        name_field=name_field if name_field in frame.columns else None,
        label=spec.title,
    )

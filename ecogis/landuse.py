"""Land classes (地类) of the land survey: select patches by class code, split areas by class.

A bureau's base layer is the land-use map of the third national land survey (三调 地类图斑,
``DLTB``): patches with a class code ``DLBM`` and name ``DLMC`` (``ecogis/data/sandiao_classes.csv``
lists the codes, with their source). Rules are written in classes ("no 耕地 under the arrays"),
so a check can take only the patches whose code matches (:func:`select_classes`), and every job
can tell how much of a site, a conflict or a plot is 旱地, 天然牧草地 or 沙地
(:func:`area_by_class`).

Class specs
-----------
A list of codes; a trailing ``*`` matches a prefix: ``["01*", "0301", "0302"]`` is every
cultivated-land code and two forest codes. ``where`` filters on other attributes:
``{"GMFGD": {"gt": 0.3}}`` (numbers: ``gt``, ``ge``, ``lt``, ``le``, ``eq``, ``ne``) or
``{"ZLDWMC": ["某村"]}`` (a list: the values allowed).
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import ConfigError, LayerError
from .i18n import _
from .units import m2_to_mu

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

__all__ = [
    "CLASS_FIELD",
    "CLASS_NAME_FIELD",
    "WHERE_OPERATORS",
    "class_table",
    "class_name",
    "first_level",
    "match_codes",
    "unknown_codes",
    "select_classes",
    "describe_classes",
    "area_by_class",
    "BY_CLASS_COLUMNS",
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
#: the columns of :func:`area_by_class`
BY_CLASS_COLUMNS = ("id", "class_code", "class_name", "area_m2", "area_mu", "share")

_DATA = Path(__file__).resolve().parent / "data" / "sandiao_classes.csv"


@functools.lru_cache(maxsize=1)
def class_table() -> dict[str, tuple[str, int, str]]:
    """Code -> (name, level, parent code) of every class of the land survey's classification."""
    with open(_DATA, encoding="utf-8", newline="") as fh:
        return {r["code"]: (r["name"], int(r["level"]), r["parent"]) for r in csv.DictReader(fh)}


def _norm(code: Any) -> str:
    """A class code as text: ``103`` (a number column lost the leading zero) -> ``0103``."""
    if code is None:
        return ""
    if isinstance(code, float) and code.is_integer():
        code = int(code)
    text = str(code).strip().upper()
    if text.isdigit() and len(text) in (1, 3) and text.zfill(len(text) + 1) in class_table():
        text = text.zfill(len(text) + 1)
    return text


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


def match_codes(spec: Sequence[Any], values: Sequence[Any]) -> np.ndarray:
    """Which ``values`` (class codes of patches) a class spec selects (see the module doc)."""
    exact, prefixes = set(), []
    for item in spec:
        text = str(item).strip().upper()
        if text.endswith("*"):
            prefixes.append(text[:-1])
        else:
            exact.add(_norm(text))
    codes = np.array([_norm(v) for v in values], dtype=object)
    hit = np.isin(codes, list(exact)) if exact else np.zeros(len(codes), dtype=bool)
    for p in prefixes:
        hit |= np.array([c.startswith(p) for c in codes], dtype=bool)
    return hit


def unknown_codes(spec: Sequence[Any]) -> list[str]:
    """Codes of a spec that the classification does not know (a prefix: that no code starts
    with): probably typos, for config validation to warn about."""
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
        A ``where`` comparison the layer's values cannot make (text compared with ``gt``).
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
            allowed = {str(v) for v in (test if isinstance(test, (list, tuple)) else [test])}
            keep &= values.astype(str).isin(allowed).to_numpy()
    return gdf.loc[keep]


def _require(gdf, field: str, name: str) -> None:
    if field not in gdf.columns:
        cols = ", ".join(str(c) for c in gdf.columns if c != gdf.geometry.name)
        raise LayerError(
            _("{layer}: no field {field!r} (class codes / filter); fields: {fields}").format(
                layer=name, field=field, fields=cols or _("(none)")
            )
        )


def describe_classes(
    codes: Sequence[Any], areas_m2: Sequence[float], *, names: Sequence[Any] | None = None
) -> str:
    """``0103 旱地 85.2 亩、1205 沙地 12.0 亩``: the classes found, largest first, for reasons."""
    per: dict[str, list] = {}
    for k, (code, area) in enumerate(zip(codes, areas_m2, strict=True)):
        c = _norm(code)
        given = str(names[k]) if names is not None and names[k] else ""
        entry = per.setdefault(c, [given or class_name(c), 0.0])
        entry[1] += float(area)
    parts = sorted(per.items(), key=lambda kv: -kv[1][1])
    return _("、").join(
        _("{code} {name} {mu} mu").format(code=c, name=n, mu=f"{m2_to_mu(a):,.1f}")
        for c, (n, a) in parts
    )


def area_by_class(
    objects: gpd.GeoDataFrame,
    landuse: gpd.GeoDataFrame,
    *,
    ids: Sequence[Any] | None = None,
    class_field: str = CLASS_FIELD,
    name_field: str | None = CLASS_NAME_FIELD,
    engine=None,
) -> pd.DataFrame:
    """How much of each object lies on each land class: one row per object and class.

    The exact overlay engine measures every object against the patches (containment shortcut,
    crossing pairs only intersected), and areas are summed per object and class code. The
    patches of a land-use layer tile the land without overlapping, so the classes of an object
    add up to the part of it that the layer covers.

    Parameters
    ----------
    objects, landuse : GeoDataFrame
        Sites, conflicts or plots, and the land-use patches, in one projected CRS in metres.
    ids : sequence, optional
        The objects' ids (default: their position, from 1).
    class_field, name_field : str
        The patches' class code and class name fields (the name falls back to the
        classification's when the field is missing or empty).
    engine : Engine, optional
        Overlay engine (default: local threads).

    Returns
    -------
    DataFrame
        ``id, class_code, class_name, area_m2, area_mu, share`` (share of the object's area),
        objects in their order, classes largest first.
    """
    import pandas as pd

    _require(landuse, class_field, "landuse")
    if engine is None:
        from .overlay import get_engine

        engine = get_engine("local")
    ids = list(range(1, len(objects) + 1)) if ids is None else list(ids)
    obj = objects.reset_index(drop=True)
    land = landuse.reset_index(drop=True)
    pairs = engine.intersect_pairs(obj, land, keep_geometry=False)
    if len(pairs) == 0:
        return pd.DataFrame(columns=list(BY_CLASS_COLUMNS))
    codes = np.array([_norm(v) for v in land[class_field].tolist()], dtype=object)
    names = (
        land[name_field].astype(object).where(land[name_field].notna(), "").astype(str).to_numpy()
        if name_field and name_field in land.columns
        else np.full(len(land), "", dtype=object)
    )
    ri = pairs["idx_right"].to_numpy()
    frame = pd.DataFrame(
        {
            "obj": pairs["idx_left"].to_numpy(),
            "class_code": codes[ri],
            "class_name": names[ri],
            "area_m2": pairs["area_m2"].to_numpy(),
        }
    )
    grouped = (
        frame.groupby(["obj", "class_code"], sort=False)
        .agg(area_m2=("area_m2", "sum"), class_name=("class_name", "first"))
        .reset_index()
    )
    missing = grouped["class_name"] == ""
    grouped.loc[missing, "class_name"] = [class_name(c) for c in grouped.loc[missing, "class_code"]]
    whole = np.asarray(obj.geometry.area, dtype=float)
    grouped["share"] = grouped["area_m2"] / np.where(whole > 0, whole, np.nan)[grouped["obj"]]
    grouped["area_mu"] = m2_to_mu(grouped["area_m2"])
    grouped = grouped.sort_values(["obj", "area_m2"], ascending=[True, False], kind="stable")
    grouped.insert(0, "id", [ids[k] for k in grouped["obj"]])
    return grouped[list(BY_CLASS_COLUMNS)].reset_index(drop=True)

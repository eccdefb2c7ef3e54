"""Project configs: YAML -> validated, frozen objects.

A config names the layers of a project (each with a role), the three control lines,
yearly targets and screening rule sets. Paths are relative to the config file. Every
problem is reported with its key path, e.g. ``rulesets.pv_sand_control.checks[2].buffer_m``.

Only YAML's safe loader is used (refusing duplicate keys): a config can never construct
Python objects.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from .errors import ConfigError

__all__ = [
    "ROLES",
    "AREA_UNITS",
    "TARGET_KEYS",
    "LayerSpec",
    "Check",
    "RuleSet",
    "Config",
    "load_config",
    "parse_config",
    "split_layer_path",
    "is_database_uri",
]

#: what a layer is for
ROLES = {
    "boundary": "study area outline",
    "admin": "townships (乡镇/苏木); name_field names the column with the name",
    "control": "layers a site or plot is checked against (red line, farmland, ...)",
    "zone": "context or inclusion layers (sandy land, grassland, ...)",
    "raster": "GeoTIFF: DEM, NDVI, land cover",
    "pits": "legacy mine pits",
    "plots": "afforestation / enclosure plots",
    "sites": "candidate project sites",
}

AREA_UNITS = ("m2", "mu", "ha", "km2", "wanmu")
TARGET_KEYS = (
    "afforestation_mu",
    "enclosure_mu",
    "grass_planting_mu",
    "pits_km2",
    "pits_count",
)
ON_INVALID = ("fix", "warn", "raise")

# user:password@ or password= in a connection URI
_PASSWORD_RE = re.compile(r"://[^/@:?#]*:[^/@?#]*@|[?&]password=", re.IGNORECASE)
_URI_RE = re.compile(r"^(postgresql|postgres|pg)(\+\w+)?://", re.IGNORECASE)


def is_database_uri(path: str) -> bool:
    """True for ``postgresql://...`` style sources (PostGIS)."""
    return bool(_URI_RE.match(str(path)))


def split_layer_path(path: str) -> tuple[str, str | None]:
    """Split ``file.gpkg|layer=name`` into (``file.gpkg``, ``name``)."""
    if "|" in path and not is_database_uri(path):
        base, _, opt = path.partition("|")
        key, _, value = opt.partition("=")
        if key.strip() != "layer" or not value.strip():
            raise ConfigError(f"bad layer option {opt!r} in {path!r}; use file.gpkg|layer=NAME")
        return base, value.strip()
    return path, None


@dataclass(frozen=True)
class LayerSpec:
    """One entry under ``layers:``."""

    name: str
    path: str  #: absolute path, or database URI
    role: str
    layer: str | None = None
    label: str | None = None
    name_field: str | None = None
    id_field: str | None = None
    encoding: str | None = None
    crs: str | None = None  #: declared CRS for files that carry none
    on_invalid: str | None = None

    @property
    def title(self) -> str:
        """Label for people (falls back to the layer's key)."""
        return self.label or self.name

    @property
    def is_raster(self) -> bool:
        return self.role == "raster"

    @property
    def source(self) -> str:
        """Path plus ``|layer=`` as written in configs."""
        return f"{self.path}|layer={self.layer}" if self.layer else self.path


@dataclass(frozen=True)
class Check:
    """One screening check of a rule set."""

    rule: str
    layer: str | None = None
    raster: str | None = None
    basis: str | None = None
    label: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    key: str = ""  #: key path, for messages

    @property
    def target(self) -> str:
        return self.layer or self.raster or ""


@dataclass(frozen=True)
class RuleSet:
    name: str
    checks: tuple[Check, ...]
    label: str | None = None
    basis: str | None = None
    min_eligible_mu: float = 0.0


@dataclass(frozen=True)
class Config:
    """A validated project config. Build with :func:`load_config`."""

    name: str
    path: Path | None
    base_dir: Path
    crs: str
    area_unit: str
    on_invalid: str
    sliver_m2: float
    layers: Mapping[str, LayerSpec]
    control_lines: tuple[str, ...]
    targets: Mapping[int, Mapping[str, float]]
    rulesets: Mapping[str, RuleSet]
    registry: str | None
    basemap: str
    raw: Mapping[str, Any]

    def layers_with_role(self, role: str) -> list[LayerSpec]:
        return [spec for spec in self.layers.values() if spec.role == role]

    def layer(self, name: str, *, key: str | None = None) -> LayerSpec:
        """The layer called ``name``; ConfigError listing the known names otherwise."""
        try:
            return self.layers[name]
        except KeyError:
            known = ", ".join(self.layers) or "(none)"
            raise ConfigError(
                f"no layer named {name!r}; layers in this config: {known}",
                key=key,
                path=str(self.path) if self.path else None,
            ) from None

    def ruleset(self, name: str) -> RuleSet:
        try:
            return self.rulesets[name]
        except KeyError:
            known = ", ".join(self.rulesets) or "(none)"
            raise ConfigError(
                f"no rule set named {name!r}; rule sets in this config: {known}",
                key="rulesets",
                path=str(self.path) if self.path else None,
            ) from None


# --------------------------------------------------------------------------- validation

_TOP_KEYS = {
    "name": str,
    "crs": (str, int),
    "area_unit": str,
    "on_invalid": str,
    "sliver_m2": (int, float),
    "layers": dict,
    "control_lines": list,
    "targets": dict,
    "rulesets": dict,
    "registry": str,
    "basemap": str,
    "organisation": str,  # who makes the maps and reports (制图单位), ecogis.reports
}
_LAYER_KEYS = {
    "path": str,
    "layer": str,
    "role": str,
    "label": str,
    "name_field": str,
    "id_field": str,
    "encoding": str,
    "crs": (str, int),
    "on_invalid": str,
    "description": str,
}
_RULESET_KEYS = {"checks": list, "label": str, "basis": str, "min_eligible_mu": (int, float)}


class _Validator:
    def __init__(self, path: str | None):
        self.path = path
        self.errors: list[str] = []

    def error(self, key: str, message: str) -> None:
        self.errors.append(f"{key}: {message}" if key else message)

    def typed(self, mapping: Mapping, schema: Mapping[str, Any], key: str) -> dict:
        """Report unknown keys and wrong types; return the well-typed items."""
        out = {}
        for k, v in mapping.items():
            kp = f"{key}.{k}" if key else str(k)
            if k not in schema:
                close = _closest(str(k), schema)
                hint = f" (did you mean {close!r}?)" if close else ""
                self.error(kp, f"unknown key{hint}; allowed: {', '.join(schema)}")
                continue
            want = schema[k]
            if isinstance(v, bool) or not isinstance(v, want):
                self.error(kp, f"expected {_typename(want)}, got {_typename(type(v))} {v!r}")
                continue
            out[k] = v
        return out


def _typename(t: Any) -> str:
    names = {str: "text", int: "integer", float: "number", list: "list", dict: "mapping"}
    if isinstance(t, tuple):
        return " or ".join(dict.fromkeys(names.get(x, x.__name__) for x in t))
    return names.get(t, getattr(t, "__name__", str(t)))


def _closest(word: str, options) -> str | None:
    import difflib

    match = difflib.get_close_matches(word, list(options), n=1, cutoff=0.7)
    return match[0] if match else None


class _DuplicateKey(yaml.YAMLError):
    pass


class _UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key given twice in one mapping.

    Plain ``safe_load`` keeps the last of two ``redline:`` entries and drops the first without
    a word; two layers or rule sets with one name are an error in a config.
    """

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                continue  # the base class reports unhashable keys
            if key in seen:
                first = seen[key]
                raise _DuplicateKey(
                    f"duplicate key {key!r} at line {key_node.start_mark.line + 1} "
                    f"(first at line {first + 1}); names must be unique"
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def load_config(path: str | os.PathLike, *, check_files: bool = True) -> Config:
    """Read and validate a YAML config.

    Parameters
    ----------
    path
        The YAML file; layer paths in it are relative to its folder.
    check_files
        Report layer files that do not exist.

    Raises
    ------
    ConfigError
        Listing every problem found, one per line, each with its key path.
    """
    path = Path(path)
    if not path.exists():
        raise ConfigError("config file not found", path=str(path))
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"not UTF-8 text ({exc.reason} at byte {exc.start})", path=str(path)
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path=str(path)) from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader: builds no objects
    except _DuplicateKey as exc:
        raise ConfigError(str(exc), path=str(path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"YAML syntax error: {where}{problem}", path=str(path)) from None
    return parse_config(data, base_dir=path.parent, path=path, check_files=check_files)


def parse_config(
    data: Any,
    *,
    base_dir: str | os.PathLike = ".",
    path: str | os.PathLike | None = None,
    check_files: bool = True,
) -> Config:
    """Validate an already-parsed config mapping (see :func:`load_config`)."""
    base_dir = Path(base_dir).resolve()
    where = str(path) if path else None
    v = _Validator(where)
    if not isinstance(data, dict):
        raise ConfigError(f"expected a mapping at the top, got {_typename(type(data))}", path=where)
    top = v.typed(data, _TOP_KEYS, "")

    crs = top.get("crs", "auto")
    crs = str(crs)
    if crs.lower() != "auto":
        from pyproj import CRS
        from pyproj.exceptions import CRSError as _PE

        try:
            parsed = CRS.from_user_input(int(crs) if crs.isdigit() else crs)
            if parsed.is_geographic:
                v.error(
                    "crs",
                    f"{crs} is geographic; areas need a projected CRS (auto or e.g. EPSG:4547)",
                )
        except _PE:
            v.error("crs", f"cannot parse {crs!r}; use auto or e.g. EPSG:4547")
        if crs.isdigit():
            crs = f"EPSG:{crs}"

    area_unit = top.get("area_unit", "mu")
    if area_unit not in AREA_UNITS:
        v.error("area_unit", f"unknown unit {area_unit!r}; allowed: {', '.join(AREA_UNITS)}")
    on_invalid = top.get("on_invalid", "fix")
    if on_invalid not in ON_INVALID:
        v.error("on_invalid", f"unknown policy {on_invalid!r}; allowed: {', '.join(ON_INVALID)}")
    sliver_m2 = float(top.get("sliver_m2", 1.0))
    if sliver_m2 < 0:
        v.error("sliver_m2", f"must be >= 0, got {sliver_m2}")
    from .mapping.model import BASEMAPS

    basemap = top.get("basemap", "none")
    if basemap not in BASEMAPS:
        v.error("basemap", f"unknown basemap {basemap!r}; allowed: {', '.join(BASEMAPS)}")

    layers: dict[str, LayerSpec] = {}
    for lname, raw in (top.get("layers") or {}).items():
        key = f"layers.{lname}"
        if not isinstance(raw, dict):
            if isinstance(raw, str):  # shorthand: name: path
                raw = {"path": raw}
            else:
                v.error(key, f"expected a mapping with path and role, got {raw!r}")
                continue
        spec = v.typed(raw, _LAYER_KEYS, key)
        if "path" not in raw:
            v.error(f"{key}.path", "missing (the layer's file or database URI)")
            continue
        if "role" not in raw:
            v.error(f"{key}.role", f"missing; allowed: {', '.join(ROLES)}")
            continue
        if "path" not in spec or "role" not in spec:
            continue
        role = spec["role"]
        if role not in ROLES:
            v.error(f"{key}.role", f"unknown role {role!r}; allowed: {', '.join(ROLES)}")
            continue
        if spec.get("on_invalid") and spec["on_invalid"] not in ON_INVALID:
            v.error(
                f"{key}.on_invalid",
                f"unknown policy {spec['on_invalid']!r}; allowed: {', '.join(ON_INVALID)}",
            )
        try:
            src, sublayer = split_layer_path(spec["path"])
        except ConfigError as exc:
            v.error(f"{key}.path", str(exc))
            continue
        sublayer = spec.get("layer", sublayer)
        if is_database_uri(src):
            if _PASSWORD_RE.search(src):
                v.error(
                    f"{key}.path",
                    "the URI holds a password; never commit one — use PGPASSWORD, ~/.pgpass "
                    "or a service file (postgresql:///?service=NAME)",
                )
                continue
            full = src
        else:
            full = str((base_dir / os.path.expanduser(src)).resolve())
            if check_files and not Path(full).exists():
                v.error(f"{key}.path", f"file not found: {full}")
        declared = spec.get("crs")
        layers[str(lname)] = LayerSpec(
            name=str(lname),
            path=full,
            role=role,
            layer=sublayer,
            label=spec.get("label"),
            name_field=spec.get("name_field"),
            id_field=spec.get("id_field"),
            encoding=spec.get("encoding"),
            crs=(f"EPSG:{declared}" if isinstance(declared, int) else declared),
            on_invalid=spec.get("on_invalid"),
        )

    control_lines: list[str] = []
    for i, item in enumerate(top.get("control_lines") or []):
        key = f"control_lines[{i}]"
        if not isinstance(item, str):
            v.error(key, f"expected a layer name, got {item!r}")
        elif item not in layers and item not in (top.get("layers") or {}):
            v.error(key, f"no layer named {item!r}; layers: {', '.join(layers) or '(none)'}")
        elif item in control_lines:
            v.error(key, f"{item!r} listed twice")
        elif item in layers and layers[item].is_raster:
            v.error(key, f"{item!r} is a raster; control lines are vector layers")
        else:
            control_lines.append(item)

    targets: dict[int, dict[str, float]] = {}
    for year, raw in (top.get("targets") or {}).items():
        key = f"targets.{year}"
        try:
            y = int(year)
            if not 1949 <= y <= 2100:
                raise ValueError
        except (TypeError, ValueError):
            v.error(key, f"expected a year such as 2022, got {year!r}")
            continue
        if not isinstance(raw, dict):
            v.error(key, f"expected a mapping of {', '.join(TARGET_KEYS)}")
            continue
        ok = v.typed(raw, {k: (int, float) for k in TARGET_KEYS}, key)
        for k, val in ok.items():
            if val < 0:
                v.error(f"{key}.{k}", f"must be >= 0, got {val}")
        targets[y] = {k: float(val) for k, val in ok.items()}

    rulesets: dict[str, RuleSet] = {}
    for rname, raw in (top.get("rulesets") or {}).items():
        key = f"rulesets.{rname}"
        if not isinstance(raw, dict):
            v.error(key, "expected a mapping with checks")
            continue
        rs = v.typed(raw, _RULESET_KEYS, key)
        if "checks" not in raw:
            v.error(f"{key}.checks", "missing (a list of checks)")
        checks = []
        for i, craw in enumerate(rs.get("checks") or []):
            ck = f"{key}.checks[{i}]"
            chk = _parse_check(v, craw, ck, layers, top.get("layers") or {})
            if chk is not None:
                checks.append(chk)
        mem = float(rs.get("min_eligible_mu", 0.0))
        if mem < 0:
            v.error(f"{key}.min_eligible_mu", f"must be >= 0, got {mem}")
        rulesets[str(rname)] = RuleSet(
            name=str(rname),
            checks=tuple(checks),
            label=rs.get("label"),
            basis=rs.get("basis"),
            min_eligible_mu=mem,
        )

    registry = top.get("registry")
    if registry is not None and _PASSWORD_RE.search(registry):
        v.error("registry", "the URI holds a password; use PGPASSWORD, ~/.pgpass or a service file")
        registry = None
    if registry is not None and not is_database_uri(registry):
        registry = str((base_dir / os.path.expanduser(registry)).resolve())

    if v.errors:
        raise ConfigError(
            (
                "; ".join(v.errors)
                if len(v.errors) == 1
                else f"{len(v.errors)} problems:\n  " + "\n  ".join(v.errors)
            ),
            path=where,
        )
    return Config(
        name=str(top.get("name") or (Path(path).stem if path else "ecogis")),
        path=Path(path).resolve() if path else None,
        base_dir=base_dir,
        crs=crs,
        area_unit=area_unit,
        on_invalid=on_invalid,
        sliver_m2=sliver_m2,
        layers=MappingProxyType(layers),
        control_lines=tuple(control_lines),
        targets=MappingProxyType({y: MappingProxyType(t) for y, t in targets.items()}),
        rulesets=MappingProxyType(rulesets),
        registry=registry,
        basemap=basemap,
        raw=MappingProxyType(dict(data)),
    )


def _parse_check(
    v: _Validator, raw: Any, key: str, layers: Mapping[str, LayerSpec], raw_layers
) -> Check | None:
    """One check of a rule set, validated against its rule's spec in the rule registry."""
    from .screening.rules import COMMON_KEYS, PARAM_KINDS, RULES

    if not isinstance(raw, dict):
        v.error(key, f"expected a mapping such as {{layer: redline, rule: exclude}}, got {raw!r}")
        return None
    rule = raw.get("rule")
    if rule is None:
        v.error(f"{key}.rule", f"missing; allowed: {', '.join(RULES)}")
        return None
    if rule not in RULES:
        close = _closest(str(rule), RULES)
        hint = f" (did you mean {close!r}?)" if close else ""
        v.error(f"{key}.rule", f"unknown rule {rule!r}{hint}; allowed: {', '.join(RULES)}")
        return None
    spec = RULES[rule]
    needs = spec.target
    schema: dict[str, Any] = {k: (str,) for k in COMMON_KEYS}
    schema.update({k: PARAM_KINDS[kind][0] for k, kind in spec.params.items()})
    ok = v.typed(raw, schema, key)
    target = ok.get(needs)
    other = "raster" if needs == "layer" else "layer"
    if other in ok:
        v.error(f"{key}.{other}", f"rule {rule!r} takes {needs}:, not {other}:")
    if not target:
        v.error(f"{key}.{needs}", f"missing; rule {rule!r} needs a {needs} name")
        return None
    if target not in layers:
        if target not in raw_layers:
            v.error(
                f"{key}.{needs}",
                f"no layer named {target!r}; layers: {', '.join(layers) or '(none)'}",
            )
        return None
    layer_spec = layers[target]
    if needs == "raster" and not layer_spec.is_raster:
        v.error(
            f"{key}.raster",
            f"{target!r} has role {layer_spec.role!r}; rule {rule!r} needs a raster layer",
        )
    if needs == "layer" and layer_spec.is_raster:
        v.error(f"{key}.layer", f"{target!r} is a raster; rule {rule!r} needs a vector layer")
    params = {k: ok[k] for k in spec.params if k in ok}
    for k, value in params.items():
        low, high = PARAM_KINDS[spec.params[k]][1:3]
        if spec.params[k] == "codes":
            for j, code in enumerate(value):
                if isinstance(code, bool) or not isinstance(code, (int, str)):
                    v.error(
                        f"{key}.{k}[{j}]", f"expected a class code (number or text), got {code!r}"
                    )
        elif spec.params[k] == "share" and not low <= value <= high:
            v.error(f"{key}.{k}", f"is a share between 0 and 1, got {value}")
        elif low is not None and value < low:
            v.error(f"{key}.{k}", f"must be >= {low:g}, got {value}")
        elif high is not None and value > high:
            v.error(f"{key}.{k}", f"must be <= {high:g}, got {value}")
    for k in spec.required:
        if k not in params:
            v.error(
                f"{key}.{k}", f"missing; rule {rule!r} needs {k} ({PARAM_KINDS[spec.params[k]][3]})"
            )
    if spec.one_of and not (set(spec.one_of) & params.keys()):
        v.error(key, f"rule {rule!r} needs {' or '.join(spec.one_of)}")
    return Check(
        rule=rule,
        layer=ok.get("layer"),
        raster=ok.get("raster"),
        basis=ok.get("basis"),
        label=ok.get("label"),
        params=MappingProxyType(params),
        key=key,
    )

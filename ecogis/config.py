"""Project configs: YAML -> validated, frozen objects.

A config names the layers of a project (each with a role), the three control lines,
yearly targets and screening rule sets. Paths are relative to the config file. Every
problem is reported with its key path, e.g. ``rulesets.pv_sand_control.checks[2].buffer_m``.

Only YAML's safe loader is used (refusing duplicate keys): a config can never construct
Python objects.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from .errors import ConfigError
from .i18n import _

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
    "landuse": "land-use patches (三调 地类图斑 DLTB); class_field / class_name_field name the "
    "class code and name columns (default DLBM, DLMC)",
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

_URI_RE = re.compile(r"^(postgresql|postgres|pg)(\+\w+)?://", re.IGNORECASE)
#: a database URI inside some text (a message, a traceback)
_URI_IN_TEXT_RE = re.compile(r"(?i)\b(?:postgresql|postgres|pg)(?:\+\w+)?://[^\s'\"<>]*")
#: libpq parameters that are secrets: never allowed in a URI, never printed
SECRET_KEYS = frozenset({"password", "sslpassword"})
#: parameters printed as *** (they name where secrets are kept)
HIDDEN_KEYS = SECRET_KEYS | {"passfile", "sslkey", "sslcert", "sslrootcert", "sslcrl"}


def _uri_parts(uri: str) -> tuple[str, str, str, str]:
    """(scheme://, userinfo, host and path, query and what follows), as written. The userinfo
    runs to the last ``@`` before the query, so a password holding ``/`` or ``@`` that was not
    percent-encoded is still found."""
    m = _URI_RE.match(uri)
    head, body = uri[: m.end()], uri[m.end() :]
    ends = [i for i in (body.find("?"), body.find("#"), body.find("|")) if i >= 0]
    end = min(ends, default=len(body))
    userinfo, at, hostpath = body[:end].rpartition("@")
    if not at:
        userinfo, hostpath = "", body[:end]
    return head, userinfo, hostpath, body[end:]


def uri_secrets(uri: str) -> list[str]:
    """The secret parts of a database URI by libpq's rules (keys and values percent-decoded):
    ``"password"`` for ``user:pw@`` or ``?password=`` / ``?%70assword=``, ``"sslpassword"``.
    Empty for a URI without secrets (``?service=NAME``, ``?passfile=...`` are fine)."""
    from urllib.parse import unquote

    if not is_database_uri(uri):
        return []
    _head, userinfo, _path, tail = _uri_parts(str(uri))
    found = []
    if ":" in userinfo:
        found.append("password")
    query = tail.partition("?")[2].partition("#")[0].partition("|")[0]
    for item in query.split("&"):
        key = unquote(item.partition("=")[0]).strip().lower()
        if key in SECRET_KEYS and key not in found:
            found.append(key)
    return found


def redact_uri(uri: str) -> str:
    """The URI with every secret (and where secrets are kept) replaced by ``***``: the
    password of ``user:pw@``, and ``password``, ``sslpassword``, ``passfile``, ``sslkey``
    ... in the query, whichever way their keys are percent-encoded."""
    from urllib.parse import unquote

    uri = str(uri)
    if not is_database_uri(uri):
        return uri
    head, userinfo, path, tail = _uri_parts(uri)
    if ":" in userinfo:
        userinfo = userinfo.partition(":")[0] + ":***"
    before, q, query = tail.partition("?")
    rest = ""
    cut = min((i for i in (query.find("#"), query.find("|")) if i >= 0), default=-1)
    if cut >= 0:
        query, rest = query[:cut], query[cut:]
    if q:
        items = []
        for item in query.split("&"):
            key, eq, _value = item.partition("=")
            items.append(f"{key}{eq}***" if unquote(key).strip().lower() in HIDDEN_KEYS else item)
        query = "&".join(items)
    at = "@" if "@" in uri[len(head) :].split("?")[0] else ""
    return head + userinfo + at + path + before + q + query + rest


def redact_text(text: str) -> str:
    """``text`` with every database URI in it redacted (:func:`redact_uri`): for messages,
    warnings and tracebacks, whatever produced them."""
    return _URI_IN_TEXT_RE.sub(lambda m: redact_uri(m.group(0)), str(text))


def is_database_uri(path: str) -> bool:
    """True for ``postgresql://...`` style sources (PostGIS)."""
    return bool(_URI_RE.match(str(path)))


def split_layer_path(path: str) -> tuple[str, str | None]:
    """Split ``file.gpkg|layer=name`` into (``file.gpkg``, ``name``)."""
    if "|" in path and not is_database_uri(path):
        base, _sep, opt = path.partition("|")
        key, _eq, value = opt.partition("=")
        if key.strip() != "layer" or not value.strip():
            raise ConfigError(
                _("bad layer option {opt!r} in {path!r}; use file.gpkg|layer=NAME").format(
                    opt=opt, path=path
                )
            )
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
    crs: str | None = None  #: declared CRS for files that carry none (or GCJ-02 / BD-09)
    on_invalid: str | None = None
    #: the datum transformation into CGCS2000 (:class:`ecogis.crs.DatumTransform`), if given
    transform: Any = None
    #: the column with the land-class codes (role landuse: DLBM unless given); None elsewhere
    #: unless given (a check with ``classes:`` on such a layer then reads DLBM)
    class_field: str | None = None
    #: the column with the land-class names (role landuse: DLMC unless given)
    class_name_field: str | None = None

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
    #: land classes the check takes from its layer (codes, ``01*`` prefixes), or None: all
    classes: tuple[str, ...] | None = None
    #: attribute filters on the layer (``{"GMFGD": {"gt": 0.3}}``), or None
    where: Mapping[str, Any] | None = None
    #: the layer's class code and class name fields (None: the 三调 defaults DLBM, DLMC)
    class_field: str | None = None
    class_name_field: str | None = None

    @property
    def selects(self) -> bool:
        """True when the check takes only some features of its layer (classes / where)."""
        return self.classes is not None or bool(self.where)

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
            known = ", ".join(self.layers) or _("(none)")
            raise ConfigError(
                _("no layer named {name!r}; layers in this config: {known}").format(
                    name=name, known=known
                ),
                key=key,
                path=str(self.path) if self.path else None,
            ) from None

    def ruleset(self, name: str) -> RuleSet:
        try:
            return self.rulesets[name]
        except KeyError:
            known = ", ".join(self.rulesets) or _("(none)")
            raise ConfigError(
                _("no rule set named {name!r}; rule sets in this config: {known}").format(
                    name=name, known=known
                ),
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
    "attribution": (str, list),  # data sources named on maps (ecogis.mapping reads it)
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
    "transform": (str, list, dict),
    "class_field": str,
    "class_name_field": str,
}
_RULESET_KEYS = {"checks": list, "label": str, "basis": str, "min_eligible_mu": (int, float)}


class _Validator:
    def __init__(self, path: str | None):
        self.path = path
        self.errors: list[str] = []

    def error(self, key: str, message: str) -> None:
        key = _short_text(str(key), 120)
        self.errors.append(_short_text(f"{key}: {message}" if key else message, 400))

    def typed(self, mapping: Mapping, schema: Mapping[str, Any], key: str) -> dict:
        """Report unknown keys and wrong types; return the well-typed items."""
        out = {}
        for k, v in mapping.items():
            kp = f"{key}.{k}" if key else str(k)
            if k not in schema:
                close = _closest(str(k), schema)
                hint = _(" (did you mean {close!r}?)").format(close=close) if close else ""
                self.error(
                    kp,
                    _("unknown key{hint}; allowed: {allowed}").format(
                        hint=hint, allowed=", ".join(schema)
                    ),
                )
                continue
            want = schema[k]
            if isinstance(v, bool) or not isinstance(v, want):
                self.error(
                    kp,
                    _("expected {want}, got {got} {value}").format(
                        want=_typename(want), got=_typename(type(v)), value=short_repr(v)
                    ),
                )
                continue
            if isinstance(v, (int, float)) and not _plausible_number(v):
                self.error(
                    kp,
                    _("must be a finite number below 10^15, got {value}").format(
                        value=short_repr(v)
                    ),
                )
                continue
            out[k] = v
        return out


def short_repr(value: Any, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters: a message never carries a whole hostile
    value (a list of a million items, an expanded alias)."""
    if isinstance(value, (list, tuple, dict, set)) and len(value) > limit:
        value = type(value).__name__ + f"[{len(value):,} items]"
        return value
    return _short_text(repr(value), limit)


def _short_text(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plausible_number(v: int | float) -> bool:
    """Finite and below 10^15 in size: NaN, ±inf and 20-digit integers are no real value."""
    if isinstance(v, int):
        return abs(v) < 10**15
    return math.isfinite(v) and abs(v) < 1e15


def _typename(t: Any) -> str:
    names = {str: _("text"), int: _("integer"), float: _("number"), list: _("list")}
    names[dict] = _("mapping")
    if isinstance(t, tuple):
        return _(" or ").join(dict.fromkeys(names.get(x, x.__name__) for x in t))
    return names.get(t, getattr(t, "__name__", str(t)))


def _closest(word: str, options) -> str | None:
    import difflib

    match = difflib.get_close_matches(word, list(options), n=1, cutoff=0.7)
    return match[0] if match else None


class _DuplicateKey(yaml.YAMLError):
    pass


#: a config nests a few levels (rulesets.pv.checks[2].classes[0]): far deeper is an attack or a
#: broken file, refused before Python's recursion limit is met
MAX_DEPTH = 64
#: YAML aliases (``*name``) a config may use, and the values it may hold once they are expanded
#: (a "billion laughs" document is a few lines that expand to 10^9 values)
MAX_ALIASES = 200
MAX_VALUES = 200_000


#: a config is a few kilobytes; YAML is parsed in Python (about 5 s per MB)
MAX_CONFIG_BYTES = 2**20
#: problems listed in one error (a config with 100 000 broken layers lists the first ones)
MAX_LISTED = 20


class _Refused(yaml.YAMLError):
    pass


class _UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key given twice in one mapping.

    Plain ``safe_load`` keeps the last of two ``redline:`` entries and drops the first without
    a word; two layers or rule sets with one name are an error in a config.
    """

    _depth = 0
    _aliases = 0

    def compose_node(self, parent, index):
        line = self.peek_event().start_mark.line + 1
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _Refused(
                    _("more than {n} YAML aliases (*name), at line {line}").format(
                        n=MAX_ALIASES, line=line
                    )
                )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(
                    _("nested more than {n} levels deep, at line {line}").format(
                        n=MAX_DEPTH, line=line
                    )
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_document(self, node):
        _count_values(node)
        return super().construct_document(node)

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                continue  # the base class reports unhashable keys
            if key in seen:
                first = seen[key]
                raise _DuplicateKey(
                    _(
                        "duplicate key {key!r} at line {line} (first at line {first}); names "
                        "must be unique"
                    ).format(key=key, line=key_node.start_mark.line + 1, first=first + 1)
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def _count_values(root) -> int:
    """The number of values the document holds once its aliases are expanded (each node
    counted as often as it is reached); refuses a document over MAX_VALUES, or one holding
    itself. Counted on the node graph, with shared nodes measured once: no expansion."""
    sizes: dict[int, int] = {}
    busy: set[int] = set()

    def size(node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in busy:
            raise _Refused(
                _("a YAML alias holds itself, at line {line}").format(line=node.start_mark.line + 1)
            )
        busy.add(key)
        if isinstance(node, yaml.MappingNode):
            n = 1 + sum(size(k) + size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            n = 1 + sum(size(v) for v in node.value)
        else:
            n = 1
        busy.discard(key)
        if n > MAX_VALUES:
            raise _Refused(
                _(
                    "the document expands to more than {n} values (YAML aliases?), at line {line}"
                ).format(n=f"{MAX_VALUES:,}", line=node.start_mark.line + 1)
            )
        sizes[key] = n
        return n

    return size(root)


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
        raise ConfigError(_("config file not found"), path=str(path))
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ConfigError(
            _("cannot read: {why}").format(why=exc.strerror), path=str(path)
        ) from None
    if size > MAX_CONFIG_BYTES:
        raise ConfigError(
            _(
                "{size} MB: a config is a few kilobytes of YAML (at most {limit} MB); is this the "
                "right file?"
            ).format(size=f"{size / 2**20:.1f}", limit=MAX_CONFIG_BYTES // 2**20),
            path=str(path),
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            _("not UTF-8 text ({reason} at byte {start})").format(
                reason=exc.reason, start=exc.start
            ),
            path=str(path),
        ) from None
    except OSError as exc:
        raise ConfigError(
            _("cannot read: {why}").format(why=exc.strerror), path=str(path)
        ) from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader: builds no objects
    except (_DuplicateKey, _Refused) as exc:
        raise ConfigError(str(exc), path=str(path)) from None
    except RecursionError:  # a parser path the depth limit does not see
        raise ConfigError(
            _("nested too deeply (more than {n} levels)").format(n=MAX_DEPTH), path=str(path)
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = (
            _("line {line}, column {column}: ").format(line=mark.line + 1, column=mark.column + 1)
            if mark
            else ""
        )
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            _("YAML syntax error: {where}{problem}").format(where=where, problem=problem),
            path=str(path),
        ) from None
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
        raise ConfigError(
            _("expected a mapping at the top, got {got}").format(got=_typename(type(data))),
            path=where,
        )
    top = v.typed(data, _TOP_KEYS, "")

    crs = top.get("crs", "auto")
    crs = str(crs)
    if crs.lower() != "auto":
        from pyproj import CRS
        from pyproj.exceptions import CRSError as _PE

        from .crs import is_metre_crs, web_datum

        try:
            if web_datum(crs):
                raise _PE(crs)
            parsed = CRS.from_user_input(int(crs) if crs.isdigit() else crs)
            if parsed.is_geographic:
                v.error(
                    "crs",
                    _(
                        "{crs} is geographic; areas need a projected CRS (auto or e.g. EPSG:4547)"
                    ).format(crs=crs),
                )
            elif not is_metre_crs(parsed):
                unit = parsed.axis_info[0].unit_name if parsed.axis_info else "?"
                v.error(
                    "crs",
                    _(
                        "{crs} ({name}) measures in {unit}, not metres; areas would not be m² — "
                        "use a metre CRS (auto or e.g. EPSG:4547)"
                    ).format(crs=crs, name=parsed.name, unit=unit),
                )
        except _PE:
            v.error(
                "crs",
                _(
                    "cannot parse {crs!r}; use auto or e.g. EPSG:4547 (GCJ-02 / BD-09 describe a "
                    "layer's coordinates: layers.<name>.crs)"
                ).format(crs=crs),
            )
        if crs.isdigit():
            crs = f"EPSG:{crs}"

    area_unit = top.get("area_unit", "mu")
    if area_unit not in AREA_UNITS:
        v.error(
            "area_unit",
            _("unknown unit {unit!r}; allowed: {allowed}").format(
                unit=area_unit, allowed=", ".join(AREA_UNITS)
            ),
        )
    on_invalid = top.get("on_invalid", "fix")
    if on_invalid not in ON_INVALID:
        v.error(
            "on_invalid",
            _("unknown policy {policy!r}; allowed: {allowed}").format(
                policy=on_invalid, allowed=", ".join(ON_INVALID)
            ),
        )
    sliver_m2 = float(top.get("sliver_m2", 1.0))
    if sliver_m2 < 0:
        v.error("sliver_m2", _("must be >= 0, got {value}").format(value=sliver_m2))
    from .mapping.model import parse_basemap

    basemap = top.get("basemap", "none")
    try:
        parse_basemap(basemap)  # none, osm, tianditu, mbtiles:FILE or tile URL templates
    except ConfigError as exc:
        v.error("basemap", str(exc))

    layers: dict[str, LayerSpec] = {}
    for lname, raw in (top.get("layers") or {}).items():
        key = f"layers.{lname}"
        if not isinstance(raw, dict):
            if isinstance(raw, str):  # shorthand: name: path
                raw = {"path": raw}
            else:
                v.error(
                    key,
                    _("expected a mapping with path and role, got {value!r}").format(value=raw),
                )
                continue
        spec = v.typed(raw, _LAYER_KEYS, key)
        if "path" not in raw:
            v.error(f"{key}.path", _("missing (the layer's file or database URI)"))
            continue
        if "role" not in raw:
            v.error(
                f"{key}.role", _("missing; allowed: {allowed}").format(allowed=", ".join(ROLES))
            )
            continue
        if "path" not in spec or "role" not in spec:
            continue
        role = spec["role"]
        if role not in ROLES:
            v.error(
                f"{key}.role",
                _("unknown role {role!r}; allowed: {allowed}").format(
                    role=role, allowed=", ".join(ROLES)
                ),
            )
            continue
        if spec.get("on_invalid") and spec["on_invalid"] not in ON_INVALID:
            v.error(
                f"{key}.on_invalid",
                _("unknown policy {policy!r}; allowed: {allowed}").format(
                    policy=spec["on_invalid"], allowed=", ".join(ON_INVALID)
                ),
            )
        try:
            src, sublayer = split_layer_path(spec["path"])
        except ConfigError as exc:
            v.error(f"{key}.path", str(exc))
            continue
        sublayer = spec.get("layer", sublayer)
        if is_database_uri(src):
            if uri_secrets(src):
                v.error(
                    f"{key}.path",
                    _(
                        "the URI holds a password; never commit one — use PGPASSWORD, ~/.pgpass "
                        "or a service file (postgresql:///?service=NAME)"
                    ),
                )
                continue
            full = src
        else:
            full = str((base_dir / os.path.expanduser(src)).resolve())
            if check_files and not Path(full).exists():
                v.error(f"{key}.path", _("file not found: {path}").format(path=full))
        declared = _layer_crs(v, spec.get("crs"), f"{key}.crs")
        transform = _layer_transform(v, spec.get("transform"), f"{key}.transform")
        class_field, class_name_field = _class_fields(v, spec, role, key)
        layers[str(lname)] = LayerSpec(
            name=str(lname),
            path=full,
            role=role,
            layer=sublayer,
            label=spec.get("label"),
            name_field=spec.get("name_field"),
            id_field=spec.get("id_field"),
            encoding=spec.get("encoding"),
            crs=declared,
            on_invalid=spec.get("on_invalid"),
            transform=transform,
            class_field=class_field,
            class_name_field=class_name_field,
        )

    control_lines: list[str] = []
    for i, item in enumerate(top.get("control_lines") or []):
        key = f"control_lines[{i}]"
        if not isinstance(item, str):
            v.error(key, _("expected a layer name, got {value!r}").format(value=item))
        elif item not in layers and item not in (top.get("layers") or {}):
            v.error(
                key,
                _("no layer named {name!r}; layers: {known}").format(
                    name=item, known=", ".join(layers) or _("(none)")
                ),
            )
        elif item in control_lines:
            v.error(key, _("{name!r} listed twice").format(name=item))
        elif item in layers and layers[item].is_raster:
            v.error(
                key, _("{name!r} is a raster; control lines are vector layers").format(name=item)
            )
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
            v.error(key, _("expected a year such as 2022, got {value!r}").format(value=year))
            continue
        if not isinstance(raw, dict):
            v.error(key, _("expected a mapping of {keys}").format(keys=", ".join(TARGET_KEYS)))
            continue
        ok = v.typed(raw, {k: (int, float) for k in TARGET_KEYS}, key)
        for k, val in ok.items():
            if val < 0:
                v.error(f"{key}.{k}", _("must be >= 0, got {value}").format(value=val))
        targets[y] = {k: float(val) for k, val in ok.items()}

    rulesets: dict[str, RuleSet] = {}
    for rname, raw in (top.get("rulesets") or {}).items():
        key = f"rulesets.{rname}"
        if not isinstance(raw, dict):
            v.error(key, _("expected a mapping with checks"))
            continue
        rs = v.typed(raw, _RULESET_KEYS, key)
        if "checks" not in raw:
            v.error(f"{key}.checks", _("missing (a list of checks)"))
        checks = []
        for i, craw in enumerate(rs.get("checks") or []):
            ck = f"{key}.checks[{i}]"
            chk = _parse_check(v, craw, ck, layers, top.get("layers") or {})
            if chk is not None:
                checks.append(chk)
        mem = float(rs.get("min_eligible_mu", 0.0))
        if mem < 0:
            v.error(f"{key}.min_eligible_mu", _("must be >= 0, got {value}").format(value=mem))
        rulesets[str(rname)] = RuleSet(
            name=str(rname),
            checks=tuple(checks),
            label=rs.get("label"),
            basis=rs.get("basis"),
            min_eligible_mu=mem,
        )

    if check_files:
        _check_fields(v, layers, rulesets)

    registry = top.get("registry")
    if registry is not None and uri_secrets(str(registry)):
        v.error(
            "registry",
            _("the URI holds a password; use PGPASSWORD, ~/.pgpass or a service file"),
        )
        registry = None
    if registry is not None and not is_database_uri(registry):
        registry = str((base_dir / os.path.expanduser(registry)).resolve())

    if v.errors:
        raise ConfigError(
            (
                "; ".join(v.errors)
                if len(v.errors) == 1
                else _("{n} problems:").format(n=len(v.errors))
                + "\n  "
                + "\n  ".join(v.errors[:MAX_LISTED])
                + (
                    "\n  " + _("... and {n} more").format(n=len(v.errors) - MAX_LISTED)
                    if len(v.errors) > MAX_LISTED
                    else ""
                )
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
    from .screening.rules import COMMON_KEYS, PARAM_KINDS, RULES, VECTOR_KEYS

    if not isinstance(raw, dict):
        v.error(
            key,
            _("expected a mapping such as {example}, got {value!r}").format(
                example="{layer: redline, rule: exclude}", value=raw
            ),
        )
        return None
    rule = raw.get("rule")
    if rule is None:
        v.error(f"{key}.rule", _("missing; allowed: {allowed}").format(allowed=", ".join(RULES)))
        return None
    if not isinstance(rule, str) or rule not in RULES:
        close = _closest(str(rule), RULES) if isinstance(rule, str) else None
        hint = _(" (did you mean {close!r}?)").format(close=close) if close else ""
        v.error(
            f"{key}.rule",
            _("unknown rule {rule}{hint}; allowed: {allowed}").format(
                rule=short_repr(rule), hint=hint, allowed=", ".join(RULES)
            ),
        )
        return None
    spec = RULES[rule]
    needs = spec.target
    schema: dict[str, Any] = {k: (str,) for k in COMMON_KEYS}
    if spec.target == "layer":
        schema.update(VECTOR_KEYS)
    schema.update({k: PARAM_KINDS[kind][0] for k, kind in spec.params.items()})
    if spec.target == "raster":
        for k in VECTOR_KEYS:
            if k in raw:
                v.error(
                    f"{key}.{k}",
                    _(
                        "only vector checks take {key}: (rule {rule!r} reads a raster; "
                        "raster_class takes allowed: / forbidden: pixel values)"
                    ).format(key=k, rule=rule),
                )
        raw = {k: val for k, val in raw.items() if k not in VECTOR_KEYS}
    ok = v.typed(raw, schema, key)
    target = ok.get(needs)
    other = "raster" if needs == "layer" else "layer"
    if other in ok:
        v.error(
            f"{key}.{other}",
            _("rule {rule!r} takes {needs}:, not {other}:").format(
                rule=rule, needs=needs, other=other
            ),
        )
    if not target:
        v.error(
            f"{key}.{needs}",
            _("missing; rule {rule!r} needs a {needs} name").format(rule=rule, needs=needs),
        )
        return None
    if target not in layers:
        if target not in raw_layers:
            v.error(
                f"{key}.{needs}",
                _("no layer named {name!r}; layers: {known}").format(
                    name=target, known=", ".join(layers) or _("(none)")
                ),
            )
        return None
    layer_spec = layers[target]
    if needs == "raster" and not layer_spec.is_raster:
        v.error(
            f"{key}.raster",
            _("{name!r} has role {role!r}; rule {rule!r} needs a raster layer").format(
                name=target, role=layer_spec.role, rule=rule
            ),
        )
    if needs == "layer" and layer_spec.is_raster:
        v.error(
            f"{key}.layer",
            _("{name!r} is a raster; rule {rule!r} needs a vector layer").format(
                name=target, rule=rule
            ),
        )
    params = {k: ok[k] for k in spec.params if k in ok}
    for k, value in params.items():
        low, high = PARAM_KINDS[spec.params[k]][1:3]
        if spec.params[k] == "codes":
            for j, code in enumerate(value):
                if isinstance(code, bool) or not isinstance(code, (int, str)):
                    v.error(
                        f"{key}.{k}[{j}]",
                        _("expected a class code (number or text), got {value!r}").format(
                            value=code
                        ),
                    )
        elif spec.params[k] == "share" and not low <= value <= high:
            v.error(f"{key}.{k}", _("is a share between 0 and 1, got {value}").format(value=value))
        elif low is not None and value < low:
            v.error(f"{key}.{k}", _("must be >= {low:g}, got {value}").format(low=low, value=value))
        elif high is not None and value > high:
            v.error(
                f"{key}.{k}", _("must be <= {high:g}, got {value}").format(high=high, value=value)
            )
    for k in spec.required:
        if k not in params:
            v.error(
                f"{key}.{k}",
                _("missing; rule {rule!r} needs {param} ({what})").format(
                    rule=rule, param=k, what=_(PARAM_KINDS[spec.params[k]][3])
                ),
            )
    if spec.one_of and not (set(spec.one_of) & params.keys()):
        v.error(
            key,
            _("rule {rule!r} needs {params}").format(rule=rule, params=_(" or ").join(spec.one_of)),
        )
    classes = _parse_classes(v, ok["classes"], f"{key}.classes") if "classes" in ok else None
    where = _parse_where(v, ok["where"], f"{key}.where") if "where" in ok else None
    return Check(
        rule=rule,
        layer=ok.get("layer"),
        raster=ok.get("raster"),
        basis=ok.get("basis"),
        label=ok.get("label"),
        params=MappingProxyType(params),
        key=key,
        classes=classes,
        where=MappingProxyType(where) if where else None,
        class_field=layer_spec.class_field,
        class_name_field=layer_spec.class_name_field,
    )


def _layer_crs(v: _Validator, declared: Any, key: str) -> str | None:
    """A layer's declared ``crs:``: EPSG:nnnn for a number, GCJ-02 / BD-09 by their canonical
    names, else checked to be a CRS pyproj understands."""
    if declared is None:
        return None
    if isinstance(declared, int):
        declared = f"EPSG:{declared}"
    from .crs import web_datum

    web = web_datum(declared)
    if web is not None:
        return web
    from pyproj import CRS
    from pyproj.exceptions import CRSError as _PE

    try:
        CRS.from_user_input(int(declared) if str(declared).isdigit() else declared)
    except _PE:
        v.error(
            key,
            _("cannot parse {crs!r}; use e.g. EPSG:4547, EPSG:4490, GCJ-02 or BD-09").format(
                crs=declared
            ),
        )
        return None
    return f"EPSG:{declared}" if str(declared).isdigit() else str(declared)


def _layer_transform(v: _Validator, value: Any, key: str):
    """A layer's ``transform:`` as a :class:`ecogis.crs.DatumTransform` (None when absent)."""
    if value is None:
        return None
    from .crs import parse_transform
    from .errors import CRSError

    try:
        return parse_transform(value, key=key, source=key)
    except CRSError as exc:
        text = str(exc)
        v.error(key, text[len(key) + 2 :] if text.startswith(f"{key}: ") else text)
        return None


# --------------------------------------------------------------------------- land classes


def _class_fields(v: _Validator, spec: Mapping[str, Any], role: str, key: str):
    """A layer's ``class_field`` / ``class_name_field``: the 三调 defaults (DLBM, DLMC) for
    role landuse, else what is given (None: a ``classes:`` check on it reads DLBM)."""
    from .landuse import CLASS_FIELD, CLASS_NAME_FIELD

    if role == "raster":
        for k in ("class_field", "class_name_field"):
            if k in spec:
                v.error(f"{key}.{k}", _("a raster has no fields; land classes need a vector layer"))
        return None, None
    if role == "landuse":
        return spec.get("class_field", CLASS_FIELD), spec.get("class_name_field", CLASS_NAME_FIELD)
    return spec.get("class_field"), spec.get("class_name_field")


def _parse_classes(v: _Validator, value: Any, key: str) -> tuple[str, ...] | None:
    """``classes:`` of a check: class codes of the classification (``0103``, ``01``) or
    prefixes (``01*``); an unknown code is an error that says what it probably meant."""
    from .landuse import class_name, class_table, normalize_code, suggest_codes, unknown_codes

    items = value if isinstance(value, list) else [value]
    if not items:
        v.error(key, _("an empty list selects nothing; give class codes such as ['01*', '0301']"))
        return None
    out: list[str] = []
    table = class_table()
    for j, item in enumerate(items):
        kp = f"{key}[{j}]" if isinstance(value, list) else key
        if isinstance(item, bool) or not isinstance(item, (str, int)):
            v.error(
                kp,
                _("expected a class code such as '0103' or a prefix such as '01*', got {value!r}")
                .format(value=item),
            )  # fmt: skip
            continue
        if isinstance(item, int) and normalize_code(item) not in table:
            octal = "0" + format(item, "o") if item > 0 else ""
            if normalize_code(octal) in table:
                # YAML 1.1 reads 0103 as an octal number: 67
                v.error(
                    kp,
                    _(
                        "{value} is how YAML reads {code} (a number with a leading zero is "
                        "octal); write class codes in quotes: '{code}'"
                    ).format(value=item, code=octal),
                )
                continue
        text = normalize_code(item) if not str(item).strip().endswith("*") else str(item).strip()
        if unknown_codes([text]):
            hints = [
                _("{code!r} {name}").format(code=c, name=class_name(c)) for c in suggest_codes(text)
            ]
            hint = (
                _(" (did you mean {codes}?)").format(codes=_(" or ").join(hints)) if hints else ""
            )
            v.error(
                kp,
                _(
                    "unknown land class {value!r}{hint}; codes of the 三调 working "
                    "classification (TD/T 1055-2019) such as '0103', '04', or a prefix '01*'"
                ).format(value=item, hint=hint),
            )
            continue
        out.append(text.upper())
    return tuple(dict.fromkeys(out)) if out else None


def _parse_where(v: _Validator, value: Any, key: str) -> dict[str, Any] | None:
    """``where:`` of a check: field -> allowed values (a list or one value) or comparisons
    (``{gt: 0.3}``)."""
    import math

    from .landuse import WHERE_OPERATORS

    if not value:
        v.error(
            key, _("an empty mapping filters nothing; e.g. where: {{GMFGD: {{gt: 0.3}}}}").format()
        )
        return None
    out: dict[str, Any] = {}
    scalar = (str, int, float)
    for fname, test in value.items():
        kp = f"{key}.{fname}"
        if isinstance(test, dict):
            ops = {}
            if not test:
                v.error(kp, _("no comparison given; allowed: {allowed}").format(
                    allowed=", ".join(WHERE_OPERATORS)))  # fmt: skip
            for op, bound in test.items():
                if op not in WHERE_OPERATORS:
                    close = _closest(str(op), WHERE_OPERATORS)
                    hint = _(" (did you mean {close!r}?)").format(close=close) if close else ""
                    v.error(
                        f"{kp}.{op}",
                        _("unknown comparison{hint}; allowed: {allowed}").format(
                            hint=hint, allowed=", ".join(WHERE_OPERATORS)
                        ),
                    )
                elif (
                    isinstance(bound, bool)
                    or not isinstance(bound, (int, float))
                    or not math.isfinite(bound)
                ):
                    v.error(
                        f"{kp}.{op}",
                        _("expected a finite number, got {value!r}").format(value=bound),
                    )
                else:
                    ops[op] = float(bound)
            if ops:
                out[str(fname)] = ops
        elif isinstance(test, list):
            bad = [x for x in test if isinstance(x, bool) or not isinstance(x, scalar)]
            if not test or bad:
                v.error(
                    kp,
                    _(
                        "expected a list of values (text or numbers) or comparisons such as "
                        "{{gt: 0.3}}, got {value!r}"
                    ).format(value=test),
                )
            else:
                out[str(fname)] = list(test)
        elif isinstance(test, scalar) and not isinstance(test, bool):
            out[str(fname)] = [test]
        else:
            v.error(
                kp,
                _(
                    "expected a list of values (text or numbers) or comparisons such as "
                    "{{gt: 0.3}}, got {value!r}"
                ).format(value=test),
            )
    return out or None


def _check_fields(
    v: _Validator, layers: Mapping[str, LayerSpec], rulesets: Mapping[str, RuleSet]
) -> None:
    """The fields a config names exist: each landuse layer's class field, and the class and
    ``where:`` fields of every check. Files are asked for their field list only (no feature
    is read); databases and unreadable files are checked when they are read."""
    wanted: dict[str, list[tuple[str, str]]] = {}
    for spec in layers.values():
        if spec.role == "landuse":
            wanted.setdefault(spec.name, []).append(
                (f"layers.{spec.name}.class_field", spec.class_field or "")
            )
    for rs in rulesets.values():
        for chk in rs.checks:
            if not chk.layer or chk.layer not in layers:
                continue
            if chk.classes is not None:
                wanted.setdefault(chk.layer, []).append(
                    (f"{chk.key}.classes", chk.class_field or "DLBM")
                )
            for fname in chk.where or {}:
                wanted.setdefault(chk.layer, []).append((f"{chk.key}.where.{fname}", fname))
    for name, needs in wanted.items():
        spec = layers[name]
        fields = _field_names(spec)
        if fields is None:
            continue
        said: set[str] = set()  # a missing field is said once, at its first key
        for kp, fname in needs:
            if fname in fields or fname in said:
                continue
            said.add(fname)
            close = _closest(fname, fields)
            hint = _(" (did you mean {close!r}?)").format(close=close) if close else ""
            v.error(
                kp,
                _("layer {layer!r} ({file}) has no field {field!r}{hint}; fields: {fields}").format(
                    layer=name,
                    file=Path(spec.path).name,
                    field=fname,
                    hint=hint,
                    fields=", ".join(fields) or _("(none)"),
                ),
            )


def _field_names(spec: LayerSpec) -> list[str] | None:
    """The field names of a file layer from its header, or None (database, unreadable)."""
    if is_database_uri(spec.path) or not Path(spec.path).exists():
        return None
    import pyogrio

    try:
        info = pyogrio.read_info(spec.path, layer=spec.layer)
    except Exception:  # unreadable: reading the layer gives the proper message
        return None
    return [str(f) for f in info.get("fields", [])]

"""Vocabulary of the maps: basemaps, projections, where keys come from. Cheap to import.

A basemap is written as one string (config ``basemap:``, ``ecogis map --basemap``):

``none``
    No tiles (the default): the map needs no network at all.
``osm``
    OpenStreetMap tiles from the internet (Web Mercator only).
``tianditu`` / ``tianditu-img``
    天地图 vector (``vec`` + ``cva`` labels) or imagery (``img`` + ``cia``), with the layer made
    for the map's projection: ``*_w`` (Web Mercator) for ``mercator`` maps, ``*_c`` (CGCS2000
    longitude/latitude) for ``lonlat`` maps. The key comes from ``TIANDITU_KEY``.
``mbtiles:FILE``
    Tiles embedded in the HTML from a local MBTiles file (Web Mercator), for the map's extent
    and zoom range, up to a size cap: a basemap that needs no network.
``URL [URL ...]``
    Tile URL templates (an intranet tile server or a Tianditu mirror), the first the base, the
    others drawn over it (labels). ``{z}``, ``{x}``, ``{y}`` (``{-y}`` for TMS rows), ``{s}``
    for subdomains, ``{tk}`` for the ``TIANDITU_KEY``, and ``{z+1}`` / ``{z-1}`` for servers
    whose levels are offset from Leaflet's (Tianditu-style longitude/latitude levels start at
    1). WMTS templates may use ``{TileMatrix}``, ``{TileRow}``, ``{TileCol}`` instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import ConfigError
from ..i18n import N_, _

__all__ = [
    "BASEMAPS",
    "BASEMAP_FORMS",
    "PROJECTIONS",
    "TIANDITU_URL",
    "TIANDITU_ENV",
    "TIANDITU_LAYERS",
    "MBTILES_MAX_MB",
    "Basemap",
    "TileSource",
    "parse_basemap",
]

#: named basemaps (config ``basemap:``, ``ecogis map --basemap``); see also :data:`BASEMAP_FORMS`
BASEMAPS = ("none", "osm", "tianditu", "tianditu-img")

#: every form a basemap may take, for messages and ``--help``
BASEMAP_FORMS = (*BASEMAPS, "mbtiles:FILE", "URL template with {z}/{x}/{y}")

#: map projections: Leaflet's Web Mercator, or plain longitude/latitude (CGCS2000 ~ WGS84)
PROJECTIONS = ("mercator", "lonlat")

#: Tianditu tiles; ``{layer}`` is vec / cva / img / cia plus ``_w`` or ``_c``
TIANDITU_URL = "https://t{s}.tianditu.gov.cn/DataServer?T={layer}&x={x}&y={y}&l={z}&tk={key}"

#: environment variable holding the Tianditu key (never written into a config or the repo)
TIANDITU_ENV = "TIANDITU_KEY"

#: named Tianditu basemap -> (base layer, label layer, their names for people)
TIANDITU_LAYERS = {
    "tianditu": ("vec", "cva", N_("Tianditu map"), N_("Tianditu labels")),
    "tianditu-img": ("img", "cia", N_("Tianditu imagery"), N_("Tianditu labels")),
}
#: suffix of the Tianditu layer made for each projection (and the zoom offset of its levels)
_TIANDITU_MATRIX = {"mercator": ("w", 0), "lonlat": ("c", 1)}

#: default cap on the tiles an ``mbtiles:`` basemap embeds in one map, MB
MBTILES_MAX_MB = 30.0

_WMTS = {"{TileMatrix}": "{z}", "{TileRow}": "{y}", "{TileCol}": "{x}"}
_OFFSET_RE = re.compile(r"\{z([+-]\d)\}")
# characters that cannot be in a tile URL we paste into a page (quotes, angle brackets, spaces)
_BAD_URL_CHARS = re.compile(r"[\s\"'<>\\`]")
_PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
_ALLOWED_PLACEHOLDERS = {"z", "x", "y", "-y", "s", "tk", "r"}


@dataclass(frozen=True)
class TileSource:
    """One tile layer of a basemap, ready for Leaflet's ``L.tileLayer``."""

    url: str
    name: str  #: msgid (shown with ``_()``) or a host name
    attribution: str  #: plain text (escaped where it is shown)
    overlay: bool = False
    subdomains: str | None = None
    zoom_offset: int = 0
    max_zoom: int = 18


@dataclass(frozen=True)
class Basemap:
    """A parsed basemap (:func:`parse_basemap`)."""

    kind: str  #: ``none``, ``osm``, ``tianditu``, ``tianditu-img``, ``url`` or ``mbtiles``
    spec: str  #: as written
    path: str | None = None  #: the MBTiles file
    urls: tuple[str, ...] = ()  #: URL templates as written

    @property
    def needs_key(self) -> bool:
        """True when the Tianditu key (``TIANDITU_KEY``) is needed."""
        return self.kind in TIANDITU_LAYERS or any("{tk}" in u for u in self.urls)

    @property
    def uses_network(self) -> bool:
        return self.kind not in ("none", "mbtiles")

    def check_projection(self, projection: str) -> None:
        """Refuse a basemap that cannot be drawn in ``projection``."""
        if projection not in PROJECTIONS:
            raise ConfigError(
                _("projection {value!r} is not known; allowed: {allowed}").format(
                    value=projection, allowed=", ".join(PROJECTIONS)
                )
            )
        if projection != "mercator" and self.kind in ("osm", "mbtiles"):
            raise ConfigError(
                _(
                    "basemap {basemap!r} has Web Mercator tiles only; use projection "
                    "mercator, or a basemap made for longitude/latitude"
                ).format(basemap=self.spec)
            )

    def tiles(self, projection: str = "mercator", key: str | None = None) -> list[TileSource]:
        """The tile layers to draw, base first (none for ``none`` and ``mbtiles``)."""
        self.check_projection(projection)
        if self.kind == "osm":
            return [
                TileSource(
                    url="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                    name="OpenStreetMap",
                    attribution="© OpenStreetMap contributors",
                    max_zoom=19,
                )
            ]
        if self.kind in TIANDITU_LAYERS:
            base, labels, base_name, label_name = TIANDITU_LAYERS[self.kind]
            suffix, offset = _TIANDITU_MATRIX[projection]
            return [
                TileSource(
                    url=TIANDITU_URL.format(
                        layer=f"{layer}_{suffix}", key=key, s="{s}", x="{x}", y="{y}", z="{z}"
                    ),
                    name=name,
                    attribution="© 天地图 tianditu.gov.cn",
                    overlay=overlay,
                    subdomains="01234567",
                    zoom_offset=offset,
                    max_zoom=18 - offset,
                )
                for layer, name, overlay in ((base, base_name, False), (labels, label_name, True))
            ]
        if self.kind == "url":
            out = []
            for i, raw in enumerate(self.urls):
                url = raw
                for wmts, leaflet in _WMTS.items():
                    url = url.replace(wmts, leaflet)
                offset = 0
                match = _OFFSET_RE.search(url)
                if match:
                    offset = int(match.group(1))
                    url = _OFFSET_RE.sub("{z}", url)
                if "{tk}" in url:
                    url = url.replace("{tk}", key or "")
                host = re.sub(r"^https?://", "", raw).split("/")[0]
                subdomains = None
                if "{s}" in url:
                    subdomains = "01234567" if "tianditu" in host else "abc"
                out.append(
                    TileSource(
                        url=url,
                        name=host,
                        attribution=host,
                        overlay=i > 0,
                        subdomains=subdomains,
                        zoom_offset=offset,
                        max_zoom=18 - max(offset, 0),
                    )
                )
            return out
        return []


def parse_basemap(spec: object) -> Basemap:
    """Parse a basemap string (see the module docstring).

    Raises
    ------
    ConfigError
        For anything else, naming the allowed forms.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ConfigError(_allowed(spec))
    text = spec.strip()
    if text in BASEMAPS:
        return Basemap(kind=text, spec=text)
    if text.lower().startswith("mbtiles:"):
        path = text[len("mbtiles:") :].strip()
        if not path:
            raise ConfigError(
                _("basemap {basemap!r}: name the file, e.g. mbtiles:layers/basemap.mbtiles").format(
                    basemap=text
                )
            )
        return Basemap(kind="mbtiles", spec=text, path=path)
    if re.match(r"^https?://", text, flags=re.IGNORECASE):
        urls = tuple(text.split())
        for url in urls:
            _check_url(url)
        return Basemap(kind="url", spec=text, urls=urls)
    raise ConfigError(_allowed(text))


def _check_url(url: str) -> None:
    if not re.match(r"^https?://[^/?#]+", url, flags=re.IGNORECASE):
        raise ConfigError(
            _("basemap URL {url!r}: must start with http:// or https:// and a host").format(url=url)
        )
    if _BAD_URL_CHARS.search(url):
        raise ConfigError(
            _(
                "basemap URL {url!r}: quotes, spaces, backslashes and angle brackets are not "
                "allowed in a tile URL"
            ).format(url=url)
        )
    leaflet = url
    for wmts, name in _WMTS.items():
        leaflet = leaflet.replace(wmts, name)
    leaflet = _OFFSET_RE.sub("{z}", leaflet)
    names = set(_PLACEHOLDER_RE.findall(leaflet))
    unknown = sorted(names - _ALLOWED_PLACEHOLDERS)
    if unknown:
        raise ConfigError(
            _(
                "basemap URL {url!r}: unknown placeholder(s) {names}; allowed: {{z}} {{x}} "
                "{{y}} {{-y}} {{s}} {{tk}} {{z+1}} {{TileMatrix}} {{TileRow}} {{TileCol}}"
            ).format(url=url, names=", ".join("{" + n + "}" for n in unknown))
        )
    if not ({"z", "x"} <= names and names & {"y", "-y"}):
        raise ConfigError(
            _(
                "basemap URL {url!r}: a tile URL needs {{z}}, {{x}} and {{y}} (or WMTS "
                "{{TileMatrix}}, {{TileCol}}, {{TileRow}})"
            ).format(url=url)
        )


def _allowed(value: object) -> str:
    return _("basemap {value!r} is not known; allowed: {allowed}").format(
        value=value, allowed=", ".join(BASEMAP_FORMS)
    )

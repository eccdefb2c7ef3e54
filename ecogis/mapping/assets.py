"""Offline JS/CSS for maps: Leaflet (and, on request, jQuery) inlined from XStatic packages.

folium's ``Map`` links Leaflet, jQuery, Bootstrap, font-awesome and awesome-markers from CDNs.
On a government intranet none of them loads and the page stays blank. ecogis maps need only
Leaflet: the legend, panel, popups and layer ordering are plain DOM/Leaflet code, so the
other CDN assets are dropped rather than inlined (about 400 kB saved per map).

Leaflet's CSS refers to its control and marker images by relative URL; they are inlined as
``data:`` URIs so a map is one self-contained file.
"""

from __future__ import annotations

import base64
import functools
import re
from pathlib import Path

from branca.element import Element

from ..errors import EcogisError

__all__ = ["leaflet_js", "leaflet_css", "jquery_js", "inline_script", "inline_style", "add_jquery"]

_IMAGES = (
    "layers.png",
    "layers-2x.png",
    "marker-icon.png",
    "marker-icon-2x.png",
    "marker-shadow.png",
)


def _leaflet_dir() -> Path:
    try:
        import xstatic.pkg.leaflet as xl
    except ImportError as exc:  # pragma: no cover - a dependency of ecogis
        raise EcogisError(
            "offline maps need the XStatic-Leaflet package (pip install XStatic-Leaflet); "
            "or make an online map (online=True / CLI: --online)"
        ) from exc
    return Path(xl.BASE_DIR)


def _read_asset(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    # the .map file is not shipped inline; the comment would only make devtools ask for it
    text = re.sub(r"^//# sourceMappingURL=.*$", "", text, flags=re.MULTILINE)
    if re.search(r"</(script|style)", text, flags=re.IGNORECASE):
        # cannot happen with the packaged files, but would silently truncate the page
        raise EcogisError(
            f"{path}: asset contains a closing </script> or </style> tag; cannot inline it"
        )
    return text


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


@functools.lru_cache(maxsize=1)
def leaflet_js() -> str:
    """Return Leaflet's minified JS from XStatic-Leaflet, plus the default-icon fix.

    With the marker images inlined, Leaflet's icon-path guess (which looks for
    ``marker-icon.png`` in a CSS URL) fails; setting ``imagePath`` to ``''`` and the icon URLs
    to ``data:`` URIs keeps ``L.marker`` working offline.
    """
    base = _leaflet_dir()
    images = base / "images"
    fix = (
        "\nL.Icon.Default.imagePath = '';\n"
        "L.Icon.Default.mergeOptions({"
        f"iconUrl: '{_data_uri(images / 'marker-icon.png')}', "
        f"iconRetinaUrl: '{_data_uri(images / 'marker-icon-2x.png')}', "
        f"shadowUrl: '{_data_uri(images / 'marker-shadow.png')}'"
        "});\n"
    )
    return _read_asset(base / "leaflet.js") + fix


@functools.lru_cache(maxsize=1)
def leaflet_css() -> str:
    """Return Leaflet's CSS with every ``url(images/...)`` replaced by a ``data:`` URI."""
    base = _leaflet_dir()
    css = _read_asset(base / "leaflet.css")
    for name in _IMAGES:
        css = css.replace(f"url(images/{name})", f'url("{_data_uri(base / "images" / name)}")')
    left = re.findall(r"url\((?!\"data:|#default#VML)[^)]*\)", css)
    if left:
        raise EcogisError(
            f"leaflet.css: cannot inline {left}; update ecogis.mapping.assets._IMAGES"
        )
    return css


@functools.lru_cache(maxsize=1)
def jquery_js() -> str:
    """Return jQuery from XStatic-jQuery (only needed by some folium elements)."""
    try:
        import xstatic.pkg.jquery as xj
    except ImportError as exc:  # pragma: no cover
        raise EcogisError("this map needs jQuery: install the XStatic-jQuery package") from exc
    base = Path(xj.BASE_DIR)
    for name in ("jquery.min.js", "jquery.js"):
        if (base / name).exists():
            return _read_asset(base / name)
    raise EcogisError(
        f"{base}: no jquery.min.js or jquery.js in XStatic-jQuery"
    )  # pragma: no cover


def inline_script(code: str) -> Element:
    """A header element holding ``code`` in an inline ``<script>``."""
    return Element(f"<script>\n{code}\n</script>")


def inline_style(css: str) -> Element:
    """A header element holding ``css`` in an inline ``<style>``."""
    return Element(f"<style>\n{css}\n</style>")


def add_jquery(m) -> None:
    """Inline jQuery into an offline map.

    ecogis's own elements do not need it. Call this before saving if you add folium elements
    that do: ``folium.Popup`` with HTML content, ``Map.keep_in_front``. On an online map
    folium's CDN link is added instead.
    """
    if not getattr(m, "offline", False):
        import folium

        if not any(name == "jquery" for name, _ in m.default_js):
            m.default_js = [
                *m.default_js,
                *[(n, u) for n, u in folium.Map.default_js if n == "jquery"],
            ]
        return
    m.get_root().header.add_child(inline_script(jquery_js()), name="ecogis_jquery")

"""The language people read: Chinese (zh_CN) or English, from gettext catalogues.

Which language
--------------
``ECOGIS_LANG=zh`` or ``en`` when set; else the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``:
one starting with ``zh`` gives Chinese); else English. It is looked up each time a text is
translated, so a test (or a long-lived process) can switch by changing the environment.

How code marks text
-------------------
``_("...")`` translates a message when it is built; it is the msgid in the catalogue, so write
it in English with ``str.format`` fields named, never f-strings::

    raise LayerError(_("{path}: file not found").format(path=path))

``N_("...")`` only marks a text that is translated later (help texts, labels in tables):
``_(text)`` at the place it is shown. ``ngettext(singular, plural, n)`` for counts.

Machine-readable outputs (GPKG, GeoJSON, CSV field names and values) are never translated.

Catalogues
----------
``ecogis/i18n/locale/zh_CN/LC_MESSAGES/ecogis.po`` holds the Chinese texts, compiled to
``ecogis.mo`` beside it (shipped in the package). After changing messages::

    python3 -m ecogis.i18n extract    # update ecogis.pot and ecogis.po (Babel)
    python3 -m ecogis.i18n compile    # write ecogis.mo

A test checks that every marked message has a translation and that the ``.mo`` is current.
"""

from __future__ import annotations

import functools
import gettext as _gettext
import os
from pathlib import Path

__all__ = [
    "LANGUAGES",
    "DOMAIN",
    "LOCALE_DIR",
    "language",
    "is_chinese",
    "translation",
    "_",
    "N_",
    "chinese",
    "label_of",
    "ngettext",
    "translate_click",
]

#: interface languages: code -> catalogue locale (None: the msgids themselves, English)
LANGUAGES = {"zh": "zh_CN", "en": None}
DOMAIN = "ecogis"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
_ENV = "ECOGIS_LANG"


def language() -> str:
    """``"zh"`` or ``"en"``: ``ECOGIS_LANG``, else the locale, else English."""
    chosen = os.environ.get(_ENV, "").strip().lower()
    if chosen:
        return "zh" if chosen.startswith("zh") else "en"
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "").strip()
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def is_chinese() -> bool:
    return language() == "zh"


@functools.lru_cache(maxsize=4)
def translation(lang: str) -> _gettext.NullTranslations:
    """The catalogue of ``lang`` (a NullTranslations for English or a missing catalogue)."""
    locale = LANGUAGES.get(lang)
    if locale is None:
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, LOCALE_DIR, languages=[locale], fallback=True)


def _(message: str) -> str:
    """``message`` in the current language."""
    return translation(language()).gettext(message)


def chinese(message: str) -> str:
    """``message`` in Chinese whatever the interface language (column titles that QGIS shows
    as aliases, headers an import recognises)."""
    return translation("zh").gettext(message)


def N_(message: str) -> str:
    """Mark ``message`` for translation where it is shown, not here (returns it unchanged)."""
    return message


def label_of(labels, key, default: str | None = None) -> str:
    """The translated label of ``key`` in a vocabulary (``{key: N_("...")}``); ``default``
    (else the key itself) for a key the vocabulary does not know."""
    text = labels.get(key) if key is not None else None
    if text is None:
        return str(key) if default is None else default
    return _(text)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form of a message for ``n`` in the current language."""
    return translation(language()).ngettext(singular, plural, n)


#: click modules that import ``gettext`` / ``ngettext`` as module globals
_CLICK_MODULES = (
    "core",
    "decorators",
    "exceptions",
    "formatting",
    "parser",
    "shell_completion",
    "termui",
    "types",
    "utils",
    "_termui_impl",
)


def translate_click() -> None:
    """Make click's own texts ("Usage:", "Options:", "Show this message and exit.", its
    errors) follow the ecogis language: its modules look ``_`` / ``ngettext`` up as globals."""
    import importlib

    for name in _CLICK_MODULES:
        try:
            module = importlib.import_module(f"click.{name}")
        except ImportError:  # pragma: no cover - a click without that module
            continue
        if hasattr(module, "_"):
            module._ = _
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext

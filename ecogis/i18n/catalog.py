"""Extract, merge and compile the gettext catalogues (needs Babel: ``pip install babel``).

The running package needs only the compiled ``.mo`` files and the standard library.
"""

from __future__ import annotations

import io
from pathlib import Path

from . import DOMAIN, LANGUAGES, LOCALE_DIR

__all__ = ["KEYWORDS", "extract", "compile_catalogs", "check", "compiled_bytes", "po_path"]

#: the marking functions: name -> positions of the message arguments
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
PACKAGE = Path(__file__).resolve().parents[1]
POT = LOCALE_DIR / f"{DOMAIN}.pot"


def po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def _template():
    import click
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    catalog = Catalog(project="ecogis", domain=DOMAIN, charset="utf-8")
    for root, comments_tag in ((PACKAGE, None), (Path(click.__file__).parent, None)):
        for filename, lineno, message, comments, context in extract_from_dir(
            str(root),
            method_map=[("**.py", "python")],
            keywords=KEYWORDS,
            comment_tags=("TRANSLATORS:",) if comments_tag is None else (),
            strip_comment_tags=True,
        ):
            where = "click/" + filename if root != PACKAGE else "ecogis/" + filename
            catalog.add(message, None, [(where, lineno)], auto_comments=comments, context=context)
    return catalog


def extract() -> list[tuple[Path, int]]:
    """Write ``ecogis.pot`` and merge it into every ``.po``; ``[(path, messages)]``."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    template = _template()
    POT.parent.mkdir(parents=True, exist_ok=True)
    with open(POT, "wb") as fh:
        write_po(fh, template, width=100, sort_by_file=False, omit_header=False)
    out = [(POT, len(template))]
    for locale in (loc for loc in LANGUAGES.values() if loc):
        path = po_path(locale)
        if path.exists():
            with open(path, "rb") as fh:
                catalog = read_po(fh, locale=locale)
        else:
            catalog = Catalog(locale=locale, domain=DOMAIN, charset="utf-8")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.fuzzy = False  # the header: translations are reviewed by hand
        catalog.project, catalog.version = "ecogis", ""
        catalog.language_team = "ecogis"
        catalog.msgid_bugs_address = ""
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            write_po(fh, catalog, width=100, include_previous=False)
        out.append((path, len(catalog)))
    return out


def compiled_bytes(locale: str) -> bytes:
    """The ``.mo`` that the ``.po`` of ``locale`` compiles to."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with open(po_path(locale), "rb") as fh:
        catalog = read_po(fh, locale=locale)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


def compile_catalogs() -> list[Path]:
    """Write the ``.mo`` of every ``.po``."""
    written = []
    for locale in (loc for loc in LANGUAGES.values() if loc):
        path = po_path(locale).with_suffix(".mo")
        path.write_bytes(compiled_bytes(locale))
        written.append(path)
    return written


def check() -> dict[str, list[str]]:
    """Locale -> texts of the package (not click's) that have no translation."""
    from babel.messages.pofile import read_po

    template = _template()
    missing: dict[str, list[str]] = {}
    for locale in (loc for loc in LANGUAGES.values() if loc):
        with open(po_path(locale), "rb") as fh:
            catalog = read_po(fh, locale=locale)
        ids = []
        for msg in template:
            if not msg.id or not any(f.startswith("ecogis/") for f, _ in msg.locations):
                continue
            found = catalog.get(msg.id)
            strings = found.string if found is not None else None
            if isinstance(strings, (tuple, list)):
                ok = all(strings)
            else:
                ok = bool(strings)
            if not ok or (found is not None and found.fuzzy):
                ids.append(msg.id if isinstance(msg.id, str) else msg.id[0])
        missing[locale] = ids
    return missing

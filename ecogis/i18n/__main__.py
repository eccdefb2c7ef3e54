"""Maintain the catalogues: ``python3 -m ecogis.i18n extract|compile|check``.

``extract`` collects every ``_()`` / ``N_()`` / ``ngettext()`` text of the package and click's
own texts into ``locale/ecogis.pot`` and merges them into each ``.po`` (translations kept, new
texts empty, texts no longer used marked obsolete). ``compile`` writes the ``.mo`` files.
``check`` lists texts without a translation (exit status 1 when there are any).
"""

from __future__ import annotations

import sys

from .catalog import check, compile_catalogs, extract

if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else ""
    if what == "extract":
        for path, n in extract():
            print(f"{path}: {n} messages")
    elif what == "compile":
        for path in compile_catalogs():
            print(f"wrote {path}")
    elif what == "check":
        missing = check()
        for locale, ids in missing.items():
            for msgid in ids:
                print(f"{locale}: untranslated: {msgid!r}")
        sys.exit(1 if any(missing.values()) else 0)
    else:
        print(__doc__)
        sys.exit(2)

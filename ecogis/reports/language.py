"""Documents are written in Chinese whatever the interface language.

A site review opinion or a progress report goes to a Chinese bureau's leader, so every text a
document holds (headings, column titles, verdicts, reasons, legends) is taken from the Chinese
catalogue while it is built; the command's own messages stay in the user's language.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

__all__ = ["in_chinese", "DOCUMENT_LANGUAGE"]

#: the language of every document and map sheet
DOCUMENT_LANGUAGE = "zh"
_ENV = "ECOGIS_LANG"


@contextlib.contextmanager
def in_chinese() -> Iterator[None]:
    """Translate every ``_()`` into Chinese inside the block, then restore the language.

    The language is read from ``ECOGIS_LANG`` at each translation (:mod:`ecogis.i18n`), so
    setting it for the block is enough; it is restored even when the block raises.
    """
    old = os.environ.get(_ENV)
    os.environ[_ENV] = DOCUMENT_LANGUAGE
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(_ENV, None)
        else:
            os.environ[_ENV] = old

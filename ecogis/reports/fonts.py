"""A font with Chinese characters for map sheets and figures.

Matplotlib draws text with the fonts it knows; without one that has Chinese characters every
汉字 becomes an empty box. :func:`find_cjk_font` picks the first installed font of
:data:`~ecogis.reports.model.CJK_FONTS` (Noto Sans CJK, Source Han Sans, Microsoft YaHei,
SimHei, WenQuanYi, SimSun ...), or the font file given with ``--font``; it says clearly when
there is none rather than printing boxes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import EcogisError
from ..i18n import _
from .model import CJK_FONTS

__all__ = ["CJKFont", "FontError", "find_cjk_font"]

#: a character every Chinese font has (the test of a font file given with --font)
_PROBE = "图"


class FontError(EcogisError, LookupError):
    """No font with Chinese characters, or a ``--font`` file that is not one."""

    exit_code = 2


@dataclass(frozen=True)
class CJKFont:
    """The font documents are drawn with: its family name and file."""

    name: str
    path: Path


def find_cjk_font(
    font: str | os.PathLike | None = None, *, candidates: tuple[str, ...] = CJK_FONTS
) -> CJKFont:
    """The Chinese font to draw with: ``font`` (a font file) when given, else the first of
    ``candidates`` that is installed.

    Raises
    ------
    FontError
        ``font`` is missing, not a font, or has no Chinese characters; or no candidate is
        installed (the message says how to install one or pass ``--font``).
    """
    from matplotlib import font_manager

    if font is not None:
        path = Path(font)
        if not path.is_file():
            raise FontError(_("{path}: font file not found").format(path=path))
        try:
            font_manager.fontManager.addfont(str(path))
            name = font_manager.FontProperties(fname=str(path)).get_name()
        except Exception as exc:  # FreeType's message says what is wrong with the file
            raise FontError(
                _("{path}: not a font file FreeType can read ({error})").format(
                    path=path, error=exc
                )
            ) from None
        if not _has_chinese(path):
            raise FontError(
                _(
                    "{path}: font {name} has no Chinese characters; give a Chinese font such "
                    "as NotoSansCJK-Regular.ttc, simhei.ttf or msyh.ttc"
                ).format(path=path, name=name)
            )
        return CJKFont(name=name, path=path)
    installed: dict[str, str] = {}
    for entry in font_manager.fontManager.ttflist:
        # the regular face when a family has several (bold faces are picked by weight)
        if entry.weight in (400, "normal", "regular") or entry.name not in installed:
            installed[entry.name] = entry.fname
    for name in candidates:
        if name in installed:
            return CJKFont(name=name, path=Path(installed[name]))
    raise FontError(
        _(
            "no font with Chinese characters found (looked for {names}); install one (Debian / "
            "Ubuntu: apt-get install fonts-noto-cjk) or pass --font FILE (e.g. "
            "C:/Windows/Fonts/simhei.ttf)"
        ).format(names=", ".join(candidates[:6]) + " ...")
    )


def _has_chinese(path: Path) -> bool:
    """True when the font file maps the probe character to a glyph."""
    from matplotlib.ft2font import FT2Font

    try:
        return ord(_PROBE) in FT2Font(str(path)).get_charmap()
    except Exception:
        return False

"""Chinese numerals for headings (一、 （二） ...): documents number their parts the way
Chinese reports do."""

from __future__ import annotations

from ..i18n import is_chinese

__all__ = ["chinese_numeral"]

_DIGITS = "零一二三四五六七八九"


def chinese_numeral(n: int) -> str:
    """``n`` (1-9999) in Chinese numerals in a Chinese text (``十二``, ``一百零五``), else in
    digits."""
    if not is_chinese() or not 0 < n < 10000:
        return str(n)
    if n < 10:
        return _DIGITS[n]
    if n < 20:
        return "十" + (_DIGITS[n - 10] if n > 10 else "")
    out = ""
    zero = False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d, n = divmod(n, value)
        if d:
            if zero and out:
                out += "零"
            out += _DIGITS[d] + unit
            zero = False
        else:
            zero = True
    return out

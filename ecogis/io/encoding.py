"""Text encoding of shapefile DBFs: read Chinese attributes without mojibake.

GDAL takes a shapefile's encoding from the ``.cpg`` file, then from the DBF's language
driver id (LDID, byte 29). With neither it assumes ISO-8859-1, which turns GBK and UTF-8
Chinese text into mojibake. Real files add two traps:

- LDID 0x57 ("the writer's ANSI code page", written by ArcGIS on a Chinese Windows, where
  that is GBK) and 0x00 say nothing about the text; GDAL reads them as CP1252 / Latin-1.
- A ``.cpg`` can name a code page that does not exist (``FOOBAR-99``) or that the bytes
  cannot be in (``UTF-8`` over GBK text, ``1252`` over Chinese).

:func:`resolve_dbf_encoding` decides what to decode with: a declaration that is known and
fits the bytes is used; otherwise the text is detected — UTF-8 strictly first (GBK text is
almost never valid UTF-8), then GB18030 (a superset of GBK and GB2312) — and a warning says so.
"""

from __future__ import annotations

import codecs
import re
import struct
from pathlib import Path

from ..i18n import _

__all__ = [
    "detect_dbf_encoding",
    "dbf_declared_encoding",
    "resolve_dbf_encoding",
    "codec_of",
    "LDID_CODE_PAGES",
]

#: LDID byte -> code page, for the ones met in Chinese data (from the dBASE/ESRI tables).
#: 0x00 (none) and 0x57 (the writer's ANSI code page) are absent on purpose: they do not say.
LDID_CODE_PAGES = {
    0x01: "CP437",
    0x02: "CP850",
    0x03: "CP1252",
    0x4D: "CP936",
    0x4E: "CP949",
    0x4F: "CP950",
    0x78: "CP950",
    0x7A: "CP936",
    0x7B: "CP932",
    0xC8: "CP1250",
    0xC9: "CP1251",
}
# what the LDID bytes that say nothing mean, for messages
_LDID_UNKNOWN = {0x57: "0x57 (the writer's ANSI code page)", 0x00: None}

# .cpg spellings -> Python codec name (anything else goes through codecs.lookup)
_CPG_ALIASES = {
    "utf8": "utf-8",
    "65001": "utf-8",
    "936": "cp936",
    "ansi936": "cp936",
    "cp936": "cp936",
    "gbk": "cp936",
    "gb2312": "gb2312",
    "gb18030": "gb18030",
    "54936": "gb18030",
    "950": "cp950",
    "big5": "cp950",
    "1252": "cp1252",
    "ansi1252": "cp1252",
    "88591": "latin-1",
    "iso88591": "latin-1",
    "latin1": "latin-1",
    "437": "cp437",
    "oem": "cp437",
    "850": "cp850",
}
# single-byte Western code pages: they decode any bytes, so "it decodes" proves nothing
_SINGLE_BYTE = {"cp1252", "latin-1", "iso8859-1", "cp437", "cp850", "iso8859-15", "cp1250"}
# iconv / GDAL spellings of the codecs ecogis hands to GDAL
_GDAL_NAMES = {"utf-8": "UTF-8", "gb18030": "GB18030", "cp936": "CP936", "latin-1": "ISO-8859-1"}


def codec_of(name: str) -> str | None:
    """The Python codec a ``.cpg`` text or encoding name means, or None when unknown."""
    key = re.sub(r"[\s_\-]", "", str(name)).lower()
    if key in _CPG_ALIASES:
        return _CPG_ALIASES[key]
    if key.isdigit():
        key = f"cp{key}"
    try:
        return codecs.lookup(key).name
    except LookupError:
        try:
            return codecs.lookup(str(name).strip()).name
        except LookupError:
            return None


def _gdal_name(codec: str) -> str:
    return _GDAL_NAMES.get(codec, codec.upper())


def _cpg_path(p: Path) -> Path | None:
    for ext in (".cpg", ".CPG"):
        cpg = p.with_suffix(ext)
        if cpg.exists():
            return cpg
    return None


def _cpg_text(p: Path) -> str | None:
    cpg = _cpg_path(p)
    if cpg is None:
        return None
    text = cpg.read_text(encoding="ascii", errors="replace").strip()
    return text or None


def _ldid(p: Path) -> int | None:
    dbf = _dbf_path(p)
    if dbf is None:
        return None
    with open(dbf, "rb") as fh:
        head = fh.read(32)
    if len(head) < 32:
        return None
    return head[29]


def dbf_declared_encoding(shp_or_dbf: str | Path) -> str | None:
    """Encoding declared by a ``.cpg`` sidecar (its text) or the DBF's LDID byte, else None.

    LDID 0x00 and 0x57 declare nothing (None).
    """
    p = Path(shp_or_dbf)
    text = _cpg_text(p)
    if text is not None:
        return text
    ldid = _ldid(p)
    return LDID_CODE_PAGES.get(ldid) if ldid is not None else None


def _dbf_path(p: Path) -> Path | None:
    for ext in (".dbf", ".DBF"):
        cand = p.with_suffix(ext)
        if cand.exists():
            return cand
    return None


class _Value(bytes):
    """Raw bytes of a text field; ``full`` when they fill the field (a writer may have cut
    a multi-byte character at its end)."""

    full: bool = False


def _text_values(dbf: Path, limit: int = 5000) -> list[_Value]:
    """Raw bytes of the non-ASCII character fields of the first ``limit`` records."""
    with open(dbf, "rb") as fh:
        head = fh.read(32)
        if len(head) < 32:
            return []
        nrec, header_len, rec_len = struct.unpack("<IHH", head[4:12])
        rest = fh.read(max(header_len - 32, 0) + rec_len * min(nrec, limit))
    data = head + rest
    fields = []
    offset = 1  # deletion flag
    pos = 32
    while pos + 32 <= header_len and pos < len(data) and data[pos] != 0x0D:
        desc = data[pos : pos + 32]
        ftype = chr(desc[11])
        flen = desc[16]
        if ftype == "C":
            flen = desc[16] + 256 * desc[17]  # long character fields store the high byte
            fields.append((offset, flen))
        offset += flen
        pos += 32
    values = []
    for i in range(min(nrec, limit)):
        rec = data[header_len + i * rec_len : header_len + (i + 1) * rec_len]
        for off, flen in fields:
            raw = rec[off : off + flen].rstrip(b" \x00")
            if any(b >= 0x80 for b in raw):
                value = _Value(raw)
                value.full = len(raw) == flen
                values.append(value)
    return values


def _detect(values: list[bytes]) -> str | None:
    if not values:
        return None
    if all(_decodes(v, "utf-8") for v in values):
        return "UTF-8"
    if all(_decodes(v, "gb18030") for v in values):
        return "GB18030"
    return None


def detect_dbf_encoding(shp_or_dbf: str | Path) -> str | None:
    """Guess the encoding of a DBF from its bytes.

    Returns ``"UTF-8"`` when every non-ASCII value decodes as UTF-8, ``"GB18030"`` when every
    one decodes as GB18030 (a superset of GBK and GB2312), None when the text is pure ASCII
    or matches neither.
    """
    dbf = _dbf_path(Path(shp_or_dbf))
    if dbf is None:
        return None
    return _detect(_text_values(dbf))


def _decodes(raw: bytes, enc: str) -> bool:
    return _decoded(raw, enc) is not None


def _decoded(raw: bytes, enc: str) -> str | None:
    try:
        return raw.decode(enc)
    except UnicodeDecodeError:
        if not getattr(raw, "full", False):
            return None
        # a value filling its fixed-width field may end in a cut multi-byte character
        for cut in (1, 2, 3):
            if cut >= len(raw):
                break
            try:
                return raw[:-cut].decode(enc)
            except UnicodeDecodeError:
                continue
        return None


# characters of Chinese text besides ASCII: CJK ideographs and punctuation, full-width forms,
# general punctuation (“”—…), Roman numerals (Ⅰ级保护林地), circled numbers, · ° ×
_CHINESE = re.compile(
    "[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef\u2000-\u206f"
    "\u2160-\u217f\u2460-\u24ff\u3200-\u32ff\u00b7\u00b0\u00d7\u00b2\u00b3]"
)


def _reads_as_chinese(values: list[bytes], enc: str) -> bool:
    """Every value decodes with ``enc`` and every non-ASCII character is Chinese text."""
    n = 0
    for v in values:
        text = _decoded(v, enc)
        if text is None:
            return False
        for ch in text:
            if ord(ch) >= 0x80:
                if not _CHINESE.match(ch):
                    return False
                n += 1
    return n >= 2


def resolve_dbf_encoding(
    shp_or_dbf: str | Path, encoding: str | None = None
) -> tuple[str | None, str | None]:
    """The encoding to read a shapefile's text with, and a warning to give (or None).

    Parameters
    ----------
    shp_or_dbf
        The ``.shp`` or ``.dbf``.
    encoding
        An encoding the user gave (config ``encoding:``, ``--encoding``): used as it is.

    Returns
    -------
    (encoding, warning)
        ``encoding`` is an iconv name for GDAL (``GB18030``), or None to let GDAL decide
        (pure ASCII text, or a declaration that fits). ``warning`` explains a detection.
    """
    if encoding:
        return encoding, None
    p = Path(shp_or_dbf)
    dbf = _dbf_path(p)
    values = _text_values(dbf) if dbf is not None else []
    cpg = _cpg_text(p)
    ldid = _ldid(p)
    fname = p.name
    if cpg is not None:
        where = _("{file}: its .cpg says {cpg!r}").format(
            file=fname, cpg=cpg[:40] + ("…" if len(cpg) > 40 else "")
        )
        declared = codec_of(cpg)
        if declared is None:
            why = _("{where}, a code page that does not exist").format(where=where)
            # ASCII text reads as UTF-8; GDAL would choke on the unknown name
            return _detected(values, why, ascii_text="UTF-8", has_cpg=True)
    elif ldid in LDID_CODE_PAGES:
        declared = codec_of(LDID_CODE_PAGES[ldid])
        where = _("{file}: its DBF code-page byte says {cp}").format(
            file=fname, cp=LDID_CODE_PAGES[ldid]
        )
    else:
        declared = None
        if ldid in _LDID_UNKNOWN and _LDID_UNKNOWN[ldid]:
            why = _(
                "{file}: no .cpg, and the DBF code-page byte is {ldid}, which does not name "
                "the code page"
            ).format(file=fname, ldid=_LDID_UNKNOWN[ldid])
        else:
            why = _("{file}: no .cpg and no code page in the DBF").format(file=fname)
        return _detected(values, why, ascii_text=None, has_cpg=False)
    if not values:
        return None, None  # ASCII only: every code page reads it alike
    if not all(_decodes(v, declared) for v in values):
        why = _("{where}, but the text is not valid {codec}").format(
            where=where, codec=_gdal_name(declared)
        )
        return _detected(values, why, ascii_text=None, has_cpg=cpg is not None)
    if declared in _SINGLE_BYTE:
        # a Western code page decodes any bytes: Chinese text in it would be mojibake
        found = None
        if all(_decodes(v, "utf-8") for v in values) and _reads_as_chinese(values, "utf-8"):
            found = "UTF-8"
        elif _reads_as_chinese(values, "gb18030"):
            found = "GB18030"
        if found:
            return found, _(
                "{where}, but the text is Chinese in {found}, which {codec} would garble; "
                "text decoded as {found} (detected). {fix}"
            ).format(where=where, found=found, codec=_gdal_name(declared), fix=_fix(cpg))
    return _gdal_name(declared), None


def _fix(cpg: str | None) -> str:
    if cpg is None:
        return _("Write a .cpg to make it explicit.")
    return _("Correct the .cpg to make it explicit.")


def _detected(
    values: list[bytes], why: str, *, ascii_text: str | None, has_cpg: bool
) -> tuple[str | None, str | None]:
    """Detect: (encoding, warning). ``ascii_text``: what to read pure ASCII text with."""
    found = _detect(values)
    if found is not None:
        return found, _("{why}; text decoded as {found} (detected). {fix}").format(
            why=why, found=found, fix=_fix("" if has_cpg else None)
        )
    if not values:
        return ascii_text, None
    # ISO-8859-1 decodes any bytes: the text is kept (garbled, and said so), never lost
    return "ISO-8859-1", _(
        "{why}; the text is neither UTF-8 nor GBK/GB18030, so it may come out garbled — "
        "give the encoding (config layers.<name>.encoding, or --encoding)"
    ).format(why=why)

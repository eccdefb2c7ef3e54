"""Text encoding of shapefile DBFs: read Chinese attributes without mojibake.

GDAL takes a shapefile's encoding from the ``.cpg`` file, then from the DBF's language
driver id (LDID, byte 29). With neither it assumes ISO-8859-1, which turns GBK and UTF-8
Chinese text into mojibake. :func:`detect_dbf_encoding` looks at the bytes instead.
"""

from __future__ import annotations

import struct
from pathlib import Path

__all__ = ["detect_dbf_encoding", "dbf_declared_encoding"]

# LDID byte -> code page, for the ones met in Chinese data (from the dBASE/ESRI tables)
_LDID = {0x4D: "GB2312", 0x7A: "CP936", 0x03: "CP1252", 0x57: "CP1252", 0x01: "CP437", 0x78: "BIG5"}


def dbf_declared_encoding(shp_or_dbf: str | Path) -> str | None:
    """Encoding declared by a ``.cpg`` sidecar or the DBF's LDID byte, else None."""
    p = Path(shp_or_dbf)
    for ext in (".cpg", ".CPG"):
        cpg = p.with_suffix(ext)
        if cpg.exists():
            text = cpg.read_text(encoding="ascii", errors="replace").strip()
            if text:
                return text
    dbf = _dbf_path(p)
    if dbf is None:
        return None
    with open(dbf, "rb") as fh:
        head = fh.read(32)
    if len(head) < 32:
        return None
    return _LDID.get(head[29])


def _dbf_path(p: Path) -> Path | None:
    for ext in (".dbf", ".DBF"):
        cand = p.with_suffix(ext)
        if cand.exists():
            return cand
    return None


def _text_values(dbf: Path, limit: int = 5000) -> list[bytes]:
    """Raw bytes of the character fields of the first ``limit`` records."""
    data = dbf.read_bytes()
    if len(data) < 32:
        return []
    nrec, header_len, rec_len = struct.unpack("<IHH", data[4:12])
    fields = []
    offset = 1  # deletion flag
    pos = 32
    while pos + 32 <= header_len and data[pos] != 0x0D:
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
                values.append(raw)
    return values


def detect_dbf_encoding(shp_or_dbf: str | Path) -> str | None:
    """Guess the encoding of a DBF that declares none.

    Returns ``"UTF-8"`` when every non-ASCII value decodes as UTF-8, ``"GB18030"`` when every
    one decodes as GB18030 (a superset of GBK and GB2312), None when the text is pure ASCII
    or matches neither (then GDAL's default applies and the caller warns).
    """
    dbf = _dbf_path(Path(shp_or_dbf))
    if dbf is None:
        return None
    values = _text_values(dbf)
    if not values:
        return None
    if all(_decodes(v, "utf-8") for v in values):
        return "UTF-8"
    if all(_decodes(v, "gb18030") for v in values):
        return "GB18030"
    return None


def _decodes(raw: bytes, enc: str) -> bool:
    try:
        raw.decode(enc)
    except UnicodeDecodeError:
        # fixed-width fields can cut a multi-byte character at the end: allow that once
        for cut in (1, 2, 3):
            try:
                raw[:-cut].decode(enc)
                return True
            except UnicodeDecodeError:
                continue
        return False
    return True

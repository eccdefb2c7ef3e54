"""Atomic file replacement: write beside the target, then rename over it.

Temporary files and folders are hidden and named ``.ecogis-<pid>-<random>.tmp...``, never
after the target (whose name may hold characters the writer drops), so a temporary of a
process that died (killed, power cut) is recognised and removed by the next write into the
same folder.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import EcogisError, LayerError
from ..i18n import _

__all__ = [
    "atomic_path",
    "atomic_paths",
    "atomic_group",
    "check_output",
    "clean_orphans",
    "SIDECARS",
]

#: files that travel with a shapefile
SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".shp.xml")


def check_output(path: str | os.PathLike, *, overwrite: bool) -> None:
    """Refuse an output path that cannot be written: existing (without ``overwrite``), in a
    folder that is missing, is a file, or is not writable. Commands call it before their work,
    so that a long run does not end in a refused write."""
    path = Path(path)
    if re.search(r"[\x00-\x1f\x7f]", path.name):
        raise LayerError(
            _(
                "{path}: the file name holds a control character (a newline?); choose another name"
            ).format(path=repr(str(path)))
        )
    if path.exists() and not overwrite:
        raise LayerError(_("{path}: file exists; pass --overwrite to replace it").format(path=path))
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise LayerError(
            _("{path}: output folder {folder} does not exist").format(path=path, folder=parent)
        )
    if not parent.is_dir():
        raise LayerError(
            _("{path}: {folder} is a file, not a folder").format(path=path, folder=parent)
        )
    if not os.access(parent, os.W_OK):
        raise LayerError(
            _("{path}: output folder {folder} is not writable").format(path=path, folder=parent)
        )


#: temporary files and folders of a write: ``.ecogis-<pid>-<random>.tmp[.suffix]``
_TMP_PREFIX = ".ecogis-"
_TMP_RE = re.compile(r"^\.ecogis-(\d+)-[^/]*\.tmp")


def _tmp_prefix() -> str:
    return f"{_TMP_PREFIX}{os.getpid()}-"


def clean_orphans(folder: str | os.PathLike) -> list[Path]:
    """Remove the temporaries that writes of dead processes left in ``folder``; the removed."""
    removed = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return removed
    for entry in entries:
        m = _TMP_RE.match(entry.name)
        if m is None or int(m.group(1)) == os.getpid() or _alive(int(m.group(1))):
            continue
        with contextlib.suppress(OSError):
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success rename it over ``path``.

    If the body raises (or the process dies), the temporary file is removed (or left as
    an orphan ``.tmp``) and ``path`` keeps its old content.
    """
    path = Path(path)
    check_output(path, overwrite=overwrite)
    clean_orphans(path.parent)
    # keep the real suffix last: GDAL checks it (a GeoPackage must end in .gpkg)
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=_tmp_prefix(), suffix=f".tmp{_safe_suffix(path)}", dir=path.parent
        )
    except OSError as exc:  # root passes os.access, yet a read-only mount still refuses
        raise _unwritable(path, exc) from None
    os.close(fd)
    tmp_path = Path(tmp)
    tmp_path.unlink()  # writers such as GDAL want to create the file themselves
    try:
        yield tmp_path
        _fsync(tmp_path)
        os.replace(tmp_path, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        if _is_write_failure(exc):
            raise _write_failed(path, exc) from exc
        raise


@contextlib.contextmanager
def atomic_paths(path: str | os.PathLike, *, overwrite: bool = True) -> Iterator[Path]:
    """Like :func:`atomic_path` for multi-file formats (Shapefile).

    Yields a path inside a temporary folder beside the target; every file written there with
    the same stem is moved into place on success. Old sidecars that the new write did not
    produce are removed so a stale ``.cpg`` or ``.prj`` cannot contradict the new data.
    """
    path = Path(path)
    check_output(path, overwrite=overwrite)
    clean_orphans(path.parent)
    try:
        tmpdir = Path(tempfile.mkdtemp(prefix=_tmp_prefix(), suffix=".tmp", dir=path.parent))
    except OSError as exc:
        raise _unwritable(path, exc) from None
    try:
        tmp_path = tmpdir / path.name
        yield tmp_path
        produced = sorted(tmpdir.iterdir())
        for f in produced:
            _fsync(f)
        # .shp goes last: a reader that sees the new .shp sees its new sidecars too
        produced.sort(key=lambda f: f.suffix.lower() == ".shp")
        new_names = {f.name for f in produced}
        for ext in SIDECARS:
            old = path.with_name(path.stem + ext)
            if old.exists() and old.name not in new_names:
                old.unlink()
        for f in produced:
            os.replace(f, path.parent / f.name)
    except OSError as exc:
        if _is_write_failure(exc):
            raise _write_failed(path, exc) from exc
        raise
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


@contextlib.contextmanager
def atomic_group(
    paths: list[str | os.PathLike], *, overwrite: bool = True
) -> Iterator[dict[Path, Path]]:
    """Temporary paths (same names, in hidden folders beside the targets) for several outputs
    of one run; all are moved into place when the body succeeds, none otherwise.

    Use it when a run writes several files that belong together (a GeoPackage and its table):
    an error in the last one leaves none of them behind.
    """
    dirs: dict[Path, Path] = {}
    tmp: dict[Path, Path] = {}
    try:
        for p in map(Path, paths):
            check_output(p, overwrite=overwrite)
            parent = p.parent if str(p.parent) else Path(".")
            if parent not in dirs:
                try:
                    dirs[parent] = Path(
                        tempfile.mkdtemp(prefix=".ecogis.", suffix=".tmp", dir=parent)
                    )
                except OSError as exc:
                    raise _unwritable(p, exc) from None
            tmp[p] = dirs[parent] / p.name
        yield tmp
        for p, t in tmp.items():
            _fsync(t)
            os.replace(t, p)
    finally:
        for d in dirs.values():
            shutil.rmtree(d, ignore_errors=True)


#: errors of the file system, not of the data: disk full, file size limit, read-only, denied
_WRITE_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}


def _is_write_failure(exc: BaseException) -> bool:
    return (
        isinstance(exc, OSError) and not isinstance(exc, EcogisError) and exc.errno in _WRITE_ERRNOS
    )


def _safe_suffix(path: Path) -> str:
    """The target's suffix if it is plain (``.gpkg``), else none: a temporary name never holds
    a newline or another character a writer might drop."""
    suffix = path.suffix
    return suffix if re.fullmatch(r"\.[A-Za-z0-9]{1,8}", suffix) else ""


def _unwritable(path: Path, exc: OSError) -> LayerError:
    return LayerError(
        _("{path}: output folder {folder} is not writable ({reason})").format(
            path=path, folder=path.parent, reason=exc.strerror or exc
        )
    )


def _write_failed(path: Path, exc: OSError) -> EcogisError:
    # not the user's input (exit status 1), but named and explained
    return EcogisError(
        _(
            "{path}: writing failed: {reason} (disk full or file size limit?); "
            "nothing was replaced, an existing file is unchanged"
        ).format(path=path, reason=exc.strerror or exc)
    )


def _fsync(path: Path) -> None:
    if path.is_file():
        with open(path, "rb") as fh:
            os.fsync(fh.fileno())

"""Atomic file replacement: write beside the target, then rename over it."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import EcogisError, LayerError

__all__ = ["atomic_path", "atomic_paths", "atomic_group", "check_output", "SIDECARS"]

#: files that travel with a shapefile
SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".shp.xml")


def check_output(path: str | os.PathLike, *, overwrite: bool) -> None:
    """Refuse an output path that cannot be written: existing (without ``overwrite``), in a
    folder that is missing, is a file, or is not writable. Commands call it before their work,
    so that a long run does not end in a refused write."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise LayerError(f"{path}: file exists; pass --overwrite to replace it")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise LayerError(f"{path}: output folder {parent} does not exist")
    if not parent.is_dir():
        raise LayerError(f"{path}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK):
        raise LayerError(f"{path}: output folder {parent} is not writable")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success rename it over ``path``.

    If the body raises (or the process dies), the temporary file is removed (or left as
    an orphan ``.tmp``) and ``path`` keeps its old content.
    """
    path = Path(path)
    check_output(path, overwrite=overwrite)
    # keep the real suffix last: GDAL checks it (a GeoPackage must end in .gpkg)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.tmp.", suffix=path.suffix, dir=path.parent)
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
    try:
        tmpdir = Path(tempfile.mkdtemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent))
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


def _unwritable(path: Path, exc: OSError) -> LayerError:
    return LayerError(
        f"{path}: output folder {path.parent} is not writable ({exc.strerror or exc})"
    )


def _write_failed(path: Path, exc: OSError) -> EcogisError:
    # not the user's input (exit status 1), but named and explained
    return EcogisError(
        f"{path}: writing failed: {exc.strerror or exc} (disk full or file size limit?); "
        "nothing was replaced, an existing file is unchanged"
    )


def _fsync(path: Path) -> None:
    if path.is_file():
        with open(path, "rb") as fh:
            os.fsync(fh.fileno())

"""Atomic file replacement: write beside the target, then rename over it."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import LayerError

__all__ = ["atomic_path", "atomic_paths", "SIDECARS"]

#: files that travel with a shapefile
SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".shp.xml")


def _check_target(path: Path, overwrite: bool) -> None:
    if path.exists() and not overwrite:
        raise LayerError(
            f"{path}: file exists; pass overwrite=True (CLI: --overwrite) to replace it"
        )
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise LayerError(f"{path}: output folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise LayerError(f"{path}: output folder {parent} is not writable")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success rename it over ``path``.

    If the body raises (or the process dies), the temporary file is removed (or left as
    an orphan ``.tmp``) and ``path`` keeps its old content.
    """
    path = Path(path)
    _check_target(path, overwrite)
    # keep the real suffix last: GDAL checks it (a GeoPackage must end in .gpkg)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.tmp.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    tmp_path.unlink()  # writers such as GDAL want to create the file themselves
    try:
        yield tmp_path
        _fsync(tmp_path)
        os.replace(tmp_path, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise


@contextlib.contextmanager
def atomic_paths(path: str | os.PathLike, *, overwrite: bool = True) -> Iterator[Path]:
    """Like :func:`atomic_path` for multi-file formats (Shapefile).

    Yields a path inside a temporary folder beside the target; every file written there with
    the same stem is moved into place on success. Old sidecars that the new write did not
    produce are removed so a stale ``.cpg`` or ``.prj`` cannot contradict the new data.
    """
    path = Path(path)
    _check_target(path, overwrite)
    tmpdir = Path(tempfile.mkdtemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent))
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
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def _fsync(path: Path) -> None:
    if path.is_file():
        with open(path, "rb") as fh:
            os.fsync(fh.fileno())

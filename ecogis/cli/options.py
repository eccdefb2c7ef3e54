"""Options shared by several commands, and small output helpers."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import click

from ..i18n import N_, _
from ..model import ENGINES

__all__ = [
    "config_option",
    "overwrite_option",
    "output_option",
    "verbosity",
    "echo",
    "progress",
    "open_project",
    "engine_options",
    "make_engine",
    "output_target",
    "check_output",
]

config_option = click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help=N_("Project config (YAML), e.g. configs/demo.yaml."),
)
overwrite_option = click.option(
    "--overwrite", is_flag=True, help=N_("Replace existing output files.")
)


def output_option(*names, help: str, **kwargs):
    names = names or ("-o", "--output")
    return click.option(*names, type=click.Path(path_type=Path), help=help, **kwargs)


def verbosity() -> int:
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        obj = ctx.obj
        if obj is not None and hasattr(obj, "verbosity"):
            return obj.verbosity
        ctx = ctx.parent
    return 0


def echo(message: str = "", *, level: int = 0, err: bool = False) -> None:
    """Print unless -q (level 0) or unless -v was given often enough (level >= 1)."""
    if verbosity() >= level:
        click.echo(message, err=err)


@contextlib.contextmanager
def progress(label: str, total: int) -> Iterator:
    """A progress bar on stderr (hidden with -q); yields ``update(n)``."""
    stream = click.get_text_stream("stderr")
    # a bar is for people watching a terminal; in logs and pipes it would only add noise
    if verbosity() < 0 or total <= 0 or not stream.isatty():
        yield lambda n=1: None
        return
    with click.progressbar(length=total, label=label, file=stream) as bar:
        yield bar.update


def open_project(config_path: Path, *, registry: str | None = None):
    """The project of ``-c CONFIG`` (a ConfigError names every problem of the config)."""
    from ..io.project import Project

    return Project.open(config_path, registry=registry)


def refuse_onto_inputs(project, *outputs, extra=(), tables=()) -> None:
    """Refuse outputs that are one of the project's layers, ``extra`` inputs (a sites file) or
    the registry, whatever ``--overwrite`` says (:func:`ecogis.io.targets.refuse_onto_inputs`)."""
    from ..io.targets import refuse_onto_inputs as refuse

    sources = [spec.source for spec in project.config.layers.values()] + list(extra)
    for output in outputs:
        refuse(output, sources, tables=tables, registry=project.registry_location)


def engine_options(f):
    """--engine local|dask, --scheduler, --partitions, --dask-storage (controls, screen)."""
    f = click.option(
        "--dask-storage",
        "dask_storage",
        metavar="DIR",
        type=click.Path(path_type=Path),
        default=None,
        help=N_(
            "dask only: a folder every worker can read, where worker processes read their "
            "parts of the larger layer (partitioned GeoParquet, removed afterwards); default "
            "the temporary folder, which workers on other machines cannot read."
        ),
    )(f)
    f = click.option(
        "--partitions",
        type=click.IntRange(min=1),
        default=None,
        help=N_("dask only: spatial partitions (default: one per 50 000 features)."),
    )(f)
    f = click.option(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help=N_(
            "dask only: threads (default), processes, synchronous, or a dask.distributed "
            "scheduler such as tcp://10.0.0.5:8786."
        ),
    )(f)
    f = click.option(
        "--engine",
        type=click.Choice(ENGINES),
        default="local",
        show_default=True,
        help=N_(
            "Overlay engine: local threads (a county), or dask partitions (a league or region; "
            "same results)."
        ),
    )(f)
    return f


def make_engine(
    engine: str, scheduler: str | None, partitions: int | None, storage: Path | None = None
):
    """The overlay engine chosen with :func:`engine_options`."""
    if engine == "local" and (scheduler or partitions or storage):
        raise click.UsageError(_("--scheduler, --partitions and --dask-storage need --engine dask"))
    from ..overlay import get_engine

    if engine == "dask":
        if storage is not None and not storage.is_dir():
            raise click.BadParameter(
                _("{path}: not a folder").format(path=storage),
                param_hint="--dask-storage",
            )
        return get_engine("dask", scheduler=scheduler, partitions=partitions, storage=storage)
    return get_engine("local")


def output_target(ctx, param, value):
    """Click callback: keep ``postgresql://`` outputs as text, make paths :class:`Path`."""
    if value is None:
        return None
    from ..config import is_database_uri

    return value if is_database_uri(value) else Path(value)


def check_output(path, suffixes: tuple[str, ...], overwrite: bool, hint: str) -> None:
    """Refuse a bad or existing output before the (possibly long) run, not after it.

    ``path`` may be None (no output) or a database URI (checked when written).
    """
    if path is None or isinstance(path, str):
        return
    if path.suffix.lower() not in suffixes:
        raise click.BadParameter(
            _("{path}: unsupported suffix {suffix}; allowed: {allowed}").format(
                path=path, suffix=path.suffix or _("(none)"), allowed=", ".join(suffixes)
            ),
            param_hint=hint,
        )
    from ..io._atomic import check_output as check_writable

    check_writable(path, overwrite=overwrite)

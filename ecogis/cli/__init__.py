"""The ``ecogis`` command.

Commands live one per module and are imported only when run, so ``ecogis --help`` stays
fast and never imports geopandas, rasterio or folium. This module is the one place that
turns an :class:`~ecogis.errors.EcogisError` into ``Error: ...`` and an exit status.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
import warnings

import click

from .. import __version__
from ..errors import EcogisError, EcogisWarning
from ..i18n import N_, _, translate_click
from .base import TranslatedGroup, use_display_width

__all__ = ["main", "COMMANDS"]

#: command name -> "module:attribute" (relative to ecogis.cli), loaded on demand
COMMANDS = {
    "config": "config_cmd:config",
    "layers": "layers_cmd:layers",
    "demo": "demo_cmd:demo",
    "controls": "controls_cmd:controls",
    "screen": "screen_cmd:screen",
    "convert": "convert_cmd:convert",
    "pits": "pits_cmd:pits",
    "plots": "plots_cmd:plots",
    "history": "history_cmd:history",
    "progress": "progress_cmd:progress",
    "registry": "registry_cmd:registry",
    "map": "map_cmd:map_group",
    "report": "report_cmd:report",
}

EXIT_USAGE = 2


class _State:
    def __init__(self, verbosity: int = 0, debug: bool = False):
        self.verbosity = verbosity
        self.debug = debug


class _Redacting:
    """A text stream that writes through with database URIs redacted: whatever prints a
    password-bearing URI (a message, a warning, click's usage errors, a ``--debug``
    traceback), the password does not reach the terminal or a log."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        if isinstance(text, str) and "://" in text:
            from ..config import redact_text

            text = redact_text(text)
        return self._stream.write(text)

    def __getattr__(self, name):
        return getattr(self._stream, name)


class EcogisGroup(TranslatedGroup):
    """Click group with lazily loaded commands and one error handler."""

    def main(self, *args, **kwargs):
        out, err = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = _Redacting(out), _Redacting(err)
        try:
            return super().main(*args, **kwargs)
        finally:
            sys.stdout, sys.stderr = out, err

    def list_commands(self, ctx):
        return sorted(
            n for n in set(COMMANDS) | set(self.commands) if self.get_command(ctx, n) is not None
        )

    def get_command(self, ctx, name):
        if name in self.commands:
            return self.commands[name]
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        try:
            mod = importlib.import_module(f"{__name__}.{module}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{module}":  # command not installed in this build
                return None
            raise
        return getattr(mod, attr, None)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except EcogisError as exc:
            state = ctx.find_object(_State)
            if state is not None and state.debug:
                raise
            click.echo(_("Error: {message}").format(message=exc), err=True)
            ctx.exit(exc.exit_code)
        except (
            click.exceptions.Exit,
            click.ClickException,
            click.exceptions.Abort,
            KeyboardInterrupt,
        ):
            raise
        except Exception as exc:  # a bug or an unforeseen failure: short message, status 1
            state = ctx.find_object(_State)
            if state is not None and state.debug:
                raise
            click.echo(
                _("Error: {kind}: {message} (run with --debug for the traceback)").format(
                    kind=type(exc).__name__, message=exc
                ),
                err=True,
            )
            ctx.exit(1)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    if issubclass(category, EcogisWarning):
        click.echo(_("Warning: {message}").format(message=message), err=True)
    else:
        click.echo(
            _("Warning: {kind}: {message}").format(kind=category.__name__, message=message),
            err=True,
        )


def _choose_language(ctx, param, value):
    """``--lang``: chosen before any help or message is written (an eager option)."""
    if value:
        os.environ["ECOGIS_LANG"] = value.lower()


@click.group(
    cls=EcogisGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    help=N_(
        """ecogis: ecological-restoration GIS for county planning in China.

    Checks the three control lines (生态保护红线, 永久基本农田, 城镇开发边界), tracks mine-pit
    remediation and afforestation / enclosure plots against yearly targets, screens candidate
    sites (PV sand-control first) with a verdict and reasons per site, and writes HTML maps
    that open with no internet. Areas in m² and mu (亩); CGCS2000 coordinate systems.

    The interface speaks Chinese or English: --lang zh|en, else ECOGIS_LANG, else the locale."""
    ),
    epilog=N_("""\b
Examples:
  ecogis demo                                  demo data, the whole job, maps/
  ecogis config check -c configs/demo.yaml     validate a project config
  ecogis layers check -c configs/demo.yaml     geometry QA of every layer
  ecogis controls -c configs/demo.yaml --summary conflicts.xlsx
  ecogis screen 地块坐标.txt -c configs/demo.yaml -r pv_sand_control
  ecogis progress -c configs/demo.yaml --year 2022
  ecogis map controls -c configs/demo.yaml     offline HTML map in maps/
Run 'ecogis COMMAND --help' for each command's options."""),
)
@click.version_option(
    __version__, "--version", prog_name="ecogis", help=N_("Show the version and exit.")
)
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"], case_sensitive=False),
    is_eager=True,
    expose_value=False,
    callback=_choose_language,
    help=N_("Interface language: zh (中文) or en. Default: ECOGIS_LANG, else the locale."),
)
@click.option("-v", "--verbose", count=True, help=N_("More output (repeat for more)."))
@click.option("-q", "--quiet", is_flag=True, help=N_("Only errors; hide warnings and progress."))
@click.option("--debug", is_flag=True, help=N_("Show the traceback of an error."))
@click.pass_context
def cli(ctx, verbose, quiet, debug):
    state = ctx.ensure_object(_State)
    state.verbosity = -1 if quiet else verbose
    state.debug = debug
    warnings.showwarning = _show_warning
    warnings.simplefilter("ignore" if quiet else "default", EcogisWarning)
    if quiet:
        warnings.simplefilter("ignore")
    elif not debug:
        # library chatter (pyogrio, shapely RuntimeWarnings) is not for users unless debugging
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        warnings.filterwarnings("ignore", category=FutureWarning)
        warnings.filterwarnings("ignore", category=DeprecationWarning)


translate_click()
use_display_width()


def main(args=None, prog_name: str = "ecogis"):
    """Console-script entry point."""
    try:
        cli.main(args=args, prog_name=prog_name, standalone_mode=True)
    except SystemExit:
        raise
    except Exception:  # pragma: no cover - only with --debug
        from ..config import redact_text

        sys.stderr.write(redact_text(traceback.format_exc()))
        sys.exit(1)

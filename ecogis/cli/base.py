"""Click commands and groups that speak the user's language.

Help texts, epilogs, option help and ``show_default`` notes are written in English and marked
with ``N_()``; they are translated when help is shown (not when the module is imported), so
the language can follow ``ECOGIS_LANG`` in one process. Every ecogis command uses these
classes: ``@command()`` / ``@group()`` here, and a group's subcommands inherit them.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator

import click

from ..i18n import _

__all__ = ["TranslatedCommand", "TranslatedGroup", "command", "group"]


@contextlib.contextmanager
def _translated(cmd: click.Command) -> Iterator[None]:
    """Swap the command's and its parameters' texts for their translations, then back."""
    saved = []

    def swap(obj, attr: str) -> None:
        value = getattr(obj, attr, None)
        if isinstance(value, str) and value:
            saved.append((obj, attr, value))
            setattr(obj, attr, _(value))

    for attr in ("help", "short_help", "epilog"):
        swap(cmd, attr)
    for param in cmd.params:
        swap(param, "help")
        swap(param, "show_default")
    try:
        yield
    finally:
        for obj, attr, value in reversed(saved):
            setattr(obj, attr, value)


class _TranslatedHelp:
    """Help shown in the user's language (mixed in before the click class)."""

    def get_short_help_str(self, limit: int = 45) -> str:
        with _translated(self):
            return super().get_short_help_str(limit)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with _translated(self):
            super().format_help(ctx, formatter)


class TranslatedCommand(_TranslatedHelp, click.Command):
    """A command whose help is shown in the user's language."""


class TranslatedGroup(_TranslatedHelp, click.Group):
    """A group whose help, and whose subcommands' help, is shown in the user's language."""

    command_class = TranslatedCommand


TranslatedGroup.group_class = TranslatedGroup

#: ``@command(...)``: click.command with :class:`TranslatedCommand`
command = functools.partial(click.command, cls=TranslatedCommand)
#: ``@group(...)``: click.group with :class:`TranslatedGroup`
group = functools.partial(click.group, cls=TranslatedGroup)

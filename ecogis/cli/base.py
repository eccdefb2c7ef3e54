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

__all__ = ["TranslatedCommand", "TranslatedGroup", "command", "group", "use_display_width"]


@contextlib.contextmanager
def _translated(cmd: click.Command) -> Iterator[None]:
    """Swap the command's and its parameters' texts for their translations, then back."""
    saved = []

    def swap(obj, attr: str) -> None:
        value = getattr(obj, attr, None)
        if isinstance(value, str) and value:
            saved.append((obj, attr, value))
            setattr(obj, attr, _(value))

    # click makes the --help option once, its text translated then: make it anew each time
    cmd._help_option = None
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


def _term_width(text: str) -> int:
    """Terminal columns of ``text``: ANSI escapes take none, Chinese characters two."""
    from click._compat import _ansi_re

    from ..tables import display_width

    return display_width(_ansi_re.sub("", text))


def _truncate_width(text: str, n: int) -> str:
    """The longest prefix of ``text`` that takes at most ``n`` terminal columns."""
    from ..tables import display_width

    if n <= 0:
        return ""
    used = 0
    for i, ch in enumerate(text):
        used += display_width(ch)
        if used > n:
            return text[: max(i, 1)]
    return text


def _cjk_wrapper(base):
    """click's TextWrapper, splitting Chinese text into single characters so that a line may
    break between any two of them (textwrap breaks only at spaces)."""
    from ..tables import _NO_LINE_START, display_width

    _NO_LINE_END = set("（【《「『(")

    class CJKTextWrapper(base):
        def _split(self, text):
            out = []
            for chunk in super()._split(text):
                if not any(display_width(ch) == 2 for ch in chunk):
                    out.append(chunk)
                    continue
                word, opening = "", ""
                for ch in chunk:
                    if display_width(ch) == 2 or ch in _NO_LINE_START:
                        if word:
                            out.append(opening + word)
                            word, opening = "", ""
                        if ch in _NO_LINE_START and out and not opening:
                            out[-1] += ch  # a comma never starts a line
                        elif ch in _NO_LINE_END:
                            opening += ch  # an opening bracket never ends one
                        else:
                            out.append(opening + ch)
                            opening = ""
                    else:
                        word += ch
                if word or opening:
                    out.append(opening + word)
            return out

    return CJKTextWrapper


def use_display_width() -> None:
    """Make click wrap help by terminal columns, not characters: a Chinese character takes two
    columns, so help written in Chinese would otherwise run past the edge of an 80-column
    terminal. click 8.4 measures every width with one function (``term_len``), replaced here
    in the two modules that wrap text."""
    import click._textwrap
    import click.formatting

    if getattr(click._textwrap.TextWrapper, "_ecogis", False):
        return
    click._textwrap.term_len = _term_width
    click._textwrap._truncate_visible = _truncate_width
    click.formatting.term_len = _term_width
    click._textwrap.TextWrapper = _cjk_wrapper(click._textwrap.TextWrapper)
    click._textwrap.TextWrapper._ecogis = True

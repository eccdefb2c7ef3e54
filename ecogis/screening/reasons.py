"""A site's reasons, one per check that did not pass (tables, maps and review opinions).

The column ``reasons`` joins the sentences with ``；`` (:data:`~ecogis.screening.model.REASON_SEP`),
which a legal basis or a label may hold itself (``…光伏基地；60%为本示范设定``). The column
``failed_checks`` lists the checks in the same order, so each sentence is cut where its own basis
ends, in the language it was written in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..i18n import translation
from .model import REASON_SEP, REASONS

if TYPE_CHECKING:
    from ..config import Check, RuleSet

__all__ = ["check_of", "split_reasons"]


def check_of(ruleset: RuleSet, key: str) -> Check | None:
    """The check of ``ruleset`` a ``failed_checks`` key names (``rule:target``)."""
    rule, _sep, target = key.partition(":")
    return next((c for c in ruleset.checks if c.rule == rule and c.target == target), None)


def split_reasons(
    ruleset: RuleSet | None, reasons: Any, failed_checks: Any
) -> list[tuple[str, str, str]]:
    """The reasons of one site as ``(key, reason, basis)``, one per check that did not pass.

    ``key`` is ``rule:target`` (or ``min_eligible``); a sentence more than ``failed_checks``
    lists (a file edited by hand) comes last with an empty key.

    Examples
    --------
    >>> split_reasons(None, "overlaps A；too small", "exclude:a,min_eligible")
    [('exclude:a', 'overlaps A', ''), ('min_eligible', 'too small', '')]
    """
    text = reasons if isinstance(reasons, str) else ""
    failed = failed_checks if isinstance(failed_checks, str) else ""
    keys = [k for k in failed.split(",") if k]
    if not text:
        return []
    out: list[tuple[str, str, str]] = []
    pos = 0
    for n, key in enumerate(keys):
        check = check_of(ruleset, key) if ruleset is not None and key != "min_eligible" else None
        basis = (check.basis if check is not None else None) or (ruleset.basis if ruleset else None)
        basis = basis or ""
        end = -1
        if basis:
            # the basis as the reason wrote it, in either language
            for lang in ("zh", "en"):
                suffix = translation(lang).gettext(REASONS["basis"]).format(basis=basis)
                at = text.find(suffix, pos)
                if at >= 0:
                    end = at + len(suffix)
                    break
        if end < 0:
            at = text.find(REASON_SEP, pos)
            end = at if at >= 0 and n < len(keys) - 1 else len(text)
        piece = text[pos:end].strip()
        if piece:
            out.append((key, piece, basis))
        pos = end + len(REASON_SEP) if text.startswith(REASON_SEP, end) else end
        if pos >= len(text):
            break
    if pos < len(text):  # more sentences than listed checks (an edited file): keep them
        rest = text[pos:].strip(REASON_SEP + " ")
        if rest:
            out.append(("", rest, ""))
    return out

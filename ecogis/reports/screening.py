"""The site review opinion (选址审查意见): the screening of candidate sites as a Word document.

Title and facts; 一、审查依据 (each check of the rule set, what it requires, its legal basis);
二、审查结论 (sites per verdict, a summary table of every site, the overview map);
三、各场址审查意见: per site its facts, a map of the site with the layers it touches and its
eligible rest, a table of the checks (overlap in 亩 and percent, the result), every reason as
the screening wrote it (with its legal basis) and the opinion in words
(:data:`ecogis.screening.model.VERDICT_TEXT`).
"""

from __future__ import annotations

import math
import os
import re
import warnings
from typing import TYPE_CHECKING

import pandas as pd

from ..errors import EcogisError, EcogisWarning
from ..i18n import N_, _, label_of
from ..screening.model import (
    CHECK_OUTCOMES,
    NODATA_MAX_SHARE,
    REASONS,
    RULE_TEXT,
    VERDICT_LABELS,
    VERDICT_TEXT,
    VERDICTS,
)
from ..screening.reasons import check_of
from ..screening.reasons import split_reasons as _split
from ..tables import Column, people_table
from .common import Progress, add_facts, mu_text, tick
from .document import ReportDocument
from .figures import data_sources, read_context, screening_spec
from .language import in_chinese
from .model import FIGURE_DPI, REPORT_TITLES
from .numbers import chinese_numeral
from .sheet import drawing, figure_png

if TYPE_CHECKING:
    from ..config import Check, RuleSet
    from ..io.project import Project
    from ..screening import ScreenResult

__all__ = ["screening_report", "split_reasons", "site_checks"]

_CJK = re.compile(r"[\u4e00-\u9fff]")


def _pct(share: float) -> str:
    """A share as the reasons write it (``60.0%``)."""
    return f"{share * 100:.1f}%"


# ------------------------------------------------------------------------ reasons


def _check_of(rs: RuleSet, key: str) -> Check | None:
    return check_of(rs, key)


def split_reasons(result: ScreenResult, row: pd.Series) -> list[tuple[str, str, str]]:
    """The reasons of one site, one per check that did not pass: ``(key, reason, basis)``
    (:func:`ecogis.screening.reasons.split_reasons`)."""
    return _split(result.ruleset, row.get("reasons"), row.get("failed_checks"))


# ------------------------------------------------------------------------ the checks of a site


def _requirement(check: Check | None, rs: RuleSet) -> str:
    """What a check requires, in words (``禁止占用``, ``须距离 500 米以外`` ...)."""
    if check is None:
        return _(RULE_TEXT["min_eligible"]).format(minimum=mu_text(rs.min_eligible_mu))
    p = check.params
    if check.rule == "exclude":
        buffer_m = float(p.get("buffer_m", 0) or 0)
        if buffer_m > 0:
            return _(RULE_TEXT["exclude_buffer"]).format(buffer=f"{buffer_m:g}")
        return _(RULE_TEXT["exclude"])
    if check.rule == "require":
        return _(RULE_TEXT["require"]).format(share=_pct(float(p["min_share"])))
    if check.rule == "limit":
        limits = []
        if p.get("max_share") is not None:
            limits.append(_(REASONS["limit_share"]).format(share=_pct(float(p["max_share"]))))
        if p.get("max_mu") is not None:
            limits.append(_(REASONS["limit_mu"]).format(mu=f"{float(p['max_mu']):g}"))
        return _(RULE_TEXT["limit"]).format(limits=_(REASONS["limit_or"]).join(limits))
    if check.rule == "slope_max":
        return _(RULE_TEXT["slope_max"]).format(
            max_deg=f"{float(p['max_deg']):g}", max_share=_pct(float(p.get("max_share", 0) or 0))
        )
    if check.rule == "raster_class":
        return _(RULE_TEXT["raster_class"]).format(
            max_share=_pct(float(p.get("max_share", 0) or 0))
        )
    return check.rule


def _label(check: Check, result: ScreenResult) -> str:
    if check.label:
        return check.label
    if check.rule == "slope_max":
        return _(N_("slope"))
    return result.labels.get(check.target, check.target)


def _num(row: pd.Series, col: str) -> float:
    v = row.get(col)
    try:
        f = float(v)
    except (TypeError, ValueError):
        return math.nan
    return f


def site_checks(result: ScreenResult, row: pd.Series) -> pd.DataFrame:
    """One row per check of the rule set for one site (and one for the minimum eligible
    area): ``check, requirement, area_mu, share, details, outcome``."""
    from ..screening.screen import _prefixes

    rs = result.ruleset
    failed = set(str(row.get("failed_checks") or "").split(","))
    area_m2 = _num(row, "area_m2")
    area_mu = _num(row, "area_mu")
    rows = []
    for check, p in zip(rs.checks, _prefixes(rs.checks), strict=True):
        key = f"{check.rule}:{check.target}"
        details = []
        share = math.nan
        mu = math.nan
        outcome = "ok"
        if check.rule in ("exclude", "limit", "require"):
            mu = _num(row, f"{p}_overlap_mu")
            share = (
                _num(row, f"{p}_share")
                if check.rule == "require"
                else _num(row, f"{p}_overlap_m2") / area_m2
                if area_m2 > 0
                else math.nan
            )
            dist = _num(row, f"{p}_distance_m")
            if math.isfinite(dist):
                details.append(_("{distance} m away").format(distance=f"{dist:,.1f}"))
            if key in failed:
                outcome = {"exclude": "cut", "limit": "approval"}.get(check.rule, "fails")
        else:
            nodata = _num(row, f"{check.target}_nodata_share")
            if check.rule == "slope_max":
                share = _num(row, f"{p}_share_over")
                mean, steep = _num(row, f"{p}_mean_deg"), _num(row, f"{p}_max_deg")
                if math.isfinite(mean):
                    details.append(
                        _("mean slope {mean}°, steepest {steepest}°").format(
                            mean=f"{mean:.1f}", steepest=f"{steep:.1f}"
                        )
                    )
            else:
                share = _num(row, f"{p}_class_share")
                main = row.get(f"{p}_class_main")
                if isinstance(main, str) and main:
                    details.append(_("mostly class {code}").format(code=main))
            if math.isfinite(share) and math.isfinite(area_mu):
                mu = share * area_mu
            if math.isfinite(nodata) and nodata > 0:
                details.append(_("{share} without data").format(share=_pct(nodata)))
            if key in failed:
                unknown = math.isfinite(nodata) and nodata > NODATA_MAX_SHARE
                outcome = "unknown" if unknown or not math.isfinite(share) else "fails"
        rows.append(
            {
                "check": _label(check, result),
                "requirement": _requirement(check, rs),
                "area_mu": mu,
                "share": share,
                "details": _("; ").join(details),
                "outcome": outcome,
            }
        )
    eligible_mu = _num(row, "eligible_mu")
    rows.append(
        {
            "check": _(N_("eligible area")),
            "requirement": _requirement(None, rs),
            "area_mu": eligible_mu,
            "share": eligible_mu / area_mu if area_mu > 0 else math.nan,
            "details": "",
            "outcome": "fails" if "min_eligible" in failed else "ok",
        }
    )
    return pd.DataFrame(rows)


_CHECK_COLUMNS = [
    Column("check", N_("Item checked")),
    Column("requirement", N_("Requirement")),
    Column("area_mu", N_("Area involved (mu)"), "mu"),
    Column("share", N_("Share of the site"), "share"),
    Column("details", N_("Details")),
    Column("outcome", N_("Result"), labels=CHECK_OUTCOMES),
]


# ------------------------------------------------------------------------ the document


def _site_name(row: pd.Series) -> str:
    name = row.get("name")
    return str(name) if isinstance(name, str) and name.strip() else ""


def _opinion(result: ScreenResult, row: pd.Series, first_reason: str) -> str:
    """The opinion on one site in words (:data:`VERDICT_TEXT`)."""
    verdict = row["verdict"]
    rs = result.ruleset
    area, eligible = _num(row, "area_mu"), _num(row, "eligible_mu")
    key = verdict
    if verdict == "conditional" and not (area - eligible > 1e-6):
        key = "conditional_limit"
    template = VERDICT_TEXT.get(key)
    if template is None:
        return label_of(VERDICT_LABELS, verdict)
    return _(template).format(
        site=row["site_id"],
        area=mu_text(area),
        cut=mu_text(area - eligible),
        eligible=mu_text(eligible),
        minimum=mu_text(rs.min_eligible_mu),
        reason=first_reason.rstrip("。."),
    )


def _summary_table(result: ScreenResult):
    """Every site: id, name, township, verdict, area, eligible area, main reason."""
    from ..screening.tables import sites_table

    base = sites_table(result)
    # a printed page has room for ours only: the input's other attributes are in the XLSX
    summary = ("site_id", "name", "township", "verdict", "area_mu", "eligible_mu")
    cols = [c for c in base.columns if c.name in summary]
    frame = pd.DataFrame(result.sites.drop(columns=result.sites.geometry.name))
    frame["main_reason"] = [r or "" for r in result.first_reason.reindex(frame.index)]
    cols.append(Column("main_reason", N_("Main reason"), wide=True))
    return people_table(frame, cols, drop_empty=False)


def _basis_table(result: ScreenResult):
    """The checks of the rule set: what they check, require and rest on."""
    rs = result.ruleset
    rows = [
        {"no": i + 1, "check": _label(c, result), "requirement": _requirement(c, rs),
         "basis": c.basis or rs.basis or ""}
        for i, c in enumerate(rs.checks)
    ]  # fmt: skip
    rows.append(
        {"no": len(rows) + 1, "check": _(N_("eligible area")), "requirement": _requirement(None, rs),
         "basis": rs.basis or ""}
    )  # fmt: skip
    cols = [
        Column("no", N_("No."), "int"),
        Column("check", N_("Item checked")),
        Column("requirement", N_("Requirement")),
        Column("basis", N_("Basis"), wide=True),
    ]
    return people_table(pd.DataFrame(rows), cols, drop_empty=False)


def _check_language(result: ScreenResult, where: str | None) -> None:
    """Warn when the reasons of a result read back from a file are not Chinese."""
    reasons = [r for r in result.sites.get("reasons", []) if isinstance(r, str) and r]
    if reasons and not any(_CJK.search(r) for r in reasons):
        warnings.warn(
            _(
                "{path}: the reasons were written in English (screened with ECOGIS_LANG=en); "
                "the document quotes them as they are. Screen again in Chinese, or give SITES "
                "to screen here"
            ).format(path=where or "sites"),
            EcogisWarning,
            stacklevel=3,
        )


def screening_report(
    result: ScreenResult,
    project: Project,
    *,
    template: str | os.PathLike | None = None,
    font: str | os.PathLike | None = None,
    organisation: str | None = None,
    sites_source: str | None = None,
    progress: Progress | None = None,
) -> ReportDocument:
    """The site review opinion of a screening result, as a document to save.

    Parameters
    ----------
    result : ScreenResult
        From :func:`ecogis.run_screening` (run it in Chinese, :func:`~ecogis.reports.language
        .in_chinese`, so that its reasons are Chinese) or :func:`ecogis.screening
        .load_screening`; it must carry its rule set.
    project : Project
        The project screened in.
    template, font
        A Word template (default the shipped one) and a font file for the figures.
    organisation : str, optional
        Who prepared it (default config ``organisation:``).
    sites_source : str, optional
        Where the sites came from (a file name), for the data sources.
    progress : callable, optional
        ``progress(done, total)`` after each figure (one per site and the overview).
    """
    rs = result.ruleset
    if rs is None:
        raise EcogisError(_("a review opinion needs the rule set: name it with -r/--ruleset"))
    _check_language(result, sites_source)
    sites = result.sites
    total = len(sites) + 1
    # the template is opened first: what it lacks is said in the user's language
    doc = ReportDocument(template)
    read_context(project)
    with drawing(font), in_chinese():
        title = _(REPORT_TITLES["screening"])
        subtitle = rs.label or rs.name
        doc.title(title, subtitle)
        sources = data_sources(project, list(result.layers))
        if sites_source:
            sources.append(sites_source)
        else:
            sources += data_sources(project, project.layers_with_role("sites")[:1])
        add_facts(
            doc,
            project,
            result.crs,
            sources=sources,
            organisation=organisation,
            rows=[
                (_("Rule set"), f"{rs.label} ({rs.name})" if rs.label else rs.name),
                (_("Sites reviewed"), str(len(sites))),
            ],
        )

        doc.heading(_("{n}. Basis of the review").format(n=chinese_numeral(1)))
        doc.paragraph(
            _(
                "Each candidate site was overlaid, as exact vector polygons in the working "
                "coordinate system, with the layers below; areas are in mu (1 mu = 666.67 m²) "
                "and shares are of the site's area. The checks and their legal basis:"
            )
        )
        doc.table(_basis_table(result), caption=_("Checks of the rule set and their basis"))

        doc.heading(_("{n}. Conclusions").format(n=chinese_numeral(2)))
        counts = result.counts()
        parts = [
            _("{verdict} {n}").format(verdict=label_of(VERDICT_LABELS, v), n=counts[v])
            for v in VERDICTS
            if counts[v]
        ]
        doc.paragraph(
            _("{n} sites were reviewed: {counts}.").format(n=len(sites), counts=_(", ").join(parts))
        )
        doc.table(_summary_table(result), caption=_("Review results of the sites"))
        doc.figure(
            figure_png(
                screening_spec(result, project),
                dpi=FIGURE_DPI,
                legend_below=True,
                max_height_mm=185,
            ),
            _("Candidate sites and the layers they were checked against"),
        )
        tick(progress, 1, total)

        doc.heading(_("{n}. Opinion on each site").format(n=chinese_numeral(3)), new_page=True)
        for i, (idx, row) in enumerate(sites.iterrows(), start=1):
            site = row["site_id"]
            name = _site_name(row)
            doc.heading(
                _("({n}) Site {site}{name}").format(
                    n=chinese_numeral(i),
                    site=site,
                    name=_(" {name}").format(name=name) if name else "",
                ),
                level=2,
                new_page=i > 1,  # a site per page: the opinion on it can be handed on alone
            )
            township = row.get("township")
            facts = {
                "site": site,
                "area": mu_text(_num(row, "area_mu")),
                "eligible": mu_text(_num(row, "eligible_mu")),
                "verdict": label_of(VERDICT_LABELS, row["verdict"]),
            }
            if isinstance(township, str) and township:
                text = _(
                    "Site {site} lies in {township}: area {area}, eligible area {eligible}; "
                    "verdict: {verdict}."
                ).format(township=township, **facts)
            else:
                text = _(
                    "Site {site}: area {area}, eligible area {eligible}; verdict: {verdict}."
                ).format(**facts)
            doc.paragraph(text)
            checks = people_table(site_checks(result, row), _CHECK_COLUMNS, drop_empty=False)
            reasons = split_reasons(result, row)
            first = reasons[0][1] if reasons else ""
            opinion = _opinion(result, row, first)
            height = _site_map_height(checks, [r for _k, r, _b in reasons], opinion, first=i == 1)
            doc.figure(
                figure_png(screening_spec(result, project, site=idx), max_height_mm=height, dpi=FIGURE_DPI),
                _("Site {site} and the layers it touches").format(site=site),
            )  # fmt: skip
            doc.table(checks, caption=_("Checks of site {site}").format(site=site))
            doc.paragraph(bold_lead=_("Problems found: "))
            if reasons:
                for k, (_key, reason, _basis) in enumerate(reasons, start=1):
                    doc.paragraph(_("{n}. {reason}").format(n=k, reason=reason))
            else:
                doc.paragraph(_("None: every check is met."))
            doc.paragraph(opinion, style="opinion", bold_lead=_("Opinion: "))
            tick(progress, i + 1, total)
        doc.properties(
            title=f"{title} {subtitle}",
            author=organisation or _author(project),
            subject=project.name,
        )
    return doc


#: text height of the template's A4 page (29.7 cm less 2 x 2.5 cm margins), in mm
_PAGE_TEXT_MM = 247.0
#: half-width characters on a line of body text (16 cm at 10.5 pt) and the height of a line
_LINE_CHARS, _LINE_MM = 86, 6.2


def _lines(text: str, chars: int = _LINE_CHARS) -> int:
    from ..tables import display_width

    return max(1, -(-display_width(text) // chars))


def _site_map_height(checks, reasons: list[str], opinion: str, *, first: bool) -> float:
    """The height of a site's map (mm) that leaves room on its page for its table, problems
    and opinion, so each site's opinion stays on one page: 80 mm where there is room, down to
    50 mm for a site with many checks or problems (then the page may still run over)."""
    used = 52.0 + (14.0 if first else 0.0)  # headings, the facts, two captions, spacing
    used += 11.0  # the table's header (two lines)
    for texts in checks.texts():
        # columns of the check table: item, requirement and details wrap at about 8-12 chars
        need = max(_lines(texts[0], 14), _lines(texts[1], 14), _lines(texts[4], 16))
        used += 1.5 + 4.6 * need
    used += 8.0 + sum(_lines(r) * _LINE_MM for r in reasons) if reasons else 14.0
    used += _lines(opinion) * _LINE_MM + 4.0
    return float(min(80.0, max(50.0, _PAGE_TEXT_MM - used)))


def _author(project: Project) -> str | None:
    from .common import organisation_of

    return organisation_of(project)

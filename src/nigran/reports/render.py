"""Turns an :class:`AnnualReport` into one self-contained HTML document, and that into PDF with WeasyPrint.

The HTML carries its CSS and SVG inline and names fonts by family only (Noto Sans, Noto Nastaliq Urdu,
Awami Nastaliq: installed system fonts that WeasyPrint finds through fontconfig), so rendering never
touches the network. Page markings live in CSS ``@page`` margin boxes, which repeat on every page.
"""

from __future__ import annotations

from datetime import date
from importlib import resources
from typing import Any

from jinja2 import Environment, FunctionLoader, StrictUndefined, select_autoescape

from nigran.access.classification import Classification
from nigran.core.wording import plural
from nigran.reports import charts
from nigran.reports.model import STATUS_LABELS, AnnualReport, Edition

#: Urdu headings beside the English ones (the report's language is English; headings are bilingual).
URDU = {
    "report": "سالانہ جائزہ رپورٹ",
    "summary": "خلاصہ",
    "sections": "حصہ وار صورتحال",
    "entities": "اداروں کی جوابدہی",
    "provinces": "صوبوں کی جوابدہی",
    "overdue": "تاخیر شدہ اور واپس کیے گئے امور",
    "data": "ڈیٹا کی تکمیل اور بروقت فراہمی",
    "change": "گزشتہ جائزے کے بعد تبدیلی",
    "method": "ضمیمہ: طریقۂ کار",
    "annex": "خفیہ ضمیمہ",
    "public": "عوامی اشاعت",
    "classified": "خفیہ اشاعت",
    "committee": "قومی سلامتی کمیٹی",
}

#: Overdue items listed in the document; the exports list them all. A committee paper that lists 1,500
#: late milestones is not read, and typesetting them would take WeasyPrint most of a minute.
OVERDUE_LIMIT = 150

MARK_COLOURS = {
    Classification.PUBLIC: "#1b5e20",
    Classification.RESTRICTED: "#0d47a1",
    Classification.SECRET: "#b71c1c",
}


def _template(name: str) -> str | None:
    path = resources.files("nigran.reports") / "templates" / name
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _pct(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{100 * value:.{digits}f}%"


def _num(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    if unit == "%":
        return f"{value:.1f}%"
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{text}{unit}"


def _delta(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    if value == 0:
        return "no change"
    return f"{'+' if value > 0 else '−'}{abs(value):g}{unit}"


def _day(value: date | None) -> str:
    return value.strftime("%d %b %Y") if value else "—"


def _section_label(classification: Classification, title: str) -> str:
    """A section as the charts name it: by title (codes mean nothing to a committee), with its marking."""
    return (f"[{classification.name}] " if classification else "") + title


def period_in_title(title: str, period: str) -> bool:
    """Whether the framework's title already names its period ("… Policy 2022–2026"), not to repeat it."""
    start, _, end = period.partition("–")
    return bool(start) and start in title and end in title


def _urdu_digits(value: object) -> str:
    """Urdu text takes Extended Arabic-Indic digits (۲۰۲۵), as the bundled Urdu titles do."""
    return str(value).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


def environment() -> Environment:
    env = Environment(
        loader=FunctionLoader(_template),
        autoescape=select_autoescape(["html"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        urdu_digits=_urdu_digits,
        pct=_pct,
        num=_num,
        delta=_delta,
        day=_day,
        plural=plural,
        status=lambda s: STATUS_LABELS.get(s, s),
    )
    env.globals.update(ur=URDU, Classification=Classification, mark_colours=MARK_COLOURS)
    return env


def context(report: AnnualReport) -> dict[str, Any]:
    labels = [_section_label(s.classification, s.title) for s in report.sections]
    sections = [(label, s.objective_counts) for label, s in zip(labels, report.sections, strict=True)]
    return {
        "r": report,
        "h": report.headline,
        "classified": report.edition is Edition.CLASSIFIED,
        "marking": report.marking,
        "period_in_title": period_in_title(report.framework_title, report.period),
        "overdue_limit": OVERDUE_LIMIT,
        "summary_chart": charts.share_bar(report.headline.objective_counts),
        "sections_chart": charts.status_bars(sections, title="Objectives by status, per section"),
        "score_chart": charts.score_bars(
            [(label, s.score) for label, s in zip(labels, report.sections, strict=True)],
            title="Section scores",
        ),
        "worst": sorted(
            (s for s in report.sections if s.score is not None and s.status != "achieved"),
            key=lambda s: (s.score, s.code),
        )[:3],
    }


def render_html(report: AnnualReport) -> str:
    return environment().get_template("annual.html").render(**context(report))


def render_pdf(html: str) -> bytes:
    """PDF through WeasyPrint; imported here so the HTML, CSV and JSON paths work without it installed."""
    from weasyprint import HTML

    return HTML(string=html, base_url=None, url_fetcher=_refuse).write_pdf()


def _refuse(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The report is self-contained: any URL in it is a mistake, and it must never reach the network."""
    raise ValueError(f"the report refers to an outside resource ({url[:60]}); refusing to fetch it")

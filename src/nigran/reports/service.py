"""Who a report is computed as, and what it is delivered as: the one entry point for the CLI and the web.

The public edition is always gathered as :meth:`Principal.anonymous` — whoever asks for it — so it holds
PUBLIC records and aggregates of PUBLIC records only; nothing classified can leak into it through totals,
because the classified rows are never read. The classified edition is gathered as the acting user, who must
hold SECRET clearance: a partially cleared reader would get a "classified" document silently missing
records, which a committee could mistake for the whole picture.

:func:`render_annual` turns the report into bytes of one format with its media type and a suggested file
name, so that the command line writes them to a file and a web route can send them, with the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from nigran.access.classification import Classification
from nigran.access.principal import Principal
from nigran.core.errors import AccessDenied
from nigran.reports.data import gather_annual
from nigran.reports.model import AnnualReport, Edition
from nigran.storage.db import Database


class ReportFormat(StrEnum):
    HTML = "html"
    PDF = "pdf"
    CSV = "csv"
    JSON = "json"
    XLSX = "xlsx"


#: Media type and file extension of each format. CSV is one file per table, so it comes as a zip of them.
MEDIA = {
    ReportFormat.HTML: ("text/html; charset=utf-8", "html"),
    ReportFormat.PDF: ("application/pdf", "pdf"),
    ReportFormat.CSV: ("application/zip", "csv.zip"),
    ReportFormat.JSON: ("application/json", "json"),
    ReportFormat.XLSX: ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}


@dataclass(frozen=True)
class RenderedReport:
    """A report ready to be saved or sent, and the record it was drawn from (for a summary line)."""

    content: bytes
    media_type: str
    filename: str
    report: AnnualReport


def file_name(framework_code: str, year: int, edition: Edition, fmt: ReportFormat) -> str:
    """The suggested file name, known before any work is done (so a front end can check the target first)."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in framework_code) or "report"
    return f"{safe}-{year}-{edition.value}.{MEDIA[fmt][1]}"


def edition_principal(edition: Edition, acting: Principal) -> Principal:
    if edition is Edition.PUBLIC:
        return Principal.anonymous()
    if acting.is_system or acting.clearance < Classification.SECRET:
        raise AccessDenied(
            f"the classified edition needs SECRET clearance; {acting.username} holds {acting.clearance.name}"
        )
    return acting


def annual_report(
    db: Database,
    acting: Principal,
    framework_code: str,
    year: int,
    edition: Edition,
    today: date | None = None,
) -> AnnualReport:
    """Gather the annual review in one read-only transaction as the edition's principal."""
    reader = edition_principal(edition, acting)
    with db.session(reader, readonly=True) as session:
        report = gather_annual(
            session, framework_code, year, edition=edition, reader=reader.username, today=today
        )
        session.rollback()  # a report never writes
    return report


def render(report: AnnualReport, fmt: ReportFormat) -> RenderedReport:
    """One gathered report as bytes of ``fmt``; renderers are imported on demand (WeasyPrint is heavy)."""
    from nigran.reports import export

    if fmt is ReportFormat.CSV:
        content = export.to_csv_zip(report)
    elif fmt is ReportFormat.JSON:
        content = export.to_json(report).encode("utf-8")
    elif fmt is ReportFormat.XLSX:
        content = export.to_xlsx(report)
    else:
        from nigran.reports.render import render_html, render_pdf

        html = render_html(report)
        content = html.encode("utf-8") if fmt is ReportFormat.HTML else render_pdf(html)
    name = file_name(report.framework_code, report.year, report.edition, fmt)
    return RenderedReport(content, MEDIA[fmt][0], name, report)


def render_annual(
    db: Database,
    acting: Principal,
    framework_code: str,
    year: int,
    edition: Edition,
    fmt: ReportFormat,
    today: date | None = None,
) -> RenderedReport:
    """The annual review of ``framework_code`` for ``year`` in ``edition``, rendered as ``fmt``."""
    return render(annual_report(db, acting, framework_code, year, edition, today=today), fmt)

"""``nigran report …``: the annual review, public and classified editions, as a document or as tables."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from pathlib import Path

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from nigran.access.principal import Principal
from nigran.cli_support import STATE, console, fail, principal, reporting_errors

app = typer.Typer(
    help="Reports for the National Security Committee: the annual review, public and classified editions.\n\n"
    "Example: nigran report annual --framework NSP-2022 --year 2025 --edition public --format pdf",
    no_args_is_help=True,
)


class Format(StrEnum):
    HTML = "html"
    PDF = "pdf"
    CSV = "csv"
    JSON = "json"
    XLSX = "xlsx"


class EditionOption(StrEnum):
    PUBLIC = "public"
    CLASSIFIED = "classified"


def _acting() -> Principal:
    with STATE.db.session(Principal.system()) as lookup:
        return principal(lookup)


@app.command("annual")
def annual(
    framework: str = typer.Option(..., "--framework", "-f", help="Framework code, e.g. NSP-2022"),
    year: int = typer.Option(..., "--year", "-y", help="Review year; the status is taken as of 31 December"),
    edition: EditionOption = typer.Option(
        EditionOption.PUBLIC,
        "--edition",
        "-e",
        help="public: computed as the public reader, whoever you are; classified: needs SECRET clearance",
    ),
    fmt: Format = typer.Option(
        Format.HTML, "--format", help="html | pdf (the document); csv | json | xlsx (its tables)"
    ),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        help="Output file (a folder for csv); default FRAMEWORK-YEAR-EDITION.EXT in the current folder",
    ),
    today: str | None = typer.Option(
        None, "--today", help="Generate as if today were this date (YYYY-MM-DD)"
    ),
) -> None:
    """Write the annual review of a framework for the National Security Committee.

    Example: nigran --as reviewer report annual -f NSP-2022 -y 2025 --edition classified --format pdf
    """
    from nigran.reports import export
    from nigran.reports.data import YearOutsidePeriod
    from nigran.reports.model import Edition
    from nigran.reports.render import render_html, render_pdf
    from nigran.reports.service import annual_report

    try:
        day = datetime.strptime(today, "%Y-%m-%d").date() if today else date.today()
    except ValueError:
        fail(f"--today: {today!r} is not a date (YYYY-MM-DD)", 2)
    if not 1900 < year < 2200:
        fail(f"--year: {year} is not a plausible review year", 2)
    suffix = "" if fmt is Format.CSV else f".{fmt.value}"
    target = output or Path(f"{framework}-{year}-{edition.value}{suffix}")
    with (
        reporting_errors(),
        Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress,
    ):
        task = progress.add_task("gathering figures", total=None)
        try:
            report = annual_report(STATE.db, _acting(), framework, year, Edition(edition.value), today=day)
        except YearOutsidePeriod as exc:
            progress.stop()
            fail(str(exc), 2)
        progress.update(task, description=f"writing {fmt.value}")
        if fmt is Format.CSV:
            export.write_csv(report, target)
        elif fmt is Format.JSON:
            target.write_text(export.to_json(report), encoding="utf-8")
        elif fmt is Format.XLSX:
            export.write_xlsx(report, target)
        else:
            html = render_html(report)
            if fmt is Format.HTML:
                target.write_text(html, encoding="utf-8")
            else:
                progress.update(task, description="typesetting PDF")
                target.write_bytes(render_pdf(html))
    console.print(
        f"wrote {target} ({report.edition.value} edition, marking {report.marking.name}, "
        f"{report.headline.objectives_total} objectives, as seen by {report.reader})"
    )

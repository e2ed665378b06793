"""``nigran report …``: the annual review, public and classified editions, as a document or as tables.

A thin adapter: it parses options, asks :mod:`nigran.reports.service` for the rendered report and writes
it through :mod:`nigran.core.outputs` (no overwrite without ``--force``, never the database, never
through a symbolic link).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from pathlib import Path

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from nigran.access.principal import Principal
from nigran.cli_support import STATE, console, fail, principal
from nigran.core.wording import plural
from nigran.reports.service import ReportFormat

app = typer.Typer(
    help="Reports for the National Security Committee: the annual review, public and classified editions.\n\n"
    "Example: nigran report annual --framework NSP-2022 --year 2025 --edition public --format pdf",
    no_args_is_help=True,
)


class EditionOption(StrEnum):
    PUBLIC = "public"
    CLASSIFIED = "classified"


def _acting() -> Principal:
    with STATE.db.session(Principal.system(), readonly=True) as lookup:
        return principal(lookup)


@app.command("annual")
def annual(
    framework: str = typer.Option(..., "--framework", "-f", help="Framework code, e.g. NSP-2022"),
    year: int = typer.Option(..., "--year", "-y", help="Review year; the status is taken as of 31 December"),
    edition: EditionOption = typer.Option(
        EditionOption.PUBLIC,
        "--edition",
        help="public: computed as the public reader, whoever you are; classified: needs SECRET clearance",
    ),
    fmt: ReportFormat = typer.Option(
        ReportFormat.HTML,
        "--format",
        help="html | pdf (the document); csv (a zip of one CSV per table) | json | xlsx (its tables)",
    ),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        help="Output file; default FRAMEWORK-YEAR-EDITION.EXT in the current folder",
    ),
    force: bool = typer.Option(False, "--force", help="Replace the output file if it exists"),
    today: str | None = typer.Option(
        None, "--today", help="Generate as if today were this date (YYYY-MM-DD)"
    ),
) -> None:
    """Write the annual review of a framework for the National Security Committee.

    Example: nigran --as reviewer report annual -f NSP-2022 -y 2025 --edition classified --format pdf
    """
    from nigran.core.errors import AccessDenied
    from nigran.core.outputs import check_target, write_bytes
    from nigran.reports.data import YearOutsidePeriod
    from nigran.reports.model import Edition
    from nigran.reports.service import edition_principal, file_name, render_annual

    try:
        day = datetime.strptime(today, "%Y-%m-%d").date() if today else date.today()
    except ValueError:
        fail(f"--today: {today!r} is not a date (YYYY-MM-DD)", 2)
    chosen = Edition(edition.value)
    target = output or Path(file_name(framework, year, chosen, fmt))
    acting = _acting()
    if chosen is Edition.CLASSIFIED:
        try:
            edition_principal(chosen, acting)
        except AccessDenied as exc:
            fail(
                f"access denied: {exc.message} "
                "(ask for --edition public, or act as a SECRET-cleared user with --as)",
                3,
            )
    check_target(target, force=force)  # fail before the work, not after it
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        progress.add_task(f"gathering figures and writing {fmt.value}", total=None)
        try:
            rendered = render_annual(STATE.db, acting, framework, year, chosen, fmt, today=day)
        except YearOutsidePeriod as exc:
            progress.stop()
            fail(f"--year: {exc.message}", 2)
    write_bytes(target, rendered.content, force=force)
    report = rendered.report
    reader = "the public reader" if report.edition is Edition.PUBLIC else report.reader
    console.print(
        f"wrote {target} ({report.edition.value} edition, marking {report.marking.name}, "
        f"{plural(report.headline.objectives_total, 'objective')}, as seen by {reader})",
        highlight=False,
    )

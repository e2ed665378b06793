"""``nigran indicators …``: indicators to and from the spreadsheets (Excel, CSV) ministries work in."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from nigran.cli_support import console, fail, reporting_errors, session_as_user

app = typer.Typer(
    help="Indicators as one spreadsheet row each: export to Excel or CSV, edit, import back.\n\n"
    "Example: nigran indicators export NSP-2022 --format xlsx -o nsp-indicators.xlsx",
    no_args_is_help=True,
)


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


@app.command("export")
def export(
    code: str = typer.Argument(..., help="Framework code"),
    fmt: str = typer.Option("xlsx", "--format", help="xlsx | csv"),
    output: Path = typer.Option(..., "--output", "-o", help="File to write"),
) -> None:
    """Write one row per indicator you may see, with its codes, fields and a target_YYYY column per year.

    Responsible entities are written as 'MOI:lead; NACTA:supporting'.

    Example: nigran --as analyst indicators export NSP-2022 --format csv -o nsp.csv
    """
    from nigran.policy.indicators_io import export_indicators

    if fmt not in ("xlsx", "csv"):
        fail(f"unknown format {fmt!r} (xlsx or csv)")
    with reporting_errors(), session_as_user() as session, _progress() as progress:
        progress.add_task(f"exporting {code}", total=None)
        count = export_indicators(session, code, output, fmt)
    console.print(f"wrote {count} indicators to {output}")


@app.command("import")
def import_(
    file: Path = typer.Argument(..., help="A .csv or .xlsx file laid out like the export"),
    framework: str = typer.Option(..., "--framework", help="Code of the framework to update"),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Check and report what would change; write nothing"
    ),
) -> None:
    """Update indicators by code and add new ones under the objective in their row, in one transaction.

    Every cell is checked first: any problem is printed as FILE:ROW:COLUMN: message, and nothing is written.

    Columns missing from the file are left as they are; an empty cell clears the field.

    Example: nigran --as analyst indicators import nsp.xlsx --framework NSP-2022 --dry-run
    """
    from nigran.policy.indicators_io import import_indicators

    with reporting_errors(), session_as_user() as session, _progress() as progress:
        progress.add_task(f"checking {file}" if dry_run else f"importing {file}", total=None)
        result = import_indicators(session, file, framework, dry_run=dry_run)
        if dry_run:
            session.rollback()
    verb = "would be" if dry_run else "were"
    console.print(
        f"{len(result.added)} indicators {verb} added, {len(result.updated)} updated, "
        f"{len(result.unchanged)} unchanged" + (" (dry run: nothing written)" if dry_run else "")
    )
    for code in result.added:
        console.print(f"  + {code}")
    for code in result.updated:
        console.print(f"  ~ {code}")

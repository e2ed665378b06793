"""``nigran indicators …``: indicators to and from the spreadsheets (Excel, CSV) ministries work in."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from nigran.cli_support import FORCE_HELP, console, pick_format, read_input, session_as_user
from nigran.core import outputs
from nigran.core.wording import plural

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
    code: str = typer.Argument(..., help="Framework code (any case)"),
    output: Path = typer.Option(..., "--output", "-o", help="File to write (.xlsx or .csv)"),
    fmt: str | None = typer.Option(None, "--format", help="xlsx | csv (default: from the file's suffix)"),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
) -> None:
    """Write one row per indicator you may see, with its codes, fields and a target_YYYY column per year.

    Responsible entities are written as 'MOI:lead; NACTA:supporting'.

    Example: nigran --as analyst indicators export NSP-2022 -o nsp.csv
    """
    from nigran.policy.indicators_io import INDICATOR_FORMATS, export_indicators

    fmt = pick_format(fmt, output, INDICATOR_FORMATS, "xlsx")
    outputs.check_target(output, force=force)  # fail before any work
    with session_as_user(readonly=True) as session, _progress() as progress:
        progress.add_task(f"exporting {code}", total=None)
        exported = export_indicators(session, code, fmt)
    outputs.write_bytes(output, exported.data, force=force)
    console.print(f"wrote {plural(exported.count, 'indicator')} to {output}", highlight=False, soft_wrap=True)


@app.command("import")
def import_(
    file: Path = typer.Argument(..., help="A .csv or .xlsx file laid out like the export"),
    framework: str = typer.Option(..., "--framework", help="Code of the framework to update (any case)"),
    fmt: str | None = typer.Option(None, "--format", help="xlsx | csv (default: from the file's suffix)"),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Check and report what would change; write nothing"
    ),
) -> None:
    """Update indicators by code and add new ones under the objective in their row, in one transaction.

    Every cell is checked first: any problem is printed as FILE:ROW:COLUMN: message, and nothing is written.

    Columns missing from the file are left as they are; an empty cell clears the field.

    Example: nigran --as analyst indicators import nsp.xlsx --framework NSP-2022 --dry-run
    """
    from nigran.policy.indicators_io import INDICATOR_FORMATS, import_indicators

    if fmt is not None:
        fmt = pick_format(fmt, file, INDICATOR_FORMATS, "csv")
    data = read_input(file)
    with session_as_user(readonly=dry_run) as session, _progress() as progress:
        progress.add_task(f"checking {file}" if dry_run else f"importing {file}", total=None)
        result = import_indicators(session, data, str(file), framework, dry_run=dry_run, fmt=fmt)
        if dry_run:
            session.rollback()
    verb = "would be" if dry_run else "were"
    added = plural(len(result.added), "indicator")
    console.print(
        f"{added} {verb if len(result.added) != 1 else verb.replace('were', 'was')} added, "
        f"{len(result.updated):,} updated, {len(result.unchanged):,} unchanged"
        + (" (dry run: nothing written)" if dry_run else ""),
        highlight=False,
    )
    for code in result.added:
        console.print(f"  + {code}", highlight=False)
    for code in result.updated:
        console.print(f"  ~ {code}", highlight=False)

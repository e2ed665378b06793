"""``nigran incidents assessment`` and ``nigran incidents monitor-figures …``: a thin adapter over the
service (mounted by ``nigran.incidents.cli``)."""

from __future__ import annotations

from pathlib import Path

import typer

from nigran.cli_support import (
    FORCE_HELP,
    console,
    err_console,
    new_table,
    pick_format,
    read_input,
    session_as_user,
)
from nigran.core.jsonout import dumps
from nigran.core.outputs import check_target, write_bytes, write_text
from nigran.core.problems import InvalidInput, Problem


def assessment(
    month: str | None = typer.Option(None, "--month", help="YYYY-MM: the month to assess"),
    year: str | None = typer.Option(None, "--year", help="YYYY: the whole year instead (sums months)"),
    definition: str = typer.Option("picss", "--definition", help="pips | picss | crss (docs/assessment.md)"),
    fmt: str | None = typer.Option(None, "--format", help="html | pdf | json (default: from -o, else json)"),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write to this file instead of printing"),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
) -> None:
    """The monthly security assessment under a counting definition: attacks and operations apart,
    deaths by who died, provinces (KP's merged districts apart), suicide attacks, the deadliest
    incidents, change, districts and the monitors' own figures; every figure lists its incidents.

    Example: nigran incidents assessment --month 2021-06 --definition pips --format html -o june.html

    Example: nigran incidents assessment --year 2024 --definition crss --format json
    """
    from nigran.assessment import definitions
    from nigran.assessment.render import FORMATS, render_html, render_json, render_pdf
    from nigran.assessment.service import assess, parse_period

    if (month is None) == (year is None):
        raise InvalidInput([Problem(0, "give one of --month YYYY-MM or --year YYYY", "--month")])
    if month is not None:
        period = parse_period(month, "--month")
        if period.month is None:
            raise InvalidInput([Problem(0, f"expected a month YYYY-MM, not {month!r}", "--month")])
    else:
        period = parse_period(year, "--year")
        if period.month is not None:
            raise InvalidInput([Problem(0, f"expected a year YYYY, not {year!r}", "--year")])
    d = definitions.get(definition)
    kind = pick_format(fmt, output, FORMATS, "json")
    if kind == "pdf" and output is None:
        raise InvalidInput([Problem(0, "a PDF goes to a file: add -o FILE.pdf", "--output")])
    if output is not None:
        check_target(output, force=force)
    with session_as_user(readonly=True) as session:
        result = assess(session, period, d)
    if kind == "pdf":
        assert output is not None
        with err_console.status("Writing the PDF…"):
            data = render_pdf(result)
        write_bytes(output, data, force=force)
        err_console.print(f"wrote {output}", highlight=False)
        return
    text = render_json(result) if kind == "json" else render_html(result)
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    write_text(output, text, force=force)
    err_console.print(f"wrote {output}", highlight=False)


monitor_app = typer.Typer(
    help="The monitors' published figures (PIPS, PICSS, CRSS …), shown beside Nigran's in the assessment."
    "\n\nExample: nigran incidents monitor-figures list --period 2024",
    no_args_is_help=True,
)


ADD_HELP = (
    "Add a monitor's figure (or replace the one held for the same monitor, period, measure and scope)."
    "\n\nExample: nigran --as analyst incidents monitor-figures add --monitor PICSS --period 2024-10"
    ' --measure attacks --value 68 --definition picss --source "PICSS monthly report, October 2024"'
)


@monitor_app.command("add", help=ADD_HELP)
def figures_add(
    monitor: str = typer.Option(..., "--monitor", help="Who published it, e.g. PICSS"),
    period: str = typer.Option(..., "--period", help="YYYY-MM or YYYY"),
    measure: str = typer.Option(..., "--measure", help="incidents | attacks | killed | injured | …"),
    value: str = typer.Option(..., "--value", help="The published number"),
    definition: str = typer.Option(..., "--definition", help="pips | picss | crss: what it corresponds to"),
    source: str = typer.Option(..., "--source", help="The citation: publisher, title, date, URL"),
    scope: str | None = typer.Option(None, "--scope", help="counted (default) | attacks | operations"),
    classification: str = typer.Option("PUBLIC", "--classification", help="PUBLIC | RESTRICTED | SECRET"),
) -> None:
    from nigran.assessment.service import add_figure

    data = {
        "monitor": monitor,
        "period": period,
        "measure": measure,
        "value": value,
        "definition": definition,
        "source": source,
        "scope": scope,
        "classification": classification,
    }
    with session_as_user() as session:
        figure, new = add_figure(session, data, name="options")
        ref = f"{figure.monitor} {figure.period} {figure.measure} ({figure.scope}) = {figure.value:,}"
    console.print(f"{'added' if new else 'updated'} {ref}", highlight=False)


@monitor_app.command("list")
def figures_list(
    monitor: str | None = typer.Option(None, "--monitor", help="Only this monitor"),
    period: str | None = typer.Option(None, "--period", help="Only this period (YYYY-MM or YYYY)"),
    definition: str | None = typer.Option(None, "--definition", help="Only figures for this definition"),
    fmt: str | None = typer.Option(None, "--format", help="table | json (default: table)"),
) -> None:
    """The monitors' figures held.

    Example: nigran incidents monitor-figures list --definition picss
    """
    from nigran.assessment.service import figure_dict, list_figures

    kind = pick_format(fmt, None, ("table", "json"), "table")
    with session_as_user(readonly=True) as session:
        rows = [
            figure_dict(f)
            for f in list_figures(session, monitor=monitor, period=period, definition=definition)
        ]
    if kind == "json":
        typer.echo(dumps(rows))
        return
    table = new_table(
        "monitor", "period", "measure", "scope", "value", "def", numeric=("value",), keep=("period",)
    )
    for r in rows:
        table.add_row(r["monitor"], r["period"], r["measure"], r["scope"], f"{r['value']:,}", r["definition"])
    console.print(table if rows else "no monitor figures held")


@monitor_app.command("load")
def figures_load(
    file: Path | None = typer.Argument(None, help="YAML or CSV (default: the bundled 2024 totals)"),
) -> None:
    """Load figures from YAML (``figures:`` list, see monitors_2024.yaml) or CSV (columns monitor, period,
    measure, value, definition, source[, scope, classification, notes]); any problem refuses the file.

    Example: nigran --as analyst incidents monitor-figures load picss-2025.csv
    """
    from nigran.assessment.service import load_bundled_figures, load_figures

    data = read_input(file) if file is not None else None
    with session_as_user() as session:
        if data is None:
            added, updated = load_bundled_figures(session)
        else:
            added, updated = load_figures(session, data, str(file))
    console.print(f"{added} figure(s) added, {updated} updated")

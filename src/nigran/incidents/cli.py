"""``nigran incidents …``: import, summarise, report, export and compute incident-based indicators."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from nigran.access.classification import Classification
from nigran.cli_support import console, fail, reporting_errors, session_as_user
from nigran.incidents import analytics
from nigran.incidents.readers import FORMATS
from nigran.incidents.rows import count_lines
from nigran.incidents.sync_cli import app as sync_app

app = typer.Typer(
    help="Security incidents from UCDP GED, ACLED, GTD and CSV: imports, figures, reports, indicators.\n\n"
    "Example: nigran --as analyst incidents summary --by year",
    no_args_is_help=True,
)


def _filters(
    date_from: str | None,
    date_to: str | None,
    province: str | None,
    event_types: list[str] | None = None,
    actor: str | None = None,
) -> analytics.Filters:
    try:
        return analytics.Filters(
            date_from=analytics.parse_period_bound(date_from, end=False),
            date_to=analytics.parse_period_bound(date_to, end=True),
            province=province.upper() if province else None,
            event_types=tuple(event_types or ()),
            actor=actor,
        )
    except ValueError:
        fail("--from/--to take YYYY, YYYY-MM or YYYY-MM-DD")
        raise


@app.command("import")
def import_(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV or Excel file"),
    fmt: str = typer.Option(..., "--format", help="acled | ucdp-ged | gtd | csv"),
    mapping: Path | None = typer.Option(None, "--mapping", help="YAML: mapping overrides, CSV columns"),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help="Import valid rows, reject the others"),
    rejects: Path | None = typer.Option(
        None, "--rejects", help="CSV file for rejected rows (--skip-invalid)"
    ),
    classification: str = typer.Option("PUBLIC", "--classification", help="PUBLIC | RESTRICTED | SECRET"),
    dataset_version: str | None = typer.Option(
        None, "--dataset-version", help="e.g. 22.1 (UCDP: from file name)"
    ),
) -> None:
    """Import incidents in one transaction; any bad row refuses the whole file unless --skip-invalid.

    Example: nigran --as analyst incidents import ged221_pakistan.csv --format ucdp-ged
    """
    from nigran.incidents.importer import import_file
    from nigran.incidents.mappings import load_overrides

    if fmt not in FORMATS:
        fail(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    if rejects and not skip_invalid:
        fail("--rejects needs --skip-invalid")
    try:
        overrides = load_overrides(mapping) if mapping else None
        level = Classification.parse(classification)
    except ValueError as exc:
        fail(str(exc))
        raise
    total = count_lines(file) or None
    columns = (TextColumn("[bold]importing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with reporting_errors(), Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("import", total=total)
        with session_as_user() as session:
            result = import_file(
                session,
                file,
                fmt,
                overrides=overrides,
                skip_invalid=skip_invalid,
                rejects_path=rejects,
                classification=level,
                dataset_version=dataset_version,
                progress=lambda n: progress.advance(task, n),
            )
    console.print(
        f"{file.name}: {result.rows_read} rows read; {result.inserted} inserted, {result.updated} updated, "
        f"{result.unchanged} unchanged, {result.skipped} out of scope, {result.rejected} rejected"
        + (f" (batch {result.batch_id})" if result.batch_id else " (nothing written)")
    )
    for problem in result.problems[:20]:
        typer.echo(str(problem), err=True)
    if rejects and result.rejected:
        console.print(f"rejected rows written to {rejects}")


@app.command("summary")
def summary(
    by: str = typer.Option(
        "year", "--by", help="year | quarter | month | province | district | type | actor"
    ),
    date_from: str | None = typer.Option(None, "--from", help="YYYY, YYYY-MM or YYYY-MM-DD"),
    date_to: str | None = typer.Option(None, "--to", help="YYYY, YYYY-MM or YYYY-MM-DD (inclusive)"),
    province: str | None = typer.Option(None, "--province", help="ISO code, e.g. PK-KP"),
    event_type: list[str] | None = typer.Option(None, "--type", help="Only these event types (repeatable)"),
    actor: str | None = typer.Option(None, "--actor", help="Actor registry code, e.g. TTP"),
    fmt: str = typer.Option("table", "--format", help="table | csv | json"),
) -> None:
    """Incidents, killed, victims, militants, injured and hostages per period or place, with changes.

    Example: nigran incidents summary --by month --from 2021-01 --to 2021-12 --province PK-KP --format csv
    """
    if by not in analytics.BY:
        fail(f"unknown --by {by!r} (one of {', '.join(analytics.BY)})")
    f = _filters(date_from, date_to, province, event_type, actor)
    with reporting_errors(), session_as_user() as session:
        rows = [r.as_dict(by) for r in analytics.summary(session, by, f)]
    _print_rows(rows, [by, *analytics.COLUMNS], fmt)


def _print_rows(rows: list[dict[str, object]], first: list[str], fmt: str) -> None:
    columns = list(dict.fromkeys(first + [k for r in rows for k in r]))
    if fmt == "json":
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        typer.echo(buf.getvalue(), nl=False)
    elif fmt == "table":
        table = Table(*columns)
        for r in rows:
            table.add_row(*("" if r.get(c) is None else str(r.get(c)) for c in columns))
        console.print(table)
    else:
        fail(f"unknown --format {fmt!r} (table, csv or json)")


@app.command("top-districts")
def top_districts(
    measure: str = typer.Option("killed", "--measure", help="incidents | killed | victims_killed | …"),
    date_from: str | None = typer.Option(None, "--from"),
    date_to: str | None = typer.Option(None, "--to"),
    province: str | None = typer.Option(None, "--province"),
    n: int = typer.Option(10, "-n", help="How many districts"),
    fmt: str = typer.Option("table", "--format", help="table | csv | json"),
) -> None:
    """The districts with the highest figures.

    Example: nigran incidents top-districts --from 2021 --to 2021 --measure killed -n 5
    """
    if measure not in analytics.ALL_MEASURES:
        fail(f"unknown --measure {measure!r}")
    with reporting_errors(), session_as_user() as session:
        rows = analytics.top_districts(session, _filters(date_from, date_to, province), measure=measure, n=n)
    _print_rows([r.as_dict("district") for r in rows], ["district", *analytics.COLUMNS], fmt)


@app.command("report")
def report(
    month: str = typer.Option(..., "--month", help="YYYY-MM"),
    province: str | None = typer.Option(None, "--province", help="ISO code, e.g. PK-BA"),
    fmt: str = typer.Option("text", "--format", help="text | json"),
) -> None:
    """A monthly security situation summary written from the data; every figure lists its incidents.

    Example: nigran incidents report --month 2021-08
    """
    from nigran.geo.gazetteer import Gazetteer
    from nigran.incidents.report import monthly_report, parse_month

    try:
        month = parse_month(month)
    except ValueError as exc:
        fail(str(exc))
    with reporting_errors(), session_as_user() as session:
        result = monthly_report(
            session, month, province=province.upper() if province else None, gazetteer=Gazetteer.bundled()
        )
    if fmt == "json":
        typer.echo(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
    else:
        typer.echo(result.text)


@app.command("export")
def export(
    output: Path = typer.Argument(..., help="File to write"),
    fmt: str = typer.Option("csv", "--format", help="csv | json | xlsx"),
    date_from: str | None = typer.Option(None, "--from"),
    date_to: str | None = typer.Option(None, "--to"),
    province: str | None = typer.Option(None, "--province"),
) -> None:
    """Export the incidents you may see, each with its sources.

    Example: nigran incidents export incidents.xlsx --format xlsx --from 2020
    """
    from nigran.incidents.export import export as do_export

    if fmt not in ("csv", "json", "xlsx"):
        fail(f"unknown --format {fmt!r} (csv, json or xlsx)")
    with reporting_errors(), session_as_user() as session:
        n = do_export(session, output, fmt, _filters(date_from, date_to, province))
    console.print(f"wrote {n} incidents to {output}")


@app.command("indicator")
def indicator(
    code: str = typer.Argument(..., help="Indicator code"),
    framework: str | None = typer.Option(
        None, "--framework", help="Framework code, if the code is ambiguous"
    ),
    fmt: str = typer.Option("table", "--format", help="table | csv | json"),
) -> None:
    """Values of an incident-based indicator for every reporting period, with the incidents behind each.

    Example: nigran incidents indicator NSP-I-12 --format json
    """
    from nigran.incidents.indicators import QueryError, indicator_values

    with reporting_errors(), session_as_user() as session:
        try:
            ind, values = indicator_values(session, code, framework)
        except (LookupError, QueryError) as exc:
            fail(str(exc))
            raise
        name = ind.name
    rows = [
        {
            "period": v.period,
            "value": v.value,
            "incidents": len(v.incident_ids),
            "incident_ids": " ".join(map(str, v.incident_ids)) if fmt != "json" else v.incident_ids,
        }
        for v in values
    ]
    if fmt == "table":
        console.print(f"[bold]{code}[/bold] {name}")
        for r in rows:
            r["incident_ids"] = str(r["incident_ids"])[:60]
    _print_rows(rows, ["period", "value", "incidents", "incident_ids"], fmt)


actors_app = typer.Typer(
    help="The actor registry (organisations and their aliases).\n\nExample: nigran incidents actors list",
    no_args_is_help=True,
)
app.add_typer(actors_app, name="actors")
app.add_typer(sync_app, name="sync")


@actors_app.command("load")
def actors_load(
    file: Path | None = typer.Argument(None, help="actors YAML (default: the bundled registry)"),
) -> None:
    """Upsert actors by code from YAML.

    Example: nigran --as analyst incidents actors load my-actors.yaml
    """
    from nigran.incidents.actors import load_actors

    with reporting_errors(), session_as_user() as session:
        n = load_actors(session, file)
    console.print(f"{n} actor(s) written")


@actors_app.command("list")
def actors_list() -> None:
    """List registry actors and their aliases.

    Example: nigran incidents actors list
    """
    from sqlalchemy import select

    from nigran.incidents.models import Actor

    with reporting_errors(), session_as_user() as session:
        actors = list(session.scalars(select(Actor).order_by(Actor.code)))
        table = Table("code", "name", "kind", "aliases")
        for a in actors:
            table.add_row(a.code, a.name, a.kind, ", ".join(a.aliases))
    console.print(table)


def _add_dedup() -> None:
    """``nigran incidents dedup …`` lives in ``dedup_cli.py`` (written separately); wired in here."""
    from nigran.incidents.dedup_cli import app as dedup_app

    app.add_typer(dedup_app, name="dedup")


_add_dedup()

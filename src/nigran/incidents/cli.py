"""``nigran incidents …``: import, summarise, report, export and compute incident-based indicators."""

from __future__ import annotations

import io
from pathlib import Path

import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.cli_support import (
    console,
    err_console,
    fail,
    new_table,
    pick_format,
    read_input,
    reporting_errors,
    session_as_user,
)
from nigran.core.cells import csv_writer
from nigran.core.jsonout import dumps
from nigran.core.outputs import check_target, write_text, write_with
from nigran.core.problems import InvalidInput, Problem
from nigran.core.wording import plural
from nigran.incidents import analytics
from nigran.incidents.readers import FORMATS
from nigran.incidents.rows import count_lines
from nigran.incidents.sync_cli import app as sync_app

app = typer.Typer(
    help="Security incidents from UCDP GED, ACLED, GTD and CSV: imports, figures, reports, indicators.\n\n"
    "Example: nigran --as analyst incidents summary --by year",
    no_args_is_help=True,
)


@app.command("import")
def import_(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV or Excel file"),
    fmt: str = typer.Option(..., "--format", help="acled | ucdp-ged | gtd | csv"),
    mapping: Path | None = typer.Option(
        None, "--mapping", exists=True, dir_okay=False, help="YAML: mapping overrides, CSV columns"
    ),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help="Import valid rows, reject the others"),
    rejects: Path | None = typer.Option(
        None, "--rejects", help="CSV file for rejected rows (--skip-invalid)"
    ),
    force: bool = typer.Option(False, "--force", help="Replace the rejects file if it exists"),
    classification: str = typer.Option("PUBLIC", "--classification", help="PUBLIC | RESTRICTED | SECRET"),
    dataset_version: str | None = typer.Option(
        None, "--dataset-version", help="e.g. 22.1 (UCDP: from file name)"
    ),
    encoding: str | None = typer.Option(
        None, "--encoding", help="Encoding of a file without byte-order mark, e.g. latin-1 (default UTF-8)"
    ),
) -> None:
    """Import incidents in one transaction; any bad row refuses the whole file unless --skip-invalid.

    Example: nigran --as analyst incidents import ged221_pakistan.csv --format ucdp-ged

    Example: nigran --as analyst incidents import events.csv --format csv --encoding latin-1
    """
    from nigran.incidents.importer import import_stream
    from nigran.incidents.mapping_file import read_overrides

    fmt = fmt.lower()
    if fmt not in FORMATS:
        fail(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})", 2)
    if rejects and not skip_invalid:
        fail("--rejects needs --skip-invalid", 2)
    try:
        level = Classification.parse(classification)
    except ValueError as exc:
        fail(str(exc), 2)
        raise
    columns = (TextColumn("[bold]importing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        overrides = read_overrides(mapping.read_bytes(), str(mapping)) if mapping else None
        fh = file.open("rb")
    except OSError as exc:
        fail(f"{exc.filename}: cannot read: {exc.strerror}", 2)
        raise
    with fh, reporting_errors(), Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("import", total=count_lines(fh, file.name) or None)
        with session_as_user() as session:
            result = import_stream(
                session,
                fh,
                str(file),
                fmt,
                overrides=overrides,
                skip_invalid=skip_invalid,
                rejects_path=rejects,
                force=force,
                classification=level,
                dataset_version=dataset_version,
                encoding=encoding,
                parallel=True,  # a command may fork a planning process for a big file; a web server may not
                progress=lambda n: progress.advance(task, n),
            )
    console.print(
        f"{file.name}: {plural(result.rows_read, 'row')} read; {result.inserted:,} inserted, "
        f"{result.updated:,} updated, {result.unchanged:,} unchanged, {result.skipped:,} out of scope, "
        f"{result.rejected:,} rejected"
        + (f" (batch {result.batch_id})" if result.batch_id else " (nothing written)"),
        highlight=False,
    )
    for problem in result.problems[:20]:
        typer.echo(str(problem), err=True)
    if len(result.problems) > 20:
        typer.echo(f"… and {plural(len(result.problems) - 20, 'more problem')}", err=True)
    if rejects and result.rejected:
        console.print(f"rejected rows written to {rejects}", highlight=False)


def _resolve(
    session: Session,
    date_from: str | None = None,
    date_to: str | None = None,
    province: str | None = None,
    district: str | None = None,
    event_types: list[str] | None = None,
    actor: str | None = None,
) -> analytics.Filters:
    """The filters as typed, resolved (names, codes and aliases) or refused by ``incidents.filters``."""
    from nigran.incidents.filters import FilterText, resolve

    text = FilterText(date_from, date_to, province, district, tuple(event_types or ()), actor)
    return resolve(session, text)


def _emit(text: str, output: Path | None, force: bool) -> None:
    """Print ``text``, or write it to ``output`` through ``core.outputs`` (never over the database)."""
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    write_text(output, text, force=force)
    err_console.print(f"wrote {output}", highlight=False)


#: Short table headers, so that a summary fits 80 columns (CSV and JSON keep the full names).
_HEADERS = {
    "incidents": "incidents",
    "killed": "killed",
    "victims_killed": "victims",
    "militants_killed": "militants",
    "civilians_killed": "civilians",
    "security_killed": "security",
    "injured": "injured",
    "hostages": "hostages",
    "incidents_vs_prev": "incidents vs previous",
    "killed_vs_prev": "killed vs previous",
    "incidents_vs_last_year": "incidents vs year before",
    "killed_vs_last_year": "killed vs year before",
    "incident_ids": "incident ids",
}


def _shown(value: object) -> str:
    """A table cell: unknown is "—" (never 0), a change is signed with %."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:+.1f}%"
    return str(value)


def _render(
    rows: list[dict[str, object]], columns: list[str], fmt: str, *, table_columns: list[str] | None = None
) -> str:
    """Rows as CSV (cells neutralised), JSON (null for unknown) or an 80-column table (wraps, never cuts)."""
    if fmt == "json":
        return dumps(rows) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv_writer(buf, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([["" if r.get(c) is None else r.get(c) for c in columns] for r in rows])
        return buf.getvalue()
    shown = table_columns or columns
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 0), pad_edge=False)  # one space between columns
    for c in shown:
        cells = [_shown(r.get(c)) for r in rows]
        numeric = any(isinstance(r.get(c), int | float) for r in rows)
        # a number keeps its whole width; text wraps at spaces, down to its longest word; headers wrap
        widest = max((len(w) for cell in cells for w in (cell.split() if not numeric else [cell])), default=1)
        table.add_column(
            _HEADERS.get(c, c), justify="right" if numeric else "left", overflow="fold", min_width=widest
        )
    for r in rows:
        table.add_row(*(_shown(r.get(c)) for c in shown))
    buf_console = Console(file=io.StringIO(), width=80, highlight=False, color_system=None)
    buf_console.print(table)
    return buf_console.file.getvalue()  # type: ignore[attr-defined]


def _coverage(rows: list[analytics.Row], measures: tuple[str, ...]) -> str:
    """The table's footer: each figure that some incidents do not give, and for how many it is known."""
    lines = []
    for t in analytics.totals(rows):
        if t.measure not in measures or t.complete:
            continue
        of = plural(t.incidents, "incident")
        what = t.measure.replace("_", " ")
        if t.value is None:
            lines.append(f"{what}: unknown, no source gives it ({of})")
        else:
            lines.append(f"{what}: {t.value}, known for {t.known} of {of}")
    return "\n".join(lines) + ("\n" if lines else "")


def _figure_columns(by: str, rows: list[dict[str, object]]) -> tuple[list[str], list[str], list[str]]:
    """All columns (CSV, JSON), those the figures table shows (codes with names) and the changes table's
    (periods only: eleven columns would not fit 80)."""
    named = ["name"] if by in analytics.NAMED else []
    known = [f"{m}_known" for m in analytics.FIGURES]
    changes = list(dict.fromkeys(k for r in rows for k in r if "_vs_" in k))
    everything = [by, *named, *analytics.COLUMNS, "civilians_killed", "security_killed", *known, *changes]
    return everything, [by, *named, *analytics.COLUMNS], [by, *changes] if changes else []


@app.command("summary")
def summary(
    by: str = typer.Option(
        "year", "--by", help="year | quarter | month | province | district | type | actor"
    ),
    date_from: str | None = typer.Option(None, "--from", help="YYYY, YYYY-MM or YYYY-MM-DD"),
    date_to: str | None = typer.Option(None, "--to", help="YYYY, YYYY-MM or YYYY-MM-DD (inclusive)"),
    province: str | None = typer.Option(None, "--province", help="Code or name, e.g. PK-KP, KP or Sindh"),
    district: str | None = typer.Option(None, "--district", help="Code or name, e.g. Peshawar"),
    event_type: list[str] | None = typer.Option(None, "--type", help="Only these event types (repeatable)"),
    actor: str | None = typer.Option(None, "--actor", help="Registry code, name or alias, e.g. TTP"),
    fmt: str | None = typer.Option(
        None, "--format", help="table | csv | json (default: from -o, else table)"
    ),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write to this file instead of printing"),
    force: bool = typer.Option(False, "--force", help="Replace the output file if it exists"),
) -> None:
    """Incidents, killed, victims, militants, injured and hostages per period or place, with changes.

    A figure no source gives is shown as "—" (null in JSON, empty in CSV), never 0; the table's footer says
    for how many incidents each incomplete figure is known.

    Example: nigran incidents summary --by month --from 2021-01 --to 2021-12 --province KP --format csv
    """
    kind = pick_format(fmt, output, ("table", "csv", "json"), "table")
    with session_as_user(readonly=True) as session:
        if output:
            check_target(output, force=force)
        f = _resolve(session, date_from, date_to, province, district, event_type, actor)
        found = analytics.summary(session, by, f)
    rows = [r.as_dict(by) for r in found]
    columns, shown, changes = _figure_columns(by, rows)
    text = _render(rows, columns, kind, table_columns=shown)
    if kind == "table" and not rows:
        text = "no incidents match\n"
    elif kind == "table":
        text += _coverage(found, analytics.COLUMNS)
        if changes:
            text += "\nChanges in %, against the previous period and a year before:\n"
            text += _render(rows, columns, kind, table_columns=changes)
    _emit(text, output, force)


@app.command("top-districts")
def top_districts(
    measure: str = typer.Option("killed", "--measure", help="incidents | killed | victims_killed | …"),
    date_from: str | None = typer.Option(None, "--from", help="YYYY, YYYY-MM or YYYY-MM-DD"),
    date_to: str | None = typer.Option(None, "--to", help="YYYY, YYYY-MM or YYYY-MM-DD (inclusive)"),
    province: str | None = typer.Option(None, "--province", help="Code or name, e.g. PK-KP, KP or Sindh"),
    event_type: list[str] | None = typer.Option(None, "--type", help="Only these event types (repeatable)"),
    actor: str | None = typer.Option(None, "--actor", help="Registry code, name or alias, e.g. TTP"),
    n: int = typer.Option(10, "--limit", "-n", min=1, max=1000, help="How many districts (1-1000)"),
    fmt: str | None = typer.Option(
        None, "--format", help="table | csv | json (default: from -o, else table)"
    ),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write to this file instead of printing"),
    force: bool = typer.Option(False, "--force", help="Replace the output file if it exists"),
) -> None:
    """The districts with the highest figures (a district whose sources do not give the figure comes last).

    Example: nigran incidents top-districts --from 2021 --to 2021 --measure killed -n 5
    """
    kind = pick_format(fmt, output, ("table", "csv", "json"), "table")
    with session_as_user(readonly=True) as session:
        if output:
            check_target(output, force=force)
        f = _resolve(session, date_from, date_to, province, None, event_type, actor)
        found = analytics.top_districts(session, f, measure=measure, n=n)
    rows = [r.as_dict("district") for r in found]
    columns, shown, _ = _figure_columns("district", rows)
    text = _render(rows, columns, kind, table_columns=shown)
    if kind == "table" and not rows:
        text = "no districts match\n"
    _emit(text, output, force)


@app.command("report")
def report(
    month: str = typer.Option(..., "--month", help="YYYY-MM"),
    province: str | None = typer.Option(None, "--province", help="Code or name, e.g. PK-BA or Balochistan"),
    district: str | None = typer.Option(None, "--district", help="Code or name, e.g. Quetta"),
    event_type: list[str] | None = typer.Option(None, "--type", help="Only these event types (repeatable)"),
    actor: str | None = typer.Option(None, "--actor", help="Registry code, name or alias, e.g. TTP"),
    fmt: str | None = typer.Option(None, "--format", help="text | json (default: from -o, else text)"),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write to this file instead of printing"),
    force: bool = typer.Option(False, "--force", help="Replace the output file if it exists"),
) -> None:
    """A monthly security situation summary written from the data; every figure lists its incidents.

    Example: nigran incidents report --month 2021-08 --province KP
    """
    from nigran.geo.gazetteer import Gazetteer
    from nigran.incidents.report import monthly_report, parse_month

    kind = pick_format(fmt, output, ("text", "json"), "text")
    month = parse_month(month)
    with session_as_user(readonly=True) as session:
        if output:
            check_target(output, force=force)
        f = _resolve(session, None, None, province, district, event_type, actor)
        result = monthly_report(session, month, gazetteer=Gazetteer.bundled(), filters=f)
    _emit(dumps(result.as_dict()) + "\n" if kind == "json" else result.text + "\n", output, force)


@app.command("export")
def export(
    path: Path | None = typer.Argument(None, help="File to write (the same as -o)", show_default=False),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="File to write (default: print CSV/JSON)"
    ),
    fmt: str | None = typer.Option(
        None, "--format", help="csv | json | xlsx (default: from the file's suffix)"
    ),
    force: bool = typer.Option(False, "--force", help="Replace the output file if it exists"),
    date_from: str | None = typer.Option(None, "--from", help="YYYY, YYYY-MM or YYYY-MM-DD"),
    date_to: str | None = typer.Option(None, "--to", help="YYYY, YYYY-MM or YYYY-MM-DD (inclusive)"),
    province: str | None = typer.Option(None, "--province", help="Code or name, e.g. PK-KP, KP or Sindh"),
    district: str | None = typer.Option(None, "--district", help="Code or name, e.g. Peshawar"),
    event_type: list[str] | None = typer.Option(None, "--type", help="Only these event types (repeatable)"),
    actor: str | None = typer.Option(None, "--actor", help="Registry code, name or alias, e.g. TTP"),
) -> None:
    """Export the incidents you may see, each with its sources; unknown figures stay empty (null in JSON).

    Example: nigran incidents export -o incidents.xlsx --from 2020
    """
    from nigran.incidents.export import detect_format, export_bytes, write_export

    if path and output and path != output:
        raise InvalidInput(
            [Problem(0, "name the output file once (as -o FILE or as the argument)", "--output")]
        )
    target = output or path
    kind = detect_format(fmt, str(target) if target else "out.csv" if not fmt else None)
    if target is None and kind == "xlsx":
        raise InvalidInput([Problem(0, "an xlsx export needs a file: give -o FILE.xlsx", "--output")])
    with session_as_user(readonly=True) as session:
        if target is not None:
            check_target(target, force=force)  # before any work, and after the database is known (never it)
        f = _resolve(session, date_from, date_to, province, district, event_type, actor)
        if target is None:
            data, n = export_bytes(session, kind, f)
        else:
            counted: list[int] = []
            write_with(target, lambda fh: counted.append(write_export(session, fh, kind, f)), force=force)
            n = counted[0]
    if target is None:
        typer.echo(data.decode("utf-8"), nl=False)
        return
    err_console.print(f"wrote {plural(n, 'incident')} to {target}", highlight=False)


@app.command("indicator")
def indicator(
    code: str = typer.Argument(..., help="Indicator code"),
    framework: str | None = typer.Option(
        None, "--framework", help="Framework code, if the code is ambiguous"
    ),
    fmt: str | None = typer.Option(
        None, "--format", help="table | csv | json (default: from -o, else table)"
    ),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write to this file instead of printing"),
    force: bool = typer.Option(False, "--force", help="Replace the output file if it exists"),
) -> None:
    """Values of an incident-based indicator for every reporting period, with the incidents behind each.

    Example: nigran incidents indicator NSP-I-12 --format json
    """
    from nigran.incidents.indicators import indicator_values

    kind = pick_format(fmt, output, ("table", "csv", "json"), "table")
    with session_as_user(readonly=True) as session:
        if output:
            check_target(output, force=force)
        ind, values = indicator_values(session, code, framework)
        name = ind.name
    rows: list[dict[str, object]] = [
        {
            "period": v.period,
            "value": v.value,
            "incidents": v.incidents,
            "known": v.known,
            "incident_ids": v.incident_ids if kind == "json" else " ".join(map(str, v.incident_ids)),
        }
        for v in values
    ]
    if kind == "table":
        for r, v in zip(rows, values, strict=True):
            r["incident_ids"] = _compact_ids(v.incident_ids)
    columns = ["period", "value", "incidents", "known", "incident_ids"]
    text = _render(rows, columns, kind)
    if kind == "table":
        text = f"{code} {name}\n" + text
    _emit(text, output, force)


def _compact_ids(ids: list[int], limit: int = 6) -> str:
    """The first ids and how many more: a table never cuts a number in half."""
    shown = " ".join(str(i) for i in ids[:limit])
    return shown + (f" … (+{len(ids) - limit} more)" if len(ids) > limit else "")


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

    data = read_input(file) if file is not None else None
    with session_as_user() as session:
        n = load_actors(session, data, str(file or "actors.yaml"))
    console.print(f"{plural(n, 'actor')} written")


@actors_app.command("list")
def actors_list() -> None:
    """List registry actors and their aliases.

    Example: nigran incidents actors list
    """
    from sqlalchemy import select

    from nigran.incidents.models import Actor

    with session_as_user(readonly=True) as session:
        actors = list(session.scalars(select(Actor).order_by(Actor.code)))
        table = new_table("code", "name", "kind", "aliases")
        for a in actors:
            table.add_row(a.code, a.name, a.kind, ", ".join(a.aliases))
    console.print(table)


def _add_dedup() -> None:
    """``nigran incidents dedup …`` lives in ``dedup_cli.py`` (written separately); wired in here."""
    from nigran.incidents.dedup_cli import app as dedup_app

    app.add_typer(dedup_app, name="dedup")


_add_dedup()


def _add_assessment() -> None:
    """``nigran incidents assessment`` and ``monitor-figures …`` live in ``nigran.assessment.cli``."""
    from nigran.assessment.cli import assessment, monitor_app

    app.command("assessment")(assessment)
    app.add_typer(monitor_app, name="monitor-figures")


_add_assessment()

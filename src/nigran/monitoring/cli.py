"""``nigran reporting …`` (cycles, templates, submissions, review, what is due) and ``nigran score``.

A thin adapter: each command parses its options, calls one service in one transaction, and prints. Domain
errors (``InvalidInput``, ``NotFound``, ``IllegalTransition``, ``Conflict``, ``AccessDenied``) are printed
and mapped to exit codes by the root command, the one place that does it.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import typer

from nigran.cli_support import console, err_console, new_table, pick_format, session_as_user
from nigran.core import outputs
from nigran.core.numbers import NumberError
from nigran.core.wording import plural
from nigran.monitoring import render, score_output, service
from nigran.monitoring.validation import read_value

app = typer.Typer(
    help="Reporting cycles, obligations, submissions and their review.\n\n"
    "Example: nigran --as focal-kp reporting template -f NSP-2022 --cycle 2024 --entity KP -o kp.xlsx",
    no_args_is_help=True,
)
cycles_app = typer.Typer(
    help="Create and list reporting cycles.\n\nExample: nigran reporting cycles list --framework NSP-2022",
    no_args_is_help=True,
)
app.add_typer(cycles_app, name="cycles")

FW = typer.Option(..., "--framework", "-f", help="Framework code, e.g. NSP-2022")
FORCE = typer.Option(False, "--force", help="Replace the output file if it exists")


def _day(text: str | None, option: str) -> date | None:
    return service.read_day(text, option)


def _value(text: str | None, option: str = "--value") -> float | str | None:
    """The option's text, checked as a number early (``1,45``, ``inf``, ``nan`` are refused here); the
    service reads it again in the indicator's unit (``87%`` for a percentage)."""
    if text is None:
        return None
    try:
        read_value(text, "percent" if text.strip().endswith("%") else None)
    except NumberError as exc:
        raise service.invalid(option, str(exc)) from None
    return text


@cycles_app.command("create")
def cycles_create(
    codes: list[str] = typer.Argument(None, help="Cycle codes: 2024 (annual) or 2024-Q1 (quarterly)"),
    framework: str = FW,
    year: list[int] = typer.Option(None, "--year", help="Create the year's four quarters and annual cycle"),
    deadline: str | None = typer.Option(
        None, help="Deadline (YYYY-MM-DD); default 30/60 days after the period"
    ),
) -> None:
    """Create reporting cycles and derive each entity's obligations from the register's responsibilities.

    Example: nigran --as analyst reporting cycles create --framework NSP-2022 --year 2025
    """
    due = _day(deadline, "--deadline")
    with err_console.status("creating cycles and deriving obligations"), session_as_user() as session:
        made = service.create_cycles(
            session, framework, list(codes or []), years=list(year or []), deadline=due
        )
        names = ", ".join(c.code for c in made.cycles)
    if not made.cycles:
        console.print("No cycle created: they all exist already.")
        return
    console.print(
        f"{plural(len(made.cycles), 'cycle')} created ({names}), "
        f"{plural(made.obligations, 'obligation')} derived",
        highlight=False,
    )


@cycles_app.command("list")
def cycles_list(framework: str = FW) -> None:
    """List a framework's cycles with their periods and deadlines.

    Example: nigran reporting cycles list --framework NSP-2022
    """
    with session_as_user(readonly=True) as session:
        rows = [
            (c.code, c.kind, f"{c.period_start} to {c.period_end}", str(c.deadline))
            for c in service.list_cycles(session, framework)
        ]
    if not rows:
        console.print(f"{framework} has no reporting cycles yet.")
        return
    table = new_table("cycle", "kind", "period", "deadline")
    for r in rows:
        table.add_row(*r)
    console.print(table)


@app.command("template")
def template(
    entity: str = typer.Option(..., "--entity", "-e", help="Entity code, e.g. KP"),
    cycle: str = typer.Option(..., "--cycle", "-c", help="Cycle code, e.g. 2024 or 2024-Q3"),
    framework: str = FW,
    output: Path = typer.Option(..., "--output", "-o", help="The .xlsx file to write"),
    force: bool = FORCE,
) -> None:
    """Write the entity's reporting workbook for a cycle, pre-filled with what it owes.

    Example: nigran --as focal-kp reporting template --entity KP --cycle 2024 --framework NSP-2022 -o kp.xlsx
    """
    from nigran.monitoring.excel import build_template

    outputs.check_target(output, force=force)  # fail before any work
    with session_as_user(readonly=True) as session:
        wb = build_template(session, framework, cycle, entity.upper())
    outputs.write_with(output, wb.save, force=force)
    console.print(f"Wrote {output}", highlight=False)


@app.command("submit")
def submit(file: Path = typer.Argument(..., help="A filled reporting workbook (.xlsx)")) -> None:
    """Check every cell of a workbook and record its values; if anything is wrong, nothing is recorded.

    Example: nigran --as focal-kp reporting submit kp-2024.xlsx
    """
    from nigran.monitoring.excel_submit import submit_workbook

    try:
        data = file.read_bytes()
    except OSError as exc:
        raise service.invalid(str(file), f"cannot read the file: {exc.strerror or exc}") from None
    with err_console.status(f"checking {file}"), session_as_user() as session:
        result = submit_workbook(session, io.BytesIO(data), str(file))
    ids = ", ".join(map(str, result.submission_ids)) or "none"
    console.print(
        f"{result.submitted} submitted, {result.resubmitted} resubmitted, {result.unchanged} unchanged; "
        f"submission ids: {ids}",
        highlight=False,
    )


@app.command("submit-value")
def submit_value(
    item: str = typer.Option(..., "--item", "-i", help="Indicator or milestone code"),
    framework: str = FW,
    cycle: str = typer.Option(..., "--cycle", "-c", help="Cycle code"),
    value: str | None = typer.Option(None, help="The indicator's value, in its unit (a percentage as 87)"),
    status: str | None = typer.Option(
        None, help="A milestone's status (not_started, in_progress, completed, …)"
    ),
    evidence: str | None = typer.Option(None, help="Document reference or link (required to submit)"),
    note: str | None = typer.Option(None, help="Free-text note"),
    entity: str | None = typer.Option(None, help="Reporting entity (default: your own)"),
    period_start: str | None = typer.Option(
        None, help="Start of the period the value covers (default: cycle)"
    ),
    period_end: str | None = typer.Option(None, help="End of the period the value covers (default: cycle)"),
    draft: bool = typer.Option(False, "--draft", help="Save as a draft instead of submitting"),
) -> None:
    """Report one indicator value or milestone status.

    Example: nigran --as focal-kp reporting submit-value -f NSP-2022 -c 2024 -i NSP-2022.S6.O1.I1 --value 61.5
    --evidence "KP Education Dept letter 12/2025"
    """
    text = _value(value)
    start, end = _day(period_start, "--period-start"), _day(period_end, "--period-end")
    with session_as_user() as session:
        cyc = service.get_cycle(session, framework, cycle)
        data = service.value_input(session, cyc, item, text, status, start, end, evidence, note)
        sub = service.submit(session, cyc, entity.upper() if entity else None, data, draft=draft)
        line = f"Submission {sub.id}: {sub.state} (version {sub.version})"
    console.print(line, highlight=False)


def _step(
    action: str,
    submission_id: int,
    comment: str | None,
    version: int | None,
    changes: service.ValueInput | None = None,
    raw_value: str | None = None,
) -> None:
    with session_as_user() as session:
        if raw_value is not None and changes is not None:
            changes.value = service.read_submission_value(session, submission_id, raw_value)
        sub = service.transition(
            session, submission_id, action, comment=comment, expected_version=version, changes=changes
        )
        line = f"Submission {sub.id}: {sub.state} (version {sub.version})"
    console.print(line, highlight=False)


VERSION = typer.Option(None, "--version", help="The version you reviewed; refused if it changed since")
SUBMISSION = typer.Argument(..., help="Submission id (listed by 'nigran reporting queue')")


@app.command("queue")
def queue(
    framework: str | None = typer.Option(None, "--framework", "-f", help="Only this framework"),
    entity: str | None = typer.Option(None, "--entity", "-e", help="Only this entity"),
) -> None:
    """List the submissions awaiting review, oldest first, with the ids to verify or return.

    Example: nigran --as reviewer reporting queue --framework NSP-2022
    """
    with session_as_user(readonly=True) as session:
        items = service.review_queue(session, framework, entity.upper() if entity else None)
    render.print_queue(items)


@app.command("verify")
def verify(submission_id: int = SUBMISSION, version: int | None = VERSION) -> None:
    """Verify a submitted value: from now on it counts in scores.

    Example: nigran --as reviewer reporting verify 42
    """
    _step("verify", submission_id, None, version)


@app.command("return")
def return_(
    submission_id: int = SUBMISSION,
    comment: str = typer.Option(..., "--comment", "-m", help="What the entity must correct"),
    version: int | None = VERSION,
) -> None:
    """Return a submission to its entity with a comment saying what to correct.

    Example: nigran --as reviewer reporting return 42 --comment "Evidence link is broken"
    """
    _step("return", submission_id, comment, version)


@app.command("resubmit")
def resubmit(
    submission_id: int = SUBMISSION,
    value: str | None = typer.Option(None, help="Corrected value"),
    status: str | None = typer.Option(None, help="Corrected milestone status"),
    evidence: str | None = typer.Option(None, help="Corrected evidence"),
    note: str | None = typer.Option(None, help="Note"),
    version: int | None = VERSION,
) -> None:
    """Resubmit a returned submission, with corrected values if given (the old ones stay in its history).

    Example: nigran --as focal-kp reporting resubmit 42 --evidence https://example.gov.pk/report.pdf
    """
    text = _value(value)
    changes = service.ValueInput("", None, status, evidence=evidence, note=note)
    _step("resubmit", submission_id, None, version, changes, text)


@app.command("send")
def send(submission_id: int = SUBMISSION, version: int | None = VERSION) -> None:
    """Submit a draft.

    Example: nigran --as focal-kp reporting send 42
    """
    _step("submit", submission_id, None, version)


@app.command("show")
def show(submission_id: int = SUBMISSION) -> None:
    """Show a submission and its full history: every state, value, actor and time.

    Example: nigran --as reviewer reporting show 42
    """
    with session_as_user(readonly=True) as session:
        sub = service.get_submission(session, submission_id)
        item = sub.indicator or sub.milestone
        title = sub.indicator.name if sub.indicator is not None else item.title  # type: ignore[union-attr]
        head = (
            f"[bold]Submission {sub.id}[/bold] ({sub.classification.name}), {sub.state}, "
            f"version {sub.version}\n"
            f"{item.code} {title}\n"  # type: ignore[union-attr]
            f"Reported by {sub.entity.code} {sub.entity.name} for cycle {sub.cycle.code}, "
            f"period {render.day(sub.period_start)} to {render.day(sub.period_end)}"
        )
        rows = render.history_rows(sub)
    console.print(head, highlight=False)
    table = new_table("#", "step", "by, when", "value / status", "evidence, comment", numeric=("#",))
    for r in rows:
        table.add_row(*r)
    console.print(table)


@app.command("due")
def due(
    framework: str | None = typer.Option(None, "--framework", "-f", help="Framework code (default: all)"),
    entity: str | None = typer.Option(None, "--entity", "-e", help="Only this entity"),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Judge deadlines as of this date (default: today)"
    ),
    late: bool = typer.Option(True, "--late/--no-late", help="Also list items that came in late"),
) -> None:
    """List overdue and late reporting per entity, with the reminder to send each.

    Example: nigran --as analyst reporting due --entity KP --as-of 2025-06-30
    """
    from nigran.monitoring.scorecards import overdue_across

    when = _day(as_of, "--as-of")
    with session_as_user(readonly=True) as session:
        items = overdue_across(
            session, framework, when, entity.upper() if entity else None, include_late=late
        )
    if not items:
        console.print("Nothing overdue.")
        return
    table = new_table("entity", "item", "state", "reminder")
    table.columns[1].min_width = max(len(i.item_code) for i in items)  # a code is never cut
    for column in table.columns:
        column.overflow = "fold"
    for i in items:
        table.add_row(
            f"{i.entity}\n{i.entity_name}",
            f"{i.item_code}\n{i.item_title}\n{i.framework} {i.cycle}",
            f"{i.state}\n{plural(i.days, 'day')}",
            i.reminder,
        )
    console.print(table)
    overdue = sum(1 for i in items if i.state != "late")
    console.print(f"{overdue} overdue, {len(items) - overdue} late", highlight=False)


score_app = typer.Typer(
    help="Score a framework for a cycle.\n\nExample: nigran score --framework NSP-2022 "
    "--cycle 2024 --by section"
)


@score_app.callback(invoke_without_command=True)
def score(
    framework: str = FW,
    cycle: str | None = typer.Option(None, "--cycle", "-c", help="2024 or 2024-Q3 (default: latest ended)"),
    by: str | None = typer.Option(None, "--by", help="section | objective | entity | province"),
    fmt: str | None = typer.Option(
        None, "--format", help="table | json | csv (default: from the output file's suffix, else table)"
    ),
    drill: str | None = typer.Option(None, "--drill", help="Show the values and submissions behind CODE"),
    as_of: str | None = typer.Option(None, "--as-of", help="Judge deadlines as of this date"),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write json or csv to this file"),
    force: bool = FORCE,
) -> None:
    """Score a framework from verified values, with the change since the previous cycle.

    Example: nigran --as analyst score --framework NSP-2022 --cycle 2024 --by entity --format csv
    """
    from nigran.monitoring.scorecards import compare_cycles

    chosen = pick_format(fmt, output, score_output.FORMATS, "table")
    when = _day(as_of, "--as-of")
    if output is not None:
        outputs.check_target(output, force=force)
    with err_console.status(f"scoring {framework}"), session_as_user(readonly=True) as session:
        comparison = compare_cycles(session, framework, cycle, as_of=when)
    if chosen == "table":
        if drill:
            render.print_drill(comparison, drill)
        else:
            render.print_score(comparison, by)
        return
    text = score_output.export(comparison, chosen, by, drill)
    if output is None:
        typer.echo(text, nl=False)
        return
    outputs.write_text(output, text, force=force)
    console.print(f"Wrote {output}", highlight=False)

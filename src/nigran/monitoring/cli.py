"""``nigran reporting …`` (cycles, templates, submissions, review, what is due) and ``nigran score``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy import select

from nigran.cli_support import console, err_console, fail, reporting_errors, session_as_user
from nigran.core.problems import InvalidInput
from nigran.monitoring import service, workflow
from nigran.monitoring.render import render_score
from nigran.policy.models import Framework

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


@contextmanager
def _errors() -> Iterator[None]:
    """The shared error reporting, plus the workflow's own refusals (exit 2: illegal, 4: conflict)."""
    with reporting_errors():
        try:
            yield
        except InvalidInput:
            raise  # printed problem by problem by reporting_errors
        except workflow.IllegalTransition as exc:
            fail(str(exc), 2)
        except workflow.Conflict as exc:
            fail(f"conflict: {exc}", 4)
        except ValueError as exc:
            fail(str(exc), 2)


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{text!r} is not a date (YYYY-MM-DD)", 2)
    return None


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
    with (
        _errors(),
        err_console.status("creating cycles and deriving obligations"),
        session_as_user() as session,
    ):
        before = {c.code for c in service.list_cycles(session, framework)}
        for code in codes or []:
            service.create_cycle(session, framework, code, _day(deadline))
        if year:
            service.ensure_cycles(session, framework, list(year))
        made = [c for c in service.list_cycles(session, framework) if c.code not in before]
        fw = session.scalar(select(Framework).where(Framework.code == framework))
        total = sum(len(service.generate_obligations(session, fw, c)) for c in made)  # type: ignore[arg-type]
        console.print(
            f"{len(made)} cycle(s) created ({', '.join(c.code for c in made)}), {total} obligation(s) derived"
        )


@cycles_app.command("list")
def cycles_list(framework: str = FW) -> None:
    """List a framework's cycles with their periods and deadlines.

    Example: nigran reporting cycles list --framework NSP-2022
    """
    with _errors(), session_as_user() as session:
        rows = [
            (c.code, c.kind, f"{c.period_start}..{c.period_end}", str(c.deadline))
            for c in service.list_cycles(session, framework)
        ]
    table = Table("cycle", "kind", "period", "deadline")
    for r in rows:
        table.add_row(*r)
    console.print(table)


@app.command("template")
def template(
    entity: str = typer.Option(..., "--entity", "-e", help="Entity code, e.g. KP"),
    cycle: str = typer.Option(..., "--cycle", "-c", help="Cycle code, e.g. 2024 or 2024-Q3"),
    framework: str = FW,
    output: Path = typer.Option(..., "--output", "-o", help="The .xlsx file to write"),
) -> None:
    """Write the entity's reporting workbook for a cycle, pre-filled with what it owes.

    Example: nigran --as focal-kp reporting template --entity KP --cycle 2024 --framework NSP-2022 -o kp.xlsx
    """
    from nigran.monitoring.excel import build_template

    with _errors(), session_as_user() as session:
        wb = build_template(session, framework, cycle, entity)
    wb.save(output)
    console.print(f"wrote {output}")


@app.command("submit")
def submit(file: Path = typer.Argument(..., help="A filled reporting workbook (.xlsx)")) -> None:
    """Check every cell of a workbook and record its values; if anything is wrong, nothing is recorded.

    Example: nigran --as focal-kp reporting submit kp-2024.xlsx
    """
    from nigran.monitoring.excel_submit import submit_workbook

    with _errors(), err_console.status(f"checking {file}"), session_as_user() as session:
        result = submit_workbook(session, file)
    console.print(
        f"{result.submitted} submitted, {result.resubmitted} resubmitted, {result.unchanged} unchanged; "
        f"submission ids: {', '.join(map(str, result.submission_ids)) or '-'}"
    )


@app.command("submit-value")
def submit_value(
    item: str = typer.Option(..., "--item", "-i", help="Indicator or milestone code"),
    framework: str = FW,
    cycle: str = typer.Option(..., "--cycle", "-c", help="Cycle code"),
    value: float | None = typer.Option(None, help="The indicator's value, in its unit"),
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
    with _errors(), session_as_user() as session:
        cyc = service.get_cycle(session, framework, cycle)
        data = service.ValueInput(item, value, status, _day(period_start), _day(period_end), evidence, note)
        sub = service.submit(session, cyc, entity, data, draft=draft)
        console.print(f"submission {sub.id}: {sub.state} (version {sub.version})")


def _step(
    action: str,
    submission_id: int,
    comment: str | None,
    version: int | None,
    changes: service.ValueInput | None = None,
) -> None:
    with _errors(), session_as_user() as session:
        sub = service.transition(
            session, submission_id, action, comment=comment, expected_version=version, changes=changes
        )
        console.print(f"submission {sub.id}: {sub.state} (version {sub.version})")


VERSION = typer.Option(None, "--version", help="The version you reviewed; refused if it changed since")


@app.command("verify")
def verify(submission_id: int = typer.Argument(...), version: int | None = VERSION) -> None:
    """Verify a submitted value: from now on it counts in scores.

    Example: nigran --as reviewer reporting verify 42
    """
    _step("verify", submission_id, None, version)


@app.command("return")
def return_(
    submission_id: int = typer.Argument(...),
    comment: str = typer.Option(..., "--comment", "-m", help="What the entity must correct"),
    version: int | None = VERSION,
) -> None:
    """Return a submission to its entity with a comment saying what to correct.

    Example: nigran --as reviewer reporting return 42 --comment "Evidence link is broken"
    """
    _step("return", submission_id, comment, version)


@app.command("resubmit")
def resubmit(
    submission_id: int = typer.Argument(...),
    value: float | None = typer.Option(None, help="Corrected value"),
    status: str | None = typer.Option(None, help="Corrected milestone status"),
    evidence: str | None = typer.Option(None, help="Corrected evidence"),
    note: str | None = typer.Option(None, help="Note"),
    version: int | None = VERSION,
) -> None:
    """Resubmit a returned submission, with corrected values if given (the old ones stay in its history).

    Example: nigran --as focal-kp reporting resubmit 42 --evidence https://example.gov.pk/report.pdf
    """
    _step(
        "resubmit",
        submission_id,
        None,
        version,
        service.ValueInput("", value, status, evidence=evidence, note=note),
    )


@app.command("send")
def send(submission_id: int = typer.Argument(...), version: int | None = VERSION) -> None:
    """Submit a draft.

    Example: nigran --as focal-kp reporting send 42
    """
    _step("submit", submission_id, None, version)


@app.command("show")
def show(submission_id: int = typer.Argument(...)) -> None:
    """Show a submission and its full history: every state, value, actor and time.

    Example: nigran --as reviewer reporting show 42
    """
    with _errors(), session_as_user() as session:
        sub = service.get_submission(session, submission_id)
        item = sub.indicator or sub.milestone
        console.print(
            f"submission {sub.id} ({sub.classification.name}) — {item.code} by {sub.entity.code}, "  # type: ignore[union-attr]
            f"cycle {sub.cycle.code}, period {sub.period_start}..{sub.period_end}: {sub.state}, "
            f"version {sub.version}"
        )
        table = Table("#", "action", "from", "to", "actor", "at", "value/status", "evidence", "comment")
        for e in sub.events:
            table.add_row(
                str(e.seq),
                e.action,
                e.from_state or "",
                e.to_state,
                e.actor,
                e.at.strftime("%Y-%m-%d %H:%M"),
                str(e.value if e.value is not None else e.milestone_status),
                e.evidence or "",
                e.comment or "",
            )
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
    from nigran.monitoring.scorecards import overdue_items

    with _errors(), session_as_user() as session:
        codes = [framework] if framework else list(session.scalars(select(Framework.code)))
        items = [
            (fw, i)
            for fw in codes
            for i in overdue_items(session, fw, _day(as_of), entity, include_late=late)
        ]
    if not items:
        console.print("nothing overdue")
        return
    table = Table("entity", "framework", "cycle", "item", "state", "days", "reminder")
    for fw, i in items:
        table.add_row(i.entity, fw, i.cycle, i.item_code, i.state, str(i.days), i.reminder)
    console.print(table)
    overdue = sum(1 for _, i in items if i.state != "late")
    console.print(f"{overdue} overdue, {len(items) - overdue} late")


score_app = typer.Typer(
    help="Score a framework for a cycle.\n\nExample: nigran score --framework NSP-2022 "
    "--cycle 2024 --by section"
)


@score_app.callback(invoke_without_command=True)
def score(
    framework: str = FW,
    cycle: str | None = typer.Option(None, "--cycle", "-c", help="2024 or 2024-Q3 (default: latest ended)"),
    by: str | None = typer.Option(None, "--by", help="section | objective | entity | province"),
    fmt: str = typer.Option("table", "--format", help="table | json | csv"),
    drill: str | None = typer.Option(None, "--drill", help="Show the values and submissions behind CODE"),
    as_of: str | None = typer.Option(None, "--as-of", help="Judge deadlines as of this date"),
) -> None:
    """Score a framework from verified values, with the change since the previous cycle.

    Example: nigran --as analyst score --framework NSP-2022 --cycle 2024 --by entity --format csv
    """
    from nigran.monitoring.scorecards import compare_cycles

    if fmt not in ("table", "json", "csv"):
        fail(f"unknown format {fmt!r} (table, json or csv)", 2)
    with _errors(), err_console.status(f"scoring {framework}"), session_as_user() as session:
        comparison = compare_cycles(session, framework, cycle, as_of=_day(as_of))
    render_score(comparison, by, fmt, drill)

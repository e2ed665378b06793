"""``nigran jobs …`` (operators look at background jobs) and ``nigran worker`` (a consumer process)."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from nigran.cli_support import FORCE_HELP, STATE, console, new_table, pick_format, session_as_user
from nigran.core import jsonout
from nigran.core.outputs import check_target, write_bytes
from nigran.jobs import service

app = typer.Typer(
    help="Background jobs: imports, exports and reports that run in a queue.\n\n"
    "Example: nigran --as admin jobs list --state failed",
    no_args_is_help=True,
)


@app.command("list")
def list_(
    state: str | None = typer.Option(None, help="queued | running | succeeded | failed"),
    kind: str | None = typer.Option(None, help="The kind of job, e.g. incidents.import"),
    limit: int = typer.Option(50, min=1, max=500, help="How many, newest first"),
    fmt: str | None = typer.Option(None, "--format", help="table | json"),
) -> None:
    """List the acting user's jobs (an administrator's: everyone's).

    Example: nigran --as admin jobs list --state running
    """
    chosen = pick_format(fmt, None, ("table", "json"), "table")
    with session_as_user(readonly=True) as session:
        page = service.list_jobs(session, state=state, kind=kind, per_page=limit)
        views = [service.view(session, job) for job in page.items]
    if chosen == "json":
        typer.echo(jsonout.dumps({"items": [v.as_dict() for v in views], "total": page.total}))
        return
    table = new_table(
        "id", "kind", "state", "progress", "by", "created", "message", numeric=("id", "progress")
    )
    for v in views:
        created = v.created_at.strftime("%Y-%m-%d %H:%M") if v.created_at else ""
        table.add_row(str(v.id), v.kind, v.state, f"{v.progress}%", v.submitted_by, created, v.message)
    console.print(table)
    console.print(f"{len(views)} of {page.total} job{'' if page.total == 1 else 's'}")


@app.command("show")
def show(
    job_id: int = typer.Argument(..., help="The job's number"),
    fmt: str | None = typer.Option(None, "--format", help="text | json"),
) -> None:
    """Show one job: state, progress, problems, result.

    Example: nigran --as analyst jobs show 12
    """
    chosen = pick_format(fmt, None, ("text", "json"), "text")
    with session_as_user(readonly=True) as session:
        v = service.view(session, service.get(session, job_id))
    if chosen == "json":
        typer.echo(jsonout.dumps(v.as_dict()))
        return
    console.print(
        f"job {v.id}: {v.kind} ({v.classification}), {v.state}, {v.progress}% — {v.message}", highlight=False
    )
    console.print(f"submitted by {v.submitted_by}; attempts {v.attempts}", highlight=False)
    for key, value in sorted(v.params.items()):
        console.print(f"  {key}: {value}", highlight=False)
    if v.error:
        console.print(f"error: {v.error}", highlight=False)
    for p in v.problems:
        where = f"{p.get('file') or 'input'}:{p['line']}" if p.get("line") else (p.get("file") or "input")
        console.print(f"  {where}: {p.get('message')}", highlight=False)
    if v.output:
        console.print(f"result: {v.output['name']} ({v.output['size']} bytes)", highlight=False)


@app.command("result")
def result(
    job_id: int = typer.Argument(..., help="The job's number"),
    output: Path = typer.Option(..., "-o", "--output", help="Where to write the job's result file"),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
) -> None:
    """Write a finished job's result file.

    Example: nigran --as analyst jobs result 12 -o incidents.csv
    """
    check_target(output, force=force)
    with session_as_user(readonly=True) as session:
        found = service.artifact(session, job_id)
        content, name = found.content, found.name
    write_bytes(output, content, force=force)
    console.print(f"wrote {name} to {output} ({len(content)} bytes)", highlight=False)


def worker(
    workers: int = typer.Option(2, "--workers", min=1, max=64, help="Jobs run at once in this process"),
) -> None:
    """Run background jobs from the shared queue (NIGRAN_QUEUE_URL=redis://…) until stopped.

    Start as many as you like, on any machine that reaches the database and the queue.
    Example: NIGRAN_QUEUE_URL=redis://queue:6379/0 nigran worker --workers 4
    """
    from nigran.jobs.runtime import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    db = STATE.db
    console.print(f"worker: {workers} thread(s) on {_queue_name()}", highlight=False)
    run_worker(STATE.settings, db, workers=workers)


def _queue_name() -> str:
    from nigran.jobs.queue import queue_file

    settings = STATE.settings
    if settings.queue_url:
        return "the Redis queue"
    return str(queue_file(settings))

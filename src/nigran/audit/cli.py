"""``nigran audit …``: a thin adapter over :mod:`nigran.audit.service` (the rules live there)."""

from __future__ import annotations

import io
from pathlib import Path

import typer
from rich import box
from rich.table import Table

from nigran.access.principal import Principal
from nigran.audit import service
from nigran.cli_support import STATE, console, pick_format, principal, session_as_user
from nigran.core.cells import csv_writer
from nigran.core.jsonout import dumps
from nigran.core.outputs import check_target, write_text

app = typer.Typer(
    help="The tamper-evident audit trail.\n\nExample: nigran audit verify", no_args_is_help=True
)

FORMATS = ("table", "json", "csv")


@app.command("verify")
def verify(
    head: Path | None = typer.Option(
        None, "--head", help="Also check the chain still holds this recorded head (nigran audit head)"
    ),
) -> None:
    """Recompute the hash chain; exit 0 if intact, 1 if not. Counts and the head hash are shown only to
    audit readers cleared for every entry (e.g. a SECRET administrator). With --head, the chain must also
    still hold the recorded head entry with its hash: cutting off the newest entries is then detected.

    Example: nigran --as admin audit verify --head head-2026.json
    """
    if head is not None:
        from nigran.ops.cli import verify_against_head

        verify_against_head(head)
        return
    with STATE.db.session(Principal.system(), readonly=True) as session:
        status = service.chain_status(session.connection(), principal(session))
    if status.ok:
        if status.detailed:
            n = status.entries or 0
            console.print(f"audit trail intact: {n} entr{'y' if n == 1 else 'ies'}")
            console.print(f"head: {status.head}")
        else:
            console.print("audit trail intact")
        return
    if status.detailed:
        typer.echo(f"audit trail BROKEN at entry {status.broken_seq}: {status.reason}", err=True)
    else:
        typer.echo("audit trail BROKEN: an entry was changed, removed or re-linked", err=True)
    raise typer.Exit(1)


@app.command("head")
def head(
    fmt: str | None = typer.Option(None, "--format", help="text | json (a file: json)"),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the head (JSON) to this file"),
    force: bool = typer.Option(False, "--force", help="Replace the output file if it exists"),
) -> None:
    """The chain's head (newest entry, its hash and time, the number of entries), to record elsewhere
    (a SECRET administrator or reviewer): nigran audit verify --head FILE checks it later.

    Example: nigran --as admin audit head --output head-2026.json
    """
    from nigran.ops.cli import print_head

    print_head(fmt, output, force)


@app.command("log")
def log(
    limit: int = typer.Option(20, "--limit", "-n", help="How many of the latest entries (1-10000)"),
    table_name: str | None = typer.Option(None, "--table", help="Only entries of this table"),
    fmt: str | None = typer.Option(
        None, "--format", help="table | json | csv (default: from the -o suffix, else table)"
    ),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file"),
    force: bool = typer.Option(False, "--force", help="Replace the output file if it exists"),
) -> None:
    """Show the latest audit entries you may see (administrators and reviewers).

    Example: nigran --as admin audit log --table indicator --limit 5
    """
    chosen = pick_format(fmt, output, FORMATS, "table")
    if output is not None:
        check_target(output, force=force)
    with session_as_user(readonly=True) as session:
        rows = service.read_log(session, limit=limit, table_name=table_name)
    if chosen == "table":
        _print_table(rows)
        return
    text = dumps([r.as_dict() for r in rows], indent=2) if chosen == "json" else _csv(rows)
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    write_text(output, text, force=force)
    console.print(f"wrote {len(rows)} entr{'y' if len(rows) == 1 else 'ies'} to {output}")


def _print_table(rows: list[service.AuditRow]) -> None:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for name in ("seq", "at (UTC)", "actor", "action", "table", "record"):
        table.add_column(name, justify="right" if name in ("seq", "record") else "left", overflow="fold")
    for r in rows:
        table.add_row(str(r.seq), r.at.strftime("%Y-%m-%d %H:%M"), r.actor, r.action, r.table, r.record)
    console.print(table)
    n = len(rows)
    console.print(
        f"{n} entr{'y' if n == 1 else 'ies'} (newest first; entries above your clearance are left out)"
    )


def _csv(rows: list[service.AuditRow]) -> str:
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow(
        ["seq", "at", "actor", "action", "table", "record", "classification", "before", "after", "note"]
    )
    for r in rows:
        writer.writerow(
            [
                r.seq,
                r.at.isoformat(),
                r.actor,
                r.action,
                r.table,
                r.record,
                r.level.name,
                "" if r.before is None else dumps(r.before, indent=None),
                "" if r.after is None else dumps(r.after, indent=None),
                r.note or "",
            ]
        )
    return buffer.getvalue()

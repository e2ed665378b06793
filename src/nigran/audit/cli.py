"""``nigran audit …``: verify the hash chain and read the trail."""

from __future__ import annotations

import json

import typer
from rich.table import Table
from sqlalchemy import select

from nigran.access.principal import Principal, Role
from nigran.audit.models import AuditEntry
from nigran.audit.verify import verify_chain
from nigran.cli_support import STATE, console, fail, principal, reporting_errors, session_as_user

app = typer.Typer(
    help="The tamper-evident audit trail.\n\nExample: nigran audit verify", no_args_is_help=True
)


@app.command("verify")
def verify() -> None:
    """Recompute the hash chain; exit 0 if intact, 1 naming the first broken entry.

    Example: nigran audit verify
    """
    with STATE.db.session(Principal.system()) as session:
        result = verify_chain(session.connection())
    if result.ok:
        console.print(f"audit trail intact: {result.entries} entries, head {result.head}")
        return
    typer.echo(f"audit trail BROKEN at entry {result.broken_seq}: {result.reason}", err=True)
    raise typer.Exit(1)


@app.command("log")
def log(
    limit: int = typer.Option(20, help="How many of the latest entries"),
    table_name: str | None = typer.Option(None, "--table", help="Only this table"),
    fmt: str = typer.Option("table", "--format", help="table | json"),
) -> None:
    """Show the latest audit entries you may see (administrators and reviewers).

    Example: nigran --as admin audit log --table indicator --limit 5
    """
    with reporting_errors(), session_as_user() as session:
        who = principal(session)
        if who.role not in (Role.ADMINISTRATOR, Role.REVIEWER):
            fail("only administrators and reviewers may read the audit trail", 3)
        query = select(AuditEntry)
        if table_name:
            query = query.where(AuditEntry.table_name == table_name)
        entries = list(session.scalars(query.order_by(AuditEntry.seq.desc()).limit(limit)))
        rows = [
            {
                "seq": e.seq,
                "at": e.at.isoformat(),
                "actor": e.actor,
                "action": e.action,
                "table": e.table_name,
                "record": e.record_id,
                "before": e.before,
                "after": e.after,
            }
            for e in entries
        ]
    if fmt == "json":
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = Table("seq", "at", "actor", "action", "table", "record")
    for r in rows:
        table.add_row(str(r["seq"]), r["at"][:19], r["actor"], r["action"], r["table"], r["record"])
    console.print(table)

"""Top-level ``nigran backup`` and ``nigran restore``: thin adapters over :mod:`nigran.ops.backup` and
:mod:`nigran.ops.restore` (see docs/operations.md)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from nigran.access.errors import AccessDenied
from nigran.access.principal import Principal
from nigran.audit.service import may_see_chain_details
from nigran.cli_support import FORCE_HELP, STATE, console, pick_format, principal, read_input
from nigran.core.jsonout import dumps
from nigran.core.outputs import check_target, write_text
from nigran.core.problems import InvalidInput, Problem
from nigran.ops.audit_head import AuditHead, check_against, read_head
from nigran.ops.backup import default_name, require_backup_right, take_backup
from nigran.ops.restore import restore as restore_backup


@contextmanager
def steps(title: str) -> Iterator[object]:
    """A spinner naming the current step (a backup of a large database takes minutes)."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(title, total=None)

        def step(text: str) -> None:
            progress.update(task, description=text)

        yield step


def backup(
    output: Path | None = typer.Option(
        None, "--output", "-o", help="The backup file (default: nigran-backup-<UTC time>.tar here)"
    ),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP),
) -> None:
    """Back up the whole database while it is in use, with a manifest (administrators cleared SECRET).

    SQLite is copied with its online backup API, PostgreSQL with pg_dump (custom format); the manifest holds
    the schema revision, every table's row count and the audit chain's head, read at the same instant.

    Example: nigran --as admin backup --output /srv/backups/nigran-2026-06-30.tar
    """
    db = STATE.db
    with db.session(Principal.system(), readonly=True) as lookup:
        require_backup_right(lookup, principal(lookup))
    target = output or default_name()
    with steps("backing up") as step:
        manifest = take_backup(db, target, force=force, step=step)  # type: ignore[arg-type]
    rows = sum(manifest.counts.values())
    head = manifest.audit_head
    console.print(
        f"backed up {len(manifest.counts)} tables, {rows} rows ({manifest.backend}, schema "
        f"{', '.join(manifest.revisions) or 'none'}) to {target}"
    )
    console.print(f"audit head: entry {head.seq if head.seq is not None else '—'}")
    if head.hash:
        console.print(f"  hash {head.hash}")
    if not manifest.audit_verified:
        console.print("[yellow]warning:[/yellow] the audit chain does not verify in this backup")


def restore(
    backup_file: Path = typer.Argument(..., help="A file written by nigran backup"),
    target: str | None = typer.Option(
        None,
        "--db",
        help="The database to restore into: a new SQLite file or an empty PostgreSQL database "
        "(also accepted before the command: nigran --db TARGET restore FILE)",
    ),
    force: bool = typer.Option(
        False, "--force", help="Replace what the target database holds (everything in it is lost)"
    ),
) -> None:
    """Restore a backup into a new, empty database and verify its row counts and audit chain.

    A backup whose payload does not match its manifest, from another backend, or from a newer Nigran is
    refused before anything is written.

    Example: nigran restore nigran-backup-20260630T020000Z.tar --db /srv/nigran/restored.db
    """
    if not backup_file.is_file():
        problem = "is a folder, not a backup file" if backup_file.is_dir() else "file not found"
        raise InvalidInput([Problem(0, problem, str(backup_file))])
    into = target or STATE.db_url
    if not into:
        raise InvalidInput([Problem(0, "say which database to restore into (a new one)", "--db")])
    with steps("restoring") as step:
        report = restore_backup(backup_file, into, force=force, step=step)  # type: ignore[arg-type]
    head = report.head
    console.print(f"restored {report.tables} tables, {report.rows} rows; counts match the manifest")
    console.print(f"into {report.target}", soft_wrap=True)
    console.print(
        f"audit trail intact, head entry {head.seq if head.seq is not None else '—'} as in the backup"
    )
    if report.needs_upgrade:
        console.print("the schema is older than this Nigran's: run `nigran db upgrade` on it next")


def register(root: typer.Typer) -> None:
    root.command("backup")(backup)
    root.command("restore")(restore)


def _require_chain_reader(who: Principal) -> None:
    if not may_see_chain_details(who):
        raise AccessDenied(
            "the audit head (its count and hash) is shown only to administrators and reviewers cleared for "
            f"every entry ({who.username} is {who.role.value}, cleared {who.clearance.name})"
        )


def print_head(fmt: str | None, output: Path | None, force: bool) -> None:
    """``nigran audit head``: print or write the chain's head (JSON for files)."""
    chosen = pick_format(fmt, output, ("text", "json"), "text")
    if output is not None:
        check_target(output, force=force)
    with STATE.db.session(Principal.system(), readonly=True) as session:
        _require_chain_reader(principal(session))
        head = read_head(session.connection())
    if chosen == "json":
        text = dumps(head.as_dict(), indent=2) + "\n"
        if output is None:
            typer.echo(text, nl=False)
            return
        write_text(output, text, force=force)
        console.print(f"wrote the audit head (entry {head.seq if head.seq is not None else '—'}) to {output}")
        return
    if head.seq is None:
        console.print("the audit trail is empty")
        return
    at = head.at.strftime("%Y-%m-%d %H:%M:%S UTC") if head.at else "—"
    console.print(f"entry {head.seq} of {head.count}, written {at}")
    console.print(f"hash {head.hash}")


def verify_against_head(path: Path) -> None:
    """``nigran audit verify --head FILE``: the chain verifies and still holds the recorded head."""
    import json

    raw = read_input(path)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput([Problem(0, f"not JSON ({exc})", str(path))]) from None
    if isinstance(data, dict) and isinstance(data.get("audit_head"), dict):
        data = data["audit_head"]  # a backup's manifest.json holds one too
    recorded = AuditHead.from_dict(data, str(path))
    with STATE.db.session(Principal.system(), readonly=True) as session:
        _require_chain_reader(principal(session))
        result = check_against(session.connection(), recorded)
    if result.ok:
        console.print(
            f"audit trail intact and holds the recorded head (entry {recorded.seq if recorded.seq else '—'})"
        )
        return
    typer.echo(f"audit trail BROKEN against the recorded head: {result.reason}", err=True)
    raise typer.Exit(1)

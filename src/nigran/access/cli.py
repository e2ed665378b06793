"""``nigran user …``: a thin adapter over :mod:`nigran.access.service` (the rules live there)."""

from __future__ import annotations

import typer
from rich import box
from rich.table import Table

from nigran.access import service
from nigran.access.principal import Principal
from nigran.cli_support import STATE, console, principal, session_as_user

app = typer.Typer(
    help="Users, roles and clearances.\n\n"
    "Example: nigran --as admin user add ana --role analyst --clearance RESTRICTED",
    no_args_is_help=True,
)


@app.command("add")
def add(
    username: str,
    role: str = typer.Option(..., help="public_reader | analyst | focal_person | reviewer | administrator"),
    clearance: str = typer.Option("PUBLIC", help="PUBLIC | RESTRICTED | SECRET"),
    entity: str | None = typer.Option(None, help="Entity code a focal person reports for"),
    name: str = typer.Option("", help="Display name"),
) -> None:
    """Create a user. The first one, an administrator, needs no --as; later ones need an administrator.

    Example: nigran user add admin --role administrator --clearance SECRET
    """
    with STATE.db.session(Principal.system(), readonly=True) as lookup:
        writer, bootstrap = service.user_writer(lookup, principal(lookup))
    with STATE.db.session(writer) as session:
        user = service.add_user(
            session,
            username,
            role=role,
            clearance=clearance,
            entity_code=entity,
            display_name=name,
            bootstrap=bootstrap,
        )
        summary = f"created user {user.username} ({user.role}, {user.clearance.name})"
    console.print(summary + (" as the first administrator" if bootstrap else ""))


@app.command("list")
def list_() -> None:
    """List users (administrators only).

    Example: nigran --as admin user list
    """
    with session_as_user(readonly=True) as session:
        users = service.list_users(session)
        codes = service.entity_codes(session, users)
        rows = [
            (u.username, u.role, u.clearance.name, codes.get(u.entity_id or 0, ""), _yes(u.active))
            for u in users
        ]
    table = Table("user", "role", "clearance", "entity", "active", box=box.SIMPLE_HEAD, pad_edge=False)
    for row in rows:
        table.add_row(*row)
    console.print(table)
    console.print(f"{len(rows)} user{'' if len(rows) == 1 else 's'}")


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"

"""``nigran user …``: the system's users, their roles, clearances and entities."""

from __future__ import annotations

import typer
from rich.table import Table

from nigran.access import service
from nigran.access.classification import Classification
from nigran.access.principal import Principal, Role
from nigran.cli_support import STATE, console, fail, reporting_errors, session_as_user

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
    """Create a user. The first one needs no --as (bootstrap); later ones need an administrator.

    Example: nigran user add admin --role administrator --clearance SECRET
    """
    try:
        parsed_role, level = Role.parse(role), Classification.parse(clearance)
    except ValueError as exc:
        fail(str(exc))
    with STATE.db.session(Principal.system()) as probe:
        bootstrap = service.user_count(probe) == 0
    # The first account is created by the system (bootstrap); later ones by an acting administrator.
    opened = STATE.db.session(Principal.system()) if bootstrap else session_as_user()
    try:
        with reporting_errors(), opened as session:
            service.add_user(
                session, username, role=parsed_role, clearance=level, entity_code=entity, display_name=name
            )
    except ValueError as exc:
        fail(str(exc))
    console.print(f"created user {username} ({parsed_role.value}, {level.name})")


@app.command("list")
def list_() -> None:
    """List users (administrators only).

    Example: nigran --as admin user list
    """
    with reporting_errors(), session_as_user() as session:
        from nigran.cli_support import principal

        if principal(session).role is not Role.ADMINISTRATOR:
            fail("only administrators may list users", 3)
        users = service.list_users(session)
        table = Table("username", "role", "clearance", "entity", "active")
        for u in users:
            table.add_row(u.username, u.role, u.clearance.name, str(u.entity_id or ""), str(u.active))
    console.print(table)

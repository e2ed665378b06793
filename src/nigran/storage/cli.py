"""``nigran db …``: create, upgrade and seed the database (administrative: see docs/access.md)."""

from __future__ import annotations

import typer

from nigran.access.principal import Principal
from nigran.access.service import require_database_administrator
from nigran.cli_support import STATE, console, principal
from nigran.storage.db import Database
from nigran.storage.migrate import current

app = typer.Typer(
    help="Database schema and reference data.\n\nExample: nigran db upgrade", no_args_is_help=True
)


def require_admin_of_existing(db: Database, doing: str) -> bool:
    """For a database that already has a schema, refuse anyone but an administrator once it has users.
    Returns whether the database is new (no schema yet), which anyone may create."""
    if not current(db):
        return True
    with db.session(Principal.system(), readonly=True) as lookup:
        require_database_administrator(lookup, principal(lookup), doing)
    return False


def _seed(db: Database) -> tuple[int, int]:
    from nigran.reference import load_admin_units, load_entities

    with db.session(Principal.system()) as session:
        return load_admin_units(session), load_entities(session)


def _loaded(units: int, entities: int) -> str:
    return (
        f"{units} administrative unit{'' if units == 1 else 's'} and "
        f"{entities} entit{'y' if entities == 1 else 'ies'} in place"
    )


@app.command("upgrade")
def upgrade() -> None:
    """Create the database or bring it to the latest schema (SQLite file here, or NIGRAN_DATABASE_URL).

    A new database also gets the bundled entities and administrative units. Upgrading a database that
    has users needs --as an administrator.

    Example: NIGRAN_DATABASE_URL=postgresql://nigran:nigran@127.0.0.1/nigran nigran db upgrade
    """
    db = STATE.create_db()
    new = require_admin_of_existing(db, "upgrade the database")
    db.upgrade()
    console.print(f"database {'created' if new else 'at the latest schema'} ({db.dialect})")
    if new:
        console.print(_loaded(*_seed(db)))


@app.command("seed")
def seed() -> None:
    """Load the bundled entities and administrative units (idempotent: re-running changes nothing).

    On a database that has users this needs --as an administrator.

    Example: nigran --as admin db seed
    """
    db = STATE.create_db()
    require_admin_of_existing(db, "load reference data")
    db.upgrade()
    console.print(_loaded(*_seed(db)))

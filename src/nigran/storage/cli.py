"""``nigran db …``: create, upgrade and seed the database (administrative: see docs/access.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from nigran.access.principal import Principal
from nigran.access.service import require_database_administrator
from nigran.cli_support import FORCE_HELP, STATE, console, principal
from nigran.core.errors import IllegalTransition
from nigran.storage.db import Database
from nigran.storage.migrate import current, heads

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
def upgrade(
    no_backup: bool = typer.Option(
        False, "--no-backup", help="Upgrade without taking a backup first (you have one already)"
    ),
    backup_to: Path | None = typer.Option(
        None, "--backup-to", help="Where to write that backup (default: nigran-backup-<UTC time>.tar here)"
    ),
    force: bool = typer.Option(False, "--force", help=FORCE_HELP + " (the backup file)"),
) -> None:
    """Create the database or bring it to the latest schema (SQLite file here, or NIGRAN_DATABASE_URL).

    A new database also gets the bundled entities and administrative units. Upgrading a database that
    has users needs --as an administrator, and takes a backup first (nigran backup) unless --no-backup.
    Downgrades are not supported: restore the backup taken before the upgrade.

    Example: NIGRAN_DATABASE_URL=postgresql://nigran:nigran@127.0.0.1/nigran nigran db upgrade
    """
    db = STATE.create_db()
    new = require_admin_of_existing(db, "upgrade the database")
    if not new and not no_backup and current(db) != heads(db):
        _backup_first(db, backup_to, force)
    db.upgrade()
    console.print(f"database {'created' if new else 'at the latest schema'} ({db.dialect})")
    if new:
        console.print(_loaded(*_seed(db)))


def _backup_first(db: Database, backup_to: Path | None, force: bool) -> None:
    from nigran.ops.backup import default_name, require_backup_right, take_backup

    with db.session(Principal.system(), readonly=True) as lookup:
        require_backup_right(lookup, principal(lookup))
    target = backup_to or default_name()
    with console.status("backing up before the upgrade"):
        manifest = take_backup(db, target, force=force)
    console.print(f"backed up {sum(manifest.counts.values())} rows before upgrading, to:")
    console.print(str(target), soft_wrap=True, highlight=False)


@app.command("downgrade")
def downgrade(
    revision: str = typer.Argument("-1", help="The schema revision to go back to"),
) -> None:
    """Refused: Nigran's migrations only go forward. To go back, restore the backup that `nigran db
    upgrade` took before upgrading (nigran restore FILE --db NEW) and run the older Nigran on it.

    Example: nigran --as admin db downgrade 0011_news
    """
    _ = STATE.db  # a missing database is said first, as by every command
    raise IllegalTransition(
        f"downgrading the schema (to {revision}) is not supported: restore the backup taken before the "
        "upgrade (nigran restore FILE --db NEW) and run the Nigran version that wrote it"
    )


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

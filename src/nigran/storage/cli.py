"""``nigran db …``: create, upgrade and inspect the database."""

from __future__ import annotations

import typer

from nigran.access.principal import Principal
from nigran.cli_support import STATE, console

app = typer.Typer(
    help="Database schema and reference data.\n\nExample: nigran db upgrade", no_args_is_help=True
)


@app.command("upgrade")
def upgrade() -> None:
    """Create the database or bring it to the latest schema (SQLite file here, or NIGRAN_DATABASE_URL).

    Example: NIGRAN_DATABASE_URL=postgresql://nigran:nigran@127.0.0.1/nigran nigran db upgrade
    """
    STATE.create_db().upgrade()
    console.print(f"database at the latest schema ({STATE.db.dialect})")


@app.command("seed")
def seed() -> None:
    """Load the bundled entities and administrative units (idempotent: re-running changes nothing).

    Example: nigran db seed
    """
    from nigran.reference import load_admin_units, load_entities

    STATE.create_db().upgrade()
    with STATE.db.session(Principal.system()) as session:
        n_units = load_admin_units(session)
        n_entities = load_entities(session)
    console.print(f"{n_units} administrative units and {n_entities} entities in place")

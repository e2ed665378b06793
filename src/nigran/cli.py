"""The ``nigran`` command: a thin shell over the services of each domain."""

from __future__ import annotations

import typer

from nigran import __version__
from nigran.access.cli import app as user_app
from nigran.audit.cli import app as audit_app
from nigran.cli_support import STATE
from nigran.demo import demo, overview
from nigran.geo.cli import app as geo_app
from nigran.incidents.cli import app as incidents_app
from nigran.monitoring import cli as monitoring_cli
from nigran.policy.cli import app as framework_app
from nigran.policy.indicators_cli import app as indicators_app
from nigran.reports.cli import app as report_app
from nigran.storage.cli import app as db_app

app = typer.Typer(
    help="Nigran keeps watch over the implementation of Pakistan's national-security policy frameworks.\n\n"
    "Example: nigran demo",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"nigran {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    db: str | None = typer.Option(
        None, "--db", help="Database URL or SQLite file (default: NIGRAN_DATABASE_URL, else ./nigran.db)"
    ),
    as_user: str | None = typer.Option(
        None, "--as", envvar="NIGRAN_USER", help="Act as this user (default: the public reader)"
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version"
    ),
) -> None:
    """Global options. Example: nigran --as analyst framework list"""
    STATE.db_url, STATE.username, STATE._db = db, as_user, None


app.add_typer(db_app, name="db")
app.add_typer(framework_app, name="framework")
app.add_typer(indicators_app, name="indicators")
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")
app.add_typer(geo_app, name="geo")
app.add_typer(incidents_app, name="incidents")
app.add_typer(report_app, name="report")
app.add_typer(monitoring_cli.app, name="reporting")
app.add_typer(monitoring_cli.score_app, name="score")
app.command("demo")(demo)
app.command("overview")(overview)


def main() -> None:
    app()

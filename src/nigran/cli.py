"""The ``nigran`` command: a thin shell over the services of each domain."""

from __future__ import annotations

import os
import traceback

import typer
from sqlalchemy.exc import DBAPIError
from typer.core import TyperGroup

from nigran import __version__
from nigran.access.cli import app as user_app
from nigran.audit.cli import app as audit_app
from nigran.cli_support import STATE, err_console, report_error
from nigran.core.errors import NigranError
from nigran.core.modules import optional_import
from nigran.demo import demo, overview
from nigran.geo.cli import app as geo_app
from nigran.incidents.cli import app as incidents_app
from nigran.jobs.cli import app as jobs_app
from nigran.jobs.cli import worker
from nigran.monitoring import cli as monitoring_cli
from nigran.policy.cli import app as framework_app
from nigran.policy.indicators_cli import app as indicators_app
from nigran.reports.cli import app as report_app
from nigran.storage.cli import app as db_app
from nigran.storage.errors import first_line, translate_error
from nigran.web.cli import serve


class NigranGroup(TyperGroup):
    """The root command: every error that escapes a command ends here as one clear line, never a traceback.

    Domain errors print their message with their exit code (``nigran.core.errors``); database errors a
    person can act on are translated first; anything else is a defect, reported as such in one line (the
    traceback only with ``NIGRAN_DEBUG=1``). Being the group's ``invoke``, this also holds under Click's test
    runner, so the hostile-input test sees exactly what a user sees.
    """

    def invoke(self, ctx: typer.Context) -> object:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException, SystemExit):
            raise
        except NigranError as exc:
            raise report_error(exc) from None
        except DBAPIError as exc:
            translated = translate_error(exc, STATE.settings.database_url)
            if translated is None:
                raise _internal(exc) from None
            raise report_error(translated) from None
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError) as exc:
            # A path the user gave that cannot be read or written: their mistake, not a defect.
            where = exc.filename or "file"
            err_console.print(f"[red]error:[/red] {where}: {exc.strerror or exc}", highlight=False)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            err_console.print("interrupted; nothing was written by the unfinished step", highlight=False)
            raise typer.Exit(130) from None
        except MemoryError:
            err_console.print("[red]error:[/red] out of memory; nothing was written", highlight=False)
            raise typer.Exit(70) from None
        except Exception as exc:
            raise _internal(exc) from None


def _internal(exc: BaseException) -> typer.Exit:
    if os.environ.get("NIGRAN_DEBUG", "") not in ("", "0"):
        traceback.print_exception(exc)
    err_console.print(
        f"[red]internal error:[/red] {type(exc).__name__}: {first_line(exc)} "
        "(nothing was committed; set NIGRAN_DEBUG=1 for details and report it)",
        highlight=False,
    )
    return typer.Exit(70)


app = typer.Typer(
    cls=NigranGroup,
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
app.command("serve")(serve)
app.add_typer(jobs_app, name="jobs")
app.command("worker")(worker)

#: Domains that add commands: (group name, module). A module with ``app`` is mounted as ``nigran NAME``; a
#: module with ``register(root)`` adds its own top-level commands (name ``None``).
DOMAIN_COMMANDS: tuple[tuple[str | None, str], ...] = (
    ("news", "nigran.news.cli"),
    ("extract", "nigran.extract.cli"),
    ("forecast", "nigran.risk.forecast_cli"),
    ("risk", "nigran.risk.index_cli"),
    ("alerts", "nigran.alerts.cli"),
    ("foresight", "nigran.foresight.cli"),
    (None, "nigran.ops.cli"),
)
for _name, _module_name in DOMAIN_COMMANDS:
    _module = optional_import(_module_name)
    if _module is None:
        continue
    if _name is None:
        _module.register(app)
    else:
        app.add_typer(_module.app, name=_name)


def main() -> None:
    app()

"""What every CLI command shares: the database, the acting principal, and printing problems."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import typer
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.orm import Session

from nigran.access.principal import Principal
from nigran.core.errors import AccessDenied, InvalidInput, NigranError, NoPrincipal, StorageUnavailable
from nigran.core.problems import Problem
from nigran.core.settings import Settings
from nigran.storage.db import Database

console = Console()
err_console = Console(stderr=True, soft_wrap=True)


@dataclass
class CliState:
    db_url: str | None = None
    username: str | None = None
    _db: Database | None = None

    @property
    def settings(self) -> Settings:
        return Settings.from_env(database_url=self.db_url, acting_user=self.username)

    @property
    def db(self) -> Database:
        """The existing database; a missing SQLite file is an error, and no file is created."""
        if self._db is None:
            url = self.settings.database_url
            require_existing(url)
            self._db = Database(url)
        return self._db

    def create_db(self) -> Database:
        """The database for commands that may create it (``demo``, ``db upgrade``)."""
        if self._db is None:
            self._db = Database(self.settings.database_url)
        return self._db


def require_existing(url: str) -> None:
    path = Settings(database_url=url).sqlite_path
    if path is not None and not path.exists():
        raise StorageUnavailable(
            f"no Nigran database at {path}: run `nigran demo` or `nigran db upgrade` to create one"
        )


STATE = CliState()


def principal(session: Session) -> Principal:
    """The acting user named by ``--as``/``NIGRAN_USER``; without one, the public reader."""
    from nigran.access.models import User

    name = STATE.username or os.environ.get("NIGRAN_USER")
    if not name:
        return Principal.anonymous()
    user = session.scalar(select(User).where(User.username == name))
    if user is None or not user.active:
        fail(f"no active user {name!r} (create one with 'nigran user add')")
    return user.principal()  # type: ignore[union-attr]


@contextmanager
def session_as_user(*, readonly: bool = False) -> Iterator[Session]:
    """A transaction for the acting user, whose account the system looks up first.

    Commands that only read pass ``readonly=True``: on SQLite they then take no write lock and work while
    an import is writing.
    """
    with STATE.db.session(Principal.system(), readonly=True) as lookup:
        who = principal(lookup)
    with STATE.db.session(who, readonly=readonly) as session:
        yield session


def fail(message: str, code: int = 1) -> None:
    err_console.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(code)


def print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        typer.echo(str(problem), err=True)
    typer.echo(f"{len(problems)} problem(s) found; nothing was written.", err=True)


def report_error(exc: NigranError) -> typer.Exit:
    """Print a domain error the one way the CLI does, and return the exit to raise (codes in core.errors)."""
    if isinstance(exc, InvalidInput):
        print_problems(exc.problems)
    elif isinstance(exc, AccessDenied | NoPrincipal):
        err_console.print(f"[red]error:[/red] access denied: {exc.message}", highlight=False)
    else:
        err_console.print(f"[red]error:[/red] {exc.message}", highlight=False)
    return typer.Exit(exc.exit_code)


@contextmanager
def reporting_errors() -> Iterator[None]:
    """Turn domain errors into clear messages and exit codes (the table is in ``nigran.core.errors``).

    The root command does the same for every command (:func:`nigran.cli.main`); this block remains for
    commands that want to print something after a caught error.
    """
    try:
        yield
    except NigranError as exc:
        raise report_error(exc) from None

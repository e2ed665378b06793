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
from nigran.policy.problems import InvalidInput, Problem
from nigran.storage.db import Database

console = Console()
err_console = Console(stderr=True)


@dataclass
class CliState:
    db_url: str | None = None
    username: str | None = None
    _db: Database | None = None

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = Database(self.db_url)
        return self._db


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
def session_as_user() -> Iterator[Session]:
    """A transaction for the acting user, whose account the system looks up first."""
    with STATE.db.session(Principal.system()) as lookup:
        who = principal(lookup)
    with STATE.db.session(who) as session:
        yield session


def fail(message: str, code: int = 1) -> None:
    err_console.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(code)


def print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        typer.echo(str(problem), err=True)
    typer.echo(f"{len(problems)} problem(s) found; nothing was written.", err=True)


@contextmanager
def reporting_errors() -> Iterator[None]:
    """Turn domain errors into clear messages and exit codes (2: invalid input, 3: access denied)."""
    from nigran.access.errors import AccessDenied, NoPrincipal
    from nigran.policy.service import NotFound

    try:
        yield
    except InvalidInput as exc:
        print_problems(exc.problems)
        raise typer.Exit(2) from None
    except AccessDenied as exc:
        fail(f"access denied: {exc}", 3)
    except (NotFound, NoPrincipal) as exc:
        fail(exc.args[0] if exc.args else str(exc))

"""What every CLI command shares: the database, the acting principal, and printing problems."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import typer
from rich import box
from rich.console import Console
from rich.table import Table
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
    from nigran.access.service import acting_principal

    return acting_principal(session, STATE.settings.acting_user)


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
    n = len(problems)
    typer.echo(f"{n} problem{'' if n == 1 else 's'} found; nothing was written.", err=True)


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


MAX_INPUT_BYTES = 512 * 1024 * 1024


def read_input(path: Path) -> bytes:
    """The bytes of an input file the user named, or one clear problem (missing, folder, unreadable, huge)."""
    name = str(path)
    try:
        if path.is_dir():
            raise InvalidInput([Problem(0, "is a folder, not a file", name)])
        if path.stat().st_size > MAX_INPUT_BYTES:
            raise InvalidInput([Problem(0, f"larger than {MAX_INPUT_BYTES // 2**20} MiB", name)])
        return path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput([Problem(0, "file not found", name)]) from None
    except OSError as exc:
        raise InvalidInput([Problem(0, f"cannot read: {exc.strerror or exc}", name)]) from None


FORCE_HELP = "Replace the output file if it exists"
SCREEN_FORMATS = ("table", "text")
_SUFFIX_ALIASES = {"yml": "yaml", "xlsm": "xlsx", "htm": "html", "txt": "text"}


def pick_format(given: str | None, output: Path | None, allowed: tuple[str, ...], default: str) -> str:
    """The one rule for ``--format``: as given (any case), else what the output file's suffix says, else
    ``default``. An unknown format, a clash between ``--format`` and the suffix, and a screen format
    (table, text) for a file are each a problem naming ``--format``.
    """
    suffix = output.suffix.casefold().lstrip(".") if output is not None else ""
    from_suffix = _SUFFIX_ALIASES.get(suffix, suffix) if suffix else None
    if given is not None:
        fmt = given.strip().casefold()
        if fmt not in allowed:
            raise InvalidInput(
                [Problem(0, f"unknown format {given!r} (one of {', '.join(allowed)})", "--format")]
            )
        if from_suffix in allowed and from_suffix != fmt and fmt not in SCREEN_FORMATS:
            message = f"--format {fmt}, but {output} is named like a {from_suffix} file"
            raise InvalidInput([Problem(0, message, "--format")])
    file_formats = [f for f in allowed if f not in SCREEN_FORMATS]
    if given is None and output is not None:
        if from_suffix not in file_formats:
            message = f"say which format to write to {output.name}: {' or '.join(file_formats)}"
            raise InvalidInput([Problem(0, message, "--format")])
        fmt = str(from_suffix)
    elif given is None:
        fmt = default
    if output is not None and fmt in SCREEN_FORMATS:
        message = f"a {fmt} is for the screen: write {' or '.join(file_formats)} to a file"
        raise InvalidInput([Problem(0, message, "--format")])
    return fmt


def new_table(
    *columns: str, numeric: tuple[str, ...] = (), keep: tuple[str, ...] = (), title: str | None = None
) -> Table:
    """A terminal table that fits 80 columns: light borders, text folds onto more lines (never "…"),
    numbers (``numeric``) are right-aligned; they and codes (``keep``) are never wrapped or cut."""
    table = Table(
        title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True
    )
    for name in columns:
        if name in numeric:
            table.add_column(name, justify="right", no_wrap=True, overflow="fold")
        elif name in keep:
            table.add_column(name, no_wrap=True, overflow="fold")
        else:
            table.add_column(name, overflow="fold")
    return table

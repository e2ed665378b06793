"""Engines and transactions for SQLite (embedded default) and PostgreSQL (production).

A service opens exactly one transaction with :meth:`Database.session`; on any exception nothing is written.
Every session carries the principal it acts for, and the access guard filters and checks beneath it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from nigran.access import guard
from nigran.access.principal import Principal
from nigran.audit import recorder  # noqa: F401  (registers the audit trail on GuardedSession)
from nigran.config import database_url
from nigran.core.outputs import protect
from nigran.core.settings import Settings
from nigran.storage.errors import out_of_range, translate_error


def _sqlite_pragmas(busy_timeout_s: float) -> Callable[[Any, object], None]:
    """The per-connection settings; the busy timeout is read from the settings once, per engine."""

    def on_connect(dbapi_connection: Any, connection_record: object) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        cursor.execute("PRAGMA temp_store=MEMORY")  # sorts and temporary indexes of big imports stay in RAM
        cursor.close()

    return on_connect


def _sqlite_begin(conn: Any) -> None:
    # Take the write lock at BEGIN so two writers queue instead of failing on upgrade (no lost updates).
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_begin_read(conn: Any) -> None:
    # A reader takes no lock at BEGIN: in WAL mode it reads its snapshot while an import writes.
    conn.exec_driver_sql("BEGIN")


def _sqlite_query_only(dbapi_connection: Any, connection_record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def make_engine(url: str, *, readonly: bool = False) -> Engine:
    if url.startswith("sqlite"):
        timeout = Settings.from_env().busy_timeout_s
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": timeout})
        event.listen(engine, "connect", _sqlite_pragmas(timeout))
        if readonly:
            event.listen(engine, "connect", _sqlite_query_only)

        @event.listens_for(engine, "connect")
        def _no_pysqlite_begin(dbapi_connection: Any, record: object) -> None:
            dbapi_connection.isolation_level = None

        event.listen(engine, "begin", _sqlite_begin_read if readonly else _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


class Database:
    """One database: its engine, and sessions bound to a principal."""

    def __init__(self, url: str | None = None, *, engine: Engine | None = None) -> None:
        self.url = database_url(url) if engine is None else str(engine.url)
        self.engine = engine or make_engine(self.url)
        self._factory = sessionmaker(
            self.engine, class_=guard.GuardedSession, expire_on_commit=False, autoflush=True
        )
        self._read_factory: sessionmaker[Session] | None = None
        if self.dialect == "sqlite":
            path = self.engine.url.database
            if path and path != ":memory:":
                protect(path)  # no export may ever overwrite the open database

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self, principal: Principal, *, readonly: bool = False) -> Iterator[Session]:
        """A transaction for ``principal``: committed when the block ends, rolled back on any error.

        ``readonly=True`` is for reads: on SQLite it takes no write lock (reads go on during an import)
        and the connection refuses writes; on PostgreSQL every transaction already reads without locking.
        Database errors a person can act on (busy, unreachable, not a database) become domain errors.
        """
        session = self._reader() if readonly else self._factory()
        guard.bind(session, principal)
        try:
            try:
                yield session
                if readonly:
                    session.rollback()
                else:
                    session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()
        except DBAPIError as exc:
            translated = translate_error(exc, self.url)
            if translated is None:
                raise
            raise translated from exc
        except OverflowError as exc:  # sqlite3 refuses to bind an int beyond 64 bits
            if "sqlite integer" not in str(exc).lower():
                raise
            raise out_of_range() from exc

    def _reader(self) -> Session:
        if self.dialect != "sqlite":
            return self._factory()
        if self._read_factory is None:
            self._read_engine = make_engine(self.url, readonly=True)
            self._read_factory = sessionmaker(
                self._read_engine, class_=guard.GuardedSession, expire_on_commit=False, autoflush=True
            )
        return self._read_factory()

    def upgrade(self) -> None:
        from nigran.storage.migrate import upgrade

        upgrade(self)

    def dispose(self) -> None:
        self.engine.dispose()
        if self._read_factory is not None:
            self._read_engine.dispose()

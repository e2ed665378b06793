"""Database errors a person can act on, turned into domain errors with one clear line each.

The driver's own messages (``database is locked``, ``connection refused``, ``file is not a database``) are
accurate but say nothing about what to do; these say what happened and that nothing was written.
"""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DataError, DBAPIError, OperationalError

from nigran.core.errors import Busy, InvalidInput, NigranError, StorageUnavailable
from nigran.core.problems import Problem

#: What a number the database cannot hold is told (a web id or a value typed far beyond any record).
OUT_OF_RANGE = "a number is too large for the database to store or look up; nothing was written"


def out_of_range() -> InvalidInput:
    """A number outside the database's integers: the input's fault, not a defect (the SQLite driver raises
    ``OverflowError`` before sending it, PostgreSQL answers "out of range")."""
    return InvalidInput([Problem(0, OUT_OF_RANGE)])


def describe(url: str) -> str:
    """The database for a message: the file for SQLite, host and name (never the password) otherwise."""
    try:
        parsed = make_url(url)
    except Exception:
        return "the database"
    if parsed.get_backend_name() == "sqlite":
        return str(parsed.database or "an in-memory database")
    return f"{parsed.get_backend_name()} database {parsed.database!r} on {parsed.host or 'localhost'}"


def translate_error(exc: DBAPIError, url: str) -> NigranError | None:
    """The domain error for a driver error, or ``None`` when it is a programming error to report as such."""
    text = str(exc.orig if exc.orig is not None else exc).lower()
    where = describe(url)
    if "database is locked" in text or "database table is locked" in text or "busy" in text:
        return Busy(f"{where} is busy with another write; nothing was written, retry in a moment")
    if "file is not a database" in text or "not a database" in text:
        return StorageUnavailable(f"{where} is not a Nigran database (not an SQLite file)")
    if "unable to open database" in text:
        return StorageUnavailable(f"cannot open {where}: the file or its folder is missing or not readable")
    if "readonly database" in text or "read-only" in text:
        return StorageUnavailable(f"{where} is read-only for this user; nothing was written")
    if "no such table" in text or ("relation" in text and "does not exist" in text):
        return StorageUnavailable(f"{where} is not at Nigran's schema (missing tables)")
    if isinstance(exc, OperationalError) and (
        "connection" in text or "could not connect" in text or "password authentication" in text
    ):
        return StorageUnavailable(f"cannot reach {where}: {first_line(exc)}")
    if isinstance(exc, DataError) and "out of range" in text:
        return out_of_range()
    if "disk i/o error" in text or "database or disk is full" in text:
        return StorageUnavailable(f"{where}: the disk failed or is full; nothing was written")
    return None


def first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__

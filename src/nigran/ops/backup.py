"""``nigran backup``: a consistent copy of the whole database while it is in use, with its manifest.

- SQLite: the online backup API (``sqlite3.Connection.backup``) copies every page in one step from one read
  snapshot (WAL mode: writers go on meanwhile); counts, schema revisions and the audit head are then read from
  the copy itself, so they describe exactly what was copied.
- PostgreSQL: a ``REPEATABLE READ`` transaction exports its snapshot; ``pg_dump --snapshot`` dumps that
  snapshot while the same transaction reads the counts and the audit head. The password reaches ``pg_dump``
  through the environment (``PGPASSWORD``), never its command line.

A backup holds every record at every classification, so only an administrator cleared for the highest level
may take one (anyone, while the database has no accounts yet).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.engine import make_url as _make_url
from sqlalchemy.orm import Session

from nigran import __version__
from nigran.access.classification import Classification
from nigran.access.principal import Principal, Role
from nigran.access.service import user_count
from nigran.audit.verify import verify_chain
from nigran.core.errors import AccessDenied, StorageUnavailable
from nigran.core.outputs import check_target, write_with
from nigran.ops.audit_head import read_head
from nigran.ops.manifest import PAYLOADS, Manifest, pack, revisions_of, table_counts
from nigran.storage.db import Database

Step = Callable[[str], None]


def _no_step(_: str) -> None:
    return None


def require_backup_right(session: Session, who: Principal) -> None:
    """Only an administrator cleared for every level may copy everything (before any account: anyone)."""
    if who.is_system or user_count(session) == 0:
        return
    if who.role is not Role.ADMINISTRATOR or who.clearance < max(Classification):
        raise AccessDenied(
            f"only an administrator cleared {max(Classification).name} may back up the database "
            f"({who.username} is {who.role.value}, cleared {who.clearance.name})"
        )


def default_name(now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return Path(f"nigran-backup-{stamp}.tar")


def describe(conn: Connection, backend: str) -> Manifest:
    """The manifest of what ``conn`` sees (the copy, or the dumped snapshot); the payload hash comes later."""
    return Manifest(
        nigran_version=__version__,
        backend=backend,
        revisions=revisions_of(conn),
        counts=table_counts(conn),
        audit_head=read_head(conn),
        audit_verified=verify_chain(conn).ok,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        payload=PAYLOADS[backend],
    )


def take_backup(db: Database, output: Path, *, force: bool = False, step: Step = _no_step) -> Manifest:
    """Write a backup of ``db`` to ``output`` (refused before any work if it exists without ``force``)."""
    check_target(output, force=force)
    with tempfile.TemporaryDirectory(prefix="nigran-backup-") as tmp:
        payload = Path(tmp) / PAYLOADS[db.dialect if db.dialect in PAYLOADS else "sqlite"]
        if db.dialect == "sqlite":
            manifest = _sqlite(db, payload, step)
        elif db.dialect == "postgresql":
            manifest = _postgresql(db, payload, step)
        else:
            raise StorageUnavailable(f"cannot back up a {db.dialect} database")
        step("writing the archive")
        write_with(output, lambda fh: pack(fh, manifest, payload), force=force)
    return manifest


def _sqlite(db: Database, payload: Path, step: Step) -> Manifest:
    source_path = db.engine.url.database
    if not source_path or source_path == ":memory:":
        raise StorageUnavailable("an in-memory database cannot be backed up")
    step("copying the database (SQLite online backup)")
    source = sqlite3.connect(f"{Path(source_path).resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        target = sqlite3.connect(payload)
        try:
            source.backup(target)  # pages=-1: all pages in one step, from one read snapshot
        finally:
            target.close()
    except sqlite3.Error as exc:
        raise StorageUnavailable(f"cannot back up {source_path}: {exc}") from None
    finally:
        source.close()
    step("counting rows and checking the audit chain in the copy")
    engine = create_engine(f"sqlite:///{payload}")
    try:
        with engine.connect() as conn:
            manifest = describe(conn, "sqlite")
            conn.exec_driver_sql("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        engine.dispose()
    return manifest


def pg_environment(url: str | URL) -> dict[str, str]:
    """libpq's environment for ``url``: the password travels here, never on a command line."""
    parsed = _make_url(url)
    env = dict(os.environ)
    for key, value in (
        ("PGHOST", parsed.host),
        ("PGPORT", None if parsed.port is None else str(parsed.port)),
        ("PGUSER", parsed.username),
        ("PGPASSWORD", parsed.password),
        ("PGDATABASE", parsed.database),
    ):
        if value:
            env[key] = str(value)
    for key, value in parsed.query.items():  # e.g. sslmode=require
        if key in ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout"):
            env["PG" + key.upper()] = str(value)
    return env


def pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise StorageUnavailable(
            f"{name} not found: install the PostgreSQL client (Debian: postgresql-client)"
        )
    return found


def run_pg_tool(args: list[str], url: str | URL, doing: str) -> None:
    result = subprocess.run(args, env=pg_environment(url), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        detail = lines[0] if lines else f"exit status {result.returncode}"
        raise StorageUnavailable(f"{doing} failed: {detail}")


def _postgresql(db: Database, payload: Path, step: Step) -> Manifest:
    tool = pg_tool("pg_dump")
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
        snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        step("dumping the database (pg_dump, custom format)")
        run_pg_tool(
            [tool, "--format=custom", f"--snapshot={snapshot}", f"--file={payload}"],
            db.engine.url,
            "pg_dump",
        )
        step("counting rows and checking the audit chain in the same snapshot")
        return describe(conn, "postgresql")

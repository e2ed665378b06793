"""``nigran restore``: put a backup into a fresh database, then prove it is what was backed up.

Refused before anything is written: a file that is not a backup, a payload whose SHA-256 or size differs from
its manifest, a backend other than the target's, a schema revision this Nigran does not know (a backup from a
newer version), and a target that already holds tables (unless ``force``).

Checked after: the row count of every table equals the manifest's, the audit chain verifies, and its head is
the manifest's head. For SQLite the checks run on the unpacked copy before it is moved into place, so a failed
check leaves the target untouched; for PostgreSQL ``pg_restore`` runs in one transaction, then the checks.

Who may restore is decided by the database itself (write access to the SQLite file, or PostgreSQL
credentials that may create tables in the target): a fresh target has no Nigran accounts to ask.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from nigran import __version__
from nigran.audit.verify import verify_chain
from nigran.core.errors import StorageUnavailable
from nigran.core.outputs import check_target, open_output
from nigran.core.problems import InvalidInput, Problem
from nigran.core.settings import Settings
from nigran.ops.audit_head import AuditHead, read_head
from nigran.ops.backup import pg_tool, run_pg_tool
from nigran.ops.manifest import Manifest, table_counts, unpack
from nigran.storage.migrate import MIGRATIONS

Step = Callable[[str], None]


def _no_step(_: str) -> None:
    return None


@dataclass(frozen=True)
class RestoreReport:
    manifest: Manifest
    target: str
    tables: int
    rows: int
    head: AuditHead
    needs_upgrade: bool


def known_revisions() -> tuple[set[str], set[str]]:
    """Every schema revision this Nigran knows, and its heads."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(cfg)
    return {r.revision for r in script.walk_revisions()}, set(script.get_heads())


def check_payload(conn: Connection, manifest: Manifest) -> list[str]:
    """What differs between the database behind ``conn`` and the manifest (empty: all is as recorded)."""
    found: list[str] = []
    counts = table_counts(conn)
    for name in sorted(set(counts) | set(manifest.counts)):
        want, have = manifest.counts.get(name), counts.get(name)
        if want != have:
            found.append(
                f"table {name}: {'absent' if have is None else have} rows, the manifest says "
                f"{'absent' if want is None else want}"
            )
    chain = verify_chain(conn)
    if not chain.ok:
        found.append(f"the audit chain is broken at entry {chain.broken_seq}: {chain.reason}")
    head = read_head(conn)
    if (head.seq, head.hash) != (manifest.audit_head.seq, manifest.audit_head.hash):
        found.append(
            f"the audit head is entry {head.seq} ({head.hash}), the manifest says entry "
            f"{manifest.audit_head.seq} ({manifest.audit_head.hash})"
        )
    return found


def _backend(target_url: str) -> str:
    try:
        return make_url(target_url).get_backend_name()
    except ArgumentError:
        raise InvalidInput([Problem(0, "not a database URL or SQLite file", "--db")]) from None


def restore(archive: Path, target: str, *, force: bool = False, step: Step = _no_step) -> RestoreReport:
    """Restore ``archive`` into ``target`` (a URL or a SQLite file name) and verify it."""
    url = Settings.from_env(database_url=target).database_url
    backend = _backend(url)
    if backend not in ("sqlite", "postgresql"):
        raise InvalidInput([Problem(0, f"cannot restore into a {backend} database", "--db")])
    name = str(archive)
    with tempfile.TemporaryDirectory(prefix="nigran-restore-") as tmp:
        step("checking the backup against its manifest")
        with unpack(archive, Path(tmp)) as (manifest, payload):
            if manifest.backend != backend:
                message = f"a {manifest.backend} backup cannot be restored into a {backend} database"
                raise InvalidInput([Problem(0, message, name)])
            known, heads = known_revisions()
            unknown = sorted(set(manifest.revisions) - known)
            if unknown:
                message = (
                    f"its schema ({', '.join(unknown)}) is newer than this Nigran {__version__} knows "
                    f"(the backup was taken by Nigran {manifest.nigran_version}): install that version"
                )
                raise InvalidInput([Problem(0, message, name)])
            if backend == "sqlite":
                shown = _restore_sqlite(payload, url, manifest, force, step, name)
                engine = create_engine(url)
            else:
                shown = _restore_postgresql(payload, url, manifest, force, step, name)
                engine = create_engine(url)
            step("verifying row counts and the audit chain in the restored database")
            try:
                with engine.connect() as conn:
                    problems = check_payload(conn, manifest)
                    counts, head = table_counts(conn), read_head(conn)
            finally:
                engine.dispose()
            if problems:
                raise InvalidInput([Problem(0, f"restored into {shown}, but {p}", name) for p in problems])
    return RestoreReport(
        manifest, shown, len(counts), sum(counts.values()), head, set(manifest.revisions) != heads
    )


def _sqlite_is_empty(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return True
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            return conn.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0] == 0
        finally:
            conn.close()
    except sqlite3.Error:
        return False


def _restore_sqlite(payload: Path, url: str, manifest: Manifest, force: bool, step: Step, name: str) -> str:
    path = Settings(database_url=url).sqlite_path
    if path is None:
        raise InvalidInput([Problem(0, "restore into a SQLite file, not an in-memory database", "--db")])
    empty = _sqlite_is_empty(path)
    if not empty and not force:
        raise InvalidInput(
            [Problem(0, f"{path} already holds a database; restore into a new file, or use --force", "--db")]
        )
    check_target(path, force=True)  # never through a link, never the open database, the folder exists
    step("checking the unpacked database before it is put in place")
    engine = create_engine(f"sqlite:///{payload}")
    try:
        with engine.connect() as conn:
            problems = check_payload(conn, manifest)
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")  # as Nigran runs it
    finally:
        engine.dispose()
    if problems:
        raise InvalidInput([Problem(0, f"the backup's database does not match: {p}", name) for p in problems])
    step("putting the database in place")
    for companion in ("-wal", "-shm", "-journal"):  # an old log would be replayed over the new file
        with contextlib.suppress(FileNotFoundError):
            Path(str(path) + companion).unlink()
    with open_output(path, "wb", force=True) as fh, payload.open("rb") as src:
        shutil.copyfileobj(src, fh, 1 << 20)
    return str(path)


def _restore_postgresql(
    payload: Path, url: str, manifest: Manifest, force: bool, step: Step, name: str
) -> str:
    parsed = make_url(url)
    shown = parsed.render_as_string(hide_password=True)
    tool = pg_tool("pg_restore")
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            tables = inspect(conn).get_table_names()
            if tables and not force:
                raise InvalidInput(
                    [
                        Problem(
                            0,
                            f"{shown} already holds {len(tables)} tables; use a new database, or --force",
                            "--db",
                        )
                    ]
                )
            if tables:
                step("emptying the target database (--force)")
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
    except DBAPIError as exc:
        raise StorageUnavailable(f"cannot reach {shown}: {str(exc.orig).splitlines()[0]}") from None
    finally:
        engine.dispose()
    step("restoring (pg_restore, one transaction)")
    run_pg_tool(
        [
            tool,
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={parsed.database}",
            str(payload),
        ],
        parsed,
        "pg_restore",
    )
    return shown

"""Database trouble a person can act on gets one clear line: missing, not a database, unreachable, busy.

Reads never take SQLite's write lock, so they work while an import holds it; a writer that waits too long is
told the database is busy and that nothing was written.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from nigran.access.principal import Principal
from nigran.cli import app
from nigran.core.errors import Busy
from nigran.policy.models import Framework
from nigran.storage.db import Database

runner = CliRunner()


def invoke(*argv: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(argv), env={"NIGRAN_USER": "", **(env or {})})


def test_fresh_folder_says_how_to_start_and_creates_nothing(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NIGRAN_DATABASE_URL", raising=False)
    result = invoke("framework", "list")
    assert result.exit_code == 6
    assert "no Nigran database at" in result.output and "nigran demo" in result.output
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []
    typo = invoke("--db", str(tmp_path / "nigarn.db"), "incidents", "summary")
    assert typo.exit_code == 6 and "nigarn.db" in typo.output
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.db"
    bogus.write_text("shopping list\n" * 100)
    result = invoke("--db", str(bogus), "framework", "list")
    assert result.exit_code == 6 and "is not a Nigran database" in result.output
    assert bogus.read_text() == "shopping list\n" * 100


def test_an_empty_sqlite_file_without_the_schema(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    result = invoke("--db", str(empty), "framework", "list")
    assert result.exit_code == 6 and "not at Nigran's schema" in result.output


def test_unreachable_postgresql_is_one_line_without_the_password() -> None:
    result = invoke("--db", "postgresql://nigran:s3cret-pw@127.0.0.1:1/nigran", "framework", "list")
    assert result.exit_code == 6
    assert "cannot reach postgresql database 'nigran' on 127.0.0.1" in result.output
    assert "s3cret-pw" not in result.output and "Traceback" not in result.output


def test_unwritable_output_path_is_one_line(db: Database, tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "folder" / "out.json"
    result = invoke("--db", db.url, "incidents", "export", str(target), "--format", "json")
    assert result.exit_code in (2, 7), result.output
    assert "Traceback" not in result.output and "folder" in result.output.lower()


@pytest.fixture
def sqlite_db(templates, tmp_path: Path) -> Database:  # type: ignore[no-untyped-def]
    return Database(templates.copy("sqlite", "demo", tmp_path))


def test_reads_work_while_another_process_holds_the_write_lock(sqlite_db: Database) -> None:
    path = sqlite_db.engine.url.database
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # as an import does for its whole transaction
    try:
        with sqlite_db.session(Principal.anonymous(), readonly=True) as s:
            assert s.scalars(select(Framework.code)).all()
        result = invoke("--db", sqlite_db.url, "framework", "list", env={"NIGRAN_BUSY_TIMEOUT": "0.2"})
        assert result.exit_code == 0, result.output
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_a_waiting_writer_is_told_busy_not_locked(sqlite_db: Database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NIGRAN_BUSY_TIMEOUT", "0.2")
    db = Database(sqlite_db.url)
    path = db.engine.url.database
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(Busy, match="busy with another write; nothing was written"):  # noqa: SIM117
            with db.session(Principal.system()) as s:
                s.scalars(select(Framework.code)).all()
        result = invoke(
            "--db",
            sqlite_db.url,
            "--as",
            "admin",
            "user",
            "add",
            "newcomer",
            "--role",
            "analyst",
            env={"NIGRAN_BUSY_TIMEOUT": "0.2"},
        )
        assert result.exit_code == 75, result.output
        assert "busy" in result.output and "database is locked" not in result.output
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        db.dispose()


def test_a_read_only_session_refuses_to_write(sqlite_db: Database) -> None:
    from nigran.core.errors import StorageUnavailable

    with pytest.raises((StorageUnavailable, Exception)) as info:  # noqa: SIM117
        with sqlite_db.session(Principal.system(), readonly=True) as s:
            fw = s.scalars(select(Framework)).first()
            assert fw is not None
            fw.title = "changed"
            s.flush()
    assert "readonly" in str(info.value).lower() or "read-only" in str(info.value).lower()

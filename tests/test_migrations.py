"""Migrations and models agree, on every backend, and upgrading twice is harmless."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import nigran.storage.models_registry  # noqa: F401
from nigran.storage.base import Base
from nigran.storage.migrate import current, heads


def test_models_match_migrations(empty_db):
    with empty_db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], "models and migrations differ; add a migration:\n" + "\n".join(map(str, diff))


def test_upgrade_is_idempotent_and_reaches_every_head(empty_db):
    empty_db.upgrade()
    empty_db.upgrade()
    assert current(empty_db) == heads(empty_db) and heads(empty_db)


def test_sqlite_runs_with_wal_and_foreign_keys(empty_db):
    if empty_db.dialect != "sqlite":
        pytest.skip("SQLite pragmas only")
    with empty_db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1

"""Upgrades: from every earlier schema revision, with data in the database, to the current heads; downgrades
are refused clearly; ``nigran db upgrade`` takes a backup first.

The data of each revision is ``tests/fixtures/migrations/<revision>.json`` (written by ``make_fixtures.py`` in
that folder, which says how): rows the application wrote, cut to that revision's columns, with the audit chain
as that revision hashed it.
"""

from __future__ import annotations

import json
import tarfile
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Date, DateTime, MetaData, func, select, text
from typer.testing import CliRunner

from nigran.access.principal import Principal
from nigran.audit.verify import verify_chain
from nigran.cli import app
from nigran.incidents.models import Incident
from nigran.ops.restore import known_revisions
from nigran.policy.models import Framework, Indicator
from nigran.storage.db import Database
from nigran.storage.migrate import current, heads, upgrade

FIXTURES = Path(__file__).parent / "fixtures" / "migrations"
REVISIONS, HEADS = known_revisions()
EARLIER = sorted(REVISIONS - HEADS)
runner = CliRunner()


def cli(url: str, *args: str, user: str | None = None, code: int = 0) -> str:
    argv = ["--db", url] + (["--as", user] if user else []) + list(args)
    result = runner.invoke(app, argv, env={"NIGRAN_USER": ""})
    assert result.exit_code == code, f"{argv}\n{result.output}"
    assert "Traceback" not in result.output
    return result.output


@pytest.fixture
def blank(templates, backend, tmp_path) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    """A database with no schema at all."""
    if backend == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'blank.db'}")
        yield db
        db.dispose()
        return
    name = f"nigran_u_{uuid.uuid4().hex[:12]}"
    db = Database(templates._pg_create(name))
    yield db
    db.dispose()
    templates.pg_drop(name)


def _value(column: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(column.type, Date):
        return date.fromisoformat(value)
    return value


def load_fixture(db: Database, revision: str) -> dict[str, int]:
    data = json.loads((FIXTURES / f"{revision}.json").read_text(encoding="utf-8"))
    assert data["revision"] == revision
    meta = MetaData()
    meta.reflect(db.engine)
    tables = data["tables"]
    with db.engine.begin() as conn:
        for table in meta.sorted_tables:
            rows = tables.get(table.name)
            if not rows:
                continue
            conn.execute(table.insert(), [{k: _value(table.c[k], v) for k, v in r.items()} for r in rows])
        if db.dialect == "postgresql":  # explicit ids: move each sequence past them
            for table in meta.sorted_tables:
                if table.name in tables and "id" in table.c:
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f"(SELECT max(id) FROM {table.name}))"
                        )
                    )
    return {name: len(rows) for name, rows in tables.items()}


def test_every_earlier_revision_has_a_fixture():
    have = sorted(p.stem for p in FIXTURES.glob("*.json"))
    assert have == EARLIER, "run tests/fixtures/migrations/make_fixtures.py after adding a migration"


@pytest.mark.parametrize("revision", EARLIER)
def test_upgrade_from_an_earlier_revision_keeps_the_data(blank, revision):
    db = blank
    upgrade(db, revision)
    loaded = load_fixture(db, revision)
    db.upgrade()
    assert current(db) == heads(db)
    with db.engine.connect() as conn:
        for name, n in loaded.items():
            assert conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one() == n, name
        result = verify_chain(conn)
        assert result.ok, result.reason
        assert result.entries == loaded["audit_entry"]
    # the application reads the upgraded data through its own models and access rules
    with db.session(Principal.system(), readonly=True) as s:
        framework = s.scalar(select(Framework).where(Framework.code == "CANARY-FW"))
        assert framework is not None
        assert s.scalar(select(func.count(Indicator.id))) == loaded["indicator"]
        if "incident" in loaded:
            assert s.scalar(select(func.count(Incident.id))) == loaded["incident"]
    said = cli(db.url, "framework", "show", "CANARY-FW", user="admin")
    assert "CANARY-FW" in said
    if "incident" in loaded:
        assert "Traceback" not in cli(db.url, "incidents", "summary", user="admin")
    # and writes to it: the chain goes on from the old entries
    cli(db.url, "user", "add", "later", "--role", "analyst", user="admin")
    assert "audit trail intact" in cli(db.url, "audit", "verify", user="admin")


def test_downgrades_are_refused_clearly(db):
    said = cli(db.url, "db", "downgrade", "0001_foundation", user="admin", code=5)
    assert "not supported" in said and "restore the backup" in said
    assert current(db) == heads(db)


def test_db_upgrade_takes_a_backup_first(blank, tmp_path):
    db = blank
    upgrade(db, "0011_news")
    load_fixture(db, "0011_news")
    out = tmp_path / "before.tar"
    said = cli(db.url, "db", "upgrade", "--backup-to", str(out), user="analyst", code=3)
    assert not out.exists() and current(db) == {"0011_news"}
    said = cli(db.url, "db", "upgrade", "--backup-to", str(out), user="admin")
    assert "before upgrading" in said and current(db) == heads(db)
    with tarfile.open(out) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert manifest["revisions"] == ["0011_news"]
    # at the latest schema already: nothing to back up
    again = tmp_path / "again.tar"
    cli(db.url, "db", "upgrade", "--backup-to", str(again), user="admin")
    assert not again.exists()


def test_db_upgrade_no_backup_skips_it(blank, tmp_path, monkeypatch):
    db = blank
    upgrade(db, "0010_jobs")
    load_fixture(db, "0010_jobs")
    monkeypatch.chdir(tmp_path)
    said = cli(db.url, "db", "upgrade", "--no-backup", user="admin")
    assert "backed up" not in said and current(db) == heads(db)
    assert not list(tmp_path.glob("nigran-backup-*.tar"))

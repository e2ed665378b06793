"""``demo``, ``db upgrade``, ``db seed``: administrative on an existing database; a new one bootstraps."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import func, select
from tests.helpers import load_fixture
from typer.testing import CliRunner

from nigran.access.classification import Classification
from nigran.access.models import User
from nigran.access.principal import Principal, Role
from nigran.access.service import add_user
from nigran.audit.models import AuditEntry
from nigran.cli import app
from nigran.policy.models import Entity
from nigran.storage.db import Database

runner = CliRunner()


def _cli(url: str, *args: str, user: str | None = None):  # type: ignore[no-untyped-def]
    argv = ["--db", url, *(["--as", user] if user else []), *args]
    return runner.invoke(app, argv, env={"NIGRAN_USER": "", "NIGRAN_DEBUG": ""})


def _count(db: Database, model) -> int:  # type: ignore[no-untyped-def]
    with db.session(Principal.system()) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_upgrade_of_a_new_database_loads_the_reference_data(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    result = _cli(url, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "created" in result.output and "entities in place" in result.output
    db = Database(url)
    try:
        assert _count(db, Entity) > 50
    finally:
        db.dispose()


def test_demo_creates_a_new_database_without_a_user(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    result = _cli(url, "demo", "--no-serve")
    assert result.exit_code == 0, result.output
    db = Database(url)
    try:
        assert _count(db, User) == 6
    finally:
        db.dispose()


def test_demo_on_an_existing_database_needs_an_administrator(demo_db):
    for user in (None, "reader", "analyst"):
        refused = _cli(demo_db.url, "demo", "--no-serve", user=user)
        assert refused.exit_code == 3 and "administrators" in refused.output, refused.output
    assert (
        _cli(demo_db.url, "demo", "--no-serve", user="admin").exit_code == 0
    )  # only the demo's data: no --force needed


def test_demo_refuses_a_database_with_other_users_or_data_unless_forced(demo_db):
    with demo_db.session(Principal.system()) as s:
        add_user(s, "minister", role=Role.REVIEWER, clearance=Classification.SECRET)
    load_fixture(demo_db)
    before = _count(demo_db, AuditEntry)
    refused = _cli(demo_db.url, "demo", "--no-serve", user="admin")
    assert refused.exit_code == 5, refused.output
    assert "1 account other than the demo's" in refused.output and "1 framework" in refused.output
    assert _count(demo_db, AuditEntry) == before  # nothing was written
    assert _cli(demo_db.url, "demo", "--no-serve", "--force", user="admin").exit_code == 0


def test_demo_on_a_database_without_users_is_a_bootstrap_but_still_refuses_other_data(db):
    load_fixture(db)  # a framework, and no account yet
    refused = _cli(db.url, "demo", "--no-serve")
    assert refused.exit_code == 5 and "framework" in refused.output, refused.output


def test_upgrade_and_seed_of_a_database_with_users_need_an_administrator(demo_db):
    for command in (("db", "upgrade"), ("db", "seed")):
        refused = _cli(demo_db.url, *command, user="reader")
        assert refused.exit_code == 3 and "administrators" in refused.output
        assert _cli(demo_db.url, *command).exit_code == 3
        assert _cli(demo_db.url, *command, user="admin").exit_code == 0
    seeded = _cli(demo_db.url, "db", "seed", user="admin").output
    assert re.search(r"\d+ administrative units and \d+ entities in place", seeded)


def test_audit_commands_reveal_no_counts_to_lower_readers(demo_db, tmp_path: Path):
    public = _cli(demo_db.url, "audit", "verify")
    assert public.exit_code == 0 and public.output.strip() == "audit trail intact"
    admin = _cli(demo_db.url, "audit", "verify", user="admin")
    assert admin.exit_code == 0 and re.search(r"intact: \d+ entries", admin.output)
    assert _cli(demo_db.url, "audit", "log", user="reader").exit_code == 3
    table = _cli(demo_db.url, "audit", "log", "-n", "5", user="reviewer")
    assert table.exit_code == 0 and "5 entries" in table.output
    assert max(len(line) for line in table.output.splitlines()) <= 80
    target = tmp_path / "log.csv"
    written = _cli(demo_db.url, "audit", "log", "-o", str(target), user="admin")
    assert written.exit_code == 0 and target.read_text().startswith("seq,at,actor")
    assert _cli(demo_db.url, "audit", "log", "-o", str(target), user="admin").exit_code == 7  # no --force
    assert _cli(demo_db.url, "audit", "log", "-o", str(target), "--force", user="admin").exit_code == 0
    assert _cli(demo_db.url, "audit", "log", "--format", "xml", user="admin").exit_code == 2

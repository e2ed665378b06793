"""Backups that restore: ``nigran backup`` / ``nigran restore`` on both backends, the restore drill under
write load, what a restore refuses, and the audit head recorded outside the database."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, delete, func, select
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from nigran.access.classification import Classification
from nigran.access.principal import Principal, Role
from nigran.access.service import add_user
from nigran.audit.models import AuditEntry
from nigran.cli import app
from nigran.ops.backup import take_backup
from nigran.ops.manifest import MANIFEST, table_counts
from nigran.storage.db import Database
from nigran.storage.migrate import current

runner = CliRunner()


def cli(url: str, *args: str, user: str | None = None, code: int = 0) -> str:
    argv = ["--db", url] + (["--as", user] if user else []) + list(args)
    result = runner.invoke(app, argv, env={"NIGRAN_USER": ""})
    assert result.exit_code == code, f"{argv}\n{result.output}"
    assert "Traceback" not in result.output
    return result.output


@pytest.fixture
def fresh_target(templates, backend, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A URL for a new, empty database (no schema at all) of the test's backend."""
    if backend == "sqlite":
        (tmp_path / "restored").mkdir()
        yield f"sqlite:///{tmp_path / 'restored' / 'nigran.db'}"
        return
    name = f"nigran_r_{uuid.uuid4().hex[:12]}"
    url = templates._pg_create(name)
    yield url
    templates.pg_drop(name)


def counts_of(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return table_counts(conn)
    finally:
        engine.dispose()


def repack(source: Path, dest: Path, *, manifest=None, payload=None) -> None:  # type: ignore[no-untyped-def]
    """A copy of a backup with its manifest (a function of the parsed JSON) or payload bytes changed."""
    with tarfile.open(source) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]
    data = json.loads(members[MANIFEST])
    if manifest:
        manifest(data)
    members[MANIFEST] = json.dumps(data).encode()
    name = data["payload"]
    if payload:
        members[name] = payload(members[name])
    with tarfile.open(dest, "w") as tar:
        for member, raw in members.items():
            info = tarfile.TarInfo(member)
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))


def test_backup_and_restore_round_trip(demo_db, fresh_target, tmp_path):
    out = tmp_path / "b.tar"
    said = cli(demo_db.url, "backup", "--output", str(out), user="admin")
    assert "backed up" in said and out.exists()
    with tarfile.open(out) as tar:
        assert tar.getmembers()[0].name == MANIFEST
        manifest = json.loads(tar.extractfile(MANIFEST).read())  # type: ignore[union-attr]
    assert manifest["backend"] == demo_db.dialect
    assert manifest["counts"] == counts_of(demo_db.url)
    assert (
        manifest["counts"]["audit_entry"] == manifest["audit_head"]["count"] == manifest["audit_head"]["seq"]
    )
    assert manifest["audit_verified"] is True
    assert set(manifest["revisions"]) == current(demo_db) and manifest["revisions"]
    cli(demo_db.url, "backup", "--output", str(out), user="admin", code=7)  # exists: needs --force
    said = cli(demo_db.url, "restore", str(out), "--db", fresh_target)
    assert "counts match the manifest" in said
    assert counts_of(fresh_target) == manifest["counts"]
    said = cli(fresh_target, "audit", "verify", user="admin")
    assert f"{manifest['audit_head']['count']} entries" in said
    assert manifest["audit_head"]["hash"] in said
    # the restored database is a working Nigran database: the demo's framework lists
    assert "NAP-2021" in cli(fresh_target, "framework", "list", user="admin")
    # a second restore into the now full target is refused without --force, and allowed with it
    # (SQLite: into a copy, since this process has the restored file open and never overwrites that)
    full = fresh_target
    if demo_db.dialect == "sqlite":
        shutil.copyfile(make_url(fresh_target).database or "", tmp_path / "full.db")
        full = f"sqlite:///{tmp_path / 'full.db'}"
    said = cli(demo_db.url, "restore", str(out), "--db", full, code=2)
    assert "--force" in said
    cli(demo_db.url, "restore", str(out), "--db", full, "--force")
    assert counts_of(full) == manifest["counts"]


def test_only_an_administrator_cleared_secret_backs_up(demo_db, tmp_path):
    out = tmp_path / "b.tar"
    for user in (None, "analyst", "reviewer"):
        said = cli(demo_db.url, "backup", "--output", str(out), user=user, code=3)
        assert "only an administrator" in said
    with demo_db.session(Principal.system()) as s:
        add_user(s, "lowadmin", role=Role.ADMINISTRATOR, clearance=Classification.RESTRICTED)
    cli(demo_db.url, "backup", "--output", str(out), user="lowadmin", code=3)
    assert not out.exists()


@pytest.fixture
def backup_file(demo_db, tmp_path) -> Path:  # type: ignore[no-untyped-def]
    out = tmp_path / "good.tar"
    take_backup(demo_db, out)
    return out


def test_restore_refuses_a_backup_that_does_not_match_its_manifest(
    demo_db, backup_file, fresh_target, tmp_path
):
    bad = tmp_path / "bad.tar"

    def flip(raw: bytes) -> bytes:
        middle = len(raw) // 2
        return raw[:middle] + bytes([raw[middle] ^ 0xFF]) + raw[middle + 1 :]

    repack(backup_file, bad, payload=flip)
    said = cli(demo_db.url, "restore", str(bad), "--db", fresh_target, code=2)
    assert "does not match its manifest" in said

    def newer(data):  # type: ignore[no-untyped-def]
        data["revisions"] = [*data["revisions"], "0999_from_the_future"]

    repack(backup_file, bad, manifest=newer)
    said = cli(demo_db.url, "restore", str(bad), "--db", fresh_target, code=2)
    assert "newer than this Nigran" in said

    def other_backend(data):  # type: ignore[no-untyped-def]
        data["backend"] = "postgresql" if data["backend"] == "sqlite" else "sqlite"
        data["payload"] = "payload.pgdump" if data["backend"] == "postgresql" else "payload.sqlite"

    repack(backup_file, bad, manifest=other_backend)
    said = cli(demo_db.url, "restore", str(bad), "--db", fresh_target, code=2)
    assert "cannot be restored into" in said or "payload" in said

    def wrong_count(data):  # type: ignore[no-untyped-def]
        data["counts"]["incident"] += 1

    repack(backup_file, bad, manifest=wrong_count)
    said = cli(demo_db.url, "restore", str(bad), "--db", fresh_target, code=2)
    assert "table incident" in said
    if fresh_target.startswith("sqlite"):  # checked before the file is put in place
        assert not Path(make_url(fresh_target).database or "").exists()

    garbage = tmp_path / "garbage.tar"
    garbage.write_bytes(b"not a tar file at all" * 100)
    assert "not a Nigran backup" in cli(demo_db.url, "restore", str(garbage), "--db", fresh_target, code=2)
    missing = tmp_path / "missing.tar"
    assert "file not found" in cli(demo_db.url, "restore", str(missing), "--db", fresh_target, code=2)


def _drill_writer(db: Database, stop: threading.Event, written: list[int]) -> None:
    i = 0
    while not stop.is_set():
        with db.session(Principal.system()) as s:
            add_user(s, f"drill{i:05d}", role=Role.ANALYST, clearance=Classification.PUBLIC)
        i += 1
        written.append(i)
        time.sleep(0.005)


def test_restore_drill_backup_under_write_load(demo_db, fresh_target, tmp_path):
    """Back up the demo while another thread keeps writing (each write adds a row and its audit entry);
    the backup is one point in time: the writer's rows and their audit entries agree, and the restore
    reproduces exactly the manifest."""
    stop, written = threading.Event(), []
    writer = threading.Thread(target=_drill_writer, args=(demo_db, stop, written))
    writer.start()
    try:
        while len(written) < 5:
            time.sleep(0.01)
        before = len(written)
        manifest = take_backup(demo_db, tmp_path / "drill.tar")
        after = len(written)
        while len(written) < after + 3:
            time.sleep(0.01)
    finally:
        stop.set()
        writer.join(30)
    cli(demo_db.url, "restore", str(tmp_path / "drill.tar"), "--db", fresh_target)
    assert counts_of(fresh_target) == manifest.counts
    restored = Database(fresh_target)
    try:
        with restored.session(Principal.system(), readonly=True) as s:
            from nigran.access.models import User

            drill_ids = [str(i) for i in s.scalars(select(User.id).where(User.username.like("drill%")))]
            users = len(drill_ids)
            entries = s.scalar(
                select(func.count()).where(
                    AuditEntry.table_name == "user_account", AuditEntry.record_id.in_(drill_ids)
                )
            )
    finally:
        restored.dispose()
    assert before <= users <= after + 1, (before, users, after)
    assert entries == users > 0  # each write's row and its audit entry: both in the backup, or neither
    assert manifest.audit_head.count == manifest.audit_head.seq == manifest.counts["audit_entry"]
    assert counts_of(demo_db.url)["audit_entry"] > manifest.counts["audit_entry"]  # writes went on
    said = cli(fresh_target, "audit", "verify", user="admin")
    assert "audit trail intact" in said


def test_audit_head_detects_truncation_of_the_newest_entries(demo_db, tmp_path):
    head_file = tmp_path / "head.json"
    cli(demo_db.url, "audit", "head", "--output", str(head_file), user="admin")
    recorded = json.loads(head_file.read_text())
    assert set(recorded) == {"seq", "hash", "at", "count"} and recorded["seq"] == recorded["count"]
    printed = cli(demo_db.url, "audit", "head", user="admin")
    assert recorded["hash"] in printed and f"entry {recorded['seq']} of {recorded['count']}" in printed
    assert json.loads(cli(demo_db.url, "audit", "head", "--format", "json", user="admin")) == recorded
    cli(demo_db.url, "audit", "head", user="analyst", code=3)
    cli(demo_db.url, "audit", "verify", "--head", str(head_file), user="analyst", code=3)

    with demo_db.session(Principal.system()) as s:  # later changes extend the chain past the head
        add_user(s, "later1", role=Role.ANALYST, clearance=Classification.PUBLIC)
        add_user(s, "later2", role=Role.ANALYST, clearance=Classification.PUBLIC)
    assert "holds the recorded head" in cli(
        demo_db.url, "audit", "verify", "--head", str(head_file), user="admin"
    )

    # cut off the newest entries, the recorded head among them: what is left is still a valid chain ...
    with demo_db.engine.begin() as conn:
        conn.execute(delete(AuditEntry.__table__).where(AuditEntry.__table__.c.seq >= recorded["seq"] - 2))
    assert "audit trail intact" in cli(demo_db.url, "audit", "verify", user="admin")
    # ... but not against the recorded head
    said = cli(demo_db.url, "audit", "verify", "--head", str(head_file), user="admin", code=1)
    assert f"entry {recorded['seq']}, is gone" in said

    # a backup's manifest serves as a recorded head too; a damaged head file is a clear error
    bad = tmp_path / "bad.json"
    bad.write_text('{"seq": "x", "hash": 3, "count": -1}')
    said = cli(demo_db.url, "audit", "verify", "--head", str(bad), user="admin", code=2)
    assert "field 'seq'" in said and "field 'count'" in said

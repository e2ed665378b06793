"""Crashes lose nothing: a ``nigran`` process killed with SIGKILL in the middle of its work leaves the
database with all of the change or none of it, an audit chain that verifies, and a background job that is
retried.

The kill point is made certain, not guessed with a timer: the child runs with a ``sitecustomize`` hook
(written by the test, in the child only) that, once the child has written to the table under test, writes a
marker file and sleeps, either right after that first write (``write``: in the middle of the stream of
writes) or inside the commit, after every write and before the database commits (``commit``: the latest
moment). The test waits for the marker, kills the child with SIGKILL, and checks. A second run without the
hook shows the same command does change the database, so "nothing changed" is not an accident of a command
that did nothing.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine
from tests.monitoring_support import FW, I1, report, setup_cycles
from typer.testing import CliRunner

from nigran.access.classification import Classification
from nigran.access.principal import Principal, Role
from nigran.access.service import add_user
from nigran.cli import app
from nigran.core.settings import Settings
from nigran.jobs import queue as job_queue
from nigran.jobs.models import Job, JobState
from nigran.ops.manifest import table_counts
from nigran.storage.db import Database

NIGRAN = [sys.executable, "-c", "from nigran.cli import main; main()"]
HOOK = """
import os, re, time
from pathlib import Path
from sqlalchemy import event
from sqlalchemy.engine import Engine

_marker, _table, _at = (os.environ.get(k) for k in ("CRASH_MARKER", "CRASH_TABLE", "CRASH_AT"))
_verbs = r"^\\s*(INSERT INTO|UPDATE|DELETE FROM)\\s+\\"?"
_pattern = re.compile(_verbs + re.escape(_table or "-") + r"\\b", re.I)


def _stop(why):
    Path(_marker).write_text(why)
    time.sleep(120)


@event.listens_for(Engine, "after_cursor_execute")
def _wrote(conn, cursor, statement, parameters, context, executemany):
    if _pattern.match(statement):
        conn.info["crash_wrote"] = True
        if _at == "write":
            _stop("write")


@event.listens_for(Engine, "commit")
def _commit(conn):
    if conn.info.get("crash_wrote") and _at == "commit":
        _stop("commit")
"""

runner = CliRunner()


def cli(url: str, *args: str, user: str | None = None, code: int = 0) -> str:
    argv = ["--db", url] + (["--as", user] if user else []) + list(args)
    result = runner.invoke(app, argv, env={"NIGRAN_USER": ""})
    assert result.exit_code == code, f"{argv}\n{result.output}"
    return result.output


def counts(db: Database) -> dict[str, int]:
    engine = create_engine(db.engine.url)
    try:
        with engine.connect() as conn:
            return table_counts(conn)
    finally:
        engine.dispose()


def child_env(db: Database, tmp_path: Path, table: str | None, at: str) -> dict[str, str]:
    env = {**os.environ, "NIGRAN_DATABASE_URL": db.engine.url.render_as_string(hide_password=False)}
    env["NIGRAN_DATA_DIR"] = str(tmp_path)
    env.pop("NIGRAN_USER", None)
    env.pop("NIGRAN_QUEUE_URL", None)
    if table:
        hook = tmp_path / "hook"
        hook.mkdir(exist_ok=True)
        (hook / "sitecustomize.py").write_text(HOOK)
        env["PYTHONPATH"] = os.pathsep.join([str(hook), env.get("PYTHONPATH", "")])
        env.update(CRASH_MARKER=str(tmp_path / "marker"), CRASH_TABLE=table, CRASH_AT=at)
    return env


def kill_when_marked(args: list[str], env: dict[str, str], tmp_path: Path, timeout: float = 90) -> str:
    """Start ``nigran ARGS``, wait until the hook says it is mid-work, SIGKILL it; return where it was."""
    marker = tmp_path / "marker"
    marker.unlink(missing_ok=True)
    log = tmp_path / "child.log"
    with log.open("wb") as out:
        child = subprocess.Popen([*NIGRAN, *args], env=env, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + timeout
        while not marker.exists():
            if child.poll() is not None:
                pytest.fail(f"the child ended ({child.returncode}) before its write:\n{log.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail("the child never reached its write")
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        assert child.wait(30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    return marker.read_text()


def run_child(args: list[str], env: dict[str, str]) -> str:
    result = subprocess.run([*NIGRAN, *args], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def assert_audit_intact(db: Database) -> None:
    said = cli(db.url, "audit", "verify", user="admin")
    assert "audit trail intact" in said


def big_incident_csv(path: Path, rows: int = 3000) -> Path:
    districts = [("Khyber Pakhtunkhwa", "Peshawar"), ("Balochistan", "Quetta"), ("Sindh", "Karachi")]
    lines = ["id,date,province,district,event_type,actor,killed,injured,classification,notes"]
    for i in range(rows):
        province, district = districts[i % 3]
        day = f"2023-{1 + i % 12:02d}-{1 + i % 28:02d}"
        lines.append(f"CR{i},{day},{province},{district},bombing,TTP,{i % 5},{i % 7},PUBLIC,crash row {i}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def admin_db(db: Database) -> Database:
    with db.session(Principal.system()) as s:
        add_user(s, "admin", role=Role.ADMINISTRATOR, clearance=Classification.SECRET)
        add_user(s, "analyst", role=Role.ANALYST, clearance=Classification.RESTRICTED)
        add_user(s, "reviewer", role=Role.REVIEWER, clearance=Classification.SECRET)
        add_user(s, "focal-kp", role=Role.FOCAL_PERSON, clearance=Classification.RESTRICTED, entity_code="KP")
    return db


@pytest.mark.parametrize("at", ["write", "commit"])
def test_killed_incident_import_leaves_all_or_nothing(admin_db, tmp_path, at):
    db, csv = admin_db, big_incident_csv(tmp_path / "big.csv")
    args = ["--as", "analyst", "incidents", "import", str(csv), "--format", "csv"]
    before = counts(db)
    assert kill_when_marked(args, child_env(db, tmp_path, "incident", at), tmp_path) == at
    assert counts(db) == before  # none of it
    assert_audit_intact(db)
    run_child(args, child_env(db, tmp_path, None, at))
    after = counts(db)
    assert after["incident"] == before["incident"] + 3000  # all of it, once
    assert after["audit_entry"] > before["audit_entry"]
    assert_audit_intact(db)


def test_killed_framework_load_leaves_nothing(admin_db, tmp_path):
    db = admin_db
    fixture = Path(__file__).parent / "fixtures" / "rich-framework.yaml"
    args = ["--as", "admin", "framework", "load", str(fixture)]
    before = counts(db)
    kill_when_marked(args, child_env(db, tmp_path, "indicator", "commit"), tmp_path)
    assert counts(db) == before
    assert_audit_intact(db)
    run_child(args, child_env(db, tmp_path, None, "commit"))
    after = counts(db)
    assert after["framework"] == before["framework"] + 1 and after["indicator"] > before["indicator"]
    assert_audit_intact(db)


def test_killed_workbook_submission_and_verification_leave_nothing(admin_db, tmp_path):
    db = admin_db
    setup_cycles(db)
    book = tmp_path / "kp-2024.xlsx"
    cli(
        db.url,
        "reporting",
        "template",
        "--entity",
        "KP",
        "--cycle",
        "2024",
        "-f",
        FW,
        "-o",
        str(book),
        user="focal-kp",
    )
    wb = load_workbook(book)
    wb["Indicators"].cell(2, 9).value = 55
    wb["Indicators"].cell(2, 10).value = "KP letter 12/2025"
    wb.save(book)
    args = ["--as", "focal-kp", "reporting", "submit", str(book)]
    before = counts(db)
    kill_when_marked(args, child_env(db, tmp_path, "submission", "commit"), tmp_path)
    assert counts(db) == before
    assert_audit_intact(db)
    out = run_child(args, child_env(db, tmp_path, None, "commit"))
    assert counts(db)["submission"] > before["submission"]
    assert_audit_intact(db)

    # a verification killed inside its commit: the submission stays submitted
    sub_id = report(db, "KP", I1, value=40, cycle="2023", verify=False)
    assert re.search(r"submission ids?: \d+", out)
    shown = cli(db.url, "reporting", "show", str(sub_id), user="reviewer")
    assert "verified" not in shown.lower()
    args = ["--as", "reviewer", "reporting", "verify", str(sub_id)]
    before = counts(db)
    kill_when_marked(args, child_env(db, tmp_path, "submission", "commit"), tmp_path)
    assert counts(db) == before
    assert "verified" not in cli(db.url, "reporting", "show", str(sub_id), user="reviewer").lower()
    assert_audit_intact(db)
    run_child(args, child_env(db, tmp_path, None, "commit"))
    assert "verified" in cli(db.url, "reporting", "show", str(sub_id), user="reviewer").lower()
    assert_audit_intact(db)


def test_killed_worker_leaves_nothing_and_the_job_is_retried(admin_db, tmp_path):
    from tests.jobs_support import submit, user

    from nigran.jobs import runtime

    db = admin_db
    settings = Settings(database_url=db.url, data_dir=tmp_path)
    queue = job_queue.attach(db, settings)
    try:
        csv = big_incident_csv(tmp_path / "big.csv")
        before = counts(db)
        job_id = submit(db, user(db, "analyst"), "incidents.import", {"format": "csv"}, csv)
        kill_when_marked(
            ["worker", "--workers", "1"], child_env(db, tmp_path, "incident", "commit"), tmp_path
        )
        assert counts(db)["incident"] == before["incident"]  # none of the import
        with db.session(Principal.system(), readonly=True) as s:
            job = s.get(Job, job_id)
            assert job is not None and job.state == JobState.RUNNING.value and job.attempts == 1
        assert_audit_intact(db)
        # the next consumer's recovery, once the dead runner's lease has run out, queues it again
        recovered = runtime.recover(queue, now=time.time() + job_queue.LEASE_S + 5)
        assert recovered.requeued == [job_id]
        worker = subprocess.Popen(
            [*NIGRAN, "worker", "--workers", "1"],
            env=child_env(db, tmp_path, None, "commit"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 90
            while True:
                with db.session(Principal.system(), readonly=True) as s:
                    job = s.get(Job, job_id)
                    assert job is not None
                    state, attempts = job.state, job.attempts
                    if state in (JobState.SUCCEEDED.value, JobState.FAILED.value):
                        break
                assert time.monotonic() < deadline, "the retried job did not finish"
                time.sleep(0.2)
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
        assert (state, attempts) == (JobState.SUCCEEDED.value, 2)
        assert counts(db)["incident"] == before["incident"] + 3000  # all of it, exactly once
        assert_audit_intact(db)
    finally:
        job_queue.detach(db)

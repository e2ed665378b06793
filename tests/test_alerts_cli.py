"""The ``nigran alerts`` and ``nigran foresight`` commands end to end, the ``alerts.evaluate`` job and the
schedules' functions."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select
from tests.jobs_support import attached, job, submit, user
from tests.test_alerts import RULE_YAML, add_incidents, setup_history
from tests.test_foresight import REGISTER
from typer.testing import CliRunner

from nigran.access.classification import Classification
from nigran.access.principal import Principal, Role
from nigran.access.service import add_user
from nigran.alerts.models import Alert
from nigran.cli import app
from nigran.storage.db import Database

runner = CliRunner()


def run(db: Database, *args: str, user: str | None = None, code: int = 0):  # type: ignore[no-untyped-def]
    argv = ["--db", db.url] + (["--as", user] if user else []) + list(args)
    result = runner.invoke(app, argv, env={"NIGRAN_USER": "", "COLUMNS": "80"})
    assert result.exit_code == code, f"{argv}\n{result.output}"
    return result


def _users(db: Database) -> None:
    with db.session(Principal.system()) as s:
        add_user(s, "admin", role=Role.ADMINISTRATOR, clearance=Classification.SECRET)
        add_user(s, "analyst", role=Role.ANALYST, clearance=Classification.RESTRICTED)
        add_user(s, "reader", role=Role.PUBLIC_READER, clearance=Classification.PUBLIC)


def test_alerts_commands(db: Database, tmp_path: Path) -> None:
    _users(db)
    rules = tmp_path / "rules.yaml"
    rules.write_bytes(RULE_YAML)
    run(db, "alerts", "rules", "load", str(rules), user="reader", code=3)
    assert "2 rules added" in run(db, "alerts", "rules", "load", str(rules), user="analyst").output
    for month in ("2021-01", "2021-02", "2021-03"):
        add_incidents(db, "PK-KP-PSH", month, 4)
    add_incidents(db, "PK-KP-PSH", "2021-04", 5)
    add_incidents(db, "PK-KP-PSH", "2021-04", 1, level="SECRET")
    out = run(db, "alerts", "evaluate", "--month", "2021-04", user="analyst").output
    assert "2 alerts raised or updated" in out
    run(db, "alerts", "evaluate", "--month", "2021-13", user="analyst", code=2)
    listed = json.loads(run(db, "alerts", "list", "--format", "json", user="analyst").output)
    assert {a["classification"] for a in listed} == {"PUBLIC"}
    secret = json.loads(run(db, "alerts", "list", "--format", "json", user="admin").output)
    assert {a["classification"] for a in secret} == {"SECRET"}
    run(db, "alerts", "show", str(secret[0]["id"]), user="analyst", code=4)  # like a missing alert
    shown = json.loads(
        run(db, "alerts", "show", str(listed[0]["id"]), "--format", "json", user="analyst").output
    )
    assert shown["evidence"]["incidents_in_month"] == 5
    run(db, "alerts", "ack", str(listed[0]["id"]), "--note", "seen", user="reader", code=3)
    assert (
        "acknowledged by analyst"
        in run(db, "alerts", "ack", str(listed[0]["id"]), "--note", "seen", user="analyst").output
    )
    assert "acknowledged" in run(db, "alerts", "list", "--status", "acknowledged", user="analyst").output
    out = run(
        db, "alerts", "subscribe", "--channel", "email", "--address", "a@nigran.test", user="analyst"
    ).output
    sub_id = out.split()[1].rstrip(":")
    assert "a@nigran.test" in run(db, "alerts", "subscriptions", user="analyst").output
    run(db, "alerts", "unsubscribe", sub_id, user="admin")
    assert "No subscriptions" in run(db, "alerts", "subscriptions", user="analyst").output


def test_foresight_commands(db: Database, tmp_path: Path) -> None:
    _users(db)
    add_incidents(db, "PK-KP-PSH", "2021-03", 6)
    reg = tmp_path / "register.yaml"
    reg.write_bytes(REGISTER)
    assert "2 scenarios added" in run(db, "foresight", "load", str(reg), user="admin").output
    assert "1 crossed, 1 new crossings" in run(db, "foresight", "check", user="analyst").output
    listed = json.loads(run(db, "foresight", "list", "--format", "json", user="analyst").output)
    assert [s["code"] for s in listed] == ["OPEN"]
    shown = run(db, "foresight", "show", str(listed[0]["id"]), user="analyst").output
    assert "PES-3M (crossed)" in shown and "2021-01-01..2021-03-31" in shown
    out = tmp_path / "export.yaml"
    run(db, "foresight", "export", str(out), user="analyst")
    assert "HIDDEN" not in out.read_text() and "PES-3M" in out.read_text()
    run(db, "foresight", "export", str(out), user="analyst", code=7)  # exists, no --force


def test_evaluate_job_and_schedules(demo_db: Database) -> None:
    from nigran.alerts import tasks
    from nigran.jobs.schedules import SCHEDULES

    assert {"alerts.monthly", "alerts.deliver"} <= set(SCHEDULES)
    setup_history(demo_db)
    analyst = user(demo_db, "analyst")
    with attached(demo_db):
        job_id = submit(demo_db, analyst, "alerts.evaluate", {"month": "2021-04"})
        view = job(demo_db, job_id, analyst)
    assert view.state == "succeeded", view
    with demo_db.session(Principal.system(), readonly=True) as s:
        assert s.scalar(select(func.count(Alert.id)).where(Alert.month == "2021-04")) >= 2
    assert "after the import" in tasks.after_import(demo_db)
    assert "new deliveries planned" in tasks.deliver(demo_db)
    assert f"for {tasks.previous_month()}" in tasks.monthly(demo_db)
    assert tasks.previous_month(__import__("datetime").date(2024, 1, 15)) == "2023-12"


def test_a_change_in_the_incidents_is_evaluated_once(demo_db) -> None:  # type: ignore[no-untyped-def]
    from nigran.alerts import tasks

    tasks._LAST_SEEN.pop(demo_db.url, None)
    first = tasks.after_data_change(demo_db)
    assert first is not None and "alerts raised or updated" in first
    assert tasks.after_data_change(demo_db) is None  # nothing changed since

"""A whole reporting cycle from the command line: cycles, template, errors, submit, review, score, due."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from tests.helpers import load_fixture
from tests.monitoring_support import I1, I2, M1
from typer.testing import CliRunner

from nigran.access.classification import Classification
from nigran.access.principal import Principal, Role
from nigran.access.service import add_user
from nigran.cli import app
from nigran.monitoring.excel import IND_COLS, MS_COLS

runner = CliRunner()
VALUE_COL = IND_COLS.index("Value") + 1
EVIDENCE_COL, STATUS_COL = VALUE_COL + 1, MS_COLS.index("Status") + 1


def run(db, *args: str, user: str | None = None, code: int = 0):  # type: ignore[no-untyped-def]
    argv = ["--db", db.url] + (["--as", user] if user else []) + list(args)
    result = runner.invoke(app, argv, env={"NIGRAN_USER": "", "COLUMNS": "200"})
    assert result.exit_code == code, f"{argv}\n{result.output}"
    return result


@pytest.fixture
def mon(db):  # type: ignore[no-untyped-def]
    with db.session(Principal.system()) as s:
        add_user(s, "analyst", role=Role.ANALYST, clearance=Classification.RESTRICTED)
        add_user(s, "reviewer", role=Role.REVIEWER, clearance=Classification.SECRET)
        add_user(s, "focal-kp", role=Role.FOCAL_PERSON, clearance=Classification.RESTRICTED, entity_code="KP")
        add_user(
            s, "focal-moi", role=Role.FOCAL_PERSON, clearance=Classification.RESTRICTED, entity_code="MOI"
        )
        add_user(s, "reader", role=Role.PUBLIC_READER, clearance=Classification.PUBLIC)
    load_fixture(db, "monitoring-framework.yaml")
    return db


def _fill(path: Path, value: object, evidence: object, status: object) -> None:
    wb = load_workbook(path)
    wb["Indicators"].cell(2, VALUE_COL).value = value
    wb["Indicators"].cell(2, EVIDENCE_COL).value = evidence
    wb["Milestones"].cell(2, STATUS_COL).value = status
    wb["Milestones"].cell(2, STATUS_COL + 1).value = "notification 7"
    wb.save(path)


def test_a_whole_cycle_from_the_command_line(mon, tmp_path):
    db = mon
    out = run(db, "reporting", "cycles", "create", "-f", "MON-T", "2024", user="analyst").output
    assert "1 cycle created (2024), 7 obligations derived" in out
    assert "2025-03-01" in run(db, "reporting", "cycles", "list", "-f", "MON-T").output
    book = tmp_path / "kp-2024.xlsx"
    run(
        db,
        "reporting",
        "template",
        "--entity",
        "KP",
        "--cycle",
        "2024",
        "-f",
        "MON-T",
        "-o",
        str(book),
        user="focal-kp",
    )

    _fill(book, "lots", None, "finished")
    bad = run(db, "reporting", "submit", str(book), user="focal-kp", code=2).output
    assert "sheet 'Indicators', row 2, column I (Value): 'lots' is not a number" in bad
    assert "sheet 'Milestones', row 2, column E (Status): unknown status 'finished'" in bad
    assert "nothing was written" in bad

    _fill(book, 55, "KP letter 12/2025", "completed")
    out = run(db, "reporting", "submit", str(book), user="focal-kp").output
    value_id, milestone_id = (int(x) for x in re.search(r"submission ids: (\d+), (\d+)", out).groups())

    run(db, "reporting", "verify", str(value_id), user="focal-kp", code=3)  # focal persons do not verify
    run(db, "reporting", "verify", str(value_id), user="reviewer")
    assert "cannot verify" in run(db, "reporting", "verify", str(value_id), user="reviewer", code=5).output
    run(db, "reporting", "return", str(milestone_id), "--comment", "attach the notification", user="reviewer")
    run(
        db,
        "reporting",
        "resubmit",
        str(milestone_id),
        "--evidence",
        "https://example.org/n7.pdf",
        user="focal-kp",
    )
    run(db, "reporting", "verify", str(milestone_id), "--version", "3", user="reviewer")
    history = run(db, "reporting", "show", str(milestone_id), user="reviewer").output
    for step in ("submit", "return", "attach the notification", "resubmit", "verify", "focal-kp", "reviewer"):
        assert step in history
    run(
        db,
        "reporting",
        "submit-value",
        "-f",
        "MON-T",
        "-c",
        "2024",
        "-i",
        I2,
        "--value",
        "900",
        "--evidence",
        "MOI annual report",
        user="focal-moi",
    )

    tree = json.loads(
        run(db, "score", "-f", "MON-T", "--cycle", "2024", "--format", "json", user="analyst").output
    )
    indicator = next(
        i for s in tree["sections"] for o in s["objectives"] for i in o["indicators"] if i["code"] == I1
    )
    assert indicator["score"] == 0.75 and indicator["submission_ids"] == [value_id]
    milestone = next(
        m for s in tree["sections"] for o in s["objectives"] for m in o["milestones"] if m["code"] == M1
    )
    assert milestone["status"] == "achieved" and milestone["submission_ids"] == [milestone_id]
    assert tree["objectives_total"] == 3

    rows = list(
        csv.DictReader(
            io.StringIO(
                run(
                    db,
                    "score",
                    "-f",
                    "MON-T",
                    "-c",
                    "2024",
                    "--by",
                    "entity",
                    "--format",
                    "csv",
                    user="analyst",
                ).output
            )
        )
    )
    assert {r["code"] for r in rows} == {"KP", "MOI", "NSD"}
    drill = run(db, "score", "-f", "MON-T", "-c", "2024", "--drill", I1, user="analyst").output
    assert str(value_id) in drill and "KP letter" in drill
    table = run(db, "score", "-f", "MON-T", "-c", "2024", "--by", "objective", user="analyst").output
    assert "MON-T.S1.O1" in table and "Objectives achieved" in table

    due = run(db, "reporting", "due", "-f", "MON-T", "--as-of", "2025-06-30", user="analyst").output
    assert "Reminder to NSD" in due and "MON-T.S1.O2.I2" in due

    public = run(db, "score", "-f", "MON-T", "-c", "2024", "--format", "json", user="reader").output
    assert "MON-T.S2" not in public and "CANARY" not in public


def test_help_of_every_command_has_an_example():
    for args in (["reporting"], ["reporting", "cycles"], ["score"]):
        assert "Example:" in runner.invoke(app, [*args, "--help"]).output
    for cmd in (
        "template",
        "submit",
        "submit-value",
        "queue",
        "verify",
        "return",
        "resubmit",
        "send",
        "show",
        "due",
    ):
        assert "Example:" in runner.invoke(app, ["reporting", cmd, "--help"]).output, cmd

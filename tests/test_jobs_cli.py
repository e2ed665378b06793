"""``nigran jobs list|show|result`` for operators: the acting user's jobs, an administrator's view of all."""

from __future__ import annotations

import json
from pathlib import Path

from tests.jobs_support import INCIDENTS, attached, submit, user
from typer.testing import CliRunner

from nigran.cli import app
from nigran.storage.db import Database

runner = CliRunner()


def run(db: Database, *args: str, user: str | None = None, code: int = 0) -> str:
    argv = ["--db", db.url] + (["--as", user] if user else []) + list(args)
    result = runner.invoke(app, argv, env={"NIGRAN_USER": ""})
    assert result.exit_code == code, f"{argv}\n{result.output}"
    return result.output


def test_jobs_commands_show_what_the_acting_user_may_see(demo_db: Database, tmp_path: Path) -> None:
    with attached(demo_db):
        bad = submit(
            demo_db,
            user(demo_db, "analyst"),
            "incidents.import",
            {"format": "acled"},
            INCIDENTS / "acled_bad.csv",
        )
        export = submit(demo_db, user(demo_db, "reader"), "incidents.export", {"format": "csv"})
    listing = json.loads(run(demo_db, "jobs", "list", "--format", "json", user="admin"))
    assert {j["id"] for j in listing["items"]} == {bad, export}
    mine = json.loads(run(demo_db, "jobs", "list", "--format", "json", user="reader"))
    assert [j["id"] for j in mine["items"]] == [export]
    shown = run(demo_db, "jobs", "show", str(bad), user="analyst")
    assert "failed" in shown and "acled_bad.csv:3:" in shown and "not a date" in shown
    run(demo_db, "jobs", "show", str(bad), user="reader", code=4)  # someone else's job: not found
    run(demo_db, "jobs", "list", "--state", "sleeping", user="admin", code=2)
    out = tmp_path / "incidents.csv"
    run(demo_db, "jobs", "result", str(export), "-o", str(out), user="reader")
    assert out.read_bytes().startswith(b"id,date") or out.read_bytes().startswith(b"\xef\xbb\xbfid,date")
    run(demo_db, "jobs", "result", str(export), "-o", str(out), user="reader", code=7)  # exists, no --force
    run(demo_db, "jobs", "result", str(bad), "-o", str(tmp_path / "x"), user="analyst", code=4)  # no result

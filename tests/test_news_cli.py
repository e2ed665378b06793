"""``nigran news ingest|list|show`` and ``nigran news feeds add|list|remove`` on recorded files."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from nigran.cli import app
from nigran.storage.db import Database

runner = CliRunner()
NEWS = Path(__file__).parent / "fixtures" / "news"


def run(db: Database, *args: str, user: str | None = "analyst", code: int = 0) -> str:
    argv = ["--db", db.url] + (["--as", user] if user else []) + list(args)
    result = runner.invoke(app, argv, env={"NIGRAN_USER": "", "COLUMNS": "80"})
    assert result.exit_code == code, f"{argv}\n{result.output}"
    assert "Traceback" not in result.output
    return result.output


def _articles(db: Database, *args: str) -> list[dict]:
    return json.loads(run(db, "news", "list", "--format", "json", "--limit", "1000", *args))["items"]


def test_ingest_a_folder_stores_the_good_documents_and_exits_2_naming_each_problem(demo_db: Database) -> None:
    out = run(demo_db, "news", "ingest", str(NEWS), "--outlet", "Desk", code=2)
    assert "reports.jsonl:3: not a JSON object" in out and "reports.jsonl:4: published" in out
    assert "reports.jsonl:5: text: missing or empty" in out
    assert "3 problems found; the other documents were stored." in out
    assert "1 file skipped (not a news document)" in out and "stray.csv" in out
    items = _articles(demo_db)
    # 16 documents (the README.md is text too): the Dawn page equals the feed's entry, the Bannu page and the
    # editorial are there twice
    assert len(items) == 13
    assert sum(i["status"] == "set_aside" for i in items) == 2
    assert {i["outlet"] for i in items if i["source_kind"] == "text"} == {"Desk"}
    again = run(demo_db, "news", "ingest", str(NEWS / "dawn-pakistan.rss"))
    assert "already stored" in again and len(_articles(demo_db)) == 13


def test_all_or_nothing_stores_nothing_when_a_line_is_bad(demo_db: Database) -> None:
    out = run(demo_db, "news", "ingest", str(NEWS / "reports.jsonl"), "--all-or-nothing", code=2)
    assert "nothing was stored" in out and _articles(demo_db) == []
    run(demo_db, "news", "ingest", str(NEWS / "dawn-pakistan.rss"), "--all-or-nothing")
    assert len(_articles(demo_db)) == 3


def test_list_and_show_with_filters(demo_db: Database) -> None:
    run(demo_db, "news", "ingest", str(NEWS / "tribune-kp.atom"), str(NEWS / "urdu-peshawar.txt"))
    urdu = _articles(demo_db, "--language", "ur")
    assert len(urdu) == 2 and {i["status"] for i in urdu} == {"set_aside"}
    table = run(demo_db, "news", "list", "--status", "set_aside")
    assert "2 of 2 articles" in table and all(len(line) <= 80 for line in table.splitlines())
    shown = run(demo_db, "news", "show", str(urdu[0]["id"]))
    assert "set_aside_reason:" in shown and "a person must read it" in shown
    as_json = json.loads(run(demo_db, "news", "show", str(urdu[0]["id"]), "--format", "json"))
    assert as_json["language"] == "ur" and as_json["text"]
    run(demo_db, "news", "show", "987001", code=4)
    run(demo_db, "news", "list", "--from", "2024-02-30", code=2)
    run(demo_db, "news", "list", "--status", "sleeping", code=2)


def test_feeds_commands_and_who_may_use_them(demo_db: Database) -> None:
    out = run(
        demo_db, "news", "feeds", "add", "dawn", "https://www.dawn.com/feeds/pakistan", "--interval", "30"
    )
    assert "feed 1 'dawn' added" in out
    run(demo_db, "news", "feeds", "add", "dawn", "https://www.dawn.com/feeds/pakistan", code=5)
    run(demo_db, "news", "feeds", "add", "bad", "ftp://x", code=2)
    run(demo_db, "news", "feeds", "add", "x", "https://x.example/f", user="reviewer", code=3)
    listed = json.loads(run(demo_db, "news", "feeds", "list", "--format", "json"))["items"]
    assert [(f["name"], f["interval_minutes"], f["last_status"]) for f in listed] == [("dawn", 30, None)]
    assert "never" in run(demo_db, "news", "feeds", "list")
    run(demo_db, "news", "feeds", "poll", "nosuch", code=4)
    run(demo_db, "news", "feeds", "remove", "dawn", user="reviewer", code=3)
    assert "removed" in run(demo_db, "news", "feeds", "remove", "dawn")
    run(demo_db, "news", "feeds", "remove", "dawn", code=4)
    assert "no feeds configured" in run(demo_db, "news", "feeds", "poll")


def test_writes_need_an_analyst_or_administrator(demo_db: Database) -> None:
    out = run(demo_db, "news", "ingest", str(NEWS / "editorial.txt"), user="reader", code=3)
    assert "may not store articles" in out
    run(demo_db, "news", "ingest", str(NEWS / "editorial.txt"), user=None, code=3)
    run(demo_db, "news", "ingest", str(NEWS / "editorial.txt"), user="admin")
    run(demo_db, "news", "ingest", str(NEWS / "no-such-file.txt"), code=2)


def test_without_a_database_nothing_is_read_or_fetched(tmp_path: Path) -> None:
    argv = ["--db", f"sqlite:///{tmp_path / 'none.db'}", "news", "ingest", "https://www.dawn.com/"]
    result = runner.invoke(app, argv, env={"NIGRAN_USER": ""})
    assert result.exit_code != 0 and "no Nigran database" in result.output
    assert not (tmp_path / "none.db").exists()

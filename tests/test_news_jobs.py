"""``news.ingest`` jobs (uploads), and the ``news.poll`` schedule against a local server of recorded feeds."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from tests.jobs_support import attached, job, submit, user

from nigran.access.principal import Principal
from nigran.core.errors import AccessDenied
from nigran.jobs import schedules
from nigran.jobs.tasks import TASKS, Upload
from nigran.news import feeds, service
from nigran.news.tasks import poll_due
from nigran.storage.db import Database

NEWS = Path(__file__).parent / "fixtures" / "news"


def test_an_uploaded_file_is_ingested_by_a_job_with_its_problems_listed(demo_db: Database) -> None:
    analyst = user(demo_db, "analyst")
    upload = Upload("reports.jsonl", (NEWS / "reports.jsonl").read_bytes(), "application/x-ndjson")
    with attached(demo_db):
        job_id = submit(demo_db, analyst, "news.ingest", {"outlet": "Upload Wire"}, upload)
    done = job(demo_db, job_id, analyst)
    assert done.state == "succeeded", done
    assert done.result["stored"] == 3 and done.result["already_stored"] == 0
    assert [p.split(": ")[0] for p in done.result["problems"]] == [
        "reports.jsonl:3", "reports.jsonl:4", "reports.jsonl:5",
    ]  # fmt: skip
    with demo_db.session(analyst, readonly=True) as s:
        outlets = sorted(a.outlet for a in service.list_articles(s))
    assert outlets == ["Synthetic Wire", "Upload Wire", "Upload Wire"]  # the option fills, never overrides


def test_a_job_whose_file_holds_nothing_readable_fails_with_the_problems(demo_db: Database) -> None:
    analyst = user(demo_db, "analyst")
    with attached(demo_db):
        job_id = submit(demo_db, analyst, "news.ingest", {}, Upload("x.jsonl", b'{"id": 1}\n'))
    failed = job(demo_db, job_id, analyst)
    assert failed.state == "failed" and any("text" in p["message"] for p in failed.problems)
    with demo_db.session(analyst, readonly=True) as s:
        assert service.count_articles(s) == 0


def test_only_writers_submit_ingest_jobs(demo_db: Database) -> None:
    with pytest.raises(AccessDenied):
        submit(demo_db, user(demo_db, "reviewer"), "news.ingest", {}, Upload("a.txt", b"Police said."))
    assert TASKS["news.ingest"].writes and "news.poll" in schedules.SCHEDULES


# ---- the schedule, against a local server ------------------------------------------------------------------


class FeedServer(BaseHTTPRequestHandler):
    """Serves the recorded feeds with an ETag, and 304 when the client sends it back."""

    hits: ClassVar[list[tuple[str, str | None]]] = []

    def do_GET(self) -> None:
        FeedServer.hits.append((self.path, self.headers.get("If-None-Match")))
        files = {
            "/dawn.rss": "dawn-pakistan.rss",
            "/kp.atom": "tribune-kp.atom",
            "/page": "tribune-bannu.html",
        }
        if self.path not in files:
            self.send_response(404)
            self.end_headers()
            return
        etag = f'"{self.path}-1"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.end_headers()
            return
        body = (NEWS / files[self.path]).read_bytes()
        self.send_response(200)
        self.send_header(
            "Content-Type", "text/html; charset=utf-8" if self.path == "/page" else "application/rss+xml"
        )
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    FeedServer.hits = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FeedServer)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_the_schedule_polls_due_feeds_as_the_system_and_nothing_without_feeds(
    db: Database, server: str
) -> None:
    run = schedules.SCHEDULES["news.poll"].run
    assert run(db) is None and FeedServer.hits == []  # no feeds: no request at all
    with db.session(Principal.system()) as s:
        feeds.add_feed(s, "dawn", f"{server}/dawn.rss", outlet="Dawn", interval_minutes=30)
        feeds.add_feed(s, "kp", f"{server}/kp.atom", interval_minutes=60)
        feeds.add_feed(s, "gone", f"{server}/missing.rss", interval_minutes=60)
    t0 = datetime.now(UTC)
    line = run(db)
    assert line is not None and "dawn:" in line and "ok: 3 new" in line and "HTTP 404" in line
    with db.session(Principal.system(), readonly=True) as s:
        articles = service.list_articles(s, limit=None)
        assert len(articles) == 5 and sum(a.status == "set_aside" for a in articles) == 1
        assert {a.ingested_by for a in articles} == {"system"}
        assert {a.feed.name for a in articles} == {"dawn", "kp"}
    assert poll_due(db, now=t0 + timedelta(minutes=10)) is None  # none due yet
    second = poll_due(db, now=t0 + timedelta(minutes=31))  # only dawn is due: a conditional GET, 304
    assert second is not None and "dawn:" in second and "not modified" in second and "kp:" not in second
    assert FeedServer.hits[-1] == ("/dawn.rss", '"/dawn.rss-1"')
    with db.session(Principal.system(), readonly=True) as s:
        assert service.count_articles(s) == 5


def test_urls_named_in_the_command_are_fetched_with_httpx(demo_db: Database, server: str) -> None:
    from typer.testing import CliRunner

    from nigran.cli import app

    argv = ["--db", demo_db.url, "--as", "analyst", "news", "ingest", f"{server}/page", f"{server}/dawn.rss",
            f"{server}/missing"]  # fmt: skip
    result = CliRunner().invoke(app, argv, env={"NIGRAN_USER": ""})
    assert result.exit_code == 2, result.output
    assert f"{server}/missing: cannot fetch: HTTP 404" in result.output
    with demo_db.session(Principal.system(), readonly=True) as s:
        articles = service.list_articles(s, limit=None)
        assert sorted(a.source_kind for a in articles) == ["feed", "feed", "feed", "url"]
        page = next(a for a in articles if a.source_kind == "url")
        assert page.outlet == "The Express Tribune" and page.url.startswith(
            "https://tribune.com.pk/story/2500002"
        )
    assert [h[0] for h in FeedServer.hits] == ["/page", "/dawn.rss", "/missing"]

"""``/metrics``: who may read it, route templates (not raw paths), queue depth, job and import counts,
several processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from huey import MemoryHuey
from prometheus_client import REGISTRY
from tests.jobs_support import INCIDENTS, attached, submit, user
from tests.web_support import client_for

from nigran.core.settings import Settings
from nigran.ops import metrics
from nigran.storage.db import Database
from nigran.web.app import create_app
from nigran.web.config import WebSettings

LOOPBACK = ("127.0.0.1", 40000)


def _app(db: Database, tmp_path: Path):  # type: ignore[no-untyped-def]
    return create_app(Settings(database_url=db.url, data_dir=tmp_path), db=db, web_settings=WebSettings())


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_only_from_loopback_or_with_the_token(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(metrics.TOKEN_ENV, raising=False)
    app = _app(db, tmp_path)
    remote = TestClient(app, client=("203.0.113.9", 50000))
    local = TestClient(app, client=LOOPBACK)
    assert remote.get("/metrics").status_code == 404
    answer = local.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert "nigran_http_request_duration_seconds" in answer.text
    # relayed by a proxy on loopback: not a direct connection
    assert local.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 404
    assert remote.get("/metrics", headers={"Authorization": "Bearer anything"}).status_code == 404
    monkeypatch.setenv(metrics.TOKEN_ENV, "tok-3f9a1c")
    assert remote.get("/metrics", headers={"Authorization": "Bearer tok-3f9a1c"}).status_code == 200
    assert remote.get("/metrics", headers={"Authorization": "Bearer tok-3f9a1"}).status_code == 404
    assert remote.get("/metrics", headers={"Authorization": "Basic tok-3f9a1c"}).status_code == 404


def test_latency_is_labelled_by_route_template(demo_db: Database, tmp_path: Path) -> None:
    client = client_for(demo_db, "analyst")
    key = {"route": "/api/jobs/{job_id}", "method": "GET", "status": "4xx"}
    before = _value("nigran_http_request_duration_seconds_count", **key)
    assert client.get("/api/jobs/987654").status_code == 404
    assert client.get("/api/jobs/987655").status_code == 404
    assert _value("nigran_http_request_duration_seconds_count", **key) == before + 2
    unmatched = {"route": "<unmatched>", "method": "GET", "status": "4xx"}
    before = _value("nigran_http_request_duration_seconds_count", **unmatched)
    client.get("/no/such/page/4711")
    assert _value("nigran_http_request_duration_seconds_count", **unmatched) == before + 1
    text = metrics.render(None).decode()
    assert "987654" not in text and "4711" not in text  # raw paths never become labels
    odd = {"route": "<unmatched>", "method": "other", "status": "4xx"}
    before = _value("nigran_http_request_duration_seconds_count", **odd)
    client.request("BREW", "/x")
    assert _value("nigran_http_request_duration_seconds_count", **odd) == before + 1


def test_queue_depth_by_kind_from_the_database(demo_db: Database, tmp_path: Path) -> None:
    analyst = user(demo_db, "analyst")
    metrics.QueueDepth.clear_cache()
    empty = metrics.render(demo_db).decode()
    assert 'nigran_jobs_waiting{kind="incidents.export"' not in empty
    with attached(demo_db, MemoryHuey("depth", immediate=False, results=False)):  # no consumer: they wait
        submit(demo_db, analyst, "incidents.export", {"format": "csv"})
        submit(demo_db, analyst, "incidents.export", {"format": "csv"})
    assert 'nigran_jobs_waiting{kind="incidents.export"' not in metrics.render(demo_db).decode()  # cached
    metrics.QueueDepth.clear_cache()
    text = metrics.render(demo_db).decode()
    assert 'nigran_jobs_waiting{kind="incidents.export",state="queued"} 2.0' in text


def test_job_outcomes_durations_and_imported_rows(demo_db: Database) -> None:
    analyst = user(demo_db, "analyst")
    ok = {"kind": "incidents.import", "outcome": "succeeded"}
    failed = {"kind": "incidents.import", "outcome": "failed"}
    runs, fails = _value("nigran_jobs_total", **ok), _value("nigran_jobs_total", **failed)
    rows = _value("nigran_incident_rows_imported_total")
    timed = _value("nigran_job_duration_seconds_count", **ok)
    with attached(demo_db):
        submit(demo_db, analyst, "incidents.import", {"format": "acled"}, INCIDENTS / "acled_small.csv")
        # the same rows again: nothing new is inserted, so the counter does not move
        submit(demo_db, analyst, "incidents.import", {"format": "acled"}, INCIDENTS / "acled_small.csv")
        bad = INCIDENTS.parent / "nonexistent.csv"
        from nigran.jobs.tasks import Upload

        submit(demo_db, analyst, "incidents.import", {"format": "acled"}, Upload(bad.name, b"garbage\n1,2\n"))
    assert _value("nigran_jobs_total", **ok) == runs + 2
    assert _value("nigran_jobs_total", **failed) == fails + 1
    assert _value("nigran_job_duration_seconds_count", **ok) == timed + 2
    assert _value("nigran_incident_rows_imported_total") == rows + 5


def test_extraction_counters_from_a_job_summary() -> None:
    articles, candidates = (
        _value("nigran_articles_extracted_total"),
        _value("nigran_extraction_candidates_total"),
    )
    metrics.observe_job("extract.articles", "succeeded", 1.5, {"extracted": [1, 2, 3], "candidates": 4})
    metrics.observe_job("extract.articles", "failed", 0.5, {"extracted": [9], "candidates": 9})
    assert _value("nigran_articles_extracted_total") == articles + 3
    assert _value("nigran_extraction_candidates_total") == candidates + 4


_PROCESS = """
import sys
from nigran.ops import metrics
if sys.argv[1] == "inc":
    metrics.IMPORTED_ROWS.inc(int(sys.argv[2]))
    metrics.observe_request("/healthz", "GET", 200, 0.01)
else:
    sys.stdout.write(metrics.render(None).decode())
"""


def test_several_processes_share_metrics_through_the_multiprocess_folder(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for n in ("3", "4"):
        subprocess.run([sys.executable, "-c", _PROCESS, "inc", n], env=env, check=True, timeout=60)
    out = subprocess.run(
        [sys.executable, "-c", _PROCESS, "show"],
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    ).stdout
    assert "nigran_incident_rows_imported_total 7.0" in out
    assert 'nigran_http_request_duration_seconds_count{method="GET",route="/healthz",status="2xx"} 2.0' in out


def test_route_template_without_fastapi_context() -> None:
    from starlette.routing import Mount, Route

    from nigran.ops.pages import route_template

    def endpoint(request):  # type: ignore[no-untyped-def]
        return None

    route = Route("/jobs/{job_id}", endpoint)
    assert route_template({"route": route, "path": "/api/jobs/5"}) == "/api/jobs/{job_id}"
    assert route_template({"route": route, "path": "/jobs/5"}) == "/jobs/{job_id}"
    assert (
        route_template({"route": Mount("/static", app=endpoint), "root_path": "/static"}) == "/static/{path}"
    )
    assert route_template({"path": "/anything/123"}) == "<unmatched>"

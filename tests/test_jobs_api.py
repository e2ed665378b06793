"""``/api/jobs`` through the web platform: submit with CSRF, poll, download; someone else's job is a 404."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.jobs_support import INCIDENTS, attached
from tests.web_support import client_for, csrf, sign_in

from nigran.demo import DEMO_PASSWORDS
from nigran.jobs import queue as job_queue
from nigran.storage.db import Database
from nigran.web.app import create_app
from nigran.web.config import WebSettings


def test_submit_poll_and_download_through_the_api(demo_db: Database) -> None:
    with attached(demo_db):
        analyst = client_for(demo_db, "analyst")
        token = csrf(analyst)
        refused = analyst.post("/api/jobs", data={"kind": "incidents.export", "params": '{"format": "csv"}'})
        assert refused.status_code == 403  # no CSRF token
        with (INCIDENTS / "acled_small.csv").open("rb") as fh:
            made = analyst.post(
                "/api/jobs",
                data={"kind": "incidents.import", "params": '{"format": "acled"}'},
                files={"file": ("acled_small.csv", fh, "text/csv")},
                headers={"X-CSRF-Token": token},
            )
        assert made.status_code == 202, made.text
        imported = analyst.get(made.headers["location"]).json()
        assert (imported["state"], imported["progress"], imported["result"]["inserted"]) == (
            "succeeded",
            100,
            5,
        )
        assert imported["result_url"] is None and imported["finished"] is True

        export = analyst.post(
            "/api/jobs",
            data={"kind": "incidents.export", "params": '{"format": "csv"}'},
            headers={"X-CSRF-Token": token},
        ).json()
        done = analyst.get(export["url"]).json()
        assert done["result_url"] == f"/api/jobs/{export['id']}/result"
        file = analyst.get(done["result_url"])
        assert file.status_code == 200 and file.headers["content-type"].startswith("text/csv")
        assert 'filename="incidents.csv"' in file.headers["content-disposition"]

        bad = analyst.post(
            "/api/jobs",
            data={
                "kind": "incidents.export",
                "params": '{"format": "csv", "filters": {"province": "Atlantis"}}',
            },
            headers={"X-CSRF-Token": token},
        )
        assert bad.status_code == 422 and "province" in bad.text
        assert (
            analyst.post(
                "/api/jobs", data={"kind": "x", "params": "[1"}, headers={"X-CSRF-Token": token}
            ).status_code
            == 422
        )

        listing = analyst.get("/api/jobs?per_page=10").json()
        assert {j["id"] for j in listing["items"]} == {imported["id"], export["id"]} and listing["total"] == 2

        reader = client_for(demo_db, "reader")
        assert reader.get(export["url"]).status_code == 404
        assert reader.get(done["result_url"]).status_code == 404
        assert reader.get("/api/jobs").json()["total"] == 0
        anonymous = client_for(demo_db)
        assert anonymous.get("/api/jobs").status_code == 401
        assert anonymous.get(export["url"]).status_code == 401


def test_the_server_runs_jobs_with_its_embedded_consumer(
    demo_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NIGRAN_DATA_DIR", str(tmp_path))  # the PostgreSQL run's queue file
    monkeypatch.delenv("NIGRAN_QUEUE_URL", raising=False)
    app = create_app(db=demo_db, web_settings=WebSettings(), embedded_jobs=True)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:  # the lifespan starts the consumer
            sign_in(client, "analyst", DEMO_PASSWORDS["analyst"])
            made = client.post(
                "/api/jobs",
                data={"kind": "incidents.export", "params": '{"format": "json"}'},
                headers={"X-CSRF-Token": csrf(client)},
            )
            assert made.status_code == 202, made.text
            deadline = time.monotonic() + 60
            while (state := client.get(made.headers["location"]).json())["state"] not in (
                "succeeded",
                "failed",
            ):
                assert time.monotonic() < deadline, state
                time.sleep(0.1)
            assert state["state"] == "succeeded", state
            assert client.get(state["result_url"]).json()  # a JSON list of incidents
    finally:
        job_queue.detach(demo_db)

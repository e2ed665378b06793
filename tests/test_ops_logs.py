"""Structured logs: JSON lines with the request id, route, status, duration and user; no secrets."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from tests.web_support import client_for

from nigran.demo import DEMO_PASSWORDS
from nigran.ops import logs
from nigran.storage.db import Database

SECRETS = ("qs-S3CRET-9f1", "hdr-S3CRET-77a", "cookie-S3CRET-4c2")


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """JSON log lines of the ``nigran`` loggers, as ``NIGRAN_LOG_FORMAT=json`` writes them."""
    stream = io.StringIO()
    handler = logs.make_handler(stream, "json")
    logger = logging.getLogger("nigran")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_access_line_in_json_with_the_callers_request_id(demo_db: Database, captured: io.StringIO) -> None:
    client = client_for(demo_db, "analyst")
    captured.truncate(0)
    captured.seek(0)
    answer = client.get("/api/jobs/424242", headers={"X-Request-ID": "edge-7f3a.1"})
    assert answer.headers["x-request-id"] == "edge-7f3a.1"
    (line,) = [r for r in _lines(captured) if r["logger"] == "nigran.access"]
    assert line["request_id"] == "edge-7f3a.1"
    assert (line["level"], line["method"], line["route"], line["status"], line["user"]) == (
        "INFO",
        "GET",
        "/api/jobs/{job_id}",
        404,
        "analyst",
    )
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["time"].endswith("Z") and "T" in line["time"]
    assert "424242" not in json.dumps(line)  # the route template, not the raw path


@pytest.mark.parametrize("sent", ["", "has space", "x" * 101, "<script>", b"a\xc3\xa9b", "-leading"])
def test_insane_request_ids_are_replaced(demo_db: Database, captured: io.StringIO, sent: str | bytes) -> None:
    client = client_for(demo_db)
    answer = client.get("/healthz", headers={"X-Request-ID": sent})
    made = answer.headers["x-request-id"]
    assert made != sent and len(made) == 32 and int(made, 16) >= 0
    assert _lines(captured)[-1]["request_id"] == made


def test_no_token_password_or_cookie_reaches_the_logs(demo_db: Database, captured: io.StringIO) -> None:
    client = client_for(demo_db)  # anonymous; signs in below, so the password crosses the middleware
    from tests.web_support import sign_in

    sign_in(client, "analyst", DEMO_PASSWORDS["analyst"])
    client.cookies.set("tracker", SECRETS[2])
    client.get(f"/api/jobs?token={SECRETS[0]}&access_token={SECRETS[0]}")
    client.get("/api/session", headers={"Authorization": f"Bearer {SECRETS[1]}", "X-Api-Key": SECRETS[1]})
    client.get(f"/login?next=/account&password={SECRETS[0]}")
    logging.getLogger("nigran.jobs").warning("a record from deep inside, outside any request")
    text = captured.getvalue()
    assert text.count('"logger": "nigran.access"') >= 4
    for secret in (*SECRETS, DEMO_PASSWORDS["analyst"], "nigran_session"):
        assert secret not in text
    last = _lines(captured)[-1]
    assert last["logger"] == "nigran.jobs" and last["request_id"] is None and last["level"] == "WARNING"


def test_errors_carry_the_exception_and_the_request_id() -> None:
    stream = io.StringIO()
    handler = logs.make_handler(stream, "json")
    logger = logging.getLogger("nigran.test-ops-logs")
    logger.addHandler(handler)
    logger.propagate = False
    token = logs.REQUEST_ID.set("rid-1")
    try:
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("it failed")
    finally:
        logs.REQUEST_ID.reset(token)
        logger.removeHandler(handler)
    (line,) = _lines(stream)
    assert (line["message"], line["level"], line["request_id"]) == ("it failed", "ERROR", "rid-1")
    assert "ValueError: boom" in line["exception"]


def test_configure_human_by_default_and_json_on_request(monkeypatch: pytest.MonkeyPatch) -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    access = logging.getLogger("uvicorn.access")
    saved_access = (access.handlers[:], access.propagate, access.disabled)
    try:
        monkeypatch.delenv(logs.FORMAT_ENV, raising=False)
        stream = io.StringIO()
        logs.configure(stream)
        logging.getLogger("nigran.x").info("plain words")
        assert "INFO" in stream.getvalue() and "nigran.x [-] plain words" in stream.getvalue()
        monkeypatch.setenv(logs.FORMAT_ENV, "json")
        stream = io.StringIO()
        logs.configure(stream)
        logs.configure(stream)  # idempotent: one handler
        logging.getLogger("uvicorn.error").info("started")
        access.info('127.0.0.1 - "GET /x?token=%s HTTP/1.1" 200', SECRETS[0])  # uvicorn's raw-URL line
        (line,) = _lines(stream)
        assert line["logger"] == "uvicorn.error" and line["message"] == "started"
        assert access.disabled
    finally:
        root.handlers[:], _ = saved[0], root.setLevel(saved[1])
        access.handlers, access.propagate, access.disabled = saved_access
        for name in ("uvicorn", "uvicorn.error"):
            logging.getLogger(name).propagate = True

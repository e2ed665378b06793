"""Delivery of alerts by email (a local aiosmtpd server) and webhook (a local http.server): each recorded,
never sent twice, failures retried, and only alerts the recipient's clearance covers — checked again at
the moment of sending. Never the internet."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from tests.test_alerts import PES, add_incidents, setup_history

from nigran.access.classification import Classification
from nigran.access.models import User
from nigran.access.principal import Principal, Role
from nigran.access.service import add_user
from nigran.alerts.delivery import SIGNATURE_HEADER, SmtpSettings, send_pending
from nigran.alerts.evaluate import evaluate
from nigran.alerts.models import Delivery
from nigran.alerts.service import subscribe
from nigran.storage.db import Database


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace")))
        return "250 OK"


class Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []
    fail_next = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if Hook.fail_next > 0:
            Hook.fail_next -= 1
            self.send_response(500)
            self.end_headers()
            return
        Hook.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def smtp():  # type: ignore[no-untyped-def]
    inbox = Inbox()
    import socket

    with socket.socket() as probe:  # a free port (the controller cannot report one it chose itself)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield (
            inbox,
            SmtpSettings(
                host="127.0.0.1",
                port=port,
                sender="alerts@nigran.test",
            ),
        )
    finally:
        controller.stop()


@pytest.fixture
def hook():  # type: ignore[no-untyped-def]
    Hook.received, Hook.fail_next = [], 0
    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


def _user(db: Database, name: str, role: Role, level: Classification) -> Principal:
    with db.session(Principal.system()) as s:
        add_user(s, name, role=role, clearance=level, display_name=name)
        return s.scalar(select(User).where(User.username == name)).principal()


def test_email_and_webhook_by_clearance_once(db: Database, smtp, hook) -> None:  # type: ignore[no-untyped-def]
    inbox, settings = smtp
    desk = _user(db, "desk", Role.ANALYST, Classification.RESTRICTED)
    boss = _user(db, "boss", Role.ADMINISTRATOR, Classification.SECRET)
    with db.session(desk) as s:
        subscribe(s, "email", "desk@nigran.test", provinces=["Khyber Pakhtunkhwa"], rule_kinds=["escalation"])
    with db.session(boss) as s:
        subscribe(s, "webhook", hook, secret="s3cret-key")
    setup_history(db)
    add_incidents(db, PES, "2021-04", 1, level="SECRET")
    with db.session(Principal.system()) as s:
        evaluate(s, "2021-04")
    report = send_pending(db, smtp=settings)
    assert (report.sent, report.failed, report.withheld) == (4, 0, 0)  # two rules, each to both subscribers
    # the RESTRICTED analyst's email carries the PUBLIC alerts only (5 incidents), never the SECRET figure
    assert len(inbox.messages) == 2
    assert all(rcpt == ["desk@nigran.test"] for rcpt, _ in inbox.messages)
    joined = "\n".join(text for _, text in inbox.messages)
    assert "[PUBLIC]" in joined and "SECRET" not in joined
    # the SECRET administrator's webhook gets the SECRET level, signed
    assert len(Hook.received) == 2
    for headers, body in Hook.received:
        data = json.loads(body)
        assert data["alert"]["classification"] == "SECRET"
        expected = "sha256=" + hmac.new(b"s3cret-key", body, hashlib.sha256).hexdigest()
        assert headers[SIGNATURE_HEADER] == expected
    # nothing is sent twice
    again = send_pending(db, smtp=settings)
    assert (again.planned, again.sent) == (0, 0)
    assert len(inbox.messages) == 2 and len(Hook.received) == 2
    with db.session(Principal.system(), readonly=True) as s:
        rows = s.scalars(select(Delivery)).all()
        assert {d.status for d in rows} == {"sent"} and all(d.attempts == 1 for d in rows)


def test_lowered_clearance_stops_delivery(db: Database, hook) -> None:  # type: ignore[no-untyped-def]
    from nigran.alerts.delivery import plan

    boss = _user(db, "boss", Role.ADMINISTRATOR, Classification.SECRET)
    with db.session(boss) as s:
        subscribe(s, "webhook", hook)
    setup_history(db)
    add_incidents(db, PES, "2021-04", 1, level="SECRET")
    with db.session(Principal.system()) as s:
        evaluate(s, "2021-04")
        assert plan(s) == 2  # planned for the SECRET alerts
        s.scalar(select(User).where(User.username == "boss")).clearance = Classification.RESTRICTED
    report = send_pending(db, smtp=SmtpSettings(host=None))
    # the SECRET deliveries are withheld; the user now gets the levels their clearance covers instead
    assert (report.withheld, report.planned, report.sent) == (2, 2, 2)
    assert {json.loads(body)["alert"]["classification"] for _, body in Hook.received} == {"PUBLIC"}
    with db.session(Principal.system(), readonly=True) as s:
        assert {
            d.status for d in s.scalars(select(Delivery)) if d.classification == Classification.SECRET
        } == {"withheld"}


def test_failures_are_recorded_and_retried(db: Database, hook) -> None:  # type: ignore[no-untyped-def]
    boss = _user(db, "boss", Role.ADMINISTRATOR, Classification.SECRET)
    with db.session(boss) as s:
        subscribe(s, "webhook", hook, rule_kinds=["escalation"], min_severity="high")
    setup_history(db)
    with db.session(Principal.system()) as s:
        evaluate(s, "2021-04")
    Hook.fail_next = 2
    first = send_pending(db, smtp=SmtpSettings(host=None))
    assert (first.sent, first.failed) == (0, 2)
    with db.session(Principal.system(), readonly=True) as s:
        rows = s.scalars(select(Delivery)).all()
        assert {(d.status, d.attempts) for d in rows} == {("retrying", 1)}
        assert all("HTTP 500" in (d.last_error or "") for d in rows)
    second = send_pending(db, smtp=SmtpSettings(host=None))
    assert (second.sent, second.failed) == (2, 0)
    with db.session(Principal.system(), readonly=True) as s:
        assert {(d.status, d.attempts) for d in s.scalars(select(Delivery))} == {("sent", 2)}


def test_email_waits_without_smtp_host(db: Database) -> None:
    desk = _user(db, "desk", Role.ANALYST, Classification.RESTRICTED)
    with db.session(desk) as s:
        subscribe(s, "email", "desk@nigran.test")
    setup_history(db)
    with db.session(Principal.system()) as s:
        evaluate(s, "2021-04")
    report = send_pending(db, smtp=SmtpSettings(host=None))
    assert (report.sent, report.waiting) == (0, 2)
    with db.session(Principal.system(), readonly=True) as s:
        assert {(d.status, d.attempts) for d in s.scalars(select(Delivery))} == {("pending", 0)}


def test_subscription_validation_and_ownership(db: Database) -> None:
    from nigran.alerts.service import list_subscriptions, unsubscribe
    from nigran.core.errors import NotFound
    from nigran.core.problems import InvalidInput

    desk = _user(db, "desk", Role.ANALYST, Classification.RESTRICTED)
    other = _user(db, "other", Role.ANALYST, Classification.RESTRICTED)
    with db.session(desk) as s, pytest.raises(InvalidInput) as err:
        subscribe(s, "pigeon", "x", provinces=["Atlantis"])
    assert "--channel" in str(err.value) and "--province" in str(err.value)
    with db.session(desk) as s:
        sub_id = subscribe(s, "email", "desk@nigran.test", provinces=["KP"]).id
    with db.session(other) as s:
        assert list_subscriptions(s) == []
        with pytest.raises(NotFound):
            unsubscribe(s, sub_id)
    with db.session(desk) as s:
        assert [x.provinces for x in list_subscriptions(s)] == [["PK-KP"]]
        unsubscribe(s, sub_id)

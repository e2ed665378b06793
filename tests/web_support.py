"""Helpers for web tests: an app over a test database, a client signed in as a demo user, its CSRF token.

Use on the ``demo_db`` fixture (demo users with their demo passwords): ``client = client_for(demo_db,
"admin")``; state-changing calls send ``csrf(client)`` as the ``csrf_token`` form field or the
``X-CSRF-Token`` header.
"""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from nigran.demo import DEMO_PASSWORDS
from nigran.storage.db import Database
from nigran.web.app import create_app
from nigran.web.config import WebSettings

_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def app_for(db: Database, web_settings: WebSettings | None = None):  # type: ignore[no-untyped-def]
    return create_app(db=db, web_settings=web_settings or WebSettings())


def client_for(
    db: Database,
    user: str | None = None,
    *,
    password: str | None = None,
    web_settings: WebSettings | None = None,
) -> TestClient:
    """A test client on ``db``, signed in as ``user`` (a demo user by default password) or anonymous."""
    client = TestClient(app_for(db, web_settings), raise_server_exceptions=False)
    if user is not None:
        sign_in(client, user, password or DEMO_PASSWORDS[user])
    return client


def sign_in(client: TestClient, user: str, password: str) -> None:
    response = client.post(
        "/login",
        data={"username": user, "password": password, "csrf_token": csrf(client), "next": "/account"},
        follow_redirects=False,
    )
    assert response.status_code == 303, (
        f"sign-in as {user} failed: {response.status_code} {response.text[:300]}"
    )


def csrf(client: TestClient) -> str:
    """The CSRF token of the client's current session (or pre-session, when anonymous)."""
    page = client.get("/login" if "nigran_session" not in client.cookies else "/account")
    found = _CSRF.search(page.text)
    assert found, "no csrf-token meta tag on the page"
    return found.group(1)

"""The web platform: headers on every response, error shapes, language editions, no outside URL."""

from __future__ import annotations

import re

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from tests.web_support import app_for, client_for

from nigran.core.errors import Conflict, NotFound
from nigran.core.problems import InvalidInput, Problem
from nigran.web.exports import csv_bytes, disposition, safe_filename
from nigran.web.i18n import num
from nigran.web.security import CSP

PAGES = ["/", "/ur/", "/overview", "/login", "/ur/login", "/account", "/admin/users", "/admin/audit"]
OTHER = ["/api/openapi.json", "/api/session", "/static/css/nigran.css", "/nope", "/api/nope", "/api/users"]


def _check_headers(response) -> None:  # type: ignore[no-untyped-def]
    headers = response.headers
    assert headers["content-security-policy"] == CSP
    assert "unsafe-inline" not in CSP
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("user", [None, "admin", "reader"])
def test_every_response_carries_the_security_headers(demo_db, user) -> None:
    client = client_for(demo_db, user)
    for path in PAGES + OTHER:
        response = client.get(path, follow_redirects=False)
        assert response.status_code < 500, (path, response.status_code)
        _check_headers(response)


def test_text_responses_are_gzipped_with_the_security_headers(demo_db) -> None:
    client = client_for(demo_db)
    for path in ("/", "/api/openapi.json", "/static/css/nigran.css"):
        response = client.get(path, headers={"accept-encoding": "gzip"})
        assert response.headers["content-encoding"] == "gzip", path
        _check_headers(response)
    small = client.get("/api/nope", headers={"accept-encoding": "gzip"})
    assert "content-encoding" not in small.headers
    _check_headers(small)


def _with_failing_routes(db):  # type: ignore[no-untyped-def]
    app = app_for(db)
    router = APIRouter()

    @router.get("/api/boom")
    def boom() -> None:
        raise RuntimeError("secret detail /etc/passwd")

    @router.get("/boom")
    def boom_page() -> None:
        raise RuntimeError("secret detail /etc/passwd")

    @router.get("/api/invalid")
    def invalid() -> None:
        raise InvalidInput([Problem(3, "value is not a number", "value")])

    @router.get("/api/hidden/{n}")
    def hidden(n: int) -> None:
        raise NotFound(f"no submission {n}")

    @router.get("/api/conflict")
    def conflict() -> None:
        raise Conflict("the submission changed since it was read")

    app.router.routes[0:0] = router.routes
    return TestClient(app, raise_server_exceptions=False)


def test_an_internal_error_shows_no_detail_and_keeps_the_headers(demo_db) -> None:
    client = _with_failing_routes(demo_db)
    for path in ("/api/boom", "/boom"):
        response = client.get(path)
        assert response.status_code == 500
        assert "secret detail" not in response.text and "Traceback" not in response.text
        assert "RuntimeError" not in response.text
        _check_headers(response)
    assert client.get("/api/boom").headers["content-type"] == "application/problem+json"


def test_problem_details_name_the_field(demo_db) -> None:
    client = _with_failing_routes(demo_db)
    response = client.get("/api/invalid")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail", "errors"} <= body.keys()
    assert body["status"] == 422
    assert body["errors"] == [{"field": "value", "line": 3, "message": "value is not a number"}]
    assert client.get("/api/conflict").json()["status"] == 409
    # FastAPI's own validation errors have the same shape, with the parameter at fault
    bad = client.get("/api/hidden/abc").json()
    assert bad["status"] == 422 and bad["errors"][0]["field"] == "n"


def test_not_found_is_the_same_for_hidden_and_missing(demo_db) -> None:
    client = _with_failing_routes(demo_db)
    a, b = client.get("/api/hidden/1"), client.get("/api/hidden/2")
    assert a.status_code == b.status_code == 404
    assert a.json()["title"] == b.json()["title"] and a.json().keys() == b.json().keys()
    page = client_for(demo_db).get("/no/such/page")
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]


def test_openapi_is_served_under_api_and_no_docs_from_a_cdn(demo_db) -> None:
    client = client_for(demo_db)
    spec = client.get("/api/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert any(path.startswith("/api/") for path in spec["paths"])
    assert client.get("/docs").status_code == 404
    assert client.get("/api/docs").status_code == 404


def test_urdu_edition_is_right_to_left_with_urdu_numerals(demo_db) -> None:
    client = client_for(demo_db)
    en, ur = client.get("/login"), client.get("/ur/login")
    assert '<html lang="en" dir="ltr">' in en.text
    assert '<html lang="ur" dir="rtl">' in ur.text
    assert 'href="/ur/login"' in en.text  # the language switch
    assert "noto-nastaliq-urdu.css" in ur.text and "noto-nastaliq-urdu.css" not in en.text
    assert num(1234, "ur") == "۱,۲۳۴" and num(1234, "en") == "1,234"


_URL = re.compile(r"""(?:src|href|action)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)


@pytest.mark.parametrize("user", [None, "admin"])
def test_no_served_page_refers_outside_the_site_or_inlines_script_or_style(demo_db, user) -> None:
    client = client_for(demo_db, user)
    for path in [*PAGES, "/account/tokens", "/account/password", "/admin/entities", "/admin"]:
        html = client.get(path).text
        for url in _URL.findall(html):
            assert url.startswith(("/", "#", "?")) and not url.startswith("//"), (path, url)
        assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html), path  # no inline script
        assert "<style" not in html and " style=" not in html, path
        assert re.search(r"\son[a-z]+\s*=", html) is None, path  # no inline event handler


def test_exports_are_safe() -> None:
    assert safe_filename("../../etc/passwd") == "etc-passwd"
    assert safe_filename('a"\r\nSet-Cookie: x.csv') == "a-Set-Cookie-x.csv"
    assert "\n" not in disposition("x\ny.csv")
    text = csv_bytes(["name"], [["=HYPERLINK(1)"], ["-2+3"]]).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text and "'-2+3" in text


def test_classification_banner_shows_the_highest_level_on_the_page(demo_db) -> None:
    admin = client_for(demo_db, "admin").get("/admin/entities").text
    assert 'class="classification classification-' in admin
    anonymous = client_for(demo_db).get("/login").text
    assert "classification-secret" not in anonymous


def test_urdu_pages_use_the_urdu_catalog(demo_db) -> None:
    client = client_for(demo_db)
    assert "سائن ان" in client.get("/ur/login").text  # "Sign in"
    assert "سائن ان" not in client.get("/login").text

"""The public portal: English and Urdu pages, computed as the anonymous reader whoever is signed in.

Canaries are planted in RESTRICTED and SECRET records of a framework (``reports_canary``) and of the incident
file of the analytics tests; the portal's HTML and JSON in both languages must never contain them, must be
the same for an anonymous visitor and a signed-in SECRET administrator, and its figures must equal those
computed on a database that holds only the public records.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import asdict
from datetime import date
from itertools import pairwise
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests import reports_canary as rc
from tests.web_support import app_for, sign_in

from nigran.access.classification import Classification
from nigran.access.principal import Principal, Role
from nigran.access.service import add_user, set_password
from nigran.incidents.importer import import_stream
from nigran.portal import service
from nigran.portal.cache import FIGURES, REPORTS
from nigran.storage.db import Database

INCIDENTS = Path(__file__).parent / "fixtures" / "incidents" / "synthetic.csv"
INCIDENT_CANARIES = ("CANARY-SECRET-7731", "CANARY-SECRET-PLACE-7731", "CANARY-RESTRICTED-4410")
SECRET_ANALYST = Principal("ana", Role.ANALYST, Classification.SECRET)
PASSWORD = "portal test passphrase"
URDU_DIGITS = re.compile("[۰-۹]")
PAGES = ("/", "/portal/security", "/portal/methodology", "/portal/reports", f"/portal/frameworks/{rc.CODE}")
JSON = (
    "/api/portal/frameworks",
    f"/api/portal/frameworks/{rc.CODE}",
    "/api/portal/situation",
    "/api/portal/series",
    "/api/portal/map?measure=incidents",
    "/api/portal/map?measure=killed",
    "/api/portal/reports",
)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    FIGURES.clear()
    REPORTS.clear()


def _incident_bytes(public_only: bool) -> bytes:
    text = INCIDENTS.read_text(encoding="utf-8")
    if not public_only:
        return text.encode()
    rows = list(csv.DictReader(io.StringIO(text)))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(r for r in rows if r["classification"] == "PUBLIC")
    return out.getvalue().encode()


def _import(db: Database, public_only: bool) -> None:
    with db.session(SECRET_ANALYST) as s:
        import_stream(s, io.BytesIO(_incident_bytes(public_only)), "synthetic.csv", "csv")


@pytest.fixture
def canary_db(db: Database) -> Database:
    """Classified records at every level of a framework, and classified incidents; a SECRET administrator."""
    rc.plant(db)
    _import(db, public_only=False)
    with db.session(Principal.system()) as s:
        add_user(s, "boss", role=Role.ADMINISTRATOR, clearance=Classification.SECRET)
        set_password(s, "boss", PASSWORD)
    return db


@pytest.fixture
def public_db(second_db: Database) -> Database:
    """The same framework and incidents with every classified record removed, under the same code."""
    rc.load(second_db, rc.public_only(rc.document()))
    _import(second_db, public_only=True)
    return second_db


def _client(db: Database, user: str | None = None) -> TestClient:
    app = app_for(db)
    app.state.portal_today = rc.TODAY
    client = TestClient(app, raise_server_exceptions=False)
    if user:
        sign_in(client, user, PASSWORD)
    return client


def _main(html: str) -> str:
    """The page's content, without the header (who is signed in, their navigation) and CSRF tokens."""
    found = re.search(r"<main[^>]*>(.*)</main>", html, re.S)
    assert found, "no <main> on the page"
    return found.group(1)


def _leaks(text: str) -> list[str]:
    found = [c for c in [*rc.CANARY_STRINGS, *INCIDENT_CANARIES] if c in text]
    found += [n for n in rc.CANARY_NUMBERS if re.search(rf"(?<![\d.]){re.escape(n)}(?!\d)", text)]
    return found


def _everything(client: TestClient) -> dict[str, str]:
    out = {}
    for lang in ("", "/ur"):
        for path in (*PAGES, *JSON):
            response = client.get(lang + path)
            assert response.status_code == 200, (lang + path, response.text[:300])
            out[lang + path] = _main(response.text) if not path.startswith("/api") else response.text
    return out


def test_portal_shows_nothing_classified_to_anyone(canary_db: Database) -> None:
    anonymous = _everything(_client(canary_db))
    FIGURES.clear()
    admin_client = _client(canary_db, "boss")
    assert admin_client.get("/api/session").json()["clearance"] == "SECRET"
    admin = _everything(admin_client)
    for path, text in anonymous.items():
        assert _leaks(text) == [], f"{path} leaks {_leaks(text)}"
        assert admin[path] == text, f"{path} differs for a signed-in SECRET administrator"
    # The test can fail: the same database does hold the canaries, and a SECRET reader's scores show them.
    from nigran.monitoring.scoring import score_framework

    with canary_db.session(SECRET_ANALYST, readonly=True) as s:
        titles = [x.title for x in score_framework(s, rc.CODE, as_of=rc.TODAY).all_sections()]
    assert any("CANARY-SECRET" in t for t in titles)
    assert "Public section" in anonymous[f"/portal/frameworks/{rc.CODE}"]
    assert "Public indicator" in anonymous[f"/portal/frameworks/{rc.CODE}"]
    assert "Peshawar" in anonymous["/portal/security"]


def test_service_refuses_a_session_that_is_not_the_public_readers(canary_db: Database) -> None:
    from nigran.core.errors import AccessDenied

    with canary_db.session(SECRET_ANALYST, readonly=True) as s, pytest.raises(AccessDenied):
        service.situation(s, rc.TODAY)


def _figures(db: Database) -> dict[str, object]:
    with service.public_session(db) as s:
        return {
            "progress": [asdict(f) for f in service.progress(s, rc.TODAY)],
            "situation": asdict(service.situation(s, rc.TODAY)),
            "map": service.district_map(s, rc.TODAY, "killed"),
        }


def test_figures_equal_those_of_the_public_records_alone(canary_db: Database, public_db: Database) -> None:
    portal, reference = _figures(canary_db), _figures(public_db)
    assert portal == reference
    # and the classified records are there, and counted, for a cleared reader
    from nigran.incidents.analytics import aggregate

    with canary_db.session(SECRET_ANALYST, readonly=True) as s:
        secret_total = sum(r.values["incidents"] or 0 for r in aggregate(s, "year"))
    public_total = sum(m["incidents"] for m in portal["situation"]["series"])  # type: ignore[index]
    assert secret_total > public_total > 0


def test_pages_in_urdu_are_right_to_left_with_urdu_numerals_and_names(canary_db: Database) -> None:
    client = _client(canary_db)
    for path in PAGES:
        page = client.get("/ur" + path)
        assert page.status_code == 200
        assert re.search(r'<html lang="ur" dir="rtl">', page.text), path
        assert "/static/vendor/noto-nastaliq-urdu/noto-nastaliq-urdu.css" in page.text
        # the language switch keeps the page
        assert f'href="{path}" hreflang="en"' in page.text, path
        english = client.get(path).text
        assert f'href="/ur{path if path != "/" else "/"}" hreflang="ur"' in english, path
    home = _main(client.get("/ur/").text)
    assert URDU_DIGITS.search(home), "no Urdu numerals on the Urdu home page"
    assert "آزمائشی فریم ورک" in home  # the framework's own Urdu title
    security = _main(client.get("/ur/portal/security").text)
    assert "پشاور" in security  # the gazetteer's Urdu name of Peshawar
    assert re.search(r"<td class=\"num\">[۰-۹]+</td>", security)
    english = _main(client.get("/portal/security").text)
    assert not URDU_DIGITS.search(english)
    map_ur = client.get("/ur/api/portal/map").json()
    assert map_ur["polygons"]["PK-KP-PSH"]["name"] == "پشاور"
    assert client.get("/ur/api/portal/series").json()["datasets"][0]["label"] != "Incidents"


def test_no_page_refers_outside_the_server(canary_db: Database) -> None:
    client = _client(canary_db)
    for lang in ("", "/ur"):
        for path in PAGES:
            html = client.get(lang + path).text
            for url in re.findall(r'(?:src|href|data-src|data-points|action)="([^"]*)"', html):
                assert url.startswith(("/", "#")) and not url.startswith("//"), (path, url)
            assert "style=" not in html and "<script>" not in html and "<style" not in html


def test_map_and_chart_follow_the_front_end_contract(canary_db: Database) -> None:
    client = _client(canary_db)
    page = client.get("/portal/security").text
    for marker, table in (("js-map", "district-table"), ("js-chart", "series-table")):
        found = re.search(rf'class="{marker}[^"]*" data-src="([^"]+)"[^>]*aria-describedby="{table}"', page)
        assert found, marker
        assert f'<table id="{table}">' in page
        assert client.get(found.group(1).replace("&amp;", "&")).status_code == 200
    series = client.get("/api/portal/series").json()
    assert len(series["labels"]) == service.SERIES_MONTHS == len(series["datasets"][0]["data"])
    found = client.get("/api/portal/map").json()
    assert "features" not in found, "the values carry no geometry"
    peshawar = found["polygons"]["PK-KP-PSH"]
    assert peshawar["value"] >= 1 and peshawar["class"] is not None
    geometry = client.get("/api/geo/districts").json()  # the map joins the values to it by code
    assert {f["properties"]["code"] for f in geometry["features"]} == set(found["polygons"])
    refused = client.get("/api/portal/map?measure=secret")
    assert refused.status_code == 422 and refused.headers["content-type"].startswith(
        "application/problem+json"
    )


def test_latest_month_with_data_is_compared_when_the_records_end_earlier(canary_db: Database) -> None:
    with service.public_session(canary_db) as s:
        situation = service.situation(s, rc.TODAY)
    assert situation.is_current_month is False
    assert situation.latest_data is not None and situation.reference.year == situation.latest_data.year
    assert situation.this_month.label == situation.latest_data.strftime("%Y-%m")
    with service.public_session(canary_db) as s:
        now = service.situation(s, date(situation.latest_data.year, situation.latest_data.month, 28))
    assert now.is_current_month is True


def test_unknown_or_classified_framework_is_not_found(canary_db: Database) -> None:
    client = _client(canary_db, "boss")
    assert client.get("/portal/frameworks/NO-SUCH").status_code == 404
    assert client.get("/api/portal/frameworks/NO-SUCH").status_code == 404


def test_public_annual_report_downloads(canary_db: Database) -> None:
    client = _client(canary_db, "boss")
    listed = client.get("/api/portal/reports").json()
    assert {"framework": rc.CODE, "year": rc.YEAR} in [
        {"framework": r["framework"], "year": r["year"]} for r in listed
    ]
    page = client.get("/portal/reports").text
    assert f"/portal/reports/{rc.CODE}/{rc.YEAR}/pdf" in page
    html = client.get(f"/portal/reports/{rc.CODE}/{rc.YEAR}/html")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert (
        "attachment" in html.headers["content-disposition"]
        and "public" in html.headers["content-disposition"]
    )
    assert "Public objective one" in html.text and _leaks(html.text) == []
    again = client.get(f"/portal/reports/{rc.CODE}/{rc.YEAR}/html")
    assert again.content == html.content
    assert client.get(f"/portal/reports/{rc.CODE}/{rc.YEAR}/xlsx").status_code == 404
    assert client.get(f"/portal/reports/{rc.CODE}/1999/html").status_code == 404
    assert client.get(f"/portal/reports/NO-SUCH/{rc.YEAR}/html").status_code == 404


def test_public_annual_report_pdf(canary_db: Database) -> None:
    pytest.importorskip("weasyprint")
    client = _client(canary_db)
    pdf = client.get(f"/portal/reports/{rc.CODE}/{rc.YEAR}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"


def test_demo_portal_renders_in_both_languages(demo_db: Database) -> None:
    client = TestClient(app_for(demo_db), raise_server_exceptions=False)
    for lang in ("", "/ur"):
        for path in ("/", "/portal/security", "/portal/reports"):
            response = client.get(lang + path)
            assert response.status_code == 200, (lang + path, response.text[:300])
    home = client.get("/").text
    assert "NAP-2014" in home or "NSP-2022" in home
    assert json.loads(client.get("/api/portal/situation").text)["series"]


def test_headings_are_in_order_and_tables_have_captions_or_headers(canary_db: Database) -> None:
    client = _client(canary_db)
    for lang in ("", "/ur"):
        for path in PAGES:
            main = _main(client.get(lang + path).text)
            levels = [int(h) for h in re.findall(r"<h([1-6])[\s>]", main)]
            assert levels and levels[0] == 1 and levels.count(1) == 1, (path, levels)
            assert all(b - a <= 1 for a, b in pairwise(levels)), (path, levels)
            for table in re.findall(r"<table.*?</table>", main, re.S):
                assert '<th scope="col">' in table or "<caption>" in table, (path, table[:200])

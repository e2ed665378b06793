"""The annual review in the browser and the API: background jobs with progress, both editions, refusals,
and no SECRET canary in the public edition whoever asks for it."""

from __future__ import annotations

import re

from huey import MemoryHuey
from tests import reports_canary as rc
from tests.jobs_support import attached
from tests.web_support import client_for, csrf

from nigran.storage.db import Database


def _leaks(text: str) -> list[str]:
    found = [c for c in rc.CANARY_STRINGS if c in text]
    return found + [n for n in rc.CANARY_NUMBERS if re.search(rf"(?<![\d.]){re.escape(n)}(?![\d])", text)]


def _order(client, edition: str, fmt: str = "html"):  # type: ignore[no-untyped-def]
    return client.post(
        "/reports/annual",
        data={
            "csrf_token": csrf(client),
            "framework": rc.CODE,
            "year": str(rc.YEAR),
            "edition": edition,
            "format": fmt,
        },
        follow_redirects=False,
    )


def test_public_edition_job_for_the_public_reader_holds_no_canary(demo_db: Database) -> None:
    rc.plant(demo_db)
    with attached(demo_db):
        reader = client_for(demo_db, "reader")
        assert reader.get("/reports").status_code == 200
        made = _order(reader, "public")
        assert made.status_code == 303 and re.fullmatch(r"/reports/jobs/\d+", made.headers["location"])
        page = reader.get(made.headers["location"])
        assert page.status_code == 200 and "succeeded" in page.text
        link = re.search(r'href="(/api/jobs/\d+/result)"', page.text)
        assert link, page.text[:3000]
        report = reader.get(link.group(1))
        assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
        assert f"{rc.CODE}-{rc.YEAR}-public.html" in report.headers["content-disposition"]
        assert "Public objective one" in report.text and _leaks(report.text) == []
        assert "classification-secret" not in page.text  # the page shows nothing classified
        listed = reader.get("/reports")
        assert f"{rc.CODE}-{rc.YEAR}-public.html" in listed.text and _leaks(listed.text) == []


def test_classified_edition_for_a_secret_user_and_refused_below(demo_db: Database) -> None:
    rc.plant(demo_db)
    with attached(demo_db):
        analyst = client_for(demo_db, "analyst")  # RESTRICTED
        refused = _order(analyst, "classified")
        assert refused.status_code == 403 and "needs SECRET clearance" in refused.text
        assert "analyst holds RESTRICTED" in refused.text
        assert "will be refused" in analyst.get("/reports").text  # said before trying, too

        admin = client_for(demo_db, "admin")
        made = _order(admin, "classified")
        assert made.status_code == 303
        page = admin.get(made.headers["location"])
        assert "classification-secret" in page.text  # the banner shows the job's level
        report = admin.get(re.search(r'href="(/api/jobs/\d+/result)"', page.text).group(1))  # type: ignore[union-attr]
        assert report.status_code == 200 and "CANARY-SECRET" in report.text


def test_progress_fragment_polls_until_the_job_finishes(demo_db: Database) -> None:
    with attached(demo_db, MemoryHuey("nigran-test-later", immediate=False, results=False)):
        reader = client_for(demo_db, "reader")
        made = reader.post(
            "/reports/annual",
            data={
                "csrf_token": csrf(reader),
                "framework": "NSP-2022",
                "year": "2024",
                "edition": "public",
                "format": "pdf",
            },
            follow_redirects=False,
        )
        assert made.status_code == 303
        job_id = made.headers["location"].rsplit("/", 1)[1]
        fragment = reader.get(f"/reports/jobs/{job_id}/progress")
        assert fragment.status_code == 200 and "<progress" in fragment.text
        assert f'hx-get="/reports/jobs/{job_id}/progress"' in fragment.text and "queued" in fragment.text
        assert "<script" not in fragment.text  # no inline script (CSP)
        other = client_for(demo_db, "analyst")
        assert other.get(f"/reports/jobs/{job_id}").status_code == 404  # someone else's job


def test_report_form_problems_are_shown_by_field(demo_db: Database) -> None:
    reader = client_for(demo_db, "reader")
    bad = reader.post(
        "/reports/annual",
        data={"csrf_token": csrf(reader), "framework": "NSP-2022", "year": "soon", "edition": "public"},
    )
    assert bad.status_code == 422 and "is not a year" in bad.text
    unknown = reader.post(
        "/reports/annual",
        data={"csrf_token": csrf(reader), "framework": "NO-SUCH", "year": "2024", "edition": "public"},
    )
    assert unknown.status_code == 404 and "no framework" in unknown.text
    no_csrf = reader.post("/reports/annual", data={"framework": "NSP-2022", "year": "2024"})
    assert no_csrf.status_code == 403


def test_reports_api_job_and_synchronous_tables(demo_db: Database) -> None:
    rc.plant(demo_db)
    anonymous = client_for(demo_db)
    tables = anonymous.get("/api/reports/annual", params={"framework": rc.CODE, "year": rc.YEAR})
    assert tables.status_code == 200 and tables.headers["content-type"].startswith("application/json")
    assert rc.CODE in tables.text and _leaks(tables.text) == []
    assert (
        anonymous.get(
            "/api/reports/annual", params={"framework": rc.CODE, "year": rc.YEAR, "edition": "classified"}
        ).status_code
        == 401
    )
    analyst = client_for(demo_db, "analyst")
    denied = analyst.get(
        "/api/reports/annual", params={"framework": rc.CODE, "year": rc.YEAR, "edition": "classified"}
    )
    assert denied.status_code == 403 and "SECRET" in denied.json()["detail"]
    bad = analyst.get("/api/reports/annual", params={"framework": rc.CODE, "year": rc.YEAR, "edition": "x"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "edition"
    with attached(demo_db):
        made = analyst.post(
            "/api/reports/annual",
            json={"framework": rc.CODE, "year": rc.YEAR, "format": "json"},
            headers={"X-CSRF-Token": csrf(analyst)},
        )
        assert made.status_code == 202, made.text
        job = analyst.get(made.headers["location"]).json()
        assert job["state"] == "succeeded" and job["result_url"]
        body = analyst.get(job["result_url"]).text
        assert rc.CODE in body and _leaks(body) == []

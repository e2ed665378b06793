"""The review pages and ``/api/review``: the queue, a candidate with its evidence marked, accept with edits
(field errors change nothing), reject; who may; hidden candidates answer exactly like missing ones."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from tests.test_extract_review import FIRST, SECOND, TABLE, add_article, fake_extractor
from tests.web_support import client_for, csrf

from nigran.access.classification import Classification
from nigran.access.principal import Principal
from nigran.extract import service
from nigran.extract.models import Candidate
from nigran.incidents.models import Incident, IncidentSource
from nigran.storage.db import Database

SYSTEM = Principal.system()


def norm(text: str, cid: int) -> str:
    return text.replace(f"candidates/{cid}", "candidates/N").replace(f"candidate {cid}", "candidate N")


def extract(db: Database, *article_ids: int) -> list[int]:
    with db.session(SYSTEM) as s:
        service.extract_articles(s, list(article_ids), extractor=fake_extractor(TABLE))
        return list(s.scalars(select(Candidate.id).where(Candidate.article_id.in_(article_ids))))


def test_queue_candidate_page_and_accept_with_edits(demo_db: Database) -> None:
    [cid] = extract(demo_db, add_article(demo_db, FIRST, title="Check post attack"))
    analyst = client_for(demo_db, "analyst")
    page = analyst.get("/review")
    assert (
        page.status_code == 200
        and "Check post attack" in page.text
        and f"/review/candidates/{cid}" in page.text
    )
    assert analyst.get("/review?status=maybe").status_code == 422
    assert analyst.get("/review?type=riot").status_code == 422
    assert "Check post attack" not in analyst.get("/review?district=Quetta").text
    detail = analyst.get(f"/review/candidates/{cid}")
    assert detail.status_code == 200
    marks = dict(re.findall(r'<mark data-field="([^"]+)"[^>]*>([^<]+)</mark>', detail.text))
    assert marks["victims_killed"] == "Five policemen were martyred" and marks["district"] == "Mastung"
    assert 'name="csrf_token"' in detail.text and 'name="injured" value="8"' in detail.text
    token = csrf(analyst)
    form = {"csrf_token": token, "injured": "lots", "date": "2024-11-15", "decision": "match"}
    bad = analyst.post(f"/review/candidates/{cid}/accept", data=form)
    assert bad.status_code == 422 and "injured" in bad.text and "lots" in bad.text
    with demo_db.session(SYSTEM) as s:
        assert s.get(Candidate, cid).status == "pending"
    # without the token: refused
    assert analyst.post(f"/review/candidates/{cid}/accept", data={"injured": "9"}).status_code == 403
    done = analyst.post(
        f"/review/candidates/{cid}/accept",
        data={**form, "injured": "9", "decision": "new", "note": "web"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    incident_id = int(done.headers["location"].rstrip("/").split("/")[-1])
    with demo_db.session(SYSTEM) as s:
        inc = s.get(Incident, incident_id)
        assert inc.injured == 9 and inc.victims_killed == 5
        assert s.get(Candidate, cid).edited == {"injured": 9}
    shown = analyst.get(f"/review/candidates/{cid}")
    assert shown.status_code == 200 and f"/incidents/{incident_id}" in shown.text
    assert (
        analyst.post(
            f"/review/candidates/{cid}/reject", data={"csrf_token": token, "reason": "x"}
        ).status_code
        == 409
    )


def test_matched_candidate_side_by_side_and_reject(demo_db: Database) -> None:
    [c1] = extract(demo_db, add_article(demo_db, FIRST))
    analyst = client_for(demo_db, "analyst")
    token = csrf(analyst)
    assert (
        analyst.post(
            f"/review/candidates/{c1}/accept", data={"csrf_token": token}, follow_redirects=False
        ).status_code
        == 303
    )
    [c2] = extract(demo_db, add_article(demo_db, SECOND))
    with demo_db.session(SYSTEM) as s:
        matched = s.get(Candidate, c2).matched_incident_id
    assert matched is not None
    page = analyst.get(f"/review/candidates/{c2}")
    assert f'href="/incidents/{matched}"' in page.text and "This article" in page.text
    empty = analyst.post(f"/review/candidates/{c2}/reject", data={"csrf_token": token, "reason": " "})
    assert empty.status_code == 422
    gone = analyst.post(
        f"/review/candidates/{c2}/reject",
        data={"csrf_token": token, "reason": "later toll"},
        follow_redirects=False,
    )
    assert gone.status_code == 303
    assert "later toll" in analyst.get(f"/review/candidates/{c2}").text


def test_api_lists_shows_accepts_and_rejects(demo_db: Database) -> None:
    first, second = add_article(demo_db, FIRST), add_article(demo_db, SECOND)
    [c1], [c2] = extract(demo_db, first), extract(demo_db, second)
    admin = client_for(demo_db, "admin")
    headers = {"X-CSRF-Token": csrf(admin)}
    listing = admin.get("/api/review/candidates").json()
    assert listing["total"] == 2 and {i["id"] for i in listing["items"]} == {c1, c2}
    one = admin.get(f"/api/review/candidates/{c1}").json()
    assert one["article"]["text"] == FIRST and one["values"]["militants_killed"] == 2
    assert one["values"]["hostages"] is None  # unknown, not 0
    bad = admin.post(
        f"/api/review/candidates/{c1}/accept", json={"edits": {"date": "yesterday"}}, headers=headers
    )
    assert bad.status_code == 422 and "date" in bad.text
    ok = admin.post(f"/api/review/candidates/{c1}/accept", json={"note": "api"}, headers=headers)
    assert ok.status_code == 200 and ok.json()["created"] is True
    incident_id = ok.json()["incident_id"]
    into = admin.post(f"/api/review/candidates/{c2}/accept", json={"into": incident_id}, headers=headers)
    assert into.status_code == 200 and into.json()["created"] is False
    with demo_db.session(SYSTEM) as s:
        srcs = list(s.scalars(select(IncidentSource).where(IncidentSource.incident_id == incident_id)))
        assert len(srcs) == 2 and s.get(Incident, incident_id).injured == 11
    again = admin.post(f"/api/review/candidates/{c2}/reject", json={"reason": "x"}, headers=headers)
    assert again.status_code == 409
    assert admin.get("/api/review/candidates?status=accepted").json()["total"] == 2


def test_incident_page_evidence_include_renders(demo_db: Database) -> None:
    """The include the incident page is to show for article sources (rendered here on its own)."""
    from nigran.web.templating import ENV

    [cid] = extract(demo_db, add_article(demo_db, FIRST))
    analyst = client_for(demo_db, "analyst")
    analyst.post(f"/review/candidates/{cid}/accept", data={"csrf_token": csrf(analyst)})
    with demo_db.session(SYSTEM) as s:
        src = s.scalar(select(IncidentSource).where(IncidentSource.dataset == "article"))
        html = ENV.get_template("extract/_source_evidence.html").render(
            s=src, principal=Principal.anonymous(), url=lambda p: p, _=lambda m, **kw: m % kw if kw else m
        )
        pairs = service.evidence_for_source(src)
    assert "Five policemen were martyred" in html and "https://example.org/a" in html
    assert "/review/candidates/" not in html  # the public reader is not sent to the queue
    assert ("victims_killed", pairs[0][1]) in pairs or pairs[0][0] == "district"
    page = analyst.get(f"/incidents/{src.incident_id}")
    assert page.status_code == 200
    assert "Five policemen were martyred" in page.text and f"/review/candidates/{cid}" in page.text


@pytest.mark.parametrize("who", ["reader", None, "focal-kp"])
def test_only_analysts_reviewers_and_administrators(demo_db: Database, who: str | None) -> None:
    [cid] = extract(demo_db, add_article(demo_db, FIRST))
    client = client_for(demo_db, who)
    for path in (
        "/review",
        f"/review/candidates/{cid}",
        "/api/review/candidates",
        f"/api/review/candidates/{cid}",
    ):
        r = client.get(path, follow_redirects=False)
        assert r.status_code in ((401, 303, 302) if who is None else (403,)), (path, r.status_code)
        assert "Five policemen" not in r.text


def test_hidden_candidate_answers_like_a_missing_one(demo_db: Database) -> None:
    [cid] = extract(demo_db, add_article(demo_db, FIRST, level=Classification.SECRET))
    analyst = client_for(demo_db, "analyst")  # RESTRICTED clearance
    for base in ("/review/candidates/", "/api/review/candidates/"):
        hidden, missing = analyst.get(f"{base}{cid}"), analyst.get(f"{base}{cid + 999}")
        assert hidden.status_code == missing.status_code == 404
        assert f"candidate {cid}" in hidden.text
        assert norm(hidden.text, cid) == norm(missing.text, cid + 999)
    assert analyst.get("/api/review/candidates").json()["total"] == 0
    assert "Five policemen" not in analyst.get("/review").text
    headers = {"X-CSRF-Token": csrf(analyst)}
    assert (
        analyst.post(
            f"/api/review/candidates/{cid}/reject", json={"reason": "x"}, headers=headers
        ).status_code
        == 404
    )
    reviewer = client_for(demo_db, "reviewer")  # SECRET clearance sees it
    assert reviewer.get(f"/api/review/candidates/{cid}").status_code == 200

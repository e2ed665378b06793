"""The open-source pages and ``/api/news``: who may open them, filters, an article, feeds, uploads as jobs."""

from __future__ import annotations

from pathlib import Path

from tests.jobs_support import attached
from tests.web_support import client_for, csrf

from nigran.access.classification import Classification
from nigran.access.principal import Principal
from nigran.news import service
from nigran.news.readers import read_documents
from nigran.storage.db import Database

NEWS = Path(__file__).parent / "fixtures" / "news"


def _seed(db: Database) -> dict[str, int]:
    """The Atom feed (one English, one Urdu entry) and a SECRET article; their ids by kind."""
    with db.session(Principal.system()) as s:
        stored = service.ingest(s, list(read_documents(NEWS / "tribune-kp.atom"))).stored
        secret = service.ingest(
            s, list(read_documents(NEWS / "folder" / "nested" / "mardan.txt")),
            classification=Classification.SECRET,
        ).stored  # fmt: skip
    return {"en": stored[0], "ur": stored[1], "secret": secret[0]}


def test_only_analysts_reviewers_and_administrators_open_the_pages(demo_db: Database) -> None:
    ids = _seed(demo_db)
    anonymous = client_for(demo_db)
    for path in ("/news", f"/news/articles/{ids['en']}", "/news/feeds", "/news/ingest"):
        response = anonymous.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), path
    assert anonymous.get("/api/news/articles").status_code == 401
    reader = client_for(demo_db, "reader")
    assert reader.get("/news").status_code == 404
    assert reader.get(f"/news/articles/{ids['en']}").status_code == 404
    assert reader.get("/api/news/articles").status_code == 403
    for user in ("analyst", "reviewer", "admin"):
        assert client_for(demo_db, user).get("/news").status_code == 200, user
    assert client_for(demo_db, "reviewer").get("/news/ingest").status_code == 403  # reads, never writes


def test_the_article_list_filters_counts_and_links(demo_db: Database) -> None:
    ids = _seed(demo_db)
    analyst = client_for(demo_db, "analyst")
    page = analyst.get("/news")
    assert page.status_code == 200 and "2 articles" in page.text  # the SECRET one is above RESTRICTED
    assert f'/news/articles/{ids["en"]}"' in page.text and "MARDAN" not in page.text
    urdu = analyst.get("/news", params={"language": "ur"})
    assert "1 article" in urdu.text and "ضلع خیبر" in urdu.text and "Bannu" not in urdu.text
    bad = analyst.get("/news", params={"from": "2024-02-30", "status": "nope"})
    assert bad.status_code == 422 and "is not a date" in bad.text and "unknown status" in bad.text
    admin = client_for(demo_db, "admin")
    assert "3 articles" in admin.get("/news").text


def test_an_article_shows_text_metadata_reason_and_answers_404_above_the_clearance(demo_db: Database) -> None:
    ids = _seed(demo_db)
    analyst = client_for(demo_db, "analyst")
    urdu = analyst.get(f"/news/articles/{ids['ur']}")
    assert urdu.status_code == 200 and "a person must read it" in urdu.text and 'dir="rtl"' in urdu.text
    assert "https://tribune.com.pk/story/2500003/urdu-khyber" in urdu.text and "2024-03-06" in urdu.text
    assert "no incidents in this article yet" in urdu.text
    hidden = analyst.get(f"/news/articles/{ids['secret']}")
    missing = analyst.get("/news/articles/987001")
    assert hidden.status_code == missing.status_code == 404 and "MARDAN" not in hidden.text
    assert client_for(demo_db, "admin").get(f"/news/articles/{ids['secret']}").status_code == 200


def test_the_api_lists_and_shows_articles_and_feeds(demo_db: Database) -> None:
    ids = _seed(demo_db)
    analyst = client_for(demo_db, "analyst")
    listing = analyst.get("/api/news/articles", params={"sort": "id"}).json()
    assert listing["total"] == 2 and [i["id"] for i in listing["items"]] == [ids["en"], ids["ur"]]
    assert "text" not in listing["items"][0]
    one = analyst.get(f"/api/news/articles/{ids['en']}").json()
    assert one["text"].startswith("BANNU:") and one["published"] == "2024-03-05" and one["candidates"] == []
    assert analyst.get(f"/api/news/articles/{ids['secret']}").status_code == 404
    assert analyst.get("/api/news/articles", params={"status": "x"}).status_code == 422
    assert analyst.get("/api/news/articles", params={"sort": "text"}).status_code == 422
    assert analyst.get("/api/news/feeds").json() == {"items": []}


def test_feeds_are_added_and_removed_through_forms_with_csrf(demo_db: Database) -> None:
    analyst = client_for(demo_db, "analyst")
    form = {"name": "dawn", "url": "https://www.dawn.com/feeds/pakistan", "outlet": "Dawn", "interval": "30"}
    assert analyst.post("/news/feeds", data=form, follow_redirects=False).status_code == 403  # no token
    token = csrf(analyst)
    done = analyst.post("/news/feeds", data={**form, "csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    again = analyst.post("/news/feeds", data={**form, "csrf_token": token})
    assert again.status_code == 422 and "exists already" in again.text
    bad = analyst.post(
        "/news/feeds", data={**form, "name": "x", "url": "nope", "interval": "soon", "csrf_token": token}
    )
    assert bad.status_code == 422 and "not an http(s) address" in bad.text
    [feed] = analyst.get("/api/news/feeds").json()["items"]
    assert (feed["name"], feed["interval_minutes"], feed["outlet"]) == ("dawn", 30, "Dawn")
    page = analyst.get("/news/feeds")
    assert (
        "https://www.dawn.com/feeds/pakistan" in page.text and f"/news/feeds/{feed['id']}/remove" in page.text
    )
    reviewer = client_for(demo_db, "reviewer")
    assert "/remove" not in reviewer.get("/news/feeds").text
    refused = reviewer.post(f"/news/feeds/{feed['id']}/remove", data={"csrf_token": csrf(reviewer)})
    assert refused.status_code == 403
    gone = analyst.post(
        f"/news/feeds/{feed['id']}/remove", data={"csrf_token": token}, follow_redirects=False
    )
    assert gone.status_code == 303 and analyst.get("/api/news/feeds").json() == {"items": []}
    assert analyst.post("/news/feeds/987001/remove", data={"csrf_token": token}).status_code == 404


def test_an_upload_becomes_a_news_ingest_job(demo_db: Database) -> None:
    with attached(demo_db):
        analyst = client_for(demo_db, "analyst")
        token = csrf(analyst)
        assert "Ingest a file" in analyst.get("/news/ingest").text
        files = {"file": ("dawn.rss", (NEWS / "dawn-pakistan.rss").read_bytes(), "application/rss+xml")}
        sent = analyst.post(
            "/news/ingest", data={"csrf_token": token, "outlet": ""}, files=files, follow_redirects=False
        )
        assert sent.status_code == 303 and sent.headers["location"].startswith("/incidents/jobs/")
        job_page = analyst.get(sent.headers["location"])
        assert "succeeded" in job_page.text and "news.ingest" in job_page.text
        empty = analyst.post("/news/ingest", data={"csrf_token": token})
        assert empty.status_code == 422 and "choose a file" in empty.text
    assert analyst.get("/api/news/articles").json()["total"] == 3

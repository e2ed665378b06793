"""Storing articles once, setting non-English ones aside, reading them back as the reader may; feeds."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from tests.helpers import ADMIN, ANALYST, PUBLIC, REVIEWER

from nigran.access.classification import Classification
from nigran.core.errors import AccessDenied, Conflict, NotFound
from nigran.core.problems import InvalidInput, Problem
from nigran.news import feeds, service
from nigran.news.readers import Document, Fetched, read_bytes, read_documents
from nigran.storage.db import Database

NEWS = Path(__file__).parent / "fixtures" / "news"


def _docs(name: str) -> list[Document]:
    problems: list[Problem] = []
    return read_bytes(name, (NEWS / name).read_bytes(), problems)


def test_every_report_is_stored_once_and_a_later_copy_completes_it(db: Database) -> None:
    page = _docs("dawn-mastung.html")[0]
    bare = replace(
        page, url=None, outlet=None, title=None, published=None, external_id=None, source_kind="text"
    )
    with db.session(ANALYST) as s:
        first = service.ingest(s, [bare], outlet=None)
        assert len(first.stored) == 1 and first.already_stored == 0
        again = service.ingest(s, [*_docs("dawn-pakistan.rss"), page])  # the feed's entry 1 and the page
        assert len(again.stored) == 2 and again.already_stored == 2 and again.completed == 1
    with db.session(ANALYST, readonly=True) as s:
        article = service.get_article(s, first.stored[0])
        # the feed's copy came first and filled what the bare text lacked; nothing was overwritten after
        assert (
            article.url
            == "https://www.dawn.com/news/1900001/five-policemen-martyred-in-mastung-check-post-attack"
        )
        assert (article.outlet, article.published, article.external_id) == (
            "Dawn - Pakistan",
            date(2024, 11, 16),
            "dawn-1900001",
        )
        assert article.source_kind == "text" and article.status == "new" and article.language == "en"
        assert article.content_hash == service.content_hash("  " + page.text.upper().replace(" ", " \t "))
        assert service.count_articles(s) == 3


def test_whitespace_and_case_do_not_make_a_new_article(db: Database) -> None:
    text = "PESHAWAR: Two policemen were martyred when gunmen opened fire on a police mobile, police said."
    with db.session(ANALYST) as s:
        a = service.ingest(s, [Document("a", text, language="en")])
        b = service.ingest(s, [Document("b", "  " + text.lower().replace(" ", "\n  "), language="en")])
    assert len(a.stored) == 1 and b.already_stored == 1 and not b.stored


def test_urdu_and_undetermined_articles_are_set_aside_with_a_reason(db: Database) -> None:
    docs = list(read_documents(NEWS / "urdu-peshawar.txt")) + _docs("tribune-kp.atom")
    docs.append(Document("de", "Der Anschlag ereignete sich am frühen Morgen in der Nähe einer Polizeiwache.",
                         language="und"))  # fmt: skip
    with db.session(ANALYST) as s:
        summary = service.ingest(s, docs)
    assert len(summary.stored) == 4 and summary.set_aside == 3
    with db.session(ANALYST, readonly=True) as s:
        aside = service.list_articles(s, service.parse_filters(status="set_aside"))
        assert sorted(a.language for a in aside) == ["und", "ur", "ur"]
        assert all("a person must read it" in (a.set_aside_reason or "") for a in aside)
        assert "Urdu" in next(a for a in aside if a.language == "ur").set_aside_reason
        assert [a.language for a in service.list_articles(s, service.parse_filters(status="new"))] == ["en"]
        assert service.counts_by(s, "status") == {"new": 1, "set_aside": 3}


def test_only_analysts_and_administrators_store_articles(db: Database) -> None:
    doc = Document("x", "Police said two people were injured in the blast on Monday.", language="en")
    for who in (PUBLIC, REVIEWER):
        with pytest.raises(AccessDenied), db.session(who) as s:
            service.ingest(s, [doc])
    with pytest.raises(AccessDenied), db.session(ANALYST) as s:  # RESTRICTED clearance: no SECRET articles
        service.ingest(s, [doc], classification=Classification.SECRET)
    with db.session(ADMIN) as s:
        assert len(service.ingest(s, [doc]).stored) == 1


def test_an_article_above_the_clearance_answers_like_none_and_is_not_stored_twice(db: Database) -> None:
    doc = Document("s", "Police said two people were injured in the blast on Monday.", language="en")
    with db.session(ADMIN) as s:
        [secret_id] = service.ingest(s, [doc], classification=Classification.SECRET).stored
    with db.session(ANALYST) as s:
        again = service.ingest(
            s, [doc, Document("p", "Police said the road was reopened after the blast.", language="en")]
        )
        assert again.already_stored == 1 and len(again.stored) == 1  # the public one is stored
    with db.session(ANALYST, readonly=True) as s:
        with pytest.raises(NotFound, match=f"no article {secret_id}"):
            service.get_article(s, secret_id)
        with pytest.raises(NotFound, match="no article 987001"):
            service.get_article(s, 987001)
        assert service.count_articles(s) == 1
    with db.session(ADMIN, readonly=True) as s:
        assert service.count_articles(s) == 2


def test_filters_by_language_outlet_and_dates(db: Database) -> None:
    with db.session(ANALYST) as s:
        service.ingest(s, _docs("dawn-pakistan.rss") + _docs("tribune-kp.atom") + _docs("reports.jsonl"))
    with db.session(ANALYST, readonly=True) as s:

        def ids(**kw: str) -> list[str | None]:
            return [a.external_id for a in service.list_articles(s, service.parse_filters(**kw))]

        assert ids(outlet="dawn") == ["dawn-1900003", "dawn-1900002", "dawn-1900001"]  # newest first
        assert set(ids(date_from="2024-11-17", date_to="2024-11-17")) == {"dawn-1900002", "dawn-1900003"}
        assert ids(language="ur") == ["tag:tribune.com.pk,2024:2500003"]
        assert ids()[-1] == "j6"  # undated last
    with pytest.raises(InvalidInput) as caught:
        service.parse_filters(status="sleeping", date_from="2024-13-01", language="1")
    assert {p.file for p in caught.value.problems} == {"from", "status", "language"}


# ---- feeds ------------------------------------------------------------------------------------------------


class Recorded:
    """A fetch that answers from recordings: 200 with validators, then 304 when they are sent back."""

    def __init__(self, body: bytes, etag: str = '"v1"') -> None:
        self.body, self.etag, self.calls = body, etag, []

    def __call__(self, url: str, etag: str | None, modified: str | None) -> Fetched:
        self.calls.append((url, etag, modified))
        if etag == self.etag:
            return Fetched(304, url=url)
        return Fetched(200, self.body, "application/rss+xml", self.etag, "Sat, 16 Nov 2024 09:00:00 GMT", url)


def test_feeds_are_added_checked_listed_and_removed_keeping_their_articles(db: Database) -> None:
    with db.session(ANALYST) as s:
        feed = feeds.add_feed(
            s, "dawn", "https://www.dawn.com/feeds/pakistan", outlet="Dawn", interval_minutes=30
        )
        with pytest.raises(Conflict):
            feeds.add_feed(s, "dawn", "https://www.dawn.com/feeds/other")
    with pytest.raises(InvalidInput) as caught, db.session(ANALYST) as s:
        feeds.add_feed(s, "", "file:///etc/passwd", interval_minutes=1)
    assert {p.file for p in caught.value.problems} == {"name", "url", "interval"}
    with pytest.raises(AccessDenied), db.session(REVIEWER) as s:
        feeds.add_feed(s, "x", "https://x.example/feed")
    with db.session(ANALYST) as s:
        feed = feeds.get_feed(s, "dawn")
        result = feeds.poll_feed(s, feed, Recorded((NEWS / "dawn-pakistan.rss").read_bytes()))
        assert len(result.summary.stored) == 3
        assert {a.outlet for a in service.list_articles(s)} == {
            "Dawn"
        }  # the feed's outlet wins over its title
        assert feeds.remove_feed(s, str(feed.id)) == "dawn"
    with db.session(ANALYST, readonly=True) as s:
        assert feeds.list_feeds(s) == [] and service.count_articles(s) == 3
        assert all(a.feed_id is None for a in service.list_articles(s))
        with pytest.raises(NotFound):
            feeds.get_feed(s, "dawn")


def test_a_poll_is_a_conditional_get_and_failures_are_recorded(db: Database) -> None:
    fetch = Recorded((NEWS / "dawn-pakistan.rss").read_bytes())
    t0 = datetime(2024, 11, 16, 9, 0, tzinfo=UTC)
    with db.session(ANALYST) as s:
        feed = feeds.add_feed(s, "dawn", "https://www.dawn.com/feeds/pakistan", interval_minutes=60)
        assert [f.name for f in feeds.due_feeds(s, t0)] == ["dawn"]  # never polled: due
        first = feeds.poll_feed(s, feed, fetch, now=t0)
        assert (first.status, len(first.summary.stored)) == ("ok", 3)
        assert feed.etag == '"v1"' and feed.last_status.startswith("2024-11-16 09:00 UTC ok: 3 new")
        assert feeds.due_feeds(s, t0 + timedelta(minutes=59)) == []
        assert [f.name for f in feeds.due_feeds(s, t0 + timedelta(minutes=60))] == ["dawn"]
        second = feeds.poll_feed(s, feed, fetch, now=t0 + timedelta(minutes=60))
        assert second.status == "not modified" and fetch.calls[-1][1] == '"v1"'
        down = feeds.poll_feed(s, feed, lambda u, e, m: Fetched(0, url=u, error="ConnectError: no route"))
        assert down.status == "error" and "no route" in feed.last_status
        broken = feeds.poll_feed(
            s, feed, lambda u, e, m: Fetched(200, b"<html>not a feed", "text/html", url=u)
        )
        assert broken.status == "error" and "not a readable" in feed.last_status
        assert service.count_articles(s) == 3
        feed.enabled = False
        assert feeds.due_feeds(s, t0 + timedelta(days=3)) == []

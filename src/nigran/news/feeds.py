"""Configured feeds and polling them: the only place Nigran fetches anything by itself.

A feed is polled when it is enabled and its interval has passed since the last poll (:func:`due_feeds`), by
the ``news.poll`` schedule of the job engine, or at once by ``nigran news feeds poll``. A poll is a
conditional GET (``If-None-Match``/``If-Modified-Since`` from the last answer's ``ETag``/``Last-Modified``):
``304 Not Modified`` stores nothing. A failed poll (no network, an HTTP error, a broken feed) is recorded in
``last_status`` and tried again at the next interval; it never raises. The fetch function is injectable, so
tests use recordings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.access.guard import principal_of
from nigran.core.errors import Conflict, NotFound
from nigran.core.problems import InvalidInput, Problem
from nigran.news.models import Article, Feed
from nigran.news.readers import Fetch, fetch_url, read_feed
from nigran.news.service import IngestSummary, ingest, require_write

MIN_INTERVAL = 5
MAX_INTERVAL = 7 * 24 * 60


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def check_url(url: str) -> str:
    text = (url or "").strip()
    parts = urlsplit(text) if len(text) <= 2000 and "\x00" not in text else None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        shown = text[:80]
        raise InvalidInput([Problem(0, f"{shown!r} is not an http(s) address of a feed", "url")])
    return text


def _check_name(name: str) -> str:
    text = " ".join((name or "").split())
    if not text or len(text) > 120 or "\x00" in text:
        raise InvalidInput([Problem(0, "a feed's name is 1 to 120 characters", "name")])
    if text.isdigit():
        raise InvalidInput([Problem(0, "a feed's name is not a number (numbers are its id)", "name")])
    return text


def add_feed(
    session: Session, name: str, url: str, *, outlet: str | None = None, interval_minutes: int = 60
) -> Feed:
    require_write(principal_of(session), "configure feeds")
    problems = []
    try:
        name = _check_name(name)
    except InvalidInput as exc:
        problems += exc.problems
    try:
        url = check_url(url)
    except InvalidInput as exc:
        problems += exc.problems
    if not MIN_INTERVAL <= interval_minutes <= MAX_INTERVAL:
        problems.append(Problem(0, f"between {MIN_INTERVAL} minutes and {MAX_INTERVAL} (a week)", "interval"))
    outlet = " ".join(outlet.split())[:200] or None if outlet else None
    if problems:
        raise InvalidInput(problems)
    if session.scalar(select(Feed.id).where(Feed.name == name)) is not None:
        raise Conflict(f"a feed named {name!r} exists already")
    feed = Feed(
        name=name,
        url=url,
        outlet=outlet,
        enabled=True,
        interval_minutes=interval_minutes,
        classification=Classification.PUBLIC,
    )
    session.add(feed)
    session.flush()
    return feed


def list_feeds(session: Session) -> list[Feed]:
    return list(session.scalars(select(Feed).order_by(Feed.name)))


def get_feed(session: Session, key: str | int) -> Feed:
    """A feed by id (a number) or name."""
    text = str(key).strip()
    found = None
    if text.isdigit() and len(text) < 12:
        found = session.get(Feed, int(text))
    if found is None:
        found = session.scalar(select(Feed).where(Feed.name == " ".join(text.split())))
    if found is None:
        raise NotFound(f"no feed {text[:120]!r}")
    return found


def remove_feed(session: Session, key: str | int) -> str:
    """Remove a feed; its articles stay (without the link to the feed). Returns the feed's name."""
    require_write(principal_of(session), "remove feeds")
    feed = get_feed(session, key)
    for article in session.scalars(select(Article).where(Article.feed_id == feed.id)):
        article.feed_id = None
    session.flush()
    name = feed.name
    session.delete(feed)
    session.flush()
    return name


def is_due(feed: Feed, now: datetime) -> bool:
    last = _aware(feed.last_polled_at)
    return bool(feed.enabled) and (last is None or last + timedelta(minutes=feed.interval_minutes) <= now)


def due_feeds(session: Session, now: datetime | None = None) -> list[Feed]:
    """Enabled feeds whose interval has passed since their last poll (never polled: due)."""
    moment = _aware(now) or datetime.now(UTC)
    return [f for f in list_feeds(session) if is_due(f, moment)]


@dataclass
class PollResult:
    feed: str
    status: str  # "new articles", "not modified", "error"
    http_status: int = 0
    summary: IngestSummary = field(default_factory=IngestSummary)
    error: str | None = None


def poll_feed(
    session: Session, feed: Feed, fetch: Fetch = fetch_url, *, now: datetime | None = None
) -> PollResult:
    """Fetch ``feed`` now (conditional GET) and store its new entries; the outcome goes to ``last_status``."""
    require_write(principal_of(session), "poll feeds")
    moment = _aware(now) or datetime.now(UTC)
    fetched = fetch(feed.url, feed.etag, feed.modified)
    feed.last_polled_at = moment
    result = PollResult(feed.name, "error", fetched.status)
    if fetched.error:
        result.error = fetched.error
    elif fetched.status == 304:
        result.status = "not modified"
    elif not 200 <= fetched.status < 300:
        result.error = f"HTTP {fetched.status}"
    else:
        problems: list[Problem] = []
        try:
            documents = read_feed(feed.url, fetched.content, problems, outlet=feed.outlet)
        except InvalidInput as exc:
            documents, problems = [], list(exc.problems)
        if problems and not documents:
            result.error = "; ".join(p.message for p in problems[:3])
        else:
            result.summary = ingest(session, documents, feed=feed, summary=IngestSummary(problems=problems))
            result.status = "ok"
            feed.etag = (fetched.etag or "")[:400] or None
            feed.modified = (fetched.modified or "")[:100] or None
    if result.status == "ok":
        s = result.summary
        line = f"ok: {len(s.stored)} new, {s.already_stored} already stored"
        if s.problems:
            line += f", {len(s.problems)} entries unreadable"
    elif result.status == "not modified":
        line = "not modified"
    else:
        line = f"error: {result.error}"
    feed.last_status = f"{moment:%Y-%m-%d %H:%M} UTC {line}"[:400]
    session.flush()
    return result

"""``/api/news``: stored articles and configured feeds as JSON, for analysts, reviewers and administrators.

The anonymous get 401; other signed-in roles 403. Every read goes through the request's guarded session, so an
article above the reader's clearance answers exactly like one that does not exist (404).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from nigran.access.principal import Principal
from nigran.core.errors import AccessDenied
from nigran.core.jsonout import dumps
from nigran.news import feeds as feed_service
from nigran.news import service
from nigran.news.models import Feed
from nigran.web.deps import ReadSession, SignedIn
from nigran.web.pagination import PageParams, page_params, paginate_select

router = APIRouter(prefix="/news", tags=["news"])
READERS = ("analyst", "reviewer", "administrator")


def _json(data: Any) -> Response:
    return Response(dumps(data), media_type="application/json")


def reader(who: SignedIn) -> Principal:
    if who.role.value not in READERS:
        raise AccessDenied("open sources are for analysts, reviewers and administrators")
    return who


NewsReader = Annotated[Principal, Depends(reader)]


def feed_dict(feed: Feed) -> dict[str, Any]:
    return {
        "id": feed.id,
        "name": feed.name,
        "url": feed.url,
        "outlet": feed.outlet,
        "enabled": feed.enabled,
        "interval_minutes": feed.interval_minutes,
        "last_polled_at": feed.last_polled_at,
        "last_status": feed.last_status,
    }


@router.get("/articles")
def articles(
    who: NewsReader,
    session: ReadSession,
    paging: Annotated[PageParams, Depends(page_params)],
    status: Annotated[str | None, Query(max_length=20, description=", ".join(service.STATUSES))] = None,
    language: Annotated[str | None, Query(max_length=12)] = None,
    outlet: Annotated[str | None, Query(max_length=200, description="outlet name contains")] = None,
    date_from: Annotated[str | None, Query(alias="from", max_length=10, description="YYYY-MM-DD")] = None,
    date_to: Annotated[str | None, Query(alias="to", max_length=10, description="YYYY-MM-DD")] = None,
) -> Response:
    """A page of articles (without their text), newest publication first; ``sort`` by id, published,
    outlet, language or status."""
    from nigran.news.models import Article

    f = service.parse_filters(status, language, outlet, date_from, date_to)
    sortable = {
        "id": Article.id,
        "published": Article.published,
        "outlet": Article.outlet,
        "language": Article.language,
        "status": Article.status,
    }
    return _json(
        paginate_select(
            session, service.article_query(f), paging, sortable=sortable, serialise=service.article_dict
        )
    )


@router.get("/articles/{article_id}")
def article(article_id: int, who: NewsReader, session: ReadSession) -> Response:
    """One article with its text and the extractor's candidates (id, status)."""
    found = service.get_article(session, article_id)
    data = service.article_dict(found, with_text=True)
    data["candidates"] = [
        {"id": c.id, "ordinal": c.ordinal, "status": c.status, "incident_id": c.incident_id}
        for c in service.candidates_of(session, found.id)
    ]
    return _json(data)


@router.get("/feeds")
def feeds(who: NewsReader, session: ReadSession) -> Response:
    return _json({"items": [feed_dict(f) for f in feed_service.list_feeds(session)]})

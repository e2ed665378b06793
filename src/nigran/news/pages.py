"""The open-source pages: stored articles (filters, counts, pages), one article with its candidates, the
configured feeds (add/remove), and uploading a file to ingest as a background job.

Only analysts, reviewers and administrators open them: the anonymous are sent to sign in, other roles get
"not found" (the pages are not theirs to know of). Changes (feeds, uploads) need an analyst or an
administrator. Every read goes through the request's guarded session; each page marks the highest level of
what it shows.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from starlette.responses import RedirectResponse, Response

from nigran.access.classification import Classification
from nigran.access.principal import Principal
from nigran.core.errors import Conflict, InvalidInput, NotFound
from nigran.core.problems import Problem
from nigran.news import feeds as feed_service
from nigran.news import service
from nigran.web import i18n
from nigran.web.deps import Csrf, ReadSession, SignedIn, WriteSession
from nigran.web.templating import ANALYSTS, N_, mark, render

router = APIRouter(include_in_schema=False)
PER_PAGE = 50
MARKED = (N_("news.ingest"), N_("new"), N_("extracted"), N_("set aside"))


def reader(who: SignedIn) -> Principal:
    if who.role not in ANALYSTS:
        raise NotFound("no such page")
    return who


NewsReader = Annotated[Principal, Depends(reader)]


def _mark_all(request: Request, rows: list[Any]) -> None:
    for row in rows:
        mark(request, row.classification)


@router.get("/news")
def articles(
    request: Request,
    who: NewsReader,
    session: ReadSession,
    status: Annotated[str, Query(max_length=20)] = "",
    language: Annotated[str, Query(max_length=12)] = "",
    outlet: Annotated[str, Query(max_length=200)] = "",
    date_from: Annotated[str, Query(alias="from", max_length=10)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=10)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    form = {"status": status, "language": language, "outlet": outlet, "from": date_from, "to": date_to}
    ctx: dict[str, Any] = {"form": form, "statuses": service.STATUSES, "can_change": service.may_write(who)}
    try:
        f = service.parse_filters(status, language, outlet, date_from, date_to)
    except InvalidInput as exc:
        return render(
            request,
            "news/articles.html",
            status_code=422,
            problems=exc.problems,
            rows=[],
            total=0,
            pages=1,
            page=1,
            by_status={},
            by_language={},
            query=lambda **k: "",
            **ctx,
        )
    total = service.count_articles(session, f)
    rows = service.list_articles(session, f, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    _mark_all(request, rows)

    def query(**extra: Any) -> str:
        values = {k: v for k, v in {**form, **extra}.items() if v not in ("", None)}
        return urlencode(values)

    return render(
        request,
        "news/articles.html",
        problems=[],
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        by_status=service.counts_by(session, "status", f),
        by_language=service.counts_by(session, "language", f),
        query=query,
        **ctx,
    )


@router.get("/news/articles/{article_id}")
def article(request: Request, article_id: int, who: NewsReader, session: ReadSession) -> Response:
    found = service.get_article(session, article_id)
    mark(request, found.classification)
    candidates = service.candidates_of(session, found.id)
    _mark_all(request, candidates)
    feed = found.feed
    return render(request, "news/article.html", a=found, candidates=candidates, feed=feed)


# ---- feeds ------------------------------------------------------------------------------------------------


def _feeds_page(
    request: Request, session: Any, who: Principal, status_code: int = 200, **extra: Any
) -> Response:
    rows = feed_service.list_feeds(session)
    _mark_all(request, rows)
    return render(
        request,
        "news/feeds.html",
        status_code=status_code,
        feeds=rows,
        can_change=service.may_write(who),
        **{"problems": [], "values": {}, **extra},
    )


@router.get("/news/feeds")
def feeds(request: Request, who: NewsReader, session: ReadSession) -> Response:
    return _feeds_page(request, session, who)


@router.post("/news/feeds")
def add_feed(
    request: Request,
    _csrf: Csrf,  # first: a request without the token is refused before anything else is said
    who: NewsReader,
    session: WriteSession,
    name: Annotated[str, Form(max_length=200)] = "",
    url: Annotated[str, Form(max_length=2000)] = "",
    outlet: Annotated[str, Form(max_length=200)] = "",
    interval: Annotated[str, Form(max_length=10)] = "60",
) -> Response:
    values = {"name": name, "url": url, "outlet": outlet, "interval": interval}
    service.require_write(who, "configure feeds")
    try:
        minutes = int(interval.strip())
    except ValueError:
        minutes = None
    try:
        feed_service.add_feed(session, name, url, outlet=outlet or None, interval_minutes=minutes or 0)
    except (InvalidInput, Conflict) as exc:
        session.rollback()
        problems = exc.problems if isinstance(exc, InvalidInput) else [Problem(0, exc.message, "name")]
        if minutes is None:
            wrong = f"{interval[:20]!r} is not a number of minutes"
            problems = [Problem(0, wrong, "interval") if p.file == "interval" else p for p in problems]
        return _feeds_page(request, session, who, 422, problems=problems, values=values)
    return RedirectResponse(i18n.localise("/news/feeds"), status_code=303)


@router.post("/news/feeds/{feed_id}/remove")
def remove_feed(
    request: Request, feed_id: int, _csrf: Csrf, who: NewsReader, session: WriteSession
) -> Response:
    service.require_write(who, "remove feeds")
    feed_service.remove_feed(session, feed_service.get_feed(session, feed_id).id)
    return RedirectResponse(i18n.localise("/news/feeds"), status_code=303)


# ---- uploads as background jobs ---------------------------------------------------------------------------


def _ingest_page(request: Request, who: Principal, status_code: int = 200, **extra: Any) -> Response:
    levels = [c.name for c in Classification if c <= who.clearance]
    return render(
        request,
        "news/ingest.html",
        status_code=status_code,
        levels=levels,
        **{"problems": [], "values": {}, **extra},
    )


@router.get("/news/ingest")
def ingest_form(request: Request, who: NewsReader) -> Response:
    service.require_write(who, "ingest articles")
    return _ingest_page(request, who)


@router.post("/news/ingest")
def ingest_submit(
    request: Request,
    _csrf: Csrf,
    who: NewsReader,
    session: WriteSession,
    file: Annotated[UploadFile | None, File()] = None,
    outlet: Annotated[str, Form(max_length=200)] = "",
    classification: Annotated[str, Form(max_length=20)] = "PUBLIC",
) -> Response:
    """Queue the upload as a ``news.ingest`` job and show its progress page."""
    from nigran.jobs import service as jobs
    from nigran.jobs.tasks import Upload

    service.require_write(who, "ingest articles")
    values = {"outlet": outlet, "classification": classification}
    try:
        if file is None or not file.filename:
            raise InvalidInput([Problem(0, "choose a file to ingest", "file")])
        content = file.file.read(jobs.MAX_UPLOAD_BYTES + 1)
        upload = Upload(file.filename, content, file.content_type or "application/octet-stream")
        job = jobs.submit(session, "news.ingest", values, files=[upload])
    except InvalidInput as exc:
        session.rollback()
        return _ingest_page(request, who, 422, problems=exc.problems, values=values)
    return RedirectResponse(i18n.localise(f"/incidents/jobs/{job.id}"), status_code=303)

"""What the portal's pages and API routes share: the day, and the cached figures of the public reader.

The routes never use the request's ``ReadSession`` (the signed-in user's): every figure comes from
:func:`nigran.portal.service.public_session`, here, so the portal shows an administrator exactly what a
citizen sees — the one place where pages deliberately ignore who is signed in.
"""

from __future__ import annotations

from datetime import date

from starlette.requests import Request

from nigran.core.errors import NotFound
from nigran.core.jsonout import dumps
from nigran.portal import service
from nigran.portal.cache import FIGURES, REPORTS
from nigran.storage.db import Database


def today(request: Request) -> date:
    """The day figures are computed for; ``app.state.portal_today`` fixes it (tests, screenshots)."""
    fixed = getattr(request.app.state, "portal_today", None)
    return fixed if isinstance(fixed, date) else date.today()


def _db(request: Request) -> Database:
    return request.app.state.db


def progress(request: Request) -> list[service.FrameworkProgress]:
    db, day = _db(request), today(request)

    def make() -> list[service.FrameworkProgress]:
        with service.public_session(db) as session:
            return service.progress(session, day)

    return FIGURES.get_or_make((db.url, "progress", day), make)


def framework(request: Request, code: str) -> service.FrameworkProgress:
    """One framework of :func:`progress`; a classified or unknown one is "not found" alike."""
    wanted = code.strip().upper()
    for item in progress(request):
        if item.code.upper() == wanted:
            return item
    raise NotFound(f"no public framework {code!r}")


def situation(request: Request) -> service.Situation:
    db, day = _db(request), today(request)

    def make() -> service.Situation:
        with service.public_session(db) as session:
            return service.situation(session, day)

    return FIGURES.get_or_make((db.url, "situation", day), make)


def district_map(request: Request, measure: str, lang: str) -> bytes:
    """The choropleth's values by polygon as JSON bytes (no geometry: the map joins them with
    ``/api/geo/districts``), cached like the other figures."""
    db, day = _db(request), today(request)
    service.check_measure(measure)

    def make() -> bytes:
        with service.public_session(db) as session:
            return dumps(service.district_map(session, day, measure, lang), indent=None).encode()

    return FIGURES.get_or_make((db.url, "map", day, measure, lang), make)


def reports(request: Request) -> list[service.ReportLink]:
    db, day = _db(request), today(request)
    with service.public_session(db) as session:
        return service.available_reports(session, day)


def report(request: Request, code: str, year: int, fmt: str) -> tuple[bytes, str, str]:
    db, day = _db(request), today(request)
    with service.public_session(db) as session:
        service.check_report(session, code, year, fmt, day)  # before the cache: unknown keys never stored
    key = (db.url, code, year, fmt, day)
    return REPORTS.get_or_make(key, lambda: service.public_report(db, code, year, fmt, day))

"""``create_app``: the FastAPI application, for ``nigran serve`` (also as uvicorn's factory) and the tests.

Layers, outermost first: security headers (and the last-resort 500), gzip compression of responses of 1 KB
or more (not of already-compressed downloads), the language prefix (``/ur/…``), FastAPI's routing with the
error handlers of :mod:`nigran.web.errors`. Routes: ``/api/…`` (JSON, OpenAPI at ``/api/openapi.json``),
``/static/…`` (files of the package only), and the pages of every domain.
The interactive API docs are not served: they would need a CDN or another vendored bundle, and the
OpenAPI description is enough for clients and the fuzzing tests.
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware

from nigran import __version__
from nigran.core.settings import Settings
from nigran.ops.pages import RequestContext
from nigran.storage.db import Database
from nigran.web import errors
from nigran.web.api import PAGE_MODULES, api_router, optional_routers
from nigran.web.auth.store import AuthStore
from nigran.web.config import WebSettings
from nigran.web.i18n import LanguagePrefix
from nigran.web.security import SecurityHeaders
from nigran.web.templating import STATIC

#: Called with the app when it starts serving (after the database is open); the jobs helper's embedded
#: consumer is started here when ``nigran.jobs.runtime`` exists. Each returns an optional stop function.
on_startup: list[Callable[[FastAPI], Callable[[], None] | None]] = []

#: Downloads that are compressed already (PDF streams, xlsx and zip archives): gzip would only cost CPU.
NOT_GZIPPED = (
    *DEFAULT_EXCLUDED_CONTENT_TYPES,
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)


def _start_jobs(app: FastAPI) -> Callable[[], None] | None:
    if not app.state.embedded_jobs or importlib.util.find_spec("nigran.jobs.runtime") is None:
        return None
    from nigran.jobs import runtime  # type: ignore[import-not-found]

    stop = runtime.start_embedded_consumer(app.state.db)
    return stop if callable(stop) else None


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # ops: a served app (nigran serve, the factory), not a test's, logs as NIGRAN_LOG_FORMAT says
    if app.state.owns_db:
        from nigran.ops import logs

        logs.configure()
    stops = [stop for hook in [_start_jobs, *on_startup] if (stop := hook(app)) is not None]
    try:
        yield
    finally:
        for stop in reversed(stops):
            stop()
        if app.state.owns_db:
            app.state.auth.dispose()
            app.state.db.dispose()


def create_app(
    settings: Settings | None = None,
    *,
    db: Database | None = None,
    web_settings: WebSettings | None = None,
    embedded_jobs: bool = False,
) -> FastAPI:
    """The application over ``db`` (or the database ``settings`` name). ``embedded_jobs`` starts the job
    consumer inside the app's process (``nigran serve`` does; tests do not)."""
    settings = settings or Settings.from_env()
    app = FastAPI(
        title="Nigran",
        version=__version__,
        description="Policy register, implementation monitoring and security-situation analytics.",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.web_settings = web_settings or WebSettings.from_env()
    app.state.owns_db = db is None
    app.state.db = db or Database(settings.database_url)
    app.state.auth = AuthStore(app.state.db, app.state.web_settings)
    app.state.embedded_jobs = embedded_jobs
    errors.install(app)
    app.include_router(api_router())
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    for router in optional_routers(PAGE_MODULES):
        app.include_router(router)
    from nigran.web.pages import router as platform_pages  # last: domain pages may claim "/" first

    app.include_router(platform_pages)
    # ops: request id, latency metrics by route template, access log; inside the language prefix, whose
    # rewritten scope carries the matched route (nigran.ops.pages.RequestContext)
    app.add_middleware(RequestContext)
    app.add_middleware(LanguagePrefix)
    # inside the security headers, so a compressed answer carries them too; level 6: most of 9's gain, faster
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6, exclude_content_types=NOT_GZIPPED)
    app.add_middleware(SecurityHeaders, hsts=app.state.web_settings.secure_cookies)
    return app


def factory() -> FastAPI:
    """For ``uvicorn --factory nigran.web.app:factory`` (several worker processes): settings from the
    environment, the job consumer inside when ``NIGRAN_EMBEDDED_JOBS=1``."""
    import os

    return create_app(embedded_jobs=os.environ.get("NIGRAN_EMBEDDED_JOBS", "") == "1")

"""``/healthz``, ``/readyz`` and ``/metrics``; and :class:`RequestContext`, the middleware that gives every
request an id, measures it and writes the access log line.

``/healthz`` and ``/readyz`` are anonymous and cheap (see :mod:`nigran.ops.health`). ``/metrics`` answers a
direct connection from loopback, or anyone with ``Authorization: Bearer $NIGRAN_METRICS_TOKEN``; others get
a plain 404, as if there were nothing there (see :func:`nigran.ops.metrics.allowed`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import MutableMapping
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response
from starlette.routing import Mount

from nigran.core.jsonout import dumps
from nigran.ops import health, logs, metrics

router = APIRouter(include_in_schema=False)
access_log = logging.getLogger("nigran.access")


def _json(data: Any, status: int = 200) -> Response:
    return Response(dumps(data), status_code=status, media_type="application/json")


@router.get("/healthz")
def healthz() -> Response:
    """The process lives (no database access)."""
    return _json(health.liveness())


@router.get("/readyz")
def readyz(request: Request) -> Response:
    """The database answers, its schema is at head, the job queue answers: 200; else 503 naming the check."""
    db = request.app.state.db
    settings = replace(request.app.state.settings, database_url=db.url)
    found = health.readiness(db, settings)
    return _json(found.as_dict(), 200 if found.ok else 503)


@router.get("/metrics")
def prometheus(request: Request) -> Response:
    """Prometheus metrics: from loopback, or with the bearer token of ``NIGRAN_METRICS_TOKEN``."""
    if not metrics.allowed(request.client.host if request.client else None, request.headers):
        return _json({"detail": "Not Found"}, 404)
    return Response(metrics.render(request.app.state.db), media_type=metrics.CONTENT_TYPE)


Scope = MutableMapping[str, Any]


def route_template(scope: Scope, root_path: str = "") -> str:
    """The matched route's full template (``/api/jobs/{job_id}``), or ``<mount>/{path}`` for a mounted
    app (static files), or ``<unmatched>``. Never the raw path: the label set stays small."""
    # FastAPI records the effective template of a route reached through included routers (prefixes and all)
    context = (scope.get("fastapi") or {}).get("effective_route_context")
    found = getattr(context, "path_format", None)
    if isinstance(found, str) and found:
        return found
    route = scope.get("route")
    path = getattr(route, "path", None)
    now = str(scope.get("root_path", ""))
    mounted = now[len(root_path) :] if now.startswith(root_path) else ""
    if isinstance(path, str) and not isinstance(route, Mount):
        regex = getattr(route, "path_regex", None)
        raw = str(scope.get("path", ""))
        if regex is not None and not regex.match(raw):  # under an include prefix: find the static part
            cuts = [i for i, ch in enumerate(raw) if ch == "/" and regex.match(raw[i:])]
            return (raw[: cuts[0]] if cuts else "") + path
        return mounted + path
    if mounted:
        return mounted + "/{path}"
    return "<unmatched>"


class RequestContext:
    """Pure ASGI middleware (added by :func:`nigran.web.app.create_app`), inside the language prefix so it
    sees the matched route: sets the request id (the caller's sane ``X-Request-ID``, else a new one) for
    the logs and echoes it in the response, observes the latency histogram by route template, and writes
    one access line without query string, headers or cookies."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent_id = None
        for name, value in scope.get("headers") or []:
            if name == b"x-request-id":
                sent_id = value.decode("latin-1")
                break
        request_id = logs.request_id_from(sent_id)
        root_path = str(scope.get("root_path", ""))
        token = logs.REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                message["headers"] = [*headers, (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope, root_path)
            method = str(scope.get("method", "GET"))
            try:
                metrics.observe_request(route, method, status, seconds)
            except Exception:  # metrics must never break a request
                logging.getLogger("nigran.ops").warning("metrics: could not observe a request", exc_info=True)
            principal = (scope.get("state") or {}).get("principal")
            user = getattr(principal, "username", None)
            access_log.info(
                '"%s %s" %s %.1f ms%s',
                method,
                route,
                status,
                seconds * 1000,
                f" user={user}" if user else "",
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 1),
                    "user": user,
                    "client": (scope.get("client") or (None,))[0],
                },
            )
            logs.REQUEST_ID.reset(token)

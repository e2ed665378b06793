"""Headers on every response, errors and static files included (ASVS 14.4), as one ASGI middleware.

The Content-Security-Policy allows nothing inline and nothing from another origin, so templates hold no
``<script>`` body, no ``style=`` attribute and no outside URL; every script and stylesheet is a file under
``/static/``. The middleware is the outermost layer the app installs, so an unexpected error (rendered by
:func:`nigran.web.errors.internal_error_response`) gets the headers too.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
)
HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
]
NO_STORE = (b"cache-control", b"no-store")
#: Public data that never changes while the server runs (the bundled boundaries): their routes may set their
#: own cache-control (public, a day, with an ETag). Every other page and API answer is no-store.
PUBLIC_CACHEABLE = frozenset({"/api/geo/districts", "/api/geo/provinces"})

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("nigran.web")


class SecurityHeaders:
    """Adds :data:`HEADERS` to every http response; pages and API answers are not cached (they may hold
    classified material), static files are. Catches any exception that escapes the app and answers a plain
    500 without detail, so no traceback ever reaches a client."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        static = scope.get("path", "").startswith("/static/")
        public = scope.get("path", "") in PUBLIC_CACHEABLE
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                own = _HEADER_NAMES if public else _OWN
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in own]
                headers += HEADERS
                if not static and not any(k.lower() == NO_STORE[0] for k, _ in headers):
                    headers.append(NO_STORE)
                if https or self.hsts:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            log.exception("unexpected error serving %s", scope.get("path"))
            if started:
                raise
            from nigran.web.errors import internal_error_response

            response = internal_error_response(scope)
            await response(scope, receive, send_with_headers)


_HEADER_NAMES = {name for name, _ in HEADERS}
_OWN = _HEADER_NAMES | {b"cache-control"}

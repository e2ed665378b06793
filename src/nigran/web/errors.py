"""Every error a request can meet, answered in one place: RFC 9457 problem details for ``/api/…``, an HTML
error page otherwise. Domain errors (``nigran.core.errors``) carry their status; request validation errors
name the field at fault; anything else is an internal error, logged here and answered without detail.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response

from nigran.access.principal import Principal
from nigran.core.errors import AccessDenied, InvalidInput, NigranError, NoPrincipal
from nigran.core.jsonout import dumps

log = logging.getLogger("nigran.web")
PROBLEM_TYPE = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Sign-in required",
    403: "Access denied",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


class SignInRequired(NoPrincipal):
    """The page or call needs a signed-in user; pages redirect to the sign-in form, the API answers 401."""


class CsrfRefused(AccessDenied):
    """A state-changing request without the session's CSRF token."""


def is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def problem(
    status: int, detail: str, *, errors: list[dict[str, Any]] | None = None, title: str | None = None
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    response = JSONResponse(content=None, status_code=status, media_type=PROBLEM_TYPE)
    response.body = dumps(body, indent=None).encode()
    response.headers["content-length"] = str(len(response.body))
    if status == 401:
        response.headers["www-authenticate"] = 'Bearer realm="nigran"'
    return response


def _problems_of(exc: InvalidInput) -> list[dict[str, Any]]:
    return [{"field": p.file or None, "line": p.line or None, "message": p.message} for p in exc.problems]


def _anonymous(request: Request) -> bool:
    principal: Principal | None = getattr(request.state, "principal", None)
    return principal is None or principal.user_id is None


def _page(request: Request, status: int, detail: str, errors: list[dict[str, Any]] | None = None) -> Response:
    from nigran.web.templating import render

    try:
        return render(
            request,
            "errors/error.html",
            status_code=status,
            status=status,
            title=TITLES.get(status, "Error"),
            detail=detail,
            errors=errors or [],
        )
    except Exception:  # the error page itself failed: answer plainly rather than not at all
        log.exception("error page failed")
        return Response(TITLES.get(status, "Error"), status_code=status, media_type="text/plain")


def _login_redirect(request: Request) -> Response:
    from nigran.web import i18n

    target = request.url.path + (("?" + request.url.query) if request.url.query else "")
    return RedirectResponse(
        i18n.localise("/login") + "?next=" + quote(i18n.localise(target), safe="/"), status_code=303
    )


async def nigran_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NigranError)
    status = exc.http_status
    needs_sign_in = isinstance(exc, NoPrincipal) or (isinstance(exc, AccessDenied) and _anonymous(request))
    if needs_sign_in and not isinstance(exc, CsrfRefused):
        status = 401
    if status >= 500 and status != 503:
        log.error("server-side refusal on %s: %s", request.url.path, exc.message)
    detail = exc.message if status < 500 or status == 503 else "the server could not complete the request"
    errors = _problems_of(exc) if isinstance(exc, InvalidInput) else None
    if isinstance(exc, InvalidInput):
        detail = "the input has problems: see errors"
    if is_api(request.url.path):
        response = problem(status, detail, errors=errors, title=exc.title.capitalize())
    elif status == 401:
        return _login_redirect(request)
    else:
        response = _page(request, status, detail, errors)
    if status == 503:
        response.headers["retry-after"] = "5"
    return response


async def validation_error(request: Request, exc: Exception) -> Response:
    """FastAPI's own validation (types, missing fields) as problem details naming each field."""
    assert isinstance(exc, RequestValidationError)
    errors = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body", "query", "path", "header")]
        errors.append(
            {"field": ".".join(loc) or None, "line": None, "message": str(err.get("msg", "invalid"))}
        )
    if is_api(request.url.path):
        return problem(422, "the input has problems: see errors", errors=errors)
    return _page(request, 422, "the input has problems", errors)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    detail = TITLES.get(status, "Error") if status >= 500 else str(exc.detail or TITLES.get(status, "Error"))
    if status == 404:
        detail = "there is no such page or record"
    if is_api(request.url.path):
        response: Response = problem(status, detail)
    else:
        response = _page(request, status, detail)
    for name, value in (exc.headers or {}).items():
        if name.lower() == "allow":
            response.headers[name] = value
    return response


def internal_error_response(scope: dict[str, Any] | Any) -> Response:
    """The answer to an unexpected exception: no type, message or traceback (they are in the log)."""
    detail = "internal error: the request was not completed and nothing was saved"
    if is_api(scope.get("path", "")):
        return problem(500, detail)
    return Response(
        "Internal error: the request was not completed and nothing was saved.",
        status_code=500,
        media_type="text/plain; charset=utf-8",
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(NigranError, nigran_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)

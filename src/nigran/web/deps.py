"""Request dependencies: who is asking, a database session for them, and the CSRF check.

``CurrentPrincipal`` comes from the session cookie, or an ``Authorization: Bearer`` API token, or is the
anonymous public reader. ``ReadSession`` and ``WriteSession`` open ``Database.session(principal)`` for the
request (the access guard filters every read beneath them) and end it when the route function returns, so
that a failed commit is the request's answer rather than an error after a success was sent.
``WriteSession`` also checks CSRF (the session's synchroniser token in the ``csrf_token`` form field or the
``X-CSRF-Token`` header); requests authenticated by an API token carry no cookie and are exempt.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from nigran.access.principal import Principal
from nigran.storage.db import Database
from nigran.web.auth import secrets as sec
from nigran.web.auth.store import AuthStore, SessionInfo
from nigran.web.errors import CsrfRefused, SignInRequired

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def database(request: Request) -> Database:
    return request.app.state.db


def auth_store(request: Request) -> AuthStore:
    return request.app.state.auth


def principal_of_request(request: Request) -> Principal:
    """Resolve (once per request) who is asking."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    store = auth_store(request)
    principal = Principal.anonymous()
    request.state.via_token = False
    request.state.web_session = None
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        found = store.token_principal(value.strip()) if scheme.lower() == "bearer" else None
        if found is None:
            raise SignInRequired("the API token is not valid (unknown, revoked or expired)")
        principal = found
        request.state.via_token = True
    else:
        info = store.session(request.cookies.get(sec.SESSION_COOKIE))
        if info is not None:
            principal = info.principal
            request.state.web_session = info
    request.state.principal = principal
    return principal


def web_session(request: Request) -> SessionInfo | None:
    principal_of_request(request)
    return request.state.web_session


def csrf_token_of(request: Request) -> str:
    """The token forms and scripts send back. Signed in: derived from the session. Anonymous: from a
    pre-session cookie, made on first need (set on the response by :func:`finish`)."""
    info = web_session(request)
    if info is not None:
        return sec.csrf_for(info.basis)
    basis = request.cookies.get(sec.PRE_SESSION_COOKIE) or getattr(request.state, "new_pre_session", None)
    if not basis or len(basis) > 100:
        basis = sec.new_token()
        request.state.new_pre_session = basis
    return sec.csrf_for(basis)


async def check_csrf(request: Request) -> None:
    """Refuse a state-changing request that does not carry the token of the session it rides on."""
    principal_of_request(request)
    if request.method in SAFE_METHODS or getattr(request.state, "via_token", False):
        return
    info: SessionInfo | None = request.state.web_session
    basis = info.basis if info is not None else request.cookies.get(sec.PRE_SESSION_COOKIE)
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(FORM_TYPES):
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not basis or not sent or not sec.same(sent, sec.csrf_for(basis)):
        raise CsrfRefused(
            "the form has expired or did not come from this site: reload the page and try again"
        )


def current_principal(request: Request) -> Principal:
    return principal_of_request(request)


def signed_in(request: Request) -> Principal:
    """A signed-in user (pages redirect to the sign-in form, the API answers 401)."""
    principal = principal_of_request(request)
    if principal.user_id is None:
        raise SignInRequired("sign in to continue")
    return principal


def read_session(request: Request) -> Iterator[Session]:
    principal = principal_of_request(request)
    with database(request).session(principal, readonly=True) as session:
        yield session


def write_session(request: Request, _csrf: Annotated[None, Depends(check_csrf)]) -> Iterator[Session]:
    principal = principal_of_request(request)
    with database(request).session(principal) as session:
        yield session


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
SignedIn = Annotated[Principal, Depends(signed_in)]
ReadSession = Annotated[Session, Depends(read_session, scope="function")]
WriteSession = Annotated[Session, Depends(write_session, scope="function")]
Csrf = Annotated[None, Depends(check_csrf)]
Store = Annotated[AuthStore, Depends(auth_store)]


def finish(request: Request, response: object) -> None:
    """Set the pre-session cookie if this request made one (called by ``render`` and redirects)."""
    basis = getattr(request.state, "new_pre_session", None)
    if basis and hasattr(response, "set_cookie"):
        response.set_cookie(  # type: ignore[attr-defined]
            sec.PRE_SESSION_COOKIE,
            basis,
            httponly=True,
            samesite="lax",
            secure=secure_cookies(request),
            path="/",
        )


def secure_cookies(request: Request) -> bool:
    return request.url.scheme == "https" or request.app.state.web_settings.secure_cookies


def set_session_cookie(request: Request, response: object, raw: str) -> None:
    response.set_cookie(  # type: ignore[attr-defined]
        sec.SESSION_COOKIE,
        raw,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/",
        max_age=request.app.state.web_settings.absolute_hours * 3600,
    )


def clear_session_cookie(response: object) -> None:
    response.delete_cookie(sec.SESSION_COOKIE, path="/")  # type: ignore[attr-defined]

"""Sign-in, sign-out, the account page (password change, sign out everywhere) and API tokens: HTML."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from nigran.access import service
from nigran.core.errors import InvalidInput
from nigran.core.problems import Problem
from nigran.web import i18n
from nigran.web.auth import secrets as sec
from nigran.web.auth.store import SignInFailed, TooManyAttempts
from nigran.web.deps import (
    Csrf,
    SignedIn,
    Store,
    clear_session_cookie,
    database,
    set_session_cookie,
    web_session,
)
from nigran.web.templating import render

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only a path on this site: no scheme, no ``//host`` and no backslash tricks (open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return i18n.localise("/overview")
    if any(ord(c) < 32 for c in target):
        return i18n.localise("/overview")
    return target


def _address(request: Request) -> str:
    return request.client.host if request.client else ""


def _redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "auth/login.html", next=safe_next(next), error=None, username="")


@router.post("/login")
def login(
    request: Request,
    store: Store,
    _csrf: Csrf,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        raw = store.sign_in(
            username,
            password,
            address=_address(request),
            user_agent=request.headers.get("user-agent", ""),
        )
    except (SignInFailed, TooManyAttempts) as exc:
        return render(
            request,
            "auth/login.html",
            status_code=exc.http_status,
            next=safe_next(next),
            error=exc.message,
            username=username[:80],
        )
    response = _redirect(safe_next(next))
    set_session_cookie(request, response, raw)
    response.delete_cookie(sec.PRE_SESSION_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, store: Store, _csrf: Csrf) -> Response:
    info = web_session(request)
    if info is not None:
        store.sign_out(info.basis)
    response = _redirect(i18n.localise("/"))
    clear_session_cookie(response)
    return response


@router.get("/account")
def account(request: Request, who: SignedIn) -> Response:
    return render(request, "auth/account.html", session=web_session(request), done=None, problems=[])


@router.post("/account/sign-out-everywhere")
def sign_out_everywhere(request: Request, who: SignedIn, store: Store, _csrf: Csrf) -> Response:
    assert who.user_id is not None
    store.sign_out_everywhere(who.user_id)
    response = _redirect(i18n.localise("/login"))
    clear_session_cookie(response)
    return response


@router.get("/account/password")
def password_form(request: Request, who: SignedIn) -> Response:
    return render(request, "auth/password.html", problems=[], done=False)


@router.post("/account/password")
def change_password(
    request: Request,
    who: SignedIn,
    store: Store,
    _csrf: Csrf,
    current_password: Annotated[str, Form(max_length=1024)] = "",
    new_password: Annotated[str, Form(max_length=1024)] = "",
    confirm_password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    info = web_session(request)
    try:
        if new_password != confirm_password:
            raise InvalidInput([Problem(0, "the two new passwords differ", "confirm_password")])
        with database(request).session(who) as session:
            service.set_password(session, who.username, new_password, current_password=current_password)
    except InvalidInput as exc:
        return render(request, "auth/password.html", status_code=422, problems=exc.problems, done=False)
    assert who.user_id is not None
    response = render(request, "auth/password.html", problems=[], done=True)
    if info is not None:  # every other session ends; this one gets a new token (ASVS 2.5.x, 3.3.3)
        store.sign_out_everywhere(who.user_id, keep=info.basis)
        set_session_cookie(request, response, store.rotate(info.basis, address=_address(request)))
    return response


@router.get("/account/tokens")
def tokens(request: Request, who: SignedIn, store: Store) -> Response:
    assert who.user_id is not None
    return render(request, "auth/tokens.html", tokens=store.tokens(who.user_id), new_token=None, problems=[])


@router.post("/account/tokens")
def create_token(
    request: Request,
    who: SignedIn,
    store: Store,
    _csrf: Csrf,
    name: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    assert who.user_id is not None
    if not name.strip():
        problems = [Problem(0, "a token needs a name (what script uses it)", "name")]
        return render(
            request,
            "auth/tokens.html",
            status_code=422,
            tokens=store.tokens(who.user_id),
            new_token=None,
            problems=problems,
        )
    raw = store.create_token(who.user_id, name)
    return render(request, "auth/tokens.html", tokens=store.tokens(who.user_id), new_token=raw, problems=[])


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: int, who: SignedIn, store: Store, _csrf: Csrf) -> Response:
    assert who.user_id is not None
    store.revoke_token(who.user_id, token_id)
    return _redirect(i18n.localise("/account/tokens"))

"""``/api/session`` (who is signed in, and the CSRF token for scripts in the page) and ``/api/tokens``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from nigran.core.errors import AccessDenied, NotFound
from nigran.web.deps import Csrf, CurrentPrincipal, SignedIn, Store, csrf_token_of

router = APIRouter(tags=["session"])


class TokenRequest(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="What the token is for")


@router.get("/session")
def current_session(request: Request, who: CurrentPrincipal) -> dict[str, Any]:
    """Who the request acts as; ``csrf_token`` is what state-changing calls from a browser send back."""
    return {
        "username": who.username,
        "signed_in": who.user_id is not None,
        "role": who.role.value,
        "clearance": who.clearance.name,
        "entity_id": who.entity_id,
        "csrf_token": None if getattr(request.state, "via_token", False) else csrf_token_of(request),
    }


def _browser_only(request: Request) -> None:
    if getattr(request.state, "via_token", False):
        raise AccessDenied("API tokens are managed from a signed-in browser session, not with a token")


@router.get("/tokens")
def list_tokens(who: SignedIn, store: Store) -> list[dict[str, Any]]:
    assert who.user_id is not None
    return [t.__dict__ for t in store.tokens(who.user_id)]


@router.post("/tokens", status_code=201)
def create_token(
    request: Request, body: TokenRequest, who: SignedIn, store: Store, _csrf: Csrf
) -> dict[str, Any]:
    """A new token acting as you; the value is shown in this answer only and never again."""
    _browser_only(request)
    assert who.user_id is not None
    return {"token": store.create_token(who.user_id, body.name), "name": body.name.strip()}


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(request: Request, token_id: int, who: SignedIn, store: Store, _csrf: Csrf) -> None:
    assert who.user_id is not None
    if not store.revoke_token(who.user_id, token_id):
        raise NotFound(f"no token {token_id}")

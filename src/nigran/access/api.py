"""``/api/users`` and ``/api/entities``: a thin JSON adapter over :mod:`nigran.access.service`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from nigran.access import service
from nigran.access.models import User
from nigran.web.deps import ReadSession, WriteSession
from nigran.web.pagination import PageParams, page_params, paginate_list

router = APIRouter(tags=["users"])


class NewUser(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    role: str = Field(max_length=40)
    clearance: str = Field("PUBLIC", max_length=20)
    entity: str | None = Field(None, max_length=40, description="Entity code a focal person reports for")
    name: str = Field("", max_length=200)
    password: str | None = Field(
        None, max_length=128, description="Initial password (at least 12 characters)"
    )


class UserChange(BaseModel):
    role: str | None = Field(None, max_length=40)
    clearance: str | None = Field(None, max_length=20)
    entity: str | None = Field(None, max_length=40, description='Entity code; "" removes it')
    name: str | None = Field(None, max_length=200)
    active: bool | None = None
    password: str | None = Field(None, max_length=128)


def user_dict(user: User, codes: dict[int, str]) -> dict[str, Any]:
    return {
        "username": user.username,
        "name": user.display_name,
        "role": user.role,
        "clearance": user.clearance.name,
        "entity": codes.get(user.entity_id or 0),
        "active": user.active,
        "has_password": user.password_hash is not None,
    }


USER_SORT = {
    "username": lambda u: u.username,
    "role": lambda u: u.role,
    "clearance": lambda u: int(u.clearance),
    "active": lambda u: u.active,
}


@router.get("/users")
def list_users(session: ReadSession, params: PageParams = Depends(page_params)) -> dict[str, Any]:
    """Every account (administrators only)."""
    users = service.list_users(session)
    codes = service.entity_codes(session, users)
    return paginate_list(users, params, sortable=USER_SORT, serialise=lambda u: user_dict(u, codes))


@router.get("/users/{username}")
def get_user(username: str, session: ReadSession) -> dict[str, Any]:
    user = service.get_user(session, username)
    return user_dict(user, service.entity_codes(session, [user]))


@router.post("/users", status_code=201)
def add_user(body: NewUser, session: WriteSession) -> dict[str, Any]:
    service.require_administrator(service.principal_of(session), "add users")
    user = service.add_user(
        session,
        body.username,
        role=body.role,
        clearance=body.clearance,
        entity_code=body.entity,
        display_name=body.name,
    )
    if body.password:
        service.set_password(session, user.username, body.password)
    return user_dict(user, service.entity_codes(session, [user]))


@router.patch("/users/{username}")
def change_user(username: str, body: UserChange, session: WriteSession) -> dict[str, Any]:
    user = service.update_user(
        session,
        username,
        role=body.role,
        clearance=body.clearance,
        entity_code=body.entity,
        display_name=body.name,
        active=body.active,
    )
    if body.password:
        service.set_password(session, user.username, body.password)
    return user_dict(user, service.entity_codes(session, [user]))


@router.get("/entities")
def list_entities(session: ReadSession, params: PageParams = Depends(page_params)) -> dict[str, Any]:
    """The entities the reader may see."""
    entities = service.list_entities(session)
    sortable = {"code": lambda e: e.code, "name": lambda e: e.name, "kind": lambda e: e.kind}
    return paginate_list(
        entities,
        params,
        sortable=sortable,
        serialise=lambda e: {"code": e.code, "name": e.name, "name_ur": e.name_ur, "kind": e.kind},
    )

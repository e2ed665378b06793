"""Administration pages: users (list, add, change role/clearance/entity, deactivate) and entities.

A thin adapter over :mod:`nigran.access.service`; forms post back here and invalid input is shown beside
the form (422), every rule being the service's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from nigran.access import service
from nigran.access.classification import Classification
from nigran.access.principal import Role
from nigran.core.errors import InvalidInput
from nigran.web import i18n
from nigran.web.deps import ReadSession, SignedIn, WriteSession
from nigran.web.templating import mark, render

router = APIRouter(include_in_schema=False)


def _users_page(request: Request, session: ReadSession | WriteSession, **extra: object) -> Response:
    users = service.list_users(session)
    return render(
        request,
        "access/users.html",
        users=users,
        codes=service.entity_codes(session, users),
        entities=service.list_entities(session),
        roles=[r.value for r in Role],
        levels=[c.name for c in Classification],
        status_code=422 if extra.get("problems") else 200,
        **{"problems": [], "done": None, **extra},
    )


@router.get("/admin")
def admin_index(request: Request, who: SignedIn) -> Response:
    if who.role is not Role.REVIEWER:  # reviewers open it for the audit trail
        service.require_administrator(who, "open the administration")
    return render(request, "access/admin.html")


@router.get("/admin/users")
def users(request: Request, who: SignedIn, session: ReadSession) -> Response:
    return _users_page(request, session)


@router.post("/admin/users")
def add_user(
    request: Request,
    who: SignedIn,
    session: WriteSession,
    username: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=40)] = "",
    clearance: Annotated[str, Form(max_length=20)] = "PUBLIC",
    entity: Annotated[str, Form(max_length=40)] = "",
    name: Annotated[str, Form(max_length=300)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    service.require_administrator(who, "add users")
    try:
        user = service.add_user(
            session,
            username,
            role=role,
            clearance=clearance,
            entity_code=entity or None,
            display_name=name,
        )
        if password:
            service.set_password(session, user.username, password)
    except InvalidInput as exc:
        session.rollback()
        return _users_page(request, session, problems=exc.problems)
    return RedirectResponse(i18n.localise("/admin/users"), status_code=303)


@router.post("/admin/users/{username}")
def change_user(
    request: Request,
    username: str,
    who: SignedIn,
    session: WriteSession,
    role: Annotated[str, Form(max_length=40)] = "",
    clearance: Annotated[str, Form(max_length=20)] = "",
    entity: Annotated[str, Form(max_length=40)] = "",
    active: Annotated[str, Form(max_length=5)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    try:
        service.update_user(
            session,
            username,
            role=role or None,
            clearance=clearance or None,
            entity_code=entity,
            active=active == "yes" if active else None,
        )
        if password:
            service.set_password(session, username, password)
    except InvalidInput as exc:
        session.rollback()
        return _users_page(request, session, problems=exc.problems)
    return RedirectResponse(i18n.localise("/admin/users"), status_code=303)


@router.get("/admin/entities")
def entities(request: Request, who: SignedIn, session: ReadSession) -> Response:
    rows = service.list_entities(session)
    for entity in rows:
        mark(request, entity.classification)
    return render(request, "access/entities.html", entities=rows)

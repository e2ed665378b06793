"""The audit trail page, with filters, and the verification of the chain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from nigran.audit import service
from nigran.core.errors import AccessDenied
from nigran.web.deps import ReadSession, SignedIn, auth_store
from nigran.web.templating import mark, render

router = APIRouter(include_in_schema=False)


@router.get("/admin/audit")
def audit_trail(
    request: Request,
    who: SignedIn,
    session: ReadSession,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    table: Annotated[str | None, Query(max_length=80)] = None,
    actor: Annotated[str | None, Query(max_length=120)] = None,
    verify: Annotated[bool, Query()] = False,
) -> Response:
    rows = service.read_log(session, limit=limit, table_name=table or None)
    if actor:
        rows = [r for r in rows if r.actor == actor.strip()]
    for row in rows:
        mark(request, row.level)
    status = None
    if verify:
        if not service.may_read_trail(who):
            raise AccessDenied("only reviewers and administrators verify the audit trail")
        with auth_store(request).read_connection() as conn:
            status = service.chain_status(conn, who)
    return render(
        request,
        "audit/trail.html",
        rows=rows,
        status=status,
        limit=limit,
        table=table or "",
        actor=actor or "",
    )

"""``/api/audit`` (the trail, as the reader may see it) and ``/api/audit/verify`` (the chain)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from nigran.audit import service
from nigran.web.deps import CurrentPrincipal, ReadSession, auth_store
from nigran.web.exports import export_format, table_response

router = APIRouter(tags=["audit"])
COLUMNS = ("seq", "at", "actor", "action", "table", "record", "classification", "before", "after", "note")


@router.get("/audit", response_model=None)
def audit_log(
    session: ReadSession,
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIMIT)] = 100,
    table: Annotated[str | None, Query(max_length=80)] = None,
    actor: Annotated[str | None, Query(max_length=120)] = None,
    fmt: str | None = Query(None, alias="format", description="csv or json: download"),
) -> dict[str, Any] | Response:
    """The latest entries the reader may see, newest first (reviewers and administrators)."""
    rows = service.read_log(session, limit=limit, table_name=table)
    if actor:
        rows = [r for r in rows if r.actor == actor.strip()]
    items = [r.as_dict() for r in rows]
    chosen = export_format(fmt)
    if chosen:
        return table_response(chosen, COLUMNS, [[d[c] for c in COLUMNS] for d in items], "audit-trail")
    return {"items": items, "total": len(items)}


@router.get("/audit/verify")
def audit_verify(request: Request, who: CurrentPrincipal) -> dict[str, Any]:
    """Whether the hash chain is intact; counts and positions only for readers cleared for every entry."""
    with auth_store(request).read_connection() as conn:
        status = service.chain_status(conn, who)
    return {
        "ok": status.ok,
        "entries": status.entries,
        "head": status.head,
        "broken_seq": status.broken_seq,
        "reason": status.reason,
    }

"""``/api/review``: the review queue as JSON, over the services the CLI calls.

Only analysts, reviewers and administrators may read or decide (403 otherwise); a candidate of an article
above the reader's clearance answers 404, exactly like a missing id. Unknown values are ``null``, never 0.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from nigran.core.jsonout import dumps
from nigran.extract import review, service
from nigran.web.deps import ReadSession, WriteSession

router = APIRouter(prefix="/review", tags=["review"])


def _json(data: Any, status: int = 200) -> Response:
    return Response(dumps(data), status_code=status, media_type="application/json")


class AcceptBody(BaseModel):
    edits: dict[str, str | int | bool | None] = Field(
        default_factory=dict, description="field → corrected value (empty or null: unknown)"
    )
    note: str | None = Field(None, max_length=2000)
    new: bool = Field(False, description="a new incident even if the candidate matches a known one")
    into: int | None = Field(None, ge=1, description="add the article as a source of this incident")


class RejectBody(BaseModel):
    reason: str = Field(..., min_length=1, max_length=2000)


@router.get("/candidates")
def list_candidates(
    session: ReadSession,
    status: Annotated[
        str, Query(max_length=10, description="pending, accepted, rejected or all")
    ] = "pending",
    district: Annotated[str | None, Query(max_length=100)] = None,
    type: Annotated[str | None, Query(max_length=40, description="event type")] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    """A page of the queue, newest first: ``{"items", "page", "per_page", "total"}``."""
    f = service.QueueFilters(None if status == "all" else status, district or None, type or None)
    rows, total = service.list_candidates(session, f, page=page, per_page=per_page)
    items = [service.as_dict(session, c) for c in rows]
    return _json({"items": items, "page": page, "per_page": per_page, "total": total})


@router.get("/candidates/{candidate_id}")
def get_candidate(candidate_id: int, session: ReadSession) -> Response:
    """One candidate with its article's text, evidence spans, field confidences and the visible match."""
    return _json(service.as_dict(session, service.get_candidate(session, candidate_id), with_text=True))


@router.post("/candidates/{candidate_id}/accept")
def accept(candidate_id: int, body: AcceptBody, session: WriteSession) -> Response:
    """Accept (with edits): a new incident, or another source of the matched (or ``into``) incident."""
    d = review.accept(session, candidate_id, dict(body.edits), body.note, new=body.new, into=body.into)
    out = service.as_dict(session, d.candidate)
    out["created"] = d.created
    return _json(out)


@router.post("/candidates/{candidate_id}/reject")
def reject(candidate_id: int, body: RejectBody, session: WriteSession) -> Response:
    """Reject; the candidate is kept with the reviewer, the time and the reason."""
    return _json(service.as_dict(session, review.reject(session, candidate_id, body.reason)))

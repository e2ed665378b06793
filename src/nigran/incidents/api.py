"""``/api/incidents``: the incident database as JSON (and CSV), over the services the CLI calls.

Every read goes through the request's guarded session: what a reader may not see is neither listed nor
counted. Filters resolve like the CLI's (an unknown value is a 422 naming the parameter, with the closest
matches); sorting takes only the allow-listed columns; figures no source gives are ``null``, never 0.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from nigran.core.jsonout import dumps
from nigran.core.problems import InvalidInput, Problem
from nigran.incidents import analytics, browse, dedup
from nigran.incidents.export import export_bytes
from nigran.incidents.filter_params import FilterParams, filter_params
from nigran.incidents.report import monthly_report, parse_month
from nigran.web.deps import ReadSession, WriteSession
from nigran.web.exports import CSV_TYPE, JSON_TYPE, download

router = APIRouter(prefix="/incidents", tags=["incidents"])
Filtered = Annotated[FilterParams, Depends(filter_params)]


def _json(data: Any, status: int = 200) -> Response:
    return Response(dumps(data), status_code=status, media_type="application/json")


@router.get("")
def list_incidents(
    session: ReadSession,
    params: Filtered,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
    sort: Annotated[
        str | None,
        Query(
            max_length=20,
            description="id, date, province, district, type, killed or injured; -field for descending",
        ),
    ] = None,
    format: Annotated[str | None, Query(max_length=10, description="csv or json: every match")] = None,
) -> Response:
    """A page of incidents, or with ``format`` every incident the filters select as a download."""
    f = params.resolve(session)
    if format is not None:
        fmt = format.strip().lower()
        if fmt not in ("csv", "json"):
            raise InvalidInput([Problem(0, f"unknown format {format!r} (allowed: csv, json)", "format")])
        n = browse.count(session, f)
        if n > browse.INLINE_EXPORT_MAX:
            raise InvalidInput(
                [
                    Problem(
                        0,
                        f"{n} incidents are too many for one download (at most "
                        f"{browse.INLINE_EXPORT_MAX}): narrow the filters or submit an "
                        "incidents.export job to /api/jobs",
                        "format",
                    )
                ]
            )
        body, _ = export_bytes(session, fmt, f)
        return download(body, f"incidents.{fmt}", CSV_TYPE if fmt == "csv" else JSON_TYPE)
    return _json(browse.incident_page(session, f, page=page, per_page=per_page, sort=sort).as_dict())


@router.get("/summary")
def summary(
    session: ReadSession,
    params: Filtered,
    by: Annotated[str, Query(max_length=20, description=", ".join(analytics.BY))] = "year",
) -> Response:
    """Figures per group, each with how many incidents give it (``killed_known`` …) and % changes for time
    groupings; ``totals`` says each figure over all groups and for how many incidents it is known."""
    if by not in analytics.BY:
        raise InvalidInput([Problem(0, f"unknown grouping {by!r} (one of {', '.join(analytics.BY)})", "by")])
    rows = analytics.summary(session, by, params.resolve(session))
    totals = [t.__dict__ for t in analytics.totals(rows)]
    return _json({"by": by, "items": [r.as_dict(by) for r in rows], "totals": totals})


@router.get("/points")
def points(session: ReadSession, params: Filtered) -> Response:
    """Located incidents as GeoJSON points (at most 5000, newest first; ``truncated`` says if more)."""
    return _json(browse.points(session, params.resolve(session)))


@router.get("/series")
def series(session: ReadSession, params: Filtered) -> Response:
    """Incidents and deaths by month as chart data: ``{"labels": [...], "datasets": [...]}``."""
    return _json(browse.series(session, params.resolve(session)))


@router.get("/report")
def report(
    session: ReadSession,
    params: Filtered,
    month: Annotated[str, Query(max_length=7, description="YYYY-MM")],
) -> Response:
    """The monthly situation summary: its text and every figure with the ids of its incidents."""
    return _json(monthly_report(session, _month(month), filters=params.resolve(session)).as_dict())


def _month(text: str) -> str:
    try:
        return parse_month(text)
    except InvalidInput:
        raise InvalidInput([Problem(0, f"month must be YYYY-MM, not {text!r}", "month")]) from None


@router.get("/dedup/candidates")
def candidates(
    session: ReadSession,
    params: Filtered,
    min_score: Annotated[float, Query(ge=0, le=1)] = dedup.MIN_SCORE,
    same_dataset: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    """Candidate duplicate pairs, best first, each with its score and the reason for every criterion."""
    found = candidate_list(session, params, min_score=min_score, same_dataset=same_dataset)
    items = [
        {"first_id": c.first_id, "second_id": c.second_id, "score": c.score, "reasons": c.reasons}
        for c in found[:limit]
    ]
    return _json({"items": items, "total": len(found)})


def candidate_list(
    session: Any, params: FilterParams, *, min_score: float, same_dataset: bool
) -> list[dedup.Candidate]:
    f = params.resolve(session)
    return dedup.find_candidates(
        session, date_from=f.date_from, date_to=f.date_to, province=f.province, district=f.district,
        event_types=f.event_types, actor=f.actor, min_score=min_score, same_dataset=same_dataset,
    )  # fmt: skip


class MergeBody(BaseModel):
    ids: list[int] = Field(min_length=2, max_length=50, description="The first is kept as the survivor")
    take: dict[str, str] = Field(
        default_factory=dict, description="figure → incident id or DATASET:SOURCE_ID to take it from"
    )
    note: str | None = Field(None, max_length=2000)


class KeepApartBody(BaseModel):
    first_id: int
    second_id: int
    note: str | None = Field(None, max_length=2000)


@router.post("/dedup/merge")
def merge(body: MergeBody, session: WriteSession) -> Response:
    """Merge incidents into the first one's group (reversible: every source keeps its own figures)."""
    merges = dedup.merge(session, body.ids, note=body.note, take=body.take)
    survivor = merges[0].survivor_id if merges else body.ids[0]
    return _json({"survivor_id": survivor, "merged": [m.duplicate_id for m in merges]})


@router.post("/dedup/keep-apart")
def keep_apart(body: KeepApartBody, session: WriteSession) -> Response:
    """Record that two incidents are different events, so they are no longer proposed as a pair."""
    dedup.keep_apart(session, body.first_id, body.second_id, note=body.note)
    return _json({"first_id": body.first_id, "second_id": body.second_id})


@router.post("/{incident_id}/unmerge")
def unmerge(incident_id: int, session: WriteSession) -> Response:
    """Undo the merges of an incident's group; each incident gets its own figures back."""
    return _json({"restored": dedup.unmerge(session, incident_id)})


@router.get("/{incident_id}")
def get_incident(incident_id: int, session: ReadSession) -> Response:
    """One incident with its group, every source (own figures, dataset, version, raw row) and decisions."""
    found = browse.detail(session, incident_id)
    return _json(found.as_dict(browse.actor_codes(session)))

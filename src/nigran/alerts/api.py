"""``/api/alerts``: the alerts inbox as JSON, over the services the CLI calls (signed-in users only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from nigran.alerts.service import AlertQuery, acknowledge, alert_dict, get_alert, list_alerts
from nigran.core.jsonout import dumps
from nigran.web.deps import ReadSession, SignedIn, WriteSession

router = APIRouter(prefix="/alerts", tags=["alerts"])


def _json(data: object) -> Response:
    return Response(dumps(data), media_type="application/json")


@router.get("")
def alerts(
    who: SignedIn,
    session: ReadSession,
    status: Annotated[str | None, Query(max_length=20)] = None,
    unit: Annotated[str | None, Query(max_length=100)] = None,
    month: Annotated[str | None, Query(max_length=7)] = None,
    kind: Annotated[str | None, Query(max_length=20)] = None,
    severity: Annotated[str | None, Query(max_length=10, description="low, medium or high: at least")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> Response:
    """The alerts the caller may see, newest month first (of one alert's levels, the highest visible)."""
    q = AlertQuery(
        status=status or None,
        unit=unit or None,
        month=month or None,
        kind=kind or None,
        min_severity=severity or None,
    )
    found = list_alerts(session, q, limit=limit)
    return _json({"items": [alert_dict(a, full=False) for a in found], "count": len(found)})


@router.get("/{alert_id}")
def alert(alert_id: int, who: SignedIn, session: ReadSession) -> Response:
    """One alert with its evidence (figures, baseline, incident or submission ids) and its handling."""
    return _json(alert_dict(get_alert(session, alert_id)))


class AckBody(BaseModel):
    note: str = Field(min_length=1, max_length=2000)


@router.post("/{alert_id}/ack")
def ack(alert_id: int, body: AckBody, who: SignedIn, session: WriteSession) -> Response:
    """Acknowledge an alert with a note (analysts, reviewers and administrators)."""
    return _json(alert_dict(acknowledge(session, alert_id, body.note)))

"""``/api/assessment``: the assessment as JSON, its map and chart data, the incidents behind a figure, the
counting definitions and the monitors' figures. Every read goes through the request's guarded session; a
bad month or definition is a 422 naming the parameter."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from nigran.assessment import definitions, service
from nigran.core.jsonout import dumps
from nigran.web.deps import ReadSession, WriteSession

router = APIRouter(prefix="/assessment", tags=["assessment"])
DefinitionParam = Annotated[str, Query(max_length=20, description="pips | picss | crss")]
PERIOD_HELP = "YYYY-MM (a month) or YYYY (a year)"


def _json(data: Any, status: int = 200) -> Response:
    return Response(dumps(data), status_code=status, media_type="application/json")


def _assess(session: Any, month: str, definition: str) -> service.Assessment:
    period = service.parse_period(month, "month")
    return service.assess(session, period, definitions.get(definition, field="definition"))


@router.get("/definitions")
def list_definitions() -> Response:
    """The counting definitions, with their rules and citations."""
    return _json([d.as_dict() for d in definitions.bundled().values()])


@router.get("/monitor-figures")
def monitor_figures(
    session: ReadSession,
    monitor: Annotated[str | None, Query(max_length=40)] = None,
    period: Annotated[str | None, Query(max_length=7, description=PERIOD_HELP)] = None,
    definition: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """The monitors' published figures held (reference series)."""
    if period is not None:
        service.parse_period(period, "period")
    if definition is not None:
        definitions.get(definition, field="definition")
    rows = service.list_figures(session, monitor=monitor, period=period, definition=definition)
    return _json([service.figure_dict(f) for f in rows])


class FigureIn(BaseModel):
    monitor: str = Field(max_length=40)
    period: str = Field(max_length=7)
    measure: str = Field(max_length=30)
    value: int = Field(ge=0, le=10_000_000)
    definition: str = Field(max_length=20)
    source: str = Field(max_length=2000)
    scope: str | None = Field(default=None, max_length=12)
    notes: str | None = Field(default=None, max_length=2000)
    classification: str = Field(default="PUBLIC", max_length=12)


@router.post("/monitor-figures", status_code=201)
def add_monitor_figure(body: FigureIn, session: WriteSession) -> Response:
    """Add a monitor's figure (analysts, administrators); the same figure again replaces its value."""
    figure, new = service.add_figure(session, body.model_dump(), name="body")
    return _json(service.figure_dict(figure), 201 if new else 200)


@router.get("/{month}")
def assessment(
    session: ReadSession,
    month: str,
    definition: DefinitionParam = "picss",
) -> Response:
    """The assessment of a month (or a year) under a definition; every figure with its incident ids."""
    return _json(_assess(session, month, definition).as_dict())


@router.get("/{month}/map")
def assessment_map(session: ReadSession, month: str, definition: DefinitionParam = "picss") -> Response:
    """Counted incidents per district polygon (joined with ``/api/geo/districts`` by the map)."""
    return _json(service.district_values(_assess(session, month, definition)))


@router.get("/{month}/series")
def assessment_series(session: ReadSession, month: str, definition: DefinitionParam = "picss") -> Response:
    """Attacks, operations and deaths over the twelve months to ``month`` (a chart's data)."""
    period = service.parse_period(month, "month")
    d = definitions.get(definition, field="definition")
    return _json(service.monthly_series(session, period, d))


@router.get("/{month}/figure")
def assessment_figure(
    session: ReadSession,
    month: str,
    key: Annotated[str, Query(max_length=60, description="e.g. total.killed, attacks.incidents")],
    definition: DefinitionParam = "picss",
) -> Response:
    """The incidents behind one figure, as the reader may see them."""
    from nigran.incidents import browse

    a = _assess(session, month, definition)
    ids = service.figure_ids(a, key)
    return _json({"figure": key, "incident_ids": ids, "incidents": browse.incidents_by_ids(session, ids)})

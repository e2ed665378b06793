"""The public portal's JSON under ``/api/portal``: the figures of its pages, the monthly chart and the map.

Computed as the anonymous public reader whoever asks (the same figures as the pages; see
:mod:`nigran.portal.service`), so they may be fetched without sign-in. ``/ur/api/portal/…`` names districts
and series in Urdu.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from nigran.core.jsonout import dumps
from nigran.portal import figures, service
from nigran.web import i18n

router = APIRouter(prefix="/portal", tags=["portal"])


def _json(data: Any) -> Response:
    return Response(dumps(data, indent=None), media_type="application/json")


@router.get("/frameworks", summary="Implementation progress of every public framework")
def frameworks(request: Request) -> Response:
    return _json([asdict(f) for f in figures.progress(request)])


@router.get("/frameworks/{code}", summary="One public framework: sections and public indicators")
def framework(request: Request, code: str) -> Response:
    return _json(asdict(figures.framework(request, code)))


@router.get("/situation", summary="Public incidents: month comparison, monthly series, districts")
def situation(request: Request) -> Response:
    return _json(asdict(figures.situation(request)))


@router.get("/series", summary="Incidents and killed per month, for the chart")
def series(request: Request) -> Response:
    labels = {"incidents": i18n.gettext("Incidents"), "killed": i18n.gettext("Killed")}
    return _json(service.series_chart(figures.situation(request), labels))


@router.get("/map", summary="District choropleth of public incidents (values by polygon code)")
def district_map(
    request: Request,
    measure: Annotated[str, Query(max_length=20, description="incidents or killed")] = "incidents",
) -> Response:
    return Response(figures.district_map(request, measure, i18n.current()), media_type="application/json")


@router.get("/reports", summary="Public annual reports that can be downloaded")
def reports(request: Request) -> Response:
    return _json(
        [
            {
                **asdict(r),
                "html": f"/portal/reports/{r.framework}/{r.year}/html",
                "pdf": f"/portal/reports/{r.framework}/{r.year}/pdf",
            }
            for r in figures.reports(request)
        ]
    )

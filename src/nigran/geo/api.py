"""``/api/geo``: district and province boundaries, and the incident choropleth, as GeoJSON.

The boundaries are public (bundled geoBoundaries polygons); the choropleth is computed through the request's
guarded session by :func:`nigran.incidents.browse.choropleth`, so its values are the reader's
``analytics.summary`` by district and nothing above their clearance is counted.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from nigran.core.jsonout import dumps
from nigran.geo import boundaries
from nigran.incidents import browse
from nigran.incidents.filter_params import FilterParams, filter_params
from nigran.web.deps import ReadSession

router = APIRouter(prefix="/geo", tags=["geo"])
GEOJSON = "application/geo+json"


def _geojson(body: bytes | str, *, cacheable: bool = False) -> Response:
    headers = {"cache-control": "public, max-age=86400"} if cacheable else None
    return Response(body, media_type=GEOJSON, headers=headers)


@cache
def _districts() -> bytes:
    return dumps(boundaries.district_features()).encode()


@cache
def _provinces() -> bytes:
    return dumps(boundaries.province_features()).encode()


@router.get("/districts")
def districts() -> Response:
    """Every district polygon with its code, English and Urdu names, province and the districts it draws."""
    return _geojson(_districts(), cacheable=True)


@router.get("/provinces")
def provinces() -> Response:
    """The provinces, regions and the capital territory with their ISO 3166-2:PK codes and names."""
    return _geojson(_provinces(), cacheable=True)


@router.get("/choropleth")
def choropleth(
    session: ReadSession,
    params: Annotated[FilterParams, Depends(filter_params)],
    measure: Annotated[str, Query(max_length=20, description="incidents or fatalities")] = "incidents",
) -> Response:
    """District polygons with ``value`` and ``class`` (1 = lowest; null = unknown) of the measure over the
    incidents the filters select; ``breaks`` are the classes' upper bounds."""
    return _geojson(dumps(browse.choropleth(session, params.resolve(session), measure)))

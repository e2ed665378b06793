"""``/api/geo``: district and province boundaries as GeoJSON, and the incident choropleth's values.

The boundaries are public (bundled geoBoundaries polygons) and never change while the server runs: each is
serialised (and gzipped) once and served with ``Cache-Control: public, max-age=86400`` and an ETag, so a
browser fetches them once (see ``nigran.web.security.PUBLIC_CACHEABLE``). The choropleth carries no geometry,
only each polygon's value, class and name by code (the map joins them with ``/api/geo/districts``); it is
computed through the request's guarded session by :func:`nigran.incidents.browse.choropleth`, so its values
are the reader's ``analytics.summary`` by district and nothing above their clearance is counted.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from nigran.core.jsonout import dumps
from nigran.geo import boundaries
from nigran.incidents import browse
from nigran.incidents.filter_params import FilterParams, filter_params
from nigran.web.deps import ReadSession

router = APIRouter(prefix="/geo", tags=["geo"])
GEOJSON = "application/geo+json"
CACHE_CONTROL = "public, max-age=86400"


@dataclass(frozen=True)
class _Blob:
    """One never-changing response body, plain and gzipped, with the ETag of each."""

    body: bytes
    gzipped: bytes
    etag: str

    @classmethod
    def of(cls, data: object) -> _Blob:
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
        return cls(body, gzip.compress(body, compresslevel=9, mtime=0), hashlib.sha256(body).hexdigest()[:20])

    def response(self, request: Request) -> Response:
        accepts_gzip = "gzip" in request.headers.get("accept-encoding", "")
        etag = f'"{self.etag}-gz"' if accepts_gzip else f'"{self.etag}"'
        headers = {"cache-control": CACHE_CONTROL, "etag": etag, "vary": "Accept-Encoding"}
        wanted = {t.strip().removeprefix("W/") for t in request.headers.get("if-none-match", "").split(",")}
        if wanted & {"*", f'"{self.etag}"', f'"{self.etag}-gz"'}:
            return Response(status_code=304, headers=headers)
        if accepts_gzip:
            return Response(self.gzipped, media_type=GEOJSON, headers={**headers, "content-encoding": "gzip"})
        return Response(self.body, media_type=GEOJSON, headers=headers)


@cache
def _districts() -> _Blob:
    return _Blob.of(boundaries.district_features())


@cache
def _provinces() -> _Blob:
    return _Blob.of(boundaries.province_features())


@router.get("/districts")
def districts(request: Request) -> Response:
    """Every district polygon with its code, English and Urdu names, province and the districts it draws.
    Cached by browsers for a day (ETag; 304 on ``If-None-Match``)."""
    return _districts().response(request)


@router.get("/provinces")
def provinces(request: Request) -> Response:
    """The provinces, regions and the capital territory with their ISO 3166-2:PK codes and names. Cached by
    browsers for a day (ETag; 304 on ``If-None-Match``)."""
    return _provinces().response(request)


@router.get("/choropleth")
def choropleth(
    session: ReadSession,
    params: Annotated[FilterParams, Depends(filter_params)],
    measure: Annotated[str, Query(max_length=20, description="incidents or fatalities")] = "incidents",
) -> Response:
    """The measure over the incidents the filters select, by district polygon, without geometry:
    ``polygons`` maps each polygon's code (as in ``/api/geo/districts``) to its ``value``, ``class``
    (1 = lowest; null = unknown) and ``name``; ``breaks`` are the classes' upper bounds; ``unmapped`` the
    districts no polygon draws, with their values."""
    body = dumps(browse.choropleth(session, params.resolve(session), measure), indent=None)
    return Response(body, media_type="application/json")

"""JSON API of the risk index: ``GET /api/risk/index`` (every district), ``GET /api/risk/index/{district}``
(one district's components with their sources; a name or a code; unknown → 404) and ``GET /api/risk/map``
(the values the district map draws, one per polygon).

Public: the index is computed from the incidents the caller may see (the guarded session filters the rest)
and from published covariates, so an anonymous reader gets the index of public data only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from nigran.core.jsonout import dumps
from nigran.geo.boundaries import class_of, district_features
from nigran.risk import index as idx
from nigran.web.deps import ReadSession

router = APIRouter(prefix="/risk", tags=["risk index"])
Month = Annotated[str | None, Query(max_length=7, description="YYYY-MM, the last of the 12 months counted")]
MAP_MEASURES = ("risk", *idx.DIMENSIONS)


def _json(body: Any) -> Response:
    return Response(dumps(body), media_type="application/json")


@router.get("/index")
def risk_index(session: ReadSession, month: Month = None) -> Response:
    """The index for every district, ranked, with every component, raw input and source."""
    return _json(idx.compute(session, month).as_dict())


def map_values(result: idx.IndexResult, measure: str, lang: str = "en") -> dict[str, Any]:
    """``{"breaks", "polygons": {code: {"value", "class", "name"}}}`` for the district map: a polygon that
    stands for several districts shows the highest value among them (the table lists each district)."""
    by_code = result.by_code()
    polygons: dict[str, dict[str, Any]] = {}
    for feature in district_features()["features"]:
        props = feature["properties"]
        values = []
        for code in props["districts"]:
            d = by_code.get(code)
            v = None if d is None else (d.risk if measure == "risk" else d.dimensions.get(measure))
            if v is not None:
                values.append(v)
        value = max(values) if values else None
        name = props["name_ur"] if lang == "ur" and props.get("name_ur") else props["name"]
        polygons[props["code"]] = {"value": value, "class": class_of(value, idx.CLASS_BREAKS), "name": name}
    return {"breaks": list(idx.CLASS_BREAKS), "polygons": polygons}


@router.get("/map")
def risk_map(
    session: ReadSession,
    month: Month = None,
    measure: Annotated[str, Query(max_length=20, pattern="^(risk|threat|vulnerability|coping)$")] = "risk",
) -> Response:
    """The map's values by polygon, classed by INFORM's fixed risk classes (2.0, 3.5, 5.0, 6.5, 10)."""
    return _json(map_values(idx.compute(session, month), measure))


@router.get("/index/{district}")
def risk_district(
    district: Annotated[str, Path(max_length=200)], session: ReadSession, month: Month = None
) -> Response:
    """One district (name or code): risk, dimensions, components with raw inputs and sources."""
    code = idx.resolve_district(district)  # NotFound → 404
    result = idx.compute(session, month)
    return _json({"month": result.month, **result.by_code()[code].as_dict()})

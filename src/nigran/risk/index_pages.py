"""Pages of the risk index: ``/risk`` (district map with a dimension switcher and the ranked table),
``/risk/index`` (the full table with reliability, and the sensitivity check) and ``/risk/index/{district}``
(one district's components with raw inputs and sources).

Public, like the API: the figures come from published covariates and from the incidents the reader may see
(the guarded session filters the rest); each page is marked with the highest level of the incidents counted.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from nigran.core.errors import InvalidInput
from nigran.core.problems import Problem
from nigran.risk import index as idx
from nigran.risk import sensitivity as sens
from nigran.web.deps import ReadSession
from nigran.web.templating import N_, mark, render

router = APIRouter(include_in_schema=False)
Month = Annotated[str | None, Query(max_length=7)]
MEASURES = {
    "risk": N_("Risk"),
    "threat": N_("Threat"),
    "vulnerability": N_("Vulnerability"),
    "coping": N_("Lack of coping capacity"),
}


def _problem_page(request: Request, template: str, exc: InvalidInput, **ctx: object) -> Response:
    return render(request, template, status_code=422, problems=list(exc.problems), result=None, **ctx)


@router.get("/risk")
def risk_map_page(
    request: Request,
    session: ReadSession,
    month: Month = None,
    measure: Annotated[str, Query(max_length=20)] = "risk",
) -> Response:
    ctx: dict[str, object] = {"measures": MEASURES, "measure": measure, "month": month or ""}
    try:
        if measure not in MEASURES:
            raise InvalidInput([Problem(0, f"unknown dimension {measure!r}", "measure")])
        result = idx.compute(session, month)
    except InvalidInput as exc:
        return _problem_page(request, "risk/index_map.html", exc, **ctx)
    mark(request, result.level)
    query = urlencode({k: v for k, v in {"month": month, "measure": measure}.items() if v})
    return render(
        request,
        "risk/index_map.html",
        result=result,
        problems=[],
        map_query=query,
        breaks=idx.CLASS_BREAKS,
        class_names=idx.CLASS_NAMES,
        labels=idx.DIMENSION_LABELS,
        **ctx,
    )


@router.get("/risk/index")
def risk_index_page(request: Request, session: ReadSession, month: Month = None) -> Response:
    ctx: dict[str, object] = {"month": month or ""}
    try:
        result = idx.compute(session, month)
        check = sens.run(session, month)
    except InvalidInput as exc:
        return _problem_page(request, "risk/index.html", exc, check=None, **ctx)
    mark(request, result.level)
    return render(
        request,
        "risk/index.html",
        result=result,
        check=check,
        problems=[],
        specs=idx.SPECS,
        labels=idx.DIMENSION_LABELS,
        top=sens.TOP,
        **ctx,
    )


@router.get("/risk/index/{district}")
def risk_district_page(
    request: Request,
    session: ReadSession,
    district: Annotated[str, Path(max_length=200)],
    month: Month = None,
) -> Response:
    code = idx.resolve_district(district)  # NotFound → 404
    try:
        result = idx.compute(session, month)
    except InvalidInput as exc:
        return _problem_page(request, "risk/index_district.html", exc, d=None, month=month or "")
    mark(request, result.level)
    return render(
        request,
        "risk/index_district.html",
        result=result,
        d=result.by_code()[code],
        problems=[],
        labels=idx.DIMENSION_LABELS,
        month=month or "",
    )

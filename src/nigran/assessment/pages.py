"""``/assessment``: the monthly security assessment as a page (month and definition pickers, tables, map,
chart, the monitors' figures), its downloads (``?format=json|html|pdf``) and the incidents behind each
figure. A thin adapter over :mod:`nigran.assessment.service`; every read through the request's session."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from nigran.assessment import definitions, service
from nigran.core.errors import InvalidInput
from nigran.core.problems import Problem
from nigran.web.deps import ReadSession
from nigran.web.exports import JSON_TYPE, download
from nigran.web.templating import mark, render

router = APIRouter(include_in_schema=False)
PAGE_FORMATS = {"json": JSON_TYPE, "html": "text/html; charset=utf-8", "pdf": "application/pdf"}


def _district_names() -> dict[str, str]:
    from nigran.geo.gazetteer import Gazetteer

    return {d.code: d.name for d in Gazetteer.bundled().districts}


def _page(request: Request, session: Any, month: str, definition: str, status_code: int = 200) -> Response:
    d = definitions.get(definition, field="definition")
    a = service.assess(session, service.parse_period(month, "month"), d)
    mark(request, a.highest)
    query = urlencode({"definition": d.code})

    def link(key: str) -> str:
        return f"/assessment/{a.period.label}/incidents?{urlencode({'definition': d.code, 'key': key})}"

    return render(
        request,
        "assessment/page.html",
        status_code=status_code,
        a=a,
        month=a.period.label,
        definition=d.code,
        definitions=list(definitions.bundled().values()),
        link=link,
        inc_url=lambda i: f"/incidents/{i}",
        query=query,
        districts=sorted(a.districts.items(), key=lambda kv: (-kv[1], kv[0])),
        district_names=_district_names(),
        problems=[],
    )


@router.get("/assessment")
def assessment_home(
    request: Request,
    session: ReadSession,
    month: Annotated[str | None, Query(max_length=7)] = None,
    definition: Annotated[str, Query(max_length=20)] = "picss",
) -> Response:
    """The picker, and the assessment of the chosen month (by default the latest month held)."""
    from nigran.incidents import browse

    chosen = (month or "").strip() or browse.latest_month(session)
    if chosen is None:
        return render(
            request,
            "assessment/page.html",
            a=None,
            month="",
            definition=definition,
            definitions=list(definitions.bundled().values()),
            problems=[],
        )
    try:
        return _page(request, session, chosen, definition)
    except InvalidInput as exc:
        return render(
            request,
            "assessment/page.html",
            status_code=422,
            a=None,
            month=chosen,
            definition=definition,
            definitions=list(definitions.bundled().values()),
            problems=list(exc.problems),
        )


@router.get("/assessment/{month}")
def assessment_month(
    request: Request,
    session: ReadSession,
    month: str,
    definition: Annotated[str, Query(max_length=20)] = "picss",
    format: Annotated[str | None, Query(max_length=10, description="json | html | pdf: download")] = None,
) -> Response:
    """The assessment of ``month`` (YYYY-MM, or YYYY: a year) under ``definition``; a file with ``format``."""
    if format is None:
        return _page(request, session, month, definition)
    fmt = format.strip().lower()
    if fmt not in PAGE_FORMATS:
        raise InvalidInput([Problem(0, f"unknown format {format!r} (one of json, html, pdf)", "format")])
    from nigran.assessment.render import render as render_file

    d = definitions.get(definition, field="definition")
    a = service.assess(session, service.parse_period(month, "month"), d)
    return download(render_file(a, fmt), f"assessment-{a.period.label}-{d.code}.{fmt}", PAGE_FORMATS[fmt])


@router.get("/assessment/{month}/incidents")
def assessment_figure(
    request: Request,
    session: ReadSession,
    month: str,
    key: Annotated[str, Query(max_length=60)],
    definition: Annotated[str, Query(max_length=20)] = "picss",
) -> Response:
    """The incidents behind one figure of the assessment, recomputed as the reader sees them."""
    from nigran.incidents import browse

    d = definitions.get(definition, field="definition")
    a = service.assess(session, service.parse_period(month, "month"), d)
    ids = service.figure_ids(a, key)
    rows = browse.incidents_by_ids(session, ids)
    for row in rows:
        mark(request, row["classification"])
    fig = a.figures()[key]
    return render(
        request,
        "assessment/figure.html",
        a=a,
        key=key,
        fig=fig,
        rows=rows,
        definition=d.code,
        month=a.period.label,
        shown=len(rows),
        total=len(ids),
    )

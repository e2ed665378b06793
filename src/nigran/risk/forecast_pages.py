"""``/risk/forecasts`` (the backtest table and skill chart, the latest run) and ``/risk/districts/{district}``
(a district's series, forecast fan chart, explanation, recent incidents, and — where those domains exist — its
risk components and alerts). Signed-in users; an unknown district is 404. Reads through the request's session.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from nigran.access.classification import Classification
from nigran.core.errors import NigranError
from nigran.core.modules import optional_import
from nigran.risk import forecast as service
from nigran.web.deps import ReadSession, SignedIn
from nigran.web.templating import mark, render

router = APIRouter(include_in_schema=False)


@router.get("/risk/forecasts")
def forecasts_page(request: Request, who: SignedIn, session: ReadSession) -> Response:
    run = service.latest_run(session)
    if run is None:
        return render(request, "risk/forecast_list.html", run=None, summary=None, rows=[], districts=[])
    mark(request, Classification.parse(run.classification))
    summary = run.backtest or {}
    top = sorted(
        (f for f in service.current(session, "district") if f.measure == "fatalities" and f.horizon == 1),
        key=lambda f: -(f.p_fatal or 0.0),
    )[:20]
    names = _names(session)
    return render(
        request,
        "risk/forecast_list.html",
        run=service.run_dict(run),
        summary=summary,
        rows=summary.get("rows", []),
        districts=[(f, names.get(f.unit_code, f.unit_code)) for f in top],
    )


def _names(session: Any) -> dict[str, str]:
    from sqlalchemy import select

    from nigran.geo.models import AdminUnit

    return dict(
        session.execute(select(AdminUnit.code, AdminUnit.name).where(AdminUnit.level == "district")).all()
    )


def _optional(module: str, function: str, session: Any, code: str) -> Any:
    found = optional_import(module)
    hook = getattr(found, function, None) if found is not None else None
    if hook is None:
        return None
    try:
        return hook(session, code)
    except NigranError:  # the other domain has nothing for this district: the section is left out
        return None


@router.get("/risk/districts/{district}")
def district_page(request: Request, who: SignedIn, session: ReadSession, district: str) -> Response:
    unit = service.resolve_unit(session, district[:200])  # unknown: NotFound → 404
    run = service.latest_run(session)
    found = service.district_forecast(session, unit.code) if run is not None else None
    if run is not None:
        mark(request, Classification.parse(run.classification))
    return render(
        request,
        "risk/district.html",
        unit=unit,
        found=found,
        components=_optional("nigran.risk.index", "district_components", session, unit.code),
        alerts=_optional("nigran.alerts.service", "alerts_for_unit", session, unit.code),
    )

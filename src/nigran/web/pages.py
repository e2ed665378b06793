"""The platform's own pages: the home page and the overview that other domains link from.

The overview computes, as the reader (the access guard filters every figure): implementation of each
framework (``monitoring.overview``), the security situation this month against last month and the same
month last year (``incidents.analytics.summary``), and overdue reporting (``monitoring.scorecards``).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from nigran.access.principal import Principal, Role
from nigran.web.deps import CurrentPrincipal, ReadSession
from nigran.web.templating import render

router = APIRouter(include_in_schema=False)
OVERDUE_ROLES = frozenset({Role.ADMINISTRATOR, Role.REVIEWER, Role.ANALYST, Role.FOCAL_PERSON})
OVERDUE_SHOWN = 20


@dataclass(frozen=True)
class MonthFigures:
    label: str
    incidents: int | None
    killed: int | None


def _month_back(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def situation(session: Session, today: date) -> list[MonthFigures]:
    """This month, last month and the same month a year before."""
    from nigran.incidents.analytics import Filters, summary

    start = _month_back(today, 12)
    end = date(today.year, today.month, calendar.monthrange(today.year, today.month)[1])
    rows = {tuple(int(k) for k in r.key): r for r in summary(session, "month", Filters(start, end))}
    out = []
    for label, months in (("This month", 0), ("Last month", 1), ("Same month last year", 12)):
        d = _month_back(today, months)
        row = rows.get((d.year, d.month))
        values = row.values if row else {}
        out.append(MonthFigures(f"{label} ({d:%Y-%m})", values.get("incidents") or 0, values.get("killed")))
    return out


def overdue(session: Session, who: Principal, codes: list[str], today: date) -> list[Any]:
    if who.role not in OVERDUE_ROLES:
        return []
    from nigran.monitoring.scorecards import overdue_items

    items: list[Any] = []
    for code in codes:
        items += overdue_items(session, code, today, include_late=False)
    return sorted(items, key=lambda i: -i.days)


def _overview(request: Request, session: Session, who: Principal) -> Response:
    from nigran.monitoring.overview import overview

    today = date.today()
    frameworks = overview(session, today)
    late = overdue(session, who, [f.code for f in frameworks], today)
    return render(
        request,
        "overview.html",
        frameworks=frameworks,
        months=situation(session, today),
        overdue=late[:OVERDUE_SHOWN],
        overdue_total=len(late),
    )


@router.get("/")
def home(request: Request, session: ReadSession, who: CurrentPrincipal) -> Response:
    return _overview(request, session, who)


@router.get("/overview")
def overview_page(request: Request, session: ReadSession, who: CurrentPrincipal) -> Response:
    return _overview(request, session, who)

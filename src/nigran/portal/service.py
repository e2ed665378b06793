"""The public portal's figures: implementation progress, public indicators, the security situation, reports.

Every function here reads through a session bound to :meth:`Principal.anonymous` — whoever is signed in.
The portal is what a citizen sees, so an administrator looking at it must see exactly that, never a total
that counts records a citizen cannot see (which would let a reader compare the two and infer what is
classified). :func:`public_session` is the only way the pages open one, and every function checks the
session's reader (:func:`require_public`) so that a caller passing the signed-in user's session by mistake
fails loudly instead of leaking. Because the figures are the same for everyone, they may be cached
(:mod:`nigran.portal.cache`).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigran.access import guard
from nigran.access.classification import Classification
from nigran.access.principal import Principal, Role
from nigran.core.errors import AccessDenied, InvalidInput, NotFound
from nigran.core.problems import Problem
from nigran.storage.db import Database

#: Months in the monthly series and the window of the district map (ending with the reference month).
SERIES_MONTHS = 24
MAP_MONTHS = 12
MEASURES = ("incidents", "killed")
REPORT_FORMATS = ("html", "pdf")


@contextmanager
def public_session(db: Database) -> Iterator[Session]:
    """A read-only transaction as the anonymous public reader: the portal's only way into the database."""
    with db.session(Principal.anonymous(), readonly=True) as session:
        yield session


def require_public(session: Session) -> None:
    """Refuse a session bound to anyone but the public reader (a defect in the caller, never the user's)."""
    who = guard.principal_of(session)
    if who.is_system or who.role is not Role.PUBLIC_READER or who.clearance != Classification.PUBLIC:
        raise AccessDenied("the public portal is computed as the public reader only")


# -- implementation progress --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SectionProgress:
    code: str
    title: str
    title_ur: str | None
    score: float | None  # 0..1
    status: str
    change: float | None  # score now minus score at the previous cycle
    objectives: int
    objectives_achieved: int


@dataclass(frozen=True)
class IndicatorValue:
    code: str
    name: str
    name_ur: str | None
    unit: str | None
    baseline: float | None
    value: float | None  # the latest verified value scored in the cycle
    value_period_end: date | None
    target: float | None  # the target in force at the cycle's end
    final_target: float | None
    target_year: int | None
    status: str


@dataclass(frozen=True)
class FrameworkProgress:
    code: str
    title: str
    title_ur: str | None
    period: str
    cycle: str
    previous_cycle: str | None
    objectives: int
    objectives_achieved: int
    share_achieved: float | None  # achieved / all objectives (unmeasured count as not achieved)
    share_change: float | None  # the share now minus the share at the previous cycle
    score: float | None
    status: str
    sections: list[SectionProgress] = field(default_factory=list)
    indicators: list[IndicatorValue] = field(default_factory=list)


def _urdu_titles(session: Session, model: Any, framework_id: int, column: str = "title_ur") -> dict[str, str]:
    rows = session.execute(
        select(model.code, getattr(model, column)).where(model.framework_id == framework_id)
    ).all()
    return {code: ur for code, ur in rows if ur}


def framework_progress(session: Session, code: str, today: date) -> FrameworkProgress:
    """One public framework: share of objectives achieved, score by section, change since the last cycle."""
    from nigran.monitoring.scorecards import compare_cycles
    from nigran.policy.models import Indicator, Section
    from nigran.policy.service import get_framework

    require_public(session)
    fw = get_framework(session, code)
    cmp = compare_cycles(session, fw.code, as_of=today)
    fs = cmp.current
    change = {c.code: c.delta for c in cmp.changes if c.level == "section"}
    sections_ur = _urdu_titles(session, Section, fw.id)
    sections = [
        SectionProgress(
            code=s.code,
            title=s.title,
            title_ur=sections_ur.get(s.code),
            score=s.score,
            status=s.status,
            change=change.get(s.code),
            objectives=sum(1 for _ in s.all_objectives()),
            objectives_achieved=sum(1 for o in s.all_objectives() if o.achieved),
        )
        for s in fs.all_sections()
    ]
    names_ur = _urdu_titles(session, Indicator, fw.id, "name_ur")
    indicators = [
        IndicatorValue(
            code=i.code,
            name=i.title,
            name_ur=names_ur.get(i.code),
            unit=i.unit,
            baseline=i.baseline,
            value=i.value,
            value_period_end=i.value_period_end,
            target=i.expected,
            final_target=i.final_target,
            target_year=i.target_year,
            status=i.status,
        )
        for i in fs.indicators()
    ]
    return FrameworkProgress(
        code=fw.code,
        title=fw.title,
        title_ur=fw.title_ur,
        period=f"{fw.period_start.year}–{fw.period_end.year}",
        cycle=fs.cycle.code,
        previous_cycle=cmp.previous.cycle.code if cmp.previous else None,
        objectives=len(fs.objectives()),
        objectives_achieved=fs.objectives_achieved,
        share_achieved=fs.share_objectives_achieved,
        share_change=cmp.share_achieved_change,
        score=fs.score,
        status=fs.status,
        sections=sections,
        indicators=indicators,
    )


def progress(session: Session, today: date) -> list[FrameworkProgress]:
    """Every framework the public may see, oldest period first."""
    from nigran.policy.models import Framework

    require_public(session)
    codes = session.scalars(select(Framework.code).order_by(Framework.period_start, Framework.code)).all()
    return [framework_progress(session, code, today) for code in codes]


# -- security situation -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthFigures:
    year: int
    month: int
    incidents: int
    killed: int | None  # None: no incident of the month says how many were killed

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class DistrictFigures:
    code: str
    name: str
    name_ur: str | None
    incidents: int
    killed: int | None
    on_map: bool  # False: the district has no polygon (its figures are in the table only)


@dataclass(frozen=True)
class Situation:
    reference: date  # first day of the month compared
    latest_data: date | None  # the latest public incident's date
    is_current_month: bool  # False: the public data end before this month, the latest month is shown
    this_month: MonthFigures
    last_month: MonthFigures
    last_year: MonthFigures
    series: list[MonthFigures]
    window: tuple[date, date]  # the period of the district figures
    districts: list[DistrictFigures]
    unlocated: int  # incidents of the window without a district


def _month_back(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _month_end(d: date) -> date:
    return date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])


def latest_incident(session: Session) -> date | None:
    from nigran.incidents.models import Incident

    require_public(session)
    return session.scalar(select(func.max(Incident.date)).where(Incident.duplicate_of_id.is_(None)))


def reference_month(session: Session, today: date) -> tuple[date, date | None]:
    """This month, or — when the public data end earlier — the latest month with a public incident, so the
    comparison is not a row of zeros that only says the data stop. Returns (first day, latest date)."""
    latest = latest_incident(session)
    current = date(today.year, today.month, 1)
    if latest is not None and latest < current:
        return date(latest.year, latest.month, 1), latest
    return current, latest


def monthly(session: Session, start: date, end: date) -> list[MonthFigures]:
    """Incidents and killed per month from ``start`` to ``end`` (first days of months), every month listed."""
    from nigran.incidents.analytics import Filters, aggregate

    require_public(session)
    rows = {
        tuple(int(k) for k in r.key): r.values
        for r in aggregate(session, "month", Filters(start, _month_end(end)))
    }
    out = []
    d = start
    while d <= end:
        values = rows.get((d.year, d.month))
        if values:
            out.append(MonthFigures(d.year, d.month, values.get("incidents") or 0, values.get("killed")))
        else:
            out.append(MonthFigures(d.year, d.month, 0, 0))  # no incident: nobody killed in one
        d = _month_back(d, -1)
    return out


def districts(session: Session, start: date, end: date) -> tuple[list[DistrictFigures], int]:
    """Figures by district over the window, with English and Urdu names; and incidents without a district."""
    from nigran.geo.boundaries import district_polygon_of
    from nigran.geo.models import AdminUnit
    from nigran.incidents.analytics import Filters, aggregate

    require_public(session)
    names = {
        code: (name, ur)
        for code, name, ur in session.execute(select(AdminUnit.code, AdminUnit.name, AdminUnit.name_ur))
    }
    out, unlocated = [], 0
    for r in aggregate(session, "district", Filters(start, _month_end(end))):
        incidents = r.values.get("incidents") or 0
        if r.label == "unknown" or r.label not in names:
            unlocated += incidents
            continue
        name, ur = names[r.label]
        out.append(
            DistrictFigures(
                r.label, name, ur, incidents, r.values.get("killed"), district_polygon_of(r.label) is not None
            )
        )
    out.sort(key=lambda d: (-d.incidents, -(d.killed or 0), d.code))
    return out, unlocated


def situation(session: Session, today: date) -> Situation:
    """This month against last month and the same month last year, the monthly series, the districts."""
    require_public(session)
    reference, latest = reference_month(session, today)
    series = monthly(session, _month_back(reference, SERIES_MONTHS - 1), reference)
    by_month = {(m.year, m.month): m for m in series}
    year_ago = _month_back(reference, 12)
    window = (_month_back(reference, MAP_MONTHS - 1), _month_end(reference))
    rows, unlocated = districts(session, window[0], reference)
    return Situation(
        reference=reference,
        latest_data=latest,
        is_current_month=reference == date(today.year, today.month, 1),
        this_month=by_month[(reference.year, reference.month)],
        last_month=by_month[(_month_back(reference, 1).year, _month_back(reference, 1).month)],
        last_year=by_month[(year_ago.year, year_ago.month)],
        series=series,
        window=window,
        districts=rows,
        unlocated=unlocated,
    )


def check_measure(measure: str) -> str:
    if measure not in MEASURES:
        raise InvalidInput(
            [Problem(0, f"unknown measure {measure!r} (one of {', '.join(MEASURES)})", "measure")]
        )
    return measure


def district_map(session: Session, today: date, measure: str, lang: str = "en") -> dict[str, Any]:
    """The district choropleth of ``measure`` over the map window, names in ``lang``: the polygons' values
    without geometry (:func:`nigran.geo.boundaries.choropleth_values`; the map joins them by code with
    ``/api/geo/districts``)."""
    from nigran.geo.boundaries import choropleth_values

    check_measure(measure)
    reference, _ = reference_month(session, today)
    rows, _ = districts(session, _month_back(reference, MAP_MONTHS - 1), reference)
    values = {d.code: (d.incidents if measure == "incidents" else d.killed) for d in rows if d.on_map}
    return {"measure": measure, **choropleth_values(values, lang=lang)}


def series_chart(situation: Situation, labels: dict[str, str]) -> dict[str, Any]:
    """The monthly series in the charts' contract: ``{labels, datasets: [{label, data}]}``."""
    return {
        "labels": [m.label for m in situation.series],
        "datasets": [
            {"label": labels["incidents"], "data": [m.incidents for m in situation.series]},
            {"label": labels["killed"], "data": [m.killed for m in situation.series]},
        ],
    }


# -- annual reports -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportLink:
    framework: str
    title: str
    title_ur: str | None
    year: int


def available_reports(session: Session, today: date) -> list[ReportLink]:
    """The public annual reviews that can be downloaded: one per annual cycle that has ended."""
    from nigran.monitoring.cycles import stored
    from nigran.policy.models import Framework

    require_public(session)
    out = []
    for fw in session.scalars(select(Framework).order_by(Framework.period_start, Framework.code)):
        years = sorted(
            {c.year for c in stored(session, fw) if c.kind == "annual" and c.period_end < today}, reverse=True
        )
        out += [ReportLink(fw.code, fw.title, fw.title_ur, y) for y in years]
    return out


def check_report(session: Session, code: str, year: int, fmt: str, today: date) -> ReportLink:
    """The report asked for, if the public may download it (else "not found", like a missing one)."""
    if fmt not in REPORT_FORMATS:
        raise NotFound(f"no public report in format {fmt!r} (html or pdf)")
    for link in available_reports(session, today):
        if link.framework == code and link.year == year:
            return link
    raise NotFound(f"no public annual report of {code} for {year}")


def public_report(db: Database, code: str, year: int, fmt: str, today: date) -> tuple[bytes, str, str]:
    """The public edition's bytes, media type and file name (gathered as the public reader by the reports
    service, whoever asks)."""
    from nigran.reports.model import Edition
    from nigran.reports.service import ReportFormat, render_annual

    with public_session(db) as session:
        link = check_report(session, code, year, fmt, today)
    rendered = render_annual(
        db, Principal.anonymous(), link.framework, link.year, Edition.PUBLIC, ReportFormat(fmt), today=today
    )
    return rendered.content, rendered.media_type, rendered.filename

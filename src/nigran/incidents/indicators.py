"""Indicators of the policy register defined as a query over incidents, computed per reporting period.

``Indicator.incident_query`` is JSON, for example::

    {"measure": "civilians_killed", "province": "PK-KP", "event_types": ["bombing", "suicide_bombing"],
     "period": "year", "actor": "TTP", "from": "2022", "to": "2026"}

``measure`` is one of incidents, killed, victims_killed, civilians_killed, security_killed, militants_killed,
injured, hostages. Every value comes with the ids of the incidents it counts (its provenance).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigran.core.errors import NotFound
from nigran.core.problems import InvalidInput, Problem
from nigran.incidents import filters
from nigran.incidents.analytics import ALL_MEASURES, _row_filters
from nigran.incidents.models import Incident
from nigran.policy.models import Indicator

PERIODS = ("year", "quarter", "month")
KEYS = {"measure", "province", "district", "event_types", "actor", "period", "from", "to"}


class QueryError(InvalidInput):
    """An ``incident_query`` that cannot be computed; its problems name the indicator."""


@dataclass
class PeriodValue:
    """One period's value. ``value`` is None when the period has incidents but none gives the measure
    (unknown, not 0); ``known`` of ``incidents`` give it."""

    period: str
    value: int | None
    incident_ids: list[int] = field(default_factory=list)
    known: int = 0
    incidents: int = 0


def validate_query(query: dict[str, Any]) -> list[str]:
    """Problems with an incident query's shape, in words (names are checked by :mod:`.filters`)."""
    if not isinstance(query, dict):
        return ["incident_query must be a mapping of keys to values"]
    problems = [f"unknown key {k!r} (allowed: {', '.join(sorted(KEYS))})" for k in query if k not in KEYS]
    if query.get("measure", "incidents") not in ALL_MEASURES:
        problems.append(f"measure {query.get('measure')!r} is not one of {', '.join(ALL_MEASURES)}")
    if query.get("period", "year") not in PERIODS:
        problems.append(f"period {query.get('period')!r} is not one of {', '.join(PERIODS)}")
    return problems


def _period(year: int, month: int, kind: str) -> str:
    if kind == "year":
        return str(year)
    if kind == "quarter":
        return f"{year}-Q{(month + 2) // 3}"
    return f"{year}-{month:02d}"


def _all_periods(start: tuple[int, int], end: tuple[int, int], kind: str) -> list[str]:
    out, (y, m) = [], start
    while (y, m) <= end:
        p = _period(y, m, kind)
        if not out or out[-1] != p:
            out.append(p)
        y, m = (y, m + 1) if m < 12 else (y + 1, 1)
    return out


def compute(
    session: Session,
    query: dict[str, Any],
    *,
    default_from: str | None = None,
    default_to: str | None = None,
    source: str = "incident_query",
) -> list[PeriodValue]:
    """Values for every period from ``from`` to ``to`` (zero where no incident counts, None where incidents
    do not give the measure), with provenance. Problems name ``source`` (the indicator)."""
    problems = validate_query(query)
    if problems:
        raise QueryError([Problem(0, p, source) for p in problems])
    measure, kind = query.get("measure", "incidents"), query.get("period", "year")
    try:
        f = filters.from_query(session, query, source=source, date_from=default_from, date_to=default_to)
    except InvalidInput as exc:
        raise QueryError(exc.problems) from None
    column = Incident.id if measure == "incidents" else getattr(Incident, measure)
    stmt = _row_filters(session, select(Incident.id, Incident.year, Incident.month, column), f)
    stmt = stmt.where(Incident.duplicate_of_id.is_(None)).order_by(Incident.id)
    values: dict[str, int] = defaultdict(int)
    ids: dict[str, list[int]] = defaultdict(list)
    known: dict[str, int] = defaultdict(int)
    counted: dict[str, int] = defaultdict(int)
    seen: list[tuple[int, int]] = []
    for iid, year, month, value in session.execute(stmt):
        amount = 1 if measure == "incidents" else (value or 0)
        seen.append((year, month))
        p = _period(year, month, kind)
        counted[p] += 1
        known[p] += 1 if measure == "incidents" or value is not None else 0
        if amount:
            values[p] += amount
            ids[p].append(iid)
    start = (f.date_from.year, f.date_from.month) if f.date_from else min(seen, default=None)
    end = (f.date_to.year, f.date_to.month) if f.date_to else max(seen, default=None)
    if start is None or end is None:
        return []
    return [
        PeriodValue(
            p,
            values.get(p, 0) if known.get(p) or not counted.get(p) else None,
            ids.get(p, []),
            known.get(p, 0),
            counted.get(p, 0),
        )
        for p in _all_periods(start, end, kind)
    ]


def indicator_values(
    session: Session, code: str, framework: str | None = None
) -> tuple[Indicator, list[PeriodValue]]:
    """Values of an incident-based indicator over its framework's period, unless the query names its own."""
    from nigran.policy.models import Framework

    stmt = select(Indicator).where(Indicator.code == code)
    if framework:
        stmt = stmt.join(Framework, Indicator.framework_id == Framework.id).where(Framework.code == framework)
    found = list(session.scalars(stmt))
    if not found:
        raise NotFound(f"no indicator {code!r}" + (f" in framework {framework}" if framework else ""))
    if len(found) > 1:
        codes = sorted(i.framework.code for i in found)
        raise InvalidInput(
            [
                Problem(
                    0,
                    f"indicator {code} is in several frameworks ({', '.join(codes)}): name one",
                    "--framework",
                )
            ]
        )
    ind = found[0]
    where = f"indicator {code}"
    if not ind.incident_query:
        raise QueryError([Problem(0, "has no incident_query: it is not computed from incidents", where)])
    fw = ind.framework
    return ind, compute(
        session,
        ind.incident_query,
        default_from=str(fw.period_start.year),
        default_to=str(fw.period_end.year),
        source=where,
    )

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

from nigran.incidents.analytics import ALL_MEASURES, Filters, _row_filters, parse_period_bound
from nigran.incidents.mappings import EVENT_TYPES
from nigran.incidents.models import Incident
from nigran.policy.models import Indicator

PERIODS = ("year", "quarter", "month")
KEYS = {"measure", "province", "district", "event_types", "actor", "period", "from", "to"}


class QueryError(ValueError):
    pass


@dataclass
class PeriodValue:
    period: str
    value: int
    incident_ids: list[int] = field(default_factory=list)


def validate_query(query: dict[str, Any]) -> list[str]:
    """Problems with an incident query, in words; empty when it is usable."""
    problems = [f"unknown key {k!r} (allowed: {', '.join(sorted(KEYS))})" for k in query if k not in KEYS]
    if query.get("measure", "incidents") not in ALL_MEASURES:
        problems.append(f"measure {query.get('measure')!r} is not one of {', '.join(ALL_MEASURES)}")
    if query.get("period", "year") not in PERIODS:
        problems.append(f"period {query.get('period')!r} is not one of {', '.join(PERIODS)}")
    bad = [t for t in query.get("event_types") or [] if t not in EVENT_TYPES]
    if bad:
        problems.append(f"unknown event types {bad} (allowed: {', '.join(sorted(EVENT_TYPES))})")
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
    session: Session, query: dict[str, Any], *, default_from: str | None = None, default_to: str | None = None
) -> list[PeriodValue]:
    """Values for every period from ``from`` to ``to`` (zero where no incident counts), with provenance."""
    problems = validate_query(query)
    if problems:
        raise QueryError("; ".join(problems))
    measure, kind = query.get("measure", "incidents"), query.get("period", "year")
    f = Filters(
        date_from=parse_period_bound(str(query.get("from") or default_from or "") or None, end=False),
        date_to=parse_period_bound(str(query.get("to") or default_to or "") or None, end=True),
        province=query.get("province"),
        district=query.get("district"),
        event_types=tuple(query.get("event_types") or ()),
        actor=query.get("actor"),
    )
    column = Incident.id if measure == "incidents" else getattr(Incident, measure)
    stmt = _row_filters(session, select(Incident.id, Incident.year, Incident.month, column), f)
    stmt = stmt.where(Incident.duplicate_of_id.is_(None)).order_by(Incident.id)
    values: dict[str, int] = defaultdict(int)
    ids: dict[str, list[int]] = defaultdict(list)
    seen: list[tuple[int, int]] = []
    for iid, year, month, value in session.execute(stmt):
        amount = 1 if measure == "incidents" else (value or 0)
        seen.append((year, month))
        if amount:
            p = _period(year, month, kind)
            values[p] += amount
            ids[p].append(iid)
    start = (f.date_from.year, f.date_from.month) if f.date_from else min(seen, default=None)
    end = (f.date_to.year, f.date_to.month) if f.date_to else max(seen, default=None)
    if start is None or end is None:
        return []
    return [PeriodValue(p, values.get(p, 0), ids.get(p, [])) for p in _all_periods(start, end, kind)]


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
        raise LookupError(f"no indicator {code!r}" + (f" in framework {framework}" if framework else ""))
    if len(found) > 1:
        raise LookupError(f"indicator code {code!r} is in several frameworks: name one with --framework")
    ind = found[0]
    if not ind.incident_query:
        raise QueryError(f"indicator {code} has no incident_query: it is not computed from incidents")
    fw = ind.framework
    return ind, compute(
        session,
        ind.incident_query,
        default_from=str(fw.period_start.year),
        default_to=str(fw.period_end.year),
    )

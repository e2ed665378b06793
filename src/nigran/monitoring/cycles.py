"""Reporting periods: parse cycle codes, find a framework's cycles, and the one before a given cycle.

A cycle code is ``YYYY`` (annual) or ``YYYY-Qn`` (quarterly). Scoring accepts a code even when no cycle
row exists yet (a *virtual* cycle: same period, no deadline), so a framework can be scored for any year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigran.core.problems import InvalidInput, Problem
from nigran.monitoring.models import ReportingCycle
from nigran.policy.models import Framework

_CODE = re.compile(r"^(\d{4})(?:-Q([1-4]))?$")


@dataclass(frozen=True)
class CycleInfo:
    """The period being scored; ``id`` and ``deadline`` are ``None`` for a virtual cycle."""

    code: str
    kind: str
    period_start: date
    period_end: date
    deadline: date | None = None
    id: int | None = None

    @property
    def year(self) -> int:
        return self.period_end.year


def parse_code(code: str) -> tuple[str, date, date]:
    """``'2024'`` → annual 2024-01-01..2024-12-31; ``'2024-Q2'`` → quarterly 2024-04-01..2024-06-30.

    >>> parse_code("2024-Q2")
    ('quarterly', datetime.date(2024, 4, 1), datetime.date(2024, 6, 30))
    """
    match = _CODE.match(code.strip().upper())
    if not match:
        raise InvalidInput(
            [Problem(0, f"cycle code {code!r} is neither YYYY (annual) nor YYYY-Qn (quarterly)", "cycle")]
        )
    year, quarter = int(match.group(1)), match.group(2)
    if quarter is None:
        return "annual", date(year, 1, 1), date(year, 12, 31)
    q = int(quarter)
    start = date(year, 3 * q - 2, 1)
    end = date(year + (q == 4), (3 * q) % 12 + 1, 1) - timedelta(days=1)
    return "quarterly", start, end


def info(cycle: ReportingCycle) -> CycleInfo:
    return CycleInfo(cycle.code, cycle.kind, cycle.period_start, cycle.period_end, cycle.deadline, cycle.id)


def virtual(code: str) -> CycleInfo:
    kind, start, end = parse_code(code)
    return CycleInfo(code.strip().upper(), kind, start, end)


def stored(session: Session, framework: Framework) -> list[CycleInfo]:
    rows = session.scalars(
        select(ReportingCycle)
        .where(ReportingCycle.framework_id == framework.id)
        .order_by(ReportingCycle.period_end, ReportingCycle.kind.desc())
    )
    return [info(c) for c in rows]


def resolve(session: Session, framework: Framework, code: str | None, today: date | None = None) -> CycleInfo:
    """The named cycle (stored, else virtual), or by default the latest annual cycle that has ended."""
    cycles = stored(session, framework)
    if code:
        wanted = code.strip().upper()
        return next((c for c in cycles if c.code.upper() == wanted), None) or virtual(wanted)
    today = today or date.today()
    ended = [c for c in cycles if c.period_end <= today]
    for pool in ([c for c in ended if c.kind == "annual"], ended, cycles):
        if pool:
            return pool[-1]
    year = min(today.year - 1, framework.period_end.year)
    return virtual(str(max(year, framework.period_start.year)))


def previous(session: Session, framework: Framework, cycle: CycleInfo) -> CycleInfo | None:
    """The cycle of the same kind that ended last before this one; ``None`` before the framework began."""
    earlier = [
        c for c in stored(session, framework) if c.kind == cycle.kind and c.period_end < cycle.period_end
    ]
    if earlier:
        return earlier[-1]
    if cycle.kind == "annual":
        code = str(cycle.year - 1)
    else:
        q = (cycle.period_end.month - 1) // 3 + 1
        code = f"{cycle.year}-Q{q - 1}" if q > 1 else f"{cycle.year - 1}-Q4"
    prior = virtual(code)
    return prior if prior.period_end >= framework.period_start else None

"""Periods and targets: how the values an entity reports for parts of a year compare with a year's target.

Targets are set per calendar year. A value covers a period (a quarter, a year, or less), and what it means
for the year depends on the indicator's aggregation (:class:`nigran.policy.enums.Aggregation`):

* ``stock`` — a level at the end of its period: the latest value stands, compared with the target in force
  on the cycle's last day (as before).
* ``flow`` — a total over its period: the year-to-date values are added up and compared with the *same
  share* of the year's target (pro rata to the days they cover). Shown as the annual equivalent, "at this
  pace, N a year", which compares directly with the year's target: 145 deaths in one quarter is a pace of
  582 a year, far above an annual target of 297, not "100% achieved".
* ``rate`` — a ratio or average: the year-to-date values are averaged, each weighted by the days it covers,
  and compared with the target in force on the cycle's last day.

Everything here is pure and doctested; docs/methodology.md explains it with a worked example.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Reading:
    """One verified value and the period it covers (both days included)."""

    start: date
    end: date
    value: float
    ref: int = 0  # the submission id, to order equal periods (latest wins) and to trace the figure

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class YearFigure:
    """The figure compared with the target, with what it was made of."""

    value: float
    readings: tuple[Reading, ...]
    covered_days: int
    year_days: int
    basis: str


def year_days(year: int) -> int:
    return (date(year + 1, 1, 1) - date(year, 1, 1)).days


def choose(readings: Sequence[Reading]) -> list[Reading]:
    """Non-overlapping readings, preferring the ones that cover most, then the latest period and submission:
    a year's value wins over its quarters; a correction (a later submission for the same period) wins over
    the value it corrects. Returned in period order.

    >>> q = [Reading(date(2025, 1, 1), date(2025, 3, 31), 70, 1),
    ...      Reading(date(2025, 4, 1), date(2025, 6, 30), 75, 2)]
    >>> [r.ref for r in choose(q)]
    [1, 2]
    >>> [r.ref for r in choose(q + [Reading(date(2025, 1, 1), date(2025, 12, 31), 280, 3)])]
    [3]
    """
    chosen: list[Reading] = []
    for r in sorted(readings, key=lambda r: (r.days, r.end, r.ref), reverse=True):
        if all(r.end < c.start or r.start > c.end for c in chosen):
            chosen.append(r)
    return sorted(chosen, key=lambda r: r.start)


def year_to_date(aggregation: str, readings: Sequence[Reading], year: int, until: date) -> YearFigure | None:
    """The year-equivalent figure of a ``flow`` or ``rate`` indicator from the values of ``year`` up to
    ``until``; ``None`` when there is none.

    A flow's total is scaled to a full year by the share of the year its values cover (the same as comparing
    the total with that share of the year's target); a rate is the duration-weighted mean.

    >>> q2 = [Reading(date(2025, 4, 1), date(2025, 6, 30), 145)]
    >>> year_to_date("flow", q2, 2025, date(2025, 6, 30)).value   # 145 × 365 / 91
    581.5934065934066
    >>> full = [Reading(date(2025, 1, 1), date(2025, 12, 31), 297)]
    >>> year_to_date("flow", full, 2025, date(2025, 12, 31)).value
    297.0
    >>> rates = [Reading(date(2025, 1, 1), date(2025, 3, 31), 50),
    ...          Reading(date(2025, 4, 1), date(2025, 6, 30), 60)]
    >>> round(year_to_date("rate", rates, 2025, date(2025, 6, 30)).value, 2)   # (50×90 + 60×91) / 181
    55.03
    """
    start = date(year, 1, 1)
    picked = choose([r for r in readings if r.start >= start and r.end <= until])
    if not picked:
        return None
    covered = sum(r.days for r in picked)
    total_days = year_days(year)
    periods = ", ".join(f"{r.start:%d %b}–{r.end:%d %b %Y}: {r.value:g}" for r in picked)
    if aggregation == "flow":
        total = sum(r.value for r in picked)
        value = total * total_days / covered
        basis = (
            f"total {total:g} over {covered} of {total_days} days ({periods}); "
            f"at this pace {value:,.4g} a year"
            if covered < total_days
            else f"total {total:g} for the year ({periods})"
        )
    else:
        value = sum(r.value * r.days for r in picked) / covered
        basis = f"average {value:.4g} over {covered} of {total_days} days ({periods})"
    return YearFigure(value, tuple(picked), covered, total_days, basis)


def coverage(aggregation: str, cycle_code: str, start: date, end: date) -> str:
    """What a value reported for ``start``..``end`` must cover, in the words a reporting template uses.

    >>> coverage("flow", "2025-Q2", date(2025, 4, 1), date(2025, 6, 30))
    "2025-Q2: 1 Apr–30 Jun 2025, the quarter's total"
    >>> coverage("stock", "2025", date(2025, 1, 1), date(2025, 12, 31))
    '2025: the level on 31 Dec 2025'
    >>> coverage("rate", "2025", date(2025, 1, 1), date(2025, 12, 31))
    "2025: 1 Jan–31 Dec 2025, the year's average"
    """
    span = f"{start.day} {start:%b}–{end.day} {end:%b %Y}"
    whole = "quarter" if "-Q" in cycle_code.upper() else "year"
    if aggregation == "stock":
        return f"{cycle_code}: the level on {end.day} {end:%b %Y}"
    return f"{cycle_code}: {span}, the {whole}'s {'total' if aggregation == 'flow' else 'average'}"

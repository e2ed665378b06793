"""The arithmetic of scoring, kept free of the database so every rule can be checked by hand.

These functions are the methodology of ``docs/methodology.md`` in executable form; the examples below run
as doctests, so the documentation cannot drift from the code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from itertools import pairwise

#: Status bands on a score in [0, 1] (see docs/methodology.md, "Status bands").
ACHIEVED_AT = 1.0
ON_TRACK_AT = 0.7
AT_RISK_AT = 0.4
#: A verified value older than this (its period ended more than this many days before the cycle ended)
#: is stale: it no longer describes the situation and counts as no data.
STALE_AFTER_DAYS = 365
#: Partial credit for a milestone by its latest verified status.
MILESTONE_CREDIT = {"completed": 1.0, "in_progress": 0.5, "delayed": 0.25, "not_started": 0.0}
STATUSES = ("achieved", "on_track", "at_risk", "off_track", "no_data")
_EPS = 1e-9


def clamp(x: float) -> float:
    return max(0.0, min(1.0, x))


def status_for(score: float | None) -> str:
    """Band a score.

    >>> [status_for(s) for s in (1.0, 0.7, 0.69, 0.4, 0.39, None)]
    ['achieved', 'on_track', 'at_risk', 'at_risk', 'off_track', 'no_data']
    """
    if score is None:
        return "no_data"
    if score >= ACHIEVED_AT - _EPS:
        return "achieved"
    if score >= ON_TRACK_AT - _EPS:
        return "on_track"
    if score >= AT_RISK_AT - _EPS:
        return "at_risk"
    return "off_track"


def expected_target(
    baseline: float, baseline_date: date, targets: Sequence[tuple[int, float]], at: date
) -> tuple[float, int | None]:
    """The value the plan expects on ``at``: straight lines from the baseline through each year's target
    (reached on 31 December); after the last target year the last target stands.

    Returns the value and the target year it leads to (``None`` when ``at`` precedes the baseline).

    >>> expected_target(1000, date(2021, 12, 31), [(2023, 800), (2025, 400)], date(2023, 12, 31))
    (800.0, 2023)
    >>> expected_target(1000, date(2021, 12, 31), [(2023, 800)], date(2022, 12, 31))
    (900.0, 2023)
    >>> expected_target(1000, date(2021, 12, 31), [(2023, 800), (2025, 400)], date(2027, 6, 30))
    (400.0, 2025)
    """
    points = [(baseline_date, float(baseline), None)] + [
        (date(year, 12, 31), float(value), year) for year, value in sorted(targets)
    ]
    if at <= points[0][0]:
        return float(baseline), None
    for (d0, v0, _), (d1, v1, year) in pairwise(points):
        if at <= d1:
            span = (d1 - d0).days or 1
            return v0 + (v1 - v0) * (at - d0).days / span, year
    return points[-1][1], points[-1][2]


def progress(direction: str, baseline: float, target: float, value: float) -> float:
    """Share of the way from baseline to target that ``value`` has come, capped to [0, 1].

    Direction-aware: for ``decrease`` the target lies below the baseline and the same formula holds.
    When the target equals the baseline the indicator is a floor (or ceiling): 1 if met, else 0.

    >>> progress("increase", 40, 60, 55)
    0.75
    >>> progress("decrease", 1000, 800, 900)
    0.5
    >>> progress("decrease", 1000, 800, 1100)   # got worse: no credit, not negative
    0.0
    >>> progress("increase", 40, 60, 70)        # beyond target: capped
    1.0
    >>> progress("increase", 50, 50, 49), progress("decrease", 5, 5, 5)
    (0.0, 1.0)
    """
    if abs(target - baseline) < _EPS:
        better = value >= target - _EPS if direction == "increase" else value <= target + _EPS
        return 1.0 if better else 0.0
    return clamp((value - baseline) / (target - baseline))


def band_score(value: float, low: float, high: float) -> float:
    """For ``maintain`` indicators: 1 inside [low, high]; outside, falls linearly to 0 at one band-width
    away (a zero-width band uses 10% of its value, at least 1, as the width).

    >>> band_score(3, 0, 5), band_score(7.5, 0, 5), band_score(12, 0, 5)
    (1.0, 0.5, 0.0)
    """
    if low - _EPS <= value <= high + _EPS:
        return 1.0
    width = (high - low) if high > low else max(abs(high) * 0.1, 1.0)
    distance = low - value if value < low else value - high
    return clamp(1.0 - distance / width)


def milestone_status(reported: str | None, due: date | None, at: date) -> tuple[float | None, str]:
    """Score and status of a milestone from its latest verified status, as of ``at``.

    >>> milestone_status("completed", date(2024, 6, 30), date(2024, 12, 31))
    (1.0, 'achieved')
    >>> milestone_status("in_progress", date(2025, 6, 30), date(2024, 12, 31))
    (0.5, 'on_track')
    >>> milestone_status("in_progress", date(2024, 6, 30), date(2024, 12, 31))
    (0.5, 'off_track')
    >>> milestone_status("not_started", date(2025, 6, 30), date(2024, 12, 31))
    (0.0, 'at_risk')
    >>> milestone_status(None, date(2025, 6, 30), date(2024, 12, 31))
    (None, 'no_data')
    """
    if reported is None:
        return None, "no_data"
    credit = MILESTONE_CREDIT.get(reported, 0.0)
    if reported == "completed":
        return credit, "achieved"
    if due is not None and due < at:
        return credit, "off_track"
    return credit, "on_track" if reported == "in_progress" else "at_risk"


def weighted_mean(pairs: Iterable[tuple[float | None, float]]) -> float | None:
    """Mean of the scores that exist, by weight; ``None`` when nothing was measured.

    >>> weighted_mean([(1.0, 2), (0.25, 1), (None, 5)])
    0.75
    """
    total = weight = 0.0
    for score, w in pairs:
        if score is not None and w > 0:
            total += score * w
            weight += w
    return total / weight if weight else None


def share(hits: int, total: int) -> float | None:
    return hits / total if total else None

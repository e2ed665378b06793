"""Read-only shapes of monitoring data that the register's pages and API show: the frameworks with their
scores, an item's submission history, an indicator's values against its baseline and targets year by
year, an objective's score cycle by cycle, and the values behind a scorecard row.

Nothing here computes a score of its own: scores come from :mod:`scoring` and :mod:`scorecards`, yearly
figures from :mod:`periods` (the rule the scorer applies). Every query goes through the caller's session, so
the access guard filters what each reader sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from nigran.access.guard import principal_of
from nigran.access.principal import Role
from nigran.core.errors import NotFound
from nigran.core.problems import InvalidInput, Problem
from nigran.monitoring import periods
from nigran.monitoring.cycles import stored
from nigran.monitoring.models import Submission
from nigran.monitoring.score_output import drill_rows, find
from nigran.monitoring.scorecards import BY, scorecard
from nigran.monitoring.scoring import FrameworkScore, score_framework
from nigran.policy.models import Framework, Indicator, Milestone
from nigran.policy.service import get_framework, list_frameworks

#: Whoever only reads the published register sees verified values alone: a draft or a returned value is
#: work in progress of an entity, not a figure of the register.
PUBLISHED_STATES = ("verified",)


@dataclass
class RegisterRow:
    code: str
    title: str
    period: str
    classification: str
    objectives: int
    indicators: int
    cycle: str | None
    score: float | None
    status: str
    objectives_achieved: int
    share_achieved: float | None


def register(session: Session, as_of: date | None = None) -> list[RegisterRow]:
    """Every framework the reader may see, with its score and share of objectives achieved in the latest
    ended annual cycle (a framework without one is listed without a score)."""
    rows = []
    for summary in list_frameworks(session):
        try:
            fs: FrameworkScore | None = score_framework(session, summary.code, as_of=as_of)
        except InvalidInput:  # no cycle to score yet
            fs = None
        rows.append(
            RegisterRow(
                summary.code,
                summary.title,
                summary.period,
                summary.classification,
                summary.objectives,
                summary.indicators,
                fs.cycle.code if fs else None,
                fs.score if fs else None,
                fs.status if fs else "no_data",
                fs.objectives_achieved if fs else 0,
                fs.share_objectives_achieved if fs else None,
            )
        )
    return rows


def cycle_codes(session: Session, framework_code: str) -> list[str]:
    """The stored reporting cycles of a framework, latest first (what a page offers to choose from)."""
    framework = get_framework(session, framework_code)
    return [c.code for c in reversed(stored(session, framework))]


@dataclass
class HistoryStep:
    action: str
    from_state: str | None
    to_state: str
    actor: str
    at: datetime
    value: float | None
    milestone_status: str | None
    comment: str | None


@dataclass
class SubmissionRecord:
    id: int
    cycle: str
    entity: str
    period_start: date
    period_end: date
    value: float | None
    milestone_status: str | None
    evidence: str | None
    state: str
    submitted_by: str | None
    submitted_at: datetime | None
    verified_by: str | None
    verified_at: datetime | None
    return_comment: str | None
    classification: str
    illustrative: bool
    steps: list[HistoryStep] = field(default_factory=list)


def item_submissions(session: Session, item: Indicator | Milestone) -> list[SubmissionRecord]:
    """The submissions for an indicator or milestone the reader may see, latest period first, each with its
    history (who submitted, returned and verified it, and when). Public readers see verified values only."""
    column = Submission.indicator_id if isinstance(item, Indicator) else Submission.milestone_id
    stmt = (
        select(Submission)
        .where(column == item.id)
        .options(selectinload(Submission.events))
        .order_by(Submission.period_end.desc(), Submission.id.desc())
    )
    who = principal_of(session)
    if who.role is Role.PUBLIC_READER:
        stmt = stmt.where(Submission.state.in_(PUBLISHED_STATES))
    elif who.entity_id is not None:  # a focal person: another entity's work in progress is not theirs to see
        stmt = stmt.where(Submission.state.in_(PUBLISHED_STATES) | (Submission.entity_id == who.entity_id))
    out = []
    for sub in session.scalars(stmt):
        if sub.entity is None or sub.cycle is None:
            continue  # its entity or cycle is hidden from this reader: the row would point at it
        out.append(
            SubmissionRecord(
                sub.id,
                sub.cycle.code,
                sub.entity.code,
                sub.period_start,
                sub.period_end,
                sub.value,
                sub.milestone_status,
                sub.evidence,
                sub.state,
                sub.submitted_by,
                sub.submitted_at,
                sub.verified_by,
                sub.verified_at,
                sub.return_comment,
                sub.classification.name,
                sub.illustrative,
                [
                    HistoryStep(
                        e.action,
                        e.from_state,
                        e.to_state,
                        e.actor,
                        e.at,
                        e.value,
                        e.milestone_status,
                        e.comment,
                    )
                    for e in sub.events
                ],
            )
        )
    return out


@dataclass
class YearPoint:
    year: int
    target: float | None  # the baseline in its year, else the stated target of that year
    value: float | None  # the verified figure of the year, made as the scorer makes it
    basis: str | None
    submission_ids: list[int] = field(default_factory=list)


def indicator_series(
    indicator: Indicator, submissions: list[SubmissionRecord], framework: Framework
) -> list[YearPoint]:
    """Year by year, from the baseline's year to the framework's end: the baseline or target, and the
    verified figure (a stock's latest value of the year; a flow's or rate's year figure, by
    :func:`periods.year_to_date`, the rule the scorer applies)."""
    verified = [s for s in submissions if s.state == "verified" and s.value is not None]
    first = indicator.baseline_date.year if indicator.baseline_date else framework.period_start.year
    years = {*range(min(first, framework.period_start.year), framework.period_end.year + 1)}
    years |= {t.year for t in indicator.targets} | {s.period_end.year for s in verified}
    targets = {t.year: t.value for t in indicator.targets}
    if indicator.baseline_value is not None and indicator.baseline_date is not None:
        targets.setdefault(indicator.baseline_date.year, indicator.baseline_value)
    rule = indicator.aggregation_rule
    points = []
    for year in sorted(years):
        of_year = [s for s in verified if s.period_end.year == year]
        value, basis, ids = None, None, []
        if rule in ("flow", "rate"):
            readings = [periods.Reading(s.period_start, s.period_end, s.value, s.id) for s in of_year]  # type: ignore[arg-type]
            figure = periods.year_to_date(rule, readings, year, date(year, 12, 31)) if readings else None
            if figure is not None:
                value, basis, ids = figure.value, figure.basis, [r.ref for r in figure.readings]
        elif of_year:
            latest = max(of_year, key=lambda s: (s.period_end, s.id))
            value, ids = latest.value, [latest.id]
        points.append(YearPoint(year, targets.get(year), value, basis, ids))
    return points


def chart(labels: list[Any], datasets: dict[str, list[float | None]]) -> dict[str, Any]:
    """The shape every ``js-chart`` reads: labels and named series (``None`` for a gap)."""
    return {
        "labels": [str(x) for x in labels],
        "datasets": [{"label": name, "data": data} for name, data in datasets.items()],
    }


@dataclass
class CyclePoint:
    cycle: str
    score: float | None
    status: str
    achieved: bool


def objective_series(session: Session, framework_code: str, objective_code: str) -> list[CyclePoint]:
    """The objective's score in every stored annual cycle that has begun, oldest first."""
    framework = get_framework(session, framework_code)
    out = []
    for cycle in stored(session, framework):
        if cycle.kind != "annual" or cycle.period_start > date.today():
            continue
        fs = score_framework(session, framework.code, cycle.code)
        node = fs.find(objective_code)
        if node is None:
            raise NotFound(f"{framework.code} has no objective {objective_code!r}")
        out.append(CyclePoint(cycle.code, node.score, node.status, bool(getattr(node, "achieved", False))))
    return out


def scorecard_drill(fs: FrameworkScore, by: str, key: str) -> list[dict[str, Any]]:
    """The indicator and milestone scores, with their verified values, behind one scorecard row."""
    if by not in BY:
        raise InvalidInput([Problem(0, f"unknown scorecard {by!r} (choose from {', '.join(BY)})", "by")])
    row = next((r for r in scorecard(fs, by) if r.code == key), None)
    if row is None:
        raise NotFound(f"the {by} scorecard of {fs.code} has no row {key!r}")
    return [leaf for code in row.drill for leaf in drill_rows(find(fs, code))]

"""Scorecards (by section, objective, entity, province), change since the last cycle, and what is overdue.

All of it is derived from a :class:`~nigran.monitoring.scoring.FrameworkScore`, so every figure here drills
down to the same indicator and milestone scores and the verified submissions behind them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigran.core.problems import InvalidInput, Problem
from nigran.core.wording import plural
from nigran.monitoring import progress as p
from nigran.monitoring.cycles import previous as previous_cycle
from nigran.monitoring.models import Obligation, ReportingCycle, Submission
from nigran.monitoring.scoring import (
    FrameworkScore,
    IndicatorScore,
    MilestoneScore,
    Node,
    highest,
    score_framework,
)
from nigran.policy.models import Framework
from nigran.policy.service import entity_by_code, get_framework

BY = ("section", "objective", "entity", "province")
Leaf = IndicatorScore | MilestoneScore


@dataclass
class ScorecardRow:
    level: str  # section | objective | entity | province
    code: str
    title: str
    classification: str
    score: float | None
    status: str
    completeness: float | None
    timeliness: float | None
    items: int  # indicators and milestones counted
    counts: dict[str, int] = field(default_factory=dict)  # status → number of items (objectives for sections)
    overdue: int = 0  # obligations past the deadline and not submitted (entity and province rows)
    drill: list[str] = field(default_factory=list)  # codes of what the row is computed from


def _status_counts(nodes: list[Node]) -> dict[str, int]:
    counts = dict.fromkeys(p.STATUSES, 0)
    for n in nodes:
        counts[n.status] += 1
    return counts


def _from_leaves(
    level: str, code: str, title: str, leaves: list[Leaf], flags: list[bool], overdue: int
) -> ScorecardRow:
    score = p.weighted_mean((i.score, i.weight) for i in leaves)
    measured = [i for i in leaves if i.completeness is not None and i.weight > 0]
    return ScorecardRow(
        level,
        code,
        title,
        highest([i.classification for i in leaves]),
        score,
        p.status_for(score),
        p.share(sum(1 for i in measured if i.completeness), len(measured)),
        p.share(sum(flags), len(flags)),
        len(leaves),
        _status_counts(list(leaves)),
        overdue,
        [i.code for i in leaves],
    )


def scorecard(fs: FrameworkScore, by: str) -> list[ScorecardRow]:
    """One row per section, objective, entity (accountable lead) or province of a scored framework."""
    if by == "section":
        return [
            ScorecardRow(
                "section",
                s.code,
                s.title,
                s.classification,
                s.score,
                s.status,
                s.completeness,
                s.timeliness,
                sum(len(o.items()) for o in s.all_objectives()),
                _status_counts(list(s.all_objectives())),
                0,
                [o.code for o in s.all_objectives()],
            )
            for s in fs.all_sections()
        ]
    if by == "objective":
        return [
            ScorecardRow(
                "objective",
                o.code,
                o.title,
                o.classification,
                o.score,
                o.status,
                o.completeness,
                o.timeliness,
                len(o.items()),
                _status_counts(list(o.items())),
                0,
                [i.code for i in o.items()],
            )
            for o in fs.objectives()
        ]
    if by not in ("entity", "province"):
        raise InvalidInput([Problem(0, f"unknown scorecard {by!r} (choose from {', '.join(BY)})", "by")])
    leaves: dict[str, list[Leaf]] = defaultdict(list)
    flags: dict[str, list[bool]] = defaultdict(list)
    overdue: dict[str, int] = defaultdict(int)
    deadline_passed = fs.cycle.deadline is not None and fs.as_of > fs.cycle.deadline

    def group(entity: str) -> str | None:
        if by == "entity":
            return entity
        info = fs.entities.get(entity)
        return info.province if info else None

    for leaf in [*fs.indicators(), *fs.milestones()]:
        for key in {group(e) for e in leaf.lead_entities} - {None}:
            leaves[key].append(leaf)  # type: ignore[index]
    for ob in fs.obligations:
        key = group(ob.entity)
        if key is None:
            continue
        if ob.on_time is not None:
            flags[key].append(ob.on_time)
        if deadline_passed and ob.status in ("open", "draft", "returned"):
            overdue[key] += 1
    rows = []
    for key in sorted(set(leaves) | set(overdue)):
        info = fs.entities.get(key)
        rows.append(
            _from_leaves(by, key, info.name if info else key, leaves.get(key, []), flags[key], overdue[key])
        )
    return rows


def scorecard_by_entity(
    session: Session, framework_code: str, cycle_code: str | None = None, *, as_of: date | None = None
) -> list[ScorecardRow]:
    return scorecard(score_framework(session, framework_code, cycle_code, as_of=as_of), "entity")


def scorecard_by_province(
    session: Session, framework_code: str, cycle_code: str | None = None, *, as_of: date | None = None
) -> list[ScorecardRow]:
    return scorecard(score_framework(session, framework_code, cycle_code, as_of=as_of), "province")


@dataclass
class Change:
    level: str  # framework | section | objective
    code: str
    title: str
    before: float | None
    after: float | None
    status_before: str
    status_after: str

    @property
    def delta(self) -> float | None:
        return None if self.before is None or self.after is None else self.after - self.before


@dataclass
class CycleComparison:
    current: FrameworkScore
    previous: FrameworkScore | None
    changes: list[Change]

    @property
    def share_achieved_change(self) -> float | None:
        now = self.current.share_objectives_achieved
        then = self.previous.share_objectives_achieved if self.previous else None
        return None if now is None or then is None else now - then


def compare_cycles(
    session: Session,
    framework_code: str,
    cycle_code: str | None = None,
    previous_code: str | None = None,
    *,
    as_of: date | None = None,
) -> CycleComparison:
    """Scores now and at the previous cycle of the same kind (or ``previous_code``), item by item."""
    current = score_framework(session, framework_code, cycle_code, as_of=as_of)
    if previous_code is None:
        prior = previous_cycle(session, get_framework(session, framework_code), current.cycle)
        previous_code = prior.code if prior else None
    before = score_framework(session, framework_code, previous_code, as_of=as_of) if previous_code else None
    old: dict[str, Node] = {}
    if before is not None:
        old = {n.code: n for n in [before, *before.all_sections(), *before.objectives()]}
    changes = []
    for level, nodes in (
        ("framework", [current]),
        ("section", current.all_sections()),
        ("objective", current.objectives()),
    ):
        for n in nodes:
            o = old.get(n.code)
            changes.append(
                Change(
                    level,
                    n.code,
                    n.title,
                    o.score if o else None,
                    n.score,
                    o.status if o else "no_data",
                    n.status,
                )
            )
    return CycleComparison(current, before, changes)


@dataclass
class OverdueItem:
    cycle: str
    entity: str
    item_code: str
    item_title: str
    kind: str  # indicator | milestone
    deadline: date
    state: str  # missing | draft | returned | late
    days: int  # days overdue (or days late, for 'late')
    classification: str
    submission_id: int | None = None
    comment: str | None = None
    framework: str = ""
    entity_name: str = ""

    @property
    def reminder(self) -> str:
        if self.state == "late":
            return f"{self.entity}: {self.item_code} ({self.cycle}) came {plural(self.days, 'day')} late."
        todo = {
            "missing": "submit it",
            "draft": f"submit draft {self.submission_id}",
            "returned": f"correct and resubmit {self.submission_id}: {self.comment or ''}".rstrip(": "),
        }
        return (
            f"Reminder to {self.entity}: {self.kind} {self.item_code} for {self.cycle} was due "
            f"{self.deadline} ({plural(self.days, 'day')} ago) — {todo[self.state]}."
        )


def overdue_items(
    session: Session,
    framework_code: str,
    as_of: date | None = None,
    entity_code: str | None = None,
    *,
    include_late: bool = True,
) -> list[OverdueItem]:
    """Obligations past their cycle's deadline that are missing, still drafts or returned; and, with
    ``include_late``, those submitted after the deadline. Sorted by entity, then most overdue first."""
    framework = get_framework(session, framework_code)
    if entity_code:
        entity_code = entity_by_code(session, entity_code).code  # an unknown entity is an error, not silence
    as_of = as_of or date.today()
    rows = session.execute(
        select(Obligation, ReportingCycle)
        .join(ReportingCycle, ReportingCycle.id == Obligation.cycle_id)
        .where(ReportingCycle.framework_id == framework.id, ReportingCycle.deadline < as_of)
    ).all()
    subs: dict[int, Submission] = {}
    for sub in session.scalars(
        select(Submission)
        .where(Submission.framework_id == framework.id, Submission.obligation_id.is_not(None))
        .order_by(Submission.id)
    ):
        subs[sub.obligation_id] = sub  # type: ignore[index]  # the latest per obligation wins
    out = []
    for ob, cycle in rows:
        if ob.entity is None:
            continue  # the entity is hidden from this reader; listing its item would reveal it exists
        if entity_code and ob.entity.code != entity_code:
            continue
        item = ob.indicator or ob.milestone
        sub = subs.get(ob.id)
        kind = "indicator" if ob.indicator_id else "milestone"
        level = ob.classification.name
        if sub is None or sub.state in ("draft", "returned"):
            state = "missing" if sub is None else sub.state
            out.append(
                OverdueItem(
                    cycle.code,
                    ob.entity.code,
                    item.code,
                    getattr(item, "name", None) or item.title,
                    kind,
                    cycle.deadline,
                    state,
                    (as_of - cycle.deadline).days,
                    level,
                    sub.id if sub else None,
                    sub.return_comment if sub else None,
                )
            )
        elif include_late and sub.first_submitted_at and sub.first_submitted_at.date() > cycle.deadline:
            out.append(
                OverdueItem(
                    cycle.code,
                    ob.entity.code,
                    item.code,
                    getattr(item, "name", None) or item.title,
                    kind,
                    cycle.deadline,
                    "late",
                    (sub.first_submitted_at.date() - cycle.deadline).days,
                    level,
                    sub.id,
                )
            )
    names = {ob.entity.code: ob.entity.name for ob, _ in rows if ob.entity is not None}
    for item in out:
        item.framework, item.entity_name = framework.code, names.get(item.entity, "")
    return sorted(out, key=lambda i: (i.entity, i.state == "late", -i.days, i.item_code))


def overdue_across(
    session: Session,
    framework_code: str | None = None,
    as_of: date | None = None,
    entity_code: str | None = None,
    *,
    include_late: bool = True,
) -> list[OverdueItem]:
    """:func:`overdue_items` of one framework, or of every framework the reader may see, in one list."""
    codes = (
        [get_framework(session, framework_code).code]
        if framework_code
        else list(session.scalars(select(Framework.code).order_by(Framework.code)))
    )
    return [
        item
        for code in codes
        for item in overdue_items(session, code, as_of, entity_code, include_late=include_late)
    ]

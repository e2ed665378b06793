"""What an entity owes and has reported: the focal person's inbox, and the obligation and submission lists.

Read-only queries through the caller's session (the access guard filters by clearance). A focal person is
confined to their own entity here as everywhere (:func:`service.reader_entity`), so a list never shows,
and a filter never confirms, another entity's reporting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.access.guard import principal_of
from nigran.access.principal import Role
from nigran.core.problems import InvalidInput, Problem
from nigran.monitoring import service
from nigran.monitoring.models import Obligation, ReportingCycle, Submission
from nigran.policy.models import Entity, Framework
from nigran.policy.service import get_framework

OBLIGATION_STATES = ("open", "draft", "submitted", "returned", "resubmitted", "verified")
SUBMISSION_STATES = OBLIGATION_STATES[1:]


@dataclass(frozen=True)
class InboxItem:
    """One obligation as the focal person works on it: the item, what was reported, where it stands."""

    obligation_id: int
    framework: str
    cycle: str
    cycle_start: date
    cycle_end: date
    deadline: date
    entity: str
    kind: str  # indicator | milestone
    item_code: str
    item_title: str
    unit: str | None
    baseline: float | None
    target: float | None
    due: date | None  # a milestone's due date
    state: str  # open | draft | submitted | returned | resubmitted | verified
    classification: Classification
    submission: Submission | None
    overdue: bool

    @property
    def editable(self) -> bool:
        """Whether the focal person can act on it now (a new report, a draft, or a returned one)."""
        return self.submission is None or self.state in ("draft", "returned", "verified")


@dataclass
class Inbox:
    entity: Entity
    #: (framework, cycle) shown, in order; the template and upload work per pair
    cycles: list[tuple[str, ReportingCycle]] = field(default_factory=list)
    items: list[InboxItem] = field(default_factory=list)
    #: returned submissions of other cycles, still waiting for a correction
    returned_elsewhere: list[Submission] = field(default_factory=list)


def current_cycle(cycles: list[ReportingCycle], today: date) -> ReportingCycle | None:
    """The cycle being reported now: of those begun, the one whose deadline comes first and has not passed;
    else the one that ended last (annual before quarterly at the same end)."""
    begun = [c for c in cycles if c.period_start <= today]
    pending = sorted(
        (c for c in begun if c.deadline >= today), key=lambda c: (c.deadline, c.kind != "annual")
    )
    if pending:
        return pending[0]
    done = sorted(begun or cycles, key=lambda c: (c.period_end, c.kind == "annual"))
    return done[-1] if done else None


def _latest(session: Session, cycle_ids: list[int], entity_id: int) -> dict[tuple[int, str, int], Submission]:
    out: dict[tuple[int, str, int], Submission] = {}
    for sub in session.scalars(
        select(Submission)
        .where(Submission.cycle_id.in_(cycle_ids), Submission.entity_id == entity_id)
        .order_by(Submission.id)
    ):
        kind, item_id = (
            ("indicator", sub.indicator_id) if sub.indicator_id else ("milestone", sub.milestone_id)
        )
        out[(sub.cycle_id, kind, item_id or 0)] = sub  # the latest per item wins
    return out


def inbox(
    session: Session,
    entity_code: str | None = None,
    framework_code: str | None = None,
    cycle_code: str | None = None,
    today: date | None = None,
) -> Inbox:
    """The entity's obligations in the current cycle of each framework (or the named framework and cycle),
    with their latest submission, and the entity's returned submissions of other cycles."""
    entity = service.reader_entity(session, entity_code)
    if entity is None:
        raise InvalidInput([Problem(0, "say which entity's reporting to show", "entity")])
    if cycle_code and not framework_code:
        raise InvalidInput(
            [Problem(0, "a cycle belongs to a framework: name the framework too", "framework")]
        )
    today = today or date.today()
    owed = select(Obligation.cycle_id).where(Obligation.entity_id == entity.id)
    stmt = select(ReportingCycle).where(ReportingCycle.id.in_(owed))
    if framework_code:
        stmt = stmt.where(ReportingCycle.framework_id == get_framework(session, framework_code).id)
    by_framework: dict[str, list[ReportingCycle]] = {}
    for cycle in session.scalars(stmt.order_by(ReportingCycle.period_end)):
        by_framework.setdefault(cycle.framework.code, []).append(cycle)
    box = Inbox(entity)
    for code in sorted(by_framework):
        chosen = (
            service.get_cycle(session, code, cycle_code)
            if cycle_code
            else current_cycle(by_framework[code], today)
        )
        if chosen is not None:
            box.cycles.append((code, chosen))
    if cycle_code and not box.cycles and framework_code:
        service.get_cycle(session, framework_code, cycle_code)  # NotFound if it does not exist
    ids = [c.id for _, c in box.cycles]
    latest = _latest(session, ids, entity.id)
    obligations = session.scalars(
        select(Obligation)
        .where(Obligation.cycle_id.in_(ids), Obligation.entity_id == entity.id)
        .order_by(Obligation.cycle_id, Obligation.id)
    )
    for ob in obligations:
        item = ob.indicator or ob.milestone
        if item is None:
            continue  # above the reader's clearance
        cycle = ob.cycle
        kind = "indicator" if ob.indicator is not None else "milestone"
        sub = latest.get((cycle.id, kind, item.id))
        target = None
        if ob.indicator is not None:
            target = next((t.value for t in ob.indicator.targets if t.year == cycle.period_end.year), None)
        state = sub.state if sub is not None else "open"
        box.items.append(
            InboxItem(
                obligation_id=ob.id,
                framework=cycle.framework.code,
                cycle=cycle.code,
                cycle_start=cycle.period_start,
                cycle_end=cycle.period_end,
                deadline=cycle.deadline,
                entity=entity.code,
                kind=kind,
                item_code=item.code,
                item_title=ob.indicator.name if ob.indicator is not None else item.title,  # type: ignore[union-attr]
                unit=ob.indicator.unit if ob.indicator is not None else None,
                baseline=ob.indicator.baseline_value if ob.indicator is not None else None,
                target=target,
                due=ob.milestone.due_date if ob.milestone is not None else None,
                state=state,
                classification=Classification.parse(ob.classification),
                submission=sub,
                overdue=state in ("open", "draft", "returned") and cycle.deadline < today,
            )
        )
    box.returned_elsewhere = list(
        session.scalars(
            select(Submission)
            .where(
                Submission.entity_id == entity.id,
                Submission.state == "returned",
                Submission.cycle_id.not_in(ids) if ids else Submission.id.is_not(None),
            )
            .order_by(Submission.id)
        )
    )
    return box


def _choice(value: str | None, allowed: tuple[str, ...], name: str) -> str | None:
    if value is None or not value.strip():
        return None
    text = value.strip().lower()
    if text not in allowed:
        raise InvalidInput([Problem(0, f"unknown {name} {value!r} (allowed: {', '.join(allowed)})", name)])
    return text


def cycles_query(session: Session, framework_code: str | None = None) -> Select:
    """Reporting cycles (of one framework, or of all the reader may see), oldest first."""
    stmt = select(ReportingCycle).order_by(ReportingCycle.period_end, ReportingCycle.kind.desc())
    if framework_code:
        stmt = stmt.where(ReportingCycle.framework_id == get_framework(session, framework_code).id)
    return stmt


def _scope(
    session: Session,
    model: type[Obligation] | type[Submission],
    stmt: Select,
    framework_code: str | None,
    cycle_code: str | None,
    entity_code: str | None,
) -> Select:
    if cycle_code and not framework_code:
        raise InvalidInput(
            [Problem(0, "a cycle belongs to a framework: name the framework too", "framework")]
        )
    if framework_code:
        framework = get_framework(session, framework_code)
        stmt = stmt.where(
            model.cycle_id.in_(select(ReportingCycle.id).where(ReportingCycle.framework_id == framework.id))
        )
        if cycle_code:
            stmt = stmt.where(model.cycle_id == service.get_cycle(session, framework.code, cycle_code).id)
    entity = service.reader_entity(session, entity_code)
    if entity is not None:
        stmt = stmt.where(model.entity_id == entity.id)
    return stmt


def obligations_query(
    session: Session,
    framework_code: str | None = None,
    cycle_code: str | None = None,
    entity_code: str | None = None,
    status: str | None = None,
) -> Select:
    """Obligations matching the filters; unknown values are refused (never an empty list by mistake)."""
    state = _choice(status, OBLIGATION_STATES, "status")
    stmt = _scope(session, Obligation, select(Obligation), framework_code, cycle_code, entity_code)
    if state:
        stmt = stmt.where(Obligation.status == state)
    return stmt.order_by(Obligation.id)


def submissions_query(
    session: Session,
    framework_code: str | None = None,
    cycle_code: str | None = None,
    entity_code: str | None = None,
    state: str | None = None,
    item_code: str | None = None,
) -> Select:
    """Submissions matching the filters; unknown values are refused."""
    wanted = _choice(state, SUBMISSION_STATES, "state")
    stmt = _scope(session, Submission, select(Submission), framework_code, cycle_code, entity_code)
    if principal_of(session).role is Role.PUBLIC_READER:  # verified values only, as the register shows
        stmt = stmt.where(Submission.state == "verified")
    if wanted:
        stmt = stmt.where(Submission.state == wanted)
    if item_code and item_code.strip():
        if not framework_code:
            raise InvalidInput(
                [Problem(0, "an item belongs to a framework: name the framework too", "framework")]
            )
        item = service.resolve_item(session, get_framework(session, framework_code), item_code.strip())
        if item.indicator is not None:
            stmt = stmt.where(Submission.indicator_id == item.indicator.id)
        else:
            stmt = stmt.where(Submission.milestone_id == item.milestone.id)  # type: ignore[union-attr]
    return stmt.order_by(Submission.id)


def framework_codes(session: Session) -> list[str]:
    return list(session.scalars(select(Framework.code).order_by(Framework.code)))

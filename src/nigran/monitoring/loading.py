"""Fetch what scoring needs in a fixed number of ORM queries (about a dozen, whatever the framework's size).

Every query selects mapped classes, so the access guard adds the reader's clearance to each of them: rows the
reader may not see never reach the scorer, and no aggregate can be computed from them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, event, func, or_, select
from sqlalchemy.orm import Session

from nigran.access.guard import principal_of
from nigran.monitoring.cycles import CycleInfo
from nigran.monitoring.models import Obligation, Submission
from nigran.monitoring.progress import STALE_AFTER_DAYS
from nigran.policy.enums import default_aggregation
from nigran.policy.models import (
    Action,
    Entity,
    Framework,
    Indicator,
    IndicatorTarget,
    Milestone,
    Objective,
    Responsibility,
    Section,
)

PROVINCIAL_KINDS = ("province", "region", "territory")


@dataclass(slots=True)
class Evidence:
    """One verified submission behind a score: the value, its period, who reported and who verified it."""

    submission_id: int
    entity: str
    period_start: date
    period_end: date
    value: float | None
    milestone_status: str | None
    evidence: str | None
    verified_by: str | None
    verified_at: datetime | None
    classification: str
    illustrative: bool = False


@dataclass(slots=True)
class ObligationInfo:
    """One entity's duty to report one item in the cycle, and whether it was met on time."""

    id: int
    entity: str
    item_code: str
    item_id: int
    kind: str  # indicator | milestone
    status: str  # open | draft | submitted | returned | resubmitted | verified
    first_submitted_at: datetime | None
    on_time: bool | None  # None: not submitted yet, deadline not passed (or a virtual cycle)
    classification: str


@dataclass(frozen=True)
class EntityInfo:
    code: str
    name: str
    kind: str
    province: str | None  # the province/region entity it belongs to (itself for a province), if any


Row = dict[str, Any]


@dataclass
class FrameworkData:
    period_start: date
    sections: dict[int | None, list[Row]] = field(default_factory=lambda: defaultdict(list))
    objectives: dict[int, list[Row]] = field(default_factory=lambda: defaultdict(list))
    indicators: dict[int, list[Row]] = field(default_factory=lambda: defaultdict(list))
    targets: dict[int, list[tuple[int, float]]] = field(default_factory=lambda: defaultdict(list))
    actions: dict[int, list[Row]] = field(default_factory=lambda: defaultdict(list))
    milestones: dict[int, list[Row]] = field(default_factory=lambda: defaultdict(list))
    values: dict[int, list[Evidence]] = field(default_factory=lambda: defaultdict(list))
    updates: dict[int, list[Evidence]] = field(default_factory=lambda: defaultdict(list))
    indicator_leads: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    milestone_leads: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    obligations: list[ObligationInfo] = field(default_factory=list)
    entities: dict[str, EntityInfo] = field(default_factory=dict)


def _rows(session: Session, *columns: Any, where: Any, order: Any = None) -> list[Row]:
    stmt = select(*columns).where(where)
    if order is not None:
        stmt = stmt.order_by(*order)
    out = []
    for m in session.execute(stmt).mappings():
        row = dict(m)
        if "classification" in row:
            row["classification"] = row["classification"].name
        out.append(row)
    return out


def _entities(session: Session) -> tuple[dict[int, str], dict[str, EntityInfo]]:
    rows = session.execute(select(Entity.id, Entity.code, Entity.name, Entity.kind, Entity.parent_id)).all()
    by_id = {r.id: r for r in rows}

    def province(r: Any) -> str | None:
        seen = set()
        while r is not None and r.id not in seen:
            if r.kind in PROVINCIAL_KINDS:
                return str(r.code)
            seen.add(r.id)
            r = by_id.get(r.parent_id)
        return None

    return {r.id: r.code for r in rows}, {
        r.code: EntityInfo(r.code, r.name, r.kind, province(r)) for r in rows
    }


CACHE_KEY = "nigran.monitoring.structure"


def load(session: Session, fw: Framework, cycle: CycleInfo, as_of: date) -> FrameworkData:
    """The framework's structure (cached for the rest of the transaction) and the cycle's reports."""
    cache = session.info.get(CACHE_KEY)
    if cache is None:
        cache = session.info[CACHE_KEY] = {}
        # Any write in this transaction may change the register or the reports: forget the structure then.
        event.listen(session, "after_flush", lambda sess, _ctx: sess.info.get(CACHE_KEY, {}).clear())
        event.listen(session, "after_transaction_end", lambda sess, _tx: sess.info.get(CACHE_KEY, {}).clear())
    if fw.id not in cache:
        cache[fw.id] = _structure(session, fw)
    base, codes, item_codes = cache[fw.id]
    d = replace(base, values=defaultdict(list), updates=defaultdict(list), obligations=[])
    _submissions(session, fw, cycle, codes, d)
    _obligations(session, cycle, as_of, codes, item_codes, d)
    return d


def _structure(
    session: Session, fw: Framework
) -> tuple[FrameworkData, dict[int, str], dict[tuple[str, int], str]]:
    d = FrameworkData(period_start=fw.period_start)
    codes, d.entities = _entities(session)
    for r in _rows(
        session,
        Section.id,
        Section.parent_id,
        Section.code,
        Section.title,
        Section.weight,
        Section.classification,
        where=Section.framework_id == fw.id,
        order=(Section.position, Section.id),
    ):
        d.sections[r["parent_id"]].append(r)
    for r in _rows(
        session,
        Objective.id,
        Objective.section_id,
        Objective.code,
        Objective.title,
        Objective.weight,
        Objective.classification,
        where=Objective.framework_id == fw.id,
        order=(Objective.position, Objective.id),
    ):
        d.objectives[r["section_id"]].append(r)
    item_codes: dict[tuple[str, int], str] = {}
    for r in _rows(
        session,
        Indicator.id,
        Indicator.objective_id,
        Indicator.code,
        Indicator.name,
        Indicator.unit,
        Indicator.aggregation,
        Indicator.direction,
        Indicator.band_min,
        Indicator.band_max,
        Indicator.baseline_value,
        Indicator.baseline_date,
        Indicator.weight,
        Indicator.illustrative,
        Indicator.classification,
        where=Indicator.framework_id == fw.id,
        order=(Indicator.position, Indicator.id),
    ):
        r["aggregation"] = r["aggregation"] or default_aggregation(r["unit"]).value
        d.indicators[r["objective_id"]].append(r)
        item_codes[("indicator", r["id"])] = r["code"]
    targets = session.execute(
        select(IndicatorTarget.indicator_id, IndicatorTarget.year, IndicatorTarget.value)
        .join(Indicator, Indicator.id == IndicatorTarget.indicator_id)
        .where(Indicator.framework_id == fw.id)
        .order_by(IndicatorTarget.indicator_id, IndicatorTarget.year)
    )
    for indicator_id, year, value in targets:
        d.targets[indicator_id].append((year, value))
    action_owner: dict[int, int | None] = {}
    for r in _rows(
        session,
        Action.id,
        Action.objective_id,
        Action.code,
        Action.title,
        Action.weight,
        Action.owner_id,
        where=Action.framework_id == fw.id,
        order=(Action.position, Action.id),
    ):
        d.actions[r["objective_id"]].append(r)
        action_owner[r["id"]] = r["owner_id"]
    action_leads: dict[int, list[str]] = defaultdict(list)
    resp = session.execute(
        select(
            Responsibility.entity_id,
            Responsibility.indicator_id,
            Responsibility.action_id,
            Responsibility.role,
        )
        .outerjoin(Indicator, Indicator.id == Responsibility.indicator_id)
        .outerjoin(Action, Action.id == Responsibility.action_id)
        .where(or_(Indicator.framework_id == fw.id, Action.framework_id == fw.id))
        .order_by(Responsibility.id)
    ).all()
    leads: dict[tuple[bool, int], list[str]] = defaultdict(list)
    supporting: dict[tuple[bool, int], list[str]] = defaultdict(list)
    for entity_id, indicator_id, action_id, role in resp:
        code = codes.get(entity_id)
        if code is not None:
            key = (True, indicator_id) if indicator_id else (False, action_id)
            (leads if role == "lead" else supporting)[key].append(code)
    for key in (
        leads.keys() | supporting.keys()
    ):  # the leads are accountable; where none leads, the supporters
        target = d.indicator_leads if key[0] else action_leads
        target[key[1]] = list(dict.fromkeys(leads.get(key) or supporting[key]))
    for r in _rows(
        session,
        Milestone.id,
        Milestone.action_id,
        Milestone.code,
        Milestone.title,
        Milestone.due_date,
        Milestone.owner_id,
        Milestone.classification,
        where=Milestone.framework_id == fw.id,
        order=(Milestone.position, Milestone.id),
    ):
        d.milestones[r["action_id"]].append(r)
        item_codes[("milestone", r["id"])] = r["code"]
        owner = r["owner_id"] or action_owner.get(r["action_id"])
        d.milestone_leads[r["id"]] = [codes[owner]] if owner in codes else list(action_leads[r["action_id"]])
    return d, codes, item_codes


def _submissions(
    session: Session, fw: Framework, cycle: CycleInfo, codes: dict[int, str], d: FrameworkData
) -> None:
    fresh_after = cycle.period_end - timedelta(days=STALE_AFTER_DAYS)
    S = Submission
    crit = [
        S.framework_id == fw.id,
        S.state == "verified",
        S.period_end <= cycle.period_end,
        or_(S.milestone_id.is_not(None), S.period_end > fresh_after),
    ]
    who = principal_of(session)
    if not who.is_system:  # the guard filters this subquery too; stated here as well, since it ranks rows
        crit.append(S.classification <= int(who.clearance))
    # The newest verified row per item leaves the database, and for indicators every verified row of the
    # cycle's year as well (flows are summed and rates averaged over the year to date): a window keeps the
    # fetch to that.
    newest = (
        select(
            S.id.label("sid"),
            func.row_number()
            .over(partition_by=(S.indicator_id, S.milestone_id), order_by=(S.period_end.desc(), S.id.desc()))
            .label("rn"),
        )
        .where(*crit)
        .subquery()
    )
    year_start = date(cycle.period_end.year, 1, 1)
    rows = session.execute(
        select(
            S.id,
            S.entity_id,
            S.indicator_id,
            S.milestone_id,
            S.period_start,
            S.period_end,
            S.value,
            S.milestone_status,
            S.evidence,
            S.verified_by,
            S.verified_at,
            S.classification,
            S.illustrative,
        )
        .join(newest, newest.c.sid == S.id)
        .where(or_(newest.c.rn == 1, and_(S.indicator_id.is_not(None), S.period_start >= year_start)))
        .order_by(S.period_end, S.id)
    )
    for r in rows:
        ev = Evidence(
            r[0], codes.get(r[1], "?"), r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11].name, bool(r[12])
        )
        if r[2] is not None:
            d.values[r[2]].append(ev)
        else:
            d.updates[r[3]].append(ev)


def _obligations(
    session: Session,
    cycle: CycleInfo,
    as_of: date,
    codes: dict[int, str],
    item_codes: dict[tuple[str, int], str],
    d: FrameworkData,
) -> None:
    if cycle.id is None:
        return
    first = (  # when each obligation was first submitted (the guard filters this subquery as well)
        select(Submission.obligation_id.label("ob"), func.min(Submission.first_submitted_at).label("at"))
        .where(Submission.cycle_id == cycle.id, Submission.obligation_id.is_not(None))
        .group_by(Submission.obligation_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Obligation.id,
            Obligation.entity_id,
            Obligation.indicator_id,
            Obligation.milestone_id,
            Obligation.status,
            Obligation.classification,
            first.c.at,
        )
        .outerjoin(first, first.c.ob == Obligation.id)
        .where(Obligation.cycle_id == cycle.id)
        .order_by(Obligation.id)
    )
    passed = cycle.deadline is not None and as_of > cycle.deadline
    deadline = cycle.deadline
    for ob_id, entity_id, indicator_id, milestone_id, status, level, at in rows:
        kind, item = ("indicator", indicator_id) if indicator_id else ("milestone", milestone_id)
        code = item_codes.get((kind, item))
        if code is None:
            continue  # the item itself is hidden from this reader
        entity = codes.get(entity_id)
        if entity is None:
            continue  # the obligated entity is hidden from this reader: its row would reveal that it exists
        on_time = (at.date() <= deadline) if (at and deadline) else (False if passed else None)
        d.obligations.append(ObligationInfo(ob_id, entity, code, item, kind, status, at, on_time, level.name))

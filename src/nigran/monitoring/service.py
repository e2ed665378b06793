"""Monitoring services: cycles, obligations and submissions. Each takes a session the caller opened.

Like every service here they only flush: the caller's ``Database.session`` is the transaction, so a batch of
submissions (a workbook) is written entirely or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from nigran.access.classification import Classification
from nigran.access.guard import principal_of
from nigran.access.principal import Principal, Role
from nigran.core.errors import AccessDenied, Conflict, NotFound
from nigran.core.numbers import NumberError
from nigran.core.problems import InvalidInput, Problem
from nigran.monitoring import cycles as cyc
from nigran.monitoring import workflow
from nigran.monitoring.models import Obligation, ReportingCycle, Submission
from nigran.monitoring.validation import ItemRef, check_submission, read_value
from nigran.policy.models import Action, Entity, Framework, Indicator, Milestone, Responsibility
from nigran.policy.service import entity_by_code, get_framework

#: Days after a period ends by which its report is due, unless a cycle says otherwise.
DEFAULT_GRACE = {"quarterly": 30, "annual": 60}
#: Which indicators report in which cycles: quarterly cycles ask for in-year series only.
QUARTERLY_FREQUENCIES = {"monthly": {1, 2, 3, 4}, "quarterly": {1, 2, 3, 4}, "biannual": {2, 4}}


def invalid(field: str, message: str) -> InvalidInput:
    """One problem with one input field (printed ``FIELD: message``, like every other input problem)."""
    return InvalidInput([Problem(0, message, field)])


def create_cycle(
    session: Session, framework_code: str, code: str, deadline: date | None = None
) -> ReportingCycle:
    framework = get_framework(session, framework_code)
    kind, start, end = cyc.parse_code(code)
    code = code.strip().upper()
    if (
        session.scalar(
            select(ReportingCycle.id).where(
                ReportingCycle.framework_id == framework.id, ReportingCycle.code == code
            )
        )
        is not None
    ):
        raise Conflict(f"cycle {code} of {framework.code} already exists")
    if end < framework.period_start or start > framework.period_end:
        raise invalid(
            "cycle",
            f"cycle {code} lies outside {framework.code}'s period "
            f"({framework.period_start}..{framework.period_end})",
        )
    if deadline is not None and deadline < end:
        raise invalid("deadline", f"the deadline {deadline} falls before cycle {code} ends ({end})")
    cycle = ReportingCycle(
        framework=framework,
        code=code,
        kind=kind,
        period_start=start,
        period_end=end,
        deadline=deadline or end + timedelta(days=DEFAULT_GRACE[kind]),
        classification=framework.classification,
    )
    session.add(cycle)
    session.flush()
    return cycle


def ensure_cycles(session: Session, framework_code: str, years: list[int], quarterly: bool = True) -> int:
    """Create the annual (and quarterly) cycles of ``years`` that do not exist yet; returns how many."""
    have = {c.code for c in list_cycles(session, framework_code)}
    made = 0
    for year in years:
        for code in ([f"{year}-Q{q}" for q in range(1, 5)] if quarterly else []) + [str(year)]:
            if code not in have:
                create_cycle(session, framework_code, code)
                made += 1
    return made


@dataclass
class CreatedCycles:
    """What :func:`create_cycles` made: the new cycles and how many obligations were derived for them."""

    cycles: list[ReportingCycle]
    obligations: int


def create_cycles(
    session: Session,
    framework_code: str,
    codes: list[str] | tuple[str, ...] = (),
    *,
    years: list[int] | tuple[int, ...] = (),
    deadline: date | None = None,
) -> CreatedCycles:
    """Create the named cycles and each year's four quarters and annual cycle (those not there yet), and
    derive every new cycle's obligations from the register's responsibilities."""
    if not codes and not years:
        raise invalid("cycle", "name the cycles to create (codes such as 2025 or 2025-Q1, or years)")
    framework = get_framework(session, framework_code)
    before = {c.code for c in list_cycles(session, framework_code)}
    for code in codes:
        create_cycle(session, framework_code, code, deadline)
    if years:
        ensure_cycles(session, framework_code, list(years))
    made = [c for c in list_cycles(session, framework_code) if c.code not in before]
    obligations = sum(len(generate_obligations(session, framework, c)) for c in made)
    return CreatedCycles(made, obligations)


def list_cycles(session: Session, framework_code: str) -> list[ReportingCycle]:
    framework = get_framework(session, framework_code)
    return list(
        session.scalars(
            select(ReportingCycle)
            .where(ReportingCycle.framework_id == framework.id)
            .order_by(ReportingCycle.period_end, ReportingCycle.kind.desc())
        )
    )


def get_cycle(session: Session, framework_code: str, code: str) -> ReportingCycle:
    framework = get_framework(session, framework_code)
    cycle = session.scalar(
        select(ReportingCycle).where(
            ReportingCycle.framework_id == framework.id, ReportingCycle.code == code.strip().upper()
        )
    )
    if cycle is None:
        raise NotFound(f"{framework.code} has no reporting cycle {code.strip()!r} that you may see")
    return cycle


def _owed_in(cycle: ReportingCycle, frequency: str) -> bool:
    if cycle.kind == "annual":
        return True
    quarter = (cycle.period_end.month - 1) // 3 + 1
    return quarter in QUARTERLY_FREQUENCIES.get(frequency, set())


def _indicator_owners(session: Session, indicator_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    """Lead entities of each indicator; where none leads, the supporting ones."""
    rows = session.execute(
        select(Responsibility.indicator_id, Responsibility.entity_id, Responsibility.role)
        .where(Responsibility.indicator_id.in_(indicator_ids))
        .order_by(Responsibility.id)
    )
    out: dict[int, list[tuple[int, str]]] = {}
    for indicator_id, entity_id, role in rows:
        out.setdefault(indicator_id, []).append((entity_id, role))
    return {k: [r for r in v if r[1] == "lead"] or v for k, v in out.items()}


def milestone_owners(session: Session, milestone: Milestone) -> list[int]:
    """Who reports on a milestone: its owner, else its action's owner, else the action's leads."""
    owner = milestone.owner_id or milestone.action.owner_id
    if owner:
        return [owner]
    leads = session.scalars(
        select(Responsibility.entity_id).where(
            Responsibility.action_id == milestone.action_id, Responsibility.role == "lead"
        )
    ).all()
    return list(leads)


def generate_obligations(session: Session, framework: Framework, cycle: ReportingCycle) -> list[Obligation]:
    """Derive the cycle's obligations from the register's responsibilities; existing ones are kept.

    Indicators are owed by their lead entities in every annual cycle and, by frequency, in quarterly ones.
    Milestone updates are owed in annual cycles (they may be reported any time) until a verified update
    says completed or cancelled.
    """
    existing = {
        (o.entity_id, o.indicator_id, o.milestone_id): o
        for o in session.scalars(select(Obligation).where(Obligation.cycle_id == cycle.id))
    }
    indicators = list(session.scalars(select(Indicator).where(Indicator.framework_id == framework.id)))
    owners = _indicator_owners(session, [i.id for i in indicators])
    wanted: list[tuple[int, Indicator | None, Milestone | None, str]] = []
    for ind in indicators:
        if _owed_in(cycle, ind.frequency):
            wanted += [(entity_id, ind, None, role) for entity_id, role in owners.get(ind.id, [])]
    closed = set(
        session.scalars(
            select(Submission.milestone_id).where(
                Submission.framework_id == framework.id,
                Submission.state == "verified",
                Submission.milestone_status.in_(("completed", "cancelled")),
                Submission.period_end < cycle.period_start,
            )
        )
    )
    milestones = session.scalars(select(Milestone).join(Action).where(Milestone.framework_id == framework.id))
    for ms in milestones if cycle.kind == "annual" else []:
        if ms.id not in closed:
            wanted += [(entity_id, None, ms, "lead") for entity_id in milestone_owners(session, ms)]
    out = []
    for entity_id, ind, ms, role in wanted:
        key = (entity_id, ind.id if ind else None, ms.id if ms else None)
        if key in existing:
            out.append(existing[key])
            continue
        item = ind if ind is not None else ms
        level = max(Classification.parse(item.classification), Classification.parse(cycle.classification))
        ob = Obligation(
            cycle=cycle,
            entity_id=entity_id,
            indicator=ind,
            milestone=ms,
            role=role,
            status="open",
            classification=level,
        )
        session.add(ob)
        existing[key] = ob
        out.append(ob)
    session.flush()
    return out


@dataclass
class ValueInput:
    """One reported value or milestone status, as typed on the CLI or read from a workbook row."""

    item_code: str
    value: float | None = None
    milestone_status: str | None = None
    period_start: date | None = None
    period_end: date | None = None
    evidence: str | None = None
    note: str | None = None
    unit: str | None = None
    classification: Classification | None = None
    illustrative: bool = False


def read_number(raw: float | str | None, unit: str | None, field: str = "value") -> float | None:
    """A value typed by a person (CLI option, form field), read in the indicator's unit, or ``InvalidInput``
    saying why not (``validation.read_value``: no ``1,45``, ``inf`` or ``nan``; ``87%`` for percentages)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        return read_value(raw, unit)
    except NumberError as exc:
        raise invalid(field, str(exc)) from None


def value_input(
    session: Session,
    cycle: ReportingCycle,
    item_code: str,
    raw_value: float | str | None,
    status: str | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
    evidence: str | None = None,
    note: str | None = None,
) -> ValueInput:
    """A :class:`ValueInput` from what a person typed, the value read in the item's unit."""
    item = resolve_item(session, cycle.framework, item_code)
    value = read_number(raw_value, item.unit)
    return ValueInput(item.code, value, status, period_start, period_end, evidence, note)


def read_submission_value(session: Session, submission_id: int, raw: float | str | None) -> float | None:
    """A corrected value for an existing submission, read in its indicator's unit."""
    sub = get_submission(session, submission_id)
    return read_number(raw, sub.indicator.unit if sub.indicator is not None else None)


def resolve_item(session: Session, framework: Framework, code: str) -> ItemRef:
    ind = session.scalar(
        select(Indicator).where(Indicator.framework_id == framework.id, Indicator.code == code)
    )
    if ind is not None:
        return ItemRef(indicator=ind)
    ms = session.scalar(
        select(Milestone).where(Milestone.framework_id == framework.id, Milestone.code == code)
    )
    if ms is not None:
        return ItemRef(milestone=ms)
    raise NotFound(f"{framework.code} has no indicator or milestone {code!r} that you may see")


def reporters(session: Session, item: ItemRef) -> set[int]:
    """Entities that may report ``item``: any responsibility (lead or supporting) for it."""
    if item.indicator is not None:
        return set(
            session.scalars(
                select(Responsibility.entity_id).where(Responsibility.indicator_id == item.indicator.id)
            )
        )
    assert item.milestone is not None
    ms = item.milestone
    ids = set(milestone_owners(session, ms))
    ids |= set(
        session.scalars(select(Responsibility.entity_id).where(Responsibility.action_id == ms.action_id))
    )
    return ids


def submit(
    session: Session,
    cycle: ReportingCycle,
    entity_code: str | None,
    data: ValueInput,
    *,
    draft: bool = False,
    at: datetime | None = None,
) -> Submission:
    """Validate and record one value as a draft or as submitted. Raises ``InvalidInput`` naming the field."""
    who = principal_of(session)
    framework = cycle.framework
    entity = entity_by_code(session, entity_code) if entity_code else None
    if entity is None and who.entity_id is None:
        raise invalid("entity", "say which entity reports this value")
    entity_id = entity.id if entity is not None else who.entity_id
    if who.entity_id is not None and entity_id != who.entity_id:
        raise AccessDenied(f"{who.username} reports for their own entity only, not for {entity_code}")
    item = resolve_item(session, framework, data.item_code)
    check_submission(item, data, cycle, entity_id in reporters(session, item), draft=draft)
    ob = session.scalar(
        select(Obligation).where(
            Obligation.cycle_id == cycle.id, Obligation.entity_id == entity_id, _item_is(Obligation, item)
        )
    )
    previous = _latest(session, cycle, entity_id, item)
    if previous is not None and previous.state in workflow.OPEN_STATES:
        raise workflow.IllegalTransition(
            f"{data.item_code} already has submission {previous.id} ({previous.state}) in {cycle.code}: "
            "edit, resubmit or verify that one instead of starting another"
        )
    level = max(item.level, data.classification or item.level)
    sub = Submission(
        framework_id=framework.id,
        cycle_id=cycle.id,
        obligation=ob,
        entity_id=entity_id,
        indicator=item.indicator,
        milestone=item.milestone,
        period_start=data.period_start or cycle.period_start,
        period_end=data.period_end or cycle.period_end,
        value=data.value,
        milestone_status=data.milestone_status,
        evidence=data.evidence,
        note=data.note,
        supersedes_id=previous.id if previous is not None else None,
        illustrative=data.illustrative,
        classification=level,
    )
    session.add(sub)
    workflow.apply(session, sub, "draft" if draft else "submit", at=at)
    _sync_obligation(sub)
    workflow.flush(session)
    return sub


def _item_is(model: type[Obligation] | type[Submission], item: ItemRef):  # type: ignore[no-untyped-def]
    if item.indicator is not None:
        return model.indicator_id == item.indicator.id
    return model.milestone_id == item.milestone.id  # type: ignore[union-attr]


def _latest(session: Session, cycle: ReportingCycle, entity_id: int, item: ItemRef) -> Submission | None:
    return session.scalar(
        select(Submission)
        .where(Submission.cycle_id == cycle.id, Submission.entity_id == entity_id, _item_is(Submission, item))
        .order_by(Submission.id.desc())
    )


def _sync_obligation(sub: Submission) -> None:
    ob = getattr(sub, "obligation", None)
    if ob is not None and ob.status != sub.state:
        ob.status = sub.state  # bumps the obligation's version: concurrent writers collide here


def _published_for(who: Principal, sub: Submission) -> bool:
    """Public readers see verified values only (as the register shows them): the workflow is not theirs."""
    return who.role is not Role.PUBLIC_READER or sub.state == "verified"


def get_submission(session: Session, submission_id: int) -> Submission:
    """The submission, if the reader may see it: a focal person sees their own entity's only (another
    entity's is "not found", as if absent, so ids reveal nothing)."""
    sub = session.get(Submission, submission_id)
    who = principal_of(session)
    if (
        sub is None
        or (who.entity_id is not None and sub.entity_id != who.entity_id)
        or not _published_for(who, sub)
    ):
        raise NotFound(f"no submission {submission_id} that you may see")
    return sub


def transition(
    session: Session,
    submission_id: int,
    action: str,
    *,
    comment: str | None = None,
    expected_version: int | None = None,
    changes: ValueInput | None = None,
    at: datetime | None = None,
) -> Submission:
    """Verify, return, submit a draft, edit a draft, or resubmit (with corrected values) a submission."""
    sub = get_submission(session, submission_id)
    workflow.check_version(sub, expected_version)
    _ = (sub.events, sub.obligation, sub.cycle)  # load now: a lazy load later would autoflush half a change
    if changes is not None:
        if action not in ("edit", "resubmit"):
            raise workflow.IllegalTransition(
                f"values can be changed only when editing or resubmitting, not {action}"
            )
        item = ItemRef(indicator=sub.indicator, milestone=sub.milestone)
        merged = ValueInput(
            item.code,
            changes.value if changes.value is not None else sub.value,
            changes.milestone_status or sub.milestone_status,
            changes.period_start or sub.period_start,
            changes.period_end or sub.period_end,
            changes.evidence or sub.evidence,
            changes.note or sub.note,
            changes.unit,
        )
        check_submission(item, merged, sub.cycle, True, draft=action == "edit")
        sub.value, sub.milestone_status, sub.evidence, sub.note = (
            merged.value,
            merged.milestone_status,
            merged.evidence,
            merged.note,
        )
        sub.period_start, sub.period_end = merged.period_start, merged.period_end  # type: ignore[assignment]
    if action == "submit":  # a draft may be incomplete; what is submitted may not (value, evidence, …)
        item = ItemRef(indicator=sub.indicator, milestone=sub.milestone)
        current = ValueInput(
            item.code,
            sub.value,
            sub.milestone_status,
            sub.period_start,
            sub.period_end,
            sub.evidence,
            sub.note,
        )
        check_submission(item, current, sub.cycle, True)
    workflow.apply(session, sub, action, comment=comment, at=at)
    _sync_obligation(sub)
    workflow.flush(session)
    return sub


def verify(session: Session, submission_id: int, expected_version: int | None = None) -> Submission:
    return transition(session, submission_id, "verify", expected_version=expected_version)


def return_submission(
    session: Session, submission_id: int, comment: str, expected_version: int | None = None
) -> Submission:
    return transition(session, submission_id, "return", comment=comment, expected_version=expected_version)


def resubmit(
    session: Session,
    submission_id: int,
    changes: ValueInput | None = None,
    expected_version: int | None = None,
) -> Submission:
    return transition(session, submission_id, "resubmit", changes=changes, expected_version=expected_version)


@dataclass(frozen=True)
class QueueItem:
    """A submission awaiting review, with what a reviewer needs to pick it up."""

    submission_id: int
    version: int
    state: str  # submitted | resubmitted
    framework: str
    cycle: str
    entity: str
    entity_name: str
    kind: str  # indicator | milestone
    item_code: str
    item_title: str
    value: float | None
    unit: str | None
    milestone_status: str | None
    period_start: date
    period_end: date
    submitted_by: str | None
    submitted_at: datetime | None
    evidence: str | None
    #: the reader drafted, submitted or edited it, so four eyes forbid them to verify it
    own: bool
    classification: Classification = Classification.PUBLIC


#: Who may list the review queue: those who review, and focal persons (their own entity's submissions).
QUEUE_READERS = frozenset({Role.REVIEWER, Role.ADMINISTRATOR, Role.FOCAL_PERSON})


def review_queue(
    session: Session, framework_code: str | None = None, entity_code: str | None = None
) -> list[QueueItem]:
    """Submissions awaiting review (submitted or resubmitted) that the reader may see, oldest first."""
    who = principal_of(session)
    if not who.is_system and who.role not in QUEUE_READERS:
        raise AccessDenied(f"{who.username} ({who.role.value}) does not review submissions")
    stmt = (
        select(Submission)
        .where(Submission.state.in_(workflow.AWAITING_REVIEW))
        .options(selectinload(Submission.events))
        .order_by(Submission.submitted_at, Submission.id)
    )
    if framework_code:
        stmt = stmt.where(Submission.framework_id == get_framework(session, framework_code).id)
    if entity_code:
        stmt = stmt.where(Submission.entity_id == entity_by_code(session, entity_code).id)
    if who.entity_id is not None:
        stmt = stmt.where(Submission.entity_id == who.entity_id)
    entities = {e.id: e for e in session.scalars(select(Entity))}
    frameworks = {fid: code for fid, code in session.execute(select(Framework.id, Framework.code))}
    out = []
    for sub in session.scalars(stmt):
        entity = entities.get(sub.entity_id)
        item = sub.indicator or sub.milestone
        if entity is None or item is None:
            continue  # hidden from this reader: listing the row would reveal that it exists
        out.append(
            QueueItem(
                submission_id=sub.id,
                version=sub.version,
                state=sub.state,
                framework=frameworks.get(sub.framework_id, "?"),
                cycle=sub.cycle.code,
                entity=entity.code,
                entity_name=entity.name,
                kind="indicator" if sub.indicator is not None else "milestone",
                item_code=item.code,
                item_title=sub.indicator.name if sub.indicator is not None else item.title,  # type: ignore[union-attr]
                value=sub.value,
                unit=sub.indicator.unit if sub.indicator is not None else None,
                milestone_status=sub.milestone_status,
                period_start=sub.period_start,
                period_end=sub.period_end,
                submitted_by=sub.submitted_by,
                submitted_at=sub.submitted_at,
                evidence=sub.evidence,
                own=who.username in workflow.authors(sub),
                classification=Classification.parse(sub.classification),
            )
        )
    return out


# ---- one step from a form or an API call ----------------------------------------------------------------
# The web and the command line type the same things (text for a value, a date, a status); these read them
# once, so a form, a JSON body and a CLI option meet the same rules and the same messages.

#: The workflow steps a person asks for by name (``edit`` keeps a draft a draft with new values).
STEPS = ("edit", "submit", "verify", "return", "resubmit")


def read_day(text: str | date | None, field: str) -> date | None:
    """A date typed as ``YYYY-MM-DD`` (blank: none), or ``InvalidInput`` naming the field."""
    if text is None or isinstance(text, date):
        return text
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise invalid(field, f"{text.strip()[:40]!r} is not a date (YYYY-MM-DD)") from None


def _blank(text: str | None) -> str | None:
    return text.strip() or None if isinstance(text, str) else text


def reader_entity(session: Session, entity_code: str | None) -> Entity | None:
    """The entity a request is about. A focal person's is always their own (naming another is refused, so
    no one can list or act for an entity they do not report for); others name one, or mean all (``None``)."""
    who = principal_of(session)
    if who.entity_id is not None:
        own = session.get(Entity, who.entity_id)
        if own is None:
            raise NotFound(f"{who.username}'s entity is not visible at their clearance")
        if entity_code and entity_code.strip().upper() != own.code.upper():
            raise AccessDenied(f"{who.username} reports for {own.code} only, not for {entity_code.strip()}")
        return own
    return entity_by_code(session, entity_code) if entity_code and entity_code.strip() else None


def report_value(
    session: Session,
    framework_code: str,
    cycle_code: str,
    item_code: str,
    *,
    value: float | str | None = None,
    status: str | None = None,
    period_start: str | date | None = None,
    period_end: str | date | None = None,
    evidence: str | None = None,
    note: str | None = None,
    entity_code: str | None = None,
    draft: bool = False,
) -> Submission:
    """Report one value or milestone status as typed (a form, a JSON body): a new draft or submission."""
    start, end = read_day(period_start, "period_start"), read_day(period_end, "period_end")
    cycle = get_cycle(session, framework_code, cycle_code)
    entity = reader_entity(session, entity_code)
    status = _blank(status)
    data = value_input(
        session,
        cycle,
        item_code,
        value,
        status.lower().replace(" ", "_") if status else None,
        start,
        end,
        _blank(evidence),
        _blank(note),
    )
    return submit(session, cycle, entity.code if entity is not None else None, data, draft=draft)


def step(
    session: Session,
    submission_id: int,
    action: str,
    *,
    value: float | str | None = None,
    status: str | None = None,
    period_start: str | date | None = None,
    period_end: str | date | None = None,
    evidence: str | None = None,
    note: str | None = None,
    comment: str | None = None,
    expected_version: int | None = None,
) -> Submission:
    """One workflow step asked for by name, with any corrected values as typed.

    Submitting a draft with new values edits it first (both steps are in its history); the version the
    caller read is checked before anything changes, so a stale form is refused as a conflict.
    """
    if action not in STEPS:
        raise invalid("action", f"unknown step {action!r} (allowed: {', '.join(STEPS)})")
    start, end = read_day(period_start, "period_start"), read_day(period_end, "period_end")
    status = _blank(status)
    changes = ValueInput(
        "",
        read_submission_value(session, submission_id, value),
        status.lower().replace(" ", "_") if status else None,
        start,
        end,
        _blank(evidence),
        _blank(note),
    )
    changed = any(
        v is not None
        for v in (changes.value, changes.milestone_status, start, end, changes.evidence, changes.note)
    )
    if action == "submit" and changed:
        transition(session, submission_id, "edit", changes=changes, expected_version=expected_version)
        return transition(session, submission_id, "submit")
    return transition(
        session,
        submission_id,
        action,
        comment=_blank(comment),
        expected_version=expected_version,
        changes=changes if changed else None,
    )

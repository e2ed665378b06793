"""``/api/cycles``, ``/api/obligations``, ``/api/submissions``: a JSON adapter over the monitoring services.

Every transition is a POST to ``/api/submissions/{id}/{step}`` answering the new state and version; send the
version you read as ``expected_version`` and a stale one is a 409. Input problems are 422 naming the field.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from nigran.monitoring import inbox, service
from nigran.monitoring.models import Obligation, ReportingCycle, Submission
from nigran.policy.models import Entity, Framework
from nigran.web.deps import ReadSession, SignedIn, WriteSession
from nigran.web.pagination import PageParams, page_params, paginate_select

router = APIRouter(tags=["reporting"])

Text = Annotated[str | None, Query(max_length=80)]


class NewCycles(BaseModel):
    framework: str = Field(max_length=80)
    codes: list[Annotated[str, Field(max_length=20)]] = Field(
        default_factory=list, max_length=50, description="Cycle codes: 2025 (annual) or 2025-Q1"
    )
    years: list[Annotated[int, Field(ge=1990, le=2100)]] = Field(
        default_factory=list, max_length=20, description="Create each year's four quarters and annual cycle"
    )
    deadline: date | None = None


class NewSubmission(BaseModel):
    framework: str = Field(max_length=80)
    cycle: str = Field(max_length=20)
    item: str = Field(max_length=200, description="Indicator or milestone code")
    value: float | str | None = Field(
        None, description="In the indicator's unit; a percentage as 87 or '87%'"
    )
    status: str | None = Field(None, max_length=20, description="A milestone's status")
    period_start: date | None = None
    period_end: date | None = None
    evidence: str | None = Field(None, max_length=1000)
    note: str | None = Field(None, max_length=5000)
    entity: str | None = Field(None, max_length=40, description="Reporting entity (default: your own)")
    draft: bool = False


class Step(BaseModel):
    expected_version: int | None = Field(None, ge=1, description="The version you read: refused if changed")
    comment: str | None = Field(None, max_length=5000, description="Required to return a submission")
    value: float | str | None = None
    status: str | None = Field(None, max_length=20)
    period_start: date | None = None
    period_end: date | None = None
    evidence: str | None = Field(None, max_length=1000)
    note: str | None = Field(None, max_length=5000)


def _value(value: float | str | None) -> float | str | None:
    return str(value) if isinstance(value, str) else value


def cycle_dict(cycle: ReportingCycle, codes: dict[int, str]) -> dict[str, Any]:
    return {
        "framework": codes.get(cycle.framework_id),
        "code": cycle.code,
        "kind": cycle.kind,
        "period_start": cycle.period_start,
        "period_end": cycle.period_end,
        "deadline": cycle.deadline,
        "classification": cycle.classification.name,
    }


def _names(session: ReadSession | WriteSession) -> tuple[dict[int, str], dict[int, str]]:
    frameworks = {fid: code for fid, code in session.execute(select(Framework.id, Framework.code))}
    entities = {eid: code for eid, code in session.execute(select(Entity.id, Entity.code))}
    return frameworks, entities


def obligation_dict(ob: Obligation, entities: dict[int, str]) -> dict[str, Any]:
    item = ob.indicator or ob.milestone
    return {
        "id": ob.id,
        "version": ob.version,
        "framework": ob.cycle.framework.code,
        "cycle": ob.cycle.code,
        "deadline": ob.cycle.deadline,
        "entity": entities.get(ob.entity_id),
        "kind": "indicator" if ob.indicator_id else "milestone",
        "item": item.code if item is not None else None,
        "role": ob.role,
        "status": ob.status,
        "classification": ob.classification.name,
    }


def submission_dict(sub: Submission, entities: dict[int, str], *, history: bool = False) -> dict[str, Any]:
    item = sub.indicator or sub.milestone
    out: dict[str, Any] = {
        "id": sub.id,
        "version": sub.version,
        "state": sub.state,
        "framework": sub.cycle.framework.code,
        "cycle": sub.cycle.code,
        "entity": entities.get(sub.entity_id),
        "kind": "indicator" if sub.indicator_id else "milestone",
        "item": item.code if item is not None else None,
        "value": sub.value,
        "unit": sub.indicator.unit if sub.indicator is not None else None,
        "status": sub.milestone_status,
        "period_start": sub.period_start,
        "period_end": sub.period_end,
        "evidence": sub.evidence,
        "note": sub.note,
        "submitted_by": sub.submitted_by,
        "submitted_at": sub.submitted_at,
        "verified_by": sub.verified_by,
        "verified_at": sub.verified_at,
        "return_comment": sub.return_comment,
        "supersedes": sub.supersedes_id,
        "illustrative": sub.illustrative,
        "classification": sub.classification.name,
    }
    if history:
        out["events"] = [
            {
                "seq": e.seq,
                "action": e.action,
                "from": e.from_state,
                "to": e.to_state,
                "actor": e.actor,
                "at": e.at,
                "value": e.value,
                "status": e.milestone_status,
                "evidence": e.evidence,
                "note": e.note,
                "comment": e.comment,
            }
            for e in sub.events
        ]
    return out


def _state(sub: Submission) -> dict[str, Any]:
    return {"id": sub.id, "state": sub.state, "version": sub.version}


@router.get("/cycles")
def list_cycles(
    session: ReadSession,
    who: SignedIn,
    framework: Text = None,
    params: PageParams = Depends(page_params),
) -> dict[str, Any]:
    """Reporting cycles, of one framework or of all you may see."""
    codes, _ = _names(session)
    stmt = inbox.cycles_query(session, framework)
    sortable = {
        "period_end": ReportingCycle.period_end,
        "code": ReportingCycle.code,
        "deadline": ReportingCycle.deadline,
    }
    return paginate_select(session, stmt, params, sortable=sortable, serialise=lambda c: cycle_dict(c, codes))


@router.post("/cycles", status_code=201)
def create_cycles(body: NewCycles, session: WriteSession, who: SignedIn) -> dict[str, Any]:
    """Create cycles and derive their obligations from the register's responsibilities."""
    made = service.create_cycles(
        session, body.framework, body.codes, years=body.years, deadline=body.deadline
    )
    codes, _ = _names(session)
    return {"cycles": [cycle_dict(c, codes) for c in made.cycles], "obligations": made.obligations}


@router.get("/obligations")
def list_obligations(
    session: ReadSession,
    who: SignedIn,
    framework: Text = None,
    cycle: Text = None,
    entity: Text = None,
    status: Text = None,
    params: PageParams = Depends(page_params),
) -> dict[str, Any]:
    """What entities owe (a focal person: their own entity only), with the state of each."""
    stmt = inbox.obligations_query(session, framework, cycle, entity, status)
    _, entities = _names(session)
    sortable = {"id": Obligation.id, "status": Obligation.status}
    return paginate_select(
        session, stmt, params, sortable=sortable, serialise=lambda o: obligation_dict(o, entities)
    )


@router.get("/submissions")
def list_submissions(
    session: ReadSession,
    who: SignedIn,
    framework: Text = None,
    cycle: Text = None,
    entity: Text = None,
    state: Text = None,
    item: Annotated[str | None, Query(max_length=200)] = None,
    params: PageParams = Depends(page_params),
) -> dict[str, Any]:
    """Submissions matching the filters (a focal person: their own entity's only)."""
    stmt = inbox.submissions_query(session, framework, cycle, entity, state, item)
    _, entities = _names(session)
    sortable = {"id": Submission.id, "state": Submission.state, "submitted_at": Submission.submitted_at}
    return paginate_select(
        session, stmt, params, sortable=sortable, serialise=lambda s: submission_dict(s, entities)
    )


@router.get("/submissions/{submission_id}")
def get_submission(submission_id: int, session: ReadSession, who: SignedIn) -> dict[str, Any]:
    """One submission with its full history."""
    sub = service.get_submission(session, submission_id)
    _, entities = _names(session)
    return submission_dict(sub, entities, history=True)


@router.post("/submissions", status_code=201)
def create_submission(body: NewSubmission, session: WriteSession, who: SignedIn) -> dict[str, Any]:
    """Report a value or milestone status, as a draft or submitted."""
    sub = service.report_value(
        session,
        body.framework,
        body.cycle,
        body.item,
        value=_value(body.value),
        status=body.status,
        period_start=body.period_start,
        period_end=body.period_end,
        evidence=body.evidence,
        note=body.note,
        entity_code=body.entity,
        draft=body.draft,
    )
    return _state(sub)


@router.post("/submissions/{submission_id}/{action}")
def transition(
    submission_id: int, action: str, body: Step, session: WriteSession, who: SignedIn
) -> dict[str, Any]:
    """A workflow step: edit (a draft), submit, verify, return (with a comment) or resubmit."""
    sub = service.step(
        session,
        submission_id,
        action,
        value=_value(body.value),
        status=body.status,
        period_start=body.period_start,
        period_end=body.period_end,
        evidence=body.evidence,
        note=body.note,
        comment=body.comment,
        expected_version=body.expected_version,
    )
    return _state(sub)

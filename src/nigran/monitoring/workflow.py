"""The submission workflow: draft → submitted → verified, or returned (with a comment) → resubmitted.

The table below is the whole rule set. A transition that is not in it is refused with the states allowed,
so a stale screen or a second reviewer can never push a submission somewhere the process does not allow.
Each transition appends a :class:`SubmissionEvent` with the values as they stand after it; nothing on the
submission is changed without that trace (and the audit trail records the row change as well).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from nigran.access.errors import AccessDenied
from nigran.access.guard import principal_of
from nigran.access.principal import Role
from nigran.core.errors import Conflict, IllegalTransition
from nigran.core.problems import InvalidInput, Problem
from nigran.monitoring.models import Submission, SubmissionEvent
from nigran.storage.base import utcnow

#: Roles per docs/access.md: focal persons report for their entity, reviewers verify; administrators may do
#: both (to repair a stuck record), never on the same value (four eyes). Analysts do neither: they keep the
#: register and the cycles, so the people who set targets do not also report or certify progress on them.
SUBMITTERS = frozenset({Role.FOCAL_PERSON, Role.ADMINISTRATOR})
VERIFIERS = frozenset({Role.REVIEWER, Role.ADMINISTRATOR})
OPEN_STATES = frozenset({"draft", "submitted", "returned", "resubmitted"})
AWAITING_REVIEW = ("submitted", "resubmitted")
#: Steps that put values into a submission: whoever took one of them is one of its authors.
AUTHORING = frozenset({"draft", "edit", "submit", "resubmit"})


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str | None]
    target: str
    roles: frozenset[Role]


TRANSITIONS = {
    t.action: t
    for t in (
        Transition("draft", frozenset({None}), "draft", SUBMITTERS),
        Transition("edit", frozenset({"draft"}), "draft", SUBMITTERS),
        Transition("submit", frozenset({None, "draft"}), "submitted", SUBMITTERS),
        Transition("verify", frozenset({"submitted", "resubmitted"}), "verified", VERIFIERS),
        Transition("return", frozenset({"submitted", "resubmitted"}), "returned", VERIFIERS),
        Transition("resubmit", frozenset({"returned"}), "resubmitted", SUBMITTERS),
    )
}


def authors(sub: Submission) -> set[str]:
    """Everyone who drafted, submitted, edited or resubmitted the submission, from its whole history."""
    names = {e.actor for e in sub.events if e.action in AUTHORING}
    return names | ({sub.submitted_by} if sub.submitted_by else set())


def check_version(sub: Submission, expected: int | None) -> None:
    """Optimistic check across transactions: the caller saw version ``expected`` (a form, a workbook)."""
    if expected is not None and sub.version != expected:
        raise Conflict(
            f"submission {sub.id} changed since you read it (version {expected}, now {sub.version}): "
            "nothing was written; reload and try again"
        )


def apply(
    session: Session, sub: Submission, action: str, *, comment: str | None = None, at: datetime | None = None
) -> SubmissionEvent:
    """Move ``sub`` by ``action`` (after the caller set any new values) and record the event.

    ``at`` back-dates the step; only the system may do that (importing history, seeding the demo).
    """
    step = TRANSITIONS[action]
    who = principal_of(session)
    current = sub.state if sub.events else None  # every stored submission has at least one event
    if current not in step.sources:
        allowed = ", ".join(sorted(s or "new" for s in step.sources))
        raise IllegalTransition(
            f"cannot {action} submission {sub.id or '(new)'}: it is {current or 'new'} "
            f"(allowed from: {allowed})"
        )
    if not who.is_system and who.role not in step.roles:
        raise AccessDenied(f"{who.username} ({who.role.value}) may not {action} submissions")
    if action == "return" and not (comment and comment.strip()):
        raise InvalidInput(
            [Problem(0, "a returned submission needs a comment saying what to correct", "comment")]
        )
    if at is not None and not who.is_system:
        raise AccessDenied("only the system may record a workflow step with a past date")
    now = at or utcnow()
    if action == "verify" and not who.is_system and who.username in authors(sub):
        raise AccessDenied(
            f"{who.username} drafted, submitted or edited submission {sub.id} "
            "and may not verify it (four eyes)"
        )
    if action == "verify":
        sub.verified_by, sub.verified_at = who.username, now
    if action in ("submit", "resubmit"):
        sub.submitted_by, sub.submitted_at = who.username, now
        sub.first_submitted_at = sub.first_submitted_at or now
    if action == "return":
        sub.return_comment = comment
    sub.state = step.target
    event = SubmissionEvent(
        seq=len(sub.events) + 1,
        action=action,
        from_state=current,
        to_state=step.target,
        actor=who.username,
        at=now,
        value=sub.value,
        milestone_status=sub.milestone_status,
        evidence=sub.evidence,
        note=sub.note,
        comment=comment,
        classification=sub.classification,
    )
    sub.events.append(event)
    return event


def flush(session: Session) -> None:
    """Flush, turning a lost optimistic race into :class:`Conflict` (the transaction then rolls back)."""
    try:
        session.flush()
    except StaleDataError as exc:
        raise Conflict(
            "someone else changed this submission or obligation at the same time: nothing was written; "
            "reload and try again"
        ) from exc

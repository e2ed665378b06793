"""Checking signposts: ``check(session)`` evaluates every signpost and records its crossings, idempotently.

A signpost is checked with exactly what a reader cleared to the signpost's own classification may see: the
check reads through a session bound to such a reader (on the caller's connection, so the guard filters the
incidents and submissions), and writes as the system. A crossing therefore never rests on material above
the level of the scenario it belongs to. Each crossing is keyed by its observation — the submission for an
indicator, the period for an incident query — so checking again records nothing new; the signpost's status
and last value are refreshed on every check.

An incident signpost counts over the months of its query (``from``/``to``), or over the last ``months``
months up to the latest month with incidents visible at its level.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.access.guard import PRINCIPAL_KEY, GuardedSession, principal_of
from nigran.access.principal import Principal, Role
from nigran.alerts.evaluate import as_system, latest_month, month_add
from nigran.alerts.rules import compare
from nigran.core.errors import AccessDenied, InvalidInput
from nigran.foresight.models import Signpost, SignpostCrossing
from nigran.storage.base import utcnow

MAX_EVIDENCE_IDS = 500
CHECK_ROLES = frozenset({Role.ADMINISTRATOR, Role.ANALYST})


@dataclass(frozen=True)
class Observation:
    key: str
    period: str
    value: float | None
    evidence: dict[str, Any]


@dataclass(frozen=True)
class CheckResult:
    signpost_id: int
    status: str
    value: float | None
    new_crossing: bool


@contextmanager
def reader_at(session: Session, level: Classification) -> Iterator[Session]:
    """A session over ``session``'s connection that reads as a reader cleared to ``level``."""
    reader = Principal(f"foresight-check-{level.name.lower()}", Role.ANALYST, level)
    view = GuardedSession(bind=session.connection(), info={PRINCIPAL_KEY: reader})
    try:
        yield view
    finally:
        view.close()


def observe(reader: Session, sp: Signpost) -> Observation | None:
    """The signpost's current observation as ``reader`` sees it, or ``None`` when nothing is observed."""
    if sp.kind == "indicator":
        return _indicator(reader, sp)
    if sp.kind == "incidents":
        return _incidents(reader, sp)
    return None


def _indicator(reader: Session, sp: Signpost) -> Observation | None:
    from nigran.monitoring.models import Submission
    from nigran.policy.models import Framework, Indicator

    ind = reader.scalar(
        select(Indicator)
        .join(Framework, Indicator.framework_id == Framework.id)
        .where(Framework.code == sp.params.get("framework"), Indicator.code == sp.params.get("indicator"))
    )
    if ind is None:
        return None
    sub = reader.scalar(
        select(Submission)
        .where(
            Submission.indicator_id == ind.id, Submission.state == "verified", Submission.value.is_not(None)
        )
        .order_by(Submission.period_end.desc(), Submission.id.desc())
        .limit(1)
    )
    if sub is None:
        return None
    period = f"{sub.period_start.isoformat()}..{sub.period_end.isoformat()}"
    evidence = {"submission_ids": [sub.id], "indicator": f"{sp.params.get('framework')}:{ind.code}"}
    return Observation(f"submission:{sub.id}", period, float(sub.value or 0.0), evidence)


def _incidents(reader: Session, sp: Signpost) -> Observation | None:
    from nigran.incidents.analytics import _row_filters
    from nigran.incidents.filters import from_query
    from nigran.incidents.models import Incident

    query = dict(sp.params.get("query") or {})
    months = sp.params.get("months")
    if months:
        end = latest_month(reader)
        if end is None:
            return None
        query["from"], query["to"] = month_add(end, -(int(months) - 1)), end
    f = from_query(reader, query, source=f"signpost {sp.code}")
    measure = sp.measure or "incidents"
    column = Incident.id if measure == "incidents" else getattr(Incident, measure)
    stmt = _row_filters(reader, select(Incident.id, column).where(Incident.duplicate_of_id.is_(None)), f)
    rows = reader.execute(stmt.order_by(Incident.id)).all()
    if measure == "incidents":
        value: float | None = float(len(rows))
    else:
        known = [r[1] for r in rows if r[1] is not None]
        value = float(sum(known)) if known else (0.0 if not rows else None)
    start = f.date_from.isoformat() if f.date_from else "…"
    stop = f.date_to.isoformat() if f.date_to else "…"
    ids = [r[0] for r in rows]
    evidence = {
        "incident_ids": ids[:MAX_EVIDENCE_IDS],
        "incidents": len(ids),
        "query": query,
        "measure": measure,
    }
    if measure != "incidents":
        evidence["known"] = sum(1 for r in rows if r[1] is not None)
    return Observation(f"period:{start}..{stop}", f"{start}..{stop}", value, evidence)


def check(session: Session) -> list[CheckResult]:
    """Check every signpost (see the module's docstring); returns the results of those the caller may see."""
    who = principal_of(session)
    if not who.is_system and who.role not in CHECK_ROLES:
        raise AccessDenied(f"{who.username} ({who.role}) may not check signposts")
    results: list[CheckResult] = []
    with as_system(session) as system:
        signposts = list(system.scalars(select(Signpost).order_by(Signpost.id)))
        now = utcnow()
        for sp in signposts:
            level = Classification.parse(sp.classification)
            with reader_at(session, level) as reader:
                try:
                    seen = observe(reader, sp)
                except (
                    InvalidInput
                ):  # its query no longer resolves (e.g. an actor renamed): unknown, not fatal
                    seen = None
            new = False
            if seen is None or seen.value is None:
                sp.status, sp.last_value = "unknown", None
            elif compare(seen.value, sp.comparison, sp.threshold):
                sp.status, sp.last_value = "crossed", seen.value
                have = system.scalar(
                    select(SignpostCrossing).where(
                        SignpostCrossing.signpost_id == sp.id, SignpostCrossing.observation == seen.key
                    )
                )
                if have is None:
                    system.add(
                        SignpostCrossing(
                            signpost_id=sp.id,
                            observation=seen.key,
                            period=seen.period,
                            crossed_at=now,
                            value=seen.value,
                            evidence=seen.evidence,
                            classification=level,
                        )
                    )
                    new = True
                else:
                    have.value, have.evidence = seen.value, seen.evidence
            else:
                sp.status, sp.last_value = "not_crossed", seen.value
            sp.last_checked_at = now
            results.append(CheckResult(sp.id, sp.status, sp.last_value, new))
        system.flush()
    visible = set(session.scalars(select(Signpost.id)))
    return [r for r in results if r.signpost_id in visible]

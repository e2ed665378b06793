"""Illustrative reporting history for the bundled frameworks, so ``nigran demo`` shows a plausible picture.

Every value here is invented and labelled so (``illustrative`` on the row, "DEMO" in its evidence and note);
none is an official figure. The picture is deliberately mixed — some objectives met, many partly, some off
track, some reports late, returned or missing — because a monitoring demo where everything is green teaches
nothing. It is deterministic: the same codes always give the same values.
"""

from __future__ import annotations

import zlib
from datetime import date, datetime, time, timedelta
from random import Random

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.monitoring import service
from nigran.monitoring.models import Obligation, ReportingCycle, Submission, SubmissionEvent
from nigran.monitoring.periods import year_days
from nigran.monitoring.progress import expected_target
from nigran.policy.models import Framework, Indicator, Milestone

DEMO_YEARS = (2023, 2024, 2025)
#: Quarterly cycles are seeded for this framework only, to keep the demo quick to build.
QUARTERLY = {"NSP-2022": 2025}
NOTE = "Illustrative demo value — not an official figure."
RETURN_COMMENT = "DEMO: the evidence reference does not name the report's page or link; please add it."


def _rng(*parts: object) -> Random:
    return Random(zlib.crc32("|".join(map(str, parts)).encode()))


def _factor(objective_code: str) -> float:
    """How far an objective's implementation gets towards plan: a third ahead, a third part-way, a third
    far behind — roughly the mixed picture public reviews describe."""
    r = _rng("objective", objective_code)
    band = r.random()
    if band < 0.3:
        return r.uniform(1.0, 1.15)
    if band < 0.65:
        return r.uniform(0.6, 0.95)
    return r.uniform(0.05, 0.5)


def _years(fw: Framework) -> list[int]:
    years = [
        y for y in DEMO_YEARS if fw.period_start.year <= y <= fw.period_end.year and y > fw.period_start.year
    ]
    if not years and fw.period_end.year < DEMO_YEARS[0]:
        years = [fw.period_end.year - 1, fw.period_end.year]  # a framework that ended: its last two years
    return years


def _value(ind: Indicator, at: date, factor: float) -> float | None:
    r = _rng("value", ind.code, at)
    if ind.direction == "maintain" and ind.band_min is not None and ind.band_max is not None:
        mid, width = (ind.band_min + ind.band_max) / 2, max(ind.band_max - ind.band_min, 1.0)
        return round(mid + (0 if factor >= 0.6 else width * r.uniform(0.6, 1.2)), 1)
    if ind.baseline_value is None:
        return None
    targets = [(t.year, t.value) for t in ind.targets]
    if not targets:
        return round(ind.baseline_value * (1 + 0.04 * (at.year - 2022)), 1)
    start = ind.baseline_date or date(at.year - 1, 12, 31)
    expected, _ = expected_target(ind.baseline_value, start, targets, at)
    f = factor if factor < 1.0 else max(1.0, factor + r.uniform(-0.02, 0.05))
    value = ind.baseline_value + (expected - ind.baseline_value) * max(
        0.0, f + r.uniform(-0.05, 0.05) * (f < 1)
    )
    return round(max(value, 0.0) if ind.baseline_value >= 0 else value, 2)


def _for_period(ind: Indicator, cycle: ReportingCycle, value: float) -> float:
    """A flow's value covers its period: a quarter reports about a quarter of the year's pace, not all of it
    (the mistake that made 145 deaths in a quarter look like an annual target of 297 achieved)."""
    if cycle.kind != "quarterly" or ind.aggregation_rule != "flow":
        return value
    days = (cycle.period_end - cycle.period_start).days + 1
    return round(value * days / year_days(cycle.period_end.year), 2)


def _milestone_status(ms: Milestone, at: date, factor: float) -> str:
    due = ms.due_date or date(at.year, 12, 31)
    done_on = due + timedelta(days=int((1.0 - factor) * 500))
    if done_on <= at:
        return "completed"
    if due < at:
        return "delayed" if factor < 0.5 else "in_progress"
    return "in_progress" if factor >= 0.4 or due - at < timedelta(days=365) else "not_started"


def _fate(cycle: ReportingCycle, key: str, final: bool) -> str:
    """verified | late (verified) | returned | submitted | missing — the later the cycle, the more open."""
    x = _rng("fate", cycle.code, key).random()
    if final:
        return (
            "missing"
            if x < 0.10
            else "returned"
            if x < 0.18
            else "submitted"
            if x < 0.25
            else ("late" if x < 0.33 else "verified")
        )
    return "late" if x < 0.12 else "verified"


def _stamp(day: date, hour: int = 10) -> datetime:
    from datetime import UTC

    return datetime.combine(day, time(hour), tzinfo=UTC)


def _record(
    session: Session,
    ob: Obligation,
    cycle: ReportingCycle,
    fate: str,
    value: float | None,
    status: str | None,
    actor: str,
) -> Submission:
    r = _rng("when", cycle.code, ob.id)
    sent = (
        cycle.deadline - timedelta(days=r.randint(1, 25))
        if fate != "late"
        else (cycle.deadline + timedelta(days=r.randint(5, 45)))
    )
    item = ob.indicator or ob.milestone
    level = max(Classification.parse(item.classification), Classification.parse(ob.classification))  # type: ignore[union-attr]
    sub = Submission(
        framework_id=cycle.framework_id,
        cycle_id=cycle.id,
        obligation=ob,
        entity_id=ob.entity_id,
        indicator=ob.indicator,
        milestone=ob.milestone,
        period_start=cycle.period_start,
        period_end=cycle.period_end,
        value=value,
        milestone_status=status,
        evidence=f"DEMO-{ob.entity.code}/{cycle.code}/{item.code}",
        note=NOTE,
        illustrative=True,  # type: ignore[union-attr]
        submitted_by=actor,
        submitted_at=_stamp(sent),
        first_submitted_at=_stamp(sent),
        classification=level,
    )
    steps = [("submit", None, "submitted", actor, sent, None)]
    if fate in ("verified", "late"):
        steps.append(
            ("verify", "submitted", "verified", "reviewer", sent + timedelta(days=r.randint(3, 20)), None)
        )
    elif fate == "returned":
        steps.append(
            (
                "return",
                "submitted",
                "returned",
                "reviewer",
                sent + timedelta(days=r.randint(3, 20)),
                RETURN_COMMENT,
            )
        )
        sub.return_comment = RETURN_COMMENT
    for seq, (action, src, dst, who, day, comment) in enumerate(steps, start=1):
        sub.events.append(
            SubmissionEvent(
                seq=seq,
                action=action,
                from_state=src,
                to_state=dst,
                actor=who,
                at=_stamp(day, 11),
                value=value,
                milestone_status=status,
                evidence=sub.evidence,
                note=NOTE,
                comment=comment,
                classification=level,
            )
        )
    sub.state = steps[-1][2]
    if sub.state == "verified":
        sub.verified_by, sub.verified_at = "reviewer", _stamp(steps[-1][4], 11)
    ob.status = sub.state
    session.add(sub)
    return sub


def seed_demo_submissions(session: Session, today: date | None = None) -> int:
    """Create demo cycles, obligations and submissions for every bundled framework that has none yet.

    Returns the number of submissions created. Safe to run again: frameworks with submissions are skipped.
    """
    today = today or date.today()
    made = 0
    for fw in session.scalars(select(Framework).order_by(Framework.code)).all():
        if session.scalar(select(Submission.id).where(Submission.framework_id == fw.id).limit(1)) is not None:
            continue
        years = _years(fw)
        quarter_year = QUARTERLY.get(fw.code)
        codes = [str(y) for y in years] + (
            [f"{quarter_year}-Q{q}" for q in range(1, 5)] if quarter_year else []
        )
        have = {c.code for c in service.list_cycles(session, fw.code)}
        for code in codes:
            if code not in have:
                service.create_cycle(session, fw.code, code)
        cycles = [c for c in service.list_cycles(session, fw.code) if c.code in codes]
        last_annual = max((c.period_end for c in cycles if c.kind == "annual"), default=None)
        for cycle in cycles:
            if cycle.deadline >= today:
                continue  # not due yet: leave it open, as it would be
            final = cycle.period_end == last_annual or (
                cycle.kind == "quarterly" and cycle.period_end.month == 12
            )
            obligations = service.generate_obligations(session, fw, cycle)
            with session.no_autoflush:  # one flush per cycle, not one per lazy load
                for ob in obligations:
                    item = ob.indicator or ob.milestone
                    factor = _factor(
                        item.objective.code if ob.indicator else ob.milestone.action.objective.code
                    )  # type: ignore[union-attr]
                    fate = _fate(cycle, f"{ob.entity_id}/{item.code}", final)  # type: ignore[union-attr]
                    if fate == "missing":
                        continue
                    if ob.indicator is not None:
                        value, status = _value(ob.indicator, cycle.period_end, factor), None
                        if value is None:
                            continue
                        value = _for_period(ob.indicator, cycle, value)
                    else:
                        value, status = None, _milestone_status(ob.milestone, cycle.period_end, factor)  # type: ignore[arg-type]
                    _record(session, ob, cycle, fate, value, status, f"focal-{ob.entity.code.lower()}")
                    made += 1
            session.flush()
    return made

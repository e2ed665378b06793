"""The implementation overview: what is registered, what is due, what is late — per framework.

Every figure comes from queries through the reader's session, so a public reader's overview is computed
from PUBLIC records alone.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigran.monitoring.scoring import score_framework
from nigran.policy.models import Action, Framework, Indicator, Milestone, Objective, Responsibility


@dataclass
class FrameworkOverview:
    code: str
    title: str
    period: str
    objectives: int
    indicators: int
    indicators_with_targets: int
    indicators_illustrative: int
    actions_by_status: Counter[str] = field(default_factory=Counter)
    milestones: int = 0
    milestones_overdue: int = 0
    milestones_completed: int = 0
    lead_entities: Counter[str] = field(default_factory=Counter)
    #: From monitoring (verified values only; see docs/methodology.md): the latest ended annual cycle.
    score_cycle: str | None = None
    score: float | None = None
    score_status: str = "no_data"
    objectives_achieved: int = 0
    completeness: float | None = None
    timeliness: float | None = None


def overview(session: Session, today: date | None = None) -> list[FrameworkOverview]:
    today = today or date.today()
    out = []
    for fw in session.scalars(select(Framework).order_by(Framework.period_start, Framework.code)):
        indicators = list(session.scalars(select(Indicator).where(Indicator.framework_id == fw.id)))
        actions = list(session.scalars(select(Action).where(Action.framework_id == fw.id)))
        milestones = list(session.scalars(select(Milestone).where(Milestone.framework_id == fw.id)))
        objectives = session.scalars(select(Objective.id).where(Objective.framework_id == fw.id)).all()
        leads = session.scalars(
            select(Responsibility)
            .join(Indicator, Responsibility.indicator_id == Indicator.id)
            .where(Indicator.framework_id == fw.id, Responsibility.role == "lead")
        ).all()
        item = FrameworkOverview(
            code=fw.code,
            title=fw.title,
            period=f"{fw.period_start.year}–{fw.period_end.year}",
            objectives=len(objectives),
            indicators=len(indicators),
            indicators_with_targets=sum(1 for i in indicators if i.targets),
            indicators_illustrative=sum(1 for i in indicators if i.illustrative),
            actions_by_status=Counter(a.status for a in actions),
            milestones=len(milestones),
            milestones_completed=sum(1 for m in milestones if m.status == "completed"),
            milestones_overdue=sum(
                1
                for m in milestones
                if m.due_date and m.due_date < today and m.status not in ("completed", "cancelled")
            ),
            lead_entities=Counter(r.entity.code for r in leads),
        )
        _add_scores(session, item, today)
        out.append(item)
    return out


def _add_scores(session: Session, item: FrameworkOverview, today: date) -> None:
    fs = score_framework(session, item.code, as_of=today)
    item.score_cycle, item.score, item.score_status = fs.cycle.code, fs.score, fs.status
    item.objectives_achieved, item.completeness, item.timeliness = (
        fs.objectives_achieved,
        fs.completeness,
        fs.timeliness,
    )

"""Scoring a framework for a reporting cycle, from verified submissions only. The stable API:

``score_framework(session, framework_code, cycle_code=None, *, as_of=None) -> FrameworkScore``
    Scores every indicator, milestone, objective and section the session's reader may see (the access
    guard filters beneath every query, so a public reader's figures come from PUBLIC records alone).
    ``cycle_code`` is ``"2024"`` or ``"2024-Q3"``; default: the latest annual cycle that has ended.
    Tree: ``FrameworkScore.sections`` → ``SectionScore.objectives`` (and ``.subsections``) →
    ``ObjectiveScore.indicators`` / ``.milestones`` → ``IndicatorScore`` / ``MilestoneScore``.

Every node has ``code, title, classification`` (``'PUBLIC'|'RESTRICTED'|'SECRET'``: for aggregates the
highest level of what went into them), ``score`` (0..1 or ``None``), ``status`` (``achieved | on_track |
at_risk | off_track | no_data``), ``completeness`` and ``timeliness`` (shares 0..1 or ``None``; never inside
the score) and ``weight``. Leaves carry ``evidence: list[Evidence]`` (verified value, period, submission id,
entity, verifier) and ``submission_ids``; ``lead_entities`` lists who is accountable.

``FrameworkScore`` also has ``cycle: CycleInfo``, ``share_objectives_achieved`` (achieved / all objectives;
unmeasured objectives count as not achieved), ``share_objectives_achieved_of_measured``,
``objectives_achieved``, ``objectives()``, ``indicators()``, ``milestones()``, ``find(code)`` (drill down to
any node), ``status_counts(level)``, ``obligations`` (per entity and item: status, on time) and ``entities``.

In :mod:`nigran.monitoring.scorecards`: ``scorecard(fs, by)`` with ``by`` in ``section | objective | entity |
province``; ``scorecard_by_entity(session, framework_code, cycle_code=None)``,
``scorecard_by_province(...)`` → ``list[ScorecardRow]``; ``compare_cycles(session, framework_code,
cycle_code=None, previous_code=None) -> CycleComparison`` (change since the last cycle of the same kind);
``overdue_items(session, framework_code, as_of=None) -> list[OverdueItem]``. Rules: docs/methodology.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy.orm import Session

from nigran.monitoring import periods
from nigran.monitoring import progress as p
from nigran.monitoring.cycles import CycleInfo, resolve
from nigran.monitoring.loading import EntityInfo, Evidence, FrameworkData, ObligationInfo, load
from nigran.policy.service import get_framework

LEVELS = ("PUBLIC", "RESTRICTED", "SECRET")


@dataclass(kw_only=True)
class Node:
    code: str
    title: str
    classification: str
    score: float | None
    status: str
    completeness: float | None
    timeliness: float | None
    weight: float


@dataclass(kw_only=True)
class IndicatorScore(Node):
    unit: str | None
    aggregation: str = "stock"  # flow | stock | rate: how ``value`` was made from the reported values
    direction: str
    baseline: float | None
    expected: float | None  # the target in force at the cycle's end (interpolated)
    target_year: int | None
    final_target: float | None
    final_progress: float | None
    #: the figure compared with the target: a stock's latest value, a flow's year-to-date pace a year, a
    #: rate's year-to-date average (docs/methodology.md, "Periods and targets")
    value: float | None
    value_period_end: date | None
    basis: str | None = None  # how ``value`` was made from the reported values, when it is not one of them
    reason: str | None  # why there is no score: 'no target', 'no verified value', …
    item_id: int = 0
    lead_entities: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    illustrative: bool = False

    @property
    def submission_ids(self) -> list[int]:
        return [e.submission_id for e in self.evidence]


@dataclass(kw_only=True)
class MilestoneScore(Node):
    action_code: str
    due_date: date | None
    reported_status: str | None
    reason: str | None
    item_id: int = 0
    lead_entities: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def submission_ids(self) -> list[int]:
        return [e.submission_id for e in self.evidence]


@dataclass(kw_only=True)
class ObjectiveScore(Node):
    section_code: str
    achieved: bool
    indicators: list[IndicatorScore] = field(default_factory=list)
    milestones: list[MilestoneScore] = field(default_factory=list)

    def items(self) -> list[IndicatorScore | MilestoneScore]:
        return [*self.indicators, *self.milestones]


@dataclass(kw_only=True)
class SectionScore(Node):
    parent_code: str | None
    objectives: list[ObjectiveScore] = field(default_factory=list)
    subsections: list[SectionScore] = field(default_factory=list)

    def all_objectives(self) -> Iterator[ObjectiveScore]:
        yield from self.objectives
        for sub in self.subsections:
            yield from sub.all_objectives()


@dataclass(kw_only=True)
class FrameworkScore(Node):
    cycle: CycleInfo
    as_of: date
    sections: list[SectionScore] = field(default_factory=list)
    obligations: list[ObligationInfo] = field(default_factory=list)
    entities: dict[str, EntityInfo] = field(default_factory=dict)

    def objectives(self) -> list[ObjectiveScore]:
        return [o for s in self.sections for o in s.all_objectives()]

    def indicators(self) -> list[IndicatorScore]:
        return [i for o in self.objectives() for i in o.indicators]

    def milestones(self) -> list[MilestoneScore]:
        return [m for o in self.objectives() for m in o.milestones]

    def all_sections(self) -> list[SectionScore]:
        out: list[SectionScore] = []
        stack = list(reversed(self.sections))
        while stack:
            s = stack.pop()
            out.append(s)
            stack.extend(reversed(s.subsections))
        return out

    def find(self, code: str) -> Node | None:
        nodes: list[Node] = [self, *self.all_sections(), *self.objectives(), *self.indicators()]
        return next((n for n in [*nodes, *self.milestones()] if n.code == code), None)

    @property
    def objectives_achieved(self) -> int:
        return sum(1 for o in self.objectives() if o.achieved)

    @property
    def objectives_measured(self) -> int:
        return sum(1 for o in self.objectives() if o.score is not None)

    @property
    def share_objectives_achieved(self) -> float | None:
        return p.share(self.objectives_achieved, len(self.objectives()))

    @property
    def share_objectives_achieved_of_measured(self) -> float | None:
        return p.share(self.objectives_achieved, self.objectives_measured)

    def status_counts(self, level: str = "objective") -> dict[str, int]:
        nodes = {"objective": self.objectives, "indicator": self.indicators, "milestone": self.milestones}
        counts = dict.fromkeys(p.STATUSES, 0)
        for n in nodes[level]():
            counts[n.status] += 1
        return counts


def highest(levels: list[str], floor: str = "PUBLIC") -> str:
    return max([floor, *levels], key=LEVELS.index)


def score_framework(
    session: Session, framework_code: str, cycle_code: str | None = None, *, as_of: date | None = None
) -> FrameworkScore:
    """Score a framework for one cycle as the session's reader may see it. See the module docstring."""
    framework = get_framework(session, framework_code)
    as_of = as_of or date.today()
    cycle = resolve(session, framework, cycle_code, as_of)
    data = load(session, framework, cycle, as_of)
    return Scorer(data, cycle, as_of).framework(
        framework.code, framework.title, framework.classification.name
    )


class Scorer:
    """Builds the score tree bottom-up from the rows :func:`load` fetched."""

    def __init__(self, data: FrameworkData, cycle: CycleInfo, as_of: date) -> None:
        self.d, self.cycle, self.as_of = data, cycle, as_of
        self.fresh_after = cycle.period_end - timedelta(days=p.STALE_AFTER_DAYS)
        self.timely: dict[tuple[str, int], list[int]] = defaultdict(
            lambda: [0, 0]
        )  # item → [on time, judged]
        for ob in data.obligations:
            if ob.on_time is not None:
                counts = self.timely[(ob.kind, ob.item_id)]
                counts[0] += ob.on_time
                counts[1] += 1

    def _timeliness(self, kind: str, item_id: int) -> float | None:
        on_time, judged = self.timely.get((kind, item_id), (0, 0))
        return p.share(on_time, judged)

    def _timeliness_of(self, items: list[IndicatorScore | MilestoneScore]) -> float | None:
        """On-time obligations over judged obligations, across the items (not a mean of item shares)."""
        on_time = judged = 0
        for i in items:
            counts = self.timely.get((_kind(i), i.item_id))
            if counts:
                on_time, judged = on_time + counts[0], judged + counts[1]
        return p.share(on_time, judged)

    def _observed(
        self, row: dict, subs: list[Evidence]
    ) -> tuple[float | None, list[Evidence], str | None, date]:
        """The figure compared with the target, the values behind it, how it was made, and the day whose
        target applies. A stock scores its latest value against the target in force at the cycle's end; a
        flow scores its year-to-date pace against the year's target; a rate its year-to-date average
        against the target in force at the cycle's end (:mod:`nigran.monitoring.periods`)."""
        end, aggregation = self.cycle.period_end, row["aggregation"]
        if aggregation not in ("flow", "rate"):
            latest = max(subs, key=lambda s: (s.period_end, s.submission_id), default=None)
            if latest is None:
                return None, [], None, end
            return latest.value, [latest], None, end
        by_id = {s.submission_id: s for s in subs}
        readings = [
            periods.Reading(s.period_start, s.period_end, s.value, s.submission_id)
            for s in subs
            if s.value is not None
        ]
        figure = periods.year_to_date(aggregation, readings, end.year, end)
        when = date(end.year, 12, 31) if aggregation == "flow" else end
        if figure is None:
            return None, [], None, when
        return figure.value, [by_id[r.ref] for r in figure.readings], figure.basis, when

    def indicator(self, row: dict) -> IndicatorScore:
        d, end = self.d, self.cycle.period_end
        subs = [s for s in d.values.get(row["id"], []) if self.fresh_after < s.period_end <= end]
        value, evidence, basis, when = self._observed(row, subs)
        latest = evidence[-1] if evidence else None
        targets = d.targets.get(row["id"], [])
        baseline, direction = row["baseline_value"], row["direction"]
        expected = year = final_target = final_progress = score = None
        reason = None
        if direction == "maintain":
            if row["band_min"] is None or row["band_max"] is None:
                reason = "no band"
            elif value is not None:
                score = p.band_score(value, row["band_min"], row["band_max"])
        elif not targets:
            reason = "no target"
        elif baseline is None:
            reason = "no baseline"
        else:
            start = row["baseline_date"] or d.period_start
            expected, year = p.expected_target(baseline, start, targets, when)
            final_target = targets[-1][1]
            if value is not None:
                score = p.progress(direction, baseline, expected, value)
                final_progress = p.progress(direction, baseline, final_target, value)
        if reason is None and latest is None:
            reason = (
                f"no verified value for {end.year}"
                if row["aggregation"] in ("flow", "rate") and subs
                else None
            ) or "no verified value"
        return IndicatorScore(
            code=row["code"],
            title=row["name"],
            classification=highest([row["classification"]]),
            score=score,
            status=p.status_for(score),
            completeness=1.0 if latest else 0.0,
            timeliness=self._timeliness("indicator", row["id"]),
            weight=row["weight"],
            unit=row["unit"],
            aggregation=row["aggregation"],
            direction=direction,
            baseline=baseline,
            expected=expected,
            target_year=year,
            final_target=final_target,
            final_progress=final_progress,
            value=value,
            value_period_end=latest.period_end if latest else None,
            basis=basis,
            reason=reason,
            lead_entities=d.indicator_leads.get(row["id"], []),
            evidence=evidence,
            illustrative=row["illustrative"],
            item_id=row["id"],
        )

    def milestone(self, row: dict, action: dict, weight: float) -> MilestoneScore:
        subs = [s for s in self.d.updates.get(row["id"], []) if s.period_end <= self.cycle.period_end]
        latest = max(subs, key=lambda s: (s.period_end, s.submission_id), default=None)
        if (
            latest is not None
            and latest.milestone_status != "completed"
            and latest.period_end <= self.fresh_after
        ):
            latest = None  # an old "in progress" says nothing about today
        cancelled = latest is not None and latest.milestone_status == "cancelled"
        score, status = (
            (None, "no_data")
            if cancelled
            else p.milestone_status(
                latest.milestone_status if latest else None, row["due_date"], self.cycle.period_end
            )
        )
        return MilestoneScore(
            code=row["code"],
            title=row["title"],
            classification=highest([row["classification"]]),
            score=score,
            status=status,
            completeness=None if cancelled else (1.0 if latest else 0.0),
            timeliness=self._timeliness("milestone", row["id"]),
            weight=0.0 if cancelled else weight,
            action_code=action["code"],
            due_date=row["due_date"],
            reported_status=latest.milestone_status if latest else None,
            reason="cancelled" if cancelled else (None if latest else "no verified update"),
            lead_entities=self.d.milestone_leads.get(row["id"], []),
            evidence=[latest] if latest else [],
            item_id=row["id"],
        )

    def objective(self, row: dict, section_code: str) -> ObjectiveScore:
        indicators = [self.indicator(i) for i in self.d.indicators.get(row["id"], [])]
        milestones = []
        for action in self.d.actions.get(row["id"], []):
            ms = self.d.milestones.get(action["id"], [])
            for m in ms:
                milestones.append(self.milestone(m, action, action["weight"] / max(len(ms), 1)))
        items: list[IndicatorScore | MilestoneScore] = [*indicators, *milestones]
        score = p.weighted_mean((i.score, i.weight) for i in items)
        scoreable = [i for i in indicators if i.reason not in ("no target", "no band", "no baseline")]
        due = [m for m in milestones if m.weight > 0 and m.due_date and m.due_date <= self.cycle.period_end]
        required = [*scoreable, *due]
        achieved = bool(required) and all(i.status == "achieved" for i in required) and score is not None
        status = "achieved" if achieved else p.status_for(score)
        if status == "achieved" and not achieved:
            status = "on_track"
        measured = [i for i in items if i.completeness is not None and i.weight > 0]
        return ObjectiveScore(
            code=row["code"],
            title=row["title"],
            classification=highest([row["classification"]] + [i.classification for i in items]),
            score=score,
            status=status,
            achieved=achieved,
            weight=row["weight"],
            completeness=p.share(sum(1 for i in measured if i.completeness), len(measured)),
            timeliness=self._timeliness_of(items),
            section_code=section_code,
            indicators=indicators,
            milestones=milestones,
        )

    def section(self, row: dict, parent: str | None) -> SectionScore:
        objectives = [self.objective(o, row["code"]) for o in self.d.objectives.get(row["id"], [])]
        subs = [self.section(s, row["code"]) for s in self.d.sections.get(row["id"], [])]
        return self._aggregate(
            SectionScore,
            row["code"],
            row["title"],
            row["classification"],
            row["weight"],
            objectives,
            subs,
            parent_code=parent,
            objectives=objectives,
            subsections=subs,
        )

    def framework(self, code: str, title: str, classification: str) -> FrameworkScore:
        sections = [self.section(s, None) for s in self.d.sections.get(None, [])]
        return self._aggregate(
            FrameworkScore,
            code,
            title,
            classification,
            1.0,
            [],
            sections,
            cycle=self.cycle,
            as_of=self.as_of,
            sections=sections,
            obligations=self.d.obligations,
            entities=self.d.entities,
        )

    def _aggregate(self, cls, code, title, level, weight, objs, secs, /, **extra):  # type: ignore[no-untyped-def]
        """A section or the framework: weighted mean of its objectives' and subsections' scores."""
        parts: list[Node] = [*objs, *secs]
        score = p.weighted_mean((n.score, n.weight) for n in parts)
        leaves = [i for o in objs for i in o.items()]
        for s in secs:
            leaves += [i for o in s.all_objectives() for i in o.items()]
        measured = [i for i in leaves if i.completeness is not None and i.weight > 0]
        return cls(
            code=code,
            title=title,
            classification=highest([n.classification for n in parts], level),
            score=score,
            status=p.status_for(score),
            weight=weight,
            completeness=p.share(sum(1 for i in measured if i.completeness), len(measured)),
            timeliness=self._timeliness_of(leaves),
            **extra,
        )


def _kind(item: IndicatorScore | MilestoneScore) -> str:
    return "indicator" if isinstance(item, IndicatorScore) else "milestone"

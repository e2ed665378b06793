"""Gathers everything an annual review report needs, through the one clearance-filtered session it is given.

This is the only module of the report that reads the database or knows where the figures come from: the
scores come from :func:`nigran.monitoring.scoring.score_framework` (verified submissions only), and this
module reshapes its tree into the report's plain records. The scorer selects mapped classes through the
session, and the few queries made here do too, so the access guard filters every one of them: a public
reader's report is computed from PUBLIC rows alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.core.problems import InvalidInput, Problem
from nigran.monitoring.scoring import FrameworkScore, IndicatorScore, MilestoneScore, score_framework
from nigran.policy.models import Entity, Framework, Indicator, Milestone
from nigran.policy.service import get_framework
from nigran.reports.model import (
    AccountabilityRow,
    AnnualReport,
    ChangeRow,
    Edition,
    Headline,
    ObjectiveRow,
    OverdueRow,
    ReturnedRow,
    SectionRow,
    empty_counts,
)

#: Where the figures come from, cited as a document (the methodology annex summarises it), never as a file of
#: the code repository: the committee reads a paper, not a source tree.
SOURCE = (
    "verified submissions, scored by the Nigran monitoring methodology (summarised in the methodology annex)"
)

Leaf = IndicatorScore | MilestoneScore


class YearOutsidePeriod(InvalidInput):
    """The review year is not a year of the framework's period: there is nothing to review."""

    def __init__(self, message: str) -> None:
        super().__init__([Problem(0, message, "year")])
        self.args = (message,)


def _level(name: str) -> Classification:
    return Classification.parse(name)


def _share(flags: Iterable[bool | None]) -> float | None:
    known = [f for f in flags if f is not None]
    return sum(known) / len(known) if known else None


def milestones_due(fs: FrameworkScore, year: int, as_of: date) -> list[MilestoneScore]:
    """Milestones due in the review year by ``as_of``; cancelled ones are not owed."""
    return [
        m
        for m in fs.milestones()
        if m.due_date is not None
        and m.due_date.year == year
        and m.due_date <= as_of
        and m.reason != "cancelled"
    ]


def milestones_completed(due: list[MilestoneScore]) -> int:
    """Due milestones whose latest verified update says completed. Updates come per reporting period, so
    whether a completion beat its due date inside the period is not known and not claimed."""
    return sum(1 for m in due if m.reported_status == "completed")


def headline(fs: FrameworkScore, overdue: int, returned: int, due: list[MilestoneScore]) -> Headline:
    counts = {level: fs.status_counts(level) for level in ("objective", "indicator", "milestone")}
    judged = [ob.on_time for ob in fs.obligations if ob.on_time is not None]
    return Headline(
        objectives_total=sum(counts["objective"].values()),
        objective_counts=counts["objective"],
        indicators_total=sum(counts["indicator"].values()),
        indicator_counts=counts["indicator"],
        milestones_total=sum(counts["milestone"].values()),
        milestone_counts=counts["milestone"],
        score=fs.score,
        completeness=fs.completeness,
        timeliness=fs.timeliness,
        overdue=overdue,
        returned=returned,
        reports_on_time=sum(judged),
        reports_judged=len(judged),
        milestones_due=len(due),
        milestones_completed=milestones_completed(due),
    )


def sections(fs: FrameworkScore) -> list[SectionRow]:
    """Top-level sections; objectives of subsections roll up into them, as in the scores."""
    rows = []
    for s in fs.sections:
        objectives = list(s.all_objectives())
        counts = empty_counts()
        for o in objectives:
            counts[o.status] += 1
        rows.append(
            SectionRow(
                s.code,
                s.title,
                None,
                _level(s.classification),
                s.status,
                s.score,
                s.weight,
                counts,
                s.completeness,
                s.timeliness,
                [
                    ObjectiveRow(
                        o.code,
                        o.title,
                        o.section_code,
                        _level(o.classification),
                        o.status,
                        o.score,
                        len(o.indicators),
                        len(o.milestones),
                        o.completeness,
                    )
                    for o in objectives
                ],
            )
        )
    return rows


def completed_by(session: Session, fw: Framework, day: date) -> set[int]:
    """Milestones with a verified "completed" update verified by ``day``, for any period: a milestone due
    in the review year and completed after it is late, but no longer overdue."""
    from nigran.monitoring.models import Submission

    rows = session.execute(
        select(Submission.milestone_id, Submission.verified_at).where(
            Submission.framework_id == fw.id,
            Submission.milestone_id.is_not(None),
            Submission.state == "verified",
            Submission.milestone_status == "completed",
        )
    ).all()
    return {mid for mid, at in rows if at is None or at.date() <= day}


def overdue_milestones(
    fs: FrameworkScore, due_before: date, counted_to: date, completed: set[int] | frozenset[int] = frozenset()
) -> list[OverdueRow]:
    """Milestones due before ``due_before`` without a verified completion (in the scored status, or in
    ``completed``), late by days to ``counted_to``."""
    return [
        OverdueRow(
            m.code,
            m.title,
            "milestone",
            ", ".join(m.lead_entities) or "—",
            m.due_date,
            (counted_to - m.due_date).days,
            m.status,
            _level(m.classification),
        )
        for m in fs.milestones()
        if m.due_date is not None
        and m.due_date < due_before
        and m.reported_status not in ("completed", "cancelled")
        and m.reason != "cancelled"
        and m.item_id not in completed
    ]


def overdue_reports(
    session: Session, fw: Framework, year: int, day: date, fs: FrameworkScore, entity_codes: dict[int, str]
) -> list[OverdueRow]:
    """Reports owed in the year's cycles (quarters and the year) whose deadline passed before ``day`` and
    that had not been submitted by ``day``, late by days to ``day`` — the same reference date as the
    milestones, so that every "days overdue" in the report means the same thing. An obligation of an entity
    the reader may not see is left out rather than shown unnamed."""
    from nigran.monitoring.models import Obligation, ReportingCycle, Submission

    leaves: dict[tuple[str, int], Leaf] = {("indicator", i.item_id): i for i in fs.indicators()}
    leaves.update({("milestone", m.item_id): m for m in fs.milestones()})
    sent = (
        select(Submission.obligation_id, func.min(Submission.first_submitted_at).label("at"))
        .where(Submission.obligation_id.is_not(None), Submission.first_submitted_at.is_not(None))
        .group_by(Submission.obligation_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Obligation.entity_id,
            Obligation.indicator_id,
            Obligation.milestone_id,
            Obligation.status,
            Obligation.classification,
            ReportingCycle.code,
            ReportingCycle.period_end,
            ReportingCycle.deadline,
            sent.c.at,
        )
        .join(ReportingCycle, ReportingCycle.id == Obligation.cycle_id)
        .outerjoin(sent, sent.c.obligation_id == Obligation.id)
        .where(ReportingCycle.framework_id == fw.id, ReportingCycle.deadline < day)
    ).all()
    out = []
    for r in rows:
        if r.at is not None and r.at.date() <= day:
            continue  # sent by then (late or not: reporting timeliness counts that)
        kind, item_id = ("indicator", r.indicator_id) if r.indicator_id else ("milestone", r.milestone_id)
        leaf = leaves.get((kind, item_id))
        if r.period_end.year != year or leaf is None or r.entity_id not in entity_codes:
            continue
        out.append(
            OverdueRow(
                leaf.code,
                leaf.title,
                f"{kind} report",
                entity_codes[r.entity_id],
                r.deadline,
                (day - r.deadline).days,
                r.status,
                r.classification,
                r.code,
            )
        )
    return out


def returned_items(
    session: Session, fw: Framework, year: int, entity_codes: dict[int, str]
) -> list[ReturnedRow]:
    """Submissions of the review year's cycles that were returned for correction, with the comment."""
    from nigran.monitoring.models import ReportingCycle, Submission, SubmissionEvent

    rows = session.execute(
        select(
            SubmissionEvent.comment,
            SubmissionEvent.at,
            SubmissionEvent.classification,
            Submission.entity_id,
            Submission.indicator_id,
            Submission.milestone_id,
            Submission.state,
            ReportingCycle.code,
            ReportingCycle.period_end,
        )
        .join(Submission, Submission.id == SubmissionEvent.submission_id)
        .join(ReportingCycle, ReportingCycle.id == Submission.cycle_id)
        .where(Submission.framework_id == fw.id, SubmissionEvent.to_state == "returned")
        .order_by(SubmissionEvent.at)
    ).all()
    ids = {r.indicator_id for r in rows if r.indicator_id} | {r.milestone_id for r in rows if r.milestone_id}
    names: dict[tuple[str, int], tuple[str, str]] = {}
    if ids:
        for i in session.execute(
            select(Indicator.id, Indicator.code, Indicator.name).where(Indicator.id.in_(ids))
        ):
            names[("i", i.id)] = (i.code, i.name)
        for m in session.execute(
            select(Milestone.id, Milestone.code, Milestone.title).where(Milestone.id.in_(ids))
        ):
            names[("m", m.id)] = (m.code, m.title)
    out = []
    for r in rows:
        if r.period_end.year != year:
            continue  # returned in another review year's cycles
        key = ("i", r.indicator_id) if r.indicator_id else ("m", r.milestone_id)
        if key not in names or r.entity_id not in entity_codes:
            continue  # the item or entity is above the reader's clearance
        code, title = names[key]
        out.append(
            ReturnedRow(
                code,
                title,
                entity_codes[r.entity_id],
                r.code,
                (r.comment or "").strip(),
                r.classification,
                r.state,
            )
        )
    return out


def accountability(
    fs: FrameworkScore,
    overdue: list[OverdueRow],
    returned: list[ReturnedRow],
    levels: dict[str, Classification],
) -> tuple[list[AccountabilityRow], list[AccountabilityRow]]:
    """Per-entity and per-province tables from the leads of each scored item and the obligations owed."""
    leaves: list[Leaf] = [*fs.indicators(), *fs.milestones()]
    items: dict[str, list[Leaf]] = defaultdict(list)
    for leaf in leaves:
        for code in dict.fromkeys(leaf.lead_entities):
            items[code].append(leaf)
    on_time: dict[str, list[bool | None]] = defaultdict(list)
    for ob in fs.obligations:
        on_time[ob.entity].append(ob.on_time)
    late: dict[str, int] = defaultdict(int)
    for row in overdue:
        for code in row.entity.split(", "):
            late[code] += 1
    back: dict[str, int] = defaultdict(int)
    for r in returned:
        back[r.entity] += 1

    def row(
        code: str, its: list[Leaf], overdue_n: int, returned_n: int, flags: list[bool | None]
    ) -> AccountabilityRow:
        info = fs.entities[code]
        counts = empty_counts()
        for leaf in its:
            counts[leaf.status] += 1
        measured = [leaf.completeness for leaf in its if leaf.completeness is not None and leaf.weight > 0]
        level = max([levels.get(code, Classification.PUBLIC), *(_level(leaf.classification) for leaf in its)])
        return AccountabilityRow(
            code,
            info.name,
            None,
            info.kind,
            counts,
            overdue_n,
            returned_n,
            _share(bool(c) for c in measured),
            _share(flags),
            level,
        )

    codes = [c for c in {*items, *late, *back, *on_time} if c in fs.entities]
    entities = [row(c, items.get(c, []), late.get(c, 0), back.get(c, 0), on_time.get(c, [])) for c in codes]
    by_province: dict[str, list[str]] = defaultdict(list)
    for c in codes:
        province = fs.entities[c].province
        if province is not None and province in fs.entities:
            by_province[province].append(c)
    provinces = []
    for p, members in by_province.items():
        its = list({id(leaf): leaf for c in members for leaf in items.get(c, [])}.values())
        provinces.append(
            row(
                p,
                its,
                sum(late.get(c, 0) for c in members),
                sum(back.get(c, 0) for c in members),
                [f for c in members for f in on_time.get(c, [])],
            )
        )
    key = lambda r: (-r.overdue, -r.counts["off_track"], r.code)  # noqa: E731
    return sorted(entities, key=key), sorted(provinces, key=key)


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def changes(c: Headline, p: Headline) -> list[ChangeRow]:
    rows = [
        ChangeRow("Share of objectives achieved", _pct(p.share_achieved), _pct(c.share_achieved), "%"),
        ChangeRow("Overall score", _pct(p.score), _pct(c.score), "%"),
    ]
    rows += [
        ChangeRow(f"Objectives {label}", p.objective_counts[key], c.objective_counts[key])
        for key, label in (
            ("achieved", "achieved"),
            ("on_track", "on track"),
            ("at_risk", "at risk"),
            ("off_track", "off track"),
            ("no_data", "without data"),
        )
    ]
    rows += [
        ChangeRow("Indicators achieved", p.indicator_counts["achieved"], c.indicator_counts["achieved"]),
        ChangeRow("Milestones achieved", p.milestone_counts["achieved"], c.milestone_counts["achieved"]),
        ChangeRow(
            "Milestones due in the year that were completed",
            _pct(p.milestones_completed_share),
            _pct(c.milestones_completed_share),
            "%",
        ),
        ChangeRow(
            "Milestones overdue at the status date", p.overdue_at_status_date, c.overdue_at_status_date
        ),
        ChangeRow("Data completeness", _pct(p.completeness), _pct(c.completeness), "%"),
        ChangeRow("Reports submitted by their deadline", _pct(p.timeliness), _pct(c.timeliness), "%"),
    ]
    return rows


def section_changes(current: FrameworkScore, previous: FrameworkScore) -> list[ChangeRow]:
    """Each top-level section's score then and now, so the committee sees where things moved."""
    before = {s.code: s for s in previous.sections}
    rows = []
    for s in current.sections:
        old = before.get(s.code)
        rows.append(
            ChangeRow(
                s.title,
                _pct(old.score) if old else None,
                _pct(s.score),
                "%",
                max(_level(s.classification), _level(old.classification) if old else Classification.PUBLIC),
                old.status if old else "no_data",
                s.status,
                s.code,
            )
        )
    return rows


def gather_annual(
    session: Session,
    framework_code: str,
    year: int,
    *,
    edition: Edition,
    reader: str,
    today: date | None = None,
) -> AnnualReport:
    """Everything the annual review for ``year`` shows, as the session's principal may see it."""
    today = today or date.today()
    fw = get_framework(session, framework_code)
    if not fw.period_start.year <= year <= fw.period_end.year:
        raise YearOutsidePeriod(
            f"the review year {year} lies outside {fw.code}'s period "
            f"({fw.period_start.year}–{fw.period_end.year})"
        )
    as_of = min(date(year, 12, 31), today)
    fs = score_framework(session, fw.code, str(year), as_of=today)
    ents = session.execute(select(Entity.id, Entity.code, Entity.name_ur, Entity.classification)).all()
    codes = {e.id: e.code for e in ents}
    # One reference date for every "days overdue": the day of this edition, when the committee reads it.
    milestones_late = overdue_milestones(fs, as_of, today, completed_by(session, fw, today))
    overdue = sorted(
        milestones_late + overdue_reports(session, fw, year, today, fs, codes),
        key=lambda r: (-r.days_overdue, r.code),
    )
    returned = returned_items(session, fw, year, codes)
    entities, provinces = accountability(fs, overdue, returned, {e.code: e.classification for e in ents})
    previous_year = year - 1 if year - 1 >= fw.period_start.year else None
    change_rows: list[ChangeRow] = []
    moved: list[ChangeRow] = []
    current = headline(fs, len(milestones_late), len(returned), milestones_due(fs, year, as_of))
    current.overdue_at_status_date = len(overdue_milestones(fs, as_of, as_of))
    if previous_year is not None:
        prev = score_framework(session, fw.code, str(previous_year), as_of=today)
        prev_end = date(previous_year, 12, 31)
        before = headline(
            prev,
            len(overdue_milestones(prev, prev_end, prev_end)),
            len(returned_items(session, fw, previous_year, codes)),
            milestones_due(prev, previous_year, prev_end),
        )
        before.overdue_at_status_date = before.overdue
        change_rows = changes(current, before)
        moved = section_changes(fs, prev)
    names_ur = {e.code: e.name_ur for e in ents}
    for r in entities + provinces:
        r.name_ur = names_ur.get(r.code)
    return AnnualReport(
        framework_code=fw.code,
        framework_title=fw.title,
        framework_title_ur=fw.title_ur,
        period=f"{fw.period_start.year}–{fw.period_end.year}",
        year=year,
        as_of=as_of,
        edition=edition,
        generated_on=today,
        reader=reader,
        source=SOURCE,
        headline=current,
        sections=_with_urdu(session, fw, sections(fs)),
        entities=entities,
        provinces=provinces,
        overdue=overdue,
        returned=returned,
        changes=change_rows,
        section_changes=moved,
        previous_year=previous_year,
        illustrative=any(i.illustrative or any(e.illustrative for e in i.evidence) for i in fs.indicators()),
    )


def _with_urdu(session: Session, fw: Framework, rows: list[SectionRow]) -> list[SectionRow]:
    from nigran.policy.models import Section

    query = select(Section.code, Section.title_ur).where(Section.framework_id == fw.id)
    titles = {code: title for code, title in session.execute(query)}
    for r in rows:
        r.title_ur = titles.get(r.code)
    return rows

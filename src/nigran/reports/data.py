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

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigran.access.classification import Classification
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

SOURCE = "verified submissions, scored as docs/methodology.md describes"
OPEN_OBLIGATION = ("open", "draft", "returned")

Leaf = IndicatorScore | MilestoneScore


class YearOutsidePeriod(ValueError):
    """The review year is not a year of the framework's period: there is nothing to review."""


def _level(name: str) -> Classification:
    return Classification.parse(name)


def _share(flags: Iterable[bool | None]) -> float | None:
    known = [f for f in flags if f is not None]
    return sum(known) / len(known) if known else None


def headline(fs: FrameworkScore, overdue: int, returned: int) -> Headline:
    counts = {level: fs.status_counts(level) for level in ("objective", "indicator", "milestone")}
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


def overdue_milestones(fs: FrameworkScore, as_of: date) -> list[OverdueRow]:
    """Milestones past their due date with no verified completion by ``as_of``."""
    return [
        OverdueRow(
            m.code,
            m.title,
            "milestone",
            ", ".join(m.lead_entities) or "—",
            m.due_date,
            (as_of - m.due_date).days,
            m.status,
            _level(m.classification),
        )
        for m in fs.milestones()
        if m.due_date is not None
        and m.due_date < as_of
        and m.reported_status not in ("completed", "cancelled")
        and m.reason != "cancelled"
    ]


def overdue_reports(
    session: Session, fw: Framework, year: int, today: date, fs: FrameworkScore, entity_codes: dict[int, str]
) -> list[OverdueRow]:
    """Reports owed in the year's cycles (quarters and the year) still missing, draft or returned after the
    deadline. An obligation of an entity the reader may not see is left out rather than shown unnamed."""
    from nigran.monitoring.models import Obligation, ReportingCycle

    leaves: dict[tuple[str, int], Leaf] = {("indicator", i.item_id): i for i in fs.indicators()}
    leaves.update({("milestone", m.item_id): m for m in fs.milestones()})
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
        )
        .join(ReportingCycle, ReportingCycle.id == Obligation.cycle_id)
        .where(
            ReportingCycle.framework_id == fw.id,
            ReportingCycle.deadline < today,
            Obligation.status.in_(OPEN_OBLIGATION),
        )
    ).all()
    out = []
    for r in rows:
        kind, item_id = ("indicator", r.indicator_id) if r.indicator_id else ("milestone", r.milestone_id)
        leaf = leaves.get((kind, item_id))
        if r.period_end.year != year or leaf is None or r.entity_id not in entity_codes:
            continue
        out.append(
            OverdueRow(
                leaf.code,
                leaf.title,
                f"{kind} report ({r.code}, {r.status})",
                entity_codes[r.entity_id],
                r.deadline,
                (today - r.deadline).days,
                r.status,
                r.classification,
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
        ChangeRow("Overdue milestones", p.overdue, c.overdue),
        ChangeRow("Data completeness", _pct(p.completeness), _pct(c.completeness), "%"),
        ChangeRow("Timeliness", _pct(p.timeliness), _pct(c.timeliness), "%"),
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
                f"{s.code} {s.title}",
                _pct(old.score) if old else None,
                _pct(s.score),
                "%",
                max(_level(s.classification), _level(old.classification) if old else Classification.PUBLIC),
                old.status if old else "no_data",
                s.status,
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
            f"--year {year} lies outside {fw.code}'s period ({fw.period_start.year}–{fw.period_end.year})"
        )
    as_of = min(date(year, 12, 31), today)
    fs = score_framework(session, fw.code, str(year), as_of=today)
    ents = session.execute(select(Entity.id, Entity.code, Entity.name_ur, Entity.classification)).all()
    codes = {e.id: e.code for e in ents}
    milestones_late = overdue_milestones(fs, as_of)
    overdue = sorted(
        milestones_late + overdue_reports(session, fw, year, today, fs, codes),
        key=lambda r: (-r.days_overdue, r.code),
    )
    returned = returned_items(session, fw, year, codes)
    entities, provinces = accountability(fs, overdue, returned, {e.code: e.classification for e in ents})
    previous_year = year - 1 if year - 1 >= fw.period_start.year else None
    change_rows: list[ChangeRow] = []
    moved: list[ChangeRow] = []
    current = headline(fs, len(milestones_late), len(returned))
    if previous_year is not None:
        prev = score_framework(session, fw.code, str(previous_year), as_of=today)
        change_rows = changes(
            current, headline(prev, len(overdue_milestones(prev, date(previous_year, 12, 31))), 0)
        )
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

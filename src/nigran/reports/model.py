"""What an annual review report holds, independent of where the figures come from and how they are drawn.

The gathering step (:mod:`nigran.reports.data`) fills these plain records through one clearance-filtered
session; the renderers (HTML, PDF, CSV, JSON, Excel) only ever see these records. A renderer therefore
cannot reach a record the edition's reader may not see, because it never holds a session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from nigran.access.classification import Classification
from nigran.core.problems import InvalidInput, Problem

#: Status bands in the order they are shown (best first); ``no_data`` is never hidden inside a score.
STATUSES = ("achieved", "on_track", "at_risk", "off_track", "no_data")
STATUS_LABELS = {
    "achieved": "Achieved",
    "on_track": "On track",
    "at_risk": "At risk",
    "off_track": "Off track",
    "no_data": "No data",
}


class Edition(StrEnum):
    PUBLIC = "public"
    CLASSIFIED = "classified"

    @classmethod
    def parse(cls, value: str) -> Edition:
        try:
            return cls(value.strip().lower())
        except ValueError:
            raise InvalidInput(
                [Problem(0, f"unknown edition {value!r} (allowed: public, classified)", "edition")]
            ) from None


def empty_counts() -> dict[str, int]:
    return dict.fromkeys(STATUSES, 0)


@dataclass
class ObjectiveRow:
    code: str
    title: str
    section_code: str
    classification: Classification
    status: str
    score: float | None
    indicators: int
    milestones: int
    completeness: float | None


@dataclass
class SectionRow:
    code: str
    title: str
    title_ur: str | None
    classification: Classification
    status: str
    score: float | None
    weight: float
    objective_counts: dict[str, int]
    completeness: float | None
    timeliness: float | None
    objectives: list[ObjectiveRow] = field(default_factory=list)

    @property
    def objectives_total(self) -> int:
        return sum(self.objective_counts.values())


@dataclass
class AccountabilityRow:
    """One entity's (or one province's) record: what it owns, how it stands, what it owes."""

    code: str
    name: str
    name_ur: str | None
    kind: str
    counts: dict[str, int]
    overdue: int
    returned: int
    completeness: float | None
    timeliness: float | None
    classification: Classification = Classification.PUBLIC

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class OverdueRow:
    """An item late on the report's status date; ``days_overdue`` is always counted to that one date."""

    code: str
    title: str
    kind: str  # "milestone", "indicator report", "milestone report"
    entity: str
    due_date: date | None
    days_overdue: int
    status: str
    classification: Classification
    cycle: str = ""  # the reporting cycle a report is owed for ("" for a milestone)


@dataclass
class ReturnedRow:
    code: str
    title: str
    entity: str
    cycle: str
    comment: str
    classification: Classification
    state: str = ""  # where the submission stands now: returned, resubmitted, verified


@dataclass
class ChangeRow:
    metric: str
    previous: float | None
    current: float | None
    unit: str = ""  # "%", "" (count)
    classification: Classification = Classification.PUBLIC
    status_before: str = ""
    status_after: str = ""
    code: str = ""  # the section's code, for the tables (the document names sections by title)

    @property
    def delta(self) -> float | None:
        if self.previous is None or self.current is None:
            return None
        return self.current - self.previous


@dataclass
class Headline:
    """The executive summary's figures, each named for what it measures.

    ``timeliness`` is *reporting* timeliness (reports first submitted by their cycle's deadline, over the
    reports whose deadline has passed or that were sent), not whether milestones were delivered: that is
    ``milestones_completed`` of ``milestones_due`` (milestones due in the review year by the status date,
    completed as the latest verified update says). The two were once shown under one label, "milestones
    done on time", and they answer different questions.
    """

    objectives_total: int
    objective_counts: dict[str, int]
    indicators_total: int
    indicator_counts: dict[str, int]
    milestones_total: int
    milestone_counts: dict[str, int]
    score: float | None
    completeness: float | None
    timeliness: float | None
    overdue: int
    returned: int
    reports_on_time: int = 0
    reports_judged: int = 0
    milestones_due: int = 0
    milestones_completed: int = 0
    #: Milestones overdue at the review's status date (31 December), to compare years; ``overdue`` is the
    #: milestones still overdue on the day of the edition (the list in the overdue chapter).
    overdue_at_status_date: int = 0

    @property
    def milestones_completed_share(self) -> float | None:
        """Milestones due in the review year that were completed; unknown (not 0) if none was due."""
        return self.milestones_completed / self.milestones_due if self.milestones_due else None

    @property
    def share_achieved(self) -> float | None:
        """Share of objectives achieved: the figure the 2026 review could only estimate."""
        if not self.objectives_total:
            return None
        return self.objective_counts.get("achieved", 0) / self.objectives_total

    @property
    def share_achieved_of_measured(self) -> float | None:
        """The same share among objectives that could be measured (not the headline: see methodology)."""
        measured = self.objectives_total - self.objective_counts.get("no_data", 0)
        return self.objective_counts.get("achieved", 0) / measured if measured else None


@dataclass
class AnnualReport:
    framework_code: str
    framework_title: str
    framework_title_ur: str | None
    period: str
    year: int
    as_of: date
    edition: Edition
    generated_on: date
    reader: str
    source: str  # which scoring produced the figures ("monitoring scores" or "register status")
    headline: Headline
    sections: list[SectionRow]
    entities: list[AccountabilityRow]
    provinces: list[AccountabilityRow]
    overdue: list[OverdueRow]
    returned: list[ReturnedRow]
    changes: list[ChangeRow]
    previous_year: int | None
    illustrative: bool = False
    section_changes: list[ChangeRow] = field(default_factory=list)

    @property
    def marking(self) -> Classification:
        """The highest level of any record in the report: what every page's header and footer says."""
        levels = [Classification.PUBLIC]
        for s in self.sections:
            levels.append(s.classification)
            levels += [o.classification for o in s.objectives]
        levels += [r.classification for r in self.entities + self.provinces + self.section_changes]
        levels += [r.classification for r in self.overdue]
        levels += [r.classification for r in self.returned]
        return max(levels)

"""Tables of implementation monitoring: reporting cycles, obligations, submissions and their history.

A submission is never overwritten in silence: its current state lives on the row (guarded by an optimistic
version column, so two concurrent writers cannot both win), and every state change also appends a
:class:`SubmissionEvent` carrying the values as they were at that moment, who acted and when.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nigran.access.classification import Classification
from nigran.access.guard import Classified
from nigran.access.principal import Role
from nigran.policy.models import Entity, Framework, Indicator, Milestone
from nigran.storage.base import Base, Timestamped, utcnow

#: Everyone who takes part in reporting writes these rows; the workflow decides which transitions a role
#: may make, and the guard confines focal persons to their own entity.
REPORTING_ROLES = frozenset({Role.ADMINISTRATOR, Role.ANALYST, Role.REVIEWER, Role.FOCAL_PERSON})


def _level(obj: Any) -> Classification:
    return Classification.parse(obj.classification) if obj is not None else Classification.PUBLIC


class ReportingCycle(Classified, Timestamped, Base):
    """A reporting period of a framework (``2024-Q1`` quarterly, ``2024`` annual) and its deadline."""

    __tablename__ = "reporting_cycle"
    __table_args__ = (UniqueConstraint("framework_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("framework.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(10))  # quarterly | annual
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)

    framework: Mapped[Framework] = relationship()

    def classification_floor(self) -> Classification:
        return _level(self.framework)


class Obligation(Classified, Base):
    """What one entity owes in one cycle: a value for an indicator, or an update on a milestone.

    ``status`` mirrors the latest submission so that "what is due" is one query, and the version column
    makes two concurrent submissions against the same obligation collide instead of both passing.
    """

    __tablename__ = "obligation"
    __table_args__ = (Index("ix_obligation_cycle_entity", "cycle_id", "entity_id"),)
    __write_roles__ = REPORTING_ROLES

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("reporting_cycle.id", ondelete="CASCADE"), index=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entity.id"), index=True)
    indicator_id: Mapped[int | None] = mapped_column(
        ForeignKey("indicator.id", ondelete="CASCADE"), nullable=True, index=True
    )
    milestone_id: Mapped[int | None] = mapped_column(
        ForeignKey("milestone.id", ondelete="CASCADE"), nullable=True, index=True
    )
    role: Mapped[str] = mapped_column(String(12), default="lead")
    status: Mapped[str] = mapped_column(String(12), default="open")
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    cycle: Mapped[ReportingCycle] = relationship()
    entity: Mapped[Entity] = relationship()
    indicator: Mapped[Indicator | None] = relationship()
    milestone: Mapped[Milestone | None] = relationship()

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}

    def classification_floor(self) -> Classification:
        return _level(self.indicator if self.indicator is not None else self.milestone)

    def owning_entity_ids(self) -> Iterable[int]:
        return [self.entity_id]


class Submission(Classified, Timestamped, Base):
    """An entity's reported indicator value (or milestone status) for a period, and where it stands."""

    __tablename__ = "submission"
    __table_args__ = (
        Index("ix_submission_scoring", "framework_id", "state", "period_end"),
        Index("ix_submission_obligation", "obligation_id"),
    )
    __write_roles__ = REPORTING_ROLES

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("framework.id", ondelete="CASCADE"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("reporting_cycle.id", ondelete="CASCADE"), index=True)
    obligation_id: Mapped[int | None] = mapped_column(
        ForeignKey("obligation.id", ondelete="SET NULL"), nullable=True
    )
    entity_id: Mapped[int] = mapped_column(ForeignKey("entity.id"), index=True)
    indicator_id: Mapped[int | None] = mapped_column(
        ForeignKey("indicator.id", ondelete="CASCADE"), nullable=True, index=True
    )
    milestone_id: Mapped[int | None] = mapped_column(
        ForeignKey("milestone.id", ondelete="CASCADE"), nullable=True, index=True
    )
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    milestone_status: Mapped[str | None] = mapped_column(String(12), nullable=True)
    evidence: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    state: Mapped[str] = mapped_column(String(12), default="draft")
    submitted_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    first_submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    verified_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    return_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"), nullable=True)
    illustrative: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    cycle: Mapped[ReportingCycle] = relationship()
    obligation: Mapped[Obligation | None] = relationship()
    entity: Mapped[Entity] = relationship()
    indicator: Mapped[Indicator | None] = relationship()
    milestone: Mapped[Milestone | None] = relationship()
    events: Mapped[list[SubmissionEvent]] = relationship(
        back_populates="submission", order_by="SubmissionEvent.seq", cascade="all, delete-orphan"
    )

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}

    def classification_floor(self) -> Classification:
        return _level(self.indicator if self.indicator is not None else self.milestone)

    def owning_entity_ids(self) -> Iterable[int]:
        return [self.entity_id]


class SubmissionEvent(Classified, Base):
    """One step of a submission's history, with the values it carried then. Rows are only ever added."""

    __tablename__ = "submission_event"
    __table_args__ = (UniqueConstraint("submission_id", "seq"),)
    __write_roles__ = REPORTING_ROLES

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(12))
    from_state: Mapped[str | None] = mapped_column(String(12), nullable=True)
    to_state: Mapped[str] = mapped_column(String(12))
    actor: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    milestone_status: Mapped[str | None] = mapped_column(String(12), nullable=True)
    evidence: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)

    submission: Mapped[Submission] = relationship(back_populates="events")

    def classification_floor(self) -> Classification:
        return _level(self.submission)

    def owning_entity_ids(self) -> Iterable[int]:
        return [self.submission.entity_id] if self.submission is not None else []

"""Tables of the policy register. Every row is classified, and never below its parent.

The hierarchy mirrors how policy documents are written and reviewed: a framework has nested sections,
sections hold objectives, objectives are measured by indicators and delivered through actions with
milestones; entities own indicators and actions through responsibilities.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nigran.access.classification import Classification
from nigran.access.guard import Classified
from nigran.access.principal import Role
from nigran.policy.enums import default_aggregation
from nigran.storage.base import Base, Timestamped


def _level(obj: Any) -> Classification:
    return Classification.parse(obj.classification) if obj is not None else Classification.PUBLIC


class Entity(Classified, Timestamped, Base):
    """A ministry, division, province, region or agency that owns policy commitments."""

    __tablename__ = "entity"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    name_ur: Mapped[str | None] = mapped_column(String(300), nullable=True)
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("entity.id"), nullable=True)
    admin_unit_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)

    parent: Mapped[Entity | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Entity]] = relationship(back_populates="parent")

    def owning_entity_ids(self) -> Iterable[int]:
        return [self.id] if self.id else []


class Framework(Classified, Timestamped, Base):
    __tablename__ = "framework"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(400))
    title_ur: Mapped[str | None] = mapped_column(String(400), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    predecessor_id: Mapped[int | None] = mapped_column(ForeignKey("framework.id"), nullable=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("entity.id"), nullable=True)
    source: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    predecessor: Mapped[Framework | None] = relationship(remote_side=[id])
    owner: Mapped[Entity | None] = relationship()
    sections: Mapped[list[Section]] = relationship(
        back_populates="framework", cascade="all, delete-orphan", order_by="Section.position"
    )


class Section(Classified, Timestamped, Base):
    __tablename__ = "section"
    __table_args__ = (UniqueConstraint("framework_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("framework.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("section.id", ondelete="CASCADE"), nullable=True)
    code: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(400))
    title_ur: Mapped[str | None] = mapped_column(String(400), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    weight: Mapped[float] = mapped_column(Float, default=1.0)

    framework: Mapped[Framework] = relationship(back_populates="sections")
    parent: Mapped[Section | None] = relationship(remote_side=[id], back_populates="subsections")
    subsections: Mapped[list[Section]] = relationship(back_populates="parent", order_by="Section.position")
    objectives: Mapped[list[Objective]] = relationship(
        back_populates="section", cascade="all, delete-orphan", order_by="Objective.position"
    )

    def classification_floor(self) -> Classification:
        return _level(self.parent) if self.parent is not None else _level(self.framework)


class Objective(Classified, Timestamped, Base):
    __tablename__ = "objective"
    __table_args__ = (UniqueConstraint("framework_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("framework.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("section.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(600))
    title_ur: Mapped[str | None] = mapped_column(String(600), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    weight: Mapped[float] = mapped_column(Float, default=1.0)

    framework: Mapped[Framework] = relationship()
    section: Mapped[Section] = relationship(back_populates="objectives")
    indicators: Mapped[list[Indicator]] = relationship(
        back_populates="objective", cascade="all, delete-orphan", order_by="Indicator.position"
    )
    actions: Mapped[list[Action]] = relationship(
        back_populates="objective", cascade="all, delete-orphan", order_by="Action.position"
    )

    def classification_floor(self) -> Classification:
        return _level(self.section)


class Indicator(Classified, Timestamped, Base):
    """A measurable indicator with baseline, yearly targets and direction of improvement."""

    __tablename__ = "indicator"
    __table_args__ = (UniqueConstraint("framework_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("framework.id", ondelete="CASCADE"), index=True)
    objective_id: Mapped[int] = mapped_column(ForeignKey("objective.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(600))
    name_ur: Mapped[str | None] = mapped_column(String(600), nullable=True)
    definition: Mapped[str | None] = mapped_column(Text, nullable=True)
    unit: Mapped[str | None] = mapped_column(String(80), nullable=True)
    direction: Mapped[str] = mapped_column(String(10), default="increase")
    band_min: Mapped[float | None] = mapped_column(Float, nullable=True)
    band_max: Mapped[float | None] = mapped_column(Float, nullable=True)
    baseline_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    baseline_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    data_source: Mapped[str | None] = mapped_column(Text, nullable=True)
    frequency: Mapped[str] = mapped_column(String(12), default="annual")
    #: flow | stock | rate (:class:`~nigran.policy.enums.Aggregation`); empty: derived from the unit
    aggregation: Mapped[str | None] = mapped_column(String(8), nullable=True)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    illustrative: Mapped[bool] = mapped_column(Boolean, default=False)
    #: For indicators computed from the incident database: a query definition (see docs/incidents.md).
    incident_query: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    framework: Mapped[Framework] = relationship()
    objective: Mapped[Objective] = relationship(back_populates="indicators")
    targets: Mapped[list[IndicatorTarget]] = relationship(
        back_populates="indicator", cascade="all, delete-orphan", order_by="IndicatorTarget.year"
    )
    responsibilities: Mapped[list[Responsibility]] = relationship(
        back_populates="indicator", cascade="all, delete-orphan", order_by="Responsibility.id"
    )

    @property
    def aggregation_rule(self) -> str:
        """The stated aggregation, else the one its unit implies (``default_aggregation``)."""
        return self.aggregation or default_aggregation(self.unit).value

    def classification_floor(self) -> Classification:
        return _level(self.objective)


class IndicatorTarget(Classified, Base):
    __tablename__ = "indicator_target"
    __table_args__ = (UniqueConstraint("indicator_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)

    indicator: Mapped[Indicator] = relationship(back_populates="targets")

    def classification_floor(self) -> Classification:
        return _level(self.indicator)


class Action(Classified, Timestamped, Base):
    __tablename__ = "action"
    __table_args__ = (UniqueConstraint("framework_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("framework.id", ondelete="CASCADE"), index=True)
    objective_id: Mapped[int] = mapped_column(ForeignKey("objective.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(600))
    title_ur: Mapped[str | None] = mapped_column(String(600), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("entity.id"), nullable=True)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(12), default="not_started")
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    position: Mapped[int] = mapped_column(Integer, default=0)

    framework: Mapped[Framework] = relationship()
    objective: Mapped[Objective] = relationship(back_populates="actions")
    owner: Mapped[Entity | None] = relationship()
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="action", cascade="all, delete-orphan", order_by="Milestone.position"
    )
    responsibilities: Mapped[list[Responsibility]] = relationship(
        back_populates="action", cascade="all, delete-orphan", order_by="Responsibility.id"
    )

    def classification_floor(self) -> Classification:
        return _level(self.objective)


class Milestone(Classified, Timestamped, Base):
    __tablename__ = "milestone"
    #: Focal persons report milestone progress for their own entity; the guard checks which entity.
    __write_roles__ = frozenset({Role.ADMINISTRATOR, Role.ANALYST, Role.REVIEWER, Role.FOCAL_PERSON})
    __table_args__ = (UniqueConstraint("framework_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("framework.id", ondelete="CASCADE"), index=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(600))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("entity.id"), nullable=True)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(12), default="not_started")
    completed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    framework: Mapped[Framework] = relationship()
    action: Mapped[Action] = relationship(back_populates="milestones")
    owner: Mapped[Entity | None] = relationship()

    def classification_floor(self) -> Classification:
        return _level(self.action)

    def owning_entity_ids(self) -> Iterable[int]:
        return [i for i in (self.owner_id, self.action.owner_id if self.action else None) if i]


class Responsibility(Classified, Base):
    """Who leads or supports an indicator or an action; reporting obligations derive from these rows."""

    __tablename__ = "responsibility"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entity.id"), index=True)
    indicator_id: Mapped[int | None] = mapped_column(
        ForeignKey("indicator.id", ondelete="CASCADE"), nullable=True, index=True
    )
    action_id: Mapped[int | None] = mapped_column(
        ForeignKey("action.id", ondelete="CASCADE"), nullable=True, index=True
    )
    role: Mapped[str] = mapped_column(String(12), default="lead")

    entity: Mapped[Entity] = relationship()
    indicator: Mapped[Indicator | None] = relationship(back_populates="responsibilities")
    action: Mapped[Action | None] = relationship(back_populates="responsibilities")

    def classification_floor(self) -> Classification:
        return _level(self.indicator if self.indicator is not None else self.action)

"""Tables of the foresight register: scenarios, signposts tied to an indicator or an incident query, and
the crossings each check records (with the evidence)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nigran.access.classification import Classification
from nigran.access.guard import Classified
from nigran.storage.base import Base, Timestamped, utcnow


def _level(obj: Any) -> Classification:
    return Classification.parse(obj.classification) if obj is not None else Classification.PUBLIC


class Scenario(Classified, Timestamped, Base):
    __tablename__ = "foresight_scenario"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(400))
    narrative: Mapped[str | None] = mapped_column(Text, nullable=True)
    horizon_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    drivers: Mapped[list[str]] = mapped_column(JSON, default=list)
    uncertainties: Mapped[list[str]] = mapped_column(JSON, default=list)

    signposts: Mapped[list[Signpost]] = relationship(
        back_populates="scenario", cascade="all, delete-orphan", order_by="Signpost.position"
    )


class Signpost(Classified, Timestamped, Base):
    """An observable sign that a scenario is unfolding: ``kind`` indicator (``params``: framework, indicator)
    or incidents (``params``: query, months); ``measure comparison threshold`` says when it is crossed."""

    __tablename__ = "foresight_signpost"
    __table_args__ = (UniqueConstraint("scenario_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(
        ForeignKey("foresight_scenario.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(12))  # indicator | incidents
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    measure: Mapped[str] = mapped_column(String(30), default="value")
    comparison: Mapped[str] = mapped_column(String(2))  # > >= < <=
    threshold: Mapped[float] = mapped_column(Float)
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: unchecked | not_crossed | crossed | unknown
    status: Mapped[str] = mapped_column(String(12), default="unchecked")
    last_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    scenario: Mapped[Scenario] = relationship(back_populates="signposts")
    crossings: Mapped[list[SignpostCrossing]] = relationship(
        back_populates="signpost", cascade="all, delete-orphan", order_by="SignpostCrossing.crossed_at"
    )

    def classification_floor(self) -> Classification:
        return _level(self.scenario)


class SignpostCrossing(Classified, Base):
    """One observation that crossed the threshold; ``observation`` keys it (a submission, a period) so that
    checking again records nothing new."""

    __tablename__ = "foresight_crossing"
    __table_args__ = (UniqueConstraint("signpost_id", "observation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    signpost_id: Mapped[int] = mapped_column(
        ForeignKey("foresight_signpost.id", ondelete="CASCADE"), index=True
    )
    observation: Mapped[str] = mapped_column(String(80))
    period: Mapped[str] = mapped_column(String(40))
    crossed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    value: Mapped[float] = mapped_column(Float)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    signpost: Mapped[Signpost] = relationship(back_populates="crossings")

    def classification_floor(self) -> Classification:
        return _level(self.signpost)

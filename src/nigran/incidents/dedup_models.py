"""Analysts' de-duplication decisions: merges (reversible) and pairs kept apart (never proposed again).

The merge itself is ``Incident.duplicate_of_id`` (owned by the incident model, read by the analytics and the
cube); these rows are the record of who decided what, with the score and reasons shown at the time, so a
merge can be explained and undone. Both are classified at least as high as the more classified incident:
that two incidents are the same event says as much as either of them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nigran.access.classification import Classification
from nigran.access.guard import Classified
from nigran.incidents.models import Incident
from nigran.storage.base import Base, Timestamped


def _higher(*incidents: Incident | None) -> Classification:
    levels = [Classification.parse(i.classification) for i in incidents if i is not None]
    return max(levels, default=Classification.PUBLIC)


class IncidentMerge(Classified, Timestamped, Base):
    """``duplicate`` was merged into ``survivor``; ``unmerged_at`` is set when an analyst undid it."""

    __tablename__ = "incident_merge"

    id: Mapped[int] = mapped_column(primary_key=True)
    survivor_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), index=True)
    duplicate_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), index=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    merged_by: Mapped[str] = mapped_column(String(120))
    unmerged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    unmerged_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    #: The survivor's own figures before the merge (migration 0007): what an unmerge gives back exactly.
    survivor_figures: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    #: The analyst's choices: figure → the incident id or ``dataset:source_id`` it was taken from.
    taken: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    survivor: Mapped[Incident] = relationship(foreign_keys=[survivor_id])
    duplicate: Mapped[Incident] = relationship(foreign_keys=[duplicate_id])

    def classification_floor(self) -> Classification:
        return _higher(self.survivor, self.duplicate)


class IncidentKeepApart(Classified, Timestamped, Base):
    """Two incidents an analyst judged distinct; the pair is stored with ``first_id < second_id``."""

    __tablename__ = "incident_keep_apart"
    __table_args__ = (UniqueConstraint("first_id", "second_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    first_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), index=True)
    second_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), index=True)
    decided_by: Mapped[str] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)

    first: Mapped[Incident] = relationship(foreign_keys=[first_id])
    second: Mapped[Incident] = relationship(foreign_keys=[second_id])

    def classification_floor(self) -> Classification:
        return _higher(self.first, self.second)

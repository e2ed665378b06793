"""Candidates: incidents the extractor found in an article, waiting for an analyst.

Only an accepted candidate becomes an incident (or another source of an existing one); rejected candidates
are kept, with the reviewer and the reason, for evaluation. ``fields`` is the extractor's output for the
incident exactly as ``nigran extract run`` writes it (values, evidence spans, confidences); ``edited`` holds
the values after the reviewer's corrections, so what the machine said and what the analyst decided both stay.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nigran.access.classification import Classification
from nigran.access.guard import Classified
from nigran.access.principal import Role
from nigran.news.models import Article
from nigran.storage.base import Base, Timestamped


class Candidate(Classified, Timestamped, Base):
    """One extracted incident of one article. ``status``: ``pending`` | ``accepted`` | ``rejected``."""

    __tablename__ = "extract_candidate"
    #: Who works the review queue: reviewers too (they may reject and edit; accepting also writes incidents,
    #: which the incident database's own write roles decide).
    __write_roles__ = frozenset({Role.ADMINISTRATOR, Role.ANALYST, Role.REVIEWER})
    __table_args__ = (UniqueConstraint("article_id", "ordinal"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("news_article.id", ondelete="CASCADE"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)  # position of the incident in the article's output
    extractor: Mapped[str] = mapped_column(String(40))  # name and version of the extractor that found it
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    edited: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    matched_incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"), nullable=True)
    match_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"), nullable=True, index=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    review_note: Mapped[str | None] = mapped_column(Text, nullable=True)

    article: Mapped[Article] = relationship()

    def classification_floor(self) -> Classification:
        art = self.article
        return Classification.parse(art.classification) if art is not None else Classification.PUBLIC

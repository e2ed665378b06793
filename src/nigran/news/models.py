"""Articles and the feeds they come from.

An article is stored once, keyed by the hash of its normalised text: the same report reached through a feed,
a saved page and a JSONL dump is one row. Articles are open-source material and public by default, but they
are :class:`Classified` like every record, so an analyst can hold a sensitive one back.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nigran.access.guard import Classified
from nigran.storage.base import Base, Timestamped


class Feed(Classified, Timestamped, Base):
    """A configured RSS/Atom feed (or page list) polled by the background job engine when online."""

    __tablename__ = "news_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    url: Mapped[str] = mapped_column(Text)
    outlet: Mapped[str | None] = mapped_column(String(200), nullable=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    interval_minutes: Mapped[int] = mapped_column(Integer, default=60)
    last_polled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_status: Mapped[str | None] = mapped_column(String(400), nullable=True)
    etag: Mapped[str | None] = mapped_column(String(400), nullable=True)
    modified: Mapped[str | None] = mapped_column(String(100), nullable=True)


class Article(Classified, Timestamped, Base):
    """One news report as text, with where it came from.

    ``status``: ``new`` (not yet extracted), ``extracted``, ``set_aside`` (a human must read it: e.g. an Urdu
    article, which the English extractor does not guess at; ``set_aside_reason`` says why) or ``failed``.
    """

    __tablename__ = "news_article"

    id: Mapped[int] = mapped_column(primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    outlet: Mapped[str | None] = mapped_column(String(200), nullable=True)
    title: Mapped[str | None] = mapped_column(Text, nullable=True)
    published: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    language: Mapped[str] = mapped_column(String(12), default="und")  # ISO 639-1, "und" when unknown
    text: Mapped[str] = mapped_column(Text)
    source_kind: Mapped[str] = mapped_column(String(12))  # text | html | feed | jsonl | url
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("news_feed.id"), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(12), default="new", index=True)
    set_aside_reason: Mapped[str | None] = mapped_column(String(400), nullable=True)
    ingested_by: Mapped[str | None] = mapped_column(String(120), nullable=True)

    feed: Mapped[Feed | None] = relationship()

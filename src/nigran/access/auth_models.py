"""The web platform's own bookkeeping: sign-in sessions, API tokens and sign-in attempts.

They live in the database (not in process memory) so that any number of app processes serve the same users
and agree on lock-outs. No secret is stored: a session cookie or an API token is stored only as its SHA-256
hash, so a copy of the database signs nobody in. These rows are written by the authentication layer
(``nigran.web.auth.store``) on plain connections, before any principal exists, and are never audited: a
page view must not write to the audit chain. The security events themselves (password and role changes)
are account changes, which are audited.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from nigran.storage.base import Base, utcnow


class WebSession(Base):
    """One signed-in browser. ``expires_at`` is the absolute end; idleness is judged from ``last_seen_at``."""

    __tablename__ = "web_session"
    __write_roles__ = frozenset()  # written only by the authentication layer, never through a user's session

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(64), default="")


class ApiToken(Base):
    """A token for scripts, acting as its user with the user's current role and clearance."""

    __tablename__ = "api_token"
    __write_roles__ = frozenset()

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # shown in lists so a person can tell tokens apart
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SignInAttempt(Base):
    """Every sign-in try, kept for the lock-out rule (failures per account and per address in a window)."""

    __tablename__ = "sign_in_attempt"
    __write_roles__ = frozenset()

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    address: Mapped[str] = mapped_column(String(64), default="", index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    success: Mapped[bool] = mapped_column(Boolean, default=False)

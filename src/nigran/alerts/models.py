"""Tables of alerts: rules, the alerts they raise, users' subscriptions and each delivery made.

An alert is keyed by (rule, unit, month, classification): evaluating again updates it instead of adding a
second one, and each classification level holds the alert as computed from the data a reader cleared to
that level may see (see ``docs/alerts.md``). Deliveries carry their alert's level, so the guard hides them
with it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nigran.access.classification import Classification
from nigran.access.guard import Classified
from nigran.access.principal import Role
from nigran.storage.base import Base, Timestamped, utcnow

#: Who may acknowledge and close alerts (and so change their rows).
ALERT_ROLES = frozenset({Role.ADMINISTRATOR, Role.ANALYST, Role.REVIEWER})


def _level(obj: Any) -> Classification:
    return Classification.parse(obj.classification) if obj is not None else Classification.PUBLIC


class AlertRule(Classified, Timestamped, Base):
    """A rule: ``kind`` escalation | forecast | indicator, with its parameters (see ``alerts/rules.py``)."""

    __tablename__ = "alert_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    severity: Mapped[str] = mapped_column(String(10), default="medium")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class Alert(Classified, Timestamped, Base):
    """One alert: a rule fired for a unit (district, province or indicator) and a month, with its evidence."""

    __tablename__ = "alert"
    __table_args__ = (UniqueConstraint("rule_id", "unit_code", "month", "classification"),)
    __write_roles__ = ALERT_ROLES

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rule.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    unit_kind: Mapped[str] = mapped_column(String(20))  # district | province | indicator
    unit_code: Mapped[str] = mapped_column(String(80), index=True)
    unit_name: Mapped[str | None] = mapped_column(String(300), nullable=True)
    province_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    month: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-MM
    severity: Mapped[str] = mapped_column(String(10))  # low | medium | high
    band: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(400))
    measure: Mapped[str | None] = mapped_column(String(40), nullable=True)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    baseline: Mapped[float | None] = mapped_column(Float, nullable=True)
    change_pct: Mapped[float | None] = mapped_column(Float, nullable=True)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    acknowledged_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    ack_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    rule: Mapped[AlertRule] = relationship()

    def classification_floor(self) -> Classification:
        return _level(self.rule)


class Subscription(Timestamped, Base):
    """A user's wish to receive new alerts by email or webhook, with filters. Not classified: it holds no
    finding; what it delivers is checked against the user's clearance at every send."""

    __tablename__ = "alert_subscription"
    __write_roles__ = frozenset(Role)  # the service lets users change only their own

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(10))  # email | webhook
    address: Mapped[str] = mapped_column(Text)
    secret: Mapped[str | None] = mapped_column(String(200), nullable=True)  # HMAC key of a webhook
    provinces: Mapped[list[str]] = mapped_column(JSON, default=list)
    rule_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    min_severity: Mapped[str] = mapped_column(String(10), default="low")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Delivery(Classified, Timestamped, Base):
    """One alert to one subscription: sent once, retried while it fails, never repeated once sent."""

    __tablename__ = "alert_delivery"
    __table_args__ = (UniqueConstraint("alert_id", "subscription_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"), index=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("alert_subscription.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(10))
    #: pending | retrying | sent | failed | withheld
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    alert: Mapped[Alert] = relationship()
    subscription: Mapped[Subscription] = relationship()

    def classification_floor(self) -> Classification:
        return _level(self.alert)

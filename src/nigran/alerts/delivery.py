"""Delivery of new alerts to subscribers by email (SMTP) and webhook (JSON POST), each recorded.

``send_pending(db)`` works in three steps, each its own transaction, so that no network wait holds the
database: (1) plan — for every active subscription of an active user, a :class:`Delivery` row for each open
alert raised since the subscription was made that matches its filters and that the user's clearance covers
(of the levels of one alert, the highest the user may see); (2) send every delivery that is due — pending,
or failed fewer than ``MAX_ATTEMPTS`` times — checking the user's clearance again at that moment (a user
whose clearance was lowered, or who was deactivated, gets nothing: the delivery is ``withheld``); (3)
record each outcome (``sent`` with the time, or the error and the attempt count). A delivery marked
``sent`` is never sent again.

Settings (environment): ``NIGRAN_SMTP_HOST`` (no host: email deliveries wait), ``NIGRAN_SMTP_PORT`` (25),
``NIGRAN_SMTP_FROM``, ``NIGRAN_SMTP_STARTTLS`` (1/0), ``NIGRAN_SMTP_USER``, ``NIGRAN_SMTP_PASSWORD``,
``NIGRAN_WEBHOOK_TIMEOUT`` (seconds, 10). Webhooks with a secret carry
``X-Nigran-Signature: sha256=<hex HMAC-SHA256 of the body>``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.access.principal import Principal
from nigran.alerts.models import Alert, Delivery, Subscription
from nigran.alerts.rules import severity_rank
from nigran.core.jsonout import dumps
from nigran.storage.base import utcnow

if TYPE_CHECKING:
    from nigran.storage.db import Database

MAX_ATTEMPTS = 5
SIGNATURE_HEADER = "X-Nigran-Signature"


@dataclass(frozen=True)
class SmtpSettings:
    host: str | None
    port: int = 25
    sender: str = "nigran@localhost"
    starttls: bool = False
    user: str | None = None
    password: str | None = None
    timeout: float = 10.0

    @classmethod
    def from_env(cls) -> SmtpSettings:
        env = os.environ
        try:
            port = int(env.get("NIGRAN_SMTP_PORT", "25"))
        except ValueError:
            port = 25
        return cls(
            host=env.get("NIGRAN_SMTP_HOST") or None,
            port=port,
            sender=env.get("NIGRAN_SMTP_FROM") or "nigran@localhost",
            starttls=env.get("NIGRAN_SMTP_STARTTLS", "") in ("1", "true", "yes"),
            user=env.get("NIGRAN_SMTP_USER") or None,
            password=env.get("NIGRAN_SMTP_PASSWORD") or None,
        )


def webhook_timeout() -> float:
    try:
        return max(0.5, float(os.environ.get("NIGRAN_WEBHOOK_TIMEOUT", "10")))
    except ValueError:
        return 10.0


@dataclass
class SendReport:
    planned: int = 0
    sent: int = 0
    failed: int = 0
    withheld: int = 0
    waiting: int = 0
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"{self.planned} new deliveries planned; {self.sent} sent, {self.failed} failed, "
            f"{self.withheld} withheld, {self.waiting} waiting"
        )


def _matches(sub: Subscription, alert: Alert) -> bool:
    if sub.provinces and alert.province_code not in sub.provinces:
        return False
    if sub.rule_kinds and alert.kind not in sub.rule_kinds:
        return False
    return severity_rank(alert.severity) >= severity_rank(sub.min_severity)


def plan(system: Session) -> int:
    """Add the deliveries due to every active subscription (see the module's docstring); returns how many."""
    from nigran.access.models import User

    users = {u.id: u for u in system.scalars(select(User).where(User.active.is_(True)))}
    subs = [
        s
        for s in system.scalars(select(Subscription).where(Subscription.active.is_(True)))
        if s.user_id in users
    ]
    if not subs:
        return 0
    alerts = list(system.scalars(select(Alert).where(Alert.status == "open").order_by(Alert.id)))
    have = {(d.alert_id, d.subscription_id) for d in system.scalars(select(Delivery))}
    added = 0
    for sub in subs:
        clearance = Classification.parse(users[sub.user_id].clearance)
        best: dict[tuple[int, str, str], Alert] = {}
        for a in alerts:
            level = Classification.parse(a.classification)
            if level > clearance or a.raised_at is None or _aware(a.raised_at) < _aware(sub.created_at):
                continue
            key = (a.rule_id, a.unit_code, a.month)
            if key not in best or level > Classification.parse(best[key].classification):
                best[key] = a
        for a in best.values():
            if (a.id, sub.id) in have or not _matches(sub, a):
                continue
            system.add(
                Delivery(
                    alert_id=a.id,
                    subscription_id=sub.id,
                    channel=sub.channel,
                    classification=a.classification,
                    status="pending",
                    attempts=0,
                )
            )
            added += 1
    system.flush()
    return added


def _aware(value: Any) -> Any:
    from datetime import UTC

    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def payload(alert: Alert) -> dict[str, Any]:
    from nigran.alerts.service import alert_dict

    return {"alert": alert_dict(alert), "source": "nigran"}


def email_message(alert: Alert, sender: str, to: str) -> EmailMessage:
    level = Classification.parse(alert.classification).name
    msg = EmailMessage()
    msg["Subject"] = (
        f"[{level}] Nigran alert {alert.id}: {alert.severity} — {alert.band}, "
        f"{alert.unit_name or alert.unit_code}"
    )
    msg["From"], msg["To"] = sender, to
    lines = [
        f"Classification: {level}",
        "",
        alert.title,
        "",
        f"Unit: {alert.unit_name or '—'} ({alert.unit_code})",
        f"Month: {alert.month}",
        f"Severity: {alert.severity}",
        f"Value: {'—' if alert.value is None else f'{alert.value:g}'}",
        f"Baseline: {'—' if alert.baseline is None else f'{alert.baseline:.2f}'}",
        f"Change: {'—' if alert.change_pct is None else f'{alert.change_pct:+.1f}%'}",
        f"Rule: {alert.rule.code if alert.rule else '—'}",
        "",
        f"Evidence: {dumps(alert.evidence, indent=None)}",
        "",
        f"Classification: {level}",
    ]
    msg.set_content("\n".join(lines))
    return msg


def send_email(settings: SmtpSettings, alert: Alert, to: str) -> None:
    if not settings.host:
        raise RuntimeError("no SMTP host configured (NIGRAN_SMTP_HOST)")
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
        if settings.starttls:
            smtp.starttls()
        if settings.user:
            smtp.login(settings.user, settings.password or "")
        smtp.send_message(email_message(alert, settings.sender, to))


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send_webhook(url: str, secret: str | None, alert: Alert, timeout: float) -> None:
    import httpx

    body = dumps(payload(alert), indent=None).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "nigran-alerts"}
    if secret:
        headers[SIGNATURE_HEADER] = signature(secret, body)
    response = httpx.post(url, content=body, headers=headers, timeout=timeout, follow_redirects=False)
    if response.status_code >= 300:
        raise RuntimeError(f"HTTP {response.status_code} from the webhook")


Sender = Callable[[Delivery, Alert, Subscription], None]


def _default_sender(smtp: SmtpSettings) -> Sender:
    timeout = webhook_timeout()

    def send(delivery: Delivery, alert: Alert, sub: Subscription) -> None:
        if sub.channel == "email":
            send_email(smtp, alert, sub.address)
        else:
            send_webhook(sub.address, sub.secret, alert, timeout)

    return send


def send_pending(
    db: Database, *, smtp: SmtpSettings | None = None, progress: Callable[[int, int], None] | None = None
) -> SendReport:
    """Plan, send and record (see the module's docstring); safe to run again at any time."""
    from nigran.access.models import User

    smtp = smtp or SmtpSettings.from_env()
    report = SendReport()
    system = Principal.system()
    with db.session(system) as session:
        report.planned = plan(session)
        waiting = select(Delivery.id).where(Delivery.status.in_(("pending", "retrying")))
        due = list(session.scalars(waiting.order_by(Delivery.id)))
    sender = _default_sender(smtp)
    for n, delivery_id in enumerate(due, 1):
        if progress is not None:
            progress(n, len(due))
        with db.session(system) as session:
            d = session.get(Delivery, delivery_id)
            if d is None or d.status not in ("pending", "retrying"):
                continue
            sub, alert = d.subscription, d.alert
            user = session.get(User, sub.user_id)
            level = Classification.parse(alert.classification)
            if (
                user is None
                or not user.active
                or level > Classification.parse(user.clearance)
                or not sub.active
            ):
                d.status, d.last_error = (
                    "withheld",
                    "the recipient's clearance no longer covers this alert, "
                    "or the account or the subscription is inactive",
                )
                report.withheld += 1
                continue
            if sub.channel == "email" and not smtp.host:
                report.waiting += 1  # no SMTP server configured: the delivery waits, no attempt is counted
                continue
            d.attempts += 1
            d.last_attempt_at = utcnow()
            try:
                sender(d, alert, sub)
            except Exception as exc:  # any failure of the far side is recorded, and retried later
                d.last_error = f"{type(exc).__name__}: {exc}"[:1000]
                d.status = "failed" if d.attempts >= MAX_ATTEMPTS else "retrying"
                report.failed += 1
                report.errors.append(f"delivery {d.id}: {d.last_error}")
            else:
                d.status, d.sent_at, d.last_error = "sent", utcnow(), None
                report.sent += 1
    return report

"""The alerts inbox: listing, one alert, acknowledging with a note, closing; users' subscriptions.

Every read goes through the caller's guarded session, so an alert above the caller's clearance is neither
listed, counted nor found (``NotFound``, exactly like one that does not exist). Where several levels of the
same alert (rule, unit, month) are visible, the inbox shows the highest: it summarises the most.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.access.guard import principal_of
from nigran.access.principal import Principal, Role
from nigran.alerts.models import ALERT_ROLES, Alert, AlertRule, Delivery, Subscription
from nigran.alerts.rules import KINDS, SEVERITIES, severity_rank
from nigran.core.errors import AccessDenied, IllegalTransition, NotFound
from nigran.core.problems import InvalidInput, Problem
from nigran.storage.base import utcnow

STATUSES = ("open", "acknowledged", "closed", "withdrawn")
CHANNELS = ("email", "webhook")
MAX_NOTE = 2000
_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$|^[^@\s<>\"',;]+@localhost$")


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput([Problem(0, message, field)])


@dataclass(frozen=True)
class AlertQuery:
    status: str | None = None
    unit: str | None = None
    month: str | None = None
    kind: str | None = None
    province: str | None = None
    min_severity: str | None = None


def check_query(q: AlertQuery) -> AlertQuery:
    if q.status and q.status not in STATUSES:
        raise _invalid("status", f"{q.status!r} is not one of {', '.join(STATUSES)}")
    if q.kind and q.kind not in KINDS:
        raise _invalid("kind", f"{q.kind!r} is not one of {', '.join(KINDS)}")
    if q.min_severity and q.min_severity not in SEVERITIES:
        raise _invalid("severity", f"{q.min_severity!r} is not one of {', '.join(SEVERITIES)}")
    if q.month:
        from nigran.alerts.evaluate import parse_month

        try:
            parse_month(q.month)
        except InvalidInput:
            raise _invalid("month", f"{q.month!r} is not a month: write YYYY-MM") from None
    return q


def best_of(alerts: list[Alert]) -> list[Alert]:
    """Of the levels of one alert (rule, unit, month), the highest; order kept."""
    best: dict[tuple[int, str, str], Alert] = {}
    for a in alerts:
        key = (a.rule_id, a.unit_code, a.month)
        if key not in best or Classification.parse(a.classification) > Classification.parse(
            best[key].classification
        ):
            best[key] = a
    keep = {id(a) for a in best.values()}
    return [a for a in alerts if id(a) in keep]


def list_alerts(session: Session, q: AlertQuery = AlertQuery(), *, limit: int | None = None) -> list[Alert]:
    """The alerts the reader may see, newest month first, one per (rule, unit, month)."""
    q = check_query(q)
    stmt = select(Alert)
    if q.status:
        stmt = stmt.where(Alert.status == q.status)
    if q.unit:
        unit = q.unit.strip()
        stmt = stmt.where(
            (Alert.unit_code == unit) | (Alert.unit_name == unit) | (Alert.unit_code == unit.upper())
        )
    if q.month:
        stmt = stmt.where(Alert.month == q.month)
    if q.kind:
        stmt = stmt.where(Alert.kind == q.kind)
    if q.province:
        stmt = stmt.where(Alert.province_code == q.province)
    found = best_of(list(session.scalars(stmt.order_by(Alert.month.desc(), Alert.id.desc()))))
    if q.min_severity:
        found = [a for a in found if severity_rank(a.severity) >= severity_rank(q.min_severity)]
    return found[:limit] if limit else found


def get_alert(session: Session, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id) if 0 < alert_id < 2**63 else None
    if alert is None:
        raise NotFound(f"no alert {alert_id}")
    return alert


def other_levels(session: Session, alert: Alert) -> list[Alert]:
    """The other levels of the same alert the reader may see (lower ones, for a reader cleared higher)."""
    stmt = select(Alert).where(
        Alert.rule_id == alert.rule_id,
        Alert.unit_code == alert.unit_code,
        Alert.month == alert.month,
        Alert.id != alert.id,
    )
    return list(session.scalars(stmt.order_by(Alert.classification)))


def _require_handler(who: Principal, doing: str) -> None:
    if not who.is_system and who.role not in ALERT_ROLES:
        raise AccessDenied(f"{who.username} ({who.role}) may not {doing} alerts")


def acknowledge(session: Session, alert_id: int, note: str) -> Alert:
    """Acknowledge an open alert with a note (who and when are recorded)."""
    who = principal_of(session)
    alert = get_alert(session, alert_id)
    _require_handler(who, "acknowledge")
    text = (note or "").strip()
    if not text:
        raise _invalid("note", "say what is being done about the alert")
    if len(text) > MAX_NOTE:
        raise _invalid("note", f"longer than {MAX_NOTE} characters")
    if alert.status not in ("open", "acknowledged"):
        raise IllegalTransition(f"alert {alert_id} is {alert.status}; only an open alert can be acknowledged")
    alert.status = "acknowledged"
    alert.acknowledged_by, alert.acknowledged_at, alert.ack_note = who.username, utcnow(), text
    session.flush()
    return alert


def close(session: Session, alert_id: int, note: str | None = None) -> Alert:
    who = principal_of(session)
    alert = get_alert(session, alert_id)
    _require_handler(who, "close")
    if alert.status == "closed":
        raise IllegalTransition(f"alert {alert_id} is already closed")
    if note and len(note) > MAX_NOTE:
        raise _invalid("note", f"longer than {MAX_NOTE} characters")
    alert.status, alert.closed_by, alert.closed_at = "closed", who.username, utcnow()
    if note and note.strip():
        alert.ack_note = ((alert.ack_note + "\n") if alert.ack_note else "") + note.strip()
    session.flush()
    return alert


def alerts_for_unit(session: Session, unit_code: str, *, limit: int = 20) -> list[Alert]:
    """The alerts of a district or province (by code) the reader may see, newest first: for the district
    page of the risk pages."""
    return list_alerts(session, AlertQuery(unit=unit_code), limit=limit)


def alert_dict(alert: Alert, *, full: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": alert.id,
        "rule": alert.rule.code if alert.rule is not None else None,
        "kind": alert.kind,
        "unit_kind": alert.unit_kind,
        "unit_code": alert.unit_code,
        "unit_name": alert.unit_name,
        "province_code": alert.province_code,
        "month": alert.month,
        "severity": alert.severity,
        "band": alert.band,
        "title": alert.title,
        "measure": alert.measure,
        "value": alert.value,
        "baseline": alert.baseline,
        "change_pct": alert.change_pct,
        "status": alert.status,
        "classification": Classification.parse(alert.classification).name,
        "raised_at": alert.raised_at,
        "updated_at": alert.updated_at,
    }
    if full:
        out.update(
            evidence=alert.evidence,
            acknowledged_by=alert.acknowledged_by,
            acknowledged_at=alert.acknowledged_at,
            ack_note=alert.ack_note,
            closed_by=alert.closed_by,
            closed_at=alert.closed_at,
        )
    return out


def rule_of(session: Session, rule_id: int) -> AlertRule:
    rule = session.get(AlertRule, rule_id)
    if rule is None:
        raise NotFound(f"no rule {rule_id}")
    return rule


# ---- subscriptions ----------------------------------------------------------------------------------------


def _signed_in(who: Principal) -> int:
    if who.user_id is None:
        raise AccessDenied("subscriptions belong to a user: act as a user (--as, or sign in)")
    return who.user_id


def _provinces(values: list[str]) -> list[str]:
    if not values:
        return []
    from nigran.geo.gazetteer import Gazetteer
    from nigran.incidents.filters import _Problems, resolve_province

    gz = Gazetteer.bundled()
    problems = _Problems({"province": "--province"}, "")
    codes = [resolve_province(gz, v, problems) for v in values]
    if problems.found:
        raise InvalidInput(problems.found)
    return sorted({c for c in codes if c})


def subscribe(
    session: Session,
    channel: str,
    address: str,
    *,
    provinces: list[str] | None = None,
    rule_kinds: list[str] | None = None,
    min_severity: str = "low",
    secret: str | None = None,
) -> Subscription:
    """A subscription of the acting user: email to an address, or a JSON POST to a webhook URL (signed with
    HMAC-SHA256 when ``secret`` is given)."""
    who = principal_of(session)
    user_id = _signed_in(who)
    problems = []
    channel = (channel or "").strip().lower()
    address = (address or "").strip()
    if channel not in CHANNELS:
        problems.append(Problem(0, f"{channel!r} is not one of {', '.join(CHANNELS)}", "--channel"))
    elif channel == "email" and not _EMAIL.match(address):
        problems.append(Problem(0, f"{address!r} is not an email address", "--address"))
    elif channel == "webhook" and not re.match(r"^https?://[^\s/]+(/\S*)?$", address):
        problems.append(Problem(0, f"{address!r} is not an http(s) URL", "--address"))
    if len(address) > 500:
        problems.append(Problem(0, "longer than 500 characters", "--address"))
    kinds = sorted(set(rule_kinds or []))
    for k in kinds:
        if k not in KINDS:
            problems.append(Problem(0, f"{k!r} is not one of {', '.join(KINDS)}", "--kind"))
    if min_severity not in SEVERITIES:
        problems.append(
            Problem(0, f"{min_severity!r} is not one of {', '.join(SEVERITIES)}", "--min-severity")
        )
    if secret is not None and not 8 <= len(secret) <= 200:
        problems.append(Problem(0, "a webhook secret has 8 to 200 characters", "--secret"))
    if secret is not None and channel == "email":
        problems.append(Problem(0, "a secret signs webhooks only", "--secret"))
    try:
        codes = _provinces(provinces or [])
    except InvalidInput as exc:
        problems += exc.problems
        codes = []
    if problems:
        raise InvalidInput(problems)
    sub = Subscription(
        user_id=user_id,
        channel=channel,
        address=address,
        secret=secret,
        provinces=codes,
        rule_kinds=kinds,
        min_severity=min_severity,
        active=True,
    )
    session.add(sub)
    session.flush()
    return sub


def list_subscriptions(session: Session, *, everyone: bool = False) -> list[Subscription]:
    """The acting user's subscriptions; an administrator may ask for everyone's."""
    who = principal_of(session)
    stmt = select(Subscription).order_by(Subscription.id)
    if everyone and (who.is_system or who.role is Role.ADMINISTRATOR):
        return list(session.scalars(stmt))
    if who.user_id is None:
        return []
    return list(session.scalars(stmt.where(Subscription.user_id == who.user_id)))


def get_subscription(session: Session, subscription_id: int) -> Subscription:
    """One subscription of the acting user (any, for an administrator); another's is ``NotFound``."""
    who = principal_of(session)
    sub = session.get(Subscription, subscription_id) if 0 < subscription_id < 2**63 else None
    mine = sub is not None and (who.is_system or who.role is Role.ADMINISTRATOR or sub.user_id == who.user_id)
    if sub is None or not mine:
        raise NotFound(f"no subscription {subscription_id}")
    return sub


def unsubscribe(session: Session, subscription_id: int) -> None:
    sub = get_subscription(session, subscription_id)
    session.delete(sub)
    session.flush()


def subscription_dict(sub: Subscription, usernames: dict[int, str] | None = None) -> dict[str, Any]:
    return {
        "id": sub.id,
        "user": (usernames or {}).get(sub.user_id),
        "channel": sub.channel,
        "address": sub.address,
        "signed": sub.secret is not None,
        "provinces": sub.provinces,
        "rule_kinds": sub.rule_kinds,
        "min_severity": sub.min_severity,
        "active": sub.active,
        "created_at": sub.created_at,
    }


def usernames(session: Session) -> dict[int, str]:
    from nigran.access.models import User

    return {u.id: u.username for u in session.scalars(select(User))}


def deliveries_of(session: Session, alert_id: int) -> list[Delivery]:
    """The deliveries of an alert the reader may see (administrators: all; others: their own)."""
    who = principal_of(session)
    rows = list(session.scalars(select(Delivery).where(Delivery.alert_id == alert_id).order_by(Delivery.id)))
    if who.is_system or who.role is Role.ADMINISTRATOR:
        return rows
    return [d for d in rows if d.subscription is not None and d.subscription.user_id == who.user_id]

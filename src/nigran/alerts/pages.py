"""The alerts pages: the inbox with filters, one alert with its evidence and the acknowledgement form, and
the reader's subscriptions (administrators see everyone's). Each page marks the levels it shows."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from nigran.access.classification import Classification
from nigran.access.principal import Role
from nigran.alerts.models import ALERT_ROLES
from nigran.alerts.rules import KINDS, SEVERITIES
from nigran.alerts.service import (
    STATUSES,
    AlertQuery,
    acknowledge,
    close,
    deliveries_of,
    get_alert,
    list_alerts,
    list_subscriptions,
    other_levels,
    subscribe,
    unsubscribe,
    usernames,
)
from nigran.core.errors import InvalidInput
from nigran.incidents.browse import incidents_by_ids
from nigran.web import i18n
from nigran.web.deps import ReadSession, SignedIn, WriteSession
from nigran.web.templating import N_, mark, render

router = APIRouter(include_in_schema=False)

#: Values shown through a variable (``_(a.status)``): marked so that extraction sees them.
MARKED = (
    N_("open"), N_("acknowledged"), N_("closed"), N_("withdrawn"),
    N_("low"), N_("medium"), N_("high"),
    N_("escalation"), N_("forecast"), N_("indicator"),
    N_("email"), N_("webhook"),
    N_("pending"), N_("retrying"), N_("sent"), N_("failed"), N_("withheld"),
    N_("alerts.evaluate"),
)  # fmt: skip


@router.get("/alerts")
def inbox(
    request: Request,
    who: SignedIn,
    session: ReadSession,
    status: Annotated[str, Query(max_length=20)] = "",
    unit: Annotated[str, Query(max_length=100)] = "",
    month: Annotated[str, Query(max_length=7)] = "",
    kind: Annotated[str, Query(max_length=20)] = "",
    severity: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    form = {"status": status, "unit": unit, "month": month, "kind": kind, "severity": severity}
    ctx: dict[str, Any] = {
        "form": form,
        "statuses": STATUSES,
        "kinds": KINDS,
        "severities": SEVERITIES,
        "can_handle": who.role in ALERT_ROLES,
    }
    try:
        q = AlertQuery(
            status=status or None,
            unit=unit or None,
            month=month or None,
            kind=kind or None,
            min_severity=severity or None,
        )
        found = list_alerts(session, q, limit=500)
    except InvalidInput as exc:
        return render(request, "alerts/inbox.html", status_code=422, problems=exc.problems, alerts=[], **ctx)
    for a in found:
        mark(request, a.classification)
    return render(request, "alerts/inbox.html", problems=[], alerts=found, **ctx)


def _alert_page(
    request: Request,
    who: Any,
    session: Any,
    alert_id: int,
    status_code: int = 200,
    problems: list[Any] | None = None,
) -> Response:
    alert = get_alert(session, alert_id)
    mark(request, alert.classification)
    ids = list((alert.evidence or {}).get("incident_ids") or [])
    incidents = incidents_by_ids(session, ids, limit=50)
    for row in incidents:
        mark(request, row["classification"])
    return render(
        request,
        "alerts/alert.html",
        status_code=status_code,
        alert=alert,
        incidents=incidents,
        others=other_levels(session, alert),
        deliveries=deliveries_of(session, alert.id),
        can_handle=who.role in ALERT_ROLES,
        problems=problems or [],
        level=Classification.parse(alert.classification).name,
    )


@router.get("/alerts/subscriptions")
def subscriptions(request: Request, who: SignedIn, session: ReadSession) -> Response:
    return _subscriptions_page(request, who, session)


def _subscriptions_page(
    request: Request,
    who: Any,
    session: Any,
    status_code: int = 200,
    problems: list[Any] | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    admin = who.role is Role.ADMINISTRATOR
    return render(
        request,
        "alerts/subscriptions.html",
        status_code=status_code,
        subscriptions=list_subscriptions(session, everyone=admin),
        names=usernames(session) if admin else {},
        admin=admin,
        kinds=KINDS,
        severities=SEVERITIES,
        problems=problems or [],
        values=values or {},
    )


@router.post("/alerts/subscriptions")
def subscriptions_add(
    request: Request,
    who: SignedIn,
    session: WriteSession,
    channel: Annotated[str, Form(max_length=10)] = "",
    address: Annotated[str, Form(max_length=500)] = "",
    province: Annotated[str, Form(max_length=100)] = "",
    kind: Annotated[str, Form(max_length=20)] = "",
    min_severity: Annotated[str, Form(max_length=10)] = "low",
    secret: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    values = {
        "channel": channel,
        "address": address,
        "province": province,
        "kind": kind,
        "min_severity": min_severity,
    }
    try:
        subscribe(
            session,
            channel,
            address,
            provinces=[province] if province else [],
            rule_kinds=[kind] if kind else [],
            min_severity=min_severity or "low",
            secret=secret or None,
        )
    except InvalidInput as exc:
        session.rollback()
        return _subscriptions_page(request, who, session, 422, exc.problems, values)
    return RedirectResponse(i18n.localise("/alerts/subscriptions"), status_code=303)


@router.post("/alerts/subscriptions/{subscription_id}/delete")
def subscriptions_delete(subscription_id: int, who: SignedIn, session: WriteSession) -> Response:
    unsubscribe(session, subscription_id)
    return RedirectResponse(i18n.localise("/alerts/subscriptions"), status_code=303)


@router.get("/alerts/{alert_id}")
def alert_page(request: Request, alert_id: int, who: SignedIn, session: ReadSession) -> Response:
    return _alert_page(request, who, session, alert_id)


@router.post("/alerts/{alert_id}/ack")
def alert_ack(
    request: Request,
    alert_id: int,
    who: SignedIn,
    session: WriteSession,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        acknowledge(session, alert_id, note)
    except InvalidInput as exc:
        session.rollback()
        return _alert_page(request, who, session, alert_id, 422, exc.problems)
    return RedirectResponse(i18n.localise(f"/alerts/{alert_id}"), status_code=303)


@router.post("/alerts/{alert_id}/close")
def alert_close(
    alert_id: int,
    who: SignedIn,
    session: WriteSession,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    close(session, alert_id, note or None)
    return RedirectResponse(i18n.localise(f"/alerts/{alert_id}"), status_code=303)

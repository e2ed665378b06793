"""Alerts in the background: the ``alerts.evaluate`` job kind, the monthly and delivery schedules, and
``after_import(db)`` for the platform to call when an import has committed."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.access.principal import Principal
from nigran.jobs.schedules import Schedule, add
from nigran.jobs.tasks import TASKS, JobContext, Outcome, TaskSpec

if TYPE_CHECKING:
    from nigran.storage.db import Database


def _check(
    session: Session, params: dict[str, Any], principal: Principal
) -> tuple[dict[str, Any], Classification]:
    from nigran.alerts.evaluate import parse_month, require_evaluator

    require_evaluator(principal)
    month = params.get("month")
    clean = {"month": parse_month(str(month)) if month not in (None, "") else None}
    return clean, Classification.PUBLIC


def _run(ctx: JobContext, session: Session) -> Outcome:
    from nigran.alerts.evaluate import evaluate

    ctx.progress(5, "evaluating the alert rules")
    alerts = evaluate(session, ctx.params.get("month"))
    level = max((Classification.parse(a.classification) for a in alerts), default=Classification.PUBLIC)
    return Outcome(f"{len(alerts)} alerts raised or updated", {"alerts": [a.id for a in alerts]}, level=level)


TASKS["alerts.evaluate"] = TaskSpec(_check, _run, writes=True, title="Alert evaluation")


def previous_month(today: date | None = None) -> str:
    today = today or date.today()
    y, m = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{y:04d}-{m:02d}"


def monthly(db: Database) -> str:
    """The month just ended, evaluated on the 1st (as the system), then the new alerts delivered."""
    from nigran.alerts.evaluate import evaluate

    with db.session(Principal.system()) as session:
        n = len(evaluate(session, previous_month()))
    return f"{n} alerts raised or updated for {previous_month()}; " + deliver(db)


def deliver(db: Database) -> str:
    from nigran.alerts.delivery import send_pending

    return send_pending(db).line()


def after_import(db: Database) -> str:
    """Evaluate the latest month with incidents after an import has committed (the platform calls this)."""
    from nigran.alerts.evaluate import evaluate

    with db.session(Principal.system()) as session:
        n = len(evaluate(session, None))
    return f"{n} alerts raised or updated after the import"


add(
    Schedule(
        "alerts.monthly",
        monthly,
        minute="0",
        hour="3",
        day="1",
        description="evaluate the alert rules for the month just ended, then deliver",
    )
)
#: The incident data as last evaluated by this process (a cheap fingerprint); evaluation is idempotent, so a
#: second worker repeating it, or a restart evaluating once more, changes nothing.
_LAST_SEEN: dict[str, tuple[Any, ...]] = {}


def after_data_change(db: Database) -> str | None:
    """Evaluate the latest month when the incidents changed since the last tick: imports from the command
    line or the job engine raise their alerts within minutes, without either having to call this."""
    from sqlalchemy import func, select

    from nigran.incidents.models import Incident

    with db.session(Principal.system(), readonly=True) as session:
        seen = tuple(session.execute(
            select(func.count(Incident.id), func.max(Incident.id), func.max(Incident.updated_at))
        ).one())  # fmt: skip
    if _LAST_SEEN.get(db.url) == seen:
        return None
    _LAST_SEEN[db.url] = seen
    if not seen[0]:
        return None
    return after_import(db) + "; " + deliver(db)


add(Schedule("alerts.after_data_change", after_data_change, minute="*/10",
             description="evaluate the latest month when the incidents changed, then deliver"))  # fmt: skip
add(Schedule("alerts.deliver", deliver, minute="*/5", description="send pending alert deliveries"))

"""Background work for forecasts: the ``forecast.run`` job kind and the monthly schedule.

``forecast.run`` (writes) makes and stores a run as the submitting user, from what that user may see. The
schedule ``forecast.monthly`` runs daily at 03:17 UTC as the system and makes a run per classification level
only when the data changed since the last run (``data_key``): so once per month of new data, never twice for
the same data, safe to repeat. :func:`nigran.risk.forecast.after_import` does the same after an import.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.access.principal import Principal
from nigran.core.errors import AccessDenied
from nigran.core.problems import InvalidInput, Problem
from nigran.jobs.schedules import Schedule, add
from nigran.jobs.tasks import TASKS, JobContext, Outcome, TaskSpec


def _check(
    session: Session, params: dict[str, Any], principal: Principal
) -> tuple[dict[str, Any], Classification]:
    from nigran.risk.models import ForecastRun
    from nigran.risk.panel import month_label, parse_month

    if principal.role not in ForecastRun.__write_roles__:
        raise AccessDenied(f"{principal.username} ({principal.role}) may not make forecasts")
    month = params.get("month")
    clean: dict[str, Any] = {"month": month_label(parse_month(str(month), "month")) if month else None}
    try:
        years = int(params.get("backtest_years", 3))
    except (TypeError, ValueError):
        raise InvalidInput(
            [Problem(0, f"{params.get('backtest_years')!r} is not a number", "backtest_years")]
        ) from None
    if not 1 <= years <= 30:
        raise InvalidInput([Problem(0, "must be between 1 and 30", "backtest_years")])
    clean["backtest_years"] = years
    return clean, principal.clearance


def _run(ctx: JobContext, session: Session) -> Outcome:
    from nigran.risk.forecast import run_forecast

    def step(label: str, done: int, total: int) -> None:
        ctx.progress(min(95, done * 90 // max(total, 1)), label)

    outcome = run_forecast(
        session, month=ctx.params.get("month"), trigger="job",
        backtest_years=int(ctx.params.get("backtest_years", 3)), progress=step,
    )  # fmt: skip
    run = outcome.run
    level = Classification.parse(run.classification) if run is not None else Classification.PUBLIC
    summary = {"run": run.id if run else None, "data_through": run.data_through if run else None,
               "chosen_model": run.chosen_model if run else None}  # fmt: skip
    return Outcome(outcome.message, summary, level=level)


def _monthly(db: Any) -> str | None:
    from nigran.risk.forecast import refresh

    return refresh(db, trigger="schedule")


TASKS["forecast.run"] = TaskSpec(_check, _run, writes=True, title="Forecast run")
#: Every ten minutes: a run only when the data changed (an import, through the job engine or the command
#: line, or a new month), so forecasts follow each import within minutes and are otherwise left alone.
add(Schedule("forecast.refresh", _monthly, minute="*/10",
             description="forecasts for new data (after imports and each month; idempotent)"))  # fmt: skip

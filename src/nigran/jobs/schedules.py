"""Work the consumers do on a clock: polling configured feeds, the monthly forecast, evaluating alert rules.

A domain adds a :class:`Schedule` to :data:`SCHEDULES` when its ``tasks`` module is imported; every consumer
(the threads in ``nigran serve`` or any ``nigran worker``) installs them as Huey periodic tasks. With several
workers each would fire, so a run holds a lock in the queue's store (shared by every machine on Redis) and a
second worker finding it held skips that tick; a schedule's ``run`` must also be safe to repeat (it decides
itself what is due, e.g. a feed whose interval has passed, a month not yet forecast).

``run`` acts as the system (it is not any user's job) and returns a line for the log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from huey import crontab
from huey.exceptions import TaskLockedException

if TYPE_CHECKING:
    from nigran.jobs.queue import JobQueue
    from nigran.storage.db import Database

log = logging.getLogger("nigran.jobs.schedules")


@dataclass(frozen=True)
class Schedule:
    """``run(db)`` at the times a cron line names (``minute``, ``hour``, ``day`` of month; UTC)."""

    name: str
    run: Callable[[Database], str | None]
    minute: str = "*/5"
    hour: str = "*"
    day: str = "*"
    description: str = ""


#: Every schedule, by name; domains add theirs at import (see ``nigran.jobs.tasks.DOMAIN_TASKS``).
SCHEDULES: dict[str, Schedule] = {}


def add(schedule: Schedule) -> Schedule:
    SCHEDULES[schedule.name] = schedule
    return schedule


def run_once(queue: JobQueue, schedule: Schedule) -> str | None:
    """One tick of ``schedule`` under its lock; ``None`` when another worker holds it or it failed."""
    try:
        with queue.huey.lock_task(f"nigran.schedule.{schedule.name}"):
            return schedule.run(queue.db)
    except TaskLockedException:
        log.info("schedule %s: running on another worker; skipped", schedule.name)
    except Exception:
        log.exception("schedule %s failed", schedule.name)
    return None


def install(queue: JobQueue) -> None:
    """Register every schedule as a periodic task of ``queue``'s Huey (once per queue)."""
    from nigran.jobs import tasks  # noqa: F401  (imports the domains, which add their schedules)

    installed = getattr(queue, "_schedules", set())
    for schedule in SCHEDULES.values():
        name = f"nigran.schedule.{schedule.name}"
        if name in installed:
            continue
        installed.add(name)

        def tick(schedule: Schedule = schedule) -> None:
            message = run_once(queue, schedule)
            if message:
                log.info("schedule %s: %s", schedule.name, message)

        queue.huey.periodic_task(
            crontab(minute=schedule.minute, hour=schedule.hour, day=schedule.day), name=name
        )(tick)
    queue._schedules = installed  # type: ignore[attr-defined]

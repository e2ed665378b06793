"""Consumers: threads inside ``nigran serve`` (the default), or ``nigran worker`` processes on any machine;
and the recovery that makes jobs survive a restart.

Recovery (:func:`recover`, at every consumer's start and then every minute): a ``queued`` job whose
message is not in the queue (lost with a wiped queue, or never enqueued because the queue was down) is
enqueued again; a ``running`` job whose runner has been silent for :data:`queue.LEASE_S` (its process died)
goes back to the queue, or fails after :data:`runner.MAX_ATTEMPTS` runs. Duplicates this may create are
harmless: only one run can claim a queued job, and only the run holding the claim can complete it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import timedelta

from huey import crontab
from huey.consumer import Consumer
from sqlalchemy import select

from nigran.access.principal import Principal
from nigran.core.settings import Settings
from nigran.jobs import schedules
from nigran.jobs.models import Job, JobState
from nigran.jobs.queue import LEASE_S, JobQueue, attach
from nigran.jobs.runner import MAX_ATTEMPTS
from nigran.storage.base import utcnow
from nigran.storage.db import Database

log = logging.getLogger("nigran.jobs")
#: a queued job younger than this may be on its way into the queue (committed, not yet enqueued)
GRACE_S = 30.0


@dataclass
class Recovered:
    requeued: list[int]
    failed: list[int]


def recover(queue: JobQueue, *, now: float | None = None, grace_s: float = GRACE_S) -> Recovered:
    """Put lost jobs back in the queue, or fail those that have used up their attempts.

    Run by the program for every user's jobs, so it reads and writes as the system; it changes only the
    state of jobs, never runs their work.
    """
    now = time.time() if now is None else now
    out = Recovered([], [])
    pending = queue.pending_ids()
    stale: dict[int, str | None] = {}
    cutoff = utcnow() - timedelta(seconds=grace_s)
    with queue.db.session(Principal.system(), readonly=True) as session:  # no write lock unless needed
        rows = session.execute(
            select(Job.id, Job.state, Job.claim, Job.started_at, Job.updated_at)
            .where(Job.state.in_((JobState.QUEUED.value, JobState.RUNNING.value)))
            .order_by(Job.id)
        ).all()
    for job_id, state, claim, started_at, updated_at in rows:
        if state == JobState.QUEUED.value:
            if job_id not in pending and (updated_at is None or _aware(updated_at) <= cutoff):
                out.requeued.append(job_id)  # only its message was lost: the row needs no change
            continue
        beat = queue.last_beat(job_id)
        if beat is not None and now - beat < LEASE_S:
            continue  # its runner is alive
        started = _aware(started_at).timestamp() if started_at else 0.0
        if beat is None and now - started < LEASE_S:
            continue  # just claimed; its first heartbeat is on the way
        stale[job_id] = claim
    if stale:
        with queue.db.session(Principal.system()) as session:
            for job_id, claim in stale.items():
                job = session.get(Job, job_id, with_for_update=True, populate_existing=True)
                if job is None or job.state != JobState.RUNNING.value or job.claim != claim:
                    continue  # finished or re-claimed since the scan
                if job.attempts >= MAX_ATTEMPTS:
                    job.state, job.message, job.finished_at = JobState.FAILED.value, "failed", utcnow()
                    job.error = (
                        f"interrupted {job.attempts} times (the process running it stopped); not retried"
                    )
                    out.failed.append(job_id)
                else:
                    job.state, job.claim, job.message = JobState.QUEUED.value, None, "waiting to restart"
                    out.requeued.append(job_id)
    for job_id in out.requeued:
        queue.enqueue(job_id)
    for job_id in out.failed:
        queue.forget(job_id)
    if out.requeued or out.failed:
        log.info("jobs recovered: requeued %s, failed %s", out.requeued, out.failed)
    return out


def _aware(value):  # type: ignore[no-untyped-def]
    from datetime import UTC

    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _schedule_recovery(queue: JobQueue) -> None:
    @queue.huey.periodic_task(crontab(minute="*"), name="nigran.jobs.recover")
    def _sweep() -> None:
        try:
            recover(queue)
        except Exception:
            log.exception("job recovery failed")


class _EmbeddedConsumer(Consumer):
    """Huey's consumer without its signal handlers: the web server owns the process's signals."""

    def _set_signal_handlers(self) -> None:
        return None


@dataclass
class Running:
    """A started consumer; call it (or hand it to :func:`stop`) to stop it."""

    queue: JobQueue
    consumer: Consumer

    def __call__(self) -> None:
        stop(self)


def start_embedded_consumer(
    source: Settings | Database | None = None, *, workers: int = 2, settings: Settings | None = None
) -> Running | None:
    """Start consumer threads in this process (``nigran serve``) for the SQLite queue of the database
    ``source`` names (settings, or the open :class:`Database` of the web app).

    With a Redis queue (``NIGRAN_QUEUE_URL``) the work belongs to ``nigran worker`` processes and this
    returns ``None``.
    """
    db = source if isinstance(source, Database) else None
    if settings is None:
        settings = source if isinstance(source, Settings) else Settings.from_env()
        if db is not None:
            settings = replace(settings, database_url=db.url)
    if settings.queue_url:
        return None
    queue = attach(db or Database(settings.database_url), settings)
    return _start(queue, workers, embedded=True)


def _start(queue: JobQueue, workers: int, *, embedded: bool) -> Running:
    _schedule_recovery(queue)
    schedules.install(queue)
    try:
        recover(queue)
    except Exception:  # a database not yet migrated, or unreachable: the sweep tries again every minute
        log.exception("job recovery at start failed")
    cls = _EmbeddedConsumer if embedded else Consumer
    consumer = cls(queue.huey, workers=workers, worker_type="thread", periodic=True, initial_delay=0.05,
                   max_delay=1.0, check_worker_health=True)  # fmt: skip
    consumer.start()
    return Running(queue, consumer)


def stop(running: Running | None, *, graceful: bool = True, timeout_s: float = 30.0) -> None:
    """Stop the consumer threads, letting running jobs finish for up to ``timeout_s`` seconds (a job cut
    short is recovered at the next start)."""
    if running is None:
        return
    running.consumer.shutdown_timeout = timeout_s
    running.consumer.stop(graceful=graceful)


def run_worker(settings: Settings, db: Database, *, workers: int = 2) -> None:
    """``nigran worker``: consume the queue in this process until interrupted (SIGINT/SIGTERM)."""
    queue = attach(db, settings)
    _schedule_recovery(queue)
    schedules.install(queue)
    try:
        recover(queue)
    except Exception:
        log.exception("job recovery at start failed")
    consumer = Consumer(queue.huey, workers=workers, worker_type="thread", periodic=True, initial_delay=0.05,
                        max_delay=1.0, graceful_signal="TERM")  # fmt: skip
    consumer.run()

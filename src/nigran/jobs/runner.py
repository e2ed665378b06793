"""Running one job in a consumer: claim it, run its task as the submitter, record the outcome.

Exactly once in effect:

* **claim** — in one transaction, a ``queued`` job becomes ``running`` with a fresh claim token (the row is
  locked on PostgreSQL, the database on SQLite; the version column refuses a lost race). A second delivery
  of the same id, or a duplicate enqueued by recovery, finds it no longer queued and does nothing.
* **work and completion together** — a writing task runs inside the transaction that marks the job
  succeeded, after re-reading the job and checking the token is still ours; a job recovered from a stale
  runner therefore commits once, whichever runner gets there first, and the other rolls back.
* **failure** — any error rolls the work back; the job becomes ``failed`` with a message for the user (and
  every problem of bad input). Transient conditions (the database busy or unreachable) send it back to the
  queue, up to :data:`MAX_ATTEMPTS` runs.

Every task runs as the submitting user, whose account is looked up again by id (a disabled account's jobs
fail; a changed clearance applies): never as the system. Progress and a heartbeat go to the queue's
key-value store (:mod:`nigran.jobs.queue`); :mod:`nigran.jobs.runtime` uses the heartbeat to find jobs
whose runner died.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import time
import uuid
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigran.access.classification import Classification
from nigran.access.models import User
from nigran.access.principal import Principal
from nigran.core.errors import Busy, InvalidInput, NigranError, StorageUnavailable
from nigran.core.problems import Problem
from nigran.jobs.models import ArtifactRole, Job, JobArtifact, JobState
from nigran.jobs.tasks import TASKS, JobContext, Outcome
from nigran.storage.base import utcnow

if TYPE_CHECKING:
    from nigran.jobs.queue import JobQueue

log = logging.getLogger("nigran.jobs")
MAX_ATTEMPTS = 3
MAX_PROBLEMS = 1000
RETRY_DELAY_S = 5.0
RETRYABLE = (Busy, StorageUnavailable)


def runner_token() -> str:
    """A fresh claim, naming the machine and process that runs the job (for operators, and the tests)."""
    return f"{socket.gethostname()[:16]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


class _Lost(Exception):
    """The job is no longer ours (another runner holds it, or it finished): leave it alone."""


def run_job(queue: JobQueue, job_id: int) -> None:
    """Run job ``job_id`` if it is still waiting; never raises (the queue has nothing to retry)."""
    try:
        claimed = _claim(queue, job_id)
    except Busy:  # SQLite: another job (an import) holds the write lock; try again shortly
        log.info("job %s waits: the database is busy", job_id)
        queue.enqueue(job_id, delay=RETRY_DELAY_S)
        return
    except Exception:  # the database is unreachable: the job stays queued and recovery enqueues it again
        log.exception("could not claim job %s", job_id)
        return
    if claimed is None:
        return
    principal, token = claimed
    beat = _Heartbeat(queue, job_id)
    beat.start()
    try:
        _run(queue, job_id, principal, token)
    except Exception:  # recording the outcome failed: the job's heartbeat stops and recovery takes it
        log.exception("job %s: its outcome could not be recorded", job_id)
    finally:
        beat.stop()


def _claim(queue: JobQueue, job_id: int) -> tuple[Principal, str] | None:
    db = queue.db
    with db.session(Principal.system(), readonly=True) as lookup:  # who submitted it: bookkeeping only
        row = lookup.execute(select(Job.submitted_by_id, Job.state).where(Job.id == job_id)).first()
        if row is None or row.state != JobState.QUEUED.value:
            return None
        user = lookup.get(User, row.submitted_by_id)
        principal = user.principal() if user is not None and user.active else None
    if principal is None:
        _fail_as_system(queue, job_id, "the account that submitted this job is disabled")
        return None
    token = runner_token()
    with db.session(principal) as session:
        job = session.get(Job, job_id, with_for_update=True, populate_existing=True)
        if job is None:  # the submitter can no longer see it (clearance lowered)
            missing = True
        else:
            missing = False
            if job.state != JobState.QUEUED.value:
                return None
            job.state = JobState.RUNNING.value
            job.attempts += 1
            job.claim = token
            job.started_at = utcnow()
            job.progress, job.message = 0, "started"
    if missing:
        _fail_as_system(queue, job_id, "the submitter's clearance no longer covers this job")
        return None
    queue.set_progress(job_id, 0, "started")
    queue.beat(job_id)
    return principal, token


def _run(queue: JobQueue, job_id: int, principal: Principal, token: str) -> None:
    db = queue.db
    started, kind, result, summary = time.monotonic(), "unknown", "failed", None  # for _observe (metrics)
    try:
        with db.session(principal, readonly=True) as session:
            job = _hold(session, job_id, token, lock=False)
            kind, params = job.kind, dict(job.params or {})
        spec = TASKS.get(kind)
        if spec is None:
            raise InvalidInput([Problem(0, f"no task {kind!r} in this version of Nigran", "kind")])
        reporter = _Reporter(queue, job_id)
        ctx = JobContext(job_id, kind, params, principal, db, reporter)
        if spec.writes:
            with db.session(principal) as session:
                _hold(session, job_id, token)
                outcome = spec.run(ctx, session)
                _succeed(session, job_id, token, outcome)
        else:
            with db.session(principal, readonly=True) as session:
                outcome = spec.run(ctx, session)
            with db.session(principal) as session:
                _succeed(session, job_id, token, outcome)
        result, summary = "succeeded", outcome.summary
        queue.forget(job_id)
    except _Lost:
        result = "lost"
        log.info("job %s is held by another runner; this run stops", job_id)
    except RETRYABLE as exc:
        result = "retried"
        _retry_or_fail(queue, job_id, principal, token, exc)
    except NigranError as exc:
        _fail(queue, job_id, principal, token, exc.message, getattr(exc, "problems", []))
    except Exception as exc:
        reference = uuid.uuid4().hex[:8]
        log.exception("job %s failed (reference %s)", job_id, reference)
        _fail(
            queue,
            job_id,
            principal,
            token,
            f"internal error ({type(exc).__name__}, reference {reference})",
            [],
        )
    finally:
        _observe(kind, result, time.monotonic() - started, summary)


def _observe(kind: str, result: str, seconds: float, summary: dict | None) -> None:
    """Job metrics (nigran.ops.metrics), after the job's transaction ended; never fails the job."""
    try:
        from nigran.ops.metrics import observe_job

        observe_job(kind, result, seconds, summary)
    except Exception:
        log.debug("job metrics unavailable", exc_info=True)


def _hold(session: Session, job_id: int, token: str, *, lock: bool = True) -> Job:
    """The job (locked for this transaction on PostgreSQL) if this run still holds it; else :class:`_Lost`."""
    job = session.get(Job, job_id, with_for_update=lock, populate_existing=True)
    if job is None or job.claim != token or job.state != JobState.RUNNING.value:
        raise _Lost(job_id)
    return job


def _succeed(session: Session, job_id: int, token: str, outcome: Outcome) -> None:
    job = _hold(session, job_id, token)
    level = max(Classification.parse(job.classification), outcome.level)
    if level > Classification.parse(job.classification):
        job.classification = level
    for upload in outcome.outputs:
        job.artifacts.append(
            JobArtifact(
                role=ArtifactRole.OUTPUT.value,
                name=upload.safe_name,
                media_type=upload.media_type,
                size=len(upload.content),
                sha256=hashlib.sha256(upload.content).hexdigest(),
                content=upload.content,
                classification=level,
            )
        )
    for existing in job.artifacts:
        if Classification.parse(existing.classification) < level:
            existing.classification = level
    job.state = JobState.SUCCEEDED.value
    job.progress, job.message = 100, outcome.message[:400]
    job.result = outcome.summary
    job.finished_at = utcnow()
    job.error, job.problems = None, None
    session.flush()


def _problem_dicts(problems: list) -> list[dict[str, object]]:
    return [
        {
            "file": getattr(p, "file", ""),
            "line": getattr(p, "line", 0),
            "message": getattr(p, "message", str(p)),
        }
        for p in problems[:MAX_PROBLEMS]
    ]


def _fail(
    queue: JobQueue, job_id: int, principal: Principal, token: str, message: str, problems: list
) -> None:
    try:
        with queue.db.session(principal) as session:
            job = _hold(session, job_id, token)
            job.state = JobState.FAILED.value
            job.error = message[:4000] if len(problems) < 2 else f"{len(problems)} problems in the input"
            job.problems = _problem_dicts(problems) or None
            job.message = "failed"
            job.finished_at = utcnow()
    except _Lost:
        return
    except Exception:
        log.exception("could not record the failure of job %s", job_id)
        return
    queue.forget(job_id)


def _retry_or_fail(queue: JobQueue, job_id: int, principal: Principal, token: str, exc: NigranError) -> None:
    with queue.db.session(principal) as session:
        try:
            job = _hold(session, job_id, token)
        except _Lost:
            return
        if job.attempts >= MAX_ATTEMPTS:
            job.state, job.message, job.finished_at = JobState.FAILED.value, "failed", utcnow()
            job.error = f"{exc.message} (gave up after {job.attempts} attempts)"
            retry = False
        else:
            job.state, job.claim, job.message = (
                JobState.QUEUED.value,
                None,
                f"waiting to retry: {exc.message}",
            )
            retry = True
    if retry:
        queue.enqueue(job_id, delay=RETRY_DELAY_S * job.attempts)


def _fail_as_system(queue: JobQueue, job_id: int, message: str) -> None:
    """Fail a job no user can run any more. The program's own bookkeeping, not work for a user."""
    with queue.db.session(Principal.system()) as session:
        job = session.get(Job, job_id, with_for_update=True, populate_existing=True)
        if job is not None and job.state == JobState.QUEUED.value:
            job.state, job.error, job.message, job.finished_at = (
                JobState.FAILED.value,
                message,
                "failed",
                utcnow(),
            )


class _Reporter:
    """Progress to the queue's store: every change of percentage, other changes a few times a second."""

    def __init__(self, queue: JobQueue, job_id: int) -> None:
        self.queue, self.job_id = queue, job_id
        self.last: tuple[int, str] | None = None
        self.at = 0.0

    def __call__(self, percent: int, message: str) -> None:
        now = time.monotonic()
        if (percent, message) == self.last:
            return
        if self.last is not None and percent == self.last[0] and now - self.at < 0.25:
            return  # the same percentage with a newer count: a few times a second is enough
        self.last, self.at = (percent, message), now
        try:
            self.queue.set_progress(self.job_id, percent, message)
        except Exception:  # progress is a courtesy: a queue hiccup must not fail the work
            log.warning("could not report the progress of job %s", self.job_id, exc_info=True)


class _Heartbeat:
    """Tells the queue the job's runner is alive, so that recovery leaves it alone."""

    def __init__(self, queue: JobQueue, job_id: int) -> None:
        from nigran.jobs.queue import HEARTBEAT_S

        self.queue, self.job_id, self.every = queue, job_id, HEARTBEAT_S
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"job-{job_id}-heartbeat", daemon=True)

    def start(self) -> None:
        if not self.queue.huey.immediate:
            self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.queue.beat(self.job_id)
            except Exception:
                log.warning("heartbeat of job %s failed", self.job_id, exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)

"""Submitting jobs and reading them back: the rules every front end (web, CLI) shares.

A job is submitted inside the caller's transaction and enqueued only once that transaction has committed
(a consumer must find the row, and a rolled-back submission must never run). Who may see a job: its
submitter, and administrators; the access guard also hides jobs above the reader's clearance, as for every
record. Someone else's job is "not found", never "forbidden", so ids tell nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, undefer

from nigran.access.guard import GuardedSession, principal_of
from nigran.access.principal import Principal, Role
from nigran.core.errors import AccessDenied, NotFound
from nigran.core.problems import InvalidInput, Problem
from nigran.jobs.models import ArtifactRole, Job, JobArtifact, JobState
from nigran.jobs.tasks import TASKS, Upload

log = logging.getLogger("nigran.jobs")
PENDING_KEY = "nigran.jobs.enqueue"
#: the most input a job accepts (an incident export of all of Pakistan is far smaller)
MAX_UPLOAD_BYTES = 200 << 20


def submit(
    session: Session, kind: str, params: dict[str, Any] | None = None, *, files: Sequence[Upload] = ()
) -> Job:
    """Record a job for the session's user; it is enqueued when the caller's transaction commits.

    The task's parameters are checked now, with every problem listed (``InvalidInput``), and what the
    user may not do is refused now (``AccessDenied``), rather than minutes later in a failed job.
    """
    principal = principal_of(session)
    if principal.user_id is None:
        raise AccessDenied("background jobs run for a signed-in user; sign in first")
    spec = TASKS.get(kind)
    if spec is None:
        raise InvalidInput(
            [Problem(0, f"unknown kind of job {kind!r} (one of {', '.join(sorted(TASKS))})", "kind")]
        )
    if len(files) != spec.inputs:
        raise InvalidInput([Problem(0, f"{kind} takes {spec.inputs} file(s), {len(files)} given", "file")])
    for upload in files:
        if len(upload.content) > MAX_UPLOAD_BYTES:
            raise InvalidInput([Problem(0, f"larger than {MAX_UPLOAD_BYTES >> 20} MB", upload.name)])
    clean, level = spec.check(session, dict(params or {}), principal)
    job = Job(
        kind=kind,
        params=clean,
        state=JobState.QUEUED.value,
        progress=0,
        message="waiting to start",
        submitted_by_id=principal.user_id,
        submitted_by=principal.username,
        entity_id=principal.entity_id,
        attempts=0,
        classification=level,
    )
    session.add(job)
    for upload in files:
        job.artifacts.append(_artifact(ArtifactRole.INPUT, upload, job))
    session.flush()
    session.info.setdefault(PENDING_KEY, []).append(job.id)
    return job


def _artifact(role: ArtifactRole, upload: Upload, job: Job) -> JobArtifact:
    import hashlib

    return JobArtifact(
        role=role.value,
        name=upload.safe_name,
        media_type=upload.media_type,
        size=len(upload.content),
        sha256=hashlib.sha256(upload.content).hexdigest(),
        content=upload.content,
        classification=job.classification,
        job=job,
    )


def _visible(principal: Principal) -> Any:
    """Jobs the principal may see beyond the clearance filter: their own, or all for administrators."""
    if principal.is_system or principal.role is Role.ADMINISTRATOR:
        return None
    return Job.submitted_by_id == principal.user_id if principal.user_id is not None else Job.id.is_(None)


def get(session: Session, job_id: int) -> Job:
    """The job, if the session's reader may see it; else :class:`NotFound` (hidden and absent look alike)."""
    statement = select(Job).where(Job.id == job_id)
    rule = _visible(principal_of(session))
    if rule is not None:
        statement = statement.where(rule)
    job = session.scalar(statement)
    if job is None:
        raise NotFound(f"no job {job_id}")
    return job


@dataclass(frozen=True)
class JobPage:
    items: list[Job]
    total: int


STATES = tuple(s.value for s in JobState)


def list_jobs(
    session: Session, *, state: str | None = None, kind: str | None = None, page: int = 1, per_page: int = 50
) -> JobPage:
    """The reader's jobs (all of them for administrators), newest first."""
    problems = []
    if state is not None and state not in STATES:
        problems.append(Problem(0, f"unknown state {state!r} (one of {', '.join(STATES)})", "state"))
    if kind is not None and kind not in TASKS:
        problems.append(Problem(0, f"unknown kind {kind!r} (one of {', '.join(sorted(TASKS))})", "kind"))
    if page < 1:
        problems.append(Problem(0, "must be 1 or more", "page"))
    if not 1 <= per_page <= 500:
        problems.append(Problem(0, "must be between 1 and 500", "per_page"))
    if problems:
        raise InvalidInput(problems)
    statement = select(Job)
    rule = _visible(principal_of(session))
    if rule is not None:
        statement = statement.where(rule)
    if state is not None:
        statement = statement.where(Job.state == state)
    if kind is not None:
        statement = statement.where(Job.kind == kind)
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    items = session.scalars(
        statement.order_by(Job.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return JobPage(list(items), total)


def artifact(session: Session, job_id: int, artifact_id: int | None = None) -> JobArtifact:
    """A job's file with its bytes: the output by default; inputs go back only to whoever may see the job."""
    job = get(session, job_id)
    statement = select(JobArtifact).where(JobArtifact.job_id == job.id).options(undefer(JobArtifact.content))
    if artifact_id is None:
        statement = statement.where(JobArtifact.role == ArtifactRole.OUTPUT.value)
    else:
        statement = statement.where(JobArtifact.id == artifact_id)
    found = session.scalar(statement.order_by(JobArtifact.id).limit(1))
    if found is None:
        raise NotFound(
            f"job {job_id} has no such file" if artifact_id else f"job {job_id} has no result file"
        )
    return found


@dataclass(frozen=True)
class JobView:
    """A job as a front end shows it: the stored row with the live progress of a running job."""

    id: int
    kind: str
    state: str
    progress: int
    message: str
    submitted_by: str
    classification: str
    attempts: int
    created_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    problems: list[dict[str, Any]]
    result: dict[str, Any] | None
    params: dict[str, Any]
    output: dict[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def view(session: Session, job: Job) -> JobView:
    """``job`` with the progress a running consumer last reported (kept in the queue, not the database)."""
    progress, message = job.progress, job.message
    if job.state == JobState.RUNNING.value:
        from nigran.jobs.queue import for_url

        queue = for_url(session.get_bind().url)
        live = queue.progress(job.id) if queue is not None else None
        if live is not None:
            progress, message = live.percent, live.message
    out = job.output()
    return JobView(
        id=job.id,
        kind=job.kind,
        state=job.state,
        progress=progress,
        message=message,
        submitted_by=job.submitted_by,
        classification=_level_name(job.classification),
        attempts=job.attempts,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        error=job.error,
        problems=list(job.problems or []),
        result=job.result,
        params=dict(job.params or {}),
        output=None
        if out is None
        else {"id": out.id, "name": out.name, "media_type": out.media_type, "size": out.size},
    )


def _level_name(value: Any) -> str:
    from nigran.access.classification import Classification

    return Classification.parse(value).name


# ---- enqueue after commit -------------------------------------------------------------------------------


def _enqueue_committed(session: Session) -> None:
    ids = session.info.pop(PENDING_KEY, None)
    if not ids:
        return
    from nigran.jobs.queue import for_engine_url

    try:
        queue = for_engine_url(session.get_bind().url)
        for job_id in ids:
            queue.enqueue(job_id)
    except Exception:  # the job is saved; the consumers' recovery sweep enqueues it once the queue is back
        log.warning("jobs %s are saved but could not be enqueued now", ids, exc_info=True)


def _drop_pending(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)


event.listen(GuardedSession, "after_commit", _enqueue_committed)
event.listen(GuardedSession, "after_rollback", _drop_pending)

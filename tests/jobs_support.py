"""Helpers for the job tests: demo users' principals, an attached queue, submitting and reading back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from huey import Huey, MemoryHuey

from nigran.access.principal import Principal
from nigran.access.service import principal_for
from nigran.jobs import queue as job_queue
from nigran.jobs import service
from nigran.jobs.tasks import Upload
from nigran.storage.db import Database

INCIDENTS = Path(__file__).parent / "fixtures" / "incidents"


def user(db: Database, name: str) -> Principal:
    with db.session(Principal.system(), readonly=True) as s:
        return principal_for(s, name)


@contextmanager
def attached(db: Database, huey: Huey | None = None) -> Iterator[job_queue.JobQueue]:
    """``db``'s queue for the test: immediate (tasks run when the submission commits) unless given."""
    queue = job_queue.attach(db, huey=huey or MemoryHuey("nigran-test", immediate=True, results=False))
    try:
        yield queue
    finally:
        job_queue.detach(db)


def submit(db: Database, who: Principal, kind: str, params: dict[str, Any], *files: Path | Upload) -> int:
    uploads = [f if isinstance(f, Upload) else Upload(f.name, f.read_bytes(), "text/csv") for f in files]
    with db.session(who) as s:
        return service.submit(s, kind, params, files=uploads).id


def job(db: Database, job_id: int, who: Principal | None = None) -> service.JobView:
    with db.session(who or Principal.system(), readonly=True) as s:
        return service.view(s, service.get(s, job_id))


def result_bytes(db: Database, job_id: int, who: Principal) -> bytes:
    with db.session(who, readonly=True) as s:
        return service.artifact(s, job_id).content

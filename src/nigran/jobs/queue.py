"""Where jobs wait, and the live state of running ones: a Huey instance per database.

By default the queue is a SQLite file next to the database (``nigran.db`` → ``nigran-queue.db``; for a
PostgreSQL database without a queue URL, ``nigran-queue.db`` in ``NIGRAN_DATA_DIR`` or the current folder),
consumed by threads inside ``nigran serve``: nothing to install or run besides Nigran. With
``NIGRAN_QUEUE_URL=redis://…`` the queue is in Redis and ``nigran worker`` runs consumers on any machine.

The queue carries only job ids: what a job does, for whom, with which files, is in the database (so any
machine that reaches the database can run any job, and nothing is lost with the queue). The queue's
key-value store holds what changes too often to write to the database: progress and the heartbeat of a
running job. (On SQLite an import holds the database's single write lock for its whole run, so a progress
row could not be committed beside it.)

Messages are serialised with pickle, Huey's default: the queue must be private to Nigran's machines
(a Redis reachable only by them, with a password in the URL).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from huey import Huey, RedisHuey, SqliteHuey
from sqlalchemy.engine import URL, make_url

from nigran.core.errors import StorageUnavailable
from nigran.core.outputs import protect
from nigran.core.settings import Settings
from nigran.storage.db import Database

QUEUE_NAME = "nigran"
TASK_NAME = "nigran.jobs.run"
#: a running job refreshes its heartbeat this often; one silent for LEASE_S is taken for lost
HEARTBEAT_S = 10.0
LEASE_S = 90.0


def queue_file(settings: Settings) -> Path:
    """The SQLite queue file: beside a SQLite database, else in the data folder or the current one."""
    db_file = settings.sqlite_path
    if db_file is not None:
        return db_file.with_name(f"{db_file.stem}-queue.db")
    return (settings.data_dir or Path.cwd()) / "nigran-queue.db"


def make_huey(settings: Settings) -> Huey:
    """The Huey instance the settings describe (not yet holding Nigran's task)."""
    url = settings.queue_url
    if url:
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise StorageUnavailable(
                "the job queue URL must be redis://, rediss:// or unix:// (NIGRAN_QUEUE_URL)"
            )
        return RedisHuey(QUEUE_NAME, url=url, results=False)
    path = queue_file(settings)
    if not path.parent.is_dir():
        raise StorageUnavailable(f"no folder {path.parent} for the job queue")
    protect(path)  # no export may ever overwrite the queue
    return SqliteHuey(QUEUE_NAME, filename=str(path), results=False, timeout=30)


@dataclass(frozen=True)
class Progress:
    """What a running job last said: percent, a message, and when (seconds since the epoch)."""

    percent: int
    message: str
    at: float


class JobQueue:
    """One database's queue: enqueue job ids, and the live progress and heartbeat of running jobs."""

    def __init__(self, db: Database, huey: Huey) -> None:
        self.db = db
        self.huey = huey
        self._run = huey.task(name=TASK_NAME)(self._execute)

    def _execute(self, job_id: int) -> None:
        from nigran.jobs.runner import run_job

        run_job(self, job_id)

    def enqueue(self, job_id: int, *, delay: float | None = None) -> None:
        """Put ``job_id`` in the queue (after ``delay`` seconds: a retry); duplicates are harmless."""
        if delay and not self.huey.immediate:
            self._run.schedule(args=(job_id,), delay=delay)
        else:
            self._run(job_id)

    def pending_ids(self) -> set[int]:
        """Job ids waiting in the queue (not those a consumer has already taken)."""
        return {int(task.args[0]) for task in self.huey.pending() if task.name == TASK_NAME and task.args}

    def set_progress(self, job_id: int, percent: int, message: str) -> None:
        self.huey.put(f"progress:{job_id}", (max(0, min(100, int(percent))), message[:400], time.time()))

    def progress(self, job_id: int) -> Progress | None:
        value = self.huey.get(f"progress:{job_id}", peek=True)
        return Progress(*value) if value else None

    def beat(self, job_id: int) -> None:
        self.huey.put(f"heartbeat:{job_id}", time.time())

    def last_beat(self, job_id: int) -> float | None:
        value = self.huey.get(f"heartbeat:{job_id}", peek=True)
        return float(value) if value is not None else None

    def forget(self, job_id: int) -> None:
        """Drop the live state of a finished job (its final state is in the database)."""
        for key in (f"progress:{job_id}", f"heartbeat:{job_id}"):
            self.huey.delete(key)


_QUEUES: dict[str, JobQueue] = {}
_LOCK = threading.Lock()


def _key(url: str | URL) -> str:
    """One spelling per database (password included: two roles on one server are two keys)."""
    return (make_url(url) if isinstance(url, str) else url).render_as_string(hide_password=False)


def attach(db: Database, settings: Settings | None = None, *, huey: Huey | None = None) -> JobQueue:
    """The queue of ``db``, created from ``settings`` (or given, for tests) and remembered for the
    database's URL, so that a job submitted through any session of that database is enqueued there."""
    settings = settings or Settings.from_env(database_url=_key(db.engine.url))
    queue = JobQueue(db, huey or make_huey(settings))
    with _LOCK:
        _QUEUES[_key(db.engine.url)] = queue
    return queue


def detach(db: Database) -> None:
    with _LOCK:
        _QUEUES.pop(_key(db.engine.url), None)


def for_url(url: str | URL) -> JobQueue | None:
    """The attached queue of the database at ``url`` (a session's bind URL), if any."""
    with _LOCK:
        return _QUEUES.get(_key(url))


def for_engine_url(url: str | URL) -> JobQueue:
    """The queue of the database at ``url``, attached from the environment's settings on first use
    (the CLI, or a web process whose consumers run elsewhere)."""
    return for_url(url) or attach(Database(_key(url)))

"""Two ``nigran worker`` processes share a Redis queue: every job runs exactly once, and both do work.

Runs when ``NIGRAN_TEST_REDIS_URL`` names a Redis database the test may wipe (CI starts one); locally:
``redis-server --port 6379 --daemonize yes --save ''`` and ``NIGRAN_TEST_REDIS_URL=redis://127.0.0.1:6379/15``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.jobs_support import job, submit, user

from nigran.core.settings import Settings
from nigran.jobs import queue as job_queue
from nigran.jobs.models import JobState
from nigran.storage.db import Database

REDIS_URL = os.environ.get("NIGRAN_TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="NIGRAN_TEST_REDIS_URL is not set")
WORKER = [sys.executable, "-c", "from nigran.cli import main; main()"]


def _start_worker(db: Database, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "NIGRAN_QUEUE_URL": str(REDIS_URL), "NIGRAN_DATABASE_URL": db.url}
    with log.open("wb") as out:
        return subprocess.Popen([*WORKER, "worker", "--workers", "1"], env=env, stdout=out, stderr=out)


def _wait_for(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_two_workers_share_the_queue_and_run_each_job_once(demo_db: Database, tmp_path: Path) -> None:
    settings = Settings(database_url=demo_db.url, queue_url=REDIS_URL)
    queue = job_queue.attach(demo_db, settings)
    queue.huey.flush()  # a clean queue (the test's own Redis database)
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    workers = [_start_worker(demo_db, log) for log in logs]
    try:
        _wait_for(lambda: all(b"consumer started" in log.read_bytes() for log in logs), 60, "both workers")
        analyst = user(demo_db, "analyst")
        with demo_db.session(analyst, readonly=True) as s:
            from nigran.policy.service import list_frameworks

            code = list_frameworks(s)[0].code
        ids = [
            submit(demo_db, analyst, "framework.export", {"framework": code, "format": "yaml"})
            for _ in range(20)
        ]
        _wait_for(
            lambda: all(JobState(job(demo_db, i).state).finished for i in ids), 120, "20 jobs to finish"
        )
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        job_queue.detach(demo_db)
    views = [job(demo_db, i) for i in ids]
    problems = [(v.id, v.state, v.error) for v in views if v.state != "succeeded"]
    assert not problems, problems + [log.read_text()[-2000:] for log in logs]
    assert all(v.attempts == 1 for v in views)  # claimed once each: no job ran twice
    from nigran.access.principal import Principal
    from nigran.jobs.models import Job

    with demo_db.session(Principal.system(), readonly=True) as s:
        runners = {j.id: j.claim for j in s.query(Job).filter(Job.id.in_(ids))}
        outputs = {
            j.id: len([a for a in j.artifacts if a.role == "output"])
            for j in s.query(Job).filter(Job.id.in_(ids))
        }
    assert set(outputs.values()) == {1}
    pids = {claim.split(":")[1] for claim in runners.values() if claim}
    assert pids == {str(w.pid) for w in workers}, "both workers must have taken jobs"

"""A real consumer on the SQLite queue (threads, as inside ``nigran serve``), on SQLite and PostgreSQL:
jobs run, duplicates run once, and jobs lost with a crashed process or a wiped queue survive a restart."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from huey import MemoryHuey
from sqlalchemy import func, select
from tests.jobs_support import INCIDENTS, attached, job, submit, user

from nigran.access.models import User
from nigran.access.principal import Principal
from nigran.core.errors import Busy, StorageUnavailable
from nigran.core.settings import Settings
from nigran.incidents.models import ImportBatch
from nigran.jobs import queue as job_queue
from nigran.jobs import runner, runtime, service
from nigran.jobs.models import Job, JobState
from nigran.storage.db import Database


def _settings(db: Database, tmp_path: Path) -> Settings:
    return Settings(database_url=db.url, data_dir=tmp_path)


def _wait(db: Database, ids: list[int], timeout: float = 60.0) -> dict[int, service.JobView]:
    deadline = time.monotonic() + timeout
    while True:
        views = {i: job(db, i) for i in ids}
        if all(JobState(v.state).finished for v in views.values()):
            return views
        if time.monotonic() > deadline:
            pytest.fail(f"jobs not finished in {timeout}s: {[(v.id, v.state) for v in views.values()]}")
        time.sleep(0.1)


@pytest.fixture
def consumer(demo_db: Database, tmp_path: Path) -> Iterator[runtime.Running]:
    running = runtime.start_embedded_consumer(_settings(demo_db, tmp_path), workers=2)
    assert running is not None
    yield running
    running()
    job_queue.detach(demo_db)


def test_queue_file_lies_beside_the_sqlite_database_or_in_the_data_folder(tmp_path: Path) -> None:
    beside = Settings(database_url=f"sqlite:///{tmp_path / 'nigran.db'}")
    assert job_queue.queue_file(beside) == tmp_path / "nigran-queue.db"
    server = Settings(database_url="postgresql+psycopg://u@h/db", data_dir=tmp_path / "data")
    assert job_queue.queue_file(server) == tmp_path / "data" / "nigran-queue.db"
    assert runtime.start_embedded_consumer(Settings(queue_url="redis://127.0.0.1:1/0")) is None


def test_consumer_threads_run_submitted_jobs(demo_db: Database, consumer: runtime.Running) -> None:
    analyst = user(demo_db, "analyst")
    imported = submit(
        demo_db, analyst, "incidents.import", {"format": "acled"}, INCIDENTS / "acled_small.csv"
    )
    exports = [submit(demo_db, analyst, "incidents.export", {"format": "json"}) for _ in range(3)]
    views = _wait(demo_db, [imported, *exports])
    assert {v.state for v in views.values()} == {"succeeded"}, [v.error for v in views.values()]
    assert views[imported].result["inserted"] == 5
    assert all(views[i].output["media_type"] == "application/json" for i in exports)


def test_a_job_delivered_twice_runs_once(demo_db: Database, tmp_path: Path) -> None:
    analyst = user(demo_db, "analyst")
    huey = MemoryHuey("twice", results=False)  # not immediate: the test delivers by hand
    with attached(demo_db, huey) as queue:
        job_id = submit(
            demo_db, analyst, "incidents.import", {"format": "acled"}, INCIDENTS / "acled_small.csv"
        )
        queue.enqueue(job_id)  # a duplicate message, as recovery might send
        assert queue.pending_ids() == {job_id} and huey.pending_count() == 2
        while (task := huey.dequeue()) is not None:
            huey.execute(task)
    done = job(demo_db, job_id)
    assert (done.state, done.attempts) == ("succeeded", 1)
    with demo_db.session(Principal.system(), readonly=True) as s:
        assert s.scalar(select(func.count(ImportBatch.id)).where(ImportBatch.dataset == "acled")) == 1


def test_progress_is_reported_while_an_import_runs(demo_db: Database) -> None:
    analyst = user(demo_db, "analyst")
    seen: list[tuple[int, str]] = []
    with attached(demo_db, MemoryHuey("progress", results=False)) as queue:
        original = queue.set_progress
        queue.set_progress = lambda i, p, m: (seen.append((p, m)), original(i, p, m))  # type: ignore[method-assign]
        job_id = submit(
            demo_db, analyst, "incidents.import", {"format": "acled"}, INCIDENTS / "acled_small.csv"
        )
        runner.run_job(queue, job_id)
    assert (0, "started") in seen
    assert any("6 rows read" in message for _, message in seen), seen
    assert job(demo_db, job_id).progress == 100


def test_jobs_lost_in_a_crash_or_with_the_queue_survive_a_restart(demo_db: Database, tmp_path: Path) -> None:
    analyst = user(demo_db, "analyst")
    settings = _settings(demo_db, tmp_path)
    crashed = job_queue.attach(demo_db, settings)  # the "old server": claims a job, then dies
    acled = INCIDENTS / "acled_small.csv"
    running_id = submit(demo_db, analyst, "incidents.import", {"format": "acled"}, acled)
    lost_id = submit(demo_db, analyst, "incidents.export", {"format": "csv"})
    assert runner._claim(crashed, running_id) is not None  # running, never finished
    crashed.huey.flush()  # the queue is wiped: the export's message is gone
    with demo_db.session(Principal.system()) as s:  # the job row was saved well before the crash
        for j in s.scalars(select(Job)):
            j.message = j.message + " "  # bumps updated_at
    past = time.time() + job_queue.LEASE_S + runtime.GRACE_S + 1
    job_queue.detach(demo_db)

    restarted = job_queue.attach(demo_db, settings)
    assert runtime.recover(restarted, now=time.time(), grace_s=0).requeued == [lost_id]  # the runner may live
    found = runtime.recover(restarted, now=past, grace_s=0)
    assert sorted(found.requeued) == [running_id]
    job_queue.detach(demo_db)

    running = runtime.start_embedded_consumer(settings, workers=1)
    try:
        views = _wait(demo_db, [running_id, lost_id])
    finally:
        runtime.stop(running)
        job_queue.detach(demo_db)
    assert views[running_id].state == "succeeded" and views[running_id].attempts == 2
    assert views[lost_id].state == "succeeded" and views[lost_id].attempts == 1


def test_a_job_interrupted_too_often_fails_with_a_message(demo_db: Database, tmp_path: Path) -> None:
    analyst = user(demo_db, "analyst")
    queue = job_queue.attach(demo_db, _settings(demo_db, tmp_path))
    try:
        job_id = submit(demo_db, analyst, "incidents.export", {"format": "csv"})
        queue.huey.flush()
        for _ in range(runner.MAX_ATTEMPTS):
            assert runner._claim(queue, job_id) is not None
            runtime.recover(queue, now=time.time() + job_queue.LEASE_S + 1, grace_s=0)
            queue.huey.flush()
    finally:
        job_queue.detach(demo_db)
    failed = job(demo_db, job_id)
    assert failed.state == "failed" and failed.attempts == runner.MAX_ATTEMPTS
    assert "interrupted" in (failed.error or "")


def test_a_busy_database_delays_the_job_instead_of_losing_it(
    demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    analyst = user(demo_db, "analyst")
    huey = MemoryHuey("busy", results=False)
    with attached(demo_db, huey) as queue:
        job_id = submit(demo_db, analyst, "incidents.export", {"format": "csv"})
        assert huey.dequeue() is not None  # a consumer took the message...

        def locked(q: job_queue.JobQueue, i: int) -> None:
            raise Busy("the database is locked by another writer")

        monkeypatch.setattr(runner, "_claim", locked)
        runner.run_job(queue, job_id)  # ...and found the database busy
        (again,) = huey.pending()
        assert again.args == (job_id,) and again.eta is not None  # the job comes back in a few seconds
    assert job(demo_db, job_id).state == "queued"


def test_a_disabled_accounts_job_fails_instead_of_running_as_anyone_else(demo_db: Database) -> None:
    analyst = user(demo_db, "analyst")
    huey = MemoryHuey("disabled", results=False)
    with attached(demo_db, huey) as queue:
        job_id = submit(demo_db, analyst, "incidents.export", {"format": "csv"})
        with demo_db.session(Principal.system()) as s:
            s.scalar(select(User).where(User.username == "analyst")).active = False
        runner.run_job(queue, job_id)
    failed = job(demo_db, job_id)
    assert failed.state == "failed" and "disabled" in (failed.error or "") and failed.output is None


def test_queue_settings_come_from_the_environment_and_hide_the_password(tmp_path: Path) -> None:
    env = {"NIGRAN_QUEUE_URL": "redis://:s3cret@queue:6379/0", "NIGRAN_DATA_DIR": str(tmp_path)}
    settings = Settings.from_env(env)
    assert settings.queue_url == env["NIGRAN_QUEUE_URL"] and settings.data_dir == tmp_path
    assert "s3cret" not in repr(settings)
    with pytest.raises(StorageUnavailable):
        job_queue.make_huey(Settings(queue_url="amqp://broker/"))
    with pytest.raises(StorageUnavailable):  # the queue file's folder must exist
        job_queue.make_huey(Settings(database_url="postgresql+psycopg://h/db", data_dir=tmp_path / "none"))

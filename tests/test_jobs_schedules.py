"""Schedules: installed once per queue, run under a lock so two workers never run the same tick at once."""

from __future__ import annotations

from pathlib import Path

from huey import SqliteHuey

from nigran.jobs import schedules
from nigran.jobs.queue import JobQueue
from nigran.jobs.schedules import Schedule


def _queue(tmp_path: Path) -> JobQueue:
    class _Db:
        url = "sqlite:///unused"

    return JobQueue(_Db(), SqliteHuey(filename=str(tmp_path / "q.db")))  # type: ignore[arg-type]


def test_a_tick_runs_and_a_held_lock_skips_it(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    queue = _queue(tmp_path)
    calls: list[object] = []
    schedule = Schedule("test.tick", lambda db: calls.append(db) or "done")
    assert schedules.run_once(queue, schedule) == "done"
    assert calls == [queue.db]
    with queue.huey.lock_task("nigran.schedule.test.tick"):  # another worker holds it
        assert schedules.run_once(queue, schedule) is None
    assert len(calls) == 1


def test_a_failing_schedule_is_logged_not_raised(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    queue = _queue(tmp_path)

    def boom(db: object) -> str:
        raise RuntimeError("feed unreachable")

    assert schedules.run_once(queue, Schedule("test.boom", boom)) is None
    assert "test.boom failed" in caplog.text


def test_install_registers_each_schedule_once(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    queue = _queue(tmp_path)
    monkeypatch.setitem(schedules.SCHEDULES, "test.once", Schedule("test.once", lambda db: None, minute="0"))
    schedules.install(queue)
    schedules.install(queue)
    names = [n for n in queue.huey._registry._registry if n.endswith("nigran.schedule.test.once")]
    assert len(names) == 1

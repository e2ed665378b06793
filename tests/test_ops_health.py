"""``/healthz`` and ``/readyz``: anonymous, cheap, 503 naming the failed check, never a secret."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import event, text

from nigran.core.settings import Settings
from nigran.ops import health
from nigran.storage.db import Database
from nigran.storage.migrate import heads
from nigran.web.app import create_app
from nigran.web.config import WebSettings

SECRET = "s3cret-Pa55word"


def _client(db: Database, tmp_path: Path, **settings: object) -> TestClient:
    health._CACHE.clear()
    app = create_app(
        Settings(database_url=db.url, data_dir=tmp_path, **settings), db=db, web_settings=WebSettings()
    )
    return TestClient(app, raise_server_exceptions=False)


def test_healthz_answers_without_touching_the_database(db: Database, tmp_path: Path) -> None:
    client = _client(db, tmp_path)
    statements: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok" and answer.json()["version"]
    assert statements == []
    assert answer.headers["x-request-id"]


def test_readyz_ok_on_a_migrated_database(db: Database, tmp_path: Path) -> None:
    answer = _client(db, tmp_path).get("/readyz")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok", "queue": "ok"}}


def test_readyz_names_migrations_behind(db: Database, tmp_path: Path) -> None:
    one = sorted(heads(db))[0]
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM alembic_version WHERE version_num = :v"), {"v": one})
    answer = _client(db, tmp_path).get("/readyz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok" and body["checks"]["queue"] == "ok"
    assert body["checks"]["migrations"].startswith("behind: 1 migration branch")


def test_readyz_unreachable_database_and_queue_leak_no_secret(db: Database, tmp_path: Path) -> None:
    app = create_app(
        Settings(database_url=db.url, data_dir=tmp_path, queue_url=f"redis://:{SECRET}@127.0.0.1:1/0"),
        db=db,
        web_settings=WebSettings(),
    )
    gone = Database(f"postgresql+psycopg://nigran:{SECRET}@127.0.0.1:1/nowhere")
    app.state.db = gone  # the database server went away
    health._CACHE.clear()
    answer = TestClient(app, raise_server_exceptions=False).get("/readyz")
    assert answer.status_code == 503
    checks = answer.json()["checks"]
    assert checks["database"].startswith("unreachable (")
    assert checks["migrations"] == "not checked"
    assert checks["queue"].startswith("unreachable (")
    assert SECRET not in answer.text and "127.0.0.1" not in answer.text and "nowhere" not in answer.text
    gone.dispose()


def test_readiness_is_cached_briefly(db: Database, tmp_path: Path) -> None:
    settings = Settings(database_url=db.url, data_dir=tmp_path)
    health._CACHE.clear()
    first = health.readiness(db, settings)
    statements: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    assert health.readiness(db, settings) is first  # within CACHE_S: no query
    assert statements == []
    assert health.readiness(db, settings, fresh=True).ok
    assert statements  # a fresh check queries


def test_readyz_pings_a_redis_queue(db: Database, tmp_path: Path) -> None:
    import os

    import pytest

    url = os.environ.get("NIGRAN_TEST_REDIS_URL")
    if not url:
        pytest.skip("NIGRAN_TEST_REDIS_URL is not set")
    assert health.check_queue(Settings(database_url=db.url, queue_url=url)) == "ok"
    wrong = Settings(database_url=db.url, queue_url=f"redis://:{SECRET}@127.0.0.1:1/0")
    assert health.check_queue(wrong) == "unreachable (ConnectionError)"


def test_a_probe_never_creates_the_sqlite_queue_file(tmp_path: Path) -> None:
    from nigran.jobs.queue import queue_file

    settings = Settings(database_url="postgresql://x@127.0.0.1:1/none", data_dir=tmp_path / "data")
    assert health.check_queue(settings) == "no writable folder for the queue file"
    (tmp_path / "data").mkdir()
    assert health.check_queue(settings) == "ok"
    assert not queue_file(settings).exists()
    from nigran.jobs.queue import make_huey

    make_huey(settings).pending_count()  # a consumer made it: now the probe opens it
    assert queue_file(settings).exists() and health.check_queue(settings) == "ok"
    queue_file(settings).write_bytes(b"not a database at all" * 100)
    health._PROBES.clear()
    assert health.check_queue(settings).startswith("unreachable (")

"""Liveness and readiness, for the proxy, systemd and the monitoring (``/healthz``, ``/readyz``).

* **liveness** — the process answers; touches nothing (no database), so a slow database never gets a live
  process killed.
* **readiness** — this process can do its work: the database answers ``SELECT 1``, its schema is at the
  migrations' heads (``nigran db upgrade`` has run), and the job queue answers (Redis ``PING`` through the
  queue's own client, or the SQLite queue file opens). Each check says ``ok`` or what is wrong in words
  that hold no secret: the kind of error, never a URL, host or password. The answer is cached for
  :data:`CACHE_S` seconds, so a flood of probes costs one check a second.
"""

from __future__ import annotations

import functools
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nigran import __version__

if TYPE_CHECKING:
    from nigran.core.settings import Settings
    from nigran.storage.db import Database

CACHE_S = 1.0
#: seconds a Redis connection or command may take before the queue counts as unreachable
REDIS_TIMEOUT_S = 2.0


def liveness() -> dict[str, Any]:
    return {"status": "ok", "version": __version__}


@dataclass(frozen=True)
class Readiness:
    ok: bool
    checks: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        return {"status": "ok" if self.ok else "unavailable", "checks": self.checks}


def _why(exc: BaseException) -> str:
    """What went wrong, without the message (drivers put URLs, hosts and users in their messages)."""
    return f"unreachable ({type(exc).__name__})"


def check_database(db: Database) -> str:
    from sqlalchemy import text

    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        return _why(exc)
    return "ok"


@functools.lru_cache(maxsize=1)
def _script_heads() -> frozenset[str]:
    """The heads of the migrations shipped with this version (files of the package: read once)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from nigran.storage.migrate import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return frozenset(ScriptDirectory.from_config(cfg).get_heads())


def check_migrations(db: Database) -> str:
    from nigran.storage.migrate import current

    try:
        at = current(db)
    except Exception as exc:
        return _why(exc)
    missing = _script_heads() - at
    if not at:
        return "no schema (run nigran db upgrade)"
    if missing:
        return f"behind: {len(missing)} migration branch(es) not at head (run nigran db upgrade)"
    if at - _script_heads():
        return "ahead: the database has migrations this version does not know (an older program)"
    return "ok"


_PROBES: dict[str, Any] = {}
_PROBE_LOCK = threading.Lock()


def _probe(settings: Settings) -> Any:
    """A client for probing the queue only, one per queue, never the consumers': a Redis client with short
    timeouts, or the SQLite queue's Huey."""
    from nigran.jobs.queue import make_huey, queue_file

    url = settings.queue_url
    key = url or str(queue_file(settings))
    with _PROBE_LOCK:
        found = _PROBES.get(key)
        if found is None:
            if url and url.startswith(("redis://", "rediss://", "unix://")):
                import redis

                found = redis.Redis.from_url(
                    url, socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=REDIS_TIMEOUT_S
                )
            else:
                found = make_huey(settings)  # refuses a queue URL of another kind
            _PROBES[key] = found
        return found


def check_queue(settings: Settings) -> str:
    if not settings.queue_url:  # the SQLite queue file: a probe never creates it (the first consumer does)
        import os

        from nigran.jobs.queue import queue_file

        path = queue_file(settings)
        if not path.exists():
            writable = path.parent.is_dir() and os.access(path.parent, os.W_OK)
            return "ok" if writable else "no writable folder for the queue file"
    try:
        probe = _probe(settings)
        if hasattr(probe, "ping"):
            probe.ping()  # Redis
        else:
            probe.pending_count()  # the SQLite queue file opens and answers
    except Exception as exc:
        return _why(exc)
    return "ok"


_CACHE: dict[str, tuple[float, Readiness]] = {}
_CACHE_LOCK = threading.Lock()


def readiness(db: Database, settings: Settings, *, fresh: bool = False) -> Readiness:
    key = f"{db.engine.url}|{settings.queue_url}"
    now = time.monotonic()
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
    if hit is not None and not fresh and now - hit[0] < CACHE_S:
        return hit[1]
    checks = {"database": check_database(db)}
    checks["migrations"] = check_migrations(db) if checks["database"] == "ok" else "not checked"
    checks["queue"] = check_queue(settings)
    result = Readiness(all(v == "ok" for v in checks.values()), checks)
    with _CACHE_LOCK:
        _CACHE[key] = (now, result)
    return result

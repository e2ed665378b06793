"""Prometheus metrics (the standard ``prometheus_client``), served at ``/metrics`` by :mod:`nigran.ops.pages`.

What is measured:

* ``nigran_http_request_duration_seconds{route,method,status}`` — a histogram of request latency by the
  route's *template* (``/api/jobs/{job_id}``, never the raw path: bounded cardinality), method and status
  class (``2xx`` … ``5xx``); requests that match no route count as ``<unmatched>``.
* ``nigran_jobs_total{kind,outcome}`` and ``nigran_job_duration_seconds{kind,outcome}`` — background jobs
  run by this process's consumers (outcome: ``succeeded``, ``failed``, ``retried``, ``lost`` when another
  runner held the job).
* ``nigran_jobs_waiting{kind,state}`` — jobs ``queued`` or ``running`` in the database, by kind (read at
  most every :data:`DEPTH_CACHE_S` seconds per database, so scrapes cost nothing).
* ``nigran_incident_rows_imported_total``, ``nigran_articles_extracted_total``,
  ``nigran_extraction_candidates_total`` — counters any module may increment after its work commits
  (``IMPORTED_ROWS.inc(n)``); a job's are counted from its outcome once it committed.

Several processes: each ``nigran serve`` process keeps its own counters and is scraped on its own port. For
``nigran serve --workers N`` (several processes behind one port) set ``PROMETHEUS_MULTIPROC_DIR`` to an
empty folder before the processes start: ``prometheus_client`` then keeps values in files there and
:func:`render` merges them (see docs/deploy.md).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import threading
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from nigran.storage.db import Database

log = logging.getLogger("nigran.ops")

CONTENT_TYPE = CONTENT_TYPE_LATEST
DEPTH_CACHE_S = 5.0
TOKEN_ENV = "NIGRAN_METRICS_TOKEN"

REQUEST_LATENCY = Histogram(
    "nigran_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template, method and status class.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
JOBS = Counter(
    "nigran_jobs", "Background jobs run by this process, by kind and outcome.", ["kind", "outcome"]
)
JOB_DURATION = Histogram(
    "nigran_job_duration_seconds",
    "Run time of background jobs in this process, by kind and outcome.",
    ["kind", "outcome"],
    buckets=(0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0),
)
IMPORTED_ROWS = Counter("nigran_incident_rows_imported", "Incident rows inserted by imports (committed).")
ARTICLES_EXTRACTED = Counter(
    "nigran_articles_extracted", "News articles the extractor processed (committed)."
)
CANDIDATES = Counter(
    "nigran_extraction_candidates", "Incident candidates extracted from articles (committed)."
)

#: HTTP methods are a closed set; anything else is counted as "other" (bounded cardinality).
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    method = method if method in METHODS else "other"
    REQUEST_LATENCY.labels(route, method, f"{status // 100}xx").observe(seconds)


def observe_job(kind: str, outcome: str, seconds: float, summary: Mapping[str, Any] | None = None) -> None:
    """One finished run of a job (called by :mod:`nigran.jobs.runner` after its transaction ended); the
    import and extraction counters come from the summary of a committed job."""
    JOBS.labels(kind, outcome).inc()
    JOB_DURATION.labels(kind, outcome).observe(max(0.0, seconds))
    if outcome != "succeeded" or not summary:
        return
    if kind == "incidents.import" and isinstance(summary.get("inserted"), int):
        IMPORTED_ROWS.inc(summary["inserted"])
    elif kind == "extract.articles":
        if isinstance(summary.get("extracted"), list):
            ARTICLES_EXTRACTED.inc(len(summary["extracted"]))
        if isinstance(summary.get("candidates"), int):
            CANDIDATES.inc(summary["candidates"])


class QueueDepth(Collector):
    """``nigran_jobs_waiting``: queued and running jobs by kind, from the database (cached)."""

    _cache: ClassVar[dict[str, tuple[float, list[tuple[str, str, int]]]]] = {}
    _lock = threading.Lock()

    def __init__(self, db: Database) -> None:
        self.db = db

    def _rows(self) -> list[tuple[str, str, int]] | None:
        key = str(self.db.engine.url)
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and now - cached[0] < DEPTH_CACHE_S:
                return cached[1]
        from sqlalchemy import func, select

        from nigran.access.principal import Principal
        from nigran.jobs.models import Job, JobState

        try:
            # the program's bookkeeping (counts by kind, no content): read as the system
            with self.db.session(Principal.system(), readonly=True) as session:
                found = session.execute(
                    select(Job.kind, Job.state, func.count())
                    .where(Job.state.in_((JobState.QUEUED.value, JobState.RUNNING.value)))
                    .group_by(Job.kind, Job.state)
                ).all()
        except Exception as exc:  # the database is down: say nothing rather than a wrong 0
            log.warning("queue depth unavailable: %s", type(exc).__name__)
            return None
        rows = [(str(kind), str(state), int(n)) for kind, state, n in found]
        with self._lock:
            self._cache[key] = (now, rows)
        return rows

    def collect(self) -> Iterable[GaugeMetricFamily]:
        rows = self._rows()
        if rows is None:
            return []
        family = GaugeMetricFamily(
            "nigran_jobs_waiting",
            "Jobs queued or running in the database, by kind.",
            labels=["kind", "state"],
        )
        for kind, state, n in rows:
            family.add_metric([kind, state], n)
        return [family]

    @classmethod
    def clear_cache(cls) -> None:
        with cls._lock:
            cls._cache.clear()


def render(db: Database | None) -> bytes:
    """The exposition text: this process's metrics (or every process's, in multi-process mode) and the
    queue depth of ``db``."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    if db is not None:
        depth = CollectorRegistry()
        depth.register(QueueDepth(db))
        body += generate_latest(depth)
    return body


def _loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed(client_host: str | None, headers: Mapping[str, str], token: str | None = None) -> bool:
    """May this request read the metrics? With a bearer token equal to ``NIGRAN_METRICS_TOKEN``, from
    anywhere; without one, only a direct connection from loopback (a request relayed by a proxy, which
    carries ``X-Forwarded-For`` or ``X-Real-IP``, is not direct: the proxy itself is on loopback)."""
    token = os.environ.get(TOKEN_ENV) if token is None else token
    sent = headers.get("authorization", "")
    if (
        token
        and sent[:7].lower() == "bearer "
        and hmac.compare_digest(sent[7:].strip().encode(), token.encode())
    ):
        return True
    relayed = any(h in headers for h in ("x-forwarded-for", "x-real-ip", "forwarded"))
    return _loopback(client_host) and not relayed

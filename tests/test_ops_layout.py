"""The production layout on loopback, under load, with crashes: PostgreSQL, Redis, nginx in front of two
``nigran serve`` processes, two ``nigran worker`` processes.

A client loop sends requests through the proxy while background imports run; in the middle one app process
and one worker (the one running an import) are killed with SIGKILL. Then:

* every request got an answer: 2xx, or (only for a POST that was inside the killed process) a 502 whose
  retry succeeded — nginx passes idempotent requests to the other process itself (``proxy_next_upstream``);
* every job finished exactly once: all succeeded, the interrupted one on its second attempt, and each
  import's events are in the database once (no event twice, none missing);
* nothing was lost: every accepted submission is a job in the database, finished.

The interrupted job's lease (90 s, :data:`nigran.jobs.queue.LEASE_S`) is not waited out: recovery is asked
to look at the jobs from ``LEASE_S`` seconds later, once every other job has finished — what the surviving
worker's minute sweep does after the lease. Needs ``NIGRAN_TEST_POSTGRES_URL`` and a Redis the test may wipe
(``NIGRAN_TEST_REDIS_URL``, default ``redis://127.0.0.1:6379/15``); skipped with the reason otherwise.
The proxy is nginx when installed (Debian: ``apt-get install nginx-light``), else :class:`PyProxy`, a
small round-robin proxy following nginx's retry rules (the printed line says which ran).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import signal
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from tests.browser.server import _NIGRAN, free_port
from tests.conftest import PG_URL
from tests.jobs_support import INCIDENTS

from nigran.access.principal import Principal
from nigran.core.settings import Settings
from nigran.storage.db import Database

REDIS_URL = os.environ.get("NIGRAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
if os.environ.get("NIGRAN_TEST_PROXY") == "python":  # try the stand-in where nginx is installed
    NGINX = None
IMPORTS = 6
#: a small export (one month), so that the jobs the client loop submits drain quickly
EXPORT = '{"format": "csv", "filters": {"from": "2021-08", "to": "2021-08"}}'
ROWS = 300  # per import
BIG_ROWS = 5000  # the import running when its worker is killed (about 5 s here)


def _redis_or_skip() -> None:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1).ping()
    except Exception as exc:
        pytest.skip(f"no Redis at NIGRAN_TEST_REDIS_URL ({type(exc).__name__})")


def _acled(prefix: str, n: int) -> bytes:
    """``n`` ACLED rows, copies of the small fixture's with event ids ``{prefix}000001`` …"""
    rows = list(csv.reader(io.StringIO((INCIDENTS / "acled_small.csv").read_text())))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(rows[0])
    for i in range(n):
        row = list(rows[1 + i % (len(rows) - 1)])
        row[0] = f"{prefix}{i:06d}"
        writer.writerow(row)
    return out.getvalue().encode()


NGINX_CONF = """
{user}worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 512; }}
http {{
    log_format up '$status $request_method $uri $upstream_addr';
    access_log {tmp}/nginx-access.log up;
    client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy; fastcgi_temp_path {tmp}/fcgi;
    uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
    client_max_body_size 20m;
    upstream nigran {{
        server 127.0.0.1:{a} max_fails=1 fail_timeout=30s;
        server 127.0.0.1:{b} max_fails=1 fail_timeout=30s;
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://nigran;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Request-ID $request_id;
            proxy_next_upstream error timeout http_502 http_503;
            proxy_next_upstream_tries 2;
            proxy_connect_timeout 2s;
            proxy_read_timeout 60s;
        }}
    }}
}}
"""


@dataclass
class Layout:
    tmp: Path
    env: dict[str, str]
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            args, env=self.env, cwd=self.tmp, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.procs[name] = proc
        return proc

    def log(self, name: str) -> str:
        path = self.tmp / f"{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop_all(self) -> None:
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


def _wait_ready(url: str, layout: Layout, name: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if name in layout.procs and layout.procs[name].poll() is not None:
            pytest.fail(f"{name} exited {layout.procs[name].returncode}:\n{layout.log(name)}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/readyz", timeout=3).status_code == 200:
                return
        time.sleep(0.3)
    pytest.fail(f"{name} not ready within {timeout:.0f} s:\n{layout.log(name)}")


class PyProxy:
    """The stand-in for nginx where it is not installed: round robin over the app processes, a request
    whose connection was refused goes to the next one; an idempotent request whose process died while
    answering is repeated on the next one; a POST then gets a 502 (nginx's rules)."""

    HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "upgrade", "host", "accept-encoding"})
    IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

    def __init__(self, port: int, upstreams: list[int]) -> None:
        import itertools
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.upstreams, self.passed_on, self.served = upstreams, 0, Counter()
        turn, lock = itertools.cycle(range(len(upstreams))), threading.Lock()
        client = httpx.Client(timeout=60)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                return None

            def _relay(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in proxy.HOP}
                headers["X-Forwarded-For"] = self.client_address[0]
                with lock:
                    first = next(turn)
                answer = None
                for i in range(len(proxy.upstreams)):
                    port = proxy.upstreams[(first + i) % len(proxy.upstreams)]
                    try:
                        answer = client.request(
                            self.command, f"http://127.0.0.1:{port}{self.path}", headers=headers, content=body
                        )
                    except httpx.ConnectError:
                        proxy.passed_on += 1
                        continue
                    except httpx.TransportError:
                        if self.command in proxy.IDEMPOTENT:
                            proxy.passed_on += 1
                            continue
                        break
                    proxy.served[port] += 1
                    break
                if answer is None:
                    self.send_response(502)
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                self.send_response(answer.status_code)
                for key, value in answer.headers.multi_items():
                    if key.lower() not in proxy.HOP | {"content-length", "content-encoding"}:
                        self.send_header(key, value)
                self.send_header("content-length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _relay

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.client = client

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.client.close()


@dataclass
class Tally:
    answers: Counter[str] = field(default_factory=Counter)
    unanswered: list[str] = field(default_factory=list)
    retried: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _client_loop(base: str, token: str, stop: threading.Event, tally: Tally, submitted: list[int]) -> None:
    """GETs of pages, health and the job list, and job submissions, until ``stop``; a 502 to a POST is
    retried once (a clean retry); anything else not 2xx, or no answer at all, is recorded as lost."""
    auth = {"Authorization": f"Bearer {token}"}
    gets = ["/healthz", "/readyz", "/login", "/api/jobs?per_page=5", "/api/session"]
    with httpx.Client(base_url=base, timeout=30) as client:
        i = 0
        while not stop.is_set():
            i += 1
            if i % 20 == 0:
                method, path = "POST", "/api/jobs"
                kwargs = {"data": {"kind": "incidents.export", "params": EXPORT}}
            else:
                method, path, kwargs = "GET", gets[i % len(gets)], {}
            for attempt in (1, 2):
                try:
                    answer = client.request(method, path, headers=auth, **kwargs)
                except httpx.HTTPError as exc:
                    with tally.lock:
                        tally.unanswered.append(f"{method} {path}: {type(exc).__name__}")
                    break
                if answer.status_code == 502 and method == "POST" and attempt == 1:
                    with tally.lock:
                        tally.retried.append(path)
                    continue
                with tally.lock:
                    tally.answers[f"{method} {answer.status_code}"] += 1
                    if answer.status_code >= 300:
                        tally.unanswered.append(f"{method} {path}: {answer.status_code}")
                    elif method == "POST":
                        submitted.append(int(answer.json()["id"]))
                break
            time.sleep(0.02)


@pytest.mark.skipif(not PG_URL, reason="NIGRAN_TEST_POSTGRES_URL is not set")
def test_layout_survives_killed_app_and_worker(demo_db: Database, tmp_path: Path) -> None:
    if demo_db.url.startswith("sqlite"):
        pytest.skip("the production layout runs on PostgreSQL")
    _redis_or_skip()
    from huey import RedisHuey

    from nigran.incidents.models import IncidentSource
    from nigran.jobs.models import Job
    from nigran.jobs.queue import LEASE_S, QUEUE_NAME, JobQueue
    from nigran.jobs.runtime import recover
    from nigran.web.auth.store import AuthStore
    from nigran.web.config import WebSettings

    started = time.monotonic()
    RedisHuey(QUEUE_NAME, url=REDIS_URL, results=False).flush()  # the test's own Redis database
    with demo_db.session(Principal.system(), readonly=True) as s:
        from nigran.access.models import User

        analyst_id = s.scalar(select(User.id).where(User.username == "analyst"))
    store = AuthStore(demo_db, WebSettings())
    token = store.create_token(analyst_id, "layout test")
    store.dispose()

    env = {
        **os.environ,
        "NIGRAN_DATABASE_URL": demo_db.url,
        "NIGRAN_QUEUE_URL": REDIS_URL,
        "NIGRAN_DATA_DIR": str(tmp_path),
        "NIGRAN_LOG_FORMAT": "json",
        "NO_COLOR": "1",
    }
    env.pop("NIGRAN_USER", None)
    layout = Layout(tmp_path, env)
    ports = {"web-a": free_port(), "web-b": free_port()}
    proxy_port = free_port()
    (tmp_path / "nginx.conf").write_text(
        NGINX_CONF.format(
            user="user root;\n" if os.geteuid() == 0 else "",
            tmp=tmp_path,
            a=ports["web-a"],
            b=ports["web-b"],
            port=proxy_port,
        )
    )
    base = f"http://127.0.0.1:{proxy_port}"
    pyproxy: PyProxy | None = None
    try:
        for name, port in ports.items():
            layout.start(name, [*_NIGRAN, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-jobs"])
        for name in ("worker-a", "worker-b"):
            layout.start(name, [*_NIGRAN, "worker", "--workers", "2"])
        if NGINX is not None:
            layout.start("nginx", [str(NGINX), "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")])
        else:  # no nginx here: the Python stand-in, with nginx's retry rules
            pyproxy = PyProxy(proxy_port, list(ports.values()))
        for name, port in ports.items():
            _wait_ready(f"http://127.0.0.1:{port}", layout, name)
        _wait_ready(base, layout, "nginx")
        ready_s = time.monotonic() - started

        auth = {"Authorization": f"Bearer {token}"}
        accepted: list[int] = []
        prefixes: dict[int, str] = {}

        def submit_import(prefix: str, rows: int) -> int:
            made = httpx.post(
                f"{base}/api/jobs",
                headers=auth,
                data={"kind": "incidents.import", "params": '{"format": "acled"}'},
                files={"file": (f"{prefix}.csv", _acled(prefix, rows), "text/csv")},
                timeout=30,
            )
            assert made.status_code == 202, made.text
            job_id = int(made.json()["id"])
            accepted.append(job_id)
            prefixes[job_id] = prefix
            return job_id

        stop, tally, exported = threading.Event(), Tally(), []
        clients = [
            threading.Thread(target=_client_loop, args=(base, token, stop, tally, exported)) for _ in range(3)
        ]
        for thread in clients:
            thread.start()
        big = submit_import("PAKBIG", BIG_ROWS)
        # the worker that claimed the big import is the one to kill, while the import runs
        victim = None
        deadline = time.monotonic() + 60
        while victim is None and time.monotonic() < deadline:
            with demo_db.session(Principal.system(), readonly=True) as s:
                claim = s.scalar(select(Job.claim).where(Job.id == big, Job.state == "running"))
            if claim:
                pid = int(claim.split(":")[1])
                victim = next(n for n in ("worker-a", "worker-b") if layout.procs[n].pid == pid)
            else:
                time.sleep(0.05)
        assert victim is not None, "no worker claimed the import"
        time.sleep(0.5)
        os.killpg(layout.procs[victim].pid, signal.SIGKILL)  # mid-import
        os.killpg(layout.procs["web-a"].pid, signal.SIGKILL)  # mid-requests
        layout.procs[victim].wait(5)
        layout.procs["web-a"].wait(5)
        for n in range(IMPORTS):  # through the proxy, one app process down
            submit_import(f"PAKL{n}", ROWS)
        time.sleep(3.0)  # the load goes on with one app process and one worker
        stop.set()
        for thread in clients:
            thread.join(60)
        accepted += exported

        # every job but the interrupted one finishes; then recovery (as after the lease) re-runs that one
        def states() -> dict[int, tuple[str, int, str | None]]:
            with demo_db.session(Principal.system(), readonly=True) as s:
                rows = s.execute(select(Job.id, Job.state, Job.attempts, Job.claim)).all()
            return {r.id: (r.state, r.attempts, r.claim) for r in rows}

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            now = states()
            if all(st in ("succeeded", "failed") for j, (st, _, _) in now.items() if j != big):
                break
            time.sleep(0.5)
        assert now[big][0] == "running", f"the killed worker's job is {now[big]}"
        queue = JobQueue(demo_db, RedisHuey(QUEUE_NAME, url=REDIS_URL, results=False))
        assert big in recover(queue, now=time.time() + LEASE_S + 1).requeued
        while time.monotonic() < deadline and states()[big][0] not in ("succeeded", "failed"):
            time.sleep(0.5)
        final = states()
    finally:
        layout.stop_all()
        if pyproxy is not None:
            pyproxy.close()
    elapsed = time.monotonic() - started
    if pyproxy is None:
        proxied = (tmp_path / "nginx-access.log").read_text().splitlines()
        passed_on = sum(", " in line.split(" ", 3)[-1] for line in proxied)  # tried a second process
        served = {port: sum(f":{port}" in line for line in proxied) for port in ports.values()}
    else:
        passed_on, served = pyproxy.passed_on, {port: pyproxy.served[port] for port in ports.values()}
    assert all(served.values()), f"round robin: both processes answer requests {served}"

    # every request got an answer (or a clean retry of a POST the killed process held)
    assert not tally.unanswered, f"requests without an answer: {tally.unanswered[:10]}"
    assert sum(tally.answers.values()) > 20, tally.answers
    # nothing lost: every accepted submission is a job that finished, each exactly once
    assert set(accepted) <= set(final)
    assert {j: final[j] for j in accepted if final[j][0] != "succeeded"} == {}
    assert final[big][1] == 2, "the interrupted import ran again, once"
    with demo_db.session(Principal.system(), readonly=True) as s:
        results = {j: s.get(Job, j).result for j in prefixes}
        for job_id, prefix in prefixes.items():
            ids = s.scalars(
                select(IncidentSource.source_id).where(IncidentSource.source_id.like(f"{prefix}%"))
            ).all()
            assert len(ids) == len(set(ids)), f"job {job_id}: an event imported twice"
            assert len(ids) == results[job_id]["inserted"] > 0, (job_id, len(ids), results[job_id])
        assert s.scalar(select(func.count()).select_from(Job).where(Job.state == "running")) == 0
    print(
        f"\nlayout ready in {ready_s:.1f} s; whole test {elapsed:.1f} s; answers {dict(tally.answers)}; "
        f"POST retries {len(tally.retried)}; passed on by {'the Python proxy' if pyproxy else 'nginx'} "
        f"{passed_on}; jobs {len(accepted)}"
    )


DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


def _directives(unit: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


@pytest.mark.parametrize("name", ["nigran-web@.service", "nigran-worker@.service", "nigran-backup.service"])
def test_units_are_hardened_and_keep_secrets_in_the_environment_file(name: str) -> None:
    unit = _directives(DEPLOY / name)
    assert unit["EnvironmentFile"] == ["/etc/nigran/nigran.env"]
    assert unit["NoNewPrivileges"] == ["yes"] and unit["ProtectSystem"] == ["strict"]
    assert unit["ReadWritePaths"] and unit["User"] == ["nigran"]
    if name != "nigran-backup.service":
        assert unit["Restart"] == ["always"]
    assert unit["StandardError"] == ["journal"]
    for command in unit["ExecStart"]:
        assert "://" not in command and "password" not in command.lower() and "token" not in command.lower()
    assert not any(v for k, v in unit.items() if k == "Environment" and any("://" in x for x in v))


def test_environment_example_names_settings_nigran_reads() -> None:
    values = _directives(DEPLOY / "nigran.env.example")
    env = {k: v[0] for k, v in values.items()}
    assert {"NIGRAN_DATABASE_URL", "NIGRAN_QUEUE_URL", "NIGRAN_LOG_FORMAT", "NIGRAN_METRICS_TOKEN"} <= set(
        env
    )
    settings = Settings.from_env(env)
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert settings.queue_url is not None and settings.queue_url.startswith("redis://")
    assert "change-me-redis-password" not in repr(settings)  # the queue URL is masked


@pytest.mark.skipif(NGINX is None or shutil.which("openssl") is None, reason="nginx or openssl not installed")
def test_nginx_site_config_is_valid(tmp_path: Path) -> None:
    """``nginx -t`` on the shipped site, with a throw-away certificate and log paths in a temporary folder."""
    cert, key = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=nigran.test",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    site = (DEPLOY / "nginx-nigran.conf").read_text()
    site = site.replace("/etc/ssl/nigran/fullchain.pem", str(cert)).replace(
        "/etc/ssl/nigran/privkey.pem", str(key)
    )
    site = site.replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log {tmp_path}/access.log;\n  client_body_temp_path {tmp_path}/b;\n"
        f"  proxy_temp_path {tmp_path}/p;\n  include {tmp_path}/site.conf;\n}}\n"
    )
    done = subprocess.run(
        [str(NGINX), "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "proxy_next_upstream error timeout http_502 http_503;" in site
    assert "Strict-Transport-Security" in site and "location = /metrics { return 404; }" in site

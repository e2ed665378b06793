"""Load benchmark of the web application: simulated users against ``nigran serve`` on loopback.

Usage:
    python benchmarks/load.py --backend postgresql --workers 4 [--users 200] [--duration 60] [--runs 3]
    python benchmarks/load.py --backend sqlite --workers 1
    python benchmarks/load.py --url http://127.0.0.1:8000 ...     # a server already running the demo

Without ``--url`` the script prepares the demo database itself (``nigran demo --no-serve``: a temporary
SQLite file, or a fresh database ``nigran_load`` created in the PostgreSQL cluster of ``--postgres``), starts
``nigran serve --workers N`` on a free loopback port, runs, and stops it. Requests go to 127.0.0.1 only.

The users (asyncio tasks over one ``httpx.AsyncClient``) follow a realistic mix: citizens on the public
portal, analysts in the incident explorer with filters, readers of scorecards, focal persons submitting
values through the API, reviewers verifying them. Each user waits a random think time between requests.
A run is bounded by ``--duration`` seconds and ``--max-requests``. Reported per route group: requests,
throughput, p50/p95/p99 in milliseconds, errors (5xx, transport errors, timeouts, unexpected 4xx) and
conflicts (409s of two reviewers racing for the same submission: the expected answer, not an error).
Why not Locust: see docs/benchmarks.md ("Web application under load").
"""

from __future__ import annotations

import argparse
import asyncio
import http.cookiejar
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the server helpers are shared with the browser tests

from tests.browser.server import prepare_demo, serving  # noqa: E402

from nigran.demo import DEMO_PASSWORDS  # noqa: E402

POSTGRES = "postgresql+psycopg://nigran:nigran@127.0.0.1:5432/nigran"
LOAD_DB = "nigran_load"
_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')

#: Incident filters an analyst combines (all valid for the bundled UCDP extract, 1989-2021).
PROVINCES = ["PK-KP", "PK-BA", "PK-SD", "PK-PB", "Khyber Pakhtunkhwa", "Balochistan"]
DISTRICTS = ["Quetta", "Peshawar", "Kech", "North Waziristan", "Swat"]
PERIODS = [("2019", "2021"), ("2014", "2016"), ("2009", "2010"), ("2020-01", "2020-12"), (None, None)]
FRAMEWORKS = ["NSP-2022", "NAP-2021"]


@dataclass
class Stats:
    """Latencies and outcomes of one route group."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    conflicts: int = 0
    samples: list[str] = field(default_factory=list)


@dataclass
class Run:
    deadline: float
    measure_from: float
    max_requests: int
    think: tuple[float, float]
    rng: random.Random
    stats: dict[str, Stats] = field(default_factory=lambda: defaultdict(Stats))
    sent: int = 0

    def more(self) -> bool:
        return time.monotonic() < self.deadline and self.sent < self.max_requests


@dataclass
class Identity:
    """A signed-in demo user's cookies and CSRF token, shared by the simulated users of that role (the
    sessions live in the database, so every worker process knows them)."""

    cookies: dict[str, str]
    csrf: str


class User:
    """One simulated user: a role's tasks, chosen by weight, with think time between them."""

    def __init__(self, run: Run, client: httpx.AsyncClient, identity: Identity | None) -> None:
        self.run, self.client, self.identity = run, client, identity

    async def request(
        self, group: str, method: str, path: str, *, expect: tuple[int, ...] = (200,), **kwargs: Any
    ) -> httpx.Response | None:
        run = self.run
        if not run.more():
            return None
        run.sent += 1
        headers = kwargs.pop("headers", {})
        if self.identity is not None:
            # A Cookie header rather than the client's jar: the roles share one client, not one session.
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.identity.cookies.items())
            if method != "GET":
                headers["X-CSRF-Token"] = self.identity.csrf
        started = time.monotonic()
        try:
            response = await self.client.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            self._record(group, started, error=f"{method} {path}: {type(exc).__name__} {exc}")
            return None
        if response.status_code in expect:
            self._record(group, started)
        elif response.status_code == 409:
            self._record(group, started, conflict=True)
        else:
            self._record(
                group, started, error=f"{method} {path}: {response.status_code} {response.text[:160]}"
            )
        return response

    def _record(self, group: str, started: float, *, error: str = "", conflict: bool = False) -> None:
        now = time.monotonic()
        if started < self.run.measure_from:
            return  # warm-up
        stats = self.run.stats[group]
        stats.latencies.append((now - started) * 1000)
        if error:
            stats.errors += 1
            if len(stats.samples) < 5:
                stats.samples.append(error)
        stats.conflicts += conflict

    async def think(self) -> None:
        await asyncio.sleep(self.run.rng.uniform(*self.run.think))


def _filters(rng: random.Random) -> dict[str, str]:
    params: dict[str, str] = {}
    start, end = rng.choice(PERIODS)
    if start:
        params["from"], params["to"] = start, end  # type: ignore[assignment]
    if rng.random() < 0.6:
        params["province"] = rng.choice(PROVINCES)
    elif rng.random() < 0.5:
        params["district"] = rng.choice(DISTRICTS)
    if rng.random() < 0.3:
        params["type"] = rng.choice(["bombing", "clash", "targeted_killing", "armed_assault"])
    return params


async def citizen(user: User) -> None:
    """The public portal, anonymous, in English or Urdu."""
    rng = user.run.rng
    path = rng.choices(
        [
            "/",
            "/ur/",
            "/portal/security",
            "/ur/portal/security",
            "/portal/methodology",
            "/api/portal/situation",
            "/api/portal/frameworks",
            "/api/portal/map?measure=incidents",
            "/api/portal/series",
        ],
        weights=[6, 3, 2, 1, 1, 1, 1, 1, 1],
    )[0]
    group = "portal api" if path.startswith("/api/") else "portal pages"
    await user.request(group, "GET", path)


async def analyst(user: User) -> None:
    """The incident explorer with filters, its map and series, and the incident table through the API."""
    rng = user.run.rng
    params = _filters(rng)
    choice = rng.choices(["page", "list", "choropleth", "series", "summary"], weights=[3, 3, 2, 1, 1])[0]
    if choice == "page":
        await user.request("incident pages", "GET", "/incidents", params=params)
    elif choice == "list":
        sort = rng.choice(["-date", "date", "-killed", "district"])
        await user.request(
            "incident api", "GET", "/api/incidents", params={**params, "per_page": "50", "sort": sort}
        )
    elif choice == "choropleth":
        measure = rng.choice(["incidents", "fatalities"])
        await user.request(
            "incident api", "GET", "/api/geo/choropleth", params={**params, "measure": measure}
        )
    elif choice == "series":
        await user.request("incident api", "GET", "/api/incidents/series", params=params)
    else:
        await user.request(
            "incident api",
            "GET",
            "/api/incidents/summary",
            params={**params, "by": rng.choice(["year", "province"])},
        )


async def reader(user: User) -> None:
    """Scorecards and the register: framework tree, entity/province scorecards, scores as JSON."""
    rng = user.run.rng
    code = rng.choice(FRAMEWORKS)
    choice = rng.choices(["tree", "scorecard page", "scores", "scorecards"], weights=[2, 2, 2, 2])[0]
    if choice == "tree":
        await user.request("scorecard pages", "GET", f"/register/{code}")
    elif choice == "scorecard page":
        await user.request("scorecard pages", "GET", f"/register/{code}/scorecards")
    elif choice == "scores":
        by = rng.choice(["section", "entity", "province"])
        await user.request("scorecard api", "GET", f"/api/frameworks/{code}/scores", params={"by": by})
    else:
        await user.request("scorecard api", "GET", f"/api/frameworks/{code}/scorecards")


def _submitter(entity: str) -> Callable[[User], Awaitable[None]]:
    async def submit(user: User) -> None:
        """A focal person reads their inbox and reports a value for one of their indicators."""
        rng = user.run.rng
        code = "NSP-2022"
        inbox = await user.request(
            "submission api",
            "GET",
            "/api/obligations",
            params={"framework": code, "cycle": "2025", "entity": entity, "per_page": "100"},
        )
        if inbox is None or inbox.status_code != 200:
            return
        owed = [o for o in inbox.json()["items"] if o["kind"] == "indicator"]
        if not owed:
            return
        await user.think()
        ob = rng.choice(owed)
        body = {"framework": code, "cycle": ob["cycle"], "item": ob["item"], "value": rng.randint(1, 90)}
        # 422: the value is outside the indicator's range or period rules; such a refusal is a correct
        # answer to a random value, not a failure of the server.
        await user.request("submission api", "POST", "/api/submissions", json=body, expect=(201, 422))

    return submit


async def reviewer(user: User) -> None:
    """A reviewer takes a submitted value from the queue and verifies it (409 if another got there first)."""
    rng = user.run.rng
    queue = await user.request(
        "verification api", "GET", "/api/submissions", params={"state": "submitted", "per_page": "20"}
    )
    if queue is None or queue.status_code != 200:
        return
    items = queue.json()["items"]
    if not items:
        return
    await user.think()
    sub = rng.choice(items)
    await user.request(
        "verification api",
        "POST",
        f"/api/submissions/{sub['id']}/verify",
        json={"expected_version": sub["version"]},
    )


#: role → (share of the users, demo account or None for anonymous, task).
MIX: list[tuple[str, float, str | None, Callable[[User], Awaitable[None]]]] = [
    ("citizen", 0.40, None, citizen),
    ("analyst", 0.25, "analyst", analyst),
    ("reader", 0.20, "reader", reader),
    ("focal person KP", 0.05, "focal-kp", _submitter("KP")),
    ("focal person MOI", 0.05, "focal-moi", _submitter("MOI")),
    ("reviewer", 0.05, "reviewer", reviewer),
]


async def sign_in(url: str, username: str) -> Identity:
    """One sign-in per demo account, on a client of its own (Argon2 and the sign-in rate limit make 200
    sign-ins a different benchmark); the simulated users of the role then share its session."""
    async with httpx.AsyncClient(base_url=url) as client:
        page = await client.get("/login")
        token = _CSRF.search(page.text)
        assert token, "no csrf-token on /login"
        data = {"username": username, "password": DEMO_PASSWORDS[username], "csrf_token": token.group(1)}
        answer = await client.post("/login", data={**data, "next": "/"})
        if answer.status_code != 303:
            raise RuntimeError(f"sign-in as {username} failed: {answer.status_code} {answer.text[:200]}")
        account = await client.get("/account")
        token = _CSRF.search(account.text)
        assert token, "no csrf-token on /account"
        return Identity(cookies=dict(client.cookies.items()), csrf=token.group(1))


def _no_cookies() -> httpx.Cookies:
    """A jar that keeps nothing: the load client is shared by every role, so a cookie one response sets
    must not follow another user's requests (anonymous citizens stay anonymous)."""
    return httpx.Cookies(
        http.cookiejar.CookieJar(policy=http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    )


async def one_run(url: str, args: argparse.Namespace, seed: int) -> dict[str, Any]:
    # keep-alive shorter than uvicorn's 5 s, so that the client, not the server, closes an idle connection
    # (otherwise a request can race the server's close and fail with a ReadError that is no server fault)
    limits = httpx.Limits(
        max_connections=args.users, max_keepalive_connections=args.users, keepalive_expiry=4.0
    )
    identities = {account: await sign_in(url, account) for _, _, account, _ in MIX if account is not None}
    async with httpx.AsyncClient(
        base_url=url, limits=limits, timeout=args.timeout, cookies=_no_cookies()
    ) as client:
        start = time.monotonic()
        run = Run(
            deadline=start + args.warmup + args.duration,
            measure_from=start + args.warmup,
            max_requests=args.max_requests,
            think=(args.think_min, args.think_max),
            rng=random.Random(seed),
        )
        tasks = []
        assigned = 0
        for index, (_, share, account, task) in enumerate(MIX):
            count = args.users - assigned if index == len(MIX) - 1 else round(args.users * share)
            assigned += count
            identity = identities.get(account) if account else None
            for _ in range(count):
                tasks.append(asyncio.create_task(_loop(User(run, client, identity), task, args.warmup)))
        await asyncio.gather(*tasks)
        elapsed = time.monotonic() - run.measure_from
    return summarise(run, elapsed)


async def _loop(user: User, task: Callable[[User], Awaitable[None]], ramp: float) -> None:
    await asyncio.sleep(user.run.rng.uniform(0, ramp))  # users arrive over the warm-up
    while user.run.more():
        await task(user)
        await user.think()


def _pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def summarise(run: Run, elapsed: float) -> dict[str, Any]:
    groups = {}
    every: list[float] = []
    for name, stats in sorted(run.stats.items()):
        every += stats.latencies
        groups[name] = {
            "requests": len(stats.latencies),
            "per_s": len(stats.latencies) / elapsed,
            "p50": _pct(stats.latencies, 50),
            "p95": _pct(stats.latencies, 95),
            "p99": _pct(stats.latencies, 99),
            "errors": stats.errors,
            "conflicts": stats.conflicts,
            "samples": stats.samples,
        }
    total = {
        "requests": len(every),
        "per_s": len(every) / elapsed,
        "p50": _pct(every, 50),
        "p95": _pct(every, 95),
        "p99": _pct(every, 99),
        "errors": sum(g["errors"] for g in groups.values()),
        "conflicts": sum(g["conflicts"] for g in groups.values()),
    }
    return {"seconds": elapsed, "groups": groups, "total": total, "load": os.getloadavg()}


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per group, the median of each figure over the runs (errors and conflicts: summed)."""
    names = sorted({g for r in runs for g in r["groups"]} | {"all"})
    out = {}
    for name in names:
        rows = [r["total"] if name == "all" else r["groups"].get(name) for r in runs]
        rows = [x for x in rows if x]
        out[name] = {
            key: statistics.median(x[key] for x in rows) for key in ("requests", "per_s", "p50", "p95", "p99")
        } | {"errors": sum(x["errors"] for x in rows), "conflicts": sum(x["conflicts"] for x in rows)}
    return out


def table(medians: dict[str, Any]) -> str:
    lines = [
        "| route group | requests | req/s | p50 ms | p95 ms | p99 ms | errors | conflicts (409) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, m in medians.items():
        label = f"**{name}**" if name == "all" else name
        lines.append(
            f"| {label} | {m['requests']:.0f} | {m['per_s']:.1f} | {m['p50']:.0f} | {m['p95']:.0f} | "
            f"{m['p99']:.0f} | {m['errors']} | {m['conflicts']} |"
        )
    return "\n".join(lines)


def _postgres_database(admin_url: str) -> str:
    """A new, empty database ``nigran_load`` in the cluster of ``admin_url`` (dropped first if there)."""
    import psycopg

    parts = urlsplit(admin_url.replace("postgresql+psycopg://", "postgresql://"))
    with psycopg.connect(parts.geturl(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {LOAD_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {LOAD_DB}")
    return admin_url.rsplit("/", 1)[0] + f"/{LOAD_DB}"


def _loopback(url: str) -> str:
    if urlsplit(url).hostname != "127.0.0.1":
        raise SystemExit(f"--url must be on 127.0.0.1 (this benchmark loads no other host): {url}")
    return url.rstrip("/")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--postgres", default=os.environ.get("NIGRAN_TEST_POSTGRES_URL", POSTGRES))
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--url", help="A running server on 127.0.0.1 (with the demo data)")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60.0, help="Measured seconds per run")
    parser.add_argument(
        "--warmup", type=float, default=5.0, help="Seconds over which users arrive (unmeasured)"
    )
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    # A person reads a page for seconds before the next click: 3-9 s (about 33 requests/s from 200 users).
    # --think-min 0.5 --think-max 1.5 is the stress variant (about 200 requests/s offered).
    parser.add_argument(
        "--think-min", type=float, default=3.0, help="seconds between a user's requests, least"
    )
    parser.add_argument(
        "--think-max", type=float, default=9.0, help="seconds between a user's requests, most"
    )
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--json", type=Path, help="Also write every run's figures here")
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()

    def go(url: str) -> list[dict[str, Any]]:
        runs = []
        for i in range(args.runs):
            result = asyncio.run(one_run(url, args, args.seed + i))
            t = result["total"]
            print(
                f"run {i + 1}: {t['requests']} requests, {t['per_s']:.1f}/s, p95 {t['p95']:.0f} ms, "
                f"errors {t['errors']}, load {result['load'][0]:.2f}",
                flush=True,
            )
            for name, g in result["groups"].items():
                for sample in g["samples"][:2]:
                    print(f"  {name}: {sample}", flush=True)
            print(table(median_of([result])), flush=True)
            runs.append(result)
        return runs

    if args.url:
        runs = go(_loopback(args.url))
    else:
        with tempfile.TemporaryDirectory(prefix="nigran-load-") as tmp:
            folder = Path(tmp)
            database = _postgres_database(args.postgres) if args.backend == "postgresql" else None
            print(f"preparing the demo database ({args.backend})…", flush=True)
            url, env = prepare_demo(folder, database)
            with serving(folder, env, url, workers=args.workers) as server:
                print(f"serving {server.url} with {args.workers} worker(s)", flush=True)
                runs = go(server.url)
    medians = median_of(runs)
    loads = ", ".join(f"{r['load'][0]:.2f}" for r in runs)
    print(
        f"\n{args.backend}, {args.workers} worker(s), {args.users} users, {args.duration:.0f} s "
        f"x {args.runs} runs (medians), load average during the runs: {loads}"
    )
    print(table(medians))
    if args.json:
        from nigran.core.outputs import write_text

        write_text(
            args.json,
            json.dumps({"args": vars(args) | {"json": str(args.json)}, "runs": runs}, indent=1),
            force=True,
        )


if __name__ == "__main__":
    main()

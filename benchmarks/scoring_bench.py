"""Scoring at scale: a synthetic framework of 5,000 indicators reported over 20 quarterly cycles.

Usage: python benchmarks/scoring_bench.py [--db URL] [--indicators 5000] [--cycles 20] [--repeat 7]

Builds the data with bulk inserts (no audit trail: this measures scoring, not loading), then times
``score_framework`` for the last cycle as the system and as a public reader (so the clearance filter is in
the measured path), the entity and province scorecards, and ``compare_cycles`` (two scorings). Prints
medians in milliseconds. Results are recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from random import Random

from sqlalchemy import insert, select

from nigran.access.classification import Classification
from nigran.access.principal import Principal
from nigran.monitoring.cycles import parse_code
from nigran.monitoring.models import Obligation, ReportingCycle, Submission
from nigran.monitoring.scorecards import compare_cycles, scorecard
from nigran.monitoring.scoring import score_framework
from nigran.policy.models import (
    Action,
    Entity,
    Framework,
    Indicator,
    IndicatorTarget,
    Milestone,
    Objective,
    Responsibility,
    Section,
)
from nigran.reference import load_admin_units, load_entities
from nigran.storage.db import Database

CODE = "BENCH"


def _ids(session, model, n):  # type: ignore[no-untyped-def]
    return list(session.scalars(select(model.id).order_by(model.id.desc()).limit(n)))[::-1]


def build(db: Database, n_indicators: int, n_cycles: int) -> str:
    rng = Random(7)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with db.session(Principal.system()) as s:
        load_admin_units(s)
        load_entities(s)
        entities = list(s.scalars(select(Entity.id)))
        fw = Framework(
            code=CODE,
            title="Synthetic benchmark framework",
            period_start=date(2021, 1, 1),
            period_end=date(2025, 12, 31),
        )
        s.add(fw)
        s.flush()
        n_obj = max(n_indicators // 10, 1)
        n_sec = max(n_obj // 50, 1)
        s.execute(
            insert(Section),
            [
                dict(
                    framework_id=fw.id,
                    code=f"S{i}",
                    title=f"Section {i}",
                    position=i,
                    weight=1.0,
                    classification=Classification.PUBLIC,
                    created_at=now,
                    updated_at=now,
                )
                for i in range(n_sec)
            ],
        )
        sections = _ids(s, Section, n_sec)
        s.execute(
            insert(Objective),
            [
                dict(
                    framework_id=fw.id,
                    section_id=sections[i % n_sec],
                    code=f"O{i}",
                    title=f"Objective {i}",
                    position=i,
                    weight=1.0,
                    classification=Classification.RESTRICTED if i % 20 == 0 else Classification.PUBLIC,
                    created_at=now,
                    updated_at=now,
                )
                for i in range(n_obj)
            ],
        )
        objectives = _ids(s, Objective, n_obj)
        levels = {
            oid: Classification.RESTRICTED if i % 20 == 0 else Classification.PUBLIC
            for i, oid in enumerate(objectives)
        }
        rows = []
        for i in range(n_indicators):
            oid = objectives[i % n_obj]
            direction = ("increase", "decrease", "maintain")[i % 3]
            rows.append(
                dict(
                    framework_id=fw.id,
                    objective_id=oid,
                    code=f"I{i}",
                    name=f"Indicator {i}",
                    unit="count",
                    direction=direction,
                    band_min=10.0 if direction == "maintain" else None,
                    band_max=20.0 if direction == "maintain" else None,
                    baseline_value=100.0,
                    baseline_date=date(2020, 12, 31),
                    frequency="quarterly",
                    weight=1.0,
                    illustrative=True,
                    position=i,
                    classification=levels[oid],
                    created_at=now,
                    updated_at=now,
                )
            )
        s.execute(insert(Indicator), rows)
        indicators = _ids(s, Indicator, n_indicators)
        ind_rows = dict(zip(indicators, rows, strict=True))
        s.execute(
            insert(IndicatorTarget),
            [
                dict(
                    indicator_id=iid,
                    year=y,
                    value=100.0 + (10 if r["direction"] == "increase" else -10) * (y - 2020),
                    classification=r["classification"],
                )
                for iid, r in ind_rows.items()
                if r["direction"] != "maintain"
                for y in range(2021, 2026)
            ],
        )
        s.execute(
            insert(Responsibility),
            [
                dict(
                    entity_id=entities[k % len(entities)],
                    indicator_id=iid,
                    role="lead",
                    classification=r["classification"],
                )
                for k, (iid, r) in enumerate(ind_rows.items())
            ],
        )
        s.execute(
            insert(Action),
            [
                dict(
                    framework_id=fw.id,
                    objective_id=oid,
                    code=f"A{i}",
                    title=f"Action {i}",
                    owner_id=entities[i % len(entities)],
                    due_date=date(2025, 6, 30),
                    status="in_progress",
                    weight=1.0,
                    position=0,
                    classification=levels[oid],
                    created_at=now,
                    updated_at=now,
                )
                for i, oid in enumerate(objectives)
            ],
        )
        actions = _ids(s, Action, n_obj)
        s.execute(
            insert(Milestone),
            [
                dict(
                    framework_id=fw.id,
                    action_id=aid,
                    code=f"M{i}-{k}",
                    title="Milestone",
                    due_date=date(2022 + k, 6, 30),
                    status="not_started",
                    position=k,
                    classification=levels[objectives[i]],
                    created_at=now,
                    updated_at=now,
                )
                for i, aid in enumerate(actions)
                for k in range(2)
            ],
        )
        milestones = _ids(s, Milestone, 2 * n_obj)
        ms_level = {mid: levels[objectives[i // 2]] for i, mid in enumerate(milestones)}
        codes = [f"{2021 + q // 4}-Q{q % 4 + 1}" for q in range(n_cycles)]
        for code in codes:
            _, start, end = parse_code(code)
            cycle = ReportingCycle(
                framework_id=fw.id,
                code=code,
                kind="quarterly",
                period_start=start,
                period_end=end,
                deadline=end + timedelta(days=30),
            )
            s.add(cycle)
            s.flush()
            s.execute(
                insert(Obligation),
                [
                    dict(
                        cycle_id=cycle.id,
                        entity_id=entities[k % len(entities)],
                        indicator_id=iid,
                        role="lead",
                        status="verified",
                        version=2,
                        classification=r["classification"],
                    )
                    for k, (iid, r) in enumerate(ind_rows.items())
                ],
            )
            obligations = _ids(s, Obligation, n_indicators)
            sent = datetime.combine(end + timedelta(days=rng.randint(5, 40)), datetime.min.time(), tzinfo=UTC)
            subs = []
            for k, ((iid, r), ob) in enumerate(zip(ind_rows.items(), obligations, strict=True)):
                years = (end - date(2020, 12, 31)).days / 365.25
                step = {"increase": 10, "decrease": -10, "maintain": 0}[r["direction"]]
                value = 15.0 + rng.uniform(-8, 8) if step == 0 else 100 + step * years * rng.uniform(0.2, 1.2)
                subs.append(
                    dict(
                        framework_id=fw.id,
                        cycle_id=cycle.id,
                        obligation_id=ob,
                        entity_id=entities[k % len(entities)],
                        indicator_id=iid,
                        period_start=start,
                        period_end=end,
                        value=value,
                        evidence="bench",
                        state="verified",
                        submitted_by="bench",
                        submitted_at=sent,
                        first_submitted_at=sent,
                        verified_by="reviewer",
                        verified_at=sent,
                        illustrative=True,
                        version=2,
                        classification=r["classification"],
                        created_at=now,
                        updated_at=now,
                    )
                )
            if end.month == 12:
                subs += [
                    dict(
                        framework_id=fw.id,
                        cycle_id=cycle.id,
                        entity_id=entities[0],
                        milestone_id=mid,
                        period_start=start,
                        period_end=end,
                        milestone_status=rng.choice(["completed", "in_progress", "delayed"]),
                        evidence="bench",
                        state="verified",
                        verified_by="reviewer",
                        verified_at=sent,
                        illustrative=True,
                        version=2,
                        classification=ms_level[mid],
                        created_at=now,
                        updated_at=now,
                    )
                    for mid in milestones
                ]
            s.execute(insert(Submission), subs)
    return codes[-1]


def median_ms(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall time and median CPU time (ms): on a shared 2-core machine the CPU time is the steadier."""
    walls, cpus = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append((time.perf_counter() - w) * 1000)
        cpus.append((time.process_time() - c) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=None, help="database URL (default: a fresh SQLite file)")
    ap.add_argument("--indicators", type=int, default=5000)
    ap.add_argument("--cycles", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    url = args.db or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    db = Database(url)
    db.upgrade()
    t = time.perf_counter()
    with db.session(Principal.system()) as s:
        existing = s.scalar(select(Framework.id).where(Framework.code == CODE))
        last = s.scalar(select(ReportingCycle.code).order_by(ReportingCycle.period_end.desc()).limit(1))
    if existing is None:  # a --db that already holds the benchmark data is reused as it is
        last = build(db, args.indicators, args.cycles)
    took = time.perf_counter() - t
    print(f"{args.indicators} indicators x {args.cycles} cycles on {db.dialect}, ready in {took:.1f}s")
    system, public = Principal.system(), Principal.anonymous()

    def run(who: Principal, fn: Callable) -> Callable[[], object]:  # type: ignore[type-arg]
        def call() -> object:
            with db.session(who) as s:
                return fn(s)

        return call

    with db.session(system) as s:
        fs = score_framework(s, CODE, last)
        print(
            f"cycle {last}: score {fs.score:.3f}, {len(fs.indicators())} indicators, {len(fs.milestones())} "
            f"milestones, {fs.objectives_achieved}/{len(fs.objectives())} objectives achieved"
        )
    results = {
        "score_framework (system)": median_ms(
            run(system, lambda s: score_framework(s, CODE, last)), args.repeat
        ),
        "score_framework (public reader)": median_ms(
            run(public, lambda s: score_framework(s, CODE, last)), args.repeat
        ),
        "score + entity & province scorecards": median_ms(
            run(
                system,
                lambda s: [
                    scorecard(f, by)
                    for f in [score_framework(s, CODE, last)]
                    for by in ("entity", "province")
                ],
            ),
            args.repeat,
        ),
        "compare_cycles (two scorings)": median_ms(
            run(system, lambda s: compare_cycles(s, CODE, last)), args.repeat
        ),
    }
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for name, (wall, cpu) in results.items():
        print(f"{name:40s} median wall {wall:8.1f} ms   cpu {cpu:8.1f} ms")


if __name__ == "__main__":
    main()

"""How long validating, loading and Excel export/import take for a framework of 5,000 indicators.

Run: ``python benchmarks/framework_bench.py [--indicators 5000] [--repeat 5] [--profile]``. Every
repetition starts from a fresh, migrated database with the bundled entities (SQLite in a temporary folder;
PostgreSQL too when NIGRAN_DATABASE_URL names a server where this user may create databases). Prints
medians as a Markdown table for docs/benchmarks.md. The services are called in-process, as the CLI does.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from nigran.access.principal import Principal
from nigran.core.yamldoc import dump_yaml
from nigran.policy import service
from nigran.policy.excel import document_to_workbook, validate_workbook
from nigran.policy.indicators_io import export_indicators, import_indicators
from nigran.reference import load_entities
from nigran.storage.db import Database

SYSTEM = Principal.system()
ENTITIES = ["MOI", "NACTA", "KP", "PB", "SD", "BA", "MOF", "FBR", "SBP", "PBS", "NDMA", "MOD"]


def framework_doc(n_indicators: int, sections: int = 10, objectives: int = 10) -> dict[str, Any]:
    """A synthetic framework: ``sections`` x ``objectives`` x indicators, each with a baseline, four targets
    and two responsible entities, plus one action with two milestones per objective."""
    per_objective = max(1, n_indicators // (sections * objectives))
    secs = []
    for s in range(1, sections + 1):
        objs = []
        for o in range(1, objectives + 1):
            base = f"BENCH.S{s}.O{o}"
            inds = [
                {
                    "code": f"{base}.I{i}",
                    "name": f"Synthetic indicator {s}.{o}.{i}",
                    "definition": "Generated for the benchmark.",
                    "unit": "count",
                    "direction": "decrease" if i % 2 else "increase",
                    "baseline": {"value": 100 + i, "date": "2022-12-31"},
                    "targets": {2023: 90 + i, 2024: 80 + i, 2025: 70 + i, 2026: 60 + i},
                    "source": "PBS",
                    "responsible": [
                        {"entity": ENTITIES[(s + o + i) % len(ENTITIES)], "role": "lead"},
                        {"entity": ENTITIES[(s + o + i + 1) % len(ENTITIES)], "role": "supporting"},
                    ],
                    **({"classification": "RESTRICTED"} if i % 10 == 0 else {}),
                }
                for i in range(1, per_objective + 1)
            ]
            action = {
                "code": f"{base}.A1",
                "title": f"Synthetic action {s}.{o}",
                "owner": ENTITIES[(s + o) % len(ENTITIES)],
                "due": "2025-06-30",
                "status": "in_progress",
                "milestones": [
                    {"code": f"{base}.A1.M{m}", "title": f"Milestone {m}", "due": f"202{3 + m}-03-31"}
                    for m in (1, 2)
                ],
            }
            objs.append({"code": base, "title": f"Synthetic objective {s}.{o}", "indicators": inds,
                         "actions": [action]})  # fmt: skip
        secs.append({"code": f"BENCH.S{s}", "title": f"Synthetic section {s}", "objectives": objs})
    return {
        "format": "nigran-framework/1",
        "framework": {
            "code": "BENCH",
            "title": "Benchmark framework",
            "period": {"start": "2023-01-01", "end": "2026-12-31"},
            "owner": "NSD",
            "sections": secs,
        },
    }


class Backend:
    def __init__(
        self, name: str, url_for: Callable[[], str], drop: Callable[[str], None] | None = None
    ) -> None:
        self.name, self.url_for, self.drop = name, url_for, drop

    @contextmanager
    def fresh(self) -> Iterator[Database]:
        url = self.url_for()
        db = Database(url)
        db.upgrade()
        with db.session(SYSTEM) as s:
            load_entities(s)
        try:
            yield db
        finally:
            db.dispose()
            if self.drop:
                self.drop(url)


def backends(tmp: Path) -> list[Backend]:
    out = [Backend("SQLite", lambda: f"sqlite:///{tmp / uuid.uuid4().hex}.db")]
    pg = os.environ.get("NIGRAN_DATABASE_URL")
    if pg and pg.startswith("postgresql"):
        admin = create_engine(Database(pg).url, isolation_level="AUTOCOMMIT")

        def create() -> str:
            name = f"nigran_bench_{uuid.uuid4().hex[:10]}"
            with admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{name}"'))
            return make_url(Database(pg).url).set(database=name).render_as_string(hide_password=False)

        def drop(url: str) -> None:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))

        out.append(Backend("PostgreSQL", create, drop))
    return out


def timed(fn: Callable[[], Any]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of this process: on a shared machine the CPU time shows the work itself."""
    start, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - start, time.process_time() - cpu


def run(backend: Backend, yaml_path: Path, tmp: Path, repeat: int) -> dict[str, list[tuple[float, float]]]:
    times: dict[str, list[tuple[float, float]]] = {}

    def add(key: str, seconds: tuple[float, float]) -> None:
        times.setdefault(key, []).append(seconds)

    for rep in range(repeat):
        with backend.fresh() as db:

            def validate() -> None:
                with db.session(SYSTEM) as s:
                    _, problems = service.validate_bytes(yaml_path.read_bytes(), str(yaml_path), s)
                    assert not problems, problems[:3]
                    s.rollback()

            def load() -> None:
                with db.session(SYSTEM) as s:
                    service.load_bytes(s, yaml_path.read_bytes(), str(yaml_path))

            add("validate YAML", timed(validate))
            add("load YAML (validate + insert + audit, one transaction)", timed(load))
            xlsx = tmp / f"bench-{rep}.xlsx"

            def export_xlsx(xlsx: Path = xlsx) -> None:
                with db.session(SYSTEM) as s:
                    document_to_workbook(service.export_document(s, "BENCH")).save(xlsx)

            add("export framework to xlsx", timed(export_xlsx))
            add("export framework to YAML", timed(lambda: _export_yaml(db)))
            csv_path = tmp / f"bench-{rep}.csv"

            def export_csv(csv_path: Path = csv_path) -> None:
                with db.session(SYSTEM) as s:
                    csv_path.write_bytes(export_indicators(s, "BENCH", "csv").data)

            add("export indicators to CSV", timed(export_csv))

            def reimport_csv(csv_path: Path = csv_path) -> None:
                with db.session(SYSTEM) as s:
                    result = import_indicators(s, csv_path.read_bytes(), str(csv_path), "BENCH")
                    assert not result.updated and not result.added

            add("import indicators CSV (unchanged: check every cell, write nothing)", timed(reimport_csv))
        with backend.fresh() as db2:

            def load_xlsx(xlsx: Path = xlsx) -> None:
                with db2.session(SYSTEM) as s:
                    doc, problems = validate_workbook(
                        xlsx.read_bytes(), str(xlsx), service.known_entity_codes(s)
                    )
                    assert not problems, problems[:3]
                    service.load_document(s, doc, str(xlsx))

            add("load framework from xlsx (read + validate + insert)", timed(load_xlsx))
        done = "; ".join(f"{k.split(' (')[0]} {v[-1][0]:.2f}/{v[-1][1]:.2f}" for k, v in times.items())
        print(f"  {backend.name} repetition {rep + 1}/{repeat} (wall/CPU s): {done}", flush=True)
    return times


def _export_yaml(db: Database) -> None:
    with db.session(SYSTEM) as s:
        dump_yaml(service.export_document(s, "BENCH"))


def profile_load(backend: Backend, yaml_path: Path) -> None:
    with backend.fresh() as db:
        profiler = cProfile.Profile()
        with db.session(SYSTEM) as s:
            profiler.enable()
            service.load_bytes(s, yaml_path.read_bytes(), str(yaml_path))
            s.flush()
        profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--indicators", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="profile one load on SQLite instead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        yaml_path = tmp / "bench.yaml"
        doc = framework_doc(args.indicators)
        yaml_path.write_text(dump_yaml(doc), encoding="utf-8")
        if args.profile:
            profile_load(backends(tmp)[0], yaml_path)
            return
        size = yaml_path.stat().st_size / 1e6
        print(f"framework: {args.indicators} indicators, 100 objectives, 100 actions, 200 milestones; "
              f"YAML {size:.1f} MB", flush=True)  # fmt: skip
        results = {b.name: run(b, yaml_path, tmp, args.repeat) for b in backends(tmp)}
    names = list(results)
    heads = [f"{n} {kind}" for n in names for kind in ("wall", "CPU")]
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")
    print(f"\n| step (median of {args.repeat}, seconds) | " + " | ".join(heads) + " |")
    print("| --- |" + " ---: |" * len(heads))
    for step in results[names[0]]:
        cells = [f"{statistics.median(t[k] for t in results[n][step]):.2f}" for n in names for k in (0, 1)]
        print(f"| {step} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

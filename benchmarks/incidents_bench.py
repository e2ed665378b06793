"""Benchmark: import rate and dashboard aggregation latency at ACLED-archive scale (default 3,000,000 rows).

Usage:
    python benchmarks/incidents_bench.py --rows 1000000 [--db sqlite:///bench.db] [--repeat 20]

Generates a realistic synthetic generic-CSV file (skewed provinces, districts, types and actors; 2000–2025;
5% RESTRICTED and 1% SECRET rows), imports it through ``nigran.incidents.importer`` as an analyst (same code
path as the CLI), then times the summaries as a public reader and as a SECRET-cleared analyst. With
NIGRAN_DATABASE_URL set to PostgreSQL and no --db, runs there instead.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import nigran.storage.db  # noqa: F401  (first: importing the guard before storage is circular today)
from nigran.access.classification import Classification
from nigran.access.principal import Principal, Role
from nigran.incidents import analytics
from nigran.storage.db import Database

PROVINCES = {
    "Khyber Pakhtunkhwa": (
        0.55,
        [
            "Peshawar",
            "Bannu",
            "North Waziristan",
            "South Waziristan",
            "Khyber",
            "Bajaur",
            "Dera Ismail Khan",
            "Lakki Marwat",
            "Tank",
            "Kurram",
            "Orakzai",
            "Swat",
            "Mohmand",
            "Charsadda",
            "Mardan",
            "Kohat",
            "Hangu",
            "Nowshera",
        ],
    ),
    "Balochistan": (
        0.28,
        [
            "Quetta",
            "Kech",
            "Gwadar",
            "Mastung",
            "Kalat",
            "Panjgur",
            "Awaran",
            "Kachhi",
            "Dera Bugti",
            "Kohlu",
            "Zhob",
            "Loralai",
            "Sibi",
            "Nushki",
            "Kharan",
        ],
    ),
    "Sindh": (
        0.09,
        [
            "Karachi South",
            "Karachi East",
            "Karachi West",
            "Korangi",
            "Malir",
            "Hyderabad",
            "Larkana",
            "Shikarpur",
            "Jacobabad",
            "Sukkur",
        ],
    ),
    "Punjab": (
        0.06,
        [
            "Lahore",
            "Rawalpindi",
            "Dera Ghazi Khan",
            "Rajanpur",
            "Mianwali",
            "Bahawalpur",
            "Multan",
            "Faisalabad",
        ],
    ),
    "Islamabad Capital Territory": (0.01, ["Islamabad"]),
    "Gilgit-Baltistan": (0.005, ["Gilgit", "Diamer", "Chilas"]),
    "Azad Jammu and Kashmir": (0.005, ["Muzaffarabad", "Neelum", "Kotli"]),
}
TYPES = [
    ("armed_assault", 0.25),
    ("bombing", 0.2),
    ("clash", 0.15),
    ("security_operation", 0.15),
    ("targeted_killing", 0.1),
    ("suicide_bombing", 0.03),
    ("kidnapping", 0.05),
    ("infrastructure_attack", 0.03),
    ("cross_border_attack", 0.02),
    ("hijacking", 0.002),
    ("other", 0.018),
]
ACTORS = [
    ("", 0.45),
    ("TTP", 0.2),
    ("Fitna al-Khawarij", 0.05),
    ("BLA", 0.08),
    ("Fitna al-Hindustan", 0.02),
    ("BLF", 0.04),
    ("ISKP", 0.03),
    ("Lashkar-e-Jhangvi", 0.02),
    ("Jamaat-ul-Ahrar", 0.02),
    ("Hafiz Gul Bahadur Group", 0.02),
    ("Lashkar-e-Islam", 0.01),
    ("BRAS", 0.01),
    ("SRA", 0.01),
    ("Pakistani security forces", 0.04),
]
HEADER = [
    "id",
    "date",
    "province",
    "district",
    "event_type",
    "actor",
    "killed",
    "civilians_killed",
    "security_killed",
    "militants_killed",
    "injured",
    "hostages",
    "classification",
]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    provs = list(PROVINCES)
    pw = [PROVINCES[p][0] for p in provs]
    types, tw = zip(*TYPES, strict=True)
    actors, aw = zip(*ACTORS, strict=True)
    batch = 100_000
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for start in range(0, rows, batch):
            n = min(batch, rows - start)
            ps = rnd.choices(provs, pw, k=n)
            ts = rnd.choices(types, tw, k=n)
            acs = rnd.choices(actors, aw, k=n)
            for i in range(n):
                year = rnd.randint(2000, 2025)
                civ, sec = int(rnd.expovariate(0.8)), int(rnd.expovariate(1.0))
                mil = int(rnd.expovariate(0.7)) if ts[i] in ("clash", "security_operation") else 0
                r = rnd.random()
                level = "SECRET" if r < 0.01 else ("RESTRICTED" if r < 0.06 else "PUBLIC")
                w.writerow(
                    [
                        f"B{start + i}",
                        f"{year}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
                        ps[i],
                        rnd.choice(PROVINCES[ps[i]][1]),
                        ts[i],
                        acs[i],
                        "",
                        civ,
                        sec,
                        mil,
                        int(rnd.expovariate(0.3)),
                        1 if ts[i] == "kidnapping" else "",
                        level,
                    ]
                )


QUERIES = [
    ("by year", "year", analytics.Filters()),
    (
        "by quarter 2015-2024",
        "quarter",
        analytics.Filters(
            analytics.parse_period_bound("2015", end=False), analytics.parse_period_bound("2024", end=True)
        ),
    ),
    (
        "by month 2023, KP",
        "month",
        analytics.Filters(
            analytics.parse_period_bound("2023", end=False),
            analytics.parse_period_bound("2023", end=True),
            "PK-KP",
        ),
    ),
    ("by province", "province", analytics.Filters()),
    ("by district, Balochistan", "district", analytics.Filters(province="PK-BA")),
    ("by type 2020-2025", "type", analytics.Filters(analytics.parse_period_bound("2020", end=False))),
    ("by actor", "actor", analytics.Filters()),
    ("by year, bombings only", "year", analytics.Filters(event_types=("bombing", "suicide_bombing"))),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--rows", type=int, default=3_000_000)
    ap.add_argument("--db", default=None, help="database URL (default: a temporary SQLite file)")
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--rows-engine", action="store_true", help="also time the row store (no cube)")
    ap.add_argument("--import-only", action="store_true", help="measure the import only")
    ap.add_argument("--keep", action="store_true", help="keep the generated file and SQLite database")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="nigran-bench-"))
    url = args.db or os.environ.get("NIGRAN_DATABASE_URL") or f"sqlite:///{tmp / 'bench.db'}"
    src = tmp / "incidents.csv"
    t0 = time.perf_counter()
    generate(src, args.rows)
    print(
        f"generated {args.rows:,} rows in {time.perf_counter() - t0:.1f}s ({src.stat().st_size / 1e6:.0f} MB)"
    )
    db = Database(url)
    db.upgrade()
    from nigran.incidents.importer import import_file

    analyst = Principal("bench-analyst", Role.ANALYST, Classification.SECRET)
    t0, cpu0 = time.perf_counter(), time.process_time()
    with db.session(analyst) as s:
        res = import_file(s, src, "csv", overrides={"dataset": "bench"}, parallel=True)
    dt = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    print(
        f"import ({db.dialect}): {res.inserted:,} rows in {dt:.1f}s wall = {res.inserted / dt:,.0f} rows/s "
        f"({cpu:.1f}s CPU in this process)",
        flush=True,
    )
    try:
        if not args.import_only:
            _queries(db, analyst, args)
    finally:
        db.dispose()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


def _queries(db: Database, analyst: Principal, args: argparse.Namespace) -> None:
    readers = {"public": Principal.anonymous(), "secret analyst": analyst}
    engines = ["auto", "rows"] if args.rows_engine else ["auto"]
    print(f"{'query':32} {'reader':15} {'engine':6} {'p50 ms':>8} {'p95 ms':>8}")
    for name, by, f in QUERIES:
        for who, principal in readers.items():
            for engine in engines:
                times = []
                for _ in range(args.repeat if engine == "auto" else max(3, args.repeat // 5)):
                    t0 = time.perf_counter()
                    with db.session(principal) as s:
                        analytics.summary(s, by, f, engine=engine)
                    times.append((time.perf_counter() - t0) * 1000)
                times.sort()
                p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
                used = engine if engine != "auto" else ("cube" if analytics.can_use_cube(by, f) else "rows")
                print(f"{name:32} {who:15} {used:6} {statistics.median(times):8.1f} {p95:8.1f}", flush=True)
    with db.session(Principal.system()) as s:
        from sqlalchemy import func, select

        from nigran.incidents.models import IncidentCube

        print(f"cube cells: {s.scalar(select(func.count()).select_from(IncidentCube)):,}")


if __name__ == "__main__":
    main()

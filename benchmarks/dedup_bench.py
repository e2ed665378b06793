"""De-duplication speed: candidate search over a synthetic incident table with cross-dataset duplicates.

Usage: python benchmarks/dedup_bench.py [--rows 300000] [--dup-share 0.1] [--db sqlite:///dedup.db]

Generates ``rows`` incidents (ACLED-like, 2015-2024, 165 districts weighted like Pakistan's conflict
geography, several incidents per busy district-day) and copies ``dup-share`` of them as a second dataset
("ucdp-ged": same district, the same or the next day, casualties a little off). Then times
``find_candidates`` for one month, one year and the whole table (median of 3) and reports how many of the
planted duplicates were proposed (recall) and how many proposals were not planted (extra).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import insert

from nigran.access.principal import Principal
from nigran.geo.gazetteer import Gazetteer
from nigran.incidents import dedup
from nigran.incidents.models import Incident, IncidentSource
from nigran.storage.db import Database

TYPES = ["armed_assault", "bombing", "clash", "security_operation", "targeted_killing", "suicide_bombing",
         "kidnapping", "infrastructure_attack", "cross_border_attack", "other"]  # fmt: skip
TYPE_WEIGHTS = [25, 20, 15, 15, 10, 3, 5, 3, 2, 2]
CHUNK = 5000


def _insert(s, rows: list[dict]) -> list[int]:  # type: ignore[no-untyped-def,type-arg]
    stmt = insert(Incident).returning(Incident.id, sort_by_parameter_order=True)
    return [
        i for start in range(0, len(rows), CHUNK) for i in s.scalars(stmt, rows[start : start + CHUNK]).all()
    ]


def generate(db: Database, rows: int, dup_share: float, seed: int = 7) -> set[tuple[int, int]]:
    rnd = random.Random(seed)
    gz = Gazetteer.bundled()
    districts = [d for d in gz.districts if d.lat is not None]
    weights = [8 if d.province_code == "PK-KP" else 4 if d.province_code == "PK-BA" else 1 for d in districts]
    start, days = date(2015, 1, 1), 3650
    base, planted = [], []
    for i in range(rows):
        d = rnd.choices(districts, weights)[0]
        day = start + timedelta(days=rnd.randrange(days))
        killed = rnd.choice([0, 0, 1, 1, 2, 3, 4, 5, 7, 10, 15, 25])
        kind = rnd.choices(TYPES, TYPE_WEIGHTS)[0]
        base.append({"date": day, "year": day.year, "month": day.month, "province_code": d.province_code,
                     "district_code": d.code, "event_type": kind, "killed": killed,
                     "injured": rnd.choice([None, 0, 2, 5, 12]), "lat": d.lat + rnd.uniform(-0.2, 0.2),
                     "lon": d.lon + rnd.uniform(-0.2, 0.2), "date_precision": "day"})  # fmt: skip
        if rnd.random() < dup_share:
            copy = dict(base[-1])
            copy["date"] = day + timedelta(days=rnd.choice([0, 0, 1]))
            copy["year"], copy["month"] = copy["date"].year, copy["date"].month
            copy["killed"] = max(0, killed + rnd.choice([-1, 0, 0, 1, 2]))
            copy["injured"] = None
            planted.append((i, copy))
    with db.session(Principal.system()) as s:
        ids = _insert(s, base)
        dup_ids = _insert(s, [c for _, c in planted])
        sources = [
            {"incident_id": iid, "dataset": "acled", "source_id": f"A{iid}", "row_hash": "x"} for iid in ids
        ]
        sources += [{"incident_id": iid, "dataset": "ucdp-ged", "source_id": f"U{iid}", "row_hash": "x"}
                    for iid in dup_ids]  # fmt: skip
        for start in range(0, len(sources), CHUNK):
            s.execute(insert(IncidentSource), sources[start : start + CHUNK])
    return {(min(ids[i], d), max(ids[i], d)) for (i, _), d in zip(planted, dup_ids, strict=True)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=300_000)
    ap.add_argument("--dup-share", type=float, default=0.1)
    ap.add_argument("--db")
    args = ap.parse_args()
    url = args.db or f"sqlite:///{Path(tempfile.mkdtemp()) / 'dedup.db'}"
    db = Database(url)
    db.upgrade()
    t = time.perf_counter()
    planted = generate(db, args.rows, args.dup_share)
    print(
        f"generated {args.rows:,} incidents + {len(planted):,} duplicates in {time.perf_counter() - t:.1f} s"
    )
    windows = {
        "one month": (date(2020, 6, 1), date(2020, 6, 30)),
        "one year": (date(2020, 1, 1), date(2020, 12, 31)),
        "all ten years": (None, None),
    }
    for label, (start, end) in windows.items():
        samples, found = [], []
        for _ in range(3):
            with db.session(Principal.system()) as s:
                t = time.perf_counter()
                found = dedup.find_candidates(s, date_from=start, date_to=end)
                samples.append(time.perf_counter() - t)
        pairs = {(c.first_id, c.second_id) for c in found}
        if start is None:
            recall = len(pairs & planted) / len(planted)
            extra = len(pairs - planted)
            median = statistics.median(samples)
            print(f"{label}: {median:.2f} s, {len(found):,} candidates, recall of planted duplicates "
                  f"{recall:.1%}, {extra:,} unplanted pairs proposed")  # fmt: skip
        else:
            print(f"{label}: {statistics.median(samples) * 1000:.0f} ms, {len(found):,} candidates")
    db.dispose()


if __name__ == "__main__":
    main()

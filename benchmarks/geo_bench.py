"""Gazetteer speed: load, then resolving 10,000 names and locating 10,000 points (medians of 5 runs).

Usage: python benchmarks/geo_bench.py [UCDP_CSV]

Three name workloads: real names (UCDP adm_2 and where_coordinates, repeated as in an import), 10,000
distinct misspellings that miss every exact table (worst case: each goes to fuzzy matching), each timed on a
fresh gazetteer (cold cache) and again on the same one (warm cache).
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

from nigran.geo.evaluate import read_ucdp
from nigran.geo.gazetteer import Gazetteer

UCDP = Path(__file__).resolve().parents[2] / "shared" / "data" / "ucdp" / "ged221_pakistan.csv"
N = 10_000


def timed(fn, runs: int = 5) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def misspell(name: str, rng: random.Random) -> str:
    i = rng.randrange(1, max(2, len(name) - 1))
    return name[:i] + rng.choice("aeiouhkl") + name[i + 1 :]


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else UCDP
    rng = random.Random(7)
    load = timed(Gazetteer.from_units_yaml)
    gz = Gazetteer.from_units_yaml()
    rows = read_ucdp(path)
    real = [(r["adm_2"] or r["where_coordinates"], r["adm_1"]) for r in rows]
    real = (real * (N // len(real) + 1))[:N]
    districts = [u.name for u in gz.districts]
    typos = list({misspell(rng.choice(districts), rng) for _ in range(N * 2)})[:N]
    points = [(float(r["latitude"]), float(r["longitude"])) for r in rows]
    points = (points * (N // len(points) + 1))[:N]

    def run_names(names, fresh: bool) -> float:  # type: ignore[no-untyped-def]
        def go() -> None:
            g = Gazetteer.from_units_yaml() if fresh else gz
            t = time.perf_counter()
            for item in names:
                g.resolve(*item) if isinstance(item, tuple) else g.resolve(item)
            go.elapsed = time.perf_counter() - t  # type: ignore[attr-defined]

        samples = []
        for _ in range(5):
            go()
            samples.append(go.elapsed)  # type: ignore[attr-defined]
        return statistics.median(samples)

    print(f"load (yaml + tehsils + GeoNames places + index): {load * 1000:.0f} ms")
    print(f"10,000 real UCDP names, cold cache: {run_names(real, True) * 1000:.1f} ms")
    print(f"10,000 real UCDP names, warm cache: {run_names(real, False) * 1000:.1f} ms")
    print(f"10,000 distinct misspellings, cold cache: {run_names(typos, True) * 1000:.1f} ms")
    print(f"10,000 distinct misspellings, warm cache: {run_names(typos, False) * 1000:.1f} ms")
    randoms = [(rng.uniform(24.5, 36.5), rng.uniform(61.5, 77.0)) for _ in range(N)]

    def run_points(pts, fresh: bool) -> float:  # type: ignore[no-untyped-def]
        samples = []
        for _ in range(5):
            g = Gazetteer.from_units_yaml() if fresh else gz
            t = time.perf_counter()
            for a, b in pts:
                g.locate(a, b)
            samples.append(time.perf_counter() - t)
        return statistics.median(samples)

    print(f"10,000 UCDP points, cold cache: {run_points(points, True) * 1000:.0f} ms")
    print(f"10,000 distinct random points, cold cache: {run_points(randoms, True) * 1000:.0f} ms")
    print(f"10,000 distinct random points, warm cache: {run_points(randoms, False) * 1000:.0f} ms")


if __name__ == "__main__":
    main()

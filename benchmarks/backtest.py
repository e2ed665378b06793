"""Backtest speed and skill on the real UCDP GED extract for Pakistan (1989-2021).

Usage: python benchmarks/backtest.py [--start 2012] [--end 2021] [--repeat 3] [--json FILE]

Imports ``../shared/data/ucdp/ged221_pakistan.csv`` through the same importer as ``nigran incidents import``
into a temporary SQLite database, builds the district panel, and runs the full rolling-origin backtest
(every model, horizons 1-3, origins January ``start`` to December ``end``) ``repeat`` times. Prints the panel
build time, the backtest's wall-clock and CPU time (median of the repeats) and the backtest table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from nigran.access.principal import Principal
from nigran.storage.db import Database

UCDP = Path(__file__).resolve().parents[2] / "shared" / "data" / "ucdp" / "ged221_pakistan.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", type=int, default=2012)
    parser.add_argument("--end", type=int, default=2021)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    from nigran.incidents.importer import import_stream
    from nigran.reference import load_admin_units, load_entities
    from nigran.risk.backtest import backtest
    from nigran.risk.forecast_cli import print_backtest
    from nigran.risk.panel import build_panel

    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/bench.db")
        db.upgrade()
        with db.session(Principal.system()) as s:
            load_admin_units(s)
            load_entities(s)
            import_stream(s, UCDP.read_bytes(), UCDP.name, "ucdp-ged")
        with db.session(Principal.anonymous(), readonly=True) as s:
            build_panel(s)  # warm (the boundary adjacency is computed once per process)
            began = time.perf_counter()
            panel = build_panel(s)
            panel_s = time.perf_counter() - began
        db.dispose()
    print(f"panel: {len(panel.codes)} districts x {len(panel.months)} months, "
          f"{int(panel.incidents.sum())} incidents, built in {panel_s:.3f} s")  # fmt: skip
    walls, cpus, result = [], [], None
    for i in range(args.repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = backtest(
            panel.truncated(panel.end), args.start, args.end
        )  # a fresh copy: no cached features
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        print(f"run {i + 1}: {walls[-1]:.1f} s wall, {cpus[-1]:.1f} s CPU", flush=True)
    assert result is not None
    print(f"backtest {args.start}-{args.end}, {result.origins} origins x 3 horizons x 5 models x 2 measures: "
          f"median {statistics.median(walls):.1f} s wall, {statistics.median(cpus):.1f} s CPU")  # fmt: skip
    summary = result.as_dict()
    print_backtest(summary)
    if args.json is not None:
        args.json.write_text(json.dumps(summary, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()

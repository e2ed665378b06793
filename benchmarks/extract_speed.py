"""Throughput of the default (rule-based, CPU) extractor: documents per second, median of 5 runs.

Usage: ``python benchmarks/extract_speed.py [FILE.jsonl ...] [--runs 5] [--min-docs 1000]``. The texts of the
development set (``benchmarks/extraction/dev*.jsonl``) are repeated until a run holds at least
``--min-docs`` documents; the one-off start-up (gazetteer, actor registry, compiled patterns) is timed apart.
Both wall-clock and CPU-time rates are printed: on a shared machine (the load average is printed too) the
CPU-time rate is the one that says what one free core does.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _arg(argv: list[str], name: str, default: int) -> int:
    return int(argv[argv.index(name) + 1]) if name in argv else default


def main(argv: list[str]) -> int:
    runs, min_docs = _arg(argv, "--runs", 5), _arg(argv, "--min-docs", 1000)
    skip = {argv[i + 1] for i, a in enumerate(argv) if a in ("--runs", "--min-docs")}
    files = [Path(a) for a in argv if not a.startswith("--") and a not in skip]
    files = files or sorted((HERE / "extraction").glob("dev*.jsonl"))
    docs = []
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                d = json.loads(line)
                docs.append(
                    (d["text"], date.fromisoformat(d["published"][:10]) if d.get("published") else None)
                )
    if not docs:
        print("no documents", file=sys.stderr)
        return 1
    batch = (docs * (min_docs // len(docs) + 1))[: max(min_docs, len(docs))]
    started = time.perf_counter()
    from nigran.extract.engine import extract_document

    extract_document(docs[0][0], docs[0][1])
    startup = time.perf_counter() - started
    rates, cpu_rates = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        found = sum(len(extract_document(text, published)) for text, published in batch)
        rates.append(len(batch) / (time.perf_counter() - t))
        cpu_rates.append(len(batch) / (time.process_time() - c))
    chars = sum(len(t) for t, _ in batch) / len(batch)
    print(
        f"{len(batch)} documents a run ({len(docs)} distinct, {chars:.0f} characters on average), "
        f"{found} incidents"
    )
    print(f"start-up {startup:.2f} s; runs: " + ", ".join(f"{r:.0f}" for r in rates) + " docs/s")
    print(
        f"median {statistics.median(rates):.0f} documents/s (wall clock); "
        f"{statistics.median(cpu_rates):.0f} documents per CPU-second (one core; what an idle core gives)"
    )
    try:
        import os

        print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Benchmark: time to gather, render HTML and typeset PDF of the annual review, both editions.

Usage:
    python benchmarks/report_bench.py [--repeat 3] [--indicators 5000] [--skip-big]

Two databases (temporary SQLite files): the demo (``seed_demo``, NSP-2022) and a synthetic framework of
``--indicators`` indicators (10 sections, 10 indicators per objective, one action with 4 milestones per
objective, 10% RESTRICTED and 3% SECRET objectives, leads spread over the bundled entities). Reports are
produced through the same service the CLI calls. Prints medians in seconds and the PDF's page count.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import tempfile
import time
import warnings
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from nigran.access.classification import Classification
from nigran.access.principal import Principal, Role
from nigran.reports.model import Edition
from nigran.reports.render import render_html, render_pdf
from nigran.reports.service import annual_report
from nigran.storage.db import Database

ADMIN = Principal("bench", Role.ADMINISTRATOR, Classification.SECRET)
TODAY = date(2026, 4, 1)


def synthetic(indicators: int, entities: list[str], seed: int = 3) -> dict[str, Any]:
    rnd = random.Random(seed)
    per_objective, sections = 10, 10
    objectives = max(1, indicators // per_objective)
    doc_sections = []
    for s in range(sections):
        objs = []
        for o in range(objectives // sections):
            code = f"BIG.S{s}.O{o}"
            level = rnd.choices(["PUBLIC", "RESTRICTED", "SECRET"], [0.87, 0.10, 0.03])[0]
            owner = rnd.choice(entities)
            objs.append({
                "code": code,
                "title": f"Synthetic objective {s}.{o} on strengthening institutional capacity",
                "classification": level,
                "indicators": [
                    {"code": f"{code}.I{i}", "name": f"Synthetic indicator {s}.{o}.{i}", "unit": "count",
                     "direction": rnd.choice(["increase", "decrease"]),
                     "baseline": {"value": 100.0, "date": date(2021, 12, 31)},
                     "targets": {2024: 110.0, 2026: 130.0},
                     "responsible": [{"entity": rnd.choice(entities), "role": "lead"}]}
                    for i in range(per_objective)
                ],
                "actions": [{
                    "code": f"{code}.A1", "title": f"Synthetic action {s}.{o}", "owner": owner,
                    "due": date(2026, 6, 30), "status": "in_progress",
                    "milestones": [
                        {"code": f"{code}.A1.M{m}", "title": f"Synthetic milestone {m}",
                         "due": date(2023 + m, 6, 30), "status": "in_progress"}
                        for m in range(4)
                    ],
                }],
            })  # fmt: skip
        doc_sections.append({"code": f"BIG.S{s}", "title": f"Synthetic section {s}", "objectives": objs})
    return {
        "framework": {
            "code": "BIG",
            "title": "Synthetic framework for benchmarking",
            "period": {"start": date(2022, 1, 1), "end": date(2026, 12, 31)},
            "sections": doc_sections,
        }
    }


def median_time(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def pages(pdf: bytes, folder: Path) -> int:
    path = folder / "bench.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def bench(db: Database, code: str, repeat: int, folder: Path) -> None:
    for edition in Edition:
        gather, report = median_time(
            lambda e=edition: annual_report(db, ADMIN, code, 2025, e, today=TODAY), repeat
        )
        html_t, html = median_time(lambda r=report: render_html(r), repeat)
        pdf_t, pdf = median_time(lambda h=html: render_pdf(h), repeat)
        print(
            f"{code:10} {edition.value:10} objectives={report.headline.objectives_total:5} "
            f"gather={gather:6.2f}s html={html_t:6.3f}s ({len(html) // 1024} KiB) "
            f"pdf={pdf_t:6.2f}s ({pages(pdf, folder)} pages) total={gather + html_t + pdf_t:6.2f}s"
        )


def main() -> None:
    warnings.simplefilter("ignore")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--indicators", type=int, default=5000)
    parser.add_argument("--skip-big", action="store_true")
    args = parser.parse_args()
    from nigran.demo import seed_demo
    from nigran.policy.service import load_document
    from nigran.reference import bundled_entity_codes

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = Database(f"sqlite:///{folder / 'demo.db'}")
        db.upgrade()
        with db.session(Principal.system()) as s:
            seed_demo(s)
        bench(db, "NSP-2022", args.repeat, folder)
        if args.skip_big:
            return
        big = Database(f"sqlite:///{folder / 'big.db'}")
        big.upgrade()
        with big.session(Principal.system()) as s:
            from nigran.reference import load_admin_units, load_entities

            load_admin_units(s)
            load_entities(s)
        start = time.perf_counter()
        with big.session(Principal.system()) as s:
            load_document(s, synthetic(args.indicators, sorted(bundled_entity_codes())), "synthetic")
        print(
            f"loaded synthetic framework ({args.indicators} indicators) in {time.perf_counter() - start:.1f}s"
        )
        bench(big, "BIG", args.repeat, folder)


if __name__ == "__main__":
    main()

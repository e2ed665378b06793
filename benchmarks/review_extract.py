"""Throughput of extraction into the review queue: the real extractor, candidates written and matched against
the incident database, on SQLite — 300 short two-incident reports per run, median of three runs.

    python benchmarks/review_extract.py
"""

from __future__ import annotations

import hashlib
import statistics
import tempfile
import time
from datetime import date

from nigran.access.principal import Principal
from nigran.extract import service
from nigran.news.models import Article
from nigran.reference import load_admin_units
from nigran.storage.db import Database

REPORT = (
    "QUETTA: {n} policemen were martyred and eight people injured when militants stormed a check post in "
    "Mastung late on Friday. Two attackers were killed in the exchange of fire. No group has claimed the "
    "attack. In a separate incident, a roadside bomb wounded three soldiers in Kech on Saturday. Ref {i}."
)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{folder}/b.db")
        db.upgrade()
        with db.session(Principal.system()) as session:
            load_admin_units(session)
        extractor = service.default_extractor()
        rates = []
        for run in range(3):
            with db.session(Principal.system()) as session:
                ids = []
                for i in range(300):
                    text = REPORT.format(n=(i % 9) + 2, i=f"{run}-{i}")
                    article = Article(
                        content_hash=hashlib.sha256(text.encode()).hexdigest(), text=text, source_kind="text",
                        language="en", published=date(2024, 11, 16),
                    )  # fmt: skip
                    session.add(article)
                    session.flush()
                    ids.append(article.id)
            started = time.perf_counter()
            with db.session(Principal.system()) as session:
                summary = service.extract_articles(session, ids, extractor=extractor)
            rates.append(len(ids) / (time.perf_counter() - started))
            print(f"{summary.line()}: {rates[-1]:.0f} articles/s")
        db.dispose()
    print(f"median {statistics.median(rates):.0f} articles/s")


if __name__ == "__main__":
    main()

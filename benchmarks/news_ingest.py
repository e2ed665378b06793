"""Throughput of news ingest, read and stored on SQLite: JSONL (the SATP narratives) and HTML pages
(trafilatura, the Dawn-style fixture in 200 variants). Median of three runs.

    python benchmarks/news_ingest.py        (from the repository root; reads ../shared/data/satp/)
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

from nigran.access.principal import Principal
from nigran.news.readers import read_bytes
from nigran.news.service import ingest
from nigran.storage.db import Database

ROOT = Path(__file__).resolve().parents[1]
SATP = ROOT.parent / "shared" / "data" / "satp"


def inputs() -> dict[str, list[tuple[str, bytes]]]:
    texts = []
    for split in ("train", "dev"):
        with open(SATP / f"{split}.tsv", encoding="utf-8") as fh:
            texts += [line.split("\t")[0] for line in fh]
    lines = (json.dumps({"id": str(i), "text": t, "published": "2024-01-01"}) for i, t in enumerate(texts))
    page = (ROOT / "tests" / "fixtures" / "news" / "dawn-mastung.html").read_text()
    pages = [
        (f"p{i}.html", page.replace("Five policemen were martyred", f"{i} policemen were martyred").encode())
        for i in range(200)
    ]
    return {"jsonl": [("x.jsonl", "\n".join(lines).encode())], "html": pages}


def run(files: list[tuple[str, bytes]]) -> tuple[int, float, float]:
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{folder}/n.db")
        db.upgrade()
        started = time.perf_counter()
        docs = [doc for name, content in files for doc in read_bytes(name, content)]
        read = time.perf_counter() - started
        with db.session(Principal.system()) as session:
            stored = len(ingest(session, docs).stored)
        total = time.perf_counter() - started
        db.dispose()
    return stored, stored / read, stored / total


def main() -> None:
    for kind, files in inputs().items():
        results = [run(files) for _ in range(3)]
        read = statistics.median(r[1] for r in results)
        both = statistics.median(r[2] for r in results)
        print(f"{kind}: {results[0][0]} documents; read {read:.0f}/s; read and stored {both:.0f}/s")


if __name__ == "__main__":
    main()

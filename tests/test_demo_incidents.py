"""The demo's incidents are the real UCDP GED 22.1 events in Pakistan, imported by the ordinary importer."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import func, select

from nigran.access.classification import Classification
from nigran.access.principal import Principal
from nigran.core.paths import data_path
from nigran.demo import demo_blockers, demo_incidents_bytes, seed_demo
from nigran.incidents.importer import import_stream
from nigran.incidents.models import ImportBatch, Incident
from nigran.storage.db import Database

FIXTURES = Path(__file__).parent / "fixtures" / "incidents"

# Sums of UCDP's `best` fatality estimate by year, as published with the extract (../shared/data/README.md).
PUBLISHED_BEST = {
    2007: 1366, 2008: 4620, 2009: 7460, 2010: 7226, 2011: 3475, 2012: 3541, 2013: 2914, 2014: 3620,
    2015: 2450, 2016: 1100, 2017: 954, 2018: 483, 2019: 293, 2020: 409, 2021: 448,
}  # fmt: skip


def test_the_demo_holds_the_6416_real_events_as_public_incidents(demo_db: Database) -> None:
    with demo_db.session(Principal.anonymous(), readonly=True) as s:  # what the public portal may count
        assert s.scalar(select(func.count(Incident.id))) == 6416
        rows = s.execute(select(Incident.year, func.sum(Incident.killed)).group_by(Incident.year)).all()
        batch = s.scalars(select(ImportBatch)).one()
        described = (batch.dataset, batch.dataset_version, batch.inserted, batch.classification)
    by_year = {year: total for year, total in rows}
    assert {y: by_year[y] for y in PUBLISHED_BEST} == PUBLISHED_BEST
    assert min(by_year) == 1989 and max(by_year) == 2021
    assert described == ("ucdp-ged", "22.1", 6416, Classification.PUBLIC)


def test_the_demo_is_not_imported_twice_and_blocks_nothing(demo_db: Database) -> None:
    with demo_db.session(Principal.system()) as s:
        seed_demo(s)
    with demo_db.session(Principal.system(), readonly=True) as s:
        assert s.scalar(select(func.count(ImportBatch.id))) == 1
        assert s.scalar(select(func.count(Incident.id))) == 6416
        assert demo_blockers(s) == []


def test_incidents_that_are_not_the_demos_still_block_the_demo(demo_db: Database) -> None:
    with demo_db.session(Principal.system()) as s:
        result = import_stream(s, (FIXTURES / "acled_small.csv").read_bytes(), "acled_small.csv", "acled")
    assert result.inserted > 0
    with demo_db.session(Principal.system(), readonly=True) as s:
        assert demo_blockers(s) == [f"{result.inserted} incident{'' if result.inserted == 1 else 's'}"]


def test_the_bundled_extract_is_the_shared_file_with_its_attribution(shared_data: Path) -> None:
    original = (shared_data / "ucdp" / "ged221_pakistan.csv").read_bytes()
    assert hashlib.sha256(demo_incidents_bytes()).digest() == hashlib.sha256(original).digest()
    readme = data_path("demo", "README.md").read_text(encoding="utf-8")
    for needle in ("CC BY 4.0", "Sundberg", "Melander", "UCDP", "22.1"):
        assert needle in readme
    assert data_path("demo", "ged221_pakistan.csv.gz").stat().st_size < 600_000

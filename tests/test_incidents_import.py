"""Imports of the real UCDP GED extract and of small ACLED, GTD and CSV fixtures: totals, idempotency,
bad rows."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from nigran.access.classification import Classification
from nigran.access.errors import AccessDenied
from nigran.access.principal import Principal, Role
from nigran.audit.models import AuditEntry
from nigran.core.problems import InvalidInput
from nigran.incidents import cube
from nigran.incidents.importer import import_file
from nigran.incidents.mappings import load_overrides
from nigran.incidents.models import Actor, ImportBatch, Incident, IncidentCube, IncidentSource
from nigran.storage.db import Database

FIXTURES = Path(__file__).parent / "fixtures" / "incidents"
ANALYST = Principal("ana", Role.ANALYST, Classification.SECRET)
#: Sums of `best` by year from the README of the shared UCDP GED 22.1 Pakistan extract.
UCDP_BEST = {
    2007: 1366,
    2008: 4620,
    2009: 7460,
    2010: 7226,
    2011: 3475,
    2012: 3541,
    2013: 2914,
    2014: 3620,
    2015: 2450,
    2016: 1100,
    2017: 954,
    2018: 483,
    2019: 293,
    2020: 409,
    2021: 448,
}


def _ucdp(shared_data: Path) -> Path:
    return shared_data / "ucdp" / "ged221_pakistan.csv"


def test_real_ucdp_extract_imports_cleanly_and_matches_published_totals(
    db: Database, shared_data: Path
) -> None:
    with db.session(ANALYST) as s:
        result = import_file(s, _ucdp(shared_data), "ucdp-ged")
    assert (result.rows_read, result.inserted, result.rejected, result.skipped) == (6416, 6416, 0, 0)
    assert result.dataset_version == "22.1"
    with db.session(Principal.anonymous()) as s:
        totals = dict(
            s.execute(select(Incident.year, func.sum(Incident.killed)).group_by(Incident.year)).all()
        )
        assert {y: totals[y] for y in UCDP_BEST} == UCDP_BEST
        assert (
            s.scalar(select(func.count()).select_from(Incident).where(Incident.province_code.is_(None))) == 0
        )
        resolved = s.scalar(
            select(func.count()).select_from(Incident).where(Incident.district_code.isnot(None))
        )
        assert resolved / 6416 > 0.95
        # FATA agencies land in Khyber Pakhtunkhwa's merged districts
        fata = s.execute(
            select(Incident.province_code).where(Incident.province == "Federally Administered Tribal Areas")
        )
        assert {p for (p,) in fata} == {"PK-KP"}
        ttp = s.scalar(select(Actor.id).where(Actor.code == "TTP"))
        assert s.scalar(select(func.count()).select_from(Incident).where(Incident.actor_id == ttp)) > 3000
        src = s.scalar(select(IncidentSource).where(IncidentSource.source_id == "59553"))
        assert (
            src is not None and src.raw["side_a"] == "Government of India" and src.dataset_version == "22.1"
        )
        assert "#date+year" not in {s.raw.get("year") for s in s.scalars(select(IncidentSource).limit(5))}
        # the cube agrees with the rows it summarises
        got = {
            (r.dim, r.year, r.month, r.province_code, r.key, int(r.classification)): r.killed
            for r in s.scalars(select(IncidentCube))
        }
        want = {
            (r["dim"], r["year"], r["month"], r["province_code"], r["key"], r["classification"]): r["killed"]
            for r in cube.rebuild_rows(s)
        }
        assert got == want


def test_reimport_changes_nothing_and_newer_version_updates(
    db: Database, shared_data: Path, tmp_path: Path
) -> None:
    with db.session(ANALYST) as s:
        import_file(s, _ucdp(shared_data), "ucdp-ged")
    with db.session(Principal.system()) as s:
        audit_before = s.scalar(select(func.count()).select_from(AuditEntry))
        batches_before = s.scalar(select(func.count()).select_from(ImportBatch))
    with db.session(ANALYST) as s:
        again = import_file(s, _ucdp(shared_data), "ucdp-ged")
    assert (again.inserted, again.updated, again.unchanged, again.batch_id) == (0, 0, 6416, None)
    with db.session(Principal.system()) as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == audit_before
        assert s.scalar(select(func.count()).select_from(ImportBatch)) == batches_before
    # a "newer release": one event's death toll revised, one event added
    rows = list(csv.reader(_ucdp(shared_data).open(encoding="utf-8")))
    header = rows[0]
    best, ident = header.index("best"), header.index("id")
    target = rows[2]
    target[best] = str(int(target[best]) + 10)
    extra = list(rows[3])
    extra[ident] = "999999999"
    newer = tmp_path / "ged231_pakistan.csv"
    with newer.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([*rows, extra])
    with db.session(ANALYST) as s:
        result = import_file(s, newer, "ucdp-ged")
    assert (result.inserted, result.updated, result.unchanged) == (1, 1, 6415)
    assert result.dataset_version == "23.1"
    with db.session(ANALYST) as s:
        src = s.scalar(select(IncidentSource).where(IncidentSource.source_id == target[ident]))
        assert src.incident.killed == int(target[best]) and src.dataset_version == "23.1"
        assert s.scalar(select(func.count()).select_from(Incident)) == 6417
        updates = s.scalars(
            select(AuditEntry).where(AuditEntry.table_name == "incident", AuditEntry.action == "update")
        )
        assert [e.record_id for e in updates] == [str(src.incident_id)]


def test_acled_fixture(db: Database) -> None:
    with db.session(ANALYST) as s:
        result = import_file(s, FIXTURES / "acled_small.csv", "acled")
    assert (result.inserted, result.skipped) == (5, 1)  # the peaceful protest is out of scope
    with db.session(ANALYST) as s:
        by_id = {src.source_id: src.incident for src in s.scalars(select(IncidentSource))}
        assert by_id["PAK1001"].event_type == "clash" and by_id["PAK1001"].killed == 6
        assert by_id["PAK1001"].district_code == "PK-KP-NWZ"
        assert (
            by_id["PAK1002"].event_type == "suicide_bombing"
            and by_id["PAK1002"].date.isoformat() == "2021-08-17"
        )
        assert by_id["PAK1002"].actor_ref.code == "TTP"
        assert by_id["PAK1003"].civilians_killed == 2 and by_id["PAK1003"].date_precision == "week"
        assert by_id["PAK1005"].event_type == "security_operation"  # Pakistani air strike
        assert by_id["PAK1006"].event_type == "kidnapping" and by_id["PAK1006"].actor_ref.code == "BLA"


def test_gtd_fixture_csv_and_excel(db: Database, tmp_path: Path) -> None:
    rows = list(csv.reader((FIXTURES / "gtd_small.csv").open(encoding="utf-8")))
    wb = Workbook()
    for row in rows:
        wb.active.append([int(v) if v.lstrip("-").isdigit() and len(v) < 15 else v for v in row])
    xlsx = tmp_path / "gtd.xlsx"
    wb.save(xlsx)
    with db.session(ANALYST) as s:
        from_excel = import_file(s, xlsx, "gtd")
    assert (from_excel.inserted, from_excel.skipped) == (3, 1)  # Jalalabad is not in Pakistan
    with db.session(ANALYST) as s:
        from_csv = import_file(s, FIXTURES / "gtd_small.csv", "gtd")
    assert (from_csv.inserted, from_csv.unchanged) == (0, 3)  # the same rows, whichever the file type
    with db.session(ANALYST) as s:
        by_id = {src.source_id: src.incident for src in s.scalars(select(IncidentSource))}
        first = by_id["201501010001"]
        assert (first.event_type, first.killed, first.militants_killed, first.victims_killed) == (
            "suicide_bombing",
            5,
            1,
            4,
        )
        assert (first.injured, first.hostages, first.claimed, first.actor_ref.code) == (12, None, True, "TTP")
        assert by_id["201502140002"].event_type == "targeted_killing" and by_id["201502140002"].actor is None
        kidnap = by_id["201503000003"]
        assert (kidnap.event_type, kidnap.hostages, kidnap.killed, kidnap.date_precision) == (
            "kidnapping",
            6,
            None,
            "month",
        )
        assert kidnap.claimed is None and kidnap.district_code == "PK-BA-KCH"


def test_generic_csv_with_column_mapping(db: Database) -> None:
    overrides = load_overrides(FIXTURES / "custom_mapping.yaml")
    with db.session(ANALYST) as s:
        result = import_file(s, FIXTURES / "custom.csv", "csv", overrides=overrides)
    assert (result.dataset, result.inserted, result.skipped) == ("thinktank", 2, 1)
    with db.session(ANALYST) as s:
        incidents = {i.sources[0].source_id: i for i in s.scalars(select(Incident))}
        assert incidents["TT-1"].event_type == "bombing" and incidents["TT-1"].actor_ref.code == "TTP"
        assert (incidents["TT-1"].province_code, incidents["TT-1"].district_code) == ("PK-KP", "PK-KP-BJR")
        assert incidents["TT-2"].killed == 2 and incidents["TT-2"].injured == 1


def test_bad_rows_refuse_the_whole_file_listing_every_problem(db: Database) -> None:
    path = FIXTURES / "acled_bad.csv"
    with pytest.raises(InvalidInput) as caught, db.session(ANALYST) as s:
        import_file(s, path, "acled")
    text = str(caught.value)
    assert f"{path}:3: column 'event_date' value '32 August 2021': not a date" in text
    assert "acled_bad.csv:4: column 'event_type/sub_event_type' value 'Battles / Space battle'" in text
    assert "acled_bad.csv:5: column 'fatalities' value '-2': must be a whole number" in text
    assert "acled_bad.csv:6: column 'latitude' value '132.98': out of range" in text
    assert "acled_bad.csv:6: column 'id' value 'PAK2001': duplicate id, first on line 2" in text
    assert len(caught.value.problems) == 5
    with db.session(ANALYST) as s:
        assert s.scalar(select(func.count()).select_from(Incident)) == 0
        assert s.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_skip_invalid_imports_good_rows_and_writes_rejects(db: Database, tmp_path: Path) -> None:
    rejects = tmp_path / "rejects.csv"
    with db.session(ANALYST) as s:
        result = import_file(s, FIXTURES / "acled_bad.csv", "acled", skip_invalid=True, rejects_path=rejects)
    assert (result.inserted, result.rejected) == (1, 4)
    written = list(csv.DictReader(rejects.open(encoding="utf-8")))
    assert [r["line"] for r in written] == ["3", "4", "5", "6"]
    assert "not a date" in written[0]["problems"] and written[0]["event_id_cnty"] == "PAK2002"
    with db.session(ANALYST) as s:
        batch = s.scalar(select(ImportBatch))
        assert (batch.inserted, batch.rejected, batch.rows_read) == (1, 4, 5)
        assert len(batch.file_sha256) == 64


def test_clearance_and_roles_are_enforced_on_import(db: Database) -> None:
    restricted = Principal("rita", Role.ANALYST, Classification.RESTRICTED)
    with pytest.raises(InvalidInput, match="above your clearance"), db.session(restricted) as s:
        import_file(s, FIXTURES / "synthetic.csv", "csv")  # it holds a SECRET row
    with pytest.raises(AccessDenied), db.session(restricted) as s:
        import_file(s, FIXTURES / "custom.csv", "csv", classification=Classification.SECRET)
    with (
        pytest.raises(AccessDenied),
        db.session(Principal("fp", Role.FOCAL_PERSON, Classification.SECRET)) as s,
    ):
        import_file(s, FIXTURES / "acled_small.csv", "acled")


def test_import_batch_is_the_audit_record_of_a_bulk_import(db: Database) -> None:
    with db.session(ANALYST) as s:
        import_file(s, FIXTURES / "acled_small.csv", "acled")
    with db.session(Principal.system()) as s:
        entries = Counter(e.table_name for e in s.scalars(select(AuditEntry)))
        assert entries["import_batch"] == 2  # created, then its counts
        assert entries["incident"] == 0  # rows themselves point to the batch instead
        assert {i.import_batch_id for i in s.scalars(select(Incident))} == {s.scalar(select(ImportBatch.id))}

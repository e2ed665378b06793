"""The forked planning process of large imports gives what the in-process path gives: same rows, hashes,
cube, problems and rejects (forced here on small files by lowering the size threshold)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import func, select

from nigran.access.classification import Classification
from nigran.access.principal import Principal, Role
from nigran.core.problems import InvalidInput
from nigran.incidents import cube, plan, readers
from nigran.incidents.importer import import_file
from nigran.incidents.models import Incident, IncidentCube, IncidentSource
from nigran.storage.db import Database

FIXTURES = Path(__file__).parent / "fixtures" / "incidents"
ANALYST = Principal("ana", Role.ANALYST, Classification.SECRET)


@pytest.fixture
def forked(monkeypatch: pytest.MonkeyPatch, db: Database) -> list[bool]:
    """Every import plans in a second process where it can (SQLite); records each decision."""
    monkeypatch.setattr(plan, "PARALLEL_MIN_BYTES", 0)
    decisions: list[bool] = []
    original = plan.plans

    def spy(planner: plan.Planner, parallel: bool) -> object:
        decisions.append(parallel)
        return original(planner, parallel)

    monkeypatch.setattr("nigran.incidents.importer.plans", spy)
    return decisions


def test_forked_import_matches_rows_cube_and_hashes(
    db: Database, shared_data: Path, forked: list[bool]
) -> None:
    path = shared_data / "ucdp" / "ged221_pakistan.csv"
    with db.session(ANALYST) as s:
        result = import_file(s, path, "ucdp-ged", parallel=True)
    assert forked == [db.dialect == "sqlite"]
    assert (result.rows_read, result.inserted, result.rejected) == (6416, 6416, 0)
    with db.session(Principal.system()) as s:
        assert s.scalar(select(func.count()).select_from(IncidentSource)) == 6416
        src = s.scalar(select(IncidentSource).where(IncidentSource.source_id == "59553"))
        assert src is not None and src.raw["side_a"] == "Government of India"
        assert src.incident.import_line is not None and src.incident.province_code is not None
        got = {
            (r.dim, r.year, r.month, r.province_code, r.key, int(r.classification)): (r.incidents, r.killed)
            for r in s.scalars(select(IncidentCube))
        }
        want = {
            (r["dim"], r["year"], r["month"], r["province_code"], r["key"], r["classification"]): (
                r["incidents"],
                r["killed"],
            )
            for r in cube.rebuild_rows(s)
        }
        assert got == want
    with db.session(ANALYST) as s:  # the row hashes are those of the in-process path: nothing changes
        again = import_file(s, path, "ucdp-ged", parallel=True)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 6416)
    with db.session(ANALYST) as s:
        assert s.scalar(select(func.count()).select_from(Incident)) == 6416


def test_forked_import_lists_every_problem_and_skips_invalid(
    db: Database, tmp_path: Path, forked: list[bool]
) -> None:
    path = FIXTURES / "acled_bad.csv"
    with pytest.raises(InvalidInput) as caught, db.session(ANALYST) as s:
        import_file(s, path, "acled", parallel=True)
    assert len(caught.value.problems) == 5
    assert f"{path}:3: column 'event_date' value '32 August 2021': not a date" in str(caught.value)
    rejects = tmp_path / "rejects.csv"
    with db.session(ANALYST) as s:
        result = import_file(s, path, "acled", skip_invalid=True, rejects_path=rejects, parallel=True)
    assert (result.inserted, result.rejected) == (1, 4)
    assert [r["line"] for r in csv.DictReader(rejects.open(encoding="utf-8"))] == ["3", "4", "5", "6"]
    assert forked == [db.dialect == "sqlite"] * 2


def test_an_unreadable_file_in_the_worker_is_a_problem_with_its_line(
    db: Database, tmp_path: Path, forked: list[bool]
) -> None:
    bad = tmp_path / "latin1.csv"
    bad.write_bytes("id,date,event_type\n1,2021-01-01,bombing\n2,2021-01-02,caf\xe9\n".encode("latin-1"))
    with pytest.raises(InvalidInput) as caught, db.session(ANALYST) as s:
        import_file(s, bad, "csv", parallel=True)
    assert [str(p) for p in caught.value.problems] == [
        f"{bad}:3: byte 0xe9 (character 17) is not utf-8 text: name the file's encoding "
        "(e.g. latin-1, cp1252, utf-16)"
    ]
    assert forked == [db.dialect == "sqlite"]
    with db.session(ANALYST) as s:
        assert s.scalar(select(func.count()).select_from(Incident)) == 0


def test_a_failure_in_the_worker_reaches_the_importer(
    db: Database, tmp_path: Path, forked: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(line: int, raw: dict[str, str], tables: dict[str, object]) -> object:
        raise RuntimeError("parser bug")

    monkeypatch.setitem(readers.PARSERS, "acled", broken)
    with pytest.raises(RuntimeError, match="parser bug"), db.session(ANALYST) as s:
        import_file(s, FIXTURES / "acled_bad.csv", "acled", parallel=True)
    with db.session(ANALYST) as s:
        assert s.scalar(select(func.count()).select_from(Incident)) == 0


def test_services_never_fork_unless_the_caller_allows_it(db: Database, forked: list[bool]) -> None:
    """A web server calls the importer inside a request: it must not fork there (the default)."""
    with db.session(ANALYST) as s:
        import_file(s, FIXTURES / "acled_bad.csv", "acled", skip_invalid=True)
    assert forked == [False]

"""Merges keep what they know: the survivor's blanks never erase another source's figures, the analyst can
choose a figure, unmerge restores exactly, the cube stays equal to a rebuild, and no merge changes what a
less cleared reader sees or names a record they may not see."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from tests.test_dedup import add as add_incident

from nigran.access.classification import Classification
from nigran.access.principal import Principal, Role
from nigran.core.errors import NotFound
from nigran.core.problems import InvalidInput
from nigran.incidents import analytics, cube, dedup
from nigran.incidents.fields import CASUALTY_FIELDS
from nigran.incidents.models import Incident, IncidentCube
from nigran.storage.db import Database

SYSTEM = Principal.system()
ADMIN = Principal("admin", Role.ADMINISTRATOR, Classification.SECRET)
ANALYST = Principal("analyst", Role.ANALYST, Classification.RESTRICTED)
PUBLIC = Principal.anonymous()
DAY = date(2011, 5, 13)


def add(s: Any, *args: Any, hostages: int | None = None, **kw: Any) -> int:
    """An incident with one source that gives the same figures (as an import makes it)."""
    incident_id = add_incident(s, *args, **kw)
    inc = s.get(Incident, incident_id)
    inc.hostages = hostages
    for f in CASUALTY_FIELDS:
        setattr(inc.sources[0], f, getattr(inc, f))
    s.flush()
    return incident_id


def figures(db: Database, incident_id: int) -> dict[str, int | None]:
    with db.session(SYSTEM) as s:
        inc = s.get(Incident, incident_id)
        assert inc is not None
        return {f: getattr(inc, f) for f in CASUALTY_FIELDS}


def cube_matches_rebuild(db: Database) -> bool:
    """Every counter of every cell, figures and known counts included."""
    keys = ("id", "dim", "year", "month", "province_code", "key", "classification")
    counters = [c.name for c in IncidentCube.__table__.c if c.name not in keys]
    with db.session(SYSTEM) as s:
        held = {
            (c.dim, c.year, c.month, c.province_code, c.key, int(c.classification)): tuple(
                getattr(c, k) for k in counters
            )
            for c in s.scalars(select(IncidentCube))
            if any(getattr(c, k) for k in counters)
        }
        want = {
            (r["dim"], r["year"], r["month"], r["province_code"], r["key"], r["classification"]): tuple(
                r.get(k, 0) for k in counters
            )
            for r in cube.rebuild_rows(s)
            if any(r.get(k, 0) for k in counters)
        }
    return held == want


def totals(db: Database, who: Principal) -> dict[str, Any]:
    """What a reader is told for the year, by the cube and by the rows (both must agree)."""
    out = {}
    with db.session(who, readonly=True) as s:
        for engine in ("cube", "rows"):
            rows = analytics.aggregate(s, "year", engine=engine)
            out[engine] = [(r.label, r.values, r.known) for r in rows]
    return out


@pytest.fixture
def charsadda(db: Database) -> tuple[Database, int, int]:
    """The Charsadda FC training centre bombing of 13 May 2011: UCDP gives deaths but no injured; GTD
    gives 130 injured."""
    with db.session(SYSTEM) as s:
        ucdp = add(s, "ucdp-ged", "U9", DAY, "PK-KP-CHR", "suicide_bombing", killed=98)
        gtd = add(s, "gtd", "G9", DAY, "PK-KP-CHR", "suicide_bombing", killed=80, injured=130)
    return db, ucdp, gtd


def test_the_survivors_blank_never_erases_130_injured(charsadda: tuple[Database, int, int]) -> None:
    db, ucdp, gtd = charsadda
    with db.session(ADMIN) as s:
        dedup.merge(s, [ucdp, gtd])
    assert figures(db, ucdp)["injured"] == 130  # was None: the survivor's blank erased GTD's figure
    assert figures(db, ucdp)["killed"] == 98  # the largest known figure
    assert figures(db, gtd)["injured"] == 130 and figures(db, gtd)["killed"] == 80  # its own, kept
    for engine, rows in totals(db, ADMIN).items():
        assert rows == [("2011", rows[0][1], rows[0][2])], engine
        assert rows[0][1]["injured"] == 130 and rows[0][1]["killed"] == 98, engine
    assert cube_matches_rebuild(db)
    with db.session(ADMIN) as s:
        dedup.unmerge(s, gtd)
    assert figures(db, ucdp) == {**dict.fromkeys(CASUALTY_FIELDS), "killed": 98}  # exactly as before
    assert cube_matches_rebuild(db)
    assert totals(db, ADMIN)["rows"][0][1]["injured"] == 130  # GTD's incident counts on its own again


def test_the_analyst_takes_a_figure_from_a_source_or_an_incident(
    charsadda: tuple[Database, int, int],
) -> None:
    db, ucdp, gtd = charsadda
    with db.session(ADMIN) as s:
        dedup.merge(s, [ucdp, gtd], take={"killed": "gtd:G9"})
    assert (figures(db, ucdp)["killed"], figures(db, ucdp)["injured"]) == (80, 130)
    with db.session(ADMIN) as s:
        dedup.unmerge(s, ucdp)
        dedup.merge(s, [ucdp, gtd], take={"injured": str(ucdp)})  # the survivor's own blank, chosen
    assert (figures(db, ucdp)["killed"], figures(db, ucdp)["injured"]) == (98, None)
    assert cube_matches_rebuild(db)


def test_a_bad_choice_is_refused_and_changes_nothing(charsadda: tuple[Database, int, int]) -> None:
    db, ucdp, gtd = charsadda
    for take, says in (
        ({"wounded": "gtd:G9"}, "'wounded' is not a figure"),
        ({"killed": "acled:X1"}, "no incident or source acled:X1"),
    ):
        with pytest.raises(InvalidInput, match=says), db.session(ADMIN) as s:
            dedup.merge(s, [ucdp, gtd], take=take)
        with db.session(SYSTEM) as s:
            assert s.get(Incident, gtd).duplicate_of_id is None  # type: ignore[union-attr]
    assert figures(db, ucdp)["injured"] is None


def test_unmerging_one_of_three_reconciles_the_others(db: Database) -> None:
    with db.session(SYSTEM) as s:
        a = add(s, "ucdp-ged", "U1", DAY, "PK-KP-PES", "bombing", killed=10)
        b = add(s, "gtd", "G1", DAY, "PK-KP-PES", "bombing", killed=8, injured=5)
        c = add(s, "acled", "A1", DAY, "PK-KP-PES", "bombing", killed=12, injured=7)
    with db.session(ADMIN) as s:
        dedup.merge(s, [a, b, c])
    assert (figures(db, a)["killed"], figures(db, a)["injured"]) == (12, 7)
    with db.session(ADMIN) as s:
        dedup.unmerge(s, c)
    assert (figures(db, a)["killed"], figures(db, a)["injured"]) == (10, 5)
    with db.session(ADMIN) as s:
        dedup.unmerge(s, b)
    assert (figures(db, a)["killed"], figures(db, a)["injured"]) == (10, None)
    assert cube_matches_rebuild(db)


def test_a_group_merged_into_another_brings_only_its_members_own_figures(db: Database) -> None:
    with db.session(SYSTEM) as s:
        a = add(s, "ucdp-ged", "U1", DAY, "PK-KP-PES", "bombing", killed=10)
        b = add(s, "gtd", "G1", DAY, "PK-KP-PES", "bombing", injured=5)
        c = add(s, "acled", "A1", DAY, "PK-KP-PES", "bombing", hostages=None, killed=3)
    with db.session(ADMIN) as s:
        dedup.merge(s, [b, c])  # b becomes 3 killed, 5 injured
        dedup.merge(s, [a, b])
    assert figures(db, b)["killed"] is None  # b's own figures, now that it is a duplicate
    assert (figures(db, a)["killed"], figures(db, a)["injured"]) == (10, 5)
    with db.session(ADMIN) as s:
        dedup.unmerge(s, a)
    assert [figures(db, i)["killed"] for i in (a, b, c)] == [10, None, 3]
    assert cube_matches_rebuild(db)


def test_a_public_incident_never_disappears_into_a_secret_one(db: Database) -> None:
    with db.session(SYSTEM) as s:
        public = add(s, "acled", "P1", DAY, "PK-BA-QTA", "bombing", killed=10, injured=4)
        secret = add(s, "article", "S1", DAY, "PK-BA-QTA", "bombing", killed=11, injured=40,
                     level=Classification.SECRET)  # fmt: skip
    public_before = totals(db, PUBLIC)
    with pytest.raises(InvalidInput, match="less classified"), db.session(ADMIN) as s:
        dedup.merge(s, [secret, public])
    assert totals(db, PUBLIC) == public_before
    with db.session(ADMIN) as s:  # the other way round: the public incident survives, unchanged
        dedup.merge(s, [public, secret])
    assert totals(db, PUBLIC) == public_before
    assert (figures(db, public)["killed"], figures(db, public)["injured"]) == (10, 4)
    with pytest.raises(InvalidInput, match="no incident or source article:S1"), db.session(ADMIN) as s:
        dedup.unmerge(s, secret)
        dedup.merge(s, [public, secret], take={"injured": "article:S1"})  # a SECRET figure never reaches it
    assert figures(db, public)["injured"] == 4
    secret_view = totals(db, ADMIN)["rows"][0][1]
    assert secret_view["killed"] == 10  # the group counts once for the cleared reader too
    assert cube_matches_rebuild(db)


def test_no_message_names_a_record_the_reader_may_not_see(db: Database) -> None:
    with db.session(SYSTEM) as s:  # a merge recorded before these rules: public into secret
        secret = add(s, "article", "S2", DAY, "PK-BA-QTA", "bombing", killed=2, level=Classification.SECRET)
        public = add(s, "acled", "P2", DAY, "PK-BA-QTA", "bombing", killed=1)
        other = add(s, "gtd", "G2", DAY, "PK-BA-QTA", "bombing", killed=1)
        s.get(Incident, public).duplicate_of_id = secret  # type: ignore[union-attr]
    with db.session(ANALYST) as s:
        with pytest.raises(NotFound) as caught:
            dedup.group(s, public)
        assert str(caught.value) == f"no incident {public}"  # not the hidden survivor's id
        with pytest.raises(NotFound) as caught:
            dedup.merge(s, [other, public])
        assert str(caught.value) == f"no incident {public}"
        with pytest.raises(NotFound) as caught:
            dedup.merge(s, [other, secret])  # a hidden id is exactly a missing one
        assert str(caught.value) == f"no incident {secret}"

"""``dedup candidates`` filters by district, event type and actor, through the one filter resolver.

A pair is shown when, for each of these filters, at least one of its two incidents matches: two reports of
one event often disagree on exactly these fields (UCDP's coarse type, an actor only one source names).
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select
from tests.test_dedup import SYSTEM, add, dedup_cli_as_analyst

from nigran.core.problems import InvalidInput
from nigran.incidents import dedup
from nigran.incidents.actors import load_actors
from nigran.incidents.models import Actor, Incident
from nigran.storage.db import Database

DAY = date(2023, 9, 29)


@pytest.fixture
def events(db: Database) -> tuple[Database, dict[str, tuple[int, int]]]:
    """Two pairs: Mastung (a bombing by TTP in one source, a coarse 'clash' with no actor in the other) and
    Hangu (two bombings, no actor)."""
    with db.session(SYSTEM) as s:
        load_actors(s)
        ttp = s.scalar(select(Actor.id).where(Actor.code == "TTP"))
        mastung = (
            add(s, "ucdp-ged", "U1", DAY, "PK-BA-MST", "clash", killed=60),
            add(s, "gtd", "G1", DAY, "PK-BA-MST", "bombing", killed=58),
        )
        s.get(Incident, mastung[1]).actor_id = ttp
        hangu = (
            add(s, "ucdp-ged", "U2", DAY, "PK-KP-HNG", "bombing", killed=5),
            add(s, "gtd", "G2", DAY, "PK-KP-HNG", "bombing", killed=5),
        )
    return db, {"mastung": mastung, "hangu": hangu}


def _pairs(db: Database, **kw: object) -> set[tuple[int, int]]:
    with db.session(SYSTEM) as s:
        return {(c.first_id, c.second_id) for c in dedup.find_candidates(s, **kw)}  # type: ignore[arg-type]


def test_a_pair_is_shown_when_one_of_its_incidents_matches_each_filter(events) -> None:  # type: ignore[no-untyped-def]
    db, ids = events
    mastung, hangu = ids["mastung"], ids["hangu"]
    assert _pairs(db) == {mastung, hangu}
    assert _pairs(db, district="Mastung") == {mastung}
    assert _pairs(db, district="PK-KP-HNG") == {hangu}
    assert _pairs(db, event_types=("clash",)) == {mastung}  # only the UCDP side says clash
    assert _pairs(db, event_types=("Bombings",)) == {mastung, hangu}
    assert _pairs(db, actor="Pakistani Taliban") == {mastung}  # only the GTD side names TTP
    assert _pairs(db, actor="TTP", event_types=("clash",)) == {mastung}  # each filter by another side
    assert _pairs(db, actor="TTP", district="Hangu") == set()
    assert _pairs(db, event_types=("kidnapping",)) == set()


def test_unknown_filters_are_refused_with_the_closest_matches(events) -> None:  # type: ignore[no-untyped-def]
    db, _ = events
    with pytest.raises(InvalidInput) as caught, db.session(SYSTEM) as s:
        dedup.find_candidates(s, district="Mastng", event_types=("bombs",), actor="XYZ")
    text = "\n".join(str(p) for p in caught.value.problems)
    assert len(caught.value.problems) == 3, text
    assert "unknown district 'Mastng'; closest: Mastung (PK-BA-MST)" in text
    assert "unknown event type 'bombs'; closest: " in text and "unknown actor 'XYZ'" in text


def test_the_command_takes_district_type_and_actor(events, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    db, ids = events
    run = dedup_cli_as_analyst(db, monkeypatch)

    def pairs(*args: str) -> set[tuple[int, int]]:
        return {
            (c["first_id"], c["second_id"]) for c in json.loads(run("candidates", "--format", "json", *args))
        }

    assert pairs("--actor", "ttp", "--type", "clash", "--type", "bombing") == {ids["mastung"]}
    assert pairs("--district", "Hangu") == {ids["hangu"]}
    refused = run("candidates", "--actor", "Talibn Pakistan", code=2)
    assert "unknown actor 'Talibn Pakistan'; closest: TTP" in refused

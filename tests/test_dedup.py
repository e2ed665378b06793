"""De-duplication on synthetic incidents: candidates and their reasons, merge/unmerge/keep-apart, the cube,
analytics counting a group once, clearance, and the CLI."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from nigran.access.classification import Classification
from nigran.access.errors import AccessDenied
from nigran.access.principal import Principal, Role
from nigran.access.service import add_user
from nigran.audit.models import AuditEntry
from nigran.core.problems import InvalidInput
from nigran.incidents import analytics, cube, dedup
from nigran.incidents.dedup_models import IncidentKeepApart, IncidentMerge
from nigran.incidents.dedup_score import IncidentView, count_similarity, score_pair, type_compatibility
from nigran.incidents.models import Incident, IncidentCube, IncidentSource
from nigran.policy.service import NotFound

SYSTEM = Principal.system()
ANALYST = Principal("analyst", Role.ANALYST, Classification.RESTRICTED)
ADMIN = Principal("admin", Role.ADMINISTRATOR, Classification.SECRET)


def add(  # type: ignore[no-untyped-def]
    s,
    dataset: str,
    sid: str,
    day: date,
    district: str | None,
    event_type: str,
    *,
    killed: int | None = None,
    injured: int | None = None,
    level: Classification = Classification.PUBLIC,
    lat: float | None = None,
    lon: float | None = None,
    province: str | None = None,
) -> int:
    inc = Incident(
        date=day, year=day.year, month=day.month, district_code=district, event_type=event_type,
        killed=killed, injured=injured, province_code=province or (district[:5] if district else None),
        lat=lat, lon=lon, classification=level,
    )  # fmt: skip
    inc.sources.append(IncidentSource(dataset=dataset, source_id=sid, row_hash=sid, classification=level))
    s.add(inc)
    s.flush()
    cube.apply(s, added=[inc])
    return inc.id


@pytest.fixture
def pair(db):  # type: ignore[no-untyped-def]
    """The Mastung attack as UCDP and ACLED both recorded it, plus unrelated incidents around it."""
    with db.session(SYSTEM) as s:
        ids = {
            "ucdp": add(s, "ucdp-ged", "U1", date(2023, 9, 29), "PK-BA-MST", "suicide_bombing", killed=60),
            "acled": add(s, "acled", "A1", date(2023, 9, 30), "PK-BA-MST", "bombing", killed=57, injured=70),
            "other_district": add(
                s, "acled", "A2", date(2023, 9, 29), "PK-KP-HNG", "suicide_bombing", killed=5
            ),
            "two_days_later": add(s, "acled", "A3", date(2023, 10, 1), "PK-BA-MST", "bombing", killed=58),
            "kidnapping": add(s, "gtd", "G1", date(2023, 9, 29), "PK-BA-MST", "kidnapping", killed=0),
            "few_killed": add(s, "gtd", "G2", date(2023, 9, 29), "PK-BA-MST", "bombing", killed=3),
        }
    return db, ids


def candidates(db, principal: Principal = SYSTEM, **kw):  # type: ignore[no-untyped-def]
    with db.session(principal) as s:
        return dedup.find_candidates(s, **kw)


def test_same_attack_from_two_datasets_is_proposed_with_reasons(pair) -> None:  # type: ignore[no-untyped-def]
    db, ids = pair
    found = candidates(db)
    assert [(c.first_id, c.second_id) for c in found] == [(ids["ucdp"], ids["acled"])]
    c = found[0]
    assert 0.7 <= c.score <= 1.0
    text = " | ".join(c.reasons)
    expected_parts = (
        "adjacent days", "same district PK-BA-MST", "suicide_bombing vs bombing", "killed 60 vs 57",
        "ucdp-ged / acled",
    )  # fmt: skip
    for expected in expected_parts:
        assert expected in text, text


def test_filters_by_period_and_province(pair) -> None:  # type: ignore[no-untyped-def]
    db, _ = pair
    assert candidates(db, date_from=date(2023, 9, 30), date_to=date(2023, 9, 30))  # pair crosses the edge
    assert not candidates(db, date_from=date(2023, 10, 2))
    assert not candidates(db, province="Sindh")
    assert candidates(db, province="Balochistan")
    with db.session(SYSTEM) as s, pytest.raises(InvalidInput):
        dedup.find_candidates(s, province="Atlantis")


def view(i: int, **kw) -> IncidentView:  # type: ignore[no-untyped-def]
    base = {"date": date(2024, 1, 1), "event_type": "bombing", "district_code": "PK-KP-PSH",
            "datasets": frozenset({"acled" if i == 1 else "ucdp-ged"})}  # fmt: skip
    return IncidentView(i, **{**base, **kw})


def test_hard_tests() -> None:
    assert score_pair(view(1), view(2)) is not None
    assert score_pair(view(1), view(2, date=date(2024, 1, 3))) is None
    assert score_pair(view(1), view(2, district_code="PK-KP-MDN")) is None
    assert score_pair(view(1, event_type="kidnapping"), view(2)) is None
    assert score_pair(view(1, killed=2), view(2, killed=30)) is None
    same = frozenset({"ucdp-ged"})
    assert score_pair(view(1, datasets=same), view(2, datasets=same)) is None
    assert score_pair(view(1, datasets=same), view(2, datasets=same), same_dataset=True) is not None
    articles = frozenset({"article"})
    assert score_pair(view(1, datasets=articles), view(2, datasets=articles)) is not None
    # One side without a district: only when the points are close and the province agrees.
    nowhere = view(2, district_code=None, province_code="PK-KP", lat=34.05, lon=71.52)
    near = score_pair(view(1, lat=34.0, lon=71.5), nowhere)
    assert near is not None and "points 6 km apart" in " ".join(near.reasons)
    assert score_pair(view(1, lat=34.0, lon=71.5), view(2, district_code=None, lat=35.0, lon=72.5)) is None


def test_scoring_parts() -> None:
    assert type_compatibility("bombing", "bombing") == 1.0
    assert type_compatibility("bombing", "suicide_bombing") == 0.7
    assert type_compatibility("clash", "bombing") == 0.4
    assert type_compatibility("kidnapping", "bombing") == 0.0
    assert count_similarity(None, 3) is None
    assert count_similarity(10, 10) == 1.0
    assert count_similarity(1, 3) > 0.4  # small counts differ by little in absolute terms
    assert count_similarity(3, 30) == 0.0
    exact = score_pair(view(1, killed=5, injured=9), view(2, killed=5, injured=9))
    vague = score_pair(view(1), view(2, date=date(2024, 1, 2), event_type="clash"))
    assert exact is not None and vague is not None and exact.score > vague.score


def cube_is_consistent(db) -> bool:  # type: ignore[no-untyped-def]
    with db.session(SYSTEM) as s:
        held = {
            (c.dim, c.year, c.month, c.province_code, c.key, int(c.classification)): (c.incidents, c.killed)
            for c in s.scalars(select(IncidentCube))
            if c.incidents or c.killed
        }
        want = {
            (r["dim"], r["year"], r["month"], r["province_code"], r["key"], r["classification"]): (
                r["incidents"],
                r["killed"],
            )
            for r in cube.rebuild_rows(s)
        }
    return held == want


def test_merge_counts_once_keeps_sources_and_unmerges(pair) -> None:  # type: ignore[no-untyped-def]
    db, ids = pair
    with db.session(SYSTEM) as s:
        before = {r.label: r.values["incidents"] for r in analytics.summary(s, "district")}
    with db.session(ANALYST) as s:
        made = dedup.merge(s, [ids["ucdp"], ids["acled"]], note="same attack")
        assert [m.duplicate_id for m in made] == [ids["acled"]]
    with db.session(SYSTEM) as s:
        assert s.get(Incident, ids["acled"]).duplicate_of_id == ids["ucdp"]
        sources = {f"{x.dataset}:{x.source_id}" for x in dedup.group_sources(s, ids["acled"])}
        assert sources == {"ucdp-ged:U1", "acled:A1"}
        merge_row = s.scalar(select(IncidentMerge))
        assert (
            merge_row.merged_by == "analyst" and merge_row.score and "note: same attack" in merge_row.reasons
        )
        audited = s.execute(select(AuditEntry.table_name, AuditEntry.action, AuditEntry.actor)).all()
        assert ("incident_merge", "insert", "analyst") in audited
        assert ("incident", "update", "analyst") in audited  # duplicate_of_id, with before and after
        after = {r.label: r.values["incidents"] for r in analytics.summary(s, "district")}
    mastung = next(k for k in before if "Mastung" in k or "PK-BA-MST" in k)
    assert after[mastung] == before[mastung] - 1
    assert cube_is_consistent(db)
    assert not candidates(db)  # a merged pair is not proposed again

    with db.session(ANALYST) as s:
        assert dedup.unmerge(s, ids["acled"]) == [ids["acled"]]
    with db.session(SYSTEM) as s:
        assert s.get(Incident, ids["acled"]).duplicate_of_id is None
        assert s.scalar(select(IncidentMerge)).unmerged_by == "analyst"
        again = {r.label: r.values["incidents"] for r in analytics.summary(s, "district")}
    assert again == before and cube_is_consistent(db)
    assert len(candidates(db)) == 1


def test_merging_groups_and_dissolving_a_survivor(pair) -> None:  # type: ignore[no-untyped-def]
    db, ids = pair
    with db.session(ANALYST) as s:
        dedup.merge(s, [ids["acled"], ids["two_days_later"]])
        dedup.merge(s, [ids["ucdp"], ids["two_days_later"]])  # brings acled's whole group along
    with db.session(SYSTEM) as s:
        group = [i.id for i in dedup.group(s, ids["acled"])]
        assert group == [ids["ucdp"], ids["acled"], ids["two_days_later"]]
    assert cube_is_consistent(db)
    with db.session(ANALYST) as s:
        assert sorted(dedup.unmerge(s, ids["ucdp"])) == sorted([ids["acled"], ids["two_days_later"]])
        with pytest.raises(InvalidInput):
            dedup.unmerge(s, ids["ucdp"])
    assert cube_is_consistent(db)


def test_keep_apart_is_remembered(pair) -> None:  # type: ignore[no-untyped-def]
    db, ids = pair
    with db.session(ANALYST) as s:
        dedup.keep_apart(s, ids["acled"], ids["ucdp"], note="two blasts")
        dedup.keep_apart(s, ids["ucdp"], ids["acled"])  # idempotent
    with db.session(SYSTEM) as s:
        assert s.scalar(select(func.count(IncidentKeepApart.id))) == 1
    assert not candidates(db)
    with db.session(ANALYST) as s:  # the analyst changes their mind: merging drops the old decision
        dedup.merge(s, [ids["ucdp"], ids["acled"]])
        with pytest.raises(InvalidInput):
            dedup.keep_apart(s, ids["ucdp"], ids["acled"])
    with db.session(SYSTEM) as s:
        assert s.scalar(select(func.count(IncidentKeepApart.id))) == 0


def test_bad_requests(pair) -> None:  # type: ignore[no-untyped-def]
    db, ids = pair
    with db.session(ANALYST) as s:
        with pytest.raises(InvalidInput):
            dedup.merge(s, [ids["ucdp"]])
        with pytest.raises(InvalidInput):
            dedup.merge(s, [ids["ucdp"], ids["ucdp"]])
        with pytest.raises(NotFound):
            dedup.merge(s, [ids["ucdp"], 999_999])
        with pytest.raises(InvalidInput):
            dedup.unmerge(s, ids["ucdp"])


def test_clearance_and_roles(db) -> None:  # type: ignore[no-untyped-def]
    with db.session(SYSTEM) as s:
        public = add(s, "acled", "P1", date(2024, 8, 26), "PK-BA-MST", "bombing", killed=10)
        secret = add(s, "article", "S1", date(2024, 8, 26), "PK-BA-MST", "bombing", killed=11,
                     level=Classification.SECRET)  # fmt: skip
        restricted = add(s, "article", "R1", date(2024, 8, 26), "PK-BA-MST", "bombing", killed=9,
                         level=Classification.RESTRICTED)  # fmt: skip
    seen = {(c.first_id, c.second_id) for c in candidates(db, ANALYST)}
    assert seen == {(public, restricted)}  # the SECRET incident is never offered to a RESTRICTED reader
    assert len(candidates(db, ADMIN)) == 3
    assert not candidates(db, Principal.anonymous())  # the public sees one incident: no pair
    with db.session(ANALYST) as s, pytest.raises(NotFound):
        dedup.merge(s, [public, secret])
    with pytest.raises(AccessDenied), db.session(Principal.anonymous()) as s:
        dedup.merge(s, [public, restricted])
    with db.session(ANALYST) as s:
        dedup.merge(s, [public, restricted])
    with db.session(SYSTEM) as s:
        assert s.scalar(select(IncidentMerge)).classification == Classification.RESTRICTED
    with db.session(Principal.anonymous()) as s:
        assert s.scalar(select(func.count(IncidentMerge.id))) == 0


def dedup_cli_as_analyst(db, monkeypatch):  # type: ignore[no-untyped-def]
    """``nigran incidents dedup …`` run by an analyst on ``db``: ``run(*args, code=0)`` returns the output."""
    from nigran.cli_support import STATE
    from nigran.incidents.dedup_cli import app

    with db.session(SYSTEM) as s:
        add_user(s, "analyst", role=Role.ANALYST, clearance=Classification.RESTRICTED)
    monkeypatch.setattr(STATE, "db_url", db.url)
    monkeypatch.setattr(STATE, "username", "analyst")
    monkeypatch.setattr(STATE, "_db", None)
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, list(args), env={"NIGRAN_USER": ""})
        assert result.exit_code == code, result.output
        return result.output

    return run


def test_cli(pair, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    db, ids = pair
    run = dedup_cli_as_analyst(db, monkeypatch)

    out = json.loads(run("candidates", "--from", "2023-09", "--to", "2023-09", "--format", "json"))
    assert [(c["first_id"], c["second_id"]) for c in out] == [(ids["ucdp"], ids["acled"])]
    assert "same district PK-BA-MST" in run("candidates", "--province", "PK-BA")
    assert f"merged 1 incident into {ids['ucdp']}" in run("merge", str(ids["ucdp"]), str(ids["acled"]))
    shown = run("show", str(ids["acled"]))
    assert "ucdp-ged:U1" in shown and "acled:A1" in shown and "survivor" in shown
    assert f"merged {ids['acled']} into {ids['ucdp']} (analyst score" in shown
    assert "no candidate duplicates" in run("candidates")
    assert "unmerged" in run("unmerge", str(ids["acled"]))
    assert "kept apart" in run("keep-apart", str(ids["ucdp"]), str(ids["acled"]))
    assert "no candidate duplicates" in run("candidates")
    assert "1 problem found" in run("merge", str(ids["ucdp"]), code=2)
    assert "no incident" in run("unmerge", "999999", code=4)
    run("candidates", "--from", "last-week", code=2)  # invalid input

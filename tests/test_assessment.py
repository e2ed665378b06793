"""The monthly security assessment: definitions as data, a planted mix of incidents counted three ways,
KP's merged districts apart, unknown never 0, change over time, clearance, monitors' figures, real data."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from tests.jobs_support import user

from nigran.access.classification import Classification
from nigran.access.principal import Principal
from nigran.assessment import definitions, render, service
from nigran.assessment.models import MonitorFigure
from nigran.core.errors import InvalidInput, NotFound
from nigran.incidents.models import Actor, Incident
from nigran.storage.db import Database

MONTH = "2030-01"


def _incident(s, actors, day, district, event_type, actor=None, level="PUBLIC", **figures):  # type: ignore[no-untyped-def]
    province = "-".join(district.split("-")[:2])
    inc = Incident(
        date=day,
        year=day.year,
        month=day.month,
        province_code=province,
        district_code=district,
        event_type=event_type,
        actor_id=actors[actor] if actor else None,
        actor=actor,
        classification=Classification.parse(level),
        **figures,
    )
    s.add(inc)
    s.flush()
    return inc


@pytest.fixture
def planted(demo_db: Database) -> dict[str, int]:
    """A mix of every kind in January 2030 (beyond the demo's UCDP data, so nothing else counts), one
    incident in December 2029, none in January 2029 (a period Nigran holds nothing for)."""
    jan = date(2030, 1, 10)
    with demo_db.session(Principal.system()) as s:
        actors = {a.code: a.id for a in s.scalars(select(Actor))}
        ids = {
            "a1": _incident(
                s,
                actors,
                jan,
                "PK-KP-PSH",
                "bombing",
                "TTP",
                killed=5,
                security_killed=2,
                civilians_killed=3,
                militants_killed=0,
                injured=10,
            ),
            "a2": _incident(
                s,
                actors,
                jan,
                "PK-KP-NWZ",
                "suicide_bombing",
                None,
                killed=8,
                security_killed=0,
                civilians_killed=7,
                militants_killed=1,
            ),
            "a3": _incident(s, actors, jan, "PK-BA-QTA", "armed_assault", "BLA", injured=2, hostages=3),
            "o1": _incident(
                s, actors, jan, "PK-KP-NWZ", "security_operation", "PAK-SF", killed=12, militants_killed=12
            ),
            "c1": _incident(s, actors, jan, "PK-KP-KHB", "clash", "TTP", killed=6),
            "x1": _incident(s, actors, jan, "PK-KP-BJR", "cross_border_attack", "AFG-SF", killed=1),
            "p1": _incident(s, actors, jan, "PK-SD-KHC", "armed_assault", "MQM", killed=2),
            "s1": _incident(
                s, actors, jan, "PK-BA-QTA", "bombing", "TTP", level="SECRET", killed=50, injured=70
            ),
            "dec": _incident(s, actors, date(2029, 12, 5), "PK-KP-PSH", "bombing", "TTP", killed=4),
        }
        dup = _incident(s, actors, jan, "PK-KP-PSH", "bombing", "TTP", killed=5)
        dup.duplicate_of_id = ids["a1"].id
        return {k: v.id for k, v in ids.items()} | {"dup": dup.id}


def _assess(
    db: Database, who: str | None, month: str = MONTH, definition: str = "pips"
) -> service.Assessment:
    principal = user(db, who) if who else Principal.anonymous()
    with db.session(principal, readonly=True) as s:
        return service.assess(s, month, definition)


def test_bundled_definitions_and_their_rules() -> None:
    defs = definitions.bundled()
    assert list(defs) == ["pips", "picss", "crss"]
    pips, picss, crss = defs["pips"], defs["picss"], defs["crss"]
    assert pips.counted == ("attacks",) and picss.counted == ("attacks", "operations")
    assert crss.counted == ("attacks", "operations", "other")
    assert pips.category_of("bombing", None) == "attacks"  # unattributed attacks are terrorist attacks
    assert pips.category_of("bombing", "political") is None  # ethno-political violence is not
    assert crss.category_of("bombing", "political") == "attacks"
    assert pips.category_of("clash", "militant") == "other"
    assert picss.category_of("clash", "militant") == "operations"
    assert all(d.citation.startswith(("Pak", "Center")) for d in defs.values())
    assert "PK-KP-NWZ" in definitions.merged_districts() and "PK-KP-PSH" not in definitions.merged_districts()


def test_a_definitions_file_is_checked_line_by_line() -> None:
    text = b"""definitions:
  mine:
    name: x
    monitor: X
    description: y
    citation: z
    counted: [attacks, everything]
    categories:
      attacks:
        - event_types: [bombing, bombardment]
          actor_kinds: [militant, aliens]
      sideways:
        - event_types: [clash]
"""
    with pytest.raises(InvalidInput) as exc:
        definitions.parse_definitions(text, "defs.yaml")
    found = {(p.line, p.message.split(" (")[0]) for p in exc.value.problems}
    assert (7, "unknown category 'everything'") in found
    assert (10, "unknown event type 'bombardment'") in found
    assert (11, "unknown actor kind 'aliens'") in found
    assert (12, "unknown category 'sideways'") in found
    assert all(p.file == "defs.yaml" for p in exc.value.problems)


def test_the_three_definitions_count_a_planted_mix_differently(
    planted: dict[str, int], demo_db: Database
) -> None:
    pips, picss, crss = (_assess(demo_db, None, definition=d) for d in ("pips", "picss", "crss"))
    assert sorted(pips.total.incidents.ids) == sorted(planted[k] for k in ("a1", "a2", "a3"))
    assert sorted(picss.total.incidents.ids) == sorted(planted[k] for k in ("a1", "a2", "a3", "o1", "c1"))
    assert sorted(crss.total.incidents.ids) == sorted(
        planted[k] for k in ("a1", "a2", "a3", "o1", "c1", "x1", "p1")
    )
    assert pips.total.incidents.value <= picss.total.incidents.value <= crss.total.incidents.value
    # attacks and operations are kept apart in every definition, counted or not
    assert pips.categories["operations"].incidents.ids == [planted["o1"]]
    assert picss.categories["operations"].incidents.value == 2
    assert pips.outside.ids == [planted["p1"]]  # political violence is no terrorist attack for PIPS
    # deaths by who died, summed only over incidents that give them
    killed = pips.total.measures["killed"]
    assert (killed.value, killed.known, killed.of) == (13, 2, 3)
    assert pips.total.measures["security_killed"].value == 2
    assert pips.total.measures["civilians_killed"].value == 10
    assert pips.total.measures["militants_killed"].value == 1
    assert pips.total.measures["hostages"].value == 3
    assert picss.total.measures["killed"].value == 31
    assert crss.total.measures["killed"].value == 34
    assert pips.suicide.incidents.ids == [planted["a2"]] and pips.suicide.measures["killed"].value == 8


def test_unknown_is_never_zero(planted: dict[str, int], demo_db: Database) -> None:
    picss = _assess(demo_db, None, definition="picss")
    injured = picss.categories["operations"].measures["injured"]
    assert injured.value is None and (injured.known, injured.of) == (0, 2)
    assert picss.total.measures["injured"].value == 12  # known for 2 of 5
    # a period with no incident held at all: every figure unknown, even the count
    empty = _assess(demo_db, None, month="2031-03")
    assert not empty.covered
    assert empty.total.incidents.value is None and empty.total.measures["killed"].value is None
    # a category with no incident in a period that is held: truly 0, not unknown
    crss = _assess(demo_db, None, definition="crss")
    dec = _assess(demo_db, None, month="2029-12", definition="crss")
    assert dec.covered and dec.categories["operations"].incidents.value == 0
    assert dec.categories["operations"].measures["killed"].value == 0
    assert crss.deadliest[0]["id"] == planted["o1"]


def test_merged_districts_are_shown_apart(planted: dict[str, int], demo_db: Database) -> None:
    a = _assess(demo_db, None, definition="picss")
    regions = {r.code: r for r in a.regions}
    assert regions[service.MERGED].total.incidents.ids == sorted(
        [planted["a2"], planted["o1"], planted["c1"]]
    )
    assert (regions[service.MERGED].attacks, regions[service.MERGED].operations) == (1, 2)
    assert regions["PK-KP"].total.incidents.ids == [planted["a1"]]
    assert regions["PK-BA"].total.incidents.ids == [planted["a3"]]
    assert regions["PK-BA"].total.measures["killed"].value is None  # A3 gives no toll
    assert sum(r.total.incidents.value for r in a.regions) == a.total.incidents.value
    # under PIPS operations are not counted, but a province still shows them, apart
    merged = next(r for r in _assess(demo_db, None).regions if r.code == service.MERGED)
    assert merged.total.incidents.ids == [planted["a2"]] and (merged.attacks, merged.operations) == (1, 1)


def test_change_against_the_previous_month_and_last_year(planted: dict[str, int], demo_db: Database) -> None:
    a = _assess(demo_db, None)
    changes = {c.measure: c.as_dict() for c in a.changes}
    assert changes["incidents"]["previous"] == {"period": "2029-12", "value": 1, "change": 2, "pct": 200.0}
    assert changes["killed"]["previous"] == {"period": "2029-12", "value": 4, "change": 9, "pct": 225.0}
    # January 2029: Nigran holds nothing, so the base is unknown: no change, no percentage
    assert changes["incidents"]["year_before"] == {
        "period": "2029-01",
        "value": None,
        "change": None,
        "pct": None,
    }
    assert "operations" not in changes  # not counted by PIPS


def test_a_secret_incident_changes_nothing_for_the_public(planted: dict[str, int], demo_db: Database) -> None:
    public = _assess(demo_db, None)
    admin = _assess(demo_db, "admin")
    assert planted["s1"] in admin.total.incidents.ids and planted["s1"] not in public.total.incidents.ids
    assert admin.total.measures["killed"].value == public.total.measures["killed"].value + 50
    assert admin.highest is Classification.SECRET and public.highest is Classification.PUBLIC
    text = render.render_json(public)
    assert f'"id": {planted["s1"]}' not in text and "SECRET" not in text
    assert planted["dup"] not in admin.total.incidents.ids  # duplicates count once, as their survivor


def test_monitor_figures_beside_nigran(planted: dict[str, int], demo_db: Database) -> None:
    with demo_db.session(user(demo_db, "analyst")) as s:
        base = {"monitor": "PIPS", "period": MONTH, "definition": "pips", "source": "PIPS monthly report"}
        figure, new = service.add_figure(s, {**base, "measure": "attacks", "value": "6"})
        assert new and (figure.measure, figure.scope) == ("incidents", "attacks")
        _, new = service.add_figure(s, {**base, "measure": "attacks", "value": 7})
        assert not new  # the same figure again replaces its value
        service.add_figure(s, {**base, "measure": "fatalities", "value": 20, "scope": "attacks"})
        service.add_figure(
            s, {**base, "monitor": "HIDDEN", "measure": "killed", "value": 1, "classification": "RESTRICTED"}
        )
        service.add_figure(s, {**base, "period": "2030", "measure": "attacks", "value": 60})
    a = _assess(demo_db, None)
    rows = [c.as_dict() for c in a.comparisons]
    assert [(r["monitor"], r["measure"], r["monitor_value"], r["nigran"]["value"]) for r in rows] == [
        ("PIPS", "incidents", 7, 3),
        ("PIPS", "killed", 20, 13),
    ]
    assert rows[0]["difference"] == -4 and rows[1]["nigran"]["known"] == 2
    assert _assess(demo_db, None, definition="crss").comparisons == []  # other definitions: not shown
    assert [c.monitor for c in _assess(demo_db, "analyst").comparisons] == ["HIDDEN", "PIPS", "PIPS"]
    # the annual view sums the months
    year = _assess(demo_db, None, month="2030")
    assert year.total.incidents.value == 3 and year.comparisons[0].monitor_value == 60
    with pytest.raises(InvalidInput) as exc, demo_db.session(user(demo_db, "analyst")) as s:
        service.add_figure(s, {**base, "measure": "attacks", "value": "-3", "period": "2030-13"})
    assert len(exc.value.problems) == 2
    analyst = user(demo_db, "analyst")
    with (
        pytest.raises(InvalidInput, match="a count of attacks, not operations"),
        demo_db.session(analyst) as s,
    ):
        service.add_figure(s, {**base, "measure": "attacks", "value": 1, "scope": "operations"})


def test_loading_figures_from_files(demo_db: Database) -> None:
    bad = (
        b"monitor,period,measure,value,definition,source\n"
        b"PICSS,2024-10,attacks,68,picss,x\n"
        b"PICSS,2024-1O,kills,,z,\n"
    )
    with demo_db.session(Principal.system(), readonly=True) as s:
        before = len(s.scalars(select(MonitorFigure)).all())  # the demo may hold the bundled figures
    with pytest.raises(InvalidInput) as exc, demo_db.session(user(demo_db, "analyst")) as s:
        service.load_figures(s, bad, "picss.csv")
    assert {p.line for p in exc.value.problems} == {3} and len(exc.value.problems) == 5
    with demo_db.session(Principal.system(), readonly=True) as s:
        assert len(s.scalars(select(MonitorFigure)).all()) == before  # nothing half-written
    with demo_db.session(user(demo_db, "analyst")) as s:
        assert sum(service.load_bundled_figures(s)) == 12
        assert service.load_bundled_figures(s) == (0, 12)  # loading again changes nothing
    with demo_db.session(Principal.anonymous(), readonly=True) as s:
        picss = {
            (f.measure, f.scope): f.value for f in service.list_figures(s, monitor="PICSS", period="2024")
        }
        a = service.assess(s, "2024", "picss")
    assert picss[("incidents", "attacks")] == 905 and picss[("civilians_killed", "attacks")] == 488
    # Nigran holds nothing for 2024 (the demo's data ends in 2021): its side is unknown, not 0
    assert len(a.comparisons) == 6 and all(c.nigran.value is None for c in a.comparisons)
    assert all(c.as_dict()["difference"] is None for c in a.comparisons)


def test_real_ucdp_month(demo_db: Database) -> None:
    counts = {}
    for d in ("pips", "picss", "crss"):
        a = _assess(demo_db, None, month="2021-06", definition=d)
        counts[d] = a.total.incidents.value
        kp = [r for r in a.regions if r.code in ("PK-KP", service.MERGED)]
        assert len(kp) == 2
        assert sum(r.total.incidents.value for r in a.regions) == a.total.incidents.value
        for key, fig in a.figures().items():
            if fig.value is not None and key.endswith(".incidents"):
                assert len(fig.ids) == fig.value, key
    assert 0 < counts["pips"] <= counts["picss"] <= counts["crss"]
    a = _assess(demo_db, None, month="2021-06", definition="crss")
    found = service.district_values(a)
    assert found["polygons"] and sum(v["value"] or 0 for v in found["polygons"].values()) + sum(
        found["unmapped"].values()
    ) == sum(a.districts.values())
    assert len(a.deadliest) <= service.TOP and a.deadliest[0]["sources"][0]["dataset"] == "ucdp-ged"
    with pytest.raises(NotFound):
        service.figure_ids(a, "nothing.here")


def test_periods_are_checked() -> None:
    assert service.parse_period("2021-06").label == "2021-06"
    assert service.parse_period("2024").previous().label == "2023"
    assert service.parse_period("2021-01").previous().label == "2020-12"
    for bad in ("2021-13", "2021-6", "21-06", "", "2021-06-01", "abcd", "0000"):
        with pytest.raises(InvalidInput):
            service.parse_period(bad)


def test_pdf_and_html_files(planted: dict[str, int], demo_db: Database) -> None:
    a = _assess(demo_db, None)
    html = render.render_html(a)
    assert "http" not in html.split("<body>")[0]  # refers to nothing outside itself
    assert "Khyber Pakhtunkhwa: merged districts (former FATA)" in html
    assert str(planted["o1"]) in html  # the incidents behind each figure are listed
    assert render.render_pdf(a).startswith(b"%PDF")

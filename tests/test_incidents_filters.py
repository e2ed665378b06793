"""Filters resolve names, codes and aliases through the actor registry, the gazetteer and the taxonomy, or
refuse with the closest matches: never an empty table or the "unknown actor" group without a warning."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nigran.access.classification import Classification
from nigran.access.principal import Principal, Role
from nigran.core.errors import InvalidInput
from nigran.incidents import analytics as an
from nigran.incidents.filters import FilterText, resolve
from nigran.incidents.importer import import_file
from nigran.incidents.indicators import QueryError, compute, indicator_values
from nigran.policy.models import Framework, Indicator, Objective, Section
from nigran.storage.db import Database

FIXTURES = Path(__file__).parent / "fixtures" / "incidents"
ANALYST = Principal("ana", Role.ANALYST, Classification.SECRET)
PUBLIC = Principal.anonymous()
runner = CliRunner()


@pytest.fixture
def loaded(db: Database) -> Database:
    with db.session(ANALYST) as s:
        import_file(s, FIXTURES / "synthetic.csv", "csv")
    return db


def _resolve(db: Database, **text: object) -> an.Filters:
    with db.session(PUBLIC) as s:
        return resolve(s, FilterText(**text))  # type: ignore[arg-type]


def _problems(db: Database, **text: object) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        _resolve(db, **text)
    return [str(p) for p in caught.value.problems]


def test_names_codes_and_aliases_resolve_to_one_code(loaded: Database) -> None:
    for name in ("TTP", "ttp", "Pakistani Taliban", "Tehreek-e-Taliban Pakistan"):
        assert _resolve(loaded, actor=name).actor == "TTP", name
    for name in ("KP", "kp", "PK-KP", "pk-kp", "Khyber Pakhtunkhwa", "NWFP"):
        assert _resolve(loaded, province=name).province == "PK-KP", name
    assert _resolve(loaded, province="Sindh").province == "PK-SD"
    assert _resolve(loaded, district="peshawar").district == "PK-KP-PSH"
    assert _resolve(loaded, district="PK-KP-PSH", province="KP").district == "PK-KP-PSH"
    f = _resolve(loaded, event_types=("Suicide Bombing", "bombings"), date_from="2021", date_to="2021-06")
    assert f.event_types == ("suicide_bombing", "bombing")
    assert (f.date_from, f.date_to) == (date(2021, 1, 1), date(2021, 6, 30))


def test_unknown_values_are_refused_with_the_closest_matches(loaded: Database) -> None:
    problems = _problems(loaded, actor="XYZ", province="Sinth", event_types=("bombs",), date_from="2021-13")
    text = "\n".join(problems)
    assert len(problems) == 4  # every problem at once
    assert "--actor" in text and "unknown actor 'XYZ'" in text
    assert "unknown province 'Sinth'; closest: Sindh (PK-SD)" in text
    assert "unknown event type 'bombs'; closest: " in text and "bombing" in text
    assert "--from" in text and "'2021-13' is not a period" in text
    assert "closest: TTP (Tehrik-i-Taliban Pakistan)" in "\n".join(_problems(loaded, actor="Tehrik Taliban"))
    assert "is ambiguous" in "\n".join(_problems(loaded, district="Karachi"))
    assert "is not in Balochistan" in "\n".join(_problems(loaded, district="Peshawar", province="BA"))
    assert "ends (2020-12-31) before the start" in "\n".join(
        _problems(loaded, date_from="2021", date_to="2020")
    )


def test_resolved_filters_give_the_same_figures(loaded: Database) -> None:
    with loaded.session(PUBLIC) as s:
        by_alias = an.summary(s, "year", resolve(s, FilterText(actor="Pakistani Taliban")))
        by_code = an.summary(s, "year", resolve(s, FilterText(actor="TTP")))
        sindh = an.summary(s, "province", resolve(s, FilterText(province="Sindh")))
    assert (
        [r.values for r in by_alias]
        == [r.values for r in by_code]
        == [
            {
                "incidents": 2,
                "killed": 9,
                "victims_killed": 6,
                "militants_killed": 3,
                "injured": 11,
                "hostages": None,
                "civilians_killed": 3,
                "security_killed": 3,
            }
        ]
    )
    assert [(r.label, r.values["incidents"]) for r in sindh] == [("PK-SD", 1)]


def _cli(db: Database, *args: str) -> tuple[int, str]:
    from nigran.cli import app

    result = runner.invoke(app, ["--db", db.url, *args])
    return result.exit_code, result.output


def test_cli_filters_resolve_or_refuse(loaded: Database) -> None:
    code, out = _cli(
        loaded, "incidents", "summary", "--by", "province", "--province", "Sindh", "--format", "csv"
    )
    assert code == 0, out
    assert [(r["province"], r["name"], r["incidents"]) for r in csv.DictReader(out.splitlines())] == [
        ("PK-SD", "Sindh", "1")
    ]
    code, out = _cli(loaded, "incidents", "summary", "--by", "actor", "--actor", "XYZ")
    assert code == 2 and "unknown actor 'XYZ'" in out and "unknown" not in out.replace("unknown actor", "")
    alias = _cli(loaded, "incidents", "summary", "--actor", "Pakistani Taliban", "--format", "json")
    assert alias == _cli(loaded, "incidents", "summary", "--actor", "ttp", "--format", "json")
    for command in (
        ["incidents", "top-districts", "--province", "Atlantis"],
        ["incidents", "report", "--month", "2021-01", "--province", "Atlantis"],
        ["incidents", "export", "--format", "json", "--province", "Atlantis"],
        ["incidents", "dedup", "candidates", "--province", "Atlantis"],
    ):
        code, out = _cli(loaded, *command)
        assert code == 2 and "unknown province 'Atlantis'" in out and "Traceback" not in out, command
    code, out = _cli(loaded, "incidents", "report", "--month", "2021-01", "--province", "KP")
    assert code == 0 and "in Khyber Pakhtunkhwa" in out


def test_indicator_queries_go_through_the_same_resolver(loaded: Database) -> None:
    with loaded.session(PUBLIC) as s:
        by_name = compute(
            s, {"measure": "incidents", "province": "Khyber Pakhtunkhwa", "from": "2021", "to": "2021"}
        )
        assert [(v.period, v.value) for v in by_name] == [("2021", 2)]  # not 0: the name is resolved
        with pytest.raises(QueryError) as caught:
            compute(s, {"actor": "Nobody", "event_types": ["bombs"]}, source="indicator T-I9")
    text = "\n".join(str(p) for p in caught.value.problems)
    assert (
        "indicator T-I9: actor: unknown actor 'Nobody'" in text and "event_types: unknown event type" in text
    )
    with loaded.session(Principal.system()) as s:
        fw = Framework(
            code="T-FW",
            title="t",
            period_start=date(2021, 1, 1),
            period_end=date(2022, 12, 31),
            classification=Classification.PUBLIC,
        )
        sec = Section(framework=fw, code="S", title="s", classification=Classification.PUBLIC)
        obj = Objective(framework=fw, section=sec, code="O", title="o", classification=Classification.PUBLIC)
        s.add(
            Indicator(
                framework=fw,
                objective=obj,
                code="T-I2",
                name="Bad query",
                classification=Classification.PUBLIC,
                incident_query={"measure": "killed", "actor": "Nobody"},
            )
        )
    with pytest.raises(QueryError, match="indicator T-I2"), loaded.session(PUBLIC) as s:
        indicator_values(s, "T-I2")
    code, out = _cli(loaded, "incidents", "indicator", "T-I2")
    assert code == 2 and "indicator T-I2" in out and "unknown actor 'Nobody'" in out

"""The rule-based extractor on hand-written, made-up reports (``tests/fixtures/extract``): fields, numbers,
dates, places, actors, several incidents, and the reports that must give no incident."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from nigran.extract.engine import EXTRACTOR, FIELDS, extract_document, extract_many
from nigran.extract.engine.dates import find_date
from nigran.extract.engine.numbers import value
from nigran.incidents.mappings import EVENT_TYPES

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
README_EXAMPLE = (
    "QUETTA: Five policemen were martyred and eight people injured when militants stormed a check post in "
    "Mastung late on Friday. Two attackers were killed in the exchange of fire. No group has claimed "
    "the attack. "
    "In a separate incident, a roadside bomb wounded three soldiers in Kech on Saturday."
)


def one(text: str, published: date | None = date(2024, 11, 16)) -> dict:
    found = extract_document(text, published)
    assert len(found) == 1, found
    return found[0]


def test_the_format_example_gives_the_documented_incidents_with_evidence_and_confidence() -> None:
    found = extract_document(README_EXAMPLE, date(2024, 11, 16), doc_id="x1")
    assert [{k: i[k] for k in FIELDS} for i in found] == [
        {"date": "2024-11-15", "province": "Balochistan", "district": "Mastung", "place": None,
         "event_type": "armed_assault", "perpetrator": "unknown", "claimed": False, "victims_killed": 5,
         "militants_killed": 2, "injured": 8, "hostages": None, "target": "check post"},
        {"date": "2024-11-16", "province": "Balochistan", "district": "Kech", "place": None,
         "event_type": "bombing", "perpetrator": "unknown", "claimed": None, "victims_killed": None,
         "militants_killed": None, "injured": 3, "hostages": None, "target": "soldiers"},
    ]  # fmt: skip
    first = found[0]
    assert set(first) == {*FIELDS, "evidence", "confidence"}
    # every evidence span points at the words the value was read from
    s, e = first["evidence"]["district"]
    assert README_EXAMPLE[s:e] == "Mastung"
    s, e = first["evidence"]["victims_killed"]
    assert "Five policemen" in README_EXAMPLE[s:e]
    s, e = first["evidence"]["date"]
    assert "Friday" in README_EXAMPLE[s:e]
    assert first["evidence"]["hostages"] is None
    assert all(0.0 <= c <= 1.0 for c in first["confidence"].values())
    assert EXTRACTOR.startswith("rules-")
    assert {i["event_type"] for i in found} <= EVENT_TYPES


@pytest.mark.parametrize(
    ("text", "number"),
    [("twenty-three", 23), ("a dozen", 12), ("two dozen", 24), ("one hundred and five", 105), ("1,200", 1200),
     ("Five", 5), ("an", 1), ("nineteen", 19)],
)  # fmt: skip
def test_numbers_in_words_and_digits(text: str, number: int) -> None:
    assert value(text) == number


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("The blast took place late on Friday.", "2024-11-15"),
        ("Militants attacked the post on Saturday.", "2024-11-16"),  # the day of publication
        ("The attack took place last night.", "2024-11-15"),
        ("He was shot dead yesterday.", "2024-11-15"),
        ("The attack took place on November 12.", "2024-11-12"),
        ("The attack took place on 3 November 2024.", "2024-11-03"),
        ("A bomb went off this morning.", "2024-11-16"),
    ],
)
def test_dates_are_resolved_from_the_publication_date(phrase: str, expected: str) -> None:
    found = find_date(phrase, [(0, len(phrase))], date(2024, 11, 16))  # a Saturday
    assert found.value is not None and found.value.isoformat() == expected
    assert found.span is not None


def test_a_date_the_text_does_not_give_is_none_not_the_publication_date() -> None:
    incident = one("Militants attacked a police check post in Bannu, killing two policemen, officials said.")
    assert incident["date"] is None and incident["evidence"]["date"] is None


def test_a_year_end_date_without_a_year_belongs_to_the_previous_year() -> None:
    text = "The attack took place on December 30."
    assert find_date(text, [(0, len(text))], date(2025, 1, 2)).value == date(2024, 12, 30)


@pytest.mark.parametrize(
    ("text", "victims", "militants", "injured"),
    [
        ("Five soldiers and 13 civilians were killed when militants attacked a convoy in Kurram on "
         "Monday.", 18, None, None),
        ("At least 12 people, including four policemen, were killed in a blast in Quetta on "
         "Monday.", 12, None, None),
        ("A blast killed nine people in Quetta on Monday. The death toll rose to 23 on "
         "Tuesday.", 23, None, None),
        ("Militants attacked a check post in Bannu on Monday, killing a soldier and injuring two "
         "others.", 1, None, 2),
        ("Three terrorists were killed and two others injured in an exchange of fire in Tank on "
         "Monday.", None, 3, None),
        ("Gunmen opened fire on a police van in Tank on Monday; one policeman was martyred and three "
         "terrorists "
         "were injured.", 1, None, None),
        ("A suicide bomber blew himself up at a rally in Bajaur on Monday, killing 40 people and wounding "
         "one hundred and twenty others.", 40, 1, 120),
    ],
)  # fmt: skip
def test_casualty_figures(text: str, victims: int | None, militants: int | None, injured: int | None) -> None:
    incident = one(text, date(2024, 11, 19))
    assert (incident["victims_killed"], incident["militants_killed"], incident["injured"]) == (
        victims,
        militants,
        injured,
    )


def test_an_age_is_not_a_casualty_figure() -> None:
    incident = one(
        "Gunmen shot dead a police constable in Mardan on Monday. Khalid, 30, was on his way home."
    )
    assert incident["victims_killed"] == 1
    assert incident["event_type"] == "targeted_killing"


def test_hostages_and_kidnapping() -> None:
    incident = one(
        "Armed men abducted six labourers from a construction site in Kech district on Friday night."
    )
    assert incident["event_type"] == "kidnapping" and incident["hostages"] == 6
    assert incident["victims_killed"] is None


def test_perpetrator_through_the_registry_and_claims() -> None:
    claimed = one("A suicide attack on a police station in Bannu killed five policemen on Friday. The banned "
                  "Tehreek-e-Taliban Pakistan (TTP) claimed responsibility for the attack.")  # fmt: skip
    assert claimed["perpetrator"] == "Tehrik-i-Taliban Pakistan" and claimed["claimed"] is True
    assert claimed["event_type"] == "suicide_bombing"
    silent = one("A bomb went off near a market in Quetta on Friday, injuring four people.")
    assert silent["perpetrator"] == "unknown" and silent["claimed"] is None
    denied = one(
        "A bomb went off in Quetta on Friday, injuring four people. No group claimed responsibility."
    )
    assert denied["claimed"] is False and denied["perpetrator"] == "unknown"
    # "SSP" is a police rank, not Sipah-e-Sahaba
    rank = one("Gunmen attacked a police patrol in Kohat on Friday, injuring two constables, SSP Kohat said.")
    assert rank["perpetrator"] == "unknown"


def test_security_operations_are_by_the_security_forces() -> None:
    incident = one("Security forces killed four terrorists during an intelligence-based operation in North "
                   "Waziristan district on Saturday, the ISPR said. Two terrorists were "
                       "injured.")  # fmt: skip
    assert incident["event_type"] == "security_operation"
    assert incident["perpetrator"] == "Pakistani security forces"
    assert incident["militants_killed"] == 4 and incident["injured"] is None  # injured militants never count
    assert incident["district"] == "North Waziristan" and incident["province"] == "Khyber Pakhtunkhwa"


def test_a_locality_gives_its_district_and_is_kept_as_the_place() -> None:
    incident = one("Militants attacked a check post in Mir Ali on Friday, killing two soldiers.")
    assert incident["district"] == "North Waziristan" and incident["place"] == "Mir Ali"


def test_an_ambiguous_city_gives_only_its_province() -> None:
    incident = one("Two policemen were shot dead in Karachi on Friday.")
    assert incident["province"] == "Sindh" and incident["district"] is None


@pytest.mark.parametrize(
    "text",
    [
        # statistical round-up
        "Militants carried out 59 attacks in August in which 84 people were killed, a think tank said in its "
        "monthly report.",
        # court news
        "An anti-terrorism court on Thursday sentenced three men to death for a bomb attack in which "
        "seven people "
        "were killed.",
        # condemnation
        "The prime minister condemned the attack on a police station in Dera Ismail Khan and "
        "expressed grief over "
        "the loss of lives.",
        # opinion, no incident at all
        "We must ask why the state keeps failing the people of the tribal districts; policy is not a "
        "strategy.",
        # inquiry follow-up
        "Police arrested two suspects in connection with last week's bombing in Quetta that killed "
        "ten people.",
        "",
    ],
)
def test_reports_with_no_new_incident_give_an_empty_list(text: str) -> None:
    assert extract_document(text, date(2024, 9, 5)) == []


def test_background_mentions_of_past_events_are_not_new_incidents() -> None:
    found = extract_document(
        "Militants attacked a check post in Bannu on Monday, killing two soldiers. In March 2023, a suicide "
        "bomber killed 12 people in Quetta.",
        date(2024, 11, 19),
    )
    assert len(found) == 1 and found[0]["district"] == "Bannu" and found[0]["victims_killed"] == 2


def test_extract_many_streams_documents_and_reads_iso_dates() -> None:
    docs = [json.loads(line) for line in (FIXTURES / "synthetic.jsonl").read_text().splitlines()]
    out = list(extract_many(docs))
    assert [o["id"] for o in out] == [d["id"] for d in docs]
    by_id = {o["id"]: o["incidents"] for o in out}
    assert len(by_id["syn-1"]) == 2 and by_id["syn-4"] == [] and by_id["syn-5"] == [] and by_id["syn-8"] == []
    assert next(extract_many([{"id": 7, "text": README_EXAMPLE, "published": "not a date"}]))["id"] == "7"


@pytest.mark.parametrize(
    ("text", "victims", "militants", "injured"),
    [
        # the subject of an active verb is not a casualty
        ("Twelve militants killed four soldiers in Kurram on Monday.", 4, None, None),
        # a named victim counts once, by what he was, never by name
        ("Gunmen shot dead Akbar Zaman, a police constable, in Bannu on Monday.", 1, None, None),
        # "no casualties" is a figure, zero
        ("A bomb went off near a school in Quetta on Monday. No casualties were reported.", 0, None, 0),
        # a range gives its lower figure
        ("A blast in Quetta on Monday killed nine or 10 people.", 9, None, None),
        # "as many others" repeats the figure before it
        ("Four policemen were martyred and as many others wounded in Lakki Marwat on Monday.", 4, None, 4),
        # a unit's name between the article and the rank
        ("Gunmen killed a Frontier Reserve Police constable in Swabi on Monday.", 1, None, None),
    ],
)
def test_more_casualty_rules(
    text: str, victims: int | None, militants: int | None, injured: int | None
) -> None:
    incident = one(text, date(2024, 11, 19))
    assert (incident["victims_killed"], incident["militants_killed"], incident["injured"]) == (
        victims,
        militants,
        injured,
    )


def test_a_shootout_started_by_militants_is_an_armed_assault_and_an_ibo_an_operation() -> None:
    shootout = one(
        "A policeman was martyred in a shootout in Islamabad on Friday. Two assailants opened fire on a "
        "checkpoint, police said."
    )
    assert shootout["event_type"] == "armed_assault" and shootout["perpetrator"] == "unknown"
    ibo = one("A soldier was martyred in an exchange of fire during an intelligence-based operation in Tank.")
    assert ibo["event_type"] == "security_operation"


def test_cross_border_fire_is_by_the_neighbours_forces() -> None:
    incident = one("Six civilians were killed by unprovoked firing from Afghan forces near Chaman on Sunday.")
    assert incident["event_type"] == "cross_border_attack"
    assert incident["perpetrator"] == "Afghan state forces" and incident["victims_killed"] == 6

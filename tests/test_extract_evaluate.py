"""Scoring the extractor: the matching rule, per-field counts, null agreements, incident and document
detection, and the reading of gold and prediction files."""

from __future__ import annotations

import json

import pytest

from nigran.core.problems import InvalidInput
from nigran.extract.evaluate import match, normalise, read_jsonl, score

BASE = {
    "date": "2024-11-15", "province": "Balochistan", "district": "Mastung", "place": None,
    "event_type": "armed_assault", "perpetrator": "unknown", "claimed": False, "victims_killed": 5,
    "militants_killed": 2, "injured": 8, "hostages": None, "target": "police check post",
}  # fmt: skip


def inc(**changes: object) -> dict:
    return {**BASE, **changes}


def test_matching_is_one_to_one_and_prefers_agreement_on_date_district_and_type() -> None:
    gold = [inc(), inc(date="2024-11-16", district="Kech", event_type="bombing", victims_killed=None)]
    pred = [inc(date="2024-11-17", district="Kech", event_type="bombing"), inc(date="2024-11-14")]
    assert sorted(match(gold, pred)) == [(0, 1), (1, 0)]  # dates within one day still agree
    # nothing in common: no match at all
    assert match([inc()], [inc(date="2020-01-01", district="Kech", event_type="kidnapping", victims_killed=1,
                               militants_killed=None, injured=None)]) == []  # fmt: skip


def test_field_counts_null_agreement_and_wrong_values() -> None:
    gold = [{"id": "a", "incidents": [inc()]}]
    pred = {"a": [inc(victims_killed=6, hostages=None, injured=None, place="Kardgap")]}
    report = score(gold, pred)
    f = report["fields"]
    assert f["district"] == {**f["district"], "tp": 1, "fp": 0, "fn": 0, "f1": 1.0}
    assert (f["victims_killed"]["tp"], f["victims_killed"]["fp"], f["victims_killed"]["fn"]) == (0, 1, 1)
    assert (f["injured"]["tp"], f["injured"]["fp"], f["injured"]["fn"]) == (0, 0, 1)  # missed
    assert (f["place"]["fp"], f["place"]["fn"]) == (1, 0)  # said where gold says nothing
    assert f["hostages"]["agree_null"] == 1 and f["hostages"]["tp"] == 0
    assert (
        f["hostages"]["precision"] is None and f["hostages"]["f1"] is None
    )  # nothing to score: unknown, not 0
    assert report["incidents"]["tp"] == 1 and report["documents"]["tp"] == 1


def test_unmatched_incidents_count_every_field_and_documents_are_scored_yes_or_no() -> None:
    gold = [
        {"id": "a", "incidents": [inc()]},
        {"id": "b", "incidents": []},
        {"id": "c", "incidents": []},
        {"id": "d", "incidents": [inc()]},
    ]
    pred = {"a": [inc(), inc(district="Kech", date="2024-11-16")], "b": [inc()], "c": []}
    report = score(gold, pred)
    assert report["incidents"] == {**report["incidents"], "tp": 1, "fp": 2, "fn": 1}
    assert report["documents"] == {**report["documents"], "tp": 1, "fp": 1, "fn": 1, "tn": 1}
    assert report["documents"]["precision"] == 0.5 and report["documents"]["recall"] == 0.5
    # a "d" incident missed: each of its non-null fields is a false negative
    assert report["fields"]["victims_killed"]["fn"] == 1
    assert report["fields"]["district"]["fp"] == 2  # the extra "a" incident and the "b" incident


@pytest.mark.parametrize(
    ("field", "a", "b"),
    [
        ("district", "D.I. Khan", "Dera Ismail Khan"),
        ("province", "KP", "Khyber Pakhtunkhwa"),
        ("perpetrator", "TTP", "Tehrik-i-Taliban Pakistan"),
        ("perpetrator", "Tehreek-e-Taliban Pakistan", "Tehrik-i-Taliban Pakistan"),
        ("target", "Police check-post", "police check post"),
        ("date", "2024-11-15", "2024-11-15T00:00:00"),
    ],
)
def test_values_are_compared_after_normalisation(field: str, a: str, b: str) -> None:
    assert normalise(field, a) == normalise(field, b)
    assert normalise(field, None) is None


def test_unknown_and_false_are_values_not_nulls() -> None:
    report = score([{"id": "a", "incidents": [inc()]}], {"a": [inc()]})
    assert report["fields"]["perpetrator"]["tp"] == 1 and report["fields"]["claimed"]["tp"] == 1


def test_reading_files_names_every_bad_line() -> None:
    good = json.dumps({"id": "a", "text": "x", "incidents": []})
    data = "\n".join([good, "{not json", json.dumps({"text": "x", "incidents": []}),
                      json.dumps({"id": "b", "text": "x", "incidents": [{"victims_killed": "five"}]}),
                      json.dumps({"id": "a", "text": "x", "incidents": []})]).encode()  # fmt: skip
    with pytest.raises(InvalidInput) as err:
        read_jsonl(data, "gold.jsonl", gold=True)
    messages = [str(p) for p in err.value.problems]
    assert messages[0].startswith("gold.jsonl:2: not JSON")
    assert "gold.jsonl:3: field 'id' is missing" in messages
    assert any(m.startswith("gold.jsonl:4: incident 1: field 'victims_killed'") for m in messages)
    assert "gold.jsonl:5: id 'a' appears twice" in messages
    with pytest.raises(InvalidInput):
        read_jsonl(b"\xff\xfe\x00", "bad.jsonl", gold=True)
    with pytest.raises(InvalidInput):
        read_jsonl(b"\n\n", "empty.jsonl", gold=False)
    assert read_jsonl(json.dumps({"id": 3, "incidents": []}).encode(), "p.jsonl", gold=False)[0]["id"] == 3

"""The annotated extraction development set (benchmarks/extraction/dev.jsonl) obeys its annotation rules."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEVSET = ROOT / "benchmarks" / "extraction" / "dev.jsonl"


def _load_validator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("devset_validate", DEVSET.with_name("validate.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


validate = _load_validator()


def _docs() -> list[dict]:
    return [json.loads(line) for line in DEVSET.read_text(encoding="utf-8").splitlines()]


def _incident(**changes: object) -> dict:
    base = {
        "date": "2024-11-15",
        "province": "Balochistan",
        "district": "Mastung",
        "place": None,
        "event_type": "armed_assault",
        "perpetrator": "unknown",
        "claimed": False,
        "victims_killed": 5,
        "militants_killed": 2,
        "injured": 8,
        "hostages": None,
        "target": "police check post",
    }
    base.update(changes)
    return base


def _doc(incidents: list[dict], **changes: object) -> dict:
    base = {
        "id": "t-1",
        "url": "https://example.org/a",
        "outlet": "Example",
        "published": "2024-11-16",
        "title": "Five policemen martyred in Mastung",
        "text": "QUETTA: Five policemen were martyred and eight people injured when militants stormed a "
        "check post in Mastung late on Friday. Two attackers were killed in the exchange of fire.",
        "incidents": incidents,
    }
    base.update(changes)
    return base


def test_devset_is_valid() -> None:
    problems, counts = validate.validate(DEVSET)
    assert problems == []
    assert counts["documents"] >= 160
    assert counts["distractors"] >= 40
    assert counts["with_incidents"] >= 90
    assert counts["same_event_groups"] >= 10
    assert counts["multi_incident_documents"] >= 5


def test_devset_covers_every_province_and_the_main_event_types() -> None:
    incidents = [i for d in _docs() for i in d["incidents"]]
    provinces = Counter(i["province"] for i in incidents)
    assert set(validate.PROVINCES) <= set(provinces)
    types = Counter(i["event_type"] for i in incidents)
    for kind in ("armed_assault", "bombing", "suicide_bombing", "kidnapping", "security_operation"):
        assert types[kind] >= 5, kind


def test_devset_documents_are_distinct_and_ids_sequential() -> None:
    docs = _docs()
    assert [d["id"] for d in docs] == [f"dev-{n:03d}" for n in range(1, len(docs) + 1)]
    assert len({d["url"] for d in docs}) == len(docs)
    assert len({d["text"] for d in docs}) == len(docs)


def test_event_groups_agree_on_place_and_type() -> None:
    """Reports of the same event share its district (where known) and have at least one incident each."""
    groups: dict[str, list[dict]] = {}
    for doc in _docs():
        if doc.get("event"):
            groups.setdefault(doc["event"], []).append(doc)
    assert len([g for g in groups.values() if len(g) > 1]) >= 10
    for event, docs in groups.items():
        districts = {d["incidents"][0]["district"] for d in docs} - {None}
        assert len(districts) <= 1, (event, districts)
        assert all(d["incidents"] for d in docs), event


@pytest.mark.parametrize(
    ("incident", "message"),
    [
        (_incident(district="Quetta", province="Punjab"), "is in Balochistan, not Punjab"),
        (_incident(district="Mastong"), "not a district name"),
        (_incident(province="Baluchistan"), "province 'Baluchistan'"),
        (_incident(event_type="ambush"), "not in the incident taxonomy"),
        (_incident(perpetrator="TTP"), "not an actor registry name"),
        (_incident(date="2024-11-17"), "after the publication date"),
        (_incident(date="15/11/2024"), "not YYYY-MM-DD"),
        (_incident(injured=-1), "non-negative integer"),
        (_incident(injured="8"), "non-negative integer"),
        (_incident(claimed="no"), "claimed must be"),
        (_incident(claimed=True), "no perpetrator is named"),
    ],
)
def test_validator_rejects_bad_incidents(incident: dict, message: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(_doc([incident])) + "\n", encoding="utf-8")
    problems, _ = validate.validate(path)
    assert any(message in p for p in problems), problems
    assert all(p.startswith(f"{path}:1:") for p in problems)


def test_validator_accepts_the_readme_example_and_rejects_bad_documents(tmp_path: Path) -> None:
    good = _doc([_incident(), _incident(date="2024-11-16", district="Kech", event_type="bombing")])
    missing = {k: v for k, v in _doc([]).items() if k != "url"}
    path = tmp_path / "mixed.jsonl"
    lines = [json.dumps(good), json.dumps(missing), "{not json", json.dumps(good)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems, counts = validate.validate(path)
    assert not [p for p in problems if ":1:" in p]
    assert any(":2: document keys: missing ['url']" in p for p in problems)
    assert any(":3: not JSON" in p for p in problems)
    assert any("id 't-1' appears 3 times" in p for p in problems)
    assert counts["documents"] == 3
    assert counts["incidents"] == 4


def test_validator_command_exit_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert validate.main(["validate.py", str(DEVSET)]) == 0
    assert "0 problem(s)" in capsys.readouterr().out
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(_doc([_incident(district="Lahore")])) + "\n", encoding="utf-8")
    assert validate.main(["validate.py", str(bad)]) == 1
    assert "district 'Lahore' is in Punjab" in capsys.readouterr().out

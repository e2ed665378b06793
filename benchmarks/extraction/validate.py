"""Check the annotated extraction development set (``dev.jsonl``) against its annotation rules.

Usage: ``python benchmarks/extraction/validate.py [FILE]`` (default: ``dev.jsonl`` next to this script).
Prints every problem as ``FILE:LINE: message`` and a summary; exits 1 when there is any problem.
The rules are written out in ``README.md`` in this folder.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from nigran.extract.fields import COUNT_FIELDS, FIELDS

ROOT = Path(__file__).resolve().parents[2]
ADMIN_UNITS = ROOT / "src" / "nigran" / "data" / "admin_units.yaml"
ACTORS = ROOT / "src" / "nigran" / "data" / "actors.yaml"
DEFAULT = Path(__file__).with_name("dev.jsonl")

#: The provinces/regions/territory as the annotation rules name them, and the admin_units.yaml name of each.
PROVINCES = {
    "Punjab": "Punjab",
    "Sindh": "Sindh",
    "Khyber Pakhtunkhwa": "Khyber Pakhtunkhwa",
    "Balochistan": "Balochistan",
    "Gilgit-Baltistan": "Gilgit-Baltistan",
    "Azad Kashmir": "Azad Jammu and Kashmir",
    "Islamabad Capital Territory": "Islamabad Capital Territory",
}
DOC_KEYS = {"id", "url", "outlet", "published", "title", "text", "incidents"}
OPTIONAL_DOC_KEYS = {"notes", "event"}
INCIDENT_KEYS = FIELDS
COUNTS = COUNT_FIELDS


def event_types() -> frozenset[str]:
    sys.path.insert(0, str(ROOT / "src"))
    from nigran.incidents.mappings import EVENT_TYPES

    return EVENT_TYPES


def district_provinces() -> dict[str, str]:
    """District name → the name of its province/region/territory, from admin_units.yaml."""
    units = {u["code"]: u for u in yaml.safe_load(ADMIN_UNITS.read_text(encoding="utf-8"))["units"]}
    out: dict[str, str] = {}
    for unit in units.values():
        if unit["level"] != "district":
            continue
        code = unit["code"]
        while units[code]["level"] not in ("province", "region", "territory"):
            code = units[code]["parent"]
        out[unit["name"]] = units[code]["name"]
    return out


def actor_names() -> set[str]:
    return {a["name"] for a in yaml.safe_load(ACTORS.read_text(encoding="utf-8"))["actors"]} | {"unknown"}


def _date(value: Any) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _is_str(value: Any) -> bool:
    return isinstance(value, str) and value.strip() == value and value != ""


def check_incident(inc: Any, published: dt.date | None, ctx: dict[str, Any]) -> list[str]:
    if not isinstance(inc, dict):
        return ["incident is not an object"]
    problems = []
    keys = list(inc)
    if set(keys) != set(INCIDENT_KEYS):
        missing = sorted(set(INCIDENT_KEYS) - set(keys))
        extra = sorted(set(keys) - set(INCIDENT_KEYS))
        problems.append(f"incident keys: missing {missing}, unexpected {extra}")
        return problems
    if inc["date"] is not None:
        when = _date(inc["date"])
        if when is None:
            problems.append(f"date {inc['date']!r} is not YYYY-MM-DD")
        elif published is not None and when > published:
            problems.append(f"date {inc['date']} is after the publication date")
        elif published is not None and (published - when).days > 366:
            problems.append(f"date {inc['date']} is over a year before publication: background, not new?")
    province, district = inc["province"], inc["district"]
    if province is not None and province not in PROVINCES:
        problems.append(f"province {province!r} is not one of {sorted(PROVINCES)}")
    if district is not None:
        if district not in ctx["districts"]:
            problems.append(f"district {district!r} is not a district name in admin_units.yaml")
        elif province is None:
            problems.append(f"district {district!r} given without its province")
        elif province in PROVINCES and ctx["districts"][district] != PROVINCES[province]:
            problems.append(f"district {district!r} is in {ctx['districts'][district]}, not {province}")
    for key in ("place", "target"):
        if inc[key] is not None and not _is_str(inc[key]):
            problems.append(f"{key} must be a non-empty trimmed string or null")
    if inc["event_type"] not in ctx["event_types"]:
        problems.append(f"event_type {inc['event_type']!r} is not in the incident taxonomy")
    if inc["perpetrator"] not in ctx["actors"]:
        problems.append(f"perpetrator {inc['perpetrator']!r} is not an actor registry name or 'unknown'")
    if inc["claimed"] not in (True, False, None):
        problems.append("claimed must be true, false or null")
    if inc["claimed"] is True and inc["perpetrator"] == "unknown":
        problems.append("claimed is true but no perpetrator is named")
    for key in COUNTS:
        value = inc[key]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            problems.append(f"{key} must be a non-negative integer or null, not {value!r}")
    return problems


def check_document(doc: Any, ctx: dict[str, Any]) -> list[str]:
    if not isinstance(doc, dict):
        return ["line is not a JSON object"]
    problems = []
    missing = sorted(DOC_KEYS - set(doc))
    extra = sorted(set(doc) - DOC_KEYS - OPTIONAL_DOC_KEYS)
    if missing or extra:
        problems.append(f"document keys: missing {missing}, unexpected {extra}")
        return problems
    for key in ("id", "url", "outlet", "title", "text"):
        if not _is_str(doc[key]):
            problems.append(f"{key} must be a non-empty trimmed string")
    if isinstance(doc["url"], str) and not doc["url"].startswith(("http://", "https://")):
        problems.append("url must be http(s)")
    published = _date(doc["published"])
    if published is None:
        problems.append(f"published {doc['published']!r} is not YYYY-MM-DD")
    if isinstance(doc["text"], str) and len(doc["text"]) < 150:
        problems.append("text is shorter than 150 characters")
    if "notes" in doc and not _is_str(doc["notes"]):
        problems.append("notes must be a non-empty string")
    if "event" in doc:
        if not _is_str(doc["event"]):
            problems.append("event must be a non-empty string")
        elif not doc["incidents"]:
            problems.append("an event tag on a document without incidents")
    if not isinstance(doc["incidents"], list):
        problems.append("incidents must be a list")
        return problems
    for n, inc in enumerate(doc["incidents"], 1):
        problems += [f"incident {n}: {p}" for p in check_incident(inc, published, ctx)]
    return problems


def validate(path: Path) -> tuple[list[str], dict[str, Any]]:
    ctx = {"districts": district_provinces(), "actors": actor_names(), "event_types": event_types()}
    problems: list[str] = []
    docs: list[dict[str, Any]] = []
    ids: Counter[str] = Counter()
    urls: Counter[str] = Counter()
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            problems.append(f"{path}:{lineno}: empty line")
            continue
        try:
            doc = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{path}:{lineno}: not JSON ({exc.msg})")
            continue
        problems += [f"{path}:{lineno}: {p}" for p in check_document(doc, ctx)]
        if isinstance(doc, dict):
            docs.append(doc)
            ids[str(doc.get("id"))] += 1
            urls[str(doc.get("url"))] += 1
    problems += [f"{path}: id {i!r} appears {n} times" for i, n in ids.items() if n > 1]
    problems += [f"{path}: url {u!r} appears {n} times" for u, n in urls.items() if n > 1]
    return problems, summary(docs)


def summary(docs: list[dict[str, Any]]) -> dict[str, Any]:
    incidents = [i for d in docs if isinstance(d.get("incidents"), list) for i in d["incidents"]]
    events = Counter(d["event"] for d in docs if d.get("event"))
    return {
        "documents": len(docs),
        "with_incidents": sum(1 for d in docs if d.get("incidents")),
        "distractors": sum(1 for d in docs if d.get("incidents") == []),
        "multi_incident_documents": sum(1 for d in docs if len(d.get("incidents") or []) > 1),
        "incidents": len(incidents),
        "same_event_groups": sum(1 for n in events.values() if n > 1),
        "documents_in_groups": sum(n for n in events.values() if n > 1),
        "by_province": dict(Counter(str(i.get("province")) for i in incidents).most_common()),
        "by_event_type": dict(Counter(str(i.get("event_type")) for i in incidents).most_common()),
        "by_year": dict(sorted(Counter(str(d.get("published"))[:4] for d in docs).items())),
    }


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT
    problems, counts = validate(path)
    for problem in problems:
        print(problem)
    print(json.dumps(counts, indent=1))
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Counting definitions (``data/assessment/definitions.yaml``) and the merged-districts table, as data.

A definition sorts each incident into at most one category (``attacks``, ``operations``, ``other``) by
its event type and the kind of its actor, trying the categories in the order the file writes them; the
categories it ``counted`` make its headline. Files are validated with line numbers, like every Nigran
document: a wrong event type, actor kind or category is a ``FILE:LINE`` problem, never a silent miss.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from nigran.core.paths import data_path
from nigran.core.problems import InvalidInput, Problem
from nigran.core.yamldoc import LineDict, LineList, load_yaml_bytes
from nigran.incidents.mappings import EVENT_TYPES

CATEGORIES = ("attacks", "operations", "other")
ACTOR_KINDS = frozenset(
    {"militant", "separatist", "sectarian", "transnational", "political", "state", "foreign_state", "unknown"}
)
KILLED_MEASURES = ("killed", "victims_killed")
ANY = "any"
DEFINITIONS_FILE = ("assessment", "definitions.yaml")
MERGED_FILE = ("assessment", "merged_districts.yaml")


@dataclass(frozen=True)
class Rule:
    event_types: frozenset[str]
    actor_kinds: frozenset[str] | None  # None: any actor, named or not

    def matches(self, event_type: str, actor_kind: str) -> bool:
        if event_type not in self.event_types:
            return False
        return self.actor_kinds is None or actor_kind in self.actor_kinds


@dataclass(frozen=True)
class Definition:
    code: str
    name: str
    monitor: str
    description: str
    citation: str
    counted: tuple[str, ...]
    killed: str
    categories: tuple[tuple[str, tuple[Rule, ...]], ...]

    def category_of(self, event_type: str, actor_kind: str | None) -> str | None:
        """The category an incident falls in, or None when the definition leaves it out."""
        kind = actor_kind or "unknown"
        for name, rules in self.categories:
            if any(rule.matches(event_type, kind) for rule in rules):
                return name
        return None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "monitor": self.monitor,
            "description": self.description,
            "citation": self.citation,
            "counted": list(self.counted),
            "killed": self.killed,
            "categories": {
                name: [
                    {
                        "event_types": sorted(r.event_types),
                        "actor_kinds": sorted(r.actor_kinds) if r.actor_kinds is not None else ANY,
                    }
                    for r in rules
                ]
                for name, rules in self.categories
            },
        }


def _text(doc: LineDict, key: str, problems: list[Problem], name: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.append(Problem(doc.line_of(key), f"{key!r} must be non-empty text", name))
        return ""
    return " ".join(value.split())


def _names(
    value: Any, allowed: frozenset[str], what: str, line: int, name: str, problems: list[Problem]
) -> list[str]:
    if not isinstance(value, list) or not value:
        problems.append(Problem(line, f"expected a non-empty list of {what}s", name))
        return []
    out = []
    for i, item in enumerate(value):
        item_line = value.item_lines[i] if isinstance(value, LineList) else line
        if not isinstance(item, str) or item not in allowed:
            problems.append(
                Problem(item_line, f"unknown {what} {item!r} (one of {', '.join(sorted(allowed))})", name)
            )
        else:
            out.append(item)
    return out


def _rules(value: Any, line: int, name: str, problems: list[Problem]) -> tuple[Rule, ...]:
    if not isinstance(value, list) or not value:
        problems.append(Problem(line, "a category must be a non-empty list of rules", name))
        return ()
    rules = []
    for i, item in enumerate(value):
        item_line = value.item_lines[i] if isinstance(value, LineList) else line
        if not isinstance(item, LineDict):
            problems.append(Problem(item_line, "a rule must have event_types and actor_kinds", name))
            continue
        extra = sorted(set(item) - {"event_types", "actor_kinds"})
        for key in extra:
            problems.append(Problem(item.line_of(key), f"unknown key {key!r} in a rule", name))
        types = _names(
            item.get("event_types"), EVENT_TYPES, "event type", item.line_of("event_types"), name, problems
        )
        kinds_raw = item.get("actor_kinds", ANY)
        kinds = (
            None
            if kinds_raw == ANY
            else frozenset(
                _names(kinds_raw, ACTOR_KINDS, "actor kind", item.line_of("actor_kinds"), name, problems)
            )
        )
        rules.append(Rule(frozenset(types), kinds))
    return tuple(rules)


def parse_definitions(data: bytes, name: str) -> dict[str, Definition]:
    """Every definition of a definitions file, or :class:`InvalidInput` with each problem and its line."""
    doc = load_yaml_bytes(data, name)
    problems: list[Problem] = []
    if not isinstance(doc, LineDict) or not isinstance(doc.get("definitions"), LineDict):
        raise InvalidInput([Problem(1, "expected a mapping with 'definitions:'", name)])
    out: dict[str, Definition] = {}
    for code, body in doc["definitions"].items():
        line = doc["definitions"].line_of(code)
        if not isinstance(code, str) or not code.isidentifier() or code != code.lower():
            problems.append(Problem(line, f"definition code {code!r} must be lower-case letters", name))
            continue
        if not isinstance(body, LineDict):
            problems.append(Problem(line, f"definition {code!r} must be a mapping", name))
            continue
        known = {"name", "monitor", "description", "citation", "counted", "killed", "categories"}
        for key in sorted(set(body) - known, key=str):
            problems.append(Problem(body.line_of(key), f"unknown key {key!r} in definition {code!r}", name))
        cats = body.get("categories")
        categories: list[tuple[str, tuple[Rule, ...]]] = []
        if not isinstance(cats, LineDict) or not cats:
            problems.append(Problem(body.line_of("categories"), "'categories' must be a mapping", name))
        else:
            for cat, rules in cats.items():
                if cat not in CATEGORIES:
                    problems.append(
                        Problem(
                            cats.line_of(cat),
                            f"unknown category {cat!r} (one of {', '.join(CATEGORIES)})",
                            name,
                        )
                    )
                    continue
                categories.append((cat, _rules(rules, cats.line_of(cat), name, problems)))
        counted = _names(
            body.get("counted"),
            frozenset(c for c, _ in categories) or frozenset(CATEGORIES),
            "category",
            body.line_of("counted"),
            name,
            problems,
        )
        killed = body.get("killed", "killed")
        if killed not in KILLED_MEASURES:
            problems.append(
                Problem(body.line_of("killed"), f"killed must be one of {', '.join(KILLED_MEASURES)}", name)
            )
        out[code] = Definition(
            code=code,
            name=_text(body, "name", problems, name),
            monitor=_text(body, "monitor", problems, name),
            description=_text(body, "description", problems, name),
            citation=_text(body, "citation", problems, name),
            counted=tuple(counted),
            killed=str(killed),
            categories=tuple(categories),
        )
    if not out and not problems:
        problems.append(Problem(doc.line_of("definitions"), "no definitions", name))
    if problems:
        raise InvalidInput(problems)
    return out


@cache
def bundled() -> dict[str, Definition]:
    path = data_path(*DEFINITIONS_FILE)
    return parse_definitions(path.read_bytes(), "definitions.yaml")


def get(code: str | None, *, field: str = "--definition") -> Definition:
    """The bundled definition named ``code`` (any case); an unknown code is a problem naming the field."""
    defs = bundled()
    key = (code or "").strip().casefold()
    if key not in defs:
        raise InvalidInput([Problem(0, f"unknown definition {code!r} (one of {', '.join(defs)})", field)])
    return defs[key]


def parse_merged(data: bytes, name: str) -> frozenset[str]:
    doc = load_yaml_bytes(data, name)
    if not isinstance(doc, LineDict) or not isinstance(doc.get("districts"), list):
        raise InvalidInput([Problem(1, "expected 'districts:' with a list of district codes", name)])
    province = doc.get("province")
    items = doc["districts"]
    problems = []
    for i, code in enumerate(items):
        if not isinstance(code, str) or not isinstance(province, str) or not code.startswith(province + "-"):
            problems.append(Problem(items.item_lines[i], f"{code!r} is not a district of {province!r}", name))
    if problems:
        raise InvalidInput(problems)
    return frozenset(items)


@cache
def merged_districts() -> frozenset[str]:
    """District codes of Khyber Pakhtunkhwa's merged districts (former FATA)."""
    return parse_merged(data_path(*MERGED_FILE).read_bytes(), "merged_districts.yaml")

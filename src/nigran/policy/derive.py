"""Pure transformations of framework documents: deriving the next cycle and comparing two frameworks."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date
from typing import Any

DONE = {"completed", "cancelled"}
CHILD_KEYS = ("sections", "objectives", "indicators", "actions", "milestones")
KINDS = {
    "sections": "section",
    "objectives": "objective",
    "indicators": "indicator",
    "actions": "action",
    "milestones": "milestone",
}


def _recode(code: str, old: str, new: str) -> str:
    return new + code[len(old) :] if code == old or code.startswith(old + ".") else code


def derive_document(
    doc: dict[str, Any], new_code: str, *, title: str | None, start: date | None, end: date | None
) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    fw = doc["framework"]
    old_code = fw["code"]
    old_start, old_end = fw["period"]["start"], fw["period"]["end"]
    length = old_end - old_start
    start = start or old_end.replace(year=old_end.year + 1, month=1, day=1)
    end = end or date(start.year + (old_end.year - old_start.year), old_end.month, old_end.day)
    if end <= start:
        end = start + length
    fw.update(code=new_code, title=title or f"{fw['title']} (next cycle)", predecessor=old_code)
    fw["period"] = {"start": start, "end": end}
    fw["version"] = int(fw.get("version") or 1) + 1
    if title:
        fw.pop("title_ur", None)

    def walk(node: dict[str, Any]) -> None:
        node["code"] = _recode(str(node["code"]), old_code, new_code)
        if "targets" in node:
            node["targets"] = {y: v for y, v in node["targets"].items() if start.year <= int(y) <= end.year}
            if not node["targets"]:
                node.pop("targets")
        if "actions" in node:
            node["actions"] = [a for a in node["actions"] if a.get("status") not in DONE]
            if not node["actions"]:
                node.pop("actions")
        if "milestones" in node:
            node["milestones"] = [m for m in node["milestones"] if m.get("status") not in DONE]
            if not node["milestones"]:
                node.pop("milestones")
        due = node.get("due")
        if isinstance(due, date) and not start <= due <= end:
            note = f"Carried over from {old_code}; was due {due.isoformat()}."
            node["description"] = f"{node.get('description') or ''}\n{note}".strip()
            node.pop("due")
        for key in CHILD_KEYS:
            for child in node.get(key) or []:
                walk(child)

    for section in fw["sections"]:
        walk(section)
    return doc


@dataclass
class Change:
    kind: str
    code: str
    change: str  # added | removed | changed
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    title: str | None = None  # of an added or removed item: a code alone says little

    def __str__(self) -> str:
        sign = {"added": "+", "removed": "-", "changed": "~"}[self.change]
        head = f"{sign} {self.kind} {self.code}" + (f": {self.title}" if self.title else "")
        if not self.fields:
            return head
        parts = [f"    {name}: {shown(old)} -> {shown(new)}" for name, (old, new) in self.fields.items()]
        return "\n".join([head, *parts])


def shown(value: Any) -> str:
    """A value as a person reads it: dates ISO, text quoted, never a Python repr (``datetime.date(…)``)."""
    if value is None:
        return "(none)"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {shown(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(shown(v) for v in value) + "]"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def flatten(doc: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Every item keyed by its code relative to the framework, with its own fields (children left out)."""
    fw = doc["framework"]
    out: dict[str, tuple[str, dict[str, Any]]] = {}

    def walk(node: dict[str, Any], kind: str, parent: str | None) -> None:
        rel = _relative(str(node["code"]), fw["code"])
        fields = {k: v for k, v in node.items() if k not in CHILD_KEYS and k != "code"}
        fields["parent"] = parent
        out[rel] = (kind, fields)
        for key in CHILD_KEYS:
            for child in node.get(key) or []:
                walk(child, KINDS[key], rel)

    for section in fw["sections"]:
        walk(section, "section", None)
    return out


def _relative(code: str, fw_code: str) -> str:
    return code[len(fw_code) :].lstrip(".") if code.startswith(fw_code + ".") else code


def diff_documents(a: dict[str, Any], b: dict[str, Any]) -> list[Change]:
    fa, fb = flatten(a), flatten(b)
    changes: list[Change] = []
    top = ("title", "classification", "period", "owner", "description")
    header = {
        k: (a["framework"].get(k), b["framework"].get(k))
        for k in top
        if a["framework"].get(k) != b["framework"].get(k)
    }
    if header:
        changes.append(
            Change("framework", f"{a['framework']['code']} -> {b['framework']['code']}", "changed", header)
        )
    for code, (kind, fields) in fa.items():
        if code not in fb:
            changes.append(Change(kind, code, "removed", title=_title(fields)))
            continue
        other = fb[code][1]
        diffs = {
            k: (fields.get(k), other.get(k))
            for k in sorted(set(fields) | set(other))
            if fields.get(k) != other.get(k)
        }
        if diffs:
            changes.append(Change(kind, code, "changed", diffs))
    changes += [
        Change(kind, code, "added", title=_title(fields))
        for code, (kind, fields) in fb.items()
        if code not in fa
    ]
    return changes


def _title(fields: dict[str, Any]) -> str | None:
    value = fields.get("title") or fields.get("name")
    return None if value is None else str(value)
